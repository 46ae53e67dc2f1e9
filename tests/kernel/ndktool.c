/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A tiny test helper for the mdev scenarios, shell-independent.
 *
 *   ndktool write FILE VALUE   write VALUE (no newline added) in one write()
 *   ndktool read FILE          print the file's content
 *   ndktool hold GROUPDEV UUID hold UUID's VFIO device fd open until a signal
 *
 * "write" and "read" print "OK" (read: then the content) or the errno's
 * symbolic name ("EEXIST", "ENOSPC"...) and exit 0, so a scenario can
 * compare the kernel's exact errno whatever shell runs it (dash reports
 * every write error as "I/O error").
 *
 * "hold" does what a VM does with an mdev: opens the VFIO container and the
 * group, attaches the group to the container, selects the type1 IOMMU and
 * gets the device fd. It prints "ready" once the fd is held and then waits
 * for SIGTERM/SIGINT. While it holds the fd, the kernel blocks a write to the
 * device's "remove" and opening the group again gives EBUSY.
 *
 * Built statically for the real-kernel guest (tests/kernel/run) and by meson
 * for the mdevsim side.
 */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE  /* strerrorname_np(); meson passes it already */
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

static const char *
errnoName(int err)
{
    static char buf[32];
    const char *name = strerrorname_np(err);

    if (name)
        return name;
    snprintf(buf, sizeof(buf), "errno=%d", err);
    return buf;
}

static int
cmdWrite(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t len = (ssize_t)strlen(value);
    ssize_t n;

    if (fd < 0) {
        printf("%s\n", errnoName(errno));
        return 0;
    }
    n = write(fd, value, (size_t)len);
    if (n < 0) {
        printf("%s\n", errnoName(errno));
    } else if (n != len) {
        printf("SHORT %zd/%zd\n", n, len);
    } else if (close(fd) < 0) {
        fd = -1;
        printf("%s\n", errnoName(errno));
    } else {
        fd = -1;
        printf("OK\n");
    }
    if (fd >= 0)
        close(fd);
    return 0;
}

static int
cmdRead(const char *path)
{
    char buf[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        printf("%s\n", errnoName(errno));
        return 0;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    if (n < 0) {
        printf("%s\n", errnoName(errno));
    } else {
        buf[n] = '\0';
        printf("OK\n%s", buf);
    }
    close(fd);
    return 0;
}

static void
onSignal(int sig)
{
    (void)sig;
}

static int
cmdHold(const char *group_path, const char *uuid)
{
    struct vfio_group_status status = { .argsz = sizeof(status) };
    struct sigaction sa;
    sigset_t set;
    int container;
    int group;
    int device;
    int sig = 0;

    if ((container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC)) < 0) {
        fprintf(stderr, "ndktool: open /dev/vfio/vfio: %s\n", strerror(errno));
        return 1;
    }
    if ((group = open(group_path, O_RDWR | O_CLOEXEC)) < 0) {
        fprintf(stderr, "ndktool: open %s: %s\n", group_path, strerror(errno));
        return 1;
    }
    if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) < 0 ||
        !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
        fprintf(stderr, "ndktool: group %s not viable\n", group_path);
        return 1;
    }
    if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0) {
        fprintf(stderr, "ndktool: VFIO_GROUP_SET_CONTAINER: %s\n",
                strerror(errno));
        return 1;
    }
    if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0) {
        fprintf(stderr, "ndktool: VFIO_SET_IOMMU: %s\n", strerror(errno));
        return 1;
    }
    if ((device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, uuid)) < 0) {
        fprintf(stderr, "ndktool: VFIO_GROUP_GET_DEVICE_FD %s: %s\n",
                uuid, strerror(errno));
        return 1;
    }

    /* Block the signals first, so one sent right after "ready" is not lost. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = onSignal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigprocmask(SIG_BLOCK, &set, NULL);

    printf("ready\n");
    fflush(stdout);
    sigwait(&set, &sig);

    close(device);
    close(group);
    close(container);
    return 0;
}

int
main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 4 && strcmp(argv[1], "write") == 0)
        return cmdWrite(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "read") == 0)
        return cmdRead(argv[2]);
    if (argc == 4 && strcmp(argv[1], "hold") == 0)
        return cmdHold(argv[2], argv[3]);
    fprintf(stderr,
            "usage: ndktool write FILE VALUE | read FILE | hold GROUPDEV UUID\n");
    return 2;
}
