#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Loading and unloading kxenstore.ko: open files pin the module, unload and
# reload start from an empty store, the device_name parameter.  Needs root
# and the module file ($KXS_MODULE); run it after every other test.  Each
# case leaves the module loaded with its default parameters.
set -eu
. "${0%/*}/lib/sh-lib.sh"

MODULE=${KXS_MODULE:-$REPO_DIR/build/debian/kxenstore.ko}
SYS=/sys/module/kxenstore
DEV=/dev/xen/xenbus
B=/kxs-test-lifecycle

CASES="
open-file-pins-module-and-counts-in-refcnt
reload-after-close-starts-with-empty-store
device-name-clash-fails-insmod-naming-the-parameter
device-name-parameter-names-the-device
device-node-is-root-only-by-default-and-mode-is-settable
bad-device-mode-fails-insmod
xen-ring-parameter-outside-xen
quota-parameters-set-the-defaults
hundred-load-cycles-leave-nothing
"

loaded() {
	[ -d $SYS ]
}

# Leave the module loaded with default parameters, whatever happened.
restore_default() {
	exec 3>&- 4>&-
	# After a timeout the case's own rmmod may have been under way:
	# only a module still loaded afterwards is worth a word.
	if loaded && [ ! -c $DEV ]; then
		rmmod kxenstore 2>/dev/null || ! loaded ||
			echo "restore: rmmod kxenstore failed" >&2
	fi
	if ! loaded; then
		insmod "$MODULE" || echo "restore: insmod $MODULE failed" >&2
	fi
}
# run first in each case's subshell
case_setup() {
	trap restore_default EXIT
}

wait_for_dev() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ -c "$1" ] && return 0
		sleep 0.2
	done
	fail "$1 did not appear"
}

refcnt() {
	local n
	read -r n <$SYS/refcnt
	echo "$n"
}

# a line in the kernel log, to look at what was logged after it
KMSG_MARK=
kmsg_mark() {
	KMSG_MARK="kxs-test: mark $$ $RANDOM"
	echo "$KMSG_MARK" >/dev/kmsg
}

kmsg_since_mark() {
	dmesg | sed -n "/$KMSG_MARK/,\$p" | tail -n +2
}

t_open_file_pins_module_and_counts_in_refcnt() {
	loaded || fail "kxenstore is not loaded at the start"
	base=$(refcnt)
	eq "$base" 0 "refcnt with no file open"
	exec 3<>$DEV
	eq "$(refcnt)" 1 "refcnt with one file open"
	exec 4<>$DEV
	eq "$(refcnt)" 2 "refcnt with two files open"
	fails rmmod kxenstore
	loaded || fail "rmmod unloaded the module while files were open"
	[ -c $DEV ] || fail "$DEV vanished after the failed rmmod"
	# the device still serves requests (through a third file)
	xs_req_eq 'READ ' read /
	eq "$(refcnt)" 2 "refcnt after xs-req closed its file"
	exec 3>&-
	eq "$(refcnt)" 1 "refcnt after closing one file"
	exec 4>&-
	eq "$(refcnt)" 0 "refcnt after closing both files"
}

# /sys/module/kxenstore/stats as "nodes N node-data N ..." on one line
stats() {
	tr '\n' ' ' <$SYS/stats | sed 's/ $//'
}

# 100 times: load, use (nodes, a watch, a checkpoint written back),
# clean up, check that only the root is left, unload (which warns, and so
# fails the VM run, if anything the module allocated is left).
t_hundred_load_cycles_leave_nothing() {
	local i want t0=$SECONDS ck=/tmp/kxs-cycle.ckpt
	want="nodes 1 node-data 1 connections 0 messages 0 transactions 0 transaction-records 0 watches 0"
	ok rmmod kxenstore
	for ((i = 0; i < 100; i++)); do
		ok insmod "$MODULE"
		wait_for_dev $DEV
		ok xenstore-write $B/c/a "$i" $B/c/b x $B/d/e y
		ok xenstore-chmod $B/c n0 r1
		timeout 5 xenstore-watch -n 1 $B >/dev/null ||
			fail "cycle $i: xenstore-watch"
		cat $SYS/checkpoint >$ck || fail "cycle $i: checkpoint"
		ok xenstore-rm $B/d
		cat $ck >$SYS/checkpoint || fail "cycle $i: restore"
		eq "$(xenstore-read $B/d/e)" y "cycle $i: restored node"
		ok xenstore-rm $B
		eq "$(stats)" "$want" "cycle $i: objects left after cleanup"
		ok rmmod kxenstore
	done
	rm -f $ck
	ok insmod "$MODULE"
	wait_for_dev $DEV
	echo "# 100 cycles in $((SECONDS - t0)) s"
}

t_reload_after_close_starts_with_empty_store() {
	xs_req_eq 'WRITE OK\0' write $B/before-reload value
	xs_req_eq 'READ value' read $B/before-reload
	eq "$(refcnt)" 0 "refcnt with no file open"
	ok rmmod kxenstore
	! loaded || fail "$SYS still exists after rmmod"
	[ ! -e $DEV ] || fail "$DEV still exists after rmmod"
	ok insmod "$MODULE"
	wait_for_dev $DEV
	eq "$(refcnt)" 0 "refcnt after insmod"
	xs_req_eq 'ERROR ENOENT\0' read $B/before-reload
	xs_req_eq 'ERROR ENOENT\0' read $B
	xs_req_eq 'READ ' read /
	# and the new store works
	xs_req_eq 'WRITE OK\0' write $B/after-reload new
	xs_req_eq 'READ new' read $B/after-reload
	xs_req_eq 'RM OK\0' rm $B
}

t_device_name_clash_fails_insmod_naming_the_parameter() {
	[ -c /dev/cpu_dma_latency ] ||
		fail "/dev/cpu_dma_latency (PM QoS) is missing: nothing to clash with"
	ok rmmod kxenstore
	kmsg_mark
	fails insmod "$MODULE" device_name=cpu_dma_latency
	! loaded || fail "kxenstore is loaded after the failed insmod"
	log=$(kmsg_since_mark)
	printf '%s\n' "$log" | grep -q device_name ||
		fail "no kernel message mentions device_name; log after insmod:
$log"
	! printf '%s\n' "$log" | grep -qE 'Call Trace|cannot create duplicate|WARNING: ' ||
		fail "the refused insmod logged a stack trace or warning:
$log"
	# the existing device is untouched
	[ -c /dev/cpu_dma_latency ] || fail "/dev/cpu_dma_latency vanished"
	ok insmod "$MODULE"
	wait_for_dev $DEV
	xs_req_eq 'READ ' read /
}

t_device_name_parameter_names_the_device() {
	ok rmmod kxenstore
	ok insmod "$MODULE" device_name=xen/xenbus-test
	wait_for_dev /dev/xen/xenbus-test
	[ ! -e $DEV ] || fail "$DEV exists with device_name=xen/xenbus-test"
	xs_req_eq 'WRITE OK\0' -d /dev/xen/xenbus-test write $B/named yes
	xs_req_eq 'READ yes' -d /dev/xen/xenbus-test read $B/named
	xs_req_eq 'DIRECTORY named\0' -d /dev/xen/xenbus-test directory $B
	run env XENSTORED_PATH=/dev/xen/xenbus-test xenstore-read $B/named
	eq "$RC:$OUT" "0:yes" "xenstore-read on /dev/xen/xenbus-test"
	ok rmmod kxenstore
	[ ! -e /dev/xen/xenbus-test ] ||
		fail "/dev/xen/xenbus-test still exists after rmmod"
	ok insmod "$MODULE"
	wait_for_dev $DEV
	xs_req_eq 'ERROR ENOENT\0' read $B/named
}

mode_of() {
	stat -c %a "$1"
}

t_device_node_is_root_only_by_default_and_mode_is_settable() {
	eq "$(mode_of $DEV)" 600 "mode of $DEV by default"
	eq "$(cat $SYS/parameters/device_mode)" 384 "device_mode (0600)"
	ok rmmod kxenstore
	ok insmod "$MODULE" device_mode=0660
	wait_for_dev $DEV
	eq "$(mode_of $DEV)" 660 "mode of $DEV with device_mode=0660"
	# a user that may open it is served (nobody: uid 65534)
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$XS_REQ" read /
	eq "$RC" 1 "xs-req as nobody with mode 0660 (no access: 0660 root:root)"
	ok rmmod kxenstore
	ok insmod "$MODULE" device_mode=0666
	wait_for_dev $DEV
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$XS_REQ" read /
	eq "$RC:$OUT" "0:READ " "xs-req as nobody with mode 0666"
	ok rmmod kxenstore
	ok insmod "$MODULE"
	wait_for_dev $DEV
	eq "$(mode_of $DEV)" 600 "mode of $DEV after reload with defaults"
}

t_bad_device_mode_fails_insmod() {
	ok rmmod kxenstore
	kmsg_mark
	fails insmod "$MODULE" device_mode=01777
	! loaded || fail "kxenstore is loaded with device_mode=01777"
	kmsg_since_mark | grep -q device_mode ||
		fail "no kernel message names device_mode"
	ok insmod "$MODULE"
	wait_for_dev $DEV
}

# Not a Xen dom0: auto serves only the device, on fails, junk is refused.
t_xen_ring_parameter_outside_xen() {
	eq "$(cat $SYS/parameters/xen_ring)" auto "xen_ring default"
	eq "$(cat $SYS/parameters/device_name)" xen/xenbus \
		"device_name outside Xen"
	ok rmmod kxenstore
	kmsg_mark
	fails insmod "$MODULE" xen_ring=on
	! loaded || fail "kxenstore is loaded with xen_ring=on outside Xen"
	kmsg_since_mark | grep -q "xen_ring=on: not a Xen dom0" ||
		fail "no kernel message says why xen_ring=on failed"
	kmsg_mark
	fails insmod "$MODULE" xen_ring=maybe
	! loaded || fail "kxenstore is loaded with xen_ring=maybe"
	kmsg_since_mark | grep -q "xen_ring=maybe: not one of" ||
		fail "no kernel message names xen_ring=maybe"
	ok insmod "$MODULE" xen_ring=off
	wait_for_dev $DEV
	ok rmmod kxenstore
	ok insmod "$MODULE"
	wait_for_dev $DEV
}

t_quota_parameters_set_the_defaults() {
	for q in nodes watches transactions node_size permissions; do
		[ -r $SYS/parameters/quota_$q ] ||
			fail "no parameter quota_$q"
	done
	eq "$(cat $SYS/parameters/quota_nodes)" 1000 "quota_nodes default"
	ok rmmod kxenstore
	ok insmod "$MODULE" quota_nodes=7 quota_transactions=3
	wait_for_dev $DEV
	eq "$(cat $SYS/parameters/quota_nodes)" 7 "quota_nodes"
	eq "$(cat $SYS/parameters/quota_transactions)" 3 "quota_transactions"
	run "$XS_REQ" get-quota nodes
	eq "$RC:$OUT" "0:GET_QUOTA 7\0" "GET_QUOTA nodes"
	ok rmmod kxenstore
	ok insmod "$MODULE"
	wait_for_dev $DEV
}

sh_main "$@"
