/*
 * network_ipv4.c: IPv4 addresses, netmasks, CIDRs and IP ranges as operators type them,
 * read strictly (dotted quads of decimal numbers 0..255 without leading zeros, nothing
 * else) and checked the way ZStack checks an IP range. Pure functions: no allocation, no
 * state; the fuzz target tests/fuzz/ipv4 drives them.
 */
#include <stdio.h>
#include <string.h>

#include "network_ipv4.h"

int
net_ipv4_parse(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	if (s == NULL)
		return -1;
	for (int part = 0; part < 4; part++) {
		if (part > 0 && *s++ != '.')
			return -1;
		if (*s < '0' || *s > '9')
			return -1;
		unsigned n = 0;
		int digits = 0;
		const char *first = s;
		while (*s >= '0' && *s <= '9') {
			if (++digits > 3)
				return -1;
			n = n * 10 + (unsigned) (*s++ - '0');
		}
		if (n > 255 || (digits > 1 && *first == '0'))
			return -1;
		v = v << 8 | n;
	}
	if (*s != '\0')
		return -1;
	*out = v;
	return 0;
}

void
net_ipv4_format(uint32_t ip, char out[NET_IPV4_STR])
{
	snprintf(out, NET_IPV4_STR, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u,
	    ip & 255u);
}

int
net_ipv4_prefix(uint32_t mask)
{
	uint32_t inv = ~mask;
	if ((inv & (inv + 1)) != 0)      /* the ones must all come first */
		return -1;
	int n = 0;
	while (n < 32 && (mask & (1u << (31 - n))) != 0)
		n++;
	return n;
}

uint32_t
net_ipv4_mask(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1u);
}

int
net_ipv4_parse_cidr(const char *s, uint32_t *net, int *prefix)
{
	char ip[NET_IPV4_STR];
	const char *slash = s != NULL ? strchr(s, '/') : NULL;
	if (slash == NULL || (size_t) (slash - s) >= sizeof ip)
		return -1;
	memcpy(ip, s, (size_t) (slash - s));
	ip[slash - s] = '\0';
	const char *p = slash + 1;
	if (p[0] < '0' || p[0] > '9' || (p[1] != '\0' && (p[1] < '0' || p[1] > '9' || p[2] != '\0')) ||
	    (p[0] == '0' && p[1] != '\0'))
		return -1;
	int n = p[1] == '\0' ? p[0] - '0' : (p[0] - '0') * 10 + (p[1] - '0');
	uint32_t a;
	if (n > 32 || net_ipv4_parse(ip, &a) != 0)
		return -1;
	*net = a;
	*prefix = n;
	return 0;
}

/* Writes "field: \"value\" is not an IPv4 address" and returns -1, or parses into *out. */
static int
range_addr(const char *field, const char *value, uint32_t *out, char *err, size_t len)
{
	if (net_ipv4_parse(value, out) == 0)
		return 0;
	snprintf(err, len, "%s: \"%s\" is not an IPv4 address (four numbers 0-255, as 192.168.0.1)",
	    field, value != NULL ? value : "");
	return -1;
}

int
net_ipv4_range_check(const char *start, const char *end, const char *gateway,
    const char *netmask, net_ipv4_range *out, char *err, size_t len)
{
	net_ipv4_range r;
	char a[NET_IPV4_STR], b[NET_IPV4_STR];
	if (range_addr("start_ip", start, &r.start, err, len) != 0 ||
	    range_addr("end_ip", end, &r.end, err, len) != 0 ||
	    range_addr("gateway", gateway, &r.gateway, err, len) != 0)
		return -1;
	if (net_ipv4_parse(netmask, &r.netmask) != 0 || (r.prefix = net_ipv4_prefix(r.netmask)) < 0) {
		snprintf(err, len, "netmask: \"%s\" is not a netmask (as 255.255.255.0)",
		    netmask != NULL ? netmask : "");
		return -1;
	}
	if (r.prefix == 0 || r.prefix > 30) {
		snprintf(err, len, "netmask: %s leaves %s; use a prefix of 1 to 30 bits", netmask,
		    r.prefix == 0 ? "no network part" : "no room for a gateway and a host");
		return -1;
	}
	if (r.start > r.end) {
		snprintf(err, len, "start_ip %s is after end_ip %s", start, end);
		return -1;
	}
	r.network = r.gateway & r.netmask;
	uint32_t bcast = r.network | ~r.netmask;
	net_ipv4_format(r.network, a);
	if ((r.start & r.netmask) != r.network || (r.end & r.netmask) != r.network) {
		snprintf(err, len, "the range %s-%s is not in the network %s/%d of gateway %s and "
		    "netmask %s", start, end, a, r.prefix, gateway, netmask);
		return -1;
	}
	if (r.start == r.network || r.end == bcast) {
		net_ipv4_format(r.start == r.network ? r.network : bcast, b);
		snprintf(err, len, "the range %s-%s holds the %s address %s of %s/%d", start, end,
		    r.start == r.network ? "network" : "broadcast", b, a, r.prefix);
		return -1;
	}
	if (r.gateway >= r.start && r.gateway <= r.end) {
		snprintf(err, len, "the gateway %s is inside the range %s-%s", gateway, start, end);
		return -1;
	}
	if (r.gateway == r.network || r.gateway == bcast) {
		snprintf(err, len, "the gateway %s is the %s address of %s/%d", gateway,
		    r.gateway == r.network ? "network" : "broadcast", a, r.prefix);
		return -1;
	}
	if (out != NULL)
		*out = r;
	return 0;
}

int
net_ipv4_cidr_range(const char *cidr, net_ipv4_range *out, char *err, size_t len)
{
	uint32_t a;
	int prefix;
	if (net_ipv4_parse_cidr(cidr, &a, &prefix) != 0) {
		snprintf(err, len, "network_cidr: \"%s\" is not an IPv4 CIDR (as 192.168.10.0/24)",
		    cidr != NULL ? cidr : "");
		return -1;
	}
	if (prefix < 8 || prefix > 30) {
		snprintf(err, len, "network_cidr: %s has a prefix of %d; use 8 to 30", cidr, prefix);
		return -1;
	}
	net_ipv4_range r;
	r.netmask = net_ipv4_mask(prefix);
	r.prefix = prefix;
	r.network = a & r.netmask;
	if (r.network != a) {
		char n[NET_IPV4_STR];
		net_ipv4_format(r.network, n);
		snprintf(err, len, "network_cidr: %s is not a network address (%s/%d is)", cidr, n,
		    prefix);
		return -1;
	}
	r.gateway = r.network + 1;
	r.start = r.network + 2;
	r.end = (r.network | ~r.netmask) - 1;
	*out = r;
	return 0;
}

int
net_iface_check(const char *name, char *err, size_t len)
{
	size_t n = name != NULL ? strlen(name) : 0;
	bool ok = n >= 1 && n <= 15 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
	for (size_t i = 0; ok && i < n; i++) {
		char c = name[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-';
	}
	if (!ok)
		snprintf(err, len, "physical_interface: \"%s\" is not an interface name (1 to 15 of "
		    "A-Z a-z 0-9 _ . -, as eth0)", name != NULL ? name : "");
	return ok ? 0 : -1;
}

void
net_bridge_name(const char *iface, int vlan, char out[NET_BRIDGE_MAX])
{
	/* ZStack's names, cut so they fit Linux's 15 characters */
	if (vlan > 0)
		snprintf(out, NET_BRIDGE_MAX, "br_%.7s_%d", iface, vlan % 10000);
	else
		snprintf(out, NET_BRIDGE_MAX, "br_%.12s", iface);
}
