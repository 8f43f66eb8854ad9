/*
 * vm_store.c: a VM's row as the workflows read it (with its NICs and data volumes), and
 * its changes of state. A state changes only by a conditional UPDATE (state = one of the
 * expected ones) with vm/stateChanged in the same transaction, so two operations that
 * race for one VM cannot both pass: the second sees the state the first left and is
 * refused, naming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "zs/service.h"

static void
vm_copy(char *dst, size_t len, const PGresult *r, int row, const char *col)
{
	int f = PQfnumber(r, col);
	snprintf(dst, len, "%s", f >= 0 ? PQgetvalue(r, row, f) : "");
}

int
vm_store_load(zs_db_conn *c, const char *uuid, vm_row *out, zs_status **st)
{
	memset(out, 0, sizeof *out);
	const char *p[1] = { uuid };
	PGresult *r = NULL;
	int rv = zs_db_exec_one(c, "SELECT uuid, name, state, owner_uuid, zone_uuid, cluster_uuid, "
	    "host_uuid, last_host_uuid, image_uuid, root_volume_uuid, hypervisor_type, cpu_num, "
	    "memory_size FROM vm_instances WHERE uuid = $1", 1, p, "VM", uuid, &r, st);
	if (rv != 0)
		return rv;
	vm_copy(out->uuid, sizeof out->uuid, r, 0, "uuid");
	vm_copy(out->name, sizeof out->name, r, 0, "name");
	vm_copy(out->state, sizeof out->state, r, 0, "state");
	vm_copy(out->owner, sizeof out->owner, r, 0, "owner_uuid");
	vm_copy(out->zone, sizeof out->zone, r, 0, "zone_uuid");
	vm_copy(out->cluster, sizeof out->cluster, r, 0, "cluster_uuid");
	vm_copy(out->host, sizeof out->host, r, 0, "host_uuid");
	vm_copy(out->last_host, sizeof out->last_host, r, 0, "last_host_uuid");
	vm_copy(out->image, sizeof out->image, r, 0, "image_uuid");
	vm_copy(out->root_volume, sizeof out->root_volume, r, 0, "root_volume_uuid");
	vm_copy(out->hypervisor, sizeof out->hypervisor, r, 0, "hypervisor_type");
	out->cpu = strtoll(PQgetvalue(r, 0, PQfnumber(r, "cpu_num")), NULL, 10);
	out->memory = strtoll(PQgetvalue(r, 0, PQfnumber(r, "memory_size")), NULL, 10);
	PQclear(r);
	rv = zs_db_run(c, "SELECT uuid, l3_network_uuid, ip, netmask, gateway, mac, bridge_name, "
	    "device_id FROM vm_nics WHERE vm_instance_uuid = $1 ORDER BY device_id", 1, p, &r, st);
	if (rv != 0)
		return rv;
	for (int i = 0; i < PQntuples(r) && i < VM_L3_MAX; i++) {
		vm_nic *n = &out->nics[out->n_nics++];
		vm_copy(n->uuid, sizeof n->uuid, r, i, "uuid");
		vm_copy(n->l3, sizeof n->l3, r, i, "l3_network_uuid");
		vm_copy(n->ip, sizeof n->ip, r, i, "ip");
		vm_copy(n->netmask, sizeof n->netmask, r, i, "netmask");
		vm_copy(n->gateway, sizeof n->gateway, r, i, "gateway");
		vm_copy(n->mac, sizeof n->mac, r, i, "mac");
		vm_copy(n->bridge, sizeof n->bridge, r, i, "bridge_name");
		n->device_id = atoi(PQgetvalue(r, i, PQfnumber(r, "device_id")));
	}
	PQclear(r);
	rv = zs_db_run(c, "SELECT volume_uuid FROM vm_data_volumes WHERE vm_instance_uuid = $1 "
	    "ORDER BY device_id", 1, p, &r, st);
	if (rv != 0)
		return rv;
	for (int i = 0; i < PQntuples(r) && i < VM_DATA_MAX; i++)
		snprintf(out->data[out->n_data++], ZS_UUID_LEN, "%s", PQgetvalue(r, i, 0));
	PQclear(r);
	return 0;
}

static void
vm_states_text(const char *const *from, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; from[i] != NULL && used < len; i++)
		used += (size_t) snprintf(buf + used, len - used, "%s%s",
		    i == 0 ? "" : from[i + 1] == NULL ? " or " : ", ", from[i]);
}

int
vm_store_transit(zs_db_conn *c, const zs_call *call, vm_state *vs, const char *uuid,
    const char *const *from, const char *to, const char *what, char prev[16],
    const char *set, int n, const char *const *p, const char *topic, zs_status **st)
{
	int rv = 0;
	if (call != NULL && (rv = zs_resource_check(c, call, uuid, VM_TYPE, NULL, 0, st)) != 0)
		return rv;
	PGresult *r = NULL;
	const char *q[1] = { uuid };
	rv = zs_db_exec_one(c, "SELECT state FROM vm_instances WHERE uuid = $1 FOR UPDATE", 1, q,
	    "VM", uuid, &r, st);
	if (rv != 0)
		return rv;
	char state[32];
	snprintf(state, sizeof state, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (prev != NULL)
		snprintf(prev, 16, "%.15s", state);
	bool ok = false;
	for (size_t i = 0; from[i] != NULL; i++)
		ok |= strcmp(from[i], state) == 0;
	if (!ok) {
		char want[256];
		vm_states_text(from, want, sizeof want);
		if (st != NULL)
			*st = zs_status_new(ZS_FAILED_PRECONDITION, "VM.1002", "VM %s is %s: %s needs it %s",
			    uuid, state, what, want);
		return ZS_FAILED_PRECONDITION;
	}
	size_t nfrom = 0;
	while (from[nfrom] != NULL)
		nfrom++;
	char *arr = zs_db_text_array(from, nfrom), sql[1024];
	if (arr == NULL)
		return ZS_RESOURCE_EXHAUSTED;
	/* $1 uuid, $2.. set's own, then the new state and the expected ones */
	snprintf(sql, sizeof sql, "UPDATE vm_instances SET state = $%d, updated_at = now()%s%s "
	    "WHERE uuid = $1 AND state = ANY($%d::text[])", n + 2, set != NULL ? ", " : "",
	    set != NULL ? set : "", n + 3);
	const char *params[16];
	params[0] = uuid;
	for (int i = 0; i < n && i < 12; i++)
		params[1 + i] = p[i];
	params[n + 1] = to;
	params[n + 2] = arr;
	rv = zs_db_run(c, sql, n + 3, params, &r, st);
	free(arr);
	if (rv != 0)
		return rv;
	bool changed = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (!changed) {
		if (st != NULL)
			*st = zs_status_new(ZS_ABORTED, "VM.1002", "VM %s changed state under %s", uuid, what);
		return ZS_ABORTED;
	}
	if (strcmp(state, to) != 0 && (rv = vm_publish(c, vs->node, "vm/stateChanged", uuid, st)) != 0)
		return rv;
	return topic != NULL ? vm_publish(c, vs->node, topic, uuid, st) : 0;
}

int
vm_store_transit_conn(vm_state *vs, const zs_call *call, const char *uuid,
    const char *const *from, const char *to, const char *what, char prev[16],
    const char *set, int n, const char *const *p, const char *topic, zs_status **st)
{
	zs_db_conn *c = NULL;
	int rv = vm_conn(vs, &c, st);
	if (rv != 0)
		return rv;
	rv = zs_db_begin(c, st);
	if (rv == 0) {
		rv = vm_store_transit(c, call, vs, uuid, from, to, what, prev, set, n, p, topic, st);
		rv = zs_db_end(c, rv, st);
	}
	zs_db_release(zs_node_db(vs->node), c);
	return rv;
}
