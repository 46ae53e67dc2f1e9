/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* s390 devices read from sysfs: css subchannels, AP cards/queues, matrix. */
#include <string.h>

#include "util/nds390.h"
#include "util/nderror.h"
#include "util/ndinternal.h"
#include "util/ndlog.h"

#define CSS_DEVICES "bus/css/devices"
#define AP_DEVICES "bus/ap/devices"
#define AP_MATRIX "devices/vfio_ap/matrix"

/* Parses exactly @n hex digits at @s; returns the number of bytes used. */
static size_t
parseHexDigits(const char *s, size_t min, size_t max, unsigned int *ret)
{
    unsigned int v = 0;
    size_t i;

    for (i = 0; i < max && g_ascii_isxdigit(s[i]); i++)
        v = v * 16 + g_ascii_xdigit_value(s[i]);
    if (i < min)
        return 0;
    *ret = v;
    return i;
}

/**
 * ndCcwAddressParse:
 * @str: "C.S.DDDD" (cssid: 1-2 hex digits, ssid: 1, devno: 4)
 * @ret_addr: the address
 *
 * Returns 0, or -1 (without reporting) if @str has another shape or a
 * value is out of range (cssid > 0xfe, ssid > 3).
 */
int
ndCcwAddressParse(const char *str, ndCcwAddress *ret_addr)
{
    ndCcwAddress addr;
    size_t n;

    if (!str)
        return -1;
    if (!(n = parseHexDigits(str, 1, 2, &addr.cssid)) || str[n] != '.')
        return -1;
    str += n + 1;
    if (!(n = parseHexDigits(str, 1, 1, &addr.ssid)) || str[n] != '.')
        return -1;
    str += n + 1;
    if (!(n = parseHexDigits(str, 4, 4, &addr.devno)) || str[n] != '\0')
        return -1;
    if (addr.cssid > 0xfe || addr.ssid > 3)
        return -1;
    *ret_addr = addr;
    return 0;
}

/**
 * ndCcwAddressFormat:
 * @addr: an address
 *
 * Returns "c.s.dddd" as sysfs names it (caller frees).
 */
char *
ndCcwAddressFormat(const ndCcwAddress *addr)
{
    return g_strdup_printf("%x.%x.%04x", addr->cssid, addr->ssid, addr->devno);
}

static void
readLinkName(ndSysfs *sysfs, const char *dir, const char *file, char **ret)
{
    g_autofree char *rel = g_build_filename(dir, file, NULL);

    if (ndSysfsReadLinkBasename(sysfs, rel, ret) < 0) {
        ND_DEBUG("ignoring %s: %s", rel, ndGetLastErrorMessage());
        ndResetLastError();
        *ret = NULL;
    }
}

/* ---- css ---------------------------------------------------------------- */

/**
 * ndCssDeviceInfoFree:
 * @info: a subchannel info or NULL
 *
 * Frees @info and everything it holds.
 */
void
ndCssDeviceInfoFree(ndCssDeviceInfo *info)
{
    if (!info)
        return;
    g_free(info->name);
    g_free(info->driver);
    g_free(info->relpath);
    g_free(info->path);
    g_free(info);
}

/**
 * ndCssDeviceRead:
 * @sysfs: the tree
 * @name: a subchannel name ("0.0.0052")
 * @ret_info: the subchannel, or NULL if missing
 *
 * Returns 1, 0, or -1 with an error (ND_ERR_INVALID_ARG for a name that is
 * not a subchannel address; unusable link).
 */
int
ndCssDeviceRead(ndSysfs *sysfs, const char *name, ndCssDeviceInfo **ret_info)
{
    g_autoptr(ndCssDeviceInfo) info = g_new0(ndCssDeviceInfo, 1);
    g_autofree char *link = NULL;
    g_autofree char *types = NULL;
    g_auto(GStrv) children = NULL;
    size_t i;

    *ret_info = NULL;
    if (!ndSysfsNameIsSafe(name) || ndCcwAddressParse(name, &info->addr) < 0) {
        g_autofree char *shown = ndSysfsNameEscape(name);

        ndReportError(ND_ERR_INVALID_ARG,
                      _("invalid subchannel name '%1$s'"), shown);
        return -1;
    }
    link = g_build_filename(CSS_DEVICES, name, NULL);
    if (ndSysfsResolve(sysfs, link, &info->relpath) < 0)
        return -1;
    if (!info->relpath || !ndSysfsIsDir(sysfs, info->relpath))
        return 0;
    info->name = g_strdup(name);
    info->path = ndSysfsBuildPath(sysfs, info->relpath);
    readLinkName(sysfs, info->relpath, "driver", &info->driver);
    types = g_build_filename(info->relpath, "mdev_supported_types", NULL);
    info->has_mdev_types = ndSysfsIsDir(sysfs, types);

    /* The I/O device behind the subchannel is a child named by its
     * device bus id, e.g. devices/css0/0.0.0052/0.0.1234. */
    if (ndSysfsListDir(sysfs, info->relpath, &children) < 0) {
        ND_DEBUG("ignoring children of %s: %s", info->relpath,
                 ndGetLastErrorMessage());
        ndResetLastError();
    }
    for (i = 0; children && children[i]; i++) {
        g_autofree char *child = NULL;
        ndCcwAddress addr;

        if (ndCcwAddressParse(children[i], &addr) < 0)
            continue;
        child = g_build_filename(info->relpath, children[i], NULL);
        if (!ndSysfsIsDir(sysfs, child))
            continue;
        info->has_channel_dev = true;
        info->channel_dev = addr;
        break;
    }

    *ret_info = g_steal_pointer(&info);
    return 1;
}

static gint
compareCss(gconstpointer a, gconstpointer b)
{
    const ndCssDeviceInfo *ia = *(ndCssDeviceInfo *const *) a;
    const ndCssDeviceInfo *ib = *(ndCssDeviceInfo *const *) b;

    if (ia->addr.cssid != ib->addr.cssid)
        return ia->addr.cssid < ib->addr.cssid ? -1 : 1;
    if (ia->addr.ssid != ib->addr.ssid)
        return ia->addr.ssid < ib->addr.ssid ? -1 : 1;
    if (ia->addr.devno != ib->addr.devno)
        return ia->addr.devno < ib->addr.devno ? -1 : 1;
    return 0;
}

/**
 * ndCssDeviceList:
 * @sysfs: the tree
 * @ret_devices: a GPtrArray of ndCssDeviceInfo (owns its elements)
 *
 * Returns 0 (unusable entries skipped), -1 with an error if bus/css/devices
 * cannot be listed.
 */
int
ndCssDeviceList(ndSysfs *sysfs, GPtrArray **ret_devices)
{
    g_autoptr(GPtrArray) devices =
        g_ptr_array_new_with_free_func((GDestroyNotify) ndCssDeviceInfoFree);
    g_auto(GStrv) names = NULL;
    size_t i;

    if (ndSysfsListDir(sysfs, CSS_DEVICES, &names) < 0)
        return -1;
    for (i = 0; names && names[i]; i++) {
        ndCssDeviceInfo *info = NULL;

        if (ndCssDeviceRead(sysfs, names[i], &info) < 0) {
            ND_DEBUG("skipping css entry '%s': %s", names[i],
                     ndGetLastErrorMessage());
            ndResetLastError();
            continue;
        }
        if (info)
            g_ptr_array_add(devices, info);
    }
    g_ptr_array_sort(devices, compareCss);
    *ret_devices = g_steal_pointer(&devices);
    return 0;
}

/* ---- ap ----------------------------------------------------------------- */

/**
 * ndApDeviceInfoFree:
 * @info: an AP device info or NULL
 *
 * Frees @info and everything it holds.
 */
void
ndApDeviceInfoFree(ndApDeviceInfo *info)
{
    if (!info)
        return;
    g_free(info->name);
    g_free(info->driver);
    g_free(info->relpath);
    g_free(info->path);
    g_free(info);
}

/* "cardNN" or "NN.DDDD" (hex); returns 0 or -1. */
static int
apParseName(const char *name, ndApDeviceInfo *info)
{
    unsigned int domain = 0;
    size_t n;

    if (g_str_has_prefix(name, "card")) {
        if ((n = parseHexDigits(name + 4, 2, 2, &info->adapter)) != 2 ||
            name[6] != '\0')
            return -1;
        info->kind = ND_AP_DEVICE_CARD;
        info->domain = -1;
        return 0;
    }
    if ((n = parseHexDigits(name, 2, 2, &info->adapter)) != 2 ||
        name[2] != '.' ||
        parseHexDigits(name + 3, 4, 4, &domain) != 4 || name[7] != '\0')
        return -1;
    info->kind = ND_AP_DEVICE_QUEUE;
    info->domain = (int) domain;
    return 0;
}

/**
 * ndApDeviceRead:
 * @sysfs: the tree
 * @name: "cardNN" or "NN.DDDD"
 * @ret_info: the card or queue, or NULL if missing
 *
 * Returns 1, 0, or -1 with an error (ND_ERR_INVALID_ARG for another name;
 * unusable link).
 */
int
ndApDeviceRead(ndSysfs *sysfs, const char *name, ndApDeviceInfo **ret_info)
{
    g_autoptr(ndApDeviceInfo) info = g_new0(ndApDeviceInfo, 1);
    g_autofree char *link = NULL;

    *ret_info = NULL;
    if (!ndSysfsNameIsSafe(name) || apParseName(name, info) < 0) {
        g_autofree char *shown = ndSysfsNameEscape(name);

        ndReportError(ND_ERR_INVALID_ARG,
                      _("invalid AP device name '%1$s'"), shown);
        return -1;
    }
    link = g_build_filename(AP_DEVICES, name, NULL);
    if (ndSysfsResolve(sysfs, link, &info->relpath) < 0)
        return -1;
    if (!info->relpath || !ndSysfsIsDir(sysfs, info->relpath))
        return 0;
    info->name = g_strdup(name);
    info->path = ndSysfsBuildPath(sysfs, info->relpath);
    readLinkName(sysfs, info->relpath, "driver", &info->driver);
    *ret_info = g_steal_pointer(&info);
    return 1;
}

static gint
compareAp(gconstpointer a, gconstpointer b)
{
    const ndApDeviceInfo *ia = *(ndApDeviceInfo *const *) a;
    const ndApDeviceInfo *ib = *(ndApDeviceInfo *const *) b;

    if (ia->adapter != ib->adapter)
        return ia->adapter < ib->adapter ? -1 : 1;
    /* a card (-1) sorts before its queues */
    if (ia->domain != ib->domain)
        return ia->domain < ib->domain ? -1 : 1;
    return 0;
}

/**
 * ndApDeviceList:
 * @sysfs: the tree
 * @ret_devices: a GPtrArray of ndApDeviceInfo (owns its elements)
 *
 * Returns 0 (other or unusable entries skipped), -1 with an error if
 * bus/ap/devices cannot be listed.
 */
int
ndApDeviceList(ndSysfs *sysfs, GPtrArray **ret_devices)
{
    g_autoptr(GPtrArray) devices =
        g_ptr_array_new_with_free_func((GDestroyNotify) ndApDeviceInfoFree);
    g_auto(GStrv) names = NULL;
    size_t i;

    if (ndSysfsListDir(sysfs, AP_DEVICES, &names) < 0)
        return -1;
    for (i = 0; names && names[i]; i++) {
        ndApDeviceInfo *info = NULL;

        if (ndApDeviceRead(sysfs, names[i], &info) < 0) {
            ND_DEBUG("skipping AP entry '%s': %s", names[i],
                     ndGetLastErrorMessage());
            ndResetLastError();
            continue;
        }
        if (info)
            g_ptr_array_add(devices, info);
    }
    g_ptr_array_sort(devices, compareAp);
    *ret_devices = g_steal_pointer(&devices);
    return 0;
}

/**
 * ndApMatrixRead:
 * @sysfs: the tree
 * @ret_relpath: "devices/vfio_ap/matrix" if it exists, else NULL
 *
 * Returns 1 if the vfio_ap matrix device exists, 0 if not.
 */
int
ndApMatrixRead(ndSysfs *sysfs, char **ret_relpath)
{
    *ret_relpath = NULL;
    if (!ndSysfsIsDir(sysfs, AP_MATRIX))
        return 0;
    *ret_relpath = g_strdup(AP_MATRIX);
    return 1;
}
