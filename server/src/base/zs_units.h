/* zs_units.h: parsing the value types of properties and configs: sizes, durations, booleans. */
#ifndef ZS_UNITS_H
#define ZS_UNITS_H

#include <stdbool.h>
#include <stdint.h>

/* "512", "512K", "4M", "2G", "1T" (powers of 1024, optional trailing B). Returns 0 or -1. */
int zs_parse_size(const char *s, uint64_t *out);
/* "250ms", "10s", "5m", "2h", "1d"; a bare number is milliseconds. Returns 0 or -1. */
int zs_parse_duration_ms(const char *s, int64_t *out);
/* A whole decimal number in [min, max]. Returns 0 or -1. */
int zs_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);
/* true/false, yes/no, on/off, 1/0. Returns 0 or -1. */
int zs_parse_bool(const char *s, bool *out);

#endif
