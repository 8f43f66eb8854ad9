/*
 * zs/host_alloc.h: the host allocator's extension points (ZStack's HostAllocatorFilter
 * and HostAllocatorSortExtensionPoint). The host service's AllocateHost loads the hosts
 * the caller sees as candidates, runs every "zs.HostAllocatorFilter" in XML order (each
 * removes the candidates that do not fit what it owns), then every
 * "zs.HostAllocatorSorter" in order, then tries the candidates in that order until the
 * hypervisor factory of one reserves the VM's capacity (zs/hypervisor.h, reserve). When
 * a filter leaves no candidate the call fails RESOURCE_EXHAUSTED naming that filter.
 *
 * A plugin fills a point for the data it owns, in its XML:
 *
 *   <extension point="zs.HostAllocatorFilter" name="network.l2" symbol="net_l2_filter"
 *              order="40"/>
 *
 * the symbol a const zs_host_alloc_filter (or zs_host_alloc_sorter). Orders in use: 10
 * host.designated (first, so that a designated host that is unusable is named by the
 * filter that left it out), 20 host.state, 25 host.hypervisor, 30 host.avoid,
 * 40 network.l2, 50 backupstorage.zone, 60 kvm.capacity, 70 primarystorage.space,
 * 80 host.tags; sorter kvm.leastVms 10.
 *
 * Cost: AllocateHost runs at the rate VMs are created. A filter runs at most one SQL
 * query for all the candidates together (zs_host_alloc_column gives their uuids,
 * clusters or zones as one array parameter), never one per candidate. Filters and
 * sorters run on the worker thread of the call, with the call's database connection (no
 * transaction open; do not leave one open).
 */
#ifndef ZS_HOST_ALLOC_H
#define ZS_HOST_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "zs/api.h"
#include "zs/call.h"
#include "zs/db.h"
#include "zs/status.h"

#define ZS_EXT_HOST_ALLOCATOR_FILTER "zs.HostAllocatorFilter"
#define ZS_EXT_HOST_ALLOCATOR_SORTER "zs.HostAllocatorSorter"

/* AllocateHostRequest as the filters see it (strings "" when not given; lists borrowed
 * from the request, valid during the filter). */
typedef struct zs_host_alloc_request {
	const char *vm_uuid;
	int64_t cpu_num;
	int64_t memory_size;                /* bytes */
	int64_t disk_size;                  /* bytes; 0: no primary storage asked for */
	const char *zone_uuid, *cluster_uuid, *host_uuid;   /* designations */
	const char *hypervisor_type;
	size_t n_l3_network_uuids;
	const char *const *l3_network_uuids;
	size_t n_backup_storage_uuids;
	const char *const *backup_storage_uuids;
	size_t n_avoid_host_uuids;
	const char *const *avoid_host_uuids;
	size_t n_system_tags;
	const char *const *system_tags;
} zs_host_alloc_request;

/* One candidate host. The host service fills the first fields from its row; the
 * hypervisor's capacity filter (kvm.capacity for KVM hosts) fills the capacity and
 * held, which its sorter then reads (0 until then). */
typedef struct zs_host_candidate {
	char uuid[40], cluster_uuid[40], zone_uuid[40];
	char management_ip[48];
	char hypervisor_type[16];
	char state[16];                     /* Enabled, Disabled, PreMaintenance, Maintenance */
	char status[16];                    /* Connecting, Connected, Disconnected */
	int64_t total_cpu, available_cpu;   /* available: total - vCPUs held (may go below 0
	                                     * with CPU over-provisioning) */
	int64_t total_memory, available_memory;   /* bytes; reserved memory already out */
	int64_t vms;                        /* reservations held on the host */
	bool held;                          /* vm_uuid already holds capacity here: a retried
	                                     * AllocateHost answers this host, reserving nothing
	                                     * more; the host service tries such hosts first */
	bool removed;                       /* set by a filter: does not fit */
} zs_host_candidate;

/* A filter: sets removed on the candidates that do not fit (those already removed are
 * gone: the host service compacts the array between filters, keeping the order). 0, or a
 * canonical code with *st (caller frees), which fails AllocateHost. */
typedef struct zs_host_alloc_filter {
	const char *name;                   /* "network.l2": named when it leaves none */
	int (*filter)(void *data, zs_call *call, zs_db_conn *c, const zs_host_alloc_request *req,
	    zs_host_candidate *cands, size_t n, zs_status **st);
} zs_host_alloc_filter;

/* A sorter: reorders cands[0..n) (best first). 0, or a code with *st. */
typedef struct zs_host_alloc_sorter {
	const char *name;
	int (*sort)(void *data, zs_call *call, zs_db_conn *c, const zs_host_alloc_request *req,
	    zs_host_candidate *cands, size_t n, zs_status **st);
} zs_host_alloc_sorter;

/* Which column of the candidates zs_host_alloc_column gathers. */
typedef enum zs_host_alloc_col {
	ZS_HOST_ALLOC_UUID,
	ZS_HOST_ALLOC_CLUSTER,
	ZS_HOST_ALLOC_ZONE,
} zs_host_alloc_col;

/* The column of cands[0..n) as a PostgreSQL text[] literal ("{\"a\",\"b\"}"), each value
 * once, for one query about all of them ("... = ANY($1::text[])"). Caller frees; NULL
 * when out of memory. Any thread. */
ZS_API char *zs_host_alloc_column(const zs_host_candidate *cands, size_t n, zs_host_alloc_col col);

/* A filter by cluster or zone in one call: runs sql on c with $1 the col values of the
 * candidates (as zs_host_alloc_column gives them) and $2 list[0..n_list) as text[], and
 * sets removed on the candidates whose col value is not in the first column of its
 * answer (the clusters or zones that fit). 0, or a canonical code with *st. On the
 * filter's thread. (For host uuids of many candidates, answer their ordinals instead:
 * unnest($1::text[]) WITH ORDINALITY, ZS_HOST_ALLOC_UUID keeps their order.) */
ZS_API int zs_host_alloc_keep(zs_db_conn *c, zs_host_candidate *cands, size_t n,
    zs_host_alloc_col col, const char *sql, const char *const *list, size_t n_list,
    zs_status **st);

#endif
