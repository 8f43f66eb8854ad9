/*
 * zst_check.c: the counting behind zst_check.h: one pass/fail count per program (atomic,
 * checks may run on any thread), FAIL lines with file:line, the summary and exit code,
 * and zst_fail_now with its cleanup hooks. The summary repeats the first FAIL lines, so a
 * log cut in the middle (CI keeps its head and tail) still shows what failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zst_check.h"

static const char *zst_check_name = "test";
static atomic_bool zst_verbose;
static atomic_int zst_passed, zst_failed;
static void (*zst_hooks[8])(void);
static atomic_int zst_n_hooks;
static char zst_fail_lines[16][320];      /* each slot written once, by the check claiming it */
static atomic_int zst_n_fail_lines;

void
zst_check_init(const char *name)
{
	zst_check_name = name;
}

void
zst_check_verbose(bool on)
{
	atomic_store(&zst_verbose, on);
}

static const char *
zst_base(const char *file)
{
	const char *base = strrchr(file, '/');
	return base != NULL ? base + 1 : file;
}

/* One line to stdout (FAIL lines are flushed at once so they survive a crash). */
static void
zst_report(zst_case *c, bool ok, const char *file, int line, const char *fmt, va_list ap)
{
	char text[1024];
	vsnprintf(text, sizeof text, fmt, ap);
	if (ok) {
		if (atomic_load(&zst_verbose))
			printf("ok   %s\n", text);
		return;
	}
	char fail[1200];
	if (c != NULL)
		snprintf(fail, sizeof fail, "FAIL [%s] %s (%s:%d)", c->name, text, zst_base(file), line);
	else
		snprintf(fail, sizeof fail, "FAIL %s (%s:%d)", text, zst_base(file), line);
	printf("%s\n", fail);
	fflush(stdout);
	int slot = atomic_fetch_add(&zst_n_fail_lines, 1);
	if (slot < (int) (sizeof zst_fail_lines / sizeof zst_fail_lines[0]))
		snprintf(zst_fail_lines[slot], sizeof zst_fail_lines[slot], "%.300s", fail);
}

bool
zst_check_at(zst_case *c, bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	zst_report(c, ok, file, line, fmt, ap);
	va_end(ap);
	if (ok) {
		atomic_fetch_add(&zst_passed, 1);
	} else {
		atomic_fetch_add(&zst_failed, 1);
		if (c != NULL)
			atomic_fetch_add(&c->failures, 1);
	}
	return ok;
}

void
zst_on_fail_now(void (*fn)(void))
{
	int i = atomic_fetch_add(&zst_n_hooks, 1);
	if (i < (int) (sizeof zst_hooks / sizeof zst_hooks[0]))
		zst_hooks[i] = fn;
	else
		atomic_fetch_sub(&zst_n_hooks, 1);
}

_Noreturn void
zst_fail_now_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	zst_report(NULL, false, file, line, fmt, ap);
	va_end(ap);
	atomic_fetch_add(&zst_failed, 1);
	printf("     cannot go on after this failure: stopping here\n");
	for (int i = atomic_load(&zst_n_hooks) - 1; i >= 0; i--)
		zst_hooks[i]();
	zst_check_summary();
	fflush(NULL);
	exit(1);
}

int
zst_check_passed(void)
{
	return atomic_load(&zst_passed);
}

int
zst_check_failed(void)
{
	return atomic_load(&zst_failed);
}

int
zst_check_summary(void)
{
	int passed = atomic_load(&zst_passed), failed = atomic_load(&zst_failed);
	printf("%s: %d passed, %d failed\n", zst_check_name, passed, failed);
	int lines = atomic_load(&zst_n_fail_lines), cap = sizeof zst_fail_lines / sizeof zst_fail_lines[0];
	for (int i = 0; i < lines && i < cap; i++)
		printf("  %s\n", zst_fail_lines[i]);
	if (lines > cap)
		printf("  ... and %d more FAIL lines above\n", lines - cap);
	if (passed == 0 && failed == 0)
		printf("FAIL %s ran no check\n", zst_check_name);
	fflush(stdout);
	return failed == 0 && passed > 0 ? 0 : 1;
}

bool
zst_check_int(zst_case *c, long long got, long long want, const char *what, const char *file,
    int line)
{
	return zst_check_at(c, got == want, file, line, "%s is %lld, want %lld", what, got, want);
}

bool
zst_check_str(zst_case *c, const char *got, const char *want, const char *what,
    const char *file, int line)
{
	bool ok = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	return zst_check_at(c, ok, file, line, "%s is %s%s%s, want %s%s%s", what,
	    got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
	    want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
}

bool
zst_check_has(zst_case *c, const char *got, const char *part, const char *what,
    const char *file, int line)
{
	bool ok = got != NULL && strstr(got, part) != NULL;
	return zst_check_at(c, ok, file, line, "%s is %s%s%s, want it to contain \"%s\"", what,
	    got ? "\"" : "", got ? got : "NULL", got ? "\"" : "", part);
}
