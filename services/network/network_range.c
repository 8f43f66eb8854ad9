/*
 * network_range.c: IP ranges of L3 networks (zs.network.v1.IpRange). The resource kit
 * runs AddIpRange, Get, List, Update, Delete and Query from the tables below. AddIpRange checks
 * the addresses as ZStack does (network_ipv4.c: IPv4, start <= end, one subnet, gateway
 * outside); the database checks what needs the other ranges (no overlap, the same
 * gateway and netmask: a trigger of the migration). AddIpRangeByNetworkCidr makes the
 * range of a whole network and adds it the same way. Deleting a range releases the
 * addresses given out of it, as ZStack does.
 */
#include <stdio.h>
#include <string.h>

#include "network.h"

#define RANGE_TABLE "net_ip_ranges"
#define RANGE_COLUMNS "uuid, l3_network_uuid, name, description, start_ip, end_ip, gateway, " \
	"netmask, network_cidr, ip_version, (end_int - start_int + 1) AS size, owner_uuid, " \
	ZS_RKIT_SQL_TIMES
/* $6 start, $7 end, $8 gateway, $9 netmask, all checked: the CIDR and the numbers follow */
#define RANGE_PREFIX "length(replace((($9::inet - '0.0.0.0'::inet)::bit(32))::text, '0', ''))"
#define RANGE_VALUES ", $5, $6::text, $7::text, $8::text, $9::text, network(set_masklen($8::inet, " RANGE_PREFIX \
	"))::text, $6::inet - '0.0.0.0'::inet, $7::inet - '0.0.0.0'::inet"

static bool
range_create_check(zs_call *call, const ProtobufCMessage *in, const char **extra)
{
	const Zs__Network__V1__AddIpRangeRequest *r = (const Zs__Network__V1__AddIpRangeRequest *) in;
	char err[256];
	if (net_ipv4_range_check(r->start_ip, r->end_ip, r->gateway, r->netmask, NULL, err,
	    sizeof err) != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, "NETWORK.1004", "%s", err);
		return false;
	}
	extra[0] = r->start_ip;
	extra[1] = r->end_ip;
	extra[2] = r->gateway;
	extra[3] = r->netmask;
	return true;
}

/* QueryIpRange: its own fields (size computed as Get answers it), its L3 network, used
 * addresses and tags by dot path. Admins only, as the other methods (no owner column). */
static const zs_query_field range_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "l3_network_uuid", "t.l3_network_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "description", "t.description", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "start_ip", "t.start_ip", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "end_ip", "t.end_ip", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "gateway", "t.gateway", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "netmask", "t.netmask", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "network_cidr", "t.network_cidr", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "ip_version", "t.ip_version", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "size", "(t.end_int - t.start_int + 1)", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
#define RANGE_Q_L3 "SELECT 1 FROM net_l3_networks r WHERE r.uuid = t.l3_network_uuid"
	{ "l3_network.uuid", "r.uuid", ZS_QUERY_UUID, NULL, RANGE_Q_L3, NULL },
	{ "l3_network.name", "r.name", ZS_QUERY_TEXT, NULL, RANGE_Q_L3, NULL },
	{ "l3_network.l2_network_uuid", "r.l2_network_uuid", ZS_QUERY_UUID, NULL, RANGE_Q_L3, NULL },
	{ "used_ips.ip", "r.ip", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM net_used_ips r WHERE r.ip_range_uuid = t.uuid", NULL },
	{ "tags.tag", "r.tag", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zs_tags r WHERE r.resource_uuid = t.uuid", NULL },
};

static const zs_query_table range_query = {
	"IP range", RANGE_TABLE " t", NULL, "t.created_at", "t.uuid", range_query_fields,
	sizeof range_query_fields / sizeof range_query_fields[0], NULL,
};

static const zs_rkit_op range_ops[] = {
	{ ZS_RKIT_CREATE, NULL }, { ZS_RKIT_GET, NULL }, { ZS_RKIT_LIST, NULL },
	{ ZS_RKIT_UPDATE, NULL }, { ZS_RKIT_DELETE, NULL }, { ZS_RKIT_CUSTOM, net_range_by_cidr },
	{ ZS_RKIT_QUERY, NULL },
};

const zs_rkit_def net_range_def = {
	.type = "IpRange", .what = "iprange", .name_max = 255, .description_max = 2048,
	.parent_type = "L3Network", .parent_what = "L3 network", .parent_field = "l3_network_uuid",
	.sql_get = ZS_RKIT_SQL_GET(RANGE_TABLE, RANGE_COLUMNS),
	.sql_list = ZS_RKIT_SQL_LIST_IN(RANGE_TABLE, "l3_network_uuid", RANGE_COLUMNS),
	.sql_insert = ZS_RKIT_SQL_INSERT(RANGE_TABLE, ", l3_network_uuid, start_ip, end_ip, gateway, "
	    "netmask, network_cidr, start_int, end_int", RANGE_VALUES, RANGE_COLUMNS),
	.sql_update = ZS_RKIT_SQL_UPDATE(RANGE_TABLE, RANGE_COLUMNS),
	.create_check = range_create_check, .n_extra = 4,
	.info = &zs__network__v1__ip_range_info__descriptor, .query = &range_query,
	.ops = range_ops, .n_ops = sizeof range_ops / sizeof range_ops[0],
};

ZS_EXPORT zs_rkit_service network_range_service =
    ZS_RKIT_SERVICE(&zs__network__v1__ip_range__descriptor, &net_range_def);

/* The CIDR's range as an AddIpRange of the same call, run by the kit at once. */
void
net_range_by_cidr(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	const Zs__Network__V1__AddIpRangeByNetworkCidrRequest *r =
	    (const Zs__Network__V1__AddIpRangeByNetworkCidrRequest *) in;
	net_ipv4_range g;
	char err[256];
	if (net_ipv4_cidr_range(r->network_cidr, &g, err, sizeof err) != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, "NETWORK.1004", "%s", err);
		return;
	}
	char start[NET_IPV4_STR], end[NET_IPV4_STR], gw[NET_IPV4_STR], mask[NET_IPV4_STR];
	net_ipv4_format(g.start, start);
	net_ipv4_format(g.end, end);
	net_ipv4_format(g.gateway, gw);
	net_ipv4_format(g.netmask, mask);
	Zs__Network__V1__AddIpRangeRequest add = ZS__NETWORK__V1__ADD_IP_RANGE_REQUEST__INIT;
	add.l3_network_uuid = r->l3_network_uuid;
	add.name = r->name;
	add.description = r->description;
	add.start_ip = start;
	add.end_ip = end;
	add.gateway = gw;
	add.netmask = mask;
	/* the kit's create answers before it returns (its handlers are synchronous) */
	zs_rkit_invoke(&network_range_service.base, 0, &add.base, closure, call);
}
