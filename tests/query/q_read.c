/*
 * q_read.c: what queries find: each op on typed fields (text, uuid, enum, time), dot
 * paths to related resources (a host's cluster, zone and tags; a cluster's zone and
 * hosts; a zone's clusters and hosts), and the page: limit, start, sort_by,
 * sort_direction, fields, count and reply_with_count.
 */
#include <stdio.h>
#include <string.h>

#include "q.h"

/* Checks that QueryHost with c answers exactly the hosts named in want, in that order. */
static void
q_expect(inv *t, const char *s, const qc *c, size_t n, const qopt *o, const char *want,
    const char *what)
{
	Zs__Host__V1__QueryHostResponse *r = q_hosts(t, s, c, n, o);
	char got[512] = "";
	q_host_names(r, got, sizeof got);
	ZST_CHECK(r != NULL && strcmp(got, want) == 0, "QueryHost %s: [%s] (got [%s]; %s)", what,
	    want, got, r != NULL ? "OK" : t->msg);
	zs_reply_free(r);
}

#define EXPECT(c, want, what) q_expect(t, t->admin, (c), Q_N(c), NULL, (want), (what))

void
q_test_ops(inv *t, q_world *w)
{
	EXPECT(((qc[]) { { "name", "=", "h1" } }), "h1", "name = h1");
	EXPECT(((qc[]) { { "name", "!=", "h1" } }), "h2,h3,h4,h5,h6,u-host", "name != h1");
	EXPECT(((qc[]) { { "name", "in", "h1,h3,nope" } }), "h1,h3", "name in h1,h3,nope");
	EXPECT(((qc[]) { { "name", "not in", "h1,h3" } }), "h2,h4,h5,h6,u-host", "name not in h1,h3");
	EXPECT(((qc[]) { { "name", "like", "h%" } }), "h1,h2,h3,h4,h5,h6", "name like h%");
	EXPECT(((qc[]) { { "name", "not like", "h%" } }), "u-host", "name not like h%");
	EXPECT(((qc[]) { { "name", "~=", "u-%" } }), "u-host", "name ~= u-% (the CLI's token)");
	EXPECT(((qc[]) { { "management_ip", ">", "127.0.2.4" } }), "h5,h6,u-host",
	    "management_ip > 127.0.2.4 (text order)");
	EXPECT(((qc[]) { { "managementIp", ">=", "127.0.2.5" } }), "h5,h6,u-host",
	    "managementIp >= 127.0.2.5 (lowerCamel)");
	EXPECT(((qc[]) { { "management_ip", "<", "127.0.2.2" } }), "h1", "management_ip < 127.0.2.2");
	EXPECT(((qc[]) { { "management_ip", "<=", "127.0.2.2" } }), "h1,h2", "management_ip <= 127.0.2.2");
	EXPECT(((qc[]) { { "description", "is null", "" } }), "", "description is null (never)");
	EXPECT(((qc[]) { { "description", "IS NOT NULL", "" } }), "h1,h2,h3,h4,h5,h6,u-host",
	    "description IS NOT NULL");
	EXPECT(((qc[]) { { "uuid", "=", w->h[4] } }), "h5", "uuid = h5's");
	char two[2 * INV_UUID + 4];
	snprintf(two, sizeof two, "%s, %s", w->h[5], w->h[0]);
	EXPECT(((qc[]) { { "uuid", "in", two } }), "h1,h6", "uuid in h6's, h1's");
	EXPECT(((qc[]) { { "cluster_uuid", "=", w->cb }, { "name", "!=", "h5" } }), "h4,h6",
	    "cluster_uuid = c-b's and name != h5 (AND)");
	EXPECT(((qc[]) { { "zoneUuid", "=", w->za } }), "h1,h2,h3", "zoneUuid = z-a's");
	EXPECT(((qc[]) { { "state", "=", "Enabled" }, { "status", "=", "connected" } }),
	    "h1,h2,h3,h4,h5,h6,u-host", "state = Enabled and status = connected (any case)");
	EXPECT(((qc[]) { { "state", "in", "Disabled, Maintenance" } }), "", "state in Disabled, Maintenance");
	EXPECT(((qc[]) { { "hypervisor_type", "not in", "KVM" } }), "", "hypervisor_type not in KVM");
	EXPECT(((qc[]) { { "status", "like", "Con%" }, { "name", "=", "h2" } }), "h2",
	    "status like Con% and name = h2");

	/* time: every op, the rows checked against the times the Infos carry */
	Zs__Host__V1__QueryHostResponse *all = q_hosts(t, t->admin, NULL, 0, NULL);
	if (!ZST_CHECK(all != NULL && all->n_inventories == Q_HOSTS + 1, "QueryHost with no "
	    "condition answers all %d hosts (%s)", Q_HOSTS + 1, t->msg)) {
		zs_reply_free(all);
		return;
	}
	/* h3's time, written at +08:00: the same instant */
	int64_t pivot = w->h_created[2];
	char pv[48];
	zst_time_text(pivot, 8 * 60, pv, sizeof pv);
	static const char *const ops[] = { "=", "!=", "<", "<=", ">", ">=" };
	for (size_t k = 0; k < Q_N(ops); k++) {
		int want = 0;
		for (size_t i = 0; i < all->n_inventories; i++) {
			int64_t c = zst_time_us(all->inventories[i]->create_date);
			bool m = k == 0 ? c == pivot : k == 1 ? c != pivot : k == 2 ? c < pivot :
			    k == 3 ? c <= pivot : k == 4 ? c > pivot : c >= pivot;
			want += m;
		}
		qc c[] = { { "create_date", ops[k], pv } };
		Zs__Host__V1__QueryHostResponse *r = q_hosts(t, t->admin, c, 1, NULL);
		bool each = r != NULL;
		for (size_t i = 0; r != NULL && i < r->n_inventories; i++) {
			int64_t v = zst_time_us(r->inventories[i]->create_date);
			each = each && (k == 0 ? v == pivot : k == 1 ? v != pivot : k == 2 ? v < pivot :
			    k == 3 ? v <= pivot : k == 4 ? v > pivot : v >= pivot);
		}
		ZST_CHECK(r != NULL && each && (int) r->n_inventories == want, "create_date %s "
		    "h3's time (%s): %d hosts, each one matching (got %d; %s)", ops[k], pv, want,
		    r != NULL ? (int) r->n_inventories : -1, t->msg);
		zs_reply_free(r);
	}
	char in[128], t1[48], t6[48];
	snprintf(in, sizeof in, "%s, %s", zst_time_text(w->h_created[0], 0, t1, sizeof t1),
	    zst_time_text(w->h_created[5], -90, t6, sizeof t6));
	Zs__Host__V1__QueryHostResponse *r = q_hosts(t, t->admin,
	    (qc[]) { { "createDate", "in", in } }, 1, NULL);
	bool has1 = false, has6 = false;
	for (size_t i = 0; r != NULL && i < r->n_inventories; i++) {
		has1 |= strcmp(r->inventories[i]->uuid, w->h[0]) == 0;
		has6 |= strcmp(r->inventories[i]->uuid, w->h[5]) == 0;
	}
	ZST_CHECK(has1 && has6, "createDate in h1's, h6's time finds both (%s; %s)", in, t->msg);
	zs_reply_free(r);
	zs_reply_free(all);
}

void
q_test_dot_paths(inv *t, q_world *w)
{
	EXPECT(((qc[]) { { "cluster.name", "=", "c-a" } }), "h1,h2,h3", "cluster.name = c-a");
	EXPECT(((qc[]) { { "zone.name", "=", "z-b" } }), "h4,h5,h6", "zone.name = z-b");
	EXPECT(((qc[]) { { "cluster.zoneUuid", "=", w->za } }), "h1,h2,h3",
	    "cluster.zoneUuid = z-a's (lowerCamel dot path)");
	EXPECT(((qc[]) { { "cluster.name", "!=", "c-a" } }), "h4,h5,h6,u-host", "cluster.name != c-a");
	EXPECT(((qc[]) { { "cluster.name", "in", "c-b,u-cluster" }, { "name", "like", "%5" } }), "h5",
	    "cluster.name in c-b,u-cluster and name like %5");
	EXPECT(((qc[]) { { "zone.name", "like", "z-%" }, { "cluster.hypervisor_type", "=", "KVM" } }),
	    "h1,h2,h3,h4,h5,h6", "zone.name like z-% and cluster.hypervisor_type = KVM");
	EXPECT(((qc[]) { { "tags.tag", "=", "rack::r1" } }), "h1,h2,u-host", "tags.tag = rack::r1");
	EXPECT(((qc[]) { { "tags.tag", "like", "rack::%" }, { "zone.name", "=", "z-a" } }), "h1,h2",
	    "tags.tag like rack::% and zone.name = z-a");
	/* every connected host has its agent's facts as system tags */
	EXPECT(((qc[]) { { "tags.tag", "is null", "" } }), "", "tags.tag is null (none: facts)");
	EXPECT(((qc[]) { { "tags.tag", "is not null", "" } }), "h1,h2,h3,h4,h5,h6,u-host",
	    "tags.tag is not null (all: their facts at least)");

	Zs__Cluster__V1__QueryClusterResponse *c = q_clusters(t, t->admin,
	    (qc[]) { { "hosts.name", "=", "h5" } }, 1, NULL);
	ZST_CHECK(c != NULL && c->n_inventories == 1 && strcmp(c->inventories[0]->uuid, w->cb) == 0,
	    "QueryCluster hosts.name = h5: c-b (%s)", t->msg);
	zs_reply_free(c);
	c = q_clusters(t, t->admin, (qc[]) { { "zone.name", "=", "z-a" } }, 1, NULL);
	ZST_CHECK(c != NULL && c->n_inventories == 1 && strcmp(c->inventories[0]->name, "c-a") == 0,
	    "QueryCluster zone.name = z-a: c-a (%s)", t->msg);
	zs_reply_free(c);
	Zs__Zone__V1__QueryZoneResponse *z = q_zones(t, t->admin,
	    (qc[]) { { "clusters.name", "=", "c-b" } }, 1, NULL);
	ZST_CHECK(z != NULL && z->n_inventories == 1 && strcmp(z->inventories[0]->uuid, w->zb) == 0,
	    "QueryZone clusters.name = c-b: z-b (%s)", t->msg);
	zs_reply_free(z);
	z = q_zones(t, t->admin, (qc[]) { { "hosts.managementIp", "=", "127.0.2.1" } }, 1, NULL);
	ZST_CHECK(z != NULL && z->n_inventories == 1 && strcmp(z->inventories[0]->name, "z-a") == 0,
	    "QueryZone hosts.managementIp = 127.0.2.1: z-a (%s)", t->msg);
	zs_reply_free(z);
	qopt cnt = { .limit = -1, .count = true };
	z = q_zones(t, t->admin, (qc[]) { { "tags.tag", "is null", "" } }, 1, &cnt);
	ZST_CHECK(z != NULL && z->total == 3 && z->n_inventories == 0,
	    "QueryZone count of zones with no tag: 3 (got %lld; %s)",
	    z != NULL ? (long long) z->total : -1LL, t->msg);
	zs_reply_free(z);
}

void
q_test_paging(inv *t, q_world *w)
{
	(void) w;
	qc hs[] = { { "name", "like", "h%" } };
	qopt o = { .limit = 2, .start = 1, .sort_by = "name" };
	q_expect(t, t->admin, hs, 1, &o, "h2,h3", "name like h%, sort_by name, limit 2, start 1");
	o.dir = "DESC";
	q_expect(t, t->admin, hs, 1, &o, "h5,h4", "the same, sort_direction DESC");
	o = (qopt) { .limit = -1, .sort_by = "managementIp", .dir = "desc" };
	q_expect(t, t->admin, NULL, 0, &o, "u-host,h6,h5,h4,h3,h2,h1", "sort_by managementIp desc");
	o = (qopt) { .limit = -1, .sort_by = "createDate", .dir = "desc", .start = 5 };
	q_expect(t, t->admin, NULL, 0, &o, "h2,h1", "sort_by createDate desc, start 5");
	o = (qopt) { .limit = 0 };
	q_expect(t, t->admin, NULL, 0, &o, "", "limit 0");
	o = (qopt) { .limit = -1 };
	q_expect(t, t->admin, NULL, 0, &o, "h1,h2,h3,h4,h5,h6,u-host", "no limit: oldest first");

	o = (qopt) { .limit = 2, .with_count = true, .sort_by = "name" };
	Zs__Host__V1__QueryHostResponse *r = q_hosts(t, t->admin, hs, 1, &o);
	char got[256] = "";
	q_host_names(r, got, sizeof got);
	ZST_CHECK(r != NULL && r->total == 6 && strcmp(got, "h1,h2") == 0,
	    "reply_with_count, limit 2: h1,h2 and total 6 (got [%s], %lld; %s)", got,
	    r ? (long long) r->total : -1LL, t->msg);
	zs_reply_free(r);
	o.start = 50;
	r = q_hosts(t, t->admin, hs, 1, &o);
	ZST_CHECK(r != NULL && r->total == 6 && r->n_inventories == 0,
	    "reply_with_count past the end: no rows, total still 6 (%s)", t->msg);
	zs_reply_free(r);
	ZST_CHECK(q_host_count(t, t->admin, hs, 1) == 6, "count: total 6 and no rows");
	ZST_CHECK(q_host_count(t, t->admin, NULL, 0) == Q_HOSTS + 1, "count of all hosts: %d",
	    Q_HOSTS + 1);

	static const char *const only_name[] = { "name", NULL };
	o = (qopt) { .limit = -1, .fields = only_name };
	r = q_hosts(t, t->admin, (qc[]) { { "name", "=", "h4" } }, 1, &o);
	ZST_CHECK(r != NULL && r->n_inventories == 1 && strcmp(r->inventories[0]->name, "h4") == 0 &&
	    r->inventories[0]->uuid[0] == '\0' && r->inventories[0]->management_ip[0] == '\0' &&
	    r->inventories[0]->create_date == NULL, "fields [name]: only the name is filled (%s)",
	    t->msg);
	zs_reply_free(r);
	static const char *const ip_uuid[] = { "managementIp", "uuid", NULL };
	o.fields = ip_uuid;
	r = q_hosts(t, t->admin, (qc[]) { { "name", "=", "h4" } }, 1, &o);
	ZST_CHECK(r != NULL && r->n_inventories == 1 && r->inventories[0]->name[0] == '\0' &&
	    strcmp(r->inventories[0]->management_ip, "127.0.2.4") == 0 &&
	    strcmp(r->inventories[0]->uuid, w->h[3]) == 0 && r->inventories[0]->state[0] == '\0',
	    "fields [managementIp, uuid]: those two only (%s)", t->msg);
	zs_reply_free(r);
	o = (qopt) { .limit = 5000 };
	r = q_hosts(t, t->admin, NULL, 0, &o);
	ZST_CHECK(r != NULL, "limit 5000 (query.limit.max here) is allowed (%s)", t->msg);
	zs_reply_free(r);
}
