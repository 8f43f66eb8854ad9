/*
 * zswatch.h: what zswatch's files share: reading and printing one event, the
 * per-(node, topic) sequence memory that spots missed events, Replay over the node's
 * req socket, and following the feed across the replay seam and gaps.
 */
#ifndef ZSWATCH_H
#define ZSWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <nng/nng.h>

/* The last topicSequence seen per node and topic: {nodeId: {topic: sequence}}. */
typedef struct zswatch_seen {
	json_t *nodes;
} zswatch_seen;

int zswatch_seen_init(zswatch_seen *seen);
void zswatch_seen_fini(zswatch_seen *seen);

/* A uint64 field written as a string or a number; 0 when absent or not a number. */
uint64_t zswatch_u64(const json_t *event, const char *key);
/* A string field; "" when absent. */
const char *zswatch_str(const json_t *event, const char *key);

/* The event object of one frame of the JSON feed ("TOPIC {json}"), its topic filled in
 * from the frame when missing (caller json_decref()s); NULL (and why on stderr) for a
 * malformed frame. */
json_t *zswatch_frame_event(const char *frame, size_t len);
/* Prints one event to stdout, after a "! missed N event(s)" line when the topic's
 * sequence jumped (events not kept only: kept ones are checked by log sequence).
 * as_json: the object on one line. */
void zswatch_event_print(zswatch_seen *seen, const json_t *event, int as_json);

/* --- Replay (zswatch_replay.c) --- */

/* The node's req socket and a session, for zs.event.v1.Events/Replay. */
typedef struct zswatch_rpc {
	const char *url;
	char *session;        /* NULL: none found */
	nng_socket sock;
	bool open;
} zswatch_rpc;

/* Finds the session: given, else $ZS_SESSION, else the one `zsctl login` saved. */
void zswatch_rpc_init(zswatch_rpc *rpc, const char *url, const char *session);
void zswatch_rpc_fini(zswatch_rpc *rpc);

/* Called for each replayed event, in order (the object is borrowed). */
typedef void (*zswatch_replay_fn)(const json_t *event, void *arg);

/* Replays the events after from (to 0: up to the newest; since_ms 0: any time) whose
 * topic starts with a prefix (none: any), calling fn for each, asking again while the node
 * says there is more. *last gets where the answers end. 0, or -1 with why in err. */
int zswatch_replay(zswatch_rpc *rpc, uint64_t from, uint64_t to, int64_t since_ms,
    char *const *prefixes, int n_prefixes, zswatch_replay_fn fn, void *arg, uint64_t *last,
    char *err, size_t errlen);

/* The whole event of sequence (the node's live number) from zs.event.v1.Events/Recent,
 * in the form zswatch prints (caller json_decref()s); NULL when the caller may not see it
 * or the node no longer holds it (err ""), or with why in err. *oldest: the oldest
 * sequence the node holds. */
json_t *zswatch_recent(zswatch_rpc *rpc, uint64_t sequence, uint64_t *oldest, char *err,
    size_t errlen);

/* --- following the feed (zswatch_follow.c) --- */

typedef struct zswatch_follow {
	zswatch_seen seen;
	int as_json;
	char *const *prefixes;   /* borrowed */
	int n_prefixes;
	long count;              /* 0: no limit */
	long printed;
	bool have_log;           /* last_log is known */
	uint64_t last_log;       /* the last log sequence printed or skipped over */
	int64_t since_ms;        /* --since DURATION: fills ask no older events either */
	zswatch_rpc *rpc;        /* NULL: gaps are only reported */
	bool told_headers;       /* said that bodies need a session */
} zswatch_follow;

int zswatch_follow_init(zswatch_follow *f, int as_json, char *const *prefixes, int n_prefixes,
    long count, zswatch_rpc *rpc);
void zswatch_follow_fini(zswatch_follow *f);
/* True once count events were printed. */
bool zswatch_follow_done(const zswatch_follow *f);
/* Replays what --since asks for (from, or since_ms when > 0) before following. 0, or -1
 * (why on stderr). */
int zswatch_follow_since(zswatch_follow *f, uint64_t from, int64_t since_ms);
/* One frame of the live feed (an event's header): filtered by prefix; a kept event at or
 * below the last log sequence is a duplicate and skipped; one past a gap has the gap
 * filled from Replay first (or reported when Replay cannot). With a session the whole
 * event is fetched (Recent, else Replay) and printed, and events of other accounts are
 * not printed; without one the header is. */
void zswatch_follow_frame(zswatch_follow *f, const char *frame, size_t len);

#endif
