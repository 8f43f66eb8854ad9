/*
 * http_recv_test.c: the HTTP facility's own receiver of agents' answers (zs_http_srv.c,
 * zs_http_env.listen_addr), against a real zs-kvmsim process: the facility tells agents
 * its receiver's URL; asynchronous pings to 20 simulated hosts are answered through it on
 * one thread; and on plain sockets it answers 400 without a task uuid, 404 for an unknown
 * one or another path, 405 for GET, two pipelined requests in order on one keep-alive
 * connection, 100 Continue before a body, 501 for a chunked body and 400 for garbage (then
 * closes that connection and keeps serving others). The counters of zs_http_get_stats
 * agree.
 *
 * Usage: http_recv_test ZS_KVMSIM. Prints `http_recv: N passed, M failed`.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>

#include "zs/clock.h"
#include "zs_http_impl.h"
#include "zst_check.h"
#include "zst_sim.h"

static zs_http *http;
static int recv_port;

/* ---- asynchronous pings through the receiver ---- */

typedef struct pings {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, ok;
} pings;

static void
on_ping(const zs_http_res *res, void *arg)
{
	pings *p = arg;
	pthread_mutex_lock(&p->mu);
	p->done++;
	if (res->code == 0 && res->task_uuid != NULL &&
	    json_string_value(json_object_get(res->reply, "hostUuid")) != NULL)
		p->ok++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void
test_pings(int sim_port)
{
	pings p = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	enum { HOSTS = 20, ROUNDS = 5 };
	for (int h = 1; h <= HOSTS; h++) {
		char url[128], body[64];
		snprintf(url, sizeof url, "http://127.0.2.%d:%d/host/connect", h, sim_port);
		snprintf(body, sizeof body, "{\"hostUuid\":\"host-%d\"}", h);
		char key[16];
		snprintf(key, sizeof key, "r%d", h);
		zs_http_req req = { .host = key, .url = url, .body = body, .timeout_ms = 5000 };
		ZST_EXPECT_INT(zs_http_post(http, &req, on_ping, &p, NULL), 0);
	}
	for (int r = 0; r < ROUNDS; r++)
		for (int h = 1; h <= HOSTS; h++) {
			char url[128], body[64], key[16];
			snprintf(url, sizeof url, "http://127.0.2.%d:%d/host/ping", h, sim_port);
			snprintf(body, sizeof body, "{\"hostUuid\":\"host-%d\"}", h);
			snprintf(key, sizeof key, "r%d", h);
			zs_http_req req = { .host = key, .url = url, .body = body, .timeout_ms = 5000,
			    .async = true };
			ZST_EXPECT_INT(zs_http_post(http, &req, on_ping, &p, NULL), 0);
		}
	int64_t until = zs_clock_ms() + 20000;
	pthread_mutex_lock(&p.mu);
	while (p.done < HOSTS * (ROUNDS + 1) && zs_clock_ms() < until) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&p.cv, &p.mu, &ts);
	}
	int done = p.done, ok = p.ok;
	pthread_mutex_unlock(&p.mu);
	/* the connects answer without a task uuid: only the pings count as ok */
	ZST_CHECK(done == HOSTS * (ROUNDS + 1), "every command finished (%d of %d)", done,
	    HOSTS * (ROUNDS + 1));
	ZST_CHECK(ok == HOSTS * ROUNDS, "every asynchronous ping was answered through the "
	    "receiver with the host's uuid (%d of %d)", ok, HOSTS * ROUNDS);
	zs_http_stats s;
	zs_http_get_stats(http, &s);
	ZST_CHECK(s.callbacks >= (uint64_t) (HOSTS * ROUNDS) && s.unknown_callbacks == 0,
	    "the receiver took %llu answers, %llu unknown", (unsigned long long) s.callbacks,
	    (unsigned long long) s.unknown_callbacks);
}

/* ---- plain sockets ---- */

static int
sock_open(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) recv_port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ZST_REQUIRE(fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0,
	    "a connection to the receiver on port %d", recv_port);
	return fd;
}

static void
sock_send(int fd, const char *s)
{
	size_t n = strlen(s);
	ZST_REQUIRE(send(fd, s, n, MSG_NOSIGNAL) == (ssize_t) n, "the request is sent");
}

/* Reads until want answers' heads and bodies are in (or the peer closes, or 5 s): the
 * bytes in buf; the number of bytes. closed: the peer closed. */
static size_t
sock_read(int fd, char *buf, size_t cap, int want, bool *closed)
{
	size_t len = 0;
	*closed = false;
	for (;;) {
		buf[len] = '\0';
		int got = 0;
		for (const char *p = buf; (p = strstr(p, "HTTP/1.1 ")) != NULL; p++) {
			const char *cl = strstr(p, "Content-Length: ");
			const char *end = strstr(p, "\r\n\r\n");
			if (strncmp(p, "HTTP/1.1 100", 12) == 0)
				continue;
			if (cl == NULL || end == NULL ||
			    (size_t) (end + 4 - buf) + strtoul(cl + 16, NULL, 10) > len)
				break;
			got++;
		}
		if (got >= want || len + 1 >= cap)
			return len;
		ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0) {
			*closed = n == 0;
			return len;
		}
		len += (size_t) n;
	}
}

static void
test_sockets(void)
{
	char buf[8192];
	bool closed;
	const char *post = "POST /asyncrest/callback HTTP/1.1\r\nHost: x\r\nContent-Type: "
	    "application/json\r\nContent-Length: 16\r\n%s\r\n{\"success\":true}";
	char req[512];

	int fd = sock_open();
	snprintf(req, sizeof req, post, "");
	sock_send(fd, req);
	sock_read(fd, buf, sizeof buf, 1, &closed);
	ZST_EXPECT_HAS(buf, "HTTP/1.1 400 ");
	ZST_EXPECT_HAS(buf, "the taskuuid header is missing");

	snprintf(req, sizeof req, post, "taskuuid: 0123456789abcdef0123456789abcdef\r\n");
	sock_send(fd, req);
	sock_read(fd, buf, sizeof buf, 1, &closed);
	ZST_EXPECT_HAS(buf, "HTTP/1.1 404 ");
	ZST_EXPECT_HAS(buf, "no command waits for this task uuid");

	sock_send(fd, "GET /asyncrest/callback HTTP/1.1\r\nHost: x\r\n\r\n");
	sock_read(fd, buf, sizeof buf, 1, &closed);
	ZST_EXPECT_HAS(buf, "HTTP/1.1 405 ");

	sock_send(fd, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
	sock_read(fd, buf, sizeof buf, 1, &closed);
	ZST_EXPECT_HAS(buf, "HTTP/1.1 404 ");
	ZST_EXPECT_HAS(buf, "no such path");

	/* two requests in one write: two answers, in order, on the same connection */
	char two[1024];
	snprintf(req, sizeof req, post, "taskuuid: a\r\n");
	snprintf(two, sizeof two, "%s%s", req, "GET /asyncrest/callback HTTP/1.1\r\n\r\n");
	sock_send(fd, two);
	size_t n = sock_read(fd, buf, sizeof buf, 2, &closed);
	const char *first = strstr(buf, "HTTP/1.1 404 "), *second = strstr(buf, "HTTP/1.1 405 ");
	ZST_CHECK(n > 0 && first != NULL && second != NULL && first < second && !closed,
	    "pipelined requests answered in order on a kept connection: %s", buf);

	/* Expect: 100-continue: 100 Continue first, the answer after the body */
	sock_send(fd, "POST /asyncrest/callback HTTP/1.1\r\nHost: x\r\ntaskuuid: b\r\n"
	    "Expect: 100-continue\r\nContent-Length: 16\r\n\r\n");
	ssize_t got = recv(fd, buf, sizeof buf - 1, 0);
	buf[got > 0 ? got : 0] = '\0';
	ZST_EXPECT_HAS(buf, "HTTP/1.1 100 Continue");
	sock_send(fd, "{\"success\":true}");
	sock_read(fd, buf, sizeof buf, 1, &closed);
	ZST_EXPECT_HAS(buf, "HTTP/1.1 404 ");

	/* a chunked body is refused, saying why, and that connection closes */
	sock_send(fd, "POST /asyncrest/callback HTTP/1.1\r\nHost: x\r\ntaskuuid: c\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
	sock_read(fd, buf, sizeof buf, 2, &closed);
	ZST_EXPECT_HAS(buf, "HTTP/1.1 501 ");
	ZST_EXPECT_HAS(buf, "Transfer-Encoding is not supported");
	ZST_CHECK(closed, "the connection is closed after a refused request");
	close(fd);

	/* garbage: 400 and closed; a new connection is served */
	fd = sock_open();
	sock_send(fd, "HELLO\r\n\r\n");
	sock_read(fd, buf, sizeof buf, 2, &closed);
	ZST_EXPECT_HAS(buf, "HTTP/1.1 400 ");
	ZST_CHECK(closed, "the connection is closed after garbage");
	close(fd);
	fd = sock_open();
	sock_send(fd, "GET /asyncrest/callback HTTP/1.1\r\n\r\n");
	sock_read(fd, buf, sizeof buf, 1, &closed);
	ZST_EXPECT_HAS(buf, "HTTP/1.1 405 ");
	close(fd);
}

int
main(int argc, char **argv)
{
	zst_check_init("http_recv");
	alarm(120);
	ZST_REQUIRE(argc == 2, "usage: http_recv_test ZS_KVMSIM");
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int sim_port = zst_sim_start(argv[1]);
	json_t *o = zst_sim_http(sim_port, "POST", NULL, "/sim/hosts",
	    "{\"count\":20,\"namePrefix\":\"r\",\"ipFrom\":\"127.0.2.1\"}");
	ZST_REQUIRE(o != NULL, "the simulator adds 20 hosts");
	json_decref(o);
	char err[256];
	zs_http_env env = { .node_id = "test", .sync_level = 10, .listen_addr = "127.0.0.1" };
	ZST_REQUIRE(zs_http_new(&http, &env, err, sizeof err) == 0, "the facility: %s", err);
	const char *cb = zs_http_callback_url(http);
	ZST_REQUIRE(sscanf(cb, "http://127.0.0.1:%d/asyncrest/callback", &recv_port) == 1 &&
	    recv_port > 0, "the callback URL names the receiver (%s)", cb);

	test_pings(sim_port);
	test_sockets();

	zs_http_free(http);
	int status = zst_sim_stop();
	ZST_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "zs-kvmsim exits 0 on SIGTERM "
	    "(status %d)", status);
	curl_global_cleanup();
	return zst_check_summary();
}
