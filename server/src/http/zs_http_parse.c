/* zs_http_parse.c: the HTTP/1.1 request parser of zs_http_parse.h (RFC 9112, the part a
 * callback needs: request line, header fields, Content-Length bodies; no chunked bodies). */
#include <string.h>
#include <strings.h>

#include "zs_http_parse.h"

static int
parse_fail(int *status, const char **why, int code, const char *text)
{
	*status = code;
	*why = text;
	return -1;
}

/* tchar of RFC 9110 (a method or a field name). */
static bool
parse_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* True when the field value v[0, n) holds token (case-insensitive) as one of its
 * comma-separated elements. */
static bool
parse_has_token(const char *v, size_t n, const char *token)
{
	size_t tl = strlen(token), i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, token, tl) == 0)
			return true;
	}
	return false;
}

static bool
parse_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* The end of the head: the index just past "\r\n\r\n", or 0. */
static size_t
parse_head_end(const char *buf, size_t len)
{
	for (size_t i = 3; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return i + 1;
	return 0;
}

int
zs_http_parse(const char *buf, size_t len, size_t max_body, zs_http_reqmsg *m, int *status,
    const char **why)
{
	memset(m, 0, sizeof *m);
	size_t scan = len < ZS_HTTP_MAX_HEAD ? len : ZS_HTTP_MAX_HEAD;
	size_t head = parse_head_end(buf, scan);
	if (head == 0)
		return len >= ZS_HTTP_MAX_HEAD ? parse_fail(status, why, 431,
		    "the request head is larger than 16 KiB") : 0;

	/* request-line = method SP request-target SP HTTP-version CRLF */
	size_t i = 0;
	while (i < head && parse_tchar((unsigned char) buf[i]))
		i++;
	if (i == 0 || buf[i] != ' ')
		return parse_fail(status, why, 400, "the request line has no method");
	m->method = buf;
	m->method_len = i++;
	if (buf[i] != '/')
		return parse_fail(status, why, 400, "the request target is not an absolute path");
	size_t t = i;
	while (i < head && (unsigned char) buf[i] > ' ' && buf[i] != 0x7f)
		i++;
	if (buf[i] != ' ')
		return parse_fail(status, why, 400, "the request target is malformed");
	m->path = buf + t;
	const char *q = memchr(m->path, '?', i - t);
	m->path_len = q != NULL ? (size_t) (q - m->path) : i - t;
	i++;
	if (head - i < 10 || memcmp(buf + i, "HTTP/1.", 7) != 0 || buf[i + 8] != '\r' ||
	    buf[i + 9] != '\n')
		return parse_fail(status, why, i + 5 <= head && memcmp(buf + i, "HTTP/", 5) == 0 ? 505 :
		    400, "the request line has no HTTP/1.x version");
	if (buf[i + 7] == '0')
		m->close = true;
	else if (buf[i + 7] != '1')
		return parse_fail(status, why, 505, "only HTTP/1.0 and HTTP/1.1 are spoken");
	i += 10;

	/* field-line = field-name ":" OWS field-value OWS CRLF, until the blank line */
	bool have_len = false;
	size_t clen = 0;
	while (i + 2 <= head && !(buf[i] == '\r' && buf[i + 1] == '\n')) {
		size_t n = i;
		while (n < head && parse_tchar((unsigned char) buf[n]))
			n++;
		if (n == i || buf[n] != ':')
			return parse_fail(status, why, 400, "a header field is malformed");
		const char *name = buf + i;
		size_t name_len = n - i;
		size_t v = n + 1;
		while (v < head && (buf[v] == ' ' || buf[v] == '\t'))
			v++;
		size_t e = v;
		while (e < head && buf[e] != '\r' && buf[e] != '\n') {
			unsigned char c = (unsigned char) buf[e];
			if ((c < ' ' && c != '\t') || c == 0x7f)
				return parse_fail(status, why, 400, "a header value holds a control character");
			e++;
		}
		if (e + 1 >= head || buf[e] != '\r' || buf[e + 1] != '\n')
			return parse_fail(status, why, 400, "a header line does not end in CRLF");
		i = e + 2;
		while (e > v && (buf[e - 1] == ' ' || buf[e - 1] == '\t'))
			e--;
		const char *val = buf + v;
		size_t val_len = e - v;
		if (parse_is(name, name_len, "content-length")) {
			size_t got = 0;
			if (val_len == 0 || val_len > 12)
				return parse_fail(status, why, 400, "Content-Length is not a number");
			for (size_t k = 0; k < val_len; k++) {
				if (val[k] < '0' || val[k] > '9')
					return parse_fail(status, why, 400, "Content-Length is not a number");
				got = got * 10 + (size_t) (val[k] - '0');
			}
			if (have_len && got != clen)
				return parse_fail(status, why, 400, "two different Content-Length fields");
			have_len = true;
			clen = got;
		} else if (parse_is(name, name_len, "transfer-encoding")) {
			return parse_fail(status, why, 501, "Transfer-Encoding is not supported: send "
			    "Content-Length");
		} else if (parse_is(name, name_len, "connection")) {
			if (parse_has_token(val, val_len, "close"))
				m->close = true;
		} else if (parse_is(name, name_len, "expect")) {
			if (parse_has_token(val, val_len, "100-continue"))
				m->expect_continue = true;
		} else if (parse_is(name, name_len, "taskuuid")) {
			m->task = val;
			m->task_len = val_len;
		}
	}
	if (i + 2 != head)
		return parse_fail(status, why, 400, "the request head is malformed");
	if (clen > max_body)
		return parse_fail(status, why, 413, "the body is too large");
	m->head_len = head;
	m->total = head + clen;
	m->body = buf + head;
	if (len - head < clen)
		return 0;
	m->body_len = clen;
	return 1;
}
