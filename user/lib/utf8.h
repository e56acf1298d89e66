/* UTF-8 decoding and encoding for names read from profiled processes: invalid bytes never pass through. */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one character of the NUL-terminated s into *cp and returns its length. A byte that does not start a valid,
 * shortest-form sequence of a scalar value (no surrogates, at most U+10FFFF) reads as one byte, U+FFFD. */
size_t utf8__next(const unsigned char *s, uint32_t *cp);
/* Encodes c (U+FFFD for a surrogate or anything above U+10FFFF) into out (room for 4 bytes); returns its length. */
size_t utf8__put(char *out, uint32_t c);

/* A new NUL-terminated copy of the first len bytes of s (fewer if a NUL comes first) in which every byte that is not
 * valid UTF-8 is U+FFFD; *out_len (may be NULL) gets its length. NULL when out of memory. */
char *utf8__sanitize(const char *s, size_t len, size_t *out_len);
/* Whether the len bytes of s are valid UTF-8 without a NUL. */
int utf8__valid(const char *s, size_t len);

#endif
