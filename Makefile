# SPDX-License-Identifier: GPL-2.0
#
# kxenstore: out-of-tree build and the project's entry points.
# The module itself is described by Kbuild; this file only drives it.
#
#   make              build kxenstore.ko in place against $(KDIR)
#   make check        lint, both kernel builds, KUnit in UML, VM tests
#   make demo         boot the test VM and show xenstore-utils at work
#   make shell        interactive shell in the test VM, module loaded
#   make xen-test     the tests of the module as dom0's store, in dom0 of
#                     a Xen host under QEMU (scripts/xen-run)
#   make xen-shell    interactive shell in that dom0, module loaded
#   make kunit        KUnit suites in UML only
#   make vm-test      VM integration tests only
#   make vm-test-kasan  the concurrency tests in the test VM under the
#                     KASAN/lockdep debug kernel, 2 vCPUs (in make check)
#   make vm-test-kcsan  the same under the KCSAN debug kernel (in make fuzz)
#   make bench        the benchmark in the test VM: one table, and
#                     build/bench/bench.csv (Documentation/performance.rst)
#   make lint         checkpatch --strict and sparse
#   make headers_install  the ioctl header into $(INSTALL_HDR_PATH)/include
#                     (default /usr: /usr/include/linux/kxenstore.h)

DEBIAN_KDIR = /usr/src/linux-headers-$(shell scripts/debian-kver)
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) $(DEBIAN_KDIR))

.PHONY: all module modules clean deps lint kunit module-debian module-6.12 \
	modules-all tests vm-test demo shell check headers_install bench fuzz \
	module-kasan module-kcsan vm-test-kasan vm-test-kcsan xen-test xen-shell

all: module

module modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

deps:
	scripts/deps

lint:
	scripts/lint

kunit:
	scripts/kunit-run

# The module for the test VM's kernel (Debian's linux-image-amd64).
module-debian:
	scripts/build-module debian $(DEBIAN_KDIR)

# The module against the 6.12 tree from linux-source-6.12 (prepared once in
# the cache by scripts/kernel-6.12).
module-6.12:
	scripts/build-module 6.12 $$(scripts/kernel-6.12)

modules-all: module-debian module-6.12

# The module for the test VM's debug kernels (scripts/kernel-debug builds
# them from the same 6.12 tree, once per change of their config).
module-kasan module-kcsan: module-%:
	scripts/build-module $* $$(scripts/kernel-debug $*)

tests:
	$(MAKE) -C tests

# The VM targets install what they need first, so that each works as the
# one command on a fresh machine.
vm-test: deps module-debian tests
	scripts/vm-run --timeout 1200 tests/run-all

# The tests that race the most, on 2 vCPUs under a debug kernel: KASAN,
# KFENCE and lockdep (kasan), or KCSAN and lockdep (kcsan).  vm-run
# builds the kernel and the module for it first.
DEBUG_VM_TESTS = concurrency stress hostile fuzz live-update-property
vm-test-kasan vm-test-kcsan: vm-test-%: deps tests
	scripts/vm-run --kernel $* --timeout 300 tests/run-all $(DEBUG_VM_TESTS)

demo: deps module-debian
	scripts/vm-run scripts/demo

shell: deps module-debian tests
	scripts/vm-run --interactive

# Dom0 of a Xen host: Xen 4.17 and Debian's kernel as PV dom0 under QEMU,
# the module as dom0's store (no xenstored daemon).  The timeout is
# multiplied by dom0's time scale (450% to 600% when idle).
xen-test: deps module-debian tests
	scripts/xen-run --timeout 300 tests/xen/run

xen-shell: deps module-debian tests
	scripts/xen-run --interactive

# Not a test: it prints figures and fails only if it cannot run.  The
# Xen rows: round trips through dom0's kernel's ring, kxenstore against
# Debian's xenstored.
bench: deps module-debian
	scripts/bench
	scripts/bench-xen

check:
	scripts/check

# Long fuzz runs: the request handler in UML (KUnit, KASAN and lockdep
# on; FUZZ_SEED=<seed> FUZZ_SEEDS=1 replays one seed a run printed), then
# in the test VM the user-space fuzzer (without and with deep paths) and
# the stress test, FUZZ_VM_SECONDS each, with their figures printed, then
# the debug kernels' tests under KCSAN (make vm-test-kcsan).
FUZZ_SEED ?= 1
FUZZ_SEEDS ?= 20
FUZZ_ITERATIONS ?= 20000
FUZZ_VM_SECONDS ?= 180
fuzz: deps module-debian tests
	KXS_KUNIT_TIMEOUT=$${KXS_KUNIT_TIMEOUT:-3600} scripts/kunit-run \
		'kxenstore_fuzz*' kxenstore.fuzz_seed=$(FUZZ_SEED) \
		kxenstore.fuzz_seeds=$(FUZZ_SEEDS) \
		kxenstore.fuzz_iterations=$(FUZZ_ITERATIONS)
	scripts/vm-run --timeout $$((4 * $(FUZZ_VM_SECONDS) + 600)) \
		--env KXS_FUZZ_SECONDS=$(FUZZ_VM_SECONDS) \
		--env KXS_STRESS_SECONDS=$(FUZZ_VM_SECONDS) \
		sh -c 'KXS_FUZZ_DEEP=0 tests/bin/fuzz && tests/bin/fuzz && \
			tests/bin/stress'
	$(MAKE) vm-test-kcsan

INSTALL_HDR_PATH ?= /usr
headers_install:
	install -D -m 0644 include/uapi/linux/kxenstore.h \
		$(DESTDIR)$(INSTALL_HDR_PATH)/include/linux/kxenstore.h

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C tests clean 2>/dev/null || true
	$(MAKE) -C bench clean 2>/dev/null || true
	rm -rf build
