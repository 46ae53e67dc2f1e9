/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI functions read from a sysfs tree (bus/pci/devices) and pci.ids names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ndpci.h"
#include "util/nderror.h"
#include "util/ndfile.h"
#include "util/ndinternal.h"
#include "util/ndlog.h"

/* Debian's pci.ids is about 1.4 MB; anything far bigger is not pci.ids. */
#define PCI_IDS_MAX (32 * 1024 * 1024)

/* Config space offsets (PCI Local Bus and PCIe Base specifications). */
#define PCI_CFG_STATUS 0x06
#define PCI_CFG_STATUS_CAP_LIST 0x10
#define PCI_CFG_HEADER_TYPE 0x0e
#define PCI_CFG_CAP_PTR 0x34
#define PCI_CAP_ID_EXP 0x10
#define PCI_EXP_FLAGS 0x02
#define PCI_EXP_LNKCAP 0x0c
#define PCI_EXP_LNKSTA 0x12
#define PCI_EXP_TYPE_RC_END 0x9
#define PCI_EXP_TYPE_RC_EC 0xa

/* ---- pci.ids ------------------------------------------------------------ */

typedef struct {
    GHashTable *vendors;    /* GUINT_TO_POINTER(vendor) -> name */
    GHashTable *devices;    /* GUINT_TO_POINTER(vendor << 16 | dev) -> name */
} pciIds;

static GMutex pci_ids_lock;
static GHashTable *pci_ids_cache;   /* path -> pciIds*, lives forever */

static bool
parseHex4(const char *s, unsigned int *ret)
{
    unsigned int v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        if (!g_ascii_isxdigit(s[i]))
            return false;
        v = v * 16 + g_ascii_xdigit_value(s[i]);
    }
    *ret = v;
    return true;
}

/* The name after "XXXX  " on a pci.ids line, or NULL if malformed. */
static char *
pciIdsLineName(const char *rest)
{
    if (rest[0] != ' ' || rest[1] != ' ' || !rest[2])
        return NULL;
    return g_strdup(rest + 2);
}

static void
pciIdsParse(pciIds *ids, char *text)
{
    char *line;
    char *save = NULL;
    unsigned int vendor = 0;
    bool have_vendor = false;

    for (line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        unsigned int id;
        char *name;

        g_strchomp(line);
        if (line[0] == '#' || line[0] == '\0')
            continue;
        /* The class list follows the vendors: nothing more for us. */
        if (line[0] == 'C' && line[1] == ' ')
            break;
        if (line[0] != '\t') {
            have_vendor = false;
            if (!parseHex4(line, &id) || !(name = pciIdsLineName(line + 4)))
                continue;
            vendor = id;
            have_vendor = true;
            g_hash_table_replace(ids->vendors, GUINT_TO_POINTER(id), name);
        } else if (line[1] != '\t' && have_vendor) {
            if (!parseHex4(line + 1, &id) || !(name = pciIdsLineName(line + 5)))
                continue;
            g_hash_table_replace(ids->devices,
                                 GUINT_TO_POINTER(vendor << 16 | id), name);
        }
        /* Two tabs: a subsystem line, not used. */
    }
}

static pciIds *
pciIdsGet(const char *path)
{
    pciIds *ids;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&pci_ids_lock);

    if (!pci_ids_cache)
        pci_ids_cache = g_hash_table_new(g_str_hash, g_str_equal);
    if ((ids = g_hash_table_lookup(pci_ids_cache, path)))
        return ids;

    ids = g_new0(pciIds, 1);
    ids->vendors = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                         NULL, g_free);
    ids->devices = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                         NULL, g_free);
    {
        g_autoptr(ndError) saved = ndSaveLastError();
        g_autofree char *text = NULL;

        /* A missing database only costs the names; remember that too. */
        if (ndFileReadLimit(path, PCI_IDS_MAX, &text, NULL) < 0)
            ND_DEBUG("no PCI names: %s", ndGetLastErrorMessage());
        else
            pciIdsParse(ids, text);
        /* restoring "no error" does not clear: reset first */
        ndResetLastError();
        ndRestoreLastError(&saved);
    }
    g_hash_table_insert(pci_ids_cache, g_strdup(path), ids);
    return ids;
}

/**
 * ndPciIdsFindVendor:
 * @sysfs: the tree (for its pci.ids path)
 * @vendor_id: a PCI vendor id
 *
 * Returns the vendor's name (borrowed, lives as long as the process) or
 * NULL; reports nothing.
 */
const char *
ndPciIdsFindVendor(ndSysfs *sysfs, unsigned int vendor_id)
{
    const char *path = ndSysfsGetPciIdsPath(sysfs);

    if (!path || vendor_id > 0xffff)
        return NULL;
    return g_hash_table_lookup(pciIdsGet(path)->vendors,
                               GUINT_TO_POINTER(vendor_id));
}

/**
 * ndPciIdsFindDevice:
 * @sysfs: the tree (for its pci.ids path)
 * @vendor_id: a PCI vendor id
 * @device_id: a PCI device id of that vendor
 *
 * Returns the device's name (borrowed, lives as long as the process) or
 * NULL; reports nothing.
 */
const char *
ndPciIdsFindDevice(ndSysfs *sysfs, unsigned int vendor_id,
                   unsigned int device_id)
{
    const char *path = ndSysfsGetPciIdsPath(sysfs);

    if (!path || vendor_id > 0xffff || device_id > 0xffff)
        return NULL;
    return g_hash_table_lookup(pciIdsGet(path)->devices,
                               GUINT_TO_POINTER(vendor_id << 16 | device_id));
}

/* ---- addresses ---------------------------------------------------------- */

static bool
parseHexField(const char *s, size_t ndigits, unsigned int *ret)
{
    unsigned int v = 0;
    size_t i;

    for (i = 0; i < ndigits; i++) {
        if (!g_ascii_isxdigit(s[i]))
            return false;
        v = v * 16 + g_ascii_xdigit_value(s[i]);
    }
    *ret = v;
    return true;
}

/**
 * ndPciAddressParse:
 * @str: "DDDD:BB:SS.F", hex; the domain may have up to 8 digits (Intel
 *       VMD domains are named like "10000:e1:00.0")
 * @ret_addr: the address
 *
 * Returns 0, or -1 (without reporting) if @str is not exactly that shape
 * or the slot or function is out of range.
 */
int
ndPciAddressParse(const char *str, ndPciAddress *ret_addr)
{
    ndPciAddress addr;
    const char *colon;
    size_t dlen;

    if (!str || !(colon = strchr(str, ':')))
        return -1;
    dlen = colon - str;
    if (dlen < 4 || dlen > 8 || strlen(colon) != 8 || colon[3] != ':' ||
        colon[6] != '.')
        return -1;
    if (!parseHexField(str, dlen, &addr.domain) ||
        !parseHexField(colon + 1, 2, &addr.bus) ||
        !parseHexField(colon + 4, 2, &addr.slot) ||
        !parseHexField(colon + 7, 1, &addr.function))
        return -1;
    if (addr.slot > 0x1f || addr.function > 7)
        return -1;
    *ret_addr = addr;
    return 0;
}

/**
 * ndPciAddressFormat:
 * @addr: an address
 *
 * Returns "dddd:bb:ss.f" (caller frees).
 */
char *
ndPciAddressFormat(const ndPciAddress *addr)
{
    return g_strdup_printf("%04x:%02x:%02x.%x", addr->domain, addr->bus,
                           addr->slot, addr->function);
}

/**
 * ndPciAddressCompare:
 * @a: an address
 * @b: an address
 *
 * Returns -1, 0 or 1 as @a sorts before, equal to or after @b.
 */
int
ndPciAddressCompare(const ndPciAddress *a, const ndPciAddress *b)
{
    const unsigned int ka[] = { a->domain, a->bus, a->slot, a->function };
    const unsigned int kb[] = { b->domain, b->bus, b->slot, b->function };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(ka); i++) {
        if (ka[i] != kb[i])
            return ka[i] < kb[i] ? -1 : 1;
    }
    return 0;
}

static int
compareAddrs(const void *a, const void *b)
{
    return ndPciAddressCompare(a, b);
}

static const char *const link_speeds[] = {
    [ND_PCI_LINK_SPEED_UNKNOWN] = NULL,
    [ND_PCI_LINK_SPEED_2_5] = "2.5",
    [ND_PCI_LINK_SPEED_5] = "5",
    [ND_PCI_LINK_SPEED_8] = "8",
    [ND_PCI_LINK_SPEED_16] = "16",
    [ND_PCI_LINK_SPEED_32] = "32",
    [ND_PCI_LINK_SPEED_64] = "64",
};
G_STATIC_ASSERT(G_N_ELEMENTS(link_speeds) == ND_PCI_LINK_SPEED_LAST);

/**
 * ndPciLinkSpeedToString:
 * @speed: a link speed
 *
 * Returns the speed in GT/s as libvirt writes it ("2.5", "8"), or NULL for
 * ND_PCI_LINK_SPEED_UNKNOWN and out-of-range values.
 */
const char *
ndPciLinkSpeedToString(ndPciLinkSpeed speed)
{
    if ((int) speed < 0 || speed >= ND_PCI_LINK_SPEED_LAST)
        return NULL;
    return link_speeds[speed];
}

/* ---- one device --------------------------------------------------------- */

/**
 * ndPciDeviceInfoFree:
 * @info: a device info or NULL
 *
 * Frees @info and everything it holds.
 */
void
ndPciDeviceInfoFree(ndPciDeviceInfo *info)
{
    if (!info)
        return;
    g_free(info->name);
    g_free(info->relpath);
    g_free(info->path);
    g_free(info->vendor_name);
    g_free(info->product_name);
    g_free(info->iommu_group_members);
    g_free(info->driver);
    g_free(info->virtfns);
    g_free(info);
}

/* Reads an optional attribute; a malformed one is logged and ignored so
 * one odd file does not hide the whole device. */
static void
pciReadOptUInt(ndSysfsDir *dev, const char *file, unsigned int base, int *ret)
{
    unsigned int v = 0;
    int rc = ndSysfsDirReadUInt(dev, file, base, &v);

    if (rc < 0) {
        ND_DEBUG("ignoring %s: %s", file, ndGetLastErrorMessage());
        ndResetLastError();
    }
    if (rc > 0 && v <= G_MAXINT)
        *ret = (int) v;
}

static void
pciReadLinkName(ndSysfsDir *dev, const char *file, char **ret)
{
    if (ndSysfsDirReadLinkBasename(dev, file, ret) < 0) {
        ND_DEBUG("ignoring %s: %s", file, ndGetLastErrorMessage());
        ndResetLastError();
        *ret = NULL;
    }
}

static void
pciReadIommuGroup(ndSysfs *sysfs, ndSysfsDir *dev, ndPciDeviceInfo *info)
{
    g_autofree char *group = NULL;
    g_autofree char *rel = NULL;
    g_auto(GStrv) names = NULL;
    g_autoptr(GArray) members = g_array_new(FALSE, FALSE, sizeof(ndPciAddress));
    guint64 num;
    size_t i;

    pciReadLinkName(dev, "iommu_group", &group);
    if (!group ||
        !g_ascii_string_to_unsigned(group, 10, 0, G_MAXINT, &num, NULL))
        return;
    info->iommu_group = (int) num;

    rel = g_strdup_printf("kernel/iommu_groups/%s/devices", group);
    if (ndSysfsListDir(sysfs, rel, &names) < 0) {
        ND_DEBUG("ignoring %s: %s", rel, ndGetLastErrorMessage());
        ndResetLastError();
    }
    for (i = 0; names && names[i]; i++) {
        ndPciAddress addr;

        if (ndPciAddressParse(names[i], &addr) == 0)
            g_array_append_val(members, addr);
    }
    g_array_sort(members, (GCompareFunc) compareAddrs);
    info->n_iommu_group_members = members->len;
    info->iommu_group_members = (ndPciAddress *) (void *)
        g_array_free(g_steal_pointer(&members), FALSE);
}

typedef struct {
    unsigned int index;
    ndPciAddress addr;
} pciVirtfn;

static int
compareVirtfns(const void *a, const void *b)
{
    const pciVirtfn *va = a;
    const pciVirtfn *vb = b;

    if (va->index != vb->index)
        return va->index < vb->index ? -1 : 1;
    return 0;
}

static void
pciReadSriov(ndSysfsDir *dev, ndPciDeviceInfo *info)
{
    g_autofree char *physfn = NULL;
    g_auto(GStrv) names = NULL;
    g_autoptr(GArray) vfs = g_array_new(FALSE, FALSE, sizeof(pciVirtfn));
    size_t i;

    pciReadLinkName(dev, "physfn", &physfn);
    if (physfn && ndPciAddressParse(physfn, &info->physfn) == 0)
        info->has_physfn = true;

    /* A VF has no SR-IOV capability: the kernel shows sriov_* and virtfnN
     * only on physical functions. Not looking saves a failed lookup and a
     * listing of the directory (four FUSE round trips on mdevsim) per VF. */
    if (info->has_physfn) {
        info->n_virtfns = 0;
        info->virtfns = g_new0(ndPciAddress, 1);
        return;
    }

    pciReadOptUInt(dev, "sriov_totalvfs", 10, &info->sriov_totalvfs);

    if (ndSysfsDirListDir(dev, ".", &names) < 0) {
        ND_DEBUG("ignoring virtfns: %s", ndGetLastErrorMessage());
        ndResetLastError();
    }
    for (i = 0; names && names[i]; i++) {
        g_autofree char *target = NULL;
        pciVirtfn vf;
        guint64 idx;

        if (!g_str_has_prefix(names[i], "virtfn") ||
            !g_ascii_string_to_unsigned(names[i] + 6, 10, 0, G_MAXUINT,
                                        &idx, NULL))
            continue;
        pciReadLinkName(dev, names[i], &target);
        if (!target || ndPciAddressParse(target, &vf.addr) < 0)
            continue;
        vf.index = (unsigned int) idx;
        g_array_append_val(vfs, vf);
    }
    g_array_sort(vfs, (GCompareFunc) compareVirtfns);
    info->n_virtfns = vfs->len;
    info->virtfns = g_new0(ndPciAddress, vfs->len + 1);
    for (i = 0; i < vfs->len; i++)
        info->virtfns[i] = g_array_index(vfs, pciVirtfn, i).addr;
}

static ndPciLinkSpeed
pciLinkSpeedFromCode(unsigned int code)
{
    /* Supported Link Speeds encoding: 1 = 2.5 GT/s ... 6 = 64 GT/s */
    if (code >= 1 && code <= 6)
        return (ndPciLinkSpeed) code;
    return ND_PCI_LINK_SPEED_UNKNOWN;
}

/* Parses sysfs' "8.0 GT/s PCIe" / "2.5 GT/s" / "Unknown". */
static ndPciLinkSpeed
pciLinkSpeedFromSysfs(const char *str)
{
    static const struct {
        const char *prefix;
        ndPciLinkSpeed speed;
    } table[] = {
        { "2.5 ", ND_PCI_LINK_SPEED_2_5 },
        { "5.0 ", ND_PCI_LINK_SPEED_5 },
        { "5 ", ND_PCI_LINK_SPEED_5 },
        { "8.0 ", ND_PCI_LINK_SPEED_8 },
        { "8 ", ND_PCI_LINK_SPEED_8 },
        { "16.0 ", ND_PCI_LINK_SPEED_16 },
        { "16 ", ND_PCI_LINK_SPEED_16 },
        { "32.0 ", ND_PCI_LINK_SPEED_32 },
        { "32 ", ND_PCI_LINK_SPEED_32 },
        { "64.0 ", ND_PCI_LINK_SPEED_64 },
        { "64 ", ND_PCI_LINK_SPEED_64 },
    };
    size_t i;

    for (i = 0; str && i < G_N_ELEMENTS(table); i++) {
        if (g_str_has_prefix(str, table[i].prefix))
            return table[i].speed;
    }
    return ND_PCI_LINK_SPEED_UNKNOWN;
}

static guint32
cfgRead32(const guint8 *cfg, size_t off)
{
    return (guint32) cfg[off] | (guint32) cfg[off + 1] << 8 |
           (guint32) cfg[off + 2] << 16 | (guint32) cfg[off + 3] << 24;
}

static guint16
cfgRead16(const guint8 *cfg, size_t off)
{
    return (guint16) (cfg[off] | cfg[off + 1] << 8);
}

/* Walks the capability list for the PCI Express capability.  Returns its
 * offset or 0.  Bounded: at most 48 steps, each inside the 256 bytes. */
static size_t
pciFindExpCap(const guint8 *cfg, size_t len)
{
    size_t pos;
    int steps;

    if (len < 256 || !(cfg[PCI_CFG_STATUS] & PCI_CFG_STATUS_CAP_LIST))
        return 0;
    pos = cfg[PCI_CFG_CAP_PTR] & ~3u;
    for (steps = 0; pos >= 0x40 && pos + 0x14 <= 256 && steps < 48; steps++) {
        if (cfg[pos] == PCI_CAP_ID_EXP)
            return pos;
        pos = cfg[pos + 1] & ~3u;
    }
    return 0;
}

/* Reading "config" of a device in D3cold makes the kernel resume it (and
 * its parent bridge): a periodic rescan must not keep powering up idle
 * GPUs.  power_state exists since Linux 5.17; without it we read. */
static bool
pciIsPoweredOff(ndSysfsDir *dev)
{
    g_autofree char *state = NULL;

    if (ndSysfsDirReadString(dev, "power_state", &state) < 0) {
        ndResetLastError();
        return false;
    }
    return g_strcmp0(state, "D3cold") == 0;
}

static void
pciReadConfig(ndSysfsDir *dev, ndPciDeviceInfo *info)
{
    g_autofree char *data = NULL;
    const guint8 *cfg;
    size_t len = 0;
    size_t cap;

    if (pciIsPoweredOff(dev)) {
        ND_DEBUG("not reading config of %s: in D3cold", info->name);
    } else if (ndSysfsDirReadFile(dev, "config", 256, &data, &len) < 0) {
        ND_DEBUG("ignoring config: %s", ndGetLastErrorMessage());
        ndResetLastError();
    }
    cfg = (const guint8 *) data;
    if (data && len >= 64) {
        switch (cfg[PCI_CFG_HEADER_TYPE] & 0x7f) {
        case 0:
            info->header_type = ND_PCI_HEADER_TYPE_ENDPOINT;
            break;
        case 1:
            info->header_type = ND_PCI_HEADER_TYPE_PCI_BRIDGE;
            break;
        case 2:
            info->header_type = ND_PCI_HEADER_TYPE_CARDBUS_BRIDGE;
            break;
        default:
            info->header_type = ND_PCI_HEADER_TYPE_UNKNOWN;
            break;
        }
    } else if (info->klass >= 0) {
        /* Unprivileged readers get no config space: use the class. */
        if ((info->klass >> 8) == 0x0604)
            info->header_type = ND_PCI_HEADER_TYPE_PCI_BRIDGE;
        else if ((info->klass >> 8) == 0x0607)
            info->header_type = ND_PCI_HEADER_TYPE_CARDBUS_BRIDGE;
        else
            info->header_type = ND_PCI_HEADER_TYPE_ENDPOINT;
    }

    if (data && (cap = pciFindExpCap(cfg, len)) > 0) {
        unsigned int type = (cfgRead16(cfg, cap + PCI_EXP_FLAGS) >> 4) & 0xf;
        guint32 lnkcap;
        guint16 lnksta;

        info->is_pcie = true;
        /* Root complex integrated endpoints have no link. */
        if (type == PCI_EXP_TYPE_RC_END || type == PCI_EXP_TYPE_RC_EC) {
            info->is_pcie = false;
            return;
        }
        lnkcap = cfgRead32(cfg, cap + PCI_EXP_LNKCAP);
        lnksta = cfgRead16(cfg, cap + PCI_EXP_LNKSTA);
        info->link_cap.port = (int) (lnkcap >> 24);
        info->link_cap.speed = pciLinkSpeedFromCode(lnkcap & 0xf);
        info->link_cap.width = (lnkcap >> 4) & 0x3f;
        info->link_sta.speed = pciLinkSpeedFromCode(lnksta & 0xf);
        info->link_sta.width = (lnksta >> 4) & 0x3f;
        return;
    }

    /* Without the full config space, sysfs' link attributes still tell the
     * speeds and widths (not the port). */
    {
        g_autofree char *max_speed = NULL;
        g_autofree char *cur_speed = NULL;
        int max_width = -1;
        int cur_width = -1;

        if (ndSysfsDirReadString(dev, "max_link_speed", &max_speed) < 0 ||
            ndSysfsDirReadString(dev, "current_link_speed", &cur_speed) < 0) {
            ND_DEBUG("ignoring link: %s", ndGetLastErrorMessage());
            ndResetLastError();
            return;
        }
        if (!max_speed)
            return;
        pciReadOptUInt(dev, "max_link_width", 10, &max_width);
        pciReadOptUInt(dev, "current_link_width", 10, &cur_width);
        info->is_pcie = true;
        info->link_cap.speed = pciLinkSpeedFromSysfs(max_speed);
        info->link_cap.width = max_width > 0 ? (unsigned int) max_width : 0;
        info->link_sta.speed = pciLinkSpeedFromSysfs(cur_speed);
        info->link_sta.width = cur_width > 0 ? (unsigned int) cur_width : 0;
    }
}

/**
 * ndPciDeviceRead:
 * @sysfs: the tree
 * @addr: the function's address
 * @ret_info: the device, or NULL if there is none
 *
 * Reads everything the node-device driver shows of a PCI function.
 * Returns 1 (found), 0 (no such device), -1 with an error if its link is
 * unusable (leads out of the root, loops).
 */
int
ndPciDeviceRead(ndSysfs *sysfs, const ndPciAddress *addr,
                ndPciDeviceInfo **ret_info)
{
    g_autoptr(ndPciDeviceInfo) info = g_new0(ndPciDeviceInfo, 1);
    g_autoptr(ndSysfsDir) dev = NULL;
    g_autofree char *link = NULL;
    g_autofree char *parent_dir = NULL;
    g_autofree char *parent_name = NULL;
    const char *name;

    *ret_info = NULL;
    info->addr = *addr;
    info->name = ndPciAddressFormat(addr);
    link = g_build_filename("bus/pci/devices", info->name, NULL);
    /* open the device once: every file below is one lookup, not ten */
    if (ndSysfsDirOpenResolved(sysfs, link, &dev) < 0)
        return -1;
    if (!dev)
        return 0;
    info->relpath = g_strdup(ndSysfsDirGetRelpath(dev));
    info->path = ndSysfsBuildPath(sysfs, info->relpath);

    info->klass = -1;
    info->vendor_id = -1;
    info->device_id = -1;
    info->iommu_group = -1;
    info->numa_node = -1;
    info->sriov_totalvfs = -1;
    info->header_type = ND_PCI_HEADER_TYPE_UNKNOWN;
    info->link_cap.port = -1;
    info->link_sta.port = -1;

    pciReadOptUInt(dev, "class", 0, &info->klass);
    pciReadOptUInt(dev, "vendor", 0, &info->vendor_id);
    pciReadOptUInt(dev, "device", 0, &info->device_id);
    if (info->klass > 0xffffff)
        info->klass = -1;
    if (info->vendor_id > 0xffff)
        info->vendor_id = -1;
    if (info->device_id > 0xffff)
        info->device_id = -1;
    if (info->vendor_id >= 0) {
        info->vendor_name = g_strdup(ndPciIdsFindVendor(sysfs, info->vendor_id));
        if (info->device_id >= 0) {
            name = ndPciIdsFindDevice(sysfs, info->vendor_id, info->device_id);
            info->product_name = g_strdup(name);
        }
    }

    {
        int node = -1;

        if (ndSysfsDirReadInt(dev, "numa_node", &node) < 0) {
            ND_DEBUG("ignoring numa_node: %s", ndGetLastErrorMessage());
            ndResetLastError();
        }
        info->numa_node = node >= 0 ? node : -1;
    }

    pciReadLinkName(dev, "driver", &info->driver);
    pciReadIommuGroup(sysfs, dev, info);
    pciReadSriov(dev, info);
    pciReadConfig(dev, info);

    parent_dir = g_path_get_dirname(info->relpath);
    parent_name = g_path_get_basename(parent_dir);
    if (ndPciAddressParse(parent_name, &info->parent) == 0)
        info->has_parent = true;

    *ret_info = g_steal_pointer(&info);
    return 1;
}

static gint
comparePciInfos(gconstpointer a, gconstpointer b)
{
    const ndPciDeviceInfo *ia = *(ndPciDeviceInfo *const *) a;
    const ndPciDeviceInfo *ib = *(ndPciDeviceInfo *const *) b;

    return ndPciAddressCompare(&ia->addr, &ib->addr);
}

/**
 * ndPciDeviceList:
 * @sysfs: the tree
 * @ret_devices: a GPtrArray of ndPciDeviceInfo (owns its elements)
 *
 * Reads every function of bus/pci/devices, sorted by address; unusable
 * entries are skipped.  Returns 0, or -1 with an error if the bus
 * directory cannot be listed.
 */
int
ndPciDeviceList(ndSysfs *sysfs, GPtrArray **ret_devices)
{
    g_autoptr(GPtrArray) devices =
        g_ptr_array_new_with_free_func((GDestroyNotify) ndPciDeviceInfoFree);
    g_auto(GStrv) names = NULL;
    size_t i;

    if (ndSysfsListDir(sysfs, "bus/pci/devices", &names) < 0)
        return -1;
    for (i = 0; names && names[i]; i++) {
        ndPciDeviceInfo *info = NULL;
        ndPciAddress addr;

        if (ndPciAddressParse(names[i], &addr) < 0) {
            ND_DEBUG("skipping PCI entry '%s': not an address", names[i]);
            continue;
        }
        if (ndPciDeviceRead(sysfs, &addr, &info) < 0) {
            ND_DEBUG("skipping PCI device '%s': %s", names[i],
                     ndGetLastErrorMessage());
            ndResetLastError();
            continue;
        }
        if (info)
            g_ptr_array_add(devices, info);
    }
    g_ptr_array_sort(devices, comparePciInfos);
    *ret_devices = g_steal_pointer(&devices);
    return 0;
}
