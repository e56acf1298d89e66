/* A process's identity and parentage, parsed from /proc/PID/stat. */
#ifndef PROC_STAT_H
#define PROC_STAT_H

#include <stdint.h>
#include <sys/types.h>

struct proc_stat {
	pid_t pid;
	pid_t ppid;
	char state;	      /* R, S, D, Z, X, ... */
	unsigned flags;	      /* task flags (PF_KTHREAD 0x00200000: a kernel thread) */
	uint64_t start_ticks; /* start time in clock ticks since boot: with the PID, the process's identity */
	char comm[16];
};

#define PROC_STAT_KTHREAD 0x00200000u
#define PROC_STAT_EXITING 0x00000004u /* PF_EXITING: in do_exit(), its memory released or about to be */

/* Parses one /proc/PID/stat line; -EINVAL when malformed. The name may hold spaces and parentheses. */
int proc_stat__parse(struct proc_stat *st, const char *line);
/* Reads /proc/PID/stat; -ESRCH when there is no such process. */
int proc_stat__read(struct proc_stat *st, pid_t pid);
/* A start time in ns since boot (as the kernel's task->start_boottime) in /proc's clock ticks. */
uint64_t proc_stat__ticks_from_ns(uint64_t ns);

#endif
