/*
 * zs_query_build.c: a QueryRequest into one parameterized statement (zs/query.h). The
 * SQL text is made only of the program's own pieces (the table's columns and subqueries,
 * keywords, $n): a request chooses among them and every value it carries becomes a
 * parameter. The visibility test, the conditions (WHERE w), the order and the page are
 * one statement; with reply_with_count, w is used twice in it (the count and the page,
 * over the same parameters).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zs_query_impl.h"

/* Room for the page's numbers in the store. */
#define BUILD_NUMBERS 48

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
static void
build_unknown(qb *b, const zs_query_table *t, const char *where, const char *name, bool own_only)
{
	char names[2048];
	build_names(t, own_only, names, sizeof names);
	qb_fail(b, ZS_INVALID_ARGUMENT, "%s: %s \"%.128s\" is not a field of a %s query; valid "
	    "fields: %s", where, own_only ? "own field" : "field", name, t->what, names);
}

static const char *
build_cast(zs_query_type type)
{
	switch (type) {
	case ZS_QUERY_INT: case ZS_QUERY_TIME_MS: return "::bigint";
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

/* The field's value as compared: a time column as its milliseconds (rounded, as the
 * Info answers them), anything else as it is. */
static void
build_column(qb *b, const zs_query_field *f)
{
	if (f->type == ZS_QUERY_TIME_MS) {
		qb_put(b, "(extract(epoch FROM ");
		qb_put(b, f->sql);
		qb_put(b, ") * 1000)::bigint");
	} else {
		qb_put(b, f->sql);
	}
}

/* A time column against a bound, so that an index on the column serves: the rounded
 * milliseconds m of the column compare with N as the column does with the instant
 * N - 0.5 ms (m >= N, m < N) or N + 0.5 ms (m > N, m <= N). */
static void
build_time_range(qb *b, const zs_query_field *f, qop op, const char *value)
{
	bool upper = op == QOP_GT || op == QOP_LE;
	qb_put(b, f->sql);
	qb_put(b, op == QOP_GT || op == QOP_GE ? " >= " : " < ");
	qb_put(b, "'epoch'::timestamptz + (");
	qb_param(b, value, "::bigint");
	qb_put(b, upper ? " * 1000 + 500)" : " * 1000 - 500)");
	qb_put(b, " * interval '1 microsecond'");
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
	build_column(b, f);
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
	if (f->type == ZS_QUERY_TIME_MS && op != QOP_EQ && op != QOP_NE) {
		build_time_range(b, f, op, v);
		return;
	}
	build_column(b, f);
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
	case ZS_QUERY_TIME_MS: return "time";
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
static void
build_cond(qb *b, const zs_query_table *t, size_t i, const Zs__Resource__V1__QueryCondition *c)
{
	const char *name = c->name != NULL ? c->name : "";
	const zs_query_field *f = zs_query_field_find(t, name);
	char where[48];
	snprintf(where, sizeof where, "conditions[%zu]", i);
	if (f == NULL) {
		build_unknown(b, t, where, name, false);
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

/* The columns: selected own fields (all when fields is empty), "AS" their names. */
static void
build_select(qb *b, const zs_query_table *t, const bool *picked)
{
	bool first = true;
	for (size_t i = 0; i < t->n_fields; i++) {
		const zs_query_field *f = &t->fields[i];
		if (f->exists != NULL || !picked[i])
			continue;
		if (!first)
			qb_put(b, ", ");
		first = false;
		build_column(b, f);
		qb_put(b, " AS \"");
		qb_put(b, f->name);
		qb_put(b, "\"");
	}
	if (first)
		qb_put(b, "NULL AS zs_none");
}

/* Marks the fields asked for in picked (all when none is named). */
static void
build_fields(qb *b, const zs_query_table *t, const Zs__Resource__V1__QueryRequest *q, bool *picked)
{
	for (size_t i = 0; i < t->n_fields; i++)
		picked[i] = q->n_fields == 0;
	for (size_t i = 0; i < q->n_fields && b->code == 0; i++) {
		const char *name = q->fields[i] != NULL ? q->fields[i] : "";
		const zs_query_field *f = zs_query_field_find(t, name);
		if (f == NULL || f->exists != NULL) {
			char where[48];
			snprintf(where, sizeof where, "fields[%zu]", i);
			build_unknown(b, t, where, name, true);
			return;
		}
		picked[f - t->fields] = true;
	}
}

/* The sort key and the direction (" ASC" or " DESC"). */
static void
build_order(qb *b, const zs_query_table *t, const Zs__Resource__V1__QueryRequest *q,
    const char **key, const char **dir)
{
	*key = t->order;
	*dir = " ASC";
	const char *d = q->sort_direction != NULL ? q->sort_direction : "";
	if (strcasecmp(d, "desc") == 0)
		*dir = " DESC";
	else if (*d != '\0' && strcasecmp(d, "asc") != 0)
		qb_fail(b, ZS_INVALID_ARGUMENT, "sort_direction \"%.32s\" is neither asc nor desc", d);
	const char *by = q->sort_by != NULL ? q->sort_by : "";
	if (*by == '\0' || b->code != 0)
		return;
	const zs_query_field *f = zs_query_field_find(t, by);
	if (f == NULL || f->exists != NULL)
		build_unknown(b, t, "sort_by", by, true);
	else
		*key = f->sql;
}

/* What the store needs: every "in" list, and the page's numbers. */
static size_t
build_store_size(const Zs__Resource__V1__QueryRequest *q)
{
	size_t n = BUILD_NUMBERS;
	for (size_t i = 0; i < q->n_conditions; i++)
		if (q->conditions[i] != NULL && q->conditions[i]->value != NULL)
			n += strlen(q->conditions[i]->value) + 1;
	return n;
}

/* The WHERE clause into b: visibility and conditions. */
static void
build_where(qb *b, const zs_query_table *t, const Zs__Resource__V1__QueryRequest *q, bool admin,
    const char *account)
{
	qb_put(b, " WHERE TRUE");
	if (!admin) {
		qb_put(b, " AND ");
		qb_put(b, t->owner);
		qb_put(b, " = ");
		qb_param(b, account != NULL ? account : "", "::text");
		b->account_ref = b->n;
	}
	if (q->n_conditions > ZS_QUERY_CONDITIONS_MAX)
		qb_fail(b, ZS_INVALID_ARGUMENT, "a query takes at most %d conditions, not %zu",
		    ZS_QUERY_CONDITIONS_MAX, q->n_conditions);
	for (size_t i = 0; i < q->n_conditions && b->code == 0; i++) {
		if (q->conditions[i] == NULL)
			continue;
		build_cond(b, t, i, q->conditions[i]);
	}
}

/* " ORDER BY key dir, tiebreak dir" */
static void
build_order_by(qb *b, const zs_query_table *t, const char *key, const char *dir)
{
	qb_put(b, " ORDER BY ");
	qb_put(b, key);
	qb_put(b, dir);
	qb_put(b, ", ");
	qb_put(b, t->tiebreak);
	qb_put(b, dir);
}

/* SELECT cols FROM (SELECT t.* FROM t WHERE w ORDER BY key dir, tiebreak dir LIMIT $a
 * OFFSET $b) t ORDER BY key dir, tiebreak dir: the rows are found and cut to the page
 * first, and only the page's rows are turned into the answer's columns (a time column's
 * milliseconds cost a numeric computation each). With marks, the sort keys come along
 * (zs_k1, zs_k2) for the outer order of the count form. */
static void
build_page(qb *b, const zs_query_table *t, const bool *picked, const char *w, const char *key,
    const char *dir, const char *limit, const char *start, bool marks)
{
	qb_put(b, "SELECT ");
	if (marks) {
		qb_put(b, "TRUE AS zs_row, ");
		qb_put(b, key);
		qb_put(b, " AS zs_k1, ");
		qb_put(b, t->tiebreak);
		qb_put(b, " AS zs_k2, ");
	}
	build_select(b, t, picked);
	qb_put(b, " FROM (SELECT t.* FROM ");
	qb_put(b, t->from);
	qb_put(b, w);
	build_order_by(b, t, key, dir);
	qb_put(b, " LIMIT ");
	qb_param(b, limit, "::bigint");
	qb_put(b, " OFFSET ");
	qb_param(b, start, "::bigint");
	qb_put(b, ") t");
	if (!marks)
		build_order_by(b, t, key, dir);
}

/* The statement, once the request's parts are checked. */
static void
build_statement(qb *b, const zs_query_table *t, const Zs__Resource__V1__QueryRequest *q,
    bool admin, const char *account, uint32_t limit, const bool *picked)
{
	const char *key, *dir;
	build_order(b, t, q, &key, &dir);
	build_where(b, t, q, admin, account);
	if (b->code != 0)
		return;
	char *w = b->sql;          /* the WHERE clause, from here on apart */
	b->sql = NULL;
	b->len = b->cap = 0;
	char *numbers = b->store + b->store_used;
	if (b->store_used + BUILD_NUMBERS > b->store_cap) {
		qb_fail(b, ZS_INTERNAL, "the query's store is too small");
		free(w);
		return;
	}
	snprintf(numbers, 24, "%u", limit);
	snprintf(numbers + 24, 24, "%u", q->start);
	b->store_used += BUILD_NUMBERS;
	if (q->count) {
		qb_put(b, "SELECT count(*) AS zs_total FROM ");
		qb_put(b, t->from);
		qb_put(b, w);
	} else if (q->reply_with_count) {
		qb_put(b, "SELECT c.zs_total, p.* FROM (SELECT count(*) AS zs_total FROM ");
		qb_put(b, t->from);
		qb_put(b, w);
		qb_put(b, ") c LEFT JOIN LATERAL (");
		build_page(b, t, picked, w, key, dir, numbers, numbers + 24, true);
		qb_put(b, ") p ON TRUE ORDER BY p.zs_k1");
		qb_put(b, dir);
		qb_put(b, ", p.zs_k2");
		qb_put(b, dir);
	} else {
		build_page(b, t, picked, w, key, dir, numbers, numbers + 24, false);
	}
	free(w);
}

int
zs_query_build(const zs_query_table *t, const Zs__Resource__V1__QueryRequest *q, bool admin,
    const char *account, uint32_t limit_max, zs_query_stmt *out, zs_status **st)
{
	memset(out, 0, sizeof *out);
	qb b;
	memset(&b, 0, sizeof b);
	if (limit_max == 0)
		limit_max = ZS_QUERY_LIMIT_MAX;
	uint32_t limit = ZS_QUERY_LIMIT_DEFAULT < limit_max ? ZS_QUERY_LIMIT_DEFAULT : limit_max;
	if (q->_limit_case == ZS__RESOURCE__V1__QUERY_REQUEST___LIMIT_LIMIT)
		limit = q->limit;
	bool *picked = calloc(t->n_fields + 1, sizeof *picked);
	b.store_cap = build_store_size(q);
	b.store = malloc(b.store_cap);
	if (picked == NULL || b.store == NULL)
		qb_fail(&b, ZS_RESOURCE_EXHAUSTED, "out of memory building a %s query", t->what);
	else if (!admin && t->owner == NULL)
		qb_fail(&b, ZS_PERMISSION_DENIED, "only admins may query %ss", t->what);
	else if (limit > limit_max)
		qb_fail(&b, ZS_INVALID_ARGUMENT, "limit %u is above the most a query answers, %u "
		    "(property query.limit.max); page with start", limit, limit_max);
	if (b.code == 0)
		build_fields(&b, t, q, picked);
	if (b.code == 0)
		build_statement(&b, t, q, admin, account, limit, picked);
	free(picked);
	if (b.code != 0) {
		free(b.sql);
		free(b.params);
		free(b.store);
		int code = b.code;
		if (st != NULL)
			*st = b.err;
		else
			zs_status_free(b.err);
		return code;
	}
	out->sql = b.sql;
	out->params = b.params;
	out->n_params = b.n;
	out->store = b.store;
	out->count_only = q->count;
	out->with_count = !q->count && q->reply_with_count;
	return 0;
}

void
zs_query_stmt_free(zs_query_stmt *s)
{
	free(s->sql);
	free(s->params);
	free(s->store);
	memset(s, 0, sizeof *s);
}
