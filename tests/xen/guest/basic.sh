# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# A well-behaved guest, one of a pair (tests/xen/guests.sh starts a PV
# and a PVH one at once).  Each step waits for dom0's go (data/kxs/go),
# does its part and answers in data/kxs/res/CHECK; dom0 checks its own
# side.  It ends waiting for "exit", or for dom0 to shut it down or
# destroy it.
# shellcheck source=tests/xen/guest/lib.sh
. /scripts/lib.sh

# denied OP PATH [VALUE]: guest-xs OP must fail with EACCES
denied() {
	if out=$(guest-xs "$@" 2>&1); then
		echo "'$*' succeeded: $out"
		return 1
	fi
	case $out in
	*"Permission denied"*) return 0 ;;
	esac
	echo "'$*': $out"
	return 1
}

own_home() {
	xenstore-write data/hello "from $DOMID" &&
		xenstore-write "$HOME_XS/data/abs" yes &&
		[ "$(xenstore-read data/hello)" = "from $DOMID" ] &&
		[ "$(xenstore-read "$HOME_XS/data/abs")" = yes ] &&
		denied set "$HOME_XS/kxs-evil" x
}

no_private() {
	denied read /kxs-private/secret &&
		denied set /kxs-private/secret guest &&
		denied set /kxs-guest-at-root x &&
		denied set /local/domain/0/kxs-guest x
}

no_peer() {
	peer=$(xenstore-read data/kxs/peer) &&
		denied read "/local/domain/$peer/data/hello" &&
		denied set "/local/domain/$peer/data/hello" evil &&
		denied set "/local/domain/$peer/data/new" evil
}

# guest_watch: a watch of data/kxs/ping fires on dom0's write
guest_watch() {
	rm -f /tmp/watch
	xenstore-watch -n 2 data/kxs/ping >/tmp/watch 2>&1 &
	pid=$!
	i=0
	# its first event says it is set
	while [ ! -s /tmp/watch ] && [ $i -lt 300 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	state watching
	await pinged
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	kill $pid 2>/dev/null && { echo "no event in 60 s: $(cat /tmp/watch)"; return 1; }
	got=$(cat /tmp/watch)
	want=$(printf 'data/kxs/ping\ndata/kxs/ping')
	[ "$got" = "$want" ] || { echo "events: $got"; return 1; }
}

# tx WHAT WANT: a transaction reads and writes data/t while dom0 writes
# (data/kxs/go tx-WHAT-written); the commit must say WANT
tx() {
	out=$(guest-xs tx read data/t set data/kxs/state "tx-$1" \
		wait data/kxs/go "tx-$1-written" write data/t "guest-$1" commit 2>&1) ||
		{ echo "$out"; return 1; }
	[ "${out##*
}" = "commit $2" ] || { echo "$out"; return 1; }
}

xenstore-write data/t initial
state booted
await checks
xenstore-write data/kxs/seen "$(xenstore-read domid) $(xenstore-read name)"
check own-home own_home
check no-private no_private
state written

await peers
check no-peer no_peer
state peer-checked

await watch-write
xenstore-write data/w "guest $DOMID"
state wrote-w

check guest-watch guest_watch

check tx-conflict tx same EAGAIN
check tx-no-conflict tx other ok
state basic-done

# then dom0's: shutdown, destroy, or exit
guest-xs -t 3600 wait data/kxs/go exit
