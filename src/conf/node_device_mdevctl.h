/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mdevctl's persistent definition format: one JSON file per defined mdev
 * (<config_dir>/<parent>/<uuid>) and `mdevctl list --dumpjson` documents.
 *
 * Only strings in and out: reading and writing the files is the driver's
 * business. The formatter writes exactly what mdevctl 1.2 writes (serde_json
 * pretty printing: two-space indent, `"key": value`, no trailing newline),
 * so files we write are indistinguishable from mdevctl's own.
 */
#pragma once

#include <glib.h>

/* Bounds on what a definition file may make us hold. */
#define ND_MDEVCTL_MAX_FILE_SIZE (1024 * 1024)
#define ND_MDEVCTL_MAX_ATTRS 1024

typedef struct _ndMdevctlAttr ndMdevctlAttr;
struct _ndMdevctlAttr {
    char *name;
    char *value;
};

typedef struct _ndMdevctlDef ndMdevctlDef;
struct _ndMdevctlDef {
    char *parent;        /* the parent's name under class/mdev_bus */
    char *uuid;          /* canonical lower-case 8-4-4-4-12 */
    char *type;          /* "mdev_type" */
    gboolean autostart;  /* "start": "auto" (anything else is manual) */
    GPtrArray *attrs;    /* ndMdevctlAttr *, in file order; repeats allowed */
};

ndMdevctlDef *ndMdevctlDefNew(const char *parent, const char *uuid,
                              const char *type);
void ndMdevctlDefFree(ndMdevctlDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndMdevctlDef, ndMdevctlDefFree);

void ndMdevctlDefAddAttr(ndMdevctlDef *def, const char *name,
                         const char *value);
ndMdevctlDef *ndMdevctlDefCopy(const ndMdevctlDef *def);
gboolean ndMdevctlDefEqual(const ndMdevctlDef *a, const ndMdevctlDef *b);

gboolean ndMdevctlUUIDIsValid(const char *str);
gboolean ndMdevctlParentIsValid(const char *str);

int ndMdevctlDefParse(const char *parent, const char *uuid,
                      const char *json, gssize len, ndMdevctlDef **ret_def);
char *ndMdevctlDefFormat(const ndMdevctlDef *def);

int ndMdevctlListParse(const char *json, gssize len, GPtrArray **ret_defs);
char *ndMdevctlListFormat(GPtrArray *defs);
