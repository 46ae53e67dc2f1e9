/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DMI/SMBIOS facts for the "computer" device (devices/virtual/dmi/id). */
#include <stddef.h>

#include "util/nddmi.h"
#include "util/nderror.h"
#include "util/ndlog.h"

#define DMI_DIR "devices/virtual/dmi/id"

/**
 * ndDmiInfoFree:
 * @info: a DMI info or NULL
 *
 * Frees @info and everything it holds.
 */
void
ndDmiInfoFree(ndDmiInfo *info)
{
    if (!info)
        return;
    g_free(info->sys_vendor);
    g_free(info->product_name);
    g_free(info->product_version);
    g_free(info->product_serial);
    g_free(info->product_uuid);
    g_free(info->bios_vendor);
    g_free(info->bios_version);
    g_free(info->bios_date);
    g_free(info);
}

static void
dmiReadField(ndSysfs *sysfs, const char *file, char **ret)
{
    g_autofree char *rel = g_build_filename(DMI_DIR, file, NULL);
    g_autofree char *value = NULL;

    if (ndSysfsReadString(sysfs, rel, &value) < 0) {
        /* product_serial and product_uuid are 0400: not an error for a
         * daemon started without privileges. */
        ND_DEBUG("ignoring %s: %s", rel, ndGetLastErrorMessage());
        ndResetLastError();
        return;
    }
    if (value && *value)
        *ret = g_steal_pointer(&value);
}

/**
 * ndDmiRead:
 * @sysfs: the tree
 * @ret_info: the DMI facts (fields NULL where unknown)
 *
 * Returns 0; never fails.
 */
int
ndDmiRead(ndSysfs *sysfs, ndDmiInfo **ret_info)
{
    g_autoptr(ndDmiInfo) info = g_new0(ndDmiInfo, 1);
    static const struct {
        const char *file;
        size_t offset;
    } fields[] = {
        { "sys_vendor", offsetof(ndDmiInfo, sys_vendor) },
        { "product_name", offsetof(ndDmiInfo, product_name) },
        { "product_version", offsetof(ndDmiInfo, product_version) },
        { "product_serial", offsetof(ndDmiInfo, product_serial) },
        { "product_uuid", offsetof(ndDmiInfo, product_uuid) },
        { "bios_vendor", offsetof(ndDmiInfo, bios_vendor) },
        { "bios_version", offsetof(ndDmiInfo, bios_version) },
        { "bios_date", offsetof(ndDmiInfo, bios_date) },
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(fields); i++)
        dmiReadField(sysfs, fields[i].file,
                     (char **) (void *) ((char *) info + fields[i].offset));
    *ret_info = g_steal_pointer(&info);
    return 0;
}
