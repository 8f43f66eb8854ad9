/* zs_platform.c: the node's own services (config, identity, jobs, events, tags), each made with
 * what it needs, in dependency order: later ones may use earlier ones. */
#include <stdio.h>

#include "zs_node_impl.h"

int
zs_platform_new(zs_node *node, char *err, size_t errlen)
{
	zs_config_env config = { node->id, node->rpc, node->plugins, node->props, node->events };
	zs_identity_env identity = { node->rpc, node->props, NULL, node->timers, node->work };
	/* with the embedded PostgreSQL, the data folder's lock keeps every other node away */
	const char *db_url = zs_props_get(node->props, "db.url");
	zs_jobs_env jobs = { node->id, node->rpc, node->work, node->events, node->heartbeat_timeout_ms,
		db_url == NULL || *db_url == '\0' };
	zs_tags_env tags = { node->rpc, NULL, node->plugins, node->events };
	zs_outbox_env outbox = { node->rpc, NULL, node->events, node->props };
	if (zs_config_new(&node->config, &config, err, errlen) != 0)
		return -1;
	identity.config = node->config;
	tags.config = node->config;
	outbox.config = node->config;
	return zs_identity_new(&node->identity, &identity, err, errlen) != 0 ||
	    zs_jobs_new(&node->jobs, &jobs, err, errlen) != 0 ||
	    zs_outbox_new(&node->outbox, &outbox, err, errlen) != 0 ||
	    zs_tags_new(&node->tags, &tags, err, errlen) != 0 ? -1 : 0;
}

/* Prefixes err with the module that failed. */
static int
platform_failed(const char *module, char *err, size_t errlen)
{
	char why[512];
	snprintf(why, sizeof why, "%s", err);
	snprintf(err, errlen, "%s: %s", module, why);
	return -1;
}

int
zs_platform_start(zs_node *node, char *err, size_t errlen)
{
	if (zs_config_start(node->config, node->db, err, errlen) != 0)
		return platform_failed("config", err, errlen);
	if (zs_identity_start(node->identity, node->db, err, errlen) != 0) {
		zs_config_stop(node->config);
		return platform_failed("identity", err, errlen);
	}
	if (zs_jobs_start(node->jobs, node->db, err, errlen) != 0) {
		zs_identity_stop(node->identity);
		zs_config_stop(node->config);
		return platform_failed("jobs", err, errlen);
	}
	if (zs_outbox_start(node->outbox, node->db, err, errlen) != 0) {
		zs_jobs_stop(node->jobs);
		zs_identity_stop(node->identity);
		zs_config_stop(node->config);
		return platform_failed("events", err, errlen);
	}
	if (zs_tags_start(node->tags, node->db, err, errlen) != 0) {
		zs_outbox_stop(node->outbox);
		zs_jobs_stop(node->jobs);
		zs_identity_stop(node->identity);
		zs_config_stop(node->config);
		return platform_failed("tags", err, errlen);
	}
	return 0;
}

void
zs_platform_stop(zs_node *node)
{
	zs_outbox_stop(node->outbox);
	zs_jobs_stop(node->jobs);
	zs_identity_stop(node->identity);
	zs_config_stop(node->config);
}

void
zs_platform_free(zs_node *node)
{
	zs_tags_free(node->tags);
	zs_outbox_free(node->outbox);
	zs_jobs_free(node->jobs);
	zs_identity_free(node->identity);
	zs_config_free(node->config);
	node->tags = NULL;
	node->outbox = NULL;
	node->jobs = NULL;
	node->identity = NULL;
	node->config = NULL;
}
