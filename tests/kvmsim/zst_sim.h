/*
 * zst_sim.h: zs-kvmsim as tests start it: on a port the system picks (it prints where it
 * listens), stopped at the end or when a test gives up (zst_fail_now), and a libcurl write
 * callback that gathers an answer for the tests' plain HTTP calls to it.
 */
#ifndef ZST_SIM_H
#define ZST_SIM_H

#include <stddef.h>

/* Starts bin --port 0; returns its port (the test fails now when it cannot). */
int zst_sim_start(const char *bin);
/* Stops it: its exit status (0: clean, no sanitizer report), -1 when none runs. */
int zst_sim_stop(void);

/* An answer gathered by zst_sim_buf_write (CURLOPT_WRITEDATA); caller frees p. */
typedef struct zst_sim_buf {
	char *p;
	size_t n;
} zst_sim_buf;
size_t zst_sim_buf_write(char *data, size_t size, size_t n, void *arg);

#endif
