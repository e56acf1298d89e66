/* The fuzz input as a FILE *, for parsers that read a stream. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stdint.h>
#include <stdio.h>

/* A read-only stream over data (glibc opens an empty one too); NULL on failure. */
static inline FILE *fuzz_input__open(const uint8_t *data, size_t size)
{
	static const uint8_t empty[1];

	return fmemopen((void *)(size ? data : empty), size, "r");
}

#endif
