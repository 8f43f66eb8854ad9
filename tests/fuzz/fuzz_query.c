/*
 * fuzz_query.c: fuzzes the query statement builder (server/src/db/zs_query_build.c) with
 * random QueryRequests over a small table with a field of every type and a dot path.
 * The input is lines: options ("a" admin, "c" count, "w" reply_with_count, "l<n>" limit,
 * "s<n>" start, "g" group_by the sort_by line's field), sort_by, sort_direction, fields (comma-separated), then one condition
 * a line, "name<TAB>op<TAB>value". Each request is either refused with a status, or
 * becomes a statement where:
 *   - the SQL is the program's own text: printable ASCII, and the same when every text
 *     value is replaced by another of the same shape (values never reach the SQL);
 *   - its parameters are $1..$n, each used, n as many as the conditions need (items of
 *     "in" lists, none for "is null") plus the account and the page;
 *   - each parameter is a piece of a value, a canonical constant, the account or a number.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "zs_fuzz.h"
#include "zs_query_impl.h"

#define FQ_ACCOUNT "fuzz-account"
#define FQ_MAX 64

static const char *const fq_colours[] = { "Red", "Green", NULL };

static const zs_query_field fq_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "size_bytes", "t.size", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "shared", "t.shared", ZS_QUERY_BOOL, NULL, NULL, NULL },
	{ "colour", "t.colour", ZS_QUERY_ENUM, fq_colours, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "parent.name", "r.name", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM things r WHERE r.uuid = t.parent", "r.owner_uuid" },
	{ "tags.tag", "r.tag", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zs_tags r WHERE r.resource_uuid = t.uuid", NULL },
};
static const zs_query_table fq_table = { "thing", "things t", "t.owner_uuid", "t.created_at",
	"t.uuid", fq_fields, sizeof fq_fields / sizeof fq_fields[0], NULL };

/* The number after c in line, or -1. */
static long
fq_number(const char *line, char c)
{
	const char *p = strchr(line, c);
	if (p == NULL || !isdigit((unsigned char) p[1]))
		return -1;
	return strtol(p + 1, NULL, 10) % 20000;
}

/* Parameters a condition needs (after a successful build). */
static int
fq_params_of(const Zs__Resource__V1__QueryCondition *c)
{
	const zs_query_field *f = zs_query_field_find(&fq_table, c->name);
	qop op = zs_query_op_parse(c->op);
	if (f == NULL || op == QOP_IS_NULL || op == QOP_NOT_NULL)
		return 0;
	if (op != QOP_IN && op != QOP_NOT_IN)
		return 1;
	int n = 1;
	for (const char *s = c->value; *s; s++)
		n += *s == ',';
	return n;
}

/* True when p is a piece of some condition's value, a constant or the page. */
static bool
fq_param_known(const Zs__Resource__V1__QueryRequest *q, const char *p)
{
	if (strcmp(p, FQ_ACCOUNT) == 0 || strcmp(p, "true") == 0 || strcmp(p, "false") == 0 ||
	    strcmp(p, "Red") == 0 || strcmp(p, "Green") == 0)
		return true;
	bool digits = *p != '\0';
	for (const char *s = p; *s; s++)
		digits = digits && isdigit((unsigned char) *s);
	if (digits)
		return true;
	for (size_t i = 0; i < q->n_conditions; i++)
		if (strstr(q->conditions[i]->value, p) != NULL)
			return true;
	return false;
}

/* Checks the statement's $n: each of 1..n used, none above. */
static void
fq_check_refs(const zs_query_stmt *s)
{
	bool used[2 * FQ_MAX * ZS_QUERY_IN_MAX / 8 + 8] = { false };
	size_t room = sizeof used / sizeof used[0];
	for (const char *p = strchr(s->sql, '$'); p != NULL; p = strchr(p + 1, '$')) {
		long k = strtol(p + 1, NULL, 10);
		ZS_FUZZ_ASSERT(k >= 1 && k <= s->n_params, "$%ld in a statement of %d parameters: %s",
		    k, s->n_params, s->sql);
		if ((size_t) k < room)
			used[k] = true;
	}
	for (int k = 1; k <= s->n_params && (size_t) k < room; k++)
		ZS_FUZZ_ASSERT(used[k], "$%d is never used: %s", k, s->sql);
}

/* The request again with every byte of every value but commas as 'q' (the same shape:
 * as many items; a text or pattern value stays one). Values are overwritten in place. */
static void
fq_reshape(Zs__Resource__V1__QueryRequest *q)
{
	for (size_t i = 0; i < q->n_conditions; i++) {
		const zs_query_field *f = zs_query_field_find(&fq_table, q->conditions[i]->name);
		qop op = zs_query_op_parse(q->conditions[i]->op);
		bool texty = f != NULL && (f->type == ZS_QUERY_TEXT || op == QOP_LIKE ||
		    op == QOP_NOT_LIKE);
		if (!texty)
			continue;
		for (char *s = q->conditions[i]->value; *s; s++)
			if (*s != ',')
				*s = 'q';
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = zs_fuzz_strndup(data, size);
	if (text == NULL)
		return 0;
	char *sort_by = zs_fuzz_next_line(text);
	char *dir = zs_fuzz_next_line(sort_by);
	char *fields_line = zs_fuzz_next_line(dir);
	char *rest = zs_fuzz_next_line(fields_line);

	Zs__Resource__V1__QueryRequest q = ZS__RESOURCE__V1__QUERY_REQUEST__INIT;
	Zs__Resource__V1__QueryCondition conds[FQ_MAX], *ptrs[FQ_MAX + 1];
	char *fields[FQ_MAX];
	bool admin = strchr(text, 'a') != NULL;
	q.count = strchr(text, 'c') != NULL;
	q.reply_with_count = strchr(text, 'w') != NULL;
	long limit = fq_number(text, 'l'), start = fq_number(text, 's');
	if (limit >= 0) {
		q._limit_case = ZS__RESOURCE__V1__QUERY_REQUEST___LIMIT_LIMIT;
		q.limit = (uint32_t) limit;
	}
	q.start = start > 0 ? (uint32_t) start : 0;
	q.sort_by = sort_by;
	q.group_by = strchr(text, 'g') != NULL ? sort_by : (char *) "";
	q.sort_direction = dir;
	for (char *f = fields_line; *f != '\0' && q.n_fields < FQ_MAX;) {
		fields[q.n_fields++] = f;
		char *comma = strchr(f, ',');
		if (comma == NULL)
			break;
		*comma = '\0';
		f = comma + 1;
	}
	q.fields = fields;
	while (*rest != '\0' && q.n_conditions < FQ_MAX) {
		char *line = rest;
		rest = zs_fuzz_next_line(line);
		Zs__Resource__V1__QueryCondition *c = &conds[q.n_conditions];
		zs__resource__v1__query_condition__init(c);
		c->name = line;
		char *tab = strchr(line, '\t');
		if (tab != NULL) {
			*tab = '\0';
			c->op = tab + 1;
			tab = strchr(c->op, '\t');
			if (tab != NULL) {
				*tab = '\0';
				c->value = tab + 1;
			}
		}
		ptrs[q.n_conditions++] = c;
	}
	q.conditions = ptrs;

	zs_query_stmt s;
	zs_status *st = NULL;
	int rv = zs_query_build(&fq_table, &q, admin, FQ_ACCOUNT, 0, &s, &st);
	if (rv != 0) {
		ZS_FUZZ_ASSERT(st != NULL && st->message != NULL && st->message[0] != '\0',
		    "a refusal (%d) without a message", rv);
		zs_status_free(st);
		free(text);
		return 0;
	}
	for (const char *p = s.sql; *p; p++)
		ZS_FUZZ_ASSERT(*p >= 0x20 && *p < 0x7f, "a byte 0x%02x in the SQL: %s",
		    (unsigned char) *p, s.sql);
	int want = (admin ? 0 : 1) + (q.count ? 0 : 2);
	for (size_t i = 0; i < q.n_conditions; i++)
		want += fq_params_of(q.conditions[i]);
	ZS_FUZZ_ASSERT(s.n_params == want, "%d parameters, %d expected: %s", s.n_params, want, s.sql);
	fq_check_refs(&s);
	for (int i = 0; i < s.n_params; i++)
		ZS_FUZZ_ASSERT(s.params[i] != NULL && fq_param_known(&q, s.params[i]),
		    "parameter $%d \"%s\" is not from the request", i + 1, s.params[i] ? s.params[i] : "");

	fq_reshape(&q);
	zs_query_stmt again;
	rv = zs_query_build(&fq_table, &q, admin, FQ_ACCOUNT, 0, &again, NULL);
	ZS_FUZZ_ASSERT(rv == 0 && strcmp(again.sql, s.sql) == 0 && again.n_params == s.n_params,
	    "other text values of the same shape change the statement (%d):\n%s\n%s", rv, s.sql,
	    rv == 0 ? again.sql : "");
	zs_query_stmt_free(&again);
	zs_query_stmt_free(&s);
	free(text);
	return 0;
}
