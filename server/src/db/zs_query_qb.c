/*
 * zs_query_qb.c: the query builder's primitives: appending the program's own SQL text,
 * a value as a new $n parameter, the first failure, a field's column, and
 * the refusal of an unknown field that lists the valid ones.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs_query_impl.h"

void
qb_put(qb *b, const char *text)
{
	if (b->code != 0)
		return;
	size_t n = strlen(text);
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 512;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *sql = realloc(b->sql, cap);
		if (sql == NULL) {
			qb_fail(b, ZS_RESOURCE_EXHAUSTED, "out of memory building a query");
			return;
		}
		b->sql = sql;
		b->cap = cap;
	}
	memcpy(b->sql + b->len, text, n + 1);
	b->len += n;
}

void
qb_param(qb *b, const char *value, const char *cast)
{
	if (b->code != 0)
		return;
	if (b->n == b->cap_params) {
		int cap = b->cap_params ? b->cap_params * 2 : 16;
		const char **p = realloc(b->params, (size_t) cap * sizeof *p);
		if (p == NULL) {
			qb_fail(b, ZS_RESOURCE_EXHAUSTED, "out of memory building a query");
			return;
		}
		b->params = p;
		b->cap_params = cap;
	}
	b->params[b->n++] = value;
	char ref[16];
	snprintf(ref, sizeof ref, "$%d", b->n);
	qb_put(b, ref);
	if (cast != NULL)
		qb_put(b, cast);
}

void
qb_fail(qb *b, int code, const char *fmt, ...)
{
	if (b->code != 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	b->err = zs_status_newv(code, NULL, fmt, ap);
	va_end(ap);
	b->code = code;
}

/* Writes the names of t's fields (own ones only, or all) into out. */
static void
build_names(const zs_query_table *t, bool own_only, char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < t->n_fields && used < len; i++)
		if (!own_only || t->fields[i].exists == NULL)
			used += (size_t) snprintf(out + used, len - used, "%s%s", used ? ", " : "",
			    t->fields[i].name);
}

/* Fails for an unknown field name, listing the valid ones. */
void
qb_unknown(qb *b, const zs_query_table *t, const char *where, const char *name, bool own_only)
{
	char names[2048];
	build_names(t, own_only, names, sizeof names);
	qb_fail(b, ZS_INVALID_ARGUMENT, "%s: %s \"%.128s\" is not a field of a %s query; valid "
	    "fields: %s", where, own_only ? "own field" : "field", name, t->what, names);
}

/* The field's value as compared and answered: its column as it is (a time as its
 * timestamptz, which zs_query_fill reads into a Timestamp). */
void
qb_column(qb *b, const zs_query_field *f)
{
	qb_put(b, f->sql);
}
