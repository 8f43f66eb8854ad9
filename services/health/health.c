/* health.c: zs.health.v1.Health/Check: SERVING while the node serves and its database
 * is up (NOT_SERVING while the embedded PostgreSQL is down and being restarted); for a
 * named service, the same when the node has it and NOT_FOUND otherwise (as gRPC does). */
#include "zs/call.h"
#include "zs/health/v1/health.pb-c.h"
#include "zs/node.h"

typedef Zs__Health__V1__HealthCheckResponse health_reply;

static void
health_check(Zs__Health__V1__Health_Service *svc, const Zs__Health__V1__HealthCheckRequest *in,
    Zs__Health__V1__HealthCheckResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_node *node = zs_call_node(closure_data);
	health_reply out = ZS__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
	if (in->service[0] != '\0' && !zs_node_has_service(node, in->service)) {
		zs_call_fail(closure_data, ZS_NOT_FOUND, NULL, "unknown service \"%s\"", in->service);
		return;
	}
	out.status = zs_node_serving(node) && zs_node_db_up(node) ?
	    ZS__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING :
	    ZS__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
	closure(&out, closure_data);
}

__attribute__((visibility("default")))
Zs__Health__V1__Health_Service health_service = ZS__HEALTH__V1__HEALTH__INIT(health_);
