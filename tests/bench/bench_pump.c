/*
 * bench_pump.c: the pump and the CPU reading the API benchmarks share (bench_pump.h).
 */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_pump.h"

/* COUNT calls of one method with CONCURRENCY in flight. */
typedef struct pump {
	zs_client *client;
	const char *method, *session;
	const ProtobufCMessage *req;
	bench_req_fn next;
	void *arg;
	const ProtobufCMessageDescriptor *reply;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	long count, sent, done, failed;
	char first_error[256];
} pump;

static void pump_send(pump *p, long i);

static void
pump_done(int code, const zs_status *st, ProtobufCMessage *reply, void (*fn)(void), void *arg)
{
	(void) fn;
	pump *p = arg;
	zs_reply_free(reply);
	pthread_mutex_lock(&p->lock);
	p->done++;
	if (code != 0 && p->failed++ == 0)
		snprintf(p->first_error, sizeof p->first_error, "%s: %s%s%s", zs_client_code_name(code),
		    st != NULL && st->message != NULL ? st->message : "",
		    st != NULL && st->cause != NULL ? ": " : "",
		    st != NULL && st->cause != NULL && st->cause->message ? st->cause->message : "");
	long i = p->sent;
	bool more = i < p->count;
	if (more)
		p->sent++;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (more)
		pump_send(p, i);
}

static void
pump_send(pump *p, long i)
{
	zs_call_opts opts = { .timeout_ms = 60000, .session = p->session };
	const ProtobufCMessage *req = p->req != NULL ? p->req : p->next(i, p->arg);
	int rv = zs_client_call_async(p->client, p->method, req, p->reply, pump_done, NULL, p, &opts);
	if (rv != 0)
		pump_done(rv, NULL, NULL, NULL, p);
}

double
bench_pump_run(zs_client *c, const char *session, const char *method,
    const ProtobufCMessage *req, bench_req_fn next, void *arg,
    const ProtobufCMessageDescriptor *reply, long count, long conc)
{
	pump p = { .client = c, .method = method, .session = session, .req = req, .next = next,
	    .arg = arg, .reply = reply, .count = count };
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	int64_t t0 = zst_now_ms();
	long first = conc < count ? conc : count;
	pthread_mutex_lock(&p.lock);
	p.sent = first;
	pthread_mutex_unlock(&p.lock);
	for (long i = 0; i < first; i++)
		pump_send(&p, i);
	pthread_mutex_lock(&p.lock);
	while (p.done < count && zst_now_ms() - t0 < BENCH_PHASE_MS)
		pthread_cond_wait(&p.cond, &p.lock);
	long done = p.done, failed = p.failed;
	pthread_mutex_unlock(&p.lock);
	int64_t ms = zst_now_ms() - t0;
	if (done < count || failed > 0) {
		printf("  %s: %ld of %ld done, %ld failed (%s)\n", method, done, count, failed,
		    p.first_error);
		if (done < count)
			return -1;   /* calls still in flight use p: leave it */
	}
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.cond);
	return failed > 0 ? -1 : count * 1000.0 / (double) (ms > 0 ? ms : 1);
}

/* ---- CPU: this process, the node and its PostgreSQL ---- */

/* utime + stime (+ cutime + cstime when children) of pid, in clock ticks; 0 if gone. */
static long long
cpu_of(long pid, bool children)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	size_t n = f != NULL ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f != NULL)
		fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	long long v[4] = { 0, 0, 0, 0 };
	/* after ") ": state is field 3; utime, stime, cutime, cstime are fields 14-17 */
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld %lld %lld",
	    &v[0], &v[1], &v[2], &v[3]) != 4)
		return 0;
	return v[0] + v[1] + (children ? v[2] + v[3] : 0);
}

double
bench_cpu_now(const zst_node *n)
{
	char pgdata[PATH_MAX], path[PATH_MAX + 32], cwd[PATH_MAX];
	snprintf(pgdata, sizeof pgdata, "%s/pg", n->data_dir);
	snprintf(path, sizeof path, "%s/postmaster.pid", pgdata);
	char *text = zst_read_file(path);
	long master = text != NULL ? strtol(text, NULL, 10) : 0;
	free(text);
	long long ticks = cpu_of((long) getpid(), false) + cpu_of((long) n->pid, false) +
	    (master > 0 ? cpu_of(master, true) : 0);
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid == master)
			continue;
		char link[64];
		snprintf(link, sizeof link, "/proc/%ld/cwd", pid);
		ssize_t len = readlink(link, cwd, sizeof cwd - 1);
		if (len <= 0)
			continue;
		cwd[len] = '\0';
		if (strcmp(cwd, pgdata) == 0)
			ticks += cpu_of(pid, false);
	}
	if (d != NULL)
		closedir(d);
	return (double) ticks / (double) sysconf(_SC_CLK_TCK);
}
