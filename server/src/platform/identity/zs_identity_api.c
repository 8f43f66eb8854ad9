/*
 * zs_identity_api.c: the zs.identity.v1.Identity handlers. They run on the worker pool
 * (they use the database and the KDF). Each checks its caller (zs_call_account,
 * zs_call_admin): a normal account sees and changes only itself, and another account's
 * uuid gets the answer a uuid nobody has gets (NOT_FOUND), or PERMISSION_DENIED for what
 * only an admin may do. Passwords of a request are zeroed once used and never logged.
 */
#include <stdlib.h>
#include <string.h>

#include "zs/clock.h"
#include "zs/config.h"
#include "zs/log.h"
#include "zs_identity_impl.h"

/* The session lifetime when identity/sessionTimeout cannot be read. */
#define API_SESSION_TIMEOUT_MS (2 * 3600 * 1000)

/* proto3 strings are never NULL once decoded, but a bus caller may leave one NULL. */
static const char *
api_str(const char *s)
{
	return s != NULL ? s : "";
}

/* Fails the call with a new status. */
static void
api_fail(zs_call *call, int code, const char *error_code, const char *message)
{
	zs_identity_fail(call, zs_status_new(code, error_code, "%s", message));
}

/* A database connection for the call, waiting no longer than its deadline. */
static int
api_conn(zs_call *call, zs_db_conn **c, zs_status **st)
{
	return zs_db_acquire(zs_identity_of(call)->db, zs_call_remaining_ms(call), c, st) == 0 ?
	    0 : zs_identity_code(*st);
}

static void
api_release(zs_call *call, zs_db_conn *c)
{
	zs_db_release(zs_identity_of(call)->db, c);
}

/* Finds account uuid with a connection of its own. */
static int
api_find(zs_call *call, const char *uuid, zs_identity_account *out, zs_status **st)
{
	zs_db_conn *c;
	int rv = api_conn(call, &c, st);
	if (rv != 0)
		return rv;
	rv = zs_identity_account_by_uuid(c, uuid, out, st);
	api_release(call, c);
	if (rv == ZS_NOT_FOUND)
		*st = zs_status_new(ZS_NOT_FOUND, ZS_IDENTITY_E_NOT_FOUND, "no account with uuid %s", uuid);
	return rv;
}

/* The account a request names (empty: the caller's), if the caller may see it: an admin
 * sees every account, a normal one only its own; another's is NOT_FOUND, as a uuid nobody
 * has. */
static int
api_target(zs_call *call, const char *uuid, const char **target, zs_status **st)
{
	const char *self = zs_call_account(call);
	*target = uuid[0] != '\0' ? uuid : self;
	if ((*target)[0] == '\0') {
		*st = zs_status_new(ZS_INVALID_ARGUMENT, ZS_IDENTITY_E_BAD_INPUT,
		    "uuid is needed: the call runs as the node itself, not as an account");
		return ZS_INVALID_ARGUMENT;
	}
	if (!zs_call_admin(call) && strcmp(*target, self) != 0) {
		*st = zs_status_new(ZS_NOT_FOUND, ZS_IDENTITY_E_NOT_FOUND, "no account with uuid %s",
		    *target);
		return ZS_NOT_FOUND;
	}
	return 0;
}

static int
api_admin_only(zs_call *call, const char *what, zs_status **st)
{
	if (zs_call_admin(call))
		return 0;
	*st = zs_status_new(ZS_PERMISSION_DENIED, ZS_IDENTITY_E_ADMIN_ONLY,
	    "only an admin account may %s", what);
	return ZS_PERMISSION_DENIED;
}

/* --- Login --- */

/*
 * A login runs in three steps, so no worker ever waits for the KDF: on a worker, the
 * throttle (a name or source that failed too often waits, refused at once) and a place
 * in the KDF queue (a full queue is refused at once), then the account's row; on a KDF
 * thread, the password check (the same work for an unknown name as for a wrong
 * password), counted by the throttle; back on a worker, the session.
 */
typedef struct login_job {
	zs_call *call;
	const Zs__Identity__V1__LoginRequest *in;
	Zs__Identity__V1__LoginResponse_Closure closure;
	char peer[64];
	bool known, match;
	zs_identity_account acct;
} login_job;

static int64_t
login_ttl_ms(zs_call *call)
{
	int64_t ttl = 0;
	if (zs_config_duration_ms(zs_identity_of(call)->config, "identity", "sessionTimeout", &ttl,
	    NULL) != 0)
		ttl = 2 * 3600 * 1000;   /* the declared default; the module declares it at start */
	return ttl > 0 ? ttl : API_SESSION_TIMEOUT_MS;
}

/* Answers the call (a failure st, else the session) and frees j. Worker or KDF thread. */
static void
login_finish(login_job *j, zs_status *st)
{
	zs_call *call = j->call;
	zs_identity_scrub(call, j->in->password);
	char token[ZS_IDENTITY_TOKEN_LEN + 1];
	int64_t expires = 0;
	zs_db_conn *c;
	int rv = st != NULL ? zs_identity_code(st) : 0;
	if (rv == 0 && (rv = api_conn(call, &c, &st)) == 0) {
		rv = zs_identity_session_create(zs_identity_of(call), c, j->acct.uuid, j->acct.admin,
		    login_ttl_ms(call), token, &expires, &st);
		api_release(call, c);
	}
	if (rv != 0) {
		zs_identity_fail(call, st);
		free(j);
		return;
	}
	Zs__Identity__V1__AccountInfo info;
	zs_identity_account_info(&j->acct, &info);
	Zs__Identity__V1__LoginResponse out = ZS__IDENTITY__V1__LOGIN_RESPONSE__INIT;
	out.session = token;
	Google__Protobuf__Timestamp expire_date = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	expire_date.seconds = expires / 1000;
	expire_date.nanos = (int32_t) (expires % 1000) * 1000000;
	out.expire_date = &expire_date;
	out.account = &info;
	zs_log(ZS_LOG_INFO, "identity", "account %s logged in", j->acct.name);
	j->closure(&out, call);
	sodium_memzero(token, sizeof token);
	free(j);
}

/* After the check, on a worker: the session (or the refusal). */
static void
login_after(void *arg)
{
	login_job *j = arg;
	if (j->match) {
		login_finish(j, NULL);
		return;
	}
	if (j->known)
		zs_log(ZS_LOG_INFO, "identity", "login to account %s refused: wrong password",
		    j->acct.name);
	else
		zs_log(ZS_LOG_INFO, "identity", "login refused: no account has the name given");
	login_finish(j, zs_status_new(ZS_UNAUTHENTICATED, ZS_IDENTITY_E_LOGIN,
	    "wrong name or password"));
}

/* The password check, on a KDF thread. */
static void
login_check(void *arg)
{
	login_job *j = arg;
	zs_identity *id = zs_identity_of(j->call);
	if (zs_call_remaining_ms(j->call) <= 0) {
		login_finish(j, zs_status_new(ZS_DEADLINE_EXCEEDED, ZS_IDENTITY_E_STORE, "too many "
		    "logins at once: no password check could start before the deadline"));
		return;
	}
	zs_identity_password_verify_here(id, j->known ? j->acct.hash : NULL, j->in->password,
	    &j->match);
	zs_identity_throttle_record(id->throttle, j->in->name, j->peer, j->match, zs_clock_ms());
	if (zs_work_submit(id->work, login_after, j) != 0)
		login_after(j);   /* the pool is stopping: here, then */
}

/* Refuses a login that must wait, saying how long. */
static int
login_throttled(zs_identity *id, const char *name, const char *peer, zs_status **st)
{
	bool by_source;
	int64_t wait = zs_identity_throttle_wait(id->throttle, name, peer, zs_clock_ms(), &by_source);
	if (wait <= 0)
		return 0;
	*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, ZS_IDENTITY_E_THROTTLED, "too many failed "
	    "logins %s: try again in %.1f s (retry-after-ms: %lld)", by_source ?
	    "from this address" : "for this account name", (double) wait / 1000.0,
	    (long long) wait);
	return ZS_RESOURCE_EXHAUSTED;
}

static void
api_login(Zs__Identity__V1__Identity_Service *svc, const Zs__Identity__V1__LoginRequest *in,
    Zs__Identity__V1__LoginResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_identity *id = zs_identity_of(call);
	zs_status *st = NULL;
	login_job *j = calloc(1, sizeof *j);
	if (j == NULL) {
		zs_identity_scrub(call, in->password);
		zs_identity_fail(call, NULL);
		return;
	}
	*j = (login_job) { .call = call, .in = in, .closure = closure };
	zs_call_peer(call, j->peer, sizeof j->peer);
	const char *name = api_str(in->name), *password = api_str(in->password);
	int rv = 0;
	if (name[0] == '\0' || password[0] == '\0') {
		st = zs_status_new(ZS_INVALID_ARGUMENT, ZS_IDENTITY_E_BAD_INPUT,
		    "name and password are needed");
		rv = ZS_INVALID_ARGUMENT;
	}
	if (rv == 0)
		rv = login_throttled(id, name, j->peer, &st);
	if (rv == 0 && zs_identity_kdf_reserve(id->kdf) != 0) {
		st = zs_status_new(ZS_UNAVAILABLE, ZS_IDENTITY_E_THROTTLED, "too many logins at once "
		    "(%d wait for a password check): try again in 1 s (retry-after-ms: 1000)",
		    ZS_IDENTITY_KDF_QUEUE);
		rv = ZS_UNAVAILABLE;
	}
	if (rv != 0) {
		zs_identity_scrub(call, in->password);
		zs_identity_fail(call, st);
		free(j);
		return;
	}
	zs_db_conn *c;
	if ((rv = api_conn(call, &c, &st)) == 0) {
		rv = zs_identity_account_by_name(c, name, &j->acct, &st);
		api_release(call, c);   /* not held through the ~100 ms of the KDF */
	}
	if (rv != 0 && rv != ZS_NOT_FOUND) {
		zs_identity_kdf_unreserve(id->kdf);
		login_finish(j, st);
		return;
	}
	j->known = rv == 0;
	zs_identity_kdf_submit(id->kdf, login_check, j);
}

/* --- Logout, WhoAmI --- */

static void
api_logout(Zs__Identity__V1__Identity_Service *svc, const Zs__Identity__V1__LogoutRequest *in,
    Zs__Identity__V1__LogoutResponse_Closure closure, void *closure_data)
{
	(void) svc;
	(void) in;
	zs_call *call = closure_data;
	const char *token = zs_call_session(call);
	if (token[0] == '\0') {
		api_fail(call, ZS_FAILED_PRECONDITION, ZS_IDENTITY_E_NO_SESSION,
		    "there is no session to end: the call has none");
		return;
	}
	zs_db_conn *c;
	zs_status *st = NULL;
	int rv = api_conn(call, &c, &st);
	if (rv == 0) {
		rv = zs_identity_session_revoke(zs_identity_of(call), c, token, &st);
		api_release(call, c);
	}
	if (rv != 0) {
		zs_identity_fail(call, st);
		return;
	}
	Zs__Identity__V1__LogoutResponse out = ZS__IDENTITY__V1__LOGOUT_RESPONSE__INIT;
	closure(&out, closure_data);
}

static void
api_who_am_i(Zs__Identity__V1__Identity_Service *svc, const Zs__Identity__V1__WhoAmIRequest *in,
    Zs__Identity__V1__AccountInfo_Closure closure, void *closure_data)
{
	(void) svc;
	(void) in;
	zs_call *call = closure_data;
	zs_identity_account acct;
	zs_status *st = NULL;
	const char *self = zs_call_account(call);
	if (self[0] == '\0') {
		api_fail(call, ZS_NOT_FOUND, ZS_IDENTITY_E_NOT_FOUND,
		    "the call runs as the node itself, not as an account");
		return;
	}
	if (api_find(call, self, &acct, &st) != 0) {
		zs_identity_fail(call, st);
		return;
	}
	Zs__Identity__V1__AccountInfo out;
	zs_identity_account_info(&acct, &out);
	closure(&out, closure_data);
}

/* --- CreateAccount --- */

static int
create_account(zs_call *call, const Zs__Identity__V1__CreateAccountRequest *in,
    zs_identity_account *out, zs_status **st)
{
	const char *name = api_str(in->name);
	int rv = api_admin_only(call, "create accounts", st);
	if (rv == 0)
		rv = zs_identity_name_rules(name, st);
	if (rv == 0)
		rv = zs_identity_password_rules(api_str(in->password), st);
	char hash[ZS_IDENTITY_HASH_LEN];
	if (rv == 0)
		rv = zs_identity_password_hash(zs_identity_of(call), api_str(in->password),
		    zs_call_deadline_ms(call), hash, st);
	zs_db_conn *c;
	if (rv == 0 && (rv = api_conn(call, &c, st)) == 0) {
		rv = zs_identity_account_insert(c, name, hash, in->admin, out, st);
		api_release(call, c);
		if (rv == ZS_ALREADY_EXISTS) {
			zs_status_free(*st);
			*st = zs_status_new(ZS_ALREADY_EXISTS, ZS_IDENTITY_E_NAME_TAKEN,
			    "an account named %s exists", name);
		}
	}
	return rv;
}

static void
api_create_account(Zs__Identity__V1__Identity_Service *svc,
    const Zs__Identity__V1__CreateAccountRequest *in, Zs__Identity__V1__AccountInfo_Closure closure,
    void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_identity_account acct;
	zs_status *st = NULL;
	int rv = create_account(call, in, &acct, &st);
	zs_identity_scrub(call, in->password);
	if (rv != 0) {
		zs_identity_fail(call, st);
		return;
	}
	zs_log(ZS_LOG_INFO, "identity", "account %s (%s%s) created by %s",
	    acct.name, acct.uuid, acct.admin ? ", admin" : "", zs_call_account(call));
	Zs__Identity__V1__AccountInfo out;
	zs_identity_account_info(&acct, &out);
	closure(&out, closure_data);
}

/* --- GetAccount, ListAccounts --- */

static void
api_get_account(Zs__Identity__V1__Identity_Service *svc, const Zs__Identity__V1__GetAccountRequest *in,
    Zs__Identity__V1__AccountInfo_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_identity_account acct;
	zs_status *st = NULL;
	const char *target;
	if (api_target(call, api_str(in->uuid), &target, &st) != 0 ||
	    api_find(call, target, &acct, &st) != 0) {
		zs_identity_fail(call, st);
		return;
	}
	Zs__Identity__V1__AccountInfo out;
	zs_identity_account_info(&acct, &out);
	closure(&out, closure_data);
}

static void
api_list_accounts(Zs__Identity__V1__Identity_Service *svc,
    const Zs__Identity__V1__ListAccountsRequest *in,
    Zs__Identity__V1__ListAccountsResponse_Closure closure, void *closure_data)
{
	(void) svc;
	(void) in;
	zs_call *call = closure_data;
	zs_identity_account *accts = NULL;
	size_t n = 0;
	zs_status *st = NULL;
	zs_db_conn *c;
	int rv = api_conn(call, &c, &st);
	if (rv == 0) {
		/* a normal account lists itself; the node's own calls ("" and admin) list all */
		rv = zs_identity_account_list(c, zs_call_admin(call) ? NULL : zs_call_account(call),
		    &accts, &n, &st);
		api_release(call, c);
	}
	Zs__Identity__V1__AccountInfo *infos = rv == 0 ? calloc(n + 1, sizeof *infos) : NULL;
	Zs__Identity__V1__AccountInfo **ptrs = rv == 0 ? calloc(n + 1, sizeof *ptrs) : NULL;
	if (rv == 0 && (infos == NULL || ptrs == NULL)) {
		rv = ZS_RESOURCE_EXHAUSTED;
		st = zs_status_new(rv, NULL, "out of memory");
	}
	if (rv != 0) {
		zs_identity_fail(call, st);
	} else {
		for (size_t i = 0; i < n; i++) {
			zs_identity_account_info(&accts[i], &infos[i]);
			ptrs[i] = &infos[i];
		}
		Zs__Identity__V1__ListAccountsResponse out = ZS__IDENTITY__V1__LIST_ACCOUNTS_RESPONSE__INIT;
		out.accounts = ptrs;
		out.n_accounts = n;
		closure(&out, closure_data);
	}
	free(ptrs);
	free(infos);
	free(accts);
}

/* --- DeleteAccount --- */

static int
delete_account(zs_call *call, const char *uuid, zs_status **st)
{
	int rv = api_admin_only(call, "delete accounts", st);
	if (rv != 0)
		return rv;
	if (uuid[0] == '\0') {
		*st = zs_status_new(ZS_INVALID_ARGUMENT, ZS_IDENTITY_E_BAD_INPUT, "uuid is needed");
		return ZS_INVALID_ARGUMENT;
	}
	if (strcmp(uuid, zs_call_account(call)) == 0) {
		*st = zs_status_new(ZS_FAILED_PRECONDITION, ZS_IDENTITY_E_CANNOT_DELETE,
		    "an account cannot delete itself: another admin may");
		return ZS_FAILED_PRECONDITION;
	}
	zs_db_conn *c;
	if ((rv = api_conn(call, &c, st)) != 0)
		return rv;
	rv = zs_identity_account_delete(c, uuid, st);
	if (rv == 0) {
		/* its sessions went with it in the database: now from this node's cache */
		zs_status *ignored = NULL;
		zs_identity_session_revoke_account(zs_identity_of(call), c, uuid, NULL, &ignored);
		zs_status_free(ignored);
	}
	api_release(call, c);
	return rv;
}

static void
api_delete_account(Zs__Identity__V1__Identity_Service *svc,
    const Zs__Identity__V1__DeleteAccountRequest *in,
    Zs__Identity__V1__DeleteAccountResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_status *st = NULL;
	if (delete_account(call, api_str(in->uuid), &st) != 0) {
		zs_identity_fail(call, st);
		return;
	}
	zs_log(ZS_LOG_INFO, "identity", "account %s deleted by %s",
	    api_str(in->uuid), zs_call_account(call));
	Zs__Identity__V1__DeleteAccountResponse out = ZS__IDENTITY__V1__DELETE_ACCOUNT_RESPONSE__INIT;
	closure(&out, closure_data);
}

/* --- ChangePassword --- */

/* One's own password needs the old one, even an admin's (a stolen session alone must not
 * lock its owner out); an admin sets another account's without it. */
static int
change_password_allowed(zs_call *call, const zs_identity_account *acct, const char *old,
    zs_status **st)
{
	if (strcmp(acct->uuid, zs_call_account(call)) != 0)
		return 0;   /* api_target let only an admin through to another account */
	if (old[0] == '\0') {
		*st = zs_status_new(ZS_INVALID_ARGUMENT, ZS_IDENTITY_E_BAD_INPUT,
		    "old_password is needed to change one's own password");
		return ZS_INVALID_ARGUMENT;
	}
	bool match = false;
	int rv = zs_identity_password_verify(zs_identity_of(call), acct->hash, old,
	    zs_call_deadline_ms(call), &match, st);
	if (rv == 0 && !match) {
		*st = zs_status_new(ZS_PERMISSION_DENIED, ZS_IDENTITY_E_OLD_PASSWORD,
		    "the old password is wrong");
		rv = ZS_PERMISSION_DENIED;
	}
	return rv;
}

static int
change_password(zs_call *call, const Zs__Identity__V1__ChangePasswordRequest *in, zs_status **st)
{
	const char *target;
	zs_identity_account acct;
	char hash[ZS_IDENTITY_HASH_LEN];
	int rv = api_target(call, api_str(in->uuid), &target, st);
	if (rv == 0)
		rv = zs_identity_password_rules(api_str(in->new_password), st);
	if (rv == 0)
		rv = api_find(call, target, &acct, st);
	if (rv == 0)
		rv = change_password_allowed(call, &acct, api_str(in->old_password), st);
	if (rv == 0)
		rv = zs_identity_password_hash(zs_identity_of(call), api_str(in->new_password),
		    zs_call_deadline_ms(call), hash, st);
	zs_db_conn *c;
	if (rv != 0 || (rv = api_conn(call, &c, st)) != 0)
		return rv;
	rv = zs_identity_account_set_hash(c, acct.uuid, hash, st);
	if (rv == 0) {
		/* the old password's sessions end, but the one that changed it */
		bool self = strcmp(acct.uuid, zs_call_account(call)) == 0;
		rv = zs_identity_session_revoke_account(zs_identity_of(call), c, acct.uuid,
		    self ? zs_call_session(call) : NULL, st);
	}
	api_release(call, c);
	return rv;
}

static void
api_change_password(Zs__Identity__V1__Identity_Service *svc,
    const Zs__Identity__V1__ChangePasswordRequest *in,
    Zs__Identity__V1__ChangePasswordResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_status *st = NULL;
	int rv = change_password(call, in, &st);
	zs_identity_scrub(call, in->old_password);
	zs_identity_scrub(call, in->new_password);
	if (rv != 0) {
		zs_identity_fail(call, st);
		return;
	}
	zs_log(ZS_LOG_INFO, "identity", "password of account %s changed by %s",
	    api_str(in->uuid)[0] != '\0' ? in->uuid : zs_call_account(call), zs_call_account(call));
	Zs__Identity__V1__ChangePasswordResponse out = ZS__IDENTITY__V1__CHANGE_PASSWORD_RESPONSE__INIT;
	closure(&out, closure_data);
}

const Zs__Identity__V1__Identity_Service zs_identity_service =
    ZS__IDENTITY__V1__IDENTITY__INIT(api_);
