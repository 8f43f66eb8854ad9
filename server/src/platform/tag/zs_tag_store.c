/*
 * zs_tag_store.c: tags in PostgreSQL (zs_tags, rows cascade with their resource): adding
 * user and system tags, reading, querying, deleting, and the two helpers services use
 * (zs/tag.h). A system tag is added with its resource's row locked (FOR NO KEY UPDATE),
 * so two adds of one pattern on one resource run in turn and the one-value-per-pattern
 * rule holds without a unique index on the pattern.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/event.h"
#include "zs/resource.h"
#include "zs/tag.h"
#include "zs_db.h"
#include "zs_tag_impl.h"
#include "zs_tag_match.h"

/* Every tag row: zs_tag_row_info reads these, in this order. */
#define TAG_COLUMNS "t.uuid, t.resource_uuid, t.resource_type, t.kind, t.tag, t.owner_uuid, " \
	"t.created_at, t.pattern"

void
zs_tag_row_info(const PGresult *r, int row, Zs__Tag__V1__TagInfo *out)
{
	zs__tag__v1__tag_info__init(out);
	out->uuid = PQgetvalue(r, row, 0);
	out->resource_uuid = PQgetvalue(r, row, 1);
	out->resource_type = PQgetvalue(r, row, 2);
	out->kind = strcmp(PQgetvalue(r, row, 3), "system") == 0 ? ZS__TAG__V1__TAG_KIND__SYSTEM
	                                                          : ZS__TAG__V1__TAG_KIND__USER;
	out->tag = PQgetvalue(r, row, 4);
	out->owner_uuid = PQgetvalue(r, row, 5);
	out->create_date = zs_db_time(r, row, 6);
	out->pattern = PQgetvalue(r, row, 7);
}

int
zs_tag_publish_rows(const zs_tags *tags, zs_db_conn *c, const char *topic, const PGresult *r,
    zs_status **st)
{
	int rv = 0;
	for (int i = 0; rv == 0 && r != NULL && i < PQntuples(r); i++) {
		Zs__Tag__V1__TagInfo info;
		zs_tag_row_info(r, i, &info);
		rv = zs_event_publish_tx(c, zs_tags_events(tags), topic, info.resource_uuid,
		    info.owner_uuid, &info.base, st);
	}
	return rv;
}

static int tag_fail(zs_status **st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets *st to a new status of code; returns code. */
static int
tag_fail(zs_status **st, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	*st = zs_status_newv(code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int
zs_tag_store_user(zs_db_conn *c, const char *resource_uuid, const char *tag,
    const char *owner_uuid, PGresult **row, zs_status **st)
{
	char uuid[ZS_UUID_LEN];
	zs_resource_uuid(uuid);
	const char *p[4] = { uuid, resource_uuid, tag, owner_uuid };
	PGresult *r = zs_db_exec(c,
	    "INSERT INTO zs_tags AS t (uuid, resource_uuid, resource_type, kind, tag, pattern, owner_uuid) "
	    "SELECT $1, r.uuid, r.type, 'user', $3, '', $4 FROM zs_resources r WHERE r.uuid = $2 "
	    "RETURNING " TAG_COLUMNS, 4, p, st);
	if (r == NULL && (int) (*st)->code == ZS_ALREADY_EXISTS) {
		zs_status_free(*st);
		return tag_fail(st, ZS_ALREADY_EXISTS, "resource %s already has the user tag \"%s\"",
		    resource_uuid, tag);
	}
	if (r == NULL)
		return (int) (*st)->code;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return tag_fail(st, ZS_NOT_FOUND, "no resource with uuid %s", resource_uuid);
	}
	*row = r;
	return 0;
}

/* Locks the resource's row; its type and owner go to type and owner. */
static int
tag_lock_resource(zs_db_conn *c, const char *resource_uuid, char *type, size_t tlen,
    char *owner, size_t olen, zs_status **st)
{
	const char *p[1] = { resource_uuid };
	PGresult *r = zs_db_exec(c, "SELECT type, owner_uuid FROM zs_resources WHERE uuid = $1 "
	    "FOR NO KEY UPDATE", 1, p, st);
	if (r == NULL)
		return (int) (*st)->code;
	int n = PQntuples(r);
	if (n == 1) {
		snprintf(type, tlen, "%s", PQgetvalue(r, 0, 0));
		snprintf(owner, olen, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return n == 1 ? 0 : tag_fail(st, ZS_NOT_FOUND, "no resource with uuid %s", resource_uuid);
}

/* What a system add is about, shared by its steps. */
typedef struct tag_sys {
	zs_db_conn *c;
	const char *resource_uuid, *tag, *owner_uuid;
	bool replace;
	const zs_tag_pattern *pattern;
	PGresult *created, *replaced;
	bool same;               /* the very tag is there already */
} tag_sys;

/* Looks at the resource's tag of the pattern: the same (a no-op), another (replaced, or
 * ALREADY_EXISTS), or none. */
static int
tag_sys_existing(tag_sys *s, zs_status **st)
{
	const char *p[2] = { s->resource_uuid, s->pattern->pattern };
	PGresult *r = zs_db_exec(s->c, "SELECT tag FROM zs_tags WHERE resource_uuid = $1 AND "
	    "kind = 'system' AND pattern = $2", 2, p, st);
	if (r == NULL)
		return (int) (*st)->code;
	int n = PQntuples(r);
	char have[ZS_TAG_MAX + 1] = "";
	if (n > 0)
		snprintf(have, sizeof have, "%s", PQgetvalue(r, 0, 0));
	s->same = n == 1 && strcmp(have, s->tag) == 0;
	PQclear(r);
	if (n == 0 || (s->same && s->replace))
		return 0;
	if (!s->replace)
		return tag_fail(st, ZS_ALREADY_EXISTS, "the resource already has the system tag \"%s\" "
		    "of pattern %s: delete it first", have, s->pattern->pattern);
	s->replaced = zs_db_exec(s->c, "DELETE FROM zs_tags AS t WHERE t.resource_uuid = $1 AND "
	    "t.kind = 'system' AND t.pattern = $2 RETURNING " TAG_COLUMNS, 2, p, st);
	return s->replaced != NULL ? 0 : (int) (*st)->code;
}

static int
tag_sys_insert(tag_sys *s, const char *owner, zs_status **st)
{
	char uuid[ZS_UUID_LEN];
	zs_resource_uuid(uuid);
	const char *p[5] = { uuid, s->resource_uuid, s->tag, s->pattern->pattern, owner };
	s->created = zs_db_exec(s->c,
	    "INSERT INTO zs_tags AS t (uuid, resource_uuid, resource_type, kind, tag, pattern, owner_uuid) "
	    "SELECT $1, r.uuid, r.type, 'system', $3, $4, $5 FROM zs_resources r WHERE r.uuid = $2 "
	    "RETURNING " TAG_COLUMNS, 5, p, st);
	if (s->created == NULL && (int) (*st)->code == ZS_ALREADY_EXISTS) {
		zs_status_free(*st);
		return tag_fail(st, ZS_ALREADY_EXISTS, "resource %s already has the system tag \"%s\"",
		    s->resource_uuid, s->tag);
	}
	return s->created != NULL ? 0 : (int) (*st)->code;
}

static int
tag_sys_run(tag_sys *s, const zs_tags *tags, zs_status **st)
{
	char type[128], owner[128];
	int rv = tag_lock_resource(s->c, s->resource_uuid, type, sizeof type, owner, sizeof owner, st);
	if (rv != 0)
		return rv;
	if ((s->pattern = zs_tags_find(tags, type, s->tag)) == NULL) {
		*st = zs_tags_explain(tags, type, s->tag);
		return ZS_INVALID_ARGUMENT;
	}
	if ((rv = tag_sys_existing(s, st)) != 0 || s->same)
		return rv;
	return tag_sys_insert(s, s->owner_uuid != NULL ? s->owner_uuid : owner, st);
}

int
zs_tag_store_system(zs_db_conn *c, const zs_tags *tags, const char *resource_uuid,
    const char *tag, const char *owner_uuid, bool replace, PGresult **created,
    PGresult **replaced, bool *own, zs_status **st)
{
	char why[256];
	*created = *replaced = NULL;
	if (zs_tag_text_check(tag, why, sizeof why) != 0)
		return tag_fail(st, ZS_INVALID_ARGUMENT, "%s", why);
	*own = PQtransactionStatus(zs_db_conn_pg(c)) == PQTRANS_IDLE;
	if (*own && zs_db_begin(c, st) != 0)
		return (int) (*st)->code;
	tag_sys s = { c, resource_uuid, tag, owner_uuid, replace, NULL, NULL, NULL, false };
	int rv = tag_sys_run(&s, tags, st);
	if (rv == 0)
		rv = zs_tag_publish_rows(tags, c, "tag/deleted", s.replaced, st);
	if (rv == 0)
		rv = zs_tag_publish_rows(tags, c, "tag/created", s.created, st);
	if (*own && rv == 0 && zs_db_commit(c, st) != 0)
		rv = (int) (*st)->code;
	else if (*own && rv != 0)
		zs_db_rollback(c);
	if (rv != 0) {
		PQclear(s.created);
		PQclear(s.replaced);
		return rv;
	}
	*created = s.created;
	*replaced = s.replaced;
	return 0;
}

int
zs_tag_store_get(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    zs_status **st)
{
	const char *p[3] = { uuid, zs_call_account(call), zs_call_admin(call) ? "t" : "f" };
	PGresult *r = zs_db_exec(c, "SELECT " TAG_COLUMNS ", r.owner_uuid FROM zs_tags t "
	    "JOIN zs_resources r ON r.uuid = t.resource_uuid "
	    "WHERE t.uuid = $1 AND ($3::boolean OR r.owner_uuid = $2)", 3, p, st);
	if (r == NULL)
		return (int) (*st)->code;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return tag_fail(st, ZS_NOT_FOUND, "no tag with uuid %s", uuid);
	}
	*row = r;
	return 0;
}

int
zs_tag_store_delete(zs_db_conn *c, const char *uuid, zs_status **st)
{
	const char *p[1] = { uuid };
	PGresult *r = zs_db_exec(c, "DELETE FROM zs_tags WHERE uuid = $1", 1, p, st);
	if (r == NULL)
		return (int) (*st)->code;
	bool gone = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	return gone ? 0 : tag_fail(st, ZS_NOT_FOUND, "no tag with uuid %s", uuid);
}

PGresult *
zs_tag_store_list(zs_db_conn *c, const char *resource_uuid, zs_status **st)
{
	const char *p[1] = { resource_uuid };
	return zs_db_exec(c, "SELECT " TAG_COLUMNS " FROM zs_tags t WHERE t.resource_uuid = $1 "
	    "ORDER BY t.created_at, t.uuid", 1, p, st);
}

/* The rows of r whose tag the pattern matches (all rows for an exact query). */
static int
tag_query_filter(const PGresult *r, const zs_tag_query *q, int **rows, size_t *n)
{
	int total = PQntuples(r);
	*n = 0;
	if ((*rows = calloc((size_t) total + 1, sizeof **rows)) == NULL)
		return -1;
	for (int i = 0; i < total && *n < q->limit; i++)
		if (!q->is_pattern || zs_tag_match(q->tag, PQgetvalue(r, i, 4)))
			(*rows)[(*n)++] = i;
	return 0;
}

PGresult *
zs_tag_store_query(zs_db_conn *c, const zs_call *call, const zs_tag_query *q, int **rows,
    size_t *n, zs_status **st)
{
	char *like = q->is_pattern ? zs_tag_pattern_like(q->tag) : NULL;
	char limit[32];
	snprintf(limit, sizeof limit, "%zu", q->is_pattern ? (size_t) 1000000 : q->limit);
	if (q->is_pattern && like == NULL) {
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return NULL;
	}
	const char *p[6] = { zs_call_admin(call) ? "t" : "f", zs_call_account(call), q->resource_type,
	    q->kind, q->is_pattern ? like : q->tag, limit };
	PGresult *r = zs_db_exec(c, q->is_pattern ?
	    "SELECT " TAG_COLUMNS " FROM zs_tags t JOIN zs_resources r ON r.uuid = t.resource_uuid "
	    "WHERE ($1::boolean OR r.owner_uuid = $2) AND ($3 = '' OR t.resource_type = $3) AND "
	    "($4 = '' OR t.kind = $4) AND t.tag LIKE $5 ORDER BY t.created_at, t.uuid LIMIT $6::bigint" :
	    "SELECT " TAG_COLUMNS " FROM zs_tags t JOIN zs_resources r ON r.uuid = t.resource_uuid "
	    "WHERE ($1::boolean OR r.owner_uuid = $2) AND ($3 = '' OR t.resource_type = $3) AND "
	    "($4 = '' OR t.kind = $4) AND t.tag = $5 ORDER BY t.created_at, t.uuid LIMIT $6::bigint",
	    6, p, st);
	free(like);
	if (r != NULL && tag_query_filter(r, q, rows, n) != 0) {
		PQclear(r);
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return NULL;
	}
	return r;
}

/* ---- the helpers services use (zs/tag.h) ---- */

int
zs_tag_token(zs_db_conn *c, const char *resource_uuid, const char *pattern, const char *token,
    char *buf, size_t len, zs_status **st)
{
	char why[256];
	if (zs_tag_pattern_check(pattern, why, sizeof why) != 0)
		return tag_fail(st, ZS_INVALID_ARGUMENT, "pattern \"%s\": %s", pattern ? pattern : "", why);
	if (token == NULL || !zs_tag_pattern_has_token(pattern, token))
		return tag_fail(st, ZS_INVALID_ARGUMENT, "pattern %s has no token {%s}", pattern,
		    token ? token : "");
	char *like = zs_tag_pattern_like(pattern);
	if (like == NULL)
		return tag_fail(st, ZS_RESOURCE_EXHAUSTED, "out of memory");
	const char *p[2] = { resource_uuid, like };
	PGresult *r = zs_db_exec(c, "SELECT tag FROM zs_tags WHERE resource_uuid = $1 AND "
	    "kind = 'system' AND tag LIKE $2 ORDER BY created_at DESC, uuid", 2, p, st);
	free(like);
	if (r == NULL)
		return (int) (*st)->code;
	int rv = ZS_NOT_FOUND;
	size_t need = 0;
	for (int i = 0; i < PQntuples(r) && rv == ZS_NOT_FOUND; i++) {
		int m = zs_tag_match_token(pattern, PQgetvalue(r, i, 0), token, buf, len, &need);
		rv = m == 0 ? 0 : m == -2 ? ZS_OUT_OF_RANGE : ZS_NOT_FOUND;
	}
	PQclear(r);
	if (rv == ZS_OUT_OF_RANGE) {
		*st = zs_status_new(ZS_OUT_OF_RANGE, NULL, "the value of {%s} takes %zu bytes, the buffer "
		    "holds %zu", token, need, len);
	}
	return rv;
}

int
zs_tag_add_system(zs_db_conn *c, zs_tags *tags, const char *resource_uuid, const char *tag,
    const char *owner_uuid, zs_status **st)
{
	PGresult *created, *replaced;
	bool own;
	if (tags == NULL)
		return tag_fail(st, ZS_UNAVAILABLE, "the tags module has not started");
	int rv = zs_tag_store_system(c, tags, resource_uuid, tag, owner_uuid, true, &created,
	    &replaced, &own, st);
	PQclear(created);
	PQclear(replaced);
	return rv;
}
