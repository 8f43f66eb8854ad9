/*
 * evtest_plugin.c: the events tests' plugin (zs.evtest.v1.EventTest). Emit opens a
 * transaction, writes COUNT events about nothing in particular, owned by the caller, with
 * zs_event_publish_tx, holds the transaction open HOLD_MS (so another call can commit
 * first), then commits or rolls back; with no_transaction it writes them outside any.
 */
#include <time.h>

#include "zs/call.h"
#include "zs/db.h"
#include "zs/event.h"
#include "zs/node.h"
#include "zs/service.h"
#include "zs/evtest/v1/evtest.pb-c.h"

#define EVTEST_MAX_COUNT 1000
#define EVTEST_MAX_HOLD_MS 5000

static void
evtest_sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t) (ms / 1000), (long) (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The events of one Emit, in c's transaction. 0 or a canonical code with *st. */
static int
evtest_write(zs_call *call, zs_db_conn *c, const Zs__Evtest__V1__EmitRequest *in, zs_status **st)
{
	int rv = in->no_transaction ? 0 : zs_db_begin(c, st);
	for (uint32_t i = 0; rv == 0 && i < in->count; i++) {
		Zs__Evtest__V1__Note note = ZS__EVTEST__V1__NOTE__INIT;
		note.text = in->text;
		note.index = i;
		rv = zs_event_publish_tx(c, zs_node_events(zs_call_node(call)), in->topic, NULL, zs_call_account(call),
		    &note.base, st);
	}
	if (in->no_transaction)
		return rv;
	if (rv == 0 && in->hold_ms > 0)
		evtest_sleep_ms(in->hold_ms);
	if (in->rollback) {
		zs_db_rollback(c);
		return rv;
	}
	return zs_db_end(c, rv, st);
}

static void
evtest_emit(Zs__Evtest__V1__EventTest_Service *svc, const Zs__Evtest__V1__EmitRequest *in,
    Zs__Evtest__V1__EmitResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	if (in->count > EVTEST_MAX_COUNT || in->hold_ms > EVTEST_MAX_HOLD_MS) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "count is at most %d, hold_ms %d",
		    EVTEST_MAX_COUNT, EVTEST_MAX_HOLD_MS);
		return;
	}
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	int rv = evtest_write(call, c, in, &st);
	zs_db_release(db, c);
	if (rv != 0) {
		zs_call_fail_status(call, st);
		return;
	}
	Zs__Evtest__V1__EmitResponse out = ZS__EVTEST__V1__EMIT_RESPONSE__INIT;
	closure(&out, closure_data);
}

ZS_EXPORT Zs__Evtest__V1__EventTest_Service evtest_service = ZS__EVTEST__V1__EVENT_TEST__INIT(evtest_);
