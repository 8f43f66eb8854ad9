/*
 * inv_sim.c: plain HTTP calls to a test's zs-kvmsim (its control API under /sim/, or an
 * agent path on a host's address), for the suites whose hosts connect to it (inventory,
 * kvm): one libcurl easy call each, the answer as JSON.
 */
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "inv.h"
#include "zst_sim.h"

json_t *
inv_sim_http(int port, const char *method, const char *host, const char *path, const char *body)
{
	return zst_sim_http(port, method, host, path, body);
}

bool
inv_sim_do(int port, const char *method, const char *path, const char *body)
{
	json_t *o = inv_sim_http(port, method, NULL, path, body);
	json_decref(o);
	return o != NULL;
}
