/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd: socket activation (LISTEN_FDS) and readiness (NOTIFY_SOCKET). */
#pragma once

#include <gio/gio.h>

typedef struct _ndActivatedSocket ndActivatedSocket;
struct _ndActivatedSocket {
    GSocket *sock;
    char *name;         /* from LISTEN_FDNAMES, or NULL */
    char *path;         /* the address it is bound to, or NULL */
};

GPtrArray *ndSystemdListenFds(void);
void ndSystemdNotify(const char *state);
