/*
 * cluster.h: what the cluster service's files share:
 * the cluster_clusters table (cluster_store.c), the delete with its cascade
 * (cluster_delete.c) and the handlers (cluster_api.c). Nothing here is seen outside the
 * plugin.
 */
#ifndef CLUSTER_H
#define CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "zs/call.h"
#include "zs/check.h"
#include "zs/cluster/v1/cluster.pb-c.h"
#include "zs/db.h"

#define CLUSTER_TYPE "Cluster"         /* the resource type in zs_resources */
#define CLUSTER_ZONE_TYPE "Zone"       /* the type of a cluster's parent */
#define CLUSTER_NAME_MAX 255           /* bytes */
#define CLUSTER_DESCRIPTION_MAX 2048   /* bytes */
#define CLUSTER_HYPERVISOR_DEFAULT "KVM"

/* ---- cluster_store.c ---- */

/* The SELECT list of a cluster row, in the order cluster_info_from_row reads it. */
#define CLUSTER_COLUMNS \
	"k.uuid, k.zone_uuid, k.name, k.description, k.hypervisor_type, k.owner_uuid, " \
	"(extract(epoch FROM k.created_at) * 1000)::bigint, " \
	"(extract(epoch FROM k.updated_at) * 1000)::bigint"
/* Fills out from row i of r; its strings point into r (valid until PQclear). */
void cluster_info_from_row(const PGresult *r, int i, Zs__Cluster__V1__ClusterInfo *out);

/* What a new cluster is made of (checked). */
typedef struct cluster_new {
	const char *uuid, *zone_uuid, *name, *description, *hypervisor_type;
} cluster_new;

/* Each returns 0 with the cluster's row in *row (caller PQclear()s), or a canonical code
 * with *st (caller frees): NOT_FOUND for a cluster (or zone) the call does not see,
 * ALREADY_EXISTS for a name the zone already has (cluster_fail answers it as
 * CLUSTER.1001), or the database's. */
int cluster_store_create(zs_db_conn *c, const zs_call *call, const cluster_new *k,
    PGresult **row, zs_status **st);
int cluster_store_get(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    zs_status **st);
/* name and description NULL: left as they are. */
int cluster_store_update(zs_db_conn *c, const zs_call *call, const char *uuid, const char *name,
    const char *description, PGresult **row, zs_status **st);
/* The clusters the call sees (of zone_uuid, a zone it sees, unless NULL), oldest first. */
int cluster_store_list(zs_db_conn *c, const zs_call *call, const char *zone_uuid, PGresult **rows,
    zs_status **st);
/* Fails the call with st (taken), as CLUSTER.1001 when it is a name conflict. */
void cluster_fail(zs_call *call, zs_status *st, const char *name);

/* ---- cluster_delete.c ---- */

/* Deletes a cluster the call sees and, through zs_resources, everything under it, in one
 * transaction: *row is the cluster as it was, *deleted the resources that went with it
 * (uuid, type, name; parents first). Both PQclear()ed by the caller. */
int cluster_store_delete(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    PGresult **deleted, zs_status **st);

#endif
