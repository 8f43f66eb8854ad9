/*
 * zb_proc.c: zsbench's child processes and its bounds. Every child is registered and
 * killed when zsbench exits, returns from main, fails, is interrupted (a signal thread
 * takes SIGINT/SIGTERM/SIGHUP) or is killed outright (children get a parent death
 * signal). A watchdog thread ends the run when a phase overstays its time. Also: the
 * temporary folder, free ports and /proc readings. The registry and the watchdog are
 * process-wide by nature, so they are the only statics of zsbench.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zb.h"

#define ZB_MAX_KIDS 64

static pthread_mutex_t zb_kids_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t zb_kids[ZB_MAX_KIDS];
static char zb_tmp[64];
static pid_t zb_main_pid;

static pthread_mutex_t zb_dog_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t zb_dog_cv;
static const char *zb_dog_phase;        /* NULL: disarmed */
static int64_t zb_dog_deadline;
static double zb_dog_seconds;

static void
zb_kids_forget(pid_t pid)
{
	pthread_mutex_lock(&zb_kids_lock);
	for (int i = 0; i < ZB_MAX_KIDS; i++)
		if (zb_kids[i] == pid)
			zb_kids[i] = 0;
	pthread_mutex_unlock(&zb_kids_lock);
}

static int
zb_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	remove(path);
	return 0;
}

void
zb_proc_kill_all(void)
{
	pid_t kids[ZB_MAX_KIDS];
	pthread_mutex_lock(&zb_kids_lock);
	memcpy(kids, zb_kids, sizeof kids);
	memset(zb_kids, 0, sizeof zb_kids);
	pthread_mutex_unlock(&zb_kids_lock);
	/* SIGTERM lets zsnode remove its socket; what is left after a second is killed. */
	for (int i = 0; i < ZB_MAX_KIDS; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	int64_t until = zb_now_ns() + 1000000000;
	for (int i = 0; i < ZB_MAX_KIDS; i++) {
		while (kids[i] > 0 && waitpid(kids[i], NULL, WNOHANG) == 0 && zb_now_ns() < until)
			zb_sleep_ms(5);
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
	}
}

/* At exit, on a signal, or from the watchdog: children first, then the files. */
static void
zb_proc_cleanup(void)
{
	if (getpid() != zb_main_pid)
		return;
	zb_proc_kill_all();
	if (zb_tmp[0] != '\0') {
		/* Each node's embedded PostgreSQL runs detached, for data.dir TMP/NAME. */
		DIR *d = opendir(zb_tmp);
		struct dirent *e;
		char dir[4200];
		while (d != NULL && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(dir, sizeof dir, "%s/%s", zb_tmp, e->d_name);
			if (zb_pg_stop_orphans(dir) > 0)
				fprintf(stderr, "zsbench: stopped a PostgreSQL left running for %s\n", dir);
			zb_pg_remove_fallback(dir);
		}
		if (d != NULL)
			closedir(d);
		nftw(zb_tmp, zb_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		zb_tmp[0] = '\0';
	}
}

void
zb_proc_exit(int status)
{
	fflush(stdout);
	fflush(stderr);
	zb_proc_cleanup();
	_exit(status);
}

static void *
zb_signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig = 0;
	sigwait(set, &sig);
	fprintf(stderr, "zsbench: got signal %d, stopping children\n", sig);
	zb_proc_cleanup();
	_exit(128 + sig);
	return NULL;
}

static void *
zb_watchdog_thread(void *arg)
{
	(void) arg;
	pthread_mutex_lock(&zb_dog_lock);
	for (;;) {
		if (zb_dog_phase == NULL) {
			pthread_cond_wait(&zb_dog_cv, &zb_dog_lock);
			continue;
		}
		int64_t now = zb_now_ns();
		if (now >= zb_dog_deadline) {
			fprintf(stderr, "zsbench: phase \"%s\" took longer than its limit of %.1f s: giving up\n",
			    zb_dog_phase, zb_dog_seconds);
			zb_proc_cleanup();
			_exit(3);
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t at = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec + (zb_dog_deadline - now);
		ts.tv_sec = (time_t) (at / 1000000000);
		ts.tv_nsec = (long) (at % 1000000000);
		pthread_cond_timedwait(&zb_dog_cv, &zb_dog_lock, &ts);
	}
	return NULL;
}

void
zb_proc_init(void)
{
	static sigset_t set;
	zb_main_pid = getpid();
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	atexit(zb_proc_cleanup);

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&zb_dog_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_t t;
	if (pthread_create(&t, NULL, zb_signal_thread, &set) == 0)
		pthread_detach(t);
	if (pthread_create(&t, NULL, zb_watchdog_thread, NULL) == 0)
		pthread_detach(t);
}

void
zb_watchdog_arm(const char *phase, double seconds)
{
	pthread_mutex_lock(&zb_dog_lock);
	zb_dog_phase = phase;
	zb_dog_seconds = seconds;
	zb_dog_deadline = zb_now_ns() + (int64_t) (seconds * 1e9);
	pthread_cond_signal(&zb_dog_cv);
	pthread_mutex_unlock(&zb_dog_lock);
}

void
zb_watchdog_disarm(void)
{
	pthread_mutex_lock(&zb_dog_lock);
	zb_dog_phase = NULL;
	pthread_cond_signal(&zb_dog_cv);
	pthread_mutex_unlock(&zb_dog_lock);
}

pid_t
zb_proc_spawn(char *const argv[], const char *log_path, const char *dir)
{
	int slot = -1;
	pthread_mutex_lock(&zb_kids_lock);
	for (int i = 0; i < ZB_MAX_KIDS && slot < 0; i++)
		if (zb_kids[i] == 0)
			slot = i;
	pthread_mutex_unlock(&zb_kids_lock);
	if (slot < 0)
		return -1;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls until exec. */
		sigset_t none;
		sigemptyset(&none);
		signal(SIGPIPE, SIG_DFL);
		pthread_sigmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		if (log_path != NULL) {
			int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
				close(fd);
			}
		}
		if (dir != NULL && chdir(dir) != 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid > 0) {
		pthread_mutex_lock(&zb_kids_lock);
		zb_kids[slot] = pid;
		pthread_mutex_unlock(&zb_kids_lock);
	}
	return pid;
}

bool
zb_proc_alive(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

int
zb_proc_wait(pid_t pid, int64_t timeout_ms)
{
	int64_t until = zb_now_ns() + timeout_ms * 1000000;
	int status;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			zb_kids_forget(pid);
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		if (r < 0 || zb_now_ns() >= until)
			break;
		zb_sleep_ms(5);
	}
	zb_proc_stop(pid, 0);
	return -1;
}

void
zb_proc_stop(pid_t pid, int64_t grace_ms)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	int64_t until = zb_now_ns() + grace_ms * 1000000;
	pid_t r;
	while ((r = waitpid(pid, NULL, WNOHANG)) == 0 && zb_now_ns() < until)
		zb_sleep_ms(5);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	zb_kids_forget(pid);
}

const char *
zb_proc_tmpdir(void)
{
	if (zb_tmp[0] == '\0') {
		char t[] = "/tmp/zsbench.XXXXXX";
		/* 0755: the embedded PostgreSQL runs as user postgres and must reach its folder */
		if (mkdtemp(t) == NULL || chmod(t, 0755) != 0)
			return NULL;
		snprintf(zb_tmp, sizeof zb_tmp, "%s", t);
	}
	return zb_tmp;
}

int
zb_free_ports(uint16_t *ports, int n)
{
	int fds[16], rv = 0;
	if (n > 16)
		return -1;
	for (int i = 0; i < n; i++)
		fds[i] = -1;
	for (int i = 0; i < n && rv == 0; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t len = sizeof a;
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *) &a, sizeof a) != 0 ||
		    getsockname(fds[i], (struct sockaddr *) &a, &len) != 0)
			rv = -1;
		else
			ports[i] = ntohs(a.sin_port);
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return rv;
}

long
zb_rss_kib(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	long kib = -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	return kib;
}

int64_t
zb_cpu_ns(pid_t pid)
{
	char path[64], file[400];
	snprintf(path, sizeof path, "/proc/%d/task", (int) pid);
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	int64_t sum = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof file, "%s/%s/schedstat", path, de->d_name);
		FILE *f = fopen(file, "r");
		long long ns = 0;
		if (f != NULL && fscanf(f, "%lld", &ns) == 1)
			sum += ns;
		if (f != NULL)
			fclose(f);
	}
	closedir(d);
	return sum;
}

int
zb_machine_ns(int64_t *busy, int64_t *steal)
{
	FILE *f = fopen("/proc/stat", "r");
	if (f == NULL)
		return -1;
	unsigned long long v[8] = { 0 };
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	    &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 8)
		return -1;
	/* user nice system idle iowait irq softirq steal, in clock ticks */
	double tick = 1e9 / (double) sysconf(_SC_CLK_TCK);
	*busy = (int64_t) ((double) (v[0] + v[1] + v[2] + v[5] + v[6]) * tick);
	*steal = (int64_t) ((double) v[7] * tick);
	return 0;
}
