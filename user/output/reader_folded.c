/* Reads folded stacks (plain or zstd-compressed) back into a profile, so saved profiles can be converted. */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "reader_folded.h"
#include "writer_folded.h"

#define MAX_PROFILE_BYTES (4UL << 30) /* a profile bigger than this is not a profile */

/* Reads all of f into a new buffer, NUL-terminated at *len: the last line may have no newline to end it. */
static int read_all(FILE *f, char **data, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *grown;
	size_t got;

	if (!buf)
		return -ENOMEM;
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= MAX_PROFILE_BYTES || !(grown = realloc(buf, cap * 2))) {
				free(buf);
				return cap >= MAX_PROFILE_BYTES ? -EFBIG : -ENOMEM;
			}
			buf = grown;
			cap *= 2;
		}
	}
	if (ferror(f)) {
		free(buf);
		return -EIO;
	}
	buf[n] = '\0'; /* n < cap: the parser's string functions stop here, whatever the last line ends with */
	*data = buf;
	*len = n;
	return 0;
}

/* Decompresses a whole zstd stream (one or more frames) into a new buffer, NUL-terminated at *len. */
static int unzstd(const char *in, size_t in_len, char **data, size_t *len)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	ZSTD_inBuffer src = { in, in_len, 0 };
	size_t cap = in_len * 8 + 4096, n = 0;
	char *buf = malloc(cap), *grown;
	int err = 0;

	if (!ds || !buf) {
		err = -ENOMEM;
		goto out;
	}
	while (src.pos < src.size) {
		ZSTD_outBuffer dst = { buf + n, cap - n, 0 };
		size_t rc = ZSTD_decompressStream(ds, &dst, &src);

		if (ZSTD_isError(rc)) {
			err = -EILSEQ;
			goto out;
		}
		n += dst.pos;
		if (n == cap) {
			if (cap >= MAX_PROFILE_BYTES || !(grown = realloc(buf, cap * 2))) {
				err = cap >= MAX_PROFILE_BYTES ? -EFBIG : -ENOMEM;
				goto out;
			}
			buf = grown;
			cap *= 2;
		}
	}
out:
	ZSTD_freeDStream(ds);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0'; /* n < cap, as in read_all */
	*data = buf;
	*len = n;
	return 0;
}

/* What a frame's text says it is: `x_[k]` kernel, `f (file:N)` Python, `[...]` marker, `comm (PID)` and
 * `thread name (TID)` roots (first frames only), anything else native. */
static enum frame_kind kind_of(char *name, int root_position, const regex_t *py)
{
	size_t n = strlen(name);

	if (n > 4 && !strcmp(name + n - 4, "_[k]")) {
		name[n - 4] = '\0';
		return FRAME_KERNEL;
	}
	if (name[0] == '[' && name[n - 1] == ']')
		return FRAME_MARKER;
	if (!regexec(py, name, 0, NULL, 0))
		return FRAME_PYTHON;
	if (root_position && n > 3 && name[n - 1] == ')' && strrchr(name, '(') &&
	    strspn(strrchr(name, '(') + 1, "0123456789") == n - 2 - (size_t)(strrchr(name, '(') - name))
		return FRAME_ROOT;
	return FRAME_NATIVE;
}

/* A count: decimal digits only (no sign, no space, nothing after), not overflowing 64 bits. */
static int parse_count(const char *s, unsigned long long *count)
{
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	*count = strtoull(s, &end, 10);
	return !*end && errno != ERANGE;
}

/* A `KEY=Nns` field of the header (time, duration), 0 when absent or not a number of ns. */
static uint64_t header_ns(const char *line, const char *key)
{
	const char *f = strstr(line, key);
	char *end;
	uint64_t v;

	if (!f || f[strlen(key)] < '0' || f[strlen(key)] > '9')
		return 0;
	errno = 0;
	v = strtoull(f + strlen(key), &end, 10);
	return !errno && !strncmp(end, "ns", 2) && (end[2] == ' ' || !end[2]) ? v : 0;
}

/* The first line, when it is our header: its measure (an unknown one is refused: its counts would be misread). 1 = a
 * header, 0 = a stack line, -EINVAL (said). A comment line of another tool's is a stack line, as before. */
static int parse_header(struct profile *p, const char *line, const char *path)
{
	static const enum profile_measure measures[] = { MEASURE_CPU, MEASURE_WALL, MEASURE_OFF_CPU };
	const char *m;

	if (strncmp(line, FOLDED_HEADER, strlen(FOLDED_HEADER)))
		return 0;
	m = strstr(line, " measure=");
	for (size_t i = 0; m && i < sizeof(measures) / sizeof(measures[0]); i++) {
		const char *name = folded__measure_name(measures[i]);
		size_t n = strlen(name);

		if (!strncmp(m + 9, name, n) && (m[9 + n] == ' ' || !m[9 + n])) {
			p->measure = measures[i];
			p->time_ns = header_ns(line, " time=");
			p->duration_ns = header_ns(line, " duration=");
			return 1;
		}
	}
	fprintf(stderr, "pyflame-bpf: %s:1: a header of pyflame-bpf without a measure it knows (cpu, wall, off-cpu)\n",
		path);
	return -EINVAL;
}

static int parse(struct profile *p, char *text, size_t len, const char *path)
{
	regex_t py;
	uint32_t *ids = NULL;
	size_t ids_cap = 0, lineno = 0;
	unsigned long long total = 0;
	char *line = text, *end = text + len;
	int err = 0;

	if (regcomp(&py, " \\([^()]+:[0-9]+\\)$| \\([^()]+\\.py[cw]?\\)$", REG_EXTENDED | REG_NOSUB))
		return -ENOMEM;
	while (!err && line < end) {
		char *nl = memchr(line, '\n', end - line), *space, *frame, *save = NULL;
		unsigned long long count;
		size_t n = 0;

		if (nl)
			*nl = '\0';
		if ((nl ? nl : end) > line && (nl ? nl : end)[-1] == '\r')
			(nl ? nl : end)[-1] = '\0'; /* a file saved with CRLF line ends */
		lineno++;
		space = strrchr(line, ' ');
		if (!*line)
			goto next;
		if (lineno == 1) {
			/* Only the first line: a later one starting so is a stack whose root frame has that name. */
			err = parse_header(p, line, path);
			if (err) {
				err = err < 0 ? err : 0;
				goto next;
			}
		}
		if (!space || space == line || !parse_count(space + 1, &count)) {
			fprintf(stderr, "pyflame-bpf: %s:%zu: not a folded line (frames;... COUNT)\n", path, lineno);
			err = -EINVAL;
			break;
		}
		if (total + count < total) {
			fprintf(stderr, "pyflame-bpf: %s:%zu: the counts add up past 2^64\n", path, lineno);
			err = -EOVERFLOW;
			break;
		}
		total += count;
		*space = '\0';
		for (frame = strtok_r(line, ";", &save); frame && !err; frame = strtok_r(NULL, ";", &save)) {
			int64_t id = profile__frame(p, kind_of(frame, n < 2, &py), frame);

			if (id < 0) {
				err = (int)id;
				break;
			}
			if (n == ids_cap) {
				uint32_t *g = realloc(ids, (ids_cap = ids_cap ? ids_cap * 2 : 128) * sizeof(*g));

				if (!g) {
					err = -ENOMEM;
					break;
				}
				ids = g;
			}
			ids[n++] = (uint32_t)id;
		}
		if (!err) {
			struct profile_process *proc = profile__process(p, 0);

			err = proc ? profile__add(p, proc, 0, ids, (uint32_t)n, count) : -ENOMEM;
		}
	next:
		line = nl ? nl + 1 : end;
	}
	regfree(&py);
	free(ids);
	return err;
}

int folded__read_file(struct profile *p, FILE *f, const char *name)
{
	char *raw = NULL, *text = NULL;
	size_t raw_len, len;
	int err;

	err = read_all(f, &raw, &raw_len);
	if (!err && raw_len >= 4 && !memcmp(raw, "\x28\xb5\x2f\xfd", 4)) {
		err = unzstd(raw, raw_len, &text, &len);
		free(raw);
	} else if (!err) {
		text = raw;
		len = raw_len;
	}
	if (err) {
		fprintf(stderr, "pyflame-bpf: cannot read '%s': %s\n", name, strerror(-err));
		return err;
	}
	err = parse(p, text, len, name);
	free(text);
	return err;
}

int folded__read(struct profile *p, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	int err;

	if (!f) {
		err = -errno;
		fprintf(stderr, "pyflame-bpf: cannot read '%s': %s\n", path, strerror(-err));
		return err;
	}
	err = folded__read_file(p, f, path);
	if (f != stdin)
		fclose(f);
	return err;
}
