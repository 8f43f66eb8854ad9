/*
 * zs/hypervisor.h: the extension point "zs.HypervisorFactory" (ZStack's HypervisorFactory).
 * The host service owns hosts of every hypervisor type; what a type needs beyond the
 * host's row (checking its parameters, recording its own rows, connecting it to its agent,
 * removing what it keeps) is done by the plugin that fills this point for that type:
 *
 *   <extension point="zs.HypervisorFactory" name="kvm.factory" symbol="kvm_factory"/>
 *
 * The host service's AddHost, on a cluster of hypervisor type T, finds the factory whose
 * type is T (none: INVALID_ARGUMENT naming the known types) and runs, in its workflow:
 * validate (before anything is written), create (in the transaction that inserts the host
 * and writes host/created), then, after the commit, connect; when connect fails the host
 * is deleted again (with host/deleted) and AddHost fails with connect's status. DeleteHost
 * calls remove in the transaction that deletes the host.
 *
 * AllocateHost (zs/host_alloc.h) reserves a VM's CPUs and memory on the host it picked
 * through the factory of the host's type (reserve), and ReturnHostCapacity gives them
 * back through every factory (release). Both are optional (NULL: the type holds no
 * capacity; AllocateHost then passes over its hosts). The plugin that owns a type's
 * capacity rows owns its reservations: one per (vm_uuid, host_uuid), so a VM may hold on
 * two hosts at once (live migration), and a reservation goes with its host.
 *
 * Each function gets data: the state of the service that offers the factory
 * (zs_ext_service_data of its zs_ext), and the call being served (AddHost or DeleteHost;
 * a bus call when another service made it), whose deadline bounds the work.
 */
#ifndef ZS_HYPERVISOR_H
#define ZS_HYPERVISOR_H

#include <stddef.h>
#include <stdint.h>
#include "zs/call.h"
#include "zs/db.h"
#include "zs/status.h"

#define ZS_EXT_HYPERVISOR_FACTORY "zs.HypervisorFactory"

/* A host being added, as the factory sees it; valid during the function it is given to
 * (connect: until done runs). */
typedef struct zs_hypervisor_host {
	const char *uuid;
	const char *cluster_uuid, *zone_uuid;
	const char *name;
	const char *management_ip;          /* canonical ("::ffff:10.0.0.1" is "10.0.0.1") */
	/* AddHostRequest.parameters: what the type takes beyond the host's fields */
	size_t n_params;
	const char *const *param_keys, *const *param_values;
} zs_hypervisor_host;

/* connect's outcome: 0 (the host is connected), or a canonical code with st (taken by the
 * callee; its message says why, naming the host). */
typedef void (*zs_hypervisor_done_fn)(int code, zs_status *st, void *arg);

/* What a VM holds, or asks for, on one host (reserve). */
typedef struct zs_hypervisor_reservation {
	const char *vm_uuid;
	const char *host_uuid;
	int64_t cpu_num;
	int64_t memory_size;                /* bytes */
} zs_hypervisor_reservation;

typedef struct zs_hypervisor_factory {
	const char *type;                   /* "KVM": the clusters' hypervisor_type it serves */
	/* Checks h's parameters (and who calls) before anything is written: 0, or a canonical
	 * code with *st naming what is wrong. Must not block. */
	int (*validate)(void *data, const zs_call *call, const zs_hypervisor_host *h,
	    zs_status **st);
	/* Records what the type keeps of the new host in c's open transaction (the host's row
	 * is there): 0, or a canonical code with *st (the transaction then rolls back). On a
	 * worker thread. */
	int (*create)(void *data, zs_call *call, zs_db_conn *c, const zs_hypervisor_host *h,
	    zs_status **st);
	/* Connects the committed new host; never blocks. done runs once, on a worker thread
	 * (it may use the database), possibly before connect returns. */
	void (*connect)(void *data, zs_call *call, const zs_hypervisor_host *h,
	    zs_hypervisor_done_fn done, void *arg);
	/* Removes what the type keeps of host uuid in c's open transaction, before the host
	 * goes (DeleteHost): 0, or a canonical code with *st. On a worker thread. */
	int (*remove)(void *data, zs_call *call, zs_db_conn *c, const char *uuid, zs_status **st);
	/* Reserves r's CPUs and memory on r->host_uuid for r->vm_uuid, in one short
	 * transaction of its own on c (none open when called; none left open): a conditional
	 * UPDATE of the host's capacity row that does not pass when the host has no room (or
	 * is no longer Enabled and Connected), plus the reservation row. Returns 0 with *held
	 * what the VM now holds there: r's figures, or, when it already held on that host,
	 * the figures of that reservation (nothing is reserved twice). Returns
	 * RESOURCE_EXHAUSTED without *st when it does not fit (a lost race: AllocateHost tries
	 * its next candidate); another canonical code with *st (caller frees). Optional. On a
	 * worker thread. */
	int (*reserve)(void *data, const zs_call *call, zs_db_conn *c,
	    const struct zs_hypervisor_reservation *r, struct zs_hypervisor_reservation *held,
	    zs_status **st);
	/* Gives back what vm_uuid holds on host_uuid (NULL or "": on every host), in one
	 * transaction on c: the reservation rows go and the capacity comes back. *returned
	 * gets how many reservations went (0 when none was held: not an error, so a rollback
	 * that runs twice is harmless). 0, or a canonical code with *st. Optional. On a worker
	 * thread. */
	int (*release)(void *data, const zs_call *call, zs_db_conn *c, const char *vm_uuid,
	    const char *host_uuid, int *returned, zs_status **st);
} zs_hypervisor_factory;

#endif
