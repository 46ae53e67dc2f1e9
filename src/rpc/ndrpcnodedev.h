/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node-device procedures: decoded arguments in, driver calls, results out. */
#pragma once

#include "node_device/node_device_driver.h"

typedef int (*ndRPCNodeDevHandler)(ndDriver *drv, const void *args, void *ret);

ndRPCNodeDevHandler ndRPCNodeDevHandlerFind(int proc);
