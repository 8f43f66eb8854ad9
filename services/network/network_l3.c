/*
 * network_l3.c: L3 networks (zs.network.v1.L3Network): ZStack's L3BasicNetwork in an L2
 * network, with its category and DNS servers. The resource kit runs Create, Get, List,
 * Update, Delete and QueryL3Network from the table below; AllocateIp and ReleaseIp are
 * network_ip.c; QueryUsedIp answers the used addresses from their own query table.
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

/* QueryL3Network: its own fields, its L2 network, zone, IP ranges, used addresses and tags
 * by dot path. Admins only, as the other methods (no owner column). */
static const char *const l3_q_categories[] = { "Private", "Public", "System", NULL };

static const zs_query_field l3_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "l2_network_uuid", "t.l2_network_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "zone_uuid", "t.zone_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "description", "t.description", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "type", "t.type", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "category", "t.category", ZS_QUERY_ENUM, l3_q_categories, NULL, NULL },
	{ "dns", "t.dns", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
#define L3_Q_L2 "SELECT 1 FROM net_l2_networks r WHERE r.uuid = t.l2_network_uuid"
	{ "l2_network.uuid", "r.uuid", ZS_QUERY_UUID, NULL, L3_Q_L2, NULL },
	{ "l2_network.name", "r.name", ZS_QUERY_TEXT, NULL, L3_Q_L2, NULL },
	{ "l2_network.type", "r.type", ZS_QUERY_TEXT, NULL, L3_Q_L2, NULL },
	{ "l2_network.physical_interface", "r.physical_interface", ZS_QUERY_TEXT, NULL, L3_Q_L2,
	  NULL },
	{ "l2_network.vlan", "r.vlan", ZS_QUERY_INT, NULL, L3_Q_L2, NULL },
	{ "zone.name", "r.name", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zone_zones r WHERE r.uuid = t.zone_uuid", NULL },
#define L3_Q_RANGES "SELECT 1 FROM net_ip_ranges r WHERE r.l3_network_uuid = t.uuid"
	{ "ip_ranges.uuid", "r.uuid", ZS_QUERY_UUID, NULL, L3_Q_RANGES, NULL },
	{ "ip_ranges.name", "r.name", ZS_QUERY_TEXT, NULL, L3_Q_RANGES, NULL },
	{ "ip_ranges.start_ip", "r.start_ip", ZS_QUERY_TEXT, NULL, L3_Q_RANGES, NULL },
	{ "ip_ranges.end_ip", "r.end_ip", ZS_QUERY_TEXT, NULL, L3_Q_RANGES, NULL },
	{ "ip_ranges.gateway", "r.gateway", ZS_QUERY_TEXT, NULL, L3_Q_RANGES, NULL },
	{ "ip_ranges.network_cidr", "r.network_cidr", ZS_QUERY_TEXT, NULL, L3_Q_RANGES, NULL },
#define L3_Q_USED "SELECT 1 FROM net_used_ips r WHERE r.l3_network_uuid = t.uuid"
	{ "used_ips.uuid", "r.uuid", ZS_QUERY_UUID, NULL, L3_Q_USED, NULL },
	{ "used_ips.ip", "r.ip", ZS_QUERY_TEXT, NULL, L3_Q_USED, NULL },
	{ "tags.tag", "r.tag", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zs_tags r WHERE r.resource_uuid = t.uuid", NULL },
};

static const zs_query_table l3_query = {
	"L3 network", L3_TABLE " t", NULL, "t.created_at", "t.uuid", l3_query_fields,
	sizeof l3_query_fields / sizeof l3_query_fields[0], NULL,
};

/* QueryUsedIp: the addresses given out (AllocateIp), with their range's gateway and
 * netmask as AllocateIp answers them; their L3 network and range by dot path. Admins
 * only. */
#define USED_Q_RANGE "SELECT 1 FROM net_ip_ranges r WHERE r.uuid = t.ip_range_uuid"
static const zs_query_field used_ip_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "l3_network_uuid", "t.l3_network_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "ip_range_uuid", "t.ip_range_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "ip", "t.ip", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "gateway", "(SELECT g.gateway FROM net_ip_ranges g WHERE g.uuid = t.ip_range_uuid)",
	  ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "netmask", "(SELECT g.netmask FROM net_ip_ranges g WHERE g.uuid = t.ip_range_uuid)",
	  ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
#define USED_Q_L3 "SELECT 1 FROM net_l3_networks r WHERE r.uuid = t.l3_network_uuid"
	{ "l3_network.uuid", "r.uuid", ZS_QUERY_UUID, NULL, USED_Q_L3, NULL },
	{ "l3_network.name", "r.name", ZS_QUERY_TEXT, NULL, USED_Q_L3, NULL },
	{ "l3_network.l2_network_uuid", "r.l2_network_uuid", ZS_QUERY_UUID, NULL, USED_Q_L3, NULL },
	{ "ip_range.name", "r.name", ZS_QUERY_TEXT, NULL, USED_Q_RANGE, NULL },
	{ "ip_range.network_cidr", "r.network_cidr", ZS_QUERY_TEXT, NULL, USED_Q_RANGE, NULL },
};

static const zs_query_table used_ip_query = {
	"used IP", "net_used_ips t", NULL, "t.created_at", "t.uuid", used_ip_query_fields,
	sizeof used_ip_query_fields / sizeof used_ip_query_fields[0], NULL,
};

static void
l3_query_used_ips(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	zs_query_call(call, zs_node_db(zs_call_node(call)), &used_ip_query, 0, in,
	    &zs__network__v1__used_ip_info__descriptor,
	    &zs__network__v1__query_used_ip_response__descriptor, closure);
}

static const zs_rkit_op l3_ops[] = {
	{ ZS_RKIT_CREATE, NULL }, { ZS_RKIT_GET, NULL }, { ZS_RKIT_LIST, NULL },
	{ ZS_RKIT_UPDATE, NULL }, { ZS_RKIT_DELETE, NULL },
	{ ZS_RKIT_CUSTOM, net_ip_allocate }, { ZS_RKIT_CUSTOM, net_ip_release },
	{ ZS_RKIT_CUSTOM, net_ip_release_vm },
	{ ZS_RKIT_QUERY, NULL }, { ZS_RKIT_CUSTOM, l3_query_used_ips },
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
	.info = &zs__network__v1__l3_network_info__descriptor, .query = &l3_query,
	.deleted_event = &zs__network__v1__l3_network_deleted__descriptor,
	.ops = l3_ops, .n_ops = sizeof l3_ops / sizeof l3_ops[0],
};

ZS_EXPORT zs_rkit_service network_l3_service =
    ZS_RKIT_SERVICE(&zs__network__v1__l3_network__descriptor, &net_l3_def);
