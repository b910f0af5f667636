/* libFuzzer target: the agent's frame reader fed in fuzzer-chosen chunk sizes,
 * with every complete frame handed to the payload decoder the agent would use.
 * Input layout: byte 0 picks the chunk size, the rest is the byte stream. */
#include "proto.h"

#include <string.h>

static uint8_t rbuf[FRAME_BUF_CAP];

static void decode(const struct frame *f)
{
    struct exec_req e;
    uint16_t a, b;
    uint8_t v;
    switch (f->type) {
    case T_EXEC:
        if (decode_exec(f->payload, f->payload_len, &e) == DEC_OK) {
            /* walk the strings exactly as spawn_session does */
            const char *s = e.args;
            for (uint16_t i = 0; i < e.argc; i++)
                s = next_string(s);
            s = e.envs;
            for (uint16_t i = 0; i < e.envc; i++)
                s = next_string(s);
            if (s != e.cwd)
                __builtin_trap();
        }
        break;
    case T_RESIZE: decode_resize(f->payload, f->payload_len, &a, &b); break;
    case T_SIGNAL: decode_signal(f->payload, f->payload_len, &v); break;
    case T_SHUTDOWN: decode_shutdown(f->payload, f->payload_len, &v); break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct frame_reader r;
    struct frame f;
    if (size < 1)
        return 0;
    size_t chunk = (size_t)data[0] + 1;
    data++;
    size--;
    reader_init(&r, rbuf, sizeof rbuf);
    while (size > 0) {
        size_t space;
        uint8_t *dst = reader_space(&r, &space);
        size_t n = chunk < size ? chunk : size;
        if (n > space)
            n = space;
        memcpy(dst, data, n);
        reader_commit(&r, n);
        data += n;
        size -= n;
        enum reader_event ev;
        while ((ev = reader_next(&r, &f)) != RD_NEED_MORE) {
            if (ev == RD_FRAME)
                decode(&f);
            else if (ev == RD_UNDERSIZED)
                reader_reset(&r);  /* the agent resynchronises the transport */
        }
        reader_compact(&r);
        if (r.have > r.cap || r.pos != 0)
            __builtin_trap();
    }
    return 0;
}
