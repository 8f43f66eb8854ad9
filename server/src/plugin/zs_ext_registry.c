/* zs_ext_registry.c: extension points: implementations grouped by point, ordered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs_ext_registry.h"

/* All implementations of one point, sorted by order then name. */
typedef struct ext_point {
	char *name;
	zs_ext **impls;
	size_t len;
} ext_point;

struct zs_ext_registry {
	ext_point *points;
	size_t n_points;
};

int
zs_ext_registry_new(zs_ext_registry **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : -1;
}

void
zs_ext_registry_free(zs_ext_registry *reg)
{
	if (reg == NULL)
		return;
	for (size_t i = 0; i < reg->n_points; i++) {
		for (size_t j = 0; j < reg->points[i].len; j++) {
			zs_ext *e = reg->points[i].impls[j];
			free((char *) e->name);
			free((char *) e->plugin);
			free(e);
		}
		free(reg->points[i].impls);
		free(reg->points[i].name);
	}
	free(reg->points);
	free(reg);
}

static ext_point *
ext_point_find(const zs_ext_registry *reg, const char *point)
{
	for (size_t i = 0; i < reg->n_points; i++)
		if (strcmp(reg->points[i].name, point) == 0)
			return &reg->points[i];
	return NULL;
}

static int
ext_cmp(const void *a, const void *b)
{
	const zs_ext *x = *(zs_ext *const *) a, *y = *(zs_ext *const *) b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

int
zs_ext_registry_add(zs_ext_registry *reg, const char *point, const char *name,
    const char *plugin, int order, const void *impl, void *const *data, char *err,
    size_t errlen)
{
	ext_point *p = ext_point_find(reg, point);
	if (p == NULL) {
		ext_point *grown = realloc(reg->points, (reg->n_points + 1) * sizeof *grown);
		if (grown == NULL)
			return -1;
		reg->points = grown;
		p = &grown[reg->n_points];
		memset(p, 0, sizeof *p);
		if ((p->name = strdup(point)) == NULL)
			return -1;
		reg->n_points++;
	}
	for (size_t i = 0; i < p->len; i++)
		if (strcmp(p->impls[i]->name, name) == 0) {
			snprintf(err, errlen, "extension %s/%s of %s is already offered by %s", point,
			    name, plugin, p->impls[i]->plugin);
			return -1;
		}
	zs_ext **grown = realloc(p->impls, (p->len + 1) * sizeof *grown);
	zs_ext *e = calloc(1, sizeof *e);
	if (grown != NULL)
		p->impls = grown;
	if (grown == NULL || e == NULL) {
		free(e);
		return -1;
	}
	e->point = p->name;
	e->name = strdup(name);
	e->plugin = strdup(plugin);
	e->order = order;
	e->impl = impl;
	e->data = data;
	if (e->name == NULL || e->plugin == NULL) {
		free((char *) e->name);
		free((char *) e->plugin);
		free(e);
		return -1;
	}
	p->impls[p->len++] = e;
	qsort(p->impls, p->len, sizeof *p->impls, ext_cmp);
	return 0;
}

const zs_ext *const *
zs_ext_list(const zs_ext_registry *reg, const char *point, size_t *n)
{
	const ext_point *p = ext_point_find(reg, point);
	*n = p ? p->len : 0;
	return p ? (const zs_ext *const *) p->impls : NULL;
}

const zs_ext *
zs_ext_find(const zs_ext_registry *reg, const char *point, const char *name)
{
	const ext_point *p = ext_point_find(reg, point);
	for (size_t i = 0; p != NULL && i < p->len; i++)
		if (strcmp(p->impls[i]->name, name) == 0)
			return p->impls[i];
	return NULL;
}

void *
zs_ext_service_data(const zs_ext *e)
{
	return e != NULL && e->data != NULL ? *e->data : NULL;
}
