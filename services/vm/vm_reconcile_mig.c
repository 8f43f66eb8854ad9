/*
 * vm_reconcile_mig.c: a VM left Migrating by a node that stopped in the middle of a
 * migration (vm_migrate.c), set at start to where it runs. Both hosts are asked
 * (/vm/vmsync on the source, then on the destination when the row names one): the VM
 * stays where a host runs it (the source when both do: the hypervisor's migration had not
 * ended), Running or Paused as that host has it; the other host's capacity is given back
 * (ReturnHostCapacity on that host only), so no VM keeps both reservations. Neither runs
 * it: Stopped, all its capacity given back, the source as last host. A host that cannot
 * be asked: Unknown, on the host that may run it (the source unless the source says it
 * does not), the other's capacity given back; the sync with the hosts settles it later.
 * The capacity goes first, then the row: stopped between, the next start does the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "zs/bus.h"
#include "zs/host/v1/host.zsb.h"
#include "zs/log.h"
#include "zs/work.h"

enum { VM_RM_SRC, VM_RM_DST };

typedef struct vm_rec_mig {
	vm_state *vs;
	char uuid[ZS_UUID_LEN];
	char host[2][64];                    /* source, destination ("" unknown) */
	char state[2][VM_DECODE_STATE];      /* what each says: Running, Paused, Stopped,
	                                      * Unknown (cannot be asked) */
	int i;                               /* the host being asked */
	int keep;                            /* the host it stays on (-1: none) */
	char to[VM_DECODE_STATE];
	vm_rec_mig_fn done;
	void *arg;
	Zs__Host__V1__ReturnHostCapacityRequest ret_req;
} vm_rec_mig;

static void vm_rm_ask(vm_rec_mig *m);

static void
vm_rm_end(vm_rec_mig *m)
{
	m->done(m->arg);
	free(m);
}

static bool
vm_rm_runs(const vm_rec_mig *m, int i)
{
	return strcmp(m->state[i], "Running") == 0 || strcmp(m->state[i], "Paused") == 0;
}

/* On a worker: the row, from Migrating to where it is. */
static void
vm_rm_record(void *arg)
{
	vm_rec_mig *m = arg;
	zs_status *st = NULL;
	const char *from[2] = { "Migrating", NULL };
	const char *set;
	const char *p[2] = { m->host[VM_RM_SRC], m->host[VM_RM_DST] };
	int n = 0;
	if (m->keep == VM_RM_SRC) {
		set = "migrate_dst_uuid = ''";
	} else if (m->keep == VM_RM_DST) {
		set = "host_uuid = $3, last_host_uuid = $2, migrate_dst_uuid = ''";
		n = 2;
	} else {
		set = "host_uuid = '', last_host_uuid = $2, migrate_dst_uuid = ''";
		n = 1;
	}
	int rv = vm_store_transit_conn(m->vs, NULL, m->uuid, from, m->to, "reconcile", NULL, set,
	    n, p, NULL, &st);
	char why[256] = "";
	zs_status_text(st, why, sizeof why);
	zs_log(rv == 0 ? ZS_LOG_INFO : ZS_LOG_WARN, "vm", "VM %s was Migrating at start (source %s: "
	    "%s, destination %s: %s): %s%s%s%s%s", m->uuid, m->host[VM_RM_SRC], m->state[VM_RM_SRC],
	    m->host[VM_RM_DST][0] ? m->host[VM_RM_DST] : "none", m->state[VM_RM_DST],
	    rv == 0 ? "now " : "cannot set it ", m->to, m->keep >= 0 ? " on host " : "",
	    m->keep >= 0 ? m->host[m->keep] : "", rv == 0 ? "" : why);
	zs_status_free(st);
	vm_rm_end(m);
}

static void
vm_rm_returned(int code, const zs_status *st, const Zs__Host__V1__ReturnHostCapacityResponse *x,
    void *arg)
{
	(void) x;
	vm_rec_mig *m = arg;
	if (code != 0 && code != ZS_NOT_FOUND) {
		char why[256];
		zs_status_text(st, why, sizeof why);
		zs_log(ZS_LOG_WARN, "vm", "VM %s: the capacity it held while migrating could not be "
		    "given back: %s", m->uuid, why);
	}
	if (zs_work_submit(zs_node_work(m->vs->node), vm_rm_record, m) != 0)
		vm_rm_record(m);
}

/* Both asked: where it stays, the other's capacity back, then the row. */
static void
vm_rm_decide(vm_rec_mig *m)
{
	bool unknown = strcmp(m->state[VM_RM_SRC], "Unknown") == 0 ||
	    strcmp(m->state[VM_RM_DST], "Unknown") == 0;
	if (vm_rm_runs(m, VM_RM_SRC))
		m->keep = VM_RM_SRC;
	else if (vm_rm_runs(m, VM_RM_DST))
		m->keep = VM_RM_DST;
	else if (unknown)   /* the source, unless it says it does not run it */
		m->keep = strcmp(m->state[VM_RM_SRC], "Unknown") != 0 && m->host[VM_RM_DST][0] ?
		    VM_RM_DST : VM_RM_SRC;
	else
		m->keep = -1;
	snprintf(m->to, sizeof m->to, "%s", m->keep < 0 ? "Stopped" : !unknown ||
	    vm_rm_runs(m, m->keep) ? m->state[m->keep] : "Unknown");
	zs__host__v1__return_host_capacity_request__init(&m->ret_req);
	m->ret_req.vm_uuid = m->uuid;
	/* the other host's only; none kept: all it holds */
	m->ret_req.host_uuid = m->keep < 0 ? "" : m->host[1 - m->keep];
	if (m->keep >= 0 && m->host[1 - m->keep][0] == '\0') {
		vm_rm_returned(0, NULL, NULL, m);   /* no destination: nothing else held */
		return;
	}
	zs_host_v1_host_return_host_capacity_bus(zs_node_bus(m->vs->node), NULL, &m->ret_req,
	    vm_rm_returned, m);
}

static void
vm_rm_next(vm_rec_mig *m)
{
	m->i++;
	if (m->i > VM_RM_DST)
		vm_rm_decide(m);
	else
		vm_rm_ask(m);
}

static void
vm_rm_synced(int code, const zs_status *st, const json_t *reply, void *arg)
{
	vm_rec_mig *m = arg;
	const char *uuids[1] = { m->uuid };
	char why[256] = "";
	if (code != 0)
		zs_status_text(st, why, sizeof why);
	if (code != 0 || vm_decode_states(reply, uuids, 1, &m->state[m->i], why, sizeof why) != 0) {
		zs_log(ZS_LOG_WARN, "vm", "VM %s: host %s cannot say whether it runs it: %s", m->uuid,
		    m->host[m->i], why);
		snprintf(m->state[m->i], sizeof m->state[0], "Unknown");
	}
	vm_rm_next(m);
}

static void
vm_rm_host_ip(int code, const zs_status *st, const char *ip, void *arg)
{
	vm_rec_mig *m = arg;
	if (code != 0) {
		char why[256];
		zs_status_text(st, why, sizeof why);
		zs_log(ZS_LOG_WARN, "vm", "VM %s: host %s: %s", m->uuid, m->host[m->i], why);
		/* a host that is gone runs nothing */
		snprintf(m->state[m->i], sizeof m->state[0], "%s", code == ZS_NOT_FOUND ? "Stopped" :
		    "Unknown");
		vm_rm_next(m);
		return;
	}
	json_t *cmd = json_pack("{s:s}", "hostUuid", m->host[m->i]);
	vm_agent_post(m->vs, NULL, m->host[m->i], ip, "/vm/vmsync", cmd, 0, vm_rm_synced, m);
}

static void
vm_rm_ask(vm_rec_mig *m)
{
	if (m->host[m->i][0] == '\0') {   /* no destination written: it never left */
		snprintf(m->state[m->i], sizeof m->state[0], "Stopped");
		vm_rm_next(m);
		return;
	}
	vm_agent_host_ip(m->vs, m->host[m->i], vm_rm_host_ip, m);
}

void
vm_reconcile_mig(vm_state *vs, const char *uuid, const char *src, const char *dst,
    vm_rec_mig_fn done, void *arg)
{
	vm_rec_mig *m = calloc(1, sizeof *m);
	if (m == NULL) {
		zs_log(ZS_LOG_WARN, "vm", "VM %s was Migrating at start: out of memory", uuid);
		done(arg);
		return;
	}
	m->vs = vs;
	m->done = done;
	m->arg = arg;
	snprintf(m->uuid, sizeof m->uuid, "%s", uuid);
	snprintf(m->host[VM_RM_SRC], sizeof m->host[0], "%s", src);
	snprintf(m->host[VM_RM_DST], sizeof m->host[0], "%s", strcmp(dst, src) != 0 ? dst : "");
	m->i = VM_RM_SRC;
	vm_rm_ask(m);
}
