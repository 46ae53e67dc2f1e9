/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A sysfs tree under a root directory: safe, bounded reads and raw writes.
 *
 * Every path given to these functions is relative to the root ("bus/pci",
 * never "/sys/bus/pci").  Every open resolves beneath the root: a symlink
 * that leads out of it (absolute, or too many "..") fails with EXDEV as if
 * the file were unreadable, so a hostile tree cannot make us read or write
 * outside it.  Reads are capped at ND_SYSFS_READ_MAX bytes.
 *
 * An ndSysfs is immutable after setup and may be used from several threads
 * (the pci.ids index is loaded once under a lock). */
#pragma once

#include <stdbool.h>
#include <glib.h>

/* The most we ever read from one sysfs file (a hostile tree may hold a huge
 * file; real sysfs attributes are at most a page). */
#define ND_SYSFS_READ_MAX (64 * 1024)

/* The longest client-supplied path component we accept (NAME_MAX). */
#define ND_SYSFS_NAME_MAX 255

typedef struct _ndSysfs ndSysfs;

/* Opens the tree at @root (an existing directory, e.g. "/sys" or a mdevsim
 * mount point).  Reports an error and returns NULL if it is not a readable
 * directory.  The pci.ids path defaults to the first existing of
 * /usr/share/misc/pci.ids and /usr/share/hwdata/pci.ids. */
ndSysfs *ndSysfsNew(const char *root);
void ndSysfsFree(ndSysfs *sysfs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndSysfs, ndSysfsFree);

/* The root as given to ndSysfsNew() (borrowed, valid while @sysfs lives). */
const char *ndSysfsGetRoot(ndSysfs *sysfs);

/* Use the pci.ids database at @path (NULL: no vendor/product names).  Call
 * before the first PCI read; meant for tests and the daemon's setup. */
void ndSysfsSetPciIdsPath(ndSysfs *sysfs, const char *path);
/* The pci.ids path in use or NULL (borrowed). */
const char *ndSysfsGetPciIdsPath(ndSysfs *sysfs);

/* Returns root + "/" + @relpath (caller frees). */
char *ndSysfsBuildPath(ndSysfs *sysfs, const char *relpath);

/* True if @name may be used as one path component taken from a client:
 * non-NULL, non-empty, at most ND_SYSFS_NAME_MAX bytes, no '/', not "." or
 * "..", no control characters.  Reports nothing. */
bool ndSysfsNameIsSafe(const char *name);

/* @name made printable for an error message (g_strescape; "(null)" for
 * NULL).  Caller frees. */
char *ndSysfsNameEscape(const char *name);

/* Raw open of @relpath beneath the root with @flags (O_CLOEXEC is added).
 * Returns the fd, or -1 with errno set; reports nothing.  EXDEV means the
 * path leads out of the root. */
int ndSysfsOpen(ndSysfs *sysfs, const char *relpath, int flags);

/* Reads a text attribute, without trailing whitespace/newlines.
 * Returns 0 with *ret_value set, 0 with *ret_value = NULL if the file does
 * not exist (ENOENT/ENOTDIR), -1 with an error reported otherwise
 * (unreadable, larger than ND_SYSFS_READ_MAX, contains NUL bytes). */
int ndSysfsReadString(ndSysfs *sysfs, const char *relpath, char **ret_value);

/* Reads a file's bytes (binary, e.g. PCI "config"), at most @max bytes
 * (<= ND_SYSFS_READ_MAX): a longer file is read only up to @max.  Returns 0
 * with *ret_data (caller frees, NUL-terminated for convenience) and
 * *ret_len, 0 with *ret_data = NULL if the file does not exist, -1 with an
 * error otherwise. */
int ndSysfsReadFile(ndSysfs *sysfs, const char *relpath, size_t max,
                    char **ret_data, size_t *ret_len);

/* Reads an unsigned integer in @base (0: auto "0x" prefix, 10, 16).
 * Returns 1 with *ret_value set, 0 if the file does not exist (*ret_value
 * untouched), -1 with an error if unreadable or not a number in range. */
int ndSysfsReadUInt(ndSysfs *sysfs, const char *relpath,
                    unsigned int base, unsigned int *ret_value);

/* Same for a signed decimal int (e.g. numa_node, which may be -1). */
int ndSysfsReadInt(ndSysfs *sysfs, const char *relpath, int *ret_value);

/* Reads a symlink's target text without following it.  Returns 0 with
 * *ret_target set, 0 with NULL if it does not exist or is not a link, -1
 * with an error otherwise. */
int ndSysfsReadLink(ndSysfs *sysfs, const char *relpath, char **ret_target);

/* The basename of a symlink's target (e.g. "driver" -> "vfio-pci").  Same
 * return values as ndSysfsReadLink(). */
int ndSysfsReadLinkBasename(ndSysfs *sysfs, const char *relpath,
                            char **ret_name);

/* The real path of @relpath relative to the root, every link resolved
 * ("bus/pci/devices/0000:00:02.0" -> "devices/pci0000:00/0000:00:02.0").
 * Returns 0 with *ret_relpath set, 0 with NULL if it does not exist
 * (including a dangling link), -1 with an error if it leads out of the
 * root, loops, or cannot be resolved. */
int ndSysfsResolve(ndSysfs *sysfs, const char *relpath, char **ret_relpath);

/* The entry names of directory @relpath, sorted, without "." and "..".
 * Returns 0 with a NULL-terminated *ret_names (possibly empty), 0 with NULL
 * if the directory does not exist, -1 with an error otherwise. */
int ndSysfsListDir(ndSysfs *sysfs, const char *relpath, char ***ret_names);

/* True if @relpath exists beneath the root (links followed inside it). */
bool ndSysfsExists(ndSysfs *sysfs, const char *relpath);

/* True if @relpath is a directory beneath the root (links followed). */
bool ndSysfsIsDir(ndSysfs *sysfs, const char *relpath);

/* Writes @value to the existing regular file @relpath in a single write(2)
 * (O_WRONLY|O_NOFOLLOW on the last component, no O_CREAT, no O_TRUNC).
 * Returns 0, or a negative errno (-EISDIR for a directory, -EBADF if it is
 * not a regular file, e.g. a device node or a FIFO with a reader; -ENXIO
 * for a FIFO without one, as the non-blocking open never waits; -ELOOP
 * for a symlink; -EXDEV out of the root; -EIO on a short write); reports
 * nothing, so that callers can turn the kernel's errno into a precise
 * error. */
int ndSysfsWriteRaw(ndSysfs *sysfs, const char *relpath, const char *value);

/* Like ndSysfsWriteRaw() for the file @name inside directory @dir_relpath:
 * @dir_relpath may go through symlinks (inside the root), but @name (one
 * or more '/'-separated components) must be reached without any symlink
 * and without leaving @dir_relpath: a symlink gives -ELOOP, ".." above it
 * -EXDEV.  Returns 0 or a negative errno; reports nothing. */
int ndSysfsWriteRawBeneath(ndSysfs *sysfs, const char *dir_relpath,
                           const char *name, const char *value);

/* An open directory of the tree.  Reading many files of one device
 * through it resolves the device's path once instead of per file (every
 * path component is a lookup, and on a FUSE tree a round trip).  Names
 * given to the ndSysfsDir* readers are relative to the directory and
 * resolve beneath it; return values and errors are those of the matching
 * ndSysfs* function.  A directory borrows its ndSysfs, which must outlive
 * it. */
typedef struct _ndSysfsDir ndSysfsDir;

/* Returns 0 with *ret_dir, 0 with NULL if @relpath does not exist or is
 * not a directory, -1 with an error (e.g. it leads out of the root). */
int ndSysfsDirOpen(ndSysfs *sysfs, const char *relpath, ndSysfsDir **ret_dir);
/* ndSysfsResolve() and ndSysfsDirOpen() of the canonical path in one walk:
 * the directory's relpath is canonical.  Returns 0 (NULL if missing), -1
 * with an error. */
int ndSysfsDirOpenResolved(ndSysfs *sysfs, const char *relpath,
                           ndSysfsDir **ret_dir);
int ndSysfsDirOpenAt(ndSysfsDir *dir, const char *name, ndSysfsDir **ret_dir);
void ndSysfsDirFree(ndSysfsDir *dir);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndSysfsDir, ndSysfsDirFree);

/* The relpath the directory was opened with (borrowed). */
const char *ndSysfsDirGetRelpath(ndSysfsDir *dir);

int ndSysfsDirReadFile(ndSysfsDir *dir, const char *name, size_t max,
                       char **ret_data, size_t *ret_len);
int ndSysfsDirReadString(ndSysfsDir *dir, const char *name, char **ret_value);
int ndSysfsDirReadUInt(ndSysfsDir *dir, const char *name, unsigned int base,
                       unsigned int *ret_value);
int ndSysfsDirReadInt(ndSysfsDir *dir, const char *name, int *ret_value);
int ndSysfsDirReadLinkBasename(ndSysfsDir *dir, const char *name,
                               char **ret_name);
/* @name "." lists the directory itself. */
int ndSysfsDirListDir(ndSysfsDir *dir, const char *name, char ***ret_names);
bool ndSysfsDirIsDir(ndSysfsDir *dir, const char *name);

/* An attribute kept open, to be read again from offset 0 (sysfs makes
 * the value afresh): one read instead of an open, a read and a close.
 * Only so many are kept at once (a quarter of the open-file limit). */
typedef struct _ndSysfsFile ndSysfsFile;

/* Returns 1 with *ret_file; 0 with NULL if missing or no more files may be
 * kept (read by name then); -1 with an error. */
int ndSysfsDirOpenFile(ndSysfsDir *dir, const char *name, ndSysfsFile **ret_file);
/* Returns 1 with the number; 0 if the attribute is gone for good (its
 * device removed: drop the file); -1 with an error. */
int ndSysfsFileReadUInt(ndSysfsFile *file, unsigned int base,
                        unsigned int *ret_value);
const char *ndSysfsFileGetPath(ndSysfsFile *file);
void ndSysfsFileFree(ndSysfsFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndSysfsFile, ndSysfsFileFree);
