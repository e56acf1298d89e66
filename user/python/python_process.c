/* One target's CPython interpreter: where it lives, which version and layout, how its file names are shortened. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "proc_maps.h"
#include "proc_mem.h"
#include "python_code.h"
#include "python_process.h"
#include "why.h"

static int elf_has(void *ctx, const char *sym)
{
	uint64_t vaddr;

	return !elf_file__find_symbol(ctx, sym, &vaddr, NULL);
}

/*
 * Before 3.11 the interpreter does not export its version; the public API it exports does tell:
 * each symbol below first appeared in the version beside it and stayed. File names are never used.
 */
unsigned py_version__from_symbols(int (*has)(void *ctx, const char *sym), void *ctx)
{
	static const struct {
		const char *sym;
		unsigned version;
	} ladder[] = {
		{ "PyModule_AddObjectRef", 0x030a }, /* 3.10 */
		{ "PyFrame_GetCode", 0x0309 },	     /* 3.9 */
		{ "Py_BytesMain", 0x0308 },	     /* 3.8 */
		{ "_PyRuntime", 0x0307 },	     /* 3.7 */
		{ "PyOS_FSPath", 0x0306 },	     /* 3.6 */
		{ "Py_InitModule4_64", 0x0207 },     /* 2.x only; 2.7 is the one supported */
	};

	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++)
		if (has(ctx, ladder[i].sym))
			return ladder[i].version;
	return 0;
}

/* Runtime address of a symbol: link-time address plus the mapping's load bias. */
static int symbol_addr(struct elf_file *elf, uint64_t bias, const char *name, uint64_t *addr)
{
	uint64_t vaddr;
	int err = elf_file__find_symbol(elf, name, &vaddr, NULL);

	if (!err)
		*addr = vaddr + bias;
	return err;
}

/* 2.7/3.6 keep interp_head in .symtab only; stripped builds still export PyInterpreterState_Head(),
 * which on x86-64 is `mov interp_head(%rip),%rax; ret`: decode its displacement. */
static int interp_head_from_function(pid_t pid, struct elf_file *elf, uint64_t bias, uint64_t *addr)
{
	unsigned char code[8];
	uint64_t fn;
	int32_t disp;

	if (symbol_addr(elf, bias, "PyInterpreterState_Head", &fn) || proc_mem__read(pid, fn, code, sizeof(code)))
		return -ENOENT;
	if (code[0] != 0x48 || code[1] != 0x8b || code[2] != 0x05 || code[7] != 0xc3)
		return -ENOENT;
	memcpy(&disp, code + 3, sizeof(disp));
	*addr = fn + 7 + (int64_t)disp;
	return 0;
}

/*
 * A path as the target sees it: /proc/PID/maps and /proc/PID/cwd show a chrooted process's files under its root
 * (ROOT/usr/bin/python3), while its code objects name them from inside ("/usr/lib/python3.14/os.py").
 * Strips that root in place when the path lies under it.
 */
static void target_view(pid_t pid, char *path)
{
	char link[64], root[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/root", (int)pid);
	n = readlink(link, root, sizeof(root) - 1);
	if (n <= 1) /* "/" or unreadable: the same view as ours */
		return;
	root[n] = '\0';
	if (!strncmp(path, root, (size_t)n) && path[n] == '/')
		memmove(path, path + n, strlen(path + n) + 1);
}

/* Directory of the main script from the command line (`python [opts] dir/app.py`), as the interpreter saw it. */
static char *script_dir(pid_t pid, char **given)
{
	char path[64], buf[8192], *dir = NULL;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	n = (ssize_t)fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	for (char *arg = buf + strlen(buf) + 1; arg < buf + n; arg += strlen(arg) + 1) {
		size_t len = strlen(arg);
		char *slash;

		if (arg[0] == '-') {
			if (!strcmp(arg, "-m") || !strcmp(arg, "-c"))
				break; /* a module or a string: no script directory */
			continue;
		}
		if (len < 3 || strcmp(arg + len - 3, ".py"))
			break;
		slash = strrchr(arg, '/');
		if (arg[0] == '/' && slash) {
			dir = strndup(arg, slash - arg + 1);
		} else {
			/* Relative to the process's working directory: 3.9+ makes the script's co_filename absolute. */
			char cwd_link[64], cwd[PATH_MAX];
			ssize_t len_cwd;

			snprintf(cwd_link, sizeof(cwd_link), "/proc/%d/cwd", (int)pid);
			len_cwd = readlink(cwd_link, cwd, sizeof(cwd) - 1);
			if (len_cwd <= 0)
				break;
			cwd[len_cwd] = '\0';
			target_view(pid, cwd);
			slash = strrchr(arg, '/');
			if (slash)
				*given = strndup(arg, slash - arg + 1); /* before 3.9 co_filename is as given */
			if (asprintf(&dir, "%s/%.*s", strcmp(cwd, "/") ? cwd : "", slash ? (int)(slash - arg + 1) : 0,
				     arg) < 0)
				dir = NULL;
		}
		break;
	}
	return dir;
}

/* The install prefix of an interpreter file, plus lib/pythonX.Y/: ".../bin/python3.11",
 * ".../lib/libpython3.11.so" and multiarch ".../lib/x86_64-linux-gnu/libpython3.11.so" -> ".../lib/python3.11/". */
static char *stdlib_dir(const char *file, const char *version)
{
	const char *base = strrchr(file, '/'),
		   *dirname = !strncmp(base ? base + 1 : file, "lib", 3) ? "/lib/" : "/bin/";
	const char *cut = NULL;
	char *dir;

	for (const char *p = strstr(file, dirname); p; p = strstr(p + 1, dirname))
		cut = p;
	if (!cut)
		return NULL;
	if (asprintf(&dir, "%.*s/lib/python%s/", (int)(cut - file), file, version) < 0)
		return NULL;
	return dir;
}

static int is_candidate(const struct proc_map *m, const char *exe)
{
	const char *base = proc_map__basename(m);

	return m->path[0] == '/' && (!strcmp(m->path, exe) || strstr(base, "python"));
}

/* Reads the interpreter's layout for its version: the table before 3.13, its own _Py_DebugOffsets after. */
static int read_layout(struct py_process *py, uint64_t runtime, unsigned version, char *why, size_t why_size)
{
	const struct py_offsets *table;
	unsigned char buf[PY_DEBUG_OFFSETS_READ];
	char supported[64];
	int err;

	if (version >= 0x030d) {
		if (!runtime)
			return why__say(why, why_size, -ENOTSUP, "CPython %u.%u without _PyRuntime", version >> 8,
					version & 0xff);
		err = proc_mem__read(py->pid, runtime, buf, sizeof(buf));
		if (err)
			return why__say(why, why_size, err, "cannot read _PyRuntime: %s", strerror(-err));
		err = py_offsets__from_debug(buf, sizeof(buf), &py->off, why, why_size);
		if (err && why && strncmp(why, "CPython ", 8)) {
			char detail[160];

			snprintf(detail, sizeof(detail), "%s", why);
			why__say(why, why_size, err, "CPython %u.%u: %s", version >> 8, version & 0xff, detail);
		}
		return err ? -ENOTSUP : 0;
	}
	table = py_offsets__find(version);
	if (!table) {
		py_offsets__supported(supported, sizeof(supported));
		return why__say(why, why_size, -ENOTSUP, "CPython %u.%u is not supported (supported: %s)", version >> 8,
				version & 0xff, supported);
	}
	py->off = *table;
	return 0;
}

/* Where a code object's tag bytes start: the PF_CODE_TAG_BYTES that end with co_name, all set once at creation
 * (3.11+: co_argcount's neighbours through co_firstlineno, co_version (3.12+), co_filename; before: the
 * pointers from co_code or co_consts on). Nothing mutable (3.11's co_warmup, co_zombieframe) falls inside. */
static int code_tag_offset(const struct py_offsets *o)
{
	return o->code_name + 8 - PF_CODE_TAG_BYTES;
}
/* The GIL: inside _PyRuntime (3.7-3.11) or where the interpreter's ceval.gil points (3.12+); 0 when unknown
 * (2.7 and 3.6 keep it in static variables) or not set up yet. */
static uint64_t gil_address(const struct py_process *py, uint64_t runtime)
{
	uint64_t interp = 0, gil = 0;

	if (py->off.layout.gil_locked < 0)
		return 0;
	if (py->off.runtime_gil >= 0)
		return runtime ? runtime + py->off.runtime_gil : 0;
	if (py->off.interp_gil_ptr < 0 || proc_mem__read(py->pid, py->interp_head_addr, &interp, sizeof(interp)) ||
	    !interp || proc_mem__read(py->pid, interp + py->off.interp_gil_ptr, &gil, sizeof(gil)))
		return 0;
	return gil;
}

static int discover_in(struct py_process *py, struct elf_file *elf, const struct proc_map *map, char *why,
		       size_t why_size)
{
	uint64_t vaddr, bias, runtime = 0, addr;
	char file[PATH_MAX];
	uint32_t hex;
	unsigned version;
	int err;

	if (elf_file__vaddr(elf, map->offset, &vaddr))
		return -ENOENT;
	bias = map->start - vaddr;
	if (!elf_has(elf, "_PyRuntime") && !elf_has(elf, "interp_head") && !elf_has(elf, "PyInterpreterState_Head"))
		return -ENOENT;
	symbol_addr(elf, bias, "_PyRuntime", &runtime);
	if (!symbol_addr(elf, bias, "Py_Version", &addr)) {
		err = proc_mem__read(py->pid, addr, &hex, sizeof(hex));
		if (err)
			return why__say(why, why_size, err, "cannot read Py_Version: %s", strerror(-err));
		version = (hex >> 24) << 8 | ((hex >> 16) & 0xff); /* PY_VERSION_HEX */
	} else {
		version = py_version__from_symbols(elf_has, elf);
		if (!version) {
			char supported[64];

			py_offsets__supported(supported, sizeof(supported));
			return why__say(why, why_size, -ENOTSUP, "a CPython older than 2.7/3.6 (supported: %s)",
					supported);
		}
	}
	snprintf(py->version, sizeof(py->version), "%u.%u", version >> 8, version & 0xff);
	err = read_layout(py, runtime, version, why, why_size);
	if (err)
		return err;
	py->objs = py_objects__find(version);
	py->off.layout.code_tag = (__s16)code_tag_offset(&py->off);
	py->off.layout.str_hash = 24; /* PyASCIIObject.hash (3.x), PyStringObject.ob_shash (2.7): after the var head */
	py_code__copy_layout(&py->off);
	if (py->off.runtime_interp_head >= 0) {
		if (!runtime)
			return why__say(why, why_size, -ENOTSUP, "CPython %s without _PyRuntime", py->version);
		py->interp_head_addr = runtime + py->off.runtime_interp_head;
	} else if (symbol_addr(elf, bias, "interp_head", &py->interp_head_addr) &&
		   interp_head_from_function(py->pid, elf, bias, &py->interp_head_addr)) {
		return why__say(why, why_size, -ENOTSUP, "CPython %s: cannot locate interp_head (stripped build)",
				py->version);
	}
	symbol_addr(elf, bias, "_Py_NoneStruct", &py->none_addr);
	/* The types a code object, its names and its line table must have: exported API, so known from the file
	 * (else learnt from the first object that checks out). A sampler's copy is checked against them. */
	symbol_addr(elf, bias, "PyCode_Type", &py->types.code);
	symbol_addr(elf, bias, py->off.str_is_bytes ? "PyString_Type" : "PyUnicode_Type", &py->types.str);
	symbol_addr(elf, bias, "PyBytes_Type", &py->types.bytes);
	py->gil_addr = gil_address(py, runtime);
	/* 3.13 runs a class's __init__ under a shim frame of its own code object (name and file "__init__"):
	 * interpreter machinery, not Python code. A local symbol: stripped builds show the frame. */
	symbol_addr(elf, bias, "_Py_InitCleanup", &py->shim_code);
	py->file.dev_major = map->dev_major;
	py->file.dev_minor = map->dev_minor;
	py->file.inode = map->inode;
	snprintf(file, sizeof(file), "%s", map->path);
	target_view(py->pid, file);
	py->stdlib_dir = stdlib_dir(file, py->version);
	py->script_dir = script_dir(py->pid, &py->script_dir_given);
	return 0;
}

int py_process__discover(struct py_process *py, pid_t pid, struct elf_cache *elves, char *why, size_t why_size)
{
	char exe_link[64], exe[PATH_MAX] = "";
	struct proc_maps maps;
	ssize_t n;
	int err;

	memset(py, 0, sizeof(*py));
	py->pid = pid;
	err = proc_maps__read(&maps, pid);
	if (err)
		return why__say(why, why_size, err, "cannot read /proc/%d/maps: %s", (int)pid,
				err == -ESRCH	 ? "the process is gone"
				: err == -EAGAIN ? "it maps nothing yet (mid-exec)"
						 : strerror(-err));
	snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", (int)pid);
	n = readlink(exe_link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	err = -ENOENT;
	for (size_t i = 0; i < maps.n && err == -ENOENT; i++) {
		const struct proc_map *m = &maps.maps[i];
		struct elf_file *elf;
		int seen = 0;

		if (!is_candidate(m, exe))
			continue;
		/* Each file once, through its first mapping. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = maps.maps[j].inode == m->inode && maps.maps[j].dev_major == m->dev_major &&
			       maps.maps[j].dev_minor == m->dev_minor;
		if (seen || !(elf = elf_cache__get(elves, pid, m)))
			continue;
		err = discover_in(py, elf, m, why, why_size);
	}
	proc_maps__free(&maps);
	if (err == -ENOENT)
		why__say(why, why_size, err,
			 "not a CPython process (no interpreter symbols in its executable or libpython)");
	if (err)
		py_process__free(py);
	return err;
}

int py_process__links_libpython(pid_t pid, struct elf_cache *elves)
{
	char exe_link[64], exe[PATH_MAX];
	struct proc_maps maps;
	int links = 0;
	ssize_t n;

	snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", (int)pid);
	n = readlink(exe_link, exe, sizeof(exe) - 1);
	if (n <= 0 || proc_maps__read(&maps, pid))
		return 0;
	exe[n] = '\0';
	for (size_t i = 0; i < maps.n && !links; i++) {
		struct elf_file *elf;

		if (!strcmp(maps.maps[i].path, exe) && (elf = elf_cache__get(elves, pid, &maps.maps[i])))
			links = elf_file__needs(elf, "libpython");
	}
	proc_maps__free(&maps);
	return links;
}

int py_process__read(const struct py_process *py, uint64_t addr, void *buf, size_t size)
{
	return py->mem ? mem_segments__read(py->mem, addr, buf, size) : proc_mem__read(py->pid, addr, buf, size);
}

void py_process__free(struct py_process *py)
{
	free(py->stdlib_dir);
	free(py->script_dir);
	free(py->script_dir_given);
	py->stdlib_dir = py->script_dir = py->script_dir_given = NULL;
}

const char *py_process__short_filename(const struct py_process *py, const char *file)
{
	static const char *const roots[] = { "/site-packages/", "/dist-packages/" };
	const char *best = NULL;

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		for (const char *hit = strstr(file, roots[i]); hit; hit = strstr(hit + 1, roots[i])) {
			const char *after = hit + strlen(roots[i]);

			if (!best || after > best)
				best = after; /* the innermost root: a venv inside site-packages is rare but possible */
		}
	}
	if (best && *best)
		return best;
	if (py->stdlib_dir && !strncmp(file, py->stdlib_dir, strlen(py->stdlib_dir)) && file[strlen(py->stdlib_dir)])
		return file + strlen(py->stdlib_dir);
	if (py->script_dir && !strncmp(file, py->script_dir, strlen(py->script_dir)) && file[strlen(py->script_dir)])
		return file + strlen(py->script_dir);
	if (py->script_dir_given && !strncmp(file, py->script_dir_given, strlen(py->script_dir_given)) &&
	    file[strlen(py->script_dir_given)])
		return file + strlen(py->script_dir_given);
	return file;
}
