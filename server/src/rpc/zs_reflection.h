/* zs_reflection.h: the node's own zs.reflection.v1.Reflection service. */
#ifndef ZS_REFLECTION_H
#define ZS_REFLECTION_H

#include "zs/reflection/v1/reflection.pb-c.h"

void zs_reflection_init(Zs__Reflection__V1__Reflection_Service *svc);

/* The comments of desc's fields (zs_reflection_doc.c): a table of pairs of field name
 * and comment ending with NULL, or NULL when the proto has none; it lives as long as the
 * library that holds desc. Any thread. */
const char *const *zs_reflection_comments(const ProtobufCMessageDescriptor *desc);
/* The comment of field in table (table may be NULL), or NULL. */
const char *zs_reflection_comment(const char *const *table, const char *field);

#endif
