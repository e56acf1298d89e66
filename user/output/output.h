/* Where the profile goes: stdout, or a file written beside its final name and renamed into place when complete. */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stdio.h>
#include "output_path.h"

struct output {
	FILE *file; /* what writers write to: the file itself, or a zstd stream into it */
	FILE *raw;  /* the file itself */
	char *path; /* final name, NULL for stdout */
	char *tmp;  /* temporary name in the target's directory while writing, NULL when writing in place */
	struct output_path target; /* where path leads (its directory and final name), when path is set */
};

/* Opens early, so a bad path (or a symlink output_path's policy refuses) fails before anything is loaded; prints one
 * line on failure.
 * compress: what is written goes through zstd. */
int output__open(struct output *o, const char *path, int compress);
/* Flushes and moves the file into place; prints one line on failure. err: an earlier write error. */
int output__commit(struct output *o, int err);
/* Drops a partial file. */
void output__abort(struct output *o);

#endif
