/*
 * zs_plugin_open.c: opens a service's shared object (dlopen, RTLD_NOW | RTLD_LOCAL so
 * that plugins cannot see each other's symbols) and resolves, with dlsym, every symbol
 * its descriptor names. A symbol that is missing fails the open with the descriptor's
 * file and line.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "zs_plugin_open.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct zs_plugin_lib {
	void *handle;
	void **apis;          /* one per desc->apis */
	size_t n_apis;
	void **exts;          /* one per desc->exts */
	size_t n_exts;
	void *start, *stop;   /* NULL when the descriptor names none */
};

/* Looks sym up in lib's handle; line is where desc names it. */
static int resolve(const zs_plugin_desc *desc, void *handle, const char *sym, int line, void **out,
    char *err, size_t errlen)
{
	const char *what;

	dlerror();
	*out = dlsym(handle, sym);
	what = dlerror();
	if (what == NULL && *out != NULL)
		return 0;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s:%d: symbol '%s' %s in %s", desc->path, line, sym,
		    what != NULL ? "not found" : "is NULL", desc->library);
	return -1;
}

static int resolve_all(const zs_plugin_desc *desc, zs_plugin_lib *lib, char *err, size_t errlen)
{
	for (size_t i = 0; i < desc->n_apis; i++)
		if (resolve(desc, lib->handle, desc->apis[i].symbol, desc->apis[i].line, &lib->apis[i], err,
		    errlen) != 0)
			return -1;
	for (size_t i = 0; i < desc->n_exts; i++)
		if (resolve(desc, lib->handle, desc->exts[i].symbol, desc->exts[i].line, &lib->exts[i], err,
		    errlen) != 0)
			return -1;
	if (desc->start_symbol != NULL &&
	    resolve(desc, lib->handle, desc->start_symbol, desc->lifecycle_line, &lib->start, err, errlen) != 0)
		return -1;
	if (desc->stop_symbol != NULL &&
	    resolve(desc, lib->handle, desc->stop_symbol, desc->lifecycle_line, &lib->stop, err, errlen) != 0)
		return -1;
	return 0;
}

static zs_plugin_lib *lib_new(const zs_plugin_desc *desc)
{
	zs_plugin_lib *lib = calloc(1, sizeof *lib);

	if (lib == NULL)
		return NULL;
	lib->n_apis = desc->n_apis;
	lib->n_exts = desc->n_exts;
	if ((lib->n_apis > 0 && (lib->apis = calloc(lib->n_apis, sizeof *lib->apis)) == NULL) ||
	    (lib->n_exts > 0 && (lib->exts = calloc(lib->n_exts, sizeof *lib->exts)) == NULL)) {
		free(lib->apis);
		free(lib);
		return NULL;
	}
	return lib;
}

int zs_plugin_lib_open(const zs_plugin_desc *desc, zs_plugin_lib **out, char *err, size_t errlen)
{
	const char *path = desc != NULL && desc->path != NULL ? desc->path : "(null)";
	zs_plugin_lib *lib;

	if (out == NULL || desc == NULL || desc->library == NULL || strchr(desc->library, '/') == NULL) {
		/* Without a '/', dlopen would search the system's folders, not the plugin's. */
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: invalid argument (library must be a path)", path);
		return -1;
	}
	*out = NULL;
	if ((lib = lib_new(desc)) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	dlerror();
	if ((lib->handle = dlopen(desc->library, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		const char *what = dlerror();

		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot load %s: %s", path, desc->library, what ? what : "unknown error");
		zs_plugin_lib_close(lib);
		return -1;
	}
	if (resolve_all(desc, lib, err, errlen) != 0) {
		zs_plugin_lib_close(lib);
		return -1;
	}
	*out = lib;
	return 0;
}

void *zs_plugin_lib_api(const zs_plugin_lib *lib, size_t api_index)
{
	return lib != NULL && api_index < lib->n_apis ? lib->apis[api_index] : NULL;
}

void *zs_plugin_lib_ext(const zs_plugin_lib *lib, size_t ext_index)
{
	return lib != NULL && ext_index < lib->n_exts ? lib->exts[ext_index] : NULL;
}

void *zs_plugin_lib_start(const zs_plugin_lib *lib)
{
	return lib != NULL ? lib->start : NULL;
}

void *zs_plugin_lib_stop(const zs_plugin_lib *lib)
{
	return lib != NULL ? lib->stop : NULL;
}

void zs_plugin_lib_close(zs_plugin_lib *lib)
{
	if (lib == NULL)
		return;
	if (lib->handle != NULL)
		dlclose(lib->handle);
	free(lib->apis);
	free(lib->exts);
	free(lib);
}
