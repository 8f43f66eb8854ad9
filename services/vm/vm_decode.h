/*
 * vm_decode.h: reading what a host's agent says about its VMs (/vm/vmsync,
 * /vm/checkstate), apart so that tests/fuzz can drive it with nothing else of the plugin.
 * Only jansson: no node, no protobuf.
 */
#ifndef VM_DECODE_H
#define VM_DECODE_H

#include <stddef.h>
#include <jansson.h>

#define VM_DECODE_STATE 16   /* room for a state */

/*
 * From an agent's answer (an object, as zs_http_decode gives it) whose "states" maps VM
 * uuids to the hypervisor's states: the state of each of the n uuids, as the VM service
 * names them, into out[i]: "Running", "Paused", "Stopped" (Shutdown, Stopped, Crashed, or
 * not on the host at all) or "Unknown" (anything else). 0, or -1 with why (len > 0) when
 * the answer has no "states" object or a state that is not a string.
 */
int vm_decode_states(const json_t *reply, const char *const *uuids, size_t n,
    char (*out)[VM_DECODE_STATE], char *why, size_t len);

#endif
