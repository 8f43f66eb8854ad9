/*
 * kvm_test.c: the kvm plugin end to end: a zsnode with the built plugins and a zs-kvmsim
 * whose hosts listen on 127.0.1.x (loopback only). AddKvmHost connects a host (Connected,
 * its facts as system tags, its capacity row with kvm.reservedMemory taken off); a fault
 * on /host/connect leaves nothing behind and says why; ping failures make a host
 * Disconnected and it is reconnected once the fault clears; an agent that changed is
 * reconnected; ReconnectHost, ChangeHostState; kvm.reservedMemory changes (global, cluster
 * and host tags) move the reserve in the capacity rows at once; a plain AddHost on the KVM
 * cluster connects the host through the kvm factory and checks its parameters; a second
 * account is refused on every KVM and host API and nothing changes; 40 more hosts all
 * pinged by the one tracker.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inv.h"
#include "kvmt.h"
#include "zst_sim.h"
#include "zs/kvm/v1/kvm.pb-c.h"

#define GIB (1ll << 30)

static int sim_port;

/* method url on the simulator (host "127.0.0.1" unless given): the JSON answer or NULL. */
static json_t *
sim_http(const char *method, const char *host, const char *path, const char *body)
{
	return zst_sim_http(sim_port, method, host, path, body);
}

static void
sim_do(const char *method, const char *path, const char *body)
{
	json_t *o = sim_http(method, NULL, path, body);
	ZST_CHECK(o != NULL, "the simulator answers %s %s", method, path);
	json_decref(o);
}

/* How many commands on path host got (from /sim/log). */
static size_t
sim_count(const char *host, const char *path)
{
	char q[256];
	snprintf(q, sizeof q, "/sim/log?host=%s&path=%s&limit=10000", host, path);
	json_t *o = sim_http("GET", NULL, q, NULL);
	json_t *a = json_is_array(o) ? o : json_object_get(o, "log");
	if (a == NULL)
		a = json_object_get(o, "entries");
	size_t n = json_array_size(a);
	json_decref(o);
	return n;
}

static int
add_kvm(inv *t, const char *s, const char *cluster, const char *name, const char *ip,
    const char *password, Zs__Kvm__V1__KvmHostInfo **out)
{
	Zs__Kvm__V1__AddKvmHostRequest req = ZS__KVM__V1__ADD_KVM_HOST_REQUEST__INIT;
	req.cluster_uuid = (char *) cluster;
	req.name = (char *) name;
	req.management_ip = (char *) ip;
	req.username = "root";
	req.password = (char *) password;
	return inv_call(t, s, "zs.kvm.v1.Kvm/AddKvmHost", &req,
	    &zs__kvm__v1__kvm_host_info__descriptor, out);
}


/* Waits up to 5 s for uuid's capacity to reserve `reserved` GiB and have `available` GiB. */
static bool
wait_reserved(inv *t, const char *uuid, long long reserved, long long available)
{
	int64_t until = zst_now_ms() + 5000;
	do {
		Zs__Kvm__V1__KvmHostInfo *h = NULL;
		bool ok = kvmt_get(t, uuid, &h) == 0 && h->reserved_memory == reserved * GIB &&
		    h->available_memory == available * GIB;
		zs_reply_free(h);
		if (ok)
			return true;
		zst_sleep_ms(50);
	} while (zst_now_ms() < until);
	return false;
}

/* kvm.reservedMemory changes (global, or an override tag on a host or cluster) move the
 * reserve in the capacity rows at once, without a reconnect. */
static void
test_reserved(inv *t, const char *cluster, const char *cluster_tag, const char *k1,
    const char *k2)
{
	ZST_CHECK(wait_reserved(t, k1, 2, 30),
	    "the cluster's 2G tag, added after k1 connected, moved k1's reserve to 2G (30 GiB available)");
	char host_tag[INV_UUID];
	ZST_CHECK(inv_tag(t, t->admin, k1, "kvm::reservedMemory::4G", true, host_tag) == 0,
	    "k1 gets its own kvm::reservedMemory::4G (%s)", t->msg);
	ZST_CHECK(wait_reserved(t, k1, 4, 28) && wait_reserved(t, k2, 2, 30),
	    "k1 reserves 4G (28 GiB available); k2 keeps the cluster's 2G");
	ZST_CHECK(inv_tag_delete(t, t->admin, host_tag) == 0 && wait_reserved(t, k1, 2, 30),
	    "without its tag k1 is back at the cluster's 2G (%s)", t->msg);
	ZST_CHECK(inv_reserved_set(t, "3G") == 0, "the global kvm.reservedMemory becomes 3G (%s)",
	    t->msg);
	zst_sleep_ms(300);
	ZST_CHECK(wait_reserved(t, k1, 2, 30) && wait_reserved(t, k2, 2, 30),
	    "k1 and k2 keep the cluster's 2G, which overrides the global value");
	ZST_CHECK(inv_tag_delete(t, t->admin, cluster_tag) == 0 && wait_reserved(t, k1, 3, 29) &&
	    wait_reserved(t, k2, 3, 29), "without the cluster's tag both reserve the global 3G (%s)",
	    t->msg);
	ZST_CHECK(inv_reserved_set(t, NULL) == 0 && wait_reserved(t, k1, 1, 31) &&
	    wait_reserved(t, k2, 1, 31), "the global value reset: both reserve 1G again (%s)", t->msg);
	(void) cluster;
}

/* A plain AddHost on a KVM cluster connects the host through the kvm plugin's factory. */
static void
test_plain_add(inv *t, const char *cluster)
{
	Zs__Host__V1__HostInfo *info = NULL;
	int code = inv_host_add_info(t, t->admin, cluster, "p1", "127.0.1.14", &info);
	ZST_CHECK(code == 0 && strcmp(info->status, "Connected") == 0,
	    "a plain AddHost of p1 on the KVM cluster answers it Connected (%s)", t->msg);
	char p1[INV_UUID];
	snprintf(p1, sizeof p1, "%s", code == 0 ? info->uuid : "");
	zs_reply_free(info);
	Zs__Kvm__V1__KvmHostInfo *h = NULL;
	code = kvmt_get(t, p1, &h);
	ZST_CHECK(code == 0 && strcmp(h->status, "Connected") == 0 && h->total_cpu == 8 &&
	    h->total_memory == 32 * GIB && strcmp(h->username, "") == 0 && h->ssh_port == 22,
	    "GetKvmHost: Connected with its capacity; no SSH user (AddHost has none), port 22 (%s)",
	    t->msg);
	zs_reply_free(h);
	ZST_CHECK(inv_tag_count(t, t->admin, p1) == 5, "its facts are tags");
	ZST_CHECK(inv_host_delete(t, t->admin, p1) == 0 && kvmt_get(t, p1, NULL) == INV_NOT_FOUND,
	    "DeleteHost p1 takes its KVM side too (%s)", t->msg);

	Zs__Host__V1__AddHostRequest req = ZS__HOST__V1__ADD_HOST_REQUEST__INIT;
	Zs__Host__V1__AddHostRequest__ParametersEntry e =
	    ZS__HOST__V1__ADD_HOST_REQUEST__PARAMETERS_ENTRY__INIT, *ep = &e;
	req.cluster_uuid = (char *) cluster;
	req.name = "p1";
	req.management_ip = "127.0.1.14";
	req.n_parameters = 1;
	req.parameters = &ep;
	e.key = "password";
	e.value = "secret";
	code = inv_call(t, t->admin, "zs.host.v1.Host/AddHost", &req,
	    &zs__host__v1__host_info__descriptor, NULL);
	ZST_CHECK(code == INV_INVALID_ARGUMENT && strstr(t->msg, "password") != NULL &&
	    strstr(t->msg, "username, sshPort") != NULL,
	    "a parameter KVM does not take: INVALID_ARGUMENT naming it and those it takes (%s)", t->msg);
	e.key = "sshPort";
	e.value = "70000";
	code = inv_call(t, t->admin, "zs.host.v1.Host/AddHost", &req,
	    &zs__host__v1__host_info__descriptor, NULL);
	ZST_CHECK(code == INV_INVALID_ARGUMENT && strstr(t->msg, "sshPort") != NULL,
	    "sshPort 70000: INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(inv_host_count(t, t->admin, cluster, NULL, NULL) == 2, "neither left a host");
}

/* Another (normal) account is refused on every KVM and host API for the admin's host, and
 * nothing changes. */
static void
test_other_account(inv *t, const char *cluster, const char *k1)
{
	char user[INV_SESSION], user_uuid[INV_UUID], none[INV_UUID];
	if (!inv_account(t, "kvmuser", user, user_uuid))
		return;
	Zs__Kvm__V1__KvmHostInfo *before = NULL;
	ZST_REQUIRE(kvmt_get(t, k1, &before) == 0, "k1 as the admin sees it (%s)", t->msg);
	int before_tags = inv_tag_count(t, t->admin, k1);
	int code = add_kvm(t, user, cluster, "k3", "127.0.1.13", "pw", NULL);
	ZST_CHECK(code == INV_PERMISSION_DENIED && strcmp(t->error_code, "KVM.1003") == 0,
	    "another account's AddKvmHost: PERMISSION_DENIED, KVM.1003 (%s)", t->msg);
	Zs__Kvm__V1__GetKvmHostRequest g = ZS__KVM__V1__GET_KVM_HOST_REQUEST__INIT;
	g.uuid = (char *) k1;
	code = inv_call(t, user, "zs.kvm.v1.Kvm/GetKvmHost", &g,
	    &zs__kvm__v1__kvm_host_info__descriptor, NULL);
	ZST_CHECK(code == INV_PERMISSION_DENIED && strcmp(t->error_code, "KVM.1003") == 0,
	    "its GetKvmHost: KVM.1003 (%s)", t->msg);
	Zs__Kvm__V1__ReconnectHostRequest r = ZS__KVM__V1__RECONNECT_HOST_REQUEST__INIT;
	r.uuid = (char *) k1;
	code = inv_call(t, user, "zs.kvm.v1.Kvm/ReconnectHost", &r,
	    &zs__kvm__v1__kvm_host_info__descriptor, NULL);
	ZST_CHECK(code == INV_PERMISSION_DENIED && strcmp(t->error_code, "KVM.1003") == 0,
	    "its ReconnectHost: KVM.1003 (%s)", t->msg);
	Zs__Kvm__V1__ChangeHostStateRequest c = ZS__KVM__V1__CHANGE_HOST_STATE_REQUEST__INIT;
	c.uuid = (char *) k1;
	c.state_event = "disable";
	code = inv_call(t, user, "zs.kvm.v1.Kvm/ChangeHostState", &c,
	    &zs__kvm__v1__kvm_host_info__descriptor, NULL);
	ZST_CHECK(code == INV_PERMISSION_DENIED && strcmp(t->error_code, "KVM.1003") == 0,
	    "its ChangeHostState: KVM.1003 (%s)", t->msg);
	ZST_CHECK(inv_host_add(t, user, cluster, "k3", "127.0.1.13", none) == INV_NOT_FOUND,
	    "its AddHost into the admin's cluster: NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_host_get(t, user, k1, NULL) == INV_NOT_FOUND, "its GetHost of k1: NOT_FOUND (%s)",
	    t->msg);
	ZST_CHECK(inv_host_update(t, user, k1, "taken", "x") == INV_NOT_FOUND,
	    "its UpdateHost of k1: NOT_FOUND (%s)", t->msg);
	ZST_CHECK(inv_host_delete(t, user, k1) == INV_NOT_FOUND, "its DeleteHost of k1: NOT_FOUND (%s)",
	    t->msg);
	ZST_CHECK(inv_host_count(t, user, NULL, NULL, NULL) == 0, "its ListHosts is empty");
	Zs__Kvm__V1__KvmHostInfo *after = NULL;
	code = kvmt_get(t, k1, &after);
	ZST_CHECK(code == 0 && strcmp(after->name, before->name) == 0 &&
	    strcmp(after->state, before->state) == 0 && strcmp(after->status, "Connected") == 0 &&
	    after->available_memory == before->available_memory &&
	    after->total_cpu == before->total_cpu && inv_tag_count(t, t->admin, k1) == before_tags &&
	    inv_host_count(t, t->admin, cluster, NULL, NULL) == 2,
	    "nothing changed: k1 keeps its name, state, status, capacity and tags; no k3 (%s)", t->msg);
	zs_reply_free(before);
	zs_reply_free(after);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "kvm", 200) != 0 || argc < 4)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sim_port = zst_sim_start(argv[3]);
	sim_do("POST", "/sim/hosts", "{\"hosts\":[{\"name\":\"k1\",\"ip\":\"127.0.1.11\"},"
	    "{\"name\":\"k2\",\"ip\":\"127.0.1.12\"},{\"name\":\"p1\",\"ip\":\"127.0.1.14\"}]}");

	char port[64];
	snprintf(port, sizeof port, "KvmAgent.port=%d", sim_port);
	const char *sets[] = { port, "host.ping.interval=200", "host.ping.timeout=1000",
	    "host.ping.maxFailure=2", NULL };
	inv t;
	ZST_REQUIRE(inv_start(&t, sets), "a node with the kvm plugin starts");
	inv_events ev;
	ZST_REQUIRE(inv_events_open(&ev, t.node.events_url) == 0, "events are recorded");
	char zone[INV_UUID], cluster[INV_UUID];
	ZST_REQUIRE(inv_zone_create(&t, t.admin, "z", zone) == 0, "a zone");
	ZST_REQUIRE(inv_cluster_create(&t, t.admin, zone, "c", "KVM", cluster) == 0, "a KVM cluster");

	/* adding connects */
	Zs__Kvm__V1__KvmHostInfo *h = NULL;
	int code = add_kvm(&t, t.admin, cluster, "k1", "127.0.1.11", "pw", &h);
	ZST_REQUIRE(code == 0, "AddKvmHost k1 on 127.0.1.11 (%s)", t.msg);
	char k1[INV_UUID];
	snprintf(k1, sizeof k1, "%s", h->uuid);
	ZST_CHECK(strcmp(h->status, "Connected") == 0 && strcmp(h->state, "Enabled") == 0,
	    "it is Enabled and Connected (%s, %s)", h->state, h->status);
	ZST_CHECK(h->total_cpu == 8 && h->available_cpu == 8 && h->total_memory == 32 * GIB &&
	    h->reserved_memory == GIB && h->available_memory == 31 * GIB,
	    "its capacity: 8 CPUs, 32 GiB, 1 GiB reserved, 31 GiB available (%lld %lld %lld %lld)",
	    (long long) h->total_cpu, (long long) h->total_memory, (long long) h->reserved_memory,
	    (long long) h->available_memory);
	zs_reply_free(h);
	ZST_CHECK(inv_tag_query(&t, t.admin, "libvirt::version::9.0.0") == 1 &&
	    inv_tag_query(&t, t.admin, "qemu-img::version::7.2.0") == 1 &&
	    inv_tag_query(&t, t.admin, "cpu::model::Simulated CPU") == 1 &&
	    inv_tag_query(&t, t.admin, "cpu::hvmFlag::vmx") == 1 &&
	    inv_tag_query(&t, t.admin, "os::version::debian 12") == 1,
	    "its facts are system tags (libvirt, qemu-img, CPU model and flag, OS)");
	ZST_CHECK(inv_events_has(&ev, "host/created", k1, INV_EVENT_WAIT_MS) &&
	    inv_events_has(&ev, "host/connecting", k1, INV_EVENT_WAIT_MS) &&
	    inv_events_has(&ev, "host/connected", k1, INV_EVENT_WAIT_MS),
	    "host/created, host/connecting and host/connected went out");

	/* a failed connect leaves nothing */
	sim_do("POST", "/sim/faults", "{\"host\":\"k2\",\"path\":\"/host/connect\",\"action\":\"fail\","
	    "\"error\":\"libvirtd is not running\"}");
	code = add_kvm(&t, t.admin, cluster, "k2", "127.0.1.12", "pw", NULL);
	ZST_CHECK(code != 0 && strcmp(t.error_code, "KVM.1001") == 0 &&
	    strstr(t.msg, "/host/connect") != NULL && strstr(t.msg, "libvirtd is not running") != NULL,
	    "AddKvmHost k2 with its agent failing /host/connect fails with KVM.1001 naming it (%s)",
	    t.msg);
	ZST_CHECK(inv_host_count(&t, t.admin, cluster, NULL, NULL) == 1,
	    "no host k2 is left in the cluster");
	ZST_CHECK(inv_tag_query(&t, t.admin, "libvirt::version::{v}") == 1, "and no tags of it");
	sim_do("DELETE", "/sim/faults", NULL);
	char cluster_tag[INV_UUID];
	ZST_CHECK(inv_tag(&t, t.admin, cluster, "kvm::reservedMemory::2G", true, cluster_tag) == 0,
	    "the cluster reserves 2G per host (%s)", t.msg);
	code = add_kvm(&t, t.admin, cluster, "k2", "127.0.1.12", "pw", &h);
	ZST_REQUIRE(code == 0 && strcmp(h->status, "Connected") == 0,
	    "with the fault gone, k2 is added with the same name and IP, Connected (%s)", t.msg);
	ZST_CHECK(h->reserved_memory == 2 * GIB && h->available_memory == 30 * GIB,
	    "its capacity takes the cluster's kvm.reservedMemory off (%lld reserved, %lld available)",
	    (long long) h->reserved_memory, (long long) h->available_memory);
	char k2[INV_UUID];
	snprintf(k2, sizeof k2, "%s", h->uuid);
	zs_reply_free(h);
	test_reserved(&t, cluster, cluster_tag, k1, k2);
	test_plain_add(&t, cluster);

	/* the fields and who may call */
	code = add_kvm(&t, t.admin, cluster, "k3", "127.0.1.13", "", NULL);
	ZST_CHECK(code == INV_INVALID_ARGUMENT, "no password nor key: INVALID_ARGUMENT (%s)", t.msg);
	code = add_kvm(&t, t.admin, cluster, "k3", "not-an-ip", "pw", NULL);
	ZST_CHECK(code == INV_INVALID_ARGUMENT, "a bad IP: INVALID_ARGUMENT (%s)", t.msg);
	test_other_account(&t, cluster, k1);

	/* ping failures: Disconnected, then reconnected once they stop */
	sim_do("POST", "/sim/faults", "{\"faults\":[{\"host\":\"k1\",\"path\":\"/host/ping\","
	    "\"action\":\"fail\",\"error\":\"agent wedged\"},{\"host\":\"k1\",\"path\":\"/host/connect\","
	    "\"action\":\"fail\",\"error\":\"still wedged\"}]}");
	char why[512] = "";
	ZST_CHECK(kvmt_wait_status(&t, k1, "Disconnected", 10000, why, sizeof why) &&
	    strstr(why, "wedged") != NULL,
	    "k1 failing its pings becomes Disconnected, saying why (%s)", why);
	ZST_CHECK(inv_events_has(&ev, "host/disconnected", k1, INV_EVENT_WAIT_MS),
	    "host/disconnected went out");
	sim_do("DELETE", "/sim/faults", NULL);
	ZST_CHECK(kvmt_wait_status(&t, k1, "Connected", 10000, NULL, 0),
	    "with the faults gone the tracker reconnects k1");

	/* a changed agent (another hostUuid) is reconnected */
	size_t before = sim_count("k2", "/host/connect");
	json_t *o = sim_http("POST", "127.0.1.12", "/host/connect", "{\"hostUuid\":\"someone-else\"}");
	json_decref(o);
	int64_t until = zst_now_ms() + 10000;
	while (sim_count("k2", "/host/connect") < before + 2 && zst_now_ms() < until)
		zst_sleep_ms(50);
	ZST_CHECK(sim_count("k2", "/host/connect") >= before + 2 &&
	    kvmt_wait_status(&t, k2, "Connected", 10000, NULL, 0),
	    "an agent answering pings with another hostUuid is connected again");

	/* ReconnectHost and ChangeHostState */
	Zs__Kvm__V1__ReconnectHostRequest rr = ZS__KVM__V1__RECONNECT_HOST_REQUEST__INIT;
	rr.uuid = k2;
	h = NULL;
	code = inv_call(&t, t.admin, "zs.kvm.v1.Kvm/ReconnectHost", &rr,
	    &zs__kvm__v1__kvm_host_info__descriptor, &h);
	ZST_CHECK(code == 0 && strcmp(h->status, "Connected") == 0, "ReconnectHost k2 (%s)", t.msg);
	zs_reply_free(h);
	sim_do("POST", "/sim/faults", "{\"host\":\"k2\",\"path\":\"/host/capacity\",\"action\":\"fail\","
	    "\"error\":\"no capacity\"}");
	code = inv_call(&t, t.admin, "zs.kvm.v1.Kvm/ReconnectHost", &rr,
	    &zs__kvm__v1__kvm_host_info__descriptor, NULL);
	ZST_CHECK(code != 0 && strcmp(t.error_code, "KVM.1002") == 0 &&
	    kvmt_wait_status(&t, k2, "Disconnected", 1000, why, sizeof why) &&
	    strstr(why, "/host/capacity") != NULL,
	    "a failed ReconnectHost: KVM.1002, the host stays Disconnected saying why (%s; %s)",
	    t.msg, why);
	sim_do("DELETE", "/sim/faults", NULL);
	ZST_CHECK(kvmt_wait_status(&t, k2, "Connected", 10000, NULL, 0), "and the tracker reconnects it");

	Zs__Kvm__V1__ChangeHostStateRequest cr = ZS__KVM__V1__CHANGE_HOST_STATE_REQUEST__INIT;
	cr.uuid = k2;
	cr.state_event = "maintain";
	h = NULL;
	code = inv_call(&t, t.admin, "zs.kvm.v1.Kvm/ChangeHostState", &cr,
	    &zs__kvm__v1__kvm_host_info__descriptor, &h);
	ZST_CHECK(code == 0 && strcmp(h->state, "Maintenance") == 0, "maintain: Maintenance (%s)",
	    t.msg);
	zs_reply_free(h);
	code = inv_call(&t, t.admin, "zs.kvm.v1.Kvm/ReconnectHost", &rr,
	    &zs__kvm__v1__kvm_host_info__descriptor, NULL);
	ZST_CHECK(code == 9 && strcmp(t.error_code, "KVM.1004") == 0,
	    "no ReconnectHost in Maintenance (%s)", t.msg);
	cr.state_event = "enable";
	h = NULL;
	code = inv_call(&t, t.admin, "zs.kvm.v1.Kvm/ChangeHostState", &cr,
	    &zs__kvm__v1__kvm_host_info__descriptor, &h);
	ZST_CHECK(code == 0 && strcmp(h->state, "Enabled") == 0, "enable: Enabled (%s)", t.msg);
	zs_reply_free(h);
	ZST_CHECK(kvmt_wait_status(&t, k2, "Connected", 10000, NULL, 0), "and Connected");
	cr.state_event = "reboot";
	code = inv_call(&t, t.admin, "zs.kvm.v1.Kvm/ChangeHostState", &cr,
	    &zs__kvm__v1__kvm_host_info__descriptor, NULL);
	ZST_CHECK(code == INV_INVALID_ARGUMENT, "an unknown state event: INVALID_ARGUMENT (%s)", t.msg);

	/* many hosts: one tracker pings them all (the agent's version is recorded by a ping) */
	sim_do("POST", "/sim/hosts", "{\"count\":" "40" ",\"namePrefix\":\"m\",\"ipFrom\":\"127.0.2.1\"}");
	char many[40][INV_UUID];
	int added = 0;
	for (int i = 0; i < 40; i++) {
		char name[16], ip[32];
		snprintf(name, sizeof name, "m%d", i + 1);
		snprintf(ip, sizeof ip, "127.0.2.%d", i + 1);
		h = NULL;
		if (add_kvm(&t, t.admin, cluster, name, ip, "pw", &h) == 0)
			snprintf(many[added++], INV_UUID, "%s", h->uuid);
		zs_reply_free(h);
	}
	ZST_CHECK(added == 40, "40 more hosts on 127.0.2.1..40 are added (%d; %s)", added, t.msg);
	int pinged = 0;
	until = zst_now_ms() + 10000;
	while (pinged < added && zst_now_ms() < until) {
		pinged = 0;
		for (int i = 0; i < added; i++) {
			h = NULL;
			if (kvmt_get(&t, many[i], &h) == 0 && strcmp(h->status, "Connected") == 0 &&
			    strcmp(h->agent_version, "zs-kvmsim-1") == 0)
				pinged++;
			zs_reply_free(h);
		}
		if (pinged < added)
			zst_sleep_ms(100);
	}
	ZST_CHECK(pinged == added, "every one of them is Connected and was pinged (%d of %d)", pinged,
	    added);

	/* DeleteHost takes its tags and capacity with it */
	ZST_CHECK(inv_host_delete(&t, t.admin, k1) == 0, "DeleteHost k1 (%s)", t.msg);
	code = kvmt_get(&t, k1, NULL);
	ZST_CHECK(code == INV_NOT_FOUND, "GetKvmHost of it: NOT_FOUND (%s)", t.msg);
	ZST_CHECK(inv_tag_query(&t, t.admin, "libvirt::version::{v}") == added + 1, "its tags went");

	inv_events_close(&ev);
	inv_stop(&t);
	(void) zst_sim_stop();
	curl_global_cleanup();
	return zst_summary();
}
