/* Python support in userspace: finds each target's interpreter and names the code objects its samples point at. */
#ifndef PYTHON_SYMBOLS_H
#define PYTHON_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "elf_cache.h"
#include "profile.h"
#include "proc_maps.h"
#include "pyflame.h"
#include "target_process.h"

struct py_symbols;

struct py_symbols_options {
	int full_filenames; /* show files by full path */
	int function;	    /* one frame per function (first line), not per line */
};

struct py_symbols *py_symbols__new(struct elf_cache *elves, const struct py_symbols_options *opts);
void py_symbols__free(struct py_symbols *py);
/*
 * Finds t's CPython interpreter (t->py) and fills the BPF map value for it.
 * 0 found; -ENOENT not a Python process (yet: a command may not have exec'd); -ENOTSUP a Python we cannot read;
 * -ESRCH gone; -EAGAIN mid-exec (nothing mapped yet).
 * On failure why holds one human sentence.
 */
int py_symbols__discover(struct py_symbols *py, struct target_process *t, struct pf_py_proc *out, char *why,
			 size_t why_size);
/*
 * A process forked from the Python process child->parent: the same interpreter at the same addresses, so no
 * discovery; its code objects are named from the parent's where they are still the ones it inherited, and from the
 * parent's memory once the child is gone. Fills the BPF map value. -ENOENT when the parent is not known as Python.
 */
int py_symbols__inherit(struct py_symbols *py, struct target_process *child, struct pf_py_proc *out);
/* Whether pid's executable links a libpython: an interpreter not found yet is due within milliseconds. */
int py_symbols__expects_libpython(struct py_symbols *py, pid_t pid);
/* The name Python gave thread tid of t (ident: the sample's py_thread), NULL when none (python_threads.h). */
const char *py_symbols__thread_name(struct target_process *t, uint32_t tid, uint64_t ident, uint64_t now_ns);
/* "3.12" for a target whose interpreter is known, else NULL. */
const char *py_symbols__version(const struct target_process *t);
/* Whether a mapping of t belongs to its interpreter (executable or libpython). */
int py_symbols__in_interpreter(const struct target_process *t, const struct proc_map *map);
/*
 * The profile frame for a streamed Python frame of target t (NULL: unknown). tagged: the frame carries its code
 * object's tag, so a code object freed before this drain is shown as [freed code object], never under another
 * object's name. -ENOENT: the frame is interpreter machinery (3.13's __init__ shim), to be left out.
 */
int64_t py_symbols__frame(struct py_symbols *py, struct profile *p, struct target_process *t,
			  const struct pf_py_frame *f, int tagged);
/*
 * The sampler's copy of a code object, sent before the first samples that show it: named from the copy, so that
 * it keeps its name when the process exits before the samples are read. 0 when it is named (from the copy or
 * before), else -errno: -ENOMEM when it could not be kept.
 */
int py_symbols__code_copy(struct py_symbols *py, struct target_process *t, const struct pf_code_record *r);
/* Whether untagged samples of t have shown a code address re-used by another object (then tag its frames). */
int py_symbols__code_reused(const struct target_process *t);
/* Called before each drain: code objects are re-checked once per drain, so a reused address gets its new name. */
void py_symbols__begin_drain(struct py_symbols *py);
/* A target's interpreter and code objects, freed by target_process__forget(). */
void py_target__free(struct py_target *pt);
/* Counters for the summary. */
struct py_symbols_stats {
	uint64_t code_objects;	   /* distinct code objects named */
	uint64_t code_reused;	   /* addresses found to hold a different code object than before */
	uint64_t code_gone;	   /* tagged frames whose code object was freed before it could be named */
	uint64_t read_errors;	   /* code objects that could not be read */
	uint64_t code_from_parent; /* code objects of forked children that exited before they were read, named from
				    * the parent */
	uint64_t code_copied;	   /* of the code objects named, those named from the sampler's copy */
	uint64_t copy_errors;	   /* copies that could not be read (malformed, or too long a name) */
};
void py_symbols__stats(const struct py_symbols *py, struct py_symbols_stats *out);

#endif
