/* zsctl_job.c: jobs from the command line: `job get UUID`, `job list`, and the wait of
 * `call --wait`, with a progress bar when stderr is a terminal. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zsctl.h"

#define ZSCTL_JOB_POLL_MS 200

/* Calls method as a plain call (never as a job), printing a failure. */
static int
zsctl_job_rpc(const zsctl_opts *opts, const char *method, json_t *body, json_t **reply)
{
	zsctl_opts plain = *opts;
	plain.job = plain.wait = 0;
	json_t *status;
	int rc = zsctl_rpc_call(&plain, method, body, reply, &status);
	if (rc != ZSCTL_EXIT_OK) {
		zsctl_print_status(opts, status);
		json_decref(status);
	}
	return rc;
}

static int
zsctl_job_get(const zsctl_opts *opts, const char *uuid, json_t **job)
{
	json_t *body = json_pack("{s:s}", "uuid", uuid);
	int rc = zsctl_job_rpc(opts, "zs.job.v1.Jobs/Get", body, job);
	json_decref(body);
	return rc;
}

/* "[#########           ]  45% message" on one rewritten line. */
static void
zsctl_job_bar(long pct, const char *message)
{
	char bar[21];
	int full = (int) (pct * 20 / 100);
	for (int i = 0; i < 20; i++)
		bar[i] = i < full ? '#' : ' ';
	bar[20] = '\0';
	fprintf(stderr, "\r[%s] %3ld%% %-50.50s", bar, pct, message);
	fflush(stderr);
}

static void
zsctl_job_sleep(void)
{
	struct timespec ts = { 0, ZSCTL_JOB_POLL_MS * 1000000L };
	nanosleep(&ts, NULL);
}

/* A job as people read it: its result as the JSON object it is (decoded by the node
 * from the method's output type), not base64 bytes beside an escaped string. */
static void
zsctl_job_readable(json_t *job)
{
	const char *text = zsctl_str(job, "resultJson");
	if (text[0] != '\0') {
		json_t *result = json_loads(text, 0, NULL);
		if (result != NULL)
			json_object_set_new(job, "result", result);
		else
			json_object_set_new(job, "result", json_string(text));
	} else {
		json_object_del(job, "result");
	}
	json_object_del(job, "resultJson");
}

/* The end of a job: its final message, then its result (as the method's reply is
 * shown), or its status as a failure. */
static int
zsctl_job_outcome(const zsctl_opts *opts, const json_t *job, const json_t *method)
{
	const char *state = zsctl_str(job, "state");
	const char *message = zsctl_str(job, "message");
	if (!opts->json && opts->field == NULL)
		fprintf(stderr, "job %s %s%s%s\n", zsctl_str(job, "uuid"), state,
		    message[0] != '\0' ? ": " : "", message);
	if (strcmp(state, "SUCCEEDED") == 0) {
		json_t *result = json_loads(zsctl_str(job, "resultJson"), 0, NULL);
		if (!json_is_object(result)) {
			json_decref(result);
			result = json_object();
		}
		if (method != NULL)
			zsctl_out_reply(opts, method, result);
		else
			zsctl_print_json(result, !opts->json);
		json_decref(result);
		return ZSCTL_EXIT_OK;
	}
	const json_t *status = json_object_get(job, "status");
	json_t *made = status == NULL ? json_pack("{s:s,s:s}", "code", "UNKNOWN", "message",
	    "the job failed without a status") : NULL;
	zsctl_print_status(opts, status != NULL ? status : made);
	json_decref(made);
	return ZSCTL_EXIT_FAILED;
}

int
zsctl_job_wait(const zsctl_opts *opts, const char *job_uuid, const json_t *method)
{
	int tty = isatty(STDERR_FILENO) && !opts->json;
	long last = -1;
	if (!opts->json && opts->field == NULL)
		fprintf(stderr, "job %s\n", job_uuid);
	for (;;) {
		json_t *job;
		int rc = zsctl_job_get(opts, job_uuid, &job);
		if (rc != ZSCTL_EXIT_OK)
			return rc;
		const char *state = zsctl_str(job, "state");
		json_t *p = json_object_get(job, "progress");
		long pct = json_is_integer(p) ? (long) json_integer_value(p) : 0;
		if (strcmp(state, "RUNNING") != 0 && strcmp(state, "") != 0) {
			if (tty)
				zsctl_job_bar(strcmp(state, "SUCCEEDED") == 0 ? 100 : pct, state);
			if (tty)
				fputc('\n', stderr);
			rc = zsctl_job_outcome(opts, job, method);
			json_decref(job);
			return rc;
		}
		if (tty)
			zsctl_job_bar(pct, zsctl_str(job, "message"));
		else if (pct != last && !opts->json)
			fprintf(stderr, "%3ld%% %s\n", pct, zsctl_str(job, "message"));
		last = pct;
		json_decref(job);
		zsctl_job_sleep();
	}
}

static void
zsctl_job_print_list(const json_t *body)
{
	const json_t *jobs = json_object_get(body, "jobs");
	size_t i;
	const json_t *j;
	printf("%-36s  %-9s  %4s  %s\n", "JOB", "STATE", "PCT", "METHOD");
	json_array_foreach(jobs, i, j) {
		json_t *p = json_object_get(j, "progress");
		printf("%-36s  %-9s  %3lld%%  %s\n", zsctl_str(j, "uuid"), zsctl_str(j, "state"),
		    json_is_integer(p) ? (long long) json_integer_value(p) : 0LL, zsctl_str(j, "method"));
	}
}

int
zsctl_cmd_job(const zsctl_opts *opts, int argc, char **argv)
{
	json_t *reply;
	int rc;
	if (argc == 2 && strcmp(argv[0], "get") == 0) {
		rc = zsctl_job_get(opts, argv[1], &reply);
		if (rc == ZSCTL_EXIT_OK) {
			zsctl_job_readable(reply);
			zsctl_print_json(reply, !opts->json);
			json_decref(reply);
		}
		return rc;
	}
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		json_t *body = json_object();
		rc = zsctl_job_rpc(opts, "zs.job.v1.Jobs/List", body, &reply);
		json_decref(body);
		if (rc == ZSCTL_EXIT_OK) {
			if (opts->json)
				zsctl_print_json(reply, 0);
			else
				zsctl_job_print_list(reply);
			json_decref(reply);
		}
		return rc;
	}
	fprintf(stderr, "zsctl: job takes `get UUID` or `list`\n");
	return ZSCTL_EXIT_USAGE;
}
