/*
 * fuzz_envelope.c: fuzzes request frames (server/src/rpc/zs_wire.c): a zs.rpc.v1.Request,
 * protobuf or JSON, its method looked up in a router holding the node's own services
 * and its body decoded as that method's input, as the node does before a frame becomes a
 * call. A refused frame's answer must be a well-formed reply, in the frame's form, whose
 * status is not OK.
 */
#include <stdbool.h>
#include <string.h>
#include <jansson.h>
#include <nng/nng.h>

#include "zs/config/v1/config.pb-c.h"
#include "zs/error/v1/errors.pb-c.h"
#include "zs/event/v1/events.pb-c.h"
#include "zs/identity/v1/identity.pb-c.h"
#include "zs/job/v1/job.pb-c.h"
#include "zs/reflection/v1/reflection.pb-c.h"
#include "zs/rpc/v1/envelope.pb-c.h"
#include "zs/tag/v1/tag.pb-c.h"
#include "zs_fuzz.h"
#include "zs_router.h"
#include "zs_wire.h"

static const ProtobufCServiceDescriptor *const services[] = {
	&zs__config__v1__global_config__descriptor,
	&zs__config__v1__properties__descriptor,
	&zs__error__v1__errors__descriptor,
	&zs__event__v1__events__descriptor,
	&zs__identity__v1__identity__descriptor,
	&zs__job__v1__jobs__descriptor,
	&zs__reflection__v1__reflection__descriptor,
	&zs__tag__v1__tags__descriptor,
};
#define N_SERVICES (sizeof services / sizeof services[0])

static ProtobufCService svcs[N_SERVICES];
static zs_router *router;

static void
never_invoked(ProtobufCService *service, unsigned method_index, const ProtobufCMessage *input,
    ProtobufCClosure closure, void *closure_data)
{
	(void) service;
	(void) method_index;
	(void) input;
	(void) closure;
	(void) closure_data;
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	char err[256];
	if (zs_router_new(&router) != 0)
		abort();
	for (size_t i = 0; i < N_SERVICES; i++) {
		svcs[i].descriptor = services[i];
		svcs[i].invoke = never_invoked;
		if (zs_router_add_service(router, &svcs[i], NULL, "fuzz", false, err, sizeof err) != 0) {
			fprintf(stderr, "fuzz_envelope: %s\n", err);
			abort();
		}
	}
	zs_router_seal(router);
	return 0;
}

static bool
is_json(const uint8_t *data, size_t size)
{
	size_t i = 0;
	while (i < size && strchr(" \n\t\r", data[i]) != NULL && data[i] != '\0')
		i++;
	return i < size && data[i] == '{';
}

static void
check_json_answer(const char *text, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);
	ZS_FUZZ_ASSERT(root != NULL, "a JSON answer that is not JSON (%s): %.*s", jerr.text,
	    (int) len, text);
	const char *code = json_string_value(json_object_get(json_object_get(root, "status"), "code"));
	ZS_FUZZ_ASSERT(code != NULL && strcmp(code, "OK") != 0, "a refusal answered with code %s: %.*s",
	    code ? code : "(none)", (int) len, text);
	json_decref(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int code = -1;
	nng_msg *answer = zs_wire_decode(router, data, size, &code);
	if (code == 0) {
		ZS_FUZZ_ASSERT(answer == NULL, "an answer to a frame that becomes a call");
		return 0;
	}
	ZS_FUZZ_ASSERT(answer != NULL, "no answer to a refused frame (code %d)", code);
	const uint8_t *body = nng_msg_body(answer);
	size_t len = nng_msg_len(answer);
	if (is_json(data, size)) {
		check_json_answer((const char *) body, len);
	} else {
		Zs__Rpc__V1__Reply *r = zs__rpc__v1__reply__unpack(NULL, len, body);
		ZS_FUZZ_ASSERT(r != NULL && r->status != NULL && (int) r->status->code == code,
		    "the protobuf answer to a refused frame (code %d) does not say so", code);
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	}
	nng_msg_free(answer);
	return 0;
}
