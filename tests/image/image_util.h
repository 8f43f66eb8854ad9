/*
 * image_util.h: what tests/image shares: plain HTTP to the simulator, calls of the backup
 * storage and image APIs, jobs, and a recorder of backupstorage/ and image/ events.
 */
#ifndef IMAGE_UTIL_H
#define IMAGE_UTIL_H

#include <jansson.h>

#include "inv.h"
#include "zs/backupstorage/v1/backupstorage.pb-c.h"
#include "zs/image/v1/image.pb-c.h"

#define BS_M "zs.backupstorage.v1.BackupStorage/"
#define IMG_M "zs.image.v1.Image/"

extern int it_sim_port;

/* How long the node may take to start: a first start runs initdb, slow on a busy machine. */
#define IT_READY_MS 40000
/* inv_start with that longer wait; false (after saying why) on failure. */
bool it_start(inv *t, const char *const *sets);

/* method path on the simulator's control address: the JSON answer or NULL. */
json_t *it_sim(const char *method, const char *path, const char *body);
/* POST body to path, checking an answer came. */
void it_sim_do(const char *method, const char *path, const char *body);
/* How many commands on path host got. */
size_t it_sim_count(const char *host, const char *path);
/* How many images the simulated backup storage host keeps. */
size_t it_sim_images(const char *host);

int it_add_bs(inv *t, const char *s, const char *name, const char *ip, const char *url,
    Zs__Backupstorage__V1__BackupStorageInfo **out);
int it_get_bs(inv *t, const char *s, const char *uuid, Zs__Backupstorage__V1__BackupStorageInfo **out);
/* The available capacity of uuid, or -1. */
long long it_avail(inv *t, const char *uuid);
/* How many backup storages the admin sees (attached to zone unless NULL), or -1. */
int it_count_bs(inv *t, const char *s, const char *zone);
int it_count_images(inv *t, const char *s);

/* AddImage of url on the n backup storages bs, as a job waited for (timeout_ms bounds the
 * job: 0 for 20 s). *out on success; progress counts the progress reports seen and last
 * (may be NULL) gets the last message. */
int it_add_image(inv *t, const char *name, const char *url, const char *const *bs, size_t n,
    int timeout_ms, Zs__Image__V1__ImageInfo **out, int *progress);
int it_get_image(inv *t, const char *uuid, Zs__Image__V1__ImageInfo **out);
/* Calls IMG_M method with a request of just its uuid. */
int it_image_uuid_call(inv *t, const char *s, const char *method, const char *uuid);

/* image_query.c: QueryBackupStorage and QueryImage as the admin (bs holds image, bs is
 * attached to zone z1), and as another account user (is_public: image is public now). */
void it_check_query(inv *t, const char *bs, const char *image, const char *zone);
void it_check_query_user(inv *t, const char *user, const char *image, bool is_public);

/* backupstorage/ and image/ events. */
void it_events_open(inv_events *e, const char *url);

#endif
