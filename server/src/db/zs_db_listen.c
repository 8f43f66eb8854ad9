/*
 * zs_db_listen.c: what a module that follows a NOTIFY channel needs (the config listener,
 * the event sender): a connection of its own, outside the pool, that LISTENs, and a wait
 * on its socket that a pipe can interrupt when the module stops.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "zs_db.h"

PGconn *
zs_db_listen_connect(zs_db *db, const char *channel, zs_status **st)
{
	PGconn *pg = zs_db_connect_own(db, st);
	if (pg == NULL)
		return NULL;
	char *quoted = PQescapeIdentifier(pg, channel, strlen(channel));
	char sql[256];
	snprintf(sql, sizeof sql, "LISTEN %s", quoted != NULL ? quoted : channel);
	PQfreemem(quoted);
	PGresult *r = PQexec(pg, sql);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		*st = zs_status_new(ZS_UNAVAILABLE, NULL, "LISTEN %s failed: %s", channel,
		    PQerrorMessage(pg));
	PQclear(r);
	if (!ok) {
		PQfinish(pg);
		pg = NULL;
	}
	return pg;
}

int
zs_db_listen_wait(int wake_fd, PGconn *pg, int timeout_ms)
{
	int fd = pg != NULL ? PQsocket(pg) : -1;
	struct pollfd p[2] = { { .fd = wake_fd, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
	int n = poll(p, fd >= 0 ? 2 : 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (p[0].revents != 0)
		return -1;
	return n > 0 ? 1 : 0;
}
