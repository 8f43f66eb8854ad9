/*
 * fuzz_bs_answer.c: fuzzes how a backup storage agent's answers are read: the bytes of
 * an HTTP body go through the node's decoder (zs_http_decode), and the object it gives
 * through services/backupstorage/bs_answer.c as connect's capacity and as a download's
 * sizes. What it promises: an accepted capacity has 0 < total <= 2^60 and
 * 0 <= available <= total; accepted sizes are 0 < size, actualSize <= 2^60; a refusal says
 * why.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "bs_answer.h"
#include "zs/http.h"
#include "zs_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *reply = NULL;
	zs_status *st = NULL;
	if (zs_http_decode(200, (const char *) data, size, "127.0.3.1", "/sftpbackupstorage/connect",
	    &reply, &st) != 0) {
		zs_status_free(st);
		json_decref(reply);
		return 0;
	}
	int64_t a = -1, b = -1;
	char why[256] = "";
	if (bs_answer_capacity(reply, &a, &b, why, sizeof why))
		ZS_FUZZ_ASSERT(a > 0 && a <= BS_ANSWER_MAX && b >= 0 && b <= a,
		    "capacity accepted out of range: total %lld, available %lld", (long long) a,
		    (long long) b);
	else
		ZS_FUZZ_ASSERT(why[0] != '\0', "a refused capacity without why");
	why[0] = '\0';
	if (bs_answer_download(reply, &a, &b, why, sizeof why))
		ZS_FUZZ_ASSERT(a > 0 && a <= BS_ANSWER_MAX && b > 0 && b <= BS_ANSWER_MAX,
		    "sizes accepted out of range: size %lld, actualSize %lld", (long long) a,
		    (long long) b);
	else
		ZS_FUZZ_ASSERT(why[0] != '\0', "refused sizes without why");
	json_decref(reply);
	return 0;
}
