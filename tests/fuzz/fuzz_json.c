/*
 * fuzz_json.c: fuzzes the proto3 JSON mapping (server/src/base/zs_json.c). The input is
 * JSON text (as a JSON frame's body is) decoded into zs.test.v1.Types, the test message
 * with every field kind; what decodes is encoded, and that encoding must decode again and
 * encode to the same JSON (the first encoding is canonical, so the round trip holds).
 */
#include <string.h>
#include <jansson.h>

#include "zs/test/v1/types.pb-c.h"
#include "zs_fuzz.h"
#include "zs_json.h"

#define TYPES (&zs__test__v1__types__descriptor)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *in = json_loadb((const char *) data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (in == NULL)
		return 0;
	char err[512];
	ProtobufCMessage *msg = NULL, *again = NULL;
	json_t *out = NULL, *out2 = NULL;
	if (zs_json_decode(TYPES, in, &msg, err, sizeof err) != 0) {
		ZS_FUZZ_ASSERT(msg == NULL, "a message left behind on error: %s", err);
		json_decref(in);
		return 0;
	}
	int rc = zs_json_encode(msg, &out, err, sizeof err);
	ZS_FUZZ_ASSERT(rc == 0, "a decoded message does not encode: %s", err);
	rc = zs_json_decode(TYPES, out, &again, err, sizeof err);
	char *text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	ZS_FUZZ_ASSERT(rc == 0, "its own encoding does not decode: %s\n  %s", err, text);
	rc = zs_json_encode(again, &out2, err, sizeof err);
	ZS_FUZZ_ASSERT(rc == 0, "the message decoded again does not encode: %s", err);
	char *text2 = json_dumps(out2, JSON_COMPACT | JSON_SORT_KEYS);
	ZS_FUZZ_ASSERT(text != NULL && text2 != NULL && strcmp(text, text2) == 0,
	    "round trip changed the encoding:\n  %s\n  %s", text, text2);

	/* the binary form holds the same message */
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *packed = malloc(n ? n : 1);
	if (packed != NULL) {
		protobuf_c_message_pack(msg, packed);
		ProtobufCMessage *unpacked = protobuf_c_message_unpack(TYPES, NULL, n, packed);
		ZS_FUZZ_ASSERT(unpacked != NULL, "a decoded message does not unpack (%zu bytes)", n);
		protobuf_c_message_free_unpacked(unpacked, NULL);
		free(packed);
	}
	free(text);
	free(text2);
	json_decref(out2);
	json_decref(out);
	protobuf_c_message_free_unpacked(again, NULL);
	protobuf_c_message_free_unpacked(msg, NULL);
	json_decref(in);
	return 0;
}
