/* Kernel symbols from /proc/kallsyms: parsed once, sorted, looked up by address. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "kallsyms.h"

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return strcmp(x->name, y->name);
}

int kallsyms__parse(struct kallsyms *k, FILE *f)
{
	char *line = NULL, *name, type;
	size_t line_cap = 0;
	uint64_t addr;
	int nonzero = 0;

	memset(k, 0, sizeof(*k));
	/* getline: symbol names can be up to KSYM_NAME_LEN (512) characters since Linux 6.1. */
	while (getline(&line, &line_cap, f) > 0) {
		char *end;

		/* "ADDR TYPE NAME [MODULE]", parsed by hand: sscanf made up half the start-up's parsing time. */
		addr = strtoull(line, &end, 16);
		if (end == line || *end != ' ' || !end[1] || end[2] != ' ')
			continue;
		type = end[1];
		name = end + 3;
		name[strcspn(name, " \t\n")] = '\0';
		if (!*name)
			continue;
		/* Only code can appear in a stack: text (t/T) and weak (w/W) symbols. */
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (addr)
			nonzero = 1;
		if (k->n == k->cap) {
			size_t cap = k->cap ? k->cap * 2 : 4096;
			struct ksym *s = realloc(k->syms, cap * sizeof(*s));

			if (!s)
				goto nomem;
			k->syms = s;
			k->cap = cap;
		}
		k->syms[k->n].addr = addr;
		k->syms[k->n].name = strdup(name);
		if (!k->syms[k->n].name)
			goto nomem;
		k->n++;
	}
	free(line);
	if (!nonzero && k->n) {
		kallsyms__free(k);
		return -EPERM;
	}
	if (k->n) /* no symbol: syms is NULL, which qsort may not be given */
		qsort(k->syms, k->n, sizeof(*k->syms), ksym_cmp);
	return 0;
nomem:
	free(line);
	kallsyms__free(k);
	return -ENOMEM;
}

int kallsyms__load(struct kallsyms *k, const char *path)
{
	FILE *f = fopen(path, "re");
	int err;

	if (!f)
		return -errno;
	err = kallsyms__parse(k, f);
	fclose(f);
	return err;
}

const char *kallsyms__lookup(const struct kallsyms *k, uint64_t addr)
{
	size_t lo = 0, hi = k->n;

	/* Find the last symbol with sym.addr <= addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? k->syms[lo - 1].name : NULL;
}

void kallsyms__free(struct kallsyms *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->syms[i].name);
	free(k->syms);
	memset(k, 0, sizeof(*k));
}
