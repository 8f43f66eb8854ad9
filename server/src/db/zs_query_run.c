/*
 * zs_query_run.c: running a built query statement and reading what it answers: the
 * rows, the count, or both (the count form always answers one row at least; a row whose
 * zs_row is NULL stands for "no rows on this page").
 */
#include <stdlib.h>
#include <string.h>

#include "zs_query_impl.h"

int
zs_query_run(zs_db_conn *c, const zs_query_stmt *s, zs_query_result *out, zs_status **st)
{
	memset(out, 0, sizeof *out);
	zs_status *why = NULL;
	PGresult *r = zs_db_exec(c, s->sql, s->n_params, s->params, &why);
	if (r == NULL) {
		int code = (int) why->code;
		if (st != NULL)
			*st = why;
		else
			zs_status_free(why);
		return code;
	}
	out->rows = r;
	out->grouped = s->grouped;
	int n = PQntuples(r);
	if (s->count_only || s->with_count) {
		int col = PQfnumber(r, "zs_total");
		out->has_total = true;
		out->total = n > 0 && col >= 0 ? strtoull(PQgetvalue(r, 0, col), NULL, 10) : 0;
	}
	if (s->count_only) {
		out->n = 0;
	} else if (s->with_count) {
		int mark = PQfnumber(r, "zs_row");
		out->n = n == 1 && mark >= 0 && PQgetisnull(r, 0, mark) ? 0 : (size_t) n;
	} else {
		out->n = (size_t) n;
	}
	return 0;
}

void
zs_query_result_free(zs_query_result *r)
{
	PQclear(r->rows);
	memset(r, 0, sizeof *r);
}
