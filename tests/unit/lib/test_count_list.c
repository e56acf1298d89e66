/* Tests for count_list: zero counts left out unless all are asked for, items joined by ", ", a full line cut. */
#include <criterion/criterion.h>
#include <string.h>

#include "count_list.h"

Test(count_list, zero_counts_are_left_out)
{
	struct count_list l;

	count_list__init(&l, 0);
	count_list__add(&l, 0, "%d forked", 0);
	count_list__add(&l, 1, "%d exec'd", 2);
	count_list__add(&l, 0, "%d PIDs reused", 0);
	count_list__add(&l, 1, "%d exited", 3);
	cr_expect_str_eq(l.text, "2 exec'd, 3 exited");
}

Test(count_list, all_keeps_the_zero_counts)
{
	struct count_list l;

	count_list__init(&l, 1);
	count_list__add(&l, 0, "%d forked", 0);
	count_list__add(&l, 1, "%d exited", 3);
	cr_expect_str_eq(l.text, "0 forked, 3 exited");
}

Test(count_list, nothing_to_say_is_empty)
{
	struct count_list l;

	count_list__init(&l, 0);
	count_list__add(&l, 0, "%d forked", 0);
	cr_expect_eq(l.len, 0);
	cr_expect_str_eq(l.text, "");
}

Test(count_list, a_full_line_is_cut_not_overrun)
{
	struct count_list l;
	char item[300];

	memset(item, 'x', sizeof(item) - 1);
	item[sizeof(item) - 1] = '\0';
	count_list__init(&l, 0);
	for (int i = 0; i < 10; i++)
		count_list__add(&l, 1, "%s", item);
	cr_expect_lt(l.len, sizeof(l.text));
	cr_expect_eq(strlen(l.text), l.len);
}
