/*
 * zst_check.h: the checks every C test uses. A check that fails prints
 * "FAIL [case] message (file:line)" and is counted; zst_check_summary() turns the counts
 * into the exit code, so a program with any failed check (or with no check at all)
 * exits nonzero. ZST_REQUIRE and zst_fail_now end the program at once when a test
 * cannot go on (after running the cleanup hooks, e.g. killing the nodes it started).
 * Checks may run on any thread.
 *
 * Two styles share the same counts:
 *   ZST_CHECK(cond, "fmt", ...)      a check with its own message
 *   ZST_EXPECT(cond), ZST_EXPECT_INT(got, want), ZST_EXPECT_STR(got, want)
 * and, in tests split into named cases (a zst_case each), the _IN forms, which also
 * count the failure in the case: ZST_EXPECT_IN(c, cond), ZST_FAIL_IN(c, "fmt", ...).
 */
#ifndef ZST_CHECK_H
#define ZST_CHECK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* One named group of checks (a test function). */
typedef struct zst_case {
	const char *name;
	atomic_int failures;
} zst_case;

/* Names the program for the summary line ("NAME: N passed, M failed"). */
void zst_check_init(const char *name);
/* Prints "ok ..." for passing checks too (off by default: only failures print). */
void zst_check_verbose(bool on);

/* Records one check: ok or a failure at file:line with the message. Returns ok. */
bool zst_check_at(zst_case *c, bool ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Records a failure and ends the program: runs the hooks, prints the summary, exits 1. */
_Noreturn void zst_fail_now_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Runs fn (in reverse order of registration) before zst_fail_now exits. Up to 8. */
void zst_on_fail_now(void (*fn)(void));

/* Checks passed and failed so far. */
int zst_check_passed(void);
int zst_check_failed(void);
/* Prints "NAME: N passed, M failed" and returns the exit code: 0 only when no check
 * failed and at least one ran. */
int zst_check_summary(void);

#define ZST_CHECK(cond, ...) zst_check_at(NULL, (cond) ? true : false, __FILE__, __LINE__, __VA_ARGS__)
#define ZST_EXPECT(cond) zst_check_at(NULL, (cond) ? true : false, __FILE__, __LINE__, "%s", #cond)
#define ZST_EXPECT_IN(c, cond) zst_check_at((c), (cond) ? true : false, __FILE__, __LINE__, "%s", #cond)
#define ZST_FAIL(...) zst_check_at(NULL, false, __FILE__, __LINE__, __VA_ARGS__)
#define ZST_FAIL_IN(c, ...) zst_check_at((c), false, __FILE__, __LINE__, __VA_ARGS__)

/* Integers (as long long): the message shows both values. */
#define ZST_EXPECT_INT(got, want) ZST_EXPECT_INT_IN(NULL, got, want)
#define ZST_EXPECT_INT_IN(c, got, want)                                                   \
	zst_check_int((c), (long long) (got), (long long) (want), #got, __FILE__, __LINE__)
/* Strings (NULL allowed on either side; equal only when both are NULL or the same). */
#define ZST_EXPECT_STR(got, want) ZST_EXPECT_STR_IN(NULL, got, want)
#define ZST_EXPECT_STR_IN(c, got, want) zst_check_str((c), (got), (want), #got, __FILE__, __LINE__)
/* got contains the text part (got NULL fails). */
#define ZST_EXPECT_HAS(got, part) zst_check_has(NULL, (got), (part), #got, __FILE__, __LINE__)
#define ZST_EXPECT_HAS_IN(c, got, part) zst_check_has((c), (got), (part), #got, __FILE__, __LINE__)

/* A check the test cannot go on without: on failure, zst_fail_now. */
#define ZST_REQUIRE(cond, ...)                                                            \
	do {                                                                              \
		if (!(cond))                                                              \
			zst_fail_now_at(__FILE__, __LINE__, __VA_ARGS__);                 \
		zst_check_at(NULL, true, __FILE__, __LINE__, __VA_ARGS__);                \
	} while (0)
#define zst_fail_now(...) zst_fail_now_at(__FILE__, __LINE__, __VA_ARGS__)

bool zst_check_int(zst_case *c, long long got, long long want, const char *what, const char *file,
    int line);
bool zst_check_str(zst_case *c, const char *got, const char *want, const char *what,
    const char *file, int line);
bool zst_check_has(zst_case *c, const char *got, const char *part, const char *what,
    const char *file, int line);

#endif
