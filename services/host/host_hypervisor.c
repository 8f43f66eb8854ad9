/*
 * host_hypervisor.c: the host service's side of the extension point zs.HypervisorFactory
 * (zs/hypervisor.h): finding the factory of a hypervisor type, handing it AddHost's
 * parameters, and DeleteHost, in which the factory removes what it keeps of the host in
 * the transaction that deletes it. A host whose type has no factory (its plugin was
 * removed) can still be deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "zs/cascade.h"
#include "zs/event.h"
#include "zs/ext.h"
#include "zs/resource.h"

int
host_hv_params(host_hv *hv, const Zs__Host__V1__AddHostRequest *in)
{
	size_t n = in->n_parameters;
	if (n == 0)
		return 0;
	hv->keys = calloc(n, sizeof *hv->keys);
	hv->values = calloc(n, sizeof *hv->values);
	if (hv->keys == NULL || hv->values == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const Zs__Host__V1__AddHostRequest__ParametersEntry *e = in->parameters[i];
		hv->keys[i] = strdup(e->key != NULL ? e->key : "");
		hv->values[i] = strdup(e->value != NULL ? e->value : "");
		hv->host.n_params = i + 1;
		if (hv->keys[i] == NULL || hv->values[i] == NULL)
			return -1;
	}
	hv->host.param_keys = (const char *const *) hv->keys;
	hv->host.param_values = (const char *const *) hv->values;
	return 0;
}

void
host_hv_clear(host_hv *hv)
{
	for (size_t i = 0; i < hv->host.n_params; i++) {
		free(hv->keys[i]);
		free(hv->values[i]);
	}
	free(hv->keys);
	free(hv->values);
	hv->keys = hv->values = NULL;
	hv->host.n_params = 0;
}

int
host_hv_find(zs_node *node, const char *type, const char *cluster_uuid, host_hv *hv,
    zs_status **st)
{
	size_t n = 0;
	const zs_ext *const *exts = zs_ext_list(zs_node_extensions(node), ZS_EXT_HYPERVISOR_FACTORY,
	    &n);
	char known[256] = "";
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		const zs_hypervisor_factory *f = exts[i]->impl;
		if (strcmp(f->type, type) == 0) {
			hv->factory = f;
			hv->data = zs_ext_service_data(exts[i]);
			return 0;
		}
		if (used < sizeof known)
			used += (size_t) snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
			    f->type);
	}
	*st = zs_status_new(ZS_INVALID_ARGUMENT, NULL, "cluster %s is of hypervisor type \"%s\", "
	    "which no plugin of this node serves (known types: %s)", cluster_uuid, type,
	    n > 0 ? known : "none");
	return ZS_INVALID_ARGUMENT;
}

/* ---- DeleteHost ---- */

#define HOST_DELETE_TRIES 3   /* runs of its transaction when PostgreSQL aborts it */

/* In c's transaction: locks the host, lets its factory remove its rows, deletes it and
 * writes host/deleted. */
static int
host_delete_tx(zs_call *call, zs_db_conn *c, const char *uuid, PGresult **row, zs_status **st)
{
	char sql[1024];
	snprintf(sql, sizeof sql, "%s FOR UPDATE", host_def.sql_get);
	const char *p[1] = { uuid };
	int rv = zs_resource_check(c, call, uuid, HOST_TYPE, NULL, 0, st);
	if (rv == 0)
		rv = zs_db_exec_one(c, sql, 1, p, "host", uuid, row, st);
	if (rv == 0)
		rv = zs_resource_lock(c, uuid, "host", st);
	if (rv != 0)
		return rv;
	Zs__Host__V1__HostInfo info = ZS__HOST__V1__HOST_INFO__INIT;
	zs_rkit_from_row(*row, 0, &info.base);
	host_hv hv = { 0 };
	zs_status *none = NULL;
	if (host_hv_find(zs_call_node(call), info.hypervisor_type, info.cluster_uuid, &hv,
	    &none) == 0)
		rv = hv.factory->remove(hv.data, call, c, uuid, st);
	zs_status_free(none);
	if (rv == 0)
		rv = zs_resource_delete(c, uuid, st);
	if (rv == 0)
		rv = zs_resource_publish(c, call, "host/deleted", uuid, info.owner_uuid, &info.base, st);
	return rv;
}

/* A DeleteHost on its way: the cascade first (zs/cascade.h: the VMs on the host go),
 * then the transaction. */
typedef struct host_del {
	zs_call *call;
	ProtobufCClosure closure;
	char uuid[64];
} host_del;

static void
host_delete_cascaded(int code, zs_status *st, zs_cascade *cs, void *arg)
{
	host_del *d = arg;
	zs_call *call = d->call;
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (code != 0) {
		zs_rkit_fail(call, st);
	} else if (zs_db_acquire_for(db, call, &c) == 0) {
		PGresult *row = NULL;
		int rv = ZS_ABORTED;
		/* The delete takes the host's rows in other services (storage shares, ...) while
		 * their trackers may be updating them: PostgreSQL then ends one of the two as a
		 * deadlock (ABORTED), and the transaction runs again, as PostgreSQL advises. */
		for (int attempt = 0; rv == ZS_ABORTED && attempt < HOST_DELETE_TRIES; attempt++) {
			if (attempt > 0) {
				zs_status_free(st);
				st = NULL;
				PQclear(row);
				row = NULL;
			}
			rv = zs_db_begin(c, &st);
			if (rv == 0) {
				rv = host_delete_tx(call, c, d->uuid, &row, &st);
				if (rv == 0)
					rv = zs_cascade_check_tx(cs, c, &st);
				rv = zs_db_end(c, rv, &st);
			}
		}
		zs_db_release(db, c);
		PQclear(row);
		zs_resource_refs refs = { 0, NULL, NULL };
		if (rv != 0) {
			zs_rkit_fail(call, st);
		} else {
			(void) zs_cascade_refs(cs, NULL, &refs, NULL);
			Zs__Host__V1__DeleteHostResponse out = ZS__HOST__V1__DELETE_HOST_RESPONSE__INIT;
			out.n_deleted = refs.n;
			out.deleted = refs.ptrs;
			d->closure(&out.base, call);
		}
		zs_resource_refs_free(&refs);
	}
	zs_cascade_free(cs);
	free(d);
}

void
host_delete_host(zs_call *call, const ProtobufCMessage *input, ProtobufCClosure closure)
{
	const Zs__Host__V1__DeleteHostRequest *in = (const Zs__Host__V1__DeleteHostRequest *) input;
	if (zs_check_uuid(call, "uuid", in->uuid) != 0)
		return;
	host_del *d = calloc(1, sizeof *d);
	if (d == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory deleting host %s",
		    in->uuid);
		return;
	}
	d->call = call;
	d->closure = closure;
	snprintf(d->uuid, sizeof d->uuid, "%s", in->uuid);
	zs_cascade_begin(call, d->uuid, HOST_TYPE, "host", host_delete_cascaded, d);
}
