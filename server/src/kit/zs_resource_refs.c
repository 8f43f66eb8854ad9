/* zs_resource_refs.c: rows of the registry (uuid, type, name) as zs.resource.v1.ResourceRef
 * messages, ready for a repeated field (zs_cascade_refs with nothing taken from the side). */
#include <stdlib.h>

#include "zs/cascade.h"
#include "zs/resource.h"

int
zs_resource_refs_from_rows(const PGresult *r, zs_resource_refs *out, zs_status **st)
{
	return zs_cascade_refs(NULL, r, out, st);
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
