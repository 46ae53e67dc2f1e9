/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing libvirt's node-device XML into ndNodeDeviceDef: one ...ParseXML
 * per capability; every bad input gets an error naming the element and the
 * device, with the error code libvirt uses for the same condition. */
#include <string.h>

#include "node_device_conf.h"
#include "ndxml.h"
#include "util/nderror.h"
#include "util/ndinternal.h"
#include "util/nduuid.h"

/* Restores the XPath context's current node when it goes out of scope. */
typedef struct {
    xmlXPathContext *ctxt;
    xmlNode *node;
} nodeSave;

static void
nodeRestore(nodeSave *save)
{
    save->ctxt->node = save->node;
}

#define ND_XPATH_NODE_AUTORESTORE(c) \
    G_GNUC_UNUSED __attribute__((cleanup(nodeRestore))) \
    nodeSave nd_node_save_ = { (c), (c)->node }

/* ---- generic number helpers --------------------------------------------- */

/*
 * parseUIntElement:
 * Parses the text of the first child element @elem of the current node.
 * @where names the enclosing element for messages ("capability type='pci'").
 * Returns 1 if parsed, 0 if absent and !@required, -1 with @code reported.
 */
static int
parseUIntElement(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
                 const char *where, const char *elem, int base,
                 unsigned int max, gboolean required, int code,
                 unsigned int *ret_value)
{
    g_autofree char *xpath = g_strdup_printf("string(./%s[1])", elem);
    g_autofree char *str = ndXPathString(xpath, ctxt);

    if (!str) {
        if (!required)
            return 0;
        ndReportErrorFull(ND_FROM_NODEDEV, code, __FILE__, __func__, __LINE__,
                          _("missing <%1$s> in <%2$s> of '%3$s'"),
                          elem, where, def->name);
        return -1;
    }
    if (ndParseUInt(str, base, max, ret_value) < 0) {
        ndReportErrorFull(ND_FROM_NODEDEV, code, __FILE__, __func__, __LINE__,
                          _("invalid value '%1$s' of <%2$s> in <%3$s> of '%4$s'"),
                          str, elem, where, def->name);
        return -1;
    }
    return 1;
}

/*
 * parseUIntAttr:
 * Parses attribute @attr of element @node. Returns 1 if parsed, 0 if
 * absent and !@required, -1 with @code reported.
 */
static int
parseUIntAttr(xmlNode *node, const ndNodeDeviceDef *def, const char *attr,
              int base, unsigned int max, gboolean required, int code,
              unsigned int *ret_value)
{
    g_autofree char *str = ndXMLPropString(node, attr);

    if (!str) {
        if (!required)
            return 0;
        ndReportErrorFull(ND_FROM_NODEDEV, code, __FILE__, __func__, __LINE__,
                          _("missing attribute '%1$s' of <%2$s> for '%3$s'"),
                          attr, (const char *) node->name, def->name);
        return -1;
    }
    if (ndParseUInt(str, base, max, ret_value) < 0) {
        ndReportErrorFull(ND_FROM_NODEDEV, code, __FILE__, __func__, __LINE__,
                          _("invalid value '%1$s' of attribute '%2$s' of <%3$s> for '%4$s'"),
                          str, attr, (const char *) node->name, def->name);
        return -1;
    }
    return 1;
}

static void
reportBadAttr(xmlNode *node, const ndNodeDeviceDef *def, const char *attr,
              const char *value, int code)
{
    ndReportErrorFull(ND_FROM_NODEDEV, code, __FILE__, __func__, __LINE__,
                      _("invalid value '%1$s' of attribute '%2$s' of <%3$s> for '%4$s'"),
                      value, attr, (const char *) node->name, def->name);
}

static void
reportMissingAttr(xmlNode *node, const ndNodeDeviceDef *def, const char *attr,
                  int code)
{
    ndReportErrorFull(ND_FROM_NODEDEV, code, __FILE__, __func__, __LINE__,
                      _("missing attribute '%1$s' of <%2$s> for '%3$s'"),
                      attr, (const char *) node->name, def->name);
}

/* <address domain='0x0000' bus='0x02' slot='0x10' function='0x7'/>: each
 * attribute optional (0), any base, checked against PCI limits. */
static int
pciAddressParseXML(xmlNode *node, const ndNodeDeviceDef *def,
                   ndPCIAddress **ret_addr)
{
    g_autofree ndPCIAddress *addr = g_new0(ndPCIAddress, 1);

    if (parseUIntAttr(node, def, "domain", 0, G_MAXUINT, FALSE,
                      ND_ERR_XML_ERROR, &addr->domain) < 0 ||
        parseUIntAttr(node, def, "bus", 0, 0xff, FALSE,
                      ND_ERR_XML_ERROR, &addr->bus) < 0 ||
        parseUIntAttr(node, def, "slot", 0, 0x1f, FALSE,
                      ND_ERR_XML_ERROR, &addr->slot) < 0 ||
        parseUIntAttr(node, def, "function", 0, 7, FALSE,
                      ND_ERR_XML_ERROR, &addr->function) < 0)
        return -1;
    *ret_addr = g_steal_pointer(&addr);
    return 0;
}

/* A nested <capability> must carry a type; returns it or NULL (reported). */
static char *
nestedCapType(xmlNode *node, const ndNodeDeviceDef *def, const char *where)
{
    char *type = ndXMLPropString(node, "type");

    if (!type || type[0] == '\0') {
        ndReportError(ND_ERR_XML_ERROR,
                      _("missing type of a nested <capability> in <%1$s> of '%2$s'"),
                      where, def->name);
        g_free(type);
        return NULL;
    }
    return type;
}

static void
reportUnknownNested(const char *type, const ndNodeDeviceDef *def,
                    const char *where)
{
    ndReportError(ND_ERR_XML_ERROR,
                  _("unknown nested capability type '%1$s' in <%2$s> of '%3$s'"),
                  type, where, def->name);
}

static void
reportDuplicateNested(const char *type, const ndNodeDeviceDef *def,
                      const char *where)
{
    ndReportError(ND_ERR_XML_ERROR,
                  _("duplicate nested capability type '%1$s' in <%2$s> of '%3$s'"),
                  type, where, def->name);
}

/* ---- mdev_types ---------------------------------------------------------- */

static int
mdevTypesParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
                  xmlNode *node, GPtrArray *types)
{
    ND_XPATH_NODE_AUTORESTORE(ctxt);
    g_autoptr(GPtrArray) nodes = NULL;
    guint i;

    ctxt->node = node;
    nodes = ndXPathNodes("./type", ctxt);
    if (nodes->len == 0) {
        ndReportError(ND_ERR_XML_ERROR,
                      _("missing <type> in the mdev_types capability of '%1$s'"),
                      def->name);
        return -1;
    }

    for (i = 0; i < nodes->len; i++) {
        g_autoptr(ndMdevType) type = g_new0(ndMdevType, 1);
        g_autofree char *avail = NULL;

        ctxt->node = g_ptr_array_index(nodes, i);
        if (!(type->id = ndXPathString("string(./@id)", ctxt))) {
            ndReportError(ND_ERR_XML_ERROR,
                          _("missing 'id' attribute of a mediated device <type> for '%1$s'"),
                          def->name);
            return -1;
        }
        if (!(type->device_api = ndXPathString("string(./deviceAPI[1])", ctxt))) {
            ndReportError(ND_ERR_XML_ERROR,
                          _("missing device API for mediated device type '%1$s' of '%2$s'"),
                          type->id, def->name);
            return -1;
        }
        if (!(avail = ndXPathString("string(./availableInstances[1])", ctxt))) {
            ndReportError(ND_ERR_XML_ERROR,
                          _("missing number of available instances for mediated device type '%1$s' of '%2$s'"),
                          type->id, def->name);
            return -1;
        }
        if (ndParseUInt(avail, 10, G_MAXUINT, &type->available_instances) < 0) {
            ndReportError(ND_ERR_XML_ERROR,
                          _("invalid number of available instances '%1$s' for mediated device type '%2$s' of '%3$s'"),
                          avail, type->id, def->name);
            return -1;
        }
        type->name = ndXPathString("string(./name[1])", ctxt);
        g_ptr_array_add(types, g_steal_pointer(&type));
    }
    return 0;
}

/* ---- system -------------------------------------------------------------- */

static int
capSystemParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
                  ndNodeDevCapSystem *sys)
{
    g_autofree char *uuid = NULL;

    sys->product_name = ndXPathString("string(./product[1])", ctxt);
    sys->hardware_vendor = ndXPathString("string(./hardware/vendor[1])", ctxt);
    sys->hardware_version = ndXPathString("string(./hardware/version[1])", ctxt);
    sys->hardware_serial = ndXPathString("string(./hardware/serial[1])", ctxt);

    if (!(uuid = ndXPathString("string(./hardware/uuid[1])", ctxt))) {
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("no system UUID supplied for '%1$s'"), def->name);
        return -1;
    }
    if (!(sys->hardware_uuid = ndUUIDCanonicalize(uuid))) {
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("malformed system UUID '%1$s' for '%2$s'"),
                      uuid, def->name);
        return -1;
    }

    sys->firmware_vendor = ndXPathString("string(./firmware/vendor[1])", ctxt);
    sys->firmware_version = ndXPathString("string(./firmware/version[1])", ctxt);
    sys->firmware_release_date =
        ndXPathString("string(./firmware/release_date[1])", ctxt);
    return 0;
}

/* ---- pci: VPD ------------------------------------------------------------ */

static int
vpdFieldsParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
                  const char *elem, const char *indexes, GPtrArray *fields)
{
    g_autofree char *xpath = g_strdup_printf("./%s", elem);
    g_autoptr(GPtrArray) nodes = ndXPathNodes(xpath, ctxt);
    guint i;

    for (i = 0; i < nodes->len; i++) {
        xmlNode *node = g_ptr_array_index(nodes, i);
        g_autofree char *index = ndXMLPropString(node, "index");
        g_autofree char *value = NULL;

        if (!index) {
            reportMissingAttr(node, def, "index", ND_ERR_XML_ERROR);
            return -1;
        }
        if (strlen(index) != 1 || !strchr(indexes, index[0])) {
            reportBadAttr(node, def, "index", index, ND_ERR_XML_ERROR);
            return -1;
        }
        value = ndXMLNodeContent(node);
        if (value[0] == '\0') {
            ndReportError(ND_ERR_XML_ERROR,
                          _("missing value of VPD <%1$s index='%2$s'> for '%3$s'"),
                          elem, index, def->name);
            return -1;
        }
        ndPCIVPDFieldsAdd(fields, index[0], value);
    }
    return 0;
}

#define VPD_VENDOR_INDEXES "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
/* YA is the asset tag, which has its own element */
#define VPD_SYSTEM_INDEXES "0123456789BCDEFGHIJKLMNOPQRSTUVWXYZ"

static int
vpdParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def, xmlNode *node,
            ndPCIVPD **ret_vpd)
{
    ND_XPATH_NODE_AUTORESTORE(ctxt);
    g_autoptr(ndPCIVPD) vpd = ndPCIVPDNew();
    g_autoptr(GPtrArray) nodes = NULL;
    guint i;

    ctxt->node = node;
    if (!(vpd->name = ndXPathString("string(./name[1])", ctxt))) {
        ndReportError(ND_ERR_XML_ERROR,
                      _("missing <name> in <capability type='vpd'> of '%1$s'"),
                      def->name);
        return -1;
    }

    nodes = ndXPathNodes("./fields", ctxt);
    for (i = 0; i < nodes->len; i++) {
        xmlNode *fnode = g_ptr_array_index(nodes, i);
        g_autofree char *access = ndXMLPropString(fnode, "access");

        ctxt->node = fnode;
        if (!access) {
            reportMissingAttr(fnode, def, "access", ND_ERR_XML_ERROR);
            return -1;
        }
        if (strcmp(access, "readonly") == 0) {
            if (vpd->ro) {
                ndReportError(ND_ERR_XML_ERROR,
                              _("duplicate VPD <fields access='%1$s'> for '%2$s'"),
                              access, def->name);
                return -1;
            }
            vpd->ro = ndPCIVPDReadOnlyNew();
            vpd->ro->change_level = ndXPathString("string(./change_level[1])", ctxt);
            vpd->ro->manufacture_id = ndXPathString("string(./manufacture_id[1])", ctxt);
            vpd->ro->part_number = ndXPathString("string(./part_number[1])", ctxt);
            vpd->ro->serial_number = ndXPathString("string(./serial_number[1])", ctxt);
            if (vpdFieldsParseXML(ctxt, def, "vendor_field", VPD_VENDOR_INDEXES,
                                  vpd->ro->vendor_fields) < 0)
                return -1;
        } else if (strcmp(access, "readwrite") == 0) {
            if (vpd->rw) {
                ndReportError(ND_ERR_XML_ERROR,
                              _("duplicate VPD <fields access='%1$s'> for '%2$s'"),
                              access, def->name);
                return -1;
            }
            vpd->rw = ndPCIVPDReadWriteNew();
            vpd->rw->asset_tag = ndXPathString("string(./asset_tag[1])", ctxt);
            if (vpdFieldsParseXML(ctxt, def, "vendor_field", VPD_VENDOR_INDEXES,
                                  vpd->rw->vendor_fields) < 0 ||
                vpdFieldsParseXML(ctxt, def, "system_field", VPD_SYSTEM_INDEXES,
                                  vpd->rw->system_fields) < 0)
                return -1;
        } else {
            reportBadAttr(fnode, def, "access", access, ND_ERR_XML_ERROR);
            return -1;
        }
    }

    *ret_vpd = g_steal_pointer(&vpd);
    return 0;
}

/* ---- pci ----------------------------------------------------------------- */

static int
pciLinkParseXML(xmlNode *node, const ndNodeDeviceDef *def,
                ndPCIELink **ret_link)
{
    g_autofree ndPCIELink *lnk = g_new0(ndPCIELink, 1);
    g_autofree char *speed = ndXMLPropString(node, "speed");
    g_autofree char *port = ndXMLPropString(node, "port");

    if (parseUIntAttr(node, def, "width", 0, G_MAXINT, TRUE,
                      ND_ERR_XML_DETAIL, &lnk->width) < 0)
        return -1;
    if (speed) {
        int val = ndPCIELinkSpeedFromString(speed);

        if (val < 0) {
            reportBadAttr(node, def, "speed", speed, ND_ERR_XML_DETAIL);
            return -1;
        }
        lnk->speed = val;
    }
    lnk->port = -1;
    if (port && ndParseInt(port, &lnk->port) < 0) {
        reportBadAttr(node, def, "port", port, ND_ERR_XML_DETAIL);
        return -1;
    }
    *ret_link = g_steal_pointer(&lnk);
    return 0;
}

static int
pciExpressParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
                   xmlNode *node, ndNodeDevCapPCIDev *pci)
{
    ND_XPATH_NODE_AUTORESTORE(ctxt);
    xmlNode *lnk;

    ctxt->node = node;
    pci->is_pcie = TRUE;
    if ((lnk = ndXPathNode("./link[@validity='cap']", ctxt)) &&
        pciLinkParseXML(lnk, def, &pci->link_cap) < 0)
        return -1;
    if ((lnk = ndXPathNode("./link[@validity='sta']", ctxt)) &&
        pciLinkParseXML(lnk, def, &pci->link_sta) < 0)
        return -1;
    return 0;
}

static int
pciIommuGroupParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
                      xmlNode *node, ndNodeDevCapPCIDev *pci)
{
    ND_XPATH_NODE_AUTORESTORE(ctxt);
    g_autoptr(GPtrArray) nodes = NULL;
    unsigned int number = 0;
    guint i;

    if (parseUIntAttr(node, def, "number", 10, G_MAXINT, TRUE,
                      ND_ERR_XML_ERROR, &number) < 0)
        return -1;
    pci->iommu_group_number = (int) number;

    ctxt->node = node;
    nodes = ndXPathNodes("./address", ctxt);
    for (i = 0; i < nodes->len; i++) {
        ndPCIAddress *addr = NULL;

        if (pciAddressParseXML(g_ptr_array_index(nodes, i), def, &addr) < 0)
            return -1;
        g_ptr_array_add(pci->iommu_group_devices, addr);
    }
    return 0;
}

static int
pciNestedCapParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
                     xmlNode *node, ndNodeDevCapPCIDev *pci, guint *seen)
{
    ND_XPATH_NODE_AUTORESTORE(ctxt);
    const char *where = "capability type='pci'";
    g_autofree char *type = NULL;
    g_autoptr(GPtrArray) nodes = NULL;
    guint bit;
    guint i;

    if (!(type = nestedCapType(node, def, where)))
        return -1;
    ctxt->node = node;

    if (strcmp(type, "phys_function") == 0) {
        bit = 1 << 0;
    } else if (strcmp(type, "virt_functions") == 0) {
        bit = 1 << 1;
    } else if (strcmp(type, "pci-bridge") == 0 ||
               strcmp(type, "cardbus-bridge") == 0) {
        bit = 1 << 2;
    } else if (strcmp(type, "mdev_types") == 0) {
        bit = 1 << 3;
    } else if (strcmp(type, "vpd") == 0) {
        bit = 1 << 4;
    } else {
        reportUnknownNested(type, def, where);
        return -1;
    }
    if (*seen & bit) {
        reportDuplicateNested(type, def, where);
        return -1;
    }
    *seen |= bit;

    switch (bit) {
    case 1 << 0: {
        xmlNode *addr = ndXPathNode("./address[1]", ctxt);

        if (!addr) {
            ndReportError(ND_ERR_XML_ERROR,
                          _("missing <address> in the phys_function capability of '%1$s'"),
                          def->name);
            return -1;
        }
        return pciAddressParseXML(addr, def, &pci->phys_function);
    }
    case 1 << 1:
        pci->has_virt_functions = TRUE;
        if (parseUIntAttr(node, def, "maxCount", 10, G_MAXUINT, FALSE,
                          ND_ERR_XML_ERROR, &pci->max_virt_functions) < 0)
            return -1;
        nodes = ndXPathNodes("./address", ctxt);
        for (i = 0; i < nodes->len; i++) {
            ndPCIAddress *addr = NULL;

            if (pciAddressParseXML(g_ptr_array_index(nodes, i), def, &addr) < 0)
                return -1;
            g_ptr_array_add(pci->virt_functions, addr);
        }
        return 0;
    case 1 << 2:
        pci->hdr_type = strcmp(type, "pci-bridge") == 0 ?
            ND_PCI_HEADER_PCI_BRIDGE : ND_PCI_HEADER_CARDBUS_BRIDGE;
        return 0;
    case 1 << 3:
        return mdevTypesParseXML(ctxt, def, node, pci->mdev_types);
    case 1 << 4:
        return vpdParseXML(ctxt, def, node, &pci->vpd);
    }
    g_assert_not_reached();
    return -1;
}

static int
capPCIParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
               ndNodeDevCapPCIDev *pci)
{
    const char *where = "capability type='pci'";
    g_autofree char *klass = NULL;
    g_autoptr(GPtrArray) nodes = NULL;
    xmlNode *node;
    guint seen = 0;
    guint i;

    if ((klass = ndXPathString("string(./class[1])", ctxt))) {
        unsigned int val;

        if (ndParseUInt(klass, 16, 0xffffff, &val) < 0) {
            ndReportError(ND_ERR_INTERNAL_ERROR,
                          _("invalid PCI class '%1$s' supplied for '%2$s'"),
                          klass, def->name);
            return -1;
        }
        pci->klass = (int) val;
    }

    /* libvirt prints <domain> with %d: keep it in int range */
    if (parseUIntElement(ctxt, def, where, "domain", 10, G_MAXINT, TRUE,
                         ND_ERR_INTERNAL_ERROR, &pci->domain) < 0 ||
        parseUIntElement(ctxt, def, where, "bus", 10, G_MAXUINT, TRUE,
                         ND_ERR_INTERNAL_ERROR, &pci->bus) < 0 ||
        parseUIntElement(ctxt, def, where, "slot", 10, G_MAXUINT, TRUE,
                         ND_ERR_INTERNAL_ERROR, &pci->slot) < 0 ||
        parseUIntElement(ctxt, def, where, "function", 10, G_MAXUINT, TRUE,
                         ND_ERR_INTERNAL_ERROR, &pci->function) < 0)
        return -1;

    if (!(node = ndXPathNode("./vendor[1]", ctxt))) {
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("no PCI vendor ID supplied for '%1$s'"), def->name);
        return -1;
    }
    if (parseUIntAttr(node, def, "id", 16, 0xffff, TRUE,
                      ND_ERR_INTERNAL_ERROR, &pci->vendor) < 0)
        return -1;
    if (!(node = ndXPathNode("./product[1]", ctxt))) {
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("no PCI product ID supplied for '%1$s'"), def->name);
        return -1;
    }
    if (parseUIntAttr(node, def, "id", 16, 0xffff, TRUE,
                      ND_ERR_INTERNAL_ERROR, &pci->product) < 0)
        return -1;
    pci->vendor_name = ndXPathString("string(./vendor[1])", ctxt);
    pci->product_name = ndXPathString("string(./product[1])", ctxt);

    nodes = ndXPathNodes("./capability", ctxt);
    for (i = 0; i < nodes->len; i++) {
        if (pciNestedCapParseXML(ctxt, def, g_ptr_array_index(nodes, i),
                                 pci, &seen) < 0)
            return -1;
    }

    if ((node = ndXPathNode("./iommuGroup[1]", ctxt)) &&
        pciIommuGroupParseXML(ctxt, def, node, pci) < 0)
        return -1;

    if ((node = ndXPathNode("./numa[1]", ctxt))) {
        g_autofree char *numa = ndXMLPropString(node, "node");

        if (numa && ndParseInt(numa, &pci->numa_node) < 0) {
            ndReportError(ND_ERR_INTERNAL_ERROR,
                          _("invalid NUMA node ID '%1$s' supplied for '%2$s'"),
                          numa, def->name);
            return -1;
        }
    }

    if ((node = ndXPathNode("./pci-express[1]", ctxt)) &&
        pciExpressParseXML(ctxt, def, node, pci) < 0)
        return -1;

    return 0;
}

/* ---- mdev ---------------------------------------------------------------- */

/* A name that becomes one sysfs path component: no '/', not "." or "..". */
static gboolean
isPathComponent(const char *name)
{
    return name[0] != '\0' && !strchr(name, '/') &&
           strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* An attribute name: one path component ("assign_adapter"), or two joined
 * by a single '/' for a vendor folder of the device ("vendor/knob"), as
 * util's attribute writer accepts. */
static gboolean
isAttrName(const char *name)
{
    const char *slash = strchr(name, '/');
    g_autofree char *dir = NULL;

    if (!slash)
        return isPathComponent(name);
    dir = g_strndup(name, slash - name);
    return isPathComponent(dir) && isPathComponent(slash + 1);
}

static int
capMdevParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
                ndNodeDeviceParseMode mode, ndNodeDevCapMdev *mdev)
{
    g_autofree char *uuid = NULL;
    g_autofree char *group = NULL;
    g_autoptr(GPtrArray) nodes = NULL;
    guint i;

    if (!(mdev->defined.type = ndXPathString("string(./type[1]/@id)", ctxt))) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("missing type id attribute for '%1$s'"), def->name);
        return -1;
    }
    /* the driver turns the type id into a sysfs path */
    if (mode != ND_NODE_DEVICE_PARSE_EXISTING &&
        !isPathComponent(mdev->defined.type)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("invalid mediated device type id '%1$s' for '%2$s'"),
                      mdev->defined.type, def->name);
        return -1;
    }

    if ((uuid = ndXPathString("string(./uuid[1])", ctxt)) &&
        !(mdev->uuid = ndUUIDCanonicalize(uuid))) {
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("invalid uuid '%1$s' for mediated device '%2$s'"),
                      uuid, def->name);
        return -1;
    }

    if ((group = ndXPathString("string(./iommuGroup[1]/@number)", ctxt)) &&
        ndParseUInt(group, 10, G_MAXUINT, &mdev->iommu_group) < 0) {
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("invalid iommuGroup number attribute '%1$s' for '%2$s'"),
                      group, def->name);
        return -1;
    }

    /* <parent_addr> is output only: the driver computes it from <parent> */

    nodes = ndXPathNodes("./attr", ctxt);
    if (nodes->len > ND_NODE_DEVICE_MDEV_ATTRS_MAX) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("too many mdev attributes for '%1$s': %2$u, the limit is %3$d"),
                      def->name, nodes->len, ND_NODE_DEVICE_MDEV_ATTRS_MAX);
        return -1;
    }
    for (i = 0; i < nodes->len; i++) {
        xmlNode *node = g_ptr_array_index(nodes, i);
        g_autofree char *name = ndXMLPropString(node, "name");
        g_autofree char *value = ndXMLPropString(node, "value");

        if (!name || !value || name[0] == '\0' || value[0] == '\0') {
            ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                          _("mdev attribute missing name or value for '%1$s'"),
                          def->name);
            return -1;
        }
        if (!isAttrName(name)) {
            ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                          _("invalid mdev attribute name '%1$s' for '%2$s'"),
                          name, def->name);
            return -1;
        }
        ndMdevConfigAddAttr(&mdev->defined, name, value);
    }
    return 0;
}

/* ---- ccw, css, ap -------------------------------------------------------- */

static int
ccwAddressParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
                   const char *where, ndCCWAddress *addr)
{
    if (parseUIntElement(ctxt, def, where, "cssid", 0, 0xfe, TRUE,
                         ND_ERR_CONFIG_UNSUPPORTED, &addr->cssid) < 0 ||
        parseUIntElement(ctxt, def, where, "ssid", 0, 0x3, TRUE,
                         ND_ERR_CONFIG_UNSUPPORTED, &addr->ssid) < 0 ||
        parseUIntElement(ctxt, def, where, "devno", 16, 0xffff, TRUE,
                         ND_ERR_CONFIG_UNSUPPORTED, &addr->devno) < 0)
        return -1;
    return 0;
}

static int
capCCWParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
               ndNodeDevCapCCW *ccw)
{
    return ccwAddressParseXML(ctxt, def, "capability type='ccw'", &ccw->addr);
}

/* The nested capabilities of css and ap_matrix: only mdev_types. */
static int
mdevParentNestedParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
                         const char *where, GPtrArray *types)
{
    g_autoptr(GPtrArray) nodes = ndXPathNodes("./capability", ctxt);
    gboolean seen = FALSE;
    guint i;

    for (i = 0; i < nodes->len; i++) {
        xmlNode *node = g_ptr_array_index(nodes, i);
        g_autofree char *type = NULL;

        if (!(type = nestedCapType(node, def, where)))
            return -1;
        if (strcmp(type, "mdev_types") != 0) {
            reportUnknownNested(type, def, where);
            return -1;
        }
        if (seen) {
            reportDuplicateNested(type, def, where);
            return -1;
        }
        seen = TRUE;
        if (mdevTypesParseXML(ctxt, def, node, types) < 0)
            return -1;
    }
    return 0;
}

static int
capCSSParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
               ndNodeDevCapCCW *css)
{
    const char *where = "capability type='css'";
    xmlNode *node;

    if (ccwAddressParseXML(ctxt, def, where, &css->addr) < 0)
        return -1;

    if ((node = ndXPathNode("./channel_dev_addr[1]", ctxt))) {
        ND_XPATH_NODE_AUTORESTORE(ctxt);
        g_autofree ndCCWAddress *addr = g_new0(ndCCWAddress, 1);

        ctxt->node = node;
        if (ccwAddressParseXML(ctxt, def, "channel_dev_addr", addr) < 0)
            return -1;
        css->channel_dev_addr = g_steal_pointer(&addr);
    }

    return mdevParentNestedParseXML(ctxt, def, where, css->mdev_types);
}

static int
capAPCardParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
                  ndNodeDevCapAPCard *card)
{
    return parseUIntElement(ctxt, def, "capability type='ap_card'",
                            "ap-adapter", 0, 0xff, TRUE,
                            ND_ERR_CONFIG_UNSUPPORTED, &card->ap_adapter) < 0 ?
        -1 : 0;
}

static int
capAPQueueParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
                   ndNodeDevCapAPQueue *queue)
{
    const char *where = "capability type='ap_queue'";

    if (parseUIntElement(ctxt, def, where, "ap-adapter", 0, 0xff, TRUE,
                         ND_ERR_CONFIG_UNSUPPORTED, &queue->ap_adapter) < 0 ||
        parseUIntElement(ctxt, def, where, "ap-domain", 0, 0xff, TRUE,
                         ND_ERR_CONFIG_UNSUPPORTED, &queue->ap_domain) < 0)
        return -1;
    return 0;
}

static int
capAPMatrixParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def,
                    ndNodeDevCapAPMatrix *matrix)
{
    return mdevParentNestedParseXML(ctxt, def, "capability type='ap_matrix'",
                                    matrix->mdev_types);
}

/* ---- the device ---------------------------------------------------------- */

static int
capParseXML(xmlXPathContext *ctxt, const ndNodeDeviceDef *def, xmlNode *node,
            ndNodeDeviceParseMode mode, ndNodeDevCapsDef **ret_cap)
{
    ND_XPATH_NODE_AUTORESTORE(ctxt);
    g_autoptr(ndNodeDevCapsDef) cap = NULL;
    g_autofree char *type_str = ndXMLPropString(node, "type");
    int type;
    int rc = -1;

    /* libvirt reports these two from its XML helpers, in their domain */
    if (!type_str) {
        ndReportErrorFull(ND_FROM_XML, ND_ERR_XML_ERROR,
                          __FILE__, __func__, __LINE__,
                          _("missing type attribute of <capability> for '%1$s'"),
                          def->name);
        return -1;
    }
    if ((type = ndNodeDevCapTypeFromString(type_str)) < 0) {
        ndReportErrorFull(ND_FROM_XML, ND_ERR_XML_ERROR,
                          __FILE__, __func__, __LINE__,
                          _("unknown capability type '%1$s' for '%2$s'"),
                          type_str, def->name);
        return -1;
    }
    if (!ndNodeDevCapTypeIsSupported(type)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("unsupported capability type '%1$s' for '%2$s'"),
                      type_str, def->name);
        return -1;
    }

    cap = ndNodeDevCapsDefNew(type);
    ctxt->node = node;

    switch ((ndNodeDevCapType) type) {
    case ND_NODE_DEV_CAP_SYSTEM:
        rc = capSystemParseXML(ctxt, def, &cap->data.system);
        break;
    case ND_NODE_DEV_CAP_PCI_DEV:
        rc = capPCIParseXML(ctxt, def, &cap->data.pci_dev);
        break;
    case ND_NODE_DEV_CAP_MDEV:
        rc = capMdevParseXML(ctxt, def, mode, &cap->data.mdev);
        break;
    case ND_NODE_DEV_CAP_CCW_DEV:
        rc = capCCWParseXML(ctxt, def, &cap->data.ccw_dev);
        break;
    case ND_NODE_DEV_CAP_CSS_DEV:
        rc = capCSSParseXML(ctxt, def, &cap->data.ccw_dev);
        break;
    case ND_NODE_DEV_CAP_AP_CARD:
        rc = capAPCardParseXML(ctxt, def, &cap->data.ap_card);
        break;
    case ND_NODE_DEV_CAP_AP_QUEUE:
        rc = capAPQueueParseXML(ctxt, def, &cap->data.ap_queue);
        break;
    case ND_NODE_DEV_CAP_AP_MATRIX:
        rc = capAPMatrixParseXML(ctxt, def, &cap->data.ap_matrix);
        break;
    case ND_NODE_DEV_CAP_USB_DEV:
    case ND_NODE_DEV_CAP_USB_INTERFACE:
    case ND_NODE_DEV_CAP_NET:
    case ND_NODE_DEV_CAP_SCSI_HOST:
    case ND_NODE_DEV_CAP_SCSI_TARGET:
    case ND_NODE_DEV_CAP_SCSI:
    case ND_NODE_DEV_CAP_STORAGE:
    case ND_NODE_DEV_CAP_FC_HOST:
    case ND_NODE_DEV_CAP_VPORTS:
    case ND_NODE_DEV_CAP_SCSI_GENERIC:
    case ND_NODE_DEV_CAP_DRM:
    case ND_NODE_DEV_CAP_MDEV_TYPES:
    case ND_NODE_DEV_CAP_VDPA:
    case ND_NODE_DEV_CAP_VPD:
    case ND_NODE_DEV_CAP_LAST:
        g_assert_not_reached();
        break;
    }
    if (rc < 0)
        return -1;

    *ret_cap = g_steal_pointer(&cap);
    return 0;
}

static int
devnodesParseXML(xmlXPathContext *ctxt, ndNodeDeviceDef *def)
{
    g_autoptr(GPtrArray) nodes = ndXPathNodes("./devnode", ctxt);
    guint i;

    for (i = 0; i < nodes->len; i++) {
        xmlNode *node = g_ptr_array_index(nodes, i);
        g_autofree char *type = ndXMLPropString(node, "type");

        if (!type) {
            reportMissingAttr(node, def, "type", ND_ERR_XML_ERROR);
            return -1;
        }
        if (strcmp(type, "dev") == 0) {
            g_free(def->devnode);
            def->devnode = ndXMLNodeContent(node);
        } else if (strcmp(type, "link") == 0) {
            g_ptr_array_add(def->devlinks, ndXMLNodeContent(node));
        } else {
            reportBadAttr(node, def, "type", type, ND_ERR_XML_ERROR);
            return -1;
        }
    }
    return 0;
}

static ndNodeDeviceDef *
deviceParseXML(xmlXPathContext *ctxt, ndNodeDeviceParseMode mode)
{
    g_autoptr(ndNodeDeviceDef) def = ndNodeDeviceDefNew();
    g_autoptr(GPtrArray) nodes = NULL;
    guint i;

    if (mode == ND_NODE_DEVICE_PARSE_EXISTING) {
        if (!(def->name = ndXPathString("string(./name[1])", ctxt))) {
            ndReportError(ND_ERR_NO_NAME, "%s",
                          _("<device>: the element has no <name>"));
            return NULL;
        }
    } else {
        def->name = g_strdup(ND_NODE_DEVICE_NEW_NAME);
    }

    def->sysfs_path = ndXPathString("string(./path[1])", ctxt);
    if (devnodesParseXML(ctxt, def) < 0)
        return NULL;
    def->parent = ndXPathString("string(./parent[1])", ctxt);
    /* <driver> is output only, as in libvirt */

    nodes = ndXPathNodes("./capability", ctxt);
    if (nodes->len == 0) {
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("no device capabilities for '%1$s'"), def->name);
        return NULL;
    }
    for (i = 0; i < nodes->len; i++) {
        ndNodeDevCapsDef *cap = NULL;

        if (capParseXML(ctxt, def, g_ptr_array_index(nodes, i), mode, &cap) < 0)
            return NULL;
        ndNodeDeviceDefAddCap(def, &cap);
    }

    return g_steal_pointer(&def);
}

/**
 * ndNodeDeviceSchemaPath:
 *
 * Returns where nodedev.rng is (caller frees): $ND_SCHEMA_DIR, else the
 * installed data directory, else (an uninstalled build) the source tree.
 */
char *
ndNodeDeviceSchemaPath(void)
{
    const char *dir = g_getenv("ND_SCHEMA_DIR");
    g_autofree char *installed = NULL;

    if (dir && dir[0] != '\0')
        return g_build_filename(dir, "nodedev.rng", NULL);
    installed = g_build_filename(ND_DATADIR, "virtmdevd", "schemas",
                                 "nodedev.rng", NULL);
    if (g_file_test(installed, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer(&installed);
    return g_build_filename(ND_SOURCE_SCHEMA_DIR, "nodedev.rng", NULL);
}

/**
 * ndNodeDeviceValidateString:
 * @xml: a document
 * @schema_path: RelaxNG file or NULL (ndNodeDeviceSchemaPath())
 *
 * Returns 0 if @xml is well-formed and valid, else -1 with an error.
 */
int
ndNodeDeviceValidateString(const char *xml, const char *schema_path)
{
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    g_autofree char *path = NULL;

    if (!(doc = ndXMLParse(xml, "device", &ctxt)))
        return -1;
    if (!schema_path)
        schema_path = path = ndNodeDeviceSchemaPath();
    return ndXMLValidate(doc, schema_path);
}

/**
 * ndNodeDeviceDefParseString:
 * @xml: the document
 * @mode: existing device, or create/define input
 * @flags: ndNodeDeviceParseFlags
 * @schema_path: RelaxNG file for VALIDATE, or NULL to look it up
 * @cb: post-parse and validate callbacks, or NULL
 *
 * Returns the definition (caller frees) or NULL with an error reported.
 */
ndNodeDeviceDef *
ndNodeDeviceDefParseString(const char *xml, ndNodeDeviceParseMode mode,
                           unsigned int flags, const char *schema_path,
                           const ndNodeDeviceParseCallbacks *cb)
{
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(ndNodeDeviceDef) def = NULL;

    /* free the context before the document it points into */
    if (!(doc = ndXMLParse(xml, "device", &ctxt)))
        return NULL;

    if (flags & ND_NODE_DEVICE_PARSE_VALIDATE) {
        g_autofree char *path = NULL;

        if (!schema_path)
            schema_path = path = ndNodeDeviceSchemaPath();
        if (ndXMLValidate(doc, schema_path) < 0)
            return NULL;
    }

    if (!(def = deviceParseXML(ctxt, mode)))
        return NULL;

    if (cb && cb->post_parse && cb->post_parse(def, mode, cb->opaque) < 0)
        return NULL;
    if (cb && cb->validate && cb->validate(def, mode, cb->opaque) < 0)
        return NULL;

    return g_steal_pointer(&def);
}
