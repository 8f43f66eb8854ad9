/*
 * fuzz_descriptor.c: fuzzes service descriptors (server/src/plugin/zs_plugin_desc.c): the
 * input is written to a file and loaded as the node loads a plugin's XML, parsed without
 * DOCTYPE or network, validated against server/schema/service.xsd and checked.
 */
#include <stdlib.h>
#include <string.h>

#include "zs_fuzz.h"
#include "zs_plugin_desc.h"

static zs_plugin_schema *schema;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	char err[512];
	if (zs_plugin_schema_load(ZS_FUZZ_XSD, &schema, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_descriptor: %s\n", err);
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	zs_plugin_desc *d = NULL;
	err[0] = '\0';
	const char *path = zs_fuzz_temp_file(data, size, ".xml");
	if (zs_plugin_desc_load(schema, path, &d, err, sizeof err) != 0) {
		ZS_FUZZ_ASSERT(d == NULL && err[0] != '\0', "refused without a reason");
		return 0;
	}
	ZS_FUZZ_ASSERT(d != NULL && d->id != NULL && d->library != NULL && strchr(d->library, '/'),
	    "a descriptor without an id or a library path");
	for (size_t i = 0; i < d->n_apis; i++)
		for (size_t k = 0; k < d->apis[i].n_methods; k++)
			ZS_FUZZ_ASSERT(d->apis[i].methods[k].name != NULL, "a method without a name");
	zs_plugin_desc_free(d);
	return 0;
}
