/*
 * q.h: what the query suite's files share: the inventory it builds (two zones, two
 * clusters, six hosts and tags as admin; a zone, cluster and host of a second account),
 * and helpers that send QueryZone, QueryCluster and QueryHost. Calls go through the
 * inventory suite's helpers (tests/inventory/inv.h), which keep the last failure.
 */
#ifndef Q_H
#define Q_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inv.h"
#include "zs/resource/v1/resource.pb-c.h"
#include "zst_time.h"

/* One condition. */
typedef struct qc {
	const char *name, *op, *value;
} qc;

/* The rest of a request; zero means the default (limit < 0: unset). */
typedef struct qopt {
	int64_t limit;
	uint32_t start;
	bool count, with_count;
	const char *sort_by, *dir;
	const char *const *fields;   /* NULL-terminated, or NULL */
	const char *group_by;
} qopt;

#define Q_HOSTS 6                /* the admin's hosts */

/* The inventory: admin's zones za (clusters ca: hosts h[0..2]) and zb (cb: h[3..5]);
 * h[0] and h[1] tagged "rack::r1", h[3] "rack::r2". The user's uz, uc, uh. */
typedef struct q_world {
	char za[INV_UUID], zb[INV_UUID], ca[INV_UUID], cb[INV_UUID];
	char h[Q_HOSTS][INV_UUID];
	int64_t h_created[Q_HOSTS];
	char user[INV_SESSION], user_uuid[INV_UUID];
	char uz[INV_UUID], uc[INV_UUID], uh[INV_UUID];
} q_world;

/* How long a start may take: a first start runs initdb, slow on a busy machine. */
#define Q_READY_MS 60000

/* inv_start, waiting up to Q_READY_MS for the node. */
bool q_start(inv *t, const char *const *sets);

/* Builds it; false when something could not be made. */
bool q_world_make(inv *t, q_world *w);

/* QueryHost as s: the response (free with zs_reply_free) or NULL (t->code, t->msg). */
Zs__Host__V1__QueryHostResponse *q_hosts(inv *t, const char *s, const qc *c, size_t n,
    const qopt *o);
Zs__Zone__V1__QueryZoneResponse *q_zones(inv *t, const char *s, const qc *c, size_t n,
    const qopt *o);
Zs__Cluster__V1__QueryClusterResponse *q_clusters(inv *t, const char *s, const qc *c,
    size_t n, const qopt *o);
/* How many hosts match (rows answered with the default limit), or -1. */
int q_host_n(inv *t, const char *s, const qc *c, size_t n);
/* The total of QueryHost with count: true, or -1. */
int64_t q_host_count(inv *t, const char *s, const qc *c, size_t n);
/* The names of the hosts answered, comma-joined ("h1,h2"), into out. */
void q_host_names(const Zs__Host__V1__QueryHostResponse *r, char *out, size_t len);

/* The groups. */
void q_test_ops(inv *t, q_world *w);
void q_test_dot_paths(inv *t, q_world *w);
void q_test_paging(inv *t, q_world *w);
void q_test_errors(inv *t, q_world *w);
void q_test_injection(inv *t, q_world *w);
void q_test_accounts(inv *t, q_world *w);
void q_test_json(inv *t, q_world *w);
void q_test_platform(inv *t, q_world *w);
void q_test_group(inv *t, q_world *w);

#define Q_N(a) (sizeof (a) / sizeof (a)[0])

#endif
