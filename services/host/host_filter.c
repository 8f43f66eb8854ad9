/*
 * host_filter.c: the host service's filters of the host allocator (zs/host_alloc.h),
 * for what it owns: a host's state and status, its hypervisor type, where it is, and its
 * system tags.
 *
 *   host.designated  the zone, cluster and host asked for, if any
 *   host.state       only Enabled and Connected hosts
 *   host.hypervisor  the hypervisor type asked for, if any
 *   host.avoid       never the hosts of avoid_host_uuids
 *   host.tags        each of system_tags on the host (one query, zs/tag.h)
 *
 * All but host.tags judge from the candidates' own fields, with no query.
 */
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "zs/host_alloc.h"
#include "zs/service.h"
#include "zs/tag.h"

static int
host_filter_state(void *data, zs_call *call, zs_db_conn *c, const zs_host_alloc_request *req,
    zs_host_candidate *v, size_t n, zs_status **st)
{
	(void) data, (void) call, (void) c, (void) req, (void) st;
	for (size_t i = 0; i < n; i++)
		v[i].removed = strcmp(v[i].state, "Enabled") != 0 || strcmp(v[i].status, "Connected") != 0;
	return 0;
}

static int
host_filter_hypervisor(void *data, zs_call *call, zs_db_conn *c,
    const zs_host_alloc_request *req, zs_host_candidate *v, size_t n, zs_status **st)
{
	(void) data, (void) call, (void) c, (void) st;
	if (req->hypervisor_type[0] == '\0')
		return 0;
	for (size_t i = 0; i < n; i++)
		v[i].removed = strcmp(v[i].hypervisor_type, req->hypervisor_type) != 0;
	return 0;
}

/* True when want is "" or s. */
static bool
host_filter_is(const char *want, const char *s)
{
	return want[0] == '\0' || strcmp(want, s) == 0;
}

static int
host_filter_designated(void *data, zs_call *call, zs_db_conn *c,
    const zs_host_alloc_request *req, zs_host_candidate *v, size_t n, zs_status **st)
{
	(void) data, (void) call, (void) c, (void) st;
	for (size_t i = 0; i < n; i++)
		v[i].removed = !host_filter_is(req->zone_uuid, v[i].zone_uuid) ||
		    !host_filter_is(req->cluster_uuid, v[i].cluster_uuid) ||
		    !host_filter_is(req->host_uuid, v[i].uuid);
	return 0;
}

static int
host_filter_avoid(void *data, zs_call *call, zs_db_conn *c, const zs_host_alloc_request *req,
    zs_host_candidate *v, size_t n, zs_status **st)
{
	(void) data, (void) call, (void) c, (void) st;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < req->n_avoid_host_uuids && !v[i].removed; k++)
			v[i].removed = strcmp(v[i].uuid, req->avoid_host_uuids[k]) == 0;
	return 0;
}

static int
host_filter_tags(void *data, zs_call *call, zs_db_conn *c, const zs_host_alloc_request *req,
    zs_host_candidate *v, size_t n, zs_status **st)
{
	(void) data, (void) call;
	if (req->n_system_tags == 0)
		return 0;
	const char **uuids = calloc(n, sizeof *uuids);
	bool *has = calloc(n, sizeof *has);
	int rv = uuids != NULL && has != NULL ? 0 : ZS_RESOURCE_EXHAUSTED;
	if (rv != 0)
		*st = zs_status_new(rv, NULL, "out of memory");
	for (size_t i = 0; rv == 0 && i < n; i++)
		uuids[i] = v[i].uuid;
	if (rv == 0)
		rv = zs_tag_have_all(c, uuids, n, req->system_tags, req->n_system_tags, has, st);
	for (size_t i = 0; rv == 0 && i < n; i++)
		v[i].removed = !has[i];
	free(uuids);
	free(has);
	return rv;
}

ZS_EXPORT const zs_host_alloc_filter host_state_filter = { "host.state", host_filter_state };
ZS_EXPORT const zs_host_alloc_filter host_hypervisor_filter = { "host.hypervisor",
    host_filter_hypervisor };
ZS_EXPORT const zs_host_alloc_filter host_designated_filter = { "host.designated",
    host_filter_designated };
ZS_EXPORT const zs_host_alloc_filter host_avoid_filter = { "host.avoid", host_filter_avoid };
ZS_EXPORT const zs_host_alloc_filter host_tags_filter = { "host.tags", host_filter_tags };
