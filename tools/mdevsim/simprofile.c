/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* simprofile: host profiles (GKeyFile text) loaded into a SimHost.
 * The format is documented in docs/mdevsim.md. */
#include "simprofile.h"

#include <errno.h>
#include <string.h>

#include "simprofiles-data.h"

/* Returns the text of built-in profile @name (static) or NULL. */
const char *
simProfileBuiltin(const char *name)
{
    size_t i;

    for (i = 0; simProfileData[i].name; i++) {
        if (strcmp(simProfileData[i].name, name) == 0)
            return simProfileData[i].text;
    }
    return NULL;
}

/* Returns the NULL-terminated list of built-in profile names (static). */
const char *const *
simProfileBuiltinNames(void)
{
    static const char *names[G_N_ELEMENTS(simProfileData)];
    size_t i;

    for (i = 0; simProfileData[i].name; i++)
        names[i] = simProfileData[i].name;
    names[i] = NULL;
    return names;
}

static gboolean
getUint(GKeyFile *kf, const char *group, const char *key, guint64 def,
        guint64 *ret, GError **error)
{
    g_autofree char *s = g_key_file_get_value(kf, group, key, NULL);
    char *end = NULL;

    *ret = def;
    if (!s)
        return TRUE;
    g_strstrip(s);
    errno = 0;
    *ret = g_ascii_strtoull(s, &end, 0);
    if (!*s || *end || errno) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[%s] %s: '%s' is not a number", group, key, s);
        return FALSE;
    }
    return TRUE;
}

static gboolean
getInt(GKeyFile *kf, const char *group, const char *key, int def, int *ret,
       GError **error)
{
    g_autofree char *s = g_key_file_get_value(kf, group, key, NULL);
    char *end = NULL;
    gint64 v;

    *ret = def;
    if (!s)
        return TRUE;
    g_strstrip(s);
    v = g_ascii_strtoll(s, &end, 0);
    if (!*s || *end || v < G_MININT || v > G_MAXINT) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[%s] %s: '%s' is not a number", group, key, s);
        return FALSE;
    }
    *ret = (int)v;
    return TRUE;
}

static char *
getStr(GKeyFile *kf, const char *group, const char *key)
{
    return g_key_file_get_string(kf, group, key, NULL);
}

static gboolean
getErrno(GKeyFile *kf, const char *group, const char *key, int def, int *ret,
         GError **error)
{
    g_autofree char *s = getStr(kf, group, key);

    *ret = def;
    if (!s)
        return TRUE;
    if (!(*ret = simHostErrnoParse(g_strstrip(s)))) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[%s] %s: unknown errno '%s'", group, key, s);
        return FALSE;
    }
    return TRUE;
}

static gboolean
checkName(const char *group, const char *name, gboolean allow_slash,
          GError **error)
{
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
        strstr(name, "..") || (!allow_slash && strchr(name, '/')) ||
        name[0] == '/' || g_str_has_suffix(name, "/")) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[%s]: invalid name '%s'", group, name);
        return FALSE;
    }
    return TRUE;
}

static void
attrSpecFreeFunc(gpointer p)
{
    SimAttrSpec *a = p;

    g_free(a->name);
    g_free(a->value);
    g_free(a->set);
    g_free(a->set2);
    g_free(a->pair_set);
    g_free(a->filter_driver);
    g_free(a->owner_driver);
    g_free(a);
}

typedef SimAttrSpec SimAttrSpecPtr;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimAttrSpecPtr, attrSpecFreeFunc);
typedef SimHost SimHostPtr;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimHostPtr, simHostFree);

static const char *const attrKinds[] = {
    [SIM_ATTR_CONST] = "const",
    [SIM_ATTR_VALUE] = "value",
    [SIM_ATTR_ASSIGN] = "assign",
    [SIM_ATTR_UNASSIGN] = "unassign",
    [SIM_ATTR_LIST] = "list",
    [SIM_ATTR_MATRIX] = "matrix",
};
G_STATIC_ASSERT(G_N_ELEMENTS(attrKinds) == SIM_ATTR_LAST);

static SimAttrSpec *
loadAttr(GKeyFile *kf, const char *key, const char *name, GError **error)
{
    g_autofree char *group = g_strdup_printf("attr %s %s", key, name);
    g_autofree char *kind = NULL;
    g_autoptr(SimAttrSpecPtr) a = NULL;
    g_autofree char *side = NULL;
    guint64 v;
    size_t i;

    if (!g_key_file_has_group(kf, group)) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                    "missing group [%s]", group);
        return NULL;
    }
    if (!checkName(group, name, TRUE, error))
        return NULL;
    a = g_new0(SimAttrSpec, 1);
    a->name = g_strdup(name);
    a->kind = SIM_ATTR_LAST;
    kind = getStr(kf, group, "kind");
    for (i = 0; kind && i < G_N_ELEMENTS(attrKinds); i++) {
        if (strcmp(kind, attrKinds[i]) == 0)
            a->kind = i;
    }
    if (a->kind == SIM_ATTR_LAST) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[%s] kind: '%s' is not one of const, value, assign, "
                    "unassign, list, matrix", group, kind ? kind : "");
        return NULL;
    }
    switch (a->kind) {
    case SIM_ATTR_VALUE:
        a->mode = 0644;
        break;
    case SIM_ATTR_ASSIGN:
    case SIM_ATTR_UNASSIGN:
        a->mode = 0200;
        break;
    case SIM_ATTR_CONST:
    case SIM_ATTR_LIST:
    case SIM_ATTR_MATRIX:
    case SIM_ATTR_LAST:
        a->mode = 0444;
        break;
    }
    if (!getUint(kf, group, "mode", a->mode, &v, error))
        return NULL;
    a->mode = v & 0777;
    a->value = getStr(kf, group, "value");
    if (a->value && a->kind == SIM_ATTR_CONST && !g_str_has_suffix(a->value, "\n")) {
        char *t = g_strconcat(a->value, "\n", NULL);

        g_free(a->value);
        a->value = t;
    }
    a->set = getStr(kf, group, "set");
    a->set2 = getStr(kf, group, "set2");
    a->pair_set = getStr(kf, group, "pair_set");
    a->filter_driver = getStr(kf, group, "filter_driver");
    if (!getErrno(kf, group, "share_errno", EADDRINUSE, &a->share_errno, error))
        return NULL;
    if (a->filter_driver && !checkName(group, a->filter_driver, FALSE, error))
        return NULL;
    a->owner_driver = getStr(kf, group, "owner_driver");
    if (a->owner_driver && !checkName(group, a->owner_driver, FALSE, error))
        return NULL;
    if (!getErrno(kf, group, "owner_errno", EADDRNOTAVAIL, &a->owner_errno, error))
        return NULL;
    side = getStr(kf, group, "ap_side");
    if (side && strcmp(side, "domain") != 0 && strcmp(side, "adapter") != 0) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[%s] ap_side: '%s' is neither adapter nor domain", group, side);
        return NULL;
    }
    a->ap_domain = side && strcmp(side, "domain") == 0;
    if (a->owner_driver && !a->pair_set) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                    "[%s] owner_driver needs pair_set=", group);
        return NULL;
    }
    if (!getUint(kf, group, "min", 0, &a->min, error) ||
        !getUint(kf, group, "max", 255, &a->max, error) ||
        !getErrno(kf, group, "range_errno", EINVAL, &a->range_errno, error) ||
        !getUint(kf, group, "width", 4, &v, error))
        return NULL;
    a->width = MIN(v, 16);
    if ((a->kind == SIM_ATTR_ASSIGN || a->kind == SIM_ATTR_UNASSIGN ||
         a->kind == SIM_ATTR_LIST || a->kind == SIM_ATTR_MATRIX) && !a->set) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                    "[%s] needs set=", group);
        return NULL;
    }
    if (a->kind == SIM_ATTR_MATRIX && !a->set2) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                    "[%s] needs set2=", group);
        return NULL;
    }
    if (a->max > 65535 && (a->kind == SIM_ATTR_ASSIGN || a->kind == SIM_ATTR_UNASSIGN)) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[%s] max: a set holds at most 65536 numbers", group);
        return NULL;
    }
    return g_steal_pointer(&a);
}

/* "const.NAME=TEXT" keys of a [type] group: read-only attributes of the
 * devices of that type only (mbochs's vendor/memory, mdpy's resolution). */
static gboolean
loadTypeConsts(GKeyFile *kf, const char *group, SimTypeSpec *ts, GError **error)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
    size_t i;

    for (i = 0; keys && keys[i]; i++) {
        g_autofree char *value = NULL;
        SimAttrSpec *a;

        if (!g_str_has_prefix(keys[i], "const."))
            continue;
        if (!checkName(group, keys[i] + 6, TRUE, error))
            return FALSE;
        /* NULL for a value that is not UTF-8 */
        if (!(value = getStr(kf, group, keys[i]))) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                        "[%s] %s: the value is not UTF-8", group, keys[i]);
            return FALSE;
        }
        if (!ts->attrs)
            ts->attrs = g_ptr_array_new_with_free_func(attrSpecFreeFunc);
        a = g_new0(SimAttrSpec, 1);
        a->name = g_strdup(keys[i] + 6);
        a->kind = SIM_ATTR_CONST;
        a->mode = 0444;
        a->value = g_steal_pointer(&value);
        if (!g_str_has_suffix(a->value, "\n")) {
            char *t = g_strconcat(a->value, "\n", NULL);

            g_free(a->value);
            a->value = t;
        }
        g_ptr_array_add(ts->attrs, a);
    }
    return TRUE;
}

static gboolean
loadMdev(SimHost *host, GKeyFile *kf, const char *group, const char *key,
         GError **error)
{
    SimMdevSpec *spec = simHostAddMdevSpec(host, key);
    g_auto(GStrv) types = g_key_file_get_string_list(kf, group, "types", NULL, NULL);
    g_auto(GStrv) attrs = g_key_file_get_string_list(kf, group, "attrs", NULL, NULL);
    guint64 v;
    size_t i;

    spec->driver = getStr(kf, group, "driver");
    spec->device_api = getStr(kf, group, "device_api");
    if (!spec->driver || !spec->device_api || !types || !types[0]) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                    "[%s] needs driver=, device_api= and types=", group);
        return FALSE;
    }
    if (!checkName(group, spec->driver, FALSE, error) ||
        !getUint(kf, group, "capacity", 1, &v, error) ||
        !getErrno(kf, group, "full_errno", ENOSPC, &spec->full_errno, error))
        return FALSE;
    spec->capacity = MIN(v, G_MAXUINT);
    for (i = 0; types[i]; i++) {
        g_autofree char *tgroup = g_strdup_printf("type %s %s", key, types[i]);
        SimTypeSpec *ts;

        if (!checkName(group, types[i], FALSE, error))
            return FALSE;
        if (g_strv_contains((const char *const *)types + i + 1, types[i])) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                        "[%s] types: '%s' is listed twice", group, types[i]);
            return FALSE;
        }
        ts = g_new0(SimTypeSpec, 1);
        g_ptr_array_add(spec->types, ts);
        ts->id = g_strdup(types[i]);
        ts->cost = 1;
        if (!g_key_file_has_group(kf, tgroup))
            continue;
        ts->name = getStr(kf, tgroup, "name");
        ts->description = getStr(kf, tgroup, "description");
        if (!getUint(kf, tgroup, "cost", 1, &v, error))
            return FALSE;
        ts->cost = v ? MIN(v, G_MAXUINT) : 1;
        if (!getUint(kf, tgroup, "max", 0, &v, error))
            return FALSE;
        ts->max = MIN(v, G_MAXUINT);
        if (!loadTypeConsts(kf, tgroup, ts, error))
            return FALSE;
    }
    for (i = 0; attrs && attrs[i]; i++) {
        SimAttrSpec *a = loadAttr(kf, key, attrs[i], error);

        if (!a)
            return FALSE;
        g_ptr_array_add(spec->attrs, a);
    }
    return TRUE;
}

static SimMdevSpec *
getMdev(SimHost *host, GKeyFile *kf, const char *group, GError **error)
{
    g_autofree char *key = getStr(kf, group, "mdev");
    SimMdevSpec *spec;

    if (!key)
        return NULL;
    if (!(spec = simHostFindMdevSpec(host, key)))
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[%s] mdev: no group [mdev %s]", group, key);
    return spec;
}

static gboolean
loadPci(SimHost *host, GKeyFile *kf, const char *group, const char *addr,
        GError **error)
{
    SimPciSpec s = { 0 };
    g_autofree char *path = NULL;
    g_autofree char *bridge = getStr(kf, group, "path");
    g_autofree char *driver = getStr(kf, group, "driver");
    g_autofree char *cur_speed = getStr(kf, group, "current_link_speed");
    g_autofree char *max_speed = getStr(kf, group, "max_link_speed");
    g_autofree char *vf_driver = getStr(kf, group, "vf_driver");
    g_autofree char *vf_mdev = getStr(kf, group, "vf_mdev");
    SimMdevSpec *mdev;
    GError *err = NULL;
    guint64 v[14];

    if (!getUint(kf, group, "vendor", 0xffff, &v[0], error) ||
        !getUint(kf, group, "device", 0xffff, &v[1], error) ||
        !getUint(kf, group, "subsystem_vendor", 0, &v[2], error) ||
        !getUint(kf, group, "subsystem_device", 0, &v[3], error) ||
        !getUint(kf, group, "class", 0, &v[4], error) ||
        !getUint(kf, group, "revision", 0, &v[5], error) ||
        !getUint(kf, group, "current_link_width", 0, &v[6], error) ||
        !getUint(kf, group, "max_link_width", 0, &v[7], error) ||
        !getUint(kf, group, "sriov_totalvfs", 0, &v[8], error) ||
        !getUint(kf, group, "sriov_numvfs", 0, &v[9], error) ||
        !getUint(kf, group, "sriov_offset", 1, &v[10], error) ||
        !getUint(kf, group, "sriov_stride", 1, &v[11], error) ||
        !getUint(kf, group, "sriov_vf_device", 0, &v[12], error) ||
        !getUint(kf, group, "multifunction", 0, &v[13], error) ||
        !getInt(kf, group, "numa_node", -1, &s.numa_node, error) ||
        !getInt(kf, group, "iommu_group", -1, &s.iommu_group, error))
        return FALSE;
    if (bridge && !checkName(group, bridge, TRUE, error))
        return FALSE;
    if ((driver && !checkName(group, driver, FALSE, error)) ||
        (vf_driver && !checkName(group, vf_driver, FALSE, error)))
        return FALSE;
    if (v[9] > v[8] || v[8] > 2048) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[%s] sriov_numvfs exceeds sriov_totalvfs (at most 2048)", group);
        return FALSE;
    }
    s.addr = (char *)addr;
    s.path = bridge;
    s.vendor = v[0] & 0xffff;
    s.device = v[1] & 0xffff;
    s.subsystem_vendor = v[2] & 0xffff;
    s.subsystem_device = v[3] & 0xffff;
    s.class_code = v[4] & 0xffffff;
    s.revision = v[5] & 0xff;
    s.driver = driver;
    s.cur_speed = cur_speed;
    s.cur_width = v[6];
    s.max_speed = max_speed;
    s.max_width = v[7];
    s.totalvfs = v[8];
    s.numvfs = v[9];
    s.vf_offset = v[10];
    s.vf_stride = v[11];
    s.vf_device = v[12] ? v[12] : s.device;
    s.multifunction = v[13] != 0;
    s.vf_driver = vf_driver;
    s.vf_mdev = vf_mdev;
    mdev = getMdev(host, kf, group, &err);
    if (err) {
        g_propagate_error(error, err);
        return FALSE;
    }
    if (!(path = simHostAddPci(host, &s, error)))
        return FALSE;
    if (mdev && simHostRegisterParent(host, addr, path, mdev, error) < 0)
        return FALSE;
    return TRUE;
}

static gboolean
registerIf(SimHost *host, GKeyFile *kf, const char *group, const char *name,
           const char *path, GError **error)
{
    GError *err = NULL;
    SimMdevSpec *mdev = getMdev(host, kf, group, &err);

    if (err) {
        g_propagate_error(error, err);
        return FALSE;
    }
    if (mdev && simHostRegisterParent(host, name, path, mdev, error) < 0)
        return FALSE;
    return TRUE;
}

static gboolean
loadApCard(SimHost *host, GKeyFile *kf, const char *group, const char *card,
           GError **error)
{
    g_autofree char *type = getStr(kf, group, "type");
    g_autofree char *qdrv = getStr(kf, group, "queue_driver");
    g_auto(GStrv) doms = g_key_file_get_string_list(kf, group, "domains", NULL, NULL);
    g_autofree guint *dv = NULL;
    guint64 num;
    guint64 hw;
    guint n = 0;
    size_t i;

    if (!g_ascii_string_to_unsigned(card, 16, 0, 255, &num, NULL)) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[%s]: the card number is two hex digits", group);
        return FALSE;
    }
    if (!getUint(kf, group, "hwtype", 13, &hw, error))
        return FALSE;
    if (qdrv && !checkName(group, qdrv, FALSE, error))
        return FALSE;
    dv = g_new0(guint, doms ? g_strv_length(doms) + 1 : 1);
    for (i = 0; doms && doms[i]; i++) {
        char *end = NULL;
        guint64 d = g_ascii_strtoull(g_strstrip(doms[i]), &end, 0);

        if (!*doms[i] || *end || d > 255) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                        "[%s] domains: '%s' is not a domain number", group, doms[i]);
            return FALSE;
        }
        dv[n++] = d;
    }
    simHostAddApCard(host, num, type ? type : "CEX7C", hw, dv, n, qdrv);
    return TRUE;
}

/**
 * simProfileLoad:
 * @text: a profile (GKeyFile syntax, see docs/mdevsim.md)
 * @len: its length
 * @error: set on a syntax or semantic error
 *
 * Returns: (transfer full): the host the profile describes, or NULL.
 */
SimHost *
simProfileLoad(const char *text, gsize len, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_auto(GStrv) groups = NULL;
    g_autoptr(SimHostPtr) host = NULL;
    size_t i;

    if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, error))
        return NULL;
    host = simHostNew();
    groups = g_key_file_get_groups(kf, NULL);

    /* Drivers first: devices refer to them by name. */
    for (i = 0; groups[i]; i++) {
        if (g_str_has_prefix(groups[i], "mdev ") &&
            !loadMdev(host, kf, groups[i], groups[i] + 5, error))
            return NULL;
    }
    for (i = 0; groups[i]; i++) {
        const char *g = groups[i];

        if (strcmp(g, "dmi") == 0) {
            g_auto(GStrv) keys = g_key_file_get_keys(kf, g, NULL, NULL);
            size_t k;

            for (k = 0; keys && keys[k]; k++) {
                g_autofree char *val = getStr(kf, g, keys[k]);

                if (!checkName(g, keys[k], FALSE, error))
                    return NULL;
                simHostAddDmi(host, keys[k], val ? val : "");
            }
        } else if (g_str_has_prefix(g, "pci ")) {
            if (!loadPci(host, kf, g, g + 4, error))
                return NULL;
        } else if (g_str_has_prefix(g, "virtual ")) {
            const char *slash = strchr(g + 8, '/');
            g_autofree char *cls = NULL;
            g_autofree char *path = NULL;

            if (!slash || !checkName(g, g + 8, TRUE, error) ||
                strchr(slash + 1, '/') || slash == g + 8 || !slash[1]) {
                if (error && !*error)
                    g_set_error(error, G_KEY_FILE_ERROR,
                                G_KEY_FILE_ERROR_INVALID_VALUE,
                                "[%s]: expected [virtual CLASS/NAME]", g);
                return NULL;
            }
            cls = g_strndup(g + 8, slash - (g + 8));
            path = simHostAddVirtual(host, cls, slash + 1);
            if (!registerIf(host, kf, g, slash + 1, path, error))
                return NULL;
        } else if (g_str_has_prefix(g, "css ")) {
            g_autofree char *devno = getStr(kf, g, "devno");
            g_autofree char *driver = getStr(kf, g, "driver");
            g_autofree char *path = NULL;

            if ((driver && !checkName(g, driver, FALSE, error)) ||
                !checkName(g, g + 4, FALSE, error) ||
                (devno && !checkName(g, devno, FALSE, error)))
                return NULL;
            if (!(path = simHostAddCss(host, g + 4, devno, driver, error)) ||
                !registerIf(host, kf, g, g + 4, path, error))
                return NULL;
        } else if (g_str_has_prefix(g, "ap-card ")) {
            if (!loadApCard(host, kf, g, g + 8, error))
                return NULL;
        } else if (strcmp(g, "ap-matrix") == 0) {
            g_autofree char *path = simHostAddApMatrix(host);

            if (!registerIf(host, kf, g, "matrix", path, error))
                return NULL;
        } else if (!g_str_has_prefix(g, "mdev ") && !g_str_has_prefix(g, "type ") &&
                   !g_str_has_prefix(g, "attr ") && strcmp(g, "mdevsim") != 0) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                        "unknown group [%s]", g);
            return NULL;
        }
    }
    simHostFinish(host);
    return g_steal_pointer(&host);
}
