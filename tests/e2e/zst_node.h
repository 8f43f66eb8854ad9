/*
 * zst_node.h: the end-to-end test harness. It starts a real zsnode process in a fresh
 * temp folder on free ports (everything passed with --set), captures its stderr, waits
 * until zs.health.v1.Health/Check says SERVING, stops it with SIGTERM and checks that it
 * exits 0 with no sanitizer report; plus raw nng req helpers and an HTTP GET. Every wait
 * is bounded. The checks and their counting are zst_check.h's.
 *
 * Every call but Login and Health/Check needs a session: each node starts with the admin
 * password ZST_ADMIN_PASSWORD, zst_node_start logs in as admin and keeps the token in
 * n->session, and zst_pack_request sends the session of the node started last (use
 * zst_pack_request_as for another one, or none).
 */
#ifndef ZST_NODE_H
#define ZST_NODE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <nng/nng.h>
#include <protobuf-c/protobuf-c.h>

#include "zs/rpc/v1/envelope.pb-c.h"
#include "zs/rpc/v1/event.pb-c.h"
#include "zst_check.h"

/* The password of the admin account of every node the harness starts. */
#define ZST_ADMIN_PASSWORD "zst-admin-Pa55word"

/* How long start and stop may take at most (a start makes a PostgreSQL cluster: on a
 * loaded machine that alone can take tens of seconds). */
#define ZST_READY_MS 60000
#define ZST_STOP_MS 10000

/* One zsnode process and its folder. */
typedef struct zst_node {
	pid_t pid;                    /* 0 once reaped (or never started) */
	int status;                   /* wait status once reaped */
	char root[256];               /* temp folder, removed by zst_node_cleanup */
	char data_dir[272];
	char err_path[288];           /* zsnode's stderr */
	char rpc_url[64];
	char events_url[64];
	char json_url[64];
	char http_url[64];
	char ipc_url[304];
	char session[64];             /* admin's session token, set by zst_node_start */
} zst_node;

/* Reads the zsnode path and plugins folder (argv[1], argv[2], else $ZS_NODE_BIN and
 * $ZS_PLUGIN_DIR), names the test for its summary line and arms alarm(alarm_s) as the last
 * resort against a hang. Returns 0, or -1 (after saying why) when a path is missing. */
int zst_init(int argc, char **argv, const char *name, unsigned alarm_s);
const char *zst_bin(void);
const char *zst_plugins(void);

/* Checks (ZST_CHECK, ZST_REQUIRE, ...) come from zst_check.h; the harness prints "ok"
 * lines too, and zst_fail_now kills the nodes still running before it exits.
 * zst_summary prints "NAME: N passed, M failed" and returns the exit code of the test. */
int zst_summary(void);
/* Notes (indented, not counted). */
void zst_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A TCP port nobody listens on right now (bind port 0), or -1. */
int zst_free_port(void);
/* Milliseconds of a monotonic clock. */
int64_t zst_now_ms(void);
void zst_sleep_ms(int ms);

/* Starts zsnode without waiting: plugins_dir NULL is the default one; sets is a
 * NULL-terminated list of extra "name=value" (may be NULL). Returns 0 or -1. */
int zst_node_spawn(zst_node *n, const char *plugins_dir, const char *const *sets);
/* Starts zsnode again in the folder of one that has exited (zst_node_stop): the same
 * data (its PostgreSQL cluster made already, so no initdb) and ports, new settings.
 * Returns 0 or -1 (the folder is removed then). */
int zst_node_respawn(zst_node *n, const char *plugins_dir, const char *const *sets);
/* Polls Health/Check until SERVING; -1 when the process exits or timeout_ms passes. */
int zst_node_wait_ready(zst_node *n, int timeout_ms);
/* spawn + wait_ready + zst_login as admin into n->session (which becomes the session
 * zst_pack_request sends); on failure prints zsnode's stderr and cleans up. */
int zst_node_start(zst_node *n, const char *plugins_dir, const char *const *sets);
/* Logs in at url: the session token into session. The canonical code (0: OK); a failure's
 * message goes to why (may be NULL). */
int zst_login(const char *url, const char *name, const char *password, char *session,
    size_t len, char *why, size_t why_len);
/* Waits for the process to exit: its exit code, 128+signal, or -1 on timeout. */
int zst_node_wait_exit(zst_node *n, int timeout_ms);
/* SIGTERM, then waits ZST_STOP_MS; checks exit 0 and a clean stderr. Returns the exit
 * code (or -1 when it had to be killed). */
int zst_node_stop(zst_node *n);
/* True while the process runs (reaps it once it has exited). */
bool zst_node_alive(zst_node *n);
/* Kills the process if still running (SIGKILL) and removes the folder. */
void zst_node_cleanup(zst_node *n);
/* zsnode's stderr so far (caller frees), never NULL. */
char *zst_node_stderr(const zst_node *n);
bool zst_node_stderr_has(const zst_node *n, const char *needle);
/* Checks the captured stderr has no ASan/UBSan/LSan report. */
int zst_node_check_sanitizers(const zst_node *n, const char *what);
/* Prints the last lines of the node's stderr (for a failure). */
void zst_node_dump_stderr(const zst_node *n);
/* A libpq conninfo for the node's embedded PostgreSQL (from DATA_DIR/pg/postmaster.pid:
 * its socket folder and port), for a second node's db.url or a test's own connection;
 * caller frees; NULL when the file cannot be read. */
char *zst_node_pg_conninfo(const zst_node *n);

/* Health/Check of url: the ServingStatus (1 SERVING), or -1 when no answer. */
int zst_health(const char *url, int timeout_ms);
bool zst_serving(const zst_node *n);

/* A req0 socket dialed (synchronously) to url with send/recv timeouts. */
int zst_req_open(nng_socket *s, const char *url, int timeout_ms);
/* Sends a frame, waits for the answer (caller frees *reply with free()). 0 or nng error. */
int zst_req_call(nng_socket s, const void *frame, size_t len, char **reply, size_t *reply_len);
/* A packed zs.rpc.v1.Request (caller frees) with the session of the node started last.
 * body may be NULL. */
uint8_t *zst_pack_request(const char *method, uint64_t request_id, uint32_t timeout_ms,
    int64_t deadline_unix_ms, const ProtobufCMessage *body, size_t *len);
/* The same with session (NULL or "": none). */
uint8_t *zst_pack_request_as(const char *session, const char *method, uint64_t request_id,
    uint32_t timeout_ms, int64_t deadline_unix_ms, const ProtobufCMessage *body, size_t *len);
/* The session zst_pack_request sends ("" when none). */
const char *zst_session(void);
/* The whole call in protobuf: the Reply (free with zs__rpc__v1__reply__free_unpacked)
 * or NULL when there was no readable answer. */
Zs__Rpc__V1__Reply *zst_pb_call(nng_socket s, const uint8_t *frame, size_t len);

/* The feeds carry events' headers only: the whole event of sequence (the node's live
 * number) from zs.event.v1.Events/Recent at url as session (free with
 * zs__rpc__v1__event__free_unpacked), or NULL when that session may not see it. */
Zs__Rpc__V1__Event *zst_event_fetch(const char *url, const char *session, uint64_t sequence);

/* GET url with libcurl within timeout_ms: the body (caller frees) and *code, or NULL. */
char *zst_http_get(const char *url, long *code, int timeout_ms);
/* The value of one Prometheus series ("name{labels}") in text, or -1 when absent. */
double zst_metric(const char *text, const char *series);
/* The same, read from the node's /metrics now. */
double zst_node_metric(const zst_node *n, const char *series);

/* Files. */
int zst_mkdtemp(char *out, size_t len);
void zst_rmtree(const char *path);
int zst_write_file(const char *path, const char *text);
int zst_copy_file(const char *from, const char *to);
/* Copies the plugins folder (files and subfolders) into dir, except the top-level
 * entry named skip (may be NULL). */
int zst_copy_plugins(const char *dir, const char *skip);
/* Reads a whole file (caller frees), NULL when unreadable. */
char *zst_read_file(const char *path);

#endif
