/*
 * zs_http_parse.h: the request parser of the facility's receiver of agents' answers
 * (zs_http_srv.c): one HTTP/1.1 request, its head and its Content-Length body, from the
 * bytes received so far. On its own so it can be fuzzed. Nothing is copied: the pieces
 * point into the bytes given.
 */
#ifndef ZS_HTTP_PARSE_H
#define ZS_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define ZS_HTTP_MAX_HEAD (16u << 10)   /* a longer head is refused (431) */

typedef struct zs_http_reqmsg {
	const char *method, *path, *task, *body;   /* path without its query; task: NULL if absent */
	size_t method_len, path_len, task_len, body_len;
	size_t head_len;                   /* through the blank line; 0 until the head is whole */
	size_t total;                      /* head and body: where the next request starts */
	bool close;                        /* HTTP/1.0 or Connection: close */
	bool expect_continue;              /* Expect: 100-continue */
} zs_http_reqmsg;

/* Parses the request at the start of buf[0, len) with a body of at most max_body bytes:
 *  1: whole (m filled; m->total bytes are this request)
 *  0: not whole yet (m->head_len > 0 once the head is, with the rest of m but the body)
 * -1: bad: *status is the HTTP status to answer (400, 413, 431, 501, 505) and *why says
 *     what is wrong; the connection is closed after the answer.
 * Never reads past len; buf need not be NUL-terminated. */
int zs_http_parse(const char *buf, size_t len, size_t max_body, zs_http_reqmsg *m, int *status,
    const char **why);

#endif
