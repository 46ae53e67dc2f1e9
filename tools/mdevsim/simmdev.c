/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* simmdev: mdev types and devices with the kernel's create/remove
 * semantics, shared pools, vendor attributes and the emulated /dev/vfio. */
#include "simhost-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

/* Frees a set of numbers (NULL allowed). */
void
simSetFree(gpointer p)
{
    SimSet *set = p;

    if (!set)
        return;
    g_free(set->bits);
    g_free(set);
}

/* Frees an mdev's memory; its nodes must be gone (simMdevDelete). */
void
simMdevFree(gpointer p)
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
    if (!simParseKernelUll(buf, len, &val))
        return EINVAL;
    if (val == 0)
        return 0;
    /* The kernel blocks here until the user closes the device; the
     * simulator answers EBUSY so that tests never hang. */
    if (mdevIsBusy(mdev))
        return EBUSY;
    simMdevDelete(mdev);
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

/* The AP queue "AA.DDDD" exists and another driver than @driver holds it
 * (a default driver such as cex4queue). */
static gboolean
apQueueOwnedElsewhere(SimHost *host, guint64 adapter, guint64 domain,
                      const char *driver)
{
    g_autofree char *path = g_strdup_printf("devices/ap/card%02x/%02x.%04x/driver",
                                            (guint)adapter, (guint)adapter,
                                            (guint)domain);
    SimNode *link = simFsLookupPath(host->fs, path);

    return link && !apQueueBound(host, adapter, domain, driver);
}

/* Assigning @val would give @mdev an APQN that another driver owns. */
static gboolean
attrOwnedElsewhere(SimMdev *mdev, SimAttrSpec *spec, guint64 val)
{
    SimSet *pairs = mdevSet(mdev, spec->pair_set);
    guint64 p;

    for (p = 0; pairs && p <= pairs->max; p++) {
        guint64 adapter = spec->ap_domain ? p : val;
        guint64 domain = spec->ap_domain ? val : p;

        if (setHas(pairs, p) &&
            apQueueOwnedElsewhere(mdev->host, adapter, domain, spec->owner_driver))
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
        if (!simParseKernelUll(buf, len, &val))
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
        /* vfio_ap: assigning again is a no-op; then APQNs another driver
         * owns (EADDRNOTAVAIL), then APQNs of another device (EADDRINUSE). */
        if (spec->kind == SIM_ATTR_ASSIGN && setHas(set, val))
            return 0;
        if (spec->kind == SIM_ATTR_ASSIGN && spec->owner_driver &&
            attrOwnedElsewhere(a->mdev, spec, val))
            return spec->owner_errno ? spec->owner_errno : EADDRNOTAVAIL;
        if (spec->kind == SIM_ATTR_ASSIGN && spec->pair_set &&
            attrShares(a->mdev, spec, val))
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
    mdev->sets = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, simSetFree);
    mdev->dir = simFsMkdir(fs, parent->dir, uuid);
    simFsAddLinkTo(fs, mdev->dir, "mdev_type", type->dir);

    mdev->group = simIdsAlloc(&host->groups);
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
    mdev->vfio_index = simIdsAlloc(&host->vfio_ids);
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

/* Removes @mdev like the kernel's remove: every node, link, group and
 * pool unit goes; @mdev is freed. */
void
simMdevDelete(SimMdev *mdev)
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
    simIdsRelease(&host->groups, mdev->group);
    simIdsRelease(&host->vfio_ids, mdev->vfio_index);
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
    if (len < UUID_LEN || len > UUID_LEN + 1 || !simParseUuid(buf, len, uuid))
        return EINVAL;
    if (g_hash_table_contains(host->mdevs, uuid))
        return EEXIST;
    if (typeAvailable(type) == 0)
        return type->parent->spec->full_errno;
    mdevNew(type, uuid);
    return 0;
}

/* Creates mdev_supported_types and the class/mdev_bus link of @parent:
 * the vendor driver registers the parent. */
void
simParentAddTypes(SimParent *parent)
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
        simAddFilef(parent->host, type->dir, "device_api", 0444, "%s\n",
                 parent->spec->device_api);
        if (ts->name)
            simAddFilef(parent->host, type->dir, "name", 0444, "%s\n", ts->name);
        if (ts->description)
            simAddFilef(parent->host, type->dir, "description", 0444, "%s\n",
                     ts->description);
        type->devices = simFsMkdir(fs, type->dir, "devices");
    }
    parent->class_link = simFsAddLinkTo(fs, simFsLookupPath(fs, "class/mdev_bus"),
                                        parent->name, parent->dir);
    parent->registered = TRUE;
}
