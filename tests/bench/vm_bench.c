/*
 * vm_bench.c: zsbench_vm, the benchmark of VM creation (a program, not a test). It starts
 * a zs-kvmsim with --hosts simulated hosts (100) on 127.0.1.1 and up and a backup storage
 * host, a zsnode with its own PostgreSQL (synchronous_commit stays on), builds a cloud
 * through libzsclient (vmb_cloud.c), then creates VMs with CreateVmInstance as a user
 * would, the whole flow each time (workflow, host allocator, LocalStorage, IP allocation,
 * /vm/start on the host's agent answered by callback), in two phases:
 *
 *   phase 1   --warm VMs (1,000) with --warm-inflight (100) creates in flight
 *   phase 2   --vms VMs (10,000) with --inflight (1,000) creates in flight
 *
 * For each it prints VMs/s, p50/p99 of one create, the node's CPU seconds, its
 * PostgreSQL's CPU seconds and transactions committed per VM (pg_stat_database), and the
 * simulator's CPU; then the node's peak RSS (VmHWM) and the checks of vmb_check.c:
 * every VM Running, one NIC, address and root volume each, host capacities that add up,
 * the simulated hosts running as many VMs. A phase gives up after --time-limit seconds
 * (600) and says so; calls still out then end by their deadline (--timeout, 120 s).
 *
 *   zsbench_vm ZSNODE PLUGINS_DIR ZS_KVMSIM [--vms N] [--inflight N] [--warm N]
 *              [--warm-inflight N] [--hosts N] [--time-limit S] [--timeout S]
 *              [--sample TOP] [--set NAME=VALUE]...
 *
 * --sample TOP samples what PostgreSQL runs during each phase (pg_stat_activity, every
 * 20 ms) and prints the TOP statements seen most (a profile without pg_stat_statements,
 * which would need the node's PostgreSQL restarted with it preloaded).
 * --vms N alone scales the warm phase to N/10 (at most 1,000) for a quick run.
 * Exit status: 0 when every create worked and every check passed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "vmb.h"
#include "zb_procfs.h"
#include "zs/vm/v1/vm.pb-c.h"
#include "zst_sim.h"

#define VMB_MAX_VMS 100000
#define VMB_MAX_SETS 16

typedef struct vmb_opts {
	long vms, inflight, warm, warm_inflight, hosts, time_limit_s, timeout_s, sample;
	const char *sets[VMB_MAX_SETS];
	int n_sets;
} vmb_opts;

/* One phase: count creates, inflight at a time. */
typedef struct vmb_phase {
	zs_client *client;
	const char *session;
	const vmb_cloud *cl;
	const char *prefix;               /* of the VMs' names */
	uint32_t timeout_ms;
	long count, inflight;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	long sent, done, failed;
	bool stop;                        /* the time limit passed: send no more */
	int64_t *sent_ms;                 /* [count] when each create was sent */
	double *lat_ms;                   /* [done] how long each took */
	char first_error[512];
} vmb_phase;

static void vmb_send(vmb_phase *p, long i);

static void
vmb_done(int code, const zs_status *st, ProtobufCMessage *reply, void (*fn)(void), void *arg)
{
	(void) fn;
	vmb_phase *p = arg;
	long i = -1;
	const Zs__Vm__V1__VmInstanceInfo *vm = (const void *) reply;
	if (code == 0 && (vm == NULL || strcmp(vm->state, "Running") != 0)) {
		code = 13;
		st = NULL;
	}
	int64_t now = zst_now_ms();
	pthread_mutex_lock(&p->lock);
	/* which create this was: the index travels in the name ("PREFIX-N") */
	if (vm != NULL) {
		const char *dash = strrchr(vm->name, '-');
		i = dash != NULL ? strtol(dash + 1, NULL, 10) : -1;
	}
	if (i >= 0 && i < p->count)
		p->lat_ms[p->done] = (double) (now - p->sent_ms[i]);
	else
		p->lat_ms[p->done] = -1;
	p->done++;
	if (code != 0 && p->failed++ == 0)
		snprintf(p->first_error, sizeof p->first_error, "%s: %s%s%s%s%s",
		    zs_client_code_name(code),
		    st != NULL && st->message != NULL ? st->message : "not Running",
		    st != NULL && st->cause != NULL ? ": " : "",
		    st != NULL && st->cause != NULL && st->cause->message ? st->cause->message : "",
		    st != NULL && st->cause != NULL && st->cause->cause != NULL ? ": " : "",
		    st != NULL && st->cause != NULL && st->cause->cause != NULL &&
		    st->cause->cause->message != NULL ? st->cause->cause->message : "");
	long next = -1;
	if (!p->stop && p->sent < p->count)
		next = p->sent++;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	zs_reply_free(reply);
	if (next >= 0)
		vmb_send(p, next);
}

static void
vmb_send(vmb_phase *p, long i)
{
	char name[64];
	char *l3s[1] = { (char *) p->cl->l3 };
	snprintf(name, sizeof name, "%s-%ld", p->prefix, i);
	Zs__Vm__V1__CreateVmInstanceRequest req = ZS__VM__V1__CREATE_VM_INSTANCE_REQUEST__INIT;
	req.name = name;
	req.instance_offering_uuid = (char *) p->cl->offering;
	req.image_uuid = (char *) p->cl->image;
	req.n_l3_network_uuids = 1;
	req.l3_network_uuids = l3s;
	zs_call_opts opts = { .timeout_ms = p->timeout_ms, .session = p->session };
	pthread_mutex_lock(&p->lock);
	p->sent_ms[i] = zst_now_ms();
	pthread_mutex_unlock(&p->lock);
	int rv = zs_client_call_async(p->client, "zs.vm.v1.VmInstance/CreateVmInstance", &req.base,
	    &zs__vm__v1__vm_instance_info__descriptor, vmb_done, NULL, p, &opts);
	if (rv != 0)
		vmb_done(rv, NULL, NULL, NULL, p);
}

int
vmb_cmp(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

double
vmb_quantile(const double *v, long n, double q)
{
	long first = 0;
	while (first < n && v[first] < 0)
		first++;
	if (first == n)
		return -1;
	long k = first + (long) (q * (double) (n - first - 1) + 0.5);
	return v[k];
}

/* The simulated hosts' VMs in all (GET /sim/hosts), or -1. */
static long
vmb_sim_vms(int port)
{
	json_t *r = zst_sim_http(port, "GET", NULL, "/sim/hosts", NULL);
	json_t *hosts = json_object_get(r, "hosts"), *h;
	size_t i;
	long sum = hosts != NULL ? 0 : -1;
	json_array_foreach(hosts, i, h)
		sum += (long) json_integer_value(json_object_get(h, "vms"));
	json_decref(r);
	return sum;
}

typedef struct vmb_run {
	const vmb_opts *o;
	zst_node *node;
	pid_t sim;
	int sim_port;
	PGconn *pg;
	zs_client *client;
	const vmb_cloud *cl;
} vmb_run;

/* Runs one phase and prints its line; the VMs it created (Running), or -1 when the
 * phase could not run at all. *complete: all created in time with no failure. */
static long
vmb_phase_run(vmb_run *r, const char *prefix, long count, long inflight, bool *complete)
{
	vmb_phase p = { .client = r->client, .session = r->node->session, .cl = r->cl,
	    .prefix = prefix, .timeout_ms = (uint32_t) (r->o->timeout_s * 1000), .count = count,
	    .inflight = inflight };
	p.sent_ms = calloc((size_t) count, sizeof *p.sent_ms);
	p.lat_ms = calloc((size_t) count, sizeof *p.lat_ms);
	if (p.sent_ms == NULL || p.lat_ms == NULL) {
		free(p.sent_ms);
		free(p.lat_ms);
		return -1;
	}
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	vmb_sampler *sampler = r->o->sample > 0 ? vmb_sampler_start(r->node) : NULL;
	vmb_evwatch *watch = vmb_evwatch_start(r->node, count);
	long long x0 = vmb_pg_commits(r->pg);
	double n0 = zb_procfs_cpu_s(r->node->pid, false), g0 = zb_procfs_pg_cpu_s(r->node->data_dir),
	    s0 = zb_procfs_cpu_s(r->sim, false);
	int64_t t0 = zst_now_ms();
	long first = inflight < count ? inflight : count;
	pthread_mutex_lock(&p.lock);
	p.sent = first;
	pthread_mutex_unlock(&p.lock);
	for (long i = 0; i < first; i++)
		vmb_send(&p, i);
	int64_t limit = t0 + r->o->time_limit_s * 1000;
	pthread_mutex_lock(&p.lock);
	while (p.done < p.sent && (p.done < count)) {
		if (!p.stop && zst_now_ms() >= limit)
			p.stop = true;   /* no more sends; wait for those out (their deadline) */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&p.cond, &p.lock, &ts);
	}
	long done = p.done, failed = p.failed, sent = p.sent;
	bool stopped = p.stop;
	pthread_mutex_unlock(&p.lock);
	int64_t ms = zst_now_ms() - t0;
	double n1 = zb_procfs_cpu_s(r->node->pid, false), g1 = zb_procfs_pg_cpu_s(r->node->data_dir),
	    s1 = zb_procfs_cpu_s(r->sim, false);
	vmb_sampler_stop(sampler, (int) r->o->sample);
	zst_sleep_ms(1200);   /* PostgreSQL reports a backend's counts within a second */
	long long x1 = vmb_pg_commits(r->pg);
	long ok = done - failed;
	qsort(p.lat_ms, (size_t) done, sizeof *p.lat_ms, vmb_cmp);
	printf("  %-7s %6ld VMs, %4ld in flight: %7.1f VMs/s in %6.1f s  p50 %6.0f ms  p99 %6.0f ms\n",
	    prefix, ok, inflight, (double) ok * 1000.0 / (double) (ms > 0 ? ms : 1), (double) ms / 1000.0,
	    vmb_quantile(p.lat_ms, done, 0.50), vmb_quantile(p.lat_ms, done, 0.99));
	double load[1] = { -1 };
	(void) getloadavg(load, 1);
	printf("          CPU s: node %.1f, PostgreSQL %.1f, simulator %.1f;  "
	    "PostgreSQL commits a VM: %.1f;  load average %.1f\n", n1 - n0, g1 - g0, s1 - s0,
	    x0 >= 0 && x1 >= 0 && ok > 0 ? (double) (x1 - x0) / (double) ok : -1.0, load[0]);
	vmb_evwatch_stop(watch);   /* after the wait above: the last events came */
	if (failed > 0)
		printf("          %ld of %ld creates FAILED; the first: %s\n", failed, sent, p.first_error);
	if (stopped)
		printf("          GAVE UP after the time limit of %ld s: %ld of %ld sent\n",
		    r->o->time_limit_s, sent, count);
	*complete = failed == 0 && done == count;
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.cond);
	free(p.sent_ms);
	free(p.lat_ms);
	return ok;
}

static void
vmb_usage(void)
{
	fprintf(stderr, "usage: zsbench_vm ZSNODE PLUGINS_DIR ZS_KVMSIM [--vms N (10000)] "
	    "[--inflight N (1000)]\n    [--warm N (1000; --vms/10)] [--warm-inflight N (100)] "
	    "[--hosts N (100)] [--time-limit S (600)]\n    [--timeout S (120)] "
	    "[--set NAME=VALUE]...\n");
}

static int
vmb_parse(int argc, char **argv, vmb_opts *o)
{
	*o = (vmb_opts) { .vms = 10000, .inflight = 1000, .warm = -1, .warm_inflight = 100,
	    .hosts = 100, .time_limit_s = 600, .timeout_s = 120 };
	for (int i = 4; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long *slot = strcmp(a, "--vms") == 0 ? &o->vms : strcmp(a, "--inflight") == 0 ?
		    &o->inflight : strcmp(a, "--warm") == 0 ? &o->warm : strcmp(a, "--warm-inflight")
		    == 0 ? &o->warm_inflight : strcmp(a, "--hosts") == 0 ? &o->hosts :
		    strcmp(a, "--time-limit") == 0 ? &o->time_limit_s : strcmp(a, "--timeout") == 0 ?
		    &o->timeout_s : strcmp(a, "--sample") == 0 ? &o->sample : NULL;
		if (v == NULL) {
			vmb_usage();
			return -1;
		}
		if (slot != NULL) {
			*slot = strtol(v, NULL, 10);
		} else if (strcmp(a, "--set") == 0 && o->n_sets < VMB_MAX_SETS - 1) {
			o->sets[o->n_sets++] = v;
		} else {
			vmb_usage();
			return -1;
		}
		i++;
	}
	if (o->warm < 0)
		o->warm = o->vms / 10 < 1000 ? o->vms / 10 : 1000;
	if (o->vms < 1 || o->vms > VMB_MAX_VMS || o->warm < 0 || o->warm > VMB_MAX_VMS ||
	    o->inflight < 1 || o->inflight > 10000 || o->warm_inflight < 1 ||
	    o->warm_inflight > 10000 || o->hosts < 1 || o->hosts > 1000 || o->time_limit_s < 1 ||
	    o->time_limit_s > 3600 || o->timeout_s < 1 || o->timeout_s > 3600) {
		fprintf(stderr, "--vms and --warm 0..%d (--vms 1 at least), in flight 1..10000, "
		    "--hosts 1..1000, times 1..3600 s\n", VMB_MAX_VMS);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	vmb_opts o;
	if (argc < 4) {
		vmb_usage();
		return 2;
	}
	if (vmb_parse(argc, argv, &o) != 0)
		return 2;
	unsigned alarm_s = (unsigned) (600 + 2 * (o.time_limit_s + o.timeout_s));
	if (zst_init(argc, argv, "zsbench_vm", alarm_s) != 0)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	vmb_run r = { .o = &o };
	r.sim_port = zst_sim_start(argv[3]);
	/* the hosts: enough CPU (x10 over-provisioning) and memory for every VM */
	long per_host = (o.vms + o.warm) / o.hosts + 1;
	char body[256], bs_ip[] = "127.0.250.1";
	snprintf(body, sizeof body, "{\"count\":%ld,\"namePrefix\":\"h\",\"ipFrom\":\"127.0.1.1\","
	    "\"cpu\":%ld,\"memory\":%lld}", o.hosts, per_host / 8 + 8,
	    (long long) (per_host + 8) * (256ll << 20) + (2ll << 30));
	json_t *j = zst_sim_http(r.sim_port, "POST", NULL, "/sim/hosts", body);
	json_decref(j);
	snprintf(body, sizeof body, "{\"name\":\"bs\",\"ip\":\"%s\",\"bsCapacity\":\"1T\"}", bs_ip);
	json_t *k = zst_sim_http(r.sim_port, "POST", NULL, "/sim/hosts", body);
	ZST_REQUIRE(j != NULL && k != NULL, "the simulator takes %ld hosts and a backup storage",
	    o.hosts);
	json_decref(k);
	/* the simulator's pid: the one child that is not the node */
	char agent[64], sftp[64];
	snprintf(agent, sizeof agent, "KvmAgent.port=%d", r.sim_port);
	snprintf(sftp, sizeof sftp, "SftpBackupStorage.port=%d", r.sim_port);
	const char *sets[VMB_MAX_SETS + 4] = { agent, sftp };
	int ns = 2;
	for (int i = 0; i < o.n_sets; i++)
		sets[ns++] = o.sets[i];
	sets[ns] = NULL;
	static zst_node node;
	r.node = &node;
	ZST_REQUIRE(zst_node_start(&node, NULL, sets) == 0, "zsnode starts");
	r.sim = zst_sim_pid();
	ZST_REQUIRE(zs_client_open(&r.client, node.rpc_url) == 0, "a client of the node");
	r.pg = vmb_pg_open(&node);
	ZST_REQUIRE(r.pg != NULL, "the node's PostgreSQL is reachable");
	vmb_cloud cl;
	int64_t t0 = zst_now_ms();
	ZST_REQUIRE(vmb_cloud_build(r.client, node.session, o.hosts, bs_ip, &cl) == 0,
	    "the cloud is built");
	r.cl = &cl;
	printf("zsbench_vm: %ld simulated hosts, LocalStorage, one image, L3 of 65,534 addresses "
	    "(built in %.1f s)\n", o.hosts, (double) (zst_now_ms() - t0) / 1000.0);
	long made = 0;
	bool all = true, complete = true;
	if (o.warm > 0) {
		long n = vmb_phase_run(&r, "warm", o.warm, o.warm_inflight, &complete);
		all = all && complete && n >= 0;
		made += n > 0 ? n : 0;
	}
	long n = vmb_phase_run(&r, "main", o.vms, o.inflight, &complete);
	all = all && complete && n >= 0;
	made += n > 0 ? n : 0;
	printf("  node peak RSS (VmHWM): %.1f MB\n", zb_procfs_mem_mb(node.pid, "VmHWM"));
	vmb_pg_events(r.pg, made);
	int failed = vmb_check(r.pg, &cl, made, vmb_sim_vms(r.sim_port));
	ZST_CHECK(all, "every create worked in time");
	ZST_CHECK(failed == 0, "every check at the end passed");
	PQfinish(r.pg);
	zs_client_close(r.client);
	zst_node_stop(&node);
	zst_node_cleanup(&node);
	zst_sim_stop();
	return zst_summary();
}
