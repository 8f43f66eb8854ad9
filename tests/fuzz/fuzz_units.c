/*
 * fuzz_units.c: fuzzes the value parsers of properties and configs (server/src/base/
 * zs_units.c): sizes, durations, bounded integers and booleans, with what each promises
 * of a value it accepts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zs_fuzz.h"
#include "zs_units.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = zs_fuzz_strndup(data, size);
	if (s == NULL)
		return 0;
	uint64_t bytes;
	int64_t ms, v;
	bool b;
	(void) zs_parse_size(s, &bytes);
	if (zs_parse_duration_ms(s, &ms) == 0)
		ZS_FUZZ_ASSERT(ms >= 0, "duration \"%s\" read as %lld ms", s, (long long) ms);
	if (zs_parse_int(s, INT64_MIN, INT64_MAX, &v) == 0 && zs_parse_int(s, -100, 100, &v) == 0)
		ZS_FUZZ_ASSERT(v >= -100 && v <= 100, "\"%s\" read as %lld, outside [-100, 100]", s,
		    (long long) v);
	if (zs_parse_bool(s, &b) == 0)
		ZS_FUZZ_ASSERT(strlen(s) <= 5, "\"%s\" read as a boolean", s);
	free(s);
	return 0;
}
