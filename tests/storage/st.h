/*
 * st.h: what the storage suite's files share: the simulator's HTTP control, calls to the
 * primary storage and volume services with a timeout of the test's choosing, and the
 * capacity arithmetic the checks compare. The checks are in storage_test.c (adding,
 * attaching, volumes, events, cascade), st_faults.c (agent faults, the sync tracker),
 * st_accounts.c (a second account), st_query.c (the Query calls) and st_load.c
 * (concurrency).
 */
#ifndef ST_H
#define ST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "inv.h"
#include "zs/primarystorage/v1/primarystorage.pb-c.h"
#include "zs/volume/v1/volume.pb-c.h"

#define GIB (1ll << 30)
#define TIB (1ll << 40)

/* The simulator's port (set by main). */
extern int st_sim_port;

/* method path on the simulator (at host, or 127.0.0.1): its JSON answer or NULL. */
json_t *st_sim(const char *method, const char *host, const char *path, const char *body);
/* The same, checked to answer. */
void st_sim_do(const char *method, const char *path, const char *body);
/* Does the agent at ip have the file path (checkbits on LocalStorage or NFS)? */
bool st_sim_has(const char *ip, bool nfs, const char *path);
/* Commands on path the simulated host got (from /sim/log). */
size_t st_sim_count(const char *host, const char *path);

/* Calls method with a timeout (0: INV_TIMEOUT_MS); as inv_call. */
int st_call(inv *t, const char *s, const char *method, const void *req,
    const ProtobufCMessageDescriptor *desc, void *reply, uint32_t timeout_ms);

int st_ps_get(inv *t, const char *uuid, Zs__Primarystorage__V1__PrimaryStorageInfo **out);
int st_ps_attach(inv *t, const char *s, const char *ps, const char *cluster,
    Zs__Primarystorage__V1__PrimaryStorageInfo **out);
/* A data volume; uuid (may be NULL) gets its uuid. */
int st_vol_create(inv *t, const char *s, const char *name, int64_t size, const char *ps,
    const char *host, uint32_t timeout_ms, Zs__Volume__V1__VolumeInfo **out);
int st_vol_delete(inv *t, const char *s, const char *uuid);
/* Volumes on ps (all when NULL) and the sum of their sizes; -1 on failure. */
int st_vol_count(inv *t, const char *ps, int64_t *sum);

/* Available bytes on ps now, and on host's share of it (host may be NULL); -1 on failure. */
int64_t st_available(inv *t, const char *ps, const char *host);

#define PSM "zs.primarystorage.v1.PrimaryStorage/"
#define VOLM "zs.volume.v1.Volume/"
#define LOCAL_URL "/var/lib/zstack/local"
#define NFS_URL "127.0.0.1:/nfs/primary"

/* What the checks share: the node, a zone, clusters c1 (s1, s2) and c2 (s3), two storages. */
typedef struct st_env {
	inv t;
	char zone[INV_UUID], c1[INV_UUID], c2[INV_UUID];
	char h1[INV_UUID], h2[INV_UUID], h3[INV_UUID];
	char local[INV_UUID], nfs[INV_UUID];
	unsigned faults;               /* faults tried so far (st_faults.c names volumes by it) */
} st_env;

/* AddKvmHost (the test stops when it fails). */
void st_add_kvm(inv *t, const char *cluster, const char *name, const char *ip, char uuid[INV_UUID]);
int st_ps_add(inv *t, const char *s, const char *zone, const char *name, const char *type,
    const char *url, char uuid[INV_UUID]);
/* The share of host in p, or NULL. */
Zs__Primarystorage__V1__PrimaryStorageHostInfo *st_share(Zs__Primarystorage__V1__PrimaryStorageInfo *p,
    const char *host);
int st_ps_state(inv *t, const char *s, const char *ps, const char *ev);
int st_ps_detach(inv *t, const char *s, const char *ps, const char *cluster);
int st_ps_reconnect(inv *t, const char *ps, Zs__Primarystorage__V1__PrimaryStorageInfo **out);
int st_vol_get(inv *t, const char *s, const char *uuid, Zs__Volume__V1__VolumeInfo **out);
/* A data volume of a uuid the test chose (so its file's path is known). */
int st_vol_create_as(inv *t, const char *uuid, int64_t size, const char *ps, const char *host,
    uint32_t timeout_ms);

/* The groups of checks. */
void st_check_faults(st_env *e);
void st_check_sync(st_env *e);
void st_check_accounts(st_env *e);
/* st_query.c: QueryPrimaryStorage and QueryVolume, with a volume on each storage. */
void st_check_query(st_env *e, const char *vol_local, const char *vol_nfs);

/* st_load.c: 200 creates at once on an NFS storage that fits 150, then random creates
 * and deletes at once; capacity stays exact. */
void st_load(inv *t, const char *nfs, const char *local, const char *host);

#endif
