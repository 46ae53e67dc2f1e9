/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node-device driver: the device list, listing and XML, create,
 * destroy, define, undefine, start, autostart, rescans and events.
 *
 * Locking. drv->lock guards the device list and the pending sets; it is
 * held only for short, non-blocking work (cheap sysfs reads included) and
 * never across a write to a sysfs 'create', attribute or 'remove' file, so
 * a blocked write (remove of a device in use) never stalls other calls.
 * drv->config_lock serialises changes to the definitions directory and is
 * taken before drv->lock; drv->rescan_lock serialises rescans and is taken
 * before both. Events are collected under the locks and delivered after
 * all of them are released.
 *
 * Reservations. A create or start puts its UUID in pending_uuids and
 * counts itself in pending_parents before it writes anything, so two
 * calls cannot take the same UUID, and the rescan ignores the half-made
 * device and the parent's changing instance counts until the call has put
 * the finished device in the list. The last instance is reserved by a
 * per-parent lock held from the check of available_instances to the end
 * of the 'create' write (which returns once the device exists): creates on
 * one parent are checked and written one at a time, creates on different
 * parents and every other call go on meanwhile. A destroy marks the device
 * busy for the same reasons.
 *
 * Generations. A rescan reads sysfs without the lock, so its snapshot may
 * predate an operation that finished meanwhile. Every completed operation
 * bumps drv->generation and stamps what it changed (devices, parents, and
 * the names of devices it removed); the rescan notes the generation
 * before it reads and leaves alone anything stamped later.
 */
#include <string.h>

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "node_device_driver.h"
#include "node_device_priv.h"
#include "util/nderror.h"
#include "util/ndfile.h"
#include "util/ndinternal.h"
#include "util/ndlog.h"
#include "util/ndmdev.h"
#include "util/nduevent.h"
#include "util/nduuid.h"

/* libvirt 10.1 added these list flags; the 9.0 headers lack them. */
#define ND_LIST_PERSISTENT (1U << 28)
#define ND_LIST_TRANSIENT (1U << 29)
/* and ND_XML_INACTIVE */
#define ND_XML_INACTIVE (1U << 0)
#define ND_LIST_INACTIVE ((unsigned int) VIR_CONNECT_LIST_NODE_DEVICES_INACTIVE)
#define ND_LIST_ACTIVE ((unsigned int) VIR_CONNECT_LIST_NODE_DEVICES_ACTIVE)
#define ND_LIST_CAPS ((1U << (ND_NODE_DEV_CAP_VPD + 1)) - 1)
#define ND_LIST_ALL (ND_LIST_CAPS | ND_LIST_PERSISTENT | ND_LIST_TRANSIENT | \
                     ND_LIST_INACTIVE | ND_LIST_ACTIVE)

/* The list flags' cap bits are libvirt's capability numbers, which conf's
 * enum follows. */
G_STATIC_ASSERT(VIR_CONNECT_LIST_NODE_DEVICES_CAP_SYSTEM ==
                1 << ND_NODE_DEV_CAP_SYSTEM);
G_STATIC_ASSERT(VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV ==
                1 << ND_NODE_DEV_CAP_PCI_DEV);
G_STATIC_ASSERT(VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES ==
                1 << ND_NODE_DEV_CAP_MDEV_TYPES);
G_STATIC_ASSERT(VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV ==
                1 << ND_NODE_DEV_CAP_MDEV);
G_STATIC_ASSERT(VIR_CONNECT_LIST_NODE_DEVICES_CAP_CSS_DEV ==
                1 << ND_NODE_DEV_CAP_CSS_DEV);
G_STATIC_ASSERT(VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_MATRIX ==
                1 << ND_NODE_DEV_CAP_AP_MATRIX);
G_STATIC_ASSERT(VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPD ==
                1 << ND_NODE_DEV_CAP_VPD);

/* How often the watch rescans when no uevent can tell us (mdevsim emits
 * none): once a second, a few dozen small sysfs reads and one stat per
 * definition file. */
#define ND_DRIVER_RESCAN_INTERVAL_MS 1000
/* Coalesce bursts of uevents and file changes into one rescan. */
#define ND_DRIVER_RESCAN_DEBOUNCE_MS 50

typedef struct {
    unsigned int id;
    ndDriverEventFunc func;
    gpointer opaque;
} ndEventCallback;

typedef struct {
    char *name;
    int event_id;
    int event;
} ndEvent;

/* Shared with the watch sources, which may outlive the driver briefly. */
typedef struct {
    GMutex lock;
    ndDriver *drv;            /* NULL once the driver is gone */
} ndWatchState;

struct _ndDriver {
    ndSysfs *sysfs;
    char *dev_root;
    gboolean autostart;

    GMutex lock;
    ndDeviceList *devs;
    GHashTable *pending_uuids;    /* uuid */
    GHashTable *pending_parents;  /* bus -> count */
    GHashTable *parent_locks;     /* bus -> GMutex *, never removed */
    guint64 generation;           /* counts completed operations */
    GHashTable *removed;          /* name -> generation of devices our
                                   * operations removed from the list */
    GHashTable *list_memos;       /* flags -> GBytes *: the callers'
                                   * encodings of list results, all of
                                   * list generation memo_gen */
    guint64 memo_gen;

    GMutex config_lock;
    ndPersistCache *persist;

    GMutex rescan_lock;

    GPtrArray *events;            /* ndEvent *, queued under lock */

    GRecMutex event_lock;
    GArray *callbacks;            /* ndEventCallback */
    unsigned int next_callback_id;

    GMainContext *context;
    ndWatchState *watch;          /* refcounted (g_atomic_rc_box) */
    GSource *uevent_source;
    GSource *timer_source;
    GSource *debounce_source;
    char *config_dir;
    GHashTable *monitors;         /* directory -> GFileMonitor *: the
                                   * definitions directory and each of its
                                   * parent directories */
};

/* ---- small helpers ---- */

/* The calling thread's non-blocking mode: 0 off, NB_ON, NB_ON | NB_GAVE_UP
 * (see ndDriverNonBlockingBegin()). */
#define NB_ON 1
#define NB_GAVE_UP 2
static GPrivate nonblocking;

/**
 * ndDriverNonBlockingBegin: see node_device_driver.h.
 */
void
ndDriverNonBlockingBegin(void)
{
    g_private_set(&nonblocking, GINT_TO_POINTER(NB_ON));
}

/**
 * ndDriverNonBlockingEnd: see node_device_driver.h.
 */
gboolean
ndDriverNonBlockingEnd(void)
{
    int mode = GPOINTER_TO_INT(g_private_get(&nonblocking));

    g_private_set(&nonblocking, NULL);
    return (mode & NB_GAVE_UP) != 0;
}

/* TRUE if the calling thread must not block: it has given up now. */
static gboolean
driverGiveUp(void)
{
    int mode = GPOINTER_TO_INT(g_private_get(&nonblocking));

    if (!(mode & NB_ON))
        return FALSE;
    g_private_set(&nonblocking, GINT_TO_POINTER(mode | NB_GAVE_UP));
    return TRUE;
}

/* Takes drv->lock for a read-only call; FALSE (no error reported) if the
 * calling thread is in non-blocking mode and the lock is taken. */
static gboolean
driverLockRead(ndDriver *drv)
{
    if (GPOINTER_TO_INT(g_private_get(&nonblocking)) & NB_ON) {
        if (g_mutex_trylock(&drv->lock))
            return TRUE;
        driverGiveUp();
        return FALSE;
    }
    g_mutex_lock(&drv->lock);
    return TRUE;
}

/* Refuses flags outside @allowed as libvirt's virCheckFlags() does: code
 * VIR_ERR_INVALID_ARG, its message without the "invalid argument" prefix,
 * naming libvirt's driver function @func (so that a client sees the same
 * text from either daemon). */
static gboolean
driverCheckFlags(unsigned int flags, unsigned int allowed, const char *func)
{
    if (flags & ~allowed) {
        g_autofree char *msg =
            g_strdup_printf(_("unsupported flags (0x%1$x) in function %2$s"),
                            flags & ~allowed, func);

        ndReportErrorRaw(ND_FROM_NODEDEV, ND_ERR_INVALID_ARG, msg);
        return FALSE;
    }
    return TRUE;
}

static void
eventFree(gpointer opaque)
{
    ndEvent *ev = opaque;

    g_free(ev->name);
    g_free(ev);
}

/* Must hold drv->lock: events are queued in the order the list changed. */
static void
eventQueue(ndDriver *drv, const char *name, int event_id, int event)
{
    ndEvent *ev = g_new0(ndEvent, 1);

    ev->name = g_strdup(name);
    ev->event_id = event_id;
    ev->event = event;
    g_ptr_array_add(drv->events, ev);
}

static void
eventQueueLifecycle(ndDriver *drv, const char *name, int event)
{
    eventQueue(drv, name, VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE, event);
}

static void
eventQueueUpdate(ndDriver *drv, const char *name)
{
    eventQueue(drv, name, VIR_NODE_DEVICE_EVENT_ID_UPDATE, 0);
}

/* Delivers the queued events, in order; called with no driver lock held.
 * The event lock is held across the callbacks, so deliveries from
 * several threads never interleave or overtake each other, and once
 * ndDriverEventRemove() returns the removed callback is not called again. */
static void
driverEmit(ndDriver *drv)
{
    g_rec_mutex_lock(&drv->event_lock);
    for (;;) {
        g_autoptr(GPtrArray) events = NULL;
        guint i;
        guint j;

        g_mutex_lock(&drv->lock);
        if (drv->events->len > 0) {
            events = drv->events;
            drv->events = g_ptr_array_new_with_free_func(eventFree);
        }
        g_mutex_unlock(&drv->lock);
        if (!events)
            break;

        for (i = 0; i < events->len; i++) {
            const ndEvent *ev = g_ptr_array_index(events, i);

            ND_DEBUG("event %d/%d for '%s'", ev->event_id, ev->event, ev->name);
            for (j = 0; j < drv->callbacks->len; j++) {
                const ndEventCallback *cb = &g_array_index(drv->callbacks,
                                                           ndEventCallback, j);

                cb->func(ev->name, ev->event_id, ev->event, 0, cb->opaque);
            }
        }
    }
    g_rec_mutex_unlock(&drv->event_lock);
}

static void
countAdd(GHashTable *table, const char *key, int delta)
{
    int count = GPOINTER_TO_INT(g_hash_table_lookup(table, key)) + delta;

    if (count <= 0)
        g_hash_table_remove(table, key);
    else
        g_hash_table_replace(table, g_strdup(key), GINT_TO_POINTER(count));
}

static int
countGet(GHashTable *table, const char *key)
{
    return GPOINTER_TO_INT(g_hash_table_lookup(table, key));
}

/* Must hold drv->lock. */
static ndDevice *
driverFindDevice(ndDriver *drv, const char *name)
{
    ndDevice *dev = ndDeviceListFind(drv->devs, name);

    if (!dev)
        ndReportError(ND_ERR_NO_NODE_DEVICE,
                      _("no node device with matching name '%1$s'"),
                      name ? name : "");
    return dev;
}

/* Must hold drv->lock. The active mdev using @uuid on any parent, or NULL. */
static ndDevice *
driverFindActiveUUID(ndDriver *drv, const char *uuid)
{
    guint i;

    for (i = 0; i < ndDeviceListCount(drv->devs); i++) {
        ndDevice *dev = ndDeviceListGet(drv->devs, i);

        if (dev->uuid && dev->active && g_str_equal(dev->uuid, uuid))
            return dev;
    }
    return NULL;
}

/* Must hold drv->lock. TRUE if any device (active or defined) or pending
 * create uses @uuid: generated UUIDs avoid all of them. */
static gboolean
driverUUIDKnown(ndDriver *drv, const char *uuid)
{
    guint i;

    if (g_hash_table_contains(drv->pending_uuids, uuid))
        return TRUE;
    for (i = 0; i < ndDeviceListCount(drv->devs); i++) {
        ndDevice *dev = ndDeviceListGet(drv->devs, i);

        if (dev->uuid && g_str_equal(dev->uuid, uuid))
            return TRUE;
    }
    return FALSE;
}

/* The ids of @types (ndMdevType *), NULL-terminated; the strings are
 * borrowed from @types. */
static const char **
typeIds(GPtrArray *types)
{
    const char **ids = g_new0(const char *, types->len + 1);
    guint i;

    for (i = 0; i < types->len; i++)
        ids[i] = ((ndMdevType *) g_ptr_array_index(types, i))->id;
    return ids;
}

/* Must hold drv->lock. Keeps the available_instances files of @parent's
 * known types @ids open with the parent (parent->avail_files), reopening
 * them if they were opened for other types; leaves it NULL if they cannot
 * be kept (the counts are read by name then). */
static void
driverKeepAvailable(ndDriver *drv, ndDevice *parent, const char *const *ids)
{
    if (parent->avail_files &&
        !ndMdevAvailFilesMatch(parent->avail_files, parent->mdev_bus, ids))
        g_clear_pointer(&parent->avail_files, ndMdevAvailFilesFree);
    if (!parent->avail_files &&
        ndMdevAvailFilesOpen(drv->sysfs, parent->mdev_bus, ids,
                             &parent->avail_files) < 0) {
        ND_DEBUG("cannot keep the counts of '%s' open: %s",
                 parent->mdev_bus, ndGetLastErrorMessage());
        ndResetLastError();
    }
}

/* Must hold drv->lock. The live count of @type, one of @parent's known
 * types @known, read from the kept file (one read). Returns 1 with
 * *@ret_avail; 0 if it must be read by name (the files cannot be kept or
 * the parent's types are gone); -1 with an error (a malformed count). */
static int
driverReadAvailableOne(ndDriver *drv, ndDevice *parent, GPtrArray *known,
                       const char *type, unsigned int *ret_avail)
{
    g_autofree const char **ids = typeIds(known);
    int rc;

    driverKeepAvailable(drv, parent, ids);
    if (!parent->avail_files)
        return 0;
    if ((rc = ndMdevAvailFilesReadOne(parent->avail_files, type,
                                      ret_avail)) == 0)
        g_clear_pointer(&parent->avail_files, ndMdevAvailFilesFree);
    return rc;
}

/* Must hold drv->lock. The live counts of @parent's known types @ids, as
 * ndMdevTypeListAvailable(). The first call opens each type's
 * available_instances and keeps it open with the parent; later calls read
 * each again from offset 0, one read a type where a listing, an open and a
 * read were (on mdevsim each is a FUSE round trip). Files that stopped
 * reading (the parent unregistered) or that were opened for other types
 * are dropped, and the counts read by name. */
static int
driverReadAvailable(ndDriver *drv, ndDevice *parent, const char *const *ids,
                    unsigned int *values, bool *readable)
{
    driverKeepAvailable(drv, parent, ids);
    if (parent->avail_files) {
        if (ndMdevAvailFilesRead(parent->avail_files, values, readable) > 0)
            return 1;
        ND_DEBUG("the types of '%s' are gone: reading them by name",
                 parent->mdev_bus);
        g_clear_pointer(&parent->avail_files, ndMdevAvailFilesFree);
    }
    return ndMdevTypeListAvailable(drv->sysfs, parent->mdev_bus, ids,
                                   values, readable);
}

/* Must hold drv->lock. Re-reads the types of @parent (if it is a
 * parent), refreshing the cached list (for XML: types and counts fresh). */
static void
driverRefreshParent(ndDriver *drv, ndDevice *parent)
{
    g_autoptr(GPtrArray) types = NULL;
    GPtrArray *known;

    if (!parent || !parent->mdev_bus)
        return;
    /* The usual case, types unchanged: only their counts are live. Names
     * and device_api belong to the type id (the vendor driver's). */
    known = ndDeviceGetMdevTypes(parent);
    if (known && known->len > 0) {
        g_autofree const char **ids = typeIds(known);
        g_autofree unsigned int *values = g_new0(unsigned int, known->len);
        g_autofree bool *readable = g_new0(bool, known->len);
        guint i;
        int rc;

        rc = driverReadAvailable(drv, parent, ids, values, readable);
        if (rc > 0) {
            /* a type whose count cannot be read is left out of this dump,
             * as a full read leaves it out; the next dump lists it again */
            guint unreadable = 0;

            for (i = 0; i < known->len; i++) {
                ndMdevType *type = g_ptr_array_index(known, i);

                type->available_instances = values[i];
                if (!readable[i])
                    unreadable++;
            }
            if (unreadable == 0)
                return;
            types = ndMdevTypeListNew();
            for (i = 0; i < known->len; i++) {
                if (readable[i])
                    g_ptr_array_add(types,
                                    ndMdevTypeCopy(g_ptr_array_index(known, i)));
            }
            ndDeviceSetMdevTypes(parent, g_steal_pointer(&types));
            return;
        }
        if (rc < 0) {
            ND_DEBUG("re-reading the types of '%s' in full: %s",
                     parent->mdev_bus, ndGetLastErrorMessage());
            ndResetLastError();
        }
    }
    if (ndEnumMdevTypes(drv->sysfs, parent->mdev_bus, NULL, &types) < 0) {
        ND_DEBUG("cannot refresh the types of '%s': %s",
                 parent->mdev_bus, ndGetLastErrorMessage());
        ndResetLastError();
        return;
    }
    ndDeviceSetMdevTypes(parent, g_steal_pointer(&types));
}

/* Must hold drv->lock. One of our operations created or removed a device
 * of @parent, which changes its available instances (the kernel counts
 * every instance): queue one UPDATE for it, and stamp it so that a rescan
 * does not report the change again. Its counts are not re-read here (a
 * dozen sysfs reads per create); XML re-reads them, and a rescan that finds
 * other changes on the parent compares against a forgotten signature, so
 * it reports them. */
static void
driverParentChanged(ndDriver *drv, ndDevice *parent)
{
    if (!parent || !parent->mdev_bus)
        return;
    parent->changed = drv->generation;
    g_clear_pointer(&parent->avail_sig, g_free);
    eventQueueUpdate(drv, ndDeviceGetName(parent));
}

/* A deep copy of @types (ndMdevType *): the device's list is never shared
 * with a scan's, which is freed outside the lock. */
static GPtrArray *
typesCopy(GPtrArray *types)
{
    GPtrArray *copy = ndMdevTypeListNew();
    guint i;

    for (i = 0; i < types->len; i++)
        g_ptr_array_add(copy, ndMdevTypeCopy(g_ptr_array_index(types, i)));
    return copy;
}

/* Must hold drv->lock. A new generation for a completed operation. */
static guint64
driverBump(ndDriver *drv)
{
    return ++drv->generation;
}

/* ---- listing ---- */

/* @cap_mask: 0 for no capability filter, else the capabilities (bits
 * 1 << ndNodeDevCapType) of which the device must have one. */
static gboolean
driverMatch(const ndDevice *dev, guint32 cap_mask, unsigned int flags)
{
    if (cap_mask && !ndDeviceHasAnyCap(dev, cap_mask))
        return FALSE;
    if ((flags & ND_LIST_ACTIVE) && !(flags & ND_LIST_INACTIVE) && !dev->active)
        return FALSE;
    if ((flags & ND_LIST_INACTIVE) && !(flags & ND_LIST_ACTIVE) && dev->active)
        return FALSE;
    if ((flags & ND_LIST_PERSISTENT) && !(flags & ND_LIST_TRANSIENT) &&
        !dev->persistent)
        return FALSE;
    if ((flags & ND_LIST_TRANSIENT) && !(flags & ND_LIST_PERSISTENT) &&
        dev->persistent)
        return FALSE;
    return TRUE;
}

static int
driverList(ndDriver *drv, const char *cap, unsigned int flags,
           char ***ret_names)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    int captype = -2;
    guint i;
    int count;

    if (cap) {
        captype = ndNodeDevCapTypeFromString(cap);
        if (captype < 0) {
            /* an unknown capability name matches nothing, as in libvirt */
            if (ret_names) {
                g_ptr_array_add(names, NULL);
                *ret_names = (char **) g_ptr_array_steal(names, NULL);
            }
            return 0;
        }
    }
    /* @cap and the flags' capabilities are two filters: a device must
     * pass both */
    if (!driverLockRead(drv))
        return -1;
    for (i = 0; i < ndDeviceListCount(drv->devs); i++) {
        ndDevice *dev = ndDeviceListGet(drv->devs, i);

        if (cap && !ndDeviceHasCap(dev, captype))
            continue;
        if (driverMatch(dev, flags & ND_LIST_CAPS, flags))
            g_ptr_array_add(names, g_strdup(ndDeviceGetName(dev)));
    }
    g_mutex_unlock(&drv->lock);

    count = names->len;
    if (ret_names) {
        g_ptr_array_add(names, NULL);
        *ret_names = (char **) g_ptr_array_steal(names, NULL);
    }
    return count;
}

/**
 * ndDriverNumOfDevices: see node_device_driver.h.
 */
int
ndDriverNumOfDevices(ndDriver *drv, const char *cap, unsigned int flags)
{
    if (!driverCheckFlags(flags, 0, "nodeNumOfDevices"))
        return -1;
    return driverList(drv, cap, flags, NULL);
}

/**
 * ndDriverListDevices: see node_device_driver.h.
 */
int
ndDriverListDevices(ndDriver *drv, const char *cap, unsigned int flags,
                    char ***ret_names)
{
    if (!driverCheckFlags(flags, 0, "nodeListDevices"))
        return -1;
    return driverList(drv, cap, flags, ret_names);
}

/**
 * ndDriverListAllDevices: see node_device_driver.h.
 */
int
ndDriverListAllDevices(ndDriver *drv, unsigned int flags, char ***ret_names)
{
    if (!driverCheckFlags(flags, ND_LIST_ALL, "nodeConnectListAllNodeDevices"))
        return -1;
    return driverList(drv, NULL, flags, ret_names);
}

/* The most list memos kept (distinct flags values): a client cycling
 * through many filters cannot make the driver keep more. */
#define ND_DRIVER_LIST_MEMOS_MAX 16

/* Must hold drv->lock. Forgets the memos of an older list. */
static void
driverMemosCheck(ndDriver *drv)
{
    guint64 gen = ndDeviceListGetGeneration(drv->devs);

    if (drv->memo_gen != gen) {
        g_hash_table_remove_all(drv->list_memos);
        drv->memo_gen = gen;
    }
}

/**
 * ndDriverListAllDevicesMemoGet: see node_device_driver.h.
 */
GBytes *
ndDriverListAllDevicesMemoGet(ndDriver *drv, unsigned int flags,
                              guint64 *ret_gen)
{
    GBytes *memo;

    *ret_gen = 0;
    if (!driverLockRead(drv))
        return NULL;
    driverMemosCheck(drv);
    *ret_gen = drv->memo_gen;
    memo = g_hash_table_lookup(drv->list_memos, GUINT_TO_POINTER(flags));
    if (memo)
        g_bytes_ref(memo);
    g_mutex_unlock(&drv->lock);
    return memo;
}

/**
 * ndDriverListAllDevicesMemoSet: see node_device_driver.h.
 */
void
ndDriverListAllDevicesMemoSet(ndDriver *drv, unsigned int flags,
                              guint64 gen, GBytes *memo)
{
    if (GPOINTER_TO_INT(g_private_get(&nonblocking)) & NB_ON) {
        if (!g_mutex_trylock(&drv->lock))
            return;
    } else {
        g_mutex_lock(&drv->lock);
    }
    driverMemosCheck(drv);
    if (gen == drv->memo_gen) {
        if (g_hash_table_size(drv->list_memos) >= ND_DRIVER_LIST_MEMOS_MAX)
            g_hash_table_remove_all(drv->list_memos);
        g_hash_table_replace(drv->list_memos, GUINT_TO_POINTER(flags),
                             g_bytes_ref(memo));
    }
    g_mutex_unlock(&drv->lock);
}

/**
 * ndDriverListAllDevicesMemoClear: see node_device_driver.h.
 */
void
ndDriverListAllDevicesMemoClear(ndDriver *drv)
{
    g_mutex_lock(&drv->lock);
    g_hash_table_remove_all(drv->list_memos);
    g_mutex_unlock(&drv->lock);
}

/**
 * ndDriverLookup: see node_device_driver.h.
 */
int
ndDriverLookup(ndDriver *drv, const char *name)
{
    int ret;

    if (!driverLockRead(drv))
        return -1;
    ret = driverFindDevice(drv, name) ? 0 : -1;
    g_mutex_unlock(&drv->lock);
    return ret;
}

/**
 * ndDriverLookupSCSIHostByWWN: see node_device_driver.h.
 */
int
ndDriverLookupSCSIHostByWWN(ndDriver *drv, const char *wwnn, const char *wwpn,
                            unsigned int flags, char **ret_name)
{
    (void) drv;
    *ret_name = NULL;
    if (!driverCheckFlags(flags, 0, "nodeDeviceLookupSCSIHostByWWN"))
        return -1;
    ndReportError(ND_ERR_NO_NODE_DEVICE,
                  _("no SCSI host with world wide node name '%1$s' and port name '%2$s'"),
                  wwnn, wwpn);
    return -1;
}

/**
 * ndDriverGetXMLDesc: see node_device_driver.h. A parent's mdev types and
 * their available instances are re-read from sysfs for every call.
 */
char *
ndDriverGetXMLDesc(ndDriver *drv, const char *name, unsigned int flags)
{
    ndDevice *dev;
    unsigned int fmt = 0;
    char *xml = NULL;

    if (!driverCheckFlags(flags, ND_XML_INACTIVE, "nodeDeviceGetXMLDesc"))
        return NULL;
    if (!driverLockRead(drv))
        return NULL;
    if (!(dev = driverFindDevice(drv, name)))
        goto cleanup;
    if ((flags & ND_XML_INACTIVE) && !dev->persistent) {
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("node device '%1$s' is not persistent"), name);
        goto cleanup;
    }
    /* a parent's counts come from sysfs, which may block */
    if (dev->mdev_bus && driverGiveUp())
        goto cleanup;
    driverRefreshParent(drv, dev);
    if ((flags & ND_XML_INACTIVE) ||
        (ndDeviceIsMdev(dev) && !dev->active))
        fmt |= ND_NODE_DEVICE_XML_INACTIVE;
    xml = ndDeviceFormat(dev, fmt);

 cleanup:
    g_mutex_unlock(&drv->lock);
    return xml;
}

/**
 * ndDriverGetParent: see node_device_driver.h.
 */
int
ndDriverGetParent(ndDriver *drv, const char *name, char **ret_parent)
{
    ndDevice *dev;
    int ret = -1;

    if (!driverLockRead(drv))
        return -1;
    if ((dev = driverFindDevice(drv, name))) {
        *ret_parent = g_strdup(dev->def->parent);
        ret = 0;
    }
    g_mutex_unlock(&drv->lock);
    return ret;
}

/**
 * ndDriverListCaps: see node_device_driver.h.
 */
int
ndDriverListCaps(ndDriver *drv, const char *name, char ***ret_caps)
{
    g_autoptr(GPtrArray) caps = NULL;
    ndDevice *dev;
    int count;

    if (!driverLockRead(drv))
        return -1;
    if (!(dev = driverFindDevice(drv, name))) {
        g_mutex_unlock(&drv->lock);
        return -1;
    }
    caps = ndDeviceListCaps(dev);
    g_mutex_unlock(&drv->lock);

    count = caps->len;
    g_ptr_array_add(caps, NULL);
    *ret_caps = (char **) g_ptr_array_steal(caps, NULL);
    return count;
}

/* ---- create and start ---- */

/* What a create or start needs once its checks passed. */
typedef struct {
    char *bus;                /* parent's class/mdev_bus name */
    char *parent_name;        /* parent node device */
    char *type;
    char *uuid;
    char *name;               /* mdev_<uuid>_<bus> */
    GPtrArray *attrs;         /* ndMdevAttr *, in order */
    GMutex *parent_lock;      /* drv->parent_locks' entry for @bus */
    gboolean recheck;         /* other calls on @bus were under way at the
                               * check: read the count again under the
                               * parent's lock */
} ndCreatePlan;

static void
createPlanFree(ndCreatePlan *plan)
{
    if (!plan)
        return;
    g_free(plan->bus);
    g_free(plan->parent_name);
    g_free(plan->type);
    g_free(plan->uuid);
    g_free(plan->name);
    g_clear_pointer(&plan->attrs, g_ptr_array_unref);
    g_free(plan);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndCreatePlan, createPlanFree);

static void
parentLockFree(gpointer opaque)
{
    GMutex *lock = opaque;

    g_mutex_clear(lock);
    g_free(lock);
}

/* Must hold drv->lock. The lock serialising creates on @bus. */
static GMutex *
driverParentLock(ndDriver *drv, const char *bus)
{
    GMutex *lock = g_hash_table_lookup(drv->parent_locks, bus);

    if (!lock) {
        lock = g_new0(GMutex, 1);
        g_mutex_init(lock);
        g_hash_table_insert(drv->parent_locks, g_strdup(bus), lock);
    }
    return lock;
}

/* Must hold drv->lock. The parent named @parent: a node device name, or
 * an address as in <parent_addr> (class/mdev_bus name). */
static ndDevice *
driverResolveParent(ndDriver *drv, const char *parent)
{
    ndDevice *dev;

    if (!parent) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED, _("missing parent device"));
        return NULL;
    }
    if ((dev = ndDeviceListFind(drv->devs, parent)))
        return dev;
    if ((dev = ndDeviceListFindByBus(drv->devs, parent)))
        return dev;
    ndReportError(ND_ERR_CONFIG_UNSUPPORTED, _("invalid parent device '%1$s'"),
                  parent);
    return NULL;
}

/* Must hold drv->lock. Checks that @parent can have an mdev of @type and
 * reads the type's available instances into *@ret_avail (if not NULL). */
static int
driverCheckType(ndDriver *drv, ndDevice *parent, const char *type,
                unsigned int *ret_avail)
{
    g_autoptr(ndMdevTypeInfo) info = NULL;
    GPtrArray *known = ndDeviceGetMdevTypes(parent);
    unsigned int avail = 0;
    guint i;
    int rc;

    if (!parent->mdev_bus) {
        /* libvirt needs a parent's address to name it to mdevctl, and
         * refuses one without (such as 'computer') with this code and
         * message; one with an address gets the plain reason */
        if (!ndDeviceHasCap(parent, ND_NODE_DEV_CAP_PCI_DEV) &&
            !ndDeviceHasCap(parent, ND_NODE_DEV_CAP_CSS_DEV) &&
            !ndDeviceHasCap(parent, ND_NODE_DEV_CAP_AP_MATRIX)) {
            ndReportError(ND_ERR_PARSE_FAILED,
                          _("Unable to find address for parent device '%1$s'"),
                          ndDeviceGetName(parent));
            return -1;
        }
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("parent device '%1$s' does not support mediated devices"),
                      ndDeviceGetName(parent));
        return -1;
    }
    if (!type) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("missing type id attribute for '%1$s'"),
                      ndDeviceGetName(parent));
        return -1;
    }
    /* a known type: one read of its kept count, or one small read by
     * name; else look for it in sysfs */
    for (i = 0; known && i < known->len; i++) {
        const ndMdevType *t = g_ptr_array_index(known, i);

        if (!g_str_equal(t->id, type))
            continue;
        if (driverReadAvailableOne(drv, parent, known, type, &avail) > 0 ||
            ndMdevTypeReadAvailable(drv->sysfs, parent->mdev_bus, type,
                                    &avail) == 0) {
            if (ret_avail)
                *ret_avail = avail;
            return 0;
        }
        break;
    }
    ndResetLastError();
    if ((rc = ndMdevTypeRead(drv->sysfs, parent->mdev_bus, type, &info)) < 0)
        return -1;
    if (rc == 0) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("mediated device type '%1$s' is not supported by parent device '%2$s'"),
                      type, ndDeviceGetName(parent));
        return -1;
    }
    if (ret_avail)
        *ret_avail = info->available_instances;
    return 0;
}

/* Must hold drv->lock. Runs every check of a create or start and, when
 * they pass, reserves the UUID and one instance of the type. @target is
 * the defined device being started, or NULL for a transient create. */
static int
driverReserve(ndDriver *drv, ndDevice *parent, const char *type,
              const char *want_uuid, ndDevice *target, ndCreatePlan *plan)
{
    g_autofree char *uuid = NULL;
    g_autofree char *name = NULL;
    g_autofree char *live_dir = NULL;
    ndDevice *other;
    unsigned int avail = 0;

    if (driverCheckType(drv, parent, type, &avail) < 0)
        return -1;

    if (want_uuid) {
        uuid = g_strdup(want_uuid);
    } else {
        do {
            g_free(uuid);
            uuid = ndUUIDGenerateString();
        } while (driverUUIDKnown(drv, uuid));
    }
    name = ndNodeDeviceMdevName(uuid, parent->mdev_bus);

    if (g_hash_table_contains(drv->pending_uuids, uuid)) {
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("UUID '%1$s' is already used by a mediated device being created"),
                      uuid);
        return -1;
    }
    if ((other = driverFindActiveUUID(drv, uuid))) {
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("UUID '%1$s' is already used by node device '%2$s'"),
                      uuid, ndDeviceGetName(other));
        return -1;
    }
    /* a UUID we drew at random is in use only by a chance that is none;
     * a client's may have been taken behind our back (and the kernel's
     * EEXIST would not say by which device) */
    live_dir = g_build_filename("bus/mdev/devices", uuid, NULL);
    if (want_uuid && ndSysfsExists(drv->sysfs, live_dir)) {
        g_autoptr(ndMdevInfo) live = NULL;

        /* made behind our back and not seen by a rescan yet */
        if (ndMdevRead(drv->sysfs, uuid, &live) <= 0) {
            ndResetLastError();
            ndReportError(ND_ERR_OPERATION_INVALID,
                          _("UUID '%1$s' is already used by a mediated device"),
                          uuid);
            return -1;
        }
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("UUID '%1$s' is already used by a mediated device on parent '%2$s'"),
                      uuid, live->parent);
        return -1;
    }
    if (!target && (other = ndDeviceListFind(drv->devs, name))) {
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("mediated device '%1$s' is defined: start it instead of creating it"),
                      name);
        return -1;
    }

    /* a cheap early answer; the binding check is in driverWriteDevice() */
    if (avail == 0) {
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("no instances of mediated device type '%1$s' left on parent device '%2$s'"),
                      type, ndDeviceGetName(parent));
        return -1;
    }

    g_hash_table_add(drv->pending_uuids, g_strdup(uuid));
    plan->recheck = countGet(drv->pending_parents, parent->mdev_bus) > 0;
    countAdd(drv->pending_parents, parent->mdev_bus, 1);
    plan->parent_lock = driverParentLock(drv, parent->mdev_bus);

    plan->bus = g_strdup(parent->mdev_bus);
    plan->parent_name = g_strdup(ndDeviceGetName(parent));
    plan->type = g_strdup(type);
    plan->uuid = g_steal_pointer(&uuid);
    plan->name = g_steal_pointer(&name);
    return 0;
}

/* Must hold drv->lock. Undoes driverReserve(). */
static void
driverUnreserve(ndDriver *drv, const ndCreatePlan *plan)
{
    g_hash_table_remove(drv->pending_uuids, plan->uuid);
    countAdd(drv->pending_parents, plan->bus, -1);
}

/* No lock held. Under the parent's lock: checks that an instance of the
 * type is still left if other calls on the parent were under way when
 * driverReserve() read the count, then writes 'create'. With none, the
 * count read there holds unless something outside the daemon took the
 * instance meanwhile, and the kernel's refusal then says so. */
static int
driverWriteCreate(ndDriver *drv, const ndCreatePlan *plan)
{
    unsigned int avail = 0;
    int rc = -1;

    g_mutex_lock(plan->parent_lock);
    if (plan->recheck &&
        ndMdevTypeReadAvailable(drv->sysfs, plan->bus, plan->type, &avail) < 0)
        goto cleanup;
    if (plan->recheck && avail == 0) {
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("no instances of mediated device type '%1$s' left on parent device '%2$s'"),
                      plan->type, plan->parent_name);
        goto cleanup;
    }
    rc = ndMdevCreate(drv->sysfs, plan->bus, plan->type, plan->uuid);

 cleanup:
    g_mutex_unlock(plan->parent_lock);
    return rc;
}

/* No lock held. Writes 'create', then each attribute in order; on an
 * attribute failure removes the device again and reports which attribute
 * failed and why. Never touches anything but the planned device. */
static int
driverWriteDevice(ndDriver *drv, const ndCreatePlan *plan)
{
    guint i;

    if (driverWriteCreate(drv, plan) < 0)
        return -1;

    for (i = 0; i < plan->attrs->len; i++) {
        const ndMdevAttr *attr = g_ptr_array_index(plan->attrs, i);
        g_autoptr(ndError) err = NULL;

        if (ndMdevAttrWrite(drv->sysfs, plan->uuid, attr->name,
                            attr->value) == 0)
            continue;

        err = ndSaveLastError();
        if (ndMdevRemove(drv->sysfs, plan->uuid) < 0) {
            ND_ERROR("cannot remove mediated device '%s' after its attribute '%s' failed: %s",
                     plan->uuid, attr->name, ndGetLastErrorMessage());
            ndReportError(err->code,
                          _("attribute %1$u ('%2$s') of mediated device '%3$s' failed and the device could not be removed again: %4$s"),
                          i + 1, attr->name, plan->uuid,
                          err->str2 ? err->str2 : err->message);
            return -1;
        }
        ndReportError(err->code,
                      _("attribute %1$u ('%2$s') of mediated device '%3$s' failed, the device was removed again: %4$s"),
                      i + 1, attr->name, plan->uuid,
                      err->str2 ? err->str2 : err->message);
        return -1;
    }
    return 0;
}

/* Creates the planned device (checks done, reservation held) and puts
 * it in the list: @target (a defined device) becomes active, or a new
 * transient device is added. Releases the reservation either way. */
static int
driverCarryOut(ndDriver *drv, ndCreatePlan *plan, gboolean start)
{
    g_autoptr(ndMdevInfo) info = NULL;
    g_autofree char *path = NULL;
    ndDevice *dev;
    int rc;

    rc = driverWriteDevice(drv, plan);
    if (rc == 0 && ndMdevRead(drv->sysfs, plan->uuid, &info) < 0) {
        /* the device exists; only its details are missing */
        ND_WARN("cannot read new mediated device '%s': %s",
                plan->uuid, ndGetLastErrorMessage());
        ndResetLastError();
    }

    g_mutex_lock(&drv->lock);
    driverUnreserve(drv, plan);
    if (rc < 0) {
        /* The device may have existed for a moment ('create' worked, an
         * attribute failed, the device was removed again): a rescan that
         * read sysfs meanwhile must not add it back once the reservation
         * is gone, so stamp it as removed by this operation. */
        guint64 gen = driverBump(drv);

        g_hash_table_replace(drv->removed, g_strdup(plan->name),
                             g_memdup2(&gen, sizeof(gen)));
        if ((dev = ndDeviceListFind(drv->devs, plan->name)))
            dev->changed = gen;
        g_mutex_unlock(&drv->lock);
        return -1;
    }
    dev = ndDeviceListFind(drv->devs, plan->name);
    if (!dev || (!start && dev->active)) {
        g_autoptr(ndDevice) fresh = NULL;

        if (dev)    /* cannot happen: the UUID was reserved */
            ndDeviceListRemove(drv->devs, plan->name);
        fresh = ndDeviceNewMdev(plan->uuid, plan->bus, plan->parent_name);
        dev = fresh;
        ndDeviceListAdd(drv->devs, &fresh);
    }
    if (!info) {
        ndDevice *parent = ndDeviceListFindByBus(drv->devs, plan->bus);

        if (parent && parent->def->sysfs_path)
            path = g_build_filename(parent->def->sysfs_path, plan->uuid, NULL);
    }
    ndDeviceSetMdevActive(dev, plan->type, info ? info->path : path,
                          info ? info->driver : NULL,
                          info ? info->iommu_group : -1, plan->attrs);
    dev->busy = FALSE;
    dev->changed = driverBump(drv);
    eventQueueLifecycle(drv, plan->name, VIR_NODE_DEVICE_EVENT_CREATED);
    driverParentChanged(drv, ndDeviceListFindByBus(drv->devs, plan->bus));
    g_mutex_unlock(&drv->lock);

    driverEmit(drv);
    return 0;
}

static ndNodeDeviceDef *
driverParseMdevXML(const char *xml, ndNodeDeviceParseMode mode,
                   unsigned int flags)
{
    g_autoptr(ndNodeDeviceDef) def = NULL;

    if (!(def = ndNodeDeviceDefParseString(xml, mode,
                                           (flags & VIR_NODE_DEVICE_CREATE_XML_VALIDATE) ?
                                           ND_NODE_DEVICE_PARSE_VALIDATE : 0,
                                           NULL, NULL)))
        return NULL;
    if (!ndNodeDeviceDefFindCap(def, ND_NODE_DEV_CAP_MDEV)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED, _("Unsupported device type"));
        return NULL;
    }
    if (!def->parent) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED, _("missing parent device"));
        return NULL;
    }
    return g_steal_pointer(&def);
}

static GPtrArray *
configAttrsCopy(const ndMdevConfig *config)
{
    GPtrArray *attrs = g_ptr_array_new_with_free_func((GDestroyNotify) ndMdevAttrFree);
    guint i;

    for (i = 0; config->attrs && i < config->attrs->len; i++) {
        const ndMdevAttr *attr = g_ptr_array_index(config->attrs, i);

        g_ptr_array_add(attrs, ndMdevAttrNew(attr->name, attr->value));
    }
    return attrs;
}

/**
 * ndDriverCreateXML: see node_device_driver.h. Errors: the parser's for bad
 * XML; "Unsupported device type" for anything but an mdev; "missing parent
 * device"/"invalid parent device"; a parent without mdev support, an
 * unknown type, no instances left, a UUID in use (each named precisely);
 * util's error for a failing 'create' write; the failing attribute (number,
 * name, reason) after the device was removed again.
 */
char *
ndDriverCreateXML(ndDriver *drv, const char *xml, unsigned int flags)
{
    g_autoptr(ndNodeDeviceDef) def = NULL;
    g_autoptr(ndCreatePlan) plan = g_new0(ndCreatePlan, 1);
    ndNodeDevCapMdev *mdev;
    ndDevice *parent;
    int rc;

    if (!driverCheckFlags(flags, VIR_NODE_DEVICE_CREATE_XML_VALIDATE,
                          "nodeDeviceCreateXML"))
        return NULL;
    if (!(def = driverParseMdevXML(xml, ND_NODE_DEVICE_PARSE_CREATE, flags)))
        return NULL;
    mdev = &ndNodeDeviceDefFindCap(def, ND_NODE_DEV_CAP_MDEV)->data.mdev;

    g_mutex_lock(&drv->lock);
    if (!(parent = driverResolveParent(drv, def->parent)))
        rc = -1;
    else
        rc = driverReserve(drv, parent, mdev->defined.type, mdev->uuid, NULL,
                           plan);
    g_mutex_unlock(&drv->lock);
    if (rc < 0)
        return NULL;

    plan->attrs = configAttrsCopy(&mdev->defined);
    if (driverCarryOut(drv, plan, FALSE) < 0)
        return NULL;
    return g_steal_pointer(&plan->name);
}

/* Starts the defined device @name. */
static int
driverStart(ndDriver *drv, const char *name)
{
    g_autoptr(ndCreatePlan) plan = g_new0(ndCreatePlan, 1);
    ndDevice *dev;
    ndDevice *parent;
    int rc = -1;

    g_mutex_lock(&drv->lock);
    if (!(dev = driverFindDevice(drv, name)))
        goto cleanup;
    /* libvirt's order: an active device (every device but an mdev is) is
     * "already active" before its type is looked at */
    if (dev->active || dev->busy) {
        ndReportError(ND_ERR_OPERATION_INVALID, _("Device is already active"));
        goto cleanup;
    }
    if (!ndDeviceIsMdev(dev)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED, _("Unsupported device type"));
        goto cleanup;
    }
    if (!dev->mdevctl) {
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("Node device '%1$s' is not defined"), name);
        goto cleanup;
    }
    if (!(parent = ndDeviceListFindByBus(drv->devs, dev->parent_bus))) {
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("parent '%1$s' of mediated device '%2$s' is not present or does not support mediated devices"),
                      dev->parent_bus, name);
        goto cleanup;
    }
    if (driverReserve(drv, parent, dev->mdevctl->type, dev->uuid, dev,
                      plan) < 0)
        goto cleanup;
    plan->attrs = configAttrsCopy(&ndDeviceGetMdevCap(dev)->defined);
    dev->busy = TRUE;
    rc = 0;

 cleanup:
    g_mutex_unlock(&drv->lock);
    if (rc < 0)
        return -1;

    if (driverCarryOut(drv, plan, TRUE) < 0) {
        g_mutex_lock(&drv->lock);
        if ((dev = ndDeviceListFind(drv->devs, plan->name)))
            dev->busy = FALSE;
        g_mutex_unlock(&drv->lock);
        return -1;
    }
    return 0;
}

/**
 * ndDriverCreate: starts a defined device (see node_device_driver.h).
 * Errors: unknown name; "Unsupported device type"; "Device is already
 * active"; a missing parent; then those of ndDriverCreateXML.
 */
int
ndDriverCreate(ndDriver *drv, const char *name, unsigned int flags)
{
    if (!driverCheckFlags(flags, 0, "nodeDeviceCreate"))
        return -1;
    return driverStart(drv, name);
}

/* ---- destroy ---- */

/**
 * ndDriverDestroy: see node_device_driver.h. Refuses non-mdevs ("Unsupported
 * device type"), inactive devices ("Device '%s' is not active") and devices
 * in use (their VFIO group is open: "Unable to destroy '%s': device in
 * use"). The blocking 'remove' write is done without the driver lock.
 */
int
ndDriverDestroy(ndDriver *drv, const char *name)
{
    g_autofree char *uuid = NULL;
    g_autofree char *bus = NULL;
    ndDevice *dev;
    int group;
    int rc;

    g_mutex_lock(&drv->lock);
    if (!(dev = driverFindDevice(drv, name))) {
        g_mutex_unlock(&drv->lock);
        return -1;
    }
    if (!ndDeviceIsMdev(dev)) {
        g_mutex_unlock(&drv->lock);
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED, _("Unsupported device type"));
        return -1;
    }
    if (!dev->active) {
        g_mutex_unlock(&drv->lock);
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("Device '%1$s' is not active"), name);
        return -1;
    }
    if (dev->busy) {
        g_mutex_unlock(&drv->lock);
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("node device '%1$s' is being changed by another operation"),
                      name);
        return -1;
    }
    dev->busy = TRUE;
    uuid = g_strdup(dev->uuid);
    bus = g_strdup(dev->parent_bus);
    group = dev->iommu_group;
    countAdd(drv->pending_parents, bus, 1);
    g_mutex_unlock(&drv->lock);

    /* the kernel's remove blocks while the device is open: look first */
    rc = ndMdevIsInUse(drv->dev_root, group);
    if (rc > 0)
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("Unable to destroy '%1$s': device in use"), name);
    if (rc == 0)
        rc = ndMdevRemove(drv->sysfs, uuid) < 0 ? -1 : 0;
    else
        rc = -1;

    g_mutex_lock(&drv->lock);
    countAdd(drv->pending_parents, bus, -1);
    dev = ndDeviceListFind(drv->devs, name);
    if (dev)
        dev->busy = FALSE;
    if (rc == 0 && dev) {
        guint64 gen = driverBump(drv);

        if (dev->persistent) {
            ndDeviceSetMdevInactive(dev);
            dev->changed = gen;
        } else {
            ndDeviceListRemove(drv->devs, name);
            g_hash_table_replace(drv->removed, g_strdup(name),
                                 g_memdup2(&gen, sizeof(gen)));
        }
        eventQueueLifecycle(drv, name, VIR_NODE_DEVICE_EVENT_DELETED);
        driverParentChanged(drv, ndDeviceListFindByBus(drv->devs, bus));
    }
    g_mutex_unlock(&drv->lock);

    driverEmit(drv);
    return rc;
}

/* ---- define, undefine, autostart ---- */

/* Must hold drv->lock. */
static guint
driverCountDefinitions(ndDriver *drv)
{
    guint count = 0;
    guint i;

    for (i = 0; i < ndDeviceListCount(drv->devs); i++) {
        if (ndDeviceListGet(drv->devs, i)->mdevctl)
            count++;
    }
    return count;
}

/**
 * ndDriverDefineXML: see node_device_driver.h. Writes the mdevctl file
 * atomically; redefining (same UUID and parent) updates it and keeps its
 * autostart setting. Emits DEFINED. Errors as ndDriverCreateXML's checks
 * (parent, mdev support, type), plus a refusal to overwrite a definition
 * file that exists but cannot be parsed.
 */
char *
ndDriverDefineXML(ndDriver *drv, const char *xml, unsigned int flags)
{
    g_autoptr(ndNodeDeviceDef) def = NULL;
    g_autoptr(ndMdevctlDef) mdevctl = NULL;
    g_autofree char *name = NULL;
    g_autofree char *parent_name = NULL;
    g_autofree char *uuid = NULL;
    ndNodeDevCapMdev *mdev;
    ndDevice *parent;
    ndDevice *dev;
    guint i;

    if (!driverCheckFlags(flags, VIR_NODE_DEVICE_DEFINE_XML_VALIDATE,
                          "nodeDeviceDefineXML"))
        return NULL;
    if (!(def = driverParseMdevXML(xml, ND_NODE_DEVICE_PARSE_DEFINE, flags)))
        return NULL;
    mdev = &ndNodeDeviceDefFindCap(def, ND_NODE_DEV_CAP_MDEV)->data.mdev;

    g_mutex_lock(&drv->config_lock);
    g_mutex_lock(&drv->lock);
    if (!(parent = driverResolveParent(drv, def->parent)) ||
        driverCheckType(drv, parent, mdev->defined.type, NULL) < 0)
        goto error;
    if (mdev->uuid) {
        uuid = g_strdup(mdev->uuid);
    } else {
        do {
            g_free(uuid);
            uuid = ndUUIDGenerateString();
        } while (driverUUIDKnown(drv, uuid));
    }
    if (ndPersistIsBroken(drv->persist, parent->mdev_bus, uuid)) {
        ndReportError(ND_ERR_OPERATION_FAILED,
                      _("definition file '%1$s/%2$s/%3$s' exists but cannot be parsed: not overwriting it"),
                      ndPersistGetDir(drv->persist), parent->mdev_bus, uuid);
        goto error;
    }
    name = ndNodeDeviceMdevName(uuid, parent->mdev_bus);
    dev = ndDeviceListFind(drv->devs, name);
    if ((!dev || !dev->mdevctl) &&
        driverCountDefinitions(drv) >= ND_DRIVER_MAX_DEFINITIONS) {
        ndReportError(ND_ERR_OPERATION_FAILED,
                      _("cannot define '%1$s': there are already %2$d definitions"),
                      name, ND_DRIVER_MAX_DEFINITIONS);
        goto error;
    }
    parent_name = g_strdup(ndDeviceGetName(parent));
    mdevctl = ndMdevctlDefNew(parent->mdev_bus, uuid, mdev->defined.type);
    for (i = 0; i < mdev->defined.attrs->len; i++) {
        const ndMdevAttr *attr = g_ptr_array_index(mdev->defined.attrs, i);

        ndMdevctlDefAddAttr(mdevctl, attr->name, attr->value);
    }
    if (dev && dev->mdevctl)
        mdevctl->autostart = dev->mdevctl->autostart;
    g_mutex_unlock(&drv->lock);

    if (ndPersistSave(drv->persist, mdevctl) < 0) {
        g_mutex_unlock(&drv->config_lock);
        return NULL;
    }

    g_mutex_lock(&drv->lock);
    if (!(dev = ndDeviceListFind(drv->devs, name))) {
        g_autoptr(ndDevice) fresh = ndDeviceNewMdev(uuid, mdevctl->parent,
                                                    parent_name);

        dev = fresh;
        ndDeviceListAdd(drv->devs, &fresh);
    }
    ndDeviceSetMdevDefinition(dev, g_steal_pointer(&mdevctl));
    eventQueueLifecycle(drv, name, VIR_NODE_DEVICE_EVENT_DEFINED);
    g_mutex_unlock(&drv->lock);
    g_mutex_unlock(&drv->config_lock);

    driverEmit(drv);
    return g_steal_pointer(&name);

 error:
    g_mutex_unlock(&drv->lock);
    g_mutex_unlock(&drv->config_lock);
    return NULL;
}

/**
 * ndDriverUndefine: see node_device_driver.h. Removes the mdevctl file; an
 * active device stays and becomes transient. Emits UNDEFINED. Errors:
 * "Unsupported device type" for non-mdevs, "Node device '%s' is not
 * defined" for transient ones.
 */
int
ndDriverUndefine(ndDriver *drv, const char *name, unsigned int flags)
{
    g_autofree char *bus = NULL;
    g_autofree char *uuid = NULL;
    ndDevice *dev;

    if (!driverCheckFlags(flags, 0, "nodeDeviceUndefine"))
        return -1;
    g_mutex_lock(&drv->config_lock);
    g_mutex_lock(&drv->lock);
    if (!(dev = driverFindDevice(drv, name)))
        goto error;
    if (!ndDeviceIsMdev(dev)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED, _("Unsupported device type"));
        goto error;
    }
    if (!dev->mdevctl) {
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("Node device '%1$s' is not defined"), name);
        goto error;
    }
    bus = g_strdup(dev->mdevctl->parent);
    uuid = g_strdup(dev->mdevctl->uuid);
    g_mutex_unlock(&drv->lock);

    if (ndPersistDelete(drv->persist, bus, uuid) < 0) {
        g_mutex_unlock(&drv->config_lock);
        return -1;
    }

    g_mutex_lock(&drv->lock);
    if ((dev = ndDeviceListFind(drv->devs, name))) {
        if (dev->active || dev->busy)
            ndDeviceSetMdevDefinition(dev, NULL);
        else
            ndDeviceListRemove(drv->devs, name);
    }
    eventQueueLifecycle(drv, name, VIR_NODE_DEVICE_EVENT_UNDEFINED);
    g_mutex_unlock(&drv->lock);
    g_mutex_unlock(&drv->config_lock);

    driverEmit(drv);
    return 0;

 error:
    g_mutex_unlock(&drv->lock);
    g_mutex_unlock(&drv->config_lock);
    return -1;
}

/**
 * ndDriverGetAutostart: see node_device_driver.h. Devices that are not
 * mdevs always start with the host (1).
 */
int
ndDriverGetAutostart(ndDriver *drv, const char *name, int *ret_autostart)
{
    ndDevice *dev;
    int ret = -1;

    if (!driverLockRead(drv))
        return -1;
    if ((dev = driverFindDevice(drv, name))) {
        *ret_autostart = dev->autostart ? 1 : 0;
        ret = 0;
    }
    g_mutex_unlock(&drv->lock);
    return ret;
}

/**
 * ndDriverSetAutostart: see node_device_driver.h. Rewrites the mdevctl
 * file with "start": "auto" or "manual". Errors: "Unsupported device type"
 * (ND_ERR_OPERATION_UNSUPPORTED) for non-mdevs, "cannot set autostart for
 * transient device" for transient ones.
 */
int
ndDriverSetAutostart(ndDriver *drv, const char *name, int autostart)
{
    g_autoptr(ndMdevctlDef) copy = NULL;
    ndDevice *dev;

    g_mutex_lock(&drv->config_lock);
    g_mutex_lock(&drv->lock);
    if (!(dev = driverFindDevice(drv, name)))
        goto error;
    if (!ndDeviceIsMdev(dev)) {
        ndReportError(ND_ERR_OPERATION_UNSUPPORTED, _("Unsupported device type"));
        goto error;
    }
    if (!dev->mdevctl) {
        ndReportError(ND_ERR_OPERATION_INVALID,
                      _("cannot set autostart for transient device"));
        goto error;
    }
    if (dev->mdevctl->autostart == (autostart != 0)) {
        g_mutex_unlock(&drv->lock);
        g_mutex_unlock(&drv->config_lock);
        return 0;
    }
    copy = ndMdevctlDefCopy(dev->mdevctl);
    copy->autostart = autostart != 0;
    g_mutex_unlock(&drv->lock);

    if (ndPersistSave(drv->persist, copy) < 0) {
        g_mutex_unlock(&drv->config_lock);
        return -1;
    }

    g_mutex_lock(&drv->lock);
    if ((dev = ndDeviceListFind(drv->devs, name)) && dev->mdevctl) {
        dev->mdevctl->autostart = autostart != 0;
        dev->autostart = autostart != 0;
    }
    g_mutex_unlock(&drv->lock);
    g_mutex_unlock(&drv->config_lock);
    return 0;

 error:
    g_mutex_unlock(&drv->lock);
    g_mutex_unlock(&drv->config_lock);
    return -1;
}

/**
 * ndDriverIsPersistent: see node_device_driver.h.
 */
int
ndDriverIsPersistent(ndDriver *drv, const char *name)
{
    ndDevice *dev;
    int ret = -1;

    if (!driverLockRead(drv))
        return -1;
    if ((dev = driverFindDevice(drv, name)))
        ret = dev->persistent ? 1 : 0;
    g_mutex_unlock(&drv->lock);
    return ret;
}

/**
 * ndDriverIsActive: see node_device_driver.h.
 */
int
ndDriverIsActive(ndDriver *drv, const char *name)
{
    ndDevice *dev;
    int ret = -1;

    if (!driverLockRead(drv))
        return -1;
    if ((dev = driverFindDevice(drv, name)))
        ret = dev->active ? 1 : 0;
    g_mutex_unlock(&drv->lock);
    return ret;
}

/* ---- events ---- */

/**
 * ndDriverEventAdd: see node_device_driver.h.
 */
unsigned int
ndDriverEventAdd(ndDriver *drv, ndDriverEventFunc func, gpointer opaque)
{
    ndEventCallback cb = { 0 };

    g_rec_mutex_lock(&drv->event_lock);
    cb.id = ++drv->next_callback_id;
    cb.func = func;
    cb.opaque = opaque;
    g_array_append_val(drv->callbacks, cb);
    g_rec_mutex_unlock(&drv->event_lock);
    return cb.id;
}

/**
 * ndDriverEventRemove: see node_device_driver.h. When it returns, the
 * callback is not running and will not be called again.
 */
void
ndDriverEventRemove(ndDriver *drv, unsigned int id)
{
    guint i;

    g_rec_mutex_lock(&drv->event_lock);
    for (i = 0; i < drv->callbacks->len; i++) {
        if (g_array_index(drv->callbacks, ndEventCallback, i).id == id) {
            g_array_remove_index(drv->callbacks, i);
            break;
        }
    }
    g_rec_mutex_unlock(&drv->event_lock);
}

/* ---- rescans ---- */

/* Must hold drv->lock (and config_lock). Brings the definitions in the
 * list in line with @defs; queues DEFINED/UNDEFINED/UPDATE if @events. */
static void
driverSyncDefinitions(ndDriver *drv, GPtrArray *defs, gboolean events)
{
    g_autoptr(GHashTable) wanted = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                         g_free, NULL);
    g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
    guint i;

    for (i = 0; i < defs->len; i++) {
        const ndMdevctlDef *def = g_ptr_array_index(defs, i);
        g_autofree char *name = ndNodeDeviceMdevName(def->uuid, def->parent);
        ndDevice *dev = ndDeviceListFind(drv->devs, name);

        g_hash_table_add(wanted, g_strdup(name));
        if (!dev) {
            ndDevice *parent = ndDeviceListFindByBus(drv->devs, def->parent);
            g_autoptr(ndDevice) fresh =
                ndDeviceNewMdev(def->uuid, def->parent,
                                parent ? ndDeviceGetName(parent) : NULL);

            ndDeviceSetMdevDefinition(fresh, ndMdevctlDefCopy(def));
            ndDeviceListAdd(drv->devs, &fresh);
            if (events)
                eventQueueLifecycle(drv, name, VIR_NODE_DEVICE_EVENT_DEFINED);
        } else if (!dev->mdevctl) {
            ndDeviceSetMdevDefinition(dev, ndMdevctlDefCopy(def));
            if (events)
                eventQueueLifecycle(drv, name, VIR_NODE_DEVICE_EVENT_DEFINED);
        } else if (!ndMdevctlDefEqual(dev->mdevctl, def)) {
            ndDeviceSetMdevDefinition(dev, ndMdevctlDefCopy(def));
            if (events)
                eventQueueUpdate(drv, name);
        }
    }

    for (i = 0; i < ndDeviceListCount(drv->devs); i++) {
        ndDevice *dev = ndDeviceListGet(drv->devs, i);

        if (dev->mdevctl && !g_hash_table_contains(wanted, ndDeviceGetName(dev)))
            g_ptr_array_add(gone, g_strdup(ndDeviceGetName(dev)));
    }
    for (i = 0; i < gone->len; i++) {
        const char *name = g_ptr_array_index(gone, i);
        ndDevice *dev = ndDeviceListFind(drv->devs, name);

        if (dev->active || dev->busy)
            ndDeviceSetMdevDefinition(dev, NULL);
        else
            ndDeviceListRemove(drv->devs, name);
        if (events)
            eventQueueLifecycle(drv, name, VIR_NODE_DEVICE_EVENT_UNDEFINED);
    }
}

/* What a rescan read from sysfs, outside the lock. Only differences from
 * what the list knew at the snapshot are read in detail, so a rescan
 * costs two directory listings plus a few reads per change, whatever the
 * number of devices. */
typedef struct {
    guint64 snap;             /* drv->generation when the list was copied */
    GPtrArray *new_mdevs;     /* ndMdevInfo * of UUIDs the list lacked */
    GHashTable *gone_uuids;   /* UUIDs active in the list, gone from sysfs */
    GPtrArray *new_parents;   /* ndMdevParentInfo * of new class/mdev_bus
                               * entries */
    GHashTable *gone_buses;   /* registered buses gone from class/mdev_bus */
    GHashTable *types_by_bus; /* bus -> fresh types (ndMdevType *) of every
                               * parent whose devices changed */
} ndScan;

static void
scanClear(ndScan *scan)
{
    g_clear_pointer(&scan->new_mdevs, g_ptr_array_unref);
    g_clear_pointer(&scan->gone_uuids, g_hash_table_unref);
    g_clear_pointer(&scan->new_parents, g_ptr_array_unref);
    g_clear_pointer(&scan->gone_buses, g_hash_table_unref);
    g_clear_pointer(&scan->types_by_bus, g_hash_table_unref);
}

static GHashTable *
strSetNew(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

/* No lock held (rescan_lock and config_lock are). Fills @scan. */
static int
driverScanRead(ndDriver *drv, ndScan *scan)
{
    g_autoptr(GHashTable) known_uuids =          /* uuid -> parent bus */
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) known_buses = strSetNew();
    g_autoptr(GHashTable) affected = strSetNew();
    g_auto(GStrv) uuids = NULL;
    g_auto(GStrv) buses = NULL;
    g_autoptr(GHashTable) live_uuids = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) live_buses = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(ndMdevTypeKnown) known_types = ndMdevTypeKnownNew();
    GHashTableIter iter;
    gpointer key;
    gpointer value;
    guint i;

    scan->new_mdevs = g_ptr_array_new_with_free_func((GDestroyNotify) ndMdevInfoFree);
    scan->gone_uuids = strSetNew();
    scan->new_parents = g_ptr_array_new_with_free_func((GDestroyNotify) ndMdevParentInfoFree);
    scan->gone_buses = strSetNew();
    scan->types_by_bus = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) g_ptr_array_unref);

    g_mutex_lock(&drv->lock);
    scan->snap = drv->generation;
    for (i = 0; i < ndDeviceListCount(drv->devs); i++) {
        ndDevice *dev = ndDeviceListGet(drv->devs, i);

        if (dev->uuid && dev->active)
            g_hash_table_replace(known_uuids, g_strdup(dev->uuid),
                                 g_strdup(dev->parent_bus));
        if (dev->mdev_bus)
            g_hash_table_add(known_buses, g_strdup(dev->mdev_bus));
    }
    g_mutex_unlock(&drv->lock);

    if (ndSysfsListDir(drv->sysfs, "bus/mdev/devices", &uuids) < 0 ||
        ndSysfsListDir(drv->sysfs, "class/mdev_bus", &buses) < 0)
        return -1;

    for (i = 0; uuids && uuids[i]; i++) {
        g_autoptr(ndMdevInfo) info = NULL;
        g_autofree char *lower = g_ascii_strdown(uuids[i], -1);

        g_hash_table_add(live_uuids, uuids[i]);
        if (!ndUUIDIsKernelForm(uuids[i]) ||
            g_hash_table_contains(known_uuids, lower))
            continue;
        if (ndMdevRead(drv->sysfs, uuids[i], &info) <= 0) {
            /* not complete yet (or unreadable): the next rescan */
            ndResetLastError();
            continue;
        }
        g_hash_table_add(affected, g_strdup(info->parent));
        g_ptr_array_add(scan->new_mdevs, g_steal_pointer(&info));
    }
    g_hash_table_iter_init(&iter, known_uuids);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        if (!g_hash_table_contains(live_uuids, key)) {
            g_hash_table_add(scan->gone_uuids, g_strdup(key));
            if (value)
                g_hash_table_add(affected, g_strdup(value));
        }
    }

    for (i = 0; buses && buses[i]; i++) {
        g_autoptr(ndMdevParentInfo) info = NULL;

        g_hash_table_add(live_buses, buses[i]);
        if (g_hash_table_contains(known_buses, buses[i]))
            continue;
        if (ndMdevParentRead(drv->sysfs, buses[i], &info) <= 0) {
            ndResetLastError();
            continue;
        }
        g_hash_table_add(affected, g_strdup(info->name));
        g_ptr_array_add(scan->new_parents, g_steal_pointer(&info));
    }
    g_hash_table_iter_init(&iter, known_buses);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        if (!g_hash_table_contains(live_buses, key))
            g_hash_table_add(scan->gone_buses, g_strdup(key));
    }

    g_hash_table_iter_init(&iter, affected);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        GPtrArray *types = NULL;

        if (!g_hash_table_contains(live_buses, key))
            continue;
        if (ndEnumMdevTypes(drv->sysfs, key, known_types, &types) < 0) {
            ND_DEBUG("cannot read the types of '%s': %s",
                     (const char *) key, ndGetLastErrorMessage());
            ndResetLastError();
            continue;
        }
        g_hash_table_insert(scan->types_by_bus, g_strdup(key), types);
    }
    return 0;
}

/* Must hold drv->lock. Registers new parents (their UPDATE comes with
 * their types) and forgets gone ones (UPDATE). Buses that newly
 * registered go to @new_buses (for autostart). */
static void
driverSyncParents(ndDriver *drv, ndScan *scan, GPtrArray *new_buses)
{
    GHashTableIter iter;
    gpointer key;
    guint i;

    for (i = 0; i < scan->new_parents->len; i++) {
        const ndMdevParentInfo *info = g_ptr_array_index(scan->new_parents, i);
        ndDevice *dev = ndDeviceListFindByBus(drv->devs, info->name);
        guint j;

        for (j = 0; j < ndDeviceListCount(drv->devs) && !dev; j++) {
            ndDevice *d = ndDeviceListGet(drv->devs, j);

            if (d->def->sysfs_path && g_str_equal(d->def->sysfs_path, info->path))
                dev = d;
        }
        if (!dev && info->kind == ND_MDEV_PARENT_OTHER) {
            /* a virtual parent came (a module loaded): a new device */
            g_autoptr(ndDevice) fresh = ndEnumOtherParent(info);
            GPtrArray *types = g_hash_table_lookup(scan->types_by_bus, info->name);

            dev = fresh;
            if (!ndDeviceListAdd(drv->devs, &fresh))
                continue;
            if (types) {
                dev->avail_sig = ndEnumAvailSig(types);
                ndDeviceSetMdevTypes(dev, typesCopy(types));
            }
            eventQueueLifecycle(drv, ndDeviceGetName(dev),
                                VIR_NODE_DEVICE_EVENT_CREATED);
        } else if (!dev || dev->mdev_bus) {
            continue;   /* a device we do not know yet: next restart */
        } else {
            g_clear_pointer(&dev->avail_sig, g_free);
        }
        ndDeviceListSetBus(drv->devs, dev, info->name);
        g_ptr_array_add(new_buses, g_strdup(info->name));

        /* definitions made while the parent was away hang off computer */
        for (j = 0; j < ndDeviceListCount(drv->devs); j++) {
            ndDevice *child = ndDeviceListGet(drv->devs, j);

            if (child->parent_bus && g_str_equal(child->parent_bus, info->name) &&
                g_strcmp0(child->def->parent, ndDeviceGetName(dev)) != 0) {
                g_free(child->def->parent);
                child->def->parent = g_strdup(ndDeviceGetName(dev));
            }
        }
    }

    g_hash_table_iter_init(&iter, scan->gone_buses);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        ndDevice *dev = ndDeviceListFindByBus(drv->devs, key);
        g_autofree char *name = NULL;
        guint j;

        if (!dev)
            continue;
        if (dev->def->caps->len > 0) {
            /* a PCI, css or matrix device stays (its driver let go) */
            ndDeviceListSetBus(drv->devs, dev, NULL);
            g_clear_pointer(&dev->avail_sig, g_free);
            ndDeviceSetMdevTypes(dev, NULL);
            eventQueueUpdate(drv, ndDeviceGetName(dev));
            continue;
        }
        /* a virtual parent is only a device while it is a parent (on a
         * real host it goes away with its module); its definitions hang
         * off computer until it comes back */
        name = g_strdup(ndDeviceGetName(dev));
        for (j = 0; j < ndDeviceListCount(drv->devs); j++) {
            ndDevice *child = ndDeviceListGet(drv->devs, j);

            if (g_strcmp0(child->def->parent, name) == 0) {
                g_free(child->def->parent);
                child->def->parent = g_strdup("computer");
            }
        }
        ndDeviceListRemove(drv->devs, name);
        eventQueueLifecycle(drv, name, VIR_NODE_DEVICE_EVENT_DELETED);
    }
}

/* Must hold drv->lock. Refreshes the types of parents whose devices
 * changed and queues UPDATE for each whose types or free instances
 * changed, unless one of our operations changed it since the snapshot
 * (that operation reported it). */
static void
driverSyncTypes(ndDriver *drv, ndScan *scan)
{
    GHashTableIter iter;
    gpointer key;
    gpointer value;

    g_hash_table_iter_init(&iter, scan->types_by_bus);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        ndDevice *dev = ndDeviceListFindByBus(drv->devs, key);
        g_autofree char *sig = NULL;

        if (!dev || countGet(drv->pending_parents, key) > 0 ||
            dev->changed > scan->snap)
            continue;
        sig = ndEnumAvailSig(value);
        ndDeviceSetMdevTypes(dev, typesCopy(value));
        if (g_strcmp0(sig, dev->avail_sig) != 0) {
            g_free(dev->avail_sig);
            dev->avail_sig = g_steal_pointer(&sig);
            eventQueueUpdate(drv, ndDeviceGetName(dev));
        }
    }
}

static gboolean
driverRemovedSince(ndDriver *drv, const char *name, guint64 snap)
{
    guint64 *gen = g_hash_table_lookup(drv->removed, name);

    return gen && *gen > snap;
}

/* Must hold drv->lock. Adds or activates new mdevs (CREATED), and
 * deactivates or removes gone ones (DELETED), leaving alone what our own
 * operations are changing or changed since the snapshot. */
static void
driverSyncMdevs(ndDriver *drv, ndScan *scan)
{
    g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
    guint i;

    for (i = 0; i < scan->new_mdevs->len; i++) {
        const ndMdevInfo *info = g_ptr_array_index(scan->new_mdevs, i);
        g_autofree char *name = ndNodeDeviceMdevName(info->uuid, info->parent);
        ndDevice *dev = ndDeviceListFind(drv->devs, name);

        if (g_hash_table_contains(drv->pending_uuids, info->uuid) ||
            (dev && (dev->busy || dev->active || dev->changed > scan->snap)) ||
            driverRemovedSince(drv, name, scan->snap))
            continue;   /* one of our operations is making it or made it */
        if (!dev) {
            ndDevice *parent = ndDeviceListFindByBus(drv->devs, info->parent);
            g_autoptr(ndDevice) fresh =
                ndDeviceNewMdev(info->uuid, info->parent,
                                parent ? ndDeviceGetName(parent) : NULL);

            dev = fresh;
            ndDeviceListAdd(drv->devs, &fresh);
        }
        ndDeviceSetMdevActive(dev, info->type_id, info->path, info->driver,
                              info->iommu_group, NULL);
        eventQueueLifecycle(drv, name, VIR_NODE_DEVICE_EVENT_CREATED);
    }

    for (i = 0; i < ndDeviceListCount(drv->devs); i++) {
        ndDevice *dev = ndDeviceListGet(drv->devs, i);

        if (dev->uuid && dev->active && !dev->busy &&
            dev->changed <= scan->snap &&
            g_hash_table_contains(scan->gone_uuids, dev->uuid))
            g_ptr_array_add(gone, g_strdup(ndDeviceGetName(dev)));
    }
    for (i = 0; i < gone->len; i++) {
        const char *name = g_ptr_array_index(gone, i);
        ndDevice *dev = ndDeviceListFind(drv->devs, name);

        if (dev->persistent)
            ndDeviceSetMdevInactive(dev);
        else
            ndDeviceListRemove(drv->devs, name);
        eventQueueLifecycle(drv, name, VIR_NODE_DEVICE_EVENT_DELETED);
    }
}

/* Must hold drv->lock. Names of defined devices to autostart: those
 * marked auto, inactive, whose parent is present, and (if @buses is not
 * NULL) on one of @buses. */
static GPtrArray *
driverAutostartCandidates(ndDriver *drv, GPtrArray *buses)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    guint i;

    for (i = 0; i < ndDeviceListCount(drv->devs); i++) {
        ndDevice *dev = ndDeviceListGet(drv->devs, i);

        if (!dev->mdevctl || !dev->autostart || dev->active || dev->busy)
            continue;
        if (!ndDeviceListFindByBus(drv->devs, dev->parent_bus))
            continue;
        if (buses && !g_ptr_array_find_with_equal_func(buses, dev->parent_bus,
                                                       g_str_equal, NULL))
            continue;
        g_ptr_array_add(names, g_strdup(ndDeviceGetName(dev)));
    }
    return names;
}

static void
driverAutostart(ndDriver *drv, GPtrArray *names)
{
    guint i;

    for (i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);

        if (driverStart(drv, name) < 0) {
            ND_WARN("cannot autostart mediated device '%s': %s",
                    name, ndGetLastErrorMessage());
            ndResetLastError();
        } else {
            ND_INFO("autostarted mediated device '%s'", name);
        }
    }
}

/**
 * ndDriverRescan: see node_device_driver.h. Lists bus/mdev/devices and
 * class/mdev_bus, reads only what differs from the list (new devices and
 * parents, the types of parents whose devices changed) and the definition
 * files (stat-cached), then updates the list under the lock and emits
 * CREATED, DELETED, DEFINED, UNDEFINED, and UPDATE for parents whose
 * types or available instances changed and for definitions whose content
 * changed. Devices one of our operations is changing are left to it.
 * Newly registered parents get their autostart devices started.
 * Returns 0, or -1 if sysfs could not be read (the list is unchanged).
 */
int
ndDriverRescan(ndDriver *drv)
{
    g_autoptr(GPtrArray) defs = NULL;
    g_autoptr(GPtrArray) new_buses = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) autostart = NULL;
    ndScan scan = { 0 };
    GHashTableIter iter;
    gpointer value;

    g_mutex_lock(&drv->rescan_lock);
    g_mutex_lock(&drv->config_lock);

    if (ndPersistLoad(drv->persist, &defs) < 0) {
        ND_WARN("cannot rescan definitions: %s", ndGetLastErrorMessage());
        ndResetLastError();
    }
    if (driverScanRead(drv, &scan) < 0) {
        scanClear(&scan);
        g_mutex_unlock(&drv->config_lock);
        g_mutex_unlock(&drv->rescan_lock);
        return -1;
    }

    g_mutex_lock(&drv->lock);
    driverSyncParents(drv, &scan, new_buses);
    driverSyncMdevs(drv, &scan);
    driverSyncTypes(drv, &scan);
    /* later rescans start from later snapshots */
    g_hash_table_iter_init(&iter, drv->removed);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        if (*(guint64 *) value <= scan.snap)
            g_hash_table_iter_remove(&iter);
    }
    if (defs)
        driverSyncDefinitions(drv, defs, TRUE);
    if (drv->autostart && new_buses->len > 0)
        autostart = driverAutostartCandidates(drv, new_buses);
    g_mutex_unlock(&drv->lock);

    g_mutex_unlock(&drv->config_lock);
    scanClear(&scan);
    driverEmit(drv);
    if (autostart)
        driverAutostart(drv, autostart);
    g_mutex_unlock(&drv->rescan_lock);
    return 0;
}

/* ---- the watch ---- */

static void driverWatchDirs(ndDriver *drv);

static ndWatchState *
watchStateRef(ndWatchState *state)
{
    return g_atomic_rc_box_acquire(state);
}

static void
watchStateClear(gpointer opaque)
{
    ndWatchState *state = opaque;

    g_mutex_clear(&state->lock);
}

static void
watchStateUnref(gpointer opaque)
{
    g_atomic_rc_box_release_full(opaque, watchStateClear);
}

/* Runs a rescan unless the driver is being freed (which waits for it). */
static void
watchRescan(ndWatchState *state)
{
    g_mutex_lock(&state->lock);
    if (state->drv) {
        if (ndDriverRescan(state->drv) < 0) {
            ND_WARN("rescan failed: %s", ndGetLastErrorMessage());
            ndResetLastError();
        }
        driverWatchDirs(state->drv);
    }
    g_mutex_unlock(&state->lock);
}

static gboolean
watchTimer(gpointer opaque)
{
    watchRescan(opaque);
    return G_SOURCE_CONTINUE;
}

static gboolean
watchDebounced(gpointer opaque)
{
    ndWatchState *state = opaque;

    g_mutex_lock(&state->lock);
    if (state->drv)
        g_clear_pointer(&state->drv->debounce_source, g_source_unref);
    g_mutex_unlock(&state->lock);
    watchRescan(state);
    return G_SOURCE_REMOVE;
}

/* Schedules one rescan soon; repeated calls before it runs coalesce. */
static void
watchSchedule(ndWatchState *state)
{
    ndDriver *drv;

    g_mutex_lock(&state->lock);
    drv = state->drv;
    if (drv && !drv->debounce_source) {
        drv->debounce_source = g_timeout_source_new(ND_DRIVER_RESCAN_DEBOUNCE_MS);
        g_source_set_callback(drv->debounce_source, watchDebounced,
                              watchStateRef(state), watchStateUnref);
        g_source_attach(drv->debounce_source, drv->context);
    }
    g_mutex_unlock(&state->lock);
}

static gboolean
watchUevent(const ndUevent *ev, gpointer opaque)
{
    /* NULL: events were lost, rescan to be sure */
    if (!ev || g_strcmp0(ev->subsystem, "mdev") == 0 || ev->mdev_state ||
        g_strcmp0(ev->subsystem, "pci") == 0)
        watchSchedule(opaque);
    return G_SOURCE_CONTINUE;
}

static void
watchClosureNotify(gpointer opaque, GClosure *closure)
{
    watchStateUnref(opaque);
}

static void
watchFileChanged(GFileMonitor *monitor, GFile *file, GFile *other,
                 GFileMonitorEvent event, gpointer opaque)
{
    watchSchedule(opaque);
}

static void
monitorFree(gpointer opaque)
{
    GFileMonitor *monitor = opaque;

    g_file_monitor_cancel(monitor);
    g_object_unref(monitor);
}

static void
driverMonitorAdd(ndDriver *drv, const char *path)
{
    g_autoptr(GFile) dir = g_file_new_for_path(path);
    g_autoptr(GError) gerr = NULL;
    GFileMonitor *monitor;

    /* a monitor reports to the thread-default context of its creator */
    g_main_context_push_thread_default(drv->context);
    monitor = g_file_monitor_directory(dir, G_FILE_MONITOR_NONE, NULL, &gerr);
    g_main_context_pop_thread_default(drv->context);
    if (!monitor) {
        ND_DEBUG("cannot monitor '%s': %s", path, gerr->message);
        return;
    }
    g_signal_connect_data(monitor, "changed", G_CALLBACK(watchFileChanged),
                          watchStateRef(drv->watch), watchClosureNotify, 0);
    g_hash_table_insert(drv->monitors, g_strdup(path), monitor);
}

/* Monitors the definitions directory and each parent directory in it
 * (a file monitor is not recursive); drops monitors of directories that
 * are gone. The periodic rescan catches anything missed meanwhile. */
static void
driverWatchDirs(ndDriver *drv)
{
    g_autoptr(GHashTable) want = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                       g_free, NULL);
    g_autoptr(GDir) dir = g_dir_open(drv->config_dir, 0, NULL);
    GHashTableIter iter;
    gpointer key;
    const char *name;

    g_hash_table_add(want, g_strdup(drv->config_dir));
    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(drv->config_dir, name, NULL);

        if (name[0] != '.' && !g_str_equal(name, "scripts.d") &&
            g_file_test(path, G_FILE_TEST_IS_DIR))
            g_hash_table_add(want, g_steal_pointer(&path));
    }
    g_hash_table_iter_init(&iter, drv->monitors);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        if (!g_hash_table_contains(want, key))
            g_hash_table_iter_remove(&iter);
    }
    g_hash_table_iter_init(&iter, want);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        if (!g_hash_table_contains(drv->monitors, key))
            driverMonitorAdd(drv, key);
    }
}

static void
driverWatchStart(ndDriver *drv, int uevent_fd, guint interval_ms)
{
    if (uevent_fd >= 0)
        drv->uevent_source = ndUeventSourceNewFromFd(uevent_fd, watchUevent,
                                                     watchStateRef(drv->watch),
                                                     watchStateUnref);
    else
        drv->uevent_source = ndUeventSourceNew(watchUevent,
                                               watchStateRef(drv->watch),
                                               watchStateUnref);
    if (drv->uevent_source) {
        g_source_attach(drv->uevent_source, drv->context);
    } else {
        ND_WARN("no kernel uevents, relying on rescans: %s",
                ndGetLastErrorMessage());
        ndResetLastError();
    }

    if (interval_ms > 0) {
        drv->timer_source = g_timeout_source_new(interval_ms);
        g_source_set_callback(drv->timer_source, watchTimer,
                              watchStateRef(drv->watch), watchStateUnref);
        g_source_attach(drv->timer_source, drv->context);
    }

    drv->monitors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          monitorFree);
    driverWatchDirs(drv);
}

static void
driverWatchStop(ndDriver *drv)
{
    if (!drv->watch)
        return;
    /* wait for a running rescan, and stop any later one from starting */
    g_mutex_lock(&drv->watch->lock);
    drv->watch->drv = NULL;
    g_mutex_unlock(&drv->watch->lock);

    g_clear_pointer(&drv->monitors, g_hash_table_unref);
    if (drv->debounce_source) {
        g_source_destroy(drv->debounce_source);
        g_clear_pointer(&drv->debounce_source, g_source_unref);
    }
    if (drv->timer_source) {
        g_source_destroy(drv->timer_source);
        g_clear_pointer(&drv->timer_source, g_source_unref);
    }
    if (drv->uevent_source) {
        g_source_destroy(drv->uevent_source);
        g_clear_pointer(&drv->uevent_source, g_source_unref);
    }
    g_clear_pointer(&drv->watch, watchStateUnref);
}

/* ---- life cycle ---- */

/**
 * ndDriverNew: see node_device_driver.h. @cfg->sysfs_root and
 * @cfg->config_dir are required; @cfg->dev_root defaults to "/dev". With
 * @cfg->watch, kernel uevents (if the socket can be opened), changes in
 * the definitions directory, and a rescan every second (for hosts such as
 * mdevsim that send no uevents) keep the list current, all on
 * @cfg->context.
 */
ndDriver *
ndDriverNew(const ndDriverConfig *cfg)
{
    return ndDriverNewFull(cfg, -1, ND_DRIVER_RESCAN_INTERVAL_MS);
}

/**
 * ndDriverNewFull: ndDriverNew() with the watch's uevents read from
 * @uevent_fd (a datagram socket, stolen; -1: the kernel's) and periodic
 * rescans every @interval_ms (0: none). For tests.
 */
ndDriver *
ndDriverNewFull(const ndDriverConfig *cfg, int uevent_fd, guint interval_ms)
{
    ND_AUTOCLOSE int ufd = uevent_fd;
    g_autoptr(ndDriver) drv = g_new0(ndDriver, 1);
    g_autoptr(GPtrArray) defs = NULL;
    g_autoptr(GPtrArray) autostart = NULL;

    g_mutex_init(&drv->lock);
    g_mutex_init(&drv->config_lock);
    g_mutex_init(&drv->rescan_lock);
    g_rec_mutex_init(&drv->event_lock);
    drv->callbacks = g_array_new(FALSE, TRUE, sizeof(ndEventCallback));
    drv->events = g_ptr_array_new_with_free_func(eventFree);
    drv->pending_uuids = g_hash_table_new_full(g_str_hash, g_str_equal,
                                               g_free, NULL);
    drv->removed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         g_free);
    drv->parent_locks = g_hash_table_new_full(g_str_hash, g_str_equal,
                                              g_free, parentLockFree);
    drv->pending_parents = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                 g_free, NULL);
    drv->devs = ndDeviceListNew();
    drv->list_memos = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                            NULL,
                                            (GDestroyNotify) g_bytes_unref);

    if (!cfg || !cfg->sysfs_root || !cfg->config_dir) {
        ndReportError(ND_ERR_INVALID_ARG,
                      _("the driver needs a sysfs root and a definitions directory"));
        return NULL;
    }
    drv->dev_root = g_strdup(cfg->dev_root ? cfg->dev_root : "/dev");
    drv->autostart = cfg->autostart;
    drv->context = g_main_context_ref(cfg->context ? cfg->context
                                                   : g_main_context_default());
    if (!(drv->sysfs = ndSysfsNew(cfg->sysfs_root)))
        return NULL;
    drv->persist = ndPersistCacheNew(cfg->config_dir);
    drv->config_dir = g_strdup(cfg->config_dir);

    if (ndEnumHost(drv->sysfs, drv->devs) < 0)
        return NULL;
    if (ndPersistLoad(drv->persist, &defs) < 0)
        return NULL;
    driverSyncDefinitions(drv, defs, FALSE);
    ND_DEBUG("driver started with %u devices, %u definitions",
             ndDeviceListCount(drv->devs), defs->len);

    if (cfg->autostart) {
        autostart = driverAutostartCandidates(drv, NULL);
        driverAutostart(drv, autostart);
    }
    if (cfg->watch) {
        drv->watch = g_atomic_rc_box_new0(ndWatchState);
        g_mutex_init(&drv->watch->lock);
        drv->watch->drv = drv;
        driverWatchStart(drv, g_steal_fd(&ufd), interval_ms);
    }
    return g_steal_pointer(&drv);
}

/**
 * ndDriverFree: stops the watch (waiting for a rescan in progress) and
 * frees @drv. No other call may be in progress.
 */
void
ndDriverFree(ndDriver *drv)
{
    if (!drv)
        return;
    driverWatchStop(drv);
    ndDeviceListFree(drv->devs);
    ndPersistCacheFree(drv->persist);
    g_clear_pointer(&drv->pending_uuids, g_hash_table_unref);
    g_clear_pointer(&drv->parent_locks, g_hash_table_unref);
    g_clear_pointer(&drv->removed, g_hash_table_unref);
    g_clear_pointer(&drv->list_memos, g_hash_table_unref);
    g_clear_pointer(&drv->pending_parents, g_hash_table_unref);
    g_clear_pointer(&drv->callbacks, g_array_unref);
    g_clear_pointer(&drv->events, g_ptr_array_unref);
    ndSysfsFree(drv->sysfs);
    g_free(drv->dev_root);
    g_free(drv->config_dir);
    if (drv->context)
        g_main_context_unref(drv->context);
    g_mutex_clear(&drv->lock);
    g_mutex_clear(&drv->config_lock);
    g_mutex_clear(&drv->rescan_lock);
    g_rec_mutex_clear(&drv->event_lock);
    g_free(drv);
}
