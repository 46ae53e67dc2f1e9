/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The persistent definitions directory: mdevctl's <dir>/<parent>/<uuid>
 * files, read with a stat cache so rescans stay cheap, written atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "node_device_priv.h"
#include "util/nderror.h"
#include "util/ndfile.h"
#include "util/ndinternal.h"
#include "util/ndlog.h"

typedef struct {
    struct stat st;            /* what the file looked like when read */
    ndMdevctlDef *def;         /* NULL: the file is broken (logged once) */
} persistEntry;

struct _ndPersistCache {
    char *dir;
    GHashTable *entries;       /* "parent/uuid" -> persistEntry * */
    GHashTable *foreign;       /* paths already reported as foreign */
    gboolean loaded;           /* ndPersistLoad() ran before */
    gboolean first_load;       /* this load is the first: clean up */
};

static void
persistEntryFree(gpointer opaque)
{
    persistEntry *entry = opaque;

    ndMdevctlDefFree(entry->def);
    g_free(entry);
}

/**
 * ndPersistCacheNew: a cache of the definitions in @config_dir (copied).
 */
ndPersistCache *
ndPersistCacheNew(const char *config_dir)
{
    ndPersistCache *cache = g_new0(ndPersistCache, 1);

    cache->dir = g_strdup(config_dir);
    cache->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           persistEntryFree);
    cache->foreign = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           NULL);
    return cache;
}

/**
 * ndPersistCacheFree: frees @cache (NULL is fine).
 */
void
ndPersistCacheFree(ndPersistCache *cache)
{
    if (!cache)
        return;
    g_hash_table_unref(cache->entries);
    g_hash_table_unref(cache->foreign);
    g_free(cache->dir);
    g_free(cache);
}

/**
 * ndPersistGetDir: the definitions directory (borrowed).
 */
const char *
ndPersistGetDir(ndPersistCache *cache)
{
    return cache->dir;
}

static gboolean
persistSameFile(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
           a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
           a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Reports a file that is not a definition, once per path. */
static void
persistForeign(ndPersistCache *cache, GHashTable *seen, const char *path,
               const char *why)
{
    g_hash_table_add(seen, g_strdup(path));
    if (g_hash_table_contains(cache->foreign, path))
        return;
    ND_WARN("ignoring '%s' in the mdevctl definitions directory: %s",
            path, why);
    g_hash_table_add(cache->foreign, g_strdup(path));
}

static gboolean
persistIsLower(const char *name)
{
    g_autofree char *lower = g_ascii_strdown(name, -1);

    return g_str_equal(lower, name);
}

static void
persistLoadFile(ndPersistCache *cache, const char *parent, const char *uuid,
                const char *path, const struct stat *st, GHashTable *seen)
{
    g_autofree char *key = g_strdup_printf("%s/%s", parent, uuid);
    persistEntry *entry = g_hash_table_lookup(cache->entries, key);
    g_autofree char *data = NULL;
    size_t len = 0;
    ndMdevctlDef *def = NULL;

    g_hash_table_add(seen, g_strdup(key));
    if (entry && persistSameFile(&entry->st, st))
        return;

    if (ndFileReadLimit(path, ND_MDEVCTL_MAX_FILE_SIZE, &data, &len) < 0 ||
        ndMdevctlDefParse(parent, uuid, data, len, &def) < 0) {
        /* reported and skipped, never fatal, never rewritten */
        ND_WARN("skipping mdevctl definition '%s': %s",
                path, ndGetLastErrorMessage());
        ndResetLastError();
        def = NULL;
    }
    entry = g_new0(persistEntry, 1);
    entry->st = *st;
    entry->def = def;
    g_hash_table_replace(cache->entries, g_steal_pointer(&key), entry);
}

/* TRUE for ndFileWriteAtomic()'s temporary name of a definition:
 * ".<uuid>.XXXXXX". */
static gboolean
persistIsTempName(const char *name)
{
    g_autofree char *uuid = NULL;
    size_t len = strlen(name);

    if (len != 1 + 36 + 1 + 6 || name[0] != '.' || name[37] != '.')
        return FALSE;
    uuid = g_strndup(name + 1, 36);
    return ndMdevctlUUIDIsValid(uuid);
}

/* Removes a temporary file that a daemon killed in the middle of a write
 * left behind.  Only on the first load, before this process writes any:
 * later, a temporary file may be one of ours being written. */
static void
persistRemoveStaleTemp(const char *pdir, const char *name)
{
    g_autofree char *path = g_build_filename(pdir, name, NULL);
    struct stat st;

    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return;
    if (unlink(path) < 0) {
        ND_WARN("cannot remove stale temporary file '%s': %s", path,
                g_strerror(errno));
        return;
    }
    ND_INFO("removed stale temporary file '%s'", path);
}

static int
persistLoadParent(ndPersistCache *cache, const char *parent,
                  const char *pdir, GHashTable *seen)
{
    g_autoptr(GError) gerr = NULL;
    g_autoptr(GDir) dir = g_dir_open(pdir, 0, &gerr);
    const char *name;

    if (!dir) {
        persistForeign(cache, seen, pdir, gerr->message);
        return 0;
    }
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(pdir, name, NULL);
        struct stat st;

        if (name[0] == '.') {
            /* our own temporary files while they are written */
            if (cache->first_load && persistIsTempName(name))
                persistRemoveStaleTemp(pdir, name);
            continue;
        }
        if (!ndMdevctlUUIDIsValid(name)) {
            persistForeign(cache, seen, path, "not a UUID");
            continue;
        }
        if (!persistIsLower(name)) {
            /* mdevctl writes lower case; we could not remove it by name */
            persistForeign(cache, seen, path, "not a lower-case UUID");
            continue;
        }
        /* lstat: a link could lead anywhere on the host; mdevctl itself
         * writes regular files */
        if (lstat(path, &st) < 0) {
            persistForeign(cache, seen, path, g_strerror(errno));
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            persistForeign(cache, seen, path, "a symbolic link");
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            persistForeign(cache, seen, path, "not a regular file");
            continue;
        }
        if (g_hash_table_size(seen) >= ND_DRIVER_MAX_DEFINITIONS) {
            persistForeign(cache, seen, path, "too many definitions");
            continue;
        }
        persistLoadFile(cache, parent, name, path, &st, seen);
    }
    return 0;
}

static gint
persistDefCompare(gconstpointer a, gconstpointer b)
{
    const ndMdevctlDef *x = *(ndMdevctlDef * const *) a;
    const ndMdevctlDef *y = *(ndMdevctlDef * const *) b;
    int ret = strcmp(x->parent, y->parent);

    return ret != 0 ? ret : strcmp(x->uuid, y->uuid);
}

/**
 * ndPersistLoad: see node_device_priv.h.
 */
int
ndPersistLoad(ndPersistCache *cache, GPtrArray **ret_defs)
{
    g_autoptr(GPtrArray) defs =
        g_ptr_array_new_with_free_func((GDestroyNotify) ndMdevctlDefFree);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                       g_free, NULL);
    g_autoptr(GError) gerr = NULL;
    g_autoptr(GDir) dir = NULL;
    GHashTableIter iter;
    gpointer key;
    gpointer value;
    const char *name;

    cache->first_load = !cache->loaded;
    cache->loaded = TRUE;

    if (!(dir = g_dir_open(cache->dir, 0, &gerr))) {
        if (g_error_matches(gerr, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_hash_table_remove_all(cache->entries);
            *ret_defs = g_steal_pointer(&defs);
            return 0;
        }
        ndReportError(ND_ERR_OPERATION_FAILED,
                      _("cannot read the mdevctl definitions directory '%1$s': %2$s"),
                      cache->dir, gerr->message);
        return -1;
    }
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(cache->dir, name, NULL);

        /* mdevctl's hook scripts, hidden files and plain files are not
         * parents: leave them alone */
        if (name[0] == '.' || g_str_equal(name, "scripts.d"))
            continue;
        if (g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
            persistForeign(cache, seen, path, "a symbolic link");
            continue;
        }
        if (!g_file_test(path, G_FILE_TEST_IS_DIR))
            continue;
        if (!ndMdevctlParentIsValid(name)) {
            persistForeign(cache, seen, path, "not a parent name");
            continue;
        }
        persistLoadParent(cache, name, path, seen);
    }

    g_hash_table_iter_init(&iter, cache->entries);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        persistEntry *entry = value;

        if (!g_hash_table_contains(seen, key)) {
            g_hash_table_iter_remove(&iter);
            continue;
        }
        if (entry->def)
            g_ptr_array_add(defs, ndMdevctlDefCopy(entry->def));
    }
    g_hash_table_iter_init(&iter, cache->foreign);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        if (!g_hash_table_contains(seen, key))
            g_hash_table_iter_remove(&iter);
    }
    g_ptr_array_sort(defs, persistDefCompare);
    *ret_defs = g_steal_pointer(&defs);
    return 0;
}

/**
 * ndPersistIsBroken: TRUE if a file for (@parent, @uuid) was found and
 * could not be parsed at the last load (so it must not be overwritten).
 */
gboolean
ndPersistIsBroken(ndPersistCache *cache, const char *parent, const char *uuid)
{
    g_autofree char *key = g_strdup_printf("%s/%s", parent, uuid);
    persistEntry *entry = g_hash_table_lookup(cache->entries, key);

    return entry && !entry->def;
}

static int
persistSyncDir(const char *path)
{
    ND_AUTOCLOSE int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || fsync(fd) < 0) {
        ndReportSystemError(errno, _("cannot sync directory '%1$s'"), path);
        return -1;
    }
    return 0;
}

/**
 * ndPersistSave: writes @def to <dir>/<parent>/<uuid> as mdevctl does,
 * atomically (temporary file, fsync, rename, directory fsync); creates
 * the directories as needed. Returns 0, or -1 with an error reported.
 */
int
ndPersistSave(ndPersistCache *cache, const ndMdevctlDef *def)
{
    g_autofree char *pdir = g_build_filename(cache->dir, def->parent, NULL);
    g_autofree char *path = g_build_filename(pdir, def->uuid, NULL);
    g_autofree char *data = ndMdevctlDefFormat(def);

    if (!g_file_test(pdir, G_FILE_TEST_IS_DIR)) {
        if (g_mkdir_with_parents(pdir, 0755) < 0) {
            ndReportSystemError(errno, _("cannot create directory '%1$s'"),
                                pdir);
            return -1;
        }
        if (persistSyncDir(cache->dir) < 0)
            return -1;
    }
    return ndFileWriteAtomic(path, data, strlen(data), 0644);
}

/**
 * ndPersistDelete: removes the definition file of (@parent, @uuid), syncs
 * the directory, and removes the parent directory if it is now empty.
 * A missing file is not an error. Returns 0, or -1 with an error reported.
 */
int
ndPersistDelete(ndPersistCache *cache, const char *parent, const char *uuid)
{
    g_autofree char *pdir = g_build_filename(cache->dir, parent, NULL);
    g_autofree char *path = g_build_filename(pdir, uuid, NULL);
    g_autofree char *key = g_strdup_printf("%s/%s", parent, uuid);

    g_hash_table_remove(cache->entries, key);
    if (unlink(path) < 0) {
        if (errno == ENOENT)
            return 0;
        ndReportSystemError(errno, _("cannot remove mdevctl definition '%1$s'"),
                            path);
        return -1;
    }
    if (persistSyncDir(pdir) < 0)
        return -1;
    /* leave no empty parent directories behind */
    if (rmdir(pdir) == 0)
        return persistSyncDir(cache->dir);
    return 0;
}
