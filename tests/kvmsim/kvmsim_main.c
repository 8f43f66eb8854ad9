/*
 * kvmsim_main.c: zs-kvmsim's command line. Listens on --listen (127.0.0.1) at --port
 * (7070; 0: any free port, printed), adds --hosts N hosts at once (h1..hN on 127.0.1.1...,
 * or by path prefix with --by-prefix), and serves until SIGINT/SIGTERM or POST /sim/quit.
 * Prints "zs-kvmsim: listening on http://IP:PORT" on stdout when ready.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <curl/curl.h>

#include "kvmsim.h"

static sim *main_sim;   /* for the signal handler only */

static void
main_signal(int sig)
{
	(void) sig;
	if (main_sim != NULL)
		main_sim->quit = 1;
}

static void
main_usage(void)
{
	fprintf(stderr, "usage: zs-kvmsim [--listen 127.0.0.1] [--port 7070] [--hosts N] [--by-prefix]\n"
	    "                 [--senders 2] [--log-max 10000]\n"
	    "Simulates KVM host agents on loopback addresses; control API under /sim/ (see README).\n");
}

int
main(int argc, char **argv)
{
	const char *listen_ip = "127.0.0.1";
	int port = 7070, senders = 2;
	long hosts = 0, log_max = 10000;
	bool by_prefix = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--listen") == 0 && v != NULL)
			listen_ip = argv[++i];
		else if (strcmp(a, "--port") == 0 && v != NULL)
			port = atoi(argv[++i]);
		else if (strcmp(a, "--hosts") == 0 && v != NULL)
			hosts = atol(argv[++i]);
		else if (strcmp(a, "--senders") == 0 && v != NULL)
			senders = atoi(argv[++i]);
		else if (strcmp(a, "--log-max") == 0 && v != NULL)
			log_max = atol(argv[++i]);
		else if (strcmp(a, "--by-prefix") == 0)
			by_prefix = true;
		else {
			main_usage();
			return 2;
		}
	}
	if (port < 0 || port > 65535 || senders < 1 || senders > 64 || hosts < 0 || log_max < 0) {
		main_usage();
		return 2;
	}
	/* one listening socket per host address, and their connections: as many files as
	 * the hard limit allows */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void) setrlimit(RLIMIT_NOFILE, &rl);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sim s = { .log_max = (size_t) log_max, .started_ms = sim_now_ms(),
		.rand_state = 0x9e3779b97f4a7c15ULL ^ (uint64_t) sim_now_ms() };
	s.by_name = json_object();
	s.by_ip = json_object();
	s.faults = json_array();
	s.log = json_array();
	if (sim_send_new(&s.send, senders) != 0 || sim_net_new(&s, listen_ip, port) != 0) {
		fprintf(stderr, "zs-kvmsim: cannot listen on %s:%d (loopback 127.0.0.0/8 only): %m\n",
		    listen_ip, port);
		return 1;
	}
	if (hosts > 0) {
		json_t *d = json_pack("{s:I, s:s}", "count", (json_int_t) hosts, "namePrefix", "h");
		if (!by_prefix)
			json_object_set_new(d, "ipFrom", json_string("127.0.1.1"));
		char *body = json_dumps(d, JSON_COMPACT);
		sim_req req = { .method = "POST", .path = "/sim/hosts", .body = body,
			.body_len = strlen(body), .local_ip = listen_ip };
		sim_answer ans = { 0 };
		sim_handle(&s, &req, &ans);
		if (ans.status != 200) {
			fprintf(stderr, "zs-kvmsim: cannot add the hosts: %s\n", ans.body);
			return 1;
		}
		free(ans.body);
		free(body);
		json_decref(d);
	}
	main_sim = &s;
	struct sigaction sa = { .sa_handler = main_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf("zs-kvmsim: listening on http://%s:%d (%ld hosts%s)\n", listen_ip, s.port, hosts,
	    hosts > 0 ? (by_prefix ? ", under /hosts/NAME" : " on 127.0.1.1 and up") : "");
	fflush(stdout);
	sim_net_run(&s);   /* epoll_wait wakes within 200 ms of a signal */
	main_sim = NULL;
	sim_net_free(&s);
	sim_send_free(s.send);
	for (size_t i = 0; i < s.nhosts; i++)
		sim_host_free(s.hosts[i]);
	free(s.hosts);
	json_decref(s.by_name);
	json_decref(s.by_ip);
	json_decref(s.faults);
	json_decref(s.default_facts);
	json_decref(s.log);
	sim_storage_reset(&s);
	curl_global_cleanup();
	return 0;
}
