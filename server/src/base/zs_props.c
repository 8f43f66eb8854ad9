/* zs_props.c: global properties: declarations, the file, environment and flag layers. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs_props.h"

/* One name=value given in a layer (file or flags). */
typedef struct props_kv {
	char *name;
	char *value;
} props_kv;

/* One declared property; env_value is read once when declared. */
typedef struct props_decl {
	char *name;
	char *default_value;
	char *description;
	char *owner;
	char *env_value;
	bool required;
	bool secret;
} props_decl;

struct zs_props {
	pthread_mutex_t lock;
	props_kv *file;
	size_t n_file;
	props_kv *flags;
	size_t n_flags;
	props_decl *decls;
	size_t n_decls;
};

int
zs_props_new(zs_props **out)
{
	zs_props *p = calloc(1, sizeof *p);
	if (p == NULL)
		return -1;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

static void
props_kv_free(props_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].name);
		free(kv[i].value);
	}
	free(kv);
}

void
zs_props_free(zs_props *p)
{
	if (p == NULL)
		return;
	props_kv_free(p->file, p->n_file);
	props_kv_free(p->flags, p->n_flags);
	for (size_t i = 0; i < p->n_decls; i++) {
		props_decl *d = &p->decls[i];
		free(d->name);
		free(d->default_value);
		free(d->description);
		free(d->owner);
		free(d->env_value);
	}
	free(p->decls);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Adds or replaces name in a layer; the later value wins. */
static int
props_layer_put(props_kv **layer, size_t *n, const char *name, size_t name_len, const char *value)
{
	for (size_t i = 0; i < *n; i++)
		if (strlen((*layer)[i].name) == name_len &&
		    strncmp((*layer)[i].name, name, name_len) == 0) {
			char *v = strdup(value);
			if (v == NULL)
				return -1;
			free((*layer)[i].value);
			(*layer)[i].value = v;
			return 0;
		}
	props_kv *grown = realloc(*layer, (*n + 1) * sizeof *grown);
	if (grown == NULL)
		return -1;
	*layer = grown;
	grown[*n].name = strndup(name, name_len);
	grown[*n].value = strdup(value);
	if (grown[*n].name == NULL || grown[*n].value == NULL) {
		free(grown[*n].name);
		free(grown[*n].value);
		return -1;
	}
	(*n)++;
	return 0;
}

static const props_kv *
props_layer_find(const props_kv *layer, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(layer[i].name, name) == 0)
			return &layer[i];
	return NULL;
}

static char *
props_trim(char *s)
{
	while (isspace((unsigned char) *s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char) e[-1]))
		*--e = '\0';
	return s;
}

int
zs_props_load_file(zs_props *p, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rv = 0;
	while (rv == 0 && getline(&line, &cap, f) >= 0) {
		lineno++;
		char *s = props_trim(line);
		if (*s == '\0' || *s == '#' || *s == '!')
			continue;
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%d: expected name=value, got \"%s\"", path, lineno, s);
			rv = -1;
			break;
		}
		*eq = '\0';
		char *name = props_trim(s), *value = props_trim(eq + 1);
		if (*name == '\0') {
			snprintf(err, errlen, "%s:%d: a property name is missing before '='", path, lineno);
			rv = -1;
			break;
		}
		pthread_mutex_lock(&p->lock);
		rv = props_layer_put(&p->file, &p->n_file, name, strlen(name), value);
		pthread_mutex_unlock(&p->lock);
		if (rv != 0)
			snprintf(err, errlen, "%s:%d: out of memory", path, lineno);
	}
	/* getline stops at a read error as at the end: a folder, a failing disk */
	if (rv == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rv = -1;
	}
	free(line);
	fclose(f);
	return rv;
}

int
zs_props_set_flag(zs_props *p, const char *assignment, char *err, size_t errlen)
{
	const char *eq = strchr(assignment, '=');
	if (eq == NULL || eq == assignment) {
		snprintf(err, errlen, "--set wants name=value, got \"%s\"", assignment);
		return -1;
	}
	pthread_mutex_lock(&p->lock);
	int rv = props_layer_put(&p->flags, &p->n_flags, assignment, (size_t) (eq - assignment), eq + 1);
	pthread_mutex_unlock(&p->lock);
	if (rv != 0)
		snprintf(err, errlen, "out of memory");
	return rv;
}

/* rpc.url -> ZS_RPC_URL */
static char *
props_env_value(const char *name)
{
	char env[256] = "ZS_";
	size_t n = 3;
	for (const char *s = name; *s && n < sizeof env - 1; s++)
		env[n++] = isalnum((unsigned char) *s) ? (char) toupper((unsigned char) *s) : '_';
	env[n] = '\0';
	const char *v = getenv(env);
	return v != NULL ? strdup(v) : NULL;
}

static props_decl *
props_decl_find(const zs_props *p, const char *name)
{
	for (size_t i = 0; i < p->n_decls; i++)
		if (strcmp(p->decls[i].name, name) == 0)
			return &p->decls[i];
	return NULL;
}

int
zs_props_declare(zs_props *p, const char *name, const char *default_value,
    const char *description, bool required, bool secret, const char *owner)
{
	pthread_mutex_lock(&p->lock);
	int rv = 0;
	if (props_decl_find(p, name) == NULL) {
		props_decl *grown = realloc(p->decls, (p->n_decls + 1) * sizeof *grown);
		if (grown == NULL) {
			rv = -1;
		} else {
			p->decls = grown;
			props_decl *d = &grown[p->n_decls];
			memset(d, 0, sizeof *d);
			d->name = strdup(name);
			d->default_value = default_value ? strdup(default_value) : NULL;
			d->description = strdup(description ? description : "");
			d->owner = strdup(owner ? owner : "node");
			d->env_value = props_env_value(name);
			d->required = required;
			d->secret = secret;
			if (d->name == NULL || d->description == NULL || d->owner == NULL) {
				free(d->name);
				free(d->default_value);
				free(d->description);
				free(d->owner);
				free(d->env_value);
				rv = -1;
			} else {
				p->n_decls++;
			}
		}
	}
	pthread_mutex_unlock(&p->lock);
	return rv;
}

/* Value and source of name, from the highest layer that has it. Caller holds the lock. */
static const char *
props_lookup(const zs_props *p, const char *name, zs_prop_source *src)
{
	const props_kv *kv;
	const props_decl *d = props_decl_find(p, name);
	if ((kv = props_layer_find(p->flags, p->n_flags, name)) != NULL) {
		*src = ZS_PROP_FLAG;
		return kv->value;
	}
	if (d != NULL && d->env_value != NULL) {
		*src = ZS_PROP_ENV;
		return d->env_value;
	}
	if ((kv = props_layer_find(p->file, p->n_file, name)) != NULL) {
		*src = ZS_PROP_FILE;
		return kv->value;
	}
	if (d != NULL && d->default_value != NULL) {
		*src = ZS_PROP_DEFAULT;
		return d->default_value;
	}
	*src = ZS_PROP_UNSET;
	return NULL;
}

const char *
zs_props_get(const zs_props *p, const char *name)
{
	zs_prop_source src;
	pthread_mutex_lock((pthread_mutex_t *) &p->lock);
	const char *v = props_lookup(p, name, &src);
	pthread_mutex_unlock((pthread_mutex_t *) &p->lock);
	return v;
}

bool
zs_props_required(const zs_props *p, const char *name)
{
	pthread_mutex_lock((pthread_mutex_t *) &p->lock);
	const props_decl *d = props_decl_find(p, name);
	bool required = d != NULL && d->required;
	pthread_mutex_unlock((pthread_mutex_t *) &p->lock);
	return required;
}

const char *
zs_props_source_name(zs_prop_source s)
{
	static const char *names[] = { "unset", "default", "file", "env", "flag" };
	return (unsigned) s < 5 ? names[s] : "unset";
}

size_t
zs_props_check(const zs_props *p,
    void (*missing)(const char *name, const char *owner, void *arg),
    void (*unknown)(const char *name, zs_prop_source where, void *arg), void *arg)
{
	size_t n_missing = 0;
	zs_prop_source src;
	for (size_t i = 0; i < p->n_decls; i++) {
		const props_decl *d = &p->decls[i];
		const char *v = props_lookup(p, d->name, &src);
		if (d->required && (v == NULL || *v == '\0')) {
			n_missing++;
			if (missing != NULL)
				missing(d->name, d->owner, arg);
		}
	}
	for (size_t i = 0; unknown != NULL && i < p->n_file; i++)
		if (props_decl_find(p, p->file[i].name) == NULL)
			unknown(p->file[i].name, ZS_PROP_FILE, arg);
	for (size_t i = 0; unknown != NULL && i < p->n_flags; i++)
		if (props_decl_find(p, p->flags[i].name) == NULL)
			unknown(p->flags[i].name, ZS_PROP_FLAG, arg);
	return n_missing;
}

static int
props_decl_cmp(const void *a, const void *b)
{
	return strcmp(((const props_decl *) a)->name, ((const props_decl *) b)->name);
}

void
zs_props_each(const zs_props *p,
    void (*fn)(const char *name, const char *value, zs_prop_source src, bool secret,
        const char *description, const char *owner, void *arg), void *arg)
{
	pthread_mutex_lock((pthread_mutex_t *) &p->lock);
	qsort(p->decls, p->n_decls, sizeof *p->decls, props_decl_cmp);
	for (size_t i = 0; i < p->n_decls; i++) {
		zs_prop_source src;
		const props_decl *d = &p->decls[i];
		const char *v = props_lookup(p, d->name, &src);
		fn(d->name, v, src, d->secret, d->description, d->owner, arg);
	}
	pthread_mutex_unlock((pthread_mutex_t *) &p->lock);
}
