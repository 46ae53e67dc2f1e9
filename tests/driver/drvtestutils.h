/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Driver tests: an mdevsim host on a temporary mount, a definitions
 * directory, a driver on them, and an event recorder. */
#pragma once

#include <glib.h>

#include "node_device_driver.h"

typedef struct {
    char *tmpdir;       /* removed at the end */
    char *mnt;          /* mdevsim's mount point: the sysfs root */
    char *confdir;      /* mdevctl's definitions directory */
    char *devroot;      /* MNT/.mdevsim/dev */
    char *profile;
    GPid pid;
} TestSim;

/* Unless mdevsim can run (its binary built, root, /dev/fuse present),
 * prints why, loudly, and a TAP skip plan, and exits: 0 under --tap
 * (meson's TAP protocol takes the plan as the skip and any other status as
 * an error), else 77. Call first in main(). */
void testSimRequire(int argc, char **argv);

/* Mounts mdevsim with @profile on a new temporary directory. */
TestSim *testSimStart(const char *profile);
void testSimStop(TestSim *sim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestSim, testSimStop);

/* Writes @value to MNT/@relpath (or CONFDIR when @relpath starts with
 * "conf:"); returns 0 or the errno. */
int testSimWrite(TestSim *sim, const char *relpath, const char *value);
/* Reads MNT/@relpath, NULL if it cannot be read (caller frees). */
char *testSimRead(TestSim *sim, const char *relpath);
gboolean testSimExists(TestSim *sim, const char *relpath);

/* A driver on @sim: no watch, no autostart unless asked. */
ndDriver *testDriverNew(TestSim *sim, gboolean autostart);

/* Records every event. */
typedef struct {
    GMutex lock;
    GPtrArray *events;  /* "EVENT name" strings: "CREATED mdev_..." */
} TestEvents;

TestEvents *testEventsNew(ndDriver *drv);
void testEventsFree(TestEvents *ev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestEvents, testEventsFree);
/* Takes the recorded events, joined by '\n' ("" if none). */
char *testEventsTake(TestEvents *ev);

/* Asserts the last error's code and full message. */
#define testAssertError(code, msg) \
    testAssertErrorFull(__FILE__, __LINE__, (code), (msg))
void testAssertErrorFull(const char *file, int line, int code,
                         const char *msg);
