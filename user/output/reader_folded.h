/* Reads folded stacks (plain or zstd-compressed) back into a profile, so saved profiles can be converted. */
#ifndef READER_FOLDED_H
#define READER_FOLDED_H

#include <stdio.h>
#include "profile.h"

/* Reads path (or stdin for "-"); frame kinds come from their shape, p->measure from the header line our writer puts
 * first (without one: as it was, samples). 0, or -errno with one message printed. */
int folded__read(struct profile *p, const char *path);
/* The same from an open stream; name is the file's name in messages. */
int folded__read_file(struct profile *p, FILE *f, const char *name);

#endif
