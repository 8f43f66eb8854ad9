/*
 * ps_decode.c: an agent's capacity answer read into numbers the database can sum (see
 * ps_decode.h). A total that is missing, not an integer, not positive or past an EiB is
 * refused: it would make the storage's sums overflow or lie.
 */
#include <stdio.h>

#include "ps_decode.h"

int
ps_decode_capacity(const json_t *reply, int64_t *total, int64_t *available, char *why,
    size_t len)
{
	const json_t *t = json_object_get(reply, "totalCapacity");
	const json_t *a = json_object_get(reply, "availableCapacity");
	*total = 0;
	*available = 0;
	if (!json_is_integer(t) || json_integer_value(t) <= 0 ||
	    json_integer_value(t) > PS_CAPACITY_MAX) {
		snprintf(why, len, "the agent reported a capacity that makes no sense (totalCapacity "
		    "%s%lld)", json_is_integer(t) ? "" : "not an integer: ",
		    (long long) (json_is_integer(t) ? json_integer_value(t) : 0));
		return -1;
	}
	*total = (int64_t) json_integer_value(t);
	*available = *total;
	if (json_is_integer(a)) {
		json_int_t v = json_integer_value(a);
		*available = v < 0 ? 0 : v > *total ? *total : (int64_t) v;
	}
	return 0;
}
