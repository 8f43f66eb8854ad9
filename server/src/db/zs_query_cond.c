/*
 * zs_query_cond.c: one query condition into SQL: the field looked up, the op checked
 * against its type, each value checked and sent as a parameter (an "in" list item by
 * item), a time as a timestamptz parameter, a dot path inside its
 * EXISTS subquery (over the account's own related rows when the field says so).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs_query_impl.h"

static const char *
build_cast(zs_query_type type)
{
	switch (type) {
	case ZS_QUERY_INT: return "::bigint";
	case ZS_QUERY_TIME: return "::timestamptz";
	case ZS_QUERY_BOOL: return "::boolean";
	default: return "::text";
	}
}

static const char *
build_cmp(qop op)
{
	switch (op) {
	case QOP_EQ: return " = ";
	case QOP_NE: return " <> ";
	case QOP_GT: return " > ";
	case QOP_GE: return " >= ";
	case QOP_LT: return " < ";
	case QOP_LE: return " <= ";
	case QOP_LIKE: return " LIKE ";
	case QOP_NOT_LIKE: return " NOT LIKE ";
	default: return " = ";
	}
}

/* Room for the copy of an "in" list in the store; NULL when it is full (not expected:
 * it is sized for every list). */
static char *
build_store(qb *b, const char *value)
{
	size_t n = strlen(value) + 1;
	if (b->store_used + n > b->store_cap) {
		qb_fail(b, ZS_INTERNAL, "the query's store is too small");
		return NULL;
	}
	char *at = b->store + b->store_used;
	memcpy(at, value, n);
	b->store_used += n;
	return at;
}

/* " IN ($a, $b, ...)": each item of the comma-separated value checked. */
static void
build_in(qb *b, const zs_query_field *f, qop op, const char *value, size_t i)
{
	char *list = build_store(b, value);
	if (list == NULL)
		return;
	qb_column(b, f);
	qb_put(b, op == QOP_IN ? " IN (" : " NOT IN (");
	size_t items = 0;
	for (char *item = list, *next; item != NULL && b->code == 0; item = next) {
		next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		if (f->type != ZS_QUERY_TEXT) {
			while (*item == ' ' || *item == '\t')
				item++;
			for (size_t n = strlen(item); n > 0 && (item[n - 1] == ' ' || item[n - 1] == '\t'); n--)
				item[n - 1] = '\0';
		}
		if (++items > ZS_QUERY_IN_MAX) {
			qb_fail(b, ZS_INVALID_ARGUMENT, "conditions[%zu]: %s on field \"%s\" takes at most "
			    "%d values", i, zs_query_op_name(op), f->name, ZS_QUERY_IN_MAX);
			return;
		}
		char why[512];
		const char *v = zs_query_value_check(f, op, item, why, sizeof why);
		if (v == NULL) {
			qb_fail(b, ZS_INVALID_ARGUMENT, "conditions[%zu]: field \"%s\": %s", i, f->name, why);
			return;
		}
		if (items > 1)
			qb_put(b, ", ");
		qb_param(b, v, build_cast(f->type));
	}
	qb_put(b, ")");
}

/* The test of one condition on f's column. */
static void
build_test(qb *b, const zs_query_field *f, qop op, const char *value, size_t i)
{
	if (op == QOP_IS_NULL || op == QOP_NOT_NULL) {
		qb_put(b, f->sql);
		qb_put(b, op == QOP_IS_NULL ? " IS NULL" : " IS NOT NULL");
		return;
	}
	if (op == QOP_IN || op == QOP_NOT_IN) {
		build_in(b, f, op, value, i);
		return;
	}
	char why[512];
	const char *v = zs_query_value_check(f, op, value, why, sizeof why);
	if (v == NULL) {
		qb_fail(b, ZS_INVALID_ARGUMENT, "conditions[%zu]: field \"%s\": %s", i, f->name, why);
		return;
	}
	qb_column(b, f);
	qb_put(b, build_cmp(op));
	qb_param(b, v, op == QOP_LIKE || op == QOP_NOT_LIKE ? "::text" : build_cast(f->type));
}

static const char *
build_type_name(zs_query_type type)
{
	switch (type) {
	case ZS_QUERY_TEXT: return "text";
	case ZS_QUERY_UUID: return "uuid";
	case ZS_QUERY_INT: return "integer";
	case ZS_QUERY_BOOL: return "boolean";
	case ZS_QUERY_TIME: return "time";
	case ZS_QUERY_ENUM: return "enum";
	}
	return "?";
}

/* A dot path's subquery; for a normal account, only over related rows it owns. */
static void
build_exists(qb *b, const zs_query_field *f)
{
	qb_put(b, f->exists);
	if (b->account_ref > 0 && f->exists_owner != NULL) {
		char ref[32];
		snprintf(ref, sizeof ref, " = $%d::text", b->account_ref);
		qb_put(b, " AND ");
		qb_put(b, f->exists_owner);
		qb_put(b, ref);
	}
}

/* " AND (condition)"; a dot path's inside its EXISTS. */
void
qb_cond(qb *b, const zs_query_table *t, size_t i, const Zs__Resource__V1__QueryCondition *c)
{
	const char *name = c->name != NULL ? c->name : "";
	const zs_query_field *f = zs_query_field_find(t, name);
	char where[48];
	snprintf(where, sizeof where, "conditions[%zu]", i);
	if (f == NULL) {
		qb_unknown(b, t, where, name, false);
		return;
	}
	qop op = zs_query_op_parse(c->op != NULL ? c->op : "");
	if (op == QOP_NONE) {
		qb_fail(b, ZS_INVALID_ARGUMENT, "%s: op \"%.32s\" on field \"%s\" is not one of =, !=, "
		    ">, >=, <, <=, in, not in, like, not like, is null, is not null", where,
		    c->op != NULL ? c->op : "", f->name);
		return;
	}
	if (!zs_query_op_fits(op, f->type)) {
		qb_fail(b, ZS_INVALID_ARGUMENT, "%s: op %s does not apply to field \"%s\" (%s)", where,
		    zs_query_op_name(op), f->name, build_type_name(f->type));
		return;
	}
	const char *value = c->value != NULL ? c->value : "";
	if (f->exists != NULL && (op == QOP_IS_NULL || op == QOP_NOT_NULL)) {
		/* a related field is null when there is no related row at all */
		qb_put(b, op == QOP_IS_NULL ? " AND NOT EXISTS (" : " AND EXISTS (");
		build_exists(b, f);
		qb_put(b, ")");
		return;
	}
	qb_put(b, " AND (");
	if (f->exists != NULL) {
		qb_put(b, "EXISTS (");
		build_exists(b, f);
		qb_put(b, " AND ");
	}
	build_test(b, f, op, value, i);
	qb_put(b, f->exists != NULL ? "))" : ")");
}
