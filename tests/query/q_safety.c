/*
 * q_safety.c: what queries refuse and what they never show: unknown fields (the error
 * lists the valid ones), values of the wrong type, bad ops, sorts and limits, injection
 * attempts (found nothing, harmed nothing), a second account that sees none of the
 * admin's rows even by count, and the same query as a JSON frame (nngcat's form).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "q.h"

/* QueryHost with c and o fails INVALID_ARGUMENT with each of words in its message. */
static void
q_refused(inv *t, const qc *c, size_t n, const qopt *o, const char *const *words,
    const char *what)
{
	Zs__Host__V1__QueryHostResponse *r = q_hosts(t, t->admin, c, n, o);
	bool ok = r == NULL && t->code == INV_INVALID_ARGUMENT;
	for (size_t i = 0; ok && words != NULL && words[i] != NULL; i++)
		ok = strstr(t->msg, words[i]) != NULL;
	ZST_CHECK(ok, "QueryHost %s: INVALID_ARGUMENT saying so (got %s)", what, t->msg);
	zs_reply_free(r);
}

#define W(...) ((const char *const[]) { __VA_ARGS__, NULL })

void
q_test_errors(inv *t, q_world *w)
{
	(void) w;
	q_refused(t, (qc[]) { { "nmae", "=", "h1" } }, 1, NULL,
	    W("nmae", "valid fields", "uuid", "management_ip", "cluster.name", "zone.name", "tags.tag"),
	    "with an unknown field nmae (the valid ones listed)");
	q_refused(t, (qc[]) { { "cluster.nmae", "=", "x" } }, 1, NULL, W("cluster.nmae", "cluster.name"),
	    "with an unknown dot path");
	q_refused(t, (qc[]) { { "create_date", ">", "abc" } }, 1, NULL,
	    W("create_date", "\"abc\""), "create_date > abc");
	q_refused(t, (qc[]) { { "state", "=", "Bogus" } }, 1, NULL, W("state", "Bogus", "Enabled"),
	    "state = Bogus (not an enum value)");
	q_refused(t, (qc[]) { { "state", "in", "Enabled,Nope" } }, 1, NULL, W("state", "Nope"),
	    "state in Enabled,Nope");
	q_refused(t, (qc[]) { { "uuid", "=", "not-a-uuid" } }, 1, NULL, W("uuid", "not-a-uuid"),
	    "uuid = not-a-uuid");
	q_refused(t, (qc[]) { { "name", "~~", "h1" } }, 1, NULL, W("~~", "is not one of"), "op ~~");
	q_refused(t, (qc[]) { { "create_date", "like", "1%" } }, 1, NULL,
	    W("like", "create_date"), "like on a time");
	q_refused(t, (qc[]) { { "state", ">", "Enabled" } }, 1, NULL, W(">", "state"), "> on an enum");
	qopt o = { .limit = 5001 };
	q_refused(t, NULL, 0, &o, W("5001", "5000", "query.limit.max"), "limit 5001 (the property is 5000)");
	o = (qopt) { .limit = -1, .sort_by = "bogus" };
	q_refused(t, NULL, 0, &o, W("sort_by", "bogus", "management_ip"), "sort_by bogus");
	o.sort_by = "zone.name";
	q_refused(t, NULL, 0, &o, W("sort_by", "zone.name"), "sort_by zone.name (not its own)");
	o = (qopt) { .limit = -1, .dir = "up" };
	q_refused(t, NULL, 0, &o, W("sort_direction", "up"), "sort_direction up");
	static const char *const bad_fields[] = { "name", "colour", NULL };
	o = (qopt) { .limit = -1, .fields = bad_fields };
	q_refused(t, NULL, 0, &o, W("fields[1]", "colour", "management_ip"), "fields [name, colour]");
	static const char *const dot_fields[] = { "cluster.name", NULL };
	o.fields = dot_fields;
	q_refused(t, NULL, 0, &o, W("fields[0]", "cluster.name"), "fields [cluster.name]");
}

void
q_test_injection(inv *t, q_world *w)
{
	static const char *const values[] = {
		"x' OR '1'='1", "h1' OR '1'='1", "h1'; DROP TABLE host_hosts; --", "' OR 1=1 --",
		"h1\" OR \"1\"=\"1", "$1", "h1') OR ('1'='1",
	};
	for (size_t i = 0; i < Q_N(values); i++) {
		qc c[] = { { "name", "=", values[i] } };
		ZST_CHECK(q_host_n(t, t->admin, c, 1) == 0, "name = \"%s\" finds nothing (%s)", values[i],
		    t->msg);
		ZST_CHECK(q_host_count(t, t->admin, c, 1) == 0, "and counts 0");
		c[0].op = "like";
		ZST_CHECK(q_host_n(t, t->admin, c, 1) == 0, "name like \"%s\" finds nothing", values[i]);
		c[0].op = "in";
		ZST_CHECK(q_host_n(t, t->admin, c, 1) == 0, "name in \"%s\" finds nothing", values[i]);
		c[0].name = "cluster.name";
		ZST_CHECK(q_host_n(t, t->admin, c, 1) == 0, "cluster.name in \"%s\" finds nothing",
		    values[i]);
	}
	q_refused(t, (qc[]) { { "name = 'h1' OR 1=1 --", "=", "h1" } }, 1, NULL, W("valid fields"),
	    "with SQL as a field name");
	q_refused(t, (qc[]) { { "name", "= 'h1' OR 1=1 --", "h1" } }, 1, NULL, W("op"),
	    "with SQL as an op");
	qopt o = { .limit = -1, .sort_by = "name; DROP TABLE host_hosts" };
	q_refused(t, NULL, 0, &o, W("sort_by"), "with SQL as sort_by");
	o = (qopt) { .limit = -1, .dir = "desc; DROP TABLE host_hosts" };
	q_refused(t, NULL, 0, &o, W("sort_direction"), "with SQL as sort_direction");
	static const char *const f[] = { "uuid FROM host_hosts; --", NULL };
	o = (qopt) { .limit = -1, .fields = f };
	q_refused(t, NULL, 0, &o, W("fields"), "with SQL as a field");
	ZST_CHECK(q_host_count(t, t->admin, NULL, 0) == Q_HOSTS + 1, "afterwards all %d hosts are "
	    "still there", Q_HOSTS + 1);
	ZST_CHECK(inv_host_count(t, t->admin, NULL, NULL, NULL) == Q_HOSTS + 1 &&
	    inv_host_get(t, t->admin, w->h[0], NULL) == 0, "and ListHosts and GetHost still work (%s)",
	    t->msg);
}

void
q_test_accounts(inv *t, q_world *w)
{
	Zs__Host__V1__QueryHostResponse *r = q_hosts(t, w->user, NULL, 0, NULL);
	ZST_CHECK(r != NULL && r->n_inventories == 1 && strcmp(r->inventories[0]->uuid, w->uh) == 0,
	    "the second account's QueryHost answers its own host only (%s)", t->msg);
	zs_reply_free(r);
	ZST_CHECK(q_host_count(t, w->user, NULL, 0) == 1, "and counts 1");
	qc h1[] = { { "name", "=", "h1" } };
	ZST_CHECK(q_host_n(t, w->user, h1, 1) == 0 && q_host_count(t, w->user, h1, 1) == 0,
	    "name = h1 (the admin's): nothing, count 0");
	qc uu[] = { { "uuid", "=", w->h[0] } };
	ZST_CHECK(q_host_count(t, w->user, uu, 1) == 0, "uuid = h1's: count 0");
	qc tag[] = { { "tags.tag", "=", "rack::r1" } };
	r = q_hosts(t, w->user, tag, 1, NULL);
	ZST_CHECK(r != NULL && r->n_inventories == 1 && strcmp(r->inventories[0]->uuid, w->uh) == 0,
	    "tags.tag = rack::r1 (on the admin's h1, h2 too): its own host only (%s)", t->msg);
	zs_reply_free(r);
	qc other[] = { { "owner_uuid", "!=", w->user_uuid } };
	ZST_CHECK(q_host_count(t, w->user, other, 1) == 0, "owner_uuid != itself: count 0");
	qc za[] = { { "zone.name", "like", "z-%" } };
	ZST_CHECK(q_host_count(t, w->user, za, 1) == 0, "zone.name like z-%%: count 0");
	qopt cnt = { .limit = -1, .count = true };
	Zs__Zone__V1__QueryZoneResponse *z = q_zones(t, w->user, NULL, 0, &cnt);
	ZST_CHECK(z != NULL && z->total == 1, "its QueryZone count: 1 (%s)", t->msg);
	zs_reply_free(z);
	qopt wc = { .limit = -1, .with_count = true };
	Zs__Cluster__V1__QueryClusterResponse *c = q_clusters(t, w->user, NULL, 0, &wc);
	ZST_CHECK(c != NULL && c->total == 1 && c->n_inventories == 1 &&
	    strcmp(c->inventories[0]->uuid, w->uc) == 0, "its QueryCluster with count: its own, total 1 "
	    "(%s)", t->msg);
	zs_reply_free(c);
	/* an admin's cluster in the second account's zone: the account's dot paths skip it */
	char admin_c[INV_UUID];
	ZST_CHECK(inv_cluster_create(t, t->admin, w->uz, "admin-c", NULL, admin_c) == 0,
	    "the admin makes a cluster in the second account's zone (%s)", t->msg);
	qc ac[] = { { "clusters.name", "=", "admin-c" } };
	z = q_zones(t, w->user, ac, 1, &cnt);
	ZST_CHECK(z != NULL && z->total == 0, "its QueryZone clusters.name = admin-c (not its "
	    "own cluster): count 0 (%s)", t->msg);
	zs_reply_free(z);
	z = q_zones(t, t->admin, ac, 1, NULL);
	ZST_CHECK(z != NULL && z->n_inventories == 1 && strcmp(z->inventories[0]->uuid, w->uz) == 0,
	    "the admin's finds that zone (%s)", t->msg);
	zs_reply_free(z);
	qc uc[] = { { "clusters.name", "=", "u-cluster" } };
	z = q_zones(t, w->user, uc, 1, &cnt);
	ZST_CHECK(z != NULL && z->total == 1, "its QueryZone clusters.name = u-cluster: 1 (%s)",
	    t->msg);
	zs_reply_free(z);
	qc mine[] = { { "owner_uuid", "=", w->user_uuid } };
	r = q_hosts(t, t->admin, mine, 1, NULL);
	ZST_CHECK(r != NULL && r->n_inventories == 1 && strcmp(r->inventories[0]->uuid, w->uh) == 0,
	    "the admin finds the second account's host by owner_uuid (%s)", t->msg);
	zs_reply_free(r);
}

/* One JSON frame to the node: the reply parsed, or NULL. */
static json_t *
q_json_call(inv *t, const char *text)
{
	nng_socket s;
	if (zst_req_open(&s, t->node.rpc_url, INV_TIMEOUT_MS) != 0)
		return NULL;
	char *raw = NULL;
	size_t len = 0;
	json_t *j = NULL;
	if (zst_req_call(s, text, strlen(text), &raw, &len) == 0)
		j = json_loadb(raw, len, 0, NULL);
	free(raw);
	nng_close(s);
	return j;
}

void
q_test_json(inv *t, q_world *w)
{
	(void) w;
	char frame[1024];
	snprintf(frame, sizeof frame, "{\"method\":\"zs.host.v1.Host/QueryHost\",\"session\":\"%s\","
	    "\"body\":{\"conditions\":[{\"name\":\"cluster.name\",\"op\":\"=\",\"value\":\"c-a\"}],"
	    "\"limit\":2,\"replyWithCount\":true,\"sortBy\":\"name\",\"sortDirection\":\"desc\","
	    "\"fields\":[\"name\"]}}", t->admin);
	json_t *j = q_json_call(t, frame);
	json_t *body = json_object_get(j, "body");
	json_t *inv = json_object_get(body, "inventories");
	const char *n0 = json_string_value(json_object_get(json_array_get(inv, 0), "name"));
	const char *n1 = json_string_value(json_object_get(json_array_get(inv, 1), "name"));
	const char *total = json_string_value(json_object_get(body, "total"));
	ZST_CHECK(json_array_size(inv) == 2 && n0 && n1 && strcmp(n0, "h3") == 0 &&
	    strcmp(n1, "h2") == 0 && total && strcmp(total, "3") == 0 &&
	    json_object_get(json_array_get(inv, 0), "uuid") == NULL,
	    "a JSON frame QueryHost cluster.name = c-a, desc, limit 2, with count, fields [name]: "
	    "h3, h2 (names only), total \"3\"");
	json_decref(j);
	snprintf(frame, sizeof frame, "{\"method\":\"zs.zone.v1.Zone/QueryZone\",\"session\":\"%s\","
	    "\"body\":{\"conditions\":[{\"name\":\"colour\",\"op\":\"=\",\"value\":\"red\"}]}}",
	    t->admin);
	j = q_json_call(t, frame);
	json_t *st = json_object_get(j, "status");
	const char *code = json_string_value(json_object_get(st, "code"));
	const char *msg = json_string_value(json_object_get(st, "message"));
	ZST_CHECK(code && strcmp(code, "INVALID_ARGUMENT") == 0 && msg && strstr(msg, "colour") &&
	    strstr(msg, "clusters.name"), "a JSON QueryZone on an unknown field: INVALID_ARGUMENT "
	    "listing the zone's fields (%s)", msg ? msg : "no answer");
	json_decref(j);
}
