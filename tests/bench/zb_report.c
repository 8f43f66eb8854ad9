/*
 * zb_report.c: zsbench's output: one line per figure (medians over the rounds) with
 * PASS/MISS against the targets, then a markdown block to paste into a README, with
 * the machine and the exact command that produced it. MB are MiB (KiB / 1024).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <nng/nng.h>

#include "zb.h"

/* Targets. */
#define ZB_T_THROUGHPUT 0.90     /* zsnode/raw calls/s, every concurrency */
#define ZB_T_P99 1.10            /* zsnode/raw p99, at concurrency ZB_T_P99_CONC */
#define ZB_T_P99_CONC 64
#define ZB_T_BUS 1000000.0       /* calls/s on one core */
#define ZB_T_READY_MS 200.0
#define ZB_T_RSS_MB 20.0

static const char *zb_tname[2] = { "tcp", "ipc" };

static int
zb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

double
zb_median(double *v, int n)
{
	if (n <= 0)
		return -1;
	double *c = malloc((size_t) n * sizeof *c);
	if (c == NULL)
		return -1;
	memcpy(c, v, (size_t) n * sizeof *c);
	qsort(c, (size_t) n, sizeof *c, zb_cmp_double);
	double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

/* 1234567 -> "1,234,567". */
const char *
zb_group(char *buf, size_t len, double v)
{
	char raw[32];
	snprintf(raw, sizeof raw, "%.0f", v);
	size_t n = strlen(raw), o = 0;
	for (size_t i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0 && raw[i - 1] != '-')
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = '\0';
	return buf;
}

/* Medians over the rounds of one transport, concurrency and side. */
typedef struct zb_med {
	double thr, p50, p99, srv, cli;
} zb_med;

static zb_med
zb_med_of(const zb_figures *f, int tr, int ci, int side)
{
	double thr[ZB_MAX_ROUNDS], p50[ZB_MAX_ROUNDS], p99[ZB_MAX_ROUNDS], srv[ZB_MAX_ROUNDS],
	    cli[ZB_MAX_ROUNDS];
	for (int r = 0; r < f->rounds_done; r++) {
		const zb_point *p = &f->pt[tr][ci][r][side];
		thr[r] = p->calls_per_s;
		p50[r] = p->p50_us;
		p99[r] = p->p99_us;
		srv[r] = p->server_cpu_us;
		cli[r] = p->client_cpu_us;
	}
	int n = f->rounds_done;
	zb_med m = { zb_median(thr, n), zb_median(p50, n), zb_median(p99, n), zb_median(srv, n),
		zb_median(cli, n) };
	return m;
}

static const char *
zb_mark(bool pass)
{
	return pass ? "PASS" : "MISS";
}

void
zb_machine(char *buf, size_t len)
{
	char model[256] = "unknown CPU", line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "model name", 10) == 0) {
			char *colon = strchr(line, ':');
			if (colon != NULL) {
				snprintf(model, sizeof model, "%s", colon + 2);
				model[strcspn(model, "\n")] = '\0';
			}
			break;
		}
	if (f != NULL)
		fclose(f);
	struct utsname u;
	if (uname(&u) != 0)
		snprintf(u.release, sizeof u.release, "?");
	snprintf(buf, len, "%ld CPUs (%s), Linux %s, nng %s", sysconf(_SC_NPROCESSORS_ONLN), model,
	    u.release, nng_version());
}

static bool
zb_transport_on(const zb_opts *o, int tr)
{
	return tr == 0 ? o->tcp : o->ipc;
}

void
zb_report(const zb_opts *o, const zb_figures *f)
{
	char a[32], b[32], machine[512];
	zb_machine(machine, sizeof machine);
	int misses = 0;
	printf("\nzsbench: %s; payload %zu B; %.1f s per point after %.1f s warm-up; "
	    "median of %d round%s\n", machine, o->payload, o->seconds, o->warmup, f->rounds_done,
	    f->rounds_done == 1 ? "" : "s");
	for (int tr = 0; tr < 2; tr++) {
		if (!zb_transport_on(o, tr))
			continue;
		for (int ci = 0; ci < o->n_conc && f->rounds_done > 0; ci++) {
			zb_med raw = zb_med_of(f, tr, ci, 0), zs = zb_med_of(f, tr, ci, 1);
			int c = o->conc[ci];
			double tratio = raw.thr > 0 ? zs.thr / raw.thr : 0;
			double pratio = raw.p99 > 0 ? zs.p99 / raw.p99 : 0;
			bool tpass = tratio >= ZB_T_THROUGHPUT;
			misses += !tpass;
			printf("%s c=%-4d throughput   raw %10s calls/s  zsnode %10s calls/s  zsnode/raw %.2fx  "
			    "target >= %.2fx  %s\n", zb_tname[tr], c, zb_group(a, sizeof a, raw.thr),
			    zb_group(b, sizeof b, zs.thr), tratio, ZB_T_THROUGHPUT, zb_mark(tpass));
			printf("%s c=%-4d p50 latency  raw %10.1f us       zsnode %10.1f us       zsnode/raw %.2fx\n",
			    zb_tname[tr], c, raw.p50, zs.p50, raw.p50 > 0 ? zs.p50 / raw.p50 : 0);
			if (c == ZB_T_P99_CONC) {
				bool ppass = pratio <= ZB_T_P99;
				misses += !ppass;
				printf("%s c=%-4d p99 latency  raw %10.1f us       zsnode %10.1f us       "
				    "zsnode/raw %.2fx  target <= %.2fx  %s\n", zb_tname[tr], c, raw.p99, zs.p99,
				    pratio, ZB_T_P99, zb_mark(ppass));
			} else {
				printf("%s c=%-4d p99 latency  raw %10.1f us       zsnode %10.1f us       zsnode/raw %.2fx\n",
				    zb_tname[tr], c, raw.p99, zs.p99, pratio);
			}
			printf("%s c=%-4d CPU per call raw server %5.1f + client %5.1f us   zsnode server %5.1f + "
			    "client %5.1f us (info)\n", zb_tname[tr], c, raw.srv, raw.cli, zs.srv, zs.cli);
		}
	}
	double bus = -1, ready = zb_median((double *) f->ready_ms, f->starts_done);
	double rss = zb_median((double *) f->rss_mb, f->starts_done);
	if (f->rounds_done > 0 && f->bus[0] >= 0)
		bus = zb_median((double *) f->bus, f->rounds_done);
	if (bus >= 0) {
		misses += bus < ZB_T_BUS;
		printf("bus (in process, 1 core)  %s calls/s  target >= %s  %s\n",
		    zb_group(a, sizeof a, bus), zb_group(b, sizeof b, ZB_T_BUS), zb_mark(bus >= ZB_T_BUS));
	}
	misses += ready > ZB_T_READY_MS;
	printf("start to ready (median of %d, database folder exists)  %.1f ms  target <= %.0f ms  %s\n",
	    f->starts_done, ready, ZB_T_READY_MS, zb_mark(ready <= ZB_T_READY_MS));
	if (f->cold_ready_ms >= 0)
		printf("start to ready, first start with initdb (info)  %.1f ms\n", f->cold_ready_ms);
	misses += rss > ZB_T_RSS_MB;
	printf("idle RSS of zsnode after start (median of %d)  %.1f MB  target <= %.0f MB  %s\n",
	    f->starts_done, rss, ZB_T_RSS_MB, zb_mark(rss <= ZB_T_RSS_MB));
	if (f->pg_pss_mb >= 0)
		printf("embedded PostgreSQL, idle (info)  %d processes, PSS %.1f MB\n", f->pg_procs,
		    f->pg_pss_mb);
	if (f->rss_after_load_mb >= 0)
		printf("RSS after the load (info)  %.1f MB\n", f->rss_after_load_mb);
	if (f->others_pct >= 0) {
		const char *noise = f->others_pct + f->steal_pct <= 20 ? "" :
		    f->rounds_done > 1 ? "  (noisy machine)" : "  (noisy machine: add --rounds 5)";
		printf("other processes during the load (info)  %.0f%% of one CPU, hypervisor steal "
		    "%.0f%%%s\n", f->others_pct, f->steal_pct, noise);
	}
	printf("targets missed: %d\n", misses);

	/* The README block. */
	printf("\n----- README -----\n");
	printf("Measured by `%s` on %s. Payload %zu B; each point runs %.1f s after %.1f s of warm-up, "
	    "median of %d round%s. raw = nng rep0 echo server with contexts, same client "
	    "machinery; zsnode = Echo/Say through the generated client. CPU µs/call = CPU time of "
	    "the server process + of the client (zsbench) per call. MB = MiB.\n\n", o->command, machine,
	    o->payload, o->seconds, o->warmup, f->rounds_done, f->rounds_done == 1 ? "" : "s");
	if (f->others_pct >= 0)
		printf("Other processes used %.0f%% of one CPU during the load (hypervisor steal %.0f%%).\n\n",
		    f->others_pct, f->steal_pct);
	printf("| transport | in flight | raw calls/s | zsnode calls/s | ratio (>= %.2f) | raw p50 µs | "
	    "zsnode p50 µs | raw p99 µs | zsnode p99 µs | p99 ratio (<= %.2f at %d) | "
	    "CPU µs/call raw srv+cli | CPU µs/call zsnode srv+cli |\n", ZB_T_THROUGHPUT, ZB_T_P99,
	    ZB_T_P99_CONC);
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int tr = 0; tr < 2; tr++) {
		if (!zb_transport_on(o, tr))
			continue;
		for (int ci = 0; ci < o->n_conc && f->rounds_done > 0; ci++) {
			zb_med raw = zb_med_of(f, tr, ci, 0), zs = zb_med_of(f, tr, ci, 1);
			double tratio = raw.thr > 0 ? zs.thr / raw.thr : 0;
			double pratio = raw.p99 > 0 ? zs.p99 / raw.p99 : 0;
			char pr[48];
			if (o->conc[ci] == ZB_T_P99_CONC)
				snprintf(pr, sizeof pr, "%.2f %s", pratio, zb_mark(pratio <= ZB_T_P99));
			else
				snprintf(pr, sizeof pr, "%.2f", pratio);
			printf("| %s | %d | %s | %s | %.2f %s | %.1f | %.1f | %.1f | %.1f | %s | %.1f + %.1f | "
			    "%.1f + %.1f |\n", zb_tname[tr], o->conc[ci], zb_group(a, sizeof a, raw.thr),
			    zb_group(b, sizeof b, zs.thr), tratio, zb_mark(tratio >= ZB_T_THROUGHPUT), raw.p50,
			    zs.p50, raw.p99, zs.p99, pr, raw.srv, raw.cli, zs.srv, zs.cli);
		}
	}
	printf("\n| figure | value | target | result |\n|---|---:|---:|---|\n");
	if (bus >= 0)
		printf("| bus calls/s, in process, one core | %s | >= %s | %s |\n", zb_group(a, sizeof a, bus),
		    zb_group(b, sizeof b, ZB_T_BUS), zb_mark(bus >= ZB_T_BUS));
	printf("| start to ready, median of %d (database folder exists) | %.1f ms | <= %.0f ms | %s |\n",
	    f->starts_done, ready, ZB_T_READY_MS, zb_mark(ready <= ZB_T_READY_MS));
	if (f->cold_ready_ms >= 0)
		printf("| start to ready, first start with initdb (info) | %.1f ms | | |\n", f->cold_ready_ms);
	printf("| idle RSS of zsnode after start | %.1f MB | <= %.0f MB | %s |\n", rss, ZB_T_RSS_MB,
	    zb_mark(rss <= ZB_T_RSS_MB));
	if (f->pg_pss_mb >= 0)
		printf("| embedded PostgreSQL, idle (info) | %.1f MB PSS, %d processes | | |\n", f->pg_pss_mb,
		    f->pg_procs);
	if (f->rss_after_load_mb >= 0)
		printf("| RSS after the load (info) | %.1f MB | | |\n", f->rss_after_load_mb);
	printf("----- end -----\n");
	printf("command: %s\n", o->command);
	fflush(stdout);
}
