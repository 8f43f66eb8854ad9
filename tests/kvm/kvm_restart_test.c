/*
 * kvm_restart_test.c: agents that restart. A node pings (every 200 ms) a host of a
 * zs-kvmsim; the simulator process is killed (SIGKILL) and a new one started on the same
 * port with the same host, which knows nothing of the node:
 *   - at once: the next ping is answered without the host's uuid (a changed agent): the
 *     host is connected again (/host/connect reaches the new agent) and is Connected;
 *   - after a while down: pings fail, the host becomes Disconnected saying why, and once
 *     the new agent is up the tracker reconnects it;
 * each time with the same capacity and fact tags as before. Then DeleteHost stops its
 * pings and takes its capacity and tags, with host/deleted.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inv.h"
#include "kvmt.h"
#include "zs/kvm/v1/kvm.pb-c.h"

#define IP "127.0.7.1"
#define GIB (1ll << 30)

static pid_t sim_pid;
static int sim_port;

static void
sim_kill(void)
{
	if (sim_pid > 0) {
		kill(sim_pid, SIGKILL);
		waitpid(sim_pid, NULL, 0);
		sim_pid = 0;
	}
}

/* Starts zs-kvmsim on port (0: any) with host r1 on IP; its port. */
static int
sim_spawn(const char *bin, int port)
{
	int fds[2];
	char ports[16];
	snprintf(ports, sizeof ports, "%d", port);
	ZST_REQUIRE(pipe(fds) == 0, "a pipe");
	sim_pid = fork();
	if (sim_pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(bin, bin, "--port", ports, (char *) NULL);
		_exit(127);
	}
	close(fds[1]);
	char line[256] = "";
	FILE *f = fdopen(fds[0], "r");
	ZST_REQUIRE(f != NULL && fgets(line, sizeof line, f) != NULL, "zs-kvmsim says where it listens");
	fclose(f);
	int got = 0;
	ZST_REQUIRE(sscanf(line, "zs-kvmsim: listening on http://127.0.0.1:%d", &got) == 1,
	    "its port in '%s'", line);
	ZST_REQUIRE(inv_sim_do(got, "POST", "/sim/hosts", "{\"name\":\"r1\",\"ip\":\"" IP "\"}"),
	    "the simulator has r1 on " IP);
	return got;
}

/* How many commands on path the simulator got (its log). */
static size_t
sim_count(const char *path)
{
	char q[128];
	snprintf(q, sizeof q, "/sim/log?host=r1&path=%s&limit=10000", path);
	json_t *o = inv_sim_http(sim_port, "GET", NULL, q, NULL);
	json_t *a = json_is_array(o) ? o : json_object_get(o, "log");
	if (a == NULL)
		a = json_object_get(o, "entries");
	size_t n = json_array_size(a);
	json_decref(o);
	return n;
}

/* Waits up to ms for the simulator to have got a command on path. */
static bool
wait_command(const char *path, int ms)
{
	int64_t until = zst_now_ms() + ms;
	while (sim_count(path) == 0 && zst_now_ms() < until)
		zst_sleep_ms(50);
	return sim_count(path) > 0;
}

/* The host is Connected with 8 CPUs, 32 GiB and 1 GiB reserved, and its five fact tags. */
static void
expect_as_before(inv *t, const char *uuid, const char *when)
{
	Zs__Kvm__V1__KvmHostInfo *h = NULL;
	int code = kvmt_get(t, uuid, &h);
	ZST_CHECK(code == 0 && strcmp(h->status, "Connected") == 0 && h->total_cpu == 8 &&
	    h->available_cpu == 8 && h->total_memory == 32 * GIB && h->reserved_memory == GIB &&
	    h->available_memory == 31 * GIB && h->status_reason[0] == '\0',
	    "%s: Connected, 8 CPUs, 32 GiB, 1 GiB reserved, 31 GiB available (%s)", when, t->msg);
	zs_reply_free(h);
	ZST_CHECK(inv_tag_count(t, t->admin, uuid) == 5 &&
	    inv_tag_query(t, t->admin, "libvirt::version::9.0.0") == 1 &&
	    inv_tag_query(t, t->admin, "os::version::debian 12") == 1,
	    "%s: its five fact tags, once each", when);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "kvm_restart", 120) != 0 || argc < 4)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	zst_on_fail_now(sim_kill);
	sim_port = sim_spawn(argv[3], 0);
	char port[64];
	snprintf(port, sizeof port, "KvmAgent.port=%d", sim_port);
	const char *sets[] = { port, "host.ping.interval=200", "host.ping.timeout=1000",
	    "host.ping.maxFailure=2", NULL };
	inv t;
	ZST_REQUIRE(inv_start(&t, sets), "a node with the kvm plugin starts");
	inv_events ev;
	ZST_REQUIRE(inv_events_open(&ev, t.node.events_url) == 0, "events are recorded");
	char zone[INV_UUID], cluster[INV_UUID];
	ZST_REQUIRE(inv_zone_create(&t, t.admin, "z", zone) == 0 &&
	    inv_cluster_create(&t, t.admin, zone, "c", "KVM", cluster) == 0, "a KVM cluster");
	Zs__Kvm__V1__AddKvmHostRequest req = ZS__KVM__V1__ADD_KVM_HOST_REQUEST__INIT;
	req.cluster_uuid = cluster;
	req.name = "r1";
	req.management_ip = IP;
	req.username = "root";
	req.password = "pw";
	Zs__Kvm__V1__KvmHostInfo *h = NULL;
	ZST_REQUIRE(inv_call(&t, t.admin, "zs.kvm.v1.Kvm/AddKvmHost", &req,
	    &zs__kvm__v1__kvm_host_info__descriptor, &h) == 0, "AddKvmHost r1 (%s)", t.msg);
	char uuid[INV_UUID];
	snprintf(uuid, sizeof uuid, "%s", h->uuid);
	zs_reply_free(h);
	ZST_CHECK(wait_command("/host/ping", 5000), "the tracker pings r1");
	expect_as_before(&t, uuid, "added");

	/* restarted at once: the new agent does not know the host */
	sim_kill();
	sim_spawn(argv[3], sim_port);
	ZST_CHECK(wait_command("/host/connect", 5000),
	    "an agent restarted at once is sent /host/connect again (its ping lacked the host)");
	ZST_CHECK(kvmt_wait_status(&t, uuid, "Connected", 5000, NULL, 0) && wait_command("/host/ping", 5000),
	    "and r1 is Connected and pinged again");
	expect_as_before(&t, uuid, "after a quick restart");

	/* down for a while: Disconnected, then reconnected when it is back */
	sim_kill();
	char why[512] = "";
	ZST_CHECK(kvmt_wait_status(&t, uuid, "Disconnected", 5000, why, sizeof why) &&
	    (strstr(why, "ping") != NULL || strstr(why, "/host/connect") != NULL) &&
	    strstr(why, uuid) != NULL,
	    "with its agent gone r1 becomes Disconnected, saying why (%s)", why);
	ZST_CHECK(inv_events_has(&ev, "host/disconnected", uuid, INV_EVENT_WAIT_MS),
	    "host/disconnected went out");
	zst_sleep_ms(600);   /* a few rounds of failed reconnects */
	ZST_CHECK(kvmt_wait_status(&t, uuid, "Disconnected", 100, NULL, 0), "it stays Disconnected while "
	    "the agent is down");
	sim_spawn(argv[3], sim_port);
	ZST_CHECK(kvmt_wait_status(&t, uuid, "Connected", 5000, NULL, 0) && wait_command("/host/connect", 1000),
	    "once a new agent answers, the tracker connects r1 again: Connected");
	expect_as_before(&t, uuid, "after being down");

	/* DeleteHost: no more pings, no capacity, no tags */
	ZST_CHECK(inv_host_delete(&t, t.admin, uuid) == 0, "DeleteHost r1 (%s)", t.msg);
	ZST_CHECK(inv_events_has(&ev, "host/deleted", uuid, INV_EVENT_WAIT_MS), "host/deleted went out");
	ZST_CHECK(kvmt_get(&t, uuid, NULL) == INV_NOT_FOUND, "GetKvmHost: NOT_FOUND (%s)", t.msg);
	ZST_CHECK(inv_tag_query(&t, t.admin, "libvirt::version::{v}") == 0 &&
	    inv_tag_query(&t, t.admin, "os::version::{v}") == 0, "its fact tags went");
	zst_sleep_ms(300);   /* a ping already on its way may still arrive */
	size_t pings = sim_count("/host/ping");
	zst_sleep_ms(1000);   /* five rounds */
	ZST_CHECK(sim_count("/host/ping") == pings, "it is pinged no more (%zu, then %zu pings)", pings,
	    sim_count("/host/ping"));

	inv_events_close(&ev);
	inv_stop(&t);
	sim_kill();
	curl_global_cleanup();
	return zst_summary();
}
