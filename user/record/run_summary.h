/* What a recording tells on stderr: the live status line on a terminal, and the run summary at the end. */
#ifndef RUN_SUMMARY_H
#define RUN_SUMMARY_H

#include "session.h"

/* Redraws the status line (elapsed / duration, samples, stacks, losses) at most 4 times a second; done: clears it. */
void run_summary__progress(struct session *s, int done);
/* The run summary: where the profile went (written: whether it was), totals, what was dropped or lost and why,
 * Python naming, costs (-v), processes; counts of nothing only with -v. */
void run_summary__print(const struct session *s, int written);

#endif
