/*
 * router_test.c: unit tests for the method table (server/src/zs_router.c): registering
 * services (hand-made protoc-c descriptors), lookups before and after sealing, the table
 * sorted by full name, unknown services and methods (UNIMPLEMENTED) and malformed names
 * (INVALID_ARGUMENT) with their messages, duplicates refused with nothing half-added,
 * interceptor chains and public methods, has_service, and the latency histogram.
 * Prints `router: N passed, M failed` and exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs_router.h"
#include "zst_check.h"

#define INVALID_ARGUMENT 3
#define UNIMPLEMENTED 12

/* A service descriptor with the given methods, as protoc-c would make one. */
typedef struct fake_service {
	ProtobufCServiceDescriptor desc;
	ProtobufCMethodDescriptor methods[8];
	ProtobufCService svc;
} fake_service;

static void
fake_invoke(ProtobufCService *service, unsigned method_index, const ProtobufCMessage *input,
    ProtobufCClosure closure, void *closure_data)
{
	(void) service;
	(void) method_index;
	(void) input;
	(void) closure;
	(void) closure_data;
}

/* name is "package.Service"; methods a NULL-terminated list. */
static void
fake_init(fake_service *f, const char *name, const char *const *methods)
{
	memset(f, 0, sizeof *f);
	unsigned n = 0;
	while (methods[n] != NULL && n < 8) {
		f->methods[n].name = methods[n];
		n++;
	}
	f->desc.magic = PROTOBUF_C__SERVICE_DESCRIPTOR_MAGIC;
	f->desc.name = name;
	f->desc.short_name = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
	f->desc.c_name = name;
	f->desc.package = "";
	f->desc.n_methods = n;
	f->desc.methods = f->methods;
	f->svc.descriptor = &f->desc;
	f->svc.invoke = fake_invoke;
}

static zs_router *
router_new(void)
{
	zs_router *r = NULL;
	ZST_REQUIRE(zs_router_new(&r) == 0 && r != NULL, "zs_router_new");
	return r;
}

static void
add_ok(zs_router *r, fake_service *f, const char *plugin)
{
	char err[256] = "";
	ZST_CHECK(zs_router_add_service(r, &f->svc, NULL, plugin, false, err, sizeof err) == 0,
	    "%s adds %s (%s)", plugin, f->desc.name, err);
}

/* method is found and is method index idx of f. */
static void
found(const zs_router *r, const char *method, const fake_service *f, unsigned idx, const char *plugin)
{
	int code = -1;
	char err[256] = "";
	const zs_route *rt = zs_router_find(r, method, &code, err, sizeof err);
	ZST_CHECK(rt != NULL && strcmp(rt->full_name, method) == 0 && rt->service == &f->svc &&
	    rt->method_index == idx && rt->method == &f->methods[idx] &&
	    strcmp(rt->plugin_id, plugin) == 0,
	    "%s is routed to method %u of %s, plugin %s (%s)", method, idx, f->desc.name, plugin, err);
}

/* method is not found: code and the exact message. */
static void
not_found(const zs_router *r, const char *method, int want_code, const char *want_err)
{
	int code = -1;
	char err[256] = "";
	const zs_route *rt = zs_router_find(r, method, &code, err, sizeof err);
	ZST_CHECK(rt == NULL && code == want_code && strcmp(err, want_err) == 0,
	    "\"%s\" is not routed: code %d \"%s\" (got %s, code %d \"%s\")", method, want_code,
	    want_err, rt ? "a route" : "none", code, err);
}

static fake_service echo, health, zone, other;

static void
setup_services(void)
{
	static const char *const echo_m[] = { "Say", "Publish", "SlowSay", NULL };
	static const char *const health_m[] = { "Check", NULL };
	static const char *const zone_m[] = { "Create", "Get", "List", "Delete", NULL };
	static const char *const other_m[] = { "Say", NULL };
	fake_init(&echo, "zs.echo.v1.Echo", echo_m);
	fake_init(&health, "zs.health.v1.Health", health_m);
	fake_init(&zone, "zs.zone.v1.Zones", zone_m);
	fake_init(&other, "zs.echo.v1.EchoTwo", other_m);
}

static void
test_register_and_find(bool seal)
{
	zs_router *r = router_new();
	ZST_EXPECT_INT(zs_router_len(r), 0);
	not_found(r, "zs.echo.v1.Echo/Say", UNIMPLEMENTED, "unknown service zs.echo.v1.Echo");
	add_ok(r, &zone, "zone");
	add_ok(r, &echo, "echo");
	add_ok(r, &health, "node");
	add_ok(r, &other, "echo2");
	ZST_EXPECT_INT(zs_router_len(r), 9);
	if (seal)
		zs_router_seal(r);
	found(r, "zs.echo.v1.Echo/Say", &echo, 0, "echo");
	found(r, "zs.echo.v1.Echo/Publish", &echo, 1, "echo");
	found(r, "zs.echo.v1.Echo/SlowSay", &echo, 2, "echo");
	found(r, "zs.health.v1.Health/Check", &health, 0, "node");
	found(r, "zs.zone.v1.Zones/Create", &zone, 0, "zone");
	found(r, "zs.zone.v1.Zones/Delete", &zone, 3, "zone");
	found(r, "zs.echo.v1.EchoTwo/Say", &other, 0, "echo2");

	/* a service that is the prefix of another is a different service */
	ZST_EXPECT(zs_router_has_service(r, "zs.echo.v1.Echo"));
	ZST_EXPECT(zs_router_has_service(r, "zs.echo.v1.EchoTwo"));
	ZST_EXPECT(!zs_router_has_service(r, "zs.echo.v1.Ech"));
	ZST_EXPECT(!zs_router_has_service(r, "zs.echo.v1"));
	ZST_EXPECT(!zs_router_has_service(r, ""));
	ZST_EXPECT(!zs_router_has_service(r, "zs.echo.v1.Echo/Say"));

	/* unknown: UNIMPLEMENTED, saying whether the service or only the method is unknown */
	not_found(r, "zs.echo.v1.Echo/Shout", UNIMPLEMENTED, "service zs.echo.v1.Echo has no method Shout");
	not_found(r, "zs.echo.v1.Echo/say", UNIMPLEMENTED, "service zs.echo.v1.Echo has no method say");
	not_found(r, "zs.echo.v1.echo/Say", UNIMPLEMENTED, "unknown service zs.echo.v1.echo");
	not_found(r, "zs.nope.v1.Nope/Say", UNIMPLEMENTED, "unknown service zs.nope.v1.Nope");
	not_found(r, "zs.echo.v1.Ech/Say", UNIMPLEMENTED, "unknown service zs.echo.v1.Ech");
	not_found(r, "zs.echo.v1.Echo/Say ", UNIMPLEMENTED, "service zs.echo.v1.Echo has no method Say ");
	not_found(r, "Echo/Say", UNIMPLEMENTED, "unknown service Echo");

	/* malformed: INVALID_ARGUMENT */
	not_found(r, "", INVALID_ARGUMENT, "the request names no method (want package.Service/Method)");
	not_found(r, "zs.echo.v1.Echo", INVALID_ARGUMENT,
	    "method \"zs.echo.v1.Echo\" is not of the form package.Service/Method");
	not_found(r, "zs.echo.v1.Echo/", INVALID_ARGUMENT,
	    "method \"zs.echo.v1.Echo/\" is not of the form package.Service/Method");
	not_found(r, "/Say", INVALID_ARGUMENT, "method \"/Say\" is not of the form package.Service/Method");
	not_found(r, "/", INVALID_ARGUMENT, "method \"/\" is not of the form package.Service/Method");
	not_found(r, "zs.echo.v1.Echo/Say/Again", INVALID_ARGUMENT,
	    "method \"zs.echo.v1.Echo/Say/Again\" is not of the form package.Service/Method");
	not_found(r, "zs.echo.v1.Echo//Say", INVALID_ARGUMENT,
	    "method \"zs.echo.v1.Echo//Say\" is not of the form package.Service/Method");

	/* a very long name: the message is cut, never overruns */
	char longname[2048];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	int code = -1;
	char err[64] = "";
	ZST_CHECK(zs_router_find(r, longname, &code, err, sizeof err) == NULL &&
	    code == INVALID_ARGUMENT && strlen(err) == sizeof err - 1,
	    "a 2 KB name without '/' is INVALID_ARGUMENT with a cut message (%d)", code);
	memcpy(longname + 1000, "/M", 2);
	code = -1;
	char err2[512] = "";
	ZST_CHECK(zs_router_find(r, longname, &code, err2, sizeof err2) == NULL && code == UNIMPLEMENTED &&
	    strncmp(err2, "unknown service xxx", 19) == 0, "a 1000-byte service name is UNIMPLEMENTED (%.40s...)",
	    err2);
	zs_router_free(r);
}

/* After seal, zs_router_at walks the routes in name order. */
static void
test_sorted_table(void)
{
	zs_router *r = router_new();
	add_ok(r, &zone, "zone");
	add_ok(r, &echo, "echo");
	add_ok(r, &other, "echo2");
	add_ok(r, &health, "node");
	zs_router_seal(r);
	bool sorted = true;
	for (size_t i = 1; i < zs_router_len(r); i++)
		sorted = sorted && strcmp(zs_router_at(r, i - 1)->full_name, zs_router_at(r, i)->full_name) < 0;
	ZST_CHECK(sorted, "the sealed table is sorted by full name");
	ZST_EXPECT_STR(zs_router_at(r, 0)->full_name, "zs.echo.v1.Echo/Publish");
	ZST_EXPECT_STR(zs_router_at(r, 8)->full_name, "zs.zone.v1.Zones/List");
	ZST_CHECK(zs_router_at(r, 9) == NULL, "past the end there is no route");
	ZST_CHECK(zs_router_at(r, (size_t) -1) == NULL, "nor at SIZE_MAX");

	/* adding after the seal: lookups see the new methods and the old ones */
	static const char *const more[] = { "Zeta", "Alpha", "Mid", NULL };
	static fake_service late;
	fake_init(&late, "zs.a.v1.Late", more);
	add_ok(r, &late, "late");
	found(r, "zs.a.v1.Late/Alpha", &late, 1, "late");
	found(r, "zs.echo.v1.Echo/Say", &echo, 0, "echo");
	zs_router_seal(r);
	found(r, "zs.a.v1.Late/Zeta", &late, 0, "late");
	found(r, "zs.zone.v1.Zones/List", &zone, 2, "zone");
	ZST_EXPECT_STR(zs_router_at(r, 0)->full_name, "zs.a.v1.Late/Alpha");

	/* many services: every method is found by binary search */
	zs_router *big = router_new();
	static fake_service many[200];
	static char names[200][32];
	static const char *const m3[] = { "C", "A", "B", NULL };
	for (int i = 0; i < 200; i++) {
		snprintf(names[i], sizeof names[i], "zs.s%03d.v1.S", (i * 37) % 200);
		fake_init(&many[i], names[i], m3);
		char err[256];
		zs_router_add_service(big, &many[i].svc, NULL, "many", true, err, sizeof err);
	}
	zs_router_seal(big);
	ZST_EXPECT_INT(zs_router_len(big), 600);
	bool all = true;
	for (int i = 0; i < 200; i++)
		for (unsigned m = 0; m < 3; m++) {
			char full[6500];
			snprintf(full, sizeof full, "%s/%s", names[i], m3[m]);
			int code;
			char err[128];
			const zs_route *rt = zs_router_find(big, full, &code, err, sizeof err);
			all = all && rt != NULL && rt->service == &many[i].svc && rt->method_index == m &&
			    rt->inline_handler;
		}
	ZST_CHECK(all, "all 600 methods of 200 services are found after the seal");
	zs_router_free(big);
	zs_router_free(r);
}

/* A service whose method is already routed is refused, naming who serves it. */
static void
test_duplicates(void)
{
	zs_router *r = router_new();
	char err[256] = "";
	add_ok(r, &echo, "echo");
	ZST_CHECK(zs_router_add_service(r, &echo.svc, NULL, "echo-again", false, err, sizeof err) == -1,
	    "the same service twice is refused");
	ZST_EXPECT_STR(err, "echo-again: method zs.echo.v1.Echo/Say is already served by echo");
	ZST_EXPECT_INT(zs_router_len(r), 3);

	/* not a protoc-c service */
	fake_service bad;
	static const char *const one[] = { "M", NULL };
	fake_init(&bad, "zs.bad.v1.Bad", one);
	bad.desc.magic = 0;
	ZST_CHECK(zs_router_add_service(r, &bad.svc, NULL, "bad", false, err, sizeof err) == -1,
	    "a descriptor without the service magic is refused");
	ZST_EXPECT_STR(err, "bad: the api symbol is not a protoc-c service");
	bad.svc.descriptor = NULL;
	ZST_CHECK(zs_router_add_service(r, &bad.svc, NULL, "bad", false, err, sizeof err) == -1,
	    "no descriptor at all is refused");
	ZST_EXPECT_INT(zs_router_len(r), 3);

	/* a service that clashes on its second method: refused as a whole, so nothing of it
	 * stays routed (its plugin is not loaded and must not be called) */
	static const char *const clash[] = { "Fresh", "Say", NULL };
	fake_service half;
	fake_init(&half, "zs.echo.v1.Echo", clash);
	zs_router_seal(r);
	ZST_CHECK(zs_router_add_service(r, &half.svc, NULL, "half", false, err, sizeof err) == -1,
	    "a service clashing on its second method is refused (%s)", err);
	ZST_EXPECT_INT(zs_router_len(r), 3);
	int code = -1;
	const zs_route *rt = zs_router_find(r, "zs.echo.v1.Echo/Fresh", &code, err, sizeof err);
	ZST_CHECK(rt == NULL, "its first method is not left routed to the refused service");
	bool listed = false;
	for (size_t i = 0; i < zs_router_len(r); i++)
		listed = listed || zs_router_at(r, i)->service == &half.svc;
	ZST_CHECK(!listed, "nor listed in the table (what reflection and /metrics walk)");
	/* and what was there before is still found */
	found(r, "zs.echo.v1.Echo/Say", &echo, 0, "echo");
	found(r, "zs.echo.v1.Echo/SlowSay", &echo, 2, "echo");
	zs_router_free(r);
}

static int
noop_intercept(zs_call *call, const ProtobufCMessage *request, void *arg)
{
	(void) call;
	(void) request;
	(void) arg;
	return 0;
}

static void
test_chain_and_public(void)
{
	zs_router *r = router_new();
	add_ok(r, &echo, "echo");
	char err[256];
	ZST_CHECK(zs_router_add_service(r, &health.svc, NULL, "node", true, err, sizeof err) == 0,
	    "health is added with inline handlers");
	zs_router_seal(r);

	zs_interceptor a = { noop_intercept, NULL }, b = { noop_intercept, &a };
	const zs_interceptor *chain[] = { &a, &b };
	ZST_EXPECT_INT(zs_router_set_chain(r, "zs.echo.v1.Echo/Say", chain, 2), 0);
	chain[0] = NULL; /* the router keeps its own copy of the array */
	int code;
	const zs_route *say = zs_router_find(r, "zs.echo.v1.Echo/Say", &code, err, sizeof err);
	ZST_REQUIRE(say != NULL, "Echo/Say is routed");
	ZST_CHECK(say->n_chain == 2 && say->chain[0] == &a && say->chain[1] == &b,
	    "Echo/Say has the chain a, b");
	const zs_route *pub = zs_router_find(r, "zs.echo.v1.Echo/Publish", &code, err, sizeof err);
	ZST_CHECK(pub != NULL && pub->n_chain == 0 && pub->chain == NULL, "Echo/Publish has no chain");
	/* a chain set again replaces the first; an empty one is allowed */
	ZST_EXPECT_INT(zs_router_set_chain(r, "zs.echo.v1.Echo/Say", chain, 0), 0);
	ZST_EXPECT_INT(say->n_chain, 0);
	ZST_EXPECT_INT(zs_router_set_chain(r, "zs.echo.v1.Echo/Nope", chain, 2), -1);
	ZST_EXPECT_INT(zs_router_set_chain(r, "", chain, 2), -1);

	ZST_CHECK(!say->public_method, "methods need a session unless marked public");
	ZST_EXPECT_INT(zs_router_set_public(r, "zs.health.v1.Health/Check"), 0);
	const zs_route *check = zs_router_find(r, "zs.health.v1.Health/Check", &code, err, sizeof err);
	ZST_CHECK(check != NULL && check->public_method && check->inline_handler,
	    "Health/Check is public and inline");
	ZST_CHECK(!say->inline_handler, "Echo/Say is not inline");
	ZST_EXPECT_INT(zs_router_set_public(r, "zs.health.v1.Health/Watch"), -1);
	ZST_EXPECT_INT(zs_router_set_public(r, "zs.health.v1.Health"), -1);
	zs_router_free(r);
}

/* Latency buckets and counts by code. */
static void
test_stats(void)
{
	zs_router *r = router_new();
	add_ok(r, &echo, "echo");
	zs_router_seal(r);
	int code;
	char err[128];
	const zs_route *rt = zs_router_find(r, "zs.echo.v1.Echo/Say", &code, err, sizeof err);
	ZST_REQUIRE(rt != NULL, "Echo/Say is routed");
	zs_route_record(rt, 0, 10000);          /* 10us: first bucket */
	zs_route_record(rt, 0, 50000);          /* exactly 50us: still the first */
	zs_route_record(rt, 0, 50001);          /* just over: the second */
	zs_route_record(rt, 5, 1000000);        /* 1ms */
	zs_route_record(rt, 16, 2000000000);    /* 2s: +Inf */
	zs_route_record(rt, 99, 0);             /* an unknown code counts as UNKNOWN (2) */
	zs_route_record(rt, -1, 0);
	ZST_EXPECT_INT(rt->stats.by_code[0], 3);
	ZST_EXPECT_INT(rt->stats.by_code[5], 1);
	ZST_EXPECT_INT(rt->stats.by_code[16], 1);
	ZST_EXPECT_INT(rt->stats.by_code[2], 2);
	ZST_EXPECT_INT(rt->stats.buckets[0], 4);
	ZST_EXPECT_INT(rt->stats.buckets[1], 1);
	ZST_EXPECT_INT(rt->stats.buckets[4], 1);
	ZST_EXPECT_INT(rt->stats.buckets[ZS_ROUTE_BUCKETS - 1], 1);
	ZST_EXPECT_INT(rt->stats.sum_ns, 10000 + 50000 + 50001 + 1000000 + 2000000000LL);

	ZST_CHECK(zs_route_bucket_le(0) == 0.00005, "bucket 0 ends at 50us (%g)", zs_route_bucket_le(0));
	ZST_CHECK(zs_route_bucket_le(4) == 0.001, "bucket 4 ends at 1ms (%g)", zs_route_bucket_le(4));
	ZST_CHECK(zs_route_bucket_le(ZS_ROUTE_BUCKETS - 2) == 1.0, "the last finite bucket ends at 1s");
	ZST_CHECK(zs_route_bucket_le(ZS_ROUTE_BUCKETS - 1) < 0, "the +Inf bucket has no bound (-1)");
	bool rising = true;
	for (size_t i = 1; i + 1 < ZS_ROUTE_BUCKETS; i++)
		rising = rising && zs_route_bucket_le(i) > zs_route_bucket_le(i - 1);
	ZST_CHECK(rising, "bucket bounds rise");
	zs_router_free(r);
}

int
main(void)
{
	zst_check_init("router");
	setup_services();
	test_register_and_find(false);
	test_register_and_find(true);
	test_sorted_table();
	test_duplicates();
	test_chain_and_public();
	test_stats();
	zs_router_free(NULL);
	return zst_check_summary();
}
