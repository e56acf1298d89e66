/* Output formats: chosen by --format, else by the output file's suffix; a .zst suffix adds zstd compression. */
#include <string.h>
#include <strings.h>
#include "output_format.h"

static const struct {
	const char *name;
	enum output_format format;
} formats[] = {
	{ "folded", FORMAT_FOLDED },
	{ "svg", FORMAT_SVG },
	{ "pprof", FORMAT_PPROF },
	{ "speedscope", FORMAT_SPEEDSCOPE },
};

/* File name suffixes, longest first where one ends another (.speedscope.json before .json), matched ignoring case:
 * x.SVG is a picture, not folded text. pprof's file is gzipped whatever its name; `go tool pprof` reads either. */
static const struct {
	const char *suffix;
	enum output_format format;
} suffixes[] = {
	{ ".folded", FORMAT_FOLDED },
	{ ".svg", FORMAT_SVG },
	{ ".pb.gz", FORMAT_PPROF },
	{ ".pb", FORMAT_PPROF },
	{ ".pprof", FORMAT_PPROF },
	{ ".pprof.gz", FORMAT_PPROF },
	{ ".speedscope.json", FORMAT_SPEEDSCOPE },
	{ ".json", FORMAT_SPEEDSCOPE },
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

/* py-spy's names for the same formats (`py-spy record --format flamegraph|raw`). */
static const struct {
	const char *name;
	enum output_format format;
} aliases[] = {
	{ "flamegraph", FORMAT_SVG },
	{ "raw", FORMAT_FOLDED },
};

enum output_format output_format__parse(const char *name)
{
	for (size_t i = 0; i < NFORMATS; i++)
		if (!strcmp(name, formats[i].name))
			return formats[i].format;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(name, aliases[i].name))
			return aliases[i].format;
	return FORMAT_AUTO;
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !strncasecmp(s + len - n, suffix, n);
}

enum output_format output_format__from_path(const char *path, int *zst)
{
	const char *base, *dot;
	size_t len;

	*zst = 0;
	if (!path)
		return FORMAT_FOLDED;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	len = strlen(base);
	*zst = ends_with(base, len, ".zst");
	if (*zst)
		len -= 4;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (ends_with(base, len, suffixes[i].suffix))
			return suffixes[i].format;
	/* No suffix at all (/dev/stdout, a FIFO, `out`) is folded text, as stdout is; one we do not know is refused. */
	dot = memchr(base, '.', len);
	if (dot && dot != base)
		return FORMAT_AUTO;
	return FORMAT_FOLDED;
}
