/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging with levels, to stderr or (under systemd) the journal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ndlog.h"

static int log_level = ND_LOG_WARN;
static int log_journal = -1;   /* -1: not yet checked */
static GMutex log_lock;

static const char *const level_names[] = {
    [ND_LOG_DEBUG] = "debug",
    [ND_LOG_INFO] = "info",
    [ND_LOG_WARN] = "warning",
    [ND_LOG_ERROR] = "error",
};
G_STATIC_ASSERT(G_N_ELEMENTS(level_names) == ND_LOG_LAST);

/* syslog priorities, for the "<N>" prefix systemd reads on stderr */
static const int level_syslog[] = {
    [ND_LOG_DEBUG] = 7,
    [ND_LOG_INFO] = 6,
    [ND_LOG_WARN] = 4,
    [ND_LOG_ERROR] = 3,
};
G_STATIC_ASSERT(G_N_ELEMENTS(level_syslog) == ND_LOG_LAST);

/**
 * ndLogSetLevel:
 * @level: the lowest priority that is printed
 */
void
ndLogSetLevel(ndLogPriority level)
{
    g_atomic_int_set(&log_level, level);
}

/**
 * ndLogGetLevel:
 *
 * Returns: the lowest priority that is printed.
 */
ndLogPriority
ndLogGetLevel(void)
{
    return g_atomic_int_get(&log_level);
}

/**
 * ndLogParseLevel:
 * @str: "debug", "info", "warning", "error" or 1..4
 * @ret_level: the level
 *
 * Returns: 0, or -1 if @str names no level (nothing is reported).
 */
int
ndLogParseLevel(const char *str, ndLogPriority *ret_level)
{
    size_t i;

    for (i = ND_LOG_DEBUG; i < ND_LOG_LAST; i++) {
        if (g_ascii_strcasecmp(str, level_names[i]) == 0 ||
            (str[0] == '0' + (char) i && str[1] == '\0')) {
            *ret_level = i;
            return 0;
        }
    }
    return -1;
}

/* systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected to
 * stderr; when it matches, prefix lines with "<prio>" so the journal keeps
 * the level. */
static gboolean
logToJournal(void)
{
    const char *env;
    struct stat st;
    unsigned long long dev;
    unsigned long long ino;

    if (log_journal >= 0)
        return log_journal;
    log_journal = 0;
    if (!(env = getenv("JOURNAL_STREAM")))
        return FALSE;
    if (sscanf(env, "%llu:%llu", &dev, &ino) != 2)
        return FALSE;
    if (fstat(STDERR_FILENO, &st) < 0)
        return FALSE;
    log_journal = (st.st_dev == dev && st.st_ino == ino);
    return log_journal;
}

/**
 * ndLogMessage:
 * @prio: the priority
 * @fmt: printf format
 *
 * Prints one line to stderr when @prio is at or above the level: with a
 * "<N>" syslog prefix under systemd's journal, else with a timestamp.
 */
void
ndLogMessage(ndLogPriority prio, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;
    g_autoptr(GDateTime) now = NULL;
    g_autofree char *stamp = NULL;

    if (prio < (ndLogPriority) g_atomic_int_get(&log_level) || prio >= ND_LOG_LAST)
        return;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    g_mutex_lock(&log_lock);
    if (logToJournal()) {
        fprintf(stderr, "<%d>%s\n", level_syslog[prio], msg);
    } else {
        now = g_date_time_new_now_local();
        stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S.%f");
        fprintf(stderr, "%.23s: %d: %s : %s\n", stamp, (int) getpid(),
                level_names[prio], msg);
    }
    fflush(stderr);
    g_mutex_unlock(&log_lock);
}
