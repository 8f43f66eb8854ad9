/*
 * vm_migrate.c: MigrateVm, ZStack's live migration of a Running VM to another host of
 * its cluster, as a workflow (zs/flow.h) whose steps undo themselves when a later one
 * fails:
 *
 *   migrating     Running -> Migrating (vm/stateChanged); a VM in another state is
 *                 FAILED_PRECONDITION naming it              undo: back to Running
 *   storage       the root and data volumes must be on shared storage: a volume on a
 *                 host's local disk (LocalStorage) stays with that host, and migrating
 *                 it with the VM is not done here (VM.1010)
 *   allocate-host Host/AllocateHost in the VM's cluster, the designated host or any but
 *                 the one it runs on: the destination holds the VM's CPUs and memory
 *                 while the source still does, and is written on the row
 *                 (migrate_dst_uuid) before the agent is asked
 *                                                            undo: ReturnHostCapacity
 *   source        the source host's agent address
 *   migrate       /vm/migrate on the source agent (destHostIp ...)
 *
 * Then the source's capacity is given back and the VM is Running on the destination
 * (host_uuid, last_host_uuid the source; vm/stateChanged and vm/migrated in one
 * transaction). A node stopped at any point leaves the VM Migrating with both hosts named
 * (or the source only, before the destination held anything but its reservation): the
 * reconcile at start asks both (vm_reconcile_mig.c). A failure leaves the VM Running on its source with the capacity as before, and
 * the call fails with VM.1009 and the cause. The host maintenance (vm_maintain.c) runs
 * the same workflow for each VM of the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "zs/bus.h"
#include "zs/check.h"
#include "zs/flow.h"
#include "zs/host/v1/host.zsb.h"
#include "zs/log.h"
#include "zs/volume/v1/volume.zsb.h"
#include "zs/work.h"

static const char *const vm_mig_from[] = { "Running", NULL };
static const char *const vm_mig_passing[] = { "Migrating", NULL };

/* One migration on its way; freed once done has run. */
typedef struct vm_mig {
	vm_state *vs;
	const zs_call *parent;             /* bounds the agent's command (its deadline) */
	zs_call *node;                     /* stand-in parent with the node's rights */
	const zs_call *check;              /* the caller whose account must see the VM, or NULL */
	vm_row vm;
	char want[64];                     /* the designated host, or "" */
	char src_ip[64], dst[64], dst_ip[64];
	int ans_code;                      /* AllocateHost's answer, for the worker */
	zs_status *ans_st;
	size_t vol_i;                      /* storage: the next volume to look at */
	bool moved;                        /* migrating moved it to Migrating */
	bool refused;                      /* a check refused it: its status says why, as is */
	vm_migrate_fn done;
	void *arg;
	Zs__Host__V1__AllocateHostRequest alloc_req;
	Zs__Host__V1__ReturnHostCapacityRequest ret_req;
	Zs__Volume__V1__GetVolumeRequest vol_req;
	char *l3_ptrs[VM_L3_MAX];
	char *avoid[1];
} vm_mig;

static void
vm_mig_free(vm_mig *m)
{
	zs_status_free(m->ans_st);
	if (m->node != NULL)
		zs_bus_parent_free(m->node);
	free(m);
}

static zs_status *
vm_mig_copy(int code, const zs_status *st, const char *what)
{
	return st != NULL ? zs_status_copy(st) : zs_status_new(code, NULL, "%s failed", what);
}

/* ---- migrating: Running -> Migrating; undo: Running ---- */

static void
vm_mig_state(zs_flow *flow, void *arg)
{
	vm_mig *m = arg;
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	char uuid[ZS_UUID_LEN];
	snprintf(uuid, sizeof uuid, "%s", m->vm.uuid);   /* the load clears m->vm first */
	int rv = vm_conn(m->vs, &c, &st);
	if (rv == 0) {
		rv = zs_db_begin(c, &st);
		if (rv == 0) {
			rv = vm_store_transit(c, m->check, m->vs, uuid, vm_mig_from, "Migrating",
			    "Migrate", NULL, NULL, 0, NULL, NULL, &st);
			if (rv == 0)
				rv = vm_store_load(c, uuid, &m->vm, &st);
			rv = zs_db_end(c, rv, &st);
		}
		zs_db_release(zs_node_db(m->vs->node), c);
	}
	m->moved = rv == 0;
	m->refused = rv == ZS_FAILED_PRECONDITION || rv == ZS_NOT_FOUND;
	if (rv == 0 && strcmp(m->want, m->vm.host) == 0) {
		m->refused = true;
		rv = ZS_INVALID_ARGUMENT;
		st = zs_status_new(rv, NULL, "host_uuid: VM %s already runs on host %s", m->vm.uuid,
		    m->want);
		/* this step moved the state: it undoes that itself (ZS_FLOW_ROLLBACK_SELF) */
	}
	if (rv != 0) {
		zs_flow_fail(flow, st);
		return;
	}
	zs_flow_next(flow);
}

static void
vm_mig_state_undo(zs_flow *flow, void *arg)
{
	vm_mig *m = arg;
	zs_status *st = NULL;
	if (!m->moved) {   /* refused: it never got there */
		zs_flow_rollback_done(flow);
		return;
	}
	int rv = vm_store_transit_conn(m->vs, NULL, m->vm.uuid, vm_mig_passing, "Running",
	    "Migrate", NULL, "migrate_dst_uuid = ''", 0, NULL, NULL, &st);
	if (rv != 0) {
		zs_flow_rollback_fail(flow, st);
		return;
	}
	zs_flow_rollback_done(flow);
}

/* ---- storage: no volume on a host's local disk ---- */

static void vm_mig_volume_next(zs_flow *flow, vm_mig *m);

static void
vm_mig_volume_got(int code, const zs_status *st, const Zs__Volume__V1__VolumeInfo *r, void *arg)
{
	zs_flow *flow = arg;
	vm_mig *m = zs_flow_get(zs_flow_chain_of(flow), "mig");
	if (code != 0) {
		zs_flow_fail(flow, vm_mig_copy(code, st, "GetVolume"));
		return;
	}
	if (r->host_uuid[0] != '\0') {
		m->refused = true;
		zs_flow_fail(flow, zs_status_new(ZS_FAILED_PRECONDITION, "VM.1010", "VM %s cannot be "
		    "migrated: its %s volume %s is on the local storage of host %s (LocalStorage), "
		    "and migration does not move volumes; VMs on shared storage (NFS) migrate",
		    m->vm.uuid, r->type, r->uuid, r->host_uuid));
		return;
	}
	vm_mig_volume_next(flow, m);
}

static void
vm_mig_volume_next(zs_flow *flow, vm_mig *m)
{
	const char *vol = NULL;
	while (vol == NULL && m->vol_i <= m->vm.n_data) {
		size_t i = m->vol_i++;
		vol = i == 0 ? m->vm.root_volume : m->vm.data[i - 1];
		if (vol[0] == '\0')
			vol = NULL;
	}
	if (vol == NULL) {
		zs_flow_next(flow);
		return;
	}
	zs__volume__v1__get_volume_request__init(&m->vol_req);
	m->vol_req.uuid = (char *) vol;
	zs_volume_v1_volume_get_volume_bus(zs_node_bus(m->vs->node), m->node, &m->vol_req,
	    vm_mig_volume_got, flow);
}

static void
vm_mig_storage(zs_flow *flow, void *arg)
{
	vm_mig *m = arg;
	m->vol_i = 0;
	vm_mig_volume_next(flow, m);
}

/* ---- allocate-host: the destination holds the VM; undo: it gives it back ---- */

typedef struct vm_mig_hop {
	zs_flow *flow;
	vm_mig *m;
} vm_mig_hop;

/* On a worker (the allocator may answer while it holds a connection): the destination on
 * the row, so that a stop of the node from here on leaves it known. */
static void
vm_mig_dst_work(void *arg)
{
	vm_mig_hop h = *(vm_mig_hop *) arg;
	free(arg);
	vm_mig *m = h.m;
	if (m->ans_code != 0) {
		zs_status *why = zs_status_new(m->ans_code, NULL, "no host to migrate VM %s to%s%s",
		    m->vm.uuid, m->want[0] != '\0' ? ": host " : "", m->want);
		if (why != NULL)
			zs_status_set_cause(why, vm_mig_copy(m->ans_code, m->ans_st, "AllocateHost"));
		zs_flow_fail(h.flow, why);
		return;
	}
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	int rv = vm_conn(m->vs, &c, &st);
	if (rv == 0) {
		const char *p[2] = { m->vm.uuid, m->dst };
		rv = zs_db_run(c, "UPDATE vm_instances SET migrate_dst_uuid = $2 WHERE uuid = $1 AND "
		    "state = 'Migrating'", 2, p, NULL, &st);
		zs_db_release(zs_node_db(m->vs->node), c);
	}
	if (rv != 0)
		zs_flow_fail(h.flow, st);
	else
		zs_flow_next(h.flow);
}

static void
vm_mig_allocated(int code, const zs_status *st, const Zs__Host__V1__AllocateHostResponse *r,
    void *arg)
{
	zs_flow *flow = arg;
	vm_mig *m = zs_flow_get(zs_flow_chain_of(flow), "mig");
	m->ans_code = code;
	m->ans_st = code != 0 ? vm_mig_copy(code, st, "AllocateHost") : NULL;
	if (code == 0) {
		snprintf(m->dst, sizeof m->dst, "%s", r->host_uuid);
		snprintf(m->dst_ip, sizeof m->dst_ip, "%s", r->management_ip);
	}
	vm_mig_hop *h = malloc(sizeof *h);
	if (h != NULL) {
		*h = (vm_mig_hop) { flow, m };
		if (zs_work_submit(zs_node_work(m->vs->node), vm_mig_dst_work, h) == 0)
			return;
		free(h);
	}
	zs_flow_fail(flow, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "cannot go on: the node is "
	    "stopping or out of memory"));
}

static void
vm_mig_allocate(zs_flow *flow, void *arg)
{
	vm_mig *m = arg;
	zs__host__v1__allocate_host_request__init(&m->alloc_req);
	m->alloc_req.vm_uuid = m->vm.uuid;
	m->alloc_req.cpu_num = m->vm.cpu;
	m->alloc_req.memory_size = m->vm.memory;
	m->alloc_req.cluster_uuid = m->vm.cluster;   /* its storage and networks are there */
	m->alloc_req.host_uuid = m->want;
	m->alloc_req.hypervisor_type = m->vm.hypervisor;
	for (size_t i = 0; i < m->vm.n_nics; i++)
		m->l3_ptrs[i] = m->vm.nics[i].l3;
	m->alloc_req.n_l3_network_uuids = m->vm.n_nics;
	m->alloc_req.l3_network_uuids = m->l3_ptrs;
	m->avoid[0] = m->vm.host;
	m->alloc_req.n_avoid_host_uuids = 1;
	m->alloc_req.avoid_host_uuids = m->avoid;
	zs_host_v1_host_allocate_host_bus(zs_node_bus(m->vs->node), m->node, &m->alloc_req,
	    vm_mig_allocated, flow);
}

static void
vm_mig_returned(int code, const zs_status *st, const Zs__Host__V1__ReturnHostCapacityResponse *r,
    void *arg)
{
	(void) r;
	zs_flow *flow = arg;
	if (code != 0 && code != ZS_NOT_FOUND)
		zs_flow_rollback_fail(flow, vm_mig_copy(code, st, "ReturnHostCapacity"));
	else
		zs_flow_rollback_done(flow);
}

static void
vm_mig_allocate_undo(zs_flow *flow, void *arg)
{
	vm_mig *m = arg;
	if (m->dst[0] == '\0') {   /* none held (the undo of its own failure) */
		zs_flow_rollback_done(flow);
		return;
	}
	zs__host__v1__return_host_capacity_request__init(&m->ret_req);
	m->ret_req.vm_uuid = m->vm.uuid;
	m->ret_req.host_uuid = m->dst;
	/* as the node, without the caller's deadline: it may have passed */
	zs_host_v1_host_return_host_capacity_bus(zs_node_bus(m->vs->node), NULL, &m->ret_req,
	    vm_mig_returned, flow);
}

/* ---- source: where the source agent is ---- */

static void
vm_mig_source_ip(int code, const zs_status *st, const char *ip, void *arg)
{
	zs_flow *flow = arg;
	vm_mig *m = zs_flow_get(zs_flow_chain_of(flow), "mig");
	if (code != 0) {
		zs_flow_fail(flow, vm_mig_copy(code, st, "GetHost"));
		return;
	}
	snprintf(m->src_ip, sizeof m->src_ip, "%s", ip);
	zs_flow_next(flow);
}

static void
vm_mig_source(zs_flow *flow, void *arg)
{
	vm_mig *m = arg;
	vm_agent_host_ip(m->vs, m->vm.host, vm_mig_source_ip, flow);
}

/* ---- migrate: the source agent moves it ---- */

static void
vm_mig_moved(int code, const zs_status *st, const json_t *reply, void *arg)
{
	(void) reply;
	zs_flow *flow = arg;
	if (code != 0) {
		zs_flow_fail(flow, vm_mig_copy(code, st, "/vm/migrate"));
		return;
	}
	zs_flow_next(flow);
}

static void
vm_mig_move(zs_flow *flow, void *arg)
{
	vm_mig *m = arg;
	int64_t left = zs_call_remaining_ms(m->parent);
	json_t *cmd = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I}", "vmUuid", m->vm.uuid,
	    "vmInstanceUuid", m->vm.uuid, "srcHostIp", m->src_ip, "destHostIp", m->dst_ip,
	    "destHostManagementIp", m->dst_ip, "migrateFromDestination", 0,
	    "timeout", (json_int_t) (left / 1000));
	vm_agent_post(m->vs, m->parent, m->vm.host, m->src_ip, "/vm/migrate", cmd, 0, vm_mig_moved,
	    flow);
}

/* ---- the end ---- */

/* On a worker: the VM runs on the destination; say so. */
static void
vm_mig_record(void *arg)
{
	vm_mig *m = arg;
	const char *p[2] = { m->dst, m->vm.host };
	zs_status *st = NULL;
	int rv = vm_store_transit_conn(m->vs, NULL, m->vm.uuid, vm_mig_passing, "Running",
	    "Migrate", NULL, "host_uuid = $2, last_host_uuid = $3, migrate_dst_uuid = ''", 2, p,
	    "vm/migrated", &st);
	if (rv != 0) {
		char w[512];
		zs_status_text(st, w, sizeof w);
		zs_log(ZS_LOG_ERROR, "vm", "VM %s runs on host %s now, but that could not be recorded "
		    "(it stays Migrating): %s", m->vm.uuid, m->dst, w);
		zs_status *why = zs_status_new(rv, "VM.1009", "VM %s was migrated to host %s, but that "
		    "could not be recorded", m->vm.uuid, m->dst);
		if (why != NULL)
			zs_status_set_cause(why, st);
		else
			zs_status_free(st);
		m->done(rv, why, NULL, m->arg);
		zs_status_free(why);
		vm_mig_free(m);
		return;
	}
	m->done(0, NULL, m->dst, m->arg);
	vm_mig_free(m);
}

static void
vm_mig_src_returned(int code, const zs_status *st,
    const Zs__Host__V1__ReturnHostCapacityResponse *r, void *arg)
{
	(void) r;
	vm_mig *m = arg;
	if (code != 0 && code != ZS_NOT_FOUND) {
		char w[512];
		zs_status_text(st, w, sizeof w);
		zs_log(ZS_LOG_WARN, "vm", "VM %s migrated to host %s, but its capacity on host %s "
		    "could not be given back: %s", m->vm.uuid, m->dst, m->vm.host, w);
	}
	if (zs_work_submit(zs_node_work(m->vs->node), vm_mig_record, m) != 0)
		vm_mig_record(m);
}

static void
vm_mig_end(zs_flow_chain *chain, const zs_status *status, void *arg)
{
	(void) chain;
	vm_mig *m = arg;
	if (status != NULL && m->refused) {
		m->done((int) status->code, status, NULL, m->arg);
		vm_mig_free(m);
		return;
	}
	if (status != NULL) {
		zs_status *why = zs_status_new(status->code, "VM.1009", "VM %s could not be migrated; "
		    "it runs on host %s as before", m->vm.uuid, m->vm.host[0] ? m->vm.host : "?");
		if (why != NULL)
			zs_status_set_cause(why, zs_status_copy(status));
		m->done((int) status->code, why != NULL ? why : status, NULL, m->arg);
		zs_status_free(why);
		vm_mig_free(m);
		return;
	}
	/* it runs on the destination: the source's capacity goes back, then it is recorded
	 * (stopped between the two, the reconcile finds it on the destination: nothing is
	 * held twice) */
	zs__host__v1__return_host_capacity_request__init(&m->ret_req);
	m->ret_req.vm_uuid = m->vm.uuid;
	m->ret_req.host_uuid = m->vm.host;
	zs_host_v1_host_return_host_capacity_bus(zs_node_bus(m->vs->node), NULL, &m->ret_req,
	    vm_mig_src_returned, m);
}

void
vm_migrate_run(vm_state *vs, const zs_call *parent, const zs_call *check, const char *uuid,
    const char *host, vm_migrate_fn done, void *arg)
{
	vm_mig *m = calloc(1, sizeof *m);
	zs_flow_chain *chain = zs_flow_chain_new("migrate-vm");
	if (m == NULL || chain == NULL || (m->node = zs_bus_parent_new(parent, 0, true)) == NULL ||
	    zs_flow_chain_add(chain, "migrating", vm_mig_state, vm_mig_state_undo, m,
	    ZS_FLOW_ROLLBACK_SELF) != 0 ||
	    zs_flow_chain_add(chain, "storage", vm_mig_storage, NULL, m, 0) != 0 ||
	    zs_flow_chain_add(chain, "allocate-host", vm_mig_allocate, vm_mig_allocate_undo, m,
	    ZS_FLOW_ROLLBACK_SELF) != 0 ||
	    zs_flow_chain_add(chain, "source", vm_mig_source, NULL, m, 0) != 0 ||
	    zs_flow_chain_add(chain, "migrate", vm_mig_move, NULL, m, 0) != 0 ||
	    zs_flow_set(chain, "mig", m, NULL) != 0) {
		zs_flow_chain_free(chain);
		if (m != NULL)
			vm_mig_free(m);
		zs_status *st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		done(ZS_RESOURCE_EXHAUSTED, st, NULL, arg);
		zs_status_free(st);
		return;
	}
	m->vs = vs;
	m->parent = parent;
	m->check = check;
	snprintf(m->vm.uuid, sizeof m->vm.uuid, "%s", uuid);
	snprintf(m->want, sizeof m->want, "%s", host != NULL ? host : "");
	m->done = done;
	m->arg = arg;
	zs_flow_chain_start(chain, vm_mig_end, m);
}

/* ---- MigrateVm ---- */

typedef struct vm_mig_call {
	zs_call *call;
	ProtobufCClosure closure;
	char uuid[ZS_UUID_LEN];
} vm_mig_call;

static void
vm_migrate_answer(int code, const zs_status *st, const char *host, void *arg)
{
	(void) host;
	vm_mig_call *k = arg;
	if (code != 0)
		vm_fail(k->call, st != NULL ? zs_status_copy(st) : NULL);
	else
		vm_answer(k->call, k->closure, k->uuid);
	free(k);
}

void
vm_migrate_vm(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Vm__V1__MigrateVmRequest *in = (const void *) msg;
	if (zs_check_uuid(call, "vm_instance_uuid", in->vm_instance_uuid) != 0 ||
	    (in->host_uuid[0] != '\0' && zs_check_uuid(call, "host_uuid", in->host_uuid) != 0))
		return;
	vm_mig_call *k = calloc(1, sizeof *k);
	if (k == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	k->call = call;
	k->closure = closure;
	snprintf(k->uuid, sizeof k->uuid, "%s", in->vm_instance_uuid);
	vm_migrate_run(zs_call_service_data(call), call, call, in->vm_instance_uuid, in->host_uuid,
	    vm_migrate_answer, k);
}
