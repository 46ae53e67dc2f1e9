/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node-device data model and libvirt's node-device XML: parse, validate
 * against our RelaxNG schema, and format byte-identical to libvirt.
 *
 * conf never reads sysfs: the driver fills these structures from sysfs and
 * hands them here to be formatted, or gets them from here parsed from a
 * client's XML. Strings are owned, NUL-terminated UTF-8; NULL means "unknown"
 * and the formatter leaves the element out.
 */
#pragma once

#include <glib.h>

/* At most this many <attr> elements per mediated device (vfio-ap assigns up
 * to 256 adapters + 256 domains + 256 control domains). */
#define ND_NODE_DEVICE_MDEV_ATTRS_MAX 1024

/* The name the parser gives a device parsed for create/define; the driver
 * replaces it with mdev_<uuid>_<parent addr>. */
#define ND_NODE_DEVICE_NEW_NAME "new device"

/* Capability types: libvirt's names and order (virNodeDevCapType). Not all
 * are parsed or formatted: see ndNodeDevCapTypeIsSupported(). */
typedef enum {
    ND_NODE_DEV_CAP_SYSTEM,          /* "system" */
    ND_NODE_DEV_CAP_PCI_DEV,         /* "pci" */
    ND_NODE_DEV_CAP_USB_DEV,         /* "usb_device" */
    ND_NODE_DEV_CAP_USB_INTERFACE,   /* "usb" */
    ND_NODE_DEV_CAP_NET,             /* "net" */
    ND_NODE_DEV_CAP_SCSI_HOST,       /* "scsi_host" */
    ND_NODE_DEV_CAP_SCSI_TARGET,     /* "scsi_target" */
    ND_NODE_DEV_CAP_SCSI,            /* "scsi" */
    ND_NODE_DEV_CAP_STORAGE,         /* "storage" */
    ND_NODE_DEV_CAP_FC_HOST,         /* "fc_host" */
    ND_NODE_DEV_CAP_VPORTS,          /* "vports" */
    ND_NODE_DEV_CAP_SCSI_GENERIC,    /* "scsi_generic" */
    ND_NODE_DEV_CAP_DRM,             /* "drm" */
    ND_NODE_DEV_CAP_MDEV_TYPES,      /* "mdev_types" (nested only for us) */
    ND_NODE_DEV_CAP_MDEV,            /* "mdev" */
    ND_NODE_DEV_CAP_CCW_DEV,         /* "ccw" */
    ND_NODE_DEV_CAP_CSS_DEV,         /* "css" */
    ND_NODE_DEV_CAP_VDPA,            /* "vdpa" */
    ND_NODE_DEV_CAP_AP_CARD,         /* "ap_card" */
    ND_NODE_DEV_CAP_AP_QUEUE,        /* "ap_queue" */
    ND_NODE_DEV_CAP_AP_MATRIX,       /* "ap_matrix" */
    ND_NODE_DEV_CAP_VPD,             /* "vpd" (nested in pci) */

    ND_NODE_DEV_CAP_LAST,
} ndNodeDevCapType;

/* Returns the XML name of @type, or NULL if out of range. */
const char *ndNodeDevCapTypeToString(int type);
/* Returns the enum value for @str, or -1 if unknown (no error reported). */
int ndNodeDevCapTypeFromString(const char *str);
/* TRUE for the top-level capabilities this project parses and formats:
 * system, pci, mdev, ccw, css, ap_card, ap_queue, ap_matrix. */
gboolean ndNodeDevCapTypeIsSupported(ndNodeDevCapType type);

/* ---- addresses ---------------------------------------------------------- */

typedef struct _ndPCIAddress ndPCIAddress;
struct _ndPCIAddress {
    unsigned int domain;
    unsigned int bus;        /* <= 0xff */
    unsigned int slot;       /* <= 0x1f */
    unsigned int function;   /* <= 7 */
};

/* "%04x:%02x:%02x.%d", e.g. "0000:00:02.0" (sysfs name, mdev parent_addr).
 * Caller frees. */
char *ndPCIAddressFormat(const ndPCIAddress *addr);
/* Parses a sysfs PCI name "DDDD:BB:SS.F" (hex, function 0-7). Returns 0, or
 * -1 without reporting an error. */
int ndPCIAddressParse(const char *str, ndPCIAddress *ret_addr);

typedef struct _ndCCWAddress ndCCWAddress;
struct _ndCCWAddress {
    unsigned int cssid;      /* <= 0xfe */
    unsigned int ssid;       /* <= 3 */
    unsigned int devno;      /* <= 0xffff */
};

/* "%x.%x.%04x", e.g. "0.0.0052" (css/ccw sysfs name, mdev parent_addr).
 * Caller frees. */
char *ndCCWAddressFormat(const ndCCWAddress *addr);

/* ---- mediated device types and configs --------------------------------- */

/* One supported type of an mdev parent (mdev_supported_types/<id>/). */
typedef struct _ndMdevType ndMdevType;
struct _ndMdevType {
    char *id;                         /* directory name, e.g. "nvidia-11" */
    char *name;                       /* sysfs 'name', NULL if absent */
    char *device_api;                 /* "vfio-pci", "vfio-ccw", "vfio-ap" */
    unsigned int available_instances;
};

/* Returns a new type holding copies of the strings (@name may be NULL). */
ndMdevType *ndMdevTypeNew(const char *id, const char *name,
                          const char *device_api,
                          unsigned int available_instances);
void ndMdevTypeFree(ndMdevType *type);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndMdevType, ndMdevTypeFree);
/* Deep copy; @type must not be NULL. */
ndMdevType *ndMdevTypeCopy(const ndMdevType *type);
/* A GPtrArray of ndMdevType * that frees its elements. */
GPtrArray *ndMdevTypeListNew(void);

/* One <attr name='' value=''/>: written to the device's sysfs file @name. */
typedef struct _ndMdevAttr ndMdevAttr;
struct _ndMdevAttr {
    char *name;
    char *value;
};

ndMdevAttr *ndMdevAttrNew(const char *name, const char *value);
void ndMdevAttrFree(ndMdevAttr *attr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndMdevAttr, ndMdevAttrFree);

/* What an mdev is: its type and attributes, in the order they are applied.
 * Embedded by value in ndNodeDevCapMdev; attrs is always a valid array. */
typedef struct _ndMdevConfig ndMdevConfig;
struct _ndMdevConfig {
    char *type;          /* type id, NULL if unknown */
    GPtrArray *attrs;    /* ndMdevAttr *, document order, repeats allowed */
};

/* Frees what @config holds and leaves it empty (type NULL, no attrs). */
void ndMdevConfigClear(ndMdevConfig *config);
/* Replaces @dst's contents with a deep copy of @src. */
void ndMdevConfigCopy(ndMdevConfig *dst, const ndMdevConfig *src);
/* Appends a copy of (@name, @value) to @config->attrs. */
void ndMdevConfigAddAttr(ndMdevConfig *config, const char *name,
                         const char *value);
/* TRUE if both have the same type and the same attrs in the same order. */
gboolean ndMdevConfigEqual(const ndMdevConfig *a, const ndMdevConfig *b);

/* ---- capability data ---------------------------------------------------- */

typedef struct _ndNodeDevCapSystem ndNodeDevCapSystem;
struct _ndNodeDevCapSystem {
    char *product_name;
    char *hardware_vendor;
    char *hardware_version;
    char *hardware_serial;
    char *hardware_uuid;          /* canonical; NULL formats as all zeros */
    char *firmware_vendor;
    char *firmware_version;
    char *firmware_release_date;
};

typedef enum {
    ND_PCI_HEADER_ENDPOINT,       /* nothing printed */
    ND_PCI_HEADER_PCI_BRIDGE,     /* <capability type='pci-bridge'/> */
    ND_PCI_HEADER_CARDBUS_BRIDGE, /* <capability type='cardbus-bridge'/> */

    ND_PCI_HEADER_LAST,
} ndPCIHeaderType;

typedef enum {
    ND_PCIE_LINK_SPEED_NA,        /* unknown: speed attribute left out */
    ND_PCIE_LINK_SPEED_25,        /* "2.5" */
    ND_PCIE_LINK_SPEED_5,         /* "5" */
    ND_PCIE_LINK_SPEED_8,         /* "8" */
    ND_PCIE_LINK_SPEED_16,        /* "16" */
    ND_PCIE_LINK_SPEED_32,        /* "32" */
    ND_PCIE_LINK_SPEED_64,        /* "64" */

    ND_PCIE_LINK_SPEED_LAST,
} ndPCIELinkSpeed;

const char *ndPCIELinkSpeedToString(int speed);
int ndPCIELinkSpeedFromString(const char *str);

typedef struct _ndPCIELink ndPCIELink;
struct _ndPCIELink {
    int port;                     /* -1: unknown (left out) */
    ndPCIELinkSpeed speed;
    unsigned int width;
};

/* One VPD keyword with a one-character index: V0..VZ, Y0..YZ. */
typedef struct _ndPCIVPDField ndPCIVPDField;
struct _ndPCIVPDField {
    char index;                   /* '0'-'9' or 'A'-'Z' */
    char *value;
};

typedef struct _ndPCIVPDReadOnly ndPCIVPDReadOnly;
struct _ndPCIVPDReadOnly {
    char *change_level;
    char *manufacture_id;
    char *part_number;
    char *serial_number;
    GPtrArray *vendor_fields;     /* ndPCIVPDField *, in order */
};

typedef struct _ndPCIVPDReadWrite ndPCIVPDReadWrite;
struct _ndPCIVPDReadWrite {
    char *asset_tag;
    GPtrArray *vendor_fields;     /* ndPCIVPDField * */
    GPtrArray *system_fields;     /* ndPCIVPDField * */
};

typedef struct _ndPCIVPD ndPCIVPD;
struct _ndPCIVPD {
    char *name;                   /* required */
    ndPCIVPDReadOnly *ro;         /* NULL: no <fields access='readonly'> */
    ndPCIVPDReadWrite *rw;        /* NULL: no <fields access='readwrite'> */
};

/* Allocators with the field arrays set up; Free accepts NULL. */
ndPCIVPD *ndPCIVPDNew(void);
ndPCIVPDReadOnly *ndPCIVPDReadOnlyNew(void);
ndPCIVPDReadWrite *ndPCIVPDReadWriteNew(void);
void ndPCIVPDFree(ndPCIVPD *vpd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndPCIVPD, ndPCIVPDFree);
/* Appends (@index, copy of @value) to @fields. */
void ndPCIVPDFieldsAdd(GPtrArray *fields, char index, const char *value);

typedef struct _ndNodeDevCapPCIDev ndNodeDevCapPCIDev;
struct _ndNodeDevCapPCIDev {
    int klass;                    /* 0..0xffffff, -1 unknown (left out) */
    unsigned int domain;
    unsigned int bus;
    unsigned int slot;
    unsigned int function;
    unsigned int product;
    char *product_name;
    unsigned int vendor;
    char *vendor_name;
    ndPCIAddress *phys_function;  /* set: this is an SR-IOV VF */
    gboolean has_virt_functions;  /* print <capability type='virt_functions'> */
    GPtrArray *virt_functions;    /* ndPCIAddress * */
    unsigned int max_virt_functions; /* sriov_totalvfs, 0 unknown */
    ndPCIHeaderType hdr_type;
    GPtrArray *mdev_types;        /* ndMdevType *; printed if non-empty */
    ndPCIVPD *vpd;                /* NULL: none */
    int iommu_group_number;       /* printed if iommu_group_devices non-empty */
    GPtrArray *iommu_group_devices; /* ndPCIAddress *, itself included */
    int numa_node;                /* -1 unknown (left out) */
    gboolean is_pcie;             /* print <pci-express> */
    ndPCIELink *link_cap;         /* NULL: not known */
    ndPCIELink *link_sta;         /* NULL: not known */
};

/* ccw and css devices: a channel subsystem address. */
typedef struct _ndNodeDevCapCCW ndNodeDevCapCCW;
struct _ndNodeDevCapCCW {
    ndCCWAddress addr;
    ndCCWAddress *channel_dev_addr; /* css only: the ccw device behind it */
    GPtrArray *mdev_types;          /* css only: ndMdevType *, may be empty */
};

typedef struct _ndNodeDevCapAPCard ndNodeDevCapAPCard;
struct _ndNodeDevCapAPCard {
    unsigned int ap_adapter;      /* <= 0xff */
};

typedef struct _ndNodeDevCapAPQueue ndNodeDevCapAPQueue;
struct _ndNodeDevCapAPQueue {
    unsigned int ap_adapter;      /* <= 0xff */
    unsigned int ap_domain;       /* <= 0xff */
};

typedef struct _ndNodeDevCapAPMatrix ndNodeDevCapAPMatrix;
struct _ndNodeDevCapAPMatrix {
    char *addr;                   /* sysfs name, "matrix"; never in XML */
    GPtrArray *mdev_types;        /* ndMdevType *, may be empty */
};

typedef struct _ndNodeDevCapMdev ndNodeDevCapMdev;
struct _ndNodeDevCapMdev {
    char *uuid;                   /* canonical lowercase, NULL if unknown */
    char *parent_addr;            /* set by the driver; never parsed */
    unsigned int iommu_group;     /* always printed, 0 when unknown */
    ndMdevConfig defined;         /* persistent config; the parser fills it */
    ndMdevConfig active;          /* running device's config (live format) */
};

typedef struct _ndNodeDevCapsDef ndNodeDevCapsDef;
struct _ndNodeDevCapsDef {
    ndNodeDevCapType type;
    union {
        ndNodeDevCapSystem system;
        ndNodeDevCapPCIDev pci_dev;
        ndNodeDevCapMdev mdev;
        ndNodeDevCapCCW ccw_dev;  /* ND_NODE_DEV_CAP_CCW_DEV and _CSS_DEV */
        ndNodeDevCapAPCard ap_card;
        ndNodeDevCapAPQueue ap_queue;
        ndNodeDevCapAPMatrix ap_matrix;
    } data;
};

/* A capability of @type with every field at its "unknown" value (klass and
 * numa_node -1, link ports -1, arrays allocated and empty). @type must be
 * supported (ndNodeDevCapTypeIsSupported). */
ndNodeDevCapsDef *ndNodeDevCapsDefNew(ndNodeDevCapType type);
void ndNodeDevCapsDefFree(ndNodeDevCapsDef *cap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndNodeDevCapsDef, ndNodeDevCapsDefFree);

/* ---- the device --------------------------------------------------------- */

typedef struct _ndNodeDeviceDef ndNodeDeviceDef;
struct _ndNodeDeviceDef {
    char *name;
    char *sysfs_path;             /* <path>, NULL unknown */
    char *devnode;                /* <devnode type='dev'>, NULL none */
    GPtrArray *devlinks;          /* char *, <devnode type='link'>, in order */
    char *parent;                 /* parent's name; NULL: no <parent> */
    char *driver;                 /* bound driver; output only, never parsed */
    GPtrArray *caps;              /* ndNodeDevCapsDef *, in document order */
};

/* An empty definition (no name, no caps). */
ndNodeDeviceDef *ndNodeDeviceDefNew(void);
void ndNodeDeviceDefFree(ndNodeDeviceDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndNodeDeviceDef, ndNodeDeviceDefFree);

/* Appends @cap to @def->caps and takes ownership (clears *cap). */
void ndNodeDeviceDefAddCap(ndNodeDeviceDef *def, ndNodeDevCapsDef **cap);

/* The first top-level capability of @type, or NULL (no error). Borrowed:
 * valid as long as @def is. */
ndNodeDevCapsDef *ndNodeDeviceDefFindCap(const ndNodeDeviceDef *def,
                                         ndNodeDevCapType type);

/* The device's mdev_types list (nested in pci, css or ap_matrix), or NULL
 * if it has none of those capabilities. Borrowed. */
GPtrArray *ndNodeDeviceDefFindMdevTypes(const ndNodeDeviceDef *def);

/* ---- parse, validate, format ------------------------------------------- */

typedef enum {
    ND_NODE_DEVICE_PARSE_EXISTING, /* <name> required and kept */
    ND_NODE_DEVICE_PARSE_CREATE,   /* name becomes ND_NODE_DEVICE_NEW_NAME */
    ND_NODE_DEVICE_PARSE_DEFINE,   /* same as create */
} ndNodeDeviceParseMode;

typedef enum {
    /* validate the document against docs/schemas/nodedev.rng first */
    ND_NODE_DEVICE_PARSE_VALIDATE = 1 << 0,
} ndNodeDeviceParseFlags;

/* Steps the driver adds to parsing (libvirt's post-parse and validate
 * callbacks), called in this order after a successful parse. Each returns
 * 0, or -1 with an error reported, which fails the parse. */
typedef struct _ndNodeDeviceParseCallbacks ndNodeDeviceParseCallbacks;
struct _ndNodeDeviceParseCallbacks {
    int (*post_parse)(ndNodeDeviceDef *def, ndNodeDeviceParseMode mode,
                      void *opaque);
    int (*validate)(const ndNodeDeviceDef *def, ndNodeDeviceParseMode mode,
                    void *opaque);
    void *opaque;
};

/**
 * ndNodeDeviceDefParseString:
 * @xml: the document (NUL-terminated, at most ND_MAX_XML_SIZE bytes)
 * @mode: existing device, or input for create/define
 * @flags: ndNodeDeviceParseFlags
 * @schema_path: the RelaxNG file for VALIDATE, or NULL to look it up with
 *               ndNodeDeviceSchemaPath()
 * @cb: the driver's callbacks, or NULL
 *
 * No network and no external entities are ever loaded. <mdev> type and
 * attrs go into the defined config; <driver> and <parent_addr> are ignored.
 *
 * Returns the definition, or NULL with a precise error reported:
 * ND_ERR_XML_DETAIL for malformed XML, VIR_ERR_XML_INVALID_SCHEMA for a
 * schema failure, libvirt's code for the same condition otherwise.
 */
ndNodeDeviceDef *ndNodeDeviceDefParseString(const char *xml,
                                            ndNodeDeviceParseMode mode,
                                            unsigned int flags,
                                            const char *schema_path,
                                            const ndNodeDeviceParseCallbacks *cb);

typedef enum {
    /* VIR_NODE_DEVICE_XML_INACTIVE: defined mdev config, no path, devnode
     * or driver */
    ND_NODE_DEVICE_XML_INACTIVE = 1 << 0,
} ndNodeDeviceXMLFlags;

/**
 * ndNodeDeviceDefFormat:
 * @def: the device
 * @flags: ndNodeDeviceXMLFlags
 *
 * Formats @def exactly as libvirt 11.3's virNodeDeviceDefFormat does.
 * Returns the document (ends with a newline; caller frees). Never fails.
 */
char *ndNodeDeviceDefFormat(const ndNodeDeviceDef *def, unsigned int flags);

/**
 * ndNodeDeviceSchemaPath:
 *
 * Where nodedev.rng is: $ND_SCHEMA_DIR/nodedev.rng if set, else the source
 * tree's docs/schemas/nodedev.rng if it exists (uninstalled builds), else
 * ND_DATADIR/virtmdevd/schemas/nodedev.rng. Caller frees.
 */
char *ndNodeDeviceSchemaPath(void);

/**
 * ndNodeDeviceValidateString:
 * @xml: a document
 * @schema_path: RelaxNG file, or NULL for ndNodeDeviceSchemaPath()
 *
 * Returns 0 if @xml is well-formed and valid, else -1 with an error
 * reported naming the first problem.
 */
int ndNodeDeviceValidateString(const char *xml, const char *schema_path);

/* ---- names -------------------------------------------------------------- */

/* "@subsystem_@sysname" with every non-alphanumeric ASCII character
 * turned into '_' (libvirt's nodeDeviceGenerateName). Caller frees. */
char *ndNodeDeviceNameFromParts(const char *subsystem, const char *sysname);

/* "mdev_<uuid>_<parent_addr>" with the same substitution; @parent_addr
 * may be NULL (then "mdev_<uuid>"). Caller frees. */
char *ndNodeDeviceMdevName(const char *uuid, const char *parent_addr);
