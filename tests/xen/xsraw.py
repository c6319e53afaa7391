# SPDX-License-Identifier: GPL-2.0
"""Raw xenstore wire messages on a device, for tests/xen/dom0.sh's Python.

One message per write(), as the kernel's xenbus frontend takes them;
replies and events are read back whole, however they arrive.
"""
import os
import struct

HDR = struct.Struct("<IIII")    # type, req_id, tx_id, len
XS_READ, XS_WATCH, XS_WRITE, XS_WATCH_EVENT = 2, 4, 11, 15


class Conn:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR)
        self.buf = b""

    def send(self, msg_type, req_id, payload):
        os.write(self.fd, HDR.pack(msg_type, req_id, 0, len(payload)) +
                 payload)

    def recv(self):
        """The next message: (type, req_id, payload)."""
        while (len(self.buf) < HDR.size or
               len(self.buf) < HDR.size + HDR.unpack_from(self.buf)[3]):
            self.buf += os.read(self.fd, 65536)
        msg_type, req_id, _, n = HDR.unpack_from(self.buf)
        payload = self.buf[HDR.size:HDR.size + n]
        self.buf = self.buf[HDR.size + n:]
        return msg_type, req_id, payload
