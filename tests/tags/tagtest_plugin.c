/*
 * tagtest_plugin.c: the tags tests' plugin (zs.tagtest.v1.TagTest). It makes Host,
 * Cluster and Zone resources through zs_resource_create, owned by the caller, deletes
 * them through zs_resource_delete (their tags cascade), and calls the helpers services
 * use: zs_tag_token and zs_tag_add_system (also inside a transaction of its own).
 */
#include <stdlib.h>
#include <string.h>

#include "zs/call.h"
#include "zs/node.h"
#include "zs/service.h"
#include "zs/db.h"
#include "zs/resource.h"
#include "zs/tag.h"
#include "zs/tagtest/v1/tagtest.pb-c.h"

#define TAGTEST_BUFFER_DEFAULT 256
#define TAGTEST_BUFFER_MAX 4096

/* A connection for the call, or NULL after failing it. */
static zs_db_conn *
tagtest_conn(zs_call *call)
{
	zs_db_conn *c;
	zs_status *st = NULL;
	if (zs_db_acquire(zs_node_db(zs_call_node(call)), zs_call_remaining_ms(call), &c, &st) != 0) {
		zs_call_fail_status(call, st);
		return NULL;
	}
	return c;
}

static void
tagtest_release(zs_call *call, zs_db_conn *c)
{
	zs_db_release(zs_node_db(zs_call_node(call)), c);
}

static void
tagtest_create_resource(Zs__Tagtest__V1__TagTest_Service *svc,
    const Zs__Tagtest__V1__CreateResourceRequest *in,
    Zs__Tagtest__V1__CreateResourceResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	if (in->type[0] == '\0') {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "type is required");
		return;
	}
	zs_db_conn *c = tagtest_conn(call);
	if (c == NULL)
		return;
	char uuid[ZS_UUID_LEN];
	zs_resource_uuid(uuid);
	zs_status *st = NULL;
	int rv = zs_resource_create(c, call, uuid, in->type, in->name,
	    in->parent_uuid[0] ? in->parent_uuid : NULL, &st);
	tagtest_release(call, c);
	if (rv != 0) {
		zs_call_fail_status(call, st);
		return;
	}
	Zs__Tagtest__V1__CreateResourceResponse out = ZS__TAGTEST__V1__CREATE_RESOURCE_RESPONSE__INIT;
	out.uuid = uuid;
	closure(&out, closure_data);
}

static void
tagtest_delete_resource(Zs__Tagtest__V1__TagTest_Service *svc,
    const Zs__Tagtest__V1__DeleteResourceRequest *in,
    Zs__Tagtest__V1__DeleteResourceResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_db_conn *c = tagtest_conn(call);
	if (c == NULL)
		return;
	zs_status *st = NULL;
	int rv = zs_resource_check(c, call, in->uuid, NULL, NULL, 0, &st);
	if (rv == 0)
		rv = zs_resource_delete(c, in->uuid, &st);
	tagtest_release(call, c);
	if (rv != 0) {
		zs_call_fail_status(call, st);
		return;
	}
	Zs__Tagtest__V1__DeleteResourceResponse out = ZS__TAGTEST__V1__DELETE_RESOURCE_RESPONSE__INIT;
	closure(&out, closure_data);
}

static void
tagtest_token(Zs__Tagtest__V1__TagTest_Service *svc, const Zs__Tagtest__V1__TokenRequest *in,
    Zs__Tagtest__V1__TokenResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	size_t len = in->buffer == 0 ? TAGTEST_BUFFER_DEFAULT : in->buffer;
	if (len > TAGTEST_BUFFER_MAX) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "buffer is at most %d", TAGTEST_BUFFER_MAX);
		return;
	}
	zs_db_conn *c = tagtest_conn(call);
	if (c == NULL)
		return;
	char *buf = malloc(len);
	zs_status *st = NULL;
	int rv = buf != NULL ? zs_tag_token(c, in->resource_uuid, in->pattern, in->token, buf, len, &st)
	                     : ZS_RESOURCE_EXHAUSTED;
	tagtest_release(call, c);
	if (rv == ZS_NOT_FOUND && st == NULL)
		zs_call_fail(call, ZS_NOT_FOUND, NULL, "no tag of %s on %s", in->pattern, in->resource_uuid);
	else if (rv != 0 && st != NULL)
		zs_call_fail_status(call, st);
	else if (rv != 0)
		zs_call_fail(call, rv, NULL, "zs_tag_token answered %d without a status", rv);
	if (rv != 0) {
		free(buf);
		return;
	}
	Zs__Tagtest__V1__TokenResponse out = ZS__TAGTEST__V1__TOKEN_RESPONSE__INIT;
	out.value = buf;
	closure(&out, closure_data);
	free(buf);
}

/* zs_tag_add_system, in a transaction of the plugin's own when asked. */
static int
tagtest_add(zs_call *call, zs_db_conn *c, const Zs__Tagtest__V1__AddSystemTagRequest *in,
    zs_status **st)
{
	if (!in->in_transaction)
		return zs_tag_add_system(c, zs_node_tags(zs_call_node(call)), in->resource_uuid, in->tag, NULL, st);
	if (zs_db_begin(c, st) != 0)
		return (int) (*st)->code;
	int rv = zs_tag_add_system(c, zs_node_tags(zs_call_node(call)), in->resource_uuid, in->tag, NULL, st);
	if (rv == 0 && zs_db_commit(c, st) != 0)
		rv = (int) (*st)->code;
	else if (rv != 0)
		zs_db_rollback(c);
	return rv;
}

static void
tagtest_add_system_tag(Zs__Tagtest__V1__TagTest_Service *svc,
    const Zs__Tagtest__V1__AddSystemTagRequest *in,
    Zs__Tagtest__V1__AddSystemTagResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_db_conn *c = tagtest_conn(call);
	if (c == NULL)
		return;
	zs_status *st = NULL;
	int rv = tagtest_add(call, c, in, &st);
	tagtest_release(call, c);
	if (rv != 0) {
		zs_call_fail_status(call, st);
		return;
	}
	Zs__Tagtest__V1__AddSystemTagResponse out = ZS__TAGTEST__V1__ADD_SYSTEM_TAG_RESPONSE__INIT;
	closure(&out, closure_data);
}

ZS_EXPORT Zs__Tagtest__V1__TagTest_Service tagtest_service = ZS__TAGTEST__V1__TAG_TEST__INIT(tagtest_);
