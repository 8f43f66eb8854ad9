/*
 * zs_config_store.c: global config values in PostgreSQL (table zs_global_configs): the
 * load at start, update and reset (each in one transaction with a NOTIFY that tells the
 * other nodes), and the value in force for a resource through its system tags.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/event.h"
#include "zs/log.h"
#include "zs_config_impl.h"

/* How long the start waits for a database connection. */
#define STORE_START_TIMEOUT_MS 10000

/* A status carrying a CONFIG.* code with its declared description (caller frees). */
static zs_status *
store_status(zs_config *reg, int code, const char *error_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static zs_status *
store_status(zs_config *reg, int code, const char *error_code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	zs_status *st = zs_status_newv(code, error_code, fmt, ap);
	va_end(ap);
	const char *desc = error_code != NULL ? zs_errors_description(reg->errors, error_code) : NULL;
	char *copy = desc != NULL ? strdup(desc) : NULL;
	if (st != NULL && copy != NULL) {
		free(st->description);
		st->description = copy;
	} else {
		free(copy);
	}
	return st;
}

/* Checks value against the config: 0 with canon, -1 with why, 1 when undeclared. */
static int
store_check(zs_config *reg, const char *category, const char *name, const char *value,
    char *canon, size_t canon_len, char *why, size_t why_len)
{
	pthread_rwlock_rdlock(&reg->lock);
	const zs_config_entry *e = zs_config_find(reg, category, name);
	int rv = e == NULL ? 1 : zs_config_value_check(e, value, canon, canon_len, why, why_len);
	pthread_rwlock_unlock(&reg->lock);
	return rv;
}

/* Takes one stored row into memory (at start: no watchers, no event). */
static void
store_take_row(zs_config *reg, const char *category, const char *name, const char *value)
{
	char canon[ZS_CONFIG_VALUE_MAX + 1], why[1024];
	int rv = store_check(reg, category, name, value, canon, sizeof canon, why, sizeof why);
	if (rv == 1)
		zs_log(ZS_LOG_DEBUG, "config", "a value is stored for %s.%s, which no service "
		    "declares now: left alone", category, name);
	else if (rv < 0)
		zs_log(ZS_LOG_WARN, "config", "stored %s; using the default instead", why);
	else
		zs_config_apply(reg, category, name, canon, false);
}

int
zs_config_store_load(zs_config *reg, char *err, size_t errlen)
{
	zs_db_conn *c;
	zs_status *st = NULL;
	if (zs_db_acquire(reg->db, STORE_START_TIMEOUT_MS, &c, &st) != 0) {
		snprintf(err, errlen, "cannot read the stored configs: %s", st ? st->message : "out of memory");
		zs_status_free(st);
		return -1;
	}
	/* under write_lock: the listener may already apply another node's change */
	pthread_mutex_lock(&reg->write_lock);
	PGresult *r = zs_db_exec(c, "SELECT category, name, value FROM zs_global_configs", 0, NULL, &st);
	zs_db_release(reg->db, c);
	for (int i = 0; r != NULL && i < PQntuples(r); i++)
		store_take_row(reg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
	pthread_mutex_unlock(&reg->write_lock);
	if (r == NULL) {
		snprintf(err, errlen, "cannot read the stored configs: %s", st ? st->message : "out of memory");
		zs_status_free(st);
		return -1;
	}
	zs_log(ZS_LOG_DEBUG, "config", "%d stored config values read", PQntuples(r));
	PQclear(r);
	return 0;
}

void
zs_config_store_load_one(zs_config *reg, const char *category, const char *name)
{
	zs_db_conn *c;
	zs_status *st = NULL;
	const char *params[2] = { category, name };
	PGresult *r = NULL;
	pthread_mutex_lock(&reg->write_lock);
	if (zs_db_acquire(reg->db, STORE_START_TIMEOUT_MS, &c, &st) == 0) {
		r = zs_db_exec(c, "SELECT value FROM zs_global_configs WHERE category = $1 AND name = $2",
		    2, params, &st);
		zs_db_release(reg->db, c);
	}
	if (r != NULL && PQntuples(r) == 1)
		store_take_row(reg, category, name, PQgetvalue(r, 0, 0));
	pthread_mutex_unlock(&reg->write_lock);
	if (r == NULL) {
		zs_log(ZS_LOG_WARN, "config", "cannot read the stored value of %s.%s (%s): using "
		    "the default", category, name, st ? st->message : "out of memory");
		zs_status_free(st);
	}
	PQclear(r);
}

/* Runs sql (with $1 category, $2 name and maybe $3 value) and the NOTIFY in one
 * transaction on c. 0, or -1 with *st. */
static int
store_write(zs_config *reg, zs_db_conn *c, const char *sql, const char *category,
    const char *name, const char *value, zs_status **st)
{
	char payload[512];
	snprintf(payload, sizeof payload, "%s/%s/%s", reg->node_id, category, name);
	const char *params[3] = { category, name, value };
	const char *notify[2] = { ZS_CONFIG_CHANNEL, payload };
	if (zs_db_begin(c, st) != 0)
		return -1;
	PGresult *r = zs_db_exec(c, sql, value != NULL ? 3 : 2, params, st);
	PGresult *n = r != NULL ? zs_db_exec(c, "SELECT pg_notify($1, $2)", 2, notify, st) : NULL;
	PQclear(r);
	PQclear(n);
	if (n == NULL) {
		zs_db_rollback(c);
		return -1;
	}
	return zs_db_commit(c, st);
}

/* After a change: the new copy for the caller and the event. Caller holds write_lock. */
static int
store_after(zs_config *reg, const char *category, const char *name, zs_config_view *out,
    zs_status **st)
{
	if (zs_config_view_get(reg, category, name, out) != 0) {
		*st = store_status(reg, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return ZS_RESOURCE_EXHAUSTED;
	}
	Zs__Config__V1__ConfigInfo info;
	char tag[300];
	zs_config_info_from_view(out, &info, tag, sizeof tag);
	char topic[300];
	snprintf(topic, sizeof topic, "config/%s/%s", category, name);
	if (zs_event_publish(reg->events, topic, NULL, NULL, &info.base, NULL) != 0)
		zs_log(ZS_LOG_WARN, "config", "the event %s could not be sent", topic);
	return 0;
}

/* Stores (value) or deletes (value NULL) the config, then memory, event, watchers. */
static int
store_change(zs_config *reg, zs_db_conn *c, const char *category, const char *name,
    const char *value, zs_config_view *out, zs_status **st)
{
	static const char upsert[] =
	    "INSERT INTO zs_global_configs (category, name, value) VALUES ($1, $2, $3) "
	    "ON CONFLICT (category, name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()";
	static const char delete[] = "DELETE FROM zs_global_configs WHERE category = $1 AND name = $2";
	zs_status *db_st = NULL;
	pthread_mutex_lock(&reg->write_lock);
	int rv = store_write(reg, c, value != NULL ? upsert : delete, category, name, value, &db_st);
	if (rv != 0) {
		int code = db_st != NULL ? (int) db_st->code : ZS_INTERNAL;
		*st = store_status(reg, code, "CONFIG.1004", "config %s.%s could not be %s: %s", category,
		    name, value != NULL ? "stored" : "reset", db_st ? db_st->message : "out of memory");
		if (*st != NULL && db_st != NULL)
			zs_status_set_cause(*st, db_st);
		else
			zs_status_free(db_st);
		pthread_mutex_unlock(&reg->write_lock);
		return code;
	}
	zs_config_apply(reg, category, name, value, true);
	rv = store_after(reg, category, name, out, st);
	pthread_mutex_unlock(&reg->write_lock);
	return rv;
}

/* Adds what a bad value was checked against to st's details. */
static void
store_rule_details(zs_config *reg, zs_status *st, const char *category, const char *name,
    const char *value)
{
	zs_config_view v;
	if (st == NULL || zs_config_view_get(reg, category, name, &v) != 0)
		return;
	zs_status_add_detail(st, "config: %s.%s (%s)", category, name, v.type);
	zs_status_add_detail(st, "value: %s", value);
	if (v.min != NULL || v.max != NULL)
		zs_status_add_detail(st, "range: %s..%s", v.min ? v.min : "", v.max ? v.max : "");
	char list[1024] = "";
	size_t used = 0;
	for (size_t i = 0; i < v.n_allowed && used < sizeof list; i++) {
		int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", v.allowed[i]);
		used += n > 0 ? (size_t) n : 0;
	}
	if (v.n_allowed > 0)
		zs_status_add_detail(st, "allowed: %s", list);
	zs_config_view_clear(&v);
}

/* NOT_FOUND for an undeclared config, INVALID_ARGUMENT for a bad value, else 0. */
static int
store_precheck(zs_config *reg, const char *category, const char *name, const char *value,
    char *canon, size_t canon_len, zs_status **st)
{
	char why[1024];
	int rv = store_check(reg, category, name, value != NULL ? value : "", canon,
	    canon_len, why, sizeof why);
	if (rv == 1) {
		*st = store_status(reg, ZS_NOT_FOUND, "CONFIG.1002", "no config %s.%s is declared "
		    "(zsctl config list shows them)", category, name);
		return ZS_NOT_FOUND;
	}
	if (rv < 0 && value != NULL) {
		*st = store_status(reg, ZS_INVALID_ARGUMENT, "CONFIG.1001", "%s", why);
		store_rule_details(reg, *st, category, name, value);
		return ZS_INVALID_ARGUMENT;
	}
	return 0;
}

int
zs_config_update(zs_config *reg, zs_db_conn *c, const char *category, const char *name,
    const char *value, zs_config_view *out, zs_status **st)
{
	char canon[ZS_CONFIG_VALUE_MAX + 1];
	memset(out, 0, sizeof *out);
	int rv = store_precheck(reg, category, name, value ? value : "", canon, sizeof canon, st);
	return rv != 0 ? rv : store_change(reg, c, category, name, canon, out, st);
}

int
zs_config_reset(zs_config *reg, zs_db_conn *c, const char *category, const char *name,
    zs_config_view *out, zs_status **st)
{
	char canon[ZS_CONFIG_VALUE_MAX + 1];
	memset(out, 0, sizeof *out);
	int rv = store_precheck(reg, category, name, NULL, canon, sizeof canon, st);
	return rv != 0 ? rv : store_change(reg, c, category, name, NULL, out, st);
}

/* ---- resource overrides ---- */

/* The system tags CATEGORY::NAME::VALUE on the resource and its parents, nearest first;
 * only the resource types that may override a config count. */
static const char override_sql[] =
    "WITH RECURSIVE up (uuid, type, parent_uuid, depth) AS ("
    "  SELECT uuid, type, parent_uuid, 0 FROM zs_resources WHERE uuid = $1"
    "  UNION ALL"
    "  SELECT r.uuid, r.type, r.parent_uuid, up.depth + 1"
    "    FROM zs_resources r JOIN up ON r.uuid = up.parent_uuid WHERE up.depth < 32) "
    "SELECT up.type, up.uuid, substr(t.tag, length($2) + 1)"
    "  FROM up JOIN zs_tags t ON t.resource_uuid = up.uuid"
    " WHERE t.kind = 'system' AND left(t.tag, length($2)) = $2"
    "   AND up.type IN ('Host', 'Cluster', 'Zone')"
    " ORDER BY up.depth, t.created_at DESC";

/* Copies the value and its source out; OUT_OF_RANGE when buf is too small. */
static int
store_give(const char *value, const char *from, char *buf, size_t len, char *source,
    size_t source_len, zs_status **st)
{
	if (source != NULL && source_len > 0)
		snprintf(source, source_len, "%s", from);
	if (len == 0 || (size_t) snprintf(buf, len, "%s", value) >= len) {
		*st = zs_status_new(ZS_OUT_OF_RANGE, NULL, "the value (%zu bytes) does not fit in %zu",
		    strlen(value), len);
		return ZS_OUT_OF_RANGE;
	}
	return 0;
}

/* The first valid override among the rows; -1 when none is. */
static int
store_pick_override(zs_config *reg, const PGresult *r, const char *category, const char *name,
    char *canon, size_t canon_len, char *type, size_t type_len)
{
	char why[1024];
	for (int i = 0; i < PQntuples(r); i++) {
		const char *value = PQgetvalue(r, i, 2);
		if (store_check(reg, category, name, value, canon, canon_len, why, sizeof why) == 0) {
			snprintf(type, type_len, "%s", PQgetvalue(r, i, 0));
			return 0;
		}
		zs_log(ZS_LOG_WARN, "config", "system tag %s::%s::%s on %s %s is skipped: %s",
		    category, name, value, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), why);
	}
	return -1;
}

int
zs_config_for_resource(zs_config *reg, zs_db_conn *c, const char *category, const char *name,
    const char *resource_uuid, char *buf, size_t len, char *source, size_t source_len,
    zs_status **st)
{
	zs_config_view v;
	if (zs_config_view_get(reg, category, name, &v) != 0) {
		*st = store_status(reg, ZS_NOT_FOUND, "CONFIG.1002", "no config %s.%s is declared",
		    category ? category : "", name ? name : "");
		return ZS_NOT_FOUND;
	}
	int rv = 0;
	bool given = false;
	if (v.resource_override && resource_uuid != NULL && *resource_uuid != '\0') {
		char prefix[300], canon[ZS_CONFIG_VALUE_MAX + 1], type[64];
		snprintf(prefix, sizeof prefix, "%s::%s::", category, name);
		const char *params[2] = { resource_uuid, prefix };
		PGresult *r = zs_db_exec(c, override_sql, 2, params, st);
		if (r == NULL) {
			rv = (int) (*st)->code;
		} else if (store_pick_override(reg, r, category, name, canon, sizeof canon, type,
		    sizeof type) == 0) {
			rv = store_give(canon, type, buf, len, source, source_len, st);
			given = true;
		}
		PQclear(r);
	}
	if (rv == 0 && !given)
		rv = store_give(v.value, "global", buf, len, source, source_len, st);
	zs_config_view_clear(&v);
	return rv;
}
