/*
 * zs_time.c: times as text: RFC 3339 ("2026-01-01T00:00:00.123Z", "...+08:00"), the form
 * of google.protobuf.Timestamp in JSON and of a time in a query's condition, and
 * PostgreSQL's ISO output of a timestamptz ("2026-01-01 00:00:00.123456+00"), read into
 * seconds and nanoseconds since the epoch (years 1 to 9999, as Timestamp allows).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "zs/clock.h"

/* Seconds of 0001-01-01T00:00:00Z and of 9999-12-31T23:59:59Z. */
#define TIME_SECS_MIN (-62135596800LL)
#define TIME_SECS_MAX 253402300799LL

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t
time_days(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The date of a day since 1970-01-01 (civil_from_days). */
static void
time_civil(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = era * 400 + yoe + (*m <= 2);
}

/* n digits at *s as a number, advancing *s; -1 when they are not all digits. */
static int
time_digits(const char **s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char) (*s)[i]))
			return -1;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	return v;
}

static int
time_month_days(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

int
zs_time_parse(const char *text, int64_t *secs, int32_t *nanos)
{
	const char *s = text;
	int y = time_digits(&s, 4);
	if (y < 1 || *s++ != '-')
		return -1;
	int mo = time_digits(&s, 2);
	if (mo < 1 || mo > 12 || *s++ != '-')
		return -1;
	int d = time_digits(&s, 2);
	if (d < 1 || d > time_month_days(y, mo))
		return -1;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	int h = time_digits(&s, 2);
	if (h < 0 || h > 23 || *s++ != ':')
		return -1;
	int mi = time_digits(&s, 2);
	if (mi < 0 || mi > 59 || *s++ != ':')
		return -1;
	int se = time_digits(&s, 2);
	if (se < 0 || se > 59)
		return -1;
	int32_t ns = 0;
	if (*s == '.') {
		s++;
		int n = 0;
		for (; isdigit((unsigned char) *s); s++, n++) {
			if (n == 9)
				return -1;
			ns = ns * 10 + (*s - '0');
		}
		if (n == 0)
			return -1;
		for (; n < 9; n++)
			ns *= 10;
	}
	int64_t off = 0;
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		/* RFC 3339's +HH:MM, and PostgreSQL's +HH and +HH:MM:SS */
		int sign = *s++ == '-' ? -1 : 1;
		int oh = time_digits(&s, 2), om = 0, os = 0;
		if (oh < 0 || oh > 23)
			return -1;
		if (*s == ':') {
			s++;
			if ((om = time_digits(&s, 2)) < 0 || om > 59)
				return -1;
			if (*s == ':') {
				s++;
				if ((os = time_digits(&s, 2)) < 0 || os > 59)
					return -1;
			}
		}
		off = sign * (oh * 3600LL + om * 60 + os);
	} else {
		return -1;           /* a time without its offset means nothing */
	}
	if (*s != '\0')
		return -1;
	int64_t t = time_days(y, mo, d) * 86400 + h * 3600LL + mi * 60 + se - off;
	if (t < TIME_SECS_MIN || t > TIME_SECS_MAX)
		return -1;
	*secs = t;
	*nanos = ns;
	return 0;
}

size_t
zs_time_format(int64_t secs, int32_t nanos, char *buf, size_t len)
{
	if (secs < TIME_SECS_MIN || secs > TIME_SECS_MAX || nanos < 0 || nanos > 999999999 ||
	    len < ZS_TIME_TEXT_MAX)
		return 0;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t rest = secs - days * 86400;
	int64_t y;
	int m, d;
	time_civil(days, &y, &m, &d);
	int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d", (int) y, m, d,
	    (int) (rest / 3600), (int) (rest / 60 % 60), (int) (rest % 60));
	/* 0, 3, 6 or 9 digits of fraction, as protobuf's JSON mapping writes them */
	if (nanos % 1000000 == 0 && nanos != 0)
		n += snprintf(buf + n, len - (size_t) n, ".%03d", nanos / 1000000);
	else if (nanos % 1000 == 0 && nanos != 0)
		n += snprintf(buf + n, len - (size_t) n, ".%06d", nanos / 1000);
	else if (nanos != 0)
		n += snprintf(buf + n, len - (size_t) n, ".%09d", nanos);
	n += snprintf(buf + n, len - (size_t) n, "Z");
	return (size_t) n;
}
