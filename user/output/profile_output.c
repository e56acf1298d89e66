/* Writes a profile (or two, as a diff) in the format the options name, to an output, with a recording's subtitle. */
#include <stdio.h>
#include "output_format.h"
#include "profile_output.h"
#include "writer_folded.h"
#include "writer_pprof.h"
#include "writer_speedscope.h"
#include "writer_svg.h"

int profile_output__write(const struct profile *before, const struct profile *p, const struct view_options *vo,
			  const struct pf_options *o, const char *subtitle, struct output *out, size_t *lines)
{
	return profile_output__write_with(before, p, vo, o, subtitle, NULL, out, lines);
}

int profile_output__write_with(const struct profile *before, const struct profile *p, const struct view_options *vo,
			       const struct pf_options *o, const char *subtitle, const struct output_extras *extras,
			       struct output *out, size_t *lines)
{
	struct svg_options svg = { .title = o->out.title,
				   .subtitle = subtitle,
				   .inverted = o->out.inverted,
				   .inclusive = o->out.inclusive,
				   .histogram = extras ? extras->histogram : NULL };
	struct profile_view view;
	int err = before ? profile_view__diff(&view, before, p, vo) : profile_view__build(&view, p, vo);

	view.note = extras ? extras->note : NULL;
	if (!err) {
		switch (o->out.format) {
		case FORMAT_SVG:
			err = svg__write(&view, &svg, out->file);
			*lines = view.nstacks;
			break;
		case FORMAT_SPEEDSCOPE:
			/* Microseconds are microseconds; a recording's samples are 1/F s each; a saved profile's
			 * rate is unknown: plain counts. */
			err = speedscope__write(&view, o->out.title ? o->out.title : view.note,
						view.measure != MEASURE_CPU ? 1e-6
						: o->report		    ? 0
									    : 1.0 / o->sampling.frequency,
						out->file);
			*lines = view.nstacks;
			break;
		case FORMAT_PPROF:
			/* A sample stands for 1/F s of CPU; for `report`, -F says the saved profile's rate (default
			 * 99). */
			err = pprof__write(&view, view.measure != MEASURE_CPU ? 1e3 : 1e9 / o->sampling.frequency,
					   out->file);
			*lines = view.nstacks;
			break;
		default: err = folded__write(&view, out->file, lines); break;
		}
	}
	profile_view__free(&view);
	return output__commit(out, err);
}

struct view_options profile_output__record_view(const struct pf_options *o, size_t ntargets)
{
	return (struct view_options){
		.per_process =
		    o->out.per_process || ntargets > 1 || o->scope.children || o->scope.all || o->scope.cgroup,
		.threads = o->out.threads,
		.no_kernel = o->out.no_kernel,
	};
}

void profile_output__subtitle(const struct pf_options *o, uint64_t total, double seconds, const char *what, char *buf,
			      size_t size)
{
	if (o->sampling.mode == MODE_CPU)
		snprintf(buf, size, "%llu samples at %u Hz in %.1f s%s", (unsigned long long)total,
			 o->sampling.frequency, seconds, what);
	else
		snprintf(buf, size, "%s time in microseconds: %.2f s in %.1f s%s%s",
			 o->sampling.mode == MODE_WALL ? "wall-clock (on + off CPU)" : "off-CPU", (double)total / 1e6,
			 seconds, o->sampling.gil ? ", GIL holders and GIL waits only" : "", what);
}
