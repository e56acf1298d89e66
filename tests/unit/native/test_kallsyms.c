/* Tests for kallsyms: parsing /proc/kallsyms text (code symbols only, any order) and looking addresses up. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kallsyms.h"

/* Unsorted on purpose, with data symbols between code ones and module symbols (tab before `[mod]`). */
static const char sample[] = "ffffffff81002000 T schedule\n"
			     "ffffffffc0a01000 t ext4_fill_super\t[ext4]\n"
			     "ffffffff81000000 T _stext\n"
			     "ffffffff82000000 D jiffies\n"
			     "ffffffff81001000 t do_one_initcall\n"
			     "ffffffff81003000 W arch_cpu_idle\n"
			     "ffffffff81004000 w weak_lower\n"
			     "ffffffff81001800 d data_lower\n"
			     "ffffffff81001c00 r rodata_sym\n"
			     "ffffffff81001e00 B bss_sym\n"
			     "ffffffffc0a00000 T nf_hook\t[nf_tables]\n";

static void parse_text(struct kallsyms *k, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	cr_assert_not_null(f);
	cr_assert_eq(kallsyms__parse(k, f), 0);
	fclose(f);
}

Test(kallsyms, parse_keeps_text_and_weak_symbols_only)
{
	struct kallsyms k;

	parse_text(&k, sample);
	cr_expect_eq(k.n, 7, "kept %zu symbols", k.n);
	for (size_t i = 0; i < k.n; i++) {
		cr_expect_str_neq(k.syms[i].name, "jiffies");
		cr_expect_str_neq(k.syms[i].name, "data_lower");
		cr_expect_str_neq(k.syms[i].name, "rodata_sym");
		cr_expect_str_neq(k.syms[i].name, "bss_sym");
	}
	kallsyms__free(&k);
}

Test(kallsyms, parse_sorts_unsorted_input_by_address)
{
	struct kallsyms k;

	parse_text(&k, sample);
	cr_assert_gt(k.n, 1);
	for (size_t i = 1; i < k.n; i++)
		cr_expect_leq(k.syms[i - 1].addr, k.syms[i].addr, "not sorted at %zu", i);
	cr_expect_str_eq(k.syms[0].name, "_stext");
	cr_expect_str_eq(k.syms[k.n - 1].name, "ext4_fill_super");
	kallsyms__free(&k);
}

Test(kallsyms, lookup_at_exact_address_names_that_symbol)
{
	struct kallsyms k;

	parse_text(&k, sample);
	cr_expect_str_eq(kallsyms__lookup(&k, 0xffffffff81000000), "_stext");
	cr_expect_str_eq(kallsyms__lookup(&k, 0xffffffff81001000), "do_one_initcall");
	cr_expect_str_eq(kallsyms__lookup(&k, 0xffffffff81002000), "schedule");
	cr_expect_str_eq(kallsyms__lookup(&k, 0xffffffff81003000), "arch_cpu_idle");
	cr_expect_str_eq(kallsyms__lookup(&k, 0xffffffff81004000), "weak_lower");
	kallsyms__free(&k);
}

Test(kallsyms, lookup_inside_a_function_names_the_closest_symbol_below)
{
	struct kallsyms k;

	parse_text(&k, sample);
	cr_expect_str_eq(kallsyms__lookup(&k, 0xffffffff81002abc), "schedule");
	cr_expect_str_eq(kallsyms__lookup(&k, 0xffffffff81002fff), "schedule");
	/* The data symbol at ...1800 is not a boundary: the address stays in do_one_initcall. */
	cr_expect_str_eq(kallsyms__lookup(&k, 0xffffffff81001900), "do_one_initcall");
	kallsyms__free(&k);
}

Test(kallsyms, lookup_finds_module_symbols_without_the_module_suffix)
{
	struct kallsyms k;

	parse_text(&k, sample);
	cr_expect_str_eq(kallsyms__lookup(&k, 0xffffffffc0a00010), "nf_hook");
	cr_expect_str_eq(kallsyms__lookup(&k, 0xffffffffc0a01000), "ext4_fill_super");
	kallsyms__free(&k);
}

Test(kallsyms, lookup_before_the_first_symbol_is_null)
{
	struct kallsyms k;

	parse_text(&k, sample);
	cr_expect_null(kallsyms__lookup(&k, 0));
	cr_expect_null(kallsyms__lookup(&k, 0xffffffff80ffffff));
	kallsyms__free(&k);
}

Test(kallsyms, lookup_after_the_last_symbol_names_the_last_symbol)
{
	struct kallsyms k;

	parse_text(&k, sample);
	cr_expect_str_eq(kallsyms__lookup(&k, 0xffffffffc0a0ffff), "ext4_fill_super");
	cr_expect_str_eq(kallsyms__lookup(&k, UINT64_MAX), "ext4_fill_super");
	kallsyms__free(&k);
}

Test(kallsyms, lookup_in_an_empty_table_is_null)
{
	struct kallsyms k;

	parse_text(&k, "");
	cr_expect_eq(k.n, 0);
	cr_expect_null(kallsyms__lookup(&k, 0xffffffff81000000));
	kallsyms__free(&k);
}

/* Found by tests/fuzz/kallsyms.c: with no code symbol the table is NULL, and sorting it was undefined (qsort's
 * array may not be NULL); UBSan, in `make check-asan`, stops this test there. */
Test(kallsyms, parse_of_data_symbols_only_is_an_empty_table)
{
	struct kallsyms k;

	parse_text(&k, "ffffffff82000000 D jiffies\nffffffff81001c00 r rodata_sym\n");
	cr_expect_eq(k.n, 0);
	cr_expect_null(k.syms);
	cr_expect_null(kallsyms__lookup(&k, 0xffffffff82000000));
	kallsyms__free(&k);
}

Test(kallsyms, parse_skips_malformed_lines)
{
	struct kallsyms k;

	parse_text(&k, "garbage\n\nffffffff81000000\nffffffff81000000 T\nffffffff81000100 T good\n");
	cr_assert_eq(k.n, 1);
	cr_expect_str_eq(k.syms[0].name, "good");
	kallsyms__free(&k);
}

Test(kallsyms, all_zero_addresses_are_eperm)
{
	/* What an unprivileged reader sees with kptr_restrict. */
	static const char hidden[] = "0000000000000000 T _stext\n"
				     "0000000000000000 t do_one_initcall\n"
				     "0000000000000000 T schedule\n";
	FILE *f = fmemopen((void *)hidden, strlen(hidden), "r");
	struct kallsyms k;

	cr_assert_not_null(f);
	cr_expect_eq(kallsyms__parse(&k, f), -EPERM);
	cr_expect_eq(k.n, 0);
	cr_expect_null(k.syms);
	fclose(f);
}

Test(kallsyms, load_of_a_missing_file_is_enoent)
{
	struct kallsyms k;

	cr_expect_eq(kallsyms__load(&k, "/nonexistent/kallsyms"), -ENOENT);
}

Test(kallsyms, load_of_proc_kallsyms_finds_schedule)
{
	struct kallsyms k;
	uint64_t addr = 0;
	const char *name;
	int err;

	if (geteuid() != 0)
		cr_skip_test("needs root: /proc/kallsyms shows zero addresses to other users");
	err = kallsyms__load(&k, "/proc/kallsyms");
	cr_assert_eq(err, 0, "kallsyms__load: %s", strerror(-err));
	cr_assert_gt(k.n, 1000, "only %zu symbols", k.n);
	for (size_t i = 0; i < k.n && !addr; i++)
		if (!strcmp(k.syms[i].name, "schedule"))
			addr = k.syms[i].addr;
	cr_assert_neq(addr, 0, "no `schedule` in /proc/kallsyms");
	name = kallsyms__lookup(&k, addr + 1);
	cr_assert_not_null(name);
	/* An alias at the same address (sorted after it by name) would be an equally right answer. */
	if (strcmp(name, "schedule")) {
		int alias = 0;

		for (size_t i = 0; i < k.n; i++)
			alias |= k.syms[i].addr == addr && !strcmp(k.syms[i].name, name);
		cr_expect(alias, "schedule+1 named %s", name);
	}
	kallsyms__free(&k);
}
