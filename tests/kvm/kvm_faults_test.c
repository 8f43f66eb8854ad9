/*
 * kvm_faults_test.c: adding a KVM host whose agent misbehaves during the connect leaves
 * nothing half-made and says why. For each agent path of the connect (/host/connect,
 * /host/fact, /host/capacity) and each fault zs-kvmsim injects (fail with an error text,
 * an HTTP error, hang, lose the callback, delay past the deadline, die), AddKvmHost fails
 * with KVM.1001 whose message names the host, its address, the path and the agent's
 * error text, HTTP status or DEADLINE_EXCEEDED; then no host row, no kvm row (GetKvmHost),
 * no resource (Tags/List), no tag and no capacity are left, host/created was followed by
 * host/deleted, and the same name and address add fine once the fault is gone. A plain
 * AddHost on the KVM cluster fails the same way. A node without the kvm plugin refuses
 * AddHost on a KVM cluster: no factory serves the type.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inv.h"
#include "zst_sim.h"
#include "zs/kvm/v1/kvm.pb-c.h"

#define CONNECT_TIMEOUT_MS 1000
#define IP "127.0.6.1"

enum { CODE_DEADLINE_EXCEEDED = 4, CODE_ABORTED = 10, CODE_UNAVAILABLE = 14 };

static int sim_port;

/* One fault: its sim action and what the failure must say. */
typedef struct fault_case {
	const char *action;
	const char *extra;       /* more JSON fields of the fault */
	int code;                /* the canonical code AddKvmHost fails with */
	const char *says;        /* a text its message holds ("" none more) */
} fault_case;

static const fault_case cases[] = {
	{ "fail", ",\"error\":\"agent says no\"", CODE_ABORTED, "agent says no" },
	{ "http", ",\"status\":503,\"error\":\"overloaded\"", CODE_UNAVAILABLE, "503" },
	{ "hang", "", CODE_DEADLINE_EXCEEDED, "" },
	{ "lose", "", CODE_DEADLINE_EXCEEDED, "" },
	{ "delay", ",\"delayMs\":3000", CODE_DEADLINE_EXCEEDED, "" },
	{ "die", "", CODE_UNAVAILABLE, "" },
};

static const char *const paths[] = { "/host/connect", "/host/fact", "/host/capacity" };

static int
add_kvm(inv *t, const char *cluster, Zs__Kvm__V1__KvmHostInfo **out)
{
	Zs__Kvm__V1__AddKvmHostRequest req = ZS__KVM__V1__ADD_KVM_HOST_REQUEST__INIT;
	req.cluster_uuid = (char *) cluster;
	req.name = "f1";
	req.management_ip = IP;
	req.username = "root";
	req.password = "pw";
	return inv_call(t, t->admin, "zs.kvm.v1.Kvm/AddKvmHost", &req,
	    &zs__kvm__v1__kvm_host_info__descriptor, out);
}

/* The host uuid a KVM.1001 message names ("host UUID (IP) ..."), or "". */
static void
failed_uuid(const char *msg, char uuid[INV_UUID])
{
	const char *at = strstr(msg, "host ");
	uuid[0] = '\0';
	if (at != NULL && strlen(at + 5) >= 36 && at[5 + 36] == ' ')
		snprintf(uuid, INV_UUID, "%.36s", at + 5);
}

/* Nothing of host uuid is left, from every side a user can look. */
static void
expect_nothing(inv *t, inv_events *ev, const char *cluster, const char *uuid, const char *what)
{
	ZST_CHECK(inv_host_count(t, t->admin, cluster, NULL, NULL) == 0,
	    "[%s] ListHosts of the cluster is empty", what);
	ZST_CHECK(inv_host_get(t, t->admin, uuid, NULL) == INV_NOT_FOUND,
	    "[%s] GetHost of its uuid: NOT_FOUND (%s)", what, t->msg);
	Zs__Kvm__V1__GetKvmHostRequest g = ZS__KVM__V1__GET_KVM_HOST_REQUEST__INIT;
	g.uuid = (char *) uuid;
	ZST_CHECK(inv_call(t, t->admin, "zs.kvm.v1.Kvm/GetKvmHost", &g,
	    &zs__kvm__v1__kvm_host_info__descriptor, NULL) == INV_NOT_FOUND,
	    "[%s] GetKvmHost (kvm row, capacity): NOT_FOUND (%s)", what, t->msg);
	ZST_CHECK(inv_tag_count(t, t->admin, uuid) == -1 && t->code == INV_NOT_FOUND,
	    "[%s] Tags/List of its uuid: NOT_FOUND, no resource left (%s)", what, t->msg);
	ZST_CHECK(inv_tag_query(t, t->admin, "libvirt::version::{v}") == 0 &&
	    inv_tag_query(t, t->admin, "os::version::{v}") == 0, "[%s] no fact tag anywhere", what);
	ZST_CHECK(inv_events_has(ev, "host/created", uuid, INV_EVENT_WAIT_MS) &&
	    inv_events_has(ev, "host/deleted", uuid, INV_EVENT_WAIT_MS),
	    "[%s] host/created was followed by host/deleted", what);
}

static void
one_case(inv *t, inv_events *ev, const char *cluster, const fault_case *fc, const char *path)
{
	char what[64], fault[256], uuid[INV_UUID];
	snprintf(what, sizeof what, "%s on %s", fc->action, path);
	snprintf(fault, sizeof fault, "{\"host\":\"f1\",\"path\":\"%s\",\"action\":\"%s\"%s}", path,
	    fc->action, fc->extra);
	ZST_REQUIRE(inv_sim_do(sim_port, "POST", "/sim/faults", fault), "[%s] the fault is set", what);
	int64_t t0 = zst_now_ms();
	int code = add_kvm(t, cluster, NULL);
	int64_t took = zst_now_ms() - t0;
	failed_uuid(t->msg, uuid);
	ZST_CHECK(code == fc->code && strcmp(t->error_code, "KVM.1001") == 0 && strlen(uuid) == 36 &&
	    strstr(t->msg, "(" IP ")") != NULL && strstr(t->msg, path) != NULL &&
	    strstr(t->msg, fc->says) != NULL && (fc->code != CODE_DEADLINE_EXCEEDED ||
	    strstr(t->msg, "DEADLINE_EXCEEDED") != NULL),
	    "[%s] AddKvmHost fails with code %d, KVM.1001, naming the host, its address, the path "
	    "and why (%s)", what, fc->code, t->msg);
	ZST_CHECK(took < CONNECT_TIMEOUT_MS + 3000, "[%s] within the connect timeout (%lld ms)", what,
	    (long long) took);
	zst_note("%s: %lld ms", what, (long long) took);
	if (uuid[0] != '\0')
		expect_nothing(t, ev, cluster, uuid, what);
	/* reset also revives a host that died */
	ZST_REQUIRE(inv_sim_do(sim_port, "POST", "/sim/reset", "{}"), "[%s] the simulator resets", what);
}

/* A plugins folder with every plugin of the build but kvm (links), for a node without it. */
static void
plugins_without_kvm(char dir[256])
{
	snprintf(dir, 256, "/tmp/kvm-faults-plugins-XXXXXX");
	ZST_REQUIRE(mkdtemp(dir) != NULL, "a temp folder");
	DIR *d = opendir(zst_plugins());
	ZST_REQUIRE(d != NULL, "the plugins folder %s is readable", zst_plugins());
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "kvm.xml") == 0)
			continue;
		char from[512], to[512];
		snprintf(from, sizeof from, "%s/%s", zst_plugins(), e->d_name);
		snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
		ZST_CHECK(symlink(from, to) == 0, "link %s", e->d_name);
	}
	closedir(d);
}

static void
no_factory(void)
{
	char dir[256];
	plugins_without_kvm(dir);
	inv t;
	if (!ZST_CHECK(inv_start_in(&t, dir, NULL), "a node without the kvm plugin starts"))
		return;
	char zone[INV_UUID], cluster[INV_UUID], none[INV_UUID];
	ZST_CHECK(inv_zone_create(&t, t.admin, "z", zone) == 0 &&
	    inv_cluster_create(&t, t.admin, zone, "c", "KVM", cluster) == 0, "a KVM cluster (%s)", t.msg);
	int code = inv_host_add(&t, t.admin, cluster, "h", IP, none);
	ZST_CHECK(code == INV_INVALID_ARGUMENT && strstr(t.msg, "\"KVM\"") != NULL &&
	    strstr(t.msg, "known types: none") != NULL,
	    "AddHost on it: INVALID_ARGUMENT, no factory for KVM, listing the known types (%s)",
	    t.msg);
	ZST_CHECK(inv_host_count(&t, t.admin, NULL, NULL, NULL) == 0, "and no host");
	inv_stop(&t);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ZST_CHECK(system(cmd) == 0, "the temp folder is removed");
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "kvm_faults", 200) != 0 || argc < 4)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sim_port = zst_sim_start(argv[3]);
	ZST_REQUIRE(inv_sim_do(sim_port, "POST", "/sim/hosts", "{\"name\":\"f1\",\"ip\":\"" IP "\"}"),
	    "the simulator has host f1 on " IP);
	char port[64], timeout[64];
	snprintf(port, sizeof port, "KvmAgent.port=%d", sim_port);
	snprintf(timeout, sizeof timeout, "host.connect.timeout=%d", CONNECT_TIMEOUT_MS);
	const char *sets[] = { port, timeout, NULL };
	inv t;
	ZST_REQUIRE(inv_start(&t, sets), "a node with the kvm plugin starts");
	inv_events ev;
	ZST_REQUIRE(inv_events_open(&ev, t.node.events_url) == 0, "events are recorded");
	char zone[INV_UUID], cluster[INV_UUID];
	ZST_REQUIRE(inv_zone_create(&t, t.admin, "z", zone) == 0 &&
	    inv_cluster_create(&t, t.admin, zone, "c", "KVM", cluster) == 0, "a KVM cluster");

	for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++)
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
			one_case(&t, &ev, cluster, &cases[i], paths[p]);

	/* the plain AddHost runs through the same factory */
	ZST_REQUIRE(inv_sim_do(sim_port, "POST", "/sim/faults", "{\"host\":\"f1\",\"path\":"
	    "\"/host/fact\",\"action\":\"fail\",\"error\":\"facts unknown\"}"), "a fault on /host/fact");
	char none[INV_UUID], uuid[INV_UUID];
	int code = inv_host_add(&t, t.admin, cluster, "f1", IP, none);
	failed_uuid(t.msg, uuid);
	ZST_CHECK(code == CODE_ABORTED && strcmp(t.error_code, "KVM.1001") == 0 &&
	    strstr(t.msg, "facts unknown") != NULL && strlen(uuid) == 36,
	    "a plain AddHost on the KVM cluster fails the same way (%s)", t.msg);
	if (uuid[0] != '\0')
		expect_nothing(&t, &ev, cluster, uuid, "AddHost, fail on /host/fact");
	ZST_REQUIRE(inv_sim_do(sim_port, "POST", "/sim/reset", "{}"), "the simulator resets");

	Zs__Kvm__V1__KvmHostInfo *h = NULL;
	code = add_kvm(&t, cluster, &h);
	ZST_CHECK(code == 0 && strcmp(h->status, "Connected") == 0 && h->total_memory > 0,
	    "without a fault the same name and address add fine: Connected, with its capacity (%s)",
	    t.msg);
	zs_reply_free(h);
	ZST_CHECK(inv_tag_query(&t, t.admin, "libvirt::version::{v}") == 1, "with its fact tags");

	inv_events_close(&ev);
	inv_stop(&t);
	no_factory();
	ZST_CHECK(zst_sim_stop() == 0, "the simulator stops cleanly");
	curl_global_cleanup();
	return zst_summary();
}
