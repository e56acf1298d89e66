// SPDX-License-Identifier: GPL-2.0
/* Process lifecycle: keeps the sampler's `targets` map in step with forks, execs, exits and cgroup moves, and streams
 * one event per change to userspace through the sampler's ring buffer. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "lifecycle.h"

#define PF_KTHREAD 0x00200000 /* task_struct.flags: a kernel thread (include/linux/sched.h) */

/* Set by userspace before load. */
const volatile __u32 scope = PF_SCOPE_PIDS;   /* enum pf_scope */
const volatile __u64 cgroup_id = 0;	      /* --cgroup: the directory's inode number (its kernfs id) */
const volatile __u32 cgroup_level = 0;	      /* its depth below the root of the v2 hierarchy */
const volatile __u32 self_tgid = 0;	      /* pyflame-bpf: never a target */
const volatile struct pf_glob comm_glob = {}; /* --comm, compiled by userspace */

/* The sampler's maps, shared through bpf_map__reuse_fd() before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32); /* tgid */
	__type(value, struct pf_target);
	__uint(max_entries, 1); /* placeholder: the sampler's map is reused (bpf_map__reuse_fd) */
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* placeholder (one page): the sampler's ring buffer is reused */
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, PF_LC_STAT__COUNT);
} lifecycle_stats SEC(".maps");

/* struct cgroup before 6.2 kept its ancestors' ids rather than pointers to them. */
struct cgroup___ids {
	u64 ancestor_ids[0];
} __attribute__((preserve_access_index));

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&lifecycle_stats, &which);

	if (v)
		*v += 1;
}

/* Is cg the --cgroup directory or below it? Its ancestor at the directory's level must be the directory. */
static __always_inline int cgroup_in_scope(struct cgroup *cg)
{
	__u64 id = 0;

	if (!cg || BPF_CORE_READ(cg, level) < (int)cgroup_level)
		return 0;
	if (bpf_core_field_exists(cg->ancestors)) {
		struct cgroup *ancestor = NULL;

		bpf_probe_read_kernel(&ancestor, sizeof(ancestor),
				      (void *)cg + bpf_core_field_offset(cg->ancestors) +
					  cgroup_level * sizeof(void *));
		id = BPF_CORE_READ(ancestor, kn, id);
	} else {
		struct cgroup___ids *old = (void *)cg;

		bpf_probe_read_kernel(&id, sizeof(id),
				      (void *)old + bpf_core_field_offset(old->ancestor_ids) +
					  cgroup_level * sizeof(id));
	}
	return id == cgroup_id;
}

static __always_inline int task_in_cgroup(struct task_struct *task)
{
	return cgroup_in_scope(BPF_CORE_READ(task, cgroups, dfl_cgrp));
}

static long glob_step(__u32 i, void *arg)
{
	return pf_glob_step(arg, &comm_glob);
}

/* Does the process's name (its leader's comm) match --comm? Always, without a pattern. */
static __always_inline int comm_matches(struct task_struct *task)
{
	struct pf_glob_state st = {};

	if (!comm_glob.active)
		return 1;
	BPF_CORE_READ_STR_INTO(&st.s, task, group_leader, comm);
	pf_glob_start(&st);
	bpf_loop(PF_GLOB_MAX_STEPS, glob_step, &st, 0);
	return st.result;
}

static __always_inline void emit(__u32 type, struct task_struct *task, __u32 ppid, __u32 flags, __u64 rb_flags)
{
	struct pf_proc_event ev = {};

	ev.kind = PF_REC_PROC_EVENT;
	ev.time_ns = bpf_ktime_get_ns();
	ev.start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	ev.type = type;
	ev.pid = BPF_CORE_READ(task, tgid);
	ev.ppid = ppid;
	ev.flags = flags;
	BPF_CORE_READ_STR_INTO(&ev.comm, task, group_leader, comm);
	if (bpf_ringbuf_output(&samples, &ev, sizeof(ev), rb_flags))
		stat_inc(PF_LC_STAT_EVENT_LOST);
}

/* Makes tgid a target with entry t; counts a full map. */
static __always_inline int target_add(__u32 tgid, const struct pf_target *t)
{
	long err = bpf_map_update_elem(&targets, &tgid, t, BPF_ANY);

	if (err) {
		stat_inc(PF_LC_STAT_MAP_FULL);
		return -1;
	}
	stat_inc(PF_LC_STAT_ADDED);
	return 0;
}

static __always_inline int target_remove(__u32 tgid)
{
	if (bpf_map_delete_elem(&targets, &tgid))
		return -1; /* was not a target */
	stat_inc(PF_LC_STAT_REMOVED);
	return 0;
}

/* Runs in the parent before the child is first scheduled: a followed child is a target from its first sample. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(pf_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), tgid = BPF_CORE_READ(child, tgid);
	const struct pf_target *from;
	struct pf_target t = {};

	if (scope == PF_SCOPE_PIDS || BPF_CORE_READ(child, pid) != tgid)
		return 0; /* not following, or a new thread */
	from = bpf_map_lookup_elem(&targets, &ptgid);
	if (scope == PF_SCOPE_CGROUP) {
		/* clone3(CLONE_INTO_CGROUP) can start a child in another cgroup than its parent's (systemd does). */
		if (!task_in_cgroup(child) || (!from && (ptgid == self_tgid || !comm_matches(child))))
			return 0;
	} else if (!from) {
		return 0; /* --all: a parent that is not a target has the same name as its child */
	}
	if (from)
		t = *from; /* the same memory layout: a forked Python child is walked from its first sample */
	if (target_add(tgid, &t))
		return 0;
	emit(PF_PROC_FORK, child, ptgid, t.flags, BPF_RB_NO_WAKEUP);
	return 0;
}

/* A new program: a target stays one (or becomes one, by --all/--cgroup/--comm) as a native process, and userspace
 * is woken at once to find its interpreter. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(pf_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	int was = bpf_map_lookup_elem(&targets, &tgid) != NULL, admit;
	struct pf_target native = {};

	if (scope == PF_SCOPE_ALL)
		admit = tgid != self_tgid && comm_matches(task);
	else if (scope == PF_SCOPE_CGROUP)
		admit = tgid != self_tgid && task_in_cgroup(task) && comm_matches(task);
	else
		admit = was;
	if (admit) {
		if (!target_add(tgid, &native))
			emit(PF_PROC_EXEC, task, 0, 0, BPF_RB_FORCE_WAKEUP);
	} else if (was && !target_remove(tgid)) {
		emit(PF_PROC_LEAVE, task, 0, 0, BPF_RB_NO_WAKEUP);
	}
	return 0;
}

/* Every thread passes here; the process is gone when the last one does (signal->live drops to 0 before). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(pf_exit, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	if (!target_remove(tgid))
		emit(PF_PROC_EXIT, task, 0, 0, BPF_RB_NO_WAKEUP);
	return 0;
}

/* --cgroup: a process written into cgroup.procs enters or leaves the scope. Fired once for the group leader after
 * the whole process moved, in any hierarchy: the process's own v2 cgroup decides (a move in a v1 hierarchy of a
 * hybrid layout changes nothing, and v1 cgroup ids are not comparable with v2 ones). */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(pf_cgroup_attach, struct cgroup *dst, const char *path, struct task_struct *task, bool threadgroup)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	int was, in;
	struct pf_target native = {};

	if (scope != PF_SCOPE_CGROUP || BPF_CORE_READ(task, pid) != tgid || tgid == self_tgid ||
	    (BPF_CORE_READ(task, flags) & PF_KTHREAD))
		return 0;
	was = bpf_map_lookup_elem(&targets, &tgid) != NULL;
	in = task_in_cgroup(task) && comm_matches(task);
	if (in && !was) {
		if (!target_add(tgid, &native))
			emit(PF_PROC_ENTER, task, 0, 0, BPF_RB_FORCE_WAKEUP);
	} else if (!in && was && !target_remove(tgid)) {
		emit(PF_PROC_LEAVE, task, 0, 0, BPF_RB_NO_WAKEUP);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
