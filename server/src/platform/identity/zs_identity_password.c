/*
 * zs_identity_password.c: passwords. Hashes are libsodium's crypto_pwhash_str (argon2id,
 * salted, the parameters inside the string), verified with crypto_pwhash_str_verify,
 * which compares in constant time. Also the rules for names and new passwords, random
 * passwords for the first admin, and zeroing the passwords of a request after use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zs/clock.h"
#include "zs_identity_impl.h"

/*
 * INTERACTIVE (opslimit 2, memlimit 64 MiB) is libsodium's setting for online logins:
 * ~100 ms of one core per hash here, so a login stays quick and a node is not slowed by a
 * few at once, while an offline guess still costs 64 MiB and the same time. MODERATE
 * (~0.7 s, 256 MiB) and SENSITIVE (~3.5 s, 1 GiB) are for keys derived rarely, not for
 * an API that serves every user's login on a 2-core machine.
 */
#define IDENTITY_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define IDENTITY_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

/* The hash of a random password nobody kept, made once with the parameters above, so an
 * unknown name costs a login the same work as a wrong password. If a libsodium release
 * changes INTERACTIVE, zs_identity_password_init makes a fresh one. */
static const char identity_dummy_hash[] =
    "$argon2id$v=19$m=65536,t=2,p=1$I7lO7Q3mj5KBKBsiGBEHkQ$4vB6DQ8GsgPI5CcQHpJr44yn1zL871KepRQ76ElHn6c";

int
zs_identity_password_init(zs_identity *id)
{
	snprintf(id->dummy_hash, sizeof id->dummy_hash, "%s", identity_dummy_hash);
	if (crypto_pwhash_str_needs_rehash(id->dummy_hash, IDENTITY_OPSLIMIT, IDENTITY_MEMLIMIT) == 0)
		return 0;
	unsigned char secret[32];
	randombytes_buf(secret, sizeof secret);
	int rv = crypto_pwhash_str(id->dummy_hash, (const char *) secret, sizeof secret,
	    IDENTITY_OPSLIMIT, IDENTITY_MEMLIMIT);
	sodium_memzero(secret, sizeof secret);
	return rv == 0 ? 0 : -1;
}

/* One hash or check run on a KDF thread for a caller that waits for it. */
typedef struct password_job {
	zs_identity *id;
	const char *hash;          /* verify: against this (NULL: the dummy) */
	const char *password;
	char *out;                 /* hash: into this */
	int64_t deadline_ms;
	int rv;
	bool match;
	bool done;
} password_job;

static void
password_job_run(void *arg)
{
	password_job *j = arg;
	int rv = 0;
	bool match = false;
	if (zs_clock_ms() > j->deadline_ms)
		rv = ZS_DEADLINE_EXCEEDED;
	else if (j->out != NULL)
		rv = crypto_pwhash_str(j->out, j->password, strlen(j->password), IDENTITY_OPSLIMIT,
		    IDENTITY_MEMLIMIT) == 0 ? 0 : ZS_RESOURCE_EXHAUSTED;
	else
		zs_identity_password_verify_here(j->id, j->hash, j->password, &match);
	pthread_mutex_lock(&j->id->lock);
	j->rv = rv;
	j->match = match;
	j->done = true;
	pthread_cond_broadcast(&j->id->changed);
	pthread_mutex_unlock(&j->id->lock);
}

/* Runs j on a KDF thread and waits for it. 0 or a code with *st. */
static int
password_run(zs_identity *id, password_job *j, zs_status **st)
{
	if (zs_identity_kdf_reserve(id->kdf) != 0) {
		*st = zs_status_new(ZS_UNAVAILABLE, ZS_IDENTITY_E_THROTTLED, "too many password "
		    "checks are waiting (%d): try again in 1 s (retry-after-ms: 1000)",
		    ZS_IDENTITY_KDF_QUEUE);
		return ZS_UNAVAILABLE;
	}
	j->id = id;
	zs_identity_kdf_submit(id->kdf, password_job_run, j);
	pthread_mutex_lock(&id->lock);
	while (!j->done)
		pthread_cond_wait(&id->changed, &id->lock);
	pthread_mutex_unlock(&id->lock);
	if (j->rv == ZS_DEADLINE_EXCEEDED)
		*st = zs_status_new(ZS_DEADLINE_EXCEEDED, ZS_IDENTITY_E_STORE,
		    "too many logins at once: no password check could start before the deadline");
	else if (j->rv != 0)
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL,
		    "cannot hash the password (out of memory for argon2id)");
	return j->rv;
}

int
zs_identity_password_hash(zs_identity *id, const char *password, int64_t deadline_ms,
    char out[ZS_IDENTITY_HASH_LEN], zs_status **st)
{
	password_job j = { .password = password, .out = out, .deadline_ms = deadline_ms };
	return password_run(id, &j, st);
}

void
zs_identity_password_verify_here(zs_identity *id, const char *hash, const char *password,
    bool *match)
{
	/* crypto_pwhash_str_verify recomputes the hash and compares in constant time */
	bool ok = crypto_pwhash_str_verify(hash != NULL ? hash : id->dummy_hash, password,
	    strlen(password)) == 0;
	*match = ok && hash != NULL;
}

int
zs_identity_password_verify(zs_identity *id, const char *hash, const char *password,
    int64_t deadline_ms, bool *match, zs_status **st)
{
	password_job j = { .hash = hash, .password = password, .deadline_ms = deadline_ms };
	int rv = password_run(id, &j, st);
	*match = rv == 0 && j.match;
	return rv;
}

/* Characters (UTF-8 code points) of s: the bytes that do not continue a sequence. */
static size_t
password_chars(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++)
		n += ((unsigned char) *s & 0xc0) != 0x80;
	return n;
}

int
zs_identity_password_rules(const char *password, zs_status **st)
{
	size_t chars = password_chars(password);
	if (chars < ZS_IDENTITY_PASSWORD_MIN) {
		*st = zs_status_new(ZS_INVALID_ARGUMENT, ZS_IDENTITY_E_BAD_INPUT,
		    "the password is too short: %zu characters, at least %d are needed", chars,
		    ZS_IDENTITY_PASSWORD_MIN);
		return ZS_INVALID_ARGUMENT;
	}
	if (strlen(password) > ZS_IDENTITY_PASSWORD_MAX) {
		*st = zs_status_new(ZS_INVALID_ARGUMENT, ZS_IDENTITY_E_BAD_INPUT,
		    "the password is too long: at most %d bytes", ZS_IDENTITY_PASSWORD_MAX);
		return ZS_INVALID_ARGUMENT;
	}
	return 0;
}

static bool
name_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    ch == '.' || ch == '_' || ch == '-' || ch == '@';
}

int
zs_identity_name_rules(const char *name, zs_status **st)
{
	size_t len = strlen(name);
	const char *bad = NULL;
	for (const char *p = name; *p != '\0' && bad == NULL; p++)
		if (!name_char_ok(*p))
			bad = p;
	if (len == 0 || len > ZS_IDENTITY_NAME_MAX || bad != NULL) {
		*st = zs_status_new(ZS_INVALID_ARGUMENT, ZS_IDENTITY_E_BAD_INPUT,
		    "account name \"%.*s\" is not valid: 1 to %d of the letters a-z A-Z, digits "
		    "and . _ - @%s", len > ZS_IDENTITY_NAME_MAX ? ZS_IDENTITY_NAME_MAX : (int) len,
		    name, ZS_IDENTITY_NAME_MAX, bad != NULL ? " (it holds another character)" :
		    len == 0 ? " (it is empty)" : " (it is too long)");
		return ZS_INVALID_ARGUMENT;
	}
	return 0;
}

void
zs_identity_password_generate(char out[25])
{
	unsigned char raw[18];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, 25, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

void
zs_identity_scrub(zs_call *call, const char *secret)
{
	/* Only a request the node decoded from a frame is the node's: on the bus the request
	 * is the caller's (and may be read-only). The frame's bytes go too. */
	if (!zs_call_wipe_request(call))
		return;
	if (secret != NULL)
		sodium_memzero((char *) secret, strlen(secret));
}
