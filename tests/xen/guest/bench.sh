# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Usage (a guest script): bench [N]
#
# READ and WRITE round trips through this guest's xenstore ring: N
# (default 200) of each, one at a time, by one libxenstore client
# (guest-xs bench); scripts/xen/guest-bench prints them.
# shellcheck source=tests/xen/guest/lib.sh
. /scripts/lib.sh
n=${1:-200}
# a warm-up, then the measured run
guest-xs bench 20 data/bench >/dev/null
guest-xs bench "$n" data/bench
