/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --simulate: mdevsim on a private temporary mount, started and removed.
 *
 * The layout of the temporary directory:
 *   DIR/host        mdevsim's mount: the simulated /sys
 *   DIR/mdevctl.d   the definitions directory
 * mdevsim's emulated /dev is DIR/host/.mdevsim/dev. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "remote/virtmdevd_simulate.h"
#include "util/nderror.h"
#include "util/ndinternal.h"
#include "util/ndlog.h"

/* How long mdevsim may take to mount before we give up. */
#define SIM_READY_TIMEOUT_US (20 * G_USEC_PER_SEC)
/* the child's end of the readiness pipe */
#define SIM_READY_CHILD_FD 3

struct _ndSimulation {
    char *dir;
    char *mount;
    char *dev_root;
    char *config_dir;
    GSubprocess *proc;
    gboolean exited;
    int ready_fd;               /* our end of mdevsim's readiness pipe */
};

/**
 * ndSimulationFindMdevsim:
 *
 * Looks for mdevsim next to the daemon in the build tree
 * (BUILD/src/remote/virtmdevd -> BUILD/tools/mdevsim/mdevsim), next to
 * it in the same directory, and in the install bindir.
 *
 * Returns: the path (caller frees), or NULL with an error reported.
 */
char *
ndSimulationFindMdevsim(void)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
    g_autofree char *in_build = NULL;
    g_autofree char *beside = NULL;
    g_autofree char *installed = g_build_filename(ND_BINDIR, "mdevsim", NULL);

    if (dir) {
        in_build = g_build_filename(dir, "..", "..", "tools", "mdevsim", "mdevsim", NULL);
        if (g_file_test(in_build, G_FILE_TEST_IS_EXECUTABLE))
            return g_steal_pointer(&in_build);
        beside = g_build_filename(dir, "mdevsim", NULL);
        if (g_file_test(beside, G_FILE_TEST_IS_EXECUTABLE))
            return g_steal_pointer(&beside);
    }
    if (g_file_test(installed, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer(&installed);
    ndReportError(ND_ERR_OPERATION_FAILED,
                  _("cannot find mdevsim next to the daemon or in '%1$s'"), ND_BINDIR);
    return NULL;
}

/* In the child: if the daemon dies without cleaning up (SIGKILL),
 * mdevsim still gets SIGTERM and unmounts. */
static void
simChildSetup(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static void
simExited(GObject *obj, GAsyncResult *res, gpointer data)
{
    ndSimulation *sim = data;

    g_subprocess_wait_finish(G_SUBPROCESS(obj), res, NULL);
    sim->exited = TRUE;
}

/* mdevsim writes "ready\n" to the pipe once it serves the mount; EOF
 * first means it failed (its own message went to stderr). */
static int
simWaitReady(ndSimulation *sim, int fd)
{
    char buf[16] = "";
    gsize have = 0;
    gint64 deadline = g_get_monotonic_time() + SIM_READY_TIMEOUT_US;

    while (have < sizeof(buf) - 1) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        gint64 left = deadline - g_get_monotonic_time();
        ssize_t n;
        int r;

        if (left <= 0) {
            ndReportError(ND_ERR_OPERATION_TIMEOUT,
                          _("mdevsim did not mount '%1$s' within %2$d seconds"),
                          sim->mount, (int) (SIM_READY_TIMEOUT_US / G_USEC_PER_SEC));
            return -1;
        }
        if ((r = poll(&pfd, 1, (int) (left / 1000) + 1)) < 0) {
            if (errno == EINTR)
                continue;
            ndReportSystemError(errno, "%s", _("cannot wait for mdevsim"));
            return -1;
        }
        if (r == 0)
            continue;
        if ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) < 0) {
            if (errno == EINTR)
                continue;
            ndReportSystemError(errno, "%s", _("cannot wait for mdevsim"));
            return -1;
        }
        if (n == 0)
            break;
        have += n;
        if (strchr(buf, '\n'))
            break;
    }
    if (strcmp(buf, "ready\n") != 0) {
        ndReportError(ND_ERR_OPERATION_FAILED,
                      _("mdevsim failed to mount '%1$s'"), sim->mount);
        return -1;
    }
    return 0;
}

/**
 * ndSimulationStart:
 * @mdevsim: the mdevsim binary
 * @profile: the host profile ("demo", ...)
 *
 * Creates a private temporary directory, starts mdevsim on a mount inside
 * it and waits until the mount is served.
 *
 * Returns: the simulation (stop it with ndSimulationStop()), or NULL with
 * an error reported and nothing left behind.
 */
ndSimulation *
ndSimulationStart(const char *mdevsim, const char *profile)
{
    g_autoptr(ndSimulation) sim = g_new0(ndSimulation, 1);
    g_autoptr(GError) gerr = NULL;
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    int fds[2];

    sim->ready_fd = -1;
    if (!(sim->dir = g_dir_make_tmp("virtmdevd-sim-XXXXXX", &gerr))) {
        ndReportError(ND_ERR_OPERATION_FAILED,
                      _("cannot create a temporary directory: %1$s"), gerr->message);
        return NULL;
    }
    sim->mount = g_build_filename(sim->dir, "host", NULL);
    sim->config_dir = g_build_filename(sim->dir, "mdevctl.d", NULL);
    sim->dev_root = g_build_filename(sim->mount, ".mdevsim", "dev", NULL);
    if (g_mkdir(sim->mount, 0755) < 0 || g_mkdir(sim->config_dir, 0755) < 0) {
        ndReportSystemError(errno, _("cannot create directories in '%1$s'"), sim->dir);
        return NULL;
    }

    if (!g_unix_open_pipe(fds, FD_CLOEXEC, &gerr)) {
        ndReportError(ND_ERR_OPERATION_FAILED, _("cannot create a pipe: %1$s"),
                      gerr->message);
        return NULL;
    }
    sim->ready_fd = fds[0];

    /* the pipe's write end becomes mdevsim's fd 3; ours is closed with
     * the launcher, so that mdevsim dying means EOF */
    ND_INFO("starting '%s --ready-fd 3 --profile %s %s'", mdevsim, profile, sim->mount);
    launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_subprocess_launcher_take_fd(launcher, fds[1], SIM_READY_CHILD_FD);
    g_subprocess_launcher_set_child_setup(launcher, simChildSetup, NULL, NULL);
    sim->proc = g_subprocess_launcher_spawn(launcher, &gerr, mdevsim,
                                            "--ready-fd", G_STRINGIFY(SIM_READY_CHILD_FD),
                                            "--profile", profile, sim->mount, NULL);
    g_clear_object(&launcher);
    if (!sim->proc) {
        ndReportError(ND_ERR_OPERATION_FAILED, _("cannot start '%1$s': %2$s"),
                      mdevsim, gerr->message);
        return NULL;
    }
    g_subprocess_wait_async(sim->proc, NULL, simExited, sim);
    if (simWaitReady(sim, sim->ready_fd) < 0)
        return NULL;
    close(sim->ready_fd);
    sim->ready_fd = -1;
    return g_steal_pointer(&sim);
}

/**
 * ndSimulationGetSysfsRoot:
 * @sim: a running simulation
 *
 * Returns: mdevsim's mount, the simulated /sys (valid while @sim is).
 */
const char *
ndSimulationGetSysfsRoot(ndSimulation *sim)
{
    return sim->mount;
}

/**
 * ndSimulationGetDevRoot:
 * @sim: a running simulation
 *
 * Returns: mdevsim's emulated /dev (valid while @sim is).
 */
const char *
ndSimulationGetDevRoot(ndSimulation *sim)
{
    return sim->dev_root;
}

/**
 * ndSimulationGetConfigDir:
 * @sim: a running simulation
 *
 * Returns: the temporary definitions directory (valid while @sim is).
 */
const char *
ndSimulationGetConfigDir(ndSimulation *sim)
{
    return sim->config_dir;
}

/* Whether @path is a mount point (its device differs from its parent's). */
static gboolean
isMountPoint(const char *path)
{
    g_autofree char *parent = g_path_get_dirname(path);
    struct stat st;
    struct stat pst;

    if (stat(path, &st) < 0 || stat(parent, &pst) < 0)
        return errno == ENOTCONN;   /* a FUSE mount whose server died */
    return st.st_dev != pst.st_dev;
}

/* Removes @path and, if it is a directory, what it holds; never crosses
 * into another filesystem. */
static void
removeTree(const char *path, dev_t dev)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;

        while (dir && (name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);

            removeTree(child, dev);
        }
        if (rmdir(path) < 0)
            ND_WARN("cannot remove '%s': %s", path, g_strerror(errno));
    } else if (st.st_dev == dev) {
        if (unlink(path) < 0)
            ND_WARN("cannot remove '%s': %s", path, g_strerror(errno));
    }
}

/**
 * ndSimulationStop:
 * @sim: a simulation or NULL
 *
 * Stops mdevsim (SIGTERM; it unmounts), makes sure the mount is gone and
 * removes the temporary directory.
 */
void
ndSimulationStop(ndSimulation *sim)
{
    struct stat st;

    if (!sim)
        return;
    if (sim->ready_fd >= 0)
        close(sim->ready_fd);
    if (sim->proc) {
        if (!sim->exited)
            g_subprocess_send_signal(sim->proc, SIGTERM);
        while (!sim->exited)
            g_main_context_iteration(NULL, TRUE);
        g_clear_object(&sim->proc);
    }
    if (sim->mount && isMountPoint(sim->mount)) {
        const char *argv[] = { "fusermount3", "-u", "-z", sim->mount, NULL };
        g_autoptr(GError) gerr = NULL;

        if (!g_spawn_sync(NULL, (char **) argv, NULL,
                          G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                          NULL, NULL, NULL, NULL, NULL, &gerr))
            ND_WARN("cannot unmount '%s': %s", sim->mount, gerr->message);
    }
    if (sim->dir && lstat(sim->dir, &st) == 0 && !isMountPoint(sim->mount))
        removeTree(sim->dir, st.st_dev);
    g_free(sim->dir);
    g_free(sim->mount);
    g_free(sim->dev_root);
    g_free(sim->config_dir);
    g_free(sim);
}
