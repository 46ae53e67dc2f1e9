/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node-device procedures: decoded arguments in, driver calls, results out.
 *
 * Each handler runs on a worker thread (or, for ND_RPC_PROC_INLINE
 * procedures, on the main loop in the driver's non-blocking mode; see
 * ndrpcserver.c), calls the driver once and fills
 * the XDR return value; on failure the driver's pending error is what the
 * client gets (see ndRPCErrorFromLast()). Strings handed to XDR are
 * g_malloc()ed, which is malloc() since GLib 2.46, so xdr_free() may free
 * them. */
#include "rpc/ndrpcnodedev.h"
#include "rpc/nd_protocol.h"
#include "rpc/ndrpcmessage.h"
#include "rpc/ndrpcproc.h"
#include "util/nderror.h"
#include "util/ndinternal.h"

/* Refuses a client's maxnames outside 0..NDR_LIST_MAX. */
static int
checkMaxNames(int maxnames)
{
    if (maxnames < 0 || maxnames > NDR_LIST_MAX) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          _("maxnames '%1$d' is outside 0 to %2$d"),
                          maxnames, NDR_LIST_MAX);
        return -1;
    }
    return 0;
}

/* Refuses a result list longer than the wire allows. */
static int
checkListLength(int count)
{
    if (count > NDR_LIST_MAX) {
        ndReportErrorFull(ND_FROM_RPC, ND_ERR_RPC, __FILE__, __func__, __LINE__,
                          _("too many node devices '%1$d' for the protocol's limit of %2$d"),
                          count, NDR_LIST_MAX);
        return -1;
    }
    return 0;
}

/* Hands the first @maxnames entries of @names to an XDR string list. */
static void
namesToList(char **names, int count, int maxnames,
            u_int *ret_len, ndr_nonnull_string **ret_val)
{
    int keep = MIN(count, maxnames);
    int i;

    for (i = keep; i < count; i++)
        g_clear_pointer(&names[i], g_free);
    *ret_len = keep;
    *ret_val = names;
}

static int
numOfDevices(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_num_of_devices_args *args = a;
    ndr_node_num_of_devices_ret *ret = r;
    int num;

    if ((num = ndDriverNumOfDevices(drv, args->cap ? *args->cap : NULL,
                                    args->flags)) < 0)
        return -1;
    ret->num = num;
    return 0;
}

static int
listDevices(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_list_devices_args *args = a;
    ndr_node_list_devices_ret *ret = r;
    g_auto(GStrv) names = NULL;
    int count;

    if (checkMaxNames(args->maxnames) < 0)
        return -1;
    if ((count = ndDriverListDevices(drv, args->cap ? *args->cap : NULL,
                                     args->flags, &names)) < 0)
        return -1;
    namesToList(g_steal_pointer(&names), count, args->maxnames,
                &ret->names.names_len, &ret->names.names_val);
    return 0;
}

static int
lookupByName(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_name_args *args = a;
    ndr_node_device_lookup_by_name_ret *ret = r;

    if (ndDriverLookup(drv, args->name) < 0)
        return -1;
    ret->dev.name = g_strdup(args->name);
    return 0;
}

static int
lookupSCSIHostByWWN(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_lookup_scsi_host_by_wwn_args *args = a;
    ndr_node_device_lookup_scsi_host_by_wwn_ret *ret = r;
    g_autofree char *name = NULL;

    if (ndDriverLookupSCSIHostByWWN(drv, args->wwnn, args->wwpn, args->flags,
                                    &name) < 0)
        return -1;
    ret->dev.name = g_steal_pointer(&name);
    return 0;
}

static int
getXMLDesc(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_name_flags_args *args = a;
    ndr_node_device_get_xml_desc_ret *ret = r;

    if (!(ret->xml = ndDriverGetXMLDesc(drv, args->name, args->flags)))
        return -1;
    return 0;
}

static int
getParent(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_name_args *args = a;
    ndr_node_device_get_parent_ret *ret = r;
    g_autofree char *parent = NULL;

    if (ndDriverGetParent(drv, args->name, &parent) < 0)
        return -1;
    if (parent) {
        ret->parent_name = g_new0(char *, 1);
        *ret->parent_name = g_steal_pointer(&parent);
    }
    return 0;
}

static int
numOfCaps(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_name_args *args = a;
    ndr_node_device_num_of_caps_ret *ret = r;
    g_auto(GStrv) caps = NULL;
    int count;

    if ((count = ndDriverListCaps(drv, args->name, &caps)) < 0)
        return -1;
    ret->num = count;
    return 0;
}

static int
listCaps(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_list_caps_args *args = a;
    ndr_node_device_list_caps_ret *ret = r;
    g_auto(GStrv) caps = NULL;
    int count;

    if (checkMaxNames(args->maxnames) < 0)
        return -1;
    if ((count = ndDriverListCaps(drv, args->name, &caps)) < 0)
        return -1;
    namesToList(g_steal_pointer(&caps), count, args->maxnames,
                &ret->names.names_len, &ret->names.names_val);
    return 0;
}

static int
createXML(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_xml_flags_args *args = a;
    ndr_node_device_xml_ret *ret = r;

    if (!(ret->dev.name = ndDriverCreateXML(drv, args->xml_desc, args->flags)))
        return -1;
    return 0;
}

static int
destroy(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_name_args *args = a;

    return ndDriverDestroy(drv, args->name);
}

/* The reply of a long list is kept encoded, per flags, until the list
 * changes (ndDriverListAllDevicesMemoGet()): sending it again costs a
 * copy, not a name at a time. */
static int
listAll(ndDriver *drv, const void *a, void *r)
{
    const ndr_connect_list_all_node_devices_args *args = a;
    ndr_raw_payload *raw = r;
    ndr_connect_list_all_node_devices_ret ret = { 0 };
    g_auto(GStrv) names = NULL;
    guint64 gen = 0;
    int count;
    int i;

    if (args->need_results) {
        if ((raw->payload = ndDriverListAllDevicesMemoGet(drv, args->flags,
                                                          &gen)))
            return 0;
        if (gen == 0)
            return -1;      /* gave up in non-blocking mode */
    }
    if ((count = ndDriverListAllDevices(drv, args->flags, &names)) < 0)
        return -1;
    if (checkListLength(count) < 0)
        return -1;
    if (args->need_results) {
        ret.devices.devices_val = g_new0(ndr_nonnull_node_device, MAX(count, 1));
        for (i = 0; i < count; i++)
            ret.devices.devices_val[i].name = g_steal_pointer(&names[i]);
        ret.devices.devices_len = count;
    }
    ret.ret = count;
    raw->payload = ndRPCPayloadEncode((xdrproc_t) xdr_ndr_connect_list_all_node_devices_ret,
                                      &ret);
    xdr_free((xdrproc_t) xdr_ndr_connect_list_all_node_devices_ret, (char *) &ret);
    if (!raw->payload)
        return -1;
    if (args->need_results)
        ndDriverListAllDevicesMemoSet(drv, args->flags, gen, raw->payload);
    return 0;
}

static int
defineXML(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_xml_flags_args *args = a;
    ndr_node_device_xml_ret *ret = r;

    if (!(ret->dev.name = ndDriverDefineXML(drv, args->xml_desc, args->flags)))
        return -1;
    return 0;
}

static int
undefine(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_name_flags_args *args = a;

    return ndDriverUndefine(drv, args->name, args->flags);
}

static int
create(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_name_flags_args *args = a;

    return ndDriverCreate(drv, args->name, args->flags);
}

static int
getAutostart(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_name_args *args = a;
    ndr_node_device_get_autostart_ret *ret = r;
    int autostart;

    if (ndDriverGetAutostart(drv, args->name, &autostart) < 0)
        return -1;
    ret->autostart = autostart;
    return 0;
}

static int
setAutostart(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_set_autostart_args *args = a;

    return ndDriverSetAutostart(drv, args->name, args->autostart);
}

static int
isPersistent(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_name_args *args = a;
    ndr_node_device_is_persistent_ret *ret = r;
    int val;

    if ((val = ndDriverIsPersistent(drv, args->name)) < 0)
        return -1;
    ret->persistent = val;
    return 0;
}

static int
isActive(ndDriver *drv, const void *a, void *r)
{
    const ndr_node_device_name_args *args = a;
    ndr_node_device_is_active_ret *ret = r;
    int val;

    if ((val = ndDriverIsActive(drv, args->name)) < 0)
        return -1;
    ret->active = val;
    return 0;
}

/**
 * ndRPCNodeDevHandlerFind:
 * @proc: a remote procedure number
 *
 * Returns: the handler of a node-device procedure that calls the driver,
 * or NULL (connection procedures are the server's own).
 */
ndRPCNodeDevHandler
ndRPCNodeDevHandlerFind(int proc)
{
    switch ((enum ndr_procedure) proc) {
    case NDR_PROC_NODE_NUM_OF_DEVICES:
        return numOfDevices;
    case NDR_PROC_NODE_LIST_DEVICES:
        return listDevices;
    case NDR_PROC_NODE_DEVICE_LOOKUP_BY_NAME:
        return lookupByName;
    case NDR_PROC_NODE_DEVICE_LOOKUP_SCSI_HOST_BY_WWN:
        return lookupSCSIHostByWWN;
    case NDR_PROC_NODE_DEVICE_GET_XML_DESC:
        return getXMLDesc;
    case NDR_PROC_NODE_DEVICE_GET_PARENT:
        return getParent;
    case NDR_PROC_NODE_DEVICE_NUM_OF_CAPS:
        return numOfCaps;
    case NDR_PROC_NODE_DEVICE_LIST_CAPS:
        return listCaps;
    case NDR_PROC_NODE_DEVICE_CREATE_XML:
        return createXML;
    case NDR_PROC_NODE_DEVICE_DESTROY:
        return destroy;
    case NDR_PROC_CONNECT_LIST_ALL_NODE_DEVICES:
        return listAll;
    case NDR_PROC_NODE_DEVICE_DEFINE_XML:
        return defineXML;
    case NDR_PROC_NODE_DEVICE_UNDEFINE:
        return undefine;
    case NDR_PROC_NODE_DEVICE_CREATE:
        return create;
    case NDR_PROC_NODE_DEVICE_GET_AUTOSTART:
        return getAutostart;
    case NDR_PROC_NODE_DEVICE_SET_AUTOSTART:
        return setAutostart;
    case NDR_PROC_NODE_DEVICE_IS_PERSISTENT:
        return isPersistent;
    case NDR_PROC_NODE_DEVICE_IS_ACTIVE:
        return isActive;
    case NDR_PROC_CONNECT_OPEN:
    case NDR_PROC_CONNECT_CLOSE:
    case NDR_PROC_CONNECT_SUPPORTS_FEATURE:
    case NDR_PROC_AUTH_LIST:
    case NDR_PROC_CONNECT_GET_URI:
    case NDR_PROC_CONNECT_IS_SECURE:
    case NDR_PROC_CONNECT_REGISTER_CLOSE_CALLBACK:
    case NDR_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK:
    case NDR_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY:
    case NDR_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY:
    case NDR_PROC_NODE_DEVICE_EVENT_LIFECYCLE:
    case NDR_PROC_NODE_DEVICE_EVENT_UPDATE:
        break;
    }
    return NULL;
}
