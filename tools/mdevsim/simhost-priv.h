/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* simhost-priv: the host model's structures and the helpers its modules
 * (simhost.c, simdev.c, simmdev.c) share. Not for simfuse or the loader. */
#pragma once

#include "simhost.h"

#define UUID_LEN 36

/* Lowest-free id allocator, like the kernel's ida for iommu groups. */
typedef struct {
    GArray *used;        /* guint8 per id */
    guint hint;          /* no free id below this one */
} SimIds;

typedef struct {
    guint64 max;
    guint8 *bits;
} SimSet;

typedef struct _SimParent SimParent;
typedef struct _SimType SimType;
typedef struct _SimMdev SimMdev;

struct _SimType {
    SimParent *parent;
    SimTypeSpec *spec;
    SimNode *dir;
    SimNode *devices;
    guint count;
};

struct _SimParent {
    SimHost *host;
    char *name;
    char *path;
    SimMdevSpec *spec;
    GPtrArray *types;    /* SimType * */
    GHashTable *mdevs;   /* uuid -> SimMdev * (borrowed from host->mdevs) */
    SimNode *dir;
    SimNode *types_dir;
    SimNode *class_link;
    guint used;
    gboolean registered;
};

typedef struct {
    SimMdev *mdev;
    SimAttrSpec *spec;
    char *value;
} SimMdevAttr;

struct _SimMdev {
    SimHost *host;
    char uuid[UUID_LEN + 1];
    SimType *type;
    SimNode *dir;
    SimNode *group_dir;
    SimNode *bus_link;
    SimNode *type_link;
    SimNode *driver_link;
    SimNode *vfio_node;
    SimNode *vfio_class_link;
    guint group;
    guint vfio_index;
    GPtrArray *attrs;    /* SimMdevAttr * */
    GHashTable *sets;    /* name -> SimSet * */
};

typedef struct {
    guint vendor;
    guint device;
    guint subsystem_vendor;
    guint subsystem_device;
    guint class_code;
    guint revision;
    gboolean pcie;
    guint cur_speed;
    guint cur_width;
    guint max_speed;
    guint max_width;
    gboolean multifunction;
    gboolean sriov;
} SimPci;

struct _SimHost {
    SimFs *fs;
    GHashTable *specs;       /* key -> SimMdevSpec * (owned) */
    GHashTable *parents;     /* name -> SimParent * (owned) */
    GPtrArray *parent_order; /* SimParent * (borrowed) */
    GHashTable *mdevs;       /* uuid -> SimMdev * (owned) */
    GHashTable *busy;        /* uuid set */
    GPtrArray *pcis;         /* SimPci * (owned) */
    GPtrArray *drivers;      /* SimDriver * (owned) */
    SimIds groups;
    SimIds vfio_ids;
    int inject_create;
    int inject_remove;
    int inject_avail;
    GHashTable *inject_attr; /* attribute name -> errno */
    char *inject_vanish;
    SimNode *groups_dir;
    SimNode *vfio_dir;
};

/* A device driver of a bus (bus/BUS/drivers/NAME) with bind/unbind. */
typedef struct {
    SimHost *host;
    char *bus;
    char *name;
    SimNode *dir;
} SimDriver;

/* simhost.c */
void simIdsInit(SimIds *ids);
void simIdsMark(SimIds *ids, guint id);
guint simIdsAlloc(SimIds *ids);
void simIdsRelease(SimIds *ids, guint id);
gboolean simParseKernelUll(const char *buf, size_t len, guint64 *ret);
gboolean simParseUuid(const char *buf, size_t len, char out[UUID_LEN + 1]);
void simAddFilef(SimHost *host, SimNode *dir, const char *name, mode_t mode,
                 const char *fmt, ...) G_GNUC_PRINTF(5, 6);
int simRegisterParent(SimHost *host, const char *name, const char *path,
                      SimMdevSpec *spec, GError **error);

/* simdev.c */
void simDriverFree(gpointer p);

/* simmdev.c */
void simSetFree(gpointer p);
typedef SimSet SimSetPtr;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimSetPtr, simSetFree);
void simMdevFree(gpointer p);
void simMdevDelete(SimMdev *mdev);
void simParentAddTypes(SimParent *parent);
