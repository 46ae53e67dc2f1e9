/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plain file helpers: bounded reads and atomic writes. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "util/ndfile.h"
#include "util/nderror.h"
#include "util/ndinternal.h"

/**
 * ndFileReadLimit:
 * @path: a regular file
 * @max: the largest size accepted
 * @ret_data: the contents, NUL-terminated (caller frees)
 * @ret_len: the length in bytes, or NULL
 *
 * Reads @path whole, refusing files larger than @max without reading them
 * whole.  Returns 0, or -1 with an error (ND_ERR_SYSTEM_ERROR,
 * ND_ERR_OVERFLOW, ND_ERR_INVALID_ARG for a non-regular file).
 */
int
ndFileReadLimit(const char *path, size_t max, char **ret_data,
                size_t *ret_len)
{
    ND_AUTOCLOSE int fd = -1;
    g_autofree char *buf = NULL;
    struct stat st;
    size_t len = 0;

    /* O_NONBLOCK: a FIFO in place of the file must not hang the caller. */
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
        ndReportSystemError(errno, _("cannot open file '%1$s'"), path);
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        ndReportSystemError(errno, _("cannot stat file '%1$s'"), path);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        ndReportError(ND_ERR_INVALID_ARG, _("'%1$s' is not a regular file"),
                      path);
        return -1;
    }
    if ((guint64) st.st_size > max) {
        ndReportError(ND_ERR_OVERFLOW,
                      _("file '%1$s' is larger than %2$zu bytes"), path, max);
        return -1;
    }

    /* The size may change under us: read up to max + 1 and check again. */
    buf = g_malloc(max + 2);
    while (len < max + 1) {
        ssize_t n = read(fd, buf + len, max + 1 - len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            ndReportSystemError(errno, _("cannot read file '%1$s'"), path);
            return -1;
        }
        if (n == 0)
            break;
        len += n;
    }
    if (len > max) {
        ndReportError(ND_ERR_OVERFLOW,
                      _("file '%1$s' is larger than %2$zu bytes"), path, max);
        return -1;
    }
    buf[len] = '\0';
    *ret_data = g_steal_pointer(&buf);
    if (ret_len)
        *ret_len = len;
    return 0;
}

static int
writeAll(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= n;
    }
    return 0;
}

/**
 * ndFileWriteAtomic:
 * @path: the file to replace or create
 * @data: the new contents
 * @len: their length
 * @mode: the permission bits of the new file
 *
 * Writes ".<name>.XXXXXX" next to @path, fsyncs it, renames it to @path,
 * then fsyncs the directory so the rename survives a crash.  Returns 0, or
 * -1 with ND_ERR_SYSTEM_ERROR (and the temporary file removed).
 */
int
ndFileWriteAtomic(const char *path, const char *data, size_t len,
                  mode_t mode)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    ND_AUTOCLOSE int fd = -1;
    ND_AUTOCLOSE int dirfd = -1;
    int saved;

    if ((fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, mode)) < 0) {
        ndReportSystemError(errno, _("cannot create temporary file for '%1$s'"),
                            path);
        return -1;
    }
    /* g_mkstemp_full applies the umask; the caller asked for @mode. */
    if (fchmod(fd, mode) < 0 ||
        writeAll(fd, data, len) < 0 ||
        fsync(fd) < 0) {
        saved = errno;
        unlink(tmp);
        ndReportSystemError(saved, _("cannot write file '%1$s'"), tmp);
        return -1;
    }
    if (close(fd) < 0) {
        fd = -1;
        saved = errno;
        unlink(tmp);
        ndReportSystemError(saved, _("cannot write file '%1$s'"), tmp);
        return -1;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        saved = errno;
        unlink(tmp);
        ndReportSystemError(saved, _("cannot rename '%1$s' to '%2$s'"),
                            tmp, path);
        return -1;
    }
    if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        fsync(dirfd) < 0) {
        ndReportSystemError(errno, _("cannot sync directory '%1$s'"), dir);
        return -1;
    }
    return 0;
}
