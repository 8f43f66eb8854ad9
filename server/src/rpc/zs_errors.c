/*
 * zs_errors.c: the registry of declared error codes (zs/errors.h): plugins' (registered
 * by the loader from their descriptors) and platform modules'. It gives zs_call_fail a
 * code's description and zs.error.v1.Errors/List its list.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zs/errors.h"
#include "zs_errors.h"

typedef struct errors_entry {
	char *code, *description, *service;
} errors_entry;

/* Entries are only added, never removed before the node goes: their strings stay put. */
struct zs_errors {
	pthread_mutex_t lock;
	errors_entry *entries;
	size_t len, cap;
};

int
zs_errors_new(zs_errors **out)
{
	zs_errors *e = calloc(1, sizeof *e);
	if (e == NULL)
		return ZS_RESOURCE_EXHAUSTED;
	pthread_mutex_init(&e->lock, NULL);
	*out = e;
	return 0;
}

void
zs_errors_free(zs_errors *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->len; i++) {
		free(e->entries[i].code);
		free(e->entries[i].description);
		free(e->entries[i].service);
	}
	free(e->entries);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* PREFIX.ID, each part letters, digits, '_' or '-'. */
static bool
errors_code_ok(const char *code)
{
	const char *dot = code != NULL ? strchr(code, '.') : NULL;
	if (dot == NULL || dot == code || dot[1] == '\0' || strchr(dot + 1, '.') != NULL ||
	    strlen(code) > 64)
		return false;
	for (const char *s = code; *s != '\0'; s++)
		if (s != dot && !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* The entry of code, or NULL. Caller holds e->lock. */
static const errors_entry *
errors_find(const zs_errors *e, const char *code)
{
	for (size_t i = 0; i < e->len; i++)
		if (strcmp(e->entries[i].code, code) == 0)
			return &e->entries[i];
	return NULL;
}

static int
errors_add(zs_errors *e, const char *code, const char *description, const char *service)
{
	if (e->len == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;
		errors_entry *grown = realloc(e->entries, cap * sizeof *grown);
		if (grown == NULL)
			return -1;
		e->entries = grown;
		e->cap = cap;
	}
	errors_entry *n = &e->entries[e->len];
	n->code = strdup(code);
	n->description = strdup(description ? description : "");
	n->service = strdup(service ? service : "node");
	if (n->code == NULL || n->description == NULL || n->service == NULL) {
		free(n->code);
		free(n->description);
		free(n->service);
		return -1;
	}
	e->len++;
	return 0;
}

/* Fails with code and message into *st (when st is not NULL); returns code. */
static int
errors_fail(zs_status **st, int code, const char *service, const char *what, const char *why,
    const char *other)
{
	if (st != NULL)
		*st = zs_status_new(code, NULL, "%s cannot declare error code \"%s\": %s%s",
		    service ? service : "?", what ? what : "", why, other ? other : "");
	return code;
}

int
zs_errors_declare(zs_errors *e, const char *code, const char *description,
    const char *service, zs_status **st)
{
	if (!errors_code_ok(code))
		return errors_fail(st, ZS_INVALID_ARGUMENT, service, code, "it is not PREFIX.ID", NULL);
	pthread_mutex_lock(&e->lock);
	const errors_entry *old = errors_find(e, code);
	char other[64] = "";
	if (old != NULL)
		snprintf(other, sizeof other, "%s", old->service);
	int rv = old == NULL && errors_add(e, code, description, service) != 0 ? -1 : 0;
	pthread_mutex_unlock(&e->lock);
	if (old != NULL)
		return errors_fail(st, ZS_ALREADY_EXISTS, service, code, "it is already declared by ",
		    other);
	if (rv != 0)
		return errors_fail(st, ZS_RESOURCE_EXHAUSTED, service, code, "out of memory", NULL);
	return ZS_OK;
}

const char *
zs_errors_description(zs_errors *e, const char *code)
{
	if (e == NULL || code == NULL)
		return NULL;
	pthread_mutex_lock(&e->lock);
	const errors_entry *found = errors_find(e, code);
	const char *desc = found != NULL ? found->description : NULL;
	pthread_mutex_unlock(&e->lock);
	return desc;
}

/* Every code, borrowed, for sorting. */
typedef struct errors_list {
	errors_entry *items;
	size_t len, cap;
	bool failed;
} errors_list;

static void
errors_list_add(const char *code, const char *description, const char *service, void *arg)
{
	errors_list *l = arg;
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		errors_entry *grown = realloc(l->items, cap * sizeof *grown);
		if (grown == NULL) {
			l->failed = true;
			return;
		}
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->len++] = (errors_entry) { (char *) code, (char *) (description ? description : ""),
		(char *) service };
}

static int
errors_cmp(const void *a, const void *b)
{
	return strcmp(((const errors_entry *) a)->code, ((const errors_entry *) b)->code);
}

void
zs_errors_each(zs_errors *e, void (*fn)(const char *code, const char *description,
    const char *service, void *arg), void *arg)
{
	errors_list l = { 0 };
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->len; i++)
		errors_list_add(e->entries[i].code, e->entries[i].description,
		    e->entries[i].service, &l);
	pthread_mutex_unlock(&e->lock);
	if (l.len > 0)
		qsort(l.items, l.len, sizeof *l.items, errors_cmp);
	for (size_t i = 0; i < l.len; i++)
		fn(l.items[i].code, l.items[i].description, l.items[i].service, arg);
	free(l.items);
}

