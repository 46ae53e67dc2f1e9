/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Driver tests: mdevsim on a temporary mount, events, error checks. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "drvtestutils.h"
#include "util/nderror.h"

static char *
simBinary(void)
{
    const char *env = g_getenv("MDEVSIM");

    if (env)
        return g_strdup(env);
    return g_build_filename(g_getenv("ND_TOP_BUILDDIR") ? g_getenv("ND_TOP_BUILDDIR")
                                                        : ".",
                            "tools", "mdevsim", "mdevsim", NULL);
}

static char **saved_argv;

/**
 * testSimRequire: see drvtestutils.h.
 */
void
testSimRequire(int argc, char **argv)
{
    g_autofree char *bin = simBinary();
    const char *why = NULL;

    saved_argv = argv;
    (void) argc;
    if (!g_file_test(bin, G_FILE_TEST_IS_EXECUTABLE))
        why = "the mdevsim binary is not built";
    else if (geteuid() != 0)
        why = "mounting mdevsim needs root";
    else if (access("/dev/fuse", R_OK | W_OK) < 0)
        why = "/dev/fuse is missing";
    if (!why)
        return;
    g_printerr("\n*** SKIPPING THE DRIVER TESTS: %s (%s) ***\n\n", why, bin);
    printf("1..0 # SKIP %s\n", why);
    fflush(stdout);
    /* the TAP skip plan is the skip: meson's TAP protocol counts any
     * non-zero status (77 too) as an error; without --tap, 77 */
    exit(g_strv_contains((const char * const *) saved_argv, "--tap") ? 0 : 77);
}

/* mdevsim must not outlive a test that aborts */
static void
simChildSetup(gpointer opaque)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static void
rmTree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    if (dir) {
        while ((name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);

            if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
                !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
                rmTree(child);
            else
                g_unlink(child);
        }
    }
    g_rmdir(path);
}

/**
 * testSimStart: see drvtestutils.h. Waits for mdevsim's readiness line on
 * its ready fd.
 */
TestSim *
testSimStart(const char *profile)
{
    g_autoptr(GError) gerr = NULL;
    g_autofree char *bin = simBinary();
    TestSim *sim = g_new0(TestSim, 1);
    int fds[2];
    char buf[64] = "";
    ssize_t got = 0;
    ssize_t n;
    const char *argv[] = { bin, "--profile", profile, "--ready-fd", "3",
                           NULL, NULL };
    int source_fds[1];
    int target_fds[1] = { 3 };
    g_autofree char *scripts = NULL;

    sim->profile = g_strdup(profile);
    sim->tmpdir = g_dir_make_tmp("nddrvtest-XXXXXX", &gerr);
    g_assert_no_error(gerr);
    sim->mnt = g_build_filename(sim->tmpdir, "sys", NULL);
    sim->confdir = g_build_filename(sim->tmpdir, "mdevctl.d", NULL);
    sim->devroot = g_build_filename(sim->mnt, ".mdevsim", "dev", NULL);
    g_assert_cmpint(g_mkdir(sim->mnt, 0755), ==, 0);
    /* what mdevctl insists on finding in its directory */
    scripts = g_build_filename(sim->confdir, "scripts.d", "callouts", NULL);
    g_assert_cmpint(g_mkdir_with_parents(scripts, 0755), ==, 0);
    g_free(scripts);
    scripts = g_build_filename(sim->confdir, "scripts.d", "notifiers", NULL);
    g_assert_cmpint(g_mkdir_with_parents(scripts, 0755), ==, 0);

    g_assert_cmpint(pipe2(fds, O_CLOEXEC), ==, 0);
    source_fds[0] = fds[1];
    argv[5] = sim->mnt;
    g_spawn_async_with_pipes_and_fds(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
                                     G_SPAWN_STDOUT_TO_DEV_NULL,
                                     simChildSetup, NULL, -1, -1, -1,
                                     source_fds, target_fds, 1,
                                     &sim->pid, NULL, NULL, NULL, &gerr);
    g_assert_no_error(gerr);
    close(fds[1]);
    while ((n = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0)
        got += n;
    close(fds[0]);
    if (!g_str_equal(buf, "ready\n"))
        g_error("mdevsim --profile %s did not start: '%s'", profile, buf);
    return sim;
}

/**
 * testSimStop: unmounts mdevsim, waits for it and removes the temporary
 * directory (NULL is fine).
 */
void
testSimStop(TestSim *sim)
{
    int status;

    if (!sim)
        return;
    if (sim->pid > 0) {
        kill(sim->pid, SIGTERM);
        waitpid(sim->pid, &status, 0);
        g_spawn_close_pid(sim->pid);
    }
    /* a dead mdevsim leaves its mount behind */
    if (g_file_test(sim->devroot, G_FILE_TEST_EXISTS) ||
        access(sim->mnt, R_OK) < 0) {
        const char *argv[] = { "fusermount3", "-u", "-z", sim->mnt, NULL };

        g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                     G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, NULL, NULL);
    }
    rmTree(sim->tmpdir);
    g_free(sim->tmpdir);
    g_free(sim->mnt);
    g_free(sim->confdir);
    g_free(sim->devroot);
    g_free(sim->profile);
    g_free(sim);
}

static char *
simPath(TestSim *sim, const char *relpath)
{
    if (g_str_has_prefix(relpath, "conf:"))
        return g_build_filename(sim->confdir, relpath + 5, NULL);
    return g_build_filename(sim->mnt, relpath, NULL);
}

/**
 * testSimWrite: see drvtestutils.h. One write(2), as a shell's echo does.
 */
int
testSimWrite(TestSim *sim, const char *relpath, const char *value)
{
    g_autofree char *path = simPath(sim, relpath);
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    ssize_t n;
    int err = 0;

    if (fd < 0)
        return errno;
    n = write(fd, value, strlen(value));
    if (n < 0)
        err = errno;
    close(fd);
    return err;
}

/**
 * testSimRead: see drvtestutils.h.
 */
char *
testSimRead(TestSim *sim, const char *relpath)
{
    g_autofree char *path = simPath(sim, relpath);
    char *data = NULL;

    if (!g_file_get_contents(path, &data, NULL, NULL))
        return NULL;
    return data;
}

/**
 * testSimExists: see drvtestutils.h.
 */
gboolean
testSimExists(TestSim *sim, const char *relpath)
{
    g_autofree char *path = simPath(sim, relpath);

    return g_file_test(path, G_FILE_TEST_EXISTS);
}

/**
 * testDriverNew: see drvtestutils.h. Fails the test if the driver cannot
 * start.
 */
ndDriver *
testDriverNew(TestSim *sim, gboolean autostart)
{
    ndDriverConfig cfg = {
        .sysfs_root = sim->mnt,
        .config_dir = sim->confdir,
        .dev_root = sim->devroot,
        .watch = FALSE,
        .autostart = autostart,
    };
    ndDriver *drv = ndDriverNew(&cfg);

    if (!drv)
        g_error("ndDriverNew: %s", ndGetLastErrorMessage());
    return drv;
}

static void
eventsRecord(const char *name, int event_id, int event, int detail,
             gpointer opaque)
{
    static const char *names[] = { "CREATED", "DELETED", "DEFINED",
                                   "UNDEFINED" };
    TestEvents *ev = opaque;
    char *line;

    if (event_id == 1)
        line = g_strdup_printf("UPDATE %s", name);
    else if (event >= 0 && event < 4)
        line = g_strdup_printf("%s %s", names[event], name);
    else
        line = g_strdup_printf("EVENT%d %s", event, name);
    g_mutex_lock(&ev->lock);
    g_ptr_array_add(ev->events, line);
    g_mutex_unlock(&ev->lock);
}

/**
 * testEventsNew: records @drv's events until testEventsFree (which must
 * come before the driver is freed; it does not unregister).
 */
TestEvents *
testEventsNew(ndDriver *drv)
{
    TestEvents *ev = g_new0(TestEvents, 1);

    g_mutex_init(&ev->lock);
    ev->events = g_ptr_array_new_with_free_func(g_free);
    g_assert_cmpuint(ndDriverEventAdd(drv, eventsRecord, ev), >, 0);
    return ev;
}

/**
 * testEventsFree: frees @ev.
 */
void
testEventsFree(TestEvents *ev)
{
    if (!ev)
        return;
    g_ptr_array_unref(ev->events);
    g_mutex_clear(&ev->lock);
    g_free(ev);
}

/**
 * testEventsTake: see drvtestutils.h.
 */
char *
testEventsTake(TestEvents *ev)
{
    g_autoptr(GString) out = g_string_new(NULL);
    guint i;

    g_mutex_lock(&ev->lock);
    for (i = 0; i < ev->events->len; i++) {
        if (i > 0)
            g_string_append_c(out, '\n');
        g_string_append(out, g_ptr_array_index(ev->events, i));
    }
    g_ptr_array_set_size(ev->events, 0);
    g_mutex_unlock(&ev->lock);
    return g_strdup(out->str);
}

/**
 * testAssertErrorFull: see drvtestutils.h.
 */
void
testAssertErrorFull(const char *file, int line, int code, const char *msg)
{
    const ndError *err = ndGetLastError();

    if (!err)
        g_error("%s:%d: expected error %d '%s', got none", file, line, code, msg);
    if (err->code != code || err->domain != 22 || g_strcmp0(err->message, msg) != 0)
        g_error("%s:%d: expected error %d '%s', got %d/%d '%s'", file, line,
                code, msg, err->code, err->domain, err->message);
    ndResetLastError();
}
