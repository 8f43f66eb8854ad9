/*
 * vm_unmake.c: what a CreateVmInstance left behind when its node stopped in the middle,
 * undone from the rows, as the create's own rollback would have: its data volumes and
 * root volume deleted (Volume/DeleteVolume), the room reserved for the root volume given
 * back (PrimaryStorage/ReturnCapacity), its host capacity given back
 * (Host/ReturnHostCapacity, whatever host holds it), the addresses allocated for it whose
 * NIC never got its row (L3Network/ReleaseVmIps: an AllocateIp committed just before the
 * stop), then its row and resource deleted.
 * Something already gone (NOT_FOUND) counts as done; a volume still Creating (the volume
 * service's create was cut by the same stop) is left to that service, logged. The reconcile at start calls it for
 * a VM left Starting that has no NIC yet (its create had not reached its addresses) and
 * that its host does not run. As the node, one call after the other, each answer going on
 * on a worker (a service may answer while it holds a database connection).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "zs/bus.h"
#include "zs/host/v1/host.zsb.h"
#include "zs/log.h"
#include "zs/network/v1/network.zsb.h"
#include "zs/primarystorage/v1/primarystorage.zsb.h"
#include "zs/service.h"
#include "zs/volume/v1/volume.zsb.h"
#include "zs/work.h"

typedef struct vm_unmake_op {
	vm_state *vs;
	vm_row vm;
	size_t i;                     /* volumes deleted so far: data ones, then the root */
	int code;                     /* the last answer, for the worker */
	zs_status *st;
	vm_unmake_fn done;
	void *arg;
	Zs__Volume__V1__DeleteVolumeRequest del_req;
	Zs__Primarystorage__V1__ReturnCapacityRequest ps_req;
	Zs__Host__V1__ReturnHostCapacityRequest host_req;
	Zs__Network__V1__ReleaseVmIpsRequest ips_req;
	char *keep[VM_L3_MAX];
} vm_unmake_op;

static void
vm_unmake_end(vm_unmake_op *o, int code, const zs_status *st)
{
	o->done(code, st, o->arg);
	zs_status_free(o->st);
	free(o);
}

/* The last answer on a worker: next, or the end with its failure. */
static void
vm_unmake_hop(vm_unmake_op *o, int code, const zs_status *st, void (*next)(void *))
{
	if (code == ZS_NOT_FOUND)
		code = 0;
	o->code = code;
	o->st = code != 0 && st != NULL ? zs_status_copy(st) : NULL;
	if (zs_work_submit(zs_node_work(o->vs->node), next, o) != 0)
		next(o);
}

static bool
vm_unmake_failed(vm_unmake_op *o)
{
	if (o->code == 0)
		return false;
	vm_unmake_end(o, o->code, o->st);
	return true;
}

/* Last: the row and its resource. */
static void
vm_unmake_row(void *arg)
{
	vm_unmake_op *o = arg;
	if (vm_unmake_failed(o))
		return;
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	int rv = vm_conn(o->vs, &c, &st);
	if (rv == 0) {
		rv = zs_db_begin(c, &st);
		if (rv == 0) {
			rv = zs_resource_delete(c, o->vm.uuid, &st);   /* the row goes with it */
			rv = zs_db_end(c, rv, &st);
		}
		zs_db_release(zs_node_db(o->vs->node), c);
	}
	if (rv == ZS_NOT_FOUND)
		rv = 0;
	vm_unmake_end(o, rv, st);
	zs_status_free(st);
}

static void
vm_unmake_ips_released(int code, const zs_status *st,
    const Zs__Network__V1__ReleaseVmIpsResponse *r, void *arg)
{
	vm_unmake_op *o = arg;
	if (code == 0 && r->released > 0)
		zs_log(ZS_LOG_INFO, "vm", "VM %s: %u address(es) allocated for NICs that never got "
		    "their row given back", o->vm.uuid, r->released);
	vm_unmake_hop(o, code, st, vm_unmake_row);
}

/* The addresses allocated for the VM but its NICs' (none when the create had not written
 * them). */
static void
vm_unmake_ips(void *arg)
{
	vm_unmake_op *o = arg;
	if (vm_unmake_failed(o))
		return;
	zs__network__v1__release_vm_ips_request__init(&o->ips_req);
	o->ips_req.vm_uuid = o->vm.uuid;
	for (size_t i = 0; i < o->vm.n_nics; i++)
		o->keep[i] = o->vm.nics[i].uuid;
	o->ips_req.n_keep_nic_uuids = o->vm.n_nics;
	o->ips_req.keep_nic_uuids = o->keep;
	zs_network_v1_l3_network_release_vm_ips_bus(zs_node_bus(o->vs->node), NULL, &o->ips_req,
	    vm_unmake_ips_released, o);
}

static void
vm_unmake_host_returned(int code, const zs_status *st,
    const Zs__Host__V1__ReturnHostCapacityResponse *r, void *arg)
{
	(void) r;
	vm_unmake_hop(arg, code, st, vm_unmake_ips);
}

static void
vm_unmake_host(void *arg)
{
	vm_unmake_op *o = arg;
	if (vm_unmake_failed(o))
		return;
	zs__host__v1__return_host_capacity_request__init(&o->host_req);
	o->host_req.vm_uuid = o->vm.uuid;
	o->host_req.host_uuid = "";
	zs_host_v1_host_return_host_capacity_bus(zs_node_bus(o->vs->node), NULL, &o->host_req,
	    vm_unmake_host_returned, o);
}

static void
vm_unmake_ps_returned(int code, const zs_status *st,
    const Zs__Primarystorage__V1__ReturnCapacityResponse *r, void *arg)
{
	(void) r;
	vm_unmake_hop(arg, code, st, vm_unmake_host);
}

static void
vm_unmake_ps(vm_unmake_op *o)
{
	if (o->vm.root_volume[0] == '\0') {
		o->code = 0;
		vm_unmake_host(o);
		return;
	}
	zs__primarystorage__v1__return_capacity_request__init(&o->ps_req);
	o->ps_req.volume_uuid = o->vm.root_volume;
	zs_primarystorage_v1_primary_storage_return_capacity_bus(zs_node_bus(o->vs->node), NULL,
	    &o->ps_req, vm_unmake_ps_returned, o);
}

static void vm_unmake_volume(void *arg);

static void
vm_unmake_deleted(int code, const zs_status *st, const Zs__Volume__V1__DeleteVolumeResponse *r,
    void *arg)
{
	(void) r;
	vm_unmake_op *o = arg;
	if (code == ZS_FAILED_PRECONDITION) {
		/* still Creating: the volume service's own create was cut by the same stop */
		char why[256];
		zs_status_text(st, why, sizeof why);
		zs_log(ZS_LOG_WARN, "vm", "VM %s: %s: left to the volume service", o->vm.uuid, why);
		code = 0;
	}
	o->i++;
	vm_unmake_hop(o, code, st, vm_unmake_volume);
}

/* The data volumes, then the root volume, one after the other. */
static void
vm_unmake_volume(void *arg)
{
	vm_unmake_op *o = arg;
	if (vm_unmake_failed(o))
		return;
	const char *vol = o->i < o->vm.n_data ? o->vm.data[o->i] :
	    o->i == o->vm.n_data ? o->vm.root_volume : "";
	if (vol[0] == '\0') {
		vm_unmake_ps(o);
		return;
	}
	zs__volume__v1__delete_volume_request__init(&o->del_req);
	o->del_req.uuid = (char *) vol;
	zs_volume_v1_volume_delete_volume_bus(zs_node_bus(o->vs->node), NULL, &o->del_req,
	    vm_unmake_deleted, o);
}

void
vm_unmake(vm_state *vs, const char *uuid, vm_unmake_fn done, void *arg)
{
	vm_unmake_op *o = calloc(1, sizeof *o);
	zs_status *st = NULL;
	int rv = o == NULL ? ZS_RESOURCE_EXHAUSTED : 0;
	if (o != NULL) {
		o->vs = vs;
		o->done = done;
		o->arg = arg;
		zs_db_conn *c = NULL;
		rv = vm_conn(vs, &c, &st);
		if (rv == 0) {
			rv = vm_store_load(c, uuid, &o->vm, &st);
			zs_db_release(zs_node_db(vs->node), c);
		}
	}
	if (rv != 0) {
		done(rv, st, arg);
		zs_status_free(st);
		free(o);
		return;
	}
	zs_log(ZS_LOG_INFO, "vm", "VM %s: its create did not end: undoing what it made (%zu data "
	    "volume(s), root volume %s)", uuid, o->vm.n_data,
	    o->vm.root_volume[0] ? o->vm.root_volume : "none");
	vm_unmake_volume(o);
}
