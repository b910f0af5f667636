/* --init: run as PID 1 after the initramfs switch_root. Either hand PID 1 to
 * the image's own /sbin/init and run the server beside it, or be a minimal
 * init: respawn the server, reap orphans, power off cleanly on request. */
#define _GNU_SOURCE
#include "agent.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RESPAWN_DELAY_MS 1000
#define TERM_GRACE_MS 2000

static void server_child(int own_init)
{
    struct agent_opts o = { .mode = MODE_DISCOVER, .path = NULL, .own_init = own_init };
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    _exit(run_server(&o));
}

/* The initramfs should have moved these over; mount them if it did not. */
static void ensure_mounts(void)
{
    mkdir("/proc", 0555);
    mkdir("/sys", 0555);
    mkdir("/dev", 0755);
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    mkdir("/dev/pts", 0755);
    mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666");
}

static void run_and_wait(const char *prog, char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        execv(prog, argv);
        _exit(127);
    }
    int st;
    if (pid > 0)
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) { }
}

/* Host keys then sshd, in a throwaway child so the agent never waits for it. */
static void start_sshd(void)
{
    if (access("/usr/sbin/sshd", X_OK) != 0)
        return;
    if (fork() != 0)
        return;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    char *keygen[] = { "ssh-keygen", "-A", NULL };
    if (access("/usr/bin/ssh-keygen", X_OK) == 0)
        run_and_wait("/usr/bin/ssh-keygen", keygen);
    mkdir("/run/sshd", 0755);  /* privilege separation dir many sshd builds insist on */
    char *sshd[] = { "/usr/sbin/sshd", NULL };
    execv("/usr/sbin/sshd", sshd);
    _exit(127);
}

static void reap_until(uint64_t deadline)
{
    while (now_ms() < deadline) {
        pid_t p = waitpid(-1, NULL, WNOHANG);
        if (p < 0 && errno == ECHILD)
            return;
        if (p <= 0) {
            struct timespec ts = { 0, 20 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
    }
}

static void unescape_mount_path(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
}

/* Read-only remount, innermost mounts first, so the disks are clean. */
static void remount_readonly(void)
{
    FILE *f = fopen("/proc/mounts", "re");
    if (f == NULL)
        return;
    char lines[64][256];
    int n = 0;
    char line[512];
    while (n < 64 && fgets(line, sizeof line, f) != NULL) {
        char *sp = strchr(line, ' ');
        if (sp == NULL)
            continue;
        char *target = sp + 1;
        char *end = strchr(target, ' ');
        if (end == NULL || (size_t)(end - target) >= sizeof lines[0])
            continue;
        *end = 0;
        snprintf(lines[n++], sizeof lines[0], "%s", target);
    }
    fclose(f);
    while (n-- > 0) {
        unescape_mount_path(lines[n]);
        mount(NULL, lines[n], NULL, MS_REMOUNT | MS_RDONLY, NULL);
    }
}

static void power_down(int cmd)
{
    log_msg("init: stopping all processes");
    kill(-1, SIGTERM);
    reap_until(now_ms() + TERM_GRACE_MS);
    kill(-1, SIGKILL);
    reap_until(now_ms() + 500);
    sync();
    remount_readonly();
    sync();
    reboot(cmd);
    log_msg("init: reboot: %s", strerror(errno));
    for (;;)
        pause();
}

static pid_t spawn_server(void)
{
    pid_t pid = fork();
    if (pid == 0)
        server_child(1);
    if (pid < 0)
        log_msg("init: fork: %s", strerror(errno));
    return pid;
}

int run_init(void)
{
    pid_t server = -1;
    if (access("/sbin/init", X_OK) == 0) {
        server = fork();
        if (server == 0)
            server_child(0);
        char *argv[] = { "/sbin/init", NULL };
        execv("/sbin/init", argv);
        log_msg("init: exec /sbin/init: %s; acting as init myself", strerror(errno));
        /* the server child above keeps running; we just become its reaper */
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGPWR);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    reboot(RB_DISABLE_CAD);  /* Ctrl-Alt-Del arrives as SIGINT instead */
    ensure_mounts();

    start_sshd();
    if (server < 0)
        server = spawn_server();
    uint64_t respawn_at = 0;
    for (;;) {
        struct timespec ts = { 0, 200 * 1000 * 1000 };
        siginfo_t si;
        int sig = sigtimedwait(&set, &si, &ts);
        if (sig == SIGTERM || sig == SIGINT || sig == SIGPWR)
            power_down(RB_POWER_OFF);
        if (sig == SIGUSR1)
            power_down(RB_AUTOBOOT);
        pid_t p;
        int st;
        while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
            if (p == server) {
                log_msg("init: agent server exited (status %d), respawning", st);
                server = -1;
                respawn_at = now_ms() + RESPAWN_DELAY_MS;
            }
        }
        if (server < 0 && respawn_at != 0 && now_ms() >= respawn_at) {
            server = spawn_server();
            respawn_at = server < 0 ? now_ms() + RESPAWN_DELAY_MS : 0;
        }
    }
}
