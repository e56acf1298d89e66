/* A process's memory mappings, parsed from /proc/PID/maps. */
#ifndef PROC_MAPS_H
#define PROC_MAPS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct proc_map {
	uint64_t start, end; /* [start, end) */
	uint64_t offset;     /* file offset of start */
	uint64_t inode;
	unsigned dev_major, dev_minor;
	char perms[5];
	char *path; /* "" for anonymous mappings; "[vdso]", "[stack]", ... for special ones */
};

struct proc_maps {
	struct proc_map *maps; /* sorted by start, as the kernel lists them */
	size_t n;
};

int proc_maps__parse(struct proc_maps *m, FILE *f);
/* Reads /proc/PID/maps; -ESRCH when the process is gone (or is a kernel thread, which has no memory of its own);
 * -EAGAIN when it lives but shows no mappings yet: mid-exec, read it again. */
int proc_maps__read(struct proc_maps *m, pid_t pid);
const struct proc_map *proc_maps__find(const struct proc_maps *m, uint64_t addr);
/* A deep copy (a forked child starts with its parent's mappings). */
int proc_maps__dup(struct proc_maps *dst, const struct proc_maps *src);
void proc_maps__free(struct proc_maps *m);
/* The path under which this process sees the mapped file: /proc/PID/map_files/START-END. */
void proc_map__open_path(const struct proc_map *map, pid_t pid, char *buf, size_t size);
/* Last path component, for display. */
const char *proc_map__basename(const struct proc_map *map);

#endif
