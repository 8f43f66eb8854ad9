/* zs_host_alloc.c: zs_host_alloc_column (zs/host_alloc.h): one column of the allocator's
 * candidates, each value once, as a text[] parameter for a filter's single query. */
#include <stdlib.h>
#include <string.h>

#include "zs/db.h"
#include "zs/host_alloc.h"

char *
zs_host_alloc_column(const zs_host_candidate *cands, size_t n, zs_host_alloc_col col)
{
	const char **v = calloc(n > 0 ? n : 1, sizeof *v);
	if (v == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = col == ZS_HOST_ALLOC_CLUSTER ? cands[i].cluster_uuid :
		    col == ZS_HOST_ALLOC_ZONE ? cands[i].zone_uuid : cands[i].uuid;
		size_t j = col == ZS_HOST_ALLOC_UUID ? k : 0;   /* host uuids are unique */
		while (j < k && strcmp(v[j], s) != 0)   /* clusters and zones: a few */
			j++;
		if (j == k)
			v[k++] = s;
	}
	char *out = zs_db_text_array(v, k);
	free(v);
	return out;
}
