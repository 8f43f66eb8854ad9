/*
 * zs_props.h: global properties (zsnode.properties). Each property is declared by
 * the part that reads it (the node or a service descriptor) with a default; its value
 * comes from, in rising precedence: the default, the properties file, the environment
 * (ZS_ + name upper-cased with dots as underscores: rpc.url -> ZS_RPC_URL), and
 * `--set name=value` on the command line.
 */
#ifndef ZS_PROPS_H
#define ZS_PROPS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct zs_props zs_props;

typedef enum zs_prop_source {
	ZS_PROP_UNSET = 0,
	ZS_PROP_DEFAULT,
	ZS_PROP_FILE,
	ZS_PROP_ENV,
	ZS_PROP_FLAG,
} zs_prop_source;

int zs_props_new(zs_props **out);
void zs_props_free(zs_props *p);

/* Reads a properties file (name=value lines, # comments). -1 with a message naming
 * file and line on a malformed line or an unreadable file. */
int zs_props_load_file(zs_props *p, const char *path, char *err, size_t errlen);
/* Takes "name=value" from the command line. -1 when it has no '='. */
int zs_props_set_flag(zs_props *p, const char *assignment, char *err, size_t errlen);

/* Declares a property. Declaring it again with the same default is harmless; owner
 * names who declared it (for `zsctl properties`). */
int zs_props_declare(zs_props *p, const char *name, const char *default_value,
    const char *description, bool required, bool secret, const char *owner);

/* Effective value (NULL when unset and no default); the string lives until the props do. */
const char *zs_props_get(const zs_props *p, const char *name);
/* True when name is declared required. Not from inside zs_props_each's fn. */
bool zs_props_required(const zs_props *p, const char *name);
const char *zs_props_source_name(zs_prop_source s);

/* Calls fn for each declared property missing a required value, and for each value
 * given in the file or as a flag for a property nobody declared. Returns how many
 * required ones are missing. */
size_t zs_props_check(const zs_props *p,
    void (*missing)(const char *name, const char *owner, void *arg),
    void (*unknown)(const char *name, zs_prop_source where, void *arg), void *arg);

/* Visits the declared properties in name order. */
void zs_props_each(const zs_props *p,
    void (*fn)(const char *name, const char *value, zs_prop_source src, bool secret,
        const char *description, const char *owner, void *arg), void *arg);

#endif
