/* host_check.c: the checks of the host service's requests beyond zs/check.h's (a
 * management IP, AllocateHost's fields), each failing the call with INVALID_ARGUMENT
 * naming the field, and host.check, the interceptor that keeps AllocateHost and
 * ReturnHostCapacity to admins. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "host.h"
#include "zs/service.h"

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

/* ---- AllocateHost ---- */

/* Each of list[0..n) a well-formed uuid, at most HOST_ALLOC_LIST_MAX of them. */
static int
host_check_uuids(zs_call *call, const char *field, char **list, size_t n)
{
	if (n > HOST_ALLOC_LIST_MAX) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s: %zu entries, at most %d", field, n,
		    HOST_ALLOC_LIST_MAX);
		return ZS_INVALID_ARGUMENT;
	}
	char name[64];
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof name, "%s[%zu]", field, i);
		if (zs_check_uuid(call, name, list[i]) != 0)
			return ZS_INVALID_ARGUMENT;
	}
	return 0;
}

/* A number that must be > 0 (or >= 0 when zero_ok) and at most max. */
static int
host_check_count(zs_call *call, const char *field, int64_t v, int64_t max, bool zero_ok)
{
	if (v < (zero_ok ? 0 : 1) || v > max) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s: %lld is out of range (%s to %lld)",
		    field, (long long) v, zero_ok ? "0" : "1", (long long) max);
		return ZS_INVALID_ARGUMENT;
	}
	return 0;
}

int
host_check_allocate(zs_call *call, const Zs__Host__V1__AllocateHostRequest *in)
{
	const char *ids[3][2] = { { "zone_uuid", in->zone_uuid }, { "cluster_uuid", in->cluster_uuid },
	    { "host_uuid", in->host_uuid } };
	if (zs_check_uuid(call, "vm_uuid", in->vm_uuid) != 0 ||
	    host_check_count(call, "cpu_num", in->cpu_num, HOST_ALLOC_CPU_MAX, false) != 0 ||
	    host_check_count(call, "memory_size", in->memory_size, HOST_ALLOC_BYTES_MAX, false) != 0 ||
	    host_check_count(call, "disk_size", in->disk_size, HOST_ALLOC_BYTES_MAX, true) != 0)
		return ZS_INVALID_ARGUMENT;
	for (int i = 0; i < 3; i++)
		if (ids[i][1][0] != '\0' && zs_check_uuid(call, ids[i][0], ids[i][1]) != 0)
			return ZS_INVALID_ARGUMENT;
	if (zs_check_text(call, "hypervisor_type", in->hypervisor_type, 32, 0) != 0 ||
	    host_check_uuids(call, "l3_network_uuids", in->l3_network_uuids,
	    in->n_l3_network_uuids) != 0 ||
	    host_check_uuids(call, "backup_storage_uuids", in->backup_storage_uuids,
	    in->n_backup_storage_uuids) != 0 ||
	    host_check_uuids(call, "avoid_host_uuids", in->avoid_host_uuids,
	    in->n_avoid_host_uuids) != 0)
		return ZS_INVALID_ARGUMENT;
	if (in->n_system_tags > HOST_ALLOC_LIST_MAX) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "system_tags: %zu entries, at most %d",
		    in->n_system_tags, HOST_ALLOC_LIST_MAX);
		return ZS_INVALID_ARGUMENT;
	}
	char name[64];
	for (size_t i = 0; i < in->n_system_tags; i++) {
		snprintf(name, sizeof name, "system_tags[%zu]", i);
		if (zs_check_text(call, name, in->system_tags[i], HOST_ALLOC_TAG_MAX,
		    ZS_TEXT_REQUIRED) != 0)
			return ZS_INVALID_ARGUMENT;
	}
	return 0;
}

/* ---- host.check: AllocateHost and ReturnHostCapacity are for admins ---- */

static int
host_check_request(zs_call *call, const ProtobufCMessage *req, void *arg)
{
	(void) req;
	(void) arg;
	if (!zs_call_admin(call)) {
		zs_call_fail(call, ZS_PERMISSION_DENIED, "HOST.1005", "%s is for admins only",
		    zs_call_method(call));
		return ZS_PERMISSION_DENIED;
	}
	return 0;
}

ZS_EXPORT const zs_interceptor host_check = { host_check_request, NULL };
