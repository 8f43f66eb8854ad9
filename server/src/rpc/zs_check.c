/* zs_check.c: argument checks shared by every service (zs/check.h). */
#include <string.h>

#include "zs/check.h"

/* Length of the UTF-8 sequence at s (shortest form, no surrogates, at most U+10FFFF),
 * or 0 when it is not one. */
static size_t
check_utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n;
	unsigned lo = 0x80, hi = 0xBF;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		if (s[0] == 0xE0)
			lo = 0xA0;
		else if (s[0] == 0xED)
			hi = 0x9F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		if (s[0] == 0xF0)
			lo = 0x90;
		else if (s[0] == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

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
		size_t n = check_utf8_len(s + i);
		if (n == 0) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s is not valid UTF-8 at byte %zu",
			    field, i);
			return ZS_INVALID_ARGUMENT;
		}
		i += n;
	}
	return ZS_OK;
}

int
zs_check_uuid(zs_call *call, const char *field, const char *uuid)
{
	if (uuid[0] != '\0')
		return ZS_OK;
	zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s is required", field);
	return ZS_INVALID_ARGUMENT;
}
