/* Folded-stack output (flamegraph.pl, speedscope, inferno): one line per distinct stack, root first, then its count. */
#ifndef WRITER_FOLDED_H
#define WRITER_FOLDED_H

#include <stdio.h>
#include "profile_view.h"

/* Writes name into dst (size bytes; 3 * strlen(name) + 1 always suffices), made safe for the folded format: `;`
 * becomes `:`, control characters and line separators `?`, bytes that are not UTF-8 U+FFFD; cut at a character. */
void folded__escape(char *dst, size_t size, const char *name);
/* Writes the view; *lines (may be NULL) gets the number of lines written. */
int folded__write(const struct profile_view *v, FILE *out, size_t *lines);

#endif
