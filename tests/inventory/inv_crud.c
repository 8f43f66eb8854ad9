/*
 * inv_crud.c: create, get, list, update and delete of zones, clusters and hosts as the
 * admin, with their argument checks (INVALID_ARGUMENT naming the field), name conflicts
 * (ZONE.1001, CLUSTER.1001, HOST.1001, HOST.1002), parent checks (NOT_FOUND), the
 * cascade of a delete down the tree, and the events each change sends.
 */
#include <stdio.h>
#include <string.h>

#include "zst_time.h"
#include "inv.h"

static bool
inv_has(const char *text, const char *part)
{
	return strstr(text, part) != NULL;
}

static void
inv_crud_zones(inv *t, inv_events *ev)
{
	const char *a = t->admin;
	char z[INV_UUID], z2[INV_UUID], none[INV_UUID];
	Zs__Zone__V1__ZoneInfo *info = NULL;
	Zs__Zone__V1__CreateZoneRequest req = ZS__ZONE__V1__CREATE_ZONE_REQUEST__INIT;
	req.name = (char *) "crud-zone";
	req.description = (char *) "the first zone\nof the suite";
	int code = inv_call(t, a, "zs.zone.v1.Zone/CreateZone", &req,
	    &zs__zone__v1__zone_info__descriptor, &info);
	ZST_CHECK(code == 0 && strlen(info->uuid) == 36 && strcmp(info->name, "crud-zone") == 0 &&
	    strcmp(info->description, req.description) == 0 && info->owner_uuid[0] != '\0' &&
	    zst_time_us(info->create_date) > 0 && zst_time_us(info->last_op_date) == zst_time_us(info->create_date),
	    "CreateZone answers the zone: uuid, name, description, owner, times (%s)", t->msg);
	snprintf(z, sizeof z, "%s", code == 0 ? info->uuid : "");
	zs_reply_free(info);
	ZST_CHECK(inv_events_has(ev, "zone/created", z, INV_EVENT_WAIT_MS),
	    "zone/created is published");

	ZST_CHECK(inv_zone_create(t, a, "", none) == INV_INVALID_ARGUMENT && inv_has(t->msg, "name"),
	    "CreateZone without a name: INVALID_ARGUMENT naming name (%s)", t->msg);
	ZST_CHECK(inv_zone_create(t, a, "bad\x01name", none) == INV_INVALID_ARGUMENT &&
	    inv_has(t->msg, "name"), "a name with a control character: INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(inv_zone_create(t, a, "bad\xff", none) == INV_INVALID_ARGUMENT,
	    "a name that is not UTF-8: INVALID_ARGUMENT (%s)", t->msg);
	char longname[300];
	memset(longname, 'n', 256);
	longname[256] = '\0';
	ZST_CHECK(inv_zone_create(t, a, longname, none) == INV_INVALID_ARGUMENT &&
	    inv_has(t->msg, "name"), "a name of 256 bytes: INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(inv_zone_create(t, a, "crud-zone", none) == INV_ALREADY_EXISTS &&
	    strcmp(t->error_code, "ZONE.1001") == 0 && t->description[0] != '\0',
	    "a second zone of the same name: ALREADY_EXISTS, ZONE.1001 with its description (%s)",
	    t->msg);

	code = inv_zone_get(t, a, z, &info);
	ZST_CHECK(code == 0 && strcmp(info->name, "crud-zone") == 0, "GetZone finds it (%s)", t->msg);
	zs_reply_free(info);
	ZST_CHECK(inv_zone_get(t, a, "00000000-0000-4000-8000-000000000000", NULL) == INV_NOT_FOUND,
	    "GetZone of an unknown uuid: NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_zone_get(t, a, "", NULL) == INV_INVALID_ARGUMENT && inv_has(t->msg, "uuid"),
	    "GetZone without a uuid: INVALID_ARGUMENT naming uuid (%s)", t->msg);

	ZST_CHECK(inv_zone_create(t, a, "crud-zone-2", z2) == 0, "a second zone (%s)", t->msg);
	bool has1, has2;
	int n = inv_zone_count(t, a, z, &has1);
	inv_zone_count(t, a, z2, &has2);
	ZST_CHECK(n >= 2 && has1 && has2, "ListZones has both (%d zones)", n);

	ZST_CHECK(inv_zone_update(t, a, z, NULL, "only the description") == 0 &&
	    inv_zone_get(t, a, z, &info) == 0 && strcmp(info->name, "crud-zone") == 0 &&
	    strcmp(info->description, "only the description") == 0 &&
	    zst_time_us(info->last_op_date) >= zst_time_us(info->create_date),
	    "UpdateZone with a description only leaves the name (%s)", t->msg);
	zs_reply_free(info);
	ZST_CHECK(inv_events_has(ev, "zone/updated", z, INV_EVENT_WAIT_MS),
	    "zone/updated is published");
	ZST_CHECK(inv_zone_update(t, a, z, "crud-zone-renamed", "") == 0 &&
	    inv_zone_get(t, a, z, &info) == 0 && strcmp(info->name, "crud-zone-renamed") == 0 &&
	    info->description[0] == '\0', "UpdateZone renames and clears the description (%s)", t->msg);
	zs_reply_free(info);
	ZST_CHECK(inv_zone_update(t, a, z, "", NULL) == INV_INVALID_ARGUMENT && inv_has(t->msg, "name"),
	    "UpdateZone to an empty name: INVALID_ARGUMENT naming name (%s)", t->msg);
	ZST_CHECK(inv_zone_update(t, a, z2, "crud-zone-renamed", NULL) == INV_ALREADY_EXISTS &&
	    strcmp(t->error_code, "ZONE.1001") == 0, "UpdateZone to a name taken: ZONE.1001 (%s)", t->msg);
	ZST_CHECK(inv_zone_get(t, a, z2, &info) == 0 && strcmp(info->name, "crud-zone-2") == 0,
	    "the refused rename changed nothing");
	zs_reply_free(info);

	ZST_CHECK(inv_zone_delete(t, a, z2, NULL) == 0, "DeleteZone (%s)", t->msg);
	ZST_CHECK(inv_events_has(ev, "zone/deleted", z2, INV_EVENT_WAIT_MS),
	    "zone/deleted is published");
	ZST_CHECK(inv_zone_get(t, a, z2, NULL) == INV_NOT_FOUND, "the deleted zone is NOT_FOUND");
	ZST_CHECK(inv_zone_delete(t, a, z2, NULL) == INV_NOT_FOUND, "deleting it again: NOT_FOUND (%s)",
	    t->msg);
	ZST_CHECK(inv_zone_create(t, a, "crud-zone-2", z2) == 0, "its name is free again (%s)", t->msg);
	ZST_CHECK(inv_zone_delete(t, a, z, NULL) == 0 && inv_zone_delete(t, a, z2, NULL) == 0,
	    "both zones are deleted (%s)", t->msg);
}

static void
inv_crud_clusters(inv *t, inv_events *ev)
{
	const char *a = t->admin;
	char z[INV_UUID], z2[INV_UUID], c[INV_UUID], c2[INV_UUID], none[INV_UUID];
	inv_zone_create(t, a, "cluster-zone", z);
	inv_zone_create(t, a, "cluster-zone-2", z2);
	Zs__Cluster__V1__ClusterInfo *info = NULL;
	Zs__Cluster__V1__CreateClusterRequest req = ZS__CLUSTER__V1__CREATE_CLUSTER_REQUEST__INIT;
	req.zone_uuid = z;
	req.name = (char *) "c1";
	req.hypervisor_type = (char *) "KVM";
	req.description = (char *) "kvm hosts";
	int code = inv_call(t, a, "zs.cluster.v1.Cluster/CreateCluster", &req,
	    &zs__cluster__v1__cluster_info__descriptor, &info);
	ZST_CHECK(code == 0 && strcmp(info->zone_uuid, z) == 0 && strcmp(info->name, "c1") == 0 &&
	    strcmp(info->hypervisor_type, "KVM") == 0 && strcmp(info->description, "kvm hosts") == 0,
	    "CreateCluster answers the cluster in its zone (%s)", t->msg);
	snprintf(c, sizeof c, "%s", code == 0 ? info->uuid : "");
	zs_reply_free(info);
	ZST_CHECK(inv_events_has(ev, "cluster/created", c, INV_EVENT_WAIT_MS),
	    "cluster/created is published");

	ZST_CHECK(inv_cluster_create(t, a, "", "cx", NULL, none) == INV_INVALID_ARGUMENT &&
	    inv_has(t->msg, "zone_uuid"), "CreateCluster without zone_uuid: INVALID_ARGUMENT naming "
	    "it (%s)", t->msg);
	ZST_CHECK(inv_cluster_create(t, a, "00000000-0000-4000-8000-000000000000", "cx", NULL, none) ==
	    INV_NOT_FOUND && inv_has(t->msg, "zone_uuid"), "CreateCluster in an unknown zone: "
	    "NOT_FOUND naming zone_uuid (%s)", t->msg);
	ZST_CHECK(inv_cluster_create(t, a, z, "", NULL, none) == INV_INVALID_ARGUMENT &&
	    inv_has(t->msg, "name"), "CreateCluster without a name: INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(inv_cluster_create(t, a, z, "cx", "ESX", none) == INV_INVALID_ARGUMENT &&
	    strcmp(t->error_code, "CLUSTER.1002") == 0 && inv_has(t->msg, "hypervisor_type"),
	    "hypervisor_type ESX: INVALID_ARGUMENT, CLUSTER.1002 (%s)", t->msg);
	ZST_CHECK(inv_cluster_create(t, a, c, "cx", NULL, none) == INV_NOT_FOUND,
	    "a cluster as the zone of a cluster: NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_cluster_create(t, a, z, "c1", NULL, none) == INV_ALREADY_EXISTS &&
	    strcmp(t->error_code, "CLUSTER.1001") == 0 && t->description[0] != '\0',
	    "a second c1 in the zone: ALREADY_EXISTS, CLUSTER.1001 (%s)", t->msg);
	ZST_CHECK(inv_cluster_create(t, a, z2, "c1", "", c2) == 0 &&
	    inv_cluster_get(t, a, c2, &info) == 0 && strcmp(info->hypervisor_type, "KVM") == 0,
	    "c1 in another zone is fine; an empty hypervisor_type means KVM (%s)", t->msg);
	zs_reply_free(info);

	bool has;
	ZST_CHECK(inv_cluster_count(t, a, z, c, &has) == 1 && has, "ListClusters of the zone has c1");
	ZST_CHECK(inv_cluster_count(t, a, NULL, c2, &has) >= 2 && has, "ListClusters of all has both");
	ZST_CHECK(inv_cluster_count(t, a, "00000000-0000-4000-8000-000000000000", NULL, NULL) == -1 &&
	    t->code == INV_NOT_FOUND, "ListClusters of an unknown zone: NOT_FOUND (%s)", t->msg);

	ZST_CHECK(inv_cluster_update(t, a, c, "c1-renamed", "new words") == 0 &&
	    inv_cluster_get(t, a, c, &info) == 0 && strcmp(info->name, "c1-renamed") == 0 &&
	    strcmp(info->description, "new words") == 0 && strcmp(info->zone_uuid, z) == 0,
	    "UpdateCluster changes name and description (%s)", t->msg);
	zs_reply_free(info);
	ZST_CHECK(inv_events_has(ev, "cluster/updated", c, INV_EVENT_WAIT_MS),
	    "cluster/updated is published");
	ZST_CHECK(inv_cluster_update(t, a, c, "", NULL) == INV_INVALID_ARGUMENT,
	    "UpdateCluster to an empty name: INVALID_ARGUMENT (%s)", t->msg);

	ZST_CHECK(inv_cluster_delete(t, a, c, NULL) == 0 &&
	    inv_cluster_get(t, a, c, NULL) == INV_NOT_FOUND,
	    "DeleteCluster; then it is NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_events_has(ev, "cluster/deleted", c, INV_EVENT_WAIT_MS),
	    "cluster/deleted is published");
	ZST_CHECK(inv_zone_get(t, a, z, NULL) == 0, "its zone is still there");
	inv_zone_delete(t, a, z, NULL);
	inv_zone_delete(t, a, z2, NULL);
}

static void
inv_crud_hosts(inv *t, inv_events *ev)
{
	const char *a = t->admin;
	char z[INV_UUID], c[INV_UUID], c2[INV_UUID], h[INV_UUID], none[INV_UUID];
	inv_zone_create(t, a, "host-zone", z);
	inv_cluster_create(t, a, z, "host-cluster", NULL, c);
	inv_cluster_create(t, a, z, "host-cluster-2", NULL, c2);
	Zs__Host__V1__HostInfo *info = NULL;
	int code = inv_host_add_info(t, a, c, "h1", "127.4.0.1", &info);
	ZST_CHECK(code == 0 && strcmp(info->cluster_uuid, c) == 0 && strcmp(info->zone_uuid, z) == 0 &&
	    strcmp(info->name, "h1") == 0 && strcmp(info->management_ip, "127.4.0.1") == 0 &&
	    strcmp(info->state, "Enabled") == 0 && strcmp(info->status, "Connected") == 0 &&
	    strcmp(info->hypervisor_type, "KVM") == 0,
	    "AddHost answers the host: Enabled, Connected to its agent (KVM's factory connected "
	    "it), its cluster, zone and type (%s)", t->msg);
	snprintf(h, sizeof h, "%s", code == 0 ? info->uuid : "");
	zs_reply_free(info);
	ZST_CHECK(inv_events_has(ev, "host/created", h, INV_EVENT_WAIT_MS),
	    "host/created is published");

	ZST_CHECK(inv_host_add(t, a, c, "hx", "127.0.0.300", none) == INV_INVALID_ARGUMENT &&
	    inv_has(t->msg, "management_ip"), "a bad IP: INVALID_ARGUMENT naming management_ip (%s)",
	    t->msg);
	ZST_CHECK(inv_host_add(t, a, c, "hx", "host.example.com", none) == INV_INVALID_ARGUMENT &&
	    inv_has(t->msg, "management_ip"), "a host name as IP: INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(inv_host_add(t, a, c, "hx", "", none) == INV_INVALID_ARGUMENT &&
	    inv_has(t->msg, "management_ip"), "no IP: INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(inv_host_add(t, a, c, "hx", "0.0.0.0", none) == INV_INVALID_ARGUMENT &&
	    inv_host_add(t, a, c, "hx", "224.0.0.1", none) == INV_INVALID_ARGUMENT,
	    "the unspecified and multicast addresses: INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(inv_host_add(t, a, c, "", "127.0.0.9", none) == INV_INVALID_ARGUMENT &&
	    inv_has(t->msg, "name"), "no name: INVALID_ARGUMENT naming name (%s)", t->msg);
	ZST_CHECK(inv_host_add(t, a, "", "hx", "127.0.0.9", none) == INV_INVALID_ARGUMENT &&
	    inv_has(t->msg, "cluster_uuid"), "no cluster_uuid: INVALID_ARGUMENT naming it (%s)", t->msg);
	ZST_CHECK(inv_host_add(t, a, "00000000-0000-4000-8000-000000000000", "hx", "127.0.0.9", none) ==
	    INV_NOT_FOUND && inv_has(t->msg, "cluster_uuid"),
	    "AddHost to an unknown cluster: NOT_FOUND naming cluster_uuid (%s)", t->msg);
	ZST_CHECK(inv_host_add(t, a, z, "hx", "127.0.0.9", none) == INV_NOT_FOUND,
	    "AddHost with a zone as its cluster: NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_host_add(t, a, c, "h1", "127.4.0.2", none) == INV_ALREADY_EXISTS &&
	    strcmp(t->error_code, "HOST.1001") == 0 && t->description[0] != '\0',
	    "a second h1 in the cluster: ALREADY_EXISTS, HOST.1001 with its description (%s)", t->msg);
	ZST_CHECK(inv_host_add(t, a, c2, "h9", "127.4.0.1", none) == INV_ALREADY_EXISTS &&
	    strcmp(t->error_code, "HOST.1002") == 0,
	    "the same management IP in another cluster: ALREADY_EXISTS, HOST.1002 (%s)", t->msg);
	ZST_CHECK(inv_host_count(t, a, NULL, NULL, NULL) == 1, "the refused AddHosts left nothing");

	/* no agent answers there: the connect fails and names the address in canonical form */
	code = inv_host_add_info(t, a, c2, "h1", "FE80:0:0::0:1", &info);
	ZST_CHECK(code != 0 && strcmp(t->error_code, "KVM.1001") == 0 && inv_has(t->msg, "(fe80::1)"),
	    "h1 in another cluster with an IPv6 address is connected at its canonical form, and "
	    "without an agent there not added: KVM.1001 (%s)", t->msg);
	zs_reply_free(info);
	ZST_CHECK(inv_host_count(t, a, NULL, NULL, NULL) == 1, "the host that did not connect left "
	    "nothing");
	bool has;
	ZST_CHECK(inv_host_count(t, a, c, h, &has) == 1 && has, "ListHosts of the cluster has h1");
	ZST_CHECK(inv_host_count(t, a, NULL, h, &has) == 1 && has, "ListHosts of all has it");
	ZST_CHECK(inv_host_count(t, a, "00000000-0000-4000-8000-000000000000", NULL, NULL) == -1 &&
	    t->code == INV_NOT_FOUND, "ListHosts of an unknown cluster: NOT_FOUND (%s)", t->msg);
	code = inv_host_get(t, a, h, &info);
	ZST_CHECK(code == 0 && strcmp(info->name, "h1") == 0 && strcmp(info->reserved_memory, "1G") == 0 &&
	    info->reserved_memory_bytes == 1ull << 30 &&
	    strcmp(info->reserved_memory_source, "global") == 0,
	    "GetHost finds it, with kvm.reservedMemory 1G from global (%s)", t->msg);
	zs_reply_free(info);

	ZST_CHECK(inv_host_update(t, a, h, "h1-renamed", "rack 4") == 0 &&
	    inv_host_get(t, a, h, &info) == 0 &&
	    strcmp(info->name, "h1-renamed") == 0 && strcmp(info->description, "rack 4") == 0 &&
	    strcmp(info->management_ip, "127.4.0.1") == 0, "UpdateHost renames and describes (%s)", t->msg);
	zs_reply_free(info);
	ZST_CHECK(inv_events_has(ev, "host/updated", h, INV_EVENT_WAIT_MS),
	    "host/updated is published");
	ZST_CHECK(inv_host_add(t, a, c, "h2", "127.4.0.2", none) == 0 &&
	    inv_host_update(t, a, none, "h1-renamed", NULL) == INV_ALREADY_EXISTS &&
	    strcmp(t->error_code, "HOST.1001") == 0, "renaming to a name taken: HOST.1001 (%s)", t->msg);
	ZST_CHECK(inv_host_add(t, a, c2, "h7", "::ffff:127.4.0.2", none) == INV_ALREADY_EXISTS &&
	    strcmp(t->error_code, "HOST.1002") == 0,
	    "127.4.0.2 written as IPv4-mapped IPv6 is the same IP: HOST.1002 (%s)", t->msg);

	ZST_CHECK(inv_host_delete(t, a, h) == 0 && inv_host_get(t, a, h, NULL) == INV_NOT_FOUND,
	    "DeleteHost; then it is NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_events_has(ev, "host/deleted", h, INV_EVENT_WAIT_MS),
	    "host/deleted is published");
	ZST_CHECK(inv_host_delete(t, a, h) == INV_NOT_FOUND, "deleting it again: NOT_FOUND");
	ZST_CHECK(inv_host_add(t, a, c, "h1", "127.4.0.1", none) == 0,
	    "its name and IP are free again (%s)", t->msg);
	inv_zone_delete(t, a, z, NULL);
}

/* Deleting a zone takes its clusters and their hosts, and says which. */
static void
inv_crud_cascade(inv *t, inv_events *ev)
{
	const char *a = t->admin;
	char z[INV_UUID], c1[INV_UUID], c2[INV_UUID], h[3][INV_UUID];
	inv_zone_create(t, a, "cascade-zone", z);
	inv_cluster_create(t, a, z, "cascade-c1", NULL, c1);
	inv_cluster_create(t, a, z, "cascade-c2", NULL, c2);
	ZST_CHECK(inv_host_add(t, a, c1, "ch0", "127.1.0.1", h[0]) == 0 &&
	    inv_host_add(t, a, c1, "ch1", "127.1.0.2", h[1]) == 0 &&
	    inv_host_add(t, a, c2, "ch2", "127.1.0.3", h[2]) == 0,
	    "a zone with two clusters and three hosts (%s)", t->msg);
	ZST_CHECK(inv_tag(t, a, h[2], "cascade-marker", false, NULL) == 0, "a host is tagged");

	Zs__Cluster__V1__DeleteClusterResponse *cd = NULL;
	int code = inv_cluster_delete(t, a, c2, &cd);
	ZST_CHECK(code == 0 && cd->n_deleted == 1 && strcmp(cd->deleted[0]->uuid, h[2]) == 0 &&
	    strcmp(cd->deleted[0]->type, "Host") == 0 && strcmp(cd->deleted[0]->name, "ch2") == 0,
	    "DeleteCluster takes its host and says so (%s)", t->msg);
	zs_reply_free(cd);
	ZST_CHECK(inv_host_get(t, a, h[2], NULL) == INV_NOT_FOUND &&
	    inv_tag_query(t, a, "cascade-marker") == 0, "the host and its tag are gone");

	Zs__Zone__V1__DeleteZoneResponse *zd = NULL;
	code = inv_zone_delete(t, a, z, &zd);
	bool listed = code == 0 && zd->n_deleted == 3 && strcmp(zd->deleted[0]->uuid, c1) == 0 &&
	    strcmp(zd->deleted[0]->type, "Cluster") == 0;
	for (size_t i = 1; listed && i < 3; i++)
		listed = strcmp(zd->deleted[i]->type, "Host") == 0 &&
		    (strcmp(zd->deleted[i]->uuid, h[0]) == 0 || strcmp(zd->deleted[i]->uuid, h[1]) == 0);
	ZST_CHECK(listed, "DeleteZone takes its cluster and two hosts and lists them, cluster first "
	    "(%s, %zu listed)", t->msg, zd ? zd->n_deleted : 0);
	zs_reply_free(zd);
	ZST_CHECK(inv_events_has(ev, "zone/deleted", z, INV_EVENT_WAIT_MS),
	    "zone/deleted is published");
	ZST_CHECK(inv_cluster_get(t, a, c1, NULL) == INV_NOT_FOUND &&
	    inv_host_get(t, a, h[0], NULL) == INV_NOT_FOUND &&
	    inv_host_get(t, a, h[1], NULL) == INV_NOT_FOUND &&
	    inv_tag_count(t, a, h[0]) == -1 && t->code == INV_NOT_FOUND,
	    "the cluster and hosts are gone, from their tables and from the resource registry");
}

void
inv_test_crud(inv *t)
{
	inv_events ev;
	if (!ZST_CHECK(inv_events_open(&ev, t->node.events_url) == 0, "a subscriber to zone/, "
	    "cluster/ and host/ events"))
		return;
	inv_crud_zones(t, &ev);
	inv_crud_clusters(t, &ev);
	inv_crud_hosts(t, &ev);
	inv_crud_cascade(t, &ev);
	inv_events_close(&ev);
}
