/* The processes being profiled as they come and go: loads the lifecycle programs (bpf/lifecycle.bpf.c), follows
 * their events in order with the samples, finds each new program's interpreter, and forgets what a process left
 * behind once it exited or exec'd. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "count_list.h"
#include "lifecycle.h" /* before its skeleton, which names its types */
#include "lifecycle.skel.h"
#include "proc_stat.h"
#include "process_scope.h"
#include "process_tracker.h"
#include "python_symbols.h"
#include "sampler.skel.h"
#include "sampler_bpf.h"

#define DISCOVERY_WINDOW_S 5.0 /* how long a new program's interpreter is looked for (shared libpython loads late) */
#define SWEEP_INTERVAL_S 1.0

void process_tracker__init(struct process_tracker *t, const struct pf_options *opts, struct profile *profile,
			   struct py_symbols *py, struct user_symbols *usyms)
{
	memset(t, 0, sizeof(*t));
	t->opts = opts;
	t->profile = profile;
	t->py = py;
	t->usyms = usyms;
	t->targets_fd = -1;
	t->named_fd = -1;
	pf_hashmap__init(&t->procs);
}

static enum pf_scope scope_of(const struct pf_options *o)
{
	if (o->scope.all)
		return PF_SCOPE_ALL;
	if (o->scope.cgroup)
		return PF_SCOPE_CGROUP;
	return o->scope.children ? PF_SCOPE_CHILDREN : PF_SCOPE_PIDS;
}

int process_tracker__attach(struct process_tracker *t, struct sampler_bpf *bpf)
{
	struct sampler *sampler = bpf->skel;
	const struct pf_options *o = t->opts;
	enum pf_scope scope = scope_of(o);
	struct lifecycle *skel;
	int err;

	t->targets_fd = bpf_map__fd(sampler->maps.targets);
	t->named_fd = bpf_map__fd(sampler->maps.code_named);
	t->bpf = bpf;
	skel = lifecycle__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "pyflame-bpf: cannot open the process-lifecycle programs: %s\n", strerror(-err));
		return err;
	}
	t->skel = skel;
	skel->rodata->scope = scope;
	skel->rodata->cgroup_id = o->scope.cgroup_id;
	skel->rodata->cgroup_level = o->scope.cgroup_level;
	skel->rodata->self_tgid = (__u32)getpid();
	skel->rodata->comm_glob = o->scope.comm_glob;
	/* Only what the scope needs: a plain -p run pays for exec and exit alone. */
	bpf_program__set_autoload(skel->progs.pf_fork, scope != PF_SCOPE_PIDS);
	bpf_program__set_autoload(skel->progs.pf_cgroup_attach, scope == PF_SCOPE_CGROUP);
	err = bpf_map__reuse_fd(skel->maps.targets, t->targets_fd);
	err = err ?: bpf_map__reuse_fd(skel->maps.samples, bpf_map__fd(sampler->maps.samples));
	err = err ?: lifecycle__load(skel);
	if (err) {
		fprintf(stderr, "pyflame-bpf: cannot load the process-lifecycle programs: %s (-v shows libbpf's log)\n",
			strerror(-err));
		return err;
	}
	err = lifecycle__attach(skel);
	if (err) {
		fprintf(stderr, "pyflame-bpf: cannot attach to the sched_process_* tracepoints: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

struct target_process *process_tracker__find(const struct process_tracker *t, pid_t pid)
{
	return pf_hashmap__get(&t->procs, &pid, sizeof(pid));
}

int process_tracker__code_copy(struct process_tracker *t, const struct pf_code_record *r)
{
	struct target_process *tp = process_tracker__find(t, (pid_t)r->key.tgid);
	__u8 one = 1;
	int err;

	if (!t->py)
		return 0;
	err = py_symbols__code_copy(t->py, tp, r);
	if (err == -ENOMEM)
		return err; /* the caller stops the recording, saying so */
	if (err)
		return 0; /* left unnamed: the sampler copies it again when it next misses it */
	/* Named: the sampler need not copy it again. A full map makes room (least recently used). */
	if (t->named_fd >= 0)
		(void)bpf_map_update_elem(t->named_fd, &r->key, &one, BPF_ANY);
	return 0;
}

/* Writes tr's entry to the targets map. Userspace never re-creates an entry the kernel removed (the process exited
 * or left the scope meanwhile), except when it makes a process a target (create). */
static int target_write(struct process_tracker *t, struct target_process *tr, int create)
{
	if (bpf_map_update_elem(t->targets_fd, &tr->pid, &tr->bpf, create ? BPF_ANY : BPF_EXIST))
		return -errno;
	return 0;
}

/* The profile record tr's samples go to from now on: a new one for a new program, or for a process that got the
 * PID of an earlier one (tr->record: the PID's record until now, if any). */
static struct profile_process *record_for(struct process_tracker *t, struct target_process *tr, const char *comm,
					  int exec)
{
	struct profile_process *cur = tr->record, *pp;

	if (cur && cur->samples && cur->start && tr->start && cur->start != tr->start)
		t->stats.pid_reuses++;
	if (cur && (exec || (cur->start && tr->start && cur->start != tr->start)))
		pp = profile__new_process(t->profile, cur, (uint32_t)tr->pid);
	else
		pp = cur ? cur : profile__process(t->profile, (uint32_t)tr->pid);
	if (!pp)
		return NULL;
	if (tr->start)
		pp->start = tr->start;
	if (comm && comm[0])
		snprintf(pp->comm, sizeof(pp->comm), "%s", comm);
	tr->record = pp;
	return pp;
}

/* A new live target with PID pid; an earlier process with that PID (gone) hands over its record, so that a reused
 * PID gets a record of its own (record_for). */
static struct target_process *tracked_new(struct process_tracker *t, pid_t pid, uint64_t start, int named)
{
	struct target_process *old = process_tracker__find(t, pid), *tr = target_process__new(pid, start);

	if (!tr)
		return NULL;
	tr->named = named;
	tr->alive = 1;
	if (old) {
		tr->record = old->record;
		pf_hashmap__delete(&t->procs, &pid, sizeof(pid));
		target_process__put(old);
	}
	if (pf_hashmap__set(&t->procs, &pid, sizeof(pid), tr)) {
		target_process__put(tr);
		return NULL;
	}
	t->alive.all++;
	if (!named) {
		t->alive.followed++;
		t->stats.followed++;
	}
	return tr;
}

/* tr is gone (exited, or out of scope): what the modules kept of it is dropped; the entry stays, with its record,
 * for the samples it took that are still to come and for a later process that gets its PID. */
static void tracked_gone(struct process_tracker *t, struct target_process *tr)
{
	if (!tr->alive)
		return;
	if (!tr->named)
		t->alive.followed--;
	t->alive.all--;
	tr->alive = 0;
	target_process__forget(tr);
}

/* A target the run took on by mistake (the targets map had no room): as if it had never been seen. */
static void tracked_drop(struct process_tracker *t, struct target_process *tr)
{
	tracked_gone(t, tr);
	pf_hashmap__delete(&t->procs, &tr->pid, sizeof(tr->pid));
	target_process__put(tr);
}

/* The live target with PID pid, or NULL. */
static struct target_process *live_get(struct process_tracker *t, pid_t pid)
{
	struct target_process *tr = process_tracker__find(t, pid);

	return tr && tr->alive ? tr : NULL;
}

static void set_python_name(struct target_process *tr)
{
	const char *version = py_symbols__version(tr);

	if (tr->record && !tr->record->python && version)
		tr->record->python = strdup(version);
}

static void stop_discovery(struct process_tracker *t, struct target_process *tr)
{
	if (tr->discovery.active)
		t->alive.discovering--;
	tr->discovery.active = 0;
}

/* Takes tr's maps now, while it lives, so that it can be named after it exits. A process already gone is not worth
 * a word (its exit comes in the stream), nor one mid-exec (read again on a miss); anything else is said with -v, or
 * always when memory ran out. */
static void snapshot_maps(struct process_tracker *t, struct target_process *tr, const struct target_process *parent)
{
	int err = parent ? user_symbols__inherit(t->usyms, tr, parent) : user_symbols__snapshot(t->usyms, tr);

	if (err && err != -ESRCH && err != -ENOENT && err != -EAGAIN && (t->opts->verbose || err == -ENOMEM))
		fprintf(stderr, "pyflame-bpf: PID %d: cannot read its memory maps: %s (its native frames go unnamed)\n",
			(int)tr->pid, strerror(-err));
}

/* Tries to find tr's interpreter once. final: give up (and say why) if it is not there. A process mid-exec
 * (-EAGAIN: its maps read empty) is never given up outside a search: the caller starts one. Returns the search's
 * result. */
static int discover(struct process_tracker *t, struct target_process *tr, int final)
{
	struct discovery *d = &tr->discovery;
	struct pf_py_proc proc;
	char why[256] = "";
	int err = py_symbols__discover(t->py, tr, &proc, why, sizeof(why));

	if (!err) {
		stop_discovery(t, tr);
		tr->bpf.flags = PF_TARGET_PYTHON | (t->opts->sampling.code_tags ? PF_TARGET_CODE_TAGS : 0);
		tr->bpf.py = proc;
		err = target_write(t, tr, 0);
		if (err) {
			if (err != -ENOENT)
				fprintf(stderr, "pyflame-bpf: PID %d: cannot register its Python interpreter: %s\n",
					(int)tr->pid, strerror(-err));
			return err;
		}
		d->python = 1;
		d->python_since_ns = clock__now_ns();
		t->stats.discovered++;
		if (d->exec_ns && d->python_since_ns > d->exec_ns) {
			uint64_t took = d->python_since_ns - d->exec_ns;

			t->stats.discovery_timed++;
			t->stats.discovery_ns += took;
			if (took > t->stats.discovery_max_ns)
				t->stats.discovery_max_ns = took;
		}
		set_python_name(tr);
		/* Threads that blocked before now were recorded without Python frames: they get them. */
		if (t->bpf && sampler_bpf__late_python(t->bpf, tr->pid) && t->opts->verbose)
			fprintf(stderr, "pyflame-bpf: PID %d: cannot read the stacks of its blocked threads\n",
				(int)tr->pid);
		/* Its libraries are mapped by now: open them while the process lives. */
		snapshot_maps(t, tr, NULL);
		if (t->opts->verbose)
			fprintf(stderr, "pyflame-bpf: PID %d: CPython %s\n", (int)tr->pid, py_symbols__version(tr));
		return 0;
	}
	if (err == -EAGAIN && !d->active)
		return err;
	/* Not yet: a shared libpython is mapped a little after the exec, and a program mid-exec maps nothing. */
	if (!final && (err == -ENOENT || err == -EAGAIN))
		return err;
	stop_discovery(t, tr);
	if (err == -ESRCH) {
		t->stats.gone_undiscovered++;
		return err;
	}
	t->stats.not_python++;
	if ((tr->named && !t->opts->quiet) || t->opts->verbose)
		fprintf(stderr, "pyflame-bpf: PID %d: no Python frames: %s\n", (int)tr->pid, why);
	return err;
}

/* When to look again for an interpreter not found `since` seconds after the search began. An executable that links
 * a libpython gets it from ld.so within milliseconds of the exec once it has the CPU: often at first, then less
 * (a failed look reads a short maps file, ~50 us). Any other program (a shell, or one that may dlopen() an
 * interpreter later, as uwsgi does) is looked at twice a second: an exec'ing host costs little. */
static double retry_delay(const struct target_process *tr, double since)
{
	if (!tr->discovery.expects)
		return 0.5;
	return since < 0.2 ? 0.002 : since < 1.0 ? 0.01 : 0.1;
}

/* Looks for tr's interpreter now and, until found, again and again for a while. */
static void start_discovery(struct process_tracker *t, struct target_process *tr)
{
	struct discovery *d = &tr->discovery;
	int err;

	if (!d->active)
		t->alive.discovering++;
	d->active = 1;
	d->from = clock__now_s();
	d->until = d->from + DISCOVERY_WINDOW_S;
	err = discover(t, tr, 0);
	if (d->active) {
		/* Mid-exec: whatever it becomes is mapped within milliseconds. */
		d->expects = err == -EAGAIN || py_symbols__expects_libpython(t->py, tr->pid);
		d->next_try = d->from + retry_delay(tr, 0);
	}
}

/* A process found running: its interpreter is there now or never, unless it is in the middle of an exec. */
static void discover_running(struct process_tracker *t, struct target_process *tr)
{
	if (discover(t, tr, 1) == -EAGAIN)
		start_discovery(t, tr);
}

int process_tracker__add_named(struct process_tracker *t, pid_t pid, int is_command)
{
	struct target_process *tr = live_get(t, pid);
	struct proc_stat st = {};
	int err;

	if (tr)
		return 0;
	/* Gone already (it was there when the command line was checked): its start stays unknown, its exit comes. */
	if (proc_stat__read(&st, pid) && t->opts->verbose)
		fprintf(stderr, "pyflame-bpf: PID %d: cannot read /proc/%d/stat\n", (int)pid, (int)pid);
	tr = tracked_new(t, pid, st.start_ticks, 1);
	if (!tr || !record_for(t, tr, is_command ? NULL : st.comm, 0)) {
		fprintf(stderr, "pyflame-bpf: cannot track PID %d: %s\n", (int)pid, strerror(ENOMEM));
		return -ENOMEM;
	}
	err = target_write(t, tr, 1);
	if (err) {
		fprintf(stderr, "pyflame-bpf: cannot register PID %d: %s\n", (int)pid, strerror(-err));
		return err;
	}
	if (is_command) {
		start_discovery(t, tr); /* not exec'd yet: its exec starts the search again */
		return 0;
	}
	/* Snapshot the maps now: a target that exits mid-run can still be symbolized. */
	snapshot_maps(t, tr, NULL);
	discover_running(t, tr);
	return 0;
}

/* A process already running when the run started (create: made a target now), or one whose samples arrive before
 * any event about it (the kernel made it a target; its event was lost): taken on, its interpreter found. */
static int take_on(struct process_tracker *t, const struct proc_stat *st, int create)
{
	struct target_process *tr = live_get(t, st->pid);
	struct pf_target cur;
	int err;

	if (tr)
		return 0;
	/* Not a target (any more): the kernel removed it since it took that sample. */
	if (!create && bpf_map_lookup_elem(t->targets_fd, &st->pid, &cur))
		return 1;
	tr = tracked_new(t, st->pid, st->start_ticks, 0);
	if (!tr || !record_for(t, tr, st->comm, 0))
		return -ENOMEM;
	err = target_write(t, tr, create);
	if (err) {
		tracked_drop(t, tr);
		t->stats.followed--;
		if (err == -E2BIG || err == -ENOMEM)
			t->stats.map_full++;
		return err == -E2BIG || err == -ENOMEM || err == -ENOENT ? 1 : err;
	}
	snapshot_maps(t, tr, NULL);
	discover_running(t, tr);
	return 0;
}

static int scan_one(void *ctx, const struct proc_stat *st)
{
	int err = take_on(ctx, st, 1);

	return err < 0 ? err : 0;
}

static int is_tracked(void *ctx, pid_t pid)
{
	return live_get(ctx, pid) != NULL;
}

int process_tracker__scan(struct process_tracker *t)
{
	const struct pf_options *o = t->opts;
	int err = 0;

	/* Twice: a process forked while the first pass ran, by one it had not taken yet, is found by the second. */
	for (int pass = 0; pass < 2 && !err; pass++) {
		if (o->scope.all)
			err = process_scope__scan_all(&o->scope.comm_glob, scan_one, t);
		else if (o->scope.cgroup)
			err = process_scope__scan_cgroup(o->scope.cgroup, &o->scope.comm_glob, scan_one, t);
		else if (o->scope.children)
			err = process_scope__scan_children(is_tracked, scan_one, t);
	}
	if (err)
		fprintf(stderr, "pyflame-bpf: cannot list the processes to profile: %s\n", strerror(-err));
	return err;
}

void process_tracker__started(struct process_tracker *t, double start)
{
	t->start = start;
	t->sweep.next = start + SWEEP_INTERVAL_S;
}

/* A target gone (exited, or out of scope): forgotten, its record marked with its exit time. */
static void gone(struct process_tracker *t, pid_t pid, uint64_t time_ns, int exited)
{
	struct target_process *tr = live_get(t, pid);

	if (exited)
		t->stats.exits++;
	else
		t->stats.left++;
	if (!tr)
		return;
	if (exited && tr->record && tr->record->exited_after < 0)
		tr->record->exited_after = time_ns / 1e9 - t->start;
	if (tr->discovery.active)
		t->stats.gone_undiscovered++;
	stop_discovery(t, tr);
	tracked_gone(t, tr);
}

static void on_fork(struct process_tracker *t, const struct pf_proc_event *ev)
{
	pid_t pid = (pid_t)ev->pid, ppid = (pid_t)ev->ppid;
	uint64_t start = proc_stat__ticks_from_ns(ev->start_ns);
	struct target_process *tr = live_get(t, pid), *parent = live_get(t, ppid);
	struct pf_py_proc proc;

	t->stats.forks++;
	if (tr && tr->start == start)
		return; /* the start-up scan took it on already */
	if (tr)
		gone(t, pid, ev->time_ns, 1); /* an earlier process with this PID whose exit event was lost */
	tr = tracked_new(t, pid, start, 0);
	if (!tr || !record_for(t, tr, ev->comm, 0))
		return;
	tr->bpf.flags = ev->flags;
	if (parent) {
		/* The kernel copied the parent's entry; if the parent's interpreter was found after the fork, it copied
		 * the native one: the child gets the parent's now. */
		if ((parent->bpf.flags & PF_TARGET_PYTHON) && !(ev->flags & PF_TARGET_PYTHON)) {
			int err;

			tr->bpf = parent->bpf;
			err = target_write(t, tr, 0);
			if (err && err != -ENOENT) /* -ENOENT: the child exited meanwhile */
				fprintf(stderr, "pyflame-bpf: PID %d: cannot register its inherited interpreter: %s\n",
					(int)pid, strerror(-err));
		} else {
			tr->bpf = parent->bpf;
		}
		target_process__set_parent(tr, parent);
	}
	snapshot_maps(t, tr, parent);
	if ((tr->bpf.flags & PF_TARGET_PYTHON) && !py_symbols__inherit(t->py, tr, &proc)) {
		tr->discovery.python = 1;
		tr->discovery.python_since_ns = clock__now_ns();
		t->stats.inherited++;
		set_python_name(tr);
	} else if (!parent || (tr->bpf.flags & PF_TARGET_PYTHON) || parent->discovery.active) {
		start_discovery(t, tr);
	}
}

/* A new program in pid: everything known of the old one is dropped, its interpreter (if any) looked for at once. */
static void on_exec(struct process_tracker *t, pid_t pid, uint64_t start, const char *comm, uint64_t time_ns)
{
	struct target_process *tr = live_get(t, pid);

	t->stats.execs++;
	if (tr)
		target_process__forget(tr);
	else
		tr = tracked_new(t, pid, start, 0); /* --all or --cgroup: in scope from its exec */
	if (!tr || !record_for(t, tr, comm, 1))
		return;
	memset(&tr->bpf, 0, sizeof(tr->bpf)); /* as the kernel reset it */
	tr->discovery.python = 0;
	tr->discovery.exec_ns = time_ns;
	start_discovery(t, tr);
}

static void on_enter(struct process_tracker *t, const struct pf_proc_event *ev)
{
	pid_t pid = (pid_t)ev->pid;
	uint64_t start = proc_stat__ticks_from_ns(ev->start_ns);
	struct target_process *tr = live_get(t, pid);

	t->stats.entered++;
	if (tr)
		return;
	tr = tracked_new(t, pid, start, 0);
	if (!tr || !record_for(t, tr, ev->comm, 0))
		return;
	snapshot_maps(t, tr, NULL);
	tr->discovery.exec_ns = ev->time_ns;
	start_discovery(t, tr);
}

int process_tracker__event(struct process_tracker *t, const struct pf_proc_event *ev)
{
	switch (ev->type) {
	case PF_PROC_FORK: on_fork(t, ev); break;
	case PF_PROC_EXEC:
		on_exec(t, (pid_t)ev->pid, proc_stat__ticks_from_ns(ev->start_ns), ev->comm, ev->time_ns);
		break;
	case PF_PROC_ENTER: on_enter(t, ev); break;
	case PF_PROC_LEAVE: gone(t, (pid_t)ev->pid, ev->time_ns, 0); break;
	case PF_PROC_EXIT: gone(t, (pid_t)ev->pid, ev->time_ns, 1); break;
	}
	return 0;
}

struct target_process *process_tracker__sample(struct process_tracker *t, const struct pf_sample *s)
{
	struct target_process *tr = process_tracker__find(t, (pid_t)s->tgid);
	struct proc_stat st;

	if (tr && tr->alive) {
		/* The kernel made it native again after we wrote its Python entry: an exec whose event was lost. An
		 * off-CPU interval is as its start found the entry: one begun before and ended after is no exec. */
		uint64_t seen_ns = s->time_ns - (s->flags & PF_SAMPLE_OFFCPU ? s->weight_ns : 0);

		if (tr->discovery.python && !(s->flags & PF_SAMPLE_PYTHON) && seen_ns > tr->discovery.python_since_ns)
			on_exec(t, tr->pid, tr->start, NULL, s->time_ns);
		return tr;
	}
	if (tr)
		return tr; /* taken while it exited, read after its exit event */
	if (!proc_stat__read(&st, (pid_t)s->tgid) && !take_on(t, &st, 0))
		t->stats.adopted++;
	return live_get(t, (pid_t)s->tgid);
}

int process_tracker__retry(struct process_tracker *t, int max_ms)
{
	double now = clock__now_s(), next = now + max_ms / 1e3;
	struct pf_hashmap_entry *e;
	size_t it = 0;

	if (!t->alive.discovering)
		return max_ms;
	while (pf_hashmap__next(&t->procs, &it, &e)) {
		struct target_process *tr = e->value;
		struct discovery *d = &tr->discovery;

		if (!d->active)
			continue;
		if (now >= d->next_try) {
			discover(t, tr, now >= d->until);
			d->next_try = now + retry_delay(tr, now - d->from);
		}
		if (d->active && d->next_try < next)
			next = d->next_try;
	}
	return next <= now ? 0 : (int)((next - now) * 1e3) + 1;
}

static void read_lifecycle_stats(struct process_tracker *t, uint64_t *out)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *vals;

	if (!t->skel || ncpus <= 0 || !(vals = calloc(ncpus, sizeof(*vals))))
		return;
	for (__u32 k = 0; k < PF_LC_STAT__COUNT; k++) {
		out[k] = 0;
		if (bpf_map__lookup_elem(t->skel->maps.lifecycle_stats, &k, sizeof(k), vals, ncpus * sizeof(*vals), 0))
			continue;
		for (int c = 0; c < ncpus; c++)
			out[k] += vals[c];
	}
	free(vals);
}

/* Events were lost: a target whose PID is gone or names another process exited without one. */
static void sweep(struct process_tracker *t)
{
	uint64_t lc[PF_LC_STAT__COUNT] = {};
	struct pf_hashmap_entry *e;
	pid_t *dead = NULL;
	size_t it = 0, n = 0;

	read_lifecycle_stats(t, lc);
	if (lc[PF_LC_STAT_EVENT_LOST] == t->sweep.lost_seen)
		return;
	t->sweep.lost_seen = lc[PF_LC_STAT_EVENT_LOST];
	dead = calloc(t->procs.len ? t->procs.len : 1, sizeof(*dead));
	if (!dead)
		return;
	while (pf_hashmap__next(&t->procs, &it, &e)) {
		struct target_process *tr = e->value;
		struct proc_stat st;

		if (tr->alive && (proc_stat__read(&st, tr->pid) || st.state == 'Z' || st.start_ticks != tr->start))
			dead[n++] = tr->pid;
	}
	for (size_t i = 0; i < n; i++)
		gone(t, dead[i], clock__now_ns(), 1);
	free(dead);
}

void process_tracker__tick(struct process_tracker *t)
{
	struct pf_hashmap_entry *e;
	size_t it = 0;

	/* A process whose code addresses get reused (code compiled and dropped at run time) has its frames tagged from
	 * now on: a tag costs more reads per frame, so only such processes pay it. */
	while (pf_hashmap__next(&t->procs, &it, &e)) {
		struct target_process *tr = e->value;

		if (!tr->alive || !tr->discovery.python || (tr->bpf.flags & PF_TARGET_CODE_TAGS) ||
		    !py_symbols__code_reused(tr))
			continue;
		tr->bpf.flags |= PF_TARGET_CODE_TAGS;
		if (!target_write(t, tr, 0) && t->opts->verbose)
			fprintf(stderr, "pyflame-bpf: PID %d re-uses code object addresses: tagging its frames\n",
				(int)tr->pid);
	}
	if (clock__now_s() >= t->sweep.next) {
		t->sweep.next = clock__now_s() + SWEEP_INTERVAL_S;
		sweep(t);
	}
}

size_t process_tracker__alive(const struct process_tracker *t)
{
	return t->alive.all;
}

size_t process_tracker__followed_alive(const struct process_tracker *t)
{
	return t->alive.followed;
}

void process_tracker__detach(struct process_tracker *t)
{
	if (!t->skel)
		return;
	lifecycle__detach(t->skel);
	read_lifecycle_stats(t, t->stats.lc);
}

void process_tracker__summary(const struct process_tracker *t, int verbose)
{
	const struct process_tracker_stats *st = &t->stats;
	struct py_symbols_stats py = {};

	if (st->followed || st->execs) {
		struct count_list how, then;
		char timed[128] = "";

		/* Only what happened, unless -v: `3 followed (3 forked), 3 exited`. */
		count_list__init(&how, verbose);
		count_list__add(&how, st->forks != 0, "%" PRIu64 " forked", st->forks);
		count_list__add(&how, st->execs != 0, "%" PRIu64 " exec'd", st->execs);
		count_list__add(&how, st->entered != 0, "%" PRIu64 " entered the cgroup", st->entered);
		count_list__add(&how, st->adopted != 0, "%" PRIu64 " found by their samples", st->adopted);
		count_list__init(&then, verbose);
		count_list__add(&then, st->exits != 0, "%" PRIu64 " exited", st->exits);
		count_list__add(&then, st->left != 0, "%" PRIu64 " left the scope", st->left);
		count_list__add(&then, st->pid_reuses != 0, "%" PRIu64 " PIDs reused", st->pid_reuses);
		fprintf(stderr, "pyflame-bpf: processes: %" PRIu64 " followed%s%s%s%s%s\n", st->followed,
			how.len ? " (" : "", how.text, how.len ? ")" : "", then.len ? ", " : "", then.text);

		if (st->discovery_timed)
			snprintf(timed, sizeof(timed),
				 " (%" PRIu64
				 " after an exec or a move into the cgroup: %.1f ms later on average, at most"
				 " %.1f ms)",
				 st->discovery_timed, st->discovery_ns / 1e6 / (double)st->discovery_timed,
				 st->discovery_max_ns / 1e6);
		if (verbose || st->inherited || st->discovered || st->not_python || st->gone_undiscovered)
			fprintf(stderr,
				"pyflame-bpf: interpreters: %" PRIu64 " inherited at fork, %" PRIu64
				" found%s, %" PRIu64 " processes without one, %" PRIu64
				" exited before it could be found\n",
				st->inherited, st->discovered, timed, st->not_python, st->gone_undiscovered);
		py_symbols__stats(t->py, &py);
		if (py.code_from_parent)
			fprintf(stderr,
				"pyflame-bpf: %" PRIu64 " code objects of forked children that exited first were "
				"named from their parent\n",
				py.code_from_parent);
	}
	if (st->lc[PF_LC_STAT_EVENT_LOST])
		fprintf(stderr,
			"pyflame-bpf: %" PRIu64 " process events lost (ring buffer full): caught up from samples "
			"and /proc; raise --buffer-size\n",
			st->lc[PF_LC_STAT_EVENT_LOST]);
	if (st->lc[PF_LC_STAT_MAP_FULL] + st->map_full)
		fprintf(stderr,
			"pyflame-bpf: %" PRIu64 " processes not profiled: the targets map was full "
			"(raise --max-processes)\n",
			st->lc[PF_LC_STAT_MAP_FULL] + st->map_full);
}

void process_tracker__free(struct process_tracker *t)
{
	struct pf_hashmap_entry *e;
	size_t it = 0;

	while (pf_hashmap__next(&t->procs, &it, &e))
		target_process__put(e->value);
	pf_hashmap__free(&t->procs);
	lifecycle__destroy(t->skel);
	t->skel = NULL;
}
