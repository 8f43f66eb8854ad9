/* zs_check.c: argument checks shared by every service (zs/check.h). */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "zs/check.h"
#include "zs_utf8.h"

int
zs_check_text(zs_call *call, const char *field, const char *value, size_t max, unsigned flags)
{
	size_t len = strlen(value);
	if (len == 0 && (flags & ZS_TEXT_REQUIRED)) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s is required", field);
		return ZS_INVALID_ARGUMENT;
	}
	if (len > max) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s is %zu bytes, longer than %zu", field,
		    len, max);
		return ZS_INVALID_ARGUMENT;
	}
	const unsigned char *s = (const unsigned char *) value;
	for (size_t i = 0; i < len;) {
		bool space = s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
		if ((s[i] < 0x20 && !(space && (flags & ZS_TEXT_MULTILINE))) || s[i] == 0x7F) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
			    "%s holds a control character (0x%02x) at byte %zu", field, s[i], i);
			return ZS_INVALID_ARGUMENT;
		}
		size_t n = zs_utf8_len(s + i);
		if (n == 0) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s is not valid UTF-8 at byte %zu",
			    field, i);
			return ZS_INVALID_ARGUMENT;
		}
		i += n;
	}
	return ZS_OK;
}

/* 8-4-4-4-12 hexadecimal digits, the form every resource uuid has. */
static bool
check_uuid_form(const char *s)
{
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char) s[i]))
			return false;
	}
	return s[36] == '\0';
}

int
zs_check_uuid(zs_call *call, const char *field, const char *uuid)
{
	if (uuid[0] == '\0') {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s is required", field);
		return ZS_INVALID_ARGUMENT;
	}
	if (strnlen(uuid, 37) != 36 || !check_uuid_form(uuid)) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s \"%.64s%s\" is not a uuid "
		    "(8-4-4-4-12 hexadecimal digits, e.g. 0e9f2a4c-6f1b-4c8e-9d3a-5b7c1e2f4a60)", field,
		    uuid, strlen(uuid) > 64 ? "..." : "");
		return ZS_INVALID_ARGUMENT;
	}
	return ZS_OK;
}
