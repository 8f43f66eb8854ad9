/*
 * zs_identity.c: the identity platform module: its hooks, the first admin account, the
 * session check every call from outside passes (an rpc gate), and the periodic cleanup of
 * expired sessions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "zs/config.h"
#include "zs/errors.h"
#include "zs/log.h"
#include "zs/work.h"
#include "zs/clock.h"
#include "zs_identity.h"
#include "zs_identity_impl.h"
#include "zs_router.h"
#include "zs_units.h"

/* How long the first start may take to make the admin account. */
#define IDENTITY_BOOTSTRAP_MS 30000

static const struct {
	const char *code, *description;
} identity_errors[] = {
	{ ZS_IDENTITY_E_NO_SESSION, "the call needs a valid session: none was sent, or it is "
	    "malformed, unknown or logged out" },
	{ ZS_IDENTITY_E_EXPIRED, "the session expired: log in again" },
	{ ZS_IDENTITY_E_LOGIN, "wrong name or password" },
	{ ZS_IDENTITY_E_ADMIN_ONLY, "only an admin account may do this" },
	{ ZS_IDENTITY_E_NOT_FOUND, "no such account, or not one the caller may see" },
	{ ZS_IDENTITY_E_NAME_TAKEN, "an account with that name exists" },
	{ ZS_IDENTITY_E_BAD_INPUT, "an account name or a password breaks the rules" },
	{ ZS_IDENTITY_E_CANNOT_DELETE, "the account cannot go: it is the caller's own, the last "
	    "admin, or it still owns resources" },
	{ ZS_IDENTITY_E_OLD_PASSWORD, "the old password is wrong" },
	{ ZS_IDENTITY_E_STORE, "the session store (database) or the password hashing cannot "
	    "answer right now" },
	{ ZS_IDENTITY_E_THROTTLED, "too many failed logins for this name or from this address, "
	    "or too many at once: the message says when to try again" },
};

static const struct {
	const char *name, *value, *description;
	bool secret;
} identity_props[] = {
	{ "identity.admin_password", "", "password of the admin account made on the first start; "
	    "empty: a random one, printed once", true },
	{ "identity.session_recheck", "5s", "how long a node trusts a cached session before it "
	    "asks the database again: a logout on another node holds here within this", false },
	{ "identity.session_sweep", "1m", "how often expired sessions are deleted", false },
	{ "identity.login_free_failures", "5", "failed logins in a row to one account name "
	    "after which each try must wait (identity.login_delay, doubling)", false },
	{ "identity.login_source_free_failures", "20", "failed logins in a row from one address "
	    "after which each try from it must wait", false },
	{ "identity.login_delay", "1s", "the first wait after too many failed logins; each "
	    "further failure doubles it", false },
	{ "identity.login_delay_max", "15m", "the longest wait after failed logins", false },
};

zs_identity *
zs_identity_of(const zs_call *call)
{
	return zs_call_service_data(call);
}

int64_t
zs_identity_wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The declared description of an IDENTITY.* code, or NULL. */
static const char *
identity_error_description(const char *code)
{
	for (size_t i = 0; i < sizeof identity_errors / sizeof identity_errors[0]; i++)
		if (strcmp(identity_errors[i].code, code) == 0)
			return identity_errors[i].description;
	return NULL;
}

void
zs_identity_fail(zs_call *call, zs_status *st)
{
	const char *desc = st != NULL ? identity_error_description(st->error_code) : NULL;
	if (desc != NULL && st->description[0] == '\0') {
		char *copy = strdup(desc);
		if (copy != NULL) {
			free(st->description);
			st->description = copy;
		}
	}
	zs_call_fail_status(call, st);
}

/* --- the session check --- */

/* The rpc's auth gate: fills the call's account from its session, or fails the call. */
static int
identity_check(zs_call *call, void *arg)
{
	zs_identity *id = arg;
	bool public_method = zs_call_is_public(call);
	const char *token = zs_call_session(call);
	if (token[0] == '\0') {
		if (public_method)
			return 0;
		zs_call_fail(call, ZS_UNAUTHENTICATED, ZS_IDENTITY_E_NO_SESSION,
		    "%s needs a session: log in with zs.identity.v1.Identity/Login and send its "
		    "token with each call", zs_call_method(call));
		return -1;
	}
	zs_identity_principal who;
	zs_status *st = NULL;
	if (zs_identity_session_resolve(id, token, zs_call_remaining_ms(call), &who, &st) == 0) {
		zs_call_set_principal(call, who.account, who.admin);
		return 0;
	}
	if (public_method) {
		/* a stale token sent along does not stop a login */
		zs_status_free(st);
		return 0;
	}
	zs_identity_fail(call, st);
	return -1;
}

/* --- periodic cleanup: the timer fires on the timer thread, the work runs on the pool --- */

static void identity_sweep_fire(void *arg);

/* Arms the next cleanup unless stopping. Lock held. */
static void
identity_sweep_arm(zs_identity *id)
{
	id->sweep_timer = id->stopping ? NULL :
	    zs_timer_start(id->timers, id->sweep_ms, identity_sweep_fire, id);
	id->sweep_armed = id->sweep_timer != NULL;
}

static void
identity_sweep_run(void *arg)
{
	zs_identity *id = arg;
	zs_status *st = NULL;
	if (zs_identity_session_sweep(id, &st) != 0) {
		zs_log(ZS_LOG_WARN, "identity", "cannot clean up expired sessions: %s",
		    st != NULL ? st->message : "out of memory");
		zs_status_free(st);
	}
	pthread_mutex_lock(&id->lock);
	id->sweeping = false;
	identity_sweep_arm(id);
	pthread_cond_broadcast(&id->changed);
	pthread_mutex_unlock(&id->lock);
}

static void
identity_sweep_fire(void *arg)
{
	zs_identity *id = arg;
	pthread_mutex_lock(&id->lock);
	id->sweep_timer = NULL;
	id->sweep_armed = false;
	if (!id->stopping && zs_work_submit(id->work, identity_sweep_run, id) == 0)
		id->sweeping = true;
	else
		identity_sweep_arm(id);   /* the pool is busy stopping: try again later */
	pthread_cond_broadcast(&id->changed);
	pthread_mutex_unlock(&id->lock);
}

/* --- state --- */

void
zs_identity_free(zs_identity *id)
{
	if (id == NULL)
		return;
	zs_identity_kdf_free(id->kdf);
	zs_identity_throttle_free(id->throttle);
	zs_identity_cache_free(id->cache);
	pthread_cond_destroy(&id->changed);
	pthread_mutex_destroy(&id->lock);
	free(id);
}

/* Reads a duration property; err names it when it is not one. */
static int
identity_duration(zs_props *props, const char *name, int64_t *out, char *err, size_t errlen)
{
	const char *v = zs_props_get(props, name);
	if (v == NULL || zs_parse_duration_ms(v, out) != 0 || *out <= 0) {
		snprintf(err, errlen, "property %s = \"%s\" is not a duration (e.g. 5s)", name,
		    v != NULL ? v : "");
		return -1;
	}
	return 0;
}

/* Reads a whole number property in [min, max]. */
static int
identity_int(zs_props *props, const char *name, int64_t min, int64_t max, int64_t *out,
    char *err, size_t errlen)
{
	const char *v = zs_props_get(props, name);
	if (v == NULL || zs_parse_int(v, min, max, out) != 0) {
		snprintf(err, errlen, "property %s = \"%s\" is not a whole number from %lld to %lld",
		    name, v != NULL ? v : "", (long long) min, (long long) max);
		return -1;
	}
	return 0;
}

/* The login throttle, from the identity.login_* properties. */
static int
identity_throttle(zs_identity *id, char *err, size_t errlen)
{
	int64_t per_name, per_source;
	zs_identity_throttle_cfg cfg;
	if (identity_int(id->props, "identity.login_free_failures", 1, 1000000, &per_name, err,
	    errlen) != 0 || identity_int(id->props, "identity.login_source_free_failures", 1,
	    1000000, &per_source, err, errlen) != 0 ||
	    identity_duration(id->props, "identity.login_delay", &cfg.delay_ms, err, errlen) != 0 ||
	    identity_duration(id->props, "identity.login_delay_max", &cfg.delay_max_ms, err,
	    errlen) != 0)
		return -1;
	cfg.free_per_name = (uint32_t) per_name;
	cfg.free_per_source = (uint32_t) per_source;
	if (cfg.delay_max_ms < cfg.delay_ms)
		cfg.delay_max_ms = cfg.delay_ms;
	if (zs_identity_throttle_new(&id->throttle, &cfg) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
identity_alloc(const zs_identity_env *env, zs_identity **out, char *err, size_t errlen)
{
	zs_identity *id = calloc(1, sizeof *id);
	if (id == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	id->self = id;
	id->rpc = env->rpc;
	id->props = env->props;
	id->config = env->config;
	id->timers = env->timers;
	id->work = env->work;
	pthread_mutex_init(&id->lock, NULL);
	/* KDF slots are waited for until a call's deadline, which is on the monotonic clock */
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&id->changed, &attr);
	pthread_condattr_destroy(&attr);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t kdf_threads = cores >= 4 ? (size_t) cores / 2 : 1;
	if (kdf_threads > ZS_IDENTITY_KDF_SLOTS)
		kdf_threads = ZS_IDENTITY_KDF_SLOTS;
	if (zs_identity_cache_new(&id->cache) != 0 || zs_identity_password_init(id) != 0 ||
	    zs_identity_kdf_new(&id->kdf, kdf_threads, ZS_IDENTITY_KDF_QUEUE) != 0) {
		snprintf(err, errlen, "out of memory");
		zs_identity_free(id);
		return -1;
	}
	*out = id;
	return 0;
}

/* --- the first admin --- */

/* Adds the admin account with password; *made false when another node made it first. */
static int
identity_add_admin(zs_identity *id, zs_db_conn *c, const char *password, bool *made,
    char *err, size_t errlen)
{
	char hash[ZS_IDENTITY_HASH_LEN];
	zs_identity_account admin;
	zs_status *st = NULL;
	bool exists = false;
	int rv = zs_identity_password_hash(id, password, zs_clock_ms() + IDENTITY_BOOTSTRAP_MS, hash, &st);
	if (rv == 0)
		rv = zs_identity_account_insert(c, "admin", hash, true, &admin, &st);
	*made = rv == 0;
	if (rv == ZS_ALREADY_EXISTS) {
		/* nodes starting together on a new database: did another make it? */
		zs_status_free(st);
		st = NULL;
		rv = zs_identity_account_admin_exists(c, &exists, &st);
		if (rv == 0 && !exists) {
			snprintf(err, errlen, "there is no admin account and the name \"admin\" is taken "
			    "by a normal account: make it an admin in zs_accounts");
			return -1;
		}
	}
	if (rv != 0)
		snprintf(err, errlen, "cannot make the admin account: %s",
		    st != NULL ? st->message : "out of memory");
	else if (*made)
		zs_log(ZS_LOG_INFO, "identity", "made the admin account (uuid %s)", admin.uuid);
	zs_status_free(st);
	return rv == 0 ? 0 : -1;
}

/* Makes the admin account when no admin exists. */
static int
identity_bootstrap(zs_identity *id, char *err, size_t errlen)
{
	zs_db_conn *c;
	zs_status *st = NULL;
	bool exists = false;
	zs_db *db = id->db;
	bool acquired = zs_db_acquire(db, IDENTITY_BOOTSTRAP_MS, &c, &st) == 0;
	if (!acquired || zs_identity_account_admin_exists(c, &exists, &st) != 0) {
		snprintf(err, errlen, "cannot look for the admin account: %s",
		    st != NULL ? st->message : "out of memory");
		zs_status_free(st);
		if (acquired)
			zs_db_release(db, c);
		return -1;
	}
	const char *given = zs_props_get(id->props, "identity.admin_password");
	int rv = 0;
	if (exists) {
		if (given != NULL && given[0] != '\0')
			zs_log(ZS_LOG_INFO, "identity", "identity.admin_password is set but an "
			    "admin account exists: its password is left as it is");
	} else {
		char generated[25] = "";
		if (given == NULL || given[0] == '\0')
			zs_identity_password_generate(generated);
		bool made = false;
		rv = identity_add_admin(id, c, generated[0] ? generated : given, &made, err, errlen);
		/* shown once: on stderr, not through the log (whose level may hide it) */
		if (rv == 0 && made && generated[0] != '\0')
			fprintf(stderr, "zsnode: admin password (shown once): %s\n"
			    "zsnode: log in with: zsctl login admin\n", generated);
		sodium_memzero(generated, sizeof generated);
	}
	zs_db_release(db, c);
	return rv;
}

/* --- made, started, stopped --- */

static int
identity_declare_config(zs_identity *id, char *err, size_t errlen)
{
	zs_config_decl timeout = {
		.category = "identity",
		.name = "sessionTimeout",
		.type = "duration",
		.default_value = "2h",
		.description = "how long a session lasts after its login",
		.min = "1m",
		.max = "30d",
	};
	zs_status *st = NULL;
	if (zs_config_declare(id->config, &timeout, "identity", &st) == 0)
		return 0;
	snprintf(err, errlen, "%s", st->message);
	zs_status_free(st);
	return -1;
}

static int
identity_declare_errors(zs_identity *id, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof identity_errors / sizeof identity_errors[0]; i++) {
		zs_status *st = NULL;
		if (zs_errors_declare(zs_rpc_errors(id->rpc), identity_errors[i].code,
		    identity_errors[i].description, "identity", &st) != 0) {
			snprintf(err, errlen, "%s", st != NULL ? st->message : "out of memory");
			zs_status_free(st);
			return -1;
		}
	}
	return 0;
}

static int
identity_declare(zs_identity *id, char *err, size_t errlen)
{
	if (identity_declare_errors(id, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < sizeof identity_props / sizeof identity_props[0]; i++)
		if (zs_props_declare(id->props, identity_props[i].name, identity_props[i].value,
		    identity_props[i].description, false, identity_props[i].secret, "identity") != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	if (identity_declare_config(id, err, errlen) != 0 || identity_throttle(id, err, errlen) != 0 ||
	    identity_duration(id->props, "identity.session_recheck", &id->recheck_ms, err, errlen) != 0 ||
	    identity_duration(id->props, "identity.session_sweep", &id->sweep_ms, err, errlen) != 0)
		return -1;
	char why[512];
	zs_router *router = zs_rpc_router(id->rpc);
	if (zs_router_add_service(router, (ProtobufCService *) &zs_identity_service.base, &id->self,
	    "identity", false, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (zs_router_set_public(router, "zs.identity.v1.Identity/Login") != 0) {
		snprintf(err, errlen, "cannot make zs.identity.v1.Identity/Login public");
		return -1;
	}
	return 0;
}

int
zs_identity_new(zs_identity **out, const zs_identity_env *env, char *err, size_t errlen)
{
	zs_identity *id;
	if (identity_alloc(env, &id, err, errlen) != 0)
		return -1;
	if (identity_declare(id, err, errlen) != 0) {
		zs_identity_free(id);
		return -1;
	}
	*out = id;
	return 0;
}

int
zs_identity_start(zs_identity *id, zs_db *db, char *err, size_t errlen)
{
	id->db = db;
	if (identity_bootstrap(id, err, errlen) != 0)
		return -1;
	zs_rpc_set_auth(id->rpc, identity_check, id);
	pthread_mutex_lock(&id->lock);
	identity_sweep_arm(id);
	pthread_mutex_unlock(&id->lock);
	return 0;
}

void
zs_identity_stop(zs_identity *id)
{
	if (id == NULL)
		return;
	zs_rpc_set_auth(id->rpc, NULL, NULL);
	zs_identity_kdf_stop(id->kdf);   /* the logins queued there finish first */
	pthread_mutex_lock(&id->lock);
	id->stopping = true;
	if (id->sweep_timer != NULL && zs_timer_cancel(id->timers, id->sweep_timer)) {
		id->sweep_timer = NULL;
		id->sweep_armed = false;
	}
	/* a timer that fired, or a cleanup on the pool, finishes first */
	while (id->sweep_armed || id->sweeping)
		pthread_cond_wait(&id->changed, &id->lock);
	pthread_mutex_unlock(&id->lock);
}
