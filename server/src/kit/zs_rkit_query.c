/*
 * zs_rkit_query.c: the kit's Query<X> handler: a zs.resource.v1.QueryRequest over the
 * resource's query table (zs/query.h) as the call's account, answered whole by
 * zs_query_call (only the fields asked for are selected, so only those are filled), with
 * the limit capped by property query.limit.max.
 */
#include <stdint.h>
#include <stdlib.h>

#include "zs/node.h"
#include "zs_rkit.h"

uint32_t
zs_rkit_query_limit_max(zs_node *node)
{
	const char *v = zs_node_property(node, "query.limit.max");
	unsigned long long n = v != NULL ? strtoull(v, NULL, 10) : 0;
	return n > 0 && n <= UINT32_MAX ? (uint32_t) n : ZS_QUERY_LIMIT_MAX;
}

void
zs_rkit_query(const zs_rkit_def *def, zs_call *call, const ProtobufCMessage *in,
    ProtobufCClosure closure, const ProtobufCMessageDescriptor *out_desc)
{
	if (def->query == NULL) {
		zs_call_fail(call, ZS_UNIMPLEMENTED, NULL, "%ss have no query table", def->what);
		return;
	}
	zs_node *node = zs_call_node(call);
	zs_query_call(call, zs_node_db(node), def->query, zs_rkit_query_limit_max(node), in,
	    def->info, out_desc, closure);
}
