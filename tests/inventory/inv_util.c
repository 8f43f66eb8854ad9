/*
 * inv_util.c: the inventory suite's helpers (see inv.h): the node and client, calls
 * that keep the last failure, one short helper per API call the checks make, accounts
 * and an event recorder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inv.h"
#include <nng/protocol/pubsub0/sub.h>
#include "zs/config/v1/config.pb-c.h"
#include "zs/identity/v1/identity.pb-c.h"
#include "zs/rpc/v1/event.pb-c.h"
#include "zs/tag/v1/tag.pb-c.h"

#define INV_USER_PASSWORD "inventory-user-pw-1"

/* "KvmAgent.port=N" for every node inv_start starts, or NULL (a test program's setting). */
static const char *inv_agent_set;

void
inv_set_agent(const char *set)
{
	inv_agent_set = set;
}

bool
inv_start(inv *t, const char *const *sets)
{
	return inv_start_in(t, NULL, sets);
}

/* sets and the agent's port, NULL-terminated, into all (32 entries) */
static void
inv_sets(const char **all, const char *const *sets)
{
	size_t n = 0;
	for (; sets != NULL && sets[n] != NULL && n < 30; n++)
		all[n] = sets[n];
	if (inv_agent_set != NULL)
		all[n++] = inv_agent_set;
	all[n] = NULL;
}

/* After a spawn: SERVING, admin logged in, a client open; or cleaned up and false. */
static bool
inv_ready(inv *t)
{
	/* as zst_node_start, but a node may take up to INV_READY_MS: its embedded
	 * PostgreSQL's initdb alone took 10 s on two CPUs shared with other builds */
	int64_t t0 = zst_now_ms();
	char why[256] = "";
	int code = -1;
	if (zst_node_wait_ready(&t->node, INV_READY_MS) != 0)
		printf("FAIL zsnode was not SERVING within %d ms\n", INV_READY_MS);
	else if ((code = zst_login(t->node.rpc_url, "admin", ZST_ADMIN_PASSWORD, t->node.session,
	    sizeof t->node.session, why, sizeof why)) != 0)
		printf("FAIL zsnode does not log admin in (code %d: %s)\n", code, why);
	if (code != 0) {
		zst_node_dump_stderr(&t->node);
		zst_node_cleanup(&t->node);
		return false;
	}
	zst_note("zsnode %d serving on %s after %lld ms, admin logged in", (int) t->node.pid,
	    t->node.rpc_url, (long long) (zst_now_ms() - t0));
	if (zs_client_open(&t->client, t->node.rpc_url) != 0) {
		zst_note("cannot open a client to %s", t->node.rpc_url);
		zst_node_cleanup(&t->node);
		return false;
	}
	t->admin = t->node.session;
	return true;
}

bool
inv_start_in(inv *t, const char *plugins_dir, const char *const *sets)
{
	memset(t, 0, sizeof *t);
	const char *all[32];
	inv_sets(all, sets);
	if (zst_node_spawn(&t->node, plugins_dir, all) != 0)
		return false;
	return inv_ready(t);
}

bool
inv_restart(inv *t, const char *const *sets)
{
	zs_client_close(t->client);
	t->client = NULL;
	if (!ZST_CHECK(zst_node_stop(&t->node) == 0, "the node stops cleanly (exit 0, no sanitizer "
	    "report)")) {
		zst_node_cleanup(&t->node);
		return false;
	}
	const char *all[32];
	inv_sets(all, sets);
	if (zst_node_respawn(&t->node, NULL, all) != 0)
		return false;
	return inv_ready(t);
}

void
inv_stop(inv *t)
{
	zs_client_close(t->client);
	ZST_CHECK(zst_node_stop(&t->node) == 0, "the node stops cleanly (exit 0, no sanitizer report)");
	zst_node_cleanup(&t->node);
}

int
inv_call(inv *t, const char *session, const char *method, const void *req,
    const ProtobufCMessageDescriptor *reply_desc, void *reply)
{
	ProtobufCMessage *out = NULL;
	zs_status *st = NULL;
	zs_call_opts opts = { .timeout_ms = INV_TIMEOUT_MS, .session = session };
	t->code = zs_client_call(t->client, method, req, reply_desc, &out, &st, &opts);
	snprintf(t->msg, sizeof t->msg, "%s%s%s", zs_client_code_name(t->code), st ? ": " : "",
	    st && st->message ? st->message : "");
	snprintf(t->error_code, sizeof t->error_code, "%s", st && st->error_code ? st->error_code : "");
	snprintf(t->description, sizeof t->description, "%s",
	    st && st->description ? st->description : "");
	zs_status_free(st);
	if (reply != NULL)
		*(ProtobufCMessage **) reply = out;
	else
		zs_reply_free(out);
	return t->code;
}

bool
inv_account(inv *t, const char *name, char session[INV_SESSION], char uuid[INV_UUID])
{
	Zs__Identity__V1__CreateAccountRequest req = ZS__IDENTITY__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.name = (char *) name;
	req.password = (char *) INV_USER_PASSWORD;
	Zs__Identity__V1__AccountInfo *info = NULL;
	int code = inv_call(t, t->admin, "zs.identity.v1.Identity/CreateAccount", &req,
	    &zs__identity__v1__account_info__descriptor, &info);
	snprintf(uuid, INV_UUID, "%s", code == 0 ? info->uuid : "");
	zs_reply_free(info);
	if (!ZST_CHECK(code == 0, "the admin makes account %s (%s)", name, t->msg))
		return false;
	char why[256] = "";
	code = zst_login(t->node.rpc_url, name, INV_USER_PASSWORD, session, INV_SESSION, why,
	    sizeof why);
	return ZST_CHECK(code == 0, "%s logs in (%s)", name, why);
}

/* ---- zones ---- */

int
inv_zone_create(inv *t, const char *s, const char *name, char uuid[INV_UUID])
{
	Zs__Zone__V1__CreateZoneRequest req = ZS__ZONE__V1__CREATE_ZONE_REQUEST__INIT;
	req.name = (char *) name;
	Zs__Zone__V1__ZoneInfo *info = NULL;
	int code = inv_call(t, s, "zs.zone.v1.Zone/CreateZone", &req, &zs__zone__v1__zone_info__descriptor,
	    &info);
	snprintf(uuid, INV_UUID, "%s", code == 0 ? info->uuid : "");
	zs_reply_free(info);
	return code;
}

int
inv_zone_get(inv *t, const char *s, const char *uuid, Zs__Zone__V1__ZoneInfo **out)
{
	Zs__Zone__V1__GetZoneRequest req = ZS__ZONE__V1__GET_ZONE_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return inv_call(t, s, "zs.zone.v1.Zone/GetZone", &req, &zs__zone__v1__zone_info__descriptor, out);
}

int
inv_zone_update(inv *t, const char *s, const char *uuid, const char *name, const char *description)
{
	Zs__Zone__V1__UpdateZoneRequest req = ZS__ZONE__V1__UPDATE_ZONE_REQUEST__INIT;
	req.uuid = (char *) uuid;
	if (name != NULL) {
		req._name_case = ZS__ZONE__V1__UPDATE_ZONE_REQUEST___NAME_NAME;
		req.name = (char *) name;
	}
	if (description != NULL) {
		req._description_case = ZS__ZONE__V1__UPDATE_ZONE_REQUEST___DESCRIPTION_DESCRIPTION;
		req.description = (char *) description;
	}
	return inv_call(t, s, "zs.zone.v1.Zone/UpdateZone", &req, &zs__zone__v1__zone_info__descriptor,
	    NULL);
}

int
inv_zone_delete(inv *t, const char *s, const char *uuid, Zs__Zone__V1__DeleteZoneResponse **out)
{
	Zs__Zone__V1__DeleteZoneRequest req = ZS__ZONE__V1__DELETE_ZONE_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return inv_call(t, s, "zs.zone.v1.Zone/DeleteZone", &req,
	    &zs__zone__v1__delete_zone_response__descriptor, out);
}

int
inv_zone_count(inv *t, const char *s, const char *uuid, bool *has)
{
	Zs__Zone__V1__ListZonesRequest req = ZS__ZONE__V1__LIST_ZONES_REQUEST__INIT;
	Zs__Zone__V1__ListZonesResponse *out = NULL;
	if (has != NULL)
		*has = false;
	if (inv_call(t, s, "zs.zone.v1.Zone/ListZones", &req,
	    &zs__zone__v1__list_zones_response__descriptor, &out) != 0)
		return -1;
	int n = (int) out->n_zones;
	for (size_t i = 0; has != NULL && uuid != NULL && i < out->n_zones; i++)
		*has |= strcmp(out->zones[i]->uuid, uuid) == 0;
	zs_reply_free(out);
	return n;
}

/* ---- clusters ---- */

int
inv_cluster_create(inv *t, const char *s, const char *zone, const char *name,
    const char *hypervisor, char uuid[INV_UUID])
{
	Zs__Cluster__V1__CreateClusterRequest req = ZS__CLUSTER__V1__CREATE_CLUSTER_REQUEST__INIT;
	req.zone_uuid = (char *) zone;
	req.name = (char *) name;
	req.hypervisor_type = (char *) (hypervisor ? hypervisor : "KVM");
	Zs__Cluster__V1__ClusterInfo *info = NULL;
	int code = inv_call(t, s, "zs.cluster.v1.Cluster/CreateCluster", &req,
	    &zs__cluster__v1__cluster_info__descriptor, &info);
	snprintf(uuid, INV_UUID, "%s", code == 0 ? info->uuid : "");
	zs_reply_free(info);
	return code;
}

int
inv_cluster_get(inv *t, const char *s, const char *uuid, Zs__Cluster__V1__ClusterInfo **out)
{
	Zs__Cluster__V1__GetClusterRequest req = ZS__CLUSTER__V1__GET_CLUSTER_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return inv_call(t, s, "zs.cluster.v1.Cluster/GetCluster", &req,
	    &zs__cluster__v1__cluster_info__descriptor, out);
}

int
inv_cluster_update(inv *t, const char *s, const char *uuid, const char *name,
    const char *description)
{
	Zs__Cluster__V1__UpdateClusterRequest req = ZS__CLUSTER__V1__UPDATE_CLUSTER_REQUEST__INIT;
	req.uuid = (char *) uuid;
	if (name != NULL) {
		req._name_case = ZS__CLUSTER__V1__UPDATE_CLUSTER_REQUEST___NAME_NAME;
		req.name = (char *) name;
	}
	if (description != NULL) {
		req._description_case = ZS__CLUSTER__V1__UPDATE_CLUSTER_REQUEST___DESCRIPTION_DESCRIPTION;
		req.description = (char *) description;
	}
	return inv_call(t, s, "zs.cluster.v1.Cluster/UpdateCluster", &req,
	    &zs__cluster__v1__cluster_info__descriptor, NULL);
}

int
inv_cluster_delete(inv *t, const char *s, const char *uuid,
    Zs__Cluster__V1__DeleteClusterResponse **out)
{
	Zs__Cluster__V1__DeleteClusterRequest req = ZS__CLUSTER__V1__DELETE_CLUSTER_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return inv_call(t, s, "zs.cluster.v1.Cluster/DeleteCluster", &req,
	    &zs__cluster__v1__delete_cluster_response__descriptor, out);
}

int
inv_cluster_count(inv *t, const char *s, const char *zone, const char *uuid, bool *has)
{
	Zs__Cluster__V1__ListClustersRequest req = ZS__CLUSTER__V1__LIST_CLUSTERS_REQUEST__INIT;
	req.zone_uuid = (char *) (zone ? zone : "");
	Zs__Cluster__V1__ListClustersResponse *out = NULL;
	if (has != NULL)
		*has = false;
	if (inv_call(t, s, "zs.cluster.v1.Cluster/ListClusters", &req,
	    &zs__cluster__v1__list_clusters_response__descriptor, &out) != 0)
		return -1;
	int n = (int) out->n_clusters;
	for (size_t i = 0; has != NULL && uuid != NULL && i < out->n_clusters; i++)
		*has |= strcmp(out->clusters[i]->uuid, uuid) == 0;
	zs_reply_free(out);
	return n;
}

/* ---- hosts ---- */

int
inv_host_add_info(inv *t, const char *s, const char *cluster, const char *name, const char *ip,
    Zs__Host__V1__HostInfo **out)
{
	Zs__Host__V1__AddHostRequest req = ZS__HOST__V1__ADD_HOST_REQUEST__INIT;
	req.cluster_uuid = (char *) cluster;
	req.name = (char *) name;
	req.management_ip = (char *) ip;
	return inv_call(t, s, "zs.host.v1.Host/AddHost", &req, &zs__host__v1__host_info__descriptor, out);
}

int
inv_host_add(inv *t, const char *s, const char *cluster, const char *name, const char *ip,
    char uuid[INV_UUID])
{
	Zs__Host__V1__HostInfo *info = NULL;
	int code = inv_host_add_info(t, s, cluster, name, ip, &info);
	snprintf(uuid, INV_UUID, "%s", code == 0 ? info->uuid : "");
	zs_reply_free(info);
	return code;
}

int
inv_host_get(inv *t, const char *s, const char *uuid, Zs__Host__V1__HostInfo **out)
{
	Zs__Host__V1__GetHostRequest req = ZS__HOST__V1__GET_HOST_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return inv_call(t, s, "zs.host.v1.Host/GetHost", &req, &zs__host__v1__host_info__descriptor, out);
}

int
inv_host_update(inv *t, const char *s, const char *uuid, const char *name, const char *description)
{
	Zs__Host__V1__UpdateHostRequest req = ZS__HOST__V1__UPDATE_HOST_REQUEST__INIT;
	req.uuid = (char *) uuid;
	if (name != NULL) {
		req._name_case = ZS__HOST__V1__UPDATE_HOST_REQUEST___NAME_NAME;
		req.name = (char *) name;
	}
	if (description != NULL) {
		req._description_case = ZS__HOST__V1__UPDATE_HOST_REQUEST___DESCRIPTION_DESCRIPTION;
		req.description = (char *) description;
	}
	return inv_call(t, s, "zs.host.v1.Host/UpdateHost", &req, &zs__host__v1__host_info__descriptor,
	    NULL);
}

int
inv_host_delete(inv *t, const char *s, const char *uuid)
{
	Zs__Host__V1__DeleteHostRequest req = ZS__HOST__V1__DELETE_HOST_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return inv_call(t, s, "zs.host.v1.Host/DeleteHost", &req,
	    &zs__host__v1__delete_host_response__descriptor, NULL);
}

int
inv_host_count(inv *t, const char *s, const char *cluster, const char *uuid, bool *has)
{
	Zs__Host__V1__ListHostsRequest req = ZS__HOST__V1__LIST_HOSTS_REQUEST__INIT;
	req.cluster_uuid = (char *) (cluster ? cluster : "");
	Zs__Host__V1__ListHostsResponse *out = NULL;
	if (has != NULL)
		*has = false;
	if (inv_call(t, s, "zs.host.v1.Host/ListHosts", &req,
	    &zs__host__v1__list_hosts_response__descriptor, &out) != 0)
		return -1;
	int n = (int) out->n_hosts;
	for (size_t i = 0; has != NULL && uuid != NULL && i < out->n_hosts; i++)
		*has |= strcmp(out->hosts[i]->uuid, uuid) == 0;
	zs_reply_free(out);
	return n;
}

/* ---- tags and configs ---- */

int
inv_tag(inv *t, const char *s, const char *resource, const char *tag, bool system,
    char uuid[INV_UUID])
{
	Zs__Tag__V1__CreateTagRequest req = ZS__TAG__V1__CREATE_TAG_REQUEST__INIT;
	req.resource_uuid = (char *) resource;
	req.tag = (char *) tag;
	req.kind = system ? ZS__TAG__V1__TAG_KIND__SYSTEM : ZS__TAG__V1__TAG_KIND__USER;
	Zs__Tag__V1__TagInfo *info = NULL;
	int code = inv_call(t, s, "zs.tag.v1.Tags/Create", &req, &zs__tag__v1__tag_info__descriptor,
	    &info);
	if (uuid != NULL)
		snprintf(uuid, INV_UUID, "%s", code == 0 ? info->uuid : "");
	zs_reply_free(info);
	return code;
}

int
inv_tag_delete(inv *t, const char *s, const char *uuid)
{
	Zs__Tag__V1__DeleteTagRequest req = ZS__TAG__V1__DELETE_TAG_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return inv_call(t, s, "zs.tag.v1.Tags/Delete", &req, &zs__tag__v1__delete_tag_response__descriptor,
	    NULL);
}

int
inv_tag_count(inv *t, const char *s, const char *resource)
{
	Zs__Tag__V1__ListTagsRequest req = ZS__TAG__V1__LIST_TAGS_REQUEST__INIT;
	req.resource_uuid = (char *) resource;
	Zs__Tag__V1__ListTagsResponse *out = NULL;
	if (inv_call(t, s, "zs.tag.v1.Tags/List", &req, &zs__tag__v1__list_tags_response__descriptor,
	    &out) != 0)
		return -1;
	int n = (int) out->n_tags;
	zs_reply_free(out);
	return n;
}

int
inv_tag_query(inv *t, const char *s, const char *tag)
{
	Zs__Tag__V1__QueryTagsRequest req = ZS__TAG__V1__QUERY_TAGS_REQUEST__INIT;
	req.tag = (char *) tag;
	Zs__Tag__V1__ListTagsResponse *out = NULL;
	if (inv_call(t, s, "zs.tag.v1.Tags/Query", &req, &zs__tag__v1__list_tags_response__descriptor,
	    &out) != 0)
		return -1;
	int n = (int) out->n_tags;
	zs_reply_free(out);
	return n;
}

int
inv_reserved(inv *t, const char *s, const char *resource, char value[64], char source[32])
{
	Zs__Config__V1__GetConfigRequest req = ZS__CONFIG__V1__GET_CONFIG_REQUEST__INIT;
	req.category = (char *) "kvm";
	req.name = (char *) "reservedMemory";
	req.resource_uuid = (char *) (resource ? resource : "");
	Zs__Config__V1__ConfigInfo *info = NULL;
	int code = inv_call(t, s, "zs.config.v1.GlobalConfig/Get", &req,
	    &zs__config__v1__config_info__descriptor, &info);
	snprintf(value, 64, "%s", code == 0 ? info->value : "");
	snprintf(source, 32, "%s", code == 0 ? info->source : "");
	zs_reply_free(info);
	return code;
}

int
inv_reserved_set(inv *t, const char *value)
{
	if (value == NULL) {
		Zs__Config__V1__ResetConfigRequest req = ZS__CONFIG__V1__RESET_CONFIG_REQUEST__INIT;
		req.category = (char *) "kvm";
		req.name = (char *) "reservedMemory";
		return inv_call(t, t->admin, "zs.config.v1.GlobalConfig/Reset", &req,
		    &zs__config__v1__config_info__descriptor, NULL);
	}
	Zs__Config__V1__UpdateConfigRequest req = ZS__CONFIG__V1__UPDATE_CONFIG_REQUEST__INIT;
	req.category = (char *) "kvm";
	req.name = (char *) "reservedMemory";
	req.value = (char *) value;
	return inv_call(t, t->admin, "zs.config.v1.GlobalConfig/Update", &req,
	    &zs__config__v1__config_info__descriptor, NULL);
}

/* ---- events ---- */

int
inv_events_open(inv_events *e, const char *url)
{
	memset(e, 0, sizeof *e);
	static const char *const topics[] = { "zone/", "cluster/", "host/" };
	int rv = nng_sub0_open(&e->sock);
	for (size_t i = 0; rv == 0 && i < sizeof topics / sizeof topics[0]; i++)
		rv = nng_socket_set(e->sock, NNG_OPT_SUB_SUBSCRIBE, topics[i], strlen(topics[i]));
	if (rv == 0)
		rv = nng_socket_set_ms(e->sock, NNG_OPT_RECVTIMEO, 200);
	if (rv == 0)
		rv = nng_dial(e->sock, url, NULL, 0);
	if (rv != 0) {
		nng_close(e->sock);
		return rv;
	}
	e->open = true;
	zst_sleep_ms(300);   /* let the subscription reach the node */
	return 0;
}

/* Reads what came so far (each wait ends after 200 ms without one). */
static void
inv_events_read(inv_events *e)
{
	char *buf;
	size_t len;
	while (e->open && nng_recv(e->sock, &buf, &len, NNG_FLAG_ALLOC) == 0) {
		size_t tl = strnlen(buf, len);
		Zs__Rpc__V1__Event *ev = tl < len ?
		    zs__rpc__v1__event__unpack(NULL, len - tl - 1, (uint8_t *) buf + tl + 1) : NULL;
		if (ev != NULL && e->n < sizeof e->seen / sizeof e->seen[0]) {
			snprintf(e->seen[e->n].topic, sizeof e->seen[e->n].topic, "%s", ev->topic);
			snprintf(e->seen[e->n].uuid, sizeof e->seen[e->n].uuid, "%s", ev->resource_uuid);
			e->n++;
		}
		if (ev != NULL)
			zs__rpc__v1__event__free_unpacked(ev, NULL);
		nng_free(buf, len);
	}
}

bool
inv_events_has(inv_events *e, const char *topic, const char *uuid, int wait_ms)
{
	int64_t until = zst_now_ms() + wait_ms;
	for (;;) {
		for (size_t i = 0; i < e->n; i++)
			if (strcmp(e->seen[i].topic, topic) == 0 && strcmp(e->seen[i].uuid, uuid) == 0)
				return true;
		if (!e->open || zst_now_ms() >= until)
			return false;
		inv_events_read(e);
	}
}

void
inv_events_close(inv_events *e)
{
	if (e->open)
		nng_close(e->sock);
	e->open = false;
}
