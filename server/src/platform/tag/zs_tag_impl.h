/*
 * zs_tag_impl.h: the tags platform module inside the node: the registry of system tag
 * patterns (zs_tag.c), the tag store in zs_tags (zs_tag_store.c) and the
 * zs.tag.v1.Tags service (zs_tag_api.c). Internal; services use zs/tag.h.
 *
 * The registry is filled while the node starts (platform modules' declare hooks call
 * zs_tag_declare_pattern; the module's start adds every plugin's <systemTag> and the
 * patterns config overrides imply), checked (two patterns on one resource type that
 * can match the same tag stop the start), then read only: no lock.
 */
#ifndef ZS_TAG_IMPL_H
#define ZS_TAG_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "zs/call.h"
#include "zs/db.h"
#include "zs/event.h"
#include "zs/tag.h"
#include "zs/tag/v1/tag.pb-c.h"
#include "zs_config_impl.h"
#include "zs_plugin.h"
#include "zs_rpc.h"

/* What the module is made with; borrowed for its life. */
typedef struct zs_tags_env {
	zs_rpc *rpc;                 /* routes the Tags API */
	zs_config *config;           /* the patterns config overrides imply */
	zs_plugins *plugins;         /* their <systemTag>s */
	zs_events *events;           /* tag/created, tag/deleted */
} zs_tags_env;

typedef struct zs_tag_pattern {
	char *resource_type;     /* "Host" */
	char *pattern;           /* "qemu-img::version::{version}" */
	char *description;       /* "" when none */
	char *service;           /* who declared it: a plugin id, or a platform module */
	char *where;             /* "path:line" of a descriptor, or "" */
} zs_tag_pattern;

/* Declares a system tag pattern from a platform module (before the module starts).
 * 0; -1 (logged) when the resource type or pattern is malformed, it is declared twice,
 * or the registry is already sealed. */
int zs_tag_declare_pattern(zs_tags *tags, const char *resource_type, const char *pattern,
    const char *description, const char *service);

/* The platform module: made, it routes the Tags API; started, it reads every pattern
 * (plugins', config overrides') and checks they do not overlap. */
int zs_tags_new(zs_tags **out, const zs_tags_env *env, char *err, size_t errlen);
int zs_tags_start(zs_tags *tags, zs_db *db, char *err, size_t errlen);
void zs_tags_free(zs_tags *tags);
/* The zs.tag.v1.Tags service table (zs_tag_api.c): constant, the router only reads it. */
const ProtobufCService *zs_tag_api_service(void);

/* ---- registry (zs_tag.c) ---- */

size_t zs_tags_len(const zs_tags *tags);
/* The pool (NULL before start) and the event publisher the module was given. */
zs_db *zs_tags_db(const zs_tags *tags);
zs_events *zs_tags_events(const zs_tags *tags);
zs_config *zs_tags_config(const zs_tags *tags);
const zs_tag_pattern *zs_tags_at(const zs_tags *tags, size_t i);
/* The pattern declared for resource_type that matches tag, or NULL. */
const zs_tag_pattern *zs_tags_find(const zs_tags *tags, const char *resource_type, const char *tag);
/* INVALID_ARGUMENT saying why tag is no system tag of resource_type: the patterns of other
 * types it matches, and the patterns of that type. Caller frees. */
zs_status *zs_tags_explain(const zs_tags *tags, const char *resource_type, const char *tag);

/* ---- store (zs_tag_store.c) ----
 * Results are PGresults of tag rows (ZS_TAG_COLUMNS); zs_tag_row_info points a TagInfo
 * into one, so it lives as long as the result. */

void zs_tag_row_info(const PGresult *r, int row, Zs__Tag__V1__TagInfo *out);
/* Writes topic ("tag/created") with each row of r as a TagInfo into the outbox, in c's
 * transaction (kept for Replay by the tag's owner). 0 or the database's code with *st. */
int zs_tag_publish_rows(const zs_tags *tags, zs_db_conn *c, const char *topic,
    const PGresult *r, zs_status **st);

/* A user tag on a resource (the caller checked it may see it). *row: the new tag. */
int zs_tag_store_user(zs_db_conn *c, const char *resource_uuid, const char *tag,
    const char *owner_uuid, PGresult **row, zs_status **st);
/* A system tag, validated against the registry, in c's transaction or its own (*own
 * tells which). replace: the resource's tag of the same pattern goes (its row in
 * *replaced, may be empty); else it makes ALREADY_EXISTS. owner_uuid NULL: the
 * resource's owner. *created: the new tag (no rows when it was already there). */
int zs_tag_store_system(zs_db_conn *c, const zs_tags *tags, const char *resource_uuid,
    const char *tag, const char *owner_uuid, bool replace, PGresult **created,
    PGresult **replaced, bool *own, zs_status **st);
/* The tag uuid if the call may see its resource (one row plus the resource's owner as
 * the last column), else NOT_FOUND. */
int zs_tag_store_get(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    zs_status **st);
/* Removes a tag; NOT_FOUND when it is gone already. */
int zs_tag_store_delete(zs_db_conn *c, const char *uuid, zs_status **st);
/* The tags of a resource, oldest first. */
PGresult *zs_tag_store_list(zs_db_conn *c, const char *resource_uuid, zs_status **st);

/* A query: exact tag, or a pattern (when tag is one); filters empty when unused. */
typedef struct zs_tag_query {
	const char *tag;
	bool is_pattern;
	const char *resource_type;
	const char *kind;            /* "system", "user" or "" */
	size_t limit;
} zs_tag_query;

/* Tags matching q on resources the call may see, oldest first, at most q->limit.
 * *rows (caller frees with free()) holds the indexes into the result that match. */
PGresult *zs_tag_store_query(zs_db_conn *c, const zs_call *call, const zs_tag_query *q,
    int **rows, size_t *n, zs_status **st);

/* QueryTag (zs_tag_query.c), a handler of the Tags API. */
void tag_api_query_tag(Zs__Tag__V1__Tags_Service *svc, const Zs__Resource__V1__QueryRequest *in,
    Zs__Tag__V1__QueryTagResponse_Closure closure, void *closure_data);

#endif
