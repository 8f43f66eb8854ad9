/*
 * kvm_connect.c: connecting a host to its agent, three commands in a row on the node's
 * HTTP facility (no thread waits on them):
 *
 *   /host/connect   synchronous: tells the agent its hostUuid and our version
 *   /host/fact      asynchronous: qemu-img and libvirt versions, CPU model and flag, OS
 *   /host/capacity  asynchronous: CPUs and memory, total and used
 *
 * then the implementations of zs.HostConnectExtension (zs/host_ext.h: the network
 * service's bridges; a failure fails the connect), then, on a worker,
 * kvm_store_connected writes the tags, the capacity row and Connected in one transaction. The first failure ends it; nothing is written then (the caller
 * decides what the host becomes). One deadline bounds the three.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"
#include "zs/clock.h"
#include "zs/host_ext.h"
#include "zs/http.h"
#include "zs/work.h"


/* One connect on its way; freed once done has run. */
typedef struct kvm_conn {
	kvm_state *ks;
	char uuid[64];
	char ip[64];
	int64_t deadline_ms;
	kvm_connect_fn done;
	void *arg;
	json_t *facts, *capacity;
	int code;
	zs_status *st;
} kvm_conn;

static void kvm_conn_step(kvm_conn *k, const char *path, bool async, zs_http_done_fn fn);

/* On a worker: tells the caller and frees k. */
static void
kvm_conn_finish_work(void *arg)
{
	kvm_conn *k = arg;
	k->done(k->code, k->st, k->arg);
	json_decref(k->facts);
	json_decref(k->capacity);
	free(k);
}

/* On a worker: stores what the agent said, then finishes. */
static void
kvm_conn_store_work(void *arg)
{
	kvm_conn *k = arg;
	k->code = kvm_store_connected(k->ks, k->uuid, k->facts, k->capacity, &k->st);
	if (k->code == 0)   /* every (re)connect: the VMs there are looked at again */
		kvm_store_notify(k->ks, k->uuid, k->ip, "Connecting", "Connected");
	kvm_conn_finish_work(k);
}

/* Ends k with code and st (taken; 0 and NULL: store first), on a worker. */
static void
kvm_conn_end(kvm_conn *k, int code, zs_status *st)
{
	k->code = code;
	k->st = st;
	void (*fn)(void *) = code == 0 ? kvm_conn_store_work : kvm_conn_finish_work;
	if (zs_work_submit(zs_node_work(k->ks->node), fn, k) != 0)
		fn(k);   /* the pool is stopping: finish here rather than never */
}

/* A failed command's status, with the agent's own as its cause. */
static zs_status *
kvm_conn_why(const kvm_conn *k, const zs_http_res *res, const char *what)
{
	zs_status *st = zs_status_new(res->code, NULL, "host %s (%s): %s failed", k->uuid, k->ip,
	    what);
	if (st != NULL && res->status != NULL)
		zs_status_set_cause(st, zs_status_copy(res->status));
	return st;
}

static void
kvm_conn_exts_done(int code, zs_status *st, void *arg)
{
	kvm_conn_end(arg, code, st);
}

static void
kvm_conn_capacity_done(const zs_http_res *res, void *arg)
{
	kvm_conn *k = arg;
	if (res->code != 0) {
		kvm_conn_end(k, res->code, kvm_conn_why(k, res, "/host/capacity"));
		return;
	}
	k->capacity = json_incref(res->reply);
	/* then what other services do on a connecting host (zs.HostConnectExtension) */
	char url[KVM_URL_MAX] = "";
	(void) kvm_url(k->ks, k->ip, "", url, sizeof url);
	zs_host_connect_ctx ctx = { k->uuid, k->ip, url, k->deadline_ms };
	zs_host_connect_run(k->ks->node, &ctx, kvm_conn_exts_done, k);
}

static void
kvm_conn_fact_done(const zs_http_res *res, void *arg)
{
	kvm_conn *k = arg;
	if (res->code != 0) {
		kvm_conn_end(k, res->code, kvm_conn_why(k, res, "/host/fact"));
		return;
	}
	k->facts = json_incref(res->reply);
	kvm_conn_step(k, "/host/capacity", true, kvm_conn_capacity_done);
}

static void
kvm_conn_connect_done(const zs_http_res *res, void *arg)
{
	kvm_conn *k = arg;
	if (res->code != 0) {
		kvm_conn_end(k, res->code, kvm_conn_why(k, res, "/host/connect"));
		return;
	}
	kvm_conn_step(k, "/host/fact", true, kvm_conn_fact_done);
}

/* Posts path to k's agent; fn gets the answer. */
static void
kvm_conn_step(kvm_conn *k, const char *path, bool async, zs_http_done_fn fn)
{
	char url[KVM_URL_MAX];
	zs_status *st = NULL;
	if (kvm_url(k->ks, k->ip, path, url, sizeof url) != 0) {
		kvm_conn_end(k, ZS_INVALID_ARGUMENT, zs_status_new(ZS_INVALID_ARGUMENT, NULL,
		    "the agent URL of %s is too long", k->ip));
		return;
	}
	json_t *cmd = strcmp(path, "/host/connect") == 0 ?
	    json_pack("{s:s, s:s, s:s}", "hostUuid", k->uuid, "sendCommandUrl", "", "version",
	    KVM_AGENT_VERSION) : json_pack("{s:s}", "hostUuid", k->uuid);
	if (cmd == NULL) {
		kvm_conn_end(k, ZS_RESOURCE_EXHAUSTED, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL,
		    "out of memory"));
		return;
	}
	zs_http_req req = { .host = k->uuid, .url = url, .json = cmd, .deadline_ms = k->deadline_ms,
	    .async = async };
	int rv = zs_http_post(zs_node_http(k->ks->node), &req, fn, k, &st);
	json_decref(cmd);
	if (rv != 0)
		kvm_conn_end(k, rv, st);
}

void
kvm_connect(kvm_state *ks, const char *uuid, const char *ip, const zs_call *call,
    kvm_connect_fn done, void *arg)
{
	kvm_conn *k = calloc(1, sizeof *k);
	if (k == NULL) {
		done(ZS_RESOURCE_EXHAUSTED, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"),
		    arg);
		return;
	}
	k->ks = ks;
	snprintf(k->uuid, sizeof k->uuid, "%s", uuid);
	snprintf(k->ip, sizeof k->ip, "%s", ip);
	k->deadline_ms = zs_clock_ms() + ks->connect_timeout_ms;
	if (call != NULL && zs_call_deadline_ms(call) < k->deadline_ms)
		k->deadline_ms = zs_call_deadline_ms(call);
	k->done = done;
	k->arg = arg;
	kvm_conn_step(k, "/host/connect", false, kvm_conn_connect_done);
}

