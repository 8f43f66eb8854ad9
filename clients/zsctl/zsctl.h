/*
 * zsctl.h: what zsctl's files share: the options of a run, the exit codes, the JSON
 * call, and the printers.
 */
#ifndef ZSCTL_H
#define ZSCTL_H

#include <stdint.h>

#include <jansson.h>

/* Exit codes: a script can tell a failed call from a node it could not talk to. */
enum zsctl_exit {
	ZSCTL_EXIT_OK = 0,        /* the call succeeded (health: and the service is SERVING) */
	ZSCTL_EXIT_FAILED = 1,    /* the node answered with a failure status */
	ZSCTL_EXIT_USAGE = 2,     /* bad command line */
	ZSCTL_EXIT_NO_ANSWER = 3, /* node unreachable, or no reply in time */
};

typedef struct zsctl_opts {
	const char *url;
	uint32_t timeout_ms;
	const char *session;      /* NULL: none */
	const char *tls_ca;       /* tls+tcp: the CA that signed the node's certificate (PEM) */
	int json;                 /* print raw JSON, one line, for scripts */
	int job;                  /* call: run as a job, print its uuid */
	int wait;                 /* call: run as a job and wait for it, showing progress */
	int password_stdin;       /* login, account: passwords from stdin, one a line */
	int admin;                /* account create: an admin account */
	const char *resource;     /* config get: the value in force for this resource, or NULL */
	int system;               /* tag create, tag query: a system tag */
	const char *type;         /* tag query: only tags of this resource type, or NULL */
	const char *field;        /* methods: print only this field (one line per row), or NULL */
	int dry_run;              /* methods: print the request as JSON, send nothing */
	int quiet;                /* print no failure (completion) */
	uint32_t job_timeout_ms;  /* --job/--wait: the job's deadline; 0: the node's job.default_timeout */
} zsctl_opts;

/* zsctl_rpc.c: calls method with body (borrowed) in the JSON mode of the wire. Returns an
 * exit code: ZSCTL_EXIT_OK with *reply_body (caller owns; {} when the node sent none), or
 * ZSCTL_EXIT_FAILED / ZSCTL_EXIT_NO_ANSWER / ZSCTL_EXIT_USAGE (bad URL) with *status
 * (caller owns), a status object as the node writes them, made up by zsctl when the
 * failure is not the node's. */
int zsctl_rpc_call(const zsctl_opts *opts, const char *method, json_t *body,
    json_t **reply_body, json_t **status);

/* zsctl_job.c: `job get|list`, and waiting for a job started by `call --wait`. */
int zsctl_cmd_job(const zsctl_opts *opts, int argc, char **argv);
/* method: the reflection entry of the job's method (its output shows the result as
 * zsctl_out_reply does), or NULL (the result as JSON). */
int zsctl_job_wait(const zsctl_opts *opts, const char *job_uuid, const json_t *method);

/* zsctl_identity.c: login, logout, whoami, account create|list|delete|passwd. */
int zsctl_cmd_login(const zsctl_opts *opts, int argc, char **argv);
int zsctl_cmd_logout(const zsctl_opts *opts, int argc, char **argv);
int zsctl_cmd_whoami(const zsctl_opts *opts, int argc, char **argv);
int zsctl_cmd_account(const zsctl_opts *opts, int argc, char **argv);
/* The token `zsctl login` saved (copied into buf), or NULL when there is none. */
const char *zsctl_session_load(char *buf, size_t len);

/* zsctl_platform.c: config list|get|update|reset, properties, errors. */
int zsctl_cmd_config(const zsctl_opts *opts, int argc, char **argv);
int zsctl_cmd_properties(const zsctl_opts *opts, int argc, char **argv);
int zsctl_cmd_errors(const zsctl_opts *opts, int argc, char **argv);

/* zsctl_tag.c: tag create|delete|list|query, tag patterns. */
int zsctl_cmd_tag(const zsctl_opts *opts, int argc, char **argv);

/* zsctl_catalog.c: every method the node serves (*methods, caller owns: an array of
 * {service, name, fullName, input, output}); finding one by a short name, or NULL after
 * printing "did you mean ..." or the candidates. */
int zsctl_catalog_load(const zsctl_opts *opts, json_t **methods);
const json_t *zsctl_catalog_find(const json_t *methods, const char *name);
/* Prints "did you mean" with the services whose names are close to name, if any. */
void zsctl_catalog_suggest_service(const zsctl_opts *opts, const char *name);

/* zsctl_method.c: `zsctl METHOD [KEY=VALUE]...` */
int zsctl_cmd_method(const zsctl_opts *opts, const char *name, int argc, char **argv);

/* zsctl_out.c: a method's reply as a table, JSON (--json) or one field (--field); an
 * empty list is put back into reply as []. */
int zsctl_out_reply(const zsctl_opts *opts, const json_t *method, json_t *reply);

/* zsctl_help.c: help METHOD, completion bash, __complete WORDS. */
int zsctl_cmd_help_method(const zsctl_opts *opts, const char *name);
int zsctl_cmd_completion(const zsctl_opts *opts, int argc, char **argv);
int zsctl_cmd_complete(const zsctl_opts *opts, int argc, char **argv);
/* The built-in command word is a misspelling of, or NULL. */
const char *zsctl_help_near_command(const char *word);

/* zsctl_print.c */
void zsctl_print_status(const zsctl_opts *opts, const json_t *status);
void zsctl_print_json(const json_t *json, int pretty);
void zsctl_print_services(const json_t *body);
void zsctl_print_description(const json_t *body);
/* The text of a string field, or "" when absent (proto3 JSON leaves defaults out). */
const char *zsctl_str(const json_t *object, const char *key);

#endif
