/*
 * zs_config_listen.c: config changes made by other nodes of the same database. Every
 * update and reset sends NOTIFY zs_config 'NODE/CATEGORY/NAME' in its transaction; each
 * node holds one connection of its own (outside the pool) that LISTENs, and a thread
 * that waits on its socket. For another node's change it reads the row again (the row,
 * not the payload, is the truth, so late or reordered notifications do no harm), sets
 * the value in memory and calls the watchers. The node that made the change already
 * published its event. After the connection breaks, the thread reconnects and reads
 * every value again, since notifications sent meanwhile are lost.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zs/log.h"
#include "zs_config_impl.h"
#include "zs_db.h"

/* How often a broken connection is tried again, and how long a wait lasts at most. */
#define LISTEN_RETRY_MS 1000
#define LISTEN_POLL_MS 5000

struct zs_config_listener {
	zs_config *reg;
	pthread_t thread;
	bool running;
	int wake[2];          /* a byte on wake[1] stops the thread */
	PGconn *pg;           /* NULL while disconnected */
	bool resync;          /* read every value again once connected */
};

/* Connects and LISTENs. 0, or -1 (logged once per outage by the caller). */
static int
listen_connect(zs_config_listener *l, char *why, size_t why_len)
{
	zs_status *st = NULL;
	l->pg = zs_db_listen_connect(l->reg->db, ZS_CONFIG_CHANNEL, &st);
	if (l->pg == NULL)
		snprintf(why, why_len, "%s", st ? st->message : "out of memory");
	zs_status_free(st);
	return l->pg != NULL ? 0 : -1;
}

static void
listen_drop(zs_config_listener *l, const char *what)
{
	zs_log(ZS_LOG_WARN, "config", "the connection that listens for other nodes' config "
	    "changes broke (%s); reconnecting", what);
	PQfinish(l->pg);
	l->pg = NULL;
	l->resync = true;
}

/* Takes the stored value (NULL: none) of one config into memory. Caller holds write_lock. */
static void
listen_take(zs_config_listener *l, const char *category, const char *name, const char *stored)
{
	zs_config *reg = l->reg;
	const char *value = NULL;
	char canon[ZS_CONFIG_VALUE_MAX + 1], why[1024];
	if (stored != NULL) {
		pthread_rwlock_rdlock(&reg->lock);
		const zs_config_entry *e = zs_config_find(reg, category, name);
		int rv = e != NULL ? zs_config_value_check(e, stored, canon, sizeof canon, why, sizeof why) : 1;
		pthread_rwlock_unlock(&reg->lock);
		if (rv == 1)
			return;   /* not declared here */
		if (rv < 0)
			zs_log(ZS_LOG_WARN, "config", "stored %s; using the default instead", why);
		else
			value = canon;
	}
	if (zs_config_apply(reg, category, name, value, zs_rpc_get_state(reg->rpc) == ZS_RPC_SERVING))
		zs_log(ZS_LOG_INFO, "config", "%s.%s is now %s (changed by another node)", category,
		    name, value != NULL ? value : "the default");
}

/* Reads one config's row again after another node changed it. */
static void
listen_reread(zs_config_listener *l, const char *category, const char *name)
{
	const char *params[2] = { category, name };
	pthread_mutex_lock(&l->reg->write_lock);
	PGresult *r = PQexecParams(l->pg, "SELECT value FROM zs_global_configs WHERE category = $1 "
	    "AND name = $2", 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		listen_take(l, category, name, PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : NULL);
	pthread_mutex_unlock(&l->reg->write_lock);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQstatus(l->pg) != CONNECTION_OK)
		listen_drop(l, "reading a changed value");
	PQclear(r);
}

/* The stored value of category/name among the rows of r, or NULL. */
static const char *
listen_row(const PGresult *r, const char *category, const char *name)
{
	for (int i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, 0), category) == 0 && strcmp(PQgetvalue(r, i, 1), name) == 0)
			return PQgetvalue(r, i, 2);
	return NULL;
}

/* Reads every value again (after an outage, notifications may have been lost). */
static void
listen_resync(zs_config_listener *l)
{
	zs_config_view *views;
	size_t n;
	if (zs_config_list(l->reg, NULL, &views, &n) != 0)
		return;
	pthread_mutex_lock(&l->reg->write_lock);
	PGresult *r = PQexec(l->pg, "SELECT category, name, value FROM zs_global_configs");
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	for (size_t i = 0; ok && i < n; i++)
		listen_take(l, views[i].category, views[i].name, listen_row(r, views[i].category,
		    views[i].name));
	pthread_mutex_unlock(&l->reg->write_lock);
	PQclear(r);
	zs_config_views_free(views, n);
	if (ok)
		l->resync = false;
	else
		listen_drop(l, "reading every value again");
}

/* Handles "NODE/CATEGORY/NAME" (the node id may hold '/'; category and name do not). */
static void
listen_handle(zs_config_listener *l, const char *payload)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s", payload);
	char *name = strrchr(buf, '/');
	if (name == NULL)
		return;
	*name++ = '\0';
	char *category = strrchr(buf, '/');
	if (category == NULL)
		return;
	*category++ = '\0';
	if (strcmp(buf, l->reg->node_id) != 0)
		listen_reread(l, category, name);
}

/* Reads what arrived and handles each notification. */
static void
listen_drain(zs_config_listener *l)
{
	if (!PQconsumeInput(l->pg)) {
		listen_drop(l, PQerrorMessage(l->pg));
		return;
	}
	PGnotify *n;
	while (l->pg != NULL && (n = PQnotifies(l->pg)) != NULL) {
		listen_handle(l, n->extra);
		PQfreemem(n);
	}
}

static void *
listen_main(void *arg)
{
	zs_config_listener *l = arg;
	bool told = false;
	for (;;) {
		char why[512];
		if (l->pg == NULL && listen_connect(l, why, sizeof why) != 0) {
			if (!told)
				zs_log(ZS_LOG_WARN, "config", "cannot listen for other nodes' config "
				    "changes (%s); trying again every %d ms", why, LISTEN_RETRY_MS);
			told = true;
			if (zs_db_listen_wait(l->wake[0], NULL, LISTEN_RETRY_MS) < 0)
				break;
			continue;
		}
		told = false;
		if (l->resync)
			listen_resync(l);
		if (l->pg == NULL)
			continue;
		int w = zs_db_listen_wait(l->wake[0], l->pg, LISTEN_POLL_MS);
		if (w < 0)
			break;
		if (w > 0)
			listen_drain(l);
	}
	return NULL;
}

int
zs_config_listen_start(zs_config *reg, zs_config_listener **out, char *err, size_t errlen)
{
	zs_config_listener *l = calloc(1, sizeof *l);
	if (l == NULL || pipe(l->wake) != 0) {
		free(l);
		snprintf(err, errlen, "cannot make the config listener: %s", strerror(errno));
		return -1;
	}
	l->reg = reg;
	/* LISTEN before the caller reads the stored values, so no change falls between;
	 * without a connection now, the thread keeps trying (and reads every value then) */
	char why[512];
	if (listen_connect(l, why, sizeof why) != 0)
		l->resync = true;
	if (pthread_create(&l->thread, NULL, listen_main, l) != 0) {
		snprintf(err, errlen, "cannot start the config listener thread");
		zs_config_listen_stop(l);
		return -1;
	}
	l->running = true;
	*out = l;
	return 0;
}

void
zs_config_listen_stop(zs_config_listener *l)
{
	if (l == NULL)
		return;
	if (l->running) {
		char stop = 1;
		if (write(l->wake[1], &stop, 1) != 1)
			zs_log(ZS_LOG_WARN, "config", "cannot wake the config listener");
		pthread_join(l->thread, NULL);
	}
	PQfinish(l->pg);
	close(l->wake[0]);
	close(l->wake[1]);
	free(l);
}
