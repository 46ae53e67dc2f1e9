/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's settings: defaults, the key-file config, the command line. */
#pragma once

#include <glib.h>

#include "rpc/ndrpcserver.h"

typedef struct _ndDaemonConfig ndDaemonConfig;
struct _ndDaemonConfig {
    char *sysfs_root;
    char *config_dir;
    char *dev_root;
    char *socket;
    char *socket_ro;
    char *simulate;             /* mdevsim profile, or NULL: the real host */
    char *mdevsim;              /* mdevsim binary; NULL: search for it */
    char *log_level;            /* NULL: warning; --verbose: debug */
    gboolean autostart;
    gboolean watch;
    ndRPCServerConfig rpc;
};

/* /etc/virtmdevd/virtmdevd.conf with --prefix=/usr (meson then uses /etc) */
#define ND_DAEMON_CONFIG_FILE ND_SYSCONFDIR "/virtmdevd/virtmdevd.conf"
#define ND_DAEMON_CONFIG_GROUP "virtmdevd"

ndDaemonConfig *ndDaemonConfigNew(void);
void ndDaemonConfigFree(ndDaemonConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndDaemonConfig, ndDaemonConfigFree);

int ndDaemonConfigLoadFile(ndDaemonConfig *cfg, const char *path,
                           gboolean must_exist);
int ndDaemonConfigLoadData(ndDaemonConfig *cfg, const char *data,
                           const char *origin);
