# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the shell tests.  A test script sets CASES (names with
# dashes), defines one function per case (t_<name with underscores>),
# optionally case_setup (run first in each case's subshell), and ends with
# `sh_main "$@"`:
#
#   script --list        the case names
#   script [CASE...]     run the cases (default: all), each in a subshell
#                        with errexit, its output followed by "ok - CASE"
#                        or "not ok - CASE"; exit status 0 iff all passed
#
# Process creation is slow in the test VM (TCG, binaries over 9p): the
# helpers fork as little as they can.

TESTS_DIR=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
REPO_DIR=${TESTS_DIR%/*}
BIN_DIR=$TESTS_DIR/bin
XS_REQ=$BIN_DIR/xs-req
export XENSTORED_PATH=${XENSTORED_PATH:-/dev/xen/xenbus}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

SH_ERRF=${TMPDIR:-/tmp}/kxs-sh-err.$$

# run CMD...: sets OUT (stdout), ERR (stderr) and RC (exit status)
run() {
	OUT=$("$@" 2>"$SH_ERRF") && RC=0 || RC=$?
	ERR=
	IFS= read -r -d '' ERR <"$SH_ERRF" || true
	ERR=${ERR%$'\n'}
}

# ok CMD...: CMD must succeed; its stdout is left in OUT
ok() {
	run "$@"
	[ "$RC" -eq 0 ] ||
		fail "'$*' exited with $RC; stdout: '$OUT' stderr: '$ERR'"
}

# fails CMD...: CMD must exit non-zero
fails() {
	run "$@"
	[ "$RC" -ne 0 ] ||
		fail "'$*' succeeded but should have failed; stdout: '$OUT'"
}

# eq GOT WANT WHAT
eq() {
	[ "$1" = "$2" ] && return 0
	fail "$3: got
$(printf '%s\n' "$1" | sed 's/^/    |/')
expected
$(printf '%s\n' "$2" | sed 's/^/    |/')"
}

# xs_req_eq WANT ARGS...: xs-req ARGS... must print WANT
xs_req_eq() {
	local want=$1
	shift
	ok "$XS_REQ" "$@"
	eq "$OUT" "$want" "xs-req $*"
}

sh_main() {
	local c fn bad=0 rc
	if [ "${1:-}" = --list ]; then
		printf '%s\n' $CASES
		return 0
	fi
	for c in "$@"; do
		case " $(echo $CASES) " in
		*" $c "*) ;;
		*) echo "no case named $c (see --list)" >&2; return 2 ;;
		esac
	done
	[ $# -gt 0 ] || set -- $CASES
	set +e
	for c in "$@"; do
		fn=t_${c//-/_}
		(
			set -e
			! declare -F case_setup >/dev/null || case_setup
			"$fn"
		) 2>&1
		rc=$?
		if [ $rc = 0 ]; then
			echo "ok - $c"
		else
			echo "not ok - $c"
			bad=1
		fi
	done
	rm -f "$SH_ERRF"
	return $bad
}
