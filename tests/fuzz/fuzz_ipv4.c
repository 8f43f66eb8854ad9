/*
 * fuzz_ipv4.c: fuzzes the network service's readers of what operators type
 * (services/network/network_ipv4.c): IPv4 addresses, netmasks, CIDRs, IP ranges with
 * ZStack's checks, interface names. The input's lines are start, end, gateway, netmask
 * (the first line is also tried as an address, a CIDR and an interface). Properties: an
 * address read prints back as itself; an accepted range keeps start <= end, all three in
 * the gateway's network and the gateway outside the range; a CIDR's range passes the
 * range checks; bridge names fit Linux's 15 characters.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "network_ipv4.h"
#include "zs_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = zs_fuzz_strndup(data, size);
	if (text == NULL)
		return 0;
	char *l[4];
	l[0] = text;
	for (int i = 1; i < 4; i++)
		l[i] = zs_fuzz_next_line(l[i - 1]);
	char err[256], buf[NET_IPV4_STR], b2[NET_IPV4_STR];
	uint32_t a;
	if (net_ipv4_parse(l[0], &a) == 0) {
		net_ipv4_format(a, buf);
		ZS_FUZZ_ASSERT(strcmp(buf, l[0]) == 0, "\"%s\" read as %s", l[0], buf);
	}
	net_ipv4_range r;
	if (net_ipv4_range_check(l[0], l[1], l[2], l[3], &r, err, sizeof err) == 0) {
		ZS_FUZZ_ASSERT(r.start <= r.end && r.prefix >= 1 && r.prefix <= 30 &&
		    (r.start & r.netmask) == r.network && (r.end & r.netmask) == r.network &&
		    (r.gateway & r.netmask) == r.network && (r.gateway < r.start || r.gateway > r.end),
		    "range %s-%s gateway %s netmask %s accepted", l[0], l[1], l[2], l[3]);
	} else {
		ZS_FUZZ_ASSERT(err[0] != '\0', "a refused range says nothing");
	}
	uint32_t net;
	int prefix;
	if (net_ipv4_parse_cidr(l[0], &net, &prefix) == 0)
		ZS_FUZZ_ASSERT(prefix >= 0 && prefix <= 32, "\"%s\": prefix %d", l[0], prefix);
	if (net_ipv4_cidr_range(l[0], &r, err, sizeof err) == 0) {
		char s[NET_IPV4_STR], e[NET_IPV4_STR];
		net_ipv4_format(r.start, s);
		net_ipv4_format(r.end, e);
		net_ipv4_format(r.gateway, buf);
		net_ipv4_format(r.netmask, b2);
		ZS_FUZZ_ASSERT(net_ipv4_range_check(s, e, buf, b2, NULL, err, sizeof err) == 0,
		    "CIDR %s made %s-%s gateway %s netmask %s, refused: %s", l[0], s, e, buf, b2, err);
	}
	if (net_iface_check(l[0], err, sizeof err) == 0) {
		char br[NET_BRIDGE_MAX];
		net_bridge_name(l[0], 4094, br);
		ZS_FUZZ_ASSERT(strlen(br) <= 15, "bridge %s", br);
		net_bridge_name(l[0], 0, br);
		ZS_FUZZ_ASSERT(strlen(br) <= 15, "bridge %s", br);
	}
	free(text);
	return 0;
}
