/*
 * vm_device.c: a VM's devices after it is made, ZStack's AttachDataVolumeToVm,
 * DetachDataVolumeFromVm, AttachL3NetworkToVm, DetachL3NetworkFromVm, and
 * ChangeInstanceOffering. Each attach and detach is a workflow (zs/flow.h) whose steps
 * undo themselves when a later one fails, the agent's command last, so that a failing
 * host leaves the VM as it was:
 *
 *   attach volume  checks (the account sees both; a Ready data volume; on local storage,
 *                  the VM's host) | Volume/AttachDataVolume (undo: detach) | the VM's
 *                  row (undo: removed) | /vm/attachdatavolume when the VM is on a host
 *   detach volume  the VM's row (undo: back) | Volume/DetachDataVolume (undo: attach) |
 *                  /vm/detachdatavolume when the VM is on a host
 *   attach L3      checks (its L2 attached to the VM's cluster) | a NIC's address and
 *                  bridge (undo: ReleaseIp) | the NIC's row (undo: removed) |
 *                  /vm/attachnic when the VM is on a host
 *   detach L3      the NIC's row (undo: back) | /vm/detachnic when the VM is on a host |
 *                  its address given back
 *
 * A VM may be Running, Paused or Stopped for these (a Stopped VM gets its devices when
 * it starts); ChangeInstanceOffering only Stopped, in one conditional update. Another
 * account's VM, volume or NIC is NOT_FOUND with nothing changed. Events: vm/volumeAttached,
 * vm/volumeDetached, vm/nicAttached, vm/nicDetached, vm/offeringChanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "zs/bus.h"
#include "zs/check.h"
#include "zs/flow.h"
#include "zs/log.h"
#include "zs/network/v1/network.zsb.h"
#include "zs/offering/v1/offering.zsb.h"
#include "zs/volume/v1/volume.zsb.h"

static const char *const vm_dev_states[] = { "Running", "Paused", "Stopped", NULL };

/* One device operation on its way. */
typedef struct vm_dev {
	vm_state *vs;
	zs_call *call;
	ProtobufCClosure closure;
	zs_call *node;                     /* stand-in parent with the node's rights */
	const char *what, *topic;          /* "AttachDataVolumeToVm", "vm/volumeAttached" */
	bool refused;                      /* a check refused it: its status as is */
	vm_row vm;
	char ip[64];                       /* the VM's host's agent */
	/* a volume */
	char vol[ZS_UUID_LEN], vol_path[1024], vol_ps[64];
	int dev_id;
	/* a NIC */
	vm_nic nic;
	char l2[64];
	Zs__Volume__V1__GetVolumeRequest vol_req;
	Zs__Volume__V1__AttachDataVolumeRequest att_req;
	Zs__Volume__V1__DetachDataVolumeRequest det_req;
	Zs__Network__V1__GetL3NetworkRequest l3_req;
	Zs__Network__V1__GetL2NetworkRequest l2_req;
} vm_dev;

static void
vm_dev_free(vm_dev *d)
{
	if (d->node != NULL)
		zs_bus_parent_free(d->node);
	free(d);
}

static vm_dev *
vm_dev_of(zs_flow *flow)
{
	return zs_flow_get(zs_flow_chain_of(flow), "dev");
}

/* Fails the step with a copy of st (or what failed). */
static void
vm_dev_fail(zs_flow *flow, int code, const zs_status *st, const char *what)
{
	zs_flow_fail(flow, st != NULL ? zs_status_copy(st) : zs_status_new(code, NULL, "%s failed",
	    what));
}

/* A check refuses: the call fails with this status as it is. */
static void
vm_dev_refuse(zs_flow *flow, zs_status *why)
{
	vm_dev_of(flow)->refused = true;
	zs_flow_fail(flow, why);
}

/* Runs sql on a connection of its own; 0 or the code with *st. */
static int
vm_dev_sql(vm_dev *d, const char *sql, int n, const char *const *p, zs_status **st)
{
	zs_db_conn *c = NULL;
	int rv = vm_conn(d->vs, &c, st);
	if (rv == 0) {
		rv = zs_db_run(c, sql, n, p, NULL, st);
		zs_db_release(zs_node_db(d->vs->node), c);
	}
	return rv;
}

/* Loads the VM as the call sees it (NOT_FOUND for another account's) and checks its state. */
static int
vm_dev_load(vm_dev *d, const char *uuid, zs_status **st)
{
	zs_db_conn *c = NULL;
	int rv = vm_conn(d->vs, &c, st);
	if (rv != 0)
		return rv;
	rv = zs_resource_check(c, d->call, uuid, VM_TYPE, NULL, 0, st);
	if (rv == 0)
		rv = vm_store_load(c, uuid, &d->vm, st);
	zs_db_release(zs_node_db(d->vs->node), c);
	if (rv != 0)
		return rv;
	bool ok = false;
	for (size_t i = 0; vm_dev_states[i] != NULL; i++)
		ok |= strcmp(d->vm.state, vm_dev_states[i]) == 0;
	if (!ok) {
		*st = zs_status_new(ZS_FAILED_PRECONDITION, "VM.1002", "VM %s is %s: %s needs it "
		    "Running, Paused or Stopped", uuid, d->vm.state, d->what);
		return ZS_FAILED_PRECONDITION;
	}
	return 0;
}

/* True when the VM is on a host, so the agent must be told. */
static bool
vm_dev_on_host(const vm_dev *d)
{
	return d->vm.host[0] != '\0' && strcmp(d->vm.state, "Stopped") != 0;
}

/* Ends a step's run (rollback false) or its undo, as rv says (st taken). */
static void
vm_dev_step_end(zs_flow *flow, bool rollback, int rv, zs_status *st)
{
	if (rollback && rv != 0)
		zs_flow_rollback_fail(flow, st);
	else if (rollback)
		zs_flow_rollback_done(flow);
	else if (rv != 0)
		zs_flow_fail(flow, st);
	else
		zs_flow_next(flow);
}

/* ---- the end ---- */

static void
vm_dev_end(zs_flow_chain *chain, const zs_status *status, void *arg)
{
	(void) chain;
	vm_dev *d = arg;
	if (status != NULL) {
		if (d->refused)
			vm_fail(d->call, zs_status_copy(status));
		else
			zs_call_fail_cause(d->call, (int) status->code, "VM.1011", status, "%s of VM %s "
			    "failed; the VM is as before", d->what, d->vm.uuid);
		vm_dev_free(d);
		return;
	}
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	int rv = vm_conn(d->vs, &c, &st);
	if (rv == 0) {
		rv = vm_publish(c, d->vs->node, d->topic, d->vm.uuid, &st);
		zs_db_release(zs_node_db(d->vs->node), c);
	}
	if (rv != 0) {
		char w[512];
		zs_status_text(st, w, sizeof w);
		zs_log(ZS_LOG_WARN, "vm", "VM %s: %s done, but %s could not be published: %s",
		    d->vm.uuid, d->what, d->topic, w);
		zs_status_free(st);
	}
	vm_answer(d->call, d->closure, d->vm.uuid);
	vm_dev_free(d);
}

/* Starts chain (steps added) for d; on no memory the call fails. */
static void
vm_dev_start(vm_dev *d, zs_flow_chain *chain, int added)
{
	if (added != 0 || zs_flow_chain_start(chain, vm_dev_end, d) != 0) {
		zs_flow_chain_free(chain);
		zs_call_fail(d->call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		vm_dev_free(d);
	}
}

/* A new operation of call, or NULL after failing the call. */
static vm_dev *
vm_dev_new(zs_call *call, ProtobufCClosure closure, const char *what, const char *topic,
    zs_flow_chain **chain)
{
	vm_dev *d = calloc(1, sizeof *d);
	*chain = zs_flow_chain_new(what);
	if (d == NULL || *chain == NULL || (d->node = zs_bus_parent_new(call, 0, true)) == NULL ||
	    zs_flow_set(*chain, "dev", d, NULL) != 0) {
		zs_flow_chain_free(*chain);
		free(d);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return NULL;
	}
	d->vs = zs_call_service_data(call);
	d->call = call;
	d->closure = closure;
	d->what = what;
	d->topic = topic;
	return d;
}

/* ---- the agent's command (the last step of each) ---- */

static void
vm_dev_agent_done(int code, const zs_status *st, const json_t *reply, void *arg)
{
	(void) reply;
	zs_flow *flow = arg;
	if (code != 0) {
		vm_dev_fail(flow, code, st, "the agent's command");
		return;
	}
	zs_flow_next(flow);
}

/* path's command for the VM's host: the device goes under key. */
static void
vm_dev_agent_post(zs_flow *flow, vm_dev *d, const char *path, const char *key, json_t *dev)
{
	json_t *cmd = json_pack("{s:s, s:s, s:o}", "vmUuid", d->vm.uuid, "vmInstanceUuid",
	    d->vm.uuid, key, dev);
	vm_agent_post(d->vs, d->call, d->vm.host, d->ip, path, cmd, 0, vm_dev_agent_done, flow);
}

static void vm_dev_agent_go(zs_flow *flow, vm_dev *d);

static void
vm_dev_host_ip(int code, const zs_status *st, const char *ip, void *arg)
{
	zs_flow *flow = arg;
	vm_dev *d = vm_dev_of(flow);
	if (code != 0) {
		vm_dev_fail(flow, code, st, "GetHost");
		return;
	}
	snprintf(d->ip, sizeof d->ip, "%s", ip);
	vm_dev_agent_go(flow, d);
}

/* The step "agent": nothing to do for a VM on no host. */
static void
vm_dev_agent(zs_flow *flow, void *arg)
{
	vm_dev *d = arg;
	if (!vm_dev_on_host(d)) {
		zs_flow_next(flow);
		return;
	}
	vm_agent_host_ip(d->vs, d->vm.host, vm_dev_host_ip, flow);
}

static json_t *
vm_dev_volume_json(const vm_dev *d)
{
	return json_pack("{s:s, s:s, s:i, s:s, s:s}", "volumeUuid", d->vol, "installPath",
	    d->vol_path, "deviceId", d->dev_id, "primaryStorageUuid", d->vol_ps, "format", "qcow2");
}

static json_t *
vm_dev_nic_json(const vm_dev *d)
{
	json_t *a = vm_nic_json(&d->nic, 1);
	json_t *n = json_incref(json_array_get(a, 0));
	json_decref(a);
	return n;
}

static void
vm_dev_agent_go(zs_flow *flow, vm_dev *d)
{
	if (strcmp(d->topic, "vm/volumeAttached") == 0)
		vm_dev_agent_post(flow, d, "/vm/attachdatavolume", "volume", vm_dev_volume_json(d));
	else if (strcmp(d->topic, "vm/volumeDetached") == 0)
		vm_dev_agent_post(flow, d, "/vm/detachdatavolume", "volume", vm_dev_volume_json(d));
	else if (strcmp(d->topic, "vm/nicAttached") == 0)
		vm_dev_agent_post(flow, d, "/vm/attachnic", "nic", vm_dev_nic_json(d));
	else
		vm_dev_agent_post(flow, d, "/vm/detachnic", "nic", vm_dev_nic_json(d));
}

/* ---- the volume service's record ---- */

static void
vm_dev_vol_answer(int code, const zs_status *st, const Zs__Volume__V1__VolumeInfo *r, void *arg)
{
	(void) r;
	zs_flow *flow = arg;
	if (code != 0)
		vm_dev_fail(flow, code, st, "the volume service");
	else
		zs_flow_next(flow);
}

static void
vm_dev_vol_undone(int code, const zs_status *st, const Zs__Volume__V1__VolumeInfo *r, void *arg)
{
	(void) r;
	zs_flow *flow = arg;
	if (code != 0)
		zs_flow_rollback_fail(flow, st != NULL ? zs_status_copy(st) : NULL);
	else
		zs_flow_rollback_done(flow);
}

/* Volume/AttachDataVolume (attach true) or DetachDataVolume, as the node; cb ends it. */
static void
vm_dev_vol_record(vm_dev *d, bool attach, zs_flow *flow,
    void (*cb)(int, const zs_status *, const Zs__Volume__V1__VolumeInfo *, void *))
{
	zs_bus *bus = zs_node_bus(d->vs->node);
	if (attach) {
		zs__volume__v1__attach_data_volume_request__init(&d->att_req);
		d->att_req.uuid = d->vol;
		d->att_req.vm_uuid = d->vm.uuid;
		zs_volume_v1_volume_attach_data_volume_bus(bus, NULL, &d->att_req, cb, flow);
	} else {
		zs__volume__v1__detach_data_volume_request__init(&d->det_req);
		d->det_req.uuid = d->vol;
		d->det_req.vm_uuid = d->vm.uuid;
		zs_volume_v1_volume_detach_data_volume_bus(bus, NULL, &d->det_req, cb, flow);
	}
}

static void vm_dev_attach_record(zs_flow *f, void *a) { vm_dev_vol_record(a, true, f, vm_dev_vol_answer); }
static void vm_dev_attach_unrecord(zs_flow *f, void *a) { vm_dev_vol_record(a, false, f, vm_dev_vol_undone); }
static void vm_dev_detach_record(zs_flow *f, void *a) { vm_dev_vol_record(a, false, f, vm_dev_vol_answer); }
static void vm_dev_detach_unrecord(zs_flow *f, void *a) { vm_dev_vol_record(a, true, f, vm_dev_vol_undone); }

/* ---- the VM's row of a data volume ---- */

/* The VM's row of the volume in (add) or out; as a run or, rollback, as an undo. */
static void
vm_dev_vol_row(zs_flow *flow, vm_dev *d, bool add, bool rollback)
{
	char dev[16];
	snprintf(dev, sizeof dev, "%d", d->dev_id);
	const char *p[3] = { d->vm.uuid, d->vol, dev };
	zs_status *st = NULL;
	int rv = add ? vm_dev_sql(d, "INSERT INTO vm_data_volumes (vm_instance_uuid, volume_uuid, "
	    "device_id) VALUES ($1, $2, $3::integer)", 3, p, &st) :
	    vm_dev_sql(d, "DELETE FROM vm_data_volumes WHERE vm_instance_uuid = $1 AND "
	    "volume_uuid = $2", 2, p, &st);
	vm_dev_step_end(flow, rollback, rv, st);
}

static void vm_dev_vol_row_add(zs_flow *f, void *a) { vm_dev_vol_row(f, a, true, false); }
static void vm_dev_vol_row_undo_add(zs_flow *f, void *a) { vm_dev_vol_row(f, a, false, true); }
static void vm_dev_vol_row_del(zs_flow *f, void *a) { vm_dev_vol_row(f, a, false, false); }
static void vm_dev_vol_row_undo_del(zs_flow *f, void *a) { vm_dev_vol_row(f, a, true, true); }

/* ---- AttachDataVolumeToVm: the checks ---- */

static void
vm_dev_volume_got(int code, const zs_status *st, const Zs__Volume__V1__VolumeInfo *r, void *arg)
{
	zs_flow *flow = arg;
	vm_dev *d = vm_dev_of(flow);
	if (code != 0) {
		vm_dev_fail(flow, code, st, "GetVolume");
		return;
	}
	const char *vm_host = d->vm.host[0] != '\0' ? d->vm.host : d->vm.last_host;
	if (strcmp(r->type, "Data") != 0) {
		vm_dev_refuse(flow, zs_status_new(ZS_FAILED_PRECONDITION, "VOLUME.1005", "volume %s is "
		    "a %s volume: only data volumes are attached", d->vol, r->type));
	} else if (r->vm_uuid[0] != '\0') {
		vm_dev_refuse(flow, zs_status_new(ZS_FAILED_PRECONDITION, "VOLUME.1005", "volume %s is "
		    "attached to VM %s", d->vol, r->vm_uuid));
	} else if (r->host_uuid[0] != '\0' && strcmp(r->host_uuid, vm_host) != 0) {
		vm_dev_refuse(flow, zs_status_new(ZS_FAILED_PRECONDITION, "VM.1011", "volume %s is on "
		    "the local storage of host %s, VM %s is on host %s: a volume on a host's local "
		    "storage is attached to VMs of that host only", d->vol, r->host_uuid, d->vm.uuid,
		    vm_host[0] != '\0' ? vm_host : "(none yet)"));
	} else {
		snprintf(d->vol_path, sizeof d->vol_path, "%s", r->install_path);
		snprintf(d->vol_ps, sizeof d->vol_ps, "%s", r->primary_storage_uuid);
		zs_flow_next(flow);
	}
}

static void
vm_dev_attach_check(zs_flow *flow, void *arg)
{
	vm_dev *d = arg;
	zs__volume__v1__get_volume_request__init(&d->vol_req);
	d->vol_req.uuid = d->vol;
	zs_volume_v1_volume_get_volume_bus(zs_node_bus(d->vs->node), d->node, &d->vol_req,
	    vm_dev_volume_got, flow);
}

/* Checks what the call names before any step: the VM (and a volume) as the account sees
 * them; 0, or the call failed. */
static int
vm_dev_check_volume(vm_dev *d, const char *vm, const char *vol)
{
	zs_status *st = NULL;
	zs_db_conn *c = NULL;
	snprintf(d->vol, sizeof d->vol, "%s", vol);
	int rv = vm_conn(d->vs, &c, &st);
	if (rv == 0) {
		rv = zs_resource_check(c, d->call, vol, "Volume", NULL, 0, &st);
		zs_db_release(zs_node_db(d->vs->node), c);
	}
	if (rv == 0 && vm != NULL)
		rv = vm_dev_load(d, vm, &st);
	if (rv != 0)
		vm_fail(d->call, st);
	return rv;
}

void
vm_attach_volume(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Vm__V1__AttachDataVolumeToVmRequest *in = (const void *) msg;
	if (zs_check_uuid(call, "vm_instance_uuid", in->vm_instance_uuid) != 0 ||
	    zs_check_uuid(call, "volume_uuid", in->volume_uuid) != 0)
		return;
	zs_flow_chain *chain = NULL;
	vm_dev *d = vm_dev_new(call, closure, "AttachDataVolumeToVm", "vm/volumeAttached", &chain);
	if (d == NULL)
		return;
	if (vm_dev_check_volume(d, in->vm_instance_uuid, in->volume_uuid) != 0) {
		zs_flow_chain_free(chain);
		vm_dev_free(d);
		return;
	}
	for (size_t i = 0; i < d->vm.n_data; i++)
		if (strcmp(d->vm.data[i], d->vol) == 0) {
			zs_call_fail(call, ZS_FAILED_PRECONDITION, "VM.1011", "volume %s is attached to VM "
			    "%s already", d->vol, d->vm.uuid);
			zs_flow_chain_free(chain);
			vm_dev_free(d);
			return;
		}
	if (d->vm.n_data >= VM_DATA_MAX) {
		zs_call_fail(call, ZS_FAILED_PRECONDITION, "VM.1011", "VM %s has %d data volumes, the "
		    "most it may have", d->vm.uuid, VM_DATA_MAX);
		zs_flow_chain_free(chain);
		vm_dev_free(d);
		return;
	}
	/* device ids: 0 the root volume, then the data volumes, after the last one */
	d->dev_id = 1;
	if (d->vm.n_data > 0) {
		zs_db_conn *c = NULL;
		zs_status *st = NULL;
		PGresult *r = NULL;
		const char *p[1] = { d->vm.uuid };
		if (vm_conn(d->vs, &c, &st) == 0) {
			if (zs_db_run(c, "SELECT COALESCE(MAX(device_id), 0) + 1 FROM vm_data_volumes WHERE "
			    "vm_instance_uuid = $1", 1, p, &r, &st) == 0)
				d->dev_id = atoi(PQgetvalue(r, 0, 0));
			PQclear(r);
			zs_db_release(zs_node_db(d->vs->node), c);
		}
		zs_status_free(st);
	}
	int added = zs_flow_chain_add(chain, "check", vm_dev_attach_check, NULL, d, 0) |
	    zs_flow_chain_add(chain, "record", vm_dev_attach_record, vm_dev_attach_unrecord, d, 0) |
	    zs_flow_chain_add(chain, "row", vm_dev_vol_row_add, vm_dev_vol_row_undo_add, d, 0) |
	    zs_flow_chain_add(chain, "agent", vm_dev_agent, NULL, d, 0);
	vm_dev_start(d, chain, added);
}

/* ---- DetachDataVolumeFromVm ---- */

void
vm_detach_volume(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Vm__V1__DetachDataVolumeFromVmRequest *in = (const void *) msg;
	if (zs_check_uuid(call, "uuid", in->uuid) != 0 ||
	    (in->vm_uuid[0] != '\0' && zs_check_uuid(call, "vm_uuid", in->vm_uuid) != 0))
		return;
	zs_flow_chain *chain = NULL;
	vm_dev *d = vm_dev_new(call, closure, "DetachDataVolumeFromVm", "vm/volumeDetached", &chain);
	if (d == NULL)
		return;
	if (vm_dev_check_volume(d, NULL, in->uuid) != 0) {
		zs_flow_chain_free(chain);
		vm_dev_free(d);
		return;
	}
	/* the VM it is attached to, as the VM service records it */
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *r = NULL;
	const char *p[1] = { d->vol };
	int rv = vm_conn(d->vs, &c, &st);
	if (rv == 0) {
		rv = zs_db_run(c, "SELECT vm_instance_uuid, device_id FROM vm_data_volumes WHERE "
		    "volume_uuid = $1", 1, p, &r, &st);
		zs_db_release(zs_node_db(d->vs->node), c);
	}
	char vm[ZS_UUID_LEN] = "";
	if (rv == 0 && PQntuples(r) == 1) {
		snprintf(vm, sizeof vm, "%s", PQgetvalue(r, 0, 0));
		d->dev_id = atoi(PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	if (rv == 0 && (vm[0] == '\0' || (in->vm_uuid[0] != '\0' && strcmp(vm, in->vm_uuid) != 0))) {
		rv = ZS_FAILED_PRECONDITION;
		st = zs_status_new(rv, "VM.1011", "volume %s is not attached to %s%s", d->vol,
		    in->vm_uuid[0] != '\0' ? "VM " : "any VM", in->vm_uuid);
	}
	if (rv == 0)
		rv = vm_dev_load(d, vm, &st);
	if (rv != 0) {
		vm_fail(call, st);
		zs_flow_chain_free(chain);
		vm_dev_free(d);
		return;
	}
	int added = zs_flow_chain_add(chain, "row", vm_dev_vol_row_del, vm_dev_vol_row_undo_del, d, 0) |
	    zs_flow_chain_add(chain, "record", vm_dev_detach_record, vm_dev_detach_unrecord, d, 0) |
	    zs_flow_chain_add(chain, "agent", vm_dev_agent, NULL, d, 0);
	vm_dev_start(d, chain, added);
}

/* ---- AttachL3NetworkToVm ---- */

static void
vm_dev_l2_got(int code, const zs_status *st, const Zs__Network__V1__L2NetworkInfo *r, void *arg)
{
	zs_flow *flow = arg;
	vm_dev *d = vm_dev_of(flow);
	if (code != 0) {
		vm_dev_fail(flow, code, st, "GetL2Network");
		return;
	}
	const char *cluster = d->vm.cluster;
	bool there = cluster[0] == '\0';
	for (size_t i = 0; i < r->n_attached_cluster_uuids; i++)
		there |= strcmp(r->attached_cluster_uuids[i], cluster) == 0;
	if (!there) {
		vm_dev_refuse(flow, zs_status_new(ZS_FAILED_PRECONDITION, "VM.1011", "L3 network %s is on "
		    "L2 network %s, which is not attached to cluster %s of VM %s: its hosts have no "
		    "bridge for it", d->nic.l3, d->l2, cluster, d->vm.uuid));
		return;
	}
	zs_flow_next(flow);
}

static void
vm_dev_l3_got(int code, const zs_status *st, const Zs__Network__V1__L3NetworkInfo *r, void *arg)
{
	zs_flow *flow = arg;
	vm_dev *d = vm_dev_of(flow);
	if (code != 0) {
		if (code == ZS_NOT_FOUND)
			d->refused = true;
		vm_dev_fail(flow, code, st, "GetL3Network");
		return;
	}
	snprintf(d->l2, sizeof d->l2, "%s", r->l2_network_uuid);
	zs__network__v1__get_l2_network_request__init(&d->l2_req);
	d->l2_req.uuid = d->l2;
	zs_network_v1_l2_network_get_l2_network_bus(zs_node_bus(d->vs->node), d->node, &d->l2_req,
	    vm_dev_l2_got, flow);
}

static void
vm_dev_l3_check(zs_flow *flow, void *arg)
{
	vm_dev *d = arg;
	zs__network__v1__get_l3_network_request__init(&d->l3_req);
	d->l3_req.uuid = d->nic.l3;
	zs_network_v1_l3_network_get_l3_network_bus(zs_node_bus(d->vs->node), d->node, &d->l3_req,
	    vm_dev_l3_got, flow);
}

static void
vm_dev_nic_allocated(int code, const zs_status *st, void *arg)
{
	zs_flow *flow = arg;
	if (code != 0)
		vm_dev_fail(flow, code, st, "the NIC's address");
	else
		zs_flow_next(flow);
}

static void
vm_dev_nic_allocate(zs_flow *flow, void *arg)
{
	vm_dev *d = arg;
	vm_nic_allocate(d->vs, d->node, d->vm.uuid, &d->nic, 1, true, vm_dev_nic_allocated,
	    flow);
}

static void
vm_dev_nic_released(int code, const zs_status *st, void *arg)
{
	zs_flow *flow = arg;
	if (code != 0)
		zs_flow_rollback_fail(flow, st != NULL ? zs_status_copy(st) : NULL);
	else
		zs_flow_rollback_done(flow);
}

static void
vm_dev_nic_release(zs_flow *flow, void *arg)
{
	vm_dev *d = arg;
	vm_nic_release(d->vs, &d->nic, 1, vm_dev_nic_released, flow);
}

/* The NIC's row in, or out; as a run (rollback false) or an undo. */
static void
vm_dev_nic_row(zs_flow *flow, vm_dev *d, bool add, bool rollback)
{
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	int rv = vm_conn(d->vs, &c, &st);
	if (rv == 0) {
		if (add) {
			rv = zs_db_begin(c, &st);
			if (rv == 0) {
				rv = vm_nic_insert(c, d->vm.uuid, d->vm.owner, &d->nic, &st);
				rv = zs_db_end(c, rv, &st);
			}
		} else {
			const char *p[1] = { d->nic.uuid };
			rv = zs_db_run(c, "DELETE FROM vm_nics WHERE uuid = $1", 1, p, NULL, &st);
		}
		zs_db_release(zs_node_db(d->vs->node), c);
	}
	vm_dev_step_end(flow, rollback, rv, st);
}

static void vm_dev_nic_add(zs_flow *f, void *a) { vm_dev_nic_row(f, a, true, false); }
static void vm_dev_nic_undo_add(zs_flow *f, void *a) { vm_dev_nic_row(f, a, false, true); }
static void vm_dev_nic_del(zs_flow *f, void *a) { vm_dev_nic_row(f, a, false, false); }
static void vm_dev_nic_undo_del(zs_flow *f, void *a) { vm_dev_nic_row(f, a, true, true); }

void
vm_attach_l3(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Vm__V1__AttachL3NetworkToVmRequest *in = (const void *) msg;
	if (zs_check_uuid(call, "vm_instance_uuid", in->vm_instance_uuid) != 0 ||
	    zs_check_uuid(call, "l3_network_uuid", in->l3_network_uuid) != 0)
		return;
	zs_flow_chain *chain = NULL;
	vm_dev *d = vm_dev_new(call, closure, "AttachL3NetworkToVm", "vm/nicAttached", &chain);
	if (d == NULL)
		return;
	zs_status *st = NULL;
	int rv = vm_dev_load(d, in->vm_instance_uuid, &st);
	for (size_t i = 0; rv == 0 && i < d->vm.n_nics; i++)
		if (strcmp(d->vm.nics[i].l3, in->l3_network_uuid) == 0) {
			rv = ZS_FAILED_PRECONDITION;
			st = zs_status_new(rv, "VM.1011", "VM %s has a NIC on L3 network %s already (%s)",
			    d->vm.uuid, in->l3_network_uuid, d->vm.nics[i].uuid);
		}
	if (rv == 0 && d->vm.n_nics >= VM_L3_MAX) {
		rv = ZS_FAILED_PRECONDITION;
		st = zs_status_new(rv, "VM.1011", "VM %s has %d NICs, the most it may have", d->vm.uuid,
		    VM_L3_MAX);
	}
	if (rv != 0) {
		vm_fail(call, st);
		zs_flow_chain_free(chain);
		vm_dev_free(d);
		return;
	}
	/* the first free device id */
	int dev = 0;
	for (bool taken = true; taken; dev += taken) {
		taken = false;
		for (size_t i = 0; i < d->vm.n_nics; i++)
			taken |= d->vm.nics[i].device_id == dev;
	}
	zs_resource_uuid(d->nic.uuid);
	snprintf(d->nic.l3, sizeof d->nic.l3, "%s", in->l3_network_uuid);
	d->nic.device_id = dev;
	int added = zs_flow_chain_add(chain, "check", vm_dev_l3_check, NULL, d, 0) |
	    zs_flow_chain_add(chain, "address", vm_dev_nic_allocate, vm_dev_nic_release, d, 0) |
	    zs_flow_chain_add(chain, "row", vm_dev_nic_add, vm_dev_nic_undo_add, d, 0) |
	    zs_flow_chain_add(chain, "agent", vm_dev_agent, NULL, d, 0);
	vm_dev_start(d, chain, added);
}

/* ---- DetachL3NetworkFromVm ---- */

static void
vm_dev_nic_given_back(int code, const zs_status *st, void *arg)
{
	zs_flow *flow = arg;
	vm_dev *d = vm_dev_of(flow);
	if (code != 0) {
		/* the NIC is gone from the VM and its host: the address stays taken, and says so */
		char w[512];
		zs_status_text(st, w, sizeof w);
		zs_log(ZS_LOG_WARN, "vm", "VM %s: NIC %s detached, but its address %s on L3 network %s "
		    "could not be given back: %s", d->vm.uuid, d->nic.uuid, d->nic.ip, d->nic.l3, w);
	}
	zs_flow_next(flow);
}

static void
vm_dev_nic_give_back(zs_flow *flow, void *arg)
{
	vm_dev *d = arg;
	vm_nic_release(d->vs, &d->nic, 1, vm_dev_nic_given_back, flow);
}

void
vm_detach_l3(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Vm__V1__DetachL3NetworkFromVmRequest *in = (const void *) msg;
	if (zs_check_uuid(call, "vm_nic_uuid", in->vm_nic_uuid) != 0)
		return;
	zs_flow_chain *chain = NULL;
	vm_dev *d = vm_dev_new(call, closure, "DetachL3NetworkFromVm", "vm/nicDetached", &chain);
	if (d == NULL)
		return;
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *r = NULL;
	const char *p[1] = { in->vm_nic_uuid };
	int rv = vm_conn(d->vs, &c, &st);
	if (rv == 0) {
		rv = zs_db_run(c, "SELECT vm_instance_uuid FROM vm_nics WHERE uuid = $1", 1, p, &r, &st);
		zs_db_release(zs_node_db(d->vs->node), c);
	}
	char vm[ZS_UUID_LEN] = "";
	if (rv == 0 && PQntuples(r) == 1)
		snprintf(vm, sizeof vm, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (rv == 0 && vm[0] == '\0') {
		rv = ZS_NOT_FOUND;
		st = zs_status_new(rv, NULL, "no VM NIC with uuid %s", in->vm_nic_uuid);
	}
	if (rv == 0)
		rv = vm_dev_load(d, vm, &st);   /* another account's: NOT_FOUND too */
	if (rv == ZS_NOT_FOUND) {
		zs_status_free(st);
		st = zs_status_new(rv, NULL, "no VM NIC with uuid %s", in->vm_nic_uuid);
	}
	for (size_t i = 0; rv == 0 && i < d->vm.n_nics; i++)
		if (strcmp(d->vm.nics[i].uuid, in->vm_nic_uuid) == 0)
			d->nic = d->vm.nics[i];
	if (rv != 0) {
		vm_fail(call, st);
		zs_flow_chain_free(chain);
		vm_dev_free(d);
		return;
	}
	int added = zs_flow_chain_add(chain, "row", vm_dev_nic_del, vm_dev_nic_undo_del, d, 0) |
	    zs_flow_chain_add(chain, "agent", vm_dev_agent, NULL, d, 0) |
	    zs_flow_chain_add(chain, "address", vm_dev_nic_give_back, NULL, d, 0);
	vm_dev_start(d, chain, added);
}

/* ---- ChangeInstanceOffering ---- */

typedef struct vm_offer {
	zs_call *call, *mine;
	ProtobufCClosure closure;
	char uuid[ZS_UUID_LEN], offering[ZS_UUID_LEN];
	Zs__Offering__V1__GetInstanceOfferingRequest req;
} vm_offer;

static void
vm_offer_got(int code, const zs_status *st, const Zs__Offering__V1__InstanceOfferingInfo *r,
    void *arg)
{
	vm_offer *o = arg;
	vm_state *vs = zs_call_service_data(o->call);
	if (code != 0) {
		vm_fail(o->call, st != NULL ? zs_status_copy(st) : NULL);
	} else {
		static const char *const stopped[] = { "Stopped", NULL };
		char cpu[24], mem[24];
		snprintf(cpu, sizeof cpu, "%u", (unsigned) r->cpu_num);
		snprintf(mem, sizeof mem, "%llu", (unsigned long long) r->memory_size);
		const char *p[3] = { cpu, mem, o->offering };
		zs_status *tst = NULL;
		/* the account's VM, Stopped, in one conditional update with the event */
		int rv = vm_store_transit_conn(vs, o->call, o->uuid, stopped, "Stopped",
		    "ChangeInstanceOffering", NULL, "cpu_num = $2::bigint, memory_size = $3::bigint, "
		    "instance_offering_uuid = $4", 3, p, "vm/offeringChanged", &tst);
		if (rv != 0)
			vm_fail(o->call, tst);
		else
			vm_answer(o->call, o->closure, o->uuid);
	}
	zs_bus_parent_free(o->mine);
	free(o);
}

void
vm_change_offering(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Vm__V1__ChangeInstanceOfferingRequest *in = (const void *) msg;
	if (zs_check_uuid(call, "vm_instance_uuid", in->vm_instance_uuid) != 0 ||
	    zs_check_uuid(call, "instance_offering_uuid", in->instance_offering_uuid) != 0)
		return;
	vm_offer *o = calloc(1, sizeof *o);
	if (o == NULL || (o->mine = zs_bus_parent_new(call, 0, false)) == NULL) {
		free(o);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	o->call = call;
	o->closure = closure;
	snprintf(o->uuid, sizeof o->uuid, "%s", in->vm_instance_uuid);
	snprintf(o->offering, sizeof o->offering, "%s", in->instance_offering_uuid);
	/* the VM first: another account's is NOT_FOUND, a VM not Stopped says its state */
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	vm_row vm;
	int rv = vm_conn(zs_call_service_data(call), &c, &st);
	if (rv == 0) {
		rv = zs_resource_check(c, call, o->uuid, VM_TYPE, NULL, 0, &st);
		if (rv == 0)
			rv = vm_store_load(c, o->uuid, &vm, &st);
		zs_db_release(zs_node_db(zs_call_node(call)), c);
	}
	if (rv == 0 && strcmp(vm.state, "Stopped") != 0) {
		rv = ZS_FAILED_PRECONDITION;
		st = zs_status_new(rv, "VM.1002", "VM %s is %s: ChangeInstanceOffering needs it Stopped",
		    o->uuid, vm.state);
	}
	if (rv != 0) {
		vm_fail(call, st);
		zs_bus_parent_free(o->mine);
		free(o);
		return;
	}
	zs__offering__v1__get_instance_offering_request__init(&o->req);
	o->req.uuid = o->offering;
	/* as the account: an offering it does not see is NOT_FOUND */
	zs_offering_v1_instance_offering_get_instance_offering_bus(zs_node_bus(zs_call_node(call)),
	    o->mine, &o->req, vm_offer_got, o);
}
