/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI functions from sysfs (util/ndpci.h) into node devices (conf). */

#include "util/ndpci.h"

#include "node_device_priv.h"
#include "util/nderror.h"
#include "util/ndlog.h"

static ndPCIAddress *
pciAddressCopy(const ndPciAddress *addr)
{
    ndPCIAddress *copy = g_new0(ndPCIAddress, 1);

    copy->domain = addr->domain;
    copy->bus = addr->bus;
    copy->slot = addr->slot;
    copy->function = addr->function;
    return copy;
}

static char *
pciDeviceName(const ndPciAddress *addr)
{
    g_autofree char *str = ndPciAddressFormat(addr);

    return ndNodeDeviceNameFromParts("pci", str);
}

static ndPCIELink *
pciLinkCopy(const ndPciLink *link)
{
    ndPCIELink *copy = g_new0(ndPCIELink, 1);
    const char *speed = ndPciLinkSpeedToString(link->speed);
    int value = speed ? ndPCIELinkSpeedFromString(speed) : -1;

    copy->port = link->port;
    copy->speed = value > 0 ? (ndPCIELinkSpeed) value : ND_PCIE_LINK_SPEED_NA;
    copy->width = link->width;
    return copy;
}

static ndDevice *
pciDeviceNew(ndSysfs *sysfs, const ndPciDeviceInfo *info)
{
    g_autoptr(ndNodeDeviceDef) def = ndNodeDeviceDefNew();
    g_autoptr(ndNodeDevCapsDef) cap = ndNodeDevCapsDefNew(ND_NODE_DEV_CAP_PCI_DEV);
    ndNodeDevCapPCIDev *pci = &cap->data.pci_dev;
    size_t i;

    def->name = pciDeviceName(&info->addr);
    def->sysfs_path = g_strdup(info->path);
    def->parent = info->has_parent ? pciDeviceName(&info->parent)
                                   : g_strdup("computer");
    def->driver = g_strdup(info->driver);

    pci->klass = info->klass;
    pci->domain = info->addr.domain;
    pci->bus = info->addr.bus;
    pci->slot = info->addr.slot;
    pci->function = info->addr.function;
    pci->vendor = info->vendor_id >= 0 ? (unsigned int) info->vendor_id : 0;
    pci->product = info->device_id >= 0 ? (unsigned int) info->device_id : 0;
    pci->vendor_name = g_strdup(info->vendor_name);
    pci->product_name = g_strdup(info->product_name);
    if (info->has_physfn)
        pci->phys_function = pciAddressCopy(&info->physfn);
    if (info->sriov_totalvfs >= 0 || info->n_virtfns > 0) {
        pci->has_virt_functions = TRUE;
        pci->max_virt_functions = info->sriov_totalvfs > 0 ?
            (unsigned int) info->sriov_totalvfs : 0;
        for (i = 0; i < info->n_virtfns; i++)
            g_ptr_array_add(pci->virt_functions,
                            pciAddressCopy(&info->virtfns[i]));
    }
    switch (info->header_type) {
    case ND_PCI_HEADER_TYPE_PCI_BRIDGE:
        pci->hdr_type = ND_PCI_HEADER_PCI_BRIDGE;
        break;
    case ND_PCI_HEADER_TYPE_CARDBUS_BRIDGE:
        pci->hdr_type = ND_PCI_HEADER_CARDBUS_BRIDGE;
        break;
    case ND_PCI_HEADER_TYPE_ENDPOINT:
    case ND_PCI_HEADER_TYPE_UNKNOWN:
    case ND_PCI_HEADER_TYPE_LAST:
        pci->hdr_type = ND_PCI_HEADER_ENDPOINT;
        break;
    }
    pci->iommu_group_number = info->iommu_group;
    if (info->iommu_group >= 0) {
        for (i = 0; i < info->n_iommu_group_members; i++)
            g_ptr_array_add(pci->iommu_group_devices,
                            pciAddressCopy(&info->iommu_group_members[i]));
    }
    pci->numa_node = info->numa_node;
    if (info->is_pcie) {
        pci->is_pcie = TRUE;
        pci->link_cap = pciLinkCopy(&info->link_cap);
        pci->link_sta = pciLinkCopy(&info->link_sta);
        pci->link_sta->port = -1;
    }
    ndNodeDeviceDefAddCap(def, &cap);
    (void) sysfs;
    return ndDeviceNew(&def);
}

/**
 * ndEnumPci: appends one device per function of bus/pci/devices, in
 * address order, each named pci_DDDD_BB_SS_F with its parent function (or
 * "computer") as parent. Returns 0, or -1 with an error reported.
 */
int
ndEnumPci(ndSysfs *sysfs, ndDeviceList *list)
{
    g_autoptr(GPtrArray) infos = NULL;
    guint i;

    if (ndPciDeviceList(sysfs, &infos) < 0)
        return -1;
    for (i = 0; i < infos->len; i++) {
        g_autoptr(ndDevice) dev = pciDeviceNew(sysfs, g_ptr_array_index(infos, i));

        dev->persistent = TRUE;
        dev->autostart = TRUE;
        if (!ndDeviceListAdd(list, &dev))
            ND_DEBUG("duplicate PCI device '%s' skipped", ndDeviceGetName(dev));
    }
    return 0;
}
