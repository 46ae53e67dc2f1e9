/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plain file helpers: bounded reads and atomic writes. */
#pragma once

#include <errno.h>
#include <sys/types.h>
#include <unistd.h>
#include <glib.h>

/* GLib 2.74 has no g_autofd (2.76+): ND_AUTOCLOSE int fd = -1; closes the
 * fd (if >= 0) when it goes out of scope, keeping errno intact. */
static inline void
ndFileCloseFdp(int *fdp)
{
    if (*fdp >= 0) {
        int saved = errno;

        close(*fdp);
        errno = saved;
    }
}
#define ND_AUTOCLOSE __attribute__((cleanup(ndFileCloseFdp)))

/* Reads the regular file @path whole if it is at most @max bytes.
 * Returns 0 with *ret_data (NUL-terminated, caller frees) and *ret_len
 * (may be NULL), -1 with an error: ND_ERR_SYSTEM_ERROR naming the file if
 * it cannot be opened or read, ND_ERR_OVERFLOW if it is larger than @max,
 * ND_ERR_INVALID_ARG if it is not a regular file.  Symlinks are followed. */
int ndFileReadLimit(const char *path, size_t max, char **ret_data,
                    size_t *ret_len);

/* Replaces @path atomically with @len bytes of @data and mode @mode: writes
 * a temporary file in the same directory, fsyncs it, renames it over @path
 * and fsyncs the directory.  On failure the old file (if any) is intact and
 * no temporary file is left.  Returns 0, or -1 with ND_ERR_SYSTEM_ERROR. */
int ndFileWriteAtomic(const char *path, const char *data, size_t len,
                      mode_t mode);
