/*
 * zswatch_event.c: one event of the node's JSON feed: parsed, checked against the last
 * sequence of its node and topic, and printed as one line (or as JSON, with --json).
 * Frame: `echo/said {"topic":"echo/said","sequence":"12","topicSequence":"3",
 * "time":"2026-01-01T00:00:00.123Z","resourceUuid":"..","nodeId":"..","type":"..","body":{..}}`
 * where 64-bit numbers are strings (proto3 JSON); plain numbers are accepted too.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "zswatch.h"

int
zswatch_seen_init(zswatch_seen *seen)
{
	seen->nodes = json_object();
	return seen->nodes != NULL ? 0 : -1;
}

void
zswatch_seen_fini(zswatch_seen *seen)
{
	json_decref(seen->nodes);
	seen->nodes = NULL;
}

/* A uint64 field written as a string or a number; 0 when absent or not a number. */
uint64_t
zswatch_u64(const json_t *event, const char *key)
{
	const json_t *v = json_object_get(event, key);
	if (json_is_integer(v))
		return json_integer_value(v) > 0 ? (uint64_t) json_integer_value(v) : 0;
	if (!json_is_string(v))
		return 0;
	char *end;
	uint64_t n = strtoull(json_string_value(v), &end, 10);
	return *end == '\0' ? n : 0;
}

const char *
zswatch_str(const json_t *event, const char *key)
{
	const char *s = json_string_value(json_object_get(event, key));
	return s != NULL ? s : "";
}

/* Remembers seq as the last of (node, topic); prints a line first when it jumped ahead
 * (missed events) or went back (the node restarted), when report. The first event of a topic says nothing: earlier ones may simply
 * predate this subscriber. */
static void
zswatch_check_sequence(zswatch_seen *seen, const char *node, const char *topic, uint64_t seq,
    bool report)
{
	json_t *topics = json_object_get(seen->nodes, node);
	if (topics == NULL) {
		topics = json_object();
		if (topics == NULL || json_object_set_new(seen->nodes, node, topics) != 0)
			return;
	}
	const json_t *last_json = json_object_get(topics, topic);
	if (last_json != NULL && report) {
		uint64_t last = (uint64_t) json_integer_value(last_json);
		if (seq > last + 1)
			printf("! missed %" PRIu64 " event(s) on %s from node %s\n", seq - last - 1, topic,
			    node);
		else if (seq < last) /* the same one again (a replay) says nothing */
			printf("! sequence of %s from node %s went back from %" PRIu64 " to %" PRIu64
			       " (node restarted?)\n", topic, node, last, seq);
	}
	json_object_set_new(topics, topic, json_integer((json_int_t) seq));
}

/* An event's time (RFC 3339 in UTC, as the node writes a Timestamp in JSON) as
 * milliseconds since the epoch; 0 when there is none. */
static uint64_t
zswatch_time_ms(const char *text)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	int frac = 0, n = 0;
	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return 0;
	if (text[n] == '.')
		for (int i = 1, scale = 100; text[n + i] >= '0' && text[n + i] <= '9'; i++, scale /= 10)
			frac += (text[n + i] - '0') * scale;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t secs = timegm(&tm);
	return secs > 0 ? (uint64_t) secs * 1000 + (uint64_t) frac : 0;
}

/* "HH:MM:SS.mmm" in local time; the event's time, or now when it has none. */
static void
zswatch_print_time(uint64_t ms)
{
	if (ms == 0) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		ms = (uint64_t) tv.tv_sec * 1000 + (uint64_t) tv.tv_usec / 1000;
	}
	time_t secs = (time_t) (ms / 1000);
	struct tm tm;
	char buf[16];
	if (localtime_r(&secs, &tm) == NULL || strftime(buf, sizeof buf, "%H:%M:%S", &tm) == 0)
		strcpy(buf, "??:??:??");
	printf("%s.%03u", buf, (unsigned) (ms % 1000));
}

json_t *
zswatch_frame_event(const char *frame, size_t len)
{
	const char *space = memchr(frame, ' ', len);
	if (space == NULL) {
		fprintf(stderr, "zswatch: skipped a frame of %zu bytes without \"TOPIC {json}\"\n", len);
		return NULL;
	}
	const char *text = space + 1;
	size_t text_len = len - (size_t) (text - frame);
	json_error_t err;
	json_t *event = json_loadb(text, text_len, 0, &err);
	if (!json_is_object(event)) {
		fprintf(stderr, "zswatch: skipped a frame on %.*s: not a JSON object: %s\n",
		    (int) (space - frame), frame, event == NULL ? err.text : "wrong type");
		json_decref(event);
		return NULL;
	}
	/* The object names the topic; the frame's prefix is only there for filtering. */
	if (zswatch_str(event, "topic")[0] == '\0')
		json_object_set_new(event, "topic", json_stringn(frame, (size_t) (space - frame)));
	return event;
}

void
zswatch_event_print(zswatch_seen *seen, const json_t *event, int as_json)
{
	const char *topic = zswatch_str(event, "topic");
	uint64_t log_seq = zswatch_u64(event, "logSequence");
	uint64_t topic_seq = zswatch_u64(event, "topicSequence");
	/* events of the log are checked by their log sequence (zswatch_follow.c); the
	 * topic's memory still moves past them */
	if (topic_seq != 0)
		zswatch_check_sequence(seen, zswatch_str(event, "nodeId"), topic, topic_seq,
		    log_seq == 0);

	if (as_json) {
		char *text = json_dumps(event, JSON_COMPACT);
		printf("%s\n", text != NULL ? text : "{}");
		free(text);
	} else {
		zswatch_print_time(zswatch_time_ms(zswatch_str(event, "time")));
		printf(" %s #%" PRIu64, topic, log_seq != 0 ? log_seq : zswatch_u64(event, "sequence"));
		const char *resource = zswatch_str(event, "resourceUuid");
		if (resource[0] != '\0')
			printf(" %s", resource);
		const json_t *body = json_object_get(event, "body");
		char *body_text = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		printf(" %s\n", body_text != NULL ? body_text : "{}");
		free(body_text);
	}
	fflush(stdout);
}
