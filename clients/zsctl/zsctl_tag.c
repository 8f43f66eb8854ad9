/*
 * zsctl_tag.c: zsctl's tag commands (zs.tag.v1.Tags): tag create|delete|list|query and
 * tag patterns. Tables for people; the reply as one line of JSON with --json. `tag
 * create` prints the new tag's uuid alone, so a script can keep it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zsctl.h"

static int
zsctl_tag_usage(void)
{
	fprintf(stderr, "zsctl: usage: zsctl tag create RESOURCE_UUID TAG [--system] | "
	    "tag delete TAG_UUID | tag list RESOURCE_UUID | tag query TAG_OR_PATTERN [--type T] "
	    "[--system] | tag patterns\nTry 'zsctl --help'.\n");
	return ZSCTL_EXIT_USAGE;
}

/* Runs one call (body is taken), prints its failure if any; the reply on success. */
static int
zsctl_tag_run(const zsctl_opts *opts, const char *method, json_t *body, json_t **reply)
{
	json_t *status;
	int rc = zsctl_rpc_call(opts, method, body, reply, &status);
	json_decref(body);
	if (rc != ZSCTL_EXIT_OK) {
		zsctl_print_status(opts, status);
		json_decref(status);
	}
	return rc;
}

/* Widest text of key among rows, at least the header's. */
static int
zsctl_tag_width(const json_t *rows, const char *key, const char *header)
{
	int w = (int) strlen(header);
	size_t i;
	const json_t *row;
	json_array_foreach(rows, i, row) {
		int n = (int) strlen(zsctl_str(row, key));
		w = n > w ? n : w;
	}
	return w;
}

/* A kind as proto3 JSON writes it ("SYSTEM"), lower-cased for the table. */
static const char *
zsctl_tag_kind(const json_t *tag)
{
	const char *k = zsctl_str(tag, "kind");
	return strcmp(k, "SYSTEM") == 0 ? "system" : "user";
}

static void
zsctl_tag_table(const json_t *reply)
{
	const json_t *rows = json_object_get(reply, "tags");
	if (json_array_size(rows) == 0) {
		puts("no tags");
		return;
	}
	int wt = zsctl_tag_width(rows, "resourceType", "TYPE");
	printf("%-36s  %-6s  %-*s  %-36s  %s\n", "UUID", "KIND", wt, "TYPE", "RESOURCE", "TAG");
	size_t i;
	const json_t *t;
	json_array_foreach(rows, i, t)
		printf("%-36s  %-6s  %-*s  %-36s  %s\n", zsctl_str(t, "uuid"), zsctl_tag_kind(t), wt,
		    zsctl_str(t, "resourceType"), zsctl_str(t, "resourceUuid"), zsctl_str(t, "tag"));
}

/* Prints a reply: JSON, or the table of tags. */
static int
zsctl_tag_show(const zsctl_opts *opts, int rc, json_t *reply)
{
	if (rc != ZSCTL_EXIT_OK)
		return rc;
	if (opts->json)
		zsctl_print_json(reply, 0);
	else
		zsctl_tag_table(reply);
	json_decref(reply);
	return rc;
}

static int
zsctl_tag_create(const zsctl_opts *opts, int argc, char **argv)
{
	if (argc != 2)
		return zsctl_tag_usage();
	json_t *body = json_pack("{s:s, s:s, s:s}", "resourceUuid", argv[0], "tag", argv[1], "kind",
	    opts->system ? "SYSTEM" : "USER"), *reply;
	int rc = zsctl_tag_run(opts, "zs.tag.v1.Tags/Create", body, &reply);
	if (rc == ZSCTL_EXIT_OK) {
		if (opts->json)
			zsctl_print_json(reply, 0);
		else
			puts(zsctl_str(reply, "uuid"));
		json_decref(reply);
	}
	return rc;
}

static int
zsctl_tag_delete(const zsctl_opts *opts, int argc, char **argv)
{
	if (argc != 1)
		return zsctl_tag_usage();
	json_t *reply;
	int rc = zsctl_tag_run(opts, "zs.tag.v1.Tags/Delete", json_pack("{s:s}", "uuid", argv[0]), &reply);
	if (rc == ZSCTL_EXIT_OK) {
		if (opts->json)
			zsctl_print_json(reply, 0);
		json_decref(reply);
	}
	return rc;
}

static int
zsctl_tag_list(const zsctl_opts *opts, int argc, char **argv)
{
	if (argc != 1)
		return zsctl_tag_usage();
	json_t *reply;
	int rc = zsctl_tag_run(opts, "zs.tag.v1.Tags/List", json_pack("{s:s}", "resourceUuid", argv[0]),
	    &reply);
	return zsctl_tag_show(opts, rc, reply);
}

static int
zsctl_tag_query(const zsctl_opts *opts, int argc, char **argv)
{
	if (argc != 1)
		return zsctl_tag_usage();
	json_t *body = json_pack("{s:s, s:s}", "tag", argv[0], "resourceType",
	    opts->type ? opts->type : ""), *reply;
	if (opts->system)
		json_object_set_new(body, "kind", json_string("SYSTEM"));
	int rc = zsctl_tag_run(opts, "zs.tag.v1.Tags/Query", body, &reply);
	return zsctl_tag_show(opts, rc, reply);
}

static int
zsctl_tag_patterns(const zsctl_opts *opts, int argc)
{
	if (argc != 0)
		return zsctl_tag_usage();
	json_t *reply;
	int rc = zsctl_tag_run(opts, "zs.tag.v1.Tags/ListPatterns", json_object(), &reply);
	if (rc != ZSCTL_EXIT_OK)
		return rc;
	if (opts->json) {
		zsctl_print_json(reply, 0);
	} else {
		const json_t *rows = json_object_get(reply, "patterns");
		int wt = zsctl_tag_width(rows, "resourceType", "TYPE");
		int wp = zsctl_tag_width(rows, "pattern", "PATTERN");
		int ws = zsctl_tag_width(rows, "service", "SERVICE");
		printf("%-*s  %-*s  %-*s  %s\n", wt, "TYPE", wp, "PATTERN", ws, "SERVICE", "DESCRIPTION");
		size_t i;
		const json_t *p;
		json_array_foreach(rows, i, p)
			printf("%-*s  %-*s  %-*s  %s\n", wt, zsctl_str(p, "resourceType"), wp,
			    zsctl_str(p, "pattern"), ws, zsctl_str(p, "service"), zsctl_str(p, "description"));
	}
	json_decref(reply);
	return rc;
}

int
zsctl_cmd_tag(const zsctl_opts *opts, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (strcmp(sub, "create") == 0)
		return zsctl_tag_create(opts, argc - 1, argv + 1);
	if (strcmp(sub, "delete") == 0)
		return zsctl_tag_delete(opts, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return zsctl_tag_list(opts, argc - 1, argv + 1);
	if (strcmp(sub, "query") == 0)
		return zsctl_tag_query(opts, argc - 1, argv + 1);
	if (strcmp(sub, "patterns") == 0)
		return zsctl_tag_patterns(opts, argc - 1);
	return zsctl_tag_usage();
}
