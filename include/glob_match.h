/* A --comm shell pattern compiled for BPF and userspace alike: the same table and the same matching step on both
 * sides, so the kernel's decision at exec and userspace's at start-up cannot disagree. */
#ifndef GLOB_MATCH_H
#define GLOB_MATCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PF_GLOB_MAX_TOKENS 32 /* power of two; a process name has at most 15 characters */
#define PF_GLOB_COMM_LEN 16   /* TASK_COMM_LEN: 15 characters and a NUL */
/* Steps pf_glob_step needs at most: each backtrack to the last star restarts at a later character. */
#define PF_GLOB_MAX_STEPS ((PF_GLOB_COMM_LEN + 1) * (PF_GLOB_MAX_TOKENS + 1) + PF_GLOB_MAX_TOKENS)

/* One token per pattern element: a star (any run of characters), or the set of characters one position accepts
 * (a literal, `?`, or a bracket expression). */
struct pf_glob {
	__u32 active; /* 0: no pattern, every name matches */
	__u32 ntokens;
	__u8 star[PF_GLOB_MAX_TOKENS];
	__u8 set[PF_GLOB_MAX_TOKENS][32]; /* bit c of the 256: the token accepts character c */
};

struct pf_glob_state {
	char s[PF_GLOB_COMM_LEN]; /* the name, NUL-terminated */
	__s32 p, i;		  /* next token, next character */
	__s32 star_p, star_i;	  /* the last star seen and where its run ends now; star_p < 0: none yet */
	__s32 result;		  /* once done: 1 match, 0 no match */
};

static inline void pf_glob_start(struct pf_glob_state *st)
{
	st->p = 0;
	st->i = 0;
	st->star_p = -1;
	st->star_i = 0;
	st->result = 0;
}

/* One step of the greedy match with a single backtrack point (the last star): returns 1 once st->result is the
 * answer. Indices are masked so that the verifier sees every access in bounds. g is volatile because BPF passes its
 * `const volatile` rodata: through a plain pointer clang would read the zeros it was initialised with. */
static inline int pf_glob_step(struct pf_glob_state *st, const volatile struct pf_glob *g)
{
	__u32 p = (__u32)st->p & (PF_GLOB_MAX_TOKENS - 1);
	__u8 c = st->i < PF_GLOB_COMM_LEN ? (__u8)st->s[st->i & (PF_GLOB_COMM_LEN - 1)] : 0;
	int in = st->p < (__s32)g->ntokens;

	if (c) {
		if (in && !g->star[p] && ((g->set[p][c >> 3] >> (c & 7)) & 1)) {
			st->p++;
			st->i++;
			return 0;
		}
		if (in && g->star[p]) {
			st->star_p = st->p++;
			st->star_i = st->i;
			return 0;
		}
		if (st->star_p >= 0) {
			/* The last star takes one more character and the rest is tried again. */
			st->p = st->star_p + 1;
			st->i = ++st->star_i;
			return 0;
		}
		st->result = 0;
		return 1;
	}
	if (in && g->star[p]) {
		st->p++; /* trailing stars match the empty rest */
		return 0;
	}
	st->result = !in;
	return 1;
}

#endif
