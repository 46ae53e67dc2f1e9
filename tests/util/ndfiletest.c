/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of ndfile: bounded reads and atomic writes. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "util/ndfile.h"
#include "util/nderror.h"

static char *
makeTmp(void)
{
    g_autoptr(GError) err = NULL;
    char *dir = g_dir_make_tmp("ndfiletest-XXXXXX", &err);

    g_assert_no_error(err);
    return dir;
}

static guint
countEntries(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;

    while (g_dir_read_name(d))
        n++;
    return n;
}

static void
testReadLimit(void)
{
    g_autofree char *dir = makeTmp();
    g_autofree char *f = g_build_filename(dir, "f", NULL);
    g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
    g_autofree char *data = NULL;
    size_t len = 0;

    g_assert_true(g_file_set_contents(f, "0123456789", 10, NULL));
    g_assert_cmpint(ndFileReadLimit(f, 10, &data, &len), ==, 0);
    g_assert_cmpstr(data, ==, "0123456789");
    g_assert_cmpuint(len, ==, 10);
    g_clear_pointer(&data, g_free);

    g_assert_cmpint(ndFileReadLimit(f, 9, &data, NULL), ==, -1);
    g_assert_null(data);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_OVERFLOW);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "is larger than 9 bytes"));

    g_assert_cmpint(ndFileReadLimit(dir, 100, &data, NULL), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_INVALID_ARG);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    g_assert_cmpint(ndFileReadLimit(fifo, 100, &data, NULL), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_INVALID_ARG);
    g_assert_cmpint(ndFileReadLimit("/nonexistent/x", 100, &data, NULL), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_SYSTEM_ERROR);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "'/nonexistent/x'"));
    ndResetLastError();

    g_unlink(f);
    g_unlink(fifo);
    g_rmdir(dir);
}

static void
testWriteAtomic(void)
{
    g_autofree char *dir = makeTmp();
    g_autofree char *f = g_build_filename(dir, "def", NULL);
    g_autofree char *sub = g_build_filename(dir, "sub", NULL);
    g_autofree char *content = NULL;
    struct stat st;

    g_assert_cmpint(ndFileWriteAtomic(f, "{\"a\":1}", 7, 0600), ==, 0);
    g_assert_true(g_file_get_contents(f, &content, NULL, NULL));
    g_assert_cmpstr(content, ==, "{\"a\":1}");
    g_assert_cmpint(stat(f, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    g_clear_pointer(&content, g_free);

    /* replace: new content and mode, no temporary file left */
    g_assert_cmpint(ndFileWriteAtomic(f, "xyz", 3, 0644), ==, 0);
    g_assert_true(g_file_get_contents(f, &content, NULL, NULL));
    g_assert_cmpstr(content, ==, "xyz");
    g_assert_cmpint(stat(f, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0644);
    g_assert_cmpuint(countEntries(dir), ==, 1);
    g_clear_pointer(&content, g_free);

    /* rename over a directory fails: old state kept, temp file removed */
    g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
    g_assert_cmpint(ndFileWriteAtomic(sub, "x", 1, 0600), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_SYSTEM_ERROR);
    g_assert_true(g_file_test(sub, G_FILE_TEST_IS_DIR));
    g_assert_cmpuint(countEntries(dir), ==, 2);
    g_assert_cmpint(ndFileWriteAtomic("/nonexistent/dir/f", "x", 1, 0600), ==, -1);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "'/nonexistent/dir/f'"));
    ndResetLastError();

    g_unlink(f);
    g_rmdir(sub);
    g_rmdir(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/file/read-limit", testReadLimit);
    g_test_add_func("/file/write-atomic", testWriteAtomic);
    return g_test_run();
}
