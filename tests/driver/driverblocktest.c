/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A destroy whose 'remove' write blocks (as the kernel's does while a VM
 * holds the device) must not stall any other call; a sysfs read that
 * blocks under the driver lock must not stall the non-blocking mode.
 *
 * mdevsim answers EBUSY where the kernel would block, so this program
 * interposes write(2): a write to a file named "remove" waits until the
 * test releases it. Every other write goes straight to the kernel. */
#include <errno.h>
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "drvtestutils.h"
#include "util/nderror.h"

ssize_t write(int fd, const void *buf, size_t count);
ssize_t read(int fd, void *buf, size_t count);

static GMutex block_lock;
static GCond block_cond;
static gboolean block_enabled;
static gboolean block_entered;
static gboolean block_released;

/* the same for a read of a file named "available_instances" */
static gboolean read_block_enabled;
static gboolean read_block_entered;
static gboolean read_block_released;

static gboolean
fdHasSuffix(int fd, const char *suffix)
{
    char link[64];
    char target[4096];
    ssize_t n;

    g_snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
        return FALSE;
    target[n] = '\0';
    return g_str_has_suffix(target, suffix);
}

static gboolean
fdIsRemove(int fd)
{
    return fdHasSuffix(fd, "/remove");
}

static void
readMaybeBlock(int fd)
{
    if (g_atomic_int_get(&read_block_enabled) &&
        fdHasSuffix(fd, "/available_instances")) {
        g_mutex_lock(&block_lock);
        read_block_entered = TRUE;
        g_cond_broadcast(&block_cond);
        while (!read_block_released)
            g_cond_wait(&block_cond, &block_lock);
        g_mutex_unlock(&block_lock);
    }
}

ssize_t
read(int fd, void *buf, size_t count)
{
    readMaybeBlock(fd);
    return syscall(SYS_read, fd, buf, count);
}

/* counts kept open are read again with pread() (64-bit offsets: the
 * symbol is pread64) */
ssize_t pread64(int fd, void *buf, size_t count, off_t offset);

ssize_t
pread64(int fd, void *buf, size_t count, off_t offset)
{
    readMaybeBlock(fd);
    return syscall(SYS_pread64, fd, buf, count, offset);
}

ssize_t
write(int fd, const void *buf, size_t count)
{
    if (g_atomic_int_get(&block_enabled) && fdIsRemove(fd)) {
        g_mutex_lock(&block_lock);
        block_entered = TRUE;
        g_cond_broadcast(&block_cond);
        while (!block_released)
            g_cond_wait(&block_cond, &block_lock);
        g_mutex_unlock(&block_lock);
    }
    return syscall(SYS_write, fd, buf, count);
}

typedef struct {
    ndDriver *drv;
    const char *name;
    int rc;
} DestroyData;

static gpointer
destroyThread(gpointer opaque)
{
    DestroyData *dd = opaque;

    dd->rc = ndDriverDestroy(dd->drv, dd->name);
    return NULL;
}

typedef struct {
    ndDriver *drv;
    const char *busy;
    GMutex lock;
    GCond cond;
    gboolean done;
} OtherData;

/* Everything a client may do meanwhile. */
static gpointer
otherCalls(gpointer opaque)
{
    OtherData *od = opaque;
    g_auto(GStrv) names = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *created = NULL;
    const char *mdev = "<device><parent>pci_0000_41_00_0</parent>"
                       "<capability type='mdev'><type id='nvidia-256'/>"
                       "</capability></device>";

    g_assert_cmpint(ndDriverListAllDevices(od->drv, 0, &names), ==, 6);
    g_assert_cmpint(ndDriverLookup(od->drv, od->busy), ==, 0);
    g_assert_cmpint(ndDriverIsActive(od->drv, od->busy), ==, 1);
    xml = ndDriverGetXMLDesc(od->drv, "pci_0000_41_00_0", 0);
    g_assert_nonnull(xml);
    created = ndDriverCreateXML(od->drv, mdev, 0);
    g_assert_nonnull(created);
    g_assert_cmpint(ndDriverDestroy(od->drv, created), ==, 0);
    g_assert_cmpint(ndDriverRescan(od->drv), ==, 0);
    g_assert_cmpint(ndDriverIsActive(od->drv, od->busy), ==, 1);

    /* the same device again: refused at once, not queued behind */
    g_assert_cmpint(ndDriverDestroy(od->drv, od->busy), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_OPERATION_INVALID);
    ndResetLastError();

    g_mutex_lock(&od->lock);
    od->done = TRUE;
    g_cond_signal(&od->cond);
    g_mutex_unlock(&od->lock);
    return NULL;
}

static void
testBlockedRemove(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autoptr(TestEvents) ev = testEventsNew(drv);
    const char *xml = "<device><parent>mtty</parent><capability type='mdev'>"
                      "<type id='mtty-1'/><uuid>44444444-2222-3333-4444-000000000001</uuid>"
                      "</capability></device>";
    g_autofree char *name = ndDriverCreateXML(drv, xml, 0);
    DestroyData dd = { .drv = drv, .rc = 1 };
    OtherData od = { .drv = drv };
    g_autofree char *events = NULL;
    GThread *destroyer;
    GThread *other;
    gint64 deadline;

    g_assert_nonnull(name);
    g_free(testEventsTake(ev));
    dd.name = name;
    od.busy = name;
    g_mutex_init(&od.lock);
    g_cond_init(&od.cond);

    g_atomic_int_set(&block_enabled, TRUE);
    destroyer = g_thread_new("destroy", destroyThread, &dd);
    g_mutex_lock(&block_lock);
    while (!block_entered)
        g_cond_wait(&block_cond, &block_lock);
    g_mutex_unlock(&block_lock);
    g_atomic_int_set(&block_enabled, FALSE);

    /* the destroy is stuck in the kernel; everything else goes on */
    other = g_thread_new("other", otherCalls, &od);
    deadline = g_get_monotonic_time() + 20 * G_TIME_SPAN_SECOND;
    g_mutex_lock(&od.lock);
    while (!od.done) {
        if (!g_cond_wait_until(&od.cond, &od.lock, deadline))
            g_error("other calls stalled behind a blocked remove");
    }
    g_mutex_unlock(&od.lock);
    g_thread_join(other);

    g_mutex_lock(&block_lock);
    block_released = TRUE;
    g_cond_broadcast(&block_cond);
    g_mutex_unlock(&block_lock);
    g_thread_join(destroyer);
    g_assert_cmpint(dd.rc, ==, 0);
    g_assert_false(testSimExists(sim, "bus/mdev/devices/44444444-2222-3333-4444-000000000001"));

    events = testEventsTake(ev);
    g_assert_true(g_str_has_suffix(events, "DELETED " "mdev_44444444_2222_3333_4444_000000000001_mtty\n"
                                           "UPDATE mtty_mtty"));
    g_mutex_clear(&od.lock);
    g_cond_clear(&od.cond);
}

static gpointer
parentXMLThread(gpointer opaque)
{
    ndDriver *drv = opaque;

    return ndDriverGetXMLDesc(drv, "pci_0000_41_00_0", 0);
}

/* The driver's non-blocking mode (the RPC main loop answers cheap calls
 * in it): calls that need no sysfs and get the lock answer; a parent's XML
 * (live counts from sysfs) and any call while another thread holds the
 * lock across a sysfs read give up at once, with no error. */
static void
testNonBlocking(void)
{
    g_autoptr(TestSim) sim = testSimStart("demo");
    g_autoptr(ndDriver) drv = testDriverNew(sim, FALSE);
    g_autofree char *xml = NULL;
    g_autofree char *parent_xml = NULL;
    g_auto(GStrv) names = NULL;
    GThread *reader;

    ndDriverNonBlockingBegin();
    g_assert_cmpint(ndDriverLookup(drv, "computer"), ==, 0);
    xml = ndDriverGetXMLDesc(drv, "computer", 0);
    g_assert_nonnull(xml);
    g_assert_cmpint(ndDriverListAllDevices(drv, 0, &names), ==, 5);
    g_assert_false(ndDriverNonBlockingEnd());

    /* not there is an answer, not a reason to give up */
    ndDriverNonBlockingBegin();
    g_assert_cmpint(ndDriverLookup(drv, "pci_0000_99_00_0"), ==, -1);
    g_assert_false(ndDriverNonBlockingEnd());
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_NO_NODE_DEVICE);
    ndResetLastError();

    ndDriverNonBlockingBegin();
    g_assert_null(ndDriverGetXMLDesc(drv, "pci_0000_41_00_0", 0));
    g_assert_true(ndDriverNonBlockingEnd());
    g_assert_null(ndGetLastError());

    /* another thread is stuck reading a count with the lock held */
    g_atomic_int_set(&read_block_enabled, TRUE);
    reader = g_thread_new("parent-xml", parentXMLThread, drv);
    g_mutex_lock(&block_lock);
    while (!read_block_entered)
        g_cond_wait(&block_cond, &block_lock);
    g_mutex_unlock(&block_lock);
    g_atomic_int_set(&read_block_enabled, FALSE);

    ndDriverNonBlockingBegin();
    g_assert_cmpint(ndDriverLookup(drv, "computer"), ==, -1);
    g_assert_true(ndDriverNonBlockingEnd());
    g_assert_null(ndGetLastError());
    ndDriverNonBlockingBegin();
    g_assert_cmpint(ndDriverIsActive(drv, "computer"), ==, -1);
    g_assert_true(ndDriverNonBlockingEnd());

    g_mutex_lock(&block_lock);
    read_block_released = TRUE;
    g_cond_broadcast(&block_cond);
    g_mutex_unlock(&block_lock);
    parent_xml = g_thread_join(reader);
    g_assert_nonnull(parent_xml);
    g_assert_nonnull(strstr(parent_xml, "<availableInstances>"));

    /* and out of the mode, the same call simply answers */
    g_assert_cmpint(ndDriverLookup(drv, "computer"), ==, 0);
}

int
main(int argc, char **argv)
{
    testSimRequire(argc, argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/driverblock/blocked-remove", testBlockedRemove);
    g_test_add_func("/driverblock/non-blocking", testNonBlocking);
    return g_test_run();
}
