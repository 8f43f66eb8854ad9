/*
 * zs_pbstr.c: finding a NUL inside a string field of an encoded protobuf message (see
 * zs_pbstr.h). One pass over the wire format: a length-delimited field is looked up in
 * its message's descriptor; a string is searched for a NUL, a message is walked the same
 * way, anything else is skipped. Unknown fields are skipped too.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "zs_pbstr.h"

#define PBSTR_MAX_DEPTH 64     /* deeper than any message of the API; deeper is not walked */
#define PBSTR_PATH_MAX 256

typedef struct pbstr_walk {
	char path[PBSTR_PATH_MAX];
	size_t path_len;
	char *err;
	size_t errlen;
} pbstr_walk;

/* Reads a varint at *pos; false when it runs past len or is over 10 bytes. */
static bool
pbstr_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 70 && *pos < len; shift += 7) {
		uint8_t b = p[(*pos)++];
		v |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*out = v;
			return true;
		}
	}
	return false;
}

static int
pbstr_message(pbstr_walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
    int depth)
{
	size_t pos = 0;
	while (pos < len) {
		uint64_t tag, n;
		if (!pbstr_varint(p, len, &pos, &tag))
			return 0;   /* not ours to judge: the unpack said what is malformed */
		switch (tag & 7) {
		case 0:
			if (!pbstr_varint(p, len, &pos, &n))
				return 0;
			continue;
		case 1:
			pos += 8;
			continue;
		case 5:
			pos += 4;
			continue;
		case 2:
			break;
		default:
			return 0;
		}
		if (!pbstr_varint(p, len, &pos, &n) || n > len - pos)
			return 0;
		const uint8_t *v = p + pos;
		pos += (size_t) n;
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field(d, (unsigned) (tag >> 3));
		if (f == NULL)
			continue;
		if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		size_t old = w->path_len;
		int k = snprintf(w->path + old, sizeof w->path - old, "%s%s", old ? "." : "", f->name);
		w->path_len = k < 0 || (size_t) k >= sizeof w->path - old ? sizeof w->path - 1 : old + (size_t) k;
		int rv = 0;
		if (f->type == PROTOBUF_C_TYPE_STRING && memchr(v, 0, (size_t) n) != NULL) {
			snprintf(w->err, w->errlen, "string field %s holds a NUL character", w->path);
			rv = -1;
		} else if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth < PBSTR_MAX_DEPTH) {
			rv = pbstr_message(w, f->descriptor, v, (size_t) n, depth + 1);
		}
		w->path_len = old;
		w->path[old] = '\0';
		if (rv != 0)
			return rv;
	}
	return 0;
}

int
zs_pbstr_check(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
    char *err, size_t errlen)
{
	pbstr_walk w = { .err = err, .errlen = errlen };
	if (d == NULL || data == NULL)
		return 0;
	return pbstr_message(&w, d, data, len, 0);
}
