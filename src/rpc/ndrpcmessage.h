/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Framing of libvirt's RPC messages: length word, header, XDR payload. */
#pragma once

#include <glib.h>

#include "rpc/nd_protocol.h"

/* The length word counts itself; then the 24-byte header, then the payload. */
#define ND_RPC_LEN_SIZE NDR_MESSAGE_HEADER_XDR_LEN
#define ND_RPC_HEADER_SIZE NDR_MESSAGE_HEADER_SIZE
#define ND_RPC_FRAME_MIN (ND_RPC_LEN_SIZE + ND_RPC_HEADER_SIZE)
#define ND_RPC_FRAME_MAX (ND_RPC_FRAME_MIN + NDR_MESSAGE_MAX)

/* remote_error's level for an error (VIR_ERR_ERROR) */
#define ND_RPC_ERROR_LEVEL 2

guint32 ndRPCFrameLengthRead(const guint8 *buf);
int ndRPCFrameLengthCheck(guint32 len);

int ndRPCHeaderDecode(const guint8 *buf, size_t len, ndr_message_header *ret_hdr);
int ndRPCPayloadDecode(const guint8 *buf, size_t len,
                       xdrproc_t filter, void *ret_data);

GBytes *ndRPCMessageEncode(const ndr_message_header *hdr,
                           xdrproc_t filter, const void *data);
GBytes *ndRPCPayloadEncode(xdrproc_t filter, const void *data);

void ndRPCErrorFromLast(ndr_error *ret_err);
GBytes *ndRPCErrorReplyEncode(const ndr_message_header *call);
GBytes *ndRPCReplyEncode(const ndr_message_header *call,
                         xdrproc_t filter, const void *data);
