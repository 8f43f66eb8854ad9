/*
 * fuzz_props.c: fuzzes the properties file reader and the `--set name=value` flag
 * (server/src/base/zs_props.c). The input is written to a file and loaded; each of its
 * lines is then given as a flag too, and the result read back through every accessor.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "zs_fuzz.h"
#include "zs_props.h"

static void
visit(const char *name, const char *value, zs_prop_source src, bool secret,
    const char *description, const char *owner, void *arg)
{
	size_t *n = arg;
	ZS_FUZZ_ASSERT(name != NULL, "a property without a name");
	*n += strlen(name) + (value ? strlen(value) : 0) + (description ? 1 : 0) + (owner ? 1 : 0)
	    + (size_t) src + secret;
}

static void
missing(const char *name, const char *owner, void *arg)
{
	(void) owner;
	*(size_t *) arg += strlen(name);
}

static void
unknown(const char *name, zs_prop_source where, void *arg)
{
	*(size_t *) arg += strlen(name) + (size_t) where;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	zs_props *p = NULL;
	char err[512];
	if (zs_props_new(&p) != 0)
		return 0;
	zs_props_declare(p, "rpc.url", "tcp://127.0.0.1:5600", "where to listen", false, false, "node");
	zs_props_declare(p, "db.password", NULL, "the database password", true, true, "node");
	(void) zs_props_load_file(p, zs_fuzz_temp_file(data, size, ".properties"), err, sizeof err);

	char *text = zs_fuzz_strndup(data, size);
	for (char *line = text, *next; line != NULL && *line != '\0'; line = next) {
		next = zs_fuzz_next_line(line);
		(void) zs_props_set_flag(p, line, err, sizeof err);
	}
	free(text);

	size_t n = 0;
	(void) zs_props_get(p, "rpc.url");
	(void) zs_props_get(p, "db.password");
	(void) zs_props_required(p, "db.password");
	(void) zs_props_check(p, missing, unknown, &n);
	zs_props_each(p, visit, &n);
	zs_props_free(p);
	return 0;
}
