/*
 * fuzz_http_request.c: fuzzes the request parser of the node's receiver of agents' answers
 * (zs_http_parse, server/src/http). What it promises: a whole request lies inside the
 * input, its body right after its head; a bad one comes with an HTTP error status and why;
 * the result does not depend on bytes past the request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zs_fuzz.h"
#include "zs_http_parse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *) data;
	zs_http_reqmsg m;
	int status = 0;
	const char *why = NULL;
	int r = zs_http_parse(buf, size, 4096, &m, &status, &why);
	if (r < 0) {
		ZS_FUZZ_ASSERT(status >= 400 && status <= 599 && why != NULL, "a refusal without "
		    "an error status (%d) or why", status);
		return 0;
	}
	if (r == 0) {
		ZS_FUZZ_ASSERT(m.head_len <= size && (m.head_len == 0 || m.total > size),
		    "not whole, yet the head (%zu) and body fit in %zu", m.head_len, size);
		return 0;
	}
	ZS_FUZZ_ASSERT(r == 1 && m.total <= size && m.head_len > 0 && m.head_len <= m.total,
	    "a whole request of %zu bytes (head %zu) in %zu", m.total, m.head_len, size);
	ZS_FUZZ_ASSERT(m.body == buf + m.head_len && m.body_len == m.total - m.head_len &&
	    m.body_len <= 4096, "the body is not right after the head");
	ZS_FUZZ_ASSERT(m.method == buf && m.method_len > 0 && m.path > buf && m.path[0] == '/' &&
	    m.path + m.path_len <= buf + m.head_len, "the method or path lies outside the head");
	ZS_FUZZ_ASSERT(m.task == NULL || (m.task >= buf && m.task + m.task_len <= buf + m.head_len),
	    "the task uuid lies outside the head");
	/* the same request alone parses the same */
	zs_http_reqmsg m2;
	ZS_FUZZ_ASSERT(zs_http_parse(buf, m.total, 4096, &m2, &status, &why) == 1 &&
	    m2.total == m.total && m2.close == m.close && m2.task_len == m.task_len,
	    "the request parses otherwise without the bytes after it");
	return 0;
}
