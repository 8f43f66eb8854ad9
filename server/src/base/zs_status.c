/* zs_status.c: building, copying and freeing call statuses (zs/status.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/status.h"
#include "zs_utf8.h"

const char *
zs_status_code_name(int code)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&zs__rpc__v1__code__descriptor, code);
	return v != NULL ? v->name : "UNKNOWN";
}

zs_status *
zs_status_newv(int code, const char *error_code, const char *fmt, va_list ap)
{
	zs_status *st = malloc(sizeof *st);
	if (st == NULL)
		return NULL;
	zs__rpc__v1__status__init(st);
	st->code = (Zs__Rpc__V1__Code) code;
	if (vasprintf(&st->message, fmt, ap) < 0)
		st->message = NULL;
	/* a string field must be UTF-8 (protobuf, JSON); a message quoting the caller's bytes,
	 * or cut short inside a character, need not be */
	else
		zs_utf8_scrub(st->message);
	st->error_code = strdup(error_code != NULL ? error_code : "");
	st->description = strdup("");
	if (st->message == NULL || st->error_code == NULL || st->description == NULL) {
		zs_status_free(st);
		return NULL;
	}
	return st;
}

zs_status *
zs_status_new(int code, const char *error_code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	zs_status *st = zs_status_newv(code, error_code, fmt, ap);
	va_end(ap);
	return st;
}

zs_status *
zs_status_copy(const zs_status *st)
{
	size_t len = protobuf_c_message_get_packed_size(&st->base);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		return NULL;
	protobuf_c_message_pack(&st->base, buf);
	zs_status *copy = zs__rpc__v1__status__unpack(NULL, len, buf);
	free(buf);
	return copy;
}

void
zs_status_set_cause(zs_status *st, zs_status *cause)
{
	while (st->cause != NULL)
		st = st->cause;
	st->cause = cause;
}

void
zs_status_add_detail(zs_status *st, const char *fmt, ...)
{
	char *line;
	va_list ap;
	va_start(ap, fmt);
	int rv = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (rv < 0)
		return;
	char **d = realloc(st->details, (st->n_details + 1) * sizeof *d);
	if (d == NULL) {
		free(line);
		return;
	}
	d[st->n_details++] = line;
	st->details = d;
}

void
zs_status_free(zs_status *st)
{
	/* Statuses built here and unpacked ones share one layout: strings, the details
	 * array and the cause are all malloc'd, so protobuf-c's free fits both. */
	if (st != NULL)
		protobuf_c_message_free_unpacked(&st->base, NULL);
}

void
zs_status_text(const zs_status *st, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int depth = 0; st != NULL && depth < 16 && used < len; st = st->cause, depth++) {
		int n = snprintf(buf + used, len - used, "%s%s", depth ? ": " : "",
		    st->message != NULL ? st->message : "?");
		if (n < 0)
			break;
		used += (size_t) n;
	}
}
