/*
 * bs_add.c: AddBackupStorage. The backup storage is recorded as Connecting
 * (backupstorage/created, one per hostname) and its agent connected (bs_agent.c); when
 * that fails it is deleted again (backupstorage/deleted) and the call fails with
 * BACKUPSTORAGE.1001, the agent's error as its cause: nothing is left. The password is
 * only checked, never stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs.h"
#include "zs/event.h"
#include "zs/resource.h"

/* ---- AddBackupStorage ---- */

typedef struct bs_add {
	zs_call *call;
	ProtobufCClosure closure;
	bs_state *bs;
	char uuid[ZS_UUID_LEN];
	char hostname[64];
} bs_add;

/* It never connected: it goes, with backupstorage/deleted, in one transaction. */
static int
bs_add_undo(bs_add *a, zs_status **st)
{
	zs_db_conn *c = NULL;
	int rv = bs_store_acquire(a->bs, &c, st);
	if (rv != 0)
		return rv;
	rv = zs_db_begin(c, st);
	if (rv == 0) {
		bs_infos b;
		rv = zs_resource_lock(c, a->uuid, "backup storage", st);
		if (rv == 0 && (rv = bs_store_one(c, a->uuid, &b, st)) == 0) {
			Zs__Backupstorage__V1__BackupStorageDeleted ev =
			    ZS__BACKUPSTORAGE__V1__BACKUP_STORAGE_DELETED__INIT;
			ev.backup_storage = &b.infos[0];
			rv = zs_event_publish_tx(c, zs_node_events(a->bs->node), "backupstorage/deleted",
			    a->uuid, b.infos[0].owner_uuid, &ev.base, st);
			bs_infos_free(&b);
		}
		if (rv == 0)
			rv = zs_resource_delete(c, a->uuid, st);
		rv = zs_db_end(c, rv, st);
	}
	zs_db_release(zs_node_db(a->bs->node), c);
	return rv;
}

static void
bs_add_connected(int code, zs_status *st, void *arg)
{
	bs_add *a = arg;
	if (code == 0) {
		bs_api_answer(a->call, a->closure, a->uuid);
	} else {
		zs_status *undo = NULL;
		if (bs_add_undo(a, &undo) != 0 && st != NULL && undo != NULL)
			zs_status_add_detail(st, "and the backup storage could not be deleted again: %s",
			    undo->message != NULL ? undo->message : "");
		zs_status_free(undo);
		char why[1024];
		zs_status_text(st, why, sizeof why);
		zs_call_fail_cause(a->call, code, "BACKUPSTORAGE.1001", st,
		    "backup storage %s (%s) could not be connected and was not added: %s", a->uuid,
		    a->hostname, why);
	}
	zs_status_free(st);
	free(a);
}

void
bs_add_backup_storage(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Backupstorage__V1__AddBackupStorageRequest *in = (const void *) msg;
	bs_add *a = calloc(1, sizeof *a);
	if (a == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	a->call = call;
	a->closure = closure;
	a->bs = zs_call_service_data(call);
	zs_resource_uuid(a->uuid);
	snprintf(a->hostname, sizeof a->hostname, "%s", in->hostname);
	char port[16];
	snprintf(port, sizeof port, "%u", in->ssh_port != 0 ? (unsigned) in->ssh_port : 22u);
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0) {
		free(a);
		return;
	}
	zs_status *st = NULL;
	const char *p[8] = { a->uuid, zs_call_account(call), in->name, in->description, "Sftp",
	    in->hostname, in->url, in->username };
	const char *p2[1] = { in->hostname };
	int rv = zs_db_begin(c, &st);
	if (rv == 0) {
		PGresult *r = zs_db_exec(c, "SELECT uuid FROM " BS_TABLE " WHERE hostname = $1", 1, p2, &st);
		if (r == NULL) {
			rv = st != NULL ? (int) st->code : ZS_INTERNAL;
		} else if (PQntuples(r) > 0) {
			rv = ZS_ALREADY_EXISTS;
			st = zs_status_new(ZS_ALREADY_EXISTS, "BACKUPSTORAGE.1008",
			    "backup storage %s is on hostname %s already", PQgetvalue(r, 0, 0), in->hostname);
		}
		PQclear(r);
		if (rv == 0)
			rv = zs_resource_create(c, call, a->uuid, BS_TYPE, in->name, NULL, &st);
		if (rv == 0) {
			const char *p9[9] = { p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], port };
			rv = zs_db_cmd(c, "INSERT INTO " BS_TABLE " (uuid, owner_uuid, name, description, "
			    "type, hostname, url, username, ssh_port) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
			    "$9)", 9, p9, NULL, &st);
		}
		if (rv == 0)
			rv = bs_store_event(a->bs, c, a->uuid, "backupstorage/created", &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	if (rv != 0) {
		if (rv == ZS_ALREADY_EXISTS && st != NULL &&
		    (st->error_code == NULL || st->error_code[0] == '\0')) {
			zs_status_free(st);
			st = zs_status_new(ZS_ALREADY_EXISTS, "BACKUPSTORAGE.1008",
			    "a backup storage is on hostname %s already", in->hostname);
		}
		zs_rkit_fail(call, st);
		free(a);
		return;
	}
	bs_connect(a->bs, a->uuid, in->hostname, in->url, call, bs_add_connected, a);
}
