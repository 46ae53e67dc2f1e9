/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Framing of libvirt's RPC messages: length word, header, XDR payload. */
#include <string.h>

#include "rpc/ndrpcmessage.h"
#include "util/nderror.h"
#include "util/ndinternal.h"
#include "util/ndlog.h"

G_STATIC_ASSERT(ND_RPC_FRAME_MIN == 28);
G_STATIC_ASSERT(NDR_MESSAGE_MAX == 32 * 1024 * 1024);

/**
 * ndRPCFrameLengthRead:
 * @buf: the first 4 bytes of a frame
 *
 * Returns: the big-endian length word (it counts its own 4 bytes).
 */
guint32
ndRPCFrameLengthRead(const guint8 *buf)
{
    guint32 be;

    memcpy(&be, buf, sizeof(be));
    return GUINT32_FROM_BE(be);
}

/**
 * ndRPCFrameLengthCheck:
 * @len: a frame's length word
 *
 * Checks @len before anything is allocated for the frame: it must cover
 * the length word and the header, and the payload must fit the protocol's
 * limit.
 *
 * Returns: 0, or -1 with ND_ERR_RPC (domain RPC) reported.
 */
int
ndRPCFrameLengthCheck(guint32 len)
{
    if (len < ND_RPC_FRAME_MIN) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          _("packet %1$u bytes received from client too small, want %2$u"),
                          len, (guint) ND_RPC_FRAME_MIN);
        return -1;
    }
    if (len > ND_RPC_FRAME_MAX) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          _("packet %1$u bytes received from client too large, want %2$u"),
                          len, (guint) ND_RPC_FRAME_MAX);
        return -1;
    }
    return 0;
}

/**
 * ndRPCHeaderDecode:
 * @buf: the frame without its length word
 * @len: bytes at @buf (at least the header)
 * @ret_hdr: the decoded header
 *
 * Returns: 0, or -1 with ND_ERR_RPC reported.
 */
int
ndRPCHeaderDecode(const guint8 *buf, size_t len, ndr_message_header *ret_hdr)
{
    XDR xdr;
    ndr_message_header hdr = { 0 };
    gboolean ok;

    if (len < ND_RPC_HEADER_SIZE) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          "%s", _("unable to decode message header"));
        return -1;
    }
    xdrmem_create(&xdr, (char *) buf, ND_RPC_HEADER_SIZE, XDR_DECODE);
    ok = xdr_ndr_message_header(&xdr, &hdr);
    xdr_destroy(&xdr);
    if (!ok) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          "%s", _("unable to decode message header"));
        return -1;
    }
    *ret_hdr = hdr;
    return 0;
}

/**
 * ndRPCPayloadDecode:
 * @buf: the payload (after the header)
 * @len: its length
 * @filter: the XDR filter of the expected type
 * @ret_data: zeroed storage of that type; filled on success
 *
 * Decodes with the bounds of the .x file (strings, lists), and refuses
 * trailing bytes. On failure whatever was allocated is freed again.
 *
 * Returns: 0, or -1 with ND_ERR_RPC reported.
 */
int
ndRPCPayloadDecode(const guint8 *buf, size_t len,
                   xdrproc_t filter, void *ret_data)
{
    XDR xdr;
    gboolean ok;
    size_t used;

    xdrmem_create(&xdr, (char *) buf, len, XDR_DECODE);
    ok = filter(&xdr, ret_data);
    used = xdr_getpos(&xdr);
    xdr_destroy(&xdr);
    if (!ok || used != len) {
        xdr_free(filter, ret_data);
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          "%s", _("unable to decode message payload"));
        return -1;
    }
    return 0;
}

/**
 * ndRPCMessageEncode:
 * @hdr: the header
 * @filter: the payload's XDR filter, or NULL for no payload
 * @data: the payload
 *
 * Returns: the whole frame, length word included (caller unrefs), or NULL
 * with ND_ERR_RPC reported when the payload exceeds the protocol's limit.
 */
GBytes *
ndRPCMessageEncode(const ndr_message_header *hdr,
                   xdrproc_t filter, const void *data)
{
    unsigned long payload = 0;
    size_t total;
    g_autofree guint8 *buf = NULL;
    guint32 be;
    XDR xdr;
    gboolean ok;

    /* 0 is also what xdr_sizeof() says for an empty payload; a filter
     * that fails is caught below when the encoded size does not match. */
    if (filter)
        payload = xdr_sizeof(filter, (void *) data);
    if (payload > NDR_MESSAGE_MAX) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          _("message payload of %1$lu bytes is larger than the limit of %2$u"),
                          payload, (guint) NDR_MESSAGE_MAX);
        return NULL;
    }
    total = ND_RPC_FRAME_MIN + payload;
    buf = g_malloc0(total);
    be = GUINT32_TO_BE((guint32) total);
    memcpy(buf, &be, sizeof(be));

    xdrmem_create(&xdr, (char *) buf + ND_RPC_LEN_SIZE,
                  total - ND_RPC_LEN_SIZE, XDR_ENCODE);
    ok = xdr_ndr_message_header(&xdr, (ndr_message_header *) hdr);
    if (ok && filter)
        ok = filter(&xdr, (void *) data);
    if (ok && xdr_getpos(&xdr) != total - ND_RPC_LEN_SIZE)
        ok = FALSE;
    xdr_destroy(&xdr);
    if (!ok) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          "%s", _("unable to encode message payload"));
        return NULL;
    }
    return g_bytes_new_take(g_steal_pointer(&buf), total);
}

/**
 * ndRPCPayloadEncode:
 * @filter: the payload's XDR filter
 * @data: the payload
 *
 * The payload alone, without length word or header: for a reply that is
 * kept and sent again (see ndr_raw_payload).
 *
 * Returns: the bytes (caller unrefs), or NULL with ND_ERR_RPC reported when
 * the payload exceeds the protocol's limit.
 */
GBytes *
ndRPCPayloadEncode(xdrproc_t filter, const void *data)
{
    unsigned long len = xdr_sizeof(filter, (void *) data);
    g_autofree guint8 *buf = NULL;
    XDR xdr;
    gboolean ok;

    if (len > NDR_MESSAGE_MAX) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          _("message payload of %1$lu bytes is larger than the limit of %2$u"),
                          len, (guint) NDR_MESSAGE_MAX);
        return NULL;
    }
    buf = g_malloc(MAX(len, 1));
    xdrmem_create(&xdr, (char *) buf, len, XDR_ENCODE);
    ok = filter(&xdr, (void *) data) && xdr_getpos(&xdr) == len;
    xdr_destroy(&xdr);
    if (!ok) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          "%s", _("unable to encode message payload"));
        return NULL;
    }
    return g_bytes_new_take(g_steal_pointer(&buf), len);
}

/**
 * ndRPCErrorFromLast:
 * @ret_err: zeroed storage, filled with strings the caller frees with
 *           xdr_free(xdr_ndr_error, ...)
 *
 * The one place where the pending error becomes remote_error: code,
 * domain and message as reported, level error, str1 the message's format
 * prefix, str2 its detail, int1 = int2 = -1 (as libvirtd sends). The pending
 * error is consumed. A failure with no pending error is a bug: it becomes
 * ND_ERR_INTERNAL_ERROR and a warning in the log.
 */
void
ndRPCErrorFromLast(ndr_error *ret_err)
{
    const ndError *err = ndGetLastError();

    if (!err) {
        ND_WARN("a call failed without reporting an error");
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_INTERNAL_ERROR,
                          __FILE__, __func__, __LINE__, "%s",
                          _("an error occurred, but the cause is unknown"));
        err = ndGetLastError();
    }

    memset(ret_err, 0, sizeof(*ret_err));
    ret_err->code = err->code;
    ret_err->domain = err->domain;
    ret_err->level = ND_RPC_ERROR_LEVEL;
    ret_err->message = g_new0(char *, 1);
    *ret_err->message = g_strdup(err->message ? err->message : "");
    if (err->str1) {
        ret_err->str1 = g_new0(char *, 1);
        *ret_err->str1 = g_strdup(err->str1);
    }
    if (err->str2) {
        ret_err->str2 = g_new0(char *, 1);
        *ret_err->str2 = g_strdup(err->str2);
    }
    ret_err->int1 = -1;
    ret_err->int2 = -1;
    ndResetLastError();
}

/**
 * ndRPCErrorReplyEncode:
 * @call: the header of the call being answered
 *
 * Encodes the pending error (see ndRPCErrorFromLast()) as the REPLY with
 * status ERROR to @call: same program, version, procedure and serial.
 *
 * Returns: the frame (caller unrefs); never NULL.
 */
GBytes *
ndRPCErrorReplyEncode(const ndr_message_header *call)
{
    ndr_message_header hdr = *call;
    ndr_error err;
    GBytes *msg;

    ndRPCErrorFromLast(&err);
    hdr.type = NDR_REPLY;
    hdr.status = NDR_ERROR;
    msg = ndRPCMessageEncode(&hdr, (xdrproc_t) xdr_ndr_error, &err);
    xdr_free((xdrproc_t) xdr_ndr_error, (char *) &err);
    /* An error is a few strings, far below the limit. */
    g_assert(msg);
    return msg;
}

/**
 * ndRPCReplyEncode:
 * @call: the header of the call being answered
 * @filter: the return value's XDR filter
 * @data: the return value
 *
 * Encodes the successful REPLY to @call; if the result is too large for
 * the protocol, the reply is that error instead.
 *
 * Returns: the frame (caller unrefs); never NULL.
 */
GBytes *
ndRPCReplyEncode(const ndr_message_header *call,
                 xdrproc_t filter, const void *data)
{
    ndr_message_header hdr = *call;
    GBytes *msg;

    hdr.type = NDR_REPLY;
    hdr.status = NDR_OK;
    if ((msg = ndRPCMessageEncode(&hdr, filter, data)))
        return msg;
    return ndRPCErrorReplyEncode(call);
}
