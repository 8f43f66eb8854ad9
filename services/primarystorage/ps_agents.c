/*
 * ps_agents.c: one command to the agents of many hosts at once (init a local storage on
 * every host of a cluster, mount an NFS share on each), on the node's HTTP facility: no
 * thread waits. Each host's answer lands in its own slot; the last one hands the whole
 * set to a worker.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps.h"
#include "zs/http.h"
#include "zs/work.h"

typedef struct ps_fan ps_fan;

typedef struct ps_slot {
	ps_fan *fan;
	size_t i;
} ps_slot;

struct ps_fan {
	ps_state *ps;
	ps_host_result *hosts;
	ps_slot *slots;
	size_t n;
	atomic_size_t left;
	bool capacity;                     /* the answers carry a capacity */
	ps_fanout_fn done;
	void *arg;
};

/* On a worker: tells the caller, frees the fan. */
static void
ps_fan_finish(void *arg)
{
	ps_fan *f = arg;
	f->done(f->hosts, f->n, f->arg);
	free(f->hosts);
	free(f->slots);
	free(f);
}

static void
ps_fan_one_done(ps_fan *f)
{
	if (atomic_fetch_sub(&f->left, 1) != 1)
		return;
	if (zs_work_submit(zs_node_work(f->ps->node), ps_fan_finish, f) != 0)
		ps_fan_finish(f);   /* the pool is stopping: finish here rather than never */
}

static void
ps_fan_answer(const zs_http_res *res, void *arg)
{
	ps_slot *s = arg;
	ps_host_result *h = &s->fan->hosts[s->i];
	h->code = res->code;
	if (res->code != 0) {
		char why[sizeof h->why - 80];
		zs_status_text(res->status, why, sizeof why);
		snprintf(h->why, sizeof h->why, "on %s: %s", h->ip, why);
	} else if (s->fan->capacity) {
		char why[256];
		if (ps_decode_capacity(res->reply, &h->total, &h->available, why, sizeof why) != 0) {
			h->code = ZS_INTERNAL;
			snprintf(h->why, sizeof h->why, "host %s (%s): %s", h->uuid, h->ip, why);
		}
	}
	ps_fan_one_done(s->fan);
}

void
ps_fanout(ps_state *ps, const zs_call *call, const ps_host_result *hosts, size_t n,
    const char *path, const json_t *cmd, bool capacity, ps_fanout_fn done, void *arg)
{
	ps_fan *f = calloc(1, sizeof *f);
	if (f != NULL) {
		f->hosts = calloc(n + 1, sizeof *f->hosts);
		f->slots = calloc(n + 1, sizeof *f->slots);
	}
	if (f == NULL || f->hosts == NULL || f->slots == NULL) {
		if (f != NULL) {
			free(f->hosts);
			free(f->slots);
		}
		free(f);
		ps_host_result *copy = calloc(n + 1, sizeof *copy);
		if (copy != NULL)
			for (size_t i = 0; i < n; i++) {
				copy[i] = hosts[i];
				copy[i].code = ZS_RESOURCE_EXHAUSTED;
				snprintf(copy[i].why, sizeof copy[i].why, "out of memory");
			}
		done(copy, copy != NULL ? n : 0, arg);
		free(copy);
		return;
	}
	f->ps = ps;
	f->n = n;
	f->capacity = capacity;
	f->done = done;
	f->arg = arg;
	memcpy(f->hosts, hosts, n * sizeof *hosts);
	atomic_init(&f->left, n + 1);   /* one for this loop: nothing ends before it does */
	for (size_t i = 0; i < n; i++) {
		ps_host_result *h = &f->hosts[i];
		f->slots[i].fan = f;
		f->slots[i].i = i;
		char url[PS_URL_MAX];
		zs_status *st = NULL;
		int rv = ZS_INVALID_ARGUMENT;
		json_t *c = json_deep_copy(cmd);
		if (c != NULL)
			json_object_set_new(c, "hostUuid", json_string(h->uuid));
		if (ps_url(ps, h->ip, path, url, sizeof url) == 0 && c != NULL) {
			zs_http_req req = { .host = h->uuid, .url = url, .json = c, .call = call,
			    .timeout_ms = call == NULL ? PS_AGENT_TIMEOUT_MS : 0, .async = true };
			rv = zs_http_post(zs_node_http(ps->node), &req, ps_fan_answer, &f->slots[i], &st);
		} else {
			st = zs_status_new(rv, NULL, "host %s: no agent URL for %s", h->uuid, h->ip);
		}
		json_decref(c);
		if (rv != 0) {
			h->code = rv;
			zs_status_text(st, h->why, sizeof h->why);
			zs_status_free(st);
			ps_fan_one_done(f);
		}
	}
	ps_fan_one_done(f);
}
