/*
 * fuzz_tag_pattern.c: fuzzes system tag patterns (server/src/platform/tag/zs_tag_match.c).
 * The input is two patterns and a tag, one per line: PATTERN, TAG, OTHER PATTERN. Beyond
 * not crashing, what the functions promise each other is checked:
 *   - a tag a pattern matches also matches the pattern's SQL LIKE prefilter;
 *   - each token of a pattern has a value in a tag it matches;
 *   - a pattern overlaps itself, and the witness of an overlap matches both patterns.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "zs_fuzz.h"
#include "zs_tag_match.h"

/* SQL LIKE with backslash escapes: '%' any run, '_' one byte. */
static bool
like(const char *p, const char *s)
{
	for (; *p != '\0'; p++, s++) {
		if (*p == '%') {
			while (p[1] == '%')
				p++;
			for (const char *t = s; ; t++) {
				if (like(p + 1, t))
					return true;
				if (*t == '\0')
					return false;
			}
		}
		if (*s == '\0')
			return false;
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '_')
			continue;
		if (*p != *s)
			return false;
	}
	return *s == '\0';
}

/* Checks every {token} of pattern has a value in tag, which pattern matches. */
static void
check_tokens(const char *pattern, const char *tag)
{
	for (const char *p = strchr(pattern, '{'); p != NULL; p = strchr(p + 1, '{')) {
		const char *end = strchr(p, '}');
		if (end == NULL)
			break;
		char name[ZS_TAG_PATTERN_MAX + 1];
		size_t n = (size_t) (end - p - 1);
		memcpy(name, p + 1, n);
		name[n] = '\0';
		if (!zs_tag_pattern_has_token(pattern, name))
			continue;
		char value[ZS_TAG_MAX + 1];
		size_t need = 0;
		int rc = zs_tag_match_token(pattern, tag, name, value, sizeof value, &need);
		ZS_FUZZ_ASSERT(rc == 0, "pattern \"%s\" matches \"%s\" but token {%s} has no value (%d)",
		    pattern, tag, name, rc);
		ZS_FUZZ_ASSERT(value[0] != '\0' && strstr(value, "::") == NULL,
		    "token {%s} of \"%s\" in \"%s\" is \"%s\"", name, pattern, tag, value);
		char tiny[2];
		rc = zs_tag_match_token(pattern, tag, name, tiny, sizeof tiny, &need);
		ZS_FUZZ_ASSERT(rc == 0 || (rc == -2 && need == strlen(value) + 1),
		    "token {%s}: %d, need %zu for \"%s\"", name, rc, need, value);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = zs_fuzz_strndup(data, size);
	if (text == NULL)
		return 0;
	char *pattern = text;
	char *tag = zs_fuzz_next_line(pattern);
	char *other = zs_fuzz_next_line(tag);
	(void) zs_fuzz_next_line(other);
	char err[256];

	bool tag_ok = zs_tag_text_check(tag, err, sizeof err) == 0;
	bool other_ok = zs_tag_pattern_check(other, err, sizeof err) == 0;
	if (zs_tag_pattern_check(pattern, err, sizeof err) != 0) {
		free(text);
		return 0;
	}
	(void) zs_tag_pattern_has_tokens(pattern);
	char *sql = zs_tag_pattern_like(pattern);
	ZS_FUZZ_ASSERT(sql != NULL, "no LIKE for \"%s\"", pattern);
	if (tag_ok && zs_tag_match(pattern, tag)) {
		ZS_FUZZ_ASSERT(like(sql, tag), "\"%s\" matches \"%s\" but not its LIKE \"%s\"", tag,
		    pattern, sql);
		check_tokens(pattern, tag);
	}
	char witness[2 * ZS_TAG_PATTERN_MAX + 2];
	witness[0] = '\0';
	ZS_FUZZ_ASSERT(zs_tag_patterns_overlap(pattern, pattern, NULL, 0),
	    "\"%s\" does not overlap itself", pattern);
	if (other_ok && zs_tag_patterns_overlap(pattern, other, witness, sizeof witness)
	    && strlen(witness) < sizeof witness - 1) {
		ZS_FUZZ_ASSERT(zs_tag_match(pattern, witness) && zs_tag_match(other, witness),
		    "\"%s\" and \"%s\" overlap on \"%s\", which one does not match", pattern, other,
		    witness);
	}
	free(sql);
	free(text);
	return 0;
}
