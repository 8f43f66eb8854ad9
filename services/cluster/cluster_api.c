/*
 * cluster_api.c: the handlers of zs.cluster.v1.Cluster. Each checks its arguments, does
 * its work in cluster_store.c / cluster_delete.c on one pooled connection (handlers run
 * on the node's worker threads: <api executor="pool">), gives the connection back,
 * publishes its event (cluster/created, cluster/updated, cluster/deleted) and answers.
 *
 * An event goes out after the commit, and a failure to send it does not fail the call:
 * the change is made, and the answer says what the database holds.
 */
#include <stdlib.h>
#include <string.h>

#include "zs/node.h"
#include "zs/service.h"
#include "cluster.h"
#include "zs/event.h"
#include "zs/resource.h"


static void
cluster_publish(zs_call *call, const char *topic, const char *uuid, const ProtobufCMessage *body)
{
	(void) zs_event_publish(zs_node_events(zs_call_node(call)), topic, uuid, body, NULL);
}

/* The hypervisor type asked for ("" means KVM), or NULL after failing the call. */
static const char *
cluster_hypervisor(zs_call *call, const char *type)
{
	if (type[0] == '\0')
		return CLUSTER_HYPERVISOR_DEFAULT;
	if (strcmp(type, "KVM") == 0)
		return type;
	zs_call_fail(call, ZS_INVALID_ARGUMENT, "CLUSTER.1002",
	    "hypervisor_type \"%s\" is not supported (KVM is)", type);
	return NULL;
}

static void
cluster_create_cluster(Zs__Cluster__V1__Cluster_Service *svc,
    const Zs__Cluster__V1__CreateClusterRequest *in, Zs__Cluster__V1__ClusterInfo_Closure closure,
    void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	char uuid[ZS_UUID_LEN];
	cluster_new k = { uuid, in->zone_uuid, in->name, in->description, NULL };
	if (zs_check_uuid(call, "zone_uuid", in->zone_uuid) != 0 ||
	    zs_check_text(call, "name", in->name, CLUSTER_NAME_MAX, ZS_TEXT_REQUIRED) != 0 ||
	    zs_check_text(call, "description", in->description, CLUSTER_DESCRIPTION_MAX,
	    ZS_TEXT_MULTILINE) != 0 ||
	    (k.hypervisor_type = cluster_hypervisor(call, in->hypervisor_type)) == NULL)
		return;
	zs_db_conn *c;
	if (zs_db_acquire_for(zs_node_db(zs_call_node(call)), call, &c) != 0)
		return;
	zs_resource_uuid(uuid);
	PGresult *row;
	zs_status *st = NULL;
	int rv = cluster_store_create(c, call, &k, &row, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		cluster_fail(call, st, in->name);
		return;
	}
	Zs__Cluster__V1__ClusterInfo info;
	cluster_info_from_row(row, 0, &info);
	cluster_publish(call, "cluster/created", uuid, &info.base);
	closure(&info, call);
	PQclear(row);
}

static void
cluster_get_cluster(Zs__Cluster__V1__Cluster_Service *svc,
    const Zs__Cluster__V1__GetClusterRequest *in, Zs__Cluster__V1__ClusterInfo_Closure closure,
    void *closure_data)
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
	int rv = cluster_store_get(c, call, in->uuid, &row, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		zs_call_fail_status(call, st);
		return;
	}
	Zs__Cluster__V1__ClusterInfo info;
	cluster_info_from_row(row, 0, &info);
	closure(&info, call);
	PQclear(row);
}

static void
cluster_list_clusters(Zs__Cluster__V1__Cluster_Service *svc,
    const Zs__Cluster__V1__ListClustersRequest *in,
    Zs__Cluster__V1__ListClustersResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_db_conn *c;
	if (zs_db_acquire_for(zs_node_db(zs_call_node(call)), call, &c) != 0)
		return;
	PGresult *rows;
	zs_status *st = NULL;
	int rv = cluster_store_list(c, call, in->zone_uuid[0] ? in->zone_uuid : NULL, &rows, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		zs_call_fail_status(call, st);
		return;
	}
	size_t n = (size_t) PQntuples(rows);
	Zs__Cluster__V1__ClusterInfo *infos = calloc(n + 1, sizeof *infos);
	Zs__Cluster__V1__ClusterInfo **ptrs = calloc(n + 1, sizeof *ptrs);
	if (infos == NULL || ptrs == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory listing %zu clusters", n);
	} else {
		for (size_t i = 0; i < n; i++) {
			cluster_info_from_row(rows, (int) i, &infos[i]);
			ptrs[i] = &infos[i];
		}
		Zs__Cluster__V1__ListClustersResponse out = ZS__CLUSTER__V1__LIST_CLUSTERS_RESPONSE__INIT;
		out.clusters = ptrs;
		out.n_clusters = n;
		closure(&out, call);
	}
	free(infos);
	free(ptrs);
	PQclear(rows);
}

static void
cluster_update_cluster(Zs__Cluster__V1__Cluster_Service *svc,
    const Zs__Cluster__V1__UpdateClusterRequest *in, Zs__Cluster__V1__ClusterInfo_Closure closure,
    void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	const char *name = in->_name_case == ZS__CLUSTER__V1__UPDATE_CLUSTER_REQUEST___NAME_NAME ?
	    in->name : NULL;
	const char *description = in->_description_case ==
	    ZS__CLUSTER__V1__UPDATE_CLUSTER_REQUEST___DESCRIPTION_DESCRIPTION ? in->description : NULL;
	if (zs_check_uuid(call, "uuid", in->uuid) != 0 ||
	    (name != NULL && zs_check_text(call, "name", name, CLUSTER_NAME_MAX,
	    ZS_TEXT_REQUIRED) != 0) ||
	    (description != NULL && zs_check_text(call, "description", description,
	    CLUSTER_DESCRIPTION_MAX, ZS_TEXT_MULTILINE) != 0))
		return;
	zs_db_conn *c;
	if (zs_db_acquire_for(zs_node_db(zs_call_node(call)), call, &c) != 0)
		return;
	PGresult *row;
	zs_status *st = NULL;
	int rv = cluster_store_update(c, call, in->uuid, name, description, &row, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		cluster_fail(call, st, name);
		return;
	}
	Zs__Cluster__V1__ClusterInfo info;
	cluster_info_from_row(row, 0, &info);
	cluster_publish(call, "cluster/updated", in->uuid, &info.base);
	closure(&info, call);
	PQclear(row);
}

static void
cluster_delete_cluster(Zs__Cluster__V1__Cluster_Service *svc,
    const Zs__Cluster__V1__DeleteClusterRequest *in,
    Zs__Cluster__V1__DeleteClusterResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	if (zs_check_uuid(call, "uuid", in->uuid) != 0)
		return;
	zs_db_conn *c;
	if (zs_db_acquire_for(zs_node_db(zs_call_node(call)), call, &c) != 0)
		return;
	PGresult *row, *below;
	zs_status *st = NULL;
	int rv = cluster_store_delete(c, call, in->uuid, &row, &below, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		zs_call_fail_status(call, st);
		return;
	}
	size_t n = (size_t) PQntuples(below);
	Zs__Cluster__V1__ResourceRef *refs = calloc(n + 1, sizeof *refs);
	Zs__Cluster__V1__ResourceRef **ptrs = calloc(n + 1, sizeof *ptrs);
	Zs__Cluster__V1__ClusterDeleted event = ZS__CLUSTER__V1__CLUSTER_DELETED__INIT;
	Zs__Cluster__V1__ClusterInfo info;
	cluster_info_from_row(row, 0, &info);
	event.cluster = &info;
	if (refs != NULL && ptrs != NULL) {
		for (size_t i = 0; i < n; i++) {
			zs__cluster__v1__resource_ref__init(&refs[i]);
			refs[i].uuid = PQgetvalue(below, (int) i, 0);
			refs[i].type = PQgetvalue(below, (int) i, 1);
			refs[i].name = PQgetvalue(below, (int) i, 2);
			ptrs[i] = &refs[i];
		}
		event.deleted = ptrs;
		event.n_deleted = n;
	}
	/* the cluster is gone either way: without memory for the list, the answer goes without it */
	cluster_publish(call, "cluster/deleted", in->uuid, &event.base);
	Zs__Cluster__V1__DeleteClusterResponse out = ZS__CLUSTER__V1__DELETE_CLUSTER_RESPONSE__INIT;
	out.deleted = event.deleted;
	out.n_deleted = event.n_deleted;
	closure(&out, call);
	free(refs);
	free(ptrs);
	PQclear(row);
	PQclear(below);
}

ZS_EXPORT Zs__Cluster__V1__Cluster_Service cluster_service =
    ZS__CLUSTER__V1__CLUSTER__INIT(cluster_);
