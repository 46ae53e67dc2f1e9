/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mediated devices in sysfs: parents, types, devices; create/remove/attrs.
 *
 * Parents are named as in class/mdev_bus ("0000:41:00.0", "0.0.0052",
 * "matrix", "mtty"); devices by their lower-case UUID.  Every name that can
 * come from a client (parent, type id, uuid, attribute) is checked before it
 * becomes part of a path (see ndSysfsNameIsSafe()); a bad one is reported as
 * ND_ERR_INVALID_ARG and nothing is touched.
 *
 * Error codes of the write functions (the kernel's errno made precise):
 *   unsafe or malformed name/uuid          ND_ERR_INVALID_ARG
 *   parent not in class/mdev_bus            ND_ERR_NO_NODE_DEVICE
 *   type not supported by the parent        ND_ERR_CONFIG_UNSUPPORTED
 *   mdev does not exist (remove, attr)      ND_ERR_NO_NODE_DEVICE
 *   attribute missing, or not a regular file
 *   reached without symlinks                 ND_ERR_INVALID_ARG
 *   attribute value longer than 4095 bytes  ND_ERR_INVALID_ARG
 *   attribute is one of the core's files    ND_ERR_INVALID_ARG
 *   EEXIST on create (UUID in use)          ND_ERR_OPERATION_INVALID
 *   ENOSPC/EUSERS on create (none left)     ND_ERR_OPERATION_INVALID
 *   EINVAL (value refused by the kernel)    ND_ERR_INVALID_ARG
 *   attribute write: ERANGE, ENODEV         ND_ERR_INVALID_ARG
 *   attribute write: EACCES/EPERM (r/o)     ND_ERR_INVALID_ARG
 *   attribute write: EADDRINUSE (vfio_ap)   ND_ERR_OPERATION_INVALID
 *   create/remove not regular files, links
 *   leading out of the root                 ND_ERR_INTERNAL_ERROR
 *   EBUSY on remove (device in use)         ND_ERR_OPERATION_INVALID
 *   ENOENT/ENODEV on create/remove (gone
 *   meanwhile)                              ND_ERR_NO_NODE_DEVICE
 *   anything else                           ND_ERR_SYSTEM_ERROR naming the file
 */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "util/ndsysfs.h"

typedef enum {
    ND_MDEV_PARENT_PCI = 0,     /* a PCI function (GPU, VF) */
    ND_MDEV_PARENT_CSS,         /* an s390 channel subsystem subchannel */
    ND_MDEV_PARENT_AP_MATRIX,   /* the s390 vfio_ap matrix device */
    ND_MDEV_PARENT_OTHER,       /* e.g. a virtual device such as mtty */

    ND_MDEV_PARENT_LAST,
} ndMdevParentKind;

typedef struct _ndMdevParentInfo ndMdevParentInfo;
struct _ndMdevParentInfo {
    char *name;             /* link name in class/mdev_bus */
    char *relpath;          /* real device dir relative to the root */
    char *path;             /* root + "/" + relpath */
    ndMdevParentKind kind;
    char *subsystem;        /* basename of the parent's subsystem link or NULL */
};

void ndMdevParentInfoFree(ndMdevParentInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndMdevParentInfo, ndMdevParentInfoFree);

typedef struct _ndMdevTypeInfo ndMdevTypeInfo;
struct _ndMdevTypeInfo {
    char *id;               /* directory name, e.g. "nvidia-222" */
    char *name;             /* NULL if there is no name file (GVT-g) */
    char *description;      /* NULL if none; may span several lines */
    char *device_api;       /* "vfio-pci", "vfio-ccw", "vfio-ap", ... */
    unsigned int available_instances;
    char **devices;         /* UUIDs of the type's mdevs (devices/), sorted,
                             * NULL-terminated, never NULL */
};

void ndMdevTypeInfoFree(ndMdevTypeInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndMdevTypeInfo, ndMdevTypeInfoFree);

typedef struct _ndMdevInfo ndMdevInfo;
struct _ndMdevInfo {
    char *uuid;             /* lower case, 36 characters */
    char *type_id;          /* basename of the mdev_type link */
    char *parent;           /* parent's name (its directory's basename) */
    int iommu_group;        /* -1 if none */
    char *driver;           /* NULL if no driver bound */
    char *relpath;          /* real device dir relative to the root */
    char *path;             /* root + "/" + relpath */
};

void ndMdevInfoFree(ndMdevInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndMdevInfo, ndMdevInfoFree);

/* True if @uuid is the kernel's strict form: 36 characters of 8-4-4-4-12
 * hex digits, either case.  Reports nothing. */
bool ndMdevUUIDIsValid(const char *uuid);

/* Every parent in class/mdev_bus, sorted by name, as a GPtrArray of
 * ndMdevParentInfo owning its elements; dangling links, links leading out
 * of the root, and unsafe names are skipped (debug log).  Returns 0 (an
 * empty array if class/mdev_bus is missing), -1 with an error. */
int ndMdevParentList(ndSysfs *sysfs, GPtrArray **ret_parents);

/* Reads class/mdev_bus/<@name>.  Returns 1 with *ret_info, 0 with NULL if
 * there is no such parent, -1 with an error (ND_ERR_INVALID_ARG for an
 * unsafe name; unresolvable link). */
int ndMdevParentRead(ndSysfs *sysfs, const char *name,
                     ndMdevParentInfo **ret_info);

/* The mdev types of parent @name, sorted by id, as a GPtrArray of
 * ndMdevTypeInfo owning its elements.  A type whose device_api is missing
 * or whose available_instances is missing or not a number, or that cannot
 * be read, is skipped (debug log).  Returns 0 with the array (empty if the
 * parent has no mdev_supported_types), -1 with an error (unsafe name,
 * unlistable directory). */
int ndMdevTypeList(ndSysfs *sysfs, const char *parent, GPtrArray **ret_types);
/* Type ids seen by one scan (their name and device_api); thread-safe. */
typedef struct _ndMdevTypeKnown ndMdevTypeKnown;

/* As ndMdevTypeList() without description and devices (NULL and empty):
 * the parts that node-device XML uses, two fewer sysfs reads a type.
 * @known (NULL or from ndMdevTypeKnownNew(), shared by one scan's calls,
 * in any threads): a type id seen before takes name and device_api from
 * it, read once a scan instead of once a parent. */
int ndMdevTypeListBrief(ndSysfs *sysfs, const char *parent,
                        ndMdevTypeKnown *known, GPtrArray **ret_types);
/* An empty set for ndMdevTypeListBrief()'s @known. */
ndMdevTypeKnown *ndMdevTypeKnownNew(void);
void ndMdevTypeKnownFree(ndMdevTypeKnown *known);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndMdevTypeKnown, ndMdevTypeKnownFree);
/* The live available_instances of a parent's known types, in one listing
 * and one read a type (@ret_readable FALSE: that type's count could not be
 * read).  Returns 1 with both arrays filled, 0 if the parent's types differ
 * from @type_ids (read them in full), -1 with an error. */
int ndMdevTypeListAvailable(ndSysfs *sysfs, const char *parent,
                            const char *const *type_ids,
                            unsigned int *ret_values, bool *ret_readable);

/* A parent's available_instances files kept open, one per known type:
 * re-reading them costs one read a type (sysfs makes the value afresh at
 * offset 0), no listing, no lookup, no open. */
typedef struct _ndMdevAvailFiles ndMdevAvailFiles;

/* Returns 1 with *ret_files; 0 with NULL if the types are not exactly
 * @type_ids, a count is missing or no more files may be kept open; -1 with
 * an error. */
int ndMdevAvailFilesOpen(ndSysfs *sysfs, const char *parent,
                         const char *const *type_ids,
                         ndMdevAvailFiles **ret_files);
bool ndMdevAvailFilesMatch(ndMdevAvailFiles *files, const char *parent,
                           const char *const *type_ids);
/* Returns 1 with both arrays filled (as ndMdevTypeListAvailable()); 0 if
 * the parent's types are gone (unregistered): free @files. */
int ndMdevAvailFilesRead(ndMdevAvailFiles *files, unsigned int *ret_values,
                         bool *ret_readable);
/* Returns 1 with @type_id's count; 0 if it is not one of the kept types
 * or they are gone (read by name); -1 with an error (malformed count). */
int ndMdevAvailFilesReadOne(ndMdevAvailFiles *files, const char *type_id,
                            unsigned int *ret_value);
void ndMdevAvailFilesFree(ndMdevAvailFiles *files);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndMdevAvailFiles, ndMdevAvailFilesFree);

/* Reads one type.  Returns 1 with *ret_info, 0 with NULL if the parent or
 * the type does not exist, -1 with an error (unsafe names, missing
 * device_api, malformed available_instances, unreadable files). */
int ndMdevTypeRead(ndSysfs *sysfs, const char *parent, const char *type_id,
                   ndMdevTypeInfo **ret_info);

/* Reads only available_instances of one type (cheap; for every dump).
 * Returns 0 with *ret_value, -1 with an error (ND_ERR_INVALID_ARG for an
 * unsafe name, ND_ERR_NO_NODE_DEVICE if the parent is missing,
 * ND_ERR_CONFIG_UNSUPPORTED if the type is, ND_ERR_INTERNAL_ERROR if the
 * value is missing or malformed, ND_ERR_SYSTEM_ERROR if unreadable). */
int ndMdevTypeReadAvailable(ndSysfs *sysfs, const char *parent,
                            const char *type_id, unsigned int *ret_value);

/* Every mdev in bus/mdev/devices, sorted by uuid, as a GPtrArray of
 * ndMdevInfo owning its elements; incomplete entries (no mdev_type link
 * yet, dangling) are skipped (debug log).  Returns 0 (empty array if the
 * bus is missing), -1 with an error. */
int ndMdevList(ndSysfs *sysfs, GPtrArray **ret_mdevs);

/* Reads bus/mdev/devices/<@uuid>.  Returns 1 with *ret_info, 0 with NULL if
 * it does not exist or is not complete yet (its mdev_type link appears
 * slightly after the kernel's add uevent), -1 with an error (invalid uuid,
 * unresolvable link). */
int ndMdevRead(ndSysfs *sysfs, const char *uuid, ndMdevInfo **ret_info);

/* Creates an mdev: writes @uuid to
 * class/mdev_bus/<@parent>/mdev_supported_types/<@type_id>/create.  The
 * kernel returns once the device exists.  Returns 0, or -1 with an error
 * (see the table at the top of this file). */
int ndMdevCreate(ndSysfs *sysfs, const char *parent, const char *type_id,
                 const char *uuid);

/* Removes an mdev: writes "1" to bus/mdev/devices/<@uuid>/remove.
 * WARNING: the kernel's write blocks while the device is open (by a VM);
 * call ndMdevIsInUse() first and never call this on the main loop thread.
 * Returns 0, or -1 with an error (see the table at the top). */
int ndMdevRemove(ndSysfs *sysfs, const char *uuid);

/* Writes @value to the vendor attribute @name of mdev @uuid.  @name is one
 * safe component ("assign_adapter") or two joined by one '/' for a vendor
 * folder ("nvidia/vgpu_params"); each component must pass
 * ndSysfsNameIsSafe() and the target must be an existing regular file of
 * the device, reached without symlinks.  The core's own files (remove,
 * uevent, mdev_type, iommu_group, driver, subsystem, driver_override,
 * power/, vfio-dev/) are refused: they are not vendor attributes.  Returns 0, or -1 with an error
 * (see the table at the top; EINVAL says the driver refused @value). */
int ndMdevAttrWrite(ndSysfs *sysfs, const char *uuid, const char *name,
                    const char *value);

/* Whether an mdev's VFIO group is held open by someone (a VM): opens
 * <@dev_root>/vfio/<@iommu_group> O_RDWR, as libvirt does, and closes it.
 * @dev_root is "/dev" on a real host.  Returns 1 if in use (EBUSY), 0 if
 * not in use or unknown (the open succeeded, the node does not exist, or
 * @iommu_group < 0: nothing to check, e.g. on mdevsim), -1 with an error
 * for any other failure (ND_ERR_SYSTEM_ERROR naming the file). */
int ndMdevIsInUse(const char *dev_root, int iommu_group);
