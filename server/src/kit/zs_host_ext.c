/*
 * zs_host_ext.c: zs_host_connect_run, zs_host_maintenance_run and zs_host_status_run
 * (zs/host_ext.h): the implementations of zs.HostConnectExtension and
 * zs.HostMaintenanceExtension run one after the other, each on a worker thread, until one
 * fails or all are done; those of zs.HostStatusExtension are told of a status change one
 * after the other on one worker thread.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/ext.h"
#include "zs/host_ext.h"
#include "zs/work.h"

/* One run on its way; the strings copied; freed once done has run. */
typedef struct host_ext_run {
	zs_node *node;
	const char *point;                 /* ZS_EXT_HOST_CONNECT or ZS_EXT_HOST_MAINTENANCE */
	bool maintain;                     /* which of the two */
	zs_host_connect_ctx conn;          /* the context of the point run */
	zs_host_maintenance_ctx maint;
	char host_uuid[64], ip[64], url[512], policy[64];
	const zs_ext *const *exts;
	size_t n, next;
	zs_host_connect_done_fn done;      /* both points' done have this type */
	void *arg;
} host_ext_run;

static void host_ext_step(void *arg);

static void
host_ext_finish(host_ext_run *r, int code, zs_status *st)
{
	r->done(code, st, r->arg);
	free(r);
}

static void
host_ext_one_done(int code, zs_status *st, void *arg)
{
	host_ext_run *r = arg;
	if (code != 0) {
		const zs_ext *e = r->exts[r->next - 1];
		zs_status *why = zs_status_new(code, NULL, "%s (%s of %s) failed on host %s", e->name,
		    r->point, e->plugin, r->host_uuid);
		if (why != NULL) {
			zs_status_set_cause(why, st);
			st = why;
		}
		host_ext_finish(r, code, st);
		return;
	}
	zs_status_free(st);
	if (zs_work_submit(zs_node_work(r->node), host_ext_step, r) != 0)
		host_ext_finish(r, ZS_UNAVAILABLE, zs_status_new(ZS_UNAVAILABLE, NULL,
		    "the node is stopping"));
}

/* On a worker: runs the next implementation, or ends. */
static void
host_ext_step(void *arg)
{
	host_ext_run *r = arg;
	if (r->next >= r->n) {
		host_ext_finish(r, 0, NULL);
		return;
	}
	const void *impl = r->exts[r->next++]->impl;
	if (r->maintain)
		((const zs_host_maintenance_ext *) impl)->host_maintain(r->node, &r->maint,
		    host_ext_one_done, r);
	else
		((const zs_host_connect_ext *) impl)->host_connected(r->node, &r->conn,
		    host_ext_one_done, r);
}

/* A run of point's implementations for host, or NULL when done was already called (none
 * to run, or no memory). */
static host_ext_run *
host_ext_new(zs_node *node, const char *point, const char *host,
    zs_host_connect_done_fn done, void *arg)
{
	size_t n = 0;
	const zs_ext *const *exts = zs_ext_list(zs_node_extensions(node), point, &n);
	if (n == 0) {
		done(0, NULL, arg);
		return NULL;
	}
	host_ext_run *r = calloc(1, sizeof *r);
	if (r == NULL) {
		done(ZS_RESOURCE_EXHAUSTED, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"),
		    arg);
		return NULL;
	}
	r->node = node;
	r->point = point;
	r->maintain = strcmp(point, ZS_EXT_HOST_MAINTENANCE) == 0;
	snprintf(r->host_uuid, sizeof r->host_uuid, "%s", host != NULL ? host : "");
	r->exts = exts;
	r->n = n;
	r->done = done;
	r->arg = arg;
	return r;
}

static void
host_ext_start(host_ext_run *r)
{
	if (zs_work_submit(zs_node_work(r->node), host_ext_step, r) != 0) {
		zs_host_connect_done_fn done = r->done;
		void *arg = r->arg;
		free(r);
		done(ZS_UNAVAILABLE, zs_status_new(ZS_UNAVAILABLE, NULL, "the node is stopping"), arg);
	}
}

void
zs_host_connect_run(zs_node *node, const zs_host_connect_ctx *ctx,
    zs_host_connect_done_fn done, void *arg)
{
	host_ext_run *r = host_ext_new(node, ZS_EXT_HOST_CONNECT, ctx->host_uuid, done, arg);
	if (r == NULL)
		return;
	snprintf(r->ip, sizeof r->ip, "%s", ctx->management_ip ? ctx->management_ip : "");
	snprintf(r->url, sizeof r->url, "%s", ctx->agent_url ? ctx->agent_url : "");
	r->conn.host_uuid = r->host_uuid;
	r->conn.management_ip = r->ip;
	r->conn.agent_url = r->url;
	r->conn.deadline_ms = ctx->deadline_ms;
	host_ext_start(r);
}

void
zs_host_maintenance_run(zs_node *node, const zs_host_maintenance_ctx *ctx,
    zs_host_maintenance_done_fn done, void *arg)
{
	host_ext_run *r = host_ext_new(node, ZS_EXT_HOST_MAINTENANCE, ctx->host_uuid, done, arg);
	if (r == NULL)
		return;
	snprintf(r->policy, sizeof r->policy, "%s", ctx->policy ? ctx->policy : "");
	r->maint.host_uuid = r->host_uuid;
	r->maint.policy = r->policy;
	r->maint.migration_quantity = ctx->migration_quantity > 0 ? ctx->migration_quantity : 1;
	r->maint.deadline_ms = ctx->deadline_ms;
	r->maint.call = ctx->call;
	host_ext_start(r);
}

/* One status notice on its way; the strings copied. */
typedef struct host_status_run {
	zs_node *node;
	char host_uuid[64], ip[64], url[512], old_status[32], new_status[32];
} host_status_run;

/* On a worker: tells every implementation. */
static void
host_status_tell(void *arg)
{
	host_status_run *r = arg;
	size_t n = 0;
	const zs_ext *const *exts = zs_ext_list(zs_node_extensions(r->node), ZS_EXT_HOST_STATUS, &n);
	zs_host_status_ctx ctx = { r->host_uuid, r->ip, r->url, r->old_status, r->new_status };
	for (size_t i = 0; i < n; i++) {
		const zs_host_status_ext *impl = exts[i]->impl;
		impl->host_status_changed(r->node, &ctx);
	}
	free(r);
}

void
zs_host_status_run(zs_node *node, const zs_host_status_ctx *ctx)
{
	size_t n = 0;
	zs_ext_list(zs_node_extensions(node), ZS_EXT_HOST_STATUS, &n);
	if (n == 0)
		return;
	host_status_run *r = calloc(1, sizeof *r);
	if (r == NULL)
		return;   /* a notice lost to memory: the next change or sync catches up */
	r->node = node;
	snprintf(r->host_uuid, sizeof r->host_uuid, "%s", ctx->host_uuid ? ctx->host_uuid : "");
	snprintf(r->ip, sizeof r->ip, "%s", ctx->management_ip ? ctx->management_ip : "");
	snprintf(r->url, sizeof r->url, "%s", ctx->agent_url ? ctx->agent_url : "");
	snprintf(r->old_status, sizeof r->old_status, "%s", ctx->old_status ? ctx->old_status : "");
	snprintf(r->new_status, sizeof r->new_status, "%s", ctx->new_status ? ctx->new_status : "");
	if (zs_work_submit(zs_node_work(node), host_status_tell, r) != 0)
		free(r);   /* stopping */
}
