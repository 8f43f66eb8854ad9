/*
 * zsctl_platform.c: zsctl's commands for the node's platform services: global configs
 * (config list|get|update|reset), properties and error codes. Each prints a table or a
 * block for people, or the reply as one line of JSON with --json.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zsctl.h"

/* Runs one call, prints its failure if any; the reply body on success (caller owns). */
static int
zsctl_platform_run(const zsctl_opts *opts, const char *method, json_t *body, json_t **reply)
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

static int
zsctl_platform_usage(const char *what)
{
	fprintf(stderr, "zsctl: usage: zsctl %s\nTry 'zsctl --help'.\n", what);
	return ZSCTL_EXIT_USAGE;
}

/* Widest text of key among the rows (at least the header's). */
static int
zsctl_width(const json_t *rows, const char *key, const char *header, const char *key2)
{
	int w = (int) strlen(header);
	size_t i;
	const json_t *row;
	json_array_foreach(rows, i, row) {
		int n = (int) strlen(zsctl_str(row, key));
		if (key2 != NULL)
			n += 1 + (int) strlen(zsctl_str(row, key2));
		w = n > w ? n : w;
	}
	return w;
}

/* ---- config ---- */

static void
zsctl_config_table(const json_t *reply)
{
	const json_t *rows = json_object_get(reply, "configs");
	int wc = zsctl_width(rows, "category", "CONFIG", "name");
	int wt = zsctl_width(rows, "type", "TYPE", NULL);
	int wv = zsctl_width(rows, "value", "VALUE", NULL);
	int ws = zsctl_width(rows, "source", "SOURCE", NULL);
	int wd = zsctl_width(rows, "defaultValue", "DEFAULT", NULL);
	printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wc, "CONFIG", wt, "TYPE", wv, "VALUE", ws,
	    "SOURCE", wd, "DEFAULT", "DESCRIPTION");
	size_t i;
	const json_t *c;
	json_array_foreach(rows, i, c) {
		char full[512];
		snprintf(full, sizeof full, "%s.%s", zsctl_str(c, "category"), zsctl_str(c, "name"));
		printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wc, full, wt, zsctl_str(c, "type"), wv,
		    zsctl_str(c, "value"), ws, zsctl_str(c, "source"), wd, zsctl_str(c, "defaultValue"),
		    zsctl_str(c, "description"));
	}
}

/* One config as a block of "key: value" lines. */
static void
zsctl_config_block(const json_t *c)
{
	const char *min = zsctl_str(c, "min"), *max = zsctl_str(c, "max");
	printf("%s.%s = %s\n", zsctl_str(c, "category"), zsctl_str(c, "name"), zsctl_str(c, "value"));
	if (strcmp(zsctl_str(c, "source"), "default") == 0)
		printf("  source:      default\n");
	else
		printf("  source:      %s (default %s)\n", zsctl_str(c, "source"),
		    zsctl_str(c, "defaultValue"));
	printf("  type:        %s", zsctl_str(c, "type"));
	if (*min != '\0' || *max != '\0')
		printf(", range %s..%s", *min ? min : "", *max ? max : "");
	putchar('\n');
	const json_t *allowed = json_object_get(c, "allowed");
	if (json_array_size(allowed) > 0) {
		printf("  allowed:     ");
		size_t i;
		const json_t *a;
		json_array_foreach(allowed, i, a)
			printf("%s%s", i ? ", " : "", json_string_value(a) ? json_string_value(a) : "");
		putchar('\n');
	}
	if (*zsctl_str(c, "overrideTag") != '\0')
		printf("  override:    system tag %s on a host, cluster or zone\n",
		    zsctl_str(c, "overrideTag"));
	if (*zsctl_str(c, "resourceUuid") != '\0')
		printf("  resource:    %s\n", zsctl_str(c, "resourceUuid"));
	printf("  declared by: %s\n", zsctl_str(c, "service"));
	printf("  description: %s\n", zsctl_str(c, "description"));
}

static void
zsctl_config_print(const zsctl_opts *opts, const json_t *reply, bool table)
{
	if (opts->json)
		zsctl_print_json(reply, 0);
	else if (table)
		zsctl_config_table(reply);
	else
		zsctl_config_block(reply);
}

int
zsctl_cmd_config(const zsctl_opts *opts, int argc, char **argv)
{
	static const char usage[] = "config list [CATEGORY] | get CATEGORY.NAME [--resource UUID] "
	    "| update CATEGORY.NAME VALUE | reset CATEGORY.NAME  (or CATEGORY NAME as two words)";
	const char *sub = argc > 0 ? argv[0] : "";
	/* A config is named CATEGORY.NAME everywhere (lists, errors, README); the two-word
	 * form of old is still taken. "kvm.reservedMemory" -> "kvm" "reservedMemory". */
	char *split[5], category[256];
	const char *dot = argc >= 2 ? strchr(argv[1], '.') : NULL;
	if (dot != NULL && strcmp(sub, "list") != 0 && argc <= 3 && (size_t) (dot - argv[1]) < sizeof category) {
		snprintf(category, sizeof category, "%.*s", (int) (dot - argv[1]), argv[1]);
		split[0] = argv[0];
		split[1] = category;
		split[2] = (char *) dot + 1;
		if (argc == 3)
			split[3] = argv[2];
		argv = split;
		argc++;
	}
	json_t *body, *reply;
	const char *method;
	bool table = false;
	if (strcmp(sub, "list") == 0 && argc <= 2) {
		method = "zs.config.v1.GlobalConfig/List";
		body = json_pack("{s:s}", "category", argc == 2 ? argv[1] : "");
		table = true;
	} else if (strcmp(sub, "get") == 0 && argc == 3) {
		method = "zs.config.v1.GlobalConfig/Get";
		body = json_pack("{s:s, s:s, s:s}", "category", argv[1], "name", argv[2],
		    "resourceUuid", opts->resource ? opts->resource : "");
	} else if (strcmp(sub, "update") == 0 && argc == 4) {
		method = "zs.config.v1.GlobalConfig/Update";
		body = json_pack("{s:s, s:s, s:s}", "category", argv[1], "name", argv[2], "value", argv[3]);
	} else if (strcmp(sub, "reset") == 0 && argc == 3) {
		method = "zs.config.v1.GlobalConfig/Reset";
		body = json_pack("{s:s, s:s}", "category", argv[1], "name", argv[2]);
	} else {
		return zsctl_platform_usage(usage);
	}
	if (opts->resource != NULL && strcmp(sub, "get") != 0)
		return zsctl_platform_usage(usage);
	int rc = zsctl_platform_run(opts, method, body, &reply);
	if (rc == ZSCTL_EXIT_OK) {
		zsctl_config_print(opts, reply, table);
		json_decref(reply);
	}
	return rc;
}

/* ---- properties ---- */

static void
zsctl_properties_table(const json_t *reply)
{
	const json_t *rows = json_object_get(reply, "properties");
	int wn = zsctl_width(rows, "name", "NAME", NULL);
	int wv = zsctl_width(rows, "value", "VALUE", NULL);
	int ws = zsctl_width(rows, "source", "SOURCE", NULL);
	int wo = zsctl_width(rows, "owner", "OWNER", NULL);
	printf("%-*s  %-*s  %-*s  %-*s  %s\n", wn, "NAME", wv, "VALUE", ws, "SOURCE", wo, "OWNER",
	    "DESCRIPTION");
	size_t i;
	const json_t *p;
	json_array_foreach(rows, i, p) {
		bool required = json_is_true(json_object_get(p, "required"));
		printf("%-*s  %-*s  %-*s  %-*s  %s%s\n", wn, zsctl_str(p, "name"), wv, zsctl_str(p, "value"),
		    ws, zsctl_str(p, "source"), wo, zsctl_str(p, "owner"), required ? "(required) " : "",
		    zsctl_str(p, "description"));
	}
}

int
zsctl_cmd_properties(const zsctl_opts *opts, int argc, char **argv)
{
	(void) argv;
	if (argc != 0)
		return zsctl_platform_usage("properties");
	json_t *reply;
	int rc = zsctl_platform_run(opts, "zs.config.v1.Properties/List", json_object(), &reply);
	if (rc == ZSCTL_EXIT_OK) {
		if (opts->json)
			zsctl_print_json(reply, 0);
		else
			zsctl_properties_table(reply);
		json_decref(reply);
	}
	return rc;
}

/* ---- errors ---- */

static void
zsctl_errors_table(const json_t *reply)
{
	const json_t *rows = json_object_get(reply, "errors");
	int wc = zsctl_width(rows, "code", "CODE", NULL);
	int ws = zsctl_width(rows, "service", "SERVICE", NULL);
	printf("%-*s  %-*s  %s\n", wc, "CODE", ws, "SERVICE", "DESCRIPTION");
	size_t i;
	const json_t *e;
	json_array_foreach(rows, i, e)
		printf("%-*s  %-*s  %s\n", wc, zsctl_str(e, "code"), ws, zsctl_str(e, "service"),
		    zsctl_str(e, "description"));
}

int
zsctl_cmd_errors(const zsctl_opts *opts, int argc, char **argv)
{
	if (argc > 1)
		return zsctl_platform_usage("errors [PREFIX]");
	json_t *reply;
	int rc = zsctl_platform_run(opts, "zs.error.v1.Errors/List",
	    json_pack("{s:s}", "prefix", argc == 1 ? argv[0] : ""), &reply);
	if (rc == ZSCTL_EXIT_OK) {
		if (opts->json)
			zsctl_print_json(reply, 0);
		else
			zsctl_errors_table(reply);
		json_decref(reply);
	}
	return rc;
}
