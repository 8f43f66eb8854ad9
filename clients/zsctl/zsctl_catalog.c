/*
 * zsctl_catalog.c: every method the node serves, from its reflection (ListServices, then
 * DescribeService for each), and finding one by a short name: "CreateZone",
 * "Zone/CreateZone" or "zs.zone.v1.Zone/CreateZone". A name that matches nothing gets
 * "did you mean" (edit distance); one that matches several lists them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zsctl.h"
#include "zsctl_kv.h"

/* Runs one reflection call quietly; the failure status goes back to the caller. */
static int
catalog_rpc(const zsctl_opts *opts, const char *method, json_t *body, json_t **reply,
    json_t **status)
{
	zsctl_opts plain = *opts;
	plain.job = plain.wait = 0;
	int rc = zsctl_rpc_call(&plain, method, body, reply, status);
	json_decref(body);
	return rc;
}

int
zsctl_catalog_load(const zsctl_opts *opts, json_t **methods)
{
	json_t *list, *status = NULL;
	*methods = NULL;
	int rc = catalog_rpc(opts, "zs.reflection.v1.Reflection/ListServices", json_object(), &list,
	    &status);
	if (rc != ZSCTL_EXIT_OK) {
		if (!opts->quiet)
			zsctl_print_status(opts, status);
		json_decref(status);
		return rc;
	}
	json_t *all = json_array();
	size_t i;
	const json_t *svc;
	json_array_foreach(json_object_get(list, "services"), i, svc) {
		const char *name = zsctl_str(svc, "name");
		json_t *desc;
		rc = catalog_rpc(opts, "zs.reflection.v1.Reflection/DescribeService",
		    json_pack("{s:s}", "name", name), &desc, &status);
		if (rc != ZSCTL_EXIT_OK) {
			if (!opts->quiet)
				zsctl_print_status(opts, status);
			json_decref(status);
			break;
		}
		size_t j;
		json_t *m;
		json_array_foreach(json_object_get(desc, "methods"), j, m) {
			json_t *entry = json_pack("{s:s, s:s, s:s, s:O, s:O}", "service", name, "name",
			    zsctl_str(m, "name"), "fullName", zsctl_str(m, "fullName"), "input",
			    json_object_get(m, "input") ? json_object_get(m, "input") : json_null(),
			    "output", json_object_get(m, "output") ? json_object_get(m, "output") : json_null());
			if (entry != NULL)
				json_array_append_new(all, entry);
		}
		json_decref(desc);
	}
	json_decref(list);
	if (rc != ZSCTL_EXIT_OK) {
		json_decref(all);
		return rc;
	}
	*methods = all;
	return ZSCTL_EXIT_OK;
}

/* "zs.zone.v1.Zone" -> "Zone" */
static const char *
catalog_short_service(const char *service)
{
	const char *dot = strrchr(service, '.');
	return dot != NULL ? dot + 1 : service;
}

/* Does m answer to name? exact: case counts. */
static int
catalog_matches(const json_t *m, const char *name, int exact)
{
	int (*cmp)(const char *, const char *) = exact ? strcmp : strcasecmp;
	const char *slash = strchr(name, '/');
	if (slash == NULL)
		return cmp(zsctl_str(m, "name"), name) == 0;
	if (cmp(zsctl_str(m, "fullName"), name) == 0)
		return 1;
	char svc[256];
	snprintf(svc, sizeof svc, "%.*s", (int) (slash - name), name);
	return cmp(catalog_short_service(zsctl_str(m, "service")), svc) == 0 &&
	    cmp(zsctl_str(m, "name"), slash + 1) == 0;
}

/* Is m's short name its alone? */
static int
catalog_unique(const json_t *methods, const json_t *m)
{
	size_t i, n = 0;
	const json_t *o;
	json_array_foreach(methods, i, o)
		n += strcmp(zsctl_str(o, "name"), zsctl_str(m, "name")) == 0;
	return n == 1;
}

/* Prints "did you mean" for name among the catalog's methods (or services, when name
 * names a service that is not there). */
static void
catalog_suggest(const json_t *methods, const char *name)
{
	const char *slash = strchr(name, '/');
	char want[256];
	snprintf(want, sizeof want, "%s", slash != NULL ? slash + 1 : name);
	size_t limit = strlen(want) / 4 > 2 ? strlen(want) / 4 : 2;
	const char *best[5] = { 0 };
	size_t n = 0;
	size_t i;
	const json_t *m;
	/* the closest first, at most 5 */
	for (size_t d = 0; d <= limit && n < 5; d++)
		json_array_foreach(methods, i, m)
			if (n < 5 && zsctl_kv_distance(want, zsctl_str(m, "name")) == d)
				best[n++] = catalog_unique(methods, m) ? zsctl_str(m, "name")
				                                       : zsctl_str(m, "fullName");
	/* a misspelt service: compare the service part too */
	if (n == 0 && slash != NULL) {
		char svc[256];
		snprintf(svc, sizeof svc, "%.*s", (int) (slash - name), name);
		json_array_foreach(methods, i, m) {
			const char *s = zsctl_str(m, "service");
			size_t d = zsctl_kv_distance(svc, strchr(svc, '.') ? s : catalog_short_service(s));
			if (d <= 3 && d > 0 && strcmp(zsctl_str(m, "name"), slash + 1) == 0) {
				best[n++] = zsctl_str(m, "fullName");
				break;
			}
		}
	}
	if (n == 0) {
		fprintf(stderr, "zsctl: no method or command named \"%s\" (zsctl list shows the "
		    "services, zsctl describe SERVICE their methods)\n", name);
		return;
	}
	fprintf(stderr, "zsctl: no method or command named \"%s\"; did you mean", name);
	for (size_t k = 0; k < n; k++)
		fprintf(stderr, "%s %s", k == 0 ? "" : (k + 1 == n ? " or" : ","), best[k]);
	fputs("?\n", stderr);
}

const json_t *
zsctl_catalog_find(const json_t *methods, const char *name)
{
	for (int exact = 1; exact >= 0; exact--) {
		const json_t *found = NULL, *m;
		size_t i, count = 0;
		json_array_foreach(methods, i, m) {
			if (catalog_matches(m, name, exact)) {
				found = m;
				count++;
			}
		}
		if (count == 1)
			return found;
		if (count > 1) {
			fprintf(stderr, "zsctl: \"%s\" names %zu methods; say which:\n", name, count);
			json_array_foreach(methods, i, m)
				if (catalog_matches(m, name, exact))
					fprintf(stderr, "  %s\n", zsctl_str(m, "fullName"));
			return NULL;
		}
	}
	catalog_suggest(methods, name);
	return NULL;
}

void
zsctl_catalog_suggest_service(const zsctl_opts *opts, const char *name)
{
	json_t *list, *status = NULL;
	zsctl_opts quiet = *opts;
	quiet.quiet = 1;
	if (catalog_rpc(&quiet, "zs.reflection.v1.Reflection/ListServices", json_object(), &list,
	    &status) != ZSCTL_EXIT_OK) {
		json_decref(status);
		return;
	}
	size_t i, n = 0;
	const json_t *svc;
	json_array_foreach(json_object_get(list, "services"), i, svc) {
		const char *s = zsctl_str(svc, "name");
		size_t d = strchr(name, '.') != NULL ? zsctl_kv_distance(name, s)
		                                     : zsctl_kv_distance(name, catalog_short_service(s));
		if (d <= 3 && n < 5)
			fprintf(stderr, "%s %s", n++ == 0 ? "zsctl: did you mean" : " or", s);
	}
	if (n > 0)
		fputs("?\n", stderr);
	json_decref(list);
}
