/*
 * bs_answer.h: the backup storage agent's answers read into checked numbers
 * (bs_answer.c); jansson only, for tests/fuzz.
 */
#ifndef BS_ANSWER_H
#define BS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* Nothing larger is believed: 2^60 bytes (an exbibyte). */
#define BS_ANSWER_MAX (1LL << 60)

/* connect's totalCapacity (> 0) and availableCapacity (0..total: a larger one is cut to
 * total); false with why otherwise. */
bool bs_answer_capacity(const json_t *reply, int64_t *total, int64_t *avail, char *why,
    size_t len);
/* download's size (> 0) and actualSize (> 0; the size when absent or 0); false with why
 * otherwise. */
bool bs_answer_download(const json_t *reply, int64_t *size, int64_t *actual, char *why,
    size_t len);

#endif
