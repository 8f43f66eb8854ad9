/*
 * vm_maintain.c: the VM service's zs.HostMaintenanceExtension (zs/host_ext.h): a host
 * going into maintenance is emptied of its VMs, as ZStack's does.
 *
 * Every VM on the host (host_uuid: Running, Paused, or in a passing state) is taken in
 * turn, at most migration_quantity (kvm.vm.migrationQuantity) at once: a Running VM
 * migrates (vm_migrate.c) to another host of its cluster. A VM that cannot (no room, its
 * agent fails, not Running, volumes on the host's local disk) is stopped under
 * StopVmOnMigrationFailure (the host still goes Maintenance; a VM that cannot be stopped
 * either fails it), or fails the maintenance under JustMigrate: no further migration
 * starts, those under way end, and the host goes back to its former state (the VMs that
 * moved stay where they went). Stopped VMs whose last host it is are not on it: they
 * stay, and start elsewhere later. Each VM done is a step of the ChangeHostState job's
 * progress.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "zs/bus.h"
#include "zs/clock.h"
#include "zs/ext.h"
#include "zs/host_ext.h"
#include "zs/job.h"
#include "zs/log.h"
#include "zs/service.h"
#include "zs/vm/v1/vm.zsb.h"

typedef struct vm_maint vm_maint;

/* One VM of the host. */
typedef struct vm_maint_vm {
	vm_maint *m;
	char uuid[ZS_UUID_LEN], state[16];
	zs_call *node;                     /* stand-in parent of its StopVmInstance */
	Zs__Vm__V1__StopVmInstanceRequest stop_req;
	zs_status *why;                    /* why it could not migrate */
} vm_maint_vm;

struct vm_maint {
	vm_state *vs;
	zs_call *call;                     /* ChangeHostState */
	char host[64];
	bool stop_vm;                      /* StopVmOnMigrationFailure */
	size_t quantity;
	zs_host_maintenance_done_fn done;
	void *arg;
	pthread_mutex_t mu;
	vm_maint_vm *vms;
	size_t n, next, running, finished, migrated, stopped;
	zs_status *failure;                /* the first that fails the maintenance */
};

static void vm_maint_start(vm_maint *m, vm_maint_vm *v);

/* Everything ended: the answer, once. */
static void
vm_maint_end(vm_maint *m)
{
	zs_status *st = m->failure;
	int code = st != NULL ? (int) st->code : 0;
	if (st == NULL) {
		/* nothing may be left on the host (a VM that came meanwhile, say) */
		zs_db_conn *c = NULL;
		PGresult *r = NULL;
		const char *p[1] = { m->host };
		if ((code = vm_conn(m->vs, &c, &st)) == 0) {
			code = zs_db_run(c, "SELECT count(*) FROM vm_instances WHERE host_uuid = $1", 1, p,
			    &r, &st);
			zs_db_release(zs_node_db(m->vs->node), c);
		}
		if (code == 0 && atol(PQgetvalue(r, 0, 0)) > 0) {
			code = ZS_ABORTED;
			st = zs_status_new(code, NULL, "%s VM(s) are still on host %s after %zu migrated "
			    "and %zu stopped", PQgetvalue(r, 0, 0), m->host, m->migrated, m->stopped);
		}
		PQclear(r);
	}
	for (size_t i = 0; i < m->n; i++) {
		if (m->vms[i].node != NULL)
			zs_bus_parent_free(m->vms[i].node);
		zs_status_free(m->vms[i].why);
	}
	free(m->vms);
	pthread_mutex_destroy(&m->mu);
	zs_host_maintenance_done_fn done = m->done;
	void *arg = m->arg;
	free(m);
	done(code, st, arg);
}

/* v is done (failure: why, taken, fails the maintenance); starts the next VM, or ends. */
static void
vm_maint_one_done(vm_maint *m, zs_status *why)
{
	vm_maint_vm *start[64];
	size_t n_start = 0;
	pthread_mutex_lock(&m->mu);
	m->running--;
	m->finished++;
	if (why != NULL && m->failure == NULL)
		m->failure = why;
	else
		zs_status_free(why);
	/* no new one after a failure; otherwise keep quantity under way */
	while (m->failure == NULL && m->next < m->n && m->running < m->quantity && n_start < 64) {
		start[n_start++] = &m->vms[m->next++];
		m->running++;
	}
	bool end = m->running == 0 && (m->failure != NULL || m->next >= m->n);
	/* under the lock: once it is released another thread may end it all */
	zs_job_progress(m->call, (unsigned) (5 + 90 * m->finished / m->n), "host %s: %zu of %zu "
	    "VMs done (%zu migrated, %zu stopped)", m->host, m->finished, m->n, m->migrated,
	    m->stopped);
	pthread_mutex_unlock(&m->mu);
	if (end) {
		vm_maint_end(m);
		return;
	}
	for (size_t i = 0; i < n_start; i++)
		vm_maint_start(m, start[i]);
}

static void
vm_maint_stopped(int code, const zs_status *st, const Zs__Vm__V1__VmInstanceInfo *r, void *arg)
{
	(void) r;
	vm_maint_vm *v = arg;
	vm_maint *m = v->m;
	if (code != 0) {
		zs_status *why = zs_status_new(code, NULL, "VM %s could not be migrated off host %s, "
		    "nor stopped", v->uuid, m->host);
		if (why != NULL) {
			zs_status *cause = st != NULL ? zs_status_copy(st) : NULL;
			if (v->why != NULL && cause != NULL)
				zs_status_set_cause(v->why, cause);   /* migrating, then stopping */
			zs_status_set_cause(why, v->why != NULL ? v->why : cause);
			v->why = NULL;
		}
		vm_maint_one_done(m, why);
		return;
	}
	zs_log(ZS_LOG_INFO, "vm", "host %s maintenance: VM %s could not be migrated, so it was "
	    "stopped (StopVmOnMigrationFailure)", m->host, v->uuid);
	pthread_mutex_lock(&m->mu);
	m->stopped++;
	pthread_mutex_unlock(&m->mu);
	vm_maint_one_done(m, NULL);
}

/* v could not migrate (why taken): stopped, or the maintenance fails. */
static void
vm_maint_cannot(vm_maint_vm *v, zs_status *why)
{
	vm_maint *m = v->m;
	if (!m->stop_vm) {
		zs_status *top = zs_status_new(why != NULL ? why->code : ZS_ABORTED, NULL, "VM %s could "
		    "not be migrated off host %s (JustMigrate)", v->uuid, m->host);
		if (top != NULL)
			zs_status_set_cause(top, why);
		else
			zs_status_free(why);
		vm_maint_one_done(m, top);
		return;
	}
	v->why = why;
	v->node = zs_bus_parent_new(m->call, 0, true);
	if (v->node == NULL) {
		vm_maint_one_done(m, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"));
		return;
	}
	zs__vm__v1__stop_vm_instance_request__init(&v->stop_req);
	v->stop_req.uuid = v->uuid;
	zs_vm_v1_vm_instance_stop_vm_instance_bus(zs_node_bus(m->vs->node), v->node, &v->stop_req,
	    vm_maint_stopped, v);
}

static void
vm_maint_migrated(int code, const zs_status *st, const char *host, void *arg)
{
	vm_maint_vm *v = arg;
	vm_maint *m = v->m;
	if (code != 0) {
		vm_maint_cannot(v, st != NULL ? zs_status_copy(st) : zs_status_new(code, NULL,
		    "migration failed"));
		return;
	}
	zs_log(ZS_LOG_INFO, "vm", "host %s maintenance: VM %s migrated to host %s", m->host,
	    v->uuid, host);
	pthread_mutex_lock(&m->mu);
	m->migrated++;
	pthread_mutex_unlock(&m->mu);
	vm_maint_one_done(m, NULL);
}

static void
vm_maint_start(vm_maint *m, vm_maint_vm *v)
{
	if (strcmp(v->state, "Running") != 0) {
		vm_maint_cannot(v, zs_status_new(ZS_FAILED_PRECONDITION, "VM.1002", "VM %s is %s: only "
		    "Running VMs migrate", v->uuid, v->state));
		return;
	}
	vm_migrate_run(m->vs, m->call, NULL, v->uuid, NULL, vm_maint_migrated, v);
}

static void
vm_host_maintain(zs_node *node, const zs_host_maintenance_ctx *ctx,
    zs_host_maintenance_done_fn done, void *arg)
{
	const zs_ext *e = zs_ext_find(zs_node_extensions(node), ZS_EXT_HOST_MAINTENANCE, "vm.migrate");
	vm_state *vs = e != NULL ? zs_ext_service_data(e) : NULL;
	if (vs == NULL) {
		done(ZS_UNAVAILABLE, zs_status_new(ZS_UNAVAILABLE, NULL, "the VM service is stopping"),
		    arg);
		return;
	}
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *r = NULL;
	const char *p[1] = { ctx->host_uuid };
	int rv = vm_conn(vs, &c, &st);
	if (rv == 0) {
		rv = zs_db_run(c, "SELECT uuid, state FROM vm_instances WHERE host_uuid = $1 "
		    "ORDER BY created_at, uuid", 1, p, &r, &st);
		zs_db_release(zs_node_db(node), c);
	}
	if (rv != 0) {
		done(rv, st, arg);
		return;
	}
	size_t n = (size_t) PQntuples(r);
	if (n == 0) {
		PQclear(r);
		done(0, NULL, arg);
		return;
	}
	vm_maint *m = calloc(1, sizeof *m);
	if (m == NULL || (m->vms = calloc(n, sizeof *m->vms)) == NULL) {
		free(m);
		PQclear(r);
		done(ZS_RESOURCE_EXHAUSTED, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"),
		    arg);
		return;
	}
	pthread_mutex_init(&m->mu, NULL);
	m->vs = vs;
	m->call = ctx->call;
	snprintf(m->host, sizeof m->host, "%s", ctx->host_uuid);
	m->stop_vm = strcmp(ctx->policy, ZS_HOST_MAINTAIN_JUST_MIGRATE) != 0;
	m->quantity = ctx->migration_quantity > 0 ? (size_t) ctx->migration_quantity : 1;
	m->done = done;
	m->arg = arg;
	m->n = n;
	for (size_t i = 0; i < n; i++) {
		m->vms[i].m = m;
		snprintf(m->vms[i].uuid, sizeof m->vms[i].uuid, "%s", PQgetvalue(r, (int) i, 0));
		snprintf(m->vms[i].state, sizeof m->vms[i].state, "%s", PQgetvalue(r, (int) i, 1));
	}
	PQclear(r);
	zs_job_progress(ctx->call, 5, "host %s: moving %zu VM(s) away, %zu at once (%s)", m->host, n,
	    m->quantity, ctx->policy);
	/* the first ones, counted as running before any can end */
	size_t first = n < m->quantity ? n : m->quantity;
	m->next = first;
	m->running = first;
	for (size_t i = 0; i < first; i++)
		vm_maint_start(m, &m->vms[i]);
}

ZS_EXPORT const zs_host_maintenance_ext vm_maintain_ext = { vm_host_maintain };
