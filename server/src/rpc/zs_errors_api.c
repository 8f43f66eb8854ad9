/* zs_errors_api.c: zs.error.v1.Errors/List: every declared code, sorted, by prefix. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zs_call_impl.h"
#include "zs_errors.h"

/* What List collects: the infos (borrowing the registry's strings) and the filter. */
typedef struct errors_reply {
	const char *prefix;
	Zs__Error__V1__ErrorInfo *infos;
	size_t len, cap;
	bool failed;
} errors_reply;

/* "ECHO" matches ECHO.1001 (not ECHOX.1); "ECHO.10" matches ECHO.1001; any case. */
static bool
errors_match(const char *code, const char *prefix)
{
	size_t n = strlen(prefix);
	return n == 0 || (strncasecmp(code, prefix, n) == 0 &&
	    (strchr(prefix, '.') != NULL || code[n] == '.'));
}

static void
errors_reply_add(const char *code, const char *description, const char *service, void *arg)
{
	errors_reply *r = arg;
	if (r->failed || !errors_match(code, r->prefix))
		return;
	if (r->len == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		Zs__Error__V1__ErrorInfo *grown = realloc(r->infos, cap * sizeof *grown);
		if (grown == NULL) {
			r->failed = true;
			return;
		}
		r->infos = grown;
		r->cap = cap;
	}
	Zs__Error__V1__ErrorInfo *info = &r->infos[r->len++];
	zs__error__v1__error_info__init(info);
	info->code = (char *) code;
	info->description = (char *) description;
	info->service = (char *) service;
}

static void
errors_api_list(Zs__Error__V1__Errors_Service *svc, const Zs__Error__V1__ListErrorsRequest *in,
    Zs__Error__V1__ListErrorsResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	errors_reply r = { .prefix = in->prefix };
	zs_errors_each(call->rpc->errors, errors_reply_add, &r);
	Zs__Error__V1__ErrorInfo **ptrs = calloc(r.len + 1, sizeof *ptrs);
	if (r.failed || ptrs == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	} else {
		for (size_t i = 0; i < r.len; i++)
			ptrs[i] = &r.infos[i];
		Zs__Error__V1__ListErrorsResponse out = ZS__ERROR__V1__LIST_ERRORS_RESPONSE__INIT;
		out.errors = ptrs;
		out.n_errors = r.len;
		closure(&out, call);
	}
	free(ptrs);
	free(r.infos);
}

void
zs_errors_api_init(Zs__Error__V1__Errors_Service *svc)
{
	Zs__Error__V1__Errors_Service init = ZS__ERROR__V1__ERRORS__INIT(errors_api_);
	*svc = init;
}
