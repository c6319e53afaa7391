# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# A guest started after others ended (tests/xen/guests.sh): its home
# holds nothing of theirs; then, while hostile guests misbehave beside
# it, it keeps working.
# shellcheck source=tests/xen/guest/lib.sh
. /scripts/lib.sh

nothing_inherited() {
	for n in data/hello data/abs data/t data/w data/kxs/seen data/kxs/peer \
		data/kxs/ping data/kxs/res/own-home; do
		if out=$(guest-xs read "$n" 2>&1); then
			echo "$n is there: $out"
			return 1
		fi
		case $out in
		*"No such file"*) ;;
		*) echo "$n: $out"; return 1 ;;
		esac
	done
}

still_works() {
	xenstore-write data/after "$1" &&
		[ "$(xenstore-read data/after)" = "$1" ] &&
		[ "$(xenstore-read domid)" = "$DOMID" ]
}

state booted
await checks
check nothing-inherited nothing_inherited
check works-before still_works before
state fresh-done

await recheck-1
check works-after-floods still_works after-floods
state rechecked-1

await recheck-2
check works-after-hostiles still_works after-hostiles
state rechecked-2

guest-xs -t 3600 wait data/kxs/go exit
