/*
 * inv_host.c: what the host service declares: the system tag patterns on Host
 * (qemu-img::version::{version}, capability::liveSnapshot), which a zone does not take;
 * kvm.reservedMemory and its overrides, host > cluster > zone > global, as GetHost and
 * GlobalConfig/Get both tell; and a deleted host taking its tags with it.
 */
#include <stdio.h>
#include <string.h>

#include "inv.h"

/* GetHost's reserved memory is want (bytes too) from source, and GlobalConfig/Get agrees. */
static void
inv_expect(inv *t, const char *host, const char *want, uint64_t bytes, const char *source,
    const char *why)
{
	Zs__Host__V1__HostInfo *h = NULL;
	int code = inv_host_get(t, t->admin, host, &h);
	ZST_CHECK(code == 0 && strcmp(h->reserved_memory, want) == 0 &&
	    h->reserved_memory_bytes == bytes &&
	    strcmp(h->reserved_memory_source, source) == 0,
	    "%s: GetHost says reserved memory %s (%llu bytes) from %s (got %s from %s; %s)", why, want,
	    (unsigned long long) bytes, source, code == 0 ? h->reserved_memory : "-",
	    code == 0 ? h->reserved_memory_source : "-", t->msg);
	zs_reply_free(h);
	char value[64], from[32];
	code = inv_reserved(t, t->admin, host, value, from);
	bool global = strcmp(source, "global") == 0;
	ZST_CHECK(code == 0 && strcmp(value, want) == 0 &&
	    (global ? strcmp(from, "Host") != 0 && strcmp(from, "Cluster") != 0 &&
	    strcmp(from, "Zone") != 0 : strcmp(from, source) == 0),
	    "%s: GlobalConfig/Get for the host agrees (%s from %s)", why, value, from);
}

static void
inv_host_tags(inv *t, const char *zone, const char *host)
{
	const char *a = t->admin;
	ZST_CHECK(inv_tag(t, a, host, "qemu-img::version::2.12.0", true, NULL) == 0,
	    "the admin puts qemu-img::version::2.12.0 on a host (%s)", t->msg);
	ZST_CHECK(inv_tag(t, a, host, "capability::liveSnapshot", true, NULL) == 0,
	    "and the flag capability::liveSnapshot (%s)", t->msg);
	ZST_CHECK(inv_tag(t, a, zone, "qemu-img::version::2.12.0", true, NULL) == INV_INVALID_ARGUMENT,
	    "qemu-img::version::2.12.0 on a zone: INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(inv_tag(t, a, zone, "capability::liveSnapshot", true, NULL) == INV_INVALID_ARGUMENT,
	    "capability::liveSnapshot on a zone: INVALID_ARGUMENT (%s)", t->msg);
	/* connecting gave it the agent's facts: four (its agent tells no qemu-img version) */
	ZST_CHECK(inv_tag_count(t, a, host) == 6 && inv_tag_count(t, a, zone) == 0,
	    "the host has its two tags and its four other facts, the zone none");
}

static void
inv_host_memory(inv *t, const char *zone, const char *cluster, const char *host)
{
	const char *a = t->admin;
	char zt[INV_UUID], ct[INV_UUID], ht[INV_UUID];
	inv_expect(t, host, "1G", 1ull << 30, "global", "no tag");
	ZST_CHECK(inv_tag(t, a, zone, "kvm::reservedMemory::2G", true, zt) == 0, "a zone tag (%s)",
	    t->msg);
	inv_expect(t, host, "2G", 2ull << 30, "Zone", "a zone tag");
	ZST_CHECK(inv_tag(t, a, cluster, "kvm::reservedMemory::3G", true, ct) == 0,
	    "a cluster tag (%s)", t->msg);
	inv_expect(t, host, "3G", 3ull << 30, "Cluster", "cluster over zone");
	ZST_CHECK(inv_tag(t, a, host, "kvm::reservedMemory::512M", true, ht) == 0, "a host tag (%s)",
	    t->msg);
	inv_expect(t, host, "512M", 512ull << 20, "Host", "host over cluster over zone");
	ZST_CHECK(inv_tag_delete(t, a, ht) == 0, "the host tag is deleted");
	inv_expect(t, host, "3G", 3ull << 30, "Cluster", "without the host tag");
	/* the tags module may take a value out of the config's range; it never takes effect */
	if (inv_tag(t, a, host, "kvm::reservedMemory::65G", true, ht) == 0) {
		inv_expect(t, host, "3G", 3ull << 30, "Cluster", "a host tag above the range (65G)");
		ZST_CHECK(inv_tag_delete(t, a, ht) == 0, "the 65G host tag is deleted");
	} else {
		ZST_CHECK(t->code == INV_INVALID_ARGUMENT, "a host tag above the range (65G) is "
		    "refused (%s)", t->msg);
	}
	ZST_CHECK(inv_tag_delete(t, a, ct) == 0, "the cluster tag is deleted");
	inv_expect(t, host, "2G", 2ull << 30, "Zone", "without the cluster tag");
	ZST_CHECK(inv_tag_delete(t, a, zt) == 0, "the zone tag is deleted");
	ZST_CHECK(inv_reserved_set(t, "4096") == 0, "the admin sets kvm.reservedMemory to 4096 (%s)",
	    t->msg);
	inv_expect(t, host, "4096", 4096, "global", "a new global value");
	ZST_CHECK(inv_reserved_set(t, "65G") == INV_INVALID_ARGUMENT,
	    "kvm.reservedMemory above 64G: INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(inv_reserved_set(t, NULL) == 0, "kvm.reservedMemory is reset (%s)", t->msg);
	inv_expect(t, host, "1G", 1ull << 30, "global", "after the reset");
}

/* A deleted host takes its tags (user and system) with it. */
static void
inv_host_delete_tags(inv *t, const char *cluster)
{
	const char *a = t->admin;
	char h[INV_UUID], user[INV_UUID], sys[INV_UUID];
	ZST_CHECK(inv_host_add(t, a, cluster, "tagged", "127.2.0.9", h) == 0 &&
	    inv_tag(t, a, h, "inv-delete-marker", false, user) == 0 &&
	    inv_tag(t, a, h, "qemu-img::version::7.7.7", true, sys) == 0 && inv_tag_count(t, a, h) == 6,
	    "a host with a user tag, a system tag and its four other facts (%s)", t->msg);
	ZST_CHECK(inv_host_delete(t, a, h) == 0, "DeleteHost (%s)", t->msg);
	ZST_CHECK(inv_tag_query(t, a, "inv-delete-marker") == 0 &&
	    inv_tag_query(t, a, "qemu-img::version::7.7.7") == 0, "its tags are gone (Tags/Query)");
	ZST_CHECK(inv_tag_count(t, a, h) == -1 && t->code == INV_NOT_FOUND,
	    "Tags/List of the deleted host: NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_tag_delete(t, a, user) == INV_NOT_FOUND &&
	    inv_tag_delete(t, a, sys) == INV_NOT_FOUND,
	    "deleting either tag: NOT_FOUND (%s)", t->msg);
}

void
inv_test_host(inv *t)
{
	const char *a = t->admin;
	char z[INV_UUID], c[INV_UUID], h[INV_UUID];
	if (!ZST_CHECK(inv_zone_create(t, a, "mem-zone", z) == 0 &&
	    inv_cluster_create(t, a, z, "mem-cluster", NULL, c) == 0 &&
	    inv_host_add(t, a, c, "mem-host", "127.2.0.1", h) == 0,
	    "a zone, a cluster and a host for tags and reserved memory (%s)", t->msg))
		return;
	inv_host_tags(t, z, h);
	inv_host_memory(t, z, c, h);
	inv_host_delete_tags(t, c);
	ZST_CHECK(inv_zone_delete(t, a, z, NULL) == 0, "the zone is deleted (%s)", t->msg);
}
