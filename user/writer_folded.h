/* Folded-stack output (flamegraph.pl, speedscope, inferno): one line per distinct stack, root first, then its count. */
#ifndef WRITER_FOLDED_H
#define WRITER_FOLDED_H

#include <stdio.h>
#include "profile.h"

struct folded_options {
	int per_process;        /* root frame `COMM (PID)` on every stack */
	int threads;            /* root frame `thread NAME (TID)` below the process root */
	int no_kernel;          /* drop kernel frames */
};

/* Writes name into dst (size bytes), made safe for the folded format (no `;`, no control characters). */
void folded__escape(char *dst, size_t size, const char *name);
/* Writes the profile; *lines (may be NULL) gets the number of lines written. */
int folded__write(const struct profile *p, const struct folded_options *opts, FILE *out, size_t *lines);

#endif
