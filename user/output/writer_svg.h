/* Interactive SVG flame graph output: one self-contained file with inline CSS and JS for zoom and search. */
#ifndef WRITER_SVG_H
#define WRITER_SVG_H

#include <stdio.h>
#include "profile_view.h"

/* A latency distribution drawn above the graph (--slice): invocations per log-scaled bucket, those from the first
 * slow bucket on drawn as the slow ones. */
struct svg_histogram {
	const uint64_t *counts;
	unsigned n;			   /* buckets */
	unsigned first_slow;		   /* this bucket and those above hold the slow invocations */
	uint64_t (*bucket_ns)(unsigned b); /* the latency bucket b stands for */
	const char *label;		   /* what it shows, with the threshold: "do_GET: slower than p90 (96 ms)" */
};

/* Frames narrower than min_width_px are not drawn; their samples stay counted in their caller. */
struct svg_options {
	const char *title;    /* NULL: "Flame Graph" */
	const char *subtitle; /* e.g. "12345 samples, 99 Hz, 30 s" or NULL */
	int inverted;	      /* icicle graph: root at the top */
	int inclusive;	      /* diff: colour by the change of each frame's total, not of its own samples */
	double min_width_px;  /* default 0.1 when <= 0 */
	int width_px;	      /* default 1200 when <= 0 */
	const struct svg_histogram *histogram; /* NULL: none */
};

/* Writes the view as an SVG flame graph; o may be NULL for the defaults. Returns 0 or -errno. */
int svg__write(const struct profile_view *v, const struct svg_options *o, FILE *out);

#endif
