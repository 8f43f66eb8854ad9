/*
 * config_value_test.c: unit tests for config value checking (server/src/zs_config_value.c):
 * type names, the numbers bounds are parsed into, and zs_config_value_check for each type
 * (integer, boolean, string, size, duration): the canonical stored form, ranges with both
 * ends included, allowed values, bad values and the exact message an admin sees.
 * Prints `config_value: N passed, M failed` and exits non-zero on any failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "zs_config_impl.h"
#include "zst_check.h"

/* A config entry as the registry would hold it (only what the check reads). */
static zs_config_entry
entry(zs_config_type type, const char *min, const char *max)
{
	zs_config_entry e;
	memset(&e, 0, sizeof e);
	e.category = (char *) "kvm";
	e.name = (char *) "reservedMemory";
	e.type = type;
	e.min = (char *) min;
	e.max = (char *) max;
	e.min_v = INT64_MIN;
	e.max_v = INT64_MAX;
	if (min != NULL && zs_config_number(type, min, &e.min_v) != 0)
		ZST_FAIL("test setup: bound %s does not parse", min);
	if (max != NULL && zs_config_number(type, max, &e.max_v) != 0)
		ZST_FAIL("test setup: bound %s does not parse", max);
	return e;
}

/* value is accepted and stored as canon. */
static void
accepts(const zs_config_entry *e, const char *value, const char *canon)
{
	char got[64] = "untouched", why[256] = "";
	int rc = zs_config_value_check(e, value, got, sizeof got, why, sizeof why);
	ZST_CHECK(rc == 0 && strcmp(got, canon) == 0,
	    "type %d: \"%s\" is accepted and stored as \"%s\" (rc %d, got \"%s\", why \"%s\")",
	    (int) e->type, value, canon, rc, got, why);
}

/* value is refused with exactly the message want. */
static void
refuses(const zs_config_entry *e, const char *value, const char *want)
{
	char got[64] = "", why[512] = "";
	int rc = zs_config_value_check(e, value, got, sizeof got, why, sizeof why);
	ZST_CHECK(rc == -1 && strcmp(why, want) == 0,
	    "type %d: \"%s\" is refused (rc %d)\n       why  \"%s\"\n       want \"%s\"",
	    (int) e->type, value ? value : "NULL", rc, why, want);
}

static void
number_is(zs_config_type type, const char *text, int64_t want)
{
	int64_t v = 12345;
	int rc = zs_config_number(type, text, &v);
	ZST_CHECK(rc == 0 && v == want, "type %d: bound \"%s\" is %lld (rc %d, got %lld)", (int) type,
	    text, (long long) want, rc, (long long) v);
}

static void
number_bad(zs_config_type type, const char *text)
{
	int64_t v = 12345;
	int rc = zs_config_number(type, text, &v);
	ZST_CHECK(rc == -1, "type %d: bound \"%s\" is refused (rc %d, got %lld)", (int) type,
	    text ? text : "NULL", rc, (long long) v);
}

static void
test_type_names(void)
{
	static const struct { const char *name; zs_config_type type; } names[] = {
		{ "integer", ZS_CONFIG_INTEGER }, { "boolean", ZS_CONFIG_BOOLEAN },
		{ "string", ZS_CONFIG_STRING }, { "size", ZS_CONFIG_SIZE },
		{ "duration", ZS_CONFIG_DURATION },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		zs_config_type t = (zs_config_type) 99;
		ZST_CHECK(zs_config_type_parse(names[i].name, &t) == 0 && t == names[i].type,
		    "type name \"%s\" is type %d", names[i].name, (int) names[i].type);
	}
	static const char *bad[] = { "Integer", "int", "bool", "str", "", "sizes", "integer ", NULL };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		zs_config_type t = (zs_config_type) 99;
		ZST_CHECK(zs_config_type_parse(bad[i], &t) == -1 && (int) t == 99,
		    "type name \"%s\" is unknown", bad[i] ? bad[i] : "NULL");
	}
}

static void
test_numbers(void)
{
	number_is(ZS_CONFIG_INTEGER, "42", 42);
	number_is(ZS_CONFIG_INTEGER, "-12", -12);
	number_is(ZS_CONFIG_INTEGER, "9223372036854775807", INT64_MAX);
	number_is(ZS_CONFIG_INTEGER, "-9223372036854775808", INT64_MIN);
	number_is(ZS_CONFIG_SIZE, "4096", 4096);
	number_is(ZS_CONFIG_SIZE, "512K", 512 << 10);
	number_is(ZS_CONFIG_SIZE, "2g", 2LL << 30);
	number_is(ZS_CONFIG_SIZE, "1TB", 1LL << 40);
	number_is(ZS_CONFIG_SIZE, "1P", 1LL << 50);
	number_is(ZS_CONFIG_SIZE, "8191P", 8191LL << 50);
	number_is(ZS_CONFIG_DURATION, "0", 0);
	number_is(ZS_CONFIG_DURATION, "100ms", 100);
	number_is(ZS_CONFIG_DURATION, "10s", 10000);
	number_is(ZS_CONFIG_DURATION, "5m", 300000);
	number_is(ZS_CONFIG_DURATION, "1h", 3600000);
	number_is(ZS_CONFIG_DURATION, "7d", 7LL * 86400000);

	number_bad(ZS_CONFIG_INTEGER, NULL);
	number_bad(ZS_CONFIG_INTEGER, "9223372036854775808");
	number_bad(ZS_CONFIG_INTEGER, "-9223372036854775809");
	number_bad(ZS_CONFIG_SIZE, "8192P");            /* 2^63: one past the largest size */
	number_bad(ZS_CONFIG_DURATION, "106751991168d"); /* past INT64_MAX ms */
	number_bad(ZS_CONFIG_DURATION, "5");            /* only 0 goes without unit */
	number_bad(ZS_CONFIG_BOOLEAN, "1");             /* not a numeric type */
	number_bad(ZS_CONFIG_STRING, "1");
}

static void
test_integer(void)
{
	zs_config_entry e = entry(ZS_CONFIG_INTEGER, NULL, NULL);
	accepts(&e, "42", "42");
	accepts(&e, "0", "0");
	accepts(&e, "-1", "-1");
	accepts(&e, "007", "7");       /* stored without zeros in front */
	accepts(&e, "-0", "0");        /* nor a sign on zero */
	accepts(&e, "9223372036854775807", "9223372036854775807");
	accepts(&e, "-9223372036854775808", "-9223372036854775808");

	refuses(&e, "+5", "config kvm.reservedMemory: \"+5\" is not an integer (e.g. 42 or -1)");
	refuses(&e, "", "config kvm.reservedMemory: \"\" is not an integer (e.g. 42 or -1)");
	refuses(&e, "-", "config kvm.reservedMemory: \"-\" is not an integer (e.g. 42 or -1)");
	refuses(&e, "--5", "config kvm.reservedMemory: \"--5\" is not an integer (e.g. 42 or -1)");
	refuses(&e, " 5", "config kvm.reservedMemory: \" 5\" is not an integer (e.g. 42 or -1)");
	refuses(&e, "5 ", "config kvm.reservedMemory: \"5 \" is not an integer (e.g. 42 or -1)");
	refuses(&e, "1.5", "config kvm.reservedMemory: \"1.5\" is not an integer (e.g. 42 or -1)");
	refuses(&e, "0x10", "config kvm.reservedMemory: \"0x10\" is not an integer (e.g. 42 or -1)");
	refuses(&e, "9223372036854775808",
	    "config kvm.reservedMemory: \"9223372036854775808\" is not an integer (e.g. 42 or -1)");

	/* a range includes both ends */
	zs_config_entry r = entry(ZS_CONFIG_INTEGER, "-10", "100");
	accepts(&r, "-10", "-10");
	accepts(&r, "100", "100");
	accepts(&r, "0100", "100");
	refuses(&r, "-11", "config kvm.reservedMemory: -11 is below the minimum -10");
	refuses(&r, "101", "config kvm.reservedMemory: 101 is above the maximum 100");
	refuses(&r, "99999999999999999999",
	    "config kvm.reservedMemory: \"99999999999999999999\" is not an integer (e.g. 42 or -1)");
	/* only a minimum */
	zs_config_entry lo = entry(ZS_CONFIG_INTEGER, "1", NULL);
	accepts(&lo, "9223372036854775807", "9223372036854775807");
	refuses(&lo, "0", "config kvm.reservedMemory: 0 is below the minimum 1");
}

static void
test_boolean(void)
{
	zs_config_entry e = entry(ZS_CONFIG_BOOLEAN, NULL, NULL);
	accepts(&e, "true", "true");
	accepts(&e, "false", "false");
	/* other spellings zs_parse_bool knows are stored as true/false */
	accepts(&e, "TRUE", "true");
	accepts(&e, "yes", "true");
	accepts(&e, "off", "false");
	accepts(&e, "0", "false");
	refuses(&e, "maybe", "config kvm.reservedMemory: \"maybe\" is not a boolean (true or false)");
	refuses(&e, "", "config kvm.reservedMemory: \"\" is not a boolean (true or false)");
	refuses(&e, "2", "config kvm.reservedMemory: \"2\" is not a boolean (true or false)");
}

static void
test_string(void)
{
	zs_config_entry e = entry(ZS_CONFIG_STRING, NULL, NULL);
	accepts(&e, "anything at all", "anything at all");
	accepts(&e, "", "");
	accepts(&e, " padded ", " padded ");

	char *allowed[] = { (char *) "safe", (char *) "balanced", (char *) "fast" };
	e.allowed = allowed;
	e.n_allowed = 3;
	accepts(&e, "safe", "safe");
	accepts(&e, "fast", "fast");
	/* compared exactly: case, blanks and prefixes count */
	refuses(&e, "Safe", "config kvm.reservedMemory: \"Safe\" is not one of: safe, balanced, fast");
	refuses(&e, "safe ", "config kvm.reservedMemory: \"safe \" is not one of: safe, balanced, fast");
	refuses(&e, "saf", "config kvm.reservedMemory: \"saf\" is not one of: safe, balanced, fast");
	refuses(&e, "", "config kvm.reservedMemory: \"\" is not one of: safe, balanced, fast");
}

static void
test_size(void)
{
	zs_config_entry e = entry(ZS_CONFIG_SIZE, NULL, NULL);
	accepts(&e, "4096", "4096");
	accepts(&e, "512M", "512M");   /* sizes are stored as given */
	accepts(&e, "2g", "2g");
	accepts(&e, "1TB", "1TB");
	accepts(&e, "1b", "1b");
	refuses(&e, "12X", "config kvm.reservedMemory: \"12X\" is not a size (e.g. 512M, 2G)");
	refuses(&e, "M", "config kvm.reservedMemory: \"M\" is not a size (e.g. 512M, 2G)");
	refuses(&e, "-1M", "config kvm.reservedMemory: \"-1M\" is not a size (e.g. 512M, 2G)");
	refuses(&e, "1.5G", "config kvm.reservedMemory: \"1.5G\" is not a size (e.g. 512M, 2G)");
	refuses(&e, "1 G", "config kvm.reservedMemory: \"1 G\" is not a size (e.g. 512M, 2G)");
	refuses(&e, "1GBB", "config kvm.reservedMemory: \"1GBB\" is not a size (e.g. 512M, 2G)");
	refuses(&e, "8192P", "config kvm.reservedMemory: \"8192P\" is not a size (e.g. 512M, 2G)");

	zs_config_entry r = entry(ZS_CONFIG_SIZE, "1G", "64G");
	accepts(&r, "1G", "1G");
	accepts(&r, "1024M", "1024M");
	accepts(&r, "64G", "64G");
	accepts(&r, "65536M", "65536M");
	refuses(&r, "1023M", "config kvm.reservedMemory: 1023M is below the minimum 1G");
	refuses(&r, "65537M", "config kvm.reservedMemory: 65537M is above the maximum 64G");
	refuses(&r, "1T", "config kvm.reservedMemory: 1T is above the maximum 64G");
}

static void
test_duration(void)
{
	zs_config_entry e = entry(ZS_CONFIG_DURATION, NULL, NULL);
	accepts(&e, "0", "0");
	accepts(&e, "500ms", "500ms");
	accepts(&e, "10s", "10s");
	accepts(&e, "7d", "7d");
	refuses(&e, "10", "config kvm.reservedMemory: \"10\" is not a duration (e.g. 500ms, 10s, 5m)");
	refuses(&e, "10S", "config kvm.reservedMemory: \"10S\" is not a duration (e.g. 500ms, 10s, 5m)");
	refuses(&e, "1.5s", "config kvm.reservedMemory: \"1.5s\" is not a duration (e.g. 500ms, 10s, 5m)");
	refuses(&e, "-1s", "config kvm.reservedMemory: \"-1s\" is not a duration (e.g. 500ms, 10s, 5m)");
	refuses(&e, "1h30m", "config kvm.reservedMemory: \"1h30m\" is not a duration (e.g. 500ms, 10s, 5m)");
	refuses(&e, "s", "config kvm.reservedMemory: \"s\" is not a duration (e.g. 500ms, 10s, 5m)");

	zs_config_entry r = entry(ZS_CONFIG_DURATION, "1s", "1h");
	accepts(&r, "1s", "1s");
	accepts(&r, "1000ms", "1000ms");
	accepts(&r, "60m", "60m");
	refuses(&r, "999ms", "config kvm.reservedMemory: 999ms is below the minimum 1s");
	refuses(&r, "0", "config kvm.reservedMemory: 0 is below the minimum 1s");
	refuses(&r, "61m", "config kvm.reservedMemory: 61m is above the maximum 1h");
	refuses(&r, "2d", "config kvm.reservedMemory: 2d is above the maximum 1h");
}

/* Values too long for the store or for the caller's buffer, and no value at all. */
static void
test_lengths(void)
{
	zs_config_entry e = entry(ZS_CONFIG_STRING, NULL, NULL);
	static char big[ZS_CONFIG_VALUE_MAX + 2], canon[ZS_CONFIG_VALUE_MAX + 2];
	char why[256] = "";

	memset(big, 'a', ZS_CONFIG_VALUE_MAX);
	big[ZS_CONFIG_VALUE_MAX] = '\0';
	ZST_CHECK(zs_config_value_check(&e, big, canon, sizeof canon, why, sizeof why) == 0 &&
	    strcmp(canon, big) == 0, "a string of exactly %d bytes is accepted (%s)", ZS_CONFIG_VALUE_MAX,
	    why);

	big[ZS_CONFIG_VALUE_MAX] = 'a';
	big[ZS_CONFIG_VALUE_MAX + 1] = '\0';
	ZST_CHECK(zs_config_value_check(&e, big, canon, sizeof canon, why, sizeof why) == -1,
	    "a string of %d bytes is refused", ZS_CONFIG_VALUE_MAX + 1);
	ZST_EXPECT_STR(why, "config kvm.reservedMemory: the value is 4097 bytes, longer than 4096 allows");

	why[0] = '\0';
	ZST_CHECK(zs_config_value_check(&e, NULL, canon, sizeof canon, why, sizeof why) == -1 &&
	    strstr(why, "config kvm.reservedMemory") != NULL, "no value at all is refused (%s)", why);

	/* a canon buffer too small for the value: refused, nothing written past it */
	char small[4] = "xyz";
	ZST_CHECK(zs_config_value_check(&e, "abcd", small, sizeof small, why, sizeof why) == -1,
	    "a value that does not fit the caller's buffer is refused, not cut");
	/* a why buffer too small is cut, never overrun */
	char tiny[8];
	ZST_CHECK(zs_config_value_check(&e, NULL, canon, sizeof canon, tiny, sizeof tiny) == -1 &&
	    strlen(tiny) == sizeof tiny - 1, "a short why buffer gets a cut message");
	/* many allowed values: the message is cut but stays a string */
	char *many[300];
	for (size_t i = 0; i < 300; i++)
		many[i] = (char *) "some-allowed-value";
	e.allowed = many;
	e.n_allowed = 300;
	char long_why[2048] = "";
	ZST_CHECK(zs_config_value_check(&e, "other", canon, sizeof canon, long_why, sizeof long_why) == -1 &&
	    strstr(long_why, "\"other\" is not one of: some-allowed-value, some-allowed-value") != NULL &&
	    strlen(long_why) < sizeof long_why, "a long allowed list is cut in the message");
}

int
main(void)
{
	zst_check_init("config_value");
	test_type_names();
	test_numbers();
	test_integer();
	test_boolean();
	test_string();
	test_size();
	test_duration();
	test_lengths();
	return zst_check_summary();
}
