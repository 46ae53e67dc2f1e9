/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: what the daemon does with a client's bytes before
 * any driver call: frame lengths, headers, argument decoding of every
 * procedure we serve, and encoding the error reply. */
#include <string.h>

#include "rpc/ndrpcmessage.h"
#include "rpc/ndrpcproc.h"
#include "util/nderror.h"

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/* Decodes @data as the arguments of the procedure picked by @sel, as the
 * server does once a frame's header is known. */
static void
fuzzArgs(guint8 sel, const guint8 *data, size_t size)
{
    size_t count;
    const ndRPCProcInfo *all = ndRPCProcGetAll(&count);
    const ndRPCProcInfo *info = &all[sel % count];
    void *args = NULL;

    if (ndRPCProcDecodeArgs(info, data, size, &args) == 0)
        ndRPCProcFreeArgs(info, args);
    ndResetLastError();
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    /* a first byte with the top bit set: one procedure's arguments, so
     * that every decoder is reached without a valid frame around it */
    if (size >= 2 && (data[0] & 0x80)) {
        fuzzArgs(data[1], data + 2, size - 2);
        return 0;
    }

    /* else the input is a stream of frames, as read from a socket */
    while (size >= ND_RPC_LEN_SIZE) {
        guint32 len = ndRPCFrameLengthRead(data);
        ndr_message_header hdr;
        const ndRPCProcInfo *info;
        void *args = NULL;
        gsize body;

        if (ndRPCFrameLengthCheck(len) < 0)
            break;
        if (len > size)
            break;
        body = len - ND_RPC_LEN_SIZE;
        if (ndRPCHeaderDecode(data + ND_RPC_LEN_SIZE, body, &hdr) == 0 &&
            (info = ndRPCProcFind(hdr.proc))) {
            if (ndRPCProcDecodeArgs(info, data + ND_RPC_FRAME_MIN,
                                    body - ND_RPC_HEADER_SIZE, &args) == 0) {
                ndRPCProcFreeArgs(info, args);
            } else {
                GBytes *reply = ndRPCErrorReplyEncode(&hdr);

                g_bytes_unref(reply);
            }
        }
        ndResetLastError();
        data += len;
        size -= len;
    }
    {
        /* the same bytes as an error payload (what a client decodes) */
        ndr_error err = { 0 };

        if (ndRPCPayloadDecode(data, size, (xdrproc_t) xdr_ndr_error, &err) == 0)
            xdr_free((xdrproc_t) xdr_ndr_error, (char *) &err);
        ndResetLastError();
    }
    return 0;
}
