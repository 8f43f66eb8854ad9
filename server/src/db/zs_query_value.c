/*
 * zs_query_value.c: a query condition's op and values, checked before any SQL is made:
 * the op must be one of the query API's, fit the field's type (no "like" on a number),
 * and each value must be one of the field's type (an integer, a uuid, true/false, one
 * of an enum's values, an RFC 3339 time). A refusal says why, naming the value.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zs/clock.h"
#include "zs_query_impl.h"
#include "zs_utf8.h"

static const struct {
	const char *name;
	qop op;
} value_ops[] = {
	{ "=", QOP_EQ }, { "!=", QOP_NE }, { ">", QOP_GT }, { ">=", QOP_GE }, { "<", QOP_LT },
	{ "<=", QOP_LE }, { "in", QOP_IN }, { "not in", QOP_NOT_IN }, { "like", QOP_LIKE },
	{ "not like", QOP_NOT_LIKE }, { "is null", QOP_IS_NULL }, { "is not null", QOP_NOT_NULL },
	/* ZStack's CLI tokens */
	{ "?=", QOP_IN }, { "!?=", QOP_NOT_IN }, { "~=", QOP_LIKE }, { "!~=", QOP_NOT_LIKE },
	{ "not null", QOP_NOT_NULL },
};

qop
zs_query_op_parse(const char *text)
{
	/* lower case, leading and trailing blanks dropped, inner runs of blanks as one */
	char norm[16];
	size_t n = 0;
	bool blank = false;
	for (const char *s = text; *s; s++) {
		if (isspace((unsigned char) *s)) {
			blank = n > 0;
			continue;
		}
		if (n + (blank ? 2 : 1) >= sizeof norm)
			return QOP_NONE;
		if (blank)
			norm[n++] = ' ';
		blank = false;
		norm[n++] = (char) tolower((unsigned char) *s);
	}
	norm[n] = '\0';
	for (size_t i = 0; i < sizeof value_ops / sizeof value_ops[0]; i++)
		if (strcmp(norm, value_ops[i].name) == 0)
			return value_ops[i].op;
	return QOP_NONE;
}

const char *
zs_query_op_name(qop op)
{
	for (size_t i = 0; i < sizeof value_ops / sizeof value_ops[0]; i++)
		if (value_ops[i].op == op)
			return value_ops[i].name;
	return "?";
}

bool
zs_query_op_fits(qop op, zs_query_type type)
{
	switch (op) {
	case QOP_LIKE: case QOP_NOT_LIKE:
		return type == ZS_QUERY_TEXT || type == ZS_QUERY_UUID || type == ZS_QUERY_ENUM;
	case QOP_GT: case QOP_GE: case QOP_LT: case QOP_LE:
		return type != ZS_QUERY_BOOL && type != ZS_QUERY_ENUM;
	default:
		return op != QOP_NONE;
	}
}

/* A decimal int64, whole (no blanks, no sign but '-'), within [lo, hi]. */
static bool
value_int(const char *v, long long lo, long long hi)
{
	if (*v == '\0' || !(isdigit((unsigned char) *v) || (*v == '-' && isdigit((unsigned char) v[1]))))
		return false;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	return errno == 0 && *end == '\0' && x >= lo && x <= hi;
}

static bool
value_uuid(const char *v)
{
	if (strlen(v) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? v[i] != '-' : !isxdigit((unsigned char) v[i]))
			return false;
	}
	return true;
}

static bool
value_utf8(const char *v)
{
	for (const unsigned char *s = (const unsigned char *) v; *s;) {
		size_t n = zs_utf8_len(s);
		if (n == 0)
			return false;
		s += n;
	}
	return true;
}

const char *
zs_query_value_check(const zs_query_field *f, qop op, const char *value, char *why,
    size_t why_len)
{
	if (strlen(value) > ZS_QUERY_VALUE_MAX) {
		snprintf(why, why_len, "its value is longer than %d bytes", ZS_QUERY_VALUE_MAX);
		return NULL;
	}
	if (!value_utf8(value)) {
		snprintf(why, why_len, "its value is not UTF-8");
		return NULL;
	}
	if (op == QOP_LIKE || op == QOP_NOT_LIKE)
		return value;        /* a pattern: any text */
	switch (f->type) {
	case ZS_QUERY_TEXT:
		return value;
	case ZS_QUERY_UUID:
		if (value_uuid(value))
			return value;
		snprintf(why, why_len, "\"%.128s\" is not a uuid", value);
		return NULL;
	case ZS_QUERY_INT:
		if (value_int(value, INT64_MIN, INT64_MAX))
			return value;
		snprintf(why, why_len, "\"%.128s\" is not an integer", value);
		return NULL;
	case ZS_QUERY_TIME: {
		int64_t secs;
		int32_t nanos;
		if (zs_time_parse(value, &secs, &nanos) == 0)
			return value;
		snprintf(why, why_len, "\"%.128s\" is not an RFC 3339 time with its offset, such as "
		    "2026-01-01T00:00:00Z or 2026-01-01T08:00:00+08:00 (years 1 to 9999)", value);
		return NULL;
	}
	case ZS_QUERY_BOOL:
		if (strcasecmp(value, "true") == 0)
			return "true";
		if (strcasecmp(value, "false") == 0)
			return "false";
		snprintf(why, why_len, "\"%.128s\" is neither true nor false", value);
		return NULL;
	case ZS_QUERY_ENUM: {
		size_t used = 0;
		for (const char *const *e = f->values; e != NULL && *e != NULL; e++)
			if (strcasecmp(value, *e) == 0)
				return *e;
		used += (size_t) snprintf(why, why_len, "\"%.128s\" is not one of", value);
		for (const char *const *e = f->values; e != NULL && *e != NULL && used < why_len; e++)
			used += (size_t) snprintf(why + used, why_len - used, "%s %s",
			    e == f->values ? "" : ",", *e);
		return NULL;
	}
	}
	snprintf(why, why_len, "the field has no known type");
	return NULL;
}
