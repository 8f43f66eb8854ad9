/*
 * vm_reconcile.c: VMs left in a passing state (Starting, Stopping, Rebooting, Pausing,
 * Resuming, Destroying, Expunging, Migrating) by a node that stopped in the middle are
 * set to what their hosts say, once the service has started: for each, /vm/checkstate on
 * its host's agent, then Running or Paused as the host has it, or Stopped (the host's
 * capacity given back, the host kept as last host) when the host does not run it; Unknown
 * when the host cannot be asked. One without a host goes to Stopped (Expunging: back to
 * Destroyed, so that the expunge can be asked again). A VM left Migrating is asked of
 * both its hosts (vm_reconcile_mig.c). One VM after the other, on workers, without a
 * call: no thread waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vm.h"
#include "zs/bus.h"
#include "zs/host/v1/host.zsb.h"
#include "zs/later.h"
#include "zs/log.h"
#include "zs/work.h"

#define VM_RECONCILE_DELAY_MS 1000      /* after the service's start */
#define VM_RECONCILE_MAX 10000          /* VMs looked at in one run */
#define VM_RECONCILE_STOP_WAIT_S 30

typedef struct vm_rec_vm {
	char uuid[ZS_UUID_LEN], host[64], state[16], dst[64];
} vm_rec_vm;

struct vm_reconcile {
	vm_state *vs;
	zs_later *later;                   /* the run, once, soon after the start */
	long long started_ms;              /* the service's start (wall clock): only VMs not
	                                    * changed since then are looked at */
	vm_rec_vm *vms;
	size_t n, i;
	char ip[64], to[VM_DECODE_STATE];
	Zs__Host__V1__ReturnHostCapacityRequest ret_req;
};

static void vm_rec_next(void *arg);

static void
vm_rec_end(struct vm_reconcile *r)
{
	free(r->vms);
	r->vms = NULL;
	zs_later_done(r->later);
}

/* Sets the current VM (from its passing state) to r->to; then the next. */
static void
vm_rec_set(struct vm_reconcile *r)
{
	vm_rec_vm *v = &r->vms[r->i];
	zs_status *st = NULL;
	const char *from[2] = { v->state, NULL };
	const char *set = NULL;
	const char *p[1] = { v->host };
	int n = 0;
	if (strcmp(r->to, "Stopped") == 0 || strcmp(r->to, "Destroyed") == 0) {
		set = "host_uuid = '', last_host_uuid = CASE WHEN $2 = '' THEN last_host_uuid ELSE $2 END";
		n = 1;
	}
	int rv = vm_store_transit_conn(r->vs, NULL, v->uuid, from, r->to, "reconcile", NULL, set, n,
	    p, NULL, &st);
	char why[256] = "";
	zs_status_text(st, why, sizeof why);
	zs_log(rv == 0 ? ZS_LOG_INFO : ZS_LOG_WARN, "vm", "VM %s was %s at start: %s%s%s%s", v->uuid,
	    v->state, rv == 0 ? "now " : "cannot set it ", r->to, rv == 0 ? "" : ": ", why);
	zs_status_free(st);
	r->i++;
	if (zs_work_submit(zs_node_work(r->vs->node), vm_rec_next, r) != 0)
		vm_rec_end(r);
}

static void
vm_rec_returned(int code, const zs_status *st, const Zs__Host__V1__ReturnHostCapacityResponse *x,
    void *arg)
{
	(void) x;
	struct vm_reconcile *r = arg;
	if (code != 0 && code != ZS_NOT_FOUND) {
		char why[256];
		zs_status_text(st, why, sizeof why);
		zs_log(ZS_LOG_WARN, "vm", "VM %s: its host capacity could not be given back: %s",
		    r->vms[r->i].uuid, why);
	}
	vm_rec_set(r);
}

/* A VM left Starting without a NIC: its create had not reached its addresses. */
static bool
vm_rec_unfinished(struct vm_reconcile *r)
{
	vm_rec_vm *v = &r->vms[r->i];
	if (strcmp(v->state, "Starting") != 0)
		return false;
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *rows = NULL;
	const char *p[1] = { v->uuid };
	int rv = vm_conn(r->vs, &c, &st);
	if (rv == 0) {
		rv = zs_db_run(c, "SELECT 1 FROM vm_nics WHERE vm_instance_uuid = $1 LIMIT 1", 1, p,
		    &rows, &st);
		zs_db_release(zs_node_db(r->vs->node), c);
	}
	bool none = rv == 0 && PQntuples(rows) == 0;
	PQclear(rows);
	zs_status_free(st);
	return none;
}

static void
vm_rec_unmade(int code, const zs_status *st, void *arg)
{
	struct vm_reconcile *r = arg;
	char why[256] = "";
	zs_status_text(st, why, sizeof why);
	zs_log(code == 0 ? ZS_LOG_INFO : ZS_LOG_WARN, "vm", "VM %s was Starting at start, its "
	    "create unfinished: %s%s", r->vms[r->i].uuid, code == 0 ? "undone" :
	    "cannot undo it: ", why);
	if (code != 0) {   /* not undone: Stopped at least, as any VM its host does not run */
		vm_rec_set(r);
		return;
	}
	r->i++;
	if (zs_work_submit(zs_node_work(r->vs->node), vm_rec_next, r) != 0)
		vm_rec_end(r);
}

/* Stopped: the host's capacity goes back first; an unfinished create is undone. */
static void
vm_rec_apply(struct vm_reconcile *r)
{
	if (strcmp(r->to, "Stopped") == 0 && vm_rec_unfinished(r)) {
		vm_unmake(r->vs, r->vms[r->i].uuid, vm_rec_unmade, r);
		return;
	}
	if (strcmp(r->to, "Stopped") != 0) {
		vm_rec_set(r);
		return;
	}
	zs__host__v1__return_host_capacity_request__init(&r->ret_req);
	r->ret_req.vm_uuid = r->vms[r->i].uuid;
	r->ret_req.host_uuid = "";
	zs_host_v1_host_return_host_capacity_bus(zs_node_bus(r->vs->node), NULL, &r->ret_req,
	    vm_rec_returned, r);
}

static void
vm_rec_checked(int code, const zs_status *st, const json_t *reply, void *arg)
{
	struct vm_reconcile *r = arg;
	vm_rec_vm *v = &r->vms[r->i];
	const char *uuids[1] = { v->uuid };
	char out[1][VM_DECODE_STATE];
	char why[256] = "";
	if (code != 0) {
		zs_status_text(st, why, sizeof why);
		zs_log(ZS_LOG_WARN, "vm", "VM %s: its host %s cannot say its state: %s", v->uuid,
		    v->host, why);
		snprintf(r->to, sizeof r->to, "Unknown");
	} else if (vm_decode_states(reply, uuids, 1, out, why, sizeof why) != 0) {
		zs_log(ZS_LOG_WARN, "vm", "VM %s: host %s: %s", v->uuid, v->host, why);
		snprintf(r->to, sizeof r->to, "Unknown");
	} else {
		snprintf(r->to, sizeof r->to, "%s", out[0]);
	}
	vm_rec_apply(r);
}

static void
vm_rec_host_ip(int code, const zs_status *st, const char *ip, void *arg)
{
	struct vm_reconcile *r = arg;
	vm_rec_vm *v = &r->vms[r->i];
	if (code != 0) {
		/* the host is gone: the VM runs nowhere we know of */
		char why[256];
		zs_status_text(st, why, sizeof why);
		zs_log(ZS_LOG_WARN, "vm", "VM %s: host %s: %s", v->uuid, v->host, why);
		snprintf(r->to, sizeof r->to, code == ZS_NOT_FOUND ? "Stopped" : "Unknown");
		vm_rec_apply(r);
		return;
	}
	json_t *cmd = json_pack("{s:[s]}", "vmUuids", v->uuid);
	vm_agent_post(r->vs, NULL, v->host, ip, "/vm/checkstate", cmd, 0, vm_rec_checked, r);
}

static void
vm_rec_mig_done(void *arg)
{
	struct vm_reconcile *r = arg;
	r->i++;
	if (zs_work_submit(zs_node_work(r->vs->node), vm_rec_next, r) != 0)
		vm_rec_end(r);
}

static void
vm_rec_next(void *arg)
{
	struct vm_reconcile *r = arg;
	if (r->i >= r->n || zs_later_stopping(r->later)) {
		vm_rec_end(r);
		return;
	}
	vm_rec_vm *v = &r->vms[r->i];
	if (strcmp(v->state, "Migrating") == 0 && v->host[0] != '\0') {
		vm_reconcile_mig(r->vs, v->uuid, v->host, v->dst, vm_rec_mig_done, r);
		return;
	}
	if (v->host[0] == '\0') {
		snprintf(r->to, sizeof r->to, "%s", strcmp(v->state, "Expunging") == 0 ||
		    strcmp(v->state, "Destroying") == 0 ? "Destroyed" : "Stopped");
		vm_rec_apply(r);   /* a create may hold a host it had not written yet */
		return;
	}
	vm_agent_host_ip(r->vs, v->host, vm_rec_host_ip, r);
}

/* On a worker: the VMs to look at, then the first. */
static void
vm_rec_run(void *arg)
{
	struct vm_reconcile *r = arg;
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *rows = NULL;
	int rv = vm_conn(r->vs, &c, &st);
	if (rv == 0) {
		char limit[16], since[32];
		snprintf(limit, sizeof limit, "%d", VM_RECONCILE_MAX);
		snprintf(since, sizeof since, "%lld", r->started_ms);
		const char *p[3] = { "{Starting,Stopping,Rebooting,Pausing,Resuming,Destroying,"
		    "Expunging,Migrating}", limit, since };
		rv = zs_db_run(c, "SELECT uuid, host_uuid, state, migrate_dst_uuid FROM vm_instances "
		    "WHERE state = "
		    "ANY($1::text[]) AND updated_at < to_timestamp($3::double precision / 1000) "
		    "ORDER BY created_at LIMIT $2::integer", 3, p, &rows, &st);
		zs_db_release(zs_node_db(r->vs->node), c);
	}
	if (rv != 0) {
		char why[256];
		zs_status_text(st, why, sizeof why);
		zs_log(ZS_LOG_WARN, "vm", "cannot look for VMs left in a passing state: %s", why);
		zs_status_free(st);
		vm_rec_end(r);
		return;
	}
	r->n = (size_t) PQntuples(rows);
	r->i = 0;
	r->vms = r->n > 0 ? calloc(r->n, sizeof *r->vms) : NULL;
	if (r->n > 0 && r->vms == NULL)
		r->n = 0;
	for (size_t i = 0; i < r->n; i++) {
		snprintf(r->vms[i].uuid, sizeof r->vms[i].uuid, "%s", PQgetvalue(rows, (int) i, 0));
		snprintf(r->vms[i].host, sizeof r->vms[i].host, "%s", PQgetvalue(rows, (int) i, 1));
		snprintf(r->vms[i].state, sizeof r->vms[i].state, "%s", PQgetvalue(rows, (int) i, 2));
		snprintf(r->vms[i].dst, sizeof r->vms[i].dst, "%s", PQgetvalue(rows, (int) i, 3));
	}
	PQclear(rows);
	if (r->n > 0)
		zs_log(ZS_LOG_INFO, "vm", "%zu VM(s) left in a passing state: asking their hosts", r->n);
	vm_rec_next(r);
}

int
vm_reconcile_start(vm_state *vs)
{
	struct vm_reconcile *r = calloc(1, sizeof *r);
	if (r == NULL)
		return -1;
	r->vs = vs;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	r->started_ms = (long long) now.tv_sec * 1000 + now.tv_nsec / 1000000;
	r->later = zs_later_start(zs_node_timers(vs->node), zs_node_work(vs->node),
	    VM_RECONCILE_DELAY_MS, vm_rec_run, r);
	if (r->later == NULL) {
		free(r);
		return -1;
	}
	vs->reconcile = r;
	return 0;
}

int
vm_reconcile_stop(vm_state *vs)
{
	struct vm_reconcile *r = vs->reconcile;
	if (r == NULL)
		return 0;
	vs->reconcile = NULL;
	if (zs_later_stop(r->later, VM_RECONCILE_STOP_WAIT_S) != 0)
		return -1;   /* a run still uses r (and vs): leave them */
	free(r);
	return 0;
}
