/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enumeration of the host from sysfs: computer, css, AP, matrix, mdev
 * parents with their types, and active mediated devices. */
#include <string.h>

#include "node_device_priv.h"
#include "util/nddmi.h"
#include "util/nderror.h"
#include "util/ndlog.h"
#include "util/ndmdev.h"
#include "util/nds390.h"

static ndDevice *
enumComputer(ndSysfs *sysfs)
{
    g_autoptr(ndNodeDeviceDef) def = ndNodeDeviceDefNew();
    g_autoptr(ndNodeDevCapsDef) cap = ndNodeDevCapsDefNew(ND_NODE_DEV_CAP_SYSTEM);
    g_autoptr(ndDmiInfo) dmi = NULL;
    ndNodeDevCapSystem *sys = &cap->data.system;
    ndDevice *dev;

    def->name = g_strdup("computer");
    if (ndDmiRead(sysfs, &dmi) < 0) {
        /* DMI is decoration: a broken file must not stop the daemon */
        ND_WARN("cannot read DMI data: %s", ndGetLastErrorMessage());
        ndResetLastError();
    }
    if (dmi) {
        sys->product_name = g_strdup(dmi->product_name);
        sys->hardware_vendor = g_strdup(dmi->sys_vendor);
        sys->hardware_version = g_strdup(dmi->product_version);
        sys->hardware_serial = g_strdup(dmi->product_serial);
        sys->hardware_uuid = g_strdup(dmi->product_uuid);
        sys->firmware_vendor = g_strdup(dmi->bios_vendor);
        sys->firmware_version = g_strdup(dmi->bios_version);
        sys->firmware_release_date = g_strdup(dmi->bios_date);
    }
    ndNodeDeviceDefAddCap(def, &cap);
    dev = ndDeviceNew(&def);
    dev->persistent = TRUE;
    dev->autostart = TRUE;
    return dev;
}

static void
enumAdd(ndDeviceList *list, ndNodeDeviceDef **def)
{
    g_autoptr(ndDevice) dev = ndDeviceNew(def);

    dev->persistent = TRUE;
    dev->autostart = TRUE;
    if (!ndDeviceListAdd(list, &dev))
        ND_DEBUG("duplicate device '%s' skipped", ndDeviceGetName(dev));
}

static int
enumCss(ndSysfs *sysfs, ndDeviceList *list)
{
    g_autoptr(GPtrArray) infos = NULL;
    guint i;

    if (ndCssDeviceList(sysfs, &infos) < 0)
        return -1;
    for (i = 0; i < infos->len; i++) {
        const ndCssDeviceInfo *info = g_ptr_array_index(infos, i);
        g_autoptr(ndNodeDeviceDef) def = ndNodeDeviceDefNew();
        g_autoptr(ndNodeDevCapsDef) cap = ndNodeDevCapsDefNew(ND_NODE_DEV_CAP_CSS_DEV);

        def->name = ndNodeDeviceNameFromParts("css", info->name);
        def->sysfs_path = g_strdup(info->path);
        def->parent = g_strdup("computer");
        def->driver = g_strdup(info->driver);
        cap->data.ccw_dev.addr.cssid = info->addr.cssid;
        cap->data.ccw_dev.addr.ssid = info->addr.ssid;
        cap->data.ccw_dev.addr.devno = info->addr.devno;
        if (info->has_channel_dev) {
            cap->data.ccw_dev.channel_dev_addr = g_new0(ndCCWAddress, 1);
            cap->data.ccw_dev.channel_dev_addr->cssid = info->channel_dev.cssid;
            cap->data.ccw_dev.channel_dev_addr->ssid = info->channel_dev.ssid;
            cap->data.ccw_dev.channel_dev_addr->devno = info->channel_dev.devno;
        }
        ndNodeDeviceDefAddCap(def, &cap);
        enumAdd(list, &def);
    }
    return 0;
}

static int
enumAp(ndSysfs *sysfs, ndDeviceList *list)
{
    g_autoptr(GPtrArray) infos = NULL;
    g_autofree char *matrix = NULL;
    guint i;

    if (ndApDeviceList(sysfs, &infos) < 0)
        return -1;
    for (i = 0; i < infos->len; i++) {
        const ndApDeviceInfo *info = g_ptr_array_index(infos, i);
        g_autoptr(ndNodeDeviceDef) def = ndNodeDeviceDefNew();
        g_autoptr(ndNodeDevCapsDef) cap = NULL;

        def->name = ndNodeDeviceNameFromParts("ap", info->name);
        def->sysfs_path = g_strdup(info->path);
        def->driver = g_strdup(info->driver);
        switch (info->kind) {
        case ND_AP_DEVICE_CARD:
            cap = ndNodeDevCapsDefNew(ND_NODE_DEV_CAP_AP_CARD);
            cap->data.ap_card.ap_adapter = info->adapter;
            def->parent = g_strdup("computer");
            break;
        case ND_AP_DEVICE_QUEUE: {
            g_autofree char *card = g_strdup_printf("card%02x", info->adapter);

            cap = ndNodeDevCapsDefNew(ND_NODE_DEV_CAP_AP_QUEUE);
            cap->data.ap_queue.ap_adapter = info->adapter;
            cap->data.ap_queue.ap_domain = info->domain >= 0 ?
                (unsigned int) info->domain : 0;
            def->parent = ndNodeDeviceNameFromParts("ap", card);
            if (!ndDeviceListFind(list, def->parent)) {
                g_free(def->parent);
                def->parent = g_strdup("computer");
            }
            break;
        }
        case ND_AP_DEVICE_LAST:
        default:
            continue;
        }
        ndNodeDeviceDefAddCap(def, &cap);
        enumAdd(list, &def);
    }

    if (ndApMatrixRead(sysfs, &matrix) > 0) {
        g_autoptr(ndNodeDeviceDef) def = ndNodeDeviceDefNew();
        g_autoptr(ndNodeDevCapsDef) cap = ndNodeDevCapsDefNew(ND_NODE_DEV_CAP_AP_MATRIX);

        def->name = g_strdup("ap_matrix");
        def->sysfs_path = ndSysfsBuildPath(sysfs, matrix);
        def->parent = g_strdup("computer");
        cap->data.ap_matrix.addr = g_strdup("matrix");
        ndNodeDeviceDefAddCap(def, &cap);
        enumAdd(list, &def);
    }
    return 0;
}

/**
 * ndEnumMdevTypes: see node_device_priv.h.
 */
int
ndEnumMdevTypes(ndSysfs *sysfs, const char *bus, ndMdevTypeKnown *known,
                GPtrArray **ret_types)
{
    g_autoptr(GPtrArray) infos = NULL;
    g_autoptr(GPtrArray) types = ndMdevTypeListNew();
    guint i;

    if (ndMdevTypeListBrief(sysfs, bus, known, &infos) < 0)
        return -1;
    for (i = 0; i < infos->len; i++) {
        const ndMdevTypeInfo *info = g_ptr_array_index(infos, i);

        g_ptr_array_add(types, ndMdevTypeNew(info->id, info->name,
                                             info->device_api,
                                             info->available_instances));
    }
    *ret_types = g_steal_pointer(&types);
    return 0;
}

/**
 * ndEnumAvailSig: see node_device_priv.h.
 */
char *
ndEnumAvailSig(GPtrArray *types)
{
    GString *sig = g_string_new(NULL);
    guint i;

    for (i = 0; types && i < types->len; i++) {
        const ndMdevType *type = g_ptr_array_index(types, i);

        g_string_append_printf(sig, "%s=%u;", type->id,
                               type->available_instances);
    }
    return g_string_free(sig, FALSE);
}

/**
 * ndEnumOtherParent: a parent that is neither PCI, css nor the matrix (a
 * virtual device such as the kernel's mtty sample): named as libvirt names
 * udev devices, <subsystem>_<name>, child of computer. Its types go to
 * other_types (see ndDeviceFormat()).
 */
ndDevice *
ndEnumOtherParent(const ndMdevParentInfo *info)
{
    g_autoptr(ndNodeDeviceDef) def = ndNodeDeviceDefNew();
    ndDevice *dev;

    def->name = ndNodeDeviceNameFromParts(info->subsystem ? info->subsystem
                                                          : "mdev_bus",
                                          info->name);
    def->sysfs_path = g_strdup(info->path);
    def->parent = g_strdup("computer");
    dev = ndDeviceNew(&def);
    dev->persistent = TRUE;
    dev->autostart = TRUE;
    return dev;
}

/* The types of many parents are read by a few threads at once: every
 * sysfs access is a round trip (a FUSE request on mdevsim, where one
 * reader leaves the server idle between its requests), and a host with
 * 128 SR-IOV parents has thousands of types to read. */
#define ENUM_PARALLEL_MIN 8
#define ENUM_THREADS 4

typedef struct {
    ndSysfs *sysfs;
    ndMdevTypeKnown *known;
    GPtrArray *parents;         /* ndMdevParentInfo */
    GPtrArray **types;          /* per parent: its types, or NULL */
    char **errors;              /* per parent: why its types are missing */
} EnumTypesJob;

static void
enumTypesOne(EnumTypesJob *job, guint i)
{
    const ndMdevParentInfo *info = g_ptr_array_index(job->parents, i);

    if (ndEnumMdevTypes(job->sysfs, info->name, job->known,
                        &job->types[i]) < 0) {
        job->errors[i] = g_strdup(ndGetLastErrorMessage());
        ndResetLastError();
    }
}

static void
enumTypesWork(gpointer data, gpointer user_data)
{
    enumTypesOne(user_data, GPOINTER_TO_UINT(data) - 1);
}

/* Fills job->types (or job->errors) for every parent: in this thread for
 * a few parents, else on up to ENUM_THREADS threads. */
static void
enumTypesAll(EnumTypesJob *job)
{
    GThreadPool *pool = NULL;
    guint i;

    if (job->parents->len >= ENUM_PARALLEL_MIN)
        pool = g_thread_pool_new(enumTypesWork, job, ENUM_THREADS, FALSE, NULL);
    for (i = 0; i < job->parents->len; i++) {
        /* with no pool (or none could be made) read them here */
        if (!pool || !g_thread_pool_push(pool, GUINT_TO_POINTER(i + 1), NULL))
            enumTypesOne(job, i);
    }
    if (pool)
        g_thread_pool_free(pool, FALSE, TRUE);
}

static int
enumParents(ndSysfs *sysfs, ndDeviceList *list)
{
    g_autoptr(GPtrArray) parents = NULL;
    g_autoptr(GHashTable) by_path = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(ndMdevTypeKnown) known = ndMdevTypeKnownNew();
    EnumTypesJob job = { 0 };
    guint i;

    if (ndMdevParentList(sysfs, &parents) < 0)
        return -1;
    for (i = 0; i < ndDeviceListCount(list); i++) {
        ndDevice *dev = ndDeviceListGet(list, i);

        if (dev->def->sysfs_path)
            g_hash_table_insert(by_path, dev->def->sysfs_path, dev);
    }

    job.sysfs = sysfs;
    job.known = known;
    job.parents = parents;
    job.types = g_new0(GPtrArray *, parents->len);
    job.errors = g_new0(char *, parents->len);
    enumTypesAll(&job);

    for (i = 0; i < parents->len; i++) {
        const ndMdevParentInfo *info = g_ptr_array_index(parents, i);
        ndDevice *dev = g_hash_table_lookup(by_path, info->path);
        g_autoptr(GPtrArray) types = g_steal_pointer(&job.types[i]);
        g_autofree char *error = g_steal_pointer(&job.errors[i]);

        if (!dev) {
            g_autoptr(ndDevice) other = ndEnumOtherParent(info);

            dev = other;
            if (!ndDeviceListAdd(list, &other)) {
                ND_DEBUG("mdev parent '%s' clashes with a device name", info->name);
                continue;
            }
        }
        if (!types) {
            ND_WARN("cannot read the mdev types of '%s': %s", info->name,
                    error ? error : "");
            continue;
        }
        ndDeviceListSetBus(list, dev, info->name);
        g_free(dev->avail_sig);
        dev->avail_sig = ndEnumAvailSig(types);
        ndDeviceSetMdevTypes(dev, g_steal_pointer(&types));
    }
    g_free(job.types);
    g_free(job.errors);
    return 0;
}

/**
 * ndEnumHost: see node_device_priv.h. Devices come in this order:
 * computer, PCI by address, css, AP cards and queues, the matrix, other
 * mdev parents, then active mdevs by UUID.
 */
int
ndEnumHost(ndSysfs *sysfs, ndDeviceList *list)
{
    g_autoptr(ndDevice) computer = enumComputer(sysfs);
    g_autoptr(GPtrArray) mdevs = NULL;
    guint i;

    ndDeviceListAdd(list, &computer);
    if (ndEnumPci(sysfs, list) < 0 ||
        enumCss(sysfs, list) < 0 ||
        enumAp(sysfs, list) < 0 ||
        enumParents(sysfs, list) < 0)
        return -1;

    if (ndMdevList(sysfs, &mdevs) < 0)
        return -1;
    for (i = 0; i < mdevs->len; i++) {
        const ndMdevInfo *info = g_ptr_array_index(mdevs, i);
        ndDevice *parent = ndDeviceListFindByBus(list, info->parent);
        g_autoptr(ndDevice) dev = ndDeviceNewMdev(info->uuid, info->parent,
                                                  parent ? ndDeviceGetName(parent)
                                                         : NULL);

        ndDeviceSetMdevActive(dev, info->type_id, info->path, info->driver,
                              info->iommu_group, NULL);
        if (!ndDeviceListAdd(list, &dev))
            ND_DEBUG("duplicate mdev '%s' skipped", ndDeviceGetName(dev));
    }
    return 0;
}
