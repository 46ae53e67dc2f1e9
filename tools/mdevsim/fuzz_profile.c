/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: mdevsim's profile loader on arbitrary text. */
#include <stddef.h>
#include <stdint.h>

#include "simprofile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    SimHost *host = simProfileLoad((const char *)data, size, &error);

    simHostFree(host);
    return 0;
}
