# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Usage (a guest script): hostile ACTION [FLOOD]
#
# A guest that misbehaves on its own xenstore ring with kxs_hostile.ko
# (tests/xen/hostile-guest/): first FLOOD (default 1000) valid READs as
# fast as the ring takes them, after which its xenstore must still work;
# then ACTION (truncated, oversize or badidx), after which the server may
# drop it: from then on it reports on the console only, prints the
# module's lines ("kxs_hostile: ...": the ring as the server left it) and
# ends.  With ACTION "reconnect-then-X" it asks for a reconnect after
# the flood and before X (a server that offers XENSTORE_RECONNECT).
# shellcheck source=tests/xen/guest/lib.sh
. /scripts/lib.sh

action=${1:?usage: hostile ACTION [FLOOD]}
flood=${2:-1000}

hostile() {
	insmod /lib/kxs_hostile.ko "$@" || return 1
	dmesg | grep 'kxs_hostile: ' | sed 's/^\[[ 0-9.]*\] //'
	dmesg -c >/dev/null
	rmmod kxs_hostile
}

state booted
await flood
dmesg -c >/dev/null
hostile "flood=$flood"
check flood-then-works [ "$(xenstore-read domid)" = "$DOMID" ]
state flooded

await "$action"
say "$action: the ring's server may drop this guest from here on"
case $action in
reconnect-then-*)
	hostile reconnect=1
	action=${action#reconnect-then-}
	;;
esac
hostile "$action=1"
say "$action: done"
