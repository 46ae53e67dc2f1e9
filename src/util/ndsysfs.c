/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A sysfs tree under a root directory: safe, bounded reads and raw writes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include <glib/gstdio.h>

#include "util/ndsysfs.h"
#include "util/nderror.h"
#include "util/ndinternal.h"
#include "util/ndlog.h"
#include "util/ndfile.h"

/* A directory listing bigger than this is a hostile tree, not sysfs
 * (a large SR-IOV host has a few thousand PCI functions). */
#define SYSFS_LIST_MAX 65536

struct _ndSysfs {
    char *root;         /* as given */
    char *root_real;    /* canonical, for the fallback containment check */
    int root_fd;        /* O_PATH directory */
    char *pci_ids_path;
};

static const char *const pci_ids_paths[] = {
    "/usr/share/misc/pci.ids",
    "/usr/share/hwdata/pci.ids",
};

/* Set once openat2() is known not to work here: kernels before 5.6 say
 * ENOSYS, and older container seccomp profiles deny unknown system calls
 * with EPERM. */
static gint no_openat2;

static int sysfsOpenat2(int dirfd, const char *relpath, int flags);
static int sysfsFdRelpath(ndSysfs *sysfs, int fd, const char *relpath,
                          char **ret_relpath);

/* Opening the root itself cannot fail for a legitimate reason: if it does,
 * openat2() is unusable and every open takes the fallback. */
static void
sysfsProbeOpenat2(int root_fd)
{
    int fd;

    if (g_atomic_int_get(&no_openat2))
        return;
    fd = sysfsOpenat2(root_fd, ".", O_PATH | O_DIRECTORY);
    if (fd >= 0) {
        close(fd);
        return;
    }
    ND_DEBUG("openat2() unusable (%s): checking opens by hand",
             g_strerror(errno));
    g_atomic_int_set(&no_openat2, 1);
}

/**
 * ndSysfsNew:
 * @root: the directory to treat as /sys
 *
 * Returns a new ndSysfs, or NULL with an error (ND_ERR_SYSTEM_ERROR if
 * @root cannot be opened as a directory, ND_ERR_INVALID_ARG if it is NULL
 * or empty).  Free with ndSysfsFree().
 */
ndSysfs *
ndSysfsNew(const char *root)
{
    g_autoptr(ndSysfs) sysfs = NULL;
    size_t i;

    if (!root || !*root) {
        ndReportError(ND_ERR_INVALID_ARG, _("empty sysfs root directory"));
        return NULL;
    }

    sysfs = g_new0(ndSysfs, 1);
    sysfs->root_fd = -1;
    sysfs->root = g_strdup(root);
    sysfs->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (sysfs->root_fd < 0) {
        ndReportSystemError(errno, _("cannot open sysfs root directory '%1$s'"),
                            root);
        return NULL;
    }
    if (!(sysfs->root_real = realpath(root, NULL))) {
        ndReportSystemError(errno, _("cannot resolve sysfs root directory '%1$s'"),
                            root);
        return NULL;
    }
    sysfsProbeOpenat2(sysfs->root_fd);

    for (i = 0; i < G_N_ELEMENTS(pci_ids_paths); i++) {
        if (access(pci_ids_paths[i], R_OK) == 0) {
            sysfs->pci_ids_path = g_strdup(pci_ids_paths[i]);
            break;
        }
    }

    return g_steal_pointer(&sysfs);
}

/**
 * ndSysfsFree:
 * @sysfs: an ndSysfs or NULL
 *
 * Closes the root and frees @sysfs.
 */
void
ndSysfsFree(ndSysfs *sysfs)
{
    if (!sysfs)
        return;
    if (sysfs->root_fd >= 0)
        close(sysfs->root_fd);
    g_free(sysfs->root);
    free(sysfs->root_real);
    g_free(sysfs->pci_ids_path);
    g_free(sysfs);
}

/**
 * ndSysfsGetRoot:
 * @sysfs: the tree
 *
 * Returns the root as given to ndSysfsNew(), borrowed from @sysfs.
 */
const char *
ndSysfsGetRoot(ndSysfs *sysfs)
{
    return sysfs->root;
}

/**
 * ndSysfsSetPciIdsPath:
 * @sysfs: the tree
 * @path: a pci.ids file, or NULL for no names
 *
 * Chooses the pci.ids database used for vendor and product names.
 */
void
ndSysfsSetPciIdsPath(ndSysfs *sysfs, const char *path)
{
    g_free(sysfs->pci_ids_path);
    sysfs->pci_ids_path = g_strdup(path);
}

/**
 * ndSysfsGetPciIdsPath:
 * @sysfs: the tree
 *
 * Returns the pci.ids path in use (borrowed) or NULL.
 */
const char *
ndSysfsGetPciIdsPath(ndSysfs *sysfs)
{
    return sysfs->pci_ids_path;
}

/**
 * ndSysfsBuildPath:
 * @sysfs: the tree
 * @relpath: a path relative to the root
 *
 * Returns root + "/" + @relpath, newly allocated.
 */
char *
ndSysfsBuildPath(ndSysfs *sysfs, const char *relpath)
{
    return g_build_filename(sysfs->root, relpath, NULL);
}

/**
 * ndSysfsNameIsSafe:
 * @name: a path component that came from a client
 *
 * Returns true if @name can be used as exactly one path component: not
 * NULL or empty, not "." or "..", no '/', no control characters (which
 * excludes NUL-free tricks such as newlines in sysfs writes), and at most
 * ND_SYSFS_NAME_MAX bytes.
 */
bool
ndSysfsNameIsSafe(const char *name)
{
    size_t len;
    const char *p;

    if (!name)
        return false;
    len = strnlen(name, ND_SYSFS_NAME_MAX + 1);
    if (len == 0 || len > ND_SYSFS_NAME_MAX)
        return false;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (p = name; *p; p++) {
        if (*p == '/' || g_ascii_iscntrl(*p))
            return false;
    }
    return true;
}

/**
 * ndSysfsNameEscape:
 * @name: any string or NULL
 *
 * Returns @name with control and non-ASCII bytes escaped C-style, cut to
 * a readable length, for use in an error message.  Caller frees.
 */
char *
ndSysfsNameEscape(const char *name)
{
    g_autofree char *cut = NULL;

    if (!name)
        return g_strdup("(null)");
    cut = g_strndup(name, 2 * ND_SYSFS_NAME_MAX);
    return g_strescape(cut, NULL);
}

/* openat2() with RESOLVE_BENEATH is the containment check; the kernel
 * returns EAGAIN when a concurrent rename may have raced a ".." step. */
static int
sysfsOpenat2(int dirfd, const char *relpath, int flags)
{
    struct open_how how = {
        .flags = (guint64) (flags | O_CLOEXEC),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    int tries;
    long fd = -1;

    for (tries = 0; tries < 16; tries++) {
        fd = syscall(SYS_openat2, dirfd, relpath, &how, sizeof(how));
        if (fd >= 0 || errno != EAGAIN)
            break;
    }
    return (int) fd;
}

static int
sysfsFdGetPath(int fd, char **ret_path)
{
    char proc[64];
    char buf[PATH_MAX + 1];
    ssize_t n;

    g_snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    n = readlink(proc, buf, sizeof(buf) - 1);
    if (n < 0)
        return -1;
    if ((size_t) n >= sizeof(buf) - 1) {
        errno = ENAMETOOLONG;
        return -1;
    }
    buf[n] = '\0';
    *ret_path = g_strdup(buf);
    return 0;
}

/* True if @path is @base or inside it. */
static bool
pathIsBeneath(const char *path, const char *base)
{
    size_t len = strlen(base);

    if (strcmp(base, "/") == 0)
        return true;
    return strncmp(path, base, len) == 0 &&
           (path[len] == '/' || path[len] == '\0');
}

/* Old kernels without openat2(): open, then check that it landed beneath
 * @dirfd (the root or an ndSysfsDir), as RESOLVE_BENEATH would. */
static int
sysfsOpenFallback(ndSysfs *sysfs, int dirfd, const char *relpath, int flags)
{
    int fd = openat(dirfd, relpath, flags | O_CLOEXEC);
    g_autofree char *where = NULL;
    g_autofree char *base = NULL;

    if (fd < 0)
        return -1;
    if (dirfd == sysfs->root_fd)
        base = g_strdup(sysfs->root_real);
    if ((!base && sysfsFdGetPath(dirfd, &base) < 0) ||
        sysfsFdGetPath(fd, &where) < 0 ||
        !pathIsBeneath(where, base)) {
        close(fd);
        errno = EXDEV;
        return -1;
    }
    return fd;
}

/* Where a relative name is looked up: the root or an open directory of
 * the tree, with that directory's path for messages ("" for the root). */
typedef struct {
    ndSysfs *sysfs;
    int dirfd;
    const char *dir_rel;
} sysfsLoc;

struct _ndSysfsDir {
    ndSysfs *sysfs;     /* borrowed */
    int fd;             /* O_PATH directory */
    char *relpath;
};

static sysfsLoc
rootLoc(ndSysfs *sysfs)
{
    sysfsLoc loc = { sysfs, sysfs->root_fd, "" };

    return loc;
}

static sysfsLoc
dirLoc(ndSysfsDir *dir)
{
    sysfsLoc loc = { dir->sysfs, dir->fd, dir->relpath };

    return loc;
}

/* The full path of @name at @loc, for messages. */
static char *
locPath(sysfsLoc loc, const char *name)
{
    if (!*loc.dir_rel)
        return g_build_filename(loc.sysfs->root, name, NULL);
    return g_build_filename(loc.sysfs->root, loc.dir_rel, name, NULL);
}

static int
locOpen(sysfsLoc loc, const char *name, int flags)
{
    int fd;

    if (!name || name[0] == '/' || name[0] == '\0') {
        errno = EINVAL;
        return -1;
    }
    if (!g_atomic_int_get(&no_openat2)) {
        fd = sysfsOpenat2(loc.dirfd, name, flags);
        if (fd >= 0 || errno != ENOSYS)
            return fd;
        g_atomic_int_set(&no_openat2, 1);
    }
    return sysfsOpenFallback(loc.sysfs, loc.dirfd, name, flags);
}

/**
 * ndSysfsOpen:
 * @sysfs: the tree
 * @relpath: a path relative to the root
 * @flags: open(2) flags (O_CLOEXEC is always added)
 *
 * Opens @relpath so that resolution never leaves the root: absolute
 * symlinks and ".." steps above the root fail with EXDEV.  Returns the fd
 * or -1 with errno set; reports nothing.
 */
int
ndSysfsOpen(ndSysfs *sysfs, const char *relpath, int flags)
{
    return locOpen(rootLoc(sysfs), relpath, flags);
}

static void
locReportOpenError(sysfsLoc loc, int errnum, const char *name)
{
    g_autofree char *path = locPath(loc, name);

    if (errnum == EXDEV) {
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("sysfs path '%1$s' leads out of the sysfs root"), path);
        return;
    }
    ndReportSystemError(errnum, _("cannot open sysfs file '%1$s'"), path);
}

static void
sysfsReportOpenError(ndSysfs *sysfs, int errnum, const char *relpath)
{
    locReportOpenError(rootLoc(sysfs), errnum, relpath);
}

/* 1 if @fd is a regular file, 0 if not, -1 with errno set. Only the type
 * is asked, from what the kernel has: an open file's type never changes,
 * and on FUSE (mdevsim) a full fstat() after a read is a GETATTR round
 * trip (reading made the cached atime stale). */
static int
fdIsRegular(int fd)
{
    struct statx stx;
    struct stat st;

    if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &stx) == 0 &&
        (stx.stx_mask & STATX_TYPE))
        return S_ISREG(stx.stx_mode) ? 1 : 0;
    if (fstat(fd, &st) < 0)
        return -1;
    return S_ISREG(st.st_mode) ? 1 : 0;
}

static bool
errnoIsMissing(int errnum)
{
    return errnum == ENOENT || errnum == ENOTDIR;
}

/* Reads at most @max bytes of @fd; sets *ret_truncated if there was more.
 * *ret_data gets exactly the bytes read and a NUL.
 *
 * A sysfs attribute is at most a page, so the read goes to a page on the
 * stack and only a larger file (a hostile tree's) makes the buffer grow
 * towards @max.  Allocating @max up front cost 64 KiB per attribute read,
 * and was kept as the value: a string read from sysfs held 64 KiB. */
#define SYSFS_READ_STACK 4096

static int
sysfsReadFd(int fd, size_t max, char **ret_data, size_t *ret_len,
            bool *ret_truncated)
{
    char stackbuf[SYSFS_READ_STACK];
    g_autofree char *heapbuf = NULL;
    char *buf = stackbuf;
    size_t cap = MIN(max + 1, sizeof(stackbuf));
    size_t len = 0;

    /* Read one byte more than allowed to tell "exactly max" from "more". */
    while (len < max + 1) {
        size_t want;
        ssize_t n;

        if (len == cap) {
            cap = MIN(max + 1, cap * 4);
            if (buf == stackbuf) {
                heapbuf = g_malloc(cap);
                memcpy(heapbuf, stackbuf, len);
            } else {
                heapbuf = g_realloc(heapbuf, cap);
            }
            buf = heapbuf;
        }
        want = cap - len;
        n = read(fd, buf + len, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        len += n;
        /* Only regular files get here (locOpenRegular()), and a short read
         * of a regular file is its end: sysfs hands out a whole attribute
         * in one read. Asking again for the 0 would be one more round trip
         * per file on FUSE (mdevsim). */
        if ((size_t) n < want)
            break;
    }
    *ret_truncated = len > max;
    if (len > max)
        len = max;
    *ret_data = g_malloc(len + 1);
    memcpy(*ret_data, buf, len);
    (*ret_data)[len] = '\0';
    *ret_len = len;
    return 0;
}

/* Opens @name for reading and checks it is a regular file.
 * Returns the fd, -2 if missing, -1 with an error reported. */
static int
locOpenRegular(sysfsLoc loc, const char *name)
{
    int fd;

    /* O_NONBLOCK: a FIFO planted in the tree must not hang us. */
    fd = locOpen(loc, name, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errnoIsMissing(errno))
            return -2;
        locReportOpenError(loc, errno, name);
        return -1;
    }
    if (fdIsRegular(fd) != 1) {
        g_autofree char *path = locPath(loc, name);

        close(fd);
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("sysfs file '%1$s' is not a regular file"), path);
        return -1;
    }
    return fd;
}

static int
locReadFile(sysfsLoc loc, const char *name, size_t max,
            char **ret_data, size_t *ret_len)
{
    ND_AUTOCLOSE int fd = -1;
    g_autofree char *data = NULL;
    size_t len = 0;
    bool truncated = false;

    if (max > ND_SYSFS_READ_MAX)
        max = ND_SYSFS_READ_MAX;
    fd = locOpenRegular(loc, name);
    if (fd == -2) {
        fd = -1;
        *ret_data = NULL;
        if (ret_len)
            *ret_len = 0;
        return 0;
    }
    if (fd < 0)
        return -1;
    if (sysfsReadFd(fd, max, &data, &len, &truncated) < 0) {
        g_autofree char *path = locPath(loc, name);

        ndReportSystemError(errno, _("cannot read sysfs file '%1$s'"), path);
        return -1;
    }
    *ret_data = g_steal_pointer(&data);
    if (ret_len)
        *ret_len = len;
    return 0;
}

static int
locReadString(sysfsLoc loc, const char *name, char **ret_value)
{
    ND_AUTOCLOSE int fd = -1;
    g_autofree char *data = NULL;
    size_t len = 0;
    bool truncated = false;

    fd = locOpenRegular(loc, name);
    if (fd == -2) {
        fd = -1;
        *ret_value = NULL;
        return 0;
    }
    if (fd < 0)
        return -1;
    if (sysfsReadFd(fd, ND_SYSFS_READ_MAX, &data, &len, &truncated) < 0) {
        g_autofree char *path = locPath(loc, name);

        ndReportSystemError(errno, _("cannot read sysfs file '%1$s'"), path);
        return -1;
    }
    if (truncated) {
        g_autofree char *path = locPath(loc, name);

        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("sysfs file '%1$s' is larger than %2$d bytes"),
                      path, ND_SYSFS_READ_MAX);
        return -1;
    }
    if (memchr(data, '\0', len)) {
        g_autofree char *path = locPath(loc, name);

        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("sysfs file '%1$s' is not a text file"), path);
        return -1;
    }
    g_strchomp(data);
    *ret_value = g_steal_pointer(&data);
    return 0;
}

static void
reportNotNumber(const char *path, const char *value)
{
    g_autofree char *shown = ndSysfsNameEscape(value);

    ndReportError(ND_ERR_INTERNAL_ERROR,
                  _("cannot parse '%1$s' in sysfs file '%2$s' as a number"),
                  shown, path);
}

static void
locReportNotNumber(sysfsLoc loc, const char *name, const char *value)
{
    g_autofree char *path = locPath(loc, name);

    reportNotNumber(path, value);
}

/* Parses @value as ndSysfsReadUInt() does; FALSE if it is not a number. */
static bool
parseUInt(const char *value, unsigned int base, unsigned int *ret_value)
{
    const char *digits = value;
    guint64 num = 0;

    if (base == 0 || base == 16) {
        if (g_str_has_prefix(value, "0x") || g_str_has_prefix(value, "0X")) {
            digits = value + 2;
            base = 16;
        } else if (base == 0) {
            base = 10;
        }
    }
    if (!g_ascii_string_to_unsigned(digits, base, 0, G_MAXUINT, &num, NULL))
        return false;
    *ret_value = (unsigned int) num;
    return true;
}

static int
locReadUInt(sysfsLoc loc, const char *name, unsigned int base,
            unsigned int *ret_value)
{
    g_autofree char *value = NULL;

    if (locReadString(loc, name, &value) < 0)
        return -1;
    if (!value)
        return 0;
    if (!parseUInt(value, base, ret_value)) {
        locReportNotNumber(loc, name, value);
        return -1;
    }
    return 1;
}

static int
locReadInt(sysfsLoc loc, const char *name, int *ret_value)
{
    g_autofree char *value = NULL;
    gint64 num = 0;

    if (locReadString(loc, name, &value) < 0)
        return -1;
    if (!value)
        return 0;
    if (!g_ascii_string_to_signed(value, 10, G_MININT, G_MAXINT, &num, NULL)) {
        locReportNotNumber(loc, name, value);
        return -1;
    }
    *ret_value = (int) num;
    return 1;
}

static int
locReadLink(sysfsLoc loc, const char *name, char **ret_target)
{
    g_autofree char *dir = g_path_get_dirname(name);
    g_autofree char *base = g_path_get_basename(name);
    ND_AUTOCLOSE int dirfd = -1;
    char buf[PATH_MAX + 1];
    ssize_t n;

    *ret_target = NULL;
    /* a name in @loc itself: its directory fd as it is, no copy */
    if (strcmp(dir, ".") != 0) {
        dirfd = locOpen(loc, dir, O_PATH | O_DIRECTORY);
        if (dirfd < 0) {
            if (errnoIsMissing(errno))
                return 0;
            locReportOpenError(loc, errno, dir);
            return -1;
        }
    }
    n = readlinkat(dirfd >= 0 ? dirfd : loc.dirfd, base, buf, sizeof(buf) - 1);
    if (n < 0) {
        g_autofree char *path = NULL;

        if (errnoIsMissing(errno) || errno == EINVAL)
            return 0;
        path = locPath(loc, name);
        ndReportSystemError(errno, _("cannot read sysfs link '%1$s'"), path);
        return -1;
    }
    if ((size_t) n >= sizeof(buf) - 1) {
        g_autofree char *path = locPath(loc, name);

        ndReportSystemError(ENAMETOOLONG, _("cannot read sysfs link '%1$s'"),
                            path);
        return -1;
    }
    buf[n] = '\0';
    *ret_target = g_strdup(buf);
    return 0;
}

static int
locReadLinkBasename(sysfsLoc loc, const char *name, char **ret_name)
{
    g_autofree char *target = NULL;
    g_autofree char *base = NULL;

    *ret_name = NULL;
    if (locReadLink(loc, name, &target) < 0)
        return -1;
    if (!target)
        return 0;
    base = g_path_get_basename(target);
    if (!ndSysfsNameIsSafe(base))
        return 0;
    *ret_name = g_steal_pointer(&base);
    return 0;
}

static int
compareNames(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Lists @fd's entries without "." and "..". getdents64() rather than
 * readdir(): fdopendir() costs an fstat() and two fcntl()s, and on FUSE
 * (mdevsim) the fstat() is a GETATTR round trip.
 * Returns 0, -1 with errno set, or -2 for more than SYSFS_LIST_MAX. */
static int
fdListNames(int fd, GPtrArray *names)
{
    g_autofree char *buf = g_malloc(32768);

    for (;;) {
        ssize_t n = getdents64(fd, buf, 32768);
        ssize_t off = 0;

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            return 0;
        while (off < n) {
            struct dirent64 *ent = (struct dirent64 *) (buf + off);

            off += ent->d_reclen;
            if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
                continue;
            if (names->len >= SYSFS_LIST_MAX)
                return -2;
            g_ptr_array_add(names, g_strdup(ent->d_name));
        }
    }
}

static int
locListDir(sysfsLoc loc, const char *name, char ***ret_names)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    ND_AUTOCLOSE int fd = -1;
    int rc;

    *ret_names = NULL;
    fd = locOpen(loc, name, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        if (errnoIsMissing(errno))
            return 0;
        locReportOpenError(loc, errno, name);
        return -1;
    }
    if ((rc = fdListNames(fd, names)) == -2) {
        g_autofree char *path = locPath(loc, name);

        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("sysfs directory '%1$s' has more than %2$d entries"),
                      path, SYSFS_LIST_MAX);
        return -1;
    }
    if (rc < 0) {
        g_autofree char *path = locPath(loc, name);

        ndReportSystemError(errno, _("cannot list sysfs directory '%1$s'"), path);
        return -1;
    }
    g_ptr_array_sort(names, compareNames);
    g_ptr_array_add(names, NULL);
    g_ptr_array_set_free_func(names, NULL);
    *ret_names = (char **) g_ptr_array_free(g_steal_pointer(&names), FALSE);
    return 0;
}

static bool
locIsDir(sysfsLoc loc, const char *name)
{
    ND_AUTOCLOSE int fd = locOpen(loc, name, O_PATH | O_DIRECTORY);

    return fd >= 0;
}

/* ---- reads relative to the root ----------------------------------------- */

/**
 * ndSysfsReadFile:
 * @sysfs: the tree
 * @relpath: a file relative to the root
 * @max: how many bytes to read at most (at most ND_SYSFS_READ_MAX)
 * @ret_data: the bytes, NUL-terminated, or NULL if the file is missing
 * @ret_len: their number (may be NULL)
 *
 * Returns 0 (with *ret_data NULL if missing) or -1 with an error.
 */
int
ndSysfsReadFile(ndSysfs *sysfs, const char *relpath, size_t max,
                char **ret_data, size_t *ret_len)
{
    return locReadFile(rootLoc(sysfs), relpath, max, ret_data, ret_len);
}

/**
 * ndSysfsReadString:
 * @sysfs: the tree
 * @relpath: a text attribute relative to the root
 * @ret_value: its value without trailing whitespace, or NULL if missing
 *
 * Returns 0, or -1 with an error if the file cannot be read, is larger
 * than ND_SYSFS_READ_MAX bytes or holds a NUL byte.
 */
int
ndSysfsReadString(ndSysfs *sysfs, const char *relpath, char **ret_value)
{
    return locReadString(rootLoc(sysfs), relpath, ret_value);
}

/**
 * ndSysfsReadUInt:
 * @sysfs: the tree
 * @relpath: an attribute relative to the root
 * @base: 10 or 16, or 0 for hex with a "0x" prefix and decimal without
 * @ret_value: the number
 *
 * Returns 1 with *ret_value set, 0 if the file is missing, -1 with an error
 * if it is unreadable or not a number of that base fitting an unsigned int.
 */
int
ndSysfsReadUInt(ndSysfs *sysfs, const char *relpath,
                unsigned int base, unsigned int *ret_value)
{
    return locReadUInt(rootLoc(sysfs), relpath, base, ret_value);
}

/**
 * ndSysfsReadInt:
 * @sysfs: the tree
 * @relpath: an attribute relative to the root
 * @ret_value: the number
 *
 * Reads a signed decimal int.  Returns 1, 0 if missing, -1 with an error.
 */
int
ndSysfsReadInt(ndSysfs *sysfs, const char *relpath, int *ret_value)
{
    return locReadInt(rootLoc(sysfs), relpath, ret_value);
}

/**
 * ndSysfsReadLink:
 * @sysfs: the tree
 * @relpath: a symlink relative to the root
 * @ret_target: its target text, or NULL if missing or not a link
 *
 * Returns 0, or -1 with an error.
 */
int
ndSysfsReadLink(ndSysfs *sysfs, const char *relpath, char **ret_target)
{
    return locReadLink(rootLoc(sysfs), relpath, ret_target);
}

/**
 * ndSysfsReadLinkBasename:
 * @sysfs: the tree
 * @relpath: a symlink relative to the root
 * @ret_name: the last component of its target, or NULL
 *
 * Returns 0 (NULL if missing, not a link, or the target has no usable
 * last component), -1 with an error.
 */
int
ndSysfsReadLinkBasename(ndSysfs *sysfs, const char *relpath, char **ret_name)
{
    return locReadLinkBasename(rootLoc(sysfs), relpath, ret_name);
}

/**
 * ndSysfsResolve:
 * @sysfs: the tree
 * @relpath: a path relative to the root, possibly through symlinks
 * @ret_relpath: the canonical path relative to the root, or NULL
 *
 * Returns 0 (NULL if it does not exist, including a dangling link), -1 with
 * an error if it leads out of the root, loops, or cannot be resolved.
 */
int
ndSysfsResolve(ndSysfs *sysfs, const char *relpath, char **ret_relpath)
{
    ND_AUTOCLOSE int fd = -1;

    *ret_relpath = NULL;
    fd = ndSysfsOpen(sysfs, relpath, O_PATH);
    if (fd < 0) {
        if (errnoIsMissing(errno))
            return 0;
        sysfsReportOpenError(sysfs, errno, relpath);
        return -1;
    }
    return sysfsFdRelpath(sysfs, fd, relpath, ret_relpath);
}

/* The canonical path relative to the root of @fd, opened from @relpath
 * (for messages).  Returns 0, or -1 with an error if it is outside. */
static int
sysfsFdRelpath(ndSysfs *sysfs, int fd, const char *relpath, char **ret_relpath)
{
    g_autofree char *where = NULL;
    size_t rlen = strlen(sysfs->root_real);
    const char *rest;

    if (sysfsFdGetPath(fd, &where) < 0) {
        g_autofree char *path = ndSysfsBuildPath(sysfs, relpath);

        ndReportSystemError(errno, _("cannot resolve sysfs path '%1$s'"), path);
        return -1;
    }
    if (strcmp(sysfs->root_real, "/") == 0) {
        rest = where;
    } else if (strncmp(where, sysfs->root_real, rlen) == 0 &&
               (where[rlen] == '/' || where[rlen] == '\0')) {
        rest = where + rlen;
    } else {
        sysfsReportOpenError(sysfs, EXDEV, relpath);
        return -1;
    }
    while (*rest == '/')
        rest++;
    *ret_relpath = g_strdup(rest);
    return 0;
}

/**
 * ndSysfsListDir:
 * @sysfs: the tree
 * @relpath: a directory relative to the root
 * @ret_names: sorted entry names (NULL-terminated), or NULL if missing
 *
 * Returns 0, or -1 with an error (unreadable, or more than 65536 entries).
 */
int
ndSysfsListDir(ndSysfs *sysfs, const char *relpath, char ***ret_names)
{
    return locListDir(rootLoc(sysfs), relpath, ret_names);
}

/**
 * ndSysfsExists:
 * @sysfs: the tree
 * @relpath: a path relative to the root
 *
 * Returns true if @relpath resolves to something beneath the root.
 */
bool
ndSysfsExists(ndSysfs *sysfs, const char *relpath)
{
    ND_AUTOCLOSE int fd = ndSysfsOpen(sysfs, relpath, O_PATH);

    return fd >= 0;
}

/**
 * ndSysfsIsDir:
 * @sysfs: the tree
 * @relpath: a path relative to the root
 *
 * Returns true if @relpath resolves to a directory beneath the root.
 */
bool
ndSysfsIsDir(ndSysfs *sysfs, const char *relpath)
{
    return locIsDir(rootLoc(sysfs), relpath);
}

/* ---- reads relative to an open directory -------------------------------- */

static int
locDirOpen(sysfsLoc loc, const char *name, ndSysfsDir **ret_dir)
{
    ndSysfsDir *dir;
    int fd;

    *ret_dir = NULL;
    fd = locOpen(loc, name, O_PATH | O_DIRECTORY);
    if (fd < 0) {
        if (errnoIsMissing(errno))
            return 0;
        locReportOpenError(loc, errno, name);
        return -1;
    }
    dir = g_new0(ndSysfsDir, 1);
    dir->sysfs = loc.sysfs;
    dir->fd = fd;
    if (*loc.dir_rel)
        dir->relpath = g_build_filename(loc.dir_rel, name, NULL);
    else
        dir->relpath = g_strdup(name);
    *ret_dir = dir;
    return 0;
}

/**
 * ndSysfsDirOpen:
 * @sysfs: the tree (must outlive the directory)
 * @relpath: a directory relative to the root (links followed inside it)
 * @ret_dir: the open directory, or NULL if it does not exist
 *
 * Opens a directory once so that many of its files can be read without
 * resolving its path again (each path component costs a lookup, which on
 * a FUSE tree is a round trip).  Returns 0, or -1 with an error.
 */
int
ndSysfsDirOpen(ndSysfs *sysfs, const char *relpath, ndSysfsDir **ret_dir)
{
    return locDirOpen(rootLoc(sysfs), relpath, ret_dir);
}

/**
 * ndSysfsDirOpenResolved:
 * @sysfs: the tree (must outlive the directory)
 * @relpath: a path relative to the root, possibly through symlinks
 * @ret_dir: the open directory, its relpath canonical, or NULL if it does
 *           not exist
 *
 * ndSysfsResolve() then ndSysfsDirOpen() of the result, in one walk of the
 * path instead of two.  Returns as the pair would: 0, or -1 with an error
 * (leads out of the root, loops, not a directory).
 */
int
ndSysfsDirOpenResolved(ndSysfs *sysfs, const char *relpath,
                       ndSysfsDir **ret_dir)
{
    g_autofree char *canon = NULL;
    ndSysfsDir *dir;
    int fd;

    *ret_dir = NULL;
    fd = ndSysfsOpen(sysfs, relpath, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOTDIR) {
        /* a missing step, or a target that is no directory: the pair
         * tells them apart (the second is an error) */
        if (ndSysfsResolve(sysfs, relpath, &canon) < 0)
            return -1;
        if (!canon)
            return 0;
        return ndSysfsDirOpen(sysfs, canon, ret_dir);
    }
    if (fd < 0) {
        if (errnoIsMissing(errno))
            return 0;
        sysfsReportOpenError(sysfs, errno, relpath);
        return -1;
    }
    if (sysfsFdRelpath(sysfs, fd, relpath, &canon) < 0) {
        close(fd);
        return -1;
    }
    dir = g_new0(ndSysfsDir, 1);
    dir->sysfs = sysfs;
    dir->fd = fd;
    dir->relpath = g_steal_pointer(&canon);
    *ret_dir = dir;
    return 0;
}

/**
 * ndSysfsDirOpenAt:
 * @dir: an open directory
 * @name: a subdirectory of it
 * @ret_dir: the open subdirectory, or NULL if it does not exist
 *
 * Returns 0, or -1 with an error.
 */
int
ndSysfsDirOpenAt(ndSysfsDir *dir, const char *name, ndSysfsDir **ret_dir)
{
    return locDirOpen(dirLoc(dir), name, ret_dir);
}

/**
 * ndSysfsDirFree:
 * @dir: an open directory or NULL
 *
 * Closes and frees @dir.
 */
void
ndSysfsDirFree(ndSysfsDir *dir)
{
    if (!dir)
        return;
    if (dir->fd >= 0)
        close(dir->fd);
    g_free(dir->relpath);
    g_free(dir);
}

/**
 * ndSysfsDirGetRelpath:
 * @dir: an open directory
 *
 * Returns the path @dir was opened with, relative to the root (borrowed,
 * valid while @dir lives).
 */
const char *
ndSysfsDirGetRelpath(ndSysfsDir *dir)
{
    return dir->relpath;
}

/**
 * ndSysfsDirReadFile:
 * @dir: an open directory
 * @name: a file beneath it
 * @max: how many bytes to read at most
 * @ret_data: the bytes, or NULL if missing
 * @ret_len: their number (may be NULL)
 *
 * As ndSysfsReadFile().
 */
int
ndSysfsDirReadFile(ndSysfsDir *dir, const char *name, size_t max,
                   char **ret_data, size_t *ret_len)
{
    return locReadFile(dirLoc(dir), name, max, ret_data, ret_len);
}

/**
 * ndSysfsDirReadString:
 * @dir: an open directory
 * @name: a text attribute beneath it
 * @ret_value: its value, or NULL if missing
 *
 * As ndSysfsReadString().
 */
int
ndSysfsDirReadString(ndSysfsDir *dir, const char *name, char **ret_value)
{
    return locReadString(dirLoc(dir), name, ret_value);
}

/**
 * ndSysfsDirReadUInt:
 * @dir: an open directory
 * @name: an attribute beneath it
 * @base: as for ndSysfsReadUInt()
 * @ret_value: the number
 *
 * As ndSysfsReadUInt(): 1, 0 if missing, -1 with an error.
 */
int
ndSysfsDirReadUInt(ndSysfsDir *dir, const char *name, unsigned int base,
                   unsigned int *ret_value)
{
    return locReadUInt(dirLoc(dir), name, base, ret_value);
}

/**
 * ndSysfsDirReadInt:
 * @dir: an open directory
 * @name: an attribute beneath it
 * @ret_value: the number
 *
 * As ndSysfsReadInt(): 1, 0 if missing, -1 with an error.
 */
int
ndSysfsDirReadInt(ndSysfsDir *dir, const char *name, int *ret_value)
{
    return locReadInt(dirLoc(dir), name, ret_value);
}

/**
 * ndSysfsDirReadLinkBasename:
 * @dir: an open directory
 * @name: a symlink beneath it
 * @ret_name: the last component of its target, or NULL
 *
 * As ndSysfsReadLinkBasename().
 */
int
ndSysfsDirReadLinkBasename(ndSysfsDir *dir, const char *name, char **ret_name)
{
    return locReadLinkBasename(dirLoc(dir), name, ret_name);
}

/**
 * ndSysfsDirListDir:
 * @dir: an open directory
 * @name: a directory beneath it, or "." for @dir itself
 * @ret_names: sorted entry names, or NULL if missing
 *
 * As ndSysfsListDir().
 */
int
ndSysfsDirListDir(ndSysfsDir *dir, const char *name, char ***ret_names)
{
    return locListDir(dirLoc(dir), name, ret_names);
}

/**
 * ndSysfsDirIsDir:
 * @dir: an open directory
 * @name: a path beneath it
 *
 * Returns true if @name is a directory beneath @dir (and the root).
 */
bool
ndSysfsDirIsDir(ndSysfsDir *dir, const char *name)
{
    return locIsDir(dirLoc(dir), name);
}

/* ---- attributes kept open ---------------------------------------------- */

struct _ndSysfsFile {
    int fd;
    char *path;         /* full, for messages */
};

/* Files kept open at once, over every tree: at most a quarter of the
 * soft limit on open files (read once), so that kept files never starve
 * clients, tree walks or writes of descriptors. */
static gint kept_files;

static gint
keptFilesMax(void)
{
    static gsize max;

    if (g_once_init_enter(&max)) {
        struct rlimit rl;
        gsize m = 256;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
            m = rl.rlim_cur == RLIM_INFINITY ? G_MAXINT : rl.rlim_cur / 4;
        g_once_init_leave(&max, CLAMP(m, 1, (gsize) G_MAXINT / 2));
    }
    return (gint) max;
}

/**
 * ndSysfsDirOpenFile:
 * @dir: an open directory
 * @name: an attribute beneath it
 * @ret_file: the attribute, open for reading, or NULL
 *
 * Opens @name to be read again and again with ndSysfsFileReadUInt(): a
 * sysfs attribute makes its value afresh when read from offset 0 (kernfs
 * calls the attribute's show() again; mdevsim does the same), so a value
 * read often costs one read instead of an open, a read and a close.
 *
 * Returns 1 with *@ret_file; 0 with NULL if @name is missing, or if the
 * process keeps as many files open as it may (a quarter of its soft limit
 * on open files): read it by name then; -1 with an error (not a regular
 * file, leads out of the root, cannot be opened).
 */
int
ndSysfsDirOpenFile(ndSysfsDir *dir, const char *name, ndSysfsFile **ret_file)
{
    ndSysfsFile *file;
    int fd;

    *ret_file = NULL;
    if (g_atomic_int_add(&kept_files, 1) >= keptFilesMax()) {
        g_atomic_int_add(&kept_files, -1);
        return 0;
    }
    fd = locOpenRegular(dirLoc(dir), name);
    if (fd < 0) {
        g_atomic_int_add(&kept_files, -1);
        return fd == -2 ? 0 : -1;
    }
    file = g_new0(ndSysfsFile, 1);
    file->fd = fd;
    file->path = locPath(dirLoc(dir), name);
    *ret_file = file;
    return 1;
}

/**
 * ndSysfsFileReadUInt:
 * @file: an attribute kept open
 * @base: as for ndSysfsReadUInt()
 * @ret_value: the number
 *
 * Reads @file afresh, from offset 0, in one read.
 * Returns 1 with *@ret_value; 0 if the attribute is gone (ENODEV, ENOENT,
 * ESTALE: its device was removed or unregistered; ENOTCONN: a FUSE tree
 * went away), and then it never comes back: drop @file and look the
 * attribute up by name; -1 with an error (unreadable, larger than a page,
 * not a number).
 */
int
ndSysfsFileReadUInt(ndSysfsFile *file, unsigned int base,
                    unsigned int *ret_value)
{
    char buf[SYSFS_READ_STACK + 1];
    ssize_t n;

    do {
        n = pread(file->fd, buf, SYSFS_READ_STACK, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == ENODEV || errno == ENOENT || errno == ESTALE ||
            errno == ENOTCONN)
            return 0;
        ndReportSystemError(errno, _("cannot read sysfs file '%1$s'"), file->path);
        return -1;
    }
    if (n == SYSFS_READ_STACK) {
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("sysfs file '%1$s' is larger than %2$d bytes"),
                      file->path, SYSFS_READ_STACK - 1);
        return -1;
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("sysfs file '%1$s' is not a text file"), file->path);
        return -1;
    }
    g_strchomp(buf);
    if (!parseUInt(buf, base, ret_value)) {
        reportNotNumber(file->path, buf);
        return -1;
    }
    return 1;
}

/**
 * ndSysfsFileGetPath:
 * @file: an attribute kept open
 *
 * Returns its full path (borrowed), for messages.
 */
const char *
ndSysfsFileGetPath(ndSysfsFile *file)
{
    return file->path;
}

/**
 * ndSysfsFileFree:
 * @file: an attribute kept open, or NULL
 *
 * Closes and frees @file.
 */
void
ndSysfsFileFree(ndSysfsFile *file)
{
    if (!file)
        return;
    close(file->fd);
    g_atomic_int_add(&kept_files, -1);
    g_free(file->path);
    g_free(file);
}

/* Writes @value to the open @fd after checking it is a regular file. */
static int
sysfsWriteFd(int fd, const char *value)
{
    size_t len = strlen(value);
    ssize_t n;
    int fl;
    int reg;

    if ((reg = fdIsRegular(fd)) < 0)
        return -errno;
    if (reg == 0)
        return -EBADF;
    if ((fl = fcntl(fd, F_GETFL)) < 0 ||
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
        return -errno;
    do {
        n = write(fd, value, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if ((size_t) n != len)
        return -EIO;
    return 0;
}

/* O_NONBLOCK so that a FIFO cannot block the open; cleared before writing.
 * O_NOFOLLOW: the file itself must not be a symlink. */
#define SYSFS_WRITE_FLAGS (O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)

/**
 * ndSysfsWriteRaw:
 * @sysfs: the tree
 * @relpath: an existing regular file relative to the root
 * @value: the bytes to write (without NUL)
 *
 * Writes @value with one write(2), the way the kernel's attribute store
 * handlers expect it.  Returns 0 or a negative errno; reports nothing.
 */
int
ndSysfsWriteRaw(ndSysfs *sysfs, const char *relpath, const char *value)
{
    ND_AUTOCLOSE int fd = -1;

    fd = ndSysfsOpen(sysfs, relpath, SYSFS_WRITE_FLAGS);
    if (fd < 0)
        return -errno;
    return sysfsWriteFd(fd, value);
}

/**
 * ndSysfsWriteRawBeneath:
 * @sysfs: the tree
 * @dir_relpath: a directory relative to the root (links allowed)
 * @name: a file inside it, reached without symlinks
 * @value: the bytes to write
 *
 * Returns 0 or a negative errno (-ELOOP for a symlink on the way to
 * @name, -EXDEV for a path leaving @dir_relpath); reports nothing.
 */
int
ndSysfsWriteRawBeneath(ndSysfs *sysfs, const char *dir_relpath,
                       const char *name, const char *value)
{
    ND_AUTOCLOSE int dirfd = -1;
    ND_AUTOCLOSE int fd = -1;
    struct open_how how = {
        .flags = SYSFS_WRITE_FLAGS | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
    };
    int tries;

    if (!name || name[0] == '/' || name[0] == '\0')
        return -EINVAL;
    dirfd = ndSysfsOpen(sysfs, dir_relpath, O_PATH | O_DIRECTORY);
    if (dirfd < 0)
        return -errno;
    if (g_atomic_int_get(&no_openat2)) {
        errno = ENOSYS;
    } else {
        for (tries = 0; tries < 16; tries++) {
            fd = (int) syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
            if (fd >= 0 || errno != EAGAIN)
                break;
        }
    }
    if (fd < 0 && errno == ENOSYS) {
        /* Old kernel: walk the components by hand, none may be a link. */
        g_auto(GStrv) parts = g_strsplit(name, "/", -1);
        ND_AUTOCLOSE int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
        size_t i;

        for (i = 0; parts[i] && parts[i + 1]; i++) {
            int next;

            if (strcmp(parts[i], "..") == 0)
                return -EXDEV;
            next = openat(cur, parts[i],
                          O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (next < 0)
                return -errno;
            close(cur);
            cur = next;
        }
        if (strcmp(parts[i], "..") == 0)
            return -EXDEV;
        fd = openat(cur, parts[i], SYSFS_WRITE_FLAGS | O_CLOEXEC);
    }
    if (fd < 0)
        return -errno;
    return sysfsWriteFd(fd, value);
}
