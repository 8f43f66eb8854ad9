/* zs_http_map.c: the string-keyed hash map of zs_http_map.h (FNV-1a, chained). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zs_http_map.h"

struct zs_http_map_ent {
	zs_http_map_ent *next;
	void *val;
	char key[];
};

static size_t
map_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	return (size_t) h;
}

void *
zs_http_map_get(const zs_http_map *m, const char *key)
{
	if (m->nbuckets == 0)
		return NULL;
	for (zs_http_map_ent *e = m->buckets[map_hash(key) & (m->nbuckets - 1)]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e->val;
	return NULL;
}

static int
map_grow(zs_http_map *m)
{
	size_t n = m->nbuckets ? m->nbuckets * 2 : 64;
	zs_http_map_ent **b = calloc(n, sizeof *b);
	if (b == NULL)
		return -1;
	for (size_t i = 0; i < m->nbuckets; i++) {
		zs_http_map_ent *e = m->buckets[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			size_t j = map_hash(e->key) & (n - 1);
			e->next = b[j];
			b[j] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
	return 0;
}

int
zs_http_map_put(zs_http_map *m, const char *key, void *val)
{
	if (m->len >= m->nbuckets && map_grow(m) != 0)
		return -1;
	size_t kl = strlen(key);
	zs_http_map_ent *e = malloc(sizeof *e + kl + 1);
	if (e == NULL)
		return -1;
	memcpy(e->key, key, kl + 1);
	e->val = val;
	size_t j = map_hash(key) & (m->nbuckets - 1);
	e->next = m->buckets[j];
	m->buckets[j] = e;
	m->len++;
	return 0;
}

void *
zs_http_map_del(zs_http_map *m, const char *key)
{
	if (m->nbuckets == 0)
		return NULL;
	for (zs_http_map_ent **p = &m->buckets[map_hash(key) & (m->nbuckets - 1)]; *p != NULL;
	    p = &(*p)->next) {
		zs_http_map_ent *e = *p;
		if (strcmp(e->key, key) == 0) {
			void *val = e->val;
			*p = e->next;
			free(e);
			m->len--;
			return val;
		}
	}
	return NULL;
}

void
zs_http_map_each(const zs_http_map *m, void (*fn)(void *val, void *arg), void *arg)
{
	for (size_t i = 0; i < m->nbuckets; i++)
		for (zs_http_map_ent *e = m->buckets[i]; e != NULL; e = e->next)
			fn(e->val, arg);
}

void
zs_http_map_clear(zs_http_map *m)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		zs_http_map_ent *e = m->buckets[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(m->buckets);
	m->buckets = NULL;
	m->nbuckets = m->len = 0;
}
