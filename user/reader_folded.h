/* Reads folded stacks (plain or zstd-compressed) back into a profile, so saved profiles can be converted. */
#ifndef READER_FOLDED_H
#define READER_FOLDED_H

#include "profile.h"

/* Reads path (or stdin for "-"); frame kinds come from their shape. 0, or -errno with one message printed. */
int folded__read(struct profile *p, const char *path);

#endif
