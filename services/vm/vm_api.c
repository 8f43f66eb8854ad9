/*
 * vm_api.c: the zs.vm.v1.VmInstance API: its table for the resource kit (GetVmInstance,
 * ListVmInstances, UpdateVmInstance and QueryVmInstance run by the kit, the rest are the
 * service's workflows), QueryVmNic, the interceptor vm.check (each request's fields) and
 * the answers and events, each with the VM's NICs and data volumes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "zs/check.h"
#include "zs/event.h"
#include "zs/service.h"

/* ---- the interceptor ---- */

static bool
vm_is(const ProtobufCMessage *m, const ProtobufCMessageDescriptor *d)
{
	return strcmp(m->descriptor->name, d->name) == 0;
}

static int
vm_check_create(zs_call *call, const Zs__Vm__V1__CreateVmInstanceRequest *r)
{
	int rv;
	if ((rv = zs_check_text(call, "name", r->name, VM_NAME_MAX, ZS_TEXT_REQUIRED)) != 0 ||
	    (rv = zs_check_text(call, "description", r->description, VM_TEXT_MAX,
	    ZS_TEXT_MULTILINE)) != 0 ||
	    (rv = zs_check_uuid(call, "image_uuid", r->image_uuid)) != 0)
		return rv;
	if (r->instance_offering_uuid[0] != '\0') {
		if ((rv = zs_check_uuid(call, "instance_offering_uuid", r->instance_offering_uuid)) != 0)
			return rv;
		if (r->cpu_num != 0 || r->memory_size != 0) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "instance_offering_uuid and "
			    "cpu_num/memory_size: give one or the other");
			return ZS_INVALID_ARGUMENT;
		}
	} else if (r->cpu_num <= 0 || r->cpu_num > 1024 || r->memory_size < (16ll << 20) ||
	    r->memory_size > (16ll << 40)) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "cpu_num (%lld) and memory_size (%lld): "
		    "without an instance offering, 1..1024 CPUs and 16 MiB..16 TiB of memory are "
		    "required", (long long) r->cpu_num, (long long) r->memory_size);
		return ZS_INVALID_ARGUMENT;
	}
	if (r->n_l3_network_uuids == 0 || r->n_l3_network_uuids > VM_L3_MAX) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "l3_network_uuids: %zu given, 1..%d "
		    "required", r->n_l3_network_uuids, VM_L3_MAX);
		return ZS_INVALID_ARGUMENT;
	}
	for (size_t i = 0; i < r->n_l3_network_uuids; i++) {
		if ((rv = zs_check_uuid(call, "l3_network_uuids", r->l3_network_uuids[i])) != 0)
			return rv;
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->l3_network_uuids[i], r->l3_network_uuids[j]) == 0) {
				zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "l3_network_uuids: %s is "
				    "given twice", r->l3_network_uuids[i]);
				return ZS_INVALID_ARGUMENT;
			}
	}
	if (r->n_data_disk_sizes > VM_DATA_MAX) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "data_disk_sizes: %zu given, at most %d",
		    r->n_data_disk_sizes, VM_DATA_MAX);
		return ZS_INVALID_ARGUMENT;
	}
	for (size_t i = 0; i < r->n_data_disk_sizes; i++)
		if (r->data_disk_sizes[i] <= 0 || r->data_disk_sizes[i] > (1ll << 50)) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "data_disk_sizes: %lld is not a "
			    "size in bytes (1..1 PiB)", (long long) r->data_disk_sizes[i]);
			return ZS_INVALID_ARGUMENT;
		}
	const char *opt[][2] = { { "zone_uuid", r->zone_uuid }, { "cluster_uuid", r->cluster_uuid },
	    { "host_uuid", r->host_uuid }, { "uuid", r->uuid },
	    { "primary_storage_uuid", r->primary_storage_uuid } };
	for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
		if (opt[i][1][0] != '\0' && (rv = zs_check_uuid(call, opt[i][0], opt[i][1])) != 0)
			return rv;
	if (r->strategy[0] != '\0' && strcmp(r->strategy, "InstantStart") != 0 &&
	    strcmp(r->strategy, "CreateStopped") != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "strategy: \"%s\" is not InstantStart "
		    "or CreateStopped", r->strategy);
		return ZS_INVALID_ARGUMENT;
	}
	return 0;
}

static int
vm_check_request(zs_call *call, const ProtobufCMessage *req, void *arg)
{
	(void) arg;
	if (vm_is(req, &zs__vm__v1__create_vm_instance_request__descriptor))
		return vm_check_create(call, (const void *) req);
	if (vm_is(req, &zs__vm__v1__stop_vm_instance_request__descriptor)) {
		const Zs__Vm__V1__StopVmInstanceRequest *r = (const void *) req;
		if (r->type[0] != '\0' && strcmp(r->type, "Grace") != 0 && strcmp(r->type, "Cold") != 0) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "type: \"%s\" is not Grace or Cold",
			    r->type);
			return ZS_INVALID_ARGUMENT;
		}
		if (r->stop_timeout_ms < 0 || r->stop_timeout_ms > 3600000) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "stop_timeout_ms: %lld is not in "
			    "[0, 3600000]", (long long) r->stop_timeout_ms);
			return ZS_INVALID_ARGUMENT;
		}
	}
	if (vm_is(req, &zs__vm__v1__start_vm_instance_request__descriptor)) {
		const char *h = ((const Zs__Vm__V1__StartVmInstanceRequest *) req)->host_uuid;
		if (h[0] != '\0')
			return zs_check_uuid(call, "host_uuid", h);
	}
	return 0;
}

ZS_EXPORT const zs_interceptor vm_check = { vm_check_request, NULL };

/* ---- answers ---- */

void
vm_fail(zs_call *call, zs_status *st)
{
	if (st == NULL)
		st = zs_status_new(ZS_INTERNAL, NULL, "failed without saying why");
	zs_rkit_fail(call, st);
}

int
vm_conn(vm_state *vs, zs_db_conn **c, zs_status **st)
{
	return zs_db_acquire(zs_node_db(vs->node), VM_DB_WAIT_MS, c, st);
}

/* A VmInstanceInfo with its NICs and data volumes, and what its strings point into. */
typedef struct vm_info {
	Zs__Vm__V1__VmInstanceInfo info;
	Zs__Vm__V1__VmNicInfo nics[VM_L3_MAX];
	Zs__Vm__V1__VmNicInfo *nic_ptrs[VM_L3_MAX];
	char *data[VM_DATA_MAX];
	PGresult *row, *nic_rows, *data_rows;
} vm_info;

static void
vm_info_clear(vm_info *v)
{
	PQclear(v->row);
	PQclear(v->nic_rows);
	PQclear(v->data_rows);
}

/* Adds uuid's NICs and data volumes to info (rows kept in *nic_rows, *data_rows). */
static int
vm_info_more(zs_db_conn *c, const char *uuid, Zs__Vm__V1__VmInstanceInfo *info,
    Zs__Vm__V1__VmNicInfo *nics, Zs__Vm__V1__VmNicInfo **nic_ptrs, char **data,
    PGresult **nic_rows, PGresult **data_rows, zs_status **st)
{
	const char *p[1] = { uuid };
	int rv = zs_db_run(c, "SELECT " VM_NIC_COLUMNS " FROM vm_nics WHERE vm_instance_uuid = $1 "
	    "ORDER BY device_id", 1, p, nic_rows, st);
	if (rv == 0)
		rv = zs_db_run(c, "SELECT volume_uuid FROM vm_data_volumes WHERE vm_instance_uuid = $1 "
		    "ORDER BY device_id", 1, p, data_rows, st);
	if (rv != 0)
		return rv;
	int n = PQntuples(*nic_rows);
	for (int i = 0; i < n && i < VM_L3_MAX; i++) {
		zs__vm__v1__vm_nic_info__init(&nics[i]);
		zs_rkit_from_row(*nic_rows, i, &nics[i].base);
		nic_ptrs[i] = &nics[i];
	}
	info->n_vm_nics = (size_t) (n < VM_L3_MAX ? n : VM_L3_MAX);
	info->vm_nics = nic_ptrs;
	int d = PQntuples(*data_rows);
	for (int i = 0; i < d && i < VM_DATA_MAX; i++)
		data[i] = PQgetvalue(*data_rows, i, 0);
	info->n_data_volume_uuids = (size_t) (d < VM_DATA_MAX ? d : VM_DATA_MAX);
	info->data_volume_uuids = data;
	return 0;
}

static int
vm_info_load(zs_db_conn *c, const char *uuid, vm_info *v, zs_status **st)
{
	memset(v, 0, sizeof *v);
	zs__vm__v1__vm_instance_info__init(&v->info);
	const char *p[1] = { uuid };
	int rv = zs_db_exec_one(c, vm_def.sql_get, 1, p, "VM", uuid, &v->row, st);
	if (rv != 0)
		return rv;
	zs_rkit_from_row(v->row, 0, &v->info.base);
	return vm_info_more(c, uuid, &v->info, v->nics, v->nic_ptrs, v->data, &v->nic_rows,
	    &v->data_rows, st);
}

void
vm_answer(zs_call *call, ProtobufCClosure closure, const char *uuid)
{
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	if (zs_db_acquire(zs_node_db(zs_call_node(call)), VM_DB_WAIT_MS, &c, &st) != 0) {
		vm_fail(call, st);
		return;
	}
	vm_info v;
	int rv = vm_info_load(c, uuid, &v, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0)
		vm_fail(call, st);
	else
		closure(&v.info.base, call);
	vm_info_clear(&v);
}

/* A copy of info that owns its memory (packed, then unpacked); NULL when out of memory. */
static Zs__Vm__V1__VmInstanceInfo *
vm_info_copy(const Zs__Vm__V1__VmInstanceInfo *info)
{
	size_t len = zs__vm__v1__vm_instance_info__get_packed_size(info);
	uint8_t *buf = malloc(len + 1);
	if (buf == NULL)
		return NULL;
	zs__vm__v1__vm_instance_info__pack(info, buf);
	Zs__Vm__V1__VmInstanceInfo *out = zs__vm__v1__vm_instance_info__unpack(NULL, len, buf);
	free(buf);
	return out;
}

int
vm_publish_keep(zs_db_conn *c, zs_node *node, const char *topic, const char *uuid,
    Zs__Vm__V1__VmInstanceInfo **out, zs_status **st)
{
	vm_info v;
	int rv = vm_info_load(c, uuid, &v, st);
	if (rv == 0)
		rv = zs_event_publish_tx(c, zs_node_events(node), topic, uuid, v.info.owner_uuid,
		    &v.info.base, st);
	if (rv == 0 && out != NULL && (*out = vm_info_copy(&v.info)) == NULL) {
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		rv = ZS_RESOURCE_EXHAUSTED;
	}
	vm_info_clear(&v);
	return rv;
}

int
vm_publish(zs_db_conn *c, zs_node *node, const char *topic, const char *uuid, zs_status **st)
{
	return vm_publish_keep(c, node, topic, uuid, NULL, st);
}

void
vm_expunge_row(zs_call *call, ProtobufCClosure closure, const char *uuid)
{
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	if (zs_db_acquire(db, VM_DB_WAIT_MS, &c, &st) != 0) {
		vm_fail(call, st);
		return;
	}
	vm_info v;
	int rv = zs_db_begin(c, &st);
	if (rv == 0) {
		rv = vm_info_load(c, uuid, &v, &st);
		if (rv == 0)
			rv = zs_event_publish_tx(c, zs_node_events(zs_call_node(call)), "vm/expunged", uuid,
			    v.info.owner_uuid, &v.info.base, &st);
		if (rv == 0)
			rv = zs_resource_delete(c, uuid, &st);
		rv = zs_db_end(c, rv, &st);
	} else {
		memset(&v, 0, sizeof v);
	}
	zs_db_release(db, c);
	if (rv != 0) {
		vm_fail(call, st);
	} else {
		Zs__Vm__V1__ExpungeVmInstanceResponse out = ZS__VM__V1__EXPUNGE_VM_INSTANCE_RESPONSE__INIT;
		out.vm_instance = &v.info;
		closure(&out.base, call);
	}
	vm_info_clear(&v);
}

/* The kit's get_more: GetVmInstance answers the NICs and data volumes too. */
typedef struct vm_more {
	Zs__Vm__V1__VmNicInfo nics[VM_L3_MAX];
	Zs__Vm__V1__VmNicInfo *nic_ptrs[VM_L3_MAX];
	char data[VM_DATA_MAX][ZS_UUID_LEN];
	char *data_ptrs[VM_DATA_MAX];
	char nic_text[VM_L3_MAX][10][72];
	Google__Protobuf__Timestamp nic_times[VM_L3_MAX][2];   /* create_date, last_op_date */
} vm_more;

static int
vm_get_more(zs_call *call, zs_db_conn *c, ProtobufCMessage *m, void **owned, zs_status **st)
{
	(void) call;
	Zs__Vm__V1__VmInstanceInfo *info = (void *) m;
	vm_more *x = calloc(1, sizeof *x);
	if (x == NULL)
		return ZS_RESOURCE_EXHAUSTED;
	*owned = x;
	PGresult *nr = NULL, *dr = NULL;
	char *data[VM_DATA_MAX] = { 0 };
	int rv = vm_info_more(c, info->uuid, info, x->nics, x->nic_ptrs, data, &nr, &dr, st);
	if (rv == 0) {
		/* the rows go before the answer: copy their strings into x */
		for (size_t i = 0; i < info->n_vm_nics; i++) {
			Zs__Vm__V1__VmNicInfo *n = &x->nics[i];
			char **f[] = { &n->uuid, &n->vm_instance_uuid, &n->l3_network_uuid, &n->ip,
			    &n->netmask, &n->gateway, &n->mac, &n->owner_uuid };
			for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
				snprintf(x->nic_text[i][k], sizeof x->nic_text[i][k], "%s", *f[k]);
				*f[k] = x->nic_text[i][k];
			}
			Google__Protobuf__Timestamp **t[] = { &n->create_date, &n->last_op_date };
			for (size_t k = 0; k < 2; k++)
				if (*t[k] != NULL) {   /* in the rows too */
					x->nic_times[i][k] = **t[k];
					*t[k] = &x->nic_times[i][k];
				}
		}
		for (size_t i = 0; i < info->n_data_volume_uuids; i++) {
			snprintf(x->data[i], sizeof x->data[i], "%s", data[i]);
			x->data_ptrs[i] = x->data[i];
		}
		info->data_volume_uuids = x->data_ptrs;
	} else {
		info->n_vm_nics = 0;
		info->n_data_volume_uuids = 0;
	}
	PQclear(nr);
	PQclear(dr);
	return rv;
}

/* ---- the table ---- */

static const char *const vm_q_states[] = { "Created", "Starting", "Running", "Stopping",
	"Stopped", "Rebooting", "Pausing", "Paused", "Resuming", "Destroying", "Destroyed",
	"Expunging", "Migrating", "Unknown", NULL };

#define VM_Q_NIC "SELECT 1 FROM vm_nics r WHERE r.vm_instance_uuid = t.uuid"
#define VM_Q_HOST "SELECT 1 FROM host_hosts r WHERE r.uuid = t.host_uuid"
static const zs_query_field vm_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "description", "t.description", ZS_QUERY_TEXT, NULL, NULL, NULL },
	/* "" when none: text, so that = "" can be asked */
	{ "zone_uuid", "t.zone_uuid", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "cluster_uuid", "t.cluster_uuid", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "host_uuid", "t.host_uuid", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "last_host_uuid", "t.last_host_uuid", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "image_uuid", "t.image_uuid", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "instance_offering_uuid", "t.instance_offering_uuid", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "cpu_num", "t.cpu_num", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "memory_size", "t.memory_size", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "root_volume_uuid", "t.root_volume_uuid", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "state", "t.state", ZS_QUERY_ENUM, vm_q_states, NULL, NULL },
	{ "hypervisor_type", "t.hypervisor_type", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "vm_nics.uuid", "r.uuid", ZS_QUERY_UUID, NULL, VM_Q_NIC, NULL },
	{ "vm_nics.ip", "r.ip", ZS_QUERY_TEXT, NULL, VM_Q_NIC, NULL },
	{ "vm_nics.mac", "r.mac", ZS_QUERY_TEXT, NULL, VM_Q_NIC, NULL },
	{ "vm_nics.l3_network_uuid", "r.l3_network_uuid", ZS_QUERY_UUID, NULL, VM_Q_NIC, NULL },
	{ "host.uuid", "r.uuid", ZS_QUERY_UUID, NULL, VM_Q_HOST, NULL },
	{ "host.name", "r.name", ZS_QUERY_TEXT, NULL, VM_Q_HOST, NULL },
	{ "host.management_ip", "r.management_ip", ZS_QUERY_TEXT, NULL, VM_Q_HOST, NULL },
	{ "root_volume.size", "r.size", ZS_QUERY_INT, NULL,
	  "SELECT 1 FROM volume_volumes r WHERE r.uuid = t.root_volume_uuid", NULL },
	{ "tags.tag", "r.tag", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zs_tags r WHERE r.resource_uuid = t.uuid", NULL },
};

static const zs_query_table vm_query = {
	"VM", "vm_instances t", "t.owner_uuid", "t.created_at", "t.uuid", vm_query_fields,
	sizeof vm_query_fields / sizeof vm_query_fields[0], NULL,
};

/* QueryVmNic: the NICs of the account's VMs, their VM by dot path. */
#define VM_Q_VM "SELECT 1 FROM vm_instances r WHERE r.uuid = t.vm_instance_uuid"
static const zs_query_field vm_nic_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "vm_instance_uuid", "t.vm_instance_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "l3_network_uuid", "t.l3_network_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "ip", "t.ip", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "netmask", "t.netmask", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "gateway", "t.gateway", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "mac", "t.mac", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "device_id", "t.device_id", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "vm_instance.name", "r.name", ZS_QUERY_TEXT, NULL, VM_Q_VM, "r.owner_uuid" },
	{ "vm_instance.state", "r.state", ZS_QUERY_ENUM, vm_q_states, VM_Q_VM, "r.owner_uuid" },
	{ "vm_instance.host_uuid", "r.host_uuid", ZS_QUERY_TEXT, NULL, VM_Q_VM, "r.owner_uuid" },
};

static const zs_query_table vm_nic_query = {
	"VM NIC", "vm_nics t", "t.owner_uuid", "t.created_at", "t.uuid", vm_nic_query_fields,
	sizeof vm_nic_query_fields / sizeof vm_nic_query_fields[0], NULL,
};

static void
vm_query_nics(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	zs_query_call(call, zs_node_db(zs_call_node(call)), &vm_nic_query, 0, in,
	    &zs__vm__v1__vm_nic_info__descriptor, &zs__vm__v1__query_vm_nic_response__descriptor,
	    closure);
}

static const zs_rkit_op vm_ops[] = {
	{ ZS_RKIT_CUSTOM, vm_create }, { ZS_RKIT_GET, NULL }, { ZS_RKIT_LIST, NULL },
	{ ZS_RKIT_UPDATE, NULL }, { ZS_RKIT_CUSTOM, vm_destroy_vm },
	{ ZS_RKIT_CUSTOM, vm_start_vm }, { ZS_RKIT_CUSTOM, vm_stop_vm },
	{ ZS_RKIT_CUSTOM, vm_reboot_vm }, { ZS_RKIT_CUSTOM, vm_pause_vm },
	{ ZS_RKIT_CUSTOM, vm_resume_vm }, { ZS_RKIT_CUSTOM, vm_recover_vm },
	{ ZS_RKIT_CUSTOM, vm_expunge_vm }, { ZS_RKIT_CUSTOM, vm_migrate_vm },
	{ ZS_RKIT_CUSTOM, vm_attach_volume }, { ZS_RKIT_CUSTOM, vm_detach_volume },
	{ ZS_RKIT_CUSTOM, vm_attach_l3 }, { ZS_RKIT_CUSTOM, vm_detach_l3 },
	{ ZS_RKIT_CUSTOM, vm_change_offering }, { ZS_RKIT_QUERY, NULL },
	{ ZS_RKIT_CUSTOM, vm_query_nics },
};

const zs_rkit_def vm_def = {
	.type = VM_TYPE, .what = "vm", .name_max = VM_NAME_MAX, .description_max = VM_TEXT_MAX,
	.sql_get = ZS_RKIT_SQL_GET("vm_instances", VM_COLUMNS),
	.sql_list = ZS_RKIT_SQL_LIST("vm_instances", VM_COLUMNS),
	.sql_update = ZS_RKIT_SQL_UPDATE("vm_instances", VM_COLUMNS),
	.get_more = vm_get_more,
	.info = &zs__vm__v1__vm_instance_info__descriptor, .query = &vm_query,
	.ops = vm_ops, .n_ops = sizeof vm_ops / sizeof vm_ops[0],
};

ZS_EXPORT zs_rkit_service vm_service =
    ZS_RKIT_SERVICE(&zs__vm__v1__vm_instance__descriptor, &vm_def);
