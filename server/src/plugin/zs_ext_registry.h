/* zs_ext_registry.h: building the extension registry at start (zs/ext.h reads it). */
#ifndef ZS_EXT_REGISTRY_H
#define ZS_EXT_REGISTRY_H

#include <stddef.h>
#include "zs/ext.h"

int zs_ext_registry_new(zs_ext_registry **out);
void zs_ext_registry_free(zs_ext_registry *reg);
/* Adds an implementation (strings are copied); data is where its service keeps its state
 * (may be NULL). -1 when (point, name) is taken. */
int zs_ext_registry_add(zs_ext_registry *reg, const char *point, const char *name,
    const char *plugin, int order, const void *impl, void *const *data, char *err,
    size_t errlen);

#endif
