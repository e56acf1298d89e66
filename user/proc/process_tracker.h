/* The processes being profiled as they come and go: loads the lifecycle programs (bpf/lifecycle.bpf.c), follows
 * their events in order with the samples, finds each new program's interpreter, and forgets what a process left
 * behind once it exited or exec'd. */
#ifndef PROCESS_TRACKER_H
#define PROCESS_TRACKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "cli.h"
#include "collector.h"
#include "hashmap.h"
#include "lifecycle.h"
#include "profile.h"
#include "target_process.h"
#include "user_symbols.h"

struct lifecycle;
struct sampler_bpf;
struct py_symbols;

struct process_tracker_stats {
	uint64_t followed; /* processes the run took on after it started (not named by -p or the command) */
	uint64_t forks, execs, entered, adopted; /* how: forked by a target, exec'd into scope, moved into the cgroup,
						  * first seen in a sample (its event was lost) */
	uint64_t exits, left;			 /* targets gone: exited, left the scope */
	uint64_t inherited;			 /* forked from a Python process: its interpreter known at once */
	uint64_t discovered;			 /* interpreter found after an exec (or at start) */
	uint64_t discovery_timed;		 /* of those, found after an exec seen by its event */
	uint64_t discovery_ns, discovery_max_ns; /* from the exec to the sampler knowing the interpreter */
	uint64_t not_python;			 /* no interpreter found before giving up */
	uint64_t gone_undiscovered;		 /* exited before its interpreter could be found */
	uint64_t pid_reuses;			 /* a PID that came back as another process during the run */
	uint64_t map_full;		/* processes running at the start that the targets map had no room for */
	uint64_t lc[PF_LC_STAT__COUNT]; /* the kernel side's counters */
};

/* How many targets are alive now, and in which state. */
struct process_tracker_alive {
	size_t all;	    /* live targets */
	size_t followed;    /* live targets not named on the command line */
	size_t discovering; /* live targets whose interpreter is still looked for */
};

/* The look at /proc for exits whose events were lost. */
struct process_tracker_sweep {
	double next;	    /* when it is due */
	uint64_t lost_seen; /* the kernel side's lost-event count at the last one: none lost since, none needed */
};

struct process_tracker {
	const struct pf_options *opts;
	struct lifecycle *skel;
	int targets_fd;
	int named_fd;		 /* the sampler's code_named map */
	struct sampler_bpf *bpf; /* the sampler, for the late pass over threads blocked before discovery */
	struct profile *profile;
	struct py_symbols *py;
	struct user_symbols *usyms;
	double start;		 /* CLOCK_MONOTONIC seconds when sampling started */
	struct pf_hashmap procs; /* pid -> struct target_process: every live target, and the last one gone of
				  * each PID (its record, for a later process with that PID) */
	struct process_tracker_alive alive;
	struct process_tracker_sweep sweep;
	struct process_tracker_stats stats;
};

void process_tracker__init(struct process_tracker *t, const struct pf_options *opts, struct profile *profile,
			   struct py_symbols *py, struct user_symbols *usyms);
/* Loads the lifecycle programs on the sampler's `targets` map and ring buffer, attaches them. 0 or -errno (said). */
int process_tracker__attach(struct process_tracker *t, struct sampler_bpf *bpf);
/* A process named by -p (is_command 0) or the command (1, not exec'd yet): made a target, its interpreter found. */
int process_tracker__add_named(struct process_tracker *t, pid_t pid, int is_command);
/* The processes in scope now: the named ones' descendants (--children), every process (--all), the cgroup's. */
int process_tracker__scan(struct process_tracker *t);
/* Sampling started now (CLOCK_MONOTONIC seconds): exit times are told from here. */
void process_tracker__started(struct process_tracker *t, double start);
/* A process event, in stream order. */
int process_tracker__event(struct process_tracker *t, const struct pf_proc_event *ev);
/* A code object's copy (struct pf_code_record), in stream order: its process names it, the sampler is told. 0, also
 * when it stays unnamed (the sampler copies it again), or -ENOMEM. */
int process_tracker__code_copy(struct process_tracker *t, const struct pf_code_record *r);
/* Sees each sample before it is counted: a process the run has not heard of (its event was lost) is taken on.
 * Returns the target the sample is of (gone, when taken while it exited), NULL when the run does not know it. */
struct target_process *process_tracker__sample(struct process_tracker *t, const struct pf_sample *s);
/* The target last known with PID pid (alive or gone), or NULL. */
struct target_process *process_tracker__find(const struct process_tracker *t, pid_t pid);
/* Retries due interpreter lookups; returns ms until the next one is due (at most max_ms). */
int process_tracker__retry(struct process_tracker *t, int max_ms);
/* Every drain: code tags for processes that re-use code addresses, /proc checks when events were lost. */
void process_tracker__tick(struct process_tracker *t);
/* Live targets, named or followed. */
size_t process_tracker__alive(const struct process_tracker *t);
/* Live followed processes (the run goes on while there are any). */
size_t process_tracker__followed_alive(const struct process_tracker *t);
/* Detaches the programs (after the sampler's perf events closed) and reads the kernel side's counters. */
void process_tracker__detach(struct process_tracker *t);
/* The processes followed and their interpreters, on stderr; counts of nothing only when verbose. */
void process_tracker__summary(const struct process_tracker *t, int verbose);
void process_tracker__free(struct process_tracker *t);

#endif
