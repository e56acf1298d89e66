/* `dump` output: each thread of each process, what it waits for, its Python stack leaf first, native and kernel
 * frames after it; as text or one JSON document. */
#ifndef WRITER_DUMP_H
#define WRITER_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "profile.h"

/* What one thread was doing when it was read. */
struct dump_thread {
	uint32_t pid, tid;
	uint32_t flags;	 /* its record's PF_SAMPLE_* */
	int64_t syscall; /* the system call it waits in, -1 when none */
};

/* Writes threads (sorted here by PID, then TID), their stacks taken from p (one per thread). 0 or -EIO. */
int dump__write(const struct profile *p, struct dump_thread *threads, size_t n, int json, int no_kernel, FILE *out);

#endif
