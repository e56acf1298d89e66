/* Command-line options: one table that parses, validates and prints --help. */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "glob_match.h"

/* What a recording measures (--mode). */
enum record_mode {
	MODE_CPU,  /* on-CPU samples, counted in samples */
	MODE_OFF,  /* off-CPU time, in microseconds */
	MODE_WALL, /* both, in microseconds: a sample stands for one period */
};

/* Which processes are profiled. */
struct pf_scope_options {
	pid_t *pids; /* -p */
	size_t npids;
	char **command;		  /* -- CMD ARGS, NULL-terminated, or NULL */
	int children;		  /* --children: every descendant of the targets, forked before or during the run */
	int all;		  /* --all: every process */
	const char *cgroup;	  /* --cgroup PATH: the processes of this cgroup v2 and of its descendants */
	uint64_t cgroup_id;	  /* its inode number (the kernel's cgroup id) */
	unsigned cgroup_level;	  /* its depth below the v2 hierarchy's root */
	const char *comm;	  /* --comm GLOB: with --all or --cgroup, only processes whose name matches */
	struct pf_glob comm_glob; /* it, compiled */
};

/* How they are sampled, for how long, and the kernel side's limits. */
struct pf_sampling_options {
	double duration;    /* seconds; 0 = until Ctrl-C or every target exited */
	unsigned frequency; /* Hz */
	enum record_mode mode;
	unsigned long long min_block_ns; /* --min-block: shorter off-CPU intervals are dropped */
	int no_idle;			 /* drop off-CPU time of threads with nothing to do */
	int gil;			 /* keep only GIL holders (and GIL waits) */
	int code_tags;			 /* tag every Python frame from the start */
	unsigned max_processes;		 /* targets the kernel can hold at once */
	unsigned long buffer_size;
	unsigned max_stacks;
	unsigned max_depth;
};

/* Where the profile goes and how it is shown. */
struct pf_output_options {
	const char *output; /* NULL = stdout */
	double interval;    /* --interval: seconds per continuous window, 0 = one profile */
	int format;	    /* enum output_format, resolved (never FORMAT_AUTO after parsing) */
	int compress;	    /* zstd: --compress or a .zst suffix */
	const char *title;  /* a picture's title */
	int inverted;	    /* icicle graph */
	int inclusive;	    /* diff SVG: colour by each frame's total change, not its own samples' */
	int per_process;
	int threads;
	int no_kernel;
	int full_filenames;
	int function;
	int native_addresses; /* unsymbolised native frames per address, not per module */
	int unit;	      /* report/diff --unit: enum report_unit */
};

/* --slower-than's default, a percentile: the help text and the parser both read it (the BPF side never does). */
#define PF_DEFAULT_SLOWER_THAN_PCT 90

/* --slice: the profile of only the slow invocations of one function. */
struct pf_slice_options {
	const char *func;	      /* --slice FUNC; NULL: off */
	double percentile;	      /* --slower-than pNN; < 0 when a duration is given */
	unsigned long long slower_ns; /* --slower-than DURATION */
	int root;		      /* --slice-root: keep the frames above FUNC */
	int compare;		      /* --compare: the slow invocations against the rest, as a diff */
};

/* What a saved profile's counts are, when --unit says so over its header. */
enum report_unit {
	UNIT_FROM_FILE = 0,
	UNIT_SAMPLES,
	UNIT_US,
};

struct pf_options {
	const char *report;    /* `report FILE`: convert a saved profile instead of recording */
	const char *diff_base; /* `diff BEFORE AFTER`: report is AFTER, compared against this */
	int dump;	       /* `dump`: every thread's stacks now, instead of recording */
	int json;	       /* dump: one JSON document */
	struct pf_scope_options scope;
	struct pf_sampling_options sampling;
	struct pf_output_options out;
	struct pf_slice_options slice;
	int quiet;
	int verbose;
};

/* Parses argv (`[OPTIONS] -p PID...`, `[OPTIONS] -- CMD`, `report FILE [OPTIONS]`, `diff BEFORE AFTER [OPTIONS]`); on a
 * bad flag or value prints one line and returns -EINVAL (exit 2); 1 = --help/--version done. */
int cli__parse(struct pf_options *o, int argc, char **argv);
void cli__free(struct pf_options *o);

#endif
