/*
 * zs/log.h: the node's log: one line per entry on stderr, with time, level and source.
 * The level is the one process-wide setting of the log (log.level, set by the node at
 * start, like the stderr it writes to); any thread may log.
 */
#ifndef ZS_LOG_H
#define ZS_LOG_H

#include "zs/api.h"

typedef enum zs_log_level { ZS_LOG_DEBUG, ZS_LOG_INFO, ZS_LOG_WARN, ZS_LOG_ERROR } zs_log_level;

/* Writes a line when level reaches the log's level (ZS_LOG_INFO until set). */
ZS_API void zs_log(zs_log_level level, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets the lowest level written; the node calls it once at start. */
ZS_API void zs_log_set_level(zs_log_level level);
/* Parses "debug", "info", "warn" or "error"; 0, or ZS_INVALID_ARGUMENT (3). */
ZS_API int zs_log_parse_level(const char *text, zs_log_level *out);

#endif
