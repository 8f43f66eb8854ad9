/*
 * zs_query_call.c: a Query<X> call answered whole: the request built over a table as the
 * call's account, run on a pooled connection, its rows filled by column name into Infos
 * (strings, integers, booleans, enums by their value's name in any case: "RUNNING",
 * "system", and timestamptz columns as google.protobuf.Timestamp), the Infos and the count put into the method's response. Used by the
 * resource kit and by the node's own modules (jobs, tags, accounts).
 */
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>

#include "zs_db.h"
#include "zs_query_impl.h"

/* The enum value of f whose name is text in any case; false when none is. */
static bool
call_enum(const ProtobufCFieldDescriptor *f, const char *text, int *out)
{
	const ProtobufCEnumDescriptor *e = f->descriptor;
	for (unsigned i = 0; e != NULL && i < e->n_values; i++)
		if (strcasecmp(e->values[i].name, text) == 0) {
			*out = e->values[i].value;
			return true;
		}
	return false;
}

void
zs_query_fill(const PGresult *r, int i, ProtobufCMessage *m)
{
	char *base = (char *) m;
	for (int j = 0; j < PQnfields(r); j++) {
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, PQfname(r, j));
		if (f == NULL || f->label == PROTOBUF_C_LABEL_REPEATED ||
		    (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0 || PQgetisnull(r, i, j))
			continue;
		char *v = PQgetvalue(r, i, j);
		void *at = base + f->offset;
		int e;
		switch (f->type) {
		case PROTOBUF_C_TYPE_STRING: *(char **) at = v; break;
		case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
			*(int64_t *) at = strtoll(v, NULL, 10); break;
		case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
			*(uint64_t *) at = strtoull(v, NULL, 10); break;
		case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
			*(int32_t *) at = (int32_t) strtol(v, NULL, 10); break;
		case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
			*(uint32_t *) at = (uint32_t) strtoul(v, NULL, 10); break;
		case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *) at = v[0] == 't'; break;
		case PROTOBUF_C_TYPE_ENUM:
			if (call_enum(f, v, &e))
				*(int *) at = e;
			break;
		case PROTOBUF_C_TYPE_MESSAGE:
			if (f->descriptor == &google__protobuf__timestamp__descriptor)
				*(Google__Protobuf__Timestamp **) at = zs_db_time(r, i, j);
			break;
		default: break;
		}
	}
}

/* Sets the first field of m that is a message of type d, repeated, to items; and the
 * uint64 "total" when has_total. */
static void
call_set(ProtobufCMessage *m, const ProtobufCMessageDescriptor *d, void **items, size_t n,
    bool has_total, uint64_t total)
{
	char *base = (char *) m;
	bool done = false;
	for (unsigned i = 0; i < m->descriptor->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &m->descriptor->fields[i];
		if (!done && f->type == PROTOBUF_C_TYPE_MESSAGE && f->descriptor == d &&
		    f->label == PROTOBUF_C_LABEL_REPEATED) {
			*(size_t *) (void *) (base + f->quantifier_offset) = n;
			*(void ***) (void *) (base + f->offset) = items;
			done = true;
		} else if (has_total && f->type == PROTOBUF_C_TYPE_UINT64 &&
		    f->label != PROTOBUF_C_LABEL_REPEATED && strcasecmp(f->name, "total") == 0) {
			*(uint64_t *) (void *) (base + f->offset) = total;
		}
	}
}

/* Answers a group_by: the rows of r as QueryGroups (value, count) in the response's
 * repeated QueryGroup field, and the number of groups when asked. */
static void
call_groups(zs_call *call, const zs_query_table *t, const zs_query_result *r,
    const ProtobufCMessageDescriptor *out_desc, ProtobufCClosure closure)
{
	Zs__Resource__V1__QueryGroup *groups = calloc(r->n + 1, sizeof *groups);
	void **ptrs = calloc(r->n + 1, sizeof *ptrs);
	ProtobufCMessage *out = calloc(1, out_desc->sizeof_message);
	int value = PQfnumber(r->rows, "zs_value"), count = PQfnumber(r->rows, "zs_count");
	if (groups == NULL || ptrs == NULL || out == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory answering %zu groups of "
		    "%ss", r->n, t->what);
	} else if (r->n > 0 && (value < 0 || count < 0)) {
		zs_call_fail(call, ZS_INTERNAL, NULL, "a %s group query answered no zs_value, zs_count",
		    t->what);
	} else {
		out_desc->message_init(out);
		for (size_t i = 0; i < r->n; i++) {
			zs__resource__v1__query_group__init(&groups[i]);
			groups[i].is_null = PQgetisnull(r->rows, (int) i, value);
			if (!groups[i].is_null)
				groups[i].value = PQgetvalue(r->rows, (int) i, value);
			groups[i].count = strtoull(PQgetvalue(r->rows, (int) i, count), NULL, 10);
			ptrs[i] = &groups[i];
		}
		call_set(out, &zs__resource__v1__query_group__descriptor, ptrs, r->n, r->has_total,
		    r->total);
		closure(out, call);
	}
	free(out);
	free(groups);
	free(ptrs);
}

/* Whether d has a repeated field of messages of type item. */
static bool
call_has_list(const ProtobufCMessageDescriptor *d, const ProtobufCMessageDescriptor *item)
{
	for (unsigned i = 0; i < d->n_fields; i++)
		if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE && d->fields[i].descriptor == item &&
		    d->fields[i].label == PROTOBUF_C_LABEL_REPEATED)
			return true;
	return false;
}

/* Answers with the rows of r as Infos of type info, in a new message of out_desc. */
static void
call_answer(zs_call *call, const zs_query_table *t, const zs_query_result *r,
    const ProtobufCMessageDescriptor *info, const ProtobufCMessageDescriptor *out_desc,
    ProtobufCClosure closure)
{
	size_t size = info->sizeof_message;
	char *infos = calloc(r->n + 1, size);
	void **ptrs = calloc(r->n + 1, sizeof *ptrs);
	ProtobufCMessage *out = calloc(1, out_desc->sizeof_message);
	if (infos == NULL || ptrs == NULL || out == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory answering %zu %ss",
		    r->n, t->what);
	} else {
		out_desc->message_init(out);
		for (size_t i = 0; i < r->n; i++) {
			ptrs[i] = infos + i * size;
			info->message_init(ptrs[i]);
			zs_query_fill(r->rows, (int) i, ptrs[i]);
		}
		call_set(out, info, ptrs, r->n, r->has_total, r->total);
		closure(out, call);
	}
	free(out);
	free(infos);
	free(ptrs);
}

void
zs_query_call(zs_call *call, zs_db *db, const zs_query_table *t, uint32_t limit_max,
    const ProtobufCMessage *in, const ProtobufCMessageDescriptor *info,
    const ProtobufCMessageDescriptor *out_desc, ProtobufCClosure closure)
{
	if (in->descriptor != &zs__resource__v1__query_request__descriptor) {
		zs_call_fail(call, ZS_INTERNAL, NULL, "a %s query got a %s, not a QueryRequest",
		    t->what, in->descriptor->name);
		return;
	}
	const Zs__Resource__V1__QueryRequest *q = (const Zs__Resource__V1__QueryRequest *) in;
	if (q->group_by != NULL && q->group_by[0] != '\0' &&
	    !call_has_list(out_desc, &zs__resource__v1__query_group__descriptor)) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "group_by: a %s query does not answer "
		    "groups", t->what);
		return;
	}
	zs_query_stmt s;
	zs_status *st = NULL;
	if (limit_max == 0)
		limit_max = zs_db_query_limit(db);
	if (zs_query_build(t, (const Zs__Resource__V1__QueryRequest *) in, zs_call_admin(call),
	    zs_call_account(call), limit_max, &s, &st) != 0) {
		zs_call_fail_status(call, st);
		return;
	}
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
		zs_call_fail_status(call, st);
		return;
	}
	if (r.grouped)
		call_groups(call, t, &r, out_desc, closure);
	else
		call_answer(call, t, &r, info, out_desc, closure);
	zs_query_result_free(&r);
}
