/*
 * zs_rkit_query.c: the kit's Query<X> handler: a zs.resource.v1.QueryRequest over the
 * resource's query table (zs/query.h) as the call's account, on a pooled connection;
 * the rows become the response's Infos (only the fields asked for are selected, so only
 * those are filled) and the count its "total".
 */
#include <stdint.h>
#include <stdlib.h>

#include "zs/node.h"
#include "zs_rkit.h"

/* property query.limit.max (checked at the node's start) */
static uint32_t
query_limit_max(zs_call *call)
{
	const char *v = zs_node_property(zs_call_node(call), "query.limit.max");
	unsigned long long n = v != NULL ? strtoull(v, NULL, 10) : 0;
	return n > 0 && n <= UINT32_MAX ? (uint32_t) n : ZS_QUERY_LIMIT_MAX;
}

/* Sets m's uint64 field "total", if it has one. */
static void
query_set_total(ProtobufCMessage *m, uint64_t total)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "total");
	if (f != NULL && f->label != PROTOBUF_C_LABEL_REPEATED &&
	    (f->type == PROTOBUF_C_TYPE_UINT64 || f->type == PROTOBUF_C_TYPE_FIXED64))
		*(uint64_t *) (void *) ((char *) m + f->offset) = total;
}

/* Answers with the rows of r as def's Infos, into a new message of out_desc. */
static void
query_answer(const zs_rkit_def *def, zs_call *call, const zs_query_result *r,
    ProtobufCClosure closure, const ProtobufCMessageDescriptor *out_desc)
{
	size_t size = def->info->sizeof_message;
	char *infos = calloc(r->n + 1, size);
	void **ptrs = calloc(r->n + 1, sizeof *ptrs);
	ProtobufCMessage *out = zs_rkit_msg_new(out_desc);
	if (infos == NULL || ptrs == NULL || out == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory answering %zu %ss",
		    r->n, def->what);
	} else {
		for (size_t i = 0; i < r->n; i++) {
			ptrs[i] = infos + i * size;
			def->info->message_init(ptrs[i]);
			zs_rkit_from_row(r->rows, (int) i, ptrs[i]);
		}
		(void) zs_rkit_msg_set(out, def->info, ptrs, r->n);
		if (r->has_total)
			query_set_total(out, r->total);
		closure(out, call);
	}
	zs_rkit_msg_free(out);
	free(infos);
	free(ptrs);
}

void
zs_rkit_query(const zs_rkit_def *def, zs_call *call, const ProtobufCMessage *in,
    ProtobufCClosure closure, const ProtobufCMessageDescriptor *out_desc)
{
	if (def->query == NULL || in->descriptor != &zs__resource__v1__query_request__descriptor) {
		zs_call_fail(call, ZS_UNIMPLEMENTED, NULL, "%ss have no query table", def->what);
		return;
	}
	zs_query_stmt s;
	zs_status *st = NULL;
	if (zs_query_build(def->query, (const Zs__Resource__V1__QueryRequest *) in,
	    zs_call_admin(call), zs_call_account(call), query_limit_max(call), &s, &st) != 0) {
		zs_call_fail_status(call, st);
		return;
	}
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c;
	if (zs_db_acquire_for(db, call, &c) != 0) {
		zs_query_stmt_free(&s);
		return;
	}
	zs_query_result r;
	int rv = zs_query_run(c, &s, &r, &st);
	zs_db_release(db, c);
	zs_query_stmt_free(&s);
	if (rv != 0) {
		zs_rkit_fail(call, st);
		return;
	}
	query_answer(def, call, &r, closure, out_desc);
	zs_query_result_free(&r);
}
