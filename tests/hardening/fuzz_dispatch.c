/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: whole client messages through dispatch.
 *
 * The input is a stream of frames, as read from a socket.  Each frame is
 * decoded as the server does (length, header, the procedure's arguments)
 * and, for the node-device procedures, handed to the real driver running
 * on a temporary copy of tests/sysfsdata/gpu with a temporary definitions
 * directory; the result is freed as the server frees it.  Nothing may
 * crash, leak or touch anything outside the temporary directory.
 */
#include <stdint.h>
#include <stdlib.h>

#include <glib/gstdio.h>

#include "node_device/node_device_driver.h"
#include "rpc/ndrpcmessage.h"
#include "rpc/ndrpcnodedev.h"
#include "rpc/ndrpcproc.h"
#include "util/nderror.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ndDriver *drv;
static char *tmpdir;

static void
cleanup(void)
{
    const char *rm[] = { "rm", "-rf", tmpdir, NULL };

    g_clear_pointer(&drv, ndDriverFree);
    if (tmpdir)
        g_spawn_sync(NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL,
                     NULL, NULL, NULL, NULL, NULL);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_autofree char *sys = NULL;
    g_autofree char *conf = NULL;
    g_autofree char *dev = NULL;
    ndDriverConfig cfg = { 0 };
    int status = 0;
    const char *cp[] = { "cp", "-a", ND_FUZZ_SYSFSDATA, NULL, NULL };

    (void) argc;
    (void) argv;
    tmpdir = g_dir_make_tmp("nd-fuzz-dispatch-XXXXXX", NULL);
    g_assert(tmpdir);
    sys = g_build_filename(tmpdir, "sys", NULL);
    conf = g_build_filename(tmpdir, "mdevctl.d", NULL);
    dev = g_build_filename(tmpdir, "dev", NULL);
    cp[3] = sys;
    g_assert(g_spawn_sync(NULL, (char **) cp, NULL, G_SPAWN_SEARCH_PATH, NULL,
                          NULL, NULL, NULL, &status, NULL) && status == 0);
    g_assert(g_mkdir(conf, 0700) == 0 && g_mkdir(dev, 0700) == 0);
    cfg.sysfs_root = sys;
    cfg.config_dir = conf;
    cfg.dev_root = dev;
    drv = ndDriverNew(&cfg);
    g_assert(drv);
    atexit(cleanup);
    return 0;
}

static void
dispatch(const ndRPCProcInfo *info, const void *args)
{
    ndRPCNodeDevHandler handler = ndRPCNodeDevHandlerFind(info->proc);
    void *ret;

    if (!handler)
        return;
    /* as the server does: encode the reply or the error, free either way */
    ret = g_malloc0(MAX(info->ret_size, 1));
    if (handler(drv, args, ret) == 0) {
        g_autoptr(GBytes) reply = NULL;
        ndr_message_header hdr = { .proc = info->proc };

        reply = ndRPCReplyEncode(&hdr, info->ret_filter, ret);
    }
    xdr_free(info->ret_filter, ret);
    g_free(ret);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
            dispatch(info, args);
            ndRPCProcFreeArgs(info, args);
        }
        ndResetLastError();
        data += len;
        size -= len;
    }
    return 0;
}
