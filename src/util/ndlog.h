/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging with levels, to stderr or (under systemd) the journal. */
#pragma once

#include <glib.h>

typedef enum {
    ND_LOG_DEBUG = 1,
    ND_LOG_INFO,
    ND_LOG_WARN,
    ND_LOG_ERROR,

    ND_LOG_LAST,
} ndLogPriority;

void ndLogSetLevel(ndLogPriority level);
ndLogPriority ndLogGetLevel(void);
int ndLogParseLevel(const char *str, ndLogPriority *ret_level);
void ndLogMessage(ndLogPriority prio, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#define ND_DEBUG(...) ndLogMessage(ND_LOG_DEBUG, __VA_ARGS__)
#define ND_INFO(...) ndLogMessage(ND_LOG_INFO, __VA_ARGS__)
#define ND_WARN(...) ndLogMessage(ND_LOG_WARN, __VA_ARGS__)
#define ND_ERROR(...) ndLogMessage(ND_LOG_ERROR, __VA_ARGS__)
