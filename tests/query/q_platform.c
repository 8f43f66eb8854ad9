/*
 * q_platform.c: the Query calls of the node's own modules: QueryAccount (admins only; a
 * boolean field), QueryTag (system and user tags, the tags of one's own resources; a dot
 * path to the resource), QueryJob (an integer field, progress; one's own jobs).
 */
#include <stdio.h>
#include <string.h>

#include "q.h"
#include "zs/echo/v1/echo.pb-c.h"
#include "zs/identity/v1/identity.pb-c.h"
#include "zs/job/v1/job.pb-c.h"
#include "zs/tag/v1/tag.pb-c.h"

/* A QueryRequest of one condition (name NULL: none), count or not. */
static void *
q_one(inv *t, const char *s, const char *method, const ProtobufCMessageDescriptor *d,
    const char *name, const char *op, const char *value, bool count)
{
	Zs__Resource__V1__QueryCondition c = ZS__RESOURCE__V1__QUERY_CONDITION__INIT, *cp = &c;
	Zs__Resource__V1__QueryRequest req = ZS__RESOURCE__V1__QUERY_REQUEST__INIT;
	c.name = (char *) name;
	c.op = (char *) op;
	c.value = (char *) value;
	req.n_conditions = name != NULL;
	req.conditions = &cp;
	req.count = count;
	void *out = NULL;
	return inv_call(t, s, method, &req, d, &out) == 0 ? out : NULL;
}

#define ACCOUNTS(s, n, o, v, count) ((Zs__Identity__V1__QueryAccountResponse *) q_one(t, (s), \
	"zs.identity.v1.Identity/QueryAccount", &zs__identity__v1__query_account_response__descriptor, \
	(n), (o), (v), (count)))
#define TAGS(s, n, o, v, count) ((Zs__Tag__V1__QueryTagResponse *) q_one(t, (s), \
	"zs.tag.v1.Tags/QueryTag", &zs__tag__v1__query_tag_response__descriptor, (n), (o), (v), (count)))
#define JOBS(s, n, o, v, count) ((Zs__Job__V1__QueryJobResponse *) q_one(t, (s), \
	"zs.job.v1.Jobs/QueryJob", &zs__job__v1__query_job_response__descriptor, (n), (o), (v), (count)))

static void
q_accounts(inv *t, q_world *w)
{
	Zs__Identity__V1__QueryAccountResponse *r = ACCOUNTS(t->admin, "admin", "=", "TRUE", false);
	ZST_CHECK(r != NULL && r->n_inventories == 1 && r->inventories[0]->admin &&
	    strcmp(r->inventories[0]->name, "admin") == 0, "QueryAccount admin = TRUE: the admin (%s)",
	    t->msg);
	zs_reply_free(r);
	r = ACCOUNTS(t->admin, "admin", "=", "false", false);
	ZST_CHECK(r != NULL && r->n_inventories == 1 && !r->inventories[0]->admin &&
	    strcmp(r->inventories[0]->uuid, w->user_uuid) == 0,
	    "QueryAccount admin = false: the second account (%s)", t->msg);
	zs_reply_free(r);
	r = ACCOUNTS(t->admin, NULL, NULL, NULL, true);
	ZST_CHECK(r != NULL && r->total == 2, "QueryAccount count: 2 (%s)", t->msg);
	zs_reply_free(r);
	r = ACCOUNTS(t->admin, "admin", "=", "yes", false);
	ZST_CHECK(r == NULL && t->code == INV_INVALID_ARGUMENT && strstr(t->msg, "admin") &&
	    strstr(t->msg, "yes"), "QueryAccount admin = yes: INVALID_ARGUMENT (%s)", t->msg);
	r = ACCOUNTS(t->admin, "admin", ">", "false", false);
	ZST_CHECK(r == NULL && t->code == INV_INVALID_ARGUMENT, "QueryAccount admin > false: "
	    "INVALID_ARGUMENT (%s)", t->msg);
	r = ACCOUNTS(w->user, NULL, NULL, NULL, true);
	ZST_CHECK(r == NULL && t->code == INV_PERMISSION_DENIED, "QueryAccount by a normal account: "
	    "PERMISSION_DENIED, not even a count (%s)", t->msg);
}

static void
q_tags(inv *t, q_world *w)
{
	Zs__Tag__V1__QueryTagResponse *r = TAGS(t->admin, "tag", "=", "rack::r1", true);
	ZST_CHECK(r != NULL && r->total == 3, "QueryTag tag = rack::r1 as admin: 3 (%s)", t->msg);
	zs_reply_free(r);
	r = TAGS(w->user, "tag", "=", "rack::r1", false);
	ZST_CHECK(r != NULL && r->n_inventories == 1 &&
	    strcmp(r->inventories[0]->resource_uuid, w->uh) == 0 &&
	    r->inventories[0]->kind == ZS__TAG__V1__TAG_KIND__USER,
	    "as the second account: the tag on its own host only, a USER tag (%s)", t->msg);
	zs_reply_free(r);
	r = TAGS(t->admin, "resource.name", "=", "h4", false);
	size_t user_tags = 0, r2 = 0;
	for (size_t i = 0; r != NULL && i < r->n_inventories; i++) {
		user_tags += r->inventories[i]->kind == ZS__TAG__V1__TAG_KIND__USER;
		r2 += strcmp(r->inventories[i]->tag, "rack::r2") == 0;
	}
	ZST_CHECK(r != NULL && user_tags == 1 && r2 == 1,
	    "QueryTag resource.name = h4: its one user tag rack::r2 besides its facts (%s)", t->msg);
	zs_reply_free(r);
	r = TAGS(t->admin, "kind", "=", "USER", true);
	ZST_CHECK(r != NULL && r->total >= 4, "QueryTag kind = USER: the 4 user tags at least (%s)",
	    t->msg);
	zs_reply_free(r);
	r = TAGS(t->admin, "kind", "=", "private", false);
	ZST_CHECK(r == NULL && t->code == INV_INVALID_ARGUMENT && strstr(t->msg, "private"),
	    "QueryTag kind = private: INVALID_ARGUMENT (%s)", t->msg);
}

static void
q_jobs(inv *t, q_world *w)
{
	Zs__Echo__V1__SayRequest say = ZS__ECHO__V1__SAY_REQUEST__INIT;
	say.text = (char *) "query me";
	zs_call_opts o = { .timeout_ms = INV_TIMEOUT_MS, .session = t->admin };
	char job[ZS_JOB_UUID_LEN] = "";
	ProtobufCMessage *reply = NULL;
	bool ok = zs_client_start_job(t->client, "zs.echo.v1.Echo/Say", &say.base, job, NULL, &o) == 0 &&
	    zs_client_wait_job(t->client, job, &zs__echo__v1__say_reply__descriptor, &reply, NULL, NULL,
	    NULL, &o) == 0;
	zs_reply_free(reply);
	if (!ZST_CHECK(ok, "the admin runs Echo/Say as a job to its end"))
		return;
	Zs__Job__V1__QueryJobResponse *r = JOBS(t->admin, "uuid", "=", job, false);
	ZST_CHECK(r != NULL && r->n_inventories == 1 &&
	    strcmp(r->inventories[0]->method, "zs.echo.v1.Echo/Say") == 0 &&
	    r->inventories[0]->state == ZS__JOB__V1__JOB_STATE__SUCCEEDED &&
	    r->inventories[0]->progress == 100, "QueryJob uuid = its uuid: Echo/Say, SUCCEEDED, 100%% "
	    "(%s)", t->msg);
	zs_reply_free(r);
	r = JOBS(t->admin, "progress", ">=", "100", true);
	ZST_CHECK(r != NULL && r->total >= 1, "QueryJob progress >= 100: counts it (%s)", t->msg);
	zs_reply_free(r);
	r = JOBS(t->admin, "progress", "<", "abc", false);
	ZST_CHECK(r == NULL && t->code == INV_INVALID_ARGUMENT && strstr(t->msg, "progress") &&
	    strstr(t->msg, "abc"), "QueryJob progress < abc: INVALID_ARGUMENT (%s)", t->msg);
	r = JOBS(t->admin, "state", "in", "running,failed", true);
	ZST_CHECK(r != NULL && r->total == 0, "QueryJob state in running,failed: 0 (%s)", t->msg);
	zs_reply_free(r);
	r = JOBS(w->user, "method", "like", "zs.%", true);
	ZST_CHECK(r != NULL && r->total == 0, "the second account's QueryJob count: 0 (%s)", t->msg);
	zs_reply_free(r);
}

void
q_test_platform(inv *t, q_world *w)
{
	q_accounts(t, w);
	q_tags(t, w);
	q_jobs(t, w);
}
