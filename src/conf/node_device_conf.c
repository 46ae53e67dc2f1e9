/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node-device data model: enums, constructors, destructors, copies,
 * lookups, addresses and device names. Parsing and formatting live in
 * node_device_parse.c and node_device_format.c. */
#include <string.h>

#include <libvirt/libvirt.h>

#include "node_device_conf.h"

/* The enum's order is libvirt's: listing flags are 1 << type. */
#define CHECK_CAP_BIT(name) \
    G_STATIC_ASSERT(VIR_CONNECT_LIST_NODE_DEVICES_CAP_##name == \
                    1 << ND_NODE_DEV_CAP_##name)
CHECK_CAP_BIT(SYSTEM);
CHECK_CAP_BIT(PCI_DEV);
CHECK_CAP_BIT(USB_DEV);
CHECK_CAP_BIT(USB_INTERFACE);
CHECK_CAP_BIT(NET);
CHECK_CAP_BIT(SCSI_HOST);
CHECK_CAP_BIT(SCSI_TARGET);
CHECK_CAP_BIT(SCSI);
CHECK_CAP_BIT(STORAGE);
CHECK_CAP_BIT(FC_HOST);
CHECK_CAP_BIT(VPORTS);
CHECK_CAP_BIT(SCSI_GENERIC);
CHECK_CAP_BIT(DRM);
CHECK_CAP_BIT(MDEV_TYPES);
CHECK_CAP_BIT(MDEV);
CHECK_CAP_BIT(CCW_DEV);
CHECK_CAP_BIT(CSS_DEV);
CHECK_CAP_BIT(VDPA);
CHECK_CAP_BIT(AP_CARD);
CHECK_CAP_BIT(AP_QUEUE);
CHECK_CAP_BIT(AP_MATRIX);
CHECK_CAP_BIT(VPD);

static const char *const cap_type_names[] = {
    "system",
    "pci",
    "usb_device",
    "usb",
    "net",
    "scsi_host",
    "scsi_target",
    "scsi",
    "storage",
    "fc_host",
    "vports",
    "scsi_generic",
    "drm",
    "mdev_types",
    "mdev",
    "ccw",
    "css",
    "vdpa",
    "ap_card",
    "ap_queue",
    "ap_matrix",
    "vpd",
};
G_STATIC_ASSERT(G_N_ELEMENTS(cap_type_names) == ND_NODE_DEV_CAP_LAST);

static const char *const pcie_speed_names[] = {
    "",
    "2.5",
    "5",
    "8",
    "16",
    "32",
    "64",
};
G_STATIC_ASSERT(G_N_ELEMENTS(pcie_speed_names) == ND_PCIE_LINK_SPEED_LAST);

/**
 * ndNodeDevCapTypeToString:
 * @type: an ndNodeDevCapType
 *
 * Returns the XML name (static), or NULL if @type is out of range.
 */
const char *
ndNodeDevCapTypeToString(int type)
{
    if (type < 0 || type >= ND_NODE_DEV_CAP_LAST)
        return NULL;
    return cap_type_names[type];
}

/**
 * ndNodeDevCapTypeFromString:
 * @str: an XML capability name
 *
 * Returns the ndNodeDevCapType, or -1 if unknown (no error reported).
 */
int
ndNodeDevCapTypeFromString(const char *str)
{
    size_t i;

    if (!str)
        return -1;
    for (i = 0; i < G_N_ELEMENTS(cap_type_names); i++) {
        if (strcmp(str, cap_type_names[i]) == 0)
            return (int) i;
    }
    return -1;
}

/**
 * ndNodeDevCapTypeIsSupported:
 * @type: a capability type
 *
 * Returns TRUE for the top-level capabilities we parse and format.
 */
gboolean
ndNodeDevCapTypeIsSupported(ndNodeDevCapType type)
{
    switch (type) {
    case ND_NODE_DEV_CAP_SYSTEM:
    case ND_NODE_DEV_CAP_PCI_DEV:
    case ND_NODE_DEV_CAP_MDEV:
    case ND_NODE_DEV_CAP_CCW_DEV:
    case ND_NODE_DEV_CAP_CSS_DEV:
    case ND_NODE_DEV_CAP_AP_CARD:
    case ND_NODE_DEV_CAP_AP_QUEUE:
    case ND_NODE_DEV_CAP_AP_MATRIX:
        return TRUE;
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
    case ND_NODE_DEV_CAP_VDPA:
    case ND_NODE_DEV_CAP_VPD:
    case ND_NODE_DEV_CAP_LAST:
        break;
    }
    return FALSE;
}

/**
 * ndPCIELinkSpeedToString:
 * @speed: an ndPCIELinkSpeed
 *
 * Returns "2.5", "5", ... ("" for unknown), or NULL if out of range.
 */
const char *
ndPCIELinkSpeedToString(int speed)
{
    if (speed < 0 || speed >= ND_PCIE_LINK_SPEED_LAST)
        return NULL;
    return pcie_speed_names[speed];
}

/**
 * ndPCIELinkSpeedFromString:
 * @str: "2.5", "5", "8", "16", "32" or "64"
 *
 * Returns the speed, or -1 if @str is none of those (the empty string
 * included).
 */
int
ndPCIELinkSpeedFromString(const char *str)
{
    size_t i;

    if (!str)
        return -1;
    for (i = 1; i < G_N_ELEMENTS(pcie_speed_names); i++) {
        if (strcmp(str, pcie_speed_names[i]) == 0)
            return (int) i;
    }
    return -1;
}

/* ---- addresses ---------------------------------------------------------- */

/**
 * ndPCIAddressFormat:
 * @addr: a PCI address
 *
 * Returns "dddd:bb:ss.f" (caller frees).
 */
char *
ndPCIAddressFormat(const ndPCIAddress *addr)
{
    return g_strdup_printf("%04x:%02x:%02x.%d", addr->domain, addr->bus,
                           addr->slot, (int) addr->function);
}

static int
parseHexField(const char *start, const char *end, unsigned int max,
              unsigned int *ret)
{
    guint64 val = 0;
    const char *p;

    if (start == end || end - start > 8)
        return -1;
    for (p = start; p < end; p++) {
        if (!g_ascii_isxdigit(*p))
            return -1;
        val = val * 16 + g_ascii_xdigit_value(*p);
    }
    if (val > max)
        return -1;
    *ret = (unsigned int) val;
    return 0;
}

/**
 * ndPCIAddressParse:
 * @str: "DDDD:BB:SS.F" as in sysfs
 * @ret_addr: the result, untouched on failure
 *
 * Returns 0, or -1 (no error reported) if @str is not such an address.
 */
int
ndPCIAddressParse(const char *str, ndPCIAddress *ret_addr)
{
    ndPCIAddress addr;
    const char *c1;
    const char *c2;
    const char *dot;

    if (!str || !(c1 = strchr(str, ':')) || !(c2 = strchr(c1 + 1, ':')) ||
        !(dot = strchr(c2 + 1, '.')))
        return -1;
    if (parseHexField(str, c1, 0xffffffff, &addr.domain) < 0 ||
        parseHexField(c1 + 1, c2, 0xff, &addr.bus) < 0 ||
        parseHexField(c2 + 1, dot, 0x1f, &addr.slot) < 0 ||
        parseHexField(dot + 1, dot + 1 + strlen(dot + 1), 7,
                      &addr.function) < 0)
        return -1;
    *ret_addr = addr;
    return 0;
}

/**
 * ndCCWAddressFormat:
 * @addr: a channel subsystem address
 *
 * Returns "c.s.dddd" (caller frees).
 */
char *
ndCCWAddressFormat(const ndCCWAddress *addr)
{
    return g_strdup_printf("%x.%x.%04x", addr->cssid, addr->ssid, addr->devno);
}

/* ---- mdev types, attrs, configs ----------------------------------------- */

/**
 * ndMdevTypeNew:
 * @id: type id (required)
 * @name: human-readable name or NULL
 * @device_api: "vfio-pci" etc. (may be NULL only transiently)
 * @available_instances: instances that can still be created
 *
 * Returns a new type with copies of the strings.
 */
ndMdevType *
ndMdevTypeNew(const char *id, const char *name, const char *device_api,
              unsigned int available_instances)
{
    ndMdevType *type = g_new0(ndMdevType, 1);

    type->id = g_strdup(id);
    type->name = g_strdup(name);
    type->device_api = g_strdup(device_api);
    type->available_instances = available_instances;
    return type;
}

/**
 * ndMdevTypeFree:
 * @type: a type or NULL
 */
void
ndMdevTypeFree(ndMdevType *type)
{
    if (!type)
        return;
    g_free(type->id);
    g_free(type->name);
    g_free(type->device_api);
    g_free(type);
}

/**
 * ndMdevTypeCopy:
 * @type: a type
 *
 * Returns a deep copy (caller frees).
 */
ndMdevType *
ndMdevTypeCopy(const ndMdevType *type)
{
    return ndMdevTypeNew(type->id, type->name, type->device_api,
                         type->available_instances);
}

/**
 * ndMdevTypeListNew:
 *
 * Returns an empty GPtrArray that frees its ndMdevType elements.
 */
GPtrArray *
ndMdevTypeListNew(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify) ndMdevTypeFree);
}

/**
 * ndMdevAttrNew:
 * @name: sysfs attribute name
 * @value: value to write
 *
 * Returns a new attribute with copies of both strings.
 */
ndMdevAttr *
ndMdevAttrNew(const char *name, const char *value)
{
    ndMdevAttr *attr = g_new0(ndMdevAttr, 1);

    attr->name = g_strdup(name);
    attr->value = g_strdup(value);
    return attr;
}

/**
 * ndMdevAttrFree:
 * @attr: an attribute or NULL
 */
void
ndMdevAttrFree(ndMdevAttr *attr)
{
    if (!attr)
        return;
    g_free(attr->name);
    g_free(attr->value);
    g_free(attr);
}

static void
mdevConfigEnsure(ndMdevConfig *config)
{
    if (!config->attrs)
        config->attrs = g_ptr_array_new_with_free_func((GDestroyNotify) ndMdevAttrFree);
}

/**
 * ndMdevConfigClear:
 * @config: a config
 *
 * Frees the type and attributes; @config stays usable (empty).
 */
void
ndMdevConfigClear(ndMdevConfig *config)
{
    g_clear_pointer(&config->type, g_free);
    mdevConfigEnsure(config);
    g_ptr_array_set_size(config->attrs, 0);
}

/**
 * ndMdevConfigCopy:
 * @dst: replaced
 * @src: copied
 */
void
ndMdevConfigCopy(ndMdevConfig *dst, const ndMdevConfig *src)
{
    guint i;

    if (dst == src)
        return;
    ndMdevConfigClear(dst);
    dst->type = g_strdup(src->type);
    for (i = 0; src->attrs && i < src->attrs->len; i++) {
        const ndMdevAttr *attr = g_ptr_array_index(src->attrs, i);

        ndMdevConfigAddAttr(dst, attr->name, attr->value);
    }
}

/**
 * ndMdevConfigAddAttr:
 * @config: a config
 * @name: attribute name
 * @value: attribute value
 *
 * Appends copies of @name and @value.
 */
void
ndMdevConfigAddAttr(ndMdevConfig *config, const char *name, const char *value)
{
    mdevConfigEnsure(config);
    g_ptr_array_add(config->attrs, ndMdevAttrNew(name, value));
}

/**
 * ndMdevConfigEqual:
 * @a: a config
 * @b: a config
 *
 * Returns TRUE if both have the same type and the same attrs, in order.
 */
gboolean
ndMdevConfigEqual(const ndMdevConfig *a, const ndMdevConfig *b)
{
    guint na = a->attrs ? a->attrs->len : 0;
    guint nb = b->attrs ? b->attrs->len : 0;
    guint i;

    if (g_strcmp0(a->type, b->type) != 0 || na != nb)
        return FALSE;
    for (i = 0; i < na; i++) {
        const ndMdevAttr *x = g_ptr_array_index(a->attrs, i);
        const ndMdevAttr *y = g_ptr_array_index(b->attrs, i);

        if (g_strcmp0(x->name, y->name) != 0 ||
            g_strcmp0(x->value, y->value) != 0)
            return FALSE;
    }
    return TRUE;
}

/* ---- VPD ---------------------------------------------------------------- */

static void
vpdFieldFree(ndPCIVPDField *field)
{
    if (!field)
        return;
    g_free(field->value);
    g_free(field);
}

static GPtrArray *
vpdFieldsNew(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify) vpdFieldFree);
}

/**
 * ndPCIVPDNew:
 *
 * Returns an empty VPD resource (no name, no field sets).
 */
ndPCIVPD *
ndPCIVPDNew(void)
{
    return g_new0(ndPCIVPD, 1);
}

/**
 * ndPCIVPDReadOnlyNew:
 *
 * Returns an empty read-only field set.
 */
ndPCIVPDReadOnly *
ndPCIVPDReadOnlyNew(void)
{
    ndPCIVPDReadOnly *ro = g_new0(ndPCIVPDReadOnly, 1);

    ro->vendor_fields = vpdFieldsNew();
    return ro;
}

/**
 * ndPCIVPDReadWriteNew:
 *
 * Returns an empty read-write field set.
 */
ndPCIVPDReadWrite *
ndPCIVPDReadWriteNew(void)
{
    ndPCIVPDReadWrite *rw = g_new0(ndPCIVPDReadWrite, 1);

    rw->vendor_fields = vpdFieldsNew();
    rw->system_fields = vpdFieldsNew();
    return rw;
}

static void
vpdReadOnlyFree(ndPCIVPDReadOnly *ro)
{
    if (!ro)
        return;
    g_free(ro->change_level);
    g_free(ro->manufacture_id);
    g_free(ro->part_number);
    g_free(ro->serial_number);
    g_clear_pointer(&ro->vendor_fields, g_ptr_array_unref);
    g_free(ro);
}

static void
vpdReadWriteFree(ndPCIVPDReadWrite *rw)
{
    if (!rw)
        return;
    g_free(rw->asset_tag);
    g_clear_pointer(&rw->vendor_fields, g_ptr_array_unref);
    g_clear_pointer(&rw->system_fields, g_ptr_array_unref);
    g_free(rw);
}

/**
 * ndPCIVPDFree:
 * @vpd: a VPD resource or NULL
 */
void
ndPCIVPDFree(ndPCIVPD *vpd)
{
    if (!vpd)
        return;
    g_free(vpd->name);
    vpdReadOnlyFree(vpd->ro);
    vpdReadWriteFree(vpd->rw);
    g_free(vpd);
}

/**
 * ndPCIVPDFieldsAdd:
 * @fields: a vendor or system field array
 * @index: the keyword's second character
 * @value: the value (copied)
 *
 * Sets the field with @index: an existing one keeps its position and gets
 * the new value (a keyword exists once in VPD), else one is appended.
 */
void
ndPCIVPDFieldsAdd(GPtrArray *fields, char index, const char *value)
{
    ndPCIVPDField *field;
    guint i;

    for (i = 0; i < fields->len; i++) {
        field = g_ptr_array_index(fields, i);
        if (field->index == index) {
            g_free(field->value);
            field->value = g_strdup(value);
            return;
        }
    }
    field = g_new0(ndPCIVPDField, 1);
    field->index = index;
    field->value = g_strdup(value);
    g_ptr_array_add(fields, field);
}

/* ---- capabilities ------------------------------------------------------- */

static GPtrArray *
pciAddressListNew(void)
{
    return g_ptr_array_new_with_free_func(g_free);
}

/**
 * ndNodeDevCapsDefNew:
 * @type: a supported capability type
 *
 * Returns a capability with every field unknown/empty (caller frees).
 */
ndNodeDevCapsDef *
ndNodeDevCapsDefNew(ndNodeDevCapType type)
{
    ndNodeDevCapsDef *cap = g_new0(ndNodeDevCapsDef, 1);

    g_assert(ndNodeDevCapTypeIsSupported(type));
    cap->type = type;

    switch (type) {
    case ND_NODE_DEV_CAP_PCI_DEV:
        cap->data.pci_dev.klass = -1;
        cap->data.pci_dev.numa_node = -1;
        cap->data.pci_dev.virt_functions = pciAddressListNew();
        cap->data.pci_dev.iommu_group_devices = pciAddressListNew();
        cap->data.pci_dev.mdev_types = ndMdevTypeListNew();
        break;
    case ND_NODE_DEV_CAP_MDEV:
        mdevConfigEnsure(&cap->data.mdev.defined);
        mdevConfigEnsure(&cap->data.mdev.active);
        break;
    case ND_NODE_DEV_CAP_CCW_DEV:
    case ND_NODE_DEV_CAP_CSS_DEV:
        cap->data.ccw_dev.mdev_types = ndMdevTypeListNew();
        break;
    case ND_NODE_DEV_CAP_AP_MATRIX:
        cap->data.ap_matrix.mdev_types = ndMdevTypeListNew();
        break;
    case ND_NODE_DEV_CAP_SYSTEM:
    case ND_NODE_DEV_CAP_AP_CARD:
    case ND_NODE_DEV_CAP_AP_QUEUE:
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
    case ND_NODE_DEV_CAP_VDPA:
    case ND_NODE_DEV_CAP_VPD:
    case ND_NODE_DEV_CAP_LAST:
        break;
    }
    return cap;
}

/**
 * ndNodeDevCapsDefFree:
 * @cap: a capability or NULL
 */
void
ndNodeDevCapsDefFree(ndNodeDevCapsDef *cap)
{
    if (!cap)
        return;

    switch (cap->type) {
    case ND_NODE_DEV_CAP_SYSTEM: {
        ndNodeDevCapSystem *sys = &cap->data.system;

        g_free(sys->product_name);
        g_free(sys->hardware_vendor);
        g_free(sys->hardware_version);
        g_free(sys->hardware_serial);
        g_free(sys->hardware_uuid);
        g_free(sys->firmware_vendor);
        g_free(sys->firmware_version);
        g_free(sys->firmware_release_date);
        break;
    }
    case ND_NODE_DEV_CAP_PCI_DEV: {
        ndNodeDevCapPCIDev *pci = &cap->data.pci_dev;

        g_free(pci->product_name);
        g_free(pci->vendor_name);
        g_free(pci->phys_function);
        g_clear_pointer(&pci->virt_functions, g_ptr_array_unref);
        g_clear_pointer(&pci->mdev_types, g_ptr_array_unref);
        ndPCIVPDFree(pci->vpd);
        g_clear_pointer(&pci->iommu_group_devices, g_ptr_array_unref);
        g_free(pci->link_cap);
        g_free(pci->link_sta);
        break;
    }
    case ND_NODE_DEV_CAP_MDEV:
        g_free(cap->data.mdev.uuid);
        g_free(cap->data.mdev.parent_addr);
        ndMdevConfigClear(&cap->data.mdev.defined);
        ndMdevConfigClear(&cap->data.mdev.active);
        g_clear_pointer(&cap->data.mdev.defined.attrs, g_ptr_array_unref);
        g_clear_pointer(&cap->data.mdev.active.attrs, g_ptr_array_unref);
        break;
    case ND_NODE_DEV_CAP_CCW_DEV:
    case ND_NODE_DEV_CAP_CSS_DEV:
        g_free(cap->data.ccw_dev.channel_dev_addr);
        g_clear_pointer(&cap->data.ccw_dev.mdev_types, g_ptr_array_unref);
        break;
    case ND_NODE_DEV_CAP_AP_MATRIX:
        g_free(cap->data.ap_matrix.addr);
        g_clear_pointer(&cap->data.ap_matrix.mdev_types, g_ptr_array_unref);
        break;
    case ND_NODE_DEV_CAP_AP_CARD:
    case ND_NODE_DEV_CAP_AP_QUEUE:
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
    case ND_NODE_DEV_CAP_VDPA:
    case ND_NODE_DEV_CAP_VPD:
    case ND_NODE_DEV_CAP_LAST:
        break;
    }
    g_free(cap);
}

/* ---- the device --------------------------------------------------------- */

/**
 * ndNodeDeviceDefNew:
 *
 * Returns an empty definition (caller frees with ndNodeDeviceDefFree).
 */
ndNodeDeviceDef *
ndNodeDeviceDefNew(void)
{
    ndNodeDeviceDef *def = g_new0(ndNodeDeviceDef, 1);

    def->devlinks = g_ptr_array_new_with_free_func(g_free);
    def->caps = g_ptr_array_new_with_free_func((GDestroyNotify) ndNodeDevCapsDefFree);
    return def;
}

/**
 * ndNodeDeviceDefFree:
 * @def: a definition or NULL
 */
void
ndNodeDeviceDefFree(ndNodeDeviceDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->sysfs_path);
    g_free(def->devnode);
    g_clear_pointer(&def->devlinks, g_ptr_array_unref);
    g_free(def->parent);
    g_free(def->driver);
    g_clear_pointer(&def->caps, g_ptr_array_unref);
    g_free(def);
}

/**
 * ndNodeDeviceDefAddCap:
 * @def: a definition
 * @cap: the capability; stolen (*cap is set to NULL)
 */
void
ndNodeDeviceDefAddCap(ndNodeDeviceDef *def, ndNodeDevCapsDef **cap)
{
    g_ptr_array_add(def->caps, g_steal_pointer(cap));
}

/**
 * ndNodeDeviceDefFindCap:
 * @def: a definition
 * @type: the capability wanted
 *
 * Returns the first top-level capability of @type (borrowed), or NULL.
 */
ndNodeDevCapsDef *
ndNodeDeviceDefFindCap(const ndNodeDeviceDef *def, ndNodeDevCapType type)
{
    guint i;

    for (i = 0; i < def->caps->len; i++) {
        ndNodeDevCapsDef *cap = g_ptr_array_index(def->caps, i);

        if (cap->type == type)
            return cap;
    }
    return NULL;
}

/**
 * ndNodeDeviceDefFindMdevTypes:
 * @def: a definition
 *
 * Returns the mdev_types array of the first pci, css or ap_matrix
 * capability (borrowed; may be empty), or NULL if there is none.
 */
GPtrArray *
ndNodeDeviceDefFindMdevTypes(const ndNodeDeviceDef *def)
{
    guint i;

    for (i = 0; i < def->caps->len; i++) {
        ndNodeDevCapsDef *cap = g_ptr_array_index(def->caps, i);

        switch (cap->type) {
        case ND_NODE_DEV_CAP_PCI_DEV:
            return cap->data.pci_dev.mdev_types;
        case ND_NODE_DEV_CAP_CSS_DEV:
            return cap->data.ccw_dev.mdev_types;
        case ND_NODE_DEV_CAP_AP_MATRIX:
            return cap->data.ap_matrix.mdev_types;
        case ND_NODE_DEV_CAP_SYSTEM:
        case ND_NODE_DEV_CAP_MDEV:
        case ND_NODE_DEV_CAP_CCW_DEV:
        case ND_NODE_DEV_CAP_AP_CARD:
        case ND_NODE_DEV_CAP_AP_QUEUE:
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
        case ND_NODE_DEV_CAP_VDPA:
        case ND_NODE_DEV_CAP_VPD:
        case ND_NODE_DEV_CAP_LAST:
            break;
        }
    }
    return NULL;
}

/* ---- names -------------------------------------------------------------- */

static void
nameSanitize(char *name)
{
    char *p;

    for (p = name; *p; p++) {
        if (!g_ascii_isalnum(*p))
            *p = '_';
    }
}

/**
 * ndNodeDeviceNameFromParts:
 * @subsystem: udev subsystem ("pci", "css", "ap"...)
 * @sysname: the device's sysfs name
 *
 * Returns "@subsystem_@sysname" with non-alphanumerics as '_' (caller
 * frees).
 */
char *
ndNodeDeviceNameFromParts(const char *subsystem, const char *sysname)
{
    char *name = g_strdup_printf("%s_%s", subsystem, sysname);

    nameSanitize(name);
    return name;
}

/**
 * ndNodeDeviceMdevName:
 * @uuid: the mdev's UUID
 * @parent_addr: the parent's address ("0000:00:02.0", "0.0.0052",
 *               "matrix") or NULL
 *
 * Returns "mdev_<uuid>_<parent_addr>" with non-alphanumerics as '_'
 * (caller frees).
 */
char *
ndNodeDeviceMdevName(const char *uuid, const char *parent_addr)
{
    char *name;

    if (parent_addr)
        name = g_strdup_printf("mdev_%s_%s", uuid, parent_addr);
    else
        name = g_strdup_printf("mdev_%s", uuid);
    nameSanitize(name);
    return name;
}
