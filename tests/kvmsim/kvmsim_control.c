/*
 * kvmsim_control.c: what zs-kvmsim does with a request. /sim/... is the control API
 * (hosts, faults, reset, the command log, stats, commands in flight); anything else is an agent path of the
 * host the request reached, run through the faults first. Agent commands are answered in
 * the body for connect and echo (or when no callback URL came), else acknowledged at
 * once and answered later through the callback URL, as the real agent does.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmsim.h"

uint64_t
sim_rand(sim *s)
{
	uint64_t x = s->rand_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return s->rand_state = x;
}

void
sim_answer_json(sim_answer *ans, int status, json_t *o)
{
	ans->status = status;
	ans->body = o != NULL ? json_dumps(o, JSON_COMPACT) : strdup("{}");
	json_decref(o);
}

static void
ctl_error(sim_answer *ans, int status, const char *why)
{
	sim_answer_json(ans, status, json_pack("{s:b, s:s}", "success", 0, "error", why));
}

/* The value of key in the query string of path ("?a=1&b=2"), copied into out. */
static bool
ctl_query(const char *path, const char *key, char *out, size_t outlen)
{
	const char *q = strchr(path, '?');
	size_t kl = strlen(key);
	for (const char *p = q; p != NULL && *p != '\0'; p = strchr(p, '&')) {
		p++;
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			const char *v = p + kl + 1;
			size_t n = strcspn(v, "&");
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
	}
	return false;
}

static json_t *
ctl_host_url(sim *s, const sim_host *h)
{
	char url[320];
	if (h->ip != NULL)
		snprintf(url, sizeof url, "http://%s:%d", h->ip, s->port);
	else
		snprintf(url, sizeof url, "http://127.0.0.1:%d/hosts/%s", s->port, h->name);
	return json_pack("{s:s, s:s?, s:s}", "name", h->name, "ip", h->ip, "url", url);
}

/* POST /sim/hosts: {name, ip, cpu, memory, facts}, {"hosts": [...]}, or
 * {"count": N, "namePrefix": "h", "ipFrom": "127.0.1.1", cpu, memory, facts}. */
static void
ctl_add_hosts(sim *s, const json_t *cmd, sim_answer *ans)
{
	json_t *list = json_array(), *out = json_array();
	char why[256];
	if (json_is_array(json_object_get(cmd, "hosts"))) {
		json_array_extend(list, json_object_get(cmd, "hosts"));
	} else if (json_is_integer(json_object_get(cmd, "count"))) {
		json_int_t n = json_integer_value(json_object_get(cmd, "count"));
		const char *prefix = json_string_value(json_object_get(cmd, "namePrefix"));
		const char *from = json_string_value(json_object_get(cmd, "ipFrom"));
		struct in_addr a;
		if (n < 0 || n > 1000000 || (from != NULL && inet_pton(AF_INET, from, &a) != 1)) {
			json_decref(list);
			json_decref(out);
			ctl_error(ans, 400, "count must be 0..1000000 and ipFrom an IPv4 address");
			return;
		}
		for (json_int_t i = 0; i < n; i++) {
			json_t *d = json_deep_copy(cmd);
			char name[128], ip[INET_ADDRSTRLEN];
			json_object_del(d, "count");
			json_object_del(d, "namePrefix");
			json_object_del(d, "ipFrom");
			snprintf(name, sizeof name, "%s%lld", prefix != NULL ? prefix : "host", (long long) i + 1);
			json_object_set_new(d, "name", json_string(name));
			if (from != NULL) {
				struct in_addr b = { .s_addr = htonl(ntohl(a.s_addr) + (uint32_t) i) };
				inet_ntop(AF_INET, &b, ip, sizeof ip);
				json_object_set_new(d, "ip", json_string(ip));
			}
			json_array_append_new(list, d);
		}
	} else {
		json_array_append(list, (json_t *) cmd);
	}
	size_t i;
	json_t *d;
	json_array_foreach(list, i, d) {
		sim_host *h = sim_host_add(s, d, why, sizeof why);
		if (h == NULL) {
			char msg[400];
			snprintf(msg, sizeof msg, "host %zu: %s (%zu added before it)", i + 1, why, i);
			json_decref(list);
			json_decref(out);
			ctl_error(ans, 400, msg);
			return;
		}
		json_array_append_new(out, ctl_host_url(s, h));
	}
	json_decref(list);
	sim_answer_json(ans, 200, json_pack("{s:b, s:o}", "success", 1, "hosts", out));
}

/* POST /sim/faults: one fault or {"faults": [...]}. A fault:
 * {host: NAME|"*", path: "/vm/start", "/vm/ANY" (a trailing star) or "*", action: fail|http|hang|lose|die|delay,
 *  error: TEXT, status: 503, delayMs: N, times: N (0 or absent: always), fraction: 0..1} */
static void
ctl_add_faults(sim *s, const json_t *cmd, sim_answer *ans)
{
	json_t *list = json_object_get(cmd, "faults"), *one = json_array(), *f;
	if (!json_is_array(list)) {
		json_array_append(one, (json_t *) cmd);
		list = one;
	}
	size_t i;
	json_array_foreach(list, i, f) {
		const char *a = json_string_value(json_object_get(f, "action"));
		const char *known[] = { "fail", "http", "hang", "lose", "die", "delay" };
		bool ok = false;
		for (size_t k = 0; a != NULL && k < 6; k++)
			ok |= strcmp(a, known[k]) == 0;
		if (!ok) {
			json_decref(one);
			ctl_error(ans, 400, "a fault's action is fail, http, hang, lose, die or delay");
			return;
		}
	}
	json_array_foreach(list, i, f) {
		json_t *c = json_deep_copy(f);
		if (json_object_get(c, "host") == NULL)
			json_object_set_new(c, "host", json_string("*"));
		if (json_object_get(c, "path") == NULL)
			json_object_set_new(c, "path", json_string("*"));
		json_object_set_new(c, "hits", json_integer(0));
		json_array_append_new(s->faults, c);
	}
	json_decref(one);
	sim_answer_json(ans, 200, json_pack("{s:b, s:O}", "success", 1, "faults", s->faults));
}

static void
ctl_log(sim *s, const char *path, sim_answer *ans)
{
	char host[128], p[256], lim[32];
	bool by_host = ctl_query(path, "host", host, sizeof host);
	bool by_path = ctl_query(path, "path", p, sizeof p);
	long limit = ctl_query(path, "limit", lim, sizeof lim) ? atol(lim) : 1000;
	json_t *all = json_array(), *out = json_array(), *e;
	size_t i;
	json_array_foreach(s->log, i, e) {
		if (by_host && strcmp(json_string_value(json_object_get(e, "host")), host) != 0)
			continue;
		if (by_path && strcmp(json_string_value(json_object_get(e, "path")), p) != 0)
			continue;
		json_array_append(all, e);
	}
	size_t n = json_array_size(all), from = limit >= 0 && n > (size_t) limit ? n - (size_t) limit : 0;
	for (i = from; i < n; i++)   /* the last ones */
		json_array_append(out, json_array_get(all, i));
	json_decref(all);
	sim_answer_json(ans, 200, json_pack("{s:b, s:I, s:o}", "success", 1, "total",
	    (json_int_t) s->log_total, "entries", out));
}

static void
ctl_reset(sim *s, sim_answer *ans)
{
	json_array_clear(s->faults);
	json_array_clear(s->log);
	s->log_total = 0;
	sim_send_clear(s->send);
	sim_send_inflight_reset(s->send);
	for (size_t i = 0; i < s->nhosts; i++) {
		sim_host *h = s->hosts[i];
		if (h->dead && h->ip != NULL)
			sim_net_listen(s, h->ip);
		sim_host_reset(h);
	}
	sim_storage_reset(s);
	sim_answer_json(ans, 200, json_pack("{s:b}", "success", 1));
}

static void
ctl_stats(sim *s, sim_answer *ans)
{
	uint64_t sent, failed;
	size_t pending;
	sim_send_stats(s->send, &sent, &failed, &pending);
	sim_answer_json(ans, 200, json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "success", 1, "hosts", (json_int_t) s->nhosts, "requests", (json_int_t) s->requests,
	    "connections", (json_int_t) s->connections, "commands", (json_int_t) s->log_total,
	    "callbacksQueued", (json_int_t) s->callbacks_queued, "callbacksSent", (json_int_t) sent,
	    "callbacksFailed", (json_int_t) failed, "callbacksPending", (json_int_t) pending,
	    "duplicatesDropped", (json_int_t) s->dropped_duplicates));
}

/* POST /sim/hosts/NAME/vms/UUID {"state": "Running"|"Paused"|"Shutdown"|"Crashed"}: what a
 * guest does behind the node's back (a shutdown from inside, a crash, virsh suspend);
 * DELETE: the VM is gone from the host (virsh undefine). */
static void
ctl_vm(sim *s, const char *p, size_t pl, bool del, const json_t *cmd, sim_answer *ans)
{
	char name[256], uuid[128];
	const char *v = memchr(p + 11, '/', pl - 11);
	if (v == NULL || (size_t) (v - p) + 5 >= pl || strncmp(v, "/vms/", 5) != 0) {
		ctl_error(ans, 404, "no such control path (/sim/hosts/NAME/vms/UUID)");
		return;
	}
	snprintf(name, sizeof name, "%.*s", (int) (v - p - 11), p + 11);
	snprintf(uuid, sizeof uuid, "%.*s", (int) (pl - (size_t) (v - p) - 5), v + 5);
	sim_host *h = sim_host_find(s, name);
	json_t *vm = h != NULL ? json_object_get(h->vms, uuid) : NULL;
	if (vm == NULL) {
		ctl_error(ans, 404, h == NULL ? "no such host" : "no such VM on this host");
		return;
	}
	if (del) {
		json_object_del(h->vms, uuid);
		sim_answer_json(ans, 200, json_pack("{s:b}", "success", 1));
		return;
	}
	const char *st = json_string_value(json_object_get(cmd, "state"));
	const char *known[] = { "Running", "Paused", "Shutdown", "Crashed" };
	bool ok = false;
	for (size_t k = 0; st != NULL && k < 4; k++)
		ok |= strcmp(st, known[k]) == 0;
	if (!ok) {
		ctl_error(ans, 400, "state is Running, Paused, Shutdown or Crashed");
		return;
	}
	json_object_set_new(vm, "state", json_string(st));
	sim_answer_json(ans, 200, json_pack("{s:b, s:O}", "success", 1, "vm", vm));
}

static void
ctl_handle(sim *s, const sim_req *req, const json_t *cmd, sim_answer *ans)
{
	const char *p = req->path;
	size_t pl = strcspn(p, "?");
	bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
	bool del = strcmp(req->method, "DELETE") == 0;
#define IS(x) (pl == strlen(x) && strncmp(p, x, pl) == 0)
	if (IS("/sim/hosts") && post) {
		ctl_add_hosts(s, cmd, ans);
	} else if (IS("/sim/hosts") && get) {
		json_t *a = json_array();
		for (size_t i = 0; i < s->nhosts; i++)
			json_array_append_new(a, sim_host_json(s->hosts[i], false));
		sim_answer_json(ans, 200, json_pack("{s:b, s:o}", "success", 1, "hosts", a));
	} else if (strncmp(p, "/sim/hosts/", 11) == 0 && (post || del)) {
		ctl_vm(s, p, pl, del, cmd, ans);
	} else if (strncmp(p, "/sim/hosts/", 11) == 0 && get) {
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int) (pl - 11), p + 11);
		sim_host *h = sim_host_find(s, name);
		if (h == NULL)
			ctl_error(ans, 404, "no such host");
		else
			sim_answer_json(ans, 200, sim_host_json(h, true));
	} else if (IS("/sim/faults") && post) {
		ctl_add_faults(s, cmd, ans);
	} else if (IS("/sim/faults") && get) {
		sim_answer_json(ans, 200, json_pack("{s:b, s:O}", "success", 1, "faults", s->faults));
	} else if (IS("/sim/faults") && del) {
		json_array_clear(s->faults);
		sim_answer_json(ans, 200, json_pack("{s:b}", "success", 1));
	} else if (IS("/sim/reset") && post) {
		ctl_reset(s, ans);
	} else if (IS("/sim/log") && get) {
		ctl_log(s, p, ans);
	} else if (IS("/sim/stats") && get) {
		ctl_stats(s, ans);
	} else if (IS("/sim/inflight") && get) {
		sim_answer_json(ans, 200, json_pack("{s:b, s:o}", "success", 1, "paths",
		    sim_send_inflight(s->send)));
	} else if (IS("/sim/inflight") && del) {
		sim_send_inflight_reset(s->send);
		sim_answer_json(ans, 200, json_pack("{s:b}", "success", 1));
	} else if (IS("/sim/quit") && post) {
		s->quit = true;
		sim_answer_json(ans, 200, json_pack("{s:b}", "success", 1));
	} else {
		ctl_error(ans, 404, "no such control path (see /sim/hosts, /sim/hosts/NAME/vms/UUID, "
		    "/sim/faults, /sim/reset, /sim/log, /sim/stats, /sim/inflight, /sim/quit)");
	}
#undef IS
}

/* Does pattern match text: "*", a prefix ending in a star, or exact? */
static bool
ctl_match(const char *pattern, const char *text)
{
	size_t n = strlen(pattern);
	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(pattern, text, n - 1) == 0;
	return strcmp(pattern, text) == 0;
}

/* The fault that applies to this command now (counted), or NULL. */
static json_t *
ctl_fault(sim *s, const sim_host *h, const char *path)
{
	json_t *f;
	size_t i;
	json_array_foreach(s->faults, i, f) {
		if (!ctl_match(json_string_value(json_object_get(f, "host")), h->name) ||
		    !ctl_match(json_string_value(json_object_get(f, "path")), path))
			continue;
		json_t *fr = json_object_get(f, "fraction");
		if (json_is_number(fr) && (double) (sim_rand(s) % 1000000) / 1e6 >= json_number_value(fr))
			continue;
		json_int_t times = json_integer_value(json_object_get(f, "times"));
		json_object_set_new(f, "hits", json_integer(json_integer_value(json_object_get(f, "hits")) + 1));
		json_incref(f);
		if (times == 1)
			json_array_remove(s->faults, i);
		else if (times > 1)
			json_object_set_new(f, "times", json_integer(times - 1));
		return f;   /* the caller decrefs */
	}
	return NULL;
}

static void
ctl_log_add(sim *s, const sim_host *h, const sim_req *req, const json_t *cmd, const char *fault)
{
	json_t *e = json_pack("{s:I, s:I, s:s, s:s, s:s?, s:O, s:s?}", "seq", (json_int_t) ++s->log_total,
	    "ms", (json_int_t) (sim_now_ms() - s->started_ms), "host", h->name, "path", req->path,
	    "taskUuid", req->task_uuid, "cmd", cmd, "fault", fault);
	json_array_append_new(s->log, e);
	if (json_array_size(s->log) > s->log_max)
		json_array_remove(s->log, 0);
}

void
sim_handle(sim *s, const sim_req *req, sim_answer *ans)
{
	json_error_t jerr;
	json_t *cmd = req->body_len > 0 ? json_loadb(req->body, req->body_len, 0, &jerr) : json_object();
	if (!json_is_object(cmd)) {
		json_decref(cmd);
		ctl_error(ans, 400, "the body is not a JSON object");
		return;
	}
	if (req->prefix_host == NULL && strncmp(req->path, "/sim/", 5) == 0) {
		ctl_handle(s, req, cmd, ans);
		json_decref(cmd);
		return;
	}
	sim_host *h = req->prefix_host != NULL ? sim_host_find(s, req->prefix_host) :
	    sim_host_by_ip(s, req->local_ip);
	if (h == NULL) {
		json_decref(cmd);
		ctl_error(ans, 404, "no simulated host here: add one with POST /sim/hosts");
		return;
	}
	if (h->dead) {
		json_decref(cmd);
		ans->close = true;
		return;
	}
	bool sync = sim_agent_sync(req->path) || req->task_uuid == NULL || req->callback_url == NULL;
	json_t *f = ctl_fault(s, h, req->path);
	const char *action = f != NULL ? json_string_value(json_object_get(f, "action")) : NULL;
	ctl_log_add(s, h, req, cmd, action);
	int64_t delay = f != NULL ? json_integer_value(json_object_get(f, "delayMs")) : 0;
	const char *error = f != NULL ? json_string_value(json_object_get(f, "error")) : NULL;
	char why[512];
	json_t *result = NULL;
	if (action != NULL && strcmp(action, "die") == 0) {
		h->dead = true;
		if (h->ip != NULL && s->kill_ip == NULL)
			s->kill_ip = strdup(h->ip);
		ans->close = true;
		goto out;
	}
	if (action != NULL && (strcmp(action, "hang") == 0 || (sync && strcmp(action, "lose") == 0))) {
		ans->status = 0;
		goto out;
	}
	if (action != NULL && strcmp(action, "http") == 0) {
		json_int_t st = json_integer_value(json_object_get(f, "status"));
		snprintf(why, sizeof why, "%s", error != NULL ? error : "simulated HTTP error");
		sim_answer_json(ans, st >= 100 && st <= 599 ? (int) st : 500,
		    json_pack("{s:b, s:s}", "success", 0, "error", why));
		ans->delay_ms = delay;
		goto out;
	}
	if (!sync && json_object_get(h->tasks, req->task_uuid) != NULL) {
		s->dropped_duplicates++;   /* the agent drops a task it has seen */
		sim_answer_json(ans, 200, json_object());
		goto out;
	}
	if (!sync)
		json_object_set_new(sim_obj(&h->tasks), req->task_uuid, json_true());
	if (action != NULL && strcmp(action, "fail") == 0) {
		snprintf(why, sizeof why, "%s", error != NULL ? error : "simulated failure");
		result = json_pack("{s:b, s:s}", "success", 0, "error", why);
	} else {
		result = sim_agent_run(s, h, req->path, cmd);
		if (result == NULL) {
			snprintf(why, sizeof why, "the agent has no path %s", req->path);
			sim_answer_json(ans, 404, json_pack("{s:b, s:s}", "success", 0, "error", why));
			goto out;
		}
	}
	if (sync) {
		sim_answer_json(ans, 200, result);
		ans->delay_ms = delay;
		result = NULL;
	} else if (action == NULL || strcmp(action, "lose") != 0) {
		s->callbacks_queued++;
		sim_send_post(s->send, req->callback_url, req->task_uuid, json_dumps(result, JSON_COMPACT), delay,
		    req->path);
		sim_answer_json(ans, 200, json_object());
	} else {
		sim_answer_json(ans, 200, json_object());   /* acknowledged, never answered */
	}
out:
	json_decref(result);
	json_decref(f);
	json_decref(cmd);
}
