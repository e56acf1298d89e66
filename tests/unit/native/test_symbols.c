/* Tests for elf_file, elf_cache and user_symbols: naming addresses of live symtest fixtures (PIE, non-PIE, .dynsym-only
 * library). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_cache.h"
#include "elf_file.h"
#include "proc_maps.h"
#include "user_symbols.h"

extern char **environ;

#define MAX_FUNCS 8

/* A running fixture and the function addresses it printed. */
struct fixture {
	pid_t pid;
	int stdin_fd;
	size_t nfuncs;
	struct {
		char name[64];
		uint64_t addr;
	} funcs[MAX_FUNCS];
};

static void fixture_path(char *buf, size_t size, const char *file)
{
	const char *build = getenv("BUILD");

	snprintf(buf, size, "%s/targets/%s", build && *build ? build : "build", file);
}

/* Starts BUILD/targets/NAME and reads its `NAME 0xADDR` lines up to `ready`; it runs until stdin closes. */
static void fixture__start(struct fixture *fx, const char *name)
{
	posix_spawn_file_actions_t fa;
	char path[4096], line[256];
	int in[2], out[2], err;
	char *argv[] = { path, NULL };
	FILE *f;

	memset(fx, 0, sizeof(*fx));
	fixture_path(path, sizeof(path), name);
	if (access(path, X_OK))
		cr_skip_test("%s is not built (make targets): %s", path, strerror(errno));
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	err = posix_spawn(&fx->pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	cr_assert_eq(err, 0, "spawn %s: %s", path, strerror(err));
	fx->stdin_fd = in[1];
	f = fdopen(out[0], "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) && strcmp(line, "ready\n")) {
		cr_assert_lt(fx->nfuncs, MAX_FUNCS);
		cr_assert_eq(sscanf(line, "%63s %" SCNx64, fx->funcs[fx->nfuncs].name, &fx->funcs[fx->nfuncs].addr), 2,
			     "unexpected line from %s: %s", name, line);
		fx->nfuncs++;
	}
	fclose(f);
	cr_assert_gt(fx->nfuncs, 0, "%s printed no function", name);
}

static void fixture__stop(struct fixture *fx)
{
	if (fx->pid <= 0)
		return;
	close(fx->stdin_fd);
	waitpid(fx->pid, NULL, 0);
	fx->pid = 0;
}

static uint64_t fixture__addr(const struct fixture *fx, const char *name)
{
	for (size_t i = 0; i < fx->nfuncs; i++)
		if (!strcmp(fx->funcs[i].name, name))
			return fx->funcs[i].addr;
	cr_assert_fail("the fixture printed no address for %s", name);
	return 0;
}

static struct fixture fx;
static struct elf_cache elves;
static struct user_symbols syms;
/* The targets the tests name addresses of, one per PID (user_symbols keeps its state in them). */
static struct target_process *tps[8];

static struct target_process *tp_for(pid_t pid)
{
	size_t i;

	for (i = 0; i < 8 && tps[i]; i++)
		if (tps[i]->pid == pid)
			return tps[i];
	cr_assert_lt(i, 8);
	tps[i] = target_process__new(pid, 0);
	cr_assert_not_null(tps[i]);
	return tps[i];
}

static void setup(void)
{
	elf_cache__init(&elves, 1);
	user_symbols__init(&syms, &elves);
}

static void teardown(void)
{
	fixture__stop(&fx);
	for (size_t i = 0; i < 8; i++) {
		target_process__put(tps[i]);
		tps[i] = NULL;
	}
	elf_cache__free(&elves);
}

TestSuite(symbols, .init = setup, .fini = teardown, .timeout = 30);

static void expect_name(pid_t pid, uint64_t addr, int return_addr, const char *want)
{
	char buf[256];

	user_symbols__name(&syms, tp_for(pid), addr, return_addr, buf, sizeof(buf));
	cr_expect_str_eq(buf, want, "%#" PRIx64 " (return_addr=%d): %s, want %s", addr, return_addr, buf, want);
}

/* A section's link-time address and size, by name: what a fixture's file holds, read here from its section headers
 * (pyflame-bpf itself names addresses through symbols and segments only). */
static int elf_section(const struct elf_file *f, const char *name, uint64_t *vaddr, uint64_t *size)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(f->elf, &shstrndx))
		return -ENOEXEC;
	while ((scn = elf_nextscn(f->elf, scn))) {
		GElf_Shdr sh;
		const char *s;

		if (!gelf_getshdr(scn, &sh))
			continue;
		s = elf_strptr(f->elf, shstrndx, sh.sh_name);
		if (s && !strcmp(s, name)) {
			*vaddr = sh.sh_addr;
			*size = sh.sh_size;
			return 0;
		}
	}
	return -ENOENT;
}

/* Each printed function is named at its entry, inside it, and as a return address just past its entry. */
static void expect_every_function_named(const struct fixture *f)
{
	for (size_t i = 0; i < f->nfuncs; i++) {
		expect_name(f->pid, f->funcs[i].addr, 0, f->funcs[i].name);
		expect_name(f->pid, f->funcs[i].addr + 3, 0, f->funcs[i].name);
		expect_name(f->pid, f->funcs[i].addr + 1, 1, f->funcs[i].name);
	}
}

Test(symbols, pie_functions_are_named_from_symtab)
{
	fixture__start(&fx, "symtest-pie");
	cr_assert_eq(fx.nfuncs, 2);
	expect_every_function_named(&fx);
}

Test(symbols, non_pie_functions_are_named_from_symtab)
{
	fixture__start(&fx, "symtest-nopie");
	cr_assert_eq(fx.nfuncs, 2);
	cr_expect_lt(fixture__addr(&fx, "symtest_alpha"), 0x1000000, "non-PIE code should sit at its link address");
	expect_every_function_named(&fx);
}

Test(symbols, executable_and_stripped_library_functions_are_named)
{
	fixture__start(&fx, "symtest-dynsym");
	cr_assert_eq(fx.nfuncs, 4);
	expect_every_function_named(&fx);
}

Test(symbols, stripped_library_is_named_from_dynsym)
{
	const struct proc_map *map;
	struct elf_file *elf;
	uint64_t vaddr, size;

	fixture__start(&fx, "symtest-dynsym");
	map = user_symbols__map(&syms, tp_for(fx.pid), fixture__addr(&fx, "symlib_work"));
	cr_assert_not_null(map);
	cr_expect_str_eq(proc_map__basename(map), "libsymlib.so");
	elf = elf_cache__get(&elves, fx.pid, map);
	cr_assert_not_null(elf);
	cr_expect_eq(elf_section(elf, ".symtab", &vaddr, &size), -ENOENT, "libsymlib.so should be stripped");
	cr_expect_eq(elf_section(elf, ".dynsym", &vaddr, &size), 0);
	cr_expect_eq(elf_file__find_symbol(elf, "symlib_work", &vaddr, &size), 0);
	cr_expect_gt(size, 0);
	cr_expect_eq(elf_file__find_symbol(elf, "symlib_other", &vaddr, &size), 0);
	expect_name(fx.pid, fixture__addr(&fx, "symlib_work") + 3, 0, "symlib_work");
	expect_name(fx.pid, fixture__addr(&fx, "symlib_other") + 1, 1, "symlib_other");
}

Test(symbols, stripped_library_past_every_symbol_is_its_module_by_default)
{
	uint64_t fini, fini_size, map_vaddr;
	const struct proc_map *map;
	struct elf_file *elf;

	fixture__start(&fx, "symtest-dynsym");
	map = user_symbols__map(&syms, tp_for(fx.pid), fixture__addr(&fx, "symlib_work"));
	cr_assert_not_null(map);
	elf = elf_cache__get(&elves, fx.pid, map);
	cr_assert_not_null(elf);
	cr_assert_eq(elf_section(elf, ".fini", &fini, &fini_size), 0);
	cr_assert_eq(elf_file__vaddr(elf, map->offset, &map_vaddr), 0);
	/* Two unsymbolised addresses of one library: one frame. */
	expect_name(fx.pid, map->start - map_vaddr + fini, 0, "[libsymlib.so]");
	expect_name(fx.pid, map->start - map_vaddr + fini + 1, 0, "[libsymlib.so]");
}

Test(symbols, stripped_library_past_every_symbol_is_module_plus_vaddr_with_addresses)
{
	uint64_t work = 0, fini, fini_size, map_vaddr;
	const struct proc_map *map;
	struct elf_file *elf;
	char want[64];

	fixture__start(&fx, "symtest-dynsym");
	work = fixture__addr(&fx, "symlib_work");
	map = user_symbols__map(&syms, tp_for(fx.pid), work);
	cr_assert_not_null(map);
	elf = elf_cache__get(&elves, fx.pid, map);
	cr_assert_not_null(elf);
	/* .fini follows every function of the library and has no symbol left after stripping. */
	cr_assert_eq(elf_section(elf, ".fini", &fini, &fini_size), 0);
	cr_assert_eq(elf_file__vaddr(elf, map->offset, &map_vaddr), 0);
	snprintf(want, sizeof(want), "[libsymlib.so+0x%" PRIx64 "]", fini);
	syms.addresses = 1;
	expect_name(fx.pid, map->start - map_vaddr + fini, 0, want);
}

Test(symbols, address_in_no_mapping_is_unknown)
{
	struct proc_maps maps;

	fixture__start(&fx, "symtest-pie");
	cr_assert_eq(proc_maps__read(&maps, fx.pid), 0);
	cr_assert_null(proc_maps__find(&maps, 0x1000), "something is mapped at 0x1000");
	proc_maps__free(&maps);
	expect_name(fx.pid, 0x1000, 0, "[unknown]");
	expect_name(fx.pid, 0x1000, 1, "[unknown]");
}

Test(symbols, address_of_an_exited_process_is_unknown)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_expect_eq(user_symbols__snapshot(&syms, tp_for(pid)), -ESRCH);
	expect_name(pid, 0x401000, 0, "[unknown]");
}

Test(symbols, address_in_an_anonymous_or_special_mapping_is_its_name)
{
	uint64_t vdso = getauxval(AT_SYSINFO_EHDR);
	size_t len = 4 * 4096;
	char *anon;

	/* Takes the snapshot; the vDSO is absent under valgrind. */
	if (vdso)
		expect_name(getpid(), vdso, 0, "[vdso]");
	expect_name(getpid(), 0x1000, 0, "[unknown]");
	/* Mapped after the snapshot: found by the one re-read a miss allows. */
	anon = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(anon, MAP_FAILED);
	expect_name(getpid(), (uint64_t)(uintptr_t)anon + 100, 0, "[anon]");
	expect_name(getpid(), (uint64_t)(uintptr_t)anon + 100, 1, "[anon]");
	munmap(anon, len);
}

Test(symbols, a_process_that_exited_after_its_snapshot_keeps_its_names)
{
	pid_t pid;

	fixture__start(&fx, "symtest-pie");
	pid = fx.pid;
	cr_expect_eq(user_symbols__snapshot(&syms, tp_for(pid)), 0);
	fixture__stop(&fx);
	cr_expect(kill(pid, 0) && errno == ESRCH, "the fixture should be gone");
	/* Its files were opened with the snapshot: /proc/PID is gone now, its names are not. */
	expect_name(pid, fixture__addr(&fx, "symtest_alpha"), 0, "symtest_alpha");
}

/* The fixture files opened straight from the build directory, as elf_file sees them. */
static struct elf_file *open_fixture(const char *name)
{
	struct elf_file *elf = NULL;
	char path[4096];
	int err;

	fixture_path(path, sizeof(path), name);
	if (access(path, R_OK))
		cr_skip_test("%s is not built (make targets): %s", path, strerror(errno));
	err = elf_file__open(&elf, path, name);
	cr_assert_eq(err, 0, "elf_file__open %s: %s", path, strerror(-err));
	return elf;
}

Test(symbols, vaddr_of_pie_is_the_file_offset_and_of_non_pie_the_link_address)
{
	struct elf_file *pie = open_fixture("symtest-pie"), *nopie = open_fixture("symtest-nopie");
	uint64_t v = 1;

	/* symtest's text segment starts at file offset 0x1000 in both links (the Makefile uses the default linker). */
	cr_expect_eq(elf_file__vaddr(pie, 0, &v), 0);
	cr_expect_eq(v, 0);
	cr_expect_eq(elf_file__vaddr(pie, 0x1010, &v), 0);
	cr_expect_eq(v, 0x1010);
	cr_expect_eq(elf_file__vaddr(nopie, 0, &v), 0);
	cr_expect_eq(v, 0x400000);
	cr_expect_eq(elf_file__vaddr(nopie, 0x1010, &v), 0);
	cr_expect_eq(v, 0x401010);
	cr_expect_eq(elf_file__vaddr(pie, 1ULL << 40, &v), -ENOENT);
	elf_file__close(pie);
	elf_file__close(nopie);
}

Test(symbols, find_symbol_finds_a_local_symtab_function)
{
	static const char *const files[] = { "symtest-pie", "symtest-nopie", "symtest-dynsym" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct elf_file *elf = open_fixture(files[i]);
		uint64_t vaddr = 0, size = 0;

		cr_expect_eq(elf_file__find_symbol(elf, "symtest_local_beta", &vaddr, &size), 0, "%s", files[i]);
		cr_expect_neq(vaddr, 0, "%s", files[i]);
		cr_expect_gt(size, 0, "%s", files[i]);
		cr_expect_str_eq(elf_file__symbolize(elf, vaddr + 1), "symtest_local_beta", "%s", files[i]);
		cr_expect_eq(elf_file__find_symbol(elf, "no_such_symbol", &vaddr, &size), -ENOENT);
		elf_file__close(elf);
	}
}

Test(symbols, find_symbol_agrees_with_the_running_address)
{
	const struct proc_map *map;
	struct elf_file *elf;
	uint64_t beta, vaddr, sym_vaddr;

	fixture__start(&fx, "symtest-pie");
	beta = fixture__addr(&fx, "symtest_local_beta");
	map = user_symbols__map(&syms, tp_for(fx.pid), beta);
	cr_assert_not_null(map);
	elf = elf_cache__get(&elves, fx.pid, map);
	cr_assert_not_null(elf);
	cr_assert_eq(elf_file__vaddr(elf, beta - map->start + map->offset, &vaddr), 0);
	cr_assert_eq(elf_file__find_symbol(elf, "symtest_local_beta", &sym_vaddr, NULL), 0);
	cr_expect_eq(vaddr, sym_vaddr);
}

Test(symbols, elf_cache_opens_a_file_once_and_ignores_non_file_mappings)
{
	const struct proc_map *map;
	struct proc_map anon = { .path = "" }, vdso = { .path = "[vdso]" };
	struct elf_file *a, *b;

	fixture__start(&fx, "symtest-pie");
	map = user_symbols__map(&syms, tp_for(fx.pid), fixture__addr(&fx, "symtest_alpha"));
	cr_assert_not_null(map);
	a = elf_cache__get(&elves, fx.pid, map);
	b = elf_cache__get(&elves, fx.pid, map);
	cr_assert_not_null(a);
	cr_expect_eq(a, b);
	cr_expect_str_eq(a->name, "symtest-pie");
	cr_expect_gt(a->build_id_len, 0);
	cr_expect_null(elf_cache__get(&elves, fx.pid, &anon));
	cr_expect_null(elf_cache__get(&elves, fx.pid, &vdso));
}
