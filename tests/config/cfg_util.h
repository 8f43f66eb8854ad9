/*
 * cfg_util.h: what the config suite's tests share: a plugins folder holding the built
 * plugins and cfgtest; a node started with it and logged in as admin; calls with a
 * session; SQL straight into the node's embedded PostgreSQL (for rows no API makes yet);
 * zsctl runs; and a node started with a properties file and environment of our own.
 */
#ifndef CFG_UTIL_H
#define CFG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "zs/client.h"
#include "zst_node.h"

/* The harness starts every node with this admin password. */
#define CFG_ADMIN_PASSWORD ZST_ADMIN_PASSWORD

/* A node with the cfgtest plugin, a client and (when identity is there) an admin session. */
typedef struct cfg_node {
	zst_node n;
	zs_client *client;
	char session[256];        /* the admin's session; "" without the identity module */
	char admin_uuid[64];      /* the admin account ("" without identity) */
} cfg_node;

/* zst_init, plus argv[3] (the cfgtest plugin folder) and argv[4] (zsctl). */
int cfg_init(int argc, char **argv, unsigned alarm_s);
/* A temp folder with copies of the built plugins and cfgtest, plus extra descriptors
 * (name, text pairs, NULL-terminated; may be NULL) whose library="@CFGTEST@" becomes the
 * cfgtest library. Caller removes it with zst_rmtree and frees the path. */
char *cfg_plugins_dir(const char *const *extra);

/* Starts a node on plugins (a cfg_plugins_dir) with extra --set values, opens a client
 * and logs in as admin when it can. */
int cfg_start(cfg_node *cn, const char *plugins, const char *const *sets);
/* As cfg_start, on a node zst_node_spawn'd or cfg_spawn'd already. */
int cfg_attach(cfg_node *cn);
/* Closes the client, stops the node (checked: exit 0, no sanitizer report), cleans up. */
void cfg_stop(cfg_node *cn);

/* Logs in as name: 0 with the token in out, or the code. */
int cfg_login(const cfg_node *cn, const char *name, const char *password, char *out, size_t len);
/* Makes a non-admin account (as admin) and logs in as it: 0, or -1. */
int cfg_user(const cfg_node *cn, const char *name, char *session, size_t len);

/* A call with session (NULL: the admin's). Returns the code; *reply or *st (caller frees). */
int cfg_call(const cfg_node *cn, const char *session, const char *method,
    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *reply_desc, void *reply,
    zs_status **st, unsigned timeout_ms);

/* libpq to the node's embedded PostgreSQL (from DATA_DIR/pg/postmaster.pid), or NULL. */
char *cfg_pg_conninfo(const zst_node *n);
PGconn *cfg_pg(const zst_node *n);
/* Runs a statement with text parameters (NULL-terminated list). 0, or -1 (printed). */
int cfg_sql(PGconn *pg, const char *sql, ...);

/* Runs zsctl --url URL [--session S] ARGS... (NULL-terminated): its stdout (caller frees)
 * and exit code; stderr goes to *err_out when not NULL (caller frees). */
char *cfg_zsctl(const cfg_node *cn, const char *session, int *code, char **err_out, ...);

/* Starts zsnode like zst_node_spawn but in a folder holding props_text as
 * zsnode.properties, with env (NULL-terminated "NAME=value") added to its environment. */
int cfg_spawn(zst_node *n, const char *plugins, const char *props_text,
    const char *const *env, const char *const *sets);

/* Waits until cond(arg) or timeout_ms; returns cond's last answer. */
bool cfg_wait(bool (*cond)(void *arg), void *arg, int timeout_ms);

#endif
