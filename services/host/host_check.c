/* host_check.c: checks of the host API's arguments (texts, uuids, management IPs); a bad
 * one fails the call with INVALID_ARGUMENT naming the field. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "host.h"

/* Length of the UTF-8 sequence at s (shortest form, no surrogates, at most U+10FFFF),
 * or 0 when it is not one. */
static size_t
host_utf8_len(const unsigned char *s)
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

bool
host_check_text(zs_call *call, const char *field, const char *value, size_t max, unsigned flags)
{
	size_t len = strlen(value);
	if (len == 0 && (flags & HOST_TEXT_REQUIRED)) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s is required", field);
		return false;
	}
	if (len > max) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s is %zu bytes, longer than %zu", field,
		    len, max);
		return false;
	}
	const unsigned char *s = (const unsigned char *) value;
	for (size_t i = 0; i < len;) {
		bool space = s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
		if ((s[i] < 0x20 && !(space && (flags & HOST_TEXT_MULTILINE))) || s[i] == 0x7F) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
			    "%s holds a control character (0x%02x) at byte %zu", field, s[i], i);
			return false;
		}
		size_t n = host_utf8_len(s + i);
		if (n == 0) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s is not valid UTF-8 at byte %zu",
			    field, i);
			return false;
		}
		i += n;
	}
	return true;
}

bool
host_check_uuid(zs_call *call, const char *field, const char *uuid)
{
	if (uuid[0] != '\0')
		return true;
	zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s is required", field);
	return false;
}

bool
host_check_ip(zs_call *call, const char *field, const char *value, char *canon, size_t len)
{
	union {
		struct in6_addr v6;
		unsigned char b[sizeof(struct in6_addr)];
	} a;
	static const unsigned char zero[sizeof a.b] = { 0 };
	if (!host_check_text(call, field, value, INET6_ADDRSTRLEN, HOST_TEXT_REQUIRED))
		return false;
	memset(&a, 0, sizeof a);
	int family = AF_INET;
	if (inet_pton(AF_INET, value, a.b) != 1 && inet_pton(family = AF_INET6, value, &a.v6) != 1) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s \"%s\" is not an IPv4 or IPv6 address",
		    field, value);
		return false;
	}
	if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a.v6)) {
		/* ::ffff:10.0.0.1 is 10.0.0.1: one spelling, so that one machine is one host */
		memmove(a.b, a.b + 12, 4);
		family = AF_INET;
	}
	size_t n = family == AF_INET ? 4 : 16;
	if (memcmp(a.b, zero, n) == 0 || (family == AF_INET ? a.b[0] >= 224 : a.b[0] == 0xff)) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s \"%s\" is not a unicast address", field,
		    value);
		return false;
	}
	if (inet_ntop(family, a.b, canon, (socklen_t) len) == NULL) {
		zs_call_fail(call, ZS_INTERNAL, NULL, "%s \"%s\": no room for its canonical form", field,
		    value);
		return false;
	}
	return true;
}
