/*
 * echo.c: the echo service: Say answers at once, SlowSay answers after a delay unless
 * the deadline comes first, Publish sends events under echo/. An interceptor
 * (echo.text_limit) refuses texts longer than the echo.max_text property.
 *
 * The service runs inline (on nng's receiving threads), so nothing here may loop for
 * long there: Publish checks its count against echo.max_publish_count at once, then
 * hands the sending to a worker thread, which stops at the call's deadline.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/call.h"
#include "zs/clock.h"
#include "zs/echo/v1/echo.pb-c.h"
#include "zs/event.h"
#include "zs/ext.h"
#include "zs/job.h"
#include "zs/service.h"
#include "zs/timer.h"
#include "zs/work.h"


typedef struct echo_state {
	zs_node *node;
	size_t max_text;
	uint32_t max_publish_count;
} echo_state;

/* How many events Publish sends between two looks at its deadline. */
#define ECHO_PUBLISH_STEP 64

/* One SlowSay waiting for its end. Run as a job, it reports progress every tenth of
 * its delay; the lock keeps the timer handle consistent between the ticks (timer
 * thread) and a cancel (any thread). */
typedef struct echo_slow {
	zs_call *call;
	Zs__Echo__V1__SayReply_Closure closure;
	pthread_mutex_t lock;
	zs_timer *timer;
	char *text;
	int64_t start_ms, end_ms;
	bool late;          /* the deadline comes before the delay */
} echo_slow;

static void
echo_slow_free(echo_slow *s)
{
	pthread_mutex_destroy(&s->lock);
	free(s->text);
	free(s);
}

static void echo_slow_tick(void *arg);

/* Arms the next tick: at the end, or sooner when progress is wanted. Caller holds lock. */
static int
echo_slow_arm(echo_slow *s, int64_t now)
{
	int64_t left = s->end_ms - now, step = left;
	if (zs_job_uuid(s->call) != NULL) {
		int64_t tenth = (s->end_ms - s->start_ms) / 10;
		if (tenth < 50)
			tenth = 50;
		if (tenth < step)
			step = tenth;
	}
	s->timer = zs_timer_start(zs_node_timers(zs_call_node(s->call)), step > 0 ? step : 0, echo_slow_tick, s);
	return s->timer != NULL ? 0 : -1;
}

static void
echo_slow_end(echo_slow *s)
{
	if (s->late) {
		zs_call_fail(s->call, ZS_DEADLINE_EXCEEDED, "ECHO.1002",
		    "the deadline passed before the delay was over");
	} else {
		Zs__Echo__V1__SayReply out = ZS__ECHO__V1__SAY_REPLY__INIT;
		out.text = s->text;
		out.node_id = (char *) zs_node_id(zs_call_node(s->call));
		s->closure(&out, s->call);
	}
	echo_slow_free(s);
}

static void
echo_slow_tick(void *arg)
{
	echo_slow *s = arg;
	int64_t now = zs_clock_ms();
	pthread_mutex_lock(&s->lock);
	s->timer = NULL;
	if (now < s->end_ms) {
		int64_t total = s->end_ms - s->start_ms;
		zs_job_progress(s->call, (unsigned) ((now - s->start_ms) * 100 / (total ? total : 1)),
		    "waiting, %lld ms left", (long long) (s->end_ms - now));
		if (echo_slow_arm(s, now) == 0) {
			pthread_mutex_unlock(&s->lock);
			return;
		}
	}
	pthread_mutex_unlock(&s->lock);
	echo_slow_end(s);
}

/* The node gave up on the call (shutdown): stop the timer if it has not fired. */
static void
echo_slow_cancel(zs_call *call, void *arg)
{
	echo_slow *s = arg;
	pthread_mutex_lock(&s->lock);
	bool stopped = s->timer != NULL && zs_timer_cancel(zs_node_timers(zs_call_node(call)), s->timer);
	pthread_mutex_unlock(&s->lock);
	if (stopped) {
		zs_call_fail(call, ZS_CANCELLED, NULL, "cancelled");
		echo_slow_free(s);
	}
}

static void
echo_slow_say(Zs__Echo__V1__Echo_Service *svc, const Zs__Echo__V1__SlowSayRequest *in,
    Zs__Echo__V1__SayReply_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	echo_slow *s = calloc(1, sizeof *s);
	if (s == NULL || (s->text = strdup(in->text)) == NULL) {
		free(s);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	pthread_mutex_init(&s->lock, NULL);
	int64_t left = zs_call_remaining_ms(call);
	s->call = call;
	s->closure = closure;
	s->late = (int64_t) in->delay_ms > left;
	s->start_ms = zs_clock_ms();
	s->end_ms = s->start_ms + (s->late ? left : (int64_t) in->delay_ms);
	zs_call_on_cancel(call, echo_slow_cancel, s);
	pthread_mutex_lock(&s->lock);
	int rv = echo_slow_arm(s, s->start_ms);
	pthread_mutex_unlock(&s->lock);
	if (rv != 0) {
		echo_slow_free(s);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	}
}

static void
echo_say(Zs__Echo__V1__Echo_Service *svc, const Zs__Echo__V1__SayRequest *in,
    Zs__Echo__V1__SayReply_Closure closure, void *closure_data)
{
	(void) svc;
	Zs__Echo__V1__SayReply out = ZS__ECHO__V1__SAY_REPLY__INIT;
	out.text = in->text;
	out.node_id = (char *) zs_node_id(zs_call_node(closure_data));
	closure(&out, closure_data);
}

/* One Publish, handed to a worker thread: what it needs, copied out of the request. */
typedef struct echo_publish_task {
	zs_call *call;
	Zs__Echo__V1__PublishReply_Closure closure;
	char *topic, *text;
	uint32_t count;
} echo_publish_task;

static void
echo_publish_task_free(echo_publish_task *t)
{
	free(t->topic);
	free(t->text);
	free(t);
}

/* Sends the events on a worker thread, looking at the deadline every few events. */
static void
echo_publish_run(void *arg)
{
	echo_publish_task *t = arg;
	zs_node *node = zs_call_node(t->call);
	Zs__Echo__V1__PublishReply out = ZS__ECHO__V1__PUBLISH_REPLY__INIT;
	Zs__Echo__V1__SayReply body = ZS__ECHO__V1__SAY_REPLY__INIT;
	body.text = t->text;
	body.node_id = (char *) zs_node_id(node);
	for (uint32_t i = 0; i < t->count; i++) {
		if (i % ECHO_PUBLISH_STEP == 0 && i > 0 && zs_call_remaining_ms(t->call) <= 0) {
			zs_call_fail(t->call, ZS_DEADLINE_EXCEEDED, "ECHO.1005",
			    "the deadline passed after %u of %u events", i, t->count);
			echo_publish_task_free(t);
			return;
		}
		uint64_t seq;
		int rv = zs_event_publish(zs_node_events(node), t->topic, NULL,
		    zs_call_account(t->call), &body.base, &seq);
		if (rv == ZS_INVALID_ARGUMENT)   /* checked before anything went out */
			zs_call_fail(t->call, ZS_INVALID_ARGUMENT, NULL, "topic is not a valid event "
			    "topic: 1 to 255 bytes of UTF-8 without control characters");
		else if (rv != 0)
			zs_call_fail(t->call, ZS_UNAVAILABLE, NULL, "event %u of %u could not be sent",
			    i + 1, t->count);
		if (rv != 0) {
			echo_publish_task_free(t);
			return;
		}
		if (i == 0)
			out.first_sequence = seq;
		out.published++;
	}
	t->closure(&out, t->call);
	echo_publish_task_free(t);
}

static void
echo_publish(Zs__Echo__V1__Echo_Service *svc, const Zs__Echo__V1__PublishRequest *in,
    Zs__Echo__V1__PublishReply_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	const echo_state *st = zs_call_service_data(call);
	uint32_t max = st != NULL ? st->max_publish_count : 1;
	if (strncmp(in->topic, "echo/", 5) != 0 || in->topic[5] == '\0') {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, "ECHO.1003",
		    "topic \"%s\" is not under echo/ (e.g. echo/said)", in->topic);
		return;
	}
	if (in->count > max) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, "ECHO.1004",
		    "count %u is over echo.max_publish_count (%u)", in->count, max);
		return;
	}
	echo_publish_task *t = calloc(1, sizeof *t);
	if (t == NULL || (t->topic = strdup(in->topic)) == NULL || (t->text = strdup(in->text)) == NULL) {
		if (t != NULL)
			echo_publish_task_free(t);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	t->call = call;
	t->closure = closure;
	t->count = in->count ? in->count : 1;
	int code = zs_work_submit(zs_node_work(zs_call_node(call)), echo_publish_run, t);
	if (code != 0) {
		echo_publish_task_free(t);
		zs_call_fail(call, code, NULL, "no worker thread takes the events");
	}
}

/* echo.text_limit: refuses a text longer than echo.max_text. */
static int
echo_check_text(zs_call *call, const ProtobufCMessage *request, void *arg)
{
	(void) arg;
	const echo_state *st = zs_call_service_data(call);
	const char *text = "";
	/* by name: a bus caller's message comes with its own copy of the descriptors */
	const char *type = request->descriptor->name;
	if (strcmp(type, zs__echo__v1__say_request__descriptor.name) == 0)
		text = ((const Zs__Echo__V1__SayRequest *) request)->text;
	else if (strcmp(type, zs__echo__v1__slow_say_request__descriptor.name) == 0)
		text = ((const Zs__Echo__V1__SlowSayRequest *) request)->text;
	size_t len = strlen(text);
	if (st != NULL && len > st->max_text) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, "ECHO.1001",
		    "text is %zu bytes, longer than echo.max_text (%zu)", len, st->max_text);
		return -1;
	}
	return 0;
}

ZS_EXPORT const zs_interceptor echo_text_limit = { echo_check_text, NULL };

ZS_EXPORT int
echo_start(zs_service *svc, char *err, size_t errlen)
{
	echo_state *st = calloc(1, sizeof *st);
	if (st == NULL)
		return -1;
	st->node = zs_service_node(svc);
	const char *max = zs_node_property(st->node, "echo.max_text");
	st->max_text = max != NULL ? strtoul(max, NULL, 10) : 65536;
	const char *count = zs_node_property(st->node, "echo.max_publish_count");
	char *end = NULL;
	unsigned long n = count != NULL ? strtoul(count, &end, 10) : 0;
	if (count == NULL || end == count || *end != '\0' || n < 1 || n > UINT32_MAX) {
		snprintf(err, errlen, "property echo.max_publish_count = \"%s\" is not a count "
		    "from 1 to %u", count != NULL ? count : "", UINT32_MAX);
		free(st);
		return -1;
	}
	st->max_publish_count = (uint32_t) n;
	zs_service_set_data(svc, st);
	return 0;
}

ZS_EXPORT void
echo_stop(zs_service *svc)
{
	free(zs_service_data(svc));
	zs_service_set_data(svc, NULL);
}

ZS_EXPORT Zs__Echo__V1__Echo_Service echo_service = ZS__ECHO__V1__ECHO__INIT(echo_);
