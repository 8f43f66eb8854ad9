/*
 * zs/host_ext.h: the extension points the hypervisor plugin (kvm) runs on a host.
 *
 * "zs.HostConnectExtension", ZStack's KVMHostConnectExtensionPoint: work other services do on a host each time it connects
 * to its agent (the network service makes the bridges of the L2 networks attached to
 * the host's cluster). A service offers it in its XML
 * (<extension point="zs.HostConnectExtension" name="network.bridges" symbol="..."/>),
 * the symbol a const zs_host_connect_ext.
 *
 * The hypervisor plugin (kvm) runs every implementation, in order, with
 * zs_host_connect_run once the agent answered connect, facts and capacity and before
 * the host is marked Connected: the first failure fails the connect (AddKvmHost then
 * removes the host; a reconnect leaves it Disconnected), as in ZStack.
 *
 * "zs.HostMaintenanceExtension", ZStack's HostMaintenancePolicyExtensionPoint and the
 * VM migration of its maintenance: work other services do to empty a host that goes into
 * maintenance (the VM service migrates every Running VM away). A service offers it in its
 * XML (<extension point="zs.HostMaintenanceExtension" name="vm.migrate" symbol="..."/>),
 * the symbol a const zs_host_maintenance_ext.
 *
 * ChangeHostState with state_event maintain puts the host in PreMaintenance (so that no
 * allocation picks it), then runs every implementation in order with
 * zs_host_maintenance_run. Each is asynchronous: it gets the host's uuid, the policy in
 * force (global config host.maintenance.policy), the number of migrations it may run at
 * once (kvm.vm.migrationQuantity), the deadline and the ChangeHostState call, and calls
 * done once when it is finished. When all succeed the host goes Maintenance; the first
 * failure stops the run, the host goes back to the state it had and ChangeHostState fails
 * with that failure as its cause.
 */
#ifndef ZS_HOST_EXT_H
#define ZS_HOST_EXT_H

#include <stdint.h>
#include "zs/api.h"
#include "zs/call.h"
#include "zs/node.h"
#include "zs/status.h"

#define ZS_EXT_HOST_CONNECT "zs.HostConnectExtension"
#define ZS_EXT_HOST_MAINTENANCE "zs.HostMaintenanceExtension"

/* host.maintenance.policy's values: a VM that cannot be migrated is stopped (and the host
 * still goes Maintenance), or the whole maintenance fails. */
#define ZS_HOST_MAINTAIN_STOP_VM "StopVmOnMigrationFailure"
#define ZS_HOST_MAINTAIN_JUST_MIGRATE "JustMigrate"

/* The host being connected; strings valid until done is called. */
typedef struct zs_host_connect_ctx {
	const char *host_uuid;
	const char *management_ip;
	const char *agent_url;      /* "http://127.0.1.1:7070": agent paths go after it */
	int64_t deadline_ms;        /* on zs_clock_ms()'s clock: every command ends by then */
} zs_host_connect_ctx;

/* Called once, from any thread: 0, or a canonical code with st (taken by the callee). */
typedef void (*zs_host_connect_done_fn)(int code, zs_status *st, void *arg);

typedef struct zs_host_connect_ext {
	/* Runs on a worker thread (it may block on the database); calls done exactly once,
	 * then or later, from any thread. */
	void (*host_connected)(zs_node *node, const zs_host_connect_ctx *ctx,
	    zs_host_connect_done_fn done, void *arg);
} zs_host_connect_ext;

/* Runs every implementation of zs.HostConnectExtension in order, each on a worker
 * thread, stopping at the first failure; done gets 0 or that failure (its message
 * names the implementation). ctx is copied. Never blocks; any thread. */
ZS_API void zs_host_connect_run(zs_node *node, const zs_host_connect_ctx *ctx,
    zs_host_connect_done_fn done, void *arg);

/*
 * The extension point "zs.HostStatusExtension": services told each time a host's status
 * changes (ZStack's HostStatusChangeNotifyPoint), after the change committed: the VM
 * service marks the VMs of a Disconnected host Unknown and, when the host is Connected
 * again, asks its agent which VMs run there (/vm/vmsync). The hypervisor plugin calls
 * zs_host_status_run; a notice is not a vote: it cannot stop the change.
 */
#define ZS_EXT_HOST_STATUS "zs.HostStatusExtension"

/* A host whose status changed; strings valid during the call only. */
typedef struct zs_host_status_ctx {
	const char *host_uuid;
	const char *management_ip;
	const char *agent_url;      /* "http://127.0.1.1:7070": agent paths go after it */
	const char *old_status;     /* "Connecting", "Connected", "Disconnected" */
	const char *new_status;
} zs_host_status_ctx;

typedef struct zs_host_status_ext {
	/* On a worker thread (it may block on the database, briefly: start agent commands
	 * asynchronously). */
	void (*host_status_changed)(zs_node *node, const zs_host_status_ctx *ctx);
} zs_host_status_ext;

/* Tells every implementation of zs.HostStatusExtension, in order, on one worker thread.
 * ctx is copied. Never blocks; any thread. */
ZS_API void zs_host_status_run(zs_node *node, const zs_host_status_ctx *ctx);

/* The host going into maintenance; strings valid until done is called. */
typedef struct zs_host_maintenance_ctx {
	const char *host_uuid;
	const char *policy;           /* ZS_HOST_MAINTAIN_STOP_VM or ZS_HOST_MAINTAIN_JUST_MIGRATE */
	int64_t migration_quantity;   /* at most this many migrations in flight at once (>= 1) */
	int64_t deadline_ms;          /* on zs_clock_ms()'s clock: everything ends by then */
	zs_call *call;                /* ChangeHostState, valid until done: the parent of bus
	                               * calls (an admin's) and of job progress (zs_job_progress) */
} zs_host_maintenance_ctx;

/* Called once, from any thread: 0, or a canonical code with st (taken by the callee). */
typedef void (*zs_host_maintenance_done_fn)(int code, zs_status *st, void *arg);

typedef struct zs_host_maintenance_ext {
	/* Runs on a worker thread (it may block on the database); calls done exactly once,
	 * then or later, from any thread. */
	void (*host_maintain)(zs_node *node, const zs_host_maintenance_ctx *ctx,
	    zs_host_maintenance_done_fn done, void *arg);
} zs_host_maintenance_ext;

/* Runs every implementation of zs.HostMaintenanceExtension in order, each on a worker
 * thread, stopping at the first failure; done gets 0 or that failure (its message names
 * the implementation). ctx is copied. Never blocks; any thread. */
ZS_API void zs_host_maintenance_run(zs_node *node, const zs_host_maintenance_ctx *ctx,
    zs_host_maintenance_done_fn done, void *arg);

#endif
