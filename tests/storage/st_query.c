/*
 * st_query.c: QueryPrimaryStorage and QueryVolume (ZStack's query API) over the suite's
 * storages and two volumes: own fields, dot paths to zone, clusters, hosts, volumes and
 * the storage's name, counts, an unknown field answered with the valid ones, and a
 * second account refused as on every other method.
 */
#include <stdio.h>
#include <string.h>

#include "inv_query.h"
#include "st.h"

#define QPS(t, s, f, ...) inv_q(t, s, PSM "QueryPrimaryStorage", \
	&zs__primarystorage__v1__query_primary_storage_response__descriptor, f, __VA_ARGS__)
#define QVOL(t, s, f, ...) inv_q(t, s, VOLM "QueryVolume", \
	&zs__volume__v1__query_volume_response__descriptor, f, __VA_ARGS__)

static void
check_query_ps(st_env *e, const char *vol_nfs)
{
	inv *t = &e->t;
	invq r = QPS(t, t->admin, 0, "type", "=", "NFS", NULL);
	ZST_CHECK(r.code == 0 && r.n == 1 && strcmp(r.uuids[0], e->nfs) == 0,
	    "QueryPrimaryStorage type=NFS: the NFS storage only (%zu rows; %s)", r.n, t->msg);
	r = QPS(t, t->admin, 0, "zone.name", "=", "z", "name", "in", "local,nfs", NULL);
	ZST_CHECK(r.code == 0 && r.n == 2 && strcmp(r.uuids[0], e->local) == 0,
	    "zone.name=z name?=local,nfs: both, oldest first (%zu rows; %s)", r.n, t->msg);
	Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
	if (st_ps_get(t, e->local, &p) == 0 && p->n_attached_cluster_uuids > 0) {
		r = QPS(t, t->admin, 0, "clusters.uuid", "=", p->attached_cluster_uuids[0], NULL);
		ZST_CHECK(r.code == 0 && invq_has(&r, e->local),
		    "clusters.uuid = a cluster it is attached to finds the LocalStorage (%s)", t->msg);
		r = QPS(t, t->admin, 0, "uuid", "=", e->local, "hosts.management_ip", "=",
		    "127.0.3.1", NULL);
		ZST_CHECK(r.code == 0 && r.n == 1, "hosts.management_ip=127.0.3.1: its host s1 "
		    "has a share (%s)", t->msg);
	}
	zs_reply_free(p);
	r = QPS(t, t->admin, 0, "volumes.uuid", "=", vol_nfs, NULL);
	ZST_CHECK(r.code == 0 && r.n == 1 && strcmp(r.uuids[0], e->nfs) == 0,
	    "volumes.uuid = a volume on the NFS storage: that storage (%s)", t->msg);
	r = QPS(t, t->admin, INVQ_COUNT, "totalCapacity", ">", "0", NULL);
	ZST_CHECK(r.code == 0 && r.n == 0 && r.total >= 1,
	    "count: totalCapacity>0 in total, no rows (%llu; %s)", (unsigned long long) r.total,
	    t->msg);
	r = QPS(t, t->admin, INVQ_WITH_COUNT, "name", "like", "%", NULL);
	ZST_CHECK(r.code == 0 && r.total == r.n && r.n >= 2,
	    "replyWithCount: the rows and their number (%zu, %llu)", r.n,
	    (unsigned long long) r.total);
	r = QPS(t, t->admin, 0, "colour", "=", "red", NULL);
	ZST_CHECK(r.code == INV_INVALID_ARGUMENT && strstr(t->msg, "colour") != NULL &&
	    strstr(t->msg, "clusters.uuid") != NULL && strstr(t->msg, "total_capacity") != NULL,
	    "an unknown field: INVALID_ARGUMENT listing the valid ones (%s)", t->msg);
	r = QPS(t, t->admin, 0, "state", "=", "Sleeping", NULL);
	ZST_CHECK(r.code == INV_INVALID_ARGUMENT, "state=Sleeping: not a state (%s)", t->msg);
}

static void
check_query_volumes(st_env *e, const char *vol_local, const char *vol_nfs)
{
	inv *t = &e->t;
	invq r = QVOL(t, t->admin, 0, "primary_storage.name", "=", "nfs", "size", ">=", "1073741824",
	    NULL);
	ZST_CHECK(r.code == 0 && invq_has(&r, vol_nfs) && !invq_has(&r, vol_local),
	    "QueryVolume primary_storage.name=nfs size>=1GiB: the NFS volume, not the local one "
	    "(%zu rows; %s)", r.n, t->msg);
	r = QVOL(t, t->admin, 0, "host.management_ip", "=", "127.0.3.1", "uuid", "=", vol_local, NULL);
	ZST_CHECK(r.code == 0 && r.n == 1, "host.management_ip=127.0.3.1: the volume on s1's "
	    "disk (%s)", t->msg);
	r = QVOL(t, t->admin, 0, "zone.name", "=", "z", "uuid", "in", vol_local, NULL);
	ZST_CHECK(r.code == 0 && r.n == 1, "zone.name=z (%s)", t->msg);
	char both[2 * INV_UUID + 2];
	snprintf(both, sizeof both, "%s,%s", vol_local, vol_nfs);
	r = QVOL(t, t->admin, INVQ_COUNT, "uuid", "in", both, "status", "=", "ready", NULL);
	ZST_CHECK(r.code == 0 && r.n == 0 && r.total == 2, "count of both, status=ready (any case): "
	    "2 (%llu; %s)", (unsigned long long) r.total, t->msg);
	r = QVOL(t, t->admin, INVQ_WITH_COUNT, "name", "=", "keep-b", NULL);
	ZST_CHECK(r.code == 0 && r.n == 1 && r.total == 1 && strcmp(r.uuids[0], vol_nfs) == 0,
	    "replyWithCount name=keep-b: 1 row, total 1 (%s)", t->msg);
	r = QVOL(t, t->admin, 0, "colour", "=", "red", NULL);
	ZST_CHECK(r.code == INV_INVALID_ARGUMENT && strstr(t->msg, "primary_storage.name") != NULL &&
	    strstr(t->msg, "host.management_ip") != NULL,
	    "an unknown field: INVALID_ARGUMENT listing the valid ones (%s)", t->msg);
}

void
st_check_query(st_env *e, const char *vol_local, const char *vol_nfs)
{
	inv *t = &e->t;
	int64_t t0 = zst_now_ms();
	check_query_ps(e, vol_nfs);
	check_query_volumes(e, vol_local, vol_nfs);
	char user[INV_SESSION], uid[INV_UUID];
	if (inv_account(t, "queryuser", user, uid)) {
		invq r = QPS(t, user, 0, "name", "=", "nfs", NULL);
		ZST_CHECK(r.code == INV_PERMISSION_DENIED &&
		    strcmp(t->error_code, "PRIMARYSTORAGE.1003") == 0,
		    "QueryPrimaryStorage as a normal account: PERMISSION_DENIED (%s)", t->msg);
		r = QVOL(t, user, INVQ_COUNT, "name", "like", "%", NULL);
		ZST_CHECK(r.code == INV_PERMISSION_DENIED && strcmp(t->error_code, "VOLUME.1001") == 0,
		    "QueryVolume as a normal account: PERMISSION_DENIED (%s)", t->msg);
	}
	zst_note("query checks: %lld ms", (long long) (zst_now_ms() - t0));
}
