/*
 * network_l2.c: L2 networks (zs.network.v1.L2Network), ZStack's L2NoVlanNetwork and
 * L2VlanNetwork: a physical interface of the hosts, with or without a VLAN, in a zone.
 * The resource kit runs Create (both kinds), Get, List, Update, Delete and Query from the
 * tables below; attaching to clusters is network_attach.c. One L2 per interface and VLAN in a
 * zone. Deleting an L2 deletes its L3 networks, their ranges and used addresses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"

#define L2_TABLE "net_l2_networks"
#define L2_COLUMNS "uuid, zone_uuid, name, description, type, physical_interface, " \
	"COALESCE(vlan, 0) AS vlan, owner_uuid, " ZS_RKIT_SQL_TIMES

/* The VLAN as text for the insert: create_check's extras must outlive it, and the insert
 * runs right after on the same worker thread. */
static _Thread_local char l2_vlan_text[8];

/* The kind, interface and VLAN go to extra[0..2]. */
static bool
l2_create_check(zs_call *call, const ProtobufCMessage *in, const char **extra)
{
	char err[256];
	bool vlan = strcmp(in->descriptor->name, zs__network__v1__create_l2_vlan_network_request__descriptor.name) == 0;
	const char *iface = vlan ? ((const Zs__Network__V1__CreateL2VlanNetworkRequest *) in)->physical_interface :
	    ((const Zs__Network__V1__CreateL2NoVlanNetworkRequest *) in)->physical_interface;
	if (net_iface_check(iface, err, sizeof err) != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s", err);
		return false;
	}
	extra[0] = vlan ? "L2VlanNetwork" : "L2NoVlanNetwork";
	extra[1] = iface;
	extra[2] = NULL;
	if (vlan) {
		int32_t v = ((const Zs__Network__V1__CreateL2VlanNetworkRequest *) in)->vlan;
		if (v < 1 || v > 4094) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "vlan: %d is not a VLAN id (1 to 4094)",
			    (int) v);
			return false;
		}
		snprintf(l2_vlan_text, sizeof l2_vlan_text, "%d", (int) v);
		extra[2] = l2_vlan_text;
	}
	return true;
}

/* Get also lists the clusters it is attached to: one block holds the pointers and text. */
static int
l2_get_more(zs_call *call, zs_db_conn *c, ProtobufCMessage *info, void **owned, zs_status **st)
{
	(void) call;
	Zs__Network__V1__L2NetworkInfo *l2 = (Zs__Network__V1__L2NetworkInfo *) info;
	const char *p[1] = { l2->uuid };
	PGresult *r = zs_db_exec(c, "SELECT cluster_uuid FROM net_l2_cluster_refs WHERE "
	    "l2_network_uuid = $1 ORDER BY created_at, cluster_uuid", 1, p, st);
	if (r == NULL)
		return (int) (*st)->code;
	size_t n = (size_t) PQntuples(r), bytes = (n + 1) * sizeof(char *);
	for (size_t i = 0; i < n; i++)
		bytes += strlen(PQgetvalue(r, (int) i, 0)) + 1;
	char **ptrs = malloc(bytes);
	if (ptrs == NULL) {
		PQclear(r);
		if (st != NULL)
			*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return ZS_RESOURCE_EXHAUSTED;
	}
	char *text = (char *) (ptrs + n + 1);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(PQgetvalue(r, (int) i, 0)) + 1;
		memcpy(text, PQgetvalue(r, (int) i, 0), len);
		ptrs[i] = text;
		text += len;
	}
	PQclear(r);
	l2->n_attached_cluster_uuids = n;
	l2->attached_cluster_uuids = ptrs;
	*owned = ptrs;
	return 0;
}

static const zs_rkit_conflict l2_conflicts[] = {
	{ "net_l2_networks_zone_iface_vlan_key", "NETWORK.1002", "physical_interface",
	  "the zone already has an L2 network on physical interface \"", "\" with that VLAN (or none)" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const zs_rkit_op l2_ops[] = {
	{ ZS_RKIT_CREATE, NULL }, { ZS_RKIT_GET, NULL }, { ZS_RKIT_LIST, NULL },
	{ ZS_RKIT_UPDATE, NULL }, { ZS_RKIT_DELETE, NULL }, { ZS_RKIT_CREATE, NULL },
	{ ZS_RKIT_CUSTOM, net_attach }, { ZS_RKIT_CUSTOM, net_detach },
	{ ZS_RKIT_QUERY, NULL },
};

/* QueryL2Network: its own fields, its zone, clusters, L3 networks and tags by dot path.
 * Admins only, as the other methods (no owner column; network.check refuses first). */
static const char *const l2_q_types[] = { "L2NoVlanNetwork", "L2VlanNetwork", NULL };

static const zs_query_field l2_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "zone_uuid", "t.zone_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "description", "t.description", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "type", "t.type", ZS_QUERY_ENUM, l2_q_types, NULL, NULL },
	{ "physical_interface", "t.physical_interface", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "vlan", "t.vlan", ZS_QUERY_INT, NULL, NULL, NULL },   /* NULL without a VLAN */
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "zone.name", "r.name", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zone_zones r WHERE r.uuid = t.zone_uuid", NULL },
	{ "clusters.uuid", "r.cluster_uuid", ZS_QUERY_UUID, NULL,
	  "SELECT 1 FROM net_l2_cluster_refs r WHERE r.l2_network_uuid = t.uuid", NULL },
	{ "clusters.name", "r.name", ZS_QUERY_TEXT, NULL, "SELECT 1 FROM net_l2_cluster_refs a "
	  "JOIN cluster_clusters r ON r.uuid = a.cluster_uuid WHERE a.l2_network_uuid = t.uuid", NULL },
#define L2_Q_L3 "SELECT 1 FROM net_l3_networks r WHERE r.l2_network_uuid = t.uuid"
	{ "l3_networks.uuid", "r.uuid", ZS_QUERY_UUID, NULL, L2_Q_L3, NULL },
	{ "l3_networks.name", "r.name", ZS_QUERY_TEXT, NULL, L2_Q_L3, NULL },
	{ "l3_networks.category", "r.category", ZS_QUERY_TEXT, NULL, L2_Q_L3, NULL },
	{ "tags.tag", "r.tag", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zs_tags r WHERE r.resource_uuid = t.uuid", NULL },
};

static const zs_query_table l2_query = {
	"L2 network", L2_TABLE " t", NULL, "t.created_at", "t.uuid", l2_query_fields,
	sizeof l2_query_fields / sizeof l2_query_fields[0], NULL,
};

const zs_rkit_def net_l2_def = {
	.type = "L2Network", .what = "l2network", .name_max = 255, .description_max = 2048,
	.parent_type = "Zone", .parent_what = "zone", .parent_field = "zone_uuid",
	.sql_get = ZS_RKIT_SQL_GET(L2_TABLE, L2_COLUMNS),
	.sql_list = ZS_RKIT_SQL_LIST_IN(L2_TABLE, "zone_uuid", L2_COLUMNS),
	.sql_insert = ZS_RKIT_SQL_INSERT(L2_TABLE, ", zone_uuid, type, physical_interface, vlan",
	    ", $5, $6, $7, $8::integer", L2_COLUMNS),
	.sql_update = ZS_RKIT_SQL_UPDATE(L2_TABLE, L2_COLUMNS),
	.create_check = l2_create_check, .n_extra = 3, .get_more = l2_get_more,
	.info = &zs__network__v1__l2_network_info__descriptor,
	.deleted_event = &zs__network__v1__l2_network_deleted__descriptor, .query = &l2_query,
	.conflicts = l2_conflicts, .ops = l2_ops, .n_ops = sizeof l2_ops / sizeof l2_ops[0],
};

ZS_EXPORT zs_rkit_service network_l2_service =
    ZS_RKIT_SERVICE(&zs__network__v1__l2_network__descriptor, &net_l2_def);
