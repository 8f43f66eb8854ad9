/* zs/log.h: the node's log: one line per entry on stderr, with time, level and source. */
#ifndef ZS_LOG_H
#define ZS_LOG_H

#include "zs/node.h"

typedef enum zs_log_level { ZS_LOG_DEBUG, ZS_LOG_INFO, ZS_LOG_WARN, ZS_LOG_ERROR } zs_log_level;

/* Writes a line when level reaches the node's log.level; node may be NULL. */
void zs_log(const zs_node *node, zs_log_level level, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
