/* zs_errors.h: the error registry (zs/errors.h) as the node builds and lists it. */
#ifndef ZS_ERRORS_IMPL_H
#define ZS_ERRORS_IMPL_H

#include "zs/errors.h"
#include "zs/error/v1/errors.pb-c.h"

int zs_errors_new(zs_errors **out);
void zs_errors_free(zs_errors *e);
/* Calls fn for every declared code, sorted by code. */
void zs_errors_each(zs_errors *e, void (*fn)(const char *code, const char *description,
    const char *service, void *arg), void *arg);

/* zs.error.v1.Errors, served from the registry of the call's rpc. */
void zs_errors_api_init(Zs__Error__V1__Errors_Service *svc);

#endif
