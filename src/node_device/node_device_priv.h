/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The driver's internals: device objects, the device list, enumeration of
 * the host from sysfs, and the persistent definitions directory.
 *
 * Nothing here locks: node_device_driver.c holds the driver lock around
 * every use of a list or of a device in it.
 */
#pragma once

#include <glib.h>

#include "conf/node_device_conf.h"
#include "conf/node_device_mdevctl.h"
#include "util/ndmdev.h"
#include "util/ndsysfs.h"

/* The most persistent definitions we load (each is a file on disk). */
#define ND_DRIVER_MAX_DEFINITIONS 65536

/* One node device as the driver knows it. */
typedef struct _ndDevice ndDevice;
struct _ndDevice {
    ndNodeDeviceDef *def;     /* name, parent, path, driver, caps; the
                               * caps are fixed once the device is made,
                               * its types change only through
                               * ndDeviceSetMdevTypes() */
    struct _ndDeviceList *list; /* the list holding the device (borrowed),
                               * NULL outside one: the setters below tell
                               * it when what its filters see changed */
    guint32 cap_mask;         /* 1 << ndNodeDevCapType for each capability
                               * ndDeviceHasCap() reports, nested ones
                               * included: kept by ndDeviceNew() and
                               * ndDeviceSetMdevTypes() */
    char *mdev_bus;           /* an mdev parent's name in class/mdev_bus,
                               * NULL if the device is not (now) a parent;
                               * in a list, change it with
                               * ndDeviceListSetBus() */
    gboolean active;
    gboolean persistent;
    gboolean autostart;
    gboolean busy;            /* create/start/destroy in progress: the
                               * rescan leaves it alone */
    guint64 changed;          /* the driver's generation when one of its
                               * operations last changed it: a rescan
                               * whose snapshot is older leaves it alone */

    /* mediated devices only */
    char *uuid;               /* canonical lower-case */
    char *parent_bus;         /* the parent's class/mdev_bus name */
    int iommu_group;          /* -1 unknown */
    ndMdevctlDef *mdevctl;    /* the persistent definition, NULL transient */

    /* mdev parents only: "type=available;..." as last reported, so the
     * rescan can tell when to send UPDATE */
    char *avail_sig;
    /* mdev parents only: the available_instances of its known types kept
     * open for XML (see driverRefreshParent()), or NULL */
    ndMdevAvailFiles *avail_files;
    /* the types of a parent without a pci, css or ap_matrix capability
     * (a virtual device such as mtty), which conf's model cannot hold:
     * shown as libvirt's top-level mdev_types (see ndDeviceFormat()) */
    GPtrArray *other_types;
};

ndDevice *ndDeviceNew(ndNodeDeviceDef **def);
void ndDeviceFree(ndDevice *dev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndDevice, ndDeviceFree);

const char *ndDeviceGetName(const ndDevice *dev);
gboolean ndDeviceIsMdev(const ndDevice *dev);
ndNodeDevCapMdev *ndDeviceGetMdevCap(const ndDevice *dev);
/* The device's mdev_types array (pci, css, ap_matrix), or NULL. */
GPtrArray *ndDeviceGetMdevTypes(const ndDevice *dev);
/* Replaces the device's mdev_types (steals @types; NULL empties them). */
void ndDeviceSetMdevTypes(ndDevice *dev, GPtrArray *types);
/* TRUE if the device has the capability @type, nested ones included
 * (mdev_types on a current pci/css/ap_matrix parent, vpd on pci). */
gboolean ndDeviceHasCap(const ndDevice *dev, ndNodeDevCapType type);
/* TRUE if the device has any of the capabilities in @mask (bits
 * 1 << ndNodeDevCapType), as ndDeviceHasCap() counts them: one AND. */
static inline gboolean
ndDeviceHasAnyCap(const ndDevice *dev, guint32 mask)
{
    return (dev->cap_mask & mask) != 0;
}
/* Top-level capability names plus nested "mdev_types"/"vpd". */
GPtrArray *ndDeviceListCaps(const ndDevice *dev);
/* The device's XML (ndNodeDeviceXMLFlags); caller frees. */
char *ndDeviceFormat(const ndDevice *dev, unsigned int flags);

/**
 * ndDeviceNewMdev: a mediated device object named mdev_<uuid>_<parent_bus>.
 * @uuid: canonical UUID
 * @parent_bus: the parent's class/mdev_bus name
 * @parent_name: the parent node device's name ("computer" if unknown)
 */
ndDevice *ndDeviceNewMdev(const char *uuid, const char *parent_bus,
                          const char *parent_name);
/* Marks @dev active with the live facts (type, path, driver, group) and
 * the active config's attributes @attrs (ndMdevAttr *, may be NULL). */
void ndDeviceSetMdevActive(ndDevice *dev, const char *type,
                           const char *path, const char *driver,
                           int iommu_group, GPtrArray *attrs);
/* Clears the live facts and marks @dev inactive. */
void ndDeviceSetMdevInactive(ndDevice *dev);
/* Makes @dev persistent with definition @def (steals it), or transient
 * when @def is NULL. */
void ndDeviceSetMdevDefinition(ndDevice *dev, ndMdevctlDef *def);

/* ---- the list: stable order plus O(1) lookup by name ---- */

typedef struct _ndDeviceList ndDeviceList;

ndDeviceList *ndDeviceListNew(void);
void ndDeviceListFree(ndDeviceList *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndDeviceList, ndDeviceListFree);
/* Appends @dev (steals it); FALSE and nothing done if the name is taken. */
gboolean ndDeviceListAdd(ndDeviceList *list, ndDevice **dev);
/* Borrowed, or NULL. */
ndDevice *ndDeviceListFind(ndDeviceList *list, const char *name);
/* The parent device whose class/mdev_bus name is @bus, or NULL (O(1)). */
ndDevice *ndDeviceListFindByBus(ndDeviceList *list, const char *bus);
/* Sets (or with NULL clears) @dev's mdev_bus, keeping the index: the only
 * way to change mdev_bus of a device in a list. */
void ndDeviceListSetBus(ndDeviceList *list, ndDevice *dev, const char *bus);
/* Removes and frees the device named @name. */
void ndDeviceListRemove(ndDeviceList *list, const char *name);
guint ndDeviceListCount(ndDeviceList *list);
/* Changes (never to 0) whenever a list filter could answer differently:
 * a device added or removed, or one in the list changed its capabilities
 * (ndDeviceSetMdevTypes()), its state or its persistence (the
 * ndDeviceSetMdev*() setters). Names never change; order only by these. */
guint64 ndDeviceListGetGeneration(ndDeviceList *list);
/* The @i-th device in list order (borrowed). */
ndDevice *ndDeviceListGet(ndDeviceList *list, guint i);

/* ---- enumeration (node_device_enum.c, node_device_enum_pci.c) ---- */

/* Reads the whole host into @list: computer, PCI functions, css, AP,
 * the matrix, other mdev parents, and active mdevs. Returns 0 or -1. */
int ndEnumHost(ndSysfs *sysfs, ndDeviceList *list);
/* Appends a device per PCI function (parents resolved among them). */
int ndEnumPci(ndSysfs *sysfs, ndDeviceList *list);
/* The mdev types of class/mdev_bus/@bus as conf objects (ndMdevType *).
 * @known: NULL, or one ndMdevTypeKnownNew() table per scan (each type id's
 * name and device_api read once, see ndMdevTypeListBrief()).
 * Returns 0 with the array, -1 with an error. */
int ndEnumMdevTypes(ndSysfs *sysfs, const char *bus, ndMdevTypeKnown *known,
                    GPtrArray **ret_types);
/* A device for a virtual mdev parent (neither PCI, css nor the matrix),
 * named <subsystem>_<name> as libvirt names it, child of computer. */
struct _ndMdevParentInfo;
ndDevice *ndEnumOtherParent(const struct _ndMdevParentInfo *info);
/* "id=available;..." for @types (ndMdevType *). Caller frees. */
char *ndEnumAvailSig(GPtrArray *types);

/* ---- the driver (node_device_driver.c) ---- */

typedef struct _ndDriver ndDriver;
typedef struct _ndDriverConfig ndDriverConfig;
/* ndDriverNew() with uevents from @uevent_fd (stolen; -1: the kernel's)
 * and a rescan every @interval_ms (0: none). For tests. */
ndDriver *ndDriverNewFull(const ndDriverConfig *cfg, int uevent_fd,
                          guint interval_ms);

/* ---- definitions directory (node_device_persist.c) ---- */

typedef struct _ndPersistCache ndPersistCache;

ndPersistCache *ndPersistCacheNew(const char *config_dir);
void ndPersistCacheFree(ndPersistCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndPersistCache, ndPersistCacheFree);

/* Every valid definition in the directory (ndMdevctlDef *, owning), in a
 * stable order (parent, then uuid). Files that cannot be read or parsed
 * are logged (once per change of the file) and skipped; only unchanged
 * files are not re-read. The first load of a cache also removes the
 * temporary files (".<uuid>.XXXXXX") a killed daemon left behind.
 * Returns 0, or -1 if the directory exists but cannot be listed (a
 * missing directory is an empty list). */
int ndPersistLoad(ndPersistCache *cache, GPtrArray **ret_defs);
/* 1 if a file for (@parent, @uuid) exists that could not be parsed. */
gboolean ndPersistIsBroken(ndPersistCache *cache, const char *parent,
                           const char *uuid);
/* Writes @def's file atomically (creating the parent directory). */
int ndPersistSave(ndPersistCache *cache, const ndMdevctlDef *def);
/* Removes the file of (@parent, @uuid) (and the parent directory when it
 * is left empty). */
int ndPersistDelete(ndPersistCache *cache, const char *parent,
                    const char *uuid);
/* The directory (borrowed). */
const char *ndPersistGetDir(ndPersistCache *cache);
