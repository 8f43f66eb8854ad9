/*
 * zs_tag_match.h: system tag patterns as text, with no node and no database: checking a
 * pattern, matching a tag against it, reading a token's value, telling whether two
 * patterns can match the same tag, and the SQL LIKE prefilter of a pattern. Internal.
 *
 * A pattern is literal text with tokens: "qemu-img::version::{version}". A token is
 * {identifier} and matches one or more characters whose run holds no "::"; literal text
 * matches itself exactly. Two tokens may not touch ("{a}{b}": where would one end?), and
 * a token name appears once per pattern. When a literal after a token occurs several
 * times, the token takes the shortest value that lets the rest match ("{a}.{b}" on
 * "1.2.3": a = "1", b = "2.3").
 */
#ifndef ZS_TAG_MATCH_H
#define ZS_TAG_MATCH_H

#include <stdbool.h>
#include <stddef.h>

/* Longest tag and longest pattern, in bytes. */
#define ZS_TAG_MAX 1024
#define ZS_TAG_PATTERN_MAX 1024

/* 0 when pattern is well formed; -1 with the reason in err otherwise. */
int zs_tag_pattern_check(const char *pattern, char *err, size_t errlen);
/* True when pattern holds at least one {token}. */
bool zs_tag_pattern_has_tokens(const char *pattern);
/* True when pattern holds the token {name}. */
bool zs_tag_pattern_has_token(const char *pattern, const char *name);

/* 0 when tag is acceptable text for a tag: 1..ZS_TAG_MAX bytes, no control characters
 * (C0, DEL, C1); -1 with the reason in err otherwise. */
int zs_tag_text_check(const char *tag, char *err, size_t errlen);

/* True when the well-formed pattern matches all of tag. */
bool zs_tag_match(const char *pattern, const char *tag);

/* The value of token name in tag matched by pattern, copied into buf (NUL-terminated).
 * 0; -1 when pattern does not match tag or has no such token; -2 when buf is too small
 * (*need, when not NULL, gets the size needed). */
int zs_tag_match_token(const char *pattern, const char *tag, const char *name, char *buf,
    size_t len, size_t *need);

/* True when some tag matches both well-formed patterns; the shortest such tag is written
 * to witness (truncated to wlen, may be NULL). */
bool zs_tag_patterns_overlap(const char *a, const char *b, char *witness, size_t wlen);

/* The SQL LIKE expression (backslash escapes) every tag pattern matches is also matched
 * by: literals escaped, each token '%'. Caller frees; NULL when out of memory. */
char *zs_tag_pattern_like(const char *pattern);

#endif
