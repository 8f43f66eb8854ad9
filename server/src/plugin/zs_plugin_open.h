/*
 * zs_plugin_open.h: the shared object of a service descriptor, opened with dlopen, with
 * every symbol the descriptor names resolved (api services, extensions, lifecycle
 * functions). Opening only resolves: nothing of the plugin runs here.
 */
#ifndef ZS_PLUGIN_OPEN_H
#define ZS_PLUGIN_OPEN_H

#include <stddef.h>
#include "zs_plugin_desc.h"

typedef struct zs_plugin_lib zs_plugin_lib;

/*
 * dlopen(desc->library, RTLD_NOW | RTLD_LOCAL) and resolves every symbol desc names.
 * Returns 0 with *out set (caller owns; zs_plugin_lib_close), or -1 with a message in err:
 * "echo.xml:5: symbol 'echo_service' not found in /path/libzs_echo.so" or
 * "echo.xml: cannot load /path/libzs_echo.so: <dlerror>". The lib does not keep desc.
 */
int zs_plugin_lib_open(const zs_plugin_desc *desc, zs_plugin_lib **out, char *err, size_t errlen);
/* The ProtobufCService * of desc->apis[api_index]; NULL when out of range. */
void *zs_plugin_lib_api(const zs_plugin_lib *lib, size_t api_index);
/* The interface struct of desc->exts[ext_index]; NULL when out of range. */
void *zs_plugin_lib_ext(const zs_plugin_lib *lib, size_t ext_index);
/* The start function, NULL when none; the caller casts it to zs_service_start_fn. */
void *zs_plugin_lib_start(const zs_plugin_lib *lib);
/* The stop function, NULL when none; the caller casts it to zs_service_stop_fn. */
void *zs_plugin_lib_stop(const zs_plugin_lib *lib);
/* dlclose; every pointer the lib gave is then invalid. NULL is fine. */
void zs_plugin_lib_close(zs_plugin_lib *lib);

#endif
