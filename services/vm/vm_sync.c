/*
 * vm_sync.c: the VMs' states kept in step with their hosts (ZStack's VM tracer and
 * HostStatusChangeNotifyPoint), through zs.HostStatusExtension (zs/host_ext.h) and a
 * periodic round:
 *
 *   a host goes Disconnected   its VMs in Running, Paused or a passing state become
 *                              Unknown (vm/stateChanged each): nobody can say
 *   a host is Connected        (every connect and reconnect) /vm/vmsync on its agent;
 *                              each of its VMs in Running, Paused or Unknown gets the
 *                              state the agent reports: Running, Paused, or Stopped
 *                              (absent, shut down, crashed) with its host capacity given
 *                              back (ReturnHostCapacity). A VM the agent runs that the
 *                              database places elsewhere, or does not know, is logged.
 *   every vm.sync.interval     the same for every Connected host that has such VMs, so
 *                              a VM stopped behind the node's back is seen without a
 *                              reconnect; rounds never overlap (0: no rounds)
 *
 * A VM in a passing state (Starting, Stopping, ...) belongs to the operation in flight and
 * is not synced. The VMs are read before /vm/vmsync is sent and a VM changed since then
 * (its updated_at) is left alone: the answer may predate what changed it. Everything runs
 * on workers with asynchronous agent and bus calls; vm_sync_stop waits for what is in
 * flight.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vm.h"
#include "zs/bus.h"
#include "zs/ext.h"
#include "zs/host/v1/host.zsb.h"
#include "zs/host_ext.h"
#include "zs/log.h"
#include "zs/service.h"
#include "zs/timer.h"
#include "zs/work.h"

#define VM_SYNC_EXT "vm.sync"                  /* our name in vm.xml */
#define VM_SYNC_STATES "{Running,Paused,Unknown}"
#define VM_SYNC_TO_UNKNOWN \
	"{Running,Paused,Starting,Stopping,Rebooting,Pausing,Resuming,Migrating}"
#define VM_SYNC_MAX 10000                      /* VMs of one host looked at, hosts a round */
#define VM_SYNC_STOP_WAIT_S 30

struct vm_sync {
	vm_state *vs;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int busy;                  /* host syncs, returns, the round and its timer in flight */
	bool stopping;
	zs_timer *timer;
	long interval_ms;
	/* the periodic round (one at a time) */
	char (*hosts)[64];
	size_t n, i;
	char host_uuid[64];
	Zs__Host__V1__GetHostRequest get_req;
};

typedef struct vm_sync_vm {
	char uuid[ZS_UUID_LEN], state[16], updated[64];
} vm_sync_vm;

/* One host's sync on its way; freed when done. */
typedef struct vm_sync_host {
	struct vm_sync *sy;
	char host[64], ip[64];
	vm_sync_vm *vms;
	size_t n;
	void (*done)(struct vm_sync *sy);      /* the round's next host, or NULL */
} vm_sync_host;

/* A host capacity given back for a VM found Stopped. */
typedef struct vm_sync_ret {
	struct vm_sync *sy;
	char vm[ZS_UUID_LEN], host[64];
	Zs__Host__V1__ReturnHostCapacityRequest req;
} vm_sync_ret;

static bool
vm_sync_hold(struct vm_sync *sy)
{
	pthread_mutex_lock(&sy->lock);
	bool ok = !sy->stopping;
	if (ok)
		sy->busy++;
	pthread_mutex_unlock(&sy->lock);
	return ok;
}

static void
vm_sync_release(struct vm_sync *sy)
{
	pthread_mutex_lock(&sy->lock);
	sy->busy--;
	pthread_cond_broadcast(&sy->cond);
	pthread_mutex_unlock(&sy->lock);
}

static void
vm_sync_warn(const char *what, const char *id, const zs_status *st)
{
	char why[512];
	zs_status_text(st, why, sizeof why);
	zs_log(ZS_LOG_WARN, "vm", "%s %s: %s", what, id, why);
}

/* ---- a host goes Disconnected: its VMs become Unknown ---- */

static void
vm_sync_unknown(vm_state *vs, const char *host)
{
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *rows = NULL;
	const char *p[2] = { host, VM_SYNC_TO_UNKNOWN };
	int rv = vm_conn(vs, &c, &st);
	if (rv == 0) {
		rv = zs_db_run(c, "SELECT uuid, state FROM vm_instances WHERE host_uuid = $1 AND "
		    "state = ANY($2::text[]) ORDER BY created_at", 2, p, &rows, &st);
		zs_db_release(zs_node_db(vs->node), c);
	}
	if (rv != 0) {
		vm_sync_warn("cannot mark the VMs Unknown of Disconnected host", host, st);
		zs_status_free(st);
		return;
	}
	int n = PQntuples(rows), done = 0;
	for (int i = 0; i < n; i++) {
		const char *uuid = PQgetvalue(rows, i, 0);
		const char *from[2] = { PQgetvalue(rows, i, 1), NULL };
		rv = vm_store_transit_conn(vs, NULL, uuid, from, "Unknown", "the host's disconnect",
		    NULL, NULL, 0, NULL, NULL, &st);
		if (rv == 0)
			done++;
		else if (rv != ZS_FAILED_PRECONDITION && rv != ZS_NOT_FOUND)   /* else it moved on */
			vm_sync_warn("cannot mark Unknown VM", uuid, st);
		zs_status_free(st);
		st = NULL;
	}
	PQclear(rows);
	if (n > 0)
		zs_log(ZS_LOG_INFO, "vm", "host %s is Disconnected: %d of its %d VM(s) now Unknown",
		    host, done, n);
}

/* ---- a host's sync: /vm/vmsync, then each VM as the agent has it ---- */

static void
vm_sync_host_end(vm_sync_host *h)
{
	struct vm_sync *sy = h->sy;
	void (*done)(struct vm_sync *) = h->done;
	free(h->vms);
	free(h);
	if (done != NULL)
		done(sy);
	vm_sync_release(sy);
}

static void
vm_sync_returned(int code, const zs_status *st,
    const Zs__Host__V1__ReturnHostCapacityResponse *r, void *arg)
{
	(void) r;
	vm_sync_ret *k = arg;
	if (code != 0 && code != ZS_NOT_FOUND)
		vm_sync_warn("cannot give back the host capacity of stopped VM", k->vm, st);
	struct vm_sync *sy = k->sy;
	free(k);
	vm_sync_release(sy);
}

/* Gives back what vm holds on host (it was found Stopped there). */
static void
vm_sync_return(struct vm_sync *sy, const char *vm, const char *host)
{
	vm_sync_ret *k = calloc(1, sizeof *k);
	if (k == NULL || !vm_sync_hold(sy)) {
		zs_log(ZS_LOG_WARN, "vm", "VM %s: its capacity on host %s was not given back (%s)",
		    vm, host, k == NULL ? "out of memory" : "stopping");
		free(k);
		return;
	}
	k->sy = sy;
	snprintf(k->vm, sizeof k->vm, "%s", vm);
	snprintf(k->host, sizeof k->host, "%s", host);
	zs__host__v1__return_host_capacity_request__init(&k->req);
	k->req.vm_uuid = k->vm;
	k->req.host_uuid = k->host;
	zs_host_v1_host_return_host_capacity_bus(zs_node_bus(sy->vs->node), NULL, &k->req,
	    vm_sync_returned, k);
}

/* Sets v to, unless it changed since it was read; true when it was set. */
static bool
vm_sync_set(vm_sync_host *h, const vm_sync_vm *v, const char *to)
{
	vm_state *vs = h->sy->vs;
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *r = NULL;
	int rv = vm_conn(vs, &c, &st);
	if (rv != 0) {
		vm_sync_warn("cannot sync VM", v->uuid, st);
		zs_status_free(st);
		return false;
	}
	bool same = false;
	rv = zs_db_begin(c, &st);
	if (rv == 0) {
		const char *p[4] = { v->uuid, h->host, v->updated, v->state };
		rv = zs_db_run(c, "SELECT 1 FROM vm_instances WHERE uuid = $1 AND host_uuid = $2 AND "
		    "updated_at = $3::timestamptz AND state = $4 FOR UPDATE", 4, p, &r, &st);
		same = rv == 0 && PQntuples(r) == 1;
		PQclear(r);
		if (same) {
			const char *from[2] = { v->state, NULL };
			const char *set = NULL;
			const char *q[1] = { h->host };
			int n = 0;
			if (strcmp(to, "Stopped") == 0) {
				set = "host_uuid = '', last_host_uuid = $2";
				n = 1;
			}
			rv = vm_store_transit(c, NULL, vs, v->uuid, from, to, "the sync with its host",
			    NULL, set, n, q, NULL, &st);
		}
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(zs_node_db(vs->node), c);
	if (rv != 0) {
		vm_sync_warn("cannot sync VM", v->uuid, st);
		zs_status_free(st);
		return false;
	}
	if (same)
		zs_log(ZS_LOG_INFO, "vm", "VM %s was %s; its host %s has it %s", v->uuid, v->state,
		    h->host, to);
	return same;
}

/* VMs the agent runs that are not ours on this host: logged. */
static void
vm_sync_strays(vm_sync_host *h, const json_t *reply)
{
	const json_t *states = json_object_get(reply, "states");
	const char *key;
	const json_t *val;
	size_t n = 0;
	const char **others = calloc(json_object_size(states) + 1, sizeof *others);
	if (others == NULL)
		return;
	json_object_foreach((json_t *) states, key, val) {
		bool ours = false;
		for (size_t i = 0; i < h->n && !ours; i++)
			ours = strcmp(h->vms[i].uuid, key) == 0;
		if (!ours && n < VM_SYNC_MAX)
			others[n++] = key;
	}
	char *arr = n > 0 ? zs_db_text_array(others, n) : NULL;
	free(others);
	if (arr == NULL)
		return;
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *r = NULL;
	const char *p[1] = { arr };
	int rv = vm_conn(h->sy->vs, &c, &st);
	if (rv == 0) {
		rv = zs_db_run(c, "SELECT uuid, host_uuid, state FROM vm_instances WHERE uuid = "
		    "ANY($1::text[])", 1, p, &r, &st);
		zs_db_release(zs_node_db(h->sy->vs->node), c);
	}
	free(arr);
	if (rv != 0) {
		vm_sync_warn("cannot look up the other VMs of host", h->host, st);
		zs_status_free(st);
		return;
	}
	for (int i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, 1), h->host) != 0)
			zs_log(ZS_LOG_WARN, "vm", "host %s runs VM %s, which the database has %s on "
			    "host \"%s\"", h->host, PQgetvalue(r, i, 0), PQgetvalue(r, i, 2),
			    PQgetvalue(r, i, 1));
	if ((size_t) PQntuples(r) < n)
		zs_log(ZS_LOG_WARN, "vm", "host %s runs %zu VM(s) the node does not know", h->host,
		    n - (size_t) PQntuples(r));
	PQclear(r);
}

static void
vm_sync_answered(int code, const zs_status *st, const json_t *reply, void *arg)
{
	vm_sync_host *h = arg;
	if (code != 0) {
		vm_sync_warn("cannot sync the VMs of host", h->host, st);
		vm_sync_host_end(h);
		return;
	}
	const char **uuids = calloc(h->n + 1, sizeof *uuids);
	char (*to)[VM_DECODE_STATE] = calloc(h->n + 1, sizeof *to);
	char why[256] = "";
	for (size_t i = 0; uuids != NULL && i < h->n; i++)
		uuids[i] = h->vms[i].uuid;
	if (uuids == NULL || to == NULL) {
		zs_log(ZS_LOG_WARN, "vm", "cannot sync the VMs of host %s: out of memory", h->host);
	} else if (vm_decode_states(reply, uuids, h->n, to, why, sizeof why) != 0) {
		zs_log(ZS_LOG_WARN, "vm", "host %s: /vm/vmsync: %s", h->host, why);
	} else {
		for (size_t i = 0; i < h->n; i++) {
			const vm_sync_vm *v = &h->vms[i];
			if (strcmp(v->state, to[i]) == 0 || strcmp(to[i], "Unknown") == 0)
				continue;
			if (vm_sync_set(h, v, to[i]) && strcmp(to[i], "Stopped") == 0)
				vm_sync_return(h->sy, v->uuid, h->host);
		}
		vm_sync_strays(h, reply);
	}
	free(uuids);
	free(to);
	vm_sync_host_end(h);
}

/* Syncs the VMs of host (at ip) on a worker; done (may be NULL) runs at the end. */
static void
vm_sync_host_run(struct vm_sync *sy, const char *host, const char *ip,
    void (*done)(struct vm_sync *))
{
	vm_sync_host *h = calloc(1, sizeof *h);
	if (h == NULL || !vm_sync_hold(sy)) {
		free(h);
		if (done != NULL)
			done(sy);
		return;
	}
	h->sy = sy;
	h->done = done;
	snprintf(h->host, sizeof h->host, "%s", host);
	snprintf(h->ip, sizeof h->ip, "%s", ip);
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *rows = NULL;
	char lim[16];
	snprintf(lim, sizeof lim, "%d", VM_SYNC_MAX);
	const char *p[3] = { host, VM_SYNC_STATES, lim };
	int rv = vm_conn(sy->vs, &c, &st);
	if (rv == 0) {
		rv = zs_db_run(c, "SELECT uuid, state, updated_at::text FROM vm_instances WHERE "
		    "host_uuid = $1 AND state = ANY($2::text[]) ORDER BY created_at LIMIT $3::integer",
		    3, p, &rows, &st);
		zs_db_release(zs_node_db(sy->vs->node), c);
	}
	if (rv != 0) {
		vm_sync_warn("cannot read the VMs of host", host, st);
		zs_status_free(st);
		vm_sync_host_end(h);
		return;
	}
	h->n = (size_t) PQntuples(rows);
	h->vms = calloc(h->n + 1, sizeof *h->vms);
	if (h->vms == NULL)
		h->n = 0;
	for (size_t i = 0; i < h->n; i++) {
		vm_sync_vm *v = &h->vms[i];
		snprintf(v->uuid, sizeof v->uuid, "%s", PQgetvalue(rows, (int) i, 0));
		snprintf(v->state, sizeof v->state, "%s", PQgetvalue(rows, (int) i, 1));
		snprintf(v->updated, sizeof v->updated, "%s", PQgetvalue(rows, (int) i, 2));
	}
	PQclear(rows);
	json_t *cmd = json_pack("{s:s}", "hostUuid", h->host);
	vm_agent_post(sy->vs, NULL, h->host, h->ip, "/vm/vmsync", cmd, 0, vm_sync_answered, h);
}

/* ---- zs.HostStatusExtension ---- */

static void
vm_sync_host_status(zs_node *node, const zs_host_status_ctx *ctx)
{
	const zs_ext *e = zs_ext_find(zs_node_extensions(node), ZS_EXT_HOST_STATUS, VM_SYNC_EXT);
	vm_state *vs = e != NULL ? zs_ext_service_data(e) : NULL;
	if (vs == NULL || vs->sync == NULL || !vm_sync_hold(vs->sync))
		return;   /* not started, or stopping: the reconcile at start catches up */
	if (strcmp(ctx->new_status, "Disconnected") == 0)
		vm_sync_unknown(vs, ctx->host_uuid);
	else if (strcmp(ctx->new_status, "Connected") == 0)
		vm_sync_host_run(vs->sync, ctx->host_uuid, ctx->management_ip, NULL);
	vm_sync_release(vs->sync);
}

ZS_EXPORT const zs_host_status_ext vm_sync_on_host_status = { vm_sync_host_status };

/* ---- the periodic round ---- */

static void vm_sync_tick(void *arg);

/* Times the next round (the round's hold is given back by the caller). */
static void
vm_sync_arm(struct vm_sync *sy)
{
	pthread_mutex_lock(&sy->lock);
	if (!sy->stopping && sy->interval_ms > 0) {
		sy->timer = zs_timer_start(zs_node_timers(sy->vs->node), sy->interval_ms,
		    vm_sync_tick, sy);
		if (sy->timer != NULL)
			sy->busy++;
	}
	pthread_mutex_unlock(&sy->lock);
}

static void
vm_sync_round_end(struct vm_sync *sy)
{
	free(sy->hosts);
	sy->hosts = NULL;
	sy->n = sy->i = 0;
	vm_sync_arm(sy);
	vm_sync_release(sy);
}

static void vm_sync_next(void *arg);

/* After a host's sync: the next host, on a worker (no recursion). */
static void
vm_sync_round_on(struct vm_sync *sy)
{
	sy->i++;
	if (zs_work_submit(zs_node_work(sy->vs->node), vm_sync_next, sy) != 0)
		vm_sync_round_end(sy);
}

static void
vm_sync_host_got(int code, const zs_status *st, const Zs__Host__V1__HostInfo *r, void *arg)
{
	struct vm_sync *sy = arg;
	if (code != 0) {
		if (code != ZS_NOT_FOUND)
			vm_sync_warn("cannot look up host", sy->host_uuid, st);
		vm_sync_round_on(sy);
	} else if (strcmp(r->status, "Connected") != 0) {
		vm_sync_round_on(sy);   /* its reconnect syncs it */
	} else {
		vm_sync_host_run(sy, sy->host_uuid, r->management_ip, vm_sync_round_on);
	}
}

static void
vm_sync_next(void *arg)
{
	struct vm_sync *sy = arg;
	pthread_mutex_lock(&sy->lock);
	bool stop = sy->stopping;
	pthread_mutex_unlock(&sy->lock);
	if (stop || sy->i >= sy->n) {
		vm_sync_round_end(sy);
		return;
	}
	snprintf(sy->host_uuid, sizeof sy->host_uuid, "%s", sy->hosts[sy->i]);
	zs__host__v1__get_host_request__init(&sy->get_req);
	sy->get_req.uuid = sy->host_uuid;
	zs_host_v1_host_get_host_bus(zs_node_bus(sy->vs->node), NULL, &sy->get_req,
	    vm_sync_host_got, sy);
}

/* On a worker: the hosts that have VMs to sync, then the first. */
static void
vm_sync_round(void *arg)
{
	struct vm_sync *sy = arg;
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *rows = NULL;
	char lim[16];
	snprintf(lim, sizeof lim, "%d", VM_SYNC_MAX);
	const char *p[2] = { VM_SYNC_STATES, lim };
	int rv = vm_conn(sy->vs, &c, &st);
	if (rv == 0) {
		rv = zs_db_run(c, "SELECT DISTINCT host_uuid FROM vm_instances WHERE host_uuid <> '' "
		    "AND state = ANY($1::text[]) ORDER BY host_uuid LIMIT $2::integer", 2, p, &rows, &st);
		zs_db_release(zs_node_db(sy->vs->node), c);
	}
	if (rv != 0) {
		vm_sync_warn("cannot look for VMs to sync", "with their hosts", st);
		zs_status_free(st);
		vm_sync_round_end(sy);
		return;
	}
	sy->n = (size_t) PQntuples(rows);
	sy->i = 0;
	sy->hosts = calloc(sy->n + 1, sizeof *sy->hosts);
	if (sy->hosts == NULL)
		sy->n = 0;
	for (size_t i = 0; i < sy->n; i++)
		snprintf(sy->hosts[i], sizeof sy->hosts[i], "%s", PQgetvalue(rows, (int) i, 0));
	PQclear(rows);
	vm_sync_next(sy);
}

/* On the timer thread: the round goes to a worker, keeping the timer's hold. */
static void
vm_sync_tick(void *arg)
{
	struct vm_sync *sy = arg;
	pthread_mutex_lock(&sy->lock);
	sy->timer = NULL;
	pthread_mutex_unlock(&sy->lock);
	if (zs_work_submit(zs_node_work(sy->vs->node), vm_sync_round, sy) != 0)
		vm_sync_release(sy);
}

int
vm_sync_start(vm_state *vs, char *err, size_t errlen)
{
	long interval = 0;
	if (zs_node_property_long(vs->node, "vm.sync.interval", VM_SYNC_INTERVAL_MS, 0,
	    86400000, &interval, err, errlen) != 0)
		return -1;
	struct vm_sync *sy = calloc(1, sizeof *sy);
	if (sy == NULL) {
		snprintf(err, errlen, "cannot start the VM sync: out of memory");
		return -1;
	}
	sy->vs = vs;
	sy->interval_ms = interval;
	pthread_mutex_init(&sy->lock, NULL);
	pthread_cond_init(&sy->cond, NULL);
	vs->sync = sy;
	vm_sync_arm(sy);
	return 0;
}

int
vm_sync_stop(vm_state *vs)
{
	struct vm_sync *sy = vs->sync;
	if (sy == NULL)
		return 0;
	pthread_mutex_lock(&sy->lock);
	sy->stopping = true;
	zs_timer *t = sy->timer;
	pthread_mutex_unlock(&sy->lock);
	if (t != NULL && zs_timer_cancel(zs_node_timers(vs->node), t)) {
		pthread_mutex_lock(&sy->lock);
		sy->timer = NULL;
		sy->busy--;
		pthread_mutex_unlock(&sy->lock);
	}
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += VM_SYNC_STOP_WAIT_S;
	pthread_mutex_lock(&sy->lock);
	while (sy->busy > 0)
		if (pthread_cond_timedwait(&sy->cond, &sy->lock, &until) != 0)
			break;
	bool done = sy->busy == 0;
	pthread_mutex_unlock(&sy->lock);
	if (!done)
		return -1;   /* still in use: leave sy (and vs) */
	vs->sync = NULL;
	pthread_mutex_destroy(&sy->lock);
	pthread_cond_destroy(&sy->cond);
	free(sy);
	return 0;
}
