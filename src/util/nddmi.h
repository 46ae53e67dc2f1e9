/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DMI/SMBIOS facts for the "computer" device (devices/virtual/dmi/id). */
#pragma once

#include <glib.h>

#include "util/ndsysfs.h"

/* Every field is NULL when its file is missing, unreadable (product_serial
 * and product_uuid are root-only) or empty.  Values are as sysfs gives them,
 * without the trailing newline. */
typedef struct _ndDmiInfo ndDmiInfo;
struct _ndDmiInfo {
    char *sys_vendor;
    char *product_name;
    char *product_version;
    char *product_serial;
    char *product_uuid;
    char *bios_vendor;
    char *bios_version;
    char *bios_date;
};

void ndDmiInfoFree(ndDmiInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndDmiInfo, ndDmiInfoFree);

/* Reads devices/virtual/dmi/id/.  Returns 0 with *ret_info set (all fields
 * NULL on machines without DMI); a file that cannot be read (root-only,
 * larger than ND_SYSFS_READ_MAX, not text) leaves its field NULL and is
 * logged at debug level.  Never fails. */
int ndDmiRead(ndSysfs *sysfs, ndDmiInfo **ret_info);
