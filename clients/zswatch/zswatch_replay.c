/*
 * zswatch_replay.c: zs.event.v1.Events/Replay over the node's req socket, in JSON (the
 * same form as the JSON feed, so replayed events print like live ones): the session
 * comes from --session, $ZS_SESSION or the file `zsctl login` saved
 * ($XDG_CONFIG_HOME/zsctl/session, else ~/.config/zsctl/session).
 */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "zswatch.h"

#define ZSWATCH_RPC_TIMEOUT_MS 10000
#define ZSWATCH_REPLAY_LIMIT 1000

/* The saved session, or NULL. */
static char *
zswatch_saved_session(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char path[4096];
	if (xdg != NULL && xdg[0] == '/')
		snprintf(path, sizeof path, "%s/zsctl/session", xdg);
	else if (home != NULL && home[0] != '\0')
		snprintf(path, sizeof path, "%s/.config/zsctl/session", home);
	else
		return NULL;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char buf[512];
	char *s = fgets(buf, sizeof buf, f) != NULL ? buf : NULL;
	fclose(f);
	if (s == NULL)
		return NULL;
	s[strcspn(s, "\r\n")] = '\0';
	return s[0] != '\0' ? strdup(s) : NULL;
}

void
zswatch_rpc_init(zswatch_rpc *rpc, const char *url, const char *session)
{
	memset(rpc, 0, sizeof *rpc);
	rpc->url = url;
	const char *env = getenv("ZS_SESSION");
	if (session != NULL && session[0] != '\0')
		rpc->session = strdup(session);
	else if (env != NULL && env[0] != '\0')
		rpc->session = strdup(env);
	else
		rpc->session = zswatch_saved_session();
}

void
zswatch_rpc_fini(zswatch_rpc *rpc)
{
	if (rpc->open)
		nng_close(rpc->sock);
	free(rpc->session);
	rpc->open = false;
	rpc->session = NULL;
}

static int
zswatch_rpc_open(zswatch_rpc *rpc, char *err, size_t errlen)
{
	if (rpc->open)
		return 0;
	int rv = nng_req0_open(&rpc->sock);
	if (rv == 0) {
		nng_socket_set_ms(rpc->sock, NNG_OPT_RECVTIMEO, ZSWATCH_RPC_TIMEOUT_MS);
		nng_socket_set_ms(rpc->sock, NNG_OPT_SENDTIMEO, ZSWATCH_RPC_TIMEOUT_MS);
		nng_socket_set_size(rpc->sock, NNG_OPT_RECVMAXSZ, 0);
		if ((rv = nng_dial(rpc->sock, rpc->url, NULL, 0)) != 0)
			nng_close(rpc->sock);
	}
	if (rv != 0) {
		snprintf(err, errlen, "cannot reach %s: %s", rpc->url, nng_strerror(rv));
		return -1;
	}
	rpc->open = true;
	return 0;
}

/* One call of zs.event.v1.Events/<method>: the reply's body (caller json_decref()s), or
 * NULL with err. */
static json_t *
zswatch_events_call(zswatch_rpc *rpc, const char *method, json_t *body, char *err, size_t errlen)
{
	char full[64];
	snprintf(full, sizeof full, "zs.event.v1.Events/%s", method);
	json_t *req = json_pack("{s:s, s:s, s:O}", "method", full, "session", rpc->session, "body",
	    body);
	char *text = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	int rv = nng_send(rpc->sock, text, strlen(text), 0);
	free(text);
	char *answer = NULL;
	size_t len = 0;
	if (rv == 0)
		rv = nng_recv(rpc->sock, &answer, &len, NNG_FLAG_ALLOC);
	if (rv != 0) {
		snprintf(err, errlen, "%s at %s: %s", method, rpc->url, nng_strerror(rv));
		return NULL;
	}
	json_t *reply = json_loadb(answer, len, 0, NULL);
	nng_free(answer, len);
	const json_t *status = json_object_get(reply, "status");
	const char *code = json_string_value(json_object_get(status, "code"));
	if (reply == NULL || code == NULL || strcmp(code, "OK") != 0) {
		const char *msg = json_string_value(json_object_get(status, "message"));
		snprintf(err, errlen, "%s: %s%s%s", method, code ? code : "unreadable answer",
		    msg ? ": " : "", msg ? msg : "");
		json_decref(reply);
		return NULL;
	}
	json_t *out = json_incref(json_object_get(reply, "body"));
	json_decref(reply);
	return out != NULL ? out : json_object();
}

/* A replayed (or fetched) event in the form zswatch prints: body as the object bodyJson
 * holds (caller json_decref()s); NULL when out of memory. */
static json_t *
zswatch_full(const json_t *event)
{
	json_t *e = json_deep_copy(event);
	if (e == NULL)
		return NULL;
	const char *body_json = json_string_value(json_object_get(e, "bodyJson"));
	json_t *body = body_json != NULL ? json_loads(body_json, JSON_DECODE_ANY, NULL) : NULL;
	json_object_del(e, "bodyJson");
	if (body != NULL)
		json_object_set_new(e, "body", body);
	else
		json_object_del(e, "body");
	return e;
}

static void
zswatch_replayed(const json_t *event, zswatch_replay_fn fn, void *arg)
{
	json_t *e = zswatch_full(event);
	if (e != NULL)
		fn(e, arg);
	json_decref(e);
}

json_t *
zswatch_recent(zswatch_rpc *rpc, uint64_t sequence, uint64_t *oldest, char *err, size_t errlen)
{
	*oldest = 0;
	if (sequence == 0) {
		snprintf(err, errlen, "the event has no sequence");
		return NULL;
	}
	if (zswatch_rpc_open(rpc, err, errlen) != 0)
		return NULL;
	char from[24], to[24];
	snprintf(from, sizeof from, "%llu", (unsigned long long) sequence - 1);
	snprintf(to, sizeof to, "%llu", (unsigned long long) sequence);
	json_t *body = json_pack("{s:s, s:s}", "fromSequence", from, "toSequence", to);
	json_t *out = body != NULL ? zswatch_events_call(rpc, "Recent", body, err, errlen) : NULL;
	json_decref(body);
	if (out == NULL)
		return NULL;
	*oldest = zswatch_u64(out, "oldestSequence");
	json_t *first = json_array_get(json_object_get(out, "events"), 0);
	json_t *e = first != NULL ? zswatch_full(first) : NULL;
	json_decref(out);
	err[0] = '\0';
	return e;
}

int
zswatch_replay(zswatch_rpc *rpc, uint64_t from, uint64_t to, int64_t since_ms,
    char *const *prefixes, int n_prefixes, zswatch_replay_fn fn, void *arg, uint64_t *last,
    char *err, size_t errlen)
{
	*last = from;
	if (rpc->session == NULL) {
		snprintf(err, errlen, "Replay needs a session: log in with `zsctl login`, or give "
		    "--session or $ZS_SESSION");
		return -1;
	}
	if (zswatch_rpc_open(rpc, err, errlen) != 0)
		return -1;
	for (;;) {
		char n[24];
		json_t *body = json_object(), *list = json_array();
		for (int i = 0; i < n_prefixes; i++)
			json_array_append_new(list, json_string(prefixes[i]));
		snprintf(n, sizeof n, "%llu", (unsigned long long) *last);
		json_object_set_new(body, "fromSequence", json_string(n));
		if (to != 0) {
			snprintf(n, sizeof n, "%llu", (unsigned long long) to);
			json_object_set_new(body, "toSequence", json_string(n));
		}
		if (since_ms > 0) {
			/* a google.protobuf.Timestamp: RFC 3339 in JSON */
			char day[32], when[48];
			time_t secs = (time_t) (since_ms / 1000);
			struct tm tm;
			if (gmtime_r(&secs, &tm) != NULL &&
			    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm) > 0) {
				snprintf(when, sizeof when, "%s.%03dZ", day, (int) (since_ms % 1000));
				json_object_set_new(body, "since", json_string(when));
			}
		}
		json_object_set_new(body, "topicPrefixes", list);
		json_object_set_new(body, "limit", json_integer(ZSWATCH_REPLAY_LIMIT));
		json_t *out = zswatch_events_call(rpc, "Replay", body, err, errlen);
		json_decref(body);
		if (out == NULL)
			return -1;
		size_t i;
		json_t *event;
		json_array_foreach(json_object_get(out, "events"), i, event)
			zswatch_replayed(event, fn, arg);
		uint64_t next = zswatch_u64(out, "lastSequence");
		bool more = json_is_true(json_object_get(out, "more"));
		json_decref(out);
		if (next > *last)
			*last = next;
		if (!more || next == 0)
			return 0;
	}
}
