/*
 * zs_rkit_query.c: the kit's Query<X> handler: a zs.resource.v1.QueryRequest over the
 * resource's query table (zs/query.h) as the call's account, answered whole by
 * zs_query_call (only the fields asked for are selected, so only those are filled), with
 * the limit capped by property query.limit.max.
 */
#include "zs/node.h"
#include "zs_rkit.h"

void
zs_rkit_query(const zs_rkit_def *def, zs_call *call, const ProtobufCMessage *in,
    ProtobufCClosure closure, const ProtobufCMessageDescriptor *out_desc)
{
	if (def->query == NULL) {
		zs_call_fail(call, ZS_UNIMPLEMENTED, NULL, "%ss have no query table", def->what);
		return;
	}
	zs_query_call(call, zs_node_db(zs_call_node(call)), def->query, 0, in, def->info, out_desc,
	    closure);
}
