/*
 * zs_heartbeat.c: this node's row in zs_nodes. A thread of its own writes last_seen every
 * interval (from the database's clock, so nodes need no common clock), then runs the
 * owner's after-beat hook (the node sweeps jobs of dead nodes there). The row goes when
 * the heartbeat stops cleanly; a node that dies leaves it to age. A thread rather than
 * a timer: it waits on the database, and a busy worker pool must not delay it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/log.h"
#include "zs_db.h"
#include "zs_stopper.h"

/* How long one beat may wait for a pooled connection. */
#define HB_ACQUIRE_MS 5000

struct zs_heartbeat {
	zs_heartbeat_env env;
	char *node_id;
	pthread_t thread;
	zs_stopper stopper;        /* the thread sleeps on it between rounds */
	bool failing;              /* the last beat failed (logged once until it works again) */
};

/* Runs one statement with the node id; 0 or a code with *st. */
static int
hb_exec(zs_heartbeat *hb, const char *sql, zs_status **st)
{
	zs_db_conn *c;
	int code = zs_db_acquire(hb->env.db, HB_ACQUIRE_MS, &c, st);
	if (code != 0)
		return code;
	const char *params[1] = { hb->node_id };
	PGresult *r = zs_db_exec(c, sql, 1, params, st);
	zs_db_release(hb->env.db, c);
	if (r == NULL)
		return *st != NULL ? (int) (*st)->code : ZS_INTERNAL;
	PQclear(r);
	return 0;
}

static int
hb_beat(zs_heartbeat *hb, zs_status **st)
{
	return hb_exec(hb, "INSERT INTO zs_nodes (id) VALUES ($1) "
	    "ON CONFLICT (id) DO UPDATE SET last_seen = now()", st);
}

static void *
hb_main(void *arg)
{
	zs_heartbeat *hb = arg;
	while (!zs_stopper_sleep(&hb->stopper, hb->env.interval_ms)) {
		zs_status *st = NULL;
		int code = hb_beat(hb, &st);
		if (code != 0 && !hb->failing)
			zs_log(ZS_LOG_WARN, "node", "cannot write this node's heartbeat: %s (other nodes "
			    "will take its jobs as dead after node.heartbeat_timeout)",
			    st != NULL ? st->message : zs_status_code_name(code));
		else if (code == 0 && hb->failing)
			zs_log(ZS_LOG_INFO, "node", "this node's heartbeat is written again");
		hb->failing = code != 0;
		zs_status_free(st);
		if (code == 0 && hb->env.after_beat != NULL)
			hb->env.after_beat(hb->env.arg);
	}
	return NULL;
}

int
zs_heartbeat_start(zs_heartbeat **out, const zs_heartbeat_env *env, char *err, size_t errlen)
{
	zs_heartbeat *hb = calloc(1, sizeof *hb);
	if (hb == NULL || (hb->node_id = strdup(env->node_id)) == NULL) {
		free(hb);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	hb->env = *env;
	zs_status *st = NULL;
	if (hb_beat(hb, &st) != 0) {
		snprintf(err, errlen, "cannot write this node's heartbeat: %s",
		    st != NULL ? st->message : "out of memory");
		zs_status_free(st);
		free(hb->node_id);
		free(hb);
		return -1;
	}
	zs_stopper_init(&hb->stopper);
	int rv = pthread_create(&hb->thread, NULL, hb_main, hb);
	if (rv != 0) {
		snprintf(err, errlen, "cannot start the heartbeat thread: %s", strerror(rv));
		zs_stopper_destroy(&hb->stopper);
		free(hb->node_id);
		free(hb);
		return -1;
	}
	*out = hb;
	return 0;
}

void
zs_heartbeat_stop(zs_heartbeat *hb)
{
	if (hb == NULL)
		return;
	zs_stopper_stop(&hb->stopper);
	pthread_join(hb->thread, NULL);
	zs_status *st = NULL;
	if (hb_exec(hb, "DELETE FROM zs_nodes WHERE id = $1", &st) != 0)
		zs_log(ZS_LOG_WARN, "node", "cannot remove this node's heartbeat: %s",
		    st != NULL ? st->message : "");
	zs_status_free(st);
	zs_stopper_destroy(&hb->stopper);
	free(hb->node_id);
	free(hb);
}
