/*
 * zs/resource.h: every resource (zone, host, vm, ...) is registered in one table with
 * its uuid, type, owner account and parent (a host's cluster, a cluster's zone). Tags
 * hang on it and go with it. A normal account sees only what it owns; an admin sees all.
 */
#ifndef ZS_RESOURCE_H
#define ZS_RESOURCE_H

#include "zs/api.h"

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>
#include "zs/call.h"
#include "zs/db.h"
#include "zs/resource/v1/resource.pb-c.h"

#define ZS_UUID_LEN 37   /* 36 characters and a NUL */

/* A new random uuid (version 4, lowercase). */
ZS_API void zs_resource_uuid(char out[ZS_UUID_LEN]);

/* Registers a resource, owned by the call's account, in c's transaction. parent_uuid may
 * be NULL. 0, or a canonical code with *st (st may be NULL, here and below). */
ZS_API int zs_resource_create(zs_db_conn *c, const zs_call *call, const char *uuid, const char *type,
    const char *name, const char *parent_uuid, zs_status **st);
/* 0 when the call may see uuid (of type, unless NULL); its type is written to type_out
 * (may be NULL). NOT_FOUND otherwise: the same answer for a resource that does not exist
 * and for another account's, so neither is revealed. */
ZS_API int zs_resource_check(zs_db_conn *c, const zs_call *call, const char *uuid, const char *type,
    char *type_out, size_t type_len, zs_status **st);
/* Removes a resource; its tags and its children go with it. 0, or NOT_FOUND. */
ZS_API int zs_resource_delete(zs_db_conn *c, const char *uuid, zs_status **st);
/* Removes a resource and everything below it in c's transaction, telling what went: the
 * subtree is locked first (nothing new can attach), then listed into *below (caller
 * PQclears; columns uuid, type, name, nearest first), then deleted. Lock uuid's own row
 * (SELECT ... FOR UPDATE) before calling. 0, or a canonical code with *st. */
ZS_API int zs_resource_delete_tree(zs_db_conn *c, const char *uuid, PGresult **below, zs_status **st);
/* Lists what is below uuid (columns uuid, type, name, nearest first) into *below (caller
 * PQclears), without locking or deleting it: what a delete would take now. 0, or a
 * canonical code with *st. */
ZS_API int zs_resource_list_tree(zs_db_conn *c, const char *uuid, PGresult **below, zs_status **st);
/* Renames a resource in the registry (services keep their own copy of the name too). */
ZS_API int zs_resource_rename(zs_db_conn *c, const char *uuid, const char *name, zs_status **st);

/*
 * Added for the resource kit (zs/resource_kit.h); usable alone. Each returns 0 or a
 * canonical code, with *st (caller frees) when st is not NULL. Those taking a zs_db_conn
 * block on the database: call them from worker threads (a handler of an <api> that is
 * not executor="inline", a workflow step), never from the receiving thread.
 */

/* ResourceRefs for the rows of r (columns uuid, type, name: zs_resource_delete_tree's
 * list). The refs' strings point into r; refs->ptrs is ready for a repeated field. */
typedef struct zs_resource_refs {
	size_t n;
	Zs__Resource__V1__ResourceRef *refs;    /* owned: n refs */
	Zs__Resource__V1__ResourceRef **ptrs;   /* owned: n pointers into refs */
} zs_resource_refs;
/* Fills *out from r (RESOURCE_EXHAUSTED when out of memory, *out then empty). Any thread. */
ZS_API int zs_resource_refs_from_rows(const PGresult *r, zs_resource_refs *out, zs_status **st);
/* Frees what zs_resource_refs_from_rows allocated (not refs itself); empties it. */
ZS_API void zs_resource_refs_free(zs_resource_refs *refs);

/* Locks the row of a resource in zs_resources (SELECT ... FOR UPDATE), in c's
 * transaction: nothing can attach below it or change it until the transaction ends.
 * NOT_FOUND ("no WHAT with uuid UUID") when there is none. */
ZS_API int zs_resource_lock(zs_db_conn *c, const char *uuid, const char *what, zs_status **st);
/* Deletes a resource of type the call sees, and everything below it, in c's transaction:
 * checks it (zs_resource_check), locks the service's row (row_sql, which selects it by
 * $1 = uuid, is run with FOR UPDATE; *row gets it) and then the registry's, and runs
 * zs_resource_delete_tree (*below gets what went with it). Both PQclear()ed by the
 * caller; NULL on failure. what names it in messages ("zone"). */
ZS_API int zs_resource_delete_subtree(zs_db_conn *c, const zs_call *call, const char *uuid,
    const char *type, const char *what, const char *row_sql, PGresult **row,
    PGresult **below, zs_status **st);

/* Writes the event about a change (topic "zone/created", about uuid) into the outbox in
 * c's open transaction (zs_event_publish_tx): it goes out after the commit, never if the
 * transaction rolls back, and is kept for Replay by owner (NULL: the call's account) and
 * admins. The database's code when it cannot be written (the transaction is then
 * aborted). On a worker thread. */
ZS_API int zs_resource_publish(zs_db_conn *c, const zs_call *call, const char *topic,
    const char *uuid, const char *owner, const ProtobufCMessage *body, zs_status **st);

#endif
