/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtmdevd: main(): options, config file, sockets, simulation, signals. */
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib-unix.h>

#include "node_device/node_device_driver.h"
#include "remote/virtmdevd_config.h"
#include "remote/virtmdevd_simulate.h"
#include "remote/virtmdevd_systemd.h"
#include "rpc/ndrpcserver.h"
#include "util/nderror.h"
#include "util/ndinternal.h"
#include "util/ndlog.h"

/* Command-line values; NULL/FALSE: not given, keep the config's value. */
typedef struct {
    char *config;
    char *sysfs_root;
    char *config_dir;
    char *socket;
    char *socket_ro;
    char *simulate;
    gboolean verbose;
    gboolean version;
} ndDaemonArgs;

static ndDaemonArgs args;

static gboolean
parseSimulate(const char *option, const char *value, gpointer data,
              GError **error)
{
    g_free(args.simulate);
    args.simulate = g_strdup(value && *value ? value : "demo");
    return TRUE;
}

static const GOptionEntry entries[] = {
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &args.config,
      N_("read settings from FILE (default /etc/virtmdevd/virtmdevd.conf)"), N_("FILE") },
    { "sysfs-root", 0, 0, G_OPTION_ARG_FILENAME, &args.sysfs_root,
      N_("the sysfs to manage (default /sys)"), N_("DIR") },
    { "config-dir", 0, 0, G_OPTION_ARG_FILENAME, &args.config_dir,
      N_("mdevctl's definitions directory (default /etc/mdevctl.d)"), N_("DIR") },
    { "socket", 0, 0, G_OPTION_ARG_FILENAME, &args.socket,
      N_("the read-write socket (default /run/virtmdevd/virtmdevd-sock)"), N_("PATH") },
    { "socket-ro", 0, 0, G_OPTION_ARG_FILENAME, &args.socket_ro,
      N_("the read-only socket (default /run/virtmdevd/virtmdevd-sock-ro)"), N_("PATH") },
    { "simulate", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK,
      (gpointer) parseSimulate,
      N_("run on mdevsim with host PROFILE (default demo) on a temporary mount"),
      N_("PROFILE") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &args.verbose,
      N_("log debug messages"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &args.version,
      N_("print the version and exit"), NULL },
    { NULL },
};

static void
argsClear(void)
{
    g_free(args.config);
    g_free(args.sysfs_root);
    g_free(args.config_dir);
    g_free(args.socket);
    g_free(args.socket_ro);
    g_free(args.simulate);
}

static void
setString(char **field, const char *value)
{
    if (!value)
        return;
    g_free(*field);
    *field = g_strdup(value);
}

/* A path from the command line, made absolute: the printed URI and the
 * driver must not depend on the directory the daemon was started in. */
static void
setPath(char **field, const char *value)
{
    if (!value)
        return;
    g_free(*field);
    *field = g_canonicalize_filename(value, NULL);
}

/* Settings: defaults, then the config file, then the command line. */
static ndDaemonConfig *
configLoad(void)
{
    g_autoptr(ndDaemonConfig) cfg = ndDaemonConfigNew();

    if (ndDaemonConfigLoadFile(cfg, args.config ? args.config : ND_DAEMON_CONFIG_FILE,
                               args.config != NULL) < 0)
        return NULL;
    setPath(&cfg->sysfs_root, args.sysfs_root);
    setPath(&cfg->config_dir, args.config_dir);
    setPath(&cfg->socket, args.socket);
    setPath(&cfg->socket_ro, args.socket_ro);
    setString(&cfg->simulate, args.simulate);
    if (args.verbose)
        setString(&cfg->log_level, "debug");
    return g_steal_pointer(&cfg);
}

static gboolean
quitOnSignal(gpointer data)
{
    GMainLoop *loop = data;

    ND_INFO("shutting down on a signal");
    g_main_loop_quit(loop);
    return G_SOURCE_CONTINUE;
}

/* A socket systemd passed is read-only when it is bound to the configured
 * read-only path, or when its name (FileDescriptorName=) says so. */
static gboolean
activatedIsReadOnly(const ndActivatedSocket *as, const ndDaemonConfig *cfg)
{
    if (as->path && strcmp(as->path, cfg->socket_ro) == 0)
        return TRUE;
    if (as->path && strcmp(as->path, cfg->socket) == 0)
        return FALSE;
    return as->name &&
        (strcmp(as->name, "ro") == 0 ||
         g_str_has_suffix(as->name, "-ro") ||
         g_str_has_suffix(as->name, "-ro.socket"));
}

static int
serverListen(ndRPCServer *srv, const ndDaemonConfig *cfg, GPtrArray *activated,
             GPtrArray *served, GPtrArray *created)
{
    guint i;

    if (activated->len > 0) {
        for (i = 0; i < activated->len; i++) {
            ndActivatedSocket *as = g_ptr_array_index(activated, i);
            gboolean ro = activatedIsReadOnly(as, cfg);
            g_autofree char *desc = g_strdup_printf("%s (fd %d)",
                                                    as->path ? as->path : as->name ? as->name : "?",
                                                    g_socket_get_fd(as->sock));

            if (ndRPCServerAddListener(srv, as->sock, ro, desc) < 0)
                return -1;
            g_ptr_array_add(served, g_strdup_printf("%s (%s, from systemd)", desc,
                                                    ro ? "read-only" : "read-write"));
        }
        return 0;
    }

    if (ndRPCServerListenUnix(srv, cfg->socket, 0600, FALSE) < 0)
        return -1;
    g_ptr_array_add(created, g_strdup(cfg->socket));
    g_ptr_array_add(served, g_strdup_printf("%s (read-write)", cfg->socket));
    if (ndRPCServerListenUnix(srv, cfg->socket_ro, 0666, TRUE) < 0)
        return -1;
    g_ptr_array_add(created, g_strdup(cfg->socket_ro));
    g_ptr_array_add(served, g_strdup_printf("%s (read-only)", cfg->socket_ro));
    return 0;
}

static const char *
rwPath(const ndDaemonConfig *cfg, GPtrArray *activated)
{
    guint i;

    for (i = 0; i < activated->len; i++) {
        ndActivatedSocket *as = g_ptr_array_index(activated, i);

        if (as->path && !activatedIsReadOnly(as, cfg))
            return as->path;
    }
    return cfg->socket;
}

static int
run(void)
{
    /* first: freed last, after everything that may iterate the context */
    g_autoptr(GMainLoop) loop = NULL;
    g_autoptr(ndDaemonConfig) cfg = NULL;
    g_autoptr(ndSimulation) sim = NULL;
    g_autoptr(ndDriver) drv = NULL;
    g_autoptr(ndRPCServer) srv = NULL;
    g_autoptr(GPtrArray) activated = NULL;
    g_autoptr(GPtrArray) served = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) created = g_ptr_array_new_with_free_func(g_free);
    ndDriverConfig dcfg = { 0 };
    ndLogPriority level = ND_LOG_WARN;
    guint sigterm;
    guint sigint;
    guint i;

    if (!(cfg = configLoad())) {
        ND_ERROR("%s", ndGetLastErrorMessage());
        return 1;
    }
    if (cfg->log_level && ndLogParseLevel(cfg->log_level, &level) < 0) {
        ND_ERROR("unknown log level '%s'", cfg->log_level);
        return 1;
    }
    ndLogSetLevel(level);
    activated = ndSystemdListenFds();

    /* from here on a SIGTERM is a request to stop, even while mdevsim
     * starts: the loop quits as soon as it runs, and cleanup happens */
    loop = g_main_loop_new(NULL, FALSE);
    sigterm = g_unix_signal_add(SIGTERM, quitOnSignal, loop);
    sigint = g_unix_signal_add(SIGINT, quitOnSignal, loop);

    if (cfg->simulate) {
        g_autofree char *mdevsim = cfg->mdevsim ? g_strdup(cfg->mdevsim) :
                                                  ndSimulationFindMdevsim();

        if (!mdevsim || !(sim = ndSimulationStart(mdevsim, cfg->simulate))) {
            ND_ERROR("%s", ndGetLastErrorMessage());
            return 1;
        }
        setString(&cfg->sysfs_root, ndSimulationGetSysfsRoot(sim));
        setString(&cfg->dev_root, ndSimulationGetDevRoot(sim));
        if (!args.config_dir)
            setString(&cfg->config_dir, ndSimulationGetConfigDir(sim));
    }

    dcfg.sysfs_root = cfg->sysfs_root;
    dcfg.config_dir = cfg->config_dir;
    dcfg.dev_root = cfg->dev_root;
    dcfg.watch = cfg->watch;
    dcfg.autostart = cfg->autostart;
    dcfg.context = NULL;
    if (!(drv = ndDriverNew(&dcfg))) {
        ND_ERROR("%s", ndGetLastErrorMessage());
        return 1;
    }

    srv = ndRPCServerNew(drv, &cfg->rpc);
    if (serverListen(srv, cfg, activated, served, created) < 0) {
        ND_ERROR("%s", ndGetLastErrorMessage());
        for (i = 0; i < created->len; i++)
            unlink(g_ptr_array_index(created, i));
        return 1;
    }

    printf(_("virtmdevd %1$s: managing mdevs under '%2$s', definitions in '%3$s'\n"),
           ND_VERSION, cfg->sysfs_root, cfg->config_dir);
    if (sim)
        printf(_("simulated host: mdevsim profile '%1$s'\n"), cfg->simulate);
    for (i = 0; i < served->len; i++)
        printf(_("serving %1$s\n"), (const char *) g_ptr_array_index(served, i));
    printf(_("connect with: virsh -c 'nodedev:///system?socket=%1$s'\n"),
           rwPath(cfg, activated));
    fflush(stdout);
    ndSystemdNotify("READY=1");

    g_main_loop_run(loop);

    ndSystemdNotify("STOPPING=1");
    g_clear_pointer(&srv, ndRPCServerFree);
    g_clear_pointer(&drv, ndDriverFree);
    for (i = 0; i < created->len; i++)
        unlink(g_ptr_array_index(created, i));
    g_clear_pointer(&sim, ndSimulationStop);
    /* only now: removing the sources restores the default action, and a
     * second SIGTERM must not cut the cleanup above short */
    g_source_remove(sigterm);
    g_source_remove(sigint);
    return 0;
}

/* The soft limit on open files up to the hard one (systemd gives 1024 and
 * 524288): a parent's counts are kept open for XML (a quarter of the soft
 * limit at most, see ndSysfsDirOpenFile()), 2048 files for 128 parents of
 * 16 types; glib polls, so no select() limit applies. */
static void
raiseFileLimit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        ND_DEBUG("cannot raise the limit on open files: %s", g_strerror(errno));
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) octx = NULL;
    g_autoptr(GError) gerr = NULL;
    const char *localedir;
    int ret;

    setlocale(LC_ALL, "");
    /* ND_LOCALEDIR: the catalogs of a build tree (tests), not installed */
    localedir = g_getenv("ND_LOCALEDIR");
    bindtextdomain(GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    octx = g_option_context_new(NULL);
    g_option_context_set_summary(octx,
        _("Serves Linux mediated devices to libvirt clients over libvirt's RPC protocol."));
    g_option_context_add_main_entries(octx, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse(octx, &argc, &argv, &gerr)) {
        g_printerr("virtmdevd: %s\n", gerr->message);
        argsClear();
        return 2;
    }
    if (argc > 1) {
        g_printerr(_("virtmdevd: unexpected argument '%1$s'\n"), argv[1]);
        argsClear();
        return 2;
    }
    if (args.version) {
        printf("virtmdevd %s\n", ND_VERSION);
        argsClear();
        return 0;
    }
    /* a client that goes away mid-write must not kill us (we also pass
     * MSG_NOSIGNAL) */
    signal(SIGPIPE, SIG_IGN);
    raiseFileLimit();
    ret = run();
    argsClear();
    return ret;
}
