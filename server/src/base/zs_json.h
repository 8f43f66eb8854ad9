/* zs_json.h: proto3 JSON mapping for protobuf-c messages, via jansson.
 *
 * Driven only by protobuf-c runtime descriptors, so it works for every
 * generated message. Follows protobuf's JsonFormat: lowerCamelCase names on
 * output (lowerCamelCase or proto names accepted on input), 64-bit integers
 * as strings, bytes as base64, enums by name, maps as JSON objects, fields
 * at their default omitted unless they track presence. */
#ifndef ZS_JSON_H
#define ZS_JSON_H

#include <stddef.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* Deepest message nesting zs_json_decode accepts (as protobuf's parsers). */
#define ZS_JSON_MAX_DEPTH 100

/* Encode msg as a new JSON object (caller owns *out, json_decref).
   Returns 0, or -1 with a message in err. */
int zs_json_encode(const ProtobufCMessage *msg, json_t **out, char *err, size_t errlen);

/* Decode a JSON object into a new message of type desc (caller owns *out:
   protobuf_c_message_free_unpacked(*out, NULL)).
   Returns 0, or -1 with a message in err naming the field path and what was
   wrong, e.g. `items[2].count: expected an integer, got string "abc"` or
   `unknown field "foo" in zs.test.v1.Types`. Nothing leaks on error. */
int zs_json_decode(const ProtobufCMessageDescriptor *desc, const json_t *in,
                   ProtobufCMessage **out, char *err, size_t errlen);

/* Convenience: the lowerCamelCase JSON name of a proto field name (writes
   into buf). Returns buf, or NULL if buf is too small (buf then holds as
   much as fits). */
const char *zs_json_field_name(const char *proto_name, char *buf, size_t buflen);

#endif /* ZS_JSON_H */
