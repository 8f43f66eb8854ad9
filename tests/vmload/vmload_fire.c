/*
 * vmload_fire.c: puts N CreateVmInstance calls in flight at once on a node (libzsclient,
 * asynchronous) and prints how each ended, one line a call, in the order they end:
 *   OK <vm uuid>
 *   ERR <code name> <message, its causes joined with ": ">
 * then "done N ok K failed F in MS ms" on stderr. Every call has the same deadline.
 *
 *   vmload_fire URL USER PASSWORD N TIMEOUT_MS NAME IMAGE L3 CPU MEMORY
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zs/client.h"
#include "zs/vm/v1/vm.zsc.h"

typedef struct fire {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	long left, ok, failed;
} fire;

static long long
now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long) t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
fire_done(int code, const zs_status *st, Zs__Vm__V1__VmInstanceInfo *reply, void *arg)
{
	fire *f = arg;
	char why[1024] = "";
	size_t used = 0;
	for (const zs_status *s = st; s != NULL && used < sizeof why; s = s->cause)
		used += (size_t) snprintf(why + used, sizeof why - used, "%s%s", used ? ": " : "",
		    s->message != NULL ? s->message : "?");
	pthread_mutex_lock(&f->lock);
	if (code == ZS_CLIENT_OK) {
		printf("OK %s\n", reply->uuid);
		f->ok++;
	} else {
		printf("ERR %s %s\n", zs_client_code_name(code), why);
		f->failed++;
	}
	f->left--;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	zs_reply_free(reply);
}

int
main(int argc, char **argv)
{
	if (argc != 11) {
		fprintf(stderr, "usage: vmload_fire URL USER PASSWORD N TIMEOUT_MS NAME IMAGE L3 CPU "
		    "MEMORY\n");
		return 2;
	}
	long n = atol(argv[4]), timeout = atol(argv[5]);
	if (n <= 0 || n > 100000 || timeout <= 0 || timeout > 3600000) {
		fprintf(stderr, "N must be 1..100000 and TIMEOUT_MS 1..3600000\n");
		return 2;
	}
	zs_client *c = NULL;
	zs_status *st = NULL;
	if (zs_client_open(&c, argv[1]) != 0) {
		fprintf(stderr, "cannot open %s\n", argv[1]);
		return 1;
	}
	if (zs_client_login(c, argv[2], argv[3], &st, NULL) != ZS_CLIENT_OK) {
		fprintf(stderr, "login: %s\n", st != NULL && st->message ? st->message : "?");
		zs_status_free(st);
		zs_client_close(c);
		return 1;
	}
	fire f = { .left = n };
	pthread_mutex_init(&f.lock, NULL);
	pthread_cond_init(&f.cond, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	char *l3s[1] = { argv[8] };
	zs_call_opts opts = { .timeout_ms = (uint32_t) timeout };
	long long t0 = now_ms();
	char (*names)[64] = calloc((size_t) n, sizeof *names);
	Zs__Vm__V1__CreateVmInstanceRequest *reqs = calloc((size_t) n, sizeof *reqs);
	if (names == NULL || reqs == NULL) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		Zs__Vm__V1__CreateVmInstanceRequest *r = &reqs[i];
		zs__vm__v1__create_vm_instance_request__init(r);
		snprintf(names[i], sizeof names[i], "%s-%ld", argv[6], i);
		r->name = names[i];
		r->image_uuid = argv[7];
		r->n_l3_network_uuids = 1;
		r->l3_network_uuids = l3s;
		r->cpu_num = atoll(argv[9]);
		r->memory_size = atoll(argv[10]);
		int rv = zs_vm_v1_vm_instance_create_vm_instance_async(c, r, fire_done, &f, &opts);
		if (rv != 0) {
			pthread_mutex_lock(&f.lock);
			printf("ERR %s not sent\n", zs_client_code_name(rv));
			f.failed++;
			f.left--;
			pthread_mutex_unlock(&f.lock);
		}
	}
	pthread_mutex_lock(&f.lock);
	while (f.left > 0)
		pthread_cond_wait(&f.cond, &f.lock);
	pthread_mutex_unlock(&f.lock);
	fprintf(stderr, "done %ld ok %ld failed %ld in %lld ms\n", n, f.ok, f.failed, now_ms() - t0);
	zs_client_close(c);
	free(names);
	free(reqs);
	return 0;
}
