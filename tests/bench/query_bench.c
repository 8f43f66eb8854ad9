/*
 * query_bench.c: zsbench_query, the benchmark of the Query API (a program, not a test).
 * It starts a real zsnode, makes 10 zones and 100 clusters through the API, then writes
 * --hosts hosts (100,000 by default) straight into the node's database (registry rows,
 * host rows, a user tag on every 100th host). These hosts are never dialled: they are
 * plain host rows, not KVM hosts, so no ping tracker or agent ever touches them; their
 * management IPs are 127.x.y.z strings. Then, alternating, --calls times each:
 *   - QueryHost {state = Enabled, status = Connected, cluster.name = bc-7}, limit 100,
 *     through the generated client (tcp, one call in flight), and
 *   - the same SQL through libpq on the node's own database (the floor),
 * and the same again with reply_with_count. It prints p50/p99 of each and their ratio.
 * The first answers of both are compared: the same hosts in the same order. Bounded:
 * at most 100,000 hosts and 10,000 calls, and an alarm ends a run that hangs.
 *
 *	zsbench_query [--hosts N] [--calls N] [--explain] [ZSNODE PLUGINS_DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "zs/client.h"
#include "zs/cluster/v1/cluster.pb-c.h"
#include "zs/host/v1/host.pb-c.h"
#include "zs/zone/v1/zone.pb-c.h"
#include "zst_node.h"

#define QB_ZONES 10
#define QB_CLUSTERS 100
#define QB_HOSTS_MAX 100000
#define QB_CALLS_MAX 10000
#define QB_ALARM_S 600
#define QB_READY_MS 120000

/* The statement the engine builds for QueryHost with these conditions, as an admin
 * (zs_query_build: every own field selected, the dot path as EXISTS, the default order). */
#define QB_COLUMNS \
	"t.uuid AS \"uuid\", t.cluster_uuid AS \"cluster_uuid\", t.zone_uuid AS \"zone_uuid\", " \
	"t.name AS \"name\", t.description AS \"description\", t.management_ip AS " \
	"\"management_ip\", t.hypervisor_type AS \"hypervisor_type\", t.state AS \"state\", " \
	"t.status AS \"status\", t.owner_uuid AS \"owner_uuid\", t.created_at AS " \
	"\"create_date\", t.updated_at AS \"last_op_date\""
#define QB_WHERE \
	" WHERE TRUE AND (t.state = $1::text) AND (t.status = $2::text) AND (EXISTS (SELECT 1 " \
	"FROM cluster_clusters r WHERE r.uuid = t.cluster_uuid AND r.name = $3::text))"
#define QB_ORDER " ORDER BY t.created_at ASC, t.uuid ASC"
#define QB_PAGE "(SELECT t.* FROM host_hosts t" QB_WHERE QB_ORDER \
	" LIMIT $4::bigint OFFSET $5::bigint) t"
static const char qb_sql[] = "SELECT " QB_COLUMNS " FROM " QB_PAGE QB_ORDER;
static const char qb_sql_count[] =
	"SELECT c.zs_total, p.* FROM (SELECT count(*) AS zs_total FROM host_hosts t" QB_WHERE
	") c LEFT JOIN LATERAL (SELECT TRUE AS zs_row, t.created_at AS zs_k1, t.uuid AS zs_k2, "
	QB_COLUMNS " FROM " QB_PAGE ") p ON TRUE ORDER BY p.zs_k1 ASC, p.zs_k2 ASC";

/* The hosts: registry rows and host rows; cluster bc-K gets hosts i with i % 100 == K.
 * State and status vary with i (not with the cluster), so every cluster has all kinds. */
static const char qb_fill[] =
	"INSERT INTO zs_resources (uuid, type, name, owner_uuid, parent_uuid) "
	"SELECT md5('bench-host-' || i)::uuid::text, 'Host', 'bh-' || i, c.owner_uuid, c.uuid "
	"FROM generate_series(0, $1::int - 1) i JOIN cluster_clusters c ON c.name = 'bc-' || (i % 100);"
	"INSERT INTO host_hosts (uuid, cluster_uuid, zone_uuid, owner_uuid, name, management_ip, "
	"hypervisor_type, state, status, created_at, updated_at) "
	"SELECT md5('bench-host-' || i)::uuid::text, c.uuid, c.zone_uuid, c.owner_uuid, 'bh-' || i, "
	"'127.' || (i / 65536) % 256 || '.' || (i / 256) % 256 || '.' || i % 256, 'KVM', "
	"CASE WHEN (i / 7) % 10 = 9 THEN 'Disabled' ELSE 'Enabled' END, "
	"CASE WHEN (i / 3) % 4 = 3 THEN 'Disconnected' ELSE 'Connected' END, "
	"now() - ($1::int - i) * interval '1 millisecond', now() "
	"FROM generate_series(0, $1::int - 1) i JOIN cluster_clusters c ON c.name = 'bc-' || (i % 100);"
	"INSERT INTO zs_tags (uuid, resource_uuid, resource_type, kind, tag, owner_uuid) "
	"SELECT md5('bench-tag-' || i)::uuid::text, md5('bench-host-' || i)::uuid::text, 'Host', "
	"'user', 'rack::r' || (i % 7), h.owner_uuid FROM generate_series(0, $1::int - 1, 100) i "
	"JOIN host_hosts h ON h.uuid = md5('bench-host-' || i)::uuid::text";

typedef struct qb_run {
	zst_node node;
	zs_client *client;
	PGconn *pg;
	int hosts, calls;
	bool explain;               /* --explain: print the plans first */
} qb_run;

static int
qb_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return x < y ? -1 : x > y;
}

/* The q-quantile of n sorted samples, in ms. */
static double
qb_quantile(const int64_t *ns, int n, double q)
{
	int i = (int) (q * (n - 1) + 0.5);
	return (double) ns[i] / 1e6;
}

static int64_t
qb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The uuids of the hosts answered, comma-joined, into out. */
static void
qb_api_uuids(const Zs__Host__V1__QueryHostResponse *r, char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < r->n_inventories && used < len; i++)
		used += (size_t) snprintf(out + used, len - used, "%s,", r->inventories[i]->uuid);
}

static void
qb_pg_uuids(const PGresult *r, char *out, size_t len)
{
	size_t used = 0;
	int col = PQfnumber(r, "uuid");
	out[0] = '\0';
	for (int i = 0; i < PQntuples(r) && used < len; i++)
		used += (size_t) snprintf(out + used, len - used, "%s,", PQgetvalue(r, i, col));
}

/* Makes the zones and clusters through the API. */
static int
qb_inventory(qb_run *b)
{
	zs_call_opts opts = { .timeout_ms = 10000, .session = b->node.session };
	char zones[QB_ZONES][64];
	for (int i = 0; i < QB_ZONES; i++) {
		char name[32];
		snprintf(name, sizeof name, "bz-%d", i);
		Zs__Zone__V1__CreateZoneRequest req = ZS__ZONE__V1__CREATE_ZONE_REQUEST__INIT;
		req.name = name;
		ProtobufCMessage *out = NULL;
		if (zs_client_call(b->client, "zs.zone.v1.Zone/CreateZone", &req.base,
		    &zs__zone__v1__zone_info__descriptor, &out, NULL, &opts) != 0)
			return -1;
		snprintf(zones[i], sizeof zones[i], "%s", ((Zs__Zone__V1__ZoneInfo *) out)->uuid);
		zs_reply_free(out);
	}
	for (int i = 0; i < QB_CLUSTERS; i++) {
		char name[32];
		snprintf(name, sizeof name, "bc-%d", i);
		Zs__Cluster__V1__CreateClusterRequest req = ZS__CLUSTER__V1__CREATE_CLUSTER_REQUEST__INIT;
		req.name = name;
		req.zone_uuid = zones[i % QB_ZONES];
		ProtobufCMessage *out = NULL;
		if (zs_client_call(b->client, "zs.cluster.v1.Cluster/CreateCluster", &req.base,
		    &zs__cluster__v1__cluster_info__descriptor, &out, NULL, &opts) != 0)
			return -1;
		zs_reply_free(out);
	}
	return 0;
}

/* Connects to the node's embedded PostgreSQL: its socket folder is named in the log. */
static PGconn *
qb_connect(const zst_node *n)
{
	char *log = zst_node_stderr(n), dir[1024] = "";
	const char *p = strstr(log, "PostgreSQL's socket is in ");
	const char *from = p ? p + strlen("PostgreSQL's socket is in ") : NULL;
	if (from == NULL && (p = strstr(log, "embedded PostgreSQL ready in ")) != NULL &&
	    (p = strstr(p, "data in ")) != NULL)
		from = p + strlen("data in ");
	size_t len = 0;
	while (from != NULL && from[len] && from[len] != ',' && from[len] != '\n' && len + 1 < sizeof dir)
		len++;
	if (from != NULL)
		memcpy(dir, from, len);
	dir[len] = '\0';
	free(log);
	const char *keys[] = { "host", "port", "user", "dbname", NULL };
	const char *values[] = { dir, "5432", "zsnode", "zsnode", NULL };
	PGconn *pg = PQconnectdbParams(keys, values, 0);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "zsbench_query: cannot connect to the node's database in \"%s\": %s", dir,
		    PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

/* Writes the hosts; prints how long it took. */
static int
qb_fill_hosts(qb_run *b)
{
	char n[16];
	snprintf(n, sizeof n, "%d", b->hosts);
	int64_t t0 = qb_now_ns();
	PGresult *r = PQexec(b->pg, "BEGIN");
	PQclear(r);
	/* one statement at a time: PQexecParams takes one */
	const char *rest = qb_fill;
	while (*rest) {
		const char *end = strchr(rest, ';');
		size_t len = end ? (size_t) (end - rest) : strlen(rest);
		char *sql = strndup(rest, len);
		const char *p[1] = { n };
		r = PQexecParams(b->pg, sql, 1, NULL, p, NULL, NULL, 0);
		free(sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "zsbench_query: filling the hosts: %s", PQerrorMessage(b->pg));
			PQclear(r);
			return -1;
		}
		PQclear(r);
		rest = end ? end + 1 : rest + len;
	}
	r = PQexec(b->pg, "COMMIT");
	PQclear(r);
	r = PQexec(b->pg, "ANALYZE");
	PQclear(r);
	printf("wrote %d hosts (%d clusters, %d zones, %d tags) into the node's database in %.1f s\n",
	    b->hosts, QB_CLUSTERS, QB_ZONES, (b->hosts + 99) / 100,
	    (double) (qb_now_ns() - t0) / 1e9);
	return 0;
}

/* One measured pair of series: QueryHost through the node and sql through libpq. */
static int
qb_measure(qb_run *b, const char *label, bool with_count, const char *sql)
{
	Zs__Resource__V1__QueryCondition c[3], *cp[3];
	const char *spec[3][3] = { { "state", "=", "Enabled" }, { "status", "=", "Connected" },
	    { "cluster.name", "=", "bc-7" } };
	for (int i = 0; i < 3; i++) {
		zs__resource__v1__query_condition__init(&c[i]);
		c[i].name = (char *) spec[i][0];
		c[i].op = (char *) spec[i][1];
		c[i].value = (char *) spec[i][2];
		cp[i] = &c[i];
	}
	Zs__Resource__V1__QueryRequest req = ZS__RESOURCE__V1__QUERY_REQUEST__INIT;
	req.n_conditions = 3;
	req.conditions = cp;
	req._limit_case = ZS__RESOURCE__V1__QUERY_REQUEST___LIMIT_LIMIT;
	req.limit = 100;
	req.reply_with_count = with_count;
	const char *params[5] = { "Enabled", "Connected", "bc-7", "100", "0" };
	zs_call_opts opts = { .timeout_ms = 10000, .session = b->node.session };
	int64_t *api = calloc((size_t) b->calls, sizeof *api);
	int64_t *raw = calloc((size_t) b->calls, sizeof *raw);
	static char first_api[8192], first_raw[8192];
	uint64_t total = 0;
	int rv = api && raw ? 0 : -1;
	for (int i = 0; rv == 0 && i < b->calls; i++) {
		int64_t t0 = qb_now_ns();
		ProtobufCMessage *out = NULL;
		zs_status *st = NULL;
		int code = zs_client_call(b->client, "zs.host.v1.Host/QueryHost", &req.base,
		    &zs__host__v1__query_host_response__descriptor, &out, &st, &opts);
		api[i] = qb_now_ns() - t0;
		if (code != 0) {
			fprintf(stderr, "zsbench_query: QueryHost failed: %s\n", st ? st->message : "?");
			rv = -1;
		} else if (i == 0) {
			Zs__Host__V1__QueryHostResponse *r = (Zs__Host__V1__QueryHostResponse *) out;
			qb_api_uuids(r, first_api, sizeof first_api);
			total = r->total;
			if (r->n_inventories != 100)
				printf("(QueryHost answers %zu hosts: fewer than 100 match)\n",
				    r->n_inventories);
		}
		zs_status_free(st);
		zs_reply_free(out);
		t0 = qb_now_ns();
		PGresult *r = PQexecParams(b->pg, sql, 5, NULL, params, NULL, NULL, 0);
		raw[i] = qb_now_ns() - t0;
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "zsbench_query: the SQL failed: %s", PQerrorMessage(b->pg));
			rv = -1;
		} else if (i == 0) {
			qb_pg_uuids(r, first_raw, sizeof first_raw);
		}
		PQclear(r);
	}
	if (rv == 0 && strcmp(first_api, first_raw) != 0) {
		fprintf(stderr, "zsbench_query: QueryHost and the SQL answer different hosts\n");
		rv = -1;
	}
	if (rv == 0) {
		qsort(api, (size_t) b->calls, sizeof *api, qb_cmp);
		qsort(raw, (size_t) b->calls, sizeof *raw, qb_cmp);
		double a50 = qb_quantile(api, b->calls, 0.5), a99 = qb_quantile(api, b->calls, 0.99);
		double r50 = qb_quantile(raw, b->calls, 0.5), r99 = qb_quantile(raw, b->calls, 0.99);
		printf("| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s |\n", label, b->calls,
		    a50, a99, r50, r99, a50 / r50, a99 / r99, a50 <= 10.0 ? "PASS" : "MISS");
		if (with_count)
			printf("|   (total matching: %llu) | | | | | | | | |\n", (unsigned long long) total);
	}
	free(api);
	free(raw);
	return rv;
}

/* EXPLAIN ANALYZE of sql with the measured parameters, printed. */
static void
qb_explain(qb_run *b, const char *sql)
{
	char *text = malloc(strlen(sql) + 64);
	if (text == NULL)
		return;
	sprintf(text, "EXPLAIN (ANALYZE, BUFFERS) %s", sql);
	const char *params[5] = { "Enabled", "Connected", "bc-7", "100", "0" };
	PGresult *r = PQexecParams(b->pg, text, 5, NULL, params, NULL, NULL, 0);
	for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++)
		printf("    %s\n", PQgetvalue(r, i, 0));
	PQclear(r);
	free(text);
}

static int
qb_main(qb_run *b)
{
	/* a first start runs initdb: on a busy machine that takes longer than tests allow */
	char why[256] = "";
	if (zst_node_spawn(&b->node, NULL, NULL) != 0 ||
	    zst_node_wait_ready(&b->node, QB_READY_MS) != 0 ||
	    zst_login(b->node.rpc_url, "admin", ZST_ADMIN_PASSWORD, b->node.session,
	    sizeof b->node.session, why, sizeof why) != 0) {
		fprintf(stderr, "zsbench_query: the node did not start (%s)\n", why);
		zst_node_dump_stderr(&b->node);
		return -1;
	}
	if (zs_client_open(&b->client, b->node.rpc_url) != 0 || qb_inventory(b) != 0 ||
	    (b->pg = qb_connect(&b->node)) == NULL || qb_fill_hosts(b) != 0)
		return -1;
	if (b->explain) {
		qb_explain(b, qb_sql);
		qb_explain(b, qb_sql_count);
	}
	printf("\n| QueryHost, limit 100: state = Enabled, status = Connected, cluster.name = bc-7 "
	    "| calls | zsnode p50 ms | zsnode p99 ms | libpq p50 ms | libpq p99 ms | p50 ratio | "
	    "p99 ratio | p50 <= 10 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
	if (qb_measure(b, "rows", false, qb_sql) != 0 ||
	    qb_measure(b, "rows + reply_with_count", true, qb_sql_count) != 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	qb_run b;
	memset(&b, 0, sizeof b);
	b.hosts = QB_HOSTS_MAX;
	b.calls = 1000;
	const char *paths[2] = { ZS_BENCH_ZSNODE, ZS_BENCH_PLUGINS };
	int n_paths = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--hosts") == 0 && i + 1 < argc) {
			b.hosts = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc) {
			b.calls = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--explain") == 0) {
			b.explain = true;
		} else if (argv[i][0] != '-' && n_paths < 2) {
			paths[n_paths++] = argv[i];
		} else {
			fprintf(stderr, "usage: zsbench_query [--hosts N (<= %d)] [--calls N (<= %d)] [--explain] "
			    "[ZSNODE PLUGINS_DIR]\n", QB_HOSTS_MAX, QB_CALLS_MAX);
			return 2;
		}
	}
	if (b.hosts < 100 || b.hosts > QB_HOSTS_MAX || b.calls < 1 || b.calls > QB_CALLS_MAX) {
		fprintf(stderr, "zsbench_query: --hosts is 100 to %d, --calls 1 to %d\n", QB_HOSTS_MAX,
		    QB_CALLS_MAX);
		return 2;
	}
	char *zargv[] = { argv[0], (char *) paths[0], (char *) paths[1], NULL };
	if (zst_init(3, zargv, "zsbench_query", QB_ALARM_S) != 0)
		return 1;
	int rv = qb_main(&b);
	if (b.pg != NULL)
		PQfinish(b.pg);
	if (b.client != NULL)
		zs_client_close(b.client);
	if (b.node.pid != 0)
		zst_node_stop(&b.node);
	if (b.node.root[0] != '\0')
		zst_node_cleanup(&b.node);
	return rv == 0 ? 0 : 1;
}
