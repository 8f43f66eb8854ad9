/* zs_utf8.h: UTF-8 checks for text that leaves the node (statuses, argument checks). */
#ifndef ZS_UTF8_H
#define ZS_UTF8_H

#include <stddef.h>

/* Length of the UTF-8 sequence at s (shortest form, no surrogates, at most U+10FFFF),
 * or 0 when it is not one. Reads no further than a NUL. */
size_t zs_utf8_len(const unsigned char *s);

/* Makes s valid UTF-8 in place: each byte that does not begin a valid sequence becomes
 * '?' (text cut inside a character, or bytes that never were UTF-8). */
void zs_utf8_scrub(char *s);

#endif
