/*
 * vm_cascade.c: the VMs a delete takes (zs.CascadeExtension, zs/cascade.h; ZStack's
 * VmCascadeExtension). Given the resource deleted and everything below it (a zone's
 * clusters, hosts, storages, volumes, L2 and L3 networks), in three phases, each a list
 * read once and worked through one item after the other over the bus, as the node:
 *
 *  whole  a VM whose zone, cluster or host goes, whose root volume goes (its primary
 *         storage is deleted), or whose NICs are all on L3 networks that go, and a
 *         Destroyed VM that depends on anything that goes: DestroyVmInstance (the agent,
 *         the host's capacity, the addresses) then ExpungeVmInstance (its volumes, NICs
 *         and row), with vm/destroyed and vm/expunged; listed as a VmInstance;
 *  nics   a NIC on an L3 network that goes, of a VM with another NIC:
 *         DetachL3NetworkFromVm (the agent, the address back, vm/nicDetached); listed as
 *         a VmNic;
 *  data   a data volume that goes, of a VM that stays: DetachDataVolumeFromVm.
 *
 * The first failure stops the run and fails the delete: every VM is then either gone
 * whole or as it was (each operation undoes itself), and nothing was deleted. In the
 * delete's transaction (in_tx), something that came to depend on what goes in the
 * meantime fails the delete, and a last_host_uuid naming a host that goes is cleared
 * (what ZStack's foreign key does). An image that goes takes nothing: a VM's root volume
 * was made from it and no longer needs it, as in ZStack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "zs/bus.h"
#include "zs/cascade.h"
#include "zs/ext.h"
#include "zs/log.h"
#include "zs/vm/v1/vm.zsb.h"

/* What a VM depends on among $1 (the uuids that go) and must go with: SQL on v. */
#define VM_CASCADE_WHOLE \
	"(v.zone_uuid = ANY($1::text[]) OR v.cluster_uuid = ANY($1::text[]) " \
	" OR v.host_uuid = ANY($1::text[]) OR v.root_volume_uuid = ANY($1::text[]) " \
	" OR (EXISTS (SELECT 1 FROM vm_nics n WHERE n.vm_instance_uuid = v.uuid) " \
	"  AND NOT EXISTS (SELECT 1 FROM vm_nics n WHERE n.vm_instance_uuid = v.uuid " \
	"   AND n.l3_network_uuid <> ALL($1::text[]))) " \
	" OR (v.state = 'Destroyed' AND (EXISTS (SELECT 1 FROM vm_nics n WHERE " \
	"   n.vm_instance_uuid = v.uuid AND n.l3_network_uuid = ANY($1::text[])) " \
	"  OR EXISTS (SELECT 1 FROM vm_data_volumes d WHERE d.vm_instance_uuid = v.uuid " \
	"   AND d.volume_uuid = ANY($1::text[])))))"

typedef enum vm_cascade_phase { VM_CASCADE_WHOLE_VMS, VM_CASCADE_NICS, VM_CASCADE_DATA,
	VM_CASCADE_DONE } vm_cascade_phase;

/* Each phase's list: columns (uuid, name or address, state or VM, ...). */
static const char *const vm_cascade_sql[] = {
	[VM_CASCADE_WHOLE_VMS] = "SELECT v.uuid, v.name, v.state FROM vm_instances v WHERE "
	    VM_CASCADE_WHOLE " ORDER BY v.created_at, v.uuid",
	[VM_CASCADE_NICS] = "SELECT n.uuid, n.ip, n.vm_instance_uuid FROM vm_nics n WHERE "
	    "n.l3_network_uuid = ANY($1::text[]) ORDER BY n.vm_instance_uuid, n.device_id",
	[VM_CASCADE_DATA] = "SELECT d.volume_uuid, '', d.vm_instance_uuid FROM vm_data_volumes d "
	    "WHERE d.volume_uuid = ANY($1::text[]) ORDER BY d.vm_instance_uuid, d.device_id",
};

/* One run on its way. */
typedef struct vm_cascade {
	vm_state *vs;
	const zs_cascade_ctx *ctx;
	zs_call *node;                     /* stand-in parent with the node's rights */
	zs_cascade_ext_done_fn done;
	void *arg;
	vm_cascade_phase phase;
	PGresult *rows;                    /* the phase's list */
	int i, n;                          /* the item being worked on, of n */
	Zs__Vm__V1__DestroyVmInstanceRequest destroy_req;
	Zs__Vm__V1__ExpungeVmInstanceRequest expunge_req;
	Zs__Vm__V1__DetachL3NetworkFromVmRequest nic_req;
	Zs__Vm__V1__DetachDataVolumeFromVmRequest data_req;
} vm_cascade;

static void vm_cascade_next(vm_cascade *k);

static void
vm_cascade_end(vm_cascade *k, int code, zs_status *st)
{
	zs_cascade_ext_done_fn done = k->done;
	void *arg = k->arg;
	PQclear(k->rows);
	if (k->node != NULL)
		zs_bus_parent_free(k->node);
	free(k);
	done(code, st, arg);
}

static const char *
vm_cascade_col(const vm_cascade *k, int col)
{
	return PQgetvalue(k->rows, k->i, col);
}

/* The item being worked on failed with why (borrowed): the run ends with it. */
static void
vm_cascade_failed(vm_cascade *k, int code, const zs_status *why, const char *fmt)
{
	zs_status *st = zs_status_new(code != 0 ? code : ZS_INTERNAL, NULL, fmt,
	    vm_cascade_col(k, 0), vm_cascade_col(k, k->phase == VM_CASCADE_WHOLE_VMS ? 1 : 2));
	if (st != NULL && why != NULL)
		zs_status_set_cause(st, zs_status_copy(why));
	vm_cascade_end(k, code != 0 ? code : ZS_INTERNAL, st);
}

/* The item is done: it is listed, and the next one starts. */
static void
vm_cascade_took(vm_cascade *k, const char *type, const char *name)
{
	if (zs_cascade_took(k->ctx->cascade, vm_cascade_col(k, 0), type, name) != 0) {
		vm_cascade_end(k, ZS_RESOURCE_EXHAUSTED, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL,
		    "out of memory"));
		return;
	}
	k->i++;
	vm_cascade_next(k);
}

static void
vm_cascade_expunged(int code, const zs_status *st,
    const Zs__Vm__V1__ExpungeVmInstanceResponse *r, void *arg)
{
	(void) r;
	vm_cascade *k = arg;
	if (code != 0 && code != ZS_NOT_FOUND) {
		vm_cascade_failed(k, code, st, "VM %s (%s) could not be expunged; it stays "
		    "Destroyed, holding nothing on its host");
		return;
	}
	vm_cascade_took(k, VM_TYPE, vm_cascade_col(k, 1));
}

static void
vm_cascade_expunge(vm_cascade *k)
{
	zs__vm__v1__expunge_vm_instance_request__init(&k->expunge_req);
	k->expunge_req.uuid = (char *) vm_cascade_col(k, 0);
	zs_vm_v1_vm_instance_expunge_vm_instance_bus(zs_node_bus(k->vs->node), k->node,
	    &k->expunge_req, vm_cascade_expunged, k);
}

static void
vm_cascade_destroyed(int code, const zs_status *st, const Zs__Vm__V1__VmInstanceInfo *r,
    void *arg)
{
	(void) r;
	vm_cascade *k = arg;
	if (code == ZS_NOT_FOUND) {     /* gone in the meantime */
		k->i++;
		vm_cascade_next(k);
		return;
	}
	if (code != 0) {
		vm_cascade_failed(k, code, st, "VM %s (%s) could not be destroyed; it is as it "
		    "was");
		return;
	}
	vm_cascade_expunge(k);
}

/* A NIC or a data volume detached (the VM runs on without it). */
static void
vm_cascade_detached(int code, const zs_status *st, const Zs__Vm__V1__VmInstanceInfo *r,
    void *arg)
{
	(void) r;
	vm_cascade *k = arg;
	bool nic = k->phase == VM_CASCADE_NICS;
	if (code != 0 && code != ZS_NOT_FOUND) {
		vm_cascade_failed(k, code, st, nic ? "NIC %s of VM %s could not be detached; the VM "
		    "is as it was" : "data volume %s of VM %s could not be detached; the VM is as it "
		    "was");
		return;
	}
	if (nic) {
		vm_cascade_took(k, "VmNic", vm_cascade_col(k, 1));
		return;
	}
	k->i++;   /* the volume itself is listed by the delete: it is below what goes */
	vm_cascade_next(k);
}

/* The phase's list, read again after the phase before it: 0 or a code with *st. */
static int
vm_cascade_list(vm_cascade *k, zs_status **st)
{
	PQclear(k->rows);
	k->rows = NULL;
	zs_db_conn *c = NULL;
	const char *p[1] = { k->ctx->array };
	int rv = vm_conn(k->vs, &c, st);
	if (rv == 0) {
		rv = zs_db_run(c, vm_cascade_sql[k->phase], 1, p, &k->rows, st);
		zs_db_release(zs_node_db(k->vs->node), c);
	}
	k->i = 0;
	k->n = rv == 0 ? PQntuples(k->rows) : 0;
	return rv;
}

/* The next item, or the next phase; may run on any thread (a bus callback). */
static void
vm_cascade_next(vm_cascade *k)
{
	while (k->i >= k->n) {
		if (++k->phase == VM_CASCADE_DONE) {
			vm_cascade_end(k, 0, NULL);
			return;
		}
		zs_status *st = NULL;
		int rv = vm_cascade_list(k, &st);
		if (rv != 0) {
			vm_cascade_end(k, rv, st);
			return;
		}
	}
	zs_bus *bus = zs_node_bus(k->vs->node);
	switch (k->phase) {
	case VM_CASCADE_WHOLE_VMS:
		if (strcmp(vm_cascade_col(k, 2), "Destroyed") == 0) {
			vm_cascade_expunge(k);
			return;
		}
		zs__vm__v1__destroy_vm_instance_request__init(&k->destroy_req);
		k->destroy_req.uuid = (char *) vm_cascade_col(k, 0);
		zs_vm_v1_vm_instance_destroy_vm_instance_bus(bus, k->node, &k->destroy_req,
		    vm_cascade_destroyed, k);
		return;
	case VM_CASCADE_NICS:
		zs__vm__v1__detach_l3_network_from_vm_request__init(&k->nic_req);
		k->nic_req.vm_nic_uuid = (char *) vm_cascade_col(k, 0);
		zs_vm_v1_vm_instance_detach_l3_network_from_vm_bus(bus, k->node, &k->nic_req,
		    vm_cascade_detached, k);
		return;
	case VM_CASCADE_DATA:
		zs__vm__v1__detach_data_volume_from_vm_request__init(&k->data_req);
		k->data_req.uuid = (char *) vm_cascade_col(k, 0);
		k->data_req.vm_uuid = (char *) vm_cascade_col(k, 2);
		zs_vm_v1_vm_instance_detach_data_volume_from_vm_bus(bus, k->node, &k->data_req,
		    vm_cascade_detached, k);
		return;
	case VM_CASCADE_DONE:
		break;
	}
	vm_cascade_end(k, 0, NULL);
}

static vm_state *
vm_cascade_state(zs_node *node)
{
	const zs_ext *e = zs_ext_find(zs_node_extensions(node), ZS_EXT_CASCADE, "vm.cascade");
	return e != NULL ? zs_ext_service_data(e) : NULL;
}

static void
vm_cascade_before(zs_node *node, const zs_cascade_ctx *ctx, zs_cascade_ext_done_fn done,
    void *arg)
{
	vm_state *vs = vm_cascade_state(node);
	if (vs == NULL) {
		done(ZS_UNAVAILABLE, zs_status_new(ZS_UNAVAILABLE, NULL, "the VM service is stopping"),
		    arg);
		return;
	}
	vm_cascade *k = calloc(1, sizeof *k);
	if (k == NULL || (k->node = zs_bus_parent_new(ctx->call, 0, true)) == NULL) {
		free(k);
		done(ZS_RESOURCE_EXHAUSTED, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"),
		    arg);
		return;
	}
	k->vs = vs;
	k->ctx = ctx;
	k->done = done;
	k->arg = arg;
	k->phase = VM_CASCADE_WHOLE_VMS;
	zs_status *st = NULL;
	int rv = vm_cascade_list(k, &st);
	if (rv != 0) {
		vm_cascade_end(k, rv, st);
		return;
	}
	vm_cascade_next(k);
}

/* In the delete's transaction: nothing may depend on what goes any more. */
static int
vm_cascade_in_tx(zs_node *node, const zs_cascade_ctx *ctx, zs_db_conn *c, zs_status **st)
{
	(void) node;
	const char *p[1] = { ctx->array };
	PGresult *r = NULL;
	int rv = zs_db_run(c, "SELECT v.uuid, v.name FROM vm_instances v WHERE " VM_CASCADE_WHOLE
	    " OR EXISTS (SELECT 1 FROM vm_nics n WHERE n.vm_instance_uuid = v.uuid AND "
	    "n.l3_network_uuid = ANY($1::text[])) OR EXISTS (SELECT 1 FROM vm_data_volumes d "
	    "WHERE d.vm_instance_uuid = v.uuid AND d.volume_uuid = ANY($1::text[])) LIMIT 1",
	    1, p, &r, st);
	if (rv == 0 && PQntuples(r) > 0) {
		*st = zs_status_new(ZS_ABORTED, NULL, "VM %s (%s) came to depend on %s %s while it "
		    "was being deleted; nothing is deleted, try again", PQgetvalue(r, 0, 0),
		    PQgetvalue(r, 0, 1), ctx->type, ctx->uuid);
		rv = ZS_ABORTED;
	}
	PQclear(r);
	if (rv == 0)
		rv = zs_db_cmd(c, "UPDATE vm_instances SET last_host_uuid = '' WHERE last_host_uuid = "
		    "ANY($1::text[])", 1, p, NULL, st);
	return rv;
}

ZS_EXPORT const zs_cascade_ext vm_cascade_ext = { vm_cascade_before, vm_cascade_in_tx };
