/*
 * zswatch.h: what zswatch's files share: reading and printing one event, and the
 * per-(node, topic) sequence memory that spots missed events.
 */
#ifndef ZSWATCH_H
#define ZSWATCH_H

#include <stddef.h>

#include <jansson.h>

/* The last topicSequence seen per node and topic: {nodeId: {topic: sequence}}. */
typedef struct zswatch_seen {
	json_t *nodes;
} zswatch_seen;

int zswatch_seen_init(zswatch_seen *seen);
void zswatch_seen_fini(zswatch_seen *seen);

/* Prints one frame of the JSON feed ("TOPIC {json}") to stdout, after a
 * "! missed N event(s)" line when the topic's sequence jumped. as_json: print the
 * object as it came. Returns 0, or -1 (and says why on stderr) for a malformed frame. */
int zswatch_event_print(zswatch_seen *seen, const char *frame, size_t len, int as_json);

#endif
