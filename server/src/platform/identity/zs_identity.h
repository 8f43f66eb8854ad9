/*
 * zs_identity.h: the identity platform module (accounts, logins, sessions), as the
 * platform table sees it: its three hooks. Its insides are in zs_identity_impl.h.
 */
#ifndef ZS_IDENTITY_H
#define ZS_IDENTITY_H

#include <stddef.h>

#include "zs/config.h"
#include "zs/db.h"
#include "zs/timer.h"
#include "zs/work.h"
#include "zs_props.h"
#include "zs_rpc.h"

typedef struct zs_identity zs_identity;

/* What the module is made with; borrowed for its life. */
typedef struct zs_identity_env {
	zs_rpc *rpc;                 /* routes and the session check */
	zs_props *props;             /* identity.* properties */
	zs_config *config;           /* identity/sessionTimeout */
	zs_timerq *timers;           /* the cleanup's timer */
	zs_work *work;               /* the cleanup runs there */
} zs_identity_env;

/* Routes zs.identity.v1.Identity (Login public), declares the identity.* properties,
 * the identity/sessionTimeout config and the IDENTITY.* error codes. 0, or -1 with err. */
int zs_identity_new(zs_identity **out, const zs_identity_env *env, char *err, size_t errlen);
/* With the database up: makes the first admin account if there is none, starts the
 * session check and the periodic cleanup of expired sessions. */
int zs_identity_start(zs_identity *id, zs_db *db, char *err, size_t errlen);
/* Stops the session check and the cleanup. */
void zs_identity_stop(zs_identity *id);
void zs_identity_free(zs_identity *id);
/* zsnode --reset-admin-password, on a stopped node's database: sets the password of the
 * account "admin" (made again, as an admin, if it is gone) and ends its sessions; its
 * uuid into uuid_out. 0, or -1 with err (a password the rules refuse is said so). */
int zs_identity_reset_admin(zs_db *db, const char *password, char *uuid_out, size_t uuid_len,
    char *err, size_t errlen);

#endif
