/* zst_sim.c: starting and stopping a test's zs-kvmsim, and plain HTTP calls to it
 * (zst_sim.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "zst_check.h"
#include "zst_sim.h"

static pid_t sim_pid;

int
zst_sim_stop(void)
{
	int status = -1;
	if (sim_pid > 0) {
		kill(sim_pid, SIGTERM);
		waitpid(sim_pid, &status, 0);
		sim_pid = 0;
	}
	return status;
}

pid_t
zst_sim_pid(void)
{
	return sim_pid;
}

static void
sim_kill(void)
{
	(void) zst_sim_stop();
}

int
zst_sim_start(const char *bin)
{
	int fds[2], port = 0;
	ZST_REQUIRE(pipe(fds) == 0, "a pipe");
	sim_pid = fork();
	if (sim_pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(bin, bin, "--port", "0", (char *) NULL);
		_exit(127);
	}
	close(fds[1]);
	char line[256] = "";
	FILE *f = fdopen(fds[0], "r");
	ZST_REQUIRE(f != NULL && fgets(line, sizeof line, f) != NULL, "zs-kvmsim says where it listens");
	fclose(f);
	ZST_REQUIRE(sscanf(line, "zs-kvmsim: listening on http://127.0.0.1:%d", &port) == 1,
	    "its port in '%s'", line);
	zst_on_fail_now(sim_kill);
	return port;
}

size_t
zst_sim_buf_write(char *data, size_t size, size_t n, void *arg)
{
	zst_sim_buf *b = arg;
	char *p = realloc(b->p, b->n + size * n + 1);
	if (p == NULL)
		return 0;
	memcpy(p + b->n, data, size * n);
	b->p = p;
	b->n += size * n;
	p[b->n] = '\0';
	return size * n;
}

json_t *
zst_sim_http(int port, const char *method, const char *host, const char *path, const char *body)
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
