/*
 * network_ip.c: AllocateIp and ReleaseIp of zs.network.v1.L3Network, the NIC step's pair
 * (ReleaseIp is AllocateIp's rollback). One statement each: the allocation is the
 * migration's net_ip_allocate (a random free address, as ZStack's default strategy, or
 * the one asked for), which never gives one address twice: (L3, address) is unique in
 * net_used_ips and a lost race just picks again. No event is written: addresses change
 * far too often, and the VM that holds one says so.
 */
#include <stdio.h>
#include <string.h>

#include "network.h"
#include "zs/check.h"

#define IP_USED_COLUMNS "uuid, l3_network_uuid, ip_range_uuid, ip, gateway, netmask, owner_uuid, " \
	"created_unix_ms"

/* Answers with row 0 of r as a UsedIpInfo; takes r. */
static void
ip_answer(zs_call *call, PGresult *r, ProtobufCClosure closure)
{
	Zs__Network__V1__UsedIpInfo info = ZS__NETWORK__V1__USED_IP_INFO__INIT;
	zs_rkit_from_row(r, 0, &info.base);
	closure(&info.base, call);
	PQclear(r);
}

void
net_ip_allocate(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	const Zs__Network__V1__AllocateIpRequest *r = (const Zs__Network__V1__AllocateIpRequest *) in;
	if (zs_check_uuid(call, "l3_network_uuid", r->l3_network_uuid) != 0)
		return;
	bool wanted = r->_ip_case == ZS__NETWORK__V1__ALLOCATE_IP_REQUEST___IP_IP;
	uint32_t ip = 0;
	char num[16];
	if (wanted && net_ipv4_parse(r->ip, &ip) != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "ip: \"%s\" is not an IPv4 address", r->ip);
		return;
	}
	snprintf(num, sizeof num, "%u", ip);
	char uuid[ZS_UUID_LEN];
	zs_resource_uuid(uuid);
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	const char *p[4] = { uuid, r->l3_network_uuid, zs_call_account(call), wanted ? num : NULL };
	PGresult *res = zs_db_exec(c, "SELECT outcome, " IP_USED_COLUMNS " FROM net_ip_allocate($1, $2, "
	    "$3, $4::bigint)", 4, p, &st);
	zs_db_release(db, c);
	if (res == NULL) {
		net_fail(call, st->code, NULL, st, "cannot allocate an IP");
		return;
	}
	const char *outcome = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
	if (strcmp(outcome, "ok") == 0) {
		ip_answer(call, res, closure);
		return;
	}
	if (strcmp(outcome, "no_l3") == 0)
		zs_call_fail(call, ZS_NOT_FOUND, NULL, "l3_network_uuid: no L3 network with uuid %s",
		    r->l3_network_uuid);
	else if (strcmp(outcome, "no_range") == 0)
		zs_call_fail(call, ZS_FAILED_PRECONDITION, "NETWORK.1005",
		    "L3 network %s has no IP range: add one first", r->l3_network_uuid);
	else if (strcmp(outcome, "exhausted") == 0)
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, "NETWORK.1006",
		    "no IP left in L3 network %s: every address of its IP ranges is in use",
		    r->l3_network_uuid);
	else if (strcmp(outcome, "outside") == 0)
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
		    "ip: %s is in no IP range of L3 network %s", r->ip, r->l3_network_uuid);
	else if (strcmp(outcome, "used") == 0)
		zs_call_fail(call, ZS_ALREADY_EXISTS, "NETWORK.1007",
		    "ip: %s is already in use in L3 network %s", r->ip, r->l3_network_uuid);
	else
		zs_call_fail(call, ZS_INTERNAL, NULL, "allocating an IP answered \"%s\"", outcome);
	PQclear(res);
}

void
net_ip_release(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	const Zs__Network__V1__ReleaseIpRequest *r = (const Zs__Network__V1__ReleaseIpRequest *) in;
	uint32_t ip;
	if (zs_check_uuid(call, "l3_network_uuid", r->l3_network_uuid) != 0)
		return;
	if (net_ipv4_parse(r->ip, &ip) != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "ip: \"%s\" is not an IPv4 address", r->ip);
		return;
	}
	char num[16];
	snprintf(num, sizeof num, "%u", ip);
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	const char *p[2] = { r->l3_network_uuid, num };
	PGresult *res = zs_db_exec(c, "DELETE FROM net_used_ips u USING net_ip_ranges g WHERE "
	    "u.l3_network_uuid = $1 AND u.ip_int = $2::bigint AND g.uuid = u.ip_range_uuid RETURNING "
	    "u.uuid, u.l3_network_uuid, u.ip_range_uuid, u.ip, g.gateway, g.netmask, u.owner_uuid, "
	    "(extract(epoch FROM u.created_at) * 1000)::bigint AS created_unix_ms", 2, p, &st);
	zs_db_release(db, c);
	if (res == NULL) {
		net_fail(call, st->code, NULL, st, "cannot release the IP");
		return;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		zs_call_fail(call, ZS_NOT_FOUND, NULL, "ip: %s is not in use in L3 network %s", r->ip,
		    r->l3_network_uuid);
		return;
	}
	ip_answer(call, res, closure);
}
