/*
 * zs_rkit.h: what the resource kit's files share (not a public header): reading and
 * filling messages through their descriptors (zs_rkit_msg.c) and the store, each
 * operation in its transaction (zs_rkit_store.c), and statuses (zs_rkit_fail.c). The
 * handlers are zs_rkit_api.c, Query's zs_rkit_query.c.
 */
#ifndef ZS_RKIT_H
#define ZS_RKIT_H

#include "zs/cascade.h"
#include "zs/resource_kit.h"

/* ---- zs_rkit_msg.c ---- */

/* The string field called name of m; NULL when m has none or it is an unset oneof
 * member. Points into m. */
const char *zs_rkit_msg_string(const ProtobufCMessage *m, const char *name);
/* The scalar field called name of m written as text into buf (size bytes; texts point
 * into m instead); NULL when m has no such field or it does not fit. */
const char *zs_rkit_msg_text(const ProtobufCMessage *m, const char *name, char *buf,
    size_t size);
/* A new message of type d (caller frees with zs_rkit_msg_free), or NULL. */
ProtobufCMessage *zs_rkit_msg_new(const ProtobufCMessageDescriptor *d);
/* Frees what zs_rkit_msg_new made; not what its fields point to. */
void zs_rkit_msg_free(ProtobufCMessage *m);
/* Sets m's first field that is a message of type d (singular: items[0]; repeated: all n)
 * to items, which must outlive m. 0, or -1 when m has no such field. */
int zs_rkit_msg_set(ProtobufCMessage *m, const ProtobufCMessageDescriptor *d, void **items,
    size_t n);

/* ---- zs_rkit_store.c ---- */

/* What one call asks the store for; strings are the request's. */
typedef struct zs_rkit_req {
	const char *uuid, *name, *description, *parent;
	const char *extra[ZS_RKIT_EXTRA_MAX];
	size_t n_fields;                 /* extra[0..n_fields) are def->create_fields */
	char field_buf[ZS_RKIT_EXTRA_MAX][24];
} zs_rkit_req;

/* Each returns 0 with the resource's row in *row or rows in *rows (caller PQclear()s),
 * or a canonical code with *st (caller frees). */
int zs_rkit_store_create(const zs_rkit_def *def, zs_db_conn *c, const zs_call *call,
    const zs_rkit_req *q, PGresult **row, zs_status **st);
int zs_rkit_store_get(const zs_rkit_def *def, zs_db_conn *c, const zs_call *call,
    const char *uuid, PGresult **row, zs_status **st);
int zs_rkit_store_list(const zs_rkit_def *def, zs_db_conn *c, const zs_call *call,
    const char *parent, PGresult **rows, zs_status **st);
int zs_rkit_store_update(const zs_rkit_def *def, zs_db_conn *c, const zs_call *call,
    const zs_rkit_req *q, PGresult **row, zs_status **st);
/* *below: what went with it (uuid, type, name; parents first); cs (may be NULL): the
 * cascade run before (zs/cascade.h), checked in the transaction, whose refs the deleted
 * event lists too. */
int zs_rkit_store_delete(const zs_rkit_def *def, zs_db_conn *c, const zs_call *call,
    const char *uuid, zs_cascade *cs, PGresult **row, PGresult **below, zs_status **st);

/* ---- zs_rkit_query.c ---- */

/* The Query<X> handler: answers a message of out_desc, or fails the call. */
void zs_rkit_query(const zs_rkit_def *def, zs_call *call, const ProtobufCMessage *in,
    ProtobufCClosure closure, const ProtobufCMessageDescriptor *out_desc);

/* ---- zs_rkit_fail.c ---- */

/* Hands made to *st when st is not NULL, else frees it; returns code. */
int zs_rkit_status_out(zs_status **st, zs_status *made, int code);

#endif
