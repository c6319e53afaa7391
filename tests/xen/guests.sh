#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Real Xen guests served by the store, from dom0 of scripts/xen-run:
#
#   scripts/xen/guest-image && scripts/xen-run --xenstored --timeout 600 \
#       tests/xen/guests.sh          (make xen-guest-test)
#
# Two boots of guests, each of several guests at once (a guest run costs
# minutes under TCG: every check that can share a boot does):
#
#   1. kxs-a (PV) and kxs-b (PVH), tests/xen/guest/basic.sh: domid and
#      name, their homes, dom0's private nodes and each other's home out
#      of reach, watches both ways, a transaction against dom0's writes;
#      then xl shutdown of one and xl destroy of the other.
#   2. kxs-n (PV, fresh.sh), started after them: nothing of theirs in its
#      home; beside it three hostile guests (hostile.sh, kxs_hostile.ko),
#      each a flood of valid requests and then one of: a truncated
#      message, an oversize one, req_prod more than a ring ahead.  Dom0
#      and kxs-n keep working.
#
# Dom0 and a guest meet in the guest's data/kxs/ (tests/xen/guest/lib.sh):
# the guest's state, dom0's go, the guest's answers in res/.  The cases
# run in order and share the guests: run them all, or from the first on;
# the first boot's cases (guests-boot to xl-destroy-fires-...) and the
# second's (guests-boot-again to guests-end) also run alone.  Every case
# holds for any store (KXS_XEN_STORE: xenstored, Debian's daemon, or
# kxenstore); none is specific to one.
set -eu
# shellcheck source=tests/lib/sh-lib.sh
. "${0%/*}/../lib/sh-lib.sh"

GUEST=$REPO_DIR/scripts/xen/guest
# What the cases share (each runs in a subshell): domids, watch output.
RUN=/run/kxs-guests-test
STORE=${KXS_XEN_STORE:-none}
scale=${KXS_TIME_SCALE:-100}
[[ $scale =~ ^[0-9]+$ ]] && [ "$scale" -ge 100 ] || scale=100

# shellcheck disable=SC2034 # sh_main reads it
CASES="
guests-boot
guest-reads-its-domid-and-name
guest-writes-below-its-home
guest-cannot-reach-dom0s-private-nodes
guest-cannot-reach-another-guests-home
dom0-watch-fires-on-guest-write
guest-watch-fires-on-dom0-write
guest-transaction-conflicts-with-dom0-write
guest-transaction-commits-beside-unrelated-write
xl-shutdown-fires-release-domain-and-cleans-up
xl-destroy-fires-release-domain-and-cleans-up
guests-boot-again
new-guest-inherits-nothing
hostile-floods-leave-them-working
hostile-truncated-message
hostile-oversize-message
hostile-ring-index-out-of-range
others-keep-working-after-hostile-guests
guests-end
"

# dom0's uptime in whole seconds (a process start costs a second here)
now() {
	local up _
	read -r up _ </proc/uptime
	echo "${up%.*}"
}

domid() {
	cat "$RUN/domid-$1"
}

home() {
	echo "/local/domain/$(domid "$1")"
}

# start NAME TYPE SCRIPT [ARG...]: a guest kxs-NAME
start() {
	local name=$1 type=$2 script=$3 a args=()
	shift 3
	for a in "$@"; do
		args+=(--arg "$a")
	done
	echo "kxs-$name: xl create at $(now) s"
	ok "$GUEST" start --type "$type" "${args[@]}" "kxs-$name" "$script"
	echo "$OUT" >"$RUN/domid-$name"
	echo "kxs-$name: domid $OUT ($type, $script) at $(now) s"
}

# console NAME: the guest's console log from its script's start (for a
# failure's message)
console() {
	"$GUEST" log "kxs-$1" 2>&1 | sed -n '/^KXS-GUEST-START/,$p' | tail -n 40
}

# xs_wait NAME PATH [VALUE]: until PATH (below guest NAME's home unless
# absolute) exists, and reads VALUE if given; its value in OUT.  Fails
# when the guest is gone or after 120 s (times the time scale).
xs_wait() {
	local name=$1 path=$2 end v='' what
	[[ $path == /* ]] || path=$(home "$name")/$path
	end=$(($(now) + 120 * scale / 100))
	while :; do
		if v=$(xenstore-read "$path" 2>/dev/null); then
			[ $# -lt 3 ] || [ "$v" = "$3" ] && { OUT=$v; return 0; }
		elif ! exists "$(home "$name")"; then
			fail "guest kxs-$name is gone; waited for $path${3:+ = $3}; its console:
$(console "$name")"
		fi
		if [ "$(now)" -ge "$end" ]; then
			what="$path does not exist"
			[ $# -lt 3 ] || what="$path is \"$v\", not \"$3\""
			fail "$what after $((120 * scale / 100)) s; kxs-$name's console:
$(console "$name")"
		fi
		sleep 1
	done
}

# exists PATH: 0 if PATH exists, 1 if not (xenstore-exists's status);
# anything else is tried again, then fails.  (Debian's libxenstore
# clients have been seen to segfault now and then on an absent node.)
exists() {
	local i
	for i in 1 2 3; do
		run xenstore-exists "$1"
		case $RC in
		0 | 1) return "$RC" ;;
		esac
		echo "xenstore-exists $1: exit $RC (try $i) $ERR"
	done
	fail "xenstore-exists $1: exit $RC $OUT $ERR"
}

# absent PATH: PATH must not exist
absent() {
	! exists "$1" || fail "$1 exists"
}

# go NAME WHAT: dom0's go to guest NAME
go() {
	ok xenstore-write "$(home "$1")/data/kxs/go" "$2"
}

# reached NAME STATE: the guest says it is at STATE
reached() {
	xs_wait "$1" data/kxs/state "$2"
}

# answer NAME CHECK: the guest's answer to CHECK must be ok
answer() {
	xs_wait "$1" "data/kxs/res/$2"
	[ "$OUT" = ok ] || fail "kxs-$1: $2: $OUT"
}

# watch_start FILE PATH: a dom0 watch of PATH for two events (its first,
# on being set, and one more), output to FILE; its pid in WATCH_PID
watch_start() {
	rm -f "$1"
	timeout $((120 * scale / 100)) xenstore-watch -n 2 "$2" >"$1" 2>&1 &
	WATCH_PID=$!
	for _ in $(seq 150); do
		[ -s "$1" ] && return 0
		sleep 0.2
	done
	fail "xenstore-watch $2 gave no first event"
}

# watch_end FILE WANT: the watch must have ended with WANT
watch_end() {
	wait "$WATCH_PID" || fail "xenstore-watch: exit $?: $(cat "$1")"
	eq "$(cat "$1")" "$2" "the watch's events"
}

# gone NAME: the domain and its nodes are gone (the toolstack's cleanup
# follows @releaseDomain: wait for it)
gone() {
	local d h end
	d=$(domid "$1") h=$(home "$1")
	end=$(($(now) + 60 * scale / 100))
	while exists "$h" || xl domid "kxs-$1" >/dev/null 2>&1; do
		[ "$(now)" -lt "$end" ] || fail "$h or domain $d still there"
		sleep 1
	done
	absent "/libxl/$d"
	ok xenstore-list /local/domain
	case " ${OUT//$'\n'/ } " in
	*" $d "*) fail "/local/domain lists $d: $OUT" ;;
	esac
}

store_works() {
	ok xenstore-write /kxs-guests/dom0 "$1"
	ok xenstore-read /kxs-guests/dom0
	eq "$OUT" "$1" "dom0's write and read"
	ok /usr/lib/xen-4.17/bin/xenstore-control check
	eq "$OUT" OK "xenstore-control check"
}

t_guests_boot() {
	echo "store: $STORE, time scale $scale%"
	rm -rf "$RUN"
	mkdir -p "$RUN"
	ok xenstore-write /kxs-private/secret s3cret
	ok xenstore-chmod /kxs-private n0
	start a pv basic
	start b pvh basic
	reached a booted
	reached b booted
	ok xenstore-write "$(home a)/data/kxs/peer" "$(domid b)"
	ok xenstore-write "$(home b)/data/kxs/peer" "$(domid a)"
	ok xenstore-write "$(home a)/data/kxs/other" dom0
	ok xenstore-write "$(home b)/data/kxs/other" dom0
}

t_guest_reads_its_domid_and_name() {
	local g
	go a checks
	go b checks
	for g in a b; do
		xs_wait $g data/kxs/seen
		eq "$OUT" "$(domid $g) kxs-$g" "what kxs-$g read as domid and name"
	done
}

t_guest_writes_below_its_home() {
	local g
	for g in a b; do
		answer $g own-home
		ok xenstore-read "$(home $g)/data/hello"
		eq "$OUT" "from $(domid $g)" "kxs-$g's data/hello"
		ok xenstore-read "$(home $g)/data/abs"
		eq "$OUT" yes "kxs-$g's data/abs"
		# the home itself is the toolstack's: read-only to the guest
		absent "$(home $g)/kxs-evil"
		# its node, created by it
		ok xenstore-ls -p "$(home $g)/data"
		echo "$OUT" | grep -Eq "^hello = \"from $(domid $g)\".*\\(n$(domid $g)\\)\$" ||
			fail "kxs-$g's data/hello is not its own: $OUT"
	done
}

t_guest_cannot_reach_dom0s_private_nodes() {
	local g
	for g in a b; do
		answer $g no-private
	done
	ok xenstore-read /kxs-private/secret
	eq "$OUT" s3cret "dom0's private node"
	absent /kxs-guest-at-root
	absent /local/domain/0/kxs-guest
}

t_guest_cannot_reach_another_guests_home() {
	local g
	reached a written
	reached b written
	go a peers
	go b peers
	for g in a b; do
		answer $g no-peer
		ok xenstore-read "$(home $g)/data/hello"
		eq "$OUT" "from $(domid $g)" "kxs-$g's data/hello after the other's tries"
		absent "$(home $g)/data/new"
	done
}

t_dom0_watch_fires_on_guest_write() {
	local g f=$RUN/watch-w
	for g in a b; do
		reached $g peer-checked
		watch_start "$f" "$(home $g)/data/w"
		go $g watch-write
		watch_end "$f" "$(home $g)/data/w
$(home $g)/data/w"
		ok xenstore-read "$(home $g)/data/w"
		eq "$OUT" "guest $(domid $g)" "kxs-$g's data/w"
	done
}

t_guest_watch_fires_on_dom0_write() {
	local g
	for g in a b; do
		reached $g watching
		ok xenstore-write "$(home $g)/data/kxs/ping" 1
		go $g pinged
		answer $g guest-watch
	done
}

t_guest_transaction_conflicts_with_dom0_write() {
	local g
	for g in a b; do
		reached $g tx-same
		ok xenstore-write "$(home $g)/data/t" dom0
		go $g tx-same-written
		answer $g tx-conflict
		ok xenstore-read "$(home $g)/data/t"
		eq "$OUT" dom0 "kxs-$g's data/t after the conflict"
	done
}

t_guest_transaction_commits_beside_unrelated_write() {
	local g
	for g in a b; do
		reached $g tx-other
		ok xenstore-write "$(home $g)/data/kxs/other" dom0-again
		go $g tx-other-written
		answer $g tx-no-conflict
		ok xenstore-read "$(home $g)/data/t"
		eq "$OUT" guest-other "kxs-$g's data/t after its commit"
	done
}

t_xl_shutdown_fires_release_domain_and_cleans_up() {
	local f=$RUN/watch-release
	reached a basic-done
	watch_start "$f" @releaseDomain
	# The guest's kernel hears control/shutdown and powers off.
	ok timeout $((120 * scale / 100)) xl shutdown -w kxs-a
	watch_end "$f" "@releaseDomain
@releaseDomain"
	gone a
	store_works after-shutdown
	case $(console a) in
	*KXS-GUEST-POWEROFF*) ;;
	*) fail "kxs-a did not power off by itself: $(console a)" ;;
	esac
}

t_xl_destroy_fires_release_domain_and_cleans_up() {
	local f=$RUN/watch-release
	reached b basic-done
	watch_start "$f" @releaseDomain
	ok xl destroy kxs-b
	watch_end "$f" "@releaseDomain
@releaseDomain"
	gone b
	store_works after-destroy
}

t_guests_boot_again() {
	# (also the first case of a run of the second boot's cases alone)
	mkdir -p "$RUN"
	start n pv fresh
	start h1 pv hostile truncated
	start h2 pv hostile oversize
	start h3 pvh hostile badidx
	local g
	for g in n h1 h2 h3; do
		reached $g booted
	done
}

t_new_guest_inherits_nothing() {
	local g
	go n checks
	answer n nothing-inherited
	answer n works-before
	# Xen gives a new domain the next free domid, and libxl avoids
	# recent ones: no reuse here, but nothing of the old ones is left.
	for g in a b; do
		[ -e "$RUN/domid-$g" ] || continue
		[ "$(domid n)" != "$(domid $g)" ] ||
			echo "kxs-n reuses kxs-$g's domid $(domid n)"
		absent "$(home $g)"
	done
}

t_hostile_floods_leave_them_working() {
	local g
	for g in h1 h2 h3; do
		go $g flood
	done
	for g in h1 h2 h3; do
		answer $g flood-then-works
	done
	store_works after-floods
	go n recheck-1
	answer n works-after-floods
}

# hostile NAME ACTION: guest NAME does ACTION and ends; dom0 still works
hostile() {
	reached "$1" flooded
	go "$1" "$2"
	ok "$GUEST" wait "kxs-$1"
	echo "$OUT" | grep -E "kxs_hostile: ($2|before|flood)" || true
	case $OUT in
	*"kxs_hostile: $2: "*"kxs_hostile: done"*) ;;
	*) fail "kxs-$1 did not report $2: $OUT" ;;
	esac
	gone "$1"
	store_works "after-$2"
}

t_hostile_truncated_message() {
	hostile h1 truncated
}

t_hostile_oversize_message() {
	hostile h2 oversize
}

t_hostile_ring_index_out_of_range() {
	hostile h3 badidx
}

t_others_keep_working_after_hostile_guests() {
	reached n rechecked-1
	go n recheck-2
	answer n works-after-hostiles
	ok xenstore-read "$(home n)/data/after"
	eq "$OUT" after-hostiles "kxs-n's write after the hostile guests"
	ok xl list
	store_works after-hostile
}

t_guests_end() {
	go n exit
	ok "$GUEST" wait kxs-n
	gone n
	ok xl list
	eq "$(echo "$OUT" | tail -n +2 | awk '{ print $1 }')" Domain-0 "xl list"
	ok xenstore-list /local/domain
	eq "$OUT" 0 "/local/domain"
	! exists /kxs-private || ok xenstore-rm /kxs-private
	store_works end
	ok xenstore-rm /kxs-guests
}

sh_main "$@"
