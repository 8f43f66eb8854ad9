/*
 * zsctl_method.c: the ZStack-style commands, `zsctl CreateZone name=zone1`, with no code
 * per method: the method is found in the node's reflection (zsctl_catalog.c), the
 * key=value arguments become its input (zsctl_kv.c), and the reply is shown as a table,
 * JSON or one field (zsctl_out.c). --dry-run prints the request instead of sending it.
 */
#include <stdio.h>
#include <string.h>

#include "zsctl.h"
#include "zsctl_kv.h"

int
zsctl_cmd_method(const zsctl_opts *opts, const char *name, int argc, char **argv)
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
	const char *full = zsctl_str(m, "fullName");
	json_t *body;
	char err[4096];
	if (zsctl_kv_build(json_object_get(m, "input"), argc, argv, &body, err, sizeof err) != 0) {
		fprintf(stderr, "zsctl: %s: %s\nTry 'zsctl help %s'.\n", zsctl_str(m, "name"), err,
		    zsctl_str(m, "name"));
		json_decref(methods);
		return ZSCTL_EXIT_USAGE;
	}
	if (opts->dry_run) {
		json_t *req = json_pack("{s:s, s:O}", "method", full, "body", body);
		if (req != NULL && (opts->job || opts->wait))
			json_object_set_new(req, "job", json_true());
		zsctl_print_json(req, !opts->json);
		json_decref(req);
		json_decref(body);
		json_decref(methods);
		return ZSCTL_EXIT_OK;
	}
	json_t *reply, *status;
	rc = zsctl_rpc_call(opts, full, body, &reply, &status);
	json_decref(body);
	if (rc != ZSCTL_EXIT_OK) {
		zsctl_print_status(opts, status);
		json_decref(status);
	} else if (opts->wait) {
		char job[64];
		snprintf(job, sizeof job, "%s", zsctl_str(reply, "jobUuid"));
		rc = zsctl_job_wait(opts, job, m);
	} else if (opts->job) {
		if (opts->json)
			zsctl_print_json(reply, 0);
		else
			puts(zsctl_str(reply, "jobUuid"));
	} else {
		rc = zsctl_out_reply(opts, m, reply);
	}
	json_decref(reply);
	json_decref(methods);
	return rc;
}
