/* zs_log.c: log lines on stderr: "2026-11-26T06:28:54.123Z INFO  node: message". */
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "zs/log.h"
#include "zs_node_impl.h"

void
zs_log(const zs_node *node, zs_log_level level, const char *source, const char *fmt, ...)
{
	static const char *names[] = { "DEBUG", "INFO", "WARN", "ERROR" };
	if (node != NULL && (int) level < node->log_level)
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
	    names[level <= ZS_LOG_ERROR ? level : ZS_LOG_ERROR], source, line);
}
