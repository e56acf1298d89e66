/* Output formats: chosen by --format, else by the output file's suffix; a .zst suffix adds zstd compression. */
#include <string.h>
#include "output_format.h"

static const struct {
	const char *name;
	const char *suffix;
	enum output_format format;
} formats[] = {
	{ "folded", ".folded", FORMAT_FOLDED },
	{ "svg", ".svg", FORMAT_SVG },
	{ "pprof", ".pb.gz", FORMAT_PPROF },
	{ "speedscope", ".speedscope.json", FORMAT_SPEEDSCOPE },
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

	return len >= n && !strncmp(s + len - n, suffix, n);
}

enum output_format output_format__from_path(const char *path, int *zst)
{
	size_t len = path ? strlen(path) : 0;

	*zst = ends_with(path ? path : "", len, ".zst");
	if (*zst)
		len -= 4;
	for (size_t i = 0; i < NFORMATS; i++)
		if (ends_with(path ? path : "", len, formats[i].suffix))
			return formats[i].format;
	return FORMAT_FOLDED;
}
