/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table of remote procedures we serve: XDR filters, sizes, rules. */
#include "rpc/ndrpcproc.h"
#include "rpc/ndrpcmessage.h"

#define PROC(num, nm, api_name, args_type, ret_type, fl) \
    { \
        .proc = (num), \
        .name = (nm), \
        .api = (api_name), \
        .args_filter = (xdrproc_t) xdr_ ## args_type, \
        .args_size = sizeof(args_type), \
        .ret_filter = (xdrproc_t) xdr_ ## ret_type, \
        .ret_size = sizeof(ret_type), \
        .flags = (fl), \
    }

/* xdr_void takes no object; a one-byte placeholder keeps sizeof() valid. */
typedef char ndr_void;
static bool_t
xdr_ndr_void(XDR *xdrs G_GNUC_UNUSED, ndr_void *unused G_GNUC_UNUSED)
{
    return TRUE;
}

/**
 * xdr_ndr_raw_payload: see ndrpcproc.h. The bytes are whole XDR units
 * (ndRPCPayloadEncode() made them), so they need no padding.
 */
bool_t
xdr_ndr_raw_payload(XDR *xdrs, ndr_raw_payload *raw)
{
    const guint8 *data;
    gsize len;

    switch (xdrs->x_op) {
    case XDR_FREE:
        g_clear_pointer(&raw->payload, g_bytes_unref);
        return TRUE;
    case XDR_ENCODE:
        if (!raw->payload)
            return FALSE;
        data = g_bytes_get_data(raw->payload, &len);
        if (len % BYTES_PER_XDR_UNIT != 0 || len > G_MAXUINT)
            return FALSE;
        return len == 0 || XDR_PUTBYTES(xdrs, (const char *) data, (u_int) len);
    case XDR_DECODE:
    default:
        return FALSE;
    }
}

/* Sorted by procedure number (ndRPCProcFind bisects). */
static const ndRPCProcInfo procs[] = {
    PROC(NDR_PROC_CONNECT_OPEN, "CONNECT_OPEN", "virConnectOpen",
         ndr_connect_open_args, ndr_void,
         ND_RPC_PROC_NO_OPEN | ND_RPC_PROC_CONNECTION),
    PROC(NDR_PROC_CONNECT_CLOSE, "CONNECT_CLOSE", "virConnectClose",
         ndr_void, ndr_void, ND_RPC_PROC_CONNECTION),
    PROC(NDR_PROC_CONNECT_SUPPORTS_FEATURE, "CONNECT_SUPPORTS_FEATURE",
         "virConnectSupportsFeature",
         ndr_connect_supports_feature_args, ndr_connect_supports_feature_ret,
         ND_RPC_PROC_NO_OPEN | ND_RPC_PROC_CONNECTION),
    PROC(NDR_PROC_AUTH_LIST, "AUTH_LIST", "virConnectOpenAuth",
         ndr_void, ndr_auth_list_ret,
         ND_RPC_PROC_NO_OPEN | ND_RPC_PROC_CONNECTION),
    PROC(NDR_PROC_CONNECT_GET_URI, "CONNECT_GET_URI", "virConnectGetURI",
         ndr_void, ndr_connect_get_uri_ret, ND_RPC_PROC_CONNECTION),
    PROC(NDR_PROC_NODE_NUM_OF_DEVICES, "NODE_NUM_OF_DEVICES",
         "virNodeNumOfDevices",
         ndr_node_num_of_devices_args, ndr_node_num_of_devices_ret,
         ND_RPC_PROC_INLINE),
    PROC(NDR_PROC_NODE_LIST_DEVICES, "NODE_LIST_DEVICES", "virNodeListDevices",
         ndr_node_list_devices_args, ndr_node_list_devices_ret,
         ND_RPC_PROC_INLINE),
    PROC(NDR_PROC_NODE_DEVICE_LOOKUP_BY_NAME, "NODE_DEVICE_LOOKUP_BY_NAME",
         "virNodeDeviceLookupByName",
         ndr_node_device_name_args, ndr_node_device_lookup_by_name_ret,
         ND_RPC_PROC_INLINE),
    PROC(NDR_PROC_NODE_DEVICE_GET_XML_DESC, "NODE_DEVICE_GET_XML_DESC",
         "virNodeDeviceGetXMLDesc",
         ndr_node_device_name_flags_args, ndr_node_device_get_xml_desc_ret,
         ND_RPC_PROC_INLINE),
    PROC(NDR_PROC_NODE_DEVICE_GET_PARENT, "NODE_DEVICE_GET_PARENT",
         "virNodeDeviceGetParent",
         ndr_node_device_name_args, ndr_node_device_get_parent_ret,
         ND_RPC_PROC_INLINE),
    PROC(NDR_PROC_NODE_DEVICE_NUM_OF_CAPS, "NODE_DEVICE_NUM_OF_CAPS",
         "virNodeDeviceNumOfCaps",
         ndr_node_device_name_args, ndr_node_device_num_of_caps_ret,
         ND_RPC_PROC_INLINE),
    PROC(NDR_PROC_NODE_DEVICE_LIST_CAPS, "NODE_DEVICE_LIST_CAPS",
         "virNodeDeviceListCaps",
         ndr_node_device_list_caps_args, ndr_node_device_list_caps_ret,
         ND_RPC_PROC_INLINE),
    PROC(NDR_PROC_NODE_DEVICE_CREATE_XML, "NODE_DEVICE_CREATE_XML",
         "virNodeDeviceCreateXML",
         ndr_node_device_xml_flags_args, ndr_node_device_xml_ret,
         ND_RPC_PROC_MUTATING),
    PROC(NDR_PROC_NODE_DEVICE_DESTROY, "NODE_DEVICE_DESTROY",
         "virNodeDeviceDestroy",
         ndr_node_device_name_args, ndr_void, ND_RPC_PROC_MUTATING),
    PROC(NDR_PROC_CONNECT_IS_SECURE, "CONNECT_IS_SECURE", "virConnectIsSecure",
         ndr_void, ndr_connect_is_secure_ret, ND_RPC_PROC_CONNECTION),
    PROC(NDR_PROC_CONNECT_LIST_ALL_NODE_DEVICES, "CONNECT_LIST_ALL_NODE_DEVICES",
         "virConnectListAllNodeDevices",
         ndr_connect_list_all_node_devices_args,
         /* ndr_connect_list_all_node_devices_ret, encoded ahead and kept
          * (see listAll() in ndrpcnodedev.c) */
         ndr_raw_payload, ND_RPC_PROC_INLINE),
    PROC(NDR_PROC_NODE_DEVICE_LOOKUP_SCSI_HOST_BY_WWN,
         "NODE_DEVICE_LOOKUP_SCSI_HOST_BY_WWN",
         "virNodeDeviceLookupSCSIHostByWWN",
         ndr_node_device_lookup_scsi_host_by_wwn_args,
         ndr_node_device_lookup_scsi_host_by_wwn_ret, ND_RPC_PROC_INLINE),
    PROC(NDR_PROC_CONNECT_REGISTER_CLOSE_CALLBACK,
         "CONNECT_REGISTER_CLOSE_CALLBACK", "virConnectRegisterCloseCallback",
         ndr_void, ndr_void, ND_RPC_PROC_CONNECTION),
    PROC(NDR_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK,
         "CONNECT_UNREGISTER_CLOSE_CALLBACK", "virConnectUnregisterCloseCallback",
         ndr_void, ndr_void, ND_RPC_PROC_CONNECTION),
    PROC(NDR_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY,
         "CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY",
         "virConnectNodeDeviceEventRegisterAny",
         ndr_node_device_event_register_any_args,
         ndr_node_device_event_register_any_ret, ND_RPC_PROC_CONNECTION),
    PROC(NDR_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY,
         "CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY",
         "virConnectNodeDeviceEventDeregisterAny",
         ndr_node_device_event_deregister_any_args, ndr_void,
         ND_RPC_PROC_CONNECTION),
    PROC(NDR_PROC_NODE_DEVICE_EVENT_LIFECYCLE, "NODE_DEVICE_EVENT_LIFECYCLE",
         NULL, ndr_node_device_event_lifecycle_msg, ndr_void,
         ND_RPC_PROC_SERVER_ONLY),
    PROC(NDR_PROC_NODE_DEVICE_EVENT_UPDATE, "NODE_DEVICE_EVENT_UPDATE",
         NULL, ndr_node_device_event_update_msg, ndr_void,
         ND_RPC_PROC_SERVER_ONLY),
    PROC(NDR_PROC_NODE_DEVICE_DEFINE_XML, "NODE_DEVICE_DEFINE_XML",
         "virNodeDeviceDefineXML",
         ndr_node_device_xml_flags_args, ndr_node_device_xml_ret,
         ND_RPC_PROC_MUTATING),
    PROC(NDR_PROC_NODE_DEVICE_UNDEFINE, "NODE_DEVICE_UNDEFINE",
         "virNodeDeviceUndefine",
         ndr_node_device_name_flags_args, ndr_void, ND_RPC_PROC_MUTATING),
    PROC(NDR_PROC_NODE_DEVICE_CREATE, "NODE_DEVICE_CREATE", "virNodeDeviceCreate",
         ndr_node_device_name_flags_args, ndr_void, ND_RPC_PROC_MUTATING),
    PROC(NDR_PROC_NODE_DEVICE_GET_AUTOSTART, "NODE_DEVICE_GET_AUTOSTART",
         "virNodeDeviceGetAutostart",
         ndr_node_device_name_args, ndr_node_device_get_autostart_ret,
         ND_RPC_PROC_INLINE),
    PROC(NDR_PROC_NODE_DEVICE_SET_AUTOSTART, "NODE_DEVICE_SET_AUTOSTART",
         "virNodeDeviceSetAutostart",
         ndr_node_device_set_autostart_args, ndr_void, ND_RPC_PROC_MUTATING),
    PROC(NDR_PROC_NODE_DEVICE_IS_PERSISTENT, "NODE_DEVICE_IS_PERSISTENT",
         "virNodeDeviceIsPersistent",
         ndr_node_device_name_args, ndr_node_device_is_persistent_ret,
         ND_RPC_PROC_INLINE),
    PROC(NDR_PROC_NODE_DEVICE_IS_ACTIVE, "NODE_DEVICE_IS_ACTIVE",
         "virNodeDeviceIsActive",
         ndr_node_device_name_args, ndr_node_device_is_active_ret,
         ND_RPC_PROC_INLINE),
};

/**
 * ndRPCProcFind:
 * @proc: a remote procedure number
 *
 * Returns: the procedure's entry (static), or NULL if we do not serve it.
 */
const ndRPCProcInfo *
ndRPCProcFind(int proc)
{
    size_t lo = 0;
    size_t hi = G_N_ELEMENTS(procs);

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (procs[mid].proc == proc)
            return &procs[mid];
        if (procs[mid].proc < proc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/**
 * ndRPCProcGetAll:
 * @ret_count: the number of entries
 *
 * Returns: the whole table (static), sorted by procedure number.
 */
const ndRPCProcInfo *
ndRPCProcGetAll(size_t *ret_count)
{
    *ret_count = G_N_ELEMENTS(procs);
    return procs;
}

/**
 * ndRPCProcDecodeArgs:
 * @info: the procedure
 * @buf, @len: the call's payload
 * @ret_args: newly allocated arguments (free with ndRPCProcFreeArgs())
 *
 * Returns: 0, or -1 with ND_ERR_RPC reported (nothing allocated).
 */
int
ndRPCProcDecodeArgs(const ndRPCProcInfo *info, const guint8 *buf,
                    size_t len, void **ret_args)
{
    g_autofree void *args = g_malloc0(info->args_size);

    if (ndRPCPayloadDecode(buf, len, info->args_filter, args) < 0)
        return -1;
    *ret_args = g_steal_pointer(&args);
    return 0;
}

/**
 * ndRPCProcFreeArgs:
 * @info: the procedure
 * @args: arguments from ndRPCProcDecodeArgs(), or NULL
 */
void
ndRPCProcFreeArgs(const ndRPCProcInfo *info, void *args)
{
    if (!args)
        return;
    xdr_free(info->args_filter, args);
    g_free(args);
}
