/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of the error model: codes, domains, libvirt's message prefixes. */
#include <errno.h>

#include "util/nderror.h"
#include "util/ndinternal.h"

static int
failNoDevice(const char *name)
{
    ndReportError(ND_ERR_NO_NODE_DEVICE,
                  _("no node device with matching name '%1$s'"), name);
    return -1;
}

static void
testPrefix(void)
{
    const ndError *err;

    ndResetLastError();
    g_assert_null(ndGetLastError());
    g_assert_cmpint(failNoDevice("nope"), ==, -1);
    err = ndGetLastError();
    g_assert_nonnull(err);
    g_assert_cmpint(err->code, ==, 53);
    g_assert_cmpint(err->domain, ==, 22);
    g_assert_cmpstr(err->message, ==,
                    "Node device not found: no node device with matching name 'nope'");
    g_assert_cmpstr(err->str1, ==, "Node device not found: %s");
    g_assert_cmpstr(err->str2, ==, "no node device with matching name 'nope'");
}

static void
testSystem(void)
{
    ndReportSystemError(EEXIST, _("cannot write '%1$s'"), "create");
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_SYSTEM_ERROR);
    g_assert_cmpstr(ndGetLastErrorMessage(), ==,
                    "cannot write 'create': File exists");
}

static void
testSaveRestore(void)
{
    g_autoptr(ndError) saved = NULL;

    ndReportError(ND_ERR_CONFIG_UNSUPPORTED, _("missing parent device"));
    saved = ndSaveLastError();
    g_assert_null(ndGetLastError());
    ndReportError(ND_ERR_INTERNAL_ERROR, "%s", "cleanup failed");
    ndRestoreLastError(&saved);
    g_assert_null(saved);
    g_assert_cmpstr(ndGetLastErrorMessage(), ==,
                    "unsupported configuration: missing parent device");
}

static void
testRaw(void)
{
    ndReportErrorRaw(ND_FROM_RPC, ND_ERR_RPC, "unknown procedure: 999");
    g_assert_cmpint(ndGetLastError()->domain, ==, 7);
    g_assert_cmpstr(ndGetLastErrorMessage(), ==, "unknown procedure: 999");
}

static void
testSchemaPrefix(void)
{
    ndReportError(ND_ERR_XML_INVALID_SCHEMA, "%s", "bad element");
    g_assert_cmpint(ndGetLastErrorCode(), ==, 92);
    g_assert_cmpstr(ndGetLastErrorMessage(), ==,
                    "XML document failed to validate against schema: bad element");
}

static gpointer
threadBody(gpointer data)
{
    /* a new thread starts with no error, whatever the main thread holds */
    return GINT_TO_POINTER(ndGetLastError() == NULL);
}

static void
testThreadLocal(void)
{
    GThread *th;

    ndReportError(ND_ERR_INTERNAL_ERROR, "%s", "main");
    th = g_thread_new("err", threadBody, NULL);
    g_assert_true(GPOINTER_TO_INT(g_thread_join(th)));
    g_assert_cmpstr(ndGetLastErrorMessage(), ==, "internal error: main");
    ndResetLastError();
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/error/prefix", testPrefix);
    g_test_add_func("/error/system", testSystem);
    g_test_add_func("/error/save-restore", testSaveRestore);
    g_test_add_func("/error/raw", testRaw);
    g_test_add_func("/error/schema-prefix", testSchemaPrefix);
    g_test_add_func("/error/thread-local", testThreadLocal);
    return g_test_run();
}
