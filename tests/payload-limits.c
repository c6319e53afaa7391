// SPDX-License-Identifier: GPL-2.0
/*
 * The 4096-byte payload limit, in both directions: the largest WRITE is
 * accepted and reads back, a larger one fails the write(); a DIRECTORY
 * reply of exactly 4096 bytes is sent, a longer one is refused with E2BIG.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xstest.h"

#define BASE "/kxs-test/limits"

static void fill(unsigned char *v, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = (unsigned char)(i * 31 + seed + (i >> 8));
}

static void write_with_4096_byte_payload_reads_back(void)
{
	static const char path[] = BASE "/max";
	static unsigned char payload[XST_PAYLOAD_MAX];
	size_t vlen = XST_PAYLOAD_MAX - sizeof(path);
	int fd = xst_open(0);

	memcpy(payload, path, sizeof(path));
	fill(payload + sizeof(path), vlen, 7);
	xst_rpc(fd, XS_WRITE, payload, XST_PAYLOAD_MAX, XS_WRITE, OK_REPLY);
	xst_read_expect(fd, path, payload + sizeof(path), vlen);
	CHECK(vlen == 4096 - strlen(path) - 1, "value of %zu bytes", vlen);

	/* the same with a 1-byte shorter value, and overwriting */
	fill(payload + sizeof(path), vlen - 1, 9);
	xst_rpc(fd, XS_WRITE, payload, XST_PAYLOAD_MAX - 1, XS_WRITE, OK_REPLY);
	xst_read_expect(fd, path, payload + sizeof(path), vlen - 1);
	xst_rm(fd, BASE "/max");
	close(fd);
}

static void write_with_4097_byte_payload_fails_with_e2big(void)
{
	static const char path[] = BASE "/over";
	static unsigned char msg[XST_MSG_MAX + 1];
	struct xsd_sockmsg h = { .type = XS_WRITE, .req_id = 3, .len = 4097 };
	int fd = xst_open(0);
	ssize_t r;

	xst_write_str(fd, path, "old", 3);
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), path, sizeof(path));
	fill(msg + sizeof(h) + sizeof(path), 4097 - sizeof(path), 3);
	r = write(fd, msg, sizeof(h) + 4097);
	CHECK(r == -1 && errno == E2BIG,
	      "write() of a WRITE with 4097 payload bytes returned %zd (%s), expected -1 with E2BIG",
	      r, r < 0 ? strerror(errno) : "no error");
	xst_expect_silence(fd, 0);
	xst_read_expect(fd, path, "old", 3);
	xst_rm(fd, path);
	close(fd);
}

#define NCHILD 32
#define NAME_LEN 127	/* 32 * (127 + 1) = 4096 */

static size_t child_name(char *out, int i)
{
	memset(out, 'x', NAME_LEN);
	out[0] = 'c';
	out[1] = '0' + i / 10;
	out[2] = '0' + i % 10;
	out[NAME_LEN] = 0;
	return NAME_LEN;
}

/* Create 32 children whose DIRECTORY list is exactly 4096 bytes. */
static size_t make_full_directory(int fd, unsigned char *list)
{
	char p[256], name[NAME_LEN + 1];
	size_t n = 0;
	int i;

	for (i = NCHILD - 1; i >= 0; i--) {
		child_name(name, i);
		snprintf(p, sizeof(p), BASE "/dir/%s", name);
		xst_write_str(fd, p, "", 0);
	}
	for (i = 0; i < NCHILD; i++) {
		child_name(name, i);
		memcpy(list + n, name, NAME_LEN + 1);
		n += NAME_LEN + 1;
	}
	return n;
}

static void directory_reply_of_exactly_4096_bytes_works(void)
{
	static unsigned char list[XST_PAYLOAD_MAX];
	int fd = xst_open(0);
	size_t n = make_full_directory(fd, list);

	CHECK(n == 4096, "test bug: %zu", n);
	xst_dir_expect(fd, BASE "/dir", list, n);
	xst_rm(fd, BASE "/dir");
	close(fd);
}

static void directory_reply_over_4096_bytes_is_e2big(void)
{
	static unsigned char list[XST_PAYLOAD_MAX];
	int fd = xst_open(0);
	size_t n = make_full_directory(fd, list);

	/* one more child of one letter: 4098 bytes */
	xst_write_str(fd, BASE "/dir/z", "", 0);
	xst_rpc_err(fd, XS_DIRECTORY, S(BASE "/dir"), "E2BIG");
	/* the connection and the node are fine */
	xst_read_expect(fd, BASE "/dir/z", "", 0);
	xst_rm(fd, BASE "/dir/z");
	xst_dir_expect(fd, BASE "/dir", list, n);
	/* and a long list is removed in one RM */
	xst_rm(fd, BASE "/dir");
	xst_rpc_err(fd, XS_DIRECTORY, S(BASE "/dir"), "ENOENT");
	close(fd);
}

static const struct xst_case cases[] = {
	{ "write-with-4096-byte-payload-reads-back",
	  write_with_4096_byte_payload_reads_back },
	{ "write-with-4097-byte-payload-fails-with-e2big",
	  write_with_4097_byte_payload_fails_with_e2big },
	{ "directory-reply-of-exactly-4096-bytes-works",
	  directory_reply_of_exactly_4096_bytes_works },
	{ "directory-reply-over-4096-bytes-is-e2big",
	  directory_reply_over_4096_bytes_is_e2big },
};

int main(int argc, char **argv)
{
	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
