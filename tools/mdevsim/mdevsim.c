/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mdevsim: mount a FUSE filesystem that behaves like the kernel's mdev sysfs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simfuse.h"
#include "simprofile.h"

static char *optProfile;
static int optReadyFd = -1;
static gboolean optList;
static char *optDump;
static gboolean optDebug;

static GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_STRING, &optProfile,
      "built-in profile name or profile file (default: demo)", "NAME|FILE" },
    { "ready-fd", 0, 0, G_OPTION_ARG_INT, &optReadyFd,
      "write \"ready\\n\" to FD once mounted, then close it", "FD" },
    { "list-profiles", 0, 0, G_OPTION_ARG_NONE, &optList,
      "list the built-in profiles and exit", NULL },
    { "dump-profile", 0, 0, G_OPTION_ARG_STRING, &optDump,
      "print a built-in profile's text and exit", "NAME" },
    { "debug", 'd', 0, G_OPTION_ARG_NONE, &optDebug,
      "log every FUSE request to stderr", NULL },
    { NULL },
};

static SimHost *
loadProfile(const char *profile, GError **error)
{
    const char *text = simProfileBuiltin(profile);
    g_autofree char *data = NULL;
    gsize len;

    if (text)
        return simProfileLoad(text, strlen(text), error);
    if (!strchr(profile, '/') && !g_file_test(profile, G_FILE_TEST_EXISTS)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "no built-in profile or file '%s' (try --list-profiles)",
                    profile);
        return NULL;
    }
    if (!g_file_get_contents(profile, &data, &len, error))
        return NULL;
    return simProfileLoad(data, len, error);
}

static int
announceReady(const char *mountpoint)
{
    if (optReadyFd >= 0) {
        if (write(optReadyFd, "ready\n", 6) != 6) {
            g_printerr("mdevsim: cannot write to ready fd %d: %s\n",
                       optReadyFd, g_strerror(errno));
            return -1;
        }
        close(optReadyFd);
    }
    g_print("mdevsim: ready at %s\n", mountpoint);
    fflush(stdout);
    return 0;
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new("MOUNTPOINT");
    g_autoptr(GError) error = NULL;
    struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
    struct fuse_session *se = NULL;
    SimHost *host = NULL;
    int ret = EXIT_FAILURE;

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(ctx,
        "Serves a simulated /sys with mdev parents, types and devices.\n"
        "Control files live in MOUNTPOINT/.mdevsim (see docs/mdevsim.md).");
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("mdevsim: %s\n", error->message);
        return 2;
    }
    if (optList) {
        const char *const *names = simProfileBuiltinNames();

        for (; *names; names++)
            g_print("%s\n", *names);
        return EXIT_SUCCESS;
    }
    if (optDump) {
        const char *text = simProfileBuiltin(optDump);

        if (!text) {
            g_printerr("mdevsim: no built-in profile '%s'\n", optDump);
            return EXIT_FAILURE;
        }
        fputs(text, stdout);
        return EXIT_SUCCESS;
    }
    if (argc != 2) {
        g_printerr("mdevsim: expected exactly one MOUNTPOINT (see --help)\n");
        return 2;
    }
    if (!(host = loadProfile(optProfile ? optProfile : "demo", &error))) {
        g_printerr("mdevsim: profile '%s': %s\n",
                   optProfile ? optProfile : "demo", error->message);
        return EXIT_FAILURE;
    }

    fuse_opt_add_arg(&args, argv[0]);
    if (optDebug)
        fuse_opt_add_arg(&args, "-d");
    fuse_opt_add_arg(&args, "-o");
    /* Non-root readers (the daemon's tests, mdevctl) see it too; the
     * kernel checks modes, open() adds sysfs's own refusals. */
    fuse_opt_add_arg(&args, geteuid() == 0 ?
                     "fsname=mdevsim,subtype=mdevsim,default_permissions,allow_other" :
                     "fsname=mdevsim,subtype=mdevsim,default_permissions");
    if (!(se = fuse_session_new(&args, simFuseOps(), sizeof(struct fuse_lowlevel_ops),
                                host))) {
        g_printerr("mdevsim: cannot create the FUSE session\n");
        goto cleanup;
    }
    simFuseSetSession(se);
    if (fuse_set_signal_handlers(se) != 0) {
        g_printerr("mdevsim: cannot install signal handlers\n");
        goto cleanup;
    }
    if (fuse_session_mount(se, argv[1]) != 0) {
        g_printerr("mdevsim: cannot mount at '%s'\n", argv[1]);
        fuse_remove_signal_handlers(se);
        goto cleanup;
    }
    if (announceReady(argv[1]) == 0) {
        int rc = fuse_session_loop(se);

        /* libfuse reports the signal that ended the loop: a clean stop. */
        if (rc == 0 || rc == SIGINT || rc == SIGTERM || rc == SIGHUP)
            ret = EXIT_SUCCESS;
        else
            g_printerr("mdevsim: the FUSE loop failed: %s\n", g_strerror(-rc));
    }
    simFuseStop();
    fuse_session_unmount(se);
    fuse_remove_signal_handlers(se);

 cleanup:
    simFuseStop();
    if (se)
        fuse_session_destroy(se);
    fuse_opt_free_args(&args);
    simFuseCleanup();
    simHostFree(host);
    return ret;
}
