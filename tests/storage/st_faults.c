/*
 * st_faults.c: every fault kind of the simulator on a volume's create (fail, http, hang,
 * lose, a delay past the deadline, die) leaves no volume, reservation or file and says
 * why; and the sync tracker picking up a new host, and one that stops answering.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

/* One fault on path of host sim_host while creating a volume of a uuid of ours. */
static void
check_fault(st_env *e, const char *fault, const char *agent_path, bool nfs, const char *host_ip,
    const char *host_uuid, uint32_t timeout_ms, const char *want_text)
{
	inv *t = &e->t;
	const char *ps = nfs ? e->nfs : e->local;
	char uuid[64], path[512], body[512];
	unsigned n = ++e->faults;
	snprintf(uuid, sizeof uuid, "0000%04x-0000-4000-8000-00000000%04x", n, n);
	snprintf(path, sizeof path, "%s/dataVolumes/vol-%s/%s.qcow2", nfs ? "" : LOCAL_URL, uuid, uuid);
	int64_t before = st_available(t, ps, NULL);
	int count = st_vol_count(t, NULL, NULL);
	snprintf(body, sizeof body, "{\"path\":\"%s\",%s}", agent_path, fault);
	st_sim_do("POST", "/sim/faults", body);
	int code = st_vol_create_as(t, uuid, 3 * GIB, ps, host_uuid, timeout_ms);
	char msg[1024];
	snprintf(msg, sizeof msg, "%s", t->msg);
	st_sim_do("DELETE", "/sim/faults", NULL);
	/* the rollback may still run after a deadline: give it a moment */
	int64_t until = zst_now_ms() + 8000;
	bool clean = false;
	char full[1024] = "";
	while (!clean && zst_now_ms() < until) {
		Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
		if (st_ps_get(t, ps, &p) == 0 && nfs)
			snprintf(full, sizeof full, "%s%s", p->mount_path, path);
		zs_reply_free(p);
		clean = st_available(t, ps, NULL) == before && st_vol_count(t, NULL, NULL) == count &&
		    st_vol_get(t, t->admin, uuid, NULL) == INV_NOT_FOUND &&
		    !st_sim_has(host_ip, nfs, nfs ? full : path);
		if (!clean)
			zst_sleep_ms(100);
	}
	ZST_CHECK(code != 0 && clean && (want_text == NULL || (strstr(msg, want_text) != NULL &&
	    strstr(msg, agent_path) != NULL && strstr(msg, host_ip) != NULL)),
	    "%s %s {%s}: the create fails%s, and nothing is left: no volume, no file, capacity as "
	    "before (%s)", nfs ? "NFS" : "LocalStorage", agent_path, fault,
	    want_text ? " naming the agent's error, the path and the host" : "", msg);
}

void
st_check_faults(st_env *e)
{
	inv *t = &e->t;
	const char *le = "/localstorage/volume/createempty", *ne = "/nfsprimarystorage/createemptyvolume";
	check_fault(e, "\"action\":\"fail\",\"error\":\"qemu-img: disk full\"", le, false, "127.0.3.1",
	    e->h1, 0, "qemu-img: disk full");
	check_fault(e, "\"action\":\"http\",\"status\":503,\"error\":\"agent overloaded\"", le, false,
	    "127.0.3.1", e->h1, 0, "503");
	check_fault(e, "\"action\":\"fail\",\"error\":\"nfs server not responding\"", ne, true,
	    "127.0.3.3", e->h3, 0, "nfs server not responding");
	check_fault(e, "\"action\":\"http\",\"status\":500,\"error\":\"boom\"", ne, true, "127.0.3.3",
	    e->h3, 0, "500");
	/* no answer: the agent's time ends a fifth before the call's, so the call still says
	 * which (3 s: on a loaded machine the node may see the call a few hundred ms late) */
	check_fault(e, "\"action\":\"hang\"", le, false, "127.0.3.1", e->h1, 3000, "no answer");
	check_fault(e, "\"action\":\"lose\"", ne, true, "127.0.3.3", e->h3, 3000, "no callback");
	/* the agent makes the file but answers after the deadline: the file is deleted again */
	check_fault(e, "\"action\":\"delay\",\"delayMs\":4500", le, false, "127.0.3.1", e->h1, 3000,
	    "no callback");
	/* a delay within the deadline is only slower */
	st_sim_do("POST", "/sim/faults", "{\"path\":\"/localstorage/*\",\"action\":\"delay\","
	    "\"delayMs\":300}");
	Zs__Volume__V1__VolumeInfo *v = NULL;
	int code = st_vol_create(t, t->admin, "slow", GIB, e->local, e->h1, 0, &v);
	st_sim_do("DELETE", "/sim/faults", NULL);
	ZST_CHECK(code == 0 && strcmp(v->status, "Ready") == 0, "a 300 ms delay: made, Ready (%s)",
	    t->msg);
	if (code == 0)
		ZST_CHECK(st_vol_delete(t, t->admin, v->uuid) == 0, "and deleted");
	zs_reply_free(v);
	/* a host that dies: unreachable; nothing kept though the undo cannot reach it either */
	check_fault(e, "\"host\":\"s1\",\"action\":\"die\"", le, false, "127.0.3.1", e->h1, 3000,
	    "Couldn't connect");
	st_sim_do("POST", "/sim/reset", NULL);   /* revives s1; the agents forget their disks */
	/* the agents forgot their hostUuid too: the ping tracker reconnects the hosts first */
	int64_t until = zst_now_ms() + 10000;
	int connected = 0;
	while (connected < 3 && zst_now_ms() < until) {
		const char *hs[3] = { e->h1, e->h2, e->h3 };
		connected = 0;
		for (int i = 0; i < 3; i++) {
			Zs__Host__V1__HostInfo *h = NULL;
			connected += inv_host_get(t, t->admin, hs[i], &h) == 0 &&
			    strcmp(h->status, "Connected") == 0;
			zs_reply_free(h);
		}
		if (connected < 3)
			zst_sleep_ms(200);
	}
	zst_sleep_ms(600);   /* past a ping round that may still see the old agents */
	ZST_CHECK(connected == 3, "the three hosts are Connected again");
	Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
	ZST_CHECK(st_ps_reconnect(t, e->local, &p) == 0 && p->n_hosts == 2 &&
	    p->available_physical_capacity == 2 * TIB &&
	    strcmp(st_share(p, e->h1)->status, "Connected") == 0 && st_sim_count("s1", "/localstorage/init") >= 1,
	    "ReconnectPrimaryStorage inits it again on s1 and s2 (%s)", t->msg);
	zs_reply_free(p);
	p = NULL;
	ZST_CHECK(st_ps_reconnect(t, e->nfs, &p) == 0 && p->n_hosts == 3 &&
	    st_sim_count("s3", "/nfsprimarystorage/mount") >= 1, "and mounts NFS again on 3 hosts (%s)",
	    t->msg);
	zs_reply_free(p);
}

/* A host added to c1 gets its shares as it connects (the primary storage service's
 * zs.HostConnectExtension), not at the sync tracker's next round; the tracker (every
 * second here) then follows its status. */
void
st_check_sync(st_env *e)
{
	inv *t = &e->t;
	st_sim_do("POST", "/sim/hosts", "{\"name\":\"s4\",\"ip\":\"127.0.3.4\"}");
	char h4[INV_UUID];
	st_add_kvm(t, e->c1, "s4", "127.0.3.4", h4);
	Zs__Primarystorage__V1__PrimaryStorageInfo *lp = NULL, *np = NULL;
	bool local = st_ps_get(t, e->local, &lp) == 0 && st_share(lp, h4) != NULL &&
	    strcmp(st_share(lp, h4)->status, "Connected") == 0 &&
	    st_share(lp, h4)->total_capacity == TIB && lp->total_capacity == 3 * TIB;
	bool nfs = st_ps_get(t, e->nfs, &np) == 0 && st_share(np, h4) != NULL &&
	    strcmp(st_share(np, h4)->status, "Connected") == 0 && np->n_hosts == 4;
	zs_reply_free(lp);
	zs_reply_free(np);
	if (!(local && nfs))
		zst_node_dump_stderr(&t->node);
	ZST_CHECK(local && nfs && st_sim_count("s4", "/localstorage/init") >= 1 &&
	    st_sim_count("s4", "/nfsprimarystorage/mount") >= 1,
	    "a host added to c1 afterwards has its shares when AddKvmHost answers: inited and "
	    "NFS mounted as it connected, LocalStorage 3 TiB on 3 hosts, NFS 4 hosts");
	/* a host that goes Disconnected: its share too, and no volume goes there meanwhile */
	st_sim_do("POST", "/sim/faults", "{\"host\":\"s4\",\"path\":\"/host/*\",\"action\":\"fail\","
	    "\"error\":\"agent wedged\"}");
	/* generous: a sync round may wait on an agent's command to s4 for its whole timeout
	 * (PS_AGENT_TIMEOUT_MS, 10 s) before the next round sees the host's status */
	int64_t until = zst_now_ms() + 25000;
	bool down = false;
	char why[512] = "";
	while (!down && zst_now_ms() < until) {
		Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
		down = st_ps_get(t, e->local, &p) == 0 && st_share(p, h4) != NULL &&
		    strcmp(st_share(p, h4)->status, "Disconnected") == 0;
		if (down)
			snprintf(why, sizeof why, "%s", st_share(p, h4)->status_reason);
		zs_reply_free(p);
		if (!down)
			zst_sleep_ms(100);
	}
	ZST_CHECK(down && strstr(why, "(127.0.3.4) is ") != NULL, "s4 failing its pings: its share "
	    "becomes Disconnected, saying why (%s)", why);
	int code = st_vol_create(t, t->admin, "on-s4", GIB, e->local, h4, 0, NULL);
	ZST_CHECK(code == 9 && strstr(t->msg, "Disconnected") != NULL,
	    "a volume on s4 meanwhile: FAILED_PRECONDITION (%s)", t->msg);
	st_sim_do("DELETE", "/sim/faults", NULL);
	until = zst_now_ms() + 25000;
	bool up = false;
	while (!up && zst_now_ms() < until) {
		Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
		up = st_ps_get(t, e->local, &p) == 0 && st_share(p, h4) != NULL &&
		    strcmp(st_share(p, h4)->status, "Connected") == 0;
		zs_reply_free(p);
		if (!up)
			zst_sleep_ms(100);
	}
	ZST_CHECK(up, "once its agent answers again, s4 is reconnected and its share Connected");
	ZST_CHECK(inv_host_delete(t, t->admin, h4) == 0, "DeleteHost s4 (%s)", t->msg);
	Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
	ZST_CHECK(st_ps_get(t, e->local, &p) == 0 && st_share(p, h4) == NULL && p->total_capacity == 2 * TIB,
	    "its share goes with it: 2 TiB again");
	zs_reply_free(p);
}

