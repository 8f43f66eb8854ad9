/*
 * zs_outbox_write.c: zs_event_publish_tx, the outbox: one INSERT into zs_event_log on the
 * caller's connection, in its transaction. No NOTIFY there (PostgreSQL serialises every
 * notifying commit, WAL flush included): the node's own sender is woken in process when
 * (and only if) the transaction commits, through zs_db_after_commit. The body is stored
 * packed and as proto3 JSON (for the JSON feed and Replay), so sending needs no
 * descriptor lookup.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "zs/clock.h"
#include "zs/event.h"
#include "zs_db.h"
#include "zs_events.h"
#include "zs_json.h"
#include "zs_outbox_log.h"

/* After the commit of a transaction that wrote events: wake the sender. */
static void
outbox_committed(void *ev)
{
	zs_events_log_committed(ev);
}

static int
outbox_fail(zs_status **st, zs_status *why)
{
	int code = why != NULL ? why->code : ZS_INTERNAL;
	if (st != NULL)
		*st = why;
	else
		zs_status_free(why);
	return code;
}

int
zs_event_publish_tx(zs_db_conn *c, zs_events *ev, const char *topic, const char *resource_uuid,
    const char *owner_account, const ProtobufCMessage *body, zs_status **st)
{
	if (st != NULL)
		*st = NULL;
	if (c == NULL || ev == NULL)
		return outbox_fail(st, zs_status_new(ZS_INVALID_ARGUMENT, NULL,
		    "an event needs a connection and the node's publisher"));
	char why[128];
	if (zs_event_topic_check(topic, why, sizeof why) != 0)
		return outbox_fail(st, zs_status_new(ZS_INVALID_ARGUMENT, NULL, "%s", why));

	size_t len = body != NULL ? protobuf_c_message_get_packed_size(body) : 0;
	uint8_t *packed = malloc(len ? len : 1);
	char *json_text = NULL;
	if (body != NULL) {
		json_t *j = NULL;
		char err[256];
		if (zs_json_encode(body, &j, err, sizeof err) == 0)
			json_text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(j);
	}
	if (packed == NULL || (body != NULL && json_text == NULL)) {
		free(packed);
		free(json_text);
		return outbox_fail(st, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL,
		    "out of memory writing event %s", topic));
	}
	if (body != NULL)
		protobuf_c_message_pack(body, packed);

	char time_ms[24];
	snprintf(time_ms, sizeof time_ms, "%lld", (long long) zs_clock_wall_ms());
	const char *params[8] = { topic, resource_uuid ? resource_uuid : "",
		owner_account ? owner_account : "", zs_events_node_id(ev),
		body ? body->descriptor->name : "", (const char *) packed, json_text ? json_text : "",
		time_ms };
	int lengths[8] = { 0, 0, 0, 0, 0, (int) len, 0, 0 };
	int formats[8] = { 0, 0, 0, 0, 0, 1, 0, 0 };
	PGconn *pg = zs_db_conn_pg(c);
	zs_status *failed = NULL;
	PGresult *r = zs_db_exec_params(c,
	    "INSERT INTO zs_event_log (topic, resource_uuid, owner_uuid, node_id, type, body, "
	    "body_json, time_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bigint)", 8, params,
	    lengths, formats, &failed);
	free(packed);
	free(json_text);
	if (r == NULL)
		return outbox_fail(st, failed);
	PQclear(r);
	/* outside a transaction the row is committed already */
	if (PQtransactionStatus(pg) == PQTRANS_IDLE)
		zs_events_log_committed(ev);
	else
		zs_db_after_commit(c, outbox_committed, ev);
	return ZS_OK;
}
