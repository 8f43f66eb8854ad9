/* zs_resource.c: the resource registry: ownership, parents, visibility checks. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "zs/resource.h"

void
zs_resource_uuid(char out[ZS_UUID_LEN])
{
	unsigned char b[16];
	randombytes_buf(b, sizeof b);
	b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);
	snprintf(out, ZS_UUID_LEN,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
	    b[14], b[15]);
}

static int
resource_create(zs_db_conn *c, const zs_call *call, const char *uuid, const char *type,
    const char *name, const char *parent_uuid, zs_status **st)
{
	const char *params[5] = { uuid, type, name ? name : "", zs_call_account(call), parent_uuid };
	PGresult *r = zs_db_exec(c,
	    "INSERT INTO zs_resources (uuid, type, name, owner_uuid, parent_uuid) "
	    "VALUES ($1, $2, $3, $4, $5)", 5, params, st);
	if (r == NULL)
		return (int) (*st)->code;
	PQclear(r);
	return 0;
}

static int
resource_check(zs_db_conn *c, const zs_call *call, const char *uuid, const char *type,
    char *type_out, size_t type_len, zs_status **st)
{
	const char *params[3] = { uuid, zs_call_account(call), zs_call_admin(call) ? "t" : "f" };
	PGresult *r = zs_db_exec(c,
	    "SELECT type FROM zs_resources WHERE uuid = $1 AND ($3::boolean OR owner_uuid = $2)",
	    3, params, st);
	if (r == NULL)
		return (int) (*st)->code;
	bool found = PQntuples(r) == 1 && (type == NULL || strcmp(PQgetvalue(r, 0, 0), type) == 0);
	if (found && type_out != NULL)
		snprintf(type_out, type_len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (!found) {
		*st = zs_status_new(ZS_NOT_FOUND, NULL, "no %s with uuid %s", type ? type : "resource", uuid);
		return ZS_NOT_FOUND;
	}
	return 0;
}

static int
resource_delete(zs_db_conn *c, const char *uuid, zs_status **st)
{
	const char *params[1] = { uuid };
	PGresult *r = zs_db_exec(c, "DELETE FROM zs_resources WHERE uuid = $1", 1, params, st);
	if (r == NULL)
		return (int) (*st)->code;
	bool gone = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (!gone) {
		*st = zs_status_new(ZS_NOT_FOUND, NULL, "no resource with uuid %s", uuid);
		return ZS_NOT_FOUND;
	}
	return 0;
}

/* How deep the walk down the resource tree goes (zone > cluster > host > ...). */
#define RESOURCE_TREE_DEPTH "32"

#define RESOURCE_DESCENDANTS \
	"WITH RECURSIVE d (uuid, depth) AS (" \
	"  SELECT uuid, 1 FROM zs_resources WHERE parent_uuid = $1" \
	"  UNION ALL" \
	"  SELECT r.uuid, d.depth + 1 FROM zs_resources r JOIN d ON r.parent_uuid = d.uuid" \
	"   WHERE d.depth < " RESOURCE_TREE_DEPTH ") "

static int
resource_list_tree(zs_db_conn *c, const char *uuid, PGresult **below, zs_status **st)
{
	const char *params[1] = { uuid };
	*below = zs_db_exec(c, RESOURCE_DESCENDANTS "SELECT r.uuid, r.type, r.name FROM "
	    "zs_resources r JOIN d ON d.uuid = r.uuid ORDER BY d.depth, r.type, r.name, r.uuid",
	    1, params, st);
	return *below != NULL ? 0 : (int) (*st)->code;
}

static int
resource_delete_tree(zs_db_conn *c, const char *uuid, PGresult **below, zs_status **st)
{
	const char *params[1] = { uuid };
	*below = NULL;
	PGresult *r = zs_db_exec(c, RESOURCE_DESCENDANTS "SELECT r.uuid FROM zs_resources r "
	    "JOIN d ON d.uuid = r.uuid FOR UPDATE OF r", 1, params, st);
	if (r == NULL)
		return (int) (*st)->code;
	PQclear(r);
	/* a snapshot after the locks: it sees every child committed before them */
	int rv = resource_list_tree(c, uuid, below, st);
	if (rv != 0)
		return rv;
	rv = resource_delete(c, uuid, st);
	if (rv != 0) {
		PQclear(*below);
		*below = NULL;
	}
	return rv;
}

static int
resource_rename(zs_db_conn *c, const char *uuid, const char *name, zs_status **st)
{
	const char *params[2] = { uuid, name };
	PGresult *r = zs_db_exec(c, "UPDATE zs_resources SET name = $2, updated_at = now() "
	    "WHERE uuid = $1", 2, params, st);
	if (r == NULL)
		return (int) (*st)->code;
	PQclear(r);
	return 0;
}

/* The public calls: *st is optional (the insides above always fill one). */
static int
resource_give(zs_status **st, zs_status *why, int rv)
{
	if (st != NULL)
		*st = why;
	else
		zs_status_free(why);
	return rv;
}

int
zs_resource_create(zs_db_conn *c, const zs_call *call, const char *uuid, const char *type,
    const char *name, const char *parent_uuid, zs_status **st)
{
	zs_status *why = NULL;
	int rv = resource_create(c, call, uuid, type, name, parent_uuid, &why);
	return resource_give(st, why, rv);
}

int
zs_resource_check(zs_db_conn *c, const zs_call *call, const char *uuid, const char *type,
    char *type_out, size_t type_len, zs_status **st)
{
	zs_status *why = NULL;
	int rv = resource_check(c, call, uuid, type, type_out, type_len, &why);
	return resource_give(st, why, rv);
}

int
zs_resource_delete(zs_db_conn *c, const char *uuid, zs_status **st)
{
	zs_status *why = NULL;
	int rv = resource_delete(c, uuid, &why);
	return resource_give(st, why, rv);
}

int
zs_resource_delete_tree(zs_db_conn *c, const char *uuid, PGresult **below, zs_status **st)
{
	zs_status *why = NULL;
	int rv = resource_delete_tree(c, uuid, below, &why);
	return resource_give(st, why, rv);
}

int
zs_resource_list_tree(zs_db_conn *c, const char *uuid, PGresult **below, zs_status **st)
{
	zs_status *why = NULL;
	int rv = resource_list_tree(c, uuid, below, &why);
	return resource_give(st, why, rv);
}

int
zs_resource_rename(zs_db_conn *c, const char *uuid, const char *name, zs_status **st)
{
	zs_status *why = NULL;
	int rv = resource_rename(c, uuid, name, &why);
	return resource_give(st, why, rv);
}
