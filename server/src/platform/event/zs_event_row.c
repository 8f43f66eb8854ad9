/* zs_event_row.c: one row of zs_event_log as a zs.rpc.v1.Event, for the sender and Replay. */
#include <stdlib.h>

#include "zs_outbox.h"

int
zs_event_row(const PGresult *r, int i, Zs__Rpc__V1__Event *e, unsigned char **body)
{
	zs__rpc__v1__event__init(e);
	*body = NULL;
	e->log_sequence = strtoull(PQgetvalue(r, i, 0), NULL, 10);
	e->topic = PQgetvalue(r, i, 1);
	e->resource_uuid = PQgetvalue(r, i, 2);
	e->node_id = PQgetvalue(r, i, 3);
	e->type = PQgetvalue(r, i, 4);
	e->body_json = PQgetvalue(r, i, 6);
	e->time = zs_db_time(r, i, 7);
	if (PQgetlength(r, i, 5) > 2) {   /* "\x" is an empty bytea */
		size_t n = 0;
		*body = PQunescapeBytea((const unsigned char *) PQgetvalue(r, i, 5), &n);
		if (*body == NULL)
			return -1;
		e->body.data = *body;
		e->body.len = n;
	}
	return 0;
}
