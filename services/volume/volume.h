/*
 * volume.h: what the volume service's files share: its resource table, interceptor and
 * answers (volume_api.c), the create workflow (volume_create.c), DeleteVolume
 * (volume_delete.c), the VM a data volume belongs to (volume_attach.c) and the recovery
 * at start of volumes left Creating or Deleting (volume_recover.c). Nothing here is seen outside the plugin.
 */
#ifndef VOLUME_H
#define VOLUME_H

#include <libpq-fe.h>

#include "zs/call.h"
#include "zs/db.h"
#include "zs/node.h"
#include "zs/resource_kit.h"
#include "zs/volume/v1/volume.pb-c.h"

#define VOLUME_TYPE "Volume"           /* the resource type in zs_resources */
#define VOLUME_DB_WAIT_MS 10000        /* a connection for steps that must run (rollbacks) */

#define VOLUME_COLUMNS \
	"uuid, name, description, type, size, format, primary_storage_uuid, host_uuid, " \
	"zone_uuid, install_path, state, status, image_uuid, vm_uuid, owner_uuid, " \
	ZS_RKIT_SQL_TIMES

/* ---- volume_api.c ---- */

extern const zs_rkit_def volume_def;

/* Answers call with uuid's VolumeInfo (on c, not released). */
void volume_answer(zs_call *call, zs_db_conn *c, ProtobufCClosure closure, const char *uuid);
/* Writes topic about uuid with its VolumeInfo, in c's transaction. */
int volume_publish(zs_db_conn *c, zs_call *call, const char *topic, const char *uuid,
    zs_status **st);
/* volume_publish that also gives the row published (*kept, the caller's to PQclear), to
 * answer with (volume_answer_row) once the transaction committed, without reading it again. */
int volume_publish_keep(zs_db_conn *c, zs_call *call, const char *topic, const char *uuid,
    PGresult **kept, zs_status **st);
/* Answers call with the VolumeInfo of row (a row of volume_def.sql_get). */
void volume_answer_row(zs_call *call, ProtobufCClosure closure, const PGresult *row);
/* The same as the node (no call: the recovery at start). */
int volume_publish_node(zs_db_conn *c, zs_node *node, const char *topic, const char *uuid,
    zs_status **st);
void volume_fail(zs_call *call, zs_status *st);

/* ---- volume_create.c ---- */

void volume_create_data(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void volume_create_root(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* ---- volume_delete.c ---- */

void volume_delete(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void volume_change_state(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* ---- volume_attach.c ---- */

void volume_attach(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void volume_detach(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

#endif
