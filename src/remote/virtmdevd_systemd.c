/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd: socket activation (LISTEN_FDS) and readiness (NOTIFY_SOCKET).
 *
 * Both are small documented protocols, spoken directly so the daemon does
 * not need libsystemd. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>

#include "remote/virtmdevd_systemd.h"
#include "util/ndlog.h"

/* systemd passes the sockets from this fd on */
#define LISTEN_FDS_START 3

static void
activatedSocketFree(gpointer data)
{
    ndActivatedSocket *as = data;

    g_clear_object(&as->sock);
    g_free(as->name);
    g_free(as->path);
    g_free(as);
}

/**
 * ndSystemdListenFds:
 *
 * Takes the sockets systemd passed (when LISTEN_PID is our pid) and
 * unsets the LISTEN_* variables so children do not inherit them.
 *
 * Returns: an array of ndActivatedSocket (caller unrefs), empty when the
 * daemon was not socket-activated.
 */
GPtrArray *
ndSystemdListenFds(void)
{
    GPtrArray *ret = g_ptr_array_new_with_free_func(activatedSocketFree);
    const char *pid_str = getenv("LISTEN_PID");
    const char *fds_str = getenv("LISTEN_FDS");
    const char *names_str = getenv("LISTEN_FDNAMES");
    g_auto(GStrv) names = NULL;
    guint64 pid;
    guint64 nfds;
    guint i;

    if (!pid_str || !fds_str)
        goto cleanup;
    if (!g_ascii_string_to_unsigned(pid_str, 10, 1, G_MAXINT, &pid, NULL) ||
        (pid_t) pid != getpid())
        goto cleanup;
    if (!g_ascii_string_to_unsigned(fds_str, 10, 0, 64, &nfds, NULL)) {
        ND_WARN("ignoring LISTEN_FDS='%s'", fds_str);
        goto cleanup;
    }
    if (names_str)
        names = g_strsplit(names_str, ":", -1);

    for (i = 0; i < nfds; i++) {
        int fd = LISTEN_FDS_START + i;
        g_autoptr(GError) gerr = NULL;
        ndActivatedSocket *as;
        GSocket *sock;
        GSocketAddress *addr;

        fcntl(fd, F_SETFD, FD_CLOEXEC);
        if (!(sock = g_socket_new_from_fd(fd, &gerr))) {
            ND_WARN("ignoring activated fd %d: %s", fd, gerr->message);
            continue;
        }
        as = g_new0(ndActivatedSocket, 1);
        as->sock = sock;
        if (names && i < g_strv_length(names))
            as->name = g_strdup(names[i]);
        if ((addr = g_socket_get_local_address(sock, NULL))) {
            if (G_IS_UNIX_SOCKET_ADDRESS(addr))
                as->path = g_strdup(g_unix_socket_address_get_path(G_UNIX_SOCKET_ADDRESS(addr)));
            g_object_unref(addr);
        }
        g_ptr_array_add(ret, as);
    }

 cleanup:
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return ret;
}

/**
 * ndSystemdNotify:
 * @state: e.g. "READY=1"
 *
 * Sends @state to $NOTIFY_SOCKET if set (a path, or '@' for an abstract
 * name); failures are logged only.
 */
void
ndSystemdNotify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    socklen_t len;
    size_t plen;
    int fd;

    if (!path || !*path)
        return;
    plen = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path)) {
        ND_WARN("ignoring NOTIFY_SOCKET='%s'", path);
        return;
    }
    memcpy(sa.sun_path, path, plen);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    len = G_STRUCT_OFFSET(struct sockaddr_un, sun_path) + plen;

    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
        ND_WARN("cannot notify systemd: %s", g_strerror(errno));
        return;
    }
    if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
               (struct sockaddr *) &sa, len) < 0)
        ND_WARN("cannot notify systemd: %s", g_strerror(errno));
    close(fd);
}
