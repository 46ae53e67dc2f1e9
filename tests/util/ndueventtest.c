/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of nduevent: the datagram parser and the GSource. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/nduevent.h"
#include "util/nderror.h"

/* Linked with -Wl,--wrap=recvmsg: with @inject_enobufs set, the next
 * receive fails with ENOBUFS as when the kernel dropped events because
 * the socket buffer was full. */
ssize_t __real_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags);

static gboolean inject_enobufs;

ssize_t
__wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
    if (inject_enobufs) {
        inject_enobufs = FALSE;
        errno = ENOBUFS;
        return -1;
    }
    return __real_recvmsg(fd, msg, flags);
}

/* A datagram literal: C string literals with embedded NULs; sizeof keeps
 * them, including the final NUL that ends the last field. */
#define MSG(lit) (lit), sizeof(lit)

#define MDEV_ADD \
    "add@/devices/pci0000:00/0000:00:02.0/0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b\0" \
    "ACTION=add\0" \
    "DEVPATH=/devices/pci0000:00/0000:00:02.0/0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b\0" \
    "SUBSYSTEM=mdev\0" \
    "MDEV_TYPE=i915-GVTg_V5_8\0" \
    "DRIVER=vfio_mdev\0" \
    "SEQNUM=4242"

#define PARENT_CHANGE \
    "change@/devices/virtual/mtty/mtty\0" \
    "ACTION=change\0" \
    "DEVPATH=/devices/virtual/mtty/mtty\0" \
    "SUBSYSTEM=mtty\0" \
    "MDEV_STATE=registered\0" \
    "SEQNUM=17"

#define MDEV_REMOVE \
    "remove@/devices/virtual/mtty/mtty/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001\0" \
    "ACTION=remove\0" \
    "DEVPATH=/devices/virtual/mtty/mtty/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001\0" \
    "SUBSYSTEM=mdev\0" \
    "MDEV_TYPE=mtty-1\0" \
    "SEQNUM=18"

static void
testParseAdd(void)
{
    g_autoptr(ndUevent) ev = NULL;

    g_assert_cmpint(ndUeventParse(MSG(MDEV_ADD), &ev), ==, 1);
    g_assert_cmpint(ev->action, ==, ND_UEVENT_ACTION_ADD);
    g_assert_cmpstr(ev->action_str, ==, "add");
    g_assert_cmpstr(ev->devpath, ==,
                    "/devices/pci0000:00/0000:00:02.0/0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b");
    g_assert_cmpstr(ev->subsystem, ==, "mdev");
    g_assert_cmpstr(ev->mdev_type, ==, "i915-GVTg_V5_8");
    g_assert_cmpstr(ev->driver, ==, "vfio_mdev");
    g_assert_null(ev->mdev_state);
    g_assert_null(ev->devtype);
    g_assert_cmpuint(ev->seqnum, ==, 4242);
    g_assert_cmpstr(g_hash_table_lookup(ev->props, "SUBSYSTEM"), ==, "mdev");
    g_assert_cmpuint(g_hash_table_size(ev->props), ==, 6);
}

static void
testParseChange(void)
{
    g_autoptr(ndUevent) ev = NULL;
    g_autoptr(ndUevent) rm = NULL;

    g_assert_cmpint(ndUeventParse(MSG(PARENT_CHANGE), &ev), ==, 1);
    g_assert_cmpint(ev->action, ==, ND_UEVENT_ACTION_CHANGE);
    g_assert_cmpstr(ev->mdev_state, ==, "registered");
    g_assert_null(ev->mdev_type);
    g_assert_cmpuint(ev->seqnum, ==, 17);

    g_assert_cmpint(ndUeventParse(MSG(MDEV_REMOVE), &rm), ==, 1);
    g_assert_cmpint(rm->action, ==, ND_UEVENT_ACTION_REMOVE);
    g_assert_cmpstr(rm->mdev_type, ==, "mtty-1");
}

static void
testParseOther(void)
{
    g_autoptr(ndUevent) ev = NULL;

    /* an action this version does not know, empty fields, no SEQNUM */
    g_assert_cmpint(ndUeventParse(MSG("frob@/devices/x\0ACTION=frob\0\0"
                                      "DEVPATH=/devices/x\0EMPTY="), &ev), ==, 1);
    g_assert_cmpint(ev->action, ==, ND_UEVENT_ACTION_OTHER);
    g_assert_cmpstr(ev->action_str, ==, "frob");
    g_assert_cmpuint(ev->seqnum, ==, 0);
    g_assert_cmpstr(g_hash_table_lookup(ev->props, "EMPTY"), ==, "");
    g_clear_pointer(&ev, ndUeventFree);
    g_assert_cmpint(ndUeventParse(MSG("bind@/devices/x\0ACTION=bind\0"
                                      "DEVPATH=/devices/x\0SEQNUM=x"), &ev), ==, 1);
    g_assert_cmpint(ev->action, ==, ND_UEVENT_ACTION_BIND);
    g_assert_cmpuint(ev->seqnum, ==, 0);
}

static void
testParseIgnored(void)
{
    ndUevent *ev = (ndUevent *) 0x1;
    const char udev[] = "libudev\0\xfe\xed\xca\xfe binary header";

    g_assert_cmpint(ndUeventParse(udev, sizeof(udev), &ev), ==, 0);
    g_assert_null(ev);
    g_assert_cmpint(ndUeventParse("", 0, &ev), ==, 0);
    g_assert_cmpint(ndUeventParse(MSG("add@/devices/x"), &ev), ==, 0);
    g_assert_null(ev);
}

static void
testParseMalformed(void)
{
    static const struct {
        const char *buf;
        size_t len;
        const char *why;
    } cases[] = {
        { "add@/devices/x\0ACTION=add\0DEVPATH=/devices/x", 44,
          "message not NUL-terminated" },
        { MSG("add /devices/x\0ACTION=add\0DEVPATH=/devices/x"),
          "no ACTION@DEVPATH header" },
        { MSG("add@/devices/x\0ACTION=remove\0DEVPATH=/devices/x"),
          "ACTION differs from the header" },
        { MSG("add@/devices/x\0ACTION=add\0DEVPATH=/devices/y"),
          "DEVPATH differs from the header" },
        { MSG("add@/devices/x\0ACTION=add\0SUBSYSTEM=mdev"), "no DEVPATH" },
        { MSG("add@/devices/x\0DEVPATH=/devices/x"), "no ACTION" },
        { MSG("add@/devices/x\0ACTION=add\0JUNK\0DEVPATH=/devices/x"),
          "field without KEY=" },
        { MSG("add@/devices/x\0ACTION=add\0=x\0DEVPATH=/devices/x"),
          "field without KEY=" },
        { MSG("add@x\0ACTION=add\0DEVPATH=x"), "no DEVPATH" },
    };
    g_autofree char *big = g_malloc0(ND_UEVENT_BUFFER_SIZE + 1);
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        ndUevent *ev = (ndUevent *) 0x1;
        g_autofree char *want = g_strdup_printf("malformed kernel uevent: %s",
                                                cases[i].why);

        ndResetLastError();
        g_assert_cmpint(ndUeventParse(cases[i].buf, cases[i].len, &ev), ==, -1);
        g_assert_null(ev);
        g_assert_cmpint(ndGetLastErrorCode(), ==, ND_ERR_INTERNAL_ERROR);
        if (!strstr(ndGetLastErrorMessage(), want))
            g_error("case %zu: expected '%s', got '%s'", i, want,
                    ndGetLastErrorMessage());
    }
    {
        ndUevent *ev = NULL;

        memcpy(big, "add@/x", 6);
        g_assert_cmpint(ndUeventParse(big, ND_UEVENT_BUFFER_SIZE + 1, &ev), ==, -1);
        g_assert_nonnull(strstr(ndGetLastErrorMessage(), "message too long"));
    }
    ndResetLastError();
}

/* Random bytes and random mutations of real messages: the parser answers
 * 1, 0 or -1 and never reads past the buffer (run under ASan/valgrind to
 * see the latter).  A fixed seed keeps failures reproducible. */
static void
testParseRandom(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(20261123);
    const char base[] = MDEV_ADD;
    int iter;

    for (iter = 0; iter < 20000; iter++) {
        g_autoptr(ndUevent) ev = NULL;
        size_t len;
        g_autofree char *buf = NULL;
        int rc;

        if (iter % 2 == 0) {
            size_t i;

            len = g_rand_int_range(rand, 0, 300);
            buf = g_malloc(len + 1);
            for (i = 0; i < len; i++)
                buf[i] = (char) g_rand_int_range(rand, 0, 256);
        } else {
            int flips = g_rand_int_range(rand, 1, 4);

            len = sizeof(base) - g_rand_int_range(rand, 0, 8);
            buf = g_memdup2(base, sizeof(base));
            while (flips-- > 0) {
                size_t pos = g_rand_int_range(rand, 0, len);
                const char pool[] = { '\0', '=', '@', '/', 'x' };

                buf[pos] = pool[g_rand_int_range(rand, 0, sizeof(pool))];
            }
        }
        /* an exact-size heap copy, so ASan sees any overread */
        {
            g_autofree char *exact = g_memdup2(buf, len ? len : 1);

            rc = ndUeventParse(exact, len, &ev);
        }
        g_assert_cmpint(rc, >=, -1);
        g_assert_cmpint(rc, <=, 1);
        if (rc == 1) {
            g_assert_nonnull(ev);
            g_assert_nonnull(ev->devpath);
            g_assert_nonnull(ev->action_str);
        } else {
            g_assert_null(ev);
        }
        ndResetLastError();
    }
}

typedef struct {
    GPtrArray *seen;        /* devpaths, "LOST" for NULL */
    gboolean freed;
} sourceData;

static gboolean
onEvent(const ndUevent *ev, gpointer opaque)
{
    sourceData *data = opaque;

    g_ptr_array_add(data->seen, g_strdup(ev ? ev->devpath : "LOST"));
    if (ev && ev->action == ND_UEVENT_ACTION_REMOVE)
        return G_SOURCE_REMOVE;
    return G_SOURCE_CONTINUE;
}

static void
onFree(gpointer opaque)
{
    ((sourceData *) opaque)->freed = TRUE;
}

static void
testSource(void)
{
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
    sourceData data = { seen, FALSE };
    GSource *source;
    int fds[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds), ==, 0);
    source = ndUeventSourceNewFromFd(fds[0], onEvent, &data, onFree);
    g_source_attach(source, ctx);

    /* queued before the loop runs: good, ignored, malformed, good, stop */
    g_assert_cmpint(send(fds[1], MSG(MDEV_ADD), 0), >, 0);
    g_assert_cmpint(send(fds[1], "libudev\0xxxx", 12, 0), ==, 12);
    g_assert_cmpint(send(fds[1], MSG("add@/x\0ACTION=add\0DEVPATH=/y"), 0), >, 0);
    g_assert_cmpint(send(fds[1], MSG(PARENT_CHANGE), 0), >, 0);
    g_assert_cmpint(send(fds[1], MSG(MDEV_REMOVE), 0), >, 0);
    g_assert_cmpint(send(fds[1], MSG(MDEV_ADD), 0), >, 0);

    /* every datagram is already queued, so each blocking iteration returns */
    while (!g_source_is_destroyed(source))
        g_main_context_iteration(ctx, TRUE);

    /* the callback's G_SOURCE_REMOVE stops delivery after the remove */
    g_assert_cmpuint(seen->len, ==, 3);
    g_assert_true(g_str_has_suffix(seen->pdata[0], "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"));
    g_assert_cmpstr(seen->pdata[1], ==, "/devices/virtual/mtty/mtty");
    g_assert_true(g_str_has_suffix(seen->pdata[2], "e6bfe0fa1001"));
    g_assert_null(ndGetLastError());
    g_source_unref(source);
    g_assert_true(data.freed);
    /* the source closed its end */
    g_assert_cmpint(send(fds[1], MSG(MDEV_ADD), MSG_DONTWAIT), ==, -1);
    close(fds[1]);
}

/* Lost events are reported as a NULL event, then delivery goes on. */
static void
testSourceOverflow(void)
{
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
    sourceData data = { seen, FALSE };
    GSource *source;
    int fds[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds), ==, 0);
    source = ndUeventSourceNewFromFd(fds[0], onEvent, &data, onFree);
    g_source_attach(source, ctx);
    g_assert_cmpint(send(fds[1], MSG(PARENT_CHANGE), 0), >, 0);
    g_assert_cmpint(send(fds[1], MSG(MDEV_REMOVE), 0), >, 0);
    inject_enobufs = TRUE;
    while (!g_source_is_destroyed(source))
        g_main_context_iteration(ctx, TRUE);
    g_assert_cmpuint(seen->len, ==, 3);
    g_assert_cmpstr(seen->pdata[0], ==, "LOST");
    g_assert_cmpstr(seen->pdata[1], ==, "/devices/virtual/mtty/mtty");
    g_source_unref(source);
    g_assert_true(data.freed);
    close(fds[1]);
}

static void
testNetlink(void)
{
    GSource *source = ndUeventSourceNew(onEvent, NULL, NULL);

    if (!source) {
        /* some sandboxes refuse netlink sockets: say why, loudly */
        g_test_skip(ndGetLastErrorMessage());
        ndResetLastError();
        return;
    }
    g_source_destroy(source);
    g_source_unref(source);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/uevent/parse-add", testParseAdd);
    g_test_add_func("/uevent/parse-change", testParseChange);
    g_test_add_func("/uevent/parse-other", testParseOther);
    g_test_add_func("/uevent/parse-ignored", testParseIgnored);
    g_test_add_func("/uevent/parse-malformed", testParseMalformed);
    g_test_add_func("/uevent/parse-random", testParseRandom);
    g_test_add_func("/uevent/source", testSource);
    g_test_add_func("/uevent/source-overflow", testSourceOverflow);
    g_test_add_func("/uevent/netlink", testNetlink);
    return g_test_run();
}
