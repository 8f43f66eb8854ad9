/*
 * vmb_check.c: what zsbench_vm reads besides the API and /proc (zb_procfs.c): the
 * commits of the node's PostgreSQL (pg_stat_database), and the checks at the end, which
 * count in the node's tables that every VM is whole and that capacities add up, and a
 * sampler of the statements PostgreSQL is busy with (--sample), for profiles.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "vmb.h"

/* The lines of DATA_DIR/pg/postmaster.pid (caller frees text); how many were read. */
static int
vmb_postmaster(const zst_node *n, char **text, char *lines[6])
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/pg/postmaster.pid", n->data_dir);
	*text = zst_read_file(path);
	int k = 0;
	char *save = NULL;
	for (char *l = *text ? strtok_r(*text, "\n", &save) : NULL; l != NULL && k < 6;
	     l = strtok_r(NULL, "\n", &save))
		lines[k++] = l;
	return k;
}

PGconn *
vmb_pg_open(const zst_node *n)
{
	char *text = NULL, *lines[6] = { 0 }, conninfo[PATH_MAX + 128];
	if (vmb_postmaster(n, &text, lines) < 5) {
		free(text);
		printf("  cannot read the node's postmaster.pid\n");
		return NULL;
	}
	snprintf(conninfo, sizeof conninfo, "host='%s' port=%s user=zsnode dbname=zsnode "
	    "connect_timeout=5", lines[4], lines[3]);
	free(text);
	PGconn *pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		printf("  cannot reach the node's PostgreSQL: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

/* The first value of sql as a number, or -1. */
static long long
vmb_scalar(PGconn *pg, const char *sql, int n, const char *const *p)
{
	PGresult *r = PQexecParams(pg, sql, n, NULL, p, NULL, NULL, 0);
	long long v = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		printf("  %s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	return v;
}

void
vmb_pg_events(PGconn *pg, long vms)
{
	PGresult *r = PQexec(pg, "SELECT topic, count(*) FROM zs_event_log GROUP BY topic "
	    "ORDER BY 2 DESC, 1 LIMIT 12");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && vms > 0) {
		printf("  events written, per VM:");
		for (int i = 0; i < PQntuples(r); i++)
			printf("%s %s %.2f", i ? "," : "", PQgetvalue(r, i, 0),
			    strtod(PQgetvalue(r, i, 1), NULL) / (double) vms);
		printf("\n");
	}
	PQclear(r);
}

long long
vmb_pg_commits(PGconn *pg)
{
	PQclear(PQexec(pg, "SELECT pg_stat_clear_snapshot()"));
	return vmb_scalar(pg, "SELECT xact_commit FROM pg_stat_database WHERE datname = "
	    "current_database()", 0, NULL);
}

static int
vmb_expect(const char *what, long long got, long long want)
{
	bool ok = got == want;
	printf("  check %-58s %s (%lld, want %lld)\n", what, ok ? "ok" : "FAILED", got, want);
	return ok ? 0 : 1;
}

int
vmb_check(PGconn *pg, const vmb_cloud *cl, long want, long sim_vms)
{
	const char *l3[1] = { cl->l3 };
	int failed = 0;
	failed += vmb_expect("VMs", vmb_scalar(pg, "SELECT count(*) FROM vm_instances", 0, NULL),
	    want);
	failed += vmb_expect("VMs Running", vmb_scalar(pg, "SELECT count(*) FROM vm_instances "
	    "WHERE state = 'Running'", 0, NULL), want);
	failed += vmb_expect("VMs on a host", vmb_scalar(pg, "SELECT count(*) FROM vm_instances "
	    "WHERE host_uuid <> ''", 0, NULL), want);
	failed += vmb_expect("NICs, one a VM, with an address", vmb_scalar(pg, "SELECT count(DISTINCT "
	    "vm_instance_uuid) FROM vm_nics WHERE ip <> ''", 0, NULL), want);
	failed += vmb_expect("NICs", vmb_scalar(pg, "SELECT count(*) FROM vm_nics", 0, NULL), want);
	failed += vmb_expect("used IPs of the L3 (each a NIC's)", vmb_scalar(pg, "SELECT count(*) "
	    "FROM net_used_ips u JOIN vm_nics n ON n.l3_network_uuid = u.l3_network_uuid AND "
	    "n.ip = u.ip WHERE u.l3_network_uuid = $1", 1, l3), want);
	failed += vmb_expect("used IPs of the L3 in all", vmb_scalar(pg, "SELECT count(*) FROM "
	    "net_used_ips WHERE l3_network_uuid = $1", 1, l3), want);
	failed += vmb_expect("root volumes (each a VM's)", vmb_scalar(pg, "SELECT count(*) FROM "
	    "volume_volumes v JOIN vm_instances i ON i.root_volume_uuid = v.uuid AND "
	    "v.type = 'Root' AND v.host_uuid = i.host_uuid", 0, NULL), want);
	failed += vmb_expect("volumes in all", vmb_scalar(pg, "SELECT count(*) FROM volume_volumes",
	    0, NULL), want);
	failed += vmb_expect("host reservations (each a VM's, on its host)", vmb_scalar(pg,
	    "SELECT count(*) FROM kvm_vm_reservations r JOIN vm_instances i ON i.uuid = r.vm_uuid "
	    "AND i.host_uuid = r.host_uuid", 0, NULL), want);
	failed += vmb_expect("host reservations in all", vmb_scalar(pg, "SELECT count(*) FROM "
	    "kvm_vm_reservations", 0, NULL), want);
	/* capacity: what each host has available is its total less what its VMs hold */
	failed += vmb_expect("hosts whose CPU or memory does not add up", vmb_scalar(pg,
	    "SELECT count(*) FROM kvm_host_capacity c LEFT JOIN (SELECT host_uuid, sum(cpu) AS cpu, "
	    "sum(memory) AS mem FROM kvm_vm_reservations GROUP BY host_uuid) r ON r.host_uuid = "
	    "c.uuid WHERE c.available_cpu <> c.total_cpu - coalesce(r.cpu, 0) OR "
	    "c.available_memory <> c.total_memory - c.reserved_memory - coalesce(r.mem, 0)", 0,
	    NULL), 0);
	failed += vmb_expect("hosts over-committed (memory < 0, CPU over 10x)", vmb_scalar(pg,
	    "SELECT count(*) FROM kvm_host_capacity WHERE available_memory < 0 OR "
	    "total_cpu - available_cpu > total_cpu * 10", 0, NULL), 0);
	failed += vmb_expect("storage reservations (each a root volume's)", vmb_scalar(pg,
	    "SELECT count(*) FROM ps_reservations r JOIN volume_volumes v ON v.uuid = "
	    "r.volume_uuid AND v.host_uuid = r.host_uuid AND v.size = r.size", 0, NULL), want);
	failed += vmb_expect("storage reservations in all", vmb_scalar(pg, "SELECT count(*) FROM "
	    "ps_reservations", 0, NULL), want);
	failed += vmb_expect("LocalStorage shares whose reserved bytes do not add up", vmb_scalar(pg,
	    "SELECT count(*) FROM ps_hosts h WHERE h.reserved_capacity <> (SELECT coalesce(sum(r.size), "
	    "0) FROM ps_reservations r WHERE r.ps_uuid = h.ps_uuid AND r.host_uuid = h.host_uuid) OR "
	    "h.reserved_capacity > h.total_capacity", 0, NULL), 0);
	if (sim_vms >= 0)
		failed += vmb_expect("VMs the simulated hosts run", sim_vms, want);
	return failed;
}

/* ---- the sampler: which statements PostgreSQL is running, every 20 ms ---- */

#define VMB_SAMPLE_MS 20
#define VMB_SAMPLE_KINDS 256

struct vmb_sampler {
	PGconn *pg;
	pthread_t thread;
	atomic_bool stop;
	long rounds, n;
	struct vmb_kind { char query[160]; long seen; } kinds[VMB_SAMPLE_KINDS];
};

static void
vmb_sampler_add(vmb_sampler *s, const char *q)
{
	for (long i = 0; i < s->n; i++)
		if (strcmp(s->kinds[i].query, q) == 0) {
			s->kinds[i].seen++;
			return;
		}
	if (s->n < VMB_SAMPLE_KINDS) {
		snprintf(s->kinds[s->n].query, sizeof s->kinds[s->n].query, "%s", q);
		s->kinds[s->n++].seen = 1;
	}
}

static void *
vmb_sampler_run(void *arg)
{
	vmb_sampler *s = arg;
	while (!atomic_load(&s->stop)) {
		PGresult *r = PQexec(s->pg, "SELECT coalesce(wait_event, 'CPU') || ' ' || "
		    "left(regexp_replace(query, '\\s+', ' ', 'g'), 130) "
		    "FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND "
		    "datname = current_database()");
		for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++)
			vmb_sampler_add(s, PQgetvalue(r, i, 0));
		PQclear(r);
		s->rounds++;
		zst_sleep_ms(VMB_SAMPLE_MS);
	}
	return NULL;
}

vmb_sampler *
vmb_sampler_start(const zst_node *n)
{
	vmb_sampler *s = calloc(1, sizeof *s);
	if (s == NULL || (s->pg = vmb_pg_open(n)) == NULL ||
	    pthread_create(&s->thread, NULL, vmb_sampler_run, s) != 0) {
		if (s != NULL)
			PQfinish(s->pg);
		free(s);
		return NULL;
	}
	return s;
}

static int
vmb_kind_cmp(const void *a, const void *b)
{
	const struct vmb_kind *x = a, *y = b;
	return x->seen > y->seen ? -1 : x->seen < y->seen;
}

void
vmb_sampler_stop(vmb_sampler *s, int top)
{
	if (s == NULL)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	qsort(s->kinds, (size_t) s->n, sizeof s->kinds[0], vmb_kind_cmp);
	printf("  PostgreSQL's active statements, sampled %ld times (what each waited on, or CPU, "
	    "and the statement; most first):\n", s->rounds);
	for (long i = 0; i < s->n && i < top; i++)
		printf("    %6ld  %s\n", s->kinds[i].seen, s->kinds[i].query);
	PQfinish(s->pg);
	free(s);
}
