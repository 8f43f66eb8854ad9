/* zs_rpc.c: the call path's object: made with its limits and the timer queue and worker
 * pool it borrows, it owns the router, dedupe, error registry, bus and transport. */
#include <stdio.h>
#include <stdlib.h>

#include "zs_call_impl.h"
#include "zs_dedupe.h"
#include "zs_errors.h"
#include "zs_reflection.h"
#include "zs_router.h"
#include "zs_transport.h"

/* The node's own services on the call path, routed at creation. */
typedef struct rpc_own {
	zs_rpc rpc;                                  /* first: the block is the rpc */
	Zs__Reflection__V1__Reflection_Service reflection;
	Zs__Error__V1__Errors_Service errors_api;
} rpc_own;

int
zs_rpc_new(zs_rpc **out, const zs_rpc_config *cfg)
{
	rpc_own *own = calloc(1, sizeof *own);
	if (own == NULL)
		return ZS_RESOURCE_EXHAUSTED;
	zs_rpc *rpc = &own->rpc;
	rpc->cfg = *cfg;
	rpc->bus.rpc = rpc;
	atomic_init(&rpc->state, ZS_RPC_STARTING);
	zs_reflection_init(&own->reflection);
	zs_errors_api_init(&own->errors_api);
	char why[256];
	zs_dedupe_limits dl = { cfg->dedupe_window_ms, cfg->dedupe_max, cfg->dedupe_answer_max,
		cfg->dedupe_bytes };
	if (zs_router_new(&rpc->router) != 0 || zs_errors_new(&rpc->errors) != 0 ||
	    zs_dedupe_new(&rpc->dedupe, &dl) != 0 ||
	    zs_router_add_service(rpc->router, &own->reflection.base, NULL, "node", true, why,
	        sizeof why) != 0 ||
	    zs_router_add_service(rpc->router, (ProtobufCService *) &own->errors_api, NULL, "node",
	        true, why, sizeof why) != 0) {
		zs_rpc_free(rpc);
		return ZS_RESOURCE_EXHAUSTED;
	}
	*out = rpc;
	return ZS_OK;
}

void
zs_rpc_free(zs_rpc *rpc)
{
	if (rpc == NULL)
		return;
	zs_transport_free(rpc->transport);
	zs_dedupe_free(rpc->dedupe);
	zs_errors_free(rpc->errors);
	zs_router_free(rpc->router);
	free((rpc_own *) rpc);
}

zs_router *
zs_rpc_router(zs_rpc *rpc)
{
	return rpc->router;
}

zs_bus *
zs_rpc_bus(zs_rpc *rpc)
{
	return &rpc->bus;
}

zs_errors *
zs_rpc_errors(zs_rpc *rpc)
{
	return rpc->errors;
}

const char *
zs_rpc_node_id(const zs_rpc *rpc)
{
	return rpc->cfg.node_id;
}

const zs_rpc_config *
zs_rpc_limits(const zs_rpc *rpc)
{
	return &rpc->cfg;
}

void
zs_rpc_set_auth(zs_rpc *rpc, zs_rpc_gate_fn fn, void *arg)
{
	rpc->auth.fn = fn;
	rpc->auth.arg = arg;
}

void
zs_rpc_set_jobs(zs_rpc *rpc, zs_rpc_gate_fn fn, void *arg)
{
	rpc->jobs.fn = fn;
	rpc->jobs.arg = arg;
}

zs_rpc_state
zs_rpc_get_state(const zs_rpc *rpc)
{
	return (zs_rpc_state) atomic_load(&rpc->state);
}

void
zs_rpc_set_state(zs_rpc *rpc, zs_rpc_state state)
{
	atomic_store(&rpc->state, (int) state);
}

int64_t
zs_rpc_inflight(const zs_rpc *rpc)
{
	return atomic_load(&rpc->inflight);
}

int
zs_rpc_listen(zs_rpc *rpc, const char *url, const char *cert, const char *key, char *err,
    size_t errlen)
{
	if (rpc->transport == NULL && zs_transport_new(rpc, &rpc->transport, err, errlen) != 0)
		return -1;
	return zs_transport_listen(rpc->transport, url, cert, key, err, errlen);
}

int
zs_rpc_serve(zs_rpc *rpc, size_t armed, size_t max_slots)
{
	return rpc->transport != NULL ? zs_transport_start(rpc->transport, armed, max_slots) : 0;
}

size_t
zs_rpc_busy(zs_rpc *rpc)
{
	return rpc->transport != NULL ? zs_transport_busy(rpc->transport) : 0;
}

void
zs_rpc_close(zs_rpc *rpc)
{
	if (rpc->transport != NULL)
		zs_transport_close(rpc->transport);
}

size_t
zs_rpc_dedupe_len(zs_rpc *rpc)
{
	return zs_dedupe_len(rpc->dedupe);
}

void
zs_rpc_dedupe_usage(zs_rpc *rpc, size_t *answer_bytes, uint64_t *early)
{
	zs_dedupe_stats st;
	zs_dedupe_stats_get(rpc->dedupe, &st);
	*answer_bytes = st.answer_bytes;
	*early = st.early;
}
