/* `pyflame-bpf dump`: every thread of the named processes now, read without stopping them. */
#ifndef DUMP_H
#define DUMP_H

#include "cli.h"
#include "output.h"

/* Reads each thread's stacks once and writes them to out; the exit status (0, or 1 after a message). */
int dump__run(const struct pf_options *o, struct output *out);

#endif
