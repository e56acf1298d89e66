/* Tells ring-buffer records apart by the kind each starts with (include/pyflame.h), checking its size. */
#ifndef RECORD_H
#define RECORD_H

#include <stddef.h>
#include "lifecycle.h"
#include "pyflame.h"

/* The record's kind when it is long enough for one, else 0 (malformed: the collector counts it). */
static inline unsigned int record__kind(const void *data, size_t size)
{
	unsigned int kind;

	if (size < sizeof(kind))
		return 0;
	kind = *(const unsigned int *)data;
	if (kind == PF_REC_SAMPLE && size >= sizeof(struct pf_sample))
		return kind;
	if (kind == PF_REC_PROC_EVENT && size == sizeof(struct pf_proc_event))
		return kind;
	if (kind == PF_REC_CODE && size >= sizeof(struct pf_code_record) &&
	    ((const struct pf_code_record *)data)->size <= size - sizeof(struct pf_code_record))
		return kind;
	return 0;
}

#endif
