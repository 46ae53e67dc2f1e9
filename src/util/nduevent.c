/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel uevents (NETLINK_KOBJECT_UEVENT): a parser and a GSource. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "util/nduevent.h"
#include "util/nderror.h"
#include "util/ndfile.h"
#include "util/ndinternal.h"
#include "util/ndlog.h"

/* The kernel's multicast group for uevents. */
#define UEVENT_GROUP_KERNEL 1
/* Enough to absorb a burst (e.g. 64 VFs registering as parents). */
#define UEVENT_RCVBUF (4 * 1024 * 1024)
/* Messages handled per dispatch, so a storm cannot starve the loop. */
#define UEVENT_BATCH 64

static const char *const action_names[] = {
    [ND_UEVENT_ACTION_ADD] = "add",
    [ND_UEVENT_ACTION_REMOVE] = "remove",
    [ND_UEVENT_ACTION_CHANGE] = "change",
    [ND_UEVENT_ACTION_MOVE] = "move",
    [ND_UEVENT_ACTION_ONLINE] = "online",
    [ND_UEVENT_ACTION_OFFLINE] = "offline",
    [ND_UEVENT_ACTION_BIND] = "bind",
    [ND_UEVENT_ACTION_UNBIND] = "unbind",
    [ND_UEVENT_ACTION_OTHER] = NULL,
};
G_STATIC_ASSERT(G_N_ELEMENTS(action_names) == ND_UEVENT_ACTION_LAST);

/**
 * ndUeventFree:
 * @ev: an event or NULL
 *
 * Frees @ev and everything it holds.
 */
void
ndUeventFree(ndUevent *ev)
{
    if (!ev)
        return;
    g_free(ev->action_str);
    g_free(ev->devpath);
    g_free(ev->subsystem);
    g_free(ev->devtype);
    g_free(ev->driver);
    g_free(ev->mdev_type);
    g_free(ev->mdev_state);
    if (ev->props)
        g_hash_table_unref(ev->props);
    g_free(ev);
}

static ndUeventAction
actionFromString(const char *str)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(action_names); i++) {
        if (action_names[i] && strcmp(action_names[i], str) == 0)
            return (ndUeventAction) i;
    }
    return ND_UEVENT_ACTION_OTHER;
}

static int
reportMalformed(const char *why)
{
    ndReportError(ND_ERR_INTERNAL_ERROR, _("malformed kernel uevent: %1$s"),
                  why);
    return -1;
}

static char *
propDup(GHashTable *props, const char *key)
{
    return g_strdup(g_hash_table_lookup(props, key));
}

/**
 * ndUeventParse:
 * @buf: one datagram as received
 * @len: its length
 * @ret_event: the event, or NULL if the datagram is to be ignored
 *
 * Returns 1 (parsed), 0 (not a kernel uevent: ignore), or -1 with
 * ND_ERR_INTERNAL_ERROR for a malformed kernel message.
 */
int
ndUeventParse(const char *buf, size_t len, ndUevent **ret_event)
{
    g_autoptr(ndUevent) ev = NULL;
    g_autoptr(GHashTable) props = NULL;
    g_autofree char *hdr_action = NULL;
    const char *hdr;
    const char *at;
    const char *value;
    size_t pos;
    guint64 seq;

    *ret_event = NULL;
    if (len == 0)
        return 0;
    /* udevd re-broadcasts with its own binary header; we want the kernel's. */
    if (len >= 8 && memcmp(buf, "libudev", 8) == 0)
        return 0;
    if (len > ND_UEVENT_BUFFER_SIZE)
        return reportMalformed(_("message too long"));
    if (buf[len - 1] != '\0')
        return reportMalformed(_("message not NUL-terminated"));

    hdr = buf;
    if (!(at = strchr(hdr, '@')))
        return reportMalformed(_("no ACTION@DEVPATH header"));
    pos = strlen(hdr) + 1;
    if (pos >= len)
        return 0;

    props = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    while (pos < len) {
        const char *field = buf + pos;
        const char *eq = strchr(field, '=');
        size_t flen = strlen(field);

        pos += flen + 1;
        if (flen == 0)
            continue;
        if (!eq || eq == field)
            return reportMalformed(_("field without KEY="));
        g_hash_table_replace(props, g_strndup(field, eq - field),
                             g_strdup(eq + 1));
    }

    if (!(value = g_hash_table_lookup(props, "ACTION")) || !*value)
        return reportMalformed(_("no ACTION"));
    hdr_action = g_strndup(hdr, at - hdr);
    if (strcmp(hdr_action, value) != 0)
        return reportMalformed(_("ACTION differs from the header"));
    if (!(value = g_hash_table_lookup(props, "DEVPATH")) || value[0] != '/')
        return reportMalformed(_("no DEVPATH"));
    if (strcmp(at + 1, value) != 0)
        return reportMalformed(_("DEVPATH differs from the header"));

    ev = g_new0(ndUevent, 1);
    ev->action_str = propDup(props, "ACTION");
    ev->action = actionFromString(ev->action_str);
    ev->devpath = propDup(props, "DEVPATH");
    ev->subsystem = propDup(props, "SUBSYSTEM");
    ev->devtype = propDup(props, "DEVTYPE");
    ev->driver = propDup(props, "DRIVER");
    ev->mdev_type = propDup(props, "MDEV_TYPE");
    ev->mdev_state = propDup(props, "MDEV_STATE");
    if ((value = g_hash_table_lookup(props, "SEQNUM")) &&
        g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT64, &seq, NULL))
        ev->seqnum = seq;
    ev->props = g_steal_pointer(&props);
    *ret_event = g_steal_pointer(&ev);
    return 1;
}

/* ---- the source --------------------------------------------------------- */

typedef struct {
    GSource base;
    gpointer tag;
    int fd;
    bool netlink;       /* check that the kernel sent it */
    ndUeventFunc func;
    gpointer opaque;
    GDestroyNotify notify;
} ueventSource;

/* Receives one datagram.  Returns 1 (handled or dropped), 0 (nothing
 * more to read), G_SOURCE_REMOVE via *ret_remove. */
static int
ueventReceive(ueventSource *src, bool *ret_remove)
{
    char buf[ND_UEVENT_BUFFER_SIZE + 1];
    struct sockaddr_nl addr = { 0 };
    struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
    struct msghdr msg = {
        .msg_name = &addr,
        .msg_namelen = sizeof(addr),
        .msg_iov = &iov,
        .msg_iovlen = 1,
    };
    g_autoptr(ndUevent) ev = NULL;
    ssize_t n;

    n = recvmsg(src->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
        if (errno == EINTR)
            return 1;
        if (errno == ENOBUFS) {
            /* The kernel dropped events: the receiver must rescan. */
            ND_DEBUG("uevent buffer overflow, events lost");
            if (!src->func(NULL, src->opaque))
                *ret_remove = true;
            return 1;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            ND_DEBUG("uevent receive failed: %s", g_strerror(errno));
        return 0;
    }
    if (msg.msg_flags & MSG_TRUNC) {
        ND_DEBUG("dropping truncated uevent");
        return 1;
    }
    if (src->netlink &&
        (msg.msg_namelen != sizeof(addr) || addr.nl_pid != 0)) {
        ND_DEBUG("dropping uevent not sent by the kernel");
        return 1;
    }
    if (ndUeventParse(buf, n, &ev) < 0) {
        ND_DEBUG("dropping uevent: %s", ndGetLastErrorMessage());
        ndResetLastError();
        return 1;
    }
    if (ev && !src->func(ev, src->opaque))
        *ret_remove = true;
    return 1;
}

static gboolean
ueventDispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    ueventSource *src = (ueventSource *) source;
    GIOCondition cond = g_source_query_unix_fd(source, src->tag);
    bool remove = false;
    int i;

    if (cond & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) {
        if (!(cond & G_IO_IN)) {
            ND_DEBUG("uevent socket closed");
            return G_SOURCE_REMOVE;
        }
    }
    for (i = 0; i < UEVENT_BATCH && !remove; i++) {
        if (ueventReceive(src, &remove) == 0)
            break;
    }
    return remove ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
ueventFinalize(GSource *source)
{
    ueventSource *src = (ueventSource *) source;

    if (src->fd >= 0)
        close(src->fd);
    src->fd = -1;
    if (src->notify)
        src->notify(src->opaque);
}

static GSourceFuncs uevent_funcs = {
    .dispatch = ueventDispatch,
    .finalize = ueventFinalize,
};

static GSource *
ueventSourceCreate(int fd, bool netlink, ndUeventFunc func, gpointer opaque,
                   GDestroyNotify notify)
{
    GSource *source = g_source_new(&uevent_funcs, sizeof(ueventSource));
    ueventSource *src = (ueventSource *) source;

    src->fd = fd;
    src->netlink = netlink;
    src->func = func;
    src->opaque = opaque;
    src->notify = notify;
    src->tag = g_source_add_unix_fd(source, fd, G_IO_IN | G_IO_ERR | G_IO_HUP);
    g_source_set_static_name(source, "nd-uevent");
    return source;
}

/**
 * ndUeventSourceNew:
 * @func: called for each kernel uevent (NULL event: events were lost)
 * @opaque: passed to @func
 * @notify: frees @opaque when the source is finalized, or NULL
 *
 * Returns a new GSource listening to kernel uevents, or NULL with
 * ND_ERR_SYSTEM_ERROR (@notify is not called then).
 */
GSource *
ndUeventSourceNew(ndUeventFunc func, gpointer opaque, GDestroyNotify notify)
{
    ND_AUTOCLOSE int fd = -1;
    struct sockaddr_nl addr = {
        .nl_family = AF_NETLINK,
        .nl_groups = UEVENT_GROUP_KERNEL,
    };
    int size = UEVENT_RCVBUF;
    GSource *source;

    fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                NETLINK_KOBJECT_UEVENT);
    if (fd < 0) {
        ndReportSystemError(errno, _("cannot open the kernel uevent socket"));
        return NULL;
    }
    /* Forcing needs CAP_NET_ADMIN; otherwise take what rmem_max allows. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    if (bind(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
        ndReportSystemError(errno, _("cannot bind the kernel uevent socket"));
        return NULL;
    }
    source = ueventSourceCreate(fd, true, func, opaque, notify);
    fd = -1;
    return source;
}

/**
 * ndUeventSourceNewFromFd:
 * @fd: a datagram socket (stolen)
 * @func: called for each parsed event
 * @opaque: passed to @func
 * @notify: frees @opaque when the source is finalized, or NULL
 *
 * For tests: the same source on any datagram socket, without the check
 * that the kernel sent the message.  Never fails.
 */
GSource *
ndUeventSourceNewFromFd(int fd, ndUeventFunc func, gpointer opaque,
                        GDestroyNotify notify)
{
    return ueventSourceCreate(fd, false, func, opaque, notify);
}
