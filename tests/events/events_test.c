/*
 * events_test.c: events kept for replay, against a real zsnode with the evtest plugin
 * (tests/events/evtest.xml) beside the built plugins. It checks: events written in a
 * transaction arrive after the commit with gap-free increasing log sequences, also when
 * transactions commit out of the order they wrote; a rolled-back transaction's events
 * never arrive; Replay from a sequence and from a time answers exactly the events sent,
 * with limit and more; a second account replays none of the admin's events (nor learns
 * their sequence); the retention sweep; zswatch --since prints the replayed then the live
 * events with no gap and no duplicate at the seam; zswatch fills a gap from Replay; a
 * second node on the same database sends the first one's events and the first sends the
 * second's, a rolled-back transaction's on neither.
 * The nodes' safety poll (event.poll) is 10 minutes, so an event that arrives within
 * seconds came because its commit woke the node's sender (writers send no NOTIFY), or on
 * the other node because that sender notified it after numbering the batch.
 * Arguments: zsnode, the plugins folder, the evtest plugin folder, zswatch.
 */
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>

#include "zs/client.h"
#include "zs/config/v1/config.pb-c.h"
#include "zs/echo/v1/echo.pb-c.h"
#include "zs/event/v1/events.pb-c.h"
#include "zs/evtest/v1/evtest.pb-c.h"
#include "zs/identity/v1/identity.pb-c.h"
#include "zs/rpc/v1/event.pb-c.h"
#include "zst_node.h"

#define ET_TIMEOUT_MS 10000
#define ET_USER_PASSWORD "events-test-user-pw"
#define ET_MAX 256
/* The nodes' safety poll: far longer than any wait here. */
#define ET_POLL "event.poll=10m"

typedef struct et {
	zst_node node;
	zs_client *client;
	char admin[128];
	char msg[1024];
	nng_socket sub;          /* the protobuf feed, every topic */
} et;

/* One kept event as received or replayed. */
typedef struct et_event {
	uint64_t seq;
	char topic[64];
	char text[64];
	uint32_t index;
} et_event;

static int64_t
et_wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* ---- calls ---- */

static int
et_call_on(zs_client *client, char *msg, const char *session, const char *method, const void *req,
    const ProtobufCMessageDescriptor *rd, void *reply)
{
	ProtobufCMessage *out = NULL;
	zs_status *st = NULL;
	zs_call_opts opts = { .timeout_ms = ET_TIMEOUT_MS, .session = session && *session ? session : NULL };
	int code = zs_client_call(client, method, req, rd, &out, &st, &opts);
	if (msg != NULL)
		snprintf(msg, 1024, "%s%s%s", zs_client_code_name(code), st ? ": " : "",
		    st && st->message ? st->message : "");
	zs_status_free(st);
	if (reply != NULL)
		*(ProtobufCMessage **) reply = out;
	else
		zs_reply_free(out);
	return code;
}

static int
et_call(et *t, const char *session, const char *method, const void *req,
    const ProtobufCMessageDescriptor *rd, void *reply)
{
	return et_call_on(t->client, t->msg, session, method, req, rd, reply);
}

static int
et_emit_on(zs_client *client, char *msg, const char *session, const char *topic, unsigned count,
    bool rollback, unsigned hold_ms, const char *text)
{
	Zs__Evtest__V1__EmitRequest req = ZS__EVTEST__V1__EMIT_REQUEST__INIT;
	req.topic = (char *) topic;
	req.count = count;
	req.rollback = rollback;
	req.hold_ms = hold_ms;
	req.text = (char *) text;
	return et_call_on(client, msg, session, "zs.evtest.v1.EventTest/Emit", &req,
	    &zs__evtest__v1__emit_response__descriptor, NULL);
}

static int
et_emit(et *t, const char *session, const char *topic, unsigned count, bool rollback,
    unsigned hold_ms, const char *text)
{
	return et_emit_on(t->client, t->msg, session, topic, count, rollback, hold_ms, text);
}

static void
et_fill(et_event *ev, const Zs__Rpc__V1__Event *e)
{
	memset(ev, 0, sizeof *ev);
	ev->seq = e->log_sequence;
	snprintf(ev->topic, sizeof ev->topic, "%s", e->topic);
	Zs__Evtest__V1__Note *note = zs__evtest__v1__note__unpack(NULL, e->body.len, e->body.data);
	if (note != NULL) {
		snprintf(ev->text, sizeof ev->text, "%s", note->text);
		ev->index = note->index;
		zs__evtest__v1__note__free_unpacked(note, NULL);
	}
}

/* Replay as session into out[] (at most max); the answer's last_sequence and more. The code. */
static int
et_replay(et *t, const char *session, uint64_t from, uint64_t to, int64_t since, const char *prefix,
    unsigned limit, et_event *out, size_t max, size_t *n, uint64_t *last, bool *more)
{
	Zs__Event__V1__ReplayRequest req = ZS__EVENT__V1__REPLAY_REQUEST__INIT;
	req.from_sequence = from;
	req.to_sequence = to;
	/* since: milliseconds since the epoch here, a Timestamp on the wire (unset when 0) */
	Google__Protobuf__Timestamp since_ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	since_ts.seconds = since / 1000;
	since_ts.nanos = (int32_t) (since % 1000) * 1000000;
	req.since = since > 0 ? &since_ts : NULL;
	char *prefixes[1] = { (char *) prefix };
	req.topic_prefixes = prefixes;
	req.n_topic_prefixes = prefix != NULL ? 1 : 0;
	req.limit = limit;
	Zs__Event__V1__ReplayResponse *rep = NULL;
	int code = et_call(t, session, "zs.event.v1.Events/Replay", &req,
	    &zs__event__v1__replay_response__descriptor, &rep);
	*n = 0;
	if (code == ZS_CLIENT_OK) {
		for (size_t i = 0; i < rep->n_events && *n < max; i++)
			et_fill(&out[(*n)++], rep->events[i]);
		*last = rep->last_sequence;
		*more = rep->more;
	}
	zs_reply_free(rep);
	return code;
}

/* ---- the live feed ---- */

static int
et_sub_open(et *t)
{
	int rv = nng_sub0_open(&t->sub);
	if (rv == 0)
		rv = nng_socket_set(t->sub, NNG_OPT_SUB_SUBSCRIBE, "", 0);
	if (rv == 0)
		rv = nng_socket_set_ms(t->sub, NNG_OPT_RECVTIMEO, 200);
	if (rv == 0)
		rv = nng_dial(t->sub, t->node.events_url, NULL, 0);
	zst_sleep_ms(200);
	return rv;
}

/* Receives kept events under evt/ until n came or wait_ms passed; how many came. */
static size_t
et_receive(et *t, et_event *out, size_t n, int wait_ms)
{
	size_t got = 0;
	int64_t until = zst_now_ms() + wait_ms;
	while (got < n && zst_now_ms() < until) {
		char *buf = NULL;
		size_t len = 0;
		if (nng_recv(t->sub, &buf, &len, NNG_FLAG_ALLOC) != 0)
			continue;
		size_t tl = strnlen(buf, len);
		Zs__Rpc__V1__Event *e = tl < len ? zs__rpc__v1__event__unpack(NULL, len - tl - 1,
		    (uint8_t *) buf + tl + 1) : NULL;
		if (e != NULL && e->log_sequence != 0 && strncmp(e->topic, "evt/", 4) == 0) {
			/* the feed has the header; the body comes from Recent */
			Zs__Rpc__V1__Event *full = zst_event_fetch(t->node.rpc_url, t->admin, e->sequence);
			et_fill(&out[got++], full != NULL ? full : e);
			if (full != NULL)
				zs__rpc__v1__event__free_unpacked(full, NULL);
		}
		if (e != NULL)
			zs__rpc__v1__event__free_unpacked(e, NULL);
		nng_free(buf, len);
	}
	return got;
}

/* Drops what the feed queued so far. */
static void
et_drain(et *t)
{
	char *buf;
	size_t len;
	while (nng_recv(t->sub, &buf, &len, NNG_FLAG_ALLOC) == 0)
		nng_free(buf, len);
}

static bool
et_consecutive(const et_event *ev, size_t n, uint64_t first)
{
	for (size_t i = 0; i < n; i++)
		if (ev[i].seq != first + i)
			return false;
	return true;
}

/* ---- the checks ---- */

static et_event seen[ET_MAX];   /* every kept event received, in order */
static size_t n_seen;

static void
test_commit_rollback(et *t)
{
	et_event ev[8];
	ZST_CHECK(et_emit(t, t->admin, "evt/a", 3, false, 0, "one") == ZS_CLIENT_OK,
	    "Emit writes 3 events in a transaction that commits (%s)", t->msg);
	int64_t answered = zst_now_ms();
	size_t n = et_receive(t, ev, 3, 5000);
	ZST_CHECK(n == 3 && ev[0].seq > 0 && et_consecutive(ev, 3, ev[0].seq) &&
	    strcmp(ev[0].topic, "evt/a") == 0 && ev[0].index == 0 && ev[2].index == 2 &&
	    strcmp(ev[1].text, "one") == 0,
	    "the 3 events arrive after the commit, in order, log sequences %" PRIu64 "..%" PRIu64
	    ", %lld ms after Emit answered (the commit woke the sender: its poll is 10 min)",
	    n ? ev[0].seq : 0, n ? ev[n - 1].seq : 0, (long long) (zst_now_ms() - answered));
	memcpy(seen + n_seen, ev, n * sizeof *ev);
	n_seen += n;

	ZST_CHECK(et_emit(t, t->admin, "evt/rolledback", 2, true, 0, "never") == ZS_CLIENT_OK,
	    "Emit writes 2 events in a transaction that rolls back (%s)", t->msg);
	ZST_CHECK(et_emit(t, t->admin, "evt/after", 1, false, 0, "after") == ZS_CLIENT_OK,
	    "then 1 event that commits (%s)", t->msg);
	n = et_receive(t, ev, 2, 2500);   /* a rolled-back event would come first */
	ZST_CHECK(n == 1 && strcmp(ev[0].topic, "evt/after") == 0 && ev[0].seq == seen[n_seen - 1].seq + 1,
	    "the rolled-back events never arrive; the next one takes the next sequence (%zu came: %s #%"
	    PRIu64 ")", n, n ? ev[0].topic : "-", n ? ev[0].seq : 0);
	memcpy(seen + n_seen, ev, n * sizeof *ev);
	n_seen += n;

	/* outside a transaction each event commits as it is written: it wakes the sender too */
	Zs__Evtest__V1__EmitRequest req = ZS__EVTEST__V1__EMIT_REQUEST__INIT;
	req.topic = "evt/auto";
	req.count = 2;
	req.text = "auto";
	req.no_transaction = true;
	ZST_CHECK(et_call(t, t->admin, "zs.evtest.v1.EventTest/Emit", &req,
	    &zs__evtest__v1__emit_response__descriptor, NULL) == ZS_CLIENT_OK,
	    "Emit writes 2 events outside a transaction (%s)", t->msg);
	n = et_receive(t, ev, 2, 5000);
	ZST_CHECK(n == 2 && strcmp(ev[0].topic, "evt/auto") == 0 && ev[0].seq == seen[n_seen - 1].seq + 1 &&
	    ev[1].seq == ev[0].seq + 1, "they arrive too, next in sequence (%zu came)", n);
	memcpy(seen + n_seen, ev, n * sizeof *ev);
	n_seen += n;
}

typedef struct et_slow {
	et *t;
	int code;
	char msg[1024];
} et_slow;

static void *
et_slow_emit(void *arg)
{
	et_slow *s = arg;
	zs_client *c;
	s->code = -1;
	if (zs_client_open(&c, s->t->node.rpc_url) != 0)
		return NULL;
	s->code = et_emit_on(c, s->msg, s->t->admin, "evt/slow", 2, false, 800, "slow");
	zs_client_close(c);
	return NULL;
}

/* A transaction that wrote first but commits last: its events come after, numbered after. */
static void
test_out_of_order(et *t)
{
	et_slow s = { .t = t };
	pthread_t th;
	if (!ZST_CHECK(pthread_create(&th, NULL, et_slow_emit, &s) == 0, "a thread for the slow Emit"))
		return;
	zst_sleep_ms(250);
	ZST_CHECK(et_emit(t, t->admin, "evt/fast", 2, false, 0, "fast") == ZS_CLIENT_OK,
	    "a second transaction commits while the first still holds its events (%s)", t->msg);
	pthread_join(th, NULL);
	ZST_CHECK(s.code == ZS_CLIENT_OK, "the first transaction commits after 800 ms (%s)", s.msg);
	et_event ev[4];
	size_t n = et_receive(t, ev, 4, 5000);
	ZST_CHECK(n == 4 && strcmp(ev[0].topic, "evt/fast") == 0 && strcmp(ev[1].topic, "evt/fast") == 0 &&
	    strcmp(ev[2].topic, "evt/slow") == 0 && strcmp(ev[3].topic, "evt/slow") == 0 &&
	    et_consecutive(ev, 4, seen[n_seen - 1].seq + 1),
	    "events come in commit order with gap-free sequences (%s, %s, %s, %s)",
	    n > 0 ? ev[0].topic : "-", n > 1 ? ev[1].topic : "-", n > 2 ? ev[2].topic : "-",
	    n > 3 ? ev[3].topic : "-");
	memcpy(seen + n_seen, ev, n * sizeof *ev);
	n_seen += n;
}

static bool
et_same(const et_event *a, const et_event *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].seq != b[i].seq || strcmp(a[i].topic, b[i].topic) != 0 ||
		    strcmp(a[i].text, b[i].text) != 0 || a[i].index != b[i].index)
			return false;
	return true;
}

static void
test_replay(et *t, int64_t t0)
{
	et_event ev[ET_MAX];
	size_t n;
	uint64_t last = 0;
	bool more = true;
	uint64_t first = seen[0].seq;
	int code = et_replay(t, t->admin, first - 1, 0, 0, NULL, 0, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(code == ZS_CLIENT_OK && n == n_seen && et_same(ev, seen, n) && !more &&
	    last == seen[n_seen - 1].seq,
	    "Replay from sequence %" PRIu64 " answers exactly the %zu events sent (got %zu, last %" PRIu64
	    ", %s)", first - 1, n_seen, n, last, t->msg);
	code = et_replay(t, t->admin, 0, 0, t0, NULL, 0, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(code == ZS_CLIENT_OK && n == n_seen && et_same(ev, seen, n) && !more,
	    "Replay from a time answers the same events (got %zu)", n);
	code = et_replay(t, t->admin, first - 1, 0, 0, NULL, 3, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(code == ZS_CLIENT_OK && n == 3 && more && last == first + 2 && et_same(ev, seen, 3),
	    "Replay with limit 3: the first 3, more, last_sequence %" PRIu64, last);
	code = et_replay(t, t->admin, last, 0, 0, NULL, 0, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(code == ZS_CLIENT_OK && n == n_seen - 3 && et_same(ev, seen + 3, n) && !more,
	    "continuing from last_sequence answers the rest (%zu)", n);
	code = et_replay(t, t->admin, 0, 0, t0, "evt/fast", 0, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(code == ZS_CLIENT_OK && n == 2 && strcmp(ev[0].topic, "evt/fast") == 0,
	    "Replay with a topic prefix answers only those (%zu)", n);
	code = et_replay(t, t->admin, first, first + 2, 0, NULL, 0, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(code == ZS_CLIENT_OK && n == 2 && ev[0].seq == first + 1 && ev[1].seq == first + 2,
	    "Replay with to_sequence stops there (%zu)", n);
	code = et_replay(t, t->admin, 0, 0, 0, NULL, 20000, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(code == ZS__RPC__V1__CODE__INVALID_ARGUMENT, "a limit over 10000: INVALID_ARGUMENT (%s)",
	    t->msg);
	code = et_replay(t, "", 0, 0, 0, NULL, 0, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(code == ZS__RPC__V1__CODE__UNAUTHENTICATED, "Replay without a session: UNAUTHENTICATED "
	    "(%s)", t->msg);
}

static int
et_login(et *t, const char *name, const char *password, char *session, size_t len)
{
	Zs__Identity__V1__LoginRequest req = ZS__IDENTITY__V1__LOGIN_REQUEST__INIT;
	req.name = (char *) name;
	req.password = (char *) password;
	Zs__Identity__V1__LoginResponse *out = NULL;
	int code = et_call(t, NULL, "zs.identity.v1.Identity/Login", &req,
	    &zs__identity__v1__login_response__descriptor, &out);
	if (code == ZS_CLIENT_OK)
		snprintf(session, len, "%s", out->session);
	zs_reply_free(out);
	return code;
}

static void
test_accounts(et *t)
{
	Zs__Identity__V1__CreateAccountRequest req = ZS__IDENTITY__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.name = "events-bob";
	req.password = ET_USER_PASSWORD;
	char bob[128] = "";
	if (!ZST_CHECK(et_call(t, t->admin, "zs.identity.v1.Identity/CreateAccount", &req,
	    &zs__identity__v1__account_info__descriptor, NULL) == ZS_CLIENT_OK &&
	    et_login(t, "events-bob", ET_USER_PASSWORD, bob, sizeof bob) == ZS_CLIENT_OK,
	    "a second account logs in (%s)", t->msg))
		return;
	et_event ev[ET_MAX];
	size_t n;
	uint64_t last = 99;
	bool more = true;
	int code = et_replay(t, bob, 0, 0, 0, NULL, 0, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(code == ZS_CLIENT_OK && n == 0 && last == 0 && !more,
	    "the second account replays none of the admin's events, and last_sequence tells nothing "
	    "(%zu events, last %" PRIu64 ", %s)", n, last, t->msg);
	code = et_replay(t, bob, 0, 0, 0, NULL, 1, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(code == ZS_CLIENT_OK && n == 0 && !more, "not even with limit 1 (more is false)");
	ZST_CHECK(et_emit(t, bob, "evt/bob", 1, false, 0, "bob's") == ZS_CLIENT_OK,
	    "the second account writes an event (%s)", t->msg);
	et_event live[1];
	n = et_receive(t, live, 1, 5000);
	if (n == 1)
		seen[n_seen++] = live[0];
	code = et_replay(t, bob, 0, 0, 0, NULL, 0, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(code == ZS_CLIENT_OK && n == 1 && strcmp(ev[0].topic, "evt/bob") == 0 &&
	    last == ev[0].seq, "it replays exactly its own event (%zu)", n);
	code = et_replay(t, t->admin, seen[0].seq - 1, 0, 0, NULL, 0, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(code == ZS_CLIENT_OK && n == n_seen && strcmp(ev[n - 1].topic, "evt/bob") == 0,
	    "the admin replays every event, the second account's too (%zu)", n);
}

/* Runs cmd (a shell line); its output (caller frees) and exit code. */
static char *
et_run(const char *cmd, int *exit_code)
{
	FILE *p = popen(cmd, "r");
	if (p == NULL) {
		*exit_code = -1;
		return strdup("");
	}
	size_t len = 0, cap = 1 << 16;
	char *out = malloc(cap);
	size_t n;
	while (out != NULL && len + 1 < cap && (n = fread(out + len, 1, cap - len - 1, p)) > 0)
		len += n;
	if (out != NULL)
		out[len] = '\0';
	int st = pclose(p);
	*exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out != NULL ? out : strdup("");
}

/* The "#N" of each zswatch line under evt/ into seqs; how many. */
static size_t
et_watch_seqs(const char *out, uint64_t *seqs, size_t max, size_t *missed)
{
	size_t n = 0;
	*missed = 0;
	for (const char *line = out; line != NULL && *line; ) {
		const char *end = strchr(line, '\n');
		if (strncmp(line, "! ", 2) == 0)
			(*missed)++;
		const char *hash = strstr(line, " evt/");
		hash = hash != NULL && (end == NULL || hash < end) ? strstr(hash, " #") : NULL;
		if (hash != NULL && (end == NULL || hash < end) && n < max)
			seqs[n++] = strtoull(hash + 2, NULL, 10);
		line = end != NULL ? end + 1 : NULL;
	}
	return n;
}

typedef struct et_stream {
	et *t;
	int count;
	int ok;
} et_stream;

static void *
et_stream_emit(void *arg)
{
	et_stream *s = arg;
	zs_client *c;
	if (zs_client_open(&c, s->t->node.rpc_url) != 0)
		return NULL;
	for (int i = 0; i < s->count; i++) {
		if (et_emit_on(c, NULL, s->t->admin, "evt/live", 1, false, 0, "live") == ZS_CLIENT_OK)
			s->ok++;
		zst_sleep_ms(25);
	}
	zs_client_close(c);
	return NULL;
}

/* zswatch --since 0 while events keep coming: every kept event once, in order. */
static void
test_zswatch_since(et *t, const char *zswatch)
{
	et_event ev[ET_MAX];
	size_t kept;
	uint64_t last;
	bool more;
	et_replay(t, t->admin, 0, 0, 0, NULL, 0, ev, ET_MAX, &kept, &last, &more);
	et_stream s = { .t = t, .count = 30 };
	pthread_t th;
	if (!ZST_CHECK(pthread_create(&th, NULL, et_stream_emit, &s) == 0, "a thread emitting events"))
		return;
	zst_sleep_ms(100);   /* zswatch starts while events are being written */
	char cmd[2048];
	size_t want = kept + (size_t) s.count;
	snprintf(cmd, sizeof cmd, "'%s' --url '%s' --rpc-url '%s' --session '%s' --since 0 --count %zu "
	    "--timeout 8000 evt/ 2>&1", zswatch, t->node.json_url, t->node.rpc_url, t->admin, want);
	int rc;
	char *out = et_run(cmd, &rc);
	pthread_join(th, NULL);
	uint64_t seqs[ET_MAX];
	size_t missed, n = et_watch_seqs(out, seqs, ET_MAX, &missed);
	bool consecutive = n > 0;
	for (size_t i = 1; i < n; i++)
		consecutive = consecutive && seqs[i] == seqs[i - 1] + 1;
	ZST_CHECK(rc == 0 && s.ok == s.count && n == want && consecutive && missed == 0 &&
	    seqs[0] == ev[0].seq,
	    "zswatch --since 0 prints the %zu kept events then the %d live ones, each once, in order "
	    "(exit %d, %zu lines, #%" PRIu64 "..#%" PRIu64 ", %s)", kept, s.count, rc, n,
	    n ? seqs[0] : 0, n ? seqs[n - 1] : 0, consecutive ? "gap-free" : "NOT gap-free");
	if (!(rc == 0 && n == want && consecutive))
		zst_note("zswatch said:\n%s", out);
	free(out);

	/* --since DURATION: only the recent ones */
	zst_sleep_ms(2000);
	et_drain(t);
	ZST_CHECK(et_emit(t, t->admin, "evt/recent", 1, false, 0, "recent") == ZS_CLIENT_OK,
	    "one more event (%s)", t->msg);
	et_receive(t, ev, 1, 3000);
	snprintf(cmd, sizeof cmd, "ZS_SESSION='%s' '%s' --url '%s' --rpc-url '%s' --since 1s --count 1 "
	    "--timeout 3000 evt/ 2>&1", t->admin, zswatch, t->node.json_url, t->node.rpc_url);
	out = et_run(cmd, &rc);
	ZST_CHECK(rc == 0 && strstr(out, "evt/recent") != NULL && strstr(out, "evt/live") == NULL,
	    "zswatch --since 1s (session from $ZS_SESSION) replays only the last second's event "
	    "(exit %d)", rc);
	if (rc != 0)
		zst_note("zswatch said:\n%s", out);
	free(out);
}

/* zswatch fills a gap from Replay: a fake feed skips two kept events the node has. */
static void
test_zswatch_gap(et *t, const char *zswatch)
{
	int port = zst_free_port();
	char url[64];
	snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
	nng_socket pub;
	if (!ZST_CHECK(nng_pub0_open(&pub) == 0 && nng_listen(pub, url, NULL, 0) == 0,
	    "a fake event feed on %s", url))
		return;
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "'%s' --url '%s' --rpc-url '%s' --session '%s' --count 4 "
	    "--timeout 8000 evt/ > /dev/stdout 2>&1", zswatch, url, t->node.rpc_url, t->admin);
	/* the feed sends seen[0], then seen[3]: zswatch must replay seen[1] and seen[2] */
	FILE *p = popen(cmd, "r");
	if (!ZST_CHECK(p != NULL, "zswatch starts"))
		return;
	zst_sleep_ms(500);
	size_t picks[2] = { 0, 3 };
	for (int k = 0; k < 2; k++) {
		const et_event *e = &seen[picks[k]];
		char frame[512];
		int len = snprintf(frame, sizeof frame, "%s {\"topic\":\"%s\",\"logSequence\":\"%" PRIu64
		    "\",\"time\":\"2023-11-14T22:13:20Z\",\"nodeId\":\"fake\",\"body\":{\"text\":\"%s\"}}",
		    e->topic, e->topic, e->seq, e->text);
		nng_send(pub, frame, (size_t) len, 0);
		zst_sleep_ms(200);
	}
	char out[8192];
	size_t len = fread(out, 1, sizeof out - 1, p);
	out[len] = '\0';
	int st = pclose(p);
	nng_close(pub);
	uint64_t seqs[16];
	size_t missed, n = et_watch_seqs(out, seqs, 16, &missed);
	ZST_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == 4 && seqs[0] == seen[0].seq &&
	    seqs[1] == seen[1].seq && seqs[2] == seen[2].seq && seqs[3] == seen[3].seq && missed == 0,
	    "zswatch fills a gap in the feed from Replay: #%" PRIu64 " #%" PRIu64 " #%" PRIu64 " #%" PRIu64,
	    n > 0 ? seqs[0] : 0, n > 1 ? seqs[1] : 0, n > 2 ? seqs[2] : 0, n > 3 ? seqs[3] : 0);
	if (n != 4)
		zst_note("zswatch said:\n%s", out);
}

static int
et_config(et *t, const char *value)
{
	if (value == NULL) {
		Zs__Config__V1__ResetConfigRequest req = ZS__CONFIG__V1__RESET_CONFIG_REQUEST__INIT;
		req.category = "event";
		req.name = "retention";
		return et_call(t, t->admin, "zs.config.v1.GlobalConfig/Reset", &req,
		    &zs__config__v1__config_info__descriptor, NULL);
	}
	Zs__Config__V1__UpdateConfigRequest req = ZS__CONFIG__V1__UPDATE_CONFIG_REQUEST__INIT;
	req.category = "event";
	req.name = "retention";
	req.value = (char *) value;
	return et_call(t, t->admin, "zs.config.v1.GlobalConfig/Update", &req,
	    &zs__config__v1__config_info__descriptor, NULL);
}

static void
test_retention(et *t)
{
	et_event ev[ET_MAX];
	size_t n;
	uint64_t last;
	bool more;
	ZST_CHECK(et_config(t, "1s") == ZS_CLIENT_OK, "event/retention set to 1s (%s)", t->msg);
	zst_sleep_ms(3500);   /* older than 1 s, and a sweep (every second at this retention) */
	int code = et_replay(t, t->admin, 0, 0, 0, NULL, 0, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(code == ZS_CLIENT_OK && n == 0, "the sweep deleted every event older than 1 s "
	    "(%zu left)", n);
	et_drain(t);
	ZST_CHECK(et_emit(t, t->admin, "evt/fresh", 1, false, 0, "fresh") == ZS_CLIENT_OK,
	    "a new event (%s)", t->msg);
	et_event live[1];
	size_t got = et_receive(t, live, 1, 3000);
	code = et_replay(t, t->admin, 0, 0, 0, NULL, 0, ev, ET_MAX, &n, &last, &more);
	ZST_CHECK(got == 1 && code == ZS_CLIENT_OK && n == 1 && ev[0].seq == live[0].seq &&
	    live[0].seq > seen[n_seen - 1].seq, "it is kept, with a later sequence than the swept "
	    "ones (sequences are never reused)");
	ZST_CHECK(et_config(t, NULL) == ZS_CLIENT_OK, "event/retention reset (%s)", t->msg);
	ZST_CHECK(et_config(t, "500ms") != ZS_CLIENT_OK, "a retention under 1s is refused (%s)", t->msg);
}

/* Makes account name and logs it in: the session into session. */
static bool
et_account(et *t, const char *name, char *session, size_t len)
{
	Zs__Identity__V1__CreateAccountRequest req = ZS__IDENTITY__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.name = (char *) name;
	req.password = ET_USER_PASSWORD;
	return et_call(t, t->admin, "zs.identity.v1.Identity/CreateAccount", &req,
	    &zs__identity__v1__account_info__descriptor, NULL) == ZS_CLIENT_OK &&
	    et_login(t, name, ET_USER_PASSWORD, session, len) == ZS_CLIENT_OK;
}

/* Everything both feeds sent for wait_ms, as one text (frames NUL-separated; caller
 * frees); *bodies counts protobuf frames with a body or body_json. */
static char *
et_feeds_read(et *t, nng_socket json, int wait_ms, int *frames, int *bodies)
{
	size_t cap = 1 << 16, len = 0;
	char *all = calloc(1, cap);
	*frames = *bodies = 0;
	int64_t until = zst_now_ms() + wait_ms;
	while (all != NULL && zst_now_ms() < until) {
		nng_socket socks[2] = { t->sub, json };
		for (int k = 0; k < 2; k++) {
			char *buf;
			size_t n;
			if (nng_recv(socks[k], &buf, &n, NNG_FLAG_ALLOC | NNG_FLAG_NONBLOCK) != 0)
				continue;
			(*frames)++;
			size_t tl = strnlen(buf, n);
			if (k == 0 && tl < n) {
				Zs__Rpc__V1__Event *e = zs__rpc__v1__event__unpack(NULL, n - tl - 1,
				    (uint8_t *) buf + tl + 1);
				if (e != NULL && (e->body.len > 0 || e->body_json[0] != '\0'))
					(*bodies)++;
				if (e != NULL)
					zs__rpc__v1__event__free_unpacked(e, NULL);
			}
			if (len + n + 1 < cap) {
				memcpy(all + len, buf, n);
				len += n + 1;   /* a NUL between frames */
			}
			nng_free(buf, n);
		}
		zst_sleep_ms(5);
	}
	return all;
}

/* Whether needle is anywhere in the len bytes of hay (NULs included). */
static bool
et_bytes_have(const char *hay, size_t len, const char *needle)
{
	return hay != NULL && memmem(hay, len, needle, strlen(needle)) != NULL;
}

/*
 * What a subscriber learns. One account's events (a kept one and a live one) carry secrets
 * in their bodies: the open feeds (protobuf and JSON, no session) carry no body; Recent
 * gives the whole event to that account and nothing to another; zswatch with the owner's
 * session prints the bodies, and with another account's prints neither event.
 */
static void
test_isolation(et *t, const char *zswatch)
{
	char carol[128] = "", dave[128] = "";
	if (!ZST_CHECK(et_account(t, "events-carol", carol, sizeof carol) &&
	    et_account(t, "events-dave", dave, sizeof dave), "two more accounts log in (%s)", t->msg))
		return;
	nng_socket json;
	if (!ZST_CHECK(nng_sub0_open(&json) == 0 && nng_socket_set(json, NNG_OPT_SUB_SUBSCRIBE, "", 0)
	    == 0 && nng_dial(json, t->node.json_url, NULL, 0) == 0, "a sub socket on the JSON feed"))
		return;
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "'%s' --url '%s' --rpc-url '%s' --session '%s' --count 2 "
	    "--timeout 8000 evt/iso echo/iso 2>&1", zswatch, t->node.json_url, t->node.rpc_url, carol);
	FILE *own = popen(cmd, "r");
	snprintf(cmd, sizeof cmd, "'%s' --url '%s' --rpc-url '%s' --session '%s' --timeout 3000 "
	    "evt/iso echo/iso 2>&1", zswatch, t->node.json_url, t->node.rpc_url, dave);
	FILE *other = popen(cmd, "r");
	zst_sleep_ms(600);   /* the subscriptions reach the node */
	et_drain(t);

	ZST_CHECK(et_emit(t, carol, "evt/iso", 1, false, 0, "carol-secret-kept") == ZS_CLIENT_OK,
	    "carol writes a kept event (%s)", t->msg);
	Zs__Echo__V1__PublishRequest pub = ZS__ECHO__V1__PUBLISH_REQUEST__INIT;
	pub.topic = "echo/iso";
	pub.text = "carol-secret-live";
	ZST_CHECK(et_call(t, carol, "zs.echo.v1.Echo/Publish", &pub,
	    &zs__echo__v1__publish_reply__descriptor, NULL) == ZS_CLIENT_OK,
	    "carol publishes a live event (%s)", t->msg);

	int frames, bodies;
	char *feeds = et_feeds_read(t, json, 1500, &frames, &bodies);
	ZST_CHECK(frames >= 4 && bodies == 0 && !et_bytes_have(feeds, 1 << 16, "carol-secret"),
	    "the open feeds carry the events' headers and nothing of their bodies (%d frames, %d "
	    "with a body)", frames, bodies);
	free(feeds);
	nng_close(json);

	/* Recent, by the live sequences the feed gave */
	uint64_t kept_seq = 0, live_seq = 0;
	for (uint64_t s = 1; s < 4096 && (kept_seq == 0 || live_seq == 0); s++) {
		Zs__Rpc__V1__Event *e = zst_event_fetch(t->node.rpc_url, t->admin, s);
		if (e == NULL)
			continue;
		if (strcmp(e->topic, "evt/iso") == 0)
			kept_seq = s;
		else if (strcmp(e->topic, "echo/iso") == 0)
			live_seq = s;
		zs__rpc__v1__event__free_unpacked(e, NULL);
	}
	Zs__Rpc__V1__Event *mine = zst_event_fetch(t->node.rpc_url, carol, live_seq);
	Zs__Rpc__V1__Event *mine_kept = zst_event_fetch(t->node.rpc_url, carol, kept_seq);
	Zs__Rpc__V1__Event *theirs = zst_event_fetch(t->node.rpc_url, dave, live_seq);
	Zs__Rpc__V1__Event *theirs_kept = zst_event_fetch(t->node.rpc_url, dave, kept_seq);
	ZST_CHECK(mine != NULL && strstr(mine->body_json, "carol-secret-live") != NULL &&
	    mine_kept != NULL && strstr(mine_kept->body_json, "carol-secret-kept") != NULL,
	    "Recent gives carol her two events in full (live #%" PRIu64 ", kept #%" PRIu64 ")",
	    live_seq, kept_seq);
	ZST_CHECK(live_seq != 0 && kept_seq != 0 && theirs == NULL && theirs_kept == NULL,
	    "and another account nothing of them");
	zs__rpc__v1__event__free_unpacked(mine, NULL);
	zs__rpc__v1__event__free_unpacked(mine_kept, NULL);
	zs__rpc__v1__event__free_unpacked(theirs, NULL);
	zs__rpc__v1__event__free_unpacked(theirs_kept, NULL);

	char out[8192] = "", out2[8192] = "";
	size_t n = own != NULL ? fread(out, 1, sizeof out - 1, own) : 0;
	out[n] = '\0';
	int st = own != NULL ? pclose(own) : -1;
	ZST_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && strstr(out, "carol-secret-kept") &&
	    strstr(out, "carol-secret-live"), "zswatch with carol's session prints both her events "
	    "with their bodies:\n%s", out);
	n = other != NULL ? fread(out2, 1, sizeof out2 - 1, other) : 0;
	out2[n] = '\0';
	if (other != NULL)
		pclose(other);
	ZST_CHECK(other != NULL && strstr(out2, "carol-secret") == NULL && strstr(out2, "evt/iso") ==
	    NULL && strstr(out2, "echo/iso") == NULL, "zswatch with another account's session prints "
	    "neither:\n%s", out2);
}

/* Receives on t's feed until an event under topic came (others are dropped) or wait_ms
 * passed; true when it came, *seq its log sequence. */
static bool
et_receive_topic(et *t, const char *topic, int wait_ms, uint64_t *seq)
{
	int64_t until = zst_now_ms() + wait_ms;
	et_event ev[1];
	while (zst_now_ms() < until)
		if (et_receive(t, ev, 1, (int) (until - zst_now_ms())) == 1 && strcmp(ev[0].topic, topic) == 0) {
			*seq = ev[0].seq;
			return true;
		}
	return false;
}

/* A second node on the first one's database: each sends the events the other's
 * transactions wrote, at once (the sender that numbers a batch notifies the others). */
static void
test_second_node(et *a, const char *plugins)
{
	char *conninfo = zst_node_pg_conninfo(&a->node), set[1024];
	snprintf(set, sizeof set, "db.url=%s", conninfo != NULL ? conninfo : "");
	const char *sets[] = { set, ET_POLL, NULL };
	static et b;
	if (!ZST_CHECK(conninfo != NULL && zst_node_start(&b.node, plugins, sets) == 0 &&
	    zs_client_open(&b.client, b.node.rpc_url) == 0, "a second node starts on the first one's "
	    "database")) {
		free(conninfo);
		return;
	}
	free(conninfo);
	snprintf(b.admin, sizeof b.admin, "%s", b.node.session);
	ZST_CHECK(et_sub_open(&b) == 0, "subscribed to the second node's feed");
	et_drain(a);

	uint64_t on_a = 0, on_b = 0;
	ZST_CHECK(et_emit(a, a->admin, "evt/two-a", 1, false, 0, "from a") == ZS_CLIENT_OK,
	    "node A commits an event (%s)", a->msg);
	int64_t answered = zst_now_ms();
	bool got_b = et_receive_topic(&b, "evt/two-a", 5000, &on_b);
	int64_t took = zst_now_ms() - answered;
	bool got_a = et_receive_topic(a, "evt/two-a", 5000, &on_a);
	ZST_CHECK(got_b && got_a && on_a == on_b, "node B sends it too, %lld ms after A answered, "
	    "with the same log sequence (A #%" PRIu64 ", B #%" PRIu64 ")", (long long) took, on_a, on_b);

	ZST_CHECK(et_emit(&b, b.admin, "evt/two-rb", 1, true, 0, "never") == ZS_CLIENT_OK &&
	    et_emit(&b, b.admin, "evt/two-b", 1, false, 0, "from b") == ZS_CLIENT_OK,
	    "node B rolls back one event, then commits one (%s)", b.msg);
	answered = zst_now_ms();
	uint64_t rb = 0;
	got_a = et_receive_topic(a, "evt/two-b", 5000, &on_a);
	took = zst_now_ms() - answered;
	got_b = et_receive_topic(&b, "evt/two-b", 5000, &on_b);
	ZST_CHECK(got_a && got_b && on_a == on_b && on_a > 0, "node A sends B's event, %lld ms after B "
	    "answered (A #%" PRIu64 ", B #%" PRIu64 ")", (long long) took, on_a, on_b);
	et_event kept[4];
	size_t n_kept = 99;
	uint64_t last;
	bool more;
	bool arrived = et_receive_topic(a, "evt/two-rb", 1000, &rb);
	int code = et_replay(a, a->admin, 0, 0, 0, "evt/two-rb", 0, kept, 4, &n_kept, &last, &more);
	ZST_CHECK(!arrived && code == ZS_CLIENT_OK && n_kept == 0,
	    "the rolled-back event never reaches node A's feed and is not in the log (%zu kept)", n_kept);

	nng_close(b.sub);
	zs_client_close(b.client);
	ZST_CHECK(zst_node_stop(&b.node) == 0, "the second node stops cleanly");
	zst_node_cleanup(&b.node);
}

/* A plugins folder: links to every built plugin and to the evtest plugin. */
static int
et_plugins_dir(char *dir, size_t len, const char *built, const char *evtest)
{
	if (zst_mkdtemp(dir, len) != 0)
		return -1;
	const char *from[2] = { built, evtest };
	for (int k = 0; k < 2; k++) {
		DIR *dh = opendir(from[k]);
		struct dirent *de;
		if (dh == NULL)
			return -1;
		char *real = realpath(from[k], NULL);
		while ((de = readdir(dh)) != NULL) {
			char src[PATH_MAX], dst[PATH_MAX];
			if (de->d_name[0] == '.')
				continue;
			snprintf(src, sizeof src, "%s/%s", real ? real : from[k], de->d_name);
			snprintf(dst, sizeof dst, "%s/%s", dir, de->d_name);
			if (symlink(src, dst) != 0) {
				free(real);
				closedir(dh);
				return -1;
			}
		}
		free(real);
		closedir(dh);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: events_test ZSNODE PLUGINS_DIR EVTEST_DIR ZSWATCH\n");
		return 2;
	}
	if (zst_init(argc, argv, "events", 170) != 0)
		return 1;
	static et t;
	char plugins[256];
	if (!ZST_CHECK(et_plugins_dir(plugins, sizeof plugins, argv[2], argv[3]) == 0,
	    "a plugins folder with the built plugins and evtest") ||
	    !ZST_CHECK(zst_node_start(&t.node, plugins, (const char *const[]) { ET_POLL, NULL }) == 0 &&
	    zs_client_open(&t.client, t.node.rpc_url) == 0, "zsnode starts with the evtest plugin")) {
		zst_rmtree(plugins);
		return zst_summary();
	}
	snprintf(t.admin, sizeof t.admin, "%s", t.node.session);
	ZST_CHECK(et_sub_open(&t) == 0, "subscribed to the protobuf feed");
	int64_t t0 = et_wall_ms();
	test_commit_rollback(&t);
	test_out_of_order(&t);
	if (n_seen >= 8) {
		test_replay(&t, t0);
		test_accounts(&t);
		test_isolation(&t, argv[4]);
		test_zswatch_gap(&t, argv[4]);
		test_zswatch_since(&t, argv[4]);
		test_retention(&t);
		test_second_node(&t, plugins);
	}
	nng_close(t.sub);
	zs_client_close(t.client);
	ZST_CHECK(zst_node_stop(&t.node) == 0, "the node stops cleanly");
	zst_node_cleanup(&t.node);
	zst_rmtree(plugins);
	return zst_summary();
}
