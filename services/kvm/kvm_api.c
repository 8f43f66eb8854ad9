/*
 * kvm_api.c: the zs.kvm.v1.Kvm API and its interceptor (kvm.check: admins only, and each
 * request's fields).
 *
 * AddKvmHost asks the host service to add the host (over the bus, as the caller), with
 * the SSH user and port as parameters; the host service's AddHost records and connects
 * it through this plugin's zs.HypervisorFactory (kvm_factory.c). When connecting fails
 * the host is deleted again (with host/deleted) and the call fails with KVM.1001, the
 * agent's error as its cause: a host that never connected leaves nothing behind (no
 * row, no tags, no capacity).
 * ReconnectHost connects an existing host again; when that fails the host stays,
 * Disconnected with why (status_reason), and the call fails with KVM.1002.
 * ChangeHostState moves the host's state; maintain empties the host first
 * (kvm_maintain.c); leaving Maintenance reconnects it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"
#include "zs/check.h"
#include "zs/host/v1/host.zsb.h"
#include "zs/resource.h"
#include "zs/resource_kit.h"
#include "zs/service.h"

#define KVM_NAME_MAX 255
#define KVM_TEXT_MAX 2048
#define KVM_SECRET_MAX 16384

/* ---- the interceptor ---- */

static bool
kvm_is_type(const ProtobufCMessage *m, const ProtobufCMessageDescriptor *d)
{
	/* by name: a bus caller's message comes with its own copy of the descriptors */
	return strcmp(m->descriptor->name, d->name) == 0;
}

static int
kvm_check_add(zs_call *call, const Zs__Kvm__V1__AddKvmHostRequest *in)
{
	unsigned char addr[16];
	int rv;
	if ((rv = zs_check_uuid(call, "cluster_uuid", in->cluster_uuid)) != 0 ||
	    (rv = zs_check_text(call, "name", in->name, KVM_NAME_MAX, ZS_TEXT_REQUIRED)) != 0 ||
	    (rv = zs_check_text(call, "description", in->description, KVM_TEXT_MAX,
	    ZS_TEXT_MULTILINE)) != 0 ||
	    (rv = zs_check_text(call, "username", in->username, KVM_NAME_MAX, ZS_TEXT_REQUIRED)) != 0 ||
	    (rv = zs_check_text(call, "password", in->password, KVM_NAME_MAX, 0)) != 0 ||
	    (rv = zs_check_text(call, "ssh_key", in->ssh_key, KVM_SECRET_MAX, ZS_TEXT_MULTILINE)) != 0)
		return rv;
	if (in->management_ip == NULL || (inet_pton(AF_INET, in->management_ip, addr) != 1 &&
	    inet_pton(AF_INET6, in->management_ip, addr) != 1)) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
		    "management_ip: \"%s\" is not an IPv4 or IPv6 address",
		    in->management_ip != NULL ? in->management_ip : "");
		return ZS_INVALID_ARGUMENT;
	}
	if (in->password[0] == '\0' && in->ssh_key[0] == '\0') {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "password or ssh_key: one is required");
		return ZS_INVALID_ARGUMENT;
	}
	if (in->ssh_port > 65535) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "ssh_port: %u is not a port",
		    (unsigned) in->ssh_port);
		return ZS_INVALID_ARGUMENT;
	}
	return 0;
}

static int
kvm_check_request(zs_call *call, const ProtobufCMessage *req, void *arg)
{
	(void) arg;
	if (!zs_call_admin(call)) {
		zs_call_fail(call, ZS_PERMISSION_DENIED, "KVM.1003", "%s is for admins only",
		    zs_call_method(call));
		return ZS_PERMISSION_DENIED;
	}
	if (kvm_is_type(req, &zs__kvm__v1__add_kvm_host_request__descriptor))
		return kvm_check_add(call, (const Zs__Kvm__V1__AddKvmHostRequest *) req);
	/* the others all start with the host's uuid */
	const char *uuid = NULL, *event = NULL;
	if (kvm_is_type(req, &zs__kvm__v1__get_kvm_host_request__descriptor))
		uuid = ((const Zs__Kvm__V1__GetKvmHostRequest *) req)->uuid;
	else if (kvm_is_type(req, &zs__kvm__v1__reconnect_host_request__descriptor))
		uuid = ((const Zs__Kvm__V1__ReconnectHostRequest *) req)->uuid;
	else if (kvm_is_type(req, &zs__kvm__v1__change_host_state_request__descriptor)) {
		uuid = ((const Zs__Kvm__V1__ChangeHostStateRequest *) req)->uuid;
		event = ((const Zs__Kvm__V1__ChangeHostStateRequest *) req)->state_event;
	}
	int rv = zs_check_uuid(call, "uuid", uuid);
	if (rv == 0 && event != NULL && strcmp(event, "enable") != 0 && strcmp(event, "disable") != 0 &&
	    strcmp(event, "maintain") != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
		    "state_event: \"%s\" is not enable, disable or maintain", event);
		rv = ZS_INVALID_ARGUMENT;
	}
	return rv;
}

ZS_EXPORT const zs_interceptor kvm_check = { kvm_check_request, NULL };

/* ---- answers ---- */

void
kvm_api_answer(zs_call *call, ProtobufCClosure closure, const char *uuid)
{
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	PGresult *row = NULL;
	zs_status *st = NULL;
	int rv = kvm_store_row(c, uuid, &row, &st);
	zs_db_release(db, c);
	if (rv != 0) {
		zs_rkit_fail(call, st);
		return;
	}
	Zs__Kvm__V1__KvmHostInfo info = ZS__KVM__V1__KVM_HOST_INFO__INIT;
	zs_rkit_from_row(row, 0, &info.base);
	closure(&info.base, call);
	PQclear(row);
}

/* ---- AddKvmHost ---- */

/* AddKvmHost is AddHost with the KVM parameters: the host service runs it (over the bus,
 * as the caller) through this plugin's factory (kvm_factory.c), which connects the host;
 * then the answer is the host's KvmHostInfo. */
typedef struct kvm_add {
	zs_call *call;
	ProtobufCClosure closure;
	Zs__Host__V1__AddHostRequest req;
	Zs__Host__V1__AddHostRequest__ParametersEntry params[2];
	Zs__Host__V1__AddHostRequest__ParametersEntry *param_ptrs[2];
	char *cluster_uuid, *name, *ip, *description, *username;
	char port[16];
} kvm_add;

static void
kvm_add_free(kvm_add *a)
{
	free(a->cluster_uuid);
	free(a->name);
	free(a->ip);
	free(a->description);
	free(a->username);
	free(a);
}

static void
kvm_add_host_done(int code, const zs_status *status, const Zs__Host__V1__HostInfo *reply,
    void *arg)
{
	kvm_add *a = arg;
	if (code != 0)
		zs_call_fail_status(a->call, status != NULL ? zs_status_copy(status) :
		    zs_status_new(code, NULL, "AddHost failed"));
	else
		kvm_api_answer(a->call, a->closure, reply->uuid);
	kvm_add_free(a);
}

static void
kvm_add_kvm_host(zs_call *call, const Zs__Kvm__V1__AddKvmHostRequest *in,
    ProtobufCClosure closure)
{
	kvm_add *a = calloc(1, sizeof *a);
	if (a != NULL) {
		a->call = call;
		a->closure = closure;
		a->cluster_uuid = strdup(in->cluster_uuid);
		a->name = strdup(in->name);
		a->ip = strdup(in->management_ip);
		a->description = strdup(in->description);
		a->username = strdup(in->username);
	}
	if (a == NULL || !a->cluster_uuid || !a->name || !a->ip || !a->description || !a->username) {
		if (a != NULL)
			kvm_add_free(a);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	snprintf(a->port, sizeof a->port, "%u", in->ssh_port != 0 ? (unsigned) in->ssh_port : 22u);
	zs__host__v1__add_host_request__init(&a->req);
	a->req.cluster_uuid = a->cluster_uuid;
	a->req.name = a->name;
	a->req.management_ip = a->ip;
	a->req.description = a->description;
	for (int i = 0; i < 2; i++) {
		zs__host__v1__add_host_request__parameters_entry__init(&a->params[i]);
		a->param_ptrs[i] = &a->params[i];
	}
	a->params[0].key = "username";
	a->params[0].value = a->username;
	a->params[1].key = "sshPort";
	a->params[1].value = a->port;
	a->req.n_parameters = 2;
	a->req.parameters = a->param_ptrs;
	zs_host_v1_host_add_host_bus(zs_node_bus(zs_call_node(call)), call, &a->req,
	    kvm_add_host_done, a);
}

/* ---- ReconnectHost ---- */

typedef struct kvm_rec {
	zs_call *call;
	ProtobufCClosure closure;
	kvm_state *ks;
	char uuid[64];
} kvm_rec;

static void
kvm_rec_done(int code, zs_status *st, void *arg)
{
	kvm_rec *r = arg;
	if (code == 0) {
		kvm_api_answer(r->call, r->closure, r->uuid);
	} else {
		zs_status *st2 = NULL;
		char why[1024];
		zs_status_text(st, why, sizeof why);
		kvm_store_status(r->ks, r->uuid, "Disconnected", why,
		    "host/disconnected", false, &st2);
		zs_status_free(st2);
		zs_call_fail_cause(r->call, code, "KVM.1002", st, "host %s could not be reconnected",
		    r->uuid);
	}
	zs_status_free(st);
	free(r);
}

/* Reads what uuid's row says into ip and state; 0 or the code the call failed with. */
static int
kvm_api_load(zs_call *call, const char *uuid, char *ip, size_t iplen, char *state,
    size_t slen)
{
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	int rv = zs_db_acquire_for(db, call, &c);
	if (rv != 0)
		return rv;
	PGresult *row = NULL;
	zs_status *st = NULL;
	rv = zs_resource_check(c, call, uuid, KVM_HOST_TYPE, NULL, 0, &st);
	if (rv == 0)
		rv = kvm_store_row(c, uuid, &row, &st);
	zs_db_release(db, c);
	if (rv != 0) {
		zs_rkit_fail(call, st);
		return rv;
	}
	snprintf(ip, iplen, "%s", PQgetvalue(row, 0, PQfnumber(row, "management_ip")));
	snprintf(state, slen, "%s", PQgetvalue(row, 0, PQfnumber(row, "state")));
	PQclear(row);
	return 0;
}

static void
kvm_reconnect_host(zs_call *call, const Zs__Kvm__V1__ReconnectHostRequest *in,
    ProtobufCClosure closure)
{
	char ip[64], state[32];
	if (kvm_api_load(call, in->uuid, ip, sizeof ip, state, sizeof state) != 0)
		return;
	if (strcmp(state, "Maintenance") == 0 || strcmp(state, "PreMaintenance") == 0) {
		zs_call_fail(call, ZS_FAILED_PRECONDITION, "KVM.1004",
		    "host %s is in %s: enable it to reconnect it", in->uuid, state);
		return;
	}
	kvm_rec *r = calloc(1, sizeof *r);
	if (r == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	r->call = call;
	r->closure = closure;
	r->ks = zs_call_service_data(call);
	snprintf(r->uuid, sizeof r->uuid, "%s", in->uuid);
	zs_status *st = NULL;
	int rv = kvm_store_status(r->ks, r->uuid, "Connecting", "", "host/connecting", true, &st);
	if (rv != 0) {
		zs_rkit_fail(call, st);
		free(r);
		return;
	}
	kvm_connect(r->ks, r->uuid, ip, call, kvm_rec_done, r);
}

/* ---- ChangeHostState ---- */

/* enable and disable move the state at once (leaving Maintenance reconnects the host);
 * maintain empties the host first (kvm_maintain.c). While a maintenance runs
 * (PreMaintenance) the host's state does not change otherwise. */
static void
kvm_change_state(zs_call *call, const Zs__Kvm__V1__ChangeHostStateRequest *in,
    ProtobufCClosure closure)
{
	kvm_state *ks = zs_call_service_data(call);
	char ip[64], state[32];
	if (kvm_api_load(call, in->uuid, ip, sizeof ip, state, sizeof state) != 0)
		return;
	if (strcmp(state, "PreMaintenance") == 0 && kvm_maintaining(ks, in->uuid)) {
		zs_call_fail(call, ZS_FAILED_PRECONDITION, "KVM.1004",
		    "host %s is in PreMaintenance: a maintenance is under way, wait for its end",
		    in->uuid);
		return;
	}
	const char *ev = in->state_event;
	if (strcmp(ev, "maintain") == 0) {
		if (strcmp(state, "Maintenance") == 0)
			kvm_api_answer(call, closure, in->uuid);   /* already there */
		else
			kvm_maintain(call, closure, in->uuid, state);
		return;
	}
	const char *to = strcmp(ev, "enable") == 0 ? "Enabled" : "Disabled";
	zs_status *st = NULL;
	if (kvm_store_state(ks, in->uuid, state, to, NULL, 0, &st) != 0) {
		zs_rkit_fail(call, st);
		return;
	}
	if (strcmp(state, "Maintenance") == 0)
		kvm_reconnect(ks, in->uuid, ip);   /* in the background; the tracker retries */
	kvm_api_answer(call, closure, in->uuid);
}

/* ---- the service ---- */

static void
kvm_invoke(ProtobufCService *service, unsigned method, const ProtobufCMessage *input,
    ProtobufCClosure closure, void *closure_data)
{
	zs_call *call = closure_data;
	const char *name = service->descriptor->methods[method].name;
	if (strcmp(name, "AddKvmHost") == 0)
		kvm_add_kvm_host(call, (const Zs__Kvm__V1__AddKvmHostRequest *) input, closure);
	else if (strcmp(name, "GetKvmHost") == 0) {
		char ip[64], state[32];
		const char *uuid = ((const Zs__Kvm__V1__GetKvmHostRequest *) input)->uuid;
		if (kvm_api_load(call, uuid, ip, sizeof ip, state, sizeof state) == 0)
			kvm_api_answer(call, closure, uuid);
	} else if (strcmp(name, "ReconnectHost") == 0)
		kvm_reconnect_host(call, (const Zs__Kvm__V1__ReconnectHostRequest *) input, closure);
	else if (strcmp(name, "ChangeHostState") == 0)
		kvm_change_state(call, (const Zs__Kvm__V1__ChangeHostStateRequest *) input, closure);
	else
		zs_call_fail(call, ZS_UNIMPLEMENTED, NULL, "no method %s", name);
}

ZS_EXPORT ProtobufCService kvm_service = { &zs__kvm__v1__kvm__descriptor, kvm_invoke, NULL };
