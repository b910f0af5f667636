/* banger-agent entry point: argument parsing only. */
#include "agent.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int usage(void)
{
    fprintf(stderr,
            "usage: banger-agent [--init | --device PATH | --connect-unix PATH | --grow-root DIR]\n"
            "  (no option)          serve on virtio-serial port " AGENT_PORT_NAME " and vsock port 52\n"
            "  --init               run as PID 1 (see docs/agent-protocol.md)\n"
            "  --device PATH        serve on PATH instead of discovering the port\n"
            "  --connect-unix PATH  connect to a Unix socket (tests); exit when it closes\n"
            "  --grow-root DIR      grow the ext4 mounted at DIR to its device's size (init.sh), then exit\n");
    return 2;
}

/* Pipes created later must not land on 0-2, or dup2 in the child would clobber them. */
static void ensure_std_fds(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
            return;
}

int main(int argc, char **argv)
{
    ensure_std_fds();
    struct agent_opts o = { .mode = MODE_DISCOVER, .path = NULL, .own_init = 0 };
    if (argc == 2 && strcmp(argv[1], "--init") == 0)
        return run_init();
    if (argc == 3 && strcmp(argv[1], "--device") == 0)
        o = (struct agent_opts){ .mode = MODE_DEVICE, .path = argv[2] };
    else if (argc == 3 && strcmp(argv[1], "--grow-root") == 0)
        return run_grow_root(argv[2]);
    else if (argc == 3 && strcmp(argv[1], "--connect-unix") == 0)
        o = (struct agent_opts){ .mode = MODE_CONNECT_UNIX, .path = argv[2] };
    else if (argc != 1)
        return usage();
    return run_server(&o);
}
