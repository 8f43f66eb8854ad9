/*
 * zs_tag_query.c: QueryTag, ZStack's query API over system and user tags (zs/query.h):
 * what a query may name, and the handler, answered whole by zs_query_call. A normal
 * account matches the tags of the resources it owns (as Tags/Query does), whoever made
 * the tag.
 */
#include "zs/query.h"
#include "zs_tag_impl.h"

static const char *const tag_query_kinds[] = { "system", "user", NULL };

#define TAG_QUERY_RESOURCE "SELECT 1 FROM zs_resources r WHERE r.uuid = t.resource_uuid"

static const zs_query_field tag_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "resource_uuid", "t.resource_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "resource_type", "t.resource_type", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "kind", "t.kind", ZS_QUERY_ENUM, tag_query_kinds, NULL, NULL },
	{ "tag", "t.tag", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "pattern", "t.pattern", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "resource.name", "r.name", ZS_QUERY_TEXT, NULL, TAG_QUERY_RESOURCE, NULL },
	{ "resource.parent_uuid", "r.parent_uuid", ZS_QUERY_UUID, NULL, TAG_QUERY_RESOURCE, NULL },
};

static const zs_query_table tag_query_table = {
	"tag", "zs_tags t",
	"(SELECT o.owner_uuid FROM zs_resources o WHERE o.uuid = t.resource_uuid)",
	"t.created_at", "t.uuid", tag_query_fields,
	sizeof tag_query_fields / sizeof tag_query_fields[0], NULL,
};

void
tag_api_query_tag(Zs__Tag__V1__Tags_Service *svc, const Zs__Resource__V1__QueryRequest *in,
    Zs__Tag__V1__QueryTagResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_query_call(call, zs_tags_db(zs_call_service_data(call)), &tag_query_table, 0, &in->base,
	    &zs__tag__v1__tag_info__descriptor, &zs__tag__v1__query_tag_response__descriptor,
	    (ProtobufCClosure) closure);
}
