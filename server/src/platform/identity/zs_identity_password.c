/*
 * zs_identity_password.c: passwords. Hashes are libsodium's crypto_pwhash_str (argon2id,
 * salted, the parameters inside the string), verified with crypto_pwhash_str_verify,
 * which compares in constant time. Also the rules for names and new passwords, random
 * passwords for the first admin, and zeroing the passwords of a request after use.
 */
#include <errno.h>
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

/* Takes a KDF slot, waiting until deadline_ms (zs_clock_ms). 0, or DEADLINE_EXCEEDED. */
static int
password_slot_take(zs_identity *id, int64_t deadline_ms, zs_status **st)
{
	struct timespec ts = { (time_t) (deadline_ms / 1000), (long) (deadline_ms % 1000) * 1000000L };
	int rv = 0;
	pthread_mutex_lock(&id->lock);
	while (id->kdf_free == 0 && rv != ETIMEDOUT)
		rv = pthread_cond_timedwait(&id->changed, &id->lock, &ts);
	bool got = id->kdf_free > 0;
	if (got)
		id->kdf_free--;
	pthread_mutex_unlock(&id->lock);
	if (!got) {
		*st = zs_status_new(ZS_DEADLINE_EXCEEDED, ZS_IDENTITY_E_STORE,
		    "too many logins at once: no password check could start before the deadline");
		return ZS_DEADLINE_EXCEEDED;
	}
	return 0;
}

static void
password_slot_give(zs_identity *id)
{
	pthread_mutex_lock(&id->lock);
	id->kdf_free++;
	pthread_cond_broadcast(&id->changed);
	pthread_mutex_unlock(&id->lock);
}

int
zs_identity_password_hash(zs_identity *id, const char *password, int64_t deadline_ms,
    char out[ZS_IDENTITY_HASH_LEN], zs_status **st)
{
	int rv = password_slot_take(id, deadline_ms, st);
	if (rv != 0)
		return rv;
	rv = crypto_pwhash_str(out, password, strlen(password), IDENTITY_OPSLIMIT, IDENTITY_MEMLIMIT);
	password_slot_give(id);
	if (rv != 0) {
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL,
		    "cannot hash the password (out of memory for argon2id)");
		return ZS_RESOURCE_EXHAUSTED;
	}
	return 0;
}

int
zs_identity_password_verify(zs_identity *id, const char *hash, const char *password,
    int64_t deadline_ms, bool *match, zs_status **st)
{
	*match = false;
	int rv = password_slot_take(id, deadline_ms, st);
	if (rv != 0)
		return rv;
	/* crypto_pwhash_str_verify recomputes the hash and compares in constant time */
	bool ok = crypto_pwhash_str_verify(hash != NULL ? hash : id->dummy_hash, password,
	    strlen(password)) == 0;
	password_slot_give(id);
	*match = ok && hash != NULL;
	return 0;
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
