/*
 * config_test.c: global configs and error codes against real zsnode processes with the
 * cfgtest plugin: list by category, get, bad values (INVALID_ARGUMENT naming the config
 * and the rule), admin-only update and reset, the change event on the pub socket, a
 * plugin's watcher and its reads from memory, the override order host > cluster > zone >
 * global through system tags, a change on one node reaching another node of the same
 * database, values kept across a restart (and a stored value that no longer validates),
 * the errors list, a timeout three calls deep seen at the top with its cause chain, and
 * zsctl's config and errors commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>

#include "cfg_util.h"
#include "zs/cfgtest/v1/cfgtest.pb-c.h"
#include "zs/config/v1/config.pb-c.h"
#include "zs/error/v1/errors.pb-c.h"
#include "zs/rpc/v1/event.pb-c.h"
#include "zs/tag/v1/tag.pb-c.h"

#define ZONE_UUID "7a0e0000-0000-4000-8000-000000000001"
#define CLUSTER_UUID "7a0e0000-0000-4000-8000-000000000002"
#define HOST_UUID "7a0e0000-0000-4000-8000-000000000003"
#define CROSS_NODE_MS 5000

typedef Zs__Config__V1__ConfigInfo config_info;

/* ---- calls ---- */

static int
get_config(const cfg_node *cn, const char *session, const char *category, const char *name,
    const char *resource, config_info **out, zs_status **st)
{
	Zs__Config__V1__GetConfigRequest req = ZS__CONFIG__V1__GET_CONFIG_REQUEST__INIT;
	req.category = (char *) category;
	req.name = (char *) name;
	req.resource_uuid = (char *) (resource ? resource : "");
	return cfg_call(cn, session, "zs.config.v1.GlobalConfig/Get", &req.base,
	    &zs__config__v1__config_info__descriptor, out, st, 0);
}

static int
update_config(const cfg_node *cn, const char *session, const char *category, const char *name,
    const char *value, config_info **out, zs_status **st)
{
	Zs__Config__V1__UpdateConfigRequest req = ZS__CONFIG__V1__UPDATE_CONFIG_REQUEST__INIT;
	req.category = (char *) category;
	req.name = (char *) name;
	req.value = (char *) value;
	return cfg_call(cn, session, "zs.config.v1.GlobalConfig/Update", &req.base,
	    &zs__config__v1__config_info__descriptor, out, st, 0);
}

static int
reset_config(const cfg_node *cn, const char *session, const char *category, const char *name,
    config_info **out, zs_status **st)
{
	Zs__Config__V1__ResetConfigRequest req = ZS__CONFIG__V1__RESET_CONFIG_REQUEST__INIT;
	req.category = (char *) category;
	req.name = (char *) name;
	return cfg_call(cn, session, "zs.config.v1.GlobalConfig/Reset", &req.base,
	    &zs__config__v1__config_info__descriptor, out, st, 0);
}

static int
list_configs(const cfg_node *cn, const char *session, const char *category,
    Zs__Config__V1__ListConfigsResponse **out, zs_status **st)
{
	Zs__Config__V1__ListConfigsRequest req = ZS__CONFIG__V1__LIST_CONFIGS_REQUEST__INIT;
	req.category = (char *) category;
	return cfg_call(cn, session, "zs.config.v1.GlobalConfig/List", &req.base,
	    &zs__config__v1__list_configs_response__descriptor, out, st, 0);
}

/* The plugin's view of a config (zs_config_get and the typed reads). */
static Zs__Cfgtest__V1__ReadReply *
plugin_read(const cfg_node *cn, const char *category, const char *name)
{
	Zs__Cfgtest__V1__ReadRequest req = ZS__CFGTEST__V1__READ_REQUEST__INIT;
	Zs__Cfgtest__V1__ReadReply *reply;
	zs_status *st;
	req.category = (char *) category;
	req.name = (char *) name;
	if (cfg_call(cn, NULL, "zs.cfgtest.v1.CfgTest/Read", &req.base,
	    &zs__cfgtest__v1__read_reply__descriptor, &reply, &st, 0) != 0) {
		zst_note("Read: %s", st ? st->message : "");
		zs_status_free(st);
		return NULL;
	}
	return reply;
}

static Zs__Cfgtest__V1__SeenReply *
plugin_seen(const cfg_node *cn)
{
	Zs__Cfgtest__V1__SeenRequest req = ZS__CFGTEST__V1__SEEN_REQUEST__INIT;
	Zs__Cfgtest__V1__SeenReply *reply;
	zs_status *st;
	if (cfg_call(cn, NULL, "zs.cfgtest.v1.CfgTest/Seen", &req.base,
	    &zs__cfgtest__v1__seen_reply__descriptor, &reply, &st, 0) != 0) {
		zs_status_free(st);
		return NULL;
	}
	return reply;
}

/* True when the plugin on cn reads want for category/name. */
typedef struct read_wait {
	const cfg_node *cn;
	const char *category, *name, *want;
} read_wait;

static bool
plugin_reads(void *arg)
{
	read_wait *w = arg;
	Zs__Cfgtest__V1__ReadReply *r = plugin_read(w->cn, w->category, w->name);
	bool ok = r != NULL && strcmp(r->value, w->want) == 0;
	zs_reply_free(r);
	return ok;
}

/* ---- list and get ---- */

static void
test_list(const cfg_node *a)
{
	Zs__Config__V1__ListConfigsResponse *l;
	zs_status *st;
	static const char *want[] = { "count", "enabled", "maxDelay", "mode", "reservedMemory" };
	int code = list_configs(a, NULL, "cfgtest", &l, &st);
	if (!ZST_CHECK(code == 0, "List cfgtest answers (%s)", zs_client_code_name(code))) {
		zs_status_free(st);
		return;
	}
	bool names = l->n_configs == 5;
	for (size_t i = 0; names && i < 5; i++)
		names = strcmp(l->configs[i]->category, "cfgtest") == 0 &&
		    strcmp(l->configs[i]->name, want[i]) == 0 &&
		    strcmp(l->configs[i]->service, "cfgtest") == 0 &&
		    strcmp(l->configs[i]->source, "default") == 0;
	ZST_CHECK(names, "List cfgtest gives its 5 configs, sorted, declared by cfgtest, at their "
	    "defaults (%zu)", l->n_configs);
	zs_reply_free(l);

	code = list_configs(a, NULL, "cfgother", &l, &st);
	ZST_CHECK(code == 0 && l->n_configs == 1 && strcmp(l->configs[0]->name, "color") == 0 &&
	    strcmp(l->configs[0]->value, "blue") == 0, "List cfgother gives only cfgother.color");
	zs_reply_free(l);
	zs_status_free(st);

	code = list_configs(a, NULL, "", &l, &st);
	size_t seen = 0;
	bool sorted = code == 0;
	for (size_t i = 0; code == 0 && i < l->n_configs; i++) {
		seen += strcmp(l->configs[i]->category, "cfgtest") == 0 ||
		    strcmp(l->configs[i]->category, "cfgother") == 0;
		if (i > 0) {
			int c = strcmp(l->configs[i - 1]->category, l->configs[i]->category);
			sorted = sorted && (c < 0 || (c == 0 && strcmp(l->configs[i - 1]->name,
			    l->configs[i]->name) < 0));
		}
	}
	ZST_CHECK(code == 0 && seen == 6 && sorted, "List with no category gives every config "
	    "(cfgtest's and cfgother's among %zu), sorted", code == 0 ? l->n_configs : 0);
	zs_reply_free(l);
	zs_status_free(st);
}

static void
test_get(const cfg_node *a)
{
	config_info *c;
	zs_status *st;
	int code = get_config(a, NULL, "cfgtest", "maxDelay", NULL, &c, &st);
	ZST_CHECK(code == 0 && strcmp(c->value, "10s") == 0 && strcmp(c->type, "duration") == 0 &&
	    strcmp(c->min, "1s") == 0 && strcmp(c->max, "60s") == 0 &&
	    strcmp(c->default_value, "10s") == 0 && strcmp(c->description, "the longest delay") == 0,
	    "Get cfgtest.maxDelay: 10s, duration, range 1s..60s, with its description");
	zs_reply_free(c);
	zs_status_free(st);

	code = get_config(a, NULL, "cfgtest", "mode", NULL, &c, &st);
	ZST_CHECK(code == 0 && c->n_allowed == 2 && strcmp(c->allowed[0], "safe") == 0 &&
	    strcmp(c->allowed[1], "balanced") == 0 && !c->resource_override && c->override_tag[0] == '\0',
	    "Get cfgtest.mode lists its allowed values: safe, balanced");
	zs_reply_free(c);
	zs_status_free(st);

	code = get_config(a, NULL, "cfgtest", "reservedMemory", NULL, &c, &st);
	ZST_CHECK(code == 0 && c->resource_override &&
	    strcmp(c->override_tag, "cfgtest::reservedMemory::{value}") == 0,
	    "Get cfgtest.reservedMemory names its override tag cfgtest::reservedMemory::{value}");
	zs_reply_free(c);
	zs_status_free(st);

	code = get_config(a, NULL, "cfgtest", "nosuch", NULL, &c, &st);
	ZST_CHECK(code == ZS__RPC__V1__CODE__NOT_FOUND && st != NULL &&
	    strcmp(st->error_code, "CONFIG.1002") == 0 && strstr(st->message, "cfgtest.nosuch") != NULL,
	    "Get of an undeclared config is NOT_FOUND (CONFIG.1002) naming it: %s",
	    st ? st->message : "");
	zs_reply_free(c);
	zs_status_free(st);
}

/* ---- bad values ---- */

static void
test_validation(const cfg_node *a)
{
	static const struct {
		const char *name, *value, *message;
	} bad[] = {
		{ "reservedMemory", "12X", "config cfgtest.reservedMemory: \"12X\" is not a size (e.g. 512M, 2G)" },
		{ "reservedMemory", "65G", "config cfgtest.reservedMemory: 65G is above the maximum 64G" },
		{ "maxDelay", "90s", "config cfgtest.maxDelay: 90s is above the maximum 60s" },
		{ "maxDelay", "500ms", "config cfgtest.maxDelay: 500ms is below the minimum 1s" },
		{ "maxDelay", "10", "config cfgtest.maxDelay: \"10\" is not a duration (e.g. 500ms, 10s, 5m)" },
		{ "count", "0", "config cfgtest.count: 0 is below the minimum 1" },
		{ "count", "+5", "config cfgtest.count: \"+5\" is not an integer (e.g. 42 or -1)" },
		{ "count", "many", "config cfgtest.count: \"many\" is not an integer (e.g. 42 or -1)" },
		{ "mode", "fast", "config cfgtest.mode: \"fast\" is not one of: safe, balanced" },
		{ "enabled", "maybe", "config cfgtest.enabled: \"maybe\" is not a boolean (true or false)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		config_info *c;
		zs_status *st;
		int code = update_config(a, NULL, "cfgtest", bad[i].name, bad[i].value, &c, &st);
		ZST_CHECK(code == ZS__RPC__V1__CODE__INVALID_ARGUMENT && st != NULL &&
		    strcmp(st->message, bad[i].message) == 0 && strcmp(st->error_code, "CONFIG.1001") == 0 &&
		    strstr(st->description, "type, range or allowed values") != NULL,
		    "Update cfgtest.%s=%s: INVALID_ARGUMENT (CONFIG.1001) \"%s\"", bad[i].name,
		    bad[i].value, st ? st->message : zs_client_code_name(code));
		zs_reply_free(c);
		zs_status_free(st);
	}
	config_info *c;
	zs_status *st;
	int code = update_config(a, NULL, "cfgtest", "maxDelay", "90s", &c, &st);
	ZST_CHECK(code == ZS__RPC__V1__CODE__INVALID_ARGUMENT && st != NULL && st->n_details == 3 &&
	    strcmp(st->details[0], "config: cfgtest.maxDelay (duration)") == 0 &&
	    strcmp(st->details[1], "value: 90s") == 0 && strcmp(st->details[2], "range: 1s..60s") == 0,
	    "the refusal's details name the config, the value and the range");
	zs_reply_free(c);
	zs_status_free(st);
	code = update_config(a, NULL, "cfgtest", "mode", "fast", &c, &st);
	ZST_CHECK(code == ZS__RPC__V1__CODE__INVALID_ARGUMENT && st != NULL && st->n_details == 3 &&
	    strcmp(st->details[2], "allowed: safe, balanced") == 0,
	    "and for a string, the allowed values");
	zs_reply_free(c);
	zs_status_free(st);
	code = update_config(a, NULL, "cfgtest", "nosuch", "1", &c, &st);
	ZST_CHECK(code == ZS__RPC__V1__CODE__NOT_FOUND && st != NULL &&
	    strcmp(st->error_code, "CONFIG.1002") == 0, "Update of an undeclared config: NOT_FOUND");
	zs_reply_free(c);
	zs_status_free(st);
	code = get_config(a, NULL, "cfgtest", "maxDelay", NULL, &c, &st);
	ZST_CHECK(code == 0 && strcmp(c->value, "10s") == 0 && strcmp(c->source, "default") == 0,
	    "after the refused updates cfgtest.maxDelay is still its default 10s");
	zs_reply_free(c);
	zs_status_free(st);
}

/* ---- who may change ---- */

static void
test_permissions(const cfg_node *a)
{
	char user[256];
	config_info *c;
	zs_status *st;
	if (cfg_user(a, "cfguser", user, sizeof user) != 0) {
		ZST_CHECK(false, "a non-admin account can be made and logged in");
		return;
	}
	int code = update_config(a, user, "cfgtest", "mode", "balanced", &c, &st);
	ZST_CHECK(code == ZS__RPC__V1__CODE__PERMISSION_DENIED && st != NULL &&
	    strcmp(st->error_code, "CONFIG.1003") == 0,
	    "Update by a non-admin: PERMISSION_DENIED (CONFIG.1003): %s", st ? st->message : "");
	zs_reply_free(c);
	zs_status_free(st);
	code = reset_config(a, user, "cfgtest", "mode", &c, &st);
	ZST_CHECK(code == ZS__RPC__V1__CODE__PERMISSION_DENIED, "Reset by a non-admin: PERMISSION_DENIED");
	zs_reply_free(c);
	zs_status_free(st);
	code = get_config(a, user, "cfgtest", "mode", NULL, &c, &st);
	ZST_CHECK(code == 0 && strcmp(c->value, "safe") == 0, "Get by a non-admin works (safe)");
	zs_reply_free(c);
	zs_status_free(st);
	Zs__Config__V1__ListPropertiesRequest preq = ZS__CONFIG__V1__LIST_PROPERTIES_REQUEST__INIT;
	Zs__Config__V1__ListPropertiesResponse *props;
	code = cfg_call(a, user, "zs.config.v1.Properties/List", &preq.base,
	    &zs__config__v1__list_properties_response__descriptor, &props, &st, 0);
	ZST_CHECK(code == ZS__RPC__V1__CODE__PERMISSION_DENIED,
	    "Properties/List by a non-admin: PERMISSION_DENIED");
	zs_reply_free(props);
	zs_status_free(st);
	code = get_config(a, "", "cfgtest", "mode", NULL, &c, &st);
	ZST_CHECK(code == ZS__RPC__V1__CODE__UNAUTHENTICATED, "Get without a session: UNAUTHENTICATED");
	zs_reply_free(c);
	zs_status_free(st);
}

/* ---- update, event, watcher, reads ---- */

static int
events_open(nng_socket *s, const char *url)
{
	int rv = nng_sub0_open(s);
	if (rv == 0 && ((rv = nng_socket_set(*s, NNG_OPT_SUB_SUBSCRIBE, "config/", 7)) != 0 ||
	    (rv = nng_socket_set_ms(*s, NNG_OPT_RECVTIMEO, 3000)) != 0 ||
	    (rv = nng_dial(*s, url, NULL, 0)) != 0))
		nng_close(*s);
	if (rv == 0)
		zst_sleep_ms(300);   /* let the pub side see the subscriber */
	return rv;
}

/* The next event: its topic and ConfigInfo body (caller frees), or NULL. The feed has the
 * header; the body comes from Events/Recent (config events are for admins). */
static config_info *
events_next(const cfg_node *a, nng_socket s, char *topic, size_t topic_len)
{
	char *buf;
	size_t n;
	if (nng_recv(s, &buf, &n, NNG_FLAG_ALLOC) != 0)
		return NULL;
	config_info *info = NULL;
	const char *nul = memchr(buf, '\0', n);
	if (nul != NULL) {
		snprintf(topic, topic_len, "%s", buf);
		size_t off = (size_t) (nul - buf) + 1;
		Zs__Rpc__V1__Event *head = zs__rpc__v1__event__unpack(NULL, n - off, (uint8_t *) buf + off);
		Zs__Rpc__V1__Event *ev = head != NULL ? zst_event_fetch(a->n.rpc_url, a->n.session,
		    head->sequence) : NULL;
		zs__rpc__v1__event__free_unpacked(head, NULL);
		if (ev != NULL && strcmp(ev->type, "zs.config.v1.ConfigInfo") == 0)
			info = zs__config__v1__config_info__unpack(NULL, ev->body.len, ev->body.data);
		if (ev != NULL)
			zs__rpc__v1__event__free_unpacked(ev, NULL);
	}
	nng_free(buf, n);
	return info;
}

static void
test_update_event_watcher(const cfg_node *a)
{
	nng_socket sub;
	if (!ZST_CHECK(events_open(&sub, a->n.events_url) == 0, "subscribed to config/ events"))
		return;
	config_info *c;
	zs_status *st;
	int code = update_config(a, NULL, "cfgtest", "mode", "balanced", &c, &st);
	ZST_CHECK(code == 0 && strcmp(c->value, "balanced") == 0 && strcmp(c->source, "global") == 0,
	    "Update cfgtest.mode=balanced answers the config: balanced, source global (%s)",
	    st ? st->message : "");
	zs_reply_free(c);
	zs_status_free(st);

	char topic[256] = "";
	config_info *ev = events_next(a, sub, topic, sizeof topic);
	ZST_CHECK(ev != NULL && strcmp(topic, "config/cfgtest/mode") == 0 &&
	    strcmp(ev->value, "balanced") == 0 && strcmp(ev->source, "global") == 0,
	    "the event config/cfgtest/mode arrives on the pub socket with the ConfigInfo (%s)", topic);
	zs_reply_free(ev);

	Zs__Cfgtest__V1__SeenReply *seen = plugin_seen(a);
	ZST_CHECK(seen != NULL && seen->count == 1 && strcmp(seen->category, "cfgtest") == 0 &&
	    strcmp(seen->name, "mode") == 0 && strcmp(seen->value, "balanced") == 0,
	    "the plugin's watcher saw the change once: cfgtest.mode = balanced");
	zs_reply_free(seen);

	code = update_config(a, NULL, "cfgtest", "mode", "balanced", &c, &st);
	zs_reply_free(c);
	zs_status_free(st);
	seen = plugin_seen(a);
	ZST_CHECK(code == 0 && seen != NULL && seen->count == 1,
	    "an update to the value it has already is no change for the watcher");
	zs_reply_free(seen);
	zs_reply_free(events_next(a, sub, topic, sizeof topic));

	code = update_config(a, NULL, "cfgother", "color", "red", &c, &st);
	zs_reply_free(c);
	zs_status_free(st);
	seen = plugin_seen(a);
	ZST_CHECK(code == 0 && seen != NULL && seen->count == 1,
	    "a watcher of category cfgtest does not see cfgother.color change");
	zs_reply_free(seen);
	ev = events_next(a, sub, topic, sizeof topic);
	ZST_CHECK(ev != NULL && strcmp(topic, "config/cfgother/color") == 0,
	    "the change of cfgother.color has its event too");
	zs_reply_free(ev);

	code = reset_config(a, NULL, "cfgother", "color", &c, &st);
	ZST_CHECK(code == 0 && strcmp(c->value, "blue") == 0 && strcmp(c->source, "default") == 0,
	    "Reset cfgother.color: back to blue, source default");
	zs_reply_free(c);
	zs_status_free(st);
	ev = events_next(a, sub, topic, sizeof topic);
	ZST_CHECK(ev != NULL && strcmp(topic, "config/cfgother/color") == 0 &&
	    strcmp(ev->value, "blue") == 0, "the reset has its event, with the default value");
	zs_reply_free(ev);
	nng_close(sub);
}

static void
test_plugin_reads(const cfg_node *a)
{
	static const struct {
		const char *name, *value, *stored;
	} sets[] = {
		{ "count", "42", "42" }, { "enabled", "off", "false" }, { "maxDelay", "30s", "30s" },
		{ "reservedMemory", "2G", "2G" },
	};
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		config_info *c;
		zs_status *st;
		int code = update_config(a, NULL, "cfgtest", sets[i].name, sets[i].value, &c, &st);
		ZST_CHECK(code == 0 && strcmp(c->value, sets[i].stored) == 0,
		    "Update cfgtest.%s=%s is kept as %s", sets[i].name, sets[i].value, sets[i].stored);
		zs_reply_free(c);
		zs_status_free(st);
	}
	Zs__Cfgtest__V1__ReadReply *r = plugin_read(a, "cfgtest", "count");
	ZST_CHECK(r != NULL && r->declared && strcmp(r->value, "42") == 0 && r->number == 42,
	    "the plugin reads cfgtest.count = 42 (zs_config_get, zs_config_int)");
	zs_reply_free(r);
	r = plugin_read(a, "cfgtest", "enabled");
	ZST_CHECK(r != NULL && strcmp(r->value, "false") == 0 && !r->flag,
	    "the plugin reads cfgtest.enabled = false (zs_config_bool)");
	zs_reply_free(r);
	r = plugin_read(a, "cfgtest", "maxDelay");
	ZST_CHECK(r != NULL && r->duration_ms == 30000, "the plugin reads cfgtest.maxDelay = 30000 ms "
	    "(zs_config_duration_ms)");
	zs_reply_free(r);
	r = plugin_read(a, "cfgtest", "reservedMemory");
	ZST_CHECK(r != NULL && r->size == 2ull << 30, "the plugin reads cfgtest.reservedMemory = "
	    "2147483648 bytes (zs_config_size)");
	zs_reply_free(r);
	r = plugin_read(a, "cfgtest", "nosuch");
	ZST_CHECK(r != NULL && !r->declared && r->number == 0, "an undeclared config reads as "
	    "not declared, 0");
	zs_reply_free(r);
}

/* ---- resource overrides ---- */

static bool
override_rows(PGconn *pg, const char *owner)
{
	return cfg_sql(pg, "INSERT INTO zs_resources (uuid, type, name, owner_uuid) VALUES ($1, 'Zone', "
	    "'z1', $2)", ZONE_UUID, owner, NULL) == 0 &&
	    cfg_sql(pg, "INSERT INTO zs_resources (uuid, type, name, owner_uuid, parent_uuid) VALUES "
	    "($1, 'Cluster', 'c1', $2, $3)", CLUSTER_UUID, owner, ZONE_UUID, NULL) == 0 &&
	    cfg_sql(pg, "INSERT INTO zs_resources (uuid, type, name, owner_uuid, parent_uuid) VALUES "
	    "($1, 'Host', 'h1', $2, $3)", HOST_UUID, owner, CLUSTER_UUID, NULL) == 0;
}

static int
override_tag(PGconn *pg, const char *tag_uuid, const char *resource, const char *type,
    const char *value, const char *owner)
{
	char tag[128];
	snprintf(tag, sizeof tag, "cfgtest::reservedMemory::%s", value);
	return cfg_sql(pg, "INSERT INTO zs_tags (uuid, resource_uuid, resource_type, kind, tag, "
	    "pattern, owner_uuid) VALUES ($1, $2, $3, 'system', $4, 'cfgtest::reservedMemory::{value}', $5)",
	    tag_uuid, resource, type, tag, owner, NULL);
}

/* Get reservedMemory for the host: value and source as wanted. */
static void
override_expect(const cfg_node *a, const char *value, const char *source, const char *why)
{
	config_info *c;
	zs_status *st;
	int code = get_config(a, NULL, "cfgtest", "reservedMemory", HOST_UUID, &c, &st);
	ZST_CHECK(code == 0 && strcmp(c->value, value) == 0 && strcmp(c->source, source) == 0 &&
	    strcmp(c->resource_uuid, HOST_UUID) == 0,
	    "%s: Get for the host gives %s from %s (got %s from %s)", why, value, source,
	    code == 0 ? c->value : zs_client_code_name(code), code == 0 ? c->source : (st ? st->message : ""));
	zs_reply_free(c);
	zs_status_free(st);
}

/* The tags engine takes the pattern configs imply: a tag made through its API counts. */
static void
override_through_api(const cfg_node *a)
{
	Zs__Tag__V1__CreateTagRequest req = ZS__TAG__V1__CREATE_TAG_REQUEST__INIT;
	Zs__Tag__V1__TagInfo *tag;
	zs_status *st;
	req.resource_uuid = (char *) CLUSTER_UUID;
	req.kind = ZS__TAG__V1__TAG_KIND__SYSTEM;
	req.tag = (char *) "cfgtest::reservedMemory::6G";
	int code = cfg_call(a, NULL, "zs.tag.v1.Tags/Create", &req.base,
	    &zs__tag__v1__tag_info__descriptor, &tag, &st, 0);
	/* tags is a platform module: UNIMPLEMENTED here is a failure like any other */
	ZST_CHECK(code == 0 && strcmp(tag->pattern, "cfgtest::reservedMemory::{value}") == 0,
	    "Tags/Create takes cfgtest::reservedMemory::6G on the cluster, matching the pattern "
	    "the config implies (%s: %s)", zs_client_code_name(code), st ? st->message : "");
	if (code == 0)
		override_expect(a, "6G", "Cluster", "a system tag made through the Tags API");
	zs_reply_free(tag);
	zs_status_free(st);
}

static void
test_override(const cfg_node *a)
{
	PGconn *pg = cfg_pg(&a->n);
	const char *owner = a->admin_uuid;
	if (!ZST_CHECK(pg != NULL && override_rows(pg, owner) &&
	    override_tag(pg, "7a0e0000-0000-4000-8000-0000000000a1", ZONE_UUID, "Zone", "1G", owner) == 0 &&
	    override_tag(pg, "7a0e0000-0000-4000-8000-0000000000a2", CLUSTER_UUID, "Cluster", "3G", owner) == 0 &&
	    override_tag(pg, "7a0e0000-0000-4000-8000-0000000000a3", HOST_UUID, "Host", "4G", owner) == 0,
	    "a zone, a cluster in it, a host in that, each with a cfgtest::reservedMemory tag")) {
		PQfinish(pg);
		return;
	}
	override_expect(a, "4G", "Host", "tags on host, cluster and zone");
	int code;
	char *out = cfg_zsctl(a, NULL, &code, NULL, "config", "get", "cfgtest", "reservedMemory",
	    "--resource", HOST_UUID, NULL);
	ZST_CHECK(code == 0 && strstr(out, "cfgtest.reservedMemory = 4G") != NULL &&
	    strstr(out, "source:      Host") != NULL,
	    "zsctl config get cfgtest reservedMemory --resource HOST shows 4G from Host");
	free(out);
	cfg_sql(pg, "DELETE FROM zs_tags WHERE resource_uuid = $1", HOST_UUID, NULL);
	override_expect(a, "3G", "Cluster", "no host tag");
	override_tag(pg, "7a0e0000-0000-4000-8000-0000000000a4", HOST_UUID, "Host", "lots", owner);
	override_expect(a, "3G", "Cluster", "an invalid host tag (lots) is skipped");
	ZST_CHECK(zst_node_stderr_has(&a->n, "system tag cfgtest::reservedMemory::lots on Host"),
	    "the node logs the skipped tag");
	cfg_sql(pg, "DELETE FROM zs_tags WHERE resource_uuid IN ($1, $2)", HOST_UUID, CLUSTER_UUID, NULL);
	override_expect(a, "1G", "Zone", "no host or cluster tag");
	cfg_sql(pg, "DELETE FROM zs_tags WHERE resource_uuid = $1", ZONE_UUID, NULL);
	override_expect(a, "2G", "global", "no tag at all (2G is the global value set before)");
	override_through_api(a);

	config_info *c;
	zs_status *st;
	code = get_config(a, NULL, "cfgtest", "reservedMemory", "7a0e0000-0000-4000-8000-0000000000ff", &c, &st);
	ZST_CHECK(code == ZS__RPC__V1__CODE__NOT_FOUND, "Get for a resource that does not exist: NOT_FOUND");
	zs_reply_free(c);
	zs_status_free(st);
	char user[256];
	if (cfg_login(a, "cfguser", "config-suite-user-pw-1", user, sizeof user) == 0) {
		code = get_config(a, user, "cfgtest", "reservedMemory", HOST_UUID, &c, &st);
		ZST_CHECK(code == ZS__RPC__V1__CODE__NOT_FOUND,
		    "Get for another account's host: NOT_FOUND, as for one that does not exist");
		zs_reply_free(c);
		zs_status_free(st);
	}
	PQfinish(pg);
}

/* ---- another node of the same database ---- */

/* A value written behind the nodes' backs (no notification) and then every database
 * connection cut: node B reconnects its listener and reads every value again. */
static void
test_cross_node_outage(const cfg_node *a, const cfg_node *b)
{
	PGconn *pg = cfg_pg(&a->n);
	bool cut = pg != NULL && cfg_sql(pg, "INSERT INTO zs_global_configs (category, name, value) "
	    "VALUES ('cfgtest', 'count', '11')", NULL) == 0;
	zst_sleep_ms(200);
	Zs__Cfgtest__V1__ReadReply *r = plugin_read(b, "cfgtest", "count");
	ZST_CHECK(cut && r != NULL && strcmp(r->value, "5") == 0, "a value stored without a "
	    "notification (cfgtest.count = 11) is not seen by node B yet");
	zs_reply_free(r);
	cut = cut && cfg_sql(pg, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
	    "WHERE pid <> pg_backend_pid() AND datname = 'zsnode'", NULL) == 0;
	PQfinish(pg);
	ZST_CHECK(cut, "every database connection of both nodes is cut");
	read_wait w = { b, "cfgtest", "count", "11" };
	int64_t t0 = zst_now_ms();
	ZST_CHECK(cfg_wait(plugin_reads, &w, CROSS_NODE_MS) &&
	    zst_node_stderr_has(&b->n, "listens for other nodes' config changes broke"),
	    "node B reconnects its listener, reads every value again and finds 11 (%lld ms)",
	    (long long) (zst_now_ms() - t0));
	config_info *c = NULL;
	zs_status *st = NULL;
	int code = -1;
	/* a pooled connection cut a moment ago may fail one call: callers retry UNAVAILABLE */
	for (int i = 0; i < 3 && code != 0; i++) {
		zs_reply_free(c);
		zs_status_free(st);
		code = reset_config(a, NULL, "cfgtest", "count", &c, &st);
	}
	zs_reply_free(c);
	zs_status_free(st);
	w = (read_wait) { b, "cfgtest", "count", "5" };
	ZST_CHECK(code == 0 && cfg_wait(plugin_reads, &w, CROSS_NODE_MS),
	    "and the next change (a reset on node A) arrives by notification again");
}

static void
test_cross_node(const cfg_node *a, const char *plugins)
{
	char *conninfo = cfg_pg_conninfo(&a->n), set[1024];
	snprintf(set, sizeof set, "db.url=%s", conninfo ? conninfo : "");
	free(conninfo);
	const char *sets[] = { set, NULL };
	cfg_node b;
	if (!ZST_CHECK(cfg_start(&b, plugins, sets) == 0, "a second node starts on the first one's "
	    "database"))
		return;
	config_info *c;
	zs_status *st;
	int code = update_config(a, NULL, "cfgtest", "count", "7", &c, &st);
	zs_reply_free(c);
	zs_status_free(st);
	read_wait w = { &b, "cfgtest", "count", "7" };
	int64_t t0 = zst_now_ms();
	ZST_CHECK(code == 0 && cfg_wait(plugin_reads, &w, CROSS_NODE_MS),
	    "an update on node A reaches node B's memory (%lld ms)", (long long) (zst_now_ms() - t0));
	Zs__Cfgtest__V1__SeenReply *seen = plugin_seen(&b);
	ZST_CHECK(seen != NULL && strcmp(seen->name, "count") == 0 && strcmp(seen->value, "7") == 0,
	    "node B's watcher saw cfgtest.count = 7");
	zs_reply_free(seen);

	code = update_config(&b, NULL, "cfgtest", "count", "9", &c, &st);
	zs_reply_free(c);
	zs_status_free(st);
	w = (read_wait) { a, "cfgtest", "count", "9" };
	ZST_CHECK(code == 0 && cfg_wait(plugin_reads, &w, CROSS_NODE_MS),
	    "an update on node B reaches node A's memory");
	code = reset_config(a, NULL, "cfgtest", "count", &c, &st);
	zs_reply_free(c);
	zs_status_free(st);
	w = (read_wait) { &b, "cfgtest", "count", "5" };
	ZST_CHECK(code == 0 && cfg_wait(plugin_reads, &w, CROSS_NODE_MS),
	    "a reset on node A takes node B back to the default 5");
	code = get_config(&b, NULL, "cfgtest", "count", NULL, &c, &st);
	ZST_CHECK(code == 0 && strcmp(c->source, "default") == 0, "node B says the source is default");
	zs_reply_free(c);
	zs_status_free(st);
	test_cross_node_outage(a, &b);
	cfg_stop(&b);
}

/* ---- error codes and cause chains ---- */

static void
test_errors(const cfg_node *a)
{
	Zs__Error__V1__ListErrorsRequest req = ZS__ERROR__V1__LIST_ERRORS_REQUEST__INIT;
	Zs__Error__V1__ListErrorsResponse *l;
	zs_status *st;
	req.prefix = (char *) "CFGTEST";
	int code = cfg_call(a, NULL, "zs.error.v1.Errors/List", &req.base,
	    &zs__error__v1__list_errors_response__descriptor, &l, &st, 0);
	ZST_CHECK(code == 0 && l->n_errors == 2 && strcmp(l->errors[0]->code, "CFGTEST.1001") == 0 &&
	    strcmp(l->errors[1]->code, "CFGTEST.1002") == 0 && strcmp(l->errors[0]->service, "cfgtest") == 0 &&
	    strcmp(l->errors[1]->description, "the end of the chain waited past its deadline") == 0,
	    "Errors/List CFGTEST: its two codes, sorted, with service and description");
	zs_reply_free(l);
	zs_status_free(st);

	req.prefix = (char *) "";
	code = cfg_call(a, NULL, "zs.error.v1.Errors/List", &req.base,
	    &zs__error__v1__list_errors_response__descriptor, &l, &st, 0);
	bool sorted = code == 0, has_config = false, has_echo = false, has_identity = false;
	for (size_t i = 0; code == 0 && i < l->n_errors; i++) {
		sorted = sorted && (i == 0 || strcmp(l->errors[i - 1]->code, l->errors[i]->code) < 0);
		has_config = has_config || strcmp(l->errors[i]->code, "CONFIG.1001") == 0;
		has_echo = has_echo || strcmp(l->errors[i]->code, "ECHO.1001") == 0;
		has_identity = has_identity || strncmp(l->errors[i]->code, "IDENTITY.", 9) == 0;
	}
	ZST_CHECK(sorted && has_config && has_echo && has_identity,
	    "Errors/List gives every code sorted: plugins' (ECHO.1001) and platform modules' "
	    "(CONFIG.1001, IDENTITY.*)");
	zs_reply_free(l);
	zs_status_free(st);

	int rc;
	char *out = cfg_zsctl(a, NULL, &rc, NULL, "errors", "cfgtest", NULL);
	ZST_CHECK(rc == 0 && strstr(out, "CODE") != NULL && strstr(out, "CFGTEST.1001") != NULL &&
	    strstr(out, "a call further down the chain failed") != NULL && strstr(out, "ECHO") == NULL,
	    "zsctl errors cfgtest prints a table of the CFGTEST codes only");
	free(out);
}

static void
test_chain(const cfg_node *a)
{
	Zs__Cfgtest__V1__ChainRequest req = ZS__CFGTEST__V1__CHAIN_REQUEST__INIT;
	Zs__Cfgtest__V1__ChainReply *reply;
	zs_status *st;
	req.depth = 3;
	int64_t t0 = zst_now_ms();
	int code = cfg_call(a, NULL, "zs.cfgtest.v1.CfgTest/Chain", &req.base,
	    &zs__cfgtest__v1__chain_reply__descriptor, &reply, &st, 400);
	int64_t took = zst_now_ms() - t0;
	size_t len = 0;
	const zs_status *root = st;
	for (const zs_status *s = st; s != NULL; s = s->cause) {
		len++;
		root = s;
	}
	ZST_CHECK(code == ZS__RPC__V1__CODE__DEADLINE_EXCEEDED && st != NULL &&
	    strcmp(st->error_code, "CFGTEST.1001") == 0 &&
	    strcmp(st->description, "a call further down the chain failed") == 0,
	    "a timeout three calls deep: DEADLINE_EXCEEDED at the top (CFGTEST.1001 with its "
	    "description) after %lld ms", (long long) took);
	ZST_CHECK(len == 4, "the cause chain has the top and one status per level below: 4 (%zu)", len);
	ZST_CHECK(root != NULL && root->code == ZS__RPC__V1__CODE__DEADLINE_EXCEEDED &&
	    strcmp(root->error_code, "CFGTEST.1002") == 0 &&
	    strcmp(root->message, "chain depth 0 waited past its deadline") == 0 &&
	    strcmp(root->description, "the end of the chain waited past its deadline") == 0,
	    "the root cause is the deadline at depth 0 (CFGTEST.1002): %s", root ? root->message : "");
	ZST_CHECK(st != NULL && st->cause != NULL &&
	    strcmp(st->cause->message, "chain depth 2: the call to depth 1 failed") == 0,
	    "each level says which call failed: %s", st && st->cause ? st->cause->message : "");
	ZST_CHECK(took >= 350 && took < 1400, "the answer comes at the deadline (400 ms), not later");
	zs_reply_free(reply);
	zs_status_free(st);

	int rc;
	char *err = NULL;
	char *out = cfg_zsctl(a, NULL, &rc, &err, "--timeout", "300", "call", "zs.cfgtest.v1.CfgTest/Chain",
	    "{\"depth\":3}", NULL);
	size_t causes = 0;
	for (const char *p = err; p != NULL && (p = strstr(p, "caused by:")) != NULL; p++)
		causes++;
	ZST_CHECK(rc == 1 && err != NULL && strstr(err, "error: DEADLINE_EXCEEDED (CFGTEST.1001)") != NULL &&
	    causes == 3 && strstr(err, "caused by: DEADLINE_EXCEEDED (CFGTEST.1002)") != NULL,
	    "zsctl prints the failure and its 3 causes down to CFGTEST.1002");
	free(out);
	free(err);
}

/* ---- zsctl ---- */

static void
test_zsctl(const cfg_node *a)
{
	int rc;
	char *out = cfg_zsctl(a, NULL, &rc, NULL, "config", "list", "cfgtest", NULL);
	ZST_CHECK(rc == 0 && strncmp(out, "CONFIG", 6) == 0 && strstr(out, "cfgtest.maxDelay") != NULL &&
	    strstr(out, "cfgother") == NULL, "zsctl config list cfgtest prints a table of cfgtest's configs");
	free(out);
	out = cfg_zsctl(a, NULL, &rc, NULL, "--json", "config", "get", "cfgtest", "maxDelay", NULL);
	ZST_CHECK(rc == 0 && out[0] == '{' && strstr(out, "\"value\":\"30s\"") != NULL,
	    "zsctl --json config get prints the config as JSON");
	free(out);
	out = cfg_zsctl(a, NULL, &rc, NULL, "config", "update", "cfgtest", "maxDelay", "20s", NULL);
	ZST_CHECK(rc == 0 && strstr(out, "cfgtest.maxDelay = 20s") != NULL &&
	    strstr(out, "source:      global") != NULL, "zsctl config update sets 20s");
	free(out);
	char *err = NULL;
	out = cfg_zsctl(a, NULL, &rc, &err, "config", "update", "cfgtest", "maxDelay", "2h", NULL);
	ZST_CHECK(rc == 1 && err != NULL && strstr(err, "INVALID_ARGUMENT (CONFIG.1001): config "
	    "cfgtest.maxDelay: 2h is above the maximum 60s") != NULL,
	    "zsctl config update with a bad value prints the rule and exits 1");
	free(out);
	free(err);
	out = cfg_zsctl(a, NULL, &rc, NULL, "config", "reset", "cfgtest", "maxDelay", NULL);
	ZST_CHECK(rc == 0 && strstr(out, "cfgtest.maxDelay = 10s") != NULL &&
	    strstr(out, "source:      default") != NULL, "zsctl config reset goes back to 10s");
	free(out);
	out = cfg_zsctl(a, NULL, &rc, NULL, "properties", NULL);
	ZST_CHECK(rc == 0 && strstr(out, "cfgtest.secret") != NULL && strstr(out, "********") != NULL &&
	    strstr(out, "hunter2") == NULL && strstr(out, CFG_ADMIN_PASSWORD) == NULL,
	    "zsctl properties lists them with secrets masked (cfgtest.secret, the admin password)");
	free(out);
	out = cfg_zsctl(a, NULL, &rc, NULL, "--json", "properties", NULL);
	ZST_CHECK(rc == 0 && strstr(out, "{\"name\":\"cfgtest.secret\",\"value\":\"********\","
	    "\"source\":\"flag\",\"owner\":\"cfgtest\"") != NULL,
	    "zsctl --json properties: cfgtest.secret masked, from the flag, owned by cfgtest");
	free(out);
}

/* ---- restart ---- */

static void
test_restart(cfg_node *a, const char *plugins)
{
	PGconn *pg = cfg_pg(&a->n);
	/* a value stored behind the node's back that its rules no longer accept */
	ZST_CHECK(pg != NULL && cfg_sql(pg, "INSERT INTO zs_global_configs (category, name, value) "
	    "VALUES ('cfgtest', 'count', 'many') ON CONFLICT (category, name) DO UPDATE SET value = "
	    "EXCLUDED.value", NULL) == 0, "a stored value that does not validate (cfgtest.count = many)");
	PQfinish(pg);
	if (a->client != NULL)
		zs_client_close(a->client);
	a->client = NULL;
	zst_node_stop(&a->n);

	char set[512];
	snprintf(set, sizeof set, "data.dir=%s", a->n.data_dir);
	const char *sets[] = { set, NULL };
	cfg_node b;
	if (!ZST_CHECK(cfg_start(&b, plugins, sets) == 0, "the node starts again on the same data.dir"))
		return;
	config_info *c;
	zs_status *st;
	int code = get_config(&b, NULL, "cfgtest", "mode", NULL, &c, &st);
	ZST_CHECK(code == 0 && strcmp(c->value, "balanced") == 0 && strcmp(c->source, "global") == 0,
	    "after the restart cfgtest.mode is still balanced (source global)");
	zs_reply_free(c);
	zs_status_free(st);
	Zs__Cfgtest__V1__ReadReply *r = plugin_read(&b, "cfgtest", "mode");
	ZST_CHECK(r != NULL && strcmp(r->value, "balanced") == 0, "and the plugin reads balanced");
	zs_reply_free(r);
	code = get_config(&b, NULL, "cfgtest", "count", NULL, &c, &st);
	ZST_CHECK(code == 0 && strcmp(c->value, "5") == 0 && strcmp(c->source, "default") == 0 &&
	    zst_node_stderr_has(&b.n, "stored config cfgtest.count: \"many\" is not an integer"),
	    "the stored cfgtest.count = many is logged and the default 5 used");
	zs_reply_free(c);
	zs_status_free(st);
	code = reset_config(&b, NULL, "cfgtest", "mode", &c, &st);
	ZST_CHECK(code == 0 && strcmp(c->value, "safe") == 0 && strcmp(c->source, "default") == 0,
	    "Reset cfgtest.mode: safe, source default");
	zs_reply_free(c);
	zs_status_free(st);
	cfg_stop(&b);
}

int
main(int argc, char **argv)
{
	if (cfg_init(argc, argv, 240) != 0)
		return 2;
	char *plugins = cfg_plugins_dir(NULL);
	cfg_node a;
	const char *sets[] = { "cfgtest.secret=hunter2", NULL };
	if (plugins == NULL || cfg_start(&a, plugins, sets) != 0) {
		ZST_CHECK(false, "zsnode starts with the cfgtest plugin");
		if (plugins != NULL)
			zst_rmtree(plugins);
		free(plugins);
		return zst_summary();
	}
	test_list(&a);
	test_get(&a);
	test_errors(&a);
	test_chain(&a);
	test_validation(&a);
	test_permissions(&a);
	test_update_event_watcher(&a);
	test_plugin_reads(&a);
	test_zsctl(&a);
	test_override(&a);
	test_cross_node(&a, plugins);
	test_restart(&a, plugins);
	cfg_stop(&a);
	zst_rmtree(plugins);
	free(plugins);
	return zst_summary();
}
