/* Reads another process's memory (process_vm_readv): never trusts what it reads. */
#ifndef PROC_MEM_H
#define PROC_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Every read of a target's memory goes through these functions, so a test or fuzz harness can link its own
 * implementation (tests/fuzz/mem_image.c serves them from a byte buffer) in place of this file.
 */

/* Reads exactly size bytes at addr of pid; 0 or -errno (-EFAULT for a short read). */
int proc_mem__read(pid_t pid, uint64_t addr, void *buf, size_t size);
int proc_mem__read_u64(pid_t pid, uint64_t addr, uint64_t *out);
/*
 * Two ranges in one system call: size1 bytes at addr1 into buf1, then size2 at addr2 into buf2. Returns the bytes
 * read, counted from the start of the first range (less than size1 + size2 when a range is unreadable), or -errno.
 */
ssize_t proc_mem__read2(pid_t pid, uint64_t addr1, void *buf1, size_t size1, uint64_t addr2, void *buf2, size_t size2);

#endif
