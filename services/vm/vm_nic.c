/*
 * vm_nic.c: a VM's NICs: MAC addresses (fa: and five random bytes; the unique index on
 * vm_nics.mac catches a repeat, which is made again), the bridge of each L3 network's L2
 * network (GetL3Network, GetL2Network over the bus, once per L3 network: remembered in
 * vm_state's bridges), the addresses (AllocateIp and ReleaseIp of the network service,
 * over the bus, one NIC after the other, each keyed by the NIC's uuid so that a retried
 * or replayed call takes or frees no second address, and marked with the VM so that a
 * create cut by a stop can be given back: vm_unmake.c), and the NICs as the agent's
 * /vm/start wants them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "vm.h"
#include "zs/bus.h"
#include "zs/network/v1/network.zsb.h"
#include "zs/work.h"

void
vm_nic_mac(char out[24])
{
	unsigned char b[5];
	if (getrandom(b, sizeof b, 0) != (ssize_t) sizeof b)
		for (size_t i = 0; i < sizeof b; i++)
			b[i] = (unsigned char) rand();
	snprintf(out, 24, "fa:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4]);
}

void
vm_nic_bridge(const char *iface, int vlan, char out[32])
{
	/* the network service's names (ZStack's, cut to Linux's 15 characters) */
	if (vlan > 0)
		snprintf(out, 32, "br_%.7s_%d", iface, vlan % 10000);
	else
		snprintf(out, 32, "br_%.12s", iface);
}

int
vm_nic_insert(zs_db_conn *c, const char *vm, const char *owner, vm_nic *nic, zs_status **st)
{
	char dev[16];
	snprintf(dev, sizeof dev, "%d", nic->device_id);
	for (int attempt = 0; ; attempt++) {
		if (nic->mac[0] == '\0')
			vm_nic_mac(nic->mac);
		const char *p[10] = { nic->uuid, vm, owner, nic->l3, nic->ip, nic->netmask,
		    nic->gateway, nic->mac, nic->bridge, dev };
		/* a savepoint, so that a MAC taken already does not abort the transaction */
		zs_status *ign = NULL;
		int rv = zs_db_run(c, "SAVEPOINT vm_nic", 0, NULL, NULL, st);
		if (rv != 0)
			return rv;
		rv = zs_db_run(c, "INSERT INTO vm_nics (uuid, vm_instance_uuid, owner_uuid, "
		    "l3_network_uuid, ip, netmask, gateway, mac, bridge_name, device_id) VALUES ($1, $2, "
		    "$3, $4, $5, $6, $7, $8, $9, $10::integer)", 10, p, NULL, &ign);
		if (rv == 0) {
			zs_status_free(ign);
			return zs_db_run(c, "RELEASE SAVEPOINT vm_nic", 0, NULL, NULL, st);
		}
		bool mac_taken = rv == ZS_ALREADY_EXISTS && ign != NULL && ign->message != NULL &&
		    attempt < 8;
		if (mac_taken) {
			bool on_mac = false;
			for (size_t i = 0; i < ign->n_details; i++)
				on_mac |= strstr(ign->details[i], "vm_nics_mac_key") != NULL;
			mac_taken = on_mac;
		}
		if (!mac_taken) {
			if (st != NULL)
				*st = ign;
			else
				zs_status_free(ign);
			return rv;
		}
		zs_status_free(ign);
		if ((rv = zs_db_run(c, "ROLLBACK TO SAVEPOINT vm_nic", 0, NULL, NULL, st)) != 0)
			return rv;
		nic->mac[0] = '\0';
	}
}

json_t *
vm_nic_json(const vm_nic *nics, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n && a != NULL; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}",
		    "uuid", nics[i].uuid, "mac", nics[i].mac, "ip", nics[i].ip, "netmask",
		    nics[i].netmask, "gateway", nics[i].gateway, "bridgeName", nics[i].bridge,
		    "l3NetworkUuid", nics[i].l3, "deviceId", nics[i].device_id));
	return a;
}

/* ---- the bridges of L3 networks, remembered ---- */

/* Copies l3's bridge into out; false when not known yet. */
static bool
vm_bridge_known(vm_state *vs, const char *l3, char out[32])
{
	vm_bridges *b = &vs->bridges;
	bool found = false;
	pthread_mutex_lock(&b->lock);
	for (size_t i = 0; i < b->n && !found; i++)
		if (strcmp(b->at[i].l3, l3) == 0) {
			snprintf(out, 32, "%s", b->at[i].bridge);
			found = true;
		}
	pthread_mutex_unlock(&b->lock);
	return found;
}

/* Remembers l3's bridge (the oldest goes when full). */
static void
vm_bridge_keep(vm_state *vs, const char *l3, const char *bridge)
{
	vm_bridges *b = &vs->bridges;
	pthread_mutex_lock(&b->lock);
	bool known = false;
	for (size_t i = 0; i < b->n && !known; i++)
		known = strcmp(b->at[i].l3, l3) == 0;
	if (!known) {
		size_t i = b->n < VM_BRIDGES_MAX ? b->n++ : b->next;
		b->next = (i + 1) % VM_BRIDGES_MAX;
		snprintf(b->at[i].l3, sizeof b->at[i].l3, "%s", l3);
		snprintf(b->at[i].bridge, sizeof b->at[i].bridge, "%s", bridge);
	}
	pthread_mutex_unlock(&b->lock);
}

/* ---- allocating and releasing, one NIC after the other ---- */

typedef struct vm_nics_job {
	vm_state *vs;
	const zs_call *parent;
	char vm[ZS_UUID_LEN];              /* the VM the addresses are for ("" unknown) */
	vm_nic *nics;
	size_t n, i;
	bool bridges, release;
	char l2[64];
	size_t allocated;                  /* nics[0..allocated) got their address */
	size_t maybe;                      /* a NIC whose AllocateIp failed late: its address
	                                    * may have been committed (SIZE_MAX: none) */
	vm_nic_fn done;
	void *arg;
	zs_status *first;                  /* the failure (release: the first) */
	Zs__Network__V1__GetL3NetworkRequest l3_req;
	Zs__Network__V1__GetL2NetworkRequest l2_req;
	Zs__Network__V1__AllocateIpRequest alloc_req;
	Zs__Network__V1__ReleaseIpRequest rel_req;
} vm_nics_job;

static void vm_nics_next(void *arg);

static zs_bus *
vm_nics_bus(vm_nics_job *j)
{
	return zs_node_bus(j->vs->node);
}

static void
vm_nics_end(vm_nics_job *j)
{
	j->done(j->first != NULL ? (int) j->first->code : 0, j->first, j->arg);
	zs_status_free(j->first);
	free(j);
}

/* Goes on with the next NIC on a worker (bus answers may come on any thread, and a long
 * list must not recurse). */
static void
vm_nics_go(vm_nics_job *j)
{
	if (zs_work_submit(zs_node_work(j->vs->node), vm_nics_next, j) != 0)
		vm_nics_next(j);
}

static void
vm_nics_released(int code, const zs_status *st, const Zs__Network__V1__UsedIpInfo *reply,
    void *arg)
{
	(void) reply;
	vm_nics_job *j = arg;
	if (code != 0 && code != ZS_NOT_FOUND && j->first == NULL) {
		j->first = st != NULL ? zs_status_copy(st) : zs_status_new(code, NULL, "ReleaseIp failed");
	} else if (code == 0 || code == ZS_NOT_FOUND) {
		j->nics[j->i].ip[0] = '\0';
	}
	j->i++;
	vm_nics_go(j);
}

/* A failed allocation: give back what was allocated (and, by its key, what the failed
 * AllocateIp may still have committed), then end with why. */
static void
vm_nics_unwind(vm_nics_job *j, zs_status *why)
{
	j->first = why;
	j->release = true;
	j->n = j->maybe != SIZE_MAX ? j->maybe + 1 : j->allocated;
	j->i = 0;
	j->parent = NULL;
	vm_nics_go(j);
}

static void
vm_nics_fail(vm_nics_job *j, int code, const zs_status *st, const char *what)
{
	zs_status *why = zs_status_new(code, NULL, "NIC %zu (L3 network %s): %s failed", j->i,
	    j->nics[j->i].l3, what);
	if (why != NULL && st != NULL)
		zs_status_set_cause(why, zs_status_copy(st));
	vm_nics_unwind(j, why);
}

static void
vm_nics_allocated(int code, const zs_status *st, const Zs__Network__V1__UsedIpInfo *reply,
    void *arg)
{
	vm_nics_job *j = arg;
	if (code != 0) {
		/* no answer in time, or none at all: it may have committed all the same */
		if (code == ZS_DEADLINE_EXCEEDED || code == ZS_UNAVAILABLE || code == ZS_CANCELLED ||
		    code == ZS_INTERNAL || code == ZS_UNKNOWN)
			j->maybe = j->i;
		vm_nics_fail(j, code, st, "AllocateIp");
		return;
	}
	vm_nic *n = &j->nics[j->i];
	snprintf(n->ip, sizeof n->ip, "%s", reply->ip);
	snprintf(n->netmask, sizeof n->netmask, "%s", reply->netmask);
	snprintf(n->gateway, sizeof n->gateway, "%s", reply->gateway);
	j->allocated = ++j->i;
	vm_nics_go(j);
}

static void
vm_nics_allocate_ip(vm_nics_job *j)
{
	zs__network__v1__allocate_ip_request__init(&j->alloc_req);
	j->alloc_req.l3_network_uuid = j->nics[j->i].l3;
	j->alloc_req.nic_uuid = j->nics[j->i].uuid;
	j->alloc_req.vm_uuid = j->vm;
	zs_network_v1_l3_network_allocate_ip_bus(vm_nics_bus(j), j->parent, &j->alloc_req,
	    vm_nics_allocated, j);
}

static void
vm_nics_l2(int code, const zs_status *st, const Zs__Network__V1__L2NetworkInfo *reply,
    void *arg)
{
	vm_nics_job *j = arg;
	if (code != 0) {
		vm_nics_fail(j, code, st, "GetL2Network");
		return;
	}
	vm_nic_bridge(reply->physical_interface, reply->vlan, j->nics[j->i].bridge);
	vm_bridge_keep(j->vs, j->nics[j->i].l3, j->nics[j->i].bridge);
	vm_nics_allocate_ip(j);
}

static void
vm_nics_l3(int code, const zs_status *st, const Zs__Network__V1__L3NetworkInfo *reply,
    void *arg)
{
	vm_nics_job *j = arg;
	if (code != 0) {
		vm_nics_fail(j, code, st, "GetL3Network");
		return;
	}
	snprintf(j->l2, sizeof j->l2, "%s", reply->l2_network_uuid);
	zs__network__v1__get_l2_network_request__init(&j->l2_req);
	j->l2_req.uuid = j->l2;
	zs_network_v1_l2_network_get_l2_network_bus(vm_nics_bus(j), j->parent, &j->l2_req,
	    vm_nics_l2, j);
}

static void
vm_nics_next(void *arg)
{
	vm_nics_job *j = arg;
	if (j->i >= j->n) {
		vm_nics_end(j);
		return;
	}
	vm_nic *n = &j->nics[j->i];
	if (j->release) {
		if (n->ip[0] == '\0' && j->i != j->maybe) {
			j->i++;
			vm_nics_go(j);
			return;
		}
		zs__network__v1__release_ip_request__init(&j->rel_req);
		j->rel_req.l3_network_uuid = n->l3;
		j->rel_req.ip = n->ip;
		j->rel_req.nic_uuid = n->uuid;
		zs_network_v1_l3_network_release_ip_bus(vm_nics_bus(j), NULL, &j->rel_req,
		    vm_nics_released, j);
		return;
	}
	/* a bridge known already: AllocateIp fails NOT_FOUND if its L3 network is gone */
	if (!j->bridges || vm_bridge_known(j->vs, n->l3, n->bridge)) {
		vm_nics_allocate_ip(j);
		return;
	}
	zs__network__v1__get_l3_network_request__init(&j->l3_req);
	j->l3_req.uuid = n->l3;
	zs_network_v1_l3_network_get_l3_network_bus(vm_nics_bus(j), j->parent, &j->l3_req,
	    vm_nics_l3, j);
}

static void
vm_nics_run(vm_state *vs, const zs_call *parent, const char *vm, vm_nic *nics, size_t n,
    bool bridges, bool release, vm_nic_fn done, void *arg)
{
	vm_nics_job *j = calloc(1, sizeof *j);
	if (j == NULL) {
		zs_status *st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		done(ZS_RESOURCE_EXHAUSTED, st, arg);
		zs_status_free(st);
		return;
	}
	j->vs = vs;
	j->parent = parent;
	snprintf(j->vm, sizeof j->vm, "%s", vm);
	j->nics = nics;
	j->n = n;
	j->bridges = bridges;
	j->release = release;
	j->maybe = SIZE_MAX;
	j->done = done;
	j->arg = arg;
	vm_nics_next(j);
}

void
vm_nic_allocate(vm_state *vs, const zs_call *parent, const char *vm, vm_nic *nics,
    size_t n, bool bridges, vm_nic_fn done, void *arg)
{
	vm_nics_run(vs, parent, vm, nics, n, bridges, false, done, arg);
}

void
vm_nic_release(vm_state *vs, vm_nic *nics, size_t n, vm_nic_fn done, void *arg)
{
	vm_nics_run(vs, NULL, "", nics, n, false, true, done, arg);
}
