/*
 * zs/query.h: the query engine behind every resource's Query call (ZStack's query API).
 * A resource declares once, as a static table, the fields a query may name: its own
 * (its Info's fields, each a SQL column of the resource's table) and its related
 * resources' by dot path ("cluster.name", "zone.name", "tags.tag"), each an EXISTS
 * subquery keyed on the row. From a zs.resource.v1.QueryRequest the engine builds one
 * parameterized statement: field names only from the table, every value a $n parameter
 * checked against its field's type, the account's visibility in the same statement.
 *
 *	static const zs_query_field host_fields[] = {
 *		{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
 *		{ "state", "t.state", ZS_QUERY_ENUM, host_states, NULL, NULL },
 *		{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
 *		{ "cluster.name", "r.name", ZS_QUERY_TEXT, NULL,
 *		  "SELECT 1 FROM cluster_clusters r WHERE r.uuid = t.cluster_uuid",
 *		  "r.owner_uuid" },
 *	};
 *	static const zs_query_table host_query = { "host", "host_hosts t", "t.owner_uuid",
 *	    "t.created_at", "t.uuid", host_fields, 4 };
 *
 *	zs_query_stmt s;
 *	if (zs_query_build(&host_query, req, admin, account, ZS_QUERY_LIMIT_MAX, &s, &st) != 0)
 *		return fail(st);		// INVALID_ARGUMENT saying what is wrong
 *	zs_query_result r;
 *	rv = zs_query_run(c, &s, &r, &st);	// r.n rows, r.total
 *	...
 *	zs_query_result_free(&r);
 *	zs_query_stmt_free(&s);
 *
 * What a query means:
 *  - conditions are AND-joined; a name is a declared field, as written in the table
 *    (proto field names: "zone_uuid", "cluster.zone_uuid") or in lowerCamel as the JSON
 *    mapping writes them ("zoneUuid", "cluster.zoneUuid");
 *  - ops: = != > >= < <= "in" "not in" (value: a comma-separated list, each item checked)
 *    "like" "not like" (text, uuid and enum fields; the value is a LIKE pattern) "is null"
 *    "is not null" (value unused); a time's value is RFC 3339 with its offset
 *    ("2026-01-01T00:00:00Z", "2026-01-01T08:00:00.25+08:00"), compared to the microsecond;
 *  - a dot path's condition holds when some related row matches it (EXISTS ... AND cond);
 *    "is null" on a dot path holds when there is no related row, "is not null" when
 *    there is one; with exists_owner, a normal account's related rows are its own only;
 *  - limit: ZS_QUERY_LIMIT_DEFAULT when unset; above limit_max it is INVALID_ARGUMENT
 *    (never silently cut); start skips rows; count answers only the count (and wins
 *    over reply_with_count);
 *    reply_with_count the rows and the count of all matches (in the same statement);
 *  - sort_by: an own field (default: the table's order), then the table's tiebreak, so
 *    pages are stable; sort_direction "asc" (default) or "desc", any case;
 *  - fields: only these own fields are selected (each row's other fields stay empty);
 *  - group_by: an own field (not a time): the rows become its values among the matches
 *    and their counts (zs_value, zs_count), ordered by value (sort_direction), paged by
 *    limit and start; count (and reply_with_count's total) counts the groups; fields
 *    and sort_by may then name only that field; the answer's repeated
 *    zs.resource.v1.QueryGroup field gets them;
 *  - a normal account matches only rows whose owner is its account (or, with the
 *    table's shared predicate, rows it holds for), even in a count; an admin matches all.
 * Everything wrong in a request is INVALID_ARGUMENT naming the field and the value; an
 * unknown name lists the valid ones.
 */
#ifndef ZS_QUERY_H
#define ZS_QUERY_H

#include "zs/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "zs/call.h"
#include "zs/db.h"
#include "zs/resource/v1/resource.pb-c.h"
#include "zs/status.h"

#define ZS_QUERY_LIMIT_DEFAULT 1000   /* rows when the request sets no limit */
#define ZS_QUERY_LIMIT_MAX 10000      /* the default of property query.limit.max */
#define ZS_QUERY_CONDITIONS_MAX 64    /* conditions in one request */
#define ZS_QUERY_IN_MAX 1000          /* items of one "in" or "not in" */
#define ZS_QUERY_VALUE_MAX 4096       /* bytes of one condition value */

/* A field's type: what its values must look like. */
typedef enum zs_query_type {
	ZS_QUERY_TEXT,      /* any text */
	ZS_QUERY_UUID,      /* a uuid ("=", "in", ... whole uuids; "like" takes a pattern) */
	ZS_QUERY_INT,       /* a decimal integer (int64) */
	ZS_QUERY_BOOL,      /* "true" or "false" */
	ZS_QUERY_TIME,      /* a timestamptz column, answered as a google.protobuf.Timestamp;
	                     * a value is RFC 3339 text: "2026-01-01T00:00:00Z" */
	ZS_QUERY_ENUM,      /* one of the field's values */
} zs_query_type;

/* One queryable field. SQL here is the program's own text, never a request's. */
typedef struct zs_query_field {
	const char *name;            /* "zone_uuid", or a dot path "cluster.name" */
	const char *sql;             /* its column: "t.zone_uuid"; a dot path's: "r.name" */
	zs_query_type type;
	const char *const *values;   /* ZS_QUERY_ENUM: the allowed values, NULL-terminated */
	/* A dot path: a subquery over the related table, keyed on the row (alias t), that
	 * the condition is ANDed into: "SELECT 1 FROM zone_zones r WHERE r.uuid = t.zone_uuid".
	 * NULL for an own field, which must be a field of the resource's Info. */
	const char *exists;
	/* A dot path's related owner column ("r.owner_uuid"): a normal account's condition
	 * then sees only related rows it owns. NULL: every related row counts. */
	const char *exists_owner;
} zs_query_field;

/* A resource as queries see it. */
typedef struct zs_query_table {
	const char *what;            /* "host": in messages */
	const char *from;            /* "host_hosts t": one table, aliased t (the page reads
	                              * it as t.*, so columns are t's) */
	const char *owner;           /* "t.owner_uuid"; NULL: only admins may query */
	const char *order;           /* the default sort key: "t.created_at" */
	const char *tiebreak;        /* after the sort key, for stable pages: "t.uuid" */
	const zs_query_field *fields;
	size_t n_fields;
	/* Rows every account matches besides its own: a predicate on t ("t.is_public AND
	 * t.status = 'Ready'"); NULL: none. Only with an owner. */
	const char *shared;
} zs_query_table;

/* A built statement: sql with n_params parameters ($1..$n). */
typedef struct zs_query_stmt {
	char *sql;                   /* owned */
	const char **params;         /* owned array; items point into the request or store */
	int n_params;
	bool count_only;             /* answers one row: zs_total */
	bool with_count;             /* rows carry zs_total (a row with zs_row NULL: none) */
	bool grouped;                /* group_by: rows are groups, zs_value and zs_count */
	char *store;                 /* owned: copies of split "in" lists */
} zs_query_stmt;

/* Builds the statement for q over t, as an admin or as account (a normal account sees
 * its own rows only). limit_max: the largest limit allowed (0: ZS_QUERY_LIMIT_MAX).
 * 0 with *out filled (free with zs_query_stmt_free), or INVALID_ARGUMENT (a request
 * that is wrong, the message saying what), PERMISSION_DENIED (a table without owner
 * asked by a normal account) or RESOURCE_EXHAUSTED, with *st (caller frees; st may be
 * NULL). Pure: touches no database, any thread. */
ZS_API int zs_query_build(const zs_query_table *t, const Zs__Resource__V1__QueryRequest *q,
    bool admin, const char *account, uint32_t limit_max, zs_query_stmt *out, zs_status **st);
/* Frees what zs_query_build made; again, or on a zeroed stmt, does nothing. */
ZS_API void zs_query_stmt_free(zs_query_stmt *s);

/* The rows of a run: row i (0 <= i < n) of rows holds the selected fields under their
 * names (zs_rkit_from_row reads them). */
typedef struct zs_query_result {
	PGresult *rows;              /* owned */
	size_t n;                    /* rows answered (none with count_only) */
	uint64_t total;              /* all matches (groups), with count_only or with_count */
	bool has_total;
	bool grouped;                /* rows are groups: zs_value (NULL for NULL), zs_count */
} zs_query_result;

/* Runs s on c. 0 with *out (free with zs_query_result_free), or the database's code with
 * *st (st may be NULL). Blocks: a worker thread. */
ZS_API int zs_query_run(zs_db_conn *c, const zs_query_stmt *s, zs_query_result *out,
    zs_status **st);
ZS_API void zs_query_result_free(zs_query_result *r);

/* Fills m (inited) from row i of r: each column into m's field of its name (strings
 * point into r, valid until PQclear; numbers and booleans parsed; enums by their value's
 * name in any case, "RUNNING" or "system"; a timestamptz into a google.protobuf.Timestamp
 * field, allocated in r with PQresultAlloc, so also valid until PQclear); NULLs and other
 * columns are left out. */
ZS_API void zs_query_fill(const PGresult *r, int i, ProtobufCMessage *m);

/* Answers a Query<X> call whole: in (a zs.resource.v1.QueryRequest) built over t as the
 * call's account (limit_max 0: the node's property query.limit.max), run on a
 * connection of db, each row filled into a message of type info (zs_query_fill), and
 * answered as a message of out_desc: its repeated field of type info gets the rows, its
 * uint64 "total" the count when one was asked for, its repeated QueryGroup field the
 * groups of a group_by (a response without one: INVALID_ARGUMENT). A failure fails the call (INVALID_ARGUMENT saying what is
 * wrong, or the database's code). On a worker thread. */
ZS_API void zs_query_call(zs_call *call, zs_db *db, const zs_query_table *t, uint32_t limit_max,
    const ProtobufCMessage *in, const ProtobufCMessageDescriptor *info,
    const ProtobufCMessageDescriptor *out_desc, ProtobufCClosure closure);

/* The field of t called name (as declared, or its lowerCamel form), or NULL. */
ZS_API const zs_query_field *zs_query_field_find(const zs_query_table *t, const char *name);

#endif
