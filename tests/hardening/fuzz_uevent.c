/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the kernel uevent datagram parser (util/nduevent).
 *
 * Whatever the bytes, the parser returns -1, 0 or 1; an event it accepts
 * has an action and a DEVPATH, and every named field is the
 * same string its property table holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/nderror.h"
#include "util/nduevent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
checkField(const ndUevent *ev, const char *key, const char *value)
{
    const char *prop = g_hash_table_lookup(ev->props, key);

    if (!value)
        return;
    if (!prop || strcmp(prop, value) != 0)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ndUevent) ev = NULL;
    int rc;

    if (size > ND_UEVENT_BUFFER_SIZE)
        return 0;

    rc = ndUeventParse((const char *) data, size, &ev);
    if (rc < -1 || rc > 1)
        abort();
    if (rc != 1 && ev)
        abort();
    if (rc == 1) {
        if (!ev || !ev->action_str || !ev->devpath || !ev->props)
            abort();
        if (ev->action >= ND_UEVENT_ACTION_LAST)
            abort();
        checkField(ev, "ACTION", ev->action_str);
        checkField(ev, "DEVPATH", ev->devpath);
        checkField(ev, "SUBSYSTEM", ev->subsystem);
        checkField(ev, "DEVTYPE", ev->devtype);
        checkField(ev, "DRIVER", ev->driver);
        checkField(ev, "MDEV_TYPE", ev->mdev_type);
    }
    ndResetLastError();
    return 0;
}
