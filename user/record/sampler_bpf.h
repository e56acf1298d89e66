/* The sampler's BPF side over a recording: load with the options' limits, attach, detach, read the kernel's counts. */
#ifndef SAMPLER_BPF_H
#define SAMPLER_BPF_H

#include <stdint.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "perf_events.h"
#include "pyflame.h"
#include "sched_events.h"

struct sampler;

/* What the kernel side counted, read after detaching (and for the live status line). */
struct sampler_counters {
	uint64_t stats[PF_STAT__COUNT]; /* summed over CPUs */
	uint64_t *lost_per_cpu;		/* ring-buffer losses by CPU, when there were any */
	int ncpus;
	uint64_t prog_run_ns, prog_runs;     /* from the kernel when kernel.bpf_stats_enabled=1 */
	uint64_t switch_run_ns, switch_runs; /* the same for the scheduler program (off, wall) */
};

struct sampler_bpf {
	struct sampler *skel;
	struct perf_events events; /* cpu-clock on every CPU (cpu, wall) */
	struct sched_events sched; /* the scheduler program (off, wall) */
	struct ring_buffer *rb;
	int attached;
	struct sampler_counters counters;
};

/* Checks BTF, opens the sampler with the options' limits and loads it. 0, or -errno with one message printed. */
int sampler_bpf__load(struct sampler_bpf *b, const struct pf_options *o);
/* Opens the ring buffer, each record going to fn(ctx, data, size). 0 or -errno (said). */
int sampler_bpf__open_ring(struct sampler_bpf *b, ring_buffer_sample_fn fn, void *ctx);
/* Attaches what the mode samples with: the scheduler program from start_ns (off, wall), cpu-clock (cpu, wall). */
int sampler_bpf__attach(struct sampler_bpf *b, const struct pf_options *o, uint64_t start_ns);
/* Detaches every event (the last drain then sees every record); safe to call twice. */
/* `dump`: a record of each of pid's threads now, into the ring buffer. 0 or -errno. */
int sampler_bpf__dump(struct sampler_bpf *b, pid_t pid);
/* pid's interpreter was just found: Python stacks for its threads blocked since before (--mode off/wall). */
int sampler_bpf__late_python(struct sampler_bpf *b, pid_t pid);
void sampler_bpf__detach(struct sampler_bpf *b);
/* Reads the per-CPU stats map into b->counters.stats (and the per-CPU losses). */
void sampler_bpf__read_stats(struct sampler_bpf *b);
/* The stats and the programs' run times (kernel.bpf_stats_enabled), once detached. */
void sampler_bpf__read_counters(struct sampler_bpf *b);
void sampler_bpf__free(struct sampler_bpf *b);

#endif
