/*
 * zswatch: subscribes to the node's JSON event feed (headers), fetches each event whole with
 * its session (zswatch_follow.c), and prints one line per event, and
 * a "! missed" line when a sequence shows a gap (kept events' gaps are filled from
 * Replay); with --since it replays first, then follows. Parses the command line, runs
 * the receive loop, and stops cleanly on SIGINT/SIGTERM (a thread waits for them and
 * closes the socket, which ends the blocked receive).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>

#include "zswatch.h"

#define ZSWATCH_DEFAULT_URL "tcp://127.0.0.1:5572"
#define ZSWATCH_DEFAULT_RPC_URL "tcp://127.0.0.1:5570"
/* After dialing for --since: time for the node's side to add the subscriber, so nothing
 * sent after the replay's read can pass it by. */
#define ZSWATCH_SUBSCRIBED_MS 100

typedef struct zswatch_opts {
	const char *url;
	int json;
	long count;          /* 0: no limit */
	long timeout_ms;     /* 0: wait forever */
	char **prefixes;     /* borrowed from argv */
	int n_prefixes;
	const char *rpc_url;
	const char *session;
	bool since;          /* --since given */
	uint64_t since_seq;
	int64_t since_ms;    /* > 0: --since DURATION, as a unix time */
} zswatch_opts;

static const char zswatch_usage[] =
    "usage: zswatch [--url URL] [--json] [--count N] [--timeout MS] [--since SEQ|DURATION]\n"
    "               [--rpc-url URL] [--session TOKEN] [PREFIX...]\n"
    "\n"
    "Prints the node's events, one line each: time, topic, #sequence, resource, body.\n"
    "The feed carries headers only: each event is fetched whole (Events/Recent) from\n"
    "--rpc-url, the same node, with the session, so an account sees its own events\n"
    "in full and none of others'; without a session the headers print.\n"
    "Kept events (written with their change) show their log sequence, the same on\n"
    "every node and in Replay; a gap in it is filled from Replay. PREFIX filters topics\n"
    "(vm/, echo/said); none: every event.\n"
    "\n"
    "  --url URL          the node's JSON event feed (default " ZSWATCH_DEFAULT_URL ")\n"
    "  --json             print each event's JSON object\n"
    "  --count N          exit 0 after N events\n"
    "  --timeout MS       exit 1 when no event came for MS milliseconds\n"
    "  --since SEQ        first replay the kept events after log sequence SEQ (0: all)\n"
    "  --since DURATION   or those of the last DURATION (90s, 10m, 2h, 1d), then follow\n"
    "  --rpc-url URL      the node's calls, for Recent and Replay (default $ZS_URL, else\n"
    "                     " ZSWATCH_DEFAULT_RPC_URL ")\n"
    "  --session TOKEN    for Recent and Replay (default $ZS_SESSION, else the one `zsctl login`\n"
    "                     saved)\n"
    "  -h, --help         this help\n";

/* The signal thread: waits for SIGINT/SIGTERM (blocked in every other thread) and
 * closes the socket; main's receive then returns NNG_ECLOSED. */
typedef struct zswatch_signals {
	sigset_t set;
	nng_socket sock;
	pthread_t thread;
} zswatch_signals;

static void *
zswatch_signal_thread(void *arg)
{
	zswatch_signals *s = arg;
	int sig;
	sigwait(&s->set, &sig);
	nng_close(s->sock);
	return NULL;
}

static int
zswatch_usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "zswatch: %s%s\nTry 'zswatch --help'.\n", what, arg);
	return 2;
}

static int
zswatch_parse_long(const char *arg, long *out)
{
	char *end;
	errno = 0;
	long v = arg != NULL ? strtol(arg, &end, 10) : 0;
	if (arg == NULL || errno != 0 || end == arg || *end != '\0' || v <= 0 || v > INT32_MAX)
		return -1;
	*out = v;
	return 0;
}

static int64_t
zswatch_wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* "SEQ" (digits) or "DURATION" (a number and ms, s, m, h or d). 0 or -1. */
static int
zswatch_parse_since(const char *arg, zswatch_opts *o)
{
	char *end;
	if (arg == NULL || arg[0] < '0' || arg[0] > '9')
		return -1;
	errno = 0;
	unsigned long long n = strtoull(arg, &end, 10);
	if (errno != 0)
		return -1;
	o->since = true;
	if (*end == '\0') {
		o->since_seq = n;
		return 0;
	}
	static const struct { const char *unit; int64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(end, units[i].unit) == 0 && n <= (unsigned long long) (INT64_MAX / 2 / units[i].ms)) {
			int64_t ago = (int64_t) n * units[i].ms, now = zswatch_wall_ms();
			o->since_ms = ago < now ? now - ago : 1;
			return 0;
		}
	return -1;
}

/* Returns -1 to go on, or an exit code. */
static int
zswatch_parse(int argc, char **argv, zswatch_opts *o)
{
	o->url = ZSWATCH_DEFAULT_URL;
	o->rpc_url = getenv("ZS_URL") != NULL && getenv("ZS_URL")[0] != '\0' ? getenv("ZS_URL")
	                                                                   : ZSWATCH_DEFAULT_RPC_URL;
	o->prefixes = argv + 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(zswatch_usage, stdout);
			return 0;
		} else if (strcmp(a, "--json") == 0) {
			o->json = 1;
		} else if (strcmp(a, "--url") == 0) {
			if (++i >= argc)
				return zswatch_usage_error("--url needs a URL", "");
			o->url = argv[i];
		} else if (strcmp(a, "--rpc-url") == 0) {
			if (++i >= argc)
				return zswatch_usage_error("--rpc-url needs a URL", "");
			o->rpc_url = argv[i];
		} else if (strcmp(a, "--session") == 0) {
			if (++i >= argc)
				return zswatch_usage_error("--session needs a token", "");
			o->session = argv[i];
		} else if (strcmp(a, "--since") == 0) {
			if (zswatch_parse_since(++i < argc ? argv[i] : NULL, o) != 0)
				return zswatch_usage_error("--since needs a log sequence or a duration "
				    "(90s, 10m, 2h, 1d)", "");
		} else if (strcmp(a, "--count") == 0) {
			if (zswatch_parse_long(++i < argc ? argv[i] : NULL, &o->count) != 0)
				return zswatch_usage_error("--count needs a positive number", "");
		} else if (strcmp(a, "--timeout") == 0) {
			if (zswatch_parse_long(++i < argc ? argv[i] : NULL, &o->timeout_ms) != 0)
				return zswatch_usage_error("--timeout needs milliseconds", "");
		} else if (a[0] == '-' && strcmp(a, "--") != 0) {
			return zswatch_usage_error("unknown option ", a);
		} else if (strcmp(a, "--") != 0) {
			o->prefixes[o->n_prefixes++] = argv[i]; /* compacts argv in place */
		}
	}
	return -1;
}

/* Subscribes to every topic: prefixes are filtered here, so a jump in log sequence always
 * means a missed event (nng's sub filters on the subscriber's side anyway). */
static int
zswatch_open(const zswatch_opts *o, nng_socket *sock)
{
	int rv = nng_sub0_open(sock);
	if (rv != 0)
		return rv;
	rv = nng_socket_set(*sock, NNG_OPT_SUB_SUBSCRIBE, "", 0);
	if (rv == 0)
		rv = nng_socket_set_size(*sock, NNG_OPT_RECVMAXSZ, 0);
	/* live events wait here while --since replays (an overflow is a gap, filled later) */
	if (rv == 0)
		rv = nng_socket_set_int(*sock, NNG_OPT_RECVBUF, 8192);
	if (rv == 0 && o->timeout_ms > 0)
		rv = nng_socket_set_ms(*sock, NNG_OPT_RECVTIMEO, (nng_duration) o->timeout_ms);
	/* Non-blocking: zswatch may start before the node, and follows it across restarts;
	 * but --since must be subscribed before it replays. */
	if (rv == 0)
		rv = nng_dial(*sock, o->url, NULL, o->since ? 0 : NNG_FLAG_NONBLOCK);
	if (rv == 0 && o->since)
		usleep(ZSWATCH_SUBSCRIBED_MS * 1000);
	return rv;
}

/* Replays what --since asks for, then receives and prints until done; returns the exit
 * code. */
static int
zswatch_loop(const zswatch_opts *o, nng_socket sock)
{
	zswatch_rpc rpc;
	zswatch_follow f;
	zswatch_rpc_init(&rpc, o->rpc_url, o->session);
	if (zswatch_follow_init(&f, o->json, o->prefixes, o->n_prefixes, o->count, &rpc) != 0) {
		zswatch_rpc_fini(&rpc);
		return 1;
	}
	int rc = 0;
	if (o->since && zswatch_follow_since(&f, o->since_seq, o->since_ms) != 0)
		rc = 1;
	while (rc == 0 && !zswatch_follow_done(&f)) {
		char *frame;
		size_t len;
		int rv = nng_recv(sock, &frame, &len, NNG_FLAG_ALLOC);
		if (rv == NNG_ECLOSED) /* SIGINT or SIGTERM */
			break;
		if (rv == NNG_ETIMEDOUT) {
			fprintf(stderr, "zswatch: no event from %s within %ld ms\n", o->url, o->timeout_ms);
			rc = 1;
			break;
		}
		if (rv != 0) {
			fprintf(stderr, "zswatch: %s: %s\n", o->url, nng_strerror(rv));
			rc = 1;
			break;
		}
		zswatch_follow_frame(&f, frame, len);
		nng_free(frame, len);
	}
	zswatch_follow_fini(&f);
	zswatch_rpc_fini(&rpc);
	return rc;
}

int
main(int argc, char **argv)
{
	zswatch_opts opts = { 0 };
	int rc = zswatch_parse(argc, argv, &opts);
	if (rc >= 0)
		return rc;

	/* Block the signals before nng starts its threads, so only ours receives them. */
	zswatch_signals sig;
	sigemptyset(&sig.set);
	sigaddset(&sig.set, SIGINT);
	sigaddset(&sig.set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sig.set, NULL);

	int rv = zswatch_open(&opts, &sig.sock);
	if (rv != 0) {
		fprintf(stderr, "zswatch: cannot subscribe to %s: %s\n", opts.url, nng_strerror(rv));
		nng_close(sig.sock);
		return rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP ? 2 : 1;
	}
	if (pthread_create(&sig.thread, NULL, zswatch_signal_thread, &sig) != 0) {
		fprintf(stderr, "zswatch: cannot start the signal thread\n");
		nng_close(sig.sock);
		return 1;
	}
	rc = zswatch_loop(&opts, sig.sock);
	/* Wake the signal thread if no signal came, and wait for it. */
	pthread_kill(sig.thread, SIGTERM);
	pthread_join(sig.thread, NULL);
	nng_close(sig.sock);
	return rc;
}
