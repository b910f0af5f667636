/* Spawning exec sessions: argv/env assembly, PTY or pipes, and reporting
 * exec failures back through a close-on-exec pipe so the host gets a real
 * error message instead of a mysterious exit code 127. */
#define _GNU_SOURCE
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

enum child_stage { STAGE_EXEC, STAGE_CHDIR, STAGE_TTY };

struct child_failure {
    int stage;
    int err;
};

void set_winsize(int fd, uint16_t rows, uint16_t cols)
{
    if (rows == 0 || cols == 0)
        return;
    struct winsize ws = { .ws_row = rows, .ws_col = cols };
    ioctl(fd, TIOCSWINSZ, &ws);
}

static int has_key(const struct exec_req *req, const char *key)
{
    size_t klen = strlen(key);
    const char *e = req->envs;
    for (uint16_t i = 0; i < req->envc; i++, e = next_string(e))
        if (strncmp(e, key, klen) == 0 && e[klen] == '=')
            return 1;
    return 0;
}

/* Defaults first (unless the request sets that key), then the request's entries. */
static char **build_env(const struct exec_req *req)
{
    static const char *defaults[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME=/root",
        "TERM=xterm-256color",
    };
    static const char *keys[] = { "PATH", "HOME", "TERM" };
    size_t ndef = (req->flags & EXEC_FLAG_TTY) ? 3 : 2;
    char **env = calloc(ndef + req->envc + 1u, sizeof *env);
    if (env == NULL)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < ndef; i++)
        if (!has_key(req, keys[i]))
            env[n++] = (char *)defaults[i];
    const char *e = req->envs;
    for (uint16_t i = 0; i < req->envc; i++, e = next_string(e))
        env[n++] = (char *)e;
    env[n] = NULL;
    return env;
}

static const char *env_get(char **env, const char *key)
{
    size_t klen = strlen(key);
    for (; *env; env++)
        if (strncmp(*env, key, klen) == 0 && (*env)[klen] == '=')
            return *env + klen + 1;
    return NULL;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        c += w;
        n -= (size_t)w;
    }
}

static void child_fail(int errfd, int stage)
{
    struct child_failure f = { stage, errno };
    write_all(errfd, &f, sizeof f);
    _exit(127);
}

/* Runs in the forked child; never returns. */
static void child_main(const struct exec_req *req, char **argv, char **env, const char *slave,
                       int fds[3], int errfd)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);

    setsid();  /* own process group, so SIGNAL reaches the whole job */
    if (slave != NULL) {
        int t = open(slave, O_RDWR);
        if (t < 0 || ioctl(t, TIOCSCTTY, 0) < 0)
            child_fail(errfd, STAGE_TTY);
        fds[0] = fds[1] = fds[2] = t;
    }
    for (int i = 0; i < 3; i++)
        if (dup2(fds[i], i) < 0)
            child_fail(errfd, STAGE_TTY);
    for (int i = 0; i < 3; i++)
        if (fds[i] > 2 && (i == 0 || fds[i] != fds[i - 1]))
            close(fds[i]);

    if (req->cwd[0] != '\0') {
        if (chdir(req->cwd) < 0)
            child_fail(errfd, STAGE_CHDIR);
    } else {
        /* $HOME is a convenience; a missing home must not make exec fail */
        const char *home = env_get(env, "HOME");
        if (home == NULL || chdir(home) < 0)
            chdir("/");
    }
    environ = env;  /* so execvp searches the request's PATH */
    execvp(argv[0], argv);
    child_fail(errfd, STAGE_EXEC);
}

static int open_pty(const struct exec_req *req, int *master, char *slave, size_t cap)
{
    *master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (*master < 0)
        return -1;
    if (grantpt(*master) < 0 || unlockpt(*master) < 0 || ptsname_r(*master, slave, cap) != 0) {
        close_fd(master);
        return -1;
    }
    set_winsize(*master, req->rows, req->cols);
    return 0;
}

int spawn_session(const struct exec_req *req, struct spawned *out, char *err, size_t errcap)
{
    int tty = (req->flags & EXEC_FLAG_TTY) != 0;
    int in[2] = { -1, -1 }, o[2] = { -1, -1 }, e[2] = { -1, -1 }, ep[2] = { -1, -1 };
    int master = -1;
    char slave[64];
    char **argv = calloc(req->argc + 1u, sizeof *argv);
    char **env = build_env(req);
    int rc = -1;

    if (argv == NULL || env == NULL) {
        snprintf(err, errcap, "out of memory");
        goto done;
    }
    const char *a = req->args;
    for (uint16_t i = 0; i < req->argc; i++, a = next_string(a))
        argv[i] = (char *)a;

    if (tty ? open_pty(req, &master, slave, sizeof slave) < 0
            : (pipe2(in, O_CLOEXEC) < 0 || pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0)) {
        snprintf(err, errcap, "%s: %s", tty ? "pty" : "pipe", strerror(errno));
        goto done;
    }
    if (pipe2(ep, O_CLOEXEC) < 0) {
        snprintf(err, errcap, "pipe: %s", strerror(errno));
        goto done;
    }

    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errcap, "fork: %s", strerror(errno));
        goto done;
    }
    if (pid == 0) {
        int fds[3] = { in[0], o[1], e[1] };
        close(ep[0]);
        child_main(req, argv, env, tty ? slave : NULL, fds, ep[1]);
    }

    close_fd(&ep[1]);
    close_fd(&in[0]);
    close_fd(&o[1]);
    close_fd(&e[1]);
    struct child_failure f;
    ssize_t r;
    do {
        r = read(ep[0], &f, sizeof f);
    } while (r < 0 && errno == EINTR);
    if (r == (ssize_t)sizeof f) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) { }
        if (f.stage == STAGE_CHDIR)
            snprintf(err, errcap, "%s: %s", strerror(f.err), req->cwd);
        else if (f.stage == STAGE_TTY)
            snprintf(err, errcap, "tty setup: %s", strerror(f.err));
        else
            snprintf(err, errcap, "%s: %s", strerror(f.err), argv[0]);
        goto done;
    }

    out->pid = pid;
    if (tty) {
        out->in_fd = out->out_fd = master;
        out->err_fd = -1;
        master = -1;
    } else {
        out->in_fd = in[1];
        out->out_fd = o[0];
        out->err_fd = e[0];
        in[1] = o[0] = e[0] = -1;
    }
    nonblock(out->in_fd);
    nonblock(out->out_fd);
    if (out->err_fd >= 0)
        nonblock(out->err_fd);
    rc = 0;

done:
    for (int i = 0; i < 2; i++) {
        close_fd(&in[i]);
        close_fd(&o[i]);
        close_fd(&e[i]);
        close_fd(&ep[i]);
    }
    close_fd(&master);
    free(argv);
    free(env);
    return rc;
}
