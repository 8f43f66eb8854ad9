/*
 * hostbench.c: zs-hostbench, the benchmark of hosts that connect (a program, not a test).
 * It starts a zs-kvmsim with N simulated hosts (10,000 by default), each on its own
 * loopback address from 127.1.0.1 on, and a zsnode whose ping tracker runs every
 * --interval ms (10 s); measures the node idle; adds every host with AddKvmHost,
 * --inflight calls at once, and reports hosts connected per second; then, after one
 * round has pinged every host, measures over --window seconds the CPU of the node, of the
 * simulator (the baseline: it answers the same pings) and of the node's PostgreSQL, from
 * /proc/PID/stat, the pings the simulator got, and the node's RSS. Target: the node under
 * 10% of one core pinging 10,000 hosts every 10 s.
 *
 *   zs-hostbench ZSNODE PLUGINS_DIR ZS_KVMSIM [--hosts N] [--inflight N] [--window S]
 *                [--interval MS] [--async 1|0]
 *
 * Open files: a simulator listens on one socket per host and holds the node's connection
 * to each, two descriptors a host; the node keeps one a host. All raise their soft limit
 * to the hard one (this program first tries to raise the hard one). Where that is too low
 * for one simulator (20,000 here), the hosts are shared among several zs-kvmsim on the
 * same port, each on its own addresses (and control address 127.0.0.1, .2, ...); their
 * CPU and pings are summed.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <curl/curl.h>

#include "inv.h"
#include "zb_procfs.h"
#include "zs/kvm/v1/kvm.pb-c.h"

typedef struct hb_opts {
	long hosts, inflight, window_s, interval_ms, async;
} hb_opts;

/* The adders' shared state. */
typedef struct hb_add {
	inv *t;
	const char *cluster;
	long hosts;
	atomic_long next, ok, failed;
	pthread_mutex_t mu;
	char first_error[512];
} hb_add;

#define HB_SIMS_MAX 16


/* The simulators: pids and control addresses (127.0.0.1 + i). */
static pid_t sim_pids[HB_SIMS_MAX];
static int n_sims;

static void
hb_sim_kill(void)
{
	for (int i = 0; i < n_sims; i++)
		if (sim_pids[i] > 0) {
			kill(sim_pids[i], SIGTERM);
			waitpid(sim_pids[i], NULL, 0);
			sim_pids[i] = 0;
		}
}

/* The simulators' CPU seconds, summed. */
static double
hb_sims_cpu_s(void)
{
	double sum = 0;
	for (int i = 0; i < n_sims; i++)
		sum += zb_procfs_cpu_s(sim_pids[i], false);
	return sum;
}

/* ---- the simulator ---- */

/* Starts simulator i on port (0: any; its control address 127.0.0.(i+1)); its port. */
static int
hb_sim_start(const char *bin, int i, int port)
{
	int fds[2];
	char ports[16], listen_ip[32];
	snprintf(ports, sizeof ports, "%d", port);
	snprintf(listen_ip, sizeof listen_ip, "127.0.0.%d", i + 1);
	ZST_REQUIRE(pipe(fds) == 0, "a pipe");
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(bin, bin, "--listen", listen_ip, "--port", ports, "--log-max", "1000",
		    (char *) NULL);
		_exit(127);
	}
	sim_pids[n_sims++] = pid;
	zst_on_fail_now(hb_sim_kill);
	close(fds[1]);
	char line[256] = "", want[128];
	FILE *f = fdopen(fds[0], "r");
	ZST_REQUIRE(f != NULL && fgets(line, sizeof line, f) != NULL, "zs-kvmsim says where it listens");
	fclose(f);
	snprintf(want, sizeof want, "zs-kvmsim: listening on http://%s:%%d", listen_ip);
	int got = 0;
	ZST_REQUIRE(sscanf(line, want, &got) == 1, "its port in '%s'", line);
	return got;
}

/* method path on simulator i. */
static json_t *
hb_sim_http(int i, int port, const char *method, const char *path, const char *body)
{
	char host[32];
	snprintf(host, sizeof host, "127.0.0.%d", i + 1);
	return inv_sim_http(port, method, host, path, body);
}

/* The simulators' counter name in /sim/stats, summed; -1 when one does not answer. */
static long long
hb_sim_stat(int port, const char *name)
{
	long long sum = 0;
	for (int i = 0; i < n_sims; i++) {
		json_t *o = hb_sim_http(i, port, "GET", "/sim/stats", NULL);
		json_t *v = json_object_get(o, name);
		if (!json_is_integer(v)) {
			json_decref(o);
			return -1;
		}
		sum += (long long) json_integer_value(v);
		json_decref(o);
	}
	return sum;
}

/* Starts the simulators for hosts hosts (at most per_sim each) on one port, hosts on
 * 127.1.0.1 on; the port. */
static int
hb_sims_start(const char *bin, long hosts, long per_sim)
{
	int port = 0;
	for (long first = 0; first < hosts; first += per_sim) {
		ZST_REQUIRE(n_sims < HB_SIMS_MAX, "at most %d simulators", HB_SIMS_MAX);
		int i = n_sims;
		port = hb_sim_start(bin, i, port);
		long count = hosts - first < per_sim ? hosts - first : per_sim;
		struct in_addr from = { htonl(ntohl(inet_addr("127.1.0.1")) + (uint32_t) first) };
		char ip[INET_ADDRSTRLEN], body[192];
		inet_ntop(AF_INET, &from, ip, sizeof ip);
		snprintf(body, sizeof body, "{\"count\":%ld,\"namePrefix\":\"s%d-\",\"ipFrom\":\"%s\"}",
		    count, i, ip);
		json_t *o = hb_sim_http(i, port, "POST", "/sim/hosts", body);
		ZST_REQUIRE(o != NULL, "simulator %d adds %ld hosts from %s", i, count, ip);
		json_decref(o);
	}
	return port;
}

/* ---- adding ---- */

static void *
hb_adder(void *arg)
{
	hb_add *a = arg;
	zs_call_opts opts = { .timeout_ms = 120000, .session = a->t->admin };
	for (;;) {
		long i = atomic_fetch_add(&a->next, 1);
		if (i >= a->hosts)
			return NULL;
		char name[32], ip[INET_ADDRSTRLEN];
		struct in_addr addr = { htonl(ntohl(inet_addr("127.1.0.1")) + (uint32_t) i) };
		inet_ntop(AF_INET, &addr, ip, sizeof ip);
		snprintf(name, sizeof name, "b%ld", i + 1);
		Zs__Kvm__V1__AddKvmHostRequest req = ZS__KVM__V1__ADD_KVM_HOST_REQUEST__INIT;
		req.cluster_uuid = (char *) a->cluster;
		req.name = name;
		req.management_ip = ip;
		req.username = "root";
		req.password = "pw";
		ProtobufCMessage *out = NULL;
		zs_status *st = NULL;
		int code = zs_client_call(a->t->client, "zs.kvm.v1.Kvm/AddKvmHost", &req.base,
		    &zs__kvm__v1__kvm_host_info__descriptor, &out, &st, &opts);
		if (code == 0 && strcmp(((Zs__Kvm__V1__KvmHostInfo *) out)->status, "Connected") == 0) {
			atomic_fetch_add(&a->ok, 1);
		} else {
			atomic_fetch_add(&a->failed, 1);
			pthread_mutex_lock(&a->mu);
			if (a->first_error[0] == '\0')
				snprintf(a->first_error, sizeof a->first_error, "%s %s: code %d: %s", name, ip,
				    code, st != NULL && st->message ? st->message : "");
			pthread_mutex_unlock(&a->mu);
		}
		zs_reply_free(out);
		zs_status_free(st);
	}
}

/* ---- main ---- */

static int
hb_args(int argc, char **argv, hb_opts *o)
{
	*o = (hb_opts) { 10000, 64, 60, 10000, 1 };
	for (int i = 4; i < argc; i++) {
		long *at = strcmp(argv[i], "--hosts") == 0 ? &o->hosts :
		    strcmp(argv[i], "--inflight") == 0 ? &o->inflight :
		    strcmp(argv[i], "--window") == 0 ? &o->window_s :
		    strcmp(argv[i], "--interval") == 0 ? &o->interval_ms :
		    strcmp(argv[i], "--async") == 0 ? &o->async : NULL;
		if (at == NULL || i + 1 >= argc)
			return -1;
		*at = atol(argv[++i]);
	}
	/* bounded: at most 60,000 hosts (127.1.0.1 on), 512 in flight, 10 minutes */
	if (o->hosts < 1 || o->hosts > 60000 || o->inflight < 1 || o->inflight > 512 ||
	    o->window_s < 1 || o->window_s > 600 || o->interval_ms < 100 || o->interval_ms > 600000 ||
	    o->async < 0 || o->async > 1)
		return -1;
	return 0;
}

/* Raises the open-files limit so the node and the simulator (its children) hold n hosts. */
static void
hb_raise_nofile(long hosts)
{
	struct rlimit rl;
	rlim_t want = (rlim_t) (3 * hosts + 4096);
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_max < want)
		rl.rlim_max = want;   /* root only; otherwise the hard limit stays */
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	printf("open files: %llu (wanted %llu)\n", (unsigned long long) rl.rlim_cur,
	    (unsigned long long) want);
}

int
main(int argc, char **argv)
{
	hb_opts o;
	if (argc < 4 || hb_args(argc, argv, &o) != 0) {
		fprintf(stderr, "usage: zs-hostbench ZSNODE PLUGINS_DIR ZS_KVMSIM [--hosts 10000] "
		    "[--inflight 64] [--window 60] [--interval 10000] [--async 1]\n");
		return 2;
	}
	if (zst_init(argc, argv, "hostbench", 900) != 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	hb_raise_nofile(o.hosts);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	/* two descriptors a host in a simulator, and room for its own */
	long per_sim = rl.rlim_cur > 4096 ? (long) (rl.rlim_cur - 2048) / 2 : 1000;
	int64_t t0 = zst_now_ms();
	int port = hb_sims_start(argv[3], o.hosts, per_sim);
	printf("simulators: %d, %ld hosts on 127.1.0.1 on (at most %ld each), port %d, in %lld ms\n",
	    n_sims, o.hosts, per_sim, port, (long long) (zst_now_ms() - t0));

	char agent[64], interval[64], async[64];
	snprintf(agent, sizeof agent, "KvmAgent.port=%d", port);
	snprintf(interval, sizeof interval, "host.ping.interval=%ld", o.interval_ms);
	snprintf(async, sizeof async, "host.ping.async=%ld", o.async);
	const char *sets[] = { agent, interval, async, "host.connect.timeout=120000", NULL };
	/* started by hand: on a busy machine a node may take more than the tests' 10 s */
	static inv t;
	char why[256] = "";
	ZST_REQUIRE(zst_node_spawn(&t.node, NULL, sets) == 0 &&
	    zst_node_wait_ready(&t.node, 120000) == 0, "a node starts");
	ZST_REQUIRE(zst_login(t.node.rpc_url, "admin", ZST_ADMIN_PASSWORD, t.node.session,
	    sizeof t.node.session, why, sizeof why) == 0, "the admin logs in (%s)", why);
	ZST_REQUIRE(zs_client_open(&t.client, t.node.rpc_url) == 0, "a client");
	t.admin = t.node.session;
	pid_t node = t.node.pid;
	printf("node pid %d, %d simulator(s), the first pid %d\n", (int) node, n_sims,
	    (int) sim_pids[0]);

	/* the node idle, with no host */
	double n0 = zb_procfs_cpu_s(node, false);
	zst_sleep_ms(5000);
	double idle = (zb_procfs_cpu_s(node, false) - n0) / 5.0;
	printf("node idle (no hosts): %.2f%% of a core, RSS %.1f MB\n", 100 * idle, zb_procfs_mem_mb(node, "VmRSS"));

	char zone[INV_UUID], cluster[INV_UUID];
	ZST_REQUIRE(inv_zone_create(&t, t.admin, "bench", zone) == 0 &&
	    inv_cluster_create(&t, t.admin, zone, "bench", "KVM", cluster) == 0, "a KVM cluster");
	hb_add a = { .t = &t, .cluster = cluster, .hosts = o.hosts };
	pthread_mutex_init(&a.mu, NULL);
	pthread_t *th = calloc((size_t) o.inflight, sizeof *th);
	ZST_REQUIRE(th != NULL, "memory");
	n0 = zb_procfs_cpu_s(node, false);
	double s0 = hb_sims_cpu_s(), g0 = zb_procfs_pg_cpu_s(t.node.data_dir);
	t0 = zst_now_ms();
	for (long i = 0; i < o.inflight; i++)
		pthread_create(&th[i], NULL, hb_adder, &a);
	for (long i = 0; i < o.inflight; i++)
		pthread_join(th[i], NULL);
	double took = (double) (zst_now_ms() - t0) / 1000.0;
	double add_node = zb_procfs_cpu_s(node, false) - n0, add_sim = hb_sims_cpu_s() - s0;
	double add_pg = zb_procfs_pg_cpu_s(t.node.data_dir) - g0;
	free(th);
	long ok = atomic_load(&a.ok), failed = atomic_load(&a.failed);
	printf("added: %ld Connected, %ld failed, in %.1f s with %ld AddKvmHost in flight: "
	    "%.0f hosts connected/s; node CPU %.0f%% of a core (%.0f us a host), its PostgreSQL "
	    "%.0f%% (%.0f us a host), simulator %.0f%%\n",
	    ok, failed, took, o.inflight, (double) ok / took, 100 * add_node / took,
	    1e6 * add_node / (double) (ok > 0 ? ok : 1), 100 * add_pg / took,
	    1e6 * add_pg / (double) (ok > 0 ? ok : 1), 100 * add_sim / took);
	if (failed > 0)
		printf("first failure: %s\n", a.first_error);
	fflush(stdout);
	ZST_CHECK(ok == o.hosts, "every host is added and Connected (%ld of %ld)", ok, o.hosts);
	printf("node RSS after adding: %.1f MB\n", zb_procfs_mem_mb(node, "VmRSS"));

	/* one round pings every host (and records its agent version); then measure */
	printf("waiting %.0f s for a first round of pings...\n", 1.5 * (double) o.interval_ms / 1000);
	zst_sleep_ms((int) (1.5 * (double) o.interval_ms));
	printf("measuring for %ld s...\n", o.window_s);
	long long c0 = hb_sim_stat(port, "commands"), k0 = hb_sim_stat(port, "connections");
	n0 = zb_procfs_cpu_s(node, false);
	s0 = hb_sims_cpu_s();
	double p0 = zb_procfs_pg_cpu_s(t.node.data_dir);
	t0 = zst_now_ms();
	zst_sleep_ms((int) (o.window_s * 1000));
	double win = (double) (zst_now_ms() - t0) / 1000.0;
	double ncpu = zb_procfs_cpu_s(node, false) - n0, scpu = hb_sims_cpu_s() - s0;
	double pcpu = zb_procfs_pg_cpu_s(t.node.data_dir) - p0;
	long long pings = hb_sim_stat(port, "commands") - c0;
	long long conns = hb_sim_stat(port, "connections") - k0;
	double rss = zb_procfs_mem_mb(node, "VmRSS");
	double per = pings > 0 ? (double) pings : 1;
	printf("pinging %ld hosts every %ld ms (%s), over %.1f s:\n", ok, o.interval_ms,
	    o.async ? "asynchronous pings, answered by callback" : "pings answered in the response",
	    win);
	printf("  pings answered by the simulator: %lld (%.0f/s), new connections: %lld\n", pings,
	    (double) pings / win, conns);
	printf("  node CPU:        %6.2f%% of a core, %6.1f us a ping\n", 100 * ncpu / win,
	    1e6 * ncpu / per);
	printf("  simulator CPU:   %6.2f%% of a core, %6.1f us a ping (baseline)\n", 100 * scpu / win,
	    1e6 * scpu / per);
	printf("  node/simulator:  %6.2f\n", scpu > 0 ? ncpu / scpu : 0);
	printf("  node idle:       %6.2f%% of a core (measured before adding)\n", 100 * idle);
	printf("  node PostgreSQL: %6.2f%% of a core\n", 100 * pcpu / win);
	printf("  node RSS:        %6.1f MB\n", rss);
	bool pass = 100 * ncpu / win < 10.0;
	printf("target: node CPU < 10%% of a core pinging %ld hosts every %ld ms: %s\n", ok,
	    o.interval_ms, pass ? "PASS" : "MISS");
	ZST_CHECK(pings > 0, "the simulator was pinged");

	inv_stop(&t);
	hb_sim_kill();
	curl_global_cleanup();
	return zst_summary();
}
