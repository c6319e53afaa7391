#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kxenstore as dom0's xenstored, in the dom0 of scripts/xen-run: the
# module serves the ring of dom0's own kernel, no daemon runs.  Clients
# reach the store two ways: through the kernel's /dev/xen/xenbus (the
# kernel's xenbus frontend, which relays to the ring) and through the
# module's own device, /dev/xen/kxenstore.
set -eu
. "${0%/*}/../lib/sh-lib.sh"

RING=/dev/xen/xenbus
DEV=/dev/xen/kxenstore
B=/kxs-xen
# Debian's Python, with tests/xen/xsraw.py (raw messages) importable
PY=/usr/bin/python3
PYTHONPATH=$(cd "${0%/*}" && pwd)
export PYTHONPATH

CASES="
module-serves-the-kernel-ring
xen-init-dom0-wrote-domain-0
both-devices-show-one-store
dom0-userland-without-a-daemon
watch-through-the-ring-hears-the-device
messages-larger-than-the-ring
replies-unread-while-requests-flood
clients-and-watch-events-at-once
rmmod-is-refused-while-serving
live-update-keeps-the-ring
xenstored-cannot-start-beside-it
set-perms-names-only-existing-domains
"

# xs DEVICE CMD...: a xenstore-utils command on DEVICE
xs() {
	XENSTORED_PATH=$1 "${@:2}"
}

t_module_serves_the_kernel_ring() {
	ok dmesg
	case $OUT in
	*"serving dom0's xenstore ring"*) ;;
	*) fail "no 'serving dom0's xenstore ring' in the kernel log" ;;
	esac
	case $OUT in
	*"serving guests (domctl interface version 0x15)"*) ;;
	*) fail "no 'serving guests (domctl interface version 0x15)' in the kernel log" ;;
	esac
	ok grep -c ' kxenstore-domexc$' /proc/interrupts
	eq "$OUT" 1 "VIRQ_DOM_EXC bound by the module"
	ok cat /sys/module/kxenstore/parameters/device_name
	eq "$OUT" xen/kxenstore "device_name in a Xen dom0"
	# The kernel's xenbus took events on its channel: it is up.
	ok grep -E ' xenbus$' /proc/interrupts
	[[ $OUT =~ ^[[:space:]]*[0-9]+:[[:space:]]+([0-9]+) ]] ||
		fail "no count in '$OUT'"
	n=0
	for c in $OUT; do
		[[ $c =~ ^[0-9]+$ ]] && n=$((n + c))
	done
	[ "$n" -gt 0 ] || fail "the xenbus interrupt counted no event: $OUT"
	ok xs $RING "$XS_REQ" -d $RING read /local/domain/0/domid
	eq "$OUT" "READ 0" "domid through the kernel's xenbus"
}

t_xen_init_dom0_wrote_domain_0() {
	ok xs $RING xenstore-read /local/domain/0/name
	eq "$OUT" "Domain-0" "/local/domain/0/name"
	ok xs $DEV xenstore-read /local/domain/0/name
	eq "$OUT" "Domain-0" "/local/domain/0/name through $DEV"
}

t_both_devices_show_one_store() {
	ok xs $RING xenstore-write $B/one/a "through the ring"
	ok xs $DEV xenstore-read $B/one/a
	eq "$OUT" "through the ring" "read through $DEV"
	ok xs $DEV xenstore-write $B/one/b "through the device"
	ok xs $RING xenstore-read $B/one/b
	eq "$OUT" "through the device" "read through $RING"
	ok xs $RING xenstore-rm $B/one
	fails xs $DEV xenstore-read $B/one/a
}

# Debian's dom0 tools, each through the kernel's ring (libxenstore finds
# no daemon socket and opens /dev/xen/xenbus).
t_dom0_userland_without_a_daemon() {
	[ ! -e /run/xenstored/socket ] || fail "a daemon's socket exists"
	ok xl list
	case $OUT in
	*"Domain-0 "*) ;;
	*) fail "xl list: $OUT" ;;
	esac
	ok xl info
	case $OUT in
	*"xen_version "*) ;;
	*) fail "xl info: $OUT" ;;
	esac
	ok xs $RING xenstore-ls /local/domain/0
	case $OUT in
	*'name = "Domain-0"'*) ;;
	*) fail "xenstore-ls /local/domain/0: $OUT" ;;
	esac
	ok xs $RING /usr/lib/xen-4.17/bin/xenstore-control check
	eq "$OUT" OK "xenstore-control check"
	ok pgrep -x xenconsoled
}

t_watch_through_the_ring_hears_the_device() {
	local out=${TMPDIR:-/tmp}/kxs-xen-watch.$$ i
	ok xs $DEV xenstore-write $B/w ""
	XENSTORED_PATH=$RING timeout 60 xenstore-watch -n 2 $B/w >"$out" &
	# the initial event says the watch is set
	for i in $(seq 100); do
		[ -s "$out" ] && break
		sleep 0.2
	done
	ok xs $DEV xenstore-write $B/w/x 1
	wait $! || fail "xenstore-watch through $RING: exit $?"
	eq "$(cat "$out")" "$B/w
$B/w/x" "events through $RING"
	rm -f "$out"
	ok xs $DEV xenstore-rm $B/w
}

# Requests and replies of up to 4 KiB through the 1 KiB ring.
t_messages_larger_than_the_ring() {
	local v
	v=$(printf 'v%.0s' $(seq 4000))
	ok xs $RING xenstore-write $B/big "$v"
	ok xs $DEV xenstore-read $B/big
	eq "${#OUT}" 4000 "length of a 4000-byte value through $DEV"
	ok xs $RING xenstore-read $B/big
	eq "$OUT" "$v" "a 4000-byte value through $RING"
	# a DIRECTORY reply of ~2.5 KiB (the children made in one process:
	# a process start takes a second in dom0 under TCG)
	ok "$PY" - $DEV $B/dir 300 <<'PY'
import sys
from xsraw import Conn, XS_WRITE
dev, top, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Conn(dev)
for i in range(1, n + 1):
    c.send(XS_WRITE, i, ("%s/child-%d" % (top, i)).encode() + b"\0x")
    r = c.recv()
    assert r == (XS_WRITE, i, b"OK\0"), r
PY
	ok xs $RING xenstore-list $B/dir
	eq "$(echo "$OUT" | wc -l)" 300 "children listed through $RING"
	ok xs $RING xenstore-rm $B
}

# A client that writes requests faster than it reads the replies: every
# request answered once, in order.  (The same request each time: the
# kernel's frontend sends a request's payload from the file's buffer,
# which the next write() reuses.)
t_replies_unread_while_requests_flood() {
	ok xs $DEV xenstore-write $B/flood "$(printf 'f%.0s' $(seq 4000))"
	ok "$PY" - $RING $B/flood 300 <<'PY'
import sys
from xsraw import Conn, XS_READ
dev, path, n = sys.argv[1], sys.argv[2].encode() + b"\0", int(sys.argv[3])
c = Conn(dev)
for i in range(1, n + 1):
    c.send(XS_READ, i, path)
for i in range(1, n + 1):
    t, rid, payload = c.recv()
    assert (t, rid, len(payload)) == (XS_READ, i, 4000), (t, rid, i)
assert c.buf == b"", c.buf
print(n)
PY
	eq "$OUT" 300 "replies"
	ok xs $DEV xenstore-rm $B/flood
}

# Four clients of the kernel's device at once, each with a watch whose
# events a writer on the module's device sets off meanwhile: every
# reply and every event arrives, nothing hangs.  Each client waits for
# a reply before its next request, as libxenstore does: the kernel's
# frontend sends a request's payload from the file's buffer, which the
# next write() reuses.
t_clients_and_watch_events_at_once() {
	local pids=() p
	for p in 1 2 3 4; do
		"$PY" - $RING $B/many/$p 100 >"${TMPDIR:-/tmp}/kxs-many.$p" 2>&1 <<'PY' &
import sys
from xsraw import Conn, XS_READ, XS_WATCH, XS_WATCH_EVENT, XS_WRITE
dev, top, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Conn(dev)
events = []
def call(t, rid, payload):
    c.send(t, rid, payload)
    while True:
        rt, rrid, body = c.recv()
        if rt == XS_WATCH_EVENT:
            events.append(body.split(b"\0")[0].decode())
            continue
        assert rrid == rid, ("reply to", rrid, "for", rid)
        return rt, body
assert call(XS_WATCH, 1, top.encode() + b"\0tok\0") == (XS_WATCH, b"OK\0")
for i in range(2, n + 2):
    k = ("%s/k%d" % (top, i)).encode()
    assert call(XS_WRITE, 2 * i, k + b"\0v%d" % i) == (XS_WRITE, b"OK\0"), i
    assert call(XS_READ, 2 * i + 1, k + b"\0") == (XS_READ, b"v%d" % i), i
# The events of one watch come in order, behind the replies (the kernel
# delivers them from another thread): one more write, and its event says
# every earlier one has come.
end = top + "/end"
assert call(XS_WRITE, 2 * n + 4, end.encode() + b"\0e") == (XS_WRITE, b"OK\0")
while end not in events:
    rt, rrid, body = c.recv()
    assert rt == XS_WATCH_EVENT, (rt, rrid, body)
    events.append(body.split(b"\0")[0].decode())
mine = sorted(e for e in events if e.startswith(top + "/k"))
print("ok", mine == sorted("%s/k%d" % (top, i) for i in range(2, n + 2)))
PY
		pids+=($!)
	done
	for p in $(seq 100); do
		"$XS_REQ" -d $DEV write $B/many/$((p % 4 + 1))/x "$p" >/dev/null
	done
	for p in 1 2 3 4; do
		wait "${pids[$((p - 1))]}" ||
			fail "client $p: $(cat "${TMPDIR:-/tmp}/kxs-many.$p")"
		eq "$(cat "${TMPDIR:-/tmp}/kxs-many.$p")" "ok True" "client $p"
	done
	ok xs $DEV xenstore-rm $B/many
}

t_rmmod_is_refused_while_serving() {
	fails rmmod kxenstore
	case $ERR in
	*"in use"*) ;;
	*) fail "rmmod said: $ERR" ;;
	esac
	# nor is the hand-over of the ring outside a live update
	fails bash -c 'echo off >/sys/module/kxenstore/parameters/xen_ring'
	case $ERR in
	*"busy"*) ;;
	*) fail "xen_ring=off while not frozen said: $ERR" ;;
	esac
	ok xs $RING xenstore-read /local/domain/0/name
	eq "$OUT" "Domain-0" "the store after rmmod was refused"
}

# A live update while the kernel has a watch on the ring and a process
# loops READs through it: the new module takes the ring over where it
# was, every request is answered once, and the watch still fires.
t_live_update_keeps_the_ring() {
	local out=${TMPDIR:-/tmp}/kxs-lu-watch.$$ loop=${TMPDIR:-/tmp}/kxs-lu-loop.$$
	local stop=${TMPDIR:-/tmp}/kxs-lu-stop.$$ i wpid lpid
	rm -f "$stop"
	ok xs $DEV xenstore-write $B/lu ""
	XENSTORED_PATH=$RING timeout 300 xenstore-watch -n 3 $B/lu >"$out" &
	wpid=$!
	for i in $(seq 100); do
		[ -s "$out" ] && break
		sleep 0.2
	done
	"$PY" - $RING "$stop" >"$loop" 2>&1 <<'PY' &
import os, sys
from xsraw import Conn, XS_READ
c = Conn(sys.argv[1])
path, n = b"/local/domain/0/name\0", 0
while not os.path.exists(sys.argv[2]) or n < 20:
    n += 1
    c.send(XS_READ, n, path)
    r = c.recv()
    assert r == (XS_READ, n, b"Domain-0"), (r, n)
    assert c.buf == b"", ("more than one reply", c.buf)
print("ok", n)
PY
	lpid=$!
	sleep 1
	ok "$REPO_DIR/scripts/live-update" "$KXS_MODULE"
	echo "$OUT"
	ok dmesg
	case $OUT in
	*"dom0's xenstore ring handed over"*) ;;
	*) fail "no hand-over in the kernel log" ;;
	esac
	ok cat /sys/module/kxenstore/parameters/xen_ring
	eq "$OUT" auto "the new module's xen_ring"
	ok grep -c kxenstore /proc/interrupts
	touch "$stop"
	wait $lpid || fail "the loop through the ring: $(cat "$loop")"
	case $(cat "$loop") in
	"ok "*) ;;
	*) fail "the loop through the ring: $(cat "$loop")" ;;
	esac
	# the kernel's watch survived (the new module fired it once when it
	# took it back: so a third event, not a second)
	ok xs $DEV xenstore-write $B/lu/after 1
	wait $wpid || fail "xenstore-watch: exit $?: $(cat "$out")"
	eq "$(tail -n 1 "$out")" "$B/lu/after" "the watch's last event"
	rm -f "$out" "$loop" "$stop"
	ok xs $DEV xenstore-rm $B/lu
}

t_xenstored_cannot_start_beside_it() {
	local d
	for d in /usr/lib/xen-4.17/bin/xenstored /usr/sbin/xenstored; do
		[ -x "$d" ] && break
	done
	[ -x "$d" ] || fail "no xenstored binary"
	ok xs $DEV xenstore-write $B/keep kept
	# Without XENSTORED_PATH, which names the socket the daemon makes
	# (it would replace the device node of that name), and with its
	# socket elsewhere: a socket outlives the daemon, and libxenstore
	# tries a daemon's socket before the device.
	mkdir -p /run/kxs-xenstored
	fails env -u XENSTORED_PATH XENSTORED_RUNDIR=/run/kxs-xenstored \
		timeout 60 "$d" --no-fork
	[ "$RC" != 124 ] || fail "$d was still running after 60 s"
	# The module holds VIRQ_DOM_EXC (serving guests), which the daemon
	# binds first; the other end of dom0's channel comes next.
	case $ERR in
	*"Failed to bind to domain exception virq port: File exists"*) ;;
	*) fail "$d said: $ERR" ;;
	esac
	ok xs $RING xenstore-read $B/keep
	eq "$OUT" kept "the store after $d failed"
	ok xs $DEV xenstore-rm $B/keep
}

# As the reference: with a hypervisor behind the store, an owner that
# does not exist is ENOENT, an access entry of one is left out.  Only
# domain 0 exists on this host until a guest is created.
t_set_perms_names_only_existing_domains() {
	ok xs $DEV xenstore-write $B/p v
	fails xs $DEV xenstore-chmod $B/p n77
	ok xs $DEV "$XS_REQ" get-perms $B/p
	eq "$OUT" 'GET_PERMS n0\0' "perms after an owner that does not exist"
	ok xs $DEV xenstore-chmod $B/p n0 r77 b0
	ok xs $DEV "$XS_REQ" get-perms $B/p
	eq "$OUT" 'GET_PERMS n0\0b0\0' "perms without the entry of domain 77"
	ok xs $DEV xenstore-rm $B/p
}

sh_main "$@"
