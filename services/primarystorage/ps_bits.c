/*
 * ps_bits.c: CreateVolumeBits and DeleteVolumeBits, a volume's file on the agent.
 * LocalStorage: on the host the volume's reservation is on (/localstorage/volume/
 * createempty, createvolumefromcache, /localstorage/delete); NFS: through a Connected
 * host that mounted the share (/nfsprimarystorage/createemptyvolume, createrootvolume,
 * delete). Creating needs the volume's reservation (ps_capacity.c), so no file exists
 * that the capacity does not count. A failure names the host, its address, the path
 * and the file, with the agent's error as its cause. Answers go out from a worker, so a
 * bus caller may block on the database in its callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps.h"
#include "zs/http.h"
#include "zs/work.h"

typedef struct ps_bits {
	zs_call *call;
	ProtobufCClosure closure;
	bool create;
	char volume[64], host[64], ip[64], path[PS_URL_MAX + 256], agent_path[64];
	int64_t size;
	int code;
	zs_status *st;
} ps_bits;

/* On a worker: answers. */
static void
ps_bits_answer(void *arg)
{
	ps_bits *b = arg;
	if (b->code != 0) {
		zs_call_fail_cause(b->call, b->code, "PRIMARYSTORAGE.1007", b->st,
		    "cannot %s the file of volume %s on host %s (%s): %s %s failed",
		    b->create ? "create" : "delete", b->volume, b->host, b->ip, b->agent_path, b->path);
	} else if (b->create) {
		Zs__Primarystorage__V1__VolumeBits out = ZS__PRIMARYSTORAGE__V1__VOLUME_BITS__INIT;
		out.install_path = b->path;
		out.host_uuid = b->host;
		out.size = b->size;
		b->closure(&out.base, b->call);
	} else {
		Zs__Primarystorage__V1__DeleteVolumeBitsResponse out =
		    ZS__PRIMARYSTORAGE__V1__DELETE_VOLUME_BITS_RESPONSE__INIT;
		b->closure(&out.base, b->call);
	}
	zs_status_free(b->st);
	free(b);
}

static void
ps_bits_done(const zs_http_res *res, void *arg)
{
	ps_bits *b = arg;
	b->code = res->code;
	b->st = res->status != NULL ? zs_status_copy(res->status) : NULL;
	if (zs_work_submit(zs_node_work(zs_call_node(b->call)), ps_bits_answer, b) != 0)
		ps_bits_answer(b);
}

/* Sends cmd to b's host at b->agent_path; answers either way. */
static void
ps_bits_send(ps_bits *b, json_t *cmd)
{
	ps_state *ps = zs_call_service_data(b->call);
	char url[PS_URL_MAX];
	zs_status *st = NULL;
	int rv = ZS_RESOURCE_EXHAUSTED;
	if (cmd != NULL && ps_url(ps, b->ip, b->agent_path, url, sizeof url) == 0) {
		/* the agent gets all but a fifth of what is left (0.1-2 s): an agent that does not
		 * answer fails here, naming itself, while the caller can still hear it and the
		 * undo steps still have time */
		int64_t left = zs_call_remaining_ms(b->call), margin = left / 5;
		margin = margin < 100 ? 100 : margin > 2000 ? 2000 : margin;
		zs_http_req req = { .host = b->host, .url = url, .json = cmd, .call = b->call,
		    .async = true, .deadline_ms = zs_call_deadline_ms(b->call) - margin };
		rv = zs_http_post(zs_node_http(zs_call_node(b->call)), &req, ps_bits_done, b, &st);
	}
	json_decref(cmd);
	if (rv != 0) {
		b->code = rv;
		b->st = st;
		ps_bits_answer(b);
	}
}

/* The storage's type and base folder, and the host to use with its address: hosts
 * named (may be ""), for LocalStorage the reservation's. 0 or the code the call failed with. */
static int
ps_bits_where(ps_bits *b, const char *ps, const char *host, char *type, size_t tlen,
    char *base, size_t blen, bool need_reservation)
{
	zs_db *db = zs_node_db(zs_call_node(b->call));
	zs_db_conn *c = NULL;
	int rv = zs_db_acquire_for(db, b->call, &c);
	if (rv != 0)
		return rv;
	zs_status *st = NULL;
	PGresult *s = NULL, *h = NULL;
	const char *p[3] = { ps, b->volume, host };
	/* admins only (ps.check), so the registry adds nothing to the storage's own row: no
	 * row, NOT_FOUND */
	rv = zs_db_exec_one(c, "SELECT s.type, s.mount_path, r.host_uuid, r.size FROM "
	    "ps_storages s LEFT JOIN ps_reservations r ON r.ps_uuid = s.uuid AND "
	    "r.volume_uuid = $2 WHERE s.uuid = $1", 2, p, "primary storage", ps, &s, &st);
	if (rv == 0 && need_reservation && PQgetisnull(s, 0, 3)) {
		st = zs_status_new(ZS_FAILED_PRECONDITION, "PRIMARYSTORAGE.1011",
		    "volume %s holds no reservation on primary storage %s (ReserveCapacity first)",
		    b->volume, ps);
		rv = ZS_FAILED_PRECONDITION;
	}
	if (rv == 0) {
		bool local = strcmp(PQgetvalue(s, 0, 0), PS_LOCAL) == 0;
		if (local && !PQgetisnull(s, 0, 2) && host[0] == '\0')
			p[2] = PQgetvalue(s, 0, 2);
		if (local && p[2][0] == '\0') {
			st = zs_status_new(ZS_INVALID_ARGUMENT, NULL, "host_uuid: a volume of LocalStorage "
			    "%s lives on a host: name it", ps);
			rv = ZS_INVALID_ARGUMENT;
		} else if (local && !PQgetisnull(s, 0, 2) && strcmp(p[2], PQgetvalue(s, 0, 2)) != 0) {
			st = zs_status_new(ZS_FAILED_PRECONDITION, "PRIMARYSTORAGE.1011",
			    "volume %s is reserved on host %s, not %s", b->volume, PQgetvalue(s, 0, 2), p[2]);
			rv = ZS_FAILED_PRECONDITION;
		} else {
			rv = zs_db_run(c, "SELECT host_uuid, host_ip FROM ps_hosts WHERE ps_uuid = $1 AND "
			    "($3 = '' OR host_uuid = $3) AND status = 'Connected' AND $2 <> '' "
			    "ORDER BY random() LIMIT 1", 3, p, &h, &st);
			if (rv == 0 && PQntuples(h) == 0) {
				st = zs_status_new(ZS_FAILED_PRECONDITION, "PRIMARYSTORAGE.1005",
				    "primary storage %s has no Connected host%s%s to reach it through", ps,
				    p[2][0] ? " " : "", p[2]);
				rv = ZS_FAILED_PRECONDITION;
			}
		}
	}
	zs_db_release(db, c);
	if (rv == 0) {
		snprintf(type, tlen, "%s", PQgetvalue(s, 0, 0));
		snprintf(base, blen, "%s", PQgetvalue(s, 0, 1));
		snprintf(b->host, sizeof b->host, "%s", PQgetvalue(h, 0, 0));
		snprintf(b->ip, sizeof b->ip, "%s", PQgetvalue(h, 0, 1));
	}
	PQclear(s);
	PQclear(h);
	if (rv != 0)
		ps_fail(b->call, st);
	return rv;
}

/* The volume's file under base: BASE/{root,data}Volumes/vol-UUID/UUID.qcow2. */
static void
ps_bits_path(ps_bits *b, const char *base, bool root)
{
	int n = snprintf(b->path, sizeof b->path, "%s/%sVolumes/vol-%s/%s.qcow2", base,
	    root ? "root" : "data", b->volume, b->volume);
	if (n < 0 || (size_t) n >= sizeof b->path)
		b->path[0] = '\0';   /* the url's length is checked at add: never here */
}

static ps_bits *
ps_bits_new(zs_call *call, ProtobufCClosure closure, bool create, const char *volume)
{
	ps_bits *b = calloc(1, sizeof *b);
	if (b == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return NULL;
	}
	b->call = call;
	b->closure = closure;
	b->create = create;
	snprintf(b->volume, sizeof b->volume, "%s", volume);
	return b;
}

void
ps_create_bits(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Primarystorage__V1__CreateVolumeBitsRequest *in = (const void *) msg;
	bool root = strcmp(in->kind, "Root") == 0;
	if (!root && strcmp(in->kind, "Data") != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "kind: \"%s\" is not Root or Data", in->kind);
		return;
	}
	if (in->size <= 0 || strpbrk(in->volume_uuid, "/. ") != NULL) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "size (%lld) or volume_uuid (%s) is not "
		    "valid", (long long) in->size, in->volume_uuid);
		return;
	}
	ps_bits *b = ps_bits_new(call, closure, true, in->volume_uuid);
	char type[16], base[PS_URL_MAX];
	if (b == NULL || ps_bits_where(b, in->primary_storage_uuid, in->host_uuid, type, sizeof type,
	    base, sizeof base, true) != 0) {
		free(b);
		return;
	}
	b->size = in->size;
	ps_bits_path(b, base, root);
	bool local = strcmp(type, PS_LOCAL) == 0, image = in->image_url[0] != '\0';
	snprintf(b->agent_path, sizeof b->agent_path, "%s", local ?
	    (image ? "/localstorage/volume/createvolumefromcache" : "/localstorage/volume/createempty") :
	    (image ? "/nfsprimarystorage/createrootvolume" : "/nfsprimarystorage/createemptyvolume"));
	json_t *cmd = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s}", "installUrl", b->path,
	    "size", (json_int_t) in->size, "virtualSize", (json_int_t) in->size, "volumeUuid",
	    in->volume_uuid, "uuid", in->volume_uuid, "storagePath", base);
	if (cmd != NULL && image) {
		json_object_set_new(cmd, "templatePathInCache", json_string(in->image_url));
		json_object_set_new(cmd, "imageUuid", json_string(in->image_uuid));
	}
	ps_bits_send(b, cmd);
}

void
ps_delete_bits(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Primarystorage__V1__DeleteVolumeBitsRequest *in = (const void *) msg;
	bool root = strcmp(in->kind, "Root") == 0;
	if ((in->install_path[0] != '/' && in->install_path[0] != '\0') ||
	    (in->install_path[0] == '\0' && ((!root && strcmp(in->kind, "Data") != 0) ||
	    strpbrk(in->volume_uuid, "/. ") != NULL))) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "install_path \"%s\" is not a path (or "
		    "kind \"%s\" not Root or Data)", in->install_path, in->kind);
		return;
	}
	ps_bits *b = ps_bits_new(call, closure, false, in->volume_uuid);
	char type[16], base[PS_URL_MAX];
	if (b == NULL || ps_bits_where(b, in->primary_storage_uuid, in->host_uuid, type, sizeof type,
	    base, sizeof base, false) != 0) {
		free(b);
		return;
	}
	if (in->install_path[0] != '\0')
		snprintf(b->path, sizeof b->path, "%s", in->install_path);
	else
		ps_bits_path(b, base, root);
	bool local = strcmp(type, PS_LOCAL) == 0;
	snprintf(b->agent_path, sizeof b->agent_path, "%s", local ? "/localstorage/delete" :
	    "/nfsprimarystorage/delete");
	ps_bits_send(b, json_pack("{s:s, s:s, s:s}", "path", b->path, "installPath", b->path,
	    "volumeUuid", in->volume_uuid));
}
