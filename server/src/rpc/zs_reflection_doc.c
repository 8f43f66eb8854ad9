/*
 * zs_reflection_doc.c: the comments of a message's fields, as the .proto has them. zs-gen
 * writes them beside protoc-c's code (<base>.zsd.c) as one table per message,
 * zs_comments_<full name with '_' for '.'>, compiled into the same object as the
 * message's descriptor: so the table is looked up in the very library (a service's
 * plugin, libzscore) that holds the descriptor, which dladdr names.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "zs_reflection.h"

const char *const *
zs_reflection_comments(const ProtobufCMessageDescriptor *desc)
{
	char sym[512];
	int n = snprintf(sym, sizeof sym, "zs_comments_%s", desc->name);
	if (n < 0 || (size_t) n >= sizeof sym)
		return NULL;
	for (char *p = sym; *p; p++)
		if (*p == '.')
			*p = '_';
	Dl_info info;
	if (dladdr(desc, &info) == 0 || info.dli_fname == NULL)
		return NULL;
	/* the library is loaded (desc is in it): this takes no new reference for long */
	void *lib = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	if (lib == NULL)
		lib = dlopen(NULL, RTLD_LAZY);
	if (lib == NULL)
		return NULL;
	const char *const *table = dlsym(lib, sym);
	dlclose(lib);
	return table;
}

const char *
zs_reflection_comment(const char *const *table, const char *field)
{
	for (size_t i = 0; table != NULL && table[i] != NULL && table[i + 1] != NULL; i += 2)
		if (strcmp(table[i], field) == 0)
			return table[i + 1];
	return NULL;
}
