/*
 * zs_http.c: the facility of zs/http.h. One thread drives a libcurl multi handle
 * (curl_multi_poll; curl_multi_wakeup when a command arrives). Every command not done is
 * on the live list and in a min-heap of deadlines, all under one mutex; whoever removes a
 * command from them under that mutex (the thread on an answer or a deadline, the HTTP
 * server's thread on a callback, zs_http_stop) owns it and finishes it: done runs once.
 *
 * A command moves QUEUED (behind its host's cap) -> READY (has a slot, the thread will
 * start it) -> CURL (its easy handle is in the multi) -> WAITING (async: acknowledged, in
 * the task map until the callback). A callback that comes before the thread saw the
 * acknowledgement marks the command CALLED with its body; the thread finishes it when the
 * easy handle completes. At most HTTP_MAX_TRANSFERS commands are CURL at once.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <curl/curl.h>

#include "zs/call.h"
#include "zs/clock.h"
#include "zs/log.h"
#include "zs_http_impl.h"
#include "zs_http_map.h"

#define HTTP_MAX_REPLY (64u << 20)   /* larger answers are cut and fail */
#define HTTP_POLL_MS 1000
/* Transfers in libcurl's multi at once; more commands wait READY. libcurl walks every
 * transfer on each curl_multi_perform and curl_multi_poll: a round of pings to 10,000
 * hosts posted at once made each wakeup cost 10,000 steps. Answers come in far less time
 * than a deadline, so a few hundred keep the line full. */
#define HTTP_MAX_TRANSFERS 256

const char *const zs_http_error_codes[][2] = {
	{ "HTTP.1001", "the host's agent cannot be reached" },
	{ "HTTP.1002", "the host's agent did not answer before the deadline" },
	{ "HTTP.1003", "the host's agent answered an HTTP error status" },
	{ "HTTP.1004", "the host's agent answered something that is not a JSON object" },
	{ "HTTP.1005", "the host's agent failed the command" },
	{ "HTTP.1006", "the node is stopping: commands to agents are not sent" },
	{ NULL, NULL },
};

enum cmd_state { CMD_QUEUED, CMD_READY, CMD_CURL, CMD_WAITING, CMD_CALLED, CMD_DONE };

typedef struct http_host http_host;
typedef struct http_cmd http_cmd;

/* A doubly linked list of commands (a host's queue, the ready list, the live list). */
typedef struct cmd_list {
	http_cmd *head, *tail;
	size_t len;
} cmd_list;

struct http_cmd {
	zs_http *h;
	http_host *host;
	enum cmd_state state;
	http_cmd *prev, *next;           /* host queue or ready list */
	http_cmd *live_prev, *live_next; /* the live list */
	size_t heap_i;                   /* slot in the deadline heap + 1; 0: not in it */
	int64_t start_ms, deadline_ms;
	char *url;
	const char *path;                /* in url */
	char *body;
	bool async;
	char task[33];
	zs_http_done_fn done;
	void *arg;
	CURL *easy;
	struct curl_slist *headers;
	char *resp;
	size_t resp_len, resp_cap;
	bool resp_cut;
	long http_status;
	char *cb_body;                   /* CMD_CALLED: the callback's body */
	size_t cb_len;
	char errbuf[CURL_ERROR_SIZE];
};

struct http_host {
	char *key;
	size_t inflight;                 /* READY, CURL, WAITING or CALLED */
	cmd_list queue;                  /* QUEUED, in order */
};

struct zs_http {
	pthread_mutex_t mu;
	pthread_t thread;
	bool thread_started, curl_inited, stopping, stopped;
	CURLM *multi;
	char *node_id, *callback_url, *user_agent;
	size_t sync_level;
	zs_http_map hosts;               /* key -> http_host */
	zs_http_map tasks;               /* task uuid -> http_cmd (async, not done) */
	cmd_list ready, live;
	size_t transfers;                /* easy handles in the multi (the thread's own) */
	http_cmd **heap;
	size_t heap_len, heap_cap;
	zs_http_stats stats;
};

/* --- lists and the heap (under h->mu) --- */

static void
list_push(cmd_list *l, http_cmd *c)
{
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->len++;
}

static void
list_remove(cmd_list *l, http_cmd *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
	l->len--;
}

static void
live_push(zs_http *h, http_cmd *c)
{
	c->live_next = NULL;
	c->live_prev = h->live.tail;
	if (h->live.tail != NULL)
		h->live.tail->live_next = c;
	else
		h->live.head = c;
	h->live.tail = c;
	h->live.len++;
}

static void
live_remove(zs_http *h, http_cmd *c)
{
	if (c->live_prev != NULL)
		c->live_prev->live_next = c->live_next;
	else
		h->live.head = c->live_next;
	if (c->live_next != NULL)
		c->live_next->live_prev = c->live_prev;
	else
		h->live.tail = c->live_prev;
	c->live_prev = c->live_next = NULL;
	h->live.len--;
}

static void
heap_set(zs_http *h, size_t i, http_cmd *c)
{
	h->heap[i] = c;
	c->heap_i = i + 1;
}

static void
heap_up(zs_http *h, size_t i)
{
	http_cmd *c = h->heap[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (h->heap[p]->deadline_ms <= c->deadline_ms)
			break;
		heap_set(h, i, h->heap[p]);
		i = p;
	}
	heap_set(h, i, c);
}

static void
heap_down(zs_http *h, size_t i)
{
	http_cmd *c = h->heap[i];
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		int64_t best = c->deadline_ms;
		if (l < h->heap_len && h->heap[l]->deadline_ms < best)
			m = l, best = h->heap[l]->deadline_ms;
		if (l + 1 < h->heap_len && h->heap[l + 1]->deadline_ms < best)
			m = l + 1;
		if (m == i)
			break;
		heap_set(h, i, h->heap[m]);
		i = m;
	}
	heap_set(h, i, c);
}

static int
heap_push(zs_http *h, http_cmd *c)
{
	if (h->heap_len == h->heap_cap) {
		size_t n = h->heap_cap ? h->heap_cap * 2 : 256;
		http_cmd **a = realloc(h->heap, n * sizeof *a);
		if (a == NULL)
			return -1;
		h->heap = a;
		h->heap_cap = n;
	}
	h->heap[h->heap_len++] = c;
	heap_up(h, h->heap_len - 1);
	return 0;
}

static void
heap_remove(zs_http *h, http_cmd *c)
{
	if (c->heap_i == 0)
		return;
	size_t i = c->heap_i - 1;
	c->heap_i = 0;
	http_cmd *last = h->heap[--h->heap_len];
	if (i == h->heap_len)
		return;
	heap_set(h, i, last);
	heap_up(h, i);
	heap_down(h, last->heap_i - 1);
}

/* Takes c out of every structure but its host's slot count: the caller now owns it. */
static void
cmd_take(zs_http *h, http_cmd *c)
{
	if (c->state == CMD_QUEUED)
		list_remove(&c->host->queue, c);
	else if (c->state == CMD_READY)
		list_remove(&h->ready, c);
	if (c->async && c->state != CMD_QUEUED && c->state != CMD_READY)
		zs_http_map_del(&h->tasks, c->task);
	heap_remove(h, c);
	live_remove(h, c);
}

/* --- finishing --- */

static void
cmd_free(http_cmd *c)
{
	curl_slist_free_all(c->headers);
	free(c->url);
	free(c->body);
	free(c->resp);
	free(c->cb_body);
	free(c);
}

/* Gives the host's slot of c (taken, owned) to its next queued command; true when the
 * thread has a command to start. Under h->mu. */
static bool
cmd_release_slot(zs_http *h, http_cmd *c, bool had_slot)
{
	http_host *host = c->host;
	if (!had_slot)
		return false;
	host->inflight--;
	if (host->queue.head == NULL || h->stopping)
		return false;
	http_cmd *next = host->queue.head;
	list_remove(&host->queue, next);
	next->state = CMD_READY;
	host->inflight++;
	list_push(&h->ready, next);
	return true;
}

/* Runs done for c (owned, taken) and frees it: code 0 with reply, or st (taken over). */
static void
cmd_finish(http_cmd *c, int code, zs_status *st, json_t *reply, bool on_thread)
{
	zs_http *h = c->h;
	pthread_mutex_lock(&h->mu);
	bool had_slot = c->state != CMD_QUEUED;
	c->state = CMD_DONE;
	bool wake = cmd_release_slot(h, c, had_slot);
	h->stats.done++;
	if (code != 0)
		h->stats.failed++;
	pthread_mutex_unlock(&h->mu);
	if (wake && !on_thread)
		curl_multi_wakeup(h->multi);
	zs_http_res res = { .code = code, .status = st, .http_status = c->http_status, .reply = reply,
		.task_uuid = c->async ? c->task : NULL,
		.elapsed_ms = zs_sub_sat(zs_clock_ms(), c->start_ms) };
	c->done(&res, c->arg);
	json_decref(reply);
	zs_status_free(st);
	cmd_free(c);
}

/* Finishes c from an answer's bytes (the response or the callback's body). */
static void
cmd_finish_body(http_cmd *c, long http_status, const char *body, size_t len, bool on_thread)
{
	json_t *reply = NULL;
	zs_status *st = NULL;
	int code = zs_http_decode(http_status, body, len, c->host->key, c->path, &reply, &st);
	if (code == 0)
		cmd_finish(c, 0, NULL, reply, on_thread);
	else
		cmd_finish(c, code, st, reply, on_thread);
}

static void
cmd_fail(http_cmd *c, int code, const char *error_code, const char *why, bool on_thread)
{
	zs_status *st = zs_status_new(code, error_code, "host %s: POST %s: %s", c->host->key, c->path, why);
	cmd_finish(c, code, st, NULL, on_thread);
}

static void
cmd_fail_deadline(http_cmd *c, bool on_thread)
{
	char why[160];
	snprintf(why, sizeof why, "%s after %lld ms (HTTP %ld)",
	    c->state == CMD_WAITING ? "no callback from the agent" :
	    c->state == CMD_QUEUED ? "still queued behind the host's other commands" : "no answer",
	    (long long) zs_sub_sat(zs_clock_ms(), c->start_ms), c->http_status);
	cmd_fail(c, ZS_DEADLINE_EXCEEDED, "HTTP.1002", why, on_thread);
}

/* --- the thread --- */

static size_t
cmd_write(char *data, size_t size, size_t n, void *arg)
{
	http_cmd *c = arg;
	size_t len = size * n;
	if (c->resp_len + len > HTTP_MAX_REPLY) {
		c->resp_cut = true;
		return 0;
	}
	if (c->resp_len + len + 1 > c->resp_cap) {
		size_t cap = c->resp_cap ? c->resp_cap : 1024;
		while (cap < c->resp_len + len + 1)
			cap *= 2;
		char *r = realloc(c->resp, cap);
		if (r == NULL)
			return 0;
		c->resp = r;
		c->resp_cap = cap;
	}
	memcpy(c->resp + c->resp_len, data, len);
	c->resp_len += len;
	c->resp[c->resp_len] = '\0';
	return len;
}

/* Makes c's easy handle and adds it to the multi; -1 on no memory. */
static int
cmd_start(zs_http *h, http_cmd *c)
{
	char line[512];
	struct curl_slist *l;
	int64_t left = zs_sub_sat(c->deadline_ms, zs_clock_ms());
	if ((c->easy = curl_easy_init()) == NULL)
		return -1;
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (c->headers != NULL && (l = curl_slist_append(c->headers, "Expect:")) != NULL)
		c->headers = l;
	if (c->async) {
		snprintf(line, sizeof line, "taskuuid: %s", c->task);
		if ((l = curl_slist_append(c->headers, line)) != NULL)
			c->headers = l;
		snprintf(line, sizeof line, "callbackurl: %s", h->callback_url);
		if ((l = curl_slist_append(c->headers, line)) != NULL)
			c->headers = l;
	}
	curl_easy_setopt(c->easy, CURLOPT_URL, c->url);
	curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
	/* no DNS cache: agents are mostly addresses, and libcurl's cache (71 buckets, pruned by
	 * walking it) grew with every host; a reused connection resolves nothing anyway */
	curl_easy_setopt(c->easy, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(c->body));
	curl_easy_setopt(c->easy, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, cmd_write);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long) (left < 1 ? 1 : left > LONG_MAX ? LONG_MAX : left));
	if (curl_multi_add_handle(h->multi, c->easy) != CURLM_OK) {
		curl_easy_cleanup(c->easy);
		c->easy = NULL;
		return -1;
	}
	h->transfers++;
	return 0;
}

static void
cmd_drop_easy(zs_http *h, http_cmd *c)
{
	if (c->easy != NULL) {
		curl_multi_remove_handle(h->multi, c->easy);
		curl_easy_cleanup(c->easy);
		c->easy = NULL;
		h->transfers--;
	}
}

/* The easy handle of c completed with result: finish c, or wait for its callback. */
static void
cmd_completed(zs_http *h, http_cmd *c, CURLcode result)
{
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->http_status);
	cmd_drop_easy(h, c);
	pthread_mutex_lock(&h->mu);
	if (c->state == CMD_DONE) {   /* taken by a deadline while curl finished: not ours */
		pthread_mutex_unlock(&h->mu);
		return;
	}
	bool called = c->state == CMD_CALLED;
	bool wait = !called && c->async && result == CURLE_OK && c->http_status >= 200 &&
	    c->http_status <= 299 && !h->stopping;
	if (wait) {
		c->state = CMD_WAITING;
		pthread_mutex_unlock(&h->mu);
		return;
	}
	cmd_take(h, c);
	pthread_mutex_unlock(&h->mu);
	if (called) {
		cmd_finish_body(c, 200, c->cb_body, c->cb_len, true);
	} else if (result == CURLE_OPERATION_TIMEDOUT) {
		cmd_fail_deadline(c, true);
	} else if (result != CURLE_OK) {
		char why[CURL_ERROR_SIZE + 64];
		snprintf(why, sizeof why, "%s", c->resp_cut ? "the answer is too large" :
		    c->errbuf[0] ? c->errbuf : curl_easy_strerror(result));
		cmd_fail(c, c->resp_cut ? ZS_RESOURCE_EXHAUSTED : ZS_UNAVAILABLE, "HTTP.1001", why, true);
	} else {
		cmd_finish_body(c, c->http_status, c->resp, c->resp_len, true);
	}
}

static void *
http_thread(void *arg)
{
	zs_http *h = arg;
	for (;;) {
		cmd_list start = { 0 }, expired = { 0 };
		int64_t now = zs_clock_ms();
		pthread_mutex_lock(&h->mu);
		if (h->stopping) {
			pthread_mutex_unlock(&h->mu);
			break;
		}
		while (h->heap_len > 0 && h->heap[0]->deadline_ms <= now) {
			http_cmd *c = h->heap[0];
			enum cmd_state was = c->state;
			cmd_take(h, c);
			c->state = was;   /* cmd_fail_deadline names it; cmd_finish ends it */
			list_push(&expired, c);
		}
		for (size_t n = h->transfers; h->ready.head != NULL && n < HTTP_MAX_TRANSFERS; n++) {
			http_cmd *c = h->ready.head;
			list_remove(&h->ready, c);
			c->state = CMD_CURL;
			if (c->async)
				zs_http_map_put(&h->tasks, c->task, c);
			list_push(&start, c);
		}
		int64_t next = h->heap_len > 0 ? h->heap[0]->deadline_ms : INT64_MAX;
		pthread_mutex_unlock(&h->mu);

		while (expired.head != NULL) {
			http_cmd *c = expired.head;
			list_remove(&expired, c);
			cmd_drop_easy(h, c);
			cmd_fail_deadline(c, true);
		}
		while (start.head != NULL) {
			http_cmd *c = start.head;
			list_remove(&start, c);
			if (cmd_start(h, c) != 0) {
				pthread_mutex_lock(&h->mu);
				cmd_take(h, c);
				pthread_mutex_unlock(&h->mu);
				cmd_fail(c, ZS_RESOURCE_EXHAUSTED, "HTTP.1001", "out of memory", true);
			}
		}
		int running = 0;
		curl_multi_perform(h->multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			http_cmd *c = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &c);
			cmd_completed(h, c, m->data.result);
		}
		int64_t wait = HTTP_POLL_MS;
		pthread_mutex_lock(&h->mu);
		if (h->ready.head != NULL && h->transfers < HTTP_MAX_TRANSFERS)
			wait = 0;   /* slots freed by answers just read: start them now */
		pthread_mutex_unlock(&h->mu);
		if (next != INT64_MAX) {
			int64_t d = zs_sub_sat(next, zs_clock_ms());
			wait = d < 0 ? 0 : d < wait ? d : wait;
		}
		curl_multi_poll(h->multi, NULL, 0, (int) wait, NULL);
	}
	return NULL;
}

/* --- the API --- */

int
zs_http_new(zs_http **out, const zs_http_env *env, char *err, size_t errlen)
{
	zs_http *h = calloc(1, sizeof *h);
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&h->mu, NULL);
	h->sync_level = env->sync_level ? env->sync_level : 10;
	h->node_id = strdup(env->node_id ? env->node_id : "");
	h->callback_url = strdup(env->callback_url ? env->callback_url : "");
	if (h->node_id == NULL || h->callback_url == NULL ||
	    asprintf(&h->user_agent, "zsnode/%s (node %s)", ZS_VERSION, h->node_id) < 0)
		h->user_agent = NULL;
	if (h->user_agent != NULL && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		h->curl_inited = true;   /* counted by libcurl: one cleanup per init */
	if (!h->curl_inited || (h->multi = curl_multi_init()) == NULL) {
		snprintf(err, errlen, "cannot set up libcurl");
		zs_http_free(h);
		return -1;
	}
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS,
	    (long) (env->max_connections > 0 ? env->max_connections : 1024));
	if (pthread_create(&h->thread, NULL, http_thread, h) != 0) {
		snprintf(err, errlen, "cannot start the HTTP client thread");
		zs_http_free(h);
		return -1;
	}
	h->thread_started = true;
	*out = h;
	return 0;
}

/* A random task uuid (32 hex digits, as ZStack writes uuids). */
static void
http_task_uuid(char out[33])
{
	unsigned char raw[16];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t) sizeof raw) {
		static const unsigned char none[16];
		memcpy(raw, none, sizeof raw);
		int64_t t = zs_clock_ns();
		memcpy(raw, &t, sizeof t);
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

int
zs_http_post(zs_http *h, const zs_http_req *req, zs_http_done_fn done, void *arg, zs_status **st)
{
	if (req == NULL || req->host == NULL || *req->host == '\0' || req->url == NULL ||
	    done == NULL) {
		if (st != NULL)
			*st = zs_status_new(ZS_INVALID_ARGUMENT, NULL, "an HTTP command needs a host, a url "
			    "and a completion");
		return ZS_INVALID_ARGUMENT;
	}
	const char *path = strstr(req->url, "://");
	path = path != NULL ? strchr(path + 3, '/') : NULL;
	if (path == NULL)
		path = "/";
	int64_t now = zs_clock_ms(), deadline = INT64_MAX;
	if (req->call != NULL)
		deadline = zs_call_deadline_ms(req->call);
	if (req->deadline_ms != 0 && req->deadline_ms < deadline)
		deadline = req->deadline_ms;
	if (req->timeout_ms > 0 && zs_add_sat(now, req->timeout_ms) < deadline)
		deadline = zs_add_sat(now, req->timeout_ms);
	if (deadline <= now) {
		if (st != NULL)
			*st = zs_status_new(ZS_DEADLINE_EXCEEDED, "HTTP.1002", "host %s: POST %s: the "
			    "deadline passed before it was sent", req->host, path);
		return ZS_DEADLINE_EXCEEDED;
	}
	if (req->async && *h->callback_url == '\0') {
		if (st != NULL)
			*st = zs_status_new(ZS_FAILED_PRECONDITION, NULL, "host %s: POST %s: asynchronous "
			    "commands need the node's HTTP server (http.url is off)", req->host, path);
		return ZS_FAILED_PRECONDITION;
	}
	http_cmd *c = calloc(1, sizeof *c);
	if (c != NULL) {
		c->h = h;
		c->start_ms = now;
		c->deadline_ms = deadline;
		c->async = req->async;
		c->done = done;
		c->arg = arg;
		c->url = strdup(req->url);
		c->body = req->json != NULL ? json_dumps(req->json, JSON_COMPACT) :
		    strdup(req->body != NULL ? req->body : "{}");
		c->path = "/";
		if (c->url != NULL && path >= req->url && path < req->url + strlen(req->url))
			c->path = c->url + (path - req->url);
		if (c->async)
			http_task_uuid(c->task);
	}
	if (c == NULL || c->url == NULL || c->body == NULL) {
		if (c != NULL)
			cmd_free(c);
		if (st != NULL)
			*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return ZS_RESOURCE_EXHAUSTED;
	}
	pthread_mutex_lock(&h->mu);
	int rv = 0;
	http_host *host = h->stopping ? NULL : zs_http_map_get(&h->hosts, req->host);
	if (!h->stopping && host == NULL) {
		host = calloc(1, sizeof *host);
		if (host != NULL && (host->key = strdup(req->host)) != NULL &&
		    zs_http_map_put(&h->hosts, req->host, host) == 0) {
			/* kept */
		} else if (host != NULL) {
			free(host->key);
			free(host);
			host = NULL;
			rv = ZS_RESOURCE_EXHAUSTED;
		}
	}
	if (h->stopping)
		rv = ZS_UNAVAILABLE;
	else if (rv == 0 && heap_push(h, c) != 0)
		rv = ZS_RESOURCE_EXHAUSTED;
	bool wake = false;
	if (rv == 0) {
		c->host = host;
		live_push(h, c);
		h->stats.posted++;
		if (host->inflight < h->sync_level) {
			host->inflight++;
			c->state = CMD_READY;
			list_push(&h->ready, c);
			wake = true;
		} else {
			c->state = CMD_QUEUED;
			list_push(&host->queue, c);
		}
	}
	pthread_mutex_unlock(&h->mu);
	if (rv != 0) {
		if (st != NULL)
			*st = rv == ZS_UNAVAILABLE ?
			    zs_status_new(rv, "HTTP.1006", "host %s: POST %s: the node is stopping", req->host, path) :
			    zs_status_new(rv, NULL, "out of memory");
		cmd_free(c);
		return rv;
	}
	if (wake)
		curl_multi_wakeup(h->multi);
	return 0;
}

int
zs_http_callback(zs_http *h, const char *task_uuid, const char *body, size_t len)
{
	if (task_uuid == NULL || *task_uuid == '\0')
		return 400;
	pthread_mutex_lock(&h->mu);
	h->stats.callbacks++;
	http_cmd *c = h->stopping ? NULL : zs_http_map_get(&h->tasks, task_uuid);
	if (c == NULL || (c->state != CMD_CURL && c->state != CMD_WAITING)) {
		h->stats.unknown_callbacks++;
		pthread_mutex_unlock(&h->mu);
		return 404;
	}
	if (c->state == CMD_CURL) {
		/* the acknowledgement is still in the thread's hands: it finishes the command */
		char *copy = malloc(len + 1);
		if (copy == NULL) {
			pthread_mutex_unlock(&h->mu);
			return 503;
		}
		if (len > 0)
			memcpy(copy, body, len);
		copy[len] = '\0';
		c->cb_body = copy;
		c->cb_len = len;
		c->state = CMD_CALLED;
		zs_http_map_del(&h->tasks, c->task);
		heap_remove(h, c);
		pthread_mutex_unlock(&h->mu);
		return 200;
	}
	cmd_take(h, c);
	pthread_mutex_unlock(&h->mu);
	cmd_finish_body(c, 200, body, len, false);
	return 200;
}

void
zs_http_host_load(zs_http *h, const char *host, size_t *inflight, size_t *queued)
{
	pthread_mutex_lock(&h->mu);
	http_host *hh = zs_http_map_get(&h->hosts, host);
	if (inflight != NULL)
		*inflight = hh != NULL ? hh->inflight : 0;
	if (queued != NULL)
		*queued = hh != NULL ? hh->queue.len : 0;
	pthread_mutex_unlock(&h->mu);
}

void
zs_http_get_stats(zs_http *h, zs_http_stats *out)
{
	pthread_mutex_lock(&h->mu);
	*out = h->stats;
	out->inflight_now = h->live.len;
	out->queued_now = 0;
	for (http_cmd *c = h->live.head; c != NULL; c = c->live_next)
		out->queued_now += c->state == CMD_QUEUED;
	pthread_mutex_unlock(&h->mu);
}

void
zs_http_stop(zs_http *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	bool first = !h->stopping;
	h->stopping = true;
	pthread_mutex_unlock(&h->mu);
	if (!first)
		return;
	if (h->thread_started) {
		curl_multi_wakeup(h->multi);
		pthread_join(h->thread, NULL);
		h->thread_started = false;
	}
	/* the thread is gone: every command left is failed here, easy handles included */
	for (;;) {
		pthread_mutex_lock(&h->mu);
		http_cmd *c = h->live.head;
		if (c != NULL)
			cmd_take(h, c);
		pthread_mutex_unlock(&h->mu);
		if (c == NULL)
			break;
		if (c->state == CMD_CALLED) {
			cmd_drop_easy(h, c);
			cmd_finish_body(c, 200, c->cb_body, c->cb_len, true);
			continue;
		}
		cmd_drop_easy(h, c);
		cmd_fail(c, ZS_UNAVAILABLE, "HTTP.1006", "the node is stopping", true);
	}
	h->stopped = true;
}

static void
http_host_free(void *val, void *arg)
{
	(void) arg;
	http_host *host = val;
	free(host->key);
	free(host);
}

void
zs_http_free(zs_http *h)
{
	if (h == NULL)
		return;
	zs_http_stop(h);
	zs_http_map_each(&h->hosts, http_host_free, NULL);
	zs_http_map_clear(&h->hosts);
	zs_http_map_clear(&h->tasks);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	if (h->curl_inited)
		curl_global_cleanup();
	free(h->heap);
	free(h->node_id);
	free(h->callback_url);
	free(h->user_agent);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
