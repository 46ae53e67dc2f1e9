/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* XML helpers for conf: a safe document parser (size-limited, no network,
 * no DTD, no entities), XPath getters, number parsing, RelaxNG validation,
 * and an indenting, escaping output buffer that writes what libvirt's
 * virBuffer writes.
 */
#pragma once

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject);

/* ---- parsing ------------------------------------------------------------ */

/**
 * ndXMLParse:
 * @xml: the document text
 * @root_name: the required name of the root element
 * @ret_ctxt: an XPath context with the root as current node
 *
 * Parses @xml with no network access, no DTD (a DOCTYPE is refused, so no
 * entity can be declared or expanded) and at most ND_MAX_XML_SIZE bytes.
 * Returns the document (caller frees; free @ret_ctxt first), or NULL with
 * an error reported: ND_ERR_XML_ERROR for an empty, oversized or
 * DOCTYPE-carrying document or a wrong root, ND_ERR_XML_DETAIL with
 * libxml2's message and line for malformed XML.
 */
xmlDoc *ndXMLParse(const char *xml, const char *root_name,
                   xmlXPathContext **ret_ctxt);

/**
 * ndXMLValidate:
 * @doc: a parsed document
 * @schema_path: a RelaxNG file
 *
 * Returns 0 if @doc is valid, else -1 with VIR_ERR_XML_INVALID_SCHEMA and
 * the validator's messages (or ND_ERR_INTERNAL_ERROR if the schema cannot
 * be loaded). Parsed schemas are cached per path for the process.
 */
int ndXMLValidate(xmlDoc *doc, const char *schema_path);

/* The string value of @xpath evaluated at @ctxt's node, or NULL if it is
 * empty or does not exist (like libvirt's virXPathString). Caller frees. */
char *ndXPathString(const char *xpath, xmlXPathContext *ctxt);

/* The first node matching @xpath, or NULL. Borrowed from the document. */
xmlNode *ndXPathNode(const char *xpath, xmlXPathContext *ctxt);

/* The nodes matching @xpath in document order (possibly none); the array
 * is the caller's, the nodes belong to the document. */
GPtrArray *ndXPathNodes(const char *xpath, xmlXPathContext *ctxt);

/* An attribute's value ("" if present and empty), or NULL if absent.
 * Caller frees. */
char *ndXMLPropString(xmlNode *node, const char *name);

/* The text content of @node and its descendants ("" if none). Caller
 * frees. */
char *ndXMLNodeContent(xmlNode *node);

/* Counts the element children of @node named @name. */
size_t ndXMLCountChildren(xmlNode *node, const char *name);

/**
 * ndParseUInt:
 * @str: text; whitespace around the number is ignored
 * @base: 10, 16 (optional "0x"), or 0 ("0x" hex, leading "0" octal, else
 *        decimal), as strtoul
 * @max: the largest value accepted
 * @ret_value: the result, untouched on failure
 *
 * Returns 0, or -1 (no error reported) if @str is not a non-negative
 * number in @base no larger than @max.
 */
int ndParseUInt(const char *str, int base, unsigned int max,
                unsigned int *ret_value);

/* Same for a signed decimal int. */
int ndParseInt(const char *str, int *ret_value);

/* ---- formatting --------------------------------------------------------- */

typedef struct _ndXMLBuf ndXMLBuf;
struct _ndXMLBuf {
    GString *str;
    int indent;
};

/* An empty buffer; finish it with ndXMLBufFinish(). */
void ndXMLBufInit(ndXMLBuf *buf);
/* Returns the text (caller frees) and empties @buf. */
char *ndXMLBufFinish(ndXMLBuf *buf);
/* Changes the indentation applied at the start of each following line. */
void ndXMLBufAdjustIndent(ndXMLBuf *buf, int delta);
/* Appends @text verbatim (indenting if at the start of a line). */
void ndXMLBufAdd(ndXMLBuf *buf, const char *text);
/* Appends printf output (indenting if at the start of a line). */
void ndXMLBufAsprintf(ndXMLBuf *buf, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Appends @text escaped for element content as libvirt's
 * virBufferEscapeString does: < > & ' " become entities, control
 * characters other than tab, newline and carriage return are dropped.
 * Unlike libvirt, CR is written as &#13; so that it survives a reparse. */
void ndXMLBufAddEscaped(ndXMLBuf *buf, const char *text);
/* The same for a single-quoted attribute value; tab and newline are also
 * written as character references (a parser would turn them into spaces). */
void ndXMLBufAddEscapedAttr(ndXMLBuf *buf, const char *text);
/* Appends "<@name>escaped @value</@name>\n"; nothing if @value is NULL. */
void ndXMLBufElement(ndXMLBuf *buf, const char *name, const char *value);
