/*
 * vm_create.c: CreateVmInstance, one workflow (zs/flow.h) whose steps call the other
 * services over the bus and the host's agent over HTTP:
 *
 *   offering        InstanceOffering/GetInstanceOffering (only when one is named)
 *   image           Image/GetImageCandidates: where the image is Ready
 *   insert-vm       the row, Starting (CreateStopped: Created), and its resource
 *                                                    undo: delete them (NICs go with them)
 *   allocate-host   Host/AllocateHost; host, cluster and zone written on the row at once,
 *                   so that a VM left Starting by a node that stopped is found on its host
 *                                                    undo: Host/ReturnHostCapacity
 *   reserve-root    PrimaryStorage/ReserveCapacity for the root volume on that host
 *                                                    undo: PrimaryStorage/ReturnCapacity
 *   root-volume     Volume/CreateRootVolume under the uuid reserved for
 *                                                    undo: Volume/DeleteVolume
 *   data-volumes    Volume/CreateDataVolume for each size asked for
 *                                                    undo: Volume/DeleteVolume each
 *   nics            the bridges of the L3 networks, L3Network/AllocateIp for each, the
 *                   NIC rows with their MACs          undo: L3Network/ReleaseIp each
 *   start           /vm/start on the host's agent (InstantStart)
 *                                                    undo: /vm/destroy
 *   release-host    CreateStopped: the host's capacity goes back, the host stays the VM's
 *                   last host
 *   ready           Running (or Stopped) with vm/created, in one transaction; the VM
 *                   read there for the event is also the call's answer
 *
 * A failure rolls the finished steps back, last first, so nothing half-made stays: no
 * row, no reservation, no volume, no address, no VM on the host. The call then fails with
 * VM.1001 whose status names the step and whose cause chain holds why (the agent's error,
 * no capacity, no address left, no such image, the deadline). Undo steps run as the node
 * (no parent call), so they still run when the caller's deadline has passed. Steps whose
 * late answer may still have done their work (allocate-host, root-volume, data-volumes,
 * start) are undone even when they failed themselves. Each step shows as the job's progress
 * when the call runs as a job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "zs/bus.h"
#include "zs/flow.h"
#include "zs/host/v1/host.zsb.h"
#include "zs/image/v1/image.zsb.h"
#include "zs/job.h"
#include "zs/offering/v1/offering.zsb.h"
#include "zs/primarystorage/v1/primarystorage.zsb.h"
#include "zs/service.h"
#include "zs/volume/v1/volume.zsb.h"
#include "zs/work.h"

/* One create on its way (the flow's arg). */
typedef struct vm_new {
	vm_state *vs;
	zs_call *call;
	zs_call *mine;                       /* stand-in parents (zs_bus_parent_new) ending */
	zs_call *node;                       /* early: as the account, and with the node's rights */
	ProtobufCClosure closure;
	bool given;                          /* the caller chose the uuid */
	bool instant;                        /* InstantStart */
	vm_row vm;                           /* what the VM is becoming */
	char *description;
	char offering[64], ps[64], ps_type[32];
	char want_zone[64], want_cluster[64], want_host[64], want_ps[64];
	char host_ip[64];
	char root_path[VM_PATH_MAX];
	char data_paths[VM_DATA_MAX][VM_PATH_MAX];   /* for /vm/start, as each was made */
	int64_t image_size;
	char image_url[1024];
	size_t n_bs;
	char **bs;                           /* backup storages having the image */
	char *bs_store;
	size_t n_data_sizes;
	int64_t data_sizes[VM_DATA_MAX];
	size_t data_done;                    /* data volumes asked for so far */
	zs_flow *flow;
	unsigned step;
	int ans_code;                        /* a bus answer kept for the worker (vm_new_hop) */
	zs_status *ans_st;
	struct vm_hop {                      /* each step's functions, run on a worker */
		struct vm_new *v;
		zs_flow_fn run, undo;
	} hops[16];
	size_t n_hops;

	Zs__Offering__V1__GetInstanceOfferingRequest off_req;
	Zs__Image__V1__GetImageCandidatesRequest img_req;
	Zs__Host__V1__AllocateHostRequest alloc_req;
	Zs__Host__V1__ReturnHostCapacityRequest ret_req;
	Zs__Primarystorage__V1__ReserveCapacityRequest res_req;
	Zs__Primarystorage__V1__ReturnCapacityRequest unres_req;
	Zs__Volume__V1__CreateRootVolumeRequest root_req;
	Zs__Volume__V1__CreateDataVolumeRequest data_req;
	Zs__Volume__V1__DeleteVolumeRequest del_req;
	char **l3_ptrs;
	char root_name[VM_NAME_MAX + 32], data_name[VM_NAME_MAX + 32];
	size_t undo_i;                        /* data volumes being undone */
	Zs__Vm__V1__VmInstanceInfo *made;     /* as ready committed it: the answer */
} vm_new;

#define VM_CREATE_STEPS 11

static void
vm_new_free(vm_new *v)
{
	if (v->mine != NULL)
		zs_bus_parent_free(v->mine);
	if (v->node != NULL)
		zs_bus_parent_free(v->node);
	free(v->description);
	free(v->bs);
	free(v->bs_store);
	free(v->l3_ptrs);
	if (v->made != NULL)
		zs__vm__v1__vm_instance_info__free_unpacked(v->made, NULL);
	free(v);
}

static zs_bus *
vm_bus(const vm_new *v)
{
	return zs_node_bus(v->vs->node);
}

/* A step begins: the job's progress says which. */
static void
vm_new_step(vm_new *v, zs_flow *flow)
{
	v->flow = flow;
	v->step++;
	zs_job_progress(v->call, v->step * 100 / (VM_CREATE_STEPS + 1), "%s",
	    zs_flow_step_name(flow));
}

/* A call of a step failed: the flow fails naming the step and what failed, with the
 * call's status (the agent's error, no capacity, ...) as the cause. */
static void
vm_new_fail(vm_new *v, int code, const zs_status *st, const char *what)
{
	zs_status *why = zs_status_new(code != 0 ? code : ZS_UNKNOWN, NULL, "step %s: %s failed",
	    zs_flow_step_name(v->flow), what);
	if (why != NULL && st != NULL)
		zs_status_set_cause(why, zs_status_copy(st));
	zs_flow_fail(v->flow, why);
}

/*
 * Bus answers and steps go on on a worker of their own. A service may answer a bus call
 * while it still holds its database connection (the host allocator, the volume service
 * do), so a step that waited for another connection in that answer, or a next step or
 * rollback started from it, held one connection and waited for a second: with many
 * creates at once every connection of the pool was held by one waiting for another.
 */
static void
vm_new_hop(vm_new *v, int code, const zs_status *st, void (*fn)(void *))
{
	v->ans_code = code;
	v->ans_st = code != 0 && st != NULL ? zs_status_copy(st) : NULL;
	if (zs_work_submit(zs_node_work(v->vs->node), fn, v) != 0)
		fn(v);   /* the pool is stopping: here rather than never */
}

/* In a hop: true (the flow failed naming what) when the answer kept was a failure. */
static bool
vm_new_hop_failed(vm_new *v, const char *what)
{
	if (v->ans_code == 0)
		return false;
	zs_status *st = v->ans_st;   /* v may be freed by the rollback */
	v->ans_st = NULL;
	vm_new_fail(v, v->ans_code, st, what);
	zs_status_free(st);
	return true;
}

typedef struct vm_hop_job {
	zs_flow *flow;
	zs_flow_fn fn;
	vm_new *v;
} vm_hop_job;

static void
vm_hop_work(void *arg)
{
	vm_hop_job j = *(vm_hop_job *) arg;
	free(arg);
	j.fn(j.flow, j.v);
}

static void
vm_hop_go(zs_flow *flow, const struct vm_hop *h, zs_flow_fn fn)
{
	vm_hop_job *j = malloc(sizeof *j);
	if (j != NULL) {
		*j = (vm_hop_job) { flow, fn, h->v };
		if (zs_work_submit(zs_node_work(h->v->vs->node), vm_hop_work, j) == 0)
			return;
		free(j);
	}
	fn(flow, h->v);
}

static void
vm_hop_run(zs_flow *flow, void *arg)
{
	const struct vm_hop *h = arg;
	vm_hop_go(flow, h, h->run);
}

static void
vm_hop_undo(zs_flow *flow, void *arg)
{
	const struct vm_hop *h = arg;
	vm_hop_go(flow, h, h->undo);
}

/* zs_flow_chain_add with run and undo on a worker each. */
static int
vm_new_add(vm_new *v, zs_flow_chain *chain, const char *name, zs_flow_fn run, zs_flow_fn undo,
    unsigned flags)
{
	if (v->n_hops >= sizeof v->hops / sizeof v->hops[0])
		return -1;
	struct vm_hop *h = &v->hops[v->n_hops++];
	*h = (struct vm_hop) { v, run, undo };
	return zs_flow_chain_add(chain, name, vm_hop_run, undo != NULL ? vm_hop_undo : NULL, h,
	    flags);
}

/* A rollback step's bus call answered: the flow goes on, or fails with why. */
static void
vm_undone(zs_flow *flow, int code, const zs_status *st, bool not_found_ok)
{
	if (code != 0 && !(not_found_ok && code == ZS_NOT_FOUND))
		zs_flow_rollback_fail(flow, st != NULL ? zs_status_copy(st) : NULL);
	else
		zs_flow_rollback_done(flow);
}

/* Runs sql ($1 the VM's uuid, then p) in one transaction on a connection of the node. */
static int
vm_new_update(vm_new *v, const char *sql, int n, const char *const *p, zs_status **st)
{
	zs_db_conn *c = NULL;
	int rv = vm_conn(v->vs, &c, st);
	if (rv != 0)
		return rv;
	const char *params[8] = { v->vm.uuid };
	for (int i = 0; i < n && i < 7; i++)
		params[1 + i] = p[i];
	rv = zs_db_run(c, sql, n + 1, params, NULL, st);
	zs_db_release(zs_node_db(v->vs->node), c);
	return rv;
}

/* ---- offering ---- */

static void
vm_offering_got(int code, const zs_status *st, const Zs__Offering__V1__InstanceOfferingInfo *r,
    void *arg)
{
	vm_new *v = arg;
	if (code != 0) {
		vm_new_fail(v, code, st, "GetInstanceOffering");
		return;
	}
	v->vm.cpu = r->cpu_num;
	v->vm.memory = (int64_t) r->memory_size;
	zs_flow_next(v->flow);
}

static void
vm_offering(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	vm_new_step(v, flow);
	if (v->offering[0] == '\0') {
		zs_flow_next(flow);
		return;
	}
	zs__offering__v1__get_instance_offering_request__init(&v->off_req);
	v->off_req.uuid = v->offering;
	zs_offering_v1_instance_offering_get_instance_offering_bus(vm_bus(v), v->mine, &v->off_req,
	    vm_offering_got, v);
}

/* ---- image ---- */

static void
vm_image_got(int code, const zs_status *st, const Zs__Image__V1__GetImageCandidatesResponse *r,
    void *arg)
{
	vm_new *v = arg;
	if (code != 0) {
		vm_new_fail(v, code, st, "GetImageCandidates");
		return;
	}
	if (r->n_candidates == 0) {
		zs_flow_fail(v->flow, zs_status_new(ZS_FAILED_PRECONDITION, NULL, "image %s is Ready on "
		    "no Connected and Enabled backup storage%s%s", v->vm.image,
		    v->want_zone[0] ? " of zone " : "", v->want_zone));
		return;
	}
	v->bs = calloc(r->n_candidates, sizeof *v->bs);
	v->bs_store = calloc(r->n_candidates, ZS_UUID_LEN + 27);
	if (v->bs == NULL || v->bs_store == NULL) {
		zs_flow_fail(v->flow, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"));
		return;
	}
	for (size_t i = 0; i < r->n_candidates; i++) {
		v->bs[i] = v->bs_store + i * (ZS_UUID_LEN + 27);
		snprintf(v->bs[i], ZS_UUID_LEN + 27, "%s", r->candidates[i]->backup_storage_uuid);
	}
	v->n_bs = r->n_candidates;
	const Zs__Image__V1__ImageCandidate *c = r->candidates[0];
	v->image_size = c->size > 0 ? c->size : c->actual_size;
	snprintf(v->image_url, sizeof v->image_url, "%s", c->install_path);
	if (v->image_size <= 0) {
		zs_flow_fail(v->flow, zs_status_new(ZS_FAILED_PRECONDITION, NULL, "image %s has no size",
		    v->vm.image));
		return;
	}
	zs_flow_next(v->flow);
}

static void
vm_image(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	vm_new_step(v, flow);
	zs__image__v1__get_image_candidates_request__init(&v->img_req);
	v->img_req.image_uuid = v->vm.image;
	v->img_req.zone_uuid = v->want_zone;
	zs_image_v1_image_get_image_candidates_bus(vm_bus(v), v->mine, &v->img_req, vm_image_got, v);
}

/* ---- insert-vm ---- */

static void
vm_insert(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	vm_new_step(v, flow);
	zs_db *db = zs_node_db(v->vs->node);
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	char cpu[24], mem[24];
	snprintf(cpu, sizeof cpu, "%lld", (long long) v->vm.cpu);
	snprintf(mem, sizeof mem, "%lld", (long long) v->vm.memory);
	const char *p[10] = { v->vm.uuid, v->vm.owner, v->vm.name, v->description, v->vm.image,
	    v->offering, cpu, mem, v->vm.state, v->vm.root_volume };
	int rv = vm_conn(v->vs, &c, &st);
	if (rv != 0) {
		zs_flow_fail(flow, st);
		return;
	}
	rv = zs_db_begin(c, &st);
	if (rv == 0) {
		rv = zs_resource_create(c, v->call, v->vm.uuid, VM_TYPE, v->vm.name, NULL, &st);
		if (rv == 0)
			rv = zs_db_run(c, "INSERT INTO vm_instances (uuid, owner_uuid, name, description, "
			    "image_uuid, instance_offering_uuid, cpu_num, memory_size, state, "
			    "root_volume_uuid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", 10, p,
			    NULL, &st);   /* the root volume's uuid from the start: a create the node
			                   * did not end can be undone (vm_unmake.c) */
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	if (rv != 0)
		zs_flow_fail(flow, st);
	else
		zs_flow_next(flow);
}

static void
vm_uninsert(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	int rv = vm_conn(v->vs, &c, &st);
	if (rv == 0) {
		rv = zs_resource_delete(c, v->vm.uuid, &st);   /* the row goes with its resource */
		zs_db_release(zs_node_db(v->vs->node), c);
	}
	if (rv != 0)
		zs_flow_rollback_fail(flow, st);
	else
		zs_flow_rollback_done(flow);
}

/* ---- allocate-host ---- */

/* On a worker (vm_new_hop): AllocateHost's answer written on the row. */
static void
vm_host_got_work(void *arg)
{
	vm_new *v = arg;
	if (vm_new_hop_failed(v, "AllocateHost"))
		return;
	zs_status *ust = NULL;
	const char *p[4] = { v->vm.host, v->vm.cluster, v->vm.zone, v->vm.hypervisor };
	int rv = vm_new_update(v, "UPDATE vm_instances SET host_uuid = $2, cluster_uuid = $3, "
	    "zone_uuid = $4, hypervisor_type = $5, updated_at = now() WHERE uuid = $1", 4, p, &ust);
	if (rv != 0)
		zs_flow_fail(v->flow, ust);
	else
		zs_flow_next(v->flow);
}

static void
vm_host_got(int code, const zs_status *st, const Zs__Host__V1__AllocateHostResponse *r, void *arg)
{
	vm_new *v = arg;
	if (code == 0) {
		snprintf(v->vm.host, sizeof v->vm.host, "%s", r->host_uuid);
		snprintf(v->vm.cluster, sizeof v->vm.cluster, "%s", r->cluster_uuid);
		snprintf(v->vm.zone, sizeof v->vm.zone, "%s", r->zone_uuid);
		snprintf(v->host_ip, sizeof v->host_ip, "%s", r->management_ip);
		if (r->hypervisor_type[0] != '\0')
			snprintf(v->vm.hypervisor, sizeof v->vm.hypervisor, "%s", r->hypervisor_type);
	}
	vm_new_hop(v, code, st, vm_host_got_work);
}

static void
vm_allocate(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	vm_new_step(v, flow);
	int64_t disk = v->image_size;
	for (size_t i = 0; i < v->n_data_sizes; i++)
		disk += v->data_sizes[i];
	zs__host__v1__allocate_host_request__init(&v->alloc_req);
	v->alloc_req.vm_uuid = v->vm.uuid;
	v->alloc_req.cpu_num = v->vm.cpu;
	v->alloc_req.memory_size = v->vm.memory;
	v->alloc_req.zone_uuid = v->want_zone;
	v->alloc_req.cluster_uuid = v->want_cluster;
	v->alloc_req.host_uuid = v->want_host;
	v->alloc_req.hypervisor_type = "";
	v->alloc_req.n_l3_network_uuids = v->vm.n_nics;
	v->alloc_req.l3_network_uuids = v->l3_ptrs;
	v->alloc_req.n_backup_storage_uuids = v->n_bs;
	v->alloc_req.backup_storage_uuids = v->bs;
	v->alloc_req.disk_size = disk;
	zs_host_v1_host_allocate_host_bus(vm_bus(v), v->node, &v->alloc_req, vm_host_got, v);
}

static void
vm_host_returned(int code, const zs_status *st, const Zs__Host__V1__ReturnHostCapacityResponse *r,
    void *arg)
{
	(void) r;
	vm_undone(arg, code, st, true);
}

static void
vm_unallocate(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	zs__host__v1__return_host_capacity_request__init(&v->ret_req);
	v->ret_req.vm_uuid = v->vm.uuid;
	v->ret_req.host_uuid = "";   /* all the VM holds: also what a late answer reserved */
	zs_host_v1_host_return_host_capacity_bus(vm_bus(v), NULL, &v->ret_req, vm_host_returned, flow);
}

/* ---- reserve-root ---- */

static void
vm_reserved(int code, const zs_status *st, const Zs__Primarystorage__V1__Reservation *r, void *arg)
{
	vm_new *v = arg;
	if (code != 0) {
		vm_new_fail(v, code, st, "ReserveCapacity");
		return;
	}
	snprintf(v->ps, sizeof v->ps, "%s", r->primary_storage_uuid);
	snprintf(v->ps_type, sizeof v->ps_type, "%s", r->primary_storage_type);
	zs_flow_next(v->flow);
}

static void
vm_reserve(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	vm_new_step(v, flow);
	zs__primarystorage__v1__reserve_capacity_request__init(&v->res_req);
	v->res_req.volume_uuid = v->vm.root_volume;
	v->res_req.size = v->image_size;
	v->res_req.primary_storage_uuid = v->want_ps;
	v->res_req.host_uuid = v->vm.host;
	v->res_req.zone_uuid = v->vm.zone;
	zs_primarystorage_v1_primary_storage_reserve_capacity_bus(vm_bus(v), v->node, &v->res_req,
	    vm_reserved, v);
}

static void
vm_ps_returned(int code, const zs_status *st,
    const Zs__Primarystorage__V1__ReturnCapacityResponse *r, void *arg)
{
	(void) r;
	vm_undone(arg, code, st, true);
}

static void
vm_unreserve(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	zs__primarystorage__v1__return_capacity_request__init(&v->unres_req);
	v->unres_req.volume_uuid = v->vm.root_volume;
	zs_primarystorage_v1_primary_storage_return_capacity_bus(vm_bus(v), NULL, &v->unres_req,
	    vm_ps_returned, flow);
}

/* ---- root-volume ---- */

/* The row names the root volume since insert-vm (the same uuid): nothing to write. */
static void
vm_root_made_work(void *arg)
{
	vm_new *v = arg;
	if (vm_new_hop_failed(v, "CreateRootVolume"))
		return;
	zs_flow_next(v->flow);
}

static void
vm_root_made(int code, const zs_status *st, const Zs__Volume__V1__VolumeInfo *r, void *arg)
{
	vm_new *v = arg;
	if (code == 0)
		snprintf(v->root_path, sizeof v->root_path, "%s", r->install_path);
	vm_new_hop(v, code, st, vm_root_made_work);
}

static void
vm_root(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	vm_new_step(v, flow);
	snprintf(v->root_name, sizeof v->root_name, "ROOT-for-%s", v->vm.name);
	zs__volume__v1__create_root_volume_request__init(&v->root_req);
	v->root_req.name = v->root_name;
	v->root_req.size = v->image_size;
	v->root_req.primary_storage_uuid = v->ps;
	v->root_req.host_uuid = v->vm.host;
	v->root_req.image_uuid = v->vm.image;
	v->root_req.image_url = v->image_url;
	v->root_req.vm_uuid = v->vm.uuid;
	v->root_req.uuid = v->vm.root_volume;
	zs_volume_v1_volume_create_root_volume_bus(vm_bus(v), v->node, &v->root_req, vm_root_made, v);
}

static void
vm_volume_deleted(int code, const zs_status *st, const Zs__Volume__V1__DeleteVolumeResponse *r,
    void *arg)
{
	(void) r;
	vm_undone(arg, code, st, true);
}

static void
vm_unroot(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	zs__volume__v1__delete_volume_request__init(&v->del_req);
	v->del_req.uuid = v->vm.root_volume;
	zs_volume_v1_volume_delete_volume_bus(vm_bus(v), NULL, &v->del_req, vm_volume_deleted, flow);
}

/* ---- data-volumes ---- */

static void vm_data_one(vm_new *v);

static void
vm_data_made_work(void *arg)
{
	vm_new *v = arg;
	if (vm_new_hop_failed(v, "CreateDataVolume"))
		return;
	char dev[16];
	snprintf(dev, sizeof dev, "%zu", v->data_done);
	const char *p[2] = { v->vm.data[v->data_done - 1], dev };
	zs_status *ust = NULL;
	if (vm_new_update(v, "INSERT INTO vm_data_volumes (vm_instance_uuid, volume_uuid, device_id) "
	    "VALUES ($1, $2, $3::integer)", 2, p, &ust) != 0) {
		zs_flow_fail(v->flow, ust);
		return;
	}
	vm_data_one(v);
}

static void
vm_data_made(int code, const zs_status *st, const Zs__Volume__V1__VolumeInfo *r, void *arg)
{
	vm_new *v = arg;
	if (code == 0)
		snprintf(v->data_paths[v->data_done - 1], sizeof v->data_paths[0], "%s",
		    r->install_path);
	vm_new_hop(v, code, st, vm_data_made_work);
}

static void
vm_data_one(vm_new *v)
{
	if (v->data_done == v->n_data_sizes) {
		zs_flow_next(v->flow);
		return;
	}
	size_t i = v->data_done++;
	v->vm.n_data = v->data_done;
	snprintf(v->data_name, sizeof v->data_name, "DATA-%zu-for-%s", i + 1, v->vm.name);
	zs__volume__v1__create_data_volume_request__init(&v->data_req);
	v->data_req.name = v->data_name;
	v->data_req.size = v->data_sizes[i];
	v->data_req.primary_storage_uuid = v->ps;
	v->data_req.host_uuid = strcmp(v->ps_type, "LocalStorage") == 0 ? v->vm.host : "";
	v->data_req.uuid = v->vm.data[i];
	zs_volume_v1_volume_create_data_volume_bus(vm_bus(v), v->node, &v->data_req, vm_data_made, v);
}

static void
vm_data(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	vm_new_step(v, flow);
	vm_data_one(v);
}

static void vm_undata_one(zs_flow *flow, vm_new *v);

static void
vm_data_deleted(int code, const zs_status *st, const Zs__Volume__V1__DeleteVolumeResponse *r,
    void *arg)
{
	(void) r;
	vm_new *v = arg;
	if (code != 0 && code != ZS_NOT_FOUND) {
		zs_flow_rollback_fail(v->flow, st != NULL ? zs_status_copy(st) : NULL);
		return;
	}
	vm_undata_one(v->flow, v);
}

static void
vm_undata_one(zs_flow *flow, vm_new *v)
{
	v->flow = flow;
	if (v->undo_i == v->data_done) {
		zs_flow_rollback_done(flow);
		return;
	}
	zs__volume__v1__delete_volume_request__init(&v->del_req);
	v->del_req.uuid = v->vm.data[v->undo_i++];
	zs_volume_v1_volume_delete_volume_bus(vm_bus(v), NULL, &v->del_req, vm_data_deleted, v);
}

static void
vm_undata(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	v->undo_i = 0;
	vm_undata_one(flow, v);
}

/* ---- nics ---- */

static void
vm_nics_done(int code, const zs_status *st, void *arg)
{
	vm_new *v = arg;
	if (code != 0) {
		vm_new_fail(v, code, st, "allocating the NICs' addresses");
		return;
	}
	zs_db_conn *c = NULL;
	zs_status *ist = NULL;
	int rv = vm_conn(v->vs, &c, &ist);
	if (rv == 0) {
		rv = zs_db_begin(c, &ist);
		for (size_t i = 0; rv == 0 && i < v->vm.n_nics; i++)
			rv = vm_nic_insert(c, v->vm.uuid, v->vm.owner, &v->vm.nics[i], &ist);
		rv = zs_db_end(c, rv, &ist);
		zs_db_release(zs_node_db(v->vs->node), c);
	}
	if (rv != 0) {
		/* the addresses were allocated: the step's own rollback gives them back */
		zs_flow_fail(v->flow, ist);
		return;
	}
	zs_flow_next(v->flow);
}

static void
vm_nics(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	vm_new_step(v, flow);
	vm_nic_allocate(v->vs, v->node, v->vm.uuid, v->vm.nics, v->vm.n_nics, true, vm_nics_done,
	    v);
}

static void
vm_nics_released(int code, const zs_status *st, void *arg)
{
	vm_new *v = arg;
	if (code != 0)
		zs_flow_rollback_fail(v->flow, st != NULL ? zs_status_copy(st) : NULL);
	else
		zs_flow_rollback_done(v->flow);
}

static void
vm_unnics(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	v->flow = flow;
	vm_nic_release(v->vs, v->vm.nics, v->vm.n_nics, vm_nics_released, v);
}

/* ---- start (InstantStart) or release-host (CreateStopped) ---- */

static void
vm_started(int code, const zs_status *st, const json_t *reply, void *arg)
{
	(void) reply;
	vm_new *v = arg;
	if (code != 0)
		vm_new_fail(v, code, st, "/vm/start on the host's agent");
	else
		zs_flow_next(v->flow);
}

static void
vm_start_on_host(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	vm_new_step(v, flow);
	if (!v->instant) {
		zs_flow_next(flow);
		return;
	}
	vm_agent_post(v->vs, v->node, v->vm.host, v->host_ip, "/vm/start",
	    vm_agent_start_cmd(&v->vm, v->root_path, v->ps,
	    (const char (*)[VM_PATH_MAX]) v->data_paths), 0, vm_started, v);
}

static void
vm_destroyed(int code, const zs_status *st, const json_t *reply, void *arg)
{
	(void) reply;
	vm_new *v = arg;
	if (code != 0)
		zs_flow_rollback_fail(v->flow, st != NULL ? zs_status_copy(st) : NULL);
	else
		zs_flow_rollback_done(v->flow);
}

static void
vm_unstart(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	v->flow = flow;
	if (!v->instant) {
		zs_flow_rollback_done(flow);
		return;
	}
	json_t *cmd = json_pack("{s:s}", "vmInstanceUuid", v->vm.uuid);
	vm_agent_post(v->vs, NULL, v->vm.host, v->host_ip, "/vm/destroy", cmd, 0, vm_destroyed, v);
}

static void
vm_release_returned_work(void *arg)
{
	vm_new *v = arg;
	if (vm_new_hop_failed(v, "ReturnHostCapacity"))
		return;
	zs_status *ust = NULL;
	if (vm_new_update(v, "UPDATE vm_instances SET last_host_uuid = host_uuid, host_uuid = '' "
	    "WHERE uuid = $1", 0, NULL, &ust) != 0)
		zs_flow_fail(v->flow, ust);
	else
		zs_flow_next(v->flow);
}

static void
vm_release_returned(int code, const zs_status *st,
    const Zs__Host__V1__ReturnHostCapacityResponse *r, void *arg)
{
	(void) r;
	vm_new_hop(arg, code, st, vm_release_returned_work);
}

static void
vm_release_host(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	vm_new_step(v, flow);
	if (v->instant) {
		zs_flow_next(flow);
		return;
	}
	zs__host__v1__return_host_capacity_request__init(&v->ret_req);
	v->ret_req.vm_uuid = v->vm.uuid;
	v->ret_req.host_uuid = "";
	zs_host_v1_host_return_host_capacity_bus(vm_bus(v), NULL, &v->ret_req, vm_release_returned, v);
}

/* ---- ready ---- */

static void
vm_ready(zs_flow *flow, void *arg)
{
	vm_new *v = arg;
	vm_new_step(v, flow);
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	const char *p[2] = { v->vm.uuid, v->instant ? "Running" : "Stopped" };
	int rv = vm_conn(v->vs, &c, &st);
	if (rv != 0) {
		zs_flow_fail(flow, st);
		return;
	}
	rv = zs_db_begin(c, &st);
	if (rv == 0) {
		rv = zs_db_run(c, "UPDATE vm_instances SET state = $2, updated_at = now() WHERE uuid = $1",
		    2, p, NULL, &st);
		if (rv == 0)
			rv = vm_publish_keep(c, v->vs->node, "vm/created", v->vm.uuid, &v->made, &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(zs_node_db(v->vs->node), c);
	if (rv != 0 && v->made != NULL) {
		zs__vm__v1__vm_instance_info__free_unpacked(v->made, NULL);
		v->made = NULL;
	}
	if (rv != 0)
		zs_flow_fail(flow, st);
	else
		zs_flow_next(flow);
}

/* ---- the chain ---- */

static void
vm_created(zs_flow_chain *chain, const zs_status *status, void *arg)
{
	(void) chain;
	vm_new *v = arg;
	if (status != NULL)
		zs_call_fail_cause(v->call, status->code != 0 ? (int) status->code : ZS_INTERNAL,
		    "VM.1001", status, "VM %s (%s) could not be created", v->vm.uuid, v->vm.name);
	else if (v->made != NULL)   /* the VM as committed: no need to read it again */
		v->closure(&v->made->base, v->call);
	else
		vm_answer(v->call, v->closure, v->vm.uuid);
	vm_new_free(v);
}

/* A uuid the caller chose must name nothing yet; false after failing the call. */
static bool
vm_uuid_free(vm_new *v)
{
	zs_db *db = zs_node_db(v->vs->node);
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, v->call, &c) != 0)
		return false;
	zs_status *st = NULL;
	int rv = zs_resource_check(c, v->call, v->vm.uuid, NULL, NULL, 0, &st);
	zs_db_release(db, c);
	zs_status_free(st);
	if (rv == ZS_NOT_FOUND)
		return true;
	if (rv == 0)
		zs_call_fail(v->call, ZS_ALREADY_EXISTS, NULL, "uuid: %s already names a resource",
		    v->vm.uuid);
	else
		zs_call_fail(v->call, rv, NULL, "cannot check uuid %s", v->vm.uuid);
	return false;
}

void
vm_create(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Vm__V1__CreateVmInstanceRequest *in = (const void *) msg;
	vm_state *vs = zs_call_service_data(call);
	vm_new *v = calloc(1, sizeof *v);
	if (v == NULL || (v->description = strdup(in->description)) == NULL ||
	    (v->l3_ptrs = calloc(in->n_l3_network_uuids + 1, sizeof *v->l3_ptrs)) == NULL) {
		if (v != NULL)
			vm_new_free(v);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	v->vs = vs;
	v->call = call;
	v->closure = closure;
	/* the steps end early enough to be undone and the call answered before its deadline */
	int64_t left = zs_call_remaining_ms(call), margin = left / 4 < 2000 ? left / 4 : 2000;
	v->mine = zs_bus_parent_new(call, zs_call_deadline_ms(call) - margin, false);
	v->node = zs_bus_parent_new(call, zs_call_deadline_ms(call) - margin, true);
	if (v->mine == NULL || v->node == NULL) {
		vm_new_free(v);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	v->instant = strcmp(in->strategy, "CreateStopped") != 0;
	v->given = in->uuid[0] != '\0';
	vm_row *vm = &v->vm;
	if (v->given)
		snprintf(vm->uuid, sizeof vm->uuid, "%s", in->uuid);
	else
		zs_resource_uuid(vm->uuid);
	zs_resource_uuid(vm->root_volume);
	snprintf(vm->name, sizeof vm->name, "%s", in->name);
	snprintf(vm->owner, sizeof vm->owner, "%s", zs_call_account(call));
	snprintf(vm->image, sizeof vm->image, "%s", in->image_uuid);
	snprintf(vm->state, sizeof vm->state, "%s", v->instant ? "Starting" : "Created");
	snprintf(vm->hypervisor, sizeof vm->hypervisor, "KVM");
	snprintf(v->offering, sizeof v->offering, "%s", in->instance_offering_uuid);
	snprintf(v->want_zone, sizeof v->want_zone, "%s", in->zone_uuid);
	snprintf(v->want_cluster, sizeof v->want_cluster, "%s", in->cluster_uuid);
	snprintf(v->want_host, sizeof v->want_host, "%s", in->host_uuid);
	snprintf(v->want_ps, sizeof v->want_ps, "%s", in->primary_storage_uuid);
	vm->cpu = in->cpu_num;
	vm->memory = in->memory_size;
	vm->n_nics = in->n_l3_network_uuids;
	for (size_t i = 0; i < vm->n_nics; i++) {
		vm_nic *n = &vm->nics[i];
		zs_resource_uuid(n->uuid);
		snprintf(n->l3, sizeof n->l3, "%s", in->l3_network_uuids[i]);
		n->device_id = (int) i;
		v->l3_ptrs[i] = n->l3;
	}
	v->n_data_sizes = in->n_data_disk_sizes;
	for (size_t i = 0; i < v->n_data_sizes; i++) {
		v->data_sizes[i] = in->data_disk_sizes[i];
		zs_resource_uuid(vm->data[i]);
	}
	if (v->given && !vm_uuid_free(v)) {
		vm_new_free(v);
		return;
	}
	zs_flow_chain *chain = zs_flow_chain_new("create-vm");
	if (chain == NULL ||
	    vm_new_add(v, chain, "offering", vm_offering, NULL, 0) != 0 ||
	    vm_new_add(v, chain, "image", vm_image, NULL, 0) != 0 ||
	    vm_new_add(v, chain, "insert-vm", vm_insert, vm_uninsert, 0) != 0 ||
	    vm_new_add(v, chain, "allocate-host", vm_allocate, vm_unallocate,
	    ZS_FLOW_ROLLBACK_SELF) != 0 ||
	    vm_new_add(v, chain, "reserve-root", vm_reserve, vm_unreserve,
	    ZS_FLOW_ROLLBACK_SELF) != 0 ||
	    vm_new_add(v, chain, "root-volume", vm_root, vm_unroot,
	    ZS_FLOW_ROLLBACK_SELF) != 0 ||
	    vm_new_add(v, chain, "data-volumes", vm_data, vm_undata,
	    ZS_FLOW_ROLLBACK_SELF) != 0 ||
	    vm_new_add(v, chain, "nics", vm_nics, vm_unnics, ZS_FLOW_ROLLBACK_SELF) != 0 ||
	    vm_new_add(v, chain, "start", vm_start_on_host, vm_unstart,
	    ZS_FLOW_ROLLBACK_SELF) != 0 ||
	    vm_new_add(v, chain, "release-host", vm_release_host, NULL, 0) != 0 ||
	    vm_new_add(v, chain, "ready", vm_ready, NULL, 0) != 0) {
		zs_flow_chain_free(chain);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		vm_new_free(v);
		return;
	}
	zs_job_progress(call, 1, "creating VM %s", vm->uuid);
	zs_flow_chain_start(chain, vm_created, v);
}
