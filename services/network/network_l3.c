/*
 * network_l3.c: L3 networks (zs.network.v1.L3Network): ZStack's L3BasicNetwork in an L2
 * network, with its category and DNS servers. The resource kit runs Create, Get, List,
 * Update and Delete from the table below; AllocateIp and ReleaseIp are network_ip.c.
 * Deleting an L3 deletes its IP ranges and used addresses.
 */
#include <stdio.h>
#include <string.h>

#include "network.h"

#define L3_TABLE "net_l3_networks"
#define L3_COLUMNS "uuid, l2_network_uuid, zone_uuid, name, description, type, category, dns, " \
	"owner_uuid, " ZS_RKIT_SQL_TIMES

/* The DNS servers joined with commas for the insert: create_check's extras must outlive
 * it, and the insert runs right after on the same worker thread. */
static _Thread_local char l3_dns_text[NET_DNS_MAX * NET_IPV4_STR];

/* The type, category and DNS servers go to extra[0..2]. */
static bool
l3_create_check(zs_call *call, const ProtobufCMessage *in, const char **extra)
{
	const Zs__Network__V1__CreateL3NetworkRequest *r =
	    (const Zs__Network__V1__CreateL3NetworkRequest *) in;
	extra[0] = r->type[0] != '\0' ? r->type : "L3BasicNetwork";
	extra[1] = r->category[0] != '\0' ? r->category : "Private";
	if (strcmp(extra[0], "L3BasicNetwork") != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
		    "type: \"%s\" is not an L3 network type (L3BasicNetwork is)", r->type);
		return false;
	}
	if (strcmp(extra[1], "Private") != 0 && strcmp(extra[1], "Public") != 0 &&
	    strcmp(extra[1], "System") != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
		    "category: \"%s\" is not Private, Public or System", r->category);
		return false;
	}
	if (r->n_dns > NET_DNS_MAX) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "dns: %zu servers; at most %d",
		    r->n_dns, NET_DNS_MAX);
		return false;
	}
	size_t used = 0;
	l3_dns_text[0] = '\0';
	for (size_t i = 0; i < r->n_dns; i++) {
		uint32_t a;
		if (net_ipv4_parse(r->dns[i], &a) != 0) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
			    "dns[%zu]: \"%s\" is not an IPv4 address", i, r->dns[i]);
			return false;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->dns[i], r->dns[j]) == 0) {
				zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "dns: %s is given twice",
				    r->dns[i]);
				return false;
			}
		used += (size_t) snprintf(l3_dns_text + used, sizeof l3_dns_text - used, "%s%s",
		    i > 0 ? "," : "", r->dns[i]);
	}
	extra[2] = l3_dns_text;
	return true;
}

static const zs_rkit_op l3_ops[] = {
	{ ZS_RKIT_CREATE, NULL }, { ZS_RKIT_GET, NULL }, { ZS_RKIT_LIST, NULL },
	{ ZS_RKIT_UPDATE, NULL }, { ZS_RKIT_DELETE, NULL },
	{ ZS_RKIT_CUSTOM, net_ip_allocate }, { ZS_RKIT_CUSTOM, net_ip_release },
};

const zs_rkit_def net_l3_def = {
	.type = "L3Network", .what = "l3network", .name_max = 255, .description_max = 2048,
	.parent_type = "L2Network", .parent_what = "L2 network", .parent_field = "l2_network_uuid",
	.sql_get = ZS_RKIT_SQL_GET(L3_TABLE, L3_COLUMNS),
	.sql_list = ZS_RKIT_SQL_LIST_IN(L3_TABLE, "l2_network_uuid", L3_COLUMNS),
	.sql_insert = ZS_RKIT_SQL_INSERT(L3_TABLE, ", l2_network_uuid, zone_uuid, type, category, dns",
	    ", $5, (SELECT zone_uuid FROM net_l2_networks WHERE uuid = $5), $6, $7, $8", L3_COLUMNS),
	.sql_update = ZS_RKIT_SQL_UPDATE(L3_TABLE, L3_COLUMNS),
	.create_check = l3_create_check, .n_extra = 3,
	.info = &zs__network__v1__l3_network_info__descriptor,
	.deleted_event = &zs__network__v1__l3_network_deleted__descriptor,
	.ops = l3_ops, .n_ops = sizeof l3_ops / sizeof l3_ops[0],
};

ZS_EXPORT zs_rkit_service network_l3_service =
    ZS_RKIT_SERVICE(&zs__network__v1__l3_network__descriptor, &net_l3_def);
