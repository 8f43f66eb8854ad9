/*
 * bs_agent.c: commands to a backup storage's agent (ZStack's SftpBackupStorage paths under
 * /sftpbackupstorage/) on the node's HTTP facility, and connecting one: connect is
 * synchronous and answers the total and available capacity, which are stored with
 * Connected in one transaction. The caller's done always runs on a worker thread, so it
 * may use the database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs.h"
#include "bs_answer.h"
#include "zs/clock.h"
#include "zs/http.h"
#include "zs/work.h"


/* One command on its way; freed once done has run. */
typedef struct bs_post {
	bs_state *bs;
	char uuid[64], hostname[64], path[128];
	bs_agent_fn done;
	void *arg;
	int code;
	zs_status *st;
	json_t *reply;
} bs_post;

static void
bs_post_finish(void *arg)
{
	bs_post *k = arg;
	k->done(k->code, k->st, k->reply, k->arg);
	json_decref(k->reply);
	free(k);
}

static void
bs_post_end(bs_post *k)
{
	if (zs_work_submit(zs_node_work(k->bs->node), bs_post_finish, k) != 0)
		bs_post_finish(k);   /* the pool is stopping: finish here rather than never */
}

static void
bs_post_done(const zs_http_res *res, void *arg)
{
	bs_post *k = arg;
	k->code = res->code;
	if (res->code != 0) {
		/* the facility's status names the host, the path and the HTTP status; the
		 * agent's own error text is its cause */
		k->st = res->status != NULL ? zs_status_copy(res->status) :
		    zs_status_new(res->code, NULL, "backup storage %s (%s): %s failed", k->uuid,
		    k->hostname, k->path);
	} else {
		k->reply = json_incref(res->reply);
	}
	bs_post_end(k);
}

void
bs_agent_post(bs_state *bs, const char *uuid, const char *hostname, const char *path,
    json_t *cmd, bool async, int64_t deadline_ms, bs_agent_fn done, void *arg)
{
	bs_post *k = calloc(1, sizeof *k);
	if (k == NULL) {
		done(ZS_RESOURCE_EXHAUSTED, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"),
		    NULL, arg);
		return;
	}
	k->bs = bs;
	snprintf(k->uuid, sizeof k->uuid, "%s", uuid);
	snprintf(k->hostname, sizeof k->hostname, "%s", hostname);
	snprintf(k->path, sizeof k->path, "%s", path);
	k->done = done;
	k->arg = arg;
	char url[BS_URL_MAX];
	if (bs_url(bs, hostname, path, url, sizeof url) != 0) {
		k->code = ZS_INVALID_ARGUMENT;
		k->st = zs_status_new(ZS_INVALID_ARGUMENT, NULL, "the agent URL of %s is too long",
		    hostname);
		bs_post_end(k);
		return;
	}
	zs_http_req req = { .host = k->uuid, .url = url, .json = cmd, .async = async,
	    .deadline_ms = deadline_ms,
	    .timeout_ms = deadline_ms == 0 ? bs->connect_timeout_ms : 0 };
	zs_status *st = NULL;
	int rv = zs_http_post(zs_node_http(bs->node), &req, bs_post_done, k, &st);
	if (rv != 0) {
		k->code = rv;
		k->st = zs_status_new(rv, NULL, "backup storage %s (%s): %s failed", uuid, hostname,
		    path);
		if (k->st != NULL && st != NULL)
			zs_status_set_cause(k->st, st);
		else
			zs_status_free(st);
		bs_post_end(k);
	}
}

/* ---- connecting ---- */

typedef struct bs_conn {
	bs_state *bs;
	char uuid[64];
	bs_connect_fn done;
	void *arg;
} bs_conn;

static void
bs_conn_done(int code, zs_status *st, const json_t *reply, void *arg)
{
	bs_conn *k = arg;
	if (code == 0) {
		int64_t total, avail;
		char why[256];
		if (!bs_answer_capacity(reply, &total, &avail, why, sizeof why)) {
			code = ZS_INTERNAL;
			st = zs_status_new(ZS_INTERNAL, NULL, "backup storage %s: the agent's answer to "
			    "/sftpbackupstorage/connect: %s", k->uuid, why);
		} else {
			code = bs_store_connected(k->bs, k->uuid, total, avail, &st);
		}
	}
	k->done(code, st, k->arg);
	free(k);
}

void
bs_connect(bs_state *bs, const char *uuid, const char *hostname, const char *url,
    const zs_call *call, bs_connect_fn done, void *arg)
{
	bs_conn *k = calloc(1, sizeof *k);
	json_t *cmd = json_pack("{s:s, s:s}", "uuid", uuid, "storagePath", url);
	if (k == NULL || cmd == NULL) {
		free(k);
		json_decref(cmd);
		done(ZS_RESOURCE_EXHAUSTED, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"),
		    arg);
		return;
	}
	k->bs = bs;
	snprintf(k->uuid, sizeof k->uuid, "%s", uuid);
	k->done = done;
	k->arg = arg;
	int64_t deadline = zs_clock_ms() + bs->connect_timeout_ms;
	if (call != NULL && zs_call_deadline_ms(call) < deadline)
		deadline = zs_call_deadline_ms(call);
	bs_agent_post(bs, uuid, hostname, "/sftpbackupstorage/connect", cmd, false, deadline,
	    bs_conn_done, k);
	json_decref(cmd);
}
