/*
 * zs_identity.h: the identity platform module (accounts, logins, sessions), as the
 * platform table sees it: its three hooks. Its insides are in zs_identity_impl.h.
 */
#ifndef ZS_IDENTITY_H
#define ZS_IDENTITY_H

#include <stddef.h>

typedef struct zs_node zs_node;

/* Routes zs.identity.v1.Identity (Login public), declares the identity.* properties,
 * the identity/sessionTimeout config and the IDENTITY.* error codes. */
int zs_identity_declare(zs_node *node, char *err, size_t errlen);
/* Makes the first admin account if there is none, starts the session check and the
 * periodic cleanup of expired sessions. */
int zs_identity_start(zs_node *node, char *err, size_t errlen);
/* Stops the session check and the cleanup; frees the module's state. */
void zs_identity_stop(zs_node *node);

#endif
