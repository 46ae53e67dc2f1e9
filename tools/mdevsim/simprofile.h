/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* simprofile: host profiles (GKeyFile text) loaded into a SimHost. */
#pragma once

#include "simhost.h"

const char *simProfileBuiltin(const char *name);
const char *const *simProfileBuiltinNames(void);
SimHost *simProfileLoad(const char *text, gsize len, GError **error);
