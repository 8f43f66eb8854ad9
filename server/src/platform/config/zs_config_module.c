/*
 * zs_config_module.c: the config platform module (first of the platform modules): made,
 * it declares the node's own CONFIG.* error codes, registers every plugin's
 * <globalConfig> and the GlobalConfig and Properties APIs; at start it listens for other
 * nodes' changes and loads the stored values.
 */
#include <stdio.h>
#include <stdlib.h>

#include "zs/errors.h"
#include "zs_config_impl.h"
#include "zs_plugin.h"
#include "zs_plugin_desc.h"
#include "zs_router.h"

/* The node's own error codes (for failures of the config, properties and errors APIs). */
static const struct {
	const char *code, *description;
} config_error_codes[] = {
	{ "CONFIG.1001", "the value breaks the config's type, range or allowed values" },
	{ "CONFIG.1002", "no config of that category and name is declared" },
	{ "CONFIG.1003", "only an admin may change configs or read properties" },
	{ "CONFIG.1004", "the config could not be stored" },
};

/* Where a plugin's declaration goes, and where its failure is told. */
typedef struct config_plugin_ctx {
	zs_config *reg;
	char *err;
	size_t errlen;
} config_plugin_ctx;

/* Declares one plugin <globalConfig>. */
static int
config_declare_plugin(const zs_plugin_configdesc *c, const char *service, const char *path,
    void *arg)
{
	config_plugin_ctx *ctx = arg;
	zs_status *st = NULL;
	zs_config_decl d = {
		.category = c->category, .name = c->name, .type = c->type,
		.default_value = c->default_value, .description = c->description,
		.min = c->min, .max = c->max, .allowed = (const char *const *) c->allowed,
		.n_allowed = c->n_allowed, .resource_override = c->resource_override,
	};
	if (zs_config_declare(ctx->reg, &d, service, &st) != 0) {
		snprintf(ctx->err, ctx->errlen, "%s:%d: %s", path, c->line, st->message);
		zs_status_free(st);
		return -1;
	}
	return 0;
}

static int
config_add_api(zs_config *reg, ProtobufCService *svc, char *err, size_t errlen)
{
	char why[512];
	if (zs_router_add_service(reg->router, svc, &reg->self, "config", false, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	return 0;
}

int
zs_config_new(zs_config **out, const zs_config_env *env, char *err, size_t errlen)
{
	zs_config *reg = calloc(1, sizeof *reg);
	if (reg == NULL || zs_config_init(reg, env) != 0) {
		free(reg);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*out = reg;
	for (size_t i = 0; i < sizeof config_error_codes / sizeof config_error_codes[0]; i++) {
		zs_status *st = NULL;
		if (zs_errors_declare(reg->errors, config_error_codes[i].code,
		    config_error_codes[i].description, "config", &st) != 0) {
			snprintf(err, errlen, "%s", st != NULL ? st->message : "out of memory");
			zs_status_free(st);
			return -1;
		}
	}
	config_plugin_ctx ctx = { reg, err, errlen };
	if (zs_plugins_each_config(reg->plugins, config_declare_plugin, &ctx) != 0)
		return -1;
	zs_config_api_init(reg);
	return config_add_api(reg, &reg->config_api.base, err, errlen) != 0 ||
	    config_add_api(reg, &reg->props_api.base, err, errlen) != 0 ? -1 : 0;
}

int
zs_config_start(zs_config *reg, zs_db *db, char *err, size_t errlen)
{
	reg->db = db;
	/* listening first: a change made between the two is then read again, not lost */
	if (zs_config_listen_start(reg, &reg->listener, err, errlen) != 0)
		return -1;
	if (zs_config_store_load(reg, err, errlen) != 0) {
		zs_config_listen_stop(reg->listener);
		reg->listener = NULL;
		return -1;
	}
	reg->loaded = true;
	return 0;
}

void
zs_config_stop(zs_config *reg)
{
	if (reg != NULL) {
		zs_config_listen_stop(reg->listener);
		reg->listener = NULL;
	}
}
