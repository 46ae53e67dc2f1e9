/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of ndmdev: reads on the static trees, writes on temporary copies.
 *
 * A static tree cannot behave like the kernel on write (a plain file
 * accepts anything), so the errno mapping of create/remove/attribute
 * writes is tested by making write(2) fail with a chosen errno: this
 * program is linked with -Wl,--wrap=write,--wrap=open64, which reroutes the
 * util library's calls through __wrap_write()/__wrap_open64() below.  The
 * kernel's real errno semantics are proven on mdevsim and under qemu by
 * other suites. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "util/ndmdev.h"
#include "util/nderror.h"

#define MDEV_GPU "c8a5b7e0-4d7f-4f0e-9b1a-2c3d4e5f6a7b"
#define MDEV_GVT "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
#define MDEV_MTTY "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"
#define MDEV_AP "7ab7d5a4-1c3b-4e1e-9f6a-2b2f1c0d9e8f"
#define MDEV_BAD_GOOD "c0ffee00-0000-4000-8000-000000000001"
#define NEW_UUID "11111111-2222-4333-8444-555555555555"

/* ---- write(2)/open(2) injection ------------------------------------------ */

ssize_t __real_write(int fd, const void *buf, size_t count);
ssize_t __wrap_write(int fd, const void *buf, size_t count);
int __real_open64(const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...);

static int inject_write_errno;
static int inject_open_errno;

ssize_t
__wrap_write(int fd, const void *buf, size_t count)
{
    if (inject_write_errno && fd > 2) {
        errno = inject_write_errno;
        return -1;
    }
    return __real_write(fd, buf, count);
}

/* meson builds with _FILE_OFFSET_BITS=64, so open() links as open64. */
int
__wrap_open64(const char *path, int flags, ...)
{
    mode_t mode = 0;

    if (flags & O_CREAT) {
        va_list ap;

        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if (inject_open_errno && strstr(path, "/vfio/")) {
        errno = inject_open_errno;
        return -1;
    }
    return __real_open64(path, flags, mode);
}

/* ---- trees -------------------------------------------------------------- */

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

/* A temporary copy of a static tree, links kept as links. */
static char *
copyTree(const char *name)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *src = treePath(name);
    g_autofree char *tmp = g_dir_make_tmp("ndmdevtest-XXXXXX", &err);
    g_autofree char *dst = NULL;
    const char *argv[] = { "cp", "-a", src, NULL, NULL };
    int status = -1;

    g_assert_no_error(err);
    dst = g_build_filename(tmp, name, NULL);
    argv[3] = dst;
    g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, NULL, NULL, &status, &err));
    g_assert_no_error(err);
    g_assert_cmpint(status, ==, 0);
    return g_steal_pointer(&dst);
}

static void
removeTree(const char *dir)
{
    g_autofree char *parent = g_path_get_dirname(dir);
    const char *argv[] = { "rm", "-rf", parent, NULL };
    int status = -1;

    g_assert_true(g_str_has_prefix(parent, g_get_tmp_dir()));
    g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, NULL, NULL, &status, NULL));
}

static gint
compareStrPtr(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *) a, *(char *const *) b);
}

/* A digest of every path, link target and file content under @dir, to
 * prove a refused write touched nothing. */
static void
digestDir(GChecksum *sum, const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    guint i;

    g_assert_nonnull(d);
    while ((n = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, compareStrPtr);
    for (i = 0; i < names->len; i++) {
        g_autofree char *p = g_build_filename(dir, names->pdata[i], NULL);
        g_autofree char *target = NULL;
        g_autofree char *content = NULL;
        gsize len = 0;

        g_checksum_update(sum, (const guchar *) p, -1);
        if ((target = g_file_read_link(p, NULL))) {
            g_checksum_update(sum, (const guchar *) target, -1);
        } else if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
            digestDir(sum, p);
        } else if (g_file_get_contents(p, &content, &len, NULL)) {
            g_checksum_update(sum, (const guchar *) content, len);
        }
    }
}

static char *
digestTree(const char *dir)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

    digestDir(sum, dir);
    return g_strdup(g_checksum_get_string(sum));
}

static char *
readFile(const char *dir, const char *rel)
{
    g_autofree char *p = g_build_filename(dir, rel, NULL);
    char *content = NULL;

    g_assert_true(g_file_get_contents(p, &content, NULL, NULL));
    return content;
}

static void
assertError(int code, const char *text)
{
    const ndError *err = ndGetLastError();

    g_assert_nonnull(err);
    if (err->code != code || !strstr(err->message, text))
        g_error("expected error %d containing \"%s\", got %d: %s",
                code, text, err->code, err->message);
    ndResetLastError();
}

/* ---- reads -------------------------------------------------------------- */

static void
testParents(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    g_autoptr(GPtrArray) parents = NULL;
    g_autoptr(ndMdevParentInfo) info = NULL;
    ndMdevParentInfo *p;

    g_assert_cmpint(ndMdevParentList(sysfs, &parents), ==, 0);
    g_assert_cmpuint(parents->len, ==, 4);
    p = g_ptr_array_index(parents, 0);
    g_assert_cmpstr(p->name, ==, "0000:00:02.0");
    g_assert_cmpstr(p->relpath, ==, "devices/pci0000:00/0000:00:02.0");
    g_assert_cmpint(p->kind, ==, ND_MDEV_PARENT_PCI);
    g_assert_cmpstr(p->subsystem, ==, "pci");
    p = g_ptr_array_index(parents, 1);
    g_assert_cmpstr(p->name, ==, "0000:41:00.0");
    g_assert_true(g_str_has_suffix(p->path, "/devices/pci0000:40/0000:40:01.1/0000:41:00.0"));
    p = g_ptr_array_index(parents, 3);
    g_assert_cmpstr(p->name, ==, "mtty");
    g_assert_cmpstr(p->relpath, ==, "devices/virtual/mtty/mtty");
    g_assert_cmpint(p->kind, ==, ND_MDEV_PARENT_OTHER);

    g_assert_cmpint(ndMdevParentRead(sysfs, "mtty", &info), ==, 1);
    g_assert_cmpstr(info->subsystem, ==, "mtty");
    g_clear_pointer(&info, ndMdevParentInfoFree);
    g_assert_cmpint(ndMdevParentRead(sysfs, "0000:99:00.0", &info), ==, 0);
    g_assert_null(info);
    g_assert_cmpint(ndMdevParentRead(sysfs, "../../devices", &info), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "invalid mediated device parent name '../../devices'");
}

static void
testTypes(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    g_autoptr(GPtrArray) types = NULL;
    g_autoptr(ndMdevTypeInfo) gvt = NULL;
    ndMdevTypeInfo *t;
    unsigned int avail = 0;

    g_assert_cmpint(ndMdevTypeList(sysfs, "0000:41:00.0", &types), ==, 0);
    g_assert_cmpuint(types->len, ==, 3);
    t = g_ptr_array_index(types, 0);
    g_assert_cmpstr(t->id, ==, "nvidia-222");
    g_assert_cmpstr(t->name, ==, "GRID T4-1B");
    g_assert_cmpstr(t->device_api, ==, "vfio-pci");
    g_assert_cmpuint(t->available_instances, ==, 15);
    g_assert_true(g_str_has_prefix(t->description, "num_heads=4"));
    g_assert_cmpuint(g_strv_length(t->devices), ==, 1);
    g_assert_cmpstr(t->devices[0], ==, MDEV_GPU);
    t = g_ptr_array_index(types, 2);
    g_assert_cmpstr(t->id, ==, "nvidia-224");
    g_assert_cmpuint(t->available_instances, ==, 0);
    g_assert_nonnull(t->devices);
    g_assert_cmpuint(g_strv_length(t->devices), ==, 0);

    /* GVT-g: no name file */
    g_assert_cmpint(ndMdevTypeRead(sysfs, "0000:00:02.0", "i915-GVTg_V5_8", &gvt),
                    ==, 1);
    g_assert_null(gvt->name);
    g_assert_true(g_str_has_prefix(gvt->description, "low_gm_size: 128MB\n"));
    g_assert_cmpuint(gvt->available_instances, ==, 2);
    g_assert_cmpstr(gvt->devices[0], ==, MDEV_GVT);
    g_clear_pointer(&gvt, ndMdevTypeInfoFree);
    g_assert_cmpint(ndMdevTypeRead(sysfs, "0000:00:02.0", "i915-nope", &gvt), ==, 0);
    g_assert_cmpint(ndMdevTypeRead(sysfs, "nope", "i915-GVTg_V5_8", &gvt), ==, 0);
    g_assert_cmpint(ndMdevTypeRead(sysfs, "0000:00:02.0", "..", &gvt), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "invalid mediated device type id '..'");

    g_assert_cmpint(ndMdevTypeReadAvailable(sysfs, "mtty", "mtty-2", &avail), ==, 0);
    g_assert_cmpuint(avail, ==, 11);
    g_assert_cmpint(ndMdevTypeReadAvailable(sysfs, "mtty", "mtty-9", &avail), ==, -1);
    assertError(ND_ERR_CONFIG_UNSUPPORTED,
                "mediated device type 'mtty-9' is not supported by parent 'mtty'");
    g_assert_cmpint(ndMdevTypeReadAvailable(sysfs, "mttz", "mtty-1", &avail), ==, -1);
    assertError(ND_ERR_NO_NODE_DEVICE, "no mediated device parent named 'mttz'");
    g_assert_cmpint(ndMdevTypeReadAvailable(sysfs, "mtty", "a/b", &avail), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "invalid mediated device type id 'a/b'");

    /* a parent without types */
    g_clear_pointer(&types, g_ptr_array_unref);
    g_assert_cmpint(ndMdevTypeList(sysfs, "nope", &types), ==, 0);
    g_assert_cmpuint(types->len, ==, 0);
}

static void
testMdevs(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("gpu");
    g_autoptr(GPtrArray) mdevs = NULL;
    g_autoptr(ndMdevInfo) info = NULL;
    ndMdevInfo *m;

    g_assert_cmpint(ndMdevList(sysfs, &mdevs), ==, 0);
    g_assert_cmpuint(mdevs->len, ==, 3);
    m = g_ptr_array_index(mdevs, 0);
    g_assert_cmpstr(m->uuid, ==, MDEV_GVT);
    g_assert_cmpstr(m->type_id, ==, "i915-GVTg_V5_8");
    g_assert_cmpstr(m->parent, ==, "0000:00:02.0");
    g_assert_cmpint(m->iommu_group, ==, 100);
    g_assert_cmpstr(m->driver, ==, "vfio_mdev");
    m = g_ptr_array_index(mdevs, 2);
    g_assert_cmpstr(m->uuid, ==, MDEV_GPU);
    g_assert_cmpstr(m->parent, ==, "0000:41:00.0");
    g_assert_cmpstr(m->driver, ==, "nvidia-vgpu-vfio");
    g_assert_cmpstr(m->relpath, ==,
                    "devices/pci0000:40/0000:40:01.1/0000:41:00.0/" MDEV_GPU);

    /* upper case is accepted and reported in the kernel's lower case */
    g_assert_cmpint(ndMdevRead(sysfs, "83B8F4F2-509F-382F-3C1E-E6BFE0FA1001", &info),
                    ==, 1);
    g_assert_cmpstr(info->uuid, ==, MDEV_MTTY);
    g_assert_cmpstr(info->parent, ==, "mtty");
    g_assert_cmpint(info->iommu_group, ==, 101);
    g_clear_pointer(&info, ndMdevInfoFree);
    g_assert_cmpint(ndMdevRead(sysfs, NEW_UUID, &info), ==, 0);
    g_assert_null(info);
    g_assert_cmpint(ndMdevRead(sysfs, "../../../etc", &info), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "invalid mediated device UUID '../../../etc'");
}

static void
testSriov(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("sriov");
    g_autoptr(GPtrArray) parents = NULL;
    g_autoptr(GPtrArray) mdevs = NULL;
    guint i;

    g_assert_cmpint(ndMdevParentList(sysfs, &parents), ==, 0);
    g_assert_cmpuint(parents->len, ==, 4);
    for (i = 0; i < parents->len; i++) {
        ndMdevParentInfo *p = g_ptr_array_index(parents, i);
        g_autoptr(GPtrArray) types = NULL;
        g_autofree char *want = g_strdup_printf("0000:3b:00.%u", 4 + i);

        g_assert_cmpstr(p->name, ==, want);
        g_assert_cmpint(p->kind, ==, ND_MDEV_PARENT_PCI);
        g_assert_cmpint(ndMdevTypeList(sysfs, p->name, &types), ==, 0);
        g_assert_cmpuint(types->len, ==, 2);
    }
    g_assert_cmpint(ndMdevList(sysfs, &mdevs), ==, 0);
    g_assert_cmpuint(mdevs->len, ==, 0);
}

static void
testS390Parents(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("s390");
    g_autoptr(GPtrArray) parents = NULL;
    g_autoptr(ndMdevTypeInfo) type = NULL;
    g_autoptr(ndMdevInfo) mdev = NULL;
    ndMdevParentInfo *p;

    g_assert_cmpint(ndMdevParentList(sysfs, &parents), ==, 0);
    g_assert_cmpuint(parents->len, ==, 2);
    p = g_ptr_array_index(parents, 0);
    g_assert_cmpstr(p->name, ==, "0.0.0052");
    g_assert_cmpint(p->kind, ==, ND_MDEV_PARENT_CSS);
    p = g_ptr_array_index(parents, 1);
    g_assert_cmpstr(p->name, ==, "matrix");
    g_assert_cmpint(p->kind, ==, ND_MDEV_PARENT_AP_MATRIX);
    g_assert_cmpstr(p->relpath, ==, "devices/vfio_ap/matrix");

    g_assert_cmpint(ndMdevTypeRead(sysfs, "0.0.0052", "vfio_ccw-io", &type), ==, 1);
    g_assert_cmpstr(type->device_api, ==, "vfio-ccw");
    g_assert_cmpuint(type->available_instances, ==, 0);
    g_assert_cmpint(ndMdevRead(sysfs, MDEV_AP, &mdev), ==, 1);
    g_assert_cmpstr(mdev->parent, ==, "matrix");
    g_assert_cmpstr(mdev->type_id, ==, "vfio_ap-passthrough");
}

static void
testMalformed(void)
{
    g_autoptr(ndSysfs) sysfs = openTree("malformed");
    g_autoptr(GPtrArray) parents = NULL;
    g_autoptr(GPtrArray) types = NULL;
    g_autoptr(GPtrArray) mdevs = NULL;
    g_autoptr(ndMdevTypeInfo) t = NULL;
    g_autoptr(ndMdevParentInfo) p = NULL;
    g_autoptr(ndMdevInfo) m = NULL;
    unsigned int avail = 0;

    ndResetLastError();
    /* dangling, looping, escaping, absolute links and a plain file: skipped */
    g_assert_cmpint(ndMdevParentList(sysfs, &parents), ==, 0);
    g_assert_cmpuint(parents->len, ==, 1);
    g_assert_cmpstr(((ndMdevParentInfo *) parents->pdata[0])->name, ==, "bad0");
    g_assert_null(ndGetLastError());
    g_assert_cmpint(ndMdevParentRead(sysfs, "dangling", &p), ==, 0);
    g_assert_cmpint(ndMdevParentRead(sysfs, "plainfile", &p), ==, 0);
    g_assert_cmpint(ndMdevParentRead(sysfs, "escape", &p), ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR, "leads out of the sysfs root");
    g_assert_cmpint(ndMdevParentRead(sysfs, "absolute", &p), ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR, "leads out of the sysfs root");
    g_assert_cmpint(ndMdevParentRead(sysfs, "loop", &p), ==, -1);
    assertError(ND_ERR_SYSTEM_ERROR, "Too many levels of symbolic links");
    g_assert_null(p);

    /* only the good type survives the list */
    g_assert_cmpint(ndMdevTypeList(sysfs, "bad0", &types), ==, 0);
    g_assert_cmpuint(types->len, ==, 1);
    g_assert_cmpstr(((ndMdevTypeInfo *) types->pdata[0])->id, ==, "bad-good");
    g_assert_null(ndGetLastError());

    /* and each broken one says what is wrong when asked directly */
    g_assert_cmpint(ndMdevTypeRead(sysfs, "bad0", "bad-garbage", &t), ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR, "cannot parse 'lots'");
    g_assert_cmpint(ndMdevTypeRead(sysfs, "bad0", "bad-negative", &t), ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR, "cannot parse '-1'");
    g_assert_cmpint(ndMdevTypeRead(sysfs, "bad0", "bad-noapi", &t), ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR,
                "mediated device type 'bad-noapi' of parent 'bad0' has no device_api");
    g_assert_cmpint(ndMdevTypeRead(sysfs, "bad0", "bad-empty-api", &t), ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR, "has no device_api");
    g_assert_cmpint(ndMdevTypeRead(sysfs, "bad0", "bad-noavail", &t), ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR,
                "mediated device type 'bad-noavail' of parent 'bad0' has no available_instances");
    g_assert_cmpint(ndMdevTypeRead(sysfs, "bad0", "bad-huge", &t), ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR, "larger than 65536 bytes");
    g_assert_cmpint(ndMdevTypeRead(sysfs, "bad0", "bad-nul", &t), ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR, "not a text file");
    g_assert_cmpint(ndMdevTypeRead(sysfs, "bad0", "bad-dirfile", &t), ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR, "not a regular file");
    g_assert_cmpint(ndMdevTypeRead(sysfs, "bad0", "not-a-dir", &t), ==, 0);
    g_assert_cmpint(ndMdevTypeReadAvailable(sysfs, "bad0", "bad-garbage", &avail),
                    ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR, "cannot parse 'lots'");
    g_assert_null(t);

    /* mdevs: the incomplete one, the escaping one and junk are left out */
    g_assert_cmpint(ndMdevList(sysfs, &mdevs), ==, 0);
    g_assert_cmpuint(mdevs->len, ==, 1);
    g_assert_cmpstr(((ndMdevInfo *) mdevs->pdata[0])->uuid, ==, MDEV_BAD_GOOD);
    g_assert_null(ndGetLastError());
    g_assert_cmpint(ndMdevRead(sysfs, "c0ffee00-0000-4000-8000-000000000002", &m),
                    ==, 0);
    g_assert_cmpint(ndMdevRead(sysfs, "c0ffee00-0000-4000-8000-000000000003", &m),
                    ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR, "leads out of the sysfs root");
    g_assert_null(m);
}

/* ---- writes ------------------------------------------------------------- */

static void
testCreate(void)
{
    g_autofree char *dir = copyTree("gpu");
    g_autoptr(ndSysfs) sysfs = ndSysfsNew(dir);
    g_autofree char *content = NULL;
    const char *create = "devices/pci0000:40/0000:40:01.1/0000:41:00.0/"
                         "mdev_supported_types/nvidia-223/create";

    g_assert_cmpint(ndMdevCreate(sysfs, "0000:41:00.0", "nvidia-223",
                                 "11111111-2222-4333-8444-55555555555A"), ==, 0);
    content = readFile(dir, create);
    /* exactly the 36 characters, lower case, no newline */
    g_assert_cmpstr(content, ==, "11111111-2222-4333-8444-55555555555a");

    g_assert_cmpint(ndMdevCreate(sysfs, "0000:99:00.0", "nvidia-223", NEW_UUID), ==, -1);
    assertError(ND_ERR_NO_NODE_DEVICE, "no mediated device parent named '0000:99:00.0'");
    g_assert_cmpint(ndMdevCreate(sysfs, "0000:41:00.0", "nvidia-999", NEW_UUID), ==, -1);
    assertError(ND_ERR_CONFIG_UNSUPPORTED,
                "mediated device type 'nvidia-999' is not supported by parent '0000:41:00.0'");
    g_assert_cmpint(ndMdevCreate(sysfs, "0000:41:00.0", "nvidia-223",
                                 "{11111111-2222-4333-8444-555555555555}"), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "invalid mediated device UUID");
    g_assert_cmpint(ndMdevCreate(sysfs, "0000:41:00.0", "nvidia-223",
                                 "11111111222243338444555555555555"), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "invalid mediated device UUID");
    removeTree(dir);
}

static void
testCreateErrno(void)
{
    g_autofree char *dir = copyTree("gpu");
    g_autoptr(ndSysfs) sysfs = ndSysfsNew(dir);
    const char *tdir = "devices/virtual/mtty/mtty/mdev_supported_types/mtty-1";
    g_autofree char *create = g_build_filename(dir, tdir, "create", NULL);
    static const struct {
        int errnum;
        int code;
        const char *text;
    } cases[] = {
        { EEXIST, ND_ERR_OPERATION_INVALID,
          "a mediated device with UUID '" NEW_UUID "' already exists" },
        { ENOSPC, ND_ERR_OPERATION_INVALID,
          "no instances of type 'mtty-1' left on parent 'mtty'" },
        { EUSERS, ND_ERR_OPERATION_INVALID,
          "no instances of type 'mtty-1' left on parent 'mtty'" },
        { EINVAL, ND_ERR_INVALID_ARG,
          "parent 'mtty' refused mediated device '" NEW_UUID "' of type 'mtty-1'" },
        { ENOENT, ND_ERR_NO_NODE_DEVICE,
          "mediated device type 'mtty-1' of parent 'mtty' disappeared" },
        { ENODEV, ND_ERR_NO_NODE_DEVICE,
          "mediated device type 'mtty-1' of parent 'mtty' disappeared" },
        { EIO, ND_ERR_SYSTEM_ERROR, "/mtty-1/create': Input/output error" },
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        inject_write_errno = cases[i].errnum;
        g_assert_cmpint(ndMdevCreate(sysfs, "mtty", "mtty-1", NEW_UUID), ==, -1);
        inject_write_errno = 0;
        assertError(cases[i].code, cases[i].text);
    }

    /* the create file missing, a directory, a FIFO, a symlink */
    g_assert_cmpint(g_unlink(create), ==, 0);
    g_assert_cmpint(ndMdevCreate(sysfs, "mtty", "mtty-1", NEW_UUID), ==, -1);
    assertError(ND_ERR_NO_NODE_DEVICE, "disappeared");
    g_assert_cmpint(g_mkdir(create, 0700), ==, 0);
    g_assert_cmpint(ndMdevCreate(sysfs, "mtty", "mtty-1", NEW_UUID), ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR, "/mtty-1/create' is not a regular file");
    g_assert_cmpint(g_rmdir(create), ==, 0);
    g_assert_cmpint(mkfifo(create, 0600), ==, 0);
    g_assert_cmpint(ndMdevCreate(sysfs, "mtty", "mtty-1", NEW_UUID), ==, -1);
    assertError(ND_ERR_SYSTEM_ERROR, "No such device or address");
    g_assert_cmpint(g_unlink(create), ==, 0);
    g_assert_cmpint(symlink("available_instances", create), ==, 0);
    g_assert_cmpint(ndMdevCreate(sysfs, "mtty", "mtty-1", NEW_UUID), ==, -1);
    assertError(ND_ERR_INTERNAL_ERROR, "is not a regular file");
    {
        g_autofree char *avail = readFile(dir, "devices/virtual/mtty/mtty/"
                                          "mdev_supported_types/mtty-1/available_instances");

        g_assert_cmpstr(avail, ==, "23\n");
    }
    removeTree(dir);
}

/* Client-controlled names never leave the root, and a refused call
 * changes nothing anywhere in the tree. */
static void
testTraversal(void)
{
    g_autofree char *dir = copyTree("gpu");
    g_autoptr(ndSysfs) sysfs = ndSysfsNew(dir);
    g_autofree char *before = digestTree(dir);
    g_autofree char *after = NULL;
    g_autofree char *longname = g_strnfill(300, 'a');
    const char *parents[] = {
        "..", ".", "", "../class/mdev_bus/mtty", "mtty/../mtty", "/sys",
        "mtty\n", longname, NULL,
    };
    const char *types[] = {
        "..", "../../mdev_supported_types/mtty-1", "mtty-1/../mtty-1",
        "mtty-1/", "", "/etc", NULL,
    };
    const char *uuids[] = {
        "../../../../devices", "..", NEW_UUID "/..", NEW_UUID "\n",
        "11111111-2222-4333-8444-55555555555", "11111111-2222-4333-8444-5555555555555",
        "g1111111-2222-4333-8444-555555555555", "", NULL,
    };
    const char *attrs[] = {
        "..", "../remove", "remove/..", "a/b/c", "/remove", "vendor//x",
        "x/", "", ".", "./remove", NULL,
    };
    size_t i;

    /* every entry, the final NULL included */
    for (i = 0; i < G_N_ELEMENTS(parents); i++) {
        g_assert_cmpint(ndMdevCreate(sysfs, parents[i], "mtty-1", NEW_UUID), ==, -1);
        assertError(ND_ERR_INVALID_ARG, "invalid mediated device parent name");
    }
    for (i = 0; types[i]; i++) {
        g_assert_cmpint(ndMdevCreate(sysfs, "mtty", types[i], NEW_UUID), ==, -1);
        assertError(ND_ERR_INVALID_ARG, "invalid mediated device type id");
    }
    g_assert_cmpint(ndMdevCreate(sysfs, "mtty", NULL, NEW_UUID), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "invalid mediated device type id '(null)'");
    for (i = 0; uuids[i]; i++) {
        g_assert_cmpint(ndMdevCreate(sysfs, "mtty", "mtty-1", uuids[i]), ==, -1);
        assertError(ND_ERR_INVALID_ARG, "invalid mediated device UUID");
        g_assert_cmpint(ndMdevRemove(sysfs, uuids[i]), ==, -1);
        assertError(ND_ERR_INVALID_ARG, "invalid mediated device UUID");
        g_assert_cmpint(ndMdevAttrWrite(sysfs, uuids[i], "remove", "1"), ==, -1);
        assertError(ND_ERR_INVALID_ARG, "invalid mediated device UUID");
    }
    for (i = 0; attrs[i]; i++) {
        g_assert_cmpint(ndMdevAttrWrite(sysfs, MDEV_MTTY, attrs[i], "1"), ==, -1);
        assertError(ND_ERR_INVALID_ARG, "invalid mediated device attribute name");
    }
    g_assert_cmpint(ndMdevAttrWrite(sysfs, MDEV_MTTY, NULL, "1"), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "invalid mediated device attribute name '(null)'");

    after = digestTree(dir);
    g_assert_cmpstr(before, ==, after);
    removeTree(dir);
}

static void
testRemove(void)
{
    g_autofree char *dir = copyTree("gpu");
    g_autoptr(ndSysfs) sysfs = ndSysfsNew(dir);
    g_autofree char *content = NULL;

    g_assert_cmpint(ndMdevRemove(sysfs, "83B8F4F2-509F-382F-3C1E-E6BFE0FA1001"), ==, 0);
    content = readFile(dir, "devices/virtual/mtty/mtty/" MDEV_MTTY "/remove");
    g_assert_cmpstr(content, ==, "1");

    g_assert_cmpint(ndMdevRemove(sysfs, NEW_UUID), ==, -1);
    assertError(ND_ERR_NO_NODE_DEVICE, "no mediated device with UUID '" NEW_UUID "'");

    inject_write_errno = EBUSY;
    g_assert_cmpint(ndMdevRemove(sysfs, MDEV_GPU), ==, -1);
    inject_write_errno = 0;
    assertError(ND_ERR_OPERATION_INVALID,
                "mediated device '" MDEV_GPU "' is in use");
    inject_write_errno = ENOENT;
    g_assert_cmpint(ndMdevRemove(sysfs, MDEV_GPU), ==, -1);
    inject_write_errno = 0;
    assertError(ND_ERR_NO_NODE_DEVICE, "no mediated device with UUID");
    inject_write_errno = ENODEV;
    g_assert_cmpint(ndMdevRemove(sysfs, MDEV_GPU), ==, -1);
    inject_write_errno = 0;
    assertError(ND_ERR_NO_NODE_DEVICE, "no mediated device with UUID");
    inject_write_errno = EINVAL;
    g_assert_cmpint(ndMdevRemove(sysfs, MDEV_GPU), ==, -1);
    inject_write_errno = 0;
    assertError(ND_ERR_SYSTEM_ERROR, "/remove': Invalid argument");
    removeTree(dir);
}

static void
testAttrWrite(void)
{
    g_autofree char *dir = copyTree("s390");
    g_autofree char *bad = copyTree("malformed");
    g_autoptr(ndSysfs) sysfs = ndSysfsNew(dir);
    g_autoptr(ndSysfs) bsysfs = ndSysfsNew(bad);
    g_autofree char *content = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autofree char *huge = g_strnfill(4096, '1');
    const char *good_dir = "devices/virtual/bad/bad0/" MDEV_BAD_GOOD;

    g_assert_cmpint(ndMdevAttrWrite(sysfs, MDEV_AP, "assign_adapter", "0x01"), ==, 0);
    content = readFile(dir, "devices/vfio_ap/matrix/" MDEV_AP "/assign_adapter");
    g_assert_cmpstr(content, ==, "0x01");
    g_clear_pointer(&content, g_free);

    g_assert_cmpint(ndMdevAttrWrite(sysfs, MDEV_AP, "assign_nothing", "1"), ==, -1);
    assertError(ND_ERR_INVALID_ARG,
                "mediated device '" MDEV_AP "' has no attribute 'assign_nothing'");
    g_assert_cmpint(ndMdevAttrWrite(sysfs, NEW_UUID, "assign_adapter", "1"), ==, -1);
    assertError(ND_ERR_NO_NODE_DEVICE, "no mediated device with UUID");
    g_assert_cmpint(ndMdevAttrWrite(sysfs, MDEV_AP, "assign_adapter", huge), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "longer than 4095 bytes");
    g_assert_cmpint(ndMdevAttrWrite(sysfs, MDEV_AP, "assign_adapter", NULL), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "attribute 'assign_adapter' has no value");
    {
        /* exactly one page minus the NUL is still accepted */
        g_autofree char *page = g_strnfill(4095, '7');

        g_assert_cmpint(ndMdevAttrWrite(sysfs, MDEV_AP, "assign_adapter", page), ==, 0);
    }

    inject_write_errno = EINVAL;
    g_assert_cmpint(ndMdevAttrWrite(sysfs, MDEV_AP, "assign_domain", "0xzz"), ==, -1);
    inject_write_errno = 0;
    assertError(ND_ERR_INVALID_ARG,
                "mediated device '" MDEV_AP "' refused value '0xzz' for attribute 'assign_domain'");
    inject_write_errno = EINVAL;
    g_assert_cmpint(ndMdevAttrWrite(sysfs, MDEV_AP, "assign_domain", "1\n\x1b[2J"), ==, -1);
    inject_write_errno = 0;
    assertError(ND_ERR_INVALID_ARG, "refused value '1\\n\\033[2J' for attribute");
    inject_write_errno = ENODEV;
    g_assert_cmpint(ndMdevAttrWrite(sysfs, MDEV_AP, "assign_domain", "0x100"), ==, -1);
    inject_write_errno = 0;
    assertError(ND_ERR_INVALID_ARG,
                "refused value '0x100' for 'assign_domain': no such device");
    inject_write_errno = EADDRINUSE;
    g_assert_cmpint(ndMdevAttrWrite(sysfs, MDEV_AP, "assign_domain", "4"), ==, -1);
    inject_write_errno = 0;
    assertError(ND_ERR_OPERATION_INVALID,
                "refused value '4' for 'assign_domain': already in use");
    inject_write_errno = EACCES;
    g_assert_cmpint(ndMdevAttrWrite(sysfs, MDEV_AP, "matrix", "4"), ==, -1);
    inject_write_errno = 0;
    assertError(ND_ERR_INVALID_ARG,
                "attribute 'matrix' of mediated device '" MDEV_AP "' is not writable");
    inject_write_errno = EBUSY;
    g_assert_cmpint(ndMdevAttrWrite(sysfs, MDEV_AP, "assign_domain", "4"), ==, -1);
    inject_write_errno = 0;
    assertError(ND_ERR_SYSTEM_ERROR, "/assign_domain': Device or resource busy");

    /* links and directories are not attributes; a vendor folder works */
    before = digestTree(bad);
    g_assert_cmpint(ndMdevAttrWrite(bsysfs, MDEV_BAD_GOOD, "link_attr", "1"), ==, -1);
    assertError(ND_ERR_INVALID_ARG,
                "attribute 'link_attr' of mediated device '" MDEV_BAD_GOOD
                "' is not a regular file");
    g_assert_cmpint(ndMdevAttrWrite(bsysfs, MDEV_BAD_GOOD, "mdev_type", "1"), ==, -1);
    assertError(ND_ERR_INVALID_ARG,
                "'mdev_type' is not a vendor attribute of mediated device '"
                MDEV_BAD_GOOD "'");
    g_assert_cmpint(ndMdevAttrWrite(bsysfs, MDEV_BAD_GOOD, "remove", "1"), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "'remove' is not a vendor attribute");
    g_assert_cmpint(ndMdevAttrWrite(bsysfs, MDEV_BAD_GOOD, "vendor", "1"), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "is not a regular file");
    g_assert_cmpint(ndMdevAttrWrite(bsysfs, MDEV_BAD_GOOD, "vendor_link/param", "1"),
                    ==, -1);
    assertError(ND_ERR_INVALID_ARG, "is not a regular file");
    g_assert_cmpint(ndMdevAttrWrite(bsysfs, MDEV_BAD_GOOD, "mdev_type/create", "1"),
                    ==, -1);
    assertError(ND_ERR_INVALID_ARG, "is not a vendor attribute");
    after = digestTree(bad);
    g_assert_cmpstr(before, ==, after);

    g_assert_cmpint(ndMdevAttrWrite(bsysfs, MDEV_BAD_GOOD, "vendor/param", "x y"), ==, 0);
    g_clear_pointer(&content, g_free);
    {
        g_autofree char *rel = g_build_filename(good_dir, "vendor/param", NULL);

        content = readFile(bad, rel);
    }
    g_assert_cmpstr(content, ==, "x y");
    removeTree(dir);
    removeTree(bad);
}

static void
testIsInUse(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *root = g_dir_make_tmp("ndmdevtest-dev-XXXXXX", &err);
    g_autofree char *vfio = g_build_filename(root, "vfio", NULL);
    g_autofree char *node = g_build_filename(vfio, "7", NULL);
    g_autofree char *dirnode = g_build_filename(vfio, "8", NULL);

    g_assert_no_error(err);
    g_assert_cmpint(g_mkdir(vfio, 0700), ==, 0);
    g_assert_true(g_file_set_contents(node, "", 0, NULL));
    g_assert_cmpint(g_mkdir(dirnode, 0700), ==, 0);

    g_assert_cmpint(ndMdevIsInUse(root, -1), ==, 0);
    g_assert_cmpint(ndMdevIsInUse(root, 7), ==, 0);     /* opens fine */
    g_assert_cmpint(ndMdevIsInUse(root, 9), ==, 0);     /* no such node */
    g_assert_cmpint(ndMdevIsInUse(root, 8), ==, -1);
    assertError(ND_ERR_SYSTEM_ERROR, "/vfio/8': Is a directory");
    inject_open_errno = EBUSY;
    g_assert_cmpint(ndMdevIsInUse(root, 7), ==, 1);
    inject_open_errno = EACCES;
    g_assert_cmpint(ndMdevIsInUse(root, 7), ==, -1);
    inject_open_errno = 0;
    assertError(ND_ERR_SYSTEM_ERROR, "cannot open VFIO group");

    g_unlink(node);
    g_rmdir(dirnode);
    g_rmdir(vfio);
    g_rmdir(root);
}

/* A parent's counts kept open: opened only for exactly its types, in
 * order; read afresh each time (the file rewritten in place, as sysfs
 * regenerates it); an unreadable count is reported as such, not fatal. */
static void
testAvailFiles(void)
{
    g_autofree char *dir = copyTree("gpu");
    g_autoptr(ndSysfs) sysfs = ndSysfsNew(dir);
    const char *ids[] = { "nvidia-222", "nvidia-223", "nvidia-224", NULL };
    const char *fewer[] = { "nvidia-222", "nvidia-224", NULL };
    const char *other[] = { "nvidia-222", "nvidia-223", "nvidia-225", NULL };
    g_autoptr(ndMdevAvailFiles) files = NULL;
    g_autofree char *f = g_build_filename(dir, "class/mdev_bus/0000:41:00.0/"
                                          "mdev_supported_types/nvidia-223/"
                                          "available_instances", NULL);
    unsigned int values[3] = { 0 };
    bool readable[3] = { false };
    FILE *fh;

    g_assert_nonnull(sysfs);
    g_assert_cmpint(ndMdevAvailFilesOpen(sysfs, "0000:41:00.0", fewer, &files), ==, 0);
    g_assert_null(files);
    g_assert_cmpint(ndMdevAvailFilesOpen(sysfs, "0000:41:00.0", other, &files), ==, 0);
    g_assert_cmpint(ndMdevAvailFilesOpen(sysfs, "0000:99:00.0", ids, &files), ==, 0);
    g_assert_cmpint(ndMdevAvailFilesOpen(sysfs, "../x", ids, &files), ==, -1);
    ndResetLastError();
    g_assert_null(files);

    g_assert_cmpint(ndMdevAvailFilesOpen(sysfs, "0000:41:00.0", ids, &files), ==, 1);
    g_assert_true(ndMdevAvailFilesMatch(files, "0000:41:00.0", ids));
    g_assert_false(ndMdevAvailFilesMatch(files, "0000:41:00.0", fewer));
    g_assert_false(ndMdevAvailFilesMatch(files, "0000:86:00.0", ids));
    g_assert_cmpint(ndMdevAvailFilesRead(files, values, readable), ==, 1);
    g_assert_cmpuint(values[0], ==, 15);
    g_assert_cmpuint(values[1], ==, 8);
    g_assert_cmpuint(values[2], ==, 0);
    g_assert_true(readable[0] && readable[1] && readable[2]);

    /* in place: the kept file sees the new value */
    fh = fopen(f, "r+");
    g_assert_nonnull(fh);
    g_assert_cmpint(fputs("7\n", fh), >=, 0);
    fclose(fh);
    g_assert_cmpint(ndMdevAvailFilesRead(files, values, readable), ==, 1);
    g_assert_cmpuint(values[1], ==, 7);
    /* one type alone: its own file; a type not kept is read by name */
    values[1] = 0;
    g_assert_cmpint(ndMdevAvailFilesReadOne(files, "nvidia-223", &values[1]), ==, 1);
    g_assert_cmpuint(values[1], ==, 7);
    g_assert_cmpint(ndMdevAvailFilesReadOne(files, "nvidia-224", &values[2]), ==, 1);
    g_assert_cmpuint(values[2], ==, 0);
    g_assert_cmpint(ndMdevAvailFilesReadOne(files, "nvidia-225", &values[2]), ==, 0);
    g_assert_null(ndGetLastError());
    fh = fopen(f, "w");
    g_assert_nonnull(fh);
    g_assert_cmpint(fputs("many\n", fh), >=, 0);
    fclose(fh);
    g_assert_cmpint(ndMdevAvailFilesRead(files, values, readable), ==, 1);
    g_assert_true(readable[0] && !readable[1] && readable[2]);
    g_assert_null(ndGetLastError());
    g_assert_cmpint(ndMdevAvailFilesReadOne(files, "nvidia-223", &values[1]), ==, -1);
    g_assert_nonnull(ndGetLastError());
    g_assert_nonnull(strstr(ndGetLastErrorMessage(), "nvidia-223/available_instances"));
    ndResetLastError();

    g_clear_pointer(&files, ndMdevAvailFilesFree);
    g_clear_pointer(&sysfs, ndSysfsFree);
    removeTree(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mdev/parents", testParents);
    g_test_add_func("/mdev/types", testTypes);
    g_test_add_func("/mdev/avail-files", testAvailFiles);
    g_test_add_func("/mdev/mdevs", testMdevs);
    g_test_add_func("/mdev/sriov", testSriov);
    g_test_add_func("/mdev/s390", testS390Parents);
    g_test_add_func("/mdev/malformed", testMalformed);
    g_test_add_func("/mdev/create", testCreate);
    g_test_add_func("/mdev/create-errno", testCreateErrno);
    g_test_add_func("/mdev/traversal", testTraversal);
    g_test_add_func("/mdev/remove", testRemove);
    g_test_add_func("/mdev/attr-write", testAttrWrite);
    g_test_add_func("/mdev/in-use", testIsInUse);
    return g_test_run();
}
