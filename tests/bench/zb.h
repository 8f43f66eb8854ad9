/*
 * zb.h: what the files of zsbench share: options, the load driver's interface (a
 * "target" is anything that can make one echo call, synchronously or asynchronously),
 * child processes, the watchdog, and the result records the report prints.
 */
#ifndef ZB_H
#define ZB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ZB_MAX_CONC 8
#define ZB_MAX_ROUNDS 31
#define ZB_MAX_STARTS 31
#define ZB_MAX_POOLS 4

/* Command line. */
typedef struct zb_opts {
	double seconds;             /* measured time of a point */
	double warmup;              /* unmeasured time before it */
	int rounds;                 /* repeats; medians are reported */
	int starts;                 /* zsnode starts for the ready time */
	size_t payload;             /* bytes per call */
	int conc[ZB_MAX_CONC];      /* concurrencies */
	int n_conc;
	bool tcp, ipc;              /* transports */
	bool skip_bus;
	bool conc_given;            /* --concurrency was given */
	bool compare;               /* --compare-servers: contexts vs raw+pool, nothing else */
	int pool_workers[ZB_MAX_POOLS]; /* worker counts tried by --compare-servers */
	int n_pool;
	char zsnode[4352];          /* the zsnode binary */
	char plugins[4352];         /* its plugins folder */
	char schema[4400];          /* the descriptor schema */
	char migrations[4400];      /* the node's own SQL migrations */
	char bus_helper[4352];      /* zsbench_bus */
	char self[4352];            /* this binary, for --raw-server */
	char command[2048];         /* the command line, for the summary */
	char admin_password[40];    /* made up per run; zsnode gets it from the environment */
} zb_opts;

/* Monotonic clock. */
int64_t zb_now_ns(void);
void zb_sleep_ms(int64_t ms);

/* ---- load driver (zb_load.c) ---- */

/* Called once per finished async call, with 0 or an error number. */
typedef void (*zb_done_fn)(void *worker, int err);

/* Something to call: the raw nng echo or zsnode through the generated client. */
typedef struct zb_target {
	const char *name;
	void *state;
	pid_t server;               /* the process that answers, for its CPU time; 0: none */
	/* One call, waiting for its answer; 0 or an error number. */
	int (*call_sync)(void *state);
	/* Prepares worker slot i of n (async only). 0 or an error number. */
	int (*worker_init)(void *state, int i, void **wstate);
	void (*worker_fini)(void *state, void *wstate);
	/* Starts one call; done(worker, err) runs exactly once unless this returns non-zero. */
	int (*call_async)(void *state, void *wstate, zb_done_fn done, void *worker);
} zb_target;

typedef struct zb_point {
	double calls_per_s;
	double p50_us, p99_us;
	uint64_t calls, errors;         /* errors: failed or timed-out calls */
	int first_error;                /* its nng error number, 0: none */
	bool stalled;                   /* call chains still out 15 s after the window */
	/* CPU time per call over the whole point (warm-up included), in µs: of the server
	 * process and of zsbench itself (the client). */
	double server_cpu_us, client_cpu_us;
} zb_point;

/* Runs the target at concurrency conc for warmup + seconds; -1 on failure (why in err).
 * out is filled in even then: errors, stalled and the figures of the calls that worked. */
int zb_load_run(const zb_target *t, int conc, double warmup, double seconds, zb_point *out,
    char *err, size_t errlen);

/* ---- raw nng (zb_raw.c) ---- */

/* The --raw-server mode: echoes on every url with `contexts` nng contexts until killed
 * or until zsbench is gone. */
int zb_raw_server_main(const char *const *urls, int n_urls, int contexts);
/* A raw req client of url (waits up to timeout_ms for the server to listen). */
int zb_raw_open(const char *url, size_t payload, int64_t timeout_ms, zb_target *out,
    char *err, size_t errlen);
void zb_raw_close(zb_target *t);

/* ---- raw rep0 socket and a worker pool (zb_pool.c) ---- */

/* The --raw-pool-server mode: a RAW rep0 socket listening on every url, one receiver
 * thread in nng_recvmsg feeding `workers` threads that echo with nng_sendmsg (first with
 * NNG_FLAG_NONBLOCK when nonblock, then blocking on NNG_EAGAIN). Writes a "zb_pool_stats"
 * line to stderr when its counters change. Runs until killed or zsbench is gone. */
int zb_pool_server_main(const char *const *urls, int n_urls, int workers, bool nonblock);

/* Counters of a pool server, parsed from the last zb_pool_stats line of its log. */
typedef struct zb_pool_stats {
	uint64_t received, sent, eagain, failed;
	double max_send_us;         /* longest nng_sendmsg call */
} zb_pool_stats;
/* 0 when log_path has a stats line. */
int zb_pool_stats_read(const char *log_path, zb_pool_stats *out);

/* ---- --compare-servers (zb_compare.c) ---- */

/* Contexts vs raw+pool echo servers, same raw client, then the slow-reader probe;
 * prints the figures and a README block. Returns the exit status. */
int zb_compare_run(const zb_opts *o);

/* ---- zsnode (zb_zs.c) ---- */

/* A typed client of zsnode at url, logged in as user; checks one Say call. */
int zb_zs_open(const char *url, const char *user, const char *password, size_t payload,
    zb_target *out, char *err, size_t errlen);
void zb_zs_close(zb_target *t);
/* Waits for url to take nng connections, then calls Health/Check on it until it
 * answers SERVING; gives up at deadline_ns or when pid exits. 0 when SERVING. */
int zb_zs_wait_serving(const char *url, pid_t pid, int64_t deadline_ns, char *err,
    size_t errlen);

/* ---- processes (zb_proc.c) ---- */

/* Blocks the termination signals and starts the thread that cleans up on them; also
 * installs the exit handler. Call first, before any other thread exists. */
void zb_proc_init(void);
/* Forks and execs argv with stdout+stderr to log_path (NULL: inherit), in dir (NULL:
 * here). The child dies with zsbench. Returns the pid, or -1. */
pid_t zb_proc_spawn(char *const argv[], const char *log_path, const char *dir);
/* SIGTERM, then SIGKILL after grace_ms; reaps. */
void zb_proc_stop(pid_t pid, int64_t grace_ms);
/* True while pid has not exited (reaps it if it has). */
bool zb_proc_alive(pid_t pid);
/* Kills and reaps every child still running. */
void zb_proc_kill_all(void);
/* Kills the children, removes the temporary folder and exits at once, without running
 * exit handlers under nng threads that may still be calling back. */
void zb_proc_exit(int status) __attribute__((noreturn));
/* A temporary folder removed at exit. */
const char *zb_proc_tmpdir(void);
/* Waits up to timeout_ms for pid to exit: its exit status, or -1 (it is then killed). */
int zb_proc_wait(pid_t pid, int64_t timeout_ms);
/* n distinct free tcp ports on 127.0.0.1 (bound together, read, closed); 0 or -1. */
int zb_free_ports(uint16_t *ports, int n);
/* VmRSS of pid in KiB, or -1. */
long zb_rss_kib(pid_t pid);
/* CPU time run so far by every thread of pid (from /proc/PID/task/TID/schedstat), in ns. */
int64_t zb_cpu_ns(pid_t pid);
/* Busy and stolen CPU time of the whole machine so far (/proc/stat), in ns; 0 or -1. */
int zb_machine_ns(int64_t *busy, int64_t *steal);

/* The watchdog: if a phase is still armed after `seconds`, zsbench says which, kills its
 * children and exits with status 3. Arm again to start a new phase; disarm at the end. */
void zb_watchdog_arm(const char *phase, double seconds);
void zb_watchdog_disarm(void);

/* ---- zsnode processes (zb_node.c) ---- */

typedef struct zb_node {
	pid_t pid;
	char dir[4200];             /* its data.dir */
	char tcp_url[64];
	char ipc_url[4300];
	char log[4300];
	double ready_ms;            /* fork to first SERVING answer */
} zb_node;

/* Starts zsnode on free ports with data.dir `name` under the temporary folder (made if
 * missing, kept between starts, so only the first start runs initdb) and waits (up to
 * timeout_ms) for Health/Check to answer SERVING. */
int zb_node_start(const zb_opts *o, const char *name, int64_t timeout_ms, zb_node *node,
    char *err, size_t errlen);
/* SIGTERM (zsnode then stops its PostgreSQL), SIGKILL after a grace; then stops any
 * PostgreSQL process it left. */
void zb_node_stop(zb_node *node);

/* ---- the embedded PostgreSQL of a data.dir (zb_pg.c) ---- */

/* Proportional set size of the processes running data_dir's PGDATA, in MB (-1: none). */
double zb_pg_pss_mb(const char *data_dir, int *nproc);
/* Stops (SIGQUIT, then SIGKILL) what still runs data_dir's PGDATA; returns how many. */
int zb_pg_stop_orphans(const char *data_dir);
/* Removes the /var/tmp folder zsnode uses for data_dir's PGDATA when postgres cannot
 * reach data_dir, if there is one. Call after zb_pg_stop_orphans, before data_dir goes. */
void zb_pg_remove_fallback(const char *data_dir);

/* ---- results and report (zb_report.c) ---- */

typedef struct zb_figures {
	/* [transport 0 tcp, 1 ipc][concurrency][round]; [..][..][..][0] raw, [1] zsnode */
	zb_point pt[2][ZB_MAX_CONC][ZB_MAX_ROUNDS][2];
	double bus[ZB_MAX_ROUNDS];          /* calls/s; < 0 when not measured */
	double ready_ms[ZB_MAX_STARTS];     /* warm starts: the database folder exists */
	double rss_mb[ZB_MAX_STARTS];       /* idle, after each warm start */
	double cold_ready_ms;               /* the first start, with initdb; < 0: none */
	double pg_pss_mb;                   /* the embedded PostgreSQL, idle; < 0: none */
	int pg_procs;
	double rss_after_load_mb;           /* < 0 when unknown */
	/* During the load phase, in % of one CPU: what other processes ran, and what the
	 * hypervisor stole; < 0 when unknown. Large values mean noisy figures. */
	double others_pct, steal_pct;
	int rounds_done;
	int starts_done;
} zb_figures;

double zb_median(double *v, int n);
/* 1234567 -> "1,234,567" in buf. */
const char *zb_group(char *buf, size_t len, double v);
/* "N CPUs (model), Linux release, nng version". */
void zb_machine(char *buf, size_t len);
/* Prints the figure lines, then the README block. */
void zb_report(const zb_opts *o, const zb_figures *f);

#endif
