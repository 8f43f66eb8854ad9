/*
 * alloc.h: what the host allocator suite's files share: its cloud on the simulator (a
 * zone, clusters c1 and c2 of two KVM hosts each with set capacities, a LocalStorage on
 * both, a backup storage attached to the zone and one not, an L2/L3 attached to c1 only),
 * AllocateHost and ReturnHostCapacity calls, and a host's capacity as GetKvmHost shows it.
 * The checks are in alloc_test.c (filters, sorting, configs, accounts, reconnect) and
 * alloc_load.c (1,000 allocations at once).
 */
#ifndef ALLOC_H
#define ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "inv.h"
#include "kvmt.h"
#include "st.h"

#define AL_HOSTS 4
#define HM "zs.host.v1.Host/"

/* The cloud the checks share. Hosts h[0], h[1] in c1 (127.0.1.x), h[2], h[3] in c2
 * (127.0.3.x). */
typedef struct al_env {
	inv t;
	char zone[INV_UUID], c1[INV_UUID], c2[INV_UUID];
	char h[AL_HOSTS][INV_UUID];
	char ps[INV_UUID], bs1[INV_UUID], bs2[INV_UUID], l2[INV_UUID], l3[INV_UUID];
} al_env;

/* The simulated hosts: name, IP, CPUs, memory in GiB. */
extern const struct al_sim_host { const char *name, *ip; int cpu, mem_gib; } al_sim_hosts[AL_HOSTS];

/* A new random uuid for a VM. */
void al_vm_uuid(char out[INV_UUID]);
/* An AllocateHostRequest for vm of cpu CPUs and mem bytes, nothing else asked. */
void al_req(Zs__Host__V1__AllocateHostRequest *r, const char *vm, int64_t cpu, int64_t mem);
/* AllocateHost as session s: the code; the host chosen into host (may be NULL; "" on
 * failure) and what is held (may be NULL). */
int al_alloc(inv *t, const char *s, const Zs__Host__V1__AllocateHostRequest *r,
    char host[INV_UUID], Zs__Host__V1__AllocateHostResponse **out);
/* ReturnHostCapacity as s (host NULL: everywhere): the code; how many went to *returned. */
int al_return(inv *t, const char *s, const char *vm, const char *host, int *returned);
/* GetKvmHost's capacity of host: false when it cannot be read. */
typedef struct al_cap {
	int64_t total_cpu, available_cpu, total_memory, available_memory, reserved_memory;
	int64_t reservations, reserved_cpu, reserved_vm_memory;
} al_cap;
bool al_cap_get(inv *t, const char *host, al_cap *c);
/* Which of e's hosts uuid is (0..3), or -1. */
int al_host_index(const al_env *e, const char *uuid);
/* GlobalConfig/Update (value) or Reset (NULL) of kvm.NAME as the admin: the code. */
int al_config(inv *t, const char *name, const char *value);

/* Makes the cloud (the test stops when a step fails). */
void al_setup(al_env *e, int sim_port);

/* alloc_load.c: n AllocateHost at once (distinct VMs) over the hosts, then every VM
 * returned at once, then again; capacity stays exact throughout. */
void al_load(al_env *e, int n);
/* n AllocateHost at once for one VM: all answer the same host, which holds it once. */
void al_same_vm(al_env *e, int n);

#endif
