/*
 * zs_tag.c: the tags platform module: the registry of system tag patterns (from platform
 * modules, every plugin's <systemTag> and the config overrides), checked at start, and
 * the module hooks. Two patterns on one resource type that can match the same tag stop
 * the start, naming both and a tag they share: a system tag always has one meaning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/log.h"
#include "zs_plugin.h"
#include "zs_plugin_desc.h"
#include "zs_router.h"
#include "zs_tag_impl.h"
#include "zs_tag_match.h"

/* Patterns listed in an INVALID_ARGUMENT message at most. */
#define TAG_EXPLAIN_MAX 20

struct zs_tags {
	void *self;              /* what the API's handlers get as service data */
	zs_tags_env env;
	zs_db *db;               /* from start on */
	zs_tag_pattern *items;
	size_t len, cap;
	bool sealed;             /* the module started: read only from here on */
};

static void
tag_pattern_clear(zs_tag_pattern *p)
{
	free(p->resource_type);
	free(p->pattern);
	free(p->description);
	free(p->service);
	free(p->where);
}

void
zs_tags_free(zs_tags *tags)
{
	if (tags == NULL)
		return;
	for (size_t i = 0; i < tags->len; i++)
		tag_pattern_clear(&tags->items[i]);
	free(tags->items);
	free(tags);
}

static bool
tag_type_valid(const char *type)
{
	if (type == NULL || !(type[0] >= 'A' && type[0] <= 'Z'))
		return false;
	for (const char *p = type; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

static char *
tag_strdup(const char *s)
{
	return strdup(s != NULL ? s : "");
}

/* Adds one pattern; 0 or -1 with err. */
static int
tags_add(zs_tags *tags, const char *type, const char *pattern, const char *description,
    const char *service, const char *where, char *err, size_t errlen)
{
	char why[256];
	if (tags->sealed) {
		snprintf(err, errlen, "pattern %s declared after the tags module started", pattern);
		return -1;
	}
	if (!tag_type_valid(type) || zs_tag_pattern_check(pattern, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s%s%s: system tag pattern \"%s\" on \"%s\": %s", where,
		    *where ? ": " : "", service, pattern ? pattern : "", type ? type : "",
		    tag_type_valid(type) ? why : "a resource type is a capitalised identifier (Host)");
		return -1;
	}
	if (tags->len == tags->cap) {
		size_t cap = tags->cap ? tags->cap * 2 : 16;
		zs_tag_pattern *grown = realloc(tags->items, cap * sizeof *grown);
		if (grown == NULL)
			goto oom;
		tags->items = grown;
		tags->cap = cap;
	}
	zs_tag_pattern *p = &tags->items[tags->len];
	*p = (zs_tag_pattern) { tag_strdup(type), tag_strdup(pattern), tag_strdup(description),
	    tag_strdup(service), tag_strdup(where) };
	if (!p->resource_type || !p->pattern || !p->description || !p->service || !p->where) {
		tag_pattern_clear(p);
		goto oom;
	}
	tags->len++;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
zs_tag_declare_pattern(zs_tags *tags, const char *resource_type, const char *pattern,
    const char *description, const char *service)
{
	char err[512];
	if (tags->sealed || tags_add(tags, resource_type, pattern, description,
	    service ? service : "node", "", err, sizeof err) != 0) {
		zs_log(ZS_LOG_ERROR, "tags", "%s", tags->sealed ? "the tag patterns are sealed" : err);
		return -1;
	}
	return 0;
}

/* Every plugin's <systemTag>. */
static int
tags_add_plugins(zs_tags *tags, const zs_plugins *ps, char *err, size_t errlen)
{
	for (size_t i = 0; i < zs_plugins_len(ps); i++) {
		const zs_plugin_desc *d = zs_plugins_desc(ps, i);
		for (size_t k = 0; k < d->n_tags; k++) {
			char where[512];
			snprintf(where, sizeof where, "%s:%d", d->path, d->tags[k].line);
			if (tags_add(tags, d->tags[k].resource_type, d->tags[k].pattern,
			    d->tags[k].description, d->id, where, err, errlen) != 0)
				return -1;
		}
	}
	return 0;
}

/* Collects the config overrides' patterns (CATEGORY::NAME::{value}). */
typedef struct tag_config_ctx {
	zs_tags *tags;
	char *err;
	size_t errlen;
	int rv;
} tag_config_ctx;

static void
tags_config_one(const char *pattern, const char *resource_type, const char *description, void *arg)
{
	tag_config_ctx *ctx = arg;
	if (ctx->rv == 0)
		ctx->rv = tags_add(ctx->tags, resource_type, pattern, description, "config", "",
		    ctx->err, ctx->errlen);
}

/* Refuses two patterns of one type that can match the same tag. */
static int
tags_check_overlaps(const zs_tags *tags, char *err, size_t errlen)
{
	for (size_t i = 0; i < tags->len; i++)
		for (size_t k = i + 1; k < tags->len; k++) {
			const zs_tag_pattern *a = &tags->items[i], *b = &tags->items[k];
			char witness[256];
			if (strcmp(a->resource_type, b->resource_type) != 0 ||
			    !zs_tag_patterns_overlap(a->pattern, b->pattern, witness, sizeof witness))
				continue;
			snprintf(err, errlen, "system tag patterns \"%s\" (%s%s%s) and \"%s\" (%s%s%s) on %s "
			    "can both match \"%s\": a tag must have one meaning, change one of them",
			    a->pattern, a->service, *a->where ? ", " : "", a->where, b->pattern, b->service,
			    *b->where ? ", " : "", b->where, a->resource_type, witness);
			return -1;
		}
	return 0;
}

int
zs_tags_new(zs_tags **out, const zs_tags_env *env, char *err, size_t errlen)
{
	zs_tags *tags = calloc(1, sizeof *tags);
	if (tags == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	tags->self = tags;
	tags->env = *env;
	/* The service table is constant: the router only reads it. */
	if (zs_router_add_service(zs_rpc_router(env->rpc), (ProtobufCService *) zs_tag_api_service(),
	    &tags->self, "node", false, err, errlen) != 0) {
		zs_tags_free(tags);
		return -1;
	}
	*out = tags;
	return 0;
}

int
zs_tags_start(zs_tags *tags, zs_db *db, char *err, size_t errlen)
{
	tags->db = db;
	tag_config_ctx ctx = { tags, err, errlen, 0 };
	zs_config_tag_patterns(tags->env.config, tags_config_one, &ctx);
	if (ctx.rv != 0 || tags_add_plugins(tags, tags->env.plugins, err, errlen) != 0 ||
	    tags_check_overlaps(tags, err, errlen) != 0)
		return -1;
	tags->sealed = true;
	zs_log(ZS_LOG_INFO, "tags", "%zu system tag patterns", tags->len);
	return 0;
}

zs_db *
zs_tags_db(const zs_tags *tags)
{
	return tags->db;
}

zs_events *
zs_tags_events(const zs_tags *tags)
{
	return tags->env.events;
}

zs_config *
zs_tags_config(const zs_tags *tags)
{
	return tags->env.config;
}

size_t
zs_tags_len(const zs_tags *tags)
{
	return tags != NULL ? tags->len : 0;
}

const zs_tag_pattern *
zs_tags_at(const zs_tags *tags, size_t i)
{
	return &tags->items[i];
}

const zs_tag_pattern *
zs_tags_find(const zs_tags *tags, const char *resource_type, const char *tag)
{
	for (size_t i = 0; i < zs_tags_len(tags); i++)
		if (strcmp(tags->items[i].resource_type, resource_type) == 0 &&
		    zs_tag_match(tags->items[i].pattern, tag))
			return &tags->items[i];
	return NULL;
}

/* "a, b, c" (up to TAG_EXPLAIN_MAX, then "and N more"): the patterns of type. Caller frees. */
static char *
tags_list_type(const zs_tags *tags, const char *type)
{
	size_t n = 0, size = 1;
	for (size_t i = 0; i < zs_tags_len(tags); i++)
		if (strcmp(tags->items[i].resource_type, type) == 0 && n++ < TAG_EXPLAIN_MAX)
			size += strlen(tags->items[i].pattern) + 2;
	char *out = malloc(size + 64);
	if (out == NULL)
		return NULL;
	size_t len = 0, k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < zs_tags_len(tags) && k < TAG_EXPLAIN_MAX; i++)
		if (strcmp(tags->items[i].resource_type, type) == 0)
			len += (size_t) sprintf(out + len, "%s%s", k++ ? ", " : "", tags->items[i].pattern);
	if (n > TAG_EXPLAIN_MAX)
		sprintf(out + len, " and %zu more (zsctl tag patterns)", n - TAG_EXPLAIN_MAX);
	return out;
}

/* The first pattern of another type than type that matches tag, or NULL. */
static const zs_tag_pattern *
tags_find_elsewhere(const zs_tags *tags, const char *type, const char *tag)
{
	for (size_t i = 0; i < zs_tags_len(tags); i++)
		if (strcmp(tags->items[i].resource_type, type) != 0 &&
		    zs_tag_match(tags->items[i].pattern, tag))
			return &tags->items[i];
	return NULL;
}

zs_status *
zs_tags_explain(const zs_tags *tags, const char *resource_type, const char *tag)
{
	const zs_tag_pattern *other = tags_find_elsewhere(tags, resource_type, tag);
	char why[512];
	if (other != NULL)
		snprintf(why, sizeof why, "matches pattern %s, declared for %s, not for %s",
		    other->pattern, other->resource_type, resource_type);
	else
		snprintf(why, sizeof why, "matches no system tag pattern declared for %s", resource_type);
	char *list = tags_list_type(tags, resource_type);
	zs_status *st;
	if (list != NULL && *list != '\0')
		st = zs_status_new(ZS_INVALID_ARGUMENT, NULL, "system tag \"%s\" %s; patterns for %s: %s",
		    tag, why, resource_type, list);
	else
		st = zs_status_new(ZS_INVALID_ARGUMENT, NULL, "system tag \"%s\" %s; no pattern is "
		    "declared for %s", tag, why, resource_type);
	free(list);
	return st;
}
