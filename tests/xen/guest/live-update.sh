# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# A guest that keeps using its ring while dom0 replaces kxenstore
# (tests/xen/guest-live-update.sh): a watch set before the update, then
# WRITE and READ of a counter in a loop until dom0 says "done"; every
# reply must be the right one.  Then the watch must hear a write dom0
# makes after the update.
# shellcheck source=tests/xen/guest/lib.sh
. /scripts/lib.sh

rm -f /tmp/watch
# Its first event on being set, one when the new module adopts it (each
# adopted watch fires once), then dom0's write after the update.
xenstore-watch -n 3 data/kxs/ping >/tmp/watch 2>&1 &
wpid=$!
i=0
while [ ! -s /tmp/watch ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
state looping
i=0 bad=''
while [ "$(xenstore-read data/kxs/go 2>/dev/null)" != "done" ]; do
	i=$((i + 1))
	if ! xenstore-write data/kxs/n "$i"; then
		bad="WRITE $i failed"
		break
	fi
	v=$(xenstore-read data/kxs/n) || v="(READ failed)"
	if [ "$v" != "$i" ]; then
		bad="READ after WRITE $i gave $v"
		break
	fi
	[ $((i % 20)) != 0 ] || xenstore-write data/kxs/loops "$i"
done
say "$i loops"
if [ -n "$bad" ]; then
	result loop fail "$bad"
else
	result loop ok
fi
await ping-written
n=0
while kill -0 $wpid 2>/dev/null && [ $n -lt 600 ]; do
	sleep 0.1
	n=$((n + 1))
done
if kill -0 $wpid 2>/dev/null; then
	kill $wpid
	result watch fail "no event after the update: $(cat /tmp/watch)"
elif [ "$(cat /tmp/watch)" = "data/kxs/ping
data/kxs/ping
data/kxs/ping" ]; then
	result watch ok
else
	result watch fail "events: $(cat /tmp/watch)"
fi
await exit
