/* zs_units.c: parsing sizes, durations, integers and booleans from text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zs_units.h"

/* Splits "123abc" into 123 and "abc"; rejects empty numbers and overflow. */
static int
units_number(const char *s, uint64_t *n, const char **suffix)
{
	char *end;
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	*n = v;
	*suffix = end;
	return 0;
}

/* Multiplies without overflow. */
static int
units_scale(uint64_t n, uint64_t mul, uint64_t *out)
{
	if (mul != 0 && n > UINT64_MAX / mul)
		return -1;
	*out = n * mul;
	return 0;
}

int
zs_parse_size(const char *s, uint64_t *out)
{
	static const struct { const char *sfx; uint64_t mul; } units[] = {
		{ "", 1 }, { "B", 1 }, { "K", 1ull << 10 }, { "KB", 1ull << 10 },
		{ "M", 1ull << 20 }, { "MB", 1ull << 20 }, { "G", 1ull << 30 },
		{ "GB", 1ull << 30 }, { "T", 1ull << 40 }, { "TB", 1ull << 40 },
	};
	uint64_t n;
	const char *sfx;
	if (units_number(s, &n, &sfx) != 0)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcasecmp(sfx, units[i].sfx) == 0)
			return units_scale(n, units[i].mul, out);
	return -1;
}

int
zs_parse_duration_ms(const char *s, int64_t *out)
{
	static const struct { const char *sfx; uint64_t mul; } units[] = {
		{ "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 },
	};
	uint64_t n, v;
	const char *sfx;
	if (units_number(s, &n, &sfx) != 0)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(sfx, units[i].sfx) == 0) {
			if (units_scale(n, units[i].mul, &v) != 0 || v > INT64_MAX)
				return -1;
			*out = (int64_t) v;
			return 0;
		}
	return -1;
}

int
zs_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
zs_parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "true", "yes", "on", "1" };
	static const char *no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; s != NULL && i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}
