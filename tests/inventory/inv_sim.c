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
	char url[256];
	snprintf(url, sizeof url, "http://%s:%d%s", host != NULL ? host : "127.0.0.1", port, path);
	CURL *c = curl_easy_init();
	if (c == NULL)
		return NULL;
	zst_sim_buf b = { 0 };
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, zst_sim_buf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_perform(c);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	json_t *o = b.p != NULL ? json_loads(b.p, 0, NULL) : NULL;
	free(b.p);
	return o;
}

bool
inv_sim_do(int port, const char *method, const char *path, const char *body)
{
	json_t *o = inv_sim_http(port, method, NULL, path, body);
	json_decref(o);
	return o != NULL;
}
