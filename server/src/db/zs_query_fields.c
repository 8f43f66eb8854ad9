/*
 * zs_query_fields.c: finding a query's field by name in a resource's table, as declared
 * ("zone_uuid", "cluster.zone_uuid") or in the lowerCamel form of the JSON mapping
 * ("zoneUuid", "cluster.zoneUuid"), as ZStack's users type them.
 */
#include <ctype.h>
#include <string.h>

#include "zs_query_impl.h"

/* Longest field name looked up. */
#define FIELDS_NAME_MAX 128

/* name with each upper-case letter as '_' and its lower case; false when too long. */
static bool
fields_snake(const char *name, char out[FIELDS_NAME_MAX])
{
	size_t n = 0;
	for (const char *s = name; *s; s++) {
		if (n + 3 > FIELDS_NAME_MAX)
			return false;
		if (isupper((unsigned char) *s)) {
			out[n++] = '_';
			out[n++] = (char) tolower((unsigned char) *s);
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return true;
}

const zs_query_field *
zs_query_field_find(const zs_query_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_fields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	char snake[FIELDS_NAME_MAX];
	if (!fields_snake(name, snake))
		return NULL;
	for (size_t i = 0; i < t->n_fields; i++)
		if (strcmp(t->fields[i].name, snake) == 0)
			return &t->fields[i];
	return NULL;
}
