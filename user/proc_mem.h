/* Reads another process's memory (process_vm_readv): never trusts what it reads. */
#ifndef PROC_MEM_H
#define PROC_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads exactly size bytes at addr of pid; 0 or -errno (-EFAULT for a short read). */
int proc_mem__read(pid_t pid, uint64_t addr, void *buf, size_t size);
int proc_mem__read_u64(pid_t pid, uint64_t addr, uint64_t *out);

#endif
