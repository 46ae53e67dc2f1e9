/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* simhost: the simulated host (PCI, s390, mdev parents, types, devices) and
 * the kernel's mdev create/remove semantics on top of simfs. */
#pragma once

#include "simfs.h"

typedef enum {
    SIM_ATTR_CONST,      /* read-only fixed text */
    SIM_ATTR_VALUE,      /* read-write number within [min, max] */
    SIM_ATTR_ASSIGN,     /* write-only: add a number to a set */
    SIM_ATTR_UNASSIGN,   /* write-only: take a number out of a set */
    SIM_ATTR_LIST,       /* read-only: a set, one hex number a line */
    SIM_ATTR_MATRIX,     /* read-only: vfio-ap "AA.DDDD" lines of two sets */
    SIM_ATTR_LAST,
} SimAttrKind;

typedef struct {
    char *name;          /* may hold one '/' for a vendor folder */
    SimAttrKind kind;
    mode_t mode;
    char *value;         /* CONST text, VALUE initial value */
    char *set;           /* ASSIGN/UNASSIGN/LIST: the set; MATRIX: first set */
    char *set2;          /* MATRIX: second set */
    guint64 min;
    guint64 max;
    int range_errno;     /* errno for a number out of [min, max] */
    guint width;         /* LIST/MATRIX: hex digits */
    char *pair_set;      /* ASSIGN: no two devices may share a (set, pair_set) pair */
    int share_errno;     /* ... else this errno (vfio_ap: EADDRINUSE) */
    char *filter_driver; /* MATRIX: only APQNs whose AP queue is bound to it */
    char *owner_driver;  /* ASSIGN: an APQN whose queue another driver holds */
    int owner_errno;     /* ... fails with this (vfio_ap: EADDRNOTAVAIL) */
    gboolean ap_domain;  /* ASSIGN: the set holds domains (else adapters) */
} SimAttrSpec;

typedef struct {
    char *id;            /* full type id, e.g. "nvidia-256" */
    char *name;          /* NULL: the type has no name file */
    char *description;   /* NULL: no description file */
    guint cost;          /* pool units one instance takes */
    guint max;           /* per-parent cap of this type, 0 = pool only */
    GPtrArray *attrs;    /* SimAttrSpec *: this type's own (const) attributes */
} SimTypeSpec;

typedef struct {
    char *key;           /* profile name of this driver */
    char *driver;        /* mdev driver: bus/mdev/drivers/X, DRIVER= */
    char *device_api;
    guint capacity;      /* pool units per parent */
    int full_errno;      /* ENOSPC (vendor probe) or EUSERS (core limit) */
    GPtrArray *types;    /* SimTypeSpec * */
    GPtrArray *attrs;    /* SimAttrSpec * */
} SimMdevSpec;

typedef struct {
    char *addr;          /* DDDD:BB:SS.F */
    char *path;          /* bridges under devices/, e.g. pci0000:40 */
    guint vendor;
    guint device;
    guint subsystem_vendor;
    guint subsystem_device;
    guint class_code;
    guint revision;
    int numa_node;
    int iommu_group;     /* -1: allocate */
    char *driver;        /* NULL: unbound */
    char *cur_speed;     /* NULL: not PCIe */
    guint cur_width;
    char *max_speed;
    guint max_width;
    gboolean multifunction;
    guint totalvfs;      /* SR-IOV PF when > 0 */
    guint numvfs;
    guint vf_offset;
    guint vf_stride;
    guint vf_device;
    char *vf_driver;
    char *vf_mdev;       /* mdev spec key for each VF */
} SimPciSpec;

typedef struct _SimHost SimHost;

SimHost *simHostNew(void);
void simHostFree(SimHost *host);
SimFs *simHostGetFs(SimHost *host);

void simHostAddDmi(SimHost *host, const char *key, const char *value);
SimMdevSpec *simHostAddMdevSpec(SimHost *host, const char *key);
SimMdevSpec *simHostFindMdevSpec(SimHost *host, const char *key);

char *simHostAddPci(SimHost *host, const SimPciSpec *spec, GError **error);
char *simHostAddVirtual(SimHost *host, const char *cls, const char *name);
char *simHostAddCss(SimHost *host, const char *sch, const char *devno,
                    const char *driver, GError **error);
void simHostAddApCard(SimHost *host, guint card, const char *type,
                      guint hwtype, const guint *domains, guint ndomains,
                      const char *queue_driver);
char *simHostAddApMatrix(SimHost *host);

int simHostRegisterParent(SimHost *host, const char *name, const char *path,
                          SimMdevSpec *spec, GError **error);
int simHostUnregisterParent(SimHost *host, const char *name);
int simHostReregisterParent(SimHost *host, const char *name);

void simHostFinish(SimHost *host);
int simHostErrnoParse(const char *str);
