/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of ndsysfs: containment in the root, bounded reads, raw writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "util/ndsysfs.h"
#include "util/ndmdev.h"
#include "util/ndpci.h"
#include "util/nderror.h"

/* Linked with -Wl,--wrap=syscall: with @openat2_errno set, openat2()
 * fails as on kernels before 5.6 (ENOSYS) or under an old seccomp profile
 * (EPERM), so the fallback path (openat() plus a check of where the fd
 * landed) runs through the same tests. */
long __real_syscall(long number, ...);
long __wrap_syscall(long number, ...);

static int openat2_errno;     /* 0: openat2() works */
static guint openat2_calls;
static guint openat2_components;

long
__wrap_syscall(long number, ...)
{
    va_list ap;
    long a[6];
    int i;

    va_start(ap, number);
    for (i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_openat2) {
        g_auto(GStrv) parts = g_strsplit((const char *) a[1], "/", -1);

        openat2_calls++;
        openat2_components += g_strv_length(parts);
        if (openat2_errno) {
            errno = openat2_errno;
            return -1;
        }
    }
    return __real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static char *
treePath(const char *name)
{
    return g_build_filename(g_getenv("ND_TEST_SRCDIR"), "sysfsdata", name, NULL);
}

static ndSysfs *
openTree(const char *name)
{
    g_autofree char *path = treePath(name);
    ndSysfs *sysfs = ndSysfsNew(path);

    g_assert_nonnull(sysfs);
    return sysfs;
}

static void
testNew(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    g_autoptr(ndSysfs) none = NULL;
    g_autofree char *path = treePath("gpu");
    g_autofree char *built = NULL;

    g_assert_cmpstr(ndSysfsGetRoot(sysfs), ==, path);
    built = ndSysfsBuildPath(sysfs, "class/mdev_bus");
    g_assert_true(g_str_has_suffix(built, "/gpu/class/mdev_bus"));

    ndResetLastError();
    none = ndSysfsNew("/nonexistent/sysfs/root");
    g_assert_null(none);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_SYSTEM_ERROR);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "/nonexistent/sysfs/root"));
    g_assert_null(ndSysfsNew(""));
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_INVALID_ARG);
    g_assert_null(ndSysfsNew(NULL));
    ndResetLastError();
}

static void
testNameIsSafe(void)
{
    g_autofree char *longest = g_strnfill(ND_SYSFS_NAME_MAX, 'a');
    g_autofree char *toolong = g_strnfill(ND_SYSFS_NAME_MAX + 1, 'a');
    g_autofree char *esc = NULL;

    g_assert_true(ndSysfsNameIsSafe("nvidia-222"));
    g_assert_true(ndSysfsNameIsSafe("0000:41:00.0"));
    g_assert_true(ndSysfsNameIsSafe("i915-GVTg_V5_4"));
    g_assert_true(ndSysfsNameIsSafe("..."));
    g_assert_true(ndSysfsNameIsSafe(".hidden"));
    g_assert_true(ndSysfsNameIsSafe(longest));
    g_assert_false(ndSysfsNameIsSafe(toolong));
    g_assert_false(ndSysfsNameIsSafe(NULL));
    g_assert_false(ndSysfsNameIsSafe(""));
    g_assert_false(ndSysfsNameIsSafe("."));
    g_assert_false(ndSysfsNameIsSafe(".."));
    g_assert_false(ndSysfsNameIsSafe("../x"));
    g_assert_false(ndSysfsNameIsSafe("a/b"));
    g_assert_false(ndSysfsNameIsSafe("/etc"));
    g_assert_false(ndSysfsNameIsSafe("a\nb"));
    g_assert_false(ndSysfsNameIsSafe("tab\t"));

    esc = ndSysfsNameEscape("a\nb");
    g_assert_cmpstr(esc, ==, "a\\nb");
}

static void
testReadString(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    g_autofree char *value = NULL;
    g_autofree char *missing = NULL;
    const char *desc = "devices/pci0000:00/0000:00:02.0/mdev_supported_types/"
                       "i915-GVTg_V5_4/description";

    g_assert_cmpint(ndSysfsReadString(sysfs, desc, &value), ==, 0);
    /* multi-line, trailing newline stripped */
    g_assert_true(g_str_has_prefix(value, "low_gm_size: 128MB\nhigh_gm_size"));
    g_assert_true(g_str_has_suffix(value, "weight: 4"));

    missing = (char *) 0x1;
    g_assert_cmpint(ndSysfsReadString(sysfs, "devices/none/at/all", &missing),
                    ==, 0);
    g_assert_null(missing);
    /* a file used as a directory: ENOTDIR counts as missing */
    missing = (char *) 0x1;
    g_assert_cmpint(ndSysfsReadString(sysfs,
                                      "devices/pci0000:00/0000:00:02.0/class/x",
                                      &missing), ==, 0);
    g_assert_null(missing);
}

static void
testReadBounded(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("malformed");
    g_autofree char *value = NULL;
    g_autofree char *data = NULL;
    size_t len = 0;

    /* exactly the limit is fine, one byte more is refused */
    g_assert_cmpint(ndSysfsReadString(sysfs, "devices/exact", &value), ==, 0);
    g_assert_cmpuint(strlen(value), ==, ND_SYSFS_READ_MAX);
    g_clear_pointer(&value, g_free);

    ndResetLastError();
    g_assert_cmpint(ndSysfsReadString(sysfs, "devices/huge", &value), ==, -1);
    g_assert_null(value);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_INTERNAL_ERROR);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "larger than 65536 bytes"));

    /* binary reads stop at the caller's cap without failing */
    g_assert_cmpint(ndSysfsReadFile(sysfs, "devices/huge", 10, &data, &len),
                    ==, 0);
    g_assert_cmpuint(len, ==, 10);
    g_assert_cmpstr(data, ==, "1111111111");

    /* NUL bytes in a text attribute */
    g_assert_cmpint(ndSysfsReadString(sysfs,
                                      "class/mdev_bus/bad0/mdev_supported_types/bad-nul/name",
                                      &value), ==, -1);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "not a text file"));

    /* a directory where a file should be */
    g_assert_cmpint(ndSysfsReadString(sysfs, "devices", &value), ==, -1);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "not a regular file"));
    ndResetLastError();
}

static void
testReadNumbers(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    g_autoptr(ndSysfs) bad = openTree("malformed");
    unsigned int u = 0;
    int i = 0;

    g_assert_cmpint(ndSysfsReadUInt(sysfs, "bus/pci/devices/0000:41:00.0/class",
                                    0, &u), ==, 1);
    g_assert_cmphex(u, ==, 0x030200);
    g_assert_cmpint(ndSysfsReadUInt(sysfs, "bus/pci/devices/0000:41:00.0/vendor",
                                    16, &u), ==, 1);
    g_assert_cmphex(u, ==, 0x10de);
    g_assert_cmpint(ndSysfsReadInt(sysfs, "bus/pci/devices/0000:00:02.0/numa_node",
                                   &i), ==, 1);
    g_assert_cmpint(i, ==, -1);
    u = 77;
    g_assert_cmpint(ndSysfsReadUInt(sysfs, "bus/pci/devices/0000:41:00.0/nope",
                                    10, &u), ==, 0);
    g_assert_cmpuint(u, ==, 77);

    g_assert_cmpint(ndSysfsReadUInt(bad,
                                    "class/mdev_bus/bad0/mdev_supported_types/"
                                    "bad-garbage/available_instances",
                                    10, &u), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_INTERNAL_ERROR);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "cannot parse 'lots'"));
    g_assert_cmpint(ndSysfsReadUInt(bad,
                                    "class/mdev_bus/bad0/mdev_supported_types/"
                                    "bad-negative/available_instances",
                                    10, &u), ==, -1);
    g_assert_cmpuint(u, ==, 77);
    ndResetLastError();
}

static void
testLinks(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    g_autofree char *target = NULL;
    g_autofree char *base = NULL;
    g_autofree char *real = NULL;

    g_assert_cmpint(ndSysfsReadLink(sysfs, "class/mdev_bus/mtty", &target), ==, 0);
    g_assert_cmpstr(target, ==, "../../devices/virtual/mtty/mtty");
    g_assert_cmpint(ndSysfsReadLinkBasename(sysfs,
                                            "bus/pci/devices/0000:41:00.0/driver",
                                            &base), ==, 0);
    g_assert_cmpstr(base, ==, "nvidia");
    g_clear_pointer(&base, g_free);
    /* not a link, and missing: both NULL */
    g_assert_cmpint(ndSysfsReadLinkBasename(sysfs,
                                            "bus/pci/devices/0000:41:00.0/class",
                                            &base), ==, 0);
    g_assert_null(base);
    g_assert_cmpint(ndSysfsReadLinkBasename(sysfs,
                                            "bus/pci/devices/0000:41:00.0/physfn",
                                            &base), ==, 0);
    g_assert_null(base);

    g_assert_cmpint(ndSysfsResolve(sysfs, "class/mdev_bus/0000:41:00.0", &real),
                    ==, 0);
    g_assert_cmpstr(real, ==, "devices/pci0000:40/0000:40:01.1/0000:41:00.0");
    g_clear_pointer(&real, g_free);
    /* resolution through several links */
    g_assert_cmpint(ndSysfsResolve(sysfs,
                                   "bus/mdev/devices/"
                                   "c8a5b7e0-4d7f-4f0e-9b1a-2c3d4e5f6a7b/mdev_type",
                                   &real), ==, 0);
    g_assert_cmpstr(real, ==,
                    "devices/pci0000:40/0000:40:01.1/0000:41:00.0/"
                    "mdev_supported_types/nvidia-222");
    g_assert_true(ndSysfsExists(sysfs, "class/mdev_bus/mtty"));
    g_assert_true(ndSysfsIsDir(sysfs, "class/mdev_bus/mtty"));
    g_assert_false(ndSysfsIsDir(sysfs, "devices/virtual/mtty/mtty/subsystem/nope"));
}

/* Links out of the root, dangling links and loops never succeed. */
static void
testContainment(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("malformed");
    g_autofree char *real = NULL;
    int fd;

    ndResetLastError();
    real = (char *) 0x1;
    g_assert_cmpint(ndSysfsResolve(sysfs, "class/mdev_bus/dangling", &real), ==, 0);
    g_assert_null(real);

    g_assert_cmpint(ndSysfsResolve(sysfs, "class/mdev_bus/escape", &real), ==, -1);
    g_assert_null(real);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "leads out of the sysfs root"));
    g_assert_cmpint(ndSysfsResolve(sysfs, "class/mdev_bus/absolute", &real), ==, -1);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "leads out of the sysfs root"));

    g_assert_cmpint(ndSysfsResolve(sysfs, "class/mdev_bus/loop", &real), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_SYSTEM_ERROR);
    g_assert_cmpint(ndSysfsResolve(sysfs, "devices/loop-a", &real), ==, -1);

    /* the raw open says why */
    fd = ndSysfsOpen(sysfs, "class/mdev_bus/escape", O_PATH);
    g_assert_cmpint(fd, ==, -1);
    g_assert_cmpint(errno, ==, EXDEV);
    fd = ndSysfsOpen(sysfs, "../gpu/devices", O_PATH);
    g_assert_cmpint(fd, ==, -1);
    g_assert_cmpint(errno, ==, EXDEV);
    fd = ndSysfsOpen(sysfs, "/etc/passwd", O_RDONLY);
    g_assert_cmpint(fd, ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    fd = ndSysfsOpen(sysfs, "devices/loop-a", O_RDONLY);
    g_assert_cmpint(fd, ==, -1);
    g_assert_cmpint(errno, ==, ELOOP);
    g_assert_false(ndSysfsExists(sysfs, "class/mdev_bus/absolute"));
    ndResetLastError();
}

static void
testListDir(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    g_auto(GStrv) names = NULL;
    g_auto(GStrv) none = NULL;

    g_assert_cmpint(ndSysfsListDir(sysfs, "class/mdev_bus", &names), ==, 0);
    g_assert_cmpuint(g_strv_length(names), ==, 4);
    g_assert_cmpstr(names[0], ==, "0000:00:02.0");
    g_assert_cmpstr(names[1], ==, "0000:41:00.0");
    g_assert_cmpstr(names[2], ==, "0000:86:00.0");
    g_assert_cmpstr(names[3], ==, "mtty");
    none = (char **) 0x1;
    g_assert_cmpint(ndSysfsListDir(sysfs, "class/nothing", &none), ==, 0);
    g_assert_null(none);
}

static void
testDir(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    g_autoptr(ndSysfsDir) dev = NULL;
    g_autoptr(ndSysfsDir) types = NULL;
    g_autoptr(ndSysfsDir) type = NULL;
    g_autoptr(ndSysfsDir) none = NULL;
    g_autofree char *value = NULL;
    g_autofree char *link = NULL;
    g_autofree char *data = NULL;
    g_auto(GStrv) names = NULL;
    unsigned int u = 0;
    int i = 0;
    size_t len = 0;

    /* opened through the class link, read without resolving it again */
    g_assert_cmpint(ndSysfsDirOpen(sysfs, "class/mdev_bus/0000:41:00.0", &dev), ==, 0);
    g_assert_nonnull(dev);
    g_assert_cmpstr(ndSysfsDirGetRelpath(dev), ==, "class/mdev_bus/0000:41:00.0");
    g_assert_cmpint(ndSysfsDirReadUInt(dev, "vendor", 0, &u), ==, 1);
    g_assert_cmphex(u, ==, 0x10de);
    g_assert_cmpint(ndSysfsDirReadInt(dev, "numa_node", &i), ==, 1);
    g_assert_cmpint(i, ==, 0);
    g_assert_cmpint(ndSysfsDirReadLinkBasename(dev, "driver", &link), ==, 0);
    g_assert_cmpstr(link, ==, "nvidia");
    g_assert_cmpint(ndSysfsDirReadFile(dev, "config", 64, &data, &len), ==, 0);
    g_assert_cmpuint(len, ==, 64);
    g_assert_true(ndSysfsDirIsDir(dev, "mdev_supported_types"));
    g_assert_false(ndSysfsDirIsDir(dev, "vendor"));

    g_assert_cmpint(ndSysfsDirOpenAt(dev, "mdev_supported_types", &types), ==, 0);
    g_assert_cmpint(ndSysfsDirListDir(types, ".", &names), ==, 0);
    g_assert_cmpuint(g_strv_length(names), ==, 3);
    g_assert_cmpint(ndSysfsDirOpenAt(types, "nvidia-223", &type), ==, 0);
    g_assert_cmpstr(ndSysfsDirGetRelpath(type), ==,
                    "class/mdev_bus/0000:41:00.0/mdev_supported_types/nvidia-223");
    g_assert_cmpint(ndSysfsDirReadString(type, "name", &value), ==, 0);
    g_assert_cmpstr(value, ==, "GRID T4-2B");
    g_clear_pointer(&value, g_free);

    /* missing: NULL, no error; a file is not a directory */
    g_assert_cmpint(ndSysfsDirOpenAt(types, "nvidia-999", &none), ==, 0);
    g_assert_null(none);
    g_assert_cmpint(ndSysfsDirOpenAt(type, "name", &none), ==, 0);
    g_assert_null(none);
    g_assert_cmpint(ndSysfsDirReadString(type, "nope", &value), ==, 0);
    g_assert_null(value);

    /* names resolve beneath the directory: no way up or out */
    ndResetLastError();
    g_assert_cmpint(ndSysfsDirReadString(type, "../nvidia-222/name", &value), ==, -1);
    g_assert_null(value);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "leads out"));
    g_assert_cmpint(ndSysfsDirReadString(type, "/etc/passwd", &value), ==, -1);
    g_assert_cmpint(ndSysfsDirOpen(sysfs, "class/nothing", &none), ==, 0);
    g_assert_null(none);
    ndResetLastError();
    {
        g_autoptr(ndSysfs) bad = openTree("malformed");

        g_assert_cmpint(ndSysfsDirOpen(bad, "class/mdev_bus/escape", &none), ==, -1);
        g_assert_nonnull(strstr(ndGetLastErrorMessage(), "leads out of the sysfs root"));
        g_assert_null(none);
        ndResetLastError();
    }
}

/* A scratch directory with the odd files git cannot store. */
static char *
makeScratch(ndSysfs **ret_sysfs)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *top = g_dir_make_tmp("ndsysfstest-XXXXXX", &err);
    g_autofree char *outside = NULL;
    char *dir = NULL;
    g_autofree char *f = NULL;
    g_autofree char *fifo = NULL;
    g_autofree char *sub = NULL;
    g_autofree char *link = NULL;

    g_assert_no_error(err);
    /* TOP/outside must stay untouched; TOP/root is the sysfs root */
    outside = g_build_filename(top, "outside", NULL);
    g_assert_true(g_file_set_contents(outside, "untouched", -1, NULL));
    dir = g_build_filename(top, "root", NULL);
    g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
    f = g_build_filename(dir, "attr", NULL);
    g_assert_true(g_file_set_contents(f, "", 0, NULL));
    fifo = g_build_filename(dir, "fifo", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    sub = g_build_filename(dir, "sub", NULL);
    g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
    link = g_build_filename(dir, "link", NULL);
    g_assert_cmpint(symlink("attr", link), ==, 0);
    *ret_sysfs = ndSysfsNew(dir);
    g_assert_nonnull(*ret_sysfs);
    return dir;
}

static void
removeScratch(const char *dir)
{
    const char *names[] = { "attr", "fifo", "link", "sub/inner", "sub" };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *p = g_build_filename(dir, names[i], NULL);

        g_remove(p);
    }
    g_assert_cmpint(g_rmdir(dir), ==, 0);
    {
        g_autofree char *top = g_path_get_dirname(dir);
        g_autofree char *outside = g_build_filename(top, "outside", NULL);
        g_autofree char *content = NULL;

        g_assert_true(g_file_get_contents(outside, &content, NULL, NULL));
        g_assert_cmpstr(content, ==, "untouched");
        g_assert_cmpint(g_unlink(outside), ==, 0);
        g_assert_cmpint(g_rmdir(top), ==, 0);
    }
}

/* Files around the page read on the stack (4096 bytes) and the growth
 * steps after it come back whole, byte for byte, each read at its own
 * length and no more. */
static void
testReadSizes(void)
{
    g_autoptr(ndSysfs) sysfs = NULL;
    g_autofree char *dir = makeScratch(&sysfs);
    g_autofree char *f = g_build_filename(dir, "attr", NULL);
    const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 16383, 16384, 16385,
                             40000, ND_SYSFS_READ_MAX - 1 };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(sizes); i++) {
        g_autofree char *content = g_malloc(sizes[i] + 1);
        g_autofree char *value = NULL;
        g_autofree char *data = NULL;
        size_t len = 0;
        size_t j;

        /* no trailing whitespace: ReadString strips it */
        for (j = 0; j < sizes[i]; j++)
            content[j] = 'a' + (j * 7 + j / 26) % 26;
        content[sizes[i]] = '\0';
        g_assert_true(g_file_set_contents(f, content, sizes[i], NULL));
        g_assert_cmpint(ndSysfsReadString(sysfs, "attr", &value), ==, 0);
        g_assert_cmpstr(value, ==, content);
        g_assert_cmpint(ndSysfsReadFile(sysfs, "attr", ND_SYSFS_READ_MAX,
                                        &data, &len), ==, 0);
        g_assert_cmpuint(len, ==, sizes[i]);
        g_assert_cmpmem(data, len, content, sizes[i]);
        g_assert_cmpint(data[len], ==, '\0');
        g_clear_pointer(&data, g_free);
        /* a cap inside the stack page and one past it */
        if (sizes[i] > 100) {
            g_assert_cmpint(ndSysfsReadFile(sysfs, "attr", 100, &data, &len),
                            ==, 0);
            g_assert_cmpuint(len, ==, 100);
            g_assert_cmpmem(data, len, content, 100);
            g_clear_pointer(&data, g_free);
        }
        if (sizes[i] > 5000) {
            g_assert_cmpint(ndSysfsReadFile(sysfs, "attr", 5000, &data, &len),
                            ==, 0);
            g_assert_cmpuint(len, ==, 5000);
            g_assert_cmpmem(data, len, content, 5000);
        }
    }
    removeScratch(dir);
}

static void
testWriteRaw(void)
{
    g_autoptr(ndSysfs) sysfs = NULL;
    g_autofree char *dir = makeScratch(&sysfs);
    g_autofree char *f = g_build_filename(dir, "attr", NULL);
    g_autofree char *content = NULL;
    g_autofree char *value = NULL;

    g_assert_cmpint(ndSysfsWriteRaw(sysfs, "attr", "hello"), ==, 0);
    g_assert_true(g_file_get_contents(f, &content, NULL, NULL));
    g_assert_cmpstr(content, ==, "hello");

    g_assert_cmpint(ndSysfsWriteRaw(sysfs, "missing", "1"), ==, -ENOENT);
    g_assert_false(g_file_test(f, G_FILE_TEST_IS_DIR));
    g_assert_cmpint(ndSysfsWriteRaw(sysfs, "sub", "1"), ==, -EISDIR);
    g_assert_cmpint(ndSysfsWriteRaw(sysfs, "link", "1"), ==, -ELOOP);
    /* a FIFO without a reader: the open fails at once instead of hanging */
    g_assert_cmpint(ndSysfsWriteRaw(sysfs, "fifo", "1"), ==, -ENXIO);
    g_assert_cmpint(ndSysfsWriteRaw(sysfs, "../outside", "1"), ==, -EXDEV);

    /* reading a FIFO does not hang either */
    g_assert_cmpint(ndSysfsReadString(sysfs, "fifo", &value), ==, -1);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "not a regular file"));
    ndResetLastError();

    /* Beneath: no links at all inside the directory */
    g_assert_cmpint(ndSysfsWriteRawBeneath(sysfs, "sub", "../attr", "x"),
                    ==, -EXDEV);
    g_assert_cmpint(ndSysfsWriteRawBeneath(sysfs, ".", "../outside", "x"),
                    ==, -EXDEV);
    g_assert_cmpint(ndSysfsWriteRawBeneath(sysfs, ".", "link", "x"), ==, -ELOOP);
    g_assert_cmpint(ndSysfsWriteRawBeneath(sysfs, ".", "attr", "bye"), ==, 0);
    g_clear_pointer(&content, g_free);
    g_assert_true(g_file_get_contents(f, &content, NULL, NULL));
    /* no O_TRUNC, like every sysfs writer: a plain file keeps its tail */
    g_assert_cmpstr(content, ==, "byelo");
    /* nothing was created by any failed write */
    g_assert_false(g_file_test(dir, G_FILE_TEST_IS_SYMLINK));
    {
        g_autofree char *m = g_build_filename(dir, "missing", NULL);

        g_assert_false(g_file_test(m, G_FILE_TEST_EXISTS));
    }
    removeScratch(dir);
}

/* Listing a parent's types resolves the parent's path once, then each
 * file is one component away: path components are lookups, and on FUSE
 * (mdevsim) each lookup is a round trip. */
static void
testLookups(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    g_autoptr(GPtrArray) types = NULL;
    g_autoptr(ndPciDeviceInfo) info = NULL;
    ndPciAddress addr = { 0, 0x41, 0, 0 };

    openat2_calls = openat2_components = 0;
    g_assert_cmpint(ndMdevTypeList(sysfs, "0000:41:00.0", &types), ==, 0);
    g_assert_cmpuint(types->len, ==, 3);
    /* 4 components once for the types directory, then about one each */
    g_assert_cmpuint(openat2_components, <=, openat2_calls + 4);
    g_assert_cmpuint(openat2_calls, <=, 2 + 3 * 6);

    openat2_calls = openat2_components = 0;
    g_assert_cmpint(ndPciDeviceRead(sysfs, &addr, &info), ==, 1);
    g_assert_cmpuint(openat2_components, <=, 2 * openat2_calls + 8);
}

/* The same containment, read and write tests without openat2(), denied
 * with EPERM as by an old container seccomp profile (ndSysfsNew() probes
 * it; ENOSYS takes the same way).  Runs last: util remembers that
 * openat2() is unusable for the whole process. */
static void
testFallback(void)
{
    g_autoptr(ndSysfs) sysfs = NULL;
    g_autofree char *real = NULL;

    openat2_errno = EPERM;
    sysfs = openTree("gpu");
    g_assert_cmpint(ndSysfsResolve(sysfs, "class/mdev_bus/0000:41:00.0", &real),
                    ==, 0);
    g_assert_cmpstr(real, ==, "devices/pci0000:40/0000:40:01.1/0000:41:00.0");
    testReadString();
    testReadBounded();
    testLinks();
    testContainment();
    testListDir();
    testWriteRaw();
    testDir();
}

/* Rewrites @path in place (same inode, as a sysfs attribute stays). */
static void
rewrite(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_TRUNC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, data, len), ==, (ssize_t) len);
    close(fd);
}

/* The soft limit on open files main() sets: a quarter may be kept. */
#define TEST_NOFILE 64

/* A kept attribute reads its current value from offset 0 every time,
 * refuses what is no number, a NUL or more than a page, naming the file;
 * a missing one is not kept; only a quarter of the open-file limit is
 * kept at once, and a freed file makes room again. */
static void
testKeptFile(void)
{
    g_autoptr(ndSysfs) sysfs = NULL;
    g_autofree char *dir = makeScratch(&sysfs);
    g_autofree char *f = g_build_filename(dir, "sub", "inner", NULL);
    g_autoptr(ndSysfsDir) sub = NULL;
    g_autoptr(ndSysfsDir) top = NULL;
    g_autoptr(ndSysfsFile) file = NULL;
    g_autoptr(ndSysfsFile) none = NULL;
    g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func((GDestroyNotify) ndSysfsFileFree);
    g_autofree char *big = g_strnfill(5000, '1');
    unsigned int v = 0;

    g_assert_true(g_file_set_contents(f, "7\n", -1, NULL));
    g_assert_cmpint(ndSysfsDirOpen(sysfs, "sub", &sub), ==, 0);
    g_assert_nonnull(sub);
    g_assert_cmpint(ndSysfsDirOpenFile(sub, "inner", &file), ==, 1);
    g_assert_cmpstr(ndSysfsFileGetPath(file), ==, f);
    g_assert_cmpint(ndSysfsFileReadUInt(file, 10, &v), ==, 1);
    g_assert_cmpuint(v, ==, 7);
    g_assert_cmpint(ndSysfsFileReadUInt(file, 10, &v), ==, 1);
    g_assert_cmpuint(v, ==, 7);
    rewrite(f, "12\n", 3);
    g_assert_cmpint(ndSysfsFileReadUInt(file, 10, &v), ==, 1);
    g_assert_cmpuint(v, ==, 12);
    rewrite(f, "0x1f\n", 5);
    g_assert_cmpint(ndSysfsFileReadUInt(file, 0, &v), ==, 1);
    g_assert_cmpuint(v, ==, 31);

    rewrite(f, "abc\n", 4);
    g_assert_cmpint(ndSysfsFileReadUInt(file, 10, &v), ==, -1);
    g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_INTERNAL_ERROR);
    g_assert_true(g_str_has_suffix(ndGetLastErrorMessage(), "as a number"));
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), f));
    ndResetLastError();
    rewrite(f, "1\0002", 3);
    g_assert_cmpint(ndSysfsFileReadUInt(file, 10, &v), ==, -1);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "is not a text file"));
    ndResetLastError();
    rewrite(f, big, 5000);
    g_assert_cmpint(ndSysfsFileReadUInt(file, 10, &v), ==, -1);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "is larger than 4095 bytes"));
    ndResetLastError();
    rewrite(f, big, 4095);
    g_assert_cmpint(ndSysfsFileReadUInt(file, 10, &v), ==, -1);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "as a number"));
    ndResetLastError();

    /* missing: not kept, no error; not a regular file: an error */
    g_assert_cmpint(ndSysfsDirOpenFile(sub, "nope", &none), ==, 0);
    g_assert_null(none);
    g_assert_null(ndGetLastError());
    g_assert_cmpint(ndSysfsDirOpen(sysfs, "sub/..", &top), ==, 0);
    g_assert_nonnull(top);
    g_assert_cmpint(ndSysfsDirOpenFile(top, "fifo", &none), ==, -1);
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "is not a regular file"));
    g_assert_null(none);
    ndResetLastError();

    /* the budget: @file and TEST_NOFILE / 4 - 1 more */
    while (many->len < TEST_NOFILE) {
        ndSysfsFile *one = NULL;
        int rc = ndSysfsDirOpenFile(sub, "inner", &one);

        g_assert_cmpint(rc, >=, 0);
        if (rc == 0) {
            g_assert_null(one);
            break;
        }
        g_ptr_array_add(many, one);
    }
    g_assert_cmpuint(many->len, ==, TEST_NOFILE / 4 - 1);
    g_assert_null(ndGetLastError());
    g_clear_pointer(&file, ndSysfsFileFree);
    g_assert_cmpint(ndSysfsDirOpenFile(sub, "inner", &file), ==, 1);
    g_assert_cmpint(ndSysfsDirOpenFile(sub, "inner", &none), ==, 0);
    g_ptr_array_set_size(many, 0);
    g_assert_cmpint(ndSysfsDirOpenFile(sub, "inner", &none), ==, 1);

    g_clear_pointer(&file, ndSysfsFileFree);
    g_clear_pointer(&none, ndSysfsFileFree);
    g_clear_pointer(&sub, ndSysfsDirFree);
    g_clear_pointer(&top, ndSysfsDirFree);
    removeScratch(dir);
}

int
main(int argc, char **argv)
{
    struct rlimit rl;

    /* before any file is kept: the budget is read once */
    g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &rl), ==, 0);
    rl.rlim_cur = MIN(rl.rlim_max, TEST_NOFILE);
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &rl), ==, 0);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sysfs/kept-file", testKeptFile);
    g_test_add_func("/sysfs/new", testNew);
    g_test_add_func("/sysfs/name-is-safe", testNameIsSafe);
    g_test_add_func("/sysfs/read-string", testReadString);
    g_test_add_func("/sysfs/read-bounded", testReadBounded);
    g_test_add_func("/sysfs/read-numbers", testReadNumbers);
    g_test_add_func("/sysfs/links", testLinks);
    g_test_add_func("/sysfs/containment", testContainment);
    g_test_add_func("/sysfs/list-dir", testListDir);
    g_test_add_func("/sysfs/read-sizes", testReadSizes);
    g_test_add_func("/sysfs/write-raw", testWriteRaw);
    g_test_add_func("/sysfs/dir", testDir);
    g_test_add_func("/sysfs/lookups", testLookups);
    g_test_add_func("/sysfs/fallback-without-openat2", testFallback);
    return g_test_run();
}
