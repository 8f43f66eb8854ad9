/*
 * network_bridge.c: bridges on hosts, through the node's HTTP facility (zs/http.h) and
 * ZStack's agent paths. For every (host, L2) pair: /network/checkphysicalnetworkinterface,
 * then /network/l2novlan/createbridge or /network/l2vlan/createbridge; all pairs at once
 * (the facility keeps each host to kvm.host.syncLevel commands). The job ends when the
 * last pair is answered, on a worker thread, with the first failure if any.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "network.h"
#include "zs/http.h"
#include "zs/work.h"

typedef struct br_job br_job;

/* One (host, L2) pair. */
typedef struct br_task {
	br_job *job;
	size_t h, l;
} br_task;

struct br_job {
	zs_node *node;
	int64_t deadline_ms;
	net_host *hosts;
	net_l2 *l2s;
	size_t nh, nl;
	bool *made;
	br_task *tasks;
	pthread_mutex_t lock;
	size_t pending;
	int code;
	zs_status *st;
	net_bridges_fn fn;
	void *arg;
};

static void
br_job_free(br_job *j)
{
	pthread_mutex_destroy(&j->lock);
	zs_status_free(j->st);
	free(j->hosts);
	free(j->l2s);
	free(j->made);
	free(j->tasks);
	free(j);
}

static void
br_job_finish(void *arg)
{
	br_job *j = arg;
	zs_status *st = j->st;
	j->st = NULL;
	j->fn(j->code, st, j->made, j->arg);
	br_job_free(j);
}

/* A pair is done (code 0: its bridge was made). Keeps the first failure. */
static void
br_task_end(br_task *t, int code, zs_status *st)
{
	br_job *j = t->job;
	pthread_mutex_lock(&j->lock);
	if (code == 0)
		j->made[t->h * j->nl + t->l] = true;
	if (code != 0 && j->code == 0) {
		j->code = code;
		j->st = st;
		st = NULL;
	}
	bool last = --j->pending == 0;
	pthread_mutex_unlock(&j->lock);
	zs_status_free(st);
	if (last && zs_work_submit(zs_node_work(j->node), br_job_finish, j) != 0)
		br_job_finish(j);
}

/* The failure of a command of t, naming host, path and bridge, the agent's as cause. */
static zs_status *
br_why(const br_task *t, int code, const zs_status *cause, const char *path)
{
	const br_job *j = t->job;
	zs_status *st = zs_status_new(code, NULL, "host %s: %s for bridge %s of L2 network %s failed",
	    j->hosts[t->h].uuid, path, j->l2s[t->l].bridge, j->l2s[t->l].uuid);
	if (st != NULL && cause != NULL)
		zs_status_set_cause(st, zs_status_copy(cause));
	return st;
}

/* Posts path with cmd (taken) for t; fn gets the answer. false when it could not go. */
static bool
br_post(br_task *t, const char *path, json_t *cmd, zs_http_done_fn fn)
{
	br_job *j = t->job;
	char url[NET_URL_MAX + 64];
	snprintf(url, sizeof url, "%s%s", j->hosts[t->h].url, path);
	zs_http_req req = { .host = j->hosts[t->h].uuid, .url = url, .json = cmd,
	    .deadline_ms = j->deadline_ms, .async = true };
	zs_status *st = NULL;
	int rv = cmd != NULL ? zs_http_post(zs_node_http(j->node), &req, fn, t, &st) :
	    ZS_RESOURCE_EXHAUSTED;
	json_decref(cmd);
	if (rv == 0)
		return true;
	zs_status *why = br_why(t, rv, st, path);
	zs_status_free(st);
	br_task_end(t, rv, why);
	return false;
}

static const char *
br_create_path(const net_l2 *l2)
{
	return l2->vlan > 0 ? "/network/l2vlan/createbridge" : "/network/l2novlan/createbridge";
}

static void
br_created(const zs_http_res *res, void *arg)
{
	br_task *t = arg;
	br_task_end(t, res->code, res->code != 0 ? br_why(t, res->code, res->status,
	    br_create_path(&t->job->l2s[t->l])) : NULL);
}

static void
br_checked(const zs_http_res *res, void *arg)
{
	br_task *t = arg;
	if (res->code != 0) {
		br_task_end(t, res->code, br_why(t, res->code, res->status,
		    "/network/checkphysicalnetworkinterface"));
		return;
	}
	const net_l2 *l2 = &t->job->l2s[t->l];
	json_t *cmd = l2->vlan > 0 ?
	    json_pack("{s:s, s:s, s:i, s:s}", "physicalInterfaceName", l2->iface, "bridgeName",
	    l2->bridge, "vlan", l2->vlan, "l2NetworkUuid", l2->uuid) :
	    json_pack("{s:s, s:s, s:s}", "physicalInterfaceName", l2->iface, "bridgeName", l2->bridge,
	    "l2NetworkUuid", l2->uuid);
	(void) br_post(t, br_create_path(l2), cmd, br_created);
}

void
net_bridges_make(zs_node *node, int64_t deadline_ms, const net_host *hosts, size_t nh,
    const net_l2 *l2s, size_t nl, net_bridges_fn fn, void *arg)
{
	if (nh == 0 || nl == 0) {
		fn(0, NULL, NULL, arg);
		return;
	}
	br_job *j = calloc(1, sizeof *j);
	if (j != NULL) {
		j->hosts = malloc(nh * sizeof *hosts);
		j->l2s = malloc(nl * sizeof *l2s);
		j->made = calloc(nh * nl, sizeof *j->made);
		j->tasks = calloc(nh * nl, sizeof *j->tasks);
	}
	if (j == NULL || j->hosts == NULL || j->l2s == NULL || j->made == NULL || j->tasks == NULL) {
		if (j != NULL) {
			free(j->hosts);
			free(j->l2s);
			free(j->made);
			free(j->tasks);
			free(j);
		}
		fn(ZS_RESOURCE_EXHAUSTED, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"),
		    NULL, arg);
		return;
	}
	memcpy(j->hosts, hosts, nh * sizeof *hosts);
	memcpy(j->l2s, l2s, nl * sizeof *l2s);
	j->node = node;
	j->deadline_ms = deadline_ms;
	j->nh = nh;
	j->nl = nl;
	j->fn = fn;
	j->arg = arg;
	j->pending = nh * nl;
	pthread_mutex_init(&j->lock, NULL);
	for (size_t h = 0; h < nh; h++)
		for (size_t l = 0; l < nl; l++) {
			br_task *t = &j->tasks[h * nl + l];
			t->job = j;
			t->h = h;
			t->l = l;
		}
	/* the last task to end frees j: read nothing of it after the last post */
	size_t n = nh * nl;
	br_task *tasks = j->tasks;
	for (size_t i = 0; i < n; i++) {
		br_task *t = &tasks[i];
		json_t *cmd = json_pack("{s:[s]}", "interfaceNames", l2s[t->l].iface);
		(void) br_post(t, "/network/checkphysicalnetworkinterface", cmd, br_checked);
	}
}

/* Nobody waits for a delete. */
static void
br_deleted(const zs_http_res *res, void *arg)
{
	(void) res;
	(void) arg;
}

void
net_bridges_delete(zs_node *node, const net_host *hosts, size_t nh, const net_l2 *l2s,
    size_t nl, const bool *made)
{
	for (size_t h = 0; h < nh; h++)
		for (size_t l = 0; l < nl; l++) {
			if (made != NULL && !made[h * nl + l])
				continue;
			char url[NET_URL_MAX + 64];
			snprintf(url, sizeof url, "%s%s", hosts[h].url, l2s[l].vlan > 0 ?
			    "/network/l2vlan/deletebridge" : "/network/l2novlan/deletebridge");
			json_t *cmd = json_pack("{s:s, s:s, s:s}", "physicalInterfaceName", l2s[l].iface,
			    "bridgeName", l2s[l].bridge, "l2NetworkUuid", l2s[l].uuid);
			zs_http_req req = { .host = hosts[h].uuid, .url = url, .json = cmd,
			    .timeout_ms = 10000, .async = true };
			if (cmd != NULL)
				(void) zs_http_post(zs_node_http(node), &req, br_deleted, NULL, NULL);
			json_decref(cmd);
		}
}
