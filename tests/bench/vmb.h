/*
 * vmb.h: what the files of zsbench_vm (the VM benchmark) share: the cloud it builds
 * through libzsclient (vmb_cloud.c), the figures read from /proc and from the node's
 * PostgreSQL, and the checks at the end (vmb_check.c).
 */
#ifndef VMB_H
#define VMB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "zs/client.h"
#include "zst_node.h"

#define VMB_UUID 64

/* The cloud the VMs go into. */
typedef struct vmb_cloud {
	char zone[VMB_UUID], cluster[VMB_UUID], ps[VMB_UUID], bs[VMB_UUID], image[VMB_UUID];
	char l2[VMB_UUID], l3[VMB_UUID], offering[VMB_UUID];
	int64_t cpu_num, memory;        /* the offering's */
} vmb_cloud;

/* ---- vmb_cloud.c ---- */

/* Calls method as session, synchronously, with timeout_ms; the new resource's uuid (its
 * "uuid" field) to uuid (may be NULL). The code; a failure is printed. */
int vmb_call(zs_client *c, const char *session, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *reply, char uuid[VMB_UUID], uint32_t timeout_ms);
/* Builds the zone, a KVM cluster, hosts KVM hosts at 127.0.1.1 and up (ADDED inflight at a
 * time), LocalStorage, an Sftp backup storage at bs_ip with an image, an L2/L3 with
 * 10.0.0.0/16 (65,534 addresses) and an offering (1 vCPU, 256 MiB);
 * 0, or -1 after saying why. */
int vmb_cloud_build(zs_client *c, const char *session, long hosts, const char *bs_ip,
    vmb_cloud *out);

/* ---- vmb_check.c ---- */

/* The node's PostgreSQL through libpq; NULL after saying why. */
struct pg_conn *vmb_pg_open(const zst_node *n);
/* Transactions committed in the node's database so far (pg_stat_database), or -1. */
long long vmb_pg_commits(struct pg_conn *pg);
/* Prints the events in the log by topic, per VM of vms. */
void vmb_pg_events(struct pg_conn *pg, long vms);
/* The checks at the end: want VMs all Running, one NIC, used address and root volume
 * each, reservations and capacities that add up on every host, the simulator's count of
 * VMs (sim_vms, < 0: unknown) the same. Prints each; the number that failed. */
int vmb_check(struct pg_conn *pg, const vmb_cloud *cl, long want, long sim_vms);

/* Samples pg_stat_activity every 20 ms on a thread of its own until stopped; NULL after
 * saying why. Stop prints the top statements most often seen running. */
typedef struct vmb_sampler vmb_sampler;
vmb_sampler *vmb_sampler_start(const zst_node *n);
void vmb_sampler_stop(vmb_sampler *s, int top);

/* ---- vmb_events.c ---- */

/* Watches the node's feed for vm/created (at most cap) on a thread of its own; NULL after
 * saying why. Stop prints how long they took from their write to the subscriber. */
typedef struct vmb_evwatch vmb_evwatch;
vmb_evwatch *vmb_evwatch_start(const zst_node *n, long cap);
void vmb_evwatch_stop(vmb_evwatch *w);

/* ---- vm_bench.c ---- */

/* qsort's order of doubles; the q quantile of the n sorted values v, ignoring negative
 * ones (unknown), or -1 when none is known. */
int vmb_cmp(const void *a, const void *b);
double vmb_quantile(const double *v, long n, double q);

#endif
