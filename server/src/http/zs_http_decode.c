/* zs_http_decode.c: an agent's answer (HTTP status + body bytes) -> JSON object or status.
 * Pure: no I/O, no state, so it can be fuzzed on its own. */
#include <string.h>
#include <jansson.h>

#include "zs/http.h"

/* The canonical code for an HTTP status that is not 2xx. */
static int
decode_http_code(long http_status)
{
	if (http_status >= 500 || http_status == 429 || http_status == 408)
		return ZS_UNAVAILABLE;
	if (http_status == 404 || http_status == 405)
		return ZS_UNIMPLEMENTED;
	return ZS_INTERNAL;
}

/* The agent's "error" text of an object, or NULL. */
static const char *
decode_error_text(const json_t *o)
{
	const json_t *e = json_object_get(o, "error");
	return json_is_string(e) && json_string_length(e) > 0 ? json_string_value(e) : NULL;
}

int
zs_http_decode(long http_status, const char *body, size_t len, const char *host, const char *path,
    json_t **reply, zs_status **st)
{
	const char *hs = host != NULL ? host : "?", *ps = path != NULL ? path : "?";
	json_error_t jerr;
	json_t *o = NULL;
	if (reply != NULL)
		*reply = NULL;
	if (body != NULL && len > 0)
		o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (http_status < 200 || http_status > 299) {
		int code = decode_http_code(http_status);
		if (st != NULL) {
			*st = zs_status_new(code, "HTTP.1003", "host %s: POST %s: HTTP %ld", hs, ps,
			    http_status);
			const char *why = json_is_object(o) ? decode_error_text(o) : NULL;
			if (*st != NULL && why != NULL)
				zs_status_set_cause(*st, zs_status_new(code, NULL, "%s", why));
		}
		json_decref(o);
		return code;
	}
	if (!json_is_object(o)) {
		if (st != NULL) {
			*st = zs_status_new(ZS_INTERNAL, "HTTP.1004", "host %s: POST %s: HTTP %ld: the answer "
			    "is not a JSON object", hs, ps, http_status);
			if (*st != NULL && o == NULL && body != NULL && len > 0)
				zs_status_add_detail(*st, "line %d column %d: %s", jerr.line, jerr.column,
				    jerr.text);
		}
		json_decref(o);
		return ZS_INTERNAL;
	}
	const json_t *ok = json_object_get(o, "success");
	if (json_is_false(ok)) {
		if (st != NULL) {
			const char *why = decode_error_text(o);
			*st = zs_status_new(ZS_ABORTED, "HTTP.1005", "host %s: POST %s: HTTP %ld: the agent "
			    "failed the command", hs, ps, http_status);
			if (*st != NULL)
				zs_status_set_cause(*st, zs_status_new(ZS_ABORTED, NULL, "%s",
				    why != NULL ? why : "(the agent gave no error text)"));
		}
		if (reply != NULL)
			*reply = o;
		else
			json_decref(o);
		return ZS_ABORTED;
	}
	if (reply != NULL)
		*reply = o;
	else
		json_decref(o);
	return 0;
}
