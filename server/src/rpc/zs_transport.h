/*
 * zs_transport.h: the req/rep socket. One nng rep0 socket listens on every configured
 * address (tcp, ipc, tls+tcp). Each request is received on its own nng context (a
 * "slot"), which stays with the call until its answer is sent, so calls answered
 * later do not hold up others; a pool of slots waits in receive, and slots are made
 * as needed up to rpc.max_inflight.
 */
#ifndef ZS_TRANSPORT_H
#define ZS_TRANSPORT_H

#include <stddef.h>
#include <nng/nng.h>

typedef struct zs_rpc zs_rpc;
typedef struct zs_transport zs_transport;
typedef struct zs_slot zs_slot;

int zs_transport_new(zs_rpc *rpc, zs_transport **out, char *err, size_t errlen);
/* Listens on url; tls+tcp:// needs cert and key files (PEM). */
int zs_transport_listen(zs_transport *t, const char *url, const char *cert, const char *key,
    char *err, size_t errlen);
/* Starts receiving with `armed` slots waiting; at most max_slots slots in all. */
int zs_transport_start(zs_transport *t, size_t armed, size_t max_slots);
/* Sends msg (taken over) as the answer to the request slot received. */
void zs_transport_reply(zs_slot *slot, nng_msg *msg);
/* Gives the slot back without answering (the client's REQ will resend). */
void zs_transport_drop(zs_slot *slot);
/* Slots busy with a call or a send. */
size_t zs_transport_busy(zs_transport *t);
/* Closes the socket; callbacks have all finished when it returns. */
void zs_transport_close(zs_transport *t);
void zs_transport_free(zs_transport *t);

#endif
