/* --slice's output: the slow invocations' profile (or their diff against the rest) and the latency lines. */
#ifndef SLICE_OUTPUT_H
#define SLICE_OUTPUT_H

#include <stddef.h>
#include "cli.h"
#include "output.h"
#include "profile.h"
#include "slicer.h"

/* Writes the profile of the slow invocations of --slice's FUNC that ended so far (the slicer's, of the recording's
 * profile p, ntargets named targets) to out and says on stderr what it holds. */
int slice_output__write(const struct pf_options *o, struct slicer *slicer, const struct profile *p, size_t ntargets,
			struct output *out, size_t *lines);
/* A latency as people read it: 850 us, 12.1 ms, 1.9 s. */
void slice_output__time(char *buf, size_t size, uint64_t ns);

#endif
