/*
 * zs_flow.c: the workflow engine (zs/flow.h): runs a chain's steps in order and,
 * when one fails, rolls the finished ones back in reverse.
 *
 * One thread at a time "drives" a chain: it starts a step, and when that step has ended
 * it starts the next one, in a loop (never by recursion, so any chain length runs in
 * constant stack). A step has ended when two things have happened, in either order and
 * on any threads: its run() (or rollback()) has returned, and it has called next()/fail()
 * (or rollback_done()/rollback_fail()). The chain counts them down in `pending`, an
 * atomic set to 2 before each step: whichever of the two arrives last drives on. So the
 * driver that returns from run() with the step still open just returns, and the thread
 * that later ends the step becomes the driver; a step that ends inside run() leaves the
 * driving to the loop it is called from. No lock is held while a step runs, and the
 * thread that hands the chain over never touches it again (it may be freed at once).
 *
 * Each step's state is an atomic, moved by compare-and-swap (RUNNING -> RAN, ...), which
 * is how a second next()/fail() is refused without side effects.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/flow.h"

/* Where a step is; moved only forward. */
enum {
	ST_WAITING,         /* not started */
	ST_RUNNING,         /* run() started, not ended */
	ST_RAN,             /* run() ended with next() */
	ST_RUN_FAILED,      /* run() ended with fail() */
	ST_ROLLING_BACK,    /* rollback() started, not ended */
	ST_ROLLED_BACK,     /* rollback() ended with rollback_done() */
	ST_ROLLBACK_FAILED, /* rollback() ended with rollback_fail() */
};

struct zs_flow {
	zs_flow_chain *chain;
	char *name;
	zs_flow_fn run, rollback;
	void *arg;
	unsigned flags;
	atomic_int state;
	zs_status *why; /* fail()'s status, handed from the ending thread to the driver */
};

/* One value of the store. */
struct flow_entry {
	char *key;
	void *value;
	void (*free_fn)(void *);
};

struct zs_flow_chain {
	char *name;
	zs_flow *steps; /* fixed once started: handles point into it */
	size_t len, cap;
	bool started;

	/* Driver's state: touched only by the thread driving the chain. */
	bool rolling_back;
	size_t next;        /* running: index of the next step to run */
	size_t undo;        /* rolling back: steps[0 .. undo) may still roll back */
	zs_status *failure; /* what done() gets; NULL while all goes well */
	zs_flow_done_fn done;
	void *done_arg;

	/* Crossing threads. */
	atomic_uint pending;          /* run() returning + the step ending: 2 .. 0 */
	_Atomic(zs_status *) cancel;  /* zs_flow_chain_cancel()'s status, first wins */

	/* The failure when even its status could not be allocated. */
	zs_status fallback;
	char fallback_msg[160];

	pthread_mutex_t store_lock;
	struct flow_entry *store;
	size_t store_len, store_cap;
};

/* ---- statuses ---- */

static bool
name_char(char ch)
{
	return isalnum((unsigned char) ch) || ch == '_' || ch == '-' || ch == '.';
}

/* True if msg contains name as a word (not inside a longer name). */
static bool
names_step(const char *msg, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = msg; (p = strstr(p, name)) != NULL; p++) {
		if ((p == msg || !name_char(p[-1])) && !name_char(p[n]))
			return true;
	}
	return false;
}

static void
status_set_message(zs_status *st, char *msg)
{
	if (st->message != NULL && st->message != protobuf_c_empty_string)
		free(st->message);
	st->message = msg;
}

/* Prefixes "step NAME: " to st's message unless it names the step already. */
static void
status_name_step(zs_status *st, const char *name)
{
	const char *msg = st->message != NULL ? st->message : "";
	char *named;
	if (names_step(msg, name))
		return;
	if (asprintf(&named, "step %s: %s", name, *msg != '\0' ? msg : "failed") >= 0)
		status_set_message(st, named);
}

/* The chain's own failure status, for when no other could be allocated. */
static zs_status *
chain_fallback(zs_flow_chain *c, const char *step)
{
	snprintf(c->fallback_msg, sizeof c->fallback_msg,
	    "step %.100s: failed (out of memory for its status)", step);
	c->fallback.code = (Zs__Rpc__V1__Code) ZS_RESOURCE_EXHAUSTED;
	c->fallback.message = c->fallback_msg;
	return &c->fallback;
}

/* Makes why (taken, may be NULL) the failure of step f. */
static zs_status *
step_failure(zs_flow_chain *c, const zs_flow *f, zs_status *why)
{
	if (why == NULL)
		why = zs_status_new(ZS_UNKNOWN, NULL, "step %s failed", f->name);
	if (why == NULL)
		return chain_fallback(c, f->name);
	if (why->code == (Zs__Rpc__V1__Code) ZS_OK)
		why->code = (Zs__Rpc__V1__Code) ZS_UNKNOWN;
	status_name_step(why, f->name);
	return why;
}

/* Writes "CODE[ ERROR_CODE]: message[; caused by ...]" for st and its causes. */
static void
status_print(FILE *out, const zs_status *st)
{
	for (int depth = 0; st != NULL; st = st->cause, depth++) {
		fputs(depth == 0 ? ": " : "; caused by ", out);
		fputs(zs_status_code_name((int) st->code), out);
		if (st->error_code != NULL && *st->error_code != '\0')
			fprintf(out, " %s", st->error_code);
		fprintf(out, ": %s", st->message != NULL ? st->message : "");
	}
}

/* Adds to the failure one detail line for step f's failed rollback (why borrowed). */
static void
note_rollback_failure(zs_status *failure, const zs_flow *f, const zs_status *why)
{
	char *line = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&line, &len);
	if (out != NULL) {
		fprintf(out, "rollback of step %s failed", f->name);
		status_print(out, why);
		if (fclose(out) == 0) {
			zs_status_add_detail(failure, "%s", line);
			free(line);
			return;
		}
		free(line);
	}
	zs_status_add_detail(failure, "rollback of step %s failed", f->name);
}

/* ---- chains ---- */

zs_flow_chain *
zs_flow_chain_new(const char *name)
{
	zs_flow_chain *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->name = strdup(name != NULL ? name : "chain");
	if (c->name == NULL || pthread_mutex_init(&c->store_lock, NULL) != 0) {
		free(c->name);
		free(c);
		return NULL;
	}
	zs__rpc__v1__status__init(&c->fallback);
	atomic_init(&c->pending, 0);
	atomic_init(&c->cancel, NULL);
	return c;
}

static int
chain_grow(zs_flow_chain *c)
{
	size_t cap = c->cap != 0 ? c->cap * 2 : 8;
	zs_flow *steps = realloc(c->steps, cap * sizeof *steps);
	if (steps == NULL)
		return ZS_RESOURCE_EXHAUSTED;
	c->steps = steps;
	c->cap = cap;
	return 0;
}

int
zs_flow_chain_add(zs_flow_chain *chain, const char *name, zs_flow_fn run,
    zs_flow_fn rollback, void *arg, unsigned flags)
{
	if (chain == NULL || name == NULL || *name == '\0' || run == NULL)
		return ZS_INVALID_ARGUMENT;
	if (chain->started)
		return ZS_FAILED_PRECONDITION;
	if (chain->len == chain->cap && chain_grow(chain) != 0)
		return ZS_RESOURCE_EXHAUSTED;
	char *copy = strdup(name);
	if (copy == NULL)
		return ZS_RESOURCE_EXHAUSTED;
	zs_flow *f = &chain->steps[chain->len++];
	*f = (zs_flow){ .chain = chain, .name = copy, .run = run, .rollback = rollback,
		.arg = arg, .flags = flags };
	atomic_init(&f->state, ST_WAITING);
	return 0;
}

static void
store_clear(zs_flow_chain *c)
{
	for (size_t i = 0; i < c->store_len; i++) {
		struct flow_entry *e = &c->store[i];
		if (e->free_fn != NULL)
			e->free_fn(e->value);
		free(e->key);
	}
	free(c->store);
	c->store = NULL;
	c->store_len = c->store_cap = 0;
}

/* Frees the fallback's detail lines (the fallback itself is part of the chain). */
static void
fallback_clear(zs_status *st)
{
	for (size_t i = 0; i < st->n_details; i++)
		free(st->details[i]);
	free(st->details);
	st->details = NULL;
	st->n_details = 0;
}

static void
chain_destroy(zs_flow_chain *c)
{
	zs_status *cancel = atomic_load(&c->cancel);
	if (c->failure != cancel && c->failure != &c->fallback)
		zs_status_free(c->failure);
	zs_status_free(cancel);
	fallback_clear(&c->fallback);
	store_clear(c);
	for (size_t i = 0; i < c->len; i++) {
		free(c->steps[i].name);
		zs_status_free(c->steps[i].why);
	}
	free(c->steps);
	pthread_mutex_destroy(&c->store_lock);
	free(c->name);
	free(c);
}

void
zs_flow_chain_free(zs_flow_chain *chain)
{
	if (chain != NULL && !chain->started)
		chain_destroy(chain);
}

const char *
zs_flow_chain_name(const zs_flow_chain *chain)
{
	return chain->name;
}

/* ---- driving ---- */

static void
chain_begin_rollback(zs_flow_chain *c, zs_status *failure, size_t undo)
{
	c->rolling_back = true;
	c->failure = failure;
	c->undo = undo;
}

/* The next step to run or roll back, or NULL when the chain is over. */
static zs_flow *
chain_pick(zs_flow_chain *c)
{
	if (!c->rolling_back) {
		if (c->next == c->len)
			return NULL;
		zs_status *cancel = atomic_load(&c->cancel);
		if (cancel == NULL)
			return &c->steps[c->next];
		if (cancel->code == (Zs__Rpc__V1__Code) ZS_OK)
			cancel->code = (Zs__Rpc__V1__Code) ZS_CANCELLED;
		chain_begin_rollback(c, cancel, c->next);
	}
	while (c->undo > 0) {
		zs_flow *f = &c->steps[--c->undo];
		if (f->rollback != NULL)
			return f;
	}
	return NULL;
}

/* Takes in how step f ended. */
static void
chain_absorb(zs_flow_chain *c, zs_flow *f)
{
	zs_status *why = f->why;
	f->why = NULL;
	switch (atomic_load(&f->state)) {
	case ST_RAN:
		c->next++;
		break;
	case ST_RUN_FAILED:
		chain_begin_rollback(c, step_failure(c, f, why),
		    (f->flags & ZS_FLOW_ROLLBACK_SELF) ? c->next + 1 : c->next);
		break;
	case ST_ROLLBACK_FAILED:
		note_rollback_failure(c->failure, f, why);
		if (c->failure != &c->fallback && why != NULL) {
			/* the contract: a rollback failure joins the cause chain too */
			char *msg;
			if (asprintf(&msg, "rollback of step %s failed: %s", f->name,
			    why->message ? why->message : "") >= 0) {
				if (why->message != protobuf_c_empty_string)
					free(why->message);
				why->message = msg;
			}
			zs_status_set_cause(c->failure, why);
			why = NULL;
		}
		zs_status_free(why);
		break;
	default: /* ST_ROLLED_BACK */
		break;
	}
}

static void
chain_finish(zs_flow_chain *c)
{
	if (c->done != NULL)
		c->done(c, c->failure, c->done_arg);
	chain_destroy(c);
}

/* Runs steps until one stays open past its run()/rollback() (its ending drives on)
 * or the chain is over. */
static void
chain_drive(zs_flow_chain *c)
{
	zs_flow *f;
	while ((f = chain_pick(c)) != NULL) {
		atomic_store(&c->pending, 2);
		if (c->rolling_back) {
			atomic_store(&f->state, ST_ROLLING_BACK);
			f->rollback(f, f->arg);
		} else {
			atomic_store(&f->state, ST_RUNNING);
			f->run(f, f->arg);
		}
		if (atomic_fetch_sub(&c->pending, 1) != 1)
			return;
		chain_absorb(c, f);
	}
	chain_finish(c);
}

int
zs_flow_chain_start(zs_flow_chain *chain, zs_flow_done_fn done, void *arg)
{
	if (chain == NULL)
		return ZS_INVALID_ARGUMENT;
	if (chain->started)
		return ZS_FAILED_PRECONDITION;
	chain->started = true;
	chain->done = done;
	chain->done_arg = arg;
	chain_drive(chain);
	return 0;
}

int
zs_flow_chain_cancel(zs_flow_chain *chain, zs_status *why)
{
	if (chain == NULL) {
		zs_status_free(why);
		return ZS_INVALID_ARGUMENT;
	}
	if (why == NULL)
		why = zs_status_new(ZS_CANCELLED, NULL, "chain %s cancelled", chain->name);
	if (why == NULL)
		return ZS_RESOURCE_EXHAUSTED;
	zs_status *none = NULL;
	if (!atomic_compare_exchange_strong(&chain->cancel, &none, why)) {
		zs_status_free(why);
		return ZS_FAILED_PRECONDITION;
	}
	return 0;
}

/* ---- ending steps ---- */

/* Moves f from state `from` to `to`, then drives on if the step's run()/rollback() has
 * returned already. why is taken. */
static int
flow_end(zs_flow *f, int from, int to, zs_status *why)
{
	if (f == NULL) {
		zs_status_free(why);
		return ZS_INVALID_ARGUMENT;
	}
	int expected = from;
	if (!atomic_compare_exchange_strong(&f->state, &expected, to)) {
		zs_status_free(why);
		return ZS_FAILED_PRECONDITION;
	}
	f->why = why;
	zs_flow_chain *c = f->chain;
	/* Past this line f and c may be freed by the driver unless we are the last. */
	if (atomic_fetch_sub(&c->pending, 1) != 1)
		return 0;
	chain_absorb(c, f);
	chain_drive(c);
	return 0;
}

int
zs_flow_next(zs_flow *flow)
{
	return flow_end(flow, ST_RUNNING, ST_RAN, NULL);
}

int
zs_flow_fail(zs_flow *flow, zs_status *why)
{
	return flow_end(flow, ST_RUNNING, ST_RUN_FAILED, why);
}

int
zs_flow_rollback_done(zs_flow *flow)
{
	return flow_end(flow, ST_ROLLING_BACK, ST_ROLLED_BACK, NULL);
}

int
zs_flow_rollback_fail(zs_flow *flow, zs_status *why)
{
	return flow_end(flow, ST_ROLLING_BACK, ST_ROLLBACK_FAILED, why);
}

zs_flow_chain *
zs_flow_chain_of(const zs_flow *flow)
{
	return flow->chain;
}

const char *
zs_flow_step_name(const zs_flow *flow)
{
	return flow->name;
}

/* ---- the store ---- */

/* Index of key in the store, or store_len. Caller holds store_lock. */
static size_t
store_find(const zs_flow_chain *c, const char *key)
{
	size_t i = 0;
	while (i < c->store_len && strcmp(c->store[i].key, key) != 0)
		i++;
	return i;
}

/* Appends an entry for key (copied). Caller holds store_lock. */
static struct flow_entry *
store_append(zs_flow_chain *c, const char *key)
{
	if (c->store_len == c->store_cap) {
		size_t cap = c->store_cap != 0 ? c->store_cap * 2 : 8;
		struct flow_entry *store = realloc(c->store, cap * sizeof *store);
		if (store == NULL)
			return NULL;
		c->store = store;
		c->store_cap = cap;
	}
	char *copy = strdup(key);
	if (copy == NULL)
		return NULL;
	struct flow_entry *e = &c->store[c->store_len++];
	*e = (struct flow_entry){ .key = copy };
	return e;
}

int
zs_flow_set(zs_flow_chain *chain, const char *key, void *value, void (*free_fn)(void *))
{
	if (chain == NULL || key == NULL) {
		if (free_fn != NULL)
			free_fn(value);
		return ZS_INVALID_ARGUMENT;
	}
	pthread_mutex_lock(&chain->store_lock);
	size_t i = store_find(chain, key);
	struct flow_entry *e = i < chain->store_len ? &chain->store[i] : store_append(chain, key);
	struct flow_entry old = { 0 };
	if (e != NULL) {
		old = *e;
		e->value = value;
		e->free_fn = free_fn;
	}
	pthread_mutex_unlock(&chain->store_lock);
	/* Free functions run unlocked: they may use the store. */
	if (e == NULL) {
		if (free_fn != NULL)
			free_fn(value);
		return ZS_RESOURCE_EXHAUSTED;
	}
	if (old.free_fn != NULL)
		old.free_fn(old.value);
	return 0;
}

void *
zs_flow_get(zs_flow_chain *chain, const char *key)
{
	if (chain == NULL || key == NULL)
		return NULL;
	pthread_mutex_lock(&chain->store_lock);
	size_t i = store_find(chain, key);
	void *value = i < chain->store_len ? chain->store[i].value : NULL;
	pthread_mutex_unlock(&chain->store_lock);
	return value;
}
