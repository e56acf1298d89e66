/* One target's CPython interpreter: where it lives, which version and layout, how its file names are shortened. */
#ifndef PYTHON_PROCESS_H
#define PYTHON_PROCESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "elf_cache.h"
#include "mem_segments.h"
#include "python_objects.h"
#include "python_offsets.h"

/* The types a code object, its names and its line table must have: the sampler's copies are checked against them. */
struct py_types {
	uint64_t code;	/* &PyCode_Type, from its exported symbol or the first code object that checks out */
	uint64_t str;	/* &PyUnicode_Type (2.7: &PyString_Type), found the same way */
	uint64_t bytes; /* &PyBytes_Type (3.x line tables) */
};

/* The interpreter's file (executable or libpython), as the kernel knows it. */
struct py_file {
	unsigned dev_major, dev_minor;
	uint64_t inode;
};

struct py_process {
	pid_t pid;
	struct py_offsets off;
	char version[16];	   /* "3.12" */
	uint64_t interp_head_addr; /* address of the PyInterpreterState* head */
	uint64_t none_addr;	   /* &_Py_NoneStruct */
	uint64_t gil_addr;	   /* the main interpreter's struct _gil_runtime_state, 0 if unknown */
	uint64_t shim_code;	   /* 3.13+: &_Py_InitCleanup, the interpreter's own `__init__` shim frame, or 0 */
	struct py_types types;
	struct py_file file;
	char *stdlib_dir;		/* ".../lib/python3.12/" */
	char *script_dir;		/* absolute directory of the main script, with '/', or NULL */
	int code_reused;		/* a code address was seen reused: its frames need tags */
	char *script_dir_given;		/* the same as given on the command line when relative (co_filename < 3.9) */
	const struct mem_segments *mem; /* while naming from a sampler's copy: reads come from it, not the process */
	const struct py_objects *objs;	/* where its objects keep their parts (thread names), NULL if unknown */
};

/* Finds pid's interpreter; 0, or -ENOENT (not Python), -ENOTSUP (a Python we cannot read), -ESRCH (gone), -EAGAIN
 * (mid-exec: it maps nothing yet, look again); why says it. */
int py_process__discover(struct py_process *py, pid_t pid, struct elf_cache *elves, char *why, size_t why_size);
void py_process__free(struct py_process *py);
/* Reads the target's memory: the process's own, or while naming from a sampler's copy, the copy's. */
int py_process__read(const struct py_process *py, uint64_t addr, void *buf, size_t size);
/* Whether pid's executable links a libpython (DT_NEEDED): its interpreter shows up once ld.so mapped it. */
int py_process__links_libpython(pid_t pid, struct elf_cache *elves);
/* A file name as shown: relative to its sys.path root (site-packages, the stdlib, the script's directory). */
const char *py_process__short_filename(const struct py_process *py, const char *file);
/* Python version from the exported symbols of an interpreter without Py_Version (< 3.11): major << 8 | minor, 0 if none
 * fit. */
unsigned py_version__from_symbols(int (*has)(void *ctx, const char *sym), void *ctx);

#endif
