/* zs_bus.c: in-process calls between services: same handlers, no serialization. */
#include <stdlib.h>
#include <string.h>

#include "zs/clock.h"
#include "zs_call_impl.h"
#include "zs_router.h"

static void
bus_answer(zs_call *call, const ProtobufCMessage *reply, const zs_status *st)
{
	if (st != NULL)
		call->cb((int) st->code, st, NULL, call->fn, call->arg);
	else
		call->cb(ZS_OK, NULL, reply, call->fn, call->arg);
}

static void
bus_release(zs_call *call)
{
	free(call);
}

static const zs_call_ops bus_ops = { bus_answer, bus_release };

/* Answers a bus call that cannot be made. */
static int
bus_refuse(zs_bus_cb cb, void (*fn)(void), void *arg, int code, const char *fmt, const char *a,
    const char *b)
{
	zs_status *st = zs_status_new(code, NULL, fmt, a, b);
	cb(code, st, NULL, fn, arg);
	zs_status_free(st);
	return 0;
}

int
zs_bus_call(zs_bus *bus, const zs_call *parent, const char *method,
    const ProtobufCMessage *request, const ProtobufCMessageDescriptor *reply_desc,
    zs_bus_cb cb, void (*fn)(void), void *arg)
{
	zs_rpc *rpc = bus->rpc;
	char err[256];
	int code;
	const zs_route *rt = zs_router_find(rpc->router, method, &code, err, sizeof err);
	if (rt == NULL)
		return bus_refuse(cb, fn, arg, code, "%s%s", err, "");
	/* Types match by full name: each plugin links its own copy of the generated code. */
	if (request->descriptor != rt->method->input &&
	    strcmp(request->descriptor->name, rt->method->input->name) != 0)
		return bus_refuse(cb, fn, arg, ZS_INVALID_ARGUMENT, "request is a %s, want %s",
		    request->descriptor->name, rt->method->input->name);
	if (reply_desc != NULL && reply_desc != rt->method->output &&
	    strcmp(reply_desc->name, rt->method->output->name) != 0)
		return bus_refuse(cb, fn, arg, ZS_INVALID_ARGUMENT, "caller expects a %s, method answers %s",
		    reply_desc->name, rt->method->output->name);
	int64_t now = zs_clock_ms();
	if (parent != NULL && parent->deadline_ms <= now)
		return bus_refuse(cb, fn, arg, ZS_DEADLINE_EXCEEDED, "%s: the caller's deadline passed%s",
		    method, "");

	zs_call *call = calloc(1, sizeof *call);
	if (call == NULL)
		return bus_refuse(cb, fn, arg, ZS_RESOURCE_EXHAUSTED, "out of memory%s%s", "", "");
	call->rpc = rpc;
	call->route = rt;
	call->ops = &bus_ops;
	call->input = (ProtobufCMessage *) request;   /* borrowed: the caller keeps it alive */
	call->session = parent != NULL ? parent->session : NULL;
	if (parent != NULL) {
		memcpy(call->account, parent->account, sizeof call->account);
		call->admin = parent->admin;
	} else {
		call->admin = true;   /* the node's own work, not on anyone's behalf */
	}
	call->deadline_ms = parent != NULL ? parent->deadline_ms : zs_add_sat(now, rpc->cfg.default_timeout_ms);
	call->start_ns = zs_clock_ns();
	call->refs = 1;
	call->cb = cb;
	call->fn = fn;
	call->arg = arg;
	call->reply_desc = reply_desc;
	zs_call_run(call);
	return 0;
}

zs_call *
zs_bus_parent_new(const zs_call *parent, int64_t deadline_ms, bool as_node)
{
	zs_call *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->rpc = parent->rpc;
	p->session = parent->session;
	memcpy(p->account, parent->account, sizeof p->account);
	p->admin = as_node ? true : parent->admin;
	p->deadline_ms = deadline_ms > 0 && deadline_ms < parent->deadline_ms ? deadline_ms :
	    parent->deadline_ms;
	p->start_ns = zs_clock_ns();
	p->refs = 1;
	return p;
}

void
zs_bus_parent_free(zs_call *stand_in)
{
	free(stand_in);
}
