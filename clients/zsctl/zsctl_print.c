/*
 * zsctl_print.c: how zsctl shows things: failure statuses with their cause chain, reply
 * bodies, the service table of `list` and the methods of `describe`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/client.h"
#include "zsctl.h"

const char *
zsctl_str(const json_t *object, const char *key)
{
	const char *s = json_string_value(json_object_get(object, key));
	return s != NULL ? s : "";
}

/* A code is a name in proto3 JSON, but a number is accepted too. */
static const char *
zsctl_code_name(const json_t *status)
{
	const json_t *code = json_object_get(status, "code");
	if (json_is_integer(code))
		return zs_client_code_name((int) json_integer_value(code));
	return json_is_string(code) ? json_string_value(code) : "UNKNOWN";
}

/* "INVALID_ARGUMENT (ECHO.1001): message" */
static void
zsctl_print_one_status(const json_t *status, FILE *out)
{
	const char *err = zsctl_str(status, "errorCode");
	const char *msg = zsctl_str(status, "message");
	if (msg[0] == '\0')
		msg = zsctl_str(status, "description");
	fputs(zsctl_code_name(status), out);
	if (err[0] != '\0')
		fprintf(out, " (%s)", err);
	fprintf(out, ": %s\n", msg);
}

void
zsctl_print_status(const zsctl_opts *opts, const json_t *status)
{
	if (opts->json) {
		zsctl_print_json(status, 0);
		return;
	}
	fputs("error: ", stderr);
	zsctl_print_one_status(status, stderr);
	size_t i;
	const json_t *detail;
	json_array_foreach(json_object_get(status, "details"), i, detail)
		if (json_is_string(detail))
			fprintf(stderr, "  detail: %s\n", json_string_value(detail));
	for (const json_t *c = json_object_get(status, "cause"); json_is_object(c);
	     c = json_object_get(c, "cause")) {
		fputs("  caused by: ", stderr);
		zsctl_print_one_status(c, stderr);
	}
	/* a call without a good session (not a login that failed: its message says why) */
	if (strcmp(zsctl_code_name(status), "UNAUTHENTICATED") == 0 &&
	    strcmp(zsctl_str(status, "errorCode"), "IDENTITY.1003") != 0)
		fputs("  hint: log in first: zsctl login NAME (the session is saved for later calls; "
		    "--session or $ZS_SESSION give another)\n", stderr);
}

void
zsctl_print_json(const json_t *json, int pretty)
{
	char *text = json_dumps(json, pretty ? JSON_INDENT(2) : JSON_COMPACT);
	if (text != NULL) {
		puts(text);
		free(text);
	}
}

/* A uint32 is a number in proto3 JSON; accept a string too. */
static const char *
zsctl_number(const json_t *object, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(object, key);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long) json_integer_value(v));
		return buf;
	}
	return json_is_string(v) ? json_string_value(v) : "0";
}

void
zsctl_print_services(const json_t *body)
{
	const json_t *services = json_object_get(body, "services");
	size_t i;
	const json_t *s;
	int w_name = (int) strlen("SERVICE"), w_plugin = (int) strlen("PLUGIN");
	json_array_foreach(services, i, s) {
		int n = (int) strlen(zsctl_str(s, "name")), p = (int) strlen(zsctl_str(s, "plugin"));
		w_name = n > w_name ? n : w_name;
		w_plugin = p > w_plugin ? p : w_plugin;
	}
	printf("%-*s  %-*s  %s\n", w_name, "SERVICE", w_plugin, "PLUGIN", "METHODS");
	json_array_foreach(services, i, s) {
		char num[32];
		printf("%-*s  %-*s  %s\n", w_name, zsctl_str(s, "name"), w_plugin,
		    zsctl_str(s, "plugin"), zsctl_number(s, "methods", num, sizeof num));
	}
}

/* "  zs.echo.v1.SayRequest {\n    string text = 1;\n  }" */
static void
zsctl_print_message(const json_t *message)
{
	const json_t *fields = json_object_get(message, "fields");
	const char *name = zsctl_str(message, "name");
	if (json_array_size(fields) == 0) {
		printf("  %s {}\n", name);
		return;
	}
	printf("  %s {\n", name);
	size_t i;
	const json_t *f;
	json_array_foreach(fields, i, f) {
		char num[32];
		const char *label = zsctl_str(f, "label");
		printf("    %s%s%s %s = %s;\n", label, label[0] != '\0' ? " " : "",
		    zsctl_str(f, "type"), zsctl_str(f, "name"),
		    zsctl_number(f, "number", num, sizeof num));
	}
	puts("  }");
}

void
zsctl_print_description(const json_t *body)
{
	const char *plugin = zsctl_str(body, "plugin");
	printf("service %s", zsctl_str(body, "name"));
	if (plugin[0] != '\0')
		printf(" (plugin %s)", plugin);
	putchar('\n');
	size_t i;
	const json_t *m;
	json_array_foreach(json_object_get(body, "methods"), i, m) {
		const json_t *in = json_object_get(m, "input"), *out = json_object_get(m, "output");
		printf("\nrpc %s(%s) returns (%s)\n", zsctl_str(m, "name"), zsctl_str(in, "name"),
		    zsctl_str(out, "name"));
		zsctl_print_message(in);
		zsctl_print_message(out);
	}
}
