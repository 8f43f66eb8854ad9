/*
 * host_api.c: the handlers of zs.host.v1.Host but AddHost (host_add.c), and the service
 * table. Each checks its arguments, does its work in host_store.c on one pooled
 * connection (handlers run on the node's worker threads: <api executor="pool">), gives
 * the connection back, publishes its event (host/updated, host/deleted) and answers.
 * GetHost adds the reserved memory in force for the host (host_memory.c).
 *
 * An event goes out after the commit, and a failure to send it does not fail the call:
 * the change is made, and the answer says what the database holds.
 */
#include <stdlib.h>

#include "zs/node.h"
#include "zs/service.h"
#include "host.h"
#include "zs/event.h"


static void
host_publish(zs_call *call, const char *topic, const char *uuid, const ProtobufCMessage *body)
{
	(void) zs_event_publish(zs_node_events(zs_call_node(call)), topic, uuid, body, NULL);
}

/* Fails the call with st (taken). A status of ours (HOST.1001, ...) is made again by
 * zs_call_fail, which adds the declared description of its code. */
static void
host_fail(zs_call *call, zs_status *st)
{
	if (st->error_code != NULL && *st->error_code && st->n_details == 0 && st->cause == NULL) {
		zs_call_fail(call, (int) st->code, st->error_code, "%s", st->message);
		zs_status_free(st);
		return;
	}
	zs_call_fail_status(call, st);
}

static void
host_get_host(Zs__Host__V1__Host_Service *svc, const Zs__Host__V1__GetHostRequest *in,
    Zs__Host__V1__HostInfo_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	if (zs_check_uuid(call, "uuid", in->uuid) != 0)
		return;
	zs_db_conn *c;
	if (zs_db_acquire_for(zs_node_db(zs_call_node(call)), call, &c) != 0)
		return;
	PGresult *row = NULL;
	zs_status *st = NULL;
	host_memory mem;
	int rv = host_store_get(c, call, in->uuid, &row, &st);
	if (rv == 0)
		rv = host_memory_for(zs_call_node(call), c, in->uuid, &mem, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		PQclear(row);
		host_fail(call, st);
		return;
	}
	Zs__Host__V1__HostInfo info;
	host_info_from_row(row, 0, &info);
	info.reserved_memory = mem.value;
	info.reserved_memory_bytes = mem.bytes;
	info.reserved_memory_source = mem.source;
	closure(&info, call);
	PQclear(row);
}

static void
host_list_hosts(Zs__Host__V1__Host_Service *svc, const Zs__Host__V1__ListHostsRequest *in,
    Zs__Host__V1__ListHostsResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_db_conn *c;
	if (zs_db_acquire_for(zs_node_db(zs_call_node(call)), call, &c) != 0)
		return;
	PGresult *rows;
	zs_status *st = NULL;
	int rv = host_store_list(c, call, in->cluster_uuid[0] ? in->cluster_uuid : NULL, &rows, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		host_fail(call, st);
		return;
	}
	size_t n = (size_t) PQntuples(rows);
	Zs__Host__V1__HostInfo *infos = calloc(n + 1, sizeof *infos);
	Zs__Host__V1__HostInfo **ptrs = calloc(n + 1, sizeof *ptrs);
	if (infos == NULL || ptrs == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory listing %zu hosts", n);
	} else {
		for (size_t i = 0; i < n; i++) {
			host_info_from_row(rows, (int) i, &infos[i]);
			ptrs[i] = &infos[i];
		}
		Zs__Host__V1__ListHostsResponse out = ZS__HOST__V1__LIST_HOSTS_RESPONSE__INIT;
		out.hosts = ptrs;
		out.n_hosts = n;
		closure(&out, call);
	}
	free(infos);
	free(ptrs);
	PQclear(rows);
}

static void
host_update_host(Zs__Host__V1__Host_Service *svc, const Zs__Host__V1__UpdateHostRequest *in,
    Zs__Host__V1__HostInfo_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	const char *name = in->_name_case == ZS__HOST__V1__UPDATE_HOST_REQUEST___NAME_NAME ?
	    in->name : NULL;
	const char *description = in->_description_case ==
	    ZS__HOST__V1__UPDATE_HOST_REQUEST___DESCRIPTION_DESCRIPTION ? in->description : NULL;
	if (zs_check_uuid(call, "uuid", in->uuid) != 0 ||
	    (name != NULL && zs_check_text(call, "name", name, HOST_NAME_MAX_BYTES,
	    ZS_TEXT_REQUIRED) != 0) ||
	    (description != NULL && zs_check_text(call, "description", description,
	    HOST_DESCRIPTION_MAX, ZS_TEXT_MULTILINE) != 0))
		return;
	zs_db_conn *c;
	if (zs_db_acquire_for(zs_node_db(zs_call_node(call)), call, &c) != 0)
		return;
	PGresult *row;
	zs_status *st = NULL;
	int rv = host_store_update(c, call, in->uuid, name, description, &row, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		host_fail(call, st);
		return;
	}
	Zs__Host__V1__HostInfo info;
	host_info_from_row(row, 0, &info);
	host_publish(call, "host/updated", in->uuid, &info.base);
	closure(&info, call);
	PQclear(row);
}

static void
host_delete_host(Zs__Host__V1__Host_Service *svc, const Zs__Host__V1__DeleteHostRequest *in,
    Zs__Host__V1__DeleteHostResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	if (zs_check_uuid(call, "uuid", in->uuid) != 0)
		return;
	zs_db_conn *c;
	if (zs_db_acquire_for(zs_node_db(zs_call_node(call)), call, &c) != 0)
		return;
	PGresult *row;
	zs_status *st = NULL;
	int rv = host_store_delete(c, call, in->uuid, &row, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		host_fail(call, st);
		return;
	}
	Zs__Host__V1__HostInfo info;
	host_info_from_row(row, 0, &info);
	host_publish(call, "host/deleted", in->uuid, &info.base);
	Zs__Host__V1__DeleteHostResponse out = ZS__HOST__V1__DELETE_HOST_RESPONSE__INIT;
	closure(&out, call);
	PQclear(row);
}

ZS_EXPORT Zs__Host__V1__Host_Service host_service = ZS__HOST__V1__HOST__INIT(host_);
