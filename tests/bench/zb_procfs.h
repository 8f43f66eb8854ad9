/*
 * zb_procfs.h: what the benchmarks read about a process from /proc: its CPU seconds, a
 * memory figure of /proc/PID/status, and the CPU seconds of a node's embedded PostgreSQL
 * (its postmaster and the backends it forked). Shared by zs-hostbench and zsbench_vm.
 */
#ifndef ZB_PROCFS_H
#define ZB_PROCFS_H

#include <stdbool.h>
#include <sys/types.h>

/* utime + stime of pid in seconds (with its ended children's when children), or -1. */
double zb_procfs_cpu_s(pid_t pid, bool children);
/* The parent pid of pid, or -1. */
pid_t zb_procfs_ppid(pid_t pid);
/* A "NAME: N kB" line of /proc/PID/status ("VmRSS", "VmHWM") in MB, or -1. */
double zb_procfs_mem_mb(pid_t pid, const char *name);
/* CPU seconds of the PostgreSQL of a node's data.dir (PGDATA is DATA_DIR/pg): the
 * postmaster with the backends that ended, and those that run; 0 when it is elsewhere. */
double zb_procfs_pg_cpu_s(const char *data_dir);

#endif
