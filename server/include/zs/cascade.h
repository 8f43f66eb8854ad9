/*
 * zs/cascade.h: the extension point "zs.CascadeExtension" (ZStack's cascade extensions,
 * VmCascadeExtension among them): what other services release when a resource is
 * deleted and something of theirs depends on it without being below it in the resource
 * registry (a VM on a host, a NIC on an L3 network, a root volume on a primary storage).
 *
 * What is below a resource goes with it in the database, in the delete's one transaction
 * (zs/resource.h). What depends on it from the side needs work on agents and other
 * services first (a VM destroyed on its host, its capacity, addresses and volumes given
 * back), which no transaction can hold. So a delete (the kit's Delete, DeleteHost) runs:
 *
 *  1. zs_cascade_begin: the call must see the resource (NOT_FOUND otherwise, and nothing
 *     runs); what is below it is listed; every implementation's before runs in order on
 *     a worker thread, while everything still exists, each releasing what of its own
 *     depends on the resource or anything below it, and naming what went
 *     (zs_cascade_took). The first failure stops the run and fails the delete, which then
 *     deletes nothing: each implementation leaves what it did not release whole (a VM
 *     destroyed and expunged, or as it was), so nothing points at what is gone.
 *  2. the delete's transaction, in which zs_cascade_check_tx runs every implementation's
 *     in_tx: it fails the delete when something came to depend on the resource since
 *     (a VM made on the host in the meantime), and clears what only remembers it.
 *  3. the answer lists what went below and what the implementations took
 *     (zs_cascade_refs), and so does the deleted event.
 *
 * A service offers it in its XML
 * (<extension point="zs.CascadeExtension" name="vm.cascade" symbol="..."/>), the symbol
 * a const zs_cascade_ext.
 */
#ifndef ZS_CASCADE_H
#define ZS_CASCADE_H

#include <stddef.h>
#include <stdint.h>
#include "zs/api.h"
#include "zs/call.h"
#include "zs/db.h"
#include "zs/node.h"
#include "zs/resource.h"
#include "zs/status.h"

#define ZS_EXT_CASCADE "zs.CascadeExtension"

typedef struct zs_cascade zs_cascade;

/* The delete as an implementation sees it; valid until its done runs (before) or it
 * returns (in_tx). */
typedef struct zs_cascade_ctx {
	const char *uuid;           /* the resource deleted */
	const char *type;           /* its type: "Zone", "Host", "L3Network", ... */
	size_t n;                   /* the resource and what is below it: */
	const char *const *uuids;   /* n uuids, uuids[0] the resource's own */
	const char *const *types;   /* n types */
	const char *array;          /* the n uuids as one PostgreSQL text[] literal ($1::text[]) */
	zs_call *call;              /* the delete: the parent of bus calls (with the node's
	                             * rights through zs_bus_parent_new) */
	zs_cascade *cascade;        /* for zs_cascade_took */
} zs_cascade_ctx;

/* Called once, from any thread: 0, or a canonical code with st (taken by the callee). */
typedef void (*zs_cascade_ext_done_fn)(int code, zs_status *st, void *arg);

typedef struct zs_cascade_ext {
	/* Releases what depends on the resource; on a worker thread (it may block on the
	 * database briefly); calls done exactly once, then or later, from any thread. */
	void (*before)(zs_node *node, const zs_cascade_ctx *ctx, zs_cascade_ext_done_fn done,
	    void *arg);
	/* In the delete's transaction, on c (may be NULL): 0, or a canonical code with *st
	 * that rolls the delete back. */
	int (*in_tx)(zs_node *node, const zs_cascade_ctx *ctx, zs_db_conn *c, zs_status **st);
} zs_cascade_ext;

/* Names what went with the delete (a VM: its uuid, "VmInstance", its name): listed in
 * the delete's answer and event. Copies the strings. 0, or RESOURCE_EXHAUSTED. From an
 * implementation's before, one at a time. */
ZS_API int zs_cascade_took(zs_cascade *cs, const char *uuid, const char *type, const char *name);

/* done gets 0 and the cascade (the caller's: zs_cascade_free), or a failure (st taken by
 * done, cs NULL). */
typedef void (*zs_cascade_done_fn)(int code, zs_status *st, zs_cascade *cs, void *arg);
/* Step 1 for the delete call of uuid, of type (what names it in messages, "zone"): on a
 * worker thread; done runs once, on a worker thread, possibly before this returns. */
ZS_API void zs_cascade_begin(zs_call *call, const char *uuid, const char *type,
    const char *what, zs_cascade_done_fn done, void *arg);
/* Step 2, in the delete's open transaction on c. 0, or a canonical code with *st. */
ZS_API int zs_cascade_check_tx(zs_cascade *cs, zs_db_conn *c, zs_status **st);
/* Step 3: *out gets the refs of below's rows (zs_resource_delete_tree's list; may be
 * NULL) and then those the implementations took; its strings point into below and cs.
 * Free with zs_resource_refs_free. 0, or RESOURCE_EXHAUSTED (*out then empty). */
ZS_API int zs_cascade_refs(const zs_cascade *cs, const PGresult *below, zs_resource_refs *out,
    zs_status **st);
/* Frees what zs_cascade_begin made (NULL is fine). */
ZS_API void zs_cascade_free(zs_cascade *cs);

#endif
