/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of UUID parsing (libvirt's liberal rules), formatting, generation
 * and the strict kernel form. */
#include <string.h>

#include "util/nduuid.h"

static const char *const good[][2] = {
    { "c60cc60c-c60c-c60c-c60c-c60cc60cc60c",
      "c60cc60c-c60c-c60c-c60c-c60cc60cc60c" },
    { "C60CC60C-C60C-C60C-C60C-C60CC60CC60C",
      "c60cc60c-c60c-c60c-c60c-c60cc60cc60c" },
    { "c60cc60cc60cc60cc60cc60cc60cc60c",
      "c60cc60c-c60c-c60c-c60c-c60cc60cc60c" },
    { "  \t4b20d080-1b54-4048-85b3-a6a62d165c01\n ",
      "4b20d080-1b54-4048-85b3-a6a62d165c01" },
    { "4b 20 d0 80 1b 54 40 48 85 b3 a6 a6 2d 16 5c 01",
      "4b20d080-1b54-4048-85b3-a6a62d165c01" },
    { "4b20--d080-1b54-40 48-85b3-a6a62d165c01",
      "4b20d080-1b54-4048-85b3-a6a62d165c01" },
    { "-4b20d0801b54404885b3a6a62d165c01",
      "4b20d080-1b54-4048-85b3-a6a62d165c01" },
};

static const char *const bad[] = {
    "",
    "   ",
    "c60cc60c-c60c-c60c-c60c-c60cc60cc60",     /* 31 digits */
    "c60cc60c-c60c-c60c-c60c-c60cc60cc60c0",   /* 33 digits */
    "c60cc60c-c60c-c60c-c60c-c60cc60cc-60c",   /* - inside a pair */
    "g60cc60c-c60c-c60c-c60c-c60cc60cc60c",    /* not hex */
    "c60cc60c-c60c-c60c-c60c-c60cc60cc60c x",  /* trailing garbage */
    "{c60cc60c-c60c-c60c-c60c-c60cc60cc60c}",
    "c60cc60c_c60c_c60c_c60c_c60cc60cc60c",
    "4b20d0801b54404885b3a6a62d165c01-",       /* only space may trail */
};

static void
testParseGood(void)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autofree char *canon = ndUUIDCanonicalize(good[i][0]);

        g_assert_cmpstr(canon, ==, good[i][1]);
    }
}

static void
testParseBad(void)
{
    size_t i;
    unsigned char uuid[ND_UUID_BUFLEN];

    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        memset(uuid, 0xaa, sizeof(uuid));
        g_assert_cmpint(ndUUIDParse(bad[i], uuid), ==, -1);
        /* untouched on failure */
        g_assert_cmpint(uuid[0], ==, 0xaa);
        g_assert_cmpint(uuid[15], ==, 0xaa);
        g_assert_null(ndUUIDCanonicalize(bad[i]));
    }
    g_assert_cmpint(ndUUIDParse(NULL, uuid), ==, -1);
}

static void
testFormat(void)
{
    const unsigned char uuid[ND_UUID_BUFLEN] = {
        0x00, 0x01, 0xab, 0xcd, 0xef, 0x10, 0x20, 0x30,
        0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xff,
    };
    char buf[ND_UUID_STRING_BUFLEN];

    ndUUIDFormat(uuid, buf);
    g_assert_cmpstr(buf, ==, "0001abcd-ef10-2030-4050-60708090a0ff");
}

static void
testGenerate(void)
{
    size_t i;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal,
                                                       g_free, NULL);

    for (i = 0; i < 1000; i++) {
        char *s = ndUUIDGenerateString();

        g_assert_true(ndUUIDIsKernelForm(s));
        g_assert_cmpint(s[14], ==, '4');
        g_assert_true(strchr("89ab", s[19]) != NULL);
        g_assert_false(g_hash_table_contains(seen, s));
        g_hash_table_add(seen, s);
    }
}

static void
testKernelForm(void)
{
    g_assert_true(ndUUIDIsKernelForm("c60cc60c-c60c-c60c-c60c-c60cc60cc60c"));
    g_assert_true(ndUUIDIsKernelForm("C60CC60C-C60C-C60C-C60C-C60CC60CC60C"));
    g_assert_false(ndUUIDIsKernelForm(NULL));
    g_assert_false(ndUUIDIsKernelForm(""));
    g_assert_false(ndUUIDIsKernelForm("c60cc60cc60cc60cc60cc60cc60cc60c"));
    g_assert_false(ndUUIDIsKernelForm(" c60cc60c-c60c-c60c-c60c-c60cc60cc60c"));
    g_assert_false(ndUUIDIsKernelForm("c60cc60c-c60c-c60c-c60c-c60cc60cc60c "));
    g_assert_false(ndUUIDIsKernelForm("c60cc60c-c60c-c60c-c60c-c60cc60cc60"));
    g_assert_false(ndUUIDIsKernelForm("c60cc60c-c60cc-60c-c60c-c60cc60cc60c"));
    g_assert_false(ndUUIDIsKernelForm("../../../../etc/passwd-aaaaaaaaaaaa"));
    g_assert_false(ndUUIDIsKernelForm("c60cc60c-c60c-c60c-c60c-c60cc60cc6/c"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/uuid/parse-good", testParseGood);
    g_test_add_func("/uuid/parse-bad", testParseBad);
    g_test_add_func("/uuid/format", testFormat);
    g_test_add_func("/uuid/generate", testGenerate);
    g_test_add_func("/uuid/kernel-form", testKernelForm);
    return g_test_run();
}
