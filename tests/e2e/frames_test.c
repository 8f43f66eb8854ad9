/*
 * frames_test.c: what oversize frames cost a real zsnode. N clients (24 here; the README's
 * figure uses 200) each open a raw TCP connection, speak the SP handshake as a req0 peer
 * and send one frame of M MiB (15), far over rpc.max_frame (4M), all at once, without a
 * session. The node's peak RSS (VmHWM) may grow by at most 64 MB, the node keeps serving,
 * and a frame just over the limit still gets RESOURCE_EXHAUSTED.
 *
 * Also a measuring program: e2e_frames_test ZSNODE PLUGINS [CLIENTS [MIB]] prints the
 * node's RSS before and at its peak. Bounded: 30 s for the sending, loopback only.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <jansson.h>

#include "zst_node.h"

#define MAX_CLIENTS 1000
#define SEND_MS 30000

static zst_node node;

/* A line of /proc/PID/status ("VmHWM:", "VmRSS:") in KiB, or -1. */
static long
proc_kib(pid_t pid, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
	FILE *f = fopen(path, "r");
	long v = -1;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

/* Resets the process's peak RSS (VmHWM) to its RSS now, so the peak is the flood's. */
static bool
reset_peak(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/clear_refs", (int) pid);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return false;
	bool ok = fputs("5", f) >= 0;
	return fclose(f) == 0 && ok;
}

typedef struct flood_conn {
	int fd;
	size_t sent;     /* of head (20 bytes) + body */
	bool done, cut;  /* done: all sent or the node closed it (cut) */
} flood_conn;

/* Sends one frame of body_len bytes on n connections at once; returns how many the node
 * cut before the whole frame went out. */
static int
flood(int port, int n, size_t body_len, const uint8_t *body)
{
	static flood_conn c[MAX_CLIENTS];
	uint8_t head[20] = { 0, 'S', 'P', 0, 0, 0x30, 0, 0 };   /* SP header, req0 (48) */
	uint64_t flen = body_len + 4;                           /* + the REQ id */
	for (int i = 0; i < 8; i++)
		head[8 + i] = (uint8_t) (flen >> (56 - 8 * i));
	head[16] = 0x80;   /* request id 0x80000001 */
	head[19] = 1;
	size_t total = sizeof head + body_len;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < n; i++) {
		c[i] = (flood_conn) { .fd = socket(AF_INET, SOCK_STREAM, 0) };
		if (c[i].fd < 0 || connect(c[i].fd, (struct sockaddr *) &sa, sizeof sa) != 0) {
			ZST_FAIL("client %d connects to port %d: %s", i, port, strerror(errno));
			c[i].done = true;
			continue;
		}
		fcntl(c[i].fd, F_SETFL, fcntl(c[i].fd, F_GETFL) | O_NONBLOCK);
	}
	int64_t t0 = zst_now_ms();
	int left = n;
	for (int i = 0; i < n; i++)
		left -= c[i].done;
	struct pollfd pfd[MAX_CLIENTS];
	while (left > 0 && zst_now_ms() - t0 < SEND_MS) {
		int np = 0, idx[MAX_CLIENTS];
		for (int i = 0; i < n; i++)
			if (!c[i].done) {
				pfd[np] = (struct pollfd) { .fd = c[i].fd, .events = POLLOUT };
				idx[np++] = i;
			}
		if (poll(pfd, (nfds_t) np, 200) < 0)
			break;
		for (int k = 0; k < np; k++) {
			flood_conn *x = &c[idx[k]];
			if (pfd[k].revents == 0)
				continue;
			const uint8_t *p = x->sent < sizeof head ? head + x->sent :
			    body + (x->sent - sizeof head);
			size_t chunk = x->sent < sizeof head ? sizeof head - x->sent : total - x->sent;
			ssize_t w = send(x->fd, p, chunk, MSG_NOSIGNAL);
			if (w > 0)
				x->sent += (size_t) w;
			else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				x->cut = true;
			if (x->cut || x->sent == total) {
				x->done = true;
				left--;
			}
		}
	}
	ZST_CHECK(left == 0, "every client sent its frame or was cut within %d s (%d left)",
	    SEND_MS / 1000, left);
	zst_sleep_ms(500);   /* what the node read, it has read by now */
	int cut = 0;
	for (int i = 0; i < n; i++) {
		cut += c[i].cut;
		if (c[i].fd >= 0)
			close(c[i].fd);
	}
	return cut;
}

/* A JSON Say of about len bytes without a session: the answer's status code. */
static void
expect_over_limit(size_t len)
{
	nng_socket s;
	ZST_REQUIRE(zst_req_open(&s, node.rpc_url, 10000) == 0, "req socket");
	char *text = malloc(len + 1);
	int n = snprintf(text, len, "{\"method\":\"zs.echo.v1.Echo/Say\",\"body\":{\"text\":\"");
	memset(text + n, 'z', len - (size_t) n - 3);
	memcpy(text + len - 3, "\"}}", 4);
	char *buf = NULL;
	size_t blen = 0;
	int rv = zst_req_call(s, text, len, &buf, &blen);
	json_t *j = rv == 0 ? json_loadb(buf, blen, 0, NULL) : NULL;
	const char *code = json_string_value(json_object_get(json_object_get(j, "status"), "code"));
	ZST_CHECK(code != NULL && strcmp(code, "RESOURCE_EXHAUSTED") == 0 && strstr(buf, "rpc.max_frame"),
	    "a %zu-byte frame (just over rpc.max_frame 4M) gets RESOURCE_EXHAUSTED (%.200s)", len,
	    buf ? buf : nng_strerror(rv));
	json_decref(j);
	free(buf);
	free(text);
	nng_close(s);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "frames", 120) != 0)
		return 1;
	int clients = argc > 3 ? atoi(argv[3]) : 24;
	int mib = argc > 4 ? atoi(argv[4]) : 15;
	if (clients < 1 || clients > MAX_CLIENTS || mib < 1 || mib > 64) {
		fprintf(stderr, "usage: %s ZSNODE PLUGINS [CLIENTS (1-%d) [MIB (1-64)]]\n", argv[0],
		    MAX_CLIENTS);
		return 2;
	}
	if (zst_node_start(&node, NULL, NULL) != 0) {
		ZST_CHECK(0, "zsnode starts");
		return zst_summary();
	}
	int port = atoi(strrchr(node.rpc_url, ':') + 1);
	size_t body_len = (size_t) mib << 20;
	uint8_t *body = malloc(body_len);
	ZST_REQUIRE(body != NULL, "%d MiB buffer", mib);
	memset(body, 0xa5, body_len);

	ZST_CHECK(reset_peak(node.pid), "the node's peak RSS is reset before the flood");
	long rss0 = proc_kib(node.pid, "VmRSS:"), hwm0 = proc_kib(node.pid, "VmHWM:");
	int cut = flood(port, clients, body_len, body);
	long hwm1 = proc_kib(node.pid, "VmHWM:"), rss1 = proc_kib(node.pid, "VmRSS:");
	printf("frames: %d clients x %d MiB frames: node RSS %.1f MB before, peak %.1f MB "
	    "(+%.1f MB), %.1f MB after; %d of %d cut before the whole frame was sent\n", clients,
	    mib, rss0 / 1024.0, hwm1 / 1024.0, (hwm1 - hwm0) / 1024.0, rss1 / 1024.0, cut, clients);
	ZST_CHECK(hwm0 > 0 && hwm1 - hwm0 < 64 * 1024, "%d clients sending %d MiB frames at once "
	    "grow the node's peak RSS by less than 64 MB (%.1f MB)", clients, mib,
	    (hwm1 - hwm0) / 1024.0);
	ZST_CHECK(zst_serving(&node), "node still SERVING after the flood");
	free(body);

	expect_over_limit((4u << 20) + 1024);
	ZST_CHECK(zst_serving(&node), "node still SERVING");
	zst_node_stop(&node);
	zst_node_cleanup(&node);
	return zst_summary();
}
