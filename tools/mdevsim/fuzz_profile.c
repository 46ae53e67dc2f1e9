/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: mdevsim's profile loader on arbitrary text.
 *
 * A valid SR-IOV PF asks for up to 2048 VFs, each a whole PCI function and
 * possibly an mdev parent with all its types: the sriov seed alone builds
 * 128 VF parents (tens of thousands of nodes), which kept this target under
 * 100 inputs a second, while the 2nd VF takes the same paths as the 100th.
 * So the harness (not the loader) lowers a valid sriov_numvfs above MAX_VFS
 * to MAX_VFS before loading; an invalid one (not a number, above
 * sriov_totalvfs, totalvfs above 2048) is left as it is, so that the
 * loader's checks still see it.  Every other input is loaded byte for byte.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "simprofile.h"

#define MAX_VFS 2

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The profile's number @key of @group as the loader reads it, or FALSE. */
static gboolean
getNum(GKeyFile *kf, const char *group, const char *key, guint64 def,
       guint64 *ret)
{
    g_autofree char *s = g_key_file_get_value(kf, group, key, NULL);
    char *end = NULL;

    *ret = def;
    if (!s)
        return TRUE;
    g_strstrip(s);
    errno = 0;
    *ret = g_ascii_strtoull(s, &end, 0);
    return *s && !*end && !errno;
}

/* Returns the profile with its valid VF counts lowered to MAX_VFS, or NULL
 * when it needs no change (or is no key file at all). */
static char *
capVfs(const uint8_t *data, size_t size, gsize *len)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_auto(GStrv) groups = NULL;
    gboolean changed = FALSE;
    size_t i;

    /* most inputs have no SR-IOV PF: spare them a second parse */
    if (!memmem(data, size, "sriov_numvfs", strlen("sriov_numvfs")))
        return NULL;
    if (!g_key_file_load_from_data(kf, (const char *)data, size,
                                   G_KEY_FILE_KEEP_COMMENTS, NULL))
        return NULL;
    groups = g_key_file_get_groups(kf, NULL);
    for (i = 0; groups[i]; i++) {
        guint64 total;
        guint64 num;

        if (!g_str_has_prefix(groups[i], "pci ") ||
            !getNum(kf, groups[i], "sriov_totalvfs", 0, &total) ||
            !getNum(kf, groups[i], "sriov_numvfs", 0, &num) ||
            num > total || total > 2048 || num <= MAX_VFS)
            continue;
        g_key_file_set_value(kf, groups[i], "sriov_numvfs", G_STRINGIFY(MAX_VFS));
        changed = TRUE;
    }
    if (!changed)
        return NULL;
    return g_key_file_to_data(kf, len, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    gsize len = 0;
    g_autofree char *capped = capVfs(data, size, &len);
    SimHost *host;

    if (capped)
        host = simProfileLoad(capped, len, &error);
    else
        host = simProfileLoad((const char *)data, size, &error);
    simHostFree(host);
    return 0;
}
