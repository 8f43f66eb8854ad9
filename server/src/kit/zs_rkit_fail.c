/*
 * zs_rkit_fail.c: how a kit service fails a call: a unique violation of one of its
 * constraints becomes its own error code (ZONE.1001, ...), and a status of its own is
 * made again by zs_call_fail, which adds the code's declared description. And how the
 * kit's functions hand a status to a caller that may not want it (st NULL).
 */
#include <string.h>

#include "zs_rkit.h"

/* True when st is a unique violation of constraint. */
static bool
fail_violates(const zs_status *st, const char *constraint)
{
	if ((int) st->code != ZS_ALREADY_EXISTS)
		return false;
	for (size_t i = 0; i < st->n_details; i++)
		if (strstr(st->details[i], constraint) != NULL)
			return true;
	return false;
}

int
zs_rkit_conflict_map(const zs_rkit_def *def, const ProtobufCMessage *in, zs_status **st)
{
	for (const zs_rkit_conflict *k = def->conflicts; k != NULL && k->constraint != NULL; k++) {
		const char *value = zs_rkit_msg_string(in, k->field);
		if (value == NULL || !fail_violates(*st, k->constraint))
			continue;
		zs_status *mapped = zs_status_new(ZS_ALREADY_EXISTS, k->error_code, "%s%s%s",
		    k->before, value, k->after);
		if (mapped != NULL) {
			zs_status_free(*st);
			*st = mapped;
		}
		break;
	}
	return (int) (*st)->code;
}

void
zs_rkit_fail(zs_call *call, zs_status *st)
{
	if (st->error_code != NULL && *st->error_code && st->n_details == 0 && st->cause == NULL) {
		zs_call_fail(call, (int) st->code, st->error_code, "%s", st->message);
		zs_status_free(st);
		return;
	}
	zs_call_fail_status(call, st);
}

int
zs_rkit_status_out(zs_status **st, zs_status *made, int code)
{
	if (st != NULL)
		*st = made;
	else
		zs_status_free(made);
	return code;
}
