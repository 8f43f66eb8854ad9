/*
 * tests/unit/test_plugin.c: a tiny plugin for plugin_desc_test, built as the shared object
 * libzs_testplugin.so. It needs no zsnode code: the zs_plugin_lib_open test only resolves
 * symbols, so plain structs stand in for the ProtobufCService and the extension structs,
 * each carrying a name the test reads back to make sure the right symbol was found.
 */
#include <stddef.h>
#include <stdio.h>

/* Stands in for a protoc-c ProtobufCService. */
struct test_plugin_api {
	const char *name;
};

/* Has the shape of zs_interceptor (zs/ext.h) plus a name. */
struct test_plugin_ext {
	int (*intercept)(void *call, const void *request, void *arg);
	void *arg;
	const char *name;
};

int test_start(void *svc, char *err, size_t errlen);
void test_stop(void *svc);

const struct test_plugin_api test_service = { "zs.test.v1.Test" };
const struct test_plugin_api test_admin_service = { "zs.test.v1.Admin" };

static int pass(void *call, const void *request, void *arg)
{
	(void)call;
	(void)request;
	(void)arg;
	return 0;
}

const struct test_plugin_ext test_audit = { pass, NULL, "audit" };
const struct test_plugin_ext test_validate = { pass, NULL, "validate" };

/* Has the type of zs_service_start_fn: writes "started" to err so the test can tell. */
int test_start(void *svc, char *err, size_t errlen)
{
	(void)svc;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "started");
	return 0;
}

/* Has the type of zs_service_stop_fn. */
void test_stop(void *svc)
{
	(void)svc;
}
