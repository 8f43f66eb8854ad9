/*
 * zs/client.h: libzsclient, the C client of zsnode. Generated *.zsc.h files give a
 * typed function per method on top of these generic calls:
 *
 *   zs_client *c;
 *   zs_client_open(&c, "tcp://127.0.0.1:5570");
 *   zs_client_login(c, "admin", password, &st, NULL);   (the session of every later call)
 *   Zs__Echo__V1__SayRequest req = ZS__ECHO__V1__SAY_REQUEST__INIT;
 *   req.text = "hi";
 *   Zs__Echo__V1__SayReply *reply; zs_status *st;
 *   if (zs_echo_v1_echo_say(c, &req, &reply, &st, NULL) == ZS_OK) { ...; zs_reply_free(reply); }
 *   else { fprintf(stderr, "%s\n", st->message); zs_status_free(st); }
 *   zs_client_close(c);
 */
#ifndef ZS_CLIENT_H
#define ZS_CLIENT_H

#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "zs/rpc/v1/status.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef Zs__Rpc__V1__Status zs_status;
typedef struct zs_client zs_client;

/* Canonical codes (gRPC's numbers); the client returns them from every call. */
enum zs_client_code {
	ZS_CLIENT_OK = 0,
	ZS_CLIENT_DEADLINE_EXCEEDED = 4,
	ZS_CLIENT_RESOURCE_EXHAUSTED = 8,
	ZS_CLIENT_INTERNAL = 13,
	ZS_CLIENT_UNAVAILABLE = 14,
};

/* Per-call options; NULL means all defaults. */
typedef struct zs_call_opts {
	uint32_t timeout_ms;   /* 0: 10000. Starting a job (_job, _wait): the job's deadline;
	                        * 0: the node's job.default_timeout (never the 10 s) */
	const char *session;   /* session token, or NULL: the client's (zs_client_set_session) */
} zs_call_opts;

/* Async outcome: code is the canonical code; status (NULL when OK) is borrowed for the
 * duration of the callback; reply (NULL unless OK) belongs to the callback: free it with
 * zs_reply_free(). fn and arg are what was given to zs_client_call_async. */
typedef void (*zs_client_cb)(int code, const zs_status *status, ProtobufCMessage *reply,
    void (*fn)(void), void *arg);

/* Connects (the dial is retried in the background) to url: tcp://, ipc://, tls+tcp://.
 * Returns 0 or an nng error number. */
int zs_client_open(zs_client **client, const char *url);
/* Like zs_client_open, for tls+tcp:// URLs: the node's certificate must chain to the CA
 * in ca_file (PEM) and name server_name (NULL: the URL's host). */
int zs_client_open_tls(zs_client **client, const char *url, const char *ca_file,
    const char *server_name);
/* Waits for outstanding async calls to finish (each ends by its deadline at the
 * latest), then closes. Not from inside a callback. */
void zs_client_close(zs_client *client);

/* The session every call of this client sends unless its opts name another; NULL: none.
 * The token is copied. Safe while calls run (each takes the one set when it starts). */
int zs_client_set_session(zs_client *client, const char *session);
/* Logs in (zs.identity.v1.Identity/Login) and, on ZS_CLIENT_OK, makes the new session the
 * client's default: one login serves every later call. A wrong password or name is
 * UNAUTHENTICATED with *status. */
int zs_client_login(zs_client *client, const char *name, const char *password,
    zs_status **status, const zs_call_opts *opts);

/* Calls method synchronously. On ZS_CLIENT_OK *reply (caller owns) holds the answer;
 * otherwise *status (caller owns, may pass NULL) says why. Returns the canonical code.
 * Safe from any number of threads at once on one client. A node that is not reachable
 * within the timeout gives UNAVAILABLE; a node that does not answer in time (plus a
 * second of grace: the node answers DEADLINE_EXCEEDED itself) DEADLINE_EXCEEDED.
 * *status is NULL only if memory ran out while making it. */
int zs_client_call(zs_client *client, const char *method, const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
    zs_status **status, const zs_call_opts *opts);
/* Calls method asynchronously; cb runs once on a client thread. Returns 0, or a
 * canonical code when the call could not be sent (cb then does not run).
 * cb runs on one of nng's threads, often the one that read the reply: keep it short and
 * do not block in it (no zs_client_call, no zs_client_close); it may start new async
 * calls. Many calls may be in flight at once; each holds one nng context until done. */
int zs_client_call_async(zs_client *client, const char *method, const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *reply_desc, zs_client_cb cb, void (*fn)(void), void *arg,
    const zs_call_opts *opts);

/* Jobs: a long call run in the background by the node. */
#define ZS_JOB_UUID_LEN 40
/* Progress of a job, as the handler reports it. */
typedef void (*zs_job_progress_fn)(unsigned percent, const char *message, void *arg);
/* Starts method as a job: ZS_CLIENT_OK at once with the job's uuid in job_uuid (at least
 * ZS_JOB_UUID_LEN bytes); a request the node refuses up front (bad input, no session)
 * fails here as a call would. */
int zs_client_start_job(zs_client *client, const char *method, const ProtobufCMessage *request,
    char *job_uuid, zs_status **status, const zs_call_opts *opts);
/* Waits for a job to end, asking the node (zs.job.v1.Jobs/Get) as it goes: ZS_CLIENT_OK with
 * *reply (caller owns; of type reply_desc), or the job's failure with *status. progress
 * (may be NULL) runs on this thread at each change. opts->timeout_ms bounds the whole
 * wait (0: 1 hour); running out is DEADLINE_EXCEEDED while the job goes on. */
int zs_client_wait_job(zs_client *client, const char *job_uuid,
    const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply, zs_status **status,
    zs_job_progress_fn progress, void *arg, const zs_call_opts *opts);

/* "DEADLINE_EXCEEDED" for 4. */
const char *zs_client_code_name(int code);
void zs_reply_free(void *reply);
void zs_status_free(zs_status *status);

#ifdef __cplusplus
}
#endif

#endif
