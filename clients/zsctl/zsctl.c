/*
 * zsctl: the command-line client of zsnode. Parses the command line and runs one
 * command: a built-in (list, describe, call, health, login, ...) or, ZStack-style, any
 * method by its name with KEY=VALUE arguments (zsctl_method.c). Every call goes through
 * the JSON mode of the wire (zsctl_rpc.c), so zsctl calls any method of any service
 * without generated code.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/health/v1/health.pb-c.h"
#include "zsctl.h"

#define ZSCTL_DEFAULT_URL "tcp://127.0.0.1:5570"
#define ZSCTL_DEFAULT_TIMEOUT_MS 10000u
#define ZSCTL_MAX_TIMEOUT_MS (24u * 3600u * 1000u)

static const char zsctl_usage[] =
    "usage: zsctl [OPTIONS] COMMAND [ARGS]\n"
    "       zsctl [OPTIONS] METHOD [KEY=VALUE]...   e.g. zsctl CreateZone name=zone1\n"
    "\n"
    "methods: any method the node serves, by its name (CreateZone), Service/Method or its\n"
    "  full name; KEY=VALUE pairs make its input (zsctl help METHOD lists the fields).\n"
    "  Query methods (QueryZone, ...) take conditions: name~=web% state=Running\n"
    "  'description is null' sort=-createDate limit=10 fields=uuid,name count=true.\n"
    "  The reply is a table (lists as rows; also when stdout is not a terminal, as\n"
    "  kubectl does), JSON with --json, or one field with --field NAME.\n"
    "\n"
    "commands:\n"
    "  list                      the services the node serves\n"
    "  describe SERVICE          methods of SERVICE and their messages\n"
    "  call METHOD [JSON|-]      call METHOD (package.Service/Method) with JSON\n"
    "                            (default {}; - reads it from stdin), print the reply\n"
    "  health [SERVICE]          SERVING or not (exit 0 only if SERVING)\n"
    "  help [METHOD]             this text, or a method's fields and their types\n"
    "  completion bash           the bash completion script: source <(zsctl completion bash)\n"
    "  job get UUID | job list   a job's state, progress and result; your jobs\n"
    "  login NAME                log in; the session is saved for later calls\n"
    "  logout | whoami           end the saved session; who it is\n"
    "  account create NAME       a new account (admin only; --admin: an admin one)\n"
    "  account list | delete UUID|NAME | passwd [UUID|NAME]\n"
    "  config list [CATEGORY]    global configs: value, where it comes from, default\n"
    "  config get CATEGORY.NAME [--resource UUID]\n"
    "                            one config (the value in force for a host, cluster or zone)\n"
    "  config update CATEGORY.NAME VALUE | config reset CATEGORY.NAME   (admin only)\n"
    "  properties                every property, its value and source, secrets masked (admin)\n"
    "  errors [PREFIX]           declared error codes, e.g. zsctl errors ECHO\n"
    "  tag create RESOURCE_UUID TAG [--system] | tag delete TAG_UUID\n"
    "  tag list RESOURCE_UUID | tag query TAG_OR_PATTERN [--type T] [--system] | tag patterns\n"
    "                            tags on resources; qemu-img::version::{v} is a pattern\n"
    "\n"
    "options:\n"
    "  --url URL                 node address (default $ZS_URL or " ZSCTL_DEFAULT_URL ")\n"
    "  --timeout MS              call timeout (default 10000)\n"
    "  --tls-ca FILE             tls+tcp:// URLs (required there): the CA of the node's certificate\n"
    "  --session TOKEN           session token (default $ZS_SESSION, else the one\n"
    "                            `login` saved in ~/.config/zsctl/session)\n"
    "  --password-stdin          login, account: read passwords from stdin, one a line\n"
    "  --json                    print the raw reply body (or failure status) as JSON\n"
    "  --field NAME              methods: print only this field, one line per row\n"
    "  --dry-run                 methods: print the request as JSON, send nothing\n"
    "  --job                     call, methods: run as a job and print its uuid at once\n"
    "  --wait                    call, methods: run as a job and wait, with a progress bar\n"
    "  --job-timeout MS          the job's deadline (default: the node's job.default_timeout;\n"
    "                            --timeout bounds each call, not the job)\n"
    "  --version                 zsctl's version\n"
    "  -h, --help                this help\n"
    "\n"
    "exit: 0 ok, 1 the call failed, 2 usage error, 3 no answer from the node\n";

static int zsctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
zsctl_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("zsctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'zsctl --help'.\n", stderr);
	va_end(ap);
	return ZSCTL_EXIT_USAGE;
}

/* Reads all of stdin as JSON; NULL (and a message) when it is not. */
static json_t *
zsctl_parse_body(const char *arg)
{
	json_error_t err;
	json_t *body = strcmp(arg, "-") == 0 ? json_loadf(stdin, 0, &err) : json_loads(arg, 0, &err);
	if (body == NULL) {
		fprintf(stderr, "zsctl: the request is not JSON: %s (line %d, column %d)\n", err.text,
		    err.line, err.column);
		return NULL;
	}
	if (!json_is_object(body)) {
		fprintf(stderr, "zsctl: the request must be a JSON object\n");
		json_decref(body);
		return NULL;
	}
	return body;
}

/* Runs one call and prints its failure if any; returns the exit code, and the reply
 * body on success (caller owns). body is borrowed. */
static int
zsctl_run(const zsctl_opts *opts, const char *method, json_t *body, json_t **reply)
{
	json_t *status;
	int rc = zsctl_rpc_call(opts, method, body, reply, &status);
	if (rc != ZSCTL_EXIT_OK) {
		zsctl_print_status(opts, status);
		json_decref(status);
	}
	return rc;
}

static int
zsctl_cmd_list(const zsctl_opts *opts, int argc, char **argv)
{
	(void) argv;
	if (argc != 0)
		return zsctl_usage_error("list takes no arguments");
	json_t *body = json_object(), *reply;
	int rc = zsctl_run(opts, "zs.reflection.v1.Reflection/ListServices", body, &reply);
	json_decref(body);
	if (rc == ZSCTL_EXIT_OK) {
		if (opts->json)
			zsctl_print_json(reply, 0);
		else
			zsctl_print_services(reply);
		json_decref(reply);
	}
	return rc;
}

static int
zsctl_cmd_describe(const zsctl_opts *opts, int argc, char **argv)
{
	if (argc != 1)
		return zsctl_usage_error("describe takes one SERVICE, e.g. zs.echo.v1.Echo");
	json_t *body = json_pack("{s:s}", "name", argv[0]), *reply;
	int rc = zsctl_run(opts, "zs.reflection.v1.Reflection/DescribeService", body, &reply);
	json_decref(body);
	if (rc == ZSCTL_EXIT_FAILED && !opts->json)
		zsctl_catalog_suggest_service(opts, argv[0]);
	if (rc == ZSCTL_EXIT_OK) {
		if (opts->json)
			zsctl_print_json(reply, 0);
		else
			zsctl_print_description(reply);
		json_decref(reply);
	}
	return rc;
}

static int
zsctl_cmd_call(const zsctl_opts *opts, int argc, char **argv)
{
	if (argc < 1 || argc > 2)
		return zsctl_usage_error("call takes METHOD and an optional JSON body");
	if (strchr(argv[0], '/') == NULL)
		return zsctl_usage_error("'%s' is not a method: write package.Service/Method", argv[0]);
	json_t *body = zsctl_parse_body(argc == 2 ? argv[1] : "{}"), *reply;
	if (body == NULL)
		return ZSCTL_EXIT_USAGE;
	int rc = zsctl_run(opts, argv[0], body, &reply);
	json_decref(body);
	if (rc == ZSCTL_EXIT_OK && opts->wait) {
		char job[64];
		snprintf(job, sizeof job, "%s", zsctl_str(reply, "jobUuid"));
		json_decref(reply);
		return zsctl_job_wait(opts, job, NULL);
	}
	if (rc == ZSCTL_EXIT_OK) {
		zsctl_print_json(reply, !opts->json);
		json_decref(reply);
	}
	return rc;
}

/* The serving status, by name, or by number through the generated enum. */
static const char *
zsctl_serving_status(const json_t *body)
{
	const json_t *v = json_object_get(body, "status");
	if (json_is_string(v))
		return json_string_value(v);
	const ProtobufCEnumValue *e = protobuf_c_enum_descriptor_get_value(
	    &zs__health__v1__health_check_response__serving_status__descriptor,
	    json_is_integer(v) ? (int) json_integer_value(v) : 0);
	return e != NULL ? e->name : "UNKNOWN";
}

static int
zsctl_cmd_health(const zsctl_opts *opts, int argc, char **argv)
{
	if (argc > 1)
		return zsctl_usage_error("health takes at most one SERVICE");
	json_t *body = json_pack("{s:s}", "service", argc == 1 ? argv[0] : ""), *reply;
	int rc = zsctl_run(opts, "zs.health.v1.Health/Check", body, &reply);
	json_decref(body);
	if (rc == ZSCTL_EXIT_OK) {
		const char *status = zsctl_serving_status(reply);
		if (opts->json)
			zsctl_print_json(reply, 0);
		else
			puts(status);
		rc = strcmp(status, "SERVING") == 0 ? ZSCTL_EXIT_OK : ZSCTL_EXIT_FAILED;
		json_decref(reply);
	}
	return rc;
}

static int
zsctl_parse_timeout(const char *arg, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v == 0 ||
	    v > ZSCTL_MAX_TIMEOUT_MS)
		return -1;
	*out = (uint32_t) v;
	return 0;
}

/* Takes the value of an option given as "--opt VALUE" or "--opt=VALUE". */
static const char *
zsctl_option_value(const char *name, int argc, char **argv, int *i)
{
	size_t n = strlen(name);
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static int
zsctl_is_option(const char *arg, const char *name)
{
	size_t n = strlen(name);
	return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* Built-in commands are lowercase words; methods are CamelCase. */
static int
zsctl_lowercase(const char *word)
{
	for (const char *p = word; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			return 0;
	return 1;
}

int
main(int argc, char **argv)
{
	zsctl_opts opts = {
		.url = getenv("ZS_URL") != NULL && getenv("ZS_URL")[0] != '\0' ? getenv("ZS_URL")
		                                                                 : ZSCTL_DEFAULT_URL,
		.timeout_ms = ZSCTL_DEFAULT_TIMEOUT_MS,
		.session = getenv("ZS_SESSION") != NULL && getenv("ZS_SESSION")[0] != '\0'
		               ? getenv("ZS_SESSION") : NULL,
	};
	/* Options may come anywhere; "--" ends them. The rest are the command and its args
	 * (a lone "-" is an argument: the body from stdin). */
	char **args = calloc((size_t) argc + 1, sizeof *args);
	int nargs = 0, only_args = 0;
	if (args == NULL)
		return ZSCTL_EXIT_FAILED;
	int rc = -1;
	for (int i = 1; i < argc && rc < 0; i++) {
		const char *a = argv[i], *v;
		if (only_args || a[0] != '-' || strcmp(a, "-") == 0) {
			args[nargs++] = argv[i];
		} else if (strcmp(a, "--") == 0) {
			only_args = 1;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(zsctl_usage, stdout);
			rc = ZSCTL_EXIT_OK;
		} else if (strcmp(a, "--json") == 0) {
			opts.json = 1;
		} else if (strcmp(a, "--version") == 0) {
			printf("zsctl %s\n", ZSCTL_VERSION);
			rc = ZSCTL_EXIT_OK;
		} else if (strcmp(a, "--dry-run") == 0) {
			opts.dry_run = 1;
		} else if (zsctl_is_option(a, "--field")) {
			if ((v = zsctl_option_value("--field", argc, argv, &i)) == NULL || v[0] == '\0')
				rc = zsctl_usage_error("--field needs a field NAME, e.g. --field uuid");
			opts.field = v;
		} else if (zsctl_is_option(a, "--job-timeout")) {
			if ((v = zsctl_option_value("--job-timeout", argc, argv, &i)) == NULL ||
			    zsctl_parse_timeout(v, &opts.job_timeout_ms) != 0)
				rc = zsctl_usage_error("--job-timeout needs milliseconds, 1 to 86400000");
		} else if (strcmp(a, "--job") == 0) {
			opts.job = 1;
		} else if (strcmp(a, "--wait") == 0) {
			opts.wait = 1;
		} else if (strcmp(a, "--password-stdin") == 0) {
			opts.password_stdin = 1;
		} else if (strcmp(a, "--admin") == 0) {
			opts.admin = 1;
		} else if (zsctl_is_option(a, "--resource")) {
			if ((v = zsctl_option_value("--resource", argc, argv, &i)) == NULL || v[0] == '\0')
				rc = zsctl_usage_error("--resource needs a UUID");
			opts.resource = v;
		} else if (strcmp(a, "--system") == 0) {
			opts.system = 1;
		} else if (zsctl_is_option(a, "--type")) {
			if ((v = zsctl_option_value("--type", argc, argv, &i)) == NULL || v[0] == '\0')
				rc = zsctl_usage_error("--type needs a resource type, e.g. Host");
			opts.type = v;
		} else if (zsctl_is_option(a, "--url")) {
			if ((v = zsctl_option_value("--url", argc, argv, &i)) == NULL || v[0] == '\0')
				rc = zsctl_usage_error("--url needs a URL");
			opts.url = v;
		} else if (zsctl_is_option(a, "--tls-ca")) {
			if ((v = zsctl_option_value("--tls-ca", argc, argv, &i)) == NULL || v[0] == '\0')
				rc = zsctl_usage_error("--tls-ca needs a PEM file");
			opts.tls_ca = v;
		} else if (zsctl_is_option(a, "--session")) {
			if ((v = zsctl_option_value("--session", argc, argv, &i)) == NULL)
				rc = zsctl_usage_error("--session needs a TOKEN");
			opts.session = v;
		} else if (zsctl_is_option(a, "--timeout")) {
			if ((v = zsctl_option_value("--timeout", argc, argv, &i)) == NULL ||
			    zsctl_parse_timeout(v, &opts.timeout_ms) != 0)
				rc = zsctl_usage_error("--timeout needs milliseconds, 1 to 86400000");
		} else {
			rc = zsctl_usage_error("unknown option %s", a);
		}
	}
	char saved[256];
	if (opts.session == NULL)
		opts.session = zsctl_session_load(saved, sizeof saved);
	if (rc < 0 && strncmp(opts.url, "tls+", 4) == 0 && opts.tls_ca == NULL)
		rc = zsctl_usage_error("%s is tls+tcp: give the CA of the node's certificate with --tls-ca",
		    opts.url);
	if (rc < 0) {
		const char *cmd = nargs > 0 ? args[0] : NULL;
		int n = nargs > 0 ? nargs - 1 : 0;
		char **rest = args + 1;
		if (cmd == NULL)
			rc = zsctl_usage_error("a COMMAND is needed: list, describe, call, health, ... "
			    "or a METHOD such as CreateZone");
		else if (strcmp(cmd, "help") == 0 && n == 0)
			fputs(zsctl_usage, stdout), rc = ZSCTL_EXIT_OK;
		else if (strcmp(cmd, "help") == 0 && n == 1 && zsctl_lowercase(rest[0]))
			fputs(zsctl_usage, stdout), rc = ZSCTL_EXIT_OK; /* a built-in: its line is here */
		else if (strcmp(cmd, "help") == 0 && n == 1)
			rc = zsctl_cmd_help_method(&opts, rest[0]);
		else if (strcmp(cmd, "help") == 0)
			rc = zsctl_usage_error("help takes at most one METHOD");
		else if (strcmp(cmd, "completion") == 0)
			rc = zsctl_cmd_completion(&opts, n, rest);
		else if (strcmp(cmd, "__complete") == 0)
			rc = zsctl_cmd_complete(&opts, n, rest);
		else if (strcmp(cmd, "list") == 0)
			rc = zsctl_cmd_list(&opts, n, rest);
		else if (strcmp(cmd, "describe") == 0)
			rc = zsctl_cmd_describe(&opts, n, rest);
		else if (strcmp(cmd, "call") == 0)
			rc = zsctl_cmd_call(&opts, n, rest);
		else if (strcmp(cmd, "health") == 0)
			rc = zsctl_cmd_health(&opts, n, rest);
		else if (strcmp(cmd, "job") == 0)
			rc = zsctl_cmd_job(&opts, n, rest);
		else if (strcmp(cmd, "login") == 0)
			rc = zsctl_cmd_login(&opts, n, rest);
		else if (strcmp(cmd, "logout") == 0)
			rc = zsctl_cmd_logout(&opts, n, rest);
		else if (strcmp(cmd, "whoami") == 0)
			rc = zsctl_cmd_whoami(&opts, n, rest);
		else if (strcmp(cmd, "account") == 0)
			rc = zsctl_cmd_account(&opts, n, rest);
		else if (strcmp(cmd, "config") == 0)
			rc = zsctl_cmd_config(&opts, n, rest);
		else if (strcmp(cmd, "properties") == 0)
			rc = zsctl_cmd_properties(&opts, n, rest);
		else if (strcmp(cmd, "errors") == 0)
			rc = zsctl_cmd_errors(&opts, n, rest);
		else if (strcmp(cmd, "tag") == 0)
			rc = zsctl_cmd_tag(&opts, n, rest);
		else if (zsctl_lowercase(cmd) && zsctl_help_near_command(cmd) != NULL)
			rc = zsctl_usage_error("unknown command '%s'; did you mean %s?", cmd,
			    zsctl_help_near_command(cmd));
		else
			rc = zsctl_cmd_method(&opts, cmd, n, rest);
	}
	free(args);
	return rc;
}
