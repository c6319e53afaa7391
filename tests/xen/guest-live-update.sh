#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A live update of kxenstore while a guest uses its ring (issue 23), in
# dom0 of scripts/xen-run: the guest (tests/xen/guest/live-update.sh)
# loops WRITE and READ of a counter with a watch set; dom0 runs
# scripts/live-update, which carries the guest's domain, its watch and
# its ring (checkpoint_domains, guest-ring quiet, xen_ring=off), and the
# new module maps the ring again and goes on from its indexes.  Every
# reply the guest gets is the right one, its watch hears a write made
# after the update, and the toolstack still sees it.  Needs the module
# serving guests (KXS_XEN_STORE=kxenstore).
set -eu
# shellcheck source=tests/lib/sh-lib.sh
. "${0%/*}/../lib/sh-lib.sh"

GUEST=$REPO_DIR/scripts/xen/guest
KO=${KXS_MODULE:-$REPO_DIR/build/debian/kxenstore.ko}
scale=${KXS_TIME_SCALE:-100}
[[ $scale =~ ^[0-9]+$ ]] && [ "$scale" -ge 100 ] || scale=100

# shellcheck disable=SC2034 # sh_main reads it
CASES="
live-update-keeps-a-guest
"

now() {
	local up _
	read -r up _ </proc/uptime
	echo "${up%.*}"
}

# xs_wait PATH [VALUE]: until PATH exists (and reads VALUE); value in OUT
xs_wait() {
	local end v
	end=$(($(now) + 180 * scale / 100))
	while :; do
		if v=$(xenstore-read "$1" 2>/dev/null) &&
			{ [ $# -lt 2 ] || [ "$v" = "$2" ]; }; then
			OUT=$v
			return 0
		fi
		[ "$(now)" -lt "$end" ] ||
			fail "$1 is '${v:-}' (wanted ${2:-it to exist}); the guest's console:
$("$GUEST" log kxs-lu 2>&1 | tail -n 30)"
		sleep 1
	done
}

t_live_update_keeps_a_guest() {
	local d h before after
	[ "${KXS_XEN_STORE:-}" = kxenstore ] ||
		fail "the module is not the store (${KXS_XEN_STORE:-none})"
	ok "$GUEST" start --type pv kxs-lu live-update
	d=$OUT h=/local/domain/$OUT
	xs_wait "$h/data/kxs/state" looping
	xs_wait "$h/data/kxs/loops"
	before=$OUT
	ok cat /sys/module/kxenstore/parameters/checkpoint_domains
	eq "$OUT" N "checkpoint_domains before"
	ok "$REPO_DIR/scripts/live-update" "$KO"
	echo "$OUT"
	ok cat /sys/module/kxenstore/parameters/checkpoint_domains
	eq "$OUT" N "checkpoint_domains after"
	ok dmesg
	case $OUT in
	*"domain $d: serving its ring (event channel"*) ;;
	*) fail "no 'domain $d: serving its ring' after the update" ;;
	esac
	# The guest goes on: more loops, through the new module.
	xs_wait "$h/data/kxs/loops"
	after=$OUT
	local end=$(($(now) + 120 * scale / 100))
	while [ "$after" = "$before" ] || [ "$after" -le "$before" ]; do
		[ "$(now)" -lt "$end" ] ||
			fail "the guest looped no more after the update ($before)"
		sleep 1
		after=$(xenstore-read "$h/data/kxs/loops")
	done
	ok xenstore-write "$h/data/kxs/go" "done"
	xs_wait "$h/data/kxs/res/loop"
	eq "$OUT" ok "the guest's loop"
	ok xenstore-write "$h/data/kxs/ping" after
	ok xenstore-write "$h/data/kxs/go" ping-written
	xs_wait "$h/data/kxs/res/watch"
	eq "$OUT" ok "the guest's watch after the update"
	ok xl list kxs-lu
	ok xenstore-write "$h/data/kxs/go" exit
	ok xl destroy kxs-lu
	end=$(($(now) + 60 * scale / 100))
	while xenstore-exists "$h" 2>/dev/null; do
		[ "$(now)" -lt "$end" ] || fail "$h still there after xl destroy"
		sleep 1
	done
	ok /usr/lib/xen-4.17/bin/xenstore-control check
	eq "$OUT" OK "xenstore-control check"
}

sh_main "$@"
