/*
 * tests/unit/plugin_desc_test.c: unit test of the service descriptor reader
 * (zs_plugin_desc) and the plugin opener (zs_plugin_open).
 *
 *   plugin_desc_test SCHEMA DESCRIPTORS PLUGIN_DIR
 *
 * SCHEMA is server/schema/service.xsd, DESCRIPTORS is tests/unit/descriptors and
 * PLUGIN_DIR holds libzs_testplugin.so (built from tests/unit/test_plugin.c). The opener
 * cases copy their descriptor into a temporary folder beside a link to the plugin, since a
 * descriptor names its library relative to its own folder. Prints
 * "plugin_desc: N passed, M failed" and exits non-zero when M > 0.
 */
#if !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700   /* realpath, symlink, mkdtemp */
#endif

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "zst_check.h"
#include "zs_plugin_desc.h"
#include "zs_plugin_open.h"

#define ERRLEN 1024

/* What the test plugin's symbols hold (tests/unit/test_plugin.c). */
struct test_plugin_api {
	const char *name;
};

struct test_plugin_ext {
	int (*intercept)(void *call, const void *request, void *arg);
	void *arg;
	const char *name;
};

typedef int (*test_start_fn)(void *svc, char *err, size_t errlen);

/* The test's state, passed to every case. */
typedef struct suite {
	const char *descs;      /* the descriptors folder */
	const char *plugin_dir;
	char tmp[PATH_MAX];     /* temporary folder for the opener cases and captured stderr */
	zs_plugin_schema *schema;
} suite;

/* A descriptor that must fail at line (0: no line) with words in the message. */
typedef struct bad_case {
	const char *file;
	int line;
	const char *words[4];
} bad_case;

static const bad_case bad_cases[] = {
	{ "bad_not_well_formed.xml", 5, { "not well-formed XML", "mismatch", "api" } },
	{ "bad_empty.xml", 1, { "not well-formed XML", "empty" } },
	{ "bad_missing_attr.xml", 4, { "'api'", "'symbol'", "required" } },
	{ "bad_unknown_element.xml", 5, { "'bogus'", "not expected" } },
	{ "bad_element_order.xml", 5, { "'api'", "not expected" } },
	{ "bad_namespace.xml", 3, { "'service'", "No matching global declaration" } },
	{ "bad_symbol_name.xml", 4, { "'symbol'", "'9bad'", "pattern" } },
	{ "bad_error_prefix.xml", 4, { "'prefix'", "'bad'", "pattern" } },
	{ "bad_tag_pattern.xml", 4, { "'pattern'", "{version", "not accepted" } },
	{ "bad_duplicate_error_code.xml", 7, { "error code BAD.1001", "declared twice", "line 5" } },
	{ "bad_duplicate_config.xml", 5, { "config bad.size", "declared twice", "line 4" } },
	{ "bad_duplicate_property.xml", 5, { "property bad.url", "declared twice", "line 4" } },
	{ "bad_duplicate_extension.xml", 5, { "extension zs.Interceptor/audit", "declared twice", "line 4" } },
	{ "bad_duplicate_method.xml", 6, { "method Say", "declared twice", "line 5" } },
	{ "bad_duplicate_api.xml", 5, { "api zs.bad.v1.Bad", "declared twice", "line 4" } },
	{ "bad_config_default.xml", 4, { "config bad.delay", "default '10x'", "not a valid duration" } },
	{ "bad_config_integer.xml", 4, { "config bad.count", "default '12abc'", "not a valid integer" } },
	{ "bad_config_size.xml", 4, { "config bad.cache", "default '12Q'", "not a valid size" } },
	{ "bad_config_boolean.xml", 4, { "config bad.enabled", "default 'yes'", "not a valid boolean" } },
	{ "bad_config_overflow.xml", 4, { "config bad.cache", "default '8192P'", "not a valid size" } },
	{ "bad_config_duration_unit.xml", 4, { "config bad.delay", "default '10'", "not a valid duration" } },
	{ "bad_config_range.xml", 4, { "config bad.delay", "default '90s'", "out of range", "max 60s" } },
	{ "bad_config_range_bound.xml", 5, { "config bad.cache", "range max '2X'", "not a valid size" } },
	{ "bad_config_range_order.xml", 5, { "config bad.count", "min '10'", "greater than max '1'" } },
	{ "bad_config_range_type.xml", 5, { "config bad.mode", "range applies only to integer" } },
	{ "bad_config_allowed.xml", 4, { "config bad.mode", "default 'slow'", "not one of the allowed" } },
	{ "bad_migration_missing.xml", 5, { "migration file 'sql/404_missing.sql'", "does not exist" } },
	{ "bad_doctype.xml", 2, { "DOCTYPE is not allowed" } },
};

/* dir/name into out; a path too long for out is cut to "" (so that it fails loudly). */
static void join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		out[0] = '\0';
}

/* ---- stderr capture: libxml2 must print nothing ---- */

typedef struct capture {
	int saved;
	char path[PATH_MAX];
} capture;

static int capture_begin(suite *t, capture *c)
{
	int fd;

	join(c->path, sizeof c->path, t->tmp, "stderr.txt");
	fflush(stderr);
	if ((fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return -1;
	c->saved = dup(2);
	dup2(fd, 2);
	close(fd);
	return 0;
}

/* Puts stderr back; returns how many bytes were written to it meanwhile, shown on stdout. */
static long capture_end(capture *c)
{
	char buf[512];
	long total = 0;
	size_t n;
	FILE *f;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	if ((f = fopen(c->path, "r")) == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		if (total == 0)
			fputs("  stderr was:\n", stdout);
		fwrite(buf, 1, n, stdout);
		total += (long)n;
	}
	fclose(f);
	unlink(c->path);
	return total;
}

/* ---- the schema ---- */

static void test_schema(suite *t, const char *xsd)
{
	char err[ERRLEN], path[PATH_MAX];
	zs_plugin_schema *s = NULL;
	capture cap;
	long printed;

	if (!ZST_EXPECT(capture_begin(t, &cap) == 0))
		return;
	ZST_EXPECT(zs_plugin_schema_load("/nonexistent/service.xsd", &s, err, sizeof err) == -1);
	ZST_EXPECT(s == NULL && strstr(err, "/nonexistent/service.xsd") != NULL);

	/* Not a schema at all: XML, but not XSD. */
	join(path, sizeof path, t->descs, "minimal.xml");
	ZST_EXPECT(zs_plugin_schema_load(path, &s, err, sizeof err) == -1);
	ZST_EXPECT(s == NULL && strstr(err, "minimal.xml") != NULL && strstr(err, "invalid schema") != NULL);

	/* Not even well-formed. */
	join(path, sizeof path, t->descs, "bad_not_well_formed.xml");
	ZST_EXPECT(zs_plugin_schema_load(path, &s, err, sizeof err) == -1);
	ZST_EXPECT(s == NULL && strstr(err, "bad_not_well_formed.xml:5:") != NULL);
	printed = capture_end(&cap);
	ZST_CHECK(printed == 0, "libxml2 printed %ld bytes to stderr", printed);

	if (!ZST_EXPECT(zs_plugin_schema_load(xsd, &t->schema, err, sizeof err) == 0))
		printf("  %s\n", err);
}

/* ---- good descriptors ---- */

static void check_full_apis(const zs_plugin_desc *d)
{
	if (!ZST_EXPECT(d->n_apis == 2))
		return;
	ZST_EXPECT_STR(d->apis[0].service, "zs.test.v1.Test");
	ZST_EXPECT_STR(d->apis[0].symbol, "test_service");
	ZST_EXPECT(d->apis[0].line == 8);
	ZST_EXPECT(d->apis[0].n_methods == 2);
	ZST_EXPECT_STR(d->apis[0].methods[0].name, "Say");
	ZST_EXPECT(d->apis[0].methods[0].line == 9);
	if (ZST_EXPECT(d->apis[0].methods[0].n_interceptors == 2)) {
		ZST_EXPECT_STR(d->apis[0].methods[0].interceptors[0], "audit");
		ZST_EXPECT_STR(d->apis[0].methods[0].interceptors[1], "validate");
	}
	ZST_EXPECT_STR(d->apis[0].methods[1].name, "Ping");
	ZST_EXPECT(d->apis[0].methods[1].n_interceptors == 0 && d->apis[0].methods[1].interceptors == NULL);
	ZST_EXPECT(d->apis[0].methods[1].line == 10);
	/* a method's own executor, or -1 for its api's */
	ZST_EXPECT(d->apis[0].methods[0].executor == -1 && d->apis[0].methods[1].executor == 1);
	ZST_EXPECT_STR(d->apis[1].service, "zs.test.v1.Admin");
	ZST_EXPECT_STR(d->apis[1].symbol, "test_admin_service");
	ZST_EXPECT(d->apis[1].line == 12 && d->apis[1].n_methods == 0 && d->apis[1].methods == NULL);
}

static void check_full_exts(const zs_plugin_desc *d)
{
	ZST_EXPECT_STR(d->start_symbol, "test_start");
	ZST_EXPECT_STR(d->stop_symbol, "test_stop");
	ZST_EXPECT(d->lifecycle_line == 13);
	if (!ZST_EXPECT(d->n_exts == 2))
		return;
	ZST_EXPECT_STR(d->exts[0].point, "zs.Interceptor");
	ZST_EXPECT_STR(d->exts[0].name, "audit");
	ZST_EXPECT_STR(d->exts[0].symbol, "test_audit");
	ZST_EXPECT(d->exts[0].order == 10 && d->exts[0].line == 14);
	ZST_EXPECT_STR(d->exts[1].name, "validate");
	ZST_EXPECT_STR(d->exts[1].symbol, "test_validate");
	ZST_EXPECT(d->exts[1].order == 0 && d->exts[1].line == 15);
}

static void check_full_errors(const zs_plugin_desc *d)
{
	ZST_EXPECT_STR(d->error_prefix, "TEST");
	if (!ZST_EXPECT(d->n_errors == 2))
		return;
	ZST_EXPECT_STR(d->errors[0].code, "TEST.1001");
	ZST_EXPECT_STR(d->errors[0].description, "the text is empty");
	ZST_EXPECT(d->errors[0].line == 17);
	ZST_EXPECT_STR(d->errors[1].code, "TEST.1002");
	ZST_EXPECT(d->errors[1].line == 18);
}

static void check_full_configs(const zs_plugin_desc *d)
{
	const zs_plugin_configdesc *c = d->configs;

	if (!ZST_EXPECT(d->n_configs == 5))
		return;
	ZST_EXPECT_STR(c[0].category, "test");
	ZST_EXPECT_STR(c[0].name, "maxDelay");
	ZST_EXPECT_STR(c[0].type, "duration");
	ZST_EXPECT_STR(c[0].default_value, "10s");
	ZST_EXPECT_STR(c[0].description, "longest delay");
	ZST_EXPECT_STR(c[0].min, "0");
	ZST_EXPECT_STR(c[0].max, "60s");
	ZST_EXPECT(c[0].resource_override && c[0].n_allowed == 0 && c[0].line == 20);
	ZST_EXPECT_STR(c[1].name, "mode");
	ZST_EXPECT(c[1].min == NULL && c[1].max == NULL && !c[1].resource_override && c[1].line == 23);
	if (ZST_EXPECT(c[1].n_allowed == 2)) {
		ZST_EXPECT_STR(c[1].allowed[0], "fast");
		ZST_EXPECT_STR(c[1].allowed[1], "safe");
	}
	ZST_EXPECT_STR(c[2].type, "size");
	ZST_EXPECT_STR(c[2].min, "1M");
	ZST_EXPECT_STR(c[2].max, "2G");
	ZST_EXPECT_STR(c[3].type, "integer");
	ZST_EXPECT_STR(c[3].default_value, "-1");
	ZST_EXPECT_STR(c[4].type, "boolean");
	ZST_EXPECT(c[4].line == 29);
}

static void check_full_rest(const zs_plugin_desc *d, const char *descs)
{
	char want[PATH_MAX];

	if (ZST_EXPECT(d->n_props == 2)) {
		ZST_EXPECT_STR(d->props[0].name, "test.greeting");
		ZST_EXPECT_STR(d->props[0].default_value, "hello");
		ZST_EXPECT_STR(d->props[0].description, "what to say");
		ZST_EXPECT(d->props[0].required && !d->props[0].secret && d->props[0].line == 30);
		ZST_EXPECT_STR(d->props[1].name, "test.password");
		ZST_EXPECT(d->props[1].default_value == NULL && d->props[1].description == NULL);
		ZST_EXPECT(!d->props[1].required && d->props[1].secret && d->props[1].line == 31);
	}
	if (ZST_EXPECT(d->n_tags == 2)) {
		ZST_EXPECT_STR(d->tags[0].resource_type, "Host");
		ZST_EXPECT_STR(d->tags[0].pattern, "qemu-img::version::{version}");
		ZST_EXPECT_STR(d->tags[0].description, "qemu-img version");
		ZST_EXPECT(d->tags[0].line == 32);
		ZST_EXPECT_STR(d->tags[1].resource_type, "VmInstance");
		ZST_EXPECT(d->tags[1].description == NULL && d->tags[1].line == 33);
	}
	if (ZST_EXPECT(d->n_migrations == 2)) {
		join(want, sizeof want, descs, "sql/001_init.sql");
		ZST_EXPECT_STR(d->migrations[0].path, want);
		ZST_EXPECT(d->migrations[0].line == 34);
		join(want, sizeof want, descs, "sql/002_more.sql");
		ZST_EXPECT_STR(d->migrations[1].path, want);
		ZST_EXPECT(d->migrations[1].line == 35);
	}
}

static void test_full(suite *t)
{
	char err[ERRLEN], path[PATH_MAX], lib[PATH_MAX];
	zs_plugin_desc *d = NULL;

	join(path, sizeof path, t->descs, "full.xml");
	if (!ZST_EXPECT(zs_plugin_desc_load(t->schema, path, &d, err, sizeof err) == 0)) {
		printf("  %s\n", err);
		return;
	}
	join(lib, sizeof lib, t->descs, "libzs_testplugin.so");
	ZST_EXPECT_STR(d->path, path);
	ZST_EXPECT_STR(d->id, "test-full");
	ZST_EXPECT_STR(d->description, "The full test descriptor: every element, every attribute.");
	ZST_EXPECT_STR(d->library, lib);
	check_full_apis(d);
	check_full_exts(d);
	check_full_errors(d);
	check_full_configs(d);
	check_full_rest(d, t->descs);
	zs_plugin_desc_free(d);
}

static void test_minimal(suite *t)
{
	char err[ERRLEN], path[PATH_MAX];
	zs_plugin_desc *d = NULL;

	join(path, sizeof path, t->descs, "minimal.xml");
	if (!ZST_EXPECT(zs_plugin_desc_load(t->schema, path, &d, err, sizeof err) == 0)) {
		printf("  %s\n", err);
		return;
	}
	ZST_EXPECT_STR(d->id, "minimal");
	ZST_EXPECT_STR(d->library, "/opt/zsnode/libzs_minimal.so");   /* absolute: kept as is */
	ZST_EXPECT(d->description == NULL && d->start_symbol == NULL && d->stop_symbol == NULL);
	ZST_EXPECT(d->lifecycle_line == 0 && d->error_prefix == NULL);
	ZST_EXPECT(d->n_apis == 0 && d->n_exts == 0 && d->n_errors == 0 && d->n_configs == 0);
	ZST_EXPECT(d->n_props == 0 && d->n_tags == 0 && d->n_migrations == 0);
	zs_plugin_desc_free(d);
}

/* Values at the edges of each config type (int64 bounds, units, empty ranges) load. */
static void test_config_edges(suite *t)
{
	char err[ERRLEN], path[PATH_MAX];
	zs_plugin_desc *d = NULL;

	join(path, sizeof path, t->descs, "config_edges.xml");
	if (!ZST_EXPECT(zs_plugin_desc_load(t->schema, path, &d, err, sizeof err) == 0)) {
		printf("  %s\n", err);
		return;
	}
	if (ZST_EXPECT(d->n_configs == 10)) {
		ZST_EXPECT_STR(d->configs[1].default_value, "-9223372036854775808");
		ZST_EXPECT(d->configs[8].min != NULL && d->configs[8].max == NULL);
		ZST_EXPECT_STR(d->configs[9].default_value, "");
	}
	zs_plugin_desc_free(d);
}

/* ---- bad descriptors ---- */

static void test_bad_one(suite *t, const bad_case *bc)
{
	char err[ERRLEN] = "", path[PATH_MAX], where[PATH_MAX + 16];
	zs_plugin_desc *d = (zs_plugin_desc *)&d;   /* must come back NULL */
	bool ok;

	join(path, sizeof path, t->descs, bc->file);
	ok = zs_plugin_desc_load(t->schema, path, &d, err, sizeof err) == -1 && d == NULL;
	snprintf(where, sizeof where, "%s:%d: ", bc->file, bc->line);
	ok = ok && strstr(err, where) != NULL;
	for (size_t i = 0; ok && i < sizeof bc->words / sizeof bc->words[0] && bc->words[i] != NULL; i++)
		ok = strstr(err, bc->words[i]) != NULL;
	ZST_CHECK(ok, "%s: got \"%s\"", bc->file, err);
	if (d != NULL && d != (zs_plugin_desc *)&d)
		zs_plugin_desc_free(d);
}

static void test_bad(suite *t)
{
	xmlStructuredErrorFunc serror = xmlStructuredError;
	xmlGenericErrorFunc gerror = xmlGenericError;
	char err[ERRLEN], path[PATH_MAX];
	zs_plugin_desc *d = NULL;
	capture cap;
	long printed;

	if (!ZST_EXPECT(capture_begin(t, &cap) == 0))
		return;
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
		test_bad_one(t, &bad_cases[i]);
	join(path, sizeof path, t->descs, "no_such_descriptor.xml");
	ZST_EXPECT(zs_plugin_desc_load(t->schema, path, &d, err, sizeof err) == -1 && d == NULL);
	printed = capture_end(&cap);
	ZST_EXPECT(strstr(err, "no_such_descriptor.xml: ") != NULL);
	ZST_CHECK(printed == 0, "libxml2 printed %ld bytes to stderr", printed);
	/* No handler of ours is left installed. */
	ZST_EXPECT(xmlStructuredError == serror && xmlGenericError == gerror);
}

/* ---- opening the plugin ---- */

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = in != NULL ? fopen(to, "wb") : NULL;
	char buf[4096];
	size_t n;
	int rc = 0;

	if (in == NULL || out == NULL) {
		if (in != NULL)
			fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	fclose(in);
	return fclose(out) != 0 ? -1 : rc;
}

/* Copies descriptor name into the temporary folder and loads it from there. */
static zs_plugin_desc *load_copy(suite *t, const char *name, char *path, size_t len)
{
	char from[PATH_MAX], err[ERRLEN];
	zs_plugin_desc *d = NULL;

	join(from, sizeof from, t->descs, name);
	join(path, len, t->tmp, name);
	if (!ZST_EXPECT(copy_file(from, path) == 0))
		return NULL;
	if (!ZST_EXPECT(zs_plugin_desc_load(t->schema, path, &d, err, sizeof err) == 0))
		printf("  %s\n", err);
	return d;
}

static void check_symbols(const zs_plugin_lib *lib)
{
	const struct test_plugin_api *api0 = zs_plugin_lib_api(lib, 0), *api1 = zs_plugin_lib_api(lib, 1);
	const struct test_plugin_ext *ext0 = zs_plugin_lib_ext(lib, 0), *ext1 = zs_plugin_lib_ext(lib, 1);
	void *start = zs_plugin_lib_start(lib);
	test_start_fn fn;
	char msg[32] = "";

	ZST_EXPECT(api0 != NULL && strcmp(api0->name, "zs.test.v1.Test") == 0);
	ZST_EXPECT(api1 != NULL && strcmp(api1->name, "zs.test.v1.Admin") == 0);
	ZST_EXPECT(zs_plugin_lib_api(lib, 2) == NULL);
	ZST_EXPECT(ext0 != NULL && strcmp(ext0->name, "audit") == 0 && ext0->intercept != NULL);
	ZST_EXPECT(ext1 != NULL && strcmp(ext1->name, "validate") == 0);
	ZST_EXPECT(zs_plugin_lib_ext(lib, 2) == NULL);
	ZST_EXPECT(zs_plugin_lib_stop(lib) != NULL);
	if (!ZST_EXPECT(start != NULL))
		return;
	*(void **)&fn = start;   /* POSIX's way from a void * to a function pointer */
	ZST_EXPECT(fn(NULL, msg, sizeof msg) == 0 && strcmp(msg, "started") == 0);
}

static void test_open_ok(suite *t)
{
	char path[PATH_MAX], err[ERRLEN];
	zs_plugin_desc *d = load_copy(t, "plugin_ok.xml", path, sizeof path);
	zs_plugin_lib *lib = NULL;

	if (d == NULL)
		return;
	if (ZST_EXPECT(zs_plugin_lib_open(d, &lib, err, sizeof err) == 0))
		check_symbols(lib);
	else
		printf("  %s\n", err);
	zs_plugin_lib_close(lib);
	zs_plugin_desc_free(d);
	unlink(path);
}

/* The descriptor loads, but opening it fails with words in the message. */
static void test_open_bad(suite *t, const char *name, const char *w1, const char *w2, const char *w3)
{
	char path[PATH_MAX], err[ERRLEN] = "";
	zs_plugin_desc *d = load_copy(t, name, path, sizeof path);
	zs_plugin_lib *lib = (zs_plugin_lib *)&lib;   /* must come back NULL */

	if (d == NULL)
		return;
	ZST_CHECK(zs_plugin_lib_open(d, &lib, err, sizeof err) == -1 && lib == NULL && strstr(err, w1) != NULL &&
	    strstr(err, w2) != NULL && strstr(err, w3) != NULL, "%s: got \"%s\"", name, err);
	zs_plugin_desc_free(d);
	unlink(path);
}

static void test_open(suite *t)
{
	char real[PATH_MAX], target[PATH_MAX], link[PATH_MAX];

	join(target, sizeof target, t->plugin_dir, "libzs_testplugin.so");
	if (!ZST_EXPECT(realpath(target, real) != NULL)) {
		printf("  no test plugin at %s\n", target);
		return;
	}
	join(link, sizeof link, t->tmp, "libzs_testplugin.so");
	if (!ZST_EXPECT(symlink(real, link) == 0))
		return;
	test_open_ok(t);
	test_open_bad(t, "plugin_missing_symbol.xml", "plugin_missing_symbol.xml:5: ", "'test_no_such_service' not found",
	    "libzs_testplugin.so");
	test_open_bad(t, "plugin_missing_stop.xml", "plugin_missing_stop.xml:5: ", "'test_no_such_stop' not found",
	    "libzs_testplugin.so");
	test_open_bad(t, "plugin_missing_library.xml", "plugin_missing_library.xml: ", "cannot load",
	    "/libzs_nosuchplugin.so");
	unlink(link);
}

int main(int argc, char **argv)
{
	suite t = { 0 };

	zst_check_init("plugin_desc");
	if (argc != 4) {
		fprintf(stderr, "usage: %s SCHEMA DESCRIPTORS PLUGIN_DIR\n", argv[0]);
		return 2;
	}
	t.descs = argv[2];
	t.plugin_dir = argv[3];
	snprintf(t.tmp, sizeof t.tmp, "%s/zs_plugin_desc_test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(t.tmp) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_schema(&t, argv[1]);
	if (t.schema != NULL) {
		test_full(&t);
		test_minimal(&t);
		test_config_edges(&t);
		test_bad(&t);
		test_open(&t);
	}
	zs_plugin_schema_free(t.schema);
	rmdir(t.tmp);
	xmlCleanupParser();
	return zst_check_summary();
}
