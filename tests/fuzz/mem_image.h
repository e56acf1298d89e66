/* A fake target's memory for the fuzz harnesses: proc_mem__*() served from segments of a byte buffer. */
#ifndef MEM_IMAGE_H
#define MEM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The image is a list of segments, each `u64 address, u16 length, length bytes` (little-endian), as
 * scripts/gen-fuzz-corpus.py dumps them from a live interpreter. A truncated last segment is cut to the bytes
 * present. Reads are served only when they fall wholly inside one segment, as a read across an unmapped gap fails;
 * every other address reads as unmapped (-EFAULT).
 */
void mem_image__load(const uint8_t *data, size_t size);
/* Forgets the segments (the buffer they point into is the caller's). */
void mem_image__clear(void);

#endif
