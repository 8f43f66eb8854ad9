/*
 * kvmsim_net.c: zs-kvmsim's HTTP/1.1 server: one epoll thread, one listening socket per
 * loopback address (the main one and each simulated host's), keep-alive connections, one
 * request at a time per connection (the next waits while an answer is delayed or hangs).
 * Plain code rather than nng's server: it needs to know which address a request came to,
 * to count connections, to hold an answer forever and to refuse a dead host's connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kvmsim.h"

#define NET_MAX_HEAD (64 * 1024)
#define NET_MAX_BODY (64 * 1024 * 1024)

enum { NET_LISTENER, NET_CONN };

typedef struct net_listener {
	int kind;
	int fd;
	char ip[INET_ADDRSTRLEN];
	struct net_listener *next;
} net_listener;

struct sim_conn {
	int kind;
	int fd;
	uint64_t id;
	char ip[INET_ADDRSTRLEN];        /* the local address: which host */
	char *in, *out;
	size_t in_len, in_cap, out_len, out_off;
	bool busy;                       /* an answer is delayed or hangs: read, do not parse */
	bool close_after;                /* Connection: close */
	sim_conn *prev, *next;
};

typedef struct net_pending {
	int64_t due;
	sim_conn *c;
	sim_answer ans;
	bool close_after;
	struct net_pending *next;
} net_pending;

struct sim_net {
	int ep;
	net_listener *listeners;
	sim_conn *conns;
	net_pending *pending;
};

int64_t
sim_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
net_bind(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1 || (ntohl(a.sin_addr.s_addr) >> 24) != 127) {
		errno = EINVAL;   /* loopback (127.0.0.0/8) only */
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *) &a, sizeof a) != 0 || listen(fd, 1024) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
sim_net_listen(sim *s, const char *ip)
{
	struct sim_net *n = s->net;
	for (net_listener *l = n->listeners; l != NULL; l = l->next)
		if (strcmp(l->ip, ip) == 0)
			return 0;
	int fd = net_bind(ip, s->port);
	if (fd < 0)
		return -1;
	net_listener *l = calloc(1, sizeof *l);
	if (l == NULL) {
		close(fd);
		return -1;
	}
	l->kind = NET_LISTENER;
	l->fd = fd;
	snprintf(l->ip, sizeof l->ip, "%s", ip);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = l };
	epoll_ctl(n->ep, EPOLL_CTL_ADD, fd, &ev);
	l->next = n->listeners;
	n->listeners = l;
	return 0;
}

static void
net_close(sim *s, sim_conn *c)
{
	struct sim_net *n = s->net;
	for (net_pending **p = &n->pending; *p != NULL;) {
		if ((*p)->c == c) {
			net_pending *d = *p;
			*p = d->next;
			free(d->ans.body);
			free(d);
		} else {
			p = &(*p)->next;
		}
	}
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		n->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c->in);
	free(c->out);
	free(c);
}

void
sim_net_unlisten(sim *s, const char *ip)
{
	struct sim_net *n = s->net;
	for (net_listener **p = &n->listeners; *p != NULL; p = &(*p)->next) {
		/* the last listener is the main address: it stays */
		if (strcmp((*p)->ip, ip) == 0 && (*p)->next != NULL) {
			net_listener *l = *p;
			*p = l->next;
			close(l->fd);
			free(l);
			break;
		}
	}
	for (sim_conn *c = n->conns, *next; c != NULL; c = next) {
		next = c->next;
		if (strcmp(c->ip, ip) == 0)
			net_close(s, c);
	}
}

int
sim_net_new(sim *s, const char *ip, int port)
{
	struct sim_net *n = calloc(1, sizeof *n);
	if (n == NULL || (n->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		free(n);
		return -1;
	}
	s->net = n;
	s->port = port;
	if (sim_net_listen(s, ip) != 0)
		return -1;
	if (port == 0) {   /* the kernel chose: every other address takes the same port */
		struct sockaddr_in a;
		socklen_t al = sizeof a;
		getsockname(n->listeners->fd, (struct sockaddr *) &a, &al);
		s->port = ntohs(a.sin_port);
	}
	return 0;
}

static void
net_want_write(sim *s, sim_conn *c, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };
	epoll_ctl(s->net->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what is buffered; -1 when the connection broke. */
static int
net_flush(sim *s, sim_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			net_want_write(s, c, true);
			return 0;
		}
		if (w <= 0)
			return -1;
		c->out_off += (size_t) w;
	}
	c->out_off = c->out_len = 0;
	net_want_write(s, c, false);
	return 0;
}

static const char *
net_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/* Queues the answer's bytes; -1 when the connection must close. */
static int
net_write_answer(sim *s, sim_conn *c, sim_answer *ans, bool close_after)
{
	const char *body = ans->body != NULL ? ans->body : "";
	size_t blen = strlen(body);
	char head[256];
	int hl = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n%s\r\n", ans->status, net_reason(ans->status), blen,
	    close_after ? "Connection: close\r\n" : "");
	size_t need = c->out_len + (size_t) hl + blen;
	char *o = realloc(c->out, need);
	if (o == NULL)
		return -1;
	c->out = o;
	memcpy(c->out + c->out_len, head, (size_t) hl);
	memcpy(c->out + c->out_len + hl, body, blen);
	c->out_len = need;
	if (net_flush(s, c) != 0)
		return -1;
	return close_after && c->out_len == 0 ? -1 : 0;
}

/* The value of header name in head (lines end with \r\n), copied into out; false if absent. */
static bool
net_header(const char *head, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p != NULL; p = strstr(p, "\r\n")) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *e = strstr(v, "\r\n");
			while (*v == ' ' || *v == '\t')
				v++;
			size_t len = e != NULL ? (size_t) (e - v) : strlen(v);
			while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
				len--;
			if (len >= outlen)
				len = outlen - 1;
			memcpy(out, v, len);
			out[len] = '\0';
			return true;
		}
	}
	return false;
}

static int net_parse(sim *s, sim_conn *c);

/* Handles the requests buffered on c; -1 when c must close. */
static int
net_parse(sim *s, sim_conn *c)
{
	while (!c->busy && c->in_len > 0) {
		char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
		if (end == NULL)
			return c->in_len > NET_MAX_HEAD ? -1 : 0;
		size_t head_len = (size_t) (end - c->in) + 4;
		*end = '\0';   /* the head as a string; restored as a hole we skip */
		char cl[32] = "0", conn_hdr[32] = "", task[128], cb[1024];
		net_header(c->in, "Content-Length", cl, sizeof cl);
		char *stop;
		unsigned long long body_len = strtoull(cl, &stop, 10);
		if (*stop != '\0' || body_len > NET_MAX_BODY)
			return -1;
		if (c->in_len < head_len + body_len) {
			*end = '\r';
			return 0;
		}
		char method[16], path[2048];
		if (sscanf(c->in, "%15s %2047s", method, path) != 2)
			return -1;
		bool has_task = net_header(c->in, "taskuuid", task, sizeof task);
		bool has_cb = net_header(c->in, "callbackurl", cb, sizeof cb);
		net_header(c->in, "Connection", conn_hdr, sizeof conn_hdr);
		bool close_after = strcasecmp(conn_hdr, "close") == 0;
		char *body = malloc(body_len + 1);
		if (body == NULL)
			return -1;
		memcpy(body, c->in + head_len, body_len);
		body[body_len] = '\0';
		memmove(c->in, c->in + head_len + body_len, c->in_len - head_len - body_len);
		c->in_len -= head_len + body_len;

		sim_req req = { .method = method, .path = path, .task_uuid = has_task ? task : NULL,
			.callback_url = has_cb ? cb : NULL, .body = body, .body_len = body_len,
			.local_ip = c->ip };
		char prefix[256];
		if (strncmp(path, "/hosts/", 7) == 0) {
			const char *slash = strchr(path + 7, '/');
			size_t pl = slash != NULL ? (size_t) (slash - path - 7) : strlen(path + 7);
			if (pl < sizeof prefix) {
				memcpy(prefix, path + 7, pl);
				prefix[pl] = '\0';
				req.prefix_host = prefix;
				req.path = slash != NULL ? slash : "/";
			}
		}
		sim_answer ans = { 0 };
		s->requests++;
		sim_handle(s, &req, &ans);
		free(body);
		if (ans.close) {
			free(ans.body);
			return -1;
		}
		if (ans.delay_ms > 0 || ans.status == 0) {
			c->busy = true;   /* the next request waits behind this answer */
			if (ans.status != 0) {
				net_pending *p = calloc(1, sizeof *p);
				if (p == NULL) {
					free(ans.body);
					return -1;
				}
				p->due = sim_now_ms() + ans.delay_ms;
				p->c = c;
				p->ans = ans;
				p->close_after = close_after;
				p->next = s->net->pending;
				s->net->pending = p;
			} else {
				free(ans.body);
			}
			return 0;
		}
		int rv = net_write_answer(s, c, &ans, close_after);
		free(ans.body);
		if (rv != 0)
			return -1;
	}
	return 0;
}

static void
net_accept(sim *s, net_listener *l)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		sim_conn *c = calloc(1, sizeof *c);
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->kind = NET_CONN;
		c->fd = fd;
		c->id = ++s->connections;
		snprintf(c->ip, sizeof c->ip, "%s", l->ip);
		c->next = s->net->conns;
		if (c->next != NULL)
			c->next->prev = c;
		s->net->conns = c;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(s->net->ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* Reads what c has; -1 when it must close. */
static int
net_read(sim *s, sim_conn *c)
{
	for (;;) {
		if (c->in_cap - c->in_len < 16384) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 32768;
			if (cap > NET_MAX_HEAD + NET_MAX_BODY + 65536)
				return -1;
			char *in = realloc(c->in, cap);
			if (in == NULL)
				return -1;
			c->in = in;
			c->in_cap = cap;
		}
		ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0)
			return -1;
		c->in_len += (size_t) r;
	}
	return net_parse(s, c);
}

/* Sends the delayed answers that are due; the time until the next one (-1: none). */
static int
net_due(sim *s)
{
	int64_t now = sim_now_ms(), next = -1;
	for (net_pending **p = &s->net->pending; *p != NULL;) {
		net_pending *d = *p;
		if (d->due > now) {
			if (next < 0 || d->due - now < next)
				next = d->due - now;
			p = &d->next;
			continue;
		}
		*p = d->next;
		sim_conn *c = d->c;
		c->busy = false;
		int rv = net_write_answer(s, c, &d->ans, d->close_after);
		free(d->ans.body);
		free(d);
		if (rv != 0 || net_parse(s, c) != 0)
			net_close(s, c);
		if (s->kill_ip != NULL) {
			sim_net_unlisten(s, s->kill_ip);
			free(s->kill_ip);
			s->kill_ip = NULL;
		}
		p = &s->net->pending;   /* the list may have changed */
	}
	return (int) next;
}

void
sim_net_run(sim *s)
{
	struct epoll_event evs[64];
	while (!s->quit) {
		int wait = net_due(s);
		if (wait < 0 || wait > 200)
			wait = 200;
		int k = epoll_wait(s->net->ep, evs, 64, wait);
		for (int i = 0; i < k; i++) {
			int kind = *(int *) evs[i].data.ptr;
			if (kind == NET_LISTENER) {
				net_accept(s, evs[i].data.ptr);
				continue;
			}
			sim_conn *c = evs[i].data.ptr;
			int rv = 0;
			if (evs[i].events & EPOLLOUT)
				rv = net_flush(s, c);
			if (rv == 0 && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				rv = net_read(s, c);
			if (rv != 0 || s->kill_ip != NULL) {
				if (rv != 0)
					net_close(s, c);
				/* a closed connection may be named by a later event of this round */
				break;
			}
		}
		if (s->kill_ip != NULL) {
			sim_net_unlisten(s, s->kill_ip);
			free(s->kill_ip);
			s->kill_ip = NULL;
		}
	}
}

void
sim_net_free(sim *s)
{
	struct sim_net *n = s->net;
	if (n == NULL)
		return;
	while (n->conns != NULL)
		net_close(s, n->conns);
	while (n->listeners != NULL) {
		net_listener *l = n->listeners;
		n->listeners = l->next;
		close(l->fd);
		free(l);
	}
	close(n->ep);
	free(n);
	s->net = NULL;
}
