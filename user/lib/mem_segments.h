/* Pieces of a target's memory held in a buffer (a sampler's copy, a fuzz input): reads served from them alone. */
#ifndef MEM_SEGMENTS_H
#define MEM_SEGMENTS_H

#include <stddef.h>
#include <stdint.h>

#define MEM_SEGMENTS_MAX 64

struct mem_segment {
	uint64_t addr;
	const uint8_t *bytes; /* the caller's buffer */
	size_t len;
};

struct mem_segments {
	struct mem_segment seg[MEM_SEGMENTS_MAX];
	size_t n;
};

/* Adds len bytes at addr; -ENOSPC when full. */
int mem_segments__add(struct mem_segments *m, uint64_t addr, const uint8_t *bytes, size_t len);
/* The segments of a sampler's record (struct pf_mem_segment, each padded to 8): 0, or -EINVAL when they do not fit
 * in size bytes. */
int mem_segments__parse(struct mem_segments *m, const void *data, size_t size);
/* Exactly size bytes at addr when one segment holds them all: 0, else -EFAULT (as a read across a gap fails). */
int mem_segments__read(const struct mem_segments *m, uint64_t addr, void *buf, size_t size);

#endif
