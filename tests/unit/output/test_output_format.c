/* Tests for output_format: the format a --format name or an -o suffix asks for, and the suffixes refused. */
#include <criterion/criterion.h>

#include "output_format.h"

static enum output_format by_name(const char *path, int *zst)
{
	return output_format__from_path(path, zst);
}

Test(output_format, known_suffixes_pick_their_format)
{
	int zst;

	cr_expect_eq(by_name("out.folded", &zst), FORMAT_FOLDED);
	cr_expect_eq(by_name("out.svg", &zst), FORMAT_SVG);
	cr_expect_eq(by_name("out.pb.gz", &zst), FORMAT_PPROF);
	cr_expect_eq(by_name("out.speedscope.json", &zst), FORMAT_SPEEDSCOPE);
	cr_expect_not(zst);
}

Test(output_format, json_is_speedscope_and_pprof_and_pb_are_pprof)
{
	int zst;

	cr_expect_eq(by_name("profile.json", &zst), FORMAT_SPEEDSCOPE);
	cr_expect_eq(by_name("x.pprof", &zst), FORMAT_PPROF);
	cr_expect_eq(by_name("x.pprof.gz", &zst), FORMAT_PPROF);
	cr_expect_eq(by_name("x.pb", &zst), FORMAT_PPROF);
}

Test(output_format, suffixes_match_ignoring_case)
{
	int zst;

	cr_expect_eq(by_name("x.SVG", &zst), FORMAT_SVG);
	cr_expect_eq(by_name("dir/X.Pb.Gz", &zst), FORMAT_PPROF);
	cr_expect_eq(by_name("x.JSON", &zst), FORMAT_SPEEDSCOPE);
	cr_expect_eq(by_name("x.Folded.ZST", &zst), FORMAT_FOLDED);
	cr_expect(zst);
}

Test(output_format, zst_suffix_compresses_the_format_before_it)
{
	int zst;

	cr_expect_eq(by_name("x.svg.zst", &zst), FORMAT_SVG);
	cr_expect(zst);
	cr_expect_eq(by_name("x.zst", &zst), FORMAT_FOLDED, "nothing before .zst: folded");
	cr_expect(zst);
}

Test(output_format, no_suffix_or_no_path_is_folded)
{
	int zst;

	cr_expect_eq(by_name(NULL, &zst), FORMAT_FOLDED);
	cr_expect_not(zst);
	cr_expect_eq(by_name("/dev/stdout", &zst), FORMAT_FOLDED);
	cr_expect_eq(by_name("out", &zst), FORMAT_FOLDED);
	cr_expect_eq(by_name("some.dir/out", &zst), FORMAT_FOLDED, "a dot in a directory name is no suffix");
	cr_expect_eq(by_name(".profile", &zst), FORMAT_FOLDED, "a hidden file's leading dot is no suffix");
}

Test(output_format, unknown_suffixes_name_no_format)
{
	int zst;

	cr_expect_eq(by_name("x.txt", &zst), FORMAT_AUTO);
	cr_expect_eq(by_name("x.html", &zst), FORMAT_AUTO);
	cr_expect_eq(by_name("x.gz", &zst), FORMAT_AUTO);
	cr_expect_eq(by_name("x.txt.zst", &zst), FORMAT_AUTO);
	cr_expect_eq(by_name("x.svgz", &zst), FORMAT_AUTO);
}

Test(output_format, format_names_and_py_spy_aliases_parse)
{
	cr_expect_eq(output_format__parse("folded"), FORMAT_FOLDED);
	cr_expect_eq(output_format__parse("raw"), FORMAT_FOLDED);
	cr_expect_eq(output_format__parse("svg"), FORMAT_SVG);
	cr_expect_eq(output_format__parse("flamegraph"), FORMAT_SVG);
	cr_expect_eq(output_format__parse("pprof"), FORMAT_PPROF);
	cr_expect_eq(output_format__parse("speedscope"), FORMAT_SPEEDSCOPE);
	cr_expect_eq(output_format__parse("SVG"), FORMAT_AUTO, "format names are exact");
	cr_expect_eq(output_format__parse("json"), FORMAT_AUTO);
}
