/*
 * zsctl_kv.c: key=value arguments into a method's input message as proto3 JSON, typed by
 * the field list the node's reflection gives (zsctl_kv.h). Query tokens are in
 * zsctl_query.c.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zsctl_kv.h"

#define KV_NAME_MAX 256

static int kv_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
kv_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
zsctl_kv_camel(const char *proto_name, char *buf, size_t len)
{
	size_t o = 0;
	int up = 0;
	for (const char *p = proto_name; *p != '\0' && o + 1 < len; p++) {
		if (*p == '_') {
			up = 1;
			continue;
		}
		buf[o++] = up ? (char) toupper((unsigned char) *p) : *p;
		up = 0;
	}
	if (len > 0)
		buf[o] = '\0';
	return buf;
}

const char *
zsctl_kv_snake(const char *name, char *buf, size_t len)
{
	size_t o = 0;
	for (const char *p = name; *p != '\0' && o + 2 < len; p++) {
		if (isupper((unsigned char) *p)) {
			if (o > 0 && buf[o - 1] != '.' && buf[o - 1] != '_')
				buf[o++] = '_';
			buf[o++] = (char) tolower((unsigned char) *p);
		} else {
			buf[o++] = *p;
		}
	}
	if (len > 0)
		buf[o] = '\0';
	return buf;
}

const json_t *
zsctl_kv_field(const json_t *message, const char *key)
{
	size_t i;
	const json_t *f;
	char camel[KV_NAME_MAX];
	json_array_foreach(json_object_get(message, "fields"), i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		if (name == NULL)
			continue;
		if (strcmp(name, key) == 0 || strcmp(zsctl_kv_camel(name, camel, sizeof camel), key) == 0)
			return f;
	}
	return NULL;
}

size_t
zsctl_kv_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, 255), lb = strnlen(b, 255);
	size_t row[256];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			int same = tolower((unsigned char) a[i - 1]) == tolower((unsigned char) b[j - 1]);
			size_t best = diag + (same ? 0 : 1);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* "name, description" of message's fields, into buf. */
static const char *
kv_field_list(const json_t *message, char *buf, size_t len)
{
	size_t i, o = 0;
	const json_t *f;
	buf[0] = '\0';
	json_array_foreach(json_object_get(message, "fields"), i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		int n = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", name ? name : "?");
		if (n < 0 || (size_t) n >= len - o)
			break;
		o += (size_t) n;
	}
	if (o == 0)
		snprintf(buf, len, "(none: the method takes no arguments)");
	return buf;
}

static int
kv_is(const char *type, const char *a, const char *b, const char *c)
{
	return strcmp(type, a) == 0 || (b != NULL && strcmp(type, b) == 0) ||
	    (c != NULL && strcmp(type, c) == 0);
}

/* An integer of the given bounds from text; 0 or -1. */
static int
kv_integer(const char *s, int is_unsigned, long double lo, long double hi, json_int_t *out)
{
	char *end;
	errno = 0;
	if (*s == '\0' || isspace((unsigned char) *s))
		return -1;
	if (is_unsigned) {
		if (*s == '-')
			return -1;
		unsigned long long v = strtoull(s, &end, 10);
		if (errno != 0 || *end != '\0' || (long double) v > hi)
			return -1;
		*out = (json_int_t) v;
		return 0;
	}
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || (long double) v < lo || (long double) v > hi)
		return -1;
	*out = (json_int_t) v;
	return 0;
}

/* "true", "yes", "on", "1" and their opposites; 0/1 or -1. */
static int
kv_bool(const char *s)
{
	static const char *yes[] = { "true", "yes", "on", "1" }, *no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* One value of a field of the given type (a scalar name, or a message or enum full
 * name) as JSON; NULL with err when the text is not of that type. */
static json_t *
kv_value(const char *key, const char *type, const char *s, char *err, size_t errlen)
{
	json_int_t i;
	if (kv_is(type, "int32", "sint32", "sfixed32")) {
		if (kv_integer(s, 0, INT32_MIN, INT32_MAX, &i) == 0)
			return json_integer(i);
	} else if (kv_is(type, "uint32", "fixed32", NULL)) {
		if (kv_integer(s, 1, 0, UINT32_MAX, &i) == 0)
			return json_integer(i);
	} else if (kv_is(type, "int64", "sint64", "sfixed64")) {
		if (kv_integer(s, 0, (long double) INT64_MIN, (long double) INT64_MAX, &i) == 0)
			return json_string(s); /* proto3 JSON writes 64-bit integers as strings */
	} else if (kv_is(type, "uint64", "fixed64", NULL)) {
		if (kv_integer(s, 1, 0, (long double) UINT64_MAX, &i) == 0)
			return json_string(s);
	} else if (kv_is(type, "float", "double", NULL)) {
		char *end;
		errno = 0;
		double d = strtod(s, &end);
		if (*s != '\0' && *end == '\0' && errno == 0 && isfinite(d))
			return json_real(d);
	} else if (kv_is(type, "bool", NULL, NULL)) {
		int b = kv_bool(s);
		if (b >= 0)
			return json_boolean(b);
	} else if (kv_is(type, "string", "bytes", "google.protobuf.Timestamp")) {
		/* a Timestamp is RFC 3339 text in JSON; the node checks it */
		return json_stringn(s, strlen(s));
	} else {
		/* a message (as JSON) or an enum (by name or number): reflection names both by
		 * their full name, so the text decides */
		if (s[0] == '{' || s[0] == '[') {
			json_error_t je;
			json_t *v = json_loads(s, JSON_DECODE_ANY, &je);
			if (v != NULL)
				return v;
			kv_fail(err, errlen, "%s: the value is not JSON: %s (column %d)", key, je.text,
			    je.column);
			return NULL;
		}
		if (kv_integer(s, 0, INT32_MIN, INT32_MAX, &i) == 0)
			return json_integer(i);
		return json_stringn(s, strlen(s));
	}
	kv_fail(err, errlen, "%s: \"%.64s\" is not of type %s", key, s, type);
	return NULL;
}

/* A repeated field's value: a JSON array as written, else a comma list; NULL with err. */
static json_t *
kv_list(const char *key, const char *type, const char *s, char *err, size_t errlen)
{
	if (s[0] == '[') {
		json_error_t je;
		json_t *v = json_loads(s, 0, &je);
		if (json_is_array(v))
			return v;
		json_decref(v);
		kv_fail(err, errlen, "%s: the value is not a JSON array: %s", key,
		    v == NULL ? je.text : "not an array");
		return NULL;
	}
	json_t *arr = json_array();
	const char *p = s;
	while (arr != NULL && *s != '\0') {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t) (comma - p) : strlen(p);
		char *one = strndup(p, n);
		json_t *v = one != NULL ? kv_value(key, type, one, err, errlen) : NULL;
		free(one);
		if (v == NULL || json_array_append_new(arr, v) != 0) {
			json_decref(arr);
			return NULL;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return arr;
}

/* Sets path (dotted, its head the field f) in body to value (stolen). */
static int
kv_set(json_t *body, const json_t *f, const char *head, const char *rest, const char *arg,
    json_t *value, char *err, size_t errlen)
{
	char camel[KV_NAME_MAX];
	const char *name = zsctl_kv_camel(head, camel, sizeof camel);
	const char *label = json_string_value(json_object_get(f, "label"));
	int repeated = label != NULL && strcmp(label, "repeated") == 0;
	if (rest == NULL) {
		json_t *old = json_object_get(body, name);
		if (old != NULL && repeated && json_is_array(old) && json_is_array(value)) {
			json_array_extend(old, value); /* key=a key=b: both */
			json_decref(value);
			return 0;
		}
		if (old != NULL) {
			json_decref(value);
			return kv_fail(err, errlen, "%s: %s is given twice", arg, head);
		}
		json_object_set_new(body, name, value);
		return 0;
	}
	/* "a.b.c=v": objects inside the message field a; the names below a are not known
	 * here, so they go as written and the node checks them */
	json_t *obj = json_object_get(body, name);
	if (obj == NULL) {
		obj = json_object();
		json_object_set_new(body, name, obj);
	}
	if (!json_is_object(obj)) {
		json_decref(value);
		return kv_fail(err, errlen, "%s: %s is given both as a whole and by its fields", arg, head);
	}
	char *path = strdup(rest), *save = NULL;
	if (path == NULL) {
		json_decref(value);
		return kv_fail(err, errlen, "out of memory");
	}
	const char *seg = strtok_r(path, ".", &save);
	int rv = 0;
	while (seg != NULL) {
		const char *next = strtok_r(NULL, ".", &save);
		if (next == NULL) {
			if (json_object_get(obj, seg) != NULL) {
				rv = kv_fail(err, errlen, "%s: %s.%s is given twice", arg, head, rest);
				json_decref(value);
			} else {
				json_object_set_new(obj, seg, value);
			}
			break;
		}
		json_t *child = json_object_get(obj, seg);
		if (child == NULL) {
			child = json_object();
			json_object_set_new(obj, seg, child);
		}
		if (!json_is_object(child)) {
			rv = kv_fail(err, errlen, "%s: %s is given both as a whole and by its fields", arg, seg);
			json_decref(value);
			break;
		}
		obj = child;
		seg = next;
	}
	free(path);
	return rv;
}

/* A nested value whose type is not known: a number or a boolean when it reads as one
 * (the node's JSON decoder also takes numbers written as strings), else a string. */
static json_t *
kv_untyped(const char *s)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
		return json_boolean(s[0] == 't');
	if (s[0] == '{' || s[0] == '[') {
		json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
		if (v != NULL)
			return v;
	}
	return json_string(s);
}

static int
kv_one(const json_t *message, json_t *body, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	if (eq == NULL || eq == arg)
		return kv_fail(err, errlen, "\"%s\" is not KEY=VALUE", arg);
	char key[KV_NAME_MAX];
	size_t kn = (size_t) (eq - arg);
	if (kn >= sizeof key)
		return kv_fail(err, errlen, "the key of \"%.40s...\" is too long", arg);
	memcpy(key, arg, kn);
	key[kn] = '\0';
	const char *value = eq + 1;
	char *dot = strchr(key, '.');
	if (dot != NULL)
		*dot = '\0';
	const json_t *f = zsctl_kv_field(message, key);
	if (f == NULL) {
		char list[2048];
		return kv_fail(err, errlen, "unknown field \"%s\" for %s; its fields: %s", key,
		    json_string_value(json_object_get(message, "name")) ? json_string_value(json_object_get(message, "name")) : "the input",
		    kv_field_list(message, list, sizeof list));
	}
	const char *fname = json_string_value(json_object_get(f, "name"));
	const char *type = json_string_value(json_object_get(f, "type"));
	const char *label = json_string_value(json_object_get(f, "label"));
	if (fname == NULL || type == NULL)
		return kv_fail(err, errlen, "the node described field %s without a name or type", key);
	json_t *v;
	if (dot != NULL) {
		if (strchr("abcdefghijklmnopqrstuvwxyz", type[0]) != NULL && strchr(type, '.') == NULL)
			return kv_fail(err, errlen, "%s: %s is a %s, it has no fields", arg, fname, type);
		const char *rest = dot + 1;
		if (*rest == '\0' || *rest == '.' || rest[strlen(rest) - 1] == '.' || strstr(rest, "..") != NULL)
			return kv_fail(err, errlen, "%s: a dot joins two field names (KEY.FIELD=VALUE)", arg);
		v = kv_untyped(value);
	} else if (label != NULL && strcmp(label, "repeated") == 0) {
		v = kv_list(arg, type, value, err, errlen);
	} else {
		v = kv_value(arg, type, value, err, errlen);
	}
	if (v == NULL)
		return -1;
	return kv_set(body, f, fname, dot != NULL ? dot + 1 : NULL, arg, v, err, errlen);
}

int
zsctl_kv_utf8(int argc, char *const argv[], char *err, size_t errlen)
{
	for (int i = 0; i < argc; i++) {
		json_t *probe = json_string(argv[i]); /* NULL for text that is not UTF-8 */
		if (probe == NULL)
			return kv_fail(err, errlen, "argument %d is not valid UTF-8", i + 1);
		json_decref(probe);
	}
	return 0;
}

int
zsctl_kv_build(const json_t *message, int argc, char *const argv[], json_t **body, char *err,
    size_t errlen)
{
	*body = NULL;
	if (zsctl_kv_utf8(argc, argv, err, errlen) != 0)
		return -1;
	const char *type = json_string_value(json_object_get(message, "name"));
	if (type != NULL && strcmp(type, ZSCTL_QUERY_TYPE) == 0)
		return zsctl_kv_query(argc, argv, body, err, errlen);
	*body = json_object();
	if (*body == NULL)
		return kv_fail(err, errlen, "out of memory");
	for (int i = 0; i < argc; i++) {
		if (kv_one(message, *body, argv[i], err, errlen) != 0) {
			json_decref(*body);
			*body = NULL;
			return -1;
		}
	}
	return 0;
}
