/* Folded-stack output (flamegraph.pl, speedscope, inferno): one line per distinct stack, root first, then its count. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "utf8.h"
#include "writer_folded.h"

/* Characters that end a line for some reader of text: C0 and C1 controls, DEL, U+2028 and U+2029 (Python's
 * splitlines(), JavaScript). */
static int breaks_lines(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

void folded__escape(char *dst, size_t size, const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t i = 0;

	if (!size)
		return;
	while (*p) {
		char enc[4];
		uint32_t cp;
		size_t len = utf8__next(p, &cp), n;

		/* `;` separates frames and a newline ends the line: neither may appear inside a name. A byte that is
		 * not UTF-8 becomes U+FFFD (utf8__next's answer), so the output is always valid text. */
		if (cp == ';')
			cp = ':';
		else if (breaks_lines(cp))
			cp = '?';
		n = utf8__put(enc, cp);
		if (i + n >= size)
			break; /* whole characters only */
		memcpy(dst + i, enc, n);
		i += n;
		p += len;
	}
	dst[i] = '\0';
}

/* One frame as folded text: escaped, kernel frames with flamegraph.pl's `_[k]`. */
static int put_frame(FILE *out, const struct view_frame *f, int first)
{
	size_t n = 3 * strlen(f->name) + 1; /* an invalid byte becomes U+FFFD, 3 bytes */
	char *esc = malloc(n);
	int rc;

	if (!esc)
		return -ENOMEM;
	folded__escape(esc, n, f->name);
	rc = fprintf(out, "%s%s%s", first ? "" : ";", esc, f->kind == VIEW_KERNEL ? "_[k]" : "");
	free(esc);
	return rc < 0 ? -EIO : 0;
}

const char *folded__measure_name(enum profile_measure m)
{
	return m == MEASURE_WALL ? "wall" : m == MEASURE_OFF_CPU ? "off-cpu" : "cpu";
}

int folded__write(const struct profile_view *v, FILE *out, size_t *written)
{
	if (written)
		*written = 0;
	/* The unit, for `report` and `diff` to read back. flamegraph.pl skips a line that does not end in
	 * whitespace and a count (it counts it as ignored), and so does any reader of `STACK COUNT` lines; the line
	 * ends in a word for that reason. */
	if (fprintf(out, FOLDED_HEADER "measure=%s unit=%s", folded__measure_name(v->measure),
		    v->measure == MEASURE_CPU ? "samples" : "us") < 0)
		return -EIO;
	/* When and over how long, for a pprof written from it later (ns, since the epoch). */
	if (v->time_ns && fprintf(out, " time=%" PRIu64 "ns", v->time_ns) < 0)
		return -EIO;
	if (v->duration_ns && fprintf(out, " duration=%" PRIu64 "ns", v->duration_ns) < 0)
		return -EIO;
	if (fputc('\n', out) == EOF)
		return -EIO;
	for (size_t i = 0; i < v->nstacks; i++) {
		const struct view_stack *s = &v->stacks[i];
		int err = 0;

		for (uint32_t j = 0; !err && j < s->nframes; j++)
			err = put_frame(out, &v->frames[s->frames[j]], j == 0);
		/* A diff: `STACK BEFORE AFTER`, as flamegraph.pl's differential mode reads it (BEFORE normalised). */
		if (!err && v->diff && fprintf(out, " %" PRIu64, profile_view__base_scaled(v, s->base)) < 0)
			err = -EIO;
		if (err || fprintf(out, " %" PRIu64 "\n", s->count) < 0)
			return err ? err : -EIO;
		if (written)
			(*written)++;
	}
	return 0;
}
