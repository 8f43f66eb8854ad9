/*
 * ipalloc_bench.c: zsbench_ipalloc, the benchmark of IP allocation (a program, not a
 * test). It starts a zsnode with the built plugins, makes a zone, an L2, an L3 and one
 * range of 65,534 addresses (10.0.0.0/16), then in one run, at the same concurrency:
 *
 *   baseline  COUNT plain INSERTs of one row, one transaction each, straight into the
 *             node's PostgreSQL through libpq (CONCURRENCY connections)
 *   echo      COUNT zs.echo.v1.Echo/Say through the node (its cheapest call)
 *   allocate  COUNT zs.network.v1.L3Network/AllocateIp through the node
 *
 * and prints calls per second, the CPU each call cost (the node, its PostgreSQL and this
 * program together: steadier than the rates on a shared machine) and the ratios.
 * Bounded: COUNT at most 100,000, each phase at most 120 s.
 *
 *   zsbench_ipalloc ZSNODE PLUGINS_DIR [COUNT (10000)] [CONCURRENCY (64)]
 */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "zs/client.h"
#include "zs/echo/v1/echo.pb-c.h"
#include "zs/network/v1/network.pb-c.h"
#include "zs/zone/v1/zone.pb-c.h"
#include "bench_pump.h"
#include "zst_node.h"

/* ---- the baseline: plain INSERTs through libpq ---- */

typedef struct base_thread {
	const char *conninfo;
	long from, n;
	int ok;
} base_thread;

static void *
base_run(void *arg)
{
	base_thread *b = arg;
	PGconn *pg = PQconnectdb(b->conninfo);
	b->ok = PQstatus(pg) == CONNECTION_OK;
	for (long i = 0; b->ok && i < b->n; i++) {
		char id[32];
		snprintf(id, sizeof id, "%ld", b->from + i);
		const char *p[2] = { id, "10.0.0.1" };
		PGresult *r = PQexecParams(pg, "INSERT INTO zb_ipalloc_baseline (id, v) VALUES "
		    "($1::bigint, $2)", 2, NULL, p, NULL, NULL, 0);
		b->ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!b->ok)
			fprintf(stderr, "baseline insert: %s", PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(pg);
	return NULL;
}

static double
baseline(const zst_node *n, long count, long conc)
{
	char path[PATH_MAX], conninfo[PATH_MAX + 128];
	snprintf(path, sizeof path, "%s/pg/postmaster.pid", n->data_dir);
	char *text = zst_read_file(path), *lines[6] = { 0 }, *save = NULL;
	int k = 0;
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l != NULL && k < 6;
	     l = strtok_r(NULL, "\n", &save))
		lines[k++] = l;
	if (k < 5) {
		free(text);
		printf("  cannot read %s\n", path);
		return -1;
	}
	snprintf(conninfo, sizeof conninfo, "host='%s' port=%s user=zsnode dbname=zsnode "
	    "connect_timeout=5", lines[4], lines[3]);
	free(text);
	PGconn *pg = PQconnectdb(conninfo);
	PGresult *r = PQexec(pg, "CREATE TABLE IF NOT EXISTS zb_ipalloc_baseline (id bigint "
	    "PRIMARY KEY, v text NOT NULL)");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	PQfinish(pg);
	if (!ok)
		return -1;
	base_thread *th = calloc((size_t) conc, sizeof *th);
	pthread_t *tid = calloc((size_t) conc, sizeof *tid);
	int64_t t0 = zst_now_ms();
	for (long i = 0; i < conc; i++) {
		th[i].conninfo = conninfo;
		th[i].from = i * (count / conc);
		th[i].n = count / conc + (i == conc - 1 ? count % conc : 0);
		pthread_create(&tid[i], NULL, base_run, &th[i]);
	}
	for (long i = 0; i < conc; i++) {
		pthread_join(tid[i], NULL);
		ok = ok && th[i].ok;
	}
	int64_t ms = zst_now_ms() - t0;
	free(th);
	free(tid);
	return ok ? count * 1000.0 / (double) (ms > 0 ? ms : 1) : -1;
}

/* Calls method synchronously as admin; the new uuid to uuid. */
static int
make(zs_client *c, const char *session, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *reply, char uuid[64])
{
	ProtobufCMessage *out = NULL;
	zs_status *st = NULL;
	zs_call_opts opts = { .timeout_ms = 10000, .session = session };
	int code = zs_client_call(c, method, req, reply, &out, &st, &opts);
	if (code != 0) {
		printf("  %s: %s\n", method, st != NULL && st->message ? st->message : "failed");
	} else if (uuid != NULL) {
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(out->descriptor, "uuid");
		snprintf(uuid, 64, "%s", *(char **) (void *) ((char *) out + f->offset));
	}
	zs_status_free(st);
	zs_reply_free(out);
	return code;
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "zsbench_ipalloc", 900) != 0)
		return 2;
	long count = argc > 3 ? strtol(argv[3], NULL, 10) : 10000;
	long conc = argc > 4 ? strtol(argv[4], NULL, 10) : 64;
	if (count < 1 || count > 100000 || conc < 1 || conc > 1024) {
		fprintf(stderr, "COUNT must be 1..100000 and CONCURRENCY 1..1024\n");
		return 2;
	}
	zst_node n;
	if (zst_node_start(&n, NULL, NULL) != 0)
		return 1;
	zs_client *c = NULL;
	if (zs_client_open(&c, n.rpc_url) != 0)
		return 1;
	char zone[64], l2[64], l3[64];
	Zs__Zone__V1__CreateZoneRequest zr = ZS__ZONE__V1__CREATE_ZONE_REQUEST__INIT;
	zr.name = "bench";
	Zs__Network__V1__CreateL2NoVlanNetworkRequest l2r =
	    ZS__NETWORK__V1__CREATE_L2_NO_VLAN_NETWORK_REQUEST__INIT;
	l2r.name = "bench";
	l2r.physical_interface = "eth0";
	l2r.zone_uuid = zone;
	Zs__Network__V1__CreateL3NetworkRequest l3r = ZS__NETWORK__V1__CREATE_L3_NETWORK_REQUEST__INIT;
	l3r.name = "bench";
	l3r.l2_network_uuid = l2;
	Zs__Network__V1__AddIpRangeByNetworkCidrRequest rr =
	    ZS__NETWORK__V1__ADD_IP_RANGE_BY_NETWORK_CIDR_REQUEST__INIT;
	rr.name = "bench";
	rr.l3_network_uuid = l3;
	rr.network_cidr = "10.0.0.0/16";
	int rc = 1;
	if (make(c, n.session, "zs.zone.v1.Zone/CreateZone", &zr.base,
	    &zs__zone__v1__zone_info__descriptor, zone) != 0 ||
	    make(c, n.session, "zs.network.v1.L2Network/CreateL2NoVlanNetwork", &l2r.base,
	    &zs__network__v1__l2_network_info__descriptor, l2) != 0 ||
	    make(c, n.session, "zs.network.v1.L3Network/CreateL3Network", &l3r.base,
	    &zs__network__v1__l3_network_info__descriptor, l3) != 0 ||
	    make(c, n.session, "zs.network.v1.IpRange/AddIpRangeByNetworkCidr", &rr.base,
	    &zs__network__v1__ip_range_info__descriptor, NULL) != 0)
		goto out;
	printf("%ld calls each, %ld in flight, one range of 65,534 addresses (10.0.0.0/16)\n",
	    count, conc);
	double c0 = bench_cpu_now(&n);
	double base = baseline(&n, count, conc);
	double c1 = bench_cpu_now(&n);
	printf("  baseline: plain INSERT, one row a transaction, libpq: %10.0f /s  %6.1f us CPU a call\n",
	    base, (c1 - c0) * 1e6 / (double) count);
	Zs__Echo__V1__SayRequest say = ZS__ECHO__V1__SAY_REQUEST__INIT;
	say.text = "hi";
	c0 = bench_cpu_now(&n);
	double echo = bench_pump_run(c, n.session, "zs.echo.v1.Echo/Say", &say.base, NULL, NULL,
	    &zs__echo__v1__say_reply__descriptor, count, conc);
	c1 = bench_cpu_now(&n);
	printf("  Echo/Say through the node:                        %10.0f /s  %6.1f us CPU a call\n",
	    echo, (c1 - c0) * 1e6 / (double) count);
	Zs__Network__V1__AllocateIpRequest ar = ZS__NETWORK__V1__ALLOCATE_IP_REQUEST__INIT;
	ar.l3_network_uuid = l3;
	c0 = bench_cpu_now(&n);
	double alloc = bench_pump_run(c, n.session, "zs.network.v1.L3Network/AllocateIp", &ar.base,
	    NULL, NULL, &zs__network__v1__used_ip_info__descriptor, count, conc);
	c1 = bench_cpu_now(&n);
	printf("  AllocateIp through the node:                      %10.0f /s  %6.1f us CPU a call\n",
	    alloc, (c1 - c0) * 1e6 / (double) count);
	double l0[3];
	if (getloadavg(l0, 3) == 3)
		printf("  load average during the run: %.1f (2 cores here: more means others ran too)\n",
		    l0[0]);
	if (base > 0 && alloc > 0 && echo > 0)
		printf("  AllocateIp / baseline INSERT: %.2f   AllocateIp / Echo: %.2f   target 10,000/s: %s\n",
		    alloc / base, alloc / echo, alloc >= 10000 ? "MET" : "MISSED");
	rc = base > 0 && alloc > 0 && echo > 0 ? 0 : 1;
out:
	zs_client_close(c);
	zst_node_stop(&n);
	char *log = zst_read_file(n.err_path);
	const char *line = log != NULL ? strstr(log, "IP allocations in") : NULL;
	if (line != NULL) {
		const char *from = line, *to = strchr(line, '\n');
		for (int sp = 0; from > log && from[-1] != '\n' && sp < 2; from--)
			sp += from[-1] == ' ';
		printf("  the node: %.*s (its log at stop)\n", (int) (to != NULL ? to - from :
		    (long) strlen(from)), from);
	}
	free(log);
	zst_node_cleanup(&n);
	return rc;
}
