/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: PCI address parsing (util/ndpci).
 *
 * Any NUL-terminated input: an accepted address is in range and formats
 * to a string that parses back to the same address; the formatted string
 * equals the input up to case and domain width.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/nderror.h"
#include "util/ndpci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *str = g_strndup((const char *) data, size);
    g_autofree char *out = NULL;
    ndPciAddress addr;
    ndPciAddress again;

    if (ndPciAddressParse(str, &addr) < 0) {
        ndResetLastError();
        return 0;
    }
    if (addr.slot > 0x1f || addr.function > 7 || addr.bus > 0xff)
        abort();
    out = ndPciAddressFormat(&addr);
    if (ndPciAddressParse(out, &again) < 0)
        abort();
    if (ndPciAddressCompare(&addr, &again) != 0)
        abort();
    /* the bus, slot and function part is fixed width: it must match */
    if (g_ascii_strcasecmp(strchr(out, ':'), strchr(str, ':')) != 0)
        abort();
    ndResetLastError();
    return 0;
}
