/*
 * fuzz_ps_capacity.c: fuzzes how the primary storage service reads an agent's capacity
 * answer (/localstorage/init, /nfsprimarystorage/mount): the bytes go through the node's
 * answer decoder (zs_http_decode) as an HTTP 200 body, then through ps_decode_capacity
 * (services/primarystorage/ps_decode.c). What it promises: an accepted answer has a total
 * in (0, 1 EiB] and an available in [0, total]; a refused one says why.
 */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "ps_decode.h"
#include "zs/http.h"
#include "zs_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *reply = NULL;
	zs_status *st = NULL;
	if (zs_http_decode(200, (const char *) data, size, "127.0.1.1", "/localstorage/init", &reply,
	    &st) == 0) {
		int64_t total = -1, avail = -1;
		char why[256] = "";
		if (ps_decode_capacity(reply, &total, &avail, why, sizeof why) == 0)
			ZS_FUZZ_ASSERT(total > 0 && total <= PS_CAPACITY_MAX && avail >= 0 && avail <= total,
			    "accepted total %lld, available %lld", (long long) total, (long long) avail);
		else
			ZS_FUZZ_ASSERT(why[0] != '\0', "refused without saying why");
	}
	json_decref(reply);
	zs_status_free(st);
	return 0;
}
