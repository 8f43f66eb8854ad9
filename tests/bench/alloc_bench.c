/*
 * alloc_bench.c: zsbench_alloc, the benchmark of the host allocator (a program, not a
 * test). It starts a zs-kvmsim with HOSTS simulated KVM hosts (127.0.1.1 on; 1,024 CPUs
 * and 1 TiB each, so that every allocation fits) and a zsnode, adds the hosts to one
 * cluster, then in one run, at the same concurrency:
 *
 *   echo      COUNT zs.echo.v1.Echo/Say (the node's cheapest call: the baseline)
 *   get       COUNT zs.host.v1.Host/GetHost (a read of one row: the database baseline)
 *   allocate  COUNT zs.host.v1.Host/AllocateHost, each for a VM of its own (1 CPU, 64 MiB):
 *             every filter, the sorter, and one reservation transaction
 *   return    COUNT zs.host.v1.Host/ReturnHostCapacity of those VMs
 *
 * and prints calls per second, the CPU each call cost (the node, its PostgreSQL and this
 * program together) and the ratios. Bounded: COUNT at most 100,000, each phase at most
 * 120 s.
 *
 *   zsbench_alloc ZSNODE PLUGINS_DIR ZS_KVMSIM [COUNT (10000)] [CONCURRENCY (64)] [HOSTS (4)]
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_pump.h"
#include "inv.h"
#include "zs/echo/v1/echo.pb-c.h"
#include "zs/host/v1/host.pb-c.h"
#include "zst_sim.h"

/* Per call requests of the allocate and return phases. */
typedef struct ab_vms {
	char (*uuid)[INV_UUID];
	Zs__Host__V1__AllocateHostRequest *alloc;
	Zs__Host__V1__ReturnHostCapacityRequest *ret;
} ab_vms;

static const ProtobufCMessage *
ab_alloc_req(long i, void *arg)
{
	return &((ab_vms *) arg)->alloc[i].base;
}

static const ProtobufCMessage *
ab_return_req(long i, void *arg)
{
	return &((ab_vms *) arg)->ret[i].base;
}

/* A version 4 uuid from rand(): distinct enough for the VMs of one run. */
static void
ab_uuid(char out[INV_UUID])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 36; i++)
		out[i] = i == 8 || i == 13 || i == 18 || i == 23 ? '-' : i == 14 ? '4' :
		    i == 19 ? hex[8 | (rand() & 3)] : hex[rand() & 15];
	out[36] = '\0';
}

/* Prints one phase's line; its rate back. */
static double
ab_phase(inv *t, const char *label, const char *method, const ProtobufCMessage *req,
    bench_req_fn next, void *arg, const ProtobufCMessageDescriptor *reply, long count,
    long conc)
{
	double c0 = bench_cpu_now(&t->node);
	double rate = bench_pump_run(t->client, t->admin, method, req, next, arg, reply, count, conc);
	double c1 = bench_cpu_now(&t->node);
	printf("  %-34s %10.0f /s  %7.1f us CPU a call\n", label, rate,
	    (c1 - c0) * 1e6 / (double) count);
	return rate;
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "zsbench_alloc", 900) != 0 || argc < 4)
		return 2;
	long count = argc > 4 ? strtol(argv[4], NULL, 10) : 10000;
	long conc = argc > 5 ? strtol(argv[5], NULL, 10) : 64;
	long hosts = argc > 6 ? strtol(argv[6], NULL, 10) : 4;
	if (count < 1 || count > 100000 || conc < 1 || conc > 1024 || hosts < 1 || hosts > 250) {
		fprintf(stderr, "COUNT must be 1..100000, CONCURRENCY 1..1024 and HOSTS 1..250\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int port = zst_sim_start(argv[3]);
	char body[256], set[64];
	snprintf(body, sizeof body, "{\"count\":%ld,\"namePrefix\":\"b\",\"ipFrom\":\"127.0.1.1\","
	    "\"cpu\":1024,\"memory\":\"1T\"}", hosts);
	json_t *ans = zst_sim_http(port, "POST", NULL, "/sim/hosts", body);
	json_decref(ans);
	snprintf(set, sizeof set, "KvmAgent.port=%d", port);
	inv_set_agent(set);
	static inv t;
	int rc = 1;
	char zone[INV_UUID], cluster[INV_UUID], host[INV_UUID] = "";
	if (ans == NULL || !inv_start(&t, NULL))
		goto out_sim;
	if (inv_zone_create(&t, t.admin, "bench", zone) != 0 ||
	    inv_cluster_create(&t, t.admin, zone, "bench", "KVM", cluster) != 0)
		goto out;
	for (long i = 0; i < hosts; i++) {
		char name[16], ip[32];
		snprintf(name, sizeof name, "b%ld", i + 1);
		snprintf(ip, sizeof ip, "127.0.1.%ld", i + 1);
		if (inv_host_add(&t, t.admin, cluster, name, ip, host) != 0) {
			printf("  AddHost %s: %s\n", ip, t.msg);
			goto out;
		}
	}
	ab_vms v = { calloc((size_t) count, INV_UUID), calloc((size_t) count, sizeof *v.alloc),
	    calloc((size_t) count, sizeof *v.ret) };
	if (v.uuid == NULL || v.alloc == NULL || v.ret == NULL)
		goto out_vms;
	srand((unsigned) zst_now_ms());
	for (long i = 0; i < count; i++) {
		ab_uuid(v.uuid[i]);
		zs__host__v1__allocate_host_request__init(&v.alloc[i]);
		v.alloc[i].vm_uuid = v.uuid[i];
		v.alloc[i].cpu_num = 1;
		v.alloc[i].memory_size = 64ll << 20;   /* 100,000 of them fit in 4 hosts */
		zs__host__v1__return_host_capacity_request__init(&v.ret[i]);
		v.ret[i].vm_uuid = v.uuid[i];
	}
	printf("%ld calls each, %ld in flight, %ld simulated KVM hosts of 1,024 CPUs and 1 TiB\n",
	    count, conc, hosts);
	Zs__Echo__V1__SayRequest say = ZS__ECHO__V1__SAY_REQUEST__INIT;
	say.text = "hi";
	Zs__Host__V1__GetHostRequest get = ZS__HOST__V1__GET_HOST_REQUEST__INIT;
	get.uuid = host;
	double echo = ab_phase(&t, "Echo/Say (baseline)", "zs.echo.v1.Echo/Say", &say.base, NULL,
	    NULL, &zs__echo__v1__say_reply__descriptor, count, conc);
	double rd = ab_phase(&t, "GetHost (a one-row read)", "zs.host.v1.Host/GetHost", &get.base,
	    NULL, NULL, &zs__host__v1__host_info__descriptor, count, conc);
	double al = ab_phase(&t, "AllocateHost", "zs.host.v1.Host/AllocateHost", NULL, ab_alloc_req,
	    &v, &zs__host__v1__allocate_host_response__descriptor, count, conc);
	double re = ab_phase(&t, "ReturnHostCapacity", "zs.host.v1.Host/ReturnHostCapacity", NULL,
	    ab_return_req, &v, &zs__host__v1__return_host_capacity_response__descriptor, count, conc);
	double l0[3];
	if (getloadavg(l0, 3) == 3)
		printf("  load average during the run: %.1f (2 cores here: more means others ran too)\n",
		    l0[0]);
	if (echo > 0 && rd > 0 && al > 0 && re > 0) {
		printf("  AllocateHost / GetHost: %.2f   AllocateHost / Echo: %.2f   "
		    "ReturnHostCapacity / GetHost: %.2f   target 330/s: %s\n", al / rd, al / echo,
		    re / rd, al >= 330 ? "MET" : "MISSED");
		rc = 0;
	}
out_vms:
	free(v.uuid);
	free(v.alloc);
	free(v.ret);
out:
	inv_stop(&t);
out_sim:
	zst_sim_stop();
	curl_global_cleanup();
	return rc;
}
