/*
 * zsctl_help.c: `zsctl help METHOD` (the input's fields, their types and their comments
 * in the protos, from the node's reflection), `zsctl completion bash` (the
 * bash completion script) and `zsctl __complete WORDS...` (the words the script offers:
 * commands and methods, then the method's fields as KEY=).
 */
#include <stdio.h>
#include <string.h>

#include "zsctl.h"
#include "zsctl_kv.h"

/* Built-in commands, for completion and for telling them from methods. */
static const char *const help_commands[] = {
	"list", "describe", "call", "health", "job", "login", "logout", "whoami", "account",
	"config", "properties", "errors", "tag", "help", "completion", NULL,
};

static const char *const help_query_keys[] = {
	"limit=", "start=", "count=", "replyWithCount=", "sort=", "fields=", "groupBy=", NULL,
};

static void
help_query(void)
{
	puts("\nquery syntax (the input is a zs.resource.v1.QueryRequest):\n"
	    "  NAME=VALUE  NAME!=VALUE  NAME>VALUE  NAME>=VALUE  NAME<VALUE  NAME<=VALUE\n"
	    "  NAME?=A,B (in)  NAME!?=A,B (not in)  NAME~=web% (like)  NAME!~=web% (not like)\n"
	    "  'NAME is null'  'NAME not null'   (one quoted argument, or the words apart)\n"
	    "  limit=N start=N count=true replyWithCount=true sort=+NAME|-NAME fields=A,B\n"
	    "  groupBy=NAME (each value of NAME among the matches and its count)\n"
	    "  conditions are joined by AND; NAME is a field of the resource (snake_case or\n"
	    "  lowerCamel), or a related one's by dot path (cluster.zone_uuid)");
}

/* The message named type, found as some method's input or output (reflection describes
 * only those): lets help and completion show a Query's rows' fields. */
static const json_t *
help_message(const json_t *methods, const char *type)
{
	size_t i;
	const json_t *m;
	json_array_foreach(methods, i, m) {
		const json_t *in = json_object_get(m, "input"), *out = json_object_get(m, "output");
		if (strcmp(zsctl_str(out, "name"), type) == 0)
			return out;
		if (strcmp(zsctl_str(in, "name"), type) == 0)
			return in;
	}
	return NULL;
}

/* The message of a Query's rows (its output's repeated message field), or NULL. */
static const json_t *
help_row_message(const json_t *methods, const json_t *method)
{
	size_t i;
	const json_t *f;
	json_array_foreach(json_object_get(json_object_get(method, "output"), "fields"), i, f)
		if (strcmp(zsctl_str(f, "label"), "repeated") == 0)
			return help_message(methods, zsctl_str(f, "type"));
	return NULL;
}

/* One line a field: its name (and lowerCamel form), its type, then its comment in the
 * proto, in columns. */
static void
help_fields(const json_t *message, const char *indent)
{
	size_t i;
	const json_t *f;
	int w = 4, tw = 4;
	char name[300], type[300];
	json_array_foreach(json_object_get(message, "fields"), i, f) {
		char camel[256];
		zsctl_kv_camel(zsctl_str(f, "name"), camel, sizeof camel);
		int n = strcmp(camel, zsctl_str(f, "name")) != 0 ?
		    snprintf(name, sizeof name, "%s (%s)", zsctl_str(f, "name"), camel) :
		    snprintf(name, sizeof name, "%s", zsctl_str(f, "name"));
		int repeated = strcmp(zsctl_str(f, "label"), "repeated") == 0;
		int t = snprintf(type, sizeof type, "%s%s", repeated ? "repeated " : "", zsctl_str(f, "type"));
		w = n > w ? n : w;
		tw = t > tw ? t : tw;
	}
	json_array_foreach(json_object_get(message, "fields"), i, f) {
		char camel[256];
		zsctl_kv_camel(zsctl_str(f, "name"), camel, sizeof camel);
		if (strcmp(camel, zsctl_str(f, "name")) != 0)
			snprintf(name, sizeof name, "%s (%s)", zsctl_str(f, "name"), camel);
		else
			snprintf(name, sizeof name, "%s", zsctl_str(f, "name"));
		int repeated = strcmp(zsctl_str(f, "label"), "repeated") == 0;
		snprintf(type, sizeof type, "%s%s", repeated ? "repeated " : "", zsctl_str(f, "type"));
		const char *comment = zsctl_str(f, "comment");
		if (comment[0] != '\0')
			printf("%s%-*s  %-*s  // %s\n", indent, w, name, tw, type, comment);
		else
			printf("%s%-*s  %s\n", indent, w, name, type);
	}
	if (json_array_size(json_object_get(message, "fields")) == 0)
		printf("%s(no fields)\n", indent);
}

int
zsctl_cmd_help_method(const zsctl_opts *opts, const char *name)
{
	json_t *methods;
	int rc = zsctl_catalog_load(opts, &methods);
	if (rc != ZSCTL_EXIT_OK)
		return rc;
	const json_t *m = zsctl_catalog_find(methods, name);
	if (m == NULL) {
		json_decref(methods);
		return ZSCTL_EXIT_USAGE;
	}
	const json_t *in = json_object_get(m, "input"), *out = json_object_get(m, "output");
	int query = strcmp(zsctl_str(in, "name"), ZSCTL_QUERY_TYPE) == 0;
	printf("%s\n\nusage: zsctl %s %s\n", zsctl_str(m, "fullName"), zsctl_str(m, "name"),
	    query ? "[CONDITION]... [limit=N] [start=N] [sort=+|-NAME] [fields=A,B] [count=true] "
	            "[groupBy=NAME]"
	          : "[KEY=VALUE]...");
	if (query) {
		help_query();
		const json_t *row = help_row_message(methods, m);
		if (row != NULL) {
			printf("\nfields of %s (names for conditions, sort and fields):\n",
			    zsctl_str(row, "name"));
			help_fields(row, "  ");
		}
	} else {
		printf("\ninput %s:\n", zsctl_str(in, "name"));
		help_fields(in, "  ");
		puts("\nvalues: numbers, true/false, enums by name, repeated fields as a,b,c (comma\n"
		    "list), a time as RFC 3339 (2026-01-01T00:00:00Z), a message as JSON or by dotted\n"
		    "keys (KEY.FIELD=VALUE)");
	}
	printf("\noutput %s:\n", zsctl_str(out, "name"));
	help_fields(out, "  ");
	puts("\n(types and comments from the node's reflection)");
	json_decref(methods);
	return ZSCTL_EXIT_OK;
}

/* The completion script: it asks `zsctl __complete` (with the options typed so far, so
 * --url reaches the same node) for the words. */
static const char help_bash[] =
    "# bash completion for zsctl: methods and their fields from the node's reflection.\n"
    "# Made by `zsctl completion bash`; source it, or install it as\n"
    "# share/bash-completion/completions/zsctl.\n"
    "_zsctl() {\n"
    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
    "\tlocal opts='--url --timeout --tls-ca --session --password-stdin --json --field\n"
    "\t\t--dry-run --job --wait --job-timeout --version --help'\n"
    "\tcase $prev in\n"
    "\t--url|--timeout|--tls-ca|--session|--field|--job-timeout) return ;;\n"
    "\tesac\n"
    "\tif [[ $cur == -* ]]; then\n"
    "\t\tmapfile -t COMPREPLY < <(compgen -W \"$opts\" -- \"$cur\")\n"
    "\t\treturn\n"
    "\tfi\n"
    "\t# KEY=VALUE: bash splits at '=', so a value is completed from nothing\n"
    "\t[[ $cur == = || $prev == = ]] && return\n"
    "\tlocal words\n"
    "\twords=$(\"${COMP_WORDS[0]}\" --timeout 2000 __complete \"${COMP_WORDS[@]:1:COMP_CWORD-1}\" 2>/dev/null)\n"
    "\t[[ -z $words && -n ${_zsctl_methods:-} && $COMP_CWORD -eq 1 ]] && words=$_zsctl_methods\n"
    "\tcompopt -o nospace 2>/dev/null\n"
    "\tmapfile -t COMPREPLY < <(compgen -W \"$words\" -- \"$cur\")\n"
    "\tlocal i\n"
    "\tfor i in \"${!COMPREPLY[@]}\"; do\n"
    "\t\t[[ ${COMPREPLY[i]} == *= ]] || COMPREPLY[i]+=' '\n"
    "\tdone\n"
    "}\n"
    "complete -F _zsctl zsctl\n";

int
zsctl_cmd_completion(const zsctl_opts *opts, int argc, char **argv)
{
	if (argc != 1 || strcmp(argv[0], "bash") != 0) {
		fprintf(stderr, "zsctl: completion takes `bash`: source <(zsctl completion bash)\n");
		return ZSCTL_EXIT_USAGE;
	}
	fputs(help_bash, stdout);
	/* the node's methods as they are now, for when it does not answer at completion
	 * time (only when it answers now: the installed script has none) */
	zsctl_opts quiet = *opts;
	quiet.quiet = 1;
	json_t *methods;
	if (zsctl_catalog_load(&quiet, &methods) == ZSCTL_EXIT_OK) {
		printf("_zsctl_methods='");
		size_t i;
		const json_t *m;
		json_array_foreach(methods, i, m)
			printf("%s%s", i ? " " : "", zsctl_str(m, "name"));
		for (size_t k = 0; help_commands[k] != NULL; k++)
			printf(" %s", help_commands[k]);
		puts("'");
		json_decref(methods);
	}
	return ZSCTL_EXIT_OK;
}

static int
help_is_command(const char *word)
{
	for (size_t k = 0; help_commands[k] != NULL; k++)
		if (strcmp(help_commands[k], word) == 0)
			return 1;
	return 0;
}

const char *
zsctl_help_near_command(const char *word)
{
	for (size_t k = 0; help_commands[k] != NULL; k++)
		if (zsctl_kv_distance(word, help_commands[k]) <= (strlen(word) > 4 ? 2 : 1))
			return help_commands[k];
	return NULL;
}

int
zsctl_cmd_complete(const zsctl_opts *opts, int argc, char **argv)
{
	zsctl_opts quiet = *opts;
	quiet.quiet = 1;
	if (argc >= 1 && help_is_command(argv[0]) && strcmp(argv[0], "help") != 0)
		return ZSCTL_EXIT_OK; /* a built-in's arguments: nothing to offer */
	json_t *methods;
	if (zsctl_catalog_load(&quiet, &methods) != ZSCTL_EXIT_OK) {
		if (argc == 0)
			for (size_t k = 0; help_commands[k] != NULL; k++)
				puts(help_commands[k]);
		return ZSCTL_EXIT_NO_ANSWER;
	}
	size_t i;
	const json_t *m;
	if (argc == 0 || (argc == 1 && strcmp(argv[0], "help") == 0)) {
		for (size_t k = 0; argc == 0 && help_commands[k] != NULL; k++)
			puts(help_commands[k]);
		json_array_foreach(methods, i, m)
			puts(zsctl_str(m, "name"));
		json_decref(methods);
		return ZSCTL_EXIT_OK;
	}
	/* fields of the method: find it quietly (no "did you mean" while completing) */
	const json_t *found = NULL;
	json_array_foreach(methods, i, m)
		if (strcmp(zsctl_str(m, "name"), argv[0]) == 0 ||
		    strcmp(zsctl_str(m, "fullName"), argv[0]) == 0)
			found = found == NULL ? m : found;
	if (found != NULL) {
		const json_t *in = json_object_get(found, "input"), *msg = in;
		if (strcmp(zsctl_str(in, "name"), ZSCTL_QUERY_TYPE) == 0) {
			for (size_t k = 0; help_query_keys[k] != NULL; k++)
				puts(help_query_keys[k]);
			msg = help_row_message(methods, found);
		}
		const json_t *f;
		json_array_foreach(json_object_get(msg, "fields"), i, f) {
			char camel[256];
			printf("%s=\n", msg == in ? zsctl_kv_camel(zsctl_str(f, "name"), camel, sizeof camel)
			                          : zsctl_str(f, "name"));
		}
	}
	json_decref(methods);
	return ZSCTL_EXIT_OK;
}
