/* zs_tag_match.c: system tag patterns as text: checking, matching, token values, overlap
 * between two patterns, LIKE prefilters. Pure functions: no node, no database. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs_tag_match.h"

/* One piece of a pattern: literal text, or a token (text is then its name). */
typedef struct tag_seg {
	const char *text;
	size_t len;
	bool token;
} tag_seg;

typedef struct tag_parsed {
	tag_seg *segs;
	size_t n;
} tag_parsed;

static bool
tag_ident_start(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool
tag_ident_char(int c)
{
	return tag_ident_start(c) || (c >= '0' && c <= '9');
}

/* Length of the {token} at p ('{' included, '}' included), or 0 when it is not one. */
static size_t
tag_token_len(const char *p)
{
	size_t i = 1;
	if (!tag_ident_start((unsigned char) p[i]))
		return 0;
	while (tag_ident_char((unsigned char) p[i]))
		i++;
	return p[i] == '}' ? i + 1 : 0;
}

static bool
tag_seg_dup_name(const tag_parsed *tp, const char *name, size_t len)
{
	for (size_t i = 0; i < tp->n; i++)
		if (tp->segs[i].token && tp->segs[i].len == len && memcmp(tp->segs[i].text, name, len) == 0)
			return true;
	return false;
}

/* Checks one character of literal text at pattern[i]; 0 or -1 with err. */
static int
tag_literal_char(const char *pattern, size_t i, char *err, size_t errlen)
{
	unsigned char c = (unsigned char) pattern[i];
	if (c == '}') {
		snprintf(err, errlen, "'}' at offset %zu closes no {token}", i);
		return -1;
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(err, errlen, "control character 0x%02x at offset %zu", c, i);
		return -1;
	}
	return 0;
}

/* Adds the {token} at pattern + i to tp; 0 or -1 with err. *used gets its length. */
static int
tag_parse_token(tag_parsed *tp, const char *pattern, size_t i, size_t *used, char *err,
    size_t errlen)
{
	size_t tl = tag_token_len(pattern + i);
	if (tl == 0) {
		snprintf(err, errlen, "'{' at offset %zu opens no {token} (an identifier, then '}')", i);
		return -1;
	}
	if (tp->n > 0 && tp->segs[tp->n - 1].token) {
		snprintf(err, errlen, "tokens touch at offset %zu: put literal text between them", i);
		return -1;
	}
	if (tag_seg_dup_name(tp, pattern + i + 1, tl - 2)) {
		snprintf(err, errlen, "token {%.*s} appears twice", (int) (tl - 2), pattern + i + 1);
		return -1;
	}
	tp->segs[tp->n++] = (tag_seg) { pattern + i + 1, tl - 2, true };
	*used = tl;
	return 0;
}

/* Splits pattern into segments (tp->segs is the caller's to free); 0 or -1 with err. */
static int
tag_parse(const char *pattern, tag_parsed *tp, char *err, size_t errlen)
{
	tp->segs = NULL;
	tp->n = 0;
	size_t plen = pattern != NULL ? strlen(pattern) : 0;
	if (plen == 0 || plen > ZS_TAG_PATTERN_MAX) {
		snprintf(err, errlen, plen == 0 ? "a pattern cannot be empty" :
		    "a pattern is at most %d bytes", ZS_TAG_PATTERN_MAX);
		return -1;
	}
	if ((tp->segs = calloc(plen, sizeof *tp->segs)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < plen;) {
		size_t used = 1;
		if (pattern[i] == '{') {
			if (tag_parse_token(tp, pattern, i, &used, err, errlen) != 0)
				goto fail;
		} else if (tag_literal_char(pattern, i, err, errlen) != 0) {
			goto fail;
		} else if (tp->n > 0 && !tp->segs[tp->n - 1].token) {
			tp->segs[tp->n - 1].len++;
		} else {
			tp->segs[tp->n++] = (tag_seg) { pattern + i, 1, false };
		}
		i += used;
	}
	return 0;
fail:
	free(tp->segs);
	tp->segs = NULL;
	return -1;
}

int
zs_tag_pattern_check(const char *pattern, char *err, size_t errlen)
{
	tag_parsed tp;
	if (tag_parse(pattern, &tp, err, errlen) != 0)
		return -1;
	free(tp.segs);
	return 0;
}

bool
zs_tag_pattern_has_tokens(const char *pattern)
{
	for (const char *p = strchr(pattern, '{'); p != NULL; p = strchr(p + 1, '{'))
		if (tag_token_len(p) > 0)
			return true;
	return false;
}

bool
zs_tag_pattern_has_token(const char *pattern, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = strchr(pattern, '{'); p != NULL; p = strchr(p + 1, '{'))
		if (tag_token_len(p) == nl + 2 && memcmp(p + 1, name, nl) == 0)
			return true;
	return false;
}

int
zs_tag_text_check(const char *tag, char *err, size_t errlen)
{
	size_t len = tag != NULL ? strlen(tag) : 0;
	if (len == 0 || len > ZS_TAG_MAX) {
		snprintf(err, errlen, len == 0 ? "a tag cannot be empty" : "a tag is at most %d bytes",
		    ZS_TAG_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) tag[i], n = (unsigned char) tag[i + 1];
		if (c < 0x20 || c == 0x7f || (c == 0xc2 && n >= 0x80 && n <= 0x9f)) {
			snprintf(err, errlen, "a tag cannot hold control characters (one at offset %zu)", i);
			return -1;
		}
	}
	return 0;
}

/* ---- matching: memoized backtracking over segments ---- */

typedef struct tag_matcher {
	const tag_parsed *tp;
	const char *tag;
	size_t len;
	unsigned char *failed;    /* [seg * (len + 1) + pos]: known not to match from there */
	size_t *start, *end;      /* per segment: the span it matched */
} tag_matcher;

static bool tag_match_from(tag_matcher *m, size_t seg, size_t pos);

/* Tries every value of the token at seg starting at pos, shortest first. */
static bool
tag_match_token(tag_matcher *m, size_t seg, size_t pos)
{
	for (size_t end = pos + 1; end <= m->len; end++) {
		if (end - pos >= 2 && m->tag[end - 1] == ':' && m->tag[end - 2] == ':')
			return false;   /* a token's value holds no "::" */
		if (tag_match_from(m, seg + 1, end)) {
			m->start[seg] = pos;
			m->end[seg] = end;
			return true;
		}
	}
	return false;
}

static bool
tag_match_from(tag_matcher *m, size_t seg, size_t pos)
{
	if (seg == m->tp->n)
		return pos == m->len;
	unsigned char *memo = &m->failed[seg * (m->len + 1) + pos];
	if (*memo)
		return false;
	const tag_seg *s = &m->tp->segs[seg];
	bool ok;
	if (s->token) {
		ok = tag_match_token(m, seg, pos);
	} else {
		ok = m->len - pos >= s->len && memcmp(m->tag + pos, s->text, s->len) == 0 &&
		    tag_match_from(m, seg + 1, pos + s->len);
		if (ok) {
			m->start[seg] = pos;
			m->end[seg] = pos + s->len;
		}
	}
	if (!ok)
		*memo = 1;
	return ok;
}

/* Matches tag against the parsed pattern; on success start/end hold each segment's
 * span. -1 when out of memory, 0 no match, 1 match. */
static int
tag_run(const tag_parsed *tp, const char *tag, size_t *start, size_t *end)
{
	tag_matcher m = { tp, tag, strlen(tag), NULL, start, end };
	m.failed = calloc(tp->n * (m.len + 1) + 1, 1);
	if (m.failed == NULL)
		return -1;
	int rv = tag_match_from(&m, 0, 0) ? 1 : 0;
	free(m.failed);
	return rv;
}

/* Parses pattern and matches tag; spans are the caller's to free. 1 match, 0 or -1 not. */
static int
tag_match_spans(const char *pattern, const char *tag, tag_parsed *tp, size_t **start,
    size_t **end)
{
	char err[128];
	if (tag == NULL || tag_parse(pattern, tp, err, sizeof err) != 0)
		return -1;
	*start = calloc(tp->n, sizeof **start);
	*end = calloc(tp->n, sizeof **end);
	int rv = *start != NULL && *end != NULL ? tag_run(tp, tag, *start, *end) : -1;
	if (rv != 1) {
		free(tp->segs);
		free(*start);
		free(*end);
	}
	return rv;
}

bool
zs_tag_match(const char *pattern, const char *tag)
{
	tag_parsed tp;
	size_t *start, *end;
	if (tag_match_spans(pattern, tag, &tp, &start, &end) != 1)
		return false;
	free(tp.segs);
	free(start);
	free(end);
	return true;
}

int
zs_tag_match_token(const char *pattern, const char *tag, const char *name, char *buf,
    size_t len, size_t *need)
{
	tag_parsed tp;
	size_t *start, *end;
	if (tag_match_spans(pattern, tag, &tp, &start, &end) != 1)
		return -1;
	int rv = -1;
	size_t nl = strlen(name);
	for (size_t i = 0; i < tp.n && rv == -1; i++) {
		if (!tp.segs[i].token || tp.segs[i].len != nl || memcmp(tp.segs[i].text, name, nl) != 0)
			continue;
		size_t vl = end[i] - start[i];
		if (need != NULL)
			*need = vl + 1;
		rv = vl < len ? 0 : -2;
		if (rv == 0) {
			memcpy(buf, tag + start[i], vl);
			buf[vl] = '\0';
		}
	}
	free(tp.segs);
	free(start);
	free(end);
	return rv;
}

/* ---- overlap: is the intersection of two patterns' languages empty? ----
 * Each pattern becomes an automaton: one state per literal character, three per token
 * (T0: nothing read yet; T1: read some, last not ':'; T2: read some, last ':'), and a
 * final state. A breadth-first walk over pairs of states, reading the same character on
 * both sides (or leaving a token on one side), finds a common tag if there is one. */

enum { TAG_ST_CHAR, TAG_ST_T0, TAG_ST_T1, TAG_ST_T2 };
#define TAG_DEAD SIZE_MAX

typedef struct tag_state {
	int kind;
	unsigned char ch;    /* TAG_ST_CHAR */
	size_t base;         /* tokens: index of T0 */
} tag_state;

typedef struct tag_nfa {
	tag_state *st;
	size_t n;            /* states; n itself is the final state */
} tag_nfa;

static int
tag_nfa_build(const char *pattern, tag_nfa *a)
{
	tag_parsed tp;
	char err[128];
	if (tag_parse(pattern, &tp, err, sizeof err) != 0)
		return -1;
	a->n = 0;
	a->st = calloc(strlen(pattern) * 3 + 1, sizeof *a->st);
	for (size_t i = 0; a->st != NULL && i < tp.n; i++) {
		const tag_seg *s = &tp.segs[i];
		if (s->token) {
			for (int k = 0; k < 3; k++)
				a->st[a->n + (size_t) k] = (tag_state) { TAG_ST_T0 + k, 0, a->n };
			a->n += 3;
		} else {
			for (size_t k = 0; k < s->len; k++)
				a->st[a->n++] = (tag_state) { TAG_ST_CHAR, (unsigned char) s->text[k], 0 };
		}
	}
	free(tp.segs);
	return a->st != NULL ? 0 : -1;
}

/* The state after reading c in state s, or TAG_DEAD. */
static size_t
tag_nfa_step(const tag_nfa *a, size_t s, unsigned char c)
{
	if (s >= a->n)
		return TAG_DEAD;
	const tag_state *t = &a->st[s];
	switch (t->kind) {
	case TAG_ST_CHAR:
		return c == t->ch ? s + 1 : TAG_DEAD;
	case TAG_ST_T2:
		return c == ':' ? TAG_DEAD : t->base + 1;
	default:
		return c == ':' ? t->base + 2 : t->base + 1;
	}
}

/* The state reached by leaving a token from s without reading, or TAG_DEAD. */
static size_t
tag_nfa_leave(const tag_nfa *a, size_t s)
{
	if (s >= a->n || (a->st[s].kind != TAG_ST_T1 && a->st[s].kind != TAG_ST_T2))
		return TAG_DEAD;
	return a->st[s].base + 3;
}

/* The characters worth trying: those of both patterns' literals, ':' and one other. */
static size_t
tag_alphabet(const tag_nfa *a, const tag_nfa *b, unsigned char out[256])
{
	bool used[256] = { false };
	used[':'] = true;
	for (size_t i = 0; i < a->n; i++)
		if (a->st[i].kind == TAG_ST_CHAR)
			used[a->st[i].ch] = true;
	for (size_t i = 0; i < b->n; i++)
		if (b->st[i].kind == TAG_ST_CHAR)
			used[b->st[i].ch] = true;
	size_t n = 0;
	for (int c = 1; c < 256; c++)
		if (used[c])
			out[n++] = (unsigned char) c;
	for (int c = 'x', tries = 0; tries < 0x5e; tries++, c = c == 0x7e ? 0x21 : c + 1)
		if (!used[c]) {
			out[n++] = (unsigned char) c;
			break;
		}
	return n;
}

typedef struct tag_walk {
	const tag_nfa *a, *b;
	size_t width;             /* b->n + 1 */
	size_t *parent;           /* pair -> previous pair, TAG_DEAD when unseen */
	short *via;               /* character read to get here, -1 when none */
	size_t *queue;
	size_t head, tail;
} tag_walk;

static void
tag_walk_visit(tag_walk *w, size_t from, size_t sa, size_t sb, int c)
{
	if (sa == TAG_DEAD || sb == TAG_DEAD)
		return;
	size_t p = sa * w->width + sb;
	if (w->parent[p] != TAG_DEAD)
		return;
	w->parent[p] = from;
	w->via[p] = (short) c;
	w->queue[w->tail++] = p;
}

/* Writes the characters read on the way to pair p into witness. */
static void
tag_walk_witness(const tag_walk *w, size_t p, char *witness, size_t wlen)
{
	size_t n = 0;
	for (size_t q = p; w->parent[q] != q; q = w->parent[q])
		if (w->via[q] >= 0)
			n++;
	char *s = malloc(n + 1);
	if (s == NULL) {
		snprintf(witness, wlen, "?");
		return;
	}
	s[n] = '\0';
	for (size_t q = p; w->parent[q] != q; q = w->parent[q])
		if (w->via[q] >= 0)
			s[--n] = (char) w->via[q];
	snprintf(witness, wlen, "%s", s);
	free(s);
}

static bool
tag_walk_run(tag_walk *w, const unsigned char *alpha, size_t nalpha, char *witness, size_t wlen)
{
	size_t final = w->a->n * w->width + w->b->n;
	w->parent[0] = 0;
	w->via[0] = -1;
	w->queue[w->tail++] = 0;
	while (w->head < w->tail) {
		size_t p = w->queue[w->head++], sa = p / w->width, sb = p % w->width;
		if (p == final) {
			if (witness != NULL && wlen > 0)
				tag_walk_witness(w, p, witness, wlen);
			return true;
		}
		tag_walk_visit(w, p, tag_nfa_leave(w->a, sa), sb, -1);
		tag_walk_visit(w, p, sa, tag_nfa_leave(w->b, sb), -1);
		for (size_t i = 0; i < nalpha; i++)
			tag_walk_visit(w, p, tag_nfa_step(w->a, sa, alpha[i]), tag_nfa_step(w->b, sb, alpha[i]),
			    alpha[i]);
	}
	return false;
}

bool
zs_tag_patterns_overlap(const char *a, const char *b, char *witness, size_t wlen)
{
	tag_nfa na = { NULL, 0 }, nb = { NULL, 0 };
	bool overlap = false;
	if (tag_nfa_build(a, &na) == 0 && tag_nfa_build(b, &nb) == 0) {
		unsigned char alpha[256];
		size_t nalpha = tag_alphabet(&na, &nb, alpha);
		size_t pairs = (na.n + 1) * (nb.n + 1);
		tag_walk w = { &na, &nb, nb.n + 1, malloc(pairs * sizeof(size_t)),
		    malloc(pairs * sizeof(short)), malloc(pairs * sizeof(size_t)), 0, 0 };
		if (w.parent != NULL && w.via != NULL && w.queue != NULL) {
			memset(w.parent, 0xff, pairs * sizeof(size_t));
			overlap = tag_walk_run(&w, alpha, nalpha, witness, wlen);
		}
		free(w.parent);
		free(w.via);
		free(w.queue);
	}
	free(na.st);
	free(nb.st);
	return overlap;
}

char *
zs_tag_pattern_like(const char *pattern)
{
	tag_parsed tp;
	char err[128];
	if (tag_parse(pattern, &tp, err, sizeof err) != 0)
		return NULL;
	char *out = malloc(strlen(pattern) * 2 + 1), *o = out;
	for (size_t i = 0; out != NULL && i < tp.n; i++) {
		const tag_seg *s = &tp.segs[i];
		if (s->token) {
			*o++ = '%';
			continue;
		}
		for (size_t k = 0; k < s->len; k++) {
			if (s->text[k] == '%' || s->text[k] == '_' || s->text[k] == '\\')
				*o++ = '\\';
			*o++ = s->text[k];
		}
	}
	if (out != NULL)
		*o = '\0';
	free(tp.segs);
	return out;
}
