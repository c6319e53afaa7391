#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# pyxs (Debian python3-pyxs) against the store, through
# Client(xen_bus_path="/dev/xen/xenbus").
#
#   pyxs-client.py --list        the case names
#   pyxs-client.py [CASE...]     run the cases (default: all), each followed
#                                by "ok - CASE" or "not ok - CASE"; exit
#                                status 0 iff all passed
#
# The device is $XENSTORED_PATH, or /dev/xen/xenbus; a Unix socket there
# (a user-space xenstored) is reached with unix_socket_path instead.

import errno
import os
import signal
import stat
import sys

from pyxs import Client
from pyxs.exceptions import PyXSError

BASE = b"/kxs-test/pyxs"


def client():
    path = os.environ.get("XENSTORED_PATH") or "/dev/xen/xenbus"
    if stat.S_ISSOCK(os.stat(path).st_mode):
        return Client(unix_socket_path=path)
    return Client(xen_bus_path=path)


def eq(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, expected %r" % (what, got, want))


def raises_errno(err, fn, *args):
    try:
        got = fn(*args)
    except PyXSError as e:
        eq(e.args[0], err, "errno of %s%r" % (fn.__name__, args))
        return
    raise AssertionError("%s%r returned %r, expected PyXSError %s"
                         % (fn.__name__, args, got, errno.errorcode[err]))


def case_round_trip_of_text_values():
    with client() as c:
        c.write(BASE + b"/text/a", b"hello")
        eq(c.read(BASE + b"/text/a"), b"hello", "read a")
        c.write(BASE + b"/text/a", b"hello again, with spaces")
        eq(c.read(BASE + b"/text/a"), b"hello again, with spaces", "read a")
        c.write(BASE + b"/text/empty", b"")
        eq(c.read(BASE + b"/text/empty"), b"", "read empty")
        eq(c.read(BASE + b"/text"), b"", "parent created by write")
        c[BASE + b"/text/item"] = b"via setitem"
        eq(c[BASE + b"/text/item"], b"via setitem", "getitem")
        c.delete(BASE + b"/text")


def case_binary_values_with_nul_bytes_round_trip():
    # pyxs accepts NUL and 7-bit bytes only, and strips trailing NULs from
    # every reply, so the values end with another byte.
    values = [b"a\x00b", b"\x00\x00x", b"\x00" * 100 + b"\x7f",
              bytes(range(0x20, 0x80)) + b"\x00z"]
    with client() as c:
        for i, v in enumerate(values):
            p = BASE + b"/bin/%d" % i
            c.write(p, v)
            eq(c.read(p), v, "read %s" % p)
        c.delete(BASE + b"/bin")


def case_list_returns_sorted_children():
    with client() as c:
        for name in [b"zeta", b"alpha", b"Mid", b"beta-2", b"beta_1"]:
            c.write(BASE + b"/list/" + name, name)
        c.mkdir(BASE + b"/list/alpha/inner")
        eq(c.list(BASE + b"/list"),
           [b"Mid", b"alpha", b"beta-2", b"beta_1", b"zeta"], "list")
        eq(c.list(BASE + b"/list/alpha"), [b"inner"], "list alpha")
        eq(c.list(BASE + b"/list/zeta"), [], "list of a leaf")
        walked = list(c.walk(BASE + b"/list/alpha"))
        eq(walked, [(BASE + b"/list/alpha", b"alpha", [b"inner"]),
                    (BASE + b"/list/alpha/inner", b"", [])], "walk")
        c.delete(BASE + b"/list")


def case_exists_reports_presence():
    with client() as c:
        c.write(BASE + b"/ex/here", b"1")
        eq(c.exists(BASE + b"/ex/here"), True, "exists here")
        eq(c.exists(BASE + b"/ex"), True, "exists parent")
        eq(c.exists(BASE + b"/ex/not-here"), False, "exists not-here")
        eq(c.exists(BASE + b"/ex/not/here"), False, "exists not/here")
        c.delete(BASE + b"/ex")
        eq(c.exists(BASE + b"/ex/here"), False, "exists after delete")


def case_missing_node_raises_enoent():
    with client() as c:
        raises_errno(errno.ENOENT, c.read, BASE + b"/missing")
        raises_errno(errno.ENOENT, c.list, BASE + b"/missing")
        raises_errno(errno.ENOENT, c.delete, BASE + b"/missing/child")
        eq(c.read(BASE + b"/missing", b"fallback"), b"fallback",
           "read with default")


def case_delete_removes_subtree():
    with client() as c:
        c.write(BASE + b"/del/a/b/c", b"deep")
        c.write(BASE + b"/del/keep", b"k")
        c.delete(BASE + b"/del/a")
        raises_errno(errno.ENOENT, c.read, BASE + b"/del/a/b/c")
        raises_errno(errno.ENOENT, c.read, BASE + b"/del/a")
        eq(c.list(BASE + b"/del"), [b"keep"], "list after delete")
        # deleting a missing node whose parent exists is fine
        c.delete(BASE + b"/del/a")
        c.delete(BASE + b"/del")
        eq(c.exists(BASE + b"/del"), False, "exists after delete")


def case_mkdir_creates_empty_node_and_keeps_values():
    with client() as c:
        c.mkdir(BASE + b"/mk/a/b")
        eq(c.read(BASE + b"/mk/a/b"), b"", "new node")
        eq(c.list(BASE + b"/mk"), [b"a"], "list")
        c.write(BASE + b"/mk/a", b"value")
        c.mkdir(BASE + b"/mk/a")
        eq(c.read(BASE + b"/mk/a"), b"value", "value kept by mkdir")
        c.delete(BASE + b"/mk")


def case_two_clients_share_the_store():
    with client() as a, client() as b:
        a.write(BASE + b"/shared", b"from a")
        eq(b.read(BASE + b"/shared"), b"from a", "b reads a's write")
        b.delete(BASE + b"/shared")
        raises_errno(errno.ENOENT, a.read, BASE + b"/shared")


CASES = [(name[len("case_"):].replace("_", "-"), fn)
         for name, fn in list(globals().items()) if name.startswith("case_")]


CASE_TIMEOUT = int(os.environ.get("KXS_CASE_TIMEOUT") or 30)


def on_alarm(signum, frame):
    raise TimeoutError("timed out after %d s" % CASE_TIMEOUT)


def run(name, fn):
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(CASE_TIMEOUT)
    try:
        fn()
    except Exception as e:  # report any failure, including pyxs errors
        print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)
        return False
    finally:
        signal.alarm(0)
    return True


def main(argv):
    cases = dict(CASES)
    if argv == ["--list"]:
        for name, _ in CASES:
            print(name)
        return 0
    for name in argv:
        if name not in cases:
            print("no case named %s (see --list)" % name, file=sys.stderr)
            return 2
    failed = False
    for name in argv or [name for name, _ in CASES]:
        ok = run(name, cases[name])
        print("%s - %s" % ("ok" if ok else "not ok", name), flush=True)
        failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
