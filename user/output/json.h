/* JSON strings from names a target chose: escaped, and valid UTF-8 whatever bytes they hold. */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes len bytes of s (stopping at a NUL) as the inside of a JSON string: valid UTF-8 as is, `"` and `\` escaped,
 * control characters as \uXXXX, every byte that is not valid UTF-8 as U+FFFD. */
void json__chars(FILE *out, const char *s, size_t len);
/* s as a whole JSON string, quotes included. */
void json__string(FILE *out, const char *s);

#endif
