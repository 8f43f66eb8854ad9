/*
 * inv_query.h: one helper for every resource's Query<X> call in the suites: conditions as
 * (name, op, value) triples, count or reply_with_count, and what came back (how many rows,
 * the total, the rows' uuids) read through the response's descriptor, so one helper
 * serves every Query<X>Response.
 */
#ifndef INV_QUERY_H
#define INV_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inv.h"

enum { INVQ_COUNT = 1, INVQ_WITH_COUNT = 2 };

#define INVQ_ROWS 32

typedef struct invq {
	int code;                        /* the call's code (t->msg says why when not 0) */
	size_t n;                        /* rows answered */
	uint64_t total;                  /* with INVQ_COUNT or INVQ_WITH_COUNT */
	char uuids[INVQ_ROWS][INV_UUID]; /* the first rows' uuids, in order */
} invq;

/* method (".../QueryX") as session s with reply type d; flags INVQ_*; then the conditions,
 * name, op, value each, ended by NULL. */
invq inv_q(inv *t, const char *s, const char *method, const ProtobufCMessageDescriptor *d,
    int flags, ...);
/* Is uuid among the rows answered? */
bool invq_has(const invq *r, const char *uuid);

#endif
