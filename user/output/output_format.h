/* Output formats: chosen by --format, else by the output file's suffix; a .zst suffix adds zstd compression. */
#ifndef OUTPUT_FORMAT_H
#define OUTPUT_FORMAT_H

enum output_format {
	FORMAT_AUTO = 0, /* from the file name; folded for stdout */
	FORMAT_FOLDED,
	FORMAT_SVG,
	FORMAT_PPROF,
	FORMAT_SPEEDSCOPE,
};

/* "folded" / "svg" (or py-spy's "raw" / "flamegraph") -> the format, or FORMAT_AUTO when unknown. */
enum output_format output_format__parse(const char *name);
/* The format a file name asks for, its suffix matched ignoring case (x.svg, x.SVG.zst, x.json, x.pb; no suffix at
 * all, or no path: folded), and whether it ends in .zst; FORMAT_AUTO for a suffix that names no format. */
enum output_format output_format__from_path(const char *path, int *zst);

#endif
