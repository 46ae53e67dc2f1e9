/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: mdevctl definition files and `list --dumpjson` output.
 *
 * Whatever parses must format to something that parses back to an equal
 * definition (the daemon rewrites files it owns), and nothing may crash.
 */
#include <stdint.h>
#include <stdlib.h>

#include "conf/node_device_mdevctl.h"
#include "util/nderror.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
checkRoundTrip(const ndMdevctlDef *def)
{
    g_autofree char *out = ndMdevctlDefFormat(def);
    g_autoptr(ndMdevctlDef) again = NULL;

    if (ndMdevctlDefParse(def->parent, def->uuid, out, -1, &again) < 0 ||
        !ndMdevctlDefEqual(def, again))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ndMdevctlDef) def = NULL;
    g_autoptr(GPtrArray) defs = NULL;
    guint i;

    if (ndMdevctlDefParse("0000:00:02.0", "11111111-2222-3333-4444-555555555555",
                          (const char *) data, size, &def) == 0)
        checkRoundTrip(def);

    if (ndMdevctlListParse((const char *) data, size, &defs) == 0) {
        g_autofree char *out = ndMdevctlListFormat(defs);
        g_autofree char *out2 = NULL;
        g_autoptr(GPtrArray) again = NULL;

        /* formatting groups by parent, so compare formatted forms */
        if (ndMdevctlListParse(out, -1, &again) < 0 || again->len != defs->len)
            abort();
        out2 = ndMdevctlListFormat(again);
        if (!g_str_equal(out, out2))
            abort();
        for (i = 0; i < defs->len; i++)
            checkRoundTrip(g_ptr_array_index(defs, i));
    }
    ndResetLastError();
    return 0;
}
