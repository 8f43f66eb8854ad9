/*
 * bs.h: what the backup storage service's files share: its state and agent URLs
 * (bs_main.c), the API and its interceptor (bs_api.c, AddBackupStorage in bs_add.c), the
 * database side (bs_store.c), the agent's commands (bs_agent.c) and how its answers are
 * read (bs_answer.c), the image commands for other services (bs_image.c) and the ping
 * tracker (bs_tracker.c). Nothing here is seen outside the plugin.
 */
#ifndef BS_H
#define BS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "zs/backupstorage/v1/backupstorage.pb-c.h"
#include "zs/call.h"
#include "zs/db.h"
#include "zs/node.h"
#include "zs/resource_kit.h"
#include "zs/status.h"

#define BS_TYPE "BackupStorage"
#define BS_TABLE "backupstorage_backup_storages"
#define BS_URL_MAX 512
#define BS_COLUMNS \
	"uuid, name, description, owner_uuid, type, hostname, url, username, ssh_port, state, " \
	"status, status_reason, total_capacity, available_capacity, " ZS_RKIT_SQL_TIMES

typedef struct bs_tracker bs_tracker;

/* The service's state (zs_service_set_data); read only once started, but the tracker. */
typedef struct bs_state {
	zs_node *node;
	long port;                             /* SftpBackupStorage.port */
	int64_t ping_interval_ms, ping_timeout_ms, connect_timeout_ms;
	bs_tracker *tracker;
} bs_state;

/* ---- bs_main.c ---- */

/* The agent URL of path ("/sftpbackupstorage/connect") at hostname; 0, or -1 when too long. */
int bs_url(const bs_state *bs, const char *hostname, const char *path, char *buf, size_t len);

/* ---- bs_store.c (worker threads: they block on the database) ---- */

/* BackupStorageInfos with their zones, and what their strings point into. */
typedef struct bs_infos {
	size_t n;
	Zs__Backupstorage__V1__BackupStorageInfo *infos;    /* n */
	Zs__Backupstorage__V1__BackupStorageInfo **ptrs;    /* n, for a repeated field */
	char **zones;                                       /* every zone uuid pointer */
	PGresult *rows, *refs;
} bs_infos;

/* The backup storages matching where (SQL over the table's columns, with params), oldest
 * first. 0 or a code with *st. */
int bs_store_load(zs_db_conn *c, const char *where, int n, const char *const *p, bs_infos *out,
    zs_status **st);
/* One, by uuid: NOT_FOUND "no backup storage with uuid U" when there is none. */
int bs_store_one(zs_db_conn *c, const char *uuid, bs_infos *out, zs_status **st);
void bs_infos_free(bs_infos *b);
/* Writes topic about uuid with its BackupStorageInfo, in c's transaction. */
int bs_store_event(bs_state *bs, zs_db_conn *c, const char *uuid, const char *topic,
    zs_status **st);
/* A pooled connection for work with no call (connect.timeout to wait for one). */
int bs_store_acquire(bs_state *bs, zs_db_conn **c, zs_status **st);
/* Sets status (and why, "" none), with topic's event (NULL: none; none either when the
 * status did not change and only_on_change). NOT_FOUND when uuid is gone. */
int bs_store_status(bs_state *bs, const char *uuid, const char *status, const char *reason,
    const char *topic, bool only_on_change, zs_status **st);
/* The agent answered connect: capacity and Connected, with backupstorage/connected. */
int bs_store_connected(bs_state *bs, const char *uuid, int64_t total, int64_t available,
    zs_status **st);

/* ---- bs_agent.c ---- */

/* Called once, on a worker, with 0 and the agent's answer (borrowed), or a code with st
 * (taken by the callee). */
typedef void (*bs_agent_fn)(int code, zs_status *st, const json_t *reply, void *arg);
/* Posts cmd (borrowed) to path on the agent of uuid at hostname; async: through the
 * callback URL. deadline_ms bounds it (0: timeout_ms from now). Any thread; never blocks. */
void bs_agent_post(bs_state *bs, const char *uuid, const char *hostname, const char *path,
    json_t *cmd, bool async, int64_t deadline_ms, bs_agent_fn done, void *arg);

/* Called once, on a worker: 0 (Connected, capacity stored) or a code with st (taken). */
typedef void (*bs_connect_fn)(int code, zs_status *st, void *arg);
/* Connects uuid (/sftpbackupstorage/connect, synchronous) and stores the capacity and
 * Connected; call (may be NULL) bounds it, else backupstorage.connect.timeout. */
void bs_connect(bs_state *bs, const char *uuid, const char *hostname, const char *url,
    const zs_call *call, bs_connect_fn done, void *arg);

/* ---- bs_api.c, bs_add.c ---- */

/* Answers call with uuid's BackupStorageInfo as it is now (NOT_FOUND for one the call
 * does not see). Worker threads. */
void bs_api_answer(zs_call *call, ProtobufCClosure closure, const char *uuid);
/* The row of uuid as the call sees it, into b (caller frees); 0 or the code it failed
 * the call with. */
int bs_api_load(zs_call *call, const char *uuid, bs_infos *b);
void bs_add_backup_storage(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* ---- bs_image.c ---- */

void bs_download_image(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void bs_delete_bits(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* ---- bs_tracker.c ---- */

int bs_tracker_start(bs_state *bs);
void bs_tracker_stop(bs_state *bs);
/* Pings uuid now; done as for bs_connect: 0 (it answered; a Disconnected one was
 * reconnected) or the code (it is Disconnected, with why). */
void bs_ping(bs_state *bs, const char *uuid, const char *hostname, const char *url,
    const char *status, const zs_call *call, bs_connect_fn done, void *arg);

#endif
