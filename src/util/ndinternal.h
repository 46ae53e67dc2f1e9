/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Common internal definitions: translation macros and small helpers. */
#pragma once

#include <glib.h>
#include <glib/gi18n-lib.h>

/* Every user-visible message goes through _(); static tables use N_(). */

/* Bound on anything a client or a file can make us read into memory. */
#define ND_MAX_XML_SIZE (10 * 1024 * 1024)
