/* speedscope's JSON file format (https://www.speedscope.app/file-format-schema.json): one sampled profile per root. */
#ifndef WRITER_SPEEDSCOPE_H
#define WRITER_SPEEDSCOPE_H

#include <stdio.h>
#include "profile_view.h"

/* Writes the view as a speedscope file. Stacks that start with process/thread root frames are grouped by those frames
 * into one profile each, named after them (the roots are not frames of its samples); stacks without roots go into one
 * profile called name (NULL: "pyflame-bpf"). Weights are seconds (count * seconds_per_sample) when seconds_per_sample
 * is > 0, else the sample counts (unit "none"). Returns 0 or -errno. */
int speedscope__write(const struct profile_view *v, const char *name, double seconds_per_sample, FILE *out);

#endif
