/*
 * ps_decode.h: reading what an agent answers about a primary storage's capacity
 * (/localstorage/init, /nfsprimarystorage/mount), apart so that tests/fuzz can drive it
 * with nothing else of the plugin. Only jansson: no node, no protobuf.
 */
#ifndef PS_DECODE_H
#define PS_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define PS_CAPACITY_MAX (1ll << 60)   /* bytes an agent may report (an EiB): sums fit a bigint */

/* From an agent's answer (an object, as zs_http_decode gives it): totalCapacity, an integer
 * in (0, PS_CAPACITY_MAX], into *total, and availableCapacity into *available, clamped to
 * [0, total] (total when absent). 0, or -1 with why (len > 0) naming what made no sense. */
int ps_decode_capacity(const json_t *reply, int64_t *total, int64_t *available, char *why,
    size_t len);

#endif
