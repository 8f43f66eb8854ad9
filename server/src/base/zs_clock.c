/* zs_clock.c: the node's clocks (zs/clock.h). */
#include <time.h>

#include "zs/clock.h"

int64_t
zs_clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
zs_clock_ms(void)
{
	return zs_clock_ns() / 1000000;
}

int64_t
zs_clock_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
