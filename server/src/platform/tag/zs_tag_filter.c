/* zs_tag_filter.c: zs_tag_have_all (zs/tag.h): which of many resources carry every
 * system tag of a list, in one query, for filters that judge many resources at once. */
#include <stdio.h>
#include <stdlib.h>

#include "zs/tag.h"

int
zs_tag_have_all(zs_db_conn *c, const char *const *resources, size_t n,
    const char *const *tags, size_t n_tags, bool *has, zs_status **st)
{
	for (size_t i = 0; i < n; i++)
		has[i] = n_tags == 0;
	if (n == 0 || n_tags == 0)
		return 0;
	char *ra = zs_db_text_array(resources, n), *ta = zs_db_text_array(tags, n_tags);
	if (ra == NULL || ta == NULL) {
		free(ra);
		free(ta);
		if (st != NULL)
			*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return ZS_RESOURCE_EXHAUSTED;
	}
	const char *p[2] = { ra, ta };
	zs_status *why = NULL;
	/* ordinality is 1-based: the index into has, plus one */
	PGresult *r = zs_db_exec(c, "SELECT u.i FROM unnest($1::text[]) WITH ORDINALITY AS u(uuid, i) "
	    "WHERE (SELECT count(DISTINCT t.tag) FROM zs_tags t WHERE t.resource_uuid = u.uuid AND "
	    "t.kind = 'system' AND t.tag = ANY($2::text[])) = "
	    "(SELECT count(DISTINCT x) FROM unnest($2::text[]) x)", 2, p, &why);
	free(ra);
	free(ta);
	if (r == NULL) {
		int code = why != NULL ? (int) why->code : ZS_INTERNAL;
		if (st != NULL)
			*st = why;
		else
			zs_status_free(why);
		return code;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		long k = strtol(PQgetvalue(r, i, 0), NULL, 10);
		if (k >= 1 && (size_t) k <= n)
			has[k - 1] = true;
	}
	PQclear(r);
	return 0;
}
