# pyflame-bpf: build, test, demo, install. `make V=1` shows full commands;
# `make CFLAGS='-O1 -g -fsanitize=address,undefined'` builds with sanitizers.
.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:

VERSION := 0.1.0
PREFIX ?= /usr/local
BIN ?= pyflame-bpf
STATIC_BIN := pyflame-bpf-static
BUILD ?= build
CC ?= cc
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
PYTHON3 ?= python3
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

DEB_PACKAGES := clang llvm bpftool libbpf-dev libelf-dev libdw-dev libzstd-dev zlib1g-dev liblzma-dev libbz2-dev \
	libcriterion-dev pkg-config dpkg-dev file python3 valgrind zstd libxml2-utils chromium firefox-esr man-db golang-go \
	strace debootstrap clang-format protobuf-compiler golang-github-google-pprof-dev

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CFLAGS ?= -O2 -g
# user/ by concern: python/ (interpreters, code objects), native/ (ELF, kernel symbols), proc/ (target processes),
# record/ (the recording: BPF side, records, collector), output/ (profile model and writers), lib/ (containers).
USER_DIRS := user $(patsubst %/,%,$(sort $(dir $(wildcard user/*/*.c user/*/*.h))))
ALL_CFLAGS := $(CFLAGS) -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -Iinclude $(addprefix -I,$(USER_DIRS)) -I$(BUILD) \
	-MMD -MP
LDLIBS := -lbpf -ldw -lelf -lz -lzstd -lm
# The static binary: Debian's archives of the same libraries and of what libdw's decompressors need, and glibc's.
STATIC_LDLIBS := -Wl,--start-group -lbpf -ldw -lelf -lzstd -lz -llzma -lbz2 -lpthread -lm -Wl,--end-group
# Linked into the static binary only: libdw's debuginfod client would dlopen() libdebuginfod (see the file).
STATIC_SRCS := user/native/debuginfod_static.c

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Iinclude -Wall -Wno-unused-function

USER_SRCS := $(filter-out $(STATIC_SRCS),$(wildcard user/*.c user/*/*.c))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
LIB_OBJS := $(filter-out $(BUILD)/user/main.o,$(USER_OBJS))
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(wildcard bpf/*.bpf.c))

BENCH_BINS := $(patsubst scripts/bench/%.c,$(BUILD)/bench/%,$(wildcard scripts/bench/*.c))

UNIT_SRCS := $(wildcard tests/unit/test_*.c tests/unit/*/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))

# Test targets: C programs built by clang with frame pointers (gcc 12 drops the leaf's, FACTS.md).
TARGET_CFLAGS := -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-inline -fno-optimize-sibling-calls
TARGET_SRCS := $(wildcard tests/targets/*.c)
TARGET_BINS := $(patsubst tests/targets/%.c,$(BUILD)/targets/%,$(filter-out tests/targets/symlib.c tests/targets/symtest.c,$(TARGET_SRCS)))
SYMTEST_BINS := $(BUILD)/targets/symtest-pie $(BUILD)/targets/symtest-nopie $(BUILD)/targets/symtest-dynsym \
	$(BUILD)/targets/libsymlib.so

# Fuzz harnesses (tests/fuzz/NAME.c, one per parser of outside data), built by clang with libFuzzer, ASan and UBSan
# over the production sources (user/proc/proc_mem.c replaced by tests/fuzz/mem_image.c, a fake target memory).
FUZZ_CC ?= $(CLANG)
FUZZ_SECONDS ?= 60
FUZZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer $(FUZZ_SANITIZE) -Wall -Wextra -std=gnu11 -D_GNU_SOURCE \
	-Iinclude $(addprefix -I,$(USER_DIRS)) -Itests/fuzz -I$(BUILD) -MMD -MP
FUZZ_HELPERS := tests/fuzz/mem_image.c tests/fuzz/driver.c tests/fuzz/asan_options.c
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(filter-out $(FUZZ_HELPERS),$(wildcard tests/fuzz/*.c)))
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_NAMES))
FUZZ_REPLAY_BINS := $(patsubst %,$(BUILD)/fuzz/replay/%,$(FUZZ_NAMES))
FUZZ_LIB := $(BUILD)/fuzz/libpyflame.a
FUZZ_LIB_OBJS := $(patsubst user/%.c,$(BUILD)/fuzz/user/%.o,$(filter-out user/main.c user/proc/proc_mem.c,$(USER_SRCS))) \
	$(BUILD)/fuzz/mem_image.o

.PHONY: all deps test test-static check-asan unit integration targets demo bench bench-render install clean asan \
	fuzz fuzz-build fuzz-corpus format format-check static deb deb-static FORCE
all: $(BIN)

$(BIN): $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# One file to copy to any x86-64 host with BTF: every library linked in, stripped (-s). glibc links statically as
# long as nothing calls into NSS (getpwnam, getaddrinfo...) or dlopen, which need the shared glibc it was built with
# at run time: the linker warns of such a call, and the build fails on its warning.
static: $(STATIC_BIN)
$(STATIC_BIN): $(USER_OBJS) $(BUILD)/static/debuginfod_static.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -static -s -o $@ $^ $(STATIC_LDLIBS) 2>$(BUILD)/static/link.log || \
		{ cat $(BUILD)/static/link.log; rm -f $@; exit 1; }
	$(Q)if grep -E 'statically linked applications requires at runtime' $(BUILD)/static/link.log; then \
		echo "$@: a call above needs the shared glibc at run time"; rm -f $@; exit 1; fi

$(BUILD)/static/%.o: user/native/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# What --version says of the build: version, commit ("unknown" outside a git checkout, -dirty with uncommitted
# changes), and pkg-config's versions of libbpf and libdw. Rewritten only when that changes.
$(BUILD)/build_info.h: FORCE | $(BUILD)
	$(Q)commit=unknown; \
	if [ -e .git ] && c=$$(git rev-parse --short=12 HEAD 2>/dev/null); then \
		commit=$$c$$(git diff --quiet HEAD -- 2>/dev/null || echo -dirty); fi; \
	{ echo '/* Generated by the Makefile (build_info.h): what this build is made from. */'; \
	  echo '#define PF_VERSION "$(VERSION)"'; \
	  echo "#define PF_GIT_COMMIT \"$$commit\""; \
	  v=$$(pkg-config --modversion libbpf 2>/dev/null) && echo "#define PF_LIBBPF_VERSION \"$$v\""; \
	  v=$$(pkg-config --modversion libdw 2>/dev/null) && echo "#define PF_LIBDW_VERSION \"$$v\""; \
	  true; } >$@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/user/version.o $(BUILD)/fuzz/user/version.o: $(BUILD)/build_info.h

$(BUILD)/user/%.o: user/%.c $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c include/pyflame.h vmlinux/vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(BUILD) $(BUILD)/user $(BUILD)/tests/unit $(BUILD)/targets:
	$(Q)mkdir -p $@

# Installs the Debian packages the build and tests need, only when some are missing.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJS) $(LDLIBS) -lcriterion

# Benchmark programs over the production objects (scripts/bench/NAME.c), timing a part of userspace alone.
$(BUILD)/bench/%: scripts/bench/%.c $(LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(BUILD)/targets/%: tests/targets/%.c | $(BUILD)/targets
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(TARGET_CFLAGS) -o $@ $< -lpthread

# Symbol-lookup fixtures: the same program as PIE, non-PIE, and against a shared library stripped to .dynsym.
$(BUILD)/targets/symtest-pie: tests/targets/symtest.c | $(BUILD)/targets
	$(Q)$(CLANG) $(TARGET_CFLAGS) -fPIE -pie -o $@ $<
$(BUILD)/targets/symtest-nopie: tests/targets/symtest.c | $(BUILD)/targets
	$(Q)$(CLANG) $(TARGET_CFLAGS) -fno-pie -no-pie -o $@ $<
$(BUILD)/targets/libsymlib.so: tests/targets/symlib.c | $(BUILD)/targets
	$(Q)$(CLANG) $(TARGET_CFLAGS) -fPIC -shared -o $@ $<
	$(Q)$(LLVM_STRIP) --strip-all $@
$(BUILD)/targets/symtest-dynsym: tests/targets/symtest.c $(BUILD)/targets/libsymlib.so | $(BUILD)/targets
	$(Q)$(CLANG) $(TARGET_CFLAGS) -DUSE_SYMLIB -o $@ $< -L$(BUILD)/targets -lsymlib -Wl,-rpath,'$$ORIGIN'

targets: $(TARGET_BINS) $(SYMTEST_BINS)

# The same program built with AddressSanitizer + UBSan (UBSan fatal, float-to-integer overflow included, which
# gcc leaves out of `undefined`), for the sanitizer tests.
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_UNIT_BINS := $(patsubst $(BUILD)/%,$(BUILD)/asan/%,$(UNIT_BINS))
asan:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan BIN=$(BUILD)/asan/pyflame-bpf \
		CFLAGS='$(ASAN_CFLAGS)' $(BUILD)/asan/pyflame-bpf

unit: $(UNIT_BINS) $(SYMTEST_BINS)
	@fail=0; for t in $(UNIT_BINS); do BUILD=$(BUILD) $$t --short-filename || fail=1; done; exit $$fail

integration: pyflame-bpf targets
	$(Q)$(PYTHON3) tests/integration/run.py

# The C sources as .clang-format says, generated tables and line-table vectors aside (their generators lay them out).
FORMAT_SRCS = $(filter-out %_table.c tests/unit/python/test_python_linetable.c,$(wildcard user/*.[ch] user/*/*.[ch] \
	bpf/*.c include/*.h tests/unit/*.[ch] tests/unit/*/*.c tests/fuzz/*.c tests/targets/*.c scripts/bench/*.c))
format:
	$(Q)clang-format -i $(FORMAT_SRCS)
format-check:
	$(Q)clang-format --dry-run -Werror $(FORMAT_SRCS) 2>&1 | grep -m1 'error:' && \
		{ echo "format-check: a file drifts from .clang-format (make format fixes it)"; exit 1; } || true

# The whole suite, from a fresh machine: packages, build, the static binary's sampled subset (below), then the unit
# tests and every integration test (with the fuzz corpus replay, the packages' install and the other-root runs).
test: deps format-check
	$(Q)$(MAKE) --no-print-directory all targets asan static deb deb-static $(UNIT_BINS) $(FUZZ_REPLAY_BINS)
	$(Q)fail=0; $(TEST_STATIC) || fail=1; $(PYTHON3) -u tests/integration/run.py --unit $(UNIT_BINS) || fail=1; \
	exit $$fail

# The integration suite against the static binary, sampled (the whole suite twice is too slow; about a minute):
# native and kernel frames, Python on every version and an exact line, wall and off-CPU, --children and exec, and
# the zstd, SVG and pprof writers. The binary is the same code as the dynamic one, linked otherwise.
STATIC_TESTS := test_c_call_chain_in_order test_kernel_frames_below_user_frames test_ratio_three_to_one_per_version \
	test_known_line_exact test_wall_mode_splits test_off_cpu_request_waits test_children_prefork_master \
	test_exec_of_a_target_into test_zst_suffix test_svg_output_is_valid test_pprof_recording_is_read
TEST_STATIC = PYFLAME=$(STATIC_BIN) $(PYTHON3) -u tests/integration/run.py --label '$(STATIC_BIN), sampled subset' \
	-k $(STATIC_TESTS)
test-static: $(STATIC_BIN) targets
	$(Q)$(TEST_STATIC)

# The unit and integration suites against the ASan/UBSan build: unit tests linked with its objects, the integration
# tests running build/asan/pyflame-bpf; a sanitizer report during any test fails that test.
check-asan: deps
	$(Q)$(MAKE) --no-print-directory all targets asan $(FUZZ_REPLAY_BINS)
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan CFLAGS='$(ASAN_CFLAGS)' $(ASAN_UNIT_BINS)
	$(Q)BUILD=$(BUILD) PYFLAME=$(BUILD)/asan/pyflame-bpf $(PYTHON3) -u tests/integration/run.py \
		--sanitizer-logs $(BUILD)/asan/reports --unit $(ASAN_UNIT_BINS)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(PYTHON3) -u scripts/demo/run.py

# Benchmarks beside perf, bpftrace and austin (apt-get installs those missing): prints the tables, writes the run to
# $(BUILD)/bench.json (raw data included), its figures to bench/results.json (units, quartiles, machine, commit) and
# BENCHMARKS.md rendered from that file. Never part of `make test`. `make bench BENCH_FLAGS=--quick` for a short run.
bench: deps
	$(Q)$(MAKE) --no-print-directory all targets $(BENCH_BINS)
	$(Q)BUILD=$(BUILD) $(PYTHON3) -u scripts/bench/run.py $(BENCH_FLAGS)

# BENCHMARKS.md again from the committed bench/results.json, measuring nothing (no root needed).
bench-render:
	$(Q)$(PYTHON3) scripts/bench/run.py --render bench/results.json

# Production objects instrumented for coverage (-fsanitize=fuzzer-no-link), in an archive: each harness links only
# what it calls.
$(BUILD)/fuzz/user/%.o: user/%.c $(SKELS)
	$(Q)mkdir -p $(@D)
	$(call msg,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(BUILD)/fuzz/%.o: tests/fuzz/%.c | $(BUILD)/fuzz/user
	$(call msg,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
# The fuzzer: libFuzzer's main.
$(BUILD)/fuzz/%: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/asan_options.o $(FUZZ_LIB)
	$(call msg,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/fuzz/asan_options.o $(FUZZ_LIB) $(LDLIBS)
# The same harness with a plain main that runs given inputs once: the corpus regression test of `make test`.
$(BUILD)/fuzz/replay/%: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/driver.o $(BUILD)/fuzz/asan_options.o $(FUZZ_LIB) \
		| $(BUILD)/fuzz/replay
	$(call msg,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(BUILD)/fuzz/driver.o $(BUILD)/fuzz/asan_options.o $(FUZZ_LIB) $(LDLIBS)
$(BUILD)/fuzz/user $(BUILD)/fuzz/replay:
	$(Q)mkdir -p $@

fuzz-build: $(FUZZ_BINS) $(FUZZ_REPLAY_BINS)

# Every harness for FUZZ_SECONDS, starting from its committed corpus; new inputs go to build/fuzz/NAME.work, a crash
# to build/fuzz/NAME.crash-* (add it to tests/fuzz/corpus/NAME/ once fixed). Fails on any crash, leak or timeout.
fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)$(PYTHON3) tests/fuzz/run.py --build $(BUILD)/fuzz --seconds $(FUZZ_SECONDS) $(FUZZ_NAMES)

# Each harness over its committed corpus, once (no fuzzing): what `make test` runs.
fuzz-corpus: $(FUZZ_REPLAY_BINS)
	@fail=0; for n in $(FUZZ_NAMES); do $(BUILD)/fuzz/replay/$$n tests/fuzz/corpus/$$n || fail=1; done; exit $$fail

# INSTALL_BIN=pyflame-bpf-static installs the static binary under the same name.
INSTALL_BIN ?= $(BIN)
install: $(INSTALL_BIN)
	install -D -m 0755 $(INSTALL_BIN) $(DESTDIR)$(PREFIX)/bin/pyflame-bpf
	install -D -m 0644 docs/pyflame-bpf.1 $(DESTDIR)$(PREFIX)/share/man/man1/pyflame-bpf.1

# Debian packages, built with dpkg-deb from `make install`'s tree: pyflame-bpf_VERSION_ARCH.deb of the dynamic
# binary, its Depends found by dpkg-shlibdeps from the libraries it links; pyflame-bpf-static_VERSION_ARCH.deb of the
# static one, with no Depends (it Provides and Conflicts with pyflame-bpf: the same /usr/bin/pyflame-bpf).
DEB_ARCH = $(shell dpkg --print-architecture)
deb: $(BIN)
	$(call msg,DEB,pyflame-bpf_$(VERSION)_$(DEB_ARCH).deb)
	$(Q)scripts/make-deb.sh pyflame-bpf $(VERSION) $(BIN) $(BUILD)/deb
deb-static: $(STATIC_BIN)
	$(call msg,DEB,pyflame-bpf-static_$(VERSION)_$(DEB_ARCH).deb)
	$(Q)scripts/make-deb.sh pyflame-bpf-static $(VERSION) $(STATIC_BIN) $(BUILD)/deb

clean:
	rm -rf $(BUILD) pyflame-bpf $(STATIC_BIN) pyflame-bpf_*.deb pyflame-bpf-static_*.deb

-include $(wildcard $(BUILD)/user/*.d $(BUILD)/user/*/*.d $(BUILD)/*.d $(BUILD)/tests/unit/*.d $(BUILD)/tests/unit/*/*.d \
	$(BUILD)/fuzz/*.d $(BUILD)/fuzz/user/*.d $(BUILD)/fuzz/user/*/*.d $(BUILD)/static/*.d $(BUILD)/bench/*.d)
