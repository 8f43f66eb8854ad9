/*
 * network_ip.c: AllocateIp and ReleaseIp of zs.network.v1.L3Network, the NIC step's pair
 * (ReleaseIp is AllocateIp's rollback).
 *
 * Allocations are group-committed: a commit costs a disk flush, which bounds one
 * transaction per call to a few thousand a second. AllocateIp runs on the receiving thread
 * (executor="inline": it never blocks) and only queues the call in one of NET_IP_LANES
 * lanes (by L3); when its lane has fewer than NET_IP_LEADERS leaders, a leader is started
 * on the worker pool. A leader takes up to NET_IP_BATCH waiting calls, allocates for all
 * of them in one statement (the migration's net_ip_allocate_batch: one INSERT of random
 * addresses for the whole batch, one transaction, one flush), answers each, and goes on
 * until the lane is empty. So a call costs no worker hand-off, and a batch one.
 *
 * No address is ever given twice: (L3, address) is unique in net_used_ips, and a pick that
 * loses (to a used address or another pick) picks again. Batches insert in (L3, address)
 * order, so two of them (several leaders, several nodes) cannot deadlock there; a deadlock
 * elsewhere is retried. Every call is answered only after its address is committed; a
 * batch that fails fails each of its calls with why. No event is written: addresses change
 * far too often, and the VM that holds one says so.
 *
 * A caller's key (nic_uuid, the NIC's uuid) becomes the address's uuid: a call repeated
 * with it (the workflow's retry, a reply lost after the commit, a replay) answers the
 * address the key holds (net_ip_allocate_keyed, 005_ip_key.sql) and takes no second one;
 * ReleaseIp with the key releases that address only, so a release repeated after the
 * address went to another NIC frees nothing. The VM an address is for (vm_uuid) lets
 * ReleaseVmIps give back what a create cut by a stop of the node allocated for NICs that
 * never got their row.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"
#include "zs/check.h"
#include "zs/work.h"


/* One AllocateIp waiting in its lane. */
typedef struct net_ip_req {
	struct net_ip_req *next;
	zs_call *call;
	ProtobufCClosure closure;
	char l3[NET_UUID];
	char uuid[ZS_UUID_LEN];
	char owner[NET_UUID];
	char vm[NET_UUID];           /* "" when none */
	bool keyed;                  /* uuid is the caller's key */
	char ip[NET_IPV4_STR];       /* "" when any */
	uint32_t ip_num;
} net_ip_req;

struct net_ip_lane {
	net_state *ns;
	pthread_mutex_t lock;
	net_ip_req *head, *tail;
	int leaders;                 /* at most NET_IP_LEADERS run it */
};

int
net_ip_lanes_init(net_state *ns)
{
	ns->lanes = calloc(NET_IP_LANES, sizeof *ns->lanes);
	if (ns->lanes == NULL)
		return -1;
	for (size_t i = 0; i < NET_IP_LANES; i++) {
		ns->lanes[i].ns = ns;
		(void) pthread_mutex_init(&ns->lanes[i].lock, NULL);
	}
	return 0;
}

void
net_ip_lanes_fini(net_state *ns)
{
	for (size_t i = 0; ns->lanes != NULL && i < NET_IP_LANES; i++)
		pthread_mutex_destroy(&ns->lanes[i].lock);
	free(ns->lanes);
	ns->lanes = NULL;
}

/* Answers with row i of r as a UsedIpInfo (columns from 1 on). */
static void
ip_answer(zs_call *call, const PGresult *r, int i, ProtobufCClosure closure)
{
	Zs__Network__V1__UsedIpInfo info = ZS__NETWORK__V1__USED_IP_INFO__INIT;
	zs_rkit_from_row(r, i, &info.base);
	closure(&info.base, call);
}

/* Answers q by the outcome of its allocation (row i of r). */
static void
ip_outcome(net_ip_req *q, const PGresult *r, int i)
{
	const char *outcome = PQgetvalue(r, i, 0);
	if (strcmp(outcome, "ok") == 0)
		ip_answer(q->call, r, i, q->closure);
	else if (strcmp(outcome, "no_l3") == 0)
		zs_call_fail(q->call, ZS_NOT_FOUND, NULL, "l3_network_uuid: no L3 network with uuid %s",
		    q->l3);
	else if (strcmp(outcome, "no_range") == 0)
		zs_call_fail(q->call, ZS_FAILED_PRECONDITION, "NETWORK.1005",
		    "L3 network %s has no IP range: add one first", q->l3);
	else if (strcmp(outcome, "exhausted") == 0)
		zs_call_fail(q->call, ZS_RESOURCE_EXHAUSTED, "NETWORK.1006",
		    "no IP left in L3 network %s: every address of its IP ranges is in use", q->l3);
	else if (strcmp(outcome, "outside") == 0)
		zs_call_fail(q->call, ZS_INVALID_ARGUMENT, NULL,
		    "ip: %s is in no IP range of L3 network %s", q->ip, q->l3);
	else if (strcmp(outcome, "used") == 0)
		zs_call_fail(q->call, ZS_ALREADY_EXISTS, "NETWORK.1007",
		    "ip: %s is already in use in L3 network %s", q->ip, q->l3);
	else if (strcmp(outcome, "key_used") == 0)
		zs_call_fail(q->call, ZS_ALREADY_EXISTS, "NETWORK.1009",
		    "nic_uuid: %s already holds address %s of L3 network %s, not of %s", q->uuid,
		    PQgetvalue(r, i, 4), PQgetvalue(r, i, 2), q->l3);
	else
		zs_call_fail(q->call, ZS_INTERNAL, NULL, "allocating an IP answered \"%s\"", outcome);
}

/* Appends s to the array literal in buf as a quoted element; false when it is full. */
static bool
ip_array_add(char *buf, size_t len, size_t *used, const char *s, bool first)
{
	size_t u = *used;
	if (u + 3 >= len)
		return false;
	if (!first)
		buf[u++] = ',';
	buf[u++] = '"';
	for (; *s != '\0'; s++) {
		if (u + 4 >= len)
			return false;
		if (*s == '"' || *s == '\\')
			buf[u++] = '\\';
		buf[u++] = *s;
	}
	buf[u++] = '"';
	buf[u] = '\0';
	*used = u;
	return true;
}

static int
ip_req_cmp(const void *a, const void *b)
{
	return strcmp((*(net_ip_req *const *) a)->uuid, (*(net_ip_req *const *) b)->uuid);
}

/* Answers each call of batch (n of them) by its row of r, found by the allocation's uuid
 * (column 1; calls with the same key get the same row); a call answered has its call set
 * to NULL. */
static void
ip_answer_all(net_ip_req *batch, size_t n, const PGresult *r)
{
	net_ip_req **by_uuid = malloc(n * sizeof *by_uuid);
	if (by_uuid == NULL)
		return;   /* each call then fails with INTERNAL */
	size_t i = 0;
	for (net_ip_req *q = batch; q != NULL && i < n; q = q->next)
		by_uuid[i++] = q;
	qsort(by_uuid, n, sizeof *by_uuid, ip_req_cmp);
	net_ip_req key, *kp = &key;
	for (int row = 0; row < PQntuples(r); row++) {
		snprintf(key.uuid, sizeof key.uuid, "%s", PQgetvalue(r, row, 1));
		net_ip_req **hit = bsearch(&kp, by_uuid, n, sizeof *by_uuid, ip_req_cmp);
		if (hit == NULL)
			continue;
		while (hit > by_uuid && ip_req_cmp(hit - 1, &kp) == 0)
			hit--;
		for (; hit < by_uuid + n && ip_req_cmp(hit, &kp) == 0; hit++) {
			if ((*hit)->call == NULL)
				continue;
			ip_outcome(*hit, r, row);
			(*hit)->call = NULL;
		}
	}
	free(by_uuid);
}

/* Allocates for the n calls of batch in one statement and answers each. */
static void
ip_run_batch(net_state *ns, net_ip_req *batch, size_t n)
{
	/* uuids, L3s, owners, wanted addresses, VMs, keyed: quoted array elements of at most
	 * ~2x their size */
	size_t cap = n * (2 * (ZS_UUID_LEN + 2 * NET_UUID) + 32) + 16;
	char *a[6];
	size_t used[6] = { 0 };
	bool ok = true;
	for (int k = 0; k < 6; k++) {
		a[k] = malloc(cap);
		ok = ok && a[k] != NULL;
		if (a[k] != NULL)
			a[k][0] = '{', a[k][1] = '\0', used[k] = 1;
	}
	size_t i = 0;
	for (net_ip_req *q = batch; ok && q != NULL; q = q->next, i++) {
		char num[16];
		snprintf(num, sizeof num, "%u", q->ip_num);
		ok = ip_array_add(a[0], cap, &used[0], q->uuid, i == 0) &&
		    ip_array_add(a[1], cap, &used[1], q->l3, i == 0) &&
		    ip_array_add(a[2], cap, &used[2], q->owner, i == 0) &&
		    ip_array_add(a[4], cap, &used[4], q->vm, i == 0) &&
		    ip_array_add(a[5], cap, &used[5], q->keyed ? "t" : "f", i == 0);
		if (ok && q->ip[0] == '\0') {
			ok = used[3] + 6 < cap;
			if (ok)
				used[3] += (size_t) snprintf(a[3] + used[3], cap - used[3], "%sNULL",
				    i == 0 ? "" : ",");
		} else if (ok) {
			ok = ip_array_add(a[3], cap, &used[3], num, i == 0);
		}
	}
	for (int k = 0; ok && k < 6; k++) {
		a[k][used[k]++] = '}';
		a[k][used[k]] = '\0';
	}
	PGresult *r = NULL;
	zs_status *st = NULL;
	int code = ok ? 0 : ZS_RESOURCE_EXHAUSTED;
	if (!ok)
		st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	zs_db *db = zs_node_db(ns->node);
	for (int attempt = 0; ok && attempt < 3; attempt++) {
		zs_db_conn *c = NULL;
		zs_status_free(st);
		st = NULL;
		code = zs_db_acquire(db, zs_call_remaining_ms(batch->call) + 1, &c, &st);
		if (code != 0)
			break;
		const char *p[6] = { a[0], a[1], a[2], a[3], a[4], a[5] };
		r = zs_db_exec(c, "SELECT * FROM net_ip_allocate_keyed($1::text[], $2::text[], "
		    "$3::text[], $4::bigint[], $5::text[], $6::boolean[])", 6, p, &st);
		zs_db_release(db, c);
		code = r != NULL ? 0 : (int) st->code;
		/* a deadlock with another node's batch, or the same key allocated by a batch
		 * that committed meanwhile (a retry racing its first try): again */
		if (code != ZS_ABORTED && code != ZS_ALREADY_EXISTS)
			break;
	}
	for (int k = 0; k < 6; k++)
		free(a[k]);
	if (code == 0)
		ip_answer_all(batch, n, r);
	for (net_ip_req *q = batch, *next; q != NULL; q = next) {
		next = q->next;
		if (code != 0)
			zs_call_fail_cause(q->call, code, NULL, st, "cannot allocate an IP in L3 network %s",
			    q->l3);
		else if (q->call != NULL)   /* the batch gave it no outcome */
			zs_call_fail(q->call, ZS_INTERNAL, NULL, "allocating an IP in L3 network %s gave "
			    "no outcome", q->l3);
		free(q);
	}
	zs_status_free(st);
	PQclear(r);
}

/* Leads lane l (arg) until it is empty: batches of up to NET_IP_BATCH waiting calls. Runs
 * on a worker thread. */
static void
ip_lead(void *arg)
{
	struct net_ip_lane *l = arg;
	net_state *ns = l->ns;
	for (;;) {
		pthread_mutex_lock(&l->lock);
		net_ip_req *batch = l->head, *last = NULL;
		size_t n = 0;
		for (net_ip_req *q = l->head; q != NULL && n < NET_IP_BATCH; q = q->next, n++)
			last = q;
		if (n == 0) {
			l->leaders--;
			pthread_mutex_unlock(&l->lock);
			return;
		}
		l->head = last->next;
		if (l->head == NULL)
			l->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&l->lock);
		ns->ip_batches++;
		ns->ip_allocs += n;
		ip_run_batch(ns, batch, n);
	}
}

void
net_ip_allocate(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	const Zs__Network__V1__AllocateIpRequest *r = (const Zs__Network__V1__AllocateIpRequest *) in;
	net_state *ns = zs_call_service_data(call);
	if (zs_check_uuid(call, "l3_network_uuid", r->l3_network_uuid) != 0)
		return;
	if (strlen(r->l3_network_uuid) >= NET_UUID) {
		zs_call_fail(call, ZS_NOT_FOUND, NULL, "l3_network_uuid: no L3 network with uuid %s",
		    r->l3_network_uuid);
		return;
	}
	bool wanted = r->_ip_case == ZS__NETWORK__V1__ALLOCATE_IP_REQUEST___IP_IP;
	uint32_t ip = 0;
	if (wanted && net_ipv4_parse(r->ip, &ip) != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "ip: \"%s\" is not an IPv4 address", r->ip);
		return;
	}
	if ((r->nic_uuid[0] != '\0' && zs_check_uuid(call, "nic_uuid", r->nic_uuid) != 0) ||
	    (r->vm_uuid[0] != '\0' && zs_check_uuid(call, "vm_uuid", r->vm_uuid) != 0))
		return;
	net_ip_req *q = calloc(1, sizeof *q);
	if (q == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	q->call = call;
	q->closure = closure;
	snprintf(q->l3, sizeof q->l3, "%s", r->l3_network_uuid);
	snprintf(q->owner, sizeof q->owner, "%s", zs_call_account(call));
	q->keyed = r->nic_uuid[0] != '\0';
	if (q->keyed)
		snprintf(q->uuid, sizeof q->uuid, "%s", r->nic_uuid);
	else
		zs_resource_uuid(q->uuid);
	snprintf(q->vm, sizeof q->vm, "%s", r->vm_uuid);
	if (wanted)
		snprintf(q->ip, sizeof q->ip, "%s", r->ip);
	q->ip_num = ip;
	/* FNV-1a of the L3's uuid picks its lane */
	uint32_t h = 2166136261u;
	for (const char *s = q->l3; *s != '\0'; s++)
		h = (h ^ (unsigned char) *s) * 16777619u;
	struct net_ip_lane *l = &ns->lanes[h % NET_IP_LANES];
	pthread_mutex_lock(&l->lock);
	if (l->tail != NULL)
		l->tail->next = q;
	else
		l->head = q;
	l->tail = q;
	bool lead = l->leaders < NET_IP_LEADERS;
	if (lead)
		l->leaders++;
	pthread_mutex_unlock(&l->lock);
	/* else the lane's leader answers this call; the pool stopping, this thread leads */
	if (lead && zs_work_submit(zs_node_work(ns->node), ip_lead, l) != 0)
		ip_lead(l);
}

void
net_ip_release(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	const Zs__Network__V1__ReleaseIpRequest *r = (const Zs__Network__V1__ReleaseIpRequest *) in;
	uint32_t ip = 0;
	bool key = r->nic_uuid[0] != '\0';
	if (zs_check_uuid(call, "l3_network_uuid", r->l3_network_uuid) != 0 ||
	    (key && zs_check_uuid(call, "nic_uuid", r->nic_uuid) != 0))
		return;
	if ((!key || r->ip[0] != '\0') && net_ipv4_parse(r->ip, &ip) != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "ip: \"%s\" is not an IPv4 address", r->ip);
		return;
	}
	char num[16];
	snprintf(num, sizeof num, "%u", ip);
	bool by_ip = r->ip[0] != '\0';
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	/* with a key: its address only, or (none holding the key) one allocated without a
	 * key at that ip */
	const char *p[3] = { r->l3_network_uuid, by_ip ? num : NULL, r->nic_uuid };
	PGresult *res = zs_db_exec(c, key ?
	    "DELETE FROM net_used_ips u USING net_ip_ranges g WHERE u.l3_network_uuid = $1 AND "
	    "g.uuid = u.ip_range_uuid AND ((u.uuid = $3 AND ($2::bigint IS NULL OR u.ip_int = "
	    "$2::bigint)) OR (u.ip_int = $2::bigint AND NOT u.keyed AND NOT EXISTS (SELECT 1 "
	    "FROM net_used_ips k WHERE k.uuid = $3))) RETURNING "
	    "'ok', u.uuid, u.l3_network_uuid, u.ip_range_uuid, u.ip, g.gateway, g.netmask, "
	    "u.owner_uuid, u.created_at AS create_date" :
	    "DELETE FROM net_used_ips u USING net_ip_ranges g WHERE "
	    "u.l3_network_uuid = $1 AND u.ip_int = $2::bigint AND g.uuid = u.ip_range_uuid RETURNING "
	    "'ok', u.uuid, u.l3_network_uuid, u.ip_range_uuid, u.ip, g.gateway, g.netmask, "
	    "u.owner_uuid, u.created_at AS create_date", key ? 3 : 2, p, &st);
	zs_db_release(db, c);
	if (res == NULL) {
		net_fail(call, st->code, NULL, st, "cannot release the IP");
		return;
	}
	if (PQntuples(res) == 0 && key)
		zs_call_fail(call, ZS_NOT_FOUND, NULL, "nic_uuid: %s holds no address%s%s in L3 "
		    "network %s", r->nic_uuid, by_ip ? " " : "", r->ip, r->l3_network_uuid);
	else if (PQntuples(res) == 0)
		zs_call_fail(call, ZS_NOT_FOUND, NULL, "ip: %s is not in use in L3 network %s", r->ip,
		    r->l3_network_uuid);
	else
		ip_answer(call, res, 0, closure);
	PQclear(res);
}

void
net_ip_release_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	const Zs__Network__V1__ReleaseVmIpsRequest *r = (const void *) in;
	if (zs_check_uuid(call, "vm_uuid", r->vm_uuid) != 0)
		return;
	for (size_t i = 0; i < r->n_keep_nic_uuids; i++)
		if (zs_check_uuid(call, "keep_nic_uuids", r->keep_nic_uuids[i]) != 0)
			return;
	/* the kept keys as an array literal: uuids need no quoting */
	size_t len = 3 + r->n_keep_nic_uuids * ZS_UUID_LEN;
	char *keep = malloc(len);
	if (keep == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	size_t u = 0;
	keep[u++] = '{';
	for (size_t i = 0; i < r->n_keep_nic_uuids; i++)
		u += (size_t) snprintf(keep + u, len - u, "%s%s", i == 0 ? "" : ",",
		    r->keep_nic_uuids[i]);
	keep[u++] = '}';
	keep[u] = '\0';
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c;
	if (zs_db_acquire_for(db, call, &c) != 0) {
		free(keep);
		return;
	}
	zs_status *st = NULL;
	const char *p[2] = { r->vm_uuid, keep };
	PGresult *res = zs_db_exec(c, "DELETE FROM net_used_ips WHERE vm_uuid = $1 AND "
	    "uuid <> ALL($2::text[]) RETURNING ip", 2, p, &st);
	zs_db_release(db, c);
	free(keep);
	if (res == NULL) {
		net_fail(call, st->code, NULL, st, "cannot release the VM's IPs");
		return;
	}
	int n = PQntuples(res);
	char **ips = n > 0 ? calloc((size_t) n, sizeof *ips) : NULL;
	Zs__Network__V1__ReleaseVmIpsResponse out = ZS__NETWORK__V1__RELEASE_VM_IPS_RESPONSE__INIT;
	out.released = (uint32_t) n;
	for (int i = 0; ips != NULL && i < n; i++)
		ips[i] = PQgetvalue(res, i, 0);
	out.n_ips = ips != NULL ? (size_t) n : 0;
	out.ips = ips;
	closure(&out.base, call);
	free(ips);
	PQclear(res);
}
