/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node-device driver against mdevsim: enumeration of every profile,
 * every operation and error case, restarts, out-of-band changes, events. */
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drvtestutils.h"
#include "conf/node_device_conf.h"
#include "util/nderror.h"
#include "util/ndmdev.h"
#include "util/ndsysfs.h"

/* libvirt 10.1 list flags the 9.0 headers lack */
#define ND_LIST_PERSISTENT_FLAG (1U << 28)
#define ND_LIST_TRANSIENT_FLAG (1U << 29)
#define VIR_NODE_DEVICE_XML_INACTIVE_FLAG (1U << 0)

#define U1 "11111111-2222-3333-4444-000000000001"
#define U2 "11111111-2222-3333-4444-000000000002"
#define U3 "11111111-2222-3333-4444-000000000003"
#define U4 "11111111-2222-3333-4444-000000000004"

#define GPU "pci_0000_41_00_0"
#define GPU2 "pci_0000_42_00_0"
#define NAME1 "mdev_11111111_2222_3333_4444_000000000001_0000_41_00_0"
#define NAME2 "mdev_11111111_2222_3333_4444_000000000002_0000_41_00_0"

static char *
mdevXML(const char *parent, const char *type, const char *uuid,
        const char *attrs)
{
    return g_strdup_printf("<device>\n"
                           "  %s%s%s\n"
                           "  <capability type='mdev'>\n"
                           "    <type id='%s'/>\n"
                           "    %s%s%s\n"
                           "    %s\n"
                           "  </capability>\n"
                           "</device>\n",
                           parent ? "<parent>" : "", parent ? parent : "",
                           parent ? "</parent>" : "",
                           type,
                           uuid ? "<uuid>" : "", uuid ? uuid : "",
                           uuid ? "</uuid>" : "",
                           attrs ? attrs : "");
}

static int
cmpStrp(const char **a, const char **b)
{
    return g_strcmp0(*a, *b);
}

static char *
joinNames(char **names)
{
    return g_strjoinv(" ", names);
}

static char *
listSorted(ndDriver *drv, unsigned int flags)
{
    g_auto(GStrv) names = NULL;
    int n = ndDriverListAllDevices(drv, flags, &names);

    g_assert_cmpint(n, >=, 0);
    qsort(names, n, sizeof(char *), (int (*)(const void *, const void *)) cmpStrp);
    return joinNames(names);
}

static char *
listAll(ndDriver *drv, unsigned int flags)
{
    g_auto(GStrv) names = NULL;

    g_assert_cmpint(ndDriverListAllDevices(drv, flags, &names), >=, 0);
    return joinNames(names);
}

/* Every device's parent chain reaches "computer". */
static void
checkTree(ndDriver *drv)
{
    g_auto(GStrv) names = NULL;
    int n = ndDriverListAllDevices(drv, 0, &names);
    int i;

    g_assert_cmpint(n, >, 0);
    g_assert_cmpstr(names[0], ==, "computer");
    for (i = 0; i < n; i++) {
        g_autofree char *cur = g_strdup(names[i]);
        int depth = 0;

        while (!g_str_equal(cur, "computer")) {
            char *parent = NULL;

            g_assert_cmpint(ndDriverGetParent(drv, cur, &parent), ==, 0);
            g_assert_nonnull(parent);
            g_assert_cmpint(ndDriverLookup(drv, parent), ==, 0);
            g_free(cur);
            cur = parent;
            g_assert_cmpint(++depth, <, 16);
        }
    }
}

/* Every device's XML, live and (where persistent) inactive, validates
 * against libvirt's installed schema. */
static void
checkValid(ndDriver *drv)
{
    const char *rng = "/usr/share/libvirt/schemas/nodedev.rng";
    g_auto(GStrv) names = NULL;
    int n = ndDriverListAllDevices(drv, 0, &names);
    int i;

    if (!g_file_test(rng, G_FILE_TEST_EXISTS)) {
        g_test_message("no %s: XML not validated", rng);
        return;
    }
    for (i = 0; i < n; i++) {
        g_autofree char *xml = ndDriverGetXMLDesc(drv, names[i], 0);
        g_autofree char *inactive = NULL;

        g_assert_nonnull(xml);
        /* libvirt's form for a virtual parent is outside its own schema */
        if (strstr(xml, "<capability type='mdev_types'>\n    <capability type='mdev_types'>"))
            continue;
        if (ndNodeDeviceValidateString(xml, rng) < 0)
            g_error("%s does not validate: %s\n%s", names[i],
                    ndGetLastErrorMessage(), xml);
        if (ndDriverIsPersistent(drv, names[i]) == 1) {
            inactive = ndDriverGetXMLDesc(drv, names[i], VIR_NODE_DEVICE_XML_INACTIVE_FLAG);
            g_assert_nonnull(inactive);
            if (ndNodeDeviceValidateString(inactive, rng) < 0)
                g_error("%s (inactive) does not validate: %s\n%s", names[i],
                        ndGetLastErrorMessage(), inactive);
        }
    }
}

/* ---- enumeration ---- */

static void
testEnumDemo(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autofree char *all = listAll(drv, 0);
    g_autofree char *parents = listAll(drv, VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES);
    g_autofree char *xml = NULL;
    g_autofree char *computer = NULL;
    g_auto(GStrv) caps = NULL;
    g_auto(GStrv) names = NULL;
    char *parent = (char *) "unset";

    g_assert_cmpstr(all, ==, "computer pci_0000_00_02_0 " GPU " " GPU2 " mtty_mtty");
    g_assert_cmpstr(parents, ==, "pci_0000_00_02_0 " GPU " " GPU2 " mtty_mtty");
    g_assert_cmpint(ndDriverNumOfDevices(drv, NULL, 0), ==, 5);
    g_assert_cmpint(ndDriverNumOfDevices(drv, "pci", 0), ==, 3);
    g_assert_cmpint(ndDriverNumOfDevices(drv, "mdev_types", 0), ==, 4);
    g_assert_cmpint(ndDriverNumOfDevices(drv, "mdev", 0), ==, 0);
    g_assert_cmpint(ndDriverNumOfDevices(drv, "no_such_cap", 0), ==, 0);
    g_assert_cmpint(ndDriverListDevices(drv, "system", 0, &names), ==, 1);
    g_assert_cmpstr(names[0], ==, "computer");
    g_assert_null(names[1]);

    g_assert_cmpint(ndDriverGetParent(drv, "computer", &parent), ==, 0);
    g_assert_null(parent);
    g_assert_cmpint(ndDriverListCaps(drv, GPU, &caps), ==, 2);
    g_assert_cmpstr(caps[0], ==, "pci");
    g_assert_cmpstr(caps[1], ==, "mdev_types");
    g_clear_pointer(&caps, g_strfreev);
    g_assert_cmpint(ndDriverListCaps(drv, "mtty_mtty", &caps), ==, 1);
    g_assert_cmpstr(caps[0], ==, "mdev_types");
    /* libvirt's form for a virtual parent */
    xml = ndDriverGetXMLDesc(drv, "mtty_mtty", 0);
    g_assert_true(g_str_has_suffix(xml,
                                   "  <parent>computer</parent>\n"
                                   "  <capability type='mdev_types'>\n"
                                   "    <capability type='mdev_types'>\n"
                                   "      <type id='mtty-1'>\n"
                                   "        <name>Single port serial</name>\n"
                                   "        <deviceAPI>vfio-pci</deviceAPI>\n"
                                   "        <availableInstances>24</availableInstances>\n"
                                   "      </type>\n"
                                   "      <type id='mtty-2'>\n"
                                   "        <name>Dual port serial</name>\n"
                                   "        <deviceAPI>vfio-pci</deviceAPI>\n"
                                   "        <availableInstances>12</availableInstances>\n"
                                   "      </type>\n"
                                   "    </capability>\n"
                                   "  </capability>\n"
                                   "</device>\n"));
    g_clear_pointer(&xml, g_free);
    checkTree(drv);

    xml = ndDriverGetXMLDesc(drv, GPU, 0);
    g_assert_nonnull(strstr(xml, "<type id='nvidia-256'>\n"
                                 "        <name>GRID T4-1Q</name>\n"
                                 "        <deviceAPI>vfio-pci</deviceAPI>\n"
                                 "        <availableInstances>16</availableInstances>\n"));
    computer = ndDriverGetXMLDesc(drv, "computer", 0);
    g_assert_nonnull(strstr(computer, "<uuid>4c4c4544-0042-3510-8052-b2c04f433232</uuid>"));
    g_assert_cmpint(ndDriverIsActive(drv, GPU), ==, 1);
    g_assert_cmpint(ndDriverIsPersistent(drv, GPU), ==, 1);
    checkValid(drv);

    /* errors */
    g_assert_cmpint(ndDriverLookup(drv, "nope"), ==, -1);
    testAssertError(ND_ERR_NO_NODE_DEVICE,
                    "Node device not found: no node device with matching name 'nope'");
    g_assert_null(ndDriverGetXMLDesc(drv, "nope", 0));
    testAssertError(ND_ERR_NO_NODE_DEVICE,
                    "Node device not found: no node device with matching name 'nope'");
    g_assert_cmpint(ndDriverListAllDevices(drv, 1U << 25, &names), ==, -1);
    testAssertError(ND_ERR_INVALID_ARG,
                    "unsupported flags (0x2000000) in function nodeConnectListAllNodeDevices");
    g_assert_null(ndDriverGetXMLDesc(drv, GPU, 2));
    testAssertError(ND_ERR_INVALID_ARG,
                    "unsupported flags (0x2) in function nodeDeviceGetXMLDesc");

    /* no SCSI hosts on an mdev host: not found, naming both names */
    {
        char *host = (char *) "unset";

        g_assert_cmpint(ndDriverLookupSCSIHostByWWN(drv, "20000000c9831b4b",
                                                    "10000000c9831b4b", 0,
                                                    &host), ==, -1);
        g_assert_null(host);
        testAssertError(ND_ERR_NO_NODE_DEVICE,
                        "Node device not found: no SCSI host with world wide "
                        "node name '20000000c9831b4b' and port name "
                        "'10000000c9831b4b'");
        g_assert_cmpint(ndDriverLookupSCSIHostByWWN(drv, "a", "b", 1, &host),
                        ==, -1);
        testAssertError(ND_ERR_INVALID_ARG,
                        "unsupported flags (0x1) in function "
                        "nodeDeviceLookupSCSIHostByWWN");
    }
}

static void
testEnumS390(void)
{
    g_autoptr(TestSim) sim = testSimStart("s390");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autofree char *types = listAll(drv, VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES);
    g_autofree char *css = listAll(drv, VIR_CONNECT_LIST_NODE_DEVICES_CAP_CSS_DEV);
    g_autofree char *cards = listAll(drv, VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_CARD);
    g_autofree char *matrix = ndDriverGetXMLDesc(drv, "ap_matrix", 0);
    g_autofree char *queue = ndDriverGetXMLDesc(drv, "ap_05_0004", 0);

    g_assert_cmpstr(types, ==, "css_0_0_0023 css_0_0_0024 ap_matrix");
    g_assert_cmpstr(css, ==, "css_0_0_0023 css_0_0_0024 css_0_0_0025");
    g_assert_cmpstr(cards, ==, "ap_card05 ap_card06 ap_card07");
    g_assert_nonnull(strstr(matrix, "<type id='vfio_ap-passthrough'>"));
    g_assert_nonnull(queue);
    g_assert_nonnull(strstr(queue, "<parent>ap_card05</parent>"));
    g_assert_nonnull(strstr(queue, "<ap-domain>0x0004</ap-domain>"));
    checkTree(drv);
    checkValid(drv);
}

static void
testEnumSamples(void)
{
    g_autoptr(TestSim) sim = testSimStart("samples");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autofree char *all = listAll(drv, 0);
    const char *types[] = { "mtty-1", "mdpy-vga", "mbochs-small" };
    const char *parents[] = { "mtty", "mdpy", "mbochs" };
    guint i;

    g_assert_cmpstr(all, ==, "computer mbochs_mbochs mdpy_mdpy mtty_mtty");
    for (i = 0; i < G_N_ELEMENTS(types); i++) {
        g_autofree char *xml = mdevXML(parents[i], types[i], NULL, NULL);
        g_autofree char *name = ndDriverCreateXML(drv, xml, 0);
        g_autofree char *parent = NULL;

        if (!name)
            g_error("create on %s: %s", parents[i], ndGetLastErrorMessage());
        g_assert_cmpint(ndDriverGetParent(drv, name, &parent), ==, 0);
        g_assert_true(g_str_has_suffix(parent, parents[i]));
        g_assert_true(g_str_has_suffix(name, parents[i]));
        checkValid(drv);
        g_assert_cmpint(ndDriverDestroy(drv, name), ==, 0);
    }
    checkTree(drv);
}

/* Every parent in @names (pci_DDDD_BB_SS_F) shows, in its XML, each type
 * that a plain read of its sysfs directory finds, with that type's name,
 * device_api and count: the startup reads many parents' types on several
 * threads sharing one set of known type ids. */
static void
checkParentsTypes(TestSim *sim, ndDriver *drv, char **names)
{
    g_autoptr(ndSysfs) sysfs = ndSysfsNew(sim->mnt);
    guint i;
    guint j;

    g_assert_nonnull(sysfs);
    for (i = 0; names[i]; i++) {
        g_autofree char *xml = ndDriverGetXMLDesc(drv, names[i], 0);
        g_autofree char *bus = NULL;
        g_autoptr(GPtrArray) types = NULL;
        unsigned int d, b, sl, f;

        g_assert_nonnull(xml);
        g_assert_cmpint(sscanf(names[i], "pci_%4x_%2x_%2x_%1x", &d, &b, &sl, &f), ==, 4);
        bus = g_strdup_printf("%04x:%02x:%02x.%x", d, b, sl, f);
        g_assert_cmpint(ndMdevTypeList(sysfs, bus, &types), ==, 0);
        g_assert_cmpuint(types->len, >, 0);
        for (j = 0; j < types->len; j++) {
            const ndMdevTypeInfo *t = g_ptr_array_index(types, j);
            g_autofree char *want =
                g_strdup_printf("<type id='%s'>\n"
                                "        <name>%s</name>\n"
                                "        <deviceAPI>%s</deviceAPI>\n"
                                "        <availableInstances>%u</availableInstances>\n",
                                t->id, t->name, t->device_api,
                                t->available_instances);

            if (!strstr(xml, want))
                g_error("%s: type %s not shown as read:\n%s\n%s", names[i],
                        t->id, want, xml);
        }
    }
}

static void
testEnumSriov(void)
{
    g_autoptr(TestSim) sim = testSimStart("sriov");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autofree char *xml = NULL;
    g_autofree char *create = NULL;
    g_autofree char *name = NULL;
    g_autofree char *parent = NULL;
    g_auto(GStrv) vfs = NULL;

    g_assert_cmpint(ndDriverNumOfDevices(drv, "mdev_types", 0), ==, 128);
    g_assert_cmpint(ndDriverNumOfDevices(drv, "pci", 0), ==, 132);
    xml = ndDriverGetXMLDesc(drv, "pci_0000_3b_00_0", 0);
    g_assert_nonnull(strstr(xml, "<capability type='virt_functions' maxCount='32'>"));
    checkTree(drv);
    checkValid(drv);

    /* a device on a VF, found through the PF's list */
    g_assert_cmpint(ndDriverListAllDevices(drv, VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES,
                                           &vfs), ==, 128);
    checkParentsTypes(sim, drv, vfs);
    create = mdevXML(vfs[0], "nvidia-700", NULL, NULL);
    name = ndDriverCreateXML(drv, create, 0);
    if (!name)
        g_error("create on %s: %s", vfs[0], ndGetLastErrorMessage());
    g_assert_cmpint(ndDriverGetParent(drv, name, &parent), ==, 0);
    g_assert_cmpstr(parent, ==, vfs[0]);
    g_assert_cmpint(ndDriverDestroy(drv, name), ==, 0);

    /* a PF is a PCI function (it has an address) but no mdev parent */
    g_clear_pointer(&create, g_free);
    create = mdevXML("pci_0000_3b_00_0", "nvidia-700", NULL, NULL);
    g_assert_null(ndDriverCreateXML(drv, create, 0));
    testAssertError(ND_ERR_CONFIG_UNSUPPORTED,
                    "unsupported configuration: parent device 'pci_0000_3b_00_0' does not support mediated devices");
}

/* ---- create and destroy ---- */

static void
testCreateDestroy(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autoptr(TestEvents) ev = testEventsNew(drv);
    g_autofree char *xml = mdevXML(GPU, "nvidia-256", U1, NULL);
    g_autofree char *name = NULL;
    g_autofree char *dump = NULL;
    g_autofree char *parent_xml = NULL;
    g_autofree char *events = NULL;
    g_autofree char *mdevs = NULL;
    g_autofree char *avail = NULL;

    name = ndDriverCreateXML(drv, xml, 0);
    if (!name)
        g_error("create: %s", ndGetLastErrorMessage());
    g_assert_cmpstr(name, ==, NAME1);
    g_assert_true(testSimExists(sim, "bus/mdev/devices/" U1));
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "CREATED " NAME1 "\nUPDATE " GPU);

    dump = ndDriverGetXMLDesc(drv, name, 0);
    g_assert_nonnull(strstr(dump, "<parent>" GPU "</parent>"));
    g_assert_nonnull(strstr(dump, "<driver>\n    <name>nvidia-vgpu-vfio</name>\n  </driver>"));
    g_assert_nonnull(strstr(dump, "    <type id='nvidia-256'/>\n"
                                  "    <uuid>" U1 "</uuid>\n"
                                  "    <parent_addr>0000:41:00.0</parent_addr>\n"
                                  "    <iommuGroup number="));
    parent_xml = ndDriverGetXMLDesc(drv, GPU, 0);
    g_assert_nonnull(strstr(parent_xml, "<availableInstances>15</availableInstances>"));
    avail = testSimRead(sim, "class/mdev_bus/0000:41:00.0/mdev_supported_types/nvidia-256/available_instances");
    g_assert_cmpstr(avail, ==, "15\n");
    /* the same type id on the other GPU: its name and API shared, its
     * count its own */
    g_clear_pointer(&parent_xml, g_free);
    parent_xml = ndDriverGetXMLDesc(drv, GPU2, 0);
    g_assert_nonnull(strstr(parent_xml, "<type id='nvidia-256'>\n"
                                        "        <name>GRID T4-1Q</name>\n"
                                        "        <deviceAPI>vfio-pci</deviceAPI>\n"
                                        "        <availableInstances>16</availableInstances>\n"));

    mdevs = listAll(drv, VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV);
    g_assert_cmpstr(mdevs, ==, NAME1);
    g_assert_cmpint(ndDriverIsActive(drv, name), ==, 1);
    g_assert_cmpint(ndDriverIsPersistent(drv, name), ==, 0);
    {
        g_auto(GStrv) transient = NULL;

        g_assert_cmpint(ndDriverListAllDevices(drv, ND_LIST_TRANSIENT_FLAG,
                                               &transient), ==, 1);
    }

    g_assert_cmpint(ndDriverDestroy(drv, name), ==, 0);
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U1));
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "DELETED " NAME1 "\nUPDATE " GPU);
    g_assert_cmpint(ndDriverLookup(drv, name), ==, -1);
    ndResetLastError();

    /* a rescan finds nothing to report after our own changes */
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "");
}

static void
testCreateVariants(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    /* the schema wants a <name>; create ignores it */
    const char *by_addr = "<device>\n"
                          "  <name>anything</name>\n"
                          "  <parent>0000:41:00.0</parent>\n"
                          "  <capability type='mdev'>\n"
                          "    <type id='nvidia-257'/>\n"
                          "  </capability>\n"
                          "</device>\n";
    g_autofree char *upper = mdevXML(GPU2, "nvidia-256",
                                     "  AAAAAAAA-bbbb-CCCC-dddd-EEEEEEEEEEEE ", NULL);
    g_autofree char *mtty = mdevXML("mtty_mtty", "mtty-2", U3, NULL);
    g_autofree char *name = NULL;
    g_autofree char *name2 = NULL;
    g_autofree char *name3 = NULL;
    g_autofree char *parent = NULL;
    g_autofree char *avail = NULL;

    /* a parent given by address, a generated UUID */
    name = ndDriverCreateXML(drv, by_addr, VIR_NODE_DEVICE_CREATE_XML_VALIDATE);
    if (!name)
        g_error("create: %s", ndGetLastErrorMessage());
    g_assert_true(g_str_has_prefix(name, "mdev_"));
    g_assert_true(g_str_has_suffix(name, "_0000_41_00_0"));
    g_assert_cmpuint(strlen(name), ==, strlen(NAME1));
    g_assert_cmpint(ndDriverGetParent(drv, name, &parent), ==, 0);
    g_assert_cmpstr(parent, ==, GPU);

    /* a liberal UUID is made canonical */
    name2 = ndDriverCreateXML(drv, upper, 0);
    g_assert_cmpstr(name2, ==, "mdev_aaaaaaaa_bbbb_cccc_dddd_eeeeeeeeeeee_0000_42_00_0");
    g_assert_true(testSimExists(sim, "bus/mdev/devices/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"));

    /* a virtual parent (mtty) */
    name3 = ndDriverCreateXML(drv, mtty, 0);
    g_assert_cmpstr(name3, ==, "mdev_11111111_2222_3333_4444_000000000003_mtty");
    avail = testSimRead(sim, "class/mdev_bus/mtty/mdev_supported_types/mtty-1/available_instances");
    g_assert_cmpstr(avail, ==, "22\n");
}

static void
testCreateAttrs(void)
{
    g_autoptr(TestSim) sim = testSimStart("s390");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autoptr(TestEvents) ev = testEventsNew(drv);
    g_autofree char *xml = mdevXML("ap_matrix", "vfio_ap-passthrough", U1,
                                   "<attr name='assign_adapter' value='5'/>"
                                   "<attr name='assign_adapter' value='6'/>"
                                   "<attr name='assign_domain' value='0x4'/>"
                                   "<attr name='assign_control_domain' value='4'/>");
    g_autofree char *bad = mdevXML("ap_matrix", "vfio_ap-passthrough", U2,
                                   "<attr name='assign_adapter' value='5'/>"
                                   "<attr name='assign_domain' value='300'/>");
    g_autofree char *ccw = mdevXML("css_0_0_0023", "vfio_ccw-io", U3, NULL);
    g_autofree char *ro = mdevXML("matrix", "vfio_ap-passthrough", U2,
                                  "<attr name='matrix' value='1'/>");
    g_autofree char *name = NULL;
    g_autofree char *matrix = NULL;
    g_autofree char *dump = NULL;
    g_autofree char *events = NULL;
    g_autofree char *ccw_name = NULL;

    name = ndDriverCreateXML(drv, xml, 0);
    if (!name)
        g_error("create: %s", ndGetLastErrorMessage());
    g_assert_cmpstr(name, ==, "mdev_11111111_2222_3333_4444_000000000001_matrix");
    matrix = testSimRead(sim, "bus/mdev/devices/" U1 "/matrix");
    g_assert_cmpstr(matrix, ==, "05.0004\n06.0004\n");
    dump = ndDriverGetXMLDesc(drv, name, 0);
    g_assert_nonnull(strstr(dump, "<parent_addr>matrix</parent_addr>"));
    g_assert_nonnull(strstr(dump, "    <attr name='assign_adapter' value='5'/>\n"
                                  "    <attr name='assign_adapter' value='6'/>\n"
                                  "    <attr name='assign_domain' value='0x4'/>\n"
                                  "    <attr name='assign_control_domain' value='4'/>\n"));

    checkValid(drv);

    /* the second attribute fails: the device is removed again */
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "CREATED mdev_11111111_2222_3333_4444_000000000001_matrix\n"
                                "UPDATE ap_matrix");
    g_assert_null(ndDriverCreateXML(drv, bad, 0));
    testAssertError(ND_ERR_INVALID_ARG,
                    "invalid argument: attribute 2 ('assign_domain') of mediated device '" U2
                    "' failed, the device was removed again: mediated device '" U2
                    "' refused value '300' for 'assign_domain': no such device");
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U2));
    g_assert_cmpint(ndDriverLookup(drv, "mdev_11111111_2222_3333_4444_000000000002_matrix"), ==, -1);
    ndResetLastError();
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "");

    /* an injected write failure of an attribute, then of a create */
    g_assert_cmpint(testSimWrite(sim, ".mdevsim/inject", "attr assign_adapter EIO\n"), ==, 0);
    g_assert_null(ndDriverCreateXML(drv, bad, 0));
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_SYSTEM_ERROR);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(),
                            "attribute 1 ('assign_adapter') of mediated device '" U2
                            "' failed, the device was removed again: "));
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "Input/output error"));
    ndResetLastError();
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U2));

    g_assert_cmpint(testSimWrite(sim, ".mdevsim/inject", "create EIO\n"), ==, 0);
    g_assert_null(ndDriverCreateXML(drv, ccw, 0));
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_SYSTEM_ERROR);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "vfio_ccw-io/create"));
    ndResetLastError();
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U3));
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "");

    /* a read-only attribute of the device */
    g_assert_null(ndDriverCreateXML(drv, ro, 0));
    g_assert_nonnull(strstr(ndGetLastErrorMessage(),
                            "attribute 1 ('matrix') of mediated device '" U2
                            "' failed, the device was removed again: "));
    ndResetLastError();
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U2));

    /* vfio-ccw: one instance per subchannel */
    ccw_name = ndDriverCreateXML(drv, ccw, 0);
    g_assert_cmpstr(ccw_name, ==, "mdev_11111111_2222_3333_4444_000000000003_0_0_0023");
}

static void
testCreateErrors(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autoptr(TestEvents) ev = testEventsNew(drv);
    g_autofree char *unknown = mdevXML("nope", "nvidia-256", NULL, NULL);
    g_autofree char *noparent = mdevXML(NULL, "nvidia-256", NULL, NULL);
    g_autofree char *nomdev = mdevXML("computer", "nvidia-256", NULL, NULL);
    g_autofree char *notype = mdevXML(GPU, "nvidia-999", NULL, NULL);
    g_autofree char *big = mdevXML(GPU, "nvidia-260", U1, NULL);
    g_autofree char *big2 = mdevXML(GPU, "nvidia-260", U2, NULL);
    g_autofree char *dup = mdevXML(GPU2, "nvidia-256", U1, NULL);
    g_autofree char *dup2 = mdevXML(GPU2, "nvidia-256", U2, NULL);
    g_autofree char *badattr = mdevXML("mtty", "mtty-1", U3,
                                       "<attr name='no_such_attr' value='1'/>");
    g_autofree char *roattr = mdevXML("mtty", "mtty-1", U3,
                                      "<attr name='vendor/sample_mdev_dev' value='1'/>");
    g_autofree char *unsafe = mdevXML("mtty", "mtty-1", U3,
                                      "<attr name='../remove' value='1'/>");
    const char *pcixml = "<device><name>x</name><parent>computer</parent>"
                         "<capability type='pci'><domain>0</domain><bus>0</bus>"
                         "<slot>0</slot><function>0</function>"
                         "<product id='0x1'/><vendor id='0x1'/></capability></device>";
    g_autofree char *name = NULL;
    g_autofree char *events = NULL;
    g_autofree char *avail = NULL;

    g_assert_null(ndDriverCreateXML(drv, unknown, 0));
    testAssertError(ND_ERR_CONFIG_UNSUPPORTED,
                    "unsupported configuration: invalid parent device 'nope'");
    g_assert_null(ndDriverCreateXML(drv, noparent, 0));
    testAssertError(ND_ERR_CONFIG_UNSUPPORTED,
                    "unsupported configuration: missing parent device");
    g_assert_null(ndDriverCreateXML(drv, nomdev, 0));
    testAssertError(ND_ERR_PARSE_FAILED,
                    "failed to parse configuration file Unable to find address for parent device 'computer'");
    g_assert_null(ndDriverCreateXML(drv, notype, 0));
    testAssertError(ND_ERR_CONFIG_UNSUPPORTED,
                    "unsupported configuration: mediated device type 'nvidia-999' is not supported by parent device '" GPU "'");
    g_assert_null(ndDriverCreateXML(drv, pcixml, 0));
    testAssertError(ND_ERR_CONFIG_UNSUPPORTED,
                    "unsupported configuration: Unsupported device type");
    g_assert_null(ndDriverCreateXML(drv, "<device>", 0));
    g_assert_nonnull(ndGetLastError());
    ndResetLastError();
    g_assert_null(ndDriverCreateXML(drv, big, 2));
    testAssertError(ND_ERR_INVALID_ARG,
                    "unsupported flags (0x2) in function nodeDeviceCreateXML");

    /* the last instance, then none left */
    name = ndDriverCreateXML(drv, big, 0);
    g_assert_cmpstr(name, ==, NAME1);
    g_assert_null(ndDriverCreateXML(drv, big2, 0));
    testAssertError(ND_ERR_OPERATION_INVALID,
                    "Requested operation is not valid: no instances of mediated device type 'nvidia-260' left on parent device '" GPU "'");

    /* a UUID in use on another parent */
    g_assert_null(ndDriverCreateXML(drv, dup, 0));
    testAssertError(ND_ERR_OPERATION_INVALID,
                    "Requested operation is not valid: UUID '" U1 "' is already used by node device '" NAME1 "'");

    /* attributes that do not exist, are read-only, or leave the device */
    g_assert_null(ndDriverCreateXML(drv, badattr, 0));
    testAssertError(ND_ERR_INVALID_ARG,
                    "invalid argument: attribute 1 ('no_such_attr') of mediated device '" U3
                    "' failed, the device was removed again: mediated device '" U3
                    "' has no attribute 'no_such_attr'");
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U3));
    /* a read-only file in a vendor folder: created, refused, removed again */
    g_assert_null(ndDriverCreateXML(drv, roattr, 0));
    testAssertError(ND_ERR_INVALID_ARG,
                    "invalid argument: attribute 1 ('vendor/sample_mdev_dev') of mediated device '" U3
                    "' failed, the device was removed again: attribute 'vendor/sample_mdev_dev' of mediated device '" U3
                    "' is not writable");
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U3));
    g_assert_null(ndDriverCreateXML(drv, unsafe, 0));
    g_test_message("unsafe attribute: %s", ndGetLastErrorMessage());
    g_assert_nonnull(ndGetLastError());
    ndResetLastError();
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U3));
    avail = testSimRead(sim, "class/mdev_bus/mtty/mdev_supported_types/mtty-1/available_instances");
    g_assert_cmpstr(avail, ==, "24\n");

    /* the parent vanishes right before the create (its driver unbinds) */
    g_assert_cmpint(testSimWrite(sim, ".mdevsim/inject", "parent-vanish 0000:42:00.0\n"), ==, 0);
    g_assert_null(ndDriverCreateXML(drv, dup2, 0));
    g_test_message("parent vanished: %s", ndGetLastErrorMessage());
    g_assert_nonnull(ndGetLastError());
    ndResetLastError();
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U2));

    /* the one device made, and its parent's one change */
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "CREATED " NAME1 "\nUPDATE " GPU);
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "UPDATE " GPU2);
    g_assert_cmpint(ndDriverNumOfDevices(drv, "mdev", 0), ==, 1);
}

static void
testDestroyErrors(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autoptr(TestEvents) ev = testEventsNew(drv);
    g_autofree char *xml = mdevXML(GPU, "nvidia-256", U1, NULL);
    g_autofree char *def = mdevXML(GPU, "nvidia-256", U2, NULL);
    g_autofree char *name = ndDriverCreateXML(drv, xml, 0);
    g_autofree char *defname = ndDriverDefineXML(drv, def, 0);
    g_autofree char *events = NULL;

    g_assert_cmpstr(name, ==, NAME1);
    g_assert_cmpstr(defname, ==, NAME2);

    g_assert_cmpint(ndDriverDestroy(drv, GPU), ==, -1);
    testAssertError(ND_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: Unsupported device type");
    g_assert_cmpint(ndDriverDestroy(drv, "nope"), ==, -1);
    testAssertError(ND_ERR_NO_NODE_DEVICE,
                    "Node device not found: no node device with matching name 'nope'");
    g_assert_cmpint(ndDriverDestroy(drv, NAME2), ==, -1);
    testAssertError(ND_ERR_OPERATION_INVALID,
                    "Requested operation is not valid: Device '" NAME2 "' is not active");

    /* in use: refused at once, the device stays */
    g_assert_cmpint(testSimWrite(sim, ".mdevsim/busy", "+" U1 "\n"), ==, 0);
    g_assert_cmpint(ndDriverDestroy(drv, NAME1), ==, -1);
    testAssertError(ND_ERR_INTERNAL_ERROR,
                    "internal error: Unable to destroy '" NAME1 "': device in use");
    g_assert_true(testSimExists(sim, "bus/mdev/devices/" U1));
    g_assert_cmpint(ndDriverIsActive(drv, NAME1), ==, 1);
    g_assert_cmpint(testSimWrite(sim, ".mdevsim/busy", "-" U1 "\n"), ==, 0);

    /* the kernel's remove fails */
    g_assert_cmpint(testSimWrite(sim, ".mdevsim/inject", "remove EIO\n"), ==, 0);
    g_assert_cmpint(ndDriverDestroy(drv, NAME1), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_SYSTEM_ERROR);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), U1 "/remove"));
    ndResetLastError();
    g_assert_cmpint(ndDriverIsActive(drv, NAME1), ==, 1);

    g_assert_cmpint(ndDriverDestroy(drv, NAME1), ==, 0);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "CREATED " NAME1 "\nUPDATE " GPU "\nDEFINED " NAME2 "\n"
                                "DELETED " NAME1 "\nUPDATE " GPU);
}

static char *
confRead(TestSim *sim, const char *parent, const char *uuid)
{
    g_autofree char *rel = g_strdup_printf("conf:%s/%s", parent, uuid);

    return testSimRead(sim, rel);
}

static void
testDefine(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autoptr(TestEvents) ev = testEventsNew(drv);
    g_autofree char *xml = mdevXML(GPU, "nvidia-257", U1,
                                   "<attr name='b' value='x y'/><attr name='a' value='2'/>");
    g_autofree char *xml2 = mdevXML(GPU, "nvidia-256", U1, NULL);
    g_autofree char *transient = mdevXML(GPU2, "nvidia-256", U2, NULL);
    g_autofree char *name = NULL;
    g_autofree char *file = NULL;
    g_autofree char *dump = NULL;
    g_autofree char *inactive = NULL;
    g_autofree char *events = NULL;
    g_autofree char *tname = NULL;
    g_autofree char *defined = NULL;
    int autostart = -1;

    name = ndDriverDefineXML(drv, xml, 0);
    g_assert_cmpstr(name, ==, NAME1);
    file = confRead(sim, "0000:41:00.0", U1);
    g_assert_cmpstr(file, ==,
                    "{\n"
                    "  \"mdev_type\": \"nvidia-257\",\n"
                    "  \"start\": \"manual\",\n"
                    "  \"attrs\": [\n"
                    "    {\n"
                    "      \"b\": \"x y\"\n"
                    "    },\n"
                    "    {\n"
                    "      \"a\": \"2\"\n"
                    "    }\n"
                    "  ]\n"
                    "}");
    g_assert_cmpint(ndDriverIsActive(drv, name), ==, 0);
    g_assert_cmpint(ndDriverIsPersistent(drv, name), ==, 1);
    g_assert_cmpint(ndDriverGetAutostart(drv, name, &autostart), ==, 0);
    g_assert_cmpint(autostart, ==, 0);
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U1));
    dump = ndDriverGetXMLDesc(drv, name, 0);
    g_assert_cmpstr(dump, ==,
                    "<device>\n"
                    "  <name>" NAME1 "</name>\n"
                    "  <parent>" GPU "</parent>\n"
                    "  <capability type='mdev'>\n"
                    "    <type id='nvidia-257'/>\n"
                    "    <uuid>" U1 "</uuid>\n"
                    "    <parent_addr>0000:41:00.0</parent_addr>\n"
                    "    <iommuGroup number='0'/>\n"
                    "    <attr name='b' value='x y'/>\n"
                    "    <attr name='a' value='2'/>\n"
                    "  </capability>\n"
                    "</device>\n");
    defined = listAll(drv, VIR_CONNECT_LIST_NODE_DEVICES_INACTIVE);
    g_assert_cmpstr(defined, ==, NAME1);
    g_free(defined);
    defined = listAll(drv, VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV |
                           VIR_CONNECT_LIST_NODE_DEVICES_ACTIVE);
    g_assert_cmpstr(defined, ==, "");

    /* starting fails on the attributes (nvidia has no 'b'): rolled back */
    g_assert_cmpint(ndDriverCreate(drv, name, 0), ==, -1);
    testAssertError(ND_ERR_INVALID_ARG,
                    "invalid argument: attribute 1 ('b') of mediated device '" U1
                    "' failed, the device was removed again: mediated device '" U1
                    "' has no attribute 'b'");
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U1));
    g_assert_cmpint(ndDriverIsActive(drv, name), ==, 0);
    g_free(name);
    name = ndDriverDefineXML(drv, xml2, 0);
    g_assert_cmpstr(name, ==, NAME1);

    /* start, start again, destroy: stays defined */
    g_assert_cmpint(ndDriverCreate(drv, name, 0), ==, 0);
    g_assert_true(testSimExists(sim, "bus/mdev/devices/" U1));
    g_assert_cmpint(ndDriverIsActive(drv, name), ==, 1);
    g_assert_cmpint(ndDriverCreate(drv, name, 0), ==, -1);
    testAssertError(ND_ERR_OPERATION_INVALID,
                    "Requested operation is not valid: Device is already active");
    /* as libvirt: a device that is no mdev is active, and that comes first */
    g_assert_cmpint(ndDriverCreate(drv, GPU, 0), ==, -1);
    testAssertError(ND_ERR_OPERATION_INVALID,
                    "Requested operation is not valid: Device is already active");
    inactive = ndDriverGetXMLDesc(drv, name, VIR_NODE_DEVICE_XML_INACTIVE_FLAG);
    g_assert_null(strstr(inactive, "<path>"));
    g_assert_cmpint(ndDriverDestroy(drv, name), ==, 0);
    g_assert_cmpint(ndDriverIsActive(drv, name), ==, 0);
    g_assert_cmpint(ndDriverLookup(drv, name), ==, 0);

    /* autostart */
    g_assert_cmpint(ndDriverSetAutostart(drv, name, 1), ==, 0);
    g_assert_cmpint(ndDriverGetAutostart(drv, name, &autostart), ==, 0);
    g_assert_cmpint(autostart, ==, 1);
    g_free(file);
    file = confRead(sim, "0000:41:00.0", U1);
    g_assert_nonnull(strstr(file, "\"start\": \"auto\""));
    g_assert_cmpint(ndDriverSetAutostart(drv, GPU, 1), ==, -1);
    testAssertError(ND_ERR_OPERATION_UNSUPPORTED, "Operation not supported: Unsupported device type");

    /* redefining updates the file and keeps autostart */
    g_free(name);
    name = ndDriverDefineXML(drv, xml2, 0);
    g_assert_cmpstr(name, ==, NAME1);
    g_free(file);
    file = confRead(sim, "0000:41:00.0", U1);
    g_assert_cmpstr(file, ==,
                    "{\n"
                    "  \"mdev_type\": \"nvidia-256\",\n"
                    "  \"start\": \"auto\",\n"
                    "  \"attrs\": []\n"
                    "}");

    /* transient devices: no undefine, no autostart, no inactive XML */
    tname = ndDriverCreateXML(drv, transient, 0);
    g_assert_nonnull(tname);
    g_assert_cmpint(ndDriverUndefine(drv, tname, 0), ==, -1);
    testAssertError(ND_ERR_OPERATION_INVALID,
                    "Requested operation is not valid: Node device 'mdev_11111111_2222_3333_4444_000000000002_0000_42_00_0' is not defined");
    g_assert_cmpint(ndDriverSetAutostart(drv, tname, 1), ==, -1);
    testAssertError(ND_ERR_OPERATION_INVALID,
                    "Requested operation is not valid: cannot set autostart for transient device");
    g_assert_null(ndDriverGetXMLDesc(drv, tname, VIR_NODE_DEVICE_XML_INACTIVE_FLAG));
    testAssertError(ND_ERR_OPERATION_INVALID,
                    "Requested operation is not valid: node device 'mdev_11111111_2222_3333_4444_000000000002_0000_42_00_0' is not persistent");
    g_assert_cmpint(ndDriverUndefine(drv, GPU, 0), ==, -1);
    testAssertError(ND_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: Unsupported device type");

    /* undefine an inactive device: gone; a running one: becomes transient */
    g_assert_cmpint(ndDriverUndefine(drv, name, 0), ==, 0);
    g_assert_false(testSimExists(sim, "conf:0000:41:00.0/" U1));
    g_assert_cmpint(ndDriverLookup(drv, name), ==, -1);
    ndResetLastError();

    g_free(name);
    name = ndDriverDefineXML(drv, xml2, 0);
    g_assert_cmpint(ndDriverCreate(drv, name, 0), ==, 0);
    g_assert_cmpint(ndDriverUndefine(drv, name, 0), ==, 0);
    g_assert_cmpint(ndDriverIsActive(drv, name), ==, 1);
    g_assert_cmpint(ndDriverIsPersistent(drv, name), ==, 0);

    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==,
                    "DEFINED " NAME1 "\n"
                    "DEFINED " NAME1 "\n"
                    "CREATED " NAME1 "\nUPDATE " GPU "\n"
                    "DELETED " NAME1 "\nUPDATE " GPU "\n"
                    "DEFINED " NAME1 "\n"
                    "CREATED mdev_11111111_2222_3333_4444_000000000002_0000_42_00_0\n"
                    "UPDATE pci_0000_42_00_0\n"
                    "UNDEFINED " NAME1 "\n"
                    "DEFINED " NAME1 "\n"
                    "CREATED " NAME1 "\nUPDATE " GPU "\n"
                    "UNDEFINED " NAME1);
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "");
}

static void
testDefineErrors(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autoptr(TestEvents) ev = testEventsNew(drv);
    g_autofree char *unknown = mdevXML("nope", "nvidia-256", NULL, NULL);
    g_autofree char *wrongtype = mdevXML("pci_0000_00_02_0", "nvidia-256", NULL, NULL);
    g_autofree char *computer = mdevXML("computer", "nvidia-256", NULL, NULL);
    g_autofree char *noparent = mdevXML(NULL, "nvidia-256", NULL, NULL);
    g_autofree char *gen = mdevXML("0000:41:00.0", "nvidia-256", NULL, NULL);
    g_autofree char *def = mdevXML(GPU, "nvidia-256", U1, NULL);
    g_autofree char *name = NULL;
    g_autofree char *defined = NULL;
    g_autofree char *events = NULL;
    g_auto(GStrv) files = NULL;

    g_assert_null(ndDriverDefineXML(drv, unknown, 0));
    testAssertError(ND_ERR_CONFIG_UNSUPPORTED,
                    "unsupported configuration: invalid parent device 'nope'");
    g_assert_null(ndDriverDefineXML(drv, noparent, 0));
    testAssertError(ND_ERR_CONFIG_UNSUPPORTED,
                    "unsupported configuration: missing parent device");
    g_assert_null(ndDriverDefineXML(drv, computer, 0));
    testAssertError(ND_ERR_PARSE_FAILED,
                    "failed to parse configuration file Unable to find address for parent device 'computer'");
    g_assert_null(ndDriverDefineXML(drv, wrongtype, 0));
    testAssertError(ND_ERR_CONFIG_UNSUPPORTED,
                    "unsupported configuration: mediated device type 'nvidia-256' is not supported by parent device 'pci_0000_00_02_0'");
    g_assert_null(ndDriverDefineXML(drv, def, 4));
    testAssertError(ND_ERR_INVALID_ARG,
                    "unsupported flags (0x4) in function nodeDeviceDefineXML");
    g_assert_cmpint(ndDriverUndefine(drv, "computer", 1), ==, -1);
    testAssertError(ND_ERR_INVALID_ARG,
                    "unsupported flags (0x1) in function nodeDeviceUndefine");
    g_assert_cmpint(ndDriverCreate(drv, "computer", 1), ==, -1);
    testAssertError(ND_ERR_INVALID_ARG,
                    "unsupported flags (0x1) in function nodeDeviceCreate");
    g_assert_false(testSimExists(sim, "conf:0000:41:00.0"));

    /* a generated UUID, a parent given by address */
    name = ndDriverDefineXML(drv, gen, 0);
    g_assert_nonnull(name);
    g_assert_true(g_str_has_suffix(name, "_0000_41_00_0"));
    defined = testSimRead(sim, "conf:0000:41:00.0");
    g_assert_null(defined);
    {
        g_autofree char *dir = g_build_filename(sim->confdir, "0000:41:00.0", NULL);
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);

        g_assert_nonnull(d);
        g_assert_nonnull(g_dir_read_name(d));
        g_assert_null(g_dir_read_name(d));
    }

    /* creating a transient device in place of a defined one */
    g_free(name);
    name = ndDriverDefineXML(drv, def, 0);
    g_assert_cmpstr(name, ==, NAME1);
    g_assert_null(ndDriverCreateXML(drv, def, 0));
    testAssertError(ND_ERR_OPERATION_INVALID,
                    "Requested operation is not valid: mediated device '" NAME1
                    "' is defined: start it instead of creating it");
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U1));

    events = testEventsTake(ev);
    g_assert_cmpint(g_strv_length(files = g_strsplit(events, "\n", -1)), ==, 2);
}

static void
testRestart(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autofree char *d1 = mdevXML(GPU, "nvidia-256", U1, NULL);
    g_autofree char *d4 = mdevXML(GPU2, "nvidia-256", U4, "<attr name='x' value='1'/>");
    g_autofree char *n4 = ndDriverDefineXML(drv, d4, 0);
    g_autofree char *d2 = mdevXML(GPU, "nvidia-257", U2, NULL);
    g_autofree char *t3 = mdevXML("mtty", "mtty-1", U3, NULL);
    g_autofree char *n1 = ndDriverDefineXML(drv, d1, 0);
    g_autofree char *n2 = ndDriverDefineXML(drv, d2, 0);
    g_autofree char *n3 = ndDriverCreateXML(drv, t3, 0);
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autofree char *xml_before = NULL;
    g_autofree char *xml_after = NULL;
    int autostart = -1;

    g_assert_nonnull(n1);
    g_assert_nonnull(n3);
    g_assert_cmpint(ndDriverCreate(drv, n2, 0), ==, 0);
    g_assert_cmpint(ndDriverSetAutostart(drv, n1, 1), ==, 0);
    g_assert_cmpint(ndDriverSetAutostart(drv, n4, 1), ==, 0);
    before = listSorted(drv, VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV);
    xml_before = ndDriverGetXMLDesc(drv, n1, 0);
    g_clear_pointer(&drv, ndDriverFree);

    drv = testDriverNew(sim, FALSE);
    after = listSorted(drv, VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV);
    g_assert_cmpint(ndDriverIsActive(drv, n1), ==, 0);
    g_assert_cmpint(ndDriverIsPersistent(drv, n1), ==, 1);
    g_assert_cmpint(ndDriverGetAutostart(drv, n1, &autostart), ==, 0);
    g_assert_cmpint(autostart, ==, 1);
    g_assert_cmpint(ndDriverIsActive(drv, n2), ==, 1);
    g_assert_cmpint(ndDriverIsPersistent(drv, n2), ==, 1);
    g_assert_cmpint(ndDriverIsActive(drv, n3), ==, 1);
    g_assert_cmpint(ndDriverIsPersistent(drv, n3), ==, 0);
    xml_after = ndDriverGetXMLDesc(drv, n1, 0);
    g_assert_cmpstr(xml_after, ==, xml_before);
    g_assert_cmpstr(after, ==, before);

    /* autostart at start: n1 is started; n4 fails (no attribute 'x'),
     * which is logged and not fatal */
    g_clear_pointer(&drv, ndDriverFree);
    drv = testDriverNew(sim, TRUE);
    g_assert_cmpint(ndDriverIsActive(drv, n1), ==, 1);
    g_assert_true(testSimExists(sim, "bus/mdev/devices/" U1));
    g_assert_cmpint(ndDriverIsActive(drv, n4), ==, 0);
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U4));
    checkValid(drv);

    /* once: a second start of the driver finds it running */
    g_clear_pointer(&drv, ndDriverFree);
    drv = testDriverNew(sim, TRUE);
    g_assert_cmpint(ndDriverIsActive(drv, n1), ==, 1);
    {
        g_auto(GStrv) active = NULL;

        g_assert_cmpint(ndDriverListAllDevices(drv,
                                               VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV |
                                               VIR_CONNECT_LIST_NODE_DEVICES_ACTIVE,
                                               &active), ==, 3);
    }
}

static void
countEvents(const char *name, int event_id, int event, int detail,
            gpointer opaque)
{
    g_atomic_int_inc((int *) opaque);
}

/* The list memo: kept while the list stays, forgotten on every change
 * (create, destroy, define, undefine, a change behind our back), and a
 * memo made for an older generation is never kept. */
static void
checkMemo(ndDriver *drv, unsigned int flags, GBytes *want, guint64 *ret_gen)
{
    g_autoptr(GBytes) memo = ndDriverListAllDevicesMemoGet(drv, flags, ret_gen);

    g_assert_cmpuint(*ret_gen, !=, 0);
    if (want)
        g_assert_true(memo == want);
    else
        g_assert_null(memo);
}

static void
testListMemo(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autoptr(GBytes) blob = g_bytes_new_static("blob", 4);
    g_autofree char *xml = mdevXML(GPU, "nvidia-256", U1, NULL);
    g_autofree char *xml2 = mdevXML(GPU, "nvidia-256", U2, NULL);
    g_autofree char *name = NULL;
    g_autofree char *name2 = NULL;
    g_autofree char *dump = NULL;
    unsigned int flags = VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV;
    guint64 gen = 0;
    guint64 old;

    checkMemo(drv, flags, NULL, &gen);
    ndDriverListAllDevicesMemoSet(drv, flags, gen, blob);
    checkMemo(drv, flags, blob, &gen);
    checkMemo(drv, 0, NULL, &gen);
    /* reads and a rescan that finds nothing new keep it */
    dump = ndDriverGetXMLDesc(drv, GPU, 0);
    g_assert_nonnull(dump);
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    checkMemo(drv, flags, blob, &gen);
    /* cleared on demand, and the same generation takes a new one */
    old = gen;
    ndDriverListAllDevicesMemoClear(drv);
    checkMemo(drv, flags, NULL, &gen);
    g_assert_cmpuint(gen, ==, old);
    ndDriverListAllDevicesMemoSet(drv, flags, gen, blob);
    checkMemo(drv, flags, blob, &gen);

    /* create */
    old = gen;
    name = ndDriverCreateXML(drv, xml, 0);
    g_assert_nonnull(name);
    checkMemo(drv, flags, NULL, &gen);
    g_assert_cmpuint(gen, !=, old);
    /* a memo of the older list is not kept */
    ndDriverListAllDevicesMemoSet(drv, flags, old, blob);
    checkMemo(drv, flags, NULL, &gen);

    /* destroy */
    ndDriverListAllDevicesMemoSet(drv, flags, gen, blob);
    checkMemo(drv, flags, blob, &gen);
    g_assert_cmpint(ndDriverDestroy(drv, name), ==, 0);
    checkMemo(drv, flags, NULL, &gen);

    /* define, then undefine */
    g_free(name);
    name = ndDriverDefineXML(drv, xml, 0);
    g_assert_nonnull(name);
    checkMemo(drv, flags, NULL, &gen);
    ndDriverListAllDevicesMemoSet(drv, flags, gen, blob);
    g_assert_cmpint(ndDriverCreate(drv, name, 0), ==, 0);
    checkMemo(drv, flags, NULL, &gen);
    ndDriverListAllDevicesMemoSet(drv, flags, gen, blob);
    g_assert_cmpint(ndDriverDestroy(drv, name), ==, 0);
    checkMemo(drv, flags, NULL, &gen);
    ndDriverListAllDevicesMemoSet(drv, flags, gen, blob);
    g_assert_cmpint(ndDriverUndefine(drv, name, 0), ==, 0);
    checkMemo(drv, flags, NULL, &gen);

    /* a device made and removed behind our back, found by a rescan */
    ndDriverListAllDevicesMemoSet(drv, flags, gen, blob);
    g_assert_cmpint(testSimWrite(sim, "class/mdev_bus/0000:41:00.0/"
                                 "mdev_supported_types/nvidia-256/create", U2), ==, 0);
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    checkMemo(drv, flags, NULL, &gen);
    name2 = ndDriverCreateXML(drv, xml2, 0);
    g_assert_null(name2);       /* taken: the rescan found it */
    ndResetLastError();
    ndDriverListAllDevicesMemoSet(drv, flags, gen, blob);
    g_assert_cmpint(testSimWrite(sim, "bus/mdev/devices/" U2 "/remove", "1"), ==, 0);
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    checkMemo(drv, flags, NULL, &gen);
}

static void
testMisc(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autofree char *missing = g_build_filename(sim->tmpdir, "no", "such", "dir", NULL);
    g_autofree char *file = NULL;
    ndDriverConfig bad = { .sysfs_root = missing, .config_dir = sim->confdir };
    ndDriverConfig fresh = { .sysfs_root = sim->mnt, .config_dir = missing,
                             .dev_root = sim->devroot };
    g_autoptr(ndDriver) drv = NULL;
    g_autofree char *def = mdevXML(GPU, "nvidia-256", U1, NULL);
    g_autofree char *name = NULL;
    int count = 0;
    unsigned int id;

    /* a sysfs root that is not there */
    g_assert_null(ndDriverNew(&bad));
    g_assert_nonnull(ndGetLastError());
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), missing));
    ndResetLastError();
    g_assert_null(ndDriverNew(NULL));
    ndResetLastError();

    /* a definitions directory that is not there yet: made on define */
    drv = ndDriverNew(&fresh);
    g_assert_nonnull(drv);
    id = ndDriverEventAdd(drv, countEvents, &count);
    name = ndDriverDefineXML(drv, def, 0);
    g_assert_cmpstr(name, ==, NAME1);
    file = g_build_filename(missing, "0000:41:00.0", U1, NULL);
    g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpint(count, ==, 1);

    /* no calls after removal */
    ndDriverEventRemove(drv, id);
    g_assert_cmpint(ndDriverUndefine(drv, name, 0), ==, 0);
    g_assert_cmpint(count, ==, 1);
    g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
    ndDriverEventRemove(drv, 12345);
}

int
main(int argc, char **argv)
{
    testSimRequire(argc, argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/driver/enum/demo", testEnumDemo);
    g_test_add_func("/driver/enum/s390", testEnumS390);
    g_test_add_func("/driver/enum/samples", testEnumSamples);
    g_test_add_func("/driver/enum/sriov", testEnumSriov);
    g_test_add_func("/driver/create/destroy", testCreateDestroy);
    g_test_add_func("/driver/create/variants", testCreateVariants);
    g_test_add_func("/driver/create/attrs", testCreateAttrs);
    g_test_add_func("/driver/create/errors", testCreateErrors);
    g_test_add_func("/driver/destroy/errors", testDestroyErrors);
    g_test_add_func("/driver/define", testDefine);
    g_test_add_func("/driver/define-errors", testDefineErrors);
    g_test_add_func("/driver/restart", testRestart);
    g_test_add_func("/driver/misc", testMisc);
    g_test_add_func("/driver/list-memo", testListMemo);
    return g_test_run();
}
