/*
 * zs_http_srv.h: the facility's own receiver of agents' asynchronous answers: a plain
 * HTTP/1.1 server with keep-alive connections on the facility's epoll, run by the
 * facility's thread, so an answer completes its command with no hop to another thread.
 * It serves POST /asyncrest/callback only (404 for any other path, 405 for another
 * method). Not locked: only the thread that waits on the epoll calls it.
 */
#ifndef ZS_HTTP_SRV_H
#define ZS_HTTP_SRV_H

#include <stdbool.h>
#include <stdint.h>

#include "zs_http_parse.h"

typedef struct zs_http_srv zs_http_srv;

/* An answer arrived: the HTTP status to answer (200, 400, 404, 503); *reply is a static
 * JSON text for the body. On the epoll's thread. */
typedef int (*zs_http_srv_fn)(void *arg, const zs_http_reqmsg *m, const char **reply);

/* Listens on host:port (port 0: any) and registers in ep (its events' data.u64 is a
 * pointer of the server's, see zs_http_srv_event). 0 or -1 with err. */
int zs_http_srv_new(zs_http_srv **out, int ep, const char *host, int port, zs_http_srv_fn fn,
    void *arg, char *err, size_t errlen);
/* The port it listens on. */
int zs_http_srv_port(const zs_http_srv *s);
/* Handles an epoll event whose data.u64 is tag (the listener's or a connection's). */
void zs_http_srv_event(zs_http_srv *s, uint64_t tag, uint32_t events);
/* Closes the listener and every connection, and frees. */
void zs_http_srv_free(zs_http_srv *s);

#endif
