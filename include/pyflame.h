/* The contract between the BPF sampler and userspace: record layout, maps' keys and values, limits. */
#ifndef PYFLAME_H
#define PYFLAME_H

/* BPF includes vmlinux.h before this header; userspace gets the same types from linux/types.h. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PF_TASK_COMM_LEN 16

/* Limits and defaults the BPF programs, the command line and its help share: each is defined here only. */
/* kernel.perf_event_max_stack: addresses of a stack-map entry, and of a record's inline kernel stack. */
#define PF_MAX_STACK_ADDRS 127
#define PF_DEFAULT_MAX_PROCESSES 8192 /* `targets` entries (--max-processes) */
#define PF_DEFAULT_MAX_STACKS 16384   /* stack map entries (--max-stacks) */
#define PF_DEFAULT_BUFFER_MB 8	      /* ring buffer in MiB (--buffer-size) */
#define PF_DEFAULT_MAX_DEPTH 128      /* Python frames kept per sample (--max-depth) */
#define PF_DEFAULT_FREQUENCY 99	      /* samples per second per CPU (-F) */
#define PF_STR_(x) #x
#define PF_STR(x) PF_STR_(x) /* a default as text, for help strings */
/* Hard ceiling for --max-depth: bounds the per-CPU scratch record and the verifier's view of the walk. */
#define PF_MAX_PY_FRAMES 512
/* Largest block read for one frame or thread state (FACTS.md: ≤ 3.10 needs up to 124 B, tstate up to 184 B). */
#define PF_READ_BLOCK 256

/* Ways a sample can be lost or degraded; counted per CPU in the `stats` map. */
enum pf_stat {
	PF_STAT_SAMPLES,      /* samples of a target that reached the ring buffer */
	PF_STAT_LOST_RINGBUF, /* ring buffer full: the whole sample is lost */
	PF_STAT_KSTACK_FULL,  /* kernel stack not recorded: stack map full or hash collision (-EEXIST/-ENOMEM) */
	PF_STAT_KSTACK_ERR,   /* kernel stack not recorded: other error */
	PF_STAT_USTACK_FULL,  /* user stack not recorded: stack map full or hash collision */
	PF_STAT_USTACK_ERR,   /* user stack not recorded: other error */
	PF_STAT_PY_NO_TSTATE, /* Python process, but no thread state found for the sampled thread */
	PF_STAT_PY_READ_ERR,  /* a read of the target's memory failed mid-walk (stack cut there) */
	PF_STAT_PY_TRUNCATED, /* stack deeper than --max-depth (cut at the root) */
	PF_STAT_PY_FRAMES,    /* Python frames walked (shims included) */
	PF_STAT_PY_READS,     /* reads of the target's memory those walks made */
	PF_STAT_PY_TAG_ERR,   /* code tags that could not be read */
	PF_STAT_OFF_BLOCKS,   /* off-CPU interval starts of a target that reached the ring buffer */
	PF_STAT_OFF_OPEN,     /* of them, threads already off CPU at the start (the start pass) */
	PF_STAT_TARGET_NS,    /* with measure_cost: ns the program spent on targets' samples, after the target check */
	PF_STAT_OFF_LATE,     /* Python stacks sent late for threads blocked since before their interpreter was found */
	PF_STAT_CODE_COPIES,  /* code objects copied at first sight (struct pf_code_record) */
	PF_STAT_CODE_COPY_ERR, /* copies not made: a read failed, or the ring buffer was full (tried again later) */
	PF_STAT__COUNT,
};

/* How a frame's instruction position is stored by the interpreter. */
enum pf_instr_kind {
	PF_INSTR_LASTI = 1,   /* int f_lasti in the frame (≤ 3.10) */
	PF_INSTR_POINTER = 2, /* pointer into co_code_adaptive (3.11+: prev_instr / instr_ptr) */
};

/* Where a thread's current frame hangs off its PyThreadState. */
enum pf_frame_link {
	PF_LINK_FRAME = 1,   /* tstate->frame (≤ 3.10) */
	PF_LINK_CFRAME = 2,  /* tstate->cframe->current_frame (3.11, 3.12) */
	PF_LINK_CURRENT = 3, /* tstate->current_frame (3.13+) */
};

/* How the sampler copies a code object with what names it (struct pf_code_record): the bytes userspace reads. */
struct pf_code_copy {
	__u16 header;	  /* bytes of the code object read at once by userspace (≤ PF_CODE_HEADER_MAX) */
	__s16 name;	  /* pointer to the name shown: co_qualname (3.11+) or co_name */
	__s16 file;	  /* pointer to co_filename */
	__s16 lines;	  /* pointer to the line table: co_lnotab (≤ 3.9) or co_linetable */
	__s16 str_head;	  /* bytes of a name object read as its header */
	__s16 str_state;  /* PyASCIIObject.state; -1: names are byte strings (2.7) */
	__s16 str_len;	  /* PyASCIIObject.length (2.7: ob_size) */
	__s16 str_ascii;  /* data of a compact ASCII str */
	__s16 bytes_head; /* PyBytesObject.ob_sval (2.7: PyStringObject's): where a line table's bytes start */
	__s16 bytes_len;  /* its ob_size */
};

/* The struct offsets the BPF walk needs for one CPython layout; -1 = field absent. */
struct pf_py_layout {
	__s16 interp_tstate_head;   /* PyInterpreterState.tstate_head / threads.head */
	__s16 tstate_next;	    /* PyThreadState.next */
	__s16 tstate_thread_id;	    /* PyThreadState.thread_id (pthread_self()) */
	__s16 tstate_frame;	    /* frame, cframe or current_frame, per frame_link */
	__s16 cframe_current_frame; /* _PyCFrame.current_frame (3.11, 3.12) */
	__s16 frame_back;	    /* f_back / previous */
	__s16 frame_code;	    /* f_code / f_executable */
	__s16 frame_instr;	    /* f_lasti / prev_instr / instr_ptr */
	__s16 frame_owner;	    /* _PyInterpreterFrame.owner (3.12+; 3.11 has no C-stack shims) */
	__s16 code_adaptive;	    /* PyCodeObject.co_code_adaptive (3.11+) */
	__u8 frame_link;	    /* enum pf_frame_link */
	__u8 instr_kind;	    /* enum pf_instr_kind */
	__u8 owner_skip;	    /* bit per owner value whose frames run no Python code (C-stack and
				       interpreter entry frames, 3.12+) */
	__u8 exec_ref_bits;	    /* low bits of frame_code that tag a _PyStackRef (3.14+), masked off */
	__s16 gil_locked;	    /* _gil_runtime_state.locked (int), -1: GIL state unknown */
	__s16 gil_holder;	    /* _gil_runtime_state.last_holder (PyThreadState *) */
	__s16 gil_wait_begin;	    /* futex words in [begin, end) of the GIL struct are waits for the GIL: */
	__s16 gil_wait_end;	    /*   cond, mutex, switch_cond, switch_mutex */
	__s16 code_tag; /* start of PF_CODE_TAG_BYTES immutable bytes of a code object, ending with co_name */
	__s16 str_hash; /* offset of the cached hash in a str object (the name's) */
	struct pf_code_copy copy;
};

/* The code object a frame runs, from its f_code / f_executable word: 3.14+ store a _PyStackRef, whose low bits tag
 * the reference (deferred, immortal) and are not part of the address. */
static inline __u64 pf_frame_code(const struct pf_py_layout *l, __u64 word)
{
	return word & ~(__u64)l->exec_ref_bits;
}

/* Whether a frame of this owner runs no Python code: a C-stack or interpreter entry frame (3.12+). */
static inline int pf_frame_skipped(const struct pf_py_layout *l, __u8 owner)
{
	return (l->owner_skip >> (owner & 7)) & 1;
}

/* Bytes of a code object hashed into a frame's tag, the last 8 being its co_name pointer; 3.11+ they include
 * co_firstlineno, 3.12+ co_version (unique per code object). The name's own hash is mixed in. */
#define PF_CODE_TAG_BYTES 64

/* Where one Python process keeps its state. */
struct pf_py_proc {
	__u64 interp_head_addr; /* address of the PyInterpreterState* head (_PyRuntime.interpreters.head or interp_head)
				 */
	__u64 none_addr;	/* address of _Py_NoneStruct: a 3.13+ frame executing None is not code */
	__u64 gil_addr;		/* address of the main interpreter's struct _gil_runtime_state, 0 if unknown */
	struct pf_py_layout layout;
};

#define PF_TARGET_PYTHON (1u << 0)    /* py is filled in: walk Python frames */
#define PF_TARGET_CODE_TAGS (1u << 1) /* tag each frame from its code object: this process reuses code addresses */

/* Value of the `targets` map, keyed by tgid: one lookup per sample both filters and says how to walk. */
struct pf_target {
	__u32 flags; /* PF_TARGET_* */
	__u32 pad;
	struct pf_py_proc py;
};

/* One Python frame as streamed: enough for userspace to name it later. */
struct pf_py_frame {
	__u64 code;  /* address of the code object in the target */
	__u64 frame; /* address of the frame (PyFrameObject, or _PyInterpreterFrame 3.11+): which call, with code */
	__s32 instr; /* f_lasti (≤ 3.10) or code-unit index into co_code_adaptive (3.11+) */
	__u32 tag;   /* with PF_SAMPLE_CODE_TAGS: pf_code_tag() of the code object, 0 if unreadable */
};

/* The tag of a code object from its PF_CODE_TAG_BYTES bytes at layout.code_tag and its name's hash: the same fold
 * in BPF and userspace. */
static inline __u32 pf_code_tag(const __u32 *words, __u64 name_hash)
{
	__u32 h = 0x9e3779b9;

	for (int i = 0; i < PF_CODE_TAG_BYTES / 4; i++)
		h = (h ^ words[i]) * 0x01000193;
	h = (h ^ (__u32)name_hash) * 0x01000193;
	h = (h ^ (__u32)(name_hash >> 32)) * 0x01000193;
	return h | 1; /* never 0: 0 means unreadable */
}

/* Sample flags. */
#define PF_SAMPLE_PYTHON (1u << 0)	/* the process is a known Python process */
#define PF_SAMPLE_PY_TRUNC (1u << 1)	/* Python stack deeper than max depth: root part cut */
#define PF_SAMPLE_PY_ERROR (1u << 2)	/* a read failed mid-walk: the stack is cut there */
#define PF_SAMPLE_NO_TSTATE (1u << 3)	/* Python process but no thread state for this thread */
#define PF_SAMPLE_CODE_TAGS (1u << 4)	/* frames carry code tags */
#define PF_SAMPLE_GIL_KNOWN (1u << 5)	/* the GIL's state was read: GIL_HELD / GIL_WAIT say it */
#define PF_SAMPLE_GIL_HELD (1u << 6)	/* on-CPU: the thread holds the GIL */
#define PF_SAMPLE_GIL_WAIT (1u << 7)	/* off-CPU: the thread waited for the GIL */
#define PF_SAMPLE_OFFCPU (1u << 8)	/* the start of an off-CPU interval (at time_ns), with the stacks it has */
#define PF_SAMPLE_PREEMPTED (1u << 9)	/* off-CPU: switched out while runnable (waiting for a CPU, not blocked) */
#define PF_SAMPLE_STILL_OFF (1u << 10)	/* off-CPU: still blocked when the recording ended (userspace closed it) */
#define PF_SAMPLE_KIPS (1u << 11)	/* kernel stack inline after the frames (kips_n addresses, leaf first) */
#define PF_SAMPLE_OFF_END (1u << 12)	/* no stacks: thread tid ran again at time_ns, weight_ns after its start */
#define PF_SAMPLE_EVENT_WAIT (1u << 13) /* off-CPU: in epoll, or select/poll on descriptors (an event loop's wait) */
/* off-CPU: the Python frames (only) of thread tid's open interval since time_ns, read once its interpreter was
 * found: they complete the interval's start */
#define PF_SAMPLE_PY_LATE (1u << 14)
#define PF_SAMPLE_DUMP (1u << 15)    /* `dump`: thread tid now; weight_ns is its system call number + 1, 0 if none */
#define PF_SAMPLE_RUNNING (1u << 16) /* `dump`: the thread is on a CPU or runnable */

#define PF_NO_USTACK (-2) /* ustack_id of a Python process's sample: see user_ip */

/* What a ring-buffer record is: the first field of every record, so none is told apart by its size. */
enum pf_record_kind {
	PF_REC_SAMPLE = 1,     /* struct pf_sample: a sample, or an off-CPU start or end (its flags say which) */
	PF_REC_PROC_EVENT = 2, /* struct pf_proc_event (include/lifecycle.h): a target came, went or exec'd */
	PF_REC_CODE = 3,       /* struct pf_code_record: a code object's bytes, copied when first sampled */
};

/*
 * A code object as one process had it when a sample first showed it: tgid and the process's start tell the
 * process (a PID can come back), tag the object (0 unless its frames carry tags). The key of `code_named`, the
 * map of code objects userspace has named: those are never copied again.
 */
struct pf_code_key {
	__u64 code;
	__u32 tgid;
	__u32 tag;
	__u32 start; /* low bits of the process's start time (task->start_time) */
	__u32 pad;
};

/* Copies of code objects (and the strings and line table that name them) are made at first sight, before the
 * samples that point at them, so that a code object is named even when its process exits before userspace reads
 * it. At most this many new ones per event (an import chain at start-up is the deepest run of new code objects);
 * any more at a later event. */
#define PF_CODE_COPIES_PER_EVENT 64
#define PF_CODE_HEADER_MAX 512 /* a code object's header */
#define PF_CODE_STR_MAX 2048   /* a name or file object, header included: a longer one is not copied */
#define PF_CODE_LINES_MAX 4096 /* a line table object, header included: a longer one is not copied (no lines) */
#define PF_CODE_NAMED 65536    /* entries of the `code_named` map (least recently used ones make room) */

/* A piece of the target's memory in a record: addr, len, then len bytes padded to 8. */
struct pf_mem_segment {
	__u64 addr;
	__u32 len;
	__u32 pad;
};

/* The segments of one code object: its header, the name, the file, co_name's head (for its hash), the line table. */
struct pf_code_record {
	__u32 kind; /* PF_REC_CODE */
	__u32 size; /* bytes of segments that follow */
	struct pf_code_key key;
};

/* The largest record: every segment at its largest. */
#define PF_CODE_RECORD_MAX                                                                                             \
	(sizeof(struct pf_code_record) + 5 * sizeof(struct pf_mem_segment) + PF_CODE_HEADER_MAX +                      \
	 3 * PF_CODE_STR_MAX + PF_CODE_LINES_MAX)

/*
 * One sample, streamed through the ring buffer: header, py_nframes frames (leaf first), then with PF_SAMPLE_KIPS
 * kips_n kernel addresses (leaf first).
 */
struct pf_sample {
	__u32 kind;	 /* PF_REC_SAMPLE */
	__u32 flags;	 /* PF_SAMPLE_* */
	__u64 time_ns;	 /* bpf_ktime_get_ns() */
	__u64 weight_ns; /* off-CPU: how long the thread was off CPU (known at its end); else 0 */
	__u32 tgid;
	__u32 tid;
	__u32 cpu;
	__s32 kstack_id; /* < 0: no kernel stack (-EFAULT for user-mode samples is normal) */
	__s32 ustack_id; /* < 0: none; Python processes send user_ip instead (libpython has no frame pointers) */
	__u16 py_nframes;
	__u16 kips_n;		     /* with PF_SAMPLE_KIPS */
	__u64 user_ip;		     /* the user-mode instruction pointer (Python processes only) */
	__u64 py_thread;	     /* pthread_self() of a thread whose PyThreadState was found (its threading
				      * ident: the key of its name), else 0 */
	char comm[PF_TASK_COMM_LEN]; /* the thread's comm */
	struct pf_py_frame frames[];
};

#endif
