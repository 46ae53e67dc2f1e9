/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* simdev: the simulated host's devices: DMI, PCI functions (SR-IOV, PCIe,
 * config space), bus drivers with bind/unbind, virtual devices, s390 css
 * subchannels, AP cards and queues, the vfio_ap matrix. */
#include "simhost-priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
        group = simIdsAlloc(&host->groups);
    else
        simIdsMark(&host->groups, group);
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


/* Frees a bus driver description (a GDestroyNotify). */
void
simDriverFree(gpointer p)
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

    simAddFilef(host, dir, "vendor", 0444, "0x%04x\n", spec->vendor);
    simAddFilef(host, dir, "device", 0444, "0x%04x\n", spec->device);
    simAddFilef(host, dir, "subsystem_vendor", 0444, "0x%04x\n", spec->subsystem_vendor);
    simAddFilef(host, dir, "subsystem_device", 0444, "0x%04x\n", spec->subsystem_device);
    simAddFilef(host, dir, "class", 0444, "0x%06x\n", spec->class_code);
    simAddFilef(host, dir, "revision", 0444, "0x%02x\n", spec->revision);
    simAddFilef(host, dir, "numa_node", 0644, "%d\n", spec->numa_node);
    simAddFilef(host, dir, "enable", 0644, "%d\n", spec->driver ? 1 : 0);
    simAddFilef(host, dir, "irq", 0444, "0\n");
    simAddFilef(host, dir, "driver_override", 0644, "(null)\n");
    simAddFilef(host, dir, "broken_parity_status", 0644, "0\n");
    simAddFilef(host, dir, "d3cold_allowed", 0644, "1\n");
    simAddFilef(host, dir, "msi_bus", 0644, "1\n");
    simAddFilef(host, dir, "local_cpulist", 0444, "0-1\n");
    simAddFilef(host, dir, "local_cpus", 0444, "3\n");
    simAddFilef(host, dir, "ari_enabled", 0444, "0\n");
    simAddFilef(host, dir, "consistent_dma_mask_bits", 0444, "64\n");
    simAddFilef(host, dir, "dma_mask_bits", 0444, "64\n");
    simAddFilef(host, dir, "power_state", 0444, "D0\n");
    simAddFilef(host, dir, "resource", 0444,
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
    modalias = g_strdup_printf("pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X",
                               spec->vendor, spec->device, spec->subsystem_vendor,
                               spec->subsystem_device, spec->class_code >> 16,
                               (spec->class_code >> 8) & 0xff,
                               spec->class_code & 0xff);
    simAddFilef(host, dir, "modalias", 0444, "%s\n", modalias);
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
        simAddFilef(host, dir, "current_link_speed", 0444, "%s\n", spec->cur_speed);
        simAddFilef(host, dir, "current_link_width", 0444, "%u\n", spec->cur_width);
        simAddFilef(host, dir, "max_link_speed", 0444, "%s\n",
                 spec->max_speed ? spec->max_speed : spec->cur_speed);
        simAddFilef(host, dir, "max_link_width", 0444, "%u\n",
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

        simAddFilef(host, dir, "sriov_totalvfs", 0444, "%u\n", spec->totalvfs);
        simAddFilef(host, dir, "sriov_numvfs", 0644, "%u\n", spec->numvfs);
        simAddFilef(host, dir, "sriov_offset", 0444, "%u\n", spec->vf_offset);
        simAddFilef(host, dir, "sriov_stride", 0444, "%u\n", stride);
        simAddFilef(host, dir, "sriov_vf_device", 0444, "%x\n", spec->vf_device);
        simAddFilef(host, dir, "sriov_drivers_autoprobe", 0644, "1\n");
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
                if (simRegisterParent(host, vfaddr, vfpath, ms, error) < 0)
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
    simAddFilef(host, dir, "dev_busid", 0444, "%s\n", devno ? devno : "none");
    simAddFilef(host, dir, "uevent", 0644, "%s%s%sST=0\nMODALIAS=css:t0\n",
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
    simAddFilef(host, dir, "type", 0444, "%s\n", type);
    simAddFilef(host, dir, "hwtype", 0444, "%u\n", hwtype);
    simAddFilef(host, dir, "raw_hwtype", 0444, "%u\n", hwtype);
    simAddFilef(host, dir, "online", 0644, "1\n");
    simAddFilef(host, dir, "depth", 0444, "8\n");
    simAddFilef(host, dir, "ap_functions", 0444, "0x%08x\n", 0x92000000u);
    simAddFilef(host, dir, "modalias", 0444, "ap:t%02X\n", hwtype);
    simAddFilef(host, dir, "uevent", 0644, "DEV_TYPE=%04X\nMODALIAS=ap:t%02X\n",
             hwtype, hwtype);
    simFsMkdir(host->fs, dir, "power");
    simFsAddLink(host->fs, dir, "subsystem", "bus/ap");
    bindDriver(host, dir, "ap", cname, "cex4card");
    simFsAddLinkTo(host->fs, devs, cname, dir);
    for (i = 0; i < ndomains; i++) {
        g_autofree char *qname = g_strdup_printf("%02x.%04x", card, domains[i]);
        SimNode *q = simFsMkdir(host->fs, dir, qname);

        simFsAddFile(host->fs, q, "online", 0644, "1\n");
        simAddFilef(host, q, "modalias", 0444, "ap:t%02X\n", hwtype);
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
