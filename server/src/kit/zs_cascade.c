/*
 * zs_cascade.c: the run of zs.CascadeExtension around a delete (zs/cascade.h): the
 * visibility check and the list of what is below the resource, then every
 * implementation's before, one after the other, each on a worker thread, until one fails
 * or all are done; their in_tx in the delete's transaction; and the refs of what went.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/cascade.h"
#include "zs/ext.h"
#include "zs/work.h"
#include "zs_rkit.h"

/* One thing an implementation took; the strings owned. */
typedef struct cascade_took {
	char *uuid, *type, *name;
} cascade_took;

struct zs_cascade {
	zs_node *node;
	zs_call *call;
	char uuid[64], type[64], what[64];
	PGresult *below;                   /* what is below the resource, as it was listed */
	const char **uuids, **types;       /* n: the resource, then below's rows */
	size_t n;
	char *array;                       /* uuids as a text[] literal */
	zs_cascade_ctx ctx;
	const zs_ext *const *exts;
	size_t n_ext, next;
	zs_cascade_done_fn done;
	void *arg;
	cascade_took *took;
	size_t n_took, cap_took;
};

void
zs_cascade_free(zs_cascade *cs)
{
	if (cs == NULL)
		return;
	for (size_t i = 0; i < cs->n_took; i++) {
		free(cs->took[i].uuid);
		free(cs->took[i].type);
		free(cs->took[i].name);
	}
	free(cs->took);
	free(cs->array);
	free(cs->uuids);
	free(cs->types);
	PQclear(cs->below);
	free(cs);
}

int
zs_cascade_took(zs_cascade *cs, const char *uuid, const char *type, const char *name)
{
	if (cs->n_took == cs->cap_took) {
		size_t cap = cs->cap_took ? cs->cap_took * 2 : 8;
		cascade_took *t = realloc(cs->took, cap * sizeof *t);
		if (t == NULL)
			return ZS_RESOURCE_EXHAUSTED;
		cs->took = t;
		cs->cap_took = cap;
	}
	cascade_took *t = &cs->took[cs->n_took];
	t->uuid = strdup(uuid);
	t->type = strdup(type);
	t->name = strdup(name != NULL ? name : "");
	if (t->uuid == NULL || t->type == NULL || t->name == NULL) {
		free(t->uuid);
		free(t->type);
		free(t->name);
		return ZS_RESOURCE_EXHAUSTED;
	}
	cs->n_took++;
	return 0;
}

/* Ends the run: done gets cs (code 0) or the failure (cs freed). */
static void
cascade_finish(zs_cascade *cs, int code, zs_status *st)
{
	zs_cascade_done_fn done = cs->done;
	void *arg = cs->arg;
	if (code != 0) {
		zs_cascade_free(cs);
		cs = NULL;
	}
	done(code, st, cs, arg);
}

static void cascade_step(void *arg);

static void
cascade_one_done(int code, zs_status *st, void *arg)
{
	zs_cascade *cs = arg;
	if (code != 0) {
		const zs_ext *e = cs->exts[cs->next - 1];
		zs_status *why = zs_status_new(code, NULL, "%s (%s of %s) failed: %s %s is not "
		    "deleted", e->name, ZS_EXT_CASCADE, e->plugin, cs->what, cs->uuid);
		if (why != NULL) {
			zs_status_set_cause(why, st);
			st = why;
		}
		cascade_finish(cs, code, st);
		return;
	}
	zs_status_free(st);
	if (zs_work_submit(zs_node_work(cs->node), cascade_step, cs) != 0)
		cascade_finish(cs, ZS_UNAVAILABLE, zs_status_new(ZS_UNAVAILABLE, NULL,
		    "the node is stopping"));
}

/* On a worker: the next implementation's before, or the end. */
static void
cascade_step(void *arg)
{
	zs_cascade *cs = arg;
	if (cs->next >= cs->n_ext) {
		cascade_finish(cs, 0, NULL);
		return;
	}
	const zs_cascade_ext *impl = cs->exts[cs->next++]->impl;
	if (impl->before == NULL) {
		cascade_one_done(0, NULL, cs);
		return;
	}
	impl->before(cs->node, &cs->ctx, cascade_one_done, cs);
}

/* The visibility check and what is below, into cs. 0 or a canonical code with *st. */
static int
cascade_list(zs_cascade *cs, zs_status **st)
{
	zs_db *db = zs_node_db(cs->node);
	zs_db_conn *c = NULL;
	int64_t left = zs_call_remaining_ms(cs->call);
	int rv = zs_db_acquire(db, left > 0 ? left : 0, &c, st);
	if (rv != 0)
		return rv;
	rv = zs_resource_check(c, cs->call, cs->uuid, cs->type, NULL, 0, st);
	if (rv == 0)
		rv = zs_resource_list_tree(c, cs->uuid, &cs->below, st);
	zs_db_release(db, c);
	if (rv != 0)
		return rv;
	size_t rows = (size_t) PQntuples(cs->below);
	cs->uuids = calloc(rows + 1, sizeof *cs->uuids);
	cs->types = calloc(rows + 1, sizeof *cs->types);
	if (cs->uuids != NULL && cs->types != NULL) {
		cs->uuids[0] = cs->uuid;
		cs->types[0] = cs->type;
		for (size_t i = 0; i < rows; i++) {
			cs->uuids[i + 1] = PQgetvalue(cs->below, (int) i, 0);
			cs->types[i + 1] = PQgetvalue(cs->below, (int) i, 1);
		}
		cs->n = rows + 1;
		cs->array = zs_db_text_array(cs->uuids, cs->n);
	}
	if (cs->array == NULL) {
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory listing what is "
		    "below %s %s", cs->what, cs->uuid);
		return ZS_RESOURCE_EXHAUSTED;
	}
	return 0;
}

void
zs_cascade_begin(zs_call *call, const char *uuid, const char *type, const char *what,
    zs_cascade_done_fn done, void *arg)
{
	zs_node *node = zs_call_node(call);
	zs_cascade *cs = calloc(1, sizeof *cs);
	if (cs == NULL) {
		done(ZS_RESOURCE_EXHAUSTED, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL,
		    "out of memory"), NULL, arg);
		return;
	}
	cs->node = node;
	cs->call = call;
	cs->done = done;
	cs->arg = arg;
	snprintf(cs->uuid, sizeof cs->uuid, "%s", uuid);
	snprintf(cs->type, sizeof cs->type, "%s", type);
	snprintf(cs->what, sizeof cs->what, "%s", what);
	cs->exts = zs_ext_list(zs_node_extensions(node), ZS_EXT_CASCADE, &cs->n_ext);
	if (cs->n_ext == 0) {
		cascade_finish(cs, 0, NULL);   /* nothing depends from the side: the delete as it was */
		return;
	}
	zs_status *st = NULL;
	int rv = cascade_list(cs, &st);
	if (rv != 0) {
		cascade_finish(cs, rv, st);
		return;
	}
	cs->ctx = (zs_cascade_ctx) { cs->uuid, cs->type, cs->n, cs->uuids, cs->types, cs->array,
	    call, cs };
	cascade_step(cs);
}

int
zs_cascade_check_tx(zs_cascade *cs, zs_db_conn *c, zs_status **st)
{
	for (size_t i = 0; cs != NULL && cs->ctx.uuid != NULL && i < cs->n_ext; i++) {
		const zs_cascade_ext *impl = cs->exts[i]->impl;
		if (impl->in_tx == NULL)
			continue;
		zs_status *why = NULL;
		int rv = impl->in_tx(cs->node, &cs->ctx, c, &why);
		if (rv != 0)
			return zs_rkit_status_out(st, why, rv);
		zs_status_free(why);
	}
	return 0;
}

int
zs_cascade_refs(const zs_cascade *cs, const PGresult *below, zs_resource_refs *out,
    zs_status **st)
{
	size_t rows = below != NULL ? (size_t) PQntuples(below) : 0;
	size_t took = cs != NULL ? cs->n_took : 0, n = rows + took;
	out->n = 0;
	out->refs = calloc(n + 1, sizeof *out->refs);
	out->ptrs = calloc(n + 1, sizeof *out->ptrs);
	if (out->refs == NULL || out->ptrs == NULL) {
		zs_resource_refs_free(out);
		return zs_rkit_status_out(st, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL,
		    "out of memory listing %zu resources", n), ZS_RESOURCE_EXHAUSTED);
	}
	for (size_t i = 0; i < n; i++) {
		Zs__Resource__V1__ResourceRef *r = &out->refs[i];
		zs__resource__v1__resource_ref__init(r);
		if (i < rows) {
			r->uuid = PQgetvalue(below, (int) i, 0);
			r->type = PQgetvalue(below, (int) i, 1);
			r->name = PQgetvalue(below, (int) i, 2);
		} else {
			r->uuid = cs->took[i - rows].uuid;
			r->type = cs->took[i - rows].type;
			r->name = cs->took[i - rows].name;
		}
		out->ptrs[i] = r;
	}
	out->n = n;
	return 0;
}
