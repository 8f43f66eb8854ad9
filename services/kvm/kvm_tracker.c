/*
 * kvm_tracker.c: the ping tracker. One timer on the node's timer queue starts a round
 * every host.ping.interval; a round (on a worker) reads the KVM hosts that are not in
 * maintenance and posts /host/ping (asynchronous, host.ping.timeout) to each Connected
 * one and a reconnect to each Disconnected one, all on the node's HTTP facility: no
 * thread per host, and the facility's per-host cap bounds each host's load. The round's
 * pings start evenly over the first KVM_SPREAD_PCT% of the interval (a tick every
 * KVM_TICK_MS starts those due), not in one burst, and at most KVM_PING_INFLIGHT are in
 * flight; the rest wait in the round's queue. A round starts host.ping.interval after the
 * previous one started, or when every answer of that one is in if that is later, so
 * rounds never overlap and each host is pinged about every interval.
 *
 * A ping's outcome (on a worker):
 *   answered with our hostUuid and the version seen before: fine (failures reset)
 *   answered with another hostUuid or version: the agent restarted or was re-used:
 *       reconnect
 *   failed: one more failure in kvm_hosts.ping_failures; at host.ping.maxFailure the host
 *       becomes Disconnected (with why, and host/disconnected) and a reconnect is tried
 * A reconnect makes the host Connecting, then Connected or Disconnected with why. A host
 * still Connecting after twice host.connect.timeout (its node stopped in the middle) is
 * reconnected too.
 * Failure counts live in the database, so the tracker keeps no table of hosts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvm.h"
#include "zs/clock.h"
#include "zs/config.h"
#include "zs/http.h"
#include "zs/timer.h"
#include "zs/work.h"

#define KVM_STOP_WAIT_MS 30000
/* Pings (and reconnects) of a round in flight at once; the others wait in the round's
 * queue and start as these end, so that a ping's timeout runs from when it is sent: a
 * round of 10,000 posted at once timed out its last pings while they still queued. */
#define KVM_PING_INFLIGHT 256
/* The round's pings start over this share of the interval, a batch every tick. */
#define KVM_SPREAD_PCT 80
/* A tick's batch goes out together (KVM_PING_INFLIGHT at once, the rest as those end):
 * the node's HTTP thread and the agents take many requests a wakeup, where one ping a
 * millisecond woke each side for each ping. */
#define KVM_TICK_MS 1000

typedef struct kvm_one kvm_one;

struct kvm_tracker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int outstanding;                  /* the round, its pings and reconnects, queued or not */
	bool stopping;
	zs_timer *timer;                  /* the next round's, or NULL */
	zs_timer *tick;                   /* the next batch of the round's queue, or NULL */
	kvm_one **queue;                  /* the round's not started yet: [q_next, q_len) */
	size_t q_len, q_next;
	size_t inflight;                  /* of the round's queue: started, not ended */
	int64_t round_ms;                 /* when the round started (zs_clock_ms) */
	int64_t spread_ms;                /* its queue starts over this long */
};

/* One ping or reconnect of one host. */
struct kvm_one {
	kvm_state *ks;
	bool connected;                   /* ping it; else reconnect it */
	bool queued;                      /* started from the round's queue */
	char uuid[64];
	char ip[64];
	char version[64];                 /* the agent's version seen before ("" none) */
	long failures;
	/* the ping's outcome */
	int code;
	char why[512];
	char got_uuid[64];
	char got_version[64];
};

static void kvm_tracker_tick(void *arg);
static void kvm_one_start(kvm_one *one);

static void
kvm_tracker_hold(kvm_tracker *t)
{
	pthread_mutex_lock(&t->mu);
	t->outstanding++;
	pthread_mutex_unlock(&t->mu);
}

static void kvm_tracker_pump_tick(void *arg);

/* Under t->mu: takes into batch (room for KVM_PING_INFLIGHT) the queued ones due by now
 * and within the in-flight cap, drops the queue when stopping, and times the next tick
 * while some wait; how many it took. */
static size_t
kvm_tracker_due(kvm_state *ks, kvm_one **batch)
{
	kvm_tracker *t = ks->tracker;
	size_t n = 0;
	if (t->q_next < t->q_len && t->stopping) {
		for (; t->q_next < t->q_len; t->q_next++, t->outstanding--)
			free(t->queue[t->q_next]);
	} else if (t->q_next < t->q_len) {
		int64_t el = zs_sub_sat(zs_clock_ms(), t->round_ms);
		size_t due = el >= t->spread_ms ? t->q_len :
		    (size_t) ((double) t->q_len * (double) el / (double) t->spread_ms) + 1;
		while (t->q_next < due && t->q_next < t->q_len && t->inflight < KVM_PING_INFLIGHT) {
			batch[n++] = t->queue[t->q_next++];
			t->inflight++;
		}
		if (t->q_next < t->q_len && t->tick == NULL)
			t->tick = zs_timer_start(zs_node_timers(ks->node), KVM_TICK_MS,
			    kvm_tracker_pump_tick, ks);
		/* no tick (no memory) and nothing in flight to end: the rest goes now */
		while (t->tick == NULL && t->q_next < t->q_len && t->inflight < KVM_PING_INFLIGHT) {
			batch[n++] = t->queue[t->q_next++];
			t->inflight++;
		}
	}
	if (t->queue != NULL && t->q_next == t->q_len) {
		free(t->queue);
		t->queue = NULL;
		t->q_len = t->q_next = 0;
	}
	return n;
}

static void
kvm_tracker_start_all(kvm_one **batch, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kvm_one_start(batch[i]);
}

/* On the timer thread: the next batch of the round's queue. */
static void
kvm_tracker_pump_tick(void *arg)
{
	kvm_state *ks = arg;
	kvm_tracker *t = ks->tracker;
	kvm_one *batch[KVM_PING_INFLIGHT];
	pthread_mutex_lock(&t->mu);
	t->tick = NULL;
	size_t n = kvm_tracker_due(ks, batch);
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	kvm_tracker_start_all(batch, n);
}

/* One thing of the round is done: queued ones now due start (or, when stopping, the
 * queued ones are dropped); the last one times the next round, host.ping.interval after
 * this one started. queued: it came from the round's queue. */
static void
kvm_tracker_end(kvm_state *ks, bool queued)
{
	kvm_tracker *t = ks->tracker;
	kvm_one *batch[KVM_PING_INFLIGHT];
	pthread_mutex_lock(&t->mu);
	if (queued)
		t->inflight--;
	size_t n = kvm_tracker_due(ks, batch);
	if (--t->outstanding == 0) {
		if (!t->stopping && t->timer == NULL) {
			int64_t wait = zs_sub_sat(zs_add_sat(t->round_ms, ks->ping_interval_ms), zs_clock_ms());
			t->timer = zs_timer_start(zs_node_timers(ks->node), wait > 0 ? wait : 0,
			    kvm_tracker_tick, ks);
		}
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
	kvm_tracker_start_all(batch, n);
}

static void
kvm_tracker_release(kvm_state *ks)
{
	kvm_tracker_end(ks, false);
}

/* one is done: freed, and its part of the round ends. */
static void
kvm_one_end(kvm_one *one)
{
	kvm_state *ks = one->ks;
	bool queued = one->queued;
	free(one);
	kvm_tracker_end(ks, queued);
}

/* Runs fn(one) on a worker, or releases one's hold when the pool refuses. */
static void
kvm_one_submit(kvm_one *one, void (*fn)(void *))
{
	if (zs_work_submit(zs_node_work(one->ks->node), fn, one) != 0) {
		kvm_one_end(one);
	}
}

/* ---- reconnect ---- */

static void
kvm_one_connected(int code, zs_status *st, void *arg)
{
	kvm_one *one = arg;
	kvm_state *ks = one->ks;
	if (code != 0) {
		zs_status *st2 = NULL;
		char why[1024];
		zs_status_text(st, why, sizeof why);
		if (kvm_store_status(ks, one->uuid, "Disconnected", why,
		    "host/disconnected", true, &st2) != 0)
			fprintf(stderr, "kvm: host %s: cannot record Disconnected: %s\n", one->uuid,
			    st2 != NULL && st2->message ? st2->message : "?");
		zs_status_free(st2);
	}
	zs_status_free(st);
	kvm_one_end(one);
}

/* On a worker: Connecting, then connect. */
static void
kvm_one_reconnect(void *arg)
{
	kvm_one *one = arg;
	zs_status *st = NULL;
	if (kvm_store_status(one->ks, one->uuid, "Connecting", "", "host/connecting", true, &st) != 0) {
		kvm_one_connected(st != NULL ? (int) st->code : ZS_INTERNAL, st, one);
		return;
	}
	kvm_connect(one->ks, one->uuid, one->ip, NULL, kvm_one_connected, one);
}

void
kvm_reconnect(kvm_state *ks, const char *uuid, const char *ip)
{
	kvm_one *one = calloc(1, sizeof *one);
	if (one == NULL)
		return;   /* the tracker tries again next round */
	one->ks = ks;
	snprintf(one->uuid, sizeof one->uuid, "%s", uuid);
	snprintf(one->ip, sizeof one->ip, "%s", ip);
	kvm_tracker_hold(ks->tracker);
	kvm_one_submit(one, kvm_one_reconnect);
}

/* ---- ping ---- */

/* Runs sql on uuid ($1) and value ($2) in a connection of its own; logs a failure. */
static void
kvm_one_update(kvm_one *one, const char *sql, const char *value)
{
	zs_db *db = zs_node_db(one->ks->node);
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	const char *p[2] = { one->uuid, value };
	if (zs_db_acquire(db, one->ks->ping_timeout_ms, &c, &st) == 0) {
		PQclear(zs_db_exec(c, sql, 2, p, &st));
		zs_db_release(db, c);
	}
	if (st != NULL)
		fprintf(stderr, "kvm: host %s: %s\n", one->uuid, st->message ? st->message : "?");
	zs_status_free(st);
}

/* On a worker: what the ping's outcome means for the host. */
static void
kvm_one_pinged(void *arg)
{
	kvm_one *one = arg;
	if (one->code == 0 && strcmp(one->got_uuid, one->uuid) == 0 &&
	    (one->version[0] == '\0' || strcmp(one->version, one->got_version) == 0)) {
		if (one->failures > 0 || one->version[0] == '\0')
			kvm_one_update(one, "UPDATE kvm_hosts SET ping_failures = 0, agent_version = $2 "
			    "WHERE uuid = $1", one->got_version);
		kvm_one_end(one);
		return;
	}
	if (one->code == 0) {
		/* another agent, or the same one restarted: connect it again */
		kvm_one_reconnect(one);
		return;
	}
	char n[24];
	snprintf(n, sizeof n, "%ld", one->failures + 1);
	kvm_one_update(one, "UPDATE kvm_hosts SET ping_failures = $2::integer WHERE uuid = $1", n);
	if (one->failures + 1 < one->ks->max_failure) {
		kvm_one_end(one);
		return;
	}
	char why[700];
	snprintf(why, sizeof why, "%s ping(s) failed in a row, the last: %s", n, one->why);
	zs_status *st = NULL;
	if (kvm_store_status(one->ks, one->uuid, "Disconnected", why, "host/disconnected", true,
	    &st) != 0)
		fprintf(stderr, "kvm: host %s: cannot record Disconnected: %s\n", one->uuid,
		    st != NULL && st->message ? st->message : "?");
	zs_status_free(st);
	kvm_one_reconnect(one);
}

/* True when the ping's answer changes nothing: our host, the agent seen before, no
 * failures to reset. */
static bool
kvm_one_fine(const kvm_one *one)
{
	return one->code == 0 && one->failures == 0 && one->version[0] != '\0' &&
	    strcmp(one->got_uuid, one->uuid) == 0 && strcmp(one->version, one->got_version) == 0;
}

/* On the facility's thread: keeps what the answer said. A ping that changes nothing ends
 * here (no database, no hop to a worker: the common case, thousands a second); the rest
 * goes to a worker. */
static void
kvm_one_ping_done(const zs_http_res *res, void *arg)
{
	kvm_one *one = arg;
	one->code = res->code;
	if (res->code != 0) {
		const zs_status *s = res->status;
		zs_status_text(s, one->why, sizeof one->why);
	} else {
		const char *u = json_string_value(json_object_get(res->reply, "hostUuid"));
		const char *v = json_string_value(json_object_get(res->reply, "version"));
		snprintf(one->got_uuid, sizeof one->got_uuid, "%s", u != NULL ? u : "");
		snprintf(one->got_version, sizeof one->got_version, "%s", v != NULL ? v : "");
	}
	if (kvm_one_fine(one)) {
		kvm_one_end(one);
		return;
	}
	kvm_one_submit(one, kvm_one_pinged);
}

static void
kvm_one_ping(kvm_one *one)
{
	char url[KVM_URL_MAX], body[128];
	zs_status *st = NULL;
	/* the uuid is ours (hex and dashes): no JSON object to build for a ping */
	snprintf(body, sizeof body, "{\"hostUuid\":\"%s\"}", one->uuid);
	zs_http_req req = { .host = one->uuid, .url = url, .body = body,
	    .timeout_ms = one->ks->ping_timeout_ms, .async = one->ks->ping_async };
	int rv = kvm_url(one->ks, one->ip, "/host/ping", url, sizeof url) != 0 ?
	    ZS_RESOURCE_EXHAUSTED : zs_http_post(zs_node_http(one->ks->node), &req, kvm_one_ping_done,
	    one, &st);
	if (rv != 0) {
		one->code = rv;
		snprintf(one->why, sizeof one->why, "%s", st != NULL && st->message ? st->message :
		    "cannot post the ping");
		zs_status_free(st);
		kvm_one_submit(one, kvm_one_pinged);
	}
}

/* ---- kvm.reservedMemory ---- */

/* On a worker: every host's reserve again. */
static void
kvm_reserve_work(void *arg)
{
	kvm_state *ks = arg;
	size_t changed = 0;
	zs_status *st = NULL;
	if (kvm_store_reserve_all(ks, &changed, &st) != 0)
		fprintf(stderr, "kvm: cannot recompute the reserved memory: %s\n",
		    st != NULL && st->message ? st->message : "?");
	zs_status_free(st);
	kvm_tracker_release(ks);
}

/* The config watcher: on the thread that changed it (a worker). */
static void
kvm_reserve_changed(const char *category, const char *name, const char *value, void *arg)
{
	(void) category;
	(void) name;
	(void) value;
	kvm_state *ks = arg;
	kvm_tracker *t = ks->tracker;
	pthread_mutex_lock(&t->mu);
	bool go = !t->stopping;
	if (go)
		t->outstanding++;
	pthread_mutex_unlock(&t->mu);
	if (go && zs_work_submit(zs_node_work(ks->node), kvm_reserve_work, ks) != 0)
		kvm_tracker_release(ks);
}

int
kvm_reserve_watch(kvm_state *ks)
{
	return zs_config_watch(zs_node_config(ks->node), "kvm", "reservedMemory",
	    kvm_reserve_changed, ks) == 0 ? 0 : -1;
}

/* ---- rounds ---- */

/* On a worker: one round over the hosts. */
static void
kvm_tracker_round(void *arg)
{
	kvm_state *ks = arg;
	zs_db *db = zs_node_db(ks->node);
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *r = NULL;
	char stale[24];
	snprintf(stale, sizeof stale, "%lld", (long long) (2 * ks->connect_timeout_ms));
	const char *p[1] = { stale };
	if (zs_db_acquire(db, ks->ping_timeout_ms, &c, &st) == 0) {
		/* a host Connecting for twice the connect timeout was left so by a node that
		 * stopped while connecting it: it is connected again like a Disconnected one */
		r = zs_db_exec(c, "SELECT h.uuid, h.management_ip, h.status, k.agent_version, "
		    "k.ping_failures FROM host_hosts h JOIN kvm_hosts k USING (uuid) "
		    "WHERE h.state IN ('Enabled', 'Disabled') "
		    "AND (h.status IN ('Connected', 'Disconnected') OR (h.status = 'Connecting' "
		    "AND h.updated_at < now() - $1::bigint * interval '1 millisecond')) "
		    "ORDER BY h.uuid", 1, p, &st);
		zs_db_release(db, c);
	}
	zs_status_free(st);   /* the database is away: the next round tries again */
	size_t n = r != NULL ? (size_t) PQntuples(r) : 0, made = 0;
	kvm_one **ones = n > 0 ? calloc(n, sizeof *ones) : NULL;
	for (size_t i = 0; ones != NULL && i < n; i++) {
		kvm_one *one = calloc(1, sizeof *one);
		if (one == NULL)
			break;
		one->ks = ks;
		snprintf(one->uuid, sizeof one->uuid, "%s", PQgetvalue(r, (int) i, 0));
		snprintf(one->ip, sizeof one->ip, "%s", PQgetvalue(r, (int) i, 1));
		one->connected = strcmp(PQgetvalue(r, (int) i, 2), "Connected") == 0;
		snprintf(one->version, sizeof one->version, "%s", PQgetvalue(r, (int) i, 3));
		one->failures = strtol(PQgetvalue(r, (int) i, 4), NULL, 10);
		ones[made++] = one;
	}
	PQclear(r);
	/* the round's queue: those due start here, the rest on ticks and as others end */
	for (size_t i = 0; i < made; i++)
		ones[i]->queued = true;
	kvm_one *batch[KVM_PING_INFLIGHT];
	kvm_tracker *t = ks->tracker;
	pthread_mutex_lock(&t->mu);
	t->outstanding += (int) made;
	size_t started = 0;
	if (made > 0) {
		t->queue = ones;
		t->q_len = made;
		t->q_next = 0;
		t->spread_ms = ks->ping_interval_ms * KVM_SPREAD_PCT / 100;
		ones = NULL;
		started = kvm_tracker_due(ks, batch);
	}
	pthread_mutex_unlock(&t->mu);
	free(ones);
	kvm_tracker_start_all(batch, started);
	kvm_tracker_release(ks);   /* the round's own hold */
}

static void
kvm_one_start(kvm_one *one)
{
	if (one->connected)
		kvm_one_ping(one);
	else
		kvm_one_submit(one, kvm_one_reconnect);
}

/* On the timer thread: starts a round. */
static void
kvm_tracker_tick(void *arg)
{
	kvm_state *ks = arg;
	kvm_tracker *t = ks->tracker;
	pthread_mutex_lock(&t->mu);
	t->timer = NULL;
	t->round_ms = zs_clock_ms();
	bool go = !t->stopping;
	if (go)
		t->outstanding++;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	if (go && zs_work_submit(zs_node_work(ks->node), kvm_tracker_round, ks) != 0)
		kvm_tracker_release(ks);
}

int
kvm_tracker_start(kvm_state *ks)
{
	kvm_tracker *t = calloc(1, sizeof *t);
	if (t == NULL)
		return -1;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	ks->tracker = t;
	t->round_ms = zs_clock_ms();
	t->timer = zs_timer_start(zs_node_timers(ks->node), ks->ping_interval_ms, kvm_tracker_tick,
	    ks);
	if (t->timer == NULL) {
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->cv);
		free(t);
		ks->tracker = NULL;
		return -1;
	}
	return 0;
}

void
kvm_tracker_stop(kvm_state *ks)
{
	kvm_tracker *t = ks->tracker;
	if (t == NULL)
		return;
	zs_config_unwatch(zs_node_config(ks->node), kvm_reserve_changed, ks);
	pthread_mutex_lock(&t->mu);
	t->stopping = true;
	if (t->timer != NULL && zs_timer_cancel(zs_node_timers(ks->node), t->timer))
		t->timer = NULL;
	if (t->tick != NULL && zs_timer_cancel(zs_node_timers(ks->node), t->tick))
		t->tick = NULL;
	kvm_one *none[KVM_PING_INFLIGHT];
	(void) kvm_tracker_due(ks, none);   /* stopping: drops the queue, starts nothing */
	if (t->outstanding == 0)
		pthread_cond_broadcast(&t->cv);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += KVM_STOP_WAIT_MS / 1000;
	while ((t->timer != NULL || t->tick != NULL || t->outstanding > 0) &&
	    pthread_cond_timedwait(&t->cv, &t->mu, &until) != ETIMEDOUT)
		;
	bool idle = t->timer == NULL && t->tick == NULL && t->outstanding == 0;
	pthread_mutex_unlock(&t->mu);
	if (!idle) {
		/* something still runs and will touch t: leave it rather than free it under it */
		fprintf(stderr, "kvm: the ping tracker did not stop in %d ms\n", KVM_STOP_WAIT_MS);
		return;
	}
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t->queue);
	free(t);
	ks->tracker = NULL;
}
