/* zs_router.c: the method table, sorted once at start and searched without locks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs_router.h"

struct zs_router {
	zs_route **routes;   /* sorted by full_name once sealed */
	size_t len, cap;
	bool sealed;
};

int
zs_router_new(zs_router **out)
{
	*out = calloc(1, sizeof **out);
	return *out != NULL ? 0 : -1;
}

void
zs_router_free(zs_router *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->len; i++) {
		free(r->routes[i]->full_name);
		free(r->routes[i]->chain);
		free(r->routes[i]);
	}
	free(r->routes);
	free(r);
}

static zs_route *
router_lookup(const zs_router *r, const char *name)
{
	if (r->sealed) {
		size_t lo = 0, hi = r->len;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			int c = strcmp(name, r->routes[mid]->full_name);
			if (c == 0)
				return r->routes[mid];
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		return NULL;
	}
	for (size_t i = 0; i < r->len; i++)
		if (strcmp(r->routes[i]->full_name, name) == 0)
			return r->routes[i];
	return NULL;
}

/* Drops the routes added from index `from` on: a service is routed whole or not at all. */
static void
router_truncate(zs_router *r, size_t from)
{
	while (r->len > from) {
		zs_route *rt = r->routes[--r->len];
		free(rt->full_name);
		free(rt->chain);
		free(rt);
	}
}

/* Adds one method's route. 0, or -1 with err. */
static int
router_add_method(zs_router *r, ProtobufCService *svc, unsigned i, void *const *data,
    const char *plugin_id, bool inline_handler, char *err, size_t errlen)
{
	const ProtobufCServiceDescriptor *sd = svc->descriptor;
	char *name;
	if (asprintf(&name, "%s/%s", sd->name, sd->methods[i].name) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	const zs_route *dup = router_lookup(r, name);
	if (dup != NULL) {
		snprintf(err, errlen, "%s: method %s is already served by %s", plugin_id, name,
		    dup->plugin_id);
		free(name);
		return -1;
	}
	zs_route *rt = calloc(1, sizeof *rt);
	if (rt != NULL && r->len == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		zs_route **grown = cap < SIZE_MAX / sizeof *grown ? realloc(r->routes, cap * sizeof *grown) : NULL;
		if (grown == NULL) {
			free(rt);
			rt = NULL;
		} else {
			r->routes = grown;
			r->cap = cap;
		}
	}
	if (rt == NULL) {
		free(name);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rt->full_name = name;
	rt->service = svc;
	rt->method_index = i;
	rt->method = &sd->methods[i];
	rt->data = data;
	rt->plugin_id = plugin_id;
	rt->inline_handler = inline_handler;
	r->routes[r->len++] = rt;
	return 0;
}

int
zs_router_add_service(zs_router *r, ProtobufCService *svc, void *const *data,
    const char *plugin_id, bool inline_handler, char *err, size_t errlen)
{
	const ProtobufCServiceDescriptor *sd = svc->descriptor;
	if (sd == NULL || sd->magic != PROTOBUF_C__SERVICE_DESCRIPTOR_MAGIC) {
		snprintf(err, errlen, "%s: the api symbol is not a protoc-c service", plugin_id);
		return -1;
	}
	size_t before = r->len;
	bool was_sealed = r->sealed;
	/* routes are appended unsorted: lookups search linearly until the next seal */
	r->sealed = false;
	for (unsigned i = 0; i < sd->n_methods; i++)
		if (router_add_method(r, svc, i, data, plugin_id, inline_handler, err, errlen) != 0) {
			router_truncate(r, before);
			r->sealed = was_sealed;
			return -1;
		}
	if (was_sealed && r->len == before)
		r->sealed = true;
	return 0;
}

int
zs_router_set_chain(zs_router *r, const char *full_method,
    const zs_interceptor *const *chain, size_t n)
{
	zs_route *rt = router_lookup(r, full_method);
	if (rt == NULL)
		return -1;
	const zs_interceptor **copy = calloc(n ? n : 1, sizeof *copy);
	if (copy == NULL)
		return -1;
	memcpy(copy, chain, n * sizeof *copy);
	free(rt->chain);
	rt->chain = copy;
	rt->n_chain = n;
	return 0;
}

int
zs_router_set_inline(zs_router *r, const char *full_method, bool inline_handler)
{
	zs_route *rt = router_lookup(r, full_method);
	if (rt == NULL)
		return -1;
	rt->inline_handler = inline_handler;
	return 0;
}

int
zs_router_set_public(zs_router *r, const char *full_method)
{
	zs_route *rt = router_lookup(r, full_method);
	if (rt == NULL)
		return -1;
	rt->public_method = true;
	return 0;
}

static int
router_cmp(const void *a, const void *b)
{
	return strcmp((*(zs_route *const *) a)->full_name, (*(zs_route *const *) b)->full_name);
}

void
zs_router_seal(zs_router *r)
{
	qsort(r->routes, r->len, sizeof *r->routes, router_cmp);
	r->sealed = true;
}

bool
zs_router_has_service(const zs_router *r, const char *service)
{
	size_t n = strlen(service);
	for (size_t i = 0; i < r->len; i++)
		if (strncmp(r->routes[i]->full_name, service, n) == 0 &&
		    r->routes[i]->full_name[n] == '/')
			return true;
	return false;
}

const zs_route *
zs_router_find(const zs_router *r, const char *method, int *code, char *err, size_t errlen)
{
	const zs_route *rt = router_lookup(r, method);
	if (rt != NULL)
		return rt;
	const char *slash = strchr(method, '/');
	if (*method == '\0') {
		*code = 3;
		snprintf(err, errlen, "the request names no method (want package.Service/Method)");
	} else if (slash == NULL || slash == method || slash[1] == '\0' || strchr(slash + 1, '/')) {
		*code = 3;
		snprintf(err, errlen, "method \"%.200s\" is not of the form package.Service/Method", method);
	} else {
		char service[256];
		snprintf(service, sizeof service, "%.*s", (int) (slash - method), method);
		*code = 12;
		if (zs_router_has_service(r, service))
			snprintf(err, errlen, "service %s has no method %.200s", service, slash + 1);
		else
			snprintf(err, errlen, "unknown service %s", service);
	}
	return NULL;
}

size_t
zs_router_len(const zs_router *r)
{
	return r->len;
}

const zs_route *
zs_router_at(const zs_router *r, size_t i)
{
	return i < r->len ? r->routes[i] : NULL;
}

/* Buckets: 50us, 100us, 250us, 500us, 1ms, 2.5ms, 5ms, 10ms, 50ms, 250ms, 1s, +Inf. */
static const int64_t router_bucket_ns[ZS_ROUTE_BUCKETS] = {
	50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
	50000000, 250000000, 1000000000, INT64_MAX,
};

double
zs_route_bucket_le(size_t i)
{
	return i + 1 < ZS_ROUTE_BUCKETS ? (double) router_bucket_ns[i] / 1e9 : -1;
}

void
zs_route_record(const zs_route *route, int code, int64_t elapsed_ns)
{
	zs_route_stats *s = (zs_route_stats *) &route->stats;
	if (code < 0 || code > 16)
		code = 2;
	atomic_fetch_add_explicit(&s->by_code[code], 1, memory_order_relaxed);
	size_t b = 0;
	while (elapsed_ns > router_bucket_ns[b])
		b++;
	atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_ns, (uint64_t) elapsed_ns, memory_order_relaxed);
}
