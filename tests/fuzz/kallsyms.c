/* Fuzzes the /proc/kallsyms parser (user/native/kallsyms.c) with the file's text. The corpus holds a real excerpt. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_input.h"
#include "kallsyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fuzz_input__open(data, size);
	struct kallsyms k;

	if (!f)
		return 0;
	if (!kallsyms__parse(&k, f)) {
		for (size_t i = 0; i < k.n; i++) {
			const char *name = kallsyms__lookup(&k, k.syms[i].addr);

			/* Sorted by address: a symbol's own address finds a symbol, never one below it. */
			if (!name || !*name)
				abort();
		}
		if (k.n && kallsyms__lookup(&k, k.syms[0].addr - 1) && k.syms[0].addr)
			abort();
		kallsyms__free(&k);
	}
	fclose(f);
	return 0;
}
