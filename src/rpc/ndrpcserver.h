/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The RPC server: unix sockets, clients, dispatch to the driver, events. */
#pragma once

#include <gio/gio.h>

#include "node_device/node_device_driver.h"

typedef struct _ndRPCServer ndRPCServer;

typedef struct _ndRPCServerConfig ndRPCServerConfig;
struct _ndRPCServerConfig {
    guint max_clients;          /* connections at once */
    guint max_anonymous;        /* of those, not yet through CONNECT_OPEN */
    guint max_pending;          /* calls in flight per client */
    guint max_workers;          /* threads running driver calls */
    guint max_event_callbacks;  /* event registrations per client */
    guint keepalive_interval;   /* seconds of silence before a ping; 0: off */
    guint keepalive_count;      /* unanswered pings before the client is dropped */
    gsize max_queued;           /* queued output at which we stop reading */
    gsize max_queued_events;    /* queued output at which an event drops the client */
};

void ndRPCServerConfigInit(ndRPCServerConfig *cfg);

ndRPCServer *ndRPCServerNew(ndDriver *drv, const ndRPCServerConfig *cfg);
void ndRPCServerFree(ndRPCServer *srv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndRPCServer, ndRPCServerFree);

int ndRPCServerAddListener(ndRPCServer *srv, GSocket *sock,
                           gboolean readonly, const char *desc);
int ndRPCServerListenUnix(ndRPCServer *srv, const char *path,
                          guint mode, gboolean readonly);
guint ndRPCServerClientCount(ndRPCServer *srv);
