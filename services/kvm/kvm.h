/*
 * kvm.h: what the kvm plugin's files share: its state and agent URLs (kvm_main.c), the
 * API and its interceptor (kvm_api.c), maintenance (kvm_maintain.c), connecting a host to
 * its agent (kvm_connect.c), the database side of a host's status (kvm_store.c), the ping
 * tracker (kvm_tracker.c) and the host allocator's filter, sorter and reservations
 * (kvm_alloc.c). Nothing here is seen outside the plugin.
 */
#ifndef KVM_H
#define KVM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "zs/agent.h"
#include "zs/call.h"
#include "zs/db.h"
#include "zs/kvm/v1/kvm.pb-c.h"
#include "zs/node.h"
#include "zs/status.h"

#define KVM_HOST_TYPE "Host"
#define KVM_URL_MAX 512
#define KVM_AGENT_VERSION "zsnode-1"   /* what the node tells the agent on connect */

typedef struct kvm_tracker kvm_tracker;

/* The plugin's state (zs_service_set_data), read only once started, but tracker. */
typedef struct kvm_state {
	zs_node *node;
	zs_agent_addr agent;               /* where the agents listen (KvmAgent.*) */
	int64_t ping_interval_ms, ping_timeout_ms, connect_timeout_ms;
	long max_failure;
	bool ping_async;                   /* host.ping.async */
	kvm_tracker *tracker;
	pthread_mutex_t maint_lock;        /* guards maint */
	struct kvm_maint *maint;           /* the maintenances this node runs (kvm_maintain.c) */
} kvm_state;

/* ---- kvm_main.c ---- */

/* The URL of path ("/host/connect") on the agent at ip; 0, or -1 when it does not fit. */
int kvm_url(const kvm_state *ks, const char *ip, const char *path, char *buf, size_t len);

/* ---- kvm_api.c ---- */

/* Answers call with uuid's KvmHostInfo as it is now (a worker thread). */
void kvm_api_answer(zs_call *call, ProtobufCClosure closure, const char *uuid);

/* ---- kvm_maintain.c ---- */

/* ChangeHostState maintain of host uuid, whose state the caller read (Enabled or
 * Disabled): PreMaintenance, the zs.HostMaintenanceExtension implementations, then
 * Maintenance; on failure the host goes back to state and the call fails with KVM.1005.
 * Answers call, later. A worker thread. */
void kvm_maintain(zs_call *call, ProtobufCClosure closure, const char *uuid, const char *state);
/* True while this node runs the maintenance of host uuid. A host in PreMaintenance that
 * none runs was left so by a node that stopped in the middle: its state may change
 * again (the calls for a host are run by the node that owns it). Any thread. */
bool kvm_maintaining(kvm_state *ks, const char *uuid);

/* ---- kvm_connect.c ---- */

/* Called once, on a worker thread, with 0 (the host is Connected, in the database, with its
 * tags and capacity) or a code with st (taken by the callee). */
typedef void (*kvm_connect_fn)(int code, zs_status *st, void *arg);

/* Connects host uuid at ip: /host/connect (synchronous), /host/fact and /host/capacity
 * (asynchronous), then kvm_store_connected. call (may be NULL) bounds it with its
 * deadline, else host.connect.timeout does. Never blocks; any thread. */
void kvm_connect(kvm_state *ks, const char *uuid, const char *ip, const zs_call *call,
    kvm_connect_fn done, void *arg);


/* ---- kvm_store.c (worker threads: they block on the database) ---- */

/* The host's KvmHostInfo columns (and owner_uuid) in *row (caller PQclears); NOT_FOUND
 * when uuid is no KVM host. */
int kvm_store_row(zs_db_conn *c, const char *uuid, PGresult **row, zs_status **st);

/* Writes topic (may be NULL: none) about uuid with its KvmHostInfo, in c's transaction. */
int kvm_store_event(kvm_state *ks, zs_db_conn *c, const char *uuid, const char *topic,
    zs_status **st);

/* Records a new KVM host (kvm_hosts row) as Connecting, with host/connecting, in c's
 * open transaction (AddHost's). */
int kvm_store_new(kvm_state *ks, zs_db_conn *c, const char *uuid, const char *username,
    int ssh_port, zs_status **st);
/* Removes the host's capacity and kvm_hosts rows, in c's open transaction (DeleteHost's;
 * its tags go with its resource). */
int kvm_store_remove(zs_db_conn *c, const char *uuid, zs_status **st);

/* Sets the host's status (and why, "" when none), in one transaction with topic's event
 * (NULL: none; also none when the status did not change and only_on_change is set). */
int kvm_store_status(kvm_state *ks, const char *uuid, const char *status, const char *reason,
    const char *topic, bool only_on_change, zs_status **st);

/* Tells the zs.HostStatusExtension implementations (zs/host_ext.h) that host uuid at ip
 * went from old_status to new_status (committed). Never blocks. */
void kvm_store_notify(kvm_state *ks, const char *uuid, const char *ip, const char *old_status,
    const char *new_status);
/* Moves the host's state to `to` (with host/stateChanged when it changes), in one
 * transaction that locks the host's row. from (NULL: any) is the state the caller saw:
 * when the host is in another one now, nothing changes and the answer is
 * FAILED_PRECONDITION (KVM.1004). was (may be NULL) gets the state it had. */
int kvm_store_state(kvm_state *ks, const char *uuid, const char *from, const char *to,
    char *was, size_t was_len, zs_status **st);

/* The host answered connect, facts (a JSON object) and capacity: tags, the capacity row
 * and Connected, with host/connected, in one transaction. The available figures are
 * worked out from the totals, kvm.reservedMemory and the host's reservations, not from
 * what the agent says is used (it knows only the VMs already started: a VM being made
 * holds a reservation the agent has not seen). */
int kvm_store_connected(kvm_state *ks, const char *uuid, const json_t *facts,
    const json_t *capacity, zs_status **st);

/* Looks again at kvm.reservedMemory in force for every host with a capacity row and moves
 * the reserve of those where it changed (the available memory moves with it); *changed
 * gets how many. */
int kvm_store_reserve_all(kvm_state *ks, size_t *changed, zs_status **st);

/* ---- kvm_alloc.c (worker threads) ---- */

/* The factory's reserve and release (zs/hypervisor.h): a VM's CPUs and memory on a host. */
struct zs_hypervisor_reservation;
int kvm_alloc_reserve(void *data, const zs_call *call, zs_db_conn *c,
    const struct zs_hypervisor_reservation *r, struct zs_hypervisor_reservation *held,
    zs_status **st);
int kvm_alloc_release(void *data, const zs_call *call, zs_db_conn *c, const char *vm_uuid,
    const char *host_uuid, int *returned, zs_status **st);

/* ---- kvm_tracker.c ---- */

/* Starts the ping tracker on the node's timer queue; 0 or -1 (no memory). */
int kvm_tracker_start(kvm_state *ks);
/* Reconnects uuid at ip in the background (Connecting, then Connected or Disconnected
 * with why, each with its event). Any thread. */
void kvm_reconnect(kvm_state *ks, const char *uuid, const char *ip);
/* Watches kvm.reservedMemory (global changes and overrides by tag): each change makes a
 * worker recompute the hosts' capacity rows (kvm_store_reserve_all). 0 or -1. */
int kvm_reserve_watch(kvm_state *ks);
/* Stops it, waiting for the round in progress (and a recompute). */
void kvm_tracker_stop(kvm_state *ks);

#endif
