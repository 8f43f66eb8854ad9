/*
 * zs_http_srv.c: the receiver of zs_http_srv.h. Non-blocking sockets on the owner's epoll:
 * a connection reads what it can, answers every whole request in its buffer (in order),
 * writes what it can and waits for EPOLLOUT for the rest. A bad request is answered with
 * its status and why, then the connection closes; the server keeps serving.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zs_http_srv.h"

#define SRV_MAX_BODY (64u << 20)       /* as the client's largest answer */
#define SRV_MAX_CONNS 4096             /* more are closed at once */
#define SRV_READ 16384

enum { SRV_LISTENER = 1, SRV_CONN = 2 };

typedef struct srv_conn srv_conn;

struct srv_conn {
	int kind;                          /* SRV_CONN: first, as in zs_http_srv */
	int fd;
	zs_http_srv *s;
	char *in, *out;
	size_t in_len, in_cap, out_len, out_off, out_cap;
	bool continued;                    /* 100 Continue sent for the request in the buffer */
	bool closing;                      /* close once out is written */
	bool want_out;                     /* registered for EPOLLOUT */
	srv_conn *prev, *next;
};

struct zs_http_srv {
	int kind;                          /* SRV_LISTENER */
	int fd, ep, port;
	zs_http_srv_fn fn;
	void *arg;
	srv_conn *conns;
	size_t nconns;
};

static void
srv_conn_close(srv_conn *c)
{
	zs_http_srv *s = c->s;
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
	free(c->in);
	free(c->out);
	free(c);
}

/* Appends n bytes to c's output; -1 on no memory. */
static int
srv_out(srv_conn *c, const char *p, size_t n)
{
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 1024;
		while (cap < c->out_len + n)
			cap *= 2;
		char *o = realloc(c->out, cap);
		if (o == NULL)
			return -1;
		c->out = o;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	return 0;
}

static const char *
srv_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "Service Unavailable";
	}
}

/* Queues an answer with a JSON body. */
static int
srv_answer(srv_conn *c, int status, const char *body, bool close_after)
{
	char head[256];
	size_t blen = strlen(body);
	int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n%s%s\r\n", status, srv_reason(status), blen,
	    close_after ? "Connection: close\r\n" : "", status == 405 ? "Allow: POST\r\n" : "");
	return srv_out(c, head, (size_t) n) != 0 || srv_out(c, body, blen) != 0 ? -1 : 0;
}

/* Answers a bad request with why (as {"success":false,"error":...}). */
static int
srv_refuse(srv_conn *c, int status, const char *why)
{
	char body[256];
	snprintf(body, sizeof body, "{\"success\":false,\"error\":\"%s\"}\n", why);
	return srv_answer(c, status, body, true);
}

/* Answers every whole request in c's buffer; -1: close now. */
static int
srv_serve(srv_conn *c)
{
	zs_http_srv *s = c->s;
	size_t off = 0;
	int rv = 0;
	while (!c->closing && off < c->in_len) {
		zs_http_reqmsg m;
		int status = 0;
		const char *why = NULL;
		int r = zs_http_parse(c->in + off, c->in_len - off, SRV_MAX_BODY, &m, &status, &why);
		if (r < 0) {
			c->closing = true;
			rv = srv_refuse(c, status, why);
			break;
		}
		if (r == 0) {
			if (m.head_len > 0 && m.expect_continue && !c->continued) {
				c->continued = true;
				rv = srv_out(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
			}
			break;
		}
		c->continued = false;
		const char *reply = "";
		if (m.path_len != 19 || memcmp(m.path, "/asyncrest/callback", 19) != 0) {
			status = 404;
			reply = "{\"success\":false,\"error\":\"no such path: answers go to "
			    "/asyncrest/callback\"}\n";
		} else if (m.method_len != 4 || memcmp(m.method, "POST", 4) != 0) {
			status = 405;
			reply = "{\"success\":false,\"error\":\"answers are POSTed\"}\n";
		} else {
			status = s->fn(s->arg, &m, &reply);
		}
		if (m.close)
			c->closing = true;
		off += m.total;
		if ((rv = srv_answer(c, status, reply, m.close)) != 0)
			break;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	return rv;
}

/* Writes what it can; -1: close now. */
static int
srv_flush(srv_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		c->out_off += (size_t) n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->closing)
			return -1;
	}
	bool want = c->out_len > 0;
	if (want != c->want_out) {
		struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0u),
		    .data.u64 = (uint64_t) (uintptr_t) c };
		if (epoll_ctl(c->s->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
			return -1;
		c->want_out = want;
	}
	return 0;
}

/* Reads what there is; -1: closed by the peer, an error, or too much. */
static int
srv_read(srv_conn *c)
{
	for (;;) {
		if (c->in_cap - c->in_len < SRV_READ) {
			if (c->in_cap > ZS_HTTP_MAX_HEAD + SRV_MAX_BODY)
				return -1;
			size_t cap = c->in_cap ? c->in_cap * 2 : 2 * SRV_READ;
			char *p = realloc(c->in, cap);
			if (p == NULL)
				return -1;
			c->in = p;
			c->in_cap = cap;
		}
		size_t room = c->in_cap - c->in_len;
		ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		c->in_len += (size_t) n;
		if ((size_t) n < room)
			return 0;   /* a short read: the socket is drained */
	}
}

static void
srv_accept(zs_http_srv *s)
{
	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;   /* EAGAIN, or out of descriptors: the next event tries again */
		srv_conn *c = s->nconns < SRV_MAX_CONNS ? calloc(1, sizeof *c) : NULL;
		if (c == NULL) {
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->kind = SRV_CONN;
		c->fd = fd;
		c->s = s;
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t) (uintptr_t) c };
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns != NULL)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
	}
}

void
zs_http_srv_event(zs_http_srv *s, uint64_t tag, uint32_t events)
{
	int kind = *(const int *) (uintptr_t) tag;
	if (kind == SRV_LISTENER) {
		srv_accept(s);
		return;
	}
	srv_conn *c = (srv_conn *) (uintptr_t) tag;
	int rv = 0;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		rv = srv_read(c);
		/* answer what came, even when the peer closed after sending it */
		if (srv_serve(c) != 0)
			rv = -1;
		if (rv != 0)
			c->closing = true;
	}
	if (srv_flush(c) != 0 || (rv != 0 && c->out_len == 0))
		srv_conn_close(c);
}

int
zs_http_srv_new(zs_http_srv **out, int ep, const char *host, int port, zs_http_srv_fn fn,
    void *arg, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "the callback address %s is not an IPv4 address", host);
		return -1;
	}
	zs_http_srv *s = calloc(1, sizeof *s);
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->kind = SRV_LISTENER;
	s->ep = ep;
	s->fn = fn;
	s->arg = arg;
	int one = 1;
	socklen_t sl = sizeof sa;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(s->fd, (struct sockaddr *) &sa, sizeof sa) != 0 || listen(s->fd, 1024) != 0 ||
	    getsockname(s->fd, (struct sockaddr *) &sa, &sl) != 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &(struct epoll_event) { .events = EPOLLIN,
	        .data.u64 = (uint64_t) (uintptr_t) s }) != 0) {
		snprintf(err, errlen, "cannot listen for agents' answers on %s:%d: %s", host, port,
		    strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return -1;
	}
	s->port = ntohs(sa.sin_port);
	*out = s;
	return 0;
}

int
zs_http_srv_port(const zs_http_srv *s)
{
	return s->port;
}

void
zs_http_srv_free(zs_http_srv *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL)
		srv_conn_close(s->conns);
	epoll_ctl(s->ep, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	free(s);
}
