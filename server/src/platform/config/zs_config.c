/*
 * zs_config.c: global configs (zs/config.h): the registry of declared configs, their
 * values in memory (read without a database trip), watchers, and copies for the API.
 * The platform module lives in zs_config_module.c, storing and loading in
 * zs_config_store.c, other nodes' changes in zs_config_listen.c, the value rules in
 * zs_config_value.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs_config_impl.h"
#include "zs_units.h"

/* ---- entries ---- */

static void
config_entry_free(zs_config_entry *e)
{
	if (e == NULL)
		return;
	free(e->category);
	free(e->name);
	free(e->type_name);
	free(e->default_value);
	free(e->description);
	free(e->service);
	free(e->min);
	free(e->max);
	for (size_t i = 0; i < e->n_allowed; i++)
		free(e->allowed[i]);
	free(e->allowed);
	free(e->value);
	free(e);
}

/* strdup that keeps NULL as NULL and counts a failure in *failed. */
static char *
config_dup(const char *s, bool *failed)
{
	if (s == NULL)
		return NULL;
	char *d = strdup(s);
	if (d == NULL)
		*failed = true;
	return d;
}

static zs_config_entry *
config_entry_new(const zs_config_decl *d, zs_config_type type, const char *service)
{
	zs_config_entry *e = calloc(1, sizeof *e);
	if (e == NULL)
		return NULL;
	bool failed = false;
	e->category = config_dup(d->category, &failed);
	e->name = config_dup(d->name, &failed);
	e->type_name = config_dup(d->type, &failed);
	e->default_value = config_dup(d->default_value, &failed);
	e->description = config_dup(d->description ? d->description : "", &failed);
	e->service = config_dup(service ? service : "node", &failed);
	e->min = config_dup(d->min, &failed);
	e->max = config_dup(d->max, &failed);
	e->type = type;
	e->resource_override = d->resource_override;
	e->min_v = INT64_MIN;
	e->max_v = INT64_MAX;
	if (d->n_allowed > 0 && (e->allowed = calloc(d->n_allowed, sizeof *e->allowed)) == NULL)
		failed = true;
	for (size_t i = 0; e->allowed != NULL && i < d->n_allowed; i++, e->n_allowed++)
		e->allowed[i] = config_dup(d->allowed[i] ? d->allowed[i] : "", &failed);
	if (failed) {
		config_entry_free(e);
		return NULL;
	}
	return e;
}

/* A name as descriptors allow them: [A-Za-z_][A-Za-z0-9_-]* parts joined by dots. */
static bool
config_name_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 128)
		return false;
	bool start = true;
	for (; *s != '\0'; s++) {
		char c = *s;
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
		bool digit = (c >= '0' && c <= '9') || c == '-';
		if (c == '.' && !start)
			start = true;
		else if (alpha || (digit && !start))
			start = false;
		else
			return false;
	}
	return !start;
}

/* Checks what the declaration says and parses its bounds into e. */
static int
config_entry_check(zs_config_entry *e, char *err, size_t errlen)
{
	bool numeric = e->type == ZS_CONFIG_INTEGER || e->type == ZS_CONFIG_SIZE ||
	    e->type == ZS_CONFIG_DURATION;
	if ((e->min != NULL || e->max != NULL) && !numeric) {
		snprintf(err, errlen, "config %s.%s: a range applies only to integer, size and duration "
		    "configs", e->category, e->name);
		return -1;
	}
	if (e->n_allowed > 0 && e->type != ZS_CONFIG_STRING) {
		snprintf(err, errlen, "config %s.%s: allowed values apply only to string configs",
		    e->category, e->name);
		return -1;
	}
	if ((e->min != NULL && zs_config_number(e->type, e->min, &e->min_v) != 0) ||
	    (e->max != NULL && zs_config_number(e->type, e->max, &e->max_v) != 0)) {
		snprintf(err, errlen, "config %s.%s: range %s..%s is not made of %s values", e->category,
		    e->name, e->min ? e->min : "", e->max ? e->max : "", e->type_name);
		return -1;
	}
	if (e->min_v > e->max_v) {
		snprintf(err, errlen, "config %s.%s: range min %s is greater than max %s", e->category,
		    e->name, e->min, e->max);
		return -1;
	}
	char canon[ZS_CONFIG_VALUE_MAX + 1], why[768];
	if (e->default_value == NULL) {
		snprintf(err, errlen, "config %s.%s: no default value", e->category, e->name);
		return -1;
	}
	if (zs_config_value_check(e, e->default_value, canon, sizeof canon, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s (the default)", why);
		return -1;
	}
	/* the default as it is kept (true/false, 42 for 042), so a reset restores it exactly */
	char *def = strdup(canon);
	if (def == NULL || (e->value = strdup(canon)) == NULL) {
		free(def);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(e->default_value);
	e->default_value = def;
	return 0;
}

static int
config_cmp(const char *c1, const char *n1, const char *c2, const char *n2)
{
	int c = strcmp(c1, c2);
	return c != 0 ? c : strcmp(n1, n2);
}

/* Index of the first entry not before (category, name). Caller holds reg->lock. */
static size_t
config_lower_bound(const zs_config *reg, const char *category, const char *name)
{
	size_t lo = 0, hi = reg->n_entries;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const zs_config_entry *e = reg->entries[mid];
		if (config_cmp(e->category, e->name, category, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

zs_config_entry *
zs_config_find(const zs_config *reg, const char *category, const char *name)
{
	if (category == NULL || name == NULL)
		return NULL;
	size_t i = config_lower_bound(reg, category, name);
	if (i < reg->n_entries && strcmp(reg->entries[i]->category, category) == 0 &&
	    strcmp(reg->entries[i]->name, name) == 0)
		return reg->entries[i];
	return NULL;
}

/* Inserts e in order; -1 with err when its name is taken. */
static int
config_insert(zs_config *reg, zs_config_entry *e, char *err, size_t errlen)
{
	int rv = 0;
	pthread_rwlock_wrlock(&reg->lock);
	const zs_config_entry *old = zs_config_find(reg, e->category, e->name);
	if (old != NULL) {
		snprintf(err, errlen, "config %s.%s is declared twice: by %s and by %s", e->category,
		    e->name, old->service, e->service);
		rv = -1;
	} else if (reg->n_entries == reg->cap) {
		size_t cap = reg->cap ? reg->cap * 2 : 32;
		zs_config_entry **grown = realloc(reg->entries, cap * sizeof *grown);
		if (grown == NULL) {
			snprintf(err, errlen, "out of memory");
			rv = -1;
		} else {
			reg->entries = grown;
			reg->cap = cap;
		}
	}
	if (rv == 0) {
		size_t i = config_lower_bound(reg, e->category, e->name);
		memmove(&reg->entries[i + 1], &reg->entries[i], (reg->n_entries - i) * sizeof *reg->entries);
		reg->entries[i] = e;
		reg->n_entries++;
	}
	pthread_rwlock_unlock(&reg->lock);
	return rv;
}

/* Declares decl; -1 with err (naming the config and the rule) when it cannot. */
static int
config_declare(zs_config *reg, const zs_config_decl *decl, const char *service, char *err,
    size_t errlen)
{
	zs_config_type type;
	if (!config_name_ok(decl->category) || !config_name_ok(decl->name)) {
		snprintf(err, errlen, "config \"%s\".\"%s\": category and name must be letters, digits, "
		    "'_' and '-' in dot-separated parts", decl->category ? decl->category : "",
		    decl->name ? decl->name : "");
		return -1;
	}
	if (zs_config_type_parse(decl->type, &type) != 0) {
		snprintf(err, errlen, "config %s.%s: type \"%s\" is not integer, boolean, string, size "
		    "or duration", decl->category, decl->name, decl->type ? decl->type : "");
		return -1;
	}
	zs_config_entry *e = config_entry_new(decl, type, service);
	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (config_entry_check(e, err, errlen) != 0 || config_insert(reg, e, err, errlen) != 0) {
		config_entry_free(e);
		return -1;
	}
	/* declared after the stored values were loaded: read its own now */
	if (reg->loaded)
		zs_config_store_load_one(reg, decl->category, decl->name);
	return 0;
}

int
zs_config_declare(zs_config *reg, const zs_config_decl *decl, const char *service,
    zs_status **st)
{
	char why[1024];
	if (config_declare(reg, decl, service, why, sizeof why) == 0)
		return ZS_OK;
	if (st != NULL)
		*st = zs_status_new(ZS_INVALID_ARGUMENT, NULL, "%s", why);
	return ZS_INVALID_ARGUMENT;
}

/* ---- values ---- */

/* Fails with NOT_FOUND naming the config (into *st when asked). */
static int
config_not_declared(const char *category, const char *name, zs_status **st)
{
	if (st != NULL)
		*st = zs_status_new(ZS_NOT_FOUND, "CONFIG.1002", "no config %s.%s is declared",
		    category ? category : "", name ? name : "");
	return ZS_NOT_FOUND;
}

int
zs_config_get(zs_config *reg, const char *category, const char *name, char *buf, size_t len,
    zs_status **st)
{
	pthread_rwlock_rdlock(&reg->lock);
	const zs_config_entry *e = zs_config_find(reg, category, name);
	int rv = e == NULL ? ZS_NOT_FOUND : ZS_OK;
	size_t need = e != NULL ? strlen(e->value) + 1 : 0;
	if (e != NULL && need <= len)
		memcpy(buf, e->value, need);
	pthread_rwlock_unlock(&reg->lock);
	if (rv != ZS_OK)
		return config_not_declared(category, name, st);
	if (need > len) {
		/* it does not fit: no value is better than a cut one */
		if (st != NULL)
			*st = zs_status_new(ZS_OUT_OF_RANGE, NULL, "config %s.%s: its value of %zu bytes "
			    "does not fit in %zu", category, name, need - 1, len);
		return ZS_OUT_OF_RANGE;
	}
	return ZS_OK;
}

/* The current value of a config as a number of type want (integers, sizes in bytes,
 * durations in ms; booleans as 1/0). NOT_FOUND when undeclared, FAILED_PRECONDITION when
 * declared with another type. */
static int
config_number_of(zs_config *reg, const char *category, const char *name, zs_config_type want,
    int64_t *out, zs_status **st)
{
	bool b;
	pthread_rwlock_rdlock(&reg->lock);
	const zs_config_entry *e = zs_config_find(reg, category, name);
	zs_config_type type = e != NULL ? e->type : want;
	int rv = e == NULL ? ZS_NOT_FOUND : type != want ? ZS_FAILED_PRECONDITION : ZS_OK;
	if (rv == ZS_OK && type == ZS_CONFIG_BOOLEAN) {
		rv = zs_parse_bool(e->value, &b) == 0 ? ZS_OK : ZS_INTERNAL;
		*out = rv == ZS_OK && b;
	} else if (rv == ZS_OK && zs_config_number(type, e->value, out) != 0) {
		rv = ZS_INTERNAL;
	}
	pthread_rwlock_unlock(&reg->lock);
	if (rv == ZS_NOT_FOUND)
		return config_not_declared(category, name, st);
	if (rv != ZS_OK && st != NULL) {
		static const char *const names[] = { "integer", "boolean", "string", "size", "duration" };
		*st = rv == ZS_FAILED_PRECONDITION ?
		    zs_status_new(rv, NULL, "config %s.%s is a %s, not a %s", category, name,
		        names[type], names[want]) :
		    zs_status_new(rv, NULL, "config %s.%s holds a value its type does not read",
		        category, name);
	}
	return rv;
}

int
zs_config_int(zs_config *reg, const char *category, const char *name, int64_t *out,
    zs_status **st)
{
	return config_number_of(reg, category, name, ZS_CONFIG_INTEGER, out, st);
}

int
zs_config_bool(zs_config *reg, const char *category, const char *name, bool *out,
    zs_status **st)
{
	int64_t v = 0;
	int rv = config_number_of(reg, category, name, ZS_CONFIG_BOOLEAN, &v, st);
	if (rv == ZS_OK)
		*out = v != 0;
	return rv;
}

int
zs_config_size(zs_config *reg, const char *category, const char *name, uint64_t *out,
    zs_status **st)
{
	int64_t v = 0;
	int rv = config_number_of(reg, category, name, ZS_CONFIG_SIZE, &v, st);
	if (rv == ZS_OK)
		*out = v > 0 ? (uint64_t) v : 0;
	return rv;
}

int
zs_config_duration_ms(zs_config *reg, const char *category, const char *name, int64_t *out,
    zs_status **st)
{
	return config_number_of(reg, category, name, ZS_CONFIG_DURATION, out, st);
}

/* ---- watchers ---- */

int
zs_config_watch(zs_config *reg, const char *category, const char *name, zs_config_watch_fn fn,
    void *arg)
{
	if (category == NULL || fn == NULL)
		return ZS_INVALID_ARGUMENT;
	zs_config_watcher w = { strdup(category), name ? strdup(name) : NULL, fn, arg };
	int rv = ZS_RESOURCE_EXHAUSTED;
	pthread_mutex_lock(&reg->watch_lock);
	zs_config_watcher *grown = realloc(reg->watchers, (reg->n_watchers + 1) * sizeof *grown);
	if (grown != NULL && w.category != NULL && (name == NULL || w.name != NULL)) {
		reg->watchers = grown;
		reg->watchers[reg->n_watchers++] = w;
		rv = ZS_OK;
	} else if (grown != NULL) {
		reg->watchers = grown;
	}
	pthread_mutex_unlock(&reg->watch_lock);
	if (rv != 0) {
		free(w.category);
		free(w.name);
	}
	return rv;
}

void
zs_config_unwatch(zs_config *reg, zs_config_watch_fn fn, void *arg)
{
	pthread_mutex_lock(&reg->watch_lock);
	size_t kept = 0;
	for (size_t i = 0; i < reg->n_watchers; i++) {
		zs_config_watcher *w = &reg->watchers[i];
		if (w->fn == fn && w->arg == arg) {
			free(w->category);
			free(w->name);
		} else {
			reg->watchers[kept++] = *w;
		}
	}
	reg->n_watchers = kept;
	pthread_mutex_unlock(&reg->watch_lock);
}

/* Calls the watchers of category/name with value, outside the watch lock. */
static void
config_notify(zs_config *reg, const char *category, const char *name, const char *value)
{
	pthread_mutex_lock(&reg->watch_lock);
	size_t n = 0;
	zs_config_watcher *hit = calloc(reg->n_watchers + 1, sizeof *hit);
	for (size_t i = 0; hit != NULL && i < reg->n_watchers; i++) {
		const zs_config_watcher *w = &reg->watchers[i];
		if (strcmp(w->category, category) == 0 && (w->name == NULL || strcmp(w->name, name) == 0))
			hit[n++] = *w;
	}
	pthread_mutex_unlock(&reg->watch_lock);
	for (size_t i = 0; i < n; i++)
		hit[i].fn(category, name, value, hit[i].arg);
	free(hit);
}

void
zs_config_override_changed(zs_config *reg, const char *tag)
{
	char category[128], name[128];
	const char *sep = strstr(tag, "::");
	const char *sep2 = sep != NULL ? strstr(sep + 2, "::") : NULL;
	if (sep2 == NULL || (size_t) (sep - tag) >= sizeof category ||
	    (size_t) (sep2 - sep - 2) >= sizeof name)
		return;
	snprintf(category, sizeof category, "%.*s", (int) (sep - tag), tag);
	snprintf(name, sizeof name, "%.*s", (int) (sep2 - sep - 2), sep + 2);
	char *copy = NULL;
	pthread_rwlock_rdlock(&reg->lock);
	zs_config_entry *e = zs_config_find(reg, category, name);
	if (e != NULL && e->resource_override)
		copy = strdup(e->value);
	pthread_rwlock_unlock(&reg->lock);
	if (copy != NULL)
		config_notify(reg, category, name, copy);
	free(copy);
}

bool
zs_config_apply(zs_config *reg, const char *category, const char *name,
    const char *value, bool notify)
{
	char *copy = NULL;
	bool changed = false;
	pthread_rwlock_wrlock(&reg->lock);
	zs_config_entry *e = zs_config_find(reg, category, name);
	if (e != NULL) {
		const char *next = value != NULL ? value : e->default_value;
		changed = strcmp(e->value, next) != 0;
		char *dup = changed ? strdup(next) : NULL;
		if (dup != NULL) {
			free(e->value);
			e->value = dup;
		}
		changed = dup != NULL;
		e->stored = value != NULL;
		if (changed && notify)
			copy = strdup(e->value);
	}
	pthread_rwlock_unlock(&reg->lock);
	if (copy != NULL)
		config_notify(reg, category, name, copy);
	free(copy);
	return changed;
}

/* ---- copies for the API ---- */

void
zs_config_view_clear(zs_config_view *v)
{
	free(v->category);
	free(v->name);
	free(v->type);
	free(v->value);
	free(v->default_value);
	free(v->description);
	free(v->min);
	free(v->max);
	free(v->service);
	for (size_t i = 0; i < v->n_allowed; i++)
		free(v->allowed[i]);
	free(v->allowed);
	memset(v, 0, sizeof *v);
}

void
zs_config_views_free(zs_config_view *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		zs_config_view_clear(&v[i]);
	free(v);
}

/* Copies e into v. Caller holds reg->lock. */
static int
config_view_fill(const zs_config_entry *e, zs_config_view *v)
{
	bool failed = false;
	memset(v, 0, sizeof *v);
	v->category = config_dup(e->category, &failed);
	v->name = config_dup(e->name, &failed);
	v->type = config_dup(e->type_name, &failed);
	v->value = config_dup(e->value, &failed);
	v->default_value = config_dup(e->default_value, &failed);
	v->description = config_dup(e->description, &failed);
	v->min = config_dup(e->min, &failed);
	v->max = config_dup(e->max, &failed);
	v->service = config_dup(e->service, &failed);
	v->resource_override = e->resource_override;
	v->stored = e->stored;
	if (e->n_allowed > 0 && (v->allowed = calloc(e->n_allowed, sizeof *v->allowed)) == NULL)
		failed = true;
	for (size_t i = 0; v->allowed != NULL && i < e->n_allowed; i++, v->n_allowed++)
		v->allowed[i] = config_dup(e->allowed[i], &failed);
	if (failed)
		zs_config_view_clear(v);
	return failed ? -1 : 0;
}

int
zs_config_view_get(zs_config *reg, const char *category, const char *name, zs_config_view *out)
{
	memset(out, 0, sizeof *out);
	if (reg == NULL)
		return -1;
	pthread_rwlock_rdlock(&reg->lock);
	const zs_config_entry *e = zs_config_find(reg, category, name);
	int rv = e != NULL ? config_view_fill(e, out) : -1;
	pthread_rwlock_unlock(&reg->lock);
	return rv;
}

int
zs_config_list(zs_config *reg, const char *category, zs_config_view **out, size_t *n)
{
	bool all = category == NULL || *category == '\0';
	*out = NULL;
	*n = 0;
	if (reg == NULL)
		return 0;
	pthread_rwlock_rdlock(&reg->lock);
	zs_config_view *views = calloc(reg->n_entries + 1, sizeof *views);
	int rv = views != NULL ? 0 : -1;
	size_t len = 0;
	for (size_t i = 0; rv == 0 && i < reg->n_entries; i++) {
		const zs_config_entry *e = reg->entries[i];
		if (all || strcmp(e->category, category) == 0) {
			rv = config_view_fill(e, &views[len]);
			len += rv == 0;
		}
	}
	pthread_rwlock_unlock(&reg->lock);
	if (rv != 0) {
		zs_config_views_free(views, len);
		return -1;
	}
	*out = views;
	*n = len;
	return 0;
}

size_t
zs_config_tag_patterns(zs_config *reg,
    void (*fn)(const char *pattern, const char *resource_type, const char *description, void *arg),
    void *arg)
{
	static const char *types[] = ZS_CONFIG_OVERRIDE_TYPES;
	zs_config_view *views;
	size_t n, count = 0;
	if (zs_config_list(reg, NULL, &views, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!views[i].resource_override)
			continue;
		char pattern[300], description[1024];
		snprintf(pattern, sizeof pattern, "%s::%s::{value}", views[i].category, views[i].name);
		snprintf(description, sizeof description, "overrides global config %s.%s here: %s",
		    views[i].category, views[i].name, views[i].description);
		for (size_t t = 0; t < sizeof types / sizeof types[0]; t++, count++)
			fn(pattern, types[t], description, arg);
	}
	zs_config_views_free(views, n);
	return count;
}

/* ---- the registry ---- */

int
zs_config_init(zs_config *reg, const zs_config_env *env)
{
	reg->self = reg;
	reg->node_id = env->node_id;
	reg->rpc = env->rpc;
	reg->router = zs_rpc_router(env->rpc);
	reg->errors = zs_rpc_errors(env->rpc);
	reg->plugins = env->plugins;
	reg->props = env->props;
	reg->events = env->events;
	pthread_rwlock_init(&reg->lock, NULL);
	pthread_mutex_init(&reg->write_lock, NULL);
	pthread_mutex_init(&reg->watch_lock, NULL);
	return 0;
}

void
zs_config_free(zs_config *reg)
{
	if (reg == NULL)
		return;
	zs_config_listen_stop(reg->listener);
	for (size_t i = 0; i < reg->n_entries; i++)
		config_entry_free(reg->entries[i]);
	free(reg->entries);
	for (size_t i = 0; i < reg->n_watchers; i++) {
		free(reg->watchers[i].category);
		free(reg->watchers[i].name);
	}
	free(reg->watchers);
	pthread_rwlock_destroy(&reg->lock);
	pthread_mutex_destroy(&reg->write_lock);
	pthread_mutex_destroy(&reg->watch_lock);
	free(reg);
}
