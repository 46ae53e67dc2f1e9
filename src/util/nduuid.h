/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UUIDs: liberal parsing as libvirt accepts them, canonical formatting,
 * random generation, and the strict form the kernel's mdev 'create' takes.
 */
#pragma once

#include <glib.h>

#define ND_UUID_BUFLEN 16
/* 36 characters and the NUL */
#define ND_UUID_STRING_BUFLEN 37

/* Parses @str into @ret_uuid as libvirt's virUUIDParse does: surrounding
 * whitespace is skipped, '-' and ' ' may appear anywhere between two hex
 * digit pairs, and there must be exactly 32 hex digits (either case).
 * Returns 0, or -1 without reporting an error (callers know the context);
 * @ret_uuid is left untouched on failure. */
int ndUUIDParse(const char *str, unsigned char ret_uuid[ND_UUID_BUFLEN]);

/* Writes @uuid as lowercase 8-4-4-4-12 into @ret_str (NUL-terminated). */
void ndUUIDFormat(const unsigned char uuid[ND_UUID_BUFLEN],
                  char ret_str[ND_UUID_STRING_BUFLEN]);

/* The canonical form of @str if ndUUIDParse() accepts it, else NULL (no
 * error reported). Caller frees. */
char *ndUUIDCanonicalize(const char *str);

/* Fills @ret_uuid with a random version 4 (RFC 4122 variant) UUID from the
 * kernel's random source. */
void ndUUIDGenerate(unsigned char ret_uuid[ND_UUID_BUFLEN]);

/* A newly generated random v4 UUID in canonical form. Caller frees. */
char *ndUUIDGenerateString(void);

/* TRUE if @str is exactly 8-4-4-4-12 hex digits (either case) with nothing
 * around it: the only form the kernel's mdev 'create' file accepts, and
 * the only form safe to use as a sysfs file name. */
gboolean ndUUIDIsKernelForm(const char *str);
