/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* simhost: the simulated host (PCI, s390, mdev parents, types, devices) and
 * the kernel's mdev create/remove semantics on top of simfs. */
#include "simhost.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#define UUID_LEN 36

/* Lowest-free id allocator, like the kernel's ida for iommu groups. */
typedef struct {
    GArray *used;        /* guint8 per id */
    guint hint;          /* no free id below this one */
} SimIds;

typedef struct {
    guint64 max;
    guint8 *bits;
} SimSet;

typedef struct _SimParent SimParent;
typedef struct _SimType SimType;
typedef struct _SimMdev SimMdev;

struct _SimType {
    SimParent *parent;
    SimTypeSpec *spec;
    SimNode *dir;
    SimNode *devices;
    guint count;
};

struct _SimParent {
    SimHost *host;
    char *name;
    char *path;
    SimMdevSpec *spec;
    GPtrArray *types;    /* SimType * */
    GHashTable *mdevs;   /* uuid -> SimMdev * (borrowed from host->mdevs) */
    SimNode *dir;
    SimNode *types_dir;
    SimNode *class_link;
    guint used;
    gboolean registered;
};

typedef struct {
    SimMdev *mdev;
    SimAttrSpec *spec;
    char *value;
} SimMdevAttr;

struct _SimMdev {
    SimHost *host;
    char uuid[UUID_LEN + 1];
    SimType *type;
    SimNode *dir;
    SimNode *group_dir;
    SimNode *bus_link;
    SimNode *type_link;
    SimNode *driver_link;
    SimNode *vfio_node;
    SimNode *vfio_class_link;
    guint group;
    guint vfio_index;
    GPtrArray *attrs;    /* SimMdevAttr * */
    GHashTable *sets;    /* name -> SimSet * */
};

typedef struct {
    guint vendor;
    guint device;
    guint subsystem_vendor;
    guint subsystem_device;
    guint class_code;
    guint revision;
    gboolean pcie;
    guint cur_speed;
    guint cur_width;
    guint max_speed;
    guint max_width;
    gboolean multifunction;
    gboolean sriov;
} SimPci;

struct _SimHost {
    SimFs *fs;
    GHashTable *specs;       /* key -> SimMdevSpec * (owned) */
    GHashTable *parents;     /* name -> SimParent * (owned) */
    GPtrArray *parent_order; /* SimParent * (borrowed) */
    GHashTable *mdevs;       /* uuid -> SimMdev * (owned) */
    GHashTable *busy;        /* uuid set */
    GPtrArray *pcis;         /* SimPci * (owned) */
    GPtrArray *drivers;      /* SimDriver * (owned) */
    SimIds groups;
    SimIds vfio_ids;
    int inject_create;
    int inject_remove;
    int inject_avail;
    GHashTable *inject_attr; /* attribute name -> errno */
    char *inject_vanish;
    SimNode *groups_dir;
    SimNode *vfio_dir;
};

static void mdevDelete(SimMdev *mdev);
static void driverFree(gpointer p);

/* ---- small helpers ------------------------------------------------ */

static void
idsInit(SimIds *ids)
{
    ids->used = g_array_new(FALSE, TRUE, 1);
    ids->hint = 0;
}

static void
idsMark(SimIds *ids, guint id)
{
    if (id >= ids->used->len)
        g_array_set_size(ids->used, id + 1);
    g_array_index(ids->used, guint8, id) = 1;
}

static guint
idsAlloc(SimIds *ids)
{
    guint i = ids->hint;

    while (i < ids->used->len && g_array_index(ids->used, guint8, i))
        i++;
    idsMark(ids, i);
    ids->hint = i + 1;
    return i;
}

static void
idsRelease(SimIds *ids, guint id)
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
static gboolean
parseKernelUll(const char *buf, size_t len, guint64 *ret)
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
static gboolean
parseUuid(const char *buf, size_t len, char out[UUID_LEN + 1])
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
setFree(gpointer p)
{
    SimSet *set = p;

    if (!set)
        return;
    g_free(set->bits);
    g_free(set);
}

typedef SimSet SimSetPtr;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimSetPtr, setFree);

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

static void
mdevFree(gpointer p)
{
    SimMdev *mdev = p;
    guint i;

    for (i = 0; i < mdev->attrs->len; i++) {
        SimMdevAttr *a = g_ptr_array_index(mdev->attrs, i);

        g_free(a->value);
        g_free(a);
    }
    g_ptr_array_unref(mdev->attrs);
    g_hash_table_unref(mdev->sets);
    g_free(mdev);
}

static void
addFilef(SimHost *host, SimNode *dir, const char *name, mode_t mode,
         const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static void
addFilef(SimHost *host, SimNode *dir, const char *name, mode_t mode,
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
        !parseUuid(line + 1, UUID_LEN, uuid))
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
    host->mdevs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, mdevFree);
    host->busy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    host->pcis = g_ptr_array_new_with_free_func(g_free);
    host->drivers = g_ptr_array_new_with_free_func(driverFree);
    host->inject_attr = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    idsInit(&host->groups);
    idsInit(&host->vfio_ids);

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

/* Adds devices/virtual/dmi/id/@key (and class/dmi/id). */
void
simHostAddDmi(SimHost *host, const char *key, const char *value)
{
    SimNode *dir = simFsMkdirP(host->fs, "devices/virtual/dmi/id");
    g_autofree char *text = g_strdup_printf("%s\n", value);
    mode_t mode = 0444;

    /* The kernel keeps serial numbers and the UUID root-only. */
    if (g_str_has_suffix(key, "_serial") || strcmp(key, "product_uuid") == 0)
        mode = 0400;
    simFsAddFile(host->fs, dir, key, mode, text);
    if (!simFsLookupPath(host->fs, "class/dmi/id")) {
        simFsAddLinkTo(host->fs, simFsMkdirP(host->fs, "class/dmi"), "id", dir);
        simFsAddLink(host->fs, dir, "subsystem", "class/dmi");
        simFsAddFile(host->fs, dir, "uevent", 0644, "");
        simFsMkdir(host->fs, dir, "power");
    }
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

/* ---- PCI ----------------------------------------------------------- */

static guint
speedCode(const char *speed)
{
    double gts;

    if (!speed)
        return 0;
    gts = g_ascii_strtod(speed, NULL);
    if (gts >= 64)
        return 6;
    if (gts >= 32)
        return 5;
    if (gts >= 16)
        return 4;
    if (gts >= 8)
        return 3;
    if (gts >= 5)
        return 2;
    return 1;
}

static void
put16(guint8 *cfg, guint off, guint v)
{
    cfg[off] = v & 0xff;
    cfg[off + 1] = (v >> 8) & 0xff;
}

static void
put32(guint8 *cfg, guint off, guint32 v)
{
    put16(cfg, off, v & 0xffff);
    put16(cfg, off + 2, v >> 16);
}

/* The config space: a type 0 header, and a PCIe capability with the link
 * fields when the device is PCIe. */
static int
pciConfigRead(SimNode *node, GString *out)
{
    SimPci *pci = node->data;
    guint8 cfg[4096] = { 0 };
    gsize len = pci->pcie ? 4096 : 256;

    put16(cfg, 0x00, pci->vendor);
    put16(cfg, 0x02, pci->device);
    put16(cfg, 0x04, 0x0406);
    put16(cfg, 0x06, pci->pcie ? 0x0010 : 0x0000);
    cfg[0x08] = pci->revision;
    cfg[0x09] = pci->class_code & 0xff;
    cfg[0x0a] = (pci->class_code >> 8) & 0xff;
    cfg[0x0b] = (pci->class_code >> 16) & 0xff;
    cfg[0x0e] = pci->multifunction ? 0x80 : 0x00;
    put16(cfg, 0x2c, pci->subsystem_vendor);
    put16(cfg, 0x2e, pci->subsystem_device);
    cfg[0x3d] = 0x01;
    if (pci->pcie) {
        cfg[0x34] = 0x40;
        cfg[0x40] = 0x10;                   /* PCI Express capability */
        cfg[0x41] = 0x00;
        put16(cfg, 0x42, 0x0002);           /* version 2, endpoint */
        put32(cfg, 0x4c, pci->max_speed | (pci->max_width << 4));
        put16(cfg, 0x52, pci->cur_speed | (pci->cur_width << 4));
        if (pci->sriov) {
            put32(cfg, 0x100, 0x00010010);  /* SR-IOV extended capability */
        }
    }
    g_string_append_len(out, (const char *)cfg, len);
    return 0;
}

static gboolean
parsePciAddr(const char *addr, guint *dom, guint *bus, guint *slot, guint *fn)
{
    char tail;

    if (strlen(addr) != 12 ||
        sscanf(addr, "%4x:%2x:%2x.%1x%c", dom, bus, slot, fn, &tail) != 4 ||
        *slot > 0x1f || *fn > 7)
        return FALSE;
    return TRUE;
}

static void
pciAddGroup(SimHost *host, SimNode *dir, const char *addr, int group)
{
    g_autofree char *gname = NULL;
    SimNode *gdir;
    SimNode *devs;

    if (group < 0)
        group = idsAlloc(&host->groups);
    else
        idsMark(&host->groups, group);
    gname = g_strdup_printf("%d", group);
    if (!(gdir = simFsChild(host->groups_dir, gname))) {
        gdir = simFsMkdir(host->fs, host->groups_dir, gname);
        simFsAddFile(host->fs, gdir, "type", 0644, "DMA\n");
        simFsAddFile(host->fs, gdir, "reserved_regions", 0444,
                     "0x00000000fee00000 0x00000000feefffff msi\n");
    }
    devs = simFsMkdir(host->fs, gdir, "devices");
    simFsAddLinkTo(host->fs, devs, addr, dir);
    simFsAddLinkTo(host->fs, dir, "iommu_group", gdir);
}

/* A device driver of a bus (bus/BUS/drivers/NAME) with bind/unbind. */
typedef struct {
    SimHost *host;
    char *bus;
    char *name;
    SimNode *dir;
} SimDriver;

static void
driverFree(gpointer p)
{
    SimDriver *drv = p;

    g_free(drv->bus);
    g_free(drv->name);
    g_free(drv);
}

/* The device directory of bus device @name (the target of
 * bus/BUS/devices/NAME), or NULL. */
static SimNode *
busDevice(SimDriver *drv, const char *buf, size_t len)
{
    g_autofree char *name = g_strndup(buf, len);
    g_autofree char *path = NULL;

    g_strchomp(name);
    if (!*name || strchr(name, '/'))
        return NULL;
    path = g_strdup_printf("bus/%s/devices/%s", drv->bus, name);
    return simFsLinkTarget(drv->host->fs, simFsLookupPath(drv->host->fs, path));
}

static void
parentsOfDevice(SimHost *host, SimNode *dev, gboolean registered_wanted,
                GPtrArray *out)
{
    guint i;

    for (i = 0; i < host->parent_order->len; i++) {
        SimParent *p = g_ptr_array_index(host->parent_order, i);

        if (p->dir == dev && p->registered == registered_wanted)
            g_ptr_array_add(out, p);
    }
}

/* unbind: the vendor driver leaves the device; an mdev parent on it
 * unregisters, its devices vanish. */
static int
driverUnbindWrite(SimNode *node, const char *buf, size_t len)
{
    SimDriver *drv = node->data;
    SimHost *host = drv->host;
    SimNode *dev = busDevice(drv, buf, len);
    SimNode *link = simFsChild(dev, "driver");
    g_autoptr(GPtrArray) parents = g_ptr_array_new();
    guint i;

    if (!dev || !link || simFsLinkTarget(host->fs, link) != drv->dir)
        return ENODEV;
    parentsOfDevice(host, dev, TRUE, parents);
    for (i = 0; i < parents->len; i++)
        simHostUnregisterParent(host, ((SimParent *)g_ptr_array_index(parents, i))->name);
    simFsRemove(host->fs, link);
    simFsRemove(host->fs, simFsChild(drv->dir, dev->name));
    return 0;
}

/* bind: the driver takes an unbound device; a parent that was registered
 * on it registers again. */
static int
driverBindWrite(SimNode *node, const char *buf, size_t len)
{
    SimDriver *drv = node->data;
    SimHost *host = drv->host;
    SimNode *dev = busDevice(drv, buf, len);
    g_autoptr(GPtrArray) parents = g_ptr_array_new();
    guint i;

    if (!dev || simFsChild(dev, "driver"))
        return ENODEV;
    simFsAddLinkTo(host->fs, drv->dir, dev->name, dev);
    simFsAddLinkTo(host->fs, dev, "driver", drv->dir);
    parentsOfDevice(host, dev, FALSE, parents);
    for (i = 0; i < parents->len; i++)
        simHostReregisterParent(host, ((SimParent *)g_ptr_array_index(parents, i))->name);
    return 0;
}

static void
bindDriver(SimHost *host, SimNode *dir, const char *bus, const char *name,
           const char *driver)
{
    g_autofree char *drvpath = g_strdup_printf("bus/%s/drivers/%s", bus, driver);
    SimNode *drvdir = simFsLookupPath(host->fs, drvpath);

    if (!drvdir) {
        SimDriver *drv = g_new0(SimDriver, 1);

        drvdir = simFsMkdirP(host->fs, drvpath);
        drv->host = host;
        drv->bus = g_strdup(bus);
        drv->name = g_strdup(driver);
        drv->dir = drvdir;
        g_ptr_array_add(host->drivers, drv);
        simFsAddDynFile(host->fs, drvdir, "bind", 0200, NULL, driverBindWrite, drv);
        simFsAddDynFile(host->fs, drvdir, "unbind", 0200, NULL, driverUnbindWrite, drv);
        simFsAddFile(host->fs, drvdir, "uevent", 0200, "");
    }
    simFsAddLinkTo(host->fs, drvdir, name, dir);
    simFsAddLinkTo(host->fs, dir, "driver", drvdir);
}

static int registerParent(SimHost *host, const char *name, const char *path,
                          SimMdevSpec *spec, GError **error);

/* The host bridge directory devices/pciDDDD:BB the kernel makes for a root
 * bus (only for the default layout; a profile's path= is taken as is). */
static void
pciAddRootBus(SimHost *host, guint dom, guint bus, const char *path)
{
    g_autofree char *name = g_strdup_printf("pci%04x:%02x", dom, bus);
    g_autofree char *busname = g_strdup_printf("%04x:%02x", dom, bus);
    SimNode *dir;
    SimNode *pcibus;

    if (path && !g_str_has_prefix(path, name))
        return;
    dir = simFsMkdir(host->fs, simFsMkdirP(host->fs, "devices"), name);
    if (simFsChild(dir, "uevent"))
        return;
    simFsAddFile(host->fs, dir, "uevent", 0644, "");
    simFsAddFile(host->fs, dir, "waiting_for_supplier", 0444, "0\n");
    simFsMkdir(host->fs, dir, "power");
    pcibus = simFsMkdir(host->fs, simFsMkdir(host->fs, dir, "pci_bus"), busname);
    simFsAddLinkTo(host->fs, pcibus, "device", dir);
    simFsAddLink(host->fs, pcibus, "subsystem", "class/pci_bus");
    simFsAddFile(host->fs, pcibus, "cpuaffinity", 0444, "3\n");
    simFsAddFile(host->fs, pcibus, "cpulistaffinity", 0444, "0-1\n");
    simFsAddFile(host->fs, pcibus, "rescan", 0200, "");
    simFsAddFile(host->fs, pcibus, "uevent", 0644, "");
    simFsAddLinkTo(host->fs, simFsMkdirP(host->fs, "class/pci_bus"), busname, pcibus);
}

/**
 * simHostAddPci:
 * @host: the host
 * @spec: the function; an SR-IOV PF with numvfs > 0 also gets its VFs
 * @error: set on a malformed address or a duplicate
 *
 * Returns: (transfer full): the device's path under the root, or NULL.
 */
char *
simHostAddPci(SimHost *host, const SimPciSpec *spec, GError **error)
{
    guint dom;
    guint bus;
    guint slot;
    guint fn;
    g_autofree char *path = NULL;
    g_autofree char *uevent = NULL;
    g_autofree char *modalias = NULL;
    SimNode *dir;
    SimNode *node;
    SimPci *pci;
    guint i;

    if (!parsePciAddr(spec->addr, &dom, &bus, &slot, &fn)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "invalid PCI address '%s'", spec->addr);
        return NULL;
    }
    if (spec->path)
        path = g_strdup_printf("devices/%s/%s", spec->path, spec->addr);
    else
        path = g_strdup_printf("devices/pci%04x:%02x/%s", dom, bus, spec->addr);
    if (simFsLookupPath(host->fs, path)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "duplicate PCI device '%s'", spec->addr);
        return NULL;
    }
    dir = simFsMkdirP(host->fs, path);
    pciAddRootBus(host, dom, bus, spec->path);

    pci = g_new0(SimPci, 1);
    pci->vendor = spec->vendor;
    pci->device = spec->device;
    pci->subsystem_vendor = spec->subsystem_vendor;
    pci->subsystem_device = spec->subsystem_device;
    pci->class_code = spec->class_code;
    pci->revision = spec->revision;
    pci->pcie = spec->cur_speed != NULL;
    pci->cur_speed = speedCode(spec->cur_speed);
    pci->max_speed = speedCode(spec->max_speed ? spec->max_speed : spec->cur_speed);
    pci->cur_width = spec->cur_width;
    pci->max_width = spec->max_width ? spec->max_width : spec->cur_width;
    pci->multifunction = spec->multifunction;
    pci->sriov = spec->totalvfs > 0;
    g_ptr_array_add(host->pcis, pci);

    addFilef(host, dir, "vendor", 0444, "0x%04x\n", spec->vendor);
    addFilef(host, dir, "device", 0444, "0x%04x\n", spec->device);
    addFilef(host, dir, "subsystem_vendor", 0444, "0x%04x\n", spec->subsystem_vendor);
    addFilef(host, dir, "subsystem_device", 0444, "0x%04x\n", spec->subsystem_device);
    addFilef(host, dir, "class", 0444, "0x%06x\n", spec->class_code);
    addFilef(host, dir, "revision", 0444, "0x%02x\n", spec->revision);
    addFilef(host, dir, "numa_node", 0644, "%d\n", spec->numa_node);
    addFilef(host, dir, "enable", 0644, "%d\n", spec->driver ? 1 : 0);
    addFilef(host, dir, "irq", 0444, "0\n");
    addFilef(host, dir, "driver_override", 0644, "(null)\n");
    addFilef(host, dir, "broken_parity_status", 0644, "0\n");
    addFilef(host, dir, "d3cold_allowed", 0644, "1\n");
    addFilef(host, dir, "msi_bus", 0644, "1\n");
    addFilef(host, dir, "local_cpulist", 0444, "0-1\n");
    addFilef(host, dir, "local_cpus", 0444, "3\n");
    addFilef(host, dir, "ari_enabled", 0444, "0\n");
    addFilef(host, dir, "consistent_dma_mask_bits", 0444, "64\n");
    addFilef(host, dir, "dma_mask_bits", 0444, "64\n");
    addFilef(host, dir, "power_state", 0444, "D0\n");
    addFilef(host, dir, "resource", 0444,
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
    modalias = g_strdup_printf("pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X",
                               spec->vendor, spec->device, spec->subsystem_vendor,
                               spec->subsystem_device, spec->class_code >> 16,
                               (spec->class_code >> 8) & 0xff,
                               spec->class_code & 0xff);
    addFilef(host, dir, "modalias", 0444, "%s\n", modalias);
    uevent = g_strdup_printf("%s%s%sPCI_CLASS=%X\nPCI_ID=%04X:%04X\n"
                             "PCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\n"
                             "MODALIAS=%s\n",
                             spec->driver ? "DRIVER=" : "",
                             spec->driver ? spec->driver : "",
                             spec->driver ? "\n" : "",
                             spec->class_code, spec->vendor, spec->device,
                             spec->subsystem_vendor, spec->subsystem_device,
                             spec->addr, modalias);
    simFsAddFile(host->fs, dir, "uevent", 0644, uevent);
    node = simFsAddDynFile(host->fs, dir, "config", 0644, pciConfigRead, NULL, pci);
    node->size = pci->pcie ? 4096 : 256;
    simFsAddFile(host->fs, dir, "remove", 0220, "");
    simFsAddFile(host->fs, dir, "rescan", 0200, "");
    simFsMkdir(host->fs, dir, "power");
    simFsAddLink(host->fs, dir, "subsystem", "bus/pci");
    if (spec->cur_speed) {
        addFilef(host, dir, "current_link_speed", 0444, "%s\n", spec->cur_speed);
        addFilef(host, dir, "current_link_width", 0444, "%u\n", spec->cur_width);
        addFilef(host, dir, "max_link_speed", 0444, "%s\n",
                 spec->max_speed ? spec->max_speed : spec->cur_speed);
        addFilef(host, dir, "max_link_width", 0444, "%u\n",
                 spec->max_width ? spec->max_width : spec->cur_width);
    }
    if (spec->driver)
        bindDriver(host, dir, "pci", spec->addr, spec->driver);
    pciAddGroup(host, dir, spec->addr, spec->iommu_group);
    simFsAddLinkTo(host->fs, simFsLookupPath(host->fs, "bus/pci/devices"),
                   spec->addr, dir);

    if (spec->totalvfs > 0) {
        guint stride = spec->vf_stride ? spec->vf_stride : 1;
        guint base = (bus << 8) | (slot << 3) | fn;

        addFilef(host, dir, "sriov_totalvfs", 0444, "%u\n", spec->totalvfs);
        addFilef(host, dir, "sriov_numvfs", 0644, "%u\n", spec->numvfs);
        addFilef(host, dir, "sriov_offset", 0444, "%u\n", spec->vf_offset);
        addFilef(host, dir, "sriov_stride", 0444, "%u\n", stride);
        addFilef(host, dir, "sriov_vf_device", 0444, "%x\n", spec->vf_device);
        addFilef(host, dir, "sriov_drivers_autoprobe", 0644, "1\n");
        for (i = 0; i < spec->numvfs && i < spec->totalvfs; i++) {
            SimPciSpec vf = *spec;
            guint rid = base + spec->vf_offset + i * stride;
            g_autofree char *vfaddr = g_strdup_printf("%04x:%02x:%02x.%x", dom,
                                                      (rid >> 8) & 0xff,
                                                      (rid >> 3) & 0x1f, rid & 7);
            g_autofree char *vfpath = NULL;
            g_autofree char *link = g_strdup_printf("virtfn%u", i);
            SimNode *vfdir;

            vf.addr = vfaddr;
            vf.device = spec->vf_device;
            vf.driver = spec->vf_driver;
            vf.iommu_group = -1;
            vf.totalvfs = 0;
            vf.numvfs = 0;
            vf.multifunction = FALSE;
            vf.vf_mdev = NULL;
            if (!(vfpath = simHostAddPci(host, &vf, error)))
                return NULL;
            vfdir = simFsLookupPath(host->fs, vfpath);
            simFsAddLinkTo(host->fs, dir, link, vfdir);
            simFsAddLinkTo(host->fs, vfdir, "physfn", dir);
            if (spec->vf_mdev) {
                SimMdevSpec *ms = simHostFindMdevSpec(host, spec->vf_mdev);

                if (!ms) {
                    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                                "unknown mdev driver '%s'", spec->vf_mdev);
                    return NULL;
                }
                if (registerParent(host, vfaddr, vfpath, ms, error) < 0)
                    return NULL;
            }
        }
    }
    return g_steal_pointer(&path);
}

/* Adds a virtual device devices/virtual/@cls/@name (e.g. mtty) and
 * returns its path (transfer full). */
char *
simHostAddVirtual(SimHost *host, const char *cls, const char *name)
{
    g_autofree char *path = g_strdup_printf("devices/virtual/%s/%s", cls, name);
    g_autofree char *clspath = g_strdup_printf("class/%s", cls);
    SimNode *dir = simFsMkdirP(host->fs, path);

    simFsAddFile(host->fs, dir, "uevent", 0644, "");
    simFsMkdir(host->fs, dir, "power");
    simFsAddLink(host->fs, dir, "subsystem", clspath);
    simFsAddLinkTo(host->fs, simFsMkdirP(host->fs, clspath), name, dir);
    return g_steal_pointer(&path);
}

/* ---- s390 ---------------------------------------------------------- */

/**
 * simHostAddCss:
 * @host: the host
 * @sch: the subchannel id, "0.0.0023"
 * @devno: the ccw device number of its child ("0.0.1234") or NULL
 * @driver: the subchannel driver (e.g. "vfio_ccw") or NULL
 * @error: set on a malformed id
 *
 * Returns: (transfer full): the subchannel's path, or NULL.
 */
char *
simHostAddCss(SimHost *host, const char *sch, const char *devno,
              const char *driver, GError **error)
{
    guint cssid;
    guint ssid;
    guint num;
    char tail;
    g_autofree char *path = NULL;
    SimNode *dir;

    if (sscanf(sch, "%x.%x.%4x%c", &cssid, &ssid, &num, &tail) != 3 ||
        (devno && sscanf(devno, "%x.%x.%4x%c", &cssid, &ssid, &num, &tail) != 3)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "invalid subchannel '%s'", sch);
        return NULL;
    }
    path = g_strdup_printf("devices/css0/%s", sch);
    dir = simFsMkdirP(host->fs, path);
    simFsAddFile(host->fs, dir, "type", 0444, "0\n");
    simFsAddFile(host->fs, dir, "modalias", 0444, "css:t0\n");
    simFsAddFile(host->fs, dir, "chpids", 0444, "00 00 00 00 00 00 00 00 \n");
    simFsAddFile(host->fs, dir, "pimpampom", 0444, "80 80 ff\n");
    simFsAddFile(host->fs, dir, "driver_override", 0644, "(null)\n");
    addFilef(host, dir, "dev_busid", 0444, "%s\n", devno ? devno : "none");
    addFilef(host, dir, "uevent", 0644, "%s%s%sST=0\nMODALIAS=css:t0\n",
             driver ? "DRIVER=" : "", driver ? driver : "", driver ? "\n" : "");
    simFsMkdir(host->fs, dir, "power");
    simFsAddLink(host->fs, dir, "subsystem", "bus/css");
    if (driver)
        bindDriver(host, dir, "css", sch, driver);
    simFsAddLinkTo(host->fs, simFsMkdirP(host->fs, "bus/css/devices"), sch, dir);
    if (devno) {
        SimNode *ccw = simFsMkdir(host->fs, dir, devno);

        simFsAddFile(host->fs, ccw, "cutype", 0444, "3832/01\n");
        simFsAddFile(host->fs, ccw, "devtype", 0444, "0000/00\n");
        simFsAddFile(host->fs, ccw, "online", 0644, "0\n");
        simFsAddFile(host->fs, ccw, "availability", 0644, "good\n");
        simFsAddFile(host->fs, ccw, "modalias", 0444, "ccw:t3832m01\n");
        simFsAddFile(host->fs, ccw, "uevent", 0644,
                     "CU_TYPE=3832\nCU_MODEL=01\nDEV_TYPE=0000\nDEV_MODEL=00\n"
                     "MODALIAS=ccw:t3832m01\n");
        simFsMkdir(host->fs, ccw, "power");
        simFsAddLink(host->fs, ccw, "subsystem", "bus/ccw");
        simFsAddLinkTo(host->fs, simFsMkdirP(host->fs, "bus/ccw/devices"),
                       devno, ccw);
    }
    return g_steal_pointer(&path);
}

/* Adds AP card @card (devices/ap/cardNN) and one queue NN.DDDD per domain,
 * bound to @queue_driver (or unbound when NULL). */
void
simHostAddApCard(SimHost *host, guint card, const char *type, guint hwtype,
                 const guint *domains, guint ndomains, const char *queue_driver)
{
    g_autofree char *cname = g_strdup_printf("card%02x", card);
    SimNode *ap = simFsMkdirP(host->fs, "bus/ap");
    SimNode *devs = simFsMkdirP(host->fs, "bus/ap/devices");
    SimNode *dir = simFsMkdir(host->fs, simFsMkdirP(host->fs, "devices/ap"), cname);
    guint i;

    if (!simFsChild(ap, "ap_max_domain_id")) {
        simFsAddFile(host->fs, ap, "ap_max_domain_id", 0444, "255\n");
        simFsAddFile(host->fs, ap, "ap_max_adapter_id", 0444, "255\n");
        simFsAddFile(host->fs, ap, "ap_interrupts", 0444, "1\n");
        simFsAddFile(host->fs, ap, "ap_domain", 0644, "0\n");
    }
    addFilef(host, dir, "type", 0444, "%s\n", type);
    addFilef(host, dir, "hwtype", 0444, "%u\n", hwtype);
    addFilef(host, dir, "raw_hwtype", 0444, "%u\n", hwtype);
    addFilef(host, dir, "online", 0644, "1\n");
    addFilef(host, dir, "depth", 0444, "8\n");
    addFilef(host, dir, "ap_functions", 0444, "0x%08x\n", 0x92000000u);
    addFilef(host, dir, "modalias", 0444, "ap:t%02X\n", hwtype);
    addFilef(host, dir, "uevent", 0644, "DEV_TYPE=%04X\nMODALIAS=ap:t%02X\n",
             hwtype, hwtype);
    simFsMkdir(host->fs, dir, "power");
    simFsAddLink(host->fs, dir, "subsystem", "bus/ap");
    bindDriver(host, dir, "ap", cname, "cex4card");
    simFsAddLinkTo(host->fs, devs, cname, dir);
    for (i = 0; i < ndomains; i++) {
        g_autofree char *qname = g_strdup_printf("%02x.%04x", card, domains[i]);
        SimNode *q = simFsMkdir(host->fs, dir, qname);

        simFsAddFile(host->fs, q, "online", 0644, "1\n");
        addFilef(host, q, "modalias", 0444, "ap:t%02X\n", hwtype);
        simFsAddFile(host->fs, q, "uevent", 0644, "");
        simFsMkdir(host->fs, q, "power");
        simFsAddLink(host->fs, q, "subsystem", "bus/ap");
        if (queue_driver)
            bindDriver(host, q, "ap", qname, queue_driver);
        simFsAddLinkTo(host->fs, devs, qname, q);
    }
}

/* Adds the vfio_ap matrix device devices/vfio_ap/matrix; returns its path
 * (transfer full). */
char *
simHostAddApMatrix(SimHost *host)
{
    const char *path = "devices/vfio_ap/matrix";
    SimNode *dir = simFsMkdirP(host->fs, path);

    simFsAddFile(host->fs, dir, "uevent", 0644, "DRIVER=vfio_ap\n");
    simFsMkdir(host->fs, dir, "power");
    simFsAddLink(host->fs, dir, "subsystem", "bus/matrix");
    simFsMkdirP(host->fs, "bus/matrix/devices");
    simFsAddLinkTo(host->fs, simFsLookupPath(host->fs, "bus/matrix/devices"),
                   "matrix", dir);
    bindDriver(host, dir, "matrix", "matrix", "vfio_ap");
    return g_strdup(path);
}

/* ---- mdev types and devices ---------------------------------------- */

static guint
typeAvailable(SimType *type)
{
    SimParent *parent = type->parent;
    guint cost = type->spec->cost ? type->spec->cost : 1;
    guint free_units = 0;
    guint n;

    if (parent->spec->capacity > parent->used)
        free_units = parent->spec->capacity - parent->used;
    n = free_units / cost;
    if (type->spec->max > 0)
        n = MIN(n, type->spec->max > type->count ? type->spec->max - type->count : 0);
    return n;
}

static int
typeAvailableRead(SimNode *node, GString *out)
{
    SimType *type = node->data;
    SimHost *host = type->parent->host;
    int err;

    if ((err = host->inject_avail)) {
        host->inject_avail = 0;
        return err;
    }
    g_string_append_printf(out, "%u\n", typeAvailable(type));
    return 0;
}

static gboolean
mdevIsBusy(SimMdev *mdev)
{
    return g_hash_table_contains(mdev->host->busy, mdev->uuid);
}

static int
mdevRemoveWrite(SimNode *node, const char *buf, size_t len)
{
    SimMdev *mdev = node->data;
    SimHost *host = mdev->host;
    guint64 val;
    int err;

    if ((err = host->inject_remove)) {
        host->inject_remove = 0;
        return err;
    }
    if (!parseKernelUll(buf, len, &val))
        return EINVAL;
    if (val == 0)
        return 0;
    /* The kernel blocks here until the user closes the device; the
     * simulator answers EBUSY so that tests never hang. */
    if (mdevIsBusy(mdev))
        return EBUSY;
    mdevDelete(mdev);
    return 0;
}

static int
mdevUeventRead(SimNode *node, GString *out)
{
    SimMdev *mdev = node->data;

    /* What a 6.1 kernel shows (tests/kernel/expected-samples-tree.txt):
     * MDEV_TYPE only travels in the add/remove uevent messages. */
    g_string_append_printf(out, "DRIVER=%s\n", mdev->type->parent->spec->driver);
    return 0;
}

static int
mdevVfioOpen(SimNode *node, int flags)
{
    SimMdev *mdev = node->data;

    /* /dev/vfio/<group> refuses a second user of the group. */
    if (mdevIsBusy(mdev))
        return EBUSY;
    return 0;
}

static SimSet *
mdevSet(SimMdev *mdev, const char *name)
{
    return g_hash_table_lookup(mdev->sets, name);
}

static gboolean
setHas(const SimSet *set, guint64 v)
{
    return set && v <= set->max && (set->bits[v / 8] & (1u << (v % 8)));
}

static gboolean
setsIntersect(const SimSet *a, const SimSet *b)
{
    guint64 i;

    if (!a || !b)
        return FALSE;
    for (i = 0; i <= MIN(a->max, b->max); i++) {
        if (setHas(a, i) && setHas(b, i))
            return TRUE;
    }
    return FALSE;
}

/* vfio_ap: an APQN (adapter, domain) belongs to one device of the matrix
 * at most; assigning @val to @spec->set of @mdev must not create a pair
 * another device already has. */
static gboolean
attrShares(SimMdev *mdev, SimAttrSpec *spec, guint64 val)
{
    SimParent *parent = mdev->type->parent;
    SimSet *mine = mdevSet(mdev, spec->pair_set);
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, parent->mdevs);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        SimMdev *other = value;

        if (other == mdev)
            continue;
        if (setHas(mdevSet(other, spec->set), val) &&
            setsIntersect(mine, mdevSet(other, spec->pair_set)))
            return TRUE;
    }
    return FALSE;
}

/* The AP queue "AA.DDDD" exists and is bound to @driver. */
static gboolean
apQueueBound(SimHost *host, guint64 adapter, guint64 domain, const char *driver)
{
    g_autofree char *path = g_strdup_printf("devices/ap/card%02x/%02x.%04x/driver",
                                            (guint)adapter, (guint)adapter,
                                            (guint)domain);
    g_autofree char *suffix = g_strdup_printf("/%s", driver);
    SimNode *link = simFsLookupPath(host->fs, path);

    return link && link->kind == SIM_NODE_LINK && g_str_has_suffix(link->target, suffix);
}

/* The domain is configured on the host: some card has a queue for it. */
static gboolean
apDomainExists(SimHost *host, guint64 domain)
{
    SimNode *devs = simFsLookupPath(host->fs, "bus/ap/devices");
    g_autofree char *suffix = g_strdup_printf(".%04x", (guint)domain);
    GList *l;

    for (l = devs ? devs->order.head : NULL; l; l = l->next) {
        SimNode *n = l->data;

        if (g_str_has_suffix(n->name, suffix))
            return TRUE;
    }
    return FALSE;
}

/* vfio_ap's guest matrix: domains the host has; adapters only when every
 * assigned domain's queue on them is bound to the driver. */
static void
matrixFilter(SimHost *host, const SimAttrSpec *spec, SimSet *a, SimSet *d)
{
    guint64 i;
    guint64 j;

    for (j = 0; j <= d->max; j++) {
        if (setHas(d, j) && !apDomainExists(host, j))
            d->bits[j / 8] &= ~(1u << (j % 8));
    }
    for (i = 0; i <= a->max; i++) {
        if (!setHas(a, i))
            continue;
        for (j = 0; j <= d->max; j++) {
            if (setHas(d, j) && !apQueueBound(host, i, j, spec->filter_driver)) {
                a->bits[i / 8] &= ~(1u << (i % 8));
                break;
            }
        }
    }
}

static SimSet *
setCopy(const SimSet *set)
{
    SimSet *copy = g_new0(SimSet, 1);

    copy->max = set->max;
    copy->bits = g_memdup2(set->bits, set->max / 8 + 1);
    return copy;
}

static int
attrRead(SimNode *node, GString *out)
{
    SimMdevAttr *a = node->data;
    SimAttrSpec *spec = a->spec;
    g_autoptr(SimSetPtr) f1 = NULL;
    g_autoptr(SimSetPtr) f2 = NULL;
    SimSet *s1;
    SimSet *s2;
    guint64 i;
    guint64 j;

    switch (spec->kind) {
    case SIM_ATTR_CONST:
        /* "@UUID@" stands for the device's name (mtty's sample_mdev_dev). */
        g_string_append(out, a->value ? a->value : "");
        g_string_replace(out, "@UUID@", a->mdev->uuid, 0);
        return 0;
    case SIM_ATTR_VALUE:
        g_string_append(out, a->value ? a->value : "");
        return 0;
    case SIM_ATTR_LIST:
        if (!(s1 = mdevSet(a->mdev, spec->set)))
            return 0;
        for (i = 0; i <= s1->max; i++) {
            if (s1->bits[i / 8] & (1u << (i % 8)))
                g_string_append_printf(out, "%0*" G_GINT64_MODIFIER "x\n",
                                       (int)spec->width, i);
        }
        return 0;
    case SIM_ATTR_MATRIX:
        s1 = mdevSet(a->mdev, spec->set);
        s2 = mdevSet(a->mdev, spec->set2);
        if (!s1 || !s2)
            return 0;
        if (spec->filter_driver) {
            s1 = f1 = setCopy(s1);
            s2 = f2 = setCopy(s2);
            matrixFilter(a->mdev->host, spec, f1, f2);
        }
        /* vfio-ap prints every APQN; with only one side assigned, that
         * side alone ("05." or ".0004"). */
        for (i = 0; i <= s1->max; i++) {
            gboolean any = FALSE;

            if (!(s1->bits[i / 8] & (1u << (i % 8))))
                continue;
            for (j = 0; j <= s2->max; j++) {
                if (s2->bits[j / 8] & (1u << (j % 8))) {
                    g_string_append_printf(out, "%02" G_GINT64_MODIFIER "x.%04"
                                           G_GINT64_MODIFIER "x\n", i, j);
                    any = TRUE;
                }
            }
            if (!any)
                g_string_append_printf(out, "%02" G_GINT64_MODIFIER "x.\n", i);
        }
        for (j = 0; j <= s2->max; j++) {
            gboolean any = FALSE;

            if (!(s2->bits[j / 8] & (1u << (j % 8))))
                continue;
            for (i = 0; i <= s1->max && !any; i++)
                any = !!(s1->bits[i / 8] & (1u << (i % 8)));
            if (!any)
                g_string_append_printf(out, ".%04" G_GINT64_MODIFIER "x\n", j);
        }
        return 0;
    case SIM_ATTR_ASSIGN:
    case SIM_ATTR_UNASSIGN:
    case SIM_ATTR_LAST:
        break;
    }
    return EACCES;
}

static int
attrWrite(SimNode *node, const char *buf, size_t len)
{
    SimMdevAttr *a = node->data;
    SimAttrSpec *spec = a->spec;
    SimHost *host = a->mdev->host;
    const char *base = strrchr(spec->name, '/');
    gpointer injected;
    guint64 val;
    SimSet *set;

    base = base ? base + 1 : spec->name;
    if ((injected = g_hash_table_lookup(host->inject_attr, base))) {
        g_hash_table_remove(host->inject_attr, base);
        return GPOINTER_TO_INT(injected);
    }
    switch (spec->kind) {
    case SIM_ATTR_VALUE:
    case SIM_ATTR_ASSIGN:
    case SIM_ATTR_UNASSIGN:
        if (!parseKernelUll(buf, len, &val))
            return EINVAL;
        if (val < spec->min || val > spec->max)
            return spec->range_errno ? spec->range_errno : EINVAL;
        if (spec->kind == SIM_ATTR_VALUE) {
            g_free(a->value);
            a->value = g_strdup_printf("%" G_GUINT64_FORMAT "\n", val);
            return 0;
        }
        if (!(set = mdevSet(a->mdev, spec->set)) || val > set->max)
            return spec->range_errno ? spec->range_errno : EINVAL;
        if (spec->kind == SIM_ATTR_ASSIGN && spec->pair_set &&
            !setHas(set, val) && attrShares(a->mdev, spec, val))
            return spec->share_errno ? spec->share_errno : EADDRINUSE;
        if (spec->kind == SIM_ATTR_ASSIGN)
            set->bits[val / 8] |= 1u << (val % 8);
        else
            set->bits[val / 8] &= ~(1u << (val % 8));
        return 0;
    case SIM_ATTR_CONST:
    case SIM_ATTR_LIST:
    case SIM_ATTR_MATRIX:
    case SIM_ATTR_LAST:
        break;
    }
    return EACCES;
}

static void
mdevAddAttrs(SimMdev *mdev, GPtrArray *specs)
{
    SimFs *fs = mdev->host->fs;
    guint i;

    for (i = 0; specs && i < specs->len; i++) {
        SimAttrSpec *as = g_ptr_array_index(specs, i);
        const char *slash = strchr(as->name, '/');
        SimNode *dir = mdev->dir;
        SimMdevAttr *a = g_new0(SimMdevAttr, 1);
        const char *sets[2] = { as->set, as->set2 };
        guint k;

        a->mdev = mdev;
        a->spec = as;
        a->value = g_strdup(as->value);
        g_ptr_array_add(mdev->attrs, a);
        for (k = 0; k < 2; k++) {
            SimSet *s;

            if (!sets[k] || g_hash_table_contains(mdev->sets, sets[k]))
                continue;
            s = g_new0(SimSet, 1);
            s->max = as->kind == SIM_ATTR_ASSIGN ? as->max : 255;
            s->bits = g_new0(guint8, s->max / 8 + 1);
            g_hash_table_insert(mdev->sets, (gpointer)sets[k], s);
        }
        if (slash) {
            g_autofree char *sub = g_strndup(as->name, slash - as->name);

            dir = simFsMkdir(fs, dir, sub);
        }
        simFsAddDynFile(fs, dir, slash ? slash + 1 : as->name, as->mode,
                        attrRead, attrWrite, a);
    }
}

static SimMdev *
mdevNew(SimType *type, const char *uuid)
{
    SimParent *parent = type->parent;
    SimHost *host = parent->host;
    SimFs *fs = host->fs;
    SimMdev *mdev = g_new0(SimMdev, 1);
    g_autofree char *gname = NULL;
    g_autofree char *vname = NULL;
    g_autofree char *drvpath = NULL;
    SimNode *drv;
    SimNode *devs;
    SimNode *vdir;

    mdev->host = host;
    g_strlcpy(mdev->uuid, uuid, sizeof(mdev->uuid));
    mdev->type = type;
    mdev->attrs = g_ptr_array_new();
    mdev->sets = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, setFree);
    mdev->dir = simFsMkdir(fs, parent->dir, uuid);
    simFsAddLinkTo(fs, mdev->dir, "mdev_type", type->dir);

    mdev->group = idsAlloc(&host->groups);
    gname = g_strdup_printf("%u", mdev->group);
    mdev->group_dir = simFsMkdir(fs, host->groups_dir, gname);
    simFsAddFile(fs, mdev->group_dir, "type", 0644, "DMA\n");
    simFsAddFile(fs, mdev->group_dir, "reserved_regions", 0444, "");
    devs = simFsMkdir(fs, mdev->group_dir, "devices");
    simFsAddLinkTo(fs, devs, uuid, mdev->dir);
    simFsAddLinkTo(fs, mdev->dir, "iommu_group", mdev->group_dir);

    drvpath = g_strdup_printf("bus/mdev/drivers/%s", parent->spec->driver);
    drv = simFsMkdirP(fs, drvpath);
    mdev->driver_link = simFsAddLinkTo(fs, drv, uuid, mdev->dir);
    simFsAddLinkTo(fs, mdev->dir, "driver", drv);
    simFsAddDynFile(fs, mdev->dir, "remove", 0200, NULL, mdevRemoveWrite, mdev);
    simFsAddLink(fs, mdev->dir, "subsystem", "bus/mdev");
    simFsAddDynFile(fs, mdev->dir, "uevent", 0644, mdevUeventRead, NULL, mdev);
    simFsMkdir(fs, mdev->dir, "power");
    mdev->vfio_index = idsAlloc(&host->vfio_ids);
    vname = g_strdup_printf("vfio%u", mdev->vfio_index);
    vdir = simFsMkdir(fs, simFsMkdir(fs, mdev->dir, "vfio-dev"), vname);
    simFsAddLinkTo(fs, vdir, "device", mdev->dir);
    simFsAddLink(fs, vdir, "subsystem", "class/vfio-dev");
    simFsAddFile(fs, vdir, "uevent", 0644, "");
    mdev->vfio_class_link = simFsAddLinkTo(fs, simFsMkdirP(fs, "class/vfio-dev"),
                                           vname, vdir);
    mdevAddAttrs(mdev, parent->spec->attrs);
    mdevAddAttrs(mdev, type->spec->attrs);

    mdev->bus_link = simFsAddLinkTo(fs, simFsLookupPath(fs, "bus/mdev/devices"),
                                    uuid, mdev->dir);
    mdev->type_link = simFsAddLinkTo(fs, type->devices, uuid, mdev->dir);
    mdev->vfio_node = simFsAddDynFile(fs, host->vfio_dir, gname, 0600,
                                      NULL, NULL, mdev);
    mdev->vfio_node->open = mdevVfioOpen;

    parent->used += type->spec->cost ? type->spec->cost : 1;
    type->count++;
    g_hash_table_insert(parent->mdevs, mdev->uuid, mdev);
    g_hash_table_insert(host->mdevs, mdev->uuid, mdev);
    return mdev;
}

static void
mdevDelete(SimMdev *mdev)
{
    SimHost *host = mdev->host;
    SimType *type = mdev->type;
    SimParent *parent = type->parent;
    guint cost = type->spec->cost ? type->spec->cost : 1;

    simFsRemove(host->fs, mdev->vfio_node);
    simFsRemove(host->fs, mdev->vfio_class_link);
    simFsRemove(host->fs, mdev->type_link);
    simFsRemove(host->fs, mdev->bus_link);
    simFsRemove(host->fs, mdev->driver_link);
    simFsRemove(host->fs, mdev->group_dir);
    simFsRemove(host->fs, mdev->dir);
    idsRelease(&host->groups, mdev->group);
    idsRelease(&host->vfio_ids, mdev->vfio_index);
    parent->used = parent->used > cost ? parent->used - cost : 0;
    type->count--;
    g_hash_table_remove(parent->mdevs, mdev->uuid);
    g_hash_table_remove(host->mdevs, mdev->uuid);  /* frees mdev */
}

static int
typeCreateWrite(SimNode *node, const char *buf, size_t len)
{
    SimType *type = node->data;
    SimHost *host = type->parent->host;
    char uuid[UUID_LEN + 1];
    int err;

    if (host->inject_vanish) {
        g_autofree char *name = g_steal_pointer(&host->inject_vanish);

        simHostUnregisterParent(host, name);
        /* Like kernfs on a removed attribute: the open file is dead. */
        if (!node->attached)
            return ENODEV;
    }
    if ((err = host->inject_create)) {
        host->inject_create = 0;
        return err;
    }
    /* mdev core: 36 characters, or 37 with any last byte. */
    if (len < UUID_LEN || len > UUID_LEN + 1 || !parseUuid(buf, len, uuid))
        return EINVAL;
    if (g_hash_table_contains(host->mdevs, uuid))
        return EEXIST;
    if (typeAvailable(type) == 0)
        return type->parent->spec->full_errno;
    mdevNew(type, uuid);
    return 0;
}

static void
parentAddTypes(SimParent *parent)
{
    SimFs *fs = parent->host->fs;
    guint i;

    parent->types_dir = simFsMkdir(fs, parent->dir, "mdev_supported_types");
    for (i = 0; i < parent->types->len; i++) {
        SimType *type = g_ptr_array_index(parent->types, i);
        SimTypeSpec *ts = type->spec;

        type->dir = simFsMkdir(fs, parent->types_dir, ts->id);
        simFsAddDynFile(fs, type->dir, "create", 0200, NULL, typeCreateWrite, type);
        simFsAddDynFile(fs, type->dir, "available_instances", 0444,
                        typeAvailableRead, NULL, type);
        addFilef(parent->host, type->dir, "device_api", 0444, "%s\n",
                 parent->spec->device_api);
        if (ts->name)
            addFilef(parent->host, type->dir, "name", 0444, "%s\n", ts->name);
        if (ts->description)
            addFilef(parent->host, type->dir, "description", 0444, "%s\n",
                     ts->description);
        type->devices = simFsMkdir(fs, type->dir, "devices");
    }
    parent->class_link = simFsAddLinkTo(fs, simFsLookupPath(fs, "class/mdev_bus"),
                                        parent->name, parent->dir);
    parent->registered = TRUE;
}

static int
registerParent(SimHost *host, const char *name, const char *path,
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
    parentAddTypes(parent);
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
    return registerParent(host, name, path, spec, error);
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
        mdevDelete(l->data);
    g_list_free(mdevs);
    simFsRemove(host->fs, parent->class_link);
    simFsRemove(host->fs, parent->types_dir);
    parent->class_link = NULL;
    parent->types_dir = NULL;
    parent->registered = FALSE;
    return 0;
}

/* Registers an unregistered parent again; 0, or -1 if not possible. */
int
simHostReregisterParent(SimHost *host, const char *name)
{
    SimParent *parent = g_hash_table_lookup(host->parents, name);

    if (!parent || parent->registered || !parent->dir->attached)
        return -1;
    parentAddTypes(parent);
    return 0;
}

/* Called once the profile is loaded; nothing left to do at present but
 * kept so later steps (e.g. driver dirs) have one place. */
void
simHostFinish(SimHost *host)
{
    (void)host;
}
