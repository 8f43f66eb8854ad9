/*
 * zs_pbstr.h: strings of a protobuf message that C would cut short. protobuf-c unpacks a
 * string field into a NUL-terminated char * and drops its length, so "a\0b" silently
 * becomes "a". This walks the encoded bytes alongside the descriptors (nested messages,
 * repeated fields and map entries included) and finds a string field holding a NUL.
 */
#ifndef ZS_PBSTR_H
#define ZS_PBSTR_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

/* Checks data (len bytes, a valid encoding of a d, e.g. one protobuf_c_message_unpack
 * accepted) for a string field with a NUL byte. 0, or -1 with its dotted path in err
 * ("string field inner.tags holds a NUL character"). */
int zs_pbstr_check(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
    char *err, size_t errlen);

#endif
