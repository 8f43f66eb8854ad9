/* zs_identity_reset.c: sets the admin account's password offline (`zsnode
 * --reset-admin-password`, the node stopped, its database up): the way back in when
 * every admin password is lost. The account's sessions end with it. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "zs_identity.h"
#include "zs_identity_impl.h"

/* Same parameters as every other hash (zs_identity_password.c). */
#define RESET_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define RESET_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE
#define RESET_ACQUIRE_MS 10000

static int
reset_fail(zs_status *st, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, st != NULL ? st->message : "out of memory");
	zs_status_free(st);
	return -1;
}

static int
reset_exec(zs_db_conn *c, const char *sql, const char *const *params, zs_status **st)
{
	PGresult *r = zs_db_exec(c, sql, 1, params, st);
	if (r == NULL)
		return *st != NULL ? (int) (*st)->code : ZS_INTERNAL;
	PQclear(r);
	return 0;
}

int
zs_identity_reset_admin(zs_db *db, const char *password, char *uuid_out, size_t uuid_len,
    char *err, size_t errlen)
{
	zs_status *st = NULL;
	if (zs_identity_password_rules(password, &st) != 0)
		return reset_fail(st, "the new password is refused", err, errlen);
	char hash[ZS_IDENTITY_HASH_LEN];
	if (crypto_pwhash_str(hash, password, strlen(password), RESET_OPSLIMIT, RESET_MEMLIMIT) != 0) {
		snprintf(err, errlen, "cannot hash the password (out of memory for argon2id)");
		return -1;
	}
	zs_db_conn *c;
	if (zs_db_acquire(db, RESET_ACQUIRE_MS, &c, &st) != 0)
		return reset_fail(st, "cannot reach the database", err, errlen);
	zs_identity_account a;
	int rv = zs_db_begin(c, &st);
	if (rv == 0) {
		rv = zs_identity_account_by_name(c, "admin", &a, &st);
		if (rv == ZS_NOT_FOUND) /* renamed or deleted: make it again */
			rv = zs_identity_account_insert(c, "admin", hash, true, &a, &st);
		else if (rv == 0)
			rv = zs_identity_account_set_hash(c, a.uuid, hash, &st);
		const char *params[1] = { a.uuid };
		if (rv == 0)
			rv = reset_exec(c, "UPDATE zs_accounts SET admin = true WHERE uuid = $1", params, &st);
		if (rv == 0)
			rv = reset_exec(c, "DELETE FROM zs_sessions WHERE account_uuid = $1", params, &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	sodium_memzero(hash, sizeof hash);
	if (rv != 0)
		return reset_fail(st, "cannot set the admin password", err, errlen);
	snprintf(uuid_out, uuid_len, "%s", a.uuid);
	return 0;
}
