/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* simhost: the simulated host: its construction, the control files in
 * .mdevsim, and mdev parent registration. Devices are in simdev.c, mdev
 * types and devices in simmdev.c. */
#include "simhost-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------ */

/* Initialises an empty id allocator. */
void
simIdsInit(SimIds *ids)
{
    ids->used = g_array_new(FALSE, TRUE, 1);
    ids->hint = 0;
}

/* Marks @id as taken (profile-chosen ids such as a PCI iommu group). */
void
simIdsMark(SimIds *ids, guint id)
{
    if (id >= ids->used->len)
        g_array_set_size(ids->used, id + 1);
    g_array_index(ids->used, guint8, id) = 1;
}

/* Returns the lowest free id and takes it. */
guint
simIdsAlloc(SimIds *ids)
{
    guint i = ids->hint;

    while (i < ids->used->len && g_array_index(ids->used, guint8, i))
        i++;
    simIdsMark(ids, i);
    ids->hint = i + 1;
    return i;
}

/* Gives @id back. */
void
simIdsRelease(SimIds *ids, guint id)
{
    if (id < ids->used->len)
        g_array_index(ids->used, guint8, id) = 0;
    if (id < ids->hint)
        ids->hint = id;
}

static const struct {
    const char *name;
    int value;
} errnoNames[] = {
    { "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EIO", EIO },
    { "ENXIO", ENXIO }, { "E2BIG", E2BIG }, { "ENOMEM", ENOMEM },
    { "EACCES", EACCES }, { "EFAULT", EFAULT }, { "EBUSY", EBUSY },
    { "EEXIST", EEXIST }, { "ENODEV", ENODEV }, { "EINVAL", EINVAL },
    { "ENOSPC", ENOSPC }, { "ERANGE", ERANGE }, { "EAGAIN", EAGAIN },
    { "EUSERS", EUSERS }, { "EOPNOTSUPP", EOPNOTSUPP },
    { "ETIMEDOUT", ETIMEDOUT }, { "EADDRINUSE", EADDRINUSE },
    { "EADDRNOTAVAIL", EADDRNOTAVAIL }, { "EROFS", EROFS },
    { "EINTR", EINTR }, { "ENOTSUP", ENOTSUP }, { "ECANCELED", ECANCELED },
};

/**
 * simHostErrnoParse:
 * @str: an errno name ("EIO") or a positive number
 *
 * Returns: the errno value, or 0 if @str is neither.
 */
int
simHostErrnoParse(const char *str)
{
    guint64 v;
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(errnoNames); i++) {
        if (g_ascii_strcasecmp(str, errnoNames[i].name) == 0)
            return errnoNames[i].value;
    }
    if (g_ascii_string_to_unsigned(str, 10, 1, 4095, &v, NULL))
        return (int)v;
    return 0;
}

static const char *
errnoName(int err)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(errnoNames); i++) {
        if (errnoNames[i].value == err)
            return errnoNames[i].name;
    }
    return "?";
}

/* The kernel's kstrtoull(buf, 0, ...): optional '+', 0x-prefixed hex,
 * 0-prefixed octal or decimal, at least one digit, one optional trailing
 * newline, nothing else. */
gboolean
simParseKernelUll(const char *buf, size_t len, guint64 *ret)
{
    char tmp[128];
    const char *s = tmp;
    guint base = 10;
    guint64 val = 0;
    gboolean any = FALSE;

    len = strnlen(buf, len);
    if (len >= sizeof(tmp))
        return FALSE;
    memcpy(tmp, buf, len);
    tmp[len] = '\0';

    if (*s == '+')
        s++;
    if (s[0] == '0' && g_ascii_tolower(s[1]) == 'x' && g_ascii_isxdigit(s[2])) {
        base = 16;
        s += 2;
    } else if (s[0] == '0') {
        base = 8;
    }
    for (; *s; s++) {
        guint d;

        if (g_ascii_isdigit(*s))
            d = *s - '0';
        else if (g_ascii_isxdigit(*s))
            d = g_ascii_tolower(*s) - 'a' + 10;
        else
            break;
        if (d >= base)
            break;
        if (val > (G_MAXUINT64 - d) / base)
            return FALSE;  /* ERANGE, which callers turn into EINVAL */
        val = val * base + d;
        any = TRUE;
    }
    if (!any)
        return FALSE;
    if (*s == '\n')
        s++;
    if (*s)
        return FALSE;
    *ret = val;
    return TRUE;
}

/* The kernel's uuid_is_valid() on the first 36 bytes; writes the lower
 * case form to @out. */
gboolean
simParseUuid(const char *buf, size_t len, char out[UUID_LEN + 1])
{
    size_t i;

    if (len < UUID_LEN)
        return FALSE;
    for (i = 0; i < UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (buf[i] != '-')
                return FALSE;
        } else if (!g_ascii_isxdigit(buf[i])) {
            return FALSE;
        }
        out[i] = g_ascii_tolower(buf[i]);
    }
    out[UUID_LEN] = '\0';
    return TRUE;
}


static void
attrSpecFree(gpointer p)
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

static void
typeSpecFree(gpointer p)
{
    SimTypeSpec *t = p;

    g_free(t->id);
    g_free(t->name);
    g_free(t->description);
    if (t->attrs)
        g_ptr_array_unref(t->attrs);
    g_free(t);
}

static void
mdevSpecFree(gpointer p)
{
    SimMdevSpec *s = p;

    g_free(s->key);
    g_free(s->driver);
    g_free(s->device_api);
    g_ptr_array_unref(s->types);
    g_ptr_array_unref(s->attrs);
    g_free(s);
}

static void
parentFree(gpointer p)
{
    SimParent *parent = p;

    g_free(parent->name);
    g_free(parent->path);
    g_ptr_array_unref(parent->types);
    g_hash_table_unref(parent->mdevs);
    g_free(parent);
}


/* Adds a file whose content is formatted like printf. */
void
simAddFilef(SimHost *host, SimNode *dir, const char *name, mode_t mode,
            const char *fmt, ...)
{
    va_list ap;
    g_autofree char *text = NULL;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    simFsAddFile(host->fs, dir, name, mode, text);
}

/* ---- the control interface (MOUNTPOINT/.mdevsim) ------------------- */

static int
injectRead(SimNode *node, GString *out)
{
    SimHost *host = node->data;
    GHashTableIter iter;
    gpointer key;
    gpointer value;

    if (host->inject_create)
        g_string_append_printf(out, "create %s\n", errnoName(host->inject_create));
    if (host->inject_remove)
        g_string_append_printf(out, "remove %s\n", errnoName(host->inject_remove));
    if (host->inject_avail)
        g_string_append_printf(out, "available_instances %s\n",
                               errnoName(host->inject_avail));
    g_hash_table_iter_init(&iter, host->inject_attr);
    while (g_hash_table_iter_next(&iter, &key, &value))
        g_string_append_printf(out, "attr %s %s\n", (char *)key,
                               errnoName(GPOINTER_TO_INT(value)));
    if (host->inject_vanish)
        g_string_append_printf(out, "parent-vanish %s\n", host->inject_vanish);
    return 0;
}

static int
injectLine(SimHost *host, const char *line)
{
    g_auto(GStrv) w = g_strsplit_set(line, " \t", -1);
    GPtrArray *words = g_ptr_array_new();
    int err = EINVAL;
    int e = 0;
    size_t i;

    for (i = 0; w[i]; i++) {
        if (*w[i])
            g_ptr_array_add(words, w[i]);
    }
    if (words->len == 0) {
        err = 0;
    } else if (words->len == 2 &&
               strcmp(g_ptr_array_index(words, 0), "parent-vanish") == 0) {
        if (g_hash_table_contains(host->parents, g_ptr_array_index(words, 1))) {
            g_free(host->inject_vanish);
            host->inject_vanish = g_strdup(g_ptr_array_index(words, 1));
            err = 0;
        } else {
            err = ENOENT;
        }
    } else if (words->len == 2 &&
               (e = simHostErrnoParse(g_ptr_array_index(words, 1))) > 0) {
        const char *op = g_ptr_array_index(words, 0);

        err = 0;
        if (strcmp(op, "create") == 0)
            host->inject_create = e;
        else if (strcmp(op, "remove") == 0)
            host->inject_remove = e;
        else if (strcmp(op, "available_instances") == 0)
            host->inject_avail = e;
        else
            err = EINVAL;
    } else if (words->len == 3 &&
               strcmp(g_ptr_array_index(words, 0), "attr") == 0 &&
               (e = simHostErrnoParse(g_ptr_array_index(words, 2))) > 0) {
        g_hash_table_insert(host->inject_attr,
                            g_strdup(g_ptr_array_index(words, 1)),
                            GINT_TO_POINTER(e));
        err = 0;
    }
    g_ptr_array_unref(words);
    return err;
}

typedef int (*LineFunc)(SimHost *host, const char *line);

static int
forEachLine(SimHost *host, const char *buf, size_t len, LineFunc func)
{
    g_autofree char *text = g_strndup(buf, len);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    size_t i;
    int err;

    for (i = 0; lines[i]; i++) {
        g_strstrip(lines[i]);
        if (!*lines[i])
            continue;
        if ((err = func(host, lines[i])) != 0)
            return err;
    }
    return 0;
}

static int
injectWrite(SimNode *node, const char *buf, size_t len)
{
    return forEachLine(node->data, buf, len, injectLine);
}

static int
busyRead(SimNode *node, GString *out)
{
    SimHost *host = node->data;
    g_autofree gpointer *keys = NULL;
    guint n;
    guint i;

    keys = g_hash_table_get_keys_as_array(host->busy, &n);
    for (i = 0; i < n; i++)
        g_string_append_printf(out, "%s\n", (char *)keys[i]);
    return 0;
}

static int
busyLine(SimHost *host, const char *line)
{
    char uuid[UUID_LEN + 1];

    if ((line[0] != '+' && line[0] != '-') || strlen(line) != UUID_LEN + 1 ||
        !simParseUuid(line + 1, UUID_LEN, uuid))
        return EINVAL;
    if (line[0] == '+')
        g_hash_table_add(host->busy, g_strdup(uuid));
    else
        g_hash_table_remove(host->busy, uuid);
    return 0;
}

static int
busyWrite(SimNode *node, const char *buf, size_t len)
{
    return forEachLine(node->data, buf, len, busyLine);
}

static int
parentsRead(SimNode *node, GString *out)
{
    SimHost *host = node->data;
    guint i;

    for (i = 0; i < host->parent_order->len; i++) {
        SimParent *p = g_ptr_array_index(host->parent_order, i);

        g_string_append_printf(out, "%c%s\n", p->registered ? '+' : '-', p->name);
    }
    return 0;
}

static int
parentsLine(SimHost *host, const char *line)
{
    if (!g_hash_table_contains(host->parents, line + 1))
        return ENOENT;
    if (line[0] == '-')
        return simHostUnregisterParent(host, line + 1) < 0 ? EINVAL : 0;
    if (line[0] == '+')
        return simHostReregisterParent(host, line + 1) < 0 ? EINVAL : 0;
    return EINVAL;
}

static int
parentsWrite(SimNode *node, const char *buf, size_t len)
{
    return forEachLine(node->data, buf, len, parentsLine);
}

/* ---- host construction -------------------------------------------- */

/**
 * simHostNew:
 *
 * Returns: an empty host: the sysfs skeleton (bus/mdev, class/mdev_bus,
 * kernel/iommu_groups) and the control directory .mdevsim.
 */
SimHost *
simHostNew(void)
{
    SimHost *host = g_new0(SimHost, 1);
    SimNode *ctl;
    SimNode *dir;

    host->fs = simFsNew();
    host->specs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, mdevSpecFree);
    host->parents = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, parentFree);
    host->parent_order = g_ptr_array_new();
    host->mdevs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, simMdevFree);
    host->busy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    host->pcis = g_ptr_array_new_with_free_func(g_free);
    host->drivers = g_ptr_array_new_with_free_func(simDriverFree);
    host->inject_attr = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    simIdsInit(&host->groups);
    simIdsInit(&host->vfio_ids);

    simFsMkdirP(host->fs, "bus/mdev/devices");
    simFsMkdirP(host->fs, "bus/mdev/drivers");
    dir = simFsLookupPath(host->fs, "bus/mdev");
    simFsAddFile(host->fs, dir, "drivers_autoprobe", 0644, "1\n");
    simFsAddFile(host->fs, dir, "drivers_probe", 0200, "");
    simFsAddFile(host->fs, dir, "uevent", 0200, "");
    simFsMkdirP(host->fs, "bus/pci/devices");
    simFsMkdirP(host->fs, "bus/pci/drivers");
    simFsMkdirP(host->fs, "class/mdev_bus");
    simFsMkdirP(host->fs, "devices/system");
    host->groups_dir = simFsMkdirP(host->fs, "kernel/iommu_groups");

    ctl = simFsMkdir(host->fs, host->fs->root, ".mdevsim");
    ctl->hidden = TRUE;
    simFsAddDynFile(host->fs, ctl, "inject", 0600, injectRead, injectWrite, host);
    simFsAddDynFile(host->fs, ctl, "busy", 0600, busyRead, busyWrite, host);
    simFsAddDynFile(host->fs, ctl, "parents", 0600, parentsRead, parentsWrite, host);
    host->vfio_dir = simFsMkdirP(host->fs, ".mdevsim/dev/vfio");
    simFsAddFile(host->fs, host->vfio_dir, "vfio", 0666, "");
    return host;
}

/* Frees @host and its tree (may be NULL). */
void
simHostFree(SimHost *host)
{
    if (!host)
        return;
    g_hash_table_unref(host->mdevs);
    g_hash_table_unref(host->parents);
    g_ptr_array_unref(host->parent_order);
    g_hash_table_unref(host->specs);
    g_hash_table_unref(host->busy);
    g_hash_table_unref(host->inject_attr);
    g_ptr_array_unref(host->pcis);
    g_ptr_array_unref(host->drivers);
    g_array_unref(host->groups.used);
    g_array_unref(host->vfio_ids.used);
    g_free(host->inject_vanish);
    simFsFree(host->fs);
    g_free(host);
}

/* Returns the tree of @host (borrowed, valid as long as @host). */
SimFs *
simHostGetFs(SimHost *host)
{
    return host->fs;
}

/* Returns a new, empty mdev driver description registered as @key
 * (borrowed; owned by @host), or the existing one. */
SimMdevSpec *
simHostAddMdevSpec(SimHost *host, const char *key)
{
    SimMdevSpec *spec = g_hash_table_lookup(host->specs, key);

    if (spec)
        return spec;
    spec = g_new0(SimMdevSpec, 1);
    spec->key = g_strdup(key);
    spec->types = g_ptr_array_new_with_free_func(typeSpecFree);
    spec->attrs = g_ptr_array_new_with_free_func(attrSpecFree);
    spec->full_errno = ENOSPC;
    g_hash_table_insert(host->specs, spec->key, spec);
    return spec;
}

/* Returns the mdev driver description @key (borrowed) or NULL. */
SimMdevSpec *
simHostFindMdevSpec(SimHost *host, const char *key)
{
    return g_hash_table_lookup(host->specs, key);
}

/* Registers @spec's types on the device at @path as parent @name;
 * 0, or -1 with @error set. */
int
simRegisterParent(SimHost *host, const char *name, const char *path,
               SimMdevSpec *spec, GError **error)
{
    SimParent *parent;
    SimNode *dir = simFsLookupPath(host->fs, path);
    guint i;

    if (!dir || dir->kind != SIM_NODE_DIR) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "no device at '%s' for mdev parent '%s'", path, name);
        return -1;
    }
    if (g_hash_table_contains(host->parents, name)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "duplicate mdev parent '%s'", name);
        return -1;
    }
    if (!spec->driver || !spec->device_api || spec->types->len == 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "mdev driver '%s' needs driver, device_api and types",
                    spec->key);
        return -1;
    }
    parent = g_new0(SimParent, 1);
    parent->host = host;
    parent->name = g_strdup(name);
    parent->path = g_strdup(path);
    parent->spec = spec;
    parent->dir = dir;
    parent->types = g_ptr_array_new_with_free_func(g_free);
    parent->mdevs = g_hash_table_new(g_str_hash, g_str_equal);
    for (i = 0; i < spec->types->len; i++) {
        SimType *type = g_new0(SimType, 1);

        type->parent = parent;
        type->spec = g_ptr_array_index(spec->types, i);
        g_ptr_array_add(parent->types, type);
    }
    g_hash_table_insert(host->parents, parent->name, parent);
    g_ptr_array_add(host->parent_order, parent);
    simFsMkdirP(host->fs, "bus/mdev/drivers");
    simParentAddTypes(parent);
    return 0;
}

/**
 * simHostRegisterParent:
 * @host: the host
 * @name: the name under class/mdev_bus
 * @path: the parent's device directory (must exist)
 * @spec: its mdev driver (types, pool, attributes)
 * @error: set when the device is missing or the name taken
 *
 * Returns: 0 or -1.
 */
int
simHostRegisterParent(SimHost *host, const char *name, const char *path,
                      SimMdevSpec *spec, GError **error)
{
    return simRegisterParent(host, name, path, spec, error);
}

/**
 * simHostUnregisterParent:
 * @host: the host
 * @name: a parent
 *
 * The vendor driver goes away: its mdevs, types and class link vanish.
 * Returns: 0, or -1 if there is no such registered parent.
 */
int
simHostUnregisterParent(SimHost *host, const char *name)
{
    SimParent *parent = g_hash_table_lookup(host->parents, name);
    GList *mdevs;
    GList *l;

    if (!parent || !parent->registered)
        return -1;
    mdevs = g_hash_table_get_values(parent->mdevs);
    for (l = mdevs; l; l = l->next)
        simMdevDelete(l->data);
    g_list_free(mdevs);
    simFsRemove(host->fs, parent->class_link);
    simFsRemove(host->fs, parent->types_dir);
    parent->class_link = NULL;
    parent->types_dir = NULL;
    parent->registered = FALSE;
    /* A virtual parent (mtty, mdpy, mbochs) is the module's own device:
     * it goes away with the module, unlike a PCI function, which stays
     * without mdev_supported_types. */
    if (g_str_has_prefix(parent->path, "devices/virtual/")) {
        g_auto(GStrv) parts = g_strsplit(parent->path, "/", -1);

        if (g_strv_length(parts) == 4) {
            g_autofree char *link = g_strdup_printf("class/%s/%s",
                                                    parts[2], parts[3]);

            simFsRemove(host->fs, simFsLookupPath(host->fs, link));
        }
        simFsRemove(host->fs, parent->dir);
        parent->dir = NULL;
    }
    return 0;
}

/* Registers an unregistered parent again; 0, or -1 if not possible. */
int
simHostReregisterParent(SimHost *host, const char *name)
{
    SimParent *parent = g_hash_table_lookup(host->parents, name);

    if (!parent || parent->registered)
        return -1;
    if (!parent->dir && g_str_has_prefix(parent->path, "devices/virtual/")) {
        g_auto(GStrv) parts = g_strsplit(parent->path, "/", -1);
        g_autofree char *path = NULL;

        if (g_strv_length(parts) != 4)
            return -1;
        /* the module is loaded again: its device comes back first */
        path = simHostAddVirtual(host, parts[2], parts[3]);
        parent->dir = simFsLookupPath(host->fs, path);
    }
    if (!parent->dir || !parent->dir->attached)
        return -1;
    simParentAddTypes(parent);
    return 0;
}

/* Called once the profile is loaded; nothing left to do at present but
 * kept so later steps (e.g. driver dirs) have one place. */
void
simHostFinish(SimHost *host)
{
    (void)host;
}
