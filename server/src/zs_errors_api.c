/*
 * zs_errors_api.c: error codes. Plugins declare theirs in their descriptors; platform
 * modules declare theirs with zs_errors_declare (zs/errors.h) into the registry kept
 * here. zs_errors_description serves zs_call_fail (a failure carries its code's
 * description), and zs.error.v1.Errors/List lists every code, sorted.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zs/call.h"
#include "zs/errors.h"
#include "zs/log.h"
#include "zs_config_impl.h"
#include "zs_node_impl.h"
#include "zs_plugin.h"

typedef struct errors_entry {
	char *code, *description, *service;
} errors_entry;

/* Entries are only added, never removed before the node goes: their strings stay put. */
struct zs_errors {
	pthread_mutex_t lock;
	errors_entry *entries;
	size_t len, cap;
};

int
zs_errors_new(zs_errors **out)
{
	zs_errors *e = calloc(1, sizeof *e);
	if (e == NULL)
		return -1;
	pthread_mutex_init(&e->lock, NULL);
	*out = e;
	return 0;
}

void
zs_errors_free(zs_errors *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->len; i++) {
		free(e->entries[i].code);
		free(e->entries[i].description);
		free(e->entries[i].service);
	}
	free(e->entries);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* PREFIX.ID, each part letters, digits, '_' or '-'. */
static bool
errors_code_ok(const char *code)
{
	const char *dot = code != NULL ? strchr(code, '.') : NULL;
	if (dot == NULL || dot == code || dot[1] == '\0' || strchr(dot + 1, '.') != NULL ||
	    strlen(code) > 64)
		return false;
	for (const char *s = code; *s != '\0'; s++)
		if (s != dot && !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* The entry of code, or NULL. Caller holds e->lock. */
static const errors_entry *
errors_find(const zs_errors *e, const char *code)
{
	for (size_t i = 0; i < e->len; i++)
		if (strcmp(e->entries[i].code, code) == 0)
			return &e->entries[i];
	return NULL;
}

static int
errors_add(zs_errors *e, const char *code, const char *description, const char *service)
{
	if (e->len == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;
		errors_entry *grown = realloc(e->entries, cap * sizeof *grown);
		if (grown == NULL)
			return -1;
		e->entries = grown;
		e->cap = cap;
	}
	errors_entry *n = &e->entries[e->len];
	n->code = strdup(code);
	n->description = strdup(description ? description : "");
	n->service = strdup(service ? service : "node");
	if (n->code == NULL || n->description == NULL || n->service == NULL) {
		free(n->code);
		free(n->description);
		free(n->service);
		return -1;
	}
	e->len++;
	return 0;
}

int
zs_errors_declare(zs_node *node, const char *code, const char *description,
    const char *service)
{
	zs_errors *e = node->config != NULL ? node->config->errors : NULL;
	if (e == NULL || !errors_code_ok(code)) {
		zs_log(node, ZS_LOG_ERROR, "errors", "%s cannot declare error code \"%s\": %s",
		    service ? service : "?", code ? code : "",
		    e == NULL ? "the config module has not started" : "it is not PREFIX.ID");
		return -1;
	}
	int rv = 0;
	const char *other = NULL;
	pthread_mutex_lock(&e->lock);
	const errors_entry *old = errors_find(e, code);
	if (old != NULL)
		other = old->service;
	else if (zs_plugins_error_description(node->plugins, code) != NULL)
		other = "a plugin";
	rv = other == NULL ? errors_add(e, code, description, service) : -1;
	if (rv != 0)
		zs_log(node, ZS_LOG_ERROR, "errors", "%s cannot declare error code %s: %s%s",
		    service ? service : "?", code, other ? "it is already declared by " : "out of memory",
		    other ? other : "");
	pthread_mutex_unlock(&e->lock);
	return rv;
}

const char *
zs_errors_description(const zs_node *node, const char *code)
{
	const char *desc = zs_plugins_error_description(node->plugins, code);
	zs_errors *e = node->config != NULL ? node->config->errors : NULL;
	if (desc != NULL || e == NULL || code == NULL)
		return desc;
	pthread_mutex_lock(&e->lock);
	const errors_entry *found = errors_find(e, code);
	desc = found != NULL ? found->description : NULL;
	pthread_mutex_unlock(&e->lock);
	return desc;
}

/* Every code, borrowed, for sorting. */
typedef struct errors_list {
	errors_entry *items;
	size_t len, cap;
	bool failed;
} errors_list;

static void
errors_list_add(const char *code, const char *description, const char *service, void *arg)
{
	errors_list *l = arg;
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		errors_entry *grown = realloc(l->items, cap * sizeof *grown);
		if (grown == NULL) {
			l->failed = true;
			return;
		}
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->len++] = (errors_entry) { (char *) code, (char *) (description ? description : ""),
		(char *) service };
}

static int
errors_cmp(const void *a, const void *b)
{
	return strcmp(((const errors_entry *) a)->code, ((const errors_entry *) b)->code);
}

void
zs_errors_each(zs_node *node, void (*fn)(const char *code, const char *description,
    const char *service, void *arg), void *arg)
{
	errors_list l = { 0 };
	zs_errors *e = node->config != NULL ? node->config->errors : NULL;
	zs_plugins_each_error(node->plugins, errors_list_add, &l);
	if (e != NULL) {
		pthread_mutex_lock(&e->lock);
		for (size_t i = 0; i < e->len; i++)
			errors_list_add(e->entries[i].code, e->entries[i].description,
			    e->entries[i].service, &l);
		pthread_mutex_unlock(&e->lock);
	}
	if (l.len > 0)
		qsort(l.items, l.len, sizeof *l.items, errors_cmp);
	for (size_t i = 0; i < l.len; i++)
		fn(l.items[i].code, l.items[i].description, l.items[i].service, arg);
	free(l.items);
}

/* ---- zs.error.v1.Errors ---- */

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
	zs_errors_each(zs_call_node(call), errors_reply_add, &r);
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
zs_errors_api_init(zs_config_registry *reg)
{
	Zs__Error__V1__Errors_Service api = ZS__ERROR__V1__ERRORS__INIT(errors_api_);
	reg->errors_api = api;
}
