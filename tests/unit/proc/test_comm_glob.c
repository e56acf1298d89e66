/* Tests for comm_glob: the compiled --comm pattern matches process names exactly as fnmatch(3) does. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "comm_glob.h"

static struct pf_glob glob;
static char why[128];

static int matches(const char *pattern, const char *comm)
{
	cr_assert_eq(comm_glob__compile(&glob, pattern, why, sizeof(why)), 0, "%s: %s", pattern, why);
	return comm_glob__match(&glob, comm);
}

Test(comm_glob, literal_star_and_question_mark)
{
	cr_expect(matches("python3.12", "python3.12"));
	cr_expect_not(matches("python3.12", "python3.1"));
	cr_expect(matches("python*", "python3.12"));
	cr_expect(matches("python*", "python"));
	cr_expect_not(matches("python*", "ipython"));
	cr_expect(matches("*thon*", "ipython3"));
	cr_expect(matches("py?hon", "python"));
	cr_expect_not(matches("py?hon", "pyhon"));
	cr_expect(matches("*", "x"));
	cr_expect(matches("a*b*c", "aXXbYYc"));
	cr_expect_not(matches("a*b*c", "aXXbYYcd"));
}

Test(comm_glob, bracket_expressions)
{
	cr_expect(matches("python3.1[12]", "python3.11"));
	cr_expect_not(matches("python3.1[12]", "python3.13"));
	cr_expect(matches("w[a-c]", "wb"));
	cr_expect(matches("w[!a-c]", "wd"));
	cr_expect_not(matches("w[^a-c]", "wa"));
	cr_expect(matches("[]x]", "]"));
	cr_expect(matches("[a-]", "-"));
	cr_expect(matches("[", "["), "a [ without ] is a literal");
	cr_expect(matches("*[", "ab["));
}

Test(comm_glob, escapes_make_metacharacters_literal)
{
	cr_expect(matches("a\\*", "a*"));
	cr_expect_not(matches("a\\*", "ab"));
	cr_expect(matches("[a\\-c]", "-"));
	cr_expect_not(matches("[a\\-c]", "b"));
}

Test(comm_glob, a_name_longer_than_the_kernel_keeps_is_matched_on_its_first_15_characters)
{
	cr_expect(matches("gunicorn: worke*", "gunicorn: worker [app]"));
	cr_expect_not(matches("*app]", "gunicorn: worker [app]"));
}

Test(comm_glob, refused_patterns_say_why)
{
	const char *bad[] = { "",	 "a\\",
			      "[b-a]",	 "[[:alpha:]]",
			      "[[=a=]]", "abcdefghijklmnopqrstuvwxyzabcdefg" /* 33 elements */ };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		cr_expect_eq(comm_glob__compile(&glob, bad[i], why, sizeof(why)), -EINVAL, "%s", bad[i]);
		cr_expect_neq(why[0], '\0', "no reason for %s", bad[i]);
	}
}

Test(comm_glob, no_pattern_matches_every_name)
{
	memset(&glob, 0, sizeof(glob));
	cr_expect(comm_glob__match(&glob, "anything"));
}

Test(comm_glob, long_runs_of_stars_fit_the_step_budget)
{
	/* The worst case for backtracking: many stars, a name that almost matches. */
	cr_expect_not(matches("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaa"));
	cr_expect(matches("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*", "aaaaaaaaaaaaaaa"));
}

/* Every pattern and name drawn from a small alphabet full of metacharacters: our answer is fnmatch's. */
Test(comm_glob, agrees_with_fnmatch_on_random_patterns)
{
	static const char pat_alpha[] = "ab-*?[]!^\\";
	static const char str_alpha[] = "ab-[]!^\\*?";
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned compared = 0;

	for (int n = 0; n < 200000; n++) {
		char pattern[12], comm[8];
		int plen, slen;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		plen = 1 + (int)(x % 9);
		slen = (int)((x >> 8) % 7);
		for (int i = 0; i < plen; i++)
			pattern[i] = pat_alpha[(x >> (16 + 3 * i)) % (sizeof(pat_alpha) - 1)];
		pattern[plen] = '\0';
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		for (int i = 0; i < slen; i++)
			comm[i] = str_alpha[(x >> (4 * i)) % (sizeof(str_alpha) - 1)];
		comm[slen] = '\0';
		if (!slen)
			continue; /* process names are never empty */
		if (comm_glob__compile(&glob, pattern, why, sizeof(why)))
			continue;
		compared++;
		cr_assert_eq(comm_glob__match(&glob, comm), fnmatch(pattern, comm, 0) == 0, "pattern '%s' name '%s'",
			     pattern, comm);
	}
	cr_expect_gt(compared, 100000, "too many patterns refused: %u compared", compared);
}
