/*
 * zs_client_status.c: statuses: those the client makes itself (from nng errors, or when
 * a reply cannot be read), the names of the canonical codes, and freeing replies and
 * statuses. A status made here has the same shape as one unpacked from a reply (malloc'd
 * message and strings, defaults left as protobuf-c's initializer set them), so
 * zs_status_free frees both kinds the same way.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "zs_client_internal.h"

zs_status *
zs_client_status_new(int code, const char *fmt, ...)
{
	zs_status *st = malloc(sizeof *st);
	if (st == NULL)
		return NULL;
	zs__rpc__v1__status__init(st);
	st->code = (Zs__Rpc__V1__Code) code;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (st->message = malloc((size_t) n + 1)) == NULL) {
		free(st);
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(st->message, (size_t) n + 1, fmt, ap);
	va_end(ap);
	return st;
}

/* Maps an nng error of a call to a canonical code and a status that names the node. */
int
zs_client_status_from_nng(const zs_client *client, int rv, uint32_t timeout_ms,
    zs_status **status)
{
	int code;
	switch (rv) {
	case NNG_ETIMEDOUT:
		/* With no connection the request never left: the node is unreachable. */
		if (atomic_load(&client->pipes) == 0) {
			*status = zs_client_status_new(ZS_CLIENT_UNAVAILABLE,
			    "cannot reach %s: not connected within %u ms", client->url, timeout_ms);
			return ZS_CLIENT_UNAVAILABLE;
		}
		*status = zs_client_status_new(ZS_CLIENT_DEADLINE_EXCEEDED,
		    "no reply from %s within %u ms", client->url, timeout_ms);
		return ZS_CLIENT_DEADLINE_EXCEEDED;
	case NNG_ECONNRESET:
	case NNG_ECONNSHUT:
	case NNG_ECONNABORTED:
		/* Without resends (see zs_client.c) a dropped connection fails the call. */
		*status = zs_client_status_new(ZS_CLIENT_UNAVAILABLE,
		    "lost the connection to %s before the reply: %s", client->url, nng_strerror(rv));
		return ZS_CLIENT_UNAVAILABLE;
	case NNG_ECONNREFUSED:
	case NNG_EUNREACHABLE:
	case NNG_ECLOSED:
		code = ZS_CLIENT_UNAVAILABLE;
		break;
	case NNG_ENOMEM:
	case NNG_EMSGSIZE:
		code = ZS_CLIENT_RESOURCE_EXHAUSTED;
		break;
	case NNG_ECANCELED:
		code = ZS__RPC__V1__CODE__CANCELLED;
		break;
	default:
		code = ZS_CLIENT_INTERNAL;
		break;
	}
	*status = zs_client_status_new(code, "%s: %s", client->url, nng_strerror(rv));
	return code;
}

const char *
zs_client_code_name(int code)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&zs__rpc__v1__code__descriptor, code);
	return v != NULL ? v->name : "UNKNOWN";
}

void
zs_reply_free(void *reply)
{
	if (reply != NULL)
		protobuf_c_message_free_unpacked(reply, NULL);
}

void
zs_status_free(zs_status *status)
{
	if (status != NULL)
		protobuf_c_message_free_unpacked(&status->base, NULL);
}
