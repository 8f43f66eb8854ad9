/*
 * zs_http.c: the facility of zs/http.h. One thread drives libcurl multi handles through
 * their socket interface (curl_multi_socket_action on the sockets epoll reports ready, and
 * on libcurl's timers), so a wakeup costs the sockets that moved, not every transfer; an
 * eventfd wakes it when a command arrives. Easy handles are kept in a pool and reused, and
 * a command is one allocation (its url and body inside; its header lines point into it).
 *
 * The hosts are dealt to HTTP_SHARDS multi handles (shards), each with its own connection
 * cache: libcurl 7.x walks the whole cache of a multi on every curl_multi_remove_handle
 * (to close a connect-only connection), so one cache holding a connection to each of
 * 10,000 hosts made every command cost a walk of 10,000 connections. A host whose key
 * starts with two hex digits (a uuid) goes by them, so hosts taken in uuid order (the ping
 * tracker's) come shard by shard; libcurl also polls every idle connection of a cache
 * once a second while it is used, which then happens about once a round, not each second.
 *
 * Agents' answers come to the facility's own receiver (zs_http_srv.c) on the same epoll
 * and thread, when the node gives it an address, or through zs_http_callback from the
 * node's HTTP server.
 *
 * Every command not done is
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
#include <errno.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>
#include <curl/curl.h>

#include "zs/call.h"
#include "zs/clock.h"
#include "zs/log.h"
#include "zs_http_impl.h"
#include "zs_http_map.h"
#include "zs_http_srv.h"

#define HTTP_MAX_REPLY (64u << 20)   /* larger answers are cut and fail */
#define HTTP_POLL_MS 1000
/* Transfers in libcurl's multi at once; more commands wait READY. Answers come in far
 * less time than a deadline, so a few hundred keep the line full. */
#define HTTP_MAX_TRANSFERS 256
#define HTTP_EVENTS 128
/* Multi handles at most; a few tens of hosts each at 10,000 hosts. */
#define HTTP_SHARDS 128
/* epoll data: the eventfd's; a curl socket's is HTTP_CURL_TAG | shard << 32 | fd; any
 * other is a pointer of the receiver's */
#define HTTP_WAKE_TAG 1u
#define HTTP_CURL_TAG (1ull << 63)

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

/* One multi handle and its timer (the thread's). */
typedef struct http_shard {
	zs_http *h;
	uint32_t id;
	CURLM *multi;
	int64_t curl_due;                /* libcurl's timer (zs_clock_ms), INT64_MAX: none */
} http_shard;

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
	char *url;                       /* in the command's own allocation */
	const char *path;                /* in url */
	char *body;                      /* in the allocation, or json_dumps's (body_owned) */
	size_t body_len;
	bool body_owned;
	bool async;
	char task[33];
	char task_line[48];              /* "taskuuid: ..." */
	zs_http_done_fn done;
	void *arg;
	CURL *easy;                      /* from the pool while CURL */
	http_shard *shard;               /* whose multi easy is in */
	struct curl_slist headers[4];    /* lines of the command or the facility: no allocation */
	char *resp;
	size_t resp_len, resp_cap;
	bool resp_cut;
	long http_status;
	char *cb_body;                   /* CMD_CALLED: the callback's body */
	size_t cb_len;
	char errbuf[CURL_ERROR_SIZE];
	char text[];                     /* url, then body */
};

struct http_host {
	char *key;
	uint32_t shard;                  /* index in h->shards */
	size_t inflight;                 /* READY, CURL, WAITING or CALLED */
	cmd_list queue;                  /* QUEUED, in order */
};

struct zs_http {
	pthread_mutex_t mu;
	pthread_t thread;
	bool thread_started, curl_inited, stopping, stopped;
	bool sleeping;                   /* the thread waits in epoll: a post writes wake_fd */
	http_shard *shards[HTTP_SHARDS]; /* made by the thread when a host of theirs needs one */
	uint32_t next_shard;             /* the next new host's */
	int64_t curl_min;                /* no shard's timer is due before this */
	long shard_max_conns;            /* CURLMOPT_MAXCONNECTS of each */
	int ep, wake_fd;                 /* the thread's epoll and eventfd */
	zs_http_srv *srv;                /* the receiver of answers, or NULL */
	CURL **pool;                     /* idle easy handles (the thread's) */
	size_t pool_len;
	uint64_t task_key[2];            /* task uuids: a keyed mix of a counter */
	atomic_uint_fast64_t task_seq;
	char *node_id, *callback_url, *callback_line, *user_agent;
	size_t sync_level;
	zs_http_map hosts;               /* key -> http_host */
	zs_http_map tasks;               /* task uuid -> http_cmd (async, not done) */
	cmd_list ready, live;
	size_t transfers;                /* easy handles in multis (the thread's own) */
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

/* Wakes the thread from epoll_wait (the caller saw h->sleeping and cleared it). */
static void
http_wake(zs_http *h)
{
	uint64_t one = 1;
	ssize_t n = write(h->wake_fd, &one, sizeof one);
	(void) n;   /* a full counter wakes it as well */
}

static void
cmd_free(http_cmd *c)
{
	if (c->body_owned)
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
	wake = wake && !on_thread && h->sleeping;
	if (wake)
		h->sleeping = false;
	pthread_mutex_unlock(&h->mu);
	if (wake)
		http_wake(h);
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

/* An easy handle from the pool, or a new one with the options every command shares. */
static CURL *
easy_get(zs_http *h)
{
	if (h->pool_len > 0)
		return h->pool[--h->pool_len];
	CURL *e = curl_easy_init();
	if (e == NULL)
		return NULL;
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* no DNS cache: agents are mostly addresses, and libcurl's cache (71 buckets, pruned by
	 * walking it) grew with every host; a reused connection resolves nothing anyway */
	curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, cmd_write);
	return e;
}

/* Back to the pool (at most HTTP_MAX_TRANSFERS kept), or freed. */
static void
easy_put(zs_http *h, CURL *e)
{
	if (h->pool_len < HTTP_MAX_TRANSFERS)
		h->pool[h->pool_len++] = e;
	else
		curl_easy_cleanup(e);
}

static int http_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp);
static int http_timer_cb(CURLM *multi, long timeout_ms, void *userp);

/* Shard i, made now if it is not yet; NULL on no memory. */
static http_shard *
shard_get(zs_http *h, uint32_t i)
{
	if (h->shards[i] != NULL)
		return h->shards[i];
	http_shard *sh = calloc(1, sizeof *sh);
	if (sh == NULL || (sh->multi = curl_multi_init()) == NULL) {
		free(sh);
		return NULL;
	}
	sh->h = h;
	sh->id = i;
	sh->curl_due = INT64_MAX;
	curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS, h->shard_max_conns);
	curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
	curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
	curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);
	curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
	h->shards[i] = sh;
	return sh;
}

/* Makes c's easy handle ready and adds it to its host's multi; -1 on no memory. */
static int
cmd_start(zs_http *h, http_cmd *c)
{
	int64_t left = zs_sub_sat(c->deadline_ms, zs_clock_ms());
	if ((c->shard = shard_get(h, c->host->shard)) == NULL || (c->easy = easy_get(h)) == NULL)
		return -1;
	/* the header lines live in c and in h: libcurl only reads them */
	size_t n = 0;
	c->headers[n++].data = (char *) "Content-Type: application/json";
	c->headers[n++].data = (char *) "Expect:";
	if (c->async) {
		snprintf(c->task_line, sizeof c->task_line, "taskuuid: %s", c->task);
		c->headers[n++].data = c->task_line;
		c->headers[n++].data = h->callback_line;
	}
	for (size_t i = 0; i < n; i++)
		c->headers[i].next = i + 1 < n ? &c->headers[i + 1] : NULL;
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->easy, CURLOPT_URL, c->url);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) c->body_len);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long) (left < 1 ? 1 : left > LONG_MAX ? LONG_MAX : left));
	if (curl_multi_add_handle(c->shard->multi, c->easy) != CURLM_OK) {
		easy_put(h, c->easy);
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
		curl_multi_remove_handle(c->shard->multi, c->easy);
		/* nothing of c stays in the handle: the next command sets its own */
		curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, NULL);
		curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, NULL);
		curl_easy_setopt(c->easy, CURLOPT_PRIVATE, NULL);
		easy_put(h, c->easy);
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

/* libcurl's socket callback: watch s in the thread's epoll for what libcurl wants. */
static int
http_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void) easy;
	http_shard *sh = userp;
	zs_http *h = sh->h;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(h->ep, EPOLL_CTL_DEL, s, NULL);   /* may be closed already: no matter */
		return 0;
	}
	struct epoll_event ev = { .events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) |
	    ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u),
	    .data.u64 = HTTP_CURL_TAG | (uint64_t) sh->id << 32 | (uint32_t) s };
	/* socketp is set (curl_multi_assign) while s is in the epoll: one call a change */
	if (socketp != NULL) {
		if (epoll_ctl(h->ep, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT)
			epoll_ctl(h->ep, EPOLL_CTL_ADD, s, &ev);
	} else {
		if (epoll_ctl(h->ep, EPOLL_CTL_ADD, s, &ev) != 0 && errno == EEXIST)
			epoll_ctl(h->ep, EPOLL_CTL_MOD, s, &ev);
		curl_multi_assign(sh->multi, s, sh);
	}
	return 0;
}

/* libcurl's timer callback: when to call curl_multi_socket_action on its timeout. */
static int
http_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	(void) multi;
	http_shard *sh = userp;
	sh->curl_due = timeout_ms < 0 ? INT64_MAX : zs_add_sat(zs_clock_ms(), timeout_ms);
	if (sh->curl_due < sh->h->curl_min)
		sh->h->curl_min = sh->curl_due;
	return 0;
}

/* Finishes the transfers libcurl says are done in sh. */
static void
http_read_done(zs_http *h, http_shard *sh)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(sh->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		http_cmd *c = NULL;
		CURLcode result = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &c);
		cmd_completed(h, c, result);
	}
}

/* Runs libcurl's timeouts that are due, and finishes what they ended; the next due. */
static int64_t
http_curl_timeout(zs_http *h)
{
	int running;
	int64_t now = zs_clock_ms(), next = INT64_MAX;
	if (h->curl_min > now)
		return h->curl_min;   /* none due: no walk over the shards */
	for (uint32_t i = 0; i < HTTP_SHARDS; i++) {
		http_shard *sh = h->shards[i];
		if (sh == NULL)
			continue;
		if (sh->curl_due <= now) {
			sh->curl_due = INT64_MAX;
			curl_multi_socket_action(sh->multi, CURL_SOCKET_TIMEOUT, 0, &running);
			http_read_done(h, sh);
		}
		if (sh->curl_due < next)
			next = sh->curl_due;
	}
	/* timers set while walking lowered curl_min; the walk saw them too */
	h->curl_min = next;
	return next;
}

static void *
http_thread(void *arg)
{
	zs_http *h = arg;
	struct epoll_event evs[HTTP_EVENTS];
	for (;;) {
		cmd_list start = { 0 }, expired = { 0 };
		int64_t now = zs_clock_ms();
		pthread_mutex_lock(&h->mu);
		h->sleeping = false;
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
		int64_t curl_next = http_curl_timeout(h);   /* new transfers set theirs to now */

		int64_t wait = HTTP_POLL_MS;
		pthread_mutex_lock(&h->mu);
		if (h->ready.head != NULL && h->transfers < HTTP_MAX_TRANSFERS)
			wait = 0;   /* slots freed by answers just read: start them now */
		int64_t next = h->heap_len > 0 ? h->heap[0]->deadline_ms : INT64_MAX;
		if (curl_next < next)
			next = curl_next;
		if (next != INT64_MAX) {
			int64_t d = zs_sub_sat(next, zs_clock_ms());
			wait = d < 0 ? 0 : d < wait ? d : wait;
		}
		h->sleeping = wait > 0;
		pthread_mutex_unlock(&h->mu);
		int n = epoll_wait(h->ep, evs, HTTP_EVENTS, (int) wait);
		if (wait > 0) {
			pthread_mutex_lock(&h->mu);
			h->sleeping = false;   /* awake: posts need not wake it */
			pthread_mutex_unlock(&h->mu);
		}
		for (int i = 0; i < n; i++) {
			if (!(evs[i].data.u64 & HTTP_CURL_TAG) && evs[i].data.u64 != HTTP_WAKE_TAG) {
				zs_http_srv_event(h->srv, evs[i].data.u64, evs[i].events);
				continue;
			}
			if (evs[i].data.u64 == HTTP_WAKE_TAG) {
				uint64_t v;
				ssize_t r = read(h->wake_fd, &v, sizeof v);
				(void) r;
				continue;
			}
			int flags = ((evs[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
			    ((evs[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
			    ((evs[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
			int running;
			http_shard *sh = h->shards[(evs[i].data.u64 & ~HTTP_CURL_TAG) >> 32];
			curl_multi_socket_action(sh->multi, (curl_socket_t) (uint32_t) evs[i].data.u64, flags,
			    &running);
			http_read_done(h, sh);
		}
		http_curl_timeout(h);
	}
	return NULL;
}

/* --- the API --- */

static int
http_hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The shard of a new host: by the first two hex digits of its key (uuids: in key order),
 * else the next in turn. Under h->mu. */
static uint32_t
http_shard_of(zs_http *h, const char *key)
{
	int a = http_hex(key[0]), b = a >= 0 ? http_hex(key[1]) : -1;
	if (a >= 0 && b >= 0)
		return (uint32_t) ((a * 16 + b) * HTTP_SHARDS / 256);
	return h->next_shard++ % HTTP_SHARDS;
}

static int http_srv_answer(void *arg, const zs_http_reqmsg *m, const char **reply);

int
zs_http_new(zs_http **out, const zs_http_env *env, char *err, size_t errlen)
{
	zs_http *h = calloc(1, sizeof *h);
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&h->mu, NULL);
	h->ep = h->wake_fd = -1;
	h->curl_min = INT64_MAX;
	h->sync_level = env->sync_level ? env->sync_level : 10;
	h->node_id = strdup(env->node_id ? env->node_id : "");
	h->pool = calloc(HTTP_MAX_TRANSFERS, sizeof *h->pool);
	if ((h->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    epoll_ctl(h->ep, EPOLL_CTL_ADD, h->wake_fd,
	        &(struct epoll_event) { .events = EPOLLIN, .data.u64 = HTTP_WAKE_TAG }) != 0) {
		snprintf(err, errlen, "cannot make the HTTP client's epoll");
		zs_http_free(h);
		return -1;
	}
	if (env->listen_addr != NULL && zs_http_srv_new(&h->srv, h->ep, env->listen_addr,
	    env->listen_port, http_srv_answer, h, err, errlen) != 0) {
		zs_http_free(h);
		return -1;
	}
	if (env->callback_url != NULL && *env->callback_url != '\0')
		h->callback_url = strdup(env->callback_url);
	else if (h->srv != NULL) {
		if (asprintf(&h->callback_url, "http://%s:%d/asyncrest/callback", env->listen_addr,
		    zs_http_srv_port(h->srv)) < 0)
			h->callback_url = NULL;
	} else
		h->callback_url = strdup("");
	if (h->node_id == NULL || h->callback_url == NULL || h->pool == NULL ||
	    asprintf(&h->callback_line, "callbackurl: %s", h->callback_url) < 0 ||
	    asprintf(&h->user_agent, "zsnode/%s (node %s)", ZS_VERSION, h->node_id) < 0)
		h->user_agent = NULL;
	if (getrandom(h->task_key, sizeof h->task_key, 0) != (ssize_t) sizeof h->task_key) {
		h->task_key[0] = (uint64_t) zs_clock_ns();
		h->task_key[1] = (uint64_t) (uintptr_t) h ^ 0x9e3779b97f4a7c15ULL;
	}
	if (h->user_agent != NULL && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		h->curl_inited = true;   /* counted by libcurl: one cleanup per init */
	size_t conns = env->max_connections > 0 ? env->max_connections : 1024;
	/* a share of the connections each, with room for uneven shares */
	h->shard_max_conns = (long) (conns / HTTP_SHARDS + conns / (4 * HTTP_SHARDS) + 4);
	if (!h->curl_inited) {
		snprintf(err, errlen, "cannot set up libcurl");
		zs_http_free(h);
		return -1;
	}
	if (pthread_create(&h->thread, NULL, http_thread, h) != 0) {
		snprintf(err, errlen, "cannot start the HTTP client thread");
		zs_http_free(h);
		return -1;
	}
	h->thread_started = true;
	*out = h;
	return 0;
}

/* splitmix64's finalizer: a bijection that scatters the bits of x. */
static uint64_t
http_mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A task uuid (32 hex digits, as ZStack writes uuids): the next of the facility's counter
 * mixed with its random key (read once at start), so no two of a node's commands share one
 * and other nodes' are not guessable from ours; no system call a command. */
static void
http_task_uuid(zs_http *h, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t n = atomic_fetch_add(&h->task_seq, 1);
	uint64_t w[2] = { http_mix(n ^ h->task_key[0]), http_mix(http_mix(n + h->task_key[1]) ^ h->task_key[0]) };
	for (size_t i = 0; i < 32; i++)
		out[i] = hex[(w[i / 16] >> (4 * (i % 16))) & 15];
	out[32] = '\0';
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
	const char *slash = strstr(req->url, "://");
	slash = slash != NULL ? strchr(slash + 3, '/') : NULL;
	const char *path = slash != NULL ? slash : "/";
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
	/* one allocation: the command, its url and (unless made by json_dumps) its body */
	size_t url_len = strlen(req->url);
	char *dumped = req->json != NULL ? json_dumps(req->json, JSON_COMPACT) : NULL;
	const char *body = req->json != NULL ? dumped : req->body != NULL ? req->body : "{}";
	size_t body_len = body != NULL ? strlen(body) : 0;
	http_cmd *c = body == NULL ? NULL :
	    malloc(sizeof *c + url_len + 1 + (dumped != NULL ? 0 : body_len + 1));
	if (c == NULL) {
		free(dumped);
		if (st != NULL)
			*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return ZS_RESOURCE_EXHAUSTED;
	}
	memset(c, 0, sizeof *c);
	c->h = h;
	c->start_ms = now;
	c->deadline_ms = deadline;
	c->async = req->async;
	c->done = done;
	c->arg = arg;
	c->url = c->text;
	memcpy(c->url, req->url, url_len + 1);
	c->path = slash != NULL ? c->url + (slash - req->url) : "/";
	if (dumped != NULL) {
		c->body = dumped;
		c->body_owned = true;
	} else {
		c->body = c->text + url_len + 1;
		memcpy(c->body, body, body_len + 1);
	}
	c->body_len = body_len;
	if (c->async)
		http_task_uuid(h, c->task);
	pthread_mutex_lock(&h->mu);
	int rv = 0;
	http_host *host = h->stopping ? NULL : zs_http_map_get(&h->hosts, req->host);
	if (!h->stopping && host == NULL) {
		host = calloc(1, sizeof *host);
		if (host != NULL)
			host->shard = http_shard_of(h, req->host);
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
	wake = wake && h->sleeping;
	if (wake)
		h->sleeping = false;
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
		http_wake(h);
	return 0;
}

/* An answer for task_uuid: the HTTP status to answer (see zs_http_callback). */
static int
http_callback(zs_http *h, const char *task_uuid, const char *body, size_t len, bool on_thread)
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
	cmd_finish_body(c, 200, body, len, on_thread);
	return 200;
}

int
zs_http_callback(zs_http *h, const char *task_uuid, const char *body, size_t len)
{
	return http_callback(h, task_uuid, body, len, false);
}

/* The receiver's handler, on the thread: the task uuid of the header, then as above. */
static int
http_srv_answer(void *arg, const zs_http_reqmsg *m, const char **reply)
{
	zs_http *h = arg;
	char task[128];
	int status = 400;
	if (m->task != NULL && m->task_len < sizeof task) {
		memcpy(task, m->task, m->task_len);
		task[m->task_len] = '\0';
		status = http_callback(h, task, m->body, m->body_len, true);
	} else if (m->task != NULL) {
		status = 404;   /* no task uuid of ours is that long */
	}
	*reply = status == 200 ? "{\"success\":true}\n" : status == 404 ?
	    "{\"success\":false,\"error\":\"no command waits for this task uuid\"}\n" :
	    status == 400 ? "{\"success\":false,\"error\":\"the taskuuid header is missing\"}\n" :
	    "{\"success\":false,\"error\":\"unavailable\"}\n";
	return status;
}

const char *
zs_http_callback_url(const zs_http *h)
{
	return h->callback_url;
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
		http_wake(h);
		pthread_join(h->thread, NULL);
		h->thread_started = false;
	}
	zs_http_srv_free(h->srv);   /* the thread is gone: its receiver too */
	h->srv = NULL;
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
	for (size_t i = 0; i < h->pool_len; i++)
		curl_easy_cleanup(h->pool[i]);
	free(h->pool);
	for (uint32_t i = 0; i < HTTP_SHARDS; i++)
		if (h->shards[i] != NULL) {
			curl_multi_cleanup(h->shards[i]->multi);
			free(h->shards[i]);
		}
	if (h->ep >= 0)
		close(h->ep);
	if (h->wake_fd >= 0)
		close(h->wake_fd);
	if (h->curl_inited)
		curl_global_cleanup();
	free(h->heap);
	free(h->node_id);
	free(h->callback_url);
	free(h->callback_line);
	free(h->user_agent);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
