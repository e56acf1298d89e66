/* The processes a --children, --all or --cgroup run starts with (the kernel follows them from then on), and the
 * cgroup --cgroup names. */
#ifndef PROCESS_SCOPE_H
#define PROCESS_SCOPE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "glob_match.h"
#include "proc_stat.h"

/* Called for each process found; a negative return stops the scan with that error. */
typedef int (*process_scope_fn)(void *ctx, const struct proc_stat *st);

/*
 * A cgroup v2 directory as the kernel knows it: its id (the directory's inode number, the kernfs id BPF reads) and
 * its depth below the hierarchy's root. -EINVAL with why filled when path is not a cgroup v2 directory.
 */
int cgroup_scope__resolve(const char *path, uint64_t *id, unsigned *level, char *why, size_t why_size);

/* Every user process (no kernel threads, not ourselves, no zombies) whose name matches g. */
int process_scope__scan_all(const struct pf_glob *g, process_scope_fn fn, void *ctx);
/* Every process of the cgroup at path and of its descendants whose name matches g. */
int process_scope__scan_cgroup(const char *path, const struct pf_glob *g, process_scope_fn fn, void *ctx);
/* Every live descendant of the processes for which is_root says yes, parents before their children. */
int process_scope__scan_children(int (*is_root)(void *ctx, pid_t pid), process_scope_fn fn, void *ctx);

#endif
