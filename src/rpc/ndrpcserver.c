/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The RPC server: unix sockets, clients, dispatch to the driver, events.
 *
 * Everything about a client (its buffers, its queue, whether it is open,
 * read-only, its event registrations) lives on the main loop's thread.
 * Calls into the driver, which may block on sysfs, run on a thread pool;
 * their replies come back to the main loop, which queues them. Cheap
 * read-only calls are first tried on the main loop in the driver's
 * non-blocking mode (no waiting for its lock, no sysfs) and go to the pool
 * only if the driver gives up. Events the
 * driver emits while a worker runs a call are held by that call and sent
 * right after its reply; other events are handed to the main loop. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <libvirt/libvirt.h>

#include "rpc/ndrpcserver.h"
#include "rpc/ndrpcmessage.h"
#include "rpc/ndrpcnodedev.h"
#include "rpc/ndrpcproc.h"
#include "util/nderror.h"
#include "util/ndinternal.h"
#include "util/ndlog.h"

/* How much one client may make us read in one main-loop turn, so that a
 * fast sender cannot starve the others. */
#define CLIENT_READ_BUDGET (256 * 1024)
/* The receive buffer grows with the data that actually arrives. */
#define CLIENT_RX_CHUNK (64 * 1024)

/* libvirt's connection features asked with CONNECT_SUPPORTS_FEATURE */
#define FEATURE_PROGRAM_KEEPALIVE 10
#define FEATURE_REMOTE_EVENT_CALLBACK 14
#define FEATURE_REMOTE_CLOSE_CALLBACK 15

typedef struct _ndRPCListener ndRPCListener;
typedef struct _ndRPCClient ndRPCClient;
typedef struct _ndRPCJob ndRPCJob;
typedef struct _ndRPCEvent ndRPCEvent;
typedef struct _ndRPCEventReg ndRPCEventReg;

struct _ndRPCListener {
    ndRPCServer *srv;
    GSocket *sock;
    GSource *source;
    gboolean readonly;
    char *desc;
};

struct _ndRPCServer {
    ndRPCServerConfig cfg;
    ndDriver *drv;
    GMainContext *ctx;
    GPtrArray *listeners;       /* ndRPCListener* */
    GList *clients;             /* ndRPCClient* */
    guint nclients;
    guint nanonymous;           /* clients not opened yet */
    guint64 next_client_id;
    GThreadPool *pool;
    guint jobs;                 /* jobs whose completion has not run yet */
    gint deliveries;            /* events handed to the main loop, not yet freed */
    guint event_id;             /* ndDriverEventAdd() */
    GSource *keepalive;
};

struct _ndRPCEventReg {
    int callback_id;
    int event_id;
    char *dev;                  /* NULL: every device */
};

typedef struct {
    GSource base;
    gpointer tag;
    ndRPCClient *client;
} ndRPCClientSource;

struct _ndRPCClient {
    guint refs;
    ndRPCServer *srv;
    guint64 id;
    GSocket *sock;
    int fd;
    GSource *source;
    gboolean closed;
    gboolean readonly_socket;

    /* input: the length word, then the rest of the frame */
    guint8 rx_len_buf[ND_RPC_LEN_SIZE];
    gsize rx_have;              /* bytes of the current frame received */
    guint32 rx_len;             /* the frame's length word, 0 until read */
    guint8 *rx_buf;             /* the frame after the length word */
    gsize rx_cap;
    GIOCondition cond;          /* what the source polls the socket for */

    /* output */
    GQueue txq;                 /* GBytes*, whole frames */
    gsize tx_off;               /* sent bytes of the queue's head */
    gsize tx_bytes;             /* bytes queued, not yet sent */

    guint pending;              /* calls on the worker pool */

    /* connection state */
    gboolean opened;
    gboolean was_opened;        /* CONNECT_OPEN succeeded once */
    gboolean readonly;
    gboolean keepalive;         /* the client asked for the feature */
    gboolean close_callback;
    char *uri;
    GArray *events;             /* ndRPCEventReg */
    int next_callback_id;

    gint64 last_rx;
    guint pings_unanswered;
};

struct _ndRPCEvent {
    char *name;
    int event_id;
    int event;
    int detail;
};

struct _ndRPCJob {
    ndRPCServer *srv;
    ndRPCClient *client;
    ndr_message_header hdr;
    const ndRPCProcInfo *info;
    void *args;
    GBytes *reply;              /* set by the worker */
    GPtrArray *events;          /* ndRPCEvent* emitted during the call */
};

/* The job the calling worker thread is running, to catch its events. */
static GPrivate current_job;

static void clientClose(ndRPCClient *c, const char *reason);
static void clientUpdate(ndRPCClient *c);

/**
 * ndRPCServerConfigInit:
 * @cfg: the configuration to fill with the defaults
 */
void
ndRPCServerConfigInit(ndRPCServerConfig *cfg)
{
    cfg->max_clients = 256;
    /* as libvirtd's max_anonymous_clients: connections that hold a slot
     * without ever opening cannot lock everybody else out */
    cfg->max_anonymous = 20;
    cfg->max_pending = 16;
    cfg->max_workers = 4;
    cfg->max_event_callbacks = 256;
    cfg->keepalive_interval = 5;
    cfg->keepalive_count = 5;
    cfg->max_queued = 1024 * 1024;
    cfg->max_queued_events = 64 * 1024 * 1024;
}

static void
eventFree(gpointer data)
{
    ndRPCEvent *ev = data;

    g_free(ev->name);
    g_free(ev);
}

static void
eventRegClear(gpointer data)
{
    ndRPCEventReg *reg = data;

    g_clear_pointer(&reg->dev, g_free);
}

/* ---- clients: lifetime -------------------------------------------------- */

static ndRPCClient *
clientRef(ndRPCClient *c)
{
    c->refs++;
    return c;
}

static void
clientUnref(ndRPCClient *c)
{
    g_assert(c->refs > 0);
    if (--c->refs > 0)
        return;
    g_assert(c->closed);
    g_free(c->rx_buf);
    g_queue_clear_full(&c->txq, (GDestroyNotify) g_bytes_unref);
    g_array_unref(c->events);
    g_free(c->uri);
    g_free(c);
}

static void
clientClose(ndRPCClient *c, const char *reason)
{
    ndRPCServer *srv = c->srv;

    if (c->closed)
        return;
    c->closed = TRUE;
    ND_INFO("client %" G_GUINT64_FORMAT " disconnected: %s", c->id, reason);
    g_source_destroy(c->source);
    g_clear_pointer(&c->source, g_source_unref);
    g_socket_close(c->sock, NULL);
    g_clear_object(&c->sock);
    g_queue_clear_full(&c->txq, (GDestroyNotify) g_bytes_unref);
    c->tx_bytes = 0;
    srv->clients = g_list_remove(srv->clients, c);
    srv->nclients--;
    if (!c->was_opened)
        srv->nanonymous--;
    clientUnref(c);
}

/* ---- clients: output ---------------------------------------------------- */

static void
clientFlush(ndRPCClient *c)
{
    while (!c->closed && !g_queue_is_empty(&c->txq)) {
        GBytes *msg = g_queue_peek_head(&c->txq);
        gsize len;
        const guint8 *data = g_bytes_get_data(msg, &len);
        ssize_t n = send(c->fd, data + c->tx_off, len - c->tx_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            clientClose(c, g_strerror(errno));
            return;
        }
        c->tx_off += n;
        c->tx_bytes -= n;
        if (c->tx_off == len) {
            g_bytes_unref(g_queue_pop_head(&c->txq));
            c->tx_off = 0;
        }
    }
}

/* Queues a whole frame (steals @msg) and sends what the socket takes. */
static void
clientQueue(ndRPCClient *c, GBytes *msg)
{
    if (c->closed) {
        g_bytes_unref(msg);
        return;
    }
    c->tx_bytes += g_bytes_get_size(msg);
    g_queue_push_tail(&c->txq, msg);
    clientFlush(c);
    if (!c->closed)
        clientUpdate(c);
}

static void
clientQueueError(ndRPCClient *c, const ndr_message_header *hdr)
{
    ND_DEBUG("client %" G_GUINT64_FORMAT ": proc %d serial %u failed: %s",
             c->id, hdr->proc, hdr->serial, ndGetLastErrorMessage());
    clientQueue(c, ndRPCErrorReplyEncode(hdr));
}

static void
clientSendKeepalive(ndRPCClient *c, int proc)
{
    ndr_message_header hdr = {
        .prog = NDR_KEEPALIVE_PROGRAM,
        .vers = NDR_KEEPALIVE_VERSION,
        .proc = proc,
        .type = NDR_MESSAGE,
        .serial = 0,
        .status = NDR_OK,
    };

    clientQueue(c, ndRPCMessageEncode(&hdr, NULL, NULL));
}

/* ---- events ------------------------------------------------------------- */

static GBytes *
eventEncode(const ndRPCEvent *ev, int callback_id)
{
    ndr_message_header hdr = {
        .prog = NDR_PROGRAM,
        .vers = NDR_PROTOCOL_VERSION,
        .type = NDR_MESSAGE,
        .serial = 0,
        .status = NDR_OK,
    };

    if (ev->event_id == VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE) {
        ndr_node_device_event_lifecycle_msg msg = {
            .callback_id = callback_id,
            .dev = { ev->name },
            .event = ev->event,
            .detail = ev->detail,
        };

        hdr.proc = NDR_PROC_NODE_DEVICE_EVENT_LIFECYCLE;
        return ndRPCMessageEncode(&hdr,
                                  (xdrproc_t) xdr_ndr_node_device_event_lifecycle_msg,
                                  &msg);
    } else {
        ndr_node_device_event_update_msg msg = {
            .callback_id = callback_id,
            .dev = { ev->name },
        };

        hdr.proc = NDR_PROC_NODE_DEVICE_EVENT_UPDATE;
        return ndRPCMessageEncode(&hdr,
                                  (xdrproc_t) xdr_ndr_node_device_event_update_msg,
                                  &msg);
    }
}

/* Main loop: sends @ev to every registration that wants it. */
static void
serverDeliverEvent(ndRPCServer *srv, const ndRPCEvent *ev)
{
    GList *l = srv->clients;

    ND_DEBUG("event %d/%d for '%s'", ev->event_id, ev->event, ev->name);
    while (l) {
        ndRPCClient *c = l->data;
        guint i;

        /* clientClose() unlinks c: step first */
        l = l->next;
        if (!c->opened)
            continue;
        clientRef(c);
        for (i = 0; i < c->events->len && !c->closed; i++) {
            ndRPCEventReg *reg = &g_array_index(c->events, ndRPCEventReg, i);
            GBytes *msg;

            if (reg->event_id != ev->event_id)
                continue;
            if (reg->dev && strcmp(reg->dev, ev->name) != 0)
                continue;
            if (c->tx_bytes > c->srv->cfg.max_queued_events) {
                ND_WARN("client %" G_GUINT64_FORMAT " does not read its events: dropping it",
                        c->id);
                clientClose(c, "event queue full");
                break;
            }
            if (!(msg = eventEncode(ev, reg->callback_id))) {
                ND_WARN("cannot encode event: %s", ndGetLastErrorMessage());
                ndResetLastError();
                continue;
            }
            clientQueue(c, msg);
        }
        clientUnref(c);
    }
}

typedef struct {
    ndRPCServer *srv;
    ndRPCEvent *ev;
} ndRPCEventDelivery;

static gboolean
eventDeliverIdle(gpointer data)
{
    ndRPCEventDelivery *d = data;

    serverDeliverEvent(d->srv, d->ev);
    return G_SOURCE_REMOVE;
}

static void
eventDeliveryFree(gpointer data)
{
    ndRPCEventDelivery *d = data;

    g_atomic_int_add(&d->srv->deliveries, -1);
    eventFree(d->ev);
    g_free(d);
}

/* The driver's event callback: any thread. */
static void
serverEventCb(const char *name, int event_id, int event, int detail,
              gpointer opaque)
{
    ndRPCServer *srv = opaque;
    ndRPCJob *job = g_private_get(&current_job);
    ndRPCEvent *ev = g_new0(ndRPCEvent, 1);

    ev->name = g_strdup(name);
    ev->event_id = event_id;
    ev->event = event;
    ev->detail = detail;

    if (job && job->srv == srv) {
        /* sent after the reply of the call that caused it */
        g_ptr_array_add(job->events, ev);
    } else {
        ndRPCEventDelivery *d = g_new0(ndRPCEventDelivery, 1);

        d->srv = srv;
        d->ev = ev;
        g_atomic_int_inc(&srv->deliveries);
        g_main_context_invoke_full(srv->ctx, G_PRIORITY_DEFAULT,
                                   eventDeliverIdle, d, eventDeliveryFree);
    }
}

/* ---- connection procedures (main loop) ---------------------------------- */

static int
connOpen(ndRPCClient *c, const void *a, void *r)
{
    const ndr_connect_open_args *args = a;
    unsigned int known = VIR_CONNECT_RO | VIR_CONNECT_NO_ALIASES;

    if (c->opened) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_INTERNAL_ERROR,
                          __FILE__, __func__, __LINE__,
                          "%s", _("connection already open"));
        return -1;
    }
    if (args->flags & ~known) {
        ndReportError(ND_ERR_INVALID_ARG,
                      _("unsupported flags (0x%1$x) in function %2$s"),
                      args->flags & ~known, "virConnectOpen");
        return -1;
    }
    c->opened = TRUE;
    if (!c->was_opened) {
        c->was_opened = TRUE;
        c->srv->nanonymous--;
    }
    c->readonly = c->readonly_socket || (args->flags & VIR_CONNECT_RO);
    g_free(c->uri);
    c->uri = g_strdup(args->name && **args->name ? *args->name : "nodedev:///system");
    ND_INFO("client %" G_GUINT64_FORMAT " opened '%s'%s", c->id, c->uri,
            c->readonly ? " read-only" : "");
    return 0;
}

static int
connClose(ndRPCClient *c, const void *a, void *r)
{
    c->opened = FALSE;
    c->close_callback = FALSE;
    g_array_set_size(c->events, 0);
    return 0;
}

static int
connSupportsFeature(ndRPCClient *c, const void *a, void *r)
{
    const ndr_connect_supports_feature_args *args = a;
    ndr_connect_supports_feature_ret *ret = r;

    switch (args->feature) {
    case FEATURE_PROGRAM_KEEPALIVE:
        /* from now on we ping it when idle, and answer its pings */
        c->keepalive = TRUE;
        ret->supported = 1;
        break;
    case FEATURE_REMOTE_EVENT_CALLBACK:
    case FEATURE_REMOTE_CLOSE_CALLBACK:
        ret->supported = 1;
        break;
    default:
        ret->supported = 0;
        break;
    }
    return 0;
}

static int
connAuthList(ndRPCClient *c, const void *a, void *r)
{
    ndr_auth_list_ret *ret = r;

    ret->types.types_len = 1;
    ret->types.types_val = g_new0(ndr_auth_type, 1);
    ret->types.types_val[0] = NDR_AUTH_NONE;
    return 0;
}

static int
connGetURI(ndRPCClient *c, const void *a, void *r)
{
    ndr_connect_get_uri_ret *ret = r;

    ret->uri = g_strdup(c->uri);
    return 0;
}

static int
connIsSecure(ndRPCClient *c, const void *a, void *r)
{
    ndr_connect_is_secure_ret *ret = r;

    /* a local unix socket */
    ret->secure = 1;
    return 0;
}

static int
connRegisterCloseCallback(ndRPCClient *c, const void *a, void *r)
{
    c->close_callback = TRUE;
    return 0;
}

static int
connUnregisterCloseCallback(ndRPCClient *c, const void *a, void *r)
{
    c->close_callback = FALSE;
    return 0;
}

static int
connEventRegister(ndRPCClient *c, const void *a, void *r)
{
    const ndr_node_device_event_register_any_args *args = a;
    ndr_node_device_event_register_any_ret *ret = r;
    ndRPCEventReg reg = { 0 };

    if (args->event_id < 0 || args->event_id > VIR_NODE_DEVICE_EVENT_ID_UPDATE) {
        ndReportError(ND_ERR_INVALID_ARG, _("unsupported node device event ID '%1$d'"),
                      args->event_id);
        return -1;
    }
    if (c->events->len >= c->srv->cfg.max_event_callbacks) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          _("too many event callbacks on this connection, the limit is %1$u"),
                          c->srv->cfg.max_event_callbacks);
        return -1;
    }
    reg.callback_id = ++c->next_callback_id;
    reg.event_id = args->event_id;
    reg.dev = args->dev ? g_strdup(args->dev->name) : NULL;
    g_array_append_val(c->events, reg);
    ret->callback_id = reg.callback_id;
    ND_INFO("client %" G_GUINT64_FORMAT " registered event callback %d for event %d of %s",
            c->id, reg.callback_id, reg.event_id, reg.dev ? reg.dev : "every device");
    return 0;
}

static int
connEventDeregister(ndRPCClient *c, const void *a, void *r)
{
    const ndr_node_device_event_deregister_any_args *args = a;
    guint i;

    for (i = 0; i < c->events->len; i++) {
        if (g_array_index(c->events, ndRPCEventReg, i).callback_id == args->callback_id) {
            g_array_remove_index(c->events, i);
            return 0;
        }
    }
    ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                      _("node device event callback '%1$d' not registered"),
                      args->callback_id);
    return -1;
}

typedef int (*ndRPCConnHandler)(ndRPCClient *c, const void *args, void *ret);

static ndRPCConnHandler
connHandlerFind(int proc)
{
    switch (proc) {
    case NDR_PROC_CONNECT_OPEN:
        return connOpen;
    case NDR_PROC_CONNECT_CLOSE:
        return connClose;
    case NDR_PROC_CONNECT_SUPPORTS_FEATURE:
        return connSupportsFeature;
    case NDR_PROC_AUTH_LIST:
        return connAuthList;
    case NDR_PROC_CONNECT_GET_URI:
        return connGetURI;
    case NDR_PROC_CONNECT_IS_SECURE:
        return connIsSecure;
    case NDR_PROC_CONNECT_REGISTER_CLOSE_CALLBACK:
        return connRegisterCloseCallback;
    case NDR_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK:
        return connUnregisterCloseCallback;
    case NDR_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY:
        return connEventRegister;
    case NDR_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY:
        return connEventDeregister;
    }
    return NULL;
}

/* ---- dispatch ----------------------------------------------------------- */

typedef int (*ndRPCRunFunc)(gpointer ctx, const ndRPCProcInfo *info,
                           const void *args, void *ret);

/* Runs a handler and encodes its reply or its error; any thread. With
 * @nonblocking (main loop, ND_RPC_PROC_INLINE only) the driver is in its
 * non-blocking mode, and NULL means the call gave up: run it on a worker. */
static GBytes *
callRun(const ndRPCProcInfo *info, const ndr_message_header *hdr,
        ndRPCRunFunc run, gpointer run_ctx, const void *args,
        gboolean nonblocking)
{
    g_autofree void *ret = g_malloc0(info->ret_size);
    GBytes *reply;
    int rc;

    ndResetLastError();
    if (nonblocking) {
        ndDriverNonBlockingBegin();
        rc = run(run_ctx, info, args, ret);
        if (ndDriverNonBlockingEnd()) {
            xdr_free(info->ret_filter, ret);
            ndResetLastError();
            return NULL;
        }
    } else {
        rc = run(run_ctx, info, args, ret);
    }
    if (rc < 0) {
        ND_INFO("%s failed: %s", info->name, ndGetLastErrorMessage());
        reply = ndRPCErrorReplyEncode(hdr);
    } else {
        reply = ndRPCReplyEncode(hdr, info->ret_filter, ret);
    }
    xdr_free(info->ret_filter, ret);
    return reply;
}

static int
runDriverHandler(gpointer ctx, const ndRPCProcInfo *info,
                 const void *args, void *ret)
{
    ndRPCServer *srv = ctx;
    ndRPCNodeDevHandler fn = ndRPCNodeDevHandlerFind(info->proc);

    g_assert(fn);
    return fn(srv->drv, args, ret);
}

static int
runConnHandler(gpointer ctx, const ndRPCProcInfo *info,
               const void *args, void *ret)
{
    ndRPCConnHandler fn = connHandlerFind(info->proc);

    g_assert(fn);
    return fn(ctx, args, ret);
}

static gboolean
jobComplete(gpointer data)
{
    ndRPCJob *job = data;
    ndRPCClient *c = job->client;
    guint i;

    job->srv->jobs--;
    c->pending--;
    clientQueue(c, g_steal_pointer(&job->reply));
    for (i = 0; i < job->events->len; i++)
        serverDeliverEvent(job->srv, g_ptr_array_index(job->events, i));
    if (!c->closed)
        clientUpdate(c);
    return G_SOURCE_REMOVE;
}

static void
jobFree(gpointer data)
{
    ndRPCJob *job = data;

    ndRPCProcFreeArgs(job->info, job->args);
    if (job->reply)
        g_bytes_unref(job->reply);
    g_ptr_array_unref(job->events);
    clientUnref(job->client);
    g_free(job);
}

static void
jobRun(gpointer data, gpointer user_data)
{
    ndRPCJob *job = data;

    g_private_set(&current_job, job);
    job->reply = callRun(job->info, &job->hdr, runDriverHandler, job->srv,
                         job->args, FALSE);
    g_private_set(&current_job, NULL);
    g_main_context_invoke_full(job->srv->ctx, G_PRIORITY_DEFAULT,
                               jobComplete, job, jobFree);
}

/* Main loop: one whole CALL of the remote program. */
/* Node-device procedures of libvirt's protocol that a node-device daemon
 * has no driver for: host PCI detach, re-attach and reset belong to the
 * hypervisor driver (virtqemud). libvirtd on a nodedev:// connection
 * answers them "this function is not supported by the connection driver"
 * with the public function's name, after its read-only check; so do we,
 * rather than "unknown procedure", which reads as a broken daemon. */
static const struct {
    int proc;
    const char *api;
} refused[] = {
    { 118, "virNodeDeviceDettach" },      /* NODE_DEVICE_DETTACH */
    { 119, "virNodeDeviceReAttach" },     /* NODE_DEVICE_RE_ATTACH */
    { 120, "virNodeDeviceReset" },        /* NODE_DEVICE_RESET */
    { 301, "virNodeDeviceDetachFlags" },  /* NODE_DEVICE_DETACH_FLAGS */
};

static const char *
refusedFind(int proc)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(refused); i++) {
        if (refused[i].proc == proc)
            return refused[i].api;
    }
    return NULL;
}

/* Answers a call of a refused procedure (above) as libvirtd does. */
static void
clientRefuse(ndRPCClient *c, const ndr_message_header *hdr, const char *api)
{
    if (!c->opened) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_INTERNAL_ERROR,
                          __FILE__, __func__, __LINE__,
                          "%s", _("connection not open"));
    } else if (c->readonly) {
        ndReportError(ND_ERR_OPERATION_DENIED,
                      _("read only access prevents %1$s"), api);
    } else {
        ndReportError(ND_ERR_NO_SUPPORT, "%s", api);
    }
    clientQueueError(c, hdr);
}

static void
clientDispatchCall(ndRPCClient *c, const ndr_message_header *hdr,
                   const guint8 *payload, gsize len)
{
    const ndRPCProcInfo *info = ndRPCProcFind(hdr->proc);
    void *args = NULL;
    GBytes *reply;
    ndRPCJob *job;

    if (hdr->status != NDR_OK) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          _("unexpected message status '%1$u'"), (guint) hdr->status);
        clientQueueError(c, hdr);
        return;
    }
    if (!info && refusedFind(hdr->proc)) {
        clientRefuse(c, hdr, refusedFind(hdr->proc));
        return;
    }
    if (!info || (info->flags & ND_RPC_PROC_SERVER_ONLY)) {
        /* Exactly this text and code: the client turns it into
         * VIR_ERR_NO_SUPPORT and falls back to older procedures. */
        g_autofree char *msg = g_strdup_printf("unknown procedure: %d", hdr->proc);

        ndReportErrorRaw(ND_FROM_RPC, ND_ERR_RPC, msg);
        clientQueueError(c, hdr);
        return;
    }
    if (!c->opened && !(info->flags & ND_RPC_PROC_NO_OPEN)) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_INTERNAL_ERROR,
                          __FILE__, __func__, __LINE__,
                          "%s", _("connection not open"));
        clientQueueError(c, hdr);
        return;
    }
    if (ndRPCProcDecodeArgs(info, payload, len, &args) < 0) {
        clientQueueError(c, hdr);
        return;
    }
    if ((info->flags & ND_RPC_PROC_MUTATING) && c->readonly) {
        ndReportError(ND_ERR_OPERATION_DENIED,
                      _("read only access prevents %1$s"), info->api);
        ND_INFO("client %" G_GUINT64_FORMAT ": %s refused on a read-only connection",
                c->id, info->name);
        ndRPCProcFreeArgs(info, args);
        clientQueueError(c, hdr);
        return;
    }

    if (info->flags & ND_RPC_PROC_CONNECTION) {
        reply = callRun(info, hdr, runConnHandler, c, args, FALSE);

        ndRPCProcFreeArgs(info, args);
        clientQueue(c, reply);
        return;
    }
    /* A cheap read-only call is answered here when the driver can answer
     * it without waiting: the handoff to a worker and back costs more
     * than the call (two thread wake-ups). Only when none of the client's
     * calls is on the pool, so that its replies keep their order. */
    if ((info->flags & ND_RPC_PROC_INLINE) && c->pending == 0) {
        reply = callRun(info, hdr, runDriverHandler, c->srv, args, TRUE);
        if (reply) {
            ndRPCProcFreeArgs(info, args);
            clientQueue(c, reply);
            return;
        }
    }

    job = g_new0(ndRPCJob, 1);
    job->srv = c->srv;
    job->client = clientRef(c);
    job->hdr = *hdr;
    job->info = info;
    job->args = args;
    job->events = g_ptr_array_new_with_free_func(eventFree);
    c->pending++;
    c->srv->jobs++;
    g_thread_pool_push(c->srv->pool, job, NULL);
}

/* Main loop: one whole frame (after its length word). */
static void
clientHandleFrame(ndRPCClient *c, const guint8 *buf, gsize len)
{
    ndr_message_header hdr;

    if (ndRPCHeaderDecode(buf, len, &hdr) < 0) {
        clientClose(c, ndGetLastErrorMessage());
        return;
    }
    ND_DEBUG("client %" G_GUINT64_FORMAT ": prog %#x vers %u proc %d type %d serial %u",
             c->id, hdr.prog, hdr.vers, hdr.proc, hdr.type, hdr.serial);

    if (hdr.prog == NDR_KEEPALIVE_PROGRAM) {
        if (hdr.vers != NDR_KEEPALIVE_VERSION || hdr.type != NDR_MESSAGE) {
            clientClose(c, "malformed keepalive message");
            return;
        }
        if (hdr.proc == NDR_KEEPALIVE_PROC_PING)
            clientSendKeepalive(c, NDR_KEEPALIVE_PROC_PONG);
        /* a PONG only proves the client is alive: nothing to send */
        return;
    }

    if (hdr.type != NDR_CALL) {
        /* we serve no streams and take no file descriptors; a client that
         * sends anything else is out of step with us */
        clientClose(c, "unexpected message type");
        return;
    }
    if (hdr.prog != NDR_PROGRAM || hdr.vers != NDR_PROTOCOL_VERSION) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          _("cannot find program '%1$#x' version '%2$u'"),
                          hdr.prog, hdr.vers);
        clientQueueError(c, &hdr);
        return;
    }
    clientDispatchCall(c, &hdr, buf + ND_RPC_HEADER_SIZE, len - ND_RPC_HEADER_SIZE);
}

/* ---- clients: input ----------------------------------------------------- */

static gboolean
clientWantsInput(ndRPCClient *c)
{
    return !c->closed &&
        c->pending < c->srv->cfg.max_pending &&
        c->tx_bytes < c->srv->cfg.max_queued;
}

static void
clientRead(ndRPCClient *c)
{
    gsize budget = CLIENT_READ_BUDGET;

    while (budget > 0 && clientWantsInput(c)) {
        guint8 *dst;
        gsize want;
        ssize_t n;

        if (c->rx_have < ND_RPC_LEN_SIZE) {
            dst = c->rx_len_buf + c->rx_have;
            want = ND_RPC_LEN_SIZE - c->rx_have;
        } else {
            gsize body_have = c->rx_have - ND_RPC_LEN_SIZE;
            gsize body_len = c->rx_len - ND_RPC_LEN_SIZE;

            /* grow with the data, never to what the length word claims */
            if (body_have == c->rx_cap) {
                c->rx_cap = MIN(body_len, MAX(c->rx_cap * 2, CLIENT_RX_CHUNK));
                c->rx_buf = g_realloc(c->rx_buf, c->rx_cap);
            }
            dst = c->rx_buf + body_have;
            want = MIN(c->rx_cap - body_have, budget);
        }

        n = recv(c->fd, dst, want, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            clientClose(c, g_strerror(errno));
            return;
        }
        if (n == 0) {
            clientClose(c, "end of file");
            return;
        }
        budget -= MIN((gsize) n, budget);
        c->rx_have += n;
        c->last_rx = g_get_monotonic_time();
        c->pings_unanswered = 0;

        if (c->rx_have == ND_RPC_LEN_SIZE) {
            c->rx_len = ndRPCFrameLengthRead(c->rx_len_buf);
            if (ndRPCFrameLengthCheck(c->rx_len) < 0) {
                /* the stream cannot be resynchronised: drop the client */
                ND_WARN("client %" G_GUINT64_FORMAT ": %s", c->id,
                        ndGetLastErrorMessage());
                ndResetLastError();
                clientClose(c, "bad frame length");
                return;
            }
            continue;
        }
        if (c->rx_have > ND_RPC_LEN_SIZE && c->rx_have == c->rx_len) {
            g_autofree guint8 *frame = g_steal_pointer(&c->rx_buf);
            gsize len = c->rx_len - ND_RPC_LEN_SIZE;

            c->rx_cap = 0;
            c->rx_have = 0;
            c->rx_len = 0;
            clientHandleFrame(c, frame, len);
        }
    }
}

static void
clientUpdate(ndRPCClient *c)
{
    GIOCondition cond = 0;

    if (c->closed)
        return;
    if (clientWantsInput(c))
        cond |= G_IO_IN;
    if (!g_queue_is_empty(&c->txq))
        cond |= G_IO_OUT;
    /* GLib wakes the context's poll on every change, even from the thread
     * that runs it: one eventfd write and one more loop iteration each.
     * Most calls leave the condition as it was (a reply sent at once). */
    if (cond == c->cond)
        return;
    c->cond = cond;
    g_source_modify_unix_fd(c->source, ((ndRPCClientSource *) c->source)->tag, cond);
}

static gboolean
clientSourceDispatch(GSource *source, GSourceFunc cb, gpointer data)
{
    ndRPCClientSource *cs = (ndRPCClientSource *) source;
    ndRPCClient *c = clientRef(cs->client);
    GIOCondition rev = g_source_query_unix_fd(source, cs->tag);

    if (rev & G_IO_OUT)
        clientFlush(c);
    if (!c->closed && (rev & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
        clientRead(c);
    if (!c->closed && (rev & (G_IO_HUP | G_IO_ERR)) && !(rev & G_IO_IN))
        clientClose(c, "hangup");
    clientUpdate(c);
    clientUnref(c);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs clientSourceFuncs = {
    .dispatch = clientSourceDispatch,
};

static void
clientLogPeer(ndRPCClient *c, const char *desc)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        ND_INFO("client %" G_GUINT64_FORMAT " connected on %s: no peer credentials: %s",
                c->id, desc, g_strerror(errno));
        return;
    }
    ND_INFO("client %" G_GUINT64_FORMAT " connected on %s: pid %d uid %u gid %u",
            c->id, desc, (int) cred.pid, (guint) cred.uid, (guint) cred.gid);
}

static void
clientNew(ndRPCServer *srv, GSocket *sock, const ndRPCListener *l)
{
    ndRPCClient *c = g_new0(ndRPCClient, 1);
    ndRPCClientSource *cs;

    c->refs = 1;
    c->srv = srv;
    c->id = ++srv->next_client_id;
    c->sock = sock;
    c->fd = g_socket_get_fd(sock);
    c->readonly_socket = l->readonly;
    c->readonly = l->readonly;
    g_queue_init(&c->txq);
    c->events = g_array_new(FALSE, TRUE, sizeof(ndRPCEventReg));
    g_array_set_clear_func(c->events, eventRegClear);
    c->last_rx = g_get_monotonic_time();
    g_socket_set_blocking(sock, FALSE);

    c->source = g_source_new(&clientSourceFuncs, sizeof(ndRPCClientSource));
    cs = (ndRPCClientSource *) c->source;
    cs->client = c;
    c->cond = G_IO_IN;
    cs->tag = g_source_add_unix_fd(c->source, c->fd, c->cond);
    /* GLib blocks a source that cannot recurse while it is dispatched:
     * its fd leaves the poll set and comes back afterwards, which wakes
     * the loop (one eventfd write, one more poll) after every call. We
     * never iterate the context from inside a dispatch, so nothing can
     * recurse. */
    g_source_set_can_recurse(c->source, TRUE);
    g_source_attach(c->source, srv->ctx);

    srv->clients = g_list_prepend(srv->clients, c);
    srv->nclients++;
    srv->nanonymous++;
    clientLogPeer(c, l->desc);
}

/* ---- listeners ---------------------------------------------------------- */

static gboolean
listenerAccept(GSocket *sock, GIOCondition cond, gpointer data)
{
    ndRPCListener *l = data;
    ndRPCServer *srv = l->srv;

    for (;;) {
        g_autoptr(GError) gerr = NULL;
        GSocket *client = g_socket_accept(sock, NULL, &gerr);

        if (!client) {
            if (!g_error_matches(gerr, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                ND_WARN("cannot accept a client on %s: %s", l->desc, gerr->message);
            break;
        }
        if (srv->nclients >= srv->cfg.max_clients ||
            srv->nanonymous >= srv->cfg.max_anonymous) {
            ND_WARN("too many clients (%u, %u not opened): refusing a connection on %s",
                    srv->nclients, srv->nanonymous, l->desc);
            g_socket_close(client, NULL);
            g_object_unref(client);
            continue;
        }
        clientNew(srv, client, l);
    }
    return G_SOURCE_CONTINUE;
}

static void
listenerFree(gpointer data)
{
    ndRPCListener *l = data;

    g_source_destroy(l->source);
    g_source_unref(l->source);
    g_socket_close(l->sock, NULL);
    g_object_unref(l->sock);
    g_free(l->desc);
    g_free(l);
}

/**
 * ndRPCServerAddListener:
 * @srv: the server
 * @sock: a listening stream socket (a reference is taken)
 * @readonly: whether clients on it may only read
 * @desc: how to name it in logs (a path)
 *
 * Starts accepting clients on @sock.
 *
 * Returns: 0, or -1 with an error reported.
 */
int
ndRPCServerAddListener(ndRPCServer *srv, GSocket *sock,
                       gboolean readonly, const char *desc)
{
    ndRPCListener *l = g_new0(ndRPCListener, 1);

    l->srv = srv;
    l->sock = g_object_ref(sock);
    l->readonly = readonly;
    l->desc = g_strdup(desc);
    g_socket_set_blocking(sock, FALSE);
    l->source = g_socket_create_source(sock, G_IO_IN, NULL);
    g_source_set_callback(l->source, (GSourceFunc) (GCallback) listenerAccept, l, NULL);
    g_source_attach(l->source, srv->ctx);
    g_ptr_array_add(srv->listeners, l);
    ND_INFO("listening on %s%s", desc, readonly ? " (read-only)" : "");
    return 0;
}

/* Removes @path if it is a socket nobody listens on any more. */
static int
removeStaleSocket(const char *path)
{
    struct stat st;
    g_autoptr(GSocket) probe = NULL;
    g_autoptr(GSocketAddress) addr = NULL;

    if (lstat(path, &st) < 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        ndReportError(ND_ERR_OPERATION_FAILED,
                      _("cannot listen on '%1$s': it exists and is not a socket"), path);
        return -1;
    }
    probe = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_DEFAULT, NULL);
    addr = g_unix_socket_address_new(path);
    if (probe && g_socket_connect(probe, addr, NULL, NULL)) {
        ndReportError(ND_ERR_OPERATION_FAILED,
                      _("cannot listen on '%1$s': another daemon is serving it"), path);
        return -1;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        ndReportSystemError(errno, _("cannot remove stale socket '%1$s'"), path);
        return -1;
    }
    return 0;
}

/**
 * ndRPCServerListenUnix:
 * @srv: the server
 * @path: where to create the socket; its directory is created (0755)
 * @mode: the socket's permissions (0600 read-write, 0666 read-only)
 * @readonly: whether clients on it may only read
 *
 * Returns: 0, or -1 with an error reported.
 */
int
ndRPCServerListenUnix(ndRPCServer *srv, const char *path,
                      guint mode, gboolean readonly)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autoptr(GSocket) sock = NULL;
    g_autoptr(GSocketAddress) addr = NULL;
    g_autoptr(GError) gerr = NULL;

    if (g_mkdir_with_parents(dir, 0755) < 0) {
        ndReportSystemError(errno, _("cannot create directory '%1$s'"), dir);
        return -1;
    }
    if (removeStaleSocket(path) < 0)
        return -1;
    if (!(sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                              G_SOCKET_PROTOCOL_DEFAULT, &gerr))) {
        ndReportError(ND_ERR_SYSTEM_ERROR, _("cannot create a socket: %1$s"),
                      gerr->message);
        return -1;
    }
    addr = g_unix_socket_address_new(path);
    if (!g_socket_bind(sock, addr, FALSE, &gerr)) {
        ndReportError(ND_ERR_SYSTEM_ERROR, _("cannot bind socket '%1$s': %2$s"),
                      path, gerr->message);
        return -1;
    }
    if (chmod(path, mode) < 0) {
        ndReportSystemError(errno, _("cannot set the permissions of '%1$s'"), path);
        return -1;
    }
    g_socket_set_listen_backlog(sock, 64);
    if (!g_socket_listen(sock, &gerr)) {
        ndReportError(ND_ERR_SYSTEM_ERROR, _("cannot listen on '%1$s': %2$s"),
                      path, gerr->message);
        return -1;
    }
    return ndRPCServerAddListener(srv, sock, readonly, path);
}

/* ---- keepalive ---------------------------------------------------------- */

static gboolean
serverKeepalive(gpointer data)
{
    ndRPCServer *srv = data;
    gint64 now = g_get_monotonic_time();
    gint64 interval = (gint64) srv->cfg.keepalive_interval * G_USEC_PER_SEC;
    GList *l = srv->clients;

    while (l) {
        ndRPCClient *c = l->data;

        l = l->next;
        if (!c->keepalive || now - c->last_rx < interval)
            continue;
        if (c->pings_unanswered >= srv->cfg.keepalive_count) {
            ND_WARN("client %" G_GUINT64_FORMAT " did not answer %u pings: dropping it",
                    c->id, c->pings_unanswered);
            clientClose(c, "keepalive timeout");
            continue;
        }
        c->pings_unanswered++;
        clientSendKeepalive(c, NDR_KEEPALIVE_PROC_PING);
    }
    return G_SOURCE_CONTINUE;
}

/* ---- the server --------------------------------------------------------- */

/**
 * ndRPCServerNew:
 * @drv: the driver (borrowed; must outlive the server)
 * @cfg: limits and keepalive settings (copied)
 *
 * Creates a server on the thread-default main context. It registers for
 * the driver's events and starts its workers; add sockets with
 * ndRPCServerListenUnix() or ndRPCServerAddListener().
 *
 * Returns: the server (never NULL).
 */
ndRPCServer *
ndRPCServerNew(ndDriver *drv, const ndRPCServerConfig *cfg)
{
    ndRPCServer *srv = g_new0(ndRPCServer, 1);

    srv->cfg = *cfg;
    srv->drv = drv;
    srv->ctx = g_main_context_ref_thread_default();
    srv->listeners = g_ptr_array_new_with_free_func(listenerFree);
    srv->pool = g_thread_pool_new(jobRun, srv, MAX(cfg->max_workers, 1),
                                  FALSE, NULL);
    if (drv)
        srv->event_id = ndDriverEventAdd(drv, serverEventCb, srv);
    if (cfg->keepalive_interval > 0) {
        srv->keepalive = g_timeout_source_new_seconds(cfg->keepalive_interval);
        g_source_set_callback(srv->keepalive, serverKeepalive, srv, NULL);
        g_source_attach(srv->keepalive, srv->ctx);
    }
    return srv;
}

/**
 * ndRPCServerFree:
 * @srv: a server or NULL
 *
 * Stops listening, drops every client, waits for running driver calls to
 * finish and frees everything. Must run on the server's main context.
 */
void
ndRPCServerFree(ndRPCServer *srv)
{
    if (!srv)
        return;
    if (srv->event_id)
        ndDriverEventRemove(srv->drv, srv->event_id);
    if (srv->keepalive) {
        g_source_destroy(srv->keepalive);
        g_source_unref(srv->keepalive);
    }
    g_ptr_array_unref(srv->listeners);
    while (srv->clients)
        clientClose(srv->clients->data, "server shutdown");
    g_thread_pool_free(srv->pool, FALSE, TRUE);
    /* the completions of finished calls are queued on the context */
    while (srv->jobs > 0 || g_atomic_int_get(&srv->deliveries) > 0)
        g_main_context_iteration(srv->ctx, TRUE);
    g_main_context_unref(srv->ctx);
    g_free(srv);
}

/**
 * ndRPCServerClientCount:
 * @srv: the server
 *
 * Returns: the number of connected clients.
 */
guint
ndRPCServerClientCount(ndRPCServer *srv)
{
    return srv->nclients;
}
