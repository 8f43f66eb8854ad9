/* zs_resource_refs.c: rows of the registry (uuid, type, name) as zs.resource.v1.ResourceRef
 * messages, ready for a repeated field. */
#include <stdlib.h>

#include "zs/resource.h"
#include "zs_rkit.h"

int
zs_resource_refs_from_rows(const PGresult *r, zs_resource_refs *out, zs_status **st)
{
	size_t n = (size_t) PQntuples(r);
	out->n = 0;
	out->refs = calloc(n + 1, sizeof *out->refs);
	out->ptrs = calloc(n + 1, sizeof *out->ptrs);
	if (out->refs == NULL || out->ptrs == NULL) {
		zs_resource_refs_free(out);
		return zs_rkit_status_out(st, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL,
		    "out of memory listing %zu resources", n), ZS_RESOURCE_EXHAUSTED);
	}
	for (size_t i = 0; i < n; i++) {
		zs__resource__v1__resource_ref__init(&out->refs[i]);
		out->refs[i].uuid = PQgetvalue(r, (int) i, 0);
		out->refs[i].type = PQgetvalue(r, (int) i, 1);
		out->refs[i].name = PQgetvalue(r, (int) i, 2);
		out->ptrs[i] = &out->refs[i];
	}
	out->n = n;
	return 0;
}

void
zs_resource_refs_free(zs_resource_refs *refs)
{
	free(refs->refs);
	free(refs->ptrs);
	refs->refs = NULL;
	refs->ptrs = NULL;
	refs->n = 0;
}
