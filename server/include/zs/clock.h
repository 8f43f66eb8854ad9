/*
 * zs/clock.h: the monotonic clock deadlines and timers use, and arithmetic on times and
 * sizes that saturates instead of overflowing (times computed from input must never wrap).
 * Any thread.
 */
#ifndef ZS_CLOCK_H
#define ZS_CLOCK_H

#include <stdint.h>
#include "zs/api.h"

/* Monotonic clock, in milliseconds and in nanoseconds. */
ZS_API int64_t zs_clock_ms(void);
ZS_API int64_t zs_clock_ns(void);
/* Wall clock (Unix time) in milliseconds. */
ZS_API int64_t zs_clock_wall_ms(void);

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
