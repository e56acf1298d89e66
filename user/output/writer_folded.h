/* Folded-stack output (flamegraph.pl, speedscope, inferno): one line per distinct stack, root first, then its count. */
#ifndef WRITER_FOLDED_H
#define WRITER_FOLDED_H

#include <stdio.h>
#include "profile_view.h"

/* Writes name into dst (size bytes; 3 * strlen(name) + 1 always suffices), made safe for the folded format: `;`
 * becomes `:`, control characters and line separators `?`, bytes that are not UTF-8 U+FFFD; cut at a character. */
void folded__escape(char *dst, size_t size, const char *name);
/* The first line of every folded profile we write, before `measure=cpu|wall|off-cpu unit=samples|us`: a comment
 * to flamegraph.pl (a line without a trailing count is skipped), the unit to folded__read. */
#define FOLDED_HEADER "# pyflame-bpf "

/* "cpu", "wall" or "off-cpu", as the header names a measure. */
const char *folded__measure_name(enum profile_measure m);
/* Writes the header line and the view; *lines (may be NULL) gets the number of stack lines written. */
int folded__write(const struct profile_view *v, FILE *out, size_t *lines);

#endif
