/*
 * zs_rkit_store.c: the kit's database work for one resource type, from the SQL of its
 * zs_rkit_def: create (its zs_resources row and the service's, in one transaction), get,
 * list, update, delete (with what is below it). Each change writes its event
 * (WHAT/created, /updated, /deleted) into the outbox in its own transaction, so the event
 * goes out exactly when the change commits. Parameterized SQL only. Visibility is
 * zs_resource_check's: a resource (or parent) the call does not see is NOT_FOUND,
 * exactly like one that does not exist.
 */
#include <stdio.h>
#include <string.h>

#include "zs_rkit.h"

/* The parent must be one the call sees; NOT_FOUND naming the field otherwise. */
static int
store_check_parent(const zs_rkit_def *def, zs_db_conn *c, const zs_call *call,
    const char *parent, zs_status **st)
{
	zs_status *why = NULL;
	int rv = zs_resource_check(c, call, parent, def->parent_type, NULL, 0, &why);
	if (rv == ZS_NOT_FOUND) {
		zs_status_free(why);
		why = zs_status_new(ZS_NOT_FOUND, NULL, "%s: no %s with uuid %s", def->parent_field,
		    def->parent_what, parent);
	}
	*st = why;
	return rv;
}

/* Writes WHAT/verb about row 0 into the outbox, in c's transaction: def's deleted event
 * (the Info and refs) when refs is not NULL and def has one, else the Info. The event is
 * kept for the resource's owner. */
static int
store_publish(const zs_rkit_def *def, zs_db_conn *c, const zs_call *call, const char *verb,
    const PGresult *row, const zs_resource_refs *refs, zs_status **st)
{
	ProtobufCMessage *info = zs_rkit_msg_new(def->info);
	ProtobufCMessage *event = refs != NULL && def->deleted_event != NULL ?
	    zs_rkit_msg_new(def->deleted_event) : NULL;
	int rv = ZS_OK;
	if (info == NULL || (refs != NULL && def->deleted_event != NULL && event == NULL)) {
		rv = zs_rkit_status_out(st, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL,
		    "out of memory writing the %s/%s event", def->what, verb), ZS_RESOURCE_EXHAUSTED);
	} else {
		zs_rkit_from_row(row, 0, info);
		if (event != NULL) {
			void *item = info;
			(void) zs_rkit_msg_set(event, def->info, &item, 1);
			(void) zs_rkit_msg_set(event, &zs__resource__v1__resource_ref__descriptor,
			    (void **) refs->ptrs, refs->n);
		}
		char topic[128];
		snprintf(topic, sizeof topic, "%s/%s", def->what, verb);
		rv = zs_resource_publish(c, call, topic, zs_rkit_msg_string(info, "uuid"),
		    zs_rkit_msg_string(info, "owner_uuid"), event != NULL ? event : info, st);
	}
	zs_rkit_msg_free(event);
	zs_rkit_msg_free(info);
	return rv;
}

/* Ends c's transaction with rv; on failure *row goes. */
static int
store_end(zs_db_conn *c, int rv, PGresult **row, zs_status **st)
{
	rv = zs_db_end(c, rv, st);
	if (rv != 0) {
		PQclear(*row);
		*row = NULL;
	}
	return rv;
}

int
zs_rkit_store_create(const zs_rkit_def *def, zs_db_conn *c, const zs_call *call,
    const zs_rkit_req *q, PGresult **row, zs_status **st)
{
	*row = NULL;
	if (zs_db_begin(c, st) != 0)
		return (int) (*st)->code;
	int rv = def->parent_type != NULL ? store_check_parent(def, c, call, q->parent, st) : 0;
	if (rv == 0) {
		rv = zs_resource_create(c, call, q->uuid, def->type, q->name, q->parent, st);
		if (rv == ZS_FAILED_PRECONDITION) {
			/* the parent went between the check and the insert (its foreign key) */
			zs_status_free(*st);
			*st = zs_status_new(ZS_NOT_FOUND, NULL, "%s: no %s with uuid %s",
			    def->parent_field, def->parent_what, q->parent);
			rv = ZS_NOT_FOUND;
		}
	}
	if (rv == 0) {
		const char *p[5 + ZS_RKIT_EXTRA_MAX] = { q->uuid, zs_call_account(call), q->name,
		    q->description, q->parent };
		int n = def->parent_type != NULL ? 5 : 4;
		for (size_t i = 0; i < q->n_fields + def->n_extra && i < ZS_RKIT_EXTRA_MAX; i++)
			p[n++] = q->extra[i];
		rv = zs_db_exec_one(c, def->sql_insert, n, p, def->what, q->uuid, row, st);
	}
	if (rv == 0)
		rv = store_publish(def, c, call, "created", *row, NULL, st);
	return store_end(c, rv, row, st);
}

int
zs_rkit_store_get(const zs_rkit_def *def, zs_db_conn *c, const zs_call *call,
    const char *uuid, PGresult **row, zs_status **st)
{
	*row = NULL;
	int rv = zs_resource_check(c, call, uuid, def->type, NULL, 0, st);
	if (rv != 0)
		return rv;
	const char *p[1] = { uuid };
	return zs_db_exec_one(c, def->sql_get, 1, p, def->what, uuid, row, st);
}

int
zs_rkit_store_list(const zs_rkit_def *def, zs_db_conn *c, const zs_call *call,
    const char *parent, PGresult **rows, zs_status **st)
{
	*rows = NULL;
	if (parent != NULL) {
		int rv = store_check_parent(def, c, call, parent, st);
		if (rv != 0)
			return rv;
	}
	const char *p[3] = { zs_call_admin(call) ? "t" : "f", zs_call_account(call), parent };
	*rows = zs_db_exec(c, def->sql_list, def->parent_type != NULL ? 3 : 2, p, st);
	return *rows != NULL ? 0 : (int) (*st)->code;
}

int
zs_rkit_store_update(const zs_rkit_def *def, zs_db_conn *c, const zs_call *call,
    const zs_rkit_req *q, PGresult **row, zs_status **st)
{
	*row = NULL;
	if (zs_db_begin(c, st) != 0)
		return (int) (*st)->code;
	const char *p[3] = { q->uuid, q->name, q->description };
	int rv = zs_resource_check(c, call, q->uuid, def->type, NULL, 0, st);
	if (rv == 0)
		rv = zs_db_exec_one(c, def->sql_update, 3, p, def->what, q->uuid, row, st);
	if (rv == 0 && q->name != NULL)
		rv = zs_resource_rename(c, q->uuid, q->name, st);
	if (rv == 0)
		rv = store_publish(def, c, call, "updated", *row, NULL, st);
	return store_end(c, rv, row, st);
}

int
zs_rkit_store_delete(const zs_rkit_def *def, zs_db_conn *c, const zs_call *call,
    const char *uuid, zs_cascade *cs, PGresult **row, PGresult **below, zs_status **st)
{
	*row = *below = NULL;
	if (zs_db_begin(c, st) != 0)
		return (int) (*st)->code;
	int rv = zs_resource_delete_subtree(c, call, uuid, def->type, def->what, def->sql_get, row,
	    below, st);
	if (rv == 0)
		rv = zs_cascade_check_tx(cs, c, st);
	if (rv == 0) {
		zs_resource_refs refs = { 0, NULL, NULL };
		rv = zs_cascade_refs(cs, *below, &refs, st);
		if (rv == 0)
			rv = store_publish(def, c, call, "deleted", *row, &refs, st);
		zs_resource_refs_free(&refs);
	}
	rv = zs_db_end(c, rv, st);
	if (rv != 0) {
		PQclear(*row);
		PQclear(*below);
		*row = *below = NULL;
	}
	return rv;
}
