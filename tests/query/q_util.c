/*
 * q_util.c: the query suite's inventory and its calls of QueryZone, QueryCluster and
 * QueryHost (see q.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "q.h"

bool
q_start(inv *t, const char *const *sets)
{
	memset(t, 0, sizeof *t);
	char why[256] = "";
	if (zst_node_spawn(&t->node, NULL, sets) != 0 ||
	    zst_node_wait_ready(&t->node, Q_READY_MS) != 0 ||
	    zst_login(t->node.rpc_url, "admin", ZST_ADMIN_PASSWORD, t->node.session,
	    sizeof t->node.session, why, sizeof why) != 0) {
		zst_note("zsnode did not start (%s)", why);
		zst_node_dump_stderr(&t->node);
		zst_node_cleanup(&t->node);
		return false;
	}
	if (zs_client_open(&t->client, t->node.rpc_url) != 0) {
		zst_note("cannot open a client to %s", t->node.rpc_url);
		zst_node_cleanup(&t->node);
		return false;
	}
	t->admin = t->node.session;
	return true;
}

bool
q_world_make(inv *t, q_world *w)
{
	memset(w, 0, sizeof *w);
	bool ok = inv_zone_create(t, t->admin, "z-a", w->za) == 0 &&
	    inv_zone_create(t, t->admin, "z-b", w->zb) == 0 &&
	    inv_cluster_create(t, t->admin, w->za, "c-a", NULL, w->ca) == 0 &&
	    inv_cluster_create(t, t->admin, w->zb, "c-b", NULL, w->cb) == 0;
	for (int i = 0; ok && i < Q_HOSTS; i++) {
		char name[16], ip[32];
		snprintf(name, sizeof name, "h%d", i + 1);
		snprintf(ip, sizeof ip, "127.0.2.%d", i + 1);
		Zs__Host__V1__HostInfo *info = NULL;
		ok = inv_host_add_info(t, t->admin, i < 3 ? w->ca : w->cb, name, ip, &info) == 0;
		if (ok) {
			snprintf(w->h[i], INV_UUID, "%s", info->uuid);
			w->h_created[i] = zst_time_us(info->create_date);
		}
		zs_reply_free(info);
	}
	ok = ok && inv_tag(t, t->admin, w->h[0], "rack::r1", false, NULL) == 0 &&
	    inv_tag(t, t->admin, w->h[1], "rack::r1", false, NULL) == 0 &&
	    inv_tag(t, t->admin, w->h[3], "rack::r2", false, NULL) == 0;
	if (!ZST_CHECK(ok, "the admin makes 2 zones, 2 clusters, 6 hosts and 3 tags (%s)", t->msg))
		return false;
	if (!inv_account(t, "query-user", w->user, w->user_uuid))
		return false;
	ok = inv_zone_create(t, w->user, "u-zone", w->uz) == 0 &&
	    inv_cluster_create(t, w->user, w->uz, "u-cluster", NULL, w->uc) == 0 &&
	    inv_host_add(t, w->user, w->uc, "u-host", "127.0.3.1", w->uh) == 0 &&
	    inv_tag(t, w->user, w->uh, "rack::r1", false, NULL) == 0;
	return ZST_CHECK(ok, "a second account makes a zone, a cluster and a tagged host (%s)",
	    t->msg);
}

/* The request for c and o; its arrays live in the caller's conds (room for n). */
static void
q_request(Zs__Resource__V1__QueryRequest *req, Zs__Resource__V1__QueryCondition *conds,
    Zs__Resource__V1__QueryCondition **ptrs, const qc *c, size_t n, const qopt *o)
{
	zs__resource__v1__query_request__init(req);
	for (size_t i = 0; i < n; i++) {
		zs__resource__v1__query_condition__init(&conds[i]);
		conds[i].name = (char *) c[i].name;
		conds[i].op = (char *) c[i].op;
		conds[i].value = (char *) (c[i].value != NULL ? c[i].value : "");
		ptrs[i] = &conds[i];
	}
	req->n_conditions = n;
	req->conditions = ptrs;
	if (o == NULL)
		return;
	if (o->limit >= 0) {
		req->_limit_case = ZS__RESOURCE__V1__QUERY_REQUEST___LIMIT_LIMIT;
		req->limit = (uint32_t) o->limit;
	}
	req->start = o->start;
	req->count = o->count;
	req->reply_with_count = o->with_count;
	req->sort_by = (char *) (o->sort_by != NULL ? o->sort_by : "");
	req->sort_direction = (char *) (o->dir != NULL ? o->dir : "");
	req->group_by = (char *) (o->group_by != NULL ? o->group_by : "");
	size_t nf = 0;
	while (o->fields != NULL && o->fields[nf] != NULL)
		nf++;
	req->n_fields = nf;
	req->fields = (char **) o->fields;
}

static void *
q_call(inv *t, const char *s, const char *method, const ProtobufCMessageDescriptor *d,
    const qc *c, size_t n, const qopt *o)
{
	Zs__Resource__V1__QueryCondition conds[32], *ptrs[32];
	if (n > 32)
		n = 32;
	Zs__Resource__V1__QueryRequest req;
	q_request(&req, conds, ptrs, c, n, o);
	void *out = NULL;
	if (inv_call(t, s, method, &req, d, &out) != 0)
		return NULL;
	return out;
}

Zs__Host__V1__QueryHostResponse *
q_hosts(inv *t, const char *s, const qc *c, size_t n, const qopt *o)
{
	return q_call(t, s, "zs.host.v1.Host/QueryHost",
	    &zs__host__v1__query_host_response__descriptor, c, n, o);
}

Zs__Zone__V1__QueryZoneResponse *
q_zones(inv *t, const char *s, const qc *c, size_t n, const qopt *o)
{
	return q_call(t, s, "zs.zone.v1.Zone/QueryZone",
	    &zs__zone__v1__query_zone_response__descriptor, c, n, o);
}

Zs__Cluster__V1__QueryClusterResponse *
q_clusters(inv *t, const char *s, const qc *c, size_t n, const qopt *o)
{
	return q_call(t, s, "zs.cluster.v1.Cluster/QueryCluster",
	    &zs__cluster__v1__query_cluster_response__descriptor, c, n, o);
}

int
q_host_n(inv *t, const char *s, const qc *c, size_t n)
{
	Zs__Host__V1__QueryHostResponse *r = q_hosts(t, s, c, n, NULL);
	int k = r != NULL ? (int) r->n_inventories : -1;
	zs_reply_free(r);
	return k;
}

int64_t
q_host_count(inv *t, const char *s, const qc *c, size_t n)
{
	qopt o = { .limit = -1, .count = true };
	Zs__Host__V1__QueryHostResponse *r = q_hosts(t, s, c, n, &o);
	int64_t k = r != NULL ? (int64_t) r->total : -1;
	if (r != NULL && r->n_inventories != 0)
		k = -2;          /* count answers no rows */
	zs_reply_free(r);
	return k;
}

void
q_host_names(const Zs__Host__V1__QueryHostResponse *r, char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; r != NULL && i < r->n_inventories && used < len; i++)
		used += (size_t) snprintf(out + used, len - used, "%s%s", i ? "," : "",
		    r->inventories[i]->name);
}
