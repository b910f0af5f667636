#include "proto.h"

#include <stdio.h>
#include <string.h>

void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

void encode_header(uint8_t out[FRAME_HDR], uint8_t type, uint32_t channel, uint32_t payload_len)
{
    put_u32(out, payload_len + FRAME_MIN_LEN);
    out[4] = type;
    put_u32(out + 5, channel);
}

void reader_init(struct frame_reader *r, uint8_t *buf, size_t cap)
{
    r->buf = buf;
    r->cap = cap;
    reader_reset(r);
}

void reader_reset(struct frame_reader *r)
{
    r->have = 0;
    r->pos = 0;
    r->discard = 0;
}

void reader_compact(struct frame_reader *r)
{
    if (r->pos == 0)
        return;
    memmove(r->buf, r->buf + r->pos, r->have - r->pos);
    r->have -= r->pos;
    r->pos = 0;
}

uint8_t *reader_space(struct frame_reader *r, size_t *space)
{
    if (r->have == r->cap)
        reader_compact(r);
    *space = r->cap - r->have;
    return r->buf + r->have;
}

/* Drops discarded body bytes that are already buffered. */
static void eat_buffered(struct frame_reader *r)
{
    size_t avail = r->have - r->pos;
    size_t eat = r->discard < avail ? (size_t)r->discard : avail;
    r->pos += eat;
    r->discard -= eat;
}

void reader_commit(struct frame_reader *r, size_t n)
{
    if (n > r->cap - r->have)
        n = r->cap - r->have;
    if (r->discard > 0) {
        /* pos == have whenever discard is pending, so the new bytes come first */
        size_t eat = r->discard < n ? (size_t)r->discard : n;
        memmove(r->buf + r->have, r->buf + r->have + eat, n - eat);
        r->discard -= eat;
        n -= eat;
    }
    r->have += n;
}

enum reader_event reader_next(struct frame_reader *r, struct frame *f)
{
    if (r->discard > 0) {
        eat_buffered(r);
        if (r->discard > 0)
            return RD_NEED_MORE;
    }
    size_t avail = r->have - r->pos;
    if (avail < FRAME_LEN_FIELD)
        return RD_NEED_MORE;
    const uint8_t *p = r->buf + r->pos;
    uint32_t len = get_u32(p);
    if (len < FRAME_MIN_LEN) {
        r->pos += FRAME_LEN_FIELD;
        f->type = 0;
        f->channel = 0;
        f->payload = NULL;
        f->payload_len = 0;
        return RD_UNDERSIZED;
    }
    if (avail < FRAME_HDR)
        return RD_NEED_MORE;
    f->type = p[4];
    f->channel = get_u32(p + 5);
    if (len > FRAME_MAX_LEN) {
        f->payload = NULL;
        f->payload_len = 0;
        r->pos += FRAME_HDR;
        r->discard = (uint64_t)len - FRAME_MIN_LEN;
        eat_buffered(r);
        return RD_OVERSIZED;
    }
    if (avail - FRAME_LEN_FIELD < len)
        return RD_NEED_MORE;
    f->payload = p + FRAME_HDR;
    f->payload_len = len - FRAME_MIN_LEN;
    r->pos += FRAME_LEN_FIELD + (size_t)len;
    return RD_FRAME;
}

const char *next_string(const char *s)
{
    return s + strlen(s) + 1;
}

/* Skips count NUL-terminated strings starting at *off; fails if one is unterminated. */
static int skip_strings(const uint8_t *p, uint32_t n, uint32_t *off, uint32_t count, int want_env, int *bad_env)
{
    for (uint32_t i = 0; i < count; i++) {
        if (*off >= n)
            return 0;
        const uint8_t *s = p + *off;
        const uint8_t *nul = memchr(s, 0, n - *off);
        if (nul == NULL)
            return 0;
        if (want_env && (s[0] == '=' || memchr(s, '=', (size_t)(nul - s)) == NULL))
            *bad_env = 1;
        *off = (uint32_t)(nul - p) + 1;
    }
    return 1;
}

enum dec_status decode_exec(const uint8_t *p, uint32_t n, struct exec_req *out)
{
    uint32_t off = 7;
    int bad_env = 0;

    memset(out, 0, sizeof *out);
    if (n < off)
        return DEC_SHORT;
    out->flags = p[0];
    out->rows = get_u16(p + 1);
    out->cols = get_u16(p + 3);
    out->argc = get_u16(p + 5);
    out->args = (const char *)p + off;
    if (!skip_strings(p, n, &off, out->argc, 0, &bad_env))
        return DEC_SHORT;
    if (n - off < 2)
        return DEC_SHORT;
    out->envc = get_u16(p + off);
    off += 2;
    out->envs = (const char *)p + off;
    if (!skip_strings(p, n, &off, out->envc, 1, &bad_env))
        return DEC_SHORT;
    out->cwd = (const char *)p + off;
    if (!skip_strings(p, n, &off, 1, 0, &bad_env))
        return DEC_SHORT;
    if (off != n)
        return DEC_TRAILING;
    if (out->argc == 0)
        return DEC_NO_ARGV;
    if (bad_env)
        return DEC_BAD_ENV;
    return DEC_OK;
}

enum dec_status decode_resize(const uint8_t *p, uint32_t n, uint16_t *rows, uint16_t *cols)
{
    if (n < 4)
        return DEC_SHORT;
    if (n > 4)
        return DEC_TRAILING;
    *rows = get_u16(p);
    *cols = get_u16(p + 2);
    return DEC_OK;
}

enum dec_status decode_signal(const uint8_t *p, uint32_t n, uint8_t *signo)
{
    if (n < 1)
        return DEC_SHORT;
    if (n > 1)
        return DEC_TRAILING;
    *signo = p[0];
    return DEC_OK;
}

enum dec_status decode_shutdown(const uint8_t *p, uint32_t n, uint8_t *mode)
{
    return decode_signal(p, n, mode);
}

const char *dec_status_text(enum dec_status s)
{
    switch (s) {
    case DEC_OK: return "ok";
    case DEC_SHORT: return "payload too short";
    case DEC_TRAILING: return "trailing bytes after payload";
    case DEC_NO_ARGV: return "argc must be at least 1";
    case DEC_BAD_ENV: return "env entry is not KEY=VALUE";
    }
    return "unknown";
}

size_t json_escape(char *out, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char tmp[6];
        size_t k = 0;
        if (c == '"' || c == '\\') {
            tmp[k++] = '\\';
            tmp[k++] = (char)c;
        } else if (c < 0x20) {
            tmp[k++] = '\\';
            tmp[k++] = 'u';
            tmp[k++] = '0';
            tmp[k++] = '0';
            tmp[k++] = hex[c >> 4];
            tmp[k++] = hex[c & 15];
        } else {
            tmp[k++] = (char)c;
        }
        for (size_t i = 0; i < k; i++, n++)
            if (n < cap)
                out[n] = tmp[i];
    }
    return n;
}

size_t format_hello(char *out, size_t cap, const char *version, const char *kernel,
                    uint64_t uptime_ms, const char *hostname)
{
    char k[256], h[256];
    size_t kn = json_escape(k, sizeof k - 1, kernel);
    size_t hn = json_escape(h, sizeof h - 1, hostname);
    if (kn >= sizeof k || hn >= sizeof h)
        return 0;
    k[kn] = 0;
    h[hn] = 0;
    int n = snprintf(out, cap,
                     "{\"agent_version\":\"%s\",\"kernel\":\"%s\",\"uptime_ms\":%llu,\"hostname\":\"%s\",\"flow_control\":true}",
                     version, k, (unsigned long long)uptime_ms, h);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}
