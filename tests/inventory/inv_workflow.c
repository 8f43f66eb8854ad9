/*
 * inv_workflow.c: AddHost is a workflow whose failed steps undo what came before. For
 * each step, a node started with host.fail_step=STEP fails AddHost right after STEP did
 * its work; then, asked through the API as the admin, nothing of the host is left: not in
 * the host table (ListHosts, GetHost), not in the resource registry (Tags/List and
 * Tags/Create on its uuid answer NOT_FOUND), and its name and IP are free (the same
 * AddHost fails at the same step again, not on a conflict), and host/created went out
 * only if the host was committed (then with host/deleted after it). A node given an
 * unknown step does not start. The steps share one node's database, the node started
 * again with each step's setting.
 */
#include <stdio.h>
#include <string.h>

#include "inv.h"

static const char *const inv_steps[] = {
	"check-cluster", "insert-resource", "insert-host", "hypervisor", "publish", "commit",
	"connect",
};

/* The host uuid in the failure message ("... for host UUID: ..."), or "". */
static void
inv_failed_uuid(const char *msg, char uuid[INV_UUID])
{
	const char *at = strstr(msg, "for host ");
	uuid[0] = '\0';
	if (at != NULL && strlen(at + 9) >= 36)
		snprintf(uuid, INV_UUID, "%.36s", at + 9);
}

/* One step's case on t, a node started with host.fail_step=step. */
static void
inv_fail_at(inv *t, const char *step)
{
	const char *a = t->admin;
	char z[INV_UUID], c[INV_UUID], h[INV_UUID], none[INV_UUID];
	inv_events ev;
	bool subscribed = inv_events_open(&ev, t->node.events_url) == 0;
	if (!ZST_CHECK(inv_zone_create(t, a, "wf-zone", z) == 0 &&
	    inv_cluster_create(t, a, z, "wf-cluster", NULL, c) == 0,
	    "a zone and a cluster (%s)", t->msg)) {
		if (subscribed)
			inv_events_close(&ev);
		return;
	}
	int code = inv_host_add(t, a, c, "wf-host", "127.3.0.1", none);
	inv_failed_uuid(t->msg, h);
	ZST_CHECK(code == INV_ABORTED && strcmp(t->error_code, "HOST.1003") == 0 &&
	    t->description[0] != '\0' && strstr(t->msg, step) != NULL && strlen(h) == 36,
	    "[%s] AddHost fails at the step, with HOST.1003 and its description (%s)", step, t->msg);
	ZST_CHECK(inv_host_count(t, a, c, NULL, NULL) == 0 &&
	    inv_host_count(t, a, NULL, NULL, NULL) == 0,
	    "[%s] ListHosts (of the cluster, of all) is empty", step);
	ZST_CHECK(inv_host_get(t, a, h, NULL) == INV_NOT_FOUND, "[%s] GetHost of its uuid: NOT_FOUND "
	    "(%s)", step, t->msg);
	ZST_CHECK(inv_tag_count(t, a, h) == -1 && t->code == INV_NOT_FOUND,
	    "[%s] Tags/List of its uuid: NOT_FOUND, no row in zs_resources (%s)", step, t->msg);
	ZST_CHECK(inv_tag(t, a, h, "leftover", false, NULL) == INV_NOT_FOUND,
	    "[%s] Tags/Create on its uuid: NOT_FOUND (%s)", step, t->msg);
	code = inv_host_add(t, a, c, "wf-host", "127.3.0.1", none);
	ZST_CHECK(code == INV_ABORTED && strcmp(t->error_code, "HOST.1003") == 0,
	    "[%s] the same AddHost again fails at the step, not on a taken name or IP (%s)", step,
	    t->msg);
	/* the event is written in the host's transaction: it goes out only with a commit, and
	 * after a commit the undo's own transaction sends host/deleted */
	if (strcmp(step, "commit") == 0 || strcmp(step, "connect") == 0)
		ZST_CHECK(subscribed && inv_events_has(&ev, "host/created", h, INV_EVENT_WAIT_MS) &&
		    inv_events_has(&ev, "host/deleted", h, INV_EVENT_WAIT_MS),
		    "[%s] host/created went out with the commit, so its undo sent host/deleted", step);
	else
		ZST_CHECK(subscribed && !inv_events_has(&ev, "host/created", h, 500),
		    "[%s] no host/created went out: it was rolled back with the host", step);
	if (subscribed)
		inv_events_close(&ev);
	ZST_CHECK(inv_cluster_get(t, a, c, NULL) == 0 && inv_zone_delete(t, a, z, NULL) == 0,
	    "[%s] the cluster is untouched; the zone deletes (%s)", step, t->msg);
}

/* host.fail_step naming no step stops the start, listing the steps. */
static void
inv_unknown_step(void)
{
	const char *const sets[] = { "host.fail_step=no-such-step", NULL };
	zst_node n;
	if (!ZST_CHECK(zst_node_spawn(&n, NULL, sets) == 0, "a node with host.fail_step=no-such-step "
	    "is spawned"))
		return;
	int code = zst_node_wait_exit(&n, 60000);
	ZST_CHECK(code > 0 && zst_node_stderr_has(&n, "host.fail_step") &&
	    zst_node_stderr_has(&n, "insert-resource"),
	    "it does not start, naming the property and the steps (exit %d)", code);
	if (code <= 0)
		zst_node_dump_stderr(&n);
	zst_node_check_sanitizers(&n, "the node that refused to start");
	zst_node_cleanup(&n);
}

/* Every step on one node, started again with the next host.fail_step on the same
 * database (each case leaves nothing of its host, which is what it checks): a fresh node
 * per step made a PostgreSQL cluster each time. */
void
inv_test_workflow(void)
{
	inv t;
	bool up = false;
	for (size_t i = 0; i < sizeof inv_steps / sizeof inv_steps[0]; i++) {
		char set[64];
		snprintf(set, sizeof set, "host.fail_step=%s", inv_steps[i]);
		const char *const sets[] = { set, NULL };
		up = up ? inv_restart(&t, sets) : inv_start(&t, sets);
		if (ZST_CHECK(up, "a node with %s starts", set))
			inv_fail_at(&t, inv_steps[i]);
	}
	if (up)
		inv_stop(&t);
	inv_unknown_step();
}
