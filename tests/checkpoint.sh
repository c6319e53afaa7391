#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Checkpoint and restore of the whole store through
# /sys/module/kxenstore/checkpoint, the frozen parameter, and
# scripts/live-update (rmmod/insmod keeping the store).  Needs root and
# the module file ($KXS_MODULE).  Each case removes its nodes under
# /kxs-test-checkpoint and leaves the module loaded with its default
# parameters, not frozen.  KXS_CHECKPOINT_NODES sets the size of the live
# update case (default 100000 nodes).
set -eu
. "${0%/*}/lib/sh-lib.sh"

MODULE=${KXS_MODULE:-$REPO_DIR/build/debian/kxenstore.ko}
LIVE_UPDATE=$REPO_DIR/scripts/live-update
SYS=/sys/module/kxenstore
CKPT=$SYS/checkpoint
FROZEN=$SYS/parameters/frozen
DEV=$XENSTORED_PATH
B=/kxs-test-checkpoint
NODES=${KXS_CHECKPOINT_NODES:-100000}

CASES="
checkpoint-is-root-only
checkpoint-read-is-deterministic
restore-same-state-is-a-noop
restore-older-checkpoint-brings-state-back
corrupt-restore-changes-nothing
frozen-blocks-open
live-update-refuses-with-open-connection
live-update-carries-what-only-qemu-refuses
live-update-carries-domains
live-update-100k-nodes
"

T=
# Leave the module loaded, not frozen, without our nodes, whatever happened.
cleanup() {
	local i
	exec 3>&- 4<&-
	if [ -d $SYS ]; then
		echo N >$FROZEN || true
	else
		insmod "$MODULE" || echo "cleanup: insmod $MODULE failed" >&2
		for i in 1 2 3 4 5 6 7 8 9 10; do
			[ -c "$DEV" ] && break
			sleep 0.2
		done
	fi
	xenstore-rm $B >/dev/null 2>&1 || true
	rm -rf "$T"
}
# run first in each case's subshell
case_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/kxs-checkpoint.XXXXXX")
	trap cleanup EXIT
	[ -d $SYS ] || fail "kxenstore is not loaded"
	[ -e $CKPT ] || fail "$CKPT is missing"
}

# dump FILE [PATH]: the nodes under PATH (default /) with values and
# permissions, as xenstore-ls -p -f prints them, into FILE
dump() {
	xenstore-ls -p -f "${2:-/}" >"$1" 2>"$T/dump-err" ||
		fail "xenstore-ls -p -f ${2:-/} failed: $(cat "$T/dump-err")"
}

# same FILE1 FILE2 WHAT: the two files are equal
same() {
	diff -u "$1" "$2" >"$T/diff" ||
		fail "$3 differ:
$(head -n 30 "$T/diff" | cut -c 1-200)"
}

# same_bytes FILE1 FILE2 WHAT
same_bytes() {
	cmp "$1" "$2" >"$T/cmp" 2>&1 || fail "$3 differ: $(cat "$T/cmp")"
}

# checkpoint FILE: read a checkpoint into FILE
checkpoint() {
	cat $CKPT >"$1" || fail "reading $CKPT failed"
	[ -s "$1" ] || fail "$CKPT reads as empty"
}

# restore FILE: write FILE to $CKPT as `cat FILE >$CKPT`; sets RC and ERR
restore() {
	RC=0
	cat "$1" 2>"$T/restore-err" >$CKPT || RC=$?
	ERR=
	IFS= read -r -d '' ERR <"$T/restore-err" || true
}

# restore_ok FILE: the restore must succeed
restore_ok() {
	restore "$1"
	[ "$RC" = 0 ] || fail "restoring ${1##*/} failed ($RC): $ERR"
}

# make_state: nodes under $B with values, permissions, and a stream
# longer than a page
make_state() {
	local big
	printf -v big '%3000s' ''
	ok xenstore-write $B/a 1 $B/a/b "two words" $B/a/c "" \
		$B/d/e/f 'back\\slash' $B/big1 "${big// /x}" $B/big2 "${big// /y}"
	ok xenstore-chmod $B/a/b n3 r0
	ok xenstore-chmod $B/d b0 r3 w5
}

# open_result PATH: OK, or the errno name with which opening PATH fails
open_result() {
	python3 -c '
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDWR))
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))' "$1"
}

t_checkpoint_is_root_only() {
	eq "$(stat -c %a $CKPT)" 600 "mode of $CKPT"
	eq "$(stat -c %a $SYS/checkpoint_omits)" 400 \
		"mode of $SYS/checkpoint_omits"
	run setpriv --reuid=65534 --regid=65534 --clear-groups cat $CKPT
	[ "$RC" != 0 ] || fail "nobody (uid 65534) could read $CKPT"
}

t_checkpoint_read_is_deterministic() {
	local len
	make_state
	checkpoint "$T/c1"
	checkpoint "$T/c2"
	same_bytes "$T/c1" "$T/c2" "two checkpoints of the same store"
	len=$(stat -c %s "$T/c1")
	echo "# $len bytes"
	dd if=$CKPT of="$T/c3" bs=1 count=$((len + 100)) status=none ||
		fail "dd bs=1 of $CKPT failed"
	same_bytes "$T/c1" "$T/c3" "checkpoints read by cat and by dd bs=1"
	dd if=$CKPT of="$T/c4" bs=1000 status=none ||
		fail "dd bs=1000 of $CKPT failed"
	same_bytes "$T/c1" "$T/c4" "checkpoints read by cat and by dd bs=1000"
	# the rest of a read is the snapshot its first read took
	exec 4<$CKPT
	dd bs=100 count=1 status=none <&4 >"$T/c5" || fail "dd bs=100 failed"
	ok xenstore-write $B/zz-written-while-reading x
	cat <&4 >>"$T/c5" || fail "reading the rest of $CKPT failed"
	exec 4<&-
	same_bytes "$T/c1" "$T/c5" \
		"the checkpoint before a write and one read across it"
}

t_restore_same_state_is_a_noop() {
	make_state
	checkpoint "$T/c1"
	dump "$T/d1"
	restore_ok "$T/c1"
	dump "$T/d2"
	same "$T/d1" "$T/d2" "the store before and after restoring its checkpoint"
	checkpoint "$T/c2"
	same_bytes "$T/c1" "$T/c2" "checkpoints before and after the restore"
}

t_restore_older_checkpoint_brings_state_back() {
	make_state
	checkpoint "$T/c1"
	dump "$T/d1"
	ok xenstore-write $B/a/b changed $B/new node
	ok xenstore-rm $B/d
	ok xenstore-chmod $B/a n5 r0
	dump "$T/d2"
	! cmp -s "$T/d1" "$T/d2" || fail "the changes changed nothing"
	restore_ok "$T/c1"
	dump "$T/d3"
	same "$T/d1" "$T/d3" "the store when checkpointed and after its restore"
}

# Damaged copies of a checkpoint of state A are written while the store
# holds state B.  Each must fail and leave B, or (a byte flip that is
# still a valid stream) succeed; then a checkpoint of B restores B.  A
# truncated stream may be accepted as the start of a stream (the kernel
# cannot see where a `cat` ends) but must not change the store.  Trailing
# bytes must fail: the checkpoint is sized so that the stream ends within
# a page and the garbage arrives in the same write.
t_corrupt_restore_changes_nothing() {
	local f name len pad=0 failed=0 accepted=0 incomplete=0
	make_state
	while :; do
		checkpoint "$T/a"
		len=$(stat -c %s "$T/a")
		[ $((len % 4096)) = 0 ] || break
		pad=$((pad + 1))
		ok xenstore-write $B/pad "$pad"
	done
	ok xenstore-write $B/a/b B-value $B/only-in-b yes
	ok xenstore-rm $B/d
	checkpoint "$T/b"
	dump "$T/ls-b"
	python3 - "$T/a" "$T/bad" <<'EOF'
import os, sys

data = open(sys.argv[1], "rb").read()
n = len(data)
out = sys.argv[2]
os.mkdir(out)

def put(name, b):
    with open(os.path.join(out, name), "wb") as f:
        f.write(b)

step = max(1, n // 40)
for off in set(range(1, n, step)) | {1, 4, 8, n - 5, n - 1}:
    put("trunc-%06d" % off, data[:off])
for off in set(range(0, n, step)) | {0, 3, 7, n - 5, n - 1}:
    b = bytearray(data)
    b[off] ^= 0xff
    put("flip-%06d" % off, bytes(b))
for name, tail in (("nul", b"\0"), ("byte", b"x"), ("page", b"\xa5" * 4096),
                   ("stream", data)):
    put("tail-" + name, data + tail)
EOF
	for f in "$T"/bad/*; do
		name=${f##*/}
		restore "$f"
		if [ "$RC" != 0 ]; then
			failed=$((failed + 1))
			dump "$T/ls"
			same "$T/ls-b" "$T/ls" \
				"the store before and after the failed restore of $name"
			continue
		fi
		case $name in
		tail-*)
			fail "restoring the checkpoint with trailing bytes ($name) succeeded"
			;;
		trunc-*)
			incomplete=$((incomplete + 1))
			dump "$T/ls"
			same "$T/ls-b" "$T/ls" \
				"the store before and after writing $name"
			continue
			;;
		esac
		accepted=$((accepted + 1))
		restore_ok "$T/b"
		dump "$T/ls"
		same "$T/ls-b" "$T/ls" \
			"the store before $name and after restoring it back"
	done
	echo "# $len bytes; $failed writes failed, $incomplete truncations accepted as incomplete, $accepted flips accepted"
	# (and no partial stream is left behind)
	restore_ok "$T/b"
}

t_frozen_blocks_open() {
	eq "$(cat $FROZEN)" N "frozen at the start"
	eq "$(open_result "$DEV")" OK "opening $DEV"
	echo Y >$FROZEN
	eq "$(cat $FROZEN)" Y "frozen after echo Y"
	eq "$(open_result "$DEV")" EAGAIN "opening $DEV while frozen"
	fails xenstore-exists /
	echo N >$FROZEN
	eq "$(open_result "$DEV")" OK "opening $DEV after echo N"
	ok xenstore-write $B/thawed yes
	ok xenstore-read $B/thawed
	eq "$OUT" yes "xenstore-read after unfreezing"
}

t_live_update_refuses_with_open_connection() {
	ok xenstore-write $B/kept yes
	dump "$T/before"
	exec 3<>"$DEV"
	run "$LIVE_UPDATE" "$MODULE"
	printf '%s\n' "$OUT" "$ERR" | sed '/^$/d; s/^/# /'
	[ "$RC" != 0 ] || fail "live-update succeeded with $DEV open"
	[ "$RC" != 2 ] || fail "live-update could not start"
	case $ERR in
	*connections*) ;;
	*) fail "live-update did not name the open connection" ;;
	esac
	[ -d $SYS ] || fail "kxenstore is not loaded after the refused update"
	eq "$(cat $FROZEN)" N "frozen after the refused update"
	exec 3>&-
	dump "$T/after"
	same "$T/before" "$T/after" "the store before and after the refused update"
}

# A watch of guest 1 on @releaseDomain, parked by a restore (no client is
# connected): the checkpoint carries it, QEMU's loader would refuse it
# (no '@' in its watch paths), checkpoint_omits says so in a "qemu: "
# line, and live-update goes ahead, says so, and carries it.
t_live_update_carries_what_only_qemu_refuses() {
	local line="qemu: 1 watches on paths with '@' (e.g. @releaseDomain)"
	eq "$(cat $SYS/checkpoint_omits)" "" "checkpoint_omits at the start"
	checkpoint "$T/base"
	{
		head -c -1 "$T/base"
		printf '@releaseDomain\0kxs-tok\0\0'
	} >"$T/with-watch"
	restore_ok "$T/with-watch"
	eq "$(cat $SYS/checkpoint_omits)" "$line" "checkpoint_omits"
	checkpoint "$T/before"
	run "$LIVE_UPDATE" "$MODULE"
	printf '%s\n' "$OUT" "$ERR" | sed '/^$/d; s/^/# /'
	[ "$RC" = 0 ] || fail "live-update exited with $RC"
	case $ERR in
	*"QEMU's loader would refuse"*"$line"*) ;;
	*) fail "live-update did not name what QEMU would refuse" ;;
	esac
	eq "$(cat $SYS/checkpoint_omits)" "$line" "checkpoint_omits after it"
	checkpoint "$T/after"
	same_bytes "$T/before" "$T/after" "the checkpoints before and after"
	# a fresh module, without the parked watch, for the next case
	rmmod kxenstore || fail "rmmod kxenstore failed"
}

# xs_msgs "TYPE ARG|ARG..."...: each message on one connection of the
# device; its replies, one per line, "TYPE payload" with NULs as "|"
xs_msgs() {
	PYTHONPATH=$REPO_DIR/tests/xen /usr/bin/python3 - "$@" <<'PY'
import os, sys
import xsraw
c = xsraw.Conn(os.environ["XENSTORED_PATH"])
for i, m in enumerate(sys.argv[1:]):
    t, _, args = m.partition(" ")
    c.send(int(t), i + 1, b"".join(a.encode() + b"\0" for a in args.split("|")))
    typ, _, payload = c.recv()
    print(typ, payload.decode().replace("\0", "|"))
PY
}

# What QEMU's format has no room for crosses the update in the domain
# section: domains introduced (one with a target, one with a quota of its
# own), a special path's permissions, and a watch of guest 46 with a
# depth, parked (the watch list carries guest 1's only), which a restore
# of the section into a fresh module brings.  A checkpoint with the
# section reads the same bytes before and after the update.
t_live_update_carries_domains() {
	local want
	ok xs_msgs "8 45|451|3" "8 46|-1|4" "19 46|45" "26 45|nodes|77" \
		"14 @releaseDomain|n0|r45"
	want='8 OK|
8 OK|
19 OK|
26 OK|
14 OK|'
	eq "$OUT" "$want" "INTRODUCE, SET_TARGET, SET_QUOTA, SET_PERMS"
	eq "$(cat $SYS/checkpoint_omits)" "domain 45
domain 46
special @releaseDomain" "checkpoint_omits without the section"
	echo Y >$SYS/parameters/checkpoint_domains
	eq "$(cat $SYS/checkpoint_omits)" "" "checkpoint_omits with the section"
	checkpoint "$T/base"
	# A store with domains takes no section.
	restore "$T/base"
	[ "$RC" != 0 ] || fail "a restore of domains over domains succeeded"
	# The watch line goes before the section's "end".
	printf 'watch 46 2 0 %s %s\n' \
		"$(printf /local/domain/46/data | od -An -tx1 | tr -d ' \n')" \
		"$(printf tok46 | od -An -tx1 | tr -d ' \n')" >"$T/watch-line"
	/usr/bin/python3 - "$T/base" "$T/watch-line" "$T/with-watch" <<'PY'
import struct, sys
base = open(sys.argv[1], "rb").read()
line = open(sys.argv[2], "rb").read()
at = base.rindex(b"kxenstore-domains 1\n")
text = base[at:]
assert text.endswith(b"end\n")
text = text[:-4] + line + b"end\n"
open(sys.argv[3], "wb").write(base[:at - 4] + struct.pack(">I", len(text)) +
                              text)
PY
	[ -s "$T/with-watch" ] || fail "could not add the watch line"
	rmmod kxenstore || fail "rmmod kxenstore failed"
	insmod "$MODULE" checkpoint_domains=Y ||
		fail "insmod $MODULE checkpoint_domains=Y failed"
	restore_ok "$T/with-watch"
	run "$LIVE_UPDATE" "$MODULE"
	printf '%s\n' "$OUT" "$ERR" | sed '/^$/d; s/^/# /'
	[ "$RC" = 0 ] || fail "live-update exited with $RC"
	eq "$(cat $SYS/parameters/checkpoint_domains)" Y \
		"checkpoint_domains after the update (as before it)"
	checkpoint "$T/after"
	same_bytes "$T/with-watch" "$T/after" "checkpoints with the section"
	ok xs_msgs "17 45" "17 46" "25 45|nodes" "25 46|nodes" \
		"3 @releaseDomain"
	want="17 T|
17 T|
25 77|
25 $(cat $SYS/parameters/quota_nodes)|
3 n0|r45|"
	eq "$OUT" "$want" "the domains after the update"
	# a fresh module for the next case
	rmmod kxenstore || fail "rmmod kxenstore failed"
}

t_live_update_100k_nodes() {
	local d i t0 per=1000 dirs args pad
	# 100-byte values: a stream of over 10 MB, many pages each way
	pad=$(printf '%090d' 0)
	[ "$NODES" -ge $per ] || per=$NODES
	dirs=$((NODES / per))
	t0=$SECONDS
	for ((d = 0; d < dirs; d++)); do
		args=()
		for ((i = 0; i < per; i++)); do
			args+=("$B/big/d$d/n$i" "$pad $d.$i")
		done
		xenstore-write "${args[@]}" ||
			fail "xenstore-write of $per nodes under $B/big/d$d failed"
	done
	echo "# wrote $((dirs * per)) nodes in $((SECONDS - t0)) s"
	t0=$SECONDS
	dump "$T/before" $B/big
	echo "# xenstore-ls of them: $((SECONDS - t0)) s"
	eq "$(wc -l <"$T/before")" $((dirs * per + dirs)) "nodes under $B/big"
	t0=$SECONDS
	run "$LIVE_UPDATE" "$MODULE"
	printf '%s\n' "$OUT" "$ERR" | sed '/^$/d; s/^/# /'
	[ "$RC" = 0 ] || fail "live-update exited with $RC"
	echo "# live-update: $((SECONDS - t0)) s"
	[ -d $SYS ] || fail "kxenstore is not loaded after the update"
	eq "$(cat $FROZEN)" N "frozen after the update"
	dump "$T/after" $B/big
	same "$T/before" "$T/after" "the nodes before and after the update"
	t0=$SECONDS
	ok xenstore-rm $B
	echo "# xenstore-rm: $((SECONDS - t0)) s"
}

sh_main "$@"
