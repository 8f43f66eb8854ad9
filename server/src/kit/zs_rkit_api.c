/*
 * zs_rkit_api.c: the kit's handlers. zs_rkit_invoke is the invoke of every kit service:
 * it runs the method's op from the service's zs_rkit_def: check the arguments, take a
 * pooled connection, do the work and write its event (zs_rkit_store.c), give the
 * connection back, answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/check.h"
#include "zs/node.h"
#include "zs_rkit.h"

const zs_rkit_op zs_rkit_crud[ZS_RKIT_CRUD_N] = {
	{ ZS_RKIT_CREATE, NULL }, { ZS_RKIT_GET, NULL }, { ZS_RKIT_LIST, NULL },
	{ ZS_RKIT_UPDATE, NULL }, { ZS_RKIT_DELETE, NULL }, { ZS_RKIT_QUERY, NULL },
};

/* Checks the texts of a create or an update (NULL: not given); false after failing. */
static bool
api_check_texts(const zs_rkit_def *def, zs_call *call, const char *name, const char *desc)
{
	return (name == NULL || zs_check_text(call, "name", name, def->name_max, ZS_TEXT_REQUIRED) == 0)
	    && (desc == NULL || zs_check_text(call, "description", desc, def->description_max,
	    ZS_TEXT_MULTILINE) == 0);
}

/* The uuid field of in, checked (required); NULL after failing the call. */
static const char *
api_uuid(zs_call *call, const ProtobufCMessage *in, const char *field)
{
	const char *v = zs_rkit_msg_string(in, field);
	return zs_check_uuid(call, field, v != NULL ? v : "") == 0 ? v : NULL;
}

/* The text field of in, or "" when in has none. */
static const char *
api_text(const ProtobufCMessage *in, const char *field)
{
	const char *v = zs_rkit_msg_string(in, field);
	return v != NULL ? v : "";
}

/* Fails the call with st (taken), a conflict of def's as its own code. */
static void
api_fail(const zs_rkit_def *def, zs_call *call, const ProtobufCMessage *in, zs_status *st)
{
	(void) zs_rkit_conflict_map(def, in, &st);
	zs_rkit_fail(call, st);
}

/* Answers with row 0 of row as def's Info; takes row. */
static void
api_answer_row(const zs_rkit_def *def, zs_call *call, PGresult *row, ProtobufCClosure closure)
{
	ProtobufCMessage *info = zs_rkit_msg_new(def->info);
	if (info == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory answering a %s",
		    def->what);
	} else {
		zs_rkit_from_row(row, 0, info);
		closure(info, call);
	}
	zs_rkit_msg_free(info);
	PQclear(row);
}

/* A create's or an update's work, checked, on a pooled connection (the store writes its
 * event in the transaction), then answered. */
static void
api_write(const zs_rkit_def *def, zs_call *call, const ProtobufCMessage *in,
    const zs_rkit_req *q, int (*store)(const zs_rkit_def *, zs_db_conn *, const zs_call *,
    const zs_rkit_req *, PGresult **, zs_status **), ProtobufCClosure closure)
{
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	PGresult *row;
	zs_status *st = NULL;
	int rv = store(def, c, call, q, &row, &st);
	zs_db_release(db, c);
	if (rv != 0)
		api_fail(def, call, in, st);
	else
		api_answer_row(def, call, row, closure);
}

/* q->extra[0..) from def->create_fields; false after failing the call. */
static bool
api_fields(const zs_rkit_def *def, zs_call *call, const ProtobufCMessage *in, zs_rkit_req *q)
{
	for (const char *const *f = def->create_fields; f != NULL && *f != NULL; f++) {
		if (q->n_fields + def->n_extra >= ZS_RKIT_EXTRA_MAX ||
		    (q->extra[q->n_fields] = zs_rkit_msg_text(in, *f,
		    q->field_buf[q->n_fields], sizeof q->field_buf[0])) == NULL) {
			zs_call_fail(call, ZS_INTERNAL, NULL, "the %s service's create field %s "
			    "cannot be passed on", def->what, *f);
			return false;
		}
		q->n_fields++;
	}
	return true;
}

static void
api_create(const zs_rkit_def *def, zs_call *call, const ProtobufCMessage *in,
    ProtobufCClosure closure)
{
	char uuid[ZS_UUID_LEN];
	zs_rkit_req q = { uuid, api_text(in, "name"), api_text(in, "description"), NULL, { NULL },
	    0, { { 0 } } };
	if (def->parent_field != NULL && (q.parent = api_uuid(call, in, def->parent_field)) == NULL)
		return;
	if (!api_check_texts(def, call, q.name, q.description) || !api_fields(def, call, in, &q) ||
	    (def->create_check != NULL && !def->create_check(call, in, q.extra + q.n_fields)))
		return;
	zs_resource_uuid(uuid);
	api_write(def, call, in, &q, zs_rkit_store_create, closure);
}

static void
api_get(const zs_rkit_def *def, zs_call *call, const ProtobufCMessage *in,
    ProtobufCClosure closure)
{
	const char *uuid = api_uuid(call, in, "uuid");
	if (uuid == NULL)
		return;
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	PGresult *row;
	zs_status *st = NULL;
	void *owned = NULL;
	ProtobufCMessage *info = NULL;
	int rv = zs_rkit_store_get(def, c, call, uuid, &row, &st);
	if (rv == 0 && (info = zs_rkit_msg_new(def->info)) == NULL)
		rv = zs_rkit_status_out(&st, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL,
		    "out of memory answering a %s", def->what), ZS_RESOURCE_EXHAUSTED);
	if (rv == 0)
		zs_rkit_from_row(row, 0, info);
	if (rv == 0 && def->get_more != NULL)
		rv = def->get_more(call, c, info, &owned, &st);
	zs_db_release(db, c);
	if (rv != 0)
		api_fail(def, call, in, st);
	else
		closure(info, call);
	zs_rkit_msg_free(info);
	free(owned);
	PQclear(row);
}

static void
api_list(const zs_rkit_def *def, zs_call *call, const ProtobufCMessage *in,
    ProtobufCClosure closure, const ProtobufCMessageDescriptor *out_desc)
{
	const char *parent = def->parent_field ? zs_rkit_msg_string(in, def->parent_field) : NULL;
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	PGresult *rows;
	zs_status *st = NULL;
	int rv = zs_rkit_store_list(def, c, call, parent && *parent ? parent : NULL, &rows, &st);
	zs_db_release(db, c);
	if (rv != 0) {
		api_fail(def, call, in, st);
		return;
	}
	size_t n = (size_t) PQntuples(rows), size = def->info->sizeof_message;
	char *infos = calloc(n + 1, size);
	void **ptrs = calloc(n + 1, sizeof *ptrs);
	ProtobufCMessage *out = zs_rkit_msg_new(out_desc);
	if (infos == NULL || ptrs == NULL || out == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory listing %zu %ss", n,
		    def->what);
	} else {
		for (size_t i = 0; i < n; i++) {
			ptrs[i] = infos + i * size;
			def->info->message_init(ptrs[i]);
			zs_rkit_from_row(rows, (int) i, ptrs[i]);
		}
		(void) zs_rkit_msg_set(out, def->info, ptrs, n);
		closure(out, call);
	}
	zs_rkit_msg_free(out);
	free(infos);
	free(ptrs);
	PQclear(rows);
}

static void
api_update(const zs_rkit_def *def, zs_call *call, const ProtobufCMessage *in,
    ProtobufCClosure closure)
{
	zs_rkit_req q = { api_uuid(call, in, "uuid"), zs_rkit_msg_string(in, "name"),
	    zs_rkit_msg_string(in, "description"), NULL, { NULL }, 0, { { 0 } } };
	if (q.uuid != NULL && api_check_texts(def, call, q.name,
	    q.description))
		api_write(def, call, in, &q, zs_rkit_store_update, closure);
}

/* A delete on its way: the cascade first (zs/cascade.h), then the transaction. */
typedef struct api_del {
	const zs_rkit_def *def;
	zs_call *call;
	const ProtobufCMessage *in;
	ProtobufCClosure closure;
	const ProtobufCMessageDescriptor *out_desc;
	char uuid[64];
} api_del;

/* On a worker, after the cascade's before: the delete's transaction, then the answer
 * with what went below it and from the side. */
static void
api_delete_cascaded(int code, zs_status *cst, zs_cascade *cs, void *arg)
{
	api_del *d = arg;
	const zs_rkit_def *def = d->def;
	zs_call *call = d->call;
	if (code != 0) {
		api_fail(def, call, d->in, cst);
		free(d);
		return;
	}
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c;
	if (zs_db_acquire_for(db, call, &c) != 0) {
		zs_cascade_free(cs);
		free(d);
		return;
	}
	PGresult *row, *below;
	zs_status *st = NULL;
	int rv = zs_rkit_store_delete(def, c, call, d->uuid, cs, &row, &below, &st);
	zs_db_release(db, c);
	if (rv != 0) {
		api_fail(def, call, d->in, st);
		zs_cascade_free(cs);
		free(d);
		return;
	}
	/* it is gone either way: without memory for the list, the answer goes without it */
	zs_resource_refs refs = { 0, NULL, NULL };
	(void) zs_cascade_refs(cs, below, &refs, NULL);
	ProtobufCMessage *out = zs_rkit_msg_new(d->out_desc);
	if (out == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory answering the delete "
		    "of %s %s", def->what, d->uuid);
	} else {
		(void) zs_rkit_msg_set(out, &zs__resource__v1__resource_ref__descriptor,
		    (void **) refs.ptrs, refs.n);
		d->closure(out, call);
	}
	zs_rkit_msg_free(out);
	zs_resource_refs_free(&refs);
	PQclear(row);
	PQclear(below);
	zs_cascade_free(cs);
	free(d);
}

static void
api_delete(const zs_rkit_def *def, zs_call *call, const ProtobufCMessage *in,
    ProtobufCClosure closure, const ProtobufCMessageDescriptor *out_desc)
{
	const char *uuid = api_uuid(call, in, "uuid");
	if (uuid == NULL)
		return;
	api_del *d = calloc(1, sizeof *d);
	if (d == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory deleting %s %s",
		    def->what, uuid);
		return;
	}
	*d = (api_del) { def, call, in, closure, out_desc, "" };
	snprintf(d->uuid, sizeof d->uuid, "%s", uuid);
	zs_cascade_begin(call, d->uuid, def->type, def->what, api_delete_cascaded, d);
}

void
zs_rkit_invoke(ProtobufCService *service, unsigned method_index,
    const ProtobufCMessage *input, ProtobufCClosure closure, void *closure_data)
{
	const zs_rkit_def *def = ((zs_rkit_service *) service)->def;
	zs_call *call = closure_data;
	if (method_index >= def->n_ops || method_index >= service->descriptor->n_methods) {
		zs_call_fail(call, ZS_UNIMPLEMENTED, NULL, "method %u of %s has no handler",
		    method_index, service->descriptor->name);
		return;
	}
	const ProtobufCMethodDescriptor *m = &service->descriptor->methods[method_index];
	switch (def->ops[method_index].kind) {
	case ZS_RKIT_CREATE: api_create(def, call, input, closure); break;
	case ZS_RKIT_GET: api_get(def, call, input, closure); break;
	case ZS_RKIT_LIST: api_list(def, call, input, closure, m->output); break;
	case ZS_RKIT_UPDATE: api_update(def, call, input, closure); break;
	case ZS_RKIT_DELETE: api_delete(def, call, input, closure, m->output); break;
	case ZS_RKIT_QUERY: zs_rkit_query(def, call, input, closure, m->output); break;
	case ZS_RKIT_CUSTOM: def->ops[method_index].custom(call, input, closure); break;
	}
}
