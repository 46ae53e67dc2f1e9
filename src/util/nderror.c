/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Thread-local last error, with libvirt's codes and message prefixes. */
#include <string.h>

#include "nderror.h"
#include "ndinternal.h"
#include "ndlog.h"

G_STATIC_ASSERT(ND_ERR_INTERNAL_ERROR == 1);
G_STATIC_ASSERT(ND_ERR_OPERATION_DENIED == 29);
G_STATIC_ASSERT(ND_ERR_NO_NODE_DEVICE == 53);
G_STATIC_ASSERT(ND_ERR_OPERATION_INVALID == 55);
G_STATIC_ASSERT(ND_ERR_CONFIG_UNSUPPORTED == 67);
G_STATIC_ASSERT(ND_ERR_XML_INVALID_SCHEMA == 92);
G_STATIC_ASSERT(ND_FROM_NODEDEV == 22);
G_STATIC_ASSERT(ND_FROM_RPC == 7);

static void
errorFreeCb(gpointer data)
{
    ndErrorFree(data);
}

static GPrivate last_error = G_PRIVATE_INIT(errorFreeCb);

/**
 * ndErrorFree:
 * @err: an error or NULL
 *
 * Frees @err and everything it holds.
 */
void
ndErrorFree(ndError *err)
{
    if (!err)
        return;
    g_free(err->message);
    g_free(err->str1);
    g_free(err->str2);
    g_free(err);
}

/* The prefix libvirt's virErrorMsg() puts in front of a detail, so that
 * clients show the same text for the same condition. */
static const char *
errorPrefixFormat(int code)
{
    switch ((ndErrorNumber) code) {
    case ND_ERR_INTERNAL_ERROR:
        return N_("internal error: %s");
    case ND_ERR_NO_SUPPORT:
        return N_("this function is not supported by the connection driver: %s");
    case ND_ERR_INVALID_ARG:
        return N_("invalid argument: %s");
    case ND_ERR_OPERATION_FAILED:
        return N_("operation failed: %s");
    case ND_ERR_XML_ERROR:
        return N_("XML error: %s");
    case ND_ERR_OPERATION_DENIED:
        return N_("operation forbidden: %s");
    case ND_ERR_PARSE_FAILED:
        return N_("failed to parse configuration file %s");
    case ND_ERR_XML_DETAIL:
        return N_("%s");
    case ND_ERR_SYSTEM_ERROR:
        return N_("%s");
    case ND_ERR_RPC:
        return N_("%s");
    case ND_ERR_AUTH_FAILED:
        return N_("authentication failed: %s");
    case ND_ERR_NO_NODE_DEVICE:
        return N_("Node device not found: %s");
    case ND_ERR_OPERATION_INVALID:
        return N_("Requested operation is not valid: %s");
    case ND_ERR_CONFIG_UNSUPPORTED:
        return N_("unsupported configuration: %s");
    case ND_ERR_OPERATION_TIMEOUT:
        return N_("Timed out during operation: %s");
    case ND_ERR_ARGUMENT_UNSUPPORTED:
        return N_("argument unsupported: %s");
    case ND_ERR_OVERFLOW:
        return N_("value too large: %s");
    case ND_ERR_OPERATION_UNSUPPORTED:
        return N_("Operation not supported: %s");
    case ND_ERR_RESOURCE_BUSY:
        return N_("resource busy: %s");
    case ND_ERR_NO_NAME:
        return N_("missing name information in %s");
    case ND_ERR_XML_INVALID_SCHEMA:
        return N_("XML document failed to validate against schema: %s");
    case ND_ERR_OK:
        break;
    }
    return N_("%s");
}

static void
errorSet(int domain, int code, char *detail)
{
    ndError *err = g_new0(ndError, 1);
    const char *prefix = errorPrefixFormat(code);
    g_autofree char *msg = NULL;

    err->code = code;
    err->domain = domain;
    err->str1 = g_strdup(_(prefix));
    err->str2 = detail;
    /* The prefix is a single %s format; build it without a format string
     * from a variable so the compiler can check every printf. */
    {
        const char *pos = strstr(err->str1, "%s");

        if (pos) {
            msg = g_strdup_printf("%.*s%s%s", (int) (pos - err->str1),
                                  err->str1, detail, pos + 2);
        } else {
            msg = g_strdup_printf("%s: %s", err->str1, detail);
        }
    }
    err->message = g_steal_pointer(&msg);
    g_private_replace(&last_error, err);
}

/**
 * ndReportErrorFull:
 * @domain: an ndErrorDomain
 * @code: an ndErrorNumber
 * @file, @func, @line: where it was reported (for the debug log)
 * @fmt: printf format of the detail (already translated)
 *
 * Records the error as the thread's last error, replacing any earlier one.
 * The message is libvirt's prefix for @code followed by the detail.
 */
void
ndReportErrorFull(int domain, int code,
                  const char *file, const char *func, int line,
                  const char *fmt, ...)
{
    va_list ap;
    char *detail;

    va_start(ap, fmt);
    detail = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ndLogMessage(ND_LOG_DEBUG, "error %d at %s:%d (%s): %s",
                 code, file, line, func, detail);
    errorSet(domain, code, detail);
}

/**
 * ndReportSystemErrorFull:
 * @domain: an ndErrorDomain
 * @errnum: the errno value
 * @fmt: printf format of what failed (already translated)
 *
 * Records ND_ERR_SYSTEM_ERROR with the text "<detail>: <strerror(errnum)>".
 */
void
ndReportSystemErrorFull(int domain, int errnum,
                        const char *file, const char *func, int line,
                        const char *fmt, ...)
{
    va_list ap;
    g_autofree char *what = NULL;
    char *detail;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    detail = g_strdup_printf("%s: %s", what, g_strerror(errnum));
    ndLogMessage(ND_LOG_DEBUG, "system error %d at %s:%d (%s): %s",
                 errnum, file, line, func, detail);
    errorSet(domain, ND_ERR_SYSTEM_ERROR, detail);
}

/**
 * ndReportErrorRaw:
 * @domain: an ndErrorDomain
 * @code: an ndErrorNumber
 * @message: the complete message, used as is (no prefix is added)
 *
 * For the few messages whose exact text the protocol fixes, such as
 * "unknown procedure: N".
 */
void
ndReportErrorRaw(int domain, int code, const char *message)
{
    ndError *err = g_new0(ndError, 1);

    err->code = code;
    err->domain = domain;
    err->message = g_strdup(message);
    err->str1 = g_strdup("%s");
    err->str2 = g_strdup(message);
    g_private_replace(&last_error, err);
}

/**
 * ndGetLastError:
 *
 * Returns: the calling thread's last error (borrowed, valid until the next
 * error is reported or reset on this thread), or NULL.
 */
const ndError *
ndGetLastError(void)
{
    return g_private_get(&last_error);
}

/**
 * ndGetLastErrorMessage:
 *
 * Returns: the last error's message, or a fixed text when there is none.
 */
const char *
ndGetLastErrorMessage(void)
{
    const ndError *err = ndGetLastError();

    if (!err)
        return _("no error");
    return err->message;
}

/**
 * ndGetLastErrorCode:
 *
 * Returns: the last error's code, or ND_ERR_OK when there is none.
 */
int
ndGetLastErrorCode(void)
{
    const ndError *err = ndGetLastError();

    return err ? err->code : ND_ERR_OK;
}

/**
 * ndResetLastError:
 *
 * Forgets the calling thread's last error.
 */
void
ndResetLastError(void)
{
    g_private_replace(&last_error, NULL);
}

/**
 * ndErrorCopy:
 * @err: an error
 *
 * Returns: a deep copy of @err (caller frees).
 */
ndError *
ndErrorCopy(const ndError *err)
{
    ndError *copy = g_new0(ndError, 1);

    copy->code = err->code;
    copy->domain = err->domain;
    copy->message = g_strdup(err->message);
    copy->str1 = g_strdup(err->str1);
    copy->str2 = g_strdup(err->str2);
    return copy;
}

/**
 * ndSaveLastError:
 *
 * Takes the pending error away from the thread, so that cleanup code can
 * run without losing it; give it back with ndRestoreLastError().
 *
 * Returns: the error, or NULL when none is pending.
 */
ndError *
ndSaveLastError(void)
{
    ndError *err = g_private_get(&last_error);

    if (err)
        err = ndErrorCopy(err);
    ndResetLastError();
    return err;
}

/**
 * ndRestoreLastError:
 * @err: (transfer full): an error from ndSaveLastError(), or NULL
 *
 * Makes *@err the pending error again (if not NULL) and clears *@err.
 */
void
ndRestoreLastError(ndError **err)
{
    if (!*err)
        return;
    g_private_replace(&last_error, g_steal_pointer(err));
}
