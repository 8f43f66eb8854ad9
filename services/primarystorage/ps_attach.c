/*
 * ps_attach.c: attaching a primary storage to a cluster, reconnecting it, detaching it,
 * and its state. Attach and reconnect ask the host service (over the bus, as the caller)
 * for the cluster's hosts, send every Connected one the agent's command at once
 * (LocalStorage /localstorage/init, NFS /nfsprimarystorage/mount; ps_agents.c), then
 * write each host's share (its capacity, or Disconnected with the agent's error) in one
 * transaction with the event. An attach no host could take fails and leaves nothing.
 * A reconnect also counts each share's reserved bytes again from the reservations.
 * Detaching NFS unmounts it on the cluster's hosts once the detach committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps.h"
#include "zs/host/v1/host.zsb.h"
#include "zs/log.h"
#include "zs/resource.h"

/* One attach or reconnect on its way. */
typedef struct ps_att {
	zs_call *call;
	ProtobufCClosure closure;
	ps_state *ps;
	bool attach;                       /* else a reconnect */
	char uuid[64], cluster[64];        /* cluster: attach only */
	char type[16], url[PS_URL_MAX], mount_path[PS_URL_MAX];
	char **clusters;                   /* reconnect: the attached clusters */
	size_t nclusters;
	Zs__Host__V1__ListHostsRequest req;
} ps_att;

static void
ps_att_free(ps_att *a)
{
	for (size_t i = 0; i < a->nclusters; i++)
		free(a->clusters[i]);
	free(a->clusters);
	free(a);
}

/* Reads the storage's type, url and mount path (and for a reconnect its clusters); 0 or
 * the code the call was failed with. */
static int
ps_att_load(ps_att *a)
{
	zs_db *db = zs_node_db(zs_call_node(a->call));
	zs_db_conn *c = NULL;
	int rv = zs_db_acquire_for(db, a->call, &c);
	if (rv != 0)
		return rv;
	zs_status *st = NULL;
	PGresult *row = NULL, *cl = NULL;
	const char *p[2] = { a->uuid, a->cluster };
	rv = zs_resource_check(c, a->call, a->uuid, PS_TYPE, NULL, 0, &st);
	if (rv == 0)
		rv = zs_db_exec_one(c, "SELECT type, url, mount_path, zone_uuid FROM ps_storages "
		    "WHERE uuid = $1", 1, p, "primary storage", a->uuid, &row, &st);
	if (rv == 0 && a->attach) {
		rv = zs_resource_check(c, a->call, a->cluster, "Cluster", NULL, 0, &st);
		if (rv == 0)
			rv = ps_exec(c, "SELECT parent_uuid FROM zs_resources WHERE uuid = $1", 1, p + 1,
			    &cl, &st);
		if (rv == 0 && (PQntuples(cl) != 1 || strcmp(PQgetvalue(cl, 0, 0),
		    PQgetvalue(row, 0, 3)) != 0)) {
			st = zs_status_new(ZS_FAILED_PRECONDITION, "PRIMARYSTORAGE.1008",
			    "cluster %s is not in zone %s of primary storage %s", a->cluster,
			    PQgetvalue(row, 0, 3), a->uuid);
			rv = ZS_FAILED_PRECONDITION;
		}
		PQclear(cl);
		cl = NULL;
		if (rv == 0)
			rv = ps_exec(c, "SELECT 1 FROM ps_clusters WHERE ps_uuid = $1 AND cluster_uuid = $2",
			    2, p, &cl, &st);
		if (rv == 0 && PQntuples(cl) > 0) {
			st = zs_status_new(ZS_ALREADY_EXISTS, "PRIMARYSTORAGE.1009",
			    "primary storage %s is already attached to cluster %s", a->uuid, a->cluster);
			rv = ZS_ALREADY_EXISTS;
		}
	} else if (rv == 0) {
		rv = ps_exec(c, "SELECT cluster_uuid FROM ps_clusters WHERE ps_uuid = $1", 1, p, &cl,
		    &st);
		size_t n = rv == 0 ? (size_t) PQntuples(cl) : 0;
		if (rv == 0 && (a->clusters = calloc(n + 1, sizeof *a->clusters)) == NULL) {
			st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
			rv = ZS_RESOURCE_EXHAUSTED;
		}
		for (size_t i = 0; rv == 0 && i < n; i++)
			if ((a->clusters[a->nclusters++] = strdup(PQgetvalue(cl, (int) i, 0))) == NULL) {
				st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
				rv = ZS_RESOURCE_EXHAUSTED;
			}
	}
	zs_db_release(db, c);
	if (rv == 0) {
		snprintf(a->type, sizeof a->type, "%s", PQgetvalue(row, 0, 0));
		snprintf(a->url, sizeof a->url, "%s", PQgetvalue(row, 0, 1));
		snprintf(a->mount_path, sizeof a->mount_path, "%s", PQgetvalue(row, 0, 2));
	}
	PQclear(row);
	PQclear(cl);
	if (rv != 0)
		ps_fail(a->call, st);
	return rv;
}

/* True when cluster is one a has in mind. */
static bool
ps_att_wants(const ps_att *a, const char *cluster)
{
	if (a->attach)
		return strcmp(cluster, a->cluster) == 0;
	for (size_t i = 0; i < a->nclusters; i++)
		if (strcmp(cluster, a->clusters[i]) == 0)
			return true;
	return false;
}

/* Writes one host's share (reserved is kept on a known host). */
static int
ps_att_host(zs_db_conn *c, const ps_att *a, const ps_host_result *h, zs_status **st)
{
	char total[24], avail[24];
	bool local = h->code == 0 && strcmp(a->type, PS_LOCAL) == 0;
	snprintf(total, sizeof total, "%lld", (long long) (local ? h->total : 0));
	snprintf(avail, sizeof avail, "%lld", (long long) (local ? h->available : 0));
	const char *p[8] = { a->uuid, h->uuid, h->cluster, h->ip,
	    h->code == 0 ? "Connected" : "Disconnected", h->code == 0 ? "" : h->why, total, avail };
	return ps_exec(c, "INSERT INTO ps_hosts (ps_uuid, host_uuid, cluster_uuid, host_ip, status, "
	    "status_reason, total_capacity, available_physical) VALUES ($1, $2, $3, $4, $5, $6, $7, "
	    "$8) ON CONFLICT (ps_uuid, host_uuid) DO UPDATE SET cluster_uuid = $3, host_ip = $4, "
	    "status = $5, status_reason = $6, total_capacity = CASE WHEN $5 = 'Connected' THEN $7 "
	    "ELSE ps_hosts.total_capacity END, available_physical = CASE WHEN $5 = 'Connected' "
	    "THEN $8 ELSE ps_hosts.available_physical END, updated_at = now()", 8, p, NULL, st);
}

/* On a worker, with every host's answer: the shares, the cluster and the event. */
static void
ps_att_answered(ps_host_result *hosts, size_t n, void *arg)
{
	ps_att *a = arg;
	size_t ok = 0, first_bad = n;
	for (size_t i = 0; i < n; i++) {
		if (hosts[i].code == 0)
			ok++;
		else if (first_bad == n)
			first_bad = i;
	}
	if (a->attach && n > 0 && ok == 0) {
		zs_call_fail(a->call, ZS_UNAVAILABLE, "PRIMARYSTORAGE.1002",
		    "primary storage %s could not be attached to cluster %s: no host took it (%s)",
		    a->uuid, a->cluster, hosts[first_bad].why);
		ps_att_free(a);
		return;
	}
	zs_db *db = zs_node_db(zs_call_node(a->call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, a->call, &c) != 0) {
		ps_att_free(a);
		return;
	}
	zs_status *st = NULL;
	const char *p[2] = { a->uuid, a->cluster };
	int rv = zs_db_begin(c, &st);
	if (rv == 0) {
		rv = zs_resource_lock(c, a->uuid, "primary storage", &st);
		if (rv == 0 && a->attach)
			rv = ps_exec(c, "INSERT INTO ps_clusters (ps_uuid, cluster_uuid) VALUES ($1, $2)",
			    2, p, NULL, &st);
		for (size_t i = 0; rv == 0 && i < n; i++)
			rv = ps_att_host(c, a, &hosts[i], &st);
		for (size_t i = 0; rv == 0 && i < n && strcmp(a->type, PS_NFS) == 0; i++) {
			if (hosts[i].code != 0)
				continue;
			char total[24], avail[24];
			snprintf(total, sizeof total, "%lld", (long long) hosts[i].total);
			snprintf(avail, sizeof avail, "%lld", (long long) hosts[i].available);
			const char *q[3] = { a->uuid, total, avail };
			rv = ps_exec(c, "UPDATE ps_storages SET total_capacity = $2, available_physical = $3, "
			    "updated_at = now() WHERE uuid = $1", 3, q, NULL, &st);
			break;   /* one host's answer is the share's */
		}
		/* what is reserved, counted again from the rows: the rows it is counted on are
		 * locked first, so the count (a new statement: a new snapshot) sees every
		 * reservation that committed, and those still to come wait for it */
		if (rv == 0 && !a->attach)
			rv = ps_exec(c, "SELECT 1 FROM ps_hosts WHERE ps_uuid = $1 FOR UPDATE", 1, p, NULL,
			    &st);
		if (rv == 0 && !a->attach)
			rv = ps_exec(c, "SELECT 1 FROM ps_storages WHERE uuid = $1 FOR UPDATE", 1, p, NULL,
			    &st);
		if (rv == 0 && !a->attach)
			rv = ps_exec(c, "UPDATE ps_hosts h SET reserved_capacity = coalesce((SELECT "
			    "sum(r.size) FROM ps_reservations r WHERE r.ps_uuid = h.ps_uuid AND "
			    "r.host_uuid = h.host_uuid), 0) WHERE h.ps_uuid = $1", 1, p, NULL, &st);
		if (rv == 0 && !a->attach)
			rv = ps_exec(c, "UPDATE ps_storages s SET reserved_capacity = coalesce((SELECT "
			    "sum(r.size) FROM ps_reservations r WHERE r.ps_uuid = s.uuid AND "
			    "r.host_uuid = ''), 0) WHERE s.uuid = $1", 1, p, NULL, &st);
		if (rv == 0)
			rv = ps_publish(c, a->call, a->attach ? "primarystorage/attached" :
			    "primarystorage/reconnected", a->uuid, &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	if (rv != 0)
		ps_fail(a->call, st);
	else
		ps_answer(a->call, a->closure, a->uuid);
	ps_att_free(a);
}

static void
ps_att_hosts(int code, const zs_status *status, const Zs__Host__V1__ListHostsResponse *reply,
    void *arg)
{
	ps_att *a = arg;
	if (code != 0) {
		zs_call_fail_cause(a->call, code, NULL, status, "cannot list the hosts of %s",
		    a->attach ? a->cluster : "the attached clusters");
		ps_att_free(a);
		return;
	}
	ps_host_result *hosts = calloc(reply->n_hosts + 1, sizeof *hosts);
	if (hosts == NULL) {
		zs_call_fail(a->call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		ps_att_free(a);
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < reply->n_hosts; i++) {
		const Zs__Host__V1__HostInfo *h = reply->hosts[i];
		if (strcmp(h->status, "Connected") != 0 || !ps_att_wants(a, h->cluster_uuid))
			continue;
		snprintf(hosts[n].uuid, sizeof hosts[n].uuid, "%s", h->uuid);
		snprintf(hosts[n].ip, sizeof hosts[n].ip, "%s", h->management_ip);
		snprintf(hosts[n].cluster, sizeof hosts[n].cluster, "%s", h->cluster_uuid);
		n++;
	}
	bool local = strcmp(a->type, PS_LOCAL) == 0;
	json_t *cmd = local ? json_pack("{s:s, s:s}", "path", a->url, "uuid", a->uuid) :
	    json_pack("{s:s, s:s, s:s, s:s}", "url", a->url, "mountPath", a->mount_path, "options",
	    "", "uuid", a->uuid);
	ps_fanout(zs_call_service_data(a->call), a->call, hosts, n,
	    local ? "/localstorage/init" : "/nfsprimarystorage/mount", cmd, true, ps_att_answered, a);
	json_decref(cmd);
	free(hosts);
}

static void
ps_att_start(zs_call *call, ProtobufCClosure closure, bool attach, const char *uuid,
    const char *cluster)
{
	ps_att *a = calloc(1, sizeof *a);
	if (a == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	a->call = call;
	a->closure = closure;
	a->ps = zs_call_service_data(call);
	a->attach = attach;
	snprintf(a->uuid, sizeof a->uuid, "%s", uuid);
	snprintf(a->cluster, sizeof a->cluster, "%s", cluster != NULL ? cluster : "");
	if (ps_att_load(a) != 0) {
		ps_att_free(a);
		return;
	}
	if (!attach && a->nclusters == 0) {
		ps_answer(call, closure, uuid);
		ps_att_free(a);
		return;
	}
	zs__host__v1__list_hosts_request__init(&a->req);
	a->req.cluster_uuid = attach ? a->cluster : "";
	zs_host_v1_host_list_hosts_bus(zs_node_bus(zs_call_node(call)), call, &a->req,
	    ps_att_hosts, a);
}

void
ps_attach(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	const Zs__Primarystorage__V1__AttachPrimaryStorageToClusterRequest *r = (const void *) in;
	ps_att_start(call, closure, true, r->primary_storage_uuid, r->cluster_uuid);
}

void
ps_reconnect(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	const Zs__Primarystorage__V1__ReconnectPrimaryStorageRequest *r = (const void *) in;
	ps_att_start(call, closure, false, r->uuid, NULL);
}

/* ---- detach and state: one transaction each ---- */

/* Runs body(c, call, p, ctx) in a transaction with the storage's row locked; p[0] is
 * the storage's uuid. 0 once committed; else the call has been failed. */
static int
ps_tx(zs_call *call, const char *const *p, void *ctx,
    int (*body)(zs_db_conn *c, zs_call *call, const char *const *p, void *ctx, zs_status **st))
{
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	int rv = zs_db_acquire_for(db, call, &c);
	if (rv != 0)
		return rv;
	zs_status *st = NULL;
	rv = zs_resource_check(c, call, p[0], PS_TYPE, NULL, 0, &st);
	if (rv == 0)
		rv = zs_db_begin(c, &st);
	if (rv == 0) {
		rv = zs_resource_lock(c, p[0], "primary storage", &st);
		if (rv == 0)
			rv = body(c, call, p, ctx, &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	if (rv != 0)
		ps_fail(call, st);
	return rv;
}

/* A detach on its way: the NFS mounts to take down once it committed. */
typedef struct ps_det {
	zs_call *call;
	ProtobufCClosure closure;
	char uuid[64], url[PS_URL_MAX], mount_path[PS_URL_MAX];
	ps_host_result *hosts;
	size_t n;
} ps_det;

/* Keeps the Connected NFS mounts of the cluster's hosts in d (before they are forgotten). */
static int
ps_det_mounts(zs_db_conn *c, const char *const *p, ps_det *d, zs_status **st)
{
	PGresult *r = NULL;
	int rv = ps_exec(c, "SELECT h.host_uuid, h.host_ip, h.cluster_uuid, s.url, s.mount_path "
	    "FROM ps_hosts h JOIN ps_storages s ON s.uuid = h.ps_uuid WHERE h.ps_uuid = $1 AND "
	    "h.cluster_uuid = $2 AND h.status = 'Connected'", 2, p, &r, st);
	size_t n = rv == 0 ? (size_t) PQntuples(r) : 0;
	if (rv == 0 && n > 0 && (d->hosts = calloc(n, sizeof *d->hosts)) == NULL) {
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		rv = ZS_RESOURCE_EXHAUSTED;
	}
	for (size_t i = 0; rv == 0 && i < n; i++) {
		snprintf(d->hosts[i].uuid, sizeof d->hosts[i].uuid, "%s", PQgetvalue(r, (int) i, 0));
		snprintf(d->hosts[i].ip, sizeof d->hosts[i].ip, "%s", PQgetvalue(r, (int) i, 1));
		snprintf(d->hosts[i].cluster, sizeof d->hosts[i].cluster, "%s", PQgetvalue(r, (int) i, 2));
		snprintf(d->url, sizeof d->url, "%s", PQgetvalue(r, (int) i, 3));
		snprintf(d->mount_path, sizeof d->mount_path, "%s", PQgetvalue(r, (int) i, 4));
		d->n++;
	}
	PQclear(r);
	return rv;
}

static int
ps_detach_tx(zs_db_conn *c, zs_call *call, const char *const *p, void *ctx, zs_status **st)
{
	PGresult *r = NULL;
	int rv = ps_exec(c, "SELECT s.type, (SELECT count(*) FROM ps_clusters k WHERE "
	    "k.ps_uuid = s.uuid) AS clusters, EXISTS (SELECT 1 FROM ps_clusters k WHERE "
	    "k.ps_uuid = s.uuid AND k.cluster_uuid = $2) AS attached, (SELECT count(*) FROM "
	    "ps_reservations v WHERE v.ps_uuid = s.uuid AND (s.type = 'NFS' OR v.host_uuid IN "
	    "(SELECT h.host_uuid FROM ps_hosts h WHERE h.ps_uuid = s.uuid AND h.cluster_uuid = $2))) "
	    "AS volumes FROM ps_storages s WHERE s.uuid = $1", 2, p, &r, st);
	if (rv != 0)
		return rv;
	bool nfs = strcmp(PQgetvalue(r, 0, 0), PS_NFS) == 0;
	long clusters = atol(PQgetvalue(r, 0, 1)), volumes = atol(PQgetvalue(r, 0, 3));
	bool attached = PQgetvalue(r, 0, 2)[0] == 't';
	PQclear(r);
	if (!attached) {
		*st = zs_status_new(ZS_FAILED_PRECONDITION, "PRIMARYSTORAGE.1010",
		    "primary storage %s is not attached to cluster %s", p[0], p[1]);
		return ZS_FAILED_PRECONDITION;
	}
	if (volumes > 0 && (!nfs || clusters == 1)) {
		*st = zs_status_new(ZS_FAILED_PRECONDITION, "PRIMARYSTORAGE.1006",
		    "primary storage %s cannot be detached from cluster %s: %ld volume(s) live %s",
		    p[0], p[1], volumes, nfs ? "on it" : "on the cluster's hosts");
		return ZS_FAILED_PRECONDITION;
	}
	rv = nfs ? ps_det_mounts(c, p, ctx, st) : 0;
	if (rv == 0)
		rv = ps_exec(c, "DELETE FROM ps_hosts WHERE ps_uuid = $1 AND cluster_uuid = $2", 2, p,
		    NULL, st);
	if (rv == 0)
		rv = ps_exec(c, "DELETE FROM ps_clusters WHERE ps_uuid = $1 AND cluster_uuid = $2", 2, p,
		    NULL, st);
	if (rv == 0)
		rv = ps_publish(c, call, "primarystorage/detached", p[0], st);
	return rv;
}

/* On a worker, the unmounts answered: a failure is logged (the share is detached either
 * way, as ZStack does), then the call is answered. */
static void
ps_det_unmounted(ps_host_result *hosts, size_t n, void *arg)
{
	ps_det *d = arg;
	for (size_t i = 0; i < n; i++)
		if (hosts[i].code != 0)
			zs_log(ZS_LOG_WARN, "primarystorage", "primary storage %s detached, but host %s (%s) "
			    "could not unmount %s: %s", d->uuid, hosts[i].uuid, hosts[i].ip, d->mount_path,
			    hosts[i].why);
	ps_answer(d->call, d->closure, d->uuid);
	free(d->hosts);
	free(d);
}

void
ps_detach(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	const Zs__Primarystorage__V1__DetachPrimaryStorageFromClusterRequest *r = (const void *) in;
	const char *p[2] = { r->primary_storage_uuid, r->cluster_uuid };
	ps_det *d = calloc(1, sizeof *d);
	if (d == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	d->call = call;
	d->closure = closure;
	snprintf(d->uuid, sizeof d->uuid, "%s", r->primary_storage_uuid);
	if (ps_tx(call, p, d, ps_detach_tx) != 0) {
		free(d->hosts);
		free(d);
		return;
	}
	if (d->n == 0) {
		ps_det_unmounted(NULL, 0, d);
		return;
	}
	json_t *cmd = json_pack("{s:s, s:s, s:s}", "url", d->url, "mountPath", d->mount_path, "uuid",
	    d->uuid);
	ps_fanout(zs_call_service_data(call), call, d->hosts, d->n, "/nfsprimarystorage/unmount", cmd,
	    false, ps_det_unmounted, d);
	json_decref(cmd);
}

static int
ps_state_tx(zs_db_conn *c, zs_call *call, const char *const *p, void *ctx, zs_status **st)
{
	(void) ctx;
	PGresult *r = NULL;
	int rv = ps_exec(c, "UPDATE ps_storages SET state = $2, updated_at = now() WHERE uuid = $1 "
	    "AND state <> $2 RETURNING uuid", 2, p, &r, st);
	bool changed = rv == 0 && PQntuples(r) > 0;
	PQclear(r);
	if (rv == 0 && changed)
		rv = ps_publish(c, call, "primarystorage/stateChanged", p[0], st);
	return rv;
}

void
ps_change_state(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	const Zs__Primarystorage__V1__ChangePrimaryStorageStateRequest *r = (const void *) in;
	const char *p[2] = { r->uuid, strcmp(r->state_event, "enable") == 0 ? "Enabled" : "Disabled" };
	if (ps_tx(call, p, NULL, ps_state_tx) == 0)
		ps_answer(call, closure, p[0]);
}
