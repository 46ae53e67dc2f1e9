/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One error model: the failing function reports, callers pass -1/NULL up. */
#pragma once

#include <glib.h>
#include <libvirt/virterror.h>

/* The numbers go on the wire: they are libvirt's, taken from its header. */
typedef enum {
    ND_ERR_OK = VIR_ERR_OK,
    ND_ERR_INTERNAL_ERROR = VIR_ERR_INTERNAL_ERROR,
    ND_ERR_NO_SUPPORT = VIR_ERR_NO_SUPPORT,
    ND_ERR_NO_NAME = VIR_ERR_NO_NAME,
    ND_ERR_INVALID_ARG = VIR_ERR_INVALID_ARG,
    ND_ERR_OPERATION_FAILED = VIR_ERR_OPERATION_FAILED,
    ND_ERR_XML_ERROR = VIR_ERR_XML_ERROR,
    ND_ERR_OPERATION_DENIED = VIR_ERR_OPERATION_DENIED,
    ND_ERR_PARSE_FAILED = VIR_ERR_PARSE_FAILED,
    ND_ERR_XML_DETAIL = VIR_ERR_XML_DETAIL,
    ND_ERR_SYSTEM_ERROR = VIR_ERR_SYSTEM_ERROR,
    ND_ERR_RPC = VIR_ERR_RPC,
    ND_ERR_AUTH_FAILED = VIR_ERR_AUTH_FAILED,
    ND_ERR_NO_NODE_DEVICE = VIR_ERR_NO_NODE_DEVICE,
    ND_ERR_OPERATION_INVALID = VIR_ERR_OPERATION_INVALID,
    ND_ERR_CONFIG_UNSUPPORTED = VIR_ERR_CONFIG_UNSUPPORTED,
    ND_ERR_OPERATION_TIMEOUT = VIR_ERR_OPERATION_TIMEOUT,
    ND_ERR_ARGUMENT_UNSUPPORTED = VIR_ERR_ARGUMENT_UNSUPPORTED,
    ND_ERR_OVERFLOW = VIR_ERR_OVERFLOW,
    ND_ERR_OPERATION_UNSUPPORTED = VIR_ERR_OPERATION_UNSUPPORTED,
    ND_ERR_RESOURCE_BUSY = VIR_ERR_RESOURCE_BUSY,
    ND_ERR_XML_INVALID_SCHEMA = VIR_ERR_XML_INVALID_SCHEMA,
} ndErrorNumber;

typedef enum {
    ND_FROM_NONE = VIR_FROM_NONE,
    ND_FROM_XML = VIR_FROM_XML,
    ND_FROM_RPC = VIR_FROM_RPC,
    ND_FROM_NODEDEV = VIR_FROM_NODEDEV,
} ndErrorDomain;

typedef struct _ndError ndError;
struct _ndError {
    int code;          /* ndErrorNumber */
    int domain;        /* ndErrorDomain */
    char *message;     /* full text as libvirt shows it: "<prefix>: <detail>" */
    char *str1;        /* the prefix format, e.g. "Node device not found: %s" */
    char *str2;        /* the detail alone */
};

void ndErrorFree(ndError *err);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ndError, ndErrorFree);

void ndReportErrorFull(int domain, int code,
                       const char *file, const char *func, int line,
                       const char *fmt, ...) G_GNUC_PRINTF(6, 7);
void ndReportSystemErrorFull(int domain, int errnum,
                             const char *file, const char *func, int line,
                             const char *fmt, ...) G_GNUC_PRINTF(6, 7);
void ndReportErrorRaw(int domain, int code, const char *message);

#define ndReportError(code, ...) \
    ndReportErrorFull(ND_FROM_NODEDEV, (code), \
                      __FILE__, __func__, __LINE__, __VA_ARGS__)
#define ndReportSystemError(errnum, ...) \
    ndReportSystemErrorFull(ND_FROM_NODEDEV, (errnum), \
                            __FILE__, __func__, __LINE__, __VA_ARGS__)

const ndError *ndGetLastError(void);
const char *ndGetLastErrorMessage(void);
int ndGetLastErrorCode(void);
void ndResetLastError(void);
ndError *ndSaveLastError(void);
void ndRestoreLastError(ndError **err);
ndError *ndErrorCopy(const ndError *err);
