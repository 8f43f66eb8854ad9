/*
 * zb_zs.c: zsnode as the load driver sees it: zs.echo.v1.Echo/Say through the generated
 * typed client (zs_echo_v1_echo_say / _async from echo.zsc.h, in libzsclient), with the
 * session of an admin login (Echo/Say is not public), and the readiness probe
 * (Health/Check, which is, until SERVING).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <zs/client.h>
#include "zs/echo/v1/echo.zsc.h"
#include "zs/health/v1/health.zsc.h"
#include "zs/identity/v1/identity.zsc.h"

#include "zb.h"

typedef struct zb_zs {
	zs_client *client;
	char *session;              /* owned */
	zs_call_opts opts;          /* carries the session */
	Zs__Echo__V1__SayRequest req;
	size_t payload;
	atomic_int complained;      /* the first failure is printed, not the others */
	char name[160];
} zb_zs;

typedef struct zb_zs_slot {
	zb_zs *zs;
	zb_done_fn done;
	void *worker;
} zb_zs_slot;

/* Checks an outcome and frees what came with it; 0 or the canonical code. */
static int
zb_zs_outcome(zb_zs *zs, int code, const zs_status *st, Zs__Echo__V1__SayReply *reply)
{
	if (code == ZS_CLIENT_OK && (reply == NULL || strlen(reply->text) != zs->payload))
		code = ZS_CLIENT_INTERNAL;
	if (code != ZS_CLIENT_OK && atomic_exchange(&zs->complained, 1) == 0)
		fprintf(stderr, "zsbench: %s: Say failed: %s: %s\n", zs->name, zs_client_code_name(code),
		    st != NULL && st->message != NULL ? st->message : "wrong reply");
	if (reply != NULL)
		zs_reply_free(reply);
	return code;
}

static int
zb_zs_call_sync(void *state)
{
	zb_zs *zs = state;
	Zs__Echo__V1__SayReply *reply = NULL;
	zs_status *st = NULL;
	int code = zs_echo_v1_echo_say(zs->client, &zs->req, &reply, &st, &zs->opts);
	code = zb_zs_outcome(zs, code, st, reply);
	zs_status_free(st);
	return code;
}

static void
zb_zs_said(int code, const zs_status *status, Zs__Echo__V1__SayReply *reply, void *arg)
{
	zb_zs_slot *s = arg;
	s->done(s->worker, zb_zs_outcome(s->zs, code, status, reply));
}

static int
zb_zs_worker_init(void *state, int i, void **wstate)
{
	(void) i;
	zb_zs_slot *s = calloc(1, sizeof *s);
	if (s == NULL)
		return ENOMEM;
	s->zs = state;
	*wstate = s;
	return 0;
}

static void
zb_zs_worker_fini(void *state, void *wstate)
{
	(void) state;
	free(wstate);
}

static int
zb_zs_call_async(void *state, void *wstate, zb_done_fn done, void *worker)
{
	zb_zs *zs = state;
	zb_zs_slot *s = wstate;
	s->done = done;
	s->worker = worker;
	return zs_echo_v1_echo_say_async(zs->client, &zs->req, zb_zs_said, s, &zs->opts);
}

/* Logs in as user/password; the session token goes into zs->opts. */
static int
zb_zs_login(zb_zs *zs, const char *user, const char *password, char *err, size_t errlen)
{
	Zs__Identity__V1__LoginRequest req = ZS__IDENTITY__V1__LOGIN_REQUEST__INIT;
	Zs__Identity__V1__LoginResponse *reply = NULL;
	zs_status *st = NULL;
	req.name = (char *) user;
	req.password = (char *) password;
	zs_call_opts opts = { .timeout_ms = 30000 };
	int code = zs_identity_v1_identity_login(zs->client, &req, &reply, &st, &opts);
	if (code == ZS_CLIENT_OK && (zs->session = strdup(reply->session)) != NULL) {
		zs->opts.session = zs->session;
	} else {
		snprintf(err, errlen, "login as %s: %s: %s", user, zs_client_code_name(code),
		    st != NULL && st->message != NULL ? st->message : "out of memory");
		code = code == ZS_CLIENT_OK ? ZS_CLIENT_INTERNAL : code;
	}
	if (reply != NULL)
		zs_reply_free(reply);
	zs_status_free(st);
	return code;
}

int
zb_zs_open(const char *url, const char *user, const char *password, size_t payload,
    zb_target *out, char *err, size_t errlen)
{
	zb_zs *zs = calloc(1, sizeof *zs);
	char *text = malloc(payload + 1);
	if (zs == NULL || text == NULL) {
		free(zs);
		free(text);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(text, 'x', payload);
	text[payload] = '\0';
	zs->req = (Zs__Echo__V1__SayRequest) ZS__ECHO__V1__SAY_REQUEST__INIT;
	zs->req.text = text;
	zs->payload = payload;
	snprintf(zs->name, sizeof zs->name, "zsnode %s", url);
	int rv = zs_client_open(&zs->client, url);
	if (rv != 0) {
		snprintf(err, errlen, "zs_client_open %s: error %d", url, rv);
	} else if ((rv = zb_zs_login(zs, user, password, err, errlen)) != 0) {
		zs_client_close(zs->client);
	} else if ((rv = zb_zs_call_sync(zs)) != 0) {
		snprintf(err, errlen, "zsnode on %s does not answer Say: %s", url, zs_client_code_name(rv));
		zs_client_close(zs->client);
	}
	if (rv != 0) {
		free(zs->session);
		free(text);
		free(zs);
		return -1;
	}
	*out = (zb_target) { .name = zs->name, .state = zs, .call_sync = zb_zs_call_sync,
		.worker_init = zb_zs_worker_init, .worker_fini = zb_zs_worker_fini,
		.call_async = zb_zs_call_async };
	return 0;
}

void
zb_zs_close(zb_target *t)
{
	zb_zs *zs = t->state;
	if (zs == NULL)
		return;
	zs_client_close(zs->client);
	free(zs->session);
	free(zs->req.text);
	free(zs);
	t->state = NULL;
}

/* Dials url with a plain req socket until it connects (SP handshake included), or
 * -1 at the deadline or when pid exits. The socket stays open (caller closes). */
static int
zb_zs_dial_probe(const char *url, pid_t pid, int64_t deadline_ns, nng_socket *out, char *err,
    size_t errlen)
{
	int rv = nng_req0_open(out);
	if (rv != 0) {
		snprintf(err, errlen, "nng_req0_open: %s", nng_strerror(rv));
		return -1;
	}
	while ((rv = nng_dial(*out, url, NULL, 0)) != 0) {
		if (!zb_proc_alive(pid) || zb_now_ns() > deadline_ns) {
			snprintf(err, errlen, "zsnode %s before it listened on %s (last dial: %s)",
			    zb_proc_alive(pid) ? "timed out" : "exited", url, nng_strerror(rv));
			nng_close(*out);
			return -1;
		}
		zb_sleep_ms(1);
	}
	return 0;
}

int
zb_zs_wait_serving(const char *url, pid_t pid, int64_t deadline_ns, char *err, size_t errlen)
{
	/* libzsclient dials in the background and nng waits between attempts, which would
	 * blur the start time: open the client once a dial succeeds. The probe is a real nng
	 * dial, not a bare connect(): a connection closed during nng's handshake makes the
	 * listener pause accepting for 100 ms. */
	nng_socket probe;
	if (zb_zs_dial_probe(url, pid, deadline_ns, &probe, err, errlen) != 0)
		return -1;
	zs_client *c;
	int rv = zs_client_open(&c, url);
	if (rv != 0) {
		nng_close(probe);
		snprintf(err, errlen, "zs_client_open %s: error %d", url, rv);
		return -1;
	}
	Zs__Health__V1__HealthCheckRequest req = ZS__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	int code = -1;
	const char *why = "no answer";
	while (zb_now_ns() < deadline_ns && zb_proc_alive(pid)) {
		Zs__Health__V1__HealthCheckResponse *reply = NULL;
		zs_status *st = NULL;
		int64_t left_ms = (deadline_ns - zb_now_ns()) / 1000000;
		zs_call_opts opts = {
			.timeout_ms = left_ms > 1000 ? 1000 : left_ms < 1 ? 1 : (uint32_t) left_ms
		};
		code = zs_health_v1_health_check(c, &req, &reply, &st, &opts);
		bool serving = code == ZS_CLIENT_OK &&
		    reply->status == ZS__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
		why = code != ZS_CLIENT_OK ? zs_client_code_name(code) : "not SERVING yet";
		if (reply != NULL)
			zs_reply_free(reply);
		zs_status_free(st);
		if (serving) {
			zs_client_close(c);
			nng_close(probe);
			return 0;
		}
		zb_sleep_ms(1);
	}
	zs_client_close(c);
	nng_close(probe);
	snprintf(err, errlen, "zsnode never answered SERVING (last: %s)", why);
	return -1;
}
