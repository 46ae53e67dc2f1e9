/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of ndpci and nddmi on the static trees in tests/sysfsdata. */
#include <string.h>

#include <glib/gstdio.h>

#include "util/ndpci.h"
#include "util/nddmi.h"
#include "util/nderror.h"

static ndSysfs *
openTree(const char *name)
{
    g_autofree char *path = g_build_filename(g_getenv("ND_TEST_SRCDIR"),
                                             "sysfsdata", name, NULL);
    g_autofree char *ids = g_build_filename(g_getenv("ND_TEST_SRCDIR"),
                                            "sysfsdata", "pci.ids", NULL);
    ndSysfs *sysfs = ndSysfsNew(path);

    g_assert_nonnull(sysfs);
    ndSysfsSetPciIdsPath(sysfs, ids);
    return sysfs;
}

static void
testAddress(void)
{
    ndPciAddress a;
    ndPciAddress b = { 0, 0x41, 0, 1 };
    g_autofree char *s = NULL;

    g_assert_cmpint(ndPciAddressParse("0000:41:00.0", &a), ==, 0);
    g_assert_cmpuint(a.domain, ==, 0);
    g_assert_cmpuint(a.bus, ==, 0x41);
    g_assert_cmpuint(a.slot, ==, 0);
    g_assert_cmpuint(a.function, ==, 0);
    g_assert_cmpint(ndPciAddressCompare(&a, &b), ==, -1);
    g_assert_cmpint(ndPciAddressCompare(&b, &a), ==, 1);
    g_assert_cmpint(ndPciAddressParse("ABCD:FF:1F.7", &a), ==, 0);
    s = ndPciAddressFormat(&a);
    g_assert_cmpstr(s, ==, "abcd:ff:1f.7");

    g_clear_pointer(&s, g_free);
    /* an Intel VMD domain */
    g_assert_cmpint(ndPciAddressParse("10000:e1:00.0", &a), ==, 0);
    g_assert_cmphex(a.domain, ==, 0x10000);
    s = ndPciAddressFormat(&a);
    g_assert_cmpstr(s, ==, "10000:e1:00.0");
    g_assert_cmpint(ndPciAddressParse("ffffffff:00:00.0", &a), ==, 0);
    g_assert_cmpint(ndPciAddressParse("100000000:00:00.0", &a), ==, -1);
    g_assert_cmpint(ndPciAddressParse("000:41:00.0", &a), ==, -1);
    g_assert_cmpint(ndPciAddressParse("0000:41:00.0:", &a), ==, -1);
    g_assert_cmpint(ndPciAddressParse("0000:041:00.0", &a), ==, -1);
    g_assert_cmpint(ndPciAddressParse("0000:41:20.0", &a), ==, -1);
    g_assert_cmpint(ndPciAddressParse("0000:41:00.8", &a), ==, -1);
    g_assert_cmpint(ndPciAddressParse("0000:41:00.0 ", &a), ==, -1);
    g_assert_cmpint(ndPciAddressParse("41:00.0", &a), ==, -1);
    g_assert_cmpint(ndPciAddressParse("000g:41:00.0", &a), ==, -1);
    g_assert_cmpint(ndPciAddressParse("0000-41:00.0", &a), ==, -1);
    g_assert_cmpint(ndPciAddressParse(NULL, &a), ==, -1);

    g_assert_cmpstr(ndPciLinkSpeedToString(ND_PCI_LINK_SPEED_2_5), ==, "2.5");
    g_assert_cmpstr(ndPciLinkSpeedToString(ND_PCI_LINK_SPEED_16), ==, "16");
    g_assert_null(ndPciLinkSpeedToString(ND_PCI_LINK_SPEED_UNKNOWN));
    g_assert_null(ndPciLinkSpeedToString(ND_PCI_LINK_SPEED_LAST));
}

static void
testIds(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");

    g_assert_cmpstr(ndPciIdsFindVendor(sysfs, 0x10de), ==, "NVIDIA Corporation");
    g_assert_cmpstr(ndPciIdsFindDevice(sysfs, 0x10de, 0x1eb8), ==,
                    "TU104GL [Tesla T4]");
    g_assert_null(ndPciIdsFindDevice(sysfs, 0x10de, 0x0001));
    g_assert_null(ndPciIdsFindVendor(sysfs, 0x1234));
    /* the class list at the end is not read as vendors */
    g_assert_null(ndPciIdsFindVendor(sysfs, 0xffff));
    g_assert_null(ndPciIdsFindVendor(sysfs, 0x10000));

    ndSysfsSetPciIdsPath(sysfs, "/nonexistent/pci.ids");
    ndResetLastError();
    g_assert_null(ndPciIdsFindVendor(sysfs, 0x10de));
    g_assert_null(ndGetLastError());
    ndSysfsSetPciIdsPath(sysfs, NULL);
    g_assert_null(ndPciIdsFindVendor(sysfs, 0x10de));
}

static gpointer
idsThread(gpointer data)
{
    return (gpointer) ndPciIdsFindDevice(data, 0x10de, 0x20b5);
}

/* The index is built once, under a lock, whoever asks first. */
static void
testIdsThreads(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("sriov");
    g_autofree char *copy = NULL;
    g_autofree char *src = g_build_filename(g_getenv("ND_TEST_SRCDIR"),
                                            "sysfsdata", "pci.ids", NULL);
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("ndpcitest-XXXXXX", &err);
    g_autofree char *text = NULL;
    GThread *threads[8];
    gpointer first = NULL;
    size_t i;

    /* a path no other test has loaded yet */
    g_assert_no_error(err);
    copy = g_build_filename(dir, "pci.ids", NULL);
    g_assert_true(g_file_get_contents(src, &text, NULL, NULL));
    g_assert_true(g_file_set_contents(copy, text, -1, NULL));
    ndSysfsSetPciIdsPath(sysfs, copy);
    for (i = 0; i < G_N_ELEMENTS(threads); i++)
        threads[i] = g_thread_new("ids", idsThread, sysfs);
    for (i = 0; i < G_N_ELEMENTS(threads); i++) {
        gpointer got = g_thread_join(threads[i]);

        g_assert_cmpstr(got, ==, "GA100 [A100 PCIe 80GB]");
        if (!first)
            first = got;
        g_assert_true(got == first);    /* one index, one string */
    }
    g_assert_cmpint(g_unlink(copy), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* The distribution's own database, when installed (not /sys). */
static void
testIdsSystem(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    const char *path = "/usr/share/misc/pci.ids";

    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_test_skip("no /usr/share/misc/pci.ids");
        return;
    }
    ndSysfsSetPciIdsPath(sysfs, path);
    g_assert_cmpstr(ndPciIdsFindVendor(sysfs, 0x8086), ==, "Intel Corporation");
    g_assert_nonnull(ndPciIdsFindDevice(sysfs, 0x10de, 0x1eb8));
}

static void
testGpu(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    g_autoptr(ndPciDeviceInfo) info = NULL;
    ndPciAddress addr;

    g_assert_cmpint(ndPciAddressParse("0000:41:00.0", &addr), ==, 0);
    g_assert_cmpint(ndPciDeviceRead(sysfs, &addr, &info), ==, 1);
    g_assert_cmpstr(info->name, ==, "0000:41:00.0");
    g_assert_cmpstr(info->relpath, ==,
                    "devices/pci0000:40/0000:40:01.1/0000:41:00.0");
    g_assert_true(g_str_has_suffix(info->path,
                                   "/gpu/devices/pci0000:40/0000:40:01.1/0000:41:00.0"));
    g_assert_cmphex(info->klass, ==, 0x030200);
    g_assert_cmphex(info->vendor_id, ==, 0x10de);
    g_assert_cmphex(info->device_id, ==, 0x1eb8);
    g_assert_cmpstr(info->vendor_name, ==, "NVIDIA Corporation");
    g_assert_cmpstr(info->product_name, ==, "TU104GL [Tesla T4]");
    g_assert_cmpstr(info->driver, ==, "nvidia");
    g_assert_cmpint(info->numa_node, ==, 0);
    g_assert_cmpint(info->iommu_group, ==, 20);
    g_assert_cmpuint(info->n_iommu_group_members, ==, 2);
    g_assert_cmpuint(info->iommu_group_members[0].function, ==, 0);
    g_assert_cmpuint(info->iommu_group_members[1].function, ==, 1);
    g_assert_false(info->has_physfn);
    g_assert_cmpuint(info->n_virtfns, ==, 0);
    g_assert_cmpint(info->sriov_totalvfs, ==, -1);
    g_assert_cmpint(info->header_type, ==, ND_PCI_HEADER_TYPE_ENDPOINT);
    /* from config space: the PCIe capability behind a PM capability */
    g_assert_true(info->is_pcie);
    g_assert_cmpint(info->link_cap.port, ==, 0);
    g_assert_cmpint(info->link_cap.speed, ==, ND_PCI_LINK_SPEED_8);
    g_assert_cmpuint(info->link_cap.width, ==, 16);
    g_assert_cmpint(info->link_sta.port, ==, -1);
    g_assert_cmpint(info->link_sta.speed, ==, ND_PCI_LINK_SPEED_2_5);
    g_assert_cmpuint(info->link_sta.width, ==, 16);
    g_assert_true(info->has_parent);
    g_assert_cmpuint(info->parent.bus, ==, 0x40);
    g_assert_cmpuint(info->parent.slot, ==, 1);
    g_assert_cmpuint(info->parent.function, ==, 1);
    g_clear_pointer(&info, ndPciDeviceInfoFree);

    /* in D3cold: config space is not read (it would wake the GPU), so the
     * link comes from sysfs attributes, without the port */
    g_assert_cmpint(ndPciAddressParse("0000:86:00.0", &addr), ==, 0);
    g_assert_cmpint(ndPciDeviceRead(sysfs, &addr, &info), ==, 1);
    g_assert_true(info->is_pcie);
    g_assert_cmpint(info->link_cap.port, ==, -1);
    g_assert_cmpint(info->link_cap.speed, ==, ND_PCI_LINK_SPEED_16);
    g_assert_cmpuint(info->link_cap.width, ==, 16);
    g_assert_cmpint(info->link_sta.speed, ==, ND_PCI_LINK_SPEED_8);
    g_assert_cmpuint(info->link_sta.width, ==, 8);
    g_assert_cmpint(info->numa_node, ==, 1);
    g_assert_cmpint(info->header_type, ==, ND_PCI_HEADER_TYPE_ENDPOINT);
    g_clear_pointer(&info, ndPciDeviceInfoFree);

    /* a bridge with 64 bytes of config: header type, no PCIe */
    g_assert_cmpint(ndPciAddressParse("0000:40:01.1", &addr), ==, 0);
    g_assert_cmpint(ndPciDeviceRead(sysfs, &addr, &info), ==, 1);
    g_assert_cmpint(info->header_type, ==, ND_PCI_HEADER_TYPE_PCI_BRIDGE);
    g_assert_false(info->is_pcie);
    g_assert_false(info->has_parent);
    g_assert_cmpstr(info->driver, ==, "pcieport");
    g_assert_cmpstr(info->product_name, ==, "Starship/Matisse GPP Bridge");
    g_clear_pointer(&info, ndPciDeviceInfoFree);

    /* no config at all: header type from the class; unknown product */
    g_assert_cmpint(ndPciAddressParse("0000:80:03.0", &addr), ==, 0);
    g_assert_cmpint(ndPciDeviceRead(sysfs, &addr, &info), ==, 1);
    g_assert_cmpint(info->header_type, ==, ND_PCI_HEADER_TYPE_PCI_BRIDGE);
    g_assert_cmpstr(info->vendor_name, ==, "Intel Corporation");
    g_assert_null(info->product_name);
    g_assert_null(info->driver);
    g_clear_pointer(&info, ndPciDeviceInfoFree);

    g_assert_cmpint(ndPciAddressParse("0000:99:00.0", &addr), ==, 0);
    info = (ndPciDeviceInfo *) 0x1;
    g_assert_cmpint(ndPciDeviceRead(sysfs, &addr, &info), ==, 0);
    g_assert_null(info);
}

static void
testList(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    g_autoptr(GPtrArray) devs = NULL;
    const char *expect[] = {
        "0000:00:00.0", "0000:00:02.0", "0000:40:01.1", "0000:41:00.0",
        "0000:41:00.1", "0000:80:03.0", "0000:86:00.0",
    };
    size_t i;

    g_assert_cmpint(ndPciDeviceList(sysfs, &devs), ==, 0);
    g_assert_cmpuint(devs->len, ==, G_N_ELEMENTS(expect));
    for (i = 0; i < G_N_ELEMENTS(expect); i++) {
        ndPciDeviceInfo *info = g_ptr_array_index(devs, i);

        g_assert_cmpstr(info->name, ==, expect[i]);
    }
}

static void
testSriov(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("sriov");
    g_autoptr(ndPciDeviceInfo) pf = NULL;
    g_autoptr(ndPciDeviceInfo) vf = NULL;
    ndPciAddress addr;
    size_t i;

    g_assert_cmpint(ndPciAddressParse("0000:3b:00.0", &addr), ==, 0);
    g_assert_cmpint(ndPciDeviceRead(sysfs, &addr, &pf), ==, 1);
    g_assert_cmpint(pf->sriov_totalvfs, ==, 4);
    g_assert_cmpuint(pf->n_virtfns, ==, 4);
    for (i = 0; i < 4; i++)
        g_assert_cmpuint(pf->virtfns[i].function, ==, 4 + i);
    g_assert_false(pf->has_physfn);
    g_assert_cmpstr(pf->product_name, ==, "GA100 [A100 PCIe 80GB]");

    g_assert_cmpint(ndPciAddressParse("0000:3b:00.6", &addr), ==, 0);
    g_assert_cmpint(ndPciDeviceRead(sysfs, &addr, &vf), ==, 1);
    g_assert_true(vf->has_physfn);
    g_assert_cmpint(ndPciAddressCompare(&vf->physfn, &pf->addr), ==, 0);
    g_assert_cmpint(vf->iommu_group, ==, 9);
    g_assert_cmpuint(vf->n_iommu_group_members, ==, 1);
    g_assert_cmpint(vf->sriov_totalvfs, ==, -1);
    g_assert_true(vf->has_parent);
    g_assert_cmpuint(vf->parent.bus, ==, 0x3a);
}

static void
testMalformed(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("malformed");
    g_autoptr(GPtrArray) devs = NULL;
    g_autoptr(ndPciDeviceInfo) info = NULL;
    ndPciDeviceInfo *dev;
    ndPciAddress addr;

    /* junk names, escaping and dangling links are left out, not fatal */
    ndResetLastError();
    g_assert_cmpint(ndPciDeviceList(sysfs, &devs), ==, 0);
    g_assert_null(ndGetLastError());
    g_assert_cmpuint(devs->len, ==, 1);
    dev = g_ptr_array_index(devs, 0);
    g_assert_cmpstr(dev->name, ==, "0000:00:1f.0");
    /* garbage class and an impossible NUMA node read as unknown */
    g_assert_cmpint(dev->klass, ==, -1);
    g_assert_cmpint(dev->numa_node, ==, -1);
    g_assert_cmpint(dev->header_type, ==, ND_PCI_HEADER_TYPE_UNKNOWN);
    g_assert_cmpint(dev->iommu_group, ==, 50);
    g_assert_cmpuint(dev->n_iommu_group_members, ==, 1);

    /* the escaping link is an error when asked for directly */
    g_assert_cmpint(ndPciAddressParse("0000:00:1e.0", &addr), ==, 0);
    g_assert_cmpint(ndPciDeviceRead(sysfs, &addr, &info), ==, -1);
    g_assert_null(info);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "leads out of the sysfs root"));
    /* the dangling one is just absent */
    g_assert_cmpint(ndPciAddressParse("0000:00:1d.0", &addr), ==, 0);
    g_assert_cmpint(ndPciDeviceRead(sysfs, &addr, &info), ==, 0);
    ndResetLastError();
}

static void
testDmi(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    g_autoptr(ndSysfs) none = openTree("s390");
    g_autoptr(ndDmiInfo) dmi = NULL;
    g_autoptr(ndDmiInfo) empty = NULL;

    g_assert_cmpint(ndDmiRead(sysfs, &dmi), ==, 0);
    g_assert_cmpstr(dmi->sys_vendor, ==, "Example Computers Inc.");
    g_assert_cmpstr(dmi->product_name, ==, "Server X1");
    g_assert_cmpstr(dmi->product_version, ==, "1.0");
    g_assert_cmpstr(dmi->product_serial, ==, "SN-0001");
    g_assert_cmpstr(dmi->product_uuid, ==, "4c4c4544-0047-3610-8039-b4c04f4e3632");
    g_assert_cmpstr(dmi->bios_vendor, ==, "Example BIOS");
    g_assert_cmpstr(dmi->bios_version, ==, "2.3.4");
    g_assert_cmpstr(dmi->bios_date, ==, "01/02/2023");

    g_assert_cmpint(ndDmiRead(none, &empty), ==, 0);
    g_assert_null(empty->sys_vendor);
    g_assert_null(empty->bios_date);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pci/address", testAddress);
    g_test_add_func("/pci/ids", testIds);
    g_test_add_func("/pci/ids-threads", testIdsThreads);
    g_test_add_func("/pci/ids-system", testIdsSystem);
    g_test_add_func("/pci/gpu", testGpu);
    g_test_add_func("/pci/list", testList);
    g_test_add_func("/pci/sriov", testSriov);
    g_test_add_func("/pci/malformed", testMalformed);
    g_test_add_func("/dmi/read", testDmi);
    return g_test_run();
}
