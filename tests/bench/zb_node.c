/*
 * zb_node.c: a real zsnode for the benchmark: fork+exec of build/server/zsnode with
 * --set for free ports, a data.dir under zsbench's temporary folder, the plugins, schema
 * and migrations of the build, then wait for its first SERVING Health/Check answer. The
 * time from fork to that answer is the node's start-to-ready time; it includes starting
 * the node's embedded PostgreSQL (and, on the first start in a data.dir, its initdb).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zb.h"

/* Prints the end of a child's log, to show why it failed. */
static void
zb_node_show_log(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	char buf[2048];
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, size > (long) sizeof buf - 1 ? size - (long) sizeof buf + 1 : 0, SEEK_SET);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	fprintf(stderr, "---- end of %s ----\n%s\n----\n", path, buf);
}

int
zb_node_start(const zb_opts *o, const char *name, int64_t timeout_ms, zb_node *node,
    char *err, size_t errlen)
{
	const char *tmp = zb_proc_tmpdir();
	uint16_t port[4];
	memset(node, 0, sizeof *node);
	if (tmp == NULL || zb_free_ports(port, 4) != 0) {
		snprintf(err, errlen, "no temporary folder or no free ports");
		return -1;
	}
	char *dir = node->dir;
	snprintf(dir, sizeof node->dir, "%s/%s", tmp, name);
	/* 0755: the embedded PostgreSQL runs as user postgres and keeps its files in here */
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make %s", dir);
		return -1;
	}
	snprintf(node->tcp_url, sizeof node->tcp_url, "tcp://127.0.0.1:%u", port[0]);
	snprintf(node->ipc_url, sizeof node->ipc_url, "ipc://%s/zsnode.sock", dir);
	snprintf(node->log, sizeof node->log, "%s/zsnode.log", dir);

	char set[9][4500];
	snprintf(set[0], sizeof set[0], "rpc.url=%s", node->tcp_url);
	snprintf(set[1], sizeof set[1], "events.url=tcp://127.0.0.1:%u", port[1]);
	snprintf(set[2], sizeof set[2], "events.json_url=tcp://127.0.0.1:%u", port[2]);
	snprintf(set[3], sizeof set[3], "http.url=http://127.0.0.1:%u", port[3]);
	snprintf(set[4], sizeof set[4], "data.dir=%s", dir);
	snprintf(set[5], sizeof set[5], "plugins.dir=%s", o->plugins);
	snprintf(set[6], sizeof set[6], "plugins.schema=%s", o->schema);
	snprintf(set[7], sizeof set[7], "db.migrations=%s", o->migrations);
	snprintf(set[8], sizeof set[8], "shutdown.grace=1s");
	char *argv[2 + 2 * 9];
	int a = 0;
	argv[a++] = (char *) o->zsnode;
	for (int i = 0; i < 9; i++) {
		argv[a++] = (char *) "--set";
		argv[a++] = set[i];
	}
	argv[a] = NULL;

	/* Started inside its data folder: no zsnode.properties of the caller's is read. */
	int64_t t0 = zb_now_ns();
	node->pid = zb_proc_spawn(argv, node->log, dir);
	if (node->pid < 0) {
		snprintf(err, errlen, "cannot start %s", o->zsnode);
		return -1;
	}
	if (zb_zs_wait_serving(node->tcp_url, node->pid, t0 + timeout_ms * 1000000,
	    err, errlen) != 0) {
		zb_node_stop(node);
		zb_node_show_log(node->log);
		return -1;
	}
	node->ready_ms = (double) (zb_now_ns() - t0) / 1e6;
	return 0;
}

void
zb_node_stop(zb_node *node)
{
	if (node->pid > 0)
		zb_proc_stop(node->pid, 20000);
	node->pid = 0;
	if (node->dir[0] != '\0' && zb_pg_stop_orphans(node->dir) > 0)
		fprintf(stderr, "zsbench: zsnode left its PostgreSQL running for %s: stopped it\n",
		    node->dir);
}
