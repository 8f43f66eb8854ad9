/*
 * zs/resource.h: every resource (zone, host, vm, ...) is registered in one table with
 * its uuid, type, owner account and parent (a host's cluster, a cluster's zone). Tags
 * hang on it and go with it. A normal account sees only what it owns; an admin sees all.
 */
#ifndef ZS_RESOURCE_H
#define ZS_RESOURCE_H

#include "zs/api.h"

#include <stddef.h>
#include "zs/call.h"
#include "zs/db.h"

#define ZS_UUID_LEN 37   /* 36 characters and a NUL */

/* A new random uuid (version 4, lowercase). */
ZS_API void zs_resource_uuid(char out[ZS_UUID_LEN]);

/* Registers a resource, owned by the call's account, in c's transaction. parent_uuid may
 * be NULL. 0, or a canonical code with *st. */
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
/* Renames a resource in the registry (services keep their own copy of the name too). */
ZS_API int zs_resource_rename(zs_db_conn *c, const char *uuid, const char *name, zs_status **st);

#endif
