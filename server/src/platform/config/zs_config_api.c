/*
 * zs_config_api.c: the zs.config.v1.GlobalConfig service (List, Get, Update, Reset) and
 * zs.config.v1.Properties (List). Handlers run on the worker pool (they touch the
 * database). Update, Reset and the properties are for admins; List and Get for any
 * caller that passed the session check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/call.h"
#include "zs/resource.h"
#include "zs_config_impl.h"
#include "zs_props.h"

void
zs_config_info_from_view(const zs_config_view *v, Zs__Config__V1__ConfigInfo *info, char *tag,
    size_t tag_len)
{
	zs__config__v1__config_info__init(info);
	info->category = v->category;
	info->name = v->name;
	info->type = v->type;
	info->value = v->value;
	info->default_value = v->default_value;
	info->description = v->description;
	info->min = v->min != NULL ? v->min : (char *) "";
	info->max = v->max != NULL ? v->max : (char *) "";
	info->allowed = v->allowed;
	info->n_allowed = v->n_allowed;
	info->resource_override = v->resource_override;
	info->service = v->service;
	info->source = (char *) (v->stored ? "global" : "default");
	tag[0] = '\0';
	if (v->resource_override)
		snprintf(tag, tag_len, "%s::%s::{value}", v->category, v->name);
	info->override_tag = tag;
}

/* Fails the call unless it runs as an admin. */
static bool
config_api_admin(zs_call *call, const char *what)
{
	if (zs_call_admin(call))
		return true;
	const char *account = zs_call_account(call);
	zs_call_fail(call, ZS_PERMISSION_DENIED, "CONFIG.1003", "only an admin may %s (the call runs "
	    "as %s%s%s)", what, *account ? "account \"" : "no account", account, *account ? "\"" : "");
	return false;
}

/* Fails the call unless category and name are given. */
static bool
config_api_named(zs_call *call, const char *category, const char *name)
{
	if (*category != '\0' && *name != '\0')
		return true;
	zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "category and name are both needed (e.g. "
	    "category \"kvm\", name \"reservedMemory\")");
	return false;
}

static void
config_api_not_found(zs_call *call, const char *category, const char *name)
{
	zs_call_fail(call, ZS_NOT_FOUND, "CONFIG.1002", "no config %s.%s is declared (zsctl config "
	    "list shows them)", category, name);
}

/* Answers with v (cleared here). */
static void
config_api_answer(zs_call *call, zs_config_view *v, Zs__Config__V1__ConfigInfo_Closure closure)
{
	Zs__Config__V1__ConfigInfo info;
	char tag[300];
	zs_config_info_from_view(v, &info, tag, sizeof tag);
	closure(&info, call);
	zs_config_view_clear(v);
}

static void
config_api_list(Zs__Config__V1__GlobalConfig_Service *svc, const Zs__Config__V1__ListConfigsRequest *in,
    Zs__Config__V1__ListConfigsResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_config_view *views;
	size_t n;
	if (zs_config_list(zs_call_service_data(call), in->category, &views, &n) != 0) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	Zs__Config__V1__ConfigInfo *infos = calloc(n + 1, sizeof *infos);
	Zs__Config__V1__ConfigInfo **ptrs = calloc(n + 1, sizeof *ptrs);
	char (*tags)[300] = calloc(n + 1, sizeof *tags);
	if (infos == NULL || ptrs == NULL || tags == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	} else {
		for (size_t i = 0; i < n; i++) {
			zs_config_info_from_view(&views[i], &infos[i], tags[i], sizeof tags[i]);
			ptrs[i] = &infos[i];
		}
		Zs__Config__V1__ListConfigsResponse out = ZS__CONFIG__V1__LIST_CONFIGS_RESPONSE__INIT;
		out.configs = ptrs;
		out.n_configs = n;
		closure(&out, call);
	}
	free(infos);
	free(ptrs);
	free(tags);
	zs_config_views_free(views, n);
}

/* Get for a resource: the caller must see it; the value is its override, if any. */
static void
config_api_get_for(zs_call *call, zs_config_view *v, const char *uuid,
    Zs__Config__V1__ConfigInfo_Closure closure)
{
	zs_config *reg = zs_call_service_data(call);
	zs_db_conn *c;
	if (zs_db_acquire_for(reg->db, call, &c) != 0) {
		zs_config_view_clear(v);
		return;
	}
	zs_status *st = NULL;
	char value[ZS_CONFIG_VALUE_MAX + 1], source[64];
	int rv = zs_resource_check(c, call, uuid, NULL, NULL, 0, &st);
	if (rv == 0)
		rv = zs_config_for_resource(reg, c, v->category, v->name, uuid, value, sizeof value,
		    source, sizeof source, &st);
	zs_db_release(reg->db, c);
	char *copy = rv == 0 ? strdup(value) : NULL;
	if (rv != 0 || copy == NULL) {
		zs_config_view_clear(v);
		if (st != NULL)
			zs_call_fail_status(call, st);
		else
			zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	free(v->value);
	v->value = copy;
	Zs__Config__V1__ConfigInfo info;
	char tag[300];
	zs_config_info_from_view(v, &info, tag, sizeof tag);
	if (strcmp(source, "global") != 0)
		info.source = source;
	info.resource_uuid = (char *) uuid;
	closure(&info, call);
	zs_config_view_clear(v);
}

static void
config_api_get(Zs__Config__V1__GlobalConfig_Service *svc, const Zs__Config__V1__GetConfigRequest *in,
    Zs__Config__V1__ConfigInfo_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_config_view v;
	if (!config_api_named(call, in->category, in->name))
		return;
	if (zs_config_view_get(zs_call_service_data(call), in->category, in->name, &v) != 0) {
		config_api_not_found(call, in->category, in->name);
		return;
	}
	if (*in->resource_uuid != '\0')
		config_api_get_for(call, &v, in->resource_uuid, closure);
	else
		config_api_answer(call, &v, closure);
}

/* Update (value) or reset (value NULL). */
static void
config_api_change(zs_call *call, const char *category, const char *name, const char *value,
    Zs__Config__V1__ConfigInfo_Closure closure)
{
	if (!config_api_admin(call, value != NULL ? "update configs" : "reset configs") ||
	    !config_api_named(call, category, name))
		return;
	zs_config *reg = zs_call_service_data(call);
	zs_db_conn *c;
	if (zs_db_acquire_for(reg->db, call, &c) != 0)
		return;
	zs_config_view v;
	zs_status *st = NULL;
	int rv = value != NULL ? zs_config_update(reg, c, category, name, value, &v, &st)
	                       : zs_config_reset(reg, c, category, name, &v, &st);
	zs_db_release(reg->db, c);
	if (rv != 0)
		zs_call_fail_status(call, st);
	else
		config_api_answer(call, &v, closure);
}

static void
config_api_update(Zs__Config__V1__GlobalConfig_Service *svc,
    const Zs__Config__V1__UpdateConfigRequest *in, Zs__Config__V1__ConfigInfo_Closure closure,
    void *closure_data)
{
	(void) svc;
	config_api_change(closure_data, in->category, in->name, in->value, closure);
}

static void
config_api_reset(Zs__Config__V1__GlobalConfig_Service *svc,
    const Zs__Config__V1__ResetConfigRequest *in, Zs__Config__V1__ConfigInfo_Closure closure,
    void *closure_data)
{
	(void) svc;
	config_api_change(closure_data, in->category, in->name, NULL, closure);
}

/* ---- properties ---- */

/* The properties as collected from zs_props_each (every string owned). */
typedef struct config_props {
	Zs__Config__V1__PropertyInfo *infos;
	size_t len, cap;
	bool failed;
} config_props;

static void
config_props_add(const char *name, const char *value, zs_prop_source src, bool secret,
    const char *description, const char *owner, void *arg)
{
	config_props *ps = arg;
	if (ps->failed)
		return;
	if (ps->len == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 64;
		Zs__Config__V1__PropertyInfo *grown = realloc(ps->infos, cap * sizeof *grown);
		if (grown == NULL) {
			ps->failed = true;
			return;
		}
		ps->infos = grown;
		ps->cap = cap;
	}
	Zs__Config__V1__PropertyInfo *p = &ps->infos[ps->len];
	zs__config__v1__property_info__init(p);
	p->name = strdup(name);
	p->value = strdup(value == NULL ? "" : secret && *value != '\0' ? "********" : value);
	p->source = strdup(zs_props_source_name(src));
	p->owner = strdup(owner ? owner : "");
	p->description = strdup(description ? description : "");
	p->secret = secret;
	ps->len++;
	if (!p->name || !p->value || !p->source || !p->owner || !p->description)
		ps->failed = true;
}

static void
config_props_free(config_props *ps)
{
	for (size_t i = 0; i < ps->len; i++) {
		Zs__Config__V1__PropertyInfo *p = &ps->infos[i];
		free(p->name);
		free(p->value);
		free(p->source);
		free(p->owner);
		free(p->description);
	}
	free(ps->infos);
}

static void
config_props_list(Zs__Config__V1__Properties_Service *svc,
    const Zs__Config__V1__ListPropertiesRequest *in,
    Zs__Config__V1__ListPropertiesResponse_Closure closure, void *closure_data)
{
	(void) svc;
	(void) in;
	zs_call *call = closure_data;
	if (!config_api_admin(call, "read the properties"))
		return;
	zs_config *reg = zs_call_service_data(call);
	config_props ps = { 0 };
	zs_props_each(reg->props, config_props_add, &ps);
	Zs__Config__V1__PropertyInfo **ptrs = calloc(ps.len + 1, sizeof *ptrs);
	if (ps.failed || ptrs == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	} else {
		for (size_t i = 0; i < ps.len; i++) {
			ps.infos[i].required = zs_props_required(reg->props, ps.infos[i].name);
			ptrs[i] = &ps.infos[i];
		}
		Zs__Config__V1__ListPropertiesResponse out = ZS__CONFIG__V1__LIST_PROPERTIES_RESPONSE__INIT;
		out.properties = ptrs;
		out.n_properties = ps.len;
		closure(&out, call);
	}
	free(ptrs);
	config_props_free(&ps);
}

void
zs_config_api_init(zs_config *reg)
{
	Zs__Config__V1__GlobalConfig_Service api = ZS__CONFIG__V1__GLOBAL_CONFIG__INIT(config_api_);
	Zs__Config__V1__Properties_Service props = ZS__CONFIG__V1__PROPERTIES__INIT(config_props_);
	reg->config_api = api;
	reg->props_api = props;
}
