/* --comm patterns: compiled into the table BPF and userspace match process names with (include/glob_match.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "glob_match.h"
#include "comm_glob.h"

static void set_bit(__u8 *set, unsigned char c)
{
	set[c >> 3] |= (__u8)(1u << (c & 7));
}

/* One character of a pattern, honouring a `\` escape; advances *i past it. -1 for a trailing `\`. */
static int pattern_char(const char *pat, size_t *i)
{
	if (pat[*i] == '\\')
		(*i)++;
	if (!pat[*i])
		return -1;
	return (unsigned char)pat[(*i)++];
}

/*
 * A bracket expression starting at pat[*i] == '['. Returns 1 and fills set (advancing *i past the `]`), 0 when
 * there is no closing `]` (then the `[` is a literal, as fnmatch has it), -EINVAL for what we refuse.
 */
static int bracket(const char *pat, size_t *i, __u8 *set, char *why, size_t why_size)
{
	size_t j = *i + 1;
	int negate = 0, first = 1;
	__u8 chosen[32] = {};

	if (pat[j] == '!' || pat[j] == '^') {
		negate = 1;
		j++;
	}
	while (pat[j] && (first || pat[j] != ']')) {
		int lo, hi;

		if (pat[j] == '[' && (pat[j + 1] == ':' || pat[j + 1] == '=' || pat[j + 1] == '.')) {
			snprintf(why, why_size, "character classes such as [:alpha:] are not supported");
			return -EINVAL;
		}
		first = 0;
		lo = pattern_char(pat, &j);
		if (lo < 0)
			return 0;
		hi = lo;
		/* `x-y` is a range unless the `-` is the last character before `]`. */
		if (pat[j] == '-' && pat[j + 1] && pat[j + 1] != ']') {
			size_t k = j + 1;

			hi = pattern_char(pat, &k);
			if (hi < 0)
				return 0;
			if (hi < lo) {
				snprintf(why, why_size, "the range %c-%c is reversed", lo, hi);
				return -EINVAL;
			}
			j = k;
		}
		for (int c = lo; c <= hi; c++)
			set_bit(chosen, (unsigned char)c);
	}
	if (pat[j] != ']')
		return 0;
	for (int c = 1; c < 256; c++)
		if (((chosen[c >> 3] >> (c & 7)) & 1) != negate)
			set_bit(set, (unsigned char)c);
	*i = j + 1;
	return 1;
}

int comm_glob__compile(struct pf_glob *g, const char *pattern, char *why, size_t why_size)
{
	size_t i = 0;

	memset(g, 0, sizeof(*g));
	if (!*pattern) {
		snprintf(why, why_size, "the pattern is empty");
		return -EINVAL;
	}
	while (pattern[i]) {
		int star = pattern[i] == '*', c, err;
		__u8 *set;

		if (star && g->ntokens && g->star[g->ntokens - 1]) {
			i++; /* `**` is `*` */
			continue;
		}
		if (g->ntokens == PF_GLOB_MAX_TOKENS) {
			snprintf(why, why_size, "more than %d pattern elements", PF_GLOB_MAX_TOKENS);
			return -EINVAL;
		}
		set = g->set[g->ntokens];
		if (star) {
			g->star[g->ntokens] = 1;
			i++;
		} else if (pattern[i] == '?') {
			for (c = 1; c < 256; c++)
				set_bit(set, (unsigned char)c);
			i++;
		} else if (pattern[i] == '[' && (err = bracket(pattern, &i, set, why, why_size)) != 0) {
			if (err < 0)
				return err;
		} else {
			c = pattern_char(pattern, &i);
			if (c < 0) {
				snprintf(why, why_size, "it ends with a lone backslash");
				return -EINVAL;
			}
			set_bit(set, (unsigned char)c);
		}
		g->ntokens++;
	}
	g->active = 1;
	return 0;
}

int comm_glob__match(const struct pf_glob *g, const char *comm)
{
	struct pf_glob_state st;

	if (!g->active)
		return 1;
	memset(&st, 0, sizeof(st));
	strncpy(st.s, comm, sizeof(st.s) - 1);
	pf_glob_start(&st);
	for (int n = 0; n < PF_GLOB_MAX_STEPS; n++)
		if (pf_glob_step(&st, g))
			return st.result;
	return 0;
}
