/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mdevctl's JSON definitions: parse with json-glib, format as mdevctl does. */
#include <string.h>

#include <json-glib/json-glib.h>

#include "node_device_mdevctl.h"
#include "util/nderror.h"
#include "util/ndinternal.h"

static void
mdevctlAttrFree(gpointer opaque)
{
    ndMdevctlAttr *attr = opaque;

    if (!attr)
        return;
    g_free(attr->name);
    g_free(attr->value);
    g_free(attr);
}

/**
 * ndMdevctlDefNew:
 * @parent: the parent's name under class/mdev_bus (copied)
 * @uuid: the device's UUID (copied, lower-cased)
 * @type: the mdev type id (copied)
 *
 * Returns a new manual-start definition without attributes.
 */
ndMdevctlDef *
ndMdevctlDefNew(const char *parent, const char *uuid, const char *type)
{
    ndMdevctlDef *def = g_new0(ndMdevctlDef, 1);

    def->parent = g_strdup(parent);
    def->uuid = uuid ? g_ascii_strdown(uuid, -1) : NULL;
    def->type = g_strdup(type);
    def->attrs = g_ptr_array_new_with_free_func(mdevctlAttrFree);
    return def;
}

/**
 * ndMdevctlDefFree: frees @def (NULL is fine).
 */
void
ndMdevctlDefFree(ndMdevctlDef *def)
{
    if (!def)
        return;
    g_free(def->parent);
    g_free(def->uuid);
    g_free(def->type);
    g_clear_pointer(&def->attrs, g_ptr_array_unref);
    g_free(def);
}

/**
 * ndMdevctlDefAddAttr: appends the attribute @name = @value (both copied).
 */
void
ndMdevctlDefAddAttr(ndMdevctlDef *def, const char *name, const char *value)
{
    ndMdevctlAttr *attr = g_new0(ndMdevctlAttr, 1);

    attr->name = g_strdup(name);
    attr->value = g_strdup(value);
    g_ptr_array_add(def->attrs, attr);
}

/**
 * ndMdevctlDefCopy: returns a deep copy of @def.
 */
ndMdevctlDef *
ndMdevctlDefCopy(const ndMdevctlDef *def)
{
    ndMdevctlDef *copy = ndMdevctlDefNew(def->parent, def->uuid, def->type);
    guint i;

    copy->autostart = def->autostart;
    for (i = 0; i < def->attrs->len; i++) {
        const ndMdevctlAttr *attr = g_ptr_array_index(def->attrs, i);

        ndMdevctlDefAddAttr(copy, attr->name, attr->value);
    }
    return copy;
}

/**
 * ndMdevctlDefEqual: TRUE when @a and @b describe the same definition
 * (parent, uuid, type, start and the attributes in order).
 */
gboolean
ndMdevctlDefEqual(const ndMdevctlDef *a, const ndMdevctlDef *b)
{
    guint i;

    if (g_strcmp0(a->parent, b->parent) != 0 ||
        g_strcmp0(a->uuid, b->uuid) != 0 ||
        g_strcmp0(a->type, b->type) != 0 ||
        a->autostart != b->autostart ||
        a->attrs->len != b->attrs->len)
        return FALSE;
    for (i = 0; i < a->attrs->len; i++) {
        const ndMdevctlAttr *x = g_ptr_array_index(a->attrs, i);
        const ndMdevctlAttr *y = g_ptr_array_index(b->attrs, i);

        if (strcmp(x->name, y->name) != 0 || strcmp(x->value, y->value) != 0)
            return FALSE;
    }
    return TRUE;
}

/**
 * ndMdevctlUUIDIsValid: TRUE if @str is a hyphenated 8-4-4-4-12 UUID
 * (either case), the only form mdevctl uses for file names.
 */
gboolean
ndMdevctlUUIDIsValid(const char *str)
{
    size_t i;

    if (!str || strlen(str) != 36)
        return FALSE;
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (str[i] != '-')
                return FALSE;
        } else if (!g_ascii_isxdigit(str[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

/**
 * ndMdevctlParentIsValid: TRUE if @str can be a parent directory name:
 * non-empty, no '/', not "." or "..", not mdevctl's "scripts.d", printable
 * ASCII only.
 */
gboolean
ndMdevctlParentIsValid(const char *str)
{
    const char *p;

    if (!str || !*str || strlen(str) > 255)
        return FALSE;
    if (strcmp(str, ".") == 0 || strcmp(str, "..") == 0 ||
        strcmp(str, "scripts.d") == 0)
        return FALSE;
    for (p = str; *p; p++) {
        if (*p == '/' || !g_ascii_isgraph(*p))
            return FALSE;
    }
    return TRUE;
}

/* json-glib accepts escapes JSON does not have (e.g. octal "\\3") that can
 * decode to invalid UTF-8: a string we keep must be valid UTF-8. */
static gboolean
mdevctlStringIsValid(JsonNode *node)
{
    const char *str;

    if (json_node_get_value_type(node) != G_TYPE_STRING)
        return FALSE;
    str = json_node_get_string(node);
    return str && g_utf8_validate(str, -1, NULL);
}

static int
mdevctlParseBody(JsonNode *node, const char *parent, const char *uuid,
                 ndMdevctlDef **ret_def)
{
    g_autoptr(ndMdevctlDef) def = NULL;
    g_autofree char *where = g_strdup_printf("%s/%s", parent, uuid);
    JsonObject *obj;
    JsonNode *member;
    JsonArray *attrs;
    guint i;

    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("mdevctl definition '%1$s' is not a JSON object"),
                      where);
        return -1;
    }
    obj = json_node_get_object(node);

    member = json_object_get_member(obj, "mdev_type");
    if (!member || !mdevctlStringIsValid(member)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("mdevctl definition '%1$s' has no 'mdev_type' string"),
                      where);
        return -1;
    }
    def = ndMdevctlDefNew(parent, uuid, json_node_get_string(member));
    if (!*def->type) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("mdevctl definition '%1$s' has an empty 'mdev_type'"),
                      where);
        return -1;
    }

    member = json_object_get_member(obj, "start");
    if (!member || json_node_get_value_type(member) != G_TYPE_STRING) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("mdevctl definition '%1$s' has no 'start' string"),
                      where);
        return -1;
    }
    /* mdevctl: "auto" starts with the parent, anything else is manual */
    def->autostart = g_str_equal(json_node_get_string(member), "auto");

    member = json_object_get_member(obj, "attrs");
    if (!member || JSON_NODE_HOLDS_NULL(member)) {
        *ret_def = g_steal_pointer(&def);
        return 0;
    }
    if (!JSON_NODE_HOLDS_ARRAY(member)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("mdevctl definition '%1$s' has 'attrs' that is not a list"),
                      where);
        return -1;
    }
    attrs = json_node_get_array(member);
    if (json_array_get_length(attrs) > ND_MDEVCTL_MAX_ATTRS) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("mdevctl definition '%1$s' has more than %2$d attributes"),
                      where, ND_MDEVCTL_MAX_ATTRS);
        return -1;
    }
    for (i = 0; i < json_array_get_length(attrs); i++) {
        JsonNode *item = json_array_get_element(attrs, i);
        JsonObject *aobj;
        JsonNode *value;
        g_autoptr(GList) names = NULL;

        if (!JSON_NODE_HOLDS_OBJECT(item) ||
            json_object_get_size(json_node_get_object(item)) != 1) {
            ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                          _("mdevctl definition '%1$s' has an attribute that is not a one-key object"),
                          where);
            return -1;
        }
        aobj = json_node_get_object(item);
        names = json_object_get_members(aobj);
        value = json_object_get_member(aobj, names->data);
        /* mdevctl 1.2 crashes on non-string values: never accept them */
        if (!mdevctlStringIsValid(value) ||
            !g_utf8_validate(names->data, -1, NULL)) {
            ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                          _("mdevctl definition '%1$s' has a non-string value for attribute '%2$s'"),
                          where, (const char *) names->data);
            return -1;
        }
        ndMdevctlDefAddAttr(def, names->data, json_node_get_string(value));
    }

    *ret_def = g_steal_pointer(&def);
    return 0;
}

/* Strict JSON (RFC 8259), as mdevctl's serde_json reads it, checked before
 * json-glib sees the data: json-glib 1.6 is lenient (comments, bad
 * escapes, a second top-level value as in "{...}{...}" or "1[]") and
 * leaks the first value when a second follows.  Each function moves *@i
 * past what it read, or to where the data stops being JSON. */
#define MDEVCTL_JSON_MAX_DEPTH 128

static void
jsonSkipSpace(const char *s, gsize len, gsize *i)
{
    while (*i < len && strchr(" \t\n\r", s[*i]))
        (*i)++;
}

/* The four hex digits after s[at] ('u'), as a UTF-16 code unit. */
static gboolean
jsonHex4(const char *s, gsize len, gsize at, guint *ret_unit)
{
    guint unit = 0;
    int k;

    for (k = 1; k <= 4; k++) {
        if (at + k >= len || !g_ascii_isxdigit(s[at + k]))
            return FALSE;
        unit = unit * 16 + g_ascii_xdigit_value(s[at + k]);
    }
    *ret_unit = unit;
    return TRUE;
}

/* A string, escapes included. A \u escape of a UTF-16 surrogate must be
 * a high one followed by a low one: mdevctl (serde_json) refuses a lone
 * surrogate, and json-glib 1.6 leaks two GStrings on one. */
static gboolean
jsonString(const char *s, gsize len, gsize *i)
{
    for ((*i)++; *i < len; (*i)++) {
        unsigned char c = s[*i];

        if (c == '"') {
            (*i)++;
            return TRUE;
        }
        if (c < 0x20)
            return FALSE;
        if (c != '\\')
            continue;
        if (++(*i) >= len)
            return FALSE;
        if (s[*i] == 'u') {
            guint unit;
            guint low;

            if (!jsonHex4(s, len, *i, &unit))
                return FALSE;
            *i += 4;
            if (unit >= 0xDC00 && unit <= 0xDFFF)
                return FALSE;
            if (unit >= 0xD800 && unit <= 0xDBFF) {
                if (*i + 2 >= len || s[*i + 1] != '\\' || s[*i + 2] != 'u' ||
                    !jsonHex4(s, len, *i + 2, &low) ||
                    low < 0xDC00 || low > 0xDFFF)
                    return FALSE;
                *i += 6;
            }
        } else if (!strchr("\"\\/bfnrt", s[*i])) {
            return FALSE;
        }
    }
    return FALSE;
}

static gboolean
jsonDigits(const char *s, gsize len, gsize *i)
{
    if (*i >= len || !g_ascii_isdigit(s[*i]))
        return FALSE;
    while (*i < len && g_ascii_isdigit(s[*i]))
        (*i)++;
    return TRUE;
}

static gboolean
jsonNumber(const char *s, gsize len, gsize *i)
{
    if (*i < len && s[*i] == '-')
        (*i)++;
    if (*i < len && s[*i] == '0')
        (*i)++;
    else if (!jsonDigits(s, len, i))
        return FALSE;
    if (*i < len && s[*i] == '.') {
        (*i)++;
        if (!jsonDigits(s, len, i))
            return FALSE;
    }
    if (*i < len && (s[*i] == 'e' || s[*i] == 'E')) {
        (*i)++;
        if (*i < len && (s[*i] == '+' || s[*i] == '-'))
            (*i)++;
        if (!jsonDigits(s, len, i))
            return FALSE;
    }
    return TRUE;
}

static gboolean
jsonValue(const char *s, gsize len, gsize *i, int depth)
{
    const char *const literals[] = { "true", "false", "null" };
    char close;
    size_t k;

    jsonSkipSpace(s, len, i);
    if (*i >= len || depth > MDEVCTL_JSON_MAX_DEPTH)
        return FALSE;
    if (s[*i] == '"')
        return jsonString(s, len, i);
    for (k = 0; k < G_N_ELEMENTS(literals); k++) {
        size_t n = strlen(literals[k]);

        if (s[*i] == literals[k][0]) {
            if (len - *i < n || strncmp(s + *i, literals[k], n) != 0)
                return FALSE;
            *i += n;
            return TRUE;
        }
    }
    if (s[*i] != '{' && s[*i] != '[')
        return jsonNumber(s, len, i);

    close = s[*i] == '{' ? '}' : ']';
    (*i)++;
    jsonSkipSpace(s, len, i);
    if (*i < len && s[*i] == close) {
        (*i)++;
        return TRUE;
    }
    for (;;) {
        if (close == '}') {
            jsonSkipSpace(s, len, i);
            if (*i >= len || s[*i] != '"' || !jsonString(s, len, i))
                return FALSE;
            jsonSkipSpace(s, len, i);
            if (*i >= len || s[*i] != ':')
                return FALSE;
            (*i)++;
        }
        if (!jsonValue(s, len, i, depth + 1))
            return FALSE;
        jsonSkipSpace(s, len, i);
        if (*i >= len)
            return FALSE;
        if (s[*i] == close) {
            (*i)++;
            return TRUE;
        }
        if (s[*i] != ',')
            return FALSE;
        (*i)++;
    }
}

/* Sets *ret_root to the document, or to NULL for empty input. */
static int
mdevctlParseJSON(const char *json, gssize len, const char *where,
                 JsonNode **ret_root)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) gerr = NULL;
    JsonNode *root;
    gsize pos = 0;

    if (len < 0)
        len = strlen(json);
    if (len > ND_MDEVCTL_MAX_FILE_SIZE) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("mdevctl data '%1$s' is larger than %2$d bytes"),
                      where, ND_MDEVCTL_MAX_FILE_SIZE);
        return -1;
    }
    /* json-glib stops at an embedded NUL; mdevctl would refuse it */
    if (memchr(json, '\0', len)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("invalid JSON in mdevctl data '%1$s': embedded NUL byte"),
                      where);
        return -1;
    }
    /* mdevctl (serde_json) only reads UTF-8, and neither do we */
    if (!g_utf8_validate(json, len, NULL)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("invalid JSON in mdevctl data '%1$s': not valid UTF-8"),
                      where);
        return -1;
    }
    jsonSkipSpace(json, len, &pos);
    if (pos < (gsize) len) {
        if (!jsonValue(json, len, &pos, 0)) {
            ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                          _("invalid JSON in mdevctl data '%1$s': not valid at byte %2$zu"),
                          where, pos);
            return -1;
        }
        jsonSkipSpace(json, len, &pos);
        if (pos < (gsize) len) {
            ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                          _("invalid JSON in mdevctl data '%1$s': data after the top-level value"),
                          where);
            return -1;
        }
    }
    if (!json_parser_load_from_data(parser, json, len, &gerr)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("invalid JSON in mdevctl data '%1$s': %2$s"),
                      where, gerr->message);
        return -1;
    }
    root = json_parser_get_root(parser);
    *ret_root = root ? json_node_copy(root) : NULL;
    return 0;
}

/**
 * ndMdevctlDefParse:
 * @parent: the directory name the file was found in
 * @uuid: the file's name
 * @json: its content, @len bytes (or NUL-terminated if @len < 0)
 * @ret_def: set to the new definition on success
 *
 * Parses one mdevctl definition file. Unknown keys are ignored, as mdevctl
 * does; a missing or non-string "mdev_type"/"start", "attrs" not being a
 * list of one-key objects with string values, a bad @uuid or @parent name,
 * or invalid JSON give ND_ERR_CONFIG_UNSUPPORTED.
 * Returns 0 or -1 with an error reported.
 */
int
ndMdevctlDefParse(const char *parent, const char *uuid,
                  const char *json, gssize len, ndMdevctlDef **ret_def)
{
    g_autofree char *where = g_strdup_printf("%s/%s", parent, uuid);
    g_autoptr(JsonNode) root = NULL;

    if (!ndMdevctlParentIsValid(parent)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("invalid parent name '%1$s' for an mdevctl definition"),
                      parent);
        return -1;
    }
    if (!ndMdevctlUUIDIsValid(uuid)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("invalid UUID '%1$s' for an mdevctl definition"), uuid);
        return -1;
    }
    if (mdevctlParseJSON(json, len, where, &root) < 0)
        return -1;
    if (!root) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("mdevctl definition '%1$s' is empty"), where);
        return -1;
    }
    return mdevctlParseBody(root, parent, uuid, ret_def);
}

/* JSON string escaping exactly as serde_json does it: '"', '\\' and the
 * C0 controls are escaped (short forms for \b \f \n \r \t, else \u00xx),
 * everything else, including '/' and non-ASCII UTF-8, is copied. */
static void
mdevctlAppendString(GString *buf, const char *str)
{
    const unsigned char *p;

    g_string_append_c(buf, '"');
    for (p = (const unsigned char *) str; *p; p++) {
        switch (*p) {
        case '"':
            g_string_append(buf, "\\\"");
            break;
        case '\\':
            g_string_append(buf, "\\\\");
            break;
        case '\b':
            g_string_append(buf, "\\b");
            break;
        case '\f':
            g_string_append(buf, "\\f");
            break;
        case '\n':
            g_string_append(buf, "\\n");
            break;
        case '\r':
            g_string_append(buf, "\\r");
            break;
        case '\t':
            g_string_append(buf, "\\t");
            break;
        default:
            if (*p < 0x20)
                g_string_append_printf(buf, "\\u%04x", *p);
            else
                g_string_append_c(buf, *p);
            break;
        }
    }
    g_string_append_c(buf, '"');
}

static void
mdevctlIndent(GString *buf, int level)
{
    int i;

    for (i = 0; i < level; i++)
        g_string_append(buf, "  ");
}

/* The body object {"mdev_type", "start", "attrs"} at indent @level. */
static void
mdevctlFormatBody(GString *buf, const ndMdevctlDef *def, int level)
{
    guint i;

    g_string_append(buf, "{\n");
    mdevctlIndent(buf, level + 1);
    g_string_append(buf, "\"mdev_type\": ");
    mdevctlAppendString(buf, def->type);
    g_string_append(buf, ",\n");
    mdevctlIndent(buf, level + 1);
    g_string_append(buf, "\"start\": ");
    mdevctlAppendString(buf, def->autostart ? "auto" : "manual");
    g_string_append(buf, ",\n");
    mdevctlIndent(buf, level + 1);
    g_string_append(buf, "\"attrs\": [");
    for (i = 0; i < def->attrs->len; i++) {
        const ndMdevctlAttr *attr = g_ptr_array_index(def->attrs, i);

        g_string_append(buf, i == 0 ? "\n" : ",\n");
        mdevctlIndent(buf, level + 2);
        g_string_append(buf, "{\n");
        mdevctlIndent(buf, level + 3);
        mdevctlAppendString(buf, attr->name);
        g_string_append(buf, ": ");
        mdevctlAppendString(buf, attr->value);
        g_string_append_c(buf, '\n');
        mdevctlIndent(buf, level + 2);
        g_string_append_c(buf, '}');
    }
    if (def->attrs->len > 0) {
        g_string_append_c(buf, '\n');
        mdevctlIndent(buf, level + 1);
    }
    g_string_append(buf, "]\n");
    mdevctlIndent(buf, level);
    g_string_append_c(buf, '}');
}

/**
 * ndMdevctlDefFormat: returns the content of @def's definition file, byte
 * for byte what mdevctl 1.2 writes (no trailing newline). Caller frees.
 */
char *
ndMdevctlDefFormat(const ndMdevctlDef *def)
{
    GString *buf = g_string_new(NULL);

    mdevctlFormatBody(buf, def, 0);
    return g_string_free(buf, FALSE);
}

/**
 * ndMdevctlListParse:
 * @json: `mdevctl list --dumpjson` output, @len bytes (or NUL-terminated)
 * @ret_defs: set to a new array of ndMdevctlDef * (owning) on success
 *
 * Parses `[ { "<parent>": [ { "<uuid>": {...} }, ... ] }, ... ]`. Empty or
 * blank input is an empty list (mdevctl prints nothing in some versions).
 * Returns 0 or -1 with ND_ERR_CONFIG_UNSUPPORTED reported.
 */
int
ndMdevctlListParse(const char *json, gssize len, GPtrArray **ret_defs)
{
    g_autoptr(GPtrArray) defs =
        g_ptr_array_new_with_free_func((GDestroyNotify) ndMdevctlDefFree);
    g_autoptr(JsonNode) root = NULL;
    JsonArray *groups;
    guint i;

    if (len < 0)
        len = strlen(json);
    if (mdevctlParseJSON(json, len, "list", &root) < 0)
        return -1;
    if (!root) {
        *ret_defs = g_steal_pointer(&defs);
        return 0;
    }
    if (!JSON_NODE_HOLDS_ARRAY(root)) {
        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                      _("mdevctl device list is not a JSON array"));
        return -1;
    }
    groups = json_node_get_array(root);
    for (i = 0; i < json_array_get_length(groups); i++) {
        JsonNode *gnode = json_array_get_element(groups, i);
        g_autoptr(GList) parents = NULL;
        GList *p;

        if (!JSON_NODE_HOLDS_OBJECT(gnode)) {
            ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                          _("mdevctl device list entry %1$u is not an object"),
                          i);
            return -1;
        }
        parents = json_object_get_members(json_node_get_object(gnode));
        for (p = parents; p; p = p->next) {
            const char *parent = p->data;
            JsonNode *dnode = json_object_get_member(json_node_get_object(gnode),
                                                     parent);
            JsonArray *devs;
            guint j;

            if (!JSON_NODE_HOLDS_ARRAY(dnode)) {
                ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                              _("mdevctl device list for parent '%1$s' is not an array"),
                              parent);
                return -1;
            }
            if (!ndMdevctlParentIsValid(parent)) {
                ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                              _("invalid parent name '%1$s' for an mdevctl definition"),
                              parent);
                return -1;
            }
            devs = json_node_get_array(dnode);
            for (j = 0; j < json_array_get_length(devs); j++) {
                JsonNode *unode = json_array_get_element(devs, j);
                g_autoptr(GList) uuids = NULL;
                GList *u;

                if (!JSON_NODE_HOLDS_OBJECT(unode)) {
                    ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                                  _("mdevctl device list for parent '%1$s' has an entry that is not an object"),
                                  parent);
                    return -1;
                }
                uuids = json_object_get_members(json_node_get_object(unode));
                for (u = uuids; u; u = u->next) {
                    JsonNode *body = json_object_get_member(json_node_get_object(unode),
                                                            u->data);
                    ndMdevctlDef *def = NULL;

                    if (!ndMdevctlUUIDIsValid(u->data)) {
                        ndReportError(ND_ERR_CONFIG_UNSUPPORTED,
                                      _("invalid UUID '%1$s' for an mdevctl definition"),
                                      (const char *) u->data);
                        return -1;
                    }
                    if (mdevctlParseBody(body, parent, u->data, &def) < 0)
                        return -1;
                    g_ptr_array_add(defs, def);
                }
            }
        }
    }

    *ret_defs = g_steal_pointer(&defs);
    return 0;
}

/**
 * ndMdevctlListFormat: formats @defs (ndMdevctlDef *) as
 * `mdevctl list --dumpjson` does: one object per parent, in the order of
 * each parent's first appearance, its devices in array order; "[]" when
 * empty. Caller frees.
 */
char *
ndMdevctlListFormat(GPtrArray *defs)
{
    GString *buf = g_string_new(NULL);
    g_autoptr(GPtrArray) parents = g_ptr_array_new();
    guint i;
    guint j;

    for (i = 0; i < defs->len; i++) {
        const ndMdevctlDef *def = g_ptr_array_index(defs, i);

        if (!g_ptr_array_find_with_equal_func(parents, def->parent,
                                              g_str_equal, NULL))
            g_ptr_array_add(parents, def->parent);
    }
    if (parents->len == 0) {
        g_string_append(buf, "[]");
        return g_string_free(buf, FALSE);
    }

    g_string_append(buf, "[\n  {\n");
    for (i = 0; i < parents->len; i++) {
        const char *parent = g_ptr_array_index(parents, i);
        gboolean first = TRUE;

        mdevctlIndent(buf, 2);
        mdevctlAppendString(buf, parent);
        g_string_append(buf, ": [");
        for (j = 0; j < defs->len; j++) {
            const ndMdevctlDef *def = g_ptr_array_index(defs, j);

            if (!g_str_equal(def->parent, parent))
                continue;
            g_string_append(buf, first ? "\n" : ",\n");
            first = FALSE;
            mdevctlIndent(buf, 3);
            g_string_append(buf, "{\n");
            mdevctlIndent(buf, 4);
            mdevctlAppendString(buf, def->uuid);
            g_string_append(buf, ": ");
            mdevctlFormatBody(buf, def, 4);
            g_string_append_c(buf, '\n');
            mdevctlIndent(buf, 3);
            g_string_append_c(buf, '}');
        }
        g_string_append_c(buf, '\n');
        mdevctlIndent(buf, 2);
        g_string_append_c(buf, ']');
        g_string_append(buf, i + 1 < parents->len ? ",\n" : "\n");
    }
    g_string_append(buf, "  }\n]");
    return g_string_free(buf, FALSE);
}
