/* zst_time.h: the tests' view of google.protobuf.Timestamp: as microseconds since the
 * epoch (what PostgreSQL keeps), and as the RFC 3339 text a query condition takes,
 * in UTC or at an offset. */
#ifndef ZST_TIME_H
#define ZST_TIME_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "google/protobuf/timestamp.pb-c.h"

/* ts in microseconds since the epoch; 0 when it is not set. */
static inline int64_t
zst_time_us(const Google__Protobuf__Timestamp *ts)
{
	return ts == NULL ? 0 : ts->seconds * 1000000 + ts->nanos / 1000;
}

/* us as RFC 3339 at offset_min minutes east of UTC ("...T08:00:00.123456+08:00"; "Z"
 * when 0), into buf; buf. */
static inline const char *
zst_time_text(int64_t us, int offset_min, char *buf, size_t len)
{
	int64_t local = us + (int64_t) offset_min * 60 * 1000000;
	time_t secs = (time_t) (local >= 0 ? local / 1000000 : (local - 999999) / 1000000);
	int frac = (int) (local - (int64_t) secs * 1000000);
	struct tm tm;
	char day[32], zone[16] = "Z";
	gmtime_r(&secs, &tm);
	strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
	if (offset_min != 0) {
		int a = offset_min < 0 ? -offset_min : offset_min;
		snprintf(zone, sizeof zone, "%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60, a % 60);
	}
	snprintf(buf, len, "%s.%06d%s", day, frac, zone);
	return buf;
}

#endif
