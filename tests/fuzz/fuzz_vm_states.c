/*
 * fuzz_vm_states.c: fuzzes how the VM service reads an agent's /vm/checkstate and
 * /vm/vmsync answers: the bytes go through the node's answer decoder (zs_http_decode) as an
 * HTTP 200 body, then through vm_decode_states (services/vm/vm_decode.c) for a few VM
 * uuids. What it promises: an accepted answer gives each uuid one of the service's states
 * (Running, Paused, Stopped, Unknown); a refused one says why.
 */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "vm_decode.h"
#include "zs/http.h"
#include "zs_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *reply = NULL;
	zs_status *st = NULL;
	if (zs_http_decode(200, (const char *) data, size, "127.0.1.1", "/vm/checkstate", &reply,
	    &st) == 0) {
		const char *uuids[3] = { "a", "0b1315ad-5d17-4291-bd63-19f26746d632", "" };
		char out[3][VM_DECODE_STATE];
		char why[256] = "";
		if (vm_decode_states(reply, uuids, 3, out, why, sizeof why) == 0) {
			for (size_t i = 0; i < 3; i++)
				ZS_FUZZ_ASSERT(strcmp(out[i], "Running") == 0 || strcmp(out[i], "Paused") == 0 ||
				    strcmp(out[i], "Stopped") == 0 || strcmp(out[i], "Unknown") == 0,
				    "state %zu is \"%s\"", i, out[i]);
		} else {
			ZS_FUZZ_ASSERT(why[0] != '\0', "refused without saying why");
		}
	}
	json_decref(reply);
	zs_status_free(st);
	return 0;
}
