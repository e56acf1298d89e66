/* CPython code objects read from a target's memory: qualified name, file, first line, line table. */
#ifndef PYTHON_CODE_H
#define PYTHON_CODE_H

#include <stddef.h>
#include <stdint.h>
#include "mem_segments.h"
#include "python_process.h"

#define PY_CODE_FINGERPRINT 5

struct py_code {
	char *name; /* co_qualname (3.11+) or co_name */
	char *file; /* co_filename as the interpreter has it */
	int firstlineno;
	uint8_t *linetable;
	size_t linetable_len;
	/* The code object's field values: a different object at the same address differs here. */
	uint64_t fingerprint[PY_CODE_FINGERPRINT];
	uint32_t tag;	    /* pf_code_tag() of its tag bytes and name hash, as BPF computes it */
	uint32_t words_tag; /* pf_code_tag() of its tag bytes alone */
};

/* Reads the code object at addr; -EINVAL when it is not a code object, -errno when unreadable. */
int py_code__read(struct py_code **out, struct py_process *py, uint64_t addr);
/* The same, from the sampler's copy of it (struct pf_code_record) rather than from the process. */
int py_code__read_copy(struct py_code **out, struct py_process *py, const struct mem_segments *copy, uint64_t addr);
/* Whether a and b were read from the same code object (the same fields, name and file). */
int py_code__same(const struct py_code *a, const struct py_code *b);
/* Completes o's BPF layout with what the sampler copies of a code object (o->layout.copy). */
void py_code__copy_layout(struct py_offsets *o);
/*
 * Is the object at addr still the code object c was read from? One read of its header and of the start of its
 * name: 1 yes, 0 another object now lives there (its address was reused), -errno unreadable (process gone).
 */
int py_code__still(struct py_process *py, uint64_t addr, const struct py_code *c);
/* Source line of instruction `instr` as the sampler reported it (f_lasti, or the code-unit index on 3.11+). */
int py_code__line(const struct py_code *c, const struct py_process *py, int32_t instr);
void py_code__free(struct py_code *c);
/* The tag of whatever code object lives at addr now (one read). */
int py_code__tag_now(struct py_process *py, uint64_t addr, uint32_t *tag);
/* Decodes a CPython str object (or a 2.7 str) at addr into a new UTF-8 string. */
int py_string__read(struct py_process *py, uint64_t addr, char **out);

#endif
