/* zs_http_map.h: a small string-keyed hash map (chained, grows by doubling) for the
 * facility's hosts and waiting tasks. Not locked: its owner locks. */
#ifndef ZS_HTTP_MAP_H
#define ZS_HTTP_MAP_H

#include <stddef.h>

typedef struct zs_http_map_ent zs_http_map_ent;
typedef struct zs_http_map {
	zs_http_map_ent **buckets;
	size_t nbuckets, len;
} zs_http_map;

/* The value of key, or NULL. */
void *zs_http_map_get(const zs_http_map *m, const char *key);
/* Adds key (copied) -> val (key not present). 0 or -1 (no memory). */
int zs_http_map_put(zs_http_map *m, const char *key, void *val);
/* Removes key; its value, or NULL when absent. */
void *zs_http_map_del(zs_http_map *m, const char *key);
/* Calls fn on every value (fn must not change the map). */
void zs_http_map_each(const zs_http_map *m, void (*fn)(void *val, void *arg), void *arg);
/* Frees the entries (not the values). */
void zs_http_map_clear(zs_http_map *m);

#endif
