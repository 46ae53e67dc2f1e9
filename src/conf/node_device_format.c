/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Formatting ndNodeDeviceDef as libvirt 11.3's virNodeDeviceDefFormat does,
 * byte for byte: same element order, two-space indentation, single-quoted
 * attributes, the same number formats and the same escaping. */
#include "node_device_conf.h"
#include "ndxml.h"
#include "util/nduuid.h"

static void
pciAddressFormat(ndXMLBuf *buf, const ndPCIAddress *addr)
{
    /* function='0x%d' is libvirt's format: identical for 0-7 */
    ndXMLBufAsprintf(buf,
                     "<address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%d'/>\n",
                     addr->domain, addr->bus, addr->slot, (int) addr->function);
}

static void
mdevTypesFormat(ndXMLBuf *buf, const GPtrArray *types)
{
    guint i;

    if (!types || types->len == 0)
        return;

    ndXMLBufAdd(buf, "<capability type='mdev_types'>\n");
    ndXMLBufAdjustIndent(buf, 2);
    for (i = 0; i < types->len; i++) {
        const ndMdevType *type = g_ptr_array_index(types, i);

        ndXMLBufAdd(buf, "<type id='");
        ndXMLBufAddEscapedAttr(buf, type->id);
        ndXMLBufAdd(buf, "'>\n");
        ndXMLBufAdjustIndent(buf, 2);
        ndXMLBufElement(buf, "name", type->name);
        ndXMLBufElement(buf, "deviceAPI", type->device_api);
        ndXMLBufAsprintf(buf, "<availableInstances>%u</availableInstances>\n",
                         type->available_instances);
        ndXMLBufAdjustIndent(buf, -2);
        ndXMLBufAdd(buf, "</type>\n");
    }
    ndXMLBufAdjustIndent(buf, -2);
    ndXMLBufAdd(buf, "</capability>\n");
}

static void
capSystemFormat(ndXMLBuf *buf, const ndNodeDevCapSystem *sys)
{
    ndXMLBufElement(buf, "product", sys->product_name);
    ndXMLBufAdd(buf, "<hardware>\n");
    ndXMLBufAdjustIndent(buf, 2);
    ndXMLBufElement(buf, "vendor", sys->hardware_vendor);
    ndXMLBufElement(buf, "version", sys->hardware_version);
    ndXMLBufElement(buf, "serial", sys->hardware_serial);
    /* libvirt always prints the UUID: all zeros when DMI has none */
    ndXMLBufElement(buf, "uuid", sys->hardware_uuid ? sys->hardware_uuid :
                    "00000000-0000-0000-0000-000000000000");
    ndXMLBufAdjustIndent(buf, -2);
    ndXMLBufAdd(buf, "</hardware>\n");

    ndXMLBufAdd(buf, "<firmware>\n");
    ndXMLBufAdjustIndent(buf, 2);
    ndXMLBufElement(buf, "vendor", sys->firmware_vendor);
    ndXMLBufElement(buf, "version", sys->firmware_version);
    ndXMLBufElement(buf, "release_date", sys->firmware_release_date);
    ndXMLBufAdjustIndent(buf, -2);
    ndXMLBufAdd(buf, "</firmware>\n");
}

static void
vpdFieldsFormat(ndXMLBuf *buf, const char *elem, const GPtrArray *fields)
{
    guint i;

    for (i = 0; fields && i < fields->len; i++) {
        const ndPCIVPDField *field = g_ptr_array_index(fields, i);

        if (!field->value)
            continue;
        ndXMLBufAsprintf(buf, "<%s index='%c'>", elem, field->index);
        ndXMLBufAddEscaped(buf, field->value);
        ndXMLBufAsprintf(buf, "</%s>\n", elem);
    }
}

static void
vpdFormat(ndXMLBuf *buf, const ndPCIVPD *vpd)
{
    ndXMLBufAdd(buf, "<capability type='vpd'>\n");
    ndXMLBufAdjustIndent(buf, 2);
    ndXMLBufElement(buf, "name", vpd->name);

    /* libvirt >= 10.1 escapes VPD text, so the output stays well-formed */
    if (vpd->ro) {
        ndXMLBufAdd(buf, "<fields access='readonly'>\n");
        ndXMLBufAdjustIndent(buf, 2);
        ndXMLBufElement(buf, "change_level", vpd->ro->change_level);
        ndXMLBufElement(buf, "manufacture_id", vpd->ro->manufacture_id);
        ndXMLBufElement(buf, "part_number", vpd->ro->part_number);
        ndXMLBufElement(buf, "serial_number", vpd->ro->serial_number);
        vpdFieldsFormat(buf, "vendor_field", vpd->ro->vendor_fields);
        ndXMLBufAdjustIndent(buf, -2);
        ndXMLBufAdd(buf, "</fields>\n");
    }
    if (vpd->rw) {
        ndXMLBufAdd(buf, "<fields access='readwrite'>\n");
        ndXMLBufAdjustIndent(buf, 2);
        ndXMLBufElement(buf, "asset_tag", vpd->rw->asset_tag);
        vpdFieldsFormat(buf, "vendor_field", vpd->rw->vendor_fields);
        vpdFieldsFormat(buf, "system_field", vpd->rw->system_fields);
        ndXMLBufAdjustIndent(buf, -2);
        ndXMLBufAdd(buf, "</fields>\n");
    }

    ndXMLBufAdjustIndent(buf, -2);
    ndXMLBufAdd(buf, "</capability>\n");
}

static void
pciLinkFormat(ndXMLBuf *buf, const ndPCIELink *lnk, const char *validity)
{
    if (!lnk)
        return;
    ndXMLBufAsprintf(buf, "<link validity='%s'", validity);
    if (lnk->port >= 0)
        ndXMLBufAsprintf(buf, " port='%d'", lnk->port);
    if (lnk->speed != ND_PCIE_LINK_SPEED_NA)
        ndXMLBufAsprintf(buf, " speed='%s'", ndPCIELinkSpeedToString(lnk->speed));
    ndXMLBufAsprintf(buf, " width='%d'/>\n", (int) lnk->width);
}

static void
capPCIFormat(ndXMLBuf *buf, const ndNodeDevCapPCIDev *pci)
{
    guint i;

    if (pci->klass >= 0)
        ndXMLBufAsprintf(buf, "<class>0x%06x</class>\n", pci->klass);
    /* libvirt prints the domain signed */
    ndXMLBufAsprintf(buf, "<domain>%d</domain>\n", (int) pci->domain);
    ndXMLBufAsprintf(buf, "<bus>%u</bus>\n", pci->bus);
    ndXMLBufAsprintf(buf, "<slot>%u</slot>\n", pci->slot);
    ndXMLBufAsprintf(buf, "<function>%u</function>\n", pci->function);

    ndXMLBufAsprintf(buf, "<product id='0x%04x'", pci->product);
    if (pci->product_name) {
        ndXMLBufAdd(buf, ">");
        ndXMLBufAddEscaped(buf, pci->product_name);
        ndXMLBufAdd(buf, "</product>\n");
    } else {
        ndXMLBufAdd(buf, "/>\n");
    }
    ndXMLBufAsprintf(buf, "<vendor id='0x%04x'", pci->vendor);
    if (pci->vendor_name) {
        ndXMLBufAdd(buf, ">");
        ndXMLBufAddEscaped(buf, pci->vendor_name);
        ndXMLBufAdd(buf, "</vendor>\n");
    } else {
        ndXMLBufAdd(buf, "/>\n");
    }

    if (pci->phys_function) {
        ndXMLBufAdd(buf, "<capability type='phys_function'>\n");
        ndXMLBufAdjustIndent(buf, 2);
        pciAddressFormat(buf, pci->phys_function);
        ndXMLBufAdjustIndent(buf, -2);
        ndXMLBufAdd(buf, "</capability>\n");
    }

    if (pci->has_virt_functions) {
        ndXMLBufAdd(buf, "<capability type='virt_functions'");
        if (pci->max_virt_functions > 0)
            ndXMLBufAsprintf(buf, " maxCount='%u'", pci->max_virt_functions);
        if (!pci->virt_functions || pci->virt_functions->len == 0) {
            ndXMLBufAdd(buf, "/>\n");
        } else {
            ndXMLBufAdd(buf, ">\n");
            ndXMLBufAdjustIndent(buf, 2);
            for (i = 0; i < pci->virt_functions->len; i++)
                pciAddressFormat(buf, g_ptr_array_index(pci->virt_functions, i));
            ndXMLBufAdjustIndent(buf, -2);
            ndXMLBufAdd(buf, "</capability>\n");
        }
    }

    switch (pci->hdr_type) {
    case ND_PCI_HEADER_PCI_BRIDGE:
        ndXMLBufAdd(buf, "<capability type='pci-bridge'/>\n");
        break;
    case ND_PCI_HEADER_CARDBUS_BRIDGE:
        ndXMLBufAdd(buf, "<capability type='cardbus-bridge'/>\n");
        break;
    case ND_PCI_HEADER_ENDPOINT:
    case ND_PCI_HEADER_LAST:
        break;
    }

    mdevTypesFormat(buf, pci->mdev_types);

    if (pci->vpd)
        vpdFormat(buf, pci->vpd);

    if (pci->iommu_group_devices && pci->iommu_group_devices->len > 0) {
        ndXMLBufAsprintf(buf, "<iommuGroup number='%d'>\n",
                         pci->iommu_group_number);
        ndXMLBufAdjustIndent(buf, 2);
        for (i = 0; i < pci->iommu_group_devices->len; i++)
            pciAddressFormat(buf, g_ptr_array_index(pci->iommu_group_devices, i));
        ndXMLBufAdjustIndent(buf, -2);
        ndXMLBufAdd(buf, "</iommuGroup>\n");
    }

    if (pci->numa_node >= 0)
        ndXMLBufAsprintf(buf, "<numa node='%d'/>\n", pci->numa_node);

    if (pci->is_pcie) {
        if (!pci->link_cap && !pci->link_sta) {
            ndXMLBufAdd(buf, "<pci-express/>\n");
        } else {
            ndXMLBufAdd(buf, "<pci-express>\n");
            ndXMLBufAdjustIndent(buf, 2);
            pciLinkFormat(buf, pci->link_cap, "cap");
            pciLinkFormat(buf, pci->link_sta, "sta");
            ndXMLBufAdjustIndent(buf, -2);
            ndXMLBufAdd(buf, "</pci-express>\n");
        }
    }
}

static void
capMdevFormat(ndXMLBuf *buf, const ndNodeDevCapMdev *mdev, unsigned int flags)
{
    const ndMdevConfig *config = &mdev->active;
    guint i;

    if (flags & ND_NODE_DEVICE_XML_INACTIVE)
        config = &mdev->defined;

    if (config->type) {
        ndXMLBufAdd(buf, "<type id='");
        ndXMLBufAddEscapedAttr(buf, config->type);
        ndXMLBufAdd(buf, "'/>\n");
    }
    ndXMLBufElement(buf, "uuid", mdev->uuid);
    ndXMLBufElement(buf, "parent_addr", mdev->parent_addr);
    /* always printed, 0 when unknown, as libvirt does */
    ndXMLBufAsprintf(buf, "<iommuGroup number='%u'/>\n", mdev->iommu_group);

    /* libvirt 11.3 prints these unescaped, which makes a value with a quote
     * or '&' ill-formed XML; escaping is identical for every other value. */
    for (i = 0; config->attrs && i < config->attrs->len; i++) {
        const ndMdevAttr *attr = g_ptr_array_index(config->attrs, i);

        ndXMLBufAdd(buf, "<attr name='");
        ndXMLBufAddEscapedAttr(buf, attr->name);
        ndXMLBufAdd(buf, "' value='");
        ndXMLBufAddEscapedAttr(buf, attr->value);
        ndXMLBufAdd(buf, "'/>\n");
    }
}

static void
ccwAddressFormat(ndXMLBuf *buf, const ndCCWAddress *addr)
{
    ndXMLBufAsprintf(buf, "<cssid>0x%x</cssid>\n", addr->cssid);
    ndXMLBufAsprintf(buf, "<ssid>0x%x</ssid>\n", addr->ssid);
    ndXMLBufAsprintf(buf, "<devno>0x%04x</devno>\n", addr->devno);
}

static void
capCSSFormat(ndXMLBuf *buf, const ndNodeDevCapCCW *css)
{
    ccwAddressFormat(buf, &css->addr);
    if (css->channel_dev_addr) {
        ndXMLBufAdd(buf, "<channel_dev_addr>\n");
        ndXMLBufAdjustIndent(buf, 2);
        ccwAddressFormat(buf, css->channel_dev_addr);
        ndXMLBufAdjustIndent(buf, -2);
        ndXMLBufAdd(buf, "</channel_dev_addr>\n");
    }
    mdevTypesFormat(buf, css->mdev_types);
}

static void
capFormat(ndXMLBuf *buf, const ndNodeDevCapsDef *cap, unsigned int flags)
{
    ndXMLBufAsprintf(buf, "<capability type='%s'>\n",
                     ndNodeDevCapTypeToString(cap->type));
    ndXMLBufAdjustIndent(buf, 2);

    switch (cap->type) {
    case ND_NODE_DEV_CAP_SYSTEM:
        capSystemFormat(buf, &cap->data.system);
        break;
    case ND_NODE_DEV_CAP_PCI_DEV:
        capPCIFormat(buf, &cap->data.pci_dev);
        break;
    case ND_NODE_DEV_CAP_MDEV:
        capMdevFormat(buf, &cap->data.mdev, flags);
        break;
    case ND_NODE_DEV_CAP_CCW_DEV:
        ccwAddressFormat(buf, &cap->data.ccw_dev.addr);
        break;
    case ND_NODE_DEV_CAP_CSS_DEV:
        capCSSFormat(buf, &cap->data.ccw_dev);
        break;
    case ND_NODE_DEV_CAP_AP_CARD:
        ndXMLBufAsprintf(buf, "<ap-adapter>0x%02x</ap-adapter>\n",
                         cap->data.ap_card.ap_adapter);
        break;
    case ND_NODE_DEV_CAP_AP_QUEUE:
        ndXMLBufAsprintf(buf, "<ap-adapter>0x%02x</ap-adapter>\n",
                         cap->data.ap_queue.ap_adapter);
        ndXMLBufAsprintf(buf, "<ap-domain>0x%04x</ap-domain>\n",
                         cap->data.ap_queue.ap_domain);
        break;
    case ND_NODE_DEV_CAP_AP_MATRIX:
        mdevTypesFormat(buf, cap->data.ap_matrix.mdev_types);
        break;
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
        /* never created: ndNodeDevCapsDefNew() refuses them */
        break;
    }

    ndXMLBufAdjustIndent(buf, -2);
    ndXMLBufAdd(buf, "</capability>\n");
}

/**
 * ndNodeDeviceDefFormat:
 * @def: the device
 * @flags: ND_NODE_DEVICE_XML_INACTIVE or 0
 *
 * Returns the XML document (caller frees). Never fails.
 */
char *
ndNodeDeviceDefFormat(const ndNodeDeviceDef *def, unsigned int flags)
{
    ndXMLBuf buf;
    gboolean inactive = !!(flags & ND_NODE_DEVICE_XML_INACTIVE);
    guint i;

    ndXMLBufInit(&buf);
    ndXMLBufAdd(&buf, "<device>\n");
    ndXMLBufAdjustIndent(&buf, 2);
    ndXMLBufElement(&buf, "name", def->name);
    if (!inactive) {
        ndXMLBufElement(&buf, "path", def->sysfs_path);
        if (def->devnode) {
            ndXMLBufAdd(&buf, "<devnode type='dev'>");
            ndXMLBufAddEscaped(&buf, def->devnode);
            ndXMLBufAdd(&buf, "</devnode>\n");
        }
        for (i = 0; def->devlinks && i < def->devlinks->len; i++) {
            ndXMLBufAdd(&buf, "<devnode type='link'>");
            ndXMLBufAddEscaped(&buf, g_ptr_array_index(def->devlinks, i));
            ndXMLBufAdd(&buf, "</devnode>\n");
        }
    }
    ndXMLBufElement(&buf, "parent", def->parent);
    if (def->driver && !inactive) {
        ndXMLBufAdd(&buf, "<driver>\n");
        ndXMLBufAdjustIndent(&buf, 2);
        ndXMLBufElement(&buf, "name", def->driver);
        ndXMLBufAdjustIndent(&buf, -2);
        ndXMLBufAdd(&buf, "</driver>\n");
    }
    for (i = 0; def->caps && i < def->caps->len; i++)
        capFormat(&buf, g_ptr_array_index(def->caps, i), flags);
    ndXMLBufAdjustIndent(&buf, -2);
    ndXMLBufAdd(&buf, "</device>\n");

    return ndXMLBufFinish(&buf);
}
