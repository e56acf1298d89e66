/* --interval: the recording cut into windows of fixed length, each written to the file -o's strftime pattern names
 * for its start, when it closes; records of a later window wait in stream order until then. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "interval_windows.h"
#include "output.h"
#include "profile_output.h"
#include "record.h"
#include "slice_output.h"

/* A record held back for a later window. */
struct pending {
	size_t size;
	unsigned char data[];
};

/* The file a window starting at wall-clock time t goes to: the pattern expanded. */
static int window_path(const char *pattern, double t, char *path, size_t size)
{
	time_t secs = (time_t)t;
	struct tm tm;

	if (!localtime_r(&secs, &tm) || !strftime(path, size, pattern, &tm))
		return -EINVAL;
	return 0;
}

int interval_windows__check(const char *pattern)
{
	char path[4096], dir[4096], *slash;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (window_path(pattern, now.tv_sec, path, sizeof(path))) {
		fprintf(stderr, "pyflame-bpf: invalid output pattern '%s'\n", pattern);
		return -EINVAL;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (access(slash ? (*dir ? dir : "/") : ".", W_OK)) {
		int err = -errno;

		fprintf(stderr, "pyflame-bpf: cannot write '%s': %s\n", path, strerror(-err));
		return err;
	}
	return 0;
}

void interval_windows__init(struct interval_windows *w, const struct pf_options *o, struct profile *profile,
			    record_consume_fn consume, void *ctx)
{
	memset(w, 0, sizeof(*w));
	w->o = o;
	w->profile = profile;
	w->consume = consume;
	w->consume_ctx = ctx;
}

void interval_windows__start(struct interval_windows *w, double start_s, size_t ntargets)
{
	struct timespec wall;

	if (w->o->out.interval <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &wall);
	w->start_wall = wall.tv_sec + wall.tv_nsec / 1e9;
	w->end_ns = (uint64_t)((start_s + w->o->out.interval) * 1e9);
	w->ntargets = ntargets;
}

static int defer(struct interval_windows *w, const void *data, size_t size)
{
	struct pending *pd = malloc(sizeof(*pd) + size);
	struct pending **grown;

	if (!pd)
		return -ENOMEM;
	if (w->npending == w->pending_cap) {
		size_t cap = w->pending_cap ? w->pending_cap * 2 : 256;

		grown = realloc(w->pending, cap * sizeof(*w->pending));
		if (!grown) {
			free(pd);
			return -ENOMEM;
		}
		w->pending = grown;
		w->pending_cap = cap;
	}
	pd->size = size;
	memcpy(pd->data, data, size);
	w->pending[w->npending++] = pd;
	return 0;
}

int interval_windows__hold(struct interval_windows *w, const void *data, size_t size)
{
	const struct pf_sample *rec = data;
	unsigned int kind = record__kind(data, size);
	int err;

	if (!w->end_ns)
		return 0;
	if (kind == PF_REC_PROC_EVENT ? w->npending == 0 : kind != PF_REC_SAMPLE || rec->time_ns < w->end_ns)
		return 0;
	err = defer(w, data, size);
	return err ? err : 1;
}

/* Counts the held records that belong to the current window (all of them, at the end), keeping the rest in order. */
static void replay(struct interval_windows *w, int all)
{
	size_t kept = 0;

	for (size_t i = 0; i < w->npending; i++) {
		struct pending *pd = w->pending[i];
		const struct pf_sample *rec = (const void *)pd->data;
		int event = record__kind(pd->data, pd->size) == PF_REC_PROC_EVENT;

		if (!all && (event ? kept > 0 : rec->time_ns >= w->end_ns)) {
			w->pending[kept++] = pd;
			continue;
		}
		w->consume(w->consume_ctx, pd->data, pd->size);
		free(pd);
	}
	w->npending = kept;
}

/* The samples counted since the last mark, into the file the window's start names. */
static void write_window(struct interval_windows *w)
{
	const struct pf_options *o = w->o;
	struct view_options vo = profile_output__record_view(o, w->ntargets);
	uint64_t samples = w->profile->total - w->profile->total_mark;
	char path[4096], subtitle[160];
	struct output out;
	size_t lines = 0;
	double t;
	int err;

	vo.since_mark = 1;
	if (window_path(o->out.output, w->start_wall, path, sizeof(path))) {
		fprintf(stderr, "pyflame-bpf: cannot expand the pattern '%s'\n", o->out.output);
		w->err = w->err ?: -EINVAL;
		return;
	}
	profile_output__subtitle(o, samples, o->out.interval, "", subtitle, sizeof(subtitle));
	w->profile->time_ns = (uint64_t)(w->start_wall * 1e9);
	w->profile->duration_ns = (uint64_t)(o->out.interval * 1e9);
	err = output__open(&out, path, o->out.compress);
	if (!err) {
		t = clock__cpu_s();
		if (w->slicer) {
			err = slice_output__write(o, w->slicer, w->profile, w->ntargets, &out, &lines);
			slicer__new_window(w->slicer);
		} else {
			err = profile_output__write(NULL, w->profile, &vo, o, subtitle, &out, &lines);
		}
		w->write_s += clock__cpu_s() - t;
	}
	if (err)
		w->err = w->err ?: err;
	else if (!o->quiet)
		fprintf(stderr, "pyflame-bpf: wrote %s (%llu samples)\n", path, (unsigned long long)samples);
}

void interval_windows__close_due(struct interval_windows *w, uint64_t slack_ns, int final)
{
	uint64_t interval = (uint64_t)(w->o->out.interval * 1e9);

	while (w->end_ns && (final || clock__now_ns() >= w->end_ns + slack_ns)) {
		if (final)
			replay(w, 1);
		write_window(w);
		profile__mark(w->profile);
		w->written++;
		w->start_wall += w->o->out.interval;
		if (final)
			break;
		w->end_ns += interval;
		replay(w, 0);
	}
}

void interval_windows__snapshot(struct interval_windows *w)
{
	write_window(w); /* a failure is kept in w->err, as for any window */
}

void interval_windows__free(struct interval_windows *w)
{
	for (size_t i = 0; i < w->npending; i++)
		free(w->pending[i]);
	free(w->pending);
	w->pending = NULL;
	w->npending = w->pending_cap = 0;
}
