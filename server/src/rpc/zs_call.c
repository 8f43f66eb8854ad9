/* zs_call.c: a call's life: interceptors, handler, exactly one answer, deadline, cancel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "zs/clock.h"
#include "zs/work.h"
#include "zs_call_impl.h"
#include "zs_router.h"
#include "zs_timerq.h"

void
zs_call_unref(zs_call *call)
{
	if (atomic_fetch_sub_explicit(&call->refs, 1, memory_order_acq_rel) == 1)
		call->ops->release(call);
}

/* The one place an answer goes out; later answers are dropped. */
static void
call_answer(zs_call *call, const ProtobufCMessage *reply, const zs_status *st)
{
	if (atomic_exchange_explicit(&call->answered, 1, memory_order_acq_rel))
		return;
	if (zs_timerq_remove(call->rpc->cfg.timers, &call->timer))
		zs_call_unref(call);   /* the deadline's reference */
	if (call->route != NULL)
		zs_route_record(call->route, st ? (int) st->code : 0, zs_clock_ns() - call->start_ns);
	call->ops->answer(call, reply, st);
	atomic_fetch_sub_explicit(&call->rpc->inflight, 1, memory_order_relaxed);
}

/* Gives a failure with a declared error code that code's description, unless it has one. */
static void
call_describe(const zs_call *call, zs_status *st)
{
	if (st->error_code == NULL || st->error_code[0] == '\0' ||
	    (st->description != NULL && st->description[0] != '\0'))
		return;
	const char *desc = zs_errors_description(call->rpc->errors, st->error_code);
	char *copy = desc != NULL ? strdup(desc) : NULL;
	if (copy == NULL)
		return;
	if (st->description != protobuf_c_empty_string)
		free(st->description);
	st->description = copy;
}

static void
call_answer_fail(zs_call *call, int code, const char *error_code, const char *fmt, va_list ap)
{
	zs_status *st = zs_status_newv(code, error_code, fmt, ap);
	if (st != NULL)
		call_describe(call, st);
	if (st == NULL) {
		static const zs_status oom = ZS__RPC__V1__STATUS__INIT;
		call_answer(call, NULL, &oom);
		return;
	}
	call_answer(call, NULL, st);
	zs_status_free(st);
}

void
zs_call_answer_status(zs_call *call, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	call_answer_fail(call, code, NULL, fmt, ap);
	va_end(ap);
}

/* protoc-c's closure: how a handler answers with a reply. */
static void
call_closure(const ProtobufCMessage *reply, void *closure_data)
{
	zs_call *call = closure_data;
	if (reply == NULL)
		zs_call_answer_status(call, ZS_INTERNAL, "%s answered without a reply",
		    call->route->full_name);
	else if (reply->descriptor != call->route->method->output &&
	    strcmp(reply->descriptor->name, call->route->method->output->name) != 0)
		zs_call_answer_status(call, ZS_INTERNAL, "%s answered with a %s, not a %s",
		    call->route->full_name, reply->descriptor->name, call->route->method->output->name);
	else
		call_answer(call, reply, NULL);
	zs_call_unref(call);   /* the handler's reference */
}

void
zs_call_fail(zs_call *call, int code, const char *error_code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	call_answer_fail(call, code, error_code, fmt, ap);
	va_end(ap);
	zs_call_unref(call);
}

void
zs_call_fail_cause(zs_call *call, int code, const char *error_code, const zs_status *cause,
    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	zs_status *st = zs_status_newv(code, error_code, fmt, ap);
	va_end(ap);
	if (st != NULL && cause != NULL)
		zs_status_set_cause(st, zs_status_copy(cause));
	zs_call_fail_status(call, st);
}

void
zs_call_fail_status(zs_call *call, zs_status *status)
{
	if (status == NULL) {
		zs_call_answer_status(call, ZS_INTERNAL, "out of memory");
	} else {
		call_describe(call, status);
		call_answer(call, NULL, status);
		zs_status_free(status);
	}
	zs_call_unref(call);
}

void
zs_call_on_cancel(zs_call *call, void (*fn)(zs_call *call, void *arg), void *arg)
{
	call->cancel_fn = fn;
	call->cancel_arg = arg;
}

/* Gives up on a call whose handler has not answered. */
static void
call_give_up(zs_call *call, int code, const char *why)
{
	if (atomic_load_explicit(&call->answered, memory_order_acquire))
		return;
	zs_call_answer_status(call, code, "%s", why);
	if (call->cancel_fn != NULL)
		call->cancel_fn(call, call->cancel_arg);
}

static void
call_deadline_fired(void *arg)
{
	zs_call *call = arg;
	char why[128];
	snprintf(why, sizeof why, "%s: the deadline passed before the service answered",
	    call->route->full_name);
	call_give_up(call, ZS_DEADLINE_EXCEEDED, why);
	zs_call_unref(call);   /* the deadline's reference */
}

/* Runs interceptors and handler on this thread. */
static void
call_invoke(void *arg)
{
	zs_call *call = arg;
	const zs_route *rt = call->route;
	call->timer.fn = call_deadline_fired;
	call->timer.arg = call;
	/* A safety net for handlers that do not watch their deadline: it goes off a little
	 * after it, so a handler that does (and fails with its own error code) wins. */
	call->timer.due = zs_add_sat(call->deadline_ms, ZS_CALL_DEADLINE_SLACK_MS);
	call->timer.index = 0;
	call->timer.owned_by_queue = false;

	/* Hold a reference across the handler so the call outlives an early answer. */
	atomic_fetch_add_explicit(&call->refs, 1, memory_order_relaxed);
	/* Calls from outside need a session, unless the method is public. */
	const zs_rpc *rpc = call->rpc;
	if (call->env != NULL && rpc->auth.fn != NULL && rpc->auth.fn(call, rpc->auth.arg) != 0) {
		zs_call_unref(call);   /* the check answered and dropped the handler's reference */
		return;
	}
	for (size_t i = 0; i < rt->n_chain; i++)
		if (rt->chain[i]->intercept(call, call->input, rt->chain[i]->arg) != 0) {
			/* the interceptor answered (and so dropped the handler's reference) */
			if (!atomic_load(&call->answered)) {
				zs_call_answer_status(call, ZS_INTERNAL,
				    "an interceptor of %s refused the call without saying why",
				    rt->full_name);
				zs_call_unref(call);
			}
			zs_call_unref(call);
			return;
		}
	if (call->job_requested && (rpc->jobs.fn == NULL || rpc->jobs.fn(call, rpc->jobs.arg) != 0)) {
		if (rpc->jobs.fn == NULL)
			zs_call_fail(call, ZS_UNIMPLEMENTED, NULL, "this node does not run jobs");
		zs_call_unref(call);   /* the gate answered why the job could not start */
		return;
	}
	rt->service->invoke(rt->service, rt->method_index, call->input, call_closure, call);
	if (!atomic_load_explicit(&call->answered, memory_order_acquire)) {
		/* The handler answers later: the deadline watches it meanwhile. */
		atomic_fetch_add_explicit(&call->refs, 1, memory_order_relaxed);
		if (zs_timerq_add(call->rpc->cfg.timers, &call->timer) != 0)
			zs_call_unref(call);
		else if (atomic_load_explicit(&call->answered, memory_order_acquire) &&
		    zs_timerq_remove(call->rpc->cfg.timers, &call->timer))
			zs_call_unref(call);
	}
	zs_call_unref(call);
}

void
zs_call_run(zs_call *call)
{
	atomic_fetch_add_explicit(&call->rpc->inflight, 1, memory_order_relaxed);
	/* a job's start touches the database: never on the receiving thread */
	if ((call->route->inline_handler && !call->job_requested) ||
	    zs_work_submit(call->rpc->cfg.work, call_invoke, call) != 0)
		call_invoke(call);
}

/* Collects the calls waiting on their deadline, with a reference each. */
typedef struct call_list {
	zs_call **calls;
	size_t len, cap;
} call_list;

static void
call_collect(struct zs_timer *t, void *arg)
{
	call_list *l = arg;
	if (t->fn != call_deadline_fired || l->len == l->cap)
		return;
	zs_call *call = t->arg;
	atomic_fetch_add_explicit(&call->refs, 1, memory_order_relaxed);
	l->calls[l->len++] = call;
}

void
zs_rpc_cancel_all(zs_rpc *rpc, int code, const char *why)
{
	call_list l = { NULL, 0, zs_timerq_len(rpc->cfg.timers) };
	if (l.cap == 0 || (l.calls = calloc(l.cap, sizeof *l.calls)) == NULL)
		return;
	zs_timerq_each(rpc->cfg.timers, call_collect, &l);
	for (size_t i = 0; i < l.len; i++) {
		call_give_up(l.calls[i], code, why);
		zs_call_unref(l.calls[i]);
	}
	free(l.calls);
}

void *
zs_call_service_data(const zs_call *call)
{
	return call->route->data != NULL ? *call->route->data : NULL;
}

zs_node *
zs_call_node(const zs_call *call)
{
	return call->rpc->cfg.host;
}

bool
zs_call_is_public(const zs_call *call)
{
	return call->route->public_method;
}

void
zs_call_set_principal(zs_call *call, const char *account, bool admin)
{
	snprintf(call->account, sizeof call->account, "%s", account);
	call->admin = admin;
}

bool
zs_call_wipe_request(zs_call *call)
{
	if (call->env == NULL)
		return false;
	if (call->env->body.data != NULL)
		explicit_bzero(call->env->body.data, call->env->body.len);
	return true;
}

bool
zs_call_job_requested(const zs_call *call)
{
	return call->job_requested;
}

const char *
zs_call_diverted_to(const zs_call *call, void **arg)
{
	if (call->job_uuid[0] == '\0')
		return NULL;
	if (arg != NULL)
		*arg = call->divert_arg;
	return call->job_uuid;
}

const char *
zs_call_method(const zs_call *call)
{
	return call->route->full_name;
}

const char *
zs_call_account(const zs_call *call)
{
	return call->account;
}

bool
zs_call_admin(const zs_call *call)
{
	return call->admin;
}

const char *
zs_call_session(const zs_call *call)
{
	return call->session != NULL ? call->session : "";
}

const char *
zs_call_peer(const zs_call *call, char *buf, size_t len)
{
	nng_sockaddr sa;
	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (call->env == NULL || nng_pipe_id(call->pipe) <= 0 ||
	    nng_pipe_get_addr(call->pipe, NNG_OPT_REMADDR, &sa) != 0)
		return buf;
	if (sa.s_family == NNG_AF_INET)
		inet_ntop(AF_INET, &sa.s_in.sa_addr, buf, (socklen_t) len);
	else if (sa.s_family == NNG_AF_INET6)
		inet_ntop(AF_INET6, sa.s_in6.sa_addr, buf, (socklen_t) len);
	else
		snprintf(buf, len, "local");
	return buf;
}

const char *
zs_call_metadata(const zs_call *call, const char *key)
{
	if (call->env == NULL)
		return NULL;
	for (size_t i = 0; i < call->env->n_metadata; i++)
		if (strcmp(call->env->metadata[i]->key, key) == 0)
			return call->env->metadata[i]->value;
	return NULL;
}

int64_t
zs_call_deadline_ms(const zs_call *call)
{
	return call->deadline_ms;
}

int64_t
zs_call_remaining_ms(const zs_call *call)
{
	int64_t left = zs_sub_sat(call->deadline_ms, zs_clock_ms());
	return left > 0 ? left : 0;
}
