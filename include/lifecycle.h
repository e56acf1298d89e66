/* The contract between the process-lifecycle programs (bpf/lifecycle.bpf.c) and userspace (process_tracker.c):
 * which processes become targets, and the events that say so. */
#ifndef LIFECYCLE_H
#define LIFECYCLE_H

#include "pyflame.h"
#include "glob_match.h"

/* Which processes the kernel adds to `targets` by itself (the scope); set before load. */
enum pf_scope {
	PF_SCOPE_PIDS = 0, /* only the processes userspace adds (-p, the command) */
	PF_SCOPE_CHILDREN, /* those, and every process a target forks (--children) */
	PF_SCOPE_ALL,	   /* every process (--all), or those whose name matches --comm */
	PF_SCOPE_CGROUP,   /* every process in a cgroup v2 or its descendants (--cgroup), --comm applying too */
};

enum pf_proc_event_type {
	PF_PROC_FORK =
	    1,	       /* pid, forked by target ppid, is a target with its parent's entry (a fork keeps the layout) */
	PF_PROC_EXEC,  /* pid exec'd and is a target as a native process until userspace finds its interpreter */
	PF_PROC_ENTER, /* pid entered the --cgroup: a target, native until userspace finds its interpreter */
	PF_PROC_LEAVE, /* pid left the scope (its cgroup, or an exec into a name --comm refuses): not a target */
	PF_PROC_EXIT,  /* the last thread of target pid exited: not a target */
};

/*
 * One process event, streamed through the sampler's ring buffer in order with the samples: every sample a process
 * took before it exec'd or exited is read before the event, every sample of the next program or of a later process
 * with the same PID after it.
 */
struct pf_proc_event {
	__u32 kind;	/* PF_REC_PROC_EVENT */
	__u32 type;	/* enum pf_proc_event_type */
	__u64 time_ns;	/* bpf_ktime_get_ns(), as a sample's */
	__u64 start_ns; /* the process's start, ns since boot (task->start_boottime): PID + start = identity */
	__u32 pid;	/* tgid */
	__u32 ppid;	/* PF_PROC_FORK: the forking target */
	__u32 flags;	/* PF_TARGET_* of the entry the kernel made (a fork inherits PF_TARGET_PYTHON) */
	__u32 pad;
	char comm[PF_TASK_COMM_LEN]; /* the process's name now */
};

/* Counted per CPU in the lifecycle's `lifecycle_stats` map. */
enum pf_lifecycle_stat {
	PF_LC_STAT_ADDED,      /* processes the kernel made targets (forks, execs, cgroup entries) */
	PF_LC_STAT_REMOVED,    /* targets the kernel removed (exits, leaving the scope) */
	PF_LC_STAT_MAP_FULL,   /* processes not made targets: the targets map was full (--max-processes) */
	PF_LC_STAT_EVENT_LOST, /* events lost: ring buffer full (userspace catches up from samples and /proc) */
	PF_LC_STAT__COUNT,
};

#endif
