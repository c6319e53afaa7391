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
#   make xen-guest-test  guests on that host (XEN_GUEST_STORE=--xenstored:
#                     Debian's daemon instead of the module)
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
#   make install      build, then install kxenstore.ko into
#                     /lib/modules/<kernel>/updates/ and run depmod
#                     (make uninstall: the reverse)
#   make dkms-install the sources into /usr/src/kxenstore-<version>,
#                     registered with DKMS, built and installed for the
#                     kernel of $(KDIR) (make dkms-remove: the reverse)
#   make deb          the Debian packages of HEAD in build/deb/
#                     (scripts/build-deb)
#   make package-test build the packages, install, upgrade and purge them
#                     on this machine, and test the installed module in
#                     the test VM (tests/package/run; in make check)

DEBIAN_KDIR = /usr/src/linux-headers-$(shell scripts/debian-kver)
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) $(DEBIAN_KDIR))

.PHONY: all module modules clean deps lint kunit module-debian module-6.12 \
	modules-all tests vm-test demo shell check headers_install bench fuzz \
	module-kasan module-kcsan vm-test-kasan vm-test-kcsan xen-test xen-shell \
	install uninstall dkms-source dkms-install dkms-remove deb package-test \
	xen-guest-test

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
	scripts/xen/guest-image
	scripts/xen-run --timeout 600 tests/xen/run

xen-shell: deps module-debian tests
	scripts/xen-run --interactive

# Real guests on that host (tests/xen/guests.sh, two boots of several
# guests each): with the module as the store by default, with Debian's
# xenstored when XEN_GUEST_STORE=--xenstored.
XEN_GUEST_STORE ?=
xen-guest-test: deps module-debian tests
	scripts/xen/guest-image
	scripts/xen-run $(XEN_GUEST_STORE) --timeout 600 tests/xen/guests.sh

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

# ---- installing (admin-guide.rst, "Installing, upgrading and removing") ----

# The release of the kernel in $(KDIR), and the package version.
KVER = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(KDIR)/include/generated/utsrelease.h)
KXS_VERSION ?= $(shell scripts/version)
# The root of the installed tree (a staging directory: INSTALL_MOD_PATH=DIR).
INSTALL_MOD_PATH ?=
DEPMOD = depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)

install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates \
		$(if $(INSTALL_MOD_PATH),INSTALL_MOD_PATH=$(INSTALL_MOD_PATH)) \
		modules_install
	$(DEPMOD)

uninstall:
	rm -f $(INSTALL_MOD_PATH)/lib/modules/$(KVER)/updates/kxenstore.ko
	$(DEPMOD)

# The module's sources as DKMS builds them, in
# $(DESTDIR)/usr/src/kxenstore-$(KXS_VERSION); dkms.conf with its version
# (the Debian package has dh_dkms install it).
DKMS_SRC = $(DESTDIR)/usr/src/kxenstore-$(KXS_VERSION)
dkms-source:
	@[ -n "$(KXS_VERSION)" ] || { echo "no version (KXS_VERSION=)" >&2; exit 1; }
	install -d $(DKMS_SRC)
	install -m 0644 Kbuild Kconfig $(DKMS_SRC)/
	cp -R drivers include $(DKMS_SRC)/
	find $(DKMS_SRC) -type f ! -name '*.[ch]' ! -name Kbuild \
		! -name Kconfig -delete
	chmod -R u=rwX,go=rX $(DKMS_SRC)
	$(if $(NO_DKMS_CONF),,sed 's/#MODULE_VERSION#/$(KXS_VERSION)/' dkms.conf \
		>$(DKMS_SRC)/dkms.conf)

# For the kernel of $(KDIR) (the running one, or Debian's); DKMS builds
# it for each kernel installed later.
dkms-install: dkms-source
	dkms install kxenstore/$(KXS_VERSION) -k $(KVER)

dkms-remove:
	dkms remove kxenstore/$(KXS_VERSION) --all
	rm -rf $(DKMS_SRC)

deb:
	scripts/build-deb

package-test: deps tests
	tests/package/run

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C tests clean 2>/dev/null || true
	$(MAKE) -C bench clean 2>/dev/null || true
	rm -rf build
