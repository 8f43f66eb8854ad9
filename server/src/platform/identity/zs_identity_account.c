/* zs_identity_account.c: the rows of zs_accounts: find, list, add, delete, new password. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/clock.h"
#include "zs/resource.h"
#include "zs_identity_impl.h"

/* Every query selects these columns, in this order. */
#define ACCOUNT_COLUMNS \
	"uuid, name, admin, created_at, password_hash"

/* Fills a from row i of r. */
static void
account_from_row(const PGresult *r, int i, zs_identity_account *a)
{
	memset(a, 0, sizeof *a);
	snprintf(a->uuid, sizeof a->uuid, "%s", PQgetvalue(r, i, 0));
	snprintf(a->name, sizeof a->name, "%s", PQgetvalue(r, i, 1));
	a->admin = strcmp(PQgetvalue(r, i, 2), "t") == 0;
	google__protobuf__timestamp__init(&a->create_date);
	(void) zs_time_parse(PQgetvalue(r, i, 3), &a->create_date.seconds, &a->create_date.nanos);
	snprintf(a->hash, sizeof a->hash, "%s", PQgetvalue(r, i, 4));
}

/* Runs a query for at most one account. */
static int
account_find(zs_db_conn *c, const char *sql, const char *value, zs_identity_account *out,
    zs_status **st)
{
	const char *params[1] = { value };
	PGresult *r = zs_db_exec(c, sql, 1, params, st);
	if (r == NULL)
		return zs_identity_code(*st);
	int n = PQntuples(r);
	if (n == 1)
		account_from_row(r, 0, out);
	PQclear(r);
	return n == 1 ? 0 : ZS_NOT_FOUND;
}

int
zs_identity_account_by_name(zs_db_conn *c, const char *name, zs_identity_account *out,
    zs_status **st)
{
	return account_find(c, "SELECT " ACCOUNT_COLUMNS " FROM zs_accounts WHERE name = $1", name,
	    out, st);
}

int
zs_identity_account_by_uuid(zs_db_conn *c, const char *uuid, zs_identity_account *out,
    zs_status **st)
{
	return account_find(c, "SELECT " ACCOUNT_COLUMNS " FROM zs_accounts WHERE uuid = $1", uuid,
	    out, st);
}

int
zs_identity_account_list(zs_db_conn *c, const char *only_uuid, zs_identity_account **out,
    size_t *n, zs_status **st)
{
	const char *params[1] = { only_uuid };
	PGresult *r = zs_db_exec(c, "SELECT " ACCOUNT_COLUMNS " FROM zs_accounts "
	    "WHERE $1::text IS NULL OR uuid = $1 ORDER BY name", 1, params, st);
	if (r == NULL)
		return zs_identity_code(*st);
	int rows = PQntuples(r);
	*out = calloc(rows > 0 ? (size_t) rows : 1, sizeof **out);
	if (*out == NULL) {
		PQclear(r);
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return ZS_RESOURCE_EXHAUSTED;
	}
	for (int i = 0; i < rows; i++)
		account_from_row(r, i, &(*out)[i]);
	*n = (size_t) rows;
	PQclear(r);
	return 0;
}

int
zs_identity_account_insert(zs_db_conn *c, const char *name, const char *hash, bool admin,
    zs_identity_account *out, zs_status **st)
{
	char uuid[ZS_UUID_LEN];
	zs_resource_uuid(uuid);
	const char *params[4] = { uuid, name, hash, admin ? "t" : "f" };
	PGresult *r = zs_db_exec(c, "INSERT INTO zs_accounts (uuid, name, password_hash, admin) "
	    "VALUES ($1, $2, $3, $4) RETURNING " ACCOUNT_COLUMNS, 4, params, st);
	if (r == NULL)
		return zs_identity_code(*st);
	account_from_row(r, 0, out);
	PQclear(r);
	return 0;
}

/* Inside the delete's transaction: the target row, with every admin row locked first so
 * two admins deleting each other at once cannot leave none. */
static int
account_delete_checked(zs_db_conn *c, const char *uuid, zs_status **st)
{
	const char *params[1] = { uuid };
	PGresult *r = zs_db_exec(c, "SELECT count(*) FILTER (WHERE admin), "
	    "bool_or(uuid = $1 AND admin), bool_or(uuid = $1) "
	    "FROM (SELECT uuid, admin FROM zs_accounts WHERE admin OR uuid = $1 FOR UPDATE) a",
	    1, params, st);
	if (r == NULL)
		return zs_identity_code(*st);
	long admins = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	bool is_admin = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	bool exists = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
	PQclear(r);
	if (!exists) {
		*st = zs_status_new(ZS_NOT_FOUND, ZS_IDENTITY_E_NOT_FOUND, "no account with uuid %s", uuid);
		return ZS_NOT_FOUND;
	}
	if (is_admin && admins <= 1) {
		*st = zs_status_new(ZS_FAILED_PRECONDITION, ZS_IDENTITY_E_CANNOT_DELETE,
		    "account %s is the last admin: make another admin first", uuid);
		return ZS_FAILED_PRECONDITION;
	}
	/* its sessions go with it (ON DELETE CASCADE) */
	r = zs_db_exec(c, "DELETE FROM zs_accounts WHERE uuid = $1", 1, params, st);
	if (r == NULL)
		return zs_identity_code(*st);
	PQclear(r);
	return 0;
}

int
zs_identity_account_delete(zs_db_conn *c, const char *uuid, zs_status **st)
{
	if (zs_db_begin(c, st) != 0)
		return zs_identity_code(*st);
	int rv = account_delete_checked(c, uuid, st);
	if (rv != 0) {
		zs_db_rollback(c);
		if (rv == ZS_FAILED_PRECONDITION && *st != NULL && (*st)->error_code[0] == '\0') {
			/* a foreign key: rows of zs_resources still name it as their owner */
			zs_status *why = *st;
			*st = zs_status_new(ZS_FAILED_PRECONDITION, ZS_IDENTITY_E_CANNOT_DELETE,
			    "account %s still owns resources: delete them or give them to another "
			    "account first", uuid);
			zs_status_set_cause(*st, why);
		}
		return rv;
	}
	return zs_db_commit(c, st) == 0 ? 0 : zs_identity_code(*st);
}

int
zs_identity_account_set_hash(zs_db_conn *c, const char *uuid, const char *hash, zs_status **st)
{
	const char *params[2] = { uuid, hash };
	PGresult *r = zs_db_exec(c, "UPDATE zs_accounts SET password_hash = $2 WHERE uuid = $1", 2,
	    params, st);
	if (r == NULL)
		return zs_identity_code(*st);
	bool done = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (!done) {
		*st = zs_status_new(ZS_NOT_FOUND, ZS_IDENTITY_E_NOT_FOUND, "no account with uuid %s", uuid);
		return ZS_NOT_FOUND;
	}
	return 0;
}

int
zs_identity_account_admin_exists(zs_db_conn *c, bool *exists, zs_status **st)
{
	PGresult *r = zs_db_exec(c, "SELECT EXISTS (SELECT 1 FROM zs_accounts WHERE admin)", 0, NULL, st);
	if (r == NULL)
		return zs_identity_code(*st);
	*exists = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return 0;
}

void
zs_identity_account_info(const zs_identity_account *a, Zs__Identity__V1__AccountInfo *info)
{
	zs__identity__v1__account_info__init(info);
	info->uuid = (char *) a->uuid;
	info->name = (char *) a->name;
	info->admin = a->admin;
	/* an account not read from a row (zeroed) has no time */
	if (a->create_date.base.descriptor != NULL)
		info->create_date = (Google__Protobuf__Timestamp *) &a->create_date;
}
