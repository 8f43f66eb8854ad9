/*
 * zs_tag_api.c: the zs.tag.v1.Tags service (on the worker pool: it uses the database).
 * Who may do what:
 *   - every call sees only the resources its account owns (admins: all); a resource it
 *     cannot see is NOT_FOUND, the same answer as one that does not exist;
 *   - user tags: anyone who sees the resource adds them; the tag's owner (or an admin)
 *     deletes them;
 *   - system tags: admins add and delete them (services use zs_tag_add_system); a
 *     normal account gets PERMISSION_DENIED. ZStack lets owners add some system tags;
 *     zsnode takes the safer rule, since system tags steer services (config overrides).
 * Create and Delete write tag/created and tag/deleted with the TagInfo into the outbox,
 * in the change's transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "zs/call.h"
#include "zs/resource.h"
#include "zs_tag_impl.h"
#include "zs_tag_match.h"

#define TAG_QUERY_DEFAULT 1000
#define TAG_QUERY_MAX 10000

/* Checks what Create is given; 0, or -1 after failing the call. */
static int
tag_api_create_check(zs_call *call, const Zs__Tag__V1__CreateTagRequest *in)
{
	char why[256];
	if (in->kind != ZS__TAG__V1__TAG_KIND__TAG_KIND_UNSPECIFIED &&
	    in->kind != ZS__TAG__V1__TAG_KIND__SYSTEM && in->kind != ZS__TAG__V1__TAG_KIND__USER)
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "kind %d is neither SYSTEM nor USER", in->kind);
	else if (in->resource_uuid[0] == '\0')
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "resource_uuid is required");
	else if (zs_tag_text_check(in->tag, why, sizeof why) != 0)
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s", why);
	else
		return 0;
	return -1;
}

/* Stores the tag Create asks for; 0 with *row, or a code with *st. */
static int
tag_api_store(zs_call *call, zs_db_conn *c, const Zs__Tag__V1__CreateTagRequest *in,
    PGresult **row, zs_status **st)
{
	bool system = in->kind == ZS__TAG__V1__TAG_KIND__SYSTEM, own;
	int rv = zs_resource_check(c, call, in->resource_uuid, NULL, NULL, 0, st);
	if (rv != 0)
		return rv;
	if (!system)
		return zs_tag_store_user(c, in->resource_uuid, in->tag, zs_call_account(call), row, st);
	if (!zs_call_admin(call)) {
		*st = zs_status_new(ZS_PERMISSION_DENIED, NULL, "only admins add system tags (services "
		    "add theirs themselves); a user tag (kind USER) is free-form");
		return ZS_PERMISSION_DENIED;
	}
	PGresult *replaced;
	rv = zs_tag_store_system(c, ((zs_tags *) zs_call_service_data(call)), in->resource_uuid, in->tag,
	    zs_call_account(call), false, row, &replaced, &own, st);
	PQclear(replaced);
	return rv;
}

static void
tag_api_create(Zs__Tag__V1__Tags_Service *svc, const Zs__Tag__V1__CreateTagRequest *in,
    Zs__Tag__V1__TagInfo_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_db_conn *c;
	if (tag_api_create_check(call, in) != 0 || zs_db_acquire_for(zs_tags_db(zs_call_service_data(call)), call, &c) != 0)
		return;
	PGresult *row = NULL;
	zs_status *st = NULL;
	int rv = zs_db_begin(c, &st);
	if (rv == 0)
		rv = tag_api_store(call, c, in, &row, &st);
	/* a system tag's store writes its own events (it may replace another) */
	if (rv == 0 && in->kind != ZS__TAG__V1__TAG_KIND__SYSTEM)
		rv = zs_tag_publish_rows(zs_call_service_data(call), c, "tag/created", row, &st);
	rv = zs_db_end(c, rv, &st);
	zs_db_release(zs_tags_db(zs_call_service_data(call)), c);
	if (rv != 0) {
		PQclear(row);
		zs_call_fail_status(call, st);
		return;
	}
	Zs__Tag__V1__TagInfo info;
	zs_tag_row_info(row, 0, &info);
	if (info.kind == ZS__TAG__V1__TAG_KIND__SYSTEM)   /* it may override a config */
		zs_config_override_changed(zs_tags_config(zs_call_service_data(call)), info.tag);
	closure(&info, closure_data);
	PQclear(row);
}

/* May the call delete the tag in row (zs_tag_store_get's)? 0, or a code with *st. */
static int
tag_api_may_delete(const zs_call *call, const PGresult *row, zs_status **st)
{
	if (zs_call_admin(call))
		return 0;
	const char *why = NULL;
	if (strcmp(PQgetvalue(row, 0, 3), "system") == 0)
		why = "only admins delete system tags";
	else if (strcmp(PQgetvalue(row, 0, 5), zs_call_account(call)) != 0)
		why = "this user tag belongs to another account";
	if (why == NULL)
		return 0;
	*st = zs_status_new(ZS_PERMISSION_DENIED, NULL, "%s", why);
	return ZS_PERMISSION_DENIED;
}

static void
tag_api_delete(Zs__Tag__V1__Tags_Service *svc, const Zs__Tag__V1__DeleteTagRequest *in,
    Zs__Tag__V1__DeleteTagResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_db_conn *c;
	if (in->uuid[0] == '\0') {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "uuid is required");
		return;
	}
	if (zs_db_acquire_for(zs_tags_db(zs_call_service_data(call)), call, &c) != 0)
		return;
	PGresult *row = NULL;
	zs_status *st = NULL;
	int rv = zs_db_begin(c, &st);
	if (rv == 0)
		rv = zs_tag_store_get(c, call, in->uuid, &row, &st);
	if (rv == 0)
		rv = tag_api_may_delete(call, row, &st);
	if (rv == 0)
		rv = zs_tag_store_delete(c, in->uuid, &st);
	if (rv == 0)
		rv = zs_tag_publish_rows(zs_call_service_data(call), c, "tag/deleted", row, &st);
	rv = zs_db_end(c, rv, &st);
	zs_db_release(zs_tags_db(zs_call_service_data(call)), c);
	if (rv == 0 && strcmp(PQgetvalue(row, 0, 3), "system") == 0)   /* it may override a config */
		zs_config_override_changed(zs_tags_config(zs_call_service_data(call)),
		    PQgetvalue(row, 0, 4));
	PQclear(row);
	if (rv != 0) {
		zs_call_fail_status(call, st);
		return;
	}
	Zs__Tag__V1__DeleteTagResponse out = ZS__TAG__V1__DELETE_TAG_RESPONSE__INIT;
	closure(&out, closure_data);
}

/* Answers with the rows of r (all of them, or those listed in rows). */
static void
tag_api_answer_rows(zs_call *call, Zs__Tag__V1__ListTagsResponse_Closure closure,
    const PGresult *r, const int *rows, size_t n)
{
	Zs__Tag__V1__TagInfo *infos = calloc(n + 1, sizeof *infos);
	Zs__Tag__V1__TagInfo **ptrs = calloc(n + 1, sizeof *ptrs);
	if (infos == NULL || ptrs == NULL) {
		free(infos);
		free(ptrs);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		zs_tag_row_info(r, rows != NULL ? rows[i] : (int) i, &infos[i]);
		ptrs[i] = &infos[i];
	}
	Zs__Tag__V1__ListTagsResponse out = ZS__TAG__V1__LIST_TAGS_RESPONSE__INIT;
	out.tags = ptrs;
	out.n_tags = n;
	closure(&out, call);
	free(infos);
	free(ptrs);
}

static void
tag_api_list(Zs__Tag__V1__Tags_Service *svc, const Zs__Tag__V1__ListTagsRequest *in,
    Zs__Tag__V1__ListTagsResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_db_conn *c;
	if (in->resource_uuid[0] == '\0') {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "resource_uuid is required");
		return;
	}
	if (zs_db_acquire_for(zs_tags_db(zs_call_service_data(call)), call, &c) != 0)
		return;
	zs_status *st = NULL;
	PGresult *r = NULL;
	if (zs_resource_check(c, call, in->resource_uuid, NULL, NULL, 0, &st) == 0)
		r = zs_tag_store_list(c, in->resource_uuid, &st);
	zs_db_release(zs_tags_db(zs_call_service_data(call)), c);
	if (r == NULL) {
		zs_call_fail_status(call, st);
		return;
	}
	tag_api_answer_rows(call, closure, r, NULL, (size_t) PQntuples(r));
	PQclear(r);
}

/* Fills q from the request; 0, or -1 after failing the call. */
static int
tag_api_query_parse(zs_call *call, const Zs__Tag__V1__QueryTagsRequest *in, zs_tag_query *q)
{
	char why[256];
	if (in->tag[0] == '\0') {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "tag is required: a tag, or a pattern "
		    "such as qemu-img::version::{v}");
		return -1;
	}
	if (in->kind != ZS__TAG__V1__TAG_KIND__TAG_KIND_UNSPECIFIED &&
	    in->kind != ZS__TAG__V1__TAG_KIND__SYSTEM && in->kind != ZS__TAG__V1__TAG_KIND__USER) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "kind %d is neither SYSTEM nor USER", in->kind);
		return -1;
	}
	/* a text with {tokens} that is a well-formed pattern is one; anything else is a tag */
	q->tag = in->tag;
	q->is_pattern = zs_tag_pattern_has_tokens(in->tag) &&
	    zs_tag_pattern_check(in->tag, why, sizeof why) == 0;
	q->resource_type = in->resource_type;
	q->kind = in->kind == ZS__TAG__V1__TAG_KIND__SYSTEM ? "system" :
	    in->kind == ZS__TAG__V1__TAG_KIND__USER ? "user" : "";
	q->limit = in->limit == 0 ? TAG_QUERY_DEFAULT : in->limit > TAG_QUERY_MAX ? TAG_QUERY_MAX : in->limit;
	return 0;
}

static void
tag_api_query(Zs__Tag__V1__Tags_Service *svc, const Zs__Tag__V1__QueryTagsRequest *in,
    Zs__Tag__V1__ListTagsResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_tag_query q;
	zs_db_conn *c;
	if (tag_api_query_parse(call, in, &q) != 0 || zs_db_acquire_for(zs_tags_db(zs_call_service_data(call)), call, &c) != 0)
		return;
	zs_status *st = NULL;
	int *rows = NULL;
	size_t n = 0;
	PGresult *r = zs_tag_store_query(c, call, &q, &rows, &n, &st);
	zs_db_release(zs_tags_db(zs_call_service_data(call)), c);
	if (r == NULL) {
		zs_call_fail_status(call, st);
		return;
	}
	tag_api_answer_rows(call, closure, r, rows, n);
	free(rows);
	PQclear(r);
}

static int
tag_api_pattern_cmp(const void *a, const void *b)
{
	const zs_tag_pattern *x = *(const zs_tag_pattern *const *) a;
	const zs_tag_pattern *y = *(const zs_tag_pattern *const *) b;
	int c = strcmp(x->resource_type, y->resource_type);
	return c != 0 ? c : strcmp(x->pattern, y->pattern);
}

static void
tag_api_list_patterns(Zs__Tag__V1__Tags_Service *svc, const Zs__Tag__V1__ListPatternsRequest *in,
    Zs__Tag__V1__ListPatternsResponse_Closure closure, void *closure_data)
{
	(void) svc;
	(void) in;
	zs_call *call = closure_data;
	const zs_tags *tags = ((zs_tags *) zs_call_service_data(call));
	size_t n = zs_tags_len(tags);
	const zs_tag_pattern **sorted = calloc(n + 1, sizeof *sorted);
	Zs__Tag__V1__TagPattern *items = calloc(n + 1, sizeof *items);
	Zs__Tag__V1__TagPattern **ptrs = calloc(n + 1, sizeof *ptrs);
	if (sorted == NULL || items == NULL || ptrs == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	} else {
		for (size_t i = 0; i < n; i++)
			sorted[i] = zs_tags_at(tags, i);
		qsort(sorted, n, sizeof *sorted, tag_api_pattern_cmp);
		for (size_t i = 0; i < n; i++) {
			zs__tag__v1__tag_pattern__init(&items[i]);
			items[i].pattern = sorted[i]->pattern;
			items[i].resource_type = sorted[i]->resource_type;
			items[i].description = sorted[i]->description;
			items[i].service = sorted[i]->service;
			ptrs[i] = &items[i];
		}
		Zs__Tag__V1__ListPatternsResponse out = ZS__TAG__V1__LIST_PATTERNS_RESPONSE__INIT;
		out.patterns = ptrs;
		out.n_patterns = n;
		closure(&out, closure_data);
	}
	free(sorted);
	free(items);
	free(ptrs);
}

static const Zs__Tag__V1__Tags_Service tag_api = ZS__TAG__V1__TAGS__INIT(tag_api_);

const ProtobufCService *
zs_tag_api_service(void)
{
	return &tag_api.base;
}
