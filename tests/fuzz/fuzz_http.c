/*
 * fuzz_http.c: fuzzes the decoder of host agents' HTTP answers (zs_http_decode,
 * server/src/http): the first two bytes pick the HTTP status, the rest is the body. What
 * it promises: OK comes with a JSON object and no status; a failure with a status of the
 * same code and no object, unless the agent said success: false.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "zs/http.h"
#include "zs_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	long http_status = 100 + (long) ((data[0] << 8 | data[1]) % 500);
	json_t *reply = NULL;
	zs_status *st = NULL;
	int code = zs_http_decode(http_status, (const char *) data + 2, size - 2, "127.0.1.1",
	    "/host/ping", &reply, &st);
	if (code == 0) {
		ZS_FUZZ_ASSERT(json_is_object(reply) && st == NULL, "OK without a JSON object "
		    "(HTTP %ld)", http_status);
	} else {
		ZS_FUZZ_ASSERT(st != NULL && (int) st->code == code, "failure %d without its status "
		    "(HTTP %ld)", code, http_status);
		ZS_FUZZ_ASSERT(reply == NULL || json_is_object(reply), "a failure's reply is not an "
		    "object (HTTP %ld)", http_status);
	}
	json_decref(reply);
	zs_status_free(st);
	return 0;
}
