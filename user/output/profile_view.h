/* The stacks as every writer shows them: root frames added, hidden frames dropped, identical stacks merged, sorted. */
#ifndef PROFILE_VIEW_H
#define PROFILE_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include "profile.h"

struct view_options {
	int per_process; /* root frame `COMM (PID)` on every stack */
	int threads;	 /* root frame `thread NAME (TID)` below the process root */
	int no_kernel;	 /* drop kernel frames */
	int since_mark;	 /* only the samples counted since profile__mark() (a continuous window) */
};

enum view_kind {
	VIEW_ROOT, /* a process or thread root */
	VIEW_PYTHON,
	VIEW_NATIVE,
	VIEW_KERNEL,
	VIEW_MARKER, /* [truncated], [freed code object], ... */
};

struct view_frame {
	char *name; /* as the profile names it (kernel frames without a suffix; writers add their own) */
	enum view_kind kind;
};

#define VIEW_NONE UINT32_MAX

struct view_stack {
	uint64_t count;
	uint64_t base; /* diff views: the same stack's count in the profile compared against (as counted there) */
	uint32_t nframes;
	const uint32_t *frames; /* indexes into view.frames, root first */
	uint32_t seq;		/* order of first appearance (private: the sort's) */
};

struct profile_view {
	struct view_frame *frames; /* distinct frames */
	size_t nframes;
	struct view_stack *stacks; /* distinct stacks, sorted by their frame names root first */
	size_t nstacks;
	uint64_t total;		       /* samples (or microseconds, see measure) in all stacks */
	enum profile_measure measure;  /* the profile's */
	int diff;		       /* built by profile_view__diff: stacks carry a base */
	uint64_t base_total;	       /* diff views: the compared profile's total (bases are shares of it) */
	uint64_t time_ns, duration_ns; /* the profile's (after's, for a diff) */
	const char *program;	       /* the name of the process with the most samples, NULL without processes */
	const char *note; /* what the profile is, for the writers that carry a comment (pprof, speedscope); NULL */
	const struct profile *source; /* the profile it shows (after, for a diff) */
	uint32_t *view_of;	      /* per source stack id: its stack here, VIEW_NONE when not shown */
	/* private */
	uint32_t *ids;
	void *index;
};

int profile_view__build(struct profile_view *v, const struct profile *p, const struct view_options *o);
/* A differential view: after's stacks and counts, each with before's count for the same stack (stacks only in
 * before appear with count 0). Compare shares (count / total against base / base_total), never raw counts. */
int profile_view__diff(struct profile_view *v, const struct profile *before, const struct profile *after,
		       const struct view_options *o);
void profile_view__free(struct profile_view *v);
/* A diff view's base normalised to the view's total (rounded), as flamegraph.pl's differential input wants it. */
uint64_t profile_view__base_scaled(const struct profile_view *v, uint64_t base);
/* Diff views: how much more of the profile count is than base was of the compared one, as a signed fraction of a
 * whole profile (0 exactly when the shares are equal). */
double profile_view__change(const struct profile_view *v, uint64_t count, uint64_t base);

#endif
