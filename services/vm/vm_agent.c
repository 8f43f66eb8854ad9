/*
 * vm_agent.c: commands to the KVM agents of hosts (/vm/start, /vm/stop, /vm/destroy,
 * /vm/reboot, /vm/pause, /vm/resume, /vm/checkstate), asynchronous with a callback URL on
 * the node's HTTP facility: no thread waits. The caller's done always runs on a worker,
 * so it may use the database and the bus. Also where a host's agent is (GetHost over the
 * bus, as the node) and the start command of a VM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "zs/bus.h"
#include "zs/host/v1/host.zsb.h"
#include "zs/http.h"
#include "zs/work.h"

/* One command on its way; freed once done has run. */
typedef struct vm_post {
	vm_state *vs;
	vm_agent_fn done;
	void *arg;
	int code;
	zs_status *st;
	json_t *reply;
} vm_post;

static void
vm_post_finish(void *arg)
{
	vm_post *k = arg;
	k->done(k->code, k->st, k->reply, k->arg);
	zs_status_free(k->st);
	json_decref(k->reply);
	free(k);
}

static void
vm_post_end(vm_post *k)
{
	if (zs_work_submit(zs_node_work(k->vs->node), vm_post_finish, k) != 0)
		vm_post_finish(k);   /* the pool is stopping: finish here rather than never */
}

static void
vm_post_done(const zs_http_res *res, void *arg)
{
	vm_post *k = arg;
	k->code = res->code;
	if (res->code != 0)
		k->st = res->status != NULL ? zs_status_copy(res->status) :
		    zs_status_new(res->code, NULL, "the agent's command failed");
	else
		k->reply = json_incref(res->reply);
	vm_post_end(k);
}

void
vm_agent_post(vm_state *vs, const zs_call *call, const char *host, const char *ip,
    const char *path, json_t *cmd, int64_t timeout_ms, vm_agent_fn done, void *arg)
{
	vm_post *k = calloc(1, sizeof *k);
	if (k == NULL) {
		json_decref(cmd);
		zs_status *st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		done(ZS_RESOURCE_EXHAUSTED, st, NULL, arg);
		zs_status_free(st);
		return;
	}
	k->vs = vs;
	k->done = done;
	k->arg = arg;
	char url[VM_URL_MAX];
	if (cmd == NULL || zs_agent_url(&vs->agent, ip, path, url, sizeof url) != 0) {
		json_decref(cmd);
		k->code = cmd == NULL ? ZS_RESOURCE_EXHAUSTED : ZS_INVALID_ARGUMENT;
		k->st = zs_status_new(k->code, NULL, "host %s: no command for %s (%s)", host, path, ip);
		vm_post_end(k);
		return;
	}
	if (timeout_ms <= 0 && call == NULL)
		timeout_ms = VM_AGENT_TIMEOUT_MS;
	zs_http_req req = { .host = host, .url = url, .json = cmd, .call = call,
	    .timeout_ms = timeout_ms > 0 ? timeout_ms : 0, .async = true };
	zs_status *st = NULL;
	int rv = zs_http_post(zs_node_http(vs->node), &req, vm_post_done, k, &st);
	json_decref(cmd);
	if (rv != 0) {
		k->code = rv;
		k->st = zs_status_new(rv, NULL, "host %s (%s): %s could not be sent", host, ip, path);
		if (k->st != NULL && st != NULL)
			zs_status_set_cause(k->st, st);
		else
			zs_status_free(st);
		vm_post_end(k);
	}
}

/* ---- the address of a host's agent ---- */

typedef struct vm_hip {
	Zs__Host__V1__GetHostRequest req;
	char uuid[64];
	vm_host_ip_fn done;
	void *arg;
} vm_hip;

static void
vm_host_got(int code, const zs_status *st, const Zs__Host__V1__HostInfo *reply, void *arg)
{
	vm_hip *h = arg;
	h->done(code, st, code == 0 ? reply->management_ip : NULL, h->arg);
	free(h);
}

void
vm_agent_host_ip(vm_state *vs, const char *host, vm_host_ip_fn done, void *arg)
{
	vm_hip *h = calloc(1, sizeof *h);
	if (h == NULL) {
		zs_status *st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		done(ZS_RESOURCE_EXHAUSTED, st, NULL, arg);
		zs_status_free(st);
		return;
	}
	snprintf(h->uuid, sizeof h->uuid, "%s", host);
	zs__host__v1__get_host_request__init(&h->req);
	h->req.uuid = h->uuid;
	h->done = done;
	h->arg = arg;
	zs_host_v1_host_get_host_bus(zs_node_bus(vs->node), NULL, &h->req, vm_host_got, h);
}

/* ---- /vm/start ---- */

json_t *
vm_agent_start_cmd(const vm_row *vm, const char *root_path, const char *root_ps,
    const char (*data_paths)[VM_PATH_MAX])
{
	json_t *data = json_array();
	for (size_t i = 0; i < vm->n_data && data != NULL; i++)
		json_array_append_new(data, json_pack("{s:s, s:s, s:i}", "volumeUuid", vm->data[i],
		    "installPath", data_paths != NULL ? data_paths[i] : "", "deviceId", (int) i + 1));
	return json_pack("{s:s, s:s, s:I, s:I, s:s, s:{s:s, s:s, s:s, s:i}, s:o*, s:o*}",
	    "vmInstanceUuid", vm->uuid, "vmName", vm->name, "memory", (json_int_t) vm->memory,
	    "cpuNum", (json_int_t) vm->cpu, "bootDev", "hd",
	    "rootVolume", "volumeUuid", vm->root_volume, "installPath", root_path,
	    "primaryStorageUuid", root_ps, "deviceId", 0,
	    "dataVolumes", data, "nics", vm_nic_json(vm->nics, vm->n_nics));
}
