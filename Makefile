# SPDX-License-Identifier: GPL-2.0
#
# mailbox: top-level build.  Kbuild and module/Kbuild describe the module;
# this file drives kbuild against $(KDIR) and builds the user-space parts
# (libmailbox, selftests, Catch2 tests, examples) into build/.
#
#   make              module + libmailbox + selftests + tests + examples
#   make check        host tests, then VM runs on the debug and stock kernels
#   make demo         install deps, build, run the examples in a stock VM
#   make bench        benchmarks against pipe, mqueue, futex, binder... (VM)
#   make KDIR=/lib/modules/$(uname -r)/build    build for the running kernel

SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

# The installed Debian headers/image pair (linux-headers-amd64 depends on
# linux-headers-<KVER>-amd64, linux-image-amd64 on linux-image-<KVER>-amd64).
KVER ?= $(shell dpkg-query -W -f='$${Depends}' linux-headers-amd64 2>/dev/null | \
	sed -n 's/.*linux-headers-\([^ ,]*\)-amd64.*/\1/p')
KDIR ?= /usr/src/linux-headers-$(KVER)-amd64
KSRC_TAR ?= /usr/src/linux-source-6.1.tar.xz
export KVER

BUILD := build
CC := gcc
CXX := g++
AR := ar

MBX_WARN := -Wall -Wextra
MBX_CFLAGS := -O2 -g $(MBX_WARN) -pthread -Iuapi -isystem $(BUILD)/khdr -Ilib/include
MBX_CXXFLAGS := -std=c++23 -O2 -g $(MBX_WARN) -pthread -Ilib/include -Iuapi
MBX_LDLIBS := -luring -lrt

UAPI_HDRS := $(wildcard uapi/linux/*.h)
LIB_HDRS := $(wildcard lib/include/mailbox/*.hpp lib/include/mailbox/*.h \
	lib/include/mailbox/mach/*.h)

# Compiler lines that must not appear in a module build (W=1).
KWARN_RE := warning:|WARNING: modpost

# --- kernel module -----------------------------------------------------------
.PHONY: module
module:
	@mkdir -p $(BUILD)
	@test -d $(KDIR) || { echo "no kernel build tree at $(KDIR) (apt-get install linux-headers-amd64, or set KDIR)"; exit 4; }
	@set -o pipefail; $(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules 2>&1 | tee $(BUILD)/module-build.log
	@if grep -E '$(KWARN_RE)' $(BUILD)/module-build.log | grep -v 'the compiler differs'; then \
		echo "module build: warnings above are errors"; exit 1; fi

# The debug kernel's tree is built (or found in the cache) by
# scripts/build-debug-kernel.  The module is built from a copy of its sources
# so the stock build's objects in module/ are left alone.
DEBUG_SRC := $(BUILD)/kmod-debug-src
.PHONY: debug-module
debug-module:
	@tree=$$(scripts/build-debug-kernel) || exit $$?; \
	mkdir -p $(DEBUG_SRC) $(BUILD)/kmod-debug && \
	rsync -a --delete --include='*/' --include='*.[chS]' --include=Kbuild \
		--include=Makefile --exclude='*' Kbuild module uapi $(DEBUG_SRC)/ && \
	set -o pipefail && \
	$(MAKE) -C "$$tree" M=$(CURDIR)/$(DEBUG_SRC) W=1 KCFLAGS=-g modules 2>&1 | tee $(BUILD)/kmod-debug/build.log && \
	if grep -E '$(KWARN_RE)' $(BUILD)/kmod-debug/build.log | grep -v 'the compiler differs'; then \
		echo "debug module build: warnings above are errors"; exit 1; fi && \
	cp $(DEBUG_SRC)/module/mailbox.ko $(BUILD)/kmod-debug/mailbox.ko && \
	echo "built $(BUILD)/kmod-debug/mailbox.ko against $$tree"

# --- kselftest headers, taken from the kernel source package ----------------
KHDR_STAMP := $(BUILD)/khdr/.stamp
.PHONY: headers
headers: $(KHDR_STAMP)
$(KHDR_STAMP):
	@test -r $(KSRC_TAR) || { echo "missing $(KSRC_TAR) (apt-get install linux-source-6.1)"; exit 4; }
	@mkdir -p $(@D)
	tar -xJf $(KSRC_TAR) -C $(@D) --strip-components=4 \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h
	@touch $@

# --- objects: build/obj/<source path>.o -------------------------------------
$(BUILD)/obj/%.c.o: %.c $(UAPI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MBX_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/%.cpp.o: %.cpp $(UAPI_HDRS)
	@mkdir -p $(@D)
	$(CXX) $(MBX_CXXFLAGS) -MMD -MP -c -o $@ $<

objs = $(patsubst %,$(BUILD)/obj/%.o,$(1))

# --- libmailbox ---------------------------------------------------------------
LIB_SRCS := $(wildcard lib/src/*.cpp lib/src/*.c)
LIB_OBJS := $(call objs,$(LIB_SRCS))
LIBMAILBOX := $(if $(LIB_SRCS),$(BUILD)/lib/libmailbox.a)

.PHONY: lib
lib: $(LIBMAILBOX)

$(BUILD)/lib/libmailbox.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^

# --- selftests (kselftest harness, static, run in the VM) -------------------
SELFTEST_SRCS := $(wildcard selftests/*.c)
SELFTESTS := $(SELFTEST_SRCS:selftests/%.c=$(BUILD)/selftests/%)

.PHONY: selftests
selftests: $(SELFTESTS)

$(BUILD)/selftests/%: selftests/%.c $(wildcard selftests/*.h) $(UAPI_HDRS) $(KHDR_STAMP)
	@mkdir -p $(@D)
	$(CC) $(MBX_CFLAGS) -static -o $@ $< $(MBX_LDLIBS)

# --- tools (static: they also run in the VM) ---------------------------------
TOOLS := $(BUILD)/tools/mailbox-lsmp

.PHONY: tools
tools: $(TOOLS)

$(BUILD)/tools/mailbox-lsmp: lib/tools/mailbox-lsmp.c
	@mkdir -p $(@D)
	$(CC) -O2 -g $(MBX_WARN) -static -o $@ $<

# --- Catch2 tests: host (run here) and device (static, run in the VM) -------
HOST_TEST_SRCS := $(wildcard lib/tests/host/*.cpp)
HOST_TEST_OBJS := $(call objs,$(HOST_TEST_SRCS))
HOST_TESTS := $(if $(HOST_TEST_SRCS),$(BUILD)/tests/host-tests)
DEVICE_TEST_SRCS := $(wildcard lib/tests/device/*.cpp)
DEVICE_TEST_OBJS := $(call objs,$(DEVICE_TEST_SRCS))
DEVICE_TESTS := $(if $(DEVICE_TEST_SRCS),$(BUILD)/tests/device-tests)

.PHONY: tests
tests: $(HOST_TESTS) $(DEVICE_TESTS)

$(BUILD)/tests/host-tests: $(HOST_TEST_OBJS) $(LIBMAILBOX)
	@mkdir -p $(@D)
	$(CXX) $(MBX_CXXFLAGS) -o $@ $(HOST_TEST_OBJS) $(LIBMAILBOX) $(MBX_LDLIBS)

$(BUILD)/tests/device-tests: $(DEVICE_TEST_OBJS) $(LIBMAILBOX)
	@mkdir -p $(@D)
	$(CXX) $(MBX_CXXFLAGS) -static -o $@ $(DEVICE_TEST_OBJS) $(LIBMAILBOX) $(MBX_LDLIBS)

# --- examples: examples/<name>/*.{c,cpp} -> build/examples/<name> ----------
EXAMPLE_NAMES := $(sort $(notdir $(patsubst %/,%,$(dir \
	$(wildcard examples/*/*.c examples/*/*.cpp)))))
EXAMPLES := $(EXAMPLE_NAMES:%=$(BUILD)/examples/%)

.PHONY: examples
examples: $(EXAMPLES)

# C++ examples link with g++, C-only ones with gcc; both with libmailbox (a C
# example takes only the Mach C API's object from it).
define example_rule
$(BUILD)/examples/$(1): $(call objs,$(wildcard examples/$(1)/*.c examples/$(1)/*.cpp)) \
		$(LIBMAILBOX)
	@mkdir -p $$(@D)
	$(if $(wildcard examples/$(1)/*.cpp),$$(CXX) $$(MBX_CXXFLAGS),$$(CC) $$(MBX_CFLAGS)) \
		-static -o $$@ $$(filter %.o %.a,$$^) $$(MBX_LDLIBS)
endef
$(foreach e,$(EXAMPLE_NAMES),$(eval $(call example_rule,$(e))))

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/obj/*/*.d $(BUILD)/obj/*/*/*.d \
	$(BUILD)/obj/*/*/*/*.d)

# --- the two commands ---------------------------------------------------------
.PHONY: all
all: module lib selftests tests examples tools

# Host tests, the debug kernel VM, the stock kernel VM; the last line printed
# is the summary "N passed, N failed[, N skipped]".
.PHONY: check
check: all debug-module
	@scripts/check

.PHONY: demo
demo:
	@bash scripts/install-deps
	@$(MAKE) --no-print-directory module lib examples
	@scripts/vm-run --kernel stock --mode demo

# Benchmarks (never a test): build the static mbxbench and a payload with
# Debian's binder module, run it in one stock-kernel boot, then extract
# build/bench/results.csv and build/bench/report.md from the serial log.
BENCH_DIR := $(BUILD)/bench
BINDER_KO := /lib/modules/$(KVER)-amd64/kernel/drivers/android/binder_linux.ko
BENCH_TIMEOUT ?= 1500

$(BENCH_DIR)/payload/mbxbench: bench/mbxbench.c $(UAPI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MBX_CFLAGS) -static -o $@ $< -luring -lrt

.PHONY: bench
bench: module $(BENCH_DIR)/payload/mbxbench
	@cp bench/run.sh $(BENCH_DIR)/payload/run.sh
	@if [ -r $(BINDER_KO).xz ]; then xz -dc $(BINDER_KO).xz >$(BENCH_DIR)/payload/binder_linux.ko; \
	elif [ -r $(BINDER_KO) ]; then cp $(BINDER_KO) $(BENCH_DIR)/payload/; \
	else echo "bench: no $(BINDER_KO): binder is skipped"; fi
	@rm -rf $(BENCH_DIR)/payload/perf
	@if perf=$$(command -v perf) && [ -x "$$perf" ]; then \
		mkdir -p $(BENCH_DIR)/payload/perf && cp -L "$$perf" $(BENCH_DIR)/payload/perf/perf && \
		ldd "$$perf" | awk '$$3 ~ /^\// { print $$3 } $$1 ~ /^\/.*ld-linux/ { print $$1 }' | \
		while read -r lib; do cp -L "$$lib" $(BENCH_DIR)/payload/perf/; done && \
		mv $(BENCH_DIR)/payload/perf/ld-linux-x86-64.so.2 $(BENCH_DIR)/payload/perf/ld.so; \
	else echo "bench: no perf on the host: perf bench and profiles are skipped"; fi
	scripts/vm-run --kernel stock --mode run --timeout $(BENCH_TIMEOUT) \
		--payload $(BENCH_DIR)/payload --cmd './run.sh'
	bench/report $(BUILD)/vm-stock/serial.log $(BENCH_DIR)
	bench/plot $(BENCH_DIR)

.PHONY: clean
clean:
	@if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf $(BUILD)

# --- fuzzing and stress (Documentation/testing.rst) -------------------------
#   make fuzz [SEED=n] [FUZZ_CALLS=n] [FUZZ_KERNEL=stock|debug]
#   make fuzz-failslab      fuzzer + selftests, debug kernel, failslab on
#   make stress [STRESS_SECONDS=n]
FUZZ_CALLS ?= 1000000
FUZZ_KERNEL ?= stock
FUZZ_PAYLOAD = $(BUILD)/fuzz-payload-$(FUZZ_KERNEL)
SEED ?=

.PHONY: fuzz
fuzz: $(BUILD)/selftests/fuzz $(if $(filter debug,$(FUZZ_KERNEL)),debug-module,module)
	@rm -rf $(FUZZ_PAYLOAD) && mkdir -p $(FUZZ_PAYLOAD)
	@cp $(BUILD)/selftests/fuzz $(FUZZ_PAYLOAD)/
	@scripts/vm-run --kernel $(FUZZ_KERNEL) --mode run --timeout 3000 \
		--payload $(FUZZ_PAYLOAD) \
		--cmd '$(if $(SEED),MBX_FUZZ_SEED=$(SEED) )MBX_FUZZ_CALLS=$(FUZZ_CALLS) ./fuzz'

# Every selftest and the fuzzer (MBX_FUZZ_ENOMEM=1: ENOMEM allowed
# everywhere) on the debug kernel with failslab on for their tasks.
FAILSLAB_PROBABILITY ?= 5
FAILSLAB_PAYLOAD := $(BUILD)/failslab-payload
.PHONY: fuzz-failslab
fuzz-failslab: selftests $(BUILD)/tools/failslab_exec debug-module
	@rm -rf $(FAILSLAB_PAYLOAD) && mkdir -p $(FAILSLAB_PAYLOAD)/bin
	@cp $(SELFTESTS) $(FAILSLAB_PAYLOAD)/
	@cp scripts/failslab-run $(BUILD)/tools/failslab_exec $(FAILSLAB_PAYLOAD)/bin/
	@scripts/vm-run --kernel debug --mode run --timeout 3000 --payload $(FAILSLAB_PAYLOAD) \
		--cmd 'MBX_FUZZ_ENOMEM=1 MBX_FUZZ_CALLS=$(if $(filter-out 1000000,$(FUZZ_CALLS)),$(FUZZ_CALLS),20000) $(if $(SEED),MBX_FUZZ_SEED=$(SEED) MBX_STRESS_SEED=$(SEED) )FAILSLAB_PROBABILITY=$(FAILSLAB_PROBABILITY) bin/failslab-run'

$(BUILD)/tools/failslab_exec: selftests/tools/failslab_exec.c
	@mkdir -p $(@D)
	$(CC) $(MBX_CFLAGS) -static -o $@ $<

# Kill storm: STRESS_SECONDS of SIGKILLs (the make check slice is 15 s).
STRESS_SECONDS ?= 120
STRESS_KERNEL ?= stock
STRESS_PAYLOAD := $(BUILD)/stress-payload
.PHONY: stress
stress: $(BUILD)/selftests/stress $(if $(filter debug,$(STRESS_KERNEL)),debug-module,module)
	@rm -rf $(STRESS_PAYLOAD) && mkdir -p $(STRESS_PAYLOAD)
	@cp $(BUILD)/selftests/stress $(STRESS_PAYLOAD)/
	@scripts/vm-run --kernel $(STRESS_KERNEL) --mode run --timeout $$(($(STRESS_SECONDS) * 3 + 300)) \
		--payload $(STRESS_PAYLOAD) \
		--cmd '$(if $(SEED),MBX_STRESS_SEED=$(SEED) )MBX_STRESS_SECONDS=$(STRESS_SECONDS) ./stress'

# --- install -----------------------------------------------------------------
# make install / make uninstall [DESTDIR=/stage] [PREFIX=/usr/local] (same
# variables for both): module, headers, libmailbox (.a, .so), pkg-config and
# CMake files, tools, man pages, udev rule, modprobe.d example.  The body is
# scripts/install; the manifest it writes ($(DATADIR)/mailbox/
# install-manifest) is what uninstall removes.  Documentation/install.rst.
MBX_VERSION := 0.1.0
MBX_SOVERSION := 0
# libmailbox's own link needs (uring.cpp: liburing).
MBX_PC_LIBS_PRIVATE := -pthread -luring
PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
# udev reads /usr/lib and /etc, never /usr/local.
UDEVRULESDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/udev/rules.d,/etc/udev/rules.d)
# The release the module is built for (Debian's kernel.release file in the
# headers package says 6.1.x; the UTS release is what /lib/modules uses).
KREL ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)

# Position-independent objects for the shared library: build/obj-pic/.
$(BUILD)/obj-pic/%.c.o: %.c $(UAPI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MBX_CFLAGS) -fPIC -MMD -MP -c -o $@ $<

$(BUILD)/obj-pic/%.cpp.o: %.cpp $(UAPI_HDRS)
	@mkdir -p $(@D)
	$(CXX) $(MBX_CXXFLAGS) -fPIC -MMD -MP -c -o $@ $<

LIB_PIC_OBJS := $(patsubst %,$(BUILD)/obj-pic/%.o,$(LIB_SRCS))
LIBMAILBOX_SO := $(if $(LIB_SRCS),$(BUILD)/lib/libmailbox.so.$(MBX_VERSION))

lib: $(LIBMAILBOX_SO)

$(BUILD)/lib/libmailbox.so.$(MBX_VERSION): $(LIB_PIC_OBJS)
	@mkdir -p $(@D)
	$(CXX) -shared -pthread -Wl,-soname,libmailbox.so.$(MBX_SOVERSION) -Wl,-z,defs -Wl,--as-needed \
		-o $@ $^ $(MBX_LDLIBS)
	@ln -sfn libmailbox.so.$(MBX_VERSION) $(BUILD)/lib/libmailbox.so.$(MBX_SOVERSION)
	@ln -sfn libmailbox.so.$(MBX_SOVERSION) $(BUILD)/lib/libmailbox.so

-include $(wildcard $(BUILD)/obj-pic/*/*/*.d)

INSTALL_ENV = DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' LIBDIR='$(LIBDIR)' \
	INCLUDEDIR='$(INCLUDEDIR)' BINDIR='$(BINDIR)' DATADIR='$(DATADIR)' \
	MANDIR='$(MANDIR)' UDEVRULESDIR='$(UDEVRULESDIR)' KDIR='$(KDIR)' \
	KREL='$(KREL)' MBX_VERSION='$(MBX_VERSION)' MBX_SOVERSION='$(MBX_SOVERSION)' \
	MBX_PC_LIBS_PRIVATE='$(MBX_PC_LIBS_PRIVATE)' INSTALL_MODULE='$(INSTALL_MODULE)'
INSTALL_MODULE ?= 1

.PHONY: install uninstall
install: $(if $(filter 1,$(INSTALL_MODULE)),module) lib tools
	@$(INSTALL_ENV) scripts/install install

uninstall:
	@$(INSTALL_ENV) scripts/install uninstall

# The kernel release make install and the DKMS test build for.
.PHONY: print-krel
print-krel:
	@echo $(KREL)

# DKMS (dkms.conf): register this tree as /usr/src/mailbox-$(MBX_VERSION)
# and build + install the module for the running kernel.
.PHONY: dkms-install dkms-uninstall
dkms-install:
	@rm -rf /usr/src/mailbox-$(MBX_VERSION) && mkdir -p /usr/src/mailbox-$(MBX_VERSION)
	rsync -a --include='*/' --include='*.[ch]' --include=Kbuild --include=dkms.conf \
		--exclude='*' dkms.conf Kbuild module uapi /usr/src/mailbox-$(MBX_VERSION)/
	dkms add mailbox/$(MBX_VERSION)
	dkms install mailbox/$(MBX_VERSION)

dkms-uninstall:
	-dkms remove mailbox/$(MBX_VERSION) --all
	rm -rf /usr/src/mailbox-$(MBX_VERSION)

# --- portability: Linux 6.12 (Documentation/testing.rst) ---------------------
# make module-6.12   the module against scripts/build-kernel 6.12's tree (W=1)
# make check-6.12    that module + the selftests, device tests and examples
#                    in a VM booted from the 6.12 bzImage
K612_SRC := $(BUILD)/kmod-6.12-src
CHECK_612_TIMEOUT ?= 900
.PHONY: module-6.12 check-6.12
module-6.12:
	@tree=$$(scripts/build-kernel 6.12) || exit $$?; \
	mkdir -p $(K612_SRC) $(BUILD)/kmod-6.12 && \
	rsync -a --delete --exclude='*.mod.c' --include='*/' --include='*.[chS]' \
		--include=Kbuild --include=Makefile --exclude='*' Kbuild module uapi $(K612_SRC)/ && \
	set -o pipefail && \
	$(MAKE) -C "$$tree" M=$(CURDIR)/$(K612_SRC) W=1 modules 2>&1 | tee $(BUILD)/kmod-6.12/build.log && \
	if grep -E '$(KWARN_RE)' $(BUILD)/kmod-6.12/build.log | grep -v 'the compiler differs'; then \
		echo "6.12 module build: warnings above are errors"; exit 1; fi && \
	cp $(K612_SRC)/module/mailbox.ko $(BUILD)/kmod-6.12/mailbox.ko && \
	echo "built $(BUILD)/kmod-6.12/mailbox.ko against $$tree"

check-6.12: module-6.12 selftests tests examples
	@tree=$$(scripts/build-kernel 6.12) || exit $$?; \
	scripts/vm-run --kernel stock --label 6.12 --mode check --timeout $(CHECK_612_TIMEOUT) \
		--image "$$tree/arch/x86/boot/bzImage" --module $(BUILD)/kmod-6.12/mailbox.ko
