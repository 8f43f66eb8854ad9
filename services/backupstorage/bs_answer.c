/*
 * bs_answer.c: reading what a backup storage agent answers (ZStack's SftpBackupStorage
 * field names) into numbers the node trusts: the capacity of connect and the sizes of a
 * download. Outside input: any JSON object may come, so every field is checked (an
 * integer, in range) and a bad answer is refused with why. Only jansson here, so that
 * tests/fuzz drives this very file.
 */
#include <stdio.h>

#include "bs_answer.h"

/* The integer field name of o into *v; false with why when absent or not an integer. */
static bool
bs_answer_int(const json_t *o, const char *name, bool required, int64_t *v, char *why,
    size_t len)
{
	const json_t *f = json_object_get(o, name);
	if (f == NULL && !required) {
		*v = 0;
		return true;
	}
	if (!json_is_integer(f)) {
		snprintf(why, len, "%s is %s", name, f == NULL ? "missing" : "not an integer");
		return false;
	}
	*v = (int64_t) json_integer_value(f);
	return true;
}

bool
bs_answer_capacity(const json_t *reply, int64_t *total, int64_t *avail, char *why, size_t len)
{
	if (!json_is_object(reply)) {
		snprintf(why, len, "the answer is not a JSON object");
		return false;
	}
	if (!bs_answer_int(reply, "totalCapacity", true, total, why, len) ||
	    !bs_answer_int(reply, "availableCapacity", true, avail, why, len))
		return false;
	if (*total <= 0 || *total > BS_ANSWER_MAX || *avail < 0) {
		snprintf(why, len, "the capacity makes no sense (totalCapacity %lld, availableCapacity "
		    "%lld)", (long long) *total, (long long) *avail);
		return false;
	}
	if (*avail > *total)
		*avail = *total;   /* never more free than there is */
	return true;
}

bool
bs_answer_download(const json_t *reply, int64_t *size, int64_t *actual, char *why, size_t len)
{
	if (!json_is_object(reply)) {
		snprintf(why, len, "the answer is not a JSON object");
		return false;
	}
	if (!bs_answer_int(reply, "size", true, size, why, len) ||
	    !bs_answer_int(reply, "actualSize", false, actual, why, len))
		return false;
	if (*size <= 0 || *size > BS_ANSWER_MAX || *actual < 0 || *actual > BS_ANSWER_MAX) {
		snprintf(why, len, "the sizes make no sense (size %lld, actualSize %lld)",
		    (long long) *size, (long long) *actual);
		return false;
	}
	if (*actual == 0)
		*actual = *size;   /* an agent that does not tell: the whole size */
	return true;
}
