/*
 * network_ipv4.h: IPv4 addresses, netmasks, CIDRs, IP ranges, interface and bridge names
 * (network_ipv4.c): strict parsers and ZStack's range checks, pure functions of the
 * network service and of its fuzz target.
 */
#ifndef NETWORK_IPV4_H
#define NETWORK_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_IPV4_STR 16     /* "255.255.255.255" and its NUL */
#define NET_BRIDGE_MAX 16   /* a Linux interface name and its NUL */

/* An IP range checked: addresses in host order. */
typedef struct net_ipv4_range {
	uint32_t start, end, gateway, netmask, network;
	int prefix;
} net_ipv4_range;

/* "192.168.0.1" -> *out (host order); 0, or -1 for anything else (leading zeros, spaces,
 * fewer or more parts, numbers over 255). */
int net_ipv4_parse(const char *s, uint32_t *out);
void net_ipv4_format(uint32_t ip, char out[NET_IPV4_STR]);
/* The prefix length of a netmask (255.255.255.0 -> 24), or -1 when its ones are not
 * contiguous. */
int net_ipv4_prefix(uint32_t mask);
uint32_t net_ipv4_mask(int prefix);
/* "10.0.0.0/8" -> *net, *prefix (0..32); 0 or -1. */
int net_ipv4_parse_cidr(const char *s, uint32_t *net, int *prefix);

/* ZStack's checks of an IP range: every address IPv4, the netmask contiguous (prefix 1 to
 * 30), start <= end, start, end and the gateway in one network, neither its network nor
 * its broadcast address in the range or as the gateway, the gateway outside the range.
 * 0 with *out (may be NULL), or -1 with a message naming what is wrong in err. */
int net_ipv4_range_check(const char *start, const char *end, const char *gateway,
    const char *netmask, net_ipv4_range *out, char *err, size_t len);
/* The range ZStack makes of a network CIDR (prefix 8 to 30): the gateway its first
 * address, the range from the second to the one before the broadcast. 0 or -1 with err. */
int net_ipv4_cidr_range(const char *cidr, net_ipv4_range *out, char *err, size_t len);

/* A physical interface name: 1 to 15 of [A-Za-z0-9_.-]. 0, or -1 with err. */
int net_iface_check(const char *name, char *err, size_t len);
/* ZStack's bridge name: br_eth0, br_eth0_100 (cut to fit 15 characters). */
void net_bridge_name(const char *iface, int vlan, char out[NET_BRIDGE_MAX]);

#endif
