/*
 * zswatch_follow.c: following the feed without a gap or a duplicate. Events of the event
 * log carry a log sequence that is gap-free over all topics, so zswatch subscribes to
 * every topic and filters by prefix itself: then any jump in log sequence is a missed
 * event. With --since it first replays (while the subscription, made before, buffers live
 * events), then skips live events at or below the last log sequence replayed. A later
 * jump is filled from Replay (events after the last seen, up to the one before the jump)
 * before the event that showed it; without a session it is reported instead.
 *
 * The feed carries headers only (anyone may connect to it). With a session each live
 * event is fetched whole from Events/Recent (by its live sequence; a kept one the node no
 * longer holds there, from Replay by log sequence), which answers only what the session's
 * account may see: events of other accounts are skipped. Without a session the header is
 * printed, without a body.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "zswatch.h"

int
zswatch_follow_init(zswatch_follow *f, int as_json, char *const *prefixes, int n_prefixes,
    long count, zswatch_rpc *rpc)
{
	memset(f, 0, sizeof *f);
	f->as_json = as_json;
	f->prefixes = prefixes;
	f->n_prefixes = n_prefixes;
	f->count = count;
	f->rpc = rpc;
	return zswatch_seen_init(&f->seen);
}

void
zswatch_follow_fini(zswatch_follow *f)
{
	zswatch_seen_fini(&f->seen);
}

bool
zswatch_follow_done(const zswatch_follow *f)
{
	return f->count > 0 && f->printed >= f->count;
}

static bool
zswatch_follow_match(const zswatch_follow *f, const char *topic)
{
	if (f->n_prefixes == 0)
		return true;
	for (int i = 0; i < f->n_prefixes; i++)
		if (strncmp(topic, f->prefixes[i], strlen(f->prefixes[i])) == 0)
			return true;
	return false;
}

static void
zswatch_follow_show(zswatch_follow *f, const json_t *event)
{
	if (zswatch_follow_done(f) || !zswatch_follow_match(f, zswatch_str(event, "topic")))
		return;
	zswatch_event_print(&f->seen, event, f->as_json);
	f->printed++;
}

/* A replayed event: printed unless already seen. */
static void
zswatch_follow_replayed(const json_t *event, void *arg)
{
	zswatch_follow *f = arg;
	uint64_t seq = zswatch_u64(event, "logSequence");
	if (f->have_log && seq <= f->last_log)
		return;
	zswatch_follow_show(f, event);
	f->last_log = seq;
	f->have_log = true;
}

/* The one kept event replayed in place of a live one Recent no longer holds. */
static void
zswatch_follow_replayed_one(const json_t *event, void *arg)
{
	zswatch_follow_show(arg, event);
}

int
zswatch_follow_since(zswatch_follow *f, uint64_t from, int64_t since_ms)
{
	char err[512];
	uint64_t last;
	f->since_ms = since_ms;
	if (zswatch_replay(f->rpc, from, 0, since_ms, f->prefixes, f->n_prefixes,
	    zswatch_follow_replayed, f, &last, err, sizeof err) != 0) {
		fprintf(stderr, "zswatch: %s\n", err);
		return -1;
	}
	if (!f->have_log || last > f->last_log)
		f->last_log = last;
	f->have_log = true;
	return 0;
}

/* Events after last_log and before seq were missed: replays them, or says so. */
static void
zswatch_follow_fill(zswatch_follow *f, uint64_t seq)
{
	char err[512];
	uint64_t last, first = f->last_log + 1;
	if (f->rpc != NULL && zswatch_replay(f->rpc, f->last_log, seq - 1, f->since_ms, f->prefixes,
	    f->n_prefixes, zswatch_follow_replayed, f, &last, err, sizeof err) == 0)
		return;
	if (f->rpc == NULL)
		snprintf(err, sizeof err, "no Replay");
	printf("! missed %" PRIu64 " kept event(s), log %" PRIu64 " to %" PRIu64 " (%s)\n",
	    seq - first, first, seq - 1, err);
	fflush(stdout);
}

void
zswatch_follow_frame(zswatch_follow *f, const char *frame, size_t len)
{
	json_t *event = zswatch_frame_event(frame, len);
	if (event == NULL)
		return;
	uint64_t seq = zswatch_u64(event, "logSequence");
	if (seq != 0) {
		if (f->have_log && seq <= f->last_log) {   /* already replayed */
			json_decref(event);
			return;
		}
		if (f->have_log && seq > f->last_log + 1)
			zswatch_follow_fill(f, seq);
		f->last_log = seq;
		f->have_log = true;
	}
	if (f->rpc == NULL || f->rpc->session == NULL) {
		if (!f->told_headers)
			fprintf(stderr, "zswatch: no session: events print without their body (log in "
			    "with `zsctl login`, or give --session or $ZS_SESSION)\n");
		f->told_headers = true;
		zswatch_follow_show(f, event);
		json_decref(event);
		return;
	}
	if (!zswatch_follow_match(f, zswatch_str(event, "topic"))) {
		json_decref(event);
		return;
	}
	char err[512] = "";
	uint64_t oldest = 0, live = zswatch_u64(event, "sequence");
	json_t *full = live != 0 ? zswatch_recent(f->rpc, live, &oldest, err, sizeof err) : NULL;
	if (full == NULL && err[0] == '\0' && seq != 0 && (live == 0 || live < oldest)) {
		uint64_t last;   /* not in Recent (gone, or no live number), still kept: Replay */
		zswatch_replay(f->rpc, seq - 1, seq, 0, f->prefixes, f->n_prefixes,
		    zswatch_follow_replayed_one, f, &last, err, sizeof err);
	} else if (full != NULL) {
		zswatch_follow_show(f, full);
	} else if (err[0] != '\0') {
		/* the node cannot say: the header, as the feed gave it */
		if (!f->told_headers)
			fprintf(stderr, "zswatch: cannot fetch events in full (%s): printing what the "
			    "feed carries\n", err);
		f->told_headers = true;
		zswatch_follow_show(f, event);
	}
	json_decref(full);
	json_decref(event);
}
