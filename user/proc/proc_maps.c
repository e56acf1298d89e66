/* A process's memory mappings, parsed from /proc/PID/maps. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "proc_maps.h"
#include "proc_stat.h"

int proc_maps__parse(struct proc_maps *m, FILE *f)
{
	size_t cap = 0;
	char *line = NULL;
	size_t line_cap = 0;
	int err = 0;

	memset(m, 0, sizeof(*m));
	while (getline(&line, &line_cap, f) > 0) {
		struct proc_map map = {};
		int path_at = 0;
		char *path;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n", &map.start, &map.end,
			   map.perms, &map.offset, &map.dev_major, &map.dev_minor, &map.inode, &path_at) < 7)
			continue;
		path = line + path_at;
		path[strcspn(path, "\n")] = '\0';
		if (m->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct proc_map *n = realloc(m->maps, ncap * sizeof(*n));

			if (!n) {
				err = -ENOMEM;
				break;
			}
			m->maps = n;
			cap = ncap;
		}
		map.path = strdup(path_at ? path : "");
		if (!map.path) {
			err = -ENOMEM;
			break;
		}
		m->maps[m->n++] = map;
	}
	free(line);
	if (err)
		proc_maps__free(m);
	return err;
}

/* What an empty maps file means. An exiting process shows one (a zombie, or PF_EXITING set: its memory is gone), and
 * so does a kernel thread (it has none); so does a process in the middle of an exec, between the release of its old
 * memory (or this file, opened before, still pointing at it) and its new program's first mapping: that one is not
 * gone, and is to be read again. */
static int empty_maps_error(pid_t pid)
{
	struct proc_stat st;

	if (proc_stat__read(&st, pid) || st.state == 'Z' || st.state == 'X' || (st.flags & PROC_STAT_EXITING) ||
	    (st.flags & PROC_STAT_KTHREAD))
		return -ESRCH;
	return -EAGAIN;
}

int proc_maps__read(struct proc_maps *m, pid_t pid)
{
	char path[64];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	err = proc_maps__parse(m, f);
	fclose(f);
	if (!err && !m->n)
		err = empty_maps_error(pid);
	return err;
}

const struct proc_map *proc_maps__find(const struct proc_maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < m->maps[mid].start)
			hi = mid;
		else if (addr >= m->maps[mid].end)
			lo = mid + 1;
		else
			return &m->maps[mid];
	}
	return NULL;
}

int proc_maps__dup(struct proc_maps *dst, const struct proc_maps *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src->n)
		return 0;
	dst->maps = calloc(src->n, sizeof(*dst->maps));
	if (!dst->maps)
		return -ENOMEM;
	for (; dst->n < src->n; dst->n++) {
		dst->maps[dst->n] = src->maps[dst->n];
		dst->maps[dst->n].path = strdup(src->maps[dst->n].path);
		if (!dst->maps[dst->n].path) {
			proc_maps__free(dst);
			return -ENOMEM;
		}
	}
	return 0;
}

void proc_maps__free(struct proc_maps *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->maps[i].path);
	free(m->maps);
	memset(m, 0, sizeof(*m));
}

void proc_map__open_path(const struct proc_map *map, pid_t pid, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, map->start, map->end);
}

const char *proc_map__basename(const struct proc_map *map)
{
	const char *slash = strrchr(map->path, '/');

	return slash ? slash + 1 : map->path;
}
