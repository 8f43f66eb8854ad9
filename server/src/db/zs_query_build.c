/*
 * zs_query_build.c: a QueryRequest into one parameterized statement (zs/query.h). The
 * SQL text is made only of the program's own pieces (the table's columns and subqueries,
 * keywords, $n): a request chooses among them and every value it carries becomes a
 * parameter. The visibility test, the conditions (WHERE w), the order and the page are
 * one statement; with reply_with_count, w is used twice in it (the count and the page,
 * over the same parameters). With group_by the page is of groups (each value of the
 * field and its count) over the same WHERE, so the account sees only its own counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zs_query_impl.h"

/* Room for the page's numbers in the store. */
#define BUILD_NUMBERS 48

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
		qb_column(b, f);
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
			qb_unknown(b, t, where, name, true);
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
		qb_unknown(b, t, "sort_by", by, true);
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
		qb_put(b, t->shared != NULL ? " AND (" : " AND ");
		qb_put(b, t->owner);
		qb_put(b, " = ");
		qb_param(b, account != NULL ? account : "", "::text");
		b->account_ref = b->n;
		if (t->shared != NULL) {
			qb_put(b, " OR (");
			qb_put(b, t->shared);
			qb_put(b, "))");
		}
	}
	if (q->n_conditions > ZS_QUERY_CONDITIONS_MAX)
		qb_fail(b, ZS_INVALID_ARGUMENT, "a query takes at most %d conditions, not %zu",
		    ZS_QUERY_CONDITIONS_MAX, q->n_conditions);
	for (size_t i = 0; i < q->n_conditions && b->code == 0; i++) {
		if (q->conditions[i] == NULL)
			continue;
		qb_cond(b, t, i, q->conditions[i]);
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
 * first, and only the page's rows are turned into the answer's columns. With marks, the sort keys come along
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

/* group_by's field: a declared own field that is not a time; NULL without group_by (or
 * after failing). fields and sort_by may name only it. */
static const zs_query_field *
build_group_field(qb *b, const zs_query_table *t, const Zs__Resource__V1__QueryRequest *q)
{
	const char *by = q->group_by != NULL ? q->group_by : "";
	if (*by == '\0')
		return NULL;
	const zs_query_field *f = zs_query_field_find(t, by);
	if (f == NULL || f->exists != NULL) {
		qb_unknown(b, t, "group_by", by, true);
		return NULL;
	}
	if (f->type == ZS_QUERY_TIME) {
		qb_fail(b, ZS_INVALID_ARGUMENT, "group_by: field \"%s\" is a time; group by a field "
		    "of few values (a state, a type, a parent's uuid)", f->name);
		return NULL;
	}
	for (size_t i = 0; i < q->n_fields; i++)
		if (zs_query_field_find(t, q->fields[i] != NULL ? q->fields[i] : "") != f) {
			qb_fail(b, ZS_INVALID_ARGUMENT, "fields[%zu]: with group_by \"%s\" the answer is "
			    "its values and their counts: fields may name only %s", i, f->name, f->name);
			return NULL;
		}
	const char *sort = q->sort_by != NULL ? q->sort_by : "";
	if (*sort != '\0' && zs_query_field_find(t, sort) != f) {
		qb_fail(b, ZS_INVALID_ARGUMENT, "sort_by: with group_by \"%s\" the groups are sorted by "
		    "its value (sort_direction asc or desc): sort_by may name only %s", f->name, f->name);
		return NULL;
	}
	return f;
}

/* The groups' page: SELECT [TRUE AS zs_row, col AS zs_k1,] col::text AS zs_value,
 * count(*) AS zs_count FROM t WHERE w GROUP BY col ORDER BY col dir LIMIT $a OFFSET $b. */
static void
build_group_page(qb *b, const zs_query_table *t, const zs_query_field *g, const char *w,
    const char *dir, const char *limit, const char *start, bool marks)
{
	qb_put(b, "SELECT ");
	if (marks) {
		qb_put(b, "TRUE AS zs_row, ");
		qb_put(b, g->sql);
		qb_put(b, " AS zs_k1, ");
	}
	qb_put(b, "(");
	qb_put(b, g->sql);
	qb_put(b, ")::text AS zs_value, count(*) AS zs_count FROM ");
	qb_put(b, t->from);
	qb_put(b, w);
	qb_put(b, " GROUP BY ");
	qb_put(b, g->sql);
	qb_put(b, " ORDER BY ");
	qb_put(b, g->sql);
	qb_put(b, dir);
	qb_put(b, " LIMIT ");
	qb_param(b, limit, "::bigint");
	qb_put(b, " OFFSET ");
	qb_param(b, start, "::bigint");
}

/* The grouped statement: the groups, their number (count), or both. */
static void
build_grouped(qb *b, const zs_query_table *t, const Zs__Resource__V1__QueryRequest *q,
    const zs_query_field *g, const char *w, const char *dir, const char *limit, const char *start)
{
	if (q->count || q->reply_with_count) {
		qb_put(b, q->count ? "" : "SELECT c.zs_total, p.* FROM (");
		qb_put(b, "SELECT count(*) AS zs_total FROM (SELECT 1 FROM ");
		qb_put(b, t->from);
		qb_put(b, w);
		qb_put(b, " GROUP BY ");
		qb_put(b, g->sql);
		qb_put(b, ") g");
	}
	if (q->count)
		return;
	if (q->reply_with_count) {
		qb_put(b, ") c LEFT JOIN LATERAL (");
		build_group_page(b, t, g, w, dir, limit, start, true);
		qb_put(b, ") p ON TRUE ORDER BY p.zs_k1");
		qb_put(b, dir);
	} else {
		build_group_page(b, t, g, w, dir, limit, start, false);
	}
}

/* The statement, once the request's parts are checked. */
static void
build_statement(qb *b, const zs_query_table *t, const Zs__Resource__V1__QueryRequest *q,
    bool admin, const char *account, uint32_t limit, const bool *picked,
    const zs_query_field *group)
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
	if (group != NULL) {
		build_grouped(b, t, q, group, w, dir, numbers, numbers + 24);
	} else if (q->count) {
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
	const zs_query_field *group = NULL;
	if (b.code == 0)
		build_fields(&b, t, q, picked);
	if (b.code == 0)
		group = build_group_field(&b, t, q);
	if (b.code == 0)
		build_statement(&b, t, q, admin, account, limit, picked, group);
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
	out->grouped = group != NULL;
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
