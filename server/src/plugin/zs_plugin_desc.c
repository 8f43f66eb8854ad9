/*
 * zs_plugin_desc.c: reads a service descriptor into a zs_plugin_desc. libxml2 parses
 * the file and validates it against server/schema/service.xsd; one walk of the tree
 * then fills the struct and makes the checks a schema cannot (duplicates, config
 * defaults against type, range and allowed values, migration files on disk).
 *
 * Every libxml2 error is caught, never printed: the parser context and the schema
 * contexts get our structured handler, and for the few errors libxml2 raises without a
 * context, ours is also installed as the thread's handler for the duration of a call and
 * the previous one put back before returning. The first error becomes the message
 * "file:line: what"; the rest are dropped.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "zs_plugin_desc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlversion.h>

#define ZS_NS "urn:zsnode:service:v1"
#define ZS_NS_BRACED "{" ZS_NS "}"
/* Descriptors are small; anything bigger is a mistake, not a service. */
#define ZS_DESC_MAX_BYTES (4 * 1024 * 1024)

/* libxml2 2.12 made the error argument const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *zs_xml_error;
#else
typedef xmlErrorPtr zs_xml_error;
#endif

struct zs_plugin_schema {
	xmlSchemaPtr xsd;
};

/* The first error libxml2 reported while we listened. */
typedef struct xml_errors {
	int count;
	int line;
	char msg[512];
} xml_errors;

/* The thread's libxml2 handlers, saved while ours are installed. */
typedef struct xml_guard {
	xmlStructuredErrorFunc serror;
	void *sctx;
	xmlGenericErrorFunc gerror;
	void *gctx;
} xml_guard;

/* One descriptor being read. */
typedef struct loader {
	const char *path;
	char *err;
	size_t errlen;
	bool failed;          /* err holds the first error */
	int doctype_line;     /* where a refused DOCTYPE stood, 0 when none */
	xml_errors xe;
	zs_plugin_desc *d;
} loader;

/* Reads element e into item index i of the array at base (of the element's type). */
typedef void (*read_fn)(loader *ld, xmlNode *e, void *base, size_t i);

/* ---- errors ---- */

static void put_error(char *err, size_t errlen, const char *path, int line, const char *msg)
{
	if (err == NULL || errlen == 0)
		return;
	if (line > 0)
		snprintf(err, errlen, "%s:%d: %s", path, line, msg);
	else
		snprintf(err, errlen, "%s: %s", path, msg);
}

/* Records the first error of ld as "path:line: message"; returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail(loader *ld, int line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (ld->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	put_error(ld->err, ld->errlen, ld->path, line, msg);
	ld->failed = true;
	return -1;
}

static int oom(loader *ld)
{
	return fail(ld, 0, "out of memory");
}

static int node_line(const xmlNode *n)
{
	long line = xmlGetLineNo(n);

	if (line < 0)
		return 0;
	return line > INT_MAX ? INT_MAX : (int)line;
}

/* Copies a libxml2 message without its namespace braces and line breaks. */
static void copy_message(char *dst, size_t len, const char *src)
{
	const size_t nslen = strlen(ZS_NS_BRACED);
	size_t n = 0;

	if (src == NULL)
		src = "unknown error";
	while (*src != '\0' && n + 1 < len) {
		if (strncmp(src, ZS_NS_BRACED, nslen) == 0) {
			src += nslen;
			continue;
		}
		dst[n++] = (*src == '\n' || *src == '\r' || *src == '\t') ? ' ' : *src;
		src++;
	}
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

/* Structured handler: keeps the first error (warnings are ignored). */
static void on_xml_error(void *data, zs_xml_error e)
{
	xml_errors *xe = data;

	if (e == NULL || e->level < XML_ERR_ERROR || xe->count++ > 0)
		return;
	xe->line = e->line;
	if (xe->line <= 0 && e->node != NULL)
		xe->line = node_line(e->node);
	copy_message(xe->msg, sizeof xe->msg, e->message);
}

/* The parser context passes itself; our loader hangs on its _private. */
static void on_parse_error(void *ctx, zs_xml_error e)
{
	xmlParserCtxtPtr ctxt = ctx;
	loader *ld = ctxt->_private;

	on_xml_error(&ld->xe, e);
}

/* SAX internalSubset: a descriptor needs no DTD nor entities; stop before reading any. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	loader *ld = ctxt->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	ld->doctype_line = ctxt->input != NULL && ctxt->input->line > 0 ? ctxt->input->line : 1;
	xmlStopParser(ctxt);
}

static void drop_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void guard_begin(xml_guard *g, xml_errors *xe)
{
	g->serror = xmlStructuredError;
	g->sctx = xmlStructuredErrorContext;
	g->gerror = xmlGenericError;
	g->gctx = xmlGenericErrorContext;
	xmlSetStructuredErrorFunc(xe, on_xml_error);
	xmlSetGenericErrorFunc(NULL, drop_generic);
}

static void guard_end(const xml_guard *g)
{
	xmlSetStructuredErrorFunc(g->sctx, g->serror);
	xmlSetGenericErrorFunc(g->gctx, g->gerror);
}

/* ---- schema ---- */

static int check_readable(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		put_error(err, errlen, path, 0, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		put_error(err, errlen, path, 0, "not a regular file");
		return -1;
	}
	return 0;
}

static xmlSchemaPtr parse_schema(const char *xsd_path, xml_errors *xe)
{
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(xsd_path);
	xmlSchemaPtr xsd;

	if (pc == NULL)
		return NULL;
	xmlSchemaSetParserStructuredErrors(pc, on_xml_error, xe);
	xsd = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	return xsd;
}

int zs_plugin_schema_load(const char *xsd_path, zs_plugin_schema **out, char *err, size_t errlen)
{
	xml_errors xe = { 0 };
	xml_guard g;
	xmlSchemaPtr xsd;
	char msg[640];

	if (out == NULL || xsd_path == NULL) {
		put_error(err, errlen, xsd_path ? xsd_path : "(null)", 0, "invalid argument");
		return -1;
	}
	*out = NULL;
	if (check_readable(xsd_path, err, errlen) != 0)
		return -1;
	xmlInitParser();
	guard_begin(&g, &xe);
	xsd = parse_schema(xsd_path, &xe);
	guard_end(&g);
	if (xsd == NULL || xe.count > 0) {
		xmlSchemaFree(xsd);
		snprintf(msg, sizeof msg, "invalid schema: %s", xe.count > 0 ? xe.msg : "cannot be compiled");
		put_error(err, errlen, xsd_path, xe.line, msg);
		return -1;
	}
	if ((*out = calloc(1, sizeof **out)) == NULL) {
		xmlSchemaFree(xsd);
		put_error(err, errlen, xsd_path, 0, "out of memory");
		return -1;
	}
	(*out)->xsd = xsd;
	return 0;
}

void zs_plugin_schema_free(zs_plugin_schema *s)
{
	if (s == NULL)
		return;
	xmlSchemaFree(s->xsd);
	free(s);
}

/* ---- parsing and validation ---- */

static int read_file(loader *ld, char **buf, int *len)
{
	FILE *f = fopen(ld->path, "rb");
	struct stat st;
	size_t n;

	if (f == NULL)
		return fail(ld, 0, "cannot open: %s", strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return fail(ld, 0, "not a regular file");
	}
	if (st.st_size > ZS_DESC_MAX_BYTES) {
		fclose(f);
		return fail(ld, 0, "larger than %d bytes", ZS_DESC_MAX_BYTES);
	}
	if ((*buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return oom(ld);
	}
	n = fread(*buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size)
		return fail(ld, 0, "read error");
	*len = (int)n;
	return 0;
}

/* Parses the file: no network, no DOCTYPE (so no DTD and no entities). */
static int parse_file(loader *ld, xmlDocPtr *doc)
{
	xmlParserCtxtPtr ctxt;
	char *buf = NULL;
	int len = 0, wf;

	if (read_file(ld, &buf, &len) != 0) {
		free(buf);
		return -1;
	}
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		free(buf);
		return oom(ld);
	}
	ctxt->_private = ld;
	ctxt->sax->serror = on_parse_error;
	ctxt->sax->internalSubset = on_doctype;
	*doc = xmlCtxtReadMemory(ctxt, buf, len, ld->path, NULL, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	wf = ctxt->wellFormed && ctxt->nsWellFormed;
	xmlFreeParserCtxt(ctxt);
	free(buf);
	if (ld->doctype_line > 0)
		return fail(ld, ld->doctype_line, "a DOCTYPE is not allowed in a service descriptor");
	if (ld->xe.count > 0)
		return fail(ld, ld->xe.line, "not well-formed XML: %s", ld->xe.msg);
	if (*doc == NULL || !wf)
		return fail(ld, 0, "not well-formed XML");
	return 0;
}

static int validate(loader *ld, const zs_plugin_schema *schema, xmlDocPtr doc)
{
	xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema->xsd);
	int rc;

	if (vc == NULL)
		return oom(ld);
	xmlSchemaSetValidStructuredErrors(vc, on_xml_error, &ld->xe);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	if (ld->xe.count > 0)
		return fail(ld, ld->xe.line, "%s", ld->xe.msg);
	if (rc != 0)
		return fail(ld, 0, "schema validation failed (libxml2 error %d)", rc);
	return 0;
}

/* ---- tree access ---- */

static bool is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, ZS_NS) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

/* n or its first following sibling named name, or NULL. */
static xmlNode *find_from(xmlNode *n, const char *name)
{
	for (; n != NULL; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

static xmlNode *child(xmlNode *parent, const char *name)
{
	return find_from(parent->children, name);
}

static xmlNode *sibling(xmlNode *e, const char *name)
{
	return find_from(e->next, name);
}

static size_t count_children(xmlNode *parent, const char *name)
{
	size_t n = 0;

	for (xmlNode *e = child(parent, name); e != NULL; e = sibling(e, name))
		n++;
	return n;
}

static char *dup_str(loader *ld, const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		oom(ld);
	return p;
}

/* The attribute's value (caller owns), NULL when absent. */
static char *attr(loader *ld, xmlNode *e, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(e, BAD_CAST name);
	char *s;

	if (v == NULL)
		return NULL;
	s = dup_str(ld, (const char *)v);
	xmlFree(v);
	return s;
}

/* The schema makes these attributes required; this only guards the walk. */
static char *req_attr(loader *ld, xmlNode *e, const char *name)
{
	char *s = attr(ld, e, name);

	if (s == NULL)
		fail(ld, node_line(e), "element '%s': attribute '%s' is required", (const char *)e->name, name);
	return s;
}

static bool bool_attr(loader *ld, xmlNode *e, const char *name)
{
	char *s = attr(ld, e, name);
	bool v = s != NULL && strcmp(s, "true") == 0;

	free(s);
	return v;
}

/* The element's text (caller owns); with collapse, blanks runs become one space and ends are trimmed. */
static char *text(loader *ld, xmlNode *e, bool collapse)
{
	xmlChar *v = xmlNodeGetContent(e);
	char *s, *w;

	if (v == NULL) {
		oom(ld);
		return NULL;
	}
	s = dup_str(ld, (const char *)v);
	xmlFree(v);
	if (s == NULL || !collapse)
		return s;
	w = s;
	for (const char *r = s; *r != '\0'; r++) {
		if (!isspace((unsigned char)*r))
			*w++ = *r;
		else if (w > s && !isspace((unsigned char)r[1]) && r[1] != '\0')
			*w++ = ' ';
	}
	*w = '\0';
	return s;
}

/* rel against the descriptor's folder; the result always holds a '/' (dlopen needs one). */
static char *resolve(loader *ld, const char *rel)
{
	const char *slash = strrchr(ld->path, '/');
	const char *dir = slash != NULL ? ld->path : ".";
	int dirlen = slash != NULL ? (int)(slash - ld->path) : 1;
	size_t len;
	char *p;

	if (rel[0] == '/')
		return dup_str(ld, rel);
	len = (size_t)dirlen + strlen(rel) + 2;
	if ((p = malloc(len)) == NULL) {
		oom(ld);
		return NULL;
	}
	snprintf(p, len, "%.*s/%s", dirlen, dir, rel);
	return p;
}

/*
 * Reads each <name> child of parent with fn into a new array of items of size bytes;
 * *n gets their number. The array is returned even when fn fails, so that
 * zs_plugin_desc_free frees what was read.
 */
static void *read_list(loader *ld, xmlNode *parent, const char *name, size_t size, size_t *n, read_fn fn)
{
	size_t count = count_children(parent, name), i = 0;
	char *arr;

	*n = 0;
	if (count == 0 || ld->failed)
		return NULL;
	if ((arr = calloc(count, size)) == NULL) {
		oom(ld);
		return NULL;
	}
	*n = count;
	for (xmlNode *e = child(parent, name); e != NULL && !ld->failed; e = sibling(e, name))
		fn(ld, e, arr, i++);
	return arr;
}

/* ---- config values ---- */

static int parse_digits(const char **s, int64_t *out)
{
	int64_t v = 0;
	const char *p = *s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		int digit = *p - '0';

		if (v > (INT64_MAX - digit) / 10)
			return -1;
		v = v * 10 + digit;
	}
	*s = p;
	*out = v;
	return 0;
}

static int scale(int64_t n, int64_t unit, int64_t *out)
{
	if (n > INT64_MAX / unit)
		return -1;
	*out = n * unit;
	return 0;
}

/* -9223372036854775808 to 9223372036854775807, digits only after an optional '-'. */
static int parse_integer(const char *v, int64_t *out)
{
	bool neg = *v == '-';
	uint64_t mag = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	if (neg)
		v++;
	if (!isdigit((unsigned char)*v))
		return -1;
	for (; isdigit((unsigned char)*v); v++) {
		unsigned digit = (unsigned)(*v - '0');

		if (mag > (limit - digit) / 10)
			return -1;
		mag = mag * 10 + digit;
	}
	if (*v != '\0')
		return -1;
	if (!neg)
		*out = (int64_t)mag;
	else
		*out = mag > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)mag;
	return 0;
}

/* 4096, 512K, 512M, 2G, 1T, 1P (powers of 1024), each with an optional B: 512MB. */
static int parse_size(const char *v, int64_t *out)
{
	static const char units[] = "KMGTP";
	const char *u;
	int64_t n, unit = 1;

	if (parse_digits(&v, &n) != 0)
		return -1;
	if (*v != '\0' && (u = strchr(units, toupper((unsigned char)*v))) != NULL) {
		for (const char *k = units; k <= u; k++)
			unit *= 1024;
		v++;
	}
	if (*v == 'B')
		v++;
	return *v == '\0' ? scale(n, unit, out) : -1;
}

/* A number and a unit (ms, s, m, h, d) to milliseconds; "0" may go without unit. */
static int parse_duration(const char *v, int64_t *out)
{
	static const struct { const char *unit; int64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
	};
	int64_t n;

	if (parse_digits(&v, &n) != 0)
		return -1;
	if (*v == '\0' && n == 0) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(v, units[i].unit) == 0)
			return scale(n, units[i].ms, out);
	return -1;
}

static bool is_numeric(const char *type)
{
	return strcmp(type, "integer") == 0 || strcmp(type, "size") == 0 || strcmp(type, "duration") == 0;
}

/* Parses v as a value of a numeric type: an integer as is, a size in bytes, a duration in ms. */
static int parse_number(const char *type, const char *v, int64_t *out)
{
	if (strcmp(type, "integer") == 0)
		return parse_integer(v, out);
	if (strcmp(type, "size") == 0)
		return parse_size(v, out);
	return parse_duration(v, out);
}

static const char *type_hint(const char *type)
{
	if (strcmp(type, "integer") == 0)
		return "a 64-bit integer such as 42 or -1";
	if (strcmp(type, "size") == 0)
		return "a size such as 4096, 512M or 2G";
	if (strcmp(type, "duration") == 0)
		return "a duration such as 100ms, 10s, 5m or 1h";
	return "true or false";
}

/* Parses a range bound of c (which is "min" or "max") at line. */
static int parse_bound(loader *ld, const zs_plugin_configdesc *c, const char *which, const char *v,
    int line, int64_t *out)
{
	if (parse_number(c->type, v, out) == 0)
		return 0;
	return fail(ld, line, "config %s.%s: range %s '%s' is not a valid %s (%s)", c->category, c->name,
	    which, v, c->type, type_hint(c->type));
}

static int check_numeric(loader *ld, const zs_plugin_configdesc *c, int range_line)
{
	int64_t v, min = INT64_MIN, max = INT64_MAX;

	if (parse_number(c->type, c->default_value, &v) != 0)
		return fail(ld, c->line, "config %s.%s: default '%s' is not a valid %s (%s)", c->category,
		    c->name, c->default_value, c->type, type_hint(c->type));
	if (range_line == 0)
		return 0;
	if (c->min == NULL && c->max == NULL)
		return fail(ld, range_line, "config %s.%s: range needs min, max or both", c->category, c->name);
	if ((c->min != NULL && parse_bound(ld, c, "min", c->min, range_line, &min) != 0) ||
	    (c->max != NULL && parse_bound(ld, c, "max", c->max, range_line, &max) != 0))
		return -1;
	if (min > max)
		return fail(ld, range_line, "config %s.%s: range min '%s' is greater than max '%s'", c->category,
		    c->name, c->min, c->max);
	if (v < min || v > max)
		return fail(ld, c->line, "config %s.%s: default '%s' is out of range (min %s, max %s)",
		    c->category, c->name, c->default_value, c->min ? c->min : "none", c->max ? c->max : "none");
	return 0;
}

static int check_allowed(loader *ld, const zs_plugin_configdesc *c)
{
	for (size_t i = 0; i < c->n_allowed; i++)
		if (strcmp(c->allowed[i], c->default_value) == 0)
			return 0;
	return fail(ld, c->line, "config %s.%s: default '%s' is not one of the allowed values", c->category,
	    c->name, c->default_value);
}

/* The default against the type, range (at range_line, 0 when none) and allowed values. */
static int check_config(loader *ld, const zs_plugin_configdesc *c, int range_line)
{
	bool numeric = is_numeric(c->type);

	if (range_line > 0 && !numeric)
		return fail(ld, range_line, "config %s.%s: a range applies only to integer, size and duration configs",
		    c->category, c->name);
	if (c->n_allowed > 0 && strcmp(c->type, "string") != 0)
		return fail(ld, c->line, "config %s.%s: allowed values apply only to string configs", c->category,
		    c->name);
	if (numeric)
		return check_numeric(ld, c, range_line);
	if (strcmp(c->type, "boolean") == 0) {
		if (strcmp(c->default_value, "true") == 0 || strcmp(c->default_value, "false") == 0)
			return 0;
		return fail(ld, c->line, "config %s.%s: default '%s' is not a valid boolean (true or false)",
		    c->category, c->name, c->default_value);
	}
	return c->n_allowed > 0 ? check_allowed(ld, c) : 0;
}

/* ---- elements ---- */

/* Splits a blank-separated list into words (caller owns). */
static char **split_words(loader *ld, const char *s, size_t *n)
{
	size_t count = 0, i = 0;
	char **words;

	*n = 0;
	for (const char *p = s; *p != '\0'; p++)
		if (!isspace((unsigned char)*p) && (p == s || isspace((unsigned char)p[-1])))
			count++;
	if (count == 0)
		return NULL;
	if ((words = calloc(count, sizeof *words)) == NULL) {
		oom(ld);
		return NULL;
	}
	*n = count;
	for (const char *p = s; *p != '\0' && !ld->failed;) {
		size_t len;

		while (isspace((unsigned char)*p))
			p++;
		for (len = 0; p[len] != '\0' && !isspace((unsigned char)p[len]); len++)
			;
		if (len > 0 && (words[i++] = strndup(p, len)) == NULL)
			oom(ld);
		p += len;
	}
	return words;
}

static void read_method(loader *ld, xmlNode *e, void *base, size_t i)
{
	zs_plugin_method *all = base, *m = &all[i];
	char *list;

	m->line = node_line(e);
	if ((m->name = req_attr(ld, e, "name")) == NULL)
		return;
	char *pub = attr(ld, e, "public");
	m->public_method = pub != NULL && (strcmp(pub, "true") == 0 || strcmp(pub, "1") == 0);
	free(pub);
	char *executor = attr(ld, e, "executor");
	m->executor = executor == NULL ? -1 : strcmp(executor, "inline") == 0;
	free(executor);
	if ((list = attr(ld, e, "interceptors")) != NULL) {
		m->interceptors = split_words(ld, list, &m->n_interceptors);
		free(list);
	}
	for (size_t j = 0; j < i; j++)
		if (strcmp(all[j].name, m->name) == 0)
			fail(ld, m->line, "method %s is declared twice in its api (first at line %d)", m->name,
			    all[j].line);
}

static void read_api(loader *ld, xmlNode *e, void *base, size_t i)
{
	zs_plugin_api *all = base, *a = &all[i];

	a->line = node_line(e);
	a->service = req_attr(ld, e, "service");
	a->symbol = req_attr(ld, e, "symbol");
	if (ld->failed)
		return;
	char *executor = attr(ld, e, "executor");
	a->inline_handlers = executor != NULL && strcmp(executor, "inline") == 0;
	free(executor);
	for (size_t j = 0; j < i; j++)
		if (strcmp(all[j].service, a->service) == 0)
			fail(ld, a->line, "api %s is declared twice (first at line %d)", a->service, all[j].line);
	a->methods = read_list(ld, e, "method", sizeof *a->methods, &a->n_methods, read_method);
}

static void read_lifecycle(loader *ld, xmlNode *root)
{
	xmlNode *e = child(root, "lifecycle");

	if (e == NULL || ld->failed)
		return;
	ld->d->lifecycle_line = node_line(e);
	ld->d->start_symbol = attr(ld, e, "start");
	ld->d->stop_symbol = attr(ld, e, "stop");
}

static void read_ext(loader *ld, xmlNode *e, void *base, size_t i)
{
	zs_plugin_extdesc *all = base, *x = &all[i];
	char *order;

	x->line = node_line(e);
	x->point = req_attr(ld, e, "point");
	x->name = req_attr(ld, e, "name");
	x->symbol = req_attr(ld, e, "symbol");
	if ((order = attr(ld, e, "order")) != NULL) {
		x->order = (int)strtol(order, NULL, 10);   /* the schema allows at most 9 digits */
		free(order);
	}
	if (ld->failed)
		return;
	for (size_t j = 0; j < i; j++)
		if (strcmp(all[j].point, x->point) == 0 && strcmp(all[j].name, x->name) == 0)
			fail(ld, x->line, "extension %s/%s is declared twice (first at line %d)", x->point, x->name,
			    all[j].line);
}

static void read_code(loader *ld, xmlNode *e, void *base, size_t i)
{
	zs_plugin_errdesc *all = base, *c = &all[i];
	const char *prefix = ld->d->error_prefix;
	char *id;
	size_t len;

	c->line = node_line(e);
	c->description = req_attr(ld, e, "description");
	if ((id = req_attr(ld, e, "id")) == NULL)
		return;
	len = strlen(prefix) + strlen(id) + 2;
	if ((c->code = malloc(len)) != NULL)
		snprintf(c->code, len, "%s.%s", prefix, id);
	else
		oom(ld);
	free(id);
	if (ld->failed)
		return;
	for (size_t j = 0; j < i; j++)
		if (strcmp(all[j].code, c->code) == 0)
			fail(ld, c->line, "error code %s is declared twice (first at line %d)", c->code, all[j].line);
}

static void read_error_codes(loader *ld, xmlNode *root)
{
	xmlNode *e = child(root, "errorCodes");
	zs_plugin_desc *d = ld->d;

	if (e == NULL || ld->failed)
		return;
	if ((d->error_prefix = req_attr(ld, e, "prefix")) == NULL)
		return;
	d->errors = read_list(ld, e, "code", sizeof *d->errors, &d->n_errors, read_code);
}

static void read_allowed(loader *ld, xmlNode *e, void *base, size_t i)
{
	char **all = base;

	all[i] = text(ld, e, false);
}

static void read_config(loader *ld, xmlNode *e, void *base, size_t i)
{
	zs_plugin_configdesc *all = base, *c = &all[i];
	xmlNode *range = child(e, "range");

	c->line = node_line(e);
	c->category = req_attr(ld, e, "category");
	c->name = req_attr(ld, e, "name");
	c->type = req_attr(ld, e, "type");
	c->default_value = req_attr(ld, e, "default");
	c->description = req_attr(ld, e, "description");
	c->resource_override = bool_attr(ld, e, "resourceOverride");
	if (range != NULL) {
		c->min = attr(ld, range, "min");
		c->max = attr(ld, range, "max");
	}
	c->allowed = read_list(ld, e, "allowed", sizeof *c->allowed, &c->n_allowed, read_allowed);
	if (ld->failed)
		return;
	for (size_t j = 0; j < i; j++)
		if (strcmp(all[j].category, c->category) == 0 && strcmp(all[j].name, c->name) == 0) {
			fail(ld, c->line, "config %s.%s is declared twice (first at line %d)", c->category, c->name,
			    all[j].line);
			return;
		}
	check_config(ld, c, range != NULL ? node_line(range) : 0);
}

static void read_prop(loader *ld, xmlNode *e, void *base, size_t i)
{
	zs_plugin_propdesc *all = base, *p = &all[i];

	p->line = node_line(e);
	p->name = req_attr(ld, e, "name");
	p->default_value = attr(ld, e, "default");
	p->description = attr(ld, e, "description");
	p->required = bool_attr(ld, e, "required");
	p->secret = bool_attr(ld, e, "secret");
	if (ld->failed)
		return;
	for (size_t j = 0; j < i; j++)
		if (strcmp(all[j].name, p->name) == 0)
			fail(ld, p->line, "property %s is declared twice (first at line %d)", p->name, all[j].line);
}

static void read_tag(loader *ld, xmlNode *e, void *base, size_t i)
{
	zs_plugin_tagdesc *all = base, *t = &all[i];

	t->line = node_line(e);
	t->resource_type = req_attr(ld, e, "resourceType");
	t->pattern = req_attr(ld, e, "pattern");
	t->description = attr(ld, e, "description");
}

static void read_migration(loader *ld, xmlNode *e, void *base, size_t i)
{
	zs_plugin_migdesc *all = base, *m = &all[i];
	struct stat st;
	char *file;

	m->line = node_line(e);
	if ((file = req_attr(ld, e, "file")) == NULL)
		return;
	if ((m->path = resolve(ld, file)) != NULL) {
		if (stat(m->path, &st) != 0)
			fail(ld, m->line, "migration file '%s' does not exist (%s: %s)", file, m->path, strerror(errno));
		else if (!S_ISREG(st.st_mode))
			fail(ld, m->line, "migration file '%s' is not a regular file (%s)", file, m->path);
	}
	free(file);
}

static void read_library(loader *ld, xmlNode *root)
{
	char *lib = req_attr(ld, root, "library");

	if (lib != NULL)
		ld->d->library = resolve(ld, lib);
	free(lib);
}

static void read_description(loader *ld, xmlNode *root)
{
	xmlNode *e = child(root, "description");

	if (e != NULL && !ld->failed)
		ld->d->description = text(ld, e, true);
}

/* Walks the validated tree in schema order into a new ld->d. */
static int build(loader *ld, xmlNode *root)
{
	zs_plugin_desc *d;

	if (root == NULL)
		return fail(ld, 0, "no root element");
	if ((d = ld->d = calloc(1, sizeof *d)) == NULL)
		return oom(ld);
	d->path = dup_str(ld, ld->path);
	d->id = req_attr(ld, root, "id");
	read_library(ld, root);
	read_description(ld, root);
	d->apis = read_list(ld, root, "api", sizeof *d->apis, &d->n_apis, read_api);
	read_lifecycle(ld, root);
	d->exts = read_list(ld, root, "extension", sizeof *d->exts, &d->n_exts, read_ext);
	read_error_codes(ld, root);
	d->configs = read_list(ld, root, "globalConfig", sizeof *d->configs, &d->n_configs, read_config);
	d->props = read_list(ld, root, "property", sizeof *d->props, &d->n_props, read_prop);
	d->tags = read_list(ld, root, "systemTag", sizeof *d->tags, &d->n_tags, read_tag);
	d->migrations = read_list(ld, root, "migration", sizeof *d->migrations, &d->n_migrations, read_migration);
	return ld->failed ? -1 : 0;
}

int zs_plugin_desc_load(const zs_plugin_schema *schema, const char *path, zs_plugin_desc **out,
    char *err, size_t errlen)
{
	loader ld = { .path = path, .err = err, .errlen = errlen };
	xmlDocPtr doc = NULL;
	xml_guard g;

	if (schema == NULL || path == NULL || out == NULL) {
		put_error(err, errlen, path != NULL ? path : "(null)", 0, "invalid argument");
		return -1;
	}
	*out = NULL;
	guard_begin(&g, &ld.xe);
	if (parse_file(&ld, &doc) == 0 && validate(&ld, schema, doc) == 0)
		build(&ld, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	guard_end(&g);
	if (!ld.failed && ld.xe.count > 0)
		fail(&ld, ld.xe.line, "%s", ld.xe.msg);
	if (ld.failed) {
		zs_plugin_desc_free(ld.d);
		return -1;
	}
	*out = ld.d;
	return 0;
}

/* ---- freeing ---- */

static void free_words(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_api(zs_plugin_api *a)
{
	for (size_t i = 0; i < a->n_methods; i++) {
		free(a->methods[i].name);
		free_words(a->methods[i].interceptors, a->methods[i].n_interceptors);
	}
	free(a->methods);
	free(a->service);
	free(a->symbol);
}

static void free_config(zs_plugin_configdesc *c)
{
	free(c->category);
	free(c->name);
	free(c->type);
	free(c->default_value);
	free(c->description);
	free(c->min);
	free(c->max);
	free_words(c->allowed, c->n_allowed);
}

static void free_lists(zs_plugin_desc *d)
{
	for (size_t i = 0; i < d->n_exts; i++) {
		free(d->exts[i].point);
		free(d->exts[i].name);
		free(d->exts[i].symbol);
	}
	for (size_t i = 0; i < d->n_errors; i++) {
		free(d->errors[i].code);
		free(d->errors[i].description);
	}
	for (size_t i = 0; i < d->n_props; i++) {
		free(d->props[i].name);
		free(d->props[i].default_value);
		free(d->props[i].description);
	}
	for (size_t i = 0; i < d->n_tags; i++) {
		free(d->tags[i].resource_type);
		free(d->tags[i].pattern);
		free(d->tags[i].description);
	}
	for (size_t i = 0; i < d->n_migrations; i++)
		free(d->migrations[i].path);
}

void zs_plugin_desc_free(zs_plugin_desc *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n_apis; i++)
		free_api(&d->apis[i]);
	for (size_t i = 0; i < d->n_configs; i++)
		free_config(&d->configs[i]);
	free_lists(d);
	free(d->apis);
	free(d->exts);
	free(d->errors);
	free(d->configs);
	free(d->props);
	free(d->tags);
	free(d->migrations);
	free(d->path);
	free(d->id);
	free(d->description);
	free(d->library);
	free(d->start_symbol);
	free(d->stop_symbol);
	free(d->error_prefix);
	free(d);
}
