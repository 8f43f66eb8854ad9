/*
 * tags_test.c: the tags platform module against a real zsnode, with the tagtest plugin
 * (tests/tags/tagtest.xml) beside the built plugins. It checks: the pattern registry
 * (plugins' <systemTag>, config overrides); Create/List/Query/Delete of user and system
 * tags with their failures (a system tag matching no pattern, or a pattern of another
 * resource type, is INVALID_ARGUMENT; duplicates ALREADY_EXISTS); the tag/created and
 * tag/deleted events; zs_tag_token and zs_tag_add_system through the plugin; tags going
 * with their resource (and its children); two accounts that cannot see, tag or untag each
 * other's resources; and a node whose plugins declare overlapping patterns refusing to
 * start; and zsctl's tag commands. Arguments: zsnode, the plugins folder, the tagtest
 * plugin folder, overlap.xml, zsctl.
 */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>

#include "zst_time.h"
#include "zs/client.h"
#include "zs/identity/v1/identity.pb-c.h"
#include "zs/rpc/v1/event.pb-c.h"
#include "zs/tag/v1/tag.pb-c.h"
#include "zs/tagtest/v1/tagtest.pb-c.h"
#include "zst_node.h"

/* The harness starts every node with this admin password. */
#define TT_ADMIN_PASSWORD ZST_ADMIN_PASSWORD
#define TT_USER_PASSWORD "tags-test-user-pw"
#define TT_TIMEOUT_MS 10000

/* Canonical codes the checks expect (zs/client.h names only the transport's). */
enum {
	TT_INVALID_ARGUMENT = ZS__RPC__V1__CODE__INVALID_ARGUMENT,
	TT_NOT_FOUND = ZS__RPC__V1__CODE__NOT_FOUND,
	TT_ALREADY_EXISTS = ZS__RPC__V1__CODE__ALREADY_EXISTS,
	TT_PERMISSION_DENIED = ZS__RPC__V1__CODE__PERMISSION_DENIED,
	TT_OUT_OF_RANGE = ZS__RPC__V1__CODE__OUT_OF_RANGE,
};

/* What every check needs: the node, a client, and the sessions of the accounts. */
typedef struct tt {
	zst_node node;
	zs_client *client;
	bool config;             /* config overrides' patterns are in the registry */
	char admin[128];         /* admin's session token */
	char admin_uuid[64];
	char msg[1024];          /* the last failure's message */
} tt;

/* ---- calls ---- */

/* Calls method as session (NULL or "": none); *reply (caller frees, may be NULL to drop)
 * on OK. The failure's message goes to t->msg. Returns the canonical code. */
static int
tt_call(tt *t, const char *session, const char *method, const void *req,
    const ProtobufCMessageDescriptor *rd, void *reply)
{
	ProtobufCMessage *out = NULL;
	zs_status *st = NULL;
	zs_call_opts opts = { .timeout_ms = TT_TIMEOUT_MS, .session = session && *session ? session : NULL };
	int code = zs_client_call(t->client, method, req, rd, &out, &st, &opts);
	snprintf(t->msg, sizeof t->msg, "%s%s%s", zs_client_code_name(code), st ? ": " : "",
	    st && st->message ? st->message : "");
	zs_status_free(st);
	if (reply != NULL)
		*(ProtobufCMessage **) reply = out;
	else
		zs_reply_free(out);
	return code;
}

static int
tt_create_tag(tt *t, const char *session, const char *resource, const char *tag, bool system,
    Zs__Tag__V1__TagInfo **info)
{
	Zs__Tag__V1__CreateTagRequest req = ZS__TAG__V1__CREATE_TAG_REQUEST__INIT;
	req.resource_uuid = (char *) resource;
	req.tag = (char *) tag;
	req.kind = system ? ZS__TAG__V1__TAG_KIND__SYSTEM : ZS__TAG__V1__TAG_KIND__USER;
	return tt_call(t, session, "zs.tag.v1.Tags/Create", &req, &zs__tag__v1__tag_info__descriptor, info);
}

/* Creates a tag and keeps its uuid in uuid (may be NULL); returns the code. */
static int
tt_tag(tt *t, const char *session, const char *resource, const char *tag, bool system, char *uuid)
{
	Zs__Tag__V1__TagInfo *info = NULL;
	int code = tt_create_tag(t, session, resource, tag, system, &info);
	if (uuid != NULL)
		snprintf(uuid, 64, "%s", code == ZS_CLIENT_OK ? info->uuid : "");
	zs_reply_free(info);
	return code;
}

static int
tt_delete_tag(tt *t, const char *session, const char *uuid)
{
	Zs__Tag__V1__DeleteTagRequest req = ZS__TAG__V1__DELETE_TAG_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return tt_call(t, session, "zs.tag.v1.Tags/Delete", &req,
	    &zs__tag__v1__delete_tag_response__descriptor, NULL);
}

/* The tags of resource (caller frees *out), or a failure code. */
static int
tt_list(tt *t, const char *session, const char *resource, Zs__Tag__V1__ListTagsResponse **out)
{
	Zs__Tag__V1__ListTagsRequest req = ZS__TAG__V1__LIST_TAGS_REQUEST__INIT;
	req.resource_uuid = (char *) resource;
	*out = NULL;
	return tt_call(t, session, "zs.tag.v1.Tags/List", &req,
	    &zs__tag__v1__list_tags_response__descriptor, out);
}

/* How many tags resource has, or -1 when List fails. */
static int
tt_count(tt *t, const char *session, const char *resource)
{
	Zs__Tag__V1__ListTagsResponse *out;
	int n = tt_list(t, session, resource, &out) == ZS_CLIENT_OK ? (int) out->n_tags : -1;
	zs_reply_free(out);
	return n;
}

static bool
tt_has(const Zs__Tag__V1__ListTagsResponse *l, const char *tag)
{
	for (size_t i = 0; l != NULL && i < l->n_tags; i++)
		if (strcmp(l->tags[i]->tag, tag) == 0)
			return true;
	return false;
}

/* How many tags Query answers (-1 on failure); kind 0: any. */
static int
tt_query(tt *t, const char *session, const char *tag, const char *type, int kind, unsigned limit)
{
	Zs__Tag__V1__QueryTagsRequest req = ZS__TAG__V1__QUERY_TAGS_REQUEST__INIT;
	req.tag = (char *) tag;
	req.resource_type = (char *) (type ? type : "");
	req.kind = (Zs__Tag__V1__TagKind) kind;
	req.limit = limit;
	Zs__Tag__V1__ListTagsResponse *out = NULL;
	int n = tt_call(t, session, "zs.tag.v1.Tags/Query", &req,
	    &zs__tag__v1__list_tags_response__descriptor, &out) == ZS_CLIENT_OK ? (int) out->n_tags : -1;
	zs_reply_free(out);
	return n;
}

/* A new resource of type (parent may be NULL) owned by session's account; "" on failure. */
static void
tt_resource(tt *t, const char *session, const char *type, const char *parent, char uuid[64])
{
	Zs__Tagtest__V1__CreateResourceRequest req = ZS__TAGTEST__V1__CREATE_RESOURCE_REQUEST__INIT;
	req.type = (char *) type;
	req.name = (char *) type;
	req.parent_uuid = (char *) (parent ? parent : "");
	Zs__Tagtest__V1__CreateResourceResponse *out = NULL;
	int code = tt_call(t, session, "zs.tagtest.v1.TagTest/CreateResource", &req,
	    &zs__tagtest__v1__create_resource_response__descriptor, &out);
	snprintf(uuid, 64, "%s", code == ZS_CLIENT_OK ? out->uuid : "");
	ZST_CHECK(code == ZS_CLIENT_OK, "a %s to tag is made (%s)", type, t->msg);
	zs_reply_free(out);
}

static int
tt_delete_resource(tt *t, const char *session, const char *uuid)
{
	Zs__Tagtest__V1__DeleteResourceRequest req = ZS__TAGTEST__V1__DELETE_RESOURCE_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return tt_call(t, session, "zs.tagtest.v1.TagTest/DeleteResource", &req,
	    &zs__tagtest__v1__delete_resource_response__descriptor, NULL);
}

/* zs_tag_token through the plugin: the code, and the value in value. */
static int
tt_token(tt *t, const char *resource, const char *pattern, const char *token, unsigned buffer,
    char *value, size_t len)
{
	Zs__Tagtest__V1__TokenRequest req = ZS__TAGTEST__V1__TOKEN_REQUEST__INIT;
	req.resource_uuid = (char *) resource;
	req.pattern = (char *) pattern;
	req.token = (char *) token;
	req.buffer = buffer;
	Zs__Tagtest__V1__TokenResponse *out = NULL;
	int code = tt_call(t, t->admin, "zs.tagtest.v1.TagTest/Token", &req,
	    &zs__tagtest__v1__token_response__descriptor, &out);
	snprintf(value, len, "%s", code == ZS_CLIENT_OK ? out->value : "");
	zs_reply_free(out);
	return code;
}

/* zs_tag_add_system through the plugin. */
static int
tt_add_system(tt *t, const char *resource, const char *tag, bool in_transaction)
{
	Zs__Tagtest__V1__AddSystemTagRequest req = ZS__TAGTEST__V1__ADD_SYSTEM_TAG_REQUEST__INIT;
	req.resource_uuid = (char *) resource;
	req.tag = (char *) tag;
	req.in_transaction = in_transaction;
	return tt_call(t, t->admin, "zs.tagtest.v1.TagTest/AddSystemTag", &req,
	    &zs__tagtest__v1__add_system_tag_response__descriptor, NULL);
}

/* Logs in; the session goes to session (and the account uuid to uuid, may be NULL). */
static int
tt_login(tt *t, const char *name, const char *password, char *session, size_t len, char *uuid)
{
	Zs__Identity__V1__LoginRequest req = ZS__IDENTITY__V1__LOGIN_REQUEST__INIT;
	req.name = (char *) name;
	req.password = (char *) password;
	Zs__Identity__V1__LoginResponse *out = NULL;
	int code = tt_call(t, NULL, "zs.identity.v1.Identity/Login", &req,
	    &zs__identity__v1__login_response__descriptor, &out);
	if (code == ZS_CLIENT_OK) {
		snprintf(session, len, "%s", out->session);
		if (uuid != NULL)
			snprintf(uuid, 64, "%s", out->account ? out->account->uuid : "");
	}
	zs_reply_free(out);
	return code;
}

/* A normal account (made by the admin) and its session; false on failure. */
static bool
tt_account(tt *t, const char *name, char session[128])
{
	Zs__Identity__V1__CreateAccountRequest req = ZS__IDENTITY__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.name = (char *) name;
	req.password = (char *) TT_USER_PASSWORD;
	int code = tt_call(t, t->admin, "zs.identity.v1.Identity/CreateAccount", &req,
	    &zs__identity__v1__account_info__descriptor, NULL);
	bool ok = ZST_CHECK(code == ZS_CLIENT_OK, "the admin makes account %s (%s)", name, t->msg) &&
	    ZST_CHECK(tt_login(t, name, TT_USER_PASSWORD, session, 128, NULL) == ZS_CLIENT_OK,
	    "%s logs in (%s)", name, t->msg);
	return ok;
}

/* ---- events ---- */

static int
tt_sub_open(nng_socket *s, const char *url)
{
	int rv = nng_sub0_open(s);
	if (rv == 0)
		rv = nng_socket_set(*s, NNG_OPT_SUB_SUBSCRIBE, "tag/", 4);
	if (rv == 0)
		rv = nng_socket_set_ms(*s, NNG_OPT_RECVTIMEO, 3000);
	if (rv == 0)
		rv = nng_dial(*s, url, NULL, 0);
	return rv;
}

/* Waits (bounded) for an event on topic about tag uuid. */
static bool
tt_sub_wait(const tt *t, nng_socket s, const char *topic, const char *uuid)
{
	int64_t until = zst_now_ms() + 5000;
	while (zst_now_ms() < until) {
		char *buf = NULL;
		size_t len = 0;
		if (nng_recv(s, &buf, &len, NNG_FLAG_ALLOC) != 0)
			return false;
		size_t tl = strnlen(buf, len);
		Zs__Rpc__V1__Event *head = tl < len ? zs__rpc__v1__event__unpack(NULL, len - tl - 1,
		    (uint8_t *) buf + tl + 1) : NULL;
		/* the feed has the header; the body comes from Events/Recent */
		Zs__Rpc__V1__Event *e = head != NULL ? zst_event_fetch(t->node.rpc_url, t->admin,
		    head->sequence) : NULL;
		zs__rpc__v1__event__free_unpacked(head, NULL);
		Zs__Tag__V1__TagInfo *info = e != NULL ? zs__tag__v1__tag_info__unpack(NULL, e->body.len,
		    e->body.data) : NULL;
		bool hit = info != NULL && strcmp(e->topic, topic) == 0 && strcmp(info->uuid, uuid) == 0 &&
		    strcmp(e->type, "zs.tag.v1.TagInfo") == 0;
		if (info != NULL)
			zs__tag__v1__tag_info__free_unpacked(info, NULL);
		if (e != NULL)
			zs__rpc__v1__event__free_unpacked(e, NULL);
		nng_free(buf, len);
		if (hit)
			return true;
	}
	return false;
}

/* ---- the checks ---- */

static bool
tt_has_pattern(const Zs__Tag__V1__ListPatternsResponse *l, const char *type, const char *pattern,
    const char *service)
{
	for (size_t i = 0; l != NULL && i < l->n_patterns; i++)
		if (strcmp(l->patterns[i]->resource_type, type) == 0 &&
		    strcmp(l->patterns[i]->pattern, pattern) == 0 &&
		    (service == NULL || strcmp(l->patterns[i]->service, service) == 0))
			return true;
	return false;
}

static void
test_patterns(tt *t)
{
	Zs__Tag__V1__ListPatternsRequest req = ZS__TAG__V1__LIST_PATTERNS_REQUEST__INIT;
	Zs__Tag__V1__ListPatternsResponse *out = NULL;
	int code = tt_call(t, t->admin, "zs.tag.v1.Tags/ListPatterns", &req,
	    &zs__tag__v1__list_patterns_response__descriptor, &out);
	ZST_CHECK(code == ZS_CLIENT_OK && tt_has_pattern(out, "Host", "qemu-img::version::{version}",
	    "host") && tt_has_pattern(out, "Host", "capability::liveSnapshot", "host") &&
	    tt_has_pattern(out, "Cluster", "cluster::arch::{arch}", "tagtest") &&
	    tt_has_pattern(out, "Zone", "zone::region::{region}", "tagtest"),
	    "ListPatterns has the tagtest plugin's <systemTag> patterns, with their service (%s)", t->msg);
	t->config = code == ZS_CLIENT_OK && tt_has_pattern(out, "Host", "tagtest::quota::{value}", NULL);
	if (t->config)
		ZST_CHECK(tt_has_pattern(out, "Cluster", "tagtest::quota::{value}", NULL) &&
		    tt_has_pattern(out, "Zone", "tagtest::quota::{value}", NULL),
		    "the override pattern of config tagtest/quota (resourceOverride) is on Host, Cluster "
		    "and Zone");
	else
		zst_note("config overrides' patterns are not in the registry (config module absent)");
	zs_reply_free(out);
}

static void
test_user_tags(tt *t, const char *host)
{
	Zs__Tag__V1__TagInfo *info = NULL;
	int code = tt_create_tag(t, t->admin, host, "env::prod", false, &info);
	ZST_CHECK(code == ZS_CLIENT_OK && info->kind == ZS__TAG__V1__TAG_KIND__USER &&
	    strcmp(info->resource_uuid, host) == 0 && strcmp(info->resource_type, "Host") == 0 &&
	    strcmp(info->tag, "env::prod") == 0 && info->uuid[0] != '\0' && zst_time_us(info->create_date) > 0 &&
	    strcmp(info->owner_uuid, t->admin_uuid) == 0,
	    "a user tag is created with its uuid, resource, type, kind and owner (%s)", t->msg);
	zs_reply_free(info);
	code = tt_tag(t, t->admin, host, "env::prod", false, NULL);
	ZST_CHECK(code == TT_ALREADY_EXISTS, "the same user tag again is ALREADY_EXISTS (%s)", t->msg);
	code = tt_tag(t, t->admin, host, "Owner: Ada Lovelace \xe2\x9c\x93 {not a token", false, NULL);
	ZST_CHECK(code == ZS_CLIENT_OK, "a user tag is free-form: spaces, UTF-8, braces (%s)", t->msg);
	ZST_CHECK(tt_tag(t, t->admin, host, "", false, NULL) == TT_INVALID_ARGUMENT,
	    "an empty tag is INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(tt_tag(t, t->admin, host, "bad\ttab", false, NULL) == TT_INVALID_ARGUMENT,
	    "a tag with a control character is INVALID_ARGUMENT (%s)", t->msg);
	char big[1026];
	memset(big, 'u', 1025);
	big[1025] = '\0';
	ZST_CHECK(tt_tag(t, t->admin, host, big, false, NULL) == TT_INVALID_ARGUMENT,
	    "a tag of 1025 bytes is INVALID_ARGUMENT (%s)", t->msg);
	big[1024] = '\0';
	ZST_CHECK(tt_tag(t, t->admin, host, big, false, NULL) == ZS_CLIENT_OK,
	    "a tag of 1024 bytes is fine (%s)", t->msg);
	ZST_CHECK(tt_tag(t, t->admin, "00000000-0000-4000-8000-000000000000", "x", false, NULL) ==
	    TT_NOT_FOUND, "a tag on a resource that does not exist is NOT_FOUND (%s)", t->msg);
}

static void
test_system_tags(tt *t, const char *zone, const char *cluster, const char *host)
{
	Zs__Tag__V1__TagInfo *info = NULL;
	int code = tt_create_tag(t, t->admin, host, "qemu-img::version::2.12.0", true, &info);
	ZST_CHECK(code == ZS_CLIENT_OK && info->kind == ZS__TAG__V1__TAG_KIND__SYSTEM &&
	    strcmp(info->pattern, "qemu-img::version::{version}") == 0,
	    "an admin adds a system tag; it names the pattern it matched (%s)", t->msg);
	zs_reply_free(info);
	code = tt_tag(t, t->admin, host, "nosuch::thing::1", true, NULL);
	ZST_CHECK(code == TT_INVALID_ARGUMENT && strstr(t->msg, "matches no system tag pattern") &&
	    strstr(t->msg, "qemu-img::version::{version}") && strstr(t->msg, "capability::liveSnapshot"),
	    "a system tag matching no pattern is INVALID_ARGUMENT, listing Host's patterns (%s)", t->msg);
	code = tt_tag(t, t->admin, host, "qemu-img::version::", true, NULL);
	ZST_CHECK(code == TT_INVALID_ARGUMENT, "an empty token value matches nothing: "
	    "INVALID_ARGUMENT (%s)", t->msg);
	code = tt_tag(t, t->admin, host, "qemu-img::version::1::2", true, NULL);
	ZST_CHECK(code == TT_INVALID_ARGUMENT, "a token value holding \"::\" matches nothing: "
	    "INVALID_ARGUMENT (%s)", t->msg);
	code = tt_tag(t, t->admin, host, "cluster::arch::x86_64", true, NULL);
	ZST_CHECK(code == TT_INVALID_ARGUMENT && strstr(t->msg, "declared for Cluster"),
	    "a system tag of a Cluster pattern on a Host is INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(tt_tag(t, t->admin, cluster, "cluster::arch::x86_64", true, NULL) == ZS_CLIENT_OK,
	    "the same tag on a Cluster is fine (%s)", t->msg);
	ZST_CHECK(tt_tag(t, t->admin, zone, "zone::region::eu-west", true, NULL) == ZS_CLIENT_OK,
	    "a Zone pattern on a Zone is fine (%s)", t->msg);
	ZST_CHECK(tt_tag(t, t->admin, host, "capability::liveSnapshot", true, NULL) == ZS_CLIENT_OK,
	    "a literal pattern (a flag) is a system tag too (%s)", t->msg);
	code = tt_tag(t, t->admin, host, "qemu-img::version::3.0", true, NULL);
	ZST_CHECK(code == TT_ALREADY_EXISTS && strstr(t->msg, "qemu-img::version::2.12.0"),
	    "a second value of one pattern on one resource is ALREADY_EXISTS, naming the first (%s)",
	    t->msg);
	if (t->config)
		ZST_CHECK(tt_tag(t, t->admin, host, "tagtest::quota::5", true, NULL) == ZS_CLIENT_OK,
		    "a config override tag (tagtest::quota::{value}) is a valid system tag (%s)", t->msg);
}

static void
test_list_query(tt *t, const char *host, const char *host2)
{
	Zs__Tag__V1__ListTagsResponse *l = NULL;
	int code = tt_list(t, t->admin, host, &l);
	size_t want = t->config ? 6 : 5;
	ZST_CHECK(code == ZS_CLIENT_OK && l->n_tags == want && tt_has(l, "env::prod") &&
	    tt_has(l, "qemu-img::version::2.12.0") && tt_has(l, "capability::liveSnapshot"),
	    "List answers every tag of the host (%zu of %zu; %s)", l ? l->n_tags : 0, want, t->msg);
	zs_reply_free(l);
	ZST_CHECK(tt_list(t, t->admin, "00000000-0000-4000-8000-000000000000", &l) == TT_NOT_FOUND,
	    "List of a resource that does not exist is NOT_FOUND (%s)", t->msg);
	zs_reply_free(l);
	ZST_CHECK(tt_query(t, t->admin, "env::prod", NULL, 0, 0) == 1, "Query by exact tag finds it");
	ZST_CHECK(tt_add_system(t, host2, "qemu-img::version::4.2", false) == ZS_CLIENT_OK,
	    "zs_tag_add_system tags a second host (%s)", t->msg);
	ZST_CHECK(tt_query(t, t->admin, "qemu-img::version::{v}", NULL, 0, 0) == 2,
	    "Query by pattern (own token names) finds both hosts' qemu-img tags");
	ZST_CHECK(tt_query(t, t->admin, "qemu-img::version::{v}", "Cluster", 0, 0) == 0 &&
	    tt_query(t, t->admin, "qemu-img::version::{v}", "Host", 0, 0) == 2,
	    "Query filters by resource type");
	ZST_CHECK(tt_query(t, t->admin, "qemu-img::version::{v}", NULL, ZS__TAG__V1__TAG_KIND__USER, 0) == 0,
	    "Query filters by kind");
	ZST_CHECK(tt_query(t, t->admin, "qemu-img::version::{v}", NULL, 0, 1) == 1, "Query keeps to its limit");
	ZST_CHECK(tt_query(t, t->admin, "{a}::{b}::{c}", NULL, ZS__TAG__V1__TAG_KIND__SYSTEM, 0) ==
	    (t->config ? 5 : 4), "Query {a}::{b}::{c} finds the three-part system tags of every type");
	ZST_CHECK(tt_query(t, t->admin, "{k}::{v}", NULL, 0, 0) == 2,
	    "a token matches no \"::\": {k}::{v} finds only two-part tags (env::prod, "
	    "capability::liveSnapshot)");
	ZST_CHECK(tt_query(t, t->admin, "qemu-img::version::4.{minor}", NULL, 0, 0) == 1,
	    "a pattern may fix part of a value");
	ZST_CHECK(tt_query(t, t->admin, "", NULL, 0, 0) == -1, "Query without a tag is refused (%s)", t->msg);
}

static void
test_token_helper(tt *t, const char *host)
{
	char v[256];
	int code = tt_token(t, host, "qemu-img::version::{version}", "version", 0, v, sizeof v);
	ZST_CHECK(code == ZS_CLIENT_OK && strcmp(v, "2.12.0") == 0,
	    "zs_tag_token reads {version} of the host's qemu-img tag: \"%s\" (%s)", v, t->msg);
	code = tt_token(t, host, "cpu::{model}::cores::{cores}", "model", 0, v, sizeof v);
	ZST_CHECK(code == TT_NOT_FOUND, "zs_tag_token without such a tag is NOT_FOUND (%s)", t->msg);
	ZST_CHECK(tt_add_system(t, host, "cpu::Xeon E5-2680::cores::16", false) == ZS_CLIENT_OK,
	    "zs_tag_add_system adds a two-token tag (%s)", t->msg);
	code = tt_token(t, host, "cpu::{model}::cores::{cores}", "model", 0, v, sizeof v);
	ZST_CHECK(code == ZS_CLIENT_OK && strcmp(v, "Xeon E5-2680") == 0, "{model} is \"%s\"", v);
	code = tt_token(t, host, "cpu::{model}::cores::{cores}", "cores", 0, v, sizeof v);
	ZST_CHECK(code == ZS_CLIENT_OK && strcmp(v, "16") == 0, "{cores} is \"%s\"", v);
	ZST_CHECK(tt_token(t, host, "cpu::{model}::cores::{cores}", "threads", 0, v, sizeof v) ==
	    TT_INVALID_ARGUMENT, "a token the pattern lacks is INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(tt_token(t, host, "cpu::{model", "model", 0, v, sizeof v) == TT_INVALID_ARGUMENT,
	    "a malformed pattern is INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(tt_token(t, host, "cpu::{model}::cores::{cores}", "model", 4, v, sizeof v) ==
	    TT_OUT_OF_RANGE, "a buffer too small is OUT_OF_RANGE (%s)", t->msg);

	int before = tt_count(t, t->admin, host);
	ZST_CHECK(tt_add_system(t, host, "qemu-img::version::3.1", false) == ZS_CLIENT_OK &&
	    tt_token(t, host, "qemu-img::version::{version}", "version", 0, v, sizeof v) == ZS_CLIENT_OK &&
	    strcmp(v, "3.1") == 0 && tt_count(t, t->admin, host) == before,
	    "zs_tag_add_system replaces the host's value of the pattern: now \"%s\"", v);
	ZST_CHECK(tt_add_system(t, host, "qemu-img::version::3.1", false) == ZS_CLIENT_OK &&
	    tt_count(t, t->admin, host) == before, "the same system tag again is a no-op");
	ZST_CHECK(tt_add_system(t, host, "libvirt::version::8.0.0", true) == ZS_CLIENT_OK &&
	    tt_token(t, host, "libvirt::version::{version}", "version", 0, v, sizeof v) == ZS_CLIENT_OK &&
	    strcmp(v, "8.0.0") == 0, "zs_tag_add_system inside the service's transaction (%s)", t->msg);
	ZST_CHECK(tt_add_system(t, host, "nope::x", false) == TT_INVALID_ARGUMENT,
	    "zs_tag_add_system validates against the patterns (%s)", t->msg);
	ZST_CHECK(tt_add_system(t, host, "cluster::arch::arm64", true) == TT_INVALID_ARGUMENT &&
	    tt_count(t, t->admin, host) == before + 1, "a refused add inside a transaction leaves nothing");
}

/* One thread of test_concurrent_add: values v<k>.<i> of one pattern on one host. */
typedef struct tt_adder {
	tt *t;
	const char *host;
	int k, ok;
	pthread_t th;
} tt_adder;

static void *
tt_adder_run(void *arg)
{
	tt_adder *a = arg;
	for (int i = 0; i < 5; i++) {
		char tag[64];
		snprintf(tag, sizeof tag, "libvirt::version::%d.%d", a->k, i);
		Zs__Tagtest__V1__AddSystemTagRequest req = ZS__TAGTEST__V1__ADD_SYSTEM_TAG_REQUEST__INIT;
		req.resource_uuid = (char *) a->host;
		req.tag = tag;
		zs_call_opts opts = { .timeout_ms = TT_TIMEOUT_MS, .session = a->t->admin };
		zs_status *st = NULL;
		ProtobufCMessage *out = NULL;
		if (zs_client_call(a->t->client, "zs.tagtest.v1.TagTest/AddSystemTag", &req.base,
		    &zs__tagtest__v1__add_system_tag_response__descriptor, &out, &st, &opts) == ZS_CLIENT_OK)
			a->ok++;
		zs_reply_free(out);
		zs_status_free(st);
	}
	return NULL;
}

/* Many services setting one pattern on one host at once leave one value. */
static void
test_concurrent_add(tt *t, const char *host)
{
	enum { THREADS = 8 };
	tt_adder adders[THREADS];
	for (int k = 0; k < THREADS; k++) {
		adders[k] = (tt_adder) { t, host, k, 0, 0 };
		pthread_create(&adders[k].th, NULL, tt_adder_run, &adders[k]);
	}
	int ok = 0;
	for (int k = 0; k < THREADS; k++) {
		pthread_join(adders[k].th, NULL);
		ok += adders[k].ok;
	}
	ZST_CHECK(ok == THREADS * 5 && tt_query(t, t->admin, "libvirt::version::{v}", NULL, 0, 0) == 1,
	    "%d zs_tag_add_system calls on one pattern at once all succeed and leave one value", ok);
}

static void
test_delete_events(tt *t, const char *host)
{
	nng_socket sub;
	bool subscribed = tt_sub_open(&sub, t->node.events_url) == 0;
	ZST_CHECK(subscribed, "a subscriber to tag/ connects");
	zst_sleep_ms(300);   /* let the subscription reach the node */
	char uuid[64];
	ZST_CHECK(tt_tag(t, t->admin, host, "to-delete", false, uuid) == ZS_CLIENT_OK, "a tag to delete");
	ZST_CHECK(subscribed && tt_sub_wait(t, sub, "tag/created", uuid), "tag/created carries the TagInfo");
	ZST_CHECK(tt_delete_tag(t, t->admin, uuid) == ZS_CLIENT_OK, "Delete removes it (%s)", t->msg);
	ZST_CHECK(subscribed && tt_sub_wait(t, sub, "tag/deleted", uuid), "tag/deleted carries the TagInfo");
	Zs__Tag__V1__ListTagsResponse *l = NULL;
	tt_list(t, t->admin, host, &l);
	ZST_CHECK(l != NULL && !tt_has(l, "to-delete"), "the deleted tag is gone from List");
	zs_reply_free(l);
	ZST_CHECK(tt_delete_tag(t, t->admin, uuid) == TT_NOT_FOUND, "deleting it again is "
	    "NOT_FOUND (%s)", t->msg);
	ZST_CHECK(tt_delete_tag(t, t->admin, "") == TT_INVALID_ARGUMENT, "Delete without a uuid "
	    "is INVALID_ARGUMENT");
	if (subscribed)
		nng_close(sub);
}

static void
test_cascade(tt *t)
{
	char zone[64], cluster[64], host[64];
	tt_resource(t, t->admin, "Zone", NULL, zone);
	tt_resource(t, t->admin, "Cluster", zone, cluster);
	tt_resource(t, t->admin, "Host", cluster, host);
	ZST_CHECK(tt_tag(t, t->admin, host, "cascade-marker", false, NULL) == ZS_CLIENT_OK &&
	    tt_tag(t, t->admin, host, "qemu-img::version::9.9", true, NULL) == ZS_CLIENT_OK &&
	    tt_tag(t, t->admin, cluster, "cluster::arch::cascade", true, NULL) == ZS_CLIENT_OK &&
	    tt_tag(t, t->admin, zone, "zone::region::cascade", true, NULL) == ZS_CLIENT_OK,
	    "zone, cluster and host are tagged (%s)", t->msg);
	ZST_CHECK(tt_delete_resource(t, t->admin, host) == ZS_CLIENT_OK, "the host is deleted through "
	    "zs_resource_delete (%s)", t->msg);
	ZST_CHECK(tt_query(t, t->admin, "cascade-marker", NULL, 0, 0) == 0 &&
	    tt_query(t, t->admin, "qemu-img::version::9.9", NULL, 0, 0) == 0,
	    "the host's user and system tags went with it");
	Zs__Tag__V1__ListTagsResponse *l = NULL;
	ZST_CHECK(tt_list(t, t->admin, host, &l) == TT_NOT_FOUND, "List of the deleted host is NOT_FOUND");
	zs_reply_free(l);
	ZST_CHECK(tt_query(t, t->admin, "cluster::arch::cascade", NULL, 0, 0) == 1,
	    "the cluster's tag is still there");
	ZST_CHECK(tt_delete_resource(t, t->admin, zone) == ZS_CLIENT_OK &&
	    tt_query(t, t->admin, "cluster::arch::cascade", NULL, 0, 0) == 0 &&
	    tt_query(t, t->admin, "zone::region::cascade", NULL, 0, 0) == 0,
	    "deleting the zone takes its cluster and both their tags");
}

/* Two accounts: neither sees, tags nor untags the other's resources. */
static void
test_accounts(tt *t)
{
	char a[128], b[128], ha[64], hb[64], btag[64], admin_sys[64], admin_user[64], own[64];
	if (!tt_account(t, "tags-alice", a) || !tt_account(t, "tags-bob", b))
		return;
	tt_resource(t, a, "Host", NULL, ha);
	tt_resource(t, b, "Host", NULL, hb);
	ZST_CHECK(tt_tag(t, b, hb, "bob-secret", false, btag) == ZS_CLIENT_OK,
	    "bob tags his host (%s)", t->msg);
	int before = tt_count(t, b, hb);
	Zs__Tag__V1__ListTagsResponse *l = NULL;
	ZST_CHECK(tt_list(t, a, hb, &l) == TT_NOT_FOUND, "alice listing bob's host: NOT_FOUND (%s)",
	    t->msg);
	zs_reply_free(l);
	ZST_CHECK(tt_tag(t, a, hb, "alice-was-here", false, NULL) == TT_NOT_FOUND,
	    "alice tagging bob's host: NOT_FOUND, as if it did not exist (%s)", t->msg);
	ZST_CHECK(tt_delete_tag(t, a, btag) == TT_NOT_FOUND, "alice deleting bob's tag: NOT_FOUND "
	    "(%s)", t->msg);
	ZST_CHECK(tt_query(t, a, "bob-secret", NULL, 0, 0) == 0 && tt_query(t, a, "{x}", NULL, 0, 0) == 0,
	    "alice's queries do not show bob's tags");
	ZST_CHECK(tt_query(t, b, "bob-secret", NULL, 0, 0) == 1 && tt_count(t, b, hb) == before,
	    "bob's host and tag are as they were");
	ZST_CHECK(tt_query(t, t->admin, "bob-secret", NULL, 0, 0) == 1, "the admin sees bob's tag");

	ZST_CHECK(tt_tag(t, a, ha, "qemu-img::version::1.0", true, NULL) == TT_PERMISSION_DENIED,
	    "alice adding a system tag to her own host: PERMISSION_DENIED (%s)", t->msg);
	ZST_CHECK(tt_tag(t, t->admin, ha, "qemu-img::version::1.0", true, admin_sys) == ZS_CLIENT_OK &&
	    tt_tag(t, t->admin, ha, "admin-note", false, admin_user) == ZS_CLIENT_OK &&
	    tt_tag(t, a, ha, "alice-note", false, own) == ZS_CLIENT_OK,
	    "the admin tags alice's host; alice adds a user tag (%s)", t->msg);
	ZST_CHECK(tt_query(t, a, "qemu-img::version::{v}", NULL, 0, 0) == 1,
	    "alice sees the system tag on her host, not the others'");
	ZST_CHECK(tt_delete_tag(t, a, admin_sys) == TT_PERMISSION_DENIED,
	    "alice deleting a system tag: PERMISSION_DENIED (%s)", t->msg);
	ZST_CHECK(tt_delete_tag(t, a, admin_user) == TT_PERMISSION_DENIED,
	    "alice deleting the admin's user tag: PERMISSION_DENIED (%s)", t->msg);
	ZST_CHECK(tt_count(t, a, ha) == 3, "alice's host still has its three tags");
	ZST_CHECK(tt_delete_tag(t, a, own) == ZS_CLIENT_OK, "alice deletes her own user tag (%s)", t->msg);
	ZST_CHECK(tt_delete_tag(t, t->admin, btag) == ZS_CLIENT_OK, "the admin deletes bob's tag (%s)",
	    t->msg);
}

/* Runs zsctl (argv as one shell line; arguments are plain words) with the admin's
 * session; its stdout (caller frees) and exit code. */
static char *
tt_zsctl(tt *t, const char *zsctl, const char *args, int *exit_code)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "'%s' --url '%s' --session '%s' %s 2>&1", zsctl, t->node.rpc_url,
	    t->admin, args);
	FILE *p = popen(cmd, "r");
	if (p == NULL) {
		*exit_code = -1;
		return strdup("");
	}
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);
	size_t n;
	while (out != NULL && (n = fread(out + len, 1, cap - len - 1, p)) > 0)
		if ((len += n) + 1 == cap) {
			char *more = realloc(out, cap *= 2);
			if (more == NULL)
				free(out);
			out = more;
		}
	if (out != NULL)
		out[len] = '\0';
	int st = pclose(p);
	*exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out != NULL ? out : strdup("");
}

/* zsctl tag create|list|query|delete|patterns, as a user runs them. */
static void
test_zsctl(tt *t, const char *zsctl, const char *host)
{
	int rc;
	char args[512], uuid[64] = "";
	char *out = tt_zsctl(t, zsctl, "tag patterns", &rc);
	ZST_CHECK(rc == 0 && strstr(out, "qemu-img::version::{version}") && strstr(out, "tagtest"),
	    "zsctl tag patterns lists the patterns and their services (exit %d)", rc);
	free(out);
	snprintf(args, sizeof args, "tag create %s cli::label", host);
	out = tt_zsctl(t, zsctl, args, &rc);
	sscanf(out, "%63s", uuid);
	ZST_CHECK(rc == 0 && strlen(uuid) == 36, "zsctl tag create prints the new tag's uuid (%s)", uuid);
	free(out);
	snprintf(args, sizeof args, "tag create %s nosuch::thing --system", host);
	out = tt_zsctl(t, zsctl, args, &rc);
	ZST_CHECK(rc == 1 && strstr(out, "INVALID_ARGUMENT"), "zsctl tag create --system of a tag "
	    "matching no pattern fails with INVALID_ARGUMENT (exit %d)", rc);
	free(out);
	snprintf(args, sizeof args, "tag list %s", host);
	out = tt_zsctl(t, zsctl, args, &rc);
	ZST_CHECK(rc == 0 && strstr(out, "cli::label") && strstr(out, uuid) && strstr(out, "system"),
	    "zsctl tag list shows the host's tags (exit %d)", rc);
	free(out);
	out = tt_zsctl(t, zsctl, "tag query 'qemu-img::version::{v}' --type Host", &rc);
	ZST_CHECK(rc == 0 && strstr(out, "qemu-img::version::3.1") && strstr(out, host),
	    "zsctl tag query PATTERN --type Host finds the host's tag (exit %d)", rc);
	free(out);
	out = tt_zsctl(t, zsctl, "tag query 'qemu-img::version::{v}' --type Zone", &rc);
	ZST_CHECK(rc == 0 && strstr(out, "no tags"), "zsctl tag query --type Zone finds none");
	free(out);
	snprintf(args, sizeof args, "tag delete %s", uuid);
	out = tt_zsctl(t, zsctl, args, &rc);
	ZST_CHECK(rc == 0, "zsctl tag delete removes it (exit %d: %s)", rc, out);
	free(out);
	out = tt_zsctl(t, zsctl, args, &rc);
	ZST_CHECK(rc == 1 && strstr(out, "NOT_FOUND"), "zsctl tag delete again: NOT_FOUND, exit 1");
	free(out);
	out = tt_zsctl(t, zsctl, "tag bogus", &rc);
	ZST_CHECK(rc == 2, "zsctl tag with an unknown subcommand is a usage error (exit %d)", rc);
	free(out);
}

/* A plugins folder for the node: links to every built plugin and to the tagtest plugin,
 * plus extra (a file to copy in, may be NULL). The kvm plugin is left out: it declares
 * the host fact patterns (libvirt::version::{version}, cpu::...) that tagtest declares
 * for these tests, and one pattern may have only one meaning. */
static int
tt_plugins_dir(char *dir, size_t len, const char *built, const char *tagtest, const char *extra)
{
	if (zst_mkdtemp(dir, len) != 0)
		return -1;
	const char *from[2] = { built, tagtest };
	for (int k = 0; k < 2; k++) {
		DIR *dh = opendir(from[k]);
		struct dirent *de;
		if (dh == NULL)
			return -1;
		while ((de = readdir(dh)) != NULL) {
			char src[PATH_MAX], dst[PATH_MAX];
			if (de->d_name[0] == '.' || (k == 0 && strcmp(de->d_name, "kvm.xml") == 0))
				continue;
			char *real = realpath(from[k], NULL);
			snprintf(src, sizeof src, "%s/%s", real ? real : from[k], de->d_name);
			free(real);
			snprintf(dst, sizeof dst, "%s/%s", dir, de->d_name);
			if (symlink(src, dst) != 0) {
				closedir(dh);
				return -1;
			}
		}
		closedir(dh);
	}
	if (extra != NULL) {
		char dst[PATH_MAX];
		snprintf(dst, sizeof dst, "%s/zz_overlap.xml", dir);
		return zst_copy_file(extra, dst);
	}
	return 0;
}

/* A node whose plugins declare overlapping patterns does not start. */
static void
test_overlap_refused(const char *built, const char *tagtest, const char *overlap)
{
	char dir[256];
	zst_node n;
	if (!ZST_CHECK(tt_plugins_dir(dir, sizeof dir, built, tagtest, overlap) == 0,
	    "a plugins folder with an overlapping descriptor"))
		return;
	if (zst_node_spawn(&n, dir, NULL) == 0) {
		int code = zst_node_wait_exit(&n, 60000);
		ZST_CHECK(code != 0 && code != -1 && zst_node_stderr_has(&n, "qemu-img::{what}::{v}") &&
		    zst_node_stderr_has(&n, "can both match"),
		    "the node refuses to start, naming both patterns (exit %d)", code);
		if (!zst_node_stderr_has(&n, "can both match"))
			zst_node_dump_stderr(&n);
		zst_node_check_sanitizers(&n, "the node that refused to start");
		zst_node_cleanup(&n);
	}
	zst_rmtree(dir);
}

static bool
tt_start(tt *t, const char *plugins)
{
	if (zst_node_start(&t->node, plugins, NULL) != 0 || zs_client_open(&t->client, t->node.rpc_url) != 0)
		return false;
	/* identity is a platform module: no admin login means a broken node, not a smaller one */
	int code = tt_login(t, "admin", TT_ADMIN_PASSWORD, t->admin, sizeof t->admin, t->admin_uuid);
	if (!ZST_CHECK(code == ZS_CLIENT_OK, "admin logs in (%s)", t->msg)) {
		zs_client_close(t->client);
		t->client = NULL;
		zst_node_cleanup(&t->node);
		return false;
	}
	return true;
}

int
main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: tags_test ZSNODE PLUGINS_DIR TAGTEST_DIR OVERLAP_XML ZSCTL\n");
		return 2;
	}
	if (zst_init(argc, argv, "tags", 170) != 0)
		return 1;
	static tt t;
	char plugins[256];
	if (!ZST_CHECK(tt_plugins_dir(plugins, sizeof plugins, argv[2], argv[3], NULL) == 0,
	    "a plugins folder with the built plugins and tagtest") ||
	    !ZST_CHECK(tt_start(&t, plugins), "zsnode starts with the tagtest plugin")) {
		zst_rmtree(plugins);
		return zst_summary();
	}
	char zone[64], cluster[64], host[64], host2[64];
	test_patterns(&t);
	tt_resource(&t, t.admin, "Zone", NULL, zone);
	tt_resource(&t, t.admin, "Cluster", zone, cluster);
	tt_resource(&t, t.admin, "Host", cluster, host);
	tt_resource(&t, t.admin, "Host", cluster, host2);
	test_user_tags(&t, host);
	test_system_tags(&t, zone, cluster, host);
	test_list_query(&t, host, host2);
	test_token_helper(&t, host);
	test_concurrent_add(&t, host);
	test_delete_events(&t, host);
	test_zsctl(&t, argv[5], host);
	test_cascade(&t);
	test_accounts(&t);
	zs_client_close(t.client);
	ZST_CHECK(zst_node_stop(&t.node) == 0, "the node stops cleanly");
	zst_node_cleanup(&t.node);
	zst_rmtree(plugins);
	test_overlap_refused(argv[2], argv[3], argv[4]);
	return zst_summary();
}
