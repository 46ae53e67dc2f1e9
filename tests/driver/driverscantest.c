/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The driver and changes made behind its back: out-of-band creates and
 * removes, definition files written by others (the real mdevctl too),
 * parents coming and going, the watch, and 16 threads at once. */
#include <libvirt/libvirt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <sys/socket.h>

#include "conf/node_device_mdevctl.h"
#include "node_device_priv.h"
#include "drvtestutils.h"
#include "util/nderror.h"
#include "util/nduuid.h"

#define U1 "22222222-2222-3333-4444-000000000001"
#define U2 "22222222-2222-3333-4444-000000000002"
#define GPU "pci_0000_41_00_0"
#define NAME1 "mdev_22222222_2222_3333_4444_000000000001_0000_41_00_0"
#define NAME2 "mdev_22222222_2222_3333_4444_000000000002_0000_41_00_0"
#define VIR_NODE_DEVICE_XML_INACTIVE_FLAG (1U << 0)
#define TYPEDIR "class/mdev_bus/0000:41:00.0/mdev_supported_types/"

static char *
listAllNames(ndDriver *drv, unsigned int flags)
{
    g_auto(GStrv) names = NULL;

    g_assert_cmpint(ndDriverListAllDevices(drv, flags, &names), >=, 0);
    return g_strjoinv(" ", names);
}

/* How many devices listAllDevices gives for @flags. */
static int
countAll(ndDriver *drv, unsigned int flags)
{
    g_auto(GStrv) names = NULL;

    return ndDriverListAllDevices(drv, flags, &names);
}

/* How many devices both @a and @b list. */
static int
countBoth(ndDriver *drv, unsigned int a, unsigned int b)
{
    g_auto(GStrv) na = NULL;
    g_auto(GStrv) nb = NULL;
    int both = 0;
    size_t i;

    g_assert_cmpint(ndDriverListAllDevices(drv, a, &na), >=, 0);
    g_assert_cmpint(ndDriverListAllDevices(drv, b, &nb), >=, 0);
    for (i = 0; na[i]; i++)
        both += g_strv_contains((const char * const *) nb, na[i]);
    return both;
}

static void
testOutOfBand(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autoptr(TestEvents) ev = testEventsNew(drv);
    g_autofree char *events = NULL;
    g_autofree char *xml = NULL;

    /* echo UUID > create */
    g_assert_cmpint(testSimWrite(sim, TYPEDIR "nvidia-258/create", U1 "\n"), ==, 0);
    g_assert_cmpint(ndDriverLookup(drv, NAME1), ==, -1);
    ndResetLastError();
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "CREATED " NAME1 "\nUPDATE " GPU);
    xml = ndDriverGetXMLDesc(drv, NAME1, 0);
    g_assert_nonnull(strstr(xml, "<type id='nvidia-258'/>"));
    g_assert_cmpint(ndDriverIsActive(drv, NAME1), ==, 1);
    g_assert_cmpint(ndDriverIsPersistent(drv, NAME1), ==, 0);

    /* nothing changed: nothing to say */
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "");

    /* the driver can destroy what it did not make */
    g_assert_cmpint(ndDriverDestroy(drv, NAME1), ==, 0);
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "DELETED " NAME1 "\nUPDATE " GPU);

    /* echo 1 > remove */
    g_assert_cmpint(testSimWrite(sim, TYPEDIR "nvidia-256/create", U2), ==, 0);
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    g_assert_cmpint(testSimWrite(sim, "bus/mdev/devices/" U2 "/remove", "1\n"), ==, 0);
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==,
                    "CREATED " NAME2 "\nUPDATE " GPU "\n"
                    "DELETED " NAME2 "\nUPDATE " GPU);
    g_assert_cmpint(ndDriverLookup(drv, NAME2), ==, -1);
    ndResetLastError();
}

static void
testOutOfBandPersistent(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autoptr(TestEvents) ev = testEventsNew(drv);
    g_autofree char *events = NULL;
    g_autofree char *dir = g_build_filename(sim->confdir, "0000:41:00.0", NULL);
    g_autofree char *path = g_build_filename(dir, U1, NULL);
    g_autofree char *broken = g_build_filename(dir, U2, NULL);
    g_autofree char *foreign = g_build_filename(dir, "README", NULL);
    g_autofree char *upper = g_build_filename(dir, "AAAAAAAA-2222-3333-4444-000000000001", NULL);
    g_autofree char *xml = NULL;
    g_autofree char *def2 = NULL;
    const char *content = "{\"mdev_type\":\"nvidia-257\",\"start\":\"manual\"}";
    const char *content2 = "{\"mdev_type\":\"nvidia-256\",\"start\":\"auto\"}";

    /* a definition written by someone else */
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, content, -1, NULL));
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "DEFINED " NAME1);
    g_assert_cmpint(ndDriverIsPersistent(drv, NAME1), ==, 1);
    g_assert_cmpint(ndDriverIsActive(drv, NAME1), ==, 0);

    /* changed, then started behind our back, then removed */
    g_assert_true(g_file_set_contents(path, content2, -1, NULL));
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    g_assert_cmpint(testSimWrite(sim, TYPEDIR "nvidia-256/create", U1), ==, 0);
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    xml = ndDriverGetXMLDesc(drv, NAME1, 0);
    g_assert_nonnull(strstr(xml, "<type id='nvidia-256'/>"));
    g_assert_cmpint(testSimWrite(sim, "bus/mdev/devices/" U1 "/remove", "1"), ==, 0);
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    g_assert_cmpint(ndDriverIsActive(drv, NAME1), ==, 0);
    g_assert_cmpint(ndDriverIsPersistent(drv, NAME1), ==, 1);
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==,
                    "UPDATE " NAME1 "\n"
                    "CREATED " NAME1 "\nUPDATE " GPU "\n"
                    "DELETED " NAME1 "\nUPDATE " GPU);

    /* corrupt and foreign files are skipped, never rewritten */
    g_assert_true(g_file_set_contents(broken, "{\"mdev_type\": 5", -1, NULL));
    g_assert_true(g_file_set_contents(foreign, "hello", -1, NULL));
    g_assert_true(g_file_set_contents(upper, content, -1, NULL));
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "");
    g_assert_cmpint(ndDriverLookup(drv, NAME2), ==, -1);
    ndResetLastError();
    def2 = g_strdup_printf("<device><parent>" GPU "</parent><capability type='mdev'>"
                           "<type id='nvidia-256'/><uuid>%s</uuid></capability></device>", U2);
    g_assert_null(ndDriverDefineXML(drv, def2, 0));
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_OPERATION_FAILED);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "exists but cannot be parsed: not overwriting it"));
    ndResetLastError();
    g_free(xml);
    g_assert_true(g_file_get_contents(broken, &xml, NULL, NULL));
    g_assert_cmpstr(xml, ==, "{\"mdev_type\": 5");

    /* a restart with them present still works */
    g_clear_pointer(&ev, testEventsFree);
    g_clear_pointer(&drv, ndDriverFree);
    drv = testDriverNew(sim, FALSE);
    g_assert_cmpint(ndDriverIsPersistent(drv, NAME1), ==, 1);
    ev = testEventsNew(drv);

    /* removed by someone else */
    g_assert_cmpint(g_unlink(path), ==, 0);
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "UNDEFINED " NAME1);
    g_assert_cmpint(ndDriverLookup(drv, NAME1), ==, -1);
    ndResetLastError();
}

static void
testParents(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autoptr(TestEvents) ev = testEventsNew(drv);
    g_autofree char *events = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *def = g_strdup_printf("<device><parent>" GPU "</parent><capability type='mdev'>"
                                           "<type id='nvidia-256'/><uuid>%s</uuid></capability></device>", U1);
    g_autofree char *name = ndDriverDefineXML(drv, def, 0);
    g_autofree char *tra = g_strdup_printf("<device><parent>" GPU "</parent><capability type='mdev'>"
                                           "<type id='nvidia-257'/><uuid>%s</uuid></capability></device>", U2);
    g_autofree char *tname = NULL;
    g_autoptr(ndDriver) drv2 = NULL;
    g_autofree char *parent = NULL;
    ndDriverConfig cfg = {
        .sysfs_root = sim->mnt, .config_dir = sim->confdir,
        .dev_root = sim->devroot, .autostart = TRUE,
    };

    g_assert_cmpint(ndDriverSetAutostart(drv, name, 1), ==, 0);
    tname = ndDriverCreateXML(drv, tra, 0);
    g_assert_cmpstr(tname, ==, NAME2);
    g_free(testEventsTake(ev));

    /* the vendor driver unregisters the parent: its devices go too */
    g_assert_cmpint(testSimWrite(sim, ".mdevsim/parents", "-0000:41:00.0\n"), ==, 0);
    g_assert_false(testSimExists(sim, "bus/mdev/devices/" U2));
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "UPDATE " GPU "\nDELETED " NAME2);
    g_assert_cmpint(ndDriverLookup(drv, NAME2), ==, -1);
    ndResetLastError();
    xml = ndDriverGetXMLDesc(drv, GPU, 0);
    g_assert_null(strstr(xml, "mdev_types"));
    g_assert_cmpint(ndDriverNumOfDevices(drv, "mdev_types", 0), ==, 3);
    g_assert_cmpint(countAll(drv, VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES),
                    ==, 3);
    /* an OR filter: PCI functions, and parents, each once */
    g_assert_cmpint(countAll(drv, VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV |
                                  VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES),
                    ==, ndDriverNumOfDevices(drv, "pci", 0) + 3 -
                        countBoth(drv, VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV,
                                  VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES));
    /* the old listing calls take no flags, as libvirt's */
    g_assert_cmpint(ndDriverNumOfDevices(drv, NULL,
                                         VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES),
                    ==, -1);
    g_assert_cmpstr(ndGetLastErrorMessage(), ==,
                    "unsupported flags (0x2000) in function nodeNumOfDevices");
    ndResetLastError();
    g_assert_cmpint(ndDriverCreate(drv, name, 0), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_OPERATION_INVALID);
    ndResetLastError();

    /* a driver with autostart starts the device when the parent returns */
    drv2 = ndDriverNew(&cfg);
    g_assert_nonnull(drv2);
    g_assert_cmpint(ndDriverIsActive(drv2, name), ==, 0);
    /* as libvirt: a definition whose parent is absent hangs off computer */
    g_assert_cmpint(ndDriverGetParent(drv2, name, &parent), ==, 0);
    g_assert_cmpstr(parent, ==, "computer");
    g_clear_pointer(&parent, g_free);
    g_assert_cmpint(testSimWrite(sim, ".mdevsim/parents", "+0000:41:00.0\n"), ==, 0);
    g_assert_cmpint(ndDriverRescan(drv2), ==, 0);
    g_assert_cmpint(ndDriverIsActive(drv2, name), ==, 1);
    g_assert_cmpint(ndDriverGetParent(drv2, name, &parent), ==, 0);
    g_assert_cmpstr(parent, ==, GPU);
    g_assert_true(testSimExists(sim, "bus/mdev/devices/" U1));

    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "CREATED " NAME1 "\nUPDATE " GPU);
    g_free(xml);
    xml = ndDriverGetXMLDesc(drv, GPU, 0);
    g_assert_nonnull(strstr(xml, "<availableInstances>15</availableInstances>"));
}

/* Open descriptors of this process. */
static guint
countFds(void)
{
    g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
    guint n = 0;

    g_assert_nonnull(dir);
    while (g_dir_read_name(dir))
        n++;
    return n - 1;   /* the listing's own */
}

/* The availableInstances of @type in a parent's XML, or -1. */
static int
availOf(const char *xml, const char *type)
{
    g_autofree char *open = g_strdup_printf("<type id='%s'>", type);
    const char *at = strstr(xml, open);
    const char *end;

    if (!at || !(at = strstr(at, "<availableInstances>")))
        return -1;
    end = strstr(at, "</type>");
    if (!end || end < at)
        return -1;
    return atoi(at + strlen("<availableInstances>"));
}

static int
dumpAvail(ndDriver *drv, const char *type)
{
    g_autofree char *xml = ndDriverGetXMLDesc(drv, GPU, 0);

    g_assert_nonnull(xml);
    return availOf(xml, type);
}

/* A parent's counts are kept open for XML: each of its five types' file
 * is opened once (no descriptor more on later dumps), read afresh on every
 * dump (a create behind our back shows at once, with no rescan), and
 * closed with the driver. When the parent unregisters and registers again
 * the old files stop reading: they are dropped, the counts are read by
 * name, and the new types' files kept from then on. */
static void
testKeptCounts(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = NULL;
    guint base;
    guint kept;

    drv = testDriverNew(sim, FALSE);
    base = countFds();
    g_assert_cmpint(dumpAvail(drv, "nvidia-256"), ==, 16);
    kept = countFds();
    g_assert_cmpuint(kept, ==, base + 5);
    g_assert_cmpint(dumpAvail(drv, "nvidia-256"), ==, 16);
    g_assert_cmpuint(countFds(), ==, kept);

    g_assert_cmpint(testSimWrite(sim, TYPEDIR "nvidia-256/create", U1), ==, 0);
    g_assert_cmpint(dumpAvail(drv, "nvidia-256"), ==, 15);
    g_assert_cmpint(testSimWrite(sim, TYPEDIR "nvidia-256/create", U2), ==, 0);
    g_assert_cmpint(dumpAvail(drv, "nvidia-256"), ==, 14);
    g_assert_cmpuint(countFds(), ==, kept);

    /* no rescan between: the driver still knows the old types */
    g_assert_cmpint(testSimWrite(sim, ".mdevsim/parents", "-0000:41:00.0\n"), ==, 0);
    g_assert_cmpint(testSimWrite(sim, ".mdevsim/parents", "+0000:41:00.0\n"), ==, 0);
    g_assert_cmpint(dumpAvail(drv, "nvidia-256"), ==, 16);
    g_assert_cmpint(testSimWrite(sim, TYPEDIR "nvidia-256/create", U1), ==, 0);
    g_assert_cmpint(dumpAvail(drv, "nvidia-256"), ==, 15);
    g_assert_cmpuint(countFds(), ==, kept);

    /* unregistered: no types, and nothing kept */
    g_assert_cmpint(testSimWrite(sim, ".mdevsim/parents", "-0000:41:00.0\n"), ==, 0);
    g_assert_cmpint(dumpAvail(drv, "nvidia-256"), ==, -1);
    g_assert_cmpuint(countFds(), ==, base);
    g_assert_cmpint(testSimWrite(sim, ".mdevsim/parents", "+0000:41:00.0\n"), ==, 0);
    g_assert_cmpint(dumpAvail(drv, "nvidia-256"), ==, 16);

    g_clear_pointer(&drv, ndDriverFree);
    g_assert_cmpuint(countFds(), <, base);
}

/* A virtual parent (mdpy) unregisters and comes back: the device goes and
 * comes back with it; its defined device hangs off computer meanwhile and
 * is started again with autostart. */
static void
testVirtualParent(void)
{
    g_autoptr(TestSim) sim = testSimStart("samples");
    ndDriverConfig cfg = {
        .sysfs_root = sim->mnt, .config_dir = sim->confdir,
        .dev_root = sim->devroot, .autostart = TRUE,
    };
    g_autoptr(ndDriver) drv = ndDriverNew(&cfg);
    g_autoptr(TestEvents) ev = testEventsNew(drv);
    const char *def = "<device><parent>mdpy_mdpy</parent><capability type='mdev'>"
                      "<type id='mdpy-vga'/><uuid>" U1 "</uuid></capability></device>";
    const char *tra = "<device><parent>mdpy</parent><capability type='mdev'>"
                      "<type id='mdpy-xga'/><uuid>" U2 "</uuid></capability></device>";
    g_autofree char *name = ndDriverDefineXML(drv, def, 0);
    g_autofree char *tname = ndDriverCreateXML(drv, tra, 0);
    g_autofree char *events = NULL;
    g_autofree char *parent = NULL;
    g_autofree char *mdevs = NULL;

    g_assert_cmpstr(name, ==, "mdev_22222222_2222_3333_4444_000000000001_mdpy");
    g_assert_nonnull(tname);
    g_assert_cmpint(ndDriverSetAutostart(drv, name, 1), ==, 0);
    g_free(testEventsTake(ev));

    g_assert_cmpint(testSimWrite(sim, ".mdevsim/parents", "-mdpy\n"), ==, 0);
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "DELETED mdpy_mdpy\nDELETED " "mdev_22222222_2222_3333_4444_000000000002_mdpy");
    g_assert_cmpint(ndDriverLookup(drv, "mdpy_mdpy"), ==, -1);
    ndResetLastError();
    g_assert_cmpint(ndDriverGetParent(drv, name, &parent), ==, 0);
    g_assert_cmpstr(parent, ==, "computer");
    g_clear_pointer(&parent, g_free);
    mdevs = listAllNames(drv, 0);
    g_assert_cmpstr(mdevs, ==, "computer mbochs_mbochs mtty_mtty "
                               "mdev_22222222_2222_3333_4444_000000000001_mdpy");
    g_assert_cmpint(ndDriverCreate(drv, name, 0), ==, -1);
    ndResetLastError();

    g_assert_cmpint(testSimWrite(sim, ".mdevsim/parents", "+mdpy\n"), ==, 0);
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==, "CREATED mdpy_mdpy\nCREATED " "mdev_22222222_2222_3333_4444_000000000001_mdpy\n"
                                "UPDATE mdpy_mdpy");
    g_assert_cmpint(ndDriverGetParent(drv, name, &parent), ==, 0);
    g_assert_cmpstr(parent, ==, "mdpy_mdpy");
    g_assert_cmpint(ndDriverIsActive(drv, name), ==, 1);
}

/* ---- the watch: a rescan happens by itself ---- */

typedef struct {
    GMainContext *ctx;
    GMutex lock;
    GPtrArray *seen;
} WatchData;

static void
watchRecord(const char *name, int event_id, int event, int detail,
            gpointer opaque)
{
    WatchData *wd = opaque;

    g_mutex_lock(&wd->lock);
    g_ptr_array_add(wd->seen, g_strdup_printf("%d/%d %s", event_id, event, name));
    g_mutex_unlock(&wd->lock);
    g_main_context_wakeup(wd->ctx);
}

static gboolean
watchSeen(WatchData *wd, const char *what)
{
    gboolean found;

    g_mutex_lock(&wd->lock);
    found = g_ptr_array_find_with_equal_func(wd->seen, what, g_str_equal, NULL);
    g_mutex_unlock(&wd->lock);
    return found;
}

static gboolean
watchTimeout(gpointer opaque)
{
    g_error("the watch did not notice the change within 20 s");
    return G_SOURCE_REMOVE;
}

static void
testWatch(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(GMainContext) ctx = g_main_context_new();
    WatchData wd = { .ctx = ctx, .seen = g_ptr_array_new_with_free_func(g_free) };
    ndDriverConfig cfg = {
        .sysfs_root = sim->mnt, .config_dir = sim->confdir,
        .dev_root = sim->devroot, .watch = TRUE, .context = ctx,
    };
    g_autoptr(ndDriver) drv = ndDriverNew(&cfg);
    g_autofree char *dir = g_build_filename(sim->confdir, "0000:41:00.0", NULL);
    g_autofree char *path = g_build_filename(dir, U2, NULL);
    GSource *timeout = g_timeout_source_new_seconds(20);

    g_mutex_init(&wd.lock);
    g_assert_nonnull(drv);
    g_source_set_callback(timeout, watchTimeout, NULL, NULL);
    g_source_attach(timeout, ctx);
    ndDriverEventAdd(drv, watchRecord, &wd);

    /* mdevsim sends no uevents: the periodic rescan notices */
    g_assert_cmpint(testSimWrite(sim, TYPEDIR "nvidia-256/create", U1), ==, 0);
    while (!watchSeen(&wd, "0/0 " NAME1))
        g_main_context_iteration(ctx, TRUE);

    /* a definition file: the directory monitor or the timer notices */
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, "{\"mdev_type\":\"nvidia-256\",\"start\":\"manual\"}",
                                      -1, NULL));
    while (!watchSeen(&wd, "0/2 " NAME2))
        g_main_context_iteration(ctx, TRUE);

    g_source_destroy(timeout);
    g_source_unref(timeout);
    g_clear_pointer(&drv, ndDriverFree);
    g_ptr_array_unref(wd.seen);
    g_mutex_clear(&wd.lock);
}

/* Without the timer: a uevent (on a socketpair standing in for the
 * kernel's netlink socket) and the directory monitors alone trigger the
 * rescans. */
static void
testWatchUevent(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(GMainContext) ctx = g_main_context_new();
    WatchData wd = { .ctx = ctx, .seen = g_ptr_array_new_with_free_func(g_free) };
    ndDriverConfig cfg = {
        .sysfs_root = sim->mnt, .config_dir = sim->confdir,
        .dev_root = sim->devroot, .watch = TRUE, .context = ctx,
    };
    g_autoptr(ndDriver) drv = NULL;
    g_autofree char *dir = g_build_filename(sim->confdir, "0000:41:00.0", NULL);
    g_autofree char *path = g_build_filename(dir, U2, NULL);
    g_autofree char *path1 = g_build_filename(dir, U1, NULL);
    GSource *timeout = g_timeout_source_new_seconds(20);
    const char msg[] = "add@/devices/pci0000:41/0000:41:00.0/" U1 "\0"
                       "ACTION=add\0"
                       "DEVPATH=/devices/pci0000:41/0000:41:00.0/" U1 "\0"
                       "SUBSYSTEM=mdev\0"
                       "MDEV_TYPE=nvidia-256\0"
                       "SEQNUM=42\0";
    int fds[2];

    g_mutex_init(&wd.lock);
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds), ==, 0);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    drv = ndDriverNewFull(&cfg, fds[0], 0);
    g_assert_nonnull(drv);
    g_source_set_callback(timeout, watchTimeout, NULL, NULL);
    g_source_attach(timeout, ctx);
    ndDriverEventAdd(drv, watchRecord, &wd);

    g_assert_cmpint(testSimWrite(sim, TYPEDIR "nvidia-256/create", U1), ==, 0);
    g_assert_cmpint(send(fds[1], msg, sizeof(msg) - 1, 0), ==, (ssize_t) sizeof(msg) - 1);
    while (!watchSeen(&wd, "0/0 " NAME1))
        g_main_context_iteration(ctx, TRUE);

    /* a file in an existing parent directory */
    g_assert_true(g_file_set_contents(path, "{\"mdev_type\":\"nvidia-256\",\"start\":\"manual\"}",
                                      -1, NULL));
    while (!watchSeen(&wd, "0/2 " NAME2))
        g_main_context_iteration(ctx, TRUE);
    /* and one defining a running device */
    g_assert_true(g_file_set_contents(path1, "{\"mdev_type\":\"nvidia-256\",\"start\":\"auto\"}",
                                      -1, NULL));
    while (!watchSeen(&wd, "0/2 " NAME1))
        g_main_context_iteration(ctx, TRUE);
    g_assert_cmpint(ndDriverIsPersistent(drv, NAME1), ==, 1);

    g_source_destroy(timeout);
    g_source_unref(timeout);
    close(fds[1]);
    g_clear_pointer(&drv, ndDriverFree);
    g_ptr_array_unref(wd.seen);
    g_mutex_clear(&wd.lock);
}

/* ---- 16 threads ---- */

#define THREADS 16
#define ROUNDS 12

typedef struct {
    ndDriver *drv;
    TestSim *sim;
    const char *xml_fmt;
    int created;
    int destroyed;
    int refused;
    char *name;        /* race tests: what this thread made */
} ThreadData;

static gpointer
threadChurn(gpointer opaque)
{
    ThreadData *td = opaque;
    int i;

    for (i = 0; i < ROUNDS; i++) {
        g_autofree char *uuid = ndUUIDGenerateString();
        g_autofree char *xml = g_strdup_printf("<device><parent>mtty</parent>"
                                               "<capability type='mdev'><type id='mtty-1'/>"
                                               "<uuid>%s</uuid></capability></device>", uuid);
        g_autofree char *name = ndDriverCreateXML(td->drv, xml, 0);
        g_autofree char *dump = NULL;

        if (!name) {
            g_autofree char *avail = testSimRead(td->sim, "class/mdev_bus/mtty/mdev_supported_types/mtty-1/available_instances");
            g_error("create: %s (available now %s, %d mdevs listed)", ndGetLastErrorMessage(),
                    avail, ndDriverNumOfDevices(td->drv, "mdev", 0));
        }
        td->created++;
        /* never half made: it is listed with its type */
        dump = ndDriverGetXMLDesc(td->drv, name, 0);
        g_assert_nonnull(dump);
        g_assert_nonnull(strstr(dump, "<type id='mtty-1'/>"));
        if (ndDriverDestroy(td->drv, name) < 0)
            g_error("destroy: %s", ndGetLastErrorMessage());
        td->destroyed++;
    }
    return NULL;
}

static gpointer
threadRace(gpointer opaque)
{
    ThreadData *td = opaque;

    td->name = ndDriverCreateXML(td->drv, td->xml_fmt, 0);
    if (td->name) {
        td->created++;
    } else {
        g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_OPERATION_INVALID);
        td->refused++;
    }
    return NULL;
}

static gpointer
threadRescan(gpointer opaque)
{
    ThreadData *td = opaque;
    int i;

    for (i = 0; i < ROUNDS * 4; i++)
        g_assert_cmpint(ndDriverRescan(td->drv), ==, 0);
    return NULL;
}

static int
countLines(const char *events, const char *prefix)
{
    g_auto(GStrv) lines = g_strsplit(events, "\n", -1);
    int n = 0;
    int i;

    for (i = 0; lines[i]; i++) {
        if (g_str_has_prefix(lines[i], prefix))
            n++;
    }
    return n;
}

static void
testThreads(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autoptr(TestEvents) ev = testEventsNew(drv);
    ThreadData td[THREADS] = { 0 };
    ThreadData scanner = { .drv = drv };
    GThread *threads[THREADS];
    GThread *scan;
    g_autofree char *events = NULL;
    g_autofree char *avail = NULL;
    g_autofree char *last = g_strdup_printf("<device><parent>" GPU "</parent>"
                                            "<capability type='mdev'><type id='nvidia-260'/>"
                                            "</capability></device>");
    g_autofree char *same = g_strdup_printf("<device><parent>mtty</parent>"
                                            "<capability type='mdev'><type id='mtty-1'/>"
                                            "<uuid>" U1 "</uuid></capability></device>");
    int created = 0;
    int refused = 0;
    int i;

    /* create and destroy, 16 at a time, with rescans running */
    scan = g_thread_new("rescan", threadRescan, &scanner);
    for (i = 0; i < THREADS; i++) {
        td[i].drv = drv;
        td[i].sim = sim;
        threads[i] = g_thread_new("churn", threadChurn, &td[i]);
    }
    for (i = 0; i < THREADS; i++) {
        g_thread_join(threads[i]);
        g_assert_cmpint(td[i].created, ==, ROUNDS);
        g_assert_cmpint(td[i].destroyed, ==, ROUNDS);
    }
    g_thread_join(scan);
    events = testEventsTake(ev);
    g_assert_cmpint(countLines(events, "CREATED "), ==, THREADS * ROUNDS);
    g_assert_cmpint(countLines(events, "DELETED "), ==, THREADS * ROUNDS);
    /* one UPDATE of mtty per change of its counts, at most */
    g_assert_cmpint(countLines(events, "UPDATE mtty_mtty"), >=, 1);
    g_assert_cmpint(countLines(events, "UPDATE "), ==, countLines(events, "UPDATE mtty_mtty"));
    g_assert_cmpint(countLines(events, "UPDATE "), <=, 2 * THREADS * ROUNDS);
    g_assert_cmpint(ndDriverNumOfDevices(drv, "mdev", 0), ==, 0);
    avail = testSimRead(sim, "class/mdev_bus/mtty/mdev_supported_types/mtty-1/available_instances");
    g_assert_cmpstr(avail, ==, "24\n");

    /* 16 threads, one instance left: exactly one wins */
    for (i = 0; i < THREADS; i++) {
        memset(&td[i], 0, sizeof(td[i]));
        td[i].drv = drv;
        td[i].xml_fmt = last;
        threads[i] = g_thread_new("race", threadRace, &td[i]);
    }
    for (i = 0; i < THREADS; i++) {
        g_thread_join(threads[i]);
        created += td[i].created;
        refused += td[i].refused;
        g_free(td[i].name);
    }
    g_assert_cmpint(created, ==, 1);
    g_assert_cmpint(refused, ==, THREADS - 1);

    /* 16 threads, one UUID: exactly one wins */
    created = refused = 0;
    for (i = 0; i < THREADS; i++) {
        memset(&td[i], 0, sizeof(td[i]));
        td[i].drv = drv;
        td[i].xml_fmt = same;
        threads[i] = g_thread_new("race", threadRace, &td[i]);
    }
    for (i = 0; i < THREADS; i++) {
        g_thread_join(threads[i]);
        created += td[i].created;
        refused += td[i].refused;
        g_free(td[i].name);
    }
    g_assert_cmpint(created, ==, 1);
    g_assert_cmpint(refused, ==, THREADS - 1);
    g_free(events);
    events = testEventsTake(ev);
    g_assert_cmpint(countLines(events, "CREATED "), ==, 2);
    g_assert_cmpint(countLines(events, "UPDATE "), ==, 2);
    g_assert_cmpint(countLines(events, ""), ==, 4);
    g_assert_cmpint(ndDriverNumOfDevices(drv, "mdev", 0), ==, 2);
}

/* A destroy blocked in the kernel must not stall other calls. The
 * simulator answers EBUSY where the kernel would block, so this checks
 * the lock discipline directly: while one thread destroys, others list. */
static void
testDestroyDoesNotBlockLists(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autofree char *xml = g_strdup_printf("<device><parent>mtty</parent><capability type='mdev'>"
                                           "<type id='mtty-1'/><uuid>%s</uuid></capability></device>", U1);
    g_autofree char *name = ndDriverCreateXML(drv, xml, 0);
    g_auto(GStrv) names = NULL;

    g_assert_nonnull(name);
    g_assert_cmpint(ndDriverListAllDevices(drv, 0, &names), ==, 6);
    g_assert_cmpint(ndDriverDestroy(drv, name), ==, 0);
}

/* ---- mdevctl 1.2 on the same host and directory ---- */

static gboolean
runMdevctl(TestSim *sim, const char *args, char **ret_out)
{
    g_autofree char *script = g_strdup_printf("mount --bind '%s' /sys && "
                                              "mount --bind '%s' /etc/mdevctl.d && "
                                              "mdevctl %s",
                                              sim->mnt, sim->confdir, args);
    const char *argv[] = { "unshare", "-m", "--propagation", "private",
                           "sh", "-c", script, NULL };
    g_autoptr(GError) gerr = NULL;
    g_autofree char *err = NULL;
    int status = 0;

    if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                      ret_out, &err, &status, &gerr))
        g_error("cannot run mdevctl: %s", gerr->message);
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_test_message("mdevctl %s failed: %s", args, err);
        return FALSE;
    }
    return TRUE;
}

static void
testMdevctl(void)
{
    g_autoptr(TestSim) sim = NULL;
    g_autoptr(ndDriver) drv = NULL;
    g_autoptr(TestEvents) ev = NULL;
    g_autofree char *mdevctl = g_find_program_in_path("mdevctl");
    g_autofree char *unshare = g_find_program_in_path("unshare");
    g_autofree char *out = NULL;
    g_autofree char *events = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *name = NULL;
    g_autoptr(GPtrArray) defs = NULL;
    const ndMdevctlDef *def;
    const char *defxml = "<device><parent>" GPU "</parent><capability type='mdev'>"
                         "<type id='nvidia-257'/><uuid>" U1 "</uuid>"
                         "<attr name='a' value='x y'/><attr name='a' value='2'/>"
                         "</capability></device>";

    if (!mdevctl || !unshare) {
        g_test_skip("mdevctl or unshare is not installed");
        return;
    }
    sim = testSimStart("demo");
    drv = testDriverNew(sim, FALSE);
    ev = testEventsNew(drv);

    /* ours, read by mdevctl */
    name = ndDriverDefineXML(drv, defxml, 0);
    g_assert_cmpstr(name, ==, NAME1);
    g_assert_cmpint(ndDriverSetAutostart(drv, NAME1, 1), ==, 0);
    g_assert_true(runMdevctl(sim, "list --defined --dumpjson", &out));
    g_assert_cmpint(ndMdevctlListParse(out, -1, &defs), ==, 0);
    g_assert_cmpuint(defs->len, ==, 1);
    def = g_ptr_array_index(defs, 0);
    g_assert_cmpstr(def->parent, ==, "0000:41:00.0");
    g_assert_cmpstr(def->uuid, ==, U1);
    g_assert_cmpstr(def->type, ==, "nvidia-257");
    g_assert_true(def->autostart);
    g_assert_cmpuint(def->attrs->len, ==, 2);
    g_free(out);
    g_assert_true(runMdevctl(sim, "list --defined", &out));
    g_assert_cmpstr(g_strstrip(out), ==, U1 " 0000:41:00.0 nvidia-257 auto");

    /* mdevctl's, read by us: defined and started by mdevctl */
    g_free(out);
    g_assert_true(runMdevctl(sim, "define -u " U2 " -p 0000:41:00.0 -t nvidia-256", &out));
    g_free(out);
    g_assert_true(runMdevctl(sim, "start -u " U2, &out));
    g_assert_true(testSimExists(sim, "bus/mdev/devices/" U2));
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    g_assert_cmpint(ndDriverIsActive(drv, NAME2), ==, 1);
    g_assert_cmpint(ndDriverIsPersistent(drv, NAME2), ==, 1);
    g_free(out);
    g_assert_true(runMdevctl(sim, "modify -u " U2 " --addattr=foo --value=bar", &out));
    g_assert_cmpint(ndDriverRescan(drv), ==, 0);
    xml = ndDriverGetXMLDesc(drv, NAME2, VIR_NODE_DEVICE_XML_INACTIVE_FLAG);
    g_assert_nonnull(xml);
    g_assert_nonnull(strstr(xml, "<type id='nvidia-256'/>"));
    g_assert_nonnull(strstr(xml, "<attr name='foo' value='bar'/>"));

    /* and we stop what mdevctl started; mdevctl sees it stopped */
    g_assert_cmpint(ndDriverDestroy(drv, NAME2), ==, 0);
    g_free(out);
    g_assert_true(runMdevctl(sim, "list", &out));
    g_assert_cmpstr(g_strstrip(out), ==, "");

    events = testEventsTake(ev);
    g_assert_cmpstr(events, ==,
                    "DEFINED " NAME1 "\n"
                    "CREATED " NAME2 "\nUPDATE " GPU "\nDEFINED " NAME2 "\n"
                    "UPDATE " NAME2 "\n"
                    "DELETED " NAME2 "\nUPDATE " GPU);
}

int
main(int argc, char **argv)
{
    testSimRequire(argc, argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/driverscan/out-of-band", testOutOfBand);
    g_test_add_func("/driverscan/out-of-band-persistent", testOutOfBandPersistent);
    g_test_add_func("/driverscan/parents", testParents);
    g_test_add_func("/driverscan/virtual-parent", testVirtualParent);
    g_test_add_func("/driverscan/kept-counts", testKeptCounts);
    g_test_add_func("/driverscan/watch", testWatch);
    g_test_add_func("/driverscan/watch-uevent", testWatchUevent);
    g_test_add_func("/driverscan/threads", testThreads);
    g_test_add_func("/driverscan/destroy-lists", testDestroyDoesNotBlockLists);
    g_test_add_func("/driverscan/mdevctl", testMdevctl);
    return g_test_run();
}
