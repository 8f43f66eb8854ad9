/*
 * zs_identity_impl.h: the insides of the identity module, shared by its files:
 *   zs_identity.c           hooks, the first admin, the session check, the cleanup timer
 *   zs_identity_password.c  the password KDF (argon2id), name and password rules
 *   zs_identity_kdf.c       the threads and bounded queue the KDF runs on
 *   zs_identity_throttle.c  failed logins per name and per source, and the waits they earn
 *   zs_identity_session.c   session tokens, zs_sessions and the in-memory session cache
 *   zs_identity_account.c   zs_accounts rows
 *   zs_identity_api.c       the zs.identity.v1.Identity handlers
 * Functions return 0, or a canonical code with *st (caller frees), like zs/resource.h.
 */
#ifndef ZS_IDENTITY_IMPL_H
#define ZS_IDENTITY_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sodium.h>

#include "zs/call.h"
#include "zs/config.h"
#include "zs/db.h"
#include "zs/work.h"
#include "zs_props.h"
#include "zs_rpc.h"
#include "zs/identity/v1/identity.pb-c.h"
#include "zs/timer.h"

#define ZS_IDENTITY_UUID_LEN 40          /* as zs_call's account[] */
#define ZS_IDENTITY_NAME_MAX 64          /* characters of an account name */
#define ZS_IDENTITY_PASSWORD_MIN 8       /* characters (UTF-8 code points) */
#define ZS_IDENTITY_PASSWORD_MAX 1024    /* bytes */
#define ZS_IDENTITY_TOKEN_BYTES 32       /* random bytes of a session token */
#define ZS_IDENTITY_TOKEN_LEN 43         /* their base64url, unpadded: what clients send */
#define ZS_IDENTITY_KEY_BYTES 32         /* BLAKE2b of a token: the cache key; hex in the DB */
#define ZS_IDENTITY_HASH_LEN crypto_pwhash_STRBYTES
/* Password hashes running at once, at most (half the cores, at least one). Each argon2id
 * INTERACTIVE run takes 64 MiB and a core for ~100 ms; Login is public, so this caps
 * what a flood of logins may take. */
#define ZS_IDENTITY_KDF_SLOTS 4
/* Hashes waiting for a thread, at most: one more is refused at once (UNAVAILABLE). */
#define ZS_IDENTITY_KDF_QUEUE 64
/* The KDF threads' nice value: other work comes first. */
#define ZS_IDENTITY_KDF_NICE 10
/* The longest a check waits for the database on a session cache miss. */
#define ZS_IDENTITY_DB_WAIT_MS 2000

/* The module's error codes (their descriptions are in zs_identity.c). */
#define ZS_IDENTITY_E_NO_SESSION "IDENTITY.1001"   /* UNAUTHENTICATED */
#define ZS_IDENTITY_E_EXPIRED "IDENTITY.1002"      /* UNAUTHENTICATED */
#define ZS_IDENTITY_E_LOGIN "IDENTITY.1003"        /* UNAUTHENTICATED */
#define ZS_IDENTITY_E_ADMIN_ONLY "IDENTITY.1004"   /* PERMISSION_DENIED */
#define ZS_IDENTITY_E_NOT_FOUND "IDENTITY.1005"    /* NOT_FOUND */
#define ZS_IDENTITY_E_NAME_TAKEN "IDENTITY.1006"   /* ALREADY_EXISTS */
#define ZS_IDENTITY_E_BAD_INPUT "IDENTITY.1007"    /* INVALID_ARGUMENT */
#define ZS_IDENTITY_E_CANNOT_DELETE "IDENTITY.1008" /* FAILED_PRECONDITION */
#define ZS_IDENTITY_E_OLD_PASSWORD "IDENTITY.1009" /* PERMISSION_DENIED */
#define ZS_IDENTITY_E_STORE "IDENTITY.1010"        /* UNAVAILABLE, DEADLINE_EXCEEDED */
#define ZS_IDENTITY_E_THROTTLED "IDENTITY.1011"    /* RESOURCE_EXHAUSTED, UNAVAILABLE */

/* Who a session stands for. */
typedef struct zs_identity_principal {
	char account[ZS_IDENTITY_UUID_LEN];
	bool admin;
	int64_t expires_wall_ms;
} zs_identity_principal;

typedef struct zs_identity_cache zs_identity_cache;
typedef struct zs_identity_kdf zs_identity_kdf;
typedef struct zs_identity_throttle zs_identity_throttle;

/* The login throttle's settings (identity.login_* properties). */
typedef struct zs_identity_throttle_cfg {
	uint32_t free_per_name;      /* failures in a row before a name waits */
	uint32_t free_per_source;    /* likewise for a source address */
	int64_t delay_ms;            /* the first wait; each further failure doubles it */
	int64_t delay_max_ms;
} zs_identity_throttle_cfg;

/* The module's state, made and freed by the node. */
typedef struct zs_identity {
	void *self;                  /* what its handlers get as service data */
	zs_rpc *rpc;                 /* the session check hooks in here */
	zs_props *props;
	zs_config *config;
	zs_timerq *timers;
	zs_work *work;
	zs_db *db;                   /* from start on */
	zs_identity_cache *cache;
	zs_identity_kdf *kdf;
	zs_identity_throttle *throttle;
	int64_t recheck_ms;          /* identity.session_recheck */
	int64_t sweep_ms;            /* identity.session_sweep */
	char dummy_hash[ZS_IDENTITY_HASH_LEN];   /* verified for unknown names */

	pthread_mutex_t lock;        /* guards the fields below */
	pthread_cond_t changed;
	zs_timer *sweep_timer;       /* armed cleanup, or NULL */
	bool sweep_armed;            /* the timer is queued or its function runs */
	bool sweeping;               /* a cleanup is queued on or runs on the worker pool */
	bool stopping;
} zs_identity;

/* An account row. */
typedef struct zs_identity_account {
	char uuid[ZS_IDENTITY_UUID_LEN];
	char name[128];
	bool admin;
	Google__Protobuf__Timestamp create_date;
	char hash[ZS_IDENTITY_HASH_LEN];
} zs_identity_account;

/* The code of a failure status (a NULL status is what running out of memory leaves). */
static inline int
zs_identity_code(const zs_status *st)
{
	return st != NULL ? (int) st->code : ZS_RESOURCE_EXHAUSTED;
}

/* --- zs_identity.c --- */

/* The state of the node a call runs on. */
zs_identity *zs_identity_of(const zs_call *call);
/* Wall clock, milliseconds since the epoch (session expiry is wall time, as in the DB). */
int64_t zs_identity_wall_ms(void);
/* Fails call with st (taken over; NULL: out of memory), adding the description of an
 * IDENTITY.* code. */
void zs_identity_fail(zs_call *call, zs_status *st);

/* --- zs_identity_password.c --- */

/* Prepares the dummy hash verified for unknown names. 0 or -1. */
int zs_identity_password_init(zs_identity *id);
/* Verifies password against hash (NULL: the dummy) on the calling thread: for the KDF
 * threads themselves. *match tells. */
void zs_identity_password_verify_here(zs_identity *id, const char *hash, const char *password,
    bool *match);
/* Hashes password with argon2id into out on a KDF thread, waiting for it (a hash not
 * started by deadline_ms is DEADLINE_EXCEEDED; a full queue UNAVAILABLE at once). */
int zs_identity_password_hash(zs_identity *id, const char *password, int64_t deadline_ms,
    char out[ZS_IDENTITY_HASH_LEN], zs_status **st);
/* Verifies password against hash (NULL: the dummy, which never matches) in constant time;
 * *match tells. The work is the same either way. */
int zs_identity_password_verify(zs_identity *id, const char *hash, const char *password,
    int64_t deadline_ms, bool *match, zs_status **st);
/* The rules for new passwords and names: 0, or INVALID_ARGUMENT with *st. */
int zs_identity_password_rules(const char *password, zs_status **st);
int zs_identity_name_rules(const char *name, zs_status **st);
/* A random password of 24 base64url characters. */
void zs_identity_password_generate(char out[25]);
/* Zeroes a secret string of call's request, when the node decoded (and so owns) it. */
void zs_identity_scrub(zs_call *call, const char *secret);

/* --- zs_identity_kdf.c --- */

/* Starts threads (nice ZS_IDENTITY_KDF_NICE) with a queue of queue jobs. 0 or -1. */
int zs_identity_kdf_new(zs_identity_kdf **out, size_t threads, size_t queue);
/* Runs what is queued, then joins the threads. */
void zs_identity_kdf_stop(zs_identity_kdf *k);
void zs_identity_kdf_free(zs_identity_kdf *k);
/* Promises a place in the queue: 0, or -1 at once when it is full (or stopping). */
int zs_identity_kdf_reserve(zs_identity_kdf *k);
/* Gives a promised place back unused. */
void zs_identity_kdf_unreserve(zs_identity_kdf *k);
/* Queues fn(arg) in a promised place; it runs on a KDF thread. */
void zs_identity_kdf_submit(zs_identity_kdf *k, void (*fn)(void *arg), void *arg);

/* --- zs_identity_throttle.c --- */

int zs_identity_throttle_new(zs_identity_throttle **out, const zs_identity_throttle_cfg *cfg);
void zs_identity_throttle_free(zs_identity_throttle *t);
/* How long a login to name from peer ("": unknown) must still wait (0: it may go) at now
 * (zs_clock_ms); *by_source tells which count made it wait. */
int64_t zs_identity_throttle_wait(zs_identity_throttle *t, const char *name, const char *peer,
    int64_t now, bool *by_source);
/* Counts a password check of name from peer: a failure, or a success (clears name). */
void zs_identity_throttle_record(zs_identity_throttle *t, const char *name, const char *peer,
    bool ok, int64_t now);

/* --- zs_identity_session.c --- */

int zs_identity_cache_new(zs_identity_cache **out);
void zs_identity_cache_free(zs_identity_cache *cache);
/* Makes a session for account: a new token (NUL-terminated into token), its hash in
 * zs_sessions and in the cache, expiring ttl_ms from now (*expires_wall_ms). */
int zs_identity_session_create(zs_identity *id, zs_db_conn *c, const char *account, bool admin,
    int64_t ttl_ms, char token[ZS_IDENTITY_TOKEN_LEN + 1], int64_t *expires_wall_ms,
    zs_status **st);
/* Who token stands for: from the cache, or the database on a miss or when the cached entry
 * was last confirmed more than recheck_ms ago. UNAUTHENTICATED for a malformed, unknown
 * (logged out) or expired token; UNAVAILABLE when the database cannot say. */
int zs_identity_session_resolve(zs_identity *id, const char *token, int64_t timeout_ms,
    zs_identity_principal *out, zs_status **st);
/* Ends the session of token (database and cache). */
int zs_identity_session_revoke(zs_identity *id, zs_db_conn *c, const char *token, zs_status **st);
/* Ends every session of account but keep_token's (NULL: all). */
int zs_identity_session_revoke_account(zs_identity *id, zs_db_conn *c, const char *account,
    const char *keep_token, zs_status **st);
/* Deletes expired sessions from the database and the cache. */
int zs_identity_session_sweep(zs_identity *id, zs_status **st);

/* --- zs_identity_account.c --- */

/* Finds an account by name or by uuid: 0, ZS_NOT_FOUND (no *st), or a code with *st. */
int zs_identity_account_by_name(zs_db_conn *c, const char *name, zs_identity_account *out,
    zs_status **st);
int zs_identity_account_by_uuid(zs_db_conn *c, const char *uuid, zs_identity_account *out,
    zs_status **st);
/* Every account (only_uuid NULL) or only that one, by name; *out (caller frees) holds *n. */
int zs_identity_account_list(zs_db_conn *c, const char *only_uuid, zs_identity_account **out,
    size_t *n, zs_status **st);
/* Adds an account with a new uuid; out gets the row. ALREADY_EXISTS when the name is
 * taken. */
int zs_identity_account_insert(zs_db_conn *c, const char *name, const char *hash, bool admin,
    zs_identity_account *out, zs_status **st);
/* Deletes an account and its sessions (in a transaction that locks the admins, so the last
 * one cannot go). NOT_FOUND, or FAILED_PRECONDITION for the last admin or an account that
 * still owns resources. */
int zs_identity_account_delete(zs_db_conn *c, const char *uuid, zs_status **st);
int zs_identity_account_set_hash(zs_db_conn *c, const char *uuid, const char *hash,
    zs_status **st);
/* Whether any admin account exists. */
int zs_identity_account_admin_exists(zs_db_conn *c, bool *exists, zs_status **st);
/* Points info's fields at a's (info borrows a). */
void zs_identity_account_info(const zs_identity_account *a, Zs__Identity__V1__AccountInfo *info);

/* --- zs_identity_api.c --- */

/* The service as routed: its handlers. */
extern const Zs__Identity__V1__Identity_Service zs_identity_service;

/* QueryAccount (zs_identity_query.c), a handler of the Identity API: admins only. */
void api_query_account(Zs__Identity__V1__Identity_Service *svc,
    const Zs__Resource__V1__QueryRequest *in,
    Zs__Identity__V1__QueryAccountResponse_Closure closure, void *closure_data);

#endif
