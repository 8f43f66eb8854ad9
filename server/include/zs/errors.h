/*
 * zs/errors.h: the node's error codes. A plugin declares its codes in its descriptor
 * (<errorCodes prefix="HOST">, registered here by the loader); a platform module declares
 * its own with zs_errors_declare. A declared code's description goes out with every
 * failure that carries the code (zs_call_fail), and zs.error.v1.Errors/List (`zsctl
 * errors`) lists them. A service gets the registry from zs_node_errors(). Any thread.
 */
#ifndef ZS_ERRORS_H
#define ZS_ERRORS_H

#include "zs/api.h"
#include "zs/status.h"

typedef struct zs_errors zs_errors;

/* Declares code ("IDENTITY.1001": PREFIX.ID) with its description, for service
 * ("identity"). 0, or with *st (may be NULL): INVALID_ARGUMENT when the code is
 * malformed, ALREADY_EXISTS when another service declared it, RESOURCE_EXHAUSTED. */
ZS_API int zs_errors_declare(zs_errors *errors, const char *code, const char *description,
    const char *service, zs_status **st);
/* The description of a declared code, or NULL; valid as long as the registry. */
ZS_API const char *zs_errors_description(zs_errors *errors, const char *code);

#endif
