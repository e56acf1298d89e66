/* Reads another process's memory (process_vm_readv): never trusts what it reads. */

#include <errno.h>
#include <sys/uio.h>
#include "proc_mem.h"

int proc_mem__read(pid_t pid, uint64_t addr, void *buf, size_t size)
{
	struct iovec local = { .iov_base = buf, .iov_len = size };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = size };
	ssize_t n;

	if (!addr)
		return -EFAULT;
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == size ? 0 : -EFAULT;
}

int proc_mem__read_u64(pid_t pid, uint64_t addr, uint64_t *out)
{
	return proc_mem__read(pid, addr, out, sizeof(*out));
}

ssize_t proc_mem__read2(pid_t pid, uint64_t addr1, void *buf1, size_t size1, uint64_t addr2, void *buf2, size_t size2)
{
	struct iovec local[2] = { { buf1, size1 }, { buf2, size2 } };
	struct iovec remote[2] = { { (void *)(uintptr_t)addr1, size1 }, { (void *)(uintptr_t)addr2, size2 } };
	ssize_t n = process_vm_readv(pid, local, 2, remote, 2, 0);

	return n < 0 ? -errno : n;
}
