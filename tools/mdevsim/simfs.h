/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* simfs: the in-memory tree of directories, files and links that mdevsim serves. */
#pragma once

#include <glib.h>
#include <sys/types.h>

typedef enum {
    SIM_NODE_DIR,
    SIM_NODE_FILE,
    SIM_NODE_LINK,
} SimNodeKind;

typedef struct _SimNode SimNode;
typedef struct _SimFs SimFs;

/* Produce the content of a dynamic file; returns 0 or a positive errno. */
typedef int (*SimReadFunc)(SimNode *node, GString *out);
/* Handle a write(2) of @len bytes; returns 0 or a positive errno. */
typedef int (*SimWriteFunc)(SimNode *node, const char *buf, size_t len);
/* Decide whether open(2) with @flags succeeds; returns 0 or a positive errno. */
typedef int (*SimOpenFunc)(SimNode *node, int flags);

struct _SimNode {
    guint64 ino;
    char *name;
    SimNodeKind kind;
    mode_t mode;             /* permission bits only */
    SimNode *parent;         /* NULL for the root and for detached nodes */
    GHashTable *children;    /* DIR: name -> SimNode * (owned by the tree) */
    GQueue order;            /* DIR: children in creation order (readdir) */
    GList *link;             /* this node's element in parent->order */
    gboolean hidden;         /* left out of the parent's listing */
    char *target;            /* LINK: relative target */
    char *content;           /* FILE: static content (when read is NULL) */
    gsize size;              /* FILE: st_size (sysfs reports 4096) */
    SimReadFunc read;
    SimWriteFunc write;
    SimOpenFunc open;
    gpointer data;           /* owner object for dynamic files */
    guint64 nlookup;         /* kernel references */
    gboolean attached;       /* still in the tree */
};

/* A name the kernel may still have cached (it looked the node up) whose
 * node was removed: the kernel must be told before anyone sees it. */
typedef struct {
    guint64 parent;          /* the directory's inode number */
    char *name;
} SimInval;

struct _SimFs {
    SimNode *root;
    GHashTable *inodes;      /* guint64 ino -> SimNode * (live nodes) */
    guint64 next_ino;
    GPtrArray *invals;       /* SimInval *, since simFsTakeInvals() */
};

SimFs *simFsNew(void);
void simFsFree(SimFs *fs);

SimNode *simFsFindIno(SimFs *fs, guint64 ino);
SimNode *simFsChild(SimNode *dir, const char *name);
SimNode *simFsLookupPath(SimFs *fs, const char *path);

SimNode *simFsMkdirP(SimFs *fs, const char *path);
SimNode *simFsMkdir(SimFs *fs, SimNode *dir, const char *name);
SimNode *simFsAddFile(SimFs *fs, SimNode *dir, const char *name,
                      mode_t mode, const char *content);
SimNode *simFsAddDynFile(SimFs *fs, SimNode *dir, const char *name,
                         mode_t mode, SimReadFunc read, SimWriteFunc write,
                         gpointer data);
SimNode *simFsAddLink(SimFs *fs, SimNode *dir, const char *name,
                      const char *abs_target);
SimNode *simFsAddLinkTo(SimFs *fs, SimNode *dir, const char *name,
                        SimNode *target);

char *simFsPath(SimNode *node);
SimNode *simFsLinkTarget(SimFs *fs, SimNode *link);
void simFsRemove(SimFs *fs, SimNode *node);
void simFsForget(SimFs *fs, SimNode *node, guint64 nlookup);
/* The names removed since the last call (SimInval *, owning), or NULL. */
GPtrArray *simFsTakeInvals(SimFs *fs);
char *simFsRelative(const char *from_dir, const char *to);
