/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mediated devices in sysfs: parents, types, devices; create/remove/attrs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/ndmdev.h"
#include "util/nderror.h"
#include "util/ndfile.h"
#include "util/ndinternal.h"
#include "util/ndlog.h"
#include "util/ndpci.h"
#include "util/nduuid.h"

#define MDEV_BUS_CLASS "class/mdev_bus"
#define MDEV_BUS_DEVICES "bus/mdev/devices"

/* sysfs hands a store handler at most one page. */
#define MDEV_ATTR_VALUE_MAX 4095

/* ---- name checks: each reports its own precise message ------------------ */

static int
checkParentName(const char *parent)
{
    g_autofree char *shown = NULL;

    if (ndSysfsNameIsSafe(parent))
        return 0;
    shown = ndSysfsNameEscape(parent);
    ndReportError(ND_ERR_INVALID_ARG,
                  _("invalid mediated device parent name '%1$s'"), shown);
    return -1;
}

static int
checkTypeId(const char *type_id)
{
    g_autofree char *shown = NULL;

    if (ndSysfsNameIsSafe(type_id))
        return 0;
    shown = ndSysfsNameEscape(type_id);
    ndReportError(ND_ERR_INVALID_ARG,
                  _("invalid mediated device type id '%1$s'"), shown);
    return -1;
}

static int
checkUUID(const char *uuid)
{
    g_autofree char *shown = NULL;

    if (ndMdevUUIDIsValid(uuid))
        return 0;
    shown = ndSysfsNameEscape(uuid);
    ndReportError(ND_ERR_INVALID_ARG,
                  _("invalid mediated device UUID '%1$s'"), shown);
    return -1;
}

/* An attribute is one safe component or two joined by a single '/'. */
static int
checkAttrName(const char *name)
{
    g_autofree char *shown = NULL;

    if (name && strnlen(name, 2 * ND_SYSFS_NAME_MAX + 2) <= 2 * ND_SYSFS_NAME_MAX + 1) {
        g_auto(GStrv) parts = g_strsplit(name, "/", 3);
        guint n = g_strv_length(parts);
        guint i;
        bool ok = n >= 1 && n <= 2;

        for (i = 0; ok && i < n; i++)
            ok = ndSysfsNameIsSafe(parts[i]);
        if (ok)
            return 0;
    }
    shown = ndSysfsNameEscape(name);
    ndReportError(ND_ERR_INVALID_ARG,
                  _("invalid mediated device attribute name '%1$s'"), shown);
    return -1;
}

/* Files the mdev core and the driver core put in every device: writing
 * them is not setting a vendor attribute ("remove" would delete the
 * device, "uevent" fakes a kernel event). */
static const char *const core_attrs[] = {
    "remove", "uevent", "mdev_type", "iommu_group", "driver", "subsystem",
    "driver_override", "power", "vfio-dev",
};

static int
checkVendorAttr(const char *name, const char *uuid)
{
    g_autofree char *first = g_strndup(name, strcspn(name, "/"));
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(core_attrs); i++) {
        if (strcmp(first, core_attrs[i]) == 0) {
            ndReportError(ND_ERR_INVALID_ARG,
                          _("'%1$s' is not a vendor attribute of mediated device '%2$s'"),
                          name, uuid);
            return -1;
        }
    }
    return 0;
}

/**
 * ndMdevUUIDIsValid:
 * @uuid: a string or NULL
 *
 * Returns true if @uuid is the 36-character form the kernel accepts, which
 * is also safe as a file name.
 */
bool
ndMdevUUIDIsValid(const char *uuid)
{
    return uuid && ndUUIDIsKernelForm(uuid);
}

/* ---- parents ------------------------------------------------------------ */

/**
 * ndMdevParentInfoFree:
 * @info: a parent info or NULL
 *
 * Frees @info and everything it holds.
 */
void
ndMdevParentInfoFree(ndMdevParentInfo *info)
{
    if (!info)
        return;
    g_free(info->name);
    g_free(info->relpath);
    g_free(info->path);
    g_free(info->subsystem);
    g_free(info);
}

static ndMdevParentKind
parentKind(const char *name, const char *subsystem)
{
    ndPciAddress addr;

    if (g_strcmp0(subsystem, "pci") == 0)
        return ND_MDEV_PARENT_PCI;
    if (g_strcmp0(subsystem, "css") == 0)
        return ND_MDEV_PARENT_CSS;
    if (g_strcmp0(subsystem, "matrix") == 0)
        return ND_MDEV_PARENT_AP_MATRIX;
    if (subsystem)
        return ND_MDEV_PARENT_OTHER;
    /* No subsystem link (a trimmed tree): judge by the name. */
    if (ndPciAddressParse(name, &addr) == 0)
        return ND_MDEV_PARENT_PCI;
    if (strcmp(name, "matrix") == 0)
        return ND_MDEV_PARENT_AP_MATRIX;
    {
        unsigned int c;
        unsigned int s;
        unsigned int d;
        char end;

        if (sscanf(name, "%x.%x.%4x%c", &c, &s, &d, &end) == 3)
            return ND_MDEV_PARENT_CSS;
    }
    return ND_MDEV_PARENT_OTHER;
}

/**
 * ndMdevParentRead:
 * @sysfs: the tree
 * @name: a name in class/mdev_bus
 * @ret_info: the parent, or NULL if there is none
 *
 * Returns 1, 0 (no such parent), or -1 with an error (unsafe name,
 * unusable link).
 */
int
ndMdevParentRead(ndSysfs *sysfs, const char *name, ndMdevParentInfo **ret_info)
{
    g_autoptr(ndMdevParentInfo) info = NULL;
    g_autofree char *link = NULL;
    g_autofree char *relpath = NULL;
    g_autofree char *subsys = NULL;

    *ret_info = NULL;
    if (checkParentName(name) < 0)
        return -1;
    link = g_build_filename(MDEV_BUS_CLASS, name, NULL);
    if (ndSysfsResolve(sysfs, link, &relpath) < 0)
        return -1;
    if (!relpath || !ndSysfsIsDir(sysfs, relpath))
        return 0;

    info = g_new0(ndMdevParentInfo, 1);
    info->name = g_strdup(name);
    info->path = ndSysfsBuildPath(sysfs, relpath);
    info->relpath = g_steal_pointer(&relpath);
    subsys = g_build_filename(info->relpath, "subsystem", NULL);
    if (ndSysfsReadLinkBasename(sysfs, subsys, &info->subsystem) < 0) {
        ND_DEBUG("ignoring %s: %s", subsys, ndGetLastErrorMessage());
        ndResetLastError();
    }
    info->kind = parentKind(name, info->subsystem);
    *ret_info = g_steal_pointer(&info);
    return 1;
}

/**
 * ndMdevParentList:
 * @sysfs: the tree
 * @ret_parents: a GPtrArray of ndMdevParentInfo (owns its elements)
 *
 * Returns 0 (unusable entries skipped), -1 with an error if
 * class/mdev_bus cannot be listed.
 */
int
ndMdevParentList(ndSysfs *sysfs, GPtrArray **ret_parents)
{
    g_autoptr(GPtrArray) parents =
        g_ptr_array_new_with_free_func((GDestroyNotify) ndMdevParentInfoFree);
    g_auto(GStrv) names = NULL;
    size_t i;

    if (ndSysfsListDir(sysfs, MDEV_BUS_CLASS, &names) < 0)
        return -1;
    for (i = 0; names && names[i]; i++) {
        ndMdevParentInfo *info = NULL;

        if (ndMdevParentRead(sysfs, names[i], &info) < 0) {
            ND_DEBUG("skipping mdev parent '%s': %s", names[i],
                     ndGetLastErrorMessage());
            ndResetLastError();
            continue;
        }
        if (info)
            g_ptr_array_add(parents, info);
    }
    *ret_parents = g_steal_pointer(&parents);
    return 0;
}

/* ---- types -------------------------------------------------------------- */

/**
 * ndMdevTypeInfoFree:
 * @info: a type info or NULL
 *
 * Frees @info and everything it holds.
 */
void
ndMdevTypeInfoFree(ndMdevTypeInfo *info)
{
    if (!info)
        return;
    g_free(info->id);
    g_free(info->name);
    g_free(info->description);
    g_free(info->device_api);
    g_strfreev(info->devices);
    g_free(info);
}

static char *
typeDir(const char *parent, const char *type_id)
{
    return g_build_filename(MDEV_BUS_CLASS, parent, "mdev_supported_types",
                            type_id, NULL);
}

static int
reportNoAvailable(const char *parent, const char *type_id)
{
    ndReportError(ND_ERR_INTERNAL_ERROR,
                  _("mediated device type '%1$s' of parent '%2$s' has no available_instances"),
                  type_id, parent);
    return -1;
}

/* Type ids seen by one scan, with the name and device_api first read for
 * each; shared by the scan's threads. */
struct _ndMdevTypeKnown {
    GMutex lock;
    GHashTable *types;      /* id -> ndMdevTypeInfo (id, name, device_api) */
};

/* TRUE with @info's name and device_api copied from @known's entry for
 * @type_id (the vendor driver's: the same for every parent of the id). */
static bool
knownLookup(ndMdevTypeKnown *known, const char *type_id, ndMdevTypeInfo *info)
{
    const ndMdevTypeInfo *seen;

    g_mutex_lock(&known->lock);
    if ((seen = g_hash_table_lookup(known->types, type_id))) {
        info->name = g_strdup(seen->name);
        info->device_api = g_strdup(seen->device_api);
    }
    g_mutex_unlock(&known->lock);
    return seen != NULL;
}

/* Adds @info's id, name and device_api to @known unless another thread
 * added the id first. */
static void
knownAdd(ndMdevTypeKnown *known, const ndMdevTypeInfo *info)
{
    g_mutex_lock(&known->lock);
    if (!g_hash_table_contains(known->types, info->id)) {
        ndMdevTypeInfo *copy = g_new0(ndMdevTypeInfo, 1);

        copy->id = g_strdup(info->id);
        copy->name = g_strdup(info->name);
        copy->device_api = g_strdup(info->device_api);
        g_hash_table_insert(known->types, copy->id, copy);
    }
    g_mutex_unlock(&known->lock);
}

/* Reads the type in the open directory @tdir; names already checked.
 * @brief leaves out description and devices/ (devices is then empty):
 * every sysfs access is a round trip on FUSE, and enumeration and every
 * parent's XML only need id, name, device_api and the count. */
static int
typeRead(ndSysfsDir *tdir, const char *parent, const char *type_id,
         bool brief, ndMdevTypeKnown *known, ndMdevTypeInfo **ret_info)
{
    g_autoptr(ndMdevTypeInfo) info = g_new0(ndMdevTypeInfo, 1);
    g_auto(GStrv) names = NULL;
    g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func(g_free);
    bool seen = known && knownLookup(known, type_id, info);
    size_t i;
    int rc;

    info->id = g_strdup(type_id);
    if (!seen &&
        (ndSysfsDirReadString(tdir, "name", &info->name) < 0 ||
         ndSysfsDirReadString(tdir, "device_api", &info->device_api) < 0))
        return -1;
    if (!brief &&
        ndSysfsDirReadString(tdir, "description", &info->description) < 0)
        return -1;
    if (!info->device_api || !*info->device_api) {
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("mediated device type '%1$s' of parent '%2$s' has no device_api"),
                      type_id, parent);
        return -1;
    }
    rc = ndSysfsDirReadUInt(tdir, "available_instances", 10,
                            &info->available_instances);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return reportNoAvailable(parent, type_id);

    if (!brief && ndSysfsDirListDir(tdir, "devices", &names) < 0)
        return -1;
    for (i = 0; names && names[i]; i++) {
        if (ndMdevUUIDIsValid(names[i]))
            g_ptr_array_add(devices, g_ascii_strdown(names[i], -1));
    }
    g_ptr_array_add(devices, NULL);
    g_ptr_array_set_free_func(devices, NULL);
    info->devices = (char **) g_ptr_array_free(g_steal_pointer(&devices), FALSE);

    if (known && !seen)
        knownAdd(known, info);
    *ret_info = g_steal_pointer(&info);
    return 0;
}

/**
 * ndMdevTypeRead:
 * @sysfs: the tree
 * @parent: the parent's name in class/mdev_bus
 * @type_id: the type's id
 * @ret_info: the type, or NULL if the parent or type does not exist
 *
 * Returns 1, 0, or -1 with an error (unsafe names, malformed type).
 */
int
ndMdevTypeRead(ndSysfs *sysfs, const char *parent, const char *type_id,
               ndMdevTypeInfo **ret_info)
{
    g_autofree char *dir = NULL;
    g_autoptr(ndSysfsDir) tdir = NULL;

    *ret_info = NULL;
    if (checkParentName(parent) < 0 || checkTypeId(type_id) < 0)
        return -1;
    dir = typeDir(parent, type_id);
    if (ndSysfsDirOpen(sysfs, dir, &tdir) < 0)
        return -1;
    if (!tdir)
        return 0;
    if (typeRead(tdir, parent, type_id, false, NULL, ret_info) < 0)
        return -1;
    return 1;
}

static int
typeList(ndSysfs *sysfs, const char *parent, bool brief, ndMdevTypeKnown *known,
         GPtrArray **ret_types)
{
    g_autoptr(GPtrArray) types =
        g_ptr_array_new_with_free_func((GDestroyNotify) ndMdevTypeInfoFree);
    g_autofree char *rel = NULL;
    g_autoptr(ndSysfsDir) tsdir = NULL;
    g_auto(GStrv) names = NULL;
    size_t i;

    if (checkParentName(parent) < 0)
        return -1;
    /* resolve the parent once; each type is then one lookup away */
    rel = g_build_filename(MDEV_BUS_CLASS, parent, "mdev_supported_types", NULL);
    if (ndSysfsDirOpen(sysfs, rel, &tsdir) < 0)
        return -1;
    if (tsdir && ndSysfsDirListDir(tsdir, ".", &names) < 0)
        return -1;
    for (i = 0; names && names[i]; i++) {
        g_autoptr(ndSysfsDir) tdir = NULL;
        ndMdevTypeInfo *info = NULL;

        if (!ndSysfsNameIsSafe(names[i]))
            continue;
        if (ndSysfsDirOpenAt(tsdir, names[i], &tdir) < 0 || !tdir ||
            typeRead(tdir, parent, names[i], brief, known, &info) < 0) {
            ND_DEBUG("skipping mdev type '%s' of '%s': %s", names[i], parent,
                     ndGetLastErrorMessage());
            ndResetLastError();
            continue;
        }
        g_ptr_array_add(types, info);
    }
    *ret_types = g_steal_pointer(&types);
    return 0;
}

/**
 * ndMdevTypeList:
 * @sysfs: the tree
 * @parent: the parent's name in class/mdev_bus
 * @ret_types: a GPtrArray of ndMdevTypeInfo (owns its elements), sorted
 *
 * Malformed types are skipped.  Returns 0, or -1 with an error (unsafe
 * name, unlistable directory).
 */
int
ndMdevTypeList(ndSysfs *sysfs, const char *parent, GPtrArray **ret_types)
{
    return typeList(sysfs, parent, false, NULL, ret_types);
}

/**
 * ndMdevTypeListBrief:
 * @sysfs: the tree
 * @parent: the parent's name in class/mdev_bus
 * @known: NULL, or a table from ndMdevTypeKnownNew() shared by the calls
 *         of one scan: a type id already in it takes its name and
 *         device_api from there (they are the vendor driver's, the same
 *         on every parent), so only its count is read; new ids are added
 * @ret_types: as ndMdevTypeList(), but each type's description is NULL
 *             and its devices empty (neither is read)
 *
 * Returns as ndMdevTypeList().
 */
int
ndMdevTypeListBrief(ndSysfs *sysfs, const char *parent, ndMdevTypeKnown *known,
                    GPtrArray **ret_types)
{
    return typeList(sysfs, parent, true, known, ret_types);
}

/**
 * ndMdevTypeKnownNew:
 *
 * Returns an empty set of type ids for ndMdevTypeListBrief(), to be
 * shared by the calls of one scan, from any number of threads: type id ->
 * the id, name and device_api first read for it.
 */
ndMdevTypeKnown *
ndMdevTypeKnownNew(void)
{
    ndMdevTypeKnown *known = g_new0(ndMdevTypeKnown, 1);

    g_mutex_init(&known->lock);
    known->types = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) ndMdevTypeInfoFree);
    return known;
}

/**
 * ndMdevTypeKnownFree:
 * @known: from ndMdevTypeKnownNew(), or NULL
 */
void
ndMdevTypeKnownFree(ndMdevTypeKnown *known)
{
    if (!known)
        return;
    g_hash_table_unref(known->types);
    g_mutex_clear(&known->lock);
    g_free(known);
}

/* Opens @parent's mdev_supported_types and checks that its types are
 * exactly @type_ids, in order. Returns 1 with *@ret_dir, 0 if they differ
 * or the parent is gone, -1 with an error. */
static int
typesDirMatching(ndSysfs *sysfs, const char *parent,
                 const char *const *type_ids, ndSysfsDir **ret_dir)
{
    g_autofree char *rel = NULL;
    g_autoptr(ndSysfsDir) tsdir = NULL;
    g_auto(GStrv) names = NULL;
    size_t i;
    size_t n = 0;

    *ret_dir = NULL;
    if (checkParentName(parent) < 0)
        return -1;
    rel = g_build_filename(MDEV_BUS_CLASS, parent, "mdev_supported_types", NULL);
    if (ndSysfsDirOpen(sysfs, rel, &tsdir) < 0)
        return -1;
    if (!tsdir || ndSysfsDirListDir(tsdir, ".", &names) < 0 || !names)
        return tsdir ? -1 : 0;
    for (i = 0; names[i]; i++) {
        if (!ndSysfsNameIsSafe(names[i]))
            continue;
        if (!type_ids[n] || !g_str_equal(names[i], type_ids[n]))
            return 0;
        n++;
    }
    if (type_ids[n])
        return 0;
    *ret_dir = g_steal_pointer(&tsdir);
    return 1;
}

/**
 * ndMdevTypeListAvailable:
 * @sysfs: the tree
 * @parent: the parent's name in class/mdev_bus
 * @type_ids: the type ids the caller knows, NULL-terminated, in the order
 *            ndMdevTypeList() returns them
 * @ret_values: filled with each type's available_instances, in that order
 * @ret_readable: for each type, FALSE if its count could not be read or
 *                is malformed (as ndMdevTypeList() skips such a type)
 *
 * Re-reads only the live counts of a parent whose types are known: one
 * listing and one read a type, instead of all of each type's files.
 * Returns 1 with @ret_values and @ret_readable filled; 0 if the parent's
 * types are not exactly @type_ids any more (or the parent is gone), so the
 * caller reads them in full; -1 with an error (unsafe name, unlistable
 * directory).
 */
int
ndMdevTypeListAvailable(ndSysfs *sysfs, const char *parent,
                        const char *const *type_ids, unsigned int *ret_values,
                        bool *ret_readable)
{
    g_autoptr(ndSysfsDir) tsdir = NULL;
    size_t i;
    size_t n = g_strv_length((char **) type_ids);
    int rc;

    if ((rc = typesDirMatching(sysfs, parent, type_ids, &tsdir)) <= 0)
        return rc;
    for (i = 0; i < n; i++) {
        g_autofree char *file = g_build_filename(type_ids[i],
                                                 "available_instances", NULL);
        rc = ndSysfsDirReadUInt(tsdir, file, 10, &ret_values[i]);
        ret_readable[i] = rc > 0;
        if (rc < 0) {
            ND_DEBUG("skipping mdev type '%s' of '%s': %s", type_ids[i],
                     parent, ndGetLastErrorMessage());
            ndResetLastError();
        }
    }
    return 1;
}

/* ---- available_instances kept open -------------------------------------- */

struct _ndMdevAvailFiles {
    char *parent;
    GStrv type_ids;
    ndSysfsFile **files;    /* one per type, in order */
};

/**
 * ndMdevAvailFilesFree:
 * @files: the kept files or NULL
 *
 * Closes and frees them.
 */
void
ndMdevAvailFilesFree(ndMdevAvailFiles *files)
{
    size_t i;

    if (!files)
        return;
    for (i = 0; files->type_ids && files->type_ids[i]; i++)
        ndSysfsFileFree(files->files[i]);
    g_free(files->files);
    g_strfreev(files->type_ids);
    g_free(files->parent);
    g_free(files);
}

/**
 * ndMdevAvailFilesOpen:
 * @sysfs: the tree
 * @parent: the parent's name in class/mdev_bus
 * @type_ids: the type ids the caller knows, NULL-terminated, in the order
 *            ndMdevTypeList() returns them
 * @ret_files: the available_instances of each, kept open, or NULL
 *
 * Opens the available_instances of each of @parent's types, to be read
 * again with ndMdevAvailFilesRead(): one read a type, with no listing and
 * no lookup.  The kernel makes a parent's types when the parent registers
 * and removes them all when it unregisters, so while every file reads, the
 * parent's types are still @type_ids.
 *
 * Returns 1 with *@ret_files; 0 with NULL if the parent's types are not
 * exactly @type_ids, a count is missing, or no more files may be kept (read
 * with ndMdevTypeListAvailable() then); -1 with an error.
 */
int
ndMdevAvailFilesOpen(ndSysfs *sysfs, const char *parent,
                     const char *const *type_ids, ndMdevAvailFiles **ret_files)
{
    g_autoptr(ndSysfsDir) tsdir = NULL;
    ndMdevAvailFiles *files;
    size_t n = g_strv_length((char **) type_ids);
    size_t i;
    int rc;

    *ret_files = NULL;
    if ((rc = typesDirMatching(sysfs, parent, type_ids, &tsdir)) <= 0)
        return rc;
    files = g_new0(ndMdevAvailFiles, 1);
    files->parent = g_strdup(parent);
    files->type_ids = g_strdupv((char **) type_ids);
    files->files = g_new0(ndSysfsFile *, n + 1);
    for (i = 0; i < n; i++) {
        g_autofree char *name = g_build_filename(type_ids[i],
                                                 "available_instances", NULL);

        if ((rc = ndSysfsDirOpenFile(tsdir, name, &files->files[i])) <= 0) {
            ndMdevAvailFilesFree(files);
            return rc;
        }
    }
    *ret_files = files;
    return 1;
}

/**
 * ndMdevAvailFilesMatch:
 * @files: kept files
 * @parent: a parent's name
 * @type_ids: its known type ids, NULL-terminated
 *
 * Returns true if @files were opened for exactly these.
 */
bool
ndMdevAvailFilesMatch(ndMdevAvailFiles *files, const char *parent,
                      const char *const *type_ids)
{
    return g_str_equal(files->parent, parent) &&
           g_strv_equal((const char *const *) files->type_ids, type_ids);
}

/**
 * ndMdevAvailFilesRead:
 * @files: kept files
 * @ret_values: filled with each type's available_instances, in order
 * @ret_readable: for each type, FALSE if its count could not be read or
 *                is malformed (debug log), as ndMdevTypeListAvailable()
 *
 * Reads every count afresh, one read each.
 * Returns 1 with both arrays filled; 0 if the parent's types are gone
 * (it unregistered: free @files and read in full).
 */
int
ndMdevAvailFilesRead(ndMdevAvailFiles *files, unsigned int *ret_values,
                     bool *ret_readable)
{
    size_t i;

    for (i = 0; files->type_ids[i]; i++) {
        int rc = ndSysfsFileReadUInt(files->files[i], 10, &ret_values[i]);

        if (rc == 0)
            return 0;
        ret_readable[i] = rc > 0;
        if (rc < 0) {
            ND_DEBUG("skipping mdev type '%s' of '%s': %s", files->type_ids[i],
                     files->parent, ndGetLastErrorMessage());
            ndResetLastError();
        }
    }
    return 1;
}

/**
 * ndMdevAvailFilesReadOne:
 * @files: kept files
 * @type_id: one of their types
 * @ret_value: its available_instances
 *
 * Reads one type's count afresh, one read.
 * Returns 1 with *@ret_value; 0 if @type_id is not one of @files' types or
 * the parent's types are gone (read by name then); -1 with an error if the
 * count is malformed.
 */
int
ndMdevAvailFilesReadOne(ndMdevAvailFiles *files, const char *type_id,
                        unsigned int *ret_value)
{
    size_t i;

    for (i = 0; files->type_ids[i]; i++) {
        if (g_str_equal(files->type_ids[i], type_id))
            return ndSysfsFileReadUInt(files->files[i], 10, ret_value);
    }
    return 0;
}

static int
reportNoParent(const char *parent)
{
    ndReportError(ND_ERR_NO_NODE_DEVICE,
                  _("no mediated device parent named '%1$s'"), parent);
    return -1;
}

static int
reportNoType(const char *parent, const char *type_id)
{
    ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                  _("mediated device type '%1$s' is not supported by parent '%2$s'"),
                  type_id, parent);
    return -1;
}

/**
 * ndMdevTypeReadAvailable:
 * @sysfs: the tree
 * @parent: the parent's name
 * @type_id: the type's id
 * @ret_value: available_instances
 *
 * Returns 0, or -1 with an error (ND_ERR_INVALID_ARG, ND_ERR_NO_NODE_DEVICE
 * for a missing parent, ND_ERR_CONFIG_UNSUPPORTED for a missing type,
 * ND_ERR_INTERNAL_ERROR for a malformed value).
 */
int
ndMdevTypeReadAvailable(ndSysfs *sysfs, const char *parent,
                        const char *type_id, unsigned int *ret_value)
{
    g_autofree char *dir = NULL;
    g_autofree char *file = NULL;
    g_autofree char *parent_dir = NULL;
    int rc;

    if (checkParentName(parent) < 0 || checkTypeId(type_id) < 0)
        return -1;
    dir = typeDir(parent, type_id);
    file = g_build_filename(dir, "available_instances", NULL);
    /* one lookup on the fast path; work out what is missing only after */
    if ((rc = ndSysfsReadUInt(sysfs, file, 10, ret_value)) < 0)
        return -1;
    if (rc > 0)
        return 0;
    parent_dir = g_build_filename(MDEV_BUS_CLASS, parent, NULL);
    if (!ndSysfsIsDir(sysfs, parent_dir))
        return reportNoParent(parent);
    if (!ndSysfsIsDir(sysfs, dir))
        return reportNoType(parent, type_id);
    return reportNoAvailable(parent, type_id);
}

/* ---- devices ------------------------------------------------------------ */

/**
 * ndMdevInfoFree:
 * @info: an mdev info or NULL
 *
 * Frees @info and everything it holds.
 */
void
ndMdevInfoFree(ndMdevInfo *info)
{
    if (!info)
        return;
    g_free(info->uuid);
    g_free(info->type_id);
    g_free(info->parent);
    g_free(info->driver);
    g_free(info->relpath);
    g_free(info->path);
    g_free(info);
}

static void
mdevReadLinkName(ndSysfsDir *dev, const char *file, char **ret)
{
    if (ndSysfsDirReadLinkBasename(dev, file, ret) < 0) {
        ND_DEBUG("ignoring %s: %s", file, ndGetLastErrorMessage());
        ndResetLastError();
        *ret = NULL;
    }
}

/**
 * ndMdevRead:
 * @sysfs: the tree
 * @uuid: the device's UUID (either case)
 * @ret_info: the device, or NULL if missing or not complete yet
 *
 * Returns 1, 0, or -1 with an error (invalid UUID, unusable link).
 */
int
ndMdevRead(ndSysfs *sysfs, const char *uuid, ndMdevInfo **ret_info)
{
    g_autoptr(ndMdevInfo) info = NULL;
    g_autoptr(ndSysfsDir) dev = NULL;
    g_autofree char *lower = NULL;
    g_autofree char *link = NULL;
    g_autofree char *relpath = NULL;
    g_autofree char *parent_dir = NULL;
    g_autofree char *group = NULL;
    guint64 num;

    *ret_info = NULL;
    if (checkUUID(uuid) < 0)
        return -1;
    lower = g_ascii_strdown(uuid, -1);
    link = g_build_filename(MDEV_BUS_DEVICES, lower, NULL);
    if (ndSysfsDirOpenResolved(sysfs, link, &dev) < 0)
        return -1;
    if (!dev)
        return 0;
    relpath = g_strdup(ndSysfsDirGetRelpath(dev));

    info = g_new0(ndMdevInfo, 1);
    info->uuid = g_steal_pointer(&lower);
    info->iommu_group = -1;
    mdevReadLinkName(dev, "mdev_type", &info->type_id);
    if (!info->type_id) {
        ND_DEBUG("mdev '%s' has no mdev_type link (yet)", info->uuid);
        return 0;
    }
    mdevReadLinkName(dev, "driver", &info->driver);
    mdevReadLinkName(dev, "iommu_group", &group);
    if (group && g_ascii_string_to_unsigned(group, 10, 0, G_MAXINT, &num, NULL))
        info->iommu_group = (int) num;
    parent_dir = g_path_get_dirname(relpath);
    info->parent = g_path_get_basename(parent_dir);
    info->path = ndSysfsBuildPath(sysfs, relpath);
    info->relpath = g_steal_pointer(&relpath);
    *ret_info = g_steal_pointer(&info);
    return 1;
}

/**
 * ndMdevList:
 * @sysfs: the tree
 * @ret_mdevs: a GPtrArray of ndMdevInfo (owns its elements), sorted
 *
 * Returns 0 (incomplete or unusable entries skipped), -1 with an error if
 * bus/mdev/devices cannot be listed.
 */
int
ndMdevList(ndSysfs *sysfs, GPtrArray **ret_mdevs)
{
    g_autoptr(GPtrArray) mdevs =
        g_ptr_array_new_with_free_func((GDestroyNotify) ndMdevInfoFree);
    g_auto(GStrv) names = NULL;
    size_t i;

    if (ndSysfsListDir(sysfs, MDEV_BUS_DEVICES, &names) < 0)
        return -1;
    for (i = 0; names && names[i]; i++) {
        ndMdevInfo *info = NULL;

        if (!ndMdevUUIDIsValid(names[i]))
            continue;
        if (ndMdevRead(sysfs, names[i], &info) < 0) {
            ND_DEBUG("skipping mdev '%s': %s", names[i],
                     ndGetLastErrorMessage());
            ndResetLastError();
            continue;
        }
        if (info)
            g_ptr_array_add(mdevs, info);
    }
    *ret_mdevs = g_steal_pointer(&mdevs);
    return 0;
}

/* ---- writes ------------------------------------------------------------- */

/* The errno cases every write shares; @path names the file. */
static void
reportWriteError(ndSysfs *sysfs, int errnum, const char *relpath)
{
    g_autofree char *path = ndSysfsBuildPath(sysfs, relpath);

    switch (errnum) {
    case EXDEV:
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("sysfs path '%1$s' leads out of the sysfs root"), path);
        break;
    case EBADF:
    case ELOOP:
    case EISDIR:
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("sysfs file '%1$s' is not a regular file"), path);
        break;
    default:
        ndReportSystemError(errnum, _("cannot write sysfs file '%1$s'"), path);
        break;
    }
}

/**
 * ndMdevCreate:
 * @sysfs: the tree
 * @parent: the parent's name in class/mdev_bus
 * @type_id: a type of that parent
 * @uuid: the new device's UUID (kernel form)
 *
 * Writes @uuid to the type's create file.  Returns 0, or -1 with an error
 * as listed in ndmdev.h.
 */
int
ndMdevCreate(ndSysfs *sysfs, const char *parent, const char *type_id,
             const char *uuid)
{
    g_autofree char *dir = NULL;
    g_autofree char *parent_dir = NULL;
    g_autofree char *create = NULL;
    g_autofree char *lower = NULL;
    int rc;

    if (checkParentName(parent) < 0 || checkTypeId(type_id) < 0 ||
        checkUUID(uuid) < 0)
        return -1;
    parent_dir = g_build_filename(MDEV_BUS_CLASS, parent, NULL);
    if (!ndSysfsIsDir(sysfs, parent_dir))
        return reportNoParent(parent);
    dir = typeDir(parent, type_id);
    if (!ndSysfsIsDir(sysfs, dir))
        return reportNoType(parent, type_id);

    lower = g_ascii_strdown(uuid, -1);
    create = g_build_filename(dir, "create", NULL);
    ND_DEBUG("creating mdev %s of type %s on %s", lower, type_id, parent);
    if ((rc = ndSysfsWriteRaw(sysfs, create, lower)) == 0)
        return 0;

    switch (-rc) {
    case EEXIST:
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("a mediated device with UUID '%1$s' already exists"),
                      lower);
        break;
    case ENOSPC:
    case EUSERS:
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("no instances of type '%1$s' left on parent '%2$s'"),
                      type_id, parent);
        break;
    case EINVAL:
        ndReportError(ND_ERR_INVALID_ARG,
                      _("parent '%1$s' refused mediated device '%2$s' of type '%3$s'"),
                      parent, lower, type_id);
        break;
    case ENOENT:
    case ENOTDIR:
    case ENODEV:
        /* ENODEV: kernfs' answer when the parent unregisters while the
         * file is open */
        ndReportError(ND_ERR_NO_NODE_DEVICE,
                      _("mediated device type '%1$s' of parent '%2$s' disappeared"),
                      type_id, parent);
        break;
    default:
        reportWriteError(sysfs, -rc, create);
        break;
    }
    return -1;
}

static int
reportNoMdev(const char *uuid)
{
    ndReportError(ND_ERR_NO_NODE_DEVICE,
                  _("no mediated device with UUID '%1$s'"), uuid);
    return -1;
}

/**
 * ndMdevRemove:
 * @sysfs: the tree
 * @uuid: the device's UUID
 *
 * Writes "1" to the device's remove file (may block while the device is
 * open: see ndmdev.h).  Returns 0, or -1 with an error as listed there.
 */
int
ndMdevRemove(ndSysfs *sysfs, const char *uuid)
{
    g_autofree char *lower = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *remove = NULL;
    int rc;

    if (checkUUID(uuid) < 0)
        return -1;
    lower = g_ascii_strdown(uuid, -1);
    dir = g_build_filename(MDEV_BUS_DEVICES, lower, NULL);
    if (!ndSysfsIsDir(sysfs, dir))
        return reportNoMdev(lower);
    remove = g_build_filename(dir, "remove", NULL);
    ND_DEBUG("removing mdev %s", lower);
    if ((rc = ndSysfsWriteRaw(sysfs, remove, "1")) == 0)
        return 0;

    switch (-rc) {
    case EBUSY:
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("mediated device '%1$s' is in use"), lower);
        break;
    case ENOENT:
    case ENOTDIR:
    case ENODEV:
        return reportNoMdev(lower);
    default:
        reportWriteError(sysfs, -rc, remove);
        break;
    }
    return -1;
}

/**
 * ndMdevAttrWrite:
 * @sysfs: the tree
 * @uuid: the device's UUID
 * @name: the attribute ("attr" or "folder/attr")
 * @value: what to write (at most 4095 bytes)
 *
 * Writes a vendor attribute of an existing mdev.  Returns 0, or -1 with an
 * error as listed in ndmdev.h.
 */
int
ndMdevAttrWrite(ndSysfs *sysfs, const char *uuid, const char *name,
                const char *value)
{
    g_autofree char *lower = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *rel = NULL;
    g_autofree char *shown = NULL;
    int rc;

    if (checkUUID(uuid) < 0 || checkAttrName(name) < 0)
        return -1;
    if (!value) {
        ndReportError(ND_ERR_INVALID_ARG,
                      _("attribute '%1$s' has no value"), name);
        return -1;
    }
    if (strlen(value) > MDEV_ATTR_VALUE_MAX) {
        ndReportError(ND_ERR_INVALID_ARG,
                      _("value of attribute '%1$s' is longer than %2$d bytes"),
                      name, MDEV_ATTR_VALUE_MAX);
        return -1;
    }
    lower = g_ascii_strdown(uuid, -1);
    if (checkVendorAttr(name, lower) < 0)
        return -1;
    dir = g_build_filename(MDEV_BUS_DEVICES, lower, NULL);
    if (!ndSysfsIsDir(sysfs, dir))
        return reportNoMdev(lower);
    rel = g_build_filename(dir, name, NULL);
    ND_DEBUG("writing attribute %s of mdev %s", name, lower);
    if ((rc = ndSysfsWriteRawBeneath(sysfs, dir, name, value)) == 0)
        return 0;

    /* the value came from a client: no raw control characters in errors */
    shown = ndSysfsNameEscape(value);
    switch (-rc) {
    case ENOENT:
    case ENOTDIR:
        if (!ndSysfsIsDir(sysfs, dir))
            return reportNoMdev(lower);
        ndReportError(ND_ERR_INVALID_ARG,
                      _("mediated device '%1$s' has no attribute '%2$s'"),
                      lower, name);
        break;
    case EBADF:
    case ELOOP:
    case EISDIR:
    case EXDEV:
        ndReportError(ND_ERR_INVALID_ARG,
                      _("attribute '%1$s' of mediated device '%2$s' is not a regular file"),
                      name, lower);
        break;
    case EACCES:
    case EPERM:
        /* sysfs refuses to open a read-only attribute for writing, even
         * for root */
        ndReportError(ND_ERR_INVALID_ARG,
                      _("attribute '%1$s' of mediated device '%2$s' is not writable"),
                      name, lower);
        break;
    case EINVAL:
    case ERANGE:
        ndReportError(ND_ERR_INVALID_ARG,
                      _("mediated device '%1$s' refused value '%2$s' for attribute '%3$s'"),
                      lower, shown, name);
        break;
    case ENODEV:
        /* vfio_ap: an adapter or domain number the machine does not have */
        ndReportError(ND_ERR_INVALID_ARG,
                      _("mediated device '%1$s' refused value '%2$s' for '%3$s': no such device"),
                      lower, shown, name);
        break;
    case EADDRINUSE:
        /* vfio_ap: the APQN already belongs to another mediated device */
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("mediated device '%1$s' refused value '%2$s' for '%3$s': already in use"),
                      lower, shown, name);
        break;
    default:
        reportWriteError(sysfs, -rc, rel);
        break;
    }
    return -1;
}

/**
 * ndMdevIsInUse:
 * @dev_root: where device nodes live ("/dev")
 * @iommu_group: the mdev's IOMMU group, or -1
 *
 * Opens the group's VFIO node like libvirt does: the kernel allows one
 * opener, so EBUSY means a user (a VM) holds it.  Returns 1 (in use), 0
 * (not in use, or nothing to check), -1 with ND_ERR_SYSTEM_ERROR.
 */
int
ndMdevIsInUse(const char *dev_root, int iommu_group)
{
    g_autofree char *path = NULL;
    int fd;

    if (iommu_group < 0)
        return 0;
    path = g_strdup_printf("%s/vfio/%d", dev_root, iommu_group);
    fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    if (errno == EBUSY)
        return 1;
    if (errno == ENOENT)
        return 0;
    ndReportSystemError(errno, _("cannot open VFIO group '%1$s'"), path);
    return -1;
}
