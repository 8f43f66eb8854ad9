/*
 * query_build_test.c: the query statement builder (zs/query.h) alone, on a table with a
 * field of every type: what each type accepts and refuses (with the field and value
 * named), the parameters (values only there, as many as expected), visibility, limits,
 * lowerCamel names. No database: the statements are checked as text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/query.h"
#include "zst_check.h"

static const char *const colours[] = { "Red", "Green", NULL };

static const zs_query_field fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "size_bytes", "t.size", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "shared", "t.shared", ZS_QUERY_BOOL, NULL, NULL, NULL },
	{ "colour", "t.colour", ZS_QUERY_ENUM, colours, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "parent_things.name", "r.name", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM things r WHERE r.uuid = t.parent", "r.owner" },
};
static const zs_query_table table = { "thing", "things t", "t.owner", "t.created_at", "t.uuid",
	fields, sizeof fields / sizeof fields[0], NULL };
static const zs_query_table admin_table = { "secret", "secrets t", NULL, "t.created_at",
	"t.uuid", fields, sizeof fields / sizeof fields[0], NULL };

typedef struct bq {
	Zs__Resource__V1__QueryRequest req;
	Zs__Resource__V1__QueryCondition c[70], *p[70];
} bq;

static void
bq_init(bq *q)
{
	memset(q, 0, sizeof *q);
	zs__resource__v1__query_request__init(&q->req);
	q->req.conditions = q->p;
}

static void
bq_add(bq *q, const char *name, const char *op, const char *value)
{
	size_t i = q->req.n_conditions++;
	zs__resource__v1__query_condition__init(&q->c[i]);
	q->c[i].name = (char *) name;
	q->c[i].op = (char *) op;
	q->c[i].value = (char *) value;
	q->p[i] = &q->c[i];
}

/* Builds q as a normal account: the code; the message into msg, the statement into s. */
static int
bq_build(bq *q, bool admin, uint32_t max, zs_query_stmt *s, char *msg, size_t len)
{
	zs_status *st = NULL;
	int rv = zs_query_build(&table, &q->req, admin, "acct-1", max, s, &st);
	snprintf(msg, len, "%s", st != NULL ? st->message : "");
	zs_status_free(st);
	return rv;
}

/* One condition alone: refused INVALID_ARGUMENT with words in the message. */
static void
refused(const char *name, const char *op, const char *value, const char *w1, const char *w2)
{
	bq q;
	bq_init(&q);
	bq_add(&q, name, op, value);
	zs_query_stmt s;
	char msg[4096];
	int rv = bq_build(&q, true, 0, &s, msg, sizeof msg);
	ZST_CHECK(rv == ZS_INVALID_ARGUMENT && strstr(msg, w1) && (w2 == NULL || strstr(msg, w2)),
	    "%s %s \"%s\": INVALID_ARGUMENT naming %s (%d: %s)", name, op, value, w1, rv, msg);
	zs_query_stmt_free(&s);
}

/* One condition alone: accepted with n_params parameters (admin: condition's plus the
 * page's two), the value sent as param (when not NULL) and absent from the SQL. */
static void
accepted(const char *name, const char *op, const char *value, int n_params, const char *param)
{
	bq q;
	bq_init(&q);
	bq_add(&q, name, op, value);
	zs_query_stmt s;
	char msg[4096];
	int rv = bq_build(&q, true, 0, &s, msg, sizeof msg);
	bool ok = rv == 0 && s.n_params == n_params + 2;
	if (ok && param != NULL)
		ok = strcmp(s.params[0], param) == 0;
	if (ok && strlen(value) > 5)   /* shorter ones may be words of the SQL ("TRUE") */
		ok = strstr(s.sql, value) == NULL;
	ZST_CHECK(ok, "%s %s \"%s\": accepted, %d parameter(s)%s%s (%s)", name, op, value, n_params,
	    param ? ", sent as " : "", param ? param : "", rv == 0 ? s.sql : msg);
	zs_query_stmt_free(&s);
}

static void
test_types(void)
{
	accepted("size_bytes", ">", "12", 1, "12");
	accepted("size_bytes", "=", "-9223372036854775808", 1, NULL);
	refused("size_bytes", "=", "abc", "size_bytes", "\"abc\"");
	refused("size_bytes", "=", "1e3", "size_bytes", "1e3");
	refused("size_bytes", "=", " 12", "size_bytes", NULL);
	refused("size_bytes", "<", "9223372036854775808", "size_bytes", "9223372036854775808");
	refused("size_bytes", "like", "1%", "like", "size_bytes");
	accepted("shared", "=", "TRUE", 1, "true");
	accepted("shared", "!=", "false", 1, "false");
	refused("shared", "=", "yes", "shared", "\"yes\"");
	refused("shared", ">", "true", ">", "shared");
	accepted("colour", "=", "red", 1, "Red");
	accepted("colour", "in", "red, GREEN", 2, "Red");
	refused("colour", "=", "Blue", "colour", "Blue");
	refused("colour", "<", "Red", "<", "colour");
	accepted("uuid", "=", "0b6f3c1e-1a2b-4c3d-8e9f-0123456789ab", 1, NULL);
	refused("uuid", "=", "0b6f3c1e", "uuid", "0b6f3c1e");
	accepted("uuid", "like", "0b6f%", 1, NULL);
	accepted("create_date", ">=", "2026-01-01T00:00:00Z", 1, "2026-01-01T00:00:00Z");
	accepted("createDate", "<", "2026-01-01T08:00:00.123456+08:00", 1, NULL);
	accepted("createDate", "in", "2026-01-01T00:00:00Z, 2026-02-01T00:00:00.5z,1999-12-31t23:59:59-05:30", 3, NULL);
	refused("create_date", "=", "1700000000000", "create_date", "RFC 3339");
	refused("create_date", ">", "2026-01-01T00:00:00", "create_date", "offset");
	refused("create_date", ">", "2026-02-30T00:00:00Z", "create_date", "2026-02-30");
	refused("create_date", ">", "2026-01-01T24:00:00Z", "create_date", NULL);
	refused("create_date", ">", "0000-12-31T00:00:00Z", "create_date", NULL);
	refused("create_date", ">", "2026-01-01T00:00:00.1234567890Z", "create_date", NULL);
	refused("create_date", ">", "2026-01-01T00:00:00Z'; DROP TABLE x; --", "create_date", NULL);
	accepted("name", "not in", "a,b,c,d", 4, "a");
	accepted("name", "is null", "ignored", 0, NULL);
	accepted("parentThings.name", "=", "abc-parent", 1, "abc-parent");
	accepted("parent_things.name", "is not null", "", 0, NULL);
	refused("parent_things.nmae", "=", "x", "parent_things.name", "size_bytes");
	refused("name", "===", "x", "===", NULL);
	refused("name", "=", "\xff\xfe", "UTF-8", NULL);
	char *big = malloc(ZS_QUERY_VALUE_MAX + 2);
	memset(big, 'a', ZS_QUERY_VALUE_MAX + 1);
	big[ZS_QUERY_VALUE_MAX + 1] = '\0';
	refused("name", "=", big, "longer", NULL);
	size_t n = ZS_QUERY_IN_MAX + 1;
	char *list = malloc(n * 2 + 1);
	for (size_t i = 0; i < n; i++) {
		list[2 * i] = 'x';
		list[2 * i + 1] = ',';
	}
	list[2 * n - 1] = '\0';
	refused("name", "in", list, "at most", NULL);
	free(list);
	free(big);
}

static void
test_statement(void)
{
	bq q;
	zs_query_stmt s;
	char msg[4096];
	bq_init(&q);
	bq_add(&q, "name", "=", "x' OR '1'='1");
	int rv = bq_build(&q, false, 0, &s, msg, sizeof msg);
	ZST_CHECK(rv == 0 && s.n_params == 4 && strcmp(s.params[0], "acct-1") == 0 &&
	    strcmp(s.params[1], "x' OR '1'='1") == 0 && strstr(s.sql, "t.owner = $1") != NULL &&
	    strstr(s.sql, "OR '1'") == NULL && strcmp(s.params[2], "1000") == 0,
	    "a normal account: owner = $1, the value as $2, default limit 1000 (%s)", rv ? msg : s.sql);
	zs_query_stmt_free(&s);

	bq_add(&q, "parent_things.name", "is null", "");
	rv = bq_build(&q, false, 0, &s, msg, sizeof msg);
	ZST_CHECK(rv == 0 && strstr(s.sql, "NOT EXISTS (SELECT 1 FROM things r WHERE r.uuid = "
	    "t.parent AND r.owner = $1::text)") != NULL, "a normal account's dot path sees its own "
	    "related rows only (%s)", rv ? msg : s.sql);
	zs_query_stmt_free(&s);
	rv = bq_build(&q, true, 0, &s, msg, sizeof msg);
	ZST_CHECK(rv == 0 && strstr(s.sql, "r.owner") == NULL, "an admin's sees all (%s)",
	    rv ? msg : s.sql);
	zs_query_stmt_free(&s);
	q.req.n_conditions = 1;

	q.req.count = true;
	rv = bq_build(&q, false, 0, &s, msg, sizeof msg);
	ZST_CHECK(rv == 0 && s.count_only && s.n_params == 2 && strstr(s.sql, "count(*)") &&
	    strstr(s.sql, "t.owner = $1") && !strstr(s.sql, "LIMIT"),
	    "count: the owner test too, no page (%s)", rv ? msg : s.sql);
	zs_query_stmt_free(&s);
	q.req.count = false;
	q.req.reply_with_count = true;
	rv = bq_build(&q, true, 0, &s, msg, sizeof msg);
	ZST_CHECK(rv == 0 && s.with_count && s.n_params == 3 && strstr(s.sql, "zs_total") &&
	    strstr(s.sql, "LATERAL"), "reply_with_count: the condition's parameter used in both "
	    "parts, 3 in all (%s)", rv ? msg : s.sql);
	zs_query_stmt_free(&s);

	bq_init(&q);
	q.req._limit_case = ZS__RESOURCE__V1__QUERY_REQUEST___LIMIT_LIMIT;
	q.req.limit = 51;
	rv = bq_build(&q, true, 50, &s, msg, sizeof msg);
	ZST_CHECK(rv == ZS_INVALID_ARGUMENT && strstr(msg, "51") && strstr(msg, "50"),
	    "limit 51 over a cap of 50: INVALID_ARGUMENT (%s)", msg);
	zs_query_stmt_free(&s);
	q.req._limit_case = 0;
	rv = bq_build(&q, true, 50, &s, msg, sizeof msg);
	ZST_CHECK(rv == 0 && strcmp(s.params[0], "50") == 0, "no limit under a cap of 50: 50");
	zs_query_stmt_free(&s);

	for (int i = 0; i < ZS_QUERY_CONDITIONS_MAX + 1; i++)
		bq_add(&q, "name", "=", "a");
	rv = bq_build(&q, true, 0, &s, msg, sizeof msg);
	ZST_CHECK(rv == ZS_INVALID_ARGUMENT && strstr(msg, "conditions"), "%d conditions: refused (%s)",
	    ZS_QUERY_CONDITIONS_MAX + 1, msg);
	zs_query_stmt_free(&s);

	bq_init(&q);
	zs_status *st = NULL;
	rv = zs_query_build(&admin_table, &q.req, false, "acct-1", 0, &s, &st);
	ZST_CHECK(rv == ZS_PERMISSION_DENIED && st != NULL && strstr(st->message, "admins"),
	    "a table without owner, by a normal account: PERMISSION_DENIED (%s)", st ? st->message : "");
	zs_status_free(st);
	rv = zs_query_build(&admin_table, &q.req, true, "acct-1", 0, &s, NULL);
	ZST_CHECK(rv == 0 && s.n_params == 2, "the same by an admin: accepted");
	zs_query_stmt_free(&s);

	static char *sel[] = { "sizeBytes", "name" };
	q.req.fields = sel;
	q.req.n_fields = 2;
	q.req.sort_by = "size_bytes";
	q.req.sort_direction = "Desc";
	rv = bq_build(&q, true, 0, &s, msg, sizeof msg);
	ZST_CHECK(rv == 0 && strstr(s.sql, "t.size AS \"size_bytes\"") && strstr(s.sql, "t.name AS") &&
	    !strstr(s.sql, "t.colour") && strstr(s.sql, "ORDER BY t.size DESC, t.uuid DESC"),
	    "fields [sizeBytes, name], sort_by size_bytes Desc (%s)", rv ? msg : s.sql);
	zs_query_stmt_free(&s);
}

int
main(void)
{
	zst_check_init("query_build");
	test_types();
	test_statement();
	return zst_check_summary();
}
