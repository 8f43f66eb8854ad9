/*
 * zs_outbox_log.h: the event log's contract (server/sql/002_events.sql), shared by its
 * writer here (zs_event_publish_tx, zs_outbox_write.c: any module writes events in its
 * own transactions) and its sender and Replay in platform/event.
 */
#ifndef ZS_OUTBOX_LOG_H
#define ZS_OUTBOX_LOG_H

/* The NOTIFY channel: a sender notifies it (empty payload) when it committed log sequences
 * for new rows, so every other node's sender sends them at once. Writers do not. */
#define ZS_OUTBOX_CHANNEL "zs_events"
/* Topics are at most this many bytes. */
#define ZS_OUTBOX_TOPIC_MAX 255

#endif
