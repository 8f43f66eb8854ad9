/*
 * kvm_store.c: the database side of a KVM host: its kvm_hosts row, its status in
 * host_hosts, its facts as system tags and its capacity row (what its VMs' reservations
 * hold, kvm_alloc.c, counted in), each change in one
 * transaction with its host/... event (written into the outbox, so it goes out with the
 * commit and never without it). Worker threads only.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"
#include "zs/config.h"
#include "zs/event.h"
#include "zs/resource_kit.h"
#include "zs/tag.h"

#define KVM_SQL_ROW \
	"SELECT h.uuid, h.cluster_uuid, h.name, h.management_ip, k.username, k.ssh_port, " \
	"h.state, h.status, k.status_reason, k.agent_version, h.owner_uuid, " \
	"coalesce(c.total_cpu, 0) AS total_cpu, coalesce(c.available_cpu, 0) AS available_cpu, " \
	"coalesce(c.total_memory, 0) AS total_memory, " \
	"coalesce(c.available_memory, 0) AS available_memory, " \
	"coalesce(c.reserved_memory, 0) AS reserved_memory, r.reservations, " \
	"r.reserved_cpu, r.reserved_vm_memory " \
	"FROM host_hosts h JOIN kvm_hosts k USING (uuid) " \
	"LEFT JOIN kvm_host_capacity c USING (uuid), " \
	"LATERAL (SELECT count(*) AS reservations, coalesce(sum(cpu), 0) AS reserved_cpu, " \
	"coalesce(sum(memory), 0) AS reserved_vm_memory FROM kvm_vm_reservations " \
	"WHERE host_uuid = h.uuid) r WHERE h.uuid = $1"

/* One fact, the agent's name for it, and the system tag it becomes. */
static const struct { const char *fact, *tag; } kvm_fact_tags[] = {
	{ "qemuImgVersion", "qemu-img::version::%s" },
	{ "libvirtVersion", "libvirt::version::%s" },
	{ "cpuModelName", "cpu::model::%s" },
	{ "hvmCpuFlag", "cpu::hvmFlag::%s" },
};

int
kvm_store_row(zs_db_conn *c, const char *uuid, PGresult **row, zs_status **st)
{
	const char *p[1] = { uuid };
	return zs_db_exec_one(c, KVM_SQL_ROW, 1, p, "KVM host", uuid, row, st);
}

int
kvm_store_event(kvm_state *ks, zs_db_conn *c, const char *uuid, const char *topic,
    zs_status **st)
{
	if (topic == NULL)
		return 0;
	PGresult *row = NULL;
	int rv = kvm_store_row(c, uuid, &row, st);
	if (rv != 0)
		return rv;
	Zs__Kvm__V1__KvmHostInfo info = ZS__KVM__V1__KVM_HOST_INFO__INIT;
	zs_rkit_from_row(row, 0, &info.base);
	rv = zs_event_publish_tx(c, zs_node_events(ks->node), topic, uuid,
	    PQgetvalue(row, 0, PQfnumber(row, "owner_uuid")), &info.base, st);
	PQclear(row);
	return rv;
}

/* Runs sql with params in c; 0 or the code with *st. */
static int
kvm_store_exec(zs_db_conn *c, const char *sql, int n, const char *const *p, zs_status **st)
{
	PGresult *r = zs_db_exec(c, sql, n, p, st);
	if (r == NULL)
		return (*st) != NULL ? (int) (*st)->code : ZS_INTERNAL;
	PQclear(r);
	return 0;
}

/* A pooled connection for a worker with no call. */
static int
kvm_store_acquire(kvm_state *ks, zs_db_conn **c, zs_status **st)
{
	return zs_db_acquire(zs_node_db(ks->node), ks->connect_timeout_ms, c, st);
}

int
kvm_store_new(kvm_state *ks, zs_db_conn *c, const char *uuid, const char *username,
    int ssh_port, zs_status **st)
{
	char port[16];
	snprintf(port, sizeof port, "%d", ssh_port);
	const char *p[3] = { uuid, username, port };
	int rv = kvm_store_exec(c, "INSERT INTO kvm_hosts (uuid, username, ssh_port) "
	    "VALUES ($1, $2, $3)", 3, p, st);
	if (rv == 0)
		rv = kvm_store_exec(c, "UPDATE host_hosts SET status = 'Connecting', "
		    "updated_at = now() WHERE uuid = $1", 1, p, st);
	if (rv == 0)
		rv = kvm_store_event(ks, c, uuid, "host/connecting", st);
	return rv;
}

int
kvm_store_remove(zs_db_conn *c, const char *uuid, zs_status **st)
{
	const char *p[1] = { uuid };
	int rv = kvm_store_exec(c, "DELETE FROM kvm_host_capacity WHERE uuid = $1", 1, p, st);
	if (rv == 0)
		rv = kvm_store_exec(c, "DELETE FROM kvm_hosts WHERE uuid = $1", 1, p, st);
	return rv;
}

int
kvm_store_status(kvm_state *ks, const char *uuid, const char *status, const char *reason,
    const char *topic, bool only_on_change, zs_status **st)
{
	zs_db_conn *c = NULL;
	int rv = kvm_store_acquire(ks, &c, st);
	if (rv != 0)
		return rv;
	const char *p[3] = { uuid, status, reason != NULL ? reason : "" };
	rv = zs_db_begin(c, st);
	if (rv == 0) {
		/* the old status, locking the row */
		PGresult *r = zs_db_exec(c, "SELECT status FROM host_hosts WHERE uuid = $1 FOR UPDATE",
		    1, p, st);
		bool changed = true;
		if (r == NULL) {
			rv = (*st) != NULL ? (int) (*st)->code : ZS_INTERNAL;
		} else if (PQntuples(r) == 0) {
			rv = ZS_NOT_FOUND;
			*st = zs_status_new(ZS_NOT_FOUND, NULL, "no KVM host with uuid %s", uuid);
		} else {
			changed = strcmp(PQgetvalue(r, 0, 0), status) != 0;
		}
		PQclear(r);
		if (rv == 0)
			rv = kvm_store_exec(c, "UPDATE host_hosts SET status = $2, updated_at = now() "
			    "WHERE uuid = $1", 2, p, st);
		if (rv == 0)
			rv = kvm_store_exec(c, "UPDATE kvm_hosts SET status_reason = $2 WHERE uuid = $1",
			    2, (const char *const[]) { uuid, p[2] }, st);
		if (rv == 0 && (changed || !only_on_change))
			rv = kvm_store_event(ks, c, uuid, topic, st);
		rv = zs_db_end(c, rv, st);
	}
	zs_db_release(zs_node_db(ks->node), c);
	return rv;
}

/* "1G", "512M", "4096" -> bytes; -1 when not a size. */
static int64_t
kvm_size(const char *s)
{
	char *end;
	long long n = strtoll(s, &end, 10);
	if (end == s || n < 0)
		return -1;
	int shift = 0;
	switch (toupper((unsigned char) *end)) {
	case '\0': break;
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	case 'T': shift = 40; break;
	default: return -1;
	}
	return (int64_t) n << shift;
}

/* The agent's number name in o, or 0. */
static int64_t
kvm_json_int(const json_t *o, const char *name)
{
	return (int64_t) json_integer_value(json_object_get(o, name));
}

/* The facts as system tags on uuid, in c's transaction. */
static int
kvm_store_tags(kvm_state *ks, zs_db_conn *c, const char *uuid, const json_t *facts,
    zs_status **st)
{
	char tag[512];
	for (size_t i = 0; i < sizeof kvm_fact_tags / sizeof kvm_fact_tags[0]; i++) {
		const char *v = json_string_value(json_object_get(facts, kvm_fact_tags[i].fact));
		if (v == NULL || *v == '\0')
			continue;
		snprintf(tag, sizeof tag, kvm_fact_tags[i].tag, v);
		int rv = zs_tag_add_system(c, zs_node_tags(ks->node), uuid, tag, NULL, st);
		if (rv != 0)
			return rv;
	}
	const char *os = json_string_value(json_object_get(facts, "osDistribution"));
	const char *ver = json_string_value(json_object_get(facts, "osVersion"));
	if (os != NULL && *os) {
		snprintf(tag, sizeof tag, "os::version::%s%s%s", os, ver != NULL && *ver ? " " : "",
		    ver != NULL ? ver : "");
		return zs_tag_add_system(c, zs_node_tags(ks->node), uuid, tag, NULL, st);
	}
	return 0;
}

/* kvm.reservedMemory in force for uuid (host > cluster > zone > global), in bytes into
 * *bytes and as written into text. */
static int
kvm_store_reserved(kvm_state *ks, zs_db_conn *c, const char *uuid, int64_t *bytes, char *text,
    size_t len, zs_status **st)
{
	char source[32];
	int rv = zs_config_for_resource(zs_node_config(ks->node), c, "kvm", "reservedMemory", uuid,
	    text, len, source, sizeof source, st);
	if (rv != 0)
		return rv;
	*bytes = kvm_size(text);
	if (*bytes < 0) {
		*st = zs_status_new(ZS_INTERNAL, NULL, "kvm.reservedMemory \"%s\" for host %s is not a "
		    "size", text, uuid);
		return ZS_INTERNAL;
	}
	return 0;
}

/* The capacity row of uuid from the agent's answer, in c's transaction: the totals from
 * the agent; available_cpu = total - the vCPUs the host's reservations hold, and
 * available_memory = total - kvm.reservedMemory - the memory they hold (below 0 when the
 * host holds more than it has). The agent's used figures are not used: the reservations
 * already count the VMs it runs, and those being made that it does not know yet. The
 * upsert locks the row first, so that the sums (a later statement, a newer snapshot) see
 * every reservation committed before it; one made or returned meanwhile waits for the
 * lock and then moves the figures itself. */
static int
kvm_store_capacity(kvm_state *ks, zs_db_conn *c, const char *uuid, const json_t *cap,
    zs_status **st)
{
	char reserved[64];
	int64_t res = 0;
	int rv = kvm_store_reserved(ks, c, uuid, &res, reserved, sizeof reserved, st);
	if (rv != 0)
		return rv;
	int64_t cpu = kvm_json_int(cap, "cpuNum"), mem = kvm_json_int(cap, "totalMemory");
	if (cpu <= 0 || mem <= 0) {
		*st = zs_status_new(ZS_INTERNAL, NULL, "host %s: the agent's capacity makes no sense "
		    "(cpuNum %lld, totalMemory %lld)", uuid, (long long) cpu, (long long) mem);
		return ZS_INTERNAL;
	}
	char v[3][24];
	snprintf(v[0], sizeof v[0], "%lld", (long long) cpu);
	snprintf(v[1], sizeof v[1], "%lld", (long long) mem);
	snprintf(v[2], sizeof v[2], "%lld", (long long) res);
	const char *p[4] = { uuid, v[0], v[1], v[2] };
	rv = kvm_store_exec(c, "INSERT INTO kvm_host_capacity (uuid, total_cpu, available_cpu, "
	    "total_memory, available_memory, reserved_memory) VALUES ($1, $2, $2, $3, $3, $4) "
	    "ON CONFLICT (uuid) DO UPDATE SET total_cpu = $2, total_memory = $3, "
	    "reserved_memory = $4, updated_at = now()", 4, p, st);
	if (rv == 0)
		rv = kvm_store_exec(c, "UPDATE kvm_host_capacity k SET "
		    "available_cpu = k.total_cpu - coalesce(s.cpu, 0), "
		    "available_memory = k.total_memory - k.reserved_memory - coalesce(s.memory, 0), "
		    "vms = s.n FROM (SELECT sum(cpu) AS cpu, sum(memory) AS memory, count(*) AS n "
		    "FROM kvm_vm_reservations "
		    "WHERE host_uuid = $1) s WHERE k.uuid = $1", 1, p, st);
	return rv;
}

int
kvm_store_reserve_all(kvm_state *ks, size_t *changed, zs_status **st)
{
	*changed = 0;
	zs_db_conn *c = NULL;
	int rv = kvm_store_acquire(ks, &c, st);
	if (rv != 0)
		return rv;
	PGresult *r = zs_db_exec(c, "SELECT uuid, reserved_memory FROM kvm_host_capacity "
	    "ORDER BY uuid", 0, NULL, st);
	if (r == NULL)
		rv = (*st) != NULL ? (int) (*st)->code : ZS_INTERNAL;
	for (int i = 0; rv == 0 && i < PQntuples(r); i++) {
		const char *uuid = PQgetvalue(r, i, 0);
		char text[64], bytes[24];
		int64_t res = 0;
		zs_status *one = NULL;
		if (kvm_store_reserved(ks, c, uuid, &res, text, sizeof text, &one) != 0) {
			/* one host's bad override does not keep the others at the old value */
			fprintf(stderr, "kvm: host %s: %s\n", uuid, one != NULL && one->message ?
			    one->message : "?");
			zs_status_free(one);
			continue;
		}
		if (res == strtoll(PQgetvalue(r, i, 1), NULL, 10))
			continue;
		snprintf(bytes, sizeof bytes, "%lld", (long long) res);
		/* what VMs took of the available memory stays taken: only the reserve moves */
		const char *p[2] = { uuid, bytes };
		rv = kvm_store_exec(c, "UPDATE kvm_host_capacity SET available_memory = "
		    "available_memory + reserved_memory - $2::bigint, reserved_memory = $2::bigint, "
		    "updated_at = now() WHERE uuid = $1", 2, p, st);
		if (rv == 0)
			(*changed)++;
	}
	PQclear(r);
	zs_db_release(zs_node_db(ks->node), c);
	return rv;
}

int
kvm_store_connected(kvm_state *ks, const char *uuid, const json_t *facts,
    const json_t *capacity, zs_status **st)
{
	zs_db_conn *c = NULL;
	int rv = kvm_store_acquire(ks, &c, st);
	if (rv != 0)
		return rv;
	const char *p[1] = { uuid };
	rv = zs_db_begin(c, st);
	if (rv == 0) {
		rv = kvm_store_tags(ks, c, uuid, facts, st);
		if (rv == 0)
			rv = kvm_store_capacity(ks, c, uuid, capacity, st);
		if (rv == 0)
			rv = kvm_store_exec(c, "UPDATE host_hosts SET status = 'Connected', "
			    "updated_at = now() WHERE uuid = $1", 1, p, st);
		if (rv == 0)
			rv = kvm_store_exec(c, "UPDATE kvm_hosts SET status_reason = '', "
			    "ping_failures = 0, agent_version = '' WHERE uuid = $1", 1, p, st);
		if (rv == 0)
			rv = kvm_store_event(ks, c, uuid, "host/connected", st);
		rv = zs_db_end(c, rv, st);
	}
	zs_db_release(zs_node_db(ks->node), c);
	return rv;
}
