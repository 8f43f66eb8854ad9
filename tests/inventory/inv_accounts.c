/*
 * inv_accounts.c: two normal accounts, A and B, made by the admin. Every zone, cluster
 * and host API, the tags API and GlobalConfig/Get with resource_uuid, tried by A on B's
 * uuids, answers NOT_FOUND (or PERMISSION_DENIED) and changes nothing: B's resources are
 * checked afterwards. Names are per owner (A may reuse B's zone name: nothing leaks), each
 * account lists only its own, and the admin sees both.
 */
#include <stdio.h>
#include <string.h>

#include "inv.h"

/* B's inventory, as B made it. */
typedef struct inv_owned {
	char session[INV_SESSION], account[INV_UUID];
	char zone[INV_UUID], cluster[INV_UUID], host[INV_UUID], tag[INV_UUID];
} inv_owned;

static bool
inv_denied(int code)
{
	return code == INV_NOT_FOUND || code == INV_PERMISSION_DENIED;
}

static bool
inv_make(inv *t, inv_owned *o, const char *prefix, const char *ip)
{
	char name[64];
	snprintf(name, sizeof name, "%s-zone", prefix);
	bool ok = inv_zone_create(t, o->session, name, o->zone) == 0;
	snprintf(name, sizeof name, "%s-cluster", prefix);
	ok = ok && inv_cluster_create(t, o->session, o->zone, name, NULL, o->cluster) == 0;
	snprintf(name, sizeof name, "%s-host", prefix);
	ok = ok && inv_host_add(t, o->session, o->cluster, name, ip, o->host) == 0;
	ok = ok && inv_tag(t, o->session, o->host, "owner-note", false, o->tag) == 0;
	return ZST_CHECK(ok, "%s makes a zone, a cluster, a host and tags the host (%s)", prefix,
	    t->msg);
}

/* A, on every API, with B's uuids. */
static void
inv_cross(inv *t, const char *a, const inv_owned *b)
{
	char none[INV_UUID], value[64], source[32];
	ZST_CHECK(inv_zone_get(t, a, b->zone, NULL) == INV_NOT_FOUND, "A GetZone B's: NOT_FOUND (%s)",
	    t->msg);
	ZST_CHECK(inv_zone_update(t, a, b->zone, "taken-over", "x") == INV_NOT_FOUND,
	    "A UpdateZone B's: NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_zone_delete(t, a, b->zone, NULL) == INV_NOT_FOUND, "A DeleteZone B's: NOT_FOUND "
	    "(%s)", t->msg);
	bool has = true;
	ZST_CHECK(inv_zone_count(t, a, b->zone, &has) >= 0 && !has, "A's ListZones lacks B's zone");
	ZST_CHECK(inv_cluster_create(t, a, b->zone, "intruder", NULL, none) == INV_NOT_FOUND,
	    "A CreateCluster in B's zone: NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_cluster_get(t, a, b->cluster, NULL) == INV_NOT_FOUND,
	    "A GetCluster B's: NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_cluster_update(t, a, b->cluster, "taken-over", NULL) == INV_NOT_FOUND,
	    "A UpdateCluster B's: NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_cluster_delete(t, a, b->cluster, NULL) == INV_NOT_FOUND,
	    "A DeleteCluster B's: NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_cluster_count(t, a, b->zone, NULL, NULL) == -1 && t->code == INV_NOT_FOUND,
	    "A ListClusters of B's zone: NOT_FOUND (%s)", t->msg);
	has = true;
	ZST_CHECK(inv_cluster_count(t, a, NULL, b->cluster, &has) >= 0 && !has,
	    "A's ListClusters lacks B's cluster");
	ZST_CHECK(inv_host_add(t, a, b->cluster, "intruder", "127.9.0.99", none) == INV_NOT_FOUND,
	    "A AddHost to B's cluster: NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_host_get(t, a, b->host, NULL) == INV_NOT_FOUND, "A GetHost B's: NOT_FOUND (%s)",
	    t->msg);
	ZST_CHECK(inv_host_update(t, a, b->host, "taken-over", "x") == INV_NOT_FOUND,
	    "A UpdateHost B's: NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_host_delete(t, a, b->host) == INV_NOT_FOUND, "A DeleteHost B's: NOT_FOUND (%s)",
	    t->msg);
	ZST_CHECK(inv_host_count(t, a, b->cluster, NULL, NULL) == -1 && t->code == INV_NOT_FOUND,
	    "A ListHosts of B's cluster: NOT_FOUND (%s)", t->msg);
	has = true;
	ZST_CHECK(inv_host_count(t, a, NULL, b->host, &has) >= 0 && !has, "A's ListHosts lacks B's host");
	ZST_CHECK(inv_denied(inv_tag(t, a, b->host, "a-was-here", false, NULL)),
	    "A Tags/Create on B's host: %s", t->msg);
	ZST_CHECK(inv_denied(inv_tag(t, a, b->zone, "kvm::reservedMemory::1M", true, NULL)),
	    "A Tags/Create of a system tag on B's zone: %s", t->msg);
	ZST_CHECK(inv_tag_count(t, a, b->host) == -1 && inv_denied(t->code),
	    "A Tags/List of B's host: %s", t->msg);
	ZST_CHECK(inv_denied(inv_tag_delete(t, a, b->tag)), "A Tags/Delete of B's tag: %s", t->msg);
	ZST_CHECK(inv_tag_query(t, a, "owner-note") == 1, "A's Tags/Query finds only A's own tag");
	ZST_CHECK(inv_denied(inv_reserved(t, a, b->host, value, source)),
	    "A GlobalConfig/Get kvm.reservedMemory for B's host: %s", t->msg);
	ZST_CHECK(inv_denied(inv_reserved(t, a, b->cluster, value, source)) &&
	    inv_denied(inv_reserved(t, a, b->zone, value, source)),
	    "... and for B's cluster and zone: %s", t->msg);
}

/* B's inventory is as B made it. */
static void
inv_intact(inv *t, const inv_owned *b)
{
	Zs__Zone__V1__ZoneInfo *z = NULL;
	Zs__Cluster__V1__ClusterInfo *c = NULL;
	Zs__Host__V1__HostInfo *h = NULL;
	bool ok = inv_zone_get(t, b->session, b->zone, &z) == 0 && strcmp(z->name, "b-zone") == 0 &&
	    z->description[0] == '\0' && strcmp(z->owner_uuid, b->account) == 0;
	ok = ok && inv_cluster_get(t, b->session, b->cluster, &c) == 0 &&
	    strcmp(c->name, "b-cluster") == 0 && strcmp(c->owner_uuid, b->account) == 0;
	ok = ok && inv_host_get(t, b->session, b->host, &h) == 0 && strcmp(h->name, "b-host") == 0 &&
	    h->description[0] == '\0' && strcmp(h->owner_uuid, b->account) == 0;
	ZST_CHECK(ok, "B's zone, cluster and host are unchanged, and B owns them (%s)", t->msg);
	zs_reply_free(z);
	zs_reply_free(c);
	zs_reply_free(h);
	ZST_CHECK(inv_cluster_count(t, b->session, b->zone, NULL, NULL) == 1 &&
	    inv_host_count(t, b->session, b->cluster, NULL, NULL) == 1 &&
	    inv_tag_count(t, b->session, b->host) == 6,
	    "B's zone still has one cluster, the cluster one host, the host its one tag (and the "
	    "five facts its agent gave)");
}

void
inv_test_accounts(inv *t)
{
	inv_owned a, b;
	if (!inv_account(t, "inv-a", a.session, a.account) ||
	    !inv_account(t, "inv-b", b.session, b.account) ||
	    !inv_make(t, &b, "b", "127.9.0.2") || !inv_make(t, &a, "a", "127.9.0.1"))
		return;
	inv_cross(t, a.session, &b);
	inv_intact(t, &b);

	char mine[INV_UUID];
	ZST_CHECK(inv_zone_create(t, a.session, "b-zone", mine) == 0,
	    "A may name a zone as B named theirs: names are per owner (%s)", t->msg);
	bool has_a, has_b;
	ZST_CHECK(inv_zone_count(t, b.session, mine, &has_a) == 1 && !has_a,
	    "B's ListZones has B's one zone only");
	inv_zone_count(t, t->admin, a.zone, &has_a);
	inv_zone_count(t, t->admin, b.zone, &has_b);
	ZST_CHECK(has_a && has_b, "the admin's ListZones has both accounts' zones");
	Zs__Host__V1__HostInfo *h = NULL;
	ZST_CHECK(inv_host_get(t, t->admin, b.host, &h) == 0 && strcmp(h->owner_uuid, b.account) == 0,
	    "the admin gets B's host (%s)", t->msg);
	zs_reply_free(h);
	ZST_CHECK(inv_tag(t, a.session, a.host, "capability::liveSnapshot", true, NULL) ==
	    INV_PERMISSION_DENIED, "A adding a system tag to A's own host: PERMISSION_DENIED (%s)",
	    t->msg);
	ZST_CHECK(inv_zone_delete(t, a.session, a.zone, NULL) == 0 &&
	    inv_zone_delete(t, a.session, mine, NULL) == 0 && inv_host_get(t, a.session, a.host, NULL) ==
	    INV_NOT_FOUND, "A deletes A's own zones, and A's host goes with them (%s)", t->msg);
	inv_intact(t, &b);
	ZST_CHECK(inv_zone_delete(t, t->admin, b.zone, NULL) == 0, "the admin deletes B's zone (%s)",
	    t->msg);
}
