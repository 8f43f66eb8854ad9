/*
 * zst_sim.h: zs-kvmsim as tests start it: on a port the system picks (it prints where it
 * listens), stopped at the end or when a test gives up (zst_fail_now), and a libcurl write
 * callback that gathers an answer for the tests' plain HTTP calls to it, and such a call
 * (zst_sim_http).
 */
#ifndef ZST_SIM_H
#define ZST_SIM_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

/* Starts bin --port 0; returns its port (the test fails now when it cannot). */
int zst_sim_start(const char *bin);
/* Stops it: its exit status (0: clean, no sanitizer report), -1 when none runs. */
int zst_sim_stop(void);
/* Its pid (for its CPU time), 0 when none runs. */
pid_t zst_sim_pid(void);

/* An answer gathered by zst_sim_buf_write (CURLOPT_WRITEDATA); caller frees p. */
typedef struct zst_sim_buf {
	char *p;
	size_t n;
} zst_sim_buf;
size_t zst_sim_buf_write(char *data, size_t size, size_t n, void *arg);

/* method path (a JSON body or NULL) on the simulator at port, at host's address (NULL:
 * 127.0.0.1): its JSON answer (caller json_decref()s), or NULL when none came in 10 s. */
json_t *zst_sim_http(int port, const char *method, const char *host, const char *path,
    const char *body);

#endif
