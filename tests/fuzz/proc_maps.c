/* Fuzzes the /proc/PID/maps parser (user/proc/proc_maps.c) with the file's text. The corpus holds real maps files. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "fuzz_input.h"
#include "proc_maps.h"

/* The kernel lists mappings sorted and disjoint; proc_maps__find() relies on it. */
static int sorted_and_disjoint(const struct proc_maps *m)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->maps[i].start >= m->maps[i].end || (i && m->maps[i - 1].end > m->maps[i].start))
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fuzz_input__open(data, size);
	struct proc_maps m;

	if (!f)
		return 0;
	if (!proc_maps__parse(&m, f)) {
		int sorted = sorted_and_disjoint(&m);

		for (size_t i = 0; i < m.n; i++) {
			const struct proc_map *map = &m.maps[i];
			char path[128];

			if (proc_map__basename(map) == NULL)
				abort();
			proc_map__open_path(map, 1, path, sizeof(path));
			if (sorted &&
			    (proc_maps__find(&m, map->start) != map || proc_maps__find(&m, map->end - 1) != map))
				abort();
		}
		proc_maps__free(&m);
	}
	fclose(f);
	return 0;
}
