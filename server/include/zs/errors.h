/*
 * zs/errors.h: error codes of the node's own services. A plugin declares its codes in
 * its descriptor (<errorCodes prefix="HOST">); a platform module (identity, tags, ...)
 * declares its own here, from its declare hook. A declared code's description goes out
 * with every failure that carries the code (zs_call_fail), and `zsctl errors` lists it.
 */
#ifndef ZS_ERRORS_H
#define ZS_ERRORS_H

#include "zs/node.h"

/* Declares code ("IDENTITY.1001": PREFIX.ID) with its description, for service ("identity").
 * 0, or -1 (logged) when the code is malformed, already declared (by a plugin or another
 * module), or memory ran out. */
int zs_errors_declare(zs_node *node, const char *code, const char *description,
    const char *service);

#endif
