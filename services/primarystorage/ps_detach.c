/*
 * ps_detach.c: detaching a primary storage from a cluster and changing its state, each
 * one transaction with its event. Detaching is refused while volumes live on the
 * cluster's hosts (LocalStorage) or, for NFS, on the storage when no other cluster has
 * it; detaching NFS then unmounts it on the cluster's hosts (/nfsprimarystorage/unmount;
 * a host that fails is logged, the detach stands, as ZStack does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps.h"
#include "zs/log.h"
#include "zs/resource.h"

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
	int rv = zs_db_run(c, "SELECT h.host_uuid, h.host_ip, h.cluster_uuid, s.url, s.mount_path "
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
	int rv = zs_db_run(c, "SELECT s.type, (SELECT count(*) FROM ps_clusters k WHERE "
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
		rv = zs_db_run(c, "DELETE FROM ps_hosts WHERE ps_uuid = $1 AND cluster_uuid = $2", 2, p,
		    NULL, st);
	if (rv == 0)
		rv = zs_db_run(c, "DELETE FROM ps_clusters WHERE ps_uuid = $1 AND cluster_uuid = $2", 2, p,
		    NULL, st);
	if (rv == 0)
		rv = ps_publish(c, zs_call_node(call), "primarystorage/detached", p[0], st);
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
	int rv = zs_db_run(c, "UPDATE ps_storages SET state = $2, updated_at = now() WHERE uuid = $1 "
	    "AND state <> $2 RETURNING uuid", 2, p, &r, st);
	bool changed = rv == 0 && PQntuples(r) > 0;
	PQclear(r);
	if (rv == 0 && changed)
		rv = ps_publish(c, zs_call_node(call), "primarystorage/stateChanged", p[0], st);
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
