/*
 * zs_event_recent.c: zs.event.v1.Events/Recent: the events this node sent lately, in full,
 * by their live sequence. The pub feeds carry headers only, since anyone may connect to
 * them; a subscriber that wants an event's body asks here with its session, and gets it
 * when its account owns the event (an admin: always). Events nobody owns (configs, or
 * published without an owner) are for admins only.
 */
#include <stdlib.h>
#include <string.h>

#include "zs/call.h"
#include "zs_events.h"
#include "zs_outbox.h"

#define RECENT_DEFAULT_LIMIT 1000

typedef struct recent_list {
	Zs__Rpc__V1__Event **events;
	size_t n, cap;
	bool failed;
} recent_list;

static void
recent_add(const uint8_t *packed, size_t len, void *arg)
{
	recent_list *l = arg;
	if (l->failed || l->n == l->cap) {
		l->failed = true;
		return;
	}
	Zs__Rpc__V1__Event *e = zs__rpc__v1__event__unpack(NULL, len, packed);
	if (e == NULL) {
		l->failed = true;
		return;
	}
	l->events[l->n++] = e;
}

void
zs_event_recent(Zs__Event__V1__Events_Service *svc, const Zs__Event__V1__RecentRequest *in,
    Zs__Event__V1__RecentResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	if (in->limit > ZS_EVENTS_RECENT) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "limit is at most %d", ZS_EVENTS_RECENT);
		return;
	}
	if (in->to_sequence != 0 && in->to_sequence <= in->from_sequence) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "to_sequence must be above from_sequence");
		return;
	}
	recent_list l = { .cap = in->limit ? in->limit : RECENT_DEFAULT_LIMIT };
	l.events = calloc(l.cap, sizeof *l.events);
	if (l.events == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	zs_events *ev = zs_outbox_events(zs_call_service_data(call));
	uint64_t oldest = zs_events_recent(ev, in->from_sequence, in->to_sequence, l.cap,
	    zs_call_account(call), zs_call_admin(call), recent_add, &l);
	if (l.failed) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory reading recent events");
	} else {
		Zs__Event__V1__RecentResponse out = ZS__EVENT__V1__RECENT_RESPONSE__INIT;
		out.events = l.events;
		out.n_events = l.n;
		out.oldest_sequence = oldest;
		closure(&out, closure_data);
	}
	for (size_t i = 0; i < l.n; i++)
		zs__rpc__v1__event__free_unpacked(l.events[i], NULL);
	free(l.events);
}
