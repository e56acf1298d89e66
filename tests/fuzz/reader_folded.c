/*
 * Fuzzes the folded-stack reader (user/output/reader_folded.c) with the bytes of a saved profile, plain or zstd, then
 * does with what it read what `report` and `diff` do: builds the views and writes every output format (to /dev/null).
 * The corpus holds profiles written by pyflame-bpf itself (scripts/gen-fuzz-corpus.py).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "fuzz_input.h"
#include "profile_view.h"
#include "reader_folded.h"
#include "writer_folded.h"
#include "writer_pprof.h"
#include "writer_speedscope.h"
#include "writer_svg.h"

/* The other side of the diffs: a small recorded profile. */
static const char other[] = "python3 (12);main (app.py:9);work (app.py:4) 30\n"
			    "python3 (12);main (app.py:9);idle (app.py:6);do_syscall_64_[k] 10\n"
			    "python3 (12);[unknown] 2\n";

static FILE *sink;
static struct profile other_profile;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *f = fmemopen((void *)other, sizeof(other) - 1, "r");

	(void)argc;
	(void)argv;
	sink = fopen("/dev/null", "w");
	profile__init(&other_profile);
	if (!sink || !f || folded__read_file(&other_profile, f, "other"))
		abort();
	fclose(f);
	return 0;
}

/* Writes the view in every format, as `report` would. */
static void write_all(const struct profile_view *v)
{
	struct svg_options svg = { .title = "fuzz" }, icicle = { .inverted = 1 };

	folded__write(v, sink, NULL);
	svg__write(v, &svg, sink);
	svg__write(v, &icicle, sink);
	pprof__write(v, 1e9 / 99, sink);
	speedscope__write(v, NULL, 0, sink);
	speedscope__write(v, "fuzz", 1.0 / 99, sink);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct view_options vo = { 0 };
	FILE *f = fuzz_input__open(data, size);
	struct profile_view v;
	struct profile p;

	if (!f)
		return 0;
	profile__init(&p);
	if (!folded__read_file(&p, f, "fuzz")) {
		if (!profile_view__build(&v, &p, &vo)) {
			write_all(&v);
			profile_view__free(&v);
		}
		if (!profile_view__diff(&v, &other_profile, &p, &vo)) {
			folded__write(&v, sink, NULL);
			svg__write(&v, NULL, sink);
			profile_view__free(&v);
		}
		if (!profile_view__diff(&v, &p, &other_profile, &vo)) {
			folded__write(&v, sink, NULL);
			svg__write(&v, NULL, sink);
			profile_view__free(&v);
		}
	}
	profile__free(&p);
	fclose(f);
	return 0;
}
