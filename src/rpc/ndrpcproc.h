/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table of remote procedures we serve: XDR filters, sizes, rules. */
#pragma once

#include <glib.h>

#include "rpc/nd_protocol.h"

typedef enum {
    /* allowed before CONNECT_OPEN */
    ND_RPC_PROC_NO_OPEN = 1 << 0,
    /* changes the host: refused on read-only connections */
    ND_RPC_PROC_MUTATING = 1 << 1,
    /* acts on the connection's own state; runs on the main loop */
    ND_RPC_PROC_CONNECTION = 1 << 2,
    /* sent by the server only (events): a client calling it is unknown */
    ND_RPC_PROC_SERVER_ONLY = 1 << 3,
    /* a read-only driver call that supports the driver's non-blocking
     * mode: the main loop tries it first, a worker only if it gives up */
    ND_RPC_PROC_INLINE = 1 << 4,
} ndRPCProcFlags;

typedef struct _ndRPCProcInfo ndRPCProcInfo;
struct _ndRPCProcInfo {
    int proc;
    const char *name;       /* libvirt's procedure name, for logs */
    const char *api;        /* libvirt's API name, for "read only" errors */
    xdrproc_t args_filter;
    size_t args_size;
    xdrproc_t ret_filter;
    size_t ret_size;
    unsigned int flags;     /* ndRPCProcFlags */
};

/* A return value encoded ahead (ndRPCPayloadEncode()): its filter writes
 * the bytes as they are and frees them (unref); it cannot decode. For a
 * reply kept and sent again. */
typedef struct {
    GBytes *payload;
} ndr_raw_payload;
bool_t xdr_ndr_raw_payload(XDR *xdrs, ndr_raw_payload *raw);

const ndRPCProcInfo *ndRPCProcFind(int proc);
const ndRPCProcInfo *ndRPCProcGetAll(size_t *ret_count);
int ndRPCProcDecodeArgs(const ndRPCProcInfo *info, const guint8 *buf,
                        size_t len, void **ret_args);
void ndRPCProcFreeArgs(const ndRPCProcInfo *info, void *args);
