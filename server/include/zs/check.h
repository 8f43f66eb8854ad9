/*
 * zs/check.h: checks of API arguments every service makes. Each returns 0 when the
 * value is good; otherwise it fails the call with INVALID_ARGUMENT naming the field and
 * what is wrong (the call is then answered) and returns ZS_INVALID_ARGUMENT. From the
 * thread running the handler.
 */
#ifndef ZS_CHECK_H
#define ZS_CHECK_H

#include "zs/api.h"

#include <stdbool.h>
#include <stddef.h>
#include "zs/call.h"

/* Flags of zs_check_text. */
enum {
	ZS_TEXT_REQUIRED = 1u << 0,   /* empty is refused */
	ZS_TEXT_MULTILINE = 1u << 1,  /* tab, newline and carriage return are allowed */
};

/* At most max bytes of valid UTF-8 without control characters (and not empty, when
 * ZS_TEXT_REQUIRED). */
ZS_API int zs_check_text(zs_call *call, const char *field, const char *value, size_t max,
    unsigned flags);
/* Not empty, and of a uuid's form (8-4-4-4-12 hexadecimal digits): a malformed uuid is
 * INVALID_ARGUMENT, never NOT_FOUND. */
ZS_API int zs_check_uuid(zs_call *call, const char *field, const char *uuid);

#endif
