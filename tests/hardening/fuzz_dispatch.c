/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: whole client messages through dispatch.
 *
 * The input is a stream of frames, as read from a socket.  Each frame is
 * decoded as the server does (length, header, the procedure's arguments)
 * and, for the node-device procedures, handed to the real driver running
 * on a temporary copy of tests/sysfsdata/gpu with a temporary definitions
 * directory; the result is freed as the server frees it.  Nothing may
 * crash, leak or touch anything outside the temporary directory.
 *
 * Every input starts from the same state: the inputs share one driver,
 * and one whose mutating call succeeded (or that left anything in the
 * definitions directory) has the driver replaced by one enumerated afresh
 * on an empty directory before it returns.  A driver kept as it was
 * across inputs made runs irreproducible, let definitions pile up by the
 * hundred, and, as its state grew during most inputs, had libFuzzer run a
 * whole-heap leak check after them (it does when an input allocates more
 * than it frees): 80% of the time went there, at about 300 inputs a
 * second.  For the same reason every input ends with the last error
 * reset, ours and libxml2's (which keeps a copy of the strings of the
 * last parse or validation error: an input whose last error had more of
 * them than the one before seemed to leak, and libFuzzer ran it a second
 * time, 11% of the time), and a replacement's own surplus of allocations
 * is evened out (the ballast below).
 *
 * The encoded replies of listAllDevices that the driver keeps per flags
 * value until the device list changes are dropped after every input
 * (ndDriverListAllDevicesMemoClear): kept, they let an input find a reply
 * made by an earlier one, and an input that kept a new one allocated more
 * than it freed, so libFuzzer ran it again (4% of the time).
 *
 * The temporary directory is on tmpfs (/dev/shm) when there is one: the
 * driver fsyncs every definition it writes, and on a disk the inodes
 * created and removed input after input cost 10% of the time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <glib/gstdio.h>
#include <libxml/xmlerror.h>
#include <sanitizer/allocator_interface.h>
#include <unistd.h>

#include "node_device/node_device_driver.h"
#include "rpc/ndrpcmessage.h"
#include "rpc/ndrpcnodedev.h"
#include "rpc/ndrpcproc.h"
#include "util/nderror.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ndDriver *drv;
static char *tmpdir;
static char *sysdir;
static char *confdir;
static char *devdir;

/* The new driver may hold a few blocks more than the old one did with
 * everything the input added to it.  The harness counts each input's
 * allocations and frees, evens out such a surplus of the replacement
 * itself by freeing blocks of a ballast kept for that, and refills the
 * ballast from inputs that freed more than they allocated.  What the
 * input's calls allocate is never evened out: their leaks still make
 * libFuzzer check at once, and LeakSanitizer checks everything at exit. */
#define BALLAST_MAX 65536
static void *ballast[BALLAST_MAX];
static size_t nballast;
static volatile gboolean counting;
static volatile gssize balance;

static void
mallocHook(const volatile void *ptr, size_t size)
{
    (void) ptr;
    (void) size;
    if (counting)
        balance++;
}

static void
freeHook(const volatile void *ptr)
{
    (void) ptr;
    if (counting)
        balance--;
}

static void
cleanup(void)
{
    const char *rm[] = { "rm", "-rf", tmpdir, NULL };

    g_clear_pointer(&drv, ndDriverFree);
    if (tmpdir)
        g_spawn_sync(NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL,
                     NULL, NULL, NULL, NULL, NULL);
}

/* Empties directory @path (definitions are files in parent directories;
 * anything deeper goes too). */
static void
emptyDir(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    g_assert(dir);
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *sub = g_build_filename(path, name, NULL);

        if (g_file_test(sub, G_FILE_TEST_IS_DIR) &&
            !g_file_test(sub, G_FILE_TEST_IS_SYMLINK))
            emptyDir(sub);
        if (g_remove(sub) < 0)
            g_error("cannot remove %s: %s", sub, g_strerror(errno));
    }
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int status = 0;
    const char *cp[] = { "cp", "-a", ND_FUZZ_SYSFSDATA, NULL, NULL };

    (void) argc;
    (void) argv;
    if (g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) &&
        access("/dev/shm", W_OK | X_OK) == 0) {
        tmpdir = g_strdup("/dev/shm/nd-fuzz-dispatch-XXXXXX");
        if (!g_mkdtemp(tmpdir))
            g_clear_pointer(&tmpdir, g_free);
    }
    if (!tmpdir)
        tmpdir = g_dir_make_tmp("nd-fuzz-dispatch-XXXXXX", NULL);
    g_assert(tmpdir);
    sysdir = g_build_filename(tmpdir, "sys", NULL);
    confdir = g_build_filename(tmpdir, "mdevctl.d", NULL);
    devdir = g_build_filename(tmpdir, "dev", NULL);
    cp[3] = sysdir;
    g_assert(g_spawn_sync(NULL, (char **) cp, NULL, G_SPAWN_SEARCH_PATH, NULL,
                          NULL, NULL, NULL, &status, NULL) && status == 0);
    g_assert(g_mkdir(confdir, 0700) == 0 && g_mkdir(devdir, 0700) == 0);
    for (nballast = 0; nballast < BALLAST_MAX / 2; nballast++)
        ballast[nballast] = malloc(1);
    __sanitizer_install_malloc_and_free_hooks(mallocHook, freeHook);
    atexit(cleanup);
    return 0;
}

/* Returns TRUE if the call was a mutating one and succeeded. */
static gboolean
dispatch(const ndRPCProcInfo *info, const void *args)
{
    ndRPCNodeDevHandler handler = ndRPCNodeDevHandlerFind(info->proc);
    gboolean changed = FALSE;
    void *ret;

    if (!handler)
        return FALSE;
    /* as the server does: encode the reply or the error, free either way */
    ret = g_malloc0(MAX(info->ret_size, 1));
    if (handler(drv, args, ret) == 0) {
        g_autoptr(GBytes) reply = NULL;
        ndr_message_header hdr = { .proc = info->proc };

        reply = ndRPCReplyEncode(&hdr, info->ret_filter, ret);
        changed = !!(info->flags & ND_RPC_PROC_MUTATING);
    }
    xdr_free(info->ret_filter, ret);
    g_free(ret);
    return changed;
}

/* TRUE if directory @path has an entry. */
static gboolean
dirUsed(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);

    g_assert(dir);
    return g_dir_read_name(dir) != NULL;
}

static void
driverStart(void)
{
    ndDriverConfig cfg = {
        .sysfs_root = sysdir, .config_dir = confdir, .dev_root = devdir,
    };

    drv = ndDriverNew(&cfg);
    g_assert(drv);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gboolean changed = FALSE;
    gssize replaced = 0;

    balance = 0;
    counting = TRUE;
    if (!drv)
        driverStart();
    while (size >= ND_RPC_LEN_SIZE) {
        guint32 len = ndRPCFrameLengthRead(data);
        ndr_message_header hdr;
        const ndRPCProcInfo *info;
        void *args = NULL;

        if (ndRPCFrameLengthCheck(len) < 0 || len > size)
            break;
        if (ndRPCHeaderDecode(data + ND_RPC_LEN_SIZE, len - ND_RPC_LEN_SIZE,
                              &hdr) == 0 &&
            (info = ndRPCProcFind(hdr.proc)) &&
            ndRPCProcDecodeArgs(info, data + ND_RPC_FRAME_MIN,
                                len - ND_RPC_FRAME_MIN, &args) == 0) {
            changed |= dispatch(info, args);
            ndRPCProcFreeArgs(info, args);
        }
        ndResetLastError();
        data += len;
        size -= len;
    }
    ndResetLastError();
    xmlResetLastError();
    ndDriverListAllDevicesMemoClear(drv);
    /* a failed call must leave nothing behind, but a file it left in the
     * definitions directory would count as a change all the same */
    if (changed || dirUsed(confdir)) {
        gssize before = balance;

        g_clear_pointer(&drv, ndDriverFree);
        emptyDir(confdir);
        driverStart();
        replaced = balance - before;
    }
    counting = FALSE;
    for (; replaced > 0 && balance > 0 && nballast > 0; replaced--, balance--)
        free(ballast[--nballast]);
    for (; balance < 0 && nballast < BALLAST_MAX; balance++)
        ballast[nballast++] = malloc(1);
    return 0;
}
