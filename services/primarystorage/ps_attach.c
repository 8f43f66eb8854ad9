/*
 * ps_attach.c: attaching a primary storage to a cluster and reconnecting it (asked for,
 * or by the sync tracker, ps_sync.c, with no call). Both ask the host service (over the
 * bus, as the caller or the node) for the cluster's hosts, send every Connected one the agent's command at once
 * (LocalStorage /localstorage/init, NFS /nfsprimarystorage/mount; ps_agents.c), then
 * write each host's share (its capacity, or Disconnected with the agent's error) in one
 * transaction with the event. An attach no host could take fails and leaves nothing.
 * A reconnect also marks the shares of hosts that are no longer Connected Disconnected,
 * and counts each share's reserved bytes again from the reservations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ps.h"
#include "zs/clock.h"
#include "zs/host/v1/host.zsb.h"
#include "zs/log.h"
#include "zs/resource.h"

#define PS_SYNC_DB_WAIT_MS 10000   /* a connection for a reconnect with no call */

/* One attach or reconnect on its way. */
typedef struct ps_att {
	zs_call *call;                     /* NULL: the sync tracker's reconnect */
	ProtobufCClosure closure;
	zs_node *node;
	ps_state *ps;
	bool attach;                       /* else a reconnect */
	char uuid[64], cluster[64];        /* cluster: attach only */
	char type[16], url[PS_URL_MAX], mount_path[PS_URL_MAX];
	char **clusters;                   /* reconnect: the attached clusters */
	size_t nclusters;
	ps_host_result *down;              /* reconnect: hosts of them not Connected */
	size_t ndown;
	char listed_at[ZS_TIME_TEXT_MAX];  /* when the hosts were asked for (RFC 3339) */
	void (*end)(void *arg);            /* with no call: told when done */
	void *end_arg;
	Zs__Host__V1__ListHostsRequest req;
} ps_att;

static void
ps_att_free(ps_att *a)
{
	void (*end)(void *) = a->end;
	void *arg = a->end_arg;
	for (size_t i = 0; i < a->nclusters; i++)
		free(a->clusters[i]);
	free(a->clusters);
	free(a->down);
	free(a);
	if (end != NULL)
		end(arg);
}

/* Fails a's call with st (taken), or with no call logs it. */
static void
ps_att_fail(ps_att *a, zs_status *st)
{
	if (a->call != NULL) {
		ps_fail(a->call, st);
		return;
	}
	zs_log(ZS_LOG_WARN, "primarystorage", "primary storage %s: reconnect failed: %s", a->uuid,
	    st != NULL && st->message != NULL ? st->message : "?");
	zs_status_free(st);
}

/* A pooled connection: within the call's deadline (the call is failed otherwise), or
 * with no call within PS_SYNC_DB_WAIT_MS (logged otherwise). */
static int
ps_att_conn(ps_att *a, zs_db_conn **c)
{
	zs_db *db = zs_node_db(a->node);
	if (a->call != NULL)
		return zs_db_acquire_for(db, a->call, c);
	zs_status *st = NULL;
	int rv = zs_db_acquire(db, PS_SYNC_DB_WAIT_MS, c, &st);
	if (rv != 0)
		ps_att_fail(a, st);
	return rv;
}

/* Reads the storage's type, url and mount path (and for a reconnect its clusters); 0 or
 * the code the call was failed with. */
static int
ps_att_load(ps_att *a)
{
	zs_db *db = zs_node_db(a->node);
	zs_db_conn *c = NULL;
	int rv = ps_att_conn(a, &c);
	if (rv != 0)
		return rv;
	zs_status *st = NULL;
	PGresult *row = NULL, *cl = NULL;
	const char *p[2] = { a->uuid, a->cluster };
	rv = a->call != NULL ? zs_resource_check(c, a->call, a->uuid, PS_TYPE, NULL, 0, &st) : 0;
	if (rv == 0)
		rv = zs_db_exec_one(c, "SELECT type, url, mount_path, zone_uuid FROM ps_storages "
		    "WHERE uuid = $1", 1, p, "primary storage", a->uuid, &row, &st);
	if (rv == 0 && a->attach) {
		rv = zs_resource_check(c, a->call, a->cluster, "Cluster", NULL, 0, &st);
		if (rv == 0)
			rv = zs_db_run(c, "SELECT parent_uuid FROM zs_resources WHERE uuid = $1", 1, p + 1,
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
			rv = zs_db_run(c, "SELECT 1 FROM ps_clusters WHERE ps_uuid = $1 AND cluster_uuid = $2",
			    2, p, &cl, &st);
		if (rv == 0 && PQntuples(cl) > 0) {
			st = zs_status_new(ZS_ALREADY_EXISTS, "PRIMARYSTORAGE.1009",
			    "primary storage %s is already attached to cluster %s", a->uuid, a->cluster);
			rv = ZS_ALREADY_EXISTS;
		}
		PQclear(cl);
		cl = NULL;
		/* two storages of one url on one cluster would be the same folder or share */
		if (rv == 0)
			rv = zs_db_run(c, "SELECT s.uuid, s.url FROM ps_clusters k JOIN ps_storages s ON "
			    "s.uuid = k.ps_uuid WHERE k.cluster_uuid = $2 AND s.uuid <> $1 AND s.url = "
			    "(SELECT url FROM ps_storages WHERE uuid = $1)", 2, p, &cl, &st);
		if (rv == 0 && PQntuples(cl) > 0) {
			st = zs_status_new(ZS_ALREADY_EXISTS, "PRIMARYSTORAGE.1012",
			    "url %s is already used on cluster %s by primary storage %s", PQgetvalue(cl, 0, 1),
			    a->cluster, PQgetvalue(cl, 0, 0));
			rv = ZS_ALREADY_EXISTS;
		}
	} else if (rv == 0) {
		rv = zs_db_run(c, "SELECT cluster_uuid FROM ps_clusters WHERE ps_uuid = $1", 1, p, &cl,
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
		ps_att_fail(a, st);
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

int
ps_share_write(zs_db_conn *c, const char *ps_uuid, const char *type, const ps_host_result *h,
    zs_status **st)
{
	char total[24], avail[24];
	bool local = h->code == 0 && strcmp(type, PS_LOCAL) == 0;
	snprintf(total, sizeof total, "%lld", (long long) (local ? h->total : 0));
	snprintf(avail, sizeof avail, "%lld", (long long) (local ? h->available : 0));
	const char *p[8] = { ps_uuid, h->uuid, h->cluster, h->ip,
	    h->code == 0 ? "Connected" : "Disconnected", h->code == 0 ? "" : h->why, total, avail };
	return zs_db_run(c, "INSERT INTO ps_hosts (ps_uuid, host_uuid, cluster_uuid, host_ip, status, "
	    "status_reason, total_capacity, available_physical) VALUES ($1, $2, $3, $4, $5, $6, $7, "
	    "$8) ON CONFLICT (ps_uuid, host_uuid) DO UPDATE SET cluster_uuid = $3, host_ip = $4, "
	    "status = $5, status_reason = $6, total_capacity = CASE WHEN $5 = 'Connected' THEN $7 "
	    "ELSE ps_hosts.total_capacity END, available_physical = CASE WHEN $5 = 'Connected' "
	    "THEN $8 ELSE ps_hosts.available_physical END, updated_at = now()", 8, p, NULL, st);
}

/* What the tracker compares before and after a reconnect: each share's status and bytes. */
#define PS_SQL_SHARES \
	"SELECT coalesce(string_agg(host_uuid || ' ' || status || ' ' || total_capacity || ' ' || " \
	"available_physical, ',' ORDER BY host_uuid), '') FROM ps_hosts WHERE ps_uuid = $1"

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
	zs_db *db = zs_node_db(a->node);
	zs_db_conn *c = NULL;
	if (ps_att_conn(a, &c) != 0) {
		ps_att_free(a);
		return;
	}
	zs_status *st = NULL;
	const char *p[2] = { a->uuid, a->cluster };
	PGresult *before = NULL, *after = NULL;
	int rv = zs_db_begin(c, &st);
	if (rv == 0) {
		rv = zs_resource_lock(c, a->uuid, "primary storage", &st);
		if (rv == 0 && a->call == NULL)   /* the tracker tells only of a change */
			rv = zs_db_run(c, PS_SQL_SHARES, 1, p, &before, &st);
		for (size_t i = 0; rv == 0 && i < a->ndown; i++) {
			const char *q[4] = { a->uuid, a->down[i].uuid, a->down[i].why, a->listed_at };
			rv = zs_db_run(c, "UPDATE ps_hosts SET status = 'Disconnected', status_reason = $3, "
			    "updated_at = now() WHERE ps_uuid = $1 AND host_uuid = $2 AND "
			    "(status <> 'Disconnected' OR status_reason <> $3) AND "
			    "updated_at < $4::timestamptz", 4, q, NULL, &st);
		}
		if (rv == 0 && a->attach)
			rv = zs_db_run(c, "INSERT INTO ps_clusters (ps_uuid, cluster_uuid) VALUES ($1, $2)",
			    2, p, NULL, &st);
		for (size_t i = 0; rv == 0 && i < n; i++)
			rv = ps_share_write(c, a->uuid, a->type, &hosts[i], &st);
		for (size_t i = 0; rv == 0 && i < n && strcmp(a->type, PS_NFS) == 0; i++) {
			if (hosts[i].code != 0)
				continue;
			char total[24], avail[24];
			snprintf(total, sizeof total, "%lld", (long long) hosts[i].total);
			snprintf(avail, sizeof avail, "%lld", (long long) hosts[i].available);
			const char *q[3] = { a->uuid, total, avail };
			rv = zs_db_run(c, "UPDATE ps_storages SET total_capacity = $2, available_physical = $3, "
			    "updated_at = now() WHERE uuid = $1", 3, q, NULL, &st);
			break;   /* one host's answer is the share's */
		}
		/* what is reserved, counted again from the rows: the rows it is counted on are
		 * locked first, so the count (a new statement: a new snapshot) sees every
		 * reservation that committed, and those still to come wait for it */
		if (rv == 0 && !a->attach)
			rv = zs_db_run(c, "SELECT 1 FROM ps_hosts WHERE ps_uuid = $1 FOR UPDATE", 1, p, NULL,
			    &st);
		if (rv == 0 && !a->attach)
			rv = zs_db_run(c, "SELECT 1 FROM ps_storages WHERE uuid = $1 FOR UPDATE", 1, p, NULL,
			    &st);
		if (rv == 0 && !a->attach)
			rv = zs_db_run(c, "UPDATE ps_hosts h SET reserved_capacity = coalesce((SELECT "
			    "sum(r.size) FROM ps_reservations r WHERE r.ps_uuid = h.ps_uuid AND "
			    "r.host_uuid = h.host_uuid), 0) WHERE h.ps_uuid = $1", 1, p, NULL, &st);
		if (rv == 0 && !a->attach)
			rv = zs_db_run(c, "UPDATE ps_storages s SET reserved_capacity = coalesce((SELECT "
			    "sum(r.size) FROM ps_reservations r WHERE r.ps_uuid = s.uuid AND "
			    "r.host_uuid = ''), 0) WHERE s.uuid = $1", 1, p, NULL, &st);
		if (rv == 0 && a->call == NULL)
			rv = zs_db_run(c, PS_SQL_SHARES, 1, p, &after, &st);
		bool changed = a->call != NULL || (rv == 0 &&
		    strcmp(PQgetvalue(before, 0, 0), PQgetvalue(after, 0, 0)) != 0);
		if (rv == 0 && changed)
			rv = ps_publish(c, a->node, a->attach ? "primarystorage/attached" :
			    "primarystorage/reconnected", a->uuid, &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	PQclear(before);
	PQclear(after);
	if (rv != 0)
		ps_att_fail(a, st);
	else if (a->call != NULL)
		ps_answer(a->call, a->closure, a->uuid);
	ps_att_free(a);
}

static void
ps_att_hosts(int code, const zs_status *status, const Zs__Host__V1__ListHostsResponse *reply,
    void *arg)
{
	ps_att *a = arg;
	if (code != 0) {
		zs_status *st = zs_status_new(code, NULL, "cannot list the hosts of %s",
		    a->attach ? a->cluster : "the attached clusters");
		if (st != NULL && status != NULL)
			zs_status_set_cause(st, zs_status_copy(status));
		ps_att_fail(a, st);
		ps_att_free(a);
		return;
	}
	ps_host_result *hosts = calloc(reply->n_hosts + 1, sizeof *hosts);
	a->down = calloc(reply->n_hosts + 1, sizeof *a->down);
	if (hosts == NULL || a->down == NULL) {
		free(hosts);
		ps_att_fail(a, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"));
		ps_att_free(a);
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < reply->n_hosts; i++) {
		const Zs__Host__V1__HostInfo *h = reply->hosts[i];
		if (!ps_att_wants(a, h->cluster_uuid))
			continue;
		/* a host Connecting is neither: its connect gives it its share (ps_connect.c),
		 * or the kvm tracker makes it Disconnected, which the next round sees */
		if (strcmp(h->status, "Connecting") == 0)
			continue;
		if (strcmp(h->status, "Connected") != 0) {
			ps_host_result *d = &a->down[a->ndown++];
			snprintf(d->uuid, sizeof d->uuid, "%s", h->uuid);
			snprintf(d->why, sizeof d->why, "host %s (%s) is %s", h->uuid, h->management_ip,
			    h->status);
			continue;
		}
		snprintf(hosts[n].uuid, sizeof hosts[n].uuid, "%s", h->uuid);
		snprintf(hosts[n].ip, sizeof hosts[n].ip, "%s", h->management_ip);
		snprintf(hosts[n].cluster, sizeof hosts[n].cluster, "%s", h->cluster_uuid);
		n++;
	}
	ps_share_fanout(a->ps, a->call, a->uuid, a->type, a->url, a->mount_path, hosts, n,
	    ps_att_answered, a);
	free(hosts);
}

void
ps_share_fanout(ps_state *ps, const zs_call *call, const char *uuid, const char *type,
    const char *url, const char *mount_path, const ps_host_result *hosts, size_t n,
    ps_fanout_fn done, void *arg)
{
	bool local = strcmp(type, PS_LOCAL) == 0;
	json_t *cmd = local ? json_pack("{s:s, s:s}", "path", url, "uuid", uuid) :
	    json_pack("{s:s, s:s, s:s, s:s}", "url", url, "mountPath", mount_path, "options",
	    "", "uuid", uuid);
	ps_fanout(ps, call, hosts, n, local ? "/localstorage/init" : "/nfsprimarystorage/mount",
	    cmd, true, done, arg);
	json_decref(cmd);
}

/* Runs a (taken): loads it, lists the hosts, then the agents (ps_att_hosts). */
static void
ps_att_run(ps_att *a)
{
	if (ps_att_load(a) != 0) {
		ps_att_free(a);
		return;
	}
	if (!a->attach && a->nclusters == 0) {
		if (a->call != NULL)
			ps_answer(a->call, a->closure, a->uuid);
		ps_att_free(a);
		return;
	}
	zs__host__v1__list_hosts_request__init(&a->req);
	a->req.cluster_uuid = a->attach ? a->cluster : "";
	/* a share written after this (a host that connected meanwhile: ps_connect.c) is
	 * newer than what the list will say of its host, and is not marked Disconnected */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	zs_time_format((int64_t) now.tv_sec, (int32_t) now.tv_nsec, a->listed_at,
	    sizeof a->listed_at);
	zs_host_v1_host_list_hosts_bus(zs_node_bus(a->node), a->call, &a->req, ps_att_hosts, a);
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
	a->node = zs_call_node(call);
	a->ps = zs_call_service_data(call);
	a->attach = attach;
	snprintf(a->uuid, sizeof a->uuid, "%s", uuid);
	snprintf(a->cluster, sizeof a->cluster, "%s", cluster != NULL ? cluster : "");
	ps_att_run(a);
}

void
ps_sync_one(ps_state *ps, const char *uuid, void (*end)(void *arg), void *arg)
{
	ps_att *a = calloc(1, sizeof *a);
	if (a == NULL) {
		end(arg);
		return;
	}
	a->node = ps->node;
	a->ps = ps;
	a->end = end;
	a->end_arg = arg;
	snprintf(a->uuid, sizeof a->uuid, "%s", uuid);
	ps_att_run(a);
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

