/* zs_plugin.c: loading service plugins from their descriptors and wiring them in. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <protobuf-c/protobuf-c.h>

#include "zs/service.h"
#include "zs_db.h"
#include "zs_ext_registry.h"
#include "zs_plugin.h"
#include "zs_plugin_desc.h"
#include "zs_plugin_open.h"
#include "zs_props.h"
#include "zs_router.h"

struct zs_service {
	zs_node *node;
	zs_plugin_desc *desc;
	zs_plugin_lib *lib;
	void *data;
	bool started;
};

struct zs_plugins {
	zs_plugins_env env;
	zs_service **services;
	size_t len;
};

const char *
zs_service_id(const zs_service *svc)
{
	return svc->desc->id;
}

zs_node *
zs_service_node(const zs_service *svc)
{
	return svc->node;
}

void
zs_service_set_data(zs_service *svc, void *data)
{
	svc->data = data;
}

void *
zs_service_data(const zs_service *svc)
{
	return svc->data;
}

static void
plugin_service_free(zs_service *svc)
{
	if (svc->lib != NULL)
		zs_plugin_lib_close(svc->lib);
	zs_plugin_desc_free(svc->desc);
	free(svc);
}

/* Registers what one descriptor declares. */
static int
plugin_register(zs_plugins *ps, zs_service *svc, char *err, size_t errlen)
{
	const zs_plugin_desc *d = svc->desc;
	const zs_plugins_env *env = &ps->env;
	for (size_t i = 0; i < ps->len; i++)
		if (strcmp(ps->services[i]->desc->id, d->id) == 0) {
			snprintf(err, errlen, "%s: service id \"%s\" is already used by %s", d->path, d->id,
			    ps->services[i]->desc->path);
			return -1;
		}
	for (size_t i = 0; i < d->n_apis; i++) {
		ProtobufCService *api = zs_plugin_lib_api(svc->lib, i);
		if (api->descriptor == NULL || api->descriptor->magic != PROTOBUF_C__SERVICE_DESCRIPTOR_MAGIC) {
			snprintf(err, errlen, "%s:%d: symbol '%s' is not a protoc-c service", d->path,
			    d->apis[i].line, d->apis[i].symbol);
			return -1;
		}
		if (strcmp(api->descriptor->name, d->apis[i].service) != 0) {
			snprintf(err, errlen, "%s:%d: symbol '%s' serves %s, not %s", d->path,
			    d->apis[i].line, d->apis[i].symbol, api->descriptor->name, d->apis[i].service);
			return -1;
		}
		char why[256];
		if (zs_router_add_service(env->router, api, &svc->data, d->id, d->apis[i].inline_handlers, why,
		    sizeof why) != 0) {
			snprintf(err, errlen, "%s:%d: %s", d->path, d->apis[i].line, why);
			return -1;
		}
	}
	for (size_t i = 0; i < d->n_exts; i++) {
		char why[256];
		if (zs_ext_registry_add(env->exts, d->exts[i].point, d->exts[i].name, d->id,
		    d->exts[i].order, zs_plugin_lib_ext(svc->lib, i), &svc->data, why,
		    sizeof why) != 0) {
			snprintf(err, errlen, "%s:%d: %s", d->path, d->exts[i].line, why);
			return -1;
		}
	}
	for (size_t i = 0; i < d->n_errors; i++) {
		zs_status *st = NULL;
		if (zs_errors_declare(env->errors, d->errors[i].code, d->errors[i].description, d->id,
		    &st) != 0) {
			snprintf(err, errlen, "%s:%d: %s", d->path, d->errors[i].line,
			    st != NULL ? st->message : "out of memory");
			zs_status_free(st);
			return -1;
		}
	}
	for (size_t i = 0; i < d->n_props; i++)
		zs_props_declare(env->props, d->props[i].name, d->props[i].default_value,
		    d->props[i].description, d->props[i].required, d->props[i].secret, d->id);
	return 0;
}

static int
plugin_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The *.xml files of dir, sorted (caller frees each and the array). */
static int
plugin_list(const char *dir, char ***out, size_t *n, char *err, size_t errlen)
{
	DIR *dh = opendir(dir);
	if (dh == NULL) {
		snprintf(err, errlen, "plugins.dir %s: cannot read it", dir);
		return -1;
	}
	char **names = NULL;
	size_t len = 0;
	struct dirent *de;
	while ((de = readdir(dh)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".xml") != 0)
			continue;
		char **grown = realloc(names, (len + 1) * sizeof *grown);
		if (grown == NULL)
			break;
		names = grown;
		if (asprintf(&names[len], "%s/%s", dir, de->d_name) < 0)
			break;
		len++;
	}
	closedir(dh);
	qsort(names, len, sizeof *names, plugin_name_cmp);
	*out = names;
	*n = len;
	return 0;
}

int
zs_plugins_load(const zs_plugins_env *env, const char *dir, const char *xsd_path, zs_plugins **out,
    char *err, size_t errlen)
{
	zs_plugin_schema *schema;
	if (zs_plugin_schema_load(xsd_path, &schema, err, errlen) != 0)
		return -1;
	zs_plugins *ps = calloc(1, sizeof *ps);
	char **files = NULL;
	size_t n = 0;
	int rv = ps != NULL ? plugin_list(dir, &files, &n, err, errlen) : -1;
	if (ps != NULL)
		ps->env = *env;
	for (size_t i = 0; rv == 0 && i < n; i++) {
		zs_service *svc = calloc(1, sizeof *svc);
		zs_service **grown = realloc(ps->services, (ps->len + 1) * sizeof *grown);
		if (grown != NULL)
			ps->services = grown;
		if (svc == NULL || grown == NULL) {
			free(svc);
			snprintf(err, errlen, "out of memory");
			rv = -1;
			break;
		}
		svc->node = env->host;
		if (zs_plugin_desc_load(schema, files[i], &svc->desc, err, errlen) != 0 ||
		    zs_plugin_lib_open(svc->desc, &svc->lib, err, errlen) != 0 ||
		    plugin_register(ps, svc, err, errlen) != 0) {
			plugin_service_free(svc);
			rv = -1;
			break;
		}
		ps->services[ps->len++] = svc;
	}
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	zs_plugin_schema_free(schema);
	if (rv != 0) {
		zs_plugins_free(ps);
		return -1;
	}
	*out = ps;
	return 0;
}

/* Looks up the interceptors one method names, in order. */
static int
plugin_link_method(zs_plugins *ps, const zs_plugin_desc *d, const zs_plugin_api *api,
    const zs_plugin_method *m, char *err, size_t errlen)
{
	char full[512];
	snprintf(full, sizeof full, "%s/%s", api->service, m->name);
	const zs_interceptor **chain = calloc(m->n_interceptors ? m->n_interceptors : 1, sizeof *chain);
	if (chain == NULL)
		return -1;
	int rv = 0;
	for (size_t k = 0; rv == 0 && k < m->n_interceptors; k++) {
		const zs_ext *e = zs_ext_find(ps->env.exts, ZS_EXT_INTERCEPTOR, m->interceptors[k]);
		if (e == NULL) {
			snprintf(err, errlen, "%s:%d: interceptor '%s' of %s is offered by no plugin",
			    d->path, m->line, m->interceptors[k], full);
			rv = -1;
		} else {
			chain[k] = e->impl;
		}
	}
	if (rv == 0 && (zs_router_set_chain(ps->env.router, full, chain, m->n_interceptors) != 0 ||
	    (m->public_method && zs_router_set_public(ps->env.router, full) != 0) ||
	    (m->executor >= 0 && zs_router_set_inline(ps->env.router, full, m->executor == 1) != 0))) {
		snprintf(err, errlen, "%s:%d: %s has no method %s", d->path, m->line, api->service, m->name);
		rv = -1;
	}
	free(chain);
	return rv;
}

int
zs_plugins_link(zs_plugins *ps, char *err, size_t errlen)
{
	for (size_t i = 0; i < ps->len; i++) {
		const zs_plugin_desc *d = ps->services[i]->desc;
		for (size_t a = 0; a < d->n_apis; a++)
			for (size_t m = 0; m < d->apis[a].n_methods; m++)
				if (plugin_link_method(ps, d, &d->apis[a], &d->apis[a].methods[m], err,
				    errlen) != 0)
					return -1;
	}
	return 0;
}

int
zs_plugins_migrate(zs_plugins *ps, zs_db *db, char *err, size_t errlen)
{
	for (size_t i = 0; i < ps->len; i++) {
		const zs_plugin_desc *d = ps->services[i]->desc;
		if (d->n_migrations == 0)
			continue;
		const char **files = calloc(d->n_migrations, sizeof *files);
		if (files == NULL)
			return -1;
		for (size_t k = 0; k < d->n_migrations; k++)
			files[k] = d->migrations[k].path;
		int rv = zs_db_migrate(db, d->id, files, d->n_migrations, err, errlen);
		free(files);
		if (rv < 0)
			return -1;
	}
	return 0;
}

int
zs_plugins_start(zs_plugins *ps, char *err, size_t errlen)
{
	for (size_t i = 0; i < ps->len; i++) {
		zs_service *svc = ps->services[i];
		void *sym = zs_plugin_lib_start(svc->lib);
		zs_service_start_fn start;
		if (sym == NULL) {
			svc->started = true;
			continue;
		}
		memcpy(&start, &sym, sizeof start);
		char why[512] = "";
		if (start(svc, why, sizeof why) != 0) {
			snprintf(err, errlen, "%s: service %s did not start: %s", svc->desc->path,
			    svc->desc->id, why[0] ? why : "no reason given");
			zs_plugins_stop(ps);
			return -1;
		}
		svc->started = true;
	}
	return 0;
}

void
zs_plugins_stop(zs_plugins *ps)
{
	for (size_t i = ps->len; i-- > 0;) {
		zs_service *svc = ps->services[i];
		if (!svc->started)
			continue;
		svc->started = false;
		void *sym = zs_plugin_lib_stop(svc->lib);
		zs_service_stop_fn stop;
		if (sym != NULL) {
			memcpy(&stop, &sym, sizeof stop);
			stop(svc);
		}
	}
}

void
zs_plugins_free(zs_plugins *ps)
{
	if (ps == NULL)
		return;
	for (size_t i = 0; i < ps->len; i++)
		plugin_service_free(ps->services[i]);
	free(ps->services);
	free(ps);
}

size_t
zs_plugins_len(const zs_plugins *ps)
{
	return ps ? ps->len : 0;
}

const zs_plugin_desc *
zs_plugins_desc(const zs_plugins *ps, size_t i)
{
	return ps->services[i]->desc;
}

int
zs_plugins_each_config(const zs_plugins *ps, int (*fn)(const struct zs_plugin_configdesc *c,
    const char *service, const char *path, void *arg), void *arg)
{
	for (size_t i = 0; ps != NULL && i < ps->len; i++) {
		const zs_plugin_desc *d = ps->services[i]->desc;
		for (size_t k = 0; k < d->n_configs; k++) {
			int rv = fn(&d->configs[k], d->id, d->path, arg);
			if (rv != 0)
				return rv;
		}
	}
	return 0;
}
