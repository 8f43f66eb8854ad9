/*
 * zb_pg.c: the embedded PostgreSQL that each zsnode (and zsbench_bus) runs for its data
 * folder: PGDATA is DATA_DIR/pg, or /var/tmp/zsnode-pg-<FNV-1a of DATA_DIR> when the
 * postgres user cannot reach DATA_DIR (zs_db_pg.c; zsbench makes its folders 0755 to
 * avoid that, but e.g. zsnode under valgrind still falls back). Its processes are not
 * zsbench's children (pg_ctl detaches them), so they are found the way zsnode finds
 * them: by their working directory, PGDATA. Used to measure their memory, and to stop
 * and remove what a killed node left behind.
 */
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zb.h"

/* Calls fn(pid, arg) for each process whose working directory is pgdata; returns how many. */
static int
zb_pg_each(const char *pgdata, void (*fn)(pid_t pid, void *arg), void *arg)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return 0;
	int n = 0;
	struct dirent *e;
	char link[64], cwd[4096];
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		snprintf(link, sizeof link, "/proc/%ld/cwd", pid);
		ssize_t len = readlink(link, cwd, sizeof cwd - 1);
		if (len <= 0)
			continue;
		cwd[len] = '\0';
		if (strcmp(cwd, pgdata) == 0) {
			n++;
			if (fn != NULL)
				fn((pid_t) pid, arg);
		}
	}
	closedir(d);
	return n;
}

static void
zb_pg_add_pss(pid_t pid, void *arg)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int) pid);
	FILE *f = fopen(path, "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "Pss:", 4) == 0)
			*(long *) arg += strtol(line + 4, NULL, 10);
	if (f != NULL)
		fclose(f);
}

static void
zb_pg_signal(pid_t pid, void *arg)
{
	kill(pid, *(int *) arg);
}

/* zsnode's fallback PGDATA for data_dir (which must exist), or -1. */
static int
zb_pg_fallback(const char *data_dir, char *out, size_t len)
{
	char *real = realpath(data_dir, NULL);
	if (real == NULL)
		return -1;
	uint64_t h = 14695981039346656037ULL;
	for (const char *c = real; *c != '\0'; c++)
		h = (h ^ (unsigned char) *c) * 1099511628211ULL;
	free(real);
	snprintf(out, len, "/var/tmp/zsnode-pg-%016llx", (unsigned long long) h);
	return 0;
}

/* The real path of the PGDATA of data_dir, or -1 when there is none. */
static int
zb_pg_dir(const char *data_dir, char *out, size_t len)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/pg", data_dir);
	char *real = realpath(path, NULL);
	if (real == NULL && zb_pg_fallback(data_dir, path, sizeof path) == 0)
		real = realpath(path, NULL);
	if (real == NULL)
		return -1;
	snprintf(out, len, "%s", real);
	free(real);
	return 0;
}

double
zb_pg_pss_mb(const char *data_dir, int *nproc)
{
	char pgdata[4096];
	long kib = 0;
	*nproc = 0;
	if (zb_pg_dir(data_dir, pgdata, sizeof pgdata) != 0)
		return -1;
	*nproc = zb_pg_each(pgdata, zb_pg_add_pss, &kib);
	return *nproc > 0 ? kib / 1024.0 : -1;
}

int
zb_pg_stop_orphans(const char *data_dir)
{
	char pgdata[4096];
	if (zb_pg_dir(data_dir, pgdata, sizeof pgdata) != 0)
		return 0;
	int found = zb_pg_each(pgdata, NULL, NULL);
	if (found == 0)
		return 0;
	/* SIGQUIT: PostgreSQL's immediate shutdown; then SIGKILL for what is left. */
	int sig = SIGQUIT;
	zb_pg_each(pgdata, zb_pg_signal, &sig);
	int64_t until = zb_now_ns() + 5 * (int64_t) 1000000000;
	while (zb_pg_each(pgdata, NULL, NULL) > 0 && zb_now_ns() < until)
		zb_sleep_ms(20);
	sig = SIGKILL;
	zb_pg_each(pgdata, zb_pg_signal, &sig);
	return found;
}

static int
zb_pg_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	remove(path);
	return 0;
}

void
zb_pg_remove_fallback(const char *data_dir)
{
	char pgdata[4200];
	struct stat st;
	if (zb_pg_fallback(data_dir, pgdata, sizeof pgdata) == 0 && stat(pgdata, &st) == 0)
		nftw(pgdata, zb_pg_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
