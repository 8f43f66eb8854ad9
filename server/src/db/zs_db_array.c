/* zs_db_array.c: zs_db_text_array, a list of texts as one text[] parameter, so that a
 * query about many rows is one statement (= ANY($1::text[]), unnest($1::text[])). */
#include <stdlib.h>
#include <string.h>

#include "zs/db.h"

char *
zs_db_text_array(const char *const *items, size_t n)
{
	size_t cap = 3;   /* {, }, NUL */
	for (size_t i = 0; i < n; i++)
		cap += 2 * strlen(items[i] != NULL ? items[i] : "") + 3;   /* quotes, comma, escapes */
	char *buf = malloc(cap), *w = buf;
	if (buf == NULL)
		return NULL;
	*w++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			*w++ = ',';
		*w++ = '"';
		for (const char *s = items[i] != NULL ? items[i] : ""; *s; s++) {
			if (*s == '"' || *s == '\\')
				*w++ = '\\';
			*w++ = *s;
		}
		*w++ = '"';
	}
	*w++ = '}';
	*w = '\0';
	return buf;
}
