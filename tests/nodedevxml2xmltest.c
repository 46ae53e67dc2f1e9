/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Data-driven tests of node-device XML parse and format.
 *
 * Each case NAME has tests/nodedevxml2xmldata/NAME.xml (input) and
 *   NAME.out.xml           expected live output, when it differs from input
 *   NAME_inactive.out.xml  expected inactive output, when it differs from
 *                          the expected live output
 *   NAME.err               for DO_TEST_FAIL: "CODE: MESSAGE\n" for an error
 *                          of the node-device domain, "CODE (domain N):
 *                          MESSAGE\n" for another (libvirt's XML domain)
 * ND_TEST_REGENERATE=1 rewrites the expectations from the current output.
 *
 * --libvirt-schema=RNG / --our-schema=RNG additionally run
 * `xmllint --relaxng RNG` on every formatted output (and, for our schema,
 * on every input that parses).
 *
 * Single-file mode, used by the conformance checker:
 *   nodedevxml2xmltest [--inactive] [--validate] FILE
 * parses FILE as an existing device and prints the formatted XML, or the
 * error on stderr with exit status 1.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/node_device_conf.h"
#include "util/nderror.h"
#include "util/ndinternal.h"

typedef enum {
    TEST_PARSE_OK = 0,
    TEST_PARSE_FAIL = 1 << 0,      /* expect NAME.err */
    TEST_CREATE = 1 << 1,          /* parse as create input */
    TEST_DEFINE = 1 << 2,          /* parse as define input */
    TEST_VALIDATE = 1 << 3,        /* parse with our schema */
    TEST_NO_SCHEMA = 1 << 4,       /* input is deliberately schema-invalid */
} testFlags;

typedef struct {
    const char *name;
    unsigned int flags;
} testCase;

static const char *libvirt_schema;
static const char *our_schema;

static const char *
dataDir(void)
{
    const char *src = g_getenv("ND_TEST_SRCDIR");
    static char *dir;

    if (!dir)
        dir = g_build_filename(src ? src : ND_TEST_SRCDIR_DEFAULT,
                               "nodedevxml2xmldata", NULL);
    return dir;
}

static gboolean
regenerate(void)
{
    return g_strcmp0(g_getenv("ND_TEST_REGENERATE"), "1") == 0;
}

/* Like libvirt's test: the live format shows the parsed (defined) config. */
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

static char *
readFile(const char *path)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;

    if (!g_file_get_contents(path, &text, NULL, &err))
        return NULL;
    return g_steal_pointer(&text);
}

static void
writeFile(const char *path, const char *text)
{
    g_autoptr(GError) err = NULL;

    if (!g_file_set_contents(path, text, -1, &err))
        g_error("cannot write '%s': %s", path, err->message);
}

/* Compare @actual with the expectation in @path (or @fallback text when
 * @path does not exist), regenerating when asked. */
static void
checkExpected(const char *path, const char *fallback, const char *actual)
{
    g_autofree char *expected = readFile(path);

    if (regenerate()) {
        if (fallback && g_strcmp0(actual, fallback) == 0) {
            if (expected)
                g_assert_cmpint(unlink(path), ==, 0);
        } else if (g_strcmp0(actual, expected) != 0) {
            writeFile(path, actual);
        }
        return;
    }
    if (!expected)
        expected = g_strdup(fallback);
    g_assert_nonnull(expected);
    g_assert_cmpstr(actual, ==, expected);
}

/* Runs xmllint --relaxng @schema on @xml; fails the test if invalid. */
static void
xmllintValidate(const char *schema, const char *xml, const char *what)
{
    g_autofree char *tmp = NULL;
    g_autofree char *out = NULL;
    g_autofree char *errout = NULL;
    g_autoptr(GError) err = NULL;
    int status = 0;
    int fd;
    const char *argv[] = { "xmllint", "--noout", "--relaxng", schema, NULL,
                           NULL };

    fd = g_file_open_tmp("ndxml-XXXXXX.xml", &tmp, &err);
    g_assert_no_error(err);
    close(fd);
    writeFile(tmp, xml);
    argv[4] = tmp;
    if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                      NULL, &out, &errout, &status, &err))
        g_error("cannot run xmllint: %s", err->message);
    unlink(tmp);
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_test_message("%s does not validate against %s:\n%s",
                       what, schema, errout);
        g_test_fail();
    }
}

static ndNodeDeviceParseMode
caseMode(unsigned int flags)
{
    if (flags & TEST_CREATE)
        return ND_NODE_DEVICE_PARSE_CREATE;
    if (flags & TEST_DEFINE)
        return ND_NODE_DEVICE_PARSE_DEFINE;
    return ND_NODE_DEVICE_PARSE_EXISTING;
}

static void
testCaseRun(gconstpointer data)
{
    const testCase *tc = data;
    g_autofree char *in_path = NULL;
    g_autofree char *input = NULL;
    g_autoptr(ndNodeDeviceDef) def = NULL;
    unsigned int pflags = 0;

    in_path = g_strdup_printf("%s/%s.xml", dataDir(), tc->name);
    input = readFile(in_path);
    g_assert_nonnull(input);

    if (tc->flags & TEST_VALIDATE)
        pflags |= ND_NODE_DEVICE_PARSE_VALIDATE;
    ndResetLastError();
    def = ndNodeDeviceDefParseString(input, caseMode(tc->flags), pflags,
                                     our_schema, NULL);

    if (tc->flags & TEST_PARSE_FAIL) {
        g_autofree char *err_path = g_strdup_printf("%s/%s.err", dataDir(),
                                                    tc->name);
        g_autofree char *actual = NULL;

        g_assert_null(def);
        g_assert_nonnull(ndGetLastError());
        if (ndGetLastError()->domain == ND_FROM_NODEDEV)
            actual = g_strdup_printf("%d: %s\n", ndGetLastErrorCode(),
                                     ndGetLastErrorMessage());
        else
            actual = g_strdup_printf("%d (domain %d): %s\n",
                                     ndGetLastErrorCode(),
                                     ndGetLastError()->domain,
                                     ndGetLastErrorMessage());
        if (tc->flags & TEST_VALIDATE) {
            /* the schema's absolute path differs between checkouts */
            g_autofree char *path = our_schema ? g_strdup(our_schema) :
                ndNodeDeviceSchemaPath();
            g_autoptr(GString) tmp = g_string_new(actual);

            g_string_replace(tmp, path, "@SCHEMA@", 0);
            g_free(actual);
            actual = g_string_free(g_steal_pointer(&tmp), FALSE);
        }
        checkExpected(err_path, NULL, actual);
        return;
    }

    if (!def) {
        g_test_message("parse failed: %s", ndGetLastErrorMessage());
        g_test_fail();
        return;
    }

    {
        g_autofree char *out_path = g_strdup_printf("%s/%s.out.xml",
                                                    dataDir(), tc->name);
        g_autofree char *ina_path = g_strdup_printf("%s/%s_inactive.out.xml",
                                                    dataDir(), tc->name);
        g_autofree char *inactive = ndNodeDeviceDefFormat(def,
                                                          ND_NODE_DEVICE_XML_INACTIVE);
        g_autofree char *live = NULL;
        g_autofree char *live_expected = NULL;

        copyDefinedToActive(def);
        live = ndNodeDeviceDefFormat(def, 0);
        checkExpected(out_path, input, live);

        live_expected = readFile(out_path);
        checkExpected(ina_path, live_expected ? live_expected : input,
                      inactive);

        if (libvirt_schema) {
            xmllintValidate(libvirt_schema, live, "live output");
            xmllintValidate(libvirt_schema, inactive, "inactive output");
        }
        if (our_schema) {
            if (!(tc->flags & TEST_NO_SCHEMA))
                xmllintValidate(our_schema, input, "input");
            xmllintValidate(our_schema, live, "live output");
            xmllintValidate(our_schema, inactive, "inactive output");
        }

        /* formatting is a fixed point: parse(format(x)) formats to itself */
        if (!(tc->flags & (TEST_CREATE | TEST_DEFINE))) {
            g_autoptr(ndNodeDeviceDef) again = NULL;
            g_autofree char *live2 = NULL;

            again = ndNodeDeviceDefParseString(live, ND_NODE_DEVICE_PARSE_EXISTING,
                                               0, NULL, NULL);
            g_assert_nonnull(again);
            copyDefinedToActive(again);
            live2 = ndNodeDeviceDefFormat(again, 0);
            g_assert_cmpstr(live2, ==, live);
        }
    }
}

#define DO_TEST_FULL(n, f) \
    do { \
        static const testCase tc_ = { n, f }; \
        g_test_add_data_func("/nodedevxml2xml/" n, &tc_, testCaseRun); \
    } while (0)

#define DO_TEST(n) DO_TEST_FULL(n, TEST_PARSE_OK)
#define DO_TEST_FAIL(n) DO_TEST_FULL(n, TEST_PARSE_FAIL)

/* ---- cases built in code (too big or too regular for files) -------------- */

static char *
mdevWithAttrs(guint nattrs)
{
    g_autoptr(GString) xml = g_string_new(
        "<device>\n  <name>mdev_attrs</name>\n  <parent>ap_matrix</parent>\n"
        "  <capability type='mdev'>\n    <type id='vfio_ap-passthrough'/>\n");
    guint i;

    for (i = 0; i < nattrs; i++)
        g_string_append_printf(xml,
                               "    <attr name='assign_domain' value='0x%x'/>\n",
                               i);
    g_string_append(xml, "  </capability>\n</device>\n");
    return g_string_free(g_steal_pointer(&xml), FALSE);
}

static void
testAttrLimit(void)
{
    g_autofree char *ok = mdevWithAttrs(ND_NODE_DEVICE_MDEV_ATTRS_MAX);
    g_autofree char *bad = mdevWithAttrs(ND_NODE_DEVICE_MDEV_ATTRS_MAX + 1);
    g_autoptr(ndNodeDeviceDef) def = NULL;
    ndNodeDevCapsDef *cap;

    def = ndNodeDeviceDefParseString(ok, ND_NODE_DEVICE_PARSE_DEFINE, 0,
                                     NULL, NULL);
    g_assert_nonnull(def);
    cap = ndNodeDeviceDefFindCap(def, ND_NODE_DEV_CAP_MDEV);
    g_assert_nonnull(cap);
    g_assert_cmpuint(cap->data.mdev.defined.attrs->len, ==,
                     ND_NODE_DEVICE_MDEV_ATTRS_MAX);
    g_clear_pointer(&def, ndNodeDeviceDefFree);

    def = ndNodeDeviceDefParseString(bad, ND_NODE_DEVICE_PARSE_DEFINE, 0,
                                     NULL, NULL);
    g_assert_null(def);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_CONFIG_UNSUPPORTED);
    g_assert_cmpstr(ndGetLastErrorMessage(), ==,
                    "unsupported configuration: too many mdev attributes for "
                    "'new device': 1025, the limit is 1024");
}

/* A well-formed document of exactly @len bytes: padding in many small
 * comments (libxml2 refuses single text nodes over 10^7 bytes anyway). */
static char *
paddedDocument(gsize len)
{
    const char *head = "<device><name>big</name>";
    const char *tail = "<capability type='ap_card'>"
                       "<ap-adapter>0x01</ap-adapter></capability></device>";
    g_autoptr(GString) xml = g_string_sized_new(len + 1);

    g_string_append(xml, head);
    while (xml->len + 64 + strlen(tail) <= len)
        g_string_append(xml, "<!--xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-->");
    while (xml->len + strlen(tail) < len)
        g_string_append_c(xml, ' ');
    g_string_append(xml, tail);
    g_assert_cmpuint(xml->len, ==, len);
    return g_string_free(g_steal_pointer(&xml), FALSE);
}

static void
testOversized(void)
{
    g_autofree char *over = paddedDocument(ND_MAX_XML_SIZE + 1);
    g_autofree char *at = paddedDocument(ND_MAX_XML_SIZE);
    g_autoptr(ndNodeDeviceDef) def = NULL;

    def = ndNodeDeviceDefParseString(over, ND_NODE_DEVICE_PARSE_EXISTING, 0,
                                     NULL, NULL);
    g_assert_null(def);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_XML_ERROR);
    g_assert_cmpstr(ndGetLastErrorMessage(), ==,
                    "XML error: the node device XML document is larger than "
                    "the limit of 10485760 bytes");

    /* exactly at the limit is parsed */
    def = ndNodeDeviceDefParseString(at, ND_NODE_DEVICE_PARSE_EXISTING, 0,
                                     NULL, NULL);
    if (!def)
        g_test_message("%s", ndGetLastErrorMessage());
    g_assert_nonnull(def);
    g_assert_cmpstr(def->name, ==, "big");
}

/* Documents that are not well-formed get libvirt's exact message: the
 * parser's complaint, the line it stopped on and a pointer to the column.
 * Every expectation here is what libvirtd 9.0 answered for the same
 * document (tests/integration/test_libvirt.py compares the two live). */
static void
testParseErrorContext(void)
{
    static const struct {
        const char *xml;
        const char *message;
    } cases[] = {
        { "", "(node_device_definition):1: Document is empty\n(null)\n^" },
        { "hello",
          "(node_device_definition):1: Start tag expected, '<' not found\n"
          "hello\n^" },
        { "   ",
          "(node_device_definition):1: Start tag expected, '<' not found\n"
          "   \n---^" },
        { "\n\n",
          "(node_device_definition):3: Start tag expected, '<' not found\n"
          "(null)\n^" },
        { "<device>\n\t<name>x</nam>\n</device>",
          "(node_device_definition):2: Opening and ending tag mismatch: "
          "name line 2 and nam\n\t<name>x</nam>\n\t-------------^" },
        { "<device/>junk",
          "(node_device_definition):1: Extra content at the end of the "
          "document\n<device/>junk\n---------^" },
        { "<device><name>x</name>",
          "(node_device_definition):1: Premature end of data in tag device "
          "line 1\n<device><name>x</name>\n----------------------^" },
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        ndResetLastError();
        g_assert_null(ndNodeDeviceDefParseString(cases[i].xml,
                                                 ND_NODE_DEVICE_PARSE_EXISTING,
                                                 0, NULL, NULL));
        g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_XML_DETAIL);
        g_assert_cmpint(ndGetLastError()->domain, ==, ND_FROM_NODEDEV);
        g_assert_cmpstr(ndGetLastErrorMessage(), ==, cases[i].message);
    }
    /* no document at all is an empty one */
    g_assert_null(ndNodeDeviceDefParseString(NULL, ND_NODE_DEVICE_PARSE_EXISTING,
                                             0, NULL, NULL));
    g_assert_cmpstr(ndGetLastErrorMessage(), ==, cases[0].message);
    ndResetLastError();
}

static int
cbPostParse(ndNodeDeviceDef *def, ndNodeDeviceParseMode mode, void *opaque)
{
    g_string_append(opaque, "p");
    g_assert_cmpint(mode, ==, ND_NODE_DEVICE_PARSE_CREATE);
    g_free(def->name);
    def->name = g_strdup("renamed");
    return 0;
}

static int
cbValidate(const ndNodeDeviceDef *def, ndNodeDeviceParseMode mode,
           void *opaque)
{
    g_string_append(opaque, "v");
    g_assert_cmpint(mode, ==, ND_NODE_DEVICE_PARSE_CREATE);
    g_assert_cmpstr(def->name, ==, "renamed");
    if (!def->parent || strcmp(def->parent, "pci_0000_00_02_0") != 0) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED, "%s", "missing parent device");
        return -1;
    }
    return 0;
}

static void
testCallbacks(void)
{
    /* post_parse runs before validate, and each can fail the parse */
    const char *good =
        "<device><parent>pci_0000_00_02_0</parent>"
        "<capability type='mdev'><type id='i915-GVTg_V5_8'/></capability>"
        "</device>";
    const char *bad =
        "<device>"
        "<capability type='mdev'><type id='i915-GVTg_V5_8'/></capability>"
        "</device>";
    g_autoptr(ndNodeDeviceDef) def = NULL;
    g_autoptr(GString) order = g_string_new(NULL);
    ndNodeDeviceParseCallbacks cb = { cbPostParse, cbValidate, order };

    def = ndNodeDeviceDefParseString(good, ND_NODE_DEVICE_PARSE_CREATE, 0,
                                     NULL, &cb);
    g_assert_nonnull(def);
    g_assert_cmpstr(def->name, ==, "renamed");
    g_assert_cmpstr(order->str, ==, "pv");
    g_clear_pointer(&def, ndNodeDeviceDefFree);

    g_string_truncate(order, 0);
    def = ndNodeDeviceDefParseString(bad, ND_NODE_DEVICE_PARSE_CREATE, 0,
                                     NULL, &cb);
    g_assert_null(def);
    g_assert_cmpstr(order->str, ==, "pv");
    g_assert_cmpstr(ndGetLastErrorMessage(), ==,
                    "unsupported configuration: missing parent device");
}

/* ---- the model's helpers ------------------------------------------------- */

static void
testNames(void)
{
    g_autofree char *a = ndNodeDeviceMdevName("d069d019-36ea-4111-8f0a-8c9a70e21366",
                                              "0000:00:02.0");
    g_autofree char *b = ndNodeDeviceMdevName("c60cc60c-c60c-c60c-c60c-c60cc60cc60c",
                                              "0.0.0052");
    g_autofree char *c = ndNodeDeviceMdevName("783e6dbb-ea0e-411f-94e2-717eaad438bf",
                                              "matrix");
    g_autofree char *d = ndNodeDeviceMdevName("783e6dbb-ea0e-411f-94e2-717eaad438bf",
                                              NULL);
    g_autofree char *e = ndNodeDeviceNameFromParts("pci", "0000:3b:00.0");
    g_autofree char *f = ndNodeDeviceNameFromParts("ap", "card0b");
    g_autofree char *g = ndNodeDeviceNameFromParts("mtty", "m tty/\xc3\xa9");

    g_assert_cmpstr(a, ==, "mdev_d069d019_36ea_4111_8f0a_8c9a70e21366_0000_00_02_0");
    g_assert_cmpstr(b, ==, "mdev_c60cc60c_c60c_c60c_c60c_c60cc60cc60c_0_0_0052");
    g_assert_cmpstr(c, ==, "mdev_783e6dbb_ea0e_411f_94e2_717eaad438bf_matrix");
    g_assert_cmpstr(d, ==, "mdev_783e6dbb_ea0e_411f_94e2_717eaad438bf");
    g_assert_cmpstr(e, ==, "pci_0000_3b_00_0");
    g_assert_cmpstr(f, ==, "ap_card0b");
    /* every byte that is not an ASCII letter or digit, UTF-8 included */
    g_assert_cmpstr(g, ==, "mtty_m_tty___");
}

static void
testAddresses(void)
{
    ndPCIAddress pci = { 0x1, 0x3b, 0x1f, 7 };
    ndPCIAddress parsed = { 0 };
    ndCCWAddress ccw = { 0xfe, 3, 0x52 };
    g_autofree char *p = ndPCIAddressFormat(&pci);
    g_autofree char *c = ndCCWAddressFormat(&ccw);

    g_assert_cmpstr(p, ==, "0001:3b:1f.7");
    g_assert_cmpstr(c, ==, "fe.3.0052");
    g_assert_cmpint(ndPCIAddressParse("0001:3b:1f.7", &parsed), ==, 0);
    g_assert_cmpuint(parsed.domain, ==, 1);
    g_assert_cmpuint(parsed.bus, ==, 0x3b);
    g_assert_cmpuint(parsed.slot, ==, 0x1f);
    g_assert_cmpuint(parsed.function, ==, 7);
    g_assert_cmpint(ndPCIAddressParse("0000:00:20.0", &parsed), ==, -1);
    g_assert_cmpint(ndPCIAddressParse("0000:00:02.8", &parsed), ==, -1);
    g_assert_cmpint(ndPCIAddressParse("0000:100:02.0", &parsed), ==, -1);
    g_assert_cmpint(ndPCIAddressParse("0000:00:02", &parsed), ==, -1);
    g_assert_cmpint(ndPCIAddressParse("0000:00:02.0x", &parsed), ==, -1);
    g_assert_cmpint(ndPCIAddressParse("matrix", &parsed), ==, -1);
    g_assert_cmpint(ndPCIAddressParse(NULL, &parsed), ==, -1);
}

static void
testEnums(void)
{
    int i;

    for (i = 0; i < ND_NODE_DEV_CAP_LAST; i++) {
        const char *name = ndNodeDevCapTypeToString(i);

        g_assert_nonnull(name);
        g_assert_cmpint(ndNodeDevCapTypeFromString(name), ==, i);
    }
    g_assert_null(ndNodeDevCapTypeToString(ND_NODE_DEV_CAP_LAST));
    g_assert_null(ndNodeDevCapTypeToString(-1));
    g_assert_cmpint(ndNodeDevCapTypeFromString("nope"), ==, -1);
    /* libvirt's numbering: these values are listed by clients */
    g_assert_cmpstr(ndNodeDevCapTypeToString(ND_NODE_DEV_CAP_MDEV_TYPES), ==,
                    "mdev_types");
    g_assert_cmpint(ND_NODE_DEV_CAP_MDEV, ==, 14);
    g_assert_cmpint(ND_NODE_DEV_CAP_AP_MATRIX, ==, 20);
    g_assert_cmpint(ndPCIELinkSpeedFromString("2.5"), ==, ND_PCIE_LINK_SPEED_25);
    g_assert_cmpint(ndPCIELinkSpeedFromString(""), ==, -1);
    g_assert_cmpstr(ndPCIELinkSpeedToString(ND_PCIE_LINK_SPEED_64), ==, "64");
}

static void
testMdevConfig(void)
{
    g_autoptr(ndNodeDevCapsDef) cap = ndNodeDevCapsDefNew(ND_NODE_DEV_CAP_MDEV);
    ndMdevConfig *def = &cap->data.mdev.defined;
    ndMdevConfig *act = &cap->data.mdev.active;

    def->type = g_strdup("vfio_ap-passthrough");
    ndMdevConfigAddAttr(def, "assign_adapter", "5");
    ndMdevConfigAddAttr(def, "assign_adapter", "6");
    g_assert_false(ndMdevConfigEqual(def, act));
    ndMdevConfigCopy(act, def);
    g_assert_true(ndMdevConfigEqual(def, act));
    g_assert_cmpuint(act->attrs->len, ==, 2);
    ndMdevConfigCopy(act, def);   /* replaces, does not append */
    g_assert_cmpuint(act->attrs->len, ==, 2);
    ndMdevConfigAddAttr(act, "assign_domain", "1");
    g_assert_false(ndMdevConfigEqual(def, act));
    ndMdevConfigClear(act);
    g_assert_null(act->type);
    g_assert_cmpuint(act->attrs->len, ==, 0);
}

static void
testFind(void)
{
    g_autoptr(ndNodeDeviceDef) def = ndNodeDeviceDefNew();
    ndNodeDevCapsDef *cap = ndNodeDevCapsDefNew(ND_NODE_DEV_CAP_CSS_DEV);
    GPtrArray *types;

    g_assert_null(ndNodeDeviceDefFindMdevTypes(def));
    g_ptr_array_add(cap->data.ccw_dev.mdev_types,
                    ndMdevTypeNew("vfio_ccw-io", NULL, "vfio-ccw", 1));
    ndNodeDeviceDefAddCap(def, &cap);
    g_assert_null(cap);
    g_assert_null(ndNodeDeviceDefFindCap(def, ND_NODE_DEV_CAP_PCI_DEV));
    g_assert_nonnull(ndNodeDeviceDefFindCap(def, ND_NODE_DEV_CAP_CSS_DEV));
    types = ndNodeDeviceDefFindMdevTypes(def);
    g_assert_nonnull(types);
    g_assert_cmpuint(types->len, ==, 1);
}

/* A definition built by hand, as the driver builds them from sysfs. */
static void
testFormatBuilt(void)
{
    g_autoptr(ndNodeDeviceDef) def = ndNodeDeviceDefNew();
    ndNodeDevCapsDef *cap = ndNodeDevCapsDefNew(ND_NODE_DEV_CAP_MDEV);
    g_autofree char *live = NULL;
    g_autofree char *inactive = NULL;

    def->name = ndNodeDeviceMdevName("435722ea-5f43-468a-874f-da34f1217f13",
                                     "0000:00:02.0");
    def->sysfs_path = g_strdup("/sys/devices/pci0000:00/0000:00:02.0/"
                               "435722ea-5f43-468a-874f-da34f1217f13");
    def->parent = g_strdup("pci_0000_00_02_0");
    def->driver = g_strdup("vfio_mdev");
    cap->data.mdev.uuid = g_strdup("435722ea-5f43-468a-874f-da34f1217f13");
    cap->data.mdev.parent_addr = g_strdup("0000:00:02.0");
    cap->data.mdev.iommu_group = 12;
    cap->data.mdev.active.type = g_strdup("i915-GVTg_V5_4");
    cap->data.mdev.defined.type = g_strdup("i915-GVTg_V5_8");
    ndMdevConfigAddAttr(&cap->data.mdev.defined, "testattr", "42");
    ndNodeDeviceDefAddCap(def, &cap);

    live = ndNodeDeviceDefFormat(def, 0);
    inactive = ndNodeDeviceDefFormat(def, ND_NODE_DEVICE_XML_INACTIVE);
    g_assert_cmpstr(live, ==,
                    "<device>\n"
                    "  <name>mdev_435722ea_5f43_468a_874f_da34f1217f13_0000_00_02_0</name>\n"
                    "  <path>/sys/devices/pci0000:00/0000:00:02.0/435722ea-5f43-468a-874f-da34f1217f13</path>\n"
                    "  <parent>pci_0000_00_02_0</parent>\n"
                    "  <driver>\n"
                    "    <name>vfio_mdev</name>\n"
                    "  </driver>\n"
                    "  <capability type='mdev'>\n"
                    "    <type id='i915-GVTg_V5_4'/>\n"
                    "    <uuid>435722ea-5f43-468a-874f-da34f1217f13</uuid>\n"
                    "    <parent_addr>0000:00:02.0</parent_addr>\n"
                    "    <iommuGroup number='12'/>\n"
                    "  </capability>\n"
                    "</device>\n");
    g_assert_cmpstr(inactive, ==,
                    "<device>\n"
                    "  <name>mdev_435722ea_5f43_468a_874f_da34f1217f13_0000_00_02_0</name>\n"
                    "  <parent>pci_0000_00_02_0</parent>\n"
                    "  <capability type='mdev'>\n"
                    "    <type id='i915-GVTg_V5_8'/>\n"
                    "    <uuid>435722ea-5f43-468a-874f-da34f1217f13</uuid>\n"
                    "    <parent_addr>0000:00:02.0</parent_addr>\n"
                    "    <iommuGroup number='12'/>\n"
                    "    <attr name='testattr' value='42'/>\n"
                    "  </capability>\n"
                    "</device>\n");
}

static gpointer
validateThread(gpointer data)
{
    const char *xml = data;
    int i;

    for (i = 0; i < 50; i++) {
        if (ndNodeDeviceValidateString(xml, NULL) < 0)
            return GINT_TO_POINTER(1);
    }
    return NULL;
}

/* Parsing and validating from several threads at once (the RPC layer's
 * workers do): no crash, and every answer is right. */
static void
testThreads(void)
{
    const char *xml =
        "<device><name>x</name><capability type='mdev'>"
        "<type id='t'/></capability></device>";
    GThread *threads[4];
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(threads); i++)
        threads[i] = g_thread_new("validate", validateThread, (gpointer) xml);
    for (i = 0; i < G_N_ELEMENTS(threads); i++)
        g_assert_null(g_thread_join(threads[i]));
    g_assert_cmpint(ndNodeDeviceValidateString("<device/>", NULL), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, VIR_ERR_XML_INVALID_SCHEMA);
}

static void
testSchemaPath(void)
{
    g_autofree char *dir = g_dir_make_tmp("ndschema-XXXXXX", NULL);
    g_autofree char *rng = g_build_filename(dir, "nodedev.rng", NULL);
    g_autofree char *path = NULL;
    g_autofree char *expected = NULL;
    g_autofree char *saved = g_strdup(g_getenv("ND_SCHEMA_DIR"));
    g_autoptr(ndNodeDeviceDef) def = NULL;
    const char *xml = "<device><name>x</name><capability type='ap_card'>"
                      "<ap-adapter>1</ap-adapter></capability></device>";

    g_assert_nonnull(dir);
    /* a schema that accepts nothing but an empty <device/> */
    writeFile(rng, "<element name='device' "
                   "xmlns='http://relaxng.org/ns/structure/1.0'><empty/></element>\n");
    g_setenv("ND_SCHEMA_DIR", dir, TRUE);
    path = ndNodeDeviceSchemaPath();
    g_assert_cmpstr(path, ==, rng);
    g_assert_cmpint(ndNodeDeviceValidateString("<device/>", NULL), ==, 0);
    g_assert_cmpint(ndNodeDeviceValidateString(xml, NULL), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, VIR_ERR_XML_INVALID_SCHEMA);
    g_assert_null(ndNodeDeviceDefParseString(xml, ND_NODE_DEVICE_PARSE_EXISTING,
                                             ND_NODE_DEVICE_PARSE_VALIDATE,
                                             NULL, NULL));
    expected = g_strdup_printf("XML document failed to validate against schema: "
                               "Unable to validate doc against %s\n", rng);
    g_assert_true(g_str_has_prefix(ndGetLastErrorMessage(), expected));
    /* without the flag the same document parses */
    def = ndNodeDeviceDefParseString(xml, ND_NODE_DEVICE_PARSE_EXISTING, 0,
                                     NULL, NULL);
    g_assert_nonnull(def);

    /* a schema that cannot be loaded is an internal error */
    g_assert_cmpint(unlink(rng), ==, 0);
    g_setenv("ND_SCHEMA_DIR", "/nonexistent-nd-schema-dir", TRUE);
    g_assert_cmpint(ndNodeDeviceValidateString(xml, NULL), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_INTERNAL_ERROR);

    if (saved)
        g_setenv("ND_SCHEMA_DIR", saved, TRUE);
    else
        g_unsetenv("ND_SCHEMA_DIR");
    g_free(path);
    path = ndNodeDeviceSchemaPath();
    g_assert_true(g_str_has_suffix(path, "/schemas/nodedev.rng"));
    g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpint(rmdir(dir), ==, 0);
}

static const char *self_path;

static int
runSelf(const char *const *args, char **ret_out, char **ret_err)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    int status = 0;

    g_ptr_array_add(argv, (gpointer) self_path);
    for (; *args; args++)
        g_ptr_array_add(argv, (gpointer) *args);
    g_ptr_array_add(argv, NULL);
    if (!g_spawn_sync(NULL, (char **) argv->pdata, NULL, 0, NULL, NULL,
                      ret_out, ret_err, &status, &err))
        g_error("cannot run '%s': %s", self_path, err->message);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The single-file mode the conformance checker uses. */
static void
testSingleFile(void)
{
    g_autofree char *in = g_build_filename(dataDir(), "mdev-pci-live.xml", NULL);
    g_autofree char *live = g_build_filename(dataDir(), "mdev-pci-live.out.xml", NULL);
    g_autofree char *ina = g_build_filename(dataDir(),
                                            "mdev-pci-live_inactive.out.xml", NULL);
    g_autofree char *bad = g_build_filename(dataDir(), "fail-mdev-bad-uuid.xml", NULL);
    g_autofree char *unknown = g_build_filename(dataDir(),
                                                "fail-validate-unknown-element.xml",
                                                NULL);
    g_autofree char *exp_live = readFile(live);
    g_autofree char *exp_ina = readFile(ina);
    g_autofree char *out = NULL;
    g_autofree char *errout = NULL;
    const char *args_live[] = { in, NULL };
    const char *args_ina[] = { "--inactive", in, NULL };
    const char *args_bad[] = { bad, NULL };
    const char *args_noval[] = { unknown, NULL };
    const char *args_val[] = { "--validate", unknown, NULL };

    g_assert_cmpint(runSelf(args_live, &out, &errout), ==, 0);
    g_assert_cmpstr(out, ==, exp_live);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&errout, g_free);

    g_assert_cmpint(runSelf(args_ina, &out, &errout), ==, 0);
    g_assert_cmpstr(out, ==, exp_ina);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&errout, g_free);

    g_assert_cmpint(runSelf(args_bad, &out, &errout), ==, 1);
    g_assert_cmpstr(out, ==, "");
    g_assert_cmpstr(errout, ==,
                    "error: internal error: invalid uuid "
                    "'b1a3c5e7-0f2d-4c6b-8a9e-1d3f5b7c9e0' for mediated device "
                    "'mdev_x'\n");
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&errout, g_free);

    g_assert_cmpint(runSelf(args_noval, &out, &errout), ==, 0);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&errout, g_free);
    g_assert_cmpint(runSelf(args_val, &out, &errout), ==, 1);
    g_assert_true(g_str_has_prefix(errout, "error: XML document failed to validate "
                                           "against schema: Unable to validate doc "
                                           "against "));
}

/* ---- single-file mode ---------------------------------------------------- */

static int
singleFile(const char *path, gboolean inactive, gboolean validate)
{
    g_autofree char *xml = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(ndNodeDeviceDef) def = NULL;
    g_autofree char *out = NULL;

    if (!g_file_get_contents(path, &xml, NULL, &err)) {
        g_printerr("error: %s\n", err->message);
        return 1;
    }
    def = ndNodeDeviceDefParseString(xml, ND_NODE_DEVICE_PARSE_EXISTING,
                                     validate ? ND_NODE_DEVICE_PARSE_VALIDATE : 0,
                                     NULL, NULL);
    if (!def) {
        g_printerr("error: %s\n", ndGetLastErrorMessage());
        return 1;
    }
    if (!inactive)
        copyDefinedToActive(def);
    out = ndNodeDeviceDefFormat(def, inactive ? ND_NODE_DEVICE_XML_INACTIVE : 0);
    fputs(out, stdout);
    return 0;
}

/* Our options are removed from argv; the rest is for GTest. Returns the
 * single FILE argument, if any. */
static const char *
parseArgs(int *argc, char **argv, gboolean *inactive, gboolean *validate)
{
    const char *file = NULL;
    int i;
    int j = 1;

    for (i = 1; i < *argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--inactive") == 0) {
            *inactive = TRUE;
        } else if (strcmp(a, "--validate") == 0) {
            *validate = TRUE;
        } else if (g_str_has_prefix(a, "--libvirt-schema=")) {
            libvirt_schema = a + strlen("--libvirt-schema=");
        } else if (g_str_has_prefix(a, "--our-schema=")) {
            our_schema = a + strlen("--our-schema=");
        } else if ((strcmp(a, "-p") == 0 || strcmp(a, "-s") == 0 ||
                    strcmp(a, "-r") == 0 || strcmp(a, "--seed") == 0 ||
                    strcmp(a, "--GTestLogFD") == 0) && i + 1 < *argc) {
            argv[j++] = argv[i++];
            argv[j++] = argv[i];
        } else if (a[0] != '-' && !file) {
            file = a;
        } else {
            argv[j++] = argv[i];
        }
    }
    argv[j] = NULL;
    *argc = j;
    return file;
}

int
main(int argc, char **argv)
{
    gboolean inactive = FALSE;
    gboolean validate = FALSE;
    const char *file;

    self_path = argv[0];
    file = parseArgs(&argc, argv, &inactive, &validate);

    if (file)
        return singleFile(file, inactive, validate);
    if (inactive || validate) {
        g_printerr("usage: %s [--inactive] [--validate] FILE\n", argv[0]);
        return 2;
    }

    g_test_init(&argc, &argv, NULL);

    /* --- cases: one line each; see tests/nodedevxml2xmldata/ --- */
    DO_TEST("ap-card");
    DO_TEST("ap-matrix-empty");
    DO_TEST("ap-matrix-mdev-types");
    DO_TEST("ap-queue");
    DO_TEST("ccw-device");
    DO_TEST("css-channel-mdev-types");
    DO_TEST_FULL("css-numbers-liberal", TEST_NO_SCHEMA);
    DO_TEST("css-plain");
    DO_TEST("mdev-ap-attrs");
    DO_TEST("mdev-attr-escape");
    DO_TEST("mdev-attr-folder");
    DO_TEST("escape-whitespace");
    DO_TEST("mdev-ccw");
    DO_TEST_FULL("mdev-create", TEST_CREATE);
    DO_TEST_FULL("mdev-define-no-name", TEST_DEFINE | TEST_NO_SCHEMA);
    DO_TEST("mdev-interleaved");
    DO_TEST("mdev-minimal");
    DO_TEST("mdev-pci-live");
    DO_TEST_FULL("mdev-uuid-liberal", TEST_NO_SCHEMA);
    DO_TEST("pci-bridge");
    DO_TEST("pci-cardbus-bridge");
    DO_TEST("pci-gpu-mdev-parent");
    DO_TEST_FULL("pci-numbers-liberal", TEST_NO_SCHEMA);
    DO_TEST("pci-pcie-empty");
    DO_TEST("pci-sriov-pf");
    DO_TEST("pci-sriov-vf");
    DO_TEST("pci-vfs-empty");
    DO_TEST("pci-vfs-maxcount-only");
    DO_TEST("pci-vpd");
    DO_TEST("pci-vpd-upsert");
    DO_TEST("system-escape");
    DO_TEST("system-full");
    DO_TEST_FULL("system-minimal", TEST_NO_SCHEMA);
    DO_TEST_FULL("validate-ok", TEST_VALIDATE);

    DO_TEST_FAIL("fail-ap-card-bad-adapter");
    DO_TEST_FAIL("fail-ap-card-no-adapter");
    DO_TEST_FAIL("fail-ap-matrix-nested-duplicate");
    DO_TEST_FAIL("fail-ap-queue-bad-domain");
    DO_TEST_FAIL("fail-ap-queue-no-domain");
    DO_TEST_FAIL("fail-cap-mdev-types-toplevel");
    DO_TEST_FAIL("fail-cap-missing-type");
    DO_TEST_FAIL("fail-cap-unknown");
    DO_TEST_FAIL("fail-cap-unsupported");
    DO_TEST_FAIL("fail-css-bad-cssid");
    DO_TEST_FAIL("fail-css-bad-ssid");
    DO_TEST_FAIL("fail-css-channel-bad-devno");
    DO_TEST_FAIL("fail-css-channel-missing-ssid");
    DO_TEST_FAIL("fail-css-devno-too-big");
    DO_TEST_FAIL("fail-css-missing-cssid");
    DO_TEST_FAIL("fail-css-nested-unknown");
    DO_TEST_FAIL("fail-devnode-bad-type");
    DO_TEST_FAIL("fail-devnode-no-type");
    DO_TEST_FAIL("fail-doctype-entities");
    DO_TEST_FAIL("fail-empty-name");
    DO_TEST_FAIL("fail-malformed");
    DO_TEST_FAIL("fail-mdev-attr-dotdot");
    DO_TEST_FAIL("fail-mdev-attr-no-name");
    DO_TEST_FAIL("fail-mdev-attr-no-value");
    DO_TEST_FAIL("fail-mdev-attr-path-name");
    DO_TEST_FAIL("fail-mdev-attr-deep-name");
    DO_TEST_FAIL("fail-mdev-bad-iommu");
    DO_TEST_FAIL("fail-mdev-bad-uuid");
    DO_TEST_FULL("fail-mdev-create-path-type", TEST_PARSE_FAIL | TEST_CREATE);
    DO_TEST_FAIL("fail-mdev-empty-type-id");
    DO_TEST_FAIL("fail-mdev-no-type");
    DO_TEST_FAIL("fail-mdev-types-bad-instances");
    DO_TEST_FAIL("fail-mdev-types-empty");
    DO_TEST_FAIL("fail-mdev-types-no-api");
    DO_TEST_FAIL("fail-mdev-types-no-id");
    DO_TEST_FAIL("fail-mdev-types-no-instances");
    DO_TEST_FAIL("fail-mismatched-tag");
    DO_TEST_FAIL("fail-missing-name");
    DO_TEST_FAIL("fail-no-capability");
    DO_TEST_FAIL("fail-not-xml");
    DO_TEST_FAIL("fail-pci-address-bad-bus");
    DO_TEST_FAIL("fail-pci-address-bad-function");
    DO_TEST_FAIL("fail-pci-address-bad-slot");
    DO_TEST_FAIL("fail-pci-bad-bus");
    DO_TEST_FAIL("fail-pci-bad-class");
    DO_TEST_FAIL("fail-pci-bad-maxcount");
    DO_TEST_FAIL("fail-pci-bad-numa");
    DO_TEST_FAIL("fail-pci-bad-product-id");
    DO_TEST_FAIL("fail-pci-class-too-big");
    DO_TEST_FAIL("fail-pci-domain-too-big");
    DO_TEST_FAIL("fail-pci-function-overflow");
    DO_TEST_FAIL("fail-pci-iommu-bad-number");
    DO_TEST_FAIL("fail-pci-iommu-no-number");
    DO_TEST_FAIL("fail-pci-link-bad-port");
    DO_TEST_FAIL("fail-pci-link-bad-speed");
    DO_TEST_FAIL("fail-pci-link-no-width");
    DO_TEST_FAIL("fail-pci-missing-domain");
    DO_TEST_FAIL("fail-pci-missing-vendor");
    DO_TEST_FAIL("fail-pci-missing-vendor-id");
    DO_TEST_FAIL("fail-pci-negative-slot");
    DO_TEST_FAIL("fail-pci-nested-duplicate");
    DO_TEST_FAIL("fail-pci-nested-no-type");
    DO_TEST_FAIL("fail-pci-nested-unknown");
    DO_TEST_FAIL("fail-pci-phys-function-no-address");
    DO_TEST_FAIL("fail-system-bad-uuid");
    DO_TEST_FAIL("fail-system-no-uuid");
    DO_TEST_FAIL("fail-undefined-entity");
    DO_TEST_FULL("fail-validate-bad-uuid-form", TEST_PARSE_FAIL | TEST_VALIDATE);
    DO_TEST_FULL("fail-validate-unknown-element", TEST_PARSE_FAIL | TEST_VALIDATE);
    DO_TEST_FULL("fail-validate-create-no-name", TEST_PARSE_FAIL | TEST_VALIDATE | TEST_CREATE);
    DO_TEST_FAIL("fail-vpd-bad-access");
    DO_TEST_FAIL("fail-vpd-bad-index");
    DO_TEST_FAIL("fail-vpd-duplicate-fields");
    DO_TEST_FAIL("fail-vpd-empty-value");
    DO_TEST_FAIL("fail-vpd-no-access");
    DO_TEST_FAIL("fail-vpd-no-name");
    DO_TEST_FAIL("fail-vpd-system-index-a");
    DO_TEST_FAIL("fail-wrong-root");
    DO_TEST_FAIL("fail-xxe");
    /* --- end cases --- */

    if (!libvirt_schema && !our_schema) {
        g_test_add_func("/nodedevxml2xml/attr-limit", testAttrLimit);
        g_test_add_func("/nodedevxml2xml/oversized", testOversized);
        g_test_add_func("/nodedevxml2xml/parse-error-context",
                        testParseErrorContext);
        g_test_add_func("/nodedevxml2xml/callbacks", testCallbacks);
        g_test_add_func("/nodedevxml2xml/names", testNames);
        g_test_add_func("/nodedevxml2xml/addresses", testAddresses);
        g_test_add_func("/nodedevxml2xml/enums", testEnums);
        g_test_add_func("/nodedevxml2xml/mdev-config", testMdevConfig);
        g_test_add_func("/nodedevxml2xml/find", testFind);
        g_test_add_func("/nodedevxml2xml/format-built", testFormatBuilt);
        /* before any thread exists: it changes the environment */
        g_test_add_func("/nodedevxml2xml/schema-path", testSchemaPath);
        g_test_add_func("/nodedevxml2xml/single-file", testSingleFile);
        g_test_add_func("/nodedevxml2xml/threads", testThreads);
    }

    return g_test_run();
}
