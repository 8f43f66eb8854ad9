/*
 * bench_bus.c: zsbench_bus, the in-process half of zsbench. It runs a node in this
 * process through zs/node.h (zs_node_new with --set arguments, zs_node_start, with the
 * plugins of the build but no sockets to speak of), pins itself to one CPU, and calls
 * zs.echo.v1.Echo/Say through zs_bus_call in a tight loop on one thread. Prints
 * "bus_calls_per_s N" for zsbench to read.
 *
 *   zsbench_bus --plugins DIR --schema FILE --migrations DIR --data DIR [--seconds S]
 *               [--warmup S] [--cpu N] [--payload N]
 *
 * The node starts its embedded PostgreSQL in DATA_DIR/pg as zsnode does; the loop does
 * not touch it.
 */
#include <dlfcn.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zs/bus.h"
#include "zs/echo/v1/echo.zsb.h"
#include "zs/node.h"

#define ZB_SAY "zs.echo.v1.Echo/Say"

typedef struct zb_bus_tally {
	uint64_t ok, failed;
	size_t want_len;
	int last_code;
	char last_message[256];
} zb_bus_tally;

static int64_t
zb_bus_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
zb_bus_note(zb_bus_tally *t, int code, const zs_status *st, const char *text)
{
	if (code == ZS_OK && text != NULL && strlen(text) == t->want_len) {
		t->ok++;
		return;
	}
	t->failed++;
	t->last_code = code;
	snprintf(t->last_message, sizeof t->last_message, "%s",
	    st != NULL && st->message != NULL ? st->message : "wrong reply");
}

/* zs_bus_call's callback: reply is borrowed, nothing to free. */
static void
zb_bus_said(int code, const zs_status *st, const ProtobufCMessage *reply, void (*fn)(void),
    void *arg)
{
	(void) fn;
	const Zs__Echo__V1__SayReply *r = (const Zs__Echo__V1__SayReply *) reply;
	zb_bus_note(arg, code, st, r != NULL ? r->text : NULL);
}

/* The generated typed stub's callback. */
static void
zb_bus_said_typed(int code, const zs_status *st, const Zs__Echo__V1__SayReply *reply, void *arg)
{
	zb_bus_note(arg, code, st, reply != NULL ? reply->text : NULL);
}

/* The echo plugin's own descriptors of Say (its service symbol is exported), so the
 * loop runs the path a plugin's own messages take; NULL when the plugin is not loaded. */
static const ProtobufCMethodDescriptor *
zb_bus_say_method(const char *plugins)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/libzs_echo.so", plugins);
	void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	const ProtobufCService *svc = h != NULL ? dlsym(h, "echo_service") : NULL;
	const ProtobufCMethodDescriptor *m = NULL;
	for (unsigned i = 0; svc != NULL && i < svc->descriptor->n_methods && m == NULL; i++)
		if (strcmp(svc->descriptor->methods[i].name, "Say") == 0)
			m = &svc->descriptor->methods[i];
	if (h != NULL)
		dlclose(h);
	return m;
}

/* Calls Say in batches until `until`; returns the calls made. */
static uint64_t
zb_bus_loop(zs_bus *bus, const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
    zb_bus_tally *t, int64_t until)
{
	uint64_t n = 0;
	while (zb_bus_now_ns() < until) {
		for (int i = 0; i < 1024; i++)
			zs_bus_call(bus, NULL, ZB_SAY, req, out, zb_bus_said, NULL, t);
		n += 1024;
	}
	return n;
}

int
main(int argc, char **argv)
{
	const char *plugins = NULL, *schema = NULL, *data = NULL, *migrations = NULL;
	double seconds = 2, warmup = 0.3;
	int cpu = 0;
	size_t payload = 64;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--plugins") == 0)
			plugins = argv[i + 1];
		else if (strcmp(argv[i], "--schema") == 0)
			schema = argv[i + 1];
		else if (strcmp(argv[i], "--migrations") == 0)
			migrations = argv[i + 1];
		else if (strcmp(argv[i], "--data") == 0)
			data = argv[i + 1];
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--warmup") == 0)
			warmup = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--cpu") == 0)
			cpu = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--payload") == 0)
			payload = strtoul(argv[i + 1], NULL, 10);
		else
			break;
	}
	if (plugins == NULL || schema == NULL || data == NULL || migrations == NULL || seconds <= 0) {
		fprintf(stderr, "usage: zsbench_bus --plugins DIR --schema FILE --migrations DIR "
		    "--data DIR [--seconds S] [--warmup S] [--cpu N] [--payload N]\n");
		return 2;
	}
	/* One core for the whole process: the node's threads are created after this. */
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		perror("zsbench_bus: sched_setaffinity");

	/* No listeners but an event socket on a port the system picks. */
	char props_set[9][4200];
	snprintf(props_set[0], sizeof props_set[0], "rpc.url=");
	snprintf(props_set[1], sizeof props_set[1], "rpc.ipc=none");
	snprintf(props_set[2], sizeof props_set[2], "events.url=tcp://127.0.0.1:0");
	snprintf(props_set[3], sizeof props_set[3], "events.json_url=");
	snprintf(props_set[4], sizeof props_set[4], "http.url=");
	snprintf(props_set[5], sizeof props_set[5], "data.dir=%s", data);
	snprintf(props_set[6], sizeof props_set[6], "plugins.dir=%s", plugins);
	snprintf(props_set[7], sizeof props_set[7], "plugins.schema=%s", schema);
	snprintf(props_set[8], sizeof props_set[8], "db.migrations=%s", migrations);
	char *args[2 + 2 * 10] = { "zsbench_bus" };
	int n_args = 1;
	for (int i = 0; i < 9; i++) {
		args[n_args++] = "--set";
		args[n_args++] = props_set[i];
	}
	args[n_args++] = "--set";
	args[n_args++] = "log.level=warn";
	zs_node *node = NULL;
	zs_status *st = NULL;
	if (zs_node_new(&node, n_args, args, &st) != 0 || zs_node_start(node, &st) != 0) {
		fprintf(stderr, "zsbench_bus: %s\n", st != NULL ? st->message : "out of memory");
		zs_status_free(st);
		if (node != NULL)
			zs_node_stop(node);
		zs_node_free(node);
		return 1;
	}

	char *text = calloc(1, payload + 1);
	memset(text, 'x', payload);
	zb_bus_tally t = { .want_len = payload };
	int rc = 0;

	/* The generated stub, with the caller's own copy of the echo descriptors. */
	Zs__Echo__V1__SayRequest typed = ZS__ECHO__V1__SAY_REQUEST__INIT;
	typed.text = text;
	zs_echo_v1_echo_say_bus(zs_node_bus(node), NULL, &typed, zb_bus_said_typed, &t);
	if (t.ok == 1)
		printf("bus_generated_stub OK\n");
	else
		printf("bus_generated_stub %s %s\n", zs_status_code_name(t.last_code), t.last_message);

	/* The loop uses the descriptors the route has (the plugin's own). */
	const ProtobufCMethodDescriptor *say = zb_bus_say_method(plugins);
	if (say == NULL) {
		fprintf(stderr, "zsbench_bus: the echo plugin is not loaded\n");
		rc = 1;
	} else {
		Zs__Echo__V1__SayRequest req = ZS__ECHO__V1__SAY_REQUEST__INIT;
		req.base.descriptor = say->input;
		req.text = text;
		t = (zb_bus_tally) { .want_len = payload };
		zb_bus_loop(zs_node_bus(node), &req.base, say->output, &t,
		    zb_bus_now_ns() + (int64_t) (warmup * 1e9));
		t = (zb_bus_tally) { .want_len = payload };
		int64_t t0 = zb_bus_now_ns();
		uint64_t n = zb_bus_loop(zs_node_bus(node), &req.base, say->output, &t,
		    t0 + (int64_t) (seconds * 1e9));
		double elapsed = (double) (zb_bus_now_ns() - t0) / 1e9;
		if (t.failed > 0 || t.ok != n) {
			fprintf(stderr, "zsbench_bus: %llu of %llu bus calls failed: %s %s\n",
			    (unsigned long long) t.failed, (unsigned long long) n,
			    zs_status_code_name(t.last_code), t.last_message);
			rc = 1;
		} else {
			printf("bus_calls_per_s %.0f\n", (double) n / elapsed);
			printf("bus_ns_per_call %.1f\n", elapsed * 1e9 / (double) n);
			printf("bus_cpu %d\n", cpu);
		}
	}
	fflush(stdout);
	free(text);
	zs_node_stop(node);
	zs_node_free(node);
	return rc;
}
