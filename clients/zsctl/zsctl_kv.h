/*
 * zsctl_kv.h: the ZStack-style command line as a request body, with no node needed:
 * `name=zone1 description=x` into the input message's proto3 JSON (typed from the
 * reflection's field list), query tokens (`name~=web% sort=-name limit=10`) into a
 * zs.resource.v1.QueryRequest, and the edit distance behind "did you mean".
 * Pure functions on jansson values: the fuzz target and the unit test call them as
 * zsctl does.
 */
#ifndef ZSCTL_KV_H
#define ZSCTL_KV_H

#include <stddef.h>

#include <jansson.h>

#define ZSCTL_QUERY_TYPE "zs.resource.v1.QueryRequest"

/* Builds *body (caller owns) from argv (key=value pairs) for the message described by
 * message, a reflection MessageInfo ({"name", "fields": [{"name", "type", "label"}]}).
 * Keys are proto names or lowerCamel JSON names, "a.b" reaches into a message field;
 * values are converted by the field's type (numbers, booleans, enums by name or number,
 * repeated fields as comma lists, messages as JSON). When the message is a QueryRequest
 * the query syntax applies (zsctl_kv_query). Returns 0, or -1 with a message in err
 * that says which argument was wrong and why. */
int zsctl_kv_build(const json_t *message, int argc, char *const argv[], json_t **body,
    char *err, size_t errlen);

/* The query syntax into a QueryRequest body: NAME OP VALUE with OP one of = != > >= < <=
 * ?= (in) !?= (not in) ~= (like) !~= (not like); "NAME is null", "NAME not null" (one
 * argument or three); the reserved keys limit, start, count, replyWithCount, sort
 * (+name, -name) and fields. Names in lowerCamel become snake_case. */
int zsctl_kv_query(int argc, char *const argv[], json_t **body, char *err, size_t errlen);

/* 0 when every argument is valid UTF-8 (JSON carries nothing else), else -1 with err
 * naming the first that is not. */
int zsctl_kv_utf8(int argc, char *const argv[], char *err, size_t errlen);

/* "create_date" -> "createDate" into buf; buf. */
const char *zsctl_kv_camel(const char *proto_name, char *buf, size_t len);
/* "createDate" -> "create_date" into buf; buf. */
const char *zsctl_kv_snake(const char *name, char *buf, size_t len);

/* The field of message named key (proto or JSON name), or NULL. */
const json_t *zsctl_kv_field(const json_t *message, const char *key);

/* Levenshtein distance of a and b, case-insensitive, capped at 255 characters each. */
size_t zsctl_kv_distance(const char *a, const char *b);

#endif
