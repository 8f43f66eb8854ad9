/*
 * zb_compare.c: zsbench --compare-servers, the measurement behind zsnode's concurrency
 * model. Echo servers, each its own process, driven by the same raw req client and the
 * same load driver (zb_raw.c, zb_load.c):
 *
 *   contexts   zb_raw.c's server: a cooked rep0 socket with one nng context per call in
 *              flight (the largest concurrency + 64 armed in receive), answering on nng's
 *              callback thread; what zsnode's transport does
 *   raw+pool   zb_pool.c's server: a RAW rep0 socket, one receiver thread in nng_recvmsg,
 *              N workers (--pool-workers, 1,2,4 by default) echoing with nng_sendmsg; the
 *              best N is kept per point (by median calls/s)
 *
 * Over tcp and ipc, at each concurrency (default 1,16,64,1024,20000: one req socket with
 * that many contexts, each keeping one call in flight), servers in a rotating order each
 * round; medians over the rounds. A point stalls when it completes no call, or calls fail
 * or time out (10 s), or call chains never come back. Then the slow-reader probe: a RAW
 * req client sends many requests without reading any reply, waits, then reads them all;
 * replies lost there are replies the server's nng dropped (raw rep0: a full per-pipe send
 * queue), which nng_sendmsg never reported (the pool servers count its results).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "zb.h"

#define ZB_CMP_SRV (2 + ZB_MAX_POOLS)  /* contexts, the pools, the probe's non-blocking pool */
#define ZB_PROBE_CALLS 50000
#define ZB_PROBE_PAYLOAD 1024
#define ZB_PROBE_SEND_MS 1000           /* a send that waits this long: the server holds back */
#define ZB_PROBE_WAIT_MS 1500           /* between the last send and the first read */
#define ZB_PROBE_RECV_MS 2000           /* no reply for this long: the rest is lost */

static const char *zb_cmp_tname[2] = { "tcp", "ipc" };

typedef struct zb_srv {
	char label[32];
	int workers;                /* 0: the contexts server */
	bool nonblock;              /* the probe's pool: NNG_FLAG_NONBLOCK first */
	pid_t pid;
	char url[2][4200];          /* tcp, ipc */
	char log[4200];
	zb_target cli[2];
} zb_srv;

typedef struct zb_probe_res {
	int sent, answered;
	bool held_back;             /* a send waited ZB_PROBE_SEND_MS: the server stopped reading */
	bool have_stats;            /* pool servers: what nng_sendmsg did meanwhile */
	zb_pool_stats d;            /* counters moved during the probe */
	double max_send_us;         /* longest nng_sendmsg of the whole run */
} zb_probe_res;

typedef struct zb_cmp {
	const zb_opts *o;
	zb_srv srv[ZB_CMP_SRV];
	int n_srv;                  /* measured ones; srv[n_srv] is the probe's pool */
	zb_point pt[2][ZB_MAX_CONC][ZB_MAX_ROUNDS][ZB_CMP_SRV];
	int rounds_done;
	zb_probe_res probe[2][ZB_CMP_SRV];
	double others_pct, steal_pct;
} zb_cmp;

/* Medians over the rounds of one point, and its stalls. */
typedef struct zb_cmed {
	double thr, p50, p99, srv, cli;
	int stalls;
	uint64_t errors;
} zb_cmed;

static void __attribute__((noreturn))
zb_cmp_fail(const char *what, const char *err)
{
	fprintf(stderr, "zsbench: %s: %s\n", what, err);
	zb_proc_exit(1);
}

static bool
zb_stalled(const zb_point *p)
{
	return p->stalled || p->errors > 0 || p->calls == 0;
}

static zb_cmed
zb_cmed_of(const zb_cmp *c, int tr, int ci, int si)
{
	double thr[ZB_MAX_ROUNDS], p50[ZB_MAX_ROUNDS], p99[ZB_MAX_ROUNDS], srv[ZB_MAX_ROUNDS],
	    cli[ZB_MAX_ROUNDS];
	zb_cmed m = { 0 };
	int n = c->rounds_done;
	for (int r = 0; r < n; r++) {
		const zb_point *p = &c->pt[tr][ci][r][si];
		thr[r] = p->calls_per_s;
		p50[r] = p->p50_us;
		p99[r] = p->p99_us;
		srv[r] = p->server_cpu_us;
		cli[r] = p->client_cpu_us;
		m.stalls += zb_stalled(p);
		m.errors += p->errors;
	}
	m.thr = zb_median(thr, n);
	m.p50 = zb_median(p50, n);
	m.p99 = zb_median(p99, n);
	m.srv = zb_median(srv, n);
	m.cli = zb_median(cli, n);
	return m;
}

/* The pool server with the best median calls/s at this point. */
static int
zb_best_pool(const zb_cmp *c, int tr, int ci)
{
	int best = 1;
	double thr = -1;
	for (int si = 1; si < c->n_srv; si++) {
		zb_cmed m = zb_cmed_of(c, tr, ci, si);
		if (m.thr > thr) {
			thr = m.thr;
			best = si;
		}
	}
	return best;
}

static void
zb_srv_start(zb_cmp *c, int si, int workers, bool nonblock, uint16_t port, int contexts)
{
	zb_srv *s = &c->srv[si];
	const char *tmp = zb_proc_tmpdir();
	s->workers = workers;
	s->nonblock = nonblock;
	if (workers == 0)
		snprintf(s->label, sizeof s->label, "contexts");
	else
		snprintf(s->label, sizeof s->label, "pool N=%d%s", workers, nonblock ? " nb" : "");
	snprintf(s->url[0], sizeof s->url[0], "tcp://127.0.0.1:%u", port);
	snprintf(s->url[1], sizeof s->url[1], "ipc://%s/cmp%d.sock", tmp, si);
	snprintf(s->log, sizeof s->log, "%s/cmp%d.log", tmp, si);
	char num[32];
	snprintf(num, sizeof num, "%d", workers == 0 ? contexts : workers);
	char *argv[12];
	int a = 0;
	argv[a++] = (char *) c->o->self;
	argv[a++] = workers == 0 ? "--raw-contexts" : "--raw-pool-workers";
	argv[a++] = num;
	if (nonblock)
		argv[a++] = "--raw-pool-nonblock";
	for (int tr = 0; tr < 2; tr++) {
		argv[a++] = workers == 0 ? "--raw-server" : "--raw-pool-server";
		argv[a++] = s->url[tr];
	}
	argv[a] = NULL;
	s->pid = zb_proc_spawn(argv, s->log, NULL);
	if (s->pid < 0)
		zb_cmp_fail(s->label, "cannot start it");
}

static void
zb_cmp_point(zb_cmp *c, int r, int tr, int ci, int si)
{
	const zb_opts *o = c->o;
	zb_srv *s = &c->srv[si];
	zb_point *p = &c->pt[tr][ci][r][si];
	char err[512];
	/* The run waits up to 15 s past its window for calls that time out after 10 s. */
	zb_watchdog_arm(s->workers == 0 ? "contexts point" : "raw+pool point",
	    o->warmup + o->seconds + 60);
	int rv = zb_load_run(&s->cli[tr], o->conc[ci], o->warmup, o->seconds, p, err, sizeof err);
	zb_watchdog_disarm();
	if (rv != 0 && p->errors == 0 && !p->stalled)
		zb_cmp_fail("load", err);
	fprintf(stderr, "round %d %s c=%-5d %-10s %9.0f calls/s  p50 %9.1f us  p99 %9.1f us  "
	    "CPU/call server %5.1f us client %5.1f us%s\n", r + 1, zb_cmp_tname[tr], o->conc[ci],
	    s->label, p->calls_per_s, p->p50_us, p->p99_us, p->server_cpu_us, p->client_cpu_us,
	    zb_stalled(p) ? "  STALL" : "");
	if (rv != 0)
		fprintf(stderr, "  %s\n", err);
	else if (p->calls == 0)
		fprintf(stderr, "  no call completed in the window\n");
}

/* The slow reader: n requests sent on a RAW req socket before any reply is read. */
static int
zb_probe(const char *url, zb_probe_res *res, char *err, size_t errlen)
{
	nng_socket s;
	int rv = nng_req0_open_raw(&s);
	if (rv == 0)
		rv = nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, ZB_PROBE_SEND_MS);
	if (rv == 0)
		rv = nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, ZB_PROBE_RECV_MS);
	if (rv == 0)
		rv = nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, 0);
	if (rv == 0)
		rv = nng_dial(s, url, NULL, 0);
	if (rv != 0) {
		snprintf(err, errlen, "probe of %s: %s", url, nng_strerror(rv));
		return -1;
	}
	memset(res, 0, sizeof *res);
	for (int i = 0; i < ZB_PROBE_CALLS; i++) {
		nng_msg *m;
		if ((rv = nng_msg_alloc(&m, ZB_PROBE_PAYLOAD)) != 0)
			break;
		memset(nng_msg_body(m), 'p', ZB_PROBE_PAYLOAD);
		/* Raw req: the request id, top bit set, is the whole backtrace. */
		nng_msg_header_append_u32(m, 0x80000000u | (uint32_t) (i + 1));
		if ((rv = nng_sendmsg(s, m, 0)) != 0) {
			nng_msg_free(m);
			res->held_back = rv == NNG_ETIMEDOUT;
			break;
		}
		res->sent++;
	}
	if (rv != 0 && rv != NNG_ETIMEDOUT) {
		snprintf(err, errlen, "probe of %s: send: %s", url, nng_strerror(rv));
		nng_close(s);
		return -1;
	}
	zb_sleep_ms(ZB_PROBE_WAIT_MS);
	nng_msg *m;
	while (res->answered < res->sent && nng_recvmsg(s, &m, 0) == 0) {
		res->answered++;
		nng_msg_free(m);
	}
	nng_close(s);
	return 0;
}

static void
zb_cmp_probe(zb_cmp *c, int tr, int si)
{
	zb_srv *s = &c->srv[si];
	zb_probe_res *res = &c->probe[tr][si];
	zb_pool_stats before = { 0 }, after = { 0 };
	char err[512];
	bool pool = s->workers > 0;
	zb_watchdog_arm("slow-reader probe", 90);
	if (pool) {
		zb_sleep_ms(300);       /* the server writes its counters every 200 ms */
		zb_pool_stats_read(s->log, &before);
	}
	if (zb_probe(s->url[tr], res, err, sizeof err) != 0)
		zb_cmp_fail("probe", err);
	if (pool) {
		zb_sleep_ms(500);
		if (zb_pool_stats_read(s->log, &after) == 0) {
			res->have_stats = true;
			res->d = (zb_pool_stats) { after.received - before.received, after.sent - before.sent,
				after.eagain - before.eagain, after.failed - before.failed, after.max_send_us };
			res->max_send_us = after.max_send_us;
		}
	}
	zb_watchdog_disarm();
	fprintf(stderr, "probe %s %-10s sent %d%s, answered %d, lost %d", zb_cmp_tname[tr], s->label,
	    res->sent, res->held_back ? " (then the server held the sender back)" : "", res->answered,
	    res->sent - res->answered);
	if (res->have_stats)
		fprintf(stderr, "; server: received %llu, nng_sendmsg ok %llu, failed %llu, EAGAIN %llu, "
		    "longest %.0f us", (unsigned long long) res->d.received, (unsigned long long) res->d.sent,
		    (unsigned long long) res->d.failed, (unsigned long long) res->d.eagain,
		    res->max_send_us);
	fputc('\n', stderr);
}

static bool
zb_cmp_on(const zb_opts *o, int tr)
{
	return tr == 0 ? o->tcp : o->ipc;
}

static void
zb_cmp_report(const zb_cmp *c)
{
	const zb_opts *o = c->o;
	char machine[512], a[32], b[32];
	zb_machine(machine, sizeof machine);
	printf("\nzsbench --compare-servers: %s; payload %zu B; %.1f s per point after %.1f s warm-up; "
	    "median of %d round%s\n", machine, o->payload, o->seconds, o->warmup, c->rounds_done,
	    c->rounds_done == 1 ? "" : "s");
	for (int tr = 0; tr < 2; tr++) {
		if (!zb_cmp_on(o, tr))
			continue;
		for (int ci = 0; ci < o->n_conc && c->rounds_done > 0; ci++) {
			int bi = zb_best_pool(c, tr, ci), n = o->conc[ci];
			const char *t = zb_cmp_tname[tr];
			zb_cmed x = zb_cmed_of(c, tr, ci, 0), p = zb_cmed_of(c, tr, ci, bi);
			printf("%s c=%-5d throughput contexts %10s calls/s  raw+pool %10s calls/s (N=%d)  "
			    "pool/contexts %.2fx  by N:", t, n, zb_group(a, sizeof a, x.thr),
			    zb_group(b, sizeof b, p.thr), c->srv[bi].workers, x.thr > 0 ? p.thr / x.thr : 0);
			for (int si = 1; si < c->n_srv; si++)
				printf(" %d=%s", c->srv[si].workers,
				    zb_group(a, sizeof a, zb_cmed_of(c, tr, ci, si).thr));
			printf("\n%s c=%-5d p50 latency contexts %10.1f us       raw+pool %10.1f us       "
			    "pool/contexts %.2fx\n", t, n, x.p50, p.p50, x.p50 > 0 ? p.p50 / x.p50 : 0);
			printf("%s c=%-5d p99 latency contexts %10.1f us       raw+pool %10.1f us       "
			    "pool/contexts %.2fx\n", t, n, x.p99, p.p99, x.p99 > 0 ? p.p99 / x.p99 : 0);
			printf("%s c=%-5d CPU per call contexts server %5.1f + client %5.1f us   raw+pool "
			    "server %5.1f + client %5.1f us\n", t, n, x.srv, x.cli, p.srv, p.cli);
			printf("%s c=%-5d stalls      contexts %d/%d rounds (%llu calls failed)   raw+pool",
			    t, n, x.stalls, c->rounds_done, (unsigned long long) x.errors);
			for (int si = 1; si < c->n_srv; si++) {
				zb_cmed m = zb_cmed_of(c, tr, ci, si);
				printf(" N=%d %d/%d (%llu)", c->srv[si].workers, m.stalls, c->rounds_done,
				    (unsigned long long) m.errors);
			}
			printf("\n");
		}
	}
	for (int tr = 0; tr < 2; tr++) {
		if (!zb_cmp_on(o, tr))
			continue;
		for (int si = 0; si <= c->n_srv; si++) {
			const zb_probe_res *r = &c->probe[tr][si];
			printf("%s slow reader  %-10s sent %5d%s answered %5d  lost %5d", zb_cmp_tname[tr],
			    c->srv[si].label, r->sent, r->held_back ? " (held back)" : "            ",
			    r->answered, r->sent - r->answered);
			if (r->have_stats)
				printf("  nng_sendmsg: ok %llu failed %llu EAGAIN %llu, longest of the run %.0f us",
				    (unsigned long long) r->d.sent, (unsigned long long) r->d.failed,
				    (unsigned long long) r->d.eagain, r->max_send_us);
			printf("\n");
		}
	}
	if (c->others_pct >= 0)
		printf("other processes during the load (info)  %.0f%% of one CPU, hypervisor steal %.0f%%\n",
		    c->others_pct, c->steal_pct);

	printf("\n----- README -----\n");
	printf("Measured by `%s` on %s. Echo of %zu B; each point runs %.1f s after %.1f s of warm-up, "
	    "median of %d round%s, servers in a rotating order. Same raw req client and load driver "
	    "for both: contexts = cooked rep0, one nng context per call in flight (largest "
	    "concurrency + 64 armed), answering on nng's callback thread, as zsnode does; "
	    "raw+pool = RAW rep0, one receiver thread in nng_recvmsg, N workers echoing with "
	    "nng_sendmsg (best N of", o->command, machine, o->payload, o->seconds, o->warmup,
	    c->rounds_done, c->rounds_done == 1 ? "" : "s");
	for (int si = 1; si < c->n_srv; si++)
		printf("%s%d", si == 1 ? " " : ", ", c->srv[si].workers);
	printf(" per point). CPU µs/call = server process + client (zsbench) per call. A stalled "
	    "round completed no call, or had calls fail or time out (10 s).\n\n");
	if (c->others_pct >= 0)
		printf("Other processes used %.0f%% of one CPU during the load (hypervisor steal %.0f%%).\n\n",
		    c->others_pct, c->steal_pct);
	printf("| transport | in flight | contexts calls/s | raw+pool calls/s (N) | pool/contexts | "
	    "contexts p50 µs | raw+pool p50 µs | contexts p99 µs | raw+pool p99 µs | "
	    "CPU µs/call contexts srv+cli | CPU µs/call raw+pool srv+cli | stalled rounds contexts / raw+pool |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int tr = 0; tr < 2; tr++) {
		if (!zb_cmp_on(o, tr))
			continue;
		for (int ci = 0; ci < o->n_conc && c->rounds_done > 0; ci++) {
			int bi = zb_best_pool(c, tr, ci);
			zb_cmed x = zb_cmed_of(c, tr, ci, 0), p = zb_cmed_of(c, tr, ci, bi);
			printf("| %s | %d | %s | %s (%d) | %.2f | %.1f | %.1f | %.1f | %.1f | %.1f + %.1f | "
			    "%.1f + %.1f | %d / %d of %d |\n", zb_cmp_tname[tr], o->conc[ci],
			    zb_group(a, sizeof a, x.thr), zb_group(b, sizeof b, p.thr), c->srv[bi].workers,
			    x.thr > 0 ? p.thr / x.thr : 0, x.p50, p.p50, x.p99, p.p99, x.srv, x.cli, p.srv, p.cli,
			    x.stalls, p.stalls, c->rounds_done);
		}
	}
	printf("\nSlow reader: a RAW req client sends up to %d requests of %d B without reading, waits "
	    "%.1f s, then reads.\n\n| transport | server | sent | answered | lost | nng_sendmsg ok / failed / "
	    "EAGAIN |\n|---|---|---:|---:|---:|---|\n", ZB_PROBE_CALLS, ZB_PROBE_PAYLOAD,
	    ZB_PROBE_WAIT_MS / 1000.0);
	for (int tr = 0; tr < 2; tr++) {
		if (!zb_cmp_on(o, tr))
			continue;
		for (int si = 0; si <= c->n_srv; si++) {
			const zb_probe_res *r = &c->probe[tr][si];
			char st[96] = "n/a (contexts)";
			if (r->have_stats)
				snprintf(st, sizeof st, "%llu / %llu / %llu%s", (unsigned long long) r->d.sent,
				    (unsigned long long) r->d.failed, (unsigned long long) r->d.eagain,
				    c->srv[si].nonblock ? " (NONBLOCK first)" : "");
			printf("| %s | %s | %d%s | %d | %d | %s |\n", zb_cmp_tname[tr], c->srv[si].label, r->sent,
			    r->held_back ? " (then held back)" : "", r->answered, r->sent - r->answered, st);
		}
	}
	printf("----- end -----\n");
	printf("command: %s\n", o->command);
	fflush(stdout);
}

int
zb_compare_run(const zb_opts *o)
{
	static zb_cmp c;
	char err[512];
	c.o = o;
	c.others_pct = c.steal_pct = -1;
	int max_conc = 1;
	for (int i = 0; i < o->n_conc; i++)
		if (o->conc[i] > max_conc)
			max_conc = o->conc[i];
	c.n_srv = 1 + o->n_pool;
	uint16_t ports[ZB_CMP_SRV];
	if (zb_free_ports(ports, c.n_srv + 1) != 0)
		zb_cmp_fail("servers", "no free ports");
	zb_watchdog_arm("echo servers start", 60);
	zb_srv_start(&c, 0, 0, false, ports[0], max_conc + 64);
	int most = 1;
	for (int i = 0; i < o->n_pool; i++) {
		zb_srv_start(&c, 1 + i, o->pool_workers[i], false, ports[1 + i], 0);
		if (o->pool_workers[i] > most)
			most = o->pool_workers[i];
	}
	/* Only for the probe: the same pool, trying NNG_FLAG_NONBLOCK first. */
	zb_srv_start(&c, c.n_srv, most, true, ports[c.n_srv], 0);
	for (int si = 0; si <= c.n_srv; si++)
		for (int tr = 0; tr < 2; tr++) {
			if (!zb_cmp_on(o, tr))
				continue;
			zb_srv *s = &c.srv[si];
			if (zb_raw_open(s->url[tr], o->payload, 10000, &s->cli[tr], err, sizeof err) != 0)
				zb_cmp_fail(s->label, err);
			s->cli[tr].server = s->pid;
		}
	zb_watchdog_disarm();
	fprintf(stderr, "zsbench --compare-servers: contexts (%d armed) vs raw+pool, same raw client\n",
	    max_conc + 64);

	int64_t busy0, steal0, busy1, steal1, t0 = zb_now_ns(), ours0 = zb_cpu_ns(getpid());
	for (int si = 0; si <= c.n_srv; si++)
		ours0 += zb_cpu_ns(c.srv[si].pid);
	bool have_machine = zb_machine_ns(&busy0, &steal0) == 0;
	for (int r = 0; r < o->rounds; r++) {
		for (int tr = 0; tr < 2; tr++) {
			if (!zb_cmp_on(o, tr))
				continue;
			for (int ci = 0; ci < o->n_conc; ci++)
				for (int k = 0; k < c.n_srv; k++)
					zb_cmp_point(&c, r, tr, ci, (k + r) % c.n_srv);
		}
		c.rounds_done = r + 1;
	}
	int64_t ours1 = zb_cpu_ns(getpid());
	for (int si = 0; si <= c.n_srv; si++)
		ours1 += zb_cpu_ns(c.srv[si].pid);
	double wall = (double) (zb_now_ns() - t0);
	if (have_machine && zb_machine_ns(&busy1, &steal1) == 0 && wall > 0) {
		double others = (double) ((busy1 - busy0) - (ours1 - ours0));
		c.others_pct = others > 0 ? 100.0 * others / wall : 0;
		c.steal_pct = 100.0 * (double) (steal1 - steal0) / wall;
	}

	for (int tr = 0; tr < 2; tr++)
		if (zb_cmp_on(o, tr))
			for (int si = 0; si <= c.n_srv; si++)
				zb_cmp_probe(&c, tr, si);

	zb_cmp_report(&c);
	zb_watchdog_arm("stopping", 30);
	for (int si = 0; si <= c.n_srv; si++) {
		for (int tr = 0; tr < 2; tr++)
			zb_raw_close(&c.srv[si].cli[tr]);
		zb_proc_stop(c.srv[si].pid, 1000);
	}
	zb_watchdog_disarm();
	return 0;
}
