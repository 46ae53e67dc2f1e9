/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* s390 devices read from sysfs: css subchannels, AP cards/queues, matrix. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "util/ndsysfs.h"

/* A channel subsystem address "cssid.ssid.devno", e.g. "0.0.0052". */
typedef struct _ndCcwAddress ndCcwAddress;
struct _ndCcwAddress {
    unsigned int cssid;     /* 0..0xfe */
    unsigned int ssid;      /* 0..3 */
    unsigned int devno;     /* 0..0xffff (subchannel number for a css) */
};

typedef struct _ndCssDeviceInfo ndCssDeviceInfo;
struct _ndCssDeviceInfo {
    char *name;             /* "0.0.0052" */
    ndCcwAddress addr;      /* parsed from the name */
    bool has_channel_dev;   /* a ccw device child exists */
    ndCcwAddress channel_dev;  /* its address, e.g. 0.0.1234 */
    char *driver;           /* "vfio_ccw", "io_subchannel", or NULL */
    bool has_mdev_types;    /* mdev_supported_types/ exists */
    char *relpath;          /* real path relative to the root */
    char *path;             /* root + "/" + relpath */
};

void ndCssDeviceInfoFree(ndCssDeviceInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndCssDeviceInfo, ndCssDeviceInfoFree);

typedef enum {
    ND_AP_DEVICE_CARD = 0,  /* "cardNN" */
    ND_AP_DEVICE_QUEUE,     /* "NN.DDDD" */

    ND_AP_DEVICE_LAST,
} ndApDeviceKind;

typedef struct _ndApDeviceInfo ndApDeviceInfo;
struct _ndApDeviceInfo {
    char *name;             /* "card01" or "01.0004" */
    ndApDeviceKind kind;
    unsigned int adapter;   /* 0..0xff */
    int domain;             /* 0..0xffff for a queue, -1 for a card */
    char *driver;           /* NULL if none */
    char *relpath;          /* real path relative to the root */
    char *path;             /* root + "/" + relpath */
};

void ndApDeviceInfoFree(ndApDeviceInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndApDeviceInfo, ndApDeviceInfoFree);

/* Parses "C.S.DDDD" (hex, as in sysfs).  Returns 0, or -1 without
 * reporting. */
int ndCcwAddressParse(const char *str, ndCcwAddress *ret_addr);
/* Formats "%x.%x.%04x"; caller frees. */
char *ndCcwAddressFormat(const ndCcwAddress *addr);

/* Every subchannel in bus/css/devices, sorted, as a GPtrArray of
 * ndCssDeviceInfo owning its elements; entries with unparsable names or
 * unresolvable links are skipped (debug log).  Returns 0 (empty if there is
 * no css bus), -1 with an error. */
int ndCssDeviceList(ndSysfs *sysfs, GPtrArray **ret_devices);

/* Reads bus/css/devices/<@name>.  Returns 1 with *ret_info, 0 with NULL if
 * missing, -1 with an error (unsafe or unparsable name, bad link). */
int ndCssDeviceRead(ndSysfs *sysfs, const char *name,
                    ndCssDeviceInfo **ret_info);

/* Every card and queue in bus/ap/devices, sorted (cards before their
 * queues), as a GPtrArray of ndApDeviceInfo owning its elements; other
 * entries are skipped.  Returns 0 (empty if there is no ap bus), -1 with an
 * error. */
int ndApDeviceList(ndSysfs *sysfs, GPtrArray **ret_devices);

/* Reads bus/ap/devices/<@name>.  Returns 1 with *ret_info, 0 with NULL if
 * missing, -1 with an error (unsafe or unparsable name, bad link). */
int ndApDeviceRead(ndSysfs *sysfs, const char *name,
                   ndApDeviceInfo **ret_info);

/* Whether the vfio_ap matrix device exists (devices/vfio_ap/matrix).
 * Returns 1 with *ret_relpath ("devices/vfio_ap/matrix", caller frees) if
 * it does, 0 with NULL if not.  Never fails. */
int ndApMatrixRead(ndSysfs *sysfs, char **ret_relpath);
