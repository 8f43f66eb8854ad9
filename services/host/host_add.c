/*
 * host_add.c: AddHost, as a workflow (zs/flow.h) whose steps undo themselves in
 * reverse when a later one fails, so that a failed AddHost leaves nothing behind:
 *
 *   check-cluster    asks the cluster service over the bus (GetCluster, as the caller):
 *                    the cluster must be one the caller sees; gives its zone and type,
 *                    whose factory (zs.HypervisorFactory, host_hypervisor.c) must exist
 *                    and accept the request's parameters
 *   insert-resource  opens the transaction, registers the host in zs_resources
 *                    undo: roll the transaction back
 *   insert-host      inserts the host_hosts row, in the same transaction
 *                    (undone by insert-resource's rollback)
 *   hypervisor       the factory records what its type keeps (the kvm plugin: its
 *                    kvm_hosts row, Connecting), in the same transaction
 *   publish          writes host/created into the outbox, in the same transaction: it
 *                    goes out with the commit (undone by insert-resource's rollback)
 *   commit           commits
 *                    undo: delete the resource (its row, tags and the factory's rows go
 *                    with it) and write host/deleted
 *   connect          the factory connects the host to its agent; the database connection
 *                    is given back meanwhile. A failure undoes commit: a host that never
 *                    connected is not added
 *
 * Every step with an undo runs it also when it fails itself (ZS_FLOW_ROLLBACK_SELF), and
 * each undo looks at what its step got done. host.fail_step (testing only) names a step
 * to fail after it did its work, with HOST.1003, to show that the undo covers it.
 */
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "zs/cluster/v1/cluster.zsb.h"
#include "zs/resource.h"
#include "zs/flow.h"

const char *const host_add_steps[] = {
	"check-cluster", "insert-resource", "insert-host", "hypervisor", "publish", "commit",
	"connect", NULL,
};

/* One AddHost on its way; freed in its chain's done. */
typedef struct host_add {
	zs_call *call;
	ProtobufCClosure closure;
	const host_state *state;
	zs_flow *waiting;               /* check-cluster, while the bus call runs */
	Zs__Cluster__V1__GetClusterRequest cluster_req;
	host_new h;                     /* its strings are the owned copies below */
	char uuid[ZS_UUID_LEN];
	char ip[HOST_IP_MAX];
	char *cluster_uuid, *name, *description, *zone_uuid, *hypervisor_type;
	host_hv hv;                     /* the type's factory and the host as it sees it */
	zs_db_conn *conn;
	PGresult *row;                  /* the host's row, once inserted */
	bool tx_open, committed;
} host_add;

/* Frees a; its connection must have been given back (host_add_release). */
static void
host_add_free(host_add *a)
{
	PQclear(a->row);
	free(a->cluster_uuid);
	free(a->name);
	free(a->description);
	free(a->zone_uuid);
	free(a->hypervisor_type);
	host_hv_clear(&a->hv);
	free(a);
}

/* Gives the connection back (an open transaction is rolled back). Before the answer: the
 * call, and with it the way to the pool, is gone after it. */
static void
host_add_release(host_add *a)
{
	if (a->conn != NULL)
		zs_db_release(zs_node_db(zs_call_node(a->call)), a->conn);
	a->conn = NULL;
}

/* Ends a step that did its work: on, unless host.fail_step names it. */
static void
host_add_end(host_add *a, zs_flow *flow)
{
	const char *step = zs_flow_step_name(flow);
	if (strcmp(a->state->fail_step, step) != 0) {
		zs_flow_next(flow);
		return;
	}
	zs_flow_fail(flow, zs_status_new(ZS_ABORTED, "HOST.1003",
	    "step %s failed for host %s: injected by host.fail_step", step, a->uuid));
}

/* ---- check-cluster ---- */

static void
host_add_cluster_done(int code, const zs_status *status,
    const Zs__Cluster__V1__ClusterInfo *reply, void *arg)
{
	host_add *a = arg;
	zs_flow *flow = a->waiting;
	a->waiting = NULL;
	if (code == ZS_NOT_FOUND) {
		zs_flow_fail(flow, zs_status_new(ZS_NOT_FOUND, NULL, "cluster_uuid: no cluster with uuid %s",
		    a->cluster_uuid));
		return;
	}
	if (code != 0) {
		zs_status *why = zs_status_new(code, NULL, "cluster_uuid: cannot look cluster %s up: %s",
		    a->cluster_uuid, status != NULL && status->message ? status->message : "");
		if (why != NULL && status != NULL)
			zs_status_set_cause(why, zs_status_copy(status));
		zs_flow_fail(flow, why);
		return;
	}
	a->zone_uuid = strdup(reply->zone_uuid);
	a->hypervisor_type = strdup(reply->hypervisor_type);
	if (a->zone_uuid == NULL || a->hypervisor_type == NULL) {
		zs_flow_fail(flow, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"));
		return;
	}
	a->h.zone_uuid = a->zone_uuid;
	a->h.hypervisor_type = a->hypervisor_type;
	a->hv.host.zone_uuid = a->zone_uuid;
	zs_status *st = NULL;
	if (host_hv_find(zs_call_node(a->call), a->hypervisor_type, a->cluster_uuid, &a->hv, &st) != 0 ||
	    a->hv.factory->validate(a->hv.data, a->call, &a->hv.host, &st) != 0) {
		zs_flow_fail(flow, st);
		return;
	}
	host_add_end(a, flow);
}

static void
host_add_check_cluster(zs_flow *flow, void *arg)
{
	host_add *a = arg;
	a->waiting = flow;
	zs__cluster__v1__get_cluster_request__init(&a->cluster_req);
	a->cluster_req.uuid = a->cluster_uuid;
	/* as the caller (its session), so the cluster service answers NOT_FOUND for a cluster
	 * the caller does not see; the answer may come on this thread or another */
	zs_cluster_v1_cluster_get_cluster_bus(zs_node_bus(zs_call_node(a->call)), a->call,
	    &a->cluster_req, host_add_cluster_done, a);
}

/* ---- insert-resource ---- */

static void
host_add_insert_resource(zs_flow *flow, void *arg)
{
	host_add *a = arg;
	zs_status *st = NULL;
	if (zs_db_acquire(zs_node_db(zs_call_node(a->call)), zs_call_remaining_ms(a->call), &a->conn,
	    &st) != 0) {
		a->conn = NULL;
		zs_flow_fail(flow, st);
		return;
	}
	if (zs_db_begin(a->conn, &st) != 0) {
		zs_flow_fail(flow, st);
		return;
	}
	a->tx_open = true;
	int rv = zs_resource_create(a->conn, a->call, a->uuid, HOST_TYPE, a->name, a->cluster_uuid,
	    &st);
	if (rv == ZS_FAILED_PRECONDITION) {
		/* the cluster went since check-cluster (its foreign key) */
		zs_status_free(st);
		st = zs_status_new(ZS_NOT_FOUND, NULL, "cluster_uuid: no cluster with uuid %s",
		    a->cluster_uuid);
	}
	if (rv != 0) {
		zs_flow_fail(flow, st);
		return;
	}
	host_add_end(a, flow);
}

static void
host_add_undo_resource(zs_flow *flow, void *arg)
{
	host_add *a = arg;
	if (a->tx_open) {
		zs_db_rollback(a->conn);
		a->tx_open = false;
	}
	zs_flow_rollback_done(flow);
}

/* ---- insert-host ---- */

static void
host_add_insert_host(zs_flow *flow, void *arg)
{
	host_add *a = arg;
	zs_status *st = NULL;
	if (host_insert(a->conn, a->call, &a->h, &a->row, &st) != 0) {
		zs_flow_fail(flow, st);
		return;
	}
	host_add_end(a, flow);
}

/* ---- hypervisor ---- */

static void
host_add_hypervisor(zs_flow *flow, void *arg)
{
	host_add *a = arg;
	zs_status *st = NULL;
	if (a->hv.factory->create(a->hv.data, a->call, a->conn, &a->hv.host, &st) != 0) {
		zs_flow_fail(flow, st);
		return;
	}
	host_add_end(a, flow);
}

/* ---- publish ---- */

/* Writes topic about the new host into the outbox, in c's transaction. */
static int
host_add_event(host_add *a, zs_db_conn *c, const char *topic, zs_status **st)
{
	Zs__Host__V1__HostInfo info = ZS__HOST__V1__HOST_INFO__INIT;
	zs_rkit_from_row(a->row, 0, &info.base);
	return zs_resource_publish(c, a->call, topic, a->uuid, NULL, &info.base, st);
}

static void
host_add_publish(zs_flow *flow, void *arg)
{
	host_add *a = arg;
	zs_status *st = NULL;
	if (host_add_event(a, a->conn, "host/created", &st) != 0) {
		zs_flow_fail(flow, st);
		return;
	}
	host_add_end(a, flow);
}

/* ---- commit ---- */

static void
host_add_commit(zs_flow *flow, void *arg)
{
	host_add *a = arg;
	zs_status *st = NULL;
	int rv = zs_db_commit(a->conn, &st);
	a->tx_open = false;   /* committed, or rolled back by PostgreSQL */
	if (rv != 0) {
		zs_flow_fail(flow, st);
		return;
	}
	a->committed = true;
	host_add_end(a, flow);
}

/* The host went out with host/created: it goes, with host/deleted, in one transaction. */
static void
host_add_undo_commit(zs_flow *flow, void *arg)
{
	host_add *a = arg;
	zs_status *st = NULL;
	int rv = 0;
	if (a->committed && a->conn == NULL)   /* connect gave it back */
		rv = zs_db_acquire(zs_node_db(zs_call_node(a->call)), HOST_UNDO_WAIT_MS, &a->conn, &st);
	if (rv == 0 && a->committed)
		rv = zs_db_begin(a->conn, &st);
	if (a->committed && rv == 0) {
		rv = zs_resource_delete(a->conn, a->uuid, &st);
		if (rv == 0)
			rv = host_add_event(a, a->conn, "host/deleted", &st);
		rv = zs_db_end(a->conn, rv, &st);
	}
	if (rv != 0) {
		zs_flow_rollback_fail(flow, st);
		return;
	}
	a->committed = false;
	zs_flow_rollback_done(flow);
}

/* ---- connect ---- */

/* On a worker: the factory's outcome; on success the row is read again (its status). */
static void
host_add_connected(int code, zs_status *st, void *arg)
{
	host_add *a = arg;
	zs_flow *flow = a->waiting;
	a->waiting = NULL;
	if (code == 0) {
		zs_db *db = zs_node_db(zs_call_node(a->call));
		const char *p[1] = { a->uuid };
		PGresult *row = NULL;
		code = zs_db_acquire(db, HOST_UNDO_WAIT_MS, &a->conn, &st);
		if (code == 0)
			code = zs_db_exec_one(a->conn, host_def.sql_get, 1, p, "host", a->uuid, &row, &st);
		if (code == 0) {
			PQclear(a->row);
			a->row = row;
		}
	}
	if (code != 0) {
		zs_flow_fail(flow, st != NULL ? st : zs_status_new(code, NULL,
		    "host %s could not be connected", a->uuid));
		return;
	}
	host_add_end(a, flow);
}

static void
host_add_connect(zs_flow *flow, void *arg)
{
	host_add *a = arg;
	host_add_release(a);   /* connecting may take a while: no pooled connection waits on it */
	a->waiting = flow;
	a->hv.factory->connect(a->hv.data, a->call, &a->hv.host, host_add_connected, a);
}

/* ---- the chain ---- */

static void
host_add_done(zs_flow_chain *chain, const zs_status *status, void *arg)
{
	(void) chain;
	host_add *a = arg;
	host_add_release(a);
	if (status == NULL) {
		Zs__Host__V1__HostInfo info = ZS__HOST__V1__HOST_INFO__INIT;
		zs_rkit_from_row(a->row, 0, &info.base);
		a->closure(&info.base, a->call);
	} else if (status->n_details == 0 && status->error_code != NULL && *status->error_code) {
		/* one of ours, with no failed undo to tell: made again by zs_call_fail_cause, which
		 * adds the declared description of its code */
		zs_call_fail_cause(a->call, (int) status->code, status->error_code, status->cause, "%s",
		    status->message);
	} else {
		zs_call_fail_status(a->call, zs_status_copy(status));
	}
	host_add_free(a);
}

/* Copies what the call asked for into a new host_add; NULL when out of memory. */
static host_add *
host_add_new(zs_call *call, const Zs__Host__V1__AddHostRequest *in, const char *ip,
    ProtobufCClosure closure)
{
	host_add *a = calloc(1, sizeof *a);
	if (a == NULL)
		return NULL;
	a->call = call;
	a->closure = closure;
	a->state = zs_call_service_data(call);
	a->cluster_uuid = strdup(in->cluster_uuid);
	a->name = strdup(in->name);
	a->description = strdup(in->description);
	if (a->state == NULL || a->cluster_uuid == NULL || a->name == NULL || a->description == NULL) {
		host_add_free(a);
		return NULL;
	}
	zs_resource_uuid(a->uuid);
	snprintf(a->ip, sizeof a->ip, "%s", ip);
	a->h = (host_new) { a->uuid, a->cluster_uuid, NULL, a->name, a->description, a->ip, NULL };
	if (host_hv_params(&a->hv, in) != 0) {
		host_add_free(a);
		return NULL;
	}
	a->hv.host.uuid = a->uuid;
	a->hv.host.cluster_uuid = a->cluster_uuid;
	a->hv.host.name = a->name;
	a->hv.host.management_ip = a->ip;
	return a;
}

static zs_flow_chain *
host_add_chain(host_add *a)
{
	zs_flow_chain *chain = zs_flow_chain_new("add-host");
	if (chain == NULL)
		return NULL;
	const unsigned self = ZS_FLOW_ROLLBACK_SELF;
	if (zs_flow_chain_add(chain, host_add_steps[0], host_add_check_cluster, NULL, a, 0) != 0 ||
	    zs_flow_chain_add(chain, host_add_steps[1], host_add_insert_resource,
	    host_add_undo_resource, a, self) != 0 ||
	    zs_flow_chain_add(chain, host_add_steps[2], host_add_insert_host, NULL, a, 0) != 0 ||
	    zs_flow_chain_add(chain, host_add_steps[3], host_add_hypervisor, NULL, a, 0) != 0 ||
	    zs_flow_chain_add(chain, host_add_steps[4], host_add_publish, NULL, a, 0) != 0 ||
	    zs_flow_chain_add(chain, host_add_steps[5], host_add_commit, host_add_undo_commit, a,
	    self) != 0 ||
	    zs_flow_chain_add(chain, host_add_steps[6], host_add_connect, NULL, a, 0) != 0) {
		zs_flow_chain_free(chain);
		return NULL;
	}
	return chain;
}

void
host_add_host(zs_call *call, const ProtobufCMessage *input, ProtobufCClosure closure)
{
	const Zs__Host__V1__AddHostRequest *in = (const Zs__Host__V1__AddHostRequest *) input;
	char ip[HOST_IP_MAX];
	if (zs_check_uuid(call, "cluster_uuid", in->cluster_uuid) != 0 ||
	    zs_check_text(call, "name", in->name, HOST_NAME_MAX_BYTES, ZS_TEXT_REQUIRED) != 0 ||
	    zs_check_text(call, "description", in->description, HOST_DESCRIPTION_MAX,
	    ZS_TEXT_MULTILINE) != 0 ||
	    !host_check_ip(call, "management_ip", in->management_ip, ip, sizeof ip))
		return;
	host_add *a = host_add_new(call, in, ip, closure);
	zs_flow_chain *chain = a != NULL ? host_add_chain(a) : NULL;
	if (chain == NULL) {
		if (a != NULL)
			host_add_free(a);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	zs_flow_chain_start(chain, host_add_done, a);
}
