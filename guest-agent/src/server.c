/* The agent server: one poll loop over the transports and all exec sessions.
 * Single-threaded on purpose: every fd is non-blocking, and all protocol
 * parsing goes through proto.c. */
#define _GNU_SOURCE
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* musl ships no linux/vm_sockets.h */
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
struct sockaddr_vm_local {
    sa_family_t svm_family;
    unsigned short svm_reserved1;
    unsigned int svm_port;
    unsigned int svm_cid;
    unsigned char svm_zero[sizeof(struct sockaddr) - sizeof(sa_family_t) - sizeof(unsigned short)
                           - 2 * sizeof(unsigned int)];
};
#define VMADDR_CID_ANY_LOCAL 0xFFFFFFFFu

#define INITIAL_CREDIT (1u << 20)       /* a credited session's output before the first OUTPUT_ACK */
#define OUT_HIGH_WATER (256u * 1024)     /* stop reading sessions/host above this */
#define OUT_HARD_CAP (16u * 1024 * 1024) /* a host that never reads loses its frames */
#define STDIN_CAP (8u * 1024 * 1024)
#define CHUNK (64u * 1024)
#define EXIT_DRAIN_MS 200
#define RETRY_MS 100
#define MAX_SESSIONS 1024
#define MAX_STREAM_CONNS 8

struct outbuf {
    uint8_t *data;
    size_t off, len, cap;
};

enum conn_kind { CONN_DEVICE, CONN_STREAM };

struct conn {
    struct conn *next;
    enum conn_kind kind;
    int fd;          /* -1 while a device is not found/open */
    int hup;         /* device: host side not connected */
    int dead;
    struct frame_reader rd;
    struct outbuf out;
};

struct session {
    struct session *next;
    struct conn *conn;
    uint32_t channel;
    pid_t pid;
    int tty;
    int in_fd, out_fd, err_fd;  /* for tty in_fd == out_fd (the PTY master) */
    struct outbuf in;
    int stdin_eof;
    int exited, status;
    uint64_t exit_at;
    int dead;
    int credited;     /* EXEC_FLAG_CREDIT: output is read only while credit > 0 */
    uint64_t credit;  /* output bytes the host still accepts (OUTPUT_ACK adds to it) */
};

static const struct agent_opts *g_opts;
static struct conn *g_conns;
static struct session *g_sessions;
static int g_nsessions;
static uint8_t g_chunk[CHUNK];

void log_msg(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    dprintf(2, "banger-agent: %.*s", n, line);
}

uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- buffers ---- */

static int outbuf_append(struct outbuf *b, const void *p, size_t n, size_t cap)
{
    if (b->off > 0 && b->off == b->len)
        b->off = b->len = 0;
    if (b->len - b->off + n > cap)
        return -1;
    if (b->len + n > b->cap) {
        if (b->off > 0) {
            memmove(b->data, b->data + b->off, b->len - b->off);
            b->len -= b->off;
            b->off = 0;
        }
        if (b->len + n > b->cap) {
            size_t ncap = b->cap ? b->cap : 4096;
            while (ncap < b->len + n)
                ncap *= 2;
            uint8_t *d = realloc(b->data, ncap);
            if (d == NULL)
                return -1;
            b->data = d;
            b->cap = ncap;
        }
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static size_t outbuf_pending(const struct outbuf *b)
{
    return b->len - b->off;
}

static void outbuf_clear(struct outbuf *b)
{
    b->off = b->len = 0;
}

static void outbuf_free(struct outbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* Writes what the fd takes now; returns -1 on a hard error. */
static int outbuf_flush(struct outbuf *b, int fd)
{
    while (outbuf_pending(b) > 0) {
        ssize_t w = write(fd, b->data + b->off, outbuf_pending(b));
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return 0;
        if (w <= 0)
            return -1;
        b->off += (size_t)w;
    }
    outbuf_clear(b);
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* ---- sending ---- */

static void send_frame(struct conn *c, uint8_t type, uint32_t ch, const void *payload, size_t n)
{
    uint8_t hdr[FRAME_HDR];
    if (c->dead || n > FRAME_MAX_PAYLOAD)
        return;
    if (outbuf_pending(&c->out) + FRAME_HDR + n > OUT_HARD_CAP) {
        /* only control traffic can get here (sessions stop at the high-water mark) */
        log_msg("host is not reading; dropping frame type 0x%02x", type);
        return;
    }
    encode_header(hdr, type, ch, (uint32_t)n);
    if (outbuf_append(&c->out, hdr, sizeof hdr, OUT_HARD_CAP) < 0
        || outbuf_append(&c->out, payload, n, OUT_HARD_CAP) < 0)
        log_msg("out of memory queueing frame");
}

static void send_text(struct conn *c, uint8_t type, uint32_t ch, const char *msg)
{
    send_frame(c, type, ch, msg, strlen(msg));
}

static void send_u32(struct conn *c, uint8_t type, uint32_t ch, uint32_t v)
{
    uint8_t p[4];
    put_u32(p, v);
    send_frame(c, type, ch, p, sizeof p);
}

static void send_error(struct conn *c, uint32_t ch, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void send_error(struct conn *c, uint32_t ch, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    send_text(c, T_ERROR, ch, msg);
}

static uint64_t uptime_ms(void)
{
    char buf[64];
    int fd = open("/proc/uptime", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    /* "12345.67 ..." parsed by hand: no floating point needed */
    uint64_t secs = 0, frac = 0;
    int digits = 0;
    char *p = buf;
    for (; *p >= '0' && *p <= '9'; p++)
        secs = secs * 10 + (uint64_t)(*p - '0');
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
            frac = frac * 10 + (uint64_t)(*p - '0');
    for (; digits < 3; digits++)
        frac *= 10;
    return secs * 1000 + frac;
}

static void send_hello(struct conn *c)
{
    struct utsname u;
    char json[1024];
    char host[256] = "";
    if (uname(&u) < 0)
        memset(&u, 0, sizeof u);
    if (gethostname(host, sizeof host - 1) < 0)
        host[0] = 0;
    size_t n = format_hello(json, sizeof json, AGENT_VERSION, u.release, uptime_ms(), host);
    send_frame(c, T_HELLO, 0, json, n);
}

/* ---- sessions ---- */

static struct session *find_session(struct conn *c, uint32_t ch)
{
    for (struct session *s = g_sessions; s; s = s->next)
        if (!s->dead && s->conn == c && s->channel == ch)
            return s;
    return NULL;
}

static void session_close_fds(struct session *s)
{
    if (s->tty) {
        s->in_fd = -1;  /* same fd as out_fd */
        close_fd(&s->out_fd);
    } else {
        close_fd(&s->in_fd);
        close_fd(&s->out_fd);
        close_fd(&s->err_fd);
    }
}

/* Ends the session without EXIT: used for EXEC_ERROR and lost connections. */
static void session_kill(struct session *s)
{
    if (!s->exited)
        kill(-s->pid, SIGKILL);
    session_close_fds(s);
    s->dead = 1;
}

static void session_exit(struct session *s)
{
    int code = WIFEXITED(s->status) ? WEXITSTATUS(s->status)
             : WIFSIGNALED(s->status) ? 128 + WTERMSIG(s->status) : 255;
    session_close_fds(s);
    send_u32(s->conn, T_EXIT, s->channel, (uint32_t)code);
    s->dead = 1;
}

/* Reads one chunk of child output; returns 0 on data/EAGAIN, -1 when the fd is done. */
static void ack_stdin(struct session *s, size_t n);

static int pump_output(struct session *s, int *fd, uint8_t type)
{
    size_t want = sizeof g_chunk;
    if (s->credited && want > s->credit)
        want = (size_t)s->credit;
    if (want == 0)
        return 0;
    ssize_t n = read(*fd, g_chunk, want);
    if (n > 0) {
        if (s->credited)
            s->credit -= (uint64_t)n;
        send_frame(s->conn, type, s->channel, g_chunk, (size_t)n);
        return 0;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    /* EOF, or EIO from a PTY master once every slave fd is closed */
    if (s->tty) {
        s->in_fd = -1;
        ack_stdin(s, outbuf_pending(&s->in));
        outbuf_clear(&s->in);
    }
    close_fd(fd);
    return -1;
}

/* STDIN_ACK: n more bytes of this session's stdin are no longer held here (written to the child,
 * or dropped because it stopped reading), so the host may send that many more. */
static void ack_stdin(struct session *s, size_t n)
{
    if (n > 0)
        send_u32(s->conn, T_STDIN_ACK, s->channel, (uint32_t)n);
}

static void pump_stdin(struct session *s)
{
    if (s->in_fd < 0)
        return;
    size_t before = outbuf_pending(&s->in);
    if (outbuf_flush(&s->in, s->in_fd) < 0) {
        /* reader gone (EPIPE): nothing more can be delivered */
        outbuf_clear(&s->in);
        ack_stdin(s, before);
        if (!s->tty)
            close_fd(&s->in_fd);
        return;
    }
    ack_stdin(s, before - outbuf_pending(&s->in));
    if (s->stdin_eof && outbuf_pending(&s->in) == 0 && !s->tty)
        close_fd(&s->in_fd);
}

/* After the child exits, its output is already in the pipe/PTY; take what is
 * there (bounded, in case a background grandchild keeps writing). */
static void final_drain(struct session *s)
{
    for (int i = 0; i < 16 && s->out_fd >= 0; i++) {
        ssize_t n = read(s->out_fd, g_chunk, sizeof g_chunk);
        if (n <= 0)
            break;
        send_frame(s->conn, T_STDOUT, s->channel, g_chunk, (size_t)n);
    }
    for (int i = 0; i < 16 && s->err_fd >= 0; i++) {
        ssize_t n = read(s->err_fd, g_chunk, sizeof g_chunk);
        if (n <= 0)
            break;
        send_frame(s->conn, T_STDERR, s->channel, g_chunk, (size_t)n);
    }
}

static void reap_children(void)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (struct session *s = g_sessions; s; s = s->next) {
            if (s->pid == pid && !s->exited) {
                s->exited = 1;
                s->status = st;
                s->exit_at = now_ms();
                break;
            }
        }
    }
}

static void check_finished(struct session *s)
{
    if (s->dead || !s->exited)
        return;
    if (s->out_fd >= 0 || s->err_fd >= 0) {
        if (now_ms() < s->exit_at + EXIT_DRAIN_MS)
            return;
        final_drain(s);
    }
    session_exit(s);
}

/* ---- requests ---- */

static void handle_exec(struct conn *c, const struct frame *f)
{
    struct exec_req req;
    char err[300];

    if (f->channel == 0) {
        send_error(c, 0, "EXEC on control channel 0");
        return;
    }
    if (find_session(c, f->channel) != NULL) {
        send_error(c, f->channel, "duplicate channel %u", f->channel);
        return;
    }
    enum dec_status d = decode_exec(f->payload, f->payload_len, &req);
    if (d == DEC_SHORT || d == DEC_TRAILING) {
        send_error(c, f->channel, "EXEC: %s", dec_status_text(d));
        return;
    }
    if (d != DEC_OK) {
        send_text(c, T_EXEC_ERROR, f->channel, dec_status_text(d));
        return;
    }
    if (g_nsessions >= MAX_SESSIONS) {
        send_text(c, T_EXEC_ERROR, f->channel, "too many sessions");
        return;
    }
    struct spawned sp;
    if (spawn_session(&req, &sp, err, sizeof err) < 0) {
        send_text(c, T_EXEC_ERROR, f->channel, err);
        return;
    }
    struct session *s = calloc(1, sizeof *s);
    if (s == NULL) {
        kill(-sp.pid, SIGKILL);
        close(sp.out_fd);
        if (sp.err_fd >= 0) {
            close(sp.in_fd);
            close(sp.err_fd);
        }
        send_text(c, T_EXEC_ERROR, f->channel, "out of memory");
        return;
    }
    s->conn = c;
    s->channel = f->channel;
    s->pid = sp.pid;
    s->tty = (req.flags & EXEC_FLAG_TTY) != 0;
    s->credited = (req.flags & EXEC_FLAG_CREDIT) != 0;
    s->credit = INITIAL_CREDIT;
    s->in_fd = sp.in_fd;
    s->out_fd = sp.out_fd;
    s->err_fd = sp.err_fd;
    s->next = g_sessions;
    g_sessions = s;
    g_nsessions++;
    send_u32(c, T_STARTED, f->channel, (uint32_t)sp.pid);
}

static void handle_stdin(struct conn *c, const struct frame *f)
{
    struct session *s = find_session(c, f->channel);
    if (s == NULL) {
        send_error(c, f->channel, "STDIN for unknown channel %u", f->channel);
        return;
    }
    if (f->payload_len == 0) {
        s->stdin_eof = 1;
        pump_stdin(s);
        return;
    }
    if (s->stdin_eof || s->in_fd < 0) {
        ack_stdin(s, f->payload_len);
        return;  /* the child stopped reading; drop like a closed pipe would */
    }
    if (outbuf_append(&s->in, f->payload, f->payload_len, STDIN_CAP) < 0) {
        session_kill(s);
        send_text(c, T_EXEC_ERROR, s->channel, "stdin buffer overflow (8 MiB)");
        return;
    }
    pump_stdin(s);
}

static void handle_resize(struct conn *c, const struct frame *f)
{
    uint16_t rows, cols;
    enum dec_status d = decode_resize(f->payload, f->payload_len, &rows, &cols);
    struct session *s = find_session(c, f->channel);
    if (d != DEC_OK) {
        send_error(c, f->channel, "RESIZE: %s", dec_status_text(d));
    } else if (s == NULL) {
        send_error(c, f->channel, "RESIZE for unknown channel %u", f->channel);
    } else if (s->tty && s->out_fd >= 0) {
        set_winsize(s->out_fd, rows, cols);
    }
}

static void handle_signal(struct conn *c, const struct frame *f)
{
    uint8_t signo;
    enum dec_status d = decode_signal(f->payload, f->payload_len, &signo);
    struct session *s = find_session(c, f->channel);
    if (d != DEC_OK) {
        send_error(c, f->channel, "SIGNAL: %s", dec_status_text(d));
    } else if (s == NULL) {
        send_error(c, f->channel, "SIGNAL for unknown channel %u", f->channel);
    } else if (signo == 0 || signo >= NSIG) {
        send_error(c, f->channel, "SIGNAL: bad signal number %u", signo);
    } else if (!s->exited) {
        kill(-s->pid, signo);
    }
}

/* Best effort to get the ACK out before the machine goes away. */
static void flush_blocking(struct conn *c, int timeout_ms)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    while (c->fd >= 0 && outbuf_pending(&c->out) > 0 && now_ms() < deadline) {
        struct pollfd p = { .fd = c->fd, .events = POLLOUT };
        if (poll(&p, 1, 50) > 0 && outbuf_flush(&c->out, c->fd) < 0)
            return;
    }
}

static void do_shutdown(int reboot_mode)
{
    sync();
    if (g_opts->own_init) {
        kill(1, reboot_mode ? SIGUSR1 : SIGTERM);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        const char *prog = reboot_mode ? "/sbin/reboot" : "/sbin/poweroff";
        execl(prog, prog, (char *)NULL);
        _exit(127);
    }
    int st = -1;
    if (pid > 0)
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) { }
    if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return;
    sync();
    if (reboot(reboot_mode ? RB_AUTOBOOT : RB_POWER_OFF) < 0)
        log_msg("reboot: %s", strerror(errno));
}

static void handle_shutdown(struct conn *c, const struct frame *f)
{
    uint8_t mode;
    enum dec_status d = decode_shutdown(f->payload, f->payload_len, &mode);
    if (f->channel != 0) {
        send_error(c, f->channel, "SHUTDOWN must use channel 0");
        return;
    }
    if (d != DEC_OK || mode > 1) {
        send_error(c, 0, "SHUTDOWN: %s", d != DEC_OK ? dec_status_text(d) : "mode must be 0 or 1");
        return;
    }
    send_frame(c, T_SHUTDOWN_ACK, 0, NULL, 0);
    flush_blocking(c, 1000);
    if (g_opts->mode == MODE_CONNECT_UNIX) {
        /* test mode runs on a developer's host: never power anything off */
        log_msg("SHUTDOWN (mode %u) acknowledged; test mode, exiting", mode);
        exit(0);
    }
    do_shutdown(mode);
}

/* OUTPUT_ACK: the host took n more bytes of a credited session's output. An ack may cross the
 * session's EXIT on the wire, so an unknown channel is not an error. */
static void handle_output_ack(struct conn *c, const struct frame *f)
{
    if (f->channel == 0 || f->payload_len != 4) {
        send_error(c, f->channel, "OUTPUT_ACK: %s", f->channel == 0 ? "must not use channel 0" : "payload must be a u32");
        return;
    }
    struct session *s = find_session(c, f->channel);
    if (s != NULL) {
        s->credit += get_u32(f->payload);
        if (s->credit > 64u * 1024 * 1024)
            s->credit = 64u * 1024 * 1024;
    }
}

static void dispatch(struct conn *c, const struct frame *f)
{
    switch (f->type) {
    case T_HELLO_REQ:
        if (f->channel != 0)
            send_error(c, f->channel, "HELLO_REQ must use channel 0");
        else
            send_hello(c);
        break;
    case T_EXEC: handle_exec(c, f); break;
    case T_STDIN: handle_stdin(c, f); break;
    case T_RESIZE: handle_resize(c, f); break;
    case T_SIGNAL: handle_signal(c, f); break;
    case T_OUTPUT_ACK: handle_output_ack(c, f); break;
    case T_SHUTDOWN: handle_shutdown(c, f); break;
    default:
        send_error(c, f->channel, "unknown frame type 0x%02x", f->type);
        break;
    }
}

/* ---- transports ---- */

static int find_port_device(char *path, size_t cap)
{
    DIR *d = opendir("/sys/class/virtio-ports");
    if (d == NULL)
        return -1;
    struct dirent *e;
    int found = -1;
    while (found < 0 && (e = readdir(d)) != NULL) {
        char namefile[300], name[64];
        if (e->d_name[0] == '.')
            continue;
        snprintf(namefile, sizeof namefile, "/sys/class/virtio-ports/%s/name", e->d_name);
        int fd = open(namefile, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, name, sizeof name - 1);
        close(fd);
        if (n <= 0)
            continue;
        name[n] = 0;
        name[strcspn(name, "\n")] = 0;
        if (strcmp(name, AGENT_PORT_NAME) == 0) {
            snprintf(path, cap, "/dev/%s", e->d_name);
            found = 0;
        }
    }
    closedir(d);
    return found;
}

static struct conn *conn_new(enum conn_kind kind, int fd)
{
    struct conn *c = calloc(1, sizeof *c);
    uint8_t *buf = malloc(FRAME_BUF_CAP);
    if (c == NULL || buf == NULL) {
        free(c);
        free(buf);
        return NULL;
    }
    c->kind = kind;
    c->fd = fd;
    reader_init(&c->rd, buf, FRAME_BUF_CAP);
    c->next = g_conns;
    g_conns = c;
    return c;
}

/* Opens the device if we can; sends the unsolicited HELLO on every (re)open. */
static void device_try_open(struct conn *c)
{
    char path[300];
    const char *p = g_opts->path;
    if (g_opts->mode == MODE_DISCOVER) {
        if (find_port_device(path, sizeof path) < 0)
            return;
        p = path;
    }
    int fd = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return;
    c->fd = fd;
    c->hup = 0;
    reader_reset(&c->rd);
    outbuf_clear(&c->out);
    send_hello(c);
}

/* The host went away: its half-read input and our half-written output are
 * meaningless to the next host, but the sessions keep running. */
static void device_hangup(struct conn *c)
{
    c->hup = 1;
    reader_reset(&c->rd);
    outbuf_clear(&c->out);
}

static void device_check_reconnect(struct conn *c)
{
    struct pollfd p = { .fd = c->fd, .events = POLLIN };
    struct stat st;
    if (poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP)) {
        c->hup = 0;
        if (fstat(c->fd, &st) == 0 && !S_ISREG(st.st_mode))
            send_hello(c);  /* a new host is there: greet it */
    }
}

static void conn_drop(struct conn *c)
{
    if (c->kind == CONN_DEVICE) {
        close_fd(&c->fd);
        device_hangup(c);
        return;
    }
    for (struct session *s = g_sessions; s; s = s->next)
        if (!s->dead && s->conn == c)
            session_kill(s);
    close_fd(&c->fd);
    c->dead = 1;
}

/* len < 5: the stream has no frame boundary left to find. */
static void conn_resync(struct conn *c)
{
    if (c->kind == CONN_DEVICE) {
        /* closing the port discards its pending input; reopen at once (fresh HELLO) */
        close_fd(&c->fd);
        device_hangup(c);
        device_try_open(c);
        return;
    }
    /* a socket cannot be reopened from this side: drop everything already sent */
    reader_reset(&c->rd);
    for (int i = 0; i < 16; i++) {
        ssize_t n = read(c->fd, g_chunk, sizeof g_chunk);
        if (n == 0) {
            conn_drop(c);
            return;
        }
        if (n < 0)
            break;
    }
}

static void conn_readable(struct conn *c)
{
    size_t space;
    uint8_t *dst = reader_space(&c->rd, &space);
    ssize_t n = read(c->fd, dst, space);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        if (c->kind == CONN_DEVICE)
            device_hangup(c);  /* EOF here means the host disconnected */
        else
            conn_drop(c);
        return;
    }
    reader_commit(&c->rd, (size_t)n);
    struct frame f;
    enum reader_event ev;
    while (!c->dead && c->fd >= 0 && !c->hup && (ev = reader_next(&c->rd, &f)) != RD_NEED_MORE) {
        if (ev == RD_FRAME) {
            dispatch(c, &f);
        } else if (ev == RD_OVERSIZED) {
            send_error(c, f.channel, "frame length exceeds %u bytes, discarding it", FRAME_MAX_LEN);
        } else {
            /* resync first: whatever the host sends after seeing the ERROR must survive */
            conn_resync(c);
            if (!c->dead && c->fd >= 0)
                send_error(c, 0, "frame length below 5, resynchronised transport");
            return;
        }
    }
    reader_compact(&c->rd);
}

static int vsock_listen(void)
{
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_vm_local a;
    memset(&a, 0, sizeof a);
    a.svm_family = AF_VSOCK;
    a.svm_port = AGENT_VSOCK_PORT;
    a.svm_cid = VMADDR_CID_ANY_LOCAL;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void vsock_accept(int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    int n = 0;
    for (struct conn *c = g_conns; c; c = c->next)
        n += c->kind == CONN_STREAM && !c->dead;
    struct conn *c = n < MAX_STREAM_CONNS ? conn_new(CONN_STREAM, fd) : NULL;
    if (c == NULL) {
        close(fd);
        return;
    }
    send_hello(c);
}

static int connect_unix(const char *path)
{
    struct sockaddr_un a;
    if (strlen(path) >= sizeof a.sun_path) {
        log_msg("socket path too long: %s", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, path);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        log_msg("connect %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* ---- main loop ---- */

enum pkind { P_SIGNAL, P_LISTEN, P_CONN, P_OUT, P_ERR, P_IN };

struct pslot {
    enum pkind kind;
    void *ptr;
};

static void sweep(void)
{
    for (struct session **pp = &g_sessions; *pp;) {
        struct session *s = *pp;
        if (s->dead) {
            *pp = s->next;
            outbuf_free(&s->in);
            free(s);
            g_nsessions--;
        } else {
            pp = &s->next;
        }
    }
    for (struct conn **pp = &g_conns; *pp;) {
        struct conn *c = *pp;
        if (c->dead) {
            *pp = c->next;
            outbuf_free(&c->out);
            free(c->rd.buf);
            free(c);
        } else {
            pp = &c->next;
        }
    }
}

int run_server(const struct agent_opts *opts)
{
    g_opts = opts;
    signal(SIGPIPE, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        log_msg("signalfd: %s", strerror(errno));
        return 1;
    }

    struct conn *device = NULL;
    int lfd = -1;
    if (opts->mode == MODE_CONNECT_UNIX) {
        int fd = connect_unix(opts->path);
        if (fd < 0 || conn_new(CONN_STREAM, fd) == NULL)
            return 1;
        send_hello(g_conns);
    } else {
        device = conn_new(CONN_DEVICE, -1);
        if (device == NULL)
            return 1;
        if (opts->mode == MODE_DISCOVER)
            lfd = vsock_listen();  /* absent on QEMU virtio-serial guests; fine */
    }

    size_t cap = 0;
    struct pollfd *pfd = NULL;
    struct pslot *slot = NULL;
    for (;;) {
        if (device != NULL && device->fd < 0)
            device_try_open(device);
        if (device != NULL && device->fd >= 0 && device->hup)
            device_check_reconnect(device);
        if (opts->mode == MODE_CONNECT_UNIX && g_conns == NULL) {
            log_msg("connection closed, exiting");
            return 0;
        }

        size_t need = 2 + 1;
        for (struct conn *c = g_conns; c; c = c->next)
            need++;
        need += 3 * (size_t)g_nsessions;
        if (need > cap) {
            cap = need * 2;
            pfd = realloc(pfd, cap * sizeof *pfd);
            slot = realloc(slot, cap * sizeof *slot);
            if (pfd == NULL || slot == NULL) {
                log_msg("out of memory");
                return 1;
            }
        }

        size_t n = 0;
        int timeout = -1;
        pfd[n] = (struct pollfd){ .fd = sfd, .events = POLLIN };
        slot[n++] = (struct pslot){ P_SIGNAL, NULL };
        if (lfd >= 0) {
            pfd[n] = (struct pollfd){ .fd = lfd, .events = POLLIN };
            slot[n++] = (struct pslot){ P_LISTEN, NULL };
        }
        for (struct conn *c = g_conns; c; c = c->next) {
            if (c->fd < 0 || c->hup) {
                timeout = RETRY_MS;  /* not found, or host away: look again, don't spin */
                continue;
            }
            short ev = outbuf_pending(&c->out) > 0 ? POLLOUT : 0;
            if (outbuf_pending(&c->out) < OUT_HIGH_WATER)
                ev |= POLLIN;
            pfd[n] = (struct pollfd){ .fd = c->fd, .events = ev };
            slot[n++] = (struct pslot){ P_CONN, c };
        }
        for (struct session *s = g_sessions; s; s = s->next) {
            int room = outbuf_pending(&s->conn->out) < OUT_HIGH_WATER && (!s->credited || s->credit > 0);
            short oev = s->out_fd >= 0 && room ? POLLIN : 0;
            if (s->tty && s->out_fd >= 0 && outbuf_pending(&s->in) > 0)
                oev |= POLLOUT;  /* tty stdin goes to the same PTY master */
            if (oev != 0) {
                pfd[n] = (struct pollfd){ .fd = s->out_fd, .events = oev };
                slot[n++] = (struct pslot){ P_OUT, s };
            }
            if (s->err_fd >= 0 && room) {
                pfd[n] = (struct pollfd){ .fd = s->err_fd, .events = POLLIN };
                slot[n++] = (struct pslot){ P_ERR, s };
            }
            if (s->in_fd >= 0 && outbuf_pending(&s->in) > 0 && !s->tty) {
                pfd[n] = (struct pollfd){ .fd = s->in_fd, .events = POLLOUT };
                slot[n++] = (struct pslot){ P_IN, s };
            }
            if (s->exited) {
                uint64_t left = s->exit_at + EXIT_DRAIN_MS;
                uint64_t now = now_ms();
                int t = left > now ? (int)(left - now) + 1 : 0;
                if (timeout < 0 || t < timeout)
                    timeout = t;
            }
        }

        int r = poll(pfd, n, timeout);
        if (r < 0 && errno != EINTR) {
            log_msg("poll: %s", strerror(errno));
            return 1;
        }
        for (size_t i = 0; r > 0 && i < n; i++) {
            short re = pfd[i].revents;
            if (re == 0)
                continue;
            struct session *s = slot[i].ptr;
            struct conn *c = slot[i].ptr;
            switch (slot[i].kind) {
            case P_SIGNAL: {
                struct signalfd_siginfo si;
                while (read(sfd, &si, sizeof si) > 0) { }
                reap_children();
                break;
            }
            case P_LISTEN:
                vsock_accept(lfd);
                break;
            case P_OUT:
                if (!s->dead && (re & POLLOUT))
                    pump_stdin(s);
                if (!s->dead && s->out_fd >= 0 && (re & (POLLIN | POLLHUP | POLLERR)))
                    pump_output(s, &s->out_fd, T_STDOUT);
                break;
            case P_ERR:
                if (!s->dead && s->err_fd >= 0)
                    pump_output(s, &s->err_fd, T_STDERR);
                break;
            case P_IN:
                if (!s->dead)
                    pump_stdin(s);
                break;
            case P_CONN:
                if (c->dead || c->fd < 0 || c->hup)
                    break;
                if ((re & POLLOUT) && outbuf_flush(&c->out, c->fd) < 0) {
                    if (c->kind == CONN_DEVICE)
                        device_hangup(c);
                    else
                        conn_drop(c);
                    break;
                }
                if (re & (POLLIN | POLLHUP | POLLERR))
                    conn_readable(c);
                break;
            }
        }
        for (struct session *s = g_sessions; s; s = s->next)
            check_finished(s);
        sweep();
    }
}
