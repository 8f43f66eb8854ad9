/*
 * zs_event_replay.c: zs.event.v1.Events/Replay: the event log read back in log sequence
 * order, from a sequence and/or a time, under topic prefixes, with a limit. Like every
 * read it is filtered by the caller's account: an admin gets every event, anyone else
 * only events whose owner is its account, and nothing in the answer (last_sequence
 * included) depends on events it may not see.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/call.h"
#include "zs/db.h"
#include "zs_outbox.h"

#define REPLAY_DEFAULT_LIMIT 1000
#define REPLAY_MAX_LIMIT 10000
#define REPLAY_MAX_PREFIXES 16

/* Checks the request; fails the call and returns false when it is bad. */
static bool
replay_check(zs_call *call, const Zs__Event__V1__ReplayRequest *in)
{
	if (in->limit > REPLAY_MAX_LIMIT) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "limit is at most %d", REPLAY_MAX_LIMIT);
		return false;
	}
	if (in->since != NULL && (in->since->seconds < 0 || in->since->nanos < 0 ||
	    in->since->nanos > 999999999 || in->since->seconds > 253402300799LL)) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "since must be a time from 1970 to 9999");
		return false;
	}
	if (in->to_sequence != 0 && in->to_sequence <= in->from_sequence) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "to_sequence must be above from_sequence");
		return false;
	}
	if (in->n_topic_prefixes > REPLAY_MAX_PREFIXES) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "at most %d topic prefixes",
		    REPLAY_MAX_PREFIXES);
		return false;
	}
	for (size_t i = 0; i < in->n_topic_prefixes; i++)
		if (strlen(in->topic_prefixes[i]) > ZS_OUTBOX_TOPIC_MAX) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "a topic prefix is at most %d bytes",
			    ZS_OUTBOX_TOPIC_MAX);
			return false;
		}
	return true;
}

/* The query, with $7.. for the prefixes. */
static void
replay_sql(char *sql, size_t len, size_t n_prefixes)
{
	size_t o = (size_t) snprintf(sql, len, "SELECT " ZS_EVENT_ROW_COLUMNS " FROM zs_event_log "
	    "WHERE seq > $1::bigint AND ($2::bigint = 0 OR seq <= $2::bigint) "
	    "AND ($3::bigint = 0 OR time_ms >= $3::bigint) AND ($4::boolean OR owner_uuid = $5)");
	for (size_t i = 0; i < n_prefixes && o < len; i++)
		o += (size_t) snprintf(sql + o, len - o, "%s starts_with(topic, $%zu)",
		    i == 0 ? " AND (" : " OR", i + 7);
	if (n_prefixes > 0 && o < len)
		o += (size_t) snprintf(sql + o, len - o, ")");
	if (o < len)
		snprintf(sql + o, len - o, " ORDER BY seq LIMIT $6::integer");
}

static void
event_replay(Zs__Event__V1__Events_Service *svc, const Zs__Event__V1__ReplayRequest *in,
    Zs__Event__V1__ReplayResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	if (!replay_check(call, in))
		return;
	unsigned limit = in->limit ? in->limit : REPLAY_DEFAULT_LIMIT;
	char from[24], to[24], since[24], lim[16];
	snprintf(from, sizeof from, "%llu", (unsigned long long) in->from_sequence);
	snprintf(to, sizeof to, "%llu", (unsigned long long) in->to_sequence);
	/* the log keeps milliseconds since the epoch */
	snprintf(since, sizeof since, "%lld", in->since == NULL ? 0LL :
	    (long long) in->since->seconds * 1000 + in->since->nanos / 1000000);
	snprintf(lim, sizeof lim, "%u", limit + 1);   /* one more says whether there is more */
	const char *params[6 + REPLAY_MAX_PREFIXES] = { from, to, since,
		zs_call_admin(call) ? "t" : "f", zs_call_account(call), lim };
	for (size_t i = 0; i < in->n_topic_prefixes; i++)
		params[6 + i] = in->topic_prefixes[i];
	char sql[2048];
	replay_sql(sql, sizeof sql, in->n_topic_prefixes);

	zs_db *db = zs_outbox_db(zs_call_service_data(call));
	zs_db_conn *c;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	PGresult *r = zs_db_exec(c, sql, 6 + (int) in->n_topic_prefixes, params, &st);
	zs_db_release(db, c);
	if (r == NULL) {
		zs_call_fail_status(call, st);
		return;
	}
	int rows = PQntuples(r);
	size_t n = rows > (int) limit ? limit : (size_t) rows;
	Zs__Rpc__V1__Event *events = calloc(n + 1, sizeof *events);
	Zs__Rpc__V1__Event **ptrs = calloc(n + 1, sizeof *ptrs);
	unsigned char **bodies = calloc(n + 1, sizeof *bodies);
	bool ok = events != NULL && ptrs != NULL && bodies != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		ok = zs_event_row(r, (int) i, &events[i], &bodies[i]) == 0;
		ptrs[i] = &events[i];
	}
	if (ok) {
		Zs__Event__V1__ReplayResponse out = ZS__EVENT__V1__REPLAY_RESPONSE__INIT;
		out.events = ptrs;
		out.n_events = n;
		out.last_sequence = n > 0 ? events[n - 1].log_sequence : in->from_sequence;
		out.more = rows > (int) limit;
		closure(&out, closure_data);
	} else {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory replaying %zu events", n);
	}
	for (size_t i = 0; bodies != NULL && i < n; i++)
		PQfreemem(bodies[i]);
	free(bodies);
	free(ptrs);
	free(events);
	PQclear(r);
}

Zs__Event__V1__Events_Service zs_event_service = {
	ZS__EVENT__V1__EVENTS__BASE_INIT,
	event_replay,
	zs_event_recent,
};
