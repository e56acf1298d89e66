/* A fake target's memory for the fuzz harnesses: proc_mem__*() served from segments of a byte buffer. */
#include <errno.h>
#include <string.h>
#include "mem_image.h"
#include "mem_segments.h"
#include "proc_mem.h"

static struct mem_segments image;

void mem_image__load(const uint8_t *data, size_t size)
{
	size_t at = 0;

	image.n = 0;
	while (size - at >= 10) {
		uint64_t addr;
		uint16_t len;

		memcpy(&addr, data + at, sizeof(addr));
		memcpy(&len, data + at + 8, sizeof(len));
		at += 10;
		if (len > size - at)
			len = (uint16_t)(size - at);
		if (mem_segments__add(&image, addr, data + at, len))
			break;
		at += len;
	}
}

void mem_image__clear(void)
{
	image.n = 0;
}

int proc_mem__read(pid_t pid, uint64_t addr, void *buf, size_t size)
{
	(void)pid;
	return mem_segments__read(&image, addr, buf, size);
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
