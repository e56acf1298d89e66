/* `dump` output: each thread of each process, what it waits for, its Python stack leaf first, native and kernel
 * frames after it; as text or one JSON document. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "hashmap.h"
#include "json.h"
#include "pyflame.h"
#include "python_frame_name.h"
#include "writer_dump.h"

static int thread_cmp(const void *a, const void *b)
{
	const struct dump_thread *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* The system call's name from the kernel frames of its entry (__x64_sys_NAME and the like), else NULL. */
static const char *syscall_name(const struct profile *p, const struct profile_stack *s, size_t *len)
{
	static const char *const entries[] = { "__x64_sys_", "__se_sys_", "__do_sys_", "__ia32_sys_" };

	for (uint32_t i = 0; s && i < s->nframes; i++) {
		const struct profile_frame *f = &p->frames[s->frames[i]];

		for (size_t k = 0; f->kind == FRAME_KERNEL && k < sizeof(entries) / sizeof(entries[0]); k++)
			if (!strncmp(f->name, entries[k], strlen(entries[k]))) {
				*len = strcspn(f->name + strlen(entries[k]), ".");
				return f->name + strlen(entries[k]);
			}
	}
	return NULL;
}

/* What the thread was doing: running, waiting for the GIL, or sleeping (in which system call). */
static void state_text(char *buf, size_t size, const struct profile *p, const struct profile_stack *s,
		       const struct dump_thread *t, const char **state)
{
	size_t len = 0;
	const char *name = syscall_name(p, s, &len);

	buf[0] = '\0';
	if (t->flags & PF_SAMPLE_RUNNING) {
		*state = "running";
	} else if (t->flags & PF_SAMPLE_GIL_WAIT) {
		*state = "waiting for the GIL";
	} else {
		*state = "sleeping";
		if (name)
			snprintf(buf, size, "%.*s", (int)len, name);
		else if (t->syscall >= 0)
			snprintf(buf, size, "syscall %" PRId64, t->syscall);
	}
}

/* Index of the first frame that is not Python (the native leaf, then the kernel's), in a root-first stack. */
static uint32_t python_end(const struct profile *p, const struct profile_stack *s)
{
	uint32_t i = 0;

	while (s && i < s->nframes &&
	       (p->frames[s->frames[i]].kind == FRAME_PYTHON ||
		(p->frames[s->frames[i]].kind == FRAME_MARKER && i + 1 < s->nframes &&
		 p->frames[s->frames[i + 1]].kind == FRAME_PYTHON)))
		i++;
	return i;
}

/* One thread as it is shown: its stack (root first, NULL if none), where its Python frames end, its state. */
struct shown {
	const struct profile_stack *s;
	uint32_t py;
	const char *name, *state;
	char call[64];
};

static void text_thread(FILE *out, const struct profile *p, const struct shown *sh, const struct dump_thread *t,
			int no_kernel)
{
	const struct profile_stack *s = sh->s;
	uint32_t py = sh->py, i;
	int kernel = 0;

	fprintf(out, "Thread %" PRIu32 " \"%s\" (%s%s%s)\n", t->tid, sh->name, sh->state, sh->call[0] ? " in " : "",
		sh->call);
	for (i = py; i > 0; i--)
		fprintf(out, "    %s\n", p->frames[s->frames[i - 1]].name);
	for (i = py; s && i < s->nframes; i++) {
		const struct profile_frame *f = &p->frames[s->frames[i]];

		if (f->kind == FRAME_KERNEL)
			kernel = 1;
		else
			fprintf(out, "  native: %s\n", f->name);
	}
	if (kernel && !no_kernel) {
		const char *sep = "  kernel: ";

		/* Leaf first, each called by the next. */
		for (i = s->nframes; i > py; i--)
			if (p->frames[s->frames[i - 1]].kind == FRAME_KERNEL) {
				fprintf(out, "%s%s", sep, p->frames[s->frames[i - 1]].name);
				sep = " < ";
			}
		fputc('\n', out);
	}
}

static void json_python_frame(FILE *out, const char *frame)
{
	const char *file;
	size_t name_len, file_len;
	long line;

	fputs("{\"function\":\"", out);
	if (py_frame_name__split(frame, &name_len, &file, &file_len, &line)) {
		json__chars(out, frame, name_len);
		fputs("\",\"file\":\"", out);
		json__chars(out, file, file_len);
		fputc('"', out);
		if (line >= 0)
			fprintf(out, ",\"line\":%ld", line);
	} else {
		json__chars(out, frame, strlen(frame));
		fputc('"', out);
	}
	fputc('}', out);
}

static void json_thread(FILE *out, const struct profile *p, const struct shown *sh, const struct dump_thread *t,
			int no_kernel)
{
	const struct profile_stack *s = sh->s;
	uint32_t py = sh->py, i;
	int first = 1;

	fprintf(out, "{\"tid\":%" PRIu32 ",\"name\":", t->tid);
	json__string(out, sh->name);
	fprintf(out, ",\"state\":\"%s\",\"syscall\":", sh->state);
	if (sh->call[0])
		json__string(out, sh->call);
	else
		fputs("null", out);
	fputs(",\"python\":[", out);
	for (i = py; i > 0; i--) {
		fputs(i < py ? "," : "", out);
		json_python_frame(out, p->frames[s->frames[i - 1]].name);
	}
	fputs("],\"native\":[", out);
	for (i = py; s && i < s->nframes; i++)
		if (p->frames[s->frames[i]].kind != FRAME_KERNEL) {
			fputs(first ? "" : ",", out);
			json__string(out, p->frames[s->frames[i]].name);
			first = 0;
		}
	fputs("],\"kernel\":[", out);
	first = 1;
	for (i = s ? s->nframes : 0; !no_kernel && i > py; i--)
		if (p->frames[s->frames[i - 1]].kind == FRAME_KERNEL) {
			fputs(first ? "" : ",", out);
			json__string(out, p->frames[s->frames[i - 1]].name);
			first = 0;
		}
	fputs("]}", out);
}

/* The process header, once per PID: its name and interpreter. */
static void process_start(FILE *out, const struct profile_process *proc, uint32_t pid, int json, int first)
{
	const char *comm = proc && proc->comm[0] ? proc->comm : "?";

	if (!json) {
		fprintf(out, "%sProcess %" PRIu32 ": %s (%s%s)\n", first ? "" : "\n", pid, comm,
			proc && proc->python ? "CPython " : "no Python frames",
			proc && proc->python ? proc->python : "");
		return;
	}
	fprintf(out, "%s{\"pid\":%" PRIu32 ",\"name\":", first ? "" : "]},\n", pid);
	json__string(out, comm);
	fputs(",\"python\":", out);
	if (proc && proc->python)
		json__string(out, proc->python);
	else
		fputs("null", out);
	fputs(",\"threads\":[", out);
}

int dump__write(const struct profile *p, struct dump_thread *threads, size_t n, int json, int no_kernel, FILE *out)
{
	struct pf_hashmap stacks; /* (process key, tid) -> its stack */

	pf_hashmap__init(&stacks);
	for (size_t i = 0; i < p->nstacks; i++) {
		uint32_t key[2] = { p->stacks[i]->tgid, p->stacks[i]->tid };

		if (pf_hashmap__set(&stacks, key, sizeof(key), p->stacks[i])) {
			pf_hashmap__free(&stacks);
			return -ENOMEM;
		}
	}
	qsort(threads, n, sizeof(*threads), thread_cmp);
	if (json)
		fputs("{\"processes\":[", out);
	for (size_t i = 0; i < n; i++) {
		const struct dump_thread *t = &threads[i];
		const struct profile_process *proc = profile__process_by_key(p, t->pid);
		const struct profile_thread *th = proc ? profile__find_thread(p, proc->key, t->tid) : NULL;
		uint32_t key[2] = { proc ? proc->key : t->pid, t->tid };
		struct shown sh = { .s = pf_hashmap__get(&stacks, key, sizeof(key)),
				    .name = profile_thread__label(th) };

		sh.py = python_end(p, sh.s);
		state_text(sh.call, sizeof(sh.call), p, sh.s, t, &sh.state);
		if (!i || t->pid != threads[i - 1].pid)
			process_start(out, proc, t->pid, json, !i);
		else if (json)
			fputc(',', out);
		if (json)
			json_thread(out, p, &sh, t, no_kernel);
		else
			text_thread(out, p, &sh, t, no_kernel);
	}
	if (json)
		fputs(n ? "]}]}\n" : "]}\n", out);
	pf_hashmap__free(&stacks);
	return ferror(out) ? -EIO : 0;
}
