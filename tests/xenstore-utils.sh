#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's xenstore-utils against the store, on $XENSTORED_PATH
# (/dev/xen/xenbus by default).  xenstore-list, xenstore-exists,
# xenstore-rm and xenstore-read/-write with several keys start a
# transaction first (TRANSACTION_START), the others do not.  A node with
# more children than one 4096-byte DIRECTORY reply holds makes libxenstore
# fall back to DIRECTORY_PART.  xenstore-watch -n N prints the path of each
# event (the initial one first) and exits after N.
set -eu
. "${0%/*}/lib/sh-lib.sh"

B=/kxs-test/utils

# start from an empty PATH (a failed earlier run may have left nodes)
clean() {
	xs_req_eq 'MKDIR OK\0' mkdir "$1"
	xs_req_eq 'RM OK\0' rm "$1"
}

CASES="
write-then-read-prints-value
read-of-missing-key-fails
ls-prints-subtree-with-values
ls-of-root-includes-subtree
ls-f-prints-full-paths
escaped-values-round-trip
write-and-read-several-keys
list-prints-children
exists-reports-presence-in-exit-status
rm-removes-subtree
ls-and-list-show-2000-children
watch-prints-event-paths
watch-of-removed-ancestor-prints-watch-path
watch-relative-and-several-paths
"

t_write_then_read_prints_value() {
	ok xenstore-write $B/rw/a/b/c hello
	eq "$OUT" "" "xenstore-write output"
	ok xenstore-read $B/rw/a/b/c
	eq "$OUT" "hello" "xenstore-read"
	ok xenstore-write $B/rw/a/b/c "second value"
	ok xenstore-read $B/rw/a/b/c
	eq "$OUT" "second value" "xenstore-read after overwrite"
	# the parents were created with empty values
	ok xenstore-read $B/rw/a
	eq "$OUT" "" "xenstore-read of a parent"
	xs_req_eq 'RM OK\0' rm $B/rw
}

t_read_of_missing_key_fails() {
	fails xenstore-read $B/missing/key
	eq "$OUT" "" "stdout of xenstore-read of a missing key"
	case "$ERR" in
	*"couldn't read path $B/missing/key"*) ;;
	*) fail "xenstore-read of a missing key said: '$ERR'" ;;
	esac
}

t_ls_prints_subtree_with_values() {
	clean $B/ls
	ok xenstore-write $B/ls/a/b/c hello
	ok xenstore-write $B/ls/a/d "x y"
	ok xenstore-write $B/ls/e ""
	ok xenstore-ls $B/ls
	eq "$OUT" 'a = ""
 b = ""
  c = "hello"
 d = "x y"
e = ""' "xenstore-ls $B/ls"
	xs_req_eq 'RM OK\0' rm $B/ls
	fails xenstore-ls $B/ls
}

t_ls_of_root_includes_subtree() {
	top=/kxs-test-ls-root
	clean $top
	ok xenstore-write $top/a/b/c hello
	ok xenstore-write $top/d 1
	ok xenstore-ls /
	# the lines of our top-level node, with their indentation, in order
	block=$(printf '%s\n' "$OUT" | awk '
		/^[^ ]/ { on = ($0 == "kxs-test-ls-root = \"\"") }
		on { print }')
	eq "$block" 'kxs-test-ls-root = ""
 a = ""
  b = ""
   c = "hello"
 d = "1"' "the $top lines of xenstore-ls /"
	xs_req_eq 'RM OK\0' rm $top
}

t_ls_f_prints_full_paths() {
	clean $B/lsf
	ok xenstore-write $B/lsf/x/y 1
	ok xenstore-write $B/lsf/z 2
	ok xenstore-ls -f $B/lsf
	eq "$OUT" "$B/lsf/x = \"\"
$B/lsf/x/y = \"1\"
$B/lsf/z = \"2\"" "xenstore-ls -f"
	xs_req_eq 'RM OK\0' rm $B/lsf
}

# xenstore-write decodes C escapes, xenstore-read prints them back, -R raw
t_escaped_values_round_trip() {
	ok xenstore-write $B/esc 'a\x00b\tc\\d'
	xs_req_eq 'READ a\0b\x09c\x5cd' read $B/esc
	ok xenstore-read $B/esc
	eq "$OUT" 'a\000b\tc\\d' "xenstore-read"
	ok bash -c "xenstore-read -R $B/esc | od -An -c | tr -s ' '"
	eq "$OUT" ' a \0 b \t c \ d' "xenstore-read -R"
	xs_req_eq 'RM OK\0' rm $B/esc
}

# starts a transaction (TRANSACTION_START)
t_write_and_read_several_keys() {
	ok xenstore-write $B/multi/a 1 $B/multi/b "two words" $B/multi/c/d 3
	xs_req_eq 'READ 1' read $B/multi/a
	xs_req_eq 'READ two words' read $B/multi/b
	xs_req_eq 'READ 3' read $B/multi/c/d
	ok xenstore-read $B/multi/a $B/multi/b $B/multi/c/d
	eq "$OUT" "1
two words
3" "xenstore-read of several keys"
	xs_req_eq 'RM OK\0' rm $B/multi
}

# starts a transaction (TRANSACTION_START)
t_list_prints_children() {
	ok xenstore-write $B/list/b 2
	ok xenstore-write $B/list/a/x 1
	ok xenstore-write $B/list/c 3
	ok xenstore-list $B/list
	eq "$OUT" "a
b
c" "xenstore-list"
	ok xenstore-list $B/list/c
	eq "$OUT" "" "xenstore-list of a leaf"
	fails xenstore-list $B/list/missing
	xs_req_eq 'RM OK\0' rm $B/list
}

# starts a transaction (TRANSACTION_START)
t_exists_reports_presence_in_exit_status() {
	ok xenstore-write $B/exists/here 1
	ok xenstore-exists $B/exists/here
	ok xenstore-exists $B/exists
	fails xenstore-exists $B/exists/not-here
	fails xenstore-exists $B/not/here/either
	xs_req_eq 'RM OK\0' rm $B/exists
}

# starts a transaction (TRANSACTION_START)
t_rm_removes_subtree() {
	ok xenstore-write $B/rm/a/b/c 1
	ok xenstore-write $B/rm/keep 2
	ok xenstore-rm $B/rm/a
	xs_req_eq 'ERROR ENOENT\0' read $B/rm/a/b/c
	xs_req_eq 'ERROR ENOENT\0' read $B/rm/a
	xs_req_eq 'READ 2' read $B/rm/keep
	fails xenstore-exists $B/rm/a
	ok xenstore-exists $B/rm/keep
	ok xenstore-rm $B/rm
	xs_req_eq 'ERROR ENOENT\0' read $B/rm
}

# eq_long GOT WANT WHAT: eq for long outputs; a failure shows a short diff
eq_long() {
	[ "$1" = "$2" ] && return 0
	printf '%s\n' "$1" >"$SH_ERRF.got"
	printf '%s\n' "$2" >"$SH_ERRF.want"
	fail "$3: $(wc -l <"$SH_ERRF.got") lines, expected $(wc -l <"$SH_ERRF.want"); diff (expected, got):
$(diff "$SH_ERRF.want" "$SH_ERRF.got" | head -20)"
}

# DIRECTORY answers E2BIG; xs_directory() then pages with DIRECTORY_PART
t_ls_and_list_show_2000_children() {
	local i names=() args=() sorted want
	clean $B/big
	for i in $(seq 0 1999); do
		names+=("k$i")
		args+=("$B/big/k$i" "v$i")
	done
	# one process, one transaction
	ok xenstore-write "${args[@]}"
	xs_req_eq 'ERROR E2BIG\0' directory $B/big
	sorted=$(printf '%s\n' "${names[@]}" | LC_ALL=C sort)
	ok xenstore-list $B/big
	eq_long "$OUT" "$sorted" "xenstore-list of 2000 children"
	want=$(printf '%s\n' "$sorted" | sed 's/^k\(.*\)/k\1 = "v\1"/')
	ok xenstore-ls $B/big
	eq_long "$OUT" "$want" "xenstore-ls of 2000 children"
	xs_req_eq 'RM OK\0' rm $B/big
	rm -f "$SH_ERRF.got" "$SH_ERRF.want"
}

# xenstore-watch -n N prints the path of each event, the initial one
# included, one per line, and exits after N events.

# watch_start ARGS...: xenstore-watch ARGS in the background, its output
# in $WATCH_OUT; sets WATCH_PID
watch_start() {
	WATCH_OUT=$SH_ERRF.watch
	: >"$WATCH_OUT"
	xenstore-watch "$@" >"$WATCH_OUT" 2>&1 &
	WATCH_PID=$!
	trap 'kill $WATCH_PID 2>/dev/null || true; rm -f "$WATCH_OUT"' EXIT
}

# watch_lines N: wait (10 s at most) until xenstore-watch printed N lines
watch_lines() {
	local i lines=()
	for ((i = 0; i < 200; i++)); do
		mapfile -t lines <"$WATCH_OUT"
		[ ${#lines[@]} -lt "$1" ] || return 0
		kill -0 "$WATCH_PID" 2>/dev/null ||
			fail "xenstore-watch exited early; output: '$(<"$WATCH_OUT")'"
		sleep 0.05
	done
	fail "xenstore-watch printed ${#lines[@]} lines in 10 s, expected $1: '$(<"$WATCH_OUT")'"
}

# watch_finish: xenstore-watch must exit (10 s at most) with status 0;
# its output in OUT
watch_finish() {
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$WATCH_PID" 2>/dev/null; then
		kill "$WATCH_PID"
		wait "$WATCH_PID" || true
		fail "xenstore-watch did not exit after its events; output: '$(<"$WATCH_OUT")'"
	fi
	wait "$WATCH_PID" && RC=0 || RC=$?
	OUT=$(<"$WATCH_OUT")
	rm -f "$WATCH_OUT"
	trap - EXIT
	[ "$RC" = 0 ] || fail "xenstore-watch exited with $RC; output: '$OUT'"
}

t_watch_prints_event_paths() {
	clean $B/watch
	clean $B/watch-sibling
	watch_start -n 6 $B/watch
	watch_lines 1
	ok xenstore-write $B/watch/a 1
	ok xenstore-write $B/watch 2
	# not a child of $B/watch: no line
	ok xenstore-write $B/watch-sibling 3
	ok xenstore-write $B/watch/b/c 4
	# xenstore-rm removes in a transaction: the event comes at its end
	ok xenstore-rm $B/watch/a
	ok xenstore-write $B/watch/a/deep 5
	watch_finish
	eq "$OUT" "$B/watch
$B/watch/a
$B/watch
$B/watch/b/c
$B/watch/a
$B/watch/a/deep" "xenstore-watch -n 6 $B/watch"
	xs_req_eq 'RM OK\0' rm $B/watch
	xs_req_eq 'RM OK\0' rm $B/watch-sibling
}

t_watch_of_removed_ancestor_prints_watch_path() {
	clean $B/wrm
	ok xenstore-write $B/wrm/x/y/z 1
	# a watch on a node below what is removed gets its own path (one
	# on a path below that names no node gets nothing, as with the
	# reference daemon: tests/watches)
	watch_start -n 2 $B/wrm/x/y/z
	watch_lines 1
	ok xenstore-rm $B/wrm
	watch_finish
	eq "$OUT" "$B/wrm/x/y/z
$B/wrm/x/y/z" "xenstore-watch -n 2 $B/wrm/x/y/z"
}

t_watch_relative_and_several_paths() {
	local rel=kxs-test-utils-wrel
	clean /local/domain/0/$rel
	clean $B/w2
	watch_start -n 5 $rel $B/w2
	watch_lines 2
	ok xenstore-write $rel/x 1
	ok xenstore-write $B/w2/y 2
	ok xenstore-write /local/domain/0/$rel 3
	watch_finish
	eq "$OUT" "$rel
$B/w2
$rel/x
$B/w2/y
$rel" "xenstore-watch -n 5 $rel $B/w2"
	xs_req_eq 'RM OK\0' rm /local/domain/0/$rel
	xs_req_eq 'RM OK\0' rm $B/w2
}

sh_main "$@"
