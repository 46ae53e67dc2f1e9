/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* simfuse: serves a SimFs through the libfuse3 low-level API.
 *
 * Single-threaded (fuse_session_loop), so no locking of the tree. Files
 * are opened with direct_io: like sysfs, every read is live.
 *
 * Caching. A node's attributes and a link's target never change (a change
 * is a new node), and names only go away through simFsRemove() in a
 * write(2) handler. So the kernel may keep entries, attributes and link
 * targets as long as it likes (saving a LOOKUP per path component and a
 * GETATTR/READLINK per stat), provided it forgets a removed name before
 * anyone can see it: a write that removed names the kernel knows is
 * answered only after the kernel has been told (notify_inval_entry).
 * That telling may wait for the kernel's lock on the directory, which a
 * lookup we have yet to answer may hold; so a notifier thread does it and
 * then replies to the write, while this loop goes on answering. Without a
 * session to notify on (simFuseSetSession() not called) nothing is
 * cached. Failed lookups are never cached: new names appear at once. */
#include "simfuse.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct {
    char *name;
    guint64 ino;
    mode_t type;
} DirEntry;

typedef struct {
    GArray *entries;     /* DirEntry */
} DirHandle;

typedef struct {
    GString *content;    /* generated on the read at offset 0 */
} FileHandle;

/* How long the kernel may keep what we tell it (see above). */
#define CACHE_TIMEOUT (24 * 3600.0)

/* A write whose reply waits for invalidations. */
typedef struct {
    fuse_req_t req;
    int err;                 /* 0: reply with @size written */
    size_t size;
    GPtrArray *invals;       /* SimInval * */
} Deferred;

static struct fuse_session *session;
static GThread *notifier;
static GAsyncQueue *deferred;    /* Deferred *; NULL item: stop */
static gint stopping;

static time_t startTime;
/* Handles the kernel has not released yet: freed at the end when the
 * session stops before the kernel sends their RELEASE. */
static GHashTable *liveDirs;
static GHashTable *liveFiles;

static void
dirHandleFree(gpointer p)
{
    DirHandle *h = p;
    guint i;

    for (i = 0; i < h->entries->len; i++)
        g_free(g_array_index(h->entries, DirEntry, i).name);
    g_array_unref(h->entries);
    g_free(h);
}

static void
fileHandleFree(gpointer p)
{
    FileHandle *h = p;

    if (h->content)
        g_string_free(h->content, TRUE);
    g_free(h);
}

static SimFs *
reqFs(fuse_req_t req)
{
    return simHostGetFs(fuse_req_userdata(req));
}

static mode_t
nodeType(SimNode *node)
{
    switch (node->kind) {
    case SIM_NODE_DIR:
        return S_IFDIR;
    case SIM_NODE_LINK:
        return S_IFLNK;
    case SIM_NODE_FILE:
        break;
    }
    return S_IFREG;
}

static void
fillAttr(SimNode *node, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_ino = node->ino;
    st->st_mode = nodeType(node) | node->mode;
    st->st_nlink = node->kind == SIM_NODE_DIR ? 2 : 1;
    st->st_size = node->kind == SIM_NODE_FILE ? node->size : 0;
    st->st_blksize = 4096;
    st->st_atime = st->st_mtime = st->st_ctime = startTime;
}

/* The timeout for entries and attributes: none without a session. */
static double
cacheTimeout(void)
{
    return session ? CACHE_TIMEOUT : 0;
}

static void
opInit(void *userdata, struct fuse_conn_info *conn)
{
    /* Shells open with O_TRUNC: take it in open() instead of a setattr. */
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
        conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    /* a link's target never changes: a new target is a new node */
    if (session && (conn->capable & FUSE_CAP_CACHE_SYMLINKS))
        conn->want |= FUSE_CAP_CACHE_SYMLINKS;
    startTime = time(NULL);
}

static void
opLookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    SimNode *dir = simFsFindIno(reqFs(req), parent);
    SimNode *node;
    struct fuse_entry_param e;

    if (!dir || !dir->attached) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    if (dir->kind != SIM_NODE_DIR) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    if (!(node = simFsChild(dir, name))) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    memset(&e, 0, sizeof(e));
    e.ino = node->ino;
    e.generation = 1;
    e.attr_timeout = cacheTimeout();
    e.entry_timeout = cacheTimeout();
    fillAttr(node, &e.attr);
    if (fuse_reply_entry(req, &e) == 0)
        node->nlookup++;
}

static void
opForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    SimNode *node = simFsFindIno(reqFs(req), ino);

    if (node)
        simFsForget(reqFs(req), node, nlookup);
    fuse_reply_none(req);
}

static void
opForgetMulti(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
    SimFs *fs = reqFs(req);
    size_t i;

    for (i = 0; i < count; i++) {
        SimNode *node = simFsFindIno(fs, forgets[i].ino);

        if (node)
            simFsForget(fs, node, forgets[i].nlookup);
    }
    fuse_reply_none(req);
}

static void
opGetattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    SimNode *node = simFsFindIno(reqFs(req), ino);
    struct stat st;

    if (!node) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    fillAttr(node, &st);
    fuse_reply_attr(req, &st, cacheTimeout());
}

static void
opSetattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
          struct fuse_file_info *fi)
{
    SimNode *node = simFsFindIno(reqFs(req), ino);
    int allowed = FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
                  FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW |
                  FUSE_SET_ATTR_CTIME;
    struct stat st;

    if (!node) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    /* Truncation of an attribute is meaningless and harmless (O_TRUNC from
     * a shell redirection); everything else is refused. */
    if (node->kind != SIM_NODE_FILE || (to_set & ~allowed)) {
        fuse_reply_err(req, EPERM);
        return;
    }
    fillAttr(node, &st);
    fuse_reply_attr(req, &st, cacheTimeout());
}

static void
opReadlink(fuse_req_t req, fuse_ino_t ino)
{
    SimNode *node = simFsFindIno(reqFs(req), ino);

    if (!node || node->kind != SIM_NODE_LINK) {
        fuse_reply_err(req, node ? EINVAL : ENOENT);
        return;
    }
    fuse_reply_readlink(req, node->target);
}

static void
dirAdd(GArray *entries, const char *name, guint64 ino, mode_t type)
{
    DirEntry e = { g_strdup(name), ino, type };

    g_array_append_val(entries, e);
}

static void
opOpendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    SimNode *node = simFsFindIno(reqFs(req), ino);
    DirHandle *h;
    GList *l;

    if (!node || !node->attached) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    if (node->kind != SIM_NODE_DIR) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    /* A snapshot: stable offsets while devices come and go. */
    h = g_new0(DirHandle, 1);
    h->entries = g_array_sized_new(FALSE, FALSE, sizeof(DirEntry),
                                   node->order.length + 2);
    dirAdd(h->entries, ".", node->ino, S_IFDIR);
    dirAdd(h->entries, "..", node->parent ? node->parent->ino : node->ino, S_IFDIR);
    for (l = node->order.head; l; l = l->next) {
        SimNode *child = l->data;

        if (!child->hidden)
            dirAdd(h->entries, child->name, child->ino, nodeType(child));
    }
    fi->fh = (uintptr_t)h;
    fi->cache_readdir = 0;
    fi->keep_cache = 0;
    if (fuse_reply_open(req, fi) != 0)
        dirHandleFree(h);
    else
        g_hash_table_add(liveDirs, h);
}

static void
opReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
          struct fuse_file_info *fi)
{
    DirHandle *h = (DirHandle *)(uintptr_t)fi->fh;
    g_autofree char *buf = g_malloc(size);
    size_t used = 0;
    guint i;

    for (i = off; i < h->entries->len; i++) {
        DirEntry *e = &g_array_index(h->entries, DirEntry, i);
        struct stat st = { 0 };
        size_t n;

        st.st_ino = e->ino;
        st.st_mode = e->type;
        n = fuse_add_direntry(req, buf + used, size - used, e->name, &st, i + 1);
        if (n > size - used)
            break;
        used += n;
    }
    fuse_reply_buf(req, buf, used);
}

static void
opReleasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    DirHandle *h = (DirHandle *)(uintptr_t)fi->fh;

    g_hash_table_remove(liveDirs, h);
    fuse_reply_err(req, 0);
}

static void
opOpen(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    SimNode *node = simFsFindIno(reqFs(req), ino);
    int acc = fi->flags & O_ACCMODE;
    FileHandle *h;
    int err;

    if (!node || !node->attached) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    if (node->kind == SIM_NODE_DIR) {
        fuse_reply_err(req, EISDIR);
        return;
    }
    /* sysfs refuses even root: no read without a read bit, no write
     * without a write bit. */
    if ((acc != O_WRONLY && !(node->mode & 0444)) ||
        (acc != O_RDONLY && !(node->mode & 0222))) {
        fuse_reply_err(req, EACCES);
        return;
    }
    if (node->open && (err = node->open(node, fi->flags)) != 0) {
        fuse_reply_err(req, err);
        return;
    }
    h = g_new0(FileHandle, 1);
    fi->fh = (uintptr_t)h;
    fi->direct_io = 1;
    fi->keep_cache = 0;
    if (fuse_reply_open(req, fi) != 0)
        fileHandleFree(h);
    else
        g_hash_table_add(liveFiles, h);
}

static void
opRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
       struct fuse_file_info *fi)
{
    SimNode *node = simFsFindIno(reqFs(req), ino);
    FileHandle *h = (FileHandle *)(uintptr_t)fi->fh;
    int err;

    if (!node || !node->attached) {
        fuse_reply_err(req, ENODEV);
        return;
    }
    /* Like seq_file: generate at offset 0, serve later offsets from it. */
    if (off == 0 || !h->content) {
        GString *out = g_string_new(NULL);

        if (node->read) {
            if ((err = node->read(node, out)) != 0) {
                g_string_free(out, TRUE);
                fuse_reply_err(req, err);
                return;
            }
        } else if (node->content) {
            g_string_append(out, node->content);
        }
        if (h->content)
            g_string_free(h->content, TRUE);
        h->content = out;
    }
    if ((size_t)off >= h->content->len) {
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    fuse_reply_buf(req, h->content->str + off, MIN(size, h->content->len - off));
}

static void
deferredReply(Deferred *d)
{
    if (d->err)
        fuse_reply_err(d->req, d->err);
    else
        fuse_reply_write(d->req, d->size);
    g_ptr_array_unref(d->invals);
    g_free(d);
}

/* The notifier thread: tells the kernel, then answers the write. */
static gpointer
notifierRun(gpointer unused)
{
    Deferred *d;

    while ((d = g_async_queue_pop(deferred)) != GINT_TO_POINTER(1)) {
        guint i;

        for (i = 0; i < d->invals->len && !g_atomic_int_get(&stopping); i++) {
            SimInval *inval = g_ptr_array_index(d->invals, i);

            /* ENOENT: the kernel had already dropped it */
            fuse_lowlevel_notify_inval_entry(session, inval->parent,
                                             inval->name, strlen(inval->name));
        }
        deferredReply(d);
    }
    return NULL;
}

static void
opWrite(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
        struct fuse_file_info *fi)
{
    SimNode *node = simFsFindIno(reqFs(req), ino);
    g_autoptr(GPtrArray) invals = NULL;
    Deferred *d;
    int err = 0;

    if (!node || !node->attached) {
        fuse_reply_err(req, ENODEV);
        return;
    }
    /* kernfs hands at most a page to the store method. */
    if (size > 4096)
        size = 4096;
    if (node->write)
        err = node->write(node, buf, size);
    invals = simFsTakeInvals(reqFs(req));
    if (invals && session) {
        if (!notifier) {
            deferred = g_async_queue_new();
            notifier = g_thread_new("mdevsim-notify", notifierRun, NULL);
        }
        d = g_new0(Deferred, 1);
        d->req = req;
        d->err = err;
        d->size = size;
        d->invals = g_steal_pointer(&invals);
        g_async_queue_push(deferred, d);
        return;
    }
    if (err)
        fuse_reply_err(req, err);
    else
        fuse_reply_write(req, size);
}

static void
opRelease(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    FileHandle *h = (FileHandle *)(uintptr_t)fi->fh;

    g_hash_table_remove(liveFiles, h);
    fuse_reply_err(req, 0);
}

static void
opStatfs(fuse_req_t req, fuse_ino_t ino)
{
    struct statvfs st = { 0 };

    st.f_bsize = 4096;
    st.f_frsize = 4096;
    st.f_namemax = 255;
    fuse_reply_statfs(req, &st);
}

/* sysfs has no way to add, remove or rename entries from user space: the
 * VFS answers EACCES for a new file and EPERM for everything else. */
static void
opCreate(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
         struct fuse_file_info *fi)
{
    fuse_reply_err(req, EACCES);
}

static void
opMknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
        dev_t rdev)
{
    fuse_reply_err(req, EPERM);
}

static void
opMkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
    fuse_reply_err(req, EPERM);
}

static void
opUnlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    fuse_reply_err(req, EPERM);
}

static void
opSymlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
    fuse_reply_err(req, EPERM);
}

static void
opRename(fuse_req_t req, fuse_ino_t parent, const char *name,
         fuse_ino_t newparent, const char *newname, unsigned int flags)
{
    fuse_reply_err(req, EPERM);
}

static void
opLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
    fuse_reply_err(req, EPERM);
}

static const struct fuse_lowlevel_ops ops = {
    .create = opCreate,
    .mknod = opMknod,
    .mkdir = opMkdir,
    .unlink = opUnlink,
    .rmdir = opUnlink,
    .symlink = opSymlink,
    .rename = opRename,
    .link = opLink,
    .init = opInit,
    .lookup = opLookup,
    .forget = opForget,
    .forget_multi = opForgetMulti,
    .getattr = opGetattr,
    .setattr = opSetattr,
    .readlink = opReadlink,
    .opendir = opOpendir,
    .readdir = opReaddir,
    .releasedir = opReleasedir,
    .open = opOpen,
    .read = opRead,
    .write = opWrite,
    .release = opRelease,
    .statfs = opStatfs,
};

/* Returns the low-level operations; the session's userdata is a SimHost.
 * Call simFuseCleanup() after the session ends. */
const struct fuse_lowlevel_ops *
simFuseOps(void)
{
    if (!liveDirs) {
        liveDirs = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                         dirHandleFree, NULL);
        liveFiles = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                          fileHandleFree, NULL);
    }
    return &ops;
}

/**
 * simFuseSetSession:
 * @se: the session serving simFuseOps()
 *
 * Lets the kernel cache entries, attributes and link targets: removals
 * are then announced on @se. Call simFuseStop() when its loop ends.
 */
void
simFuseSetSession(struct fuse_session *se)
{
    session = se;
}

/**
 * simFuseStop: answers the writes still waiting for invalidations
 * (without sending them: nobody is left to look) and ends the notifier
 * thread. Call after the session's loop, before it is destroyed.
 */
void
simFuseStop(void)
{
    if (notifier) {
        g_atomic_int_set(&stopping, 1);
        g_async_queue_push(deferred, GINT_TO_POINTER(1));
        g_thread_join(notifier);
        notifier = NULL;
        g_clear_pointer(&deferred, g_async_queue_unref);
    }
    session = NULL;
}

/* Frees the handles of files and directories still open at the end. */
void
simFuseCleanup(void)
{
    g_clear_pointer(&liveDirs, g_hash_table_unref);
    g_clear_pointer(&liveFiles, g_hash_table_unref);
}
