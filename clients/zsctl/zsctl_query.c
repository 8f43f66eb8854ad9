/*
 * zsctl_query.c: ZStack's query syntax into a zs.resource.v1.QueryRequest body:
 *   name~=web% state=Running cpu>=4 uuid?=a,b sort=-createDate limit=10 start=0
 *   fields=uuid,name count=true replyWithCount=true groupBy=state  "description is null"
 *   name not null
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zsctl_kv.h"

#define Q_NAME_MAX 256

static int q_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
q_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Tokens, longest first, and the operator each stands for on the wire. */
static const struct {
	const char *token;
	const char *op;
} q_ops[] = {
	{ "!?=", "not in" }, { "!~=", "not like" }, { "?=", "in" }, { "~=", "like" },
	{ "!=", "!=" }, { ">=", ">=" }, { "<=", "<=" }, { "=", "=" }, { ">", ">" }, { "<", "<" },
};

static int
q_name_char(char c)
{
	return isalnum((unsigned char) c) || c == '_' || c == '.';
}

/* A condition's field name as the node declares it: snake_case, each dotted part. */
static int
q_name(const char *s, size_t n, char *out, size_t outlen, char *err, size_t errlen)
{
	char raw[Q_NAME_MAX];
	if (n == 0)
		return q_fail(err, errlen, "a condition needs a field name before its operator");
	if (n >= sizeof raw)
		return q_fail(err, errlen, "the field name \"%.40s...\" is too long", s);
	memcpy(raw, s, n);
	raw[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!q_name_char(raw[i]))
			return q_fail(err, errlen, "\"%s\" is not a field name (letters, digits, _ and .)", raw);
	if (raw[0] == '.' || raw[n - 1] == '.' || strstr(raw, "..") != NULL)
		return q_fail(err, errlen, "\"%s\" is not a field name (a dot joins two names)", raw);
	zsctl_kv_snake(raw, out, outlen);
	return 0;
}

static int
q_uint(const char *key, const char *s, json_t *body, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	unsigned long long v = *s == '-' || *s == '\0' ? 0 : strtoull(s, &end, 10);
	if (*s == '-' || *s == '\0' || errno != 0 || *end != '\0' || v > 0xffffffffULL)
		return q_fail(err, errlen, "%s=%s: %s takes a number, 0 to 4294967295", key, s, key);
	json_object_set_new(body, strcmp(key, "limit") == 0 ? "limit" : "start",
	    json_integer((json_int_t) v));
	return 0;
}

static int
q_bool(const char *key, const char *wire, const char *s, json_t *body, char *err, size_t errlen)
{
	int b = strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcasecmp(s, "yes") == 0 ? 1
	    : strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0 || strcasecmp(s, "no") == 0 ? 0 : -1;
	if (b < 0)
		return q_fail(err, errlen, "%s=%s: %s takes true or false", key, s, key);
	json_object_set_new(body, wire, json_boolean(b));
	return 0;
}

/* sort=+name, sort=-name, sort=name (ascending). */
static int
q_sort(const char *s, json_t *body, char *err, size_t errlen)
{
	const char *dir = "asc";
	if (*s == '+' || *s == '-') {
		dir = *s == '-' ? "desc" : "asc";
		s++;
	}
	char name[Q_NAME_MAX];
	if (q_name(s, strlen(s), name, sizeof name, err, errlen) != 0)
		return q_fail(err, errlen, "sort=%s: give a field, +field (ascending) or -field "
		    "(descending)", s);
	json_object_set_new(body, "sortBy", json_string(name));
	json_object_set_new(body, "sortDirection", json_string(dir));
	return 0;
}

static int
q_fields(const char *s, json_t *body, char *err, size_t errlen)
{
	json_t *arr = json_object_get(body, "fields");
	if (arr == NULL) {
		arr = json_array();
		json_object_set_new(body, "fields", arr);
	}
	const char *p = s;
	while (*p != '\0') {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t) (comma - p) : strlen(p);
		char name[Q_NAME_MAX];
		if (q_name(p, n, name, sizeof name, err, errlen) != 0)
			return -1;
		json_array_append_new(arr, json_string(name));
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (json_array_size(arr) == 0)
		return q_fail(err, errlen, "fields=: name at least one field, e.g. fields=uuid,name");
	return 0;
}

/* groupBy=state: the counts of each value of one field. */
static int
q_group(const char *s, json_t *body, char *err, size_t errlen)
{
	char name[Q_NAME_MAX];
	if (q_name(s, strlen(s), name, sizeof name, err, errlen) != 0)
		return q_fail(err, errlen, "groupBy=%s: give one field, e.g. groupBy=state", s);
	json_object_set_new(body, "groupBy", json_string(name));
	return 0;
}

/* The reserved keys (only with "="); 1 when key was one, 0 when not, -1 on error. */
static int
q_reserved(const char *key, const char *value, json_t *body, char *err, size_t errlen)
{
	if (strcmp(key, "limit") == 0 || strcmp(key, "start") == 0)
		return q_uint(key, value, body, err, errlen) == 0 ? 1 : -1;
	if (strcmp(key, "count") == 0)
		return q_bool(key, "count", value, body, err, errlen) == 0 ? 1 : -1;
	if (strcmp(key, "replyWithCount") == 0 || strcmp(key, "reply_with_count") == 0)
		return q_bool(key, "replyWithCount", value, body, err, errlen) == 0 ? 1 : -1;
	if (strcmp(key, "sort") == 0 || strcmp(key, "sortBy") == 0 || strcmp(key, "sort_by") == 0)
		return q_sort(value, body, err, errlen) == 0 ? 1 : -1;
	if (strcmp(key, "fields") == 0)
		return q_fields(value, body, err, errlen) == 0 ? 1 : -1;
	if (strcmp(key, "groupBy") == 0 || strcmp(key, "group_by") == 0)
		return q_group(value, body, err, errlen) == 0 ? 1 : -1;
	return 0;
}

static int
q_add(json_t *body, const char *name, const char *op, const char *value)
{
	json_t *conds = json_object_get(body, "conditions");
	if (conds == NULL) {
		conds = json_array();
		json_object_set_new(body, "conditions", conds);
	}
	json_t *c = json_pack("{s:s, s:s}", "name", name, "op", op);
	if (c != NULL && value != NULL)
		json_object_set_new(c, "value", json_string(value));
	return c != NULL ? json_array_append_new(conds, c) : -1;
}

/* "NAME is null", "NAME is not null", "NAME not null" in one argument: 1 if it was one. */
static int
q_null_words(const char *arg, json_t *body, char *err, size_t errlen)
{
	char word[4][Q_NAME_MAX];
	int n = 0;
	const char *p = arg;
	while (*p != '\0') {
		while (isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			break;
		size_t len = 0;
		while (p[len] != '\0' && !isspace((unsigned char) p[len]))
			len++;
		if (n == 4 || len >= Q_NAME_MAX)
			return 0;
		memcpy(word[n], p, len);
		word[n++][len] = '\0';
		p += len;
	}
	for (const char *c = word[0]; n > 0 && *c != '\0'; c++)
		if (!q_name_char(*c))
			return 0; /* "name=a is null" is a condition whose value has spaces */
	const char *op = NULL;
	if (n == 3 && strcasecmp(word[1], "is") == 0 && strcasecmp(word[2], "null") == 0)
		op = "is null";
	else if (n == 3 && strcasecmp(word[1], "not") == 0 && strcasecmp(word[2], "null") == 0)
		op = "is not null";
	else if (n == 4 && strcasecmp(word[1], "is") == 0 && strcasecmp(word[2], "not") == 0 &&
	    strcasecmp(word[3], "null") == 0)
		op = "is not null";
	if (op == NULL)
		return 0;
	char name[Q_NAME_MAX];
	if (q_name(word[0], strlen(word[0]), name, sizeof name, err, errlen) != 0)
		return -1;
	return q_add(body, name, op, NULL) == 0 ? 1 : q_fail(err, errlen, "out of memory");
}

/* NAME OP VALUE in one argument. */
static int
q_condition(const char *arg, json_t *body, char *err, size_t errlen)
{
	size_t n = 0;
	while (q_name_char(arg[n]))
		n++;
	for (size_t i = 0; i < sizeof q_ops / sizeof q_ops[0]; i++) {
		size_t tl = strlen(q_ops[i].token);
		if (strncmp(arg + n, q_ops[i].token, tl) != 0)
			continue;
		const char *value = arg + n + tl;
		char key[Q_NAME_MAX];
		if (n >= sizeof key)
			return q_fail(err, errlen, "the field name of \"%.40s...\" is too long", arg);
		memcpy(key, arg, n);
		key[n] = '\0';
		if (strcmp(q_ops[i].op, "=") == 0) {
			int r = q_reserved(key, value, body, err, errlen);
			if (r != 0)
				return r < 0 ? -1 : 0;
		}
		char name[Q_NAME_MAX];
		if (q_name(arg, n, name, sizeof name, err, errlen) != 0)
			return -1;
		return q_add(body, name, q_ops[i].op, value) == 0 ? 0 : q_fail(err, errlen, "out of memory");
	}
	return q_fail(err, errlen, "\"%s\" is not a condition: write NAME OP VALUE with OP one of "
	    "= != > >= < <= ?= (in) !?= (not in) ~= (like) !~= (not like), or \"NAME is null\", "
	    "\"NAME not null\"", arg);
}

int
zsctl_kv_query(int argc, char *const argv[], json_t **body, char *err, size_t errlen)
{
	*body = NULL;
	if (zsctl_kv_utf8(argc, argv, err, errlen) != 0)
		return -1;
	*body = json_object();
	if (*body == NULL)
		return q_fail(err, errlen, "out of memory");
	int rv = 0;
	for (int i = 0; i < argc && rv == 0; i++) {
		/* the words as separate arguments: NAME is null | NAME is not null | NAME not null */
		if (i + 2 < argc && strchr(argv[i], ' ') == NULL) {
			char joined[3 * Q_NAME_MAX + 8];
			int used = 3;
			if (i + 3 < argc && strcasecmp(argv[i + 1], "is") == 0 &&
			    strcasecmp(argv[i + 2], "not") == 0 && strcasecmp(argv[i + 3], "null") == 0) {
				snprintf(joined, sizeof joined, "%.255s is not null", argv[i]);
				used = 4;
			} else {
				snprintf(joined, sizeof joined, "%.255s %.255s %.255s", argv[i], argv[i + 1],
				    argv[i + 2]);
			}
			int r = (strcasecmp(argv[i + 1], "is") == 0 || strcasecmp(argv[i + 1], "not") == 0)
			    ? q_null_words(joined, *body, err, errlen) : 0;
			if (r < 0) {
				rv = -1;
				break;
			}
			if (r == 1) {
				i += used - 1;
				continue;
			}
		}
		int r = strpbrk(argv[i], " \t") != NULL ? q_null_words(argv[i], *body, err, errlen) : 0;
		if (r < 0)
			rv = -1;
		else if (r == 0)
			rv = q_condition(argv[i], *body, err, errlen);
	}
	if (rv != 0) {
		json_decref(*body);
		*body = NULL;
	}
	return rv;
}
