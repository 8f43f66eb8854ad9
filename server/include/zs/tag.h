/*
 * zs/tag.h: system tags as a service uses them. A system tag is a fact about a resource,
 * written as a pattern a service declared for the resource's type with its tokens filled
 * in: qemu-img::version::{version} on Host gives "qemu-img::version::2.12.0" on a host.
 * Patterns are declared in descriptors (<systemTag resourceType="Host" pattern="..."/>).
 * Tags go with their resource. Users and admins manage tags through zs.tag.v1.Tags.
 *
 * A pattern is a key and its tokens the value: a resource holds at most one system tag
 * of each pattern (a literal pattern, "capability::liveSnapshot", is a flag).
 *
 * A service gets the node's tags from zs_node_tags(). Both calls read or write c, so
 * they run on a worker thread; *st is optional (NULL: not told).
 */
#ifndef ZS_TAG_H
#define ZS_TAG_H

#include <stdbool.h>
#include <stddef.h>
#include "zs/api.h"
#include "zs/db.h"

typedef struct zs_tags zs_tags;

/* The value of token in resource_uuid's system tag matching pattern, e.g.
 * zs_tag_token(c, host_uuid, "qemu-img::version::{version}", "version", buf, len, &st).
 * One query. 0 with the value in buf; NOT_FOUND when the resource has no such tag (or
 * does not exist), *st untouched; another canonical code with *st (caller frees):
 * INVALID_ARGUMENT for a malformed pattern or a token it does not hold, OUT_OF_RANGE
 * when buf is too small, or the database's. */
ZS_API int zs_tag_token(zs_db_conn *c, const char *resource_uuid, const char *pattern, const char *token,
    char *buf, size_t len, zs_status **st);

/* Adds a system tag from a service (no caller check; validated against the patterns
 * declared for the resource's type), owned by owner_uuid (NULL: the resource's owner).
 * The resource's tag of the same pattern, if any, is replaced; the same tag again is a
 * no-op. Runs in c's transaction when one is open, else in its own; either way its
 * tag/created and tag/deleted go into the outbox in that transaction. 0, or a canonical
 * code with *st: NOT_FOUND (no such resource), INVALID_ARGUMENT (bad text, or no
 * pattern of the resource's type matches), or the database's. */
ZS_API int zs_tag_add_system(zs_db_conn *c, zs_tags *tags, const char *resource_uuid, const char *tag,
    const char *owner_uuid, zs_status **st);

/* Which of resources[0..n) carry every one of tags[0..n_tags) as a system tag (exact
 * text): has[i] set accordingly (all true when n_tags is 0). One query for all of them
 * (the host allocator's host.tags filter). 0, or the database's code with *st. */
ZS_API int zs_tag_have_all(zs_db_conn *c, const char *const *resources, size_t n,
    const char *const *tags, size_t n_tags, bool *has, zs_status **st);

#endif
