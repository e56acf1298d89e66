/* What a recording tells on stderr: the live status line on a terminal, and the run summary at the end. */
#include <inttypes.h>
#include <stdio.h>
#include "clock.h"
#include "count_list.h"
#include "python_symbols.h"
#include "run_summary.h"

void run_summary__progress(struct session *s, int done)
{
	double elapsed = clock__now_s() - s->times.start;
	char duration[32] = "";

	if (!s->run.progress)
		return;
	if (done) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	if (elapsed - s->run.progress_at < 0.25)
		return;
	s->run.progress_at = elapsed;
	sampler_bpf__read_stats(&s->bpf);
	if (s->opts->sampling.duration > 0)
		snprintf(duration, sizeof(duration), " / %.0f s", s->opts->sampling.duration);
	fprintf(stderr, "\r\033[Kpyflame-bpf: %.1f s%s, %" PRIu64 " samples, %zu stacks, %" PRIu64 " lost", elapsed,
		duration, s->profile.total, s->profile.nstacks, s->bpf.counters.stats[PF_STAT_LOST_RINGBUF]);
}

/* The first line: where the profile went, and how much it holds. */
static void print_written(const struct session *s, int written)
{
	const struct pf_options *o = s->opts;
	const char *where = o->out.output ? o->out.output : "stdout";

	if (s->windows.written)
		fprintf(stderr, "pyflame-bpf: wrote %u windows to %s\n", s->windows.written, where);
	else if (!written)
		fprintf(stderr, "pyflame-bpf: nothing written to %s\n", where);
	else if (o->sampling.mode == MODE_CPU)
		fprintf(stderr, "pyflame-bpf: wrote %s (%" PRIu64 " samples, %zu stacks)\n", where, s->profile.total,
			s->run.lines_written);
	else
		fprintf(stderr, "pyflame-bpf: wrote %s (%.3f s of %s time, %zu stacks)\n", where,
			(double)s->profile.total / 1e6, o->sampling.mode == MODE_WALL ? "wall-clock" : "off-CPU",
			s->run.lines_written);
}

/* How much was recorded, how long, why it stopped, what the ring buffer lost. */
static void print_totals(const struct session *s)
{
	static const char *const why[] = { [STOP_DURATION] = "duration elapsed",
					   [STOP_SIGNAL] = "signal",
					   [STOP_TARGETS_EXITED] = "every target exited" };
	const char *stopped = s->run.stop_reason ? why[s->run.stop_reason] : "stopped";
	uint64_t lost = s->bpf.counters.stats[PF_STAT_LOST_RINGBUF];

	if (s->opts->sampling.mode == MODE_CPU)
		fprintf(stderr,
			"pyflame-bpf: %" PRIu64 " samples in %.2f s at %u Hz (%s), %" PRIu64
			" lost (ring buffer full)\n",
			s->profile.total, s->times.elapsed, s->opts->sampling.frequency, stopped, lost);
	else
		fprintf(stderr,
			"pyflame-bpf: %.3f s of %s time (counts in microseconds) in %.2f s (%s), %" PRIu64
			" records lost (ring buffer full)\n",
			(double)s->profile.total / 1e6, s->opts->sampling.mode == MODE_WALL ? "wall-clock" : "off-CPU",
			s->times.elapsed, stopped, lost);
}

/* Off and wall modes: the intervals counted and dropped, and the on-CPU samples beside them. */
static void print_offcpu(const struct session *s)
{
	const struct collector *c = &s->collector;
	uint64_t samples = s->bpf.counters.stats[PF_STAT_SAMPLES];
	struct count_list l;

	if (s->opts->sampling.mode == MODE_CPU)
		return;
	/* Counts of nothing (no GIL waits, nothing under --min-block) are left to -v. */
	count_list__init(&l, s->opts->verbose);
	count_list__add(&l, c->counts.still_off != 0, "%" PRIu64 " still blocked at the end", c->counts.still_off);
	count_list__add(&l, c->counts.gil_wait_us != 0, "%.3f s waiting for the GIL",
			(double)c->counts.gil_wait_us / 1e6);
	count_list__add(&l, c->counts.short_records != 0, "%" PRIu64 " shorter than --min-block (%.3f s) dropped",
			c->counts.short_records, (double)c->counts.short_us / 1e6);
	count_list__add(&l, s->stream.intervals.unmatched != 0, "%" PRIu64 " ends without their start (lost)",
			s->stream.intervals.unmatched);
	if (s->opts->sampling.no_idle)
		count_list__add(&l, c->counts.idle_us != 0, "%.3f s idle (--no-idle) dropped",
				(double)c->counts.idle_us / 1e6);
	if (c->counts.offcpu_records || l.len || s->opts->verbose)
		fprintf(stderr, "pyflame-bpf: off-CPU: %" PRIu64 " intervals, %.3f s%s%s\n", c->counts.offcpu_records,
			(double)c->counts.offcpu_us / 1e6, l.len ? "; " : "", l.text);
	if (s->opts->sampling.mode == MODE_WALL && (samples || s->opts->verbose))
		fprintf(stderr, "pyflame-bpf: on-CPU: %" PRIu64 " samples at %u Hz, %" PRIu64 " us each\n",
			s->bpf.counters.stats[PF_STAT_SAMPLES], s->opts->sampling.frequency, c->filter.period_us);
}

/* What was dropped or lost, with the flag that would have kept it. */
static void print_losses(const struct session *s)
{
	const struct sampler_counters *k = &s->bpf.counters;
	const uint64_t *st = k->stats;
	uint64_t no_ustack = st[PF_STAT_USTACK_FULL] + st[PF_STAT_USTACK_ERR];
	uint64_t no_kstack = st[PF_STAT_KSTACK_FULL] + st[PF_STAT_KSTACK_ERR];

	if (s->opts->sampling.gil && (s->collector.counts.gil_unknown || s->collector.counts.gil_dropped))
		fprintf(stderr,
			"pyflame-bpf: --gil: %" PRIu64 " records without the GIL dropped, %" PRIu64
			" dropped because the process's GIL state is unknown (CPython 2.7 and 3.6 do not expose it)\n",
			s->collector.counts.gil_dropped, s->collector.counts.gil_unknown);
	if (st[PF_STAT_LOST_RINGBUF] && k->lost_per_cpu) {
		fprintf(stderr, "pyflame-bpf: ring buffer full, samples lost per CPU:");
		for (int c = 0; c < k->ncpus; c++)
			if (k->lost_per_cpu[c])
				fprintf(stderr, " CPU %d: %" PRIu64 ";", c, k->lost_per_cpu[c]);
		fprintf(stderr, " raise --buffer-size\n");
	}
	if (no_ustack || no_kstack)
		fprintf(stderr,
			"pyflame-bpf: stacks not recorded: %" PRIu64 " user (%" PRIu64 " stack map full), %" PRIu64
			" kernel (%" PRIu64 " stack map full): raise --max-stacks\n",
			no_ustack, st[PF_STAT_USTACK_FULL], no_kstack, st[PF_STAT_KSTACK_FULL]);
	if (s->collector.counts.bad_records)
		fprintf(stderr, "pyflame-bpf: %" PRIu64 " malformed records dropped\n",
			s->collector.counts.bad_records);
}

/* Python stacks: how many, how they were cut, how the code objects were named; the walk's reads with -v. */
static void print_python(const struct session *s)
{
	const uint64_t *st = s->bpf.counters.stats;
	struct py_symbols_stats py = {};

	if (s->py)
		py_symbols__stats(s->py, &py);
	if (s->collector.counts.py_samples || st[PF_STAT_PY_NO_TSTATE])
		fprintf(stderr,
			"pyflame-bpf: Python: %" PRIu64 " samples with Python frames, %" PRIu64
			" without a thread state, %" PRIu64 " cut by a failed read, %" PRIu64
			" truncated at --max-depth; %" PRIu64 " code objects named (%" PRIu64
			" from the sampler's copies, %" PRIu64 " re-used addresses, %" PRIu64
			" freed before naming, %" PRIu64 " unreadable)\n",
			s->collector.counts.py_samples, st[PF_STAT_PY_NO_TSTATE], st[PF_STAT_PY_READ_ERR],
			st[PF_STAT_PY_TRUNCATED], py.code_objects, py.code_copied, py.code_reused, py.code_gone,
			py.read_errors);
	if (s->opts->verbose && (st[PF_STAT_CODE_COPIES] || st[PF_STAT_CODE_COPY_ERR] || py.copy_errors))
		fprintf(stderr,
			"pyflame-bpf: code copies: %" PRIu64 " made by the sampler at first sight, %" PRIu64
			" not made (tried again), %" PRIu64 " unreadable here\n",
			st[PF_STAT_CODE_COPIES], st[PF_STAT_CODE_COPY_ERR], py.copy_errors);
	if (s->opts->verbose && st[PF_STAT_PY_FRAMES])
		fprintf(
		    stderr,
		    "pyflame-bpf: Python walk: %" PRIu64 " frames visited, %" PRIu64 " memory reads (%.2f per frame)\n",
		    st[PF_STAT_PY_FRAMES], st[PF_STAT_PY_READS], (double)st[PF_STAT_PY_READS] / st[PF_STAT_PY_FRAMES]);
}

/* The BPF programs' cost, when the kernel timed them (kernel.bpf_stats_enabled=1). */
static void print_bpf_cost(const struct session *s)
{
	const struct sampler_counters *k = &s->bpf.counters;
	const uint64_t *st = k->stats;

	if (k->prog_runs && st[PF_STAT_SAMPLES] && st[PF_STAT_TARGET_NS])
		fprintf(stderr,
			"pyflame-bpf: BPF program: %" PRIu64 " ns per sample of the targets (timed in the program), "
			"%" PRIu64 " runs on all CPUs at %" PRIu64 " ns per run (kernel.bpf_stats_enabled)\n",
			st[PF_STAT_TARGET_NS] / st[PF_STAT_SAMPLES], k->prog_runs, k->prog_run_ns / k->prog_runs);
	else if (k->prog_runs && st[PF_STAT_SAMPLES])
		fprintf(stderr,
			"pyflame-bpf: BPF program: %" PRIu64 " runs on all CPUs at %" PRIu64 " ns per run "
			"(kernel.bpf_stats_enabled)\n",
			k->prog_runs, k->prog_run_ns / k->prog_runs);
	if (k->switch_runs)
		fprintf(stderr,
			"pyflame-bpf: BPF scheduler program: %" PRIu64 " ns per context switch on all CPUs (%" PRIu64
			" switches, %" PRIu64 " of them a target thread leaving)\n",
			k->switch_run_ns / k->switch_runs, k->switch_runs,
			st[PF_STAT_OFF_BLOCKS] - st[PF_STAT_OFF_OPEN]);
}

/* Every sample the kernel took of a target either reached userspace or was counted lost: said with -v, and always
 * when the two sides disagree (off-CPU intervals are counted apart). */
static void print_accounting(const struct session *s)
{
	const uint64_t *st = s->bpf.counters.stats;
	uint64_t lost = st[PF_STAT_LOST_RINGBUF],
		 timer_records = s->collector.counts.records - s->collector.counts.offcpu_in;

	if (s->opts->verbose || st[PF_STAT_SAMPLES] != timer_records + s->collector.counts.bad_records)
		fprintf(stderr,
			"pyflame-bpf: accounting: %" PRIu64 " samples taken of the targets: %" PRIu64
			" reached userspace (%" PRIu64 " counted, %" PRIu64 " malformed), %" PRIu64
			" lost (ring buffer full)\n",
			st[PF_STAT_SAMPLES] + lost, st[PF_STAT_SAMPLES], timer_records, s->collector.counts.bad_records,
			lost);
}

/* -v: what the recording cost in userspace, and how soon it started. */
static void print_userspace_cost(const struct session *s)
{
	const struct session_times *t = &s->times;

	if (!s->opts->verbose)
		return;
	fprintf(stderr,
		"pyflame-bpf: userspace CPU: %.1f ms counting and naming %" PRIu64 " samples into %zu "
		"stacks (%.2f us per sample), %.1f ms writing the output\n",
		t->drain_s * 1e3, s->profile.total, s->profile.nstacks,
		s->profile.total ? t->drain_s * 1e6 / s->profile.total : 0.0, t->write_s * 1e3);
	if (s->stream.first_counted)
		fprintf(stderr,
			"pyflame-bpf: start-up: sampling attached %.1f ms after start, first sample taken at "
			"%.1f ms, counted at %.1f ms (CLOCK_MONOTONIC %.6f s)\n",
			(t->start - t->launched) * 1e3, (s->stream.first_sample_ns / 1e9 - t->launched) * 1e3,
			(s->stream.first_counted - t->launched) * 1e3, s->stream.first_counted);
}

/* The named targets: their CPython (-v), and when those that exited did. */
static void print_named(const struct session *s)
{
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct target *t = &s->targets.list[i];
		const struct target_process *tp = process_tracker__find(&s->tracker, t->pid);
		const struct profile_process *pp = tp ? tp->record : NULL;

		if (s->opts->verbose && pp && pp->python)
			fprintf(stderr, "pyflame-bpf: PID %d (%s): CPython %s\n", (int)t->pid, pp->comm, pp->python);
		if (t->exited)
			fprintf(stderr, "pyflame-bpf: PID %d (%s) exited after %.2f s\n", (int)t->pid,
				pp ? pp->comm : "?", pp && pp->exited_after >= 0 ? pp->exited_after : s->times.elapsed);
	}
}

void run_summary__print(const struct session *s, int written)
{
	print_written(s, written);
	print_totals(s);
	print_offcpu(s);
	print_losses(s);
	print_python(s);
	print_bpf_cost(s);
	print_accounting(s);
	process_tracker__summary(&s->tracker, s->opts->verbose);
	print_userspace_cost(s);
	print_named(s);
}
