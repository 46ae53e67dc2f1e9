/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's settings: defaults, the key-file config, the command line.
 *
 * The host paths the daemon touches by default are written here and
 * nowhere else: every layer below takes them as data. */
#include <errno.h>
#include <string.h>

#include "remote/virtmdevd_config.h"
#include "util/nderror.h"
#include "util/ndinternal.h"

/**
 * ndDaemonConfigNew:
 *
 * Returns: the defaults: the real host's /sys, mdevctl's directory, /dev,
 * the sockets under /run/virtmdevd, the RPC server's limits.
 */
ndDaemonConfig *
ndDaemonConfigNew(void)
{
    ndDaemonConfig *cfg = g_new0(ndDaemonConfig, 1);

    cfg->sysfs_root = g_strdup("/sys");
    cfg->config_dir = g_strdup("/etc/mdevctl.d");
    cfg->dev_root = g_strdup("/dev");
    cfg->socket = g_strdup("/run/virtmdevd/virtmdevd-sock");
    cfg->socket_ro = g_strdup("/run/virtmdevd/virtmdevd-sock-ro");
    cfg->autostart = TRUE;
    cfg->watch = TRUE;
    ndRPCServerConfigInit(&cfg->rpc);
    return cfg;
}

/**
 * ndDaemonConfigFree:
 * @cfg: settings or NULL
 */
void
ndDaemonConfigFree(ndDaemonConfig *cfg)
{
    if (!cfg)
        return;
    g_free(cfg->sysfs_root);
    g_free(cfg->config_dir);
    g_free(cfg->dev_root);
    g_free(cfg->socket);
    g_free(cfg->socket_ro);
    g_free(cfg->simulate);
    g_free(cfg->mdevsim);
    g_free(cfg->log_level);
    g_free(cfg);
}

typedef enum {
    KEY_STRING,
    KEY_PATH,           /* a string that must be an absolute path */
    KEY_UINT,
    KEY_BOOL,
} KeyKind;

typedef struct {
    const char *name;
    KeyKind kind;
    gsize offset;
    guint min;
    guint max;
} KeyInfo;

#define CFG_OFF(field) G_STRUCT_OFFSET(ndDaemonConfig, field)

static const KeyInfo keys[] = {
    { "sysfs_root", KEY_PATH, CFG_OFF(sysfs_root), 0, 0 },
    { "config_dir", KEY_PATH, CFG_OFF(config_dir), 0, 0 },
    { "dev_root", KEY_PATH, CFG_OFF(dev_root), 0, 0 },
    { "socket", KEY_PATH, CFG_OFF(socket), 0, 0 },
    { "socket_ro", KEY_PATH, CFG_OFF(socket_ro), 0, 0 },
    { "simulate", KEY_STRING, CFG_OFF(simulate), 0, 0 },
    { "mdevsim", KEY_PATH, CFG_OFF(mdevsim), 0, 0 },
    { "log_level", KEY_STRING, CFG_OFF(log_level), 0, 0 },
    { "autostart", KEY_BOOL, CFG_OFF(autostart), 0, 0 },
    { "watch", KEY_BOOL, CFG_OFF(watch), 0, 0 },
    { "max_clients", KEY_UINT, CFG_OFF(rpc.max_clients), 1, 65536 },
    { "max_anonymous_clients", KEY_UINT, CFG_OFF(rpc.max_anonymous), 1, 65536 },
    { "max_pending", KEY_UINT, CFG_OFF(rpc.max_pending), 1, 1024 },
    { "max_workers", KEY_UINT, CFG_OFF(rpc.max_workers), 1, 64 },
    { "max_event_callbacks", KEY_UINT, CFG_OFF(rpc.max_event_callbacks), 1, 65536 },
    { "keepalive_interval", KEY_UINT, CFG_OFF(rpc.keepalive_interval), 0, 3600 },
    { "keepalive_count", KEY_UINT, CFG_OFF(rpc.keepalive_count), 1, 100 },
};

static const KeyInfo *
keyFind(const char *name)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(keys); i++) {
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    }
    return NULL;
}

static int
keyLoad(ndDaemonConfig *cfg, GKeyFile *kf, const KeyInfo *key,
        const char *origin)
{
    g_autoptr(GError) gerr = NULL;
    gpointer field = G_STRUCT_MEMBER_P(cfg, key->offset);

    switch (key->kind) {
    case KEY_STRING:
    case KEY_PATH: {
        g_autofree char *val = g_key_file_get_string(kf, ND_DAEMON_CONFIG_GROUP,
                                                     key->name, &gerr);

        if (!val)
            break;
        if (key->kind == KEY_PATH && !g_path_is_absolute(val)) {
            ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                          _("setting '%1$s' in '%2$s' must be an absolute path, not '%3$s'"),
                          key->name, origin, val);
            return -1;
        }
        g_free(*(char **) field);
        *(char **) field = g_steal_pointer(&val);
        return 0;
    }
    case KEY_UINT: {
        g_autofree char *val = g_key_file_get_string(kf, ND_DAEMON_CONFIG_GROUP,
                                                     key->name, &gerr);
        guint64 num;

        if (!val)
            break;
        if (!g_ascii_string_to_unsigned(val, 10, key->min, key->max, &num, NULL)) {
            ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                          _("setting '%1$s' in '%2$s' must be a number from %3$u to %4$u, not '%5$s'"),
                          key->name, origin, key->min, key->max, val);
            return -1;
        }
        *(guint *) field = num;
        return 0;
    }
    case KEY_BOOL: {
        gboolean val = g_key_file_get_boolean(kf, ND_DAEMON_CONFIG_GROUP,
                                              key->name, &gerr);

        if (gerr)
            break;
        *(gboolean *) field = val;
        return 0;
    }
    }
    ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                  _("invalid setting '%1$s' in '%2$s': %3$s"),
                  key->name, origin, gerr->message);
    return -1;
}

/**
 * ndDaemonConfigLoadData:
 * @cfg: settings to update
 * @data: key-file text with one group, [virtmdevd]
 * @origin: where @data comes from, for messages
 *
 * Unknown groups or keys are errors, so that a typo does not silently
 * leave a default in place.
 *
 * Returns: 0, or -1 with ND_ERR_CONFIG_UNSUPPORTED reported (@cfg may be
 * partly updated).
 */
int
ndDaemonConfigLoadData(ndDaemonConfig *cfg, const char *data, const char *origin)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) gerr = NULL;
    g_auto(GStrv) groups = NULL;
    g_auto(GStrv) names = NULL;
    size_t i;

    if (!g_key_file_load_from_data(kf, data, -1, G_KEY_FILE_NONE, &gerr)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("cannot parse configuration file '%1$s': %2$s"),
                      origin, gerr->message);
        return -1;
    }
    groups = g_key_file_get_groups(kf, NULL);
    for (i = 0; groups[i]; i++) {
        if (strcmp(groups[i], ND_DAEMON_CONFIG_GROUP) != 0) {
            ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                          _("unknown group '%1$s' in '%2$s'"), groups[i], origin);
            return -1;
        }
    }
    if (!(names = g_key_file_get_keys(kf, ND_DAEMON_CONFIG_GROUP, NULL, NULL)))
        return 0;
    for (i = 0; names[i]; i++) {
        const KeyInfo *key = keyFind(names[i]);

        if (!key) {
            ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                          _("unknown setting '%1$s' in '%2$s'"), names[i], origin);
            return -1;
        }
        if (keyLoad(cfg, kf, key, origin) < 0)
            return -1;
    }
    return 0;
}

/**
 * ndDaemonConfigLoadFile:
 * @cfg: settings to update
 * @path: a key-file
 * @must_exist: whether a missing file is an error
 *
 * Returns: 0, or -1 with an error reported.
 */
int
ndDaemonConfigLoadFile(ndDaemonConfig *cfg, const char *path, gboolean must_exist)
{
    g_autofree char *data = NULL;
    gsize len;
    g_autoptr(GError) gerr = NULL;

    if (!g_file_get_contents(path, &data, &len, &gerr)) {
        if (!must_exist && g_error_matches(gerr, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return 0;
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("cannot read configuration file '%1$s': %2$s"),
                      path, gerr->message);
        return -1;
    }
    if (len > 1024 * 1024) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("configuration file '%1$s' is larger than 1 MiB"), path);
        return -1;
    }
    return ndDaemonConfigLoadData(cfg, data, path);
}
