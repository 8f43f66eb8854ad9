/*
 * zs_outbox_sender.c: the thread that sends the event log. It owns one connection outside
 * the pool, which LISTENs on ZS_OUTBOX_CHANNEL, and loops:
 *
 *   number  rows committed without seq get the next log sequences, in id order, under
 *           the row lock of zs_event_counter (one transaction: rows and counter move
 *           together, so sequences are gap-free even with many nodes and with
 *           transactions that committed out of id order); when it numbered rows, that
 *           transaction also NOTIFYs ZS_OUTBOX_CHANNEL, once per batch, for the others;
 *   send    rows with seq > the last this node sent, in seq order, on both pub sockets;
 *   sweep   rows older than event/retention that this node has sent;
 *   wait    for a poke (a commit on this node that wrote events: zs_events_log_committed,
 *           from the writer right after its commit), another node's notification (it
 *           numbered rows), the poll period (property event.poll: a safety net for a
 *           commit nobody told of, e.g. of a node that died before its sender ran), or
 *           the stop.
 *
 * Writers do not NOTIFY: PostgreSQL takes one lock for every notifying commit and holds it
 * through the commit's WAL flush, so commits that wrote events would run one at a time.
 * Every node sends every row of the log, so a subscriber of any node sees every node's
 * events. At start a node sends from the counter's value then: rows committed while no
 * sender ran are numbered and sent; rows a previous run numbered but did not send are only
 * in Replay. The pub sockets exist before the module is made.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <jansson.h>

#include "zs/config.h"
#include "zs/log.h"
#include "zs_props.h"
#include "zs_units.h"
#include "zs_db.h"
#include "zs_events.h"
#include "zs/clock.h"
#include "zs_router.h"
#include "zs_outbox.h"

#define SENDER_RETRY_MS 1000       /* reconnecting */
#define SENDER_BATCH 500           /* rows numbered or sent per statement */
#define SENDER_STR_(x) #x
#define SENDER_STR(x) SENDER_STR_(x)
#define SENDER_DEFAULT_RETENTION_MS (24LL * 3600 * 1000)

struct zs_outbox {
	void *self;                /* what the Replay handler gets as service data */
	zs_outbox_env env;
	zs_db *db;                 /* from start on */
	pthread_t thread;
	bool running;
	int64_t poll_ms;           /* event.poll */
	int wake[2];               /* a byte on wake[1] wakes the thread (both ends non-blocking) */
	atomic_bool poked;         /* a byte is on its way: later pokes need not write one */
	atomic_bool stopping;      /* the thread ends at its next wake */
	PGconn *pg;                /* the thread's; NULL while disconnected */
	bool positioned;           /* sent is set */
	uint64_t sent;             /* the last log sequence this node sent */
	int64_t last_sweep_ms;     /* monotonic; 0: never */
	bool told;                 /* an outage was logged */
};

static int
sender_connect(zs_outbox *ob)
{
	zs_status *st = NULL;
	ob->pg = zs_db_listen_connect(ob->db, ZS_OUTBOX_CHANNEL, &st);
	if (ob->pg == NULL) {
		if (!ob->told)
			zs_log(ZS_LOG_WARN, "event", "the event sender cannot listen (%s); "
			    "trying again every %d ms", st ? st->message : "out of memory", SENDER_RETRY_MS);
		ob->told = true;
		zs_status_free(st);
		return -1;
	}
	ob->told = false;
	return 0;
}

/* A failed statement: drops a broken connection (the loop reconnects), logs the rest. */
static void
sender_failed(zs_outbox *ob, const char *what, PGresult *r)
{
	zs_log(ZS_LOG_WARN, "event", "the event sender could not %s: %s", what,
	    r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(ob->pg));
	PQclear(r);
	if (PQstatus(ob->pg) != CONNECTION_OK) {
		PQfinish(ob->pg);
		ob->pg = NULL;
	} else if (PQtransactionStatus(ob->pg) != PQTRANS_IDLE) {
		PQclear(PQexec(ob->pg, "ROLLBACK"));
	}
}

/* Where this node starts sending: the counter now. 0 or -1. */
static int
sender_position(zs_outbox *ob)
{
	PGresult *r = PQexec(ob->pg, "SELECT last_seq FROM zs_event_counter");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		sender_failed(ob, "read the event counter", r);
		return -1;
	}
	ob->sent = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	ob->positioned = true;
	PQclear(r);
	return 0;
}

/* Numbers up to SENDER_BATCH committed rows. How many, or -1. */
static int
sender_number(zs_outbox *ob)
{
	PGresult *r = PQexec(ob->pg, "SELECT EXISTS (SELECT 1 FROM zs_event_log WHERE seq IS NULL)");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		sender_failed(ob, "look for new events", r);
		return -1;
	}
	bool any = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!any)
		return 0;
	r = PQexec(ob->pg, "BEGIN");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		sender_failed(ob, "begin numbering events", r);
		return -1;
	}
	PQclear(r);
	/* the lock first: the next statement's snapshot then sees the rows another node's
	 * sender numbered before it let go */
	r = PQexec(ob->pg, "SELECT last_seq FROM zs_event_counter FOR UPDATE");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		sender_failed(ob, "lock the event counter", r);
		return -1;
	}
	char base[24];
	snprintf(base, sizeof base, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *params[1] = { base };
	r = PQexecParams(ob->pg,
	    "WITH r AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM zs_event_log "
	    "  WHERE seq IS NULL ORDER BY id LIMIT " SENDER_STR(SENDER_BATCH) "), "
	    "u AS (UPDATE zs_event_log e SET seq = $1::bigint + r.n FROM r WHERE e.id = r.id "
	    "  RETURNING 1) "
	    "UPDATE zs_event_counter SET last_seq = $1::bigint + (SELECT count(*) FROM u) "
	    "RETURNING last_seq - $1::bigint", 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		sender_failed(ob, "number events", r);
		return -1;
	}
	int n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	/* the other nodes' senders send these rows too: one notification for the batch,
	 * delivered when (and only if) the numbering commits */
	if (n > 0) {
		r = PQexec(ob->pg, "NOTIFY " ZS_OUTBOX_CHANNEL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			sender_failed(ob, "notify the other nodes", r);
			return -1;
		}
		PQclear(r);
	}
	r = PQexec(ob->pg, "COMMIT");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		sender_failed(ob, "commit numbered events", r);
		return -1;
	}
	PQclear(r);
	return n;
}

/* Sends up to SENDER_BATCH numbered rows after ob->sent. How many, or -1. */
static int
sender_send(zs_outbox *ob)
{
	char after[24];
	snprintf(after, sizeof after, "%llu", (unsigned long long) ob->sent);
	const char *params[1] = { after };
	PGresult *r = PQexecParams(ob->pg, "SELECT " ZS_EVENT_ROW_COLUMNS " FROM zs_event_log "
	    "WHERE seq > $1::bigint ORDER BY seq LIMIT " SENDER_STR(SENDER_BATCH), 1, NULL, params, NULL,
	    NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		sender_failed(ob, "read events to send", r);
		return -1;
	}
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		Zs__Rpc__V1__Event e;
		unsigned char *body;
		if (zs_event_row(r, i, &e, &body) != 0) {
			zs_log(ZS_LOG_ERROR, "event", "out of memory sending event %s",
			    PQgetvalue(r, i, 0));
			n = i;
			break;
		}
		if (e.log_sequence != ob->sent + 1)
			zs_log(ZS_LOG_WARN, "event", "events %llu to %llu were swept away "
			    "before this node sent them", (unsigned long long) ob->sent + 1,
			    (unsigned long long) e.log_sequence - 1);
		/* the feeds get the header; the owner and admins the rest, from Recent */
		if (zs_events_send(ob->env.events, &e, PQgetvalue(r, i, ZS_EVENT_ROW_OWNER)) != 0)
			zs_log(ZS_LOG_WARN, "event", "cannot send event %llu (%s)",
			    (unsigned long long) e.log_sequence, e.topic);
		PQfreemem(body);
		ob->sent = e.log_sequence;
	}
	PQclear(r);
	return n;
}

/* Deletes rows older than event/retention, once per period (a tenth of the retention,
 * from 1 s to 1 min; read each time, so a changed retention applies at once). How many ms
 * until the next one is due. */
static int64_t
sender_sweep(zs_outbox *ob)
{
	int64_t now = zs_clock_ms();
	int64_t keep = 0;
	if (zs_config_duration_ms(ob->env.config, ZS_OUTBOX_CONFIG_CATEGORY,
	    ZS_OUTBOX_CONFIG_RETENTION, &keep, NULL) != 0 || keep <= 0)
		keep = SENDER_DEFAULT_RETENTION_MS;
	int64_t period = keep / 10;
	period = period < 1000 ? 1000 : period > 60000 ? 60000 : period;
	if (ob->last_sweep_ms != 0 && now - ob->last_sweep_ms < period)
		return ob->last_sweep_ms + period - now;
	ob->last_sweep_ms = now;
	char before[24], sent[24];
	snprintf(before, sizeof before, "%lld", (long long) (zs_clock_wall_ms() - keep));
	snprintf(sent, sizeof sent, "%llu", (unsigned long long) ob->sent);
	const char *params[2] = { before, sent };
	PGresult *r = PQexecParams(ob->pg, "DELETE FROM zs_event_log WHERE time_ms < $1::bigint "
	    "AND seq IS NOT NULL AND seq <= $2::bigint", 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		sender_failed(ob, "sweep old events", r);
		return period;
	}
	if (atoi(PQcmdTuples(r)) > 0)
		zs_log(ZS_LOG_DEBUG, "event", "swept %s events older than %lld ms",
		    PQcmdTuples(r), (long long) keep);
	PQclear(r);
	return period;
}

/* Numbers and sends until nothing is left. */
static void
sender_pump(zs_outbox *ob)
{
	for (;;) {
		int numbered = sender_number(ob);
		if (numbered < 0 || ob->pg == NULL)
			return;
		int sent = sender_send(ob);
		if (sent < 0 || ob->pg == NULL)
			return;
		if (numbered == 0 && sent == 0)
			return;
	}
}

/* Reads what arrived; the notifications themselves say nothing but "look". True when one
 * came from another session (this sender's own, for rows it sent already, are skipped). */
static bool
sender_drain(zs_outbox *ob)
{
	if (!PQconsumeInput(ob->pg)) {
		sender_failed(ob, "read notifications", NULL);
		return true;
	}
	bool others = false;
	PGnotify *n;
	while ((n = PQnotifies(ob->pg)) != NULL) {
		others = others || n->be_pid != PQbackendPID(ob->pg);
		PQfreemem(n);
	}
	return others;
}

/* Empties the wake pipe, then takes the poke back: a commit after this writes a new byte,
 * and one before it is seen by the pump that follows. */
static void
sender_unpoke(zs_outbox *ob)
{
	char buf[64];
	while (read(ob->wake[0], buf, sizeof buf) > 0)
		;
	atomic_store(&ob->poked, false);
}

/* Waits on the pipe and pg (NULL: the pipe only) for up to timeout_ms. True when told to
 * look at the log: a poke (or the stop), another node's notification. */
static bool
sender_wait(zs_outbox *ob, PGconn *pg, int64_t timeout_ms)
{
	int w = zs_db_listen_wait(ob->wake[0], pg, (int) (timeout_ms > 0 ? timeout_ms : 0));
	if (w < 0) {           /* the pipe: a poke or the stop */
		sender_unpoke(ob);
		return true;
	}
	return w > 0 && sender_drain(ob);
}

static void *
sender_main(void *arg)
{
	zs_outbox *ob = arg;
	bool look = true;
	int64_t looked = 0;    /* when the log was last pumped (monotonic ms) */
	while (!atomic_load(&ob->stopping)) {
		if (ob->pg == NULL) {
			look = true;   /* what came while disconnected was told to nobody */
			if (sender_connect(ob) != 0) {
				(void) sender_wait(ob, NULL, SENDER_RETRY_MS);
				continue;
			}
		}
		if (!ob->positioned && sender_position(ob) != 0)
			continue;
		if (look) {
			looked = zs_clock_ms();
			sender_pump(ob);
		}
		int64_t sweep = ob->pg != NULL ? sender_sweep(ob) : 0;
		/* a notification libpq read during the pump wakes no poll: look at it now */
		if (ob->pg != NULL && sender_drain(ob)) {
			look = true;
			continue;
		}
		if (ob->pg == NULL)
			continue;
		int64_t poll = looked + ob->poll_ms - zs_clock_ms();
		look = sender_wait(ob, ob->pg, poll < sweep ? poll : sweep) ||
		    zs_clock_ms() - looked >= ob->poll_ms;
	}
	return NULL;
}

/* The writer's side (zs_events_log_committed): a commit on this node wrote events. At most
 * one byte is in flight, so a busy node costs one write per pump, not per commit. */
static void
sender_poke(void *arg)
{
	zs_outbox *ob = arg;
	if (atomic_exchange(&ob->poked, true))
		return;
	if (write(ob->wake[1], "p", 1) != 1 && errno != EAGAIN)
		zs_log(ZS_LOG_WARN, "event", "cannot wake the event sender: %s", strerror(errno));
}

/* event.poll: how often the sender looks without being told. */
static int
sender_declare_poll(zs_outbox *ob, char *err, size_t errlen)
{
	zs_props *props = ob->env.props;
	if (zs_props_declare(props, ZS_OUTBOX_PROP_POLL, "1s", "how often the event sender looks "
	    "for committed events nobody told it of (this node's commits wake it at once, other "
	    "nodes' senders notify it)", false, false, "event") != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	const char *v = zs_props_get(props, ZS_OUTBOX_PROP_POLL);
	if (v == NULL || zs_parse_duration_ms(v, &ob->poll_ms) != 0 || ob->poll_ms <= 0 ||
	    ob->poll_ms > INT32_MAX) {
		snprintf(err, errlen, "property " ZS_OUTBOX_PROP_POLL " = \"%s\" is not a duration "
		    "(e.g. 1s)", v != NULL ? v : "");
		return -1;
	}
	return 0;
}

int
zs_outbox_new(zs_outbox **out, const zs_outbox_env *env, char *err, size_t errlen)
{
	zs_outbox *ob = calloc(1, sizeof *ob);
	if (ob == NULL || pipe2(ob->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
		free(ob);
		snprintf(err, errlen, "cannot make the event sender: %s", strerror(errno));
		return -1;
	}
	ob->self = ob;
	ob->env = *env;
	*out = ob;
	if (sender_declare_poll(ob, err, errlen) != 0)
		return -1;
	zs_config_decl retention = {
		.category = ZS_OUTBOX_CONFIG_CATEGORY,
		.name = ZS_OUTBOX_CONFIG_RETENTION,
		.type = "duration",
		.default_value = "24h",
		.description = "how long events written in a transaction are kept for Replay",
		.min = "1s",
		.max = "365d",
	};
	zs_status *st = NULL;
	if (zs_config_declare(env->config, &retention, "event", &st) != 0) {
		snprintf(err, errlen, "%s", st->message);
		zs_status_free(st);
		return -1;
	}
	return zs_router_add_service(zs_rpc_router(env->rpc), &zs_event_service.base, &ob->self,
	    "node", false, err, errlen);
}

int
zs_outbox_start(zs_outbox *ob, zs_db *db, char *err, size_t errlen)
{
	ob->db = db;
	/* LISTEN now, so no notification between start and the first loop goes unnoticed;
	 * without a connection now the thread keeps trying (and its first pump finds every
	 * row) */
	(void) sender_connect(ob);
	if (pthread_create(&ob->thread, NULL, sender_main, ob) != 0) {
		snprintf(err, errlen, "cannot start the event sender thread");
		return -1;
	}
	ob->running = true;
	zs_events_set_log_wake(ob->env.events, sender_poke, ob);
	return 0;
}

void
zs_outbox_stop(zs_outbox *ob)
{
	if (ob == NULL || !ob->running)
		return;
	zs_events_set_log_wake(ob->env.events, NULL, NULL);
	atomic_store(&ob->stopping, true);
	if (write(ob->wake[1], "s", 1) != 1 && errno != EAGAIN)
		zs_log(ZS_LOG_WARN, "event", "cannot wake the event sender");
	pthread_join(ob->thread, NULL);
	ob->running = false;
}

void
zs_outbox_free(zs_outbox *ob)
{
	if (ob == NULL)
		return;
	zs_outbox_stop(ob);
	PQfinish(ob->pg);
	close(ob->wake[0]);
	close(ob->wake[1]);
	free(ob);
}

zs_db *
zs_outbox_db(const zs_outbox *ob)
{
	return ob->db;
}

zs_events *
zs_outbox_events(const zs_outbox *ob)
{
	return ob->env.events;
}
