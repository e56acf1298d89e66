/* Pieces of a target's memory held in a buffer: reads served from them alone. */
#include <errno.h>
#include <string.h>
#include "mem_segments.h"
#include "pyflame.h"

int mem_segments__add(struct mem_segments *m, uint64_t addr, const uint8_t *bytes, size_t len)
{
	if (m->n >= MEM_SEGMENTS_MAX)
		return -ENOSPC;
	m->seg[m->n++] = (struct mem_segment){ addr, bytes, len };
	return 0;
}

int mem_segments__parse(struct mem_segments *m, const void *data, size_t size)
{
	const uint8_t *p = data;
	size_t at = 0;

	m->n = 0;
	while (at < size) {
		struct pf_mem_segment h;
		size_t padded;

		if (size - at < sizeof(h))
			return -EINVAL;
		memcpy(&h, p + at, sizeof(h));
		at += sizeof(h);
		padded = ((size_t)h.len + 7) & ~(size_t)7;
		if (padded > size - at || mem_segments__add(m, h.addr, p + at, h.len))
			return -EINVAL;
		at += padded;
	}
	return 0;
}

int mem_segments__read(const struct mem_segments *m, uint64_t addr, void *buf, size_t size)
{
	for (size_t i = 0; addr && i < m->n; i++) {
		const struct mem_segment *s = &m->seg[i];

		if (addr >= s->addr && addr - s->addr <= s->len && size <= s->len - (addr - s->addr)) {
			memcpy(buf, s->bytes + (addr - s->addr), size);
			return 0;
		}
	}
	return -EFAULT;
}
