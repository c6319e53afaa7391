# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# The smallest guest: read domid and name, write below its home.
# shellcheck source=tests/xen/guest/lib.sh
. /scripts/lib.sh
say "name $(xenstore-read name)"
xenstore-write data/hello world
xenstore-ls "$HOME_XS"
