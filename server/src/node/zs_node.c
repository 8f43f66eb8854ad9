/* zs_node.c: the node: declares its properties, builds every part with what it needs,
 * starts and drains. The composition root: the one place that knows every module. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "zs/clock.h"
#include "zs/errors.h"
#include "zs/log.h"
#include "zs_metrics.h"
#include "zs_node_impl.h"
#include "zs_router.h"
#include "zs_units.h"

/* The node's own properties; services declare theirs in their descriptors. */
static const struct {
	const char *name, *value, *description;
} node_props[] = {
	{ "node.id", "", "this node's id; empty: generated at start" },
	{ "node.heartbeat_interval", "2s", "how often this node writes its heartbeat (zs_nodes)" },
	{ "node.heartbeat_timeout", "15s", "a node whose heartbeat is older is gone: its running jobs end FAILED" },
	{ "data.dir", "zsnode-data", "folder for the node's files (ipc socket, database)" },
	{ "plugins.dir", "", "folder of service descriptors (*.xml) and their .so files; empty: beside the binary" },
	{ "plugins.schema", "", "the descriptor schema (service.xsd); empty: beside the binary" },
	{ "rpc.url", "tcp://127.0.0.1:5570", "req/rep listen addresses, comma separated" },
	{ "rpc.ipc", "", "ipc listen address; empty: ipc://DATA_DIR/zsnode.sock; none: off" },
	{ "rpc.tls_url", "tls+tcp://127.0.0.1:5573", "tls+tcp listen address, used when tls.cert is set" },
	{ "tls.cert", "", "PEM certificate for tls+tcp" },
	{ "tls.key", "", "PEM private key for tls+tcp" },
	{ "events.url", "tcp://127.0.0.1:5571", "event pub socket (protobuf frames)" },
	{ "events.json_url", "tcp://127.0.0.1:5572", "event pub socket (JSON frames); empty: off" },
	{ "http.url", "http://127.0.0.1:5580", "/metrics, /healthz and agents' callbacks (/asyncrest/callback); empty: off" },
	{ "http.callback_url", "", "where agents POST asynchronous answers; empty: HTTP_URL/asyncrest/callback" },
	{ "kvm.host.syncLevel", "10", "commands in flight per host agent; more wait in a queue" },
	{ "http.max_connections", "16384", "idle connections to host agents kept for reuse (at most the open-files limit less 1024)" },
	{ "rpc.max_frame", "4M", "largest request frame accepted" },
	{ "rpc.max_inflight", "100000", "most calls in flight at once" },
	{ "rpc.recv_slots", "64", "contexts kept waiting for requests" },
	{ "rpc.default_timeout", "30s", "deadline of a call that names none" },
	{ "rpc.max_timeout", "1h", "longest deadline a call may ask for" },
	{ "rpc.dedupe_window", "10s", "how long an answered request id is known (a resend gets the first answer)" },
	{ "rpc.dedupe_max", "131072", "most answered request ids known at once (calls in flight are always known)" },
	{ "rpc.dedupe_answer_max", "8K", "largest answer kept for a resend (a larger one: the id alone)" },
	{ "rpc.dedupe_bytes", "16M", "answer bytes kept for resends in all (over it, the oldest answers go)" },
	{ "shutdown.grace", "5s", "how long accepted calls may run on after SIGTERM" },
	{ "job.default_timeout", "1h", "deadline of a call run as a job that names none" },
	{ "work.threads", "16", "worker threads for handlers that may block (executor=\"pool\")" },
	{ "log.level", "info", "debug, info, warn or error" },
	{ "db.url", "", "PostgreSQL connection string; empty: the node runs its own under DATA_DIR/pg" },
	{ "db.pool_size", "16", "database connections per node" },
	{ "db.migrations", "", "folder of the node's own SQL migrations; empty: beside the binary" },
	{ "query.limit.max", "10000", "most rows one Query call answers (a larger limit is refused; page with start)" },
};

const char *
zs_node_id(const zs_node *node)
{
	return node->id;
}

bool
zs_node_serving(const zs_node *node)
{
	return node->rpc != NULL && zs_rpc_get_state(node->rpc) == ZS_RPC_SERVING;
}

bool
zs_node_db_up(const zs_node *node)
{
	return zs_pg_watch_up(node->pg_watch);
}

bool
zs_node_has_service(const zs_node *node, const char *service)
{
	return zs_router_has_service(zs_rpc_router(node->rpc), service);
}

const char *
zs_node_property(const zs_node *node, const char *name)
{
	return zs_props_get(node->props, name);
}

int
zs_node_property_long(const zs_node *node, const char *name, long def, long min, long max,
    long *out, char *err, size_t errlen)
{
	const char *v = zs_node_property(node, name);
	if (v == NULL || *v == '\0') {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (*end != '\0' || errno != 0 || n < min || n > max) {
		snprintf(err, errlen, "%s \"%s\" is not a number in [%ld, %ld]", name, v, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

zs_bus *
zs_node_bus(zs_node *node)
{
	return zs_rpc_bus(node->rpc);
}

zs_db *
zs_node_db(zs_node *node)
{
	return node->db;
}

zs_ext_registry *
zs_node_extensions(zs_node *node)
{
	return node->exts;
}

zs_http *
zs_node_http(zs_node *node)
{
	return node->http;
}

zs_timerq *
zs_node_timers(zs_node *node)
{
	return node->timers;
}

zs_work *
zs_node_work(zs_node *node)
{
	return node->work;
}

zs_events *
zs_node_events(zs_node *node)
{
	return node->events;
}

zs_errors *
zs_node_errors(zs_node *node)
{
	return zs_rpc_errors(node->rpc);
}

zs_config *
zs_node_config(zs_node *node)
{
	return node->config;
}

zs_tags *
zs_node_tags(zs_node *node)
{
	return node->tags;
}

/* Reads a property as a size, duration or integer; err names the property on failure. */
static int
node_limit(zs_node *node, const char *name, char kind, int64_t *out, char *err, size_t errlen)
{
	const char *v = zs_props_get(node->props, name);
	uint64_t size;
	int rv;
	if (kind == 's') {
		rv = zs_parse_size(v, &size);
		if (rv == 0 && size > INT64_MAX)
			rv = -1;
		*out = (int64_t) size;
	} else if (kind == 'd') {
		rv = zs_parse_duration_ms(v, out);
	} else {
		rv = zs_parse_int(v, 1, INT64_MAX, out);
	}
	if (rv != 0 || *out <= 0)
		snprintf(err, errlen, "property %s = \"%s\" is not a %s", name, v ? v : "",
		    kind == 's' ? "size (e.g. 4M)" : kind == 'd' ? "duration (e.g. 30s)" : "positive integer");
	return rv == 0 && *out > 0 ? 0 : -1;
}

/* Reads every limit and makes the call path with them. */
static int
node_rpc_new(zs_node *node, char *err, size_t errlen)
{
	int64_t max_frame, dedupe_window, dedupe_max, dedupe_answer_max, dedupe_bytes;
	zs_rpc_config c = { .node_id = node->id, .host = node, .timers = node->timers,
		.work = node->work };
	if (node_limit(node, "rpc.max_frame", 's', &max_frame, err, errlen) != 0 ||
	    node_limit(node, "rpc.default_timeout", 'd', &c.default_timeout_ms, err, errlen) != 0 ||
	    node_limit(node, "rpc.max_timeout", 'd', &c.max_timeout_ms, err, errlen) != 0 ||
	    node_limit(node, "shutdown.grace", 'd', &node->shutdown_grace_ms, err, errlen) != 0 ||
	    node_limit(node, "rpc.max_inflight", 'i', &node->max_inflight, err, errlen) != 0 ||
	    node_limit(node, "job.default_timeout", 'd', &c.job_timeout_ms, err, errlen) != 0 ||
	    node_limit(node, "rpc.dedupe_window", 'd', &dedupe_window, err, errlen) != 0 ||
	    node_limit(node, "rpc.dedupe_max", 'i', &dedupe_max, err, errlen) != 0 ||
	    node_limit(node, "rpc.dedupe_answer_max", 's', &dedupe_answer_max, err, errlen) != 0 ||
	    node_limit(node, "rpc.dedupe_bytes", 's', &dedupe_bytes, err, errlen) != 0)
		return -1;
	c.max_frame = (uint64_t) max_frame;
	c.dedupe_window_ms = dedupe_window;
	c.dedupe_max = (size_t) dedupe_max;
	c.dedupe_answer_max = (size_t) dedupe_answer_max;
	c.dedupe_bytes = (size_t) dedupe_bytes;
	if (zs_rpc_new(&node->rpc, &c) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Sets the log's level from log.level. */
static int
node_log_level(zs_node *node, char *err, size_t errlen)
{
	const char *level = zs_props_get(node->props, "log.level");
	zs_log_level l;
	if (zs_log_parse_level(level, &l) != 0) {
		snprintf(err, errlen, "property log.level = \"%s\" is not debug, info, warn or error",
		    level ? level : "");
		return -1;
	}
	zs_log_set_level(l);
	return 0;
}

int
zs_node_new_props(zs_node **out, zs_props *props, char *err, size_t errlen)
{
	zs_node *node = calloc(1, sizeof *node);
	if (node == NULL) {
		zs_props_free(props);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	node->props = props;
	node->lock_fd = -1;
	node->started_ms = zs_clock_ms();
	for (size_t i = 0; i < sizeof node_props / sizeof node_props[0]; i++)
		zs_props_declare(props, node_props[i].name, node_props[i].value,
		    node_props[i].description, false, false, "node");
	if (sodium_init() < 0 || node_log_level(node, err, errlen) != 0 ||
	    zs_timerq_new(&node->timers) != 0 || zs_ext_registry_new(&node->exts) != 0) {
		if (*err == '\0')
			snprintf(err, errlen, "cannot set the node up (out of memory?)");
		zs_node_free(node);
		return -1;
	}
	const char *id = zs_props_get(props, "node.id");
	if (id != NULL && *id != '\0') {
		node->id = strdup(id);
	} else {
		unsigned char raw[6];
		char hex[13];
		randombytes_buf(raw, sizeof raw);
		sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
		node->id = strdup(hex);
	}
	if (node->id == NULL) {
		snprintf(err, errlen, "out of memory");
		zs_node_free(node);
		return -1;
	}
	*out = node;
	return 0;
}

/* A path beside the binary: <dir of zsnode>/../rel. */
static char *
node_beside_binary(const char *rel)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return strdup(rel);
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	char *path;
	return asprintf(&path, "%s/../%s", exe, rel) < 0 ? NULL : path;
}

static int
node_mkdir(const char *dir, char *err, size_t errlen)
{
	/* 0711: the embedded PostgreSQL runs as another user and must reach DATA_DIR/pg */
	if (mkdir(dir, 0711) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "data.dir %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void
node_prop_missing(const char *name, const char *owner, void *arg)
{
	(void) arg;
	zs_log(ZS_LOG_ERROR, "node", "property %s (declared by %s) is required and has no value",
	    name, owner);
}

static void
node_prop_unknown(const char *name, zs_prop_source where, void *arg)
{
	(void) arg;
	zs_log(ZS_LOG_WARN, "node", "property %s (from the %s) is not declared by the node "
	    "or any service: is it misspelt?", name, zs_props_source_name(where));
}

/* Listens on each comma-separated address, then the ipc and tls ones. */
static int
node_listen(zs_node *node, char *err, size_t errlen)
{
	char *urls = strdup(zs_props_get(node->props, "rpc.url"));
	if (urls == NULL)
		return -1;
	int rv = 0;
	char *save = NULL;
	for (char *u = strtok_r(urls, ", ", &save); u != NULL && rv == 0; u = strtok_r(NULL, ", ", &save)) {
		rv = zs_rpc_listen(node->rpc, u, NULL, NULL, err, errlen);
		if (rv == 0)
			zs_log(ZS_LOG_INFO, "node", "listening on %s", u);
	}
	free(urls);
	const char *ipc = zs_props_get(node->props, "rpc.ipc");
	char *ipc_default = NULL;
	if (rv == 0 && strcmp(ipc, "none") != 0) {
		if (*ipc == '\0') {
			char *dir = realpath(zs_props_get(node->props, "data.dir"), NULL);
			if (dir == NULL || asprintf(&ipc_default, "ipc://%s/zsnode.sock", dir) < 0)
				ipc_default = NULL;
			free(dir);
			ipc = ipc_default;
		}
		rv = ipc != NULL ? zs_rpc_listen(node->rpc, ipc, NULL, NULL, err, errlen) : -1;
		if (rv == 0)
			zs_log(ZS_LOG_INFO, "node", "listening on %s", ipc);
	}
	free(ipc_default);
	const char *cert = zs_props_get(node->props, "tls.cert");
	if (rv == 0 && *cert != '\0') {
		const char *tls = zs_props_get(node->props, "rpc.tls_url");
		rv = zs_rpc_listen(node->rpc, tls, cert, zs_props_get(node->props, "tls.key"), err,
		    errlen);
		if (rv == 0)
			zs_log(ZS_LOG_INFO, "node", "listening on %s", tls);
	}
	return rv;
}

/* The *.sql files of dir, sorted (caller frees each and the array). */
static int
node_sql_files(const char *dir, char ***out, size_t *n, char *err, size_t errlen)
{
	struct dirent **ents;
	int k = scandir(dir, &ents, NULL, alphasort);
	if (k < 0) {
		snprintf(err, errlen, "db.migrations %s: %s", dir, strerror(errno));
		return -1;
	}
	char **files = calloc((size_t) k + 1, sizeof *files);
	size_t len = 0;
	for (int i = 0; i < k; i++) {
		size_t l = strlen(ents[i]->d_name);
		if (files != NULL && l > 4 && strcmp(ents[i]->d_name + l - 4, ".sql") == 0 &&
		    asprintf(&files[len], "%s/%s", dir, ents[i]->d_name) >= 0)
			len++;
		free(ents[i]);
	}
	free(ents);
	if (files == NULL)
		return -1;
	*out = files;
	*n = len;
	return 0;
}

/* Runs the node's own migrations, then each plugin's, in load order. */
static int
node_migrate(zs_node *node, char *err, size_t errlen)
{
	const char *dir = zs_props_get(node->props, "db.migrations");
	char *dir_default = *dir ? NULL : node_beside_binary("sql");
	char **files = NULL;
	size_t n = 0;
	int rv = node_sql_files(dir_default ? dir_default : dir, &files, &n, err, errlen);
	free(dir_default);
	if (rv == 0)
		rv = zs_db_migrate(node->db, "node", (const char *const *) files, n, err, errlen) < 0 ? -1 : 0;
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return rv == 0 ? zs_plugins_migrate(node->plugins, node->db, err, errlen) : -1;
}

/* Connects to db.url, or starts the embedded PostgreSQL, then migrates. */
static int
node_db_start(zs_node *node, char *err, size_t errlen)
{
	int64_t pool;
	if (node_limit(node, "db.pool_size", 'i', &pool, err, errlen) != 0)
		return -1;
	const char *url = zs_props_get(node->props, "db.url");
	char *conninfo = NULL;
	if (*url == '\0') {
		int64_t t0 = zs_clock_ms();
		if (zs_pg_start(zs_props_get(node->props, "data.dir"), &node->pg, &conninfo, err, errlen) != 0)
			return -1;
		zs_log(ZS_LOG_INFO, "node", "embedded PostgreSQL ready in %lld ms: data in %s, log %s",
		    (long long) (zs_clock_ms() - t0), zs_pg_data_dir(node->pg), zs_pg_log_path(node->pg));
		if (zs_pg_watch_start(&node->pg_watch, node->pg, err, errlen) != 0) {
			free(conninfo);
			return -1;
		}
		url = conninfo;
	}
	int rv = zs_db_open(&node->db, url, (int) pool, err, errlen);
	free(conninfo);
	/* the most rows a Query call answers (zs/query.h), for every module's queries */
	int64_t query_max;
	if (rv == 0 && node_limit(node, "query.limit.max", 'i', &query_max, err, errlen) != 0)
		return -1;
	if (rv == 0 && query_max > UINT32_MAX) {
		snprintf(err, errlen, "property query.limit.max (%lld) is above %u",
		    (long long) query_max, UINT32_MAX);
		return -1;
	}
	if (rv == 0)
		zs_db_set_query_limit(node->db, (uint32_t) query_max);
	return rv == 0 ? node_migrate(node, err, errlen) : -1;
}

/* The HTTP client to host agents, its error codes, and where agents call back. */
static int
node_http_new(zs_node *node, char *err, size_t errlen)
{
	int64_t level, conns;
	const char *http = zs_props_get(node->props, "http.url");
	const char *cb = zs_props_get(node->props, "http.callback_url");
	char *cb_default = NULL;
	if (node_limit(node, "kvm.host.syncLevel", 'i', &level, err, errlen) != 0 ||
	    node_limit(node, "http.max_connections", 'i', &conns, err, errlen) != 0)
		return -1;
	/* a connection a host: kept alive, a ping is one request on it; without room for each
	 * host, every ping of a round would open (and the cache close) a connection */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t) conns + 1024 > rl.rlim_cur)
		conns = rl.rlim_cur > 2048 ? (int64_t) rl.rlim_cur - 1024 : 1024;
	for (size_t i = 0; zs_http_error_codes[i][0] != NULL; i++)
		if (zs_errors_declare(zs_rpc_errors(node->rpc), zs_http_error_codes[i][0],
		    zs_http_error_codes[i][1], "http", NULL) != 0) {
			snprintf(err, errlen, "cannot declare error code %s", zs_http_error_codes[i][0]);
			return -1;
		}
	if (*cb == '\0' && *http != '\0') {
		size_t n = strlen(http);
		if (asprintf(&cb_default, "%.*s/asyncrest/callback", (int) (n > 0 && http[n - 1] == '/' ? n - 1 : n),
		    http) < 0)
			cb_default = NULL;
		cb = cb_default != NULL ? cb_default : "";
	}
	zs_http_env env = { .node_id = node->id, .callback_url = cb, .sync_level = (size_t) level,
		.max_connections = (size_t) conns };
	int rv = zs_http_new(&node->http, &env, err, errlen);
	free(cb_default);
	return rv;
}

/* The parts every module is made with: workers, the call path, the event feeds, the
 * HTTP client to agents. */
static int
node_parts_new(zs_node *node, char *err, size_t errlen)
{
	zs_props *p = node->props;
	int64_t threads;
	/* the folder is ours before anything in it is touched (PostgreSQL, the ipc socket) */
	if (node_limit(node, "work.threads", 'i', &threads, err, errlen) != 0 ||
	    node_mkdir(zs_props_get(p, "data.dir"), err, errlen) != 0 ||
	    zs_node_lock(zs_props_get(p, "data.dir"), &node->lock_fd, err, errlen) != 0)
		return -1;
	if (zs_work_new(&node->work, (size_t) threads) != 0) {
		snprintf(err, errlen, "cannot start %lld worker threads", (long long) threads);
		return -1;
	}
	return node_rpc_new(node, err, errlen) != 0 ||
	    zs_events_new(&node->events, node->id, zs_props_get(p, "events.url"),
	        zs_props_get(p, "events.json_url"), err, errlen) != 0 ||
	    node_http_new(node, err, errlen) != 0 ? -1 : 0;
}

/* Loads the plugins from their descriptors and makes the platform modules. */
static int
node_services_new(zs_node *node, char *err, size_t errlen)
{
	zs_props *p = node->props;
	/* the jobs module is made with the heartbeat's timeout */
	if (node_limit(node, "node.heartbeat_interval", 'd', &node->heartbeat_interval_ms, err, errlen) != 0 ||
	    node_limit(node, "node.heartbeat_timeout", 'd', &node->heartbeat_timeout_ms, err, errlen) != 0)
		return -1;
	if (node->heartbeat_timeout_ms <= node->heartbeat_interval_ms) {
		snprintf(err, errlen, "property node.heartbeat_timeout (%lld ms) must be longer than "
		    "node.heartbeat_interval (%lld ms)", (long long) node->heartbeat_timeout_ms,
		    (long long) node->heartbeat_interval_ms);
		return -1;
	}
	const char *dir = zs_props_get(p, "plugins.dir"), *xsd = zs_props_get(p, "plugins.schema");
	char *dir_default = *dir ? NULL : node_beside_binary("plugins");
	char *xsd_default = *xsd ? NULL : node_beside_binary("schema/service.xsd");
	zs_plugins_env env = { node, zs_rpc_router(node->rpc), node->exts, p, zs_rpc_errors(node->rpc) };
	int rv = zs_plugins_load(&env, dir_default ? dir_default : dir, xsd_default ? xsd_default : xsd,
	    &node->plugins, err, errlen);
	free(dir_default);
	free(xsd_default);
	return rv != 0 || zs_platform_new(node, err, errlen) != 0 ||
	    zs_plugins_link(node->plugins, err, errlen) != 0 ? -1 : 0;
}

/* After each heartbeat: the jobs of nodes that stopped beating end FAILED. */
static void
node_after_beat(void *arg)
{
	zs_node *node = arg;
	zs_jobs_sweep(node->jobs);
}

int
zs_node_start_err(zs_node *node, char *err, size_t errlen)
{
	zs_props *p = node->props;
	int64_t recv_slots;
	if (node_limit(node, "rpc.recv_slots", 'i', &recv_slots, err, errlen) != 0 ||
	    node_parts_new(node, err, errlen) != 0 || node_services_new(node, err, errlen) != 0)
		return -1;
	zs_router_seal(zs_rpc_router(node->rpc));
	if (zs_props_check(p, node_prop_missing, node_prop_unknown, node) > 0) {
		snprintf(err, errlen, "required properties are missing (see above); set them in the "
		    "properties file, as ZS_* environment variables or with --set name=value");
		return -1;
	}
	if (node_db_start(node, err, errlen) != 0 || zs_platform_start(node, err, errlen) != 0)
		return -1;
	node->platform_started = true;
	zs_heartbeat_env beat = { node->db, node->id, node->heartbeat_interval_ms, node_after_beat, node };
	if (zs_heartbeat_start(&node->heartbeat, &beat, err, errlen) != 0)
		return -1;

	const char *json_url = zs_props_get(p, "events.json_url"), *http = zs_props_get(p, "http.url");
	if (*http != '\0' && zs_metrics_new(&node->metrics, node, http, err, errlen) != 0)
		return -1;
	if (node_listen(node, err, errlen) != 0 || zs_plugins_start(node->plugins, err, errlen) != 0)
		return -1;
	zs_rpc_set_state(node->rpc, ZS_RPC_SERVING);
	if (zs_rpc_serve(node->rpc, (size_t) recv_slots, (size_t) node->max_inflight) != 0) {
		snprintf(err, errlen, "cannot start receiving requests");
		return -1;
	}
	zs_log(ZS_LOG_INFO, "node", "node %s serving %zu methods from %zu plugins; events on %s%s%s; "
	    "metrics on %s%s", node->id, zs_router_len(zs_rpc_router(node->rpc)),
	    zs_plugins_len(node->plugins), zs_props_get(p, "events.url"), *json_url ? " and " : "",
	    json_url, *http ? http : "(off)", *http ? "/metrics" : "");
	return 0;
}

int
zs_node_reset_admin_password(zs_node *node, const char *password, char *uuid_out,
    size_t uuid_len, char *err, size_t errlen)
{
	if (node_parts_new(node, err, errlen) != 0 || node_services_new(node, err, errlen) != 0 ||
	    node_db_start(node, err, errlen) != 0)
		return -1;
	return zs_identity_reset_admin(node->db, password, uuid_out, uuid_len, err, errlen);
}

static void
node_wait(zs_node *node, int64_t until_ms, bool (*done)(zs_node *))
{
	while (!done(node) && zs_clock_ms() < until_ms)
		usleep(2000);
}

static bool
node_no_calls(zs_node *node)
{
	return zs_rpc_inflight(node->rpc) == 0;
}

static bool
node_no_sends(zs_node *node)
{
	return zs_rpc_busy(node->rpc) == 0;
}

void
zs_node_stop(zs_node *node)
{
	if (node->rpc != NULL) {
		zs_rpc_state state = zs_rpc_get_state(node->rpc);
		if (state == ZS_RPC_DRAINING || state == ZS_RPC_STOPPED)
			return;
		zs_rpc_set_state(node->rpc, ZS_RPC_DRAINING);
		zs_log(ZS_LOG_INFO, "node", "draining: %lld calls in flight, grace %lld ms",
		    (long long) zs_rpc_inflight(node->rpc), (long long) node->shutdown_grace_ms);
		node_wait(node, zs_clock_ms() + node->shutdown_grace_ms, node_no_calls);
		zs_rpc_cancel_all(node->rpc, ZS_UNAVAILABLE, "the node is shutting down");
		/* handlers still queued run now (and answer) before the sockets close */
		zs_work_stop(node->work);
		node_wait(node, zs_clock_ms() + 1000, node_no_sends);
		zs_rpc_close(node->rpc);
	}
	zs_config_stop(node->config);   /* other nodes' config changes: no watcher runs from here */
	/* commands to agents still waiting fail UNAVAILABLE, while the services that sent
	 * them are still there to hear it (their completions touch the services' state) */
	zs_http_stop(node->http);
	if (node->plugins != NULL)
		zs_plugins_stop(node->plugins);
	zs_heartbeat_stop(node->heartbeat);   /* its jobs have ended: its row goes */
	node->heartbeat = NULL;
	if (node->platform_started)
		zs_platform_stop(node);
	node->platform_started = false;
	zs_db_close(node->db);
	node->db = NULL;
	zs_pg_watch_stop(node->pg_watch);   /* no restart from here on */
	zs_pg_stop(node->pg);
	node->pg = NULL;
	if (node->rpc != NULL)
		zs_rpc_set_state(node->rpc, ZS_RPC_STOPPED);
	zs_log(ZS_LOG_INFO, "node", "node %s stopped", node->id);
}

void
zs_node_free(zs_node *node)
{
	if (node == NULL)
		return;
	/* the timer thread goes first: nothing may fire into parts being freed */
	zs_timerq_free(node->timers);
	zs_work_free(node->work);
	zs_metrics_free(node->metrics);
	zs_http_free(node->http);
	zs_rpc_free(node->rpc);
	zs_events_free(node->events);
	zs_platform_free(node);
	zs_plugins_free(node->plugins);
	zs_ext_registry_free(node->exts);
	zs_db_close(node->db);
	zs_pg_watch_free(node->pg_watch);
	zs_pg_stop(node->pg);
	zs_node_unlock(node->lock_fd);   /* last: its PostgreSQL is stopped */
	zs_props_free(node->props);
	free(node->id);
	free(node);
}
