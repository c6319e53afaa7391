# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Sourced by the guest scripts (busybox sh in a guest of
# tests/xen/guests.sh; /scripts/lib.sh in the guest's initramfs).
#
# A guest and dom0 meet in the guest's data/kxs/ (relative paths are
# below its home, /local/domain/DOMID; the toolstack makes the home
# read-only to the guest and data/ writable): the guest writes
# data/kxs/state (what it has done), dom0 writes data/kxs/go (what the
# guest may do next), and the guest answers each check in
# data/kxs/res/NAME: "ok" or "fail: why".  Nodes dom0 creates there
# belong to the guest (they inherit data/'s permissions).

DOMID=$(xenstore-read domid)
# shellcheck disable=SC2034 # for the scripts
HOME_XS=/local/domain/$DOMID

say() {
	echo "guest $DOMID: $*"
}

# state WHAT: tell dom0 what this guest has done
state() {
	xenstore-write data/kxs/state "$1"
}

# await WHAT: wait until dom0 writes WHAT to data/kxs/go
await() {
	guest-xs wait data/kxs/go "$1"
}

# result NAME ok | result NAME fail WHY: one check's answer for dom0
result() {
	r_name=$1
	if [ "$2" = ok ]; then
		say "ok - $r_name"
		xenstore-write "data/kxs/res/$r_name" ok
	else
		shift 2
		say "not ok - $r_name: $*"
		xenstore-write "data/kxs/res/$r_name" "fail: $*"
	fi
}

# check NAME CMD...: result NAME from CMD's exit status (its output kept
# in $OUT and shown on a failure)
check() {
	name=$1
	shift
	if OUT=$("$@" 2>&1); then
		result "$name" ok
	else
		result "$name" fail "'$*': $OUT"
	fi
}
