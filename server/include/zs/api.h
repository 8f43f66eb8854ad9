/*
 * zs/api.h: what every public header of the node starts from. ZS_API marks a function
 * libzscore exports (as libuv's UV_EXTERN); libzscore is built with hidden visibility and a
 * version script, so nothing else in it can be linked by a plugin. ZS_VERSION is the
 * node's version.
 */
#ifndef ZS_API_H
#define ZS_API_H

#define ZS_API __attribute__((visibility("default")))

#define ZS_VERSION "0.1.0"

/* The handles a service is given; each header that uses one says what it is for. */
typedef struct zs_node zs_node;
typedef struct zs_call zs_call;

/* "0.1.0"; any thread. */
ZS_API const char *zs_version(void);

#endif
