/*
 * inv_query.c: inv_q, a Query<X> call of any resource for the suites (inv_query.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "inv_query.h"
#include "zs/resource/v1/resource.pb-c.h"

#define INVQ_CONDS 8

invq
inv_q(inv *t, const char *s, const char *method, const ProtobufCMessageDescriptor *d,
    int flags, ...)
{
	invq r;
	memset(&r, 0, sizeof r);
	Zs__Resource__V1__QueryCondition conds[INVQ_CONDS], *ptrs[INVQ_CONDS];
	Zs__Resource__V1__QueryRequest req = ZS__RESOURCE__V1__QUERY_REQUEST__INIT;
	va_list ap;
	va_start(ap, flags);
	const char *name;
	while (req.n_conditions < INVQ_CONDS && (name = va_arg(ap, const char *)) != NULL) {
		Zs__Resource__V1__QueryCondition *c = &conds[req.n_conditions];
		zs__resource__v1__query_condition__init(c);
		c->name = (char *) name;
		c->op = (char *) va_arg(ap, const char *);
		c->value = (char *) va_arg(ap, const char *);
		ptrs[req.n_conditions++] = c;
	}
	va_end(ap);
	req.conditions = ptrs;
	req.count = (flags & INVQ_COUNT) != 0;
	req.reply_with_count = (flags & INVQ_WITH_COUNT) != 0;
	ProtobufCMessage *out = NULL;
	r.code = inv_call(t, s, method, &req, d, &out);
	if (r.code != 0 || out == NULL)
		return r;
	const ProtobufCFieldDescriptor *inv = protobuf_c_message_descriptor_get_field_by_name(d,
	    "inventories");
	const ProtobufCFieldDescriptor *tot = protobuf_c_message_descriptor_get_field_by_name(d,
	    "total");
	if (tot != NULL)
		r.total = *(const uint64_t *) (const void *) ((const char *) out + tot->offset);
	if (inv != NULL) {
		r.n = *(const size_t *) (const void *) ((const char *) out + inv->quantifier_offset);
		ProtobufCMessage *const *rows = *(ProtobufCMessage *const *const *) (const void *)
		    ((const char *) out + inv->offset);
		for (size_t i = 0; i < r.n && i < INVQ_ROWS; i++) {
			const ProtobufCFieldDescriptor *u = protobuf_c_message_descriptor_get_field_by_name(
			    rows[i]->descriptor, "uuid");
			const char *v = u != NULL ? *(const char *const *) (const void *)
			    ((const char *) rows[i] + u->offset) : NULL;
			if (v != NULL)
				snprintf(r.uuids[i], sizeof r.uuids[i], "%s", v);
		}
	}
	zs_reply_free(out);
	return r;
}

bool
invq_has(const invq *r, const char *uuid)
{
	for (size_t i = 0; i < r->n && i < INVQ_ROWS; i++)
		if (strcmp(r->uuids[i], uuid) == 0)
			return true;
	return false;
}
