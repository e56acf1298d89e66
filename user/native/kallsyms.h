/* Kernel symbols from /proc/kallsyms: parsed once, sorted, looked up by address. */
#ifndef KALLSYMS_H
#define KALLSYMS_H

#include <stdint.h>
#include <stdio.h>

struct ksym {
	uint64_t addr;
	char *name;
};

struct kallsyms {
	struct ksym *syms;
	size_t n, cap;
};

/* Parses kallsyms text; -EPERM when every address reads 0 (kptr_restrict hides them). */
int kallsyms__parse(struct kallsyms *k, FILE *f);
int kallsyms__load(struct kallsyms *k, const char *path);
/* The symbol containing addr (the closest one at or below it), or NULL. */
const char *kallsyms__lookup(const struct kallsyms *k, uint64_t addr);
void kallsyms__free(struct kallsyms *k);

#endif
