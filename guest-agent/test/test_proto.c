/* Unit test of the frame reader and payload decoders (valid and malformed input). */
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static uint8_t rbuf[FRAME_BUF_CAP];

static size_t frame(uint8_t *out, uint32_t len, uint8_t type, uint32_t ch, const void *pl, size_t n)
{
    put_u32(out, len);
    out[4] = type;
    put_u32(out + 5, ch);
    memcpy(out + FRAME_HDR, pl, n);
    return FRAME_HDR + n;
}

static void feed(struct frame_reader *r, const uint8_t *p, size_t n)
{
    size_t space;
    uint8_t *dst = reader_space(r, &space);
    CHECK(space >= n);
    memcpy(dst, p, n);
    reader_commit(r, n);
}

static void test_single_frame_bytewise(void)
{
    struct frame_reader r;
    struct frame f;
    uint8_t b[32];
    size_t n = frame(b, 5 + 3, T_STDIN, 7, "abc", 3);
    reader_init(&r, rbuf, sizeof rbuf);
    for (size_t i = 0; i < n - 1; i++) {
        feed(&r, b + i, 1);
        CHECK(reader_next(&r, &f) == RD_NEED_MORE);
    }
    feed(&r, b + n - 1, 1);
    CHECK(reader_next(&r, &f) == RD_FRAME);
    CHECK(f.type == T_STDIN && f.channel == 7 && f.payload_len == 3);
    CHECK(memcmp(f.payload, "abc", 3) == 0);
    CHECK(reader_next(&r, &f) == RD_NEED_MORE);
    reader_compact(&r);
    CHECK(r.have == 0 && r.pos == 0);
}

static void test_two_frames_one_read(void)
{
    struct frame_reader r;
    struct frame f;
    uint8_t b[64];
    size_t n = frame(b, 5, T_HELLO_REQ, 0, "", 0);
    n += frame(b + n, 5 + 1, T_SIGNAL, 3, "\x0f", 1);
    reader_init(&r, rbuf, sizeof rbuf);
    feed(&r, b, n);
    CHECK(reader_next(&r, &f) == RD_FRAME && f.type == T_HELLO_REQ && f.payload_len == 0);
    CHECK(reader_next(&r, &f) == RD_FRAME && f.type == T_SIGNAL && f.channel == 3 && f.payload[0] == 15);
    CHECK(reader_next(&r, &f) == RD_NEED_MORE);
}

static void test_undersized(void)
{
    struct frame_reader r;
    struct frame f;
    uint8_t b[4] = { 0, 0, 0, 4 };
    reader_init(&r, rbuf, sizeof rbuf);
    feed(&r, b, 4);
    CHECK(reader_next(&r, &f) == RD_UNDERSIZED);
    b[3] = 0;
    reader_reset(&r);
    feed(&r, b, 4);
    CHECK(reader_next(&r, &f) == RD_UNDERSIZED);
}

/* An oversized frame is reported once, its body is skipped exactly, and the
 * next frame parses even when the body arrives in several pieces. */
static void test_oversized_is_skipped(void)
{
    struct frame_reader r;
    struct frame f;
    uint8_t hdr[FRAME_HDR];
    static uint8_t junk[300000];
    uint32_t len = FRAME_MAX_LEN + 1;
    uint64_t body = len - 5;
    reader_init(&r, rbuf, sizeof rbuf);
    frame(hdr, len, T_STDIN, 9, "", 0);
    feed(&r, hdr, sizeof hdr);
    CHECK(reader_next(&r, &f) == RD_OVERSIZED && f.channel == 9 && f.type == T_STDIN);
    memset(junk, 0xAB, sizeof junk);
    while (body > sizeof junk) {
        feed(&r, junk, sizeof junk);
        CHECK(reader_next(&r, &f) == RD_NEED_MORE);
        reader_compact(&r);
        body -= sizeof junk;
    }
    uint8_t tail[400000];
    memset(tail, 0xCD, (size_t)body);
    size_t n = (size_t)body + frame(tail + body, 5, T_HELLO_REQ, 0, "", 0);
    feed(&r, tail, n);
    CHECK(reader_next(&r, &f) == RD_FRAME && f.type == T_HELLO_REQ);
    CHECK(reader_next(&r, &f) == RD_NEED_MORE);

    /* len = 0xFFFFFFFF must not overflow anything */
    reader_reset(&r);
    frame(hdr, 0xFFFFFFFFu, T_EXEC, 1, "", 0);
    feed(&r, hdr, sizeof hdr);
    CHECK(reader_next(&r, &f) == RD_OVERSIZED);
    CHECK(r.discard == 0xFFFFFFFFull - 5);
}

static void test_max_frame_fits(void)
{
    struct frame_reader r;
    struct frame f;
    uint8_t hdr[FRAME_HDR];
    static uint8_t body[FRAME_MAX_PAYLOAD];
    reader_init(&r, rbuf, sizeof rbuf);
    frame(hdr, FRAME_MAX_LEN, T_STDIN, 2, "", 0);
    feed(&r, hdr, sizeof hdr);
    CHECK(reader_next(&r, &f) == RD_NEED_MORE);
    feed(&r, body, sizeof body);
    CHECK(reader_next(&r, &f) == RD_FRAME && f.payload_len == FRAME_MAX_PAYLOAD);
}

static size_t build_exec(uint8_t *p, uint8_t flags, uint16_t argc, const char *args, size_t alen,
                         uint16_t envc, const char *envs, size_t elen, const char *cwd)
{
    size_t n = 0;
    p[n++] = flags;
    p[n++] = 0; p[n++] = 24;
    p[n++] = 0; p[n++] = 80;
    p[n++] = (uint8_t)(argc >> 8); p[n++] = (uint8_t)argc;
    memcpy(p + n, args, alen); n += alen;
    p[n++] = (uint8_t)(envc >> 8); p[n++] = (uint8_t)envc;
    memcpy(p + n, envs, elen); n += elen;
    memcpy(p + n, cwd, strlen(cwd) + 1); n += strlen(cwd) + 1;
    return n;
}

static void test_decode_exec(void)
{
    uint8_t p[256];
    struct exec_req e;
    size_t n = build_exec(p, 1, 3, "sh\0-c\0echo hi\0", 14, 1, "A=b\0", 4, "/tmp");
    CHECK(decode_exec(p, (uint32_t)n, &e) == DEC_OK);
    CHECK(e.flags == 1 && e.rows == 24 && e.cols == 80 && e.argc == 3 && e.envc == 1);
    CHECK(strcmp(e.args, "sh") == 0);
    CHECK(strcmp(next_string(e.args), "-c") == 0);
    CHECK(strcmp(next_string(next_string(e.args)), "echo hi") == 0);
    CHECK(strcmp(e.envs, "A=b") == 0 && strcmp(e.cwd, "/tmp") == 0);

    /* every truncation of a valid payload is DEC_SHORT, never a crash */
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, p, cut);
        CHECK(decode_exec(copy, (uint32_t)cut, &e) == DEC_SHORT);
        free(copy);
    }
    p[n] = 'x';
    CHECK(decode_exec(p, (uint32_t)n + 1, &e) == DEC_TRAILING);

    n = build_exec(p, 0, 0, "", 0, 0, "", 0, "");
    CHECK(decode_exec(p, (uint32_t)n, &e) == DEC_NO_ARGV);
    n = build_exec(p, 0, 1, "ls\0", 3, 1, "NOEQUALS\0", 9, "");
    CHECK(decode_exec(p, (uint32_t)n, &e) == DEC_BAD_ENV);
    n = build_exec(p, 0, 1, "ls\0", 3, 1, "=v\0", 3, "");
    CHECK(decode_exec(p, (uint32_t)n, &e) == DEC_BAD_ENV);
    /* argc claims more strings than present */
    n = build_exec(p, 0, 5, "ls\0", 3, 0, "", 0, "");
    CHECK(decode_exec(p, (uint32_t)n, &e) == DEC_SHORT);
    /* cwd without its NUL */
    n = build_exec(p, 0, 1, "ls\0", 3, 0, "", 0, "/x");
    CHECK(decode_exec(p, (uint32_t)n - 1, &e) == DEC_SHORT);
}

static void test_small_decoders(void)
{
    uint16_t rows = 0, cols = 0;
    uint8_t v = 0;
    const uint8_t rs[] = { 0, 50, 0, 132 };
    CHECK(decode_resize(rs, 4, &rows, &cols) == DEC_OK && rows == 50 && cols == 132);
    CHECK(decode_resize(rs, 3, &rows, &cols) == DEC_SHORT);
    CHECK(decode_resize(rs, 0, &rows, &cols) == DEC_SHORT);
    CHECK(decode_resize((const uint8_t *)"12345", 5, &rows, &cols) == DEC_TRAILING);
    CHECK(decode_signal((const uint8_t *)"\x0f", 1, &v) == DEC_OK && v == 15);
    CHECK(decode_signal((const uint8_t *)"", 0, &v) == DEC_SHORT);
    CHECK(decode_shutdown((const uint8_t *)"\x01", 1, &v) == DEC_OK && v == 1);
    CHECK(decode_shutdown((const uint8_t *)"\x01\x02", 2, &v) == DEC_TRAILING);
}

static void test_hello_json(void)
{
    char out[512];
    size_t n = format_hello(out, sizeof out, "0.1.0", "6.1.0", 1234, "vm\"1\n");
    CHECK(n > 0);
    CHECK(strcmp(out, "{\"agent_version\":\"0.1.0\",\"kernel\":\"6.1.0\",\"uptime_ms\":1234,"
                      "\"hostname\":\"vm\\\"1\\u000a\",\"flow_control\":true}") == 0);
    CHECK(format_hello(out, 10, "0.1.0", "k", 1, "h") == 0);
}

static void test_header_roundtrip(void)
{
    uint8_t h[FRAME_HDR];
    encode_header(h, T_EXIT, 0x01020304u, 4);
    CHECK(get_u32(h) == 9 && h[4] == T_EXIT && get_u32(h + 5) == 0x01020304u);
}

int main(void)
{
    test_single_frame_bytewise();
    test_two_frames_one_read();
    test_undersized();
    test_oversized_is_skipped();
    test_max_frame_fits();
    test_decode_exec();
    test_small_decoders();
    test_hello_json();
    test_header_roundtrip();
    if (failures) {
        fprintf(stderr, "test_proto: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_proto: all checks passed\n");
    return 0;
}
