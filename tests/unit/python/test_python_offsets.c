/* Tests for python_offsets: the generated table against FACTS.md; the _Py_DebugOffsets parser and its generated slot
 * maps against real 3.13, 3.14 and 3.15 builds and fabricated tables. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "python_debug_offsets.h"
#include "python_offsets.h"

/* FACTS.md "Offsets" table, measured with offsetof() on this machine's pyenv builds. */
struct facts_row {
	unsigned int version;
	int interp_head, interp_next, tstate_head, tstate_next, thread_id, tstate_frame;
	int cframe_current, back, code, instr, owner;
	int name; /* co_name up to 3.10, co_qualname from 3.11 */
	int ascii_data, compact_data;
};

static const struct facts_row facts[] = {
	{ 0x0207, -1, 0, 8, 0, 144, 16, -1, 24, 32, 120, -1, 88, -1, -1 },
	{ 0x0306, -1, 0, 8, 8, 152, 24, -1, 24, 32, 120, -1, 104, 48, 72 },
	{ 0x0307, 24, 0, 8, 8, 176, 24, -1, 24, 32, 104, -1, 104, 48, 72 },
	{ 0x0308, 32, 0, 8, 8, 176, 24, -1, 24, 32, 104, -1, 112, 48, 72 },
	{ 0x0309, 32, 0, 8, 8, 176, 24, -1, 24, 32, 104, -1, 112, 48, 72 },
	{ 0x030a, 32, 0, 8, 8, 176, 24, -1, 24, 32, 96, -1, 112, 48, 72 },
	/* 3.11 has owner at 69 but no FRAME_OWNED_BY_CSTACK: frame_owner stays -1 so the walk skips nothing. */
	{ 0x030b, 40, 0, 16, 8, 152, 56, 8, 48, 32, 56, -1, 128, 48, 72 },
	{ 0x030c, 40, 0, 72, 8, 136, 56, 0, 8, 0, 56, 70, 128, 40, 56 },
	{ 0x030d, 632, 7264, 7344, 8, 152, 72, -1, 8, 0, 56, 70, 128, 40, 56 },
};

static void expect_facts(const struct py_offsets *o, const struct facts_row *f)
{
	const struct pf_py_layout *l = &o->layout;
	int name = f->version >= 0x030b ? o->code_qualname : o->code_name;

	cr_expect_eq(o->version, f->version);
	cr_expect_eq(o->runtime_interp_head, f->interp_head, "%#x interp head %d", f->version, o->runtime_interp_head);
	cr_expect_eq(o->interp_next, f->interp_next, "%#x interp next %d", f->version, o->interp_next);
	cr_expect_eq(l->interp_tstate_head, f->tstate_head, "%#x tstate head %d", f->version, l->interp_tstate_head);
	cr_expect_eq(l->tstate_next, f->tstate_next, "%#x tstate next %d", f->version, l->tstate_next);
	cr_expect_eq(l->tstate_thread_id, f->thread_id, "%#x thread_id %d", f->version, l->tstate_thread_id);
	cr_expect_eq(l->tstate_frame, f->tstate_frame, "%#x tstate frame %d", f->version, l->tstate_frame);
	cr_expect_eq(l->cframe_current_frame, f->cframe_current, "%#x cframe %d", f->version, l->cframe_current_frame);
	cr_expect_eq(l->frame_back, f->back, "%#x back %d", f->version, l->frame_back);
	cr_expect_eq(l->frame_code, f->code, "%#x code %d", f->version, l->frame_code);
	cr_expect_eq(l->frame_instr, f->instr, "%#x instr %d", f->version, l->frame_instr);
	cr_expect_eq(l->frame_owner, f->owner, "%#x owner %d", f->version, l->frame_owner);
	cr_expect_eq(name, f->name, "%#x code name %d", f->version, name);
	cr_expect_eq(o->unicode_ascii_data, f->ascii_data, "%#x ascii data %d", f->version, o->unicode_ascii_data);
	cr_expect_eq(o->unicode_compact_data, f->compact_data, "%#x compact data %d", f->version,
		     o->unicode_compact_data);
}

static const struct facts_row *facts_for(unsigned int version)
{
	size_t i;

	for (i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		if (facts[i].version == version)
			return &facts[i];
	}
	return NULL;
}

static const struct py_offsets *table_row(unsigned int version)
{
	unsigned int i;

	for (i = 0; i < py_offsets_table_len; i++) {
		if (py_offsets_table[i].version == version)
			return &py_offsets_table[i];
	}
	return NULL;
}

Test(python_offsets, table_has_a_row_for_each_supported_version)
{
	static const unsigned int versions[] = { 0x0207, 0x0306, 0x0307, 0x0308, 0x0309, 0x030a, 0x030b, 0x030c };
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		const struct py_offsets *o = py_offsets__find(versions[i]);

		cr_assert_not_null(o, "no row for %#x", versions[i]);
		cr_expect_eq(o->version, versions[i]);
	}
}

Test(python_offsets, find_never_guesses_a_nearby_version)
{
	static const unsigned int unknown[] = { 0, 0x0206, 0x0208, 0x0300, 0x0305, 0x030e, 0x0400, 0x030c00f0 };
	size_t i;

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		cr_expect_null(py_offsets__find(unknown[i]), "%#x should be unknown", unknown[i]);
}

Test(python_offsets, find_leaves_3_13_to_the_debug_offsets)
{
	cr_expect_null(py_offsets__find(0x030d));
}

Test(python_offsets, table_matches_facts)
{
	unsigned int i;

	cr_assert_geq(py_offsets_table_len, 8);
	for (i = 0; i < py_offsets_table_len; i++) {
		const struct facts_row *f = facts_for(py_offsets_table[i].version);

		cr_assert_not_null(f, "table row %#x has no FACTS.md column", py_offsets_table[i].version);
		expect_facts(&py_offsets_table[i], f);
	}
}

Test(python_offsets, table_rows_are_consistent_with_their_version)
{
	unsigned int i;

	for (i = 0; i < py_offsets_table_len; i++) {
		const struct py_offsets *o = &py_offsets_table[i];
		const struct pf_py_layout *l = &o->layout;
		unsigned int v = o->version;

		if (i > 0)
			cr_expect_gt(v, py_offsets_table[i - 1].version, "table not ascending at %#x", v);
		cr_expect_eq(l->frame_link,
			     v >= 0x030d   ? PF_LINK_CURRENT
			     : v >= 0x030b ? PF_LINK_CFRAME
					   : PF_LINK_FRAME,
			     "%#x", v);
		cr_expect_eq(l->instr_kind, v >= 0x030b ? PF_INSTR_POINTER : PF_INSTR_LASTI, "%#x", v);
		cr_expect_eq(l->owner_skip, v >= 0x030c ? 1 << 3 : 0, "%#x FRAME_OWNED_BY_CSTACK", v);
		cr_expect_eq(l->exec_ref_bits, 0, "%#x f_executable is a plain pointer", v);
		cr_expect_eq(l->code_adaptive >= 0, v >= 0x030b, "%#x co_code_adaptive", v);
		cr_expect_eq(o->code_qualname >= 0, v >= 0x030b, "%#x co_qualname", v);
		cr_expect_eq(o->str_is_bytes, v < 0x0300, "%#x str_is_bytes", v);
		cr_expect_eq(o->unicode_state, v < 0x0300 ? -1 : 32, "%#x unicode state", v);
		cr_expect_eq(o->unicode_length, v < 0x0300 ? -1 : 16, "%#x unicode length", v);
		cr_expect_eq(o->object_type, 8, "%#x ob_type", v);
		cr_expect_eq(o->type_name, 24, "%#x tp_name", v);
		/* One block read must reach every code field. */
		cr_expect_geq(o->code_size, o->code_name + 8, "%#x", v);
		cr_expect_geq(o->code_size, o->code_qualname + 8, "%#x", v);
		cr_expect_geq(o->code_size, o->code_filename + 8, "%#x", v);
		cr_expect_geq(o->code_size, o->code_firstlineno + 4, "%#x", v);
		cr_expect_geq(o->code_size, o->code_linetable + 8, "%#x", v);
		cr_expect_eq(o->code_size % 8, 0, "%#x", v);
	}
}

/* The bytes of the .PyRuntime section of the ELF file at path (_PyRuntime, which starts with _Py_DebugOffsets). */
static void *read_pyruntime(const char *path, size_t *len, char *why, size_t why_len)
{
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	void *copy = NULL;
	size_t shstrndx;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (elf_version(EV_CURRENT) == EV_NONE || !(elf = elf_begin(fd, ELF_C_READ, NULL)) ||
	    elf_getshdrstrndx(elf, &shstrndx) != 0) {
		snprintf(why, why_len, "%s: %s", path, elf_errmsg(-1));
		goto out;
	}
	snprintf(why, why_len, "%s: no .PyRuntime section", path);
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *data;
		GElf_Shdr shdr;

		if (!gelf_getshdr(scn, &shdr) || !(name = elf_strptr(elf, shstrndx, shdr.sh_name)))
			continue;
		if (strcmp(name, ".PyRuntime") != 0)
			continue;
		if (shdr.sh_type == SHT_NOBITS || !(data = elf_getdata(scn, NULL)) || !data->d_buf) {
			snprintf(why, why_len, "%s: .PyRuntime has no file bytes", path);
			break;
		}
		copy = malloc(data->d_size);
		if (copy) {
			memcpy(copy, data->d_buf, data->d_size);
			*len = data->d_size;
		}
		break;
	}
out:
	elf_end(elf);
	close(fd);
	return copy;
}

static void *pyruntime;
static size_t pyruntime_len;
static char pyruntime_why[4200];

static void load_pyruntime(void)
{
	const char *root = getenv("PYENV_ROOT");
	char path[4096];

	if (!root) {
		snprintf(pyruntime_why, sizeof(pyruntime_why), "PYENV_ROOT is not set");
		return;
	}
	snprintf(path, sizeof(path), "%s/versions/3.13.0/lib/libpython3.13.so", root);
	pyruntime = read_pyruntime(path, &pyruntime_len, pyruntime_why, sizeof(pyruntime_why));
}

static void free_pyruntime(void)
{
	free(pyruntime);
	pyruntime = NULL;
}

static void need_pyruntime(void)
{
	if (!pyruntime) {
		cr_log_warn("skipped: %s", pyruntime_why);
		cr_skip_test("no 3.13.0 .PyRuntime to read: %s", pyruntime_why);
	}
}

Test(python_offsets, debug_offsets_of_real_3_13_match_facts, .init = load_pyruntime, .fini = free_pyruntime)
{
	struct py_offsets o;

	need_pyruntime();
	cr_assert_eq(py_offsets__from_debug(pyruntime, pyruntime_len, &o, NULL, 0), 0);
	expect_facts(&o, facts_for(0x030d));
	cr_expect_eq(o.layout.frame_link, PF_LINK_CURRENT);
	cr_expect_eq(o.layout.instr_kind, PF_INSTR_POINTER);
	cr_expect_eq(o.layout.owner_skip, 1 << 3);
	cr_expect_eq(o.layout.exec_ref_bits, 0);
	cr_expect_eq(o.layout.code_adaptive, 200);
	cr_expect_eq(o.unicode_state, 32);
	cr_expect_eq(o.unicode_length, 16);
	cr_expect_eq(o.str_is_bytes, 0);
}

/* The parser and the header-compiled generator must agree on every field, not just the ones FACTS.md lists. */
Test(python_offsets, debug_offsets_of_real_3_13_equal_the_generated_row, .init = load_pyruntime, .fini = free_pyruntime)
{
	const struct py_offsets *t = table_row(0x030d);
	struct py_offsets o;

	need_pyruntime();
	if (!t)
		cr_skip_test("the generated table has no 3.13 row to cross-check");
	cr_assert_eq(py_offsets__from_debug(pyruntime, pyruntime_len, &o, NULL, 0), 0);
#define SAME(f) cr_expect_eq(o.f, t->f, #f ": debug %d, headers %d", (int)o.f, (int)t->f)
	SAME(version);
	SAME(runtime_interp_head);
	SAME(interp_next);
	SAME(layout.interp_tstate_head);
	SAME(layout.tstate_next);
	SAME(layout.tstate_thread_id);
	SAME(layout.tstate_frame);
	SAME(layout.cframe_current_frame);
	SAME(layout.frame_back);
	SAME(layout.frame_code);
	SAME(layout.frame_instr);
	SAME(layout.frame_owner);
	SAME(layout.code_adaptive);
	SAME(layout.frame_link);
	SAME(layout.instr_kind);
	SAME(layout.owner_skip);
	SAME(layout.exec_ref_bits);
	SAME(layout.gil_locked);
	SAME(layout.gil_holder);
	SAME(layout.gil_wait_begin);
	SAME(layout.gil_wait_end);
	SAME(runtime_gil);
	SAME(interp_gil_ptr);
	SAME(code_name);
	SAME(code_qualname);
	SAME(code_filename);
	SAME(code_firstlineno);
	SAME(code_linetable);
	SAME(object_type);
	SAME(type_name);
	SAME(bytes_size);
	SAME(bytes_data);
	SAME(str_is_bytes);
	SAME(unicode_state);
	SAME(unicode_length);
	SAME(unicode_ascii_data);
	SAME(unicode_compact_data);
	SAME(code_size);
#undef SAME
}

/* A header of @len bytes: cookie then PY_VERSION_HEX, the rest zero. */
static void fake_header(unsigned char *buf, size_t len, const char *cookie, uint64_t version_hex)
{
	memset(buf, 0, len);
	memcpy(buf, cookie, 8);
	memcpy(buf + 8, &version_hex, sizeof(version_hex));
}

Test(python_offsets, debug_offsets_bad_cookie_is_einval)
{
	unsigned char buf[1024];
	struct py_offsets o;

	fake_header(buf, sizeof(buf), "xdebugpz", 0x030d00f0);
	cr_expect_eq(py_offsets__from_debug(buf, sizeof(buf), &o, NULL, 0), -EINVAL);
	fake_header(buf, sizeof(buf), "\0\0\0\0\0\0\0\0", 0x030d00f0);
	cr_expect_eq(py_offsets__from_debug(buf, sizeof(buf), &o, NULL, 0), -EINVAL);
}

Test(python_offsets, debug_offsets_short_buffer_is_einval)
{
	unsigned char buf[1024];
	struct py_offsets o;

	fake_header(buf, sizeof(buf), "xdebugpy", 0x030d00f0);
	cr_expect_eq(py_offsets__from_debug(buf, 0, &o, NULL, 0), -EINVAL);
	cr_expect_eq(py_offsets__from_debug(buf, 8, &o, NULL, 0), -EINVAL);
	cr_expect_eq(py_offsets__from_debug(buf, 15, &o, NULL, 0), -EINVAL);
	cr_expect_eq(py_offsets__from_debug(buf, 100, &o, NULL, 0), -EINVAL);
}

/* The newest minor version with a generated map (0x030f): the one after it is the first unknown one, so these tests
 * hold unchanged when scripts/gen-version-tables.sh adds a version. */
static unsigned int newest_map_version(void)
{
	unsigned int newest = 0;

	for (unsigned int i = 0; i < py_debug_maps_len; i++) {
		if (py_debug_maps[i].version > newest)
			newest = py_debug_maps[i].version;
	}
	return newest;
}

Test(python_offsets, debug_offsets_of_other_versions_are_enotsup)
{
	/* the version after the newest map (3.16.0 final), 3.15 alpha, 3.12 (has no such table), 3.13.0 beta 1,
	 * 3.14.0 rc 1, 4.0 */
	uint64_t versions[] = { (uint64_t)(newest_map_version() + 1) << 16 | 0xf0,
				0x030f00a1,
				0x030c01f0,
				0x030d00b1,
				0x030e00c1,
				0x040000f0 };
	unsigned char buf[1024];
	struct py_offsets o;
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		fake_header(buf, sizeof(buf), "xdebugpy", versions[i]);
		cr_expect_eq(py_offsets__from_debug(buf, sizeof(buf), &o, NULL, 0), -ENOTSUP, "%#llx",
			     (unsigned long long)versions[i]);
	}
}

Test(python_offsets, debug_offsets_any_3_13_patch_release_is_accepted, .init = load_pyruntime, .fini = free_pyruntime)
{
	uint64_t v = 0x030d09f0; /* 3.13.9: same table layout by the header's promise */
	unsigned char *buf;
	struct py_offsets o;

	need_pyruntime();
	buf = malloc(pyruntime_len);
	cr_assert_not_null(buf);
	memcpy(buf, pyruntime, pyruntime_len);
	memcpy(buf + 8, &v, sizeof(v));
	cr_expect_eq(py_offsets__from_debug(buf, pyruntime_len, &o, NULL, 0), 0);
	cr_expect_eq(o.version, 0x030d);
	free(buf);
}

Test(python_offsets, debug_offsets_out_of_range_is_einval_and_leaves_out_alone, .init = load_pyruntime,
     .fini = free_pyruntime)
{
	uint64_t huge = 1ull << 40;
	unsigned char *buf;
	struct py_offsets o, before;

	need_pyruntime();
	buf = malloc(pyruntime_len);
	cr_assert_not_null(buf);
	/* thread_state.current_frame is slot 23 of the 3.13 table (8 bytes each). */
	memcpy(buf, pyruntime, pyruntime_len);
	memcpy(buf + 23 * 8, &huge, sizeof(huge));
	memset(&o, 0x5a, sizeof(o));
	before = o;
	cr_expect_eq(py_offsets__from_debug(buf, pyruntime_len, &o, NULL, 0), -EINVAL);
	cr_expect_eq(memcmp(&o, &before, sizeof(o)), 0, "out was written on failure");
	free(buf);
}

/* Found by tests/fuzz/python_offsets.c: a sizeof(PyUnicodeObject) past INT32_MAX became a negative
 * unicode_compact_data, which the string reader took for a length to read into its header buffer. */
Test(python_offsets, debug_offsets_with_a_huge_str_size_are_einval, .init = load_pyruntime, .fini = free_pyruntime)
{
	uint64_t sizes[] = { 1ull << 31, (1ull << 32) + 64, UINT64_MAX };
	unsigned char *buf;
	struct py_offsets o;

	need_pyruntime();
	buf = malloc(pyruntime_len);
	cr_assert_not_null(buf);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* unicode_object.size is slot 67 of the 3.13 table. */
		memcpy(buf, pyruntime, pyruntime_len);
		memcpy(buf + 67 * 8, &sizes[i], sizeof(sizes[i]));
		cr_expect_eq(py_offsets__from_debug(buf, pyruntime_len, &o, NULL, 0), -EINVAL, "size %#llx",
			     (unsigned long long)sizes[i]);
	}
	free(buf);
}

/* Found by tests/fuzz/python_offsets.c: a code field at INT32_MAX (inside a code object the table says is larger)
 * overflowed int while the size of the code header block was computed. */
Test(python_offsets, debug_offsets_with_a_code_field_near_int32_max_are_einval, .init = load_pyruntime,
     .fini = free_pyruntime)
{
	uint64_t size = UINT64_MAX, name = INT32_MAX;
	unsigned char *buf;
	struct py_offsets o;

	need_pyruntime();
	buf = malloc(pyruntime_len);
	cr_assert_not_null(buf);
	/* code_object.size and code_object.name are slots 34 and 36 of the 3.13 table. */
	memcpy(buf, pyruntime, pyruntime_len);
	memcpy(buf + 34 * 8, &size, sizeof(size));
	memcpy(buf + 36 * 8, &name, sizeof(name));
	cr_expect_eq(py_offsets__from_debug(buf, pyruntime_len, &o, NULL, 0), -EINVAL);
	free(buf);
}

/* The .PyRuntime of Debian's python3.X in the unstable root (tests/integration/run.py sets PYFLAME_SID_ROOT from
 * scripts/sid-root.sh); NULL with a reason when there is none. */
static void *read_sid_pyruntime(const char *minor, size_t *len, char *why, size_t why_len)
{
	const char *root = getenv("PYFLAME_SID_ROOT");
	char path[4096];

	if (!root || !*root) {
		snprintf(why, why_len,
			 "no Debian unstable root (PYFLAME_SID_ROOT unset: scripts/sid-root.sh could not make one)");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/usr/bin/python%s", root, minor);
	return read_pyruntime(path, len, why, why_len);
}

static const struct py_debug_map *debug_map(unsigned int version)
{
	for (unsigned int i = 0; i < py_debug_maps_len; i++) {
		if (py_debug_maps[i].version == version)
			return &py_debug_maps[i];
	}
	return NULL;
}

/* What the walker reads from a real 3.14 / 3.15 build, against the headers as FACTS.md and the sources say. */
static void expect_real(const char *minor, unsigned int version, unsigned char owner_skip)
{
	char why[4200], refusal[256] = "";
	struct py_offsets o;
	size_t len = 0;
	void *rt = read_sid_pyruntime(minor, &len, why, sizeof(why));

	if (!rt) {
		cr_log_warn("skipped: %s", why);
		cr_skip_test("%s", why);
	}
	cr_assert_eq(py_offsets__from_debug(rt, len, &o, refusal, sizeof(refusal)), 0, "%s: %s", minor, refusal);
	cr_expect_eq(o.version, version);
	cr_expect_eq(o.layout.frame_link, PF_LINK_CURRENT);
	cr_expect_eq(o.layout.instr_kind, PF_INSTR_POINTER);
	cr_expect_eq(o.layout.owner_skip, owner_skip, "%s owners to skip %#x", minor, o.layout.owner_skip);
	cr_expect_eq(o.layout.exec_ref_bits, 3, "%s: f_executable is a _PyStackRef with Py_TAG_BITS 3", minor);
	cr_expect_eq(o.layout.frame_back, 8, "%s previous", minor);
	cr_expect_eq(o.layout.frame_code, 0, "%s f_executable", minor);
	cr_expect_gt(o.layout.frame_owner, o.layout.frame_instr, "%s owner after instr_ptr", minor);
	cr_expect_eq(o.unicode_state, 32);
	cr_expect_eq(o.unicode_length, 16);
	cr_expect_eq(o.unicode_ascii_data, 40, "%s sizeof(PyASCIIObject)", minor);
	cr_expect_eq(o.unicode_compact_data, 56, "%s sizeof(PyCompactUnicodeObject)", minor);
	cr_expect_eq(o.object_type, 8);
	cr_expect_eq(o.type_name, 24);
	cr_expect_gt(o.code_qualname, o.code_name, "%s", minor);
	cr_expect_geq(o.layout.gil_locked, 0, "%s: GIL layout known", minor);
	cr_expect_geq(o.interp_gil_ptr, 0, "%s: GIL pointer known", minor);
	cr_expect_eq(o.runtime_gil, -1);
	free(rt);
}

Test(python_offsets, debug_offsets_of_real_3_14_are_read_through_its_map)
{
	/* FRAME_OWNED_BY_INTERPRETER 3 and FRAME_OWNED_BY_CSTACK 4 */
	expect_real("3.14", 0x030e, 1 << 3 | 1 << 4);
}

Test(python_offsets, debug_offsets_of_real_3_15_are_read_through_its_map)
{
	/* FRAME_OWNED_BY_INTERPRETER 3; 3.15 has no CSTACK owner */
	expect_real("3.15", 0x030f, 1 << 3);
}

/* Each generated map: slots 8-byte aligned, after the cookie, inside the table, distinct; facts in range. */
Test(python_offsets, generated_debug_maps_are_well_formed)
{
	cr_assert_geq(py_debug_maps_len, 3, "maps for 3.13, 3.14 and 3.15");
	cr_expect_not_null(debug_map(0x030d));
	cr_expect_not_null(debug_map(0x030e));
	cr_expect_not_null(debug_map(0x030f));
	for (unsigned int i = 0; i < py_debug_maps_len; i++) {
		const struct py_debug_map *m = &py_debug_maps[i];

		if (i)
			cr_expect_gt(m->version, py_debug_maps[i - 1].version, "maps ascending");
		cr_expect_eq(m->slot[PY_DEBUG_VERSION], 8, "%#x: version right after the cookie", m->version);
		for (int s = 0; s < PY_DEBUG__COUNT; s++) {
			cr_expect_eq(m->slot[s] % 8, 0, "%#x slot %d", m->version, s);
			cr_expect_geq(m->slot[s], 8, "%#x slot %d", m->version, s);
			cr_expect_leq(m->slot[s] + 8u, m->table_size, "%#x slot %d", m->version, s);
			if (s)
				cr_expect_gt(m->slot[s], m->slot[s - 1], "%#x slot %d in the header's order",
					     m->version, s);
		}
		cr_expect_eq(m->unicode_data_ptr, 8, "%#x", m->version);
		cr_expect_lt(m->gil_wait_begin, m->gil_wait_end, "%#x", m->version);
		cr_expect_lt(m->exec_ref_bits, 8, "%#x", m->version);
		cr_expect_neq(m->owner_skip, 0, "%#x", m->version);
	}
	/* Known moves: 3.14 grew the table and moved the frame slots; 3.15 grew it again. */
	cr_expect_eq(debug_map(0x030d)->table_size, 584);
	cr_expect_eq(debug_map(0x030e)->table_size, 760);
	cr_expect_eq(debug_map(0x030f)->table_size, 888);
	cr_expect_neq(debug_map(0x030d)->slot[PY_DEBUG_FRAME_EXECUTABLE],
		      debug_map(0x030e)->slot[PY_DEBUG_FRAME_EXECUTABLE]);
	cr_expect_neq(debug_map(0x030e)->slot[PY_DEBUG_FRAME_EXECUTABLE],
		      debug_map(0x030f)->slot[PY_DEBUG_FRAME_EXECUTABLE]);
}

/* A table of @m's version with every size slot large and every offset slot small: valid, as far as fill checks. */
static void fabricate(unsigned char *buf, size_t len, const struct py_debug_map *m, uint64_t version_hex, uint64_t ft)
{
	memset(buf, 0, len);
	memcpy(buf, "xdebugpy", 8);
	for (int s = PY_DEBUG_RUNTIME_SIZE; s < PY_DEBUG__COUNT; s++) {
		uint64_t v = 16 + 8 * (uint64_t)s;

		memcpy(buf + m->slot[s], &v, sizeof(v));
	}
	for (int s = 0; s < PY_DEBUG__COUNT; s++) {
		static const int sizes[] = { PY_DEBUG_RUNTIME_SIZE, PY_DEBUG_INTERP_SIZE, PY_DEBUG_TSTATE_SIZE,
					     PY_DEBUG_FRAME_SIZE,   PY_DEBUG_CODE_SIZE,	  PY_DEBUG_OBJECT_SIZE,
					     PY_DEBUG_TYPE_SIZE,    PY_DEBUG_BYTES_SIZE,  PY_DEBUG_UNICODE_SIZE };
		uint64_t big = 4096;

		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
			if (sizes[k] == s)
				memcpy(buf + m->slot[s], &big, sizeof(big));
	}
	memcpy(buf + m->slot[PY_DEBUG_VERSION], &version_hex, sizeof(version_hex));
	memcpy(buf + m->slot[PY_DEBUG_FREE_THREADED], &ft, sizeof(ft));
}

Test(python_offsets, debug_offsets_of_a_free_threaded_build_are_refused_with_one_line)
{
	const struct py_debug_map *m = debug_map(0x030e);
	unsigned char buf[2048];
	char why[256] = "";
	struct py_offsets o;

	cr_assert_not_null(m);
	fabricate(buf, sizeof(buf), m, 0x030e0af0, 0);
	cr_assert_eq(py_offsets__from_debug(buf, sizeof(buf), &o, why, sizeof(why)), 0, "%s", why);
	fabricate(buf, sizeof(buf), m, 0x030e0af0, 1);
	cr_expect_eq(py_offsets__from_debug(buf, sizeof(buf), &o, why, sizeof(why)), -ENOTSUP);
	cr_expect_str_eq(why, "CPython 3.14 free-threaded build: not supported yet");
}

Test(python_offsets, debug_offsets_of_an_unknown_version_name_it_and_what_is_supported)
{
	unsigned int newest = newest_map_version();
	unsigned char buf[2048];
	char why[256] = "", want[256];
	struct py_offsets o;

	/* 3.16 while 3.15 is the newest map */
	fabricate(buf, sizeof(buf), debug_map(newest), (newest + 1) << 16 | 0xf0, 0);
	cr_expect_eq(py_offsets__from_debug(buf, sizeof(buf), &o, why, sizeof(why)), -ENOTSUP);
	snprintf(want, sizeof(want),
		 "CPython 3.%u: its _Py_DebugOffsets layout is not one we know (supported: 2.7, 3.6-3.%u)",
		 (newest & 0xff) + 1, newest & 0xff);
	cr_expect_str_eq(why, want);
	cr_expect_null(strchr(why, '\n'));
}

Test(python_offsets, debug_offsets_shorter_than_the_versions_table_are_einval)
{
	const struct py_debug_map *m = debug_map(0x030f);
	unsigned char buf[2048];
	struct py_offsets o;

	fabricate(buf, sizeof(buf), m, 0x030f02f0, 0);
	cr_expect_eq(py_offsets__from_debug(buf, m->table_size, &o, NULL, 0), 0);
	cr_expect_eq(py_offsets__from_debug(buf, m->table_size - 1, &o, NULL, 0), -EINVAL);
}

Test(python_offsets, supported_versions_come_from_the_tables)
{
	char buf[64], want[64];

	/* 2.7, 3.6-3.15 while 3.15 is the newest map: one run, none left out */
	cr_assert_geq(newest_map_version(), 0x030f);
	snprintf(want, sizeof(want), "2.7, 3.6-3.%u", newest_map_version() & 0xff);
	py_offsets__supported(buf, sizeof(buf));
	cr_expect_str_eq(buf, want);
}

/* The walk's two per-frame decisions (include/pyflame.h, used by the BPF sampler as they are here). */
Test(python_offsets, stack_ref_tag_bits_are_masked_off_the_code_pointer)
{
	struct pf_py_layout l = { .exec_ref_bits = 3 };
	struct pf_py_layout plain = { .exec_ref_bits = 0 };

	cr_expect_eq(pf_frame_code(&l, 0x7f0012345670ull), 0x7f0012345670ull);
	cr_expect_eq(pf_frame_code(&l, 0x7f0012345671ull), 0x7f0012345670ull, "deferred reference");
	cr_expect_eq(pf_frame_code(&l, 0x7f0012345673ull), 0x7f0012345670ull);
	cr_expect_eq(pf_frame_code(&plain, 0x7f0012345671ull), 0x7f0012345671ull, "3.13: a plain pointer");
}

Test(python_offsets, frames_of_every_owner_in_the_set_are_skipped)
{
	struct pf_py_layout l314 = { .owner_skip = 1 << 3 | 1 << 4 }, l312 = { .owner_skip = 1 << 3 };

	for (int owner = 0; owner < 3; owner++) {
		cr_expect_not(pf_frame_skipped(&l314, owner), "3.14 owner %d is Python code", owner);
		cr_expect_not(pf_frame_skipped(&l312, owner), "3.12 owner %d is Python code", owner);
	}
	cr_expect(pf_frame_skipped(&l314, 3), "FRAME_OWNED_BY_INTERPRETER");
	cr_expect(pf_frame_skipped(&l314, 4), "FRAME_OWNED_BY_CSTACK (3.14)");
	cr_expect(pf_frame_skipped(&l312, 3), "FRAME_OWNED_BY_CSTACK (3.12, 3.13)");
	cr_expect_not(pf_frame_skipped(&l312, 4));
}
