/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* simfuse: serves a SimFs through the libfuse3 low-level API. */
#pragma once

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include "simhost.h"

const struct fuse_lowlevel_ops *simFuseOps(void);
void simFuseSetSession(struct fuse_session *se);
void simFuseStop(void);
void simFuseCleanup(void);
