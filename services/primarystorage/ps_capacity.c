/*
 * ps_capacity.c: ReserveCapacity and ReturnCapacity, the capacity a volume holds on a
 * primary storage. A reservation is one ps_reservations row (keyed by the volume's uuid)
 * plus a conditional UPDATE of the reserved bytes it counts against (the host's share
 * for LocalStorage, the storage for NFS) that only passes while reserved + size <= total,
 * in one transaction: concurrent reservations wait on that row's lock and never
 * over-commit. Both calls are idempotent per volume uuid, so a retry or a rollback that
 * runs twice changes nothing more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps.h"
#include "zs/resource.h"

/* The reservation of volume (if any) into *row (ps_uuid, type, host_uuid, size, zone). */
static int
ps_res_find(zs_db_conn *c, const char *volume, PGresult **row, zs_status **st)
{
	const char *p[1] = { volume };
	return zs_db_run(c, "SELECT r.ps_uuid, s.type, r.host_uuid, r.size, s.zone_uuid FROM ps_reservations r "
	    "JOIN ps_storages s ON s.uuid = r.ps_uuid WHERE r.volume_uuid = $1", 1, p, row, st);
}

static void
ps_res_answer(zs_call *call, ProtobufCClosure closure, const char *volume, PGresult *row)
{
	Zs__Primarystorage__V1__Reservation out = ZS__PRIMARYSTORAGE__V1__RESERVATION__INIT;
	out.volume_uuid = (char *) volume;
	out.primary_storage_uuid = PQgetvalue(row, 0, 0);
	out.primary_storage_type = PQgetvalue(row, 0, 1);
	out.host_uuid = PQgetvalue(row, 0, 2);
	out.size = atoll(PQgetvalue(row, 0, 3));
	out.zone_uuid = PQgetvalue(row, 0, 4);
	closure(&out.base, call);
}

/* Tries one reservation: 0 (made; *made is its row as ps_res_find reads it, the
 * caller's), NOT_FOUND-free "no room" as RESOURCE_EXHAUSTED without *st, or the
 * database's code with *st. */
static int
ps_res_try(zs_db_conn *c, const char *volume, const char *ps, const char *host,
    const char *size, PGresult **made, zs_status **st)
{
	const char *p[4] = { volume, ps, host, size };
	PGresult *r = NULL, *row = NULL;
	int rv = zs_db_begin(c, st);
	if (rv != 0)
		return rv;
	rv = zs_db_run(c, "INSERT INTO ps_reservations (volume_uuid, ps_uuid, host_uuid, size) "
	    "VALUES ($1, $2, $3, $4) RETURNING ps_uuid, (SELECT type FROM ps_storages WHERE "
	    "uuid = $2), host_uuid, size, (SELECT zone_uuid FROM ps_storages WHERE uuid = $2)", 4, p,
	    &row, st);
	if (rv == 0)
		rv = zs_db_run(c, host[0] != '\0' ?
		    "UPDATE ps_hosts SET reserved_capacity = reserved_capacity + $4::bigint "
		    "WHERE ps_uuid = $2 AND host_uuid = $3 AND status = 'Connected' AND "
		    "reserved_capacity + $4::bigint <= total_capacity AND EXISTS (SELECT 1 FROM "
		    "ps_storages s WHERE s.uuid = $2 AND s.state = 'Enabled') AND $1 <> '' "
		    "RETURNING 1" :
		    "UPDATE ps_storages SET reserved_capacity = reserved_capacity + $4::bigint "
		    "WHERE uuid = $2 AND state = 'Enabled' AND reserved_capacity + $4::bigint <= "
		    "total_capacity AND EXISTS (SELECT 1 FROM ps_hosts h WHERE h.ps_uuid = $2 AND "
		    "h.status = 'Connected') AND $1 <> '' AND $3 = '' RETURNING 1", 4, p, &r, st);
	if (rv == 0 && PQntuples(r) == 0)
		rv = ZS_RESOURCE_EXHAUSTED;   /* no room: not an error of the database */
	PQclear(r);
	if (rv == ZS_RESOURCE_EXHAUSTED) {
		PQclear(row);
		zs_db_rollback(c);
		return rv;
	}
	rv = zs_db_end(c, rv, st);
	if (rv == 0)
		*made = row;
	else
		PQclear(row);
	return rv;
}

/* Why nothing could be reserved on ps: its state, status or room. */
static zs_status *
ps_res_why(zs_db_conn *c, const char *ps, const char *host, int64_t size)
{
	const char *p[2] = { ps, host };
	PGresult *r = NULL;
	zs_status *st = NULL;
	if (zs_db_run(c, "SELECT s.state, s.status, s.available_capacity, coalesce((SELECT "
	    "h.status || ' ' || (h.total_capacity - h.reserved_capacity) FROM ps_hosts h WHERE "
	    "h.ps_uuid = s.uuid AND h.host_uuid = $2), ''), s.type FROM ps_view s WHERE s.uuid = $1", 2, p,
	    &r, &st) != 0 || PQntuples(r) == 0) {
		PQclear(r);
		return st != NULL ? st : zs_status_new(ZS_NOT_FOUND, NULL, "no primary storage %s", ps);
	}
	const char *state = PQgetvalue(r, 0, 0), *status = PQgetvalue(r, 0, 1);
	if (strcmp(PQgetvalue(r, 0, 4), PS_NFS) == 0)
		host = "";   /* NFS counts the share, not a host's */
	const char *share = PQgetvalue(r, 0, 3);
	if (strcmp(state, "Enabled") != 0)
		st = zs_status_new(ZS_FAILED_PRECONDITION, "PRIMARYSTORAGE.1005",
		    "primary storage %s is %s: it takes no new volume", ps, state);
	else if (strcmp(status, "Connected") != 0)
		st = zs_status_new(ZS_FAILED_PRECONDITION, "PRIMARYSTORAGE.1005",
		    "primary storage %s is Disconnected: no host has it", ps);
	else if (host[0] != '\0' && share[0] == '\0')
		st = zs_status_new(ZS_FAILED_PRECONDITION, "PRIMARYSTORAGE.1005",
		    "host %s has no share of primary storage %s (not in an attached cluster)", host, ps);
	else if (host[0] != '\0' && strncmp(share, "Connected", 9) != 0)
		st = zs_status_new(ZS_FAILED_PRECONDITION, "PRIMARYSTORAGE.1005",
		    "host %s's share of primary storage %s is Disconnected", host, ps);
	else if (host[0] != '\0')
		st = zs_status_new(ZS_RESOURCE_EXHAUSTED, "PRIMARYSTORAGE.1004",
		    "not enough room on host %s of primary storage %s: %s bytes available, %lld needed",
		    host, ps, share + 10, (long long) size);
	else
		st = zs_status_new(ZS_RESOURCE_EXHAUSTED, "PRIMARYSTORAGE.1004",
		    "not enough room on primary storage %s: %s bytes available, %lld needed", ps,
		    PQgetvalue(r, 0, 2), (long long) size);
	PQclear(r);
	return st;
}

/* Tries the hosts (LocalStorage) or the storage itself (NFS); 0 when reserved. */
static int
ps_res_on(zs_db_conn *c, const Zs__Primarystorage__V1__ReserveCapacityRequest *in,
    const char *ps, const char *type, const char *size, PGresult **made, zs_status **st)
{
	if (strcmp(type, PS_NFS) == 0)   /* a host named is the one to go through: not counted */
		return ps_res_try(c, in->volume_uuid, ps, "", size, made, st);
	if (in->host_uuid[0] != '\0')
		return ps_res_try(c, in->volume_uuid, ps, in->host_uuid, size, made, st);
	PGresult *hosts = NULL;
	const char *p[2] = { ps, size };
	int rv = zs_db_run(c, "SELECT host_uuid FROM ps_hosts WHERE ps_uuid = $1 AND status = "
	    "'Connected' AND total_capacity - reserved_capacity >= $2::bigint ORDER BY "
	    "total_capacity - reserved_capacity DESC, host_uuid", 2, p, &hosts, st);
	if (rv == 0)
		rv = ZS_RESOURCE_EXHAUSTED;
	for (int i = 0; hosts != NULL && i < PQntuples(hosts) && rv == ZS_RESOURCE_EXHAUSTED; i++)
		rv = ps_res_try(c, in->volume_uuid, ps, PQgetvalue(hosts, i, 0), size, made, st);
	PQclear(hosts);
	return rv;
}

void
ps_reserve(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Primarystorage__V1__ReserveCapacityRequest *in = (const void *) msg;
	if (in->size <= 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "size: %lld is not a size in bytes",
		    (long long) in->size);
		return;
	}
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	PGresult *row = NULL, *cands = NULL;
	char size[24];
	snprintf(size, sizeof size, "%lld", (long long) in->size);
	const char *ps = in->primary_storage_uuid;
	int rv = ps_res_find(c, in->volume_uuid, &row, &st);
	/* reserved before on the storage and host asked for (a volume made in a VM's flow):
	 * they were checked when it was made; anything else is checked first */
	bool same = rv == 0 && PQntuples(row) > 0 &&
	    (ps[0] == '\0' || strcmp(PQgetvalue(row, 0, 0), ps) == 0) &&
	    (in->host_uuid[0] == '\0' || strcmp(PQgetvalue(row, 0, 2), in->host_uuid) == 0);
	if (rv == 0 && !same && ps[0] != '\0')
		rv = zs_resource_check(c, call, ps, PS_TYPE, NULL, 0, &st);
	if (rv == 0 && !same && in->host_uuid[0] != '\0')
		rv = zs_resource_check(c, call, in->host_uuid, "Host", NULL, 0, &st);
	if (rv == 0 && PQntuples(row) > 0) {   /* reserved before: that reservation */
		zs_db_release(db, c);
		if (ps[0] != '\0' && strcmp(PQgetvalue(row, 0, 0), ps) != 0)
			zs_call_fail(call, ZS_FAILED_PRECONDITION, "PRIMARYSTORAGE.1011",
			    "volume %s already holds a reservation on primary storage %s",
			    in->volume_uuid, PQgetvalue(row, 0, 0));
		else
			ps_res_answer(call, closure, in->volume_uuid, row);
		PQclear(row);
		return;
	}
	PQclear(row);
	row = NULL;
	if (rv == 0) {
		const char *p[4] = { ps, in->zone_uuid, in->type, size };
		rv = zs_db_run(c, "SELECT uuid, type FROM ps_view WHERE ($1 = '' OR uuid = $1) AND "
		    "($2 = '' OR zone_uuid = $2) AND ($3 = '' OR type = $3) AND ($1 <> '' OR "
		    "(state = 'Enabled' AND status = 'Connected' AND available_capacity >= $4::bigint)) "
		    "ORDER BY available_capacity DESC, uuid", 4, p, &cands, &st);
	}
	if (rv == 0)
		rv = ZS_RESOURCE_EXHAUSTED;
	for (int i = 0; cands != NULL && i < PQntuples(cands) && rv == ZS_RESOURCE_EXHAUSTED; i++)
		rv = ps_res_on(c, in, PQgetvalue(cands, i, 0), PQgetvalue(cands, i, 1), size, &row,
		    &st);
	if (rv == ZS_ALREADY_EXISTS) {   /* the same volume reserved meanwhile: that one */
		zs_status_free(st);
		st = NULL;
		rv = ps_res_find(c, in->volume_uuid, &row, &st);
		if (rv == 0 && PQntuples(row) == 0)
			rv = ZS_RESOURCE_EXHAUSTED;
	}   /* made (0): *row is the reservation, as its transaction wrote it */
	if (rv == ZS_RESOURCE_EXHAUSTED && st == NULL)
		st = ps[0] != '\0' ? ps_res_why(c, ps, in->host_uuid, in->size) :
		    zs_status_new(ZS_RESOURCE_EXHAUSTED, "PRIMARYSTORAGE.1004",
		    "no Enabled and Connected primary storage%s%s%s%s has %lld bytes available",
		    in->zone_uuid[0] ? " in zone " : "", in->zone_uuid, in->type[0] ? " of type " : "",
		    in->type, (long long) in->size);
	zs_db_release(db, c);
	PQclear(cands);
	if (rv != 0 || row == NULL || PQntuples(row) == 0)
		ps_fail(call, st);
	else {
		zs_status_free(st);
		ps_res_answer(call, closure, in->volume_uuid, row);
	}
	PQclear(row);
}

void
ps_return(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Primarystorage__V1__ReturnCapacityRequest *in = (const void *) msg;
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	PGresult *r = NULL;
	const char *p[1] = { in->volume_uuid };
	int64_t returned = 0;
	int rv = zs_db_begin(c, &st);
	if (rv == 0) {
		rv = zs_db_run(c, "DELETE FROM ps_reservations WHERE volume_uuid = $1 "
		    "RETURNING ps_uuid, host_uuid, size", 1, p, &r, &st);
		if (rv == 0 && PQntuples(r) > 0) {
			const char *q[3] = { PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2) };
			returned = atoll(q[2]);
			rv = zs_db_run(c, q[1][0] != '\0' ?
			    "UPDATE ps_hosts SET reserved_capacity = reserved_capacity - $3::bigint "
			    "WHERE ps_uuid = $1 AND host_uuid = $2" :
			    "UPDATE ps_storages SET reserved_capacity = reserved_capacity - $3::bigint "
			    "WHERE uuid = $1 AND $2 = ''", 3, q, NULL, &st);
		}
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	PQclear(r);
	if (rv != 0) {
		ps_fail(call, st);
		return;
	}
	Zs__Primarystorage__V1__ReturnCapacityResponse out =
	    ZS__PRIMARYSTORAGE__V1__RETURN_CAPACITY_RESPONSE__INIT;
	out.returned = returned;
	closure(&out.base, call);
}
