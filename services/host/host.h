/*
 * host.h: what the host service's files share: its state (host_main.c), argument checks
 * (host_check.c), its resource table for the kit (host_api.c), the AddHost workflow
 * (host_add.c), the hypervisor factories and DeleteHost (host_hypervisor.c), the
 * reserved memory in force (host_memory.c), QueryHost's fields (host_query.c) and the
 * host allocator (host_alloc.c, its filters in host_filter.c).
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
#include "zs/hypervisor.h"
#include "zs/node.h"
#include "zs/resource_kit.h"

#define HOST_TYPE "Host"               /* the resource type in zs_resources */
#define HOST_NAME_MAX_BYTES 255        /* (HOST_NAME_MAX is limits.h's) */
#define HOST_DESCRIPTION_MAX 2048      /* bytes */
#define HOST_IP_MAX 46                 /* INET6_ADDRSTRLEN */
#define HOST_STEP_MAX 32               /* longest AddHost step name, with its NUL */
#define HOST_UNDO_WAIT_MS 10000        /* for a connection after the call's deadline passed */
#define HOST_PARAMS_MAX 16             /* AddHostRequest.parameters */
#define HOST_ALLOC_LIST_MAX 64         /* entries of each list of AllocateHostRequest */
#define HOST_ALLOC_TAG_MAX 1024        /* bytes of one of its system_tags */
#define HOST_ALLOC_CPU_MAX 4096        /* its cpu_num */
#define HOST_ALLOC_BYTES_MAX (1LL << 50)   /* its memory_size and disk_size: 1 PiB */

/* The service's state (zs_service_set_data), read only once started. */
typedef struct host_state {
	char fail_step[HOST_STEP_MAX];     /* host.fail_step: the AddHost step to fail, or "" */
} host_state;

/* ---- host_check.c ---- */

/* True when value is a unicast IPv4 or IPv6 address, whose canonical text goes to canon
 * (len >= HOST_IP_MAX); otherwise fails the call (INVALID_ARGUMENT naming field). */
bool host_check_ip(zs_call *call, const char *field, const char *value, char *canon, size_t len);
/* AllocateHost's fields: 0, or INVALID_ARGUMENT with the call failed naming the field. */
int host_check_allocate(zs_call *call, const Zs__Host__V1__AllocateHostRequest *in);

/* ---- host_api.c ---- */

/* The host resource, as the kit runs it (Get, List, Update, Delete). */
extern const zs_rkit_def host_def;

/* What a new host is made of (checked). */
typedef struct host_new {
	const char *uuid, *cluster_uuid, *zone_uuid, *name, *description, *management_ip;
	const char *hypervisor_type;
} host_new;

/* Inserts the host_hosts row in c's open transaction (AddHost's insert-host step): 0
 * with the row in *row (caller PQclear()s), or a canonical code with *st (caller
 * frees): ALREADY_EXISTS as HOST.1001 (name) or HOST.1002 (management IP), or the
 * database's. */
int host_insert(zs_db_conn *c, const zs_call *call, const host_new *h, PGresult **row,
    zs_status **st);

/* ---- host_query.c ---- */

/* What QueryHost may name. */
extern const zs_query_table host_query;

/* ---- host_memory.c ---- */

/* The kit's get_more: adds kvm.reservedMemory in force for the host to its HostInfo. */
int host_memory_add(zs_call *call, zs_db_conn *c, ProtobufCMessage *info, void **owned,
    zs_status **st);

/* ---- host_hypervisor.c ---- */

/* A host's hypervisor factory and the host as the factory sees it. */
typedef struct host_hv {
	const zs_hypervisor_factory *factory;
	void *data;                         /* the factory's service's state */
	zs_hypervisor_host host;            /* strings borrowed from the AddHost in progress */
	char **keys, **values;              /* owned copies of the request's parameters */
} host_hv;

/* Copies in's parameters into hv; 0, or -1 when out of memory. */
int host_hv_params(host_hv *hv, const Zs__Host__V1__AddHostRequest *in);
/* Frees what host_hv_params copied. */
void host_hv_clear(host_hv *hv);
/* The factory of hypervisor type (of cluster_uuid, for the message) into hv: 0, or
 * INVALID_ARGUMENT with *st naming the known types. */
int host_hv_find(zs_node *node, const char *type, const char *cluster_uuid, host_hv *hv,
    zs_status **st);
/* The DeleteHost handler: the factory removes what it keeps, the host goes with
 * host/deleted, in one transaction. */
void host_delete_host(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* ---- host_alloc.c ---- */

/* The AllocateHost and ReturnHostCapacity handlers. */
void host_allocate_host(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void host_return_capacity(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* ---- host_add.c ---- */

/* The names of AddHost's steps, in order; NULL-terminated. */
extern const char *const host_add_steps[];
/* The AddHost handler: checks, then starts the workflow, which answers. */
void host_add_host(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

#endif
