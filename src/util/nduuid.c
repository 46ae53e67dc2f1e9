/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UUID parsing, formatting and generation. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "nduuid.h"

/**
 * ndUUIDParse:
 * @str: text to parse
 * @ret_uuid: where the 16 bytes go
 *
 * Accepts what libvirt accepts: optional whitespace around, exactly 32 hex
 * digits in pairs, with '-' or ' ' allowed (any number) between pairs.
 * Returns 0, or -1 (no error reported) if @str is not such a UUID.
 */
int
ndUUIDParse(const char *str, unsigned char ret_uuid[ND_UUID_BUFLEN])
{
    unsigned char uuid[ND_UUID_BUFLEN];
    const char *cur = str;
    size_t i = 0;

    if (!str)
        return -1;

    while (g_ascii_isspace(*cur))
        cur++;

    while (i < ND_UUID_BUFLEN) {
        if (*cur == '-' || *cur == ' ') {
            cur++;
            continue;
        }
        if (!g_ascii_isxdigit(cur[0]) || !g_ascii_isxdigit(cur[1]))
            return -1;
        uuid[i++] = (g_ascii_xdigit_value(cur[0]) << 4) |
                    g_ascii_xdigit_value(cur[1]);
        cur += 2;
    }

    while (*cur) {
        if (!g_ascii_isspace(*cur))
            return -1;
        cur++;
    }

    memcpy(ret_uuid, uuid, ND_UUID_BUFLEN);
    return 0;
}

/**
 * ndUUIDFormat:
 * @uuid: 16 bytes
 * @ret_str: buffer of ND_UUID_STRING_BUFLEN bytes
 *
 * Writes the canonical lowercase 8-4-4-4-12 form.
 */
void
ndUUIDFormat(const unsigned char uuid[ND_UUID_BUFLEN],
             char ret_str[ND_UUID_STRING_BUFLEN])
{
    g_snprintf(ret_str, ND_UUID_STRING_BUFLEN,
               "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
               "%02x%02x%02x%02x%02x%02x",
               uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5],
               uuid[6], uuid[7], uuid[8], uuid[9], uuid[10], uuid[11],
               uuid[12], uuid[13], uuid[14], uuid[15]);
}

/**
 * ndUUIDCanonicalize:
 * @str: a UUID in any form ndUUIDParse() accepts
 *
 * Returns the canonical form (caller frees), or NULL if @str is invalid.
 */
char *
ndUUIDCanonicalize(const char *str)
{
    unsigned char uuid[ND_UUID_BUFLEN];
    char buf[ND_UUID_STRING_BUFLEN];

    if (ndUUIDParse(str, uuid) < 0)
        return NULL;
    ndUUIDFormat(uuid, buf);
    return g_strdup(buf);
}

/**
 * ndUUIDGenerate:
 * @ret_uuid: where the 16 bytes go
 *
 * Generates a random version 4 UUID. Uses getrandom(2); if that is not
 * available (very old kernels) it falls back to GLib's generator.
 */
void
ndUUIDGenerate(unsigned char ret_uuid[ND_UUID_BUFLEN])
{
    size_t got = 0;

    while (got < ND_UUID_BUFLEN) {
        ssize_t n = getrandom(ret_uuid + got, ND_UUID_BUFLEN - got, 0);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        got += n;
    }
    for (; got < ND_UUID_BUFLEN; got++)
        ret_uuid[got] = g_random_int_range(0, 256);

    ret_uuid[6] = (ret_uuid[6] & 0x0f) | 0x40;   /* version 4 */
    ret_uuid[8] = (ret_uuid[8] & 0x3f) | 0x80;   /* RFC 4122 variant */
}

/**
 * ndUUIDGenerateString:
 *
 * Returns a new random v4 UUID in canonical form. Caller frees.
 */
char *
ndUUIDGenerateString(void)
{
    unsigned char uuid[ND_UUID_BUFLEN];
    char buf[ND_UUID_STRING_BUFLEN];

    ndUUIDGenerate(uuid);
    ndUUIDFormat(uuid, buf);
    return g_strdup(buf);
}

/**
 * ndUUIDIsKernelForm:
 * @str: text or NULL
 *
 * Returns TRUE if @str is exactly 36 characters of 8-4-4-4-12 hex digits.
 */
gboolean
ndUUIDIsKernelForm(const char *str)
{
    size_t i;

    if (!str)
        return FALSE;

    for (i = 0; i < ND_UUID_STRING_BUFLEN - 1; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (str[i] != '-')
                return FALSE;
        } else if (!g_ascii_isxdigit(str[i])) {
            return FALSE;
        }
    }
    return str[i] == '\0';
}
