/*
 * zs/resource_kit.h: the resource kit. A resource service (zone, cluster, host, ...)
 * describes its resource in one table, a zs_rkit_def: its type, its SQL, how a row
 * becomes its Info message, its unique constraints and any extra checks. The kit then
 * runs its Create/Get/List/Update/Delete methods, each the same way: check the
 * arguments, take a pooled connection, do the work in one transaction with visibility
 * from zs_resource_check and write WHAT/created, WHAT/updated or WHAT/deleted into the
 * outbox in that transaction, give the connection back, answer.
 *
 *	static const zs_rkit_def zone_def = { .type = "Zone", .what = "zone", ...,
 *	    .ops = zs_rkit_crud, .n_ops = ZS_RKIT_CRUD_N };
 *	ZS_EXPORT zs_rkit_service zone_service =
 *	    ZS_RKIT_SERVICE(&zs__zone__v1__zone__descriptor, &zone_def);
 *
 * The kit reads the requests by field name through their descriptors: "uuid" (Get,
 * Update, Delete), "name" and "description" (Create, and Update as proto3 optionals
 * written as oneofs), and def->parent_field (Create; List, where empty means all).
 * Query takes a zs.resource.v1.QueryRequest and runs it over def->query (zs/query.h) on
 * a pooled connection, as the call's account; its response's repeated Info field gets
 * the rows (only the fields asked for filled) and its "total" the count when asked;
 * limit is capped by property query.limit.max (a larger one is INVALID_ARGUMENT).
 * Answers: Create, Get and Update the Info; List the one repeated field of its response;
 * Delete its response, whose repeated zs.resource.v1.ResourceRef field (if any) lists
 * what went with the resource. Delete first runs the cascade (zs/cascade.h): what other
 * services keep that depends on the resource from the side (its VMs) is released before
 * the transaction, checked in it, and listed in the answer and the deleted event too. The deleted event's body is def->deleted_event (its Info
 * field and its ResourceRefs filled), or the Info when NULL.
 *
 * An event goes out after the commit and only then (zs_event_publish_tx): an event that
 * cannot be written fails the change with it, so no acknowledged change lacks its event.
 * It is kept for Replay by the resource's owner (the Info's owner_uuid) and admins.
 *
 * Threads: the kit's handlers block on the database, so the service's <api> must run on
 * the worker pool (the default; not executor="inline"). Everything here may be called
 * from any worker thread; a def is read only and shared by all calls.
 */
#ifndef ZS_RESOURCE_KIT_H
#define ZS_RESOURCE_KIT_H

#include "zs/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <protobuf-c/protobuf-c.h>
#include "zs/call.h"
#include "zs/db.h"
#include "zs/query.h"
#include "zs/resource.h"
#include "zs/service.h"

/* What the kit does for one method of the service. */
typedef enum zs_rkit_kind {
	ZS_RKIT_CREATE,
	ZS_RKIT_GET,
	ZS_RKIT_LIST,
	ZS_RKIT_UPDATE,
	ZS_RKIT_DELETE,
	ZS_RKIT_QUERY,       /* Query<X>: def->query over a zs.resource.v1.QueryRequest */
	ZS_RKIT_CUSTOM,      /* the service's own handler (op.custom) */
} zs_rkit_kind;

/* A handler of the service's own: answers once, through closure or zs_call_fail. */
typedef void (*zs_rkit_handler)(zs_call *call, const ProtobufCMessage *in,
    ProtobufCClosure closure);

typedef struct zs_rkit_op {
	zs_rkit_kind kind;
	zs_rkit_handler custom;     /* ZS_RKIT_CUSTOM only */
} zs_rkit_op;

/* The usual methods, in the usual order: Create, Get, List, Update, Delete, Query. */
#define ZS_RKIT_CRUD_N 6
extern ZS_API const zs_rkit_op zs_rkit_crud[ZS_RKIT_CRUD_N];

/* A unique constraint whose violation is answered ALREADY_EXISTS with the service's
 * error code and "BEFORE<value of field>AFTER", when the request has that field. */
typedef struct zs_rkit_conflict {
	const char *constraint;     /* "zone_zones_owner_name_key", as the migration names it */
	const char *error_code;     /* "ZONE.1001" */
	const char *field;          /* "name" */
	const char *before, *after; /* "a zone named \"", "\" already exists" */
} zs_rkit_conflict;

/* Room for the parameters a create hook adds. */
#define ZS_RKIT_EXTRA_MAX 4

typedef struct zs_rkit_def {
	const char *type;           /* "Cluster": the resource type in zs_resources */
	const char *what;           /* "cluster": in messages and topics */
	const char *parent_type;    /* "Zone", or NULL for a resource with no parent */
	const char *parent_what;    /* "zone" */
	const char *parent_field;   /* "zone_uuid": the request field naming the parent */
	size_t name_max;            /* bytes */
	size_t description_max;     /* bytes */

	/* SQL (the ZS_RKIT_SQL_* macros below write the usual), each answering rows whose
	 * column names are the Info's field names (zs_rkit_from_row):
	 *  get     $1 uuid; one row (also run with FOR UPDATE by Delete)
	 *  list    $1 admin ('t'/'f'), $2 the call's account, and with a parent type
	 *          $3 the parent's uuid or NULL; oldest first
	 *  insert  $1 uuid, $2 owner, $3 name, $4 description, with a parent type $5 the
	 *          parent's uuid, then create's extra parameters; RETURNING one row
	 *  update  $1 uuid, $2 name, $3 description (NULL: as it is); RETURNING one row */
	const char *sql_get, *sql_list, *sql_insert, *sql_update;
	const ProtobufCMessageDescriptor *info;     /* ZoneInfo */
	/* Optional, Create: checks what the kit does not (after uuid, name and description)
	 * and fills extra[0..n_extra) for sql_insert; false after failing the call. */
	bool (*create_check)(zs_call *call, const ProtobufCMessage *in, const char **extra);
	size_t n_extra;
	/* Optional, Create: names of scalar request fields (numbers, booleans, enums, texts)
	 * the kit passes to sql_insert as text after the parent, before create_check's
	 * extras; ends with NULL. At most ZS_RKIT_EXTRA_MAX with n_extra. */
	const char *const *create_fields;
	/* Optional, Get: adds to info on c; what it allocates it hands to *owned, freed
	 * with free() after the answer. 0 or a canonical code with *st. */
	int (*get_more)(zs_call *call, zs_db_conn *c, ProtobufCMessage *info, void **owned,
	    zs_status **st);
	const zs_rkit_conflict *conflicts;          /* ends with a { NULL } entry; may be NULL */
	const ProtobufCMessageDescriptor *deleted_event;  /* ZoneDeleted, or NULL */
	/* Query: the fields a query may name (zs/query.h), whose own fields are the Info's. */
	const zs_query_table *query;
	const zs_rkit_op *ops;      /* one per method of the proto service, in its order */
	size_t n_ops;
} zs_rkit_def;

/* The usual SQL of a resource in TABLE (uuid, owner_uuid, name, description, created_at,
 * updated_at, and PARENT naming its parent's uuid) whose Info's fields are COLS. */
#define ZS_RKIT_SQL_GET(table, cols) "SELECT " cols " FROM " table " WHERE uuid = $1"
#define ZS_RKIT_SQL_LIST(table, cols) \
	"SELECT " cols " FROM " table " WHERE $1::boolean OR owner_uuid = $2 " \
	"ORDER BY created_at, uuid"
#define ZS_RKIT_SQL_LIST_IN(table, parent, cols) \
	"SELECT " cols " FROM " table " WHERE ($1::boolean OR owner_uuid = $2) " \
	"AND ($3::text IS NULL OR " parent " = $3) ORDER BY created_at, uuid"
/* more_cols and more_values: the parent's and create's extra columns (", zone_uuid", ", $5"). */
#define ZS_RKIT_SQL_INSERT(table, more_cols, more_values, cols) \
	"INSERT INTO " table " (uuid, owner_uuid, name, description" more_cols ") " \
	"VALUES ($1, $2, $3, $4" more_values ") RETURNING " cols
#define ZS_RKIT_SQL_UPDATE(table, cols) \
	"UPDATE " table " SET name = COALESCE($2, name), description = COALESCE($3, " \
	"description), updated_at = now() WHERE uuid = $1 RETURNING " cols
/* The Info's times (google.protobuf.Timestamp create_date and last_op_date, ZStack's
 * createDate and lastOpDate) from the table's timestamptz columns. */
#define ZS_RKIT_SQL_TIMES "created_at AS create_date, updated_at AS last_op_date"

/* Fills m (inited) from row i of r: each column into the field of its name, as
 * zs_query_fill does (strings and Timestamps from timestamptz columns live in r, valid
 * until PQclear; numbers, booleans and enums parsed); NULLs and other columns are left
 * out. Any thread. */
ZS_API void zs_rkit_from_row(const PGresult *r, int i, ProtobufCMessage *m);

/* The object a service exports as its <api symbol>: a ProtobufCService whose invoke
 * runs def. */
typedef struct zs_rkit_service {
	ProtobufCService base;
	const zs_rkit_def *def;
} zs_rkit_service;

ZS_API void zs_rkit_invoke(ProtobufCService *service, unsigned method_index,
    const ProtobufCMessage *input, ProtobufCClosure closure, void *closure_data);

#define ZS_RKIT_SERVICE(service_descriptor, def) \
	{ { (service_descriptor), zs_rkit_invoke, NULL }, (def) }

/* Turns *st, when it is the violation of one of def's constraints, into that conflict's
 * ALREADY_EXISTS (value from in's field); returns (*st)->code. Any thread. */
ZS_API int zs_rkit_conflict_map(const zs_rkit_def *def, const ProtobufCMessage *in, zs_status **st);

/* Fails the call with st (taken): a status with a service error code, no details and no
 * cause is made again with zs_call_fail, which adds the code's declared description. */
ZS_API void zs_rkit_fail(zs_call *call, zs_status *st);

#endif
