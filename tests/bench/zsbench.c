/*
 * zsbench.c: the benchmark of zsnode against its floor, in one run on one machine.
 *
 *   phase 1  start zsnode once cold (its embedded PostgreSQL runs initdb), then N times
 *            warm on the same data.dir: start-to-ready (fork to first SERVING
 *            Health/Check) and idle RSS after start
 *   phase 2  per round, over tcp and ipc, at each concurrency: the raw nng echo server
 *            then zsnode's Echo/Say (raw first in even rounds, zsnode first in odd ones),
 *            then the in-process bus helper (zsbench_bus) on one core
 *   report   medians over the rounds, PASS/MISS, and a README block
 *
 * `zsbench --raw-server URL [--raw-server URL]...` is the raw echo server that phase 2
 * runs as a child; `zsbench --raw-pool-server URL...` the raw rep0 socket + worker pool
 * server of zb_pool.c. `zsbench --compare-servers` runs neither phase: it compares the
 * two echo servers (zb_compare.c) and needs no zsnode. Every phase has a time limit (the
 * watchdog in zb_proc.c), and every child dies with zsbench.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zb.h"

static void
zb_usage(FILE *out)
{
	fprintf(out,
	    "usage: zsbench [options]\n"
	    "  --seconds S        measured time of each point (default 2)\n"
	    "  --warmup S         unmeasured time before each point (default 0.3)\n"
	    "  --rounds N         repeat every point N times, report medians (default 1)\n"
	    "  --starts N         zsnode starts for the ready time and idle RSS (default 5)\n"
	    "  --concurrency LIST calls in flight, e.g. 1,16,64,1024 (the default; with\n"
	    "                     --compare-servers 1,16,64,1024,20000)\n"
	    "  --transports LIST  tcp,ipc (the default), tcp or ipc\n"
	    "  --payload N        bytes per call (default 64)\n"
	    "  --zsnode PATH      the zsnode binary (default: ../../server/zsnode from this binary)\n"
	    "  --plugins DIR      its plugins (default: ../../plugins from this binary)\n"
	    "  --schema FILE      the descriptor schema (default: PLUGINS/../schema/service.xsd)\n"
	    "  --migrations DIR   the node's SQL migrations (default: PLUGINS/../sql)\n"
	    "  --bus-helper PATH  zsbench_bus (default: beside this binary)\n"
	    "  --no-bus           skip the in-process bus figure\n"
	    "  --compare-servers  only compare two echo servers, same raw client: nng contexts\n"
	    "                     (zsnode's model) vs a RAW rep0 socket + worker pool; then a\n"
	    "                     slow-reader probe of each; zsnode is not started\n"
	    "  --pool-workers LIST worker counts tried for the pool (default 1,2,4)\n"
	    "  --raw-server URL   (internal) be the raw nng echo server on URL; may repeat\n"
	    "  --raw-pool-server URL (internal) be the raw rep0 + worker pool echo server on URL;\n"
	    "                     may repeat; --raw-pool-workers N, --raw-pool-nonblock\n");
}

/* Exits after a failure, children killed. */
static void __attribute__((noreturn))
zb_fail(const char *what, const char *err)
{
	fprintf(stderr, "zsbench: %s: %s\n", what, err);
	zb_proc_exit(1);
}

static int
zb_parse_list(const char *s, int *out, int max)
{
	int n = 0;
	char *copy = strdup(s), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		int v = atoi(t);
		if (n == max || v < 1 || v > 100000) {
			n = -1;
			break;
		}
		out[n++] = v;
	}
	free(copy);
	return n;
}

/* Appends arg to the command line, quoted when needed. */
static void
zb_command_add(zb_opts *o, const char *arg)
{
	size_t n = strlen(o->command);
	bool plain = *arg != '\0' && strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_./,:=+@") == strlen(arg);
	snprintf(o->command + n, sizeof o->command - n, plain ? "%s%s" : "%s'%s'", n ? " " : "", arg);
}

/* Paths relative to this binary: build/tests/bench/zsbench -> build/... */
static void
zb_default_paths(zb_opts *o)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		snprintf(exe, sizeof exe, "./zsbench");
	else
		exe[n] = '\0';
	snprintf(o->self, sizeof o->self, "%s", exe);
	char *slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	snprintf(o->zsnode, sizeof o->zsnode, "%s/../../server/zsnode", exe);
	snprintf(o->plugins, sizeof o->plugins, "%s/../../plugins", exe);
	snprintf(o->bus_helper, sizeof o->bus_helper, "%s/zsbench_bus", exe);
}

static int
zb_parse(zb_opts *o, int argc, char **argv)
{
	memset(o, 0, sizeof *o);
	o->seconds = 2;
	o->warmup = 0.3;
	o->rounds = 1;
	o->starts = 5;
	o->payload = 64;
	o->tcp = o->ipc = true;
	int def[] = { 1, 16, 64, 1024 };
	memcpy(o->conc, def, sizeof def);
	o->n_conc = 4;
	int def_pool[] = { 1, 2, 4 };
	memcpy(o->pool_workers, def_pool, sizeof def_pool);
	o->n_pool = 3;
	zb_default_paths(o);
	for (int i = 0; i < argc; i++)
		zb_command_add(o, argv[i]);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			zb_usage(stdout);
			exit(0);
		} else if (strcmp(a, "--no-bus") == 0) {
			o->skip_bus = true;
			continue;
		} else if (strcmp(a, "--compare-servers") == 0) {
			o->compare = true;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "zsbench: %s needs a value\n", a);
			return -1;
		}
		i++;
		if (strcmp(a, "--seconds") == 0)
			o->seconds = atof(v);
		else if (strcmp(a, "--warmup") == 0)
			o->warmup = atof(v);
		else if (strcmp(a, "--rounds") == 0)
			o->rounds = atoi(v);
		else if (strcmp(a, "--starts") == 0)
			o->starts = atoi(v);
		else if (strcmp(a, "--payload") == 0)
			o->payload = strtoul(v, NULL, 10);
		else if (strcmp(a, "--concurrency") == 0) {
			o->n_conc = zb_parse_list(v, o->conc, ZB_MAX_CONC);
			o->conc_given = true;
		} else if (strcmp(a, "--pool-workers") == 0)
			o->n_pool = zb_parse_list(v, o->pool_workers, ZB_MAX_POOLS);
		else if (strcmp(a, "--transports") == 0) {
			o->tcp = strstr(v, "tcp") != NULL;
			o->ipc = strstr(v, "ipc") != NULL;
		} else if (strcmp(a, "--zsnode") == 0)
			snprintf(o->zsnode, sizeof o->zsnode, "%s", v);
		else if (strcmp(a, "--plugins") == 0)
			snprintf(o->plugins, sizeof o->plugins, "%s", v);
		else if (strcmp(a, "--schema") == 0)
			snprintf(o->schema, sizeof o->schema, "%s", v);
		else if (strcmp(a, "--migrations") == 0)
			snprintf(o->migrations, sizeof o->migrations, "%s", v);
		else if (strcmp(a, "--bus-helper") == 0)
			snprintf(o->bus_helper, sizeof o->bus_helper, "%s", v);
		else {
			fprintf(stderr, "zsbench: unknown option %s\n", a);
			return -1;
		}
	}
	if (o->schema[0] == '\0')
		snprintf(o->schema, sizeof o->schema, "%s/../schema/service.xsd", o->plugins);
	if (o->migrations[0] == '\0')
		snprintf(o->migrations, sizeof o->migrations, "%s/../sql", o->plugins);
	if (o->compare && !o->conc_given) {
		int cmp[] = { 1, 16, 64, 1024, 20000 };
		memcpy(o->conc, cmp, sizeof cmp);
		o->n_conc = 5;
	}
	bool pools_ok = o->n_pool >= 1;
	for (int i = 0; i < o->n_pool; i++)
		pools_ok = pools_ok && o->pool_workers[i] <= 64;
	if (o->seconds <= 0 || o->seconds > 600 || o->warmup < 0 || o->warmup > 60 || o->rounds < 1 ||
	    o->rounds > ZB_MAX_ROUNDS || o->starts < 1 || o->starts > ZB_MAX_STARTS ||
	    o->payload < 1 || o->payload > 1000000 || o->n_conc < 1 || (!o->tcp && !o->ipc) ||
	    !pools_ok) {
		fprintf(stderr, "zsbench: an option is out of range (rounds <= %d, starts <= %d, "
		    "concurrencies and pool worker counts <= %d of them, workers <= 64)\n",
		    ZB_MAX_ROUNDS, ZB_MAX_STARTS, ZB_MAX_CONC);
		return -1;
	}
	if (o->compare)
		return 0;      /* two echo servers of this binary: no zsnode, plugins or helper */
	/* Absolute paths: zsnode runs inside its data folder. */
	char *paths[] = { o->zsnode, o->plugins, o->schema, o->migrations, o->bus_helper };
	size_t sizes[] = { sizeof o->zsnode, sizeof o->plugins, sizeof o->schema, sizeof o->migrations,
		sizeof o->bus_helper };
	for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
		char *abs = realpath(paths[k], NULL);
		if (abs != NULL)
			snprintf(paths[k], sizes[k], "%s", abs);
		free(abs);
	}
	const char *need[][2] = { { o->zsnode, "zsnode (use --zsnode)" },
		{ o->plugins, "the plugins folder (use --plugins)" },
		{ o->schema, "the descriptor schema (use --schema)" },
		{ o->migrations, "the node's SQL migrations (use --migrations)" } };
	for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
		if (access(need[k][0], R_OK) != 0) {
			fprintf(stderr, "zsbench: cannot find %s at %s\n", need[k][1], need[k][0]);
			return -1;
		}
	if (!o->skip_bus && access(o->bus_helper, X_OK) != 0) {
		fprintf(stderr, "zsbench: cannot find zsbench_bus at %s (use --bus-helper or --no-bus)\n",
		    o->bus_helper);
		return -1;
	}
	return 0;
}

/* Phase 1: one cold start of zsnode (initdb of its PostgreSQL; info), then o->starts
 * warm ones on the same data.dir: ready time and idle RSS of each. */
static void
zb_phase_starts(const zb_opts *o, zb_figures *f)
{
	char err[512];
	for (int i = -1; i < o->starts; i++) {
		zb_node node;
		zb_watchdog_arm(i < 0 ? "zsnode cold start" : "zsnode start", i < 0 ? 150 : 60);
		if (zb_node_start(o, "node", i < 0 ? 120000 : 30000, &node, err, sizeof err) != 0)
			zb_fail("zsnode start", err);
		zb_sleep_ms(500);    /* let it settle: the figure is the idle footprint */
		long kib = zb_rss_kib(node.pid);
		int procs = 0;
		double pss = zb_pg_pss_mb(node.dir, &procs);
		zb_node_stop(&node);
		if (i < 0) {
			f->cold_ready_ms = node.ready_ms;
			fprintf(stderr, "cold start (initdb): ready in %.1f ms\n", node.ready_ms);
			continue;
		}
		f->ready_ms[i] = node.ready_ms;
		f->rss_mb[i] = kib / 1024.0;
		f->pg_pss_mb = pss;
		f->pg_procs = procs;
		f->starts_done = i + 1;
		fprintf(stderr, "start %d/%d: ready in %.1f ms, idle RSS %.1f MB, PostgreSQL %d processes "
		    "PSS %.1f MB\n", i + 1, o->starts, node.ready_ms, kib / 1024.0, procs, pss);
	}
	zb_watchdog_disarm();
}

/* One round of the in-process bus helper; calls/s or -1. */
static double
zb_phase_bus(const zb_opts *o, int round)
{
	char data[4200], log[4200], secs[32], warm[32], payload[32], line[256];
	const char *tmp = zb_proc_tmpdir();
	/* One data.dir for every round: its PostgreSQL runs initdb once. 0755: see zb_node.c. */
	snprintf(data, sizeof data, "%s/bus", tmp);
	snprintf(log, sizeof log, "%s/bus-%d.out", tmp, round);
	mkdir(data, 0755);
	snprintf(secs, sizeof secs, "%g", o->seconds);
	snprintf(warm, sizeof warm, "%g", o->warmup);
	snprintf(payload, sizeof payload, "%zu", o->payload);
	char *argv[] = { (char *) o->bus_helper, "--plugins", (char *) o->plugins,
		"--schema", (char *) o->schema, "--migrations", (char *) o->migrations,
		"--data", data, "--seconds", secs, "--warmup", warm, "--payload", payload,
		"--cpu", "0", NULL };
	double limit = o->seconds + o->warmup + 120;   /* the first round runs initdb */
	zb_watchdog_arm("bus", limit + 15);
	pid_t pid = zb_proc_spawn(argv, log, NULL);
	int status = pid > 0 ? zb_proc_wait(pid, (int64_t) (limit * 1000)) : -1;
	zb_watchdog_disarm();
	double calls = -1;
	FILE *f = fopen(log, "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "bus_calls_per_s ", 16) == 0)
			calls = atof(line + 16);
		else if (strncmp(line, "bus_generated_stub ", 19) == 0 && round == 0 &&
		    strncmp(line + 19, "OK", 2) != 0)
			fprintf(stderr, "note: the generated bus stub zs_echo_v1_echo_say_bus failed: %s", line + 19);
		else if (strncmp(line, "bus_", 4) != 0)
			fprintf(stderr, "zsbench_bus: %s", line);
	}
	if (f != NULL)
		fclose(f);
	if (zb_pg_stop_orphans(data) > 0)
		fprintf(stderr, "zsbench: zsbench_bus left its PostgreSQL running: stopped it\n");
	if (status != 0 || calls < 0)
		fprintf(stderr, "zsbench: the bus helper failed (status %d); see above\n", status);
	else
		fprintf(stderr, "round %d bus: %.0f calls/s on one core\n", round + 1, calls);
	return status == 0 ? calls : -1;
}

static void
zb_show_point(int round, const char *tr, int conc, const char *side, const zb_point *p)
{
	fprintf(stderr, "round %d %s c=%-4d %-6s %9.0f calls/s  p50 %8.1f us  p99 %8.1f us  "
	    "CPU/call server %5.1f us client %5.1f us\n", round + 1, tr, conc, side, p->calls_per_s,
	    p->p50_us, p->p99_us, p->server_cpu_us, p->client_cpu_us);
}

/* Phase 2: the load rounds, with the raw server and one zsnode kept up throughout. */
static void
zb_phase_load(const zb_opts *o, zb_figures *f)
{
	char err[512], raw_tcp[64], raw_ipc[4200], ctxs[32], log[4200];
	const char *tmp = zb_proc_tmpdir();
	uint16_t port;
	int max_conc = 1;
	for (int i = 0; i < o->n_conc; i++)
		if (o->conc[i] > max_conc)
			max_conc = o->conc[i];
	if (zb_free_ports(&port, 1) != 0)
		zb_fail("raw server", "no free port");
	snprintf(raw_tcp, sizeof raw_tcp, "tcp://127.0.0.1:%u", port);
	snprintf(raw_ipc, sizeof raw_ipc, "ipc://%s/raw.sock", tmp);
	snprintf(ctxs, sizeof ctxs, "%d", max_conc + 64);
	snprintf(log, sizeof log, "%s/raw.log", tmp);
	char *argv[] = { (char *) o->self, "--raw-contexts", ctxs, "--raw-server", raw_tcp,
		"--raw-server", raw_ipc, NULL };

	zb_watchdog_arm("raw server and zsnode start", 60);
	pid_t raw_pid = zb_proc_spawn(argv, log, NULL);
	if (raw_pid < 0)
		zb_fail("raw server", "cannot start it");
	zb_node node;
	if (zb_node_start(o, "node", 30000, &node, err, sizeof err) != 0)
		zb_fail("zsnode start", err);
	zb_target raw[2] = { { 0 } }, zs[2] = { { 0 } };
	for (int tr = 0; tr < 2; tr++) {
		if (!(tr == 0 ? o->tcp : o->ipc))
			continue;
		if (zb_raw_open(tr == 0 ? raw_tcp : raw_ipc, o->payload, 10000, &raw[tr], err, sizeof err) != 0)
			zb_fail("raw client", err);
		if (zb_zs_open(tr == 0 ? node.tcp_url : node.ipc_url, "admin", o->admin_password, o->payload,
		    &zs[tr], err, sizeof err) != 0)
			zb_fail("zsnode client", err);
		raw[tr].server = raw_pid;
		zs[tr].server = node.pid;
	}
	zb_watchdog_disarm();

	static const char *tname[2] = { "tcp", "ipc" };
	double limit = o->warmup + o->seconds + 30;
	/* What else ran meanwhile: the machine's busy time less ours and our children's. */
	int64_t busy0, steal0, busy1, steal1, t0 = zb_now_ns();
	int64_t ours0 = zb_cpu_ns(getpid()) + zb_cpu_ns(raw_pid) + zb_cpu_ns(node.pid);
	bool have_machine = zb_machine_ns(&busy0, &steal0) == 0;
	for (int r = 0; r < o->rounds; r++) {
		for (int tr = 0; tr < 2; tr++) {
			if (raw[tr].state == NULL)
				continue;
			for (int ci = 0; ci < o->n_conc; ci++) {
				for (int k = 0; k < 2; k++) {
					int side = (k + r) % 2;     /* 0 raw, 1 zsnode */
					zb_target *t = side == 0 ? &raw[tr] : &zs[tr];
					zb_point *p = &f->pt[tr][ci][r][side];
					zb_watchdog_arm(side == 0 ? "raw nng point" : "zsnode point", limit);
					if (zb_load_run(t, o->conc[ci], o->warmup, o->seconds, p, err, sizeof err) != 0)
						zb_fail("load", err);
					zb_watchdog_disarm();
					zb_show_point(r, tname[tr], o->conc[ci], side == 0 ? "raw" : "zsnode", p);
				}
			}
		}
		f->bus[r] = o->skip_bus ? -1 : zb_phase_bus(o, r);
		if (!o->skip_bus && f->bus[r] < 0)
			zb_fail("bus", "no figure");
		f->rounds_done = r + 1;
	}
	long kib = zb_rss_kib(node.pid);
	f->rss_after_load_mb = kib < 0 ? -1 : kib / 1024.0;
	int64_t ours1 = zb_cpu_ns(getpid()) + zb_cpu_ns(raw_pid) + zb_cpu_ns(node.pid);
	double wall = (double) (zb_now_ns() - t0);
	if (have_machine && zb_machine_ns(&busy1, &steal1) == 0 && wall > 0) {
		double others = (double) ((busy1 - busy0) - (ours1 - ours0));
		f->others_pct = others > 0 ? 100.0 * others / wall : 0;
		f->steal_pct = 100.0 * (double) (steal1 - steal0) / wall;
	}

	zb_watchdog_arm("stopping", 30);
	for (int tr = 0; tr < 2; tr++) {
		zb_zs_close(&zs[tr]);
		zb_raw_close(&raw[tr]);
	}
	zb_node_stop(&node);
	zb_proc_stop(raw_pid, 1000);
	zb_watchdog_disarm();
}

/* zsbench --raw-contexts N --raw-server URL...: returns only if it cannot serve. */
static int
zb_raw_mode(int argc, char **argv)
{
	const char *urls[8];
	int n = 0, contexts = 1100;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--raw-server") == 0 && n < 8)
			urls[n++] = argv[i + 1];
		else if (strcmp(argv[i], "--raw-contexts") == 0)
			contexts = atoi(argv[i + 1]);
	}
	if (n == 0 || contexts < 1) {
		zb_usage(stderr);
		return 2;
	}
	return zb_raw_server_main(urls, n, contexts);
}

/* zsbench --raw-pool-workers N [--raw-pool-nonblock] --raw-pool-server URL...: returns
 * only if it cannot serve. */
static int
zb_pool_mode(int argc, char **argv)
{
	const char *urls[8];
	int n = 0, workers = 2;
	bool nonblock = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--raw-pool-nonblock") == 0)
			nonblock = true;
		else if (strcmp(argv[i], "--raw-pool-server") == 0 && i + 1 < argc && n < 8)
			urls[n++] = argv[++i];
		else if (strcmp(argv[i], "--raw-pool-workers") == 0 && i + 1 < argc)
			workers = atoi(argv[++i]);
	}
	if (n == 0) {
		zb_usage(stderr);
		return 2;
	}
	return zb_pool_server_main(urls, n, workers, nonblock);
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--raw-pool-server") == 0)
			return zb_pool_mode(argc, argv);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--raw-server") == 0)
			return zb_raw_mode(argc, argv);
	zb_opts o;
	zb_proc_init();
	if (zb_parse(&o, argc, argv) != 0) {
		zb_usage(stderr);
		return 2;
	}
	/* The admin account zsnode makes on its first start; zsbench logs in with it. Through
	 * the environment (ZS_IDENTITY_ADMIN_PASSWORD), so it is not on a command line. */
	unsigned char raw[12];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t) sizeof raw)
		zb_fail("setup", "no random bytes");
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(o.admin_password + 2 * i, 3, "%02x", raw[i]);
	setenv("ZS_IDENTITY_ADMIN_PASSWORD", o.admin_password, 1);
	static zb_figures f;
	f.rss_after_load_mb = -1;
	f.others_pct = f.steal_pct = -1;
	f.cold_ready_ms = f.pg_pss_mb = -1;
	if (zb_proc_tmpdir() == NULL)
		zb_fail("setup", "cannot make a temporary folder");
	if (o.compare)
		zb_proc_exit(zb_compare_run(&o));
	fprintf(stderr, "zsbench: zsnode %s, plugins %s\n", o.zsnode, o.plugins);
	zb_phase_starts(&o, &f);
	zb_phase_load(&o, &f);
	zb_report(&o, &f);
	return 0;
}
