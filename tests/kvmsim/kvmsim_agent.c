/*
 * kvmsim_agent.c: the simulated hosts and what each agent path does to them. A host keeps
 * its VMs (state, CPUs, memory, volumes, NICs), bridges, capacity and facts; commands are
 * the KVM agent's (ZStack's field names), answered with success/error like it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmsim.h"

sim_host *
sim_host_find(sim *s, const char *name)
{
	json_t *i = json_object_get(s->by_name, name);
	return json_is_integer(i) ? s->hosts[json_integer_value(i)] : NULL;
}

sim_host *
sim_host_by_ip(sim *s, const char *ip)
{
	json_t *i = json_object_get(s->by_ip, ip);
	return json_is_integer(i) ? s->hosts[json_integer_value(i)] : NULL;
}

/* A size: a number of bytes or text with K/M/G/T. */
static int64_t
agent_size(const json_t *v, int64_t def)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	if (!json_is_string(v))
		return def;
	char *end;
	double n = strtod(json_string_value(v), &end);
	switch (*end) {
	case 'T': case 't': n *= 1024.0;   /* fall through */
	case 'G': case 'g': n *= 1024.0;   /* fall through */
	case 'M': case 'm': n *= 1024.0;   /* fall through */
	case 'K': case 'k': n *= 1024.0; break;
	default: break;
	}
	return (int64_t) n;
}

sim_host *
sim_host_add(sim *s, const json_t *desc, char *why, size_t whylen)
{
	const char *name = json_string_value(json_object_get(desc, "name"));
	const char *ip = json_string_value(json_object_get(desc, "ip"));
	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL) {
		snprintf(why, whylen, "a host needs a name without '/'");
		return NULL;
	}
	if (sim_host_find(s, name) != NULL) {
		snprintf(why, whylen, "host %s exists", name);
		return NULL;
	}
	if (ip != NULL && sim_host_by_ip(s, ip) != NULL) {
		snprintf(why, whylen, "address %s is taken by another host", ip);
		return NULL;
	}
	if (ip != NULL && sim_net_listen(s, ip) != 0) {
		snprintf(why, whylen, "cannot listen on %s:%d (loopback 127.0.0.0/8 only): %m", ip, s->port);
		return NULL;
	}
	sim_host *h = calloc(1, sizeof *h);
	if (h == NULL || (h->name = strdup(name)) == NULL || (ip != NULL && (h->ip = strdup(ip)) == NULL)) {
		sim_host_free(h);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	h->cpu = json_integer_value(json_object_get(desc, "cpu"));
	if (h->cpu <= 0)
		h->cpu = 8;
	h->memory = agent_size(json_object_get(desc, "memory"), 32LL << 30);
	json_t *facts = json_object_get(desc, "facts");
	if (s->default_facts == NULL)
		s->default_facts = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "osDistribution", "debian",
		    "osVersion", "12", "cpuModelName", "Simulated CPU", "qemuImgVersion", "7.2.0",
		    "libvirtVersion", "9.0.0", "hvmCpuFlag", "vmx");
	/* hosts share the default facts (never changed); VMs, bridges, tasks come on first use */
	h->facts = json_is_object(facts) ? json_deep_copy(s->default_facts) : json_incref(s->default_facts);
	if (json_is_object(facts))
		json_object_update(h->facts, facts);
	if (s->nhosts == s->cap_hosts) {
		size_t n = s->cap_hosts ? s->cap_hosts * 2 : 64;
		sim_host **a = realloc(s->hosts, n * sizeof *a);
		if (a == NULL) {
			sim_host_free(h);
			snprintf(why, whylen, "out of memory");
			return NULL;
		}
		s->hosts = a;
		s->cap_hosts = n;
	}
	sim_backup_init(h, desc);
	json_object_set_new(s->by_name, name, json_integer((json_int_t) s->nhosts));
	if (ip != NULL)
		json_object_set_new(s->by_ip, ip, json_integer((json_int_t) s->nhosts));
	s->hosts[s->nhosts++] = h;
	return h;
}

/* CPUs and memory the host's VMs hold. */
static void
agent_used(const sim_host *h, int64_t *cpu, int64_t *mem)
{
	const char *k;
	json_t *vm;
	*cpu = *mem = 0;
	json_object_foreach((json_t *) h->vms, k, vm) {
		*cpu += json_integer_value(json_object_get(vm, "cpuNum"));
		*mem += json_integer_value(json_object_get(vm, "memory"));
	}
}

json_t *
sim_obj(json_t **slot)
{
	if (*slot == NULL)
		*slot = json_object();
	return *slot;
}

json_t *
sim_host_json(const sim_host *h, bool detail)
{
	int64_t ucpu, umem;
	agent_used(h, &ucpu, &umem);
	json_t *o = json_pack("{s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:s?}", "name", h->name,
	    "ip", h->ip, "cpu", (json_int_t) h->cpu, "memory", (json_int_t) h->memory,
	    "usedCpu", (json_int_t) ucpu, "usedMemory", (json_int_t) umem,
	    "vms", (json_int_t) json_object_size(h->vms), "dead", h->dead,
	    "commands", (json_int_t) h->commands, "hostUuid", h->host_uuid);
	if (o != NULL && detail) {
		json_object_set_new(o, "vmList", h->vms != NULL ? json_incref(h->vms) : json_object());
		json_object_set_new(o, "bridges", h->bridges != NULL ? json_incref(h->bridges) : json_object());
		json_object_set(o, "facts", h->facts);
		json_object_set(o, "backupStorage", h->bs);
	}
	return o;
}

void
sim_host_reset(sim_host *h)
{
	json_object_clear(h->vms);
	json_object_clear(h->bridges);
	json_object_clear(h->tasks);
	free(h->host_uuid);
	h->host_uuid = NULL;
	h->dead = false;
	h->commands = 0;
	sim_backup_reset(h);
}

void
sim_host_free(sim_host *h)
{
	if (h == NULL)
		return;
	free(h->name);
	free(h->ip);
	free(h->host_uuid);
	json_decref(h->facts);
	json_decref(h->vms);
	json_decref(h->bridges);
	json_decref(h->tasks);
	json_decref(h->bs);
	free(h);
}

bool
sim_agent_sync(const char *path)
{
	return strcmp(path, "/host/connect") == 0 || strcmp(path, "/host/echo") == 0;
}

static json_t *
agent_ok(void)
{
	return json_pack("{s:b}", "success", 1);
}

static json_t *
agent_fail(const char *fmt, const char *arg)
{
	char why[512];
	snprintf(why, sizeof why, fmt, arg);
	return json_pack("{s:b, s:s}", "success", 0, "error", why);
}

/* The VM's uuid, under whichever name the command uses. */
static const char *
agent_vm_uuid(const json_t *cmd)
{
	const char *keys[] = { "vmInstanceUuid", "vmUuid", "uuid" };
	for (size_t i = 0; i < 3; i++) {
		const char *u = json_string_value(json_object_get(cmd, keys[i]));
		if (u != NULL)
			return u;
	}
	return NULL;
}

static json_t *
agent_vm_start(sim_host *h, const json_t *cmd)
{
	const char *uuid = agent_vm_uuid(cmd);
	if (uuid == NULL)
		return agent_fail("%s", "vmInstanceUuid is missing");
	json_t *vm = json_object_get(h->vms, uuid);
	if (vm != NULL) {   /* idempotent, as the agent's start */
		json_object_set_new(vm, "state", json_string("Running"));
		return json_pack("{s:b, s:[]}", "success", 1, "nicInfos");
	}
	int64_t cpu = json_integer_value(json_object_get(cmd, "cpuNum"));
	int64_t mem = json_integer_value(json_object_get(cmd, "memory"));
	int64_t ucpu, umem;
	agent_used(h, &ucpu, &umem);
	if (umem + mem > h->memory)
		return agent_fail("not enough memory on host %s", h->name);
	vm = json_pack("{s:s, s:I, s:I, s:s?, s:{}, s:{}}", "state", "Running", "cpuNum", (json_int_t) cpu,
	    "memory", (json_int_t) mem, "vmName", json_string_value(json_object_get(cmd, "vmName")),
	    "volumes", "nics");
	json_t *nics = json_object_get(cmd, "nics"), *nic;
	size_t i;
	json_array_foreach(nics, i, nic) {
		const char *mac = json_string_value(json_object_get(nic, "mac"));
		if (mac != NULL)
			json_object_set(json_object_get(vm, "nics"), mac, nic);
	}
	json_object_set_new(sim_obj(&h->vms), uuid, vm);
	return json_pack("{s:b, s:[]}", "success", 1, "nicInfos");
}

/* Sets the state of an existing VM; remove: takes it off the host. */
static json_t *
agent_vm_state(sim_host *h, const json_t *cmd, const char *state, bool remove, bool must_exist)
{
	const char *uuid = agent_vm_uuid(cmd);
	if (uuid == NULL)
		return agent_fail("%s", "the VM's uuid is missing");
	json_t *vm = json_object_get(h->vms, uuid);
	if (vm == NULL)
		return must_exist ? agent_fail("no VM %s on this host", uuid) : agent_ok();
	if (remove)
		json_object_del(h->vms, uuid);
	else
		json_object_set_new(vm, "state", json_string(state));
	return agent_ok();
}

static json_t *
agent_vm_migrate(sim *s, sim_host *h, const json_t *cmd)
{
	const char *uuid = agent_vm_uuid(cmd);
	const char *dest = json_string_value(json_object_get(cmd, "destHostIp"));
	json_t *vm = uuid != NULL ? json_object_get(h->vms, uuid) : NULL;
	if (vm == NULL)
		return agent_fail("no VM %s on this host", uuid != NULL ? uuid : "(none named)");
	sim_host *to = dest != NULL ? sim_host_by_ip(s, dest) : NULL;
	if (to == NULL)
		to = dest != NULL ? sim_host_find(s, dest) : NULL;
	if (to == NULL || to->dead)
		return agent_fail("migration target %s is not reachable", dest != NULL ? dest : "(none)");
	json_object_set(sim_obj(&to->vms), uuid, vm);
	json_object_del(h->vms, uuid);
	return agent_ok();
}

static json_t *
agent_vm_states(sim_host *h, const json_t *cmd)
{
	json_t *states = json_object(), *uuids = json_object_get(cmd, "vmUuids"), *u;
	const char *k;
	json_t *vm;
	if (json_is_array(uuids)) {
		size_t i;
		json_array_foreach(uuids, i, u) {
			const char *id = json_string_value(u);
			vm = id != NULL ? json_object_get(h->vms, id) : NULL;
			if (id != NULL)
				json_object_set_new(states, id, json_string(vm != NULL ?
				    json_string_value(json_object_get(vm, "state")) : "Shutdown"));
		}
	} else {
		json_object_foreach(h->vms, k, vm)
			json_object_set(states, k, json_object_get(vm, "state"));
	}
	return json_pack("{s:b, s:o}", "success", 1, "states", states);
}

/* Attaches or detaches a volume or NIC (member "volumes" or "nics", keyed by key). */
static json_t *
agent_vm_device(sim_host *h, const json_t *cmd, const char *what, const char *member,
    const char *key, bool attach)
{
	const char *uuid = agent_vm_uuid(cmd);
	json_t *vm = uuid != NULL ? json_object_get(h->vms, uuid) : NULL;
	if (vm == NULL)
		return agent_fail("no VM %s on this host", uuid != NULL ? uuid : "(none named)");
	json_t *dev = json_object_get(cmd, what);
	const char *id = json_string_value(json_object_get(dev, key));
	if (id == NULL)
		return agent_fail("%s is missing", key);
	json_t *set = json_object_get(vm, member);
	if (attach)
		json_object_set(set, id, dev);
	else if (json_object_del(set, id) != 0)
		return agent_fail("%s is not attached", id);
	return agent_ok();
}

json_t *
sim_agent_run(sim *s, sim_host *h, const char *path, const json_t *cmd)
{
	h->commands++;
	if (strncmp(path, "/sftpbackupstorage/", 19) == 0)
		return sim_backup_run(s, h, path, cmd);
	if (strcmp(path, "/host/connect") == 0) {
		const char *hu = json_string_value(json_object_get(cmd, "hostUuid"));
		free(h->host_uuid);
		h->host_uuid = hu != NULL ? strdup(hu) : NULL;
		return json_pack("{s:b, s:s, s:s}", "success", 1, "libvirtVersion",
		    json_string_value(json_object_get(h->facts, "libvirtVersion")), "qemuVersion",
		    json_string_value(json_object_get(h->facts, "qemuImgVersion")));
	}
	if (strcmp(path, "/host/ping") == 0)
		return json_pack("{s:b, s:s?, s:s}", "success", 1, "hostUuid", h->host_uuid, "version",
		    "zs-kvmsim-1");
	if (strcmp(path, "/host/echo") == 0 || strcmp(path, "/host/update/configuration") == 0 ||
	    strcmp(path, "/network/checkphysicalnetworkinterface") == 0)
		return agent_ok();
	if (strcmp(path, "/host/capacity") == 0) {
		int64_t ucpu, umem;
		agent_used(h, &ucpu, &umem);
		return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I}", "success", 1, "cpuNum", (json_int_t) h->cpu,
		    "cpuSpeed", (json_int_t) 2400, "totalMemory", (json_int_t) h->memory,
		    "usedCpu", (json_int_t) ucpu, "usedMemory", (json_int_t) umem);
	}
	if (strcmp(path, "/host/fact") == 0) {
		json_t *o = json_deep_copy(h->facts);
		json_object_set_new(o, "success", json_true());
		return o;
	}
	if (strcmp(path, "/vm/start") == 0)
		return agent_vm_start(h, cmd);
	if (strcmp(path, "/vm/stop") == 0 || strcmp(path, "/vm/destroy") == 0)
		return agent_vm_state(h, cmd, NULL, true, false);
	if (strcmp(path, "/vm/reboot") == 0 || strcmp(path, "/vm/resume") == 0)
		return agent_vm_state(h, cmd, "Running", false, true);
	if (strcmp(path, "/vm/pause") == 0)
		return agent_vm_state(h, cmd, "Paused", false, true);
	if (strcmp(path, "/vm/migrate") == 0)
		return agent_vm_migrate(s, h, cmd);
	if (strcmp(path, "/vm/vmsync") == 0 || strcmp(path, "/vm/checkstate") == 0)
		return agent_vm_states(h, cmd);
	if (strcmp(path, "/vm/attachdatavolume") == 0 || strcmp(path, "/vm/detachdatavolume") == 0)
		return agent_vm_device(h, cmd, "volume", "volumes", "volumeUuid", path[4] == 'a');
	if (strcmp(path, "/vm/attachnic") == 0 || strcmp(path, "/vm/detachnic") == 0)
		return agent_vm_device(h, cmd, "nic", "nics", "mac", path[4] == 'a');
	if (strcmp(path, "/network/l2novlan/createbridge") == 0 ||
	    strcmp(path, "/network/l2vlan/createbridge") == 0) {
		const char *b = json_string_value(json_object_get(cmd, "bridgeName"));
		if (b == NULL)
			return agent_fail("%s", "bridgeName is missing");
		json_object_set(sim_obj(&h->bridges), b, (json_t *) cmd);
		return agent_ok();
	}
	if (strcmp(path, "/network/l2novlan/checkbridge") == 0 ||
	    strcmp(path, "/network/l2vlan/checkbridge") == 0) {
		const char *b = json_string_value(json_object_get(cmd, "bridgeName"));
		return b != NULL && json_object_get(h->bridges, b) != NULL ? agent_ok() :
		    agent_fail("no bridge %s", b != NULL ? b : "(none named)");
	}
	if (strcmp(path, "/network/l2novlan/deletebridge") == 0 ||
	    strcmp(path, "/network/l2vlan/deletebridge") == 0) {
		const char *b = json_string_value(json_object_get(cmd, "bridgeName"));
		if (b != NULL)
			json_object_del(h->bridges, b);
		return agent_ok();
	}
	json_t *stored = sim_storage_run(s, h, path, cmd);   /* kvmsim_storage.c */
	if (stored != NULL)
		return stored;
	h->commands--;
	return NULL;
}
