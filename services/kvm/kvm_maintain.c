/*
 * kvm_maintain.c: ChangeHostState with state_event maintain, ZStack's host maintenance.
 *
 * The host goes PreMaintenance (host/stateChanged; the allocator picks Enabled hosts
 * only, so nothing new lands on it), then every implementation of
 * zs.HostMaintenanceExtension runs in order (zs/host_ext.h: the VM service migrates the
 * host's Running VMs away, kvm.vm.migrationQuantity at a time, under the policy
 * host.maintenance.policy). When all succeed the host goes Maintenance; when one fails it
 * goes back to the state it had and the call fails with KVM.1005, the failure as its
 * cause. Every state change publishes host/stateChanged. While it runs no other change of
 * the host's state is taken; a host left in PreMaintenance by a node that stopped in the
 * middle (none runs its maintenance) may be maintained, enabled or disabled again.
 *
 * How long it may take: the extensions work to the call's deadline. Emptying a host of
 * many VMs takes longer than a plain call's rpc.default_timeout (30 s), so run it as a
 * job (`zsctl --wait ChangeHostState uuid=... stateEvent=maintain`: job.default_timeout,
 * an hour, with progress), or give the call a longer timeout. A maintenance whose
 * deadline passes fails like any other: the migrations still running fail at it and the
 * host goes back to its former state.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"
#include "zs/config.h"
#include "zs/host_ext.h"
#include "zs/job.h"
#include "zs/resource_kit.h"
#include "zs/work.h"

/* One maintenance on its way, in ks->maint; freed once the call is answered. */
typedef struct kvm_maint {
	struct kvm_maint *next;
	zs_call *call;
	ProtobufCClosure closure;
	kvm_state *ks;
	int code;                    /* the extensions' outcome */
	zs_status *st;
	char uuid[64], former[32], policy[64];
} kvm_maint;

bool
kvm_maintaining(kvm_state *ks, const char *uuid)
{
	bool found = false;
	pthread_mutex_lock(&ks->maint_lock);
	for (kvm_maint *m = ks->maint; m != NULL && !found; m = m->next)
		found = strcmp(m->uuid, uuid) == 0;
	pthread_mutex_unlock(&ks->maint_lock);
	return found;
}

static void
kvm_maint_free(kvm_maint *m)
{
	pthread_mutex_lock(&m->ks->maint_lock);
	for (kvm_maint **p = &m->ks->maint; *p != NULL; p = &(*p)->next)
		if (*p == m) {
			*p = m->next;
			break;
		}
	pthread_mutex_unlock(&m->ks->maint_lock);
	free(m);
}

/* On a worker: Maintenance, or back to the former state, and the answer. */
static void
kvm_maint_end(void *arg)
{
	kvm_maint *m = arg;
	zs_status *st = NULL;
	if (m->code == 0) {
		int rv = kvm_store_state(m->ks, m->uuid, "PreMaintenance", "Maintenance", NULL, 0, &st);
		if (rv == 0) {
			zs_job_progress(m->call, 100, "host %s is in Maintenance", m->uuid);
			kvm_api_answer(m->call, m->closure, m->uuid);
			kvm_maint_free(m);
			return;
		}
		m->code = rv;
		m->st = st;
		st = NULL;
	}
	int rv = kvm_store_state(m->ks, m->uuid, "PreMaintenance", m->former, NULL, 0, &st);
	if (rv != 0) {
		/* the cause chain says both: why it failed, and why the state stayed */
		zs_status *why = zs_status_new(m->code, NULL, "%s; and host %s could not be put back "
		    "to %s: %s", m->st != NULL ? m->st->message : "failed", m->uuid, m->former,
		    st != NULL ? st->message : "unknown");
		if (why != NULL) {
			zs_status_set_cause(why, m->st);
			m->st = why;
		}
		zs_status_free(st);
	}
	zs_call_fail_cause(m->call, m->code != 0 ? m->code : ZS_INTERNAL, "KVM.1005", m->st,
	    "host %s could not enter maintenance; it is %s again", m->uuid,
	    rv == 0 ? m->former : "PreMaintenance");
	zs_status_free(m->st);
	kvm_maint_free(m);
}

/* The extensions are done (any thread): the end runs on a worker, as it blocks. */
static void
kvm_maint_ran(int code, zs_status *st, void *arg)
{
	kvm_maint *m = arg;
	m->code = code;
	m->st = st;
	if (zs_work_submit(zs_node_work(m->ks->node), kvm_maint_end, m) != 0)
		kvm_maint_end(m);   /* the node is stopping: end here rather than never */
}

void
kvm_maintain(zs_call *call, ProtobufCClosure closure, const char *uuid, const char *state)
{
	kvm_state *ks = zs_call_service_data(call);
	zs_config *cfg = zs_node_config(ks->node);
	zs_status *st = NULL;
	kvm_maint *m = calloc(1, sizeof *m);
	if (m == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	int64_t quantity = 0;
	if (zs_config_get(cfg, "host", "maintenance.policy", m->policy, sizeof m->policy, &st) != 0 ||
	    zs_config_int(cfg, "kvm", "vm.migrationQuantity", &quantity, &st) != 0) {
		free(m);
		zs_rkit_fail(call, st);
		return;
	}
	m->call = call;
	m->closure = closure;
	m->ks = ks;
	snprintf(m->uuid, sizeof m->uuid, "%s", uuid);
	pthread_mutex_lock(&ks->maint_lock);
	m->next = ks->maint;
	ks->maint = m;
	pthread_mutex_unlock(&ks->maint_lock);
	/* from the state the caller saw: a change that came in between fails this one. A host
	 * left PreMaintenance by a stopped node goes back to Enabled should this one fail. */
	if (kvm_store_state(ks, uuid, state, "PreMaintenance", m->former, sizeof m->former,
	    &st) != 0) {
		kvm_maint_free(m);
		zs_rkit_fail(call, st);
		return;
	}
	if (strcmp(m->former, "PreMaintenance") == 0)
		snprintf(m->former, sizeof m->former, "Enabled");
	zs_job_progress(call, 5, "host %s is PreMaintenance; emptying it (%s, %" PRId64
	    " migrations at once)", uuid, m->policy, quantity);
	zs_host_maintenance_ctx ctx = {
		.host_uuid = m->uuid,
		.policy = m->policy,
		.migration_quantity = quantity,
		.deadline_ms = zs_call_deadline_ms(call),
		.call = call,
	};
	zs_host_maintenance_run(ks->node, &ctx, kvm_maint_ran, m);
}
