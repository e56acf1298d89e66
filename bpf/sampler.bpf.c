// SPDX-License-Identifier: GPL-2.0
/* The perf-event sampler: filters target processes, records kernel/user stack ids, walks CPython frames, streams one record per sample. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "pyflame.h"

#define EFAULT 14
#define ENOMEM 12
#define EEXIST 17

/* Set by userspace before load. */
const volatile __u32 max_py_depth = 128;     /* Python frames kept per sample (≤ PF_MAX_PY_FRAMES) */
const volatile __u32 max_py_threads = 4096;  /* thread states visited when searching a thread's state */
const volatile __u64 tstate_retry_ns = 1000000000ULL; /* how long a "no thread state" answer is trusted */
const volatile bool measure_cost = false;   /* time each target sample (kernel.bpf_stats_enabled=1 asks for it) */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);   /* tgid */
	__type(value, struct pf_target);
	__uint(max_entries, 4096);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
	__uint(max_entries, 16384);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, PF_STAT__COUNT);
} stats SEC(".maps");

/* Per-thread answer of the thread-state search: a hit is re-validated by one read, a miss expires. */
struct tstate_entry {
	__u64 tstate;
	__u64 retry_at_ns;    /* for tstate == 0: search again after this time */
};

/* Task-local: no hashing per sample, and the entry dies with its thread (no stale answer after TID reuse). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tstate_entry);
} tstate_cache SEC(".maps");

/*
 * From 3.11 a thread's frames live one after the other in its data stack, each caller just below its callee.
 * One read of the WINDOW bytes below a frame then usually holds several of its callers: far fewer reads per
 * sample than one per frame. Must be a power of two.
 */
#define WINDOW 1024

/* Per-CPU scratch: the record being built and the blocks last read from the target. */
struct scratch {
	__u8 record[sizeof(struct pf_sample) + PF_MAX_PY_FRAMES * sizeof(struct pf_py_frame)];
	__u8 block[PF_READ_BLOCK];
	/* A window of the thread's frame stack (3.11+): WINDOW bytes read at once, plus room for a frame's fields. */
	__u8 window[WINDOW + PF_READ_BLOCK];
};

/* The record at the start of the scratch: header, then its frames. */
#define SAMPLE(s) ((struct pf_sample *)(s)->record)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct scratch);
	__uint(max_entries, 1);
} scratch_map SEC(".maps");

static __always_inline void stat_add(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += n;
}

static __always_inline void stat_inc(__u32 which)
{
	stat_add(which, 1);
}

static __always_inline struct scratch *scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch_map, &zero);
}

/* Field accessors into the last block read; offsets come from userspace, so bound them for the verifier. */
static __always_inline __u64 block_u64(const __u8 *block, __s16 off)
{
	__u32 o = (__u32)off;

	if (o > PF_READ_BLOCK - 8)
		return 0;
	return *(const __u64 *)(block + o);
}

static __always_inline __s32 block_s32(const __u8 *block, __s16 off)
{
	__u32 o = (__u32)off;

	if (o > PF_READ_BLOCK - 4)
		return 0;
	return *(const __s32 *)(block + o);
}

static __always_inline __u8 block_u8(const __u8 *block, __s16 off)
{
	__u32 o = (__u32)off;

	if (o > PF_READ_BLOCK - 1)
		return 0;
	return block[o];
}

/* One read of `size` bytes of the target at addr into the scratch block. */
static __always_inline int block_read(__u8 *block, __u64 size, __u64 addr)
{
	/* Hide how size was computed, so clang checks the very register it passes to the helper rather than
	 * an equivalent earlier value the verifier cannot relate to it. */
	asm volatile("" : "+r"(size));
	if (size == 0 || size > PF_READ_BLOCK)
		return -1;
	return bpf_probe_read_user(block, size, (const void *)addr);
}

/* Larger of two offsets; an absent field (-1) counts as 0. */
static __always_inline __u64 max_off(__s16 a, __s16 b)
{
	__u64 x = a < 0 ? 0 : a, y = b < 0 ? 0 : b;

	return x > y ? x : y;
}

/* Bytes of a PyThreadState to read so that next, thread_id and the frame link all land in one block. */
static __always_inline __u64 tstate_block_size(const struct pf_py_layout *l)
{
	return max_off(max_off(l->tstate_next, l->tstate_thread_id), l->tstate_frame) + 8;
}

/* Bytes of a frame to read so that back, code, instruction and owner land in one block. */
static __always_inline __u64 frame_block_size(const struct pf_py_layout *l)
{
	return max_off(max_off(l->frame_back, l->frame_code), max_off(l->frame_instr, l->frame_owner)) + 8;
}

/* The frame currently executing in a thread, from its thread state already in the block. */
static __always_inline __u64 tstate_current_frame(struct scratch *s, const struct pf_py_layout *l)
{
	__u64 link = block_u64(s->block, l->tstate_frame);
	__u64 frame = 0;

	if (l->frame_link != PF_LINK_CFRAME)
		return link;
	if (!link || bpf_probe_read_user(&frame, sizeof(frame), (const void *)(link + l->cframe_current_frame)))
		return 0;
	return frame;
}

struct tstate_search {
	const struct pf_py_layout *layout;
	__u64 tstate;
	__u64 fsbase;
	__u64 found;
	__u64 size;
	int err;
};

static long tstate_search_step(__u32 i, void *arg)
{
	struct tstate_search *t = arg;
	struct scratch *s = scratch_get();

	if (!s || !t->tstate)
		return 1;
	if (block_read(s->block, t->size, t->tstate)) {
		t->err = 1;
		return 1;
	}
	if (block_u64(s->block, t->layout->tstate_thread_id) == t->fsbase) {
		t->found = t->tstate;
		return 1;
	}
	t->tstate = block_u64(s->block, t->layout->tstate_next);
	return 0;
}

/*
 * Finds the sampled thread's PyThreadState and leaves it in the scratch block.
 * thread_id holds pthread_self(), which is the task's fsbase (FACTS.md).
 */
static __always_inline __u64 find_tstate(struct scratch *s, const struct pf_py_proc *p, struct task_struct *task,
					 __u64 fsbase, __u64 now)
{
	const struct pf_py_layout *l = &p->layout;
	__u64 size = tstate_block_size(l);
	struct tstate_entry *cached = bpf_task_storage_get(&tstate_cache, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	struct tstate_search t = {};
	__u64 interp = 0;

	if (!cached)
		return 0;
	if (cached->tstate) {
		/* A state without a frame may be a freed one whose thread got a new state elsewhere
		 * (PyGILState_Release, then Ensure): search again, at most once per retry period. */
		if (!block_read(s->block, size, cached->tstate) && block_u64(s->block, l->tstate_thread_id) == fsbase &&
		    (block_u64(s->block, l->tstate_frame) || now < cached->retry_at_ns))
			return cached->tstate;
	} else if (now < cached->retry_at_ns) {
		return 0;
	}
	if (bpf_probe_read_user(&interp, sizeof(interp), (const void *)p->interp_head_addr) || !interp)
		return 0;
	if (bpf_probe_read_user(&t.tstate, sizeof(t.tstate), (const void *)(interp + l->interp_tstate_head)))
		return 0;
	t.layout = l;
	t.fsbase = fsbase;
	t.size = size;
	bpf_loop(max_py_threads, tstate_search_step, &t, 0);
	cached->tstate = t.found;
	cached->retry_at_ns = now + tstate_retry_ns;
	return t.found;
}

struct frame_walk {
	struct scratch *s;      /* per-CPU scratch, looked up once per sample */
	struct pf_py_layout l;  /* copied once: read on every frame */
	__u64 none;
	__u64 frame;
	__u64 size;
	__u64 wbase, wlen;      /* target addresses held in s->window */
	__u32 n;
	__u32 max;
	__u32 walked;           /* frames visited, shims included */
	__u32 tags;             /* tag each frame from its code object */
	__u32 tag_errors;
	__u32 reads;            /* probe reads made */
	int truncated;
	int err;
};

/* The frame at w->frame, from the window when it is inside it, else read anew (with its callers if possible). */
static __always_inline const __u8 *frame_block(struct frame_walk *w)
{
	struct scratch *s = w->s;
	__u64 f = w->frame, base, off;

	w->walked++;
	if (w->l.instr_kind != PF_INSTR_POINTER) {
		w->reads++;
		return block_read(s->block, w->size, f) ? NULL : s->block;
	}
	if (f < w->wbase || f + w->size > w->wbase + w->wlen) {
		base = f + w->size - WINDOW;
		w->reads++;
		if (f + w->size > WINDOW && !bpf_probe_read_user(s->window, WINDOW, (const void *)base)) {
			w->wbase = base;
			w->wlen = WINDOW;
		} else if (!block_read(s->window, w->size, f)) {
			w->wbase = f; /* the window would start in an unmapped page: just this frame */
			w->wlen = w->size;
		} else {
			return NULL;
		}
	}
	off = (f - w->wbase) & (WINDOW - 1);
	return s->window + off;
}

/* A tag of the code object itself, so userspace can tell it from another one later allocated at its address. */
static __always_inline __u32 code_tag(struct frame_walk *w, __u64 code)
{
	__u32 words[PF_CODE_TAG_BYTES / 4];
	__u64 name, hash = 0;

	w->reads += 2;
	if (bpf_probe_read_user(words, sizeof(words), (const void *)(code + w->l.code_tag)))
		goto fail;
	__builtin_memcpy(&name, &words[PF_CODE_TAG_BYTES / 4 - 2], sizeof(name));
	if (bpf_probe_read_user(&hash, sizeof(hash), (const void *)(name + w->l.str_hash)))
		goto fail;
	return pf_code_tag(words, hash);
fail:
	w->tag_errors++;
	return 0;
}

static long frame_walk_step(__u32 i, void *arg)
{
	struct frame_walk *w = arg;
	struct scratch *s = w->s;
	const __u8 *b;
	__u64 code, ip;
	__s32 instr;

	if (!w->frame)
		return 1;
	b = frame_block(w);
	if (!b) {
		w->err = 1;
		return 1;
	}
	w->frame = block_u64(b, w->l.frame_back);
	code = block_u64(b, w->l.frame_code);
	/* 3.12+: a frame owned by the C stack is an entry shim, not Python code. */
	if (w->l.frame_owner >= 0 && block_u8(b, w->l.frame_owner) == w->l.owner_cstack)
		return 0;
	/* 3.13+: a frame executing None is not code. */
	if (!code || code == w->none)
		return 0;
	if (w->n >= w->max) {
		w->truncated = 1;
		return 1;
	}
	if (w->l.instr_kind == PF_INSTR_LASTI) {
		instr = block_s32(b, w->l.frame_instr);
	} else {
		ip = block_u64(b, w->l.frame_instr);
		instr = (__s32)(((__s64)(ip - code) - w->l.code_adaptive) >> 1); /* -1 before the first instruction */
	}
	SAMPLE(s)->frames[w->n & (PF_MAX_PY_FRAMES - 1)].code = code;
	SAMPLE(s)->frames[w->n & (PF_MAX_PY_FRAMES - 1)].instr = instr;
	SAMPLE(s)->frames[w->n & (PF_MAX_PY_FRAMES - 1)].tag = w->tags ? code_tag(w, code) : 0;
	w->n++;
	return 0;
}

/* Appends the Python stack of the sampled thread (leaf first) to the record; returns the frame count. */
static __always_inline __u32 walk_python(struct scratch *s, const struct pf_py_proc *p, int tags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 fsbase = task->thread.fsbase;
	struct frame_walk w = {};
	__u64 tstate;

	tstate = find_tstate(s, p, task, fsbase, SAMPLE(s)->time_ns);
	if (!tstate) {
		SAMPLE(s)->flags |= PF_SAMPLE_NO_TSTATE;
		stat_inc(PF_STAT_PY_NO_TSTATE);
		return 0;
	}
	w.s = s;
	w.tags = tags;
	w.l = p->layout;
	w.none = p->none_addr;
	w.frame = tstate_current_frame(s, &p->layout);
	w.size = frame_block_size(&p->layout);
	w.max = max_py_depth < PF_MAX_PY_FRAMES ? max_py_depth : PF_MAX_PY_FRAMES;
	/* Shim frames do not count against the depth: allow for one per real frame. */
	bpf_loop(2 * PF_MAX_PY_FRAMES, frame_walk_step, &w, 0);
	/* Out of steps with frames left (very deep stacks full of shims): cut like --max-depth, and say so. */
	if (w.frame && !w.err)
		w.truncated = 1;
	stat_add(PF_STAT_PY_FRAMES, w.walked);
	stat_add(PF_STAT_PY_READS, w.reads);
	if (w.tag_errors)
		stat_add(PF_STAT_PY_TAG_ERR, w.tag_errors);
	if (w.truncated) {
		SAMPLE(s)->flags |= PF_SAMPLE_PY_TRUNC;
		stat_inc(PF_STAT_PY_TRUNCATED);
	}
	if (w.err) {
		SAMPLE(s)->flags |= PF_SAMPLE_PY_ERROR;
		stat_inc(PF_STAT_PY_READ_ERR);
	}
	return w.n;
}

static __always_inline __s32 record_stack(void *ctx, __u64 flags, __u32 full_stat, __u32 err_stat)
{
	long id = bpf_get_stackid(ctx, &stacks, flags);

	if (id >= 0)
		return id;
	if (id == -EEXIST || id == -ENOMEM)
		stat_inc(full_stat);
	else if (!(id == -EFAULT && !(flags & BPF_F_USER_STACK)))
		stat_inc(err_stat); /* -EFAULT for the kernel stack of a user-mode sample is normal */
	return id;
}

/* The user-mode instruction pointer: the registers saved at the last entry from user mode, which for a sample
 * taken in user mode are the interrupted registers themselves. */
static __always_inline __u64 user_ip(void)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	return regs ? BPF_CORE_READ(regs, ip) : 0;
}

SEC("perf_event")
int pf_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	const struct pf_target *target;
	struct scratch *s;
	__u32 n = 0;
	__u64 size;

	if (!tgid)
		return 0;
	target = bpf_map_lookup_elem(&targets, &tgid);
	if (!target)
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	SAMPLE(s)->time_ns = bpf_ktime_get_ns();
	SAMPLE(s)->tgid = tgid;
	SAMPLE(s)->tid = tid;
	SAMPLE(s)->cpu = bpf_get_smp_processor_id();
	SAMPLE(s)->flags = 0;
	bpf_get_current_comm(SAMPLE(s)->comm, sizeof(SAMPLE(s)->comm));
	/* A sample taken in user mode has no kernel stack: spare the helper call. csx is the 8-byte view of cs
	 * (ctx reads of regs must be 8 bytes; older kernels' plain `cs` sits at the same offset). */
	if ((ctx->regs.csx & 3) == 3)
		SAMPLE(s)->kstack_id = -EFAULT;
	else
		SAMPLE(s)->kstack_id = record_stack(ctx, 0, PF_STAT_KSTACK_FULL, PF_STAT_KSTACK_ERR);
	SAMPLE(s)->user_ip = 0;
	if (target->flags & PF_TARGET_PYTHON) {
		/* Without frame pointers in libpython only the leaf is real: send it, not a stack of garbage. */
		SAMPLE(s)->ustack_id = PF_NO_USTACK;
		SAMPLE(s)->user_ip = user_ip();
		SAMPLE(s)->flags |= PF_SAMPLE_PYTHON;
		if (target->flags & PF_TARGET_CODE_TAGS)
			SAMPLE(s)->flags |= PF_SAMPLE_CODE_TAGS;
		n = walk_python(s, &target->py, target->flags & PF_TARGET_CODE_TAGS);
	} else {
		SAMPLE(s)->ustack_id = record_stack(ctx, BPF_F_USER_STACK, PF_STAT_USTACK_FULL, PF_STAT_USTACK_ERR);
	}
	SAMPLE(s)->py_nframes = n;
	size = sizeof(struct pf_sample) + (__u64)(n & (PF_MAX_PY_FRAMES - 1)) * sizeof(struct pf_py_frame);
	if (n >= PF_MAX_PY_FRAMES)
		size = sizeof(s->record);
	if (bpf_ringbuf_output(&samples, s, size, BPF_RB_NO_WAKEUP))
		stat_inc(PF_STAT_LOST_RINGBUF);
	else
		stat_inc(PF_STAT_SAMPLES);
	/* bpf_stats times every run, the many cheap ones on other processes too: this is the targets' share. */
	if (measure_cost)
		stat_add(PF_STAT_TARGET_NS, bpf_ktime_get_ns() - SAMPLE(s)->time_ns);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
