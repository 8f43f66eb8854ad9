/*
 * zswatch: subscribes to the node's JSON event feed and prints one line per event, and
 * a "! missed" line when a topic's sequence shows a gap. Parses the command line, runs
 * the receive loop, and stops cleanly on SIGINT/SIGTERM (a thread waits for them and
 * closes the socket, which ends the blocked receive).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>

#include "zswatch.h"

#define ZSWATCH_DEFAULT_URL "tcp://127.0.0.1:5572"

typedef struct zswatch_opts {
	const char *url;
	int json;
	long count;          /* 0: no limit */
	long timeout_ms;     /* 0: wait forever */
	char **prefixes;     /* borrowed from argv */
	int n_prefixes;
} zswatch_opts;

static const char zswatch_usage[] =
    "usage: zswatch [--url URL] [--json] [--count N] [--timeout MS] [PREFIX...]\n"
    "\n"
    "Prints the node's events, one line each: time, topic, #sequence, resource, body.\n"
    "PREFIX filters topics (vm/, echo/said); none: every event.\n"
    "\n"
    "  --url URL      the node's JSON event feed (default " ZSWATCH_DEFAULT_URL ")\n"
    "  --json         print each event's JSON object as it came\n"
    "  --count N      exit 0 after N events\n"
    "  --timeout MS   exit 1 when no event came for MS milliseconds\n"
    "  -h, --help     this help\n";

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

/* Returns -1 to go on, or an exit code. */
static int
zswatch_parse(int argc, char **argv, zswatch_opts *o)
{
	o->url = ZSWATCH_DEFAULT_URL;
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

static int
zswatch_open(const zswatch_opts *o, nng_socket *sock)
{
	int rv = nng_sub0_open(sock);
	if (rv != 0)
		return rv;
	for (int i = 0; i < o->n_prefixes && rv == 0; i++)
		rv = nng_socket_set(*sock, NNG_OPT_SUB_SUBSCRIBE, o->prefixes[i], strlen(o->prefixes[i]));
	if (rv == 0 && o->n_prefixes == 0)
		rv = nng_socket_set(*sock, NNG_OPT_SUB_SUBSCRIBE, "", 0);
	if (rv == 0)
		rv = nng_socket_set_size(*sock, NNG_OPT_RECVMAXSZ, 0);
	if (rv == 0 && o->timeout_ms > 0)
		rv = nng_socket_set_ms(*sock, NNG_OPT_RECVTIMEO, (nng_duration) o->timeout_ms);
	/* Non-blocking: zswatch may start before the node, and follows it across restarts. */
	if (rv == 0)
		rv = nng_dial(*sock, o->url, NULL, NNG_FLAG_NONBLOCK);
	return rv;
}

/* Receives and prints until done; returns the exit code. */
static int
zswatch_loop(const zswatch_opts *o, nng_socket sock)
{
	zswatch_seen seen;
	if (zswatch_seen_init(&seen) != 0)
		return 1;
	long printed = 0;
	int rc = 0;
	while (o->count == 0 || printed < o->count) {
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
		if (zswatch_event_print(&seen, frame, len, o->json) == 0)
			printed++;
		nng_free(frame, len);
	}
	zswatch_seen_fini(&seen);
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
