/*
 * zs_client_internal.h: what the runtime's files share and nobody else sees: the client
 * object, its pool of ctx/aio pairs ("slots"), and the wire and status helpers.
 * Everything declared here is hidden from the shared library's symbol table.
 */
#ifndef ZS_CLIENT_INTERNAL_H
#define ZS_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "zs/client.h"

#define ZS_CLIENT_HIDDEN __attribute__((visibility("hidden")))

/* Calls without a timeout get this one. */
#define ZS_CLIENT_DEFAULT_TIMEOUT_MS 10000u
/* The node answers DEADLINE_EXCEEDED itself at the deadline; the client waits this much
 * longer before it gives up on its own, so the node's answer normally wins. */
#define ZS_CLIENT_GRACE_MS 1000u

typedef struct zs_client_slot zs_client_slot;

/* One nng ctx and its aio: carries one call at a time. Idle slots wait in a free list of
 * their client, so steady state allocates nothing per call but the messages. Sync slots
 * have an aio without callback (completion wakes nng_aio_wait without a task hop); async
 * slots have zs_client_async_done as callback. */
struct zs_client_slot {
	zs_client *client;
	zs_client_slot *next;        /* in the client's free list */
	nng_ctx ctx;
	nng_aio *aio;
	int async;                   /* which free list the slot belongs to */
	/* the async call the slot carries */
	int receiving;               /* 0 while the request is sent, 1 while the reply is awaited */
	uint64_t request_id;
	uint32_t timeout_ms;
	nng_time deadline;           /* when the client stops waiting: start + timeout + grace */
	const ProtobufCMessageDescriptor *reply_desc;
	zs_client_cb cb;
	void (*fn)(void);
	void *arg;
};

struct zs_client {
	nng_socket sock;
	char *url;                   /* owned */
	atomic_uint_fast64_t next_id;
	atomic_int pipes;            /* connected pipes: tells "unreachable" from "no reply" */
	pthread_mutex_t mtx;         /* guards what follows */
	pthread_cond_t idle;         /* signalled when in_flight reaches 0 while closing */
	zs_client_slot *free_sync;
	zs_client_slot *free_async;
	size_t in_flight;
	int closing;
	char *session;               /* owned: the default session (zs_client_set_session), or NULL */
};

/* zs_client.c */
ZS_CLIENT_HIDDEN uint64_t zs_client_next_id(zs_client *client);

/* zs_client_slot.c */
ZS_CLIENT_HIDDEN int zs_client_slot_take(zs_client *client, int async, zs_client_slot **slot);
ZS_CLIENT_HIDDEN void zs_client_slot_give(zs_client_slot *slot);
ZS_CLIENT_HIDDEN void zs_client_slot_destroy_all(zs_client *client);
/* zs_client_call.c: the completion callback of async slots */
ZS_CLIENT_HIDDEN void zs_client_async_done(void *arg);
/* One synchronous round trip: sends the request (as a job when job is set) and hands the
 * answer's frame to *answer (caller frees), or returns the code with *status. */
ZS_CLIENT_HIDDEN int zs_client_roundtrip(zs_client *client, const char *method,
    const ProtobufCMessage *request, int job, const zs_call_opts *opts, nng_msg **answer,
    uint64_t *request_id, zs_status **status);

/* zs_client_wire.c */
ZS_CLIENT_HIDDEN int zs_client_wire_pack(const char *method, uint64_t request_id,
    uint32_t timeout_ms, const char *session, int job, const ProtobufCMessage *request,
    nng_msg **msg);
/* Reads the answer to a job start: OK with the job's uuid copied to job_uuid. */
ZS_CLIENT_HIDDEN int zs_client_wire_unpack_job(nng_msg *msg, uint64_t request_id,
    char *job_uuid, size_t len, zs_status **status);
ZS_CLIENT_HIDDEN int zs_client_wire_unpack(nng_msg *msg, uint64_t request_id,
    const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
    zs_status **status);

/* zs_client_status.c: statuses made by the client itself. Both return a new status
 * (caller frees with zs_status_free) or NULL when memory is short. */
ZS_CLIENT_HIDDEN zs_status *zs_client_status_new(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
ZS_CLIENT_HIDDEN int zs_client_status_from_nng(const zs_client *client, int rv,
    uint32_t timeout_ms, zs_status **status);

#endif
