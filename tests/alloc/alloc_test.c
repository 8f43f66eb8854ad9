/*
 * alloc_test.c: the host allocator end to end, against a real zsnode, a real zs-kvmsim
 * (hosts on 127.0.1.x and 127.0.3.x with set capacities) and PostgreSQL: AllocateHost
 * and ReturnHostCapacity; each filter leaving out what it must and named when it leaves
 * none (kvm.capacity, host.hypervisor, host.designated, host.avoid, network.l2,
 * backupstorage.zone, primarystorage.space, host.tags, host.state for a disabled and a
 * disconnected host); designations that do not exist; the same VM twice holding once;
 * least-VMs sorting spreading VMs; kvm.reservedMemory overridden by a host tag and
 * kvm.cpuOverProvisioningRatio changing what fits; a reconnect keeping reservations
 * counted; a second account refused with nothing changed; bad input; then 1,000
 * allocations at once (alloc_load.c); and a host's reservations going with it.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "zst_sim.h"

#define ASKED_TOO_MUCH (100 * GIB)

static al_cap al_start[AL_HOSTS];   /* each host's figures before any check */

/* True when the last call failed RESOURCE_EXHAUSTED, HOST.1004, naming filter. */
static bool
al_none_by(inv *t, int code, const char *filter)
{
	char want[64];
	snprintf(want, sizeof want, "filter %s left none", filter);
	return code == ZS_CLIENT_RESOURCE_EXHAUSTED && strcmp(t->error_code, "HOST.1004") == 0 &&
	    strstr(t->msg, want) != NULL;
}

/* Gives back what vm holds (the check stops the test when it fails). */
static void
al_give_back(inv *t, const char *vm, int want)
{
	int n = -1;
	int code = al_return(t, t->admin, vm, NULL, &n);   /* before the check reads n */
	ZST_CHECK(code == 0 && n == want,
	    "ReturnHostCapacity %s: %d returned (want %d; %s)", vm, n, want, t->msg);
}

/* Every host is at its start figures with nothing held. */
static bool
al_at_start(al_env *e)
{
	for (int i = 0; i < AL_HOSTS; i++) {
		al_cap c;
		if (!al_cap_get(&e->t, e->h[i], &c) || c.available_memory != al_start[i].available_memory ||
		    c.available_cpu != al_start[i].available_cpu || c.reservations != 0)
			return false;
	}
	return true;
}

/* Allocates vm with r on the host want (index); gives that back. */
static void
al_expect(al_env *e, Zs__Host__V1__AllocateHostRequest *r, int want, const char *what)
{
	inv *t = &e->t;
	char host[INV_UUID];
	int code = al_alloc(t, t->admin, r, host, NULL);
	int k = al_host_index(e, host);
	ZST_CHECK(code == 0 && k == want, "%s: host %s (got %d; %s)", what, al_sim_hosts[want].name,
	    k, t->msg);
	int n = -1;
	if (code == 0 && (code = al_return(t, t->admin, r->vm_uuid, host, &n)) >= 0)
		ZST_CHECK(code == 0 && n == 1, "ReturnHostCapacity on that host: %d (want 1; %s)", n,
		    t->msg);
}

static void
check_basic(al_env *e)
{
	inv *t = &e->t;
	char vm[INV_UUID], host[INV_UUID], again[INV_UUID];
	al_vm_uuid(vm);
	Zs__Host__V1__AllocateHostRequest r;
	al_req(&r, vm, 2, 3 * GIB);
	Zs__Host__V1__AllocateHostResponse *a = NULL;
	int code = al_alloc(t, t->admin, &r, host, &a);
	int k = al_host_index(e, host);
	ZST_REQUIRE(code == 0 && k >= 0 && a->cpu_num == 2 && a->memory_size == 3 * GIB &&
	    strcmp(a->management_ip, al_sim_hosts[k].ip) == 0 &&
	    strcmp(a->hypervisor_type, "KVM") == 0 && strcmp(a->zone_uuid, e->zone) == 0,
	    "AllocateHost 2 CPUs, 3 GiB: a host, its IP, zone and type, what is held (%s)", t->msg);
	zs_reply_free(a);
	al_cap c;
	ZST_CHECK(al_cap_get(t, host, &c) && c.reservations == 1 && c.reserved_cpu == 2 &&
	    c.reserved_vm_memory == 3 * GIB &&
	    c.available_memory == al_start[k].available_memory - 3 * GIB &&
	    c.available_cpu == al_start[k].available_cpu - 2,
	    "GetKvmHost shows the reservation and the available figures less it");
	code = al_alloc(t, t->admin, &r, again, NULL);
	al_cap c2;
	ZST_CHECK(code == 0 && strcmp(again, host) == 0 && al_cap_get(t, host, &c2) &&
	    c2.reservations == 1 && c2.available_memory == c.available_memory,
	    "the same VM again: the same host, held once (%s)", t->msg);
	/* a migration: a second host while the first is held (avoiding the source) */
	r.n_avoid_host_uuids = 1;
	char *avoid[1] = { host };
	r.avoid_host_uuids = avoid;
	code = al_alloc(t, t->admin, &r, again, NULL);
	ZST_CHECK(code == 0 && strcmp(again, host) != 0, "the same VM avoiding its host: a second "
	    "host, held beside the first (%s)", t->msg);
	int n = -1;
	ZST_CHECK(al_return(t, t->admin, vm, host, &n) == 0 && n == 1,
	    "ReturnHostCapacity of one host: 1 (%s)", t->msg);
	al_give_back(t, vm, 1);
	al_give_back(t, vm, 0);
	ZST_CHECK(al_at_start(e), "every host back at its start figures");
}

static void
check_filters(al_env *e)
{
	inv *t = &e->t;
	char vm[INV_UUID];
	al_vm_uuid(vm);
	Zs__Host__V1__AllocateHostRequest r;
	al_req(&r, vm, 1, ASKED_TOO_MUCH);
	int code = al_alloc(t, t->admin, &r, NULL, NULL);
	ZST_CHECK(al_none_by(t, code, "kvm.capacity") && strstr(t->msg, "of 4 candidates") &&
	    strstr(t->msg, "asked 1 CPU, 100 GiB"),
	    "100 GiB: RESOURCE_EXHAUSTED, HOST.1004, naming kvm.capacity and what was asked (%s)",
	    t->msg);

	al_req(&r, vm, 1, GIB);
	r.hypervisor_type = "Xen";
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "host.hypervisor"),
	    "hypervisor type Xen: none, by host.hypervisor (%s)", t->msg);
	r.hypervisor_type = "KVM";
	r.host_uuid = e->h[2];
	al_expect(e, &r, 2, "host_uuid designated, type KVM");
	r.host_uuid = "";
	r.cluster_uuid = e->c2;
	char host[INV_UUID];
	code = al_alloc(t, t->admin, &r, host, NULL);
	ZST_CHECK(code == 0 && al_host_index(e, host) >= 2, "cluster c2 designated: a host of c2 (%s)",
	    t->msg);
	if (code == 0)
		al_give_back(t, vm, 1);
	r.host_uuid = e->h[0];   /* a host of c1 with cluster c2 */
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "host.designated"),
	    "cluster c2 and a host of c1 designated: none, by host.designated (%s)", t->msg);
	r.host_uuid = "";
	r.cluster_uuid = "";
	r.zone_uuid = e->zone;
	code = al_alloc(t, t->admin, &r, NULL, NULL);
	ZST_CHECK(code == 0, "the zone designated (%s)", t->msg);
	if (code == 0)
		al_give_back(t, vm, 1);
	char nobody[INV_UUID];
	al_vm_uuid(nobody);
	const char *fields[3] = { "zone_uuid", "cluster_uuid", "host_uuid" };
	for (int i = 0; i < 3; i++) {
		al_req(&r, vm, 1, GIB);
		r.zone_uuid = i == 0 ? nobody : "";
		r.cluster_uuid = i == 1 ? nobody : "";
		r.host_uuid = i == 2 ? nobody : "";
		ZST_CHECK(al_alloc(t, t->admin, &r, NULL, NULL) == INV_NOT_FOUND &&
		    strstr(t->msg, fields[i]) != NULL, "%s that does not exist: NOT_FOUND naming it (%s)",
		    fields[i], t->msg);
	}

	al_req(&r, vm, 1, GIB);
	char *avoid[AL_HOSTS] = { e->h[0], e->h[1], e->h[2], e->h[3] };
	r.avoid_host_uuids = avoid;
	r.n_avoid_host_uuids = 4;
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "host.avoid"),
	    "every host avoided: none, by host.avoid (%s)", t->msg);
	r.n_avoid_host_uuids = 3;
	al_expect(e, &r, 3, "three hosts avoided: the fourth");

	al_req(&r, vm, 1, GIB);
	char *l3s[1] = { e->l3 };
	r.l3_network_uuids = l3s;
	r.n_l3_network_uuids = 1;
	code = al_alloc(t, t->admin, &r, host, NULL);
	int k = al_host_index(e, host);
	ZST_CHECK(code == 0 && (k == 0 || k == 1),
	    "an L3 whose L2 is attached to c1 only: a host of c1 (%s)", t->msg);
	char *other[2] = { e->h[k == 0 ? 0 : 1], NULL };
	r.avoid_host_uuids = other;
	r.n_avoid_host_uuids = 1;
	al_expect(e, &r, k == 0 ? 1 : 0, "that L3, avoiding that host: the other host of c1");
	other[1] = e->h[k == 0 ? 1 : 0];
	r.n_avoid_host_uuids = 2;
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "network.l2"),
	    "that L3, avoiding both hosts of c1: none, by network.l2 (%s)", t->msg);
	r.n_avoid_host_uuids = 0;
	if (code == 0)
		al_give_back(t, vm, 1);
	r.cluster_uuid = e->c2;
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "network.l2"),
	    "that L3 and cluster c2: none, by network.l2 (%s)", t->msg);

	al_req(&r, vm, 1, GIB);
	char *bs[1] = { e->bs2 };
	r.backup_storage_uuids = bs;
	r.n_backup_storage_uuids = 1;
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "backupstorage.zone"),
	    "a backup storage not attached to the zone: none, by backupstorage.zone (%s)", t->msg);
	bs[0] = e->bs1;
	code = al_alloc(t, t->admin, &r, NULL, NULL);
	ZST_CHECK(code == 0, "the attached one (%s)", t->msg);
	if (code == 0)
		al_give_back(t, vm, 1);

	al_req(&r, vm, 1, GIB);
	r.disk_size = 2 * TIB;
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "primarystorage.space"),
	    "2 TiB of disk on 1 TiB local disks: none, by primarystorage.space (%s)", t->msg);
	r.disk_size = 10 * GIB;
	code = al_alloc(t, t->admin, &r, NULL, NULL);
	ZST_CHECK(code == 0, "10 GiB of disk (%s)", t->msg);
	if (code == 0)
		al_give_back(t, vm, 1);

	char tag[INV_UUID];
	ZST_REQUIRE(inv_tag(t, t->admin, e->h[1], "capability::liveSnapshot", true, tag) == 0,
	    "a system tag on a2 (%s)", t->msg);
	al_req(&r, vm, 1, GIB);
	char *tags[2] = { "capability::liveSnapshot", NULL };
	r.system_tags = tags;
	r.n_system_tags = 1;
	al_expect(e, &r, 1, "system tag capability::liveSnapshot: the host that has it");
	tags[1] = "qemu-img::version::0.0.0-nowhere";
	r.n_system_tags = 2;
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "host.tags"),
	    "a tag no host has besides it: none, by host.tags (%s)", t->msg);
	ZST_CHECK(inv_tag_delete(t, t->admin, tag) == 0, "tag deleted (%s)", t->msg);
}

/* ChangeHostState uuid event as the admin: the code. */
static int
al_host_state(inv *t, const char *uuid, const char *event)
{
	Zs__Kvm__V1__ChangeHostStateRequest q = ZS__KVM__V1__CHANGE_HOST_STATE_REQUEST__INIT;
	q.uuid = (char *) uuid;
	q.state_event = (char *) event;
	return inv_call(t, t->admin, "zs.kvm.v1.Kvm/ChangeHostState", &q,
	    &zs__kvm__v1__kvm_host_info__descriptor, NULL);
}

static void
check_state(al_env *e)
{
	inv *t = &e->t;
	char vm[INV_UUID], host[INV_UUID];
	al_vm_uuid(vm);
	Zs__Host__V1__AllocateHostRequest r;
	ZST_REQUIRE(al_host_state(t, e->h[0], "disable") == 0, "a1 disabled (%s)", t->msg);
	al_req(&r, vm, 1, GIB);
	r.host_uuid = e->h[0];
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "host.state"),
	    "a1 disabled and designated: none, by host.state (%s)", t->msg);
	al_req(&r, vm, 1, GIB);
	bool never = true;
	for (int i = 0; i < 6; i++) {
		char v[INV_UUID];
		al_vm_uuid(v);
		r.vm_uuid = v;
		never = never && al_alloc(t, t->admin, &r, host, NULL) == 0 && strcmp(host, e->h[0]) != 0;
		al_give_back(t, v, 1);
	}
	ZST_CHECK(never, "six allocations: never the disabled host");
	ZST_CHECK(al_host_state(t, e->h[0], "enable") == 0, "a1 enabled again (%s)", t->msg);

	st_sim_do("POST", "/sim/faults", "{\"faults\":[{\"host\":\"a3\",\"path\":\"/host/ping\","
	    "\"action\":\"fail\",\"error\":\"agent wedged\"},{\"host\":\"a3\",\"path\":\"/host/connect\","
	    "\"action\":\"fail\",\"error\":\"still wedged\"}]}");
	ZST_REQUIRE(kvmt_wait_status(t, e->h[2], "Disconnected", 15000, NULL, 0),
	    "a3 failing its pings becomes Disconnected");
	al_req(&r, vm, 1, GIB);
	r.host_uuid = e->h[2];
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "host.state"),
	    "a3 disconnected and designated: none, by host.state (%s)", t->msg);
	st_sim_do("DELETE", "/sim/faults", NULL);
	ZST_REQUIRE(kvmt_wait_status(t, e->h[2], "Connected", 15000, NULL, 0),
	    "a3 reconnected once its faults are gone");
	ZST_CHECK(al_at_start(e), "every host back at its start figures");
}

static void
check_spread(al_env *e)
{
	inv *t = &e->t;
	char vms[AL_HOSTS][INV_UUID];
	int seen[AL_HOSTS] = { 0 };
	bool ok = true;
	for (int i = 0; i < AL_HOSTS; i++) {
		char host[INV_UUID];
		Zs__Host__V1__AllocateHostRequest r;
		al_vm_uuid(vms[i]);
		al_req(&r, vms[i], 1, GIB);
		ok = ok && al_alloc(t, t->admin, &r, host, NULL) == 0;
		int k = al_host_index(e, host);
		if (k >= 0)
			seen[k]++;
	}
	ZST_CHECK(ok && seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1,
	    "four VMs one after the other: one on each host (least VMs first: %d %d %d %d)", seen[0],
	    seen[1], seen[2], seen[3]);
	for (int i = 0; i < AL_HOSTS; i++)
		al_give_back(t, vms[i], 1);
}

/* Waits up to 10 s for host's reserved memory to be bytes. */
static bool
al_wait_reserved(inv *t, const char *host, int64_t bytes)
{
	for (int64_t end = zst_now_ms() + 10000; zst_now_ms() < end; zst_sleep_ms(50)) {
		al_cap c;
		if (al_cap_get(t, host, &c) && c.reserved_memory == bytes)
			return true;
	}
	return false;
}

static void
check_configs(al_env *e)
{
	inv *t = &e->t;
	char vm[INV_UUID], tag[INV_UUID];
	al_vm_uuid(vm);
	Zs__Host__V1__AllocateHostRequest r;
	/* a4: 4 GiB, 1 GiB kept back (the global kvm.reservedMemory): 3 GiB fit */
	al_req(&r, vm, 1, 3 * GIB);
	r.host_uuid = e->h[3];
	al_expect(e, &r, 3, "3 GiB on a4 (4 GiB, 1 GiB reserved)");
	ZST_REQUIRE(inv_tag(t, t->admin, e->h[3], "kvm::reservedMemory::2G", true, tag) == 0,
	    "kvm::reservedMemory::2G on a4 (%s)", t->msg);
	ZST_REQUIRE(al_wait_reserved(t, e->h[3], 2 * GIB), "a4 keeps 2 GiB back now");
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "kvm.capacity"),
	    "3 GiB on a4 with the override: none, by kvm.capacity (%s)", t->msg);
	r.memory_size = 2 * GIB;
	al_expect(e, &r, 3, "2 GiB on a4 with the override");
	ZST_CHECK(inv_tag_delete(t, t->admin, tag) == 0 && al_wait_reserved(t, e->h[3], GIB),
	    "the override removed: 1 GiB kept back again (%s)", t->msg);

	/* a4: 2 CPUs; kvm.cpuOverProvisioningRatio 10 lets VMs hold 20 vCPUs there */
	al_req(&r, vm, 21, 256ll << 20);
	r.host_uuid = e->h[3];
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "kvm.capacity"),
	    "21 vCPUs on a4 (2 CPUs, ratio 10): none, by kvm.capacity (%s)", t->msg);
	r.cpu_num = 20;
	al_expect(e, &r, 3, "20 vCPUs on a4");
	ZST_REQUIRE(al_config(t, "cpuOverProvisioningRatio", "1") == 0, "ratio set to 1 (%s)", t->msg);
	r.cpu_num = 3;
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "kvm.capacity"),
	    "ratio 1: 3 vCPUs on a4 do not fit (%s)", t->msg);
	r.cpu_num = 2;
	al_expect(e, &r, 3, "ratio 1: 2 vCPUs on a4");
	ZST_CHECK(al_config(t, "cpuOverProvisioningRatio", "0") == INV_INVALID_ARGUMENT,
	    "ratio 0: INVALID_ARGUMENT (%s)", t->msg);
	ZST_REQUIRE(al_config(t, "cpuOverProvisioningRatio", NULL) == 0, "ratio reset (%s)", t->msg);
	ZST_CHECK(al_at_start(e), "every host back at its start figures");
}

static void
check_reconnect(al_env *e)
{
	inv *t = &e->t;
	char vm[INV_UUID];
	al_vm_uuid(vm);
	Zs__Host__V1__AllocateHostRequest r;
	al_req(&r, vm, 3, 5 * GIB);
	r.host_uuid = e->h[1];
	ZST_REQUIRE(al_alloc(t, t->admin, &r, NULL, NULL) == 0, "3 CPUs, 5 GiB on a2 (%s)", t->msg);
	al_cap before, after;
	ZST_REQUIRE(al_cap_get(t, e->h[1], &before), "a2's capacity");
	Zs__Kvm__V1__ReconnectHostRequest q = ZS__KVM__V1__RECONNECT_HOST_REQUEST__INIT;
	q.uuid = e->h[1];
	ZST_CHECK(inv_call(t, t->admin, "zs.kvm.v1.Kvm/ReconnectHost", &q,
	    &zs__kvm__v1__kvm_host_info__descriptor, NULL) == 0, "ReconnectHost a2 (%s)", t->msg);
	ZST_CHECK(al_cap_get(t, e->h[1], &after) && after.reservations == 1 &&
	    after.available_memory == before.available_memory &&
	    after.available_cpu == before.available_cpu &&
	    after.available_memory == al_start[1].available_memory - 5 * GIB,
	    "after the reconnect the reservation still counts (available %lld, was %lld)",
	    (long long) after.available_memory, (long long) before.available_memory);
	al_give_back(t, vm, 1);
	ZST_CHECK(al_at_start(e), "every host back at its start figures");
}

static void
check_accounts(al_env *e)
{
	inv *t = &e->t;
	char session[INV_SESSION], uuid[INV_UUID], vm[INV_UUID];
	ZST_REQUIRE(inv_account(t, "other", session, uuid), "a second account (%s)", t->msg);
	al_vm_uuid(vm);
	Zs__Host__V1__AllocateHostRequest r;
	al_req(&r, vm, 1, GIB);
	r.host_uuid = e->h[0];
	ZST_REQUIRE(al_alloc(t, t->admin, &r, NULL, NULL) == 0, "the admin holds 1 GiB on a1 (%s)",
	    t->msg);
	al_cap before, after;
	ZST_REQUIRE(al_cap_get(t, e->h[0], &before), "a1's capacity");
	char other[INV_UUID];
	al_vm_uuid(other);
	r.vm_uuid = other;
	ZST_CHECK(al_alloc(t, session, &r, NULL, NULL) == INV_PERMISSION_DENIED &&
	    strcmp(t->error_code, "HOST.1005") == 0,
	    "AllocateHost as another account: PERMISSION_DENIED, HOST.1005 (%s)", t->msg);
	r.host_uuid = "";
	ZST_CHECK(al_alloc(t, session, &r, NULL, NULL) == INV_PERMISSION_DENIED,
	    "also with nothing designated (%s)", t->msg);
	ZST_CHECK(al_return(t, session, vm, NULL, NULL) == INV_PERMISSION_DENIED &&
	    al_return(t, session, vm, e->h[0], NULL) == INV_PERMISSION_DENIED,
	    "ReturnHostCapacity of the admin's VM as another account: PERMISSION_DENIED (%s)", t->msg);
	ZST_CHECK(al_cap_get(t, e->h[0], &after) && after.reservations == before.reservations &&
	    after.available_memory == before.available_memory, "and nothing changed");
	al_give_back(t, vm, 1);
}

static void
check_bad_input(al_env *e)
{
	inv *t = &e->t;
	char vm[INV_UUID];
	al_vm_uuid(vm);
	Zs__Host__V1__AllocateHostRequest r;
	struct { const char *field; } cases[] = { { "vm_uuid" }, { "cpu_num" }, { "memory_size" },
	    { "disk_size" }, { "l3_network_uuids[0]" }, { "avoid_host_uuids[0]" },
	    { "system_tags[0]" }, { "host_uuid" } };
	char *bad[1] = { "not-a-uuid" }, *empty[1] = { "" };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		al_req(&r, vm, 1, GIB);
		switch (i) {
		case 0: r.vm_uuid = "vm-1"; break;
		case 1: r.cpu_num = 0; break;
		case 2: r.memory_size = -1; break;
		case 3: r.disk_size = -5; break;
		case 4: r.l3_network_uuids = bad; r.n_l3_network_uuids = 1; break;
		case 5: r.avoid_host_uuids = bad; r.n_avoid_host_uuids = 1; break;
		case 6: r.system_tags = empty; r.n_system_tags = 1; break;
		default: r.host_uuid = "h1"; break;
		}
		ZST_CHECK(al_alloc(t, t->admin, &r, NULL, NULL) == INV_INVALID_ARGUMENT &&
		    strstr(t->msg, cases[i].field) != NULL, "a bad %s: INVALID_ARGUMENT naming it (%s)",
		    cases[i].field, t->msg);
	}
	ZST_CHECK(al_return(t, t->admin, "vm-1", NULL, NULL) == INV_INVALID_ARGUMENT &&
	    strstr(t->msg, "vm_uuid") != NULL, "ReturnHostCapacity of a bad vm_uuid: "
	    "INVALID_ARGUMENT (%s)", t->msg);
	ZST_CHECK(al_at_start(e), "nothing held after bad input");
}

/* A host's reservations go with it. */
static void
check_host_deleted(al_env *e)
{
	inv *t = &e->t;
	char vm[INV_UUID];
	al_vm_uuid(vm);
	Zs__Host__V1__AllocateHostRequest r;
	al_req(&r, vm, 1, GIB);
	r.host_uuid = e->h[3];
	ZST_REQUIRE(al_alloc(t, t->admin, &r, NULL, NULL) == 0, "1 GiB held on a4 (%s)", t->msg);
	ZST_CHECK(inv_host_delete(t, t->admin, e->h[3]) == 0, "DeleteHost a4 while a VM holds "
	    "capacity there (%s)", t->msg);
	al_give_back(t, vm, 0);   /* its reservation went with the host */
	r.host_uuid = "";
	r.memory_size = 100 * GIB;
	ZST_CHECK(al_none_by(t, al_alloc(t, t->admin, &r, NULL, NULL), "kvm.capacity") &&
	    strstr(t->msg, "of 3 candidates") != NULL, "three hosts are left (%s)", t->msg);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "alloc", 170) != 0 || argc < 4)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	st_sim_port = zst_sim_start(argv[3]);
	static al_env e;
	al_setup(&e, st_sim_port);
	for (int i = 0; i < AL_HOSTS; i++)
		ZST_REQUIRE(al_cap_get(&e.t, e.h[i], &al_start[i]) &&
		    al_start[i].total_cpu == al_sim_hosts[i].cpu &&
		    al_start[i].available_memory == (al_sim_hosts[i].mem_gib - 1) * GIB,
		    "host %s: %d CPUs, %d GiB less 1 GiB reserved", al_sim_hosts[i].name,
		    al_sim_hosts[i].cpu, al_sim_hosts[i].mem_gib);

	check_basic(&e);
	check_filters(&e);
	check_state(&e);
	check_spread(&e);
	check_configs(&e);
	check_reconnect(&e);
	check_accounts(&e);
	check_bad_input(&e);
	al_same_vm(&e, 50);
	al_load(&e, 1000);
	check_host_deleted(&e);

	inv_stop(&e.t);
	ZST_CHECK(zst_sim_stop() == 0, "the simulator stops cleanly");
	curl_global_cleanup();
	return zst_summary();
}
