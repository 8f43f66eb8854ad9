/* host_check.c: the check of a management IP (texts and uuids use zs/check.h); a bad
 * one fails the call with INVALID_ARGUMENT naming the field. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "host.h"

bool
host_check_ip(zs_call *call, const char *field, const char *value, char *canon, size_t len)
{
	union {
		struct in6_addr v6;
		unsigned char b[sizeof(struct in6_addr)];
	} a;
	static const unsigned char zero[sizeof a.b] = { 0 };
	if (zs_check_text(call, field, value, INET6_ADDRSTRLEN, ZS_TEXT_REQUIRED) != 0)
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
