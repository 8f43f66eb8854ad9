/*
 * host.h: what the host service's files share: its state (host_main.c), argument checks
 * (host_check.c), the host_hosts table (host_store.c), the AddHost workflow (host_add.c),
 * the reserved memory in force (host_memory.c) and the other handlers (host_api.c).
 * Nothing here is seen outside the plugin.
 */
#ifndef HOST_H
#define HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "zs/call.h"
#include "zs/check.h"
#include "zs/db.h"
#include "zs/host/v1/host.pb-c.h"

#define HOST_TYPE "Host"               /* the resource type in zs_resources */
#define HOST_CLUSTER_TYPE "Cluster"    /* the type of a host's parent */
#define HOST_NAME_MAX_BYTES 255        /* (HOST_NAME_MAX is limits.h's) */
#define HOST_DESCRIPTION_MAX 2048      /* bytes */
#define HOST_IP_MAX 46                 /* INET6_ADDRSTRLEN */
#define HOST_STEP_MAX 32               /* longest AddHost step name, with its NUL */

/* The service's state (zs_service_set_data), read only once started. */
typedef struct host_state {
	char fail_step[HOST_STEP_MAX];     /* host.fail_step: the AddHost step to fail, or "" */
} host_state;

/* ---- host_check.c ---- */

/* True when value is a unicast IPv4 or IPv6 address, whose canonical text goes to canon
 * (len >= HOST_IP_MAX); otherwise fails the call (INVALID_ARGUMENT naming field). */
bool host_check_ip(zs_call *call, const char *field, const char *value, char *canon, size_t len);

/* ---- host_store.c ---- */


/* The SELECT list of a host row, in the order host_info_from_row reads it. */
#define HOST_COLUMNS \
	"h.uuid, h.cluster_uuid, h.zone_uuid, h.name, h.description, h.management_ip, " \
	"h.hypervisor_type, h.state, h.status, h.owner_uuid, " \
	"(extract(epoch FROM h.created_at) * 1000)::bigint, " \
	"(extract(epoch FROM h.updated_at) * 1000)::bigint"
/* Fills out from row i of r; its strings point into r (valid until PQclear). */
void host_info_from_row(const PGresult *r, int i, Zs__Host__V1__HostInfo *out);

/* What a new host is made of (checked). */
typedef struct host_new {
	const char *uuid, *cluster_uuid, *zone_uuid, *name, *description, *management_ip;
	const char *hypervisor_type;
} host_new;

/* Each returns 0 with the host's row in *row (caller PQclear()s), or a canonical code
 * with *st (caller frees): NOT_FOUND for a host (or cluster) the call does not see,
 * ALREADY_EXISTS as HOST.1001 (name) or HOST.1002 (management IP), or the database's.
 * host_store_insert runs in c's open transaction (AddHost's insert-host step); the
 * others make their own. */
int host_store_insert(zs_db_conn *c, const zs_call *call, const host_new *h, PGresult **row,
    zs_status **st);
int host_store_get(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    zs_status **st);
/* name and description NULL: left as they are. */
int host_store_update(zs_db_conn *c, const zs_call *call, const char *uuid, const char *name,
    const char *description, PGresult **row, zs_status **st);
/* The hosts the call sees (of cluster_uuid, a cluster it sees, unless NULL), oldest first. */
int host_store_list(zs_db_conn *c, const zs_call *call, const char *cluster_uuid,
    PGresult **rows, zs_status **st);
/* Deletes a host the call sees (its tags go with it), in one transaction; *row is the
 * host as it was. */
int host_store_delete(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    zs_status **st);

/* ---- host_memory.c ---- */

/* kvm.reservedMemory in force for a host. */
typedef struct host_memory {
	char value[64];      /* "1G" */
	char source[16];     /* "Host", "Cluster", "Zone" or "global" */
	uint64_t bytes;
} host_memory;
/* Fills out for host uuid. 0, or a canonical code with *st (caller frees). */
int host_memory_for(zs_node *node, zs_db_conn *c, const char *uuid, host_memory *out,
    zs_status **st);

/* ---- host_add.c ---- */

/* The names of AddHost's steps, in order; NULL-terminated. */
extern const char *const host_add_steps[];
/* The AddHost handler: checks, then starts the workflow, which answers. */
void host_add_host(Zs__Host__V1__Host_Service *svc, const Zs__Host__V1__AddHostRequest *in,
    Zs__Host__V1__HostInfo_Closure closure, void *closure_data);

#endif
