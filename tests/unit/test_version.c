/* Tests for version: what --version says of this build. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "python_offsets.h"
#include "version.h"

Test(version, three_lines_version_commit_linkage_libraries_and_pythons)
{
	char text[1024] = "", supported[128], want[160];
	const char *second, *third;
	FILE *f = fmemopen(text, sizeof(text) - 1, "w");

	cr_assert_not_null(f);
	version__print(f);
	fclose(f);
	second = strchr(text, '\n');
	third = second ? strchr(second + 1, '\n') : NULL;
	cr_assert_not_null(third, "%s", text);
	cr_expect_eq(strncmp(text, "pyflame-bpf ", 12), 0, "%s", text);
	cr_expect_not_null(strstr(text, " (commit "), "%s", text);
	/* This test binary links libbpf and libdw as shared libraries. */
	cr_expect_not_null(strstr(text, ", linked dynamically)\n"), "%s", text);
	cr_expect_eq(strncmp(second + 1, "built with libbpf ", 18), 0, "%s", text);
	cr_expect_not_null(strstr(second, " and libdw "), "%s", text);
	py_offsets__supported(supported, sizeof(supported));
	snprintf(want, sizeof(want), "CPython %s\n", supported);
	cr_expect_str_eq(third + 1, want);
}
