/*
 * ps_connect.c: the primary storage service's zs.HostConnectExtension (zs/host_ext.h),
 * ZStack's LocalStorage/NFS KVM connect extensions: each time a host connects, every
 * primary storage attached to its cluster is set up on it again (LocalStorage
 * /localstorage/init, NFS /nfsprimarystorage/mount, one after the other) and the host's
 * share written (Connected with its capacity), so a host added to a cluster after the
 * attach takes volumes at once rather than at the sync tracker's next round. A storage
 * that fails on the host marks that share Disconnected with the agent's error; the host
 * still connects (its other storages and its VMs do not depend on that one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps.h"
#include "zs/clock.h"
#include "zs/ext.h"
#include "zs/host_ext.h"
#include "zs/log.h"

#define PS_CONNECT_EXT "primarystorage.hosts"   /* its name in primarystorage.xml */

/* One host's connect on its way through the storages of its cluster. */
typedef struct ps_conn {
	ps_state *ps;
	ps_host_result host;               /* uuid, ip, cluster */
	PGresult *stores;                  /* uuid, type, url, mount_path of each storage */
	int next, n;
	int64_t deadline_ms;
	zs_host_connect_done_fn done;
	void *arg;
} ps_conn;

static void ps_conn_next(ps_conn *k);

static void
ps_conn_end(ps_conn *k)
{
	zs_host_connect_done_fn done = k->done;
	void *arg = k->arg;
	PQclear(k->stores);
	free(k);
	done(0, NULL, arg);
}

/* A connection before the connect's deadline; NULL (logged) when none came. */
static zs_db_conn *
ps_conn_db(const ps_conn *k)
{
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	int64_t wait = k->deadline_ms - zs_clock_ms();
	if (zs_db_acquire(zs_node_db(k->ps->node), wait > 0 ? wait : 1, &c, &st) != 0) {
		zs_log(ZS_LOG_WARN, "primarystorage", "host %s connects: %s", k->host.uuid,
		    st != NULL && st->message != NULL ? st->message : "no database connection");
		zs_status_free(st);
		return NULL;
	}
	return c;
}

/* On a worker: the agent's answer for storage next - 1 becomes the host's share. */
static void
ps_conn_answered(ps_host_result *hosts, size_t n, void *arg)
{
	ps_conn *k = arg;
	int i = k->next - 1;
	const char *uuid = PQgetvalue(k->stores, i, 0);
	zs_db_conn *c = n == 1 ? ps_conn_db(k) : NULL;
	if (c != NULL) {
		zs_status *st = NULL;
		int rv = zs_db_begin(c, &st);
		if (rv == 0) {
			rv = ps_share_write(c, uuid, PQgetvalue(k->stores, i, 1), &hosts[0], &st);
			if (rv == 0)
				rv = ps_publish(c, k->ps->node, "primarystorage/reconnected", uuid, &st);
			rv = zs_db_end(c, rv, &st);
		}
		zs_db_release(zs_node_db(k->ps->node), c);
		if (rv != 0)
			zs_log(ZS_LOG_WARN, "primarystorage", "host %s: share of %s not written: %s",
			    k->host.uuid, uuid, st != NULL && st->message != NULL ? st->message : "?");
		zs_status_free(st);
	}
	if (n == 1 && hosts[0].code != 0)
		zs_log(ZS_LOG_WARN, "primarystorage", "primary storage %s on host %s: %s", uuid,
		    k->host.uuid, hosts[0].why);
	ps_conn_next(k);
}

static void
ps_conn_next(ps_conn *k)
{
	if (k->next >= k->n) {
		ps_conn_end(k);
		return;
	}
	int i = k->next++;
	ps_share_fanout(k->ps, NULL, PQgetvalue(k->stores, i, 0), PQgetvalue(k->stores, i, 1),
	    PQgetvalue(k->stores, i, 2), PQgetvalue(k->stores, i, 3), &k->host, 1,
	    ps_conn_answered, k);
}

static void
ps_host_connected(zs_node *node, const zs_host_connect_ctx *ctx, zs_host_connect_done_fn done,
    void *arg)
{
	const zs_ext *e = zs_ext_find(zs_node_extensions(node), ZS_EXT_HOST_CONNECT,
	    PS_CONNECT_EXT);
	ps_state *ps = e != NULL ? zs_ext_service_data(e) : NULL;
	ps_conn *k = ps != NULL ? calloc(1, sizeof *k) : NULL;
	if (k == NULL) {   /* stopping, or out of memory: the sync tracker catches up */
		done(0, NULL, arg);
		return;
	}
	k->ps = ps;
	k->deadline_ms = ctx->deadline_ms;
	k->done = done;
	k->arg = arg;
	snprintf(k->host.uuid, sizeof k->host.uuid, "%s", ctx->host_uuid);
	snprintf(k->host.ip, sizeof k->host.ip, "%s", ctx->management_ip);
	zs_db_conn *c = ps_conn_db(k);
	if (c == NULL) {
		ps_conn_end(k);
		return;
	}
	zs_status *st = NULL;
	const char *p[1] = { ctx->host_uuid };
	int rv = zs_db_run(c, "SELECT s.uuid, s.type, s.url, s.mount_path, h.parent_uuid "
	    "FROM zs_resources h JOIN ps_clusters k ON k.cluster_uuid = h.parent_uuid "
	    "JOIN ps_storages s ON s.uuid = k.ps_uuid WHERE h.uuid = $1 ORDER BY k.created_at", 1,
	    p, &k->stores, &st);
	zs_db_release(zs_node_db(node), c);
	if (rv != 0) {
		zs_log(ZS_LOG_WARN, "primarystorage", "host %s connects: %s", ctx->host_uuid,
		    st != NULL && st->message != NULL ? st->message : "?");
		zs_status_free(st);
		ps_conn_end(k);
		return;
	}
	k->n = PQntuples(k->stores);
	if (k->n > 0)
		snprintf(k->host.cluster, sizeof k->host.cluster, "%s", PQgetvalue(k->stores, 0, 4));
	ps_conn_next(k);
}

ZS_EXPORT const zs_host_connect_ext ps_shares_on_connect = { ps_host_connected };
