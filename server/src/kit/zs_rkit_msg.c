/*
 * zs_rkit_msg.c: the kit reads requests and fills answers of any resource service
 * through protobuf-c's descriptors, so that a service needs no handler of its own for
 * the usual methods.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "zs_rkit.h"

const char *
zs_rkit_msg_string(const ProtobufCMessage *m, const char *name)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
		return NULL;
	const char *base = (const char *) m;
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0 &&
	    *(const uint32_t *) (const void *) (base + f->quantifier_offset) != f->id)
		return NULL;
	return *(char *const *) (const void *) (base + f->offset);
}

const char *
zs_rkit_msg_text(const ProtobufCMessage *m, const char *name, char *buf, size_t size)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
	if (f == NULL || f->label == PROTOBUF_C_LABEL_REPEATED ||
	    (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0)
		return NULL;
	const void *at = (const char *) m + f->offset;
	int n;
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: return *(char *const *) at;
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
		n = snprintf(buf, size, "%" PRId64, *(const int64_t *) at); break;
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
		n = snprintf(buf, size, "%" PRIu64, *(const uint64_t *) at); break;
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		n = snprintf(buf, size, "%" PRId32, *(const int32_t *) at); break;
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
		n = snprintf(buf, size, "%" PRIu32, *(const uint32_t *) at); break;
	case PROTOBUF_C_TYPE_BOOL:
		n = snprintf(buf, size, "%s", *(const protobuf_c_boolean *) at ? "t" : "f"); break;
	default: return NULL;
	}
	return n > 0 && (size_t) n < size ? buf : NULL;
}

ProtobufCMessage *
zs_rkit_msg_new(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = calloc(1, d->sizeof_message);
	if (m != NULL)
		d->message_init(m);
	return m;
}

void
zs_rkit_msg_free(ProtobufCMessage *m)
{
	free(m);
}

int
zs_rkit_msg_set(ProtobufCMessage *m, const ProtobufCMessageDescriptor *d, void **items, size_t n)
{
	const ProtobufCMessageDescriptor *md = m->descriptor;
	char *base = (char *) m;
	for (unsigned i = 0; i < md->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &md->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->descriptor != d)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			*(size_t *) (void *) (base + f->quantifier_offset) = n;
			*(void ***) (void *) (base + f->offset) = items;
		} else {
			*(void **) (void *) (base + f->offset) = n > 0 ? items[0] : NULL;
		}
		return 0;
	}
	return -1;
}

void
zs_rkit_from_row(const PGresult *r, int i, ProtobufCMessage *m)
{
	zs_query_fill(r, i, m);
}
