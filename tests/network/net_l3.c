/*
 * net_l3.c: L3 networks, their IP ranges (each invalid case ZStack refuses, by
 * AddIpRange and by CIDR) and IP allocation: 1,000 concurrent AllocateIp calls on a range
 * of 1,000 addresses give 1,000 distinct addresses of it, the next one is
 * RESOURCE_EXHAUSTED "no IP left in L3 network ...", a released address is given again,
 * a wanted address in use is ALREADY_EXISTS.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

#define NET_N 1000

/* 1,000 allocations in flight at once. */
typedef struct net_burst {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done, ok;
	char ips[NET_N][32];
	char first_error[256];
} net_burst;

static void
burst_done(int code, const zs_status *status, ProtobufCMessage *reply, void (*fn)(void),
    void *arg)
{
	(void) fn;
	net_burst *b = arg;
	pthread_mutex_lock(&b->lock);
	if (code == 0)
		snprintf(b->ips[b->ok++], 32, "%s", ((Zs__Network__V1__UsedIpInfo *) reply)->ip);
	else if (b->first_error[0] == '\0')
		snprintf(b->first_error, sizeof b->first_error, "%d: %s", code,
		    status != NULL && status->message ? status->message : "");
	b->done++;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
	zs_reply_free(reply);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
net_test_burst(net_env *e, const char *l3)
{
	static net_burst b;
	memset(&b, 0, sizeof b);
	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.cond, NULL);
	Zs__Network__V1__AllocateIpRequest req = ZS__NETWORK__V1__ALLOCATE_IP_REQUEST__INIT;
	req.l3_network_uuid = (char *) l3;
	zs_call_opts opts = { .timeout_ms = 60000, .session = e->t.admin };
	int64_t t0 = zst_now_ms();
	int sent = 0;
	for (int i = 0; i < NET_N; i++)
		if (zs_client_call_async(e->t.client, "zs.network.v1.L3Network/AllocateIp", &req.base,
		    &zs__network__v1__used_ip_info__descriptor, burst_done, NULL, &b, &opts) == 0)
			sent++;
	pthread_mutex_lock(&b.lock);
	while (b.done < sent)
		pthread_cond_wait(&b.cond, &b.lock);
	pthread_mutex_unlock(&b.lock);
	int64_t ms = zst_now_ms() - t0;
	ZST_CHECK(sent == NET_N && b.ok == NET_N, "1,000 concurrent AllocateIp calls all succeed "
	    "(%d of %d sent, %d ok, in %lld ms; %s)", sent, NET_N, b.ok, (long long) ms, b.first_error);
	qsort(b.ips, (size_t) b.ok, sizeof b.ips[0], cmp_str);
	int dup = 0, outside = 0;
	for (int i = 0; i < b.ok; i++) {
		if (i > 0 && strcmp(b.ips[i], b.ips[i - 1]) == 0)
			dup++;
		unsigned a, c, d, f;
		if (sscanf(b.ips[i], "%u.%u.%u.%u", &a, &c, &d, &f) != 4 || a != 10 || c != 1 ||
		    d * 256 + f < 1 || d * 256 + f > 1000)
			outside++;
	}
	ZST_CHECK(dup == 0 && outside == 0,
	    "they are 1,000 distinct addresses, all in 10.1.0.1-10.1.3.232 (%d twice, %d outside)",
	    dup, outside);
	pthread_mutex_destroy(&b.lock);
	pthread_cond_destroy(&b.cond);
}

void
net_test_l3(net_env *e)
{
	inv *t = &e->t;
	char l2[INV_UUID], l3[INV_UUID], l3b[INV_UUID], r1[INV_UUID];
	ZST_REQUIRE(net_l2_create(e, t->admin, e->zone, "guest", "eth2", -1, l2) == 0,
	    "an L2 for L3 networks (%s)", t->msg);
	const char *dns[] = { "8.8.8.8", "1.1.1.1" };
	ZST_REQUIRE(net_l3_create(e, t->admin, l2, "l3", dns, 2, l3) == 0, "CreateL3Network (%s)",
	    t->msg);
	Zs__Network__V1__GetL3NetworkRequest gr = ZS__NETWORK__V1__GET_L3_NETWORK_REQUEST__INIT;
	gr.uuid = l3;
	Zs__Network__V1__L3NetworkInfo *l3i = NULL;
	int code = inv_call(t, t->admin, "zs.network.v1.L3Network/GetL3Network", &gr,
	    &zs__network__v1__l3_network_info__descriptor, &l3i);
	ZST_CHECK(code == 0 && strcmp(l3i->dns, "8.8.8.8,1.1.1.1") == 0 &&
	    strcmp(l3i->type, "L3BasicNetwork") == 0 && strcmp(l3i->category, "Private") == 0 &&
	    strcmp(l3i->l2_network_uuid, l2) == 0 && strcmp(l3i->zone_uuid, e->zone) == 0,
	    "GetL3Network: its DNS in order, L3BasicNetwork, Private, its L2 and zone (%s)", t->msg);
	zs_reply_free(l3i);
	ZST_CHECK(inv_events_has(&e->ev, "l3network/created", l3, INV_EVENT_WAIT_MS),
	    "l3network/created went out");
	const char *bad_dns[] = { "8.8.8" };
	code = net_l3_create(e, t->admin, l2, "bad", bad_dns, 1, NULL);
	ZST_CHECK(code == INV_INVALID_ARGUMENT && strstr(t->msg, "dns") != NULL,
	    "a DNS that is no address: INVALID_ARGUMENT (%s)", t->msg);
	code = net_l3_create(e, t->admin, "00000000-0000-4000-8000-00000000beef", "x", NULL, 0, NULL);
	ZST_CHECK(code == INV_NOT_FOUND, "an unknown L2: NOT_FOUND (%s)", t->msg);

	/* ranges */
	const char *M = "255.255.255.0";
	code = net_range_add(e, t->admin, l3, "192.168.10.10", "192.168.10.20", "192.168.10.1", M, r1);
	ZST_CHECK(code == 0, "AddIpRange 192.168.10.10-20, gateway .1, /24 (%s)", t->msg);
	char any[32] = "";
	code = net_alloc(e, l3, NULL, any);
	ZST_CHECK(code == 0 && strncmp(any, "192.168.10.", 11) == 0 && atoi(any + 11) >= 10 &&
	    atoi(any + 11) <= 20, "AllocateIp of any address gives one of the range (%s; %s)", any,
	    t->msg);
	/* the address asked for below: one the random pick did not take */
	const char *want = strcmp(any, "192.168.10.12") == 0 ? "192.168.10.13" : "192.168.10.12";
	static const struct { const char *s, *e, *g, *m, *says, *what; } bad[] = {
		{ "192.168.10.300", "192.168.10.40", "192.168.10.1", "255.255.255.0", "start_ip",
		  "a start that is no address" },
		{ "192.168.10.30", "192.168.010.40", "192.168.10.1", "255.255.255.0", "end_ip",
		  "an end with a leading zero" },
		{ "192.168.10.30", "192.168.10.40", "gw", "255.255.255.0", "gateway", "a bad gateway" },
		{ "192.168.10.30", "192.168.10.40", "192.168.10.1", "255.0.255.0", "netmask",
		  "a netmask that is not contiguous" },
		{ "192.168.10.40", "192.168.10.30", "192.168.10.1", "255.255.255.0", "after",
		  "start after end" },
		{ "192.168.10.30", "192.168.11.40", "192.168.10.1", "255.255.255.0", "not in the network",
		  "an end in another subnet" },
		{ "192.168.10.30", "192.168.10.40", "192.168.10.35", "255.255.255.0", "inside",
		  "the gateway inside the range" },
		{ "192.168.10.0", "192.168.10.5", "192.168.10.1", "255.255.255.0", "network address",
		  "the network address in the range" },
		{ "192.168.10.15", "192.168.10.25", "192.168.10.1", "255.255.255.0", "overlaps",
		  "an overlap with the L3's range" },
		{ "192.168.10.5", "192.168.10.30", "192.168.10.1", "255.255.255.0", "overlaps",
		  "a range holding the other" },
		{ "192.168.10.30", "192.168.10.40", "192.168.10.254", "255.255.255.0", "gateway",
		  "another gateway than the L3's range" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		code = net_range_add(e, t->admin, l3, bad[i].s, bad[i].e, bad[i].g, bad[i].m, NULL);
		ZST_CHECK(code == INV_INVALID_ARGUMENT && strstr(t->msg, bad[i].says) != NULL,
		    "%s: INVALID_ARGUMENT saying \"%s\" (%s)", bad[i].what, bad[i].says, t->msg);
	}
	code = net_range_add(e, t->admin, l3, "192.168.10.21", "192.168.10.30", "192.168.10.1", M, NULL);
	ZST_CHECK(code == 0, "a second range right after the first (%s)", t->msg);
	code = net_alloc(e, l3, "192.168.10.25", NULL);
	ZST_CHECK(code == 0, "AllocateIp 192.168.10.25, of the second range (%s)", t->msg);

	/* by CIDR */
	ZST_REQUIRE(net_l3_create(e, t->admin, l2, "l3b", NULL, 0, l3b) == 0, "a second L3");
	Zs__Network__V1__IpRangeInfo *ri = NULL;
	code = net_range_cidr(e, l3b, "10.20.0.0/22", &ri);
	ZST_CHECK(code == 0 && strcmp(ri->start_ip, "10.20.0.2") == 0 &&
	    strcmp(ri->end_ip, "10.20.3.254") == 0 && strcmp(ri->gateway, "10.20.0.1") == 0 &&
	    strcmp(ri->netmask, "255.255.252.0") == 0 && strcmp(ri->network_cidr, "10.20.0.0/22") == 0 &&
	    ri->size == 1021, "AddIpRangeByNetworkCidr 10.20.0.0/22: gateway .0.1, 10.20.0.2-10.20.3.254, "
	    "1021 addresses (%s)", t->msg);
	zs_reply_free(ri);
	code = net_range_cidr(e, l3b, "10.20.0.1/22", NULL);
	ZST_CHECK(code == INV_INVALID_ARGUMENT && strstr(t->msg, "network address") != NULL,
	    "a CIDR that is not a network address: INVALID_ARGUMENT (%s)", t->msg);
	code = net_range_cidr(e, l3b, "10.30.0.0/31", NULL);
	ZST_CHECK(code == INV_INVALID_ARGUMENT, "a /31: INVALID_ARGUMENT (%s)", t->msg);
	code = net_range_cidr(e, l3b, "10.20.2.0/24", NULL);
	ZST_CHECK(code == INV_INVALID_ARGUMENT && strstr(t->msg, "overlaps") != NULL,
	    "a CIDR overlapping the L3's range: INVALID_ARGUMENT (%s)", t->msg);

	/* allocation: wanted, used, outside, release */
	char got[32];
	code = net_alloc(e, l3, want, got);
	ZST_CHECK(code == 0 && strcmp(got, want) == 0, "AllocateIp %s (%s)", want, t->msg);
	code = net_alloc(e, l3, want, NULL);
	ZST_CHECK(code == INV_ALREADY_EXISTS && strcmp(t->error_code, "NETWORK.1007") == 0,
	    "the same address again: ALREADY_EXISTS, NETWORK.1007 (%s)", t->msg);
	code = net_alloc(e, l3, "192.168.10.1", NULL);
	ZST_CHECK(code == INV_INVALID_ARGUMENT, "the gateway (in no range): INVALID_ARGUMENT (%s)",
	    t->msg);
	ZST_CHECK(net_release(e, l3, want) == 0, "ReleaseIp %s (%s)", want, t->msg);
	code = net_release(e, l3, want);
	ZST_CHECK(code == INV_NOT_FOUND, "releasing it again: NOT_FOUND (%s)", t->msg);
	code = net_alloc(e, l3, want, NULL);
	ZST_CHECK(code == 0, "once released it can be allocated again (%s)", t->msg);

	/* 1,000 at once on a range of 1,000 */
	char l3c[INV_UUID];
	ZST_REQUIRE(net_l3_create(e, t->admin, l2, "l3c", NULL, 0, l3c) == 0, "a third L3");
	ZST_REQUIRE(net_range_add(e, t->admin, l3c, "10.1.0.1", "10.1.3.232", "10.1.7.254",
	    "255.255.248.0", NULL) == 0, "a range of 1,000 addresses, 10.1.0.1-10.1.3.232 (%s)", t->msg);
	net_test_burst(e, l3c);
	code = net_alloc(e, l3c, NULL, NULL);
	ZST_CHECK(code == NET_RESOURCE_EXHAUSTED && strstr(t->msg, "no IP left in L3 network") != NULL &&
	    strstr(t->msg, l3c) != NULL,
	    "the 1,001st: RESOURCE_EXHAUSTED \"no IP left in L3 network %s\" (%s)", l3c, t->msg);
	ZST_CHECK(net_release(e, l3c, "10.1.2.17") == 0, "release 10.1.2.17 (%s)", t->msg);
	code = net_alloc(e, l3c, NULL, got);
	ZST_CHECK(code == 0 && strcmp(got, "10.1.2.17") == 0,
	    "the next allocation gets it, the only free address (%s, %s)", got, t->msg);
	char empty[INV_UUID];
	if (net_l3_create(e, t->admin, l2, "empty", NULL, 0, empty) == 0) {
		code = net_alloc(e, empty, NULL, NULL);
		ZST_CHECK(code == NET_FAILED_PRECONDITION && strcmp(t->error_code, "NETWORK.1005") == 0,
		    "an L3 with no range: FAILED_PRECONDITION, NETWORK.1005 (%s)", t->msg);
	}

	/* deleting a range releases its addresses */
	PGconn *pg = net_pg(e);
	if (pg != NULL) {
		long used = net_pg_count(pg, "SELECT count(*) FROM net_used_ips WHERE "
		    "l3_network_uuid = $1", l3);
		Zs__Network__V1__DeleteIpRangeRequest dr = ZS__NETWORK__V1__DELETE_IP_RANGE_REQUEST__INIT;
		dr.uuid = r1;
		code = inv_call(t, t->admin, "zs.network.v1.IpRange/DeleteIpRange", &dr,
		    &zs__network__v1__delete_ip_range_response__descriptor, NULL);
		ZST_CHECK(code == 0 && used == 3 && net_pg_count(pg, "SELECT count(*) FROM net_used_ips "
		    "WHERE l3_network_uuid = $1", l3) == 1,
		    "DeleteIpRange releases the 2 addresses given out of it, not the other range's (%ld "
		    "before; %s)", used, t->msg);
		PQfinish(pg);
	}
}
