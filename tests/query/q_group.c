/*
 * q_group.c: group_by (ZStack's groupBy): each value of a field among the matching rows
 * and its count, checked against counts of the same rows; the conditions apply first;
 * paging, count and order over the groups; a second account's groups count only its
 * own rows; what group_by refuses (unknown fields, dot paths, times, other fields or
 * sort keys beside it, injection attempts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "q.h"

/* The count of group value in r, or -1 when r has no such group. */
static int64_t
q_group_count(const Zs__Host__V1__QueryHostResponse *r, const char *value)
{
	for (size_t i = 0; r != NULL && i < r->n_groups; i++)
		if (!r->groups[i]->is_null && strcmp(r->groups[i]->value, value) == 0)
			return (int64_t) r->groups[i]->count;
	return -1;
}

/* QueryHost as s with o fails INVALID_ARGUMENT naming word. */
static void
q_group_refused(inv *t, const char *s, const qopt *o, const char *word, const char *what)
{
	Zs__Host__V1__QueryHostResponse *r = q_hosts(t, s, NULL, 0, o);
	ZST_CHECK(r == NULL && t->code == INV_INVALID_ARGUMENT && strstr(t->msg, word) != NULL,
	    "QueryHost %s: INVALID_ARGUMENT naming %s (got %s)", what, word, t->msg);
	zs_reply_free(r);
}

void
q_test_group(inv *t, q_world *w)
{
	int64_t hosts = q_host_count(t, t->admin, NULL, 0);
	/* the admin's: every host by cluster, each count what a count of that cluster says */
	qopt o = { .limit = -1, .group_by = "clusterUuid" };
	Zs__Host__V1__QueryHostResponse *r = q_hosts(t, t->admin, NULL, 0, &o);
	bool each = r != NULL && r->n_inventories == 0 && r->n_groups >= 3;
	int64_t sum = 0;
	for (size_t i = 0; each && i < r->n_groups; i++) {
		qc c[] = { { "cluster_uuid", "=", r->groups[i]->value } };
		each = !r->groups[i]->is_null && r->groups[i]->count > 0 &&
		    (int64_t) r->groups[i]->count == q_host_count(t, t->admin, c, 1);
		sum += (int64_t) r->groups[i]->count;
	}
	ZST_CHECK(each && sum == q_host_count(t, t->admin, NULL, 0) &&
	    q_group_count(r, w->ca) == 3 && q_group_count(r, w->cb) == 3 &&
	    q_group_count(r, w->uc) == 1, "groupBy clusterUuid as the admin: one group a cluster, "
	    "no rows, ca 3, cb 3, the second account's 1, each its cluster's count (%s)", t->msg);
	/* ordered by value, both ways */
	bool asc = r != NULL;
	for (size_t i = 1; asc && i < r->n_groups; i++)
		asc = strcmp(r->groups[i - 1]->value, r->groups[i]->value) < 0;
	ZST_CHECK(asc, "the groups come in the order of their values");
	size_t n_groups = r != NULL ? r->n_groups : 0;
	char first[INV_UUID] = "";
	if (r != NULL && n_groups > 0)
		snprintf(first, sizeof first, "%s", r->groups[0]->value);
	zs_reply_free(r);
	o.dir = "desc";
	r = q_hosts(t, t->admin, NULL, 0, &o);
	ZST_CHECK(r != NULL && r->n_groups == n_groups && n_groups > 0 &&
	    strcmp(r->groups[n_groups - 1]->value, first) == 0, "sort_direction desc: the same "
	    "groups, reversed (%s)", t->msg);
	zs_reply_free(r);

	/* conditions first, then the groups */
	qc some[] = { { "name", "in", "h1,h2,h4" } };
	o = (qopt) { .limit = -1, .group_by = "cluster_uuid" };
	r = q_hosts(t, t->admin, some, 1, &o);
	ZST_CHECK(r != NULL && r->n_groups == 2 && q_group_count(r, w->ca) == 2 &&
	    q_group_count(r, w->cb) == 1, "name in h1,h2,h4 groupBy cluster_uuid: ca 2, cb 1 (%s)",
	    t->msg);
	zs_reply_free(r);
	/* an enum field: its values by name */
	o.group_by = "state";
	r = q_hosts(t, t->admin, NULL, 0, &o);
	ZST_CHECK(r != NULL && r->n_groups >= 1 &&
	    q_group_count(r, "Enabled") == q_host_count(t, t->admin,
	    (qc[]) { { "state", "=", "Enabled" } }, 1), "groupBy state: Enabled counts the Enabled "
	    "hosts (%s)", t->msg);
	zs_reply_free(r);

	/* paging and counting the groups */
	o = (qopt) { .limit = 1, .start = 1, .with_count = true, .group_by = "cluster_uuid" };
	r = q_hosts(t, t->admin, NULL, 0, &o);
	ZST_CHECK(r != NULL && r->n_groups == 1 && r->total == n_groups &&
	    (n_groups < 2 || strcmp(r->groups[0]->value, first) != 0), "limit 1 start 1 with "
	    "reply_with_count: the second group, total the number of groups, %zu (%s)", n_groups,
	    t->msg);
	zs_reply_free(r);
	o = (qopt) { .limit = -1, .count = true, .group_by = "cluster_uuid" };
	r = q_hosts(t, t->admin, NULL, 0, &o);
	ZST_CHECK(r != NULL && r->n_groups == 0 && r->total == n_groups, "count with group_by: "
	    "the number of groups only (%s)", t->msg);
	zs_reply_free(r);
	static const char *const only_state[] = { "state", NULL };
	o = (qopt) { .limit = -1, .group_by = "state", .fields = only_state, .sort_by = "state" };
	r = q_hosts(t, t->admin, NULL, 0, &o);
	ZST_CHECK(r != NULL && r->n_groups >= 1, "fields [state] and sort_by state with "
	    "group_by state: taken (%s)", t->msg);
	zs_reply_free(r);

	/* the second account: its own rows only, in the same statement */
	o = (qopt) { .limit = -1, .group_by = "clusterUuid" };
	r = q_hosts(t, w->user, NULL, 0, &o);
	ZST_CHECK(r != NULL && r->n_groups == 1 && q_group_count(r, w->uc) == 1,
	    "the second account's groupBy clusterUuid: one group, its own cluster, count 1 (%s)",
	    t->msg);
	zs_reply_free(r);
	o.group_by = "state";
	r = q_hosts(t, w->user, NULL, 0, &o);
	ZST_CHECK(r != NULL && r->n_groups == 1 && r->groups[0]->count == 1, "its groupBy state: "
	    "one group counting its one host, not the admin's six (%s)", t->msg);
	zs_reply_free(r);
	o.group_by = "owner_uuid";
	r = q_hosts(t, w->user, NULL, 0, &o);
	ZST_CHECK(r != NULL && r->n_groups == 1 && q_group_count(r, w->user_uuid) == 1,
	    "its groupBy owner_uuid: only itself (%s)", t->msg);
	zs_reply_free(r);
	qc admins[] = { { "cluster_uuid", "=", w->ca } };
	o.group_by = "cluster_uuid";
	r = q_hosts(t, w->user, admins, 1, &o);
	ZST_CHECK(r != NULL && r->n_groups == 0, "its groupBy with cluster_uuid = the admin's "
	    "ca: no group (%s)", t->msg);
	zs_reply_free(r);
	o = (qopt) { .limit = -1, .count = true, .group_by = "cluster_uuid" };
	r = q_hosts(t, w->user, NULL, 0, &o);
	ZST_CHECK(r != NULL && r->total == 1, "its count of groups: 1 (%s)", t->msg);
	zs_reply_free(r);

	/* refusals */
	o = (qopt) { .limit = -1, .group_by = "colour" };
	q_group_refused(t, t->admin, &o, "management_ip", "groupBy colour (the valid fields listed)");
	o.group_by = "cluster.name";
	q_group_refused(t, t->admin, &o, "cluster.name", "groupBy cluster.name (a dot path)");
	o.group_by = "createDate";
	q_group_refused(t, t->admin, &o, "time", "groupBy createDate (a time)");
	o.group_by = "state; DROP TABLE host_hosts; --";
	q_group_refused(t, t->admin, &o, "DROP TABLE", "groupBy with SQL in it");
	static const char *const uuid_field[] = { "uuid", NULL };
	o = (qopt) { .limit = -1, .group_by = "state", .fields = uuid_field };
	q_group_refused(t, t->admin, &o, "fields[0]", "groupBy state with fields [uuid]");
	o = (qopt) { .limit = -1, .group_by = "state", .sort_by = "name" };
	q_group_refused(t, t->admin, &o, "sort_by", "groupBy state with sort_by name");
	ZST_CHECK(hosts > 0 && q_host_count(t, t->admin, NULL, 0) == hosts, "and every host is "
	    "still there (%s)", t->msg);
}
