/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The util layer against mdevsim: reads, creates, removes and attribute
 * writes on a FUSE mount that answers like the kernel, including the
 * errno cases a static tree cannot produce.  Needs /dev/fuse and root
 * (skipped loudly otherwise). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "util/ndmdev.h"
#include "util/ndpci.h"
#include "util/nds390.h"
#include "util/nddmi.h"
#include "util/nderror.h"

#define UUID_A "aaaaaaaa-0000-4000-8000-000000000001"
#define UUID_B "aaaaaaaa-0000-4000-8000-000000000002"
#define UUID_C "aaaaaaaa-0000-4000-8000-000000000003"

typedef struct {
    GSubprocess *proc;
    char *mnt;
    ndSysfs *sysfs;
} simHost;

static void
childSetup(gpointer data)
{
    /* if the test aborts, mdevsim unmounts instead of lingering */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static char *
mdevsimPath(void)
{
    return g_build_filename(g_getenv("ND_TOP_BUILDDIR"), "tools", "mdevsim",
                            "mdevsim", NULL);
}

/* Mounts @profile; returns FALSE (test skipped) where FUSE is missing. */
static gboolean
simStart(simHost *sim, const char *profile)
{
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *bin = mdevsimPath();
    g_autofree char *fdarg = NULL;
    GString *ready = g_string_new(NULL);
    char buf[64];
    ssize_t n;
    int fds[2];

    if (!g_file_test("/dev/fuse", G_FILE_TEST_EXISTS) || geteuid() != 0) {
        g_test_skip("SKIPPING mdevsim tests: /dev/fuse missing or not root");
        g_string_free(ready, TRUE);
        return FALSE;
    }
    sim->mnt = g_dir_make_tmp("ndmdevsimtest-XXXXXX", &err);
    g_assert_no_error(err);
    g_assert_cmpint(pipe2(fds, O_CLOEXEC), ==, 0);
    launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_subprocess_launcher_take_fd(launcher, fds[1], 3);
    g_subprocess_launcher_set_child_setup(launcher, childSetup, NULL, NULL);
    sim->proc = g_subprocess_launcher_spawn(launcher, &err, bin, "--profile",
                                            profile, "--ready-fd=3", sim->mnt,
                                            NULL);
    g_assert_no_error(err);
    g_clear_object(&launcher);      /* closes our copy of the write end */
    while ((n = read(fds[0], buf, sizeof(buf))) > 0)
        g_string_append_len(ready, buf, n);
    close(fds[0]);
    g_assert_cmpstr(ready->str, ==, "ready\n");
    g_string_free(ready, TRUE);
    sim->sysfs = ndSysfsNew(sim->mnt);
    g_assert_nonnull(sim->sysfs);
    return TRUE;
}

static void
simStop(simHost *sim)
{
    g_autoptr(GError) err = NULL;

    g_clear_pointer(&sim->sysfs, ndSysfsFree);
    if (sim->proc) {
        g_subprocess_send_signal(sim->proc, SIGTERM);
        g_assert_true(g_subprocess_wait(sim->proc, NULL, &err));
        g_assert_no_error(err);
        g_assert_true(g_subprocess_get_if_exited(sim->proc));
        g_assert_cmpint(g_subprocess_get_exit_status(sim->proc), ==, 0);
        g_clear_object(&sim->proc);
    }
    if (sim->mnt) {
        g_assert_cmpint(g_rmdir(sim->mnt), ==, 0);
        g_clear_pointer(&sim->mnt, g_free);
    }
}

/* One command to a control file in MOUNTPOINT/.mdevsim. */
static void
simControl(simHost *sim, const char *file, const char *line)
{
    g_autofree char *path = g_build_filename(sim->mnt, ".mdevsim", file, NULL);
    g_autoptr(GError) err = NULL;

    g_assert_true(g_file_set_contents_full(path, line, -1,
                                           G_FILE_SET_CONTENTS_NONE, 0600, &err));
    g_assert_no_error(err);
}

static void
assertError(int code, const char *text)
{
    const ndError *e = ndGetLastError();

    g_assert_nonnull(e);
    if (e->code != code || !strstr(e->message, text))
        g_error("expected error %d containing \"%s\", got %d: %s",
                code, text, e->code, e->message);
    ndResetLastError();
}

static unsigned int
available(simHost *sim, const char *parent, const char *type)
{
    unsigned int n = 0;

    g_assert_cmpint(ndMdevTypeReadAvailable(sim->sysfs, parent, type, &n), ==, 0);
    return n;
}

static void
testDemoRead(void)
{
    simHost sim = { 0 };
    g_autoptr(GPtrArray) parents = NULL;
    g_autoptr(GPtrArray) types = NULL;
    g_autoptr(ndPciDeviceInfo) gpu = NULL;
    g_autoptr(ndDmiInfo) dmi = NULL;
    ndMdevParentInfo *p;
    ndMdevTypeInfo *t;
    ndPciAddress addr;

    if (!simStart(&sim, "demo"))
        return;
    g_assert_cmpint(ndMdevParentList(sim.sysfs, &parents), ==, 0);
    g_assert_cmpuint(parents->len, ==, 4);
    p = parents->pdata[1];
    g_assert_cmpstr(p->name, ==, "0000:41:00.0");
    g_assert_cmpint(p->kind, ==, ND_MDEV_PARENT_PCI);
    p = parents->pdata[3];
    g_assert_cmpstr(p->name, ==, "mtty");
    g_assert_cmpint(p->kind, ==, ND_MDEV_PARENT_OTHER);

    g_assert_cmpint(ndMdevTypeList(sim.sysfs, "0000:00:02.0", &types), ==, 0);
    g_assert_cmpuint(types->len, ==, 2);
    t = types->pdata[0];
    g_assert_cmpstr(t->id, ==, "i915-GVTg_V5_4");
    g_assert_null(t->name);
    g_assert_cmpstr(t->device_api, ==, "vfio-pci");

    g_assert_cmpint(ndPciAddressParse("0000:41:00.0", &addr), ==, 0);
    g_assert_cmpint(ndPciDeviceRead(sim.sysfs, &addr, &gpu), ==, 1);
    g_assert_cmphex(gpu->vendor_id, ==, 0x10de);
    g_assert_cmpstr(gpu->driver, ==, "nvidia");
    g_assert_true(gpu->is_pcie);
    g_assert_cmpint(gpu->iommu_group, >=, 0);

    g_assert_cmpint(ndDmiRead(sim.sysfs, &dmi), ==, 0);
    g_assert_cmpstr(dmi->sys_vendor, ==, "mdevsim");
    g_assert_cmpstr(dmi->product_serial, ==, "MDEVSIM-0001");
    simStop(&sim);
}

static void
testDemoCreateRemove(void)
{
    simHost sim = { 0 };
    g_autoptr(ndMdevInfo) info = NULL;
    g_autoptr(ndMdevTypeInfo) type = NULL;
    g_autofree char *devroot = NULL;

    if (!simStart(&sim, "demo"))
        return;
    devroot = g_build_filename(sim.mnt, ".mdevsim", "dev", NULL);

    /* siblings share the pool: mtty-2 takes two of the 24 ports */
    g_assert_cmpuint(available(&sim, "mtty", "mtty-1"), ==, 24);
    g_assert_cmpint(ndMdevCreate(sim.sysfs, "mtty", "mtty-2", UUID_A), ==, 0);
    g_assert_cmpuint(available(&sim, "mtty", "mtty-1"), ==, 22);
    g_assert_cmpuint(available(&sim, "mtty", "mtty-2"), ==, 11);

    /* synchronous: the device is there when create returns */
    g_assert_cmpint(ndMdevRead(sim.sysfs, UUID_A, &info), ==, 1);
    g_assert_cmpstr(info->type_id, ==, "mtty-2");
    g_assert_cmpstr(info->parent, ==, "mtty");
    g_assert_cmpint(info->iommu_group, >=, 0);
    g_assert_cmpint(ndMdevTypeRead(sim.sysfs, "mtty", "mtty-2", &type), ==, 1);
    g_assert_cmpuint(g_strv_length(type->devices), ==, 1);
    g_assert_cmpstr(type->devices[0], ==, UUID_A);

    /* EEXIST on any parent and type */
    g_assert_cmpint(ndMdevCreate(sim.sysfs, "0000:42:00.0", "nvidia-256", UUID_A), ==, -1);
    assertError(ND_ERR_OPERATION_INVALID,
                "a mediated device with UUID '" UUID_A "' already exists");
    /* ENOSPC: the 16Q type takes the whole GPU */
    g_assert_cmpint(ndMdevCreate(sim.sysfs, "0000:41:00.0", "nvidia-260", UUID_B), ==, 0);
    g_assert_cmpuint(available(&sim, "0000:41:00.0", "nvidia-256"), ==, 0);
    g_assert_cmpint(ndMdevCreate(sim.sysfs, "0000:41:00.0", "nvidia-256", UUID_C), ==, -1);
    assertError(ND_ERR_OPERATION_INVALID,
                "no instances of type 'nvidia-256' left on parent '0000:41:00.0'");
    /* the kernel's EINVAL, injected (our own check refuses bad UUIDs) */
    simControl(&sim, "inject", "create EINVAL\n");
    g_assert_cmpint(ndMdevCreate(sim.sysfs, "mtty", "mtty-1", UUID_C), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "parent 'mtty' refused mediated device");
    /* the parent vanishing under the write */
    simControl(&sim, "inject", "parent-vanish 0000:42:00.0\n");
    g_assert_cmpint(ndMdevCreate(sim.sysfs, "0000:42:00.0", "nvidia-256", UUID_C), ==, -1);
    assertError(ND_ERR_NO_NODE_DEVICE, "of parent '0000:42:00.0' disappeared");
    g_assert_cmpint(ndMdevCreate(sim.sysfs, "0000:42:00.0", "nvidia-256", UUID_C), ==, -1);
    assertError(ND_ERR_NO_NODE_DEVICE, "no mediated device parent named '0000:42:00.0'");
    /* reads failing */
    simControl(&sim, "inject", "available_instances EIO\n");
    {
        unsigned int n = 0;

        g_assert_cmpint(ndMdevTypeReadAvailable(sim.sysfs, "mtty", "mtty-1", &n), ==, -1);
        assertError(ND_ERR_SYSTEM_ERROR, "Input/output error");
    }

    /* in use: the group node is busy and remove says so */
    simControl(&sim, "busy", "+" UUID_A "\n");
    g_assert_cmpint(ndMdevIsInUse(devroot, info->iommu_group), ==, 1);
    g_assert_cmpint(ndMdevRemove(sim.sysfs, UUID_A), ==, -1);
    assertError(ND_ERR_OPERATION_INVALID, "mediated device '" UUID_A "' is in use");
    simControl(&sim, "busy", "-" UUID_A "\n");
    g_assert_cmpint(ndMdevIsInUse(devroot, info->iommu_group), ==, 0);
    simControl(&sim, "inject", "remove EIO\n");
    g_assert_cmpint(ndMdevRemove(sim.sysfs, UUID_A), ==, -1);
    assertError(ND_ERR_SYSTEM_ERROR, "/remove': Input/output error");

    g_assert_cmpint(ndMdevRemove(sim.sysfs, UUID_A), ==, 0);
    g_clear_pointer(&info, ndMdevInfoFree);
    g_assert_cmpint(ndMdevRead(sim.sysfs, UUID_A, &info), ==, 0);
    g_assert_cmpuint(available(&sim, "mtty", "mtty-1"), ==, 24);
    g_assert_cmpint(ndMdevRemove(sim.sysfs, UUID_A), ==, -1);
    assertError(ND_ERR_NO_NODE_DEVICE, "no mediated device with UUID '" UUID_A "'");
    g_assert_cmpint(ndMdevRemove(sim.sysfs, UUID_B), ==, 0);

    /* attributes: none exist on mtty devices; the device's own files are
     * not writable attributes */
    g_assert_cmpint(ndMdevCreate(sim.sysfs, "mtty", "mtty-1", UUID_A), ==, 0);
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_A, "foo", "1"), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "has no attribute 'foo'");
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_A, "iommu_group", "1"), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "'iommu_group' is not a vendor attribute");
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_A, "uevent", "add"), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "'uevent' is not a vendor attribute");
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_A, "remove", "1"), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "'remove' is not a vendor attribute");
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_A, "vfio-dev/vfio0", "1"), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "is not a vendor attribute");
    {
        g_autoptr(ndMdevInfo) still = NULL;

        g_assert_cmpint(ndMdevRead(sim.sysfs, UUID_A, &still), ==, 1);
    }
    g_assert_cmpint(ndMdevRemove(sim.sysfs, UUID_A), ==, 0);
    simStop(&sim);
}

static void
testS390(void)
{
    simHost sim = { 0 };
    g_autoptr(GPtrArray) css = NULL;
    g_autoptr(GPtrArray) ap = NULL;
    g_autoptr(GPtrArray) parents = NULL;
    ndCssDeviceInfo *c;

    if (!simStart(&sim, "s390"))
        return;
    g_assert_cmpint(ndMdevParentList(sim.sysfs, &parents), ==, 0);
    g_assert_cmpuint(parents->len, ==, 3);
    g_assert_cmpint(((ndMdevParentInfo *) parents->pdata[0])->kind, ==,
                    ND_MDEV_PARENT_CSS);
    g_assert_cmpint(((ndMdevParentInfo *) parents->pdata[2])->kind, ==,
                    ND_MDEV_PARENT_AP_MATRIX);
    g_assert_cmpint(ndCssDeviceList(sim.sysfs, &css), ==, 0);
    g_assert_cmpuint(css->len, ==, 3);
    c = css->pdata[2];
    g_assert_cmpstr(c->name, ==, "0.0.0025");
    g_assert_cmpstr(c->driver, ==, "io_subchannel");
    g_assert_true(c->has_channel_dev);
    g_assert_cmpint(ndApDeviceList(sim.sysfs, &ap), ==, 0);
    g_assert_cmpuint(ap->len, >=, 4);
    g_assert_cmpint(((ndApDeviceInfo *) ap->pdata[0])->kind, ==, ND_AP_DEVICE_CARD);

    /* EUSERS: one vfio_ccw-io instance per subchannel */
    g_assert_cmpint(ndMdevCreate(sim.sysfs, "0.0.0023", "vfio_ccw-io", UUID_A), ==, 0);
    g_assert_cmpint(ndMdevCreate(sim.sysfs, "0.0.0023", "vfio_ccw-io", UUID_B), ==, -1);
    assertError(ND_ERR_OPERATION_INVALID,
                "no instances of type 'vfio_ccw-io' left on parent '0.0.0023'");

    /* vfio_ap attributes, validated like the kernel */
    g_assert_cmpint(ndMdevCreate(sim.sysfs, "matrix", "vfio_ap-passthrough", UUID_B), ==, 0);
    g_assert_cmpint(ndMdevCreate(sim.sysfs, "matrix", "vfio_ap-passthrough", UUID_C), ==, 0);
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_B, "assign_adapter", "0x05"), ==, 0);
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_B, "assign_domain", "4"), ==, 0);
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_B, "assign_domain", "four"), ==, -1);
    assertError(ND_ERR_INVALID_ARG,
                "refused value 'four' for attribute 'assign_domain'");
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_B, "assign_domain", "256"), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "': no such device");
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_B, "matrix", "1"), ==, -1);
    assertError(ND_ERR_INVALID_ARG, "attribute 'matrix' of mediated device '" UUID_B
                "' is not writable");
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_C, "assign_adapter", "5"), ==, 0);
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_C, "assign_domain", "4"), ==, -1);
    assertError(ND_ERR_OPERATION_INVALID, "': already in use");
    simControl(&sim, "inject", "attr assign_control_domain EIO\n");
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_C, "assign_control_domain", "1"), ==, -1);
    assertError(ND_ERR_SYSTEM_ERROR, "/assign_control_domain': Input/output error");

    g_assert_cmpint(ndMdevRemove(sim.sysfs, UUID_A), ==, 0);
    g_assert_cmpint(ndMdevRemove(sim.sysfs, UUID_B), ==, 0);
    g_assert_cmpint(ndMdevRemove(sim.sysfs, UUID_C), ==, 0);
    simStop(&sim);
}

static void
testSriov(void)
{
    simHost sim = { 0 };
    g_autoptr(GPtrArray) parents = NULL;
    g_autoptr(GPtrArray) types = NULL;
    g_autoptr(ndPciDeviceInfo) pf = NULL;
    g_autoptr(ndPciDeviceInfo) vf = NULL;
    ndMdevParentInfo *p;
    ndPciAddress addr;

    if (!simStart(&sim, "sriov"))
        return;
    g_assert_cmpint(ndMdevParentList(sim.sysfs, &parents), ==, 0);
    g_assert_cmpuint(parents->len, ==, 128);
    p = parents->pdata[0];
    g_assert_cmpint(p->kind, ==, ND_MDEV_PARENT_PCI);
    g_assert_cmpint(ndMdevTypeList(sim.sysfs, p->name, &types), ==, 0);
    g_assert_cmpuint(types->len, ==, 16);

    g_assert_cmpint(ndPciAddressParse(p->name, &addr), ==, 0);
    g_assert_cmpint(ndPciDeviceRead(sim.sysfs, &addr, &vf), ==, 1);
    g_assert_true(vf->has_physfn);
    g_assert_cmpint(ndPciDeviceRead(sim.sysfs, &vf->physfn, &pf), ==, 1);
    g_assert_cmpuint(pf->n_virtfns, ==, 32);
    g_assert_cmpint(pf->sriov_totalvfs, >=, 32);
    g_assert_cmpint(ndPciAddressCompare(&pf->virtfns[0], &vf->addr), ==, 0);
    simStop(&sim);
}

/* The kernel's sample drivers: mdpy uses the core's limit (EUSERS), and a
 * read-only vendor attribute in a folder (mtty's vendor/sample_mdev_dev). */
static void
testSamples(void)
{
    simHost sim = { 0 };
    g_autoptr(GPtrArray) parents = NULL;
    const char *uuids[] = { UUID_A, UUID_B, UUID_C,
                            "aaaaaaaa-0000-4000-8000-000000000004" };
    size_t i;

    if (!simStart(&sim, "samples"))
        return;
    g_assert_cmpint(ndMdevParentList(sim.sysfs, &parents), ==, 0);
    g_assert_cmpuint(parents->len, ==, 3);
    for (i = 0; i < parents->len; i++)
        g_assert_cmpint(((ndMdevParentInfo *) parents->pdata[i])->kind, ==,
                        ND_MDEV_PARENT_OTHER);

    for (i = 0; i < G_N_ELEMENTS(uuids); i++)
        g_assert_cmpint(ndMdevCreate(sim.sysfs, "mdpy", "mdpy-hd", uuids[i]), ==, 0);
    g_assert_cmpuint(available(&sim, "mdpy", "mdpy-vga"), ==, 0);
    g_assert_cmpint(ndMdevCreate(sim.sysfs, "mdpy", "mdpy-vga",
                                 "aaaaaaaa-0000-4000-8000-000000000005"), ==, -1);
    assertError(ND_ERR_OPERATION_INVALID,
                "no instances of type 'mdpy-vga' left on parent 'mdpy'");
    for (i = 0; i < G_N_ELEMENTS(uuids); i++)
        g_assert_cmpint(ndMdevRemove(sim.sysfs, uuids[i]), ==, 0);

    g_assert_cmpint(ndMdevCreate(sim.sysfs, "mtty", "mtty-1", UUID_A), ==, 0);
    g_assert_cmpint(ndMdevAttrWrite(sim.sysfs, UUID_A, "vendor/sample_mdev_dev", "x"),
                    ==, -1);
    assertError(ND_ERR_INVALID_ARG, "'vendor/sample_mdev_dev' of mediated device '"
                UUID_A "' is not writable");
    g_assert_cmpint(ndMdevRemove(sim.sysfs, UUID_A), ==, 0);
    simStop(&sim);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mdevsim/demo-read", testDemoRead);
    g_test_add_func("/mdevsim/demo-create-remove", testDemoCreateRemove);
    g_test_add_func("/mdevsim/s390", testS390);
    g_test_add_func("/mdevsim/sriov", testSriov);
    g_test_add_func("/mdevsim/samples", testSamples);
    return g_test_run();
}
