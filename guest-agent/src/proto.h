/* Wire format of the banger agent protocol: pure functions over byte buffers.
 * Nothing here does I/O or allocates, so the unit test and the fuzz target
 * drive exactly the code the agent runs. See docs/agent-protocol.md. */
#ifndef BANGER_PROTO_H
#define BANGER_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_LEN_FIELD 4
#define FRAME_HDR 9                      /* u32 len | u8 type | u32 channel */
#define FRAME_MIN_LEN 5                  /* len counts type + channel + payload */
#define FRAME_MAX_PAYLOAD (1u << 20)
#define FRAME_MAX_LEN (5u + FRAME_MAX_PAYLOAD)
#define FRAME_BUF_CAP (FRAME_LEN_FIELD + FRAME_MAX_LEN)

enum msg_type {
    T_HELLO_REQ = 0x01,
    T_EXEC = 0x10,
    T_STDIN = 0x11,
    T_RESIZE = 0x12,
    T_SIGNAL = 0x13,
    T_OUTPUT_ACK = 0x14,
    T_SHUTDOWN = 0x20,
    T_HELLO = 0x81,
    T_STARTED = 0x90,
    T_STDOUT = 0x91,
    T_STDERR = 0x92,
    T_EXIT = 0x93,
    T_EXEC_ERROR = 0x94,
    T_STDIN_ACK = 0x95,
    T_SHUTDOWN_ACK = 0xA0,
    T_ERROR = 0xFF,
};

struct frame {
    uint8_t type;
    uint32_t channel;
    const uint8_t *payload;   /* points into the reader's buffer */
    uint32_t payload_len;
};

enum reader_event {
    RD_NEED_MORE,   /* no complete frame buffered */
    RD_FRAME,       /* *f holds a frame */
    RD_OVERSIZED,   /* len > FRAME_MAX_LEN: f->type/channel set, the body is being discarded */
    RD_UNDERSIZED,  /* len < 5: stream cannot be resynchronised, caller must reset */
};

/* Incremental frame reader over a caller-supplied buffer of FRAME_BUF_CAP bytes.
 * Usage: reader_space() -> read into it -> reader_commit() -> reader_next()
 * until RD_NEED_MORE -> reader_compact(). Frame payloads stay valid until
 * reader_compact(). */
struct frame_reader {
    uint8_t *buf;
    size_t cap;
    size_t have;      /* bytes buffered */
    size_t pos;       /* parse position */
    uint64_t discard; /* body bytes of an oversized frame still to drop */
};

void reader_init(struct frame_reader *r, uint8_t *buf, size_t cap);
void reader_reset(struct frame_reader *r);
uint8_t *reader_space(struct frame_reader *r, size_t *space);
void reader_commit(struct frame_reader *r, size_t n);
enum reader_event reader_next(struct frame_reader *r, struct frame *f);
void reader_compact(struct frame_reader *r);

/* Payload decoders. */
enum dec_status {
    DEC_OK,
    DEC_SHORT,      /* truncated: a field or NUL terminator is missing -> ERROR */
    DEC_TRAILING,   /* bytes left after the last field -> ERROR */
    DEC_NO_ARGV,    /* argc == 0 -> EXEC_ERROR */
    DEC_BAD_ENV,    /* env entry without '=' or with empty key -> EXEC_ERROR */
};

#define EXEC_FLAG_TTY 0x01
#define EXEC_FLAG_CREDIT 0x02   /* output only against the host's OUTPUT_ACK credit */

struct exec_req {
    uint8_t flags;
    uint16_t rows, cols;
    uint16_t argc;
    const char *args;   /* argc consecutive NUL-terminated strings */
    uint16_t envc;
    const char *envs;   /* envc consecutive NUL-terminated "KEY=VALUE" */
    const char *cwd;    /* NUL-terminated, "" = $HOME */
};

enum dec_status decode_exec(const uint8_t *p, uint32_t n, struct exec_req *out);
enum dec_status decode_resize(const uint8_t *p, uint32_t n, uint16_t *rows, uint16_t *cols);
enum dec_status decode_signal(const uint8_t *p, uint32_t n, uint8_t *signo);
enum dec_status decode_shutdown(const uint8_t *p, uint32_t n, uint8_t *mode);
const char *dec_status_text(enum dec_status s);

/* Advance past one NUL-terminated string known to be inside a decoded payload. */
const char *next_string(const char *s);

/* Writes the 9-byte frame header for a payload of payload_len bytes. */
void encode_header(uint8_t out[FRAME_HDR], uint8_t type, uint32_t channel, uint32_t payload_len);
void put_u32(uint8_t *p, uint32_t v);
uint32_t get_u32(const uint8_t *p);
uint16_t get_u16(const uint8_t *p);

/* Appends s to out as a JSON string body (no quotes), escaping as needed.
 * Returns the length it would need; writes at most cap bytes. */
size_t json_escape(char *out, size_t cap, const char *s);

/* Formats the HELLO JSON into out; returns length or 0 if it does not fit. */
size_t format_hello(char *out, size_t cap, const char *version, const char *kernel,
                    uint64_t uptime_ms, const char *hostname);

#endif
