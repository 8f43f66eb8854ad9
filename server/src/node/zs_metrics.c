/* zs_metrics.c: the node's HTTP server (nng's): Prometheus metrics, a liveness check, and
 * the agents' asynchronous answers (POST /asyncrest/callback, handed to zs/http.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "zs/clock.h"
#include "zs_events.h"
#include "zs_http_impl.h"
#include "zs_metrics.h"
#include "zs_node_impl.h"
#include "zs_router.h"
#include "zs_timerq.h"
#include "zs_work.h"

struct zs_metrics {
	nng_http_server *server;
	zs_node *node;
};

/* Resident set size in bytes, from /proc/self/statm. */
static long
metrics_rss(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * 4096;
}

char *
zs_metrics_text(zs_node *node)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (out == NULL)
		return NULL;
	fprintf(out, "# HELP zs_rpc_calls_total Calls answered, by method and canonical code.\n"
	    "# TYPE zs_rpc_calls_total counter\n");
	size_t n = zs_router_len(zs_rpc_router(node->rpc));
	for (size_t i = 0; i < n; i++) {
		const zs_route *rt = zs_router_at(zs_rpc_router(node->rpc), i);
		for (int c = 0; c < 17; c++) {
			uint64_t v = atomic_load(&rt->stats.by_code[c]);
			if (v != 0 || c == 0)
				fprintf(out, "zs_rpc_calls_total{method=\"%s\",code=\"%s\"} %llu\n",
				    rt->full_name, zs_status_code_name(c), (unsigned long long) v);
		}
	}
	fprintf(out, "# HELP zs_rpc_call_seconds Time from arrival to answer.\n"
	    "# TYPE zs_rpc_call_seconds histogram\n");
	for (size_t i = 0; i < n; i++) {
		const zs_route *rt = zs_router_at(zs_rpc_router(node->rpc), i);
		uint64_t cum = 0;
		for (size_t b = 0; b < ZS_ROUTE_BUCKETS; b++) {
			cum += atomic_load(&rt->stats.buckets[b]);
			double le = zs_route_bucket_le(b);
			if (le < 0)
				fprintf(out, "zs_rpc_call_seconds_bucket{method=\"%s\",le=\"+Inf\"} %llu\n",
				    rt->full_name, (unsigned long long) cum);
			else
				fprintf(out, "zs_rpc_call_seconds_bucket{method=\"%s\",le=\"%g\"} %llu\n",
				    rt->full_name, le, (unsigned long long) cum);
		}
		fprintf(out, "zs_rpc_call_seconds_sum{method=\"%s\"} %.9f\n", rt->full_name,
		    (double) atomic_load(&rt->stats.sum_ns) / 1e9);
		fprintf(out, "zs_rpc_call_seconds_count{method=\"%s\"} %llu\n", rt->full_name,
		    (unsigned long long) cum);
	}
	fprintf(out, "# HELP zs_rpc_inflight Calls accepted and not yet answered.\n"
	    "# TYPE zs_rpc_inflight gauge\nzs_rpc_inflight %lld\n",
	    (long long) zs_rpc_inflight(node->rpc));
	fprintf(out, "# HELP zs_rpc_dedupe_entries Request ids remembered for dedupe.\n"
	    "# TYPE zs_rpc_dedupe_entries gauge\nzs_rpc_dedupe_entries %zu\n",
	    zs_rpc_dedupe_len(node->rpc));
	size_t dd_bytes;
	uint64_t dd_early;
	zs_rpc_dedupe_usage(node->rpc, &dd_bytes, &dd_early);
	fprintf(out, "# HELP zs_rpc_dedupe_answer_bytes Bytes of answers kept for resent request ids.\n"
	    "# TYPE zs_rpc_dedupe_answer_bytes gauge\nzs_rpc_dedupe_answer_bytes %zu\n", dd_bytes);
	fprintf(out, "# HELP zs_rpc_dedupe_early_total Answered request ids forgotten before "
	    "rpc.dedupe_window ended (over rpc.dedupe_max).\n"
	    "# TYPE zs_rpc_dedupe_early_total counter\nzs_rpc_dedupe_early_total %llu\n",
	    (unsigned long long) dd_early);
	fprintf(out, "# HELP zs_work_queued Handlers waiting for a worker thread.\n"
	    "# TYPE zs_work_queued gauge\nzs_work_queued %zu\n",
	    node->work != NULL ? zs_work_pending(node->work) : 0);
	fprintf(out, "# HELP zs_events_published_total Events published.\n"
	    "# TYPE zs_events_published_total counter\nzs_events_published_total %llu\n",
	    (unsigned long long) zs_events_published(node->events));
	if (node->http != NULL) {
		zs_http_stats hs;
		zs_http_get_stats(node->http, &hs);
		fprintf(out, "# HELP zs_http_commands_total Commands posted to host agents.\n"
		    "# TYPE zs_http_commands_total counter\nzs_http_commands_total %llu\n"
		    "# HELP zs_http_failed_total Commands to host agents that failed.\n"
		    "# TYPE zs_http_failed_total counter\nzs_http_failed_total %llu\n"
		    "# HELP zs_http_callbacks_total Asynchronous answers received (unknown ones too).\n"
		    "# TYPE zs_http_callbacks_total counter\nzs_http_callbacks_total %llu\n"
		    "# HELP zs_http_unknown_callbacks_total Answers for no waiting command (404).\n"
		    "# TYPE zs_http_unknown_callbacks_total counter\nzs_http_unknown_callbacks_total %llu\n"
		    "# HELP zs_http_inflight Commands to host agents not done (queued ones too).\n"
		    "# TYPE zs_http_inflight gauge\nzs_http_inflight %llu\n",
		    (unsigned long long) hs.posted, (unsigned long long) hs.failed,
		    (unsigned long long) hs.callbacks, (unsigned long long) hs.unknown_callbacks,
		    (unsigned long long) hs.inflight_now);
	}
	fprintf(out, "# HELP zs_node_serving 1 while the node accepts calls.\n"
	    "# TYPE zs_node_serving gauge\nzs_node_serving %d\n", zs_node_serving(node) ? 1 : 0);
	fprintf(out, "# HELP zs_db_up 0 while the embedded PostgreSQL is down and being restarted.\n"
	    "# TYPE zs_db_up gauge\nzs_db_up %d\n", zs_node_db_up(node) ? 1 : 0);
	fprintf(out, "# HELP zs_db_restarts_total Restarts of the embedded PostgreSQL after it died.\n"
	    "# TYPE zs_db_restarts_total counter\nzs_db_restarts_total %llu\n",
	    (unsigned long long) zs_pg_watch_restarts(node->pg_watch));
	fprintf(out, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
	    "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %ld\n",
	    metrics_rss());
	fprintf(out, "# HELP zs_node_uptime_seconds Seconds since the node started.\n"
	    "# TYPE zs_node_uptime_seconds gauge\nzs_node_uptime_seconds %.3f\n",
	    (double) (zs_clock_ms() - node->started_ms) / 1000.0);
	fclose(out);
	return text;
}

/* Answers with a text body; takes over text. */
static void
metrics_reply(nng_aio *aio, uint16_t status, const char *type, char *text)
{
	nng_http_res *res;
	if (text == NULL || nng_http_res_alloc(&res) != 0) {
		free(text);
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	nng_http_res_set_status(res, status);
	nng_http_res_set_header(res, "Content-Type", type);
	nng_http_res_copy_data(res, text, strlen(text));
	free(text);
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static void
metrics_serve(nng_aio *aio)
{
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	zs_metrics *m = nng_http_handler_get_data(h);
	metrics_reply(aio, 200, "text/plain; version=0.0.4; charset=utf-8", zs_metrics_text(m->node));
}

static void
metrics_healthz(nng_aio *aio)
{
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	zs_metrics *m = nng_http_handler_get_data(h);
	bool serving = zs_node_serving(m->node), db = zs_node_db_up(m->node);
	metrics_reply(aio, serving && db ? 200 : 503, "text/plain; charset=utf-8",
	    strdup(!serving ? "NOT_SERVING\n" : !db ? "NOT_SERVING: the database is down\n" :
	    "SERVING\n"));
}

/* An agent's answer to an asynchronous command: header taskuuid, the result as body. */
static void
metrics_callback(nng_aio *aio)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	zs_metrics *m = nng_http_handler_get_data(h);
	void *body = NULL;
	size_t len = 0;
	nng_http_req_get_data(req, &body, &len);
	const char *task = nng_http_req_get_header(req, "taskuuid");
	int status = m->node->http != NULL ? zs_http_callback(m->node->http, task, body, len) : 503;
	metrics_reply(aio, (uint16_t) status, "application/json",
	    strdup(status == 200 ? "{\"success\":true}\n" : status == 404 ?
	    "{\"success\":false,\"error\":\"no command waits for this task uuid\"}\n" :
	    status == 400 ? "{\"success\":false,\"error\":\"the taskuuid header is missing\"}\n" :
	    "{\"success\":false,\"error\":\"unavailable\"}\n"));
}

static int
metrics_handle(zs_metrics *m, const char *path, void (*fn)(nng_aio *), const char *method)
{
	nng_http_handler *h;
	int rv = nng_http_handler_alloc(&h, path, fn);
	if (rv != 0)
		return rv;
	if ((rv = nng_http_handler_set_data(h, m, NULL)) != 0 ||
	    (method != NULL && (rv = nng_http_handler_set_method(h, method)) != 0) ||
	    (rv = nng_http_server_add_handler(m->server, h)) != 0)
		nng_http_handler_free(h);
	return rv;
}

int
zs_metrics_new(zs_metrics **out, zs_node *node, const char *url, char *err, size_t errlen)
{
	zs_metrics *m = calloc(1, sizeof *m);
	nng_url *u = NULL;
	if (m == NULL)
		return -1;
	m->node = node;
	int rv = nng_url_parse(&u, url);
	if (rv == 0)
		rv = nng_http_server_hold(&m->server, u);
	if (rv == 0 && ((rv = metrics_handle(m, "/metrics", metrics_serve, NULL)) != 0 ||
	    (rv = metrics_handle(m, "/healthz", metrics_healthz, NULL)) != 0 ||
	    (rv = metrics_handle(m, "/asyncrest/callback", metrics_callback, "POST")) != 0 ||
	    (rv = nng_http_server_start(m->server)) != 0)) {
		nng_http_server_release(m->server);
	}
	if (u != NULL)
		nng_url_free(u);
	if (rv != 0) {
		snprintf(err, errlen, "cannot serve metrics on %s: %s", url, nng_strerror(rv));
		free(m);
		return -1;
	}
	*out = m;
	return 0;
}

void
zs_metrics_free(zs_metrics *m)
{
	if (m == NULL)
		return;
	nng_http_server_stop(m->server);
	nng_http_server_release(m->server);
	free(m);
}
