/*
 * utf8_test.c: unit tests for the UTF-8 checks (server/src/base/zs_utf8.c): sequence
 * lengths at the edges of each form, and scrubbing, which keeps valid text as it is and
 * turns each stray byte into '?'; and a status message, which is always scrubbed.
 * Prints `utf8: N passed, M failed` and exits non-zero on any failure.
 */
#include <string.h>

#include "zs/status.h"
#include "zs_utf8.h"
#include "zst_check.h"

static void
len_is(const char *s, size_t want)
{
	size_t n = zs_utf8_len((const unsigned char *) s);
	ZST_CHECK(n == want, "sequence at \"%s\" is %zu bytes (got %zu)", s, want, n);
}

static void
scrubs(const char *in, const char *want)
{
	char buf[64];
	strcpy(buf, in);
	zs_utf8_scrub(buf);
	ZST_CHECK(strcmp(buf, want) == 0, "\"%s\" scrubs to \"%s\" (got \"%s\")", in, want, buf);
}

int
main(void)
{
	zst_check_init("utf8");
	len_is("a", 1);
	len_is("\xc3\xa9", 2);
	len_is("\xe2\x82\xac", 3);
	len_is("\xf0\x9f\x98\x80", 4);
	len_is("\xc0\xaf", 0);              /* overlong */
	len_is("\xe0\x80\xaf", 0);          /* overlong */
	len_is("\xed\xa0\x80", 0);          /* surrogate */
	len_is("\xf4\x90\x80\x80", 0);      /* above U+10FFFF */
	len_is("\xc3", 0);                  /* cut before its end */
	len_is("\x80", 0);

	scrubs("plain text", "plain text");
	scrubs("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac");
	scrubs("cut \xc3", "cut ?");
	scrubs("cut \xe2\x82", "cut ??");
	scrubs("\xff\xfe ok", "?? ok");

	zs_status *st = zs_status_new(3, NULL, "method %s", "zs.\xc3\xa9\xc3");
	ZST_CHECK(st != NULL && strcmp(st->message, "method zs.\xc3\xa9?") == 0,
	    "a status message is scrubbed (got \"%s\")", st ? st->message : "(null)");
	zs_status_free(st);
	return zst_check_summary();
}
