/* --grow-root DIR: grow the ext4 filesystem mounted at DIR to fill its block device, online.
 *
 * The initramfs has busybox only (no resize2fs), and not every image ships e2fsprogs; the kernel's
 * own online resize (EXT4_IOC_RESIZE_FS, what resize2fs itself calls for a mounted filesystem) needs
 * nothing but the mount. The new size in filesystem blocks is the device's size rounded down; the
 * kernel does nothing when the filesystem already has that many and refuses to shrink. */
#define _GNU_SOURCE
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* From the kernel's fs/ext4/ext4.h (not exported in the uapi headers musl builds against). */
#define EXT4_IOC_RESIZE_FS _IOW('f', 16, uint64_t)
#define EXT4_SUPER_MAGIC 0xEF53

/* Size in bytes of the block device with this dev_t, from sysfs (512-byte sectors); 0 on error. */
static uint64_t device_bytes(dev_t dev)
{
    char path[64];
    snprintf(path, sizeof path, "/sys/dev/block/%u:%u/size", major(dev), minor(dev));
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    uint64_t sectors = 0;
    if (fscanf(f, "%" SCNu64, &sectors) != 1)
        sectors = 0;
    fclose(f);
    return sectors * 512;
}

int run_grow_root(const char *dir)
{
    struct stat st;
    struct statfs before, after;
    if (stat(dir, &st) != 0 || statfs(dir, &before) != 0) {
        fprintf(stderr, "grow-root: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if (before.f_type != EXT4_SUPER_MAGIC) {
        fprintf(stderr, "grow-root: %s is not ext4\n", dir);
        return 1;
    }
    uint64_t dev = device_bytes(st.st_dev);
    if (dev == 0 || before.f_bsize <= 0) {
        fprintf(stderr, "grow-root: size of device %u:%u unknown\n", major(st.st_dev), minor(st.st_dev));
        return 1;
    }
    uint64_t blocks = dev / (uint64_t)before.f_bsize;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ioctl(fd, EXT4_IOC_RESIZE_FS, &blocks) != 0) {
        fprintf(stderr, "grow-root: resize %s to %" PRIu64 " blocks: %s\n", dir, blocks, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 1;
    }
    close(fd);
    if (statfs(dir, &after) != 0)
        after = before;
    uint64_t was = (uint64_t)before.f_blocks * (uint64_t)before.f_bsize;
    uint64_t now = (uint64_t)after.f_blocks * (uint64_t)after.f_bsize;
    if (now > was)
        printf("grown %" PRIu64 " -> %" PRIu64 " bytes\n", was, now);
    else
        printf("unchanged %" PRIu64 " bytes\n", now);
    return 0;
}
