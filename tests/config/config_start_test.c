/*
 * config_start_test.c: properties and declarations at start, against real zsnode
 * processes: a value from zsnode.properties, the ZS_* environment and --set in rising
 * precedence, each with its source, through Properties/List and `zsctl properties`
 * (secrets masked); a property nobody declares warns; a missing required property stops
 * the start with a clear message; a config declared by two services stops it naming both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_util.h"
#include "zs/config/v1/config.pb-c.h"

static const char cfgreq_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<service xmlns=\"urn:zsnode:service:v1\" id=\"cfgreq\" library=\"@CFGTEST@\">\n"
    "  <property name=\"cfgreq.token\" required=\"true\" secret=\"true\" "
    "description=\"a property the node cannot start without\"/>\n"
    "</service>\n";

static const char cfgdup_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<service xmlns=\"urn:zsnode:service:v1\" id=\"cfgdup\" library=\"@CFGTEST@\">\n"
    "  <globalConfig category=\"cfgtest\" name=\"mode\" type=\"string\" default=\"x\" "
    "description=\"a second declaration of cfgtest.mode\"/>\n"
    "</service>\n";

/* The property named name in l, or NULL. */
static const Zs__Config__V1__PropertyInfo *
prop_find(const Zs__Config__V1__ListPropertiesResponse *l, const char *name)
{
	for (size_t i = 0; l != NULL && i < l->n_properties; i++)
		if (strcmp(l->properties[i]->name, name) == 0)
			return l->properties[i];
	return NULL;
}

static Zs__Config__V1__ListPropertiesResponse *
props_list(const cfg_node *cn)
{
	Zs__Config__V1__ListPropertiesRequest req = ZS__CONFIG__V1__LIST_PROPERTIES_REQUEST__INIT;
	Zs__Config__V1__ListPropertiesResponse *l;
	zs_status *st;
	int code = cfg_call(cn, NULL, "zs.config.v1.Properties/List", &req.base,
	    &zs__config__v1__list_properties_response__descriptor, &l, &st, 0);
	if (code != 0) {
		zst_note("Properties/List: %s: %s", zs_client_code_name(code), st ? st->message : "");
		zs_status_free(st);
		return NULL;
	}
	return l;
}

static void
prop_expect(const Zs__Config__V1__ListPropertiesResponse *l, const char *name, const char *value,
    const char *source)
{
	const Zs__Config__V1__PropertyInfo *p = prop_find(l, name);
	ZST_CHECK(p != NULL && strcmp(p->value, value) == 0 && strcmp(p->source, source) == 0,
	    "property %s = %s from the %s (got %s from %s)", name, value, source, p ? p->value : "-",
	    p ? p->source : "-");
}

static void
test_precedence(const char *plugins)
{
	static const char props[] =
	    "# written by config_start_test\n"
	    "identity.admin_password = " CFG_ADMIN_PASSWORD "\n"
	    "cfgtest.fromfile = file\n"
	    "cfgtest.fromenv = file\n"
	    "cfgtest.fromflag = file\n"
	    "cfgtest.typo = 1\n";
	const char *env[] = { "ZS_CFGTEST_FROMENV=env", "ZS_CFGTEST_FROMFLAG=env",
		"ZS_CFGTEST_SECRET=s3cret-from-env", NULL };
	const char *sets[] = { "cfgtest.fromflag=flag", "cfgtest.typo2=1", NULL };
	cfg_node cn;
	memset(&cn, 0, sizeof cn);
	if (cfg_spawn(&cn.n, plugins, props, env, sets) != 0 ||
	    zst_node_wait_ready(&cn.n, ZST_READY_MS) != 0 || cfg_attach(&cn) != 0) {
		ZST_CHECK(false, "zsnode starts with a properties file and ZS_* variables");
		zst_node_dump_stderr(&cn.n);
		zst_node_cleanup(&cn.n);
		return;
	}
	ZST_CHECK(zst_node_stderr_has(&cn.n, "property cfgtest.typo (from the file) is not declared"),
	    "an undeclared property in the file warns");
	ZST_CHECK(zst_node_stderr_has(&cn.n, "property cfgtest.typo2 (from the flag) is not declared"),
	    "an undeclared --set warns");
	Zs__Config__V1__ListPropertiesResponse *l = props_list(&cn);
	ZST_CHECK(l != NULL, "Properties/List answers an admin");
	prop_expect(l, "cfgtest.greeting", "hello", "default");
	prop_expect(l, "cfgtest.fromfile", "file", "file");
	prop_expect(l, "cfgtest.fromenv", "env", "env");
	prop_expect(l, "cfgtest.fromflag", "flag", "flag");
	prop_expect(l, "cfgtest.secret", "********", "env");
	prop_expect(l, "identity.admin_password", "********", "file");
	const Zs__Config__V1__PropertyInfo *p = prop_find(l, "cfgtest.secret");
	ZST_CHECK(p != NULL && p->secret && !p->required && strcmp(p->owner, "cfgtest") == 0 &&
	    strcmp(p->description, "a secret: zsctl properties masks it") == 0,
	    "cfgtest.secret: secret, not required, owned by cfgtest, with its description");
	p = prop_find(l, "rpc.max_frame");
	ZST_CHECK(p != NULL && strcmp(p->owner, "node") == 0 && strcmp(p->value, "4M") == 0,
	    "the node's own properties are there too (rpc.max_frame = 4M, owner node)");
	zs_reply_free(l);

	int rc;
	char *out = cfg_zsctl(&cn, NULL, &rc, NULL, "properties", NULL);
	ZST_CHECK(rc == 0 && strncmp(out, "NAME", 4) == 0 && strstr(out, "cfgtest.fromenv") != NULL &&
	    strstr(out, "s3cret") == NULL && strstr(out, CFG_ADMIN_PASSWORD) == NULL,
	    "zsctl properties prints the table without any secret's value");
	bool line_ok = false;
	for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n"))
		if (strncmp(line, "cfgtest.fromflag ", 17) == 0)
			line_ok = strstr(line, " flag ") != NULL && strstr(line, " cfgtest ") != NULL;
	ZST_CHECK(line_ok, "zsctl properties: cfgtest.fromflag's line shows flag, flag, cfgtest");
	free(out);
	cfg_stop(&cn);
}

static void
test_required(void)
{
	const char *extra[] = { "cfgreq.xml", cfgreq_xml, NULL };
	char *plugins = cfg_plugins_dir(extra);
	zst_node n;
	if (plugins == NULL || zst_node_spawn(&n, plugins, NULL) != 0) {
		ZST_CHECK(false, "a node with a required property can be spawned");
		if (plugins != NULL)
			zst_rmtree(plugins);
		free(plugins);
		return;
	}
	int code = zst_node_wait_exit(&n, ZST_READY_MS);
	ZST_CHECK(code != 0 && code != -1, "without cfgreq.token the node does not start (exit %d)", code);
	ZST_CHECK(zst_node_stderr_has(&n, "property cfgreq.token (declared by cfgreq) is required and "
	    "has no value") && zst_node_stderr_has(&n, "required properties are missing"),
	    "and says which property is missing, who declares it and how to set it");
	zst_node_check_sanitizers(&n, "the refused zsnode");
	zst_node_cleanup(&n);

	cfg_node cn;
	const char *sets[] = { "cfgreq.token=abc", NULL };
	if (ZST_CHECK(cfg_start(&cn, plugins, sets) == 0, "with --set cfgreq.token it starts")) {
		Zs__Config__V1__ListPropertiesResponse *l = props_list(&cn);
		const Zs__Config__V1__PropertyInfo *p = prop_find(l, "cfgreq.token");
		ZST_CHECK(p != NULL && p->required && p->secret && strcmp(p->value, "********") == 0,
		    "Properties/List: cfgreq.token required, secret, masked");
		zs_reply_free(l);
		cfg_stop(&cn);
	}
	zst_rmtree(plugins);
	free(plugins);
}

static void
test_duplicate(void)
{
	const char *extra[] = { "cfgdup.xml", cfgdup_xml, NULL };
	char *plugins = cfg_plugins_dir(extra);
	zst_node n;
	if (plugins == NULL || zst_node_spawn(&n, plugins, NULL) != 0) {
		ZST_CHECK(false, "a node with two declarations of one config can be spawned");
		if (plugins != NULL)
			zst_rmtree(plugins);
		free(plugins);
		return;
	}
	int code = zst_node_wait_exit(&n, ZST_READY_MS);
	ZST_CHECK(code != 0 && code != -1 &&
	    zst_node_stderr_has(&n, "config cfgtest.mode is declared twice: by cfgdup and by cfgtest"),
	    "a config declared by two services stops the start, naming both (exit %d)", code);
	if (code == 0 || code == -1)
		zst_node_dump_stderr(&n);
	zst_node_check_sanitizers(&n, "the refused zsnode");
	zst_node_cleanup(&n);
	zst_rmtree(plugins);
	free(plugins);
}

int
main(int argc, char **argv)
{
	if (cfg_init(argc, argv, 150) != 0)
		return 2;
	char *plugins = cfg_plugins_dir(NULL);
	if (plugins == NULL)
		return zst_summary();
	test_precedence(plugins);
	test_required();
	test_duplicate();
	zst_rmtree(plugins);
	free(plugins);
	return zst_summary();
}
