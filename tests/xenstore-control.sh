#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Xen's xenstore-control against the store on $XENSTORED_PATH: each
# command is one CONTROL request sent with libxenstore.  Debian 12 ships
# the program only in xen-utils-4.17, which scripts/deps unpacks without
# installing and copies to /usr/local/libexec/kxenstore/xenstore-control
# (or set $KXS_XENSTORE_CONTROL).  Without it every case fails.
set -eu
. "${0%/*}/lib/sh-lib.sh"

XSCTL=${KXS_XENSTORE_CONTROL:-/usr/local/libexec/kxenstore/xenstore-control}
PARAMS=/sys/module/kxenstore/parameters

CASES="
check-reports-ok
help-lists-commands
memreport-counts-a-domains-bytes
print-logs-the-string
quota-lists-the-global-values
quota-set-changes-a-global-value
quota-of-a-domain
unknown-command-fails
"

case_setup() {
	[ -x "$XSCTL" ] ||
		fail "xenstore-control is not at $XSCTL: run scripts/deps (or set KXS_XENSTORE_CONTROL)"
}

# xs_raw TYPE [ARG...]: send one request of message type TYPE (a number)
# whose payload is the ARGs, each NUL-terminated, and print the reply as
# xs-req does: "<TYPE NAME or number> <payload, NUL as \0>".  For the
# requests xs-req does not send (INTRODUCE, RELEASE).
xs_raw() {
	python3 - "$@" <<'EOF'
import os, struct, sys

names = {8: "INTRODUCE", 9: "RELEASE", 16: "ERROR"}
typ = int(sys.argv[1])
payload = b"".join(a.encode() + b"\0" for a in sys.argv[2:])
fd = os.open(os.environ["XENSTORED_PATH"], os.O_RDWR)
os.write(fd, struct.pack("<4I", typ, 7, 0, len(payload)) + payload)

def read_exact(n):
    b = b""
    while len(b) < n:
        c = os.read(fd, n - len(b))
        if not c:
            sys.exit("xs_raw: end of file")
        b += c
    return b

rtype, req_id, tx_id, length = struct.unpack("<4I", read_exact(16))
body = read_exact(length)
if req_id != 7 or tx_id != 0:
    sys.exit("xs_raw: reply ids %#x %#x" % (req_id, tx_id))
out = "".join("\\0" if c == 0 else chr(c) if 0x20 <= c < 0x7f and c != 0x5c
              else "\\x%02x" % c for c in body)
print(names.get(rtype, str(rtype)), out)
EOF
}

# quota_line NAME: the one line of $OUT naming quota NAME
quota_line() {
	local lines
	lines=$(printf '%s\n' "$OUT" | grep -E "(^|[^[:alnum:]-])$1([^[:alnum:]-]|\$)") ||
		fail "'xenstore-control quota' does not name $1: '$OUT'"
	[ "$(printf '%s\n' "$lines" | wc -l)" = 1 ] ||
		fail "'xenstore-control quota' names $1 more than once: '$OUT'"
	LINE=$lines
}

# has_number LINE N: LINE contains the decimal number N as a whole number
has_number() {
	printf '%s\n' "$1" | grep -Eq "(^|[^0-9])$2([^0-9]|\$)"
}

t_check_reports_ok() {
	ok "$XSCTL" check
	case $OUT in
	OK*) ;;
	*) fail "xenstore-control check printed '$OUT'" ;;
	esac
}

t_help_lists_commands() {
	local c
	ok "$XSCTL" help
	for c in check help memreport print quota; do
		printf '%s\n' "$OUT" | grep -qw -- "$c" ||
			fail "xenstore-control help does not list $c: '$OUT'"
	done
}

t_print_logs_the_string() {
	local msg=kxs-control-print-$$-$RANDOM
	ok "$XSCTL" print "$msg"
	eq "$OUT" "OK" "xenstore-control print"
	ok dmesg
	printf '%s\n' "$OUT" | grep -qF -- "$msg" ||
		fail "'$msg' is not in the kernel log"
}

t_quota_lists_the_global_values() {
	local n v
	ok "$XSCTL" quota
	for n in nodes watches transactions node-size permissions memory; do
		v=$(cat "$PARAMS/quota_${n//-/_}")
		quota_line "$n"
		has_number "$LINE" "$v" ||
			fail "quota $n is $v ($PARAMS), but xenstore-control quota says '$LINE'"
	done
}

t_quota_set_changes_a_global_value() {
	local orig
	run "$XS_REQ" get-quota nodes
	[ "$RC" = 0 ] || fail "GET_QUOTA nodes: $ERR"
	case $OUT in
	"GET_QUOTA "*'\0') orig=${OUT#GET_QUOTA }; orig=${orig%'\0'} ;;
	*) fail "GET_QUOTA nodes answered '$OUT'" ;;
	esac
	[ "$orig" != 1234 ] || orig=1000
	# put it back however the case ends
	trap '"$XSCTL" quota set nodes "$orig" >/dev/null 2>&1 || true' EXIT

	ok "$XSCTL" quota set nodes 1234
	ok "$XSCTL" quota
	quota_line nodes
	has_number "$LINE" 1234 ||
		fail "after quota set nodes 1234, xenstore-control quota says '$LINE'"
	xs_req_eq 'GET_QUOTA 1234\0' get-quota nodes

	fails "$XSCTL" quota set no-such-quota 5
	xs_req_eq 'GET_QUOTA 1234\0' get-quota nodes

	ok "$XSCTL" quota set nodes "$orig"
	xs_req_eq "GET_QUOTA $orig\\0" get-quota nodes
	trap - EXIT
}

t_quota_of_a_domain() {
	ok xs_raw 8 45 45 1
	eq "$OUT" 'INTRODUCE OK\0' "INTRODUCE of domain 45"
	trap 'xs_raw 9 45 >/dev/null 2>&1 || true' EXIT
	ok "$XSCTL" quota 45
	printf '%s\n' "$OUT" | grep -qw nodes ||
		fail "xenstore-control quota 45 does not mention nodes: '$OUT'"
	printf '%s\n' "$OUT" | grep -qE "^memory +[0-9]+/$(cat $PARAMS/quota_memory)\$" ||
		fail "xenstore-control quota 45 has no memory <used>/<quota> line: '$OUT'"
	ok xs_raw 9 45
	eq "$OUT" 'RELEASE OK\0' "RELEASE of domain 45"
	trap - EXIT
}

# memreport: the store's nodes and bytes, and a domain's, whose nodes'
# bytes grow with what it owns
t_memreport_counts_a_domains_bytes() {
	local before after v
	ok xs_raw 8 46 46 1
	trap 'xs_raw 9 46 >/dev/null 2>&1 || true' EXIT
	ok "$XSCTL" memreport
	printf '%s\n' "$OUT" | grep -qE '^store: [0-9]+ nodes, [0-9]+ bytes$' ||
		fail "memreport has no store line: '$OUT'"
	before=$(printf '%s\n' "$OUT" | sed -n 's/^domain 46: \([0-9]*\) nodes, \([0-9]*\) bytes;.*/\2/p')
	[ -n "$before" ] || fail "memreport does not list domain 46: '$OUT'"
	v=$(head -c 1000 /dev/zero | tr '\0' x)
	ok "$XS_REQ" write /local/domain/46/kxs-memreport "$v"
	ok xs_raw 14 /local/domain/46/kxs-memreport n46	# SET_PERMS
	ok "$XSCTL" memreport
	after=$(printf '%s\n' "$OUT" | sed -n 's/^domain 46: \([0-9]*\) nodes, \([0-9]*\) bytes;.*/\2/p')
	[ -n "$after" ] && [ "$after" -ge $((before + 1000)) ] ||
		fail "domain 46 owns a 1000-byte value, memreport went from $before to '$after' bytes: '$OUT'"
	ok "$XS_REQ" rm /local/domain/46
	ok xs_raw 9 46
	trap - EXIT
}

# xenstore-control says this when CONTROL answers EINVAL (3: its status)
t_unknown_command_fails() {
	fails "$XSCTL" no-such-command
	eq "$RC" 3 "exit status of xenstore-control no-such-command"
	case $ERR in
	*"Command not supported"*) ;;
	*) fail "xenstore-control no-such-command said: '$ERR'" ;;
	esac
	# the store is fine
	ok "$XSCTL" check
}

sh_main "$@"
