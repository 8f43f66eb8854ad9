/*
 * zsctl_rpc.c: one call in the JSON mode of the wire: a frame that starts with `{`,
 * {"method","requestId","timeoutMs","session","body"}, answered by
 * {"requestId","status","body"}. Any method of any service works without generated code.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>

#include "zsctl.h"

/* The node answers DEADLINE_EXCEEDED at the deadline; wait this much longer for it. */
#define ZSCTL_GRACE_MS 1000

/* A status made by zsctl itself, shaped like the node's. */
static json_t *zsctl_rpc_status(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static json_t *
zsctl_rpc_status(const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return json_pack("{s:s, s:s}", "code", code, "message", msg);
}

static void
zsctl_rpc_request_id(char *buf, size_t len)
{
	uint64_t id = 0;
	if (getrandom(&id, sizeof id, 0) != (ssize_t) sizeof id)
		id = ((uint64_t) nng_random() << 32) | nng_random();
	snprintf(buf, len, "%llu", (unsigned long long) (id != 0 ? id : 1));
}

/* Sends the frame and waits for the answer; *answer (caller frees with nng_free, size
 * *answer_len) or a status saying why there is none. */
/* Dials opts->url; tls+tcp:// checks the node's certificate against opts->tls_ca (main
 * makes sure there is one). */
static int
zsctl_rpc_dial(nng_socket sock, const zsctl_opts *opts)
{
	if (strncmp(opts->url, "tls+", 4) != 0)
		return nng_dial(sock, opts->url, NULL, 0);
	nng_dialer d;
	nng_tls_config *cfg;
	nng_url *u = NULL;
	int rv = nng_dialer_create(&d, sock, opts->url);
	if (rv != 0)
		return rv;
	if ((rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT)) != 0)
		return rv;
	if ((rv = nng_url_parse(&u, opts->url)) == 0 &&
	    (rv = nng_tls_config_server_name(cfg, u->u_hostname)) == 0 &&
	    (rv = nng_tls_config_ca_file(cfg, opts->tls_ca)) == 0 &&
	    (rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) == 0 &&
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg)) == 0)
		rv = nng_dialer_start(d, 0);
	if (u != NULL)
		nng_url_free(u);
	nng_tls_config_free(cfg);
	return rv;
}

static int
zsctl_rpc_exchange(const zsctl_opts *opts, const char *frame, char **answer,
    size_t *answer_len, json_t **status)
{
	nng_socket sock;
	int rv = nng_req0_open(&sock);
	if (rv == 0)
		rv = nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, 0);
	if (rv == 0)
		rv = nng_socket_set_ms(sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	if (rv == 0)
		rv = nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, (nng_duration) opts->timeout_ms);
	if (rv == 0)
		rv = nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO,
		    (nng_duration) opts->timeout_ms + ZSCTL_GRACE_MS);
	if (rv != 0) {
		*status = zsctl_rpc_status("INTERNAL", "%s: cannot open a socket: %s", opts->url,
		    nng_strerror(rv));
		nng_close(sock);
		return ZSCTL_EXIT_FAILED;
	}
	/* A blocking dial, so that a node that is not running is reported at once (the
	 * price: an address that drops packets waits for the kernel's connect timeout). */
	rv = zsctl_rpc_dial(sock, opts);
	if (rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP || rv == NNG_EINVAL) {
		*status = zsctl_rpc_status("INVALID_ARGUMENT", "bad node address %s: %s", opts->url,
		    nng_strerror(rv));
		nng_close(sock);
		return ZSCTL_EXIT_USAGE;
	}
	if (rv != 0) {
		*status = zsctl_rpc_status("UNAVAILABLE", "cannot reach zsnode at %s: %s",
		    opts->url, nng_strerror(rv));
		nng_close(sock);
		return ZSCTL_EXIT_NO_ANSWER;
	}
	if ((rv = nng_send(sock, (void *) frame, strlen(frame), 0)) == 0)
		rv = nng_recv(sock, answer, answer_len, NNG_FLAG_ALLOC);
	nng_close(sock);
	if (rv == NNG_ETIMEDOUT) {
		*status = zsctl_rpc_status("DEADLINE_EXCEEDED",
		    "no answer from zsnode at %s within %u ms", opts->url, opts->timeout_ms);
		return ZSCTL_EXIT_NO_ANSWER;
	}
	if (rv != 0) {
		*status = zsctl_rpc_status("UNAVAILABLE", "no answer from zsnode at %s: %s", opts->url,
		    nng_strerror(rv));
		return ZSCTL_EXIT_NO_ANSWER;
	}
	return ZSCTL_EXIT_OK;
}

/* A status means success when it is absent or its code is OK (name or number 0). */
static int
zsctl_rpc_status_ok(const json_t *status)
{
	if (status == NULL || json_is_null(status))
		return 1;
	const json_t *code = json_object_get(status, "code");
	if (code == NULL)
		return 1;
	if (json_is_integer(code))
		return json_integer_value(code) == 0;
	return json_is_string(code) && strcmp(json_string_value(code), "OK") == 0;
}

int
zsctl_rpc_call(const zsctl_opts *opts, const char *method, json_t *body, json_t **reply_body,
    json_t **status)
{
	char id[32];
	zsctl_rpc_request_id(id, sizeof id);
	*reply_body = NULL;
	*status = NULL;
	/* A job's deadline is not the call's: it is --job-timeout, or (timeoutMs absent) the
	 * node's job.default_timeout. The call itself still answers within opts->timeout_ms. */
	int as_job = opts->job || opts->wait;
	uint32_t timeout = as_job ? opts->job_timeout_ms : opts->timeout_ms;
	json_t *req = json_pack("{s:s, s:s, s:O}", "method", method, "requestId", id, "body", body);
	if (req != NULL && timeout != 0)
		json_object_set_new(req, "timeoutMs", json_integer((json_int_t) timeout));
	if (req != NULL && opts->session != NULL)
		json_object_set_new(req, "session", json_string(opts->session));
	if (req != NULL && as_job)
		json_object_set_new(req, "job", json_true());
	char *frame = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (frame == NULL) {
		*status = json_pack("{s:s, s:s}", "code", "INTERNAL", "message",
		    "cannot encode the request (out of memory?)");
		return ZSCTL_EXIT_FAILED;
	}

	char *answer;
	size_t len;
	int rc = zsctl_rpc_exchange(opts, frame, &answer, &len, status);
	free(frame);
	if (rc != ZSCTL_EXIT_OK)
		return rc;

	json_error_t err;
	json_t *reply = json_loadb(answer, len, 0, &err);
	nng_free(answer, len);
	if (!json_is_object(reply)) {
		*status = zsctl_rpc_status("INTERNAL", "the answer from %s is not a JSON object: %s",
		    opts->url, reply == NULL ? err.text : "wrong type");
		json_decref(reply);
		return ZSCTL_EXIT_FAILED;
	}
	json_t *st = json_object_get(reply, "status");
	if (!zsctl_rpc_status_ok(st)) {
		*status = json_incref(st);
		json_decref(reply);
		return ZSCTL_EXIT_FAILED;
	}
	const char *rid = zsctl_str(reply, "requestId");
	if (rid[0] != '\0' && strcmp(rid, id) != 0) {
		*status = zsctl_rpc_status("INTERNAL", "the answer from %s is for request %s", opts->url,
		    rid);
		json_decref(reply);
		return ZSCTL_EXIT_FAILED;
	}
	json_t *b = json_object_get(reply, "body");
	const char *job = zsctl_str(reply, "jobUuid");
	if (job[0] != '\0')
		*reply_body = json_pack("{s:s}", "jobUuid", job);
	else
		*reply_body = json_is_object(b) ? json_incref(b) : json_object();
	json_decref(reply);
	return ZSCTL_EXIT_OK;
}
