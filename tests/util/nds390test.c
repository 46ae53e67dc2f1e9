/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of nds390: css subchannels, AP cards and queues, the matrix. */
#include <string.h>

#include "util/nds390.h"
#include "util/nderror.h"

static ndSysfs *
openTree(const char *name)
{
    g_autofree char *path = g_build_filename(g_getenv("ND_TEST_SRCDIR"),
                                             "sysfsdata", name, NULL);
    ndSysfs *sysfs = ndSysfsNew(path);

    g_assert_nonnull(sysfs);
    return sysfs;
}

static void
testCcwAddress(void)
{
    ndCcwAddress a;
    g_autofree char *s = NULL;

    g_assert_cmpint(ndCcwAddressParse("0.0.0052", &a), ==, 0);
    g_assert_cmpuint(a.cssid, ==, 0);
    g_assert_cmpuint(a.ssid, ==, 0);
    g_assert_cmphex(a.devno, ==, 0x52);
    g_assert_cmpint(ndCcwAddressParse("fe.3.ffff", &a), ==, 0);
    s = ndCcwAddressFormat(&a);
    g_assert_cmpstr(s, ==, "fe.3.ffff");
    g_assert_cmpint(ndCcwAddressParse("ff.0.0001", &a), ==, -1);
    g_assert_cmpint(ndCcwAddressParse("0.4.0001", &a), ==, -1);
    g_assert_cmpint(ndCcwAddressParse("0.0.052", &a), ==, -1);
    g_assert_cmpint(ndCcwAddressParse("0.0.00520", &a), ==, -1);
    g_assert_cmpint(ndCcwAddressParse("0.0", &a), ==, -1);
    g_assert_cmpint(ndCcwAddressParse("defunct", &a), ==, -1);
    g_assert_cmpint(ndCcwAddressParse(NULL, &a), ==, -1);
}

static void
testCss(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("s390");
    g_autoptr(GPtrArray) devs = NULL;
    g_autoptr(ndCssDeviceInfo) info = NULL;
    ndCssDeviceInfo *d;

    ndResetLastError();
    g_assert_cmpint(ndCssDeviceList(sysfs, &devs), ==, 0);
    g_assert_null(ndGetLastError());
    g_assert_cmpuint(devs->len, ==, 2);     /* "defunct" is skipped */
    d = g_ptr_array_index(devs, 0);
    g_assert_cmpstr(d->name, ==, "0.0.0052");
    g_assert_cmpstr(d->driver, ==, "vfio_ccw");
    g_assert_true(d->has_mdev_types);
    g_assert_false(d->has_channel_dev);
    g_assert_cmpstr(d->relpath, ==, "devices/css0/0.0.0052");
    d = g_ptr_array_index(devs, 1);
    g_assert_cmpstr(d->name, ==, "0.0.0053");
    g_assert_cmpstr(d->driver, ==, "io_subchannel");
    g_assert_false(d->has_mdev_types);
    g_assert_true(d->has_channel_dev);
    g_assert_cmphex(d->channel_dev.devno, ==, 0x1234);

    g_assert_cmpint(ndCssDeviceRead(sysfs, "0.0.0099", &info), ==, 0);
    g_assert_null(info);
    g_assert_cmpint(ndCssDeviceRead(sysfs, "../css0", &info), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_INVALID_ARG);
    g_assert_cmpstr(ndGetLastErrorMessage(), ==,
                    "invalid argument: invalid subchannel name '../css0'");
    ndResetLastError();

    /* no css bus at all */
    {
        g_autoptr(ndSysfs) gpu = openTree("gpu");
        g_autoptr(GPtrArray) none = NULL;

        g_assert_cmpint(ndCssDeviceList(gpu, &none), ==, 0);
        g_assert_cmpuint(none->len, ==, 0);
    }
}

static void
testAp(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("s390");
    g_autoptr(GPtrArray) devs = NULL;
    g_autoptr(ndApDeviceInfo) info = NULL;
    g_autofree char *matrix = NULL;
    const char *expect[] = { "card01", "01.0004", "01.0005", "card0a", "0a.0004" };
    size_t i;
    ndApDeviceInfo *d;

    g_assert_cmpint(ndApDeviceList(sysfs, &devs), ==, 0);
    g_assert_cmpuint(devs->len, ==, G_N_ELEMENTS(expect));
    for (i = 0; i < G_N_ELEMENTS(expect); i++) {
        d = g_ptr_array_index(devs, i);
        g_assert_cmpstr(d->name, ==, expect[i]);
    }
    d = g_ptr_array_index(devs, 0);
    g_assert_cmpint(d->kind, ==, ND_AP_DEVICE_CARD);
    g_assert_cmpuint(d->adapter, ==, 1);
    g_assert_cmpint(d->domain, ==, -1);
    g_assert_null(d->driver);
    d = g_ptr_array_index(devs, 2);
    g_assert_cmpint(d->kind, ==, ND_AP_DEVICE_QUEUE);
    g_assert_cmpuint(d->adapter, ==, 1);
    g_assert_cmpint(d->domain, ==, 5);
    g_assert_cmpstr(d->driver, ==, "vfio_ap");
    g_assert_cmpstr(d->relpath, ==, "devices/ap/card01/01.0005");
    d = g_ptr_array_index(devs, 4);
    g_assert_cmpuint(d->adapter, ==, 0x0a);

    g_assert_cmpint(ndApDeviceRead(sysfs, "card02", &info), ==, 0);
    g_assert_cmpint(ndApDeviceRead(sysfs, "card1", &info), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_INVALID_ARG);
    g_assert_cmpint(ndApDeviceRead(sysfs, "01.04", &info), ==, -1);
    g_assert_cmpint(ndApDeviceRead(sysfs, "ap_domain", &info), ==, -1);
    ndResetLastError();

    g_assert_cmpint(ndApMatrixRead(sysfs, &matrix), ==, 1);
    g_assert_cmpstr(matrix, ==, "devices/vfio_ap/matrix");
    {
        g_autoptr(ndSysfs) gpu = openTree("gpu");
        g_autofree char *none = NULL;

        g_assert_cmpint(ndApMatrixRead(gpu, &none), ==, 0);
        g_assert_null(none);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/s390/ccw-address", testCcwAddress);
    g_test_add_func("/s390/css", testCss);
    g_test_add_func("/s390/ap", testAp);
    return g_test_run();
}
