/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel uevents (NETLINK_KOBJECT_UEVENT): a parser and a GSource. */
#pragma once

#include <stdbool.h>
#include <glib.h>

/* The largest uevent datagram we accept (the kernel's limit is 2048 bytes
 * of environment plus the header; 8 KiB leaves room). */
#define ND_UEVENT_BUFFER_SIZE 8192

typedef enum {
    ND_UEVENT_ACTION_ADD = 0,
    ND_UEVENT_ACTION_REMOVE,
    ND_UEVENT_ACTION_CHANGE,
    ND_UEVENT_ACTION_MOVE,
    ND_UEVENT_ACTION_ONLINE,
    ND_UEVENT_ACTION_OFFLINE,
    ND_UEVENT_ACTION_BIND,
    ND_UEVENT_ACTION_UNBIND,
    ND_UEVENT_ACTION_OTHER,     /* an action this version does not know */

    ND_UEVENT_ACTION_LAST,
} ndUeventAction;

typedef struct _ndUevent ndUevent;
struct _ndUevent {
    ndUeventAction action;
    char *action_str;       /* ACTION as sent */
    char *devpath;          /* DEVPATH, "/devices/..." (relative to /sys) */
    char *subsystem;        /* SUBSYSTEM or NULL */
    char *devtype;          /* DEVTYPE or NULL */
    char *driver;           /* DRIVER or NULL */
    char *mdev_type;        /* MDEV_TYPE or NULL */
    char *mdev_state;       /* MDEV_STATE ("registered"...) or NULL */
    guint64 seqnum;         /* SEQNUM, 0 if absent */
    GHashTable *props;      /* every KEY=VALUE (strings owned by it) */
};

void ndUeventFree(ndUevent *ev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndUevent, ndUeventFree);

/* Parses one kernel uevent datagram: "ACTION@DEVPATH\0KEY=VALUE\0...".
 * Returns 1 with *ret_event set; 0 with NULL for a datagram that is not a
 * kernel uevent and must be ignored (libudev's "libudev\0" messages,
 * header-only or empty ones); -1 with an error (ND_ERR_INTERNAL_ERROR) for
 * a malformed kernel message (no ACTION/DEVPATH, header and ACTION or
 * DEVPATH disagree, a field without '=' or not NUL-terminated). */
int ndUeventParse(const char *buf, size_t len, ndUevent **ret_event);

/* Called for each parsed event, borrowed for the call.  @ev is NULL when
 * events were lost (the socket buffer overflowed: ENOBUFS): the receiver
 * must then rescan sysfs.  Return G_SOURCE_CONTINUE or G_SOURCE_REMOVE. */
typedef gboolean (*ndUeventFunc)(const ndUevent *ev, gpointer opaque);

/* A GSource that listens to the kernel's uevent multicast group and calls
 * @func for each event from the kernel (datagrams from any other sender are
 * dropped).  Attach it with g_source_attach(), drop it with
 * g_source_destroy() + g_source_unref().  @notify frees @opaque when the
 * source is finalized.  Returns NULL with ND_ERR_SYSTEM_ERROR if the socket
 * cannot be opened or bound. */
GSource *ndUeventSourceNew(ndUeventFunc func, gpointer opaque,
                           GDestroyNotify notify);

/* For tests: the same source reading datagrams from @fd (e.g. one end of a
 * SOCK_DGRAM socketpair), steals @fd, and does no sender check. */
GSource *ndUeventSourceNewFromFd(int fd, ndUeventFunc func, gpointer opaque,
                                 GDestroyNotify notify);
