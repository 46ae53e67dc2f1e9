/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* XML helpers for conf: safe parsing, XPath, numbers, RelaxNG, output. */
#include <errno.h>
#include <string.h>

#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "ndxml.h"
#include "util/nderror.h"
#include "util/ndinternal.h"

/* ---- parsing ------------------------------------------------------------ */

typedef struct {
    gboolean had_doctype;
    char *detail;       /* the first fatal error, worded as libvirt does */
} parseState;

/* SAX hook: the tree builder calls this on "<!DOCTYPE". We never need a
 * DTD, and refusing it here means no entity can ever be declared, so no
 * entity expansion (billion laughs) and no external entity (XXE). */
static void
rejectDoctype(void *user_data,
              const xmlChar *name G_GNUC_UNUSED,
              const xmlChar *external_id G_GNUC_UNUSED,
              const xmlChar *system_id G_GNUC_UNUSED)
{
    xmlParserCtxt *pctxt = user_data;
    parseState *state = pctxt->_private;

    state->had_doctype = TRUE;
    xmlStopParser(pctxt);
}

static gsize xml_initialized;

/* The message libvirt gives for a document that is not well-formed:
 * "URL:LINE: MESSAGE" (libxml2's message ends in a newline), the line of
 * the document where the parser stopped, and under it a pointer to the
 * column ('-' for each byte before it, tabs kept so that it lines up):
 *
 *     (node_device_definition):2: Opening and ending tag mismatch: ...
 *       </capabilit>
 *     --------------^
 *
 * An empty line shows as "(null)", as libvirt shows it. */
static char *
parseErrorDetail(xmlParserCtxt *pctxt, const xmlError *err)
{
    const xmlChar *at = pctxt->input->cur;
    const xmlChar *base = pctxt->input->base;
    const xmlChar *cur = at;
    const xmlChar *end;
    g_autofree char *line = NULL;
    g_autoptr(GString) pointer = g_string_new(NULL);
    size_t col;
    size_t i;

    if (cur && base) {
        /* back over the line breaks the parser stopped on, then to the
         * start of the line */
        while (cur > base && (*cur == '\n' || *cur == '\r'))
            cur--;
        while (cur > base && *cur != '\n' && *cur != '\r')
            cur--;
        if (*cur == '\n' || *cur == '\r')
            cur++;
        /* a stop on a line break at the very start leaves cur past it:
         * the pointer then runs the whole line, as libvirt's does */
        col = cur <= at ? (size_t) (at - cur) : SIZE_MAX;
        for (end = cur; *end && *end != '\n' && *end != '\r'; end++)
            ;
        if (end > cur)
            line = g_strndup((const char *) cur, end - cur);
        for (i = 0; line && i < col && line[i]; i++)
            g_string_append_c(pointer, line[i] == '\t' ? '\t' : '-');
    }
    g_string_append_c(pointer, '^');
    return g_strdup_printf(_("%1$s:%2$d: %3$s%4$s\n%5$s"),
                           err->file ? err->file : "", err->line,
                           err->message, line ? line : "(null)",
                           pointer->str);
}

/* Structured error callback of the parser (libxml2 < 2.12 passes a
 * non-const error): keeps the first fatal error with the parser's
 * position at that moment; later errors follow from the first. */
static void
recordError(void *user_data, xmlError *err)
{
    xmlParserCtxt *pctxt = user_data;
    parseState *state = pctxt->_private;

    if (state->detail || !err || err->level != XML_ERR_FATAL ||
        !err->message || !pctxt->input)
        return;
    state->detail = parseErrorDetail(pctxt, err);
}

/**
 * ndXMLParse:
 * @xml: the document text
 * @root_name: the required root element name
 * @ret_ctxt: XPath context positioned on the root
 *
 * See ndxml.h. Returns the document or NULL with an error reported.
 */
xmlDoc *
ndXMLParse(const char *xml, const char *root_name, xmlXPathContext **ret_ctxt)
{
    parseState state = { FALSE, NULL };
    xmlParserCtxt *pctxt = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    /* the URL libxml2 names in its errors, as libvirt names it */
    const char *url = _("(node_device_definition)");
    xmlNode *root;
    size_t len;
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

    /* an empty document is libxml2's "Document is empty", as in libvirt */
    if (!xml)
        xml = "";
    len = strnlen(xml, ND_MAX_XML_SIZE + 1);
    if (len > ND_MAX_XML_SIZE) {
        ndReportError(ND_ERR_XML_ERROR,
                      _("the node device XML document is larger than the limit of %1$d bytes"),
                      ND_MAX_XML_SIZE);
        return NULL;
    }

    /* libxml2's global state must be set up once before threads use it */
    if (g_once_init_enter(&xml_initialized)) {
        xmlInitParser();
        g_once_init_leave(&xml_initialized, 1);
    }

    if (!(pctxt = xmlNewParserCtxt())) {
        ndReportError(ND_ERR_INTERNAL_ERROR, _("cannot allocate an XML parser"));
        return NULL;
    }
    pctxt->_private = &state;
    pctxt->sax->internalSubset = rejectDoctype;
    /* errors are reported through ndReportError, never printed */
    pctxt->sax->serror = recordError;

    doc = xmlCtxtReadMemory(pctxt, xml, (int) len, url, NULL, opts);
    xmlFreeParserCtxt(pctxt);
    if (state.had_doctype) {
        g_free(state.detail);
        ndReportError(ND_ERR_XML_ERROR,
                      _("a DOCTYPE is not allowed in node device XML"));
        return NULL;
    }
    if (state.detail || !doc) {
        if (state.detail)
            ndReportError(ND_ERR_XML_DETAIL, "%s", state.detail);
        else
            ndReportError(ND_ERR_XML_ERROR,
                          _("failed to parse xml document '%1$s'"),
                          "[inline data]");
        g_free(state.detail);
        return NULL;
    }

    root = xmlDocGetRootElement(doc);
    if (!root || !xmlStrEqual(root->name, BAD_CAST root_name)) {
        /* libvirt's XML helpers report this one, in their domain */
        ndReportErrorFull(ND_FROM_XML, ND_ERR_XML_ERROR,
                          __FILE__, __func__, __LINE__,
                          _("expecting root element of '%1$s', not '%2$s'"),
                          root_name, root ? (const char *) root->name : "");
        return NULL;
    }

    if (!(ctxt = xmlXPathNewContext(doc))) {
        ndReportError(ND_ERR_INTERNAL_ERROR, _("cannot allocate an XPath context"));
        return NULL;
    }
    ctxt->node = root;

    *ret_ctxt = g_steal_pointer(&ctxt);
    return g_steal_pointer(&doc);
}

/* Parsed schemas, by path: parsing nodedev.rng takes milliseconds and the
 * daemon validates on every create/define with the VALIDATE flag. */
static GMutex schema_lock;
static GHashTable *schema_cache;

static void
collectError(void *data, const xmlError *err)
{
    GString *msgs = data;
    g_autofree char *msg = NULL;

    if (!err || !err->message)
        return;
    msg = g_strchomp(g_strdup(err->message));
    if (msgs->len > 0)
        g_string_append_c(msgs, '\n');
    if (err->node && ((xmlNode *) err->node)->name) {
        g_string_append_printf(msgs, "Element %s: %s",
                               (const char *) ((xmlNode *) err->node)->name,
                               msg);
    } else {
        g_string_append(msgs, msg);
    }
}

/* Structured error callbacks have a non-const argument in libxml2 < 2.12. */
static void
collectErrorCb(void *data, xmlError *err)
{
    collectError(data, err);
}

static void G_GNUC_PRINTF(2, 3)
collectGenericError(void *data, const char *fmt, ...)
{
    GString *msgs = data;
    va_list ap;

    va_start(ap, fmt);
    g_string_append_vprintf(msgs, fmt, ap);
    va_end(ap);
}

static xmlRelaxNG *
schemaGet(const char *schema_path, GString *errors)
{
    xmlRelaxNG *schema;
    xmlRelaxNGParserCtxt *rpctxt;

    if (!schema_cache)
        schema_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                             NULL);
    if ((schema = g_hash_table_lookup(schema_cache, schema_path)))
        return schema;

    if (!g_file_test(schema_path, G_FILE_TEST_IS_REGULAR)) {
        g_string_append(errors, _("no such file"));
        return NULL;
    }
    if (!(rpctxt = xmlRelaxNGNewParserCtxt(schema_path)))
        return NULL;
    xmlRelaxNGSetParserStructuredErrors(rpctxt, collectErrorCb, errors);
    /* libxml2 reports some loader problems through the thread's generic
     * error handler, which prints to stderr: collect those too */
    xmlSetGenericErrorFunc(errors, collectGenericError);
    schema = xmlRelaxNGParse(rpctxt);
    xmlSetGenericErrorFunc(NULL, NULL);
    xmlRelaxNGFreeParserCtxt(rpctxt);
    if (schema)
        g_hash_table_insert(schema_cache, g_strdup(schema_path), schema);
    return schema;
}

/**
 * ndXMLValidate:
 * @doc: a parsed document
 * @schema_path: RelaxNG file
 *
 * Returns 0 if valid, -1 with an error reported otherwise.
 */
int
ndXMLValidate(xmlDoc *doc, const char *schema_path)
{
    g_autoptr(GString) errors = g_string_new(NULL);
    xmlRelaxNG *schema;
    xmlRelaxNGValidCtxt *vctxt;
    int rc;

    /* One validation at a time: libxml2 does not promise that a parsed
     * schema may be used by several threads at once, and validating is
     * rare (only with the VALIDATE flag) and fast. */
    g_mutex_lock(&schema_lock);
    schema = schemaGet(schema_path, errors);
    if (!schema) {
        g_mutex_unlock(&schema_lock);
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("unable to load the RelaxNG schema '%1$s': %2$s"),
                      schema_path, errors->len ? errors->str : _("not found"));
        return -1;
    }

    if (!(vctxt = xmlRelaxNGNewValidCtxt(schema))) {
        g_mutex_unlock(&schema_lock);
        ndReportError(ND_ERR_INTERNAL_ERROR,
                      _("unable to create a validator for '%1$s'"), schema_path);
        return -1;
    }
    xmlRelaxNGSetValidStructuredErrors(vctxt, collectErrorCb, errors);
    rc = xmlRelaxNGValidateDoc(vctxt, doc);
    xmlRelaxNGFreeValidCtxt(vctxt);
    g_mutex_unlock(&schema_lock);
    if (rc != 0) {
        ndReportError(ND_ERR_XML_INVALID_SCHEMA,
                      _("Unable to validate doc against %1$s\n%2$s"),
                      schema_path,
                      errors->len ? errors->str : _("document is invalid"));
        return -1;
    }
    return 0;
}

/* ---- XPath -------------------------------------------------------------- */

/**
 * ndXPathString:
 * @xpath: an expression, usually "string(...)"
 * @ctxt: context positioned on the node to evaluate at
 *
 * Returns the string value, or NULL if empty or absent. Caller frees.
 */
char *
ndXPathString(const char *xpath, xmlXPathContext *ctxt)
{
    g_autoptr(xmlXPathObject) obj = NULL;

    obj = xmlXPathEval(BAD_CAST xpath, ctxt);
    if (!obj || obj->type != XPATH_STRING || !obj->stringval ||
        obj->stringval[0] == '\0')
        return NULL;
    return g_strdup((const char *) obj->stringval);
}

/**
 * ndXPathNodes:
 * @xpath: a node-set expression
 * @ctxt: context
 *
 * Returns the matching nodes in document order (caller frees the array).
 */
GPtrArray *
ndXPathNodes(const char *xpath, xmlXPathContext *ctxt)
{
    g_autoptr(xmlXPathObject) obj = NULL;
    GPtrArray *nodes = g_ptr_array_new();
    int i;

    obj = xmlXPathEval(BAD_CAST xpath, ctxt);
    if (!obj || obj->type != XPATH_NODESET || !obj->nodesetval)
        return nodes;
    for (i = 0; i < obj->nodesetval->nodeNr; i++)
        g_ptr_array_add(nodes, obj->nodesetval->nodeTab[i]);
    return nodes;
}

/**
 * ndXPathNode:
 * @xpath: a node-set expression
 * @ctxt: context
 *
 * Returns the first matching node or NULL (borrowed).
 */
xmlNode *
ndXPathNode(const char *xpath, xmlXPathContext *ctxt)
{
    g_autoptr(GPtrArray) nodes = ndXPathNodes(xpath, ctxt);

    if (nodes->len == 0)
        return NULL;
    return g_ptr_array_index(nodes, 0);
}

/**
 * ndXMLPropString:
 * @node: an element
 * @name: attribute name (no namespace)
 *
 * Returns the value ("" if empty) or NULL if absent. Caller frees.
 */
char *
ndXMLPropString(xmlNode *node, const char *name)
{
    xmlChar *val = xmlGetNoNsProp(node, BAD_CAST name);
    char *ret;

    if (!val)
        return NULL;
    ret = g_strdup((const char *) val);
    xmlFree(val);
    return ret;
}

/**
 * ndXMLNodeContent:
 * @node: a node
 *
 * Returns the concatenated text of @node ("" if none). Caller frees.
 */
char *
ndXMLNodeContent(xmlNode *node)
{
    xmlChar *val = xmlNodeGetContent(node);
    char *ret;

    if (!val)
        return g_strdup("");
    ret = g_strdup((const char *) val);
    xmlFree(val);
    return ret;
}

/**
 * ndXMLCountChildren:
 * @node: an element
 * @name: element name
 *
 * Returns how many element children of @node are called @name.
 */
size_t
ndXMLCountChildren(xmlNode *node, const char *name)
{
    xmlNode *cur;
    size_t n = 0;

    for (cur = node->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE &&
            xmlStrEqual(cur->name, BAD_CAST name))
            n++;
    }
    return n;
}

/* ---- numbers ------------------------------------------------------------ */

/**
 * ndParseUInt:
 * @str: text
 * @base: 0, 10 or 16
 * @max: largest accepted value
 * @ret_value: result
 *
 * Returns 0, or -1 (nothing reported) if @str is not a valid number.
 */
int
ndParseUInt(const char *str, int base, unsigned int max,
            unsigned int *ret_value)
{
    g_autofree char *copy = NULL;
    char *end = NULL;
    guint64 val;

    if (!str)
        return -1;
    copy = g_strstrip(g_strdup(str));
    /* strtoull would accept a sign and wrap negative numbers around */
    if (base == 16 ? !g_ascii_isxdigit(copy[0]) : !g_ascii_isdigit(copy[0]))
        return -1;
    errno = 0;
    val = g_ascii_strtoull(copy, &end, base);
    if (errno != 0 || end == copy || *end != '\0' || val > max)
        return -1;
    *ret_value = (unsigned int) val;
    return 0;
}

/**
 * ndParseInt:
 * @str: text, decimal, optional '-'
 * @ret_value: result
 *
 * Returns 0, or -1 (nothing reported).
 */
int
ndParseInt(const char *str, int *ret_value)
{
    g_autofree char *copy = NULL;
    char *end = NULL;
    gint64 val;
    const char *digits;

    if (!str)
        return -1;
    copy = g_strstrip(g_strdup(str));
    digits = copy[0] == '-' ? copy + 1 : copy;
    if (!g_ascii_isdigit(digits[0]))
        return -1;
    errno = 0;
    val = g_ascii_strtoll(copy, &end, 10);
    if (errno != 0 || *end != '\0' || val < G_MININT || val > G_MAXINT)
        return -1;
    *ret_value = (int) val;
    return 0;
}

/* ---- output ------------------------------------------------------------- */

/**
 * ndXMLBufInit:
 * @buf: buffer to set up
 */
void
ndXMLBufInit(ndXMLBuf *buf)
{
    buf->str = g_string_new(NULL);
    buf->indent = 0;
}

/**
 * ndXMLBufFinish:
 * @buf: buffer
 *
 * Returns the accumulated text (caller frees); @buf is emptied.
 */
char *
ndXMLBufFinish(ndXMLBuf *buf)
{
    char *ret = g_string_free(buf->str, FALSE);

    buf->str = NULL;
    buf->indent = 0;
    return ret;
}

/**
 * ndXMLBufAdjustIndent:
 * @buf: buffer
 * @delta: spaces to add (or remove, if negative)
 */
void
ndXMLBufAdjustIndent(ndXMLBuf *buf, int delta)
{
    buf->indent += delta;
    if (buf->indent < 0)
        buf->indent = 0;
}

/* Indent if the next character starts a line, as virBuffer does. */
static void
bufPrepare(ndXMLBuf *buf)
{
    if (buf->indent > 0 &&
        (buf->str->len == 0 || buf->str->str[buf->str->len - 1] == '\n')) {
        int i;

        for (i = 0; i < buf->indent; i++)
            g_string_append_c(buf->str, ' ');
    }
}

/**
 * ndXMLBufAdd:
 * @buf: buffer
 * @text: appended verbatim
 */
void
ndXMLBufAdd(ndXMLBuf *buf, const char *text)
{
    bufPrepare(buf);
    g_string_append(buf->str, text);
}

/**
 * ndXMLBufAsprintf:
 * @buf: buffer
 * @fmt: printf format
 */
void
ndXMLBufAsprintf(ndXMLBuf *buf, const char *fmt, ...)
{
    va_list ap;

    bufPrepare(buf);
    va_start(ap, fmt);
    g_string_append_vprintf(buf->str, fmt, ap);
    va_end(ap);
}

static void
bufEscape(ndXMLBuf *buf, const char *text, gboolean attr)
{
    const unsigned char *cur;

    bufPrepare(buf);
    for (cur = (const unsigned char *) text; *cur; cur++) {
        switch (*cur) {
        case '<':
            g_string_append(buf->str, "&lt;");
            break;
        case '>':
            g_string_append(buf->str, "&gt;");
            break;
        case '&':
            g_string_append(buf->str, "&amp;");
            break;
        case '"':
            g_string_append(buf->str, "&quot;");
            break;
        case '\'':
            g_string_append(buf->str, "&apos;");
            break;
        case '\r':
            /* a raw CR would come back as LF: parsers normalize line ends */
            g_string_append(buf->str, "&#13;");
            break;
        case '\n':
        case '\t':
            /* raw in text; in an attribute a parser would turn them into
             * spaces, so only a character reference keeps them */
            if (attr)
                g_string_append_printf(buf->str, "&#%d;", *cur);
            else
                g_string_append_c(buf->str, *cur);
            break;
        default:
            /* XML 1.0 cannot carry other control characters at all */
            if (*cur >= 0x20)
                g_string_append_c(buf->str, *cur);
            break;
        }
    }
}

/**
 * ndXMLBufAddEscaped:
 * @buf: buffer
 * @text: appended with XML escaping for element content
 */
void
ndXMLBufAddEscaped(ndXMLBuf *buf, const char *text)
{
    bufEscape(buf, text, FALSE);
}

/**
 * ndXMLBufAddEscapedAttr:
 * @buf: buffer
 * @text: appended with XML escaping for a quoted attribute value
 */
void
ndXMLBufAddEscapedAttr(ndXMLBuf *buf, const char *text)
{
    bufEscape(buf, text, TRUE);
}

/**
 * ndXMLBufElement:
 * @buf: buffer
 * @name: element name
 * @value: escaped text content, or NULL to write nothing
 */
void
ndXMLBufElement(ndXMLBuf *buf, const char *name, const char *value)
{
    if (!value)
        return;
    ndXMLBufAsprintf(buf, "<%s>", name);
    ndXMLBufAddEscaped(buf, value);
    g_string_append_printf(buf->str, "</%s>\n", name);
}
