/* workflow_test.c: unit tests for the workflow engine (server/src/zs_workflow.c):
 * success, failure at every step with reverse rollback "leaving nothing behind" (every
 * resource a step makes is tracked and must be undone), failed rollbacks, steps and
 * rollbacks that end on other threads, 100000-step chains on a small stack, double
 * endings refused, ZS_FLOW_ROLLBACK_SELF, cancel, status naming and the store.
 * Prints `workflow: N passed, M failed` and exits non-zero on any failure. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zst_check.h"
#include "zs/flow.h"

/* Each test function is one case of the shared checks (zst_check.h). */
typedef zst_case T;

static void
sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

/* ---- the world a test chain works on ---- */

#define MAX_STEPS 8
#define MAX_THREADS 64

/* How a step or rollback ends. */
enum ending_kind { END_NEXT, END_FAIL, END_RB_DONE, END_RB_FAIL };

typedef struct world {
	T *t;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* What the test asks for. */
	int fail_at;       /* step (1-based) whose run fails; 0: none */
	unsigned rb_fail;  /* bit i: step i's rollback fails */
	bool async;        /* steps and rollbacks end on threads of their own */
	/* What happened. */
	char log[256];     /* " r1 r2 b1": runs and rollbacks, in order */
	int *res[MAX_STEPS + 1]; /* resource each step made, until rolled back */
	int live;          /* resources made and not undone */
	int notes_live;    /* store values not yet freed */
	atomic_int busy;   /* a step function is on the stack */
	int done_calls;
	bool done_saw_store;
	zs_status *status; /* copy of done()'s status */
	pthread_t threads[MAX_THREADS];
	int nthreads;
} world;

/* A step's argument. */
struct step {
	world *w;
	int idx;
};

/* A store value whose freeing is counted. */
struct note {
	world *w;
};

static void
world_init(world *w, T *t)
{
	memset(w, 0, sizeof *w);
	w->t = t;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
}

static void
world_fini(world *w)
{
	for (int i = 0; i <= MAX_STEPS; i++)
		free(w->res[i]);
	zs_status_free(w->status);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

static void
world_log(world *w, char what, int idx)
{
	pthread_mutex_lock(&w->lock);
	size_t len = strlen(w->log);
	snprintf(w->log + len, sizeof w->log - len, " %c%d", what, idx);
	pthread_mutex_unlock(&w->lock);
}

static void
note_free(void *p)
{
	struct note *n = p;
	pthread_mutex_lock(&n->w->lock);
	n->w->notes_live--;
	pthread_mutex_unlock(&n->w->lock);
	free(n);
}

static void
on_done(zs_flow_chain *chain, const zs_status *status, void *arg)
{
	world *w = arg;
	bool saw = zs_flow_get(chain, "note.1") != NULL;
	zs_status *copy = status != NULL ? zs_status_copy(status) : NULL;
	ZST_EXPECT_IN(w->t, status == NULL || copy != NULL);
	pthread_mutex_lock(&w->lock);
	w->done_calls++;
	w->done_saw_store = saw;
	zs_status_free(w->status);
	w->status = copy;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* Waits for done(), then for every thread the steps started. */
static void
world_wait(world *w)
{
	pthread_mutex_lock(&w->lock);
	while (w->done_calls == 0)
		pthread_cond_wait(&w->cond, &w->lock);
	int n = w->nthreads;
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < n; i++)
		pthread_join(w->threads[i], NULL);
}

/* ---- ending steps, now or on another thread ---- */

struct ending {
	world *w;
	zs_flow *flow;
	enum ending_kind kind;
	zs_status *why;
	long delay_us;
};

static int
end_now(zs_flow *flow, enum ending_kind kind, zs_status *why)
{
	switch (kind) {
	case END_NEXT:
		return zs_flow_next(flow);
	case END_FAIL:
		return zs_flow_fail(flow, why);
	case END_RB_DONE:
		return zs_flow_rollback_done(flow);
	default:
		return zs_flow_rollback_fail(flow, why);
	}
}

static void *
end_thread(void *arg)
{
	struct ending *e = arg;
	sleep_us(e->delay_us);
	int rc = end_now(e->flow, e->kind, e->why);
	ZST_EXPECT_IN(e->w->t, rc == 0);
	free(e);
	return NULL;
}

/* Records a thread to join. Runs inside a step, so before done() can run. */
static void
world_spawn(world *w, void *(*fn)(void *), void *arg)
{
	pthread_t tid;
	if (pthread_create(&tid, NULL, fn, arg) != 0) {
		ZST_EXPECT_IN(w->t, !"pthread_create");
		return;
	}
	pthread_mutex_lock(&w->lock);
	w->threads[w->nthreads++] = tid;
	pthread_mutex_unlock(&w->lock);
}

/* Ends the step: at once, or on a new thread (some right away, some after a while,
 * so both "ended before run() returned" and "after" happen). */
static void
end_step(world *w, zs_flow *flow, enum ending_kind kind, zs_status *why, int idx)
{
	if (!w->async) {
		ZST_EXPECT_IN(w->t, end_now(flow, kind, why) == 0);
		return;
	}
	struct ending *e = malloc(sizeof *e);
	*e = (struct ending){ w, flow, kind, why, idx % 2 ? 2000 : 0 };
	world_spawn(w, end_thread, e);
}

/* ---- the generic step ---- */

static void
busy_enter(world *w)
{
	ZST_EXPECT_IN(w->t, atomic_exchange(&w->busy, 1) == 0);
}

static void
busy_leave(world *w)
{
	atomic_store(&w->busy, 0);
}

/* Makes resource idx and shares it (and a counted note) through the store. */
static void
step_make(world *w, zs_flow_chain *c, int idx)
{
	char key[32];
	int *r = malloc(sizeof *r);
	struct note *n = malloc(sizeof *n);
	*r = idx;
	n->w = w;
	pthread_mutex_lock(&w->lock);
	w->res[idx] = r;
	w->live++;
	w->notes_live++;
	pthread_mutex_unlock(&w->lock);
	snprintf(key, sizeof key, "res.%d", idx);
	ZST_EXPECT_IN(w->t, zs_flow_set(c, key, r, NULL) == 0);
	snprintf(key, sizeof key, "note.%d", idx);
	ZST_EXPECT_IN(w->t, zs_flow_set(c, key, n, note_free) == 0);
}

static void
step_run(zs_flow *flow, void *arg)
{
	struct step *s = arg;
	world *w = s->w;
	zs_flow_chain *c = zs_flow_chain_of(flow);
	char key[32];

	busy_enter(w);
	world_log(w, 'r', s->idx);
	snprintf(key, sizeof key, "s%d", s->idx);
	ZST_EXPECT_IN(w->t, strcmp(zs_flow_step_name(flow), key) == 0);
	for (int j = 1; j < s->idx; j++) { /* what earlier steps made is visible */
		snprintf(key, sizeof key, "res.%d", j);
		ZST_EXPECT_IN(w->t, zs_flow_get(c, key) == w->res[j] && w->res[j] != NULL);
	}
	if (s->idx == w->fail_at) {
		end_step(w, flow, END_FAIL,
		    zs_status_new(ZS_UNAVAILABLE, "TEST.1", "disk %d full", s->idx), s->idx);
	} else {
		step_make(w, c, s->idx);
		end_step(w, flow, END_NEXT, NULL, s->idx);
	}
	busy_leave(w);
}

/* The status a failing rollback gives: step 2's has a cause, step 4's is NULL. */
static zs_status *
rollback_failure(int idx)
{
	if (idx == 4)
		return NULL;
	zs_status *st = zs_status_new(ZS_INTERNAL, "TEST.2", "cannot undo %d", idx);
	zs_status_set_cause(st, zs_status_new(ZS_UNAVAILABLE, NULL, "agent %d down", idx));
	return st;
}

static void
step_rollback(zs_flow *flow, void *arg)
{
	struct step *s = arg;
	world *w = s->w;
	char key[32];

	busy_enter(w);
	world_log(w, 'b', s->idx);
	if (w->rb_fail & (1u << s->idx)) {
		end_step(w, flow, END_RB_FAIL, rollback_failure(s->idx), s->idx);
		busy_leave(w);
		return;
	}
	pthread_mutex_lock(&w->lock);
	if (w->res[s->idx] != NULL) {
		free(w->res[s->idx]);
		w->res[s->idx] = NULL;
		w->live--;
	}
	pthread_mutex_unlock(&w->lock);
	snprintf(key, sizeof key, "res.%d", s->idx);
	ZST_EXPECT_IN(w->t, zs_flow_set(zs_flow_chain_of(flow), key, NULL, NULL) == 0);
	end_step(w, flow, END_RB_DONE, NULL, s->idx);
	busy_leave(w);
}

/* Builds and runs n generic steps (flags[i] for step i+1, may be NULL), waits for the end. */
static void
run_chain(world *w, int n, const unsigned *flags)
{
	struct step steps[MAX_STEPS + 1];
	zs_flow_chain *c = zs_flow_chain_new("test");
	ZST_EXPECT_IN(w->t, c != NULL);
	for (int i = 1; i <= n; i++) {
		char name[16];
		steps[i] = (struct step){ w, i };
		snprintf(name, sizeof name, "s%d", i);
		ZST_EXPECT_IN(w->t, zs_flow_chain_add(c, name, step_run, step_rollback, &steps[i],
		    flags != NULL ? flags[i - 1] : 0) == 0);
	}
	ZST_EXPECT_IN(w->t, zs_flow_chain_start(c, on_done, w) == 0);
	world_wait(w);
	ZST_EXPECT_IN(w->t, w->done_calls == 1);
	ZST_EXPECT_IN(w->t, w->notes_live == 0);
	ZST_EXPECT_IN(w->t, atomic_load(&w->busy) == 0);
}

/* Expected log for a chain of n steps failing at k that rolls back down from `from`. */
static void
expect_log(char *buf, size_t len, int k, int from)
{
	size_t at = 0;
	buf[0] = '\0';
	for (int i = 1; i <= k; i++)
		at += snprintf(buf + at, len - at, " r%d", i);
	for (int i = from; i >= 1; i--)
		at += snprintf(buf + at, len - at, " b%d", i);
}

/* ---- tests ---- */

static void
success(T *t, bool async)
{
	world w;
	world_init(&w, t);
	w.async = async;
	run_chain(&w, 5, NULL);
	ZST_EXPECT_IN(t, strcmp(w.log, " r1 r2 r3 r4 r5") == 0);
	ZST_EXPECT_IN(t, w.status == NULL);
	ZST_EXPECT_IN(t, w.done_saw_store);
	ZST_EXPECT_IN(t, w.live == 5); /* made, kept: the operation succeeded */
	world_fini(&w);
}

static void
test_success(T *t)
{
	success(t, false);
}

static void
test_success_async(T *t)
{
	success(t, true);
}

/* Fails at each step k in turn: exactly 1..k-1 roll back, last first. */
static void
fail_each(T *t, bool async)
{
	for (int k = 1; k <= 5; k++) {
		world w;
		char want[128];
		world_init(&w, t);
		w.async = async;
		w.fail_at = k;
		run_chain(&w, 5, NULL);
		expect_log(want, sizeof want, k, k - 1);
		ZST_EXPECT_IN(t, strcmp(w.log, want) == 0);
		if (strcmp(w.log, want) != 0)
			fprintf(stderr, "  k=%d log '%s' want '%s'\n", k, w.log, want);
		ZST_EXPECT_IN(t, w.live == 0);
		ZST_EXPECT_IN(t, w.status != NULL);
		if (w.status != NULL) {
			char msg[64];
			snprintf(msg, sizeof msg, "step s%d: disk %d full", k, k);
			ZST_EXPECT_IN(t, w.status->code == (Zs__Rpc__V1__Code) ZS_UNAVAILABLE);
			ZST_EXPECT_IN(t, strcmp(w.status->error_code, "TEST.1") == 0);
			ZST_EXPECT_IN(t, strcmp(w.status->message, msg) == 0);
			ZST_EXPECT_IN(t, w.status->n_details == 0);
		}
		world_fini(&w);
	}
}

static void
test_fail_each(T *t)
{
	fail_each(t, false);
}

static void
test_fail_each_async(T *t)
{
	fail_each(t, true);
}

/* Rollbacks of steps 2 and 4 fail: 4, 3, 2, 1 all still run; both failures show. */
static void
rollback_failures(T *t, bool async)
{
	world w;
	world_init(&w, t);
	w.async = async;
	w.fail_at = 5;
	w.rb_fail = 1u << 2 | 1u << 4;
	run_chain(&w, 5, NULL);
	ZST_EXPECT_IN(t, strcmp(w.log, " r1 r2 r3 r4 r5 b4 b3 b2 b1") == 0);
	ZST_EXPECT_IN(t, w.live == 2); /* what the failed rollbacks could not undo */
	ZST_EXPECT_IN(t, w.res[2] != NULL && w.res[4] != NULL);
	ZST_EXPECT_IN(t, w.status != NULL);
	if (w.status != NULL) {
		ZST_EXPECT_IN(t, w.status->code == (Zs__Rpc__V1__Code) ZS_UNAVAILABLE);
		ZST_EXPECT_IN(t, strcmp(w.status->message, "step s5: disk 5 full") == 0);
		ZST_EXPECT_IN(t, w.status->n_details == 2);
		if (w.status->n_details == 2) {
			ZST_EXPECT_IN(t, strcmp(w.status->details[0],
			    "rollback of step s4 failed") == 0);
			ZST_EXPECT_IN(t, strcmp(w.status->details[1],
			    "rollback of step s2 failed: INTERNAL TEST.2: cannot undo 2; "
			    "caused by UNAVAILABLE: agent 2 down") == 0);
		}
		/* the failure with a status also joins the cause chain, with its own cause */
		const zs_status *c = w.status->cause;
		ZST_EXPECT_IN(t, c != NULL);
		if (c != NULL) {
			ZST_EXPECT_IN(t, strcmp(c->message, "rollback of step s2 failed: cannot undo 2") == 0);
			ZST_EXPECT_IN(t, strcmp(c->error_code, "TEST.2") == 0);
			ZST_EXPECT_IN(t, c->cause != NULL && strcmp(c->cause->message, "agent 2 down") == 0);
		}
	}
	world_fini(&w);
}

static void
test_rollback_failures(T *t)
{
	rollback_failures(t, false);
}

static void
test_rollback_failures_async(T *t)
{
	rollback_failures(t, true);
}

/* Step 3 fails with ZS_FLOW_ROLLBACK_SELF: it rolls back too, first. Step 2's flag
 * changes nothing when step 2 itself does not fail. */
static void
test_rollback_self(T *t)
{
	for (int async = 0; async <= 1; async++) {
		world w;
		const unsigned flags[] = { 0, ZS_FLOW_ROLLBACK_SELF, ZS_FLOW_ROLLBACK_SELF, 0 };
		world_init(&w, t);
		w.async = async;
		w.fail_at = 3;
		run_chain(&w, 4, flags);
		ZST_EXPECT_IN(t, strcmp(w.log, " r1 r2 r3 b3 b2 b1") == 0);
		ZST_EXPECT_IN(t, w.live == 0);
		ZST_EXPECT_IN(t, w.status != NULL);
		world_fini(&w);
	}
	world w;
	const unsigned flags[] = { 0, ZS_FLOW_ROLLBACK_SELF, 0, 0 };
	world_init(&w, t);
	w.fail_at = 3;
	run_chain(&w, 4, flags);
	ZST_EXPECT_IN(t, strcmp(w.log, " r1 r2 r3 b2 b1") == 0);
	ZST_EXPECT_IN(t, w.live == 0);
	world_fini(&w);
}

/* ---- next() from another thread racing run() ---- */

struct race {
	T *t;
	zs_flow *flow;
	atomic_int run_returned; /* step 1's run() is about to return */
	atomic_int next_returned;
	atomic_int run_returned2;
	pthread_t tid1, tid2;
	pthread_t step3_thread;
	int done_calls;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* Calls next() while step 1's run() is still on the stack. */
static void *
race_early(void *arg)
{
	struct race *r = arg;
	ZST_EXPECT_IN(r->t, zs_flow_next(r->flow) == 0);
	ZST_EXPECT_IN(r->t, zs_flow_next(r->flow) == ZS_FAILED_PRECONDITION);
	atomic_store(&r->next_returned, 1);
	return NULL;
}

static void
race_run1(zs_flow *flow, void *arg)
{
	struct race *r = arg;
	r->flow = flow;
	pthread_create(&r->tid1, NULL, race_early, r);
	while (!atomic_load(&r->next_returned))
		sleep_us(100);
	sleep_us(5000); /* step 2 must still not start */
	atomic_store(&r->run_returned, 1);
}

/* Calls next() after step 2's run() has returned: this thread drives on. */
static void *
race_late(void *arg)
{
	struct race *r = arg;
	while (!atomic_load(&r->run_returned2))
		sleep_us(100);
	sleep_us(5000);
	ZST_EXPECT_IN(r->t, zs_flow_next(r->flow) == 0);
	return NULL;
}

static void
race_run2(zs_flow *flow, void *arg)
{
	struct race *r = arg;
	ZST_EXPECT_IN(r->t, atomic_load(&r->run_returned) == 1);
	r->flow = flow;
	pthread_create(&r->tid2, NULL, race_late, r);
	atomic_store(&r->run_returned2, 1);
}

static void
race_run3(zs_flow *flow, void *arg)
{
	struct race *r = arg;
	r->step3_thread = pthread_self();
	ZST_EXPECT_IN(r->t, zs_flow_next(flow) == 0);
}

static void
race_done(zs_flow_chain *chain, const zs_status *status, void *arg)
{
	struct race *r = arg;
	(void) chain;
	ZST_EXPECT_IN(r->t, status == NULL);
	pthread_mutex_lock(&r->lock);
	r->done_calls++;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void
test_async_race(T *t)
{
	struct race r = { .t = t };
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	zs_flow_chain *c = zs_flow_chain_new("race");
	ZST_EXPECT_IN(t, zs_flow_chain_add(c, "one", race_run1, NULL, &r, 0) == 0);
	ZST_EXPECT_IN(t, zs_flow_chain_add(c, "two", race_run2, NULL, &r, 0) == 0);
	ZST_EXPECT_IN(t, zs_flow_chain_add(c, "three", race_run3, NULL, &r, 0) == 0);
	ZST_EXPECT_IN(t, zs_flow_chain_start(c, race_done, &r) == 0);
	pthread_mutex_lock(&r.lock);
	while (r.done_calls == 0)
		pthread_cond_wait(&r.cond, &r.lock);
	pthread_mutex_unlock(&r.lock);
	pthread_join(r.tid1, NULL);
	pthread_join(r.tid2, NULL);
	ZST_EXPECT_IN(t, r.done_calls == 1);
	ZST_EXPECT_IN(t, pthread_equal(r.step3_thread, r.tid2)); /* the late ender drove step 3 */
	pthread_cond_destroy(&r.cond);
	pthread_mutex_destroy(&r.lock);
}

/* ---- deep chains ---- */

struct deep {
	T *t;
	long made;      /* steps that ran and were not rolled back */
	long runs;
	long fail_at;   /* index whose run fails; -1: none */
	int done_calls;
	atomic_int finished; /* done() has run */
	int code;
	long async_every; /* every n-th step ends on a thread; 0: never */
	pthread_t threads[512];
	int nthreads;
};

struct deep_arg {
	struct deep *d;
	long idx;
};

static void *
deep_thread(void *arg)
{
	zs_flow *flow = arg;
	zs_flow_next(flow);
	return NULL;
}

static void
deep_run(zs_flow *flow, void *arg)
{
	struct deep_arg *a = arg;
	struct deep *d = a->d;
	d->runs++;
	if (a->idx == d->fail_at) {
		zs_flow_fail(flow, zs_status_new(ZS_ABORTED, NULL, "deep"));
		return;
	}
	d->made++;
	if (d->async_every != 0 && a->idx % d->async_every == 0)
		pthread_create(&d->threads[d->nthreads++], NULL, deep_thread, flow);
	else
		zs_flow_next(flow);
}

static void
deep_rollback(zs_flow *flow, void *arg)
{
	struct deep_arg *a = arg;
	a->d->made--;
	zs_flow_rollback_done(flow);
}

static void
deep_done(zs_flow_chain *chain, const zs_status *status, void *arg)
{
	struct deep *d = arg;
	(void) chain;
	d->done_calls++;
	d->code = status != NULL ? (int) status->code : 0;
	atomic_store(&d->finished, 1);
}

/* Runs n steps on a thread with a 512 KiB stack: recursion per step would overflow it. */
static void *
deep_chain(void *arg)
{
	struct deep *d = arg;
	long n = d->fail_at >= 0 ? d->fail_at + 1 : 100000;
	if (d->async_every != 0)
		n = 1000;
	struct deep_arg *args = calloc((size_t) n, sizeof *args);
	zs_flow_chain *c = zs_flow_chain_new("deep");
	for (long i = 0; i < n; i++) {
		args[i] = (struct deep_arg){ d, i };
		if (zs_flow_chain_add(c, "step", deep_run, deep_rollback, &args[i], 0) != 0)
			ZST_EXPECT_IN(d->t, !"add");
	}
	zs_flow_chain_start(c, deep_done, d);
	while (!atomic_load(&d->finished)) /* async steps go on after start returns */
		sleep_us(1000);
	for (int i = 0; i < d->nthreads; i++)
		pthread_join(d->threads[i], NULL);
	free(args);
	return NULL;
}

static void
deep(T *t, struct deep *d)
{
	pthread_attr_t attr;
	pthread_t tid;
	d->t = t;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 512 * 1024);
	ZST_EXPECT_IN(t, pthread_create(&tid, &attr, deep_chain, d) == 0);
	pthread_join(tid, NULL);
	pthread_attr_destroy(&attr);
	ZST_EXPECT_IN(t, d->done_calls == 1);
}

static void
test_deep(T *t)
{
	struct deep ok = { .fail_at = -1 };
	deep(t, &ok);
	ZST_EXPECT_IN(t, ok.runs == 100000 && ok.made == 100000 && ok.code == 0);

	struct deep bad = { .fail_at = 99999 };
	deep(t, &bad);
	ZST_EXPECT_IN(t, bad.runs == 100000 && bad.made == 0 && bad.code == ZS_ABORTED);

	/* Every 3rd step ends on its own thread, which then drives the chain on. */
	struct deep mixed = { .fail_at = -1, .async_every = 3 };
	deep(t, &mixed);
	ZST_EXPECT_IN(t, mixed.runs == 1000 && mixed.made == 1000 && mixed.code == 0);
}

/* ---- endings refused ---- */

struct twice {
	T *t;
	int runs2, rollbacks;
};

static void
twice_run1(zs_flow *flow, void *arg)
{
	struct twice *x = arg;
	ZST_EXPECT_IN(x->t, zs_flow_rollback_done(flow) == ZS_FAILED_PRECONDITION);
	ZST_EXPECT_IN(x->t, zs_flow_next(flow) == 0);
	ZST_EXPECT_IN(x->t, zs_flow_next(flow) == ZS_FAILED_PRECONDITION);
	ZST_EXPECT_IN(x->t, zs_flow_fail(flow, zs_status_new(ZS_INTERNAL, NULL, "late")) ==
	    ZS_FAILED_PRECONDITION);
	ZST_EXPECT_IN(x->t, zs_flow_rollback_fail(flow, NULL) == ZS_FAILED_PRECONDITION);
}

static void
twice_rollback1(zs_flow *flow, void *arg)
{
	struct twice *x = arg;
	x->rollbacks++;
	ZST_EXPECT_IN(x->t, zs_flow_next(flow) == ZS_FAILED_PRECONDITION);
	ZST_EXPECT_IN(x->t, zs_flow_rollback_done(flow) == 0);
	ZST_EXPECT_IN(x->t, zs_flow_rollback_done(flow) == ZS_FAILED_PRECONDITION);
	ZST_EXPECT_IN(x->t, zs_flow_rollback_fail(flow, zs_status_new(ZS_INTERNAL, NULL, "x")) ==
	    ZS_FAILED_PRECONDITION);
}

static void
twice_run2(zs_flow *flow, void *arg)
{
	struct twice *x = arg;
	x->runs2++;
	ZST_EXPECT_IN(x->t, zs_flow_fail(flow, NULL) == 0);
	ZST_EXPECT_IN(x->t, zs_flow_fail(flow, NULL) == ZS_FAILED_PRECONDITION);
	ZST_EXPECT_IN(x->t, zs_flow_next(flow) == ZS_FAILED_PRECONDITION);
}

static void
twice_done(zs_flow_chain *chain, const zs_status *status, void *arg)
{
	struct twice *x = arg;
	(void) chain;
	ZST_EXPECT_IN(x->t, status != NULL && status->code == (Zs__Rpc__V1__Code) ZS_UNKNOWN);
	ZST_EXPECT_IN(x->t, status != NULL && strcmp(status->message, "step two failed") == 0);
	ZST_EXPECT_IN(x->t, status != NULL && status->n_details == 0);
}

static void
test_twice(T *t)
{
	struct twice x = { .t = t };
	zs_flow_chain *c = zs_flow_chain_new("twice");
	zs_flow_chain_add(c, "one", twice_run1, twice_rollback1, &x, 0);
	zs_flow_chain_add(c, "two", twice_run2, NULL, &x, 0);
	ZST_EXPECT_IN(t, zs_flow_chain_start(c, twice_done, &x) == 0);
	ZST_EXPECT_IN(t, x.runs2 == 1 && x.rollbacks == 1);
}

/* ---- cancel ---- */

struct cancel {
	T *t;
	world w;
	zs_flow *parked;  /* step 2, left open */
	bool ended;       /* set by done, under w.lock */
};

static void
cancel_park(zs_flow *flow, void *arg)
{
	struct cancel *x = arg;
	world_log(&x->w, 'r', 2);
	x->parked = flow;
}

static void
cancel_self(zs_flow *flow, void *arg)
{
	struct cancel *x = arg;
	world_log(&x->w, 'r', 2);
	ZST_EXPECT_IN(x->t, zs_flow_chain_cancel(zs_flow_chain_of(flow), NULL) == 0);
	ZST_EXPECT_IN(x->t, zs_flow_chain_cancel(zs_flow_chain_of(flow), NULL) ==
	    ZS_FAILED_PRECONDITION);
	zs_flow_next(flow);
}

static void
cancel_rollback(zs_flow *flow, void *arg)
{
	struct cancel *x = arg;
	world_log(&x->w, 'b', 2);
	zs_flow_rollback_done(flow);
}

static void
cancel_done(zs_flow_chain *chain, const zs_status *status, void *arg)
{
	struct cancel *x = arg;
	on_done(chain, status, &x->w);
	pthread_mutex_lock(&x->w.lock);
	x->ended = true;
	pthread_mutex_unlock(&x->w.lock);
}

/* Chain s1, (cancelling step 2), s3: step 2 cancels itself or is cancelled from outside
 * while open; s3 never runs, 2 and 1 roll back. */
static void
cancel_case(T *t, bool from_outside)
{
	struct cancel x = { .t = t };
	struct step s1 = { &x.w, 1 }, s3 = { &x.w, 3 };
	world_init(&x.w, t);
	zs_flow_chain *c = zs_flow_chain_new("cancelme");
	zs_flow_chain_add(c, "s1", step_run, step_rollback, &s1, 0);
	zs_flow_chain_add(c, "s2", from_outside ? cancel_park : cancel_self, cancel_rollback, &x, 0);
	zs_flow_chain_add(c, "s3", step_run, step_rollback, &s3, 0);
	ZST_EXPECT_IN(t, zs_flow_chain_start(c, cancel_done, &x) == 0);
	if (from_outside) {
		ZST_EXPECT_IN(t, x.parked != NULL);
		pthread_mutex_lock(&x.w.lock); /* the lock done() takes: the chain lives */
		if (!x.ended)
			ZST_EXPECT_IN(t, zs_flow_chain_cancel(c, zs_status_new(ZS_ABORTED, "OP.1",
			    "operator said stop")) == 0);
		pthread_mutex_unlock(&x.w.lock);
		ZST_EXPECT_IN(t, zs_flow_next(x.parked) == 0);
	}
	world_wait(&x.w);
	ZST_EXPECT_IN(t, x.w.done_calls == 1);
	ZST_EXPECT_IN(t, strcmp(x.w.log, " r1 r2 b2 b1") == 0);
	ZST_EXPECT_IN(t, x.w.live == 0 && x.w.notes_live == 0);
	ZST_EXPECT_IN(t, x.w.status != NULL);
	if (x.w.status != NULL && from_outside) {
		ZST_EXPECT_IN(t, x.w.status->code == (Zs__Rpc__V1__Code) ZS_ABORTED);
		ZST_EXPECT_IN(t, strcmp(x.w.status->message, "operator said stop") == 0);
	} else if (x.w.status != NULL) {
		ZST_EXPECT_IN(t, x.w.status->code == (Zs__Rpc__V1__Code) ZS_CANCELLED);
		ZST_EXPECT_IN(t, strcmp(x.w.status->message, "chain cancelme cancelled") == 0);
	}
	world_fini(&x.w);
}

static void
test_cancel(T *t)
{
	cancel_case(t, false);
	cancel_case(t, true);
}

/* ---- status naming ---- */

struct naming {
	T *t;
	zs_status *why; /* handed to fail() */
	zs_status *got;
};

static void
naming_run(zs_flow *flow, void *arg)
{
	struct naming *x = arg;
	zs_flow_fail(flow, x->why);
}

static void
naming_done(zs_flow_chain *chain, const zs_status *status, void *arg)
{
	struct naming *x = arg;
	(void) chain;
	x->got = zs_status_copy(status);
}

/* Fails step copy-disk with why; returns done()'s message in buf. */
static void
naming_case(T *t, zs_status *why, const char *want, int want_code)
{
	struct naming x = { .t = t, .why = why };
	zs_flow_chain *c = zs_flow_chain_new("naming");
	zs_flow_chain_add(c, "copy-disk", naming_run, NULL, &x, 0);
	zs_flow_chain_start(c, naming_done, &x);
	ZST_EXPECT_IN(t, x.got != NULL);
	if (x.got != NULL) {
		ZST_EXPECT_IN(t, strcmp(x.got->message, want) == 0);
		if (strcmp(x.got->message, want) != 0)
			fprintf(stderr, "  got '%s' want '%s'\n", x.got->message, want);
		ZST_EXPECT_IN(t, (int) x.got->code == want_code);
	}
	zs_status_free(x.got);
}

static void
test_naming(T *t)
{
	naming_case(t, zs_status_new(ZS_INTERNAL, NULL, "copy-disk: no space"),
	    "copy-disk: no space", ZS_INTERNAL);
	naming_case(t, zs_status_new(ZS_INTERNAL, NULL, "no space for copy-disk"),
	    "no space for copy-disk", ZS_INTERNAL);
	naming_case(t, zs_status_new(ZS_INTERNAL, NULL, "copy-disk2 gone"),
	    "step copy-disk: copy-disk2 gone", ZS_INTERNAL);
	naming_case(t, zs_status_new(ZS_INTERNAL, NULL, "%s", ""),
	    "step copy-disk: failed", ZS_INTERNAL);
	naming_case(t, NULL, "step copy-disk failed", ZS_UNKNOWN);
	naming_case(t, zs_status_new(ZS_OK, NULL, "odd"), "step copy-disk: odd", ZS_UNKNOWN);
	/* An unpacked status (empty strings are protobuf-c's shared constant). */
	zs_status empty = ZS__RPC__V1__STATUS__INIT;
	empty.code = (Zs__Rpc__V1__Code) ZS_NOT_FOUND;
	naming_case(t, zs_status_copy(&empty), "step copy-disk: failed", ZS_NOT_FOUND);
}

/* ---- the store and odd uses ---- */

static void
count_free(void *p)
{
	(*(int *) p)++;
}

struct misc {
	T *t;
	int done_calls;
	const zs_status *status;
};

static void
misc_add_late(zs_flow *flow, void *arg)
{
	struct misc *m = arg;
	zs_flow_chain *c = zs_flow_chain_of(flow);
	ZST_EXPECT_IN(m->t, zs_flow_chain_add(c, "late", misc_add_late, NULL, m, 0) ==
	    ZS_FAILED_PRECONDITION);
	ZST_EXPECT_IN(m->t, zs_flow_chain_start(c, NULL, NULL) == ZS_FAILED_PRECONDITION);
	ZST_EXPECT_IN(m->t, strcmp(zs_flow_chain_name(c), "misc") == 0);
	zs_flow_next(flow);
}

static void
misc_done(zs_flow_chain *chain, const zs_status *status, void *arg)
{
	struct misc *m = arg;
	(void) chain;
	m->done_calls++;
	m->status = status;
}

static void
test_store_and_misc(T *t)
{
	int freed_a = 0, freed_b = 0, freed_c = 0;
	zs_flow_chain *c = zs_flow_chain_new(NULL);
	ZST_EXPECT_IN(t, strcmp(zs_flow_chain_name(c), "chain") == 0);
	ZST_EXPECT_IN(t, zs_flow_get(c, "a") == NULL);
	ZST_EXPECT_IN(t, zs_flow_set(c, "a", &freed_a, count_free) == 0);
	ZST_EXPECT_IN(t, zs_flow_get(c, "a") == &freed_a);
	ZST_EXPECT_IN(t, zs_flow_set(c, "a", &freed_b, count_free) == 0); /* replaces, frees old */
	ZST_EXPECT_IN(t, freed_a == 1 && zs_flow_get(c, "a") == &freed_b);
	ZST_EXPECT_IN(t, zs_flow_set(c, NULL, &freed_c, count_free) == ZS_INVALID_ARGUMENT);
	ZST_EXPECT_IN(t, freed_c == 1); /* taken even when refused */
	for (int i = 0; i < 20; i++) { /* grows */
		char key[16];
		snprintf(key, sizeof key, "k%d", i);
		ZST_EXPECT_IN(t, zs_flow_set(c, key, strdup(key), free) == 0);
	}
	ZST_EXPECT_IN(t, strcmp(zs_flow_get(c, "k17"), "k17") == 0);
	ZST_EXPECT_IN(t, zs_flow_chain_add(c, "x", NULL, NULL, NULL, 0) == ZS_INVALID_ARGUMENT);
	ZST_EXPECT_IN(t, zs_flow_chain_add(c, "", misc_add_late, NULL, NULL, 0) == ZS_INVALID_ARGUMENT);
	ZST_EXPECT_IN(t, zs_flow_chain_add(NULL, "x", misc_add_late, NULL, NULL, 0) ==
	    ZS_INVALID_ARGUMENT);
	ZST_EXPECT_IN(t, zs_flow_chain_add(c, "x", misc_add_late, NULL, NULL, 0) == 0);
	zs_flow_chain_free(c); /* never started: store values freed */
	ZST_EXPECT_IN(t, freed_b == 1);
	ZST_EXPECT_IN(t, zs_flow_chain_start(NULL, NULL, NULL) == ZS_INVALID_ARGUMENT);
	ZST_EXPECT_IN(t, zs_flow_chain_cancel(NULL, NULL) == ZS_INVALID_ARGUMENT);

	/* No steps: done at once with NULL. */
	struct misc m = { .t = t };
	ZST_EXPECT_IN(t, zs_flow_chain_start(zs_flow_chain_new("empty"), misc_done, &m) == 0);
	ZST_EXPECT_IN(t, m.done_calls == 1 && m.status == NULL);

	/* Adding or starting from inside a running chain is refused; no done() is fine. */
	struct misc m2 = { .t = t };
	c = zs_flow_chain_new("misc");
	zs_flow_chain_add(c, "first", misc_add_late, NULL, &m2, 0);
	ZST_EXPECT_IN(t, zs_flow_chain_start(c, NULL, NULL) == 0);
}

/* ---- runner ---- */

struct test {
	const char *name;
	void (*fn)(T *t);
};

int
main(void)
{
	zst_check_init("workflow");
	static const struct test tests[] = {
		{ "success", test_success },
		{ "success_async", test_success_async },
		{ "fail_each", test_fail_each },
		{ "fail_each_async", test_fail_each_async },
		{ "rollback_failures", test_rollback_failures },
		{ "rollback_failures_async", test_rollback_failures_async },
		{ "rollback_self", test_rollback_self },
		{ "async_race", test_async_race },
		{ "deep", test_deep },
		{ "twice", test_twice },
		{ "cancel", test_cancel },
		{ "naming", test_naming },
		{ "store_and_misc", test_store_and_misc },
	};
	int passed = 0, failed = 0;
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		T t = { .name = tests[i].name };
		tests[i].fn(&t);
		if (atomic_load(&t.failures) == 0)
			passed++;
		else
			failed++;
	}
	printf("workflow: %d cases passed, %d failed\n", passed, failed);
	return zst_check_summary() != 0 || failed ? 1 : 0;
}
