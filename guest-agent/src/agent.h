/* Internal interfaces shared by the agent's I/O side (server, exec, init). */
#ifndef BANGER_AGENT_H
#define BANGER_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

#define AGENT_VERSION "0.1.0"
#define AGENT_PORT_NAME "org.banger.agent"
#define AGENT_VSOCK_PORT 52

enum agent_mode {
    MODE_DISCOVER,      /* virtio-serial port by name, plus vsock */
    MODE_DEVICE,        /* --device PATH */
    MODE_CONNECT_UNIX,  /* --connect-unix PATH (tests; exits when the socket closes) */
};

struct agent_opts {
    enum agent_mode mode;
    const char *path;
    int own_init;       /* PID 1 is our own --init, signal it for shutdown */
};

int run_server(const struct agent_opts *opts);
int run_init(void);
int run_grow_root(const char *dir);

/* Outcome of spawning one exec session. */
struct spawned {
    pid_t pid;
    int in_fd;    /* pipe write end, or the PTY master for tty */
    int out_fd;   /* pipe read end, or the PTY master for tty */
    int err_fd;   /* pipe read end, -1 for tty */
};

/* Starts the command; on failure writes a message for EXEC_ERROR into err. */
int spawn_session(const struct exec_req *req, struct spawned *out, char *err, size_t errcap);
void set_winsize(int fd, uint16_t rows, uint16_t cols);

void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t now_ms(void);

#endif
