/* zs_log.c: log lines on stderr: "2026-11-26T06:28:54.123Z INFO  node: message". */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "zs/log.h"
#include "zs/status.h"

static const char *const log_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };

/* The level, like stderr itself, belongs to the process; set once at start. */
static _Atomic int log_level = ZS_LOG_INFO;

void
zs_log_set_level(zs_log_level level)
{
	atomic_store_explicit(&log_level, (int) level, memory_order_relaxed);
}

int
zs_log_parse_level(const char *text, zs_log_level *out)
{
	static const char *const lower[] = { "debug", "info", "warn", "error" };
	for (int i = 0; text != NULL && i < 4; i++)
		if (strcmp(text, lower[i]) == 0) {
			*out = (zs_log_level) i;
			return ZS_OK;
		}
	return ZS_INVALID_ARGUMENT;
}

void
zs_log(zs_log_level level, const char *source, const char *fmt, ...)
{
	if ((int) level < atomic_load_explicit(&log_level, memory_order_relaxed))
		return;
	struct timeval tv;
	struct tm tm;
	char when[32], line[2048];
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* one fprintf per line so lines from several threads do not mix */
	fprintf(stderr, "%s.%03dZ %-5s %s: %s\n", when, (int) (tv.tv_usec / 1000),
	    log_names[level <= ZS_LOG_ERROR ? level : ZS_LOG_ERROR], source, line);
}
