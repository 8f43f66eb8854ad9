/*
 * tag_match_test.c: unit cases for zs_tag_match.c (no node, no database): pattern
 * syntax, tag text rules, matching, token values, LIKE prefilters, and overlap between
 * patterns, the last also checked against brute force on random small patterns.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zs_tag_match.h"
#include "zst_check.h"

static void
test_pattern_syntax(void)
{
	static const char *good[] = { "qemu-img::version::{version}", "a", "{x}", "{a}::{b}",
		"capability::liveSnapshot", "{_x9}.{Y}", "cpu::{model}::cores::{cores}" };
	static const char *bad[] = { "", "{", "{}", "{1a}", "a}", "{a}{b}", "{a}::{a}", "a{b c}",
		"a\x01", "{a-b}", "x{" };
	char err[256];
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		ZST_CHECK(zs_tag_pattern_check(good[i], err, sizeof err) == 0, "pattern \"%s\" is well formed",
		    good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = '\0';
		ZST_CHECK(zs_tag_pattern_check(bad[i], err, sizeof err) != 0 && err[0] != '\0',
		    "pattern \"%s\" is refused: %s", bad[i], err);
	}
	char *longp = malloc(ZS_TAG_PATTERN_MAX + 2);
	memset(longp, 'p', ZS_TAG_PATTERN_MAX + 1);
	longp[ZS_TAG_PATTERN_MAX + 1] = '\0';
	ZST_CHECK(zs_tag_pattern_check(longp, err, sizeof err) != 0, "a pattern over %d bytes is refused",
	    ZS_TAG_PATTERN_MAX);
	free(longp);
	ZST_CHECK(zs_tag_pattern_has_tokens("a::{b}") && !zs_tag_pattern_has_tokens("a::b") &&
	    !zs_tag_pattern_has_tokens("a{ b}"), "has_tokens tells patterns from plain tags");
	ZST_CHECK(zs_tag_pattern_has_token("a::{b}::{cd}", "cd") && !zs_tag_pattern_has_token("a::{b}", "c") &&
	    !zs_tag_pattern_has_token("a::{bc}", "b"), "has_token finds a token by its whole name");
}

static void
test_text(void)
{
	char err[256];
	ZST_CHECK(zs_tag_text_check("env::prod", err, sizeof err) == 0, "a plain tag is fine");
	ZST_CHECK(zs_tag_text_check("caf\xc3\xa9 au lait, {x}", err, sizeof err) == 0,
	    "UTF-8, spaces and braces are fine in a tag");
	ZST_CHECK(zs_tag_text_check("", err, sizeof err) != 0, "an empty tag is refused");
	ZST_CHECK(zs_tag_text_check("a\tb", err, sizeof err) != 0, "a tab is refused: %s", err);
	ZST_CHECK(zs_tag_text_check("a\x7f", err, sizeof err) != 0, "DEL is refused");
	ZST_CHECK(zs_tag_text_check("a\xc2\x85", err, sizeof err) != 0, "a C1 control (U+0085) is refused");
	char *t = malloc(ZS_TAG_MAX + 2);
	memset(t, 'x', ZS_TAG_MAX);
	t[ZS_TAG_MAX] = '\0';
	ZST_CHECK(zs_tag_text_check(t, err, sizeof err) == 0, "a tag of %d bytes is fine", ZS_TAG_MAX);
	t[ZS_TAG_MAX] = 'x';
	t[ZS_TAG_MAX + 1] = '\0';
	ZST_CHECK(zs_tag_text_check(t, err, sizeof err) != 0, "a tag of %d bytes is refused", ZS_TAG_MAX + 1);
	free(t);
}

static void
test_match(void)
{
	static const struct {
		const char *pattern, *tag;
		bool match;
	} cases[] = {
		{ "qemu-img::version::{version}", "qemu-img::version::2.12.0", true },
		{ "qemu-img::version::{version}", "qemu-img::version::", false },
		{ "qemu-img::version::{version}", "qemu-img::version::2::3", false },
		{ "qemu-img::version::{version}", "qemu-img::version::2:3", true },
		{ "qemu-img::version::{version}", "Qemu-img::version::2", false },
		{ "qemu-img::version::{version}", "qemu-img::version", false },
		{ "qemu-img::version::{version}", "xqemu-img::version::2", false },
		{ "capability::liveSnapshot", "capability::liveSnapshot", true },
		{ "capability::liveSnapshot", "capability::liveSnapshotX", false },
		{ "{x}", "a::b", false },
		{ "{x}", "a:b", true },
		{ "{x}:b", "a::b", true },
		{ "cpu::{model}::cores::{cores}", "cpu::Xeon E5::cores::16", true },
		{ "cpu::{model}::cores::{cores}", "cpu::Xeon::E5::cores::16", false },
		{ "{a}.{b}", "1.2.3", true },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ZST_CHECK(zs_tag_match(cases[i].pattern, cases[i].tag) == cases[i].match, "%s %s \"%s\"",
		    cases[i].pattern, cases[i].match ? "matches" : "does not match", cases[i].tag);

	/* backtracking stays bounded on a long tag that cannot match */
	char *t = malloc(ZS_TAG_MAX + 1);
	memset(t, 'a', ZS_TAG_MAX);
	t[ZS_TAG_MAX] = '\0';
	clock_t t0 = clock();
	bool m = zs_tag_match("{w}a{x}a{y}a{z}b", t);
	double s = (double) (clock() - t0) / CLOCKS_PER_SEC;
	ZST_CHECK(!m && s < 2.0, "a %d-byte tag against four tokens: no match in %.3f s", ZS_TAG_MAX, s);
	free(t);
}

static void
test_tokens(void)
{
	char buf[64];
	size_t need = 0;
	ZST_CHECK(zs_tag_match_token("qemu-img::version::{version}", "qemu-img::version::2.12.0", "version",
	    buf, sizeof buf, NULL) == 0 && strcmp(buf, "2.12.0") == 0, "version of qemu-img::version::2.12.0"
	    " is \"%s\"", buf);
	ZST_CHECK(zs_tag_match_token("{a}.{b}", "1.2.3", "a", buf, sizeof buf, NULL) == 0 &&
	    strcmp(buf, "1") == 0, "{a}.{b} on 1.2.3: a is the shortest value, \"%s\"", buf);
	ZST_CHECK(zs_tag_match_token("{a}.{b}", "1.2.3", "b", buf, sizeof buf, NULL) == 0 &&
	    strcmp(buf, "2.3") == 0, "{a}.{b} on 1.2.3: b is the rest, \"%s\"", buf);
	ZST_CHECK(zs_tag_match_token("cpu::{model}::cores::{cores}", "cpu::Xeon E5::cores::16", "model",
	    buf, sizeof buf, NULL) == 0 && strcmp(buf, "Xeon E5") == 0, "model is \"%s\"", buf);
	ZST_CHECK(zs_tag_match_token("cpu::{model}::cores::{cores}", "cpu::Xeon E5::cores::16", "cores",
	    buf, sizeof buf, NULL) == 0 && strcmp(buf, "16") == 0, "cores is \"%s\"", buf);
	ZST_CHECK(zs_tag_match_token("a::{v}", "a::12345", "v", buf, 5, &need) == -2 && need == 6,
	    "a buffer too small is -2 and says how much is needed (%zu)", need);
	ZST_CHECK(zs_tag_match_token("a::{v}", "a::1", "w", buf, sizeof buf, NULL) == -1,
	    "a token the pattern lacks is -1");
	ZST_CHECK(zs_tag_match_token("a::{v}", "b::1", "v", buf, sizeof buf, NULL) == -1,
	    "a tag the pattern does not match is -1");
}

static void
test_like(void)
{
	char *l = zs_tag_pattern_like("qemu-img::version::{v}");
	ZST_CHECK(l != NULL && strcmp(l, "qemu-img::version::%") == 0, "LIKE of qemu-img::version::{v} "
	    "is %s", l ? l : "(null)");
	free(l);
	l = zs_tag_pattern_like("a_b%c\\{x}::{y}");
	ZST_CHECK(l != NULL && strcmp(l, "a\\_b\\%c\\\\%::%") == 0, "LIKE escapes _ %% and \\: %s",
	    l ? l : "(null)");
	free(l);
}

static void
overlap_case(const char *a, const char *b, bool want)
{
	char w[256] = "";
	bool got = zs_tag_patterns_overlap(a, b, w, sizeof w);
	bool sym = zs_tag_patterns_overlap(b, a, NULL, 0);
	bool witness_ok = !got || (zs_tag_match(a, w) && zs_tag_match(b, w));
	ZST_CHECK(got == want && sym == want && witness_ok, "%s and %s %s%s%s%s", a, b,
	    want ? "overlap" : "do not overlap", got ? " (both match \"" : "", got ? w : "",
	    got ? "\")" : "");
}

static void
test_overlap(void)
{
	overlap_case("qemu-img::version::{version}", "qemu-img::{what}::{v}", true);
	overlap_case("qemu-img::version::{version}", "libvirt::version::{version}", false);
	overlap_case("qemu-img::version::{version}", "qemu-img::version::{v}", true);
	overlap_case("{a}", "b::c", false);
	overlap_case("{a}", "bc", true);
	overlap_case("a::{x}", "{y}::b", true);
	overlap_case("a{x}", "{y}b", true);
	overlap_case("x::{v}", "x::{v}::y", false);
	overlap_case("{a}:", ":{b}", true);
	overlap_case("cpu::{model}::cores::{cores}", "tagtest::quota::{value}", false);
	overlap_case("capability::liveSnapshot", "capability::{name}", true);
	overlap_case("capability::liveSnapshot", "capability::hotplug", false);
}

/* Random patterns over {a, :, {t}} against every string up to 7 characters of "a:b". */
static void
random_pattern(char *out, unsigned *seed)
{
	size_t n = 0;
	int pieces = 1 + (int) (rand_r(seed) % 4), tokens = 0;
	bool last_token = false;
	for (int i = 0; i < pieces; i++) {
		int k = (int) (rand_r(seed) % 3);
		if (k == 2 && !last_token) {
			n += (size_t) sprintf(out + n, "{t%d}", tokens++);
			last_token = true;
		} else {
			out[n++] = k == 0 ? 'a' : ':';
			last_token = false;
		}
	}
	out[n] = '\0';
}

static bool
brute_overlap(const char *a, const char *b)
{
	static const char alpha[] = "a:b";
	char s[8];
	for (int len = 1; len <= 7; len++) {
		int total = 1;
		for (int i = 0; i < len; i++)
			total *= 3;
		for (int x = 0; x < total; x++) {
			int v = x;
			for (int i = 0; i < len; i++, v /= 3)
				s[i] = alpha[v % 3];
			s[len] = '\0';
			if (zs_tag_match(a, s) && zs_tag_match(b, s))
				return true;
		}
	}
	return false;
}

static void
test_overlap_random(void)
{
	unsigned seed = 12345;
	int disagree = 0, cases = 400;
	char first[256] = "";
	for (int i = 0; i < cases; i++) {
		char a[64], b[64], w[64];
		random_pattern(a, &seed);
		random_pattern(b, &seed);
		bool fast = zs_tag_patterns_overlap(a, b, w, sizeof w);
		bool slow = brute_overlap(a, b);
		/* brute force only sees short tags: it may miss an overlap, never invent one */
		bool ok = fast ? zs_tag_match(a, w) && zs_tag_match(b, w) && (slow || strlen(w) > 7)
		               : !slow;
		if (!ok && disagree++ == 0)
			snprintf(first, sizeof first, "%s vs %s: fast %d, brute %d", a, b, fast, slow);
	}
	ZST_CHECK(disagree == 0, "overlap agrees with brute force on %d random pattern pairs%s%s", cases,
	    disagree ? "; first disagreement: " : "", first);
}

int
main(void)
{
	zst_check_init("tag_match");
	zst_check_verbose(true);
	test_pattern_syntax();
	test_text();
	test_match();
	test_tokens();
	test_like();
	test_overlap();
	test_overlap_random();
	return zst_check_summary();
}
