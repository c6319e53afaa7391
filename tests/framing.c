// SPDX-License-Identifier: GPL-2.0
/*
 * Framing of the byte stream on /dev/xen/xenbus: requests split over
 * several write()s or packed several into one, oversize headers, replies
 * read back in pieces of any size.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/xstest.h"

#define BASE "/kxs-test/framing"

static unsigned char msgbuf[64 * 1024];

/* The exact bytes of a reply, to compare with what read() returns. */
static size_t expected_reply(void *out, uint32_t type, uint32_t req_id,
			     uint32_t tx_id, const void *payload, size_t len)
{
	return xst_build(out, type, req_id, tx_id, payload, len);
}

static void header_split_byte_by_byte_is_reassembled(void)
{
	static const char req[] = BASE "/bytewise\0hello, byte by byte";
	int fd = xst_open(0);
	size_t n, i;

	xst_mkdir(fd, BASE);
	n = xst_build(msgbuf, XS_WRITE, 0x1001, 0, req, sizeof(req) - 1);
	for (i = 0; i < n; i++) {
		xst_write_all(fd, msgbuf + i, 1);
		if (i + 1 < n && (i < XST_HDR_LEN + 2 || i + 2 >= n))
			xst_expect_silence(fd, 0);
	}
	xst_expect(fd, "WRITE sent one byte per write()", XS_WRITE, 0x1001, 0,
		   OK_REPLY);
	xst_read_expect(fd, BASE "/bytewise", S("hello, byte by byte") - 1);
	xst_rm(fd, BASE "/bytewise");
	close(fd);
}

static void message_split_at_every_boundary_is_reassembled(void)
{
	static const char req[] = BASE "/pieces\0some value";
	int fd = xst_open(0);
	size_t n, cut;

	xst_mkdir(fd, BASE);
	n = xst_build(msgbuf, XS_WRITE, 0x2000, 0, req, sizeof(req) - 1);
	/* cut the message in two at every possible offset */
	for (cut = 1; cut < n; cut++) {
		((struct xsd_sockmsg *)msgbuf)->req_id = 0x2000 + cut;
		xst_write_all(fd, msgbuf, cut);
		xst_write_all(fd, msgbuf + cut, n - cut);
		xst_expect(fd, "WRITE split in two", XS_WRITE, 0x2000 + cut, 0,
			   OK_REPLY);
	}
	/* header in one write, payload in three */
	n = xst_build(msgbuf, XS_READ, 0x2fff, 0, S(BASE "/pieces"));
	xst_write_all(fd, msgbuf, XST_HDR_LEN);
	xst_write_all(fd, msgbuf + XST_HDR_LEN, 3);
	xst_write_all(fd, msgbuf + XST_HDR_LEN + 3, 5);
	xst_expect_silence(fd, 0);
	xst_write_all(fd, msgbuf + XST_HDR_LEN + 8, n - XST_HDR_LEN - 8);
	xst_expect(fd, "READ with the payload in three writes", XS_READ,
		   0x2fff, 0, S("some value") - 1);
	xst_rm(fd, BASE "/pieces");
	close(fd);
}

static void two_messages_in_one_write_get_replies_in_order(void)
{
	int fd = xst_open(0);
	size_t n;

	xst_mkdir(fd, BASE);
	n = xst_build(msgbuf, XS_WRITE, 7, 0, S(BASE "/two\0v2") - 1);
	n += xst_build(msgbuf + n, XS_READ, 8, 0, S(BASE "/two"));
	xst_write_all(fd, msgbuf, n);
	xst_expect(fd, "first message (WRITE)", XS_WRITE, 7, 0, OK_REPLY);
	xst_expect(fd, "second message (READ)", XS_READ, 8, 0, S("v2") - 1);
	xst_rm(fd, BASE "/two");
	close(fd);
}

/* 32 WRITEs and 32 READs (about 2.5 KiB) in a single write() call. */
static void many_messages_in_one_write_get_replies_in_order(void)
{
	int fd = xst_open(0);
	char p[128];
	size_t n = 0;
	int i, len;

	xst_mkdir(fd, BASE);
	for (i = 0; i < 32; i++) {
		len = snprintf(p, sizeof(p), BASE "/many/k%02d%cval-%d", i, 0,
			       i * 7);
		n += xst_build(msgbuf + n, XS_WRITE, 100 + i, 0, p, len);
	}
	for (i = 31; i >= 0; i--) {
		len = snprintf(p, sizeof(p), BASE "/many/k%02d", i);
		n += xst_build(msgbuf + n, XS_READ, 200 + i, 0, p, len + 1);
	}
	CHECK(n < XST_MSG_MAX, "test bug: %zu bytes", n);
	xst_write_all(fd, msgbuf, n);
	for (i = 0; i < 32; i++)
		xst_expect(fd, "WRITE in a batch", XS_WRITE, 100 + i, 0,
			   OK_REPLY);
	for (i = 31; i >= 0; i--) {
		len = snprintf(p, sizeof(p), "val-%d", i * 7);
		xst_expect(fd, "READ in a batch", XS_READ, 200 + i, 0, p, len);
	}
	xst_rm(fd, BASE "/many");
	close(fd);
}

/*
 * 300 messages, about 12 KiB, more than one message buffer: written with
 * the usual loop that copes with short writes.
 */
static void batch_larger_than_one_message_is_processed_in_order(void)
{
	int fd = xst_open(0);
	char p[128];
	size_t n = 0, off = 0;
	ssize_t r;
	int i, len, calls = 0;

	xst_mkdir(fd, BASE);
	for (i = 0; i < 150; i++) {
		len = snprintf(p, sizeof(p), BASE "/big/k%03d%cv%d", i, 0, i);
		n += xst_build(msgbuf + n, XS_WRITE, 1000 + i, 0, p, len);
		len = snprintf(p, sizeof(p), BASE "/big/k%03d", i);
		n += xst_build(msgbuf + n, XS_READ, 5000 + i, 0, p, len + 1);
	}
	while (off < n) {
		r = write(fd, msgbuf + off, n - off);
		if (r <= 0)
			FAIL("write of %zu bytes at offset %zu returned %zd (%s)",
			     n - off, off, r, r < 0 ? strerror(errno) : "");
		off += r;
		calls++;
	}
	for (i = 0; i < 150; i++) {
		xst_expect(fd, "WRITE in a large batch", XS_WRITE, 1000 + i,
			   0, OK_REPLY);
		len = snprintf(p, sizeof(p), "v%d", i);
		xst_expect(fd, "READ in a large batch", XS_READ, 5000 + i, 0,
			   p, len);
	}
	xst_expect_silence(fd, 0);
	printf("%zu bytes written in %d write() call(s)\n", n, calls);
	xst_rm(fd, BASE "/big");
	close(fd);
}

static void req_id_and_tx_id_are_echoed(void)
{
	static struct xst_msg m;
	int fd = xst_open(0);
	uint32_t tx;

	xst_write_str(fd, BASE "/ids", "x", 1);
	xst_send(fd, XS_READ, 0xffffffff, 0, S(BASE "/ids"));
	xst_expect(fd, "READ req_id 0xffffffff", XS_READ, 0xffffffff, 0,
		   "x", 1);
	xst_send(fd, XS_READ, 0, 0, S(BASE "/ids"));
	xst_expect(fd, "READ req_id 0", XS_READ, 0, 0, "x", 1);
	/* in a transaction */
	xst_send(fd, XS_TRANSACTION_START, 0x33, 0, S(""));
	xst_recv(fd, &m);
	CHECK(m.hdr.type == XS_TRANSACTION_START && m.hdr.req_id == 0x33,
	      "TRANSACTION_START got %s %s", xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));
	tx = (uint32_t)strtoul((char *)m.body, NULL, 10);
	xst_send(fd, XS_READ, 0xa5a5a5a5, tx, S(BASE "/ids"));
	xst_expect(fd, "READ in a transaction", XS_READ, 0xa5a5a5a5, tx,
		   "x", 1);
	xst_send(fd, XS_TRANSACTION_END, 0x34, tx, S("F"));
	xst_expect(fd, "TRANSACTION_END", XS_TRANSACTION_END, 0x34, tx,
		   OK_REPLY);
	/* error replies copy req_id and tx_id too */
	xst_send(fd, XS_READ, 0x5a5a5a5a, 0, S(BASE "/ids-missing"));
	xst_expect(fd, "READ of a missing node", XS_ERROR, 0x5a5a5a5a, 0,
		   S("ENOENT"));
	xst_send(fd, XS_READ, 0x5a5a5a5b, 0xfedcba98, S(BASE "/ids"));
	xst_expect(fd, "READ with an unknown tx_id", XS_ERROR, 0x5a5a5a5b,
		   0xfedcba98, S("ENOENT"));
	xst_send(fd, 27, 0x01020304, 0x0a0b0c0d, S(BASE "/ids"));
	xst_expect(fd, "type 27", XS_ERROR, 0x01020304, 0x0a0b0c0d,
		   S("ENOSYS"));
	xst_rm(fd, BASE "/ids");
	close(fd);
}

static void expect_e2big(int fd, const void *buf, size_t n, const char *what)
{
	ssize_t r = write(fd, buf, n);

	if (r != -1 || errno != E2BIG)
		FAIL("%s: write() of %zu bytes returned %zd (%s), expected -1 with E2BIG",
		     what, n, r, r < 0 ? strerror(errno) : "no error");
}

static void oversize_len_fails_write_with_e2big_and_connection_survives(void)
{
	struct xsd_sockmsg h = { .type = XS_READ, .req_id = 1, .len = 4097 };
	int fd = xst_open(0);

	xst_write_str(fd, BASE "/big-len", "still here", 10);

	/* a header alone announcing 4097 bytes */
	expect_e2big(fd, &h, sizeof(h), "header with len 4097");
	xst_expect_silence(fd, 0);
	xst_read_expect(fd, BASE "/big-len", "still here", 10);

	/* header with len 4097 followed by some of its payload */
	memset(msgbuf, 'a', sizeof(msgbuf));
	memcpy(msgbuf, &h, sizeof(h));
	expect_e2big(fd, msgbuf, sizeof(h) + 100, "len 4097 plus 100 bytes");
	xst_read_expect(fd, BASE "/big-len", "still here", 10);

	/* header split: the first half is accepted, the second fails */
	h.type = XS_WRITE;
	h.len = 0xffffffff;
	xst_write_all(fd, &h, 8);
	expect_e2big(fd, (char *)&h + 8, 8, "second half of a header with len 0xffffffff");
	xst_expect_silence(fd, 0);
	/* the dropped half header must not be glued to the next message */
	xst_read_expect(fd, BASE "/big-len", "still here", 10);

	/* a huge len on a WRITE header */
	h.type = XS_WRITE;
	h.len = 0x80000000;
	expect_e2big(fd, &h, sizeof(h), "header with len 0x80000000");
	xst_write_str(fd, BASE "/big-len", "written after E2BIG", 19);
	xst_read_expect(fd, BASE "/big-len", "written after E2BIG", 19);
	xst_rm(fd, BASE "/big-len");
	xst_expect_silence(fd, 0);
	close(fd);
}

/*
 * Complete messages followed by a refused header in one write(): the write
 * returns the length of the messages it took in, and the next write,
 * starting with the refused header, fails with E2BIG.
 */
static void messages_before_oversize_header_are_taken_in(void)
{
	struct xsd_sockmsg big = { .type = XS_WRITE, .req_id = 66, .len = 4097 };
	int fd = xst_open(0);
	size_t a, n;
	ssize_t r;

	xst_mkdir(fd, BASE);
	a = xst_build(msgbuf, XS_WRITE, 0x61, 0, S(BASE "/before-big\0a") - 1);
	a += xst_build(msgbuf + a, XS_READ, 0x62, 0, S(BASE "/before-big"));
	memcpy(msgbuf + a, &big, sizeof(big));
	n = a + sizeof(big) + 10;
	r = write(fd, msgbuf, n);
	CHECK(r == (ssize_t)a,
	      "write() of 2 messages + an oversize header returned %zd (%s), expected %zu",
	      r, r < 0 ? strerror(errno) : "", a);
	xst_expect(fd, "WRITE before the oversize header", XS_WRITE, 0x61, 0,
		   OK_REPLY);
	xst_expect(fd, "READ before the oversize header", XS_READ, 0x62, 0,
		   "a", 1);
	expect_e2big(fd, msgbuf + a, n - a, "the rest, from the oversize header");
	xst_expect_silence(fd, 0);
	xst_read_expect(fd, BASE "/before-big", "a", 1);
	xst_rm(fd, BASE "/before-big");
	close(fd);
}

/* A bad buffer address fails with EFAULT and loses nothing. */
static void bad_buffer_address_is_efault_and_loses_nothing(void)
{
	static volatile uintptr_t unmapped = 8;	/* in the first page */
	void *bad = (void *)unmapped;
	unsigned char exp[64], buf[64];
	int fd = xst_open(0);
	ssize_t r;
	size_t n;

	xst_write_str(fd, BASE "/efault", "still", 5);
	r = write(fd, bad, 16);
	CHECK(r == -1 && errno == EFAULT, "write(bad address, 16) returned %zd (%s)",
	      r, r < 0 ? strerror(errno) : "");
	xst_expect_silence(fd, 0);
	xst_send(fd, XS_READ, 0x71, 0, S(BASE "/efault"));
	n = xst_build(exp, XS_READ, 0x71, 0, "still", 5);
	r = read(fd, bad, sizeof(buf));
	CHECK(r == -1 && errno == EFAULT, "read(bad address) returned %zd (%s)", r,
	      r < 0 ? strerror(errno) : "");
	/* the reply is still queued, whole */
	xst_read_exact(fd, buf, n, 5000);
	CHECK(!memcmp(buf, exp, n), "reply after EFAULT %s, expected %s",
	      xst_esc(buf, n), xst_esc(exp, n));
	xst_expect_silence(fd, 0);
	xst_rm(fd, BASE "/efault");
	close(fd);
}

static void zero_length_write_returns_0(void)
{
	int fd = xst_open(0);
	ssize_t r;
	size_t n;

	xst_mkdir(fd, BASE);
	r = write(fd, msgbuf, 0);
	CHECK(r == 0, "write(fd, buf, 0) returned %zd (%s)", r,
	      r < 0 ? strerror(errno) : "");
	r = write(fd, NULL, 0);
	CHECK(r == 0, "write(fd, NULL, 0) returned %zd (%s)", r,
	      r < 0 ? strerror(errno) : "");
	xst_expect_silence(fd, 0);

	/* in the middle of a message it changes nothing */
	n = xst_build(msgbuf, XS_WRITE, 0x77, 0, S(BASE "/zero\0z") - 1);
	xst_write_all(fd, msgbuf, 10);
	r = write(fd, msgbuf, 0);
	CHECK(r == 0, "write(fd, buf, 0) inside a message returned %zd", r);
	xst_write_all(fd, msgbuf + 10, n - 10);
	xst_expect(fd, "WRITE around a zero-length write", XS_WRITE, 0x77, 0,
		   OK_REPLY);
	xst_read_expect(fd, BASE "/zero", "z", 1);
	xst_rm(fd, BASE "/zero");
	close(fd);
}

/* Queue the reply to a READ of a 50-byte value; return its exact bytes. */
static size_t queue_read_reply(int fd, const char *node, uint32_t id,
			       unsigned char *exp)
{
	static const char val[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";

	xst_write_str(fd, node, val, 50);
	xst_send(fd, XS_READ, id, 0, node, strlen(node) + 1);
	return expected_reply(exp, XS_READ, id, 0, val, 50);
}

/*
 * Read @n expected bytes asking @chunk bytes per read() (asking again for
 * the rest when a read() returns fewer); every byte must match.
 */
static void read_in_chunks(int fd, const unsigned char *exp, size_t n,
			   size_t chunk, const char *what)
{
	unsigned char buf[256];
	size_t got = 0;

	while (got < n) {
		size_t want = chunk < n - got ? chunk : n - got;

		xst_read_exact(fd, buf, want, 5000);
		if (memcmp(buf, exp + got, want))
			FAIL("%s: bytes %zu..%zu are %s, expected %s", what,
			     got, got + want, xst_esc(buf, want),
			     xst_esc(exp + got, want));
		got += want;
	}
	xst_expect_silence(fd, 0);
}

static void reply_read_one_byte_at_a_time(void)
{
	unsigned char exp[128];
	int fd = xst_open(0);
	size_t n = queue_read_reply(fd, BASE "/odd1", 0x301, exp);

	read_in_chunks(fd, exp, n, 1, "1-byte reads");
	xst_rm(fd, BASE "/odd1");
	close(fd);
}

static void reply_read_as_header_then_payload(void)
{
	unsigned char exp[128], buf[128];
	int fd = xst_open(0);
	size_t n = queue_read_reply(fd, BASE "/odd2", 0x302, exp);
	ssize_t r;

	r = read(fd, buf, XST_HDR_LEN);
	CHECK(r == (ssize_t)XST_HDR_LEN, "read(16) returned %zd", r);
	CHECK(!memcmp(buf, exp, XST_HDR_LEN), "header %s, expected %s",
	      xst_esc(buf, 16), xst_esc(exp, 16));
	r = read(fd, buf, n - XST_HDR_LEN);
	CHECK(r == (ssize_t)(n - XST_HDR_LEN), "read(payload) returned %zd", r);
	CHECK(!memcmp(buf, exp + XST_HDR_LEN, r), "payload %s, expected %s",
	      xst_esc(buf, r), xst_esc(exp + XST_HDR_LEN, r));
	xst_expect_silence(fd, 0);
	xst_rm(fd, BASE "/odd2");
	close(fd);
}

/*
 * Two replies queued (66 + 19 bytes) read 7 bytes at a time: reads cross
 * the boundary between the replies; the last read() asks 7 and gets the
 * 1 byte left rather than blocking.
 */
static void replies_read_in_7_byte_chunks(void)
{
	unsigned char exp[256], buf[16];
	int fd = xst_open(0);
	size_t n = queue_read_reply(fd, BASE "/odd3", 0x303, exp);
	size_t got = 0;
	ssize_t r;

	xst_send(fd, XS_MKDIR, 0x304, 0, S(BASE "/odd3"));
	n += expected_reply(exp + n, XS_MKDIR, 0x304, 0, OK_REPLY);
	CHECK(n == 85, "test bug: %zu", n);
	while (got < n) {
		r = read(fd, buf, 7);
		CHECK(r > 0 && r <= 7 && (size_t)r <= n - got,
		      "read(7) at offset %zu of %zu returned %zd", got, n, r);
		CHECK(!memcmp(buf, exp + got, r), "bytes at %zu: %s, expected %s",
		      got, xst_esc(buf, r), xst_esc(exp + got, r));
		got += r;
	}
	xst_expect_silence(fd, 0);
	xst_rm(fd, BASE "/odd3");
	close(fd);
}

static void read_buffer_smaller_than_header_works(void)
{
	unsigned char exp[128];
	int fd = xst_open(0);
	size_t n = queue_read_reply(fd, BASE "/odd4", 0x305, exp);

	read_in_chunks(fd, exp, n, 4, "4-byte reads");
	n = queue_read_reply(fd, BASE "/odd4", 0x306, exp);
	read_in_chunks(fd, exp, n, 15, "15-byte reads");
	xst_rm(fd, BASE "/odd4");
	close(fd);
}

/* With several replies queued, a big read() buffer gets whole replies. */
static void large_read_buffer_gets_queued_replies(void)
{
	unsigned char exp[512], buf[8192];
	int fd = xst_open(0);
	size_t n = 0, got = 0;
	ssize_t r;
	int i;

	xst_write_str(fd, BASE "/odd5", "v", 1);
	for (i = 0; i < 5; i++) {
		xst_send(fd, XS_READ, 0x400 + i, 0, S(BASE "/odd5"));
		n += expected_reply(exp + n, XS_READ, 0x400 + i, 0, "v", 1);
	}
	while (got < n) {
		r = read(fd, buf + got, sizeof(buf) - got);
		CHECK(r > 0, "read returned %zd after %zu of %zu bytes", r,
		      got, n);
		got += r;
		CHECK(got <= n, "read returned more bytes (%zu) than queued (%zu)",
		      got, n);
	}
	CHECK(!memcmp(buf, exp, n), "stream %s, expected %s", xst_esc(buf, n),
	      xst_esc(exp, n));
	xst_rm(fd, BASE "/odd5");
	close(fd);
}

/*
 * writev() and readv() (the device's read_iter and write_iter, beside the
 * read() and write() of one buffer) frame the stream the same way: two
 * requests cut across four iovecs, inside a header and inside a payload,
 * and their replies read into three.
 */
static void readv_and_writev_frame_like_read_and_write(void)
{
	unsigned char exp[256], got[256];
	int fd = xst_open(0);
	struct iovec iov[4];
	size_t n, e;
	ssize_t r;

	xst_mkdir(fd, BASE);
	n = xst_build(msgbuf, XS_WRITE, 0x501, 0, S(BASE "/vec\0vector") - 1);
	n += xst_build(msgbuf + n, XS_READ, 0x502, 0, S(BASE "/vec"));
	iov[0] = (struct iovec){ msgbuf, 5 };
	iov[1] = (struct iovec){ msgbuf + 5, XST_HDR_LEN + 3 - 5 };
	iov[2] = (struct iovec){ msgbuf + XST_HDR_LEN + 3, 20 };
	iov[3] = (struct iovec){ msgbuf + XST_HDR_LEN + 23,
				 n - XST_HDR_LEN - 23 };
	r = writev(fd, iov, 4);
	CHECK(r == (ssize_t)n, "writev of %zu bytes returned %zd (%s)", n, r,
	      r < 0 ? strerror(errno) : "");
	e = expected_reply(exp, XS_WRITE, 0x501, 0, OK_REPLY);
	e += expected_reply(exp + e, XS_READ, 0x502, 0, "vector", 6);
	memset(got, 0, sizeof(got));
	iov[0] = (struct iovec){ got, 7 };
	iov[1] = (struct iovec){ got + 7, XST_HDR_LEN };
	iov[2] = (struct iovec){ got + 7 + XST_HDR_LEN, sizeof(got) - 7 -
				 XST_HDR_LEN };
	r = readv(fd, iov, 3);
	CHECK(r > 0 && (size_t)r <= e, "readv returned %zd (%s)", r,
	      r < 0 ? strerror(errno) : "");
	if (r > 0 && (size_t)r < e)
		xst_read_exact(fd, got + r, e - r, 5000);
	CHECK(!memcmp(got, exp, e), "stream %s, expected %s", xst_esc(got, e),
	      xst_esc(exp, e));
	xst_expect_silence(fd, 0);
	xst_rm(fd, BASE "/vec");
	close(fd);
}

/*
 * A read() whose buffer ends at an unmapped page gets the reply up to
 * the fault (or EFAULT if not a byte fitted); the next read() goes on
 * where it stopped, and nothing is lost or repeated.
 */
static void reply_cut_by_a_fault_goes_on_where_it_stopped(void)
{
	static const char val[] = "a value long enough to be cut by a fault";
	static const int room[] = { 20, 10, 1 };	/* in payload, header */
	long page = sysconf(_SC_PAGESIZE);
	unsigned char exp[128], got[128];
	int fd = xst_open(0);
	unsigned char *map;
	size_t n, have = 0;
	ssize_t r;
	int i;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(map != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK(!mprotect(map + page, page, PROT_NONE), "mprotect: %s",
	      strerror(errno));
	xst_write_str(fd, BASE "/cut", val, sizeof(val) - 1);
	for (i = 0; i < 3; i++) {
		xst_send(fd, XS_READ, 0x600 + i, 0, S(BASE "/cut"));
		n = expected_reply(exp, XS_READ, 0x600 + i, 0, val,
				   sizeof(val) - 1);
		/* room[i] bytes before the hole, more asked for */
		r = read(fd, map + page - room[i], 100);
		CHECK((r >= 0 && r <= room[i]) ||
		      (r == -1 && errno == EFAULT),
		      "read across the hole after %d bytes returned %zd (%s)",
		      room[i], r, r < 0 ? strerror(errno) : "");
		have = r > 0 ? r : 0;
		memcpy(got, map + page - room[i], have);
		xst_read_exact(fd, got + have, n - have, 5000);
		CHECK(!memcmp(got, exp, n), "reply %s, expected %s",
		      xst_esc(got, n), xst_esc(exp, n));
		xst_expect_silence(fd, 0);
	}
	munmap(map, 2 * page);
	xst_rm(fd, BASE "/cut");
	close(fd);
}

static const struct xst_case cases[] = {
	{ "header-split-byte-by-byte-is-reassembled",
	  header_split_byte_by_byte_is_reassembled },
	{ "message-split-at-every-boundary-is-reassembled",
	  message_split_at_every_boundary_is_reassembled },
	{ "two-messages-in-one-write-get-replies-in-order",
	  two_messages_in_one_write_get_replies_in_order },
	{ "many-messages-in-one-write-get-replies-in-order",
	  many_messages_in_one_write_get_replies_in_order },
	{ "batch-larger-than-one-message-is-processed-in-order",
	  batch_larger_than_one_message_is_processed_in_order },
	{ "req-id-and-tx-id-are-echoed", req_id_and_tx_id_are_echoed },
	{ "oversize-len-fails-write-with-e2big-and-connection-survives",
	  oversize_len_fails_write_with_e2big_and_connection_survives },
	{ "messages-before-oversize-header-are-taken-in",
	  messages_before_oversize_header_are_taken_in },
	{ "bad-buffer-address-is-efault-and-loses-nothing",
	  bad_buffer_address_is_efault_and_loses_nothing },
	{ "zero-length-write-returns-0", zero_length_write_returns_0 },
	{ "reply-read-one-byte-at-a-time", reply_read_one_byte_at_a_time },
	{ "reply-read-as-header-then-payload",
	  reply_read_as_header_then_payload },
	{ "replies-read-in-7-byte-chunks", replies_read_in_7_byte_chunks },
	{ "read-buffer-smaller-than-header-works",
	  read_buffer_smaller_than_header_works },
	{ "large-read-buffer-gets-queued-replies",
	  large_read_buffer_gets_queued_replies },
	{ "readv-and-writev-frame-like-read-and-write",
	  readv_and_writev_frame_like_read_and_write },
	{ "reply-cut-by-a-fault-goes-on-where-it-stopped",
	  reply_cut_by_a_fault_goes_on_where_it_stopped },
};

int main(int argc, char **argv)
{
	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
