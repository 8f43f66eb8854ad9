/*
 * zsctl_out.c: how the short commands (zsctl CreateZone name=z1) show a reply: a table
 * (a list of Infos as rows, any other message as one row; times as the node writes them,
 * RFC 3339),
 * JSON with --json, or one field's values with --field NAME, one line per row. The
 * table is printed whether or not stdout is a terminal, as kubectl does: what a person
 * sees is what a pipe gets; scripts ask for --json or --field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zsctl.h"
#include "zsctl_kv.h"

#define OUT_NAME_MAX 256

/* Query's groups (group_by), beside its inventories. */
#define OUT_GROUP_TYPE "zs.resource.v1.QueryGroup"

/* The list of a reply: its output message's one repeated message field (ListZones'
 * zones, Query's inventories; a Query's groups when the reply has them). Its JSON name
 * into key; NULL when there is none. */
static const char *
out_list_field(const json_t *output, const json_t *reply, char *key, size_t len)
{
	const char *found = NULL;
	size_t i, n = 0;
	const json_t *f;
	json_array_foreach(json_object_get(output, "fields"), i, f) {
		const char *type = zsctl_str(f, "type");
		if (strcmp(zsctl_str(f, "label"), "repeated") != 0 || strchr(type, '.') == NULL)
			continue;
		if (strcmp(type, OUT_GROUP_TYPE) == 0) {
			zsctl_kv_camel(zsctl_str(f, "name"), key, len);
			if (json_array_size(json_object_get(reply, key)) > 0)
				return key;
			continue;
		}
		found = zsctl_str(f, "name");
		n++;
	}
	if (n != 1)
		return NULL;
	return zsctl_kv_camel(found, key, len);
}

/* A cell's text (caller frees): scalars as they are, lists of scalars comma-joined,
 * anything else as compact JSON. */
static char *
out_cell(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return strdup("");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_array(v)) {
		size_t i, total = 1;
		const json_t *e;
		json_array_foreach(v, i, e)
			if (!json_is_string(e) && !json_is_number(e))
				return json_dumps(v, JSON_COMPACT);
		json_array_foreach(v, i, e) {
			char *t = out_cell(e);
			total += (t ? strlen(t) : 0) + 1;
			free(t);
		}
		char *s = calloc(1, total);
		json_array_foreach(v, i, e) {
			char *t = out_cell(e);
			if (s != NULL && t != NULL) {
				if (i > 0)
					strcat(s, ",");
				strcat(s, t);
			}
			free(t);
		}
		return s;
	}
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* "createDate" -> "CREATE_DATE", "ownerUuid" -> "OWNER_UUID" */
static void
out_header(const char *key, char *buf, size_t len)
{
	char snake[OUT_NAME_MAX];
	zsctl_kv_snake(key, snake, sizeof snake);
	size_t i;
	for (i = 0; snake[i] != '\0' && i + 1 < len; i++)
		buf[i] = (char) (snake[i] >= 'a' && snake[i] <= 'z' ? snake[i] - 32 : snake[i]);
	buf[i] = '\0';
}

/* Prints rows (objects) under columns (their keys, in order). */
static void
out_table(const json_t *rows, const json_t *columns)
{
	size_t nc = json_array_size(columns), nr = json_array_size(rows);
	char **cells = calloc((nr + 1) * (nc ? nc : 1), sizeof *cells);
	int *width = calloc(nc ? nc : 1, sizeof *width);
	if (cells == NULL || width == NULL) {
		free(cells);
		free(width);
		return;
	}
	for (size_t c = 0; c < nc; c++) {
		char h[OUT_NAME_MAX];
		out_header(json_string_value(json_array_get(columns, c)), h, sizeof h);
		cells[c] = strdup(h);
	}
	for (size_t r = 0; r < nr; r++)
		for (size_t c = 0; c < nc; c++) {
			const char *key = json_string_value(json_array_get(columns, c));
			cells[(r + 1) * nc + c] = out_cell(json_object_get(json_array_get(rows, r), key));
		}
	for (size_t i = 0; i < (nr + 1) * nc; i++) {
		int w = cells[i] != NULL ? (int) strlen(cells[i]) : 0;
		if (w > width[i % nc])
			width[i % nc] = w;
	}
	for (size_t r = 0; r <= nr; r++) {
		for (size_t c = 0; c < nc; c++) {
			const char *t = cells[r * nc + c] != NULL ? cells[r * nc + c] : "";
			if (c + 1 == nc)
				printf("%s\n", t);
			else
				printf("%-*s  ", width[c], t);
		}
	}
	for (size_t i = 0; i < (nr + 1) * nc; i++)
		free(cells[i]);
	free(cells);
	free(width);
}

/* The keys of rows in order of first appearance (a message's JSON keeps its fields'
 * order; proto3 JSON leaves defaults out, so one row may lack a column another has). */
static json_t *
out_columns(const json_t *rows)
{
	json_t *cols = json_array(), *seen = json_object();
	size_t i;
	const json_t *row;
	json_array_foreach(rows, i, row) {
		const char *key;
		const json_t *v;
		json_object_foreach((json_t *) row, key, v) {
			(void) v;
			if (json_object_get(seen, key) == NULL) {
				json_object_set_new(seen, key, json_true());
				json_array_append_new(cols, json_string(key));
			}
		}
	}
	json_decref(seen);
	return cols;
}

/* A single message's columns: its declared fields (all of them, set or not). */
static json_t *
out_message_columns(const json_t *output, const json_t *reply)
{
	json_t *cols = json_array();
	size_t i;
	const json_t *f;
	json_array_foreach(json_object_get(output, "fields"), i, f) {
		char camel[OUT_NAME_MAX];
		json_array_append_new(cols, json_string(zsctl_kv_camel(zsctl_str(f, "name"), camel,
		    sizeof camel)));
	}
	if (json_array_size(cols) == 0) {
		json_decref(cols);
		json_t *one = json_array();
		json_array_append((one), (json_t *) reply);
		cols = out_columns(one);
		json_decref(one);
	}
	return cols;
}

/* --field NAME of one object: proto or JSON name, dotted for nested fields. */
static const json_t *
out_pick(const json_t *obj, const char *name)
{
	char path[OUT_NAME_MAX], *save = NULL;
	snprintf(path, sizeof path, "%s", name);
	const json_t *v = obj;
	for (char *seg = strtok_r(path, ".", &save); seg != NULL && v != NULL;
	     seg = strtok_r(NULL, ".", &save)) {
		char camel[OUT_NAME_MAX];
		const json_t *next = json_object_get(v, seg);
		v = next != NULL ? next : json_object_get(v, zsctl_kv_camel(seg, camel, sizeof camel));
	}
	return v;
}

static void
out_field_line(const json_t *obj, const char *name)
{
	const json_t *v = out_pick(obj, name);
	char *t = out_cell(v);
	printf("%s\n", t != NULL ? t : "");
	free(t);
}

int
zsctl_out_reply(const zsctl_opts *opts, const json_t *method, json_t *reply)
{
	const json_t *output = json_object_get(method, "output");
	char key[OUT_NAME_MAX];
	const char *list = out_list_field(output, reply, key, sizeof key);
	json_t *rows = list != NULL ? json_object_get(reply, list) : NULL;
	if (list != NULL && rows == NULL) {
		rows = json_array(); /* proto3 JSON leaves an empty list out: put it back */
		json_object_set_new(reply, list, rows);
	}
	if (opts->json) {
		zsctl_print_json(reply, 0);
		return ZSCTL_EXIT_OK;
	}
	if (opts->field != NULL) {
		if (rows != NULL && out_pick(reply, opts->field) == NULL) {
			size_t i;
			const json_t *row;
			json_array_foreach(rows, i, row)
				out_field_line(row, opts->field);
		} else {
			out_field_line(reply, opts->field);
		}
		return ZSCTL_EXIT_OK;
	}
	if (rows != NULL) {
		if (json_array_size(rows) == 0) {
			puts("[]");
		} else {
			json_t *cols = out_columns(rows);
			out_table(rows, cols);
			json_decref(cols);
		}
		/* the rest of the message (Query's total) below the rows */
		const char *k;
		json_t *v;
		json_object_foreach(reply, k, v) {
			if (strcmp(k, list) == 0)
				continue;
			char h[OUT_NAME_MAX], *t = out_cell(v);
			out_header(k, h, sizeof h);
			printf("%s: %s\n", h, t != NULL ? t : "");
			free(t);
		}
		return ZSCTL_EXIT_OK;
	}
	json_t *one = json_array(), *cols = out_message_columns(output, reply);
	json_array_append(one, reply);
	if (json_array_size(cols) == 0)
		puts("OK");
	else
		out_table(one, cols);
	json_decref(cols);
	json_decref(one);
	return ZSCTL_EXIT_OK;
}
