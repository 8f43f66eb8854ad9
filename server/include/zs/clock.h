/*
 * zs/clock.h: the monotonic clock deadlines and timers use, and arithmetic on times and
 * sizes that saturates instead of overflowing (times computed from input must never wrap).
 * Any thread.
 */
#ifndef ZS_CLOCK_H
#define ZS_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "zs/api.h"

/* Monotonic clock, in milliseconds and in nanoseconds. */
ZS_API int64_t zs_clock_ms(void);
ZS_API int64_t zs_clock_ns(void);
/* Wall clock (Unix time) in milliseconds. */
ZS_API int64_t zs_clock_wall_ms(void);

/* Times as text (a google.protobuf.Timestamp's seconds and nanos). Room for the longest
 * text, "9999-12-31T23:59:59.123456789Z" and its NUL. */
#define ZS_TIME_TEXT_MAX 32
/* Reads RFC 3339 ("2026-01-01T00:00:00Z", "2026-01-01T08:00:00.5+08:00") or PostgreSQL's
 * ISO output of a timestamptz ("2026-01-01 00:00:00.123456+00"): 0, or -1 when text is
 * neither, has no offset, or is outside years 1 to 9999. */
ZS_API int zs_time_parse(const char *text, int64_t *secs, int32_t *nanos);
/* Writes RFC 3339 in UTC with 0, 3, 6 or 9 digits of fraction, as protobuf's JSON mapping
 * does, into buf (len at least ZS_TIME_TEXT_MAX): its length, or 0 when the time is
 * outside years 1 to 9999 or nanos outside [0, 1e9). */
ZS_API size_t zs_time_format(int64_t secs, int32_t nanos, char *buf, size_t len);

/* a + b, held at INT64_MIN / INT64_MAX instead of overflowing. */
static inline int64_t
zs_add_sat(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* a - b, held likewise. */
static inline int64_t
zs_sub_sat(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

#endif
