/*
 * vm_decode.c: the states of VMs in an agent's /vm/vmsync or /vm/checkstate answer.
 */
#include <stdio.h>
#include <string.h>

#include "vm_decode.h"

/* The hypervisor's name of a state -> ours. */
static const char *
vm_decode_one(const char *s)
{
	static const struct { const char *agent, *ours; } map[] = {
		{ "Running", "Running" }, { "Paused", "Paused" }, { "Shutdown", "Stopped" },
		{ "Stopped", "Stopped" }, { "Crashed", "Stopped" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(s, map[i].agent) == 0)
			return map[i].ours;
	return "Unknown";
}

int
vm_decode_states(const json_t *reply, const char *const *uuids, size_t n,
    char (*out)[VM_DECODE_STATE], char *why, size_t len)
{
	const json_t *states = json_object_get(reply, "states");
	if (!json_is_object(states)) {
		snprintf(why, len, "the answer has no \"states\" object");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *s = json_object_get(states, uuids[i]);
		if (s == NULL) {
			snprintf(out[i], VM_DECODE_STATE, "Stopped");   /* not on the host */
			continue;
		}
		if (!json_is_string(s)) {
			snprintf(why, len, "the state of VM %.40s is not a string", uuids[i]);
			return -1;
		}
		snprintf(out[i], VM_DECODE_STATE, "%s", vm_decode_one(json_string_value(s)));
	}
	return 0;
}
