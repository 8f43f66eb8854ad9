/*
 * host_alloc.c: AllocateHost and ReturnHostCapacity, ZStack's host allocator.
 *
 * AllocateHost: the request is checked (host_alloc_check), a designated zone, cluster or
 * host must be one the caller sees (NOT_FOUND otherwise), then the hosts the caller sees
 * are loaded as candidates (one query) and go through every zs.HostAllocatorFilter in
 * XML order (zs/host_alloc.h; each removes what does not fit what its plugin owns, with
 * one query), then every zs.HostAllocatorSorter. Hosts on which the VM already holds
 * capacity go first: a retried call answers that host again and reserves nothing more.
 * The candidates are then tried in order: the factory of the host's hypervisor type
 * reserves the capacity in one short transaction (zs/hypervisor.h, reserve); a lost race
 * (no room any more) moves on to the next. No host: RESOURCE_EXHAUSTED, HOST.1004, naming
 * the filter that left none and what was asked.
 *
 * ReturnHostCapacity: every factory with a release gives back what the VM holds (on one
 * host, or everywhere); the answer counts the reservations that went (0: none held).
 *
 * Both run on a worker thread with one pooled connection, and are admins only (host.check,
 * host_check.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "zs/ext.h"
#include "zs/host_alloc.h"
#include "zs/resource.h"

#define HOST_ALLOC_SQL \
	"SELECT uuid, cluster_uuid, zone_uuid, management_ip, hypervisor_type, state, status " \
	"FROM host_hosts WHERE ($1 = '' OR owner_uuid = $1) ORDER BY created_at, uuid"

/* "8 GiB", "512 MiB" or "1000 bytes" into buf. */
static const char *
host_alloc_size(int64_t bytes, char *buf, size_t len)
{
	if (bytes > 0 && bytes % (1LL << 30) == 0)
		snprintf(buf, len, "%" PRId64 " GiB", bytes >> 30);
	else if (bytes > 0 && bytes % (1LL << 20) == 0)
		snprintf(buf, len, "%" PRId64 " MiB", bytes >> 20);
	else
		snprintf(buf, len, "%" PRId64 " bytes", bytes);
	return buf;
}

/* What was asked, for the message of a failure: "4 CPUs, 8 GiB". */
static void
host_alloc_asked(const zs_host_alloc_request *r, char *buf, size_t len)
{
	char mem[32], disk[32];
	host_alloc_size(r->memory_size, mem, sizeof mem);
	int n = snprintf(buf, len, "%" PRId64 " CPU%s, %s", r->cpu_num, r->cpu_num == 1 ? "" : "s",
	    mem);
	if (r->disk_size > 0 && n > 0 && (size_t) n < len)
		snprintf(buf + n, len - (size_t) n, ", %s of disk",
		    host_alloc_size(r->disk_size, disk, sizeof disk));
}

/* The C view of in (lists borrowed). */
static void
host_alloc_view(const Zs__Host__V1__AllocateHostRequest *in, zs_host_alloc_request *r)
{
	*r = (zs_host_alloc_request) {
		.vm_uuid = in->vm_uuid, .cpu_num = in->cpu_num, .memory_size = in->memory_size,
		.disk_size = in->disk_size, .zone_uuid = in->zone_uuid,
		.cluster_uuid = in->cluster_uuid, .host_uuid = in->host_uuid,
		.hypervisor_type = in->hypervisor_type,
		.n_l3_network_uuids = in->n_l3_network_uuids,
		.l3_network_uuids = (const char *const *) in->l3_network_uuids,
		.n_backup_storage_uuids = in->n_backup_storage_uuids,
		.backup_storage_uuids = (const char *const *) in->backup_storage_uuids,
		.n_avoid_host_uuids = in->n_avoid_host_uuids,
		.avoid_host_uuids = (const char *const *) in->avoid_host_uuids,
		.n_system_tags = in->n_system_tags,
		.system_tags = (const char *const *) in->system_tags,
	};
}

/* The designations must be resources the caller sees: 0, or the code the call failed
 * with (NOT_FOUND naming the field). */
static int
host_alloc_designated(zs_call *call, zs_db_conn *c, const zs_host_alloc_request *r)
{
	const struct { const char *field, *uuid, *type, *what; } d[] = {
		{ "zone_uuid", r->zone_uuid, "Zone", "zone" },
		{ "cluster_uuid", r->cluster_uuid, "Cluster", "cluster" },
		{ "host_uuid", r->host_uuid, HOST_TYPE, "host" },
	};
	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
		if (d[i].uuid[0] == '\0')
			continue;
		zs_status *st = NULL;
		int rv = zs_resource_check(c, call, d[i].uuid, d[i].type, NULL, 0, &st);
		if (rv == ZS_NOT_FOUND) {
			zs_status_free(st);
			zs_call_fail(call, ZS_NOT_FOUND, NULL, "%s: no %s with uuid %s", d[i].field, d[i].what,
			    d[i].uuid);
			return rv;
		}
		if (rv != 0) {
			zs_rkit_fail(call, st);
			return rv;
		}
	}
	return 0;
}

/* The hosts the caller sees, oldest first, into *out (caller frees): 0 or a code with
 * *st. */
static int
host_alloc_load(zs_call *call, zs_db_conn *c, zs_host_candidate **out, size_t *n,
    zs_status **st)
{
	const char *p[1] = { zs_call_admin(call) ? "" : zs_call_account(call) };
	PGresult *r = zs_db_exec(c, HOST_ALLOC_SQL, 1, p, st);
	if (r == NULL)
		return *st != NULL ? (int) (*st)->code : ZS_INTERNAL;
	size_t rows = (size_t) PQntuples(r);
	*out = calloc(rows > 0 ? rows : 1, sizeof **out);
	if (*out == NULL) {
		PQclear(r);
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return ZS_RESOURCE_EXHAUSTED;
	}
	for (size_t i = 0; i < rows; i++) {
		zs_host_candidate *h = &(*out)[i];
		snprintf(h->uuid, sizeof h->uuid, "%s", PQgetvalue(r, (int) i, 0));
		snprintf(h->cluster_uuid, sizeof h->cluster_uuid, "%s", PQgetvalue(r, (int) i, 1));
		snprintf(h->zone_uuid, sizeof h->zone_uuid, "%s", PQgetvalue(r, (int) i, 2));
		snprintf(h->management_ip, sizeof h->management_ip, "%s", PQgetvalue(r, (int) i, 3));
		snprintf(h->hypervisor_type, sizeof h->hypervisor_type, "%s", PQgetvalue(r, (int) i, 4));
		snprintf(h->state, sizeof h->state, "%s", PQgetvalue(r, (int) i, 5));
		snprintf(h->status, sizeof h->status, "%s", PQgetvalue(r, (int) i, 6));
	}
	*n = rows;
	PQclear(r);
	return 0;
}

/* Drops the candidates a filter removed, keeping the order; the number left. */
static size_t
host_alloc_compact(zs_host_candidate *v, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!v[i].removed) {
			if (k != i)
				v[k] = v[i];
			k++;
		}
	return k;
}

/* Hosts the VM already holds capacity on first, the order otherwise kept. */
static void
host_alloc_held_first(zs_host_candidate *v, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].held) {
			zs_host_candidate h = v[i];
			memmove(&v[k + 1], &v[k], (i - k) * sizeof *v);
			v[k++] = h;
		}
}

/* Runs the filters and sorters over v[0..*n): 0 (at least one left), or the code the
 * call failed with. */
static int
host_alloc_choose(zs_call *call, zs_db_conn *c, const zs_host_alloc_request *r,
    zs_host_candidate *v, size_t *n)
{
	zs_node *node = zs_call_node(call);
	char asked[96];
	host_alloc_asked(r, asked, sizeof asked);
	if (*n == 0) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, "HOST.1004", "no host: there is no host to "
		    "choose from (asked %s)", asked);
		return ZS_RESOURCE_EXHAUSTED;
	}
	size_t nf = 0, ns = 0;
	const zs_ext *const *filters = zs_ext_list(zs_node_extensions(node),
	    ZS_EXT_HOST_ALLOCATOR_FILTER, &nf);
	const zs_ext *const *sorters = zs_ext_list(zs_node_extensions(node),
	    ZS_EXT_HOST_ALLOCATOR_SORTER, &ns);
	for (size_t i = 0; i < nf; i++) {
		const zs_host_alloc_filter *f = filters[i]->impl;
		zs_status *st = NULL;
		size_t before = *n;
		int rv = f->filter(zs_ext_service_data(filters[i]), call, c, r, v, *n, &st);
		if (rv != 0) {
			zs_call_fail_cause(call, rv, NULL, st, "host allocator filter %s failed", f->name);
			zs_status_free(st);
			return rv;
		}
		*n = host_alloc_compact(v, *n);
		if (*n == 0) {
			zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, "HOST.1004", "no host: filter %s left none "
			    "of %zu candidate%s (asked %s)", f->name, before, before == 1 ? "" : "s", asked);
			return ZS_RESOURCE_EXHAUSTED;
		}
	}
	for (size_t i = 0; i < ns; i++) {
		const zs_host_alloc_sorter *s = sorters[i]->impl;
		zs_status *st = NULL;
		int rv = s->sort(zs_ext_service_data(sorters[i]), call, c, r, v, *n, &st);
		if (rv != 0) {
			zs_call_fail_cause(call, rv, NULL, st, "host allocator sorter %s failed", s->name);
			zs_status_free(st);
			return rv;
		}
	}
	host_alloc_held_first(v, *n);
	return 0;
}

/* Tries v[0..n) in order until one reserves: 0 with the answer given, or the code the
 * call failed with. */
static int
host_alloc_reserve(zs_call *call, ProtobufCClosure closure, zs_db_conn *c,
    const zs_host_alloc_request *r, const zs_host_candidate *v, size_t n)
{
	zs_node *node = zs_call_node(call);
	size_t tried = 0;
	for (size_t i = 0; i < n; i++) {
		host_hv hv = { 0 };
		zs_status *st = NULL;
		if (host_hv_find(node, v[i].hypervisor_type, v[i].cluster_uuid, &hv, &st) != 0 ||
		    hv.factory->reserve == NULL || hv.data == NULL) {
			zs_status_free(st);   /* a type that holds no capacity: not a host for a VM */
			continue;
		}
		tried++;
		zs_hypervisor_reservation want = { r->vm_uuid, v[i].uuid, r->cpu_num, r->memory_size };
		zs_hypervisor_reservation held = want;
		int rv = hv.factory->reserve(hv.data, call, c, &want, &held, &st);
		if (rv == ZS_RESOURCE_EXHAUSTED && st == NULL)
			continue;   /* taken since the filters looked: the next one */
		if (rv != 0) {
			zs_call_fail_cause(call, rv, NULL, st, "cannot reserve capacity on host %s for VM %s",
			    v[i].uuid, r->vm_uuid);
			zs_status_free(st);
			return rv;
		}
		Zs__Host__V1__AllocateHostResponse out = ZS__HOST__V1__ALLOCATE_HOST_RESPONSE__INIT;
		out.host_uuid = (char *) v[i].uuid;
		out.cluster_uuid = (char *) v[i].cluster_uuid;
		out.zone_uuid = (char *) v[i].zone_uuid;
		out.management_ip = (char *) v[i].management_ip;
		out.hypervisor_type = (char *) v[i].hypervisor_type;
		out.cpu_num = held.cpu_num;
		out.memory_size = held.memory_size;
		closure(&out.base, call);
		return 0;
	}
	char asked[96];
	host_alloc_asked(r, asked, sizeof asked);
	zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, "HOST.1004", "no host: %s of the %zu candidate%s "
	    "the filters left %s (asked %s)", tried > 0 ? "every one" : "none", n, n == 1 ? "" : "s",
	    tried > 0 ? "was taken before it could be reserved" :
	    "is of a hypervisor type that reserves capacity", asked);
	return ZS_RESOURCE_EXHAUSTED;
}

void
host_allocate_host(zs_call *call, const ProtobufCMessage *input, ProtobufCClosure closure)
{
	const Zs__Host__V1__AllocateHostRequest *in =
	    (const Zs__Host__V1__AllocateHostRequest *) input;
	if (host_check_allocate(call, in) != 0)
		return;
	zs_host_alloc_request r;
	host_alloc_view(in, &r);
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_host_candidate *v = NULL;
	size_t n = 0;
	zs_status *st = NULL;
	if (host_alloc_designated(call, c, &r) == 0) {
		if (host_alloc_load(call, c, &v, &n, &st) != 0)
			zs_rkit_fail(call, st);
		else if (host_alloc_choose(call, c, &r, v, &n) == 0)
			host_alloc_reserve(call, closure, c, &r, v, n);
	}
	zs_db_release(db, c);
	free(v);
}

void
host_return_capacity(zs_call *call, const ProtobufCMessage *input, ProtobufCClosure closure)
{
	const Zs__Host__V1__ReturnHostCapacityRequest *in =
	    (const Zs__Host__V1__ReturnHostCapacityRequest *) input;
	if (zs_check_uuid(call, "vm_uuid", in->vm_uuid) != 0 ||
	    (in->host_uuid[0] != '\0' && zs_check_uuid(call, "host_uuid", in->host_uuid) != 0))
		return;
	zs_node *node = zs_call_node(call);
	zs_db *db = zs_node_db(node);
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	size_t n = 0;
	const zs_ext *const *exts = zs_ext_list(zs_node_extensions(node), ZS_EXT_HYPERVISOR_FACTORY,
	    &n);
	int total = 0, rv = 0;
	zs_status *st = NULL;
	for (size_t i = 0; i < n && rv == 0; i++) {
		const zs_hypervisor_factory *f = exts[i]->impl;
		void *data = zs_ext_service_data(exts[i]);
		int returned = 0;
		if (f->release == NULL || data == NULL)
			continue;
		rv = f->release(data, call, c, in->vm_uuid, in->host_uuid, &returned, &st);
		total += returned;
	}
	zs_db_release(db, c);
	if (rv != 0) {
		zs_call_fail_cause(call, rv, NULL, st, "cannot return the capacity VM %s holds",
		    in->vm_uuid);
		zs_status_free(st);
		return;
	}
	Zs__Host__V1__ReturnHostCapacityResponse out =
	    ZS__HOST__V1__RETURN_HOST_CAPACITY_RESPONSE__INIT;
	out.returned = total;
	closure(&out.base, call);
}
