/* zs_host_alloc.c: what the allocator's filters share (zs/host_alloc.h): one column of
 * the candidates, each value once, as a text[] parameter for a filter's single query, and
 * keeping the candidates whose cluster or zone that query answered. */
#include <stdlib.h>
#include <string.h>

#include "zs/db.h"
#include "zs/host_alloc.h"

/* The value of col of c. */
static const char *
host_alloc_value(const zs_host_candidate *c, zs_host_alloc_col col)
{
	return col == ZS_HOST_ALLOC_CLUSTER ? c->cluster_uuid : col == ZS_HOST_ALLOC_ZONE ?
	    c->zone_uuid : c->uuid;
}

char *
zs_host_alloc_column(const zs_host_candidate *cands, size_t n, zs_host_alloc_col col)
{
	const char **v = calloc(n > 0 ? n : 1, sizeof *v);
	if (v == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = host_alloc_value(&cands[i], col);
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

int
zs_host_alloc_keep(zs_db_conn *c, zs_host_candidate *cands, size_t n, zs_host_alloc_col col,
    const char *sql, const char *const *list, size_t n_list, zs_status **st)
{
	char *values = zs_host_alloc_column(cands, n, col), *wanted = zs_db_text_array(list, n_list);
	PGresult *fit = NULL;
	if (values != NULL && wanted != NULL)
		fit = zs_db_exec(c, sql, 2, (const char *const[]) { values, wanted }, st);
	else
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	free(values);
	free(wanted);
	if (fit == NULL)
		return *st != NULL ? (int) (*st)->code : ZS_INTERNAL;
	int rows = PQntuples(fit);
	for (size_t i = 0; i < n; i++) {
		const char *s = host_alloc_value(&cands[i], col);
		bool found = false;
		for (int k = 0; k < rows && !found; k++)
			found = strcmp(PQgetvalue(fit, k, 0), s) == 0;
		cands[i].removed = !found;
	}
	PQclear(fit);
	return 0;
}
