/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device objects and the device list (stable order, O(1) name lookup). */
#include <string.h>

#include "node_device_priv.h"

/* The capability bits fit the mask. */
G_STATIC_ASSERT(ND_NODE_DEV_CAP_LAST <= 32);

struct _ndDeviceList {
    GPtrArray *order;      /* ndDevice *, owning */
    GHashTable *by_name;   /* name -> ndDevice * (borrowed) */
    GHashTable *by_bus;    /* mdev_bus -> ndDevice * (borrowed) */
    guint64 generation;    /* see ndDeviceListGetGeneration() */
};

/* What a list filter sees of @dev changed: a new generation for its list. */
static void
deviceChanged(ndDevice *dev)
{
    if (dev->list)
        dev->list->generation++;
}

/* Recomputes @dev->cap_mask from its caps and its types: the one place
 * that decides what ndDeviceHasCap() reports (as libvirt's
 * virNodeDeviceObjHasCap: every top-level capability, "mdev_types" on a
 * device that currently has types, "vpd" on a PCI device with VPD). */
static void
deviceUpdateCapMask(ndDevice *dev)
{
    GPtrArray *types = ndDeviceGetMdevTypes(dev);
    guint32 mask = 0;
    guint i;

    for (i = 0; i < dev->def->caps->len; i++) {
        const ndNodeDevCapsDef *cap = g_ptr_array_index(dev->def->caps, i);

        if (cap->type >= ND_NODE_DEV_CAP_LAST)
            continue;
        mask |= 1U << cap->type;
        if (cap->type == ND_NODE_DEV_CAP_PCI_DEV && cap->data.pci_dev.vpd)
            mask |= 1U << ND_NODE_DEV_CAP_VPD;
    }
    /* nested in pci/css/ap_matrix, or top-level on a virtual parent */
    if (types && types->len > 0)
        mask |= 1U << ND_NODE_DEV_CAP_MDEV_TYPES;
    else
        mask &= ~(1U << ND_NODE_DEV_CAP_MDEV_TYPES);
    if (mask != dev->cap_mask)
        deviceChanged(dev);
    dev->cap_mask = mask;
}

/**
 * ndDeviceNew: a device object around @def (stolen). Active, transient,
 * not autostarted until told otherwise.
 */
ndDevice *
ndDeviceNew(ndNodeDeviceDef **def)
{
    ndDevice *dev = g_new0(ndDevice, 1);

    dev->def = g_steal_pointer(def);
    dev->active = TRUE;
    dev->iommu_group = -1;
    deviceUpdateCapMask(dev);
    return dev;
}

/**
 * ndDeviceFree: frees @dev (NULL is fine).
 */
void
ndDeviceFree(ndDevice *dev)
{
    if (!dev)
        return;
    ndNodeDeviceDefFree(dev->def);
    g_free(dev->mdev_bus);
    g_free(dev->uuid);
    g_free(dev->parent_bus);
    ndMdevctlDefFree(dev->mdevctl);
    g_free(dev->avail_sig);
    ndMdevAvailFilesFree(dev->avail_files);
    if (dev->other_types)
        g_ptr_array_unref(dev->other_types);
    g_free(dev);
}

/**
 * ndDeviceGetName: the device's name (borrowed, lives as long as @dev).
 */
const char *
ndDeviceGetName(const ndDevice *dev)
{
    return dev->def->name;
}

/**
 * ndDeviceGetMdevCap: the mdev capability data, or NULL if @dev is not a
 * mediated device. Borrowed.
 */
ndNodeDevCapMdev *
ndDeviceGetMdevCap(const ndDevice *dev)
{
    ndNodeDevCapsDef *cap = ndNodeDeviceDefFindCap(dev->def,
                                                   ND_NODE_DEV_CAP_MDEV);

    return cap ? &cap->data.mdev : NULL;
}

/**
 * ndDeviceIsMdev: TRUE if @dev is a mediated device.
 */
gboolean
ndDeviceIsMdev(const ndDevice *dev)
{
    return ndDeviceGetMdevCap(dev) != NULL;
}

/**
 * ndDeviceGetMdevTypes: the mdev_types array of a pci, css or ap_matrix
 * device (possibly empty), or NULL for other devices. Borrowed.
 */
GPtrArray *
ndDeviceGetMdevTypes(const ndDevice *dev)
{
    GPtrArray *types = ndNodeDeviceDefFindMdevTypes(dev->def);

    return types ? types : dev->other_types;
}

/**
 * ndDeviceSetMdevTypes: replaces @dev's mdev types with @types (stolen;
 * NULL empties them). Devices that cannot carry types just free @types.
 */
void
ndDeviceSetMdevTypes(ndDevice *dev, GPtrArray *types)
{
    guint i;

    for (i = 0; i < dev->def->caps->len; i++) {
        ndNodeDevCapsDef *cap = g_ptr_array_index(dev->def->caps, i);
        GPtrArray **slot = NULL;

        switch (cap->type) {
        case ND_NODE_DEV_CAP_PCI_DEV:
            slot = &cap->data.pci_dev.mdev_types;
            break;
        case ND_NODE_DEV_CAP_CSS_DEV:
            slot = &cap->data.ccw_dev.mdev_types;
            break;
        case ND_NODE_DEV_CAP_AP_MATRIX:
            slot = &cap->data.ap_matrix.mdev_types;
            break;
        case ND_NODE_DEV_CAP_SYSTEM:
        case ND_NODE_DEV_CAP_USB_DEV:
        case ND_NODE_DEV_CAP_USB_INTERFACE:
        case ND_NODE_DEV_CAP_NET:
        case ND_NODE_DEV_CAP_SCSI_HOST:
        case ND_NODE_DEV_CAP_SCSI_TARGET:
        case ND_NODE_DEV_CAP_SCSI:
        case ND_NODE_DEV_CAP_STORAGE:
        case ND_NODE_DEV_CAP_FC_HOST:
        case ND_NODE_DEV_CAP_VPORTS:
        case ND_NODE_DEV_CAP_SCSI_GENERIC:
        case ND_NODE_DEV_CAP_DRM:
        case ND_NODE_DEV_CAP_MDEV_TYPES:
        case ND_NODE_DEV_CAP_MDEV:
        case ND_NODE_DEV_CAP_CCW_DEV:
        case ND_NODE_DEV_CAP_VDPA:
        case ND_NODE_DEV_CAP_AP_CARD:
        case ND_NODE_DEV_CAP_AP_QUEUE:
        case ND_NODE_DEV_CAP_VPD:
        case ND_NODE_DEV_CAP_LAST:
            break;
        }
        if (slot) {
            if (*slot)
                g_ptr_array_unref(*slot);
            *slot = types ? types : ndMdevTypeListNew();
            deviceUpdateCapMask(dev);
            return;
        }
    }
    /* no capability to hold them: a virtual parent such as mtty */
    if (dev->other_types)
        g_ptr_array_unref(dev->other_types);
    dev->other_types = types;
    deviceUpdateCapMask(dev);
}

/**
 * ndDeviceHasCap: TRUE if @dev has capability @type at the top level, or
 * nested: "mdev_types" on a device that currently has types, "vpd" on a
 * PCI device with VPD (as libvirt's virNodeDeviceObjHasCap). One bit of
 * the mask deviceUpdateCapMask() keeps.
 */
gboolean
ndDeviceHasCap(const ndDevice *dev, ndNodeDevCapType type)
{
    if ((guint) type >= ND_NODE_DEV_CAP_LAST)
        return FALSE;
    return ndDeviceHasAnyCap(dev, 1U << type);
}

/**
 * ndDeviceListCaps: the names of @dev's capabilities in libvirt's order:
 * each top-level one, followed by its nested "mdev_types" or "vpd".
 * Returns a new array of strings (owning).
 */
GPtrArray *
ndDeviceListCaps(const ndDevice *dev)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *types = ndDeviceGetMdevTypes(dev);
    guint i;

    /* a virtual parent (mtty): libvirt's top-level mdev_types */
    if (dev->def->caps->len == 0 && types && types->len > 0)
        g_ptr_array_add(names, g_strdup("mdev_types"));
    for (i = 0; i < dev->def->caps->len; i++) {
        ndNodeDevCapsDef *cap = g_ptr_array_index(dev->def->caps, i);

        g_ptr_array_add(names, g_strdup(ndNodeDevCapTypeToString(cap->type)));
        if ((cap->type == ND_NODE_DEV_CAP_PCI_DEV ||
             cap->type == ND_NODE_DEV_CAP_CSS_DEV ||
             cap->type == ND_NODE_DEV_CAP_AP_MATRIX) &&
            types && types->len > 0)
            g_ptr_array_add(names, g_strdup("mdev_types"));
        if (cap->type == ND_NODE_DEV_CAP_PCI_DEV && cap->data.pci_dev.vpd)
            g_ptr_array_add(names, g_strdup("vpd"));
    }
    return names;
}

/**
 * ndDeviceFormat: @dev's XML (caller frees). A virtual mdev parent (no
 * capability conf can hold; its types in other_types) gets the form
 * libvirt gives it, which conf's model lacks: a top-level <capability
 * type='mdev_types'> holding a nested one with the types, so that the
 * types of the kernel's sample parents (mtty, mdpy, mbochs) are seen as
 * libvirt shows them. libvirt's own schema does not accept this one form.
 */
char *
ndDeviceFormat(const ndDevice *dev, unsigned int flags)
{
    g_autofree char *xml = ndNodeDeviceDefFormat(dev->def, flags);
    GString *out;
    const char *end;
    guint i;

    if (dev->def->caps->len > 0 || !dev->other_types ||
        dev->other_types->len == 0 ||
        !(end = g_strrstr(xml, "</device>\n")))
        return g_steal_pointer(&xml);

    out = g_string_new_len(xml, end - xml);
    g_string_append(out, "  <capability type='mdev_types'>\n"
                         "    <capability type='mdev_types'>\n");
    for (i = 0; i < dev->other_types->len; i++) {
        const ndMdevType *type = g_ptr_array_index(dev->other_types, i);
        g_autofree char *id = g_markup_escape_text(type->id, -1);

        g_string_append_printf(out, "      <type id='%s'>\n", id);
        if (type->name) {
            g_autofree char *name = g_markup_escape_text(type->name, -1);

            g_string_append_printf(out, "        <name>%s</name>\n", name);
        }
        if (type->device_api) {
            g_autofree char *api = g_markup_escape_text(type->device_api, -1);

            g_string_append_printf(out, "        <deviceAPI>%s</deviceAPI>\n", api);
        }
        g_string_append_printf(out, "        <availableInstances>%u</availableInstances>\n"
                                    "      </type>\n",
                               type->available_instances);
    }
    g_string_append(out, "    </capability>\n"
                         "  </capability>\n"
                         "</device>\n");
    return g_string_free(out, FALSE);
}

/**
 * ndDeviceNewMdev: see node_device_priv.h. The new object is inactive and
 * transient.
 */
ndDevice *
ndDeviceNewMdev(const char *uuid, const char *parent_bus,
                const char *parent_name)
{
    g_autoptr(ndNodeDeviceDef) def = ndNodeDeviceDefNew();
    g_autoptr(ndNodeDevCapsDef) cap = ndNodeDevCapsDefNew(ND_NODE_DEV_CAP_MDEV);
    ndDevice *dev;

    def->name = ndNodeDeviceMdevName(uuid, parent_bus);
    def->parent = g_strdup(parent_name ? parent_name : "computer");
    cap->data.mdev.uuid = g_strdup(uuid);
    cap->data.mdev.parent_addr = g_strdup(parent_bus);
    ndNodeDeviceDefAddCap(def, &cap);

    dev = ndDeviceNew(&def);
    dev->active = FALSE;
    dev->uuid = g_strdup(uuid);
    dev->parent_bus = g_strdup(parent_bus);
    return dev;
}

/**
 * ndDeviceSetMdevActive: see node_device_priv.h.
 */
void
ndDeviceSetMdevActive(ndDevice *dev, const char *type, const char *path,
                      const char *driver, int iommu_group, GPtrArray *attrs)
{
    ndNodeDevCapMdev *mdev = ndDeviceGetMdevCap(dev);
    guint i;

    deviceChanged(dev);
    dev->active = TRUE;
    dev->iommu_group = iommu_group;
    g_free(dev->def->sysfs_path);
    dev->def->sysfs_path = g_strdup(path);
    g_free(dev->def->driver);
    dev->def->driver = g_strdup(driver);
    mdev->iommu_group = iommu_group >= 0 ? (unsigned int) iommu_group : 0;
    ndMdevConfigClear(&mdev->active);
    mdev->active.type = g_strdup(type);
    for (i = 0; attrs && i < attrs->len; i++) {
        const ndMdevAttr *attr = g_ptr_array_index(attrs, i);

        ndMdevConfigAddAttr(&mdev->active, attr->name, attr->value);
    }
}

/**
 * ndDeviceSetMdevInactive: see node_device_priv.h.
 */
void
ndDeviceSetMdevInactive(ndDevice *dev)
{
    ndNodeDevCapMdev *mdev = ndDeviceGetMdevCap(dev);

    deviceChanged(dev);
    dev->active = FALSE;
    dev->iommu_group = -1;
    g_clear_pointer(&dev->def->sysfs_path, g_free);
    g_clear_pointer(&dev->def->driver, g_free);
    mdev->iommu_group = 0;
    ndMdevConfigClear(&mdev->active);
}

/**
 * ndDeviceSetMdevDefinition: see node_device_priv.h.
 */
void
ndDeviceSetMdevDefinition(ndDevice *dev, ndMdevctlDef *def)
{
    ndNodeDevCapMdev *mdev = ndDeviceGetMdevCap(dev);
    guint i;

    deviceChanged(dev);
    ndMdevctlDefFree(dev->mdevctl);
    dev->mdevctl = def;
    ndMdevConfigClear(&mdev->defined);
    if (!def) {
        dev->persistent = FALSE;
        dev->autostart = FALSE;
        return;
    }
    dev->persistent = TRUE;
    dev->autostart = def->autostart;
    mdev->defined.type = g_strdup(def->type);
    for (i = 0; i < def->attrs->len; i++) {
        const ndMdevctlAttr *attr = g_ptr_array_index(def->attrs, i);

        ndMdevConfigAddAttr(&mdev->defined, attr->name, attr->value);
    }
}


/**
 * ndDeviceListNew: an empty list.
 */
ndDeviceList *
ndDeviceListNew(void)
{
    ndDeviceList *list = g_new0(ndDeviceList, 1);

    list->order = g_ptr_array_new_with_free_func((GDestroyNotify) ndDeviceFree);
    list->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    list->by_bus = g_hash_table_new(g_str_hash, g_str_equal);
    list->generation = 1;
    return list;
}

/**
 * ndDeviceListFree: frees @list and its devices.
 */
void
ndDeviceListFree(ndDeviceList *list)
{
    if (!list)
        return;
    g_hash_table_unref(list->by_name);
    g_hash_table_unref(list->by_bus);
    g_ptr_array_unref(list->order);
    g_free(list);
}

/**
 * ndDeviceListAdd: appends *@dev and clears the caller's pointer. Returns
 * FALSE (and leaves *@dev alone) if a device of that name exists.
 */
gboolean
ndDeviceListAdd(ndDeviceList *list, ndDevice **dev)
{
    ndDevice *d = *dev;

    if (g_hash_table_contains(list->by_name, ndDeviceGetName(d)))
        return FALSE;
    g_ptr_array_add(list->order, d);
    g_hash_table_insert(list->by_name, d->def->name, d);
    d->list = list;
    list->generation++;
    if (d->mdev_bus)
        g_hash_table_insert(list->by_bus, d->mdev_bus, d);
    *dev = NULL;
    return TRUE;
}

/**
 * ndDeviceListFind: the device named @name (borrowed) or NULL.
 */
ndDevice *
ndDeviceListFind(ndDeviceList *list, const char *name)
{
    if (!name)
        return NULL;
    return g_hash_table_lookup(list->by_name, name);
}

/**
 * ndDeviceListFindByBus: the mdev parent registered as @bus in
 * class/mdev_bus (borrowed) or NULL.
 */
ndDevice *
ndDeviceListFindByBus(ndDeviceList *list, const char *bus)
{
    if (!bus)
        return NULL;
    return g_hash_table_lookup(list->by_bus, bus);
}

/**
 * ndDeviceListSetBus: makes @dev (in @list) the parent registered as
 * @bus, or no parent when @bus is NULL.
 */
void
ndDeviceListSetBus(ndDeviceList *list, ndDevice *dev, const char *bus)
{
    if (dev->mdev_bus &&
        g_hash_table_lookup(list->by_bus, dev->mdev_bus) == dev)
        g_hash_table_remove(list->by_bus, dev->mdev_bus);
    g_free(dev->mdev_bus);
    dev->mdev_bus = g_strdup(bus);
    if (bus)
        g_hash_table_insert(list->by_bus, dev->mdev_bus, dev);
}

/**
 * ndDeviceListRemove: removes and frees the device named @name, if any,
 * keeping the order of the others.
 */
void
ndDeviceListRemove(ndDeviceList *list, const char *name)
{
    ndDevice *dev = ndDeviceListFind(list, name);

    if (!dev)
        return;
    if (dev->mdev_bus &&
        g_hash_table_lookup(list->by_bus, dev->mdev_bus) == dev)
        g_hash_table_remove(list->by_bus, dev->mdev_bus);
    g_hash_table_remove(list->by_name, name);
    list->generation++;
    g_ptr_array_remove(list->order, dev);
}

/**
 * ndDeviceListCount: the number of devices.
 */
guint
ndDeviceListCount(ndDeviceList *list)
{
    return list->order->len;
}

/**
 * ndDeviceListGet: the @i-th device (borrowed); @i < count.
 */
ndDevice *
ndDeviceListGet(ndDeviceList *list, guint i)
{
    return g_ptr_array_index(list->order, i);
}

/**
 * ndDeviceListGetGeneration: see node_device_priv.h.
 */
guint64
ndDeviceListGetGeneration(ndDeviceList *list)
{
    return list->generation;
}
