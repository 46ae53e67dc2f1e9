/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --simulate: mdevsim on a private temporary mount, started and removed. */
#pragma once

#include <glib.h>

typedef struct _ndSimulation ndSimulation;

ndSimulation *ndSimulationStart(const char *mdevsim, const char *profile);
const char *ndSimulationGetSysfsRoot(ndSimulation *sim);
const char *ndSimulationGetDevRoot(ndSimulation *sim);
const char *ndSimulationGetConfigDir(ndSimulation *sim);
void ndSimulationStop(ndSimulation *sim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndSimulation, ndSimulationStop);

char *ndSimulationFindMdevsim(void);
