/*
 * identity_test.c: the identity module against real zsnode processes. The first admin:
 * with a given password, and with a generated one printed once (a second start on the
 * same data does not print it again). Login, logout, whoami; a wrong password and an
 * unknown name get the same answer after the same work; name and password rules. Two
 * normal accounts: everything A tries on B's uuid is NOT_FOUND or PERMISSION_DENIED and
 * changes nothing; admin sees both. Password changes end the other sessions; a deleted
 * account's session ends at once. Expiry (identity/sessionTimeout, and a session expired
 * in the database); every non-public method refuses a missing, malformed, unknown,
 * logged-out and expired session. A second node on the same database honours sessions
 * and logouts of the first, and cleans up expired sessions. In the database: argon2id
 * hashes, never a password, and only hashes of tokens. The node's stderr never shows a
 * password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "zst_time.h"
#include "zs/config/v1/config.zsc.h"
#include "idt_util.h"

#define PW_ALICE "alice-Pa55word"
#define PW_ALICE2 "alice-Changed-99"
#define PW_BOB "bob-Pa55word-x"
#define PW_BOB2 "bob-Reset-by-admin"
#define PW_EVE "eve-Pa55word-e"
#define PW_HIJACK "hijacked-Pa55"
#define PW_WRONG "not-the-Password"
#define NOBODY_UUID "00000000-0000-4000-8000-000000000000"
#define UNKNOWN_TOKEN "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

/* Every password the test sends: none may show in a node's stderr or the database. */
static const char *const all_passwords[] = { ZST_ADMIN_PASSWORD, PW_ALICE, PW_ALICE2, PW_BOB,
	PW_BOB2, PW_EVE, PW_HIJACK, PW_WRONG, NULL };

/* What the cases share: the main node, its client, accounts and sessions. */
typedef struct idt_ctx {
	zst_node *n;
	zs_client *c;
	const char *admin;            /* admin's session: the harness's */
	char admin_uuid[40];
	char alice[40], bob[40], eve[40];
	char sa[64], sb[64];          /* alice's and bob's sessions */
	char expired[64], logged_out[64];
	char tokens[32][64];          /* every token seen, to look for in the database */
	size_t n_tokens;
} idt_ctx;

static char txt[640];   /* scratch for idt_res_text in messages */

static int64_t
wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void
keep_token(idt_ctx *t, const char *token)
{
	if (token[0] != '\0' && t->n_tokens < sizeof t->tokens / sizeof t->tokens[0])
		snprintf(t->tokens[t->n_tokens++], sizeof t->tokens[0], "%s", token);
}

/* Logs in, keeping the token; the code. */
static int
login_keep(idt_ctx *t, zs_client *c, const char *name, const char *password, char *session)
{
	int code = idt_session(c, name, password, session, 64);
	keep_token(t, session);
	return code;
}

static bool
is_code(const idt_res *r, int code, const char *error_code)
{
	return r->code == code && (error_code == NULL || strcmp(r->error_code, error_code) == 0);
}

/* WhoAmI as session must be refused: UNAUTHENTICATED with error_code. */
static void
expect_refused(zs_client *c, const char *session, const char *error_code, const char *label)
{
	idt_res r;
	idt_whoami(c, session, NULL, &r);
	ZST_CHECK(is_code(&r, 16, error_code), "%s: WhoAmI is UNAUTHENTICATED %s (%s)", label,
	    error_code ? error_code : "", idt_res_text(&r, txt, sizeof txt));
}

/* WhoAmI as session must be account name. */
static void
expect_whoami(zs_client *c, const char *session, const char *name, const char *label)
{
	idt_res r;
	Zs__Identity__V1__AccountInfo *me = NULL;
	idt_whoami(c, session, &me, &r);
	ZST_CHECK(r.code == 0 && me != NULL && strcmp(me->name, name) == 0, "%s: WhoAmI says %s "
	    "(%s, %s)", label, name, me ? me->name : "-", idt_res_text(&r, txt, sizeof txt));
	zs_reply_free(me);
}

/* --- the first admin --- */

/* The password the node printed, or "" (into pw). */
static void
printed_password(const zst_node *n, char *pw, size_t len)
{
	char *err = zst_node_stderr(n);
	const char *at = strstr(err, "admin password (shown once): ");
	pw[0] = '\0';
	if (at != NULL) {
		at += strlen("admin password (shown once): ");
		snprintf(pw, len, "%.*s", (int) strcspn(at, " \n"), at);
	}
	free(err);
}

/* A node started as the harness does, without waiting for its login. */
static bool
start_plain(zst_node *n, const char *const *sets, const char *label)
{
	bool ready = zst_node_spawn(n, NULL, sets) == 0 && zst_node_wait_ready(n, ZST_READY_MS) == 0;
	/* started means: still running and answering Health/Check with SERVING */
	if (ZST_CHECK(ready && zst_node_alive(n) && zst_serving(n),
	    "%s: zsnode starts and Health/Check says SERVING", label))
		return true;
	zst_node_dump_stderr(n);
	zst_node_cleanup(n);
	return false;
}

static void
test_generated_admin(void)
{
	zst_node a, b;
	const char *sets[] = { "identity.admin_password=", NULL };
	if (!start_plain(&a, sets, "no identity.admin_password"))
		return;
	char pw[128];
	printed_password(&a, pw, sizeof pw);
	ZST_CHECK(strlen(pw) >= 16 && idt_stderr_count(&a, "admin password (shown once): ") == 1,
	    "the generated admin password is printed once on stderr (%zu characters)", strlen(pw));
	zs_client *c = NULL;
	char s[64] = "";
	if (zs_client_open(&c, a.rpc_url) == 0) {
		ZST_CHECK(idt_session(c, "admin", pw, s, sizeof s) == 0, "admin logs in with it");
		ZST_CHECK(idt_session(c, "admin", ZST_ADMIN_PASSWORD, s, sizeof s) == 16,
		    "... and not with the harness's password");
		zs_client_close(c);
	}
	zst_node_stop(&a);

	char dir[320];
	snprintf(dir, sizeof dir, "data.dir=%s", a.data_dir);
	const char *again[] = { "identity.admin_password=", dir, NULL };
	if (start_plain(&b, again, "a second start on the same data")) {
		ZST_CHECK(idt_stderr_count(&b, "shown once") == 0 && idt_stderr_count(&b, pw) == 0,
		    "a second start does not print the password again");
		if (zs_client_open(&c, b.rpc_url) == 0) {
			ZST_CHECK(idt_session(c, "admin", pw, s, sizeof s) == 0, "after it, admin still "
			    "logs in with the generated password");
			zs_client_close(c);
		}
		zst_node_stop(&b);
		zst_node_cleanup(&b);
	}
	zst_node_cleanup(&a);
}

static void
test_given_admin(idt_ctx *t)
{
	ZST_CHECK(idt_stderr_count(t->n, "shown once") == 0, "with identity.admin_password set, no "
	    "password is printed");
	Zs__Identity__V1__AccountInfo *me = NULL;
	idt_res r;
	idt_whoami(t->c, t->admin, &me, &r);
	ZST_CHECK(r.code == 0 && me != NULL && strcmp(me->name, "admin") == 0 && me->admin &&
	    strlen(me->uuid) == 36, "admin logged in with the given password: WhoAmI says admin, an "
	    "admin account (%s)", idt_res_text(&r, txt, sizeof txt));
	snprintf(t->admin_uuid, sizeof t->admin_uuid, "%s", me != NULL ? me->uuid : "");
	zs_reply_free(me);
	keep_token(t, t->admin);
}

/* --- login, logout --- */

static void
test_login_logout(idt_ctx *t)
{
	Zs__Identity__V1__LoginResponse *lr = NULL;
	idt_res r;
	int64_t now = wall_ms();
	idt_login(t->c, "admin", ZST_ADMIN_PASSWORD, &lr, &r);
	bool ok = r.code == 0 && lr != NULL && lr->account != NULL;
	ZST_CHECK(ok && strlen(lr->session) == 43 && strcmp(lr->account->name, "admin") == 0 &&
	    lr->account->admin, "Login answers a 43-character token and the account (%s)",
	    idt_res_text(&r, txt, sizeof txt));
	int64_t ttl = ok && lr->expire_date != NULL ? zst_time_us(lr->expire_date) / 1000 - now : 0;
	ZST_CHECK(ttl > 2 * 3600 * 1000 - 60000 && ttl < 2 * 3600 * 1000 + 60000, "the session "
	    "expires after identity/sessionTimeout, 2h by default (in %lld s)", (long long) ttl / 1000);
	char s[64];
	snprintf(s, sizeof s, "%s", ok ? lr->session : "");
	zs_reply_free(lr);
	keep_token(t, s);
	expect_whoami(t->c, s, "admin", "a new session");
	idt_logout(t->c, s, &r);
	ZST_CHECK(r.code == 0, "Logout answers OK (%s)", idt_res_text(&r, txt, sizeof txt));
	expect_refused(t->c, s, "IDENTITY.1001", "after Logout");
	idt_logout(t->c, s, &r);
	ZST_CHECK(r.code == 16, "Logout again: UNAUTHENTICATED (%s)", idt_res_text(&r, txt, sizeof txt));
	expect_whoami(t->c, t->admin, "admin", "another session of admin, after that logout");
	snprintf(t->logged_out, sizeof t->logged_out, "%s", s);
}

/* Median of three. */
static int64_t
median3(int64_t a, int64_t b, int64_t c)
{
	return a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
}

static void
test_same_answer(idt_ctx *t)
{
	idt_res wrong, unknown;
	int64_t tw[3], tu[3];
	for (int i = 0; i < 3; i++) {
		int64_t t0 = zst_now_ms();
		idt_login(t->c, "admin", PW_WRONG, NULL, &wrong);
		int64_t t1 = zst_now_ms();
		idt_login(t->c, "nobody-by-this-name", PW_WRONG, NULL, &unknown);
		tw[i] = t1 - t0;
		tu[i] = zst_now_ms() - t1;
	}
	char a[640];
	ZST_CHECK(is_code(&wrong, 16, "IDENTITY.1003") && strstr(wrong.message, "wrong name or "
	    "password") != NULL, "a wrong password: UNAUTHENTICATED \"wrong name or password\" (%s)",
	    idt_res_text(&wrong, a, sizeof a));
	ZST_CHECK(unknown.code == wrong.code && strcmp(unknown.error_code, wrong.error_code) == 0 &&
	    strcmp(unknown.message, wrong.message) == 0, "an unknown name gets the very same answer "
	    "(%s)", idt_res_text(&unknown, txt, sizeof txt));
	int64_t mw = median3(tw[0], tw[1], tw[2]), mu = median3(tu[0], tu[1], tu[2]);
	ZST_CHECK(mu * 3 >= mw && mw * 3 >= mu, "... after the same work: the argon2id check runs "
	    "for unknown names too (median %lld ms wrong password, %lld ms unknown name)",
	    (long long) mw, (long long) mu);
	idt_login(t->c, "", "x", NULL, &wrong);
	ZST_CHECK(wrong.code == 3, "Login without a name: INVALID_ARGUMENT (%s)",
	    idt_res_text(&wrong, txt, sizeof txt));
}

static void
test_account_rules(idt_ctx *t)
{
	idt_res r;
	idt_create(t->c, t->admin, "shorty", "1234567", false, NULL, &r);
	ZST_CHECK(is_code(&r, 3, "IDENTITY.1007") && strstr(r.message, "at least 8") != NULL,
	    "a 7-character password: INVALID_ARGUMENT, at least 8 (%s)", idt_res_text(&r, txt, sizeof txt));
	idt_create(t->c, t->admin, "bad name!", PW_ALICE, false, NULL, &r);
	ZST_CHECK(is_code(&r, 3, "IDENTITY.1007"), "a name with a space and '!': INVALID_ARGUMENT (%s)",
	    idt_res_text(&r, txt, sizeof txt));
	idt_create(t->c, t->admin, "admin", PW_ALICE, false, NULL, &r);
	ZST_CHECK(is_code(&r, 6, "IDENTITY.1006"), "a second account named admin: ALREADY_EXISTS (%s)",
	    idt_res_text(&r, txt, sizeof txt));
	idt_create(t->c, NULL, "anon", PW_ALICE, false, NULL, &r);
	ZST_CHECK(is_code(&r, 16, "IDENTITY.1001"), "CreateAccount without a session: "
	    "UNAUTHENTICATED (%s)", idt_res_text(&r, txt, sizeof txt));
}

/* --- two normal accounts --- */

static void
make_accounts(idt_ctx *t)
{
	ZST_CHECK(idt_account(t->c, t->admin, "alice", PW_ALICE, t->alice, sizeof t->alice) == 0 &&
	    idt_account(t->c, t->admin, "bob", PW_BOB, t->bob, sizeof t->bob) == 0,
	    "admin makes two normal accounts, alice and bob");
	ZST_CHECK(login_keep(t, t->c, "alice", PW_ALICE, t->sa) == 0 &&
	    login_keep(t, t->c, "bob", PW_BOB, t->sb) == 0, "both log in");
}

/* What alice tries on bob (and on admin), each answered NOT_FOUND or PERMISSION_DENIED. */
static void
alice_tries(idt_ctx *t)
{
	idt_res r;
	char label[128];
	const char *targets[] = { t->bob, t->admin_uuid };
	for (int i = 0; i < 2; i++) {
		const char *who = i == 0 ? "bob's" : "admin's";
		idt_get(t->c, t->sa, targets[i], NULL, &r);
		snprintf(label, sizeof label, "alice: GetAccount of %s uuid", who);
		ZST_CHECK(is_code(&r, 5, "IDENTITY.1005"), "%s: NOT_FOUND (%s)", label, idt_res_text(&r, txt, sizeof txt));
		idt_passwd(t->c, t->sa, targets[i], "", PW_HIJACK, &r);
		ZST_CHECK(r.code == 5, "alice: ChangePassword of %s uuid: NOT_FOUND (%s)", who,
		    idt_res_text(&r, txt, sizeof txt));
		idt_passwd(t->c, t->sa, targets[i], i == 0 ? PW_BOB : ZST_ADMIN_PASSWORD, PW_HIJACK, &r);
		ZST_CHECK(r.code == 5, "alice: ChangePassword of %s uuid with its right old password: "
		    "NOT_FOUND (%s)", who, idt_res_text(&r, txt, sizeof txt));
		idt_delete(t->c, t->sa, targets[i], &r);
		ZST_CHECK(is_code(&r, 7, "IDENTITY.1004"), "alice: DeleteAccount of %s uuid: "
		    "PERMISSION_DENIED (%s)", who, idt_res_text(&r, txt, sizeof txt));
	}
	idt_get(t->c, t->sa, NOBODY_UUID, NULL, &r);
	ZST_CHECK(r.code == 5 && strstr(r.message, "no account with uuid") != NULL, "alice: a uuid "
	    "nobody has gets the same NOT_FOUND (%s)", idt_res_text(&r, txt, sizeof txt));
	idt_create(t->c, t->sa, "mallory", PW_HIJACK, true, NULL, &r);
	ZST_CHECK(is_code(&r, 7, "IDENTITY.1004"), "alice: CreateAccount: PERMISSION_DENIED (%s)",
	    idt_res_text(&r, txt, sizeof txt));
}

static void
test_two_accounts(idt_ctx *t)
{
	make_accounts(t);
	expect_whoami(t->c, t->sa, "alice", "alice's session");
	idt_res r;
	Zs__Identity__V1__ListAccountsResponse *l = NULL;
	idt_list(t->c, t->sa, &l, &r);
	ZST_CHECK(r.code == 0 && l != NULL && l->n_accounts == 1 && strcmp(l->accounts[0]->name,
	    "alice") == 0, "alice: ListAccounts shows only alice (%zu accounts)", l ? l->n_accounts : 0);
	zs_reply_free(l);
	Zs__Identity__V1__AccountInfo *me = NULL;
	idt_get(t->c, t->sa, "", &me, &r);
	ZST_CHECK(r.code == 0 && me != NULL && strcmp(me->uuid, t->alice) == 0 && !me->admin,
	    "alice: GetAccount of her own (empty uuid) works, not an admin");
	zs_reply_free(me);
	alice_tries(t);

	/* nothing of bob's changed */
	char s[64];
	ZST_CHECK(login_keep(t, t->c, "bob", PW_BOB, s) == 0 &&
	    idt_session(t->c, "bob", PW_HIJACK, s, sizeof s) == 16, "bob still logs in with his "
	    "own password, not alice's choice");
	expect_whoami(t->c, t->sb, "bob", "bob's earlier session still works");
	idt_list(t->c, t->admin, &l, &r);
	int seen = 0;
	for (size_t i = 0; l != NULL && i < l->n_accounts; i++)
		seen += strcmp(l->accounts[i]->uuid, t->alice) == 0 || strcmp(l->accounts[i]->uuid, t->bob) == 0;
	ZST_CHECK(r.code == 0 && seen == 2 && l->n_accounts >= 3, "admin: ListAccounts shows admin, "
	    "alice and bob (%zu accounts)", l ? l->n_accounts : 0);
	zs_reply_free(l);
	idt_get(t->c, t->admin, t->bob, &me, &r);
	ZST_CHECK(r.code == 0 && me != NULL && strcmp(me->name, "bob") == 0, "admin: GetAccount of "
	    "bob's uuid works (%s)", idt_res_text(&r, txt, sizeof txt));
	zs_reply_free(me);
}

static void
test_change_password(idt_ctx *t)
{
	char sa2[64];
	idt_res r;
	login_keep(t, t->c, "alice", PW_ALICE, sa2);
	idt_passwd(t->c, t->sa, "", PW_WRONG, PW_ALICE2, &r);
	ZST_CHECK(is_code(&r, 7, "IDENTITY.1009"), "alice: ChangePassword with a wrong old password: "
	    "PERMISSION_DENIED (%s)", idt_res_text(&r, txt, sizeof txt));
	idt_passwd(t->c, t->sa, "", "", PW_ALICE2, &r);
	ZST_CHECK(r.code == 3, "alice: ChangePassword without the old one: INVALID_ARGUMENT (%s)",
	    idt_res_text(&r, txt, sizeof txt));
	idt_passwd(t->c, t->sa, "", PW_ALICE, "short", &r);
	ZST_CHECK(r.code == 3, "alice: a new password of 5 characters: INVALID_ARGUMENT (%s)",
	    idt_res_text(&r, txt, sizeof txt));
	idt_passwd(t->c, t->sa, "", PW_ALICE, PW_ALICE2, &r);
	ZST_CHECK(r.code == 0, "alice: ChangePassword with the old one: OK (%s)",
	    idt_res_text(&r, txt, sizeof txt));
	expect_whoami(t->c, t->sa, "alice", "the session that changed it");
	expect_refused(t->c, sa2, "IDENTITY.1001", "alice's other session, after the change");
	char s[64];
	ZST_CHECK(idt_session(t->c, "alice", PW_ALICE, s, sizeof s) == 16 &&
	    login_keep(t, t->c, "alice", PW_ALICE2, s) == 0, "alice logs in with the new password "
	    "only");

	idt_passwd(t->c, t->admin, t->bob, "", PW_BOB2, &r);
	ZST_CHECK(r.code == 0, "admin: ChangePassword of bob without his old one: OK (%s)",
	    idt_res_text(&r, txt, sizeof txt));
	expect_refused(t->c, t->sb, "IDENTITY.1001", "bob's session, after admin set his password");
	ZST_CHECK(login_keep(t, t->c, "bob", PW_BOB2, t->sb) == 0, "bob logs in with the password "
	    "admin set");
}

static void
test_delete(idt_ctx *t)
{
	idt_res r;
	idt_delete(t->c, t->admin, t->admin_uuid, &r);
	ZST_CHECK(is_code(&r, 9, "IDENTITY.1008"), "admin: DeleteAccount of itself: "
	    "FAILED_PRECONDITION (%s)", idt_res_text(&r, txt, sizeof txt));
	idt_delete(t->c, t->admin, NOBODY_UUID, &r);
	ZST_CHECK(r.code == 5, "admin: DeleteAccount of a uuid nobody has: NOT_FOUND (%s)",
	    idt_res_text(&r, txt, sizeof txt));
	Zs__Identity__V1__AccountInfo *a2 = NULL;
	idt_create(t->c, t->admin, "admin2", PW_HIJACK, true, &a2, &r);
	ZST_CHECK(r.code == 0 && a2 != NULL && a2->admin, "admin: CreateAccount of a second admin");
	if (a2 != NULL) {
		idt_delete(t->c, t->admin, a2->uuid, &r);
		ZST_CHECK(r.code == 0, "admin: DeleteAccount of the second admin (%s)",
		    idt_res_text(&r, txt, sizeof txt));
	}
	zs_reply_free(a2);
	idt_delete(t->c, t->admin, t->bob, &r);
	ZST_CHECK(r.code == 0, "admin: DeleteAccount of bob: OK (%s)", idt_res_text(&r, txt, sizeof txt));
	expect_refused(t->c, t->sb, "IDENTITY.1001", "bob's session, at once after his account went");
	char s[64];
	ZST_CHECK(idt_session(t->c, "bob", PW_BOB2, s, sizeof s) == 16, "bob cannot log in any more");
	idt_get(t->c, t->admin, t->bob, NULL, &r);
	ZST_CHECK(r.code == 5, "admin: GetAccount of bob's uuid: NOT_FOUND (%s)",
	    idt_res_text(&r, txt, sizeof txt));
}

/* --- expiry --- */

static bool
serves(zs_client *c, const char *session, const char *method)
{
	char **m = NULL;
	size_t n = 0;
	bool found = false;
	if (idt_methods(c, session, &m, &n) == 0)
		for (size_t i = 0; i < n; i++)
			found = found || strcmp(m[i], method) == 0;
	for (size_t i = 0; i < n; i++)
		free(m[i]);
	free(m);
	return found;
}

static int
set_timeout(idt_ctx *t, const char *value)
{
	Zs__Config__V1__UpdateConfigRequest req = ZS__CONFIG__V1__UPDATE_CONFIG_REQUEST__INIT;
	Zs__Config__V1__ConfigInfo *info = NULL;
	zs_call_opts o = { .timeout_ms = IDT_TIMEOUT_MS, .session = t->admin };
	req.category = (char *) "identity";
	req.name = (char *) "sessionTimeout";
	req.value = (char *) value;
	int code = zs_config_v1_global_config_update(t->c, &req, &info, NULL, &o);
	zs_reply_free(info);
	return code;
}

/* identity/sessionTimeout set to 1m through the config API gives 1-minute sessions. */
static void
test_config_timeout(idt_ctx *t)
{
	/* config is a platform module: a node without it cannot pass this check */
	if (!ZST_CHECK(serves(t->c, t->admin, "zs.config.v1.GlobalConfig/Update"),
	    "the node serves zs.config.v1.GlobalConfig/Update (identity/sessionTimeout is set "
	    "through it)"))
		return;
	ZST_CHECK(set_timeout(t, "1m") == 0, "admin sets identity/sessionTimeout to 1m");
	Zs__Identity__V1__LoginResponse *lr = NULL;
	idt_res r;
	int64_t now = wall_ms();
	idt_login(t->c, "alice", PW_ALICE2, &lr, &r);
	int64_t ttl = lr != NULL && lr->expire_date != NULL ? zst_time_us(lr->expire_date) / 1000 - now : 0;
	ZST_CHECK(ttl > 50000 && ttl < 70000, "a login then expires in a minute (%lld ms)", (long long) ttl);
	if (lr != NULL)
		keep_token(t, lr->session);
	zs_reply_free(lr);
	ZST_CHECK(set_timeout(t, "2h") == 0, "admin sets it back to 2h");
}

/* A session whose expiry the database moves near: the re-check picks it up, then the
 * session is refused as expired, from the cache and from the database. */
static void
test_expiry(idt_ctx *t)
{
	test_config_timeout(t);
	char sql[256], out[256];
	ZST_CHECK(idt_account(t->c, t->admin, "eve", PW_EVE, t->eve, sizeof t->eve) == 0 &&
	    login_keep(t, t->c, "eve", PW_EVE, t->expired) == 0, "eve's account and session");
	snprintf(sql, sizeof sql, "UPDATE zs_sessions SET expires_at = now() + interval '2500 ms' "
	    "WHERE account_uuid = '%s'", t->eve);
	int64_t t0 = zst_now_ms();
	ZST_CHECK(idt_sql(t->n, sql, out, sizeof out) == 0, "psql: eve's session now ends in 2.5 s");
	zst_sleep_ms(1300);   /* past identity.session_recheck=1s */
	expect_whoami(t->c, t->expired, "eve", "eve's session, re-checked but not yet expired");
	zst_sleep_ms((int) (t0 + 3200 - zst_now_ms()));
	expect_refused(t->c, t->expired, "IDENTITY.1002", "eve's session after its expiry (cached)");
	idt_res r;
	idt_whoami(t->c, t->expired, NULL, &r);
	ZST_CHECK(is_code(&r, 16, "IDENTITY.1002") && strstr(r.message, "expired") != NULL,
	    "again, looked up in the database: UNAUTHENTICATED, \"expired\" (%s)",
	    idt_res_text(&r, txt, sizeof txt));
}

/* --- every method --- */

static bool
is_public(const char *method)
{
	return strcmp(method, "zs.identity.v1.Identity/Login") == 0 ||
	    strcmp(method, "zs.health.v1.Health/Check") == 0;
}

static void
test_every_method(idt_ctx *t)
{
	char **m = NULL;
	size_t n = 0;
	int rv = idt_methods(t->c, t->admin, &m, &n);
	if (!ZST_CHECK(rv == 0 && n > 10, "reflection lists the node's methods (%zu)", n))
		return;
	const char *sessions[] = { NULL, "bogus", UNKNOWN_TOKEN, t->logged_out, t->expired };
	const char *what[] = { "none", "malformed", "unknown", "logged out", "expired" };
	int tried = 0, refused = 0;
	char first[800] = "";
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < 5 && !is_public(m[i]); k++) {
			idt_res r;
			idt_raw(t->n->rpc_url, m[i], sessions[k], &r);
			tried++;
			if (r.code == 16)
				refused++;
			else if (first[0] == '\0')
				snprintf(first, sizeof first, "; e.g. %s with session %s: %s", m[i], what[k],
				    idt_res_text(&r, txt, sizeof txt));
		}
		free(m[i]);
	}
	free(m);
	ZST_CHECK(tried > 0 && refused == tried, "every non-public method refuses a missing, "
	    "malformed, unknown, logged-out and expired session: UNAUTHENTICATED (%d of %d)%s",
	    refused, tried, first);
	idt_res r;
	idt_raw(t->n->rpc_url, "zs.health.v1.Health/Check", NULL, &r);
	ZST_CHECK(r.code == 0, "Health/Check needs no session (%s)", idt_res_text(&r, txt, sizeof txt));
	idt_raw(t->n->rpc_url, "zs.identity.v1.Identity/Login", NULL, &r);
	ZST_CHECK(r.code == 3, "Login needs no session (an empty one is INVALID_ARGUMENT, not "
	    "UNAUTHENTICATED: %s)", idt_res_text(&r, txt, sizeof txt));
}

/* --- two nodes, one database --- */

static void
two_nodes_sessions(idt_ctx *t, zs_client *c2)
{
	char s[64];
	idt_res r;
	ZST_CHECK(login_keep(t, t->c, "alice", PW_ALICE2, s) == 0, "alice logs in on node 1");
	expect_whoami(c2, s, "alice", "node 2, a session node 1 made");
	idt_logout(t->c, s, &r);
	ZST_CHECK(r.code == 0, "alice logs out on node 1");
	expect_refused(t->c, s, "IDENTITY.1001", "node 1, at once");
	zst_sleep_ms(1600);   /* node 2's identity.session_recheck=1s */
	expect_refused(c2, s, "IDENTITY.1001", "node 2, within its re-check time");
	ZST_CHECK(login_keep(t, c2, "alice", PW_ALICE2, s) == 0, "alice logs in on node 2");
	expect_whoami(t->c, s, "alice", "node 1, a session node 2 made");
}

static void
two_nodes_sweep(idt_ctx *t)
{
	char sql[160], out[64] = "";
	snprintf(sql, sizeof sql, "SELECT count(*) FROM zs_sessions WHERE account_uuid = '%s'", t->eve);
	int64_t until = zst_now_ms() + 6000;
	while (idt_sql(t->n, sql, out, sizeof out) == 0 && strcmp(out, "0") != 0 &&
	    zst_now_ms() < until)
		zst_sleep_ms(250);
	ZST_CHECK(strcmp(out, "0") == 0, "eve's expired session is deleted from zs_sessions by the "
	    "periodic cleanup (identity.session_sweep=1s on node 2; rows left: %s)", out);
}

static void
test_two_nodes(idt_ctx *t)
{
	char conninfo[700], db[720];
	if (!ZST_CHECK(idt_pg_conninfo(t->n, conninfo, sizeof conninfo) == 0, "node 1's PostgreSQL "
	    "is found"))
		return;
	snprintf(db, sizeof db, "db.url=%s", conninfo);
	const char *sets[] = { db, "identity.session_recheck=1s", "identity.session_sweep=1s", NULL };
	zst_node n2;
	if (!ZST_CHECK(zst_node_start(&n2, NULL, sets) == 0, "node 2 starts on node 1's database "
	    "and admin logs in there"))
		return;
	keep_token(t, n2.session);
	zs_client *c2 = NULL;
	if (zs_client_open(&c2, n2.rpc_url) == 0) {
		two_nodes_sessions(t, c2);
		two_nodes_sweep(t);
		zs_client_close(c2);
	}
	for (size_t i = 0; all_passwords[i] != NULL; i++)
		ZST_CHECK(idt_stderr_count(&n2, all_passwords[i]) == 0, "node 2's stderr never shows "
		    "password %zu", i + 1);
	zst_node_stop(&n2);
	zst_node_cleanup(&n2);
}

/* --- what is stored, what is logged --- */

static void
test_database(idt_ctx *t)
{
	char out[8192];
	ZST_CHECK(idt_sql(t->n, "SELECT password_hash FROM zs_accounts WHERE name = 'alice'", out,
	    sizeof out) == 0 && strncmp(out, "$argon2id$v=19$", 15) == 0, "alice's password_hash is "
	    "an argon2id string (%.40s...)", out);
	ZST_CHECK(idt_sql(t->n, "SELECT string_agg(name || ' ' || password_hash, ' ') FROM "
	    "zs_accounts", out, sizeof out) == 0 && out[0] != '\0', "psql reads zs_accounts");
	int found = 0;
	for (size_t i = 0; all_passwords[i] != NULL; i++)
		found += strstr(out, all_passwords[i]) != NULL;
	ZST_CHECK(found == 0, "no password is in zs_accounts (%d found)", found);
	ZST_CHECK(idt_sql(t->n, "SELECT string_agg(token_hash, ' ') FROM zs_sessions", out,
	    sizeof out) == 0 && out[0] != '\0', "psql reads zs_sessions");
	found = 0;
	for (size_t i = 0; i < t->n_tokens; i++)
		found += strstr(out, t->tokens[i]) != NULL;
	bool hex = strspn(out, "0123456789abcdef ") == strlen(out) && strlen(out) >= 64;
	ZST_CHECK(found == 0 && hex, "zs_sessions holds hashes (hex), none of the %zu tokens handed "
	    "out (%d found)", t->n_tokens, found);
}

static void
test_stderr(idt_ctx *t)
{
	int found = 0;
	for (size_t i = 0; all_passwords[i] != NULL; i++)
		found += idt_stderr_count(t->n, all_passwords[i]) > 0;
	for (size_t i = 0; i < t->n_tokens; i++)
		found += idt_stderr_count(t->n, t->tokens[i]) > 0;
	ZST_CHECK(found == 0, "the node's stderr shows no password and no session token (%d found)",
	    found);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "identity", 200) != 0)
		return 1;
	test_generated_admin();
	zst_node n;
	/* no cleanup during the expiry checks: node 2 does it later */
	const char *sets[] = { "identity.session_recheck=1s", "identity.session_sweep=10m", NULL };
	if (!ZST_CHECK(zst_node_start(&n, NULL, sets) == 0, "zsnode starts with "
	    "identity.admin_password set and admin logs in"))
		return zst_summary();
	idt_ctx t = { .n = &n, .admin = n.session };
	if (ZST_CHECK(zs_client_open(&t.c, n.rpc_url) == 0, "a client opens")) {
		test_given_admin(&t);
		test_login_logout(&t);
		test_same_answer(&t);
		test_account_rules(&t);
		test_two_accounts(&t);
		test_change_password(&t);
		test_delete(&t);
		test_expiry(&t);
		test_every_method(&t);
		test_two_nodes(&t);
		test_database(&t);
		test_stderr(&t);
		zs_client_close(t.c);
	}
	zst_node_stop(&n);
	zst_node_cleanup(&n);
	return zst_summary();
}
