/* --slice's output: the slow invocations' profile (or their diff against the rest) and the latency lines. */
#ifndef SLICE_OUTPUT_H
#define SLICE_OUTPUT_H

#include <stddef.h>
#include "cli.h"
#include "output.h"
#include "session.h"

/* Writes the profile of s's slow invocations of --slice's FUNC to out and says on stderr what it holds. */
int slice_output__write(const struct pf_options *o, struct session *s, struct output *out, size_t *lines);
/* A latency as people read it: 850 us, 12.1 ms, 1.9 s. */
void slice_output__time(char *buf, size_t size, uint64_t ns);

#endif
