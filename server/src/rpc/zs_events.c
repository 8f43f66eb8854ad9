/* zs_events.c: publishing events with per-node and per-topic sequence numbers (events
 * not kept, and those of the event log as its sender sends them): the header on the
 * feeds, the whole event and its owner in a ring for Events/Recent. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>

#include "zs/event.h"
#include "zs/rpc/v1/event.pb-c.h"
#include "zs_events.h"
#include "zs_json.h"

/* Per-topic counters, so a subscriber to a prefix can still see a gap. */
typedef struct ev_topic {
	char *name;
	uint64_t seq;
	struct ev_topic *next;
} ev_topic;

#define EV_BUCKETS 256

/* One event of the ring, in full. */
typedef struct ev_kept {
	uint64_t seq;
	char *owner;                /* "": admins only */
	uint8_t *packed;
	size_t len;
} ev_kept;

struct zs_events {
	char *node_id;
	nng_socket pub;
	nng_socket pub_json;
	bool has_json;
	pthread_mutex_t lock;       /* sequence numbers and sends go out in order */
	uint64_t seq;
	ev_topic *topics[EV_BUCKETS];
	ev_kept ring[ZS_EVENTS_RECENT];   /* the last events sent, oldest at ring_head */
	size_t ring_head, ring_n, ring_bytes;
	_Atomic uint64_t published;
	pthread_mutex_t wake_lock;  /* guards wake and wake_arg */
	void (*wake)(void *arg);    /* the event log's sender, told of commits that wrote events */
	void *wake_arg;
};

static int
ev_open(nng_socket *s, const char *url, char *err, size_t errlen)
{
	int rv = nng_pub0_open(s);
	/* the log's sender sends a batch at once: room for it per subscriber, so one that is
	 * a moment behind loses none (the default queue is 16) */
	if (rv == 0 && (rv = nng_socket_set_int(*s, NNG_OPT_SENDBUF, ZS_EVENTS_SENDBUF)) != 0)
		nng_close(*s);
	if (rv == 0 && (rv = nng_listen(*s, url, NULL, 0)) != 0)
		nng_close(*s);
	if (rv != 0)
		snprintf(err, errlen, "cannot publish events on %s: %s", url, nng_strerror(rv));
	return rv == 0 ? 0 : -1;
}

int
zs_events_new(zs_events **out, const char *node_id, const char *url, const char *json_url,
    char *err, size_t errlen)
{
	zs_events *ev = calloc(1, sizeof *ev);
	if (ev == NULL || (ev->node_id = strdup(node_id)) == NULL) {
		free(ev);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&ev->lock, NULL);
	pthread_mutex_init(&ev->wake_lock, NULL);
	if (ev_open(&ev->pub, url, err, errlen) != 0) {
		free(ev->node_id);
		free(ev);
		return -1;
	}
	if (json_url != NULL && *json_url) {
		if (ev_open(&ev->pub_json, json_url, err, errlen) != 0) {
			nng_close(ev->pub);
			free(ev->node_id);
			free(ev);
			return -1;
		}
		ev->has_json = true;
	}
	*out = ev;
	return 0;
}

void
zs_events_free(zs_events *ev)
{
	if (ev == NULL)
		return;
	nng_close(ev->pub);
	if (ev->has_json)
		nng_close(ev->pub_json);
	for (size_t i = 0; i < ZS_EVENTS_RECENT; i++) {
		free(ev->ring[i].owner);
		free(ev->ring[i].packed);
	}
	for (size_t i = 0; i < EV_BUCKETS; i++)
		for (ev_topic *t = ev->topics[i], *next; t != NULL; t = next) {
			next = t->next;
			free(t->name);
			free(t);
		}
	pthread_mutex_destroy(&ev->lock);
	pthread_mutex_destroy(&ev->wake_lock);
	free(ev->node_id);
	free(ev);
}

void
zs_events_set_log_wake(zs_events *ev, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&ev->wake_lock);
	ev->wake = fn;
	ev->wake_arg = arg;
	pthread_mutex_unlock(&ev->wake_lock);
}

void
zs_events_log_committed(zs_events *ev)
{
	pthread_mutex_lock(&ev->wake_lock);
	if (ev->wake != NULL)
		ev->wake(ev->wake_arg);
	pthread_mutex_unlock(&ev->wake_lock);
}

const char *
zs_events_node_id(const zs_events *ev)
{
	return ev->node_id;
}

uint64_t
zs_events_published(const zs_events *ev)
{
	return atomic_load(&ev->published);
}

/* Next sequence of topic; 0 when out of memory. Caller holds the lock. */
static uint64_t
ev_topic_next(zs_events *ev, const char *topic)
{
	size_t h = 5381;
	for (const char *p = topic; *p; p++)
		h = h * 33 + (unsigned char) *p;
	ev_topic **pp = &ev->topics[h % EV_BUCKETS];
	for (; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->name, topic) == 0)
			return ++(*pp)->seq;
	ev_topic *t = calloc(1, sizeof *t);
	if (t == NULL || (t->name = strdup(topic)) == NULL) {
		free(t);
		return 0;
	}
	*pp = t;
	return t->seq = 1;
}

/* The length of the UTF-8 sequence at p (n bytes left) and its code point; 0 when it is
 * not valid UTF-8 (truncated, overlong, a surrogate, above U+10FFFF). */
static size_t
ev_utf8(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 :
	    (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	uint32_t c = len == 1 ? p[0] : p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int
zs_event_topic_check(const char *topic, char *err, size_t errlen)
{
	size_t n = topic != NULL ? strlen(topic) : 0;
	if (n == 0 || n > ZS_EVENT_TOPIC_MAX) {
		snprintf(err, errlen, "an event topic is 1 to %d bytes (this one has %zu)",
		    ZS_EVENT_TOPIC_MAX, n);
		return -1;
	}
	const unsigned char *p = (const unsigned char *) topic;
	for (size_t i = 0; i < n;) {
		uint32_t cp = 0;
		size_t len = ev_utf8(p + i, n - i, &cp);
		if (len == 0) {
			snprintf(err, errlen, "an event topic must be UTF-8: byte %zu is not", i);
			return -1;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			snprintf(err, errlen, "an event topic must not hold control characters: "
			    "U+%04X at byte %zu", (unsigned) cp, i);
			return -1;
		}
		i += len;
	}
	return 0;
}

/* topic + separator + payload, as one message. */
static int
ev_send(nng_socket s, const char *topic, char sep, const void *payload, size_t len)
{
	nng_msg *msg;
	size_t tlen = strlen(topic);
	if (nng_msg_alloc(&msg, tlen + 1 + len) != 0)
		return -1;
	uint8_t *b = nng_msg_body(msg);
	memcpy(b, topic, tlen);
	b[tlen] = (uint8_t) sep;
	memcpy(b + tlen + 1, payload, len);
	if (nng_sendmsg(s, msg, 0) != 0) {
		nng_msg_free(msg);
		return -1;
	}
	return 0;
}

/* The JSON form of a header: the Event in proto3 JSON, without body. */
static char *
ev_json(const Zs__Rpc__V1__Event *head)
{
	char err[256];
	json_t *obj = NULL;
	if (zs_json_encode(&head->base, &obj, err, sizeof err) != 0)
		return NULL;
	char *text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	return text;
}

/* Drops the oldest kept event. Caller holds the lock. */
static void
ev_ring_drop(zs_events *ev)
{
	ev_kept *k = &ev->ring[ev->ring_head];
	ev->ring_bytes -= k->len;
	free(k->owner);
	free(k->packed);
	memset(k, 0, sizeof *k);
	ev->ring_head = (ev->ring_head + 1) % ZS_EVENTS_RECENT;
	ev->ring_n--;
}

/* Keeps an event (packed, taken over) for Recent. Caller holds the lock. */
static void
ev_ring_keep(zs_events *ev, uint64_t seq, const char *owner, uint8_t *packed, size_t len)
{
	char *o = strdup(owner != NULL ? owner : "");
	if (o == NULL) {
		free(packed);
		return;
	}
	while (ev->ring_n > 0 && (ev->ring_n == ZS_EVENTS_RECENT ||
	    ev->ring_bytes + len > ZS_EVENTS_RECENT_BYTES))
		ev_ring_drop(ev);
	ev_kept *k = &ev->ring[(ev->ring_head + ev->ring_n) % ZS_EVENTS_RECENT];
	*k = (ev_kept) { seq, o, packed, len };
	ev->ring_n++;
	ev->ring_bytes += len;
}

uint64_t
zs_events_recent(zs_events *ev, uint64_t from, uint64_t to, size_t limit, const char *account,
    bool admin, zs_events_recent_fn fn, void *arg)
{
	pthread_mutex_lock(&ev->lock);
	uint64_t oldest = ev->ring_n > 0 ? ev->ring[ev->ring_head].seq : 0;
	size_t given = 0;
	for (size_t i = 0; i < ev->ring_n && given < limit; i++) {
		const ev_kept *k = &ev->ring[(ev->ring_head + i) % ZS_EVENTS_RECENT];
		if (k->seq <= from || (to != 0 && k->seq > to))
			continue;
		if (!admin && (k->owner[0] == '\0' || account == NULL || strcmp(k->owner, account) != 0))
			continue;
		fn(k->packed, k->len, arg);
		given++;
	}
	pthread_mutex_unlock(&ev->lock);
	return oldest;
}

int
zs_events_send(zs_events *ev, Zs__Rpc__V1__Event *e, const char *owner)
{
	pthread_mutex_lock(&ev->lock);
	e->sequence = ++ev->seq;
	e->topic_sequence = ev_topic_next(ev, e->topic);
	/* the whole event, for its owner and admins (Recent) */
	size_t full_len = zs__rpc__v1__event__get_packed_size(e);
	uint8_t *full = malloc(full_len ? full_len : 1);
	if (full != NULL) {
		zs__rpc__v1__event__pack(e, full);
		ev_ring_keep(ev, e->sequence, owner, full, full_len);
	}
	/* the header, for anyone on the feeds */
	Zs__Rpc__V1__Event head = *e;
	head.body.len = 0;
	head.body.data = NULL;
	head.body_json = (char *) protobuf_c_empty_string;
	size_t len = zs__rpc__v1__event__get_packed_size(&head);
	uint8_t *frame = malloc(len ? len : 1);
	int rv = ZS_RESOURCE_EXHAUSTED;
	if (frame != NULL) {
		zs__rpc__v1__event__pack(&head, frame);
		rv = ev_send(ev->pub, e->topic, '\0', frame, len) == 0 ? ZS_OK : ZS_UNAVAILABLE;
		free(frame);
	}
	if (ev->has_json) {
		char *text = ev_json(&head);
		if (text == NULL || ev_send(ev->pub_json, e->topic, ' ', text, strlen(text)) != 0)
			rv = ZS_UNAVAILABLE;
		free(text);
	}
	pthread_mutex_unlock(&ev->lock);
	if (rv == ZS_OK)
		atomic_fetch_add(&ev->published, 1);
	return rv;
}

int
zs_event_publish(zs_events *ev, const char *topic, const char *resource_uuid,
    const char *owner_account, const ProtobufCMessage *body, uint64_t *sequence)
{
	if (ev == NULL)
		return ZS_UNAVAILABLE;
	char why[128];
	if (zs_event_topic_check(topic, why, sizeof why) != 0)
		return ZS_INVALID_ARGUMENT;   /* checked before anything is sent */
	struct timeval tv;
	gettimeofday(&tv, NULL);
	Zs__Rpc__V1__Event e = ZS__RPC__V1__EVENT__INIT;
	e.topic = (char *) topic;
	/* to the millisecond, as the event log keeps it, so Replay tells the same time */
	Google__Protobuf__Timestamp when = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	when.seconds = tv.tv_sec;
	when.nanos = (int32_t) (tv.tv_usec / 1000) * 1000000;
	e.time = &when;
	e.resource_uuid = (char *) (resource_uuid ? resource_uuid : "");
	e.node_id = ev->node_id;
	e.type = (char *) (body ? body->descriptor->name : "");

	uint8_t stack[1024], *packed_body = NULL;
	if (body != NULL) {
		size_t n = protobuf_c_message_get_packed_size(body);
		packed_body = n <= sizeof stack ? stack : malloc(n);
		if (packed_body == NULL)
			return ZS_RESOURCE_EXHAUSTED;
		e.body.len = protobuf_c_message_pack(body, packed_body);
		e.body.data = packed_body;
	}
	/* the body in JSON too, for Recent's body_json (as Replay has it) */
	json_t *jbody = NULL;
	char err[256], *text = NULL;
	if (body != NULL && zs_json_encode(body, &jbody, err, sizeof err) == 0)
		text = json_dumps(jbody, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(jbody);
	if (text != NULL)
		e.body_json = text;
	int rv = zs_events_send(ev, &e, owner_account);
	free(text);
	if (packed_body != stack)
		free(packed_body);
	if (sequence != NULL)
		*sequence = e.sequence;
	return rv;
}
