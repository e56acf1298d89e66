/* Writes a profile (or two, as a diff) in the format the options name, to an output, with a recording's subtitle. */
#ifndef PROFILE_OUTPUT_H
#define PROFILE_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include "cli.h"
#include "output.h"
#include "profile.h"
#include "profile_view.h"
#include "writer_svg.h"

/* Renders p (against before, for a diff) in o's format into out and commits it; *lines gets the stacks written. */
int profile_output__write(const struct profile *before, const struct profile *p, const struct view_options *vo,
			  const struct pf_options *o, const char *subtitle, struct output *out, size_t *lines);
/* What a profile carries beyond its stacks (--slice): a latency histogram above an SVG's graph, and a note (pprof's
 * comment, speedscope's name unless --title gives one). NULL members: none. */
struct output_extras {
	const struct svg_histogram *histogram;
	const char *note;
};
/* The same with extras (NULL: none). */
int profile_output__write_with(const struct profile *before, const struct profile *p, const struct view_options *vo,
			       const struct pf_options *o, const char *subtitle, const struct output_extras *extras,
			       struct output *out, size_t *lines);
/* How a recording of ntargets named targets is rooted: by process when there are several (or --per-process,
 * --children, --all, --cgroup), by thread on request. */
struct view_options profile_output__record_view(const struct pf_options *o, size_t ntargets);
/* The picture's subtitle: what the counts are, how many, over how long (`what`: e.g. " (snapshot while
 * recording)"). */
void profile_output__subtitle(const struct pf_options *o, uint64_t total, double seconds, const char *what, char *buf,
			      size_t size);

#endif
