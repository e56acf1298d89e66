/* Folded-stack output (flamegraph.pl, speedscope, inferno): one line per distinct stack, root first, then its count. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "writer_folded.h"

void folded__escape(char *dst, size_t size, const char *name)
{
	size_t i = 0;

	if (!size)
		return;
	for (; *name && i + 1 < size; name++) {
		unsigned char c = (unsigned char)*name;

		/* `;` separates frames and a newline ends the line: neither may appear inside a name. */
		if (c == ';')
			c = ':';
		else if (c < 0x20 || c == 0x7f)
			c = '?';
		dst[i++] = (char)c;
	}
	dst[i] = '\0';
}

/* One frame as folded text: escaped, kernel frames with flamegraph.pl's `_[k]`. */
static int put_frame(FILE *out, const struct view_frame *f, int first)
{
	size_t n = strlen(f->name) + 1;
	char *esc = malloc(n);
	int rc;

	if (!esc)
		return -ENOMEM;
	folded__escape(esc, n, f->name);
	rc = fprintf(out, "%s%s%s", first ? "" : ";", esc, f->kind == VIEW_KERNEL ? "_[k]" : "");
	free(esc);
	return rc < 0 ? -EIO : 0;
}

int folded__write(const struct profile_view *v, FILE *out, size_t *written)
{
	if (written)
		*written = 0;
	for (size_t i = 0; i < v->nstacks; i++) {
		const struct view_stack *s = &v->stacks[i];
		int err = 0;

		for (uint32_t j = 0; !err && j < s->nframes; j++)
			err = put_frame(out, &v->frames[s->frames[j]], j == 0);
		/* A diff: `STACK BEFORE AFTER`, as flamegraph.pl's differential mode reads it (BEFORE normalised). */
		if (!err && v->diff && fprintf(out, " %" PRIu64, s->base) < 0)
			err = -EIO;
		if (err || fprintf(out, " %" PRIu64 "\n", s->count) < 0)
			return err ? err : -EIO;
		if (written)
			(*written)++;
	}
	return 0;
}
