// SPDX-License-Identifier: GPL-2.0
/*
 * The sampler: filters target processes, records kernel/user stacks, walks CPython frames, streams one record per
 * event. Events are timer samples on CPU (perf_event) and, for --mode off/wall, off-CPU intervals: when a target
 * thread leaves the CPU its stacks are recorded (the interval's start), when it comes back a small end record
 * follows; userspace pairs them. A pass over every task at the start records the threads already off CPU.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "pyflame.h"

#define EFAULT 14
#define ENOMEM 12
#define EEXIST 17

/* A search that found no thread state is trusted 2 ms, then twice as long each time, up to tstate_retry_ns. */
#define TSTATE_MISS_FIRST_NS 2000000ULL
#define TSTATE_MISS_SHIFT_MAX 9

/* Set by userspace before load. */
const volatile __u32 max_py_depth = PF_DEFAULT_MAX_DEPTH; /* Python frames kept per sample (≤ PF_MAX_PY_FRAMES) */
const volatile __u32 tstate_search_max = 4096;		  /* thread states visited when searching a thread's state */
const volatile __u64 tstate_retry_ns = 1000000000ULL;	  /* the longest a "no thread state" answer is trusted */
const volatile bool measure_cost = false; /* time each target sample (kernel.bpf_stats_enabled=1 asks for it) */
const volatile __u32 read_gil = 0;	  /* mark on-CPU samples of threads holding the GIL (--gil) */

/* Set by userspace before the scheduler program attaches: the recording's start, in bpf_ktime_get_ns() time. */
__u64 start_ns;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32); /* tgid */
	__type(value, struct pf_target);
	__uint(max_entries, PF_DEFAULT_MAX_PROCESSES); /* userspace sets --max-processes before load */
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PF_MAX_STACK_ADDRS * sizeof(__u64));
	__uint(max_entries, PF_DEFAULT_MAX_STACKS);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PF_DEFAULT_BUFFER_MB << 20);
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, PF_STAT__COUNT);
} stats SEC(".maps");

/*
 * What the sampler keeps per target thread: the answer of the thread-state search (a hit is re-validated by one
 * read, a miss expires) and the start of the thread's current off-CPU interval.
 */
struct task_entry {
	__u64 tstate;
	__u64 retry_at_ns;   /* for tstate == 0: search again after this time */
	__u64 off_at_ns;     /* start of its off-CPU interval, whose start record was sent; 0 while it runs */
	__u32 off_no_python; /* that start has no Python frames: recorded before its interpreter was found (or under
				an entry written for the program before an exec), or before its thread state was */
	__u32 misses;	     /* searches in a row that found no state: the next waits 2 ms << misses, up to a second */
};

/* Task-local: no hashing per event, and the entry dies with its thread (no stale answer after TID reuse). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_entry);
} task_state SEC(".maps");

/* Code objects userspace has named (it adds them when their copy comes in): never copied again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct pf_code_key);
	__type(value, __u8);
	__uint(max_entries, PF_CODE_NAMED);
} code_named SEC(".maps");

/*
 * Per CPU, the code objects this CPU last found named or copied, direct-mapped by key: one compare per frame
 * instead of a hash lookup. A stale slot (another process with the same PID and start) cannot hit: the key has both.
 */
#define SEEN_SLOTS 1024
struct code_seen {
	struct pf_code_key slot[SEEN_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct code_seen);
	__uint(max_entries, 1);
} code_seen_map SEC(".maps");

/*
 * From 3.11 a thread's frames live one after the other in its data stack, each caller just below its callee.
 * One read of the WINDOW bytes below a frame then usually holds several of its callers: far fewer reads per
 * sample than one per frame. Must be a power of two.
 */
#define WINDOW 1024
#define PAGE 4096

#define RECORD_FRAMES_END (sizeof(struct pf_sample) + PF_MAX_PY_FRAMES * sizeof(struct pf_py_frame))

/* Per-CPU scratch: the record being built and the blocks last read from the target. */
struct scratch {
	/* header, frames, and room for an inline kernel stack (the start pass) */
	__u8 record[RECORD_FRAMES_END + PF_MAX_STACK_ADDRS * sizeof(__u64)];
	__u8 block[PF_READ_BLOCK];
	/* A window of the thread's frame stack (3.11+): WINDOW bytes read at once, plus room for a frame's fields. */
	__u8 window[WINDOW + PF_READ_BLOCK];
	/* The copy of a code object being built (struct pf_code_record and its segments). */
	__u8 code[PF_CODE_RECORD_MAX];
	__u16 new_frames[PF_CODE_COPIES_PER_EVENT]; /* frames of the walk whose code objects may need a copy */
};

/* The record at the start of the scratch: header, then its frames. */
#define SAMPLE(s) ((struct pf_sample *)(s)->record)

/* Event programs use slot 0 (they never interleave on a CPU); the sleepable start pass, which they can
 * interrupt, uses slot 1. */
#define SCRATCH_EVENT 0
#define SCRATCH_PASS 1

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct scratch);
	__uint(max_entries, 2);
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

static __always_inline struct scratch *scratch_get(__u32 slot)
{
	return bpf_map_lookup_elem(&scratch_map, &slot);
}

/*
 * Reads the target's memory: the current task's from event programs, another task's from the sleepable
 * start pass. `remote` is a constant at every call, so an event program never sees the sleepable helper.
 */
static __always_inline long target_read(void *dst, __u32 size, __u64 addr, struct task_struct *task, const int remote)
{
	if (remote)
		return bpf_copy_from_user_task(dst, size, (const void *)addr, task, 0);
	return bpf_probe_read_user(dst, size, (const void *)addr);
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
static __always_inline int block_read(__u8 *block, __u64 size, __u64 addr, struct task_struct *task, const int remote)
{
	/* Hide how size was computed, so clang checks the very register it passes to the helper rather than
	 * an equivalent earlier value the verifier cannot relate to it. */
	asm volatile("" : "+r"(size));
	if (size == 0 || size > PF_READ_BLOCK)
		return -1;
	return target_read(block, size, addr, task, remote);
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
static __always_inline __u64 tstate_current_frame(struct scratch *s, const struct pf_py_layout *l,
						  struct task_struct *task, const int remote)
{
	__u64 link = block_u64(s->block, l->tstate_frame);
	__u64 frame = 0;

	if (l->frame_link != PF_LINK_CFRAME)
		return link;
	if (!link || target_read(&frame, sizeof(frame), link + l->cframe_current_frame, task, remote))
		return 0;
	return frame;
}

struct tstate_search {
	struct scratch *s;
	struct task_struct *task;
	const struct pf_py_layout *layout;
	__u64 tstate;
	__u64 fsbase;
	__u64 found;
	__u64 size;
	int err;
};

static __always_inline long tstate_search_body(struct tstate_search *t, const int remote)
{
	struct scratch *s = t->s;

	if (!t->tstate)
		return 1;
	if (block_read(s->block, t->size, t->tstate, t->task, remote)) {
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

static long tstate_search_step(__u32 i, void *arg)
{
	return tstate_search_body(arg, 0);
}

static long tstate_search_step_remote(__u32 i, void *arg)
{
	return tstate_search_body(arg, 1);
}

/*
 * Finds the thread's PyThreadState and leaves it in the scratch block.
 * thread_id holds pthread_self(), which is the task's fsbase (FACTS.md).
 */
static __always_inline __u64 find_tstate(struct scratch *s, const struct pf_py_proc *p, struct task_struct *task,
					 __u64 now, const int remote)
{
	const struct pf_py_layout *l = &p->layout;
	__u64 size = tstate_block_size(l);
	__u64 fsbase = BPF_CORE_READ(task, thread.fsbase);
	struct task_entry *cached = bpf_task_storage_get(&task_state, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	struct tstate_search t = {};
	__u64 interp = 0;

	if (!cached)
		return 0;
	if (cached->tstate) {
		/* A state without a frame may be a freed one whose thread got a new state elsewhere
		 * (PyGILState_Release, then Ensure): search again, at most once per retry period. */
		if (!block_read(s->block, size, cached->tstate, task, remote) &&
		    block_u64(s->block, l->tstate_thread_id) == fsbase &&
		    (block_u64(s->block, l->tstate_frame) || now < cached->retry_at_ns))
			return cached->tstate;
	} else if (now < cached->retry_at_ns) {
		return 0;
	}
	if (target_read(&interp, sizeof(interp), p->interp_head_addr, task, remote) || !interp)
		return 0;
	if (target_read(&t.tstate, sizeof(t.tstate), interp + l->interp_tstate_head, task, remote))
		return 0;
	t.s = s;
	t.task = task;
	t.layout = l;
	t.fsbase = fsbase;
	t.size = size;
	if (remote)
		bpf_loop(tstate_search_max, tstate_search_step_remote, &t, 0);
	else
		bpf_loop(tstate_search_max, tstate_search_step, &t, 0);
	cached->tstate = t.found;
	cached->retry_at_ns = now + tstate_retry_ns;
	if (t.found) {
		cached->misses = 0;
	} else {
		/* A thread not yet bound to its state (interpreter start-up, a new thread's first instants) looks like
		 * a native one: trusting the miss for a second would lose that second of Python frames. */
		if (cached->misses < TSTATE_MISS_SHIFT_MAX)
			cached->retry_at_ns = now + (TSTATE_MISS_FIRST_NS << cached->misses++);
	}
	return t.found;
}

struct frame_walk {
	struct scratch *s;	  /* per-CPU scratch, looked up once per event */
	struct code_seen *seen;	  /* this CPU's code objects known named */
	struct task_struct *task; /* whose memory is read */
	struct pf_py_layout l;	  /* copied once: read on every frame */
	__u64 none;
	__u64 frame;
	__u64 size;
	__u64 wbase, wlen; /* target addresses held in s->window */
	__u32 n;
	__u32 max;
	__u32 walked; /* frames visited, shims included */
	__u32 tags;   /* tag each frame from its code object */
	__u32 tag_errors;
	__u32 reads; /* probe reads made */
	__u32 tgid, start;
	__u32 nnew; /* frames whose code object this CPU does not know named (their indexes in s->new_frames) */
	int truncated;
	int err;
};

/* The frame at w->frame, from the window when it is inside it, else read anew (with its callers if possible). */
static __always_inline const __u8 *frame_block(struct frame_walk *w, const int remote)
{
	struct scratch *s = w->s;
	__u64 f = w->frame, base, off, len;

	w->walked++;
	if (w->l.instr_kind != PF_INSTR_POINTER) {
		w->reads++;
		return block_read(s->block, w->size, f, w->task, remote) ? NULL : s->block;
	}
	if (f < w->wbase || f + w->size > w->wbase + w->wlen) {
		/* Not below the frame's page: a data-stack chunk starts on a page, with maybe nothing mapped before it,
		 * and a read that fails costs as much as one that does not. */
		base = f + w->size - WINDOW;
		if (f + w->size < WINDOW || base < (f & ~(PAGE - 1)))
			base = f & ~(PAGE - 1);
		len = f + w->size - base;
		asm volatile("" : "+r"(len)); /* as in block_read: the verifier checks this register's bounds */
		w->reads++;
		if (len <= WINDOW && !target_read(s->window, len, base, w->task, remote)) {
			w->wbase = base;
			w->wlen = len;
		} else if (!block_read(s->window, w->size, f, w->task, remote)) {
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
static __always_inline __u32 code_tag(struct frame_walk *w, __u64 code, const int remote)
{
	__u32 words[PF_CODE_TAG_BYTES / 4];
	__u64 name, hash = 0;

	w->reads += 2;
	if (target_read(words, sizeof(words), code + w->l.code_tag, w->task, remote))
		goto fail;
	__builtin_memcpy(&name, &words[PF_CODE_TAG_BYTES / 4 - 2], sizeof(name));
	if (target_read(&hash, sizeof(hash), name + w->l.str_hash, w->task, remote))
		goto fail;
	return pf_code_tag(words, hash);
fail:
	w->tag_errors++;
	return 0;
}

static __always_inline __u32 seen_index(__u64 code, __u32 tgid, __u32 tag)
{
	__u64 h = (code ^ ((__u64)tgid << 32) ^ tag) * 0x9e3779b97f4a7c15ULL;

	return (h >> 40) & (SEEN_SLOTS - 1);
}

/*
 * Whether this CPU knows the code object named: the same key in its slot. If not, the slot takes the key at once,
 * so that the object's other frames in this stack (recursion) are not counted again; a copy that fails clears it.
 */
static __always_inline int seen_here(struct frame_walk *w, __u64 code, __u32 tag)
{
	struct pf_code_key *k;

	if (!w->seen)
		return 1;
	k = &w->seen->slot[seen_index(code, w->tgid, tag)];
	if (k->code == code && k->tgid == w->tgid && k->tag == tag && k->start == w->start)
		return 1;
	k->code = code;
	k->tgid = w->tgid;
	k->tag = tag;
	k->start = w->start;
	return 0;
}

static __always_inline long frame_walk_body(struct frame_walk *w, const int remote)
{
	struct scratch *s = w->s;
	const __u8 *b;
	__u64 code, ip;
	__s32 instr;

	if (!w->frame)
		return 1;
	b = frame_block(w, remote);
	if (!b) {
		w->err = 1;
		return 1;
	}
	w->frame = block_u64(b, w->l.frame_back);
	code = pf_frame_code(&w->l, block_u64(b, w->l.frame_code));
	/* 3.12+: a frame owned by the C stack or the interpreter is an entry shim, not Python code. */
	if (w->l.frame_owner >= 0 && pf_frame_skipped(&w->l, block_u8(b, w->l.frame_owner)))
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
	SAMPLE(s)->frames[w->n & (PF_MAX_PY_FRAMES - 1)].frame = w->frame;
	SAMPLE(s)->frames[w->n & (PF_MAX_PY_FRAMES - 1)].instr = instr;
	SAMPLE(s)->frames[w->n & (PF_MAX_PY_FRAMES - 1)].tag = w->tags ? code_tag(w, code, remote) : 0;
	if (w->nnew < PF_CODE_COPIES_PER_EVENT &&
	    !seen_here(w, code, SAMPLE(s)->frames[w->n & (PF_MAX_PY_FRAMES - 1)].tag))
		s->new_frames[w->nnew++ & (PF_CODE_COPIES_PER_EVENT - 1)] = w->n;
	w->n++;
	return 0;
}

static long frame_walk_step(__u32 i, void *arg)
{
	return frame_walk_body(arg, 0);
}

static long frame_walk_step_remote(__u32 i, void *arg)
{
	return frame_walk_body(arg, 1);
}

/* On-CPU: whether the thread holds the GIL (it is locked and this thread state took it last). */
static __always_inline void mark_gil_holder(struct scratch *s, const struct pf_py_proc *p, __u64 tstate,
					    struct task_struct *task, const int remote)
{
	const struct pf_py_layout *l = &p->layout;
	__u64 size = max_off(l->gil_locked, l->gil_holder) + 8;
	__s32 locked;

	if (!p->gil_addr || l->gil_locked < 0 || block_read(s->window, size, p->gil_addr, task, remote))
		return;
	locked = block_s32(s->window, l->gil_locked);
	SAMPLE(s)->flags |= PF_SAMPLE_GIL_KNOWN;
	if (locked && block_u64(s->window, l->gil_holder) == tstate)
		SAMPLE(s)->flags |= PF_SAMPLE_GIL_HELD;
}

/* A pointer field of the code object header copied first into the record being built. */
static __always_inline __u64 header_u64(const __u8 *hdr, __s16 off)
{
	__u32 o = (__u32)off;

	if (o > PF_CODE_HEADER_MAX - 8)
		return 0;
	return *(const __u64 *)(hdr + o);
}

/* Appends len bytes of the target at addr to the copy at pos, as one segment; the new pos, or 0 if it cannot. */
static __always_inline __u64 copy_segment(struct scratch *s, __u64 pos, __u64 addr, __u64 len, const __u64 max,
					  struct task_struct *task, const int remote)
{
	struct pf_mem_segment *seg;

	asm volatile("" : "+r"(len)); /* as in block_read: the verifier checks this register's bounds */
	if (!addr || len == 0 || len > max)
		return 0;
	if (pos > PF_CODE_RECORD_MAX - sizeof(*seg) - max)
		return 0;
	seg = (struct pf_mem_segment *)(s->code + pos);
	seg->addr = addr;
	seg->len = len;
	seg->pad = 0;
	if (target_read(s->code + pos + sizeof(*seg), len, addr, task, remote))
		return 0;
	return pos + sizeof(*seg) + ((len + 7) & ~7ULL);
}

/* Appends a str object (a name; 2.7: a byte string) or a bytes object (a line table) whole: its header, read first
 * to learn its length, then all of it. */
static __always_inline __u64 copy_object(struct scratch *s, const struct pf_code_copy *c, __u64 pos, __u64 addr,
					 const int is_name, const __u64 max, struct task_struct *task, const int remote)
{
	__u64 head = is_name ? c->str_head : c->bytes_head, len;
	__s64 n;

	if (!addr || block_read(s->block, head, addr, task, remote))
		return 0;
	if (is_name && c->str_state >= 0) {
		__u32 state = (__u32)block_s32(s->block, c->str_state);

		n = (__s64)block_u64(s->block, c->str_len);
		if (n < 0 || n > (__s64)max)
			return 0;
		len = ((state >> 6) & 1 ? (__u64)c->str_ascii : head) + (__u64)n * ((state >> 2) & 7);
	} else {
		n = (__s64)block_u64(s->block, is_name ? c->str_len : c->bytes_len);
		if (n < 0 || n > (__s64)max)
			return 0;
		len = head + (__u64)n;
	}
	return copy_segment(s, pos, addr, len < head ? head : len, max, task, remote);
}

/* Sends the copy of the code object key names, with what names it; 0 if it went out. */
static __always_inline int copy_code(struct scratch *s, const struct pf_py_layout *l, const struct pf_code_key *key,
				     struct task_struct *task, const int remote)
{
	struct pf_code_record *r = (struct pf_code_record *)s->code;
	const __u8 *hdr = s->code + sizeof(*r) + sizeof(struct pf_mem_segment);
	__u64 pos, at, name, co_name;

	r->kind = PF_REC_CODE;
	r->key = *key;
	pos = copy_segment(s, sizeof(*r), key->code, l->copy.header, PF_CODE_HEADER_MAX, task, remote);
	if (!pos)
		return -1;
	name = header_u64(hdr, l->copy.name);
	pos = copy_object(s, &l->copy, pos, name, 1, PF_CODE_STR_MAX, task, remote);
	pos = pos ? copy_object(s, &l->copy, pos, header_u64(hdr, l->copy.file), 1, PF_CODE_STR_MAX, task, remote) : 0;
	if (!pos)
		return -1;
	/* The tag hashes co_name's hash: its head too, when the name shown is the qualified one. */
	co_name = header_u64(hdr, l->code_tag + PF_CODE_TAG_BYTES - 8);
	if (co_name != name && (at = copy_segment(s, pos, co_name, l->str_hash + 8, PF_CODE_STR_MAX, task, remote)))
		pos = at;
	/* Without its line table it is still named, at its first line. */
	at = copy_object(s, &l->copy, pos, header_u64(hdr, l->copy.lines), 0, PF_CODE_LINES_MAX, task, remote);
	if (at)
		pos = at;
	asm volatile("" : "+r"(pos));
	if (pos > PF_CODE_RECORD_MAX)
		return -1;
	r->size = pos - sizeof(*r);
	return bpf_ringbuf_output(&samples, s->code, pos, BPF_RB_NO_WAKEUP) ? -1 : 0;
}

struct code_copies {
	struct frame_walk *w;
	const struct pf_py_layout *l;
};

/* The i-th frame of the walk whose code object this CPU did not know named (its slot has it now): named by
 * userspace since, or copied. A copy that fails is tried again at a later event. */
static __always_inline long copy_new_body(__u32 i, struct code_copies *c, const int remote)
{
	struct frame_walk *w = c->w;
	struct scratch *s = w->s;
	const struct pf_py_frame *f;
	struct pf_code_key key = {};
	__u64 j = i & (PF_CODE_COPIES_PER_EVENT - 1), frame;

	if (i >= w->nnew || i >= PF_CODE_COPIES_PER_EVENT || !w->seen)
		return 1;
	asm volatile("" : "+r"(j)); /* index with the masked register, not an equal one checked against nnew */
	frame = s->new_frames[j] & (PF_MAX_PY_FRAMES - 1);
	asm volatile("" : "+r"(frame));
	f = &SAMPLE(s)->frames[frame];
	key.code = f->code;
	key.tgid = w->tgid;
	key.tag = f->tag;
	key.start = w->start;
	if (bpf_map_lookup_elem(&code_named, &key))
		return 0;
	if (copy_code(s, c->l, &key, w->task, remote)) {
		stat_inc(PF_STAT_CODE_COPY_ERR);
		w->seen->slot[seen_index(key.code, key.tgid, key.tag)].code = 0; /* tried again at a later event */
		return 0;
	}
	stat_inc(PF_STAT_CODE_COPIES);
	return 0;
}

static long copy_new_step(__u32 i, void *arg)
{
	return copy_new_body(i, arg, 0);
}

static long copy_new_step_remote(__u32 i, void *arg)
{
	return copy_new_body(i, arg, 1);
}

/* Appends the Python stack of a thread (leaf first) to the record; returns the frame count. */
static __always_inline __u32 walk_python(struct scratch *s, const struct pf_py_proc *p, struct task_struct *task,
					 int tags, __u32 max_frames, const int remote)
{
	struct frame_walk w = {};
	struct code_copies copies;
	__u32 zero = 0;
	__u64 tstate;

	tstate = find_tstate(s, p, task, SAMPLE(s)->time_ns, remote);
	if (!tstate) {
		SAMPLE(s)->flags |= PF_SAMPLE_NO_TSTATE;
		stat_inc(PF_STAT_PY_NO_TSTATE);
		return 0;
	}
	SAMPLE(s)->py_thread = BPF_CORE_READ(task, thread.fsbase); /* what the state's thread_id matched */
	w.s = s;
	w.task = task;
	w.tags = tags;
	w.l = p->layout;
	w.none = p->none_addr;
	w.frame = tstate_current_frame(s, &p->layout, task, remote);
	w.size = frame_block_size(&p->layout);
	w.max = max_py_depth < max_frames ? max_py_depth : max_frames;
	w.seen = bpf_map_lookup_elem(&code_seen_map, &zero);
	w.tgid = BPF_CORE_READ(task, tgid);
	w.start = (__u32)BPF_CORE_READ(task, group_leader, start_time);
	/* Shim frames do not count against the depth: allow for one per real frame. */
	if (remote)
		bpf_loop(2 * PF_MAX_PY_FRAMES, frame_walk_step_remote, &w, 0);
	else
		bpf_loop(2 * PF_MAX_PY_FRAMES, frame_walk_step, &w, 0);
	/* Before the sample goes out: copies of the code objects it shows that userspace may not have named. */
	copies.w = &w;
	copies.l = &p->layout;
	if (w.nnew && remote)
		bpf_loop(PF_CODE_COPIES_PER_EVENT, copy_new_step_remote, &copies, 0);
	else if (w.nnew)
		bpf_loop(PF_CODE_COPIES_PER_EVENT, copy_new_step, &copies, 0);
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
	if (read_gil && !(SAMPLE(s)->flags & PF_SAMPLE_OFFCPU))
		mark_gil_holder(s, p, tstate, task, remote);
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

/* The registers a task saved at its last entry from user mode: for a sample taken in user mode the interrupted
 * ones, for a thread in a system call its arguments. */
static __always_inline struct pt_regs *user_regs(struct task_struct *task)
{
	return (struct pt_regs *)bpf_task_pt_regs(task);
}

/* Starts the record of an event of thread `task`. */
static __always_inline void record_begin(struct scratch *s, struct task_struct *task, __u32 tgid, __u32 tid, __u64 now,
					 __u64 weight, __u32 flags)
{
	SAMPLE(s)->kind = PF_REC_SAMPLE;
	SAMPLE(s)->time_ns = now;
	SAMPLE(s)->weight_ns = weight;
	SAMPLE(s)->tgid = tgid;
	SAMPLE(s)->tid = tid;
	SAMPLE(s)->cpu = bpf_get_smp_processor_id();
	SAMPLE(s)->flags = flags;
	SAMPLE(s)->user_ip = 0;
	SAMPLE(s)->py_thread = 0;
	SAMPLE(s)->py_nframes = 0;
	SAMPLE(s)->kips_n = 0;
	SAMPLE(s)->kstack_id = -EFAULT;
	SAMPLE(s)->ustack_id = PF_NO_USTACK;
	BPF_CORE_READ_STR_INTO(&SAMPLE(s)->comm, task, comm);
}

/* Sends the record with its n Python frames and extra bytes after them; 1 if it went out. */
static __always_inline int record_send(struct scratch *s, __u32 n, __u64 extra, __u32 sent_stat)
{
	__u64 size;

	SAMPLE(s)->py_nframes = n;
	size = sizeof(struct pf_sample) + (__u64)(n & (PF_MAX_PY_FRAMES - 1)) * sizeof(struct pf_py_frame);
	if (n >= PF_MAX_PY_FRAMES)
		size = RECORD_FRAMES_END;
	size += extra;
	if (size > sizeof(s->record))
		size = sizeof(s->record);
	if (bpf_ringbuf_output(&samples, s, size, BPF_RB_NO_WAKEUP)) {
		stat_inc(PF_STAT_LOST_RINGBUF);
		return 0;
	}
	stat_inc(sent_stat);
	return 1;
}

/* The user side of an event of the current thread: Python frames and the user IP, or the native user stack. */
static __always_inline __u32 record_user_current(void *ctx, struct scratch *s, const struct pf_target *target)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;

	if (!(target->flags & PF_TARGET_PYTHON)) {
		SAMPLE(s)->ustack_id = record_stack(ctx, BPF_F_USER_STACK, PF_STAT_USTACK_FULL, PF_STAT_USTACK_ERR);
		return 0;
	}
	/* Without frame pointers in libpython only the leaf is real: send it, not a stack of garbage. */
	regs = user_regs(task);
	SAMPLE(s)->user_ip = regs ? BPF_CORE_READ(regs, ip) : 0;
	SAMPLE(s)->flags |= PF_SAMPLE_PYTHON;
	if (target->flags & PF_TARGET_CODE_TAGS)
		SAMPLE(s)->flags |= PF_SAMPLE_CODE_TAGS;
	return walk_python(s, &target->py, task, target->flags & PF_TARGET_CODE_TAGS, PF_MAX_PY_FRAMES, 0);
}

SEC("perf_event")
int pf_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	const struct pf_target *target;
	struct scratch *s;
	__u32 n;

	if (!tgid)
		return 0;
	target = bpf_map_lookup_elem(&targets, &tgid);
	if (!target)
		return 0;
	s = scratch_get(SCRATCH_EVENT);
	if (!s)
		return 0;
	record_begin(s, bpf_get_current_task_btf(), tgid, tid, bpf_ktime_get_ns(), 0, 0);
	/* A sample taken in user mode has no kernel stack: spare the helper call. csx is the 8-byte view of cs
	 * (ctx reads of regs must be 8 bytes; older kernels' plain `cs` sits at the same offset). */
	if ((ctx->regs.csx & 3) != 3)
		SAMPLE(s)->kstack_id = record_stack(ctx, 0, PF_STAT_KSTACK_FULL, PF_STAT_KSTACK_ERR);
	n = record_user_current(ctx, s, target);
	record_send(s, n, 0, PF_STAT_SAMPLES);
	/* bpf_stats times every run, the many cheap ones on other processes too: this is the targets' share. */
	if (measure_cost)
		stat_add(PF_STAT_TARGET_NS, bpf_ktime_get_ns() - SAMPLE(s)->time_ns);
	return 0;
}

#define TASK_RUNNING 0
#define PF_EXITING 0x00000004 /* task->flags: getting shut down, its last switch-out is no wait */
#define NR_futex 202	      /* x86-64 */

/* x86-64 system calls that wait for any of several descriptors: what an event loop blocks in. */
#define NR_poll 7
#define NR_select 23
#define NR_epoll_wait 232
#define NR_pselect6 270
#define NR_ppoll 271
#define NR_epoll_pwait 281
#define NR_epoll_pwait2 441

/*
 * What a thread leaving the CPU in a system call waits for, from the call's number and arguments (its saved user
 * registers): the GIL (futex() on a word of the GIL's condition variables or mutexes), or events (epoll, or
 * select/poll with descriptors: without any, they are a sleep, as 2.7's time.sleep is).
 */
static __always_inline __u32 wait_flags(const struct pf_target *target, struct task_struct *task)
{
	const struct pf_py_proc *p = &target->py;
	struct pt_regs *regs = user_regs(task);
	__u32 gil_known = 0;
	__u64 nr, addr;

	if ((target->flags & PF_TARGET_PYTHON) && p->gil_addr && p->layout.gil_wait_begin >= 0)
		gil_known = PF_SAMPLE_GIL_KNOWN;
	if (!regs)
		return gil_known;
	nr = BPF_CORE_READ(regs, orig_ax);
	switch (nr) {
	case NR_futex:
		addr = BPF_CORE_READ(regs, di);
		if (gil_known && addr >= p->gil_addr + p->layout.gil_wait_begin &&
		    addr < p->gil_addr + p->layout.gil_wait_end)
			return gil_known | PF_SAMPLE_GIL_WAIT;
		return gil_known;
	case NR_epoll_wait:
	case NR_epoll_pwait:
	case NR_epoll_pwait2: return gil_known | PF_SAMPLE_EVENT_WAIT;
	case NR_select:
	case NR_pselect6: return gil_known | (BPF_CORE_READ(regs, di) ? PF_SAMPLE_EVENT_WAIT : 0);
	case NR_poll:
	case NR_ppoll: return gil_known | (BPF_CORE_READ(regs, si) ? PF_SAMPLE_EVENT_WAIT : 0);
	}
	return gil_known;
}

/* prev (the current task) leaves the CPU: record its stacks as the start of an off-CPU interval. */
static __always_inline void off_cpu_start(void *ctx, struct task_struct *prev, int runnable, __u64 now)
{
	__u32 tgid = prev->tgid, flags;
	const struct pf_target *target;
	struct task_entry *e;
	struct scratch *s;
	__u32 n;

	if (!tgid || (prev->flags & PF_EXITING))
		return;
	target = bpf_map_lookup_elem(&targets, &tgid);
	if (!target)
		return;
	e = bpf_task_storage_get(&task_state, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	s = scratch_get(SCRATCH_EVENT);
	if (!e || !s)
		return;
	flags = PF_SAMPLE_OFFCPU | (runnable ? PF_SAMPLE_PREEMPTED : 0) | wait_flags(target, prev);
	record_begin(s, prev, tgid, prev->pid, now, 0, flags);
	/* Userspace shows no kernel frames for a wait for a CPU or for the GIL: spare the unwind. */
	if (!(flags & (PF_SAMPLE_PREEMPTED | PF_SAMPLE_GIL_WAIT)))
		SAMPLE(s)->kstack_id = record_stack(ctx, 0, PF_STAT_KSTACK_FULL, PF_STAT_KSTACK_ERR);
	n = record_user_current(ctx, s, target);
	if (record_send(s, n, 0, PF_STAT_OFF_BLOCKS)) {
		e->off_at_ns = now;
		e->off_no_python = !n;
	}
}

/* next comes back on a CPU: end its interval, if its start was recorded. */
static __always_inline void off_cpu_end(struct task_struct *next, __u64 now)
{
	__u32 tgid = next->tgid;
	struct task_entry *e;
	struct pf_sample end = {};

	if (!tgid || !bpf_map_lookup_elem(&targets, &tgid))
		return;
	e = bpf_task_storage_get(&task_state, next, 0, 0);
	if (!e || !e->off_at_ns)
		return;
	end.kind = PF_REC_SAMPLE;
	end.time_ns = now;
	end.weight_ns = now - e->off_at_ns;
	end.tgid = tgid;
	end.tid = next->pid;
	end.cpu = bpf_get_smp_processor_id();
	end.flags = PF_SAMPLE_OFF_END;
	e->off_at_ns = 0;
	if (bpf_ringbuf_output(&samples, &end, sizeof(end), BPF_RB_NO_WAKEUP))
		stat_inc(PF_STAT_LOST_RINGBUF);
}

/* Every context switch: the thread leaving starts an off-CPU interval, the one arriving ends its own. */
SEC("tp_btf/sched_switch")
int BPF_PROG(pf_switch, bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
{
	__u64 now = bpf_ktime_get_ns();

	off_cpu_start(ctx, prev, preempt || prev_state == TASK_RUNNING, now);
	off_cpu_end(next, now);
	return 0;
}

/*
 * Completes and sends the record of another task begun in the scratch (a pass's): its user IP, its Python stack,
 * its kernel stack inline (stack ids are only for the current task). 1 if it went out.
 */
static __always_inline int record_other_task(struct scratch *s, struct task_struct *task,
					     const struct pf_target *target, __u32 sent_stat)
{
	struct pt_regs *regs = user_regs(task);
	__u64 off, regs_ip = 0;
	__u32 n = 0;
	long len;

	if (regs)
		regs_ip = BPF_CORE_READ(regs, ip);
	SAMPLE(s)->user_ip = regs_ip;
	if (target->flags & PF_TARGET_PYTHON) {
		SAMPLE(s)->flags |= PF_SAMPLE_PYTHON;
		if (target->flags & PF_TARGET_CODE_TAGS)
			SAMPLE(s)->flags |= PF_SAMPLE_CODE_TAGS;
		/* One frame slot short of the ceiling: the kernel stack follows the frames. */
		n = walk_python(s, &target->py, task, target->flags & PF_TARGET_CODE_TAGS, PF_MAX_PY_FRAMES - 1, 1);
	}
	off = sizeof(struct pf_sample) + (__u64)(n & (PF_MAX_PY_FRAMES - 1)) * sizeof(struct pf_py_frame);
	len = bpf_get_task_stack(task, s->record + off, PF_MAX_STACK_ADDRS * sizeof(__u64), 0);
	if (len > PF_MAX_STACK_ADDRS * sizeof(__u64))
		len = PF_MAX_STACK_ADDRS * sizeof(__u64);
	if (len > 0) {
		SAMPLE(s)->flags |= PF_SAMPLE_KIPS;
		SAMPLE(s)->kips_n = len / sizeof(__u64);
	} else {
		len = 0;
		stat_inc(PF_STAT_KSTACK_ERR);
	}
	return record_send(s, n, len, sent_stat);
}

/* Set by userspace before a late pass: the process whose interpreter was just found (0: the start pass). */
__u32 late_tgid;

/*
 * The start pass (userspace reads this iterator once the scheduler program is attached): every target thread off
 * CPU now gets the start record of an interval beginning at the recording's start (or its creation).
 * The late pass (late_tgid set, once that process's interpreter is found): each of its threads still off CPU since
 * before then, recorded without Python frames, gets its Python stack now (unchanged while it was blocked) for the
 * interval's start record. One program for both: verifying the walk costs start-up time per program.
 * Sleepable, to read other tasks' memory; the kernel stack goes inline since stack ids are only for the current task.
 */
SEC("iter.s/task")
int pf_start_pass(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	const struct pf_target *target;
	__u32 tgid, flags, late = late_tgid;
	struct task_entry *e;
	struct scratch *s;
	__u64 since;

	if (!task || !start_ns)
		return 0;
	tgid = task->tgid;
	if (!tgid || task->on_cpu || (task->flags & PF_EXITING) || (late && tgid != late))
		return 0;
	target = bpf_map_lookup_elem(&targets, &tgid);
	if (!target || (late && !(target->flags & PF_TARGET_PYTHON)))
		return 0;
	e = bpf_task_storage_get(&task_state, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	s = scratch_get(SCRATCH_PASS);
	if (!e || !s)
		return 0;
	if (late) {
		if (!e->off_at_ns || !e->off_no_python)
			return 0; /* running, or its start has Python frames */
		since = e->off_at_ns;
		flags = PF_SAMPLE_OFFCPU | PF_SAMPLE_PY_LATE;
	} else {
		if (e->off_at_ns)
			return 0; /* already switched out since the attach: its start is recorded */
		since = task->start_time > start_ns ? task->start_time : start_ns;
		flags = PF_SAMPLE_OFFCPU | (task->__state == TASK_RUNNING ? PF_SAMPLE_PREEMPTED : 0) |
			wait_flags(target, task);
		stat_inc(PF_STAT_OFF_OPEN);
	}
	record_begin(s, task, tgid, task->pid, since, 0, flags);
	if (record_other_task(s, task, target, late ? PF_STAT_OFF_LATE : PF_STAT_OFF_BLOCKS)) {
		e->off_at_ns = since;
		e->off_no_python = !SAMPLE(s)->py_nframes; /* a native thread stays so: read again at a later find */
	}
	return 0;
}

/* A pass over one process's threads (tgid want): the target entry of a task to read, or NULL to skip it. */
static __always_inline const struct pf_target *pass_target(struct task_struct *task, __u32 want)
{
	__u32 tgid;

	if (!task || !want)
		return NULL;
	tgid = task->tgid;
	if (tgid != want || (task->flags & PF_EXITING))
		return NULL;
	return bpf_map_lookup_elem(&targets, &tgid);
}

/* Set by userspace before each dump pass: the process whose threads are dumped. */
__u32 dump_tgid;

/*
 * `dump`: every thread of the process now, running or not, with its stacks and what it waits for. Reads the
 * threads' memory without stopping them; weight_ns carries the system call a blocked thread is in, plus one.
 */
SEC("iter.s/task")
int pf_dump(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	const struct pf_target *target = pass_target(task, dump_tgid);
	struct scratch *s = scratch_get(SCRATCH_PASS);
	__u32 flags = PF_SAMPLE_DUMP;
	struct pt_regs *regs;
	__s64 nr = -1;

	if (!target || !s)
		return 0;
	if (task->on_cpu || task->__state == TASK_RUNNING) {
		flags |= PF_SAMPLE_RUNNING;
	} else {
		flags |= wait_flags(target, task);
		regs = user_regs(task);
		if (regs)
			nr = BPF_CORE_READ(regs, orig_ax);
	}
	record_begin(s, task, dump_tgid, task->pid, bpf_ktime_get_ns(), nr >= 0 ? (__u64)nr + 1 : 0, flags);
	record_other_task(s, task, target, PF_STAT_SAMPLES);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
