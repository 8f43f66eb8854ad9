/*
 * zst_node.c: the end-to-end test harness (see zst_node.h): a real zsnode process per
 * test case, free ports, captured stderr, bounded waits, raw nng and HTTP helpers, and
 * the summary (checks are zst_check.h's).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "zs/health/v1/health.pb-c.h"
#include "zs/identity/v1/identity.pb-c.h"
#include "zs/event/v1/events.pb-c.h"
#include "zst_node.h"

extern char **environ;

/* The test's own state: what it runs and what it counted. */
static const char *zst_node_bin;
static const char *zst_plugin_dir;
/* The session of the node zst_node_start started last: zst_pack_request sends it. */
static char zst_last_session[64];

/* Live zsnode pids, so the alarm can kill them before the test dies. */
#define ZST_MAX_LIVE 32
static volatile pid_t zst_live[ZST_MAX_LIVE];

static void
zst_live_add(pid_t pid)
{
	for (int i = 0; i < ZST_MAX_LIVE; i++)
		if (zst_live[i] == 0) {
			zst_live[i] = pid;
			return;
		}
}

static void
zst_live_remove(pid_t pid)
{
	for (int i = 0; i < ZST_MAX_LIVE; i++)
		if (zst_live[i] == pid)
			zst_live[i] = 0;
}

/* zst_fail_now's hook: no node outlives a test that gave up. */
static void
zst_kill_live(void)
{
	for (int i = 0; i < ZST_MAX_LIVE; i++)
		if (zst_live[i] > 0)
			kill(zst_live[i], SIGKILL);
}

static void
zst_on_alarm(int sig)
{
	(void) sig;
	static const char msg[] = "\nFAIL the test hung: alarm fired, killing zsnode and giving up\n";
	for (int i = 0; i < ZST_MAX_LIVE; i++)
		if (zst_live[i] > 0)
			kill(zst_live[i], SIGKILL);
	if (write(STDOUT_FILENO, msg, sizeof msg - 1) < 0) {
		/* nothing more can be done */
	}
	_exit(3);
}

int
zst_init(int argc, char **argv, const char *name, unsigned alarm_s)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	zst_check_init(name);
	zst_check_verbose(true);
	zst_on_fail_now(zst_kill_live);
	/* absolute: zsnode runs in its own temp folder */
	static char bin[PATH_MAX], plugins[PATH_MAX];
	const char *b = argc > 1 ? argv[1] : getenv("ZS_NODE_BIN");
	const char *p = argc > 2 ? argv[2] : getenv("ZS_PLUGIN_DIR");
	zst_node_bin = b != NULL && realpath(b, bin) != NULL ? bin : b;
	zst_plugin_dir = p != NULL && realpath(p, plugins) != NULL ? plugins : p;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, zst_on_alarm);
	alarm(alarm_s);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (zst_node_bin == NULL || access(zst_node_bin, X_OK) != 0) {
		printf("%s: no zsnode binary (argv[1] or ZS_NODE_BIN): %s\n", name,
		    zst_node_bin ? zst_node_bin : "(unset)");
		return -1;
	}
	if (zst_plugin_dir == NULL || access(zst_plugin_dir, R_OK) != 0) {
		printf("%s: no plugins folder (argv[2] or ZS_PLUGIN_DIR): %s\n", name,
		    zst_plugin_dir ? zst_plugin_dir : "(unset)");
		return -1;
	}
	return 0;
}

const char *
zst_bin(void)
{
	return zst_node_bin;
}

const char *
zst_plugins(void)
{
	return zst_plugin_dir;
}

void
zst_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("     ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

int
zst_summary(void)
{
	alarm(0);
	curl_global_cleanup();
	return zst_check_summary();
}

int64_t
zst_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
zst_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* The first port of the kernel's ephemeral range (outgoing connections take theirs there). */
static int
zst_ephemeral_low(void)
{
	int low = 32768;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f != NULL) {
		if (fscanf(f, "%d", &low) != 1)
			low = 32768;
		fclose(f);
	}
	return low;
}

/* n distinct loopback ports nothing listens on, each bound once to check it. They are drawn
 * below the ephemeral range: a port 0 bind returns one from it, which another test's
 * outgoing connection may take before the node binds it, on a busy machine. */
static int
zst_free_ports(int *ports, int n)
{
	int fds[8], got = 0, low = 10000, high = zst_ephemeral_low();
	uint32_t seed;   /* from the kernel: two picks in one millisecond must differ */
	if (getrandom(&seed, sizeof seed, 0) != (ssize_t) sizeof seed)
		seed = (uint32_t) getpid() * 2654435761u ^ (uint32_t) zst_now_ms();
	if (n > 8)
		return -1;
	for (int tries = 0; got < n && tries < 2000; tries++) {
		seed = seed * 1103515245u + 12345u;
		int port = high - low >= 100 ? low + (int) ((seed >> 8) % (uint32_t) (high - low)) : 0;
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port),
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof sa;
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			break;
		if (bind(fd, (struct sockaddr *) &sa, sizeof sa) != 0 ||
		    getsockname(fd, (struct sockaddr *) &sa, &len) != 0) {
			close(fd);
			continue;
		}
		fds[got] = fd;
		ports[got++] = ntohs(sa.sin_port);
	}
	for (int i = 0; i < got; i++)
		close(fds[i]);
	return got == n ? 0 : -1;
}

int
zst_free_port(void)
{
	int port;
	return zst_free_ports(&port, 1) == 0 ? port : -1;
}

int
zst_mkdtemp(char *out, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(out, len, "%s/zst-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(out) == NULL)
		return -1;
	/* readable by others: a node started as root runs its database as another user */
	chmod(out, 0755);
	char *real = realpath(out, NULL);
	if (real != NULL) {
		snprintf(out, len, "%s", real);
		free(real);
	}
	return 0;
}

static int
zst_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) ftw;
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void
zst_rmtree(const char *path)
{
	if (path != NULL && *path != '\0' && getenv("ZST_KEEP") == NULL)
		nftw(path, zst_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
zst_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	size_t len = strlen(text);
	int rv = fwrite(text, 1, len, f) == len ? 0 : -1;
	if (fclose(f) != 0)
		rv = -1;
	return rv;
}

char *
zst_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (len + n + 1 > cap) {
			size_t ncap = (len + n + 1) * 2;
			char *grown = realloc(buf, ncap);
			if (grown == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
			cap = ncap;
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (buf == NULL)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	return buf;
}

int
zst_copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY);
	if (in < 0)
		return -1;
	struct stat st;
	int out = fstat(in, &st) == 0 ? open(to, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 0777) : -1;
	int rv = out >= 0 ? 0 : -1;
	char buf[65536];
	ssize_t n;
	while (rv == 0 && (n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t) n) != n)
			rv = -1;
	close(in);
	if (out >= 0 && close(out) != 0)
		rv = -1;
	return rv;
}

/* Copies the files and folders of from into to (which exists), except the entry named
 * skip at the top. */
static int
zst_copy_tree(const char *from, const char *to, const char *skip)
{
	DIR *dh = opendir(from);
	if (dh == NULL)
		return -1;
	struct dirent *de;
	int rv = 0;
	while (rv == 0 && (de = readdir(dh)) != NULL) {
		char src[PATH_MAX], dst[PATH_MAX];
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (skip != NULL && strcmp(de->d_name, skip) == 0))
			continue;
		snprintf(src, sizeof src, "%s/%s", from, de->d_name);
		snprintf(dst, sizeof dst, "%s/%s", to, de->d_name);
		if (stat(src, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rv = mkdir(dst, 0755) == 0 ? zst_copy_tree(src, dst, NULL) : -1;
		else if (S_ISREG(st.st_mode))
			rv = zst_copy_file(src, dst);
	}
	closedir(dh);
	return rv;
}

int
zst_copy_plugins(const char *dir, const char *skip)
{
	return zst_copy_tree(zst_plugin_dir, dir, skip);
}

/* The environment for zsnode: ours minus ZS_* (which zsnode would read as properties). */
static char **
zst_child_env(void)
{
	size_t n = 0;
	while (environ[n] != NULL)
		n++;
	char **env = calloc(n + 1, sizeof *env);
	if (env == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "ZS_", 3) != 0)
			env[k++] = environ[i];
	return env;
}

/* Adds "--set" "fmt..." to argv. */
static int
zst_argv_set(char **argv, int *argc, int max, const char *fmt, ...)
{
	if (*argc + 2 >= max)
		return -1;
	char *v;
	va_list ap;
	va_start(ap, fmt);
	int rv = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (rv < 0)
		return -1;
	argv[(*argc)++] = strdup("--set");
	argv[(*argc)++] = v;
	return 0;
}

/* Only async-signal-safe calls between fork and exec: the test may have nng threads. */
static void
zst_exec_child(const zst_node *n, char **argv, char **env, pid_t parent)
{
	/* zsnode never outlives a test that is killed (ctest's timeout) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(125);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	int err = open(n->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int null = open("/dev/null", O_RDWR);
	if (chdir(n->root) != 0 || err < 0 || null < 0)
		_exit(126);
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	execve(argv[0], argv, env);
	_exit(127);
}

/* Runs zsnode on n's folder and ports (zst_node_spawn and zst_node_respawn). */
static int
zst_node_exec(zst_node *n, const char *plugins_dir, const char *const *sets)
{
	enum { MAX_ARGS = 96 };
	char *argv[MAX_ARGS] = { 0 };
	int argc = 0, rv = 0;
	argv[argc++] = strdup(zst_node_bin);
	rv |= zst_argv_set(argv, &argc, MAX_ARGS, "rpc.url=%s", n->rpc_url);
	rv |= zst_argv_set(argv, &argc, MAX_ARGS, "events.url=%s", n->events_url);
	rv |= zst_argv_set(argv, &argc, MAX_ARGS, "events.json_url=%s", n->json_url);
	rv |= zst_argv_set(argv, &argc, MAX_ARGS, "http.url=%s", n->http_url);
	rv |= zst_argv_set(argv, &argc, MAX_ARGS, "data.dir=%s", n->data_dir);
	rv |= zst_argv_set(argv, &argc, MAX_ARGS, "plugins.dir=%s",
	    plugins_dir != NULL ? plugins_dir : zst_plugin_dir);
	rv |= zst_argv_set(argv, &argc, MAX_ARGS, "identity.admin_password=%s", ZST_ADMIN_PASSWORD);
	for (size_t i = 0; sets != NULL && sets[i] != NULL; i++)
		rv |= zst_argv_set(argv, &argc, MAX_ARGS, "%s", sets[i]);
	char **env = zst_child_env();
	pid_t parent = getpid();
	pid_t pid = rv == 0 && env != NULL ? fork() : -1;
	if (pid == 0)
		zst_exec_child(n, argv, env, parent);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(env);
	if (pid < 0) {
		printf("FAIL cannot start %s: %s\n", zst_node_bin, strerror(errno));
		zst_rmtree(n->root);
		n->root[0] = '\0';
		return -1;
	}
	n->pid = pid;
	zst_live_add(pid);
	return 0;
}

int
zst_node_spawn(zst_node *n, const char *plugins_dir, const char *const *sets)
{
	memset(n, 0, sizeof *n);
	int ports[4];
	if (zst_mkdtemp(n->root, sizeof n->root) != 0 || zst_free_ports(ports, 4) != 0) {
		printf("FAIL cannot make a temp folder or find free ports: %s\n", strerror(errno));
		return -1;
	}
	snprintf(n->data_dir, sizeof n->data_dir, "%s/data", n->root);
	snprintf(n->err_path, sizeof n->err_path, "%s/zsnode.stderr", n->root);
	snprintf(n->rpc_url, sizeof n->rpc_url, "tcp://127.0.0.1:%d", ports[0]);
	snprintf(n->events_url, sizeof n->events_url, "tcp://127.0.0.1:%d", ports[1]);
	snprintf(n->json_url, sizeof n->json_url, "tcp://127.0.0.1:%d", ports[2]);
	snprintf(n->http_url, sizeof n->http_url, "http://127.0.0.1:%d", ports[3]);
	snprintf(n->ipc_url, sizeof n->ipc_url, "ipc://%s/zsnode.sock", n->data_dir);
	return zst_node_exec(n, plugins_dir, sets);
}

int
zst_node_respawn(zst_node *n, const char *plugins_dir, const char *const *sets)
{
	if (n->pid != 0 || n->root[0] == '\0') {
		printf("FAIL zst_node_respawn: the node still runs, or has no folder\n");
		return -1;
	}
	n->status = 0;
	n->session[0] = '\0';
	return zst_node_exec(n, plugins_dir, sets);
}

/* Reaps the process if it has exited; true when it is gone. */
static bool
zst_node_reap(zst_node *n)
{
	if (n->pid == 0)
		return true;
	int status;
	pid_t r = waitpid(n->pid, &status, WNOHANG);
	if (r == n->pid || (r < 0 && errno == ECHILD)) {
		zst_live_remove(n->pid);
		n->status = r == n->pid ? status : 0;
		n->pid = 0;
		return true;
	}
	return false;
}

static int
zst_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

bool
zst_node_alive(zst_node *n)
{
	return !zst_node_reap(n);
}

int
zst_node_wait_exit(zst_node *n, int timeout_ms)
{
	int64_t until = zst_now_ms() + timeout_ms;
	while (!zst_node_reap(n)) {
		if (zst_now_ms() >= until)
			return -1;
		zst_sleep_ms(5);
	}
	return zst_exit_code(n->status);
}

int
zst_node_wait_ready(zst_node *n, int timeout_ms)
{
	int64_t until = zst_now_ms() + timeout_ms;
	while (zst_now_ms() < until) {
		if (zst_node_reap(n))
			return -1;
		if (zst_health(n->rpc_url, 500) == ZS__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
			return 0;
		zst_sleep_ms(20);
	}
	return -1;
}

void
zst_node_dump_stderr(const zst_node *n)
{
	char *text = zst_node_stderr(n);
	size_t len = strlen(text);
	const char *from = text;
	if (len > 4000)
		from = text + len - 4000;
	printf("     --- zsnode stderr (%s) ---\n%s     --- end ---\n", n->err_path, from);
	free(text);
}

int
zst_node_start(zst_node *n, const char *plugins_dir, const char *const *sets)
{
	if (zst_node_spawn(n, plugins_dir, sets) != 0)
		return -1;
	int64_t t0 = zst_now_ms();
	if (zst_node_wait_ready(n, ZST_READY_MS) != 0) {
		if (n->pid == 0)
			printf("FAIL zsnode exited (%d) before it was SERVING\n", zst_exit_code(n->status));
		else
			printf("FAIL zsnode was not SERVING within %d ms\n", ZST_READY_MS);
		zst_node_dump_stderr(n);
		zst_node_cleanup(n);
		return -1;
	}
	char why[256];
	int code = zst_login(n->rpc_url, "admin", ZST_ADMIN_PASSWORD, n->session, sizeof n->session,
	    why, sizeof why);
	if (code != 0) {
		printf("FAIL zsnode does not log admin in (code %d: %s)\n", code, why);
		zst_node_dump_stderr(n);
		zst_node_cleanup(n);
		return -1;
	}
	snprintf(zst_last_session, sizeof zst_last_session, "%s", n->session);
	/* the node counts the login in flight until just after its answer is out: wait, so a
	 * test that watches zs_rpc_inflight sees only its own calls */
	for (int64_t until = zst_now_ms() + 2000; zst_now_ms() < until &&
	    zst_node_metric(n, "zs_rpc_inflight") > 0;)
		zst_sleep_ms(5);
	zst_note("zsnode %d serving on %s after %lld ms, admin logged in", (int) n->pid, n->rpc_url,
	    (long long) (zst_now_ms() - t0));
	return 0;
}

int
zst_login(const char *url, const char *name, const char *password, char *session, size_t len,
    char *why, size_t why_len)
{
	char none[8];
	if (why == NULL) {
		why = none;
		why_len = sizeof none;
	}
	session[0] = '\0';
	snprintf(why, why_len, "no answer");
	nng_socket s;
	if (zst_req_open(&s, url, 10000) != 0)
		return 14;   /* UNAVAILABLE */
	Zs__Identity__V1__LoginRequest req = ZS__IDENTITY__V1__LOGIN_REQUEST__INIT;
	req.name = (char *) name;
	req.password = (char *) password;
	size_t flen;
	uint8_t *frame = zst_pack_request_as(NULL, "zs.identity.v1.Identity/Login", 0, 10000, 0,
	    &req.base, &flen);
	Zs__Rpc__V1__Reply *r = frame != NULL ? zst_pb_call(s, frame, flen) : NULL;
	free(frame);
	nng_close(s);
	int code = r == NULL ? 14 : r->status != NULL ? (int) r->status->code : 0;
	if (r != NULL && r->status != NULL)
		snprintf(why, why_len, "%s", r->status->message);
	Zs__Identity__V1__LoginResponse *out = r != NULL && code == 0 ?
	    zs__identity__v1__login_response__unpack(NULL, r->body.len, r->body.data) : NULL;
	if (code == 0 && out == NULL)
		code = 13;   /* INTERNAL: not a LoginResponse */
	if (out != NULL) {
		snprintf(session, len, "%s", out->session);
		snprintf(why, why_len, "OK");
		zs__identity__v1__login_response__free_unpacked(out, NULL);
	}
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	return code;
}

const char *
zst_session(void)
{
	return zst_last_session;
}

int
zst_node_stop(zst_node *n)
{
	if (!ZST_CHECK(n->pid != 0 && !zst_node_reap(n), "zsnode is still running when stopped")) {
		zst_node_dump_stderr(n);
		return n->pid == 0 ? zst_exit_code(n->status) : -1;
	}
	int64_t t0 = zst_now_ms();
	kill(n->pid, SIGTERM);
	int code = zst_node_wait_exit(n, ZST_STOP_MS);
	if (code < 0) {
		kill(n->pid, SIGKILL);
		zst_node_wait_exit(n, 2000);
	}
	ZST_CHECK(code == 0, "zsnode exits 0 after SIGTERM within %d ms (exit %d after %lld ms)",
	    ZST_STOP_MS, code, (long long) (zst_now_ms() - t0));
	if (zst_node_check_sanitizers(n, "zsnode") == 0 || code != 0)
		zst_node_dump_stderr(n);
	return code;
}

void
zst_node_cleanup(zst_node *n)
{
	if (n->pid != 0) {
		kill(n->pid, SIGKILL);
		zst_node_wait_exit(n, 5000);
	}
	zst_rmtree(n->root);
	n->root[0] = '\0';
}

char *
zst_node_stderr(const zst_node *n)
{
	char *text = zst_read_file(n->err_path);
	return text != NULL ? text : strdup("");
}

bool
zst_node_stderr_has(const zst_node *n, const char *needle)
{
	char *text = zst_node_stderr(n);
	bool has = text != NULL && strstr(text, needle) != NULL;
	free(text);
	return has;
}

int
zst_node_check_sanitizers(const zst_node *n, const char *what)
{
	static const char *reports[] = { "ERROR: AddressSanitizer", "runtime error:",
		"LeakSanitizer", "ERROR: ThreadSanitizer" };
	char *text = zst_node_stderr(n);
	const char *found = NULL;
	for (size_t i = 0; i < sizeof reports / sizeof reports[0] && found == NULL; i++)
		if (strstr(text, reports[i]) != NULL)
			found = reports[i];
	free(text);
	return ZST_CHECK(found == NULL, "%s stderr has no sanitizer report%s%s", what,
	    found ? ": found " : "", found ? found : "");
}

int
zst_req_open(nng_socket *s, const char *url, int timeout_ms)
{
	int rv = nng_req0_open(s);
	if (rv != 0)
		return rv;
	if ((rv = nng_socket_set_ms(*s, NNG_OPT_SENDTIMEO, timeout_ms)) != 0 ||
	    (rv = nng_socket_set_ms(*s, NNG_OPT_RECVTIMEO, timeout_ms)) != 0 ||
	    (rv = nng_socket_set_size(*s, NNG_OPT_RECVMAXSZ, 0)) != 0 ||
	    (rv = nng_dial(*s, url, NULL, 0)) != 0)
		nng_close(*s);
	return rv;
}

int
zst_req_call(nng_socket s, const void *frame, size_t len, char **reply, size_t *reply_len)
{
	*reply = NULL;
	*reply_len = 0;
	int rv = nng_send(s, (void *) frame, len, 0);
	if (rv != 0)
		return rv;
	char *buf = NULL;
	size_t n = 0;
	if ((rv = nng_recv(s, &buf, &n, NNG_FLAG_ALLOC)) != 0)
		return rv;
	*reply = malloc(n + 1);
	if (*reply != NULL) {
		if (n > 0)   /* an all-default Reply packs to nothing: buf is NULL then */
			memcpy(*reply, buf, n);
		(*reply)[n] = '\0';
		*reply_len = n;
	}
	nng_free(buf, n);
	return *reply != NULL ? 0 : NNG_ENOMEM;
}

uint8_t *
zst_pack_request(const char *method, uint64_t request_id, uint32_t timeout_ms,
    int64_t deadline_unix_ms, const ProtobufCMessage *body, size_t *len)
{
	return zst_pack_request_as(zst_last_session, method, request_id, timeout_ms,
	    deadline_unix_ms, body, len);
}

uint8_t *
zst_pack_request_as(const char *session, const char *method, uint64_t request_id,
    uint32_t timeout_ms, int64_t deadline_unix_ms, const ProtobufCMessage *body, size_t *len)
{
	Zs__Rpc__V1__Request env = ZS__RPC__V1__REQUEST__INIT;
	uint8_t *packed_body = NULL;
	env.method = (char *) method;
	if (session != NULL)
		env.session = (char *) session;
	env.request_id = request_id;
	env.timeout_ms = timeout_ms;
	env.deadline_unix_ms = deadline_unix_ms;
	if (body != NULL) {
		size_t n = protobuf_c_message_get_packed_size(body);
		packed_body = malloc(n ? n : 1);
		if (packed_body == NULL)
			return NULL;
		env.body.len = protobuf_c_message_pack(body, packed_body);
		env.body.data = packed_body;
	}
	*len = zs__rpc__v1__request__get_packed_size(&env);
	uint8_t *out = malloc(*len ? *len : 1);
	if (out != NULL)
		zs__rpc__v1__request__pack(&env, out);
	free(packed_body);
	return out;
}

Zs__Rpc__V1__Reply *
zst_pb_call(nng_socket s, const uint8_t *frame, size_t len)
{
	char *buf;
	size_t n;
	if (zst_req_call(s, frame, len, &buf, &n) != 0)
		return NULL;
	Zs__Rpc__V1__Reply *r = zs__rpc__v1__reply__unpack(NULL, n, (const uint8_t *) buf);
	free(buf);
	return r;
}

int
zst_health(const char *url, int timeout_ms)
{
	nng_socket s;
	if (zst_req_open(&s, url, timeout_ms) != 0)
		return -1;
	size_t len;
	/* public: no session needed (nor a stale one looked up) */
	uint8_t *frame = zst_pack_request_as(NULL, "zs.health.v1.Health/Check", 0, 0, 0, NULL, &len);
	Zs__Rpc__V1__Reply *r = frame != NULL ? zst_pb_call(s, frame, len) : NULL;
	free(frame);
	nng_close(s);
	int status = -1;
	if (r != NULL && (r->status == NULL || r->status->code == 0)) {
		Zs__Health__V1__HealthCheckResponse *h =
		    zs__health__v1__health_check_response__unpack(NULL, r->body.len, r->body.data);
		if (h != NULL) {
			status = (int) h->status;
			zs__health__v1__health_check_response__free_unpacked(h, NULL);
		}
	}
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	return status;
}

bool
zst_serving(const zst_node *n)
{
	return zst_health(n->rpc_url, 3000) == ZS__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
}

static size_t
zst_curl_write(char *data, size_t size, size_t nmemb, void *arg)
{
	FILE *out = arg;
	return fwrite(data, size, nmemb, out);
}

char *
zst_http_get(const char *url, long *code, int timeout_ms)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	CURL *c = curl_easy_init();
	if (out == NULL || c == NULL) {
		if (out != NULL)
			fclose(out);
		free(text);
		curl_easy_cleanup(c);
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, zst_curl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	CURLcode rv = curl_easy_perform(c);
	*code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	curl_easy_cleanup(c);
	fclose(out);
	if (rv != CURLE_OK) {
		free(text);
		return NULL;
	}
	return text;
}

double
zst_metric(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

double
zst_node_metric(const zst_node *n, const char *series)
{
	char url[128];
	long code;
	snprintf(url, sizeof url, "%s/metrics", n->http_url);
	char *text = zst_http_get(url, &code, 5000);
	double v = text != NULL && code == 200 ? zst_metric(text, series) : -1;
	free(text);
	return v;
}

Zs__Rpc__V1__Event *
zst_event_fetch(const char *url, const char *session, uint64_t sequence)
{
	Zs__Event__V1__RecentRequest req = ZS__EVENT__V1__RECENT_REQUEST__INIT;
	nng_socket s;
	if (sequence == 0 || zst_req_open(&s, url, 5000) != 0)
		return NULL;
	req.from_sequence = sequence - 1;
	req.to_sequence = sequence;
	size_t len;
	uint8_t *frame = zst_pack_request_as(session, "zs.event.v1.Events/Recent", 0, 5000, 0,
	    &req.base, &len);
	Zs__Rpc__V1__Reply *r = frame != NULL ? zst_pb_call(s, frame, len) : NULL;
	free(frame);
	nng_close(s);
	Zs__Event__V1__RecentResponse *out = r != NULL && (r->status == NULL || r->status->code == 0) ?
	    zs__event__v1__recent_response__unpack(NULL, r->body.len, r->body.data) : NULL;
	Zs__Rpc__V1__Event *e = NULL;
	if (out != NULL && out->n_events == 1) {   /* a copy that outlives the answer */
		size_t n = zs__rpc__v1__event__get_packed_size(out->events[0]);
		uint8_t *buf = malloc(n ? n : 1);
		if (buf != NULL) {
			zs__rpc__v1__event__pack(out->events[0], buf);
			e = zs__rpc__v1__event__unpack(NULL, n, buf);
			free(buf);
		}
	}
	if (out != NULL)
		zs__event__v1__recent_response__free_unpacked(out, NULL);
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	return e;
}

char *
zst_node_pg_conninfo(const zst_node *n)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/pg/postmaster.pid", n->data_dir);
	char *text = zst_read_file(path), *lines[6] = { 0 }, *save = NULL, *out = NULL;
	int k = 0;
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l != NULL && k < 6;
	     l = strtok_r(NULL, "\n", &save))
		lines[k++] = l;
	if (k >= 5 && asprintf(&out, "host='%s' port=%s user=zsnode dbname=zsnode connect_timeout=5",
	    lines[4], lines[3]) < 0)
		out = NULL;
	free(text);
	return out;
}
