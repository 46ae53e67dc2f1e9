/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node-device driver's public API: what src/rpc may call.
 *
 * Everything is in terms of device names and XML strings, so the wire layer
 * never sees the data model. Every function is thread-safe: the RPC layer
 * calls them from worker threads, several at once. On failure a function
 * reports the error (nderror.h) on the calling thread and returns -1/NULL.
 * Flags are libvirt's (<libvirt/libvirt-nodedev.h>) and are checked: an
 * unknown flag bit gives ND_ERR_INVALID_ARG "unsupported flags (0x%x) in
 * function %s" (no prefix, libvirt's own function name), as libvirt's
 * virCheckFlags does.
 */
#pragma once

#include <glib.h>

typedef struct _ndDriver ndDriver;

typedef struct _ndDriverConfig ndDriverConfig;
struct _ndDriverConfig {
    const char *sysfs_root;   /* "/sys" on a real host, mdevsim's mount else */
    const char *config_dir;   /* mdevctl's definitions, "/etc/mdevctl.d" */
    const char *dev_root;     /* "/dev": /dev/vfio/<group> for in-use checks */
    gboolean watch;           /* listen to uevents and rescan for changes */
    gboolean autostart;       /* start defined devices marked "auto" at start */
    GMainContext *context;    /* where the watch sources run (NULL: default) */
};

/**
 * ndDriverNew: enumerates the host (computer, PCI, css, AP, mdevs, defined
 * mdevs) and, if @cfg->autostart, starts defined devices marked auto (once;
 * failures are logged, not fatal). Returns NULL with an error reported.
 */
ndDriver *ndDriverNew(const ndDriverConfig *cfg);
void ndDriverFree(ndDriver *drv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndDriver, ndDriverFree);

/* Listing. @cap is a capability name ("mdev", "mdev_types", "pci", ...) or
 * NULL for all; @flags are VIR_CONNECT_LIST_NODE_DEVICES_* (cap bits are an
 * OR filter, nested mdev_types counts; ACTIVE/INACTIVE and
 * PERSISTENT/TRANSIENT filter only when one of the pair is set) for
 * ndDriverListAllDevices; ndDriverNumOfDevices and ndDriverListDevices take
 * no flags (0), as libvirt's virNodeNumOfDevices and virNodeListDevices.
 * Names are returned in a stable order (the device list's order), as a
 * NULL-terminated vector the caller frees; the return value is the count. */
int ndDriverNumOfDevices(ndDriver *drv, const char *cap, unsigned int flags);
int ndDriverListDevices(ndDriver *drv, const char *cap, unsigned int flags,
                        char ***ret_names);
int ndDriverListAllDevices(ndDriver *drv, unsigned int flags, char ***ret_names);

/* A memo for a caller's encoding of ndDriverListAllDevices(@flags): the
 * driver keeps one blob per flags value and forgets it as soon as the
 * result could change (a device added or removed, or one changing its
 * capabilities, state or persistence), so a caller such as the RPC server
 * can keep the encoded reply of a long list without knowing when the list
 * changed. ndDriverListAllDevicesMemoGet() returns the blob kept for
 * @flags (a new reference) or NULL, and in *@ret_gen the list's generation
 * now (never 0). A caller given NULL lists with ndDriverListAllDevices()
 * and hands its encoding back with ndDriverListAllDevicesMemoSet() and
 * that generation: it is kept only if the list did not change since, so
 * the names it encodes are those of that generation. In non-blocking mode
 * Get gives up as the list calls do (NULL, *@ret_gen 0) and Set keeps
 * nothing rather than wait. */
GBytes *ndDriverListAllDevicesMemoGet(ndDriver *drv, unsigned int flags,
                                      guint64 *ret_gen);
void ndDriverListAllDevicesMemoSet(ndDriver *drv, unsigned int flags,
                                   guint64 gen, GBytes *memo);
/* Forgets every kept blob (their memory back at once; the next list call
 * encodes afresh). */
void ndDriverListAllDevicesMemoClear(ndDriver *drv);

/* 0 if @name exists, else -1 with ND_ERR_NO_NODE_DEVICE
 * "no node device with matching name '%s'". */
int ndDriverLookup(ndDriver *drv, const char *name);

/* The scsi_host device whose fc_host has world wide node name @wwnn and
 * port name @wwpn. No flags are defined. This driver enumerates no SCSI
 * hosts (an mdev host's devices are PCI, CSS and AP ones), so the answer
 * is always -1 with ND_ERR_NO_NODE_DEVICE naming both; libvirtd 9.0 with
 * no such host answers with no error at all ("An error occurred, but the
 * cause is unknown"). Flags it refuses as libvirtd does. */
int ndDriverLookupSCSIHostByWWN(ndDriver *drv, const char *wwnn,
                                const char *wwpn, unsigned int flags,
                                char **ret_name);

/* @flags: VIR_NODE_DEVICE_XML_INACTIVE (1). mdev_types and
 * availableInstances are read fresh from sysfs. Caller frees. */
char *ndDriverGetXMLDesc(ndDriver *drv, const char *name, unsigned int flags);

/* *ret_parent = parent's name, or NULL for the root ("computer"). */
int ndDriverGetParent(ndDriver *drv, const char *name, char **ret_parent);

/* Top-level capability names, plus nested "mdev_types" (as libvirt's
 * virNodeDeviceListCaps does); returns the count. */
int ndDriverListCaps(ndDriver *drv, const char *name, char ***ret_caps);

/* Transient create from XML: checks, writes sysfs, applies <attr>s in
 * order, rolls back on failure. @flags: VIR_NODE_DEVICE_CREATE_XML_VALIDATE.
 * Returns the new device's name (caller frees). */
char *ndDriverCreateXML(ndDriver *drv, const char *xml, unsigned int flags);
int ndDriverDestroy(ndDriver *drv, const char *name);

/* Persistent definitions (mdevctl's files). DefineXML returns the name. */
char *ndDriverDefineXML(ndDriver *drv, const char *xml, unsigned int flags);
int ndDriverUndefine(ndDriver *drv, const char *name, unsigned int flags);
int ndDriverCreate(ndDriver *drv, const char *name, unsigned int flags);
int ndDriverGetAutostart(ndDriver *drv, const char *name, int *ret_autostart);
int ndDriverSetAutostart(ndDriver *drv, const char *name, int autostart);
/* 1 yes, 0 no, -1 error */
int ndDriverIsPersistent(ndDriver *drv, const char *name);
int ndDriverIsActive(ndDriver *drv, const char *name);

/* Events. @event_id is VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE (then @event is
 * VIR_NODE_DEVICE_EVENT_CREATED/DELETED/DEFINED/UNDEFINED, @detail 0) or
 * VIR_NODE_DEVICE_EVENT_ID_UPDATE (@event and @detail 0). The function is
 * called from any thread, with no driver lock held, once per change: it
 * must be thread-safe and must not call back into the driver
 * synchronously (queue the event instead). */
typedef void (*ndDriverEventFunc)(const char *name, int event_id,
                                  int event, int detail, gpointer opaque);

/* Returns an id > 0 for ndDriverEventRemove. */
unsigned int ndDriverEventAdd(ndDriver *drv, ndDriverEventFunc func,
                              gpointer opaque);
void ndDriverEventRemove(ndDriver *drv, unsigned int id);

/* Non-blocking mode, for a caller that must never wait (the RPC server's
 * main loop answers cheap calls itself rather than hand them to a worker
 * thread). ndDriverNonBlockingBegin() puts the calling thread in the mode;
 * in it the read-only calls (ndDriverNumOfDevices, ndDriverListDevices,
 * ndDriverListAllDevices, ndDriverLookup, ndDriverGetXMLDesc,
 * ndDriverGetParent, ndDriverListCaps, ndDriverGetAutostart,
 * ndDriverIsPersistent, ndDriverIsActive) never wait for the driver lock
 * and never touch sysfs: where they would, they give up, returning
 * -1/NULL with no error reported. ndDriverNonBlockingEnd() leaves the mode
 * and returns TRUE if a call gave up: its result means nothing, and the
 * caller makes the call again on a thread that may block. No other call
 * may be made in the mode. */
void ndDriverNonBlockingBegin(void);
gboolean ndDriverNonBlockingEnd(void);

/* Re-reads the host now (what the watch does on a change); for tests and
 * for hosts where no uevents come (mdevsim). Emits events for differences. */
int ndDriverRescan(ndDriver *drv);
