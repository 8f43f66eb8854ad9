/*
 * vm_lifecycle.c: what happens to a VM after it is made, with ZStack's states. Each
 * operation first moves the VM into its passing state by a conditional UPDATE (a VM in
 * a state that does not allow it is FAILED_PRECONDITION naming the state, and of two
 * racing operations only one passes), then works on the host's agent and the other
 * services, then sets the state it ends in; a failure on the way puts the VM back where
 * it was (its capacity too) and the call says why.
 *
 *   Start    Stopped -> Starting -> Running: AllocateHost again (the host asked for; else
 *            the root volume's host on local storage; else the last host, then any),
 *            /vm/start                                    failure: capacity back, Stopped
 *   Stop     Running, Paused, Unknown -> Stopping -> Stopped: /vm/stop (Grace: shut down,
 *            forced when that fails or outlasts the timeout; Cold: forced at once), the
 *            host's capacity back, the host kept as last host
 *   Reboot   Running -> Rebooting -> Running: /vm/reboot
 *   Pause    Running -> Pausing -> Paused: /vm/pause
 *   Resume   Paused -> Resuming -> Running: /vm/resume
 *   Destroy  any but Destroyed and passing states -> Destroying -> Destroyed: /vm/destroy
 *            when it is on a host, the capacity and the addresses back; volumes kept
 *   Recover  Destroyed -> Stopped: addresses allocated again
 *   Expunge  Destroyed -> Expunging -> gone: its volumes deleted, then its row and NICs
 * Every change of state publishes vm/stateChanged; Destroy, Recover and Expunge also
 * vm/destroyed, vm/recovered and vm/expunged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "zs/bus.h"
#include "zs/host/v1/host.zsb.h"
#include "zs/log.h"
#include "zs/service.h"
#include "zs/volume/v1/volume.zsb.h"

typedef enum vm_kind {
	VM_OP_START, VM_OP_STOP, VM_OP_REBOOT, VM_OP_PAUSE, VM_OP_RESUME, VM_OP_DESTROY,
	VM_OP_RECOVER, VM_OP_EXPUNGE,
} vm_kind;

/* What each operation is: the states it starts from, its passing state, where it ends. */
typedef struct vm_kind_def {
	const char *what;                  /* in messages */
	const char *const *from;
	const char *passing, *to;
	const char *path;                  /* the agent's, for the simple ones */
	const char *error_code;            /* when the work fails */
} vm_kind_def;

static const char *const vm_from_start[] = { "Stopped", "Created", NULL };
static const char *const vm_from_stop[] = { "Running", "Paused", "Unknown", NULL };
static const char *const vm_from_running[] = { "Running", NULL };
static const char *const vm_from_paused[] = { "Paused", NULL };
static const char *const vm_from_destroy[] = { "Running", "Stopped", "Paused", "Unknown",
	"Created", NULL };
static const char *const vm_from_destroyed[] = { "Destroyed", NULL };

static const vm_kind_def vm_kinds[] = {
	[VM_OP_START] = { "Start", vm_from_start, "Starting", "Running", "/vm/start", "VM.1003" },
	[VM_OP_STOP] = { "Stop", vm_from_stop, "Stopping", "Stopped", "/vm/stop", "VM.1004" },
	[VM_OP_REBOOT] = { "Reboot", vm_from_running, "Rebooting", "Running", "/vm/reboot",
	    "VM.1005" },
	[VM_OP_PAUSE] = { "Pause", vm_from_running, "Pausing", "Paused", "/vm/pause", "VM.1005" },
	[VM_OP_RESUME] = { "Resume", vm_from_paused, "Resuming", "Running", "/vm/resume",
	    "VM.1005" },
	[VM_OP_DESTROY] = { "Destroy", vm_from_destroy, "Destroying", "Destroyed", "/vm/destroy",
	    "VM.1006" },
	[VM_OP_RECOVER] = { "Recover", vm_from_destroyed, NULL, "Stopped", NULL, "VM.1007" },
	[VM_OP_EXPUNGE] = { "Expunge", vm_from_destroyed, "Expunging", NULL, NULL, "VM.1008" },
};

/* One operation on its way. */
typedef struct vm_op {
	vm_state *vs;
	zs_call *call;
	zs_call *node;                     /* stand-in parent with the node's rights */
	ProtobufCClosure closure;
	vm_kind kind;
	const vm_kind_def *def;
	vm_row vm;
	char prev[16];
	char ip[64];                       /* the agent's address */
	char want_host[64];                /* Start: asked for */
	bool want_forced;                  /* Start: asked for (or the volume's), not just preferred */
	bool cold;                         /* Stop */
	int64_t stop_timeout_ms;
	char root_path[VM_PATH_MAX], root_ps[64];
	char data_paths[VM_DATA_MAX][VM_PATH_MAX];   /* Start: each data volume's */
	size_t data_i;                     /* Start: the data volumes looked up so far */
	size_t undo_i;                     /* Expunge: the next volume */
	int start_code;                    /* Start: why /vm/start failed */
	zs_status *start_why;
	Zs__Volume__V1__GetVolumeRequest vol_req;
	Zs__Volume__V1__DeleteVolumeRequest del_req;
	Zs__Host__V1__AllocateHostRequest alloc_req;
	Zs__Host__V1__ReturnHostCapacityRequest ret_req;
	char *l3_ptrs[VM_L3_MAX];
} vm_op;

static void
vm_op_free(vm_op *o)
{
	zs_status_free(o->start_why);
	if (o->node != NULL)
		zs_bus_parent_free(o->node);
	free(o);
}

static zs_bus *
vm_op_bus(const vm_op *o)
{
	return zs_node_bus(o->vs->node);
}

/* The operation ends well: the VM as it is now. */
static void
vm_op_answer(vm_op *o)
{
	vm_answer(o->call, o->closure, o->vm.uuid);
	vm_op_free(o);
}

/* The operation failed with why (borrowed): the VM goes back to where it was (to
 * back_to when not NULL, with set), then the call fails. */
static void
vm_op_failed(vm_op *o, int code, const zs_status *why, const char *back_to, const char *set,
    int n, const char *const *p)
{
	const char *passing[2] = { o->def->passing, NULL };
	zs_status *st = NULL;
	if (o->def->passing != NULL) {
		int rv = vm_store_transit_conn(o->vs, NULL, o->vm.uuid, passing,
		    back_to != NULL ? back_to : o->prev, o->def->what, NULL, set, n, p, NULL, &st);
		if (rv != 0) {
			char w[512];
			zs_status_text(st, w, sizeof w);
			zs_log(ZS_LOG_WARN, "vm", "VM %s: cannot set it back to %s after %s failed: %s",
			    o->vm.uuid, back_to != NULL ? back_to : o->prev, o->def->what, w);
			zs_status_free(st);
		}
	}
	zs_call_fail_cause(o->call, code != 0 ? code : ZS_INTERNAL, o->def->error_code, why,
	    "%s of VM %s failed", o->def->what, o->vm.uuid);
	vm_op_free(o);
}

/* Moves the VM from the passing state to where the operation ends, then answers. */
static void
vm_op_finish(vm_op *o, const char *set, int n, const char *const *p, const char *topic)
{
	const char *passing[2] = { o->def->passing, NULL };
	zs_status *st = NULL;
	int rv = vm_store_transit_conn(o->vs, NULL, o->vm.uuid, passing, o->def->to, o->def->what,
	    NULL, set, n, p, topic, &st);
	if (rv != 0) {
		vm_fail(o->call, st);
		vm_op_free(o);
		return;
	}
	vm_op_answer(o);
}

/* ---- host capacity ---- */

static void vm_op_capacity_back(vm_op *o);

/* ---- the simple ones: Reboot, Pause, Resume ---- */

static void
vm_op_agent_done(int code, const zs_status *st, const json_t *reply, void *arg)
{
	(void) reply;
	vm_op *o = arg;
	if (code != 0) {
		vm_op_failed(o, code, st, NULL, NULL, 0, NULL);
		return;
	}
	vm_op_finish(o, NULL, 0, NULL, NULL);
}

/* ---- Stop ---- */

static void
vm_stop_done(int code, const zs_status *st, const json_t *reply, void *arg)
{
	(void) reply;
	vm_op *o = arg;
	if (code != 0 && !o->cold) {
		/* the guest did not shut down (in time): by force */
		o->cold = true;
		json_t *cmd = json_pack("{s:s, s:s}", "vmInstanceUuid", o->vm.uuid, "type", "cold");
		vm_agent_post(o->vs, o->node, o->vm.host, o->ip, "/vm/stop", cmd, 0, vm_stop_done, o);
		return;
	}
	if (code != 0) {
		vm_op_failed(o, code, st, NULL, NULL, 0, NULL);
		return;
	}
	vm_op_capacity_back(o);
}

/* ---- Destroy: the agent, the capacity, the addresses ---- */

static void
vm_destroy_released(int code, const zs_status *st, void *arg)
{
	vm_op *o = arg;
	/* what was given back is cleared on the NICs, even when one failed */
	zs_db_conn *c = NULL;
	zs_status *dst = NULL;
	if (vm_conn(o->vs, &c, &dst) == 0) {
		for (size_t i = 0; i < o->vm.n_nics; i++) {
			if (o->vm.nics[i].ip[0] != '\0')
				continue;
			const char *p[1] = { o->vm.nics[i].uuid };
			zs_db_run(c, "UPDATE vm_nics SET ip = '', netmask = '', gateway = '', updated_at = "
			    "now() WHERE uuid = $1", 1, p, NULL, &dst);
			zs_status_free(dst);
			dst = NULL;
		}
		zs_db_release(zs_node_db(o->vs->node), c);
	}
	zs_status_free(dst);
	if (code != 0) {
		vm_op_failed(o, code, st, NULL, NULL, 0, NULL);
		return;
	}
	const char *p[1] = { o->vm.host[0] != '\0' ? o->vm.host : o->vm.last_host };
	vm_op_finish(o, "host_uuid = '', last_host_uuid = $2", 1, p, "vm/destroyed");
}

/* ---- Start ---- */

static void vm_start_allocate(vm_op *o);

static void
vm_start_started(int code, const zs_status *st, const json_t *reply, void *arg)
{
	(void) reply;
	vm_op *o = arg;
	if (code != 0) {
		/* the capacity goes back (vm_op_returned), then the VM is Stopped again */
		o->start_code = code;
		o->start_why = st != NULL ? zs_status_copy(st) : NULL;
		vm_op_capacity_back(o);
		return;
	}
	const char *p[1] = { o->vm.host };
	vm_op_finish(o, "last_host_uuid = $2", 1, p, NULL);
}

static void
vm_start_allocated(int code, const zs_status *st, const Zs__Host__V1__AllocateHostResponse *r,
    void *arg)
{
	vm_op *o = arg;
	if (code != 0 && !o->want_forced && o->want_host[0] != '\0') {
		o->want_host[0] = '\0';   /* the last host was only preferred: any will do */
		vm_start_allocate(o);
		return;
	}
	if (code != 0) {
		vm_op_failed(o, code, st, NULL, NULL, 0, NULL);
		return;
	}
	snprintf(o->vm.host, sizeof o->vm.host, "%s", r->host_uuid);
	snprintf(o->ip, sizeof o->ip, "%s", r->management_ip);
	const char *p[3] = { r->host_uuid, r->cluster_uuid, r->zone_uuid };
	zs_db_conn *c = NULL;
	zs_status *ust = NULL;
	int rv = vm_conn(o->vs, &c, &ust);
	if (rv == 0) {
		const char *q[4] = { o->vm.uuid, p[0], p[1], p[2] };
		rv = zs_db_run(c, "UPDATE vm_instances SET host_uuid = $2, cluster_uuid = $3, zone_uuid = "
		    "$4, updated_at = now() WHERE uuid = $1", 4, q, NULL, &ust);
		zs_db_release(zs_node_db(o->vs->node), c);
	}
	if (rv != 0) {
		vm_op_failed(o, rv, ust, NULL, NULL, 0, NULL);
		zs_status_free(ust);
		return;
	}
	vm_agent_post(o->vs, o->node, o->vm.host, o->ip, "/vm/start",
	    vm_agent_start_cmd(&o->vm, o->root_path, o->root_ps,
	    (const char (*)[VM_PATH_MAX]) o->data_paths), 0, vm_start_started, o);
}

static void
vm_start_allocate(vm_op *o)
{
	zs__host__v1__allocate_host_request__init(&o->alloc_req);
	o->alloc_req.vm_uuid = o->vm.uuid;
	o->alloc_req.cpu_num = o->vm.cpu;
	o->alloc_req.memory_size = o->vm.memory;
	o->alloc_req.host_uuid = o->want_host;
	o->alloc_req.zone_uuid = o->vm.zone;
	o->alloc_req.hypervisor_type = o->vm.hypervisor;
	for (size_t i = 0; i < o->vm.n_nics; i++)
		o->l3_ptrs[i] = o->vm.nics[i].l3;
	o->alloc_req.n_l3_network_uuids = o->vm.n_nics;
	o->alloc_req.l3_network_uuids = o->l3_ptrs;
	zs_host_v1_host_allocate_host_bus(vm_op_bus(o), o->node, &o->alloc_req, vm_start_allocated, o);
}

/* The data volumes' install paths (GetVolume each), then a host. */
static void
vm_start_data(int code, const zs_status *st, const Zs__Volume__V1__VolumeInfo *r, void *arg)
{
	vm_op *o = arg;
	if (code != 0) {
		vm_op_failed(o, code, st, NULL, NULL, 0, NULL);
		return;
	}
	if (r != NULL)
		snprintf(o->data_paths[o->data_i++], sizeof o->data_paths[0], "%s", r->install_path);
	if (o->data_i >= o->vm.n_data) {
		vm_start_allocate(o);
		return;
	}
	zs__volume__v1__get_volume_request__init(&o->vol_req);
	o->vol_req.uuid = o->vm.data[o->data_i];
	zs_volume_v1_volume_get_volume_bus(vm_op_bus(o), o->node, &o->vol_req, vm_start_data, o);
}

static void
vm_start_volume(int code, const zs_status *st, const Zs__Volume__V1__VolumeInfo *r, void *arg)
{
	vm_op *o = arg;
	if (code != 0) {
		vm_op_failed(o, code, st, NULL, NULL, 0, NULL);
		return;
	}
	snprintf(o->root_path, sizeof o->root_path, "%s", r->install_path);
	snprintf(o->root_ps, sizeof o->root_ps, "%s", r->primary_storage_uuid);
	if (o->want_host[0] == '\0' && r->host_uuid[0] != '\0') {
		snprintf(o->want_host, sizeof o->want_host, "%s", r->host_uuid);   /* local storage */
		o->want_forced = true;
	} else if (o->want_host[0] == '\0') {
		snprintf(o->want_host, sizeof o->want_host, "%s", o->vm.last_host);
	}
	o->data_i = 0;
	vm_start_data(0, NULL, NULL, o);
}

/* ---- Expunge: the volumes, one after the other ---- */

static void vm_expunge_next(vm_op *o);

static void
vm_expunge_deleted(int code, const zs_status *st, const Zs__Volume__V1__DeleteVolumeResponse *r,
    void *arg)
{
	(void) r;
	vm_op *o = arg;
	if (code != 0 && code != ZS_NOT_FOUND) {
		vm_op_failed(o, code, st, NULL, NULL, 0, NULL);
		return;
	}
	vm_expunge_next(o);
}

static void
vm_expunge_next(vm_op *o)
{
	/* undo_i: 0 the root volume, then the data volumes */
	const char *vol = NULL;
	while (vol == NULL && o->undo_i <= o->vm.n_data) {
		size_t i = o->undo_i++;
		vol = i == 0 ? o->vm.root_volume : o->vm.data[i - 1];
		if (vol[0] == '\0')
			vol = NULL;
	}
	if (vol == NULL) {
		vm_expunge_row(o->call, o->closure, o->vm.uuid);
		vm_op_free(o);
		return;
	}
	zs__volume__v1__delete_volume_request__init(&o->del_req);
	o->del_req.uuid = (char *) vol;
	zs_volume_v1_volume_delete_volume_bus(vm_op_bus(o), o->node, &o->del_req, vm_expunge_deleted,
	    o);
}

/* ---- Recover ---- */

static void
vm_recover_undone(int code, const zs_status *st, void *arg)
{
	(void) code;
	(void) st;
	vm_op_free(arg);
}

static void
vm_recover_allocated(int code, const zs_status *st, void *arg)
{
	vm_op *o = arg;
	if (code != 0) {
		vm_op_failed(o, code, st, NULL, NULL, 0, NULL);
		return;
	}
	zs_db_conn *c = NULL;
	zs_status *rst = NULL;
	int rv = vm_conn(o->vs, &c, &rst);
	if (rv == 0) {
		rv = zs_db_begin(c, &rst);
		for (size_t i = 0; rv == 0 && i < o->vm.n_nics; i++) {
			const vm_nic *n = &o->vm.nics[i];
			const char *p[4] = { n->uuid, n->ip, n->netmask, n->gateway };
			rv = zs_db_run(c, "UPDATE vm_nics SET ip = $2, netmask = $3, gateway = $4, updated_at "
			    "= now() WHERE uuid = $1", 4, p, NULL, &rst);
		}
		if (rv == 0)
			rv = vm_store_transit(c, NULL, o->vs, o->vm.uuid, vm_from_destroyed, "Stopped",
			    "Recover", NULL, NULL, 0, NULL, "vm/recovered", &rst);
		rv = zs_db_end(c, rv, &rst);
		zs_db_release(zs_node_db(o->vs->node), c);
	}
	if (rv != 0) {
		/* another operation came first: the addresses go back */
		vm_fail(o->call, rst);
		vm_nic_release(o->vs, o->vm.nics, o->vm.n_nics, vm_recover_undone, o);
		return;
	}
	vm_op_answer(o);
}

/* ---- after the agent: the host's capacity goes back (Stop, Destroy) ---- */

static void
vm_op_returned(int code, const zs_status *st, const Zs__Host__V1__ReturnHostCapacityResponse *r,
    void *arg)
{
	(void) r;
	vm_op *o = arg;
	if (o->kind == VM_OP_START) {
		/* after a failed start: back to Stopped with the start's failure */
		vm_op_failed(o, o->start_code, o->start_why, NULL, "host_uuid = ''", 0, NULL);
		return;
	}
	if (code != 0 && code != ZS_NOT_FOUND) {
		vm_op_failed(o, code, st, NULL, NULL, 0, NULL);
		return;
	}
	if (o->kind == VM_OP_STOP) {
		const char *p[1] = { o->vm.host };
		vm_op_finish(o, "host_uuid = '', last_host_uuid = $2", 1, p, NULL);
		return;
	}
	/* Destroy: the addresses */
	vm_nic_release(o->vs, o->vm.nics, o->vm.n_nics, vm_destroy_released, o);
}

static void
vm_op_capacity_back(vm_op *o)
{
	zs__host__v1__return_host_capacity_request__init(&o->ret_req);
	o->ret_req.vm_uuid = o->vm.uuid;
	o->ret_req.host_uuid = "";
	zs_host_v1_host_return_host_capacity_bus(vm_op_bus(o), NULL, &o->ret_req, vm_op_returned, o);
}

/* ---- the host's address, then the agent ---- */

static void
vm_op_destroy_done(int code, const zs_status *st, const json_t *reply, void *arg)
{
	(void) reply;
	vm_op *o = arg;
	if (code != 0) {
		vm_op_failed(o, code, st, NULL, NULL, 0, NULL);
		return;
	}
	vm_op_capacity_back(o);
}

static void
vm_op_host_ip(int code, const zs_status *st, const char *ip, void *arg)
{
	vm_op *o = arg;
	if (code != 0) {
		vm_op_failed(o, code, st, NULL, NULL, 0, NULL);
		return;
	}
	snprintf(o->ip, sizeof o->ip, "%s", ip);
	json_t *cmd = json_pack("{s:s}", "vmInstanceUuid", o->vm.uuid);
	switch (o->kind) {
	case VM_OP_STOP: {
		/* a graceful stop leaves half the time that is left for the forced one */
		int64_t half = zs_call_remaining_ms(o->node) / 2;
		int64_t grace = o->stop_timeout_ms < half ? o->stop_timeout_ms : half;
		json_object_set_new(cmd, "type", json_string(o->cold ? "cold" : "grace"));
		json_object_set_new(cmd, "timeout", json_integer(grace / 1000));
		vm_agent_post(o->vs, o->node, o->vm.host, o->ip, "/vm/stop", cmd,
		    o->cold ? 0 : grace > 0 ? grace : 1, vm_stop_done, o);
		return;
	}
	case VM_OP_DESTROY:
		vm_agent_post(o->vs, o->node, o->vm.host, o->ip, "/vm/destroy", cmd, 0,
		    vm_op_destroy_done, o);
		return;
	default:
		vm_agent_post(o->vs, o->node, o->vm.host, o->ip, o->def->path, cmd, 0,
		    vm_op_agent_done, o);
		return;
	}
}

/* ---- the start of every operation ---- */

static void
vm_op_run(zs_call *call, ProtobufCClosure closure, vm_kind kind, const char *uuid,
    void (*prepare)(vm_op *o, const ProtobufCMessage *in), const ProtobufCMessage *in)
{
	vm_state *vs = zs_call_service_data(call);
	vm_op *o = calloc(1, sizeof *o);
	/* the work ends early enough to put the VM back and answer before the deadline */
	int64_t left = zs_call_remaining_ms(call), margin = left / 4 < 2000 ? left / 4 : 2000;
	if (o == NULL ||
	    (o->node = zs_bus_parent_new(call, zs_call_deadline_ms(call) - margin, true)) == NULL) {
		free(o);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	o->vs = vs;
	o->call = call;
	o->closure = closure;
	o->kind = kind;
	o->def = &vm_kinds[kind];
	o->stop_timeout_ms = vs->stop_timeout_ms;
	if (prepare != NULL)
		prepare(o, in);
	zs_db *db = zs_node_db(vs->node);
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0) {
		vm_op_free(o);
		return;
	}
	zs_status *st = NULL;
	int rv = zs_db_begin(c, &st);
	if (rv == 0) {
		/* the passing state (Recover has none: its end is conditional instead) */
		const char *to = o->def->passing != NULL ? o->def->passing : "Destroyed";
		rv = vm_store_transit(c, call, vs, uuid, o->def->from, to, o->def->what, o->prev, NULL,
		    0, NULL, NULL, &st);
		if (rv == 0)
			rv = vm_store_load(c, uuid, &o->vm, &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	if (rv != 0) {
		vm_fail(call, st);
		vm_op_free(o);
		return;
	}
	switch (kind) {
	case VM_OP_START:
		zs__volume__v1__get_volume_request__init(&o->vol_req);
		o->vol_req.uuid = o->vm.root_volume;
		zs_volume_v1_volume_get_volume_bus(vm_op_bus(o), o->node, &o->vol_req, vm_start_volume, o);
		return;
	case VM_OP_RECOVER:
		for (size_t i = 0; i < o->vm.n_nics; i++)
			o->vm.nics[i].ip[0] = '\0';
		vm_nic_allocate(vs, o->node, o->vm.uuid, o->vm.nics, o->vm.n_nics, false,
		    vm_recover_allocated, o);
		return;
	case VM_OP_EXPUNGE:
		vm_expunge_next(o);
		return;
	case VM_OP_DESTROY:
		if (o->vm.host[0] == '\0') {   /* not on a host: its addresses only */
			vm_nic_release(vs, o->vm.nics, o->vm.n_nics, vm_destroy_released, o);
			return;
		}
		/* fall through */
	default:
		vm_agent_host_ip(vs, o->vm.host, vm_op_host_ip, o);
		return;
	}
}

static void
vm_start_prepare(vm_op *o, const ProtobufCMessage *in)
{
	const Zs__Vm__V1__StartVmInstanceRequest *r = (const void *) in;
	snprintf(o->want_host, sizeof o->want_host, "%s", r->host_uuid);
	o->want_forced = r->host_uuid[0] != '\0';
}

static void
vm_stop_prepare(vm_op *o, const ProtobufCMessage *in)
{
	const Zs__Vm__V1__StopVmInstanceRequest *r = (const void *) in;
	o->cold = strcmp(r->type, "Cold") == 0;
	if (r->stop_timeout_ms > 0)
		o->stop_timeout_ms = r->stop_timeout_ms;
}

void
vm_start_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	vm_op_run(call, closure, VM_OP_START,
	    ((const Zs__Vm__V1__StartVmInstanceRequest *) in)->uuid, vm_start_prepare, in);
}

void
vm_stop_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	vm_op_run(call, closure, VM_OP_STOP, ((const Zs__Vm__V1__StopVmInstanceRequest *) in)->uuid,
	    vm_stop_prepare, in);
}

void
vm_reboot_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	vm_op_run(call, closure, VM_OP_REBOOT,
	    ((const Zs__Vm__V1__RebootVmInstanceRequest *) in)->uuid, NULL, in);
}

void
vm_pause_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	vm_op_run(call, closure, VM_OP_PAUSE,
	    ((const Zs__Vm__V1__PauseVmInstanceRequest *) in)->uuid, NULL, in);
}

void
vm_resume_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	vm_op_run(call, closure, VM_OP_RESUME,
	    ((const Zs__Vm__V1__ResumeVmInstanceRequest *) in)->uuid, NULL, in);
}

void
vm_destroy_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	vm_op_run(call, closure, VM_OP_DESTROY,
	    ((const Zs__Vm__V1__DestroyVmInstanceRequest *) in)->uuid, NULL, in);
}

void
vm_recover_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	vm_op_run(call, closure, VM_OP_RECOVER,
	    ((const Zs__Vm__V1__RecoverVmInstanceRequest *) in)->uuid, NULL, in);
}

void
vm_expunge_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	vm_op_run(call, closure, VM_OP_EXPUNGE,
	    ((const Zs__Vm__V1__ExpungeVmInstanceRequest *) in)->uuid, NULL, in);
}
