/*
 * zs_identity_query.c: QueryAccount, ZStack's query API over accounts (zs/query.h): what
 * a query may name, and the handler, answered whole by zs_query_call. Accounts have no
 * owner, so only admins may query them (PERMISSION_DENIED otherwise).
 */
#include "zs/query.h"
#include "zs_identity_impl.h"

static const zs_query_field identity_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "admin", "t.admin", ZS_QUERY_BOOL, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
};

static const zs_query_table identity_query_table = {
	"account", "zs_accounts t", NULL, "t.created_at", "t.uuid", identity_query_fields,
	sizeof identity_query_fields / sizeof identity_query_fields[0], NULL,
};

void
api_query_account(Zs__Identity__V1__Identity_Service *svc, const Zs__Resource__V1__QueryRequest *in,
    Zs__Identity__V1__QueryAccountResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_query_call(call, zs_identity_of(call)->db, &identity_query_table, 0, &in->base,
	    &zs__identity__v1__account_info__descriptor,
	    &zs__identity__v1__query_account_response__descriptor, (ProtobufCClosure) closure);
}
