/*
 * volume_recover.c: volumes left Creating or Deleting by a node that stopped in the
 * middle (SIGKILL, power) are finished at start, as the create's rollback or the delete
 * would have: for each, its file goes (DeleteVolumeBits, the path from the row or, for a
 * create cut before it knew one, the one the primary storage gives that volume), then its
 * row and resource (with volume/deleted when it was Deleting), then its capacity
 * (ReturnCapacity under the volume's uuid). ReturnCapacity is idempotent per volume uuid,
 * so the VM reconcile returning the room of the same root volume (vm_unmake.c) never frees
 * it twice. A file that cannot be deleted (agent unreachable) keeps the volume as it was,
 * for the next start. Only volumes not changed since the service started are looked at;
 * one after the other, on workers, as the node: no thread waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "volume.h"
#include "zs/bus.h"
#include "zs/event.h"
#include "zs/log.h"
#include "zs/primarystorage/v1/primarystorage.zsb.h"
#include "zs/resource.h"
#include "zs/later.h"
#include "zs/service.h"
#include "zs/work.h"

#define VOLUME_RECOVER_DELAY_MS 1000    /* after the service's start */
#define VOLUME_RECOVER_MAX 10000        /* volumes looked at in one run */
#define VOLUME_RECOVER_STOP_WAIT_S 30

typedef struct volume_rec_vol {
	char uuid[ZS_UUID_LEN], ps[64], host[64], status[16], kind[8];
	char path[1024];
} volume_rec_vol;

struct volume_recover {
	zs_node *node;
	zs_later *later;                   /* the run, once, soon after the start */
	long long started_ms;              /* the service's start (wall clock) */
	volume_rec_vol *vols;
	size_t n, i;
	int code;                          /* the last answer, for the worker */
	zs_status *st;
	Zs__Primarystorage__V1__DeleteVolumeBitsRequest bits;
	Zs__Primarystorage__V1__ReturnCapacityRequest ret;
};

static void volume_rec_next(void *arg);

static void
volume_rec_end(struct volume_recover *r)
{
	free(r->vols);
	r->vols = NULL;
	zs_later_done(r->later);
}

/* The next volume, on a worker. */
static void
volume_rec_go(struct volume_recover *r)
{
	zs_status_free(r->st);
	r->st = NULL;
	r->i++;
	if (zs_work_submit(zs_node_work(r->node), volume_rec_next, r) != 0)
		volume_rec_end(r);
}

static void
volume_rec_log(struct volume_recover *r, bool ok, const char *what, const zs_status *st)
{
	char why[256] = "";
	zs_status_text(st, why, sizeof why);
	volume_rec_vol *v = &r->vols[r->i];
	zs_log(ok ? ZS_LOG_INFO : ZS_LOG_WARN, "volume", "volume %s was %s at start: %s%s%s",
	    v->uuid, v->status, what, ok ? "" : ": ", why);
}

static void
volume_rec_returned(int code, const zs_status *st,
    const Zs__Primarystorage__V1__ReturnCapacityResponse *x, void *arg)
{
	struct volume_recover *r = arg;
	char what[96];
	snprintf(what, sizeof what, code == 0 ? "deleted, %lld bytes of capacity returned" :
	    "deleted, its capacity could not be returned", code == 0 ? (long long) x->returned : 0LL);
	volume_rec_log(r, code == 0, what, st);
	volume_rec_go(r);
}

/* On a worker: the row and its resource go, then the capacity. */
static void
volume_rec_unrow(void *arg)
{
	struct volume_recover *r = arg;
	volume_rec_vol *v = &r->vols[r->i];
	if (r->code != 0) {
		volume_rec_log(r, false, "its file could not be deleted; it stays", r->st);
		volume_rec_go(r);
		return;
	}
	zs_db *db = zs_node_db(r->node);
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	int rv = zs_db_acquire(db, VOLUME_DB_WAIT_MS, &c, &st);
	if (rv == 0) {
		rv = zs_db_begin(c, &st);
		if (rv == 0) {
			rv = zs_resource_lock(c, v->uuid, "volume", &st);
			if (rv == 0 && strcmp(v->status, "Deleting") == 0)
				rv = volume_publish_node(c, r->node, "volume/deleted", v->uuid, &st);
			if (rv == 0)
				rv = zs_resource_delete(c, v->uuid, &st);
			rv = zs_db_end(c, rv, &st);
		}
		zs_db_release(db, c);
	}
	if (rv != 0 && rv != ZS_NOT_FOUND) {
		volume_rec_log(r, false, "its row could not be deleted; it stays", st);
		zs_status_free(st);
		volume_rec_go(r);
		return;
	}
	zs_status_free(st);
	zs__primarystorage__v1__return_capacity_request__init(&r->ret);
	r->ret.volume_uuid = v->uuid;
	zs_primarystorage_v1_primary_storage_return_capacity_bus(zs_node_bus(r->node), NULL, &r->ret,
	    volume_rec_returned, r);
}

static void
volume_rec_unbits(int code, const zs_status *st,
    const Zs__Primarystorage__V1__DeleteVolumeBitsResponse *x, void *arg)
{
	(void) x;
	struct volume_recover *r = arg;
	/* no such storage or host any more, or no place the file could be: nothing to delete */
	if (code == ZS_NOT_FOUND || code == ZS_INVALID_ARGUMENT)
		code = 0;
	r->code = code;
	r->st = code != 0 && st != NULL ? zs_status_copy(st) : NULL;
	if (zs_work_submit(zs_node_work(r->node), volume_rec_unrow, r) != 0)
		volume_rec_end(r);
}

static void
volume_rec_next(void *arg)
{
	struct volume_recover *r = arg;
	if (r->i >= r->n || zs_later_stopping(r->later)) {
		volume_rec_end(r);
		return;
	}
	volume_rec_vol *v = &r->vols[r->i];
	zs__primarystorage__v1__delete_volume_bits_request__init(&r->bits);
	r->bits.volume_uuid = v->uuid;
	r->bits.primary_storage_uuid = v->ps;
	r->bits.host_uuid = v->host;
	r->bits.install_path = v->path;
	r->bits.kind = v->kind;
	zs_primarystorage_v1_primary_storage_delete_volume_bits_bus(zs_node_bus(r->node), NULL,
	    &r->bits, volume_rec_unbits, r);
}

/* On a worker: the volumes to finish, then the first. */
static void
volume_rec_run(void *arg)
{
	struct volume_recover *r = arg;
	zs_db *db = zs_node_db(r->node);
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *rows = NULL;
	int rv = zs_db_acquire(db, VOLUME_DB_WAIT_MS, &c, &st);
	if (rv == 0) {
		char limit[16], since[32];
		snprintf(limit, sizeof limit, "%d", VOLUME_RECOVER_MAX);
		snprintf(since, sizeof since, "%lld", r->started_ms);
		const char *p[2] = { limit, since };
		rv = zs_db_run(c, "SELECT uuid, primary_storage_uuid, host_uuid, status, type, "
		    "install_path FROM volume_volumes WHERE status IN ('Creating', 'Deleting') AND "
		    "updated_at < to_timestamp($2::double precision / 1000) ORDER BY created_at "
		    "LIMIT $1::integer", 2, p, &rows, &st);
		zs_db_release(db, c);
	}
	if (rv != 0) {
		char why[256];
		zs_status_text(st, why, sizeof why);
		zs_log(ZS_LOG_WARN, "volume", "cannot look for volumes left Creating or Deleting: %s",
		    why);
		zs_status_free(st);
		volume_rec_end(r);
		return;
	}
	r->n = (size_t) PQntuples(rows);
	r->i = 0;
	r->vols = r->n > 0 ? calloc(r->n, sizeof *r->vols) : NULL;
	if (r->n > 0 && r->vols == NULL)
		r->n = 0;
	for (size_t i = 0; i < r->n; i++) {
		volume_rec_vol *v = &r->vols[i];
		snprintf(v->uuid, sizeof v->uuid, "%s", PQgetvalue(rows, (int) i, 0));
		snprintf(v->ps, sizeof v->ps, "%s", PQgetvalue(rows, (int) i, 1));
		snprintf(v->host, sizeof v->host, "%s", PQgetvalue(rows, (int) i, 2));
		snprintf(v->status, sizeof v->status, "%s", PQgetvalue(rows, (int) i, 3));
		snprintf(v->kind, sizeof v->kind, "%s", PQgetvalue(rows, (int) i, 4));
		snprintf(v->path, sizeof v->path, "%s", PQgetvalue(rows, (int) i, 5));
	}
	PQclear(rows);
	if (r->n > 0)
		zs_log(ZS_LOG_INFO, "volume", "%zu volume(s) left Creating or Deleting: deleting them",
		    r->n);
	r->i = 0;
	volume_rec_next(r);
}

ZS_EXPORT int
volume_start(zs_service *svc, char *err, size_t errlen)
{
	struct volume_recover *r = calloc(1, sizeof *r);
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->node = zs_service_node(svc);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	r->started_ms = (long long) now.tv_sec * 1000 + now.tv_nsec / 1000000;
	r->later = zs_later_start(zs_node_timers(r->node), zs_node_work(r->node),
	    VOLUME_RECOVER_DELAY_MS, volume_rec_run, r);
	if (r->later == NULL) {
		free(r);
		snprintf(err, errlen, "cannot start the recovery of volumes: out of memory");
		return -1;
	}
	zs_service_set_data(svc, r);
	return 0;
}

ZS_EXPORT void
volume_stop(zs_service *svc)
{
	struct volume_recover *r = zs_service_data(svc);
	if (r == NULL)
		return;
	zs_service_set_data(svc, NULL);
	if (zs_later_stop(r->later, VOLUME_RECOVER_STOP_WAIT_S) != 0)
		return;   /* a run still uses r: leave it */
	zs_status_free(r->st);
	free(r);
}
