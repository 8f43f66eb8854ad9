/*
 * cfg_util.c: the config suite's shared helpers (see cfg_util.h): plugins folder, nodes
 * logged in as admin, calls, SQL into the embedded PostgreSQL, zsctl runs, and a node
 * started with our own properties file and environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg_util.h"
#include "zs/identity/v1/identity.pb-c.h"

extern char **environ;

static char cfg_cfgtest_dir[PATH_MAX];
static char cfg_zsctl_bin[PATH_MAX];

int
cfg_init(int argc, char **argv, unsigned alarm_s)
{
	if (zst_init(argc, argv, "config", alarm_s) != 0)
		return -1;
	if (argc < 5 || realpath(argv[3], cfg_cfgtest_dir) == NULL ||
	    realpath(argv[4], cfg_zsctl_bin) == NULL) {
		printf("config: usage: %s ZSNODE PLUGINS_DIR CFGTEST_DIR ZSCTL\n", argv[0]);
		return -1;
	}
	return 0;
}

/* Copies dir/name of the cfgtest build into to/name. */
static int
cfg_copy_cfgtest(const char *to, const char *name)
{
	char from[PATH_MAX + 64], dst[PATH_MAX + 64];
	snprintf(from, sizeof from, "%s/%s", cfg_cfgtest_dir, name);
	snprintf(dst, sizeof dst, "%s/%s", to, name);
	return zst_copy_file(from, dst);
}

/* Writes text to dir/name with @CFGTEST@ replaced by the cfgtest library's path. */
static int
cfg_write_extra(const char *dir, const char *name, const char *text)
{
	char lib[PATH_MAX + 32], path[PATH_MAX + 64], *out = NULL;
	snprintf(lib, sizeof lib, "%s/libzs_cfgtest.so", dir);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	const char *at = strstr(text, "@CFGTEST@");
	if (at == NULL)
		return zst_write_file(path, text);
	if (asprintf(&out, "%.*s%s%s", (int) (at - text), text, lib, at + strlen("@CFGTEST@")) < 0)
		return -1;
	int rv = zst_write_file(path, out);
	free(out);
	return rv;
}

char *
cfg_plugins_dir(const char *const *extra)
{
	char dir[256];
	if (zst_mkdtemp(dir, sizeof dir) != 0 || zst_copy_plugins(dir, NULL) != 0 ||
	    cfg_copy_cfgtest(dir, "cfgtest.xml") != 0 || cfg_copy_cfgtest(dir, "libzs_cfgtest.so") != 0) {
		printf("FAIL cannot make a plugins folder with cfgtest: %s\n", strerror(errno));
		return NULL;
	}
	for (size_t i = 0; extra != NULL && extra[i] != NULL && extra[i + 1] != NULL; i += 2)
		if (cfg_write_extra(dir, extra[i], extra[i + 1]) != 0) {
			printf("FAIL cannot write %s/%s\n", dir, extra[i]);
			zst_rmtree(dir);
			return NULL;
		}
	return strdup(dir);
}

int
cfg_call(const cfg_node *cn, const char *session, const char *method,
    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *reply_desc, void *reply,
    zs_status **st, unsigned timeout_ms)
{
	const char *s = session != NULL ? session : cn->session;
	zs_call_opts opts = { .timeout_ms = timeout_ms ? timeout_ms : 10000,
		.session = *s != '\0' ? s : NULL };
	*st = NULL;
	*(ProtobufCMessage **) reply = NULL;
	return zs_client_call(cn->client, method, req, reply_desc, (ProtobufCMessage **) reply, st,
	    &opts);
}

/* Logs in; the account's uuid goes to uuid when not NULL. */
static int
cfg_login_as(const cfg_node *cn, const char *name, const char *password, char *out, size_t len,
    char *uuid, size_t uuid_len)
{
	Zs__Identity__V1__LoginRequest req = ZS__IDENTITY__V1__LOGIN_REQUEST__INIT;
	Zs__Identity__V1__LoginResponse *reply;
	zs_status *st;
	req.name = (char *) name;
	req.password = (char *) password;
	int code = cfg_call(cn, "", "zs.identity.v1.Identity/Login", &req.base,
	    &zs__identity__v1__login_response__descriptor, &reply, &st, 0);
	if (code == 0) {
		snprintf(out, len, "%s", reply->session);
		if (uuid != NULL)
			snprintf(uuid, uuid_len, "%s", reply->account ? reply->account->uuid : "");
		zs_reply_free(reply);
	} else {
		zst_note("login as %s: %s: %s", name, zs_client_code_name(code), st ? st->message : "");
		zs_status_free(st);
	}
	return code;
}

int
cfg_login(const cfg_node *cn, const char *name, const char *password, char *out, size_t len)
{
	return cfg_login_as(cn, name, password, out, len, NULL, 0);
}

int
cfg_user(const cfg_node *cn, const char *name, char *session, size_t len)
{
	static const char password[] = "config-suite-user-pw-1";
	Zs__Identity__V1__CreateAccountRequest req = ZS__IDENTITY__V1__CREATE_ACCOUNT_REQUEST__INIT;
	Zs__Identity__V1__AccountInfo *reply;
	zs_status *st;
	req.name = (char *) name;
	req.password = (char *) password;
	int code = cfg_call(cn, NULL, "zs.identity.v1.Identity/CreateAccount", &req.base,
	    &zs__identity__v1__account_info__descriptor, &reply, &st, 0);
	if (code != 0) {
		zst_note("create account %s: %s: %s", name, zs_client_code_name(code), st ? st->message : "");
		zs_status_free(st);
		return -1;
	}
	zs_reply_free(reply);
	return cfg_login(cn, name, password, session, len) == 0 ? 0 : -1;
}

int
cfg_attach(cfg_node *cn)
{
	cn->session[0] = cn->admin_uuid[0] = '\0';
	if (zs_client_open(&cn->client, cn->n.rpc_url) != 0) {
		printf("FAIL cannot open a client to %s\n", cn->n.rpc_url);
		return -1;
	}
	/* identity is a platform module: a node where admin cannot log in is broken */
	if (!ZST_CHECK(cfg_login_as(cn, "admin", CFG_ADMIN_PASSWORD, cn->session, sizeof cn->session,
	    cn->admin_uuid, sizeof cn->admin_uuid) == 0, "admin logs in to the node at %s",
	    cn->n.rpc_url)) {
		cn->session[0] = '\0';
		return -1;
	}
	return 0;
}

int
cfg_start(cfg_node *cn, const char *plugins, const char *const *sets)
{
	memset(cn, 0, sizeof *cn);
	if (zst_node_start(&cn->n, plugins, sets) != 0)
		return -1;
	if (cfg_attach(cn) != 0) {
		cfg_stop(cn);
		return -1;
	}
	return 0;
}

void
cfg_stop(cfg_node *cn)
{
	if (cn->client != NULL)
		zs_client_close(cn->client);
	cn->client = NULL;
	if (cn->n.pid != 0)
		zst_node_stop(&cn->n);
	zst_node_cleanup(&cn->n);
}

/* ---- the embedded PostgreSQL ---- */

char *
cfg_pg_conninfo(const zst_node *n)
{
	return zst_node_pg_conninfo(n);
}

PGconn *
cfg_pg(const zst_node *n)
{
	char *conninfo = cfg_pg_conninfo(n);
	if (conninfo == NULL) {
		printf("FAIL cannot read %s/pg/postmaster.pid\n", n->data_dir);
		return NULL;
	}
	PGconn *pg = PQconnectdb(conninfo);
	free(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		printf("FAIL cannot connect to the node's PostgreSQL: %s\n", PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

int
cfg_sql(PGconn *pg, const char *sql, ...)
{
	const char *params[16];
	int n = 0;
	va_list ap;
	va_start(ap, sql);
	for (const char *p; n < 16 && (p = va_arg(ap, const char *)) != NULL;)
		params[n++] = p;
	va_end(ap);
	PGresult *r = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		printf("     SQL failed: %s: %s", sql, PQerrorMessage(pg));
	PQclear(r);
	return ok ? 0 : -1;
}

/* ---- child processes ---- */

/* Our environment minus ZS_* and HOME, plus extra (NULL-terminated); caller frees the array. */
static char **
cfg_env(const char *const *extra)
{
	size_t n = 0, k = 0, e = 0;
	while (environ[n] != NULL)
		n++;
	while (extra != NULL && extra[e] != NULL)
		e++;
	char **env = calloc(n + e + 1, sizeof *env);
	for (size_t i = 0; env != NULL && i < n; i++)
		if (strncmp(environ[i], "ZS_", 3) != 0 && strncmp(environ[i], "HOME=", 5) != 0)
			env[k++] = environ[i];
	for (size_t i = 0; env != NULL && i < e; i++)
		env[k++] = (char *) extra[i];
	return env;
}

/* fork + exec argv with env; stdout and stderr to files (NULL: /dev/null), cwd dir. */
static pid_t
cfg_exec(char *const *argv, char *const *env, const char *dir, const char *out, const char *err)
{
	pid_t parent = getpid(), pid = fork();
	if (pid != 0)
		return pid;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(125);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	int null = open("/dev/null", O_RDWR);
	int o = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644) : null;
	int e = err ? open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644) : null;
	if (null < 0 || o < 0 || e < 0 || chdir(dir) != 0)
		_exit(126);
	dup2(null, STDIN_FILENO);
	dup2(o, STDOUT_FILENO);
	dup2(e, STDERR_FILENO);
	execve(argv[0], argv, env);
	_exit(127);
}

char *
cfg_zsctl(const cfg_node *cn, const char *session, int *code, char **err_out, ...)
{
	char *argv[32], out[PATH_MAX], err[PATH_MAX], home[PATH_MAX + 8];
	int argc = 0;
	const char *s = session != NULL ? session : cn->session;
	argv[argc++] = cfg_zsctl_bin;
	argv[argc++] = (char *) "--url";
	argv[argc++] = (char *) cn->n.rpc_url;
	if (*s != '\0') {
		argv[argc++] = (char *) "--session";
		argv[argc++] = (char *) s;
	}
	va_list ap;
	va_start(ap, err_out);
	for (char *a; argc < 31 && (a = va_arg(ap, char *)) != NULL;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	snprintf(out, sizeof out, "%s/zsctl.out", cn->n.root);
	snprintf(err, sizeof err, "%s/zsctl.err", cn->n.root);
	snprintf(home, sizeof home, "HOME=%s", cn->n.root);
	const char *extra[] = { home, NULL };
	char **env = cfg_env(extra);
	pid_t pid = env != NULL ? cfg_exec(argv, env, cn->n.root, out, err) : -1;
	free(env);
	int status = 0;
	*code = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (err_out != NULL)
		*err_out = zst_read_file(err);
	char *text = zst_read_file(out);
	return text != NULL ? text : strdup("");
}

/* Four distinct free ports. */
static int
cfg_ports(int ports[4])
{
	for (int tries = 0; tries < 20; tries++) {
		bool distinct = true;
		for (int i = 0; i < 4; i++)
			if ((ports[i] = zst_free_port()) < 0)
				return -1;
		for (int i = 0; i < 4; i++)
			for (int j = i + 1; j < 4; j++)
				distinct = distinct && ports[i] != ports[j];
		if (distinct)
			return 0;
	}
	return -1;
}

int
cfg_spawn(zst_node *n, const char *plugins, const char *props_text,
    const char *const *env, const char *const *sets)
{
	int ports[4];
	memset(n, 0, sizeof *n);
	if (zst_mkdtemp(n->root, sizeof n->root) != 0 || cfg_ports(ports) != 0)
		return -1;
	snprintf(n->data_dir, sizeof n->data_dir, "%s/data", n->root);
	snprintf(n->err_path, sizeof n->err_path, "%s/zsnode.stderr", n->root);
	snprintf(n->rpc_url, sizeof n->rpc_url, "tcp://127.0.0.1:%d", ports[0]);
	snprintf(n->events_url, sizeof n->events_url, "tcp://127.0.0.1:%d", ports[1]);
	snprintf(n->json_url, sizeof n->json_url, "tcp://127.0.0.1:%d", ports[2]);
	snprintf(n->http_url, sizeof n->http_url, "http://127.0.0.1:%d", ports[3]);
	snprintf(n->ipc_url, sizeof n->ipc_url, "ipc://%s/zsnode.sock", n->data_dir);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/zsnode.properties", n->root);
	if (zst_write_file(path, props_text) != 0)
		return -1;
	char *argv[64];
	int argc = 0;
	argv[argc++] = strdup(zst_bin());
	const char *base[] = { "rpc.url=%s", n->rpc_url, "events.url=%s", n->events_url,
		"events.json_url=%s", n->json_url, "http.url=%s", n->http_url, "data.dir=%s", n->data_dir,
		"plugins.dir=%s", plugins };
	for (size_t i = 0; i < sizeof base / sizeof base[0]; i += 2) {
		argv[argc++] = strdup("--set");
		if (asprintf(&argv[argc++], base[i], base[i + 1]) < 0)
			argv[argc - 1] = NULL;
	}
	for (size_t i = 0; sets != NULL && sets[i] != NULL && argc < 60; i++) {
		argv[argc++] = strdup("--set");
		argv[argc++] = strdup(sets[i]);
	}
	argv[argc] = NULL;
	char **envp = cfg_env(env);
	pid_t pid = envp != NULL ? cfg_exec(argv, envp, n->root, NULL, n->err_path) : -1;
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(envp);
	if (pid < 0)
		return -1;
	n->pid = pid;
	return 0;
}

bool
cfg_wait(bool (*cond)(void *arg), void *arg, int timeout_ms)
{
	int64_t until = zst_now_ms() + timeout_ms;
	while (!cond(arg)) {
		if (zst_now_ms() >= until)
			return cond(arg);
		zst_sleep_ms(20);
	}
	return true;
}
