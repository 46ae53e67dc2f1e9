/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the node-device XML parser and formatter.
 *
 * Besides crashes and sanitizer reports it checks two properties of every
 * document the parser accepts as an existing device:
 *   - what we format is well-formed and parses again (we never emit XML
 *     that we, or a client, cannot read);
 *   - formatting is a fixed point: format(parse(format(x))) == format(x).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "conf/node_device_conf.h"
#include "util/nderror.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc G_GNUC_UNUSED, char ***argv G_GNUC_UNUSED)
{
    xmlInitParser();
    return 0;
}

static void
copyDefinedToActive(ndNodeDeviceDef *def)
{
    guint i;

    for (i = 0; i < def->caps->len; i++) {
        ndNodeDevCapsDef *cap = g_ptr_array_index(def->caps, i);

        if (cap->type == ND_NODE_DEV_CAP_MDEV)
            ndMdevConfigCopy(&cap->data.mdev.active, &cap->data.mdev.defined);
    }
}

static void
checkRoundTrip(const char *out, unsigned int flags)
{
    g_autoptr(ndNodeDeviceDef) again = NULL;
    g_autofree char *out2 = NULL;

    again = ndNodeDeviceDefParseString(out, ND_NODE_DEVICE_PARSE_EXISTING, 0,
                                       NULL, NULL);
    if (!again) {
        fprintf(stderr, "formatted XML does not parse: %s\n%s",
                ndGetLastErrorMessage(), out);
        abort();
    }
    copyDefinedToActive(again);
    out2 = ndNodeDeviceDefFormat(again, flags);
    if (strcmp(out, out2) != 0) {
        fprintf(stderr, "format is not a fixed point:\n%s---\n%s", out, out2);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = g_strndup((const char *) data, size);
    g_autoptr(ndNodeDeviceDef) def = NULL;
    g_autoptr(ndNodeDeviceDef) created = NULL;

    def = ndNodeDeviceDefParseString(xml, ND_NODE_DEVICE_PARSE_EXISTING, 0,
                                     NULL, NULL);
    if (def) {
        g_autofree char *inactive = ndNodeDeviceDefFormat(def,
                                                          ND_NODE_DEVICE_XML_INACTIVE);
        g_autofree char *live = NULL;

        copyDefinedToActive(def);
        live = ndNodeDeviceDefFormat(def, 0);
        checkRoundTrip(live, 0);
        checkRoundTrip(inactive, ND_NODE_DEVICE_XML_INACTIVE);
    } else if (!ndGetLastError()) {
        fprintf(stderr, "parse failed without an error\n");
        abort();
    }

    /* the create path takes other branches (type id checks, name) */
    created = ndNodeDeviceDefParseString(xml, ND_NODE_DEVICE_PARSE_CREATE, 0,
                                         NULL, NULL);
    if (created)
        g_free(ndNodeDeviceDefFormat(created, 0));

    ndResetLastError();
    return 0;
}
