/*
 * cfgtest_plugin.c: the config suite's plugin. Chain calls itself over the bus with
 * depth - 1; at depth 0 it waits until the deadline and fails DEADLINE_EXCEEDED, and each
 * level above fails with its own code and the level below as the cause, so the caller
 * sees the whole chain. A watcher on the cfgtest category records the last change (Seen),
 * and Read returns config values the way a service reads them: from memory.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/call.h"
#include "zs/config.h"
#include "zs/service.h"
#include "zs/timer.h"
#include "zs/cfgtest/v1/cfgtest.pb-c.h"
#include "zs/cfgtest/v1/cfgtest.zsb.h"


/* What the watcher saw last. */
typedef struct cfgtest_state {
	pthread_mutex_t lock;
	char category[128], name[128], value[512];
	uint32_t count;
} cfgtest_state;

/* One level of Chain waiting for the level below (or, at 0, for its deadline). */
typedef struct cfgtest_step {
	zs_call *call;
	Zs__Cfgtest__V1__ChainReply_Closure closure;
	Zs__Cfgtest__V1__ChainRequest below;   /* the request to the level below */
	uint32_t depth;
	zs_timer *timer;
} cfgtest_step;

static void
cfgtest_chain_done(int code, const zs_status *status, const Zs__Cfgtest__V1__ChainReply *reply,
    void *arg)
{
	cfgtest_step *s = arg;
	if (code == 0) {
		Zs__Cfgtest__V1__ChainReply out = ZS__CFGTEST__V1__CHAIN_REPLY__INIT;
		out.depth = reply->depth + 1;
		s->closure(&out, s->call);
	} else {
		zs_call_fail_cause(s->call, code, "CFGTEST.1001", status, "chain depth %u: the call to "
		    "depth %u failed", s->depth, s->depth - 1);
	}
	free(s);
}

/* Depth 0: the deadline has come. */
static void
cfgtest_chain_late(void *arg)
{
	cfgtest_step *s = arg;
	zs_call_fail(s->call, ZS_DEADLINE_EXCEEDED, "CFGTEST.1002", "chain depth 0 waited past its "
	    "deadline");
	free(s);
}

/* The node gave up on depth 0 (shutdown) before its timer fired. */
static void
cfgtest_chain_cancel(zs_call *call, void *arg)
{
	cfgtest_step *s = arg;
	if (zs_timer_cancel(zs_node_timers(zs_call_node(call)), s->timer)) {
		zs_call_fail(call, ZS_CANCELLED, NULL, "cancelled");
		free(s);
	}
}

static void
cfgtest_chain(Zs__Cfgtest__V1__CfgTest_Service *svc, const Zs__Cfgtest__V1__ChainRequest *in,
    Zs__Cfgtest__V1__ChainReply_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	cfgtest_step *s = calloc(1, sizeof *s);
	if (s == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	s->call = call;
	s->closure = closure;
	s->depth = in->depth;
	if (in->depth > 0) {
		zs__cfgtest__v1__chain_request__init(&s->below);
		s->below.depth = in->depth - 1;
		zs_cfgtest_v1_cfg_test_chain_bus(zs_node_bus(zs_call_node(call)), call, &s->below,
		    cfgtest_chain_done, s);
		return;
	}
	zs_call_on_cancel(call, cfgtest_chain_cancel, s);
	s->timer = zs_timer_start(zs_node_timers(zs_call_node(call)), zs_call_remaining_ms(call), cfgtest_chain_late, s);
	if (s->timer == NULL) {
		free(s);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	}
}

static void
cfgtest_seen(Zs__Cfgtest__V1__CfgTest_Service *svc, const Zs__Cfgtest__V1__SeenRequest *in,
    Zs__Cfgtest__V1__SeenReply_Closure closure, void *closure_data)
{
	(void) svc;
	(void) in;
	cfgtest_state *st = zs_call_service_data(closure_data);
	Zs__Cfgtest__V1__SeenReply out = ZS__CFGTEST__V1__SEEN_REPLY__INIT;
	char category[128], name[128], value[512];
	pthread_mutex_lock(&st->lock);
	memcpy(category, st->category, sizeof category);
	memcpy(name, st->name, sizeof name);
	memcpy(value, st->value, sizeof value);
	out.count = st->count;
	pthread_mutex_unlock(&st->lock);
	out.category = category;
	out.name = name;
	out.value = value;
	closure(&out, closure_data);
}

static void
cfgtest_read(Zs__Cfgtest__V1__CfgTest_Service *svc, const Zs__Cfgtest__V1__ReadRequest *in,
    Zs__Cfgtest__V1__ReadReply_Closure closure, void *closure_data)
{
	(void) svc;
	zs_config *cfg = zs_node_config(zs_call_node(closure_data));
	Zs__Cfgtest__V1__ReadReply out = ZS__CFGTEST__V1__READ_REPLY__INIT;
	char value[512] = "";
	int64_t number = 0, duration = 0;
	bool flag = false;
	uint64_t size = 0;
	/* each typed read answers only for a config of its type: the others leave 0 */
	int got = zs_config_get(cfg, in->category, in->name, value, sizeof value, NULL);
	int as_int = zs_config_int(cfg, in->category, in->name, &number, NULL);
	(void) zs_config_bool(cfg, in->category, in->name, &flag, NULL);
	(void) zs_config_size(cfg, in->category, in->name, &size, NULL);
	(void) zs_config_duration_ms(cfg, in->category, in->name, &duration, NULL);
	/* an undeclared config is NOT_FOUND to every read, never a silent 0 */
	out.declared = got == ZS_OK && as_int != ZS_NOT_FOUND;
	out.value = value;
	out.number = number;
	out.flag = flag;
	out.size = size;
	out.duration_ms = duration;
	closure(&out, closure_data);
}

static void
cfgtest_watch(const char *category, const char *name, const char *value, void *arg)
{
	cfgtest_state *st = arg;
	pthread_mutex_lock(&st->lock);
	snprintf(st->category, sizeof st->category, "%s", category);
	snprintf(st->name, sizeof st->name, "%s", name);
	snprintf(st->value, sizeof st->value, "%s", value);
	st->count++;
	pthread_mutex_unlock(&st->lock);
}

ZS_EXPORT int
cfgtest_start(zs_service *svc, char *err, size_t errlen)
{
	cfgtest_state *st = calloc(1, sizeof *st);
	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&st->lock, NULL);
	if (zs_config_watch(zs_node_config(zs_service_node(svc)), "cfgtest", NULL, cfgtest_watch, st) != 0) {
		snprintf(err, errlen, "cannot watch the cfgtest configs");
		pthread_mutex_destroy(&st->lock);
		free(st);
		return -1;
	}
	zs_service_set_data(svc, st);
	return 0;
}

ZS_EXPORT void
cfgtest_stop(zs_service *svc)
{
	cfgtest_state *st = zs_service_data(svc);
	zs_service_set_data(svc, NULL);
	if (st != NULL) {
		pthread_mutex_destroy(&st->lock);
		free(st);
	}
}

ZS_EXPORT Zs__Cfgtest__V1__CfgTest_Service cfgtest_service = ZS__CFGTEST__V1__CFG_TEST__INIT(cfgtest_);
