/* Folded-stack output (flamegraph.pl, speedscope, inferno): one line per distinct stack, root first, then its count. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "writer_folded.h"

struct line {
	char *text;
	uint64_t count;
};

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

/* Growable string. */
struct buf {
	char *s;
	size_t len, cap;
};

static int buf_append(struct buf *b, const char *text)
{
	size_t n = strlen(text);

	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		char *s;

		while (cap < b->len + n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s)
			return -ENOMEM;
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, text, n + 1);
	b->len += n;
	return 0;
}

static int buf_frame(struct buf *b, const char *name, const char *suffix)
{
	size_t n = strlen(name) + 1;
	char *esc = malloc(n);
	int err;

	if (!esc)
		return -ENOMEM;
	folded__escape(esc, n, name);
	err = (b->len ? buf_append(b, ";") : 0) ?: buf_append(b, esc) ?: buf_append(b, suffix);
	free(esc);
	return err;
}

static int stack_line(const struct profile *p, const struct profile_stack *s, const struct folded_options *o,
		      struct buf *b)
{
	char root[128];
	int err = 0;

	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
	if (o->per_process) {
		const struct profile_process *proc = profile__find_process(p, s->tgid);

		snprintf(root, sizeof(root), "%s (%u)", proc && proc->comm[0] ? proc->comm : "?", s->tgid);
		err = buf_frame(b, root, "");
	}
	if (!err && o->threads) {
		const struct profile_thread *t = profile__find_thread(p, s->tid);

		snprintf(root, sizeof(root), "thread %s (%u)", t && t->comm[0] ? t->comm : "?", s->tid);
		err = buf_frame(b, root, "");
	}
	for (uint32_t i = 0; !err && i < s->nframes; i++) {
		const struct profile_frame *f = &p->frames[s->frames[i]];

		if (f->kind == FRAME_KERNEL && o->no_kernel)
			continue;
		err = buf_frame(b, f->name, f->kind == FRAME_KERNEL ? "_[k]" : "");
	}
	if (!err && !b->len)
		err = buf_append(b, "[empty]");
	return err;
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->text, ((const struct line *)b)->text);
}

int folded__write(const struct profile *p, const struct folded_options *o, FILE *out, size_t *written)
{
	struct line *lines = calloc(p->nstacks ? p->nstacks : 1, sizeof(*lines));
	struct buf b = {};
	size_t n = 0;
	int err = 0;

	if (!lines)
		return -ENOMEM;
	if (written)
		*written = 0;
	for (size_t i = 0; i < p->nstacks; i++) {
		err = stack_line(p, p->stacks[i], o, &b);
		if (err)
			goto out;
		lines[n].text = strdup(b.s);
		if (!lines[n].text) {
			err = -ENOMEM;
			goto out;
		}
		lines[n++].count = p->stacks[i]->count;
	}
	/* Sorted, so the output is deterministic and stacks that differ only by hidden detail (thread, kernel) merge. */
	qsort(lines, n, sizeof(*lines), line_cmp);
	for (size_t i = 0; i < n;) {
		uint64_t count = 0;
		size_t j = i;

		for (; j < n && !strcmp(lines[j].text, lines[i].text); j++)
			count += lines[j].count;
		if (fprintf(out, "%s %" PRIu64 "\n", lines[i].text, count) < 0) {
			err = -errno;
			goto out;
		}
		if (written)
			(*written)++;
		i = j;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(lines[i].text);
	free(lines);
	free(b.s);
	return err;
}
