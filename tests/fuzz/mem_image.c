/* A fake target's memory for the fuzz harnesses: proc_mem__*() served from segments of a byte buffer. */
#include <errno.h>
#include <string.h>
#include "mem_image.h"
#include "proc_mem.h"

#define MAX_SEGMENTS 64

struct segment {
	uint64_t addr;
	const uint8_t *bytes;
	size_t len;
};

static struct segment segments[MAX_SEGMENTS];
static size_t nsegments;

void mem_image__load(const uint8_t *data, size_t size)
{
	size_t at = 0;

	nsegments = 0;
	while (nsegments < MAX_SEGMENTS && size - at >= 10) {
		struct segment *s = &segments[nsegments++];
		uint16_t len;

		memcpy(&s->addr, data + at, sizeof(s->addr));
		memcpy(&len, data + at + 8, sizeof(len));
		at += 10;
		s->bytes = data + at;
		s->len = len < size - at ? len : size - at;
		at += s->len;
	}
}

void mem_image__clear(void)
{
	nsegments = 0;
}

/* The segment bytes at [addr, addr + size), or NULL when no one segment holds them all. */
static const uint8_t *find(uint64_t addr, size_t size)
{
	for (size_t i = 0; i < nsegments; i++) {
		const struct segment *s = &segments[i];

		if (addr >= s->addr && addr - s->addr <= s->len && size <= s->len - (addr - s->addr))
			return s->bytes + (addr - s->addr);
	}
	return NULL;
}

int proc_mem__read(pid_t pid, uint64_t addr, void *buf, size_t size)
{
	const uint8_t *at = find(addr, size);

	(void)pid;
	if (!addr || !at)
		return -EFAULT;
	memcpy(buf, at, size);
	return 0;
}

int proc_mem__read_u64(pid_t pid, uint64_t addr, uint64_t *out)
{
	return proc_mem__read(pid, addr, out, sizeof(*out));
}

ssize_t proc_mem__read2(pid_t pid, uint64_t addr1, void *buf1, size_t size1, uint64_t addr2, void *buf2, size_t size2)
{
	/* process_vm_readv stops at the first range it cannot read. */
	if (proc_mem__read(pid, addr1, buf1, size1))
		return 0;
	if (proc_mem__read(pid, addr2, buf2, size2))
		return (ssize_t)size1;
	return (ssize_t)(size1 + size2);
}
