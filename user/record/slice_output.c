#include "slice_output.h"
#include <stdio.h>
#include "profile_output.h"
#include "slicer.h"

void slice_output__time(char *buf, size_t size, uint64_t ns)
{
	if (ns < 1000000)
		snprintf(buf, size, "%.0f us", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, size, "%.4g ms", (double)ns / 1e6);
	else
		snprintf(buf, size, "%.4g s", (double)ns / 1e9);
}

/* "p90 (96 ms)" or "250 ms": what the slow ones are slower than. */
static void threshold_text(char *buf, size_t size, const struct pf_options *o, const struct slice_summary *sum)
{
	char t[32];

	slice_output__time(t, sizeof(t), sum->threshold_ns);
	if (o->slice.percentile >= 0)
		snprintf(buf, size, "p%g (%s)", o->slice.percentile, t);
	else
		snprintf(buf, size, "%s", t);
}

/* "do_GET: 4213 invocations seen, 3987 resolved: p50 12.1 ms, p90 96 ms, p99 480 ms, max 1.9 s". */
static void latency_line(char *buf, size_t size, const struct pf_options *o, const struct slice_summary *sum)
{
	char p50[32], p90[32], p99[32], max[32];

	slice_output__time(p50, sizeof(p50), sum->p50_ns);
	slice_output__time(p90, sizeof(p90), sum->p90_ns);
	slice_output__time(p99, sizeof(p99), sum->p99_ns);
	slice_output__time(max, sizeof(max), sum->max_ns);
	snprintf(buf, size, "%s: %llu invocations seen, %llu resolved: p50 %s, p90 %s, p99 %s, max %s%s", o->slice.func,
		 (unsigned long long)sum->seen, (unsigned long long)sum->resolved, p50, p90, p99, max,
		 sum->overflow ? " (records of very long invocations left out)" : "");
}

static void say(const struct pf_options *o, const struct slice_summary *sum)
{
	const char *where = o->out.output ? o->out.output : "the profile";
	char line[400], over[64];

	if (!sum->seen) {
		fprintf(stderr, "pyflame-bpf: --slice %s: no invocation seen (no Python frame runs it); %s is empty\n",
			o->slice.func, where);
		return;
	}
	latency_line(line, sizeof(line), o, sum);
	threshold_text(over, sizeof(over), o, sum);
	fprintf(stderr, "pyflame-bpf: %s\n", line);
	fprintf(stderr, "pyflame-bpf: %s: the %llu invocations slower than %s, %.1f s of wall time%s\n", where,
		(unsigned long long)sum->slow, over, sum->slow_s, o->slice.compare ? ", against the others" : "");
}

int slice_output__write(const struct pf_options *o, struct slicer *slicer, const struct profile *p, size_t ntargets,
			struct output *out, size_t *lines)
{
	struct view_options vo = profile_output__record_view(o, ntargets);
	struct profile slow, rest;
	struct slice_summary sum;
	struct svg_histogram histogram = { .counts = slicer->counts,
					   .n = SLICE_BUCKETS,
					   .bucket_ns = slicer__bucket_ns };
	struct output_extras extras = { 0 };
	char subtitle[200], over[64], label[200], note[400];
	int err;

	profile__init(&slow);
	profile__init(&rest);
	err = slicer__result(slicer, &slow, o->slice.compare ? &rest : NULL, &sum);
	slow.time_ns = rest.time_ns = p->time_ns;
	slow.duration_ns = rest.duration_ns = p->duration_ns;
	threshold_text(over, sizeof(over), o, &sum);
	histogram.first_slow = sum.first_slow_bucket;
	histogram.label = label;
	extras.histogram = sum.resolved ? &histogram : NULL;
	extras.note = note;
	snprintf(subtitle, sizeof(subtitle), "%s slower than %s: %llu of %llu invocations, %.1f s", o->slice.func, over,
		 (unsigned long long)sum.slow, (unsigned long long)sum.resolved, sum.slow_s);
	if (!err && !o->quiet)
		say(o, &sum);
	snprintf(label, sizeof(label), "%s latency: %llu invocations, slower than %s in red", o->slice.func,
		 (unsigned long long)sum.resolved, over);
	latency_line(note, sizeof(note), o, &sum);
	if (err)
		output__abort(out);
	else
		err = profile_output__write_with(o->slice.compare ? &rest : NULL, &slow, &vo, o, subtitle, &extras, out,
						 lines);
	profile__free(&slow);
	profile__free(&rest);
	return err;
}
