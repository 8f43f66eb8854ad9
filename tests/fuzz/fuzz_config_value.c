/*
 * fuzz_config_value.c: fuzzes global config value checking (server/src/platform/config/
 * zs_config_value.c). The input is a config declaration and a value, one per line:
 *   TYPE            integer, boolean, string, size or duration (else: from its first byte)
 *   MIN             a bound, or empty
 *   MAX             a bound, or empty
 *   ALLOWED         values separated by '|', or empty
 *   VALUE           the rest of the input
 * A bound that does not parse is dropped, as the registry refuses such a declaration.
 * An accepted value's canonical form must be accepted again and be its own canonical form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zs_config_impl.h"
#include "zs_fuzz.h"

#define ALLOWED_MAX 16

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = zs_fuzz_strndup(data, size);
	if (text == NULL)
		return 0;
	char *type = text;
	char *min = zs_fuzz_next_line(type);
	char *max = zs_fuzz_next_line(min);
	char *allowed = zs_fuzz_next_line(max);
	char *value = zs_fuzz_next_line(allowed);

	zs_config_entry e;
	memset(&e, 0, sizeof e);
	e.category = (char *) "fuzz";
	e.name = (char *) "value";
	if (zs_config_type_parse(type, &e.type) != 0)
		e.type = (zs_config_type) ((unsigned char) type[0] % 5);
	e.min_v = INT64_MIN;
	e.max_v = INT64_MAX;
	if (*min != '\0' && zs_config_number(e.type, min, &e.min_v) == 0)
		e.min = min;
	if (*max != '\0' && zs_config_number(e.type, max, &e.max_v) == 0)
		e.max = max;
	char *list[ALLOWED_MAX];
	if (*allowed != '\0') {
		for (char *a = allowed; a != NULL && e.n_allowed < ALLOWED_MAX; ) {
			char *bar = strchr(a, '|');
			if (bar != NULL)
				*bar++ = '\0';
			list[e.n_allowed++] = a;
			a = bar;
		}
		e.allowed = list;
	}

	char canon[ZS_CONFIG_VALUE_MAX + 1], again[ZS_CONFIG_VALUE_MAX + 1], why[512];
	if (zs_config_value_check(&e, value, canon, sizeof canon, why, sizeof why) == 0) {
		int rc = zs_config_value_check(&e, canon, again, sizeof again, why, sizeof why);
		ZS_FUZZ_ASSERT(rc == 0 && strcmp(canon, again) == 0,
		    "type %d: \"%s\" stored as \"%s\", which checks as %d \"%s\" (%s)", (int) e.type,
		    value, canon, rc, again, why);
	}
	/* a small buffer: the check must refuse what does not fit, never overrun */
	char small[8];
	(void) zs_config_value_check(&e, value, small, sizeof small, why, sizeof why);
	free(text);
	return 0;
}
