/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI functions read from a sysfs tree (bus/pci/devices) and pci.ids names. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "util/ndsysfs.h"

typedef struct _ndPciAddress ndPciAddress;
struct _ndPciAddress {
    unsigned int domain;    /* 0..0xffffffff (VMD domains exceed 0xffff) */
    unsigned int bus;       /* 0..0xff */
    unsigned int slot;      /* 0..0x1f */
    unsigned int function;  /* 0..7 */
};

/* PCIe link speed in GT/s, as libvirt names it. */
typedef enum {
    ND_PCI_LINK_SPEED_UNKNOWN = 0,
    ND_PCI_LINK_SPEED_2_5,
    ND_PCI_LINK_SPEED_5,
    ND_PCI_LINK_SPEED_8,
    ND_PCI_LINK_SPEED_16,
    ND_PCI_LINK_SPEED_32,
    ND_PCI_LINK_SPEED_64,

    ND_PCI_LINK_SPEED_LAST,
} ndPciLinkSpeed;

typedef struct _ndPciLink ndPciLink;
struct _ndPciLink {
    int port;               /* port number from Link Capabilities, -1 unknown */
    ndPciLinkSpeed speed;   /* ND_PCI_LINK_SPEED_UNKNOWN if unknown */
    unsigned int width;     /* lanes, 0 if unknown */
};

/* Header type (config space byte 0x0e, low 7 bits). */
typedef enum {
    ND_PCI_HEADER_TYPE_ENDPOINT = 0,
    ND_PCI_HEADER_TYPE_PCI_BRIDGE,
    ND_PCI_HEADER_TYPE_CARDBUS_BRIDGE,
    ND_PCI_HEADER_TYPE_UNKNOWN,

    ND_PCI_HEADER_TYPE_LAST,
} ndPciHeaderType;

typedef struct _ndPciDeviceInfo ndPciDeviceInfo;
struct _ndPciDeviceInfo {
    ndPciAddress addr;
    char *name;             /* "0000:41:00.0" */
    char *relpath;          /* real path relative to the root:
                             * "devices/pci0000:40/0000:40:01.1/0000:41:00.0" */
    char *path;             /* root + "/" + relpath */
    int klass;              /* 24-bit class code, -1 if unknown */
    int vendor_id;          /* -1 if unknown */
    int device_id;          /* -1 if unknown */
    char *vendor_name;      /* from pci.ids, NULL if not listed */
    char *product_name;     /* from pci.ids, NULL if not listed */
    int iommu_group;        /* -1 if none */
    ndPciAddress *iommu_group_members;  /* every PCI function of the group,
                                         * itself included, sorted */
    size_t n_iommu_group_members;
    int numa_node;          /* -1 if unknown */
    char *driver;           /* bound driver's name, NULL if none */
    bool has_physfn;        /* an SR-IOV VF: physfn is its PF */
    ndPciAddress physfn;
    ndPciAddress *virtfns;  /* an SR-IOV PF's VFs, in virtfnN order */
    size_t n_virtfns;
    int sriov_totalvfs;     /* -1 if not an SR-IOV PF */
    ndPciHeaderType header_type;
    bool is_pcie;           /* link_cap/link_sta are meaningful */
    ndPciLink link_cap;     /* maximum: Link Capabilities */
    ndPciLink link_sta;     /* current: Link Status (port is always -1) */
    bool has_parent;        /* the parent device is a PCI function */
    ndPciAddress parent;
};

void ndPciDeviceInfoFree(ndPciDeviceInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndPciDeviceInfo, ndPciDeviceInfoFree);

/* Parses "DDDD:BB:SS.F" (hex, exactly that shape; the domain has 4 to 8
 * digits, as Intel VMD's "10000:e1:00.0").  Returns 0, or -1 without
 * reporting. */
int ndPciAddressParse(const char *str, ndPciAddress *ret_addr);
/* Formats as "DDDD:BB:SS.F" (lower case hex); caller frees. */
char *ndPciAddressFormat(const ndPciAddress *addr);
/* Orders by domain, bus, slot, function (for qsort: -1/0/1). */
int ndPciAddressCompare(const ndPciAddress *a, const ndPciAddress *b);

/* "2.5", "5", "8", "16", "32", "64", or NULL for UNKNOWN/out of range. */
const char *ndPciLinkSpeedToString(ndPciLinkSpeed speed);

/* Reads bus/pci/devices/<addr>.  Returns 1 with *ret_info set, 0 with
 * *ret_info = NULL if there is no such device, -1 with an error if the
 * device exists but cannot be read (e.g. its link leads out of the root).
 * Optional files that are missing or malformed leave their field unknown
 * (-1/NULL/0) and are logged at debug level. */
int ndPciDeviceRead(ndSysfs *sysfs, const ndPciAddress *addr,
                    ndPciDeviceInfo **ret_info);

/* Every device of bus/pci/devices, sorted by address, as a GPtrArray of
 * ndPciDeviceInfo that owns its elements.  Entries whose name is not a PCI
 * address or that cannot be read are skipped (logged at debug level).
 * Returns 0 (an empty array if there is no PCI bus), -1 with an error if
 * the directory cannot be listed. */
int ndPciDeviceList(ndSysfs *sysfs, GPtrArray **ret_devices);

/* Looks a vendor (ndPciIdsFindVendor) or a vendor's device up in the
 * pci.ids file configured in @sysfs, which is parsed and indexed once per
 * process on first use.  Returns the name, borrowed and valid for the rest
 * of the process, or NULL if unknown or the file is unavailable; reports
 * nothing. */
const char *ndPciIdsFindVendor(ndSysfs *sysfs, unsigned int vendor_id);
const char *ndPciIdsFindDevice(ndSysfs *sysfs, unsigned int vendor_id,
                               unsigned int device_id);
