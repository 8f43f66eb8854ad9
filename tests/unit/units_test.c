/*
 * units_test.c: unit tests for the value parsers of properties and configs
 * (server/src/zs_units.c): sizes (units, case, overflow), durations (units, overflow),
 * bounded integers and booleans, each with the bad input a user might type.
 * Prints `units: N passed, M failed` and exits non-zero on any failure.
 */
#include <stdint.h>
#include <stdio.h>

#include "zs_units.h"
#include "zst_check.h"

/* text parses as a size of want bytes. */
static void
size_ok(const char *text, uint64_t want)
{
	uint64_t v = 12345;
	int rc = zs_parse_size(text, &v);
	ZST_CHECK(rc == 0 && v == want, "size \"%s\" is %llu bytes (rc %d, got %llu)", text,
	    (unsigned long long) want, rc, (unsigned long long) v);
}

/* text is refused as a size and the output is left alone. */
static void
size_bad(const char *text)
{
	uint64_t v = 12345;
	int rc = zs_parse_size(text, &v);
	ZST_CHECK(rc == -1 && v == 12345, "size \"%s\" is refused (rc %d, out %llu)",
	    text ? text : "NULL", rc, (unsigned long long) v);
}

static void
duration_ok(const char *text, int64_t want)
{
	int64_t v = 12345;
	int rc = zs_parse_duration_ms(text, &v);
	ZST_CHECK(rc == 0 && v == want, "duration \"%s\" is %lld ms (rc %d, got %lld)", text,
	    (long long) want, rc, (long long) v);
}

static void
duration_bad(const char *text)
{
	int64_t v = 12345;
	int rc = zs_parse_duration_ms(text, &v);
	ZST_CHECK(rc == -1 && v == 12345, "duration \"%s\" is refused (rc %d, out %lld)",
	    text ? text : "NULL", rc, (long long) v);
}

static void
int_ok(const char *text, int64_t min, int64_t max, int64_t want)
{
	int64_t v = 12345;
	int rc = zs_parse_int(text, min, max, &v);
	ZST_CHECK(rc == 0 && v == want, "integer \"%s\" in [%lld, %lld] is %lld (rc %d, got %lld)",
	    text, (long long) min, (long long) max, (long long) want, rc, (long long) v);
}

static void
int_bad(const char *text, int64_t min, int64_t max)
{
	int64_t v = 12345;
	int rc = zs_parse_int(text, min, max, &v);
	ZST_CHECK(rc == -1 && v == 12345, "integer \"%s\" in [%lld, %lld] is refused (rc %d, out %lld)",
	    text ? text : "NULL", (long long) min, (long long) max, rc, (long long) v);
}

static void
bool_is(const char *text, int want)
{
	bool v = !want;
	int rc = zs_parse_bool(text, &v);
	ZST_CHECK(rc == 0 && v == (want != 0), "boolean \"%s\" is %s (rc %d)", text,
	    want ? "true" : "false", rc);
}

static void
bool_bad(const char *text)
{
	bool v = true;
	int rc = zs_parse_bool(text, &v);
	ZST_CHECK(rc == -1 && v, "boolean \"%s\" is refused (rc %d)", text ? text : "NULL", rc);
}

static void
test_sizes(void)
{
	size_ok("0", 0);
	size_ok("512", 512);
	size_ok("512B", 512);
	size_ok("1K", 1024);
	size_ok("1KB", 1024);
	size_ok("1k", 1024);
	size_ok("1kb", 1024);
	size_ok("4M", 4ull << 20);
	size_ok("2G", 2ull << 30);
	size_ok("2g", 2ull << 30);
	size_ok("1T", 1ull << 40);
	size_ok("1TB", 1ull << 40);
	size_ok("007K", 7ull << 10);
	/* the largest values: UINT64_MAX bytes, and the largest whole number of terabytes */
	size_ok("18446744073709551615", UINT64_MAX);
	size_ok("16777215T", 16777215ull << 40);

	/* overflow: one more than fits, after and before the unit */
	size_bad("18446744073709551616");
	size_bad("16777216T");
	size_bad("17179869184G");
	size_bad("99999999999999999999999K");

	/* malformed */
	size_bad(NULL);
	size_bad("");
	size_bad("K");
	size_bad("-1");
	size_bad("+1");
	size_bad(" 1K");
	size_bad("1 K");
	size_bad("1K ");
	size_bad("1.5G");
	size_bad("1KiB");
	size_bad("1X");
	size_bad("1BB");
	size_bad("1KK");
	size_bad("0x10");
	size_bad("1e3");
}

static void
test_durations(void)
{
	duration_ok("0", 0);
	duration_ok("250", 250);
	duration_ok("250ms", 250);
	duration_ok("10s", 10000);
	duration_ok("5m", 300000);
	duration_ok("2h", 7200000);
	duration_ok("1d", 86400000);
	duration_ok("0s", 0);
	duration_ok("9223372036854775807", INT64_MAX);
	duration_ok("9223372036854775807ms", INT64_MAX);
	/* the largest whole number of days that fits in int64 milliseconds */
	duration_ok("106751991167d", 106751991167LL * 86400000LL);

	/* over INT64_MAX milliseconds, with and without a unit */
	duration_bad("9223372036854775808");
	duration_bad("9223372036854775808ms");
	duration_bad("106751991168d");
	duration_bad("9223372036854776s");
	duration_bad("18446744073709551616");

	/* malformed: units are lower case, no fractions, no blanks, no sign */
	duration_bad(NULL);
	duration_bad("");
	duration_bad("s");
	duration_bad("ms");
	duration_bad("-1s");
	duration_bad("+1s");
	duration_bad("10S");
	duration_bad("10MS");
	duration_bad("1.5s");
	duration_bad("10 s");
	duration_bad(" 10s");
	duration_bad("10s ");
	duration_bad("10sec");
	duration_bad("1w");
	duration_bad("1h30m");
	duration_bad("10us");
}

static void
test_ints(void)
{
	int_ok("0", 0, 10, 0);
	int_ok("10", 0, 10, 10);
	int_ok("-5", -10, 10, -5);
	int_ok("-10", -10, 10, -10);
	int_ok("9223372036854775807", INT64_MIN, INT64_MAX, INT64_MAX);
	int_ok("-9223372036854775808", INT64_MIN, INT64_MAX, INT64_MIN);

	/* out of the range, by one on each side */
	int_bad("11", 0, 10);
	int_bad("-1", 0, 10);
	int_bad("-11", -10, 10);
	/* out of int64 */
	int_bad("9223372036854775808", INT64_MIN, INT64_MAX);
	int_bad("-9223372036854775809", INT64_MIN, INT64_MAX);
	int_bad("99999999999999999999", INT64_MIN, INT64_MAX);

	/* not a whole decimal number */
	int_bad(NULL, 0, 10);
	int_bad("", 0, 10);
	int_bad("-", 0, 10);
	int_bad("1.0", 0, 10);
	int_bad("5x", 0, 10);
	int_bad("5 ", 0, 10);
	int_bad("0x5", 0, 10);
	int_bad("1e1", 0, 100);
	int_bad("five", 0, 10);
}

static void
test_bools(void)
{
	bool_is("true", 1);
	bool_is("yes", 1);
	bool_is("on", 1);
	bool_is("1", 1);
	bool_is("TRUE", 1);
	bool_is("Yes", 1);
	bool_is("false", 0);
	bool_is("no", 0);
	bool_is("off", 0);
	bool_is("0", 0);
	bool_is("FALSE", 0);
	bool_is("Off", 0);

	bool_bad(NULL);
	bool_bad("");
	bool_bad("2");
	bool_bad("t");
	bool_bad("y");
	bool_bad("truee");
	bool_bad(" true");
	bool_bad("true ");
	bool_bad("enabled");
	bool_bad("01");
}

int
main(void)
{
	zst_check_init("units");
	test_sizes();
	test_durations();
	test_ints();
	test_bools();
	return zst_check_summary();
}
