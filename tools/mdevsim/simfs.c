/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* simfs: the in-memory tree of directories, files and links that mdevsim serves. */
#include "simfs.h"

#include <string.h>

static void
nodeFree(SimNode *node)
{
    if (!node)
        return;
    if (node->children)
        g_hash_table_unref(node->children);
    g_queue_clear(&node->order);
    g_free(node->name);
    g_free(node->target);
    g_free(node->content);
    g_free(node);
}

static SimNode *
nodeNew(SimFs *fs, SimNode *dir, const char *name, SimNodeKind kind, mode_t mode)
{
    SimNode *node;

    g_assert(dir->kind == SIM_NODE_DIR);
    g_assert(!strchr(name, '/') && *name);
    /* Replacing an existing name is a profile bug; keep the first. */
    if ((node = g_hash_table_lookup(dir->children, name)))
        simFsRemove(fs, node);

    node = g_new0(SimNode, 1);
    node->ino = fs->next_ino++;
    node->name = g_strdup(name);
    node->kind = kind;
    node->mode = mode;
    node->parent = dir;
    node->size = 4096;
    node->attached = TRUE;
    g_queue_init(&node->order);
    if (kind == SIM_NODE_DIR)
        node->children = g_hash_table_new(g_str_hash, g_str_equal);

    g_hash_table_insert(dir->children, node->name, node);
    g_queue_push_tail(&dir->order, node);
    node->link = dir->order.tail;
    g_hash_table_insert(fs->inodes, &node->ino, node);
    return node;
}

static void
invalFree(gpointer p)
{
    SimInval *inval = p;

    g_free(inval->name);
    g_free(inval);
}

/**
 * simFsNew:
 *
 * Returns: a new tree holding only the root directory.
 */
SimFs *
simFsNew(void)
{
    SimFs *fs = g_new0(SimFs, 1);

    fs->inodes = g_hash_table_new(g_int64_hash, g_int64_equal);
    fs->invals = g_ptr_array_new_with_free_func(invalFree);
    fs->next_ino = 2;
    fs->root = g_new0(SimNode, 1);
    fs->root->ino = 1;  /* FUSE_ROOT_ID */
    fs->root->name = g_strdup("");
    fs->root->kind = SIM_NODE_DIR;
    fs->root->mode = 0755;
    fs->root->attached = TRUE;
    fs->root->children = g_hash_table_new(g_str_hash, g_str_equal);
    g_queue_init(&fs->root->order);
    g_hash_table_insert(fs->inodes, &fs->root->ino, fs->root);
    return fs;
}

/**
 * simFsFree:
 * @fs: the tree (may be NULL)
 *
 * Frees every node, attached or still referenced by the kernel.
 */
void
simFsFree(SimFs *fs)
{
    GHashTableIter iter;
    gpointer value;

    if (!fs)
        return;
    g_hash_table_iter_init(&iter, fs->inodes);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        nodeFree(value);
    g_hash_table_unref(fs->inodes);
    g_ptr_array_unref(fs->invals);
    g_free(fs);
}

/* Returns the live node with inode number @ino, or NULL. */
SimNode *
simFsFindIno(SimFs *fs, guint64 ino)
{
    return g_hash_table_lookup(fs->inodes, &ino);
}

/* Returns the child @name of directory @dir, or NULL. */
SimNode *
simFsChild(SimNode *dir, const char *name)
{
    if (!dir || dir->kind != SIM_NODE_DIR)
        return NULL;
    return g_hash_table_lookup(dir->children, name);
}

/* Returns the node at @path (relative to the root, '/'-separated), without
 * following links, or NULL. */
SimNode *
simFsLookupPath(SimFs *fs, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    SimNode *node = fs->root;
    size_t i;

    for (i = 0; parts[i] && node; i++) {
        if (!*parts[i])
            continue;
        node = simFsChild(node, parts[i]);
    }
    return node;
}

/* Returns directory @name in @dir, creating it (0755) if missing. */
SimNode *
simFsMkdir(SimFs *fs, SimNode *dir, const char *name)
{
    SimNode *node = simFsChild(dir, name);

    if (node && node->kind == SIM_NODE_DIR)
        return node;
    return nodeNew(fs, dir, name, SIM_NODE_DIR, 0755);
}

/* Returns the directory at @path, creating every missing component. */
SimNode *
simFsMkdirP(SimFs *fs, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    SimNode *node = fs->root;
    size_t i;

    for (i = 0; parts[i]; i++) {
        if (!*parts[i])
            continue;
        node = simFsMkdir(fs, node, parts[i]);
    }
    return node;
}

/* Adds a regular file with fixed @content (copied). */
SimNode *
simFsAddFile(SimFs *fs, SimNode *dir, const char *name, mode_t mode,
             const char *content)
{
    SimNode *node = nodeNew(fs, dir, name, SIM_NODE_FILE, mode);

    node->content = g_strdup(content ? content : "");
    return node;
}

/* Adds a regular file served by @read and @write (either may be NULL). */
SimNode *
simFsAddDynFile(SimFs *fs, SimNode *dir, const char *name, mode_t mode,
                SimReadFunc read, SimWriteFunc write, gpointer data)
{
    SimNode *node = nodeNew(fs, dir, name, SIM_NODE_FILE, mode);

    node->read = read;
    node->write = write;
    node->data = data;
    return node;
}

/**
 * simFsPath:
 * @node: a node
 *
 * Returns: (transfer full): the path of @node relative to the root,
 * "" for the root.
 */
char *
simFsPath(SimNode *node)
{
    GPtrArray *names = g_ptr_array_new();
    GString *out = g_string_new(NULL);
    guint i;

    for (; node && node->parent; node = node->parent)
        g_ptr_array_add(names, node->name);
    for (i = names->len; i > 0; i--) {
        if (out->len)
            g_string_append_c(out, '/');
        g_string_append(out, g_ptr_array_index(names, i - 1));
    }
    g_ptr_array_free(names, TRUE);
    return g_string_free(out, FALSE);
}

/**
 * simFsRelative:
 * @from_dir: the directory holding a link, relative to the root
 * @to: the link's destination, relative to the root
 *
 * Returns: (transfer full): the relative target, as the kernel writes
 * sysfs links ("../../devices/...").
 */
char *
simFsRelative(const char *from_dir, const char *to)
{
    g_auto(GStrv) a = g_strsplit(from_dir, "/", -1);
    g_auto(GStrv) b = g_strsplit(to, "/", -1);
    GString *out = g_string_new(NULL);
    size_t na = *from_dir ? g_strv_length(a) : 0;
    size_t nb = g_strv_length(b);
    size_t k = 0;
    size_t i;

    /* Like kernfs: climb to a common ancestor of the target's parent and
     * name the target from there, even when it is an ancestor itself
     * ("../../../<uuid>", not "../.."). */
    while (k < na && k + 1 < nb && strcmp(a[k], b[k]) == 0)
        k++;
    for (i = k; i < na; i++)
        g_string_append(out, "../");
    for (i = k; i < nb; i++) {
        g_string_append(out, b[i]);
        if (i + 1 < nb)
            g_string_append_c(out, '/');
    }
    return g_string_free(out, FALSE);
}

/**
 * simFsLinkTarget:
 * @fs: the tree
 * @link: a link node
 *
 * Returns: the node @link points to (one level, borrowed) or NULL.
 */
SimNode *
simFsLinkTarget(SimFs *fs, SimNode *link)
{
    g_autofree char *dir = NULL;
    g_autoptr(GPtrArray) parts = g_ptr_array_new();
    g_auto(GStrv) base = NULL;
    g_auto(GStrv) rel = NULL;
    g_autofree char *path = NULL;
    size_t i;

    if (!link || link->kind != SIM_NODE_LINK || !link->parent)
        return NULL;
    dir = simFsPath(link->parent);
    base = g_strsplit(dir, "/", -1);
    rel = g_strsplit(link->target, "/", -1);
    for (i = 0; base[i]; i++) {
        if (*base[i])
            g_ptr_array_add(parts, base[i]);
    }
    for (i = 0; rel[i]; i++) {
        if (!*rel[i] || strcmp(rel[i], ".") == 0)
            continue;
        if (strcmp(rel[i], "..") == 0) {
            if (parts->len == 0)
                return NULL;
            g_ptr_array_remove_index(parts, parts->len - 1);
        } else {
            g_ptr_array_add(parts, rel[i]);
        }
    }
    g_ptr_array_add(parts, NULL);
    path = g_strjoinv("/", (char **)parts->pdata);
    return simFsLookupPath(fs, path);
}

/* Adds a link @name in @dir pointing at @abs_target (root-relative path),
 * stored as a relative target. */
SimNode *
simFsAddLink(SimFs *fs, SimNode *dir, const char *name, const char *abs_target)
{
    g_autofree char *from = simFsPath(dir);
    SimNode *node = nodeNew(fs, dir, name, SIM_NODE_LINK, 0777);

    node->target = simFsRelative(from, abs_target);
    node->size = 0;
    return node;
}

/* Adds a link @name in @dir to the node @target. */
SimNode *
simFsAddLinkTo(SimFs *fs, SimNode *dir, const char *name, SimNode *target)
{
    g_autofree char *to = simFsPath(target);

    return simFsAddLink(fs, dir, name, to);
}

static void
nodeMaybeFree(SimFs *fs, SimNode *node)
{
    if (node->attached || node->nlookup > 0 || node->ino == 1)
        return;
    g_hash_table_remove(fs->inodes, &node->ino);
    nodeFree(node);
}

static void
nodeDetach(SimFs *fs, SimNode *node)
{
    if (node->kind == SIM_NODE_DIR) {
        SimNode *child;

        while ((child = g_queue_peek_head(&node->order))) {
            g_queue_pop_head(&node->order);
            child->link = NULL;
            g_hash_table_remove(node->children, child->name);
            child->parent = NULL;
            nodeDetach(fs, child);
        }
    }
    node->attached = FALSE;
    node->data = NULL;
    node->read = NULL;
    node->write = NULL;
    node->open = NULL;
    nodeMaybeFree(fs, node);
}

/**
 * simFsRemove:
 * @fs: the tree
 * @node: a node (a directory goes with everything under it)
 *
 * Takes @node out of the tree. Nodes the kernel still references stay
 * allocated, detached, until it forgets them; their files then fail
 * with ENODEV like a removed sysfs attribute.
 */
void
simFsRemove(SimFs *fs, SimNode *node)
{
    SimNode *dir;

    if (!node || !node->attached || node == fs->root)
        return;
    if ((dir = node->parent)) {
        /* Only a node the kernel looked up can be in its cache; its
         * subtree goes with it. */
        if (node->nlookup > 0) {
            SimInval *inval = g_new0(SimInval, 1);

            inval->parent = dir->ino;
            inval->name = g_strdup(node->name);
            g_ptr_array_add(fs->invals, inval);
        }
        g_hash_table_remove(dir->children, node->name);
        g_queue_delete_link(&dir->order, node->link);
        node->link = NULL;
        node->parent = NULL;
    }
    nodeDetach(fs, node);
}

/* Drops @nlookup kernel references of @node. */
void
simFsForget(SimFs *fs, SimNode *node, guint64 nlookup)
{
    if (nlookup > node->nlookup)
        nlookup = node->nlookup;
    node->nlookup -= nlookup;
    nodeMaybeFree(fs, node);
}

/**
 * simFsTakeInvals:
 * @fs: the tree
 *
 * Returns: the names of removed nodes the kernel may have cached, in the
 * order they were removed, since the last call (SimInval *; the caller
 * unrefs), or NULL if there are none.
 */
GPtrArray *
simFsTakeInvals(SimFs *fs)
{
    GPtrArray *taken;

    if (fs->invals->len == 0)
        return NULL;
    taken = fs->invals;
    fs->invals = g_ptr_array_new_with_free_func(invalFree);
    return taken;
}
