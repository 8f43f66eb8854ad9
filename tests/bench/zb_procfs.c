/* zb_procfs.c: CPU and memory figures of processes from /proc (zb_procfs.h). */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zb_procfs.h"

/* /proc/PID/stat after the command's ")": into buf; NULL when pid is gone. */
static const char *
procfs_stat(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' ? p + 2 : NULL;
}

double
zb_procfs_cpu_s(pid_t pid, bool children)
{
	char buf[1024];
	const char *p = procfs_stat(pid, buf, sizeof buf);
	unsigned long long v[4] = { 0, 0, 0, 0 };
	/* state is field 3; utime, stime, cutime, cstime are fields 14-17 */
	if (p == NULL || sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
	    &v[0], &v[1], &v[2], &v[3]) != 4)
		return -1;
	return (double) (v[0] + v[1] + (children ? v[2] + v[3] : 0)) / (double) sysconf(_SC_CLK_TCK);
}

pid_t
zb_procfs_ppid(pid_t pid)
{
	char buf[1024];
	const char *p = procfs_stat(pid, buf, sizeof buf);
	int ppid = -1;
	if (p == NULL || sscanf(p, "%*c %d", &ppid) != 1)
		return -1;
	return (pid_t) ppid;
}

double
zb_procfs_mem_mb(pid_t pid, const char *name)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	double mb = -1;
	size_t len = strlen(name);
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			mb = strtod(line + len + 1, NULL) / 1024.0;
	fclose(f);
	return mb;
}

double
zb_procfs_pg_cpu_s(const char *data_dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/pg/postmaster.pid", data_dir);
	FILE *f = fopen(path, "r");
	int pm = 0;
	if (f == NULL || fscanf(f, "%d", &pm) != 1 || pm <= 0) {
		if (f != NULL)
			fclose(f);
		return 0;
	}
	fclose(f);
	double sum = zb_procfs_cpu_s(pm, true);
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid == pm || zb_procfs_ppid((pid_t) pid) != pm)
			continue;
		double c = zb_procfs_cpu_s((pid_t) pid, false);
		sum += c > 0 ? c : 0;
	}
	if (d != NULL)
		closedir(d);
	return sum > 0 ? sum : 0;
}
