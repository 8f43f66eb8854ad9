/*
 * inv.h: what the inventory suite's files share: a node with its client and admin
 * session, calls that keep the last failure (code, error code, message), short helpers
 * for the zone, cluster, host, tag and config APIs, accounts, and an event recorder.
 * The groups of checks (inv_crud.c, inv_accounts.c, inv_host.c, inv_workflow.c) each
 * take a running node.
 */
#ifndef INV_H
#define INV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <nng/nng.h>

#include "zs/client.h"
#include "zs/cluster/v1/cluster.pb-c.h"
#include "zs/host/v1/host.pb-c.h"
#include "zs/zone/v1/zone.pb-c.h"
#include "zst_node.h"

#define INV_TIMEOUT_MS 10000
#define INV_READY_MS 60000     /* a node's start, its PostgreSQL's initdb included */
#define INV_UUID 64            /* room for a uuid */
#define INV_SESSION 128        /* room for a session token */

/* Canonical codes the checks expect (zs/client.h names only the transport's). */
enum {
	INV_OK = 0,
	INV_INVALID_ARGUMENT = 3,
	INV_NOT_FOUND = 5,
	INV_ALREADY_EXISTS = 6,
	INV_PERMISSION_DENIED = 7,
	INV_ABORTED = 10,
};

/* A node under test and what its last call said. */
typedef struct inv {
	zst_node node;
	zs_client *client;
	const char *admin;            /* the admin's session (node.session) */
	int code;                     /* the last call's canonical code */
	char msg[1024];               /* "CODE: message" of the last failure ("OK") */
	char error_code[64];          /* the last failure's error code ("" when none) */
	char description[256];        /* its declared description */
} inv;

/* Starts a node with the built plugins and extra --set values (NULL-terminated, may be
 * NULL), opens a client; false (after saying why) on failure. */
bool inv_start(inv *t, const char *const *sets);
/* The same with the plugins of plugins_dir (NULL: the build's). */
bool inv_start_in(inv *t, const char *plugins_dir, const char *const *sets);
/* Stops t's node (checked as inv_stop does) and starts it again on the same data (no
 * initdb) with sets; false (the node gone) when either fails. */
bool inv_restart(inv *t, const char *const *sets);
/* Closes the client and stops the node, checking a clean exit (no sanitizer report). */
void inv_stop(inv *t);

/* Calls method as session; *reply (caller frees, NULL to drop) on OK. The code. */
int inv_call(inv *t, const char *session, const char *method, const void *req,
    const ProtobufCMessageDescriptor *reply_desc, void *reply);

/* A normal account made by the admin, logged in: its session and uuid; false on failure. */
bool inv_account(inv *t, const char *name, char session[INV_SESSION], char uuid[INV_UUID]);

/* ---- zones, clusters, hosts: the code; a new uuid goes to uuid ("" on failure) ---- */
int inv_zone_create(inv *t, const char *s, const char *name, char uuid[INV_UUID]);
int inv_zone_get(inv *t, const char *s, const char *uuid, Zs__Zone__V1__ZoneInfo **out);
/* name, description NULL: left out of the request. */
int inv_zone_update(inv *t, const char *s, const char *uuid, const char *name,
    const char *description);
int inv_zone_delete(inv *t, const char *s, const char *uuid,
    Zs__Zone__V1__DeleteZoneResponse **out);
/* How many zones s sees, or -1. has (may be NULL) is set when uuid is among them. */
int inv_zone_count(inv *t, const char *s, const char *uuid, bool *has);

int inv_cluster_create(inv *t, const char *s, const char *zone, const char *name,
    const char *hypervisor, char uuid[INV_UUID]);
int inv_cluster_get(inv *t, const char *s, const char *uuid, Zs__Cluster__V1__ClusterInfo **out);
int inv_cluster_update(inv *t, const char *s, const char *uuid, const char *name,
    const char *description);
int inv_cluster_delete(inv *t, const char *s, const char *uuid,
    Zs__Cluster__V1__DeleteClusterResponse **out);
/* How many clusters s sees (in zone, unless NULL), or -1; has as for zones. */
int inv_cluster_count(inv *t, const char *s, const char *zone, const char *uuid, bool *has);

int inv_host_add(inv *t, const char *s, const char *cluster, const char *name, const char *ip,
    char uuid[INV_UUID]);
int inv_host_add_info(inv *t, const char *s, const char *cluster, const char *name,
    const char *ip, Zs__Host__V1__HostInfo **out);
int inv_host_get(inv *t, const char *s, const char *uuid, Zs__Host__V1__HostInfo **out);
int inv_host_update(inv *t, const char *s, const char *uuid, const char *name,
    const char *description);
int inv_host_delete(inv *t, const char *s, const char *uuid);
/* How many hosts s sees (in cluster, unless NULL), or -1; has as for zones. */
int inv_host_count(inv *t, const char *s, const char *cluster, const char *uuid, bool *has);

/* ---- tags and configs ---- */
/* A tag on resource (system or user): the code, its uuid to uuid (may be NULL). */
int inv_tag(inv *t, const char *s, const char *resource, const char *tag, bool system,
    char uuid[INV_UUID]);
int inv_tag_delete(inv *t, const char *s, const char *uuid);
/* How many tags resource has, or -1 (then t->code says why). */
int inv_tag_count(inv *t, const char *s, const char *resource);
/* How many tags Query finds for tag (exact, or a pattern), or -1. */
int inv_tag_query(inv *t, const char *s, const char *tag);
/* GlobalConfig/Get kvm.reservedMemory (for resource, unless NULL): the code; the value
 * and its source ("global" when no tag gave it) into value and source. */
int inv_reserved(inv *t, const char *s, const char *resource, char value[64], char source[32]);
/* GlobalConfig/Update (value) or Reset (NULL) of kvm.reservedMemory, as admin. */
int inv_reserved_set(inv *t, const char *value);

/* ---- events ---- */
/* Records every event under zone/, cluster/ and host/ of a node. */
typedef struct inv_events {
	nng_socket sock;
	bool open;
	size_t n;
	struct { char topic[32]; char uuid[INV_UUID]; } seen[256];
} inv_events;
int inv_events_open(inv_events *e, const char *url);
/* True when an event on topic about uuid came (waits up to wait_ms for it). Events go
 * out before the call that made them answers: a short wait is enough to see none came. */
bool inv_events_has(inv_events *e, const char *topic, const char *uuid, int wait_ms);
#define INV_EVENT_WAIT_MS 3000
void inv_events_close(inv_events *e);

/* ---- the agent simulator (inv_sim.c) ---- */
/* method path on the zs-kvmsim at port (on host's address; NULL: 127.0.0.1): its JSON
 * answer (caller decrefs) or NULL. */
json_t *inv_sim_http(int port, const char *method, const char *host, const char *path,
    const char *body);
/* The same, answer dropped: true when it answered JSON. */
bool inv_sim_do(int port, const char *method, const char *path, const char *body);
/* "KvmAgent.port=PORT": inv_start then passes it to every node it starts, so that KVM
 * hosts (AddHost on a KVM cluster connects them) reach the simulator. NULL: none. */
void inv_set_agent(const char *set);

/* ---- the groups ---- */
void inv_test_crud(inv *t);
void inv_test_accounts(inv *t);
void inv_test_host(inv *t);
/* Starts its own nodes (host.fail_step). */
void inv_test_workflow(void);

#endif
