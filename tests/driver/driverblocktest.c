/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A destroy whose 'remove' write blocks (as the kernel's does while a VM
 * holds the device) must not stall any other call.
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

static GMutex block_lock;
static GCond block_cond;
static gboolean block_enabled;
static gboolean block_entered;
static gboolean block_released;

static gboolean
fdIsRemove(int fd)
{
    char link[64];
    char target[4096];
    ssize_t n;

    g_snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
        return FALSE;
    target[n] = '\0';
    return g_str_has_suffix(target, "/remove");
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

int
main(int argc, char **argv)
{
    testSimRequire(argc, argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/driverblock/blocked-remove", testBlockedRemove);
    return g_test_run();
}
