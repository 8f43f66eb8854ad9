/*
 * vm.h: what the VM service's files share: its state and agent URLs (vm_main.c), the
 * resource table, interceptor, answers and events (vm_api.c), the rows and their state
 * changes (vm_store.c), NICs (vm_nic.c), commands to the hosts' agents (vm_agent.c),
 * CreateVmInstance (vm_create.c), the lifecycle (vm_lifecycle.c), the reconcile at
 * start (vm_reconcile.c, vm_reconcile_mig.c for a migration cut), MigrateVm (vm_migrate.c), the host maintenance's migrations
 * (vm_maintain.c) and attaching devices (vm_device.c). Nothing here is seen outside the plugin.
 */
#ifndef VM_H
#define VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <pthread.h>
#include <libpq-fe.h>

#include "vm_decode.h"
#include "zs/agent.h"
#include "zs/call.h"
#include "zs/db.h"
#include "zs/node.h"
#include "zs/resource.h"
#include "zs/resource_kit.h"
#include "zs/status.h"
#include "zs/vm/v1/vm.pb-c.h"

#define VM_TYPE "VmInstance"            /* the resource type in zs_resources */
#define VM_NAME_MAX 255
#define VM_TEXT_MAX 2048
#define VM_L3_MAX 8                     /* NICs of one VM */
#define VM_DATA_MAX 8                   /* data volumes made with one VM */
#define VM_URL_MAX 512
#define VM_PATH_MAX 1024                /* a volume's install path */
#define VM_DB_WAIT_MS 10000             /* a connection for steps that must run (rollbacks) */
#define VM_AGENT_TIMEOUT_MS 30000       /* a command sent as the node (undo, reconcile) */
#define VM_STOP_TIMEOUT_MS 60000        /* a graceful stop's wait before it is forced */
#define VM_SYNC_INTERVAL_MS 60000       /* vm.sync.interval: the periodic sync with the hosts */

#define VM_COLUMNS \
	"uuid, name, description, zone_uuid, cluster_uuid, host_uuid, last_host_uuid, " \
	"image_uuid, instance_offering_uuid, cpu_num, memory_size, root_volume_uuid, state, " \
	"hypervisor_type, owner_uuid, " ZS_RKIT_SQL_TIMES

#define VM_NIC_COLUMNS \
	"uuid, vm_instance_uuid, l3_network_uuid, ip, netmask, gateway, mac, device_id, " \
	"owner_uuid, " ZS_RKIT_SQL_TIMES

#define VM_BRIDGES_MAX 64                /* L3 networks whose bridge a node remembers */

/* The bridge of an L3 network (its L2's interface and VLAN), remembered: neither can
 * change while the L3 network lives, and its uuid is never given again. */
typedef struct vm_bridges {
	pthread_mutex_t lock;
	size_t n, next;
	struct {
		char l3[64];
		char bridge[32];
	} at[VM_BRIDGES_MAX];
} vm_bridges;

/* The plugin's state (zs_service_set_data), read only once started. */
typedef struct vm_state {
	zs_node *node;
	zs_agent_addr agent;               /* where the agents listen (KvmAgent.*) */
	int64_t stop_timeout_ms;           /* vm.stop.timeout */
	struct vm_reconcile *reconcile;    /* the reconcile at start (vm_reconcile.c) */
	struct vm_sync *sync;              /* the sync with the hosts (vm_sync.c) */
	vm_bridges bridges;                /* NICs' bridges already asked for (vm_nic.c) */
} vm_state;

/* ---- vm_api.c ---- */

extern const zs_rkit_def vm_def;

/* A connection that does not depend on a call's deadline (rollbacks, last steps). */
int vm_conn(vm_state *vs, zs_db_conn **c, zs_status **st);
/* Answers call with uuid's VmInstanceInfo (NICs and data volumes included). */
void vm_answer(zs_call *call, ProtobufCClosure closure, const char *uuid);
/* Expunges uuid: vm/expunged, its NICs, row and resource go in one transaction; answers
 * call with an ExpungeVmInstanceResponse of the VM as it was. */
void vm_expunge_row(zs_call *call, ProtobufCClosure closure, const char *uuid);
/* Writes topic about uuid with its VmInstanceInfo, in c's transaction. */
int vm_publish(zs_db_conn *c, zs_node *node, const char *topic, const char *uuid,
    zs_status **st);
/* vm_publish that also gives the VM as published (*out, the caller's: free it with
 * zs__vm__v1__vm_instance_info__free_unpacked), to answer with once the transaction
 * committed, without reading its rows again. */
int vm_publish_keep(zs_db_conn *c, zs_node *node, const char *topic, const char *uuid,
    Zs__Vm__V1__VmInstanceInfo **out, zs_status **st);
/* Fails call with st (taken; NULL: INTERNAL). */
void vm_fail(zs_call *call, zs_status *st);

/* ---- vm_store.c: a VM as the flows read it ---- */

typedef struct vm_nic {
	char uuid[ZS_UUID_LEN];
	char l3[64], ip[64], netmask[64], gateway[64], mac[24], bridge[32];
	int device_id;
} vm_nic;

typedef struct vm_row {
	char uuid[ZS_UUID_LEN];
	char name[VM_NAME_MAX + 1];
	char state[16], owner[64];
	char zone[64], cluster[64], host[64], last_host[64];
	char image[64], root_volume[64], hypervisor[32];
	int64_t cpu, memory;
	size_t n_nics;
	vm_nic nics[VM_L3_MAX];
	size_t n_data;
	char data[VM_DATA_MAX][ZS_UUID_LEN];
} vm_row;

/* Loads uuid (with NICs and data volumes) into *out; NOT_FOUND when there is none. */
int vm_store_load(zs_db_conn *c, const char *uuid, vm_row *out, zs_status **st);
/*
 * Moves uuid from one of the states of from (NULL-terminated) to to, with vm/stateChanged,
 * in one transaction, as the call sees it (NOT_FOUND for another account's VM) unless
 * call is NULL; a VM in another state is FAILED_PRECONDITION naming it and what (the
 * operation). The state it had goes to prev (may be NULL; 16 bytes). Any columns of
 * set (SQL "host_uuid = $2"-style, params p2 from $2; may be NULL) change with it, and
 * topic (may be NULL) goes out too ("vm/destroyed").
 */
int vm_store_transit(zs_db_conn *c, const zs_call *call, vm_state *vs, const char *uuid,
    const char *const *from, const char *to, const char *what, char prev[16],
    const char *set, int n, const char *const *p, const char *topic, zs_status **st);
/* The same on a connection of its own. */
int vm_store_transit_conn(vm_state *vs, const zs_call *call, const char *uuid,
    const char *const *from, const char *to, const char *what, char prev[16],
    const char *set, int n, const char *const *p, const char *topic, zs_status **st);

/* ---- vm_nic.c ---- */

/* A new MAC address "fa:xx:xx:xx:xx:xx" (random; the unique index catches a repeat). */
void vm_nic_mac(char out[24]);
/* The bridge of an L2 network on every host ("br_eth0", "br_eth0_100"). */
void vm_nic_bridge(const char *iface, int vlan, char out[32]);
/* Inserts nic as a NIC of vm (owner owner) in c's transaction; a MAC taken already is
 * made again (up to 8 times). */
int vm_nic_insert(zs_db_conn *c, const char *vm, const char *owner, vm_nic *nic,
    zs_status **st);

/* Looks up the bridges of the NICs' L3 networks and allocates their addresses (each its
 * own AllocateIp keyed by the NIC's uuid and marked for VM vm, over the bus as parent,
 * which may be NULL: the node), one after the other; done(code, st, arg) runs once on a
 * worker (st borrowed). On failure the addresses already allocated are given back before
 * done. */
typedef void (*vm_nic_fn)(int code, const zs_status *st, void *arg);
void vm_nic_allocate(vm_state *vs, const zs_call *parent, const char *vm, vm_nic *nics,
    size_t n, bool bridges, vm_nic_fn done, void *arg);
/* Gives the addresses of nics back (as the node), one after the other; done as above,
 * with the first failure (NOT_FOUND, already given back, counts as done). */
void vm_nic_release(vm_state *vs, vm_nic *nics, size_t n, vm_nic_fn done, void *arg);
/* The agent's form of nics ([{mac, ip, netmask, gateway, bridgeName, l3NetworkUuid,
 * deviceId}]): a new reference. */
json_t *vm_nic_json(const vm_nic *nics, size_t n);

/* ---- vm_agent.c ---- */

/* done runs once, on a worker: code 0 with the agent's answer (borrowed), or the failure
 * (st borrowed: the facility's status naming host, path and the agent's error). */
typedef void (*vm_agent_fn)(int code, const zs_status *st, const json_t *reply, void *arg);
/* Posts cmd (taken) to path on the agent of host (uuid, ip), asynchronously with a
 * callback. call (may be NULL) bounds it; else timeout_ms (0: VM_AGENT_TIMEOUT_MS). */
void vm_agent_post(vm_state *vs, const zs_call *call, const char *host, const char *ip,
    const char *path, json_t *cmd, int64_t timeout_ms, vm_agent_fn done, void *arg);
/* The management IP of host (GetHost as the node); done as vm_agent_fn with reply NULL
 * and the address in ip (borrowed). */
typedef void (*vm_host_ip_fn)(int code, const zs_status *st, const char *ip, void *arg);
void vm_agent_host_ip(vm_state *vs, const char *host, vm_host_ip_fn done, void *arg);
/* The /vm/start command of vm (root volume path, data volumes with their install paths,
 * data_paths[i] the path of vm->data[i], as ZStack's StartVmCmd has them; NICs). */
json_t *vm_agent_start_cmd(const vm_row *vm, const char *root_path, const char *root_ps,
    const char (*data_paths)[VM_PATH_MAX]);

/* ---- vm_create.c ---- */

void vm_create(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* ---- vm_lifecycle.c ---- */

void vm_start_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void vm_stop_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void vm_reboot_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void vm_pause_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void vm_resume_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void vm_destroy_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void vm_recover_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void vm_expunge_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* ---- vm_migrate.c ---- */

/* done runs once, on a worker: 0 with the host the VM runs on now, or the failure (st
 * borrowed; the VM runs where it ran, its capacity as before). */
typedef void (*vm_migrate_fn)(int code, const zs_status *st, const char *host, void *arg);
/* Migrates Running VM uuid to host (NULL or "": any of its cluster but its own). parent
 * bounds it (its deadline; it must outlive done); check (may be NULL) is the call whose
 * account must see the VM. Any thread. */
void vm_migrate_run(vm_state *vs, const zs_call *parent, const zs_call *check, const char *uuid,
    const char *host, vm_migrate_fn done, void *arg);
void vm_migrate_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* ---- vm_device.c ---- */

void vm_attach_volume(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void vm_detach_volume(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void vm_attach_l3(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void vm_detach_l3(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void vm_change_offering(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* ---- vm_reconcile.c ---- */

/* Checks the VMs left in a passing state (Starting, Stopping, ...) against their hosts'
 * agents and sets what the hosts say; runs on a worker soon after start. */
int vm_reconcile_start(vm_state *vs);
/* Waits (30 s at most) for a reconcile in progress: 0, or -1 when it still runs (vs must
 * then stay). */
int vm_reconcile_stop(vm_state *vs);

/* ---- vm_reconcile_mig.c ---- */

/* Sets VM uuid, left Migrating from host src to host dst ("" unknown), to where it runs
 * (/vm/vmsync on both), the other host's capacity given back; done(arg) runs once, on
 * any thread, when it is through (logged either way). */
typedef void (*vm_rec_mig_fn)(void *arg);
void vm_reconcile_mig(vm_state *vs, const char *uuid, const char *src, const char *dst,
    vm_rec_mig_fn done, void *arg);

/* ---- vm_unmake.c ---- */

/* Undoes what an unfinished CreateVmInstance of uuid made (volumes, storage room, host
 * capacity, the row), as the node; done(code, st borrowed, arg) once, on a worker. */
typedef void (*vm_unmake_fn)(int code, const zs_status *st, void *arg);
void vm_unmake(vm_state *vs, const char *uuid, vm_unmake_fn done, void *arg);

/* ---- vm_sync.c ---- */

/* The periodic sync with the hosts (vm.sync.interval); the host status notices
 * (zs.HostStatusExtension) work once it runs. 0, or -1 with err. */
int vm_sync_start(vm_state *vs, char *err, size_t errlen);
/* Waits (30 s at most) for the syncs in flight: 0, or -1 when some still run (vs must
 * then stay). */
int vm_sync_stop(vm_state *vs);

#endif
