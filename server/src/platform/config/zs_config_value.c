/*
 * zs_config_value.c: config value types and validation: type, range, allowed values.
 * The value rules are the ones server/schema/service.xsd states for declared defaults,
 * so a value an admin sets follows the same rules as one a descriptor declares.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "zs_config_impl.h"
#include "zs_units.h"

static const struct {
	const char *name;
	zs_config_type type;
	const char *hint;   /* what a valid value looks like */
} config_types[] = {
	{ "integer", ZS_CONFIG_INTEGER, "an integer (e.g. 42 or -1)" },
	{ "boolean", ZS_CONFIG_BOOLEAN, "a boolean (true or false)" },
	{ "string", ZS_CONFIG_STRING, "a string" },
	{ "size", ZS_CONFIG_SIZE, "a size (e.g. 512M, 2G)" },
	{ "duration", ZS_CONFIG_DURATION, "a duration (e.g. 500ms, 10s, 5m)" },
};

int
zs_config_type_parse(const char *name, zs_config_type *out)
{
	for (size_t i = 0; name != NULL && i < sizeof config_types / sizeof config_types[0]; i++)
		if (strcmp(name, config_types[i].name) == 0) {
			*out = config_types[i].type;
			return 0;
		}
	return -1;
}

static const char *
config_type_hint(zs_config_type type)
{
	for (size_t i = 0; i < sizeof config_types / sizeof config_types[0]; i++)
		if (config_types[i].type == type)
			return config_types[i].hint;
	return "a value";
}

/* Digits to a non-negative number; -1 on none or overflow. Advances *s. */
static int
config_digits(const char **s, int64_t *out)
{
	int64_t v = 0;
	const char *p = *s;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		int d = *p - '0';
		if (v > (INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*s = p;
	*out = v;
	return 0;
}

static int
config_scale(int64_t n, int64_t unit, int64_t *out)
{
	if (n > INT64_MAX / unit)
		return -1;
	*out = n * unit;
	return 0;
}

/* -12, 0, 42: no '+', no blanks (as the descriptor schema says). */
static int
config_parse_integer(const char *s, int64_t *out)
{
	bool neg = *s == '-';
	int64_t v;
	if (neg)
		s++;
	/* INT64_MIN has no positive twin: read it as -(max) - 1 */
	if (neg && strcmp(s, "9223372036854775808") == 0) {
		*out = INT64_MIN;
		return 0;
	}
	if (config_digits(&s, &v) != 0 || *s != '\0')
		return -1;
	*out = neg ? -v : v;
	return 0;
}

/* 4096, 512K, 512M, 2g, 1TB: a unit K, M, G, T or P (powers of 1024, either case) and
 * an optional B. */
static int
config_parse_size(const char *s, int64_t *out)
{
	static const char units[] = "KMGTP";
	const char *u;
	int64_t n, unit = 1;
	if (config_digits(&s, &n) != 0)
		return -1;
	if (*s != '\0' && (u = strchr(units, toupper((unsigned char) *s))) != NULL) {
		for (const char *k = units; k <= u; k++)
			unit *= 1024;
		s++;
	}
	if (*s == 'B' || *s == 'b')
		s++;
	return *s == '\0' ? config_scale(n, unit, out) : -1;
}

/* 100ms, 10s, 5m, 1h, 7d in milliseconds; 0 may go without unit. */
static int
config_parse_duration(const char *s, int64_t *out)
{
	static const struct { const char *unit; int64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
	};
	int64_t n;
	if (config_digits(&s, &n) != 0)
		return -1;
	if (*s == '\0' && n == 0) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(s, units[i].unit) == 0)
			return config_scale(n, units[i].ms, out);
	return -1;
}

int
zs_config_number(zs_config_type type, const char *text, int64_t *out)
{
	if (text == NULL)
		return -1;
	switch (type) {
	case ZS_CONFIG_INTEGER:
		return config_parse_integer(text, out);
	case ZS_CONFIG_SIZE:
		return config_parse_size(text, out);
	case ZS_CONFIG_DURATION:
		return config_parse_duration(text, out);
	default:
		return -1;
	}
}

/* "safe, balanced" into buf. */
static void
config_allowed_list(const zs_config_entry *e, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < e->n_allowed && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", e->allowed[i]);
		if (n < 0)
			break;
		used += (size_t) n;
	}
}

static int
config_check_numeric(const zs_config_entry *e, const char *value, char *canon, size_t canon_len,
    char *why, size_t why_len)
{
	int64_t v;
	if (zs_config_number(e->type, value, &v) != 0) {
		snprintf(why, why_len, "config %s.%s: \"%s\" is not %s", e->category, e->name, value,
		    config_type_hint(e->type));
		return -1;
	}
	if (e->min != NULL && v < e->min_v) {
		snprintf(why, why_len, "config %s.%s: %s is below the minimum %s", e->category, e->name,
		    value, e->min);
		return -1;
	}
	if (e->max != NULL && v > e->max_v) {
		snprintf(why, why_len, "config %s.%s: %s is above the maximum %s", e->category, e->name,
		    value, e->max);
		return -1;
	}
	if (e->type == ZS_CONFIG_INTEGER)
		snprintf(canon, canon_len, "%lld", (long long) v);
	else
		snprintf(canon, canon_len, "%s", value);
	return 0;
}

static int
config_check_string(const zs_config_entry *e, const char *value, char *canon, size_t canon_len,
    char *why, size_t why_len)
{
	bool ok = e->n_allowed == 0;
	for (size_t i = 0; i < e->n_allowed && !ok; i++)
		ok = strcmp(e->allowed[i], value) == 0;
	if (!ok) {
		char list[1024];
		config_allowed_list(e, list, sizeof list);
		snprintf(why, why_len, "config %s.%s: \"%s\" is not one of: %s", e->category, e->name,
		    value, list);
		return -1;
	}
	snprintf(canon, canon_len, "%s", value);
	return 0;
}

int
zs_config_value_check(const zs_config_entry *e, const char *value, char *canon,
    size_t canon_len, char *why, size_t why_len)
{
	size_t len = value != NULL ? strlen(value) : 0;
	if (value == NULL || len > ZS_CONFIG_VALUE_MAX || len >= canon_len) {
		snprintf(why, why_len, "config %s.%s: the value is %zu bytes, longer than %d allows",
		    e->category, e->name, len, ZS_CONFIG_VALUE_MAX);
		return -1;
	}
	bool b;
	switch (e->type) {
	case ZS_CONFIG_BOOLEAN:
		if (zs_parse_bool(value, &b) != 0) {
			snprintf(why, why_len, "config %s.%s: \"%s\" is not %s", e->category, e->name,
			    value, config_type_hint(e->type));
			return -1;
		}
		snprintf(canon, canon_len, "%s", b ? "true" : "false");
		return 0;
	case ZS_CONFIG_STRING:
		return config_check_string(e, value, canon, canon_len, why, why_len);
	default:
		return config_check_numeric(e, value, canon, canon_len, why, why_len);
	}
}
