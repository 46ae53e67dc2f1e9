/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's settings: defaults, key-file values, refused input. */
#include "remote/virtmdevd_config.h"
#include <glib/gstdio.h>

#include "util/nderror.h"

static void
testDefaults(void)
{
    g_autoptr(ndDaemonConfig) cfg = ndDaemonConfigNew();

    g_assert_cmpstr(cfg->sysfs_root, ==, "/sys");
    g_assert_cmpstr(cfg->config_dir, ==, "/etc/mdevctl.d");
    g_assert_cmpstr(cfg->dev_root, ==, "/dev");
    g_assert_cmpstr(cfg->socket, ==, "/run/virtmdevd/virtmdevd-sock");
    g_assert_cmpstr(cfg->socket_ro, ==, "/run/virtmdevd/virtmdevd-sock-ro");
    g_assert_null(cfg->simulate);
    g_assert_true(cfg->autostart);
    g_assert_true(cfg->watch);
    g_assert_cmpuint(cfg->rpc.max_clients, >, 0);
    g_assert_cmpuint(cfg->rpc.keepalive_interval, ==, 5);
    g_assert_cmpuint(cfg->rpc.keepalive_count, ==, 5);
}

static void
testValues(void)
{
    g_autoptr(ndDaemonConfig) cfg = ndDaemonConfigNew();
    const char *data =
        "# comment\n"
        "[virtmdevd]\n"
        "sysfs_root=/tmp/sys\n"
        "config_dir=/tmp/defs\n"
        "dev_root=/tmp/dev\n"
        "socket=/tmp/s\n"
        "socket_ro=/tmp/s-ro\n"
        "simulate=s390\n"
        "log_level=debug\n"
        "autostart=false\n"
        "watch=false\n"
        "max_clients=7\n"
        "max_anonymous_clients=5\n"
        "max_pending=3\n"
        "max_workers=2\n"
        "max_event_callbacks=9\n"
        "keepalive_interval=0\n"
        "keepalive_count=4\n";

    g_assert_cmpint(ndDaemonConfigLoadData(cfg, data, "test"), ==, 0);
    g_assert_cmpstr(cfg->sysfs_root, ==, "/tmp/sys");
    g_assert_cmpstr(cfg->config_dir, ==, "/tmp/defs");
    g_assert_cmpstr(cfg->dev_root, ==, "/tmp/dev");
    g_assert_cmpstr(cfg->socket, ==, "/tmp/s");
    g_assert_cmpstr(cfg->socket_ro, ==, "/tmp/s-ro");
    g_assert_cmpstr(cfg->simulate, ==, "s390");
    g_assert_cmpstr(cfg->log_level, ==, "debug");
    g_assert_false(cfg->autostart);
    g_assert_false(cfg->watch);
    g_assert_cmpuint(cfg->rpc.max_clients, ==, 7);
    g_assert_cmpuint(cfg->rpc.max_anonymous, ==, 5);
    g_assert_cmpuint(cfg->rpc.max_pending, ==, 3);
    g_assert_cmpuint(cfg->rpc.max_workers, ==, 2);
    g_assert_cmpuint(cfg->rpc.max_event_callbacks, ==, 9);
    g_assert_cmpuint(cfg->rpc.keepalive_interval, ==, 0);
    g_assert_cmpuint(cfg->rpc.keepalive_count, ==, 4);
}

static void
testEmpty(void)
{
    g_autoptr(ndDaemonConfig) cfg = ndDaemonConfigNew();

    g_assert_cmpint(ndDaemonConfigLoadData(cfg, "", "empty"), ==, 0);
    g_assert_cmpint(ndDaemonConfigLoadData(cfg, "[virtmdevd]\n", "group"), ==, 0);
    g_assert_cmpstr(cfg->sysfs_root, ==, "/sys");
}

static void
testRefused(void)
{
    const char *bad[][2] = {
        { "[virtmdevd]\nsysfs-root=/x\n",
          "unsupported configuration: unknown setting 'sysfs-root' in 'bad'" },
        { "[daemon]\n", "unsupported configuration: unknown group 'daemon' in 'bad'" },
        { "[virtmdevd]\nconfig_dir=etc\n",
          "unsupported configuration: setting 'config_dir' in 'bad' must be an absolute path, not 'etc'" },
        { "[virtmdevd]\nmax_pending=1025\n",
          "unsupported configuration: setting 'max_pending' in 'bad' must be a number from 1 to 1024, not '1025'" },
        { "[virtmdevd]\nmax_workers=-1\n",
          "unsupported configuration: setting 'max_workers' in 'bad' must be a number from 1 to 64, not '-1'" },
        { "[virtmdevd]\nkeepalive_count=two\n",
          "unsupported configuration: setting 'keepalive_count' in 'bad' must be a number from 1 to 100, not 'two'" },
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(ndDaemonConfig) cfg = ndDaemonConfigNew();

        ndResetLastError();
        g_assert_cmpint(ndDaemonConfigLoadData(cfg, bad[i][0], "bad"), ==, -1);
        g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_CONFIG_UNSUPPORTED);
        g_assert_cmpstr(ndGetLastErrorMessage(), ==, bad[i][1]);
    }
}

static void
testFile(void)
{
    g_autoptr(ndDaemonConfig) cfg = ndDaemonConfigNew();
    g_autofree char *dir = g_dir_make_tmp("ndcfg-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "virtmdevd.conf", NULL);
    g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);

    g_assert_true(g_file_set_contents(path, "[virtmdevd]\nsocket=/tmp/x\n", -1, NULL));
    g_assert_cmpint(ndDaemonConfigLoadFile(cfg, path, TRUE), ==, 0);
    g_assert_cmpstr(cfg->socket, ==, "/tmp/x");
    /* the default file may be absent; an explicit one may not */
    g_assert_cmpint(ndDaemonConfigLoadFile(cfg, missing, FALSE), ==, 0);
    g_assert_cmpint(ndDaemonConfigLoadFile(cfg, missing, TRUE), ==, -1);
    g_unlink(path);
    g_rmdir(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/remote/config/defaults", testDefaults);
    g_test_add_func("/remote/config/values", testValues);
    g_test_add_func("/remote/config/empty", testEmpty);
    g_test_add_func("/remote/config/refused", testRefused);
    g_test_add_func("/remote/config/file", testFile);
    return g_test_run();
}
