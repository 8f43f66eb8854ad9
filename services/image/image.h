/*
 * image.h: what the image service's files share: the API and its interceptor
 * (image_api.c), the database side (image_store.c), AddImage (image_add.c) and
 * ExpungeImage (image_expunge.c). Nothing here is seen outside the plugin.
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "zs/call.h"
#include "zs/db.h"
#include "zs/image/v1/image.pb-c.h"
#include "zs/node.h"
#include "zs/resource_kit.h"
#include "zs/status.h"

#define IMAGE_TYPE "Image"
#define IMAGE_TABLE "image_images"
#define IMAGE_REFS "image_backup_storage_refs"
#define IMAGE_COLUMNS \
	"uuid, name, description, owner_uuid, url, format, media_type, platform, status, size, " \
	"actual_size, is_public, " ZS_RKIT_SQL_TIMES

/* ---- image_store.c (worker threads) ---- */

/* ImageInfos with their backup storage copies, and what their strings point into. */
typedef struct image_infos {
	size_t n;
	Zs__Image__V1__ImageInfo *infos;                  /* n */
	Zs__Image__V1__ImageInfo **ptrs;                  /* n */
	Zs__Image__V1__ImageBackupStorageRef *refs;       /* every copy */
	Zs__Image__V1__ImageBackupStorageRef **ref_ptrs;  /* and room for extra ones */
	PGresult *rows, *ref_rows;
} image_infos;

/* The images matching where (SQL over the image table's columns, params p), oldest first. */
int image_store_load(zs_db_conn *c, const char *where, int n, const char *const *p,
    image_infos *out, zs_status **st);
/* One: NOT_FOUND "no image with uuid U" when there is none. */
int image_store_one(zs_db_conn *c, const char *uuid, image_infos *out, zs_status **st);
void image_infos_free(image_infos *b);
/* Writes topic about uuid with its ImageInfo, in c's transaction. */
int image_store_event(zs_node *node, zs_db_conn *c, const char *uuid, const char *topic,
    zs_status **st);
/* Loads uuid as the call sees it into b (caller frees); 0 or the code the call failed with. */
int image_api_load(zs_call *call, const char *uuid, image_infos *b);
/* Answers call with uuid's ImageInfo as it is now. */
void image_api_answer(zs_call *call, ProtobufCClosure closure, const char *uuid);

/* ---- image_add.c, image_expunge.c ---- */

void image_add(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void image_expunge(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

#endif
