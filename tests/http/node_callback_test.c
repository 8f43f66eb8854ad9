/*
 * node_callback_test.c: the node routes agents' answers: POST /asyncrest/callback on its
 * HTTP server (http.url) answers 404 for a task uuid no command waits for and 400 without
 * one, GET is not allowed, /metrics counts them, and the node still stops cleanly; the
 * same on the HTTP client's own receiver at http.callback_listen, and a bad value of it
 * is refused at start.
 *
 * Usage: node_callback_test ZSNODE PLUGINS_DIR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "zst_node.h"

static size_t
sink(char *d, size_t size, size_t n, void *arg)
{
	(void) d;
	(void) arg;
	return size * n;
}

static long
post(const char *url, const char *task)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char th[128];
	if (task != NULL) {
		snprintf(th, sizeof th, "taskuuid: %s", task);
		h = curl_slist_append(h, th);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"success\":true}");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	long code = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return code;
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "node_callback", 120) != 0)
		return 1;
	zst_node n;
	ZST_REQUIRE(zst_node_start(&n, NULL, NULL) == 0, "zsnode starts");
	char url[128];
	snprintf(url, sizeof url, "%s/asyncrest/callback", n.http_url);
	ZST_EXPECT_INT(post(url, "0123456789abcdef0123456789abcdef"), 404);
	ZST_EXPECT_INT(post(url, NULL), 400);
	long code = 0;
	char *body = zst_http_get(url, &code, 5000);
	ZST_CHECK(code == 405, "GET is not allowed (%ld)", code);
	free(body);
	ZST_CHECK(zst_node_metric(&n, "zs_http_callbacks_total") == 1, "/metrics counts callbacks");
	ZST_CHECK(zst_node_metric(&n, "zs_http_unknown_callbacks_total") == 1, "and unknown ones");
	ZST_CHECK(zst_node_metric(&n, "zs_http_inflight") == 0, "no command in flight");
	ZST_EXPECT_INT(zst_node_stop(&n), 0);
	zst_node_cleanup(&n);

	/* the HTTP client's own receiver on the address and port named */
	int port = zst_free_port();
	char listen[64];
	snprintf(listen, sizeof listen, "http.callback_listen=127.0.0.1:%d", port);
	const char *sets[] = { listen, NULL };
	ZST_REQUIRE(zst_node_start(&n, NULL, sets) == 0, "zsnode starts with %s", listen);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/asyncrest/callback", port);
	ZST_EXPECT_INT(post(url, "0123456789abcdef0123456789abcdef"), 404);
	ZST_EXPECT_INT(post(url, NULL), 400);
	ZST_CHECK(zst_node_metric(&n, "zs_http_callbacks_total") == 1 &&
	    zst_node_metric(&n, "zs_http_unknown_callbacks_total") == 1, "/metrics counts what "
	    "the receiver took");
	ZST_EXPECT_INT(zst_node_stop(&n), 0);
	zst_node_cleanup(&n);

	/* a bad address is refused at start, saying why */
	const char *bad[] = { "http.callback_listen=127.0.0.1:http", NULL };
	ZST_REQUIRE(zst_node_spawn(&n, NULL, bad) == 0, "zsnode is spawned with a bad port");
	ZST_EXPECT_INT(zst_node_wait_exit(&n, 60000), 1);
	ZST_CHECK(zst_node_stderr_has(&n, "property http.callback_listen (127.0.0.1:http): the "
	    "port must be a number"), "zsnode refuses http.callback_listen with a port that is no "
	    "number, saying why");
	zst_node_cleanup(&n);
	return zst_summary();
}
