/*
 * kvm_alloc.c: the kvm plugin's part of the host allocator (zs/host_alloc.h) and of the
 * reservation of a VM's capacity (zs/hypervisor.h, reserve and release), since it owns
 * the capacity rows (kvm_host_capacity) and the reservations (kvm_vm_reservations).
 *
 * Rules: memory fits when available_memory (total - kvm.reservedMemory in force - what
 * the reservations hold) >= the VM's memory; CPU fits while the vCPUs held stay <=
 * total_cpu x kvm.cpuOverProvisioningRatio (read at each allocation, so a change applies
 * to the next one). available_cpu is total_cpu - vCPUs held, below 0 when over-provisioned.
 *
 *   kvm.capacity  filter: one query reads the capacity rows and reservation counts of all
 *                 candidates, fills them in, and removes the KVM hosts where the VM does not
 *                 fit (a host where the VM already holds capacity stays: a retry answers it);
 *                 candidates of other types are left to their own plugins
 *   kvm.leastVms  sorter: fewest reservations first, then most free memory
 *   reserve       one statement (one transaction): a conditional UPDATE of the capacity row
 *                 that does not pass when the host has no room, is no longer Enabled and
 *                 Connected, or the VM already holds there (then it answers what it holds),
 *                 and the reservation row when it passed; the row lock serializes concurrent
 *                 reservations on one host, so none over-commits
 *   release       one statement: the rows go and their capacity comes back
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"
#include "zs/config.h"
#include "zs/host_alloc.h"
#include "zs/hypervisor.h"
#include "zs/service.h"

#define KVM_TYPE "KVM"

/* kvm.cpuOverProvisioningRatio now: 0 or a code with *st. */
static int
kvm_alloc_ratio(zs_node *node, int64_t *ratio, zs_status **st)
{
	return zs_config_int(zs_node_config(node), "kvm", "cpuOverProvisioningRatio", ratio, st);
}

/* ---- kvm.capacity ---- */

static int
kvm_capacity_filter_fn(void *data, zs_call *call, zs_db_conn *c, const zs_host_alloc_request *req,
    zs_host_candidate *v, size_t n, zs_status **st)
{
	(void) data;
	int64_t ratio = 0;
	int rv = kvm_alloc_ratio(zs_call_node(call), &ratio, st);
	if (rv != 0)
		return rv;
	char *uuids = zs_host_alloc_column(v, n, ZS_HOST_ALLOC_UUID);   /* in candidate order */
	if (uuids == NULL) {
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return ZS_RESOURCE_EXHAUSTED;
	}
	const char *p[2] = { uuids, req->vm_uuid };
	PGresult *r = NULL;
	rv = zs_db_run(c, "SELECT u.i, c.total_cpu, c.available_cpu, c.total_memory, "
	    "c.available_memory, c.vms, EXISTS (SELECT 1 FROM kvm_vm_reservations k WHERE "
	    "k.vm_uuid = $2 AND k.host_uuid = c.uuid) FROM unnest($1::text[]) WITH ORDINALITY AS "
	    "u(uuid, i) JOIN kvm_host_capacity c ON c.uuid = u.uuid", 2, p, &r, st);
	free(uuids);
	if (rv != 0)
		return rv;
	bool *known = calloc(n > 0 ? n : 1, sizeof *known);
	if (known == NULL) {
		PQclear(r);
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return ZS_RESOURCE_EXHAUSTED;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		long long k = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		if (k < 1 || (size_t) k > n)
			continue;
		zs_host_candidate *h = &v[k - 1];
		known[k - 1] = true;
		h->total_cpu = strtoll(PQgetvalue(r, i, 1), NULL, 10);
		h->available_cpu = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		h->total_memory = strtoll(PQgetvalue(r, i, 3), NULL, 10);
		h->available_memory = strtoll(PQgetvalue(r, i, 4), NULL, 10);
		h->vms = strtoll(PQgetvalue(r, i, 5), NULL, 10);
		h->held = PQgetvalue(r, i, 6)[0] == 't';
	}
	PQclear(r);
	for (size_t i = 0; i < n; i++) {
		zs_host_candidate *h = &v[i];
		if (strcmp(h->hypervisor_type, KVM_TYPE) != 0)
			continue;
		bool fits = known[i] && h->available_memory >= req->memory_size &&
		    h->total_cpu - h->available_cpu + req->cpu_num <= h->total_cpu * ratio;
		h->removed = !(known[i] && h->held) && !fits;   /* no capacity row: never connected */
	}
	free(known);
	return 0;
}

/* ---- kvm.leastVms ---- */

/* FNV-1a of the VM's uuid then the host's: a tie-break that differs from VM to VM. */
static uint64_t
kvm_least_vms_tie(const char *vm, const char *host)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const char *p = vm; *p != '\0'; p++)
		h = (h ^ (unsigned char) *p) * 0x100000001b3ULL;
	for (const char *p = host; *p != '\0'; p++)
		h = (h ^ (unsigned char) *p) * 0x100000001b3ULL;
	return h;
}

/*
 * Fewest VMs first, then most memory available; hosts alike in both come in an order
 * of the VM's own (not by uuid), so that creates running at once spread over the hosts
 * equally fit instead of all reserving on the same one, one after the other, each
 * waiting on its capacity row for the one before to commit.
 */
static int
kvm_least_vms_cmp(const void *a, const void *b, void *arg)
{
	const zs_host_candidate *x = a, *y = b;
	const char *vm = arg;
	if (x->vms != y->vms)
		return x->vms < y->vms ? -1 : 1;
	if (x->available_memory != y->available_memory)
		return x->available_memory > y->available_memory ? -1 : 1;
	uint64_t tx = kvm_least_vms_tie(vm, x->uuid), ty = kvm_least_vms_tie(vm, y->uuid);
	if (tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(x->uuid, y->uuid);
}

static int
kvm_least_vms_sort(void *data, zs_call *call, zs_db_conn *c, const zs_host_alloc_request *req,
    zs_host_candidate *v, size_t n, zs_status **st)
{
	(void) data, (void) call, (void) c, (void) st;
	/* kvm.capacity filled the figures */
	qsort_r(v, n, sizeof *v, kvm_least_vms_cmp, (void *) (req->vm_uuid != NULL ? req->vm_uuid : ""));
	return 0;
}

/* ---- reserve and release ---- */

/* What vm holds on host into held: 0, NOT_FOUND (nothing), or a code with *st. */
static int
kvm_alloc_held(zs_db_conn *c, const zs_hypervisor_reservation *r, zs_hypervisor_reservation *held,
    zs_status **st)
{
	const char *p[2] = { r->vm_uuid, r->host_uuid };
	PGresult *q = NULL;
	int rv = zs_db_run(c, "SELECT cpu, memory FROM kvm_vm_reservations WHERE vm_uuid = $1 "
	    "AND host_uuid = $2", 2, p, &q, st);
	if (rv != 0)
		return rv;
	rv = PQntuples(q) == 1 ? 0 : ZS_NOT_FOUND;
	if (rv == 0) {
		*held = *r;
		held->cpu_num = strtoll(PQgetvalue(q, 0, 0), NULL, 10);
		held->memory_size = strtoll(PQgetvalue(q, 0, 1), NULL, 10);
	}
	PQclear(q);
	return rv;
}

int
kvm_alloc_reserve(void *data, const zs_call *call, zs_db_conn *c,
    const zs_hypervisor_reservation *r, zs_hypervisor_reservation *held, zs_status **st)
{
	kvm_state *ks = data;
	(void) call;
	int64_t ratio = 0;
	int rv = kvm_alloc_ratio(ks->node, &ratio, st);
	if (rv != 0)
		return rv;
	char cpu[24], mem[24], rat[24];
	snprintf(cpu, sizeof cpu, "%lld", (long long) r->cpu_num);
	snprintf(mem, sizeof mem, "%lld", (long long) r->memory_size);
	snprintf(rat, sizeof rat, "%lld", (long long) ratio);
	const char *p[5] = { r->vm_uuid, r->host_uuid, cpu, mem, rat };
	/* One statement, so one transaction: the capacity row is updated only when the VM fits
	 * and does not hold there yet, and the reservation row is inserted only when it was.
	 * Its last SELECT reads what the VM held before (the statement's snapshot). Two calls
	 * for the same VM and host at once: the second's insert meets the first's row and the
	 * whole statement fails (nothing of it stays); the row is then read as held. */
	zs_status *err = NULL;
	PGresult *q = NULL;
	rv = zs_db_run(c, "WITH upd AS (UPDATE kvm_host_capacity SET "
	    "available_cpu = available_cpu - $3::bigint, available_memory = available_memory - "
	    "$4::bigint, vms = vms + 1, updated_at = now() WHERE uuid = $2 AND "
	    "available_memory >= $4::bigint AND total_cpu - available_cpu + $3::bigint <= "
	    "total_cpu * $5::bigint AND NOT EXISTS (SELECT 1 FROM kvm_vm_reservations WHERE "
	    "vm_uuid = $1 AND host_uuid = $2) AND EXISTS (SELECT 1 FROM host_hosts h WHERE "
	    "h.uuid = $2 AND h.state = 'Enabled' AND h.status = 'Connected') RETURNING uuid), "
	    "ins AS (INSERT INTO kvm_vm_reservations (vm_uuid, host_uuid, cpu, memory) "
	    "SELECT $1, uuid, $3::bigint, $4::bigint FROM upd RETURNING 1) "
	    "SELECT (SELECT count(*) FROM ins), k.cpu, k.memory FROM (SELECT 1) x "
	    "LEFT JOIN kvm_vm_reservations k ON k.vm_uuid = $1 AND k.host_uuid = $2", 5, p, &q,
	    &err);
	if (rv != 0) {
		if (rv != ZS_ALREADY_EXISTS) {
			*st = err;
			return rv;
		}
		zs_status_free(err);
		rv = kvm_alloc_held(c, r, held, st);   /* made by the other call meanwhile */
		return rv == ZS_NOT_FOUND ? ZS_RESOURCE_EXHAUSTED : rv;
	}
	bool made = PQgetvalue(q, 0, 0)[0] == '1', was = !PQgetisnull(q, 0, 1);
	*held = *r;
	if (!made && was) {   /* it already held here: those figures, nothing more */
		held->cpu_num = strtoll(PQgetvalue(q, 0, 1), NULL, 10);
		held->memory_size = strtoll(PQgetvalue(q, 0, 2), NULL, 10);
	}
	PQclear(q);
	return made || was ? 0 : ZS_RESOURCE_EXHAUSTED;   /* no room, or no longer usable */
}

int
kvm_alloc_release(void *data, const zs_call *call, zs_db_conn *c, const char *vm_uuid,
    const char *host_uuid, int *returned, zs_status **st)
{
	(void) data, (void) call;
	*returned = 0;
	const char *p[2] = { vm_uuid, host_uuid != NULL ? host_uuid : "" };
	PGresult *q = NULL;
	int rv = zs_db_run(c, "WITH del AS (DELETE FROM kvm_vm_reservations WHERE vm_uuid = $1 "
	    "AND ($2 = '' OR host_uuid = $2) RETURNING host_uuid, cpu, memory), "
	    "upd AS (UPDATE kvm_host_capacity c SET available_cpu = c.available_cpu + d.cpu, "
	    "available_memory = c.available_memory + d.memory, vms = c.vms - 1, updated_at = now() "
	    "FROM del d "
	    "WHERE c.uuid = d.host_uuid RETURNING 1) "
	    "SELECT (SELECT count(*) FROM del), (SELECT count(*) FROM upd)", 2, p, &q, st);
	if (rv != 0)
		return rv;
	*returned = (int) strtol(PQgetvalue(q, 0, 0), NULL, 10);
	PQclear(q);
	return 0;
}

ZS_EXPORT const zs_host_alloc_filter kvm_capacity_filter = { "kvm.capacity",
    kvm_capacity_filter_fn };
ZS_EXPORT const zs_host_alloc_sorter kvm_least_vms_sorter = { "kvm.leastVms",
    kvm_least_vms_sort };
