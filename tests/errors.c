// SPDX-License-Identifier: GPL-2.0
/*
 * Requests the store refuses: unknown or unimplemented message types
 * (ENOSYS), malformed payloads and paths (EINVAL).  A refused request never
 * harms the connection that sent it nor any other connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xstest.h"

#define BASE "/kxs-test/errors"

static const uint32_t path_ops[] = {
	XS_READ, XS_DIRECTORY, XS_MKDIR, XS_RM, XS_WRITE,
};

#define N_PATH_OPS (ARRAY_SIZE(path_ops))

/* A good request on @fd still gets the right answer. */
static void still_works(int fd)
{
	xst_read_expect(fd, BASE "/canary", "alive", 5);
}

static void setup_canary(int fd)
{
	xst_write_str(fd, BASE "/canary", "alive", 5);
}

static void remove_canary(int fd)
{
	xst_rm(fd, BASE "/canary");
	xst_read_err(fd, BASE "/canary", "ENOENT");
}

static void expect_enosys_for(int fd, uint32_t type)
{
	char what[64];
	uint32_t id = xst_next_req_id();

	snprintf(what, sizeof(what), "request of %s", xst_type_name(type));
	xst_send(fd, type, id, 0, S(BASE "/canary"));
	xst_expect(fd, what, XS_ERROR, id, 0, S("ENOSYS"));
	/* and with an empty payload */
	id = xst_next_req_id();
	xst_send(fd, type, id, 0, NULL, 0);
	xst_expect(fd, what, XS_ERROR, id, 0, S("ENOSYS"));
}

/* Types that are not valid in a request, now or ever. */
static void invalid_types_get_enosys(void)
{
	static const uint32_t types[] = {
		XS_WATCH_EVENT, XS_ERROR, 20 /* RESTRICT, removed */, 27, 28,
		100, 0xfffe, XS_INVALID, 0x10000, 0x80000000, 0xffffffff,
	};
	int fd = xst_open(0);
	size_t i;

	setup_canary(fd);
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		expect_enosys_for(fd, types[i]);
		still_works(fd);
	}
	remove_canary(fd);
	close(fd);
}

/* Send @p (exactly @len bytes) with every path-taking type: EINVAL. */
static void einval_for_all_ops(int fd, const void *p, size_t len)
{
	size_t i;

	for (i = 0; i < N_PATH_OPS; i++) {
		xst_rpc_err(fd, path_ops[i], p, len, "EINVAL");
		still_works(fd);
	}
}

static void payload_without_nul_is_einval(void)
{
	int fd = xst_open(0);

	setup_canary(fd);
	einval_for_all_ops(fd, BASE "/canary", strlen(BASE "/canary"));
	einval_for_all_ops(fd, "/", 1);
	remove_canary(fd);
	close(fd);
}

static void empty_payload_is_einval(void)
{
	int fd = xst_open(0);

	setup_canary(fd);
	einval_for_all_ops(fd, NULL, 0);
	remove_canary(fd);
	close(fd);
}

/* Single-argument requests take exactly "<path>\0". */
static void extra_bytes_after_path_are_einval(void)
{
	static const uint32_t single[] = {
		XS_READ, XS_DIRECTORY, XS_MKDIR, XS_RM,
	};
	int fd = xst_open(0);
	size_t i;

	setup_canary(fd);
	for (i = 0; i < ARRAY_SIZE(single); i++) {
		xst_rpc_err(fd, single[i], S(BASE "/canary\0"), "EINVAL");
		xst_rpc_err(fd, single[i], S(BASE "/canary\0x"), "EINVAL");
		xst_rpc_err(fd, single[i], S(BASE "/canary\0/x"), "EINVAL");
		still_works(fd);
	}
	remove_canary(fd);
	close(fd);
}

static void path_with_bad_characters_is_einval(void)
{
	static const char *const bad[] = {
		"/kxs-test/errors/a b", "/kxs-test/errors/a.b",
		"/kxs-test/errors/a+b", "/kxs-test/errors/a:b",
		"/kxs-test/errors/a*", "/kxs-test/errors/\xff",
		"/kxs-test/errors/a\x01", "/kxs-test/errors/a\tb",
		"/kxs-test/errors/a\nb", "/kxs-test/errors/a~",
		"/kxs-test/errors/..", "/kxs-test/errors/\xc3\xa9",
	};
	char p[256];
	int fd = xst_open(0);
	size_t i;

	setup_canary(fd);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t n = strlen(bad[i]) + 1;

		memcpy(p, bad[i], n);
		einval_for_all_ops(fd, p, n);
	}
	/* WRITE with a good value but a bad path */
	xst_rpc_err(fd, XS_WRITE, S(BASE "/a.b\0value") - 1, "EINVAL");
	xst_read_err(fd, BASE "/a", "ENOENT");
	still_works(fd);
	remove_canary(fd);
	close(fd);
}

static void path_with_double_slash_is_einval(void)
{
	int fd = xst_open(0);

	setup_canary(fd);
	einval_for_all_ops(fd, S("//"));
	einval_for_all_ops(fd, S("//kxs-test"));
	einval_for_all_ops(fd, S(BASE "//canary"));
	einval_for_all_ops(fd, S(BASE "/canary//x"));
	einval_for_all_ops(fd, S("kxs//rel"));
	remove_canary(fd);
	close(fd);
}

static void path_with_trailing_slash_is_einval(void)
{
	int fd = xst_open(0);

	setup_canary(fd);
	einval_for_all_ops(fd, S(BASE "/"));
	einval_for_all_ops(fd, S(BASE "/canary/"));
	einval_for_all_ops(fd, S("kxs-rel/"));
	remove_canary(fd);
	close(fd);
}

static void empty_path_is_einval(void)
{
	int fd = xst_open(0);

	setup_canary(fd);
	einval_for_all_ops(fd, S(""));
	xst_rpc_err(fd, XS_WRITE, S("\0value") - 1, "EINVAL");
	still_works(fd);
	remove_canary(fd);
	close(fd);
}

/* Absolute paths up to 3072 bytes are allowed, longer ones are not. */
static void path_longer_than_3072_bytes_is_einval(void)
{
	static char p[4096];
	int fd = xst_open(0);
	size_t base = strlen(BASE "/long/");

	setup_canary(fd);
	memcpy(p, BASE "/long/", base);
	/* 3073 bytes: one component of 'x' after the base */
	memset(p + base, 'x', 3073 - base);
	p[3073] = 0;
	einval_for_all_ops(fd, p, 3074);
	/* split into components, still 3073 bytes */
	p[1000] = '/';
	p[2000] = '/';
	einval_for_all_ops(fd, p, 3074);

	/* exactly 3072 bytes works */
	p[3072] = 0;
	xst_read_err(fd, p, "ENOENT");
	xst_write_str(fd, p, "long", 4);
	xst_read_expect(fd, p, "long", 4);
	xst_rm(fd, BASE "/long");
	xst_read_err(fd, p, "ENOENT");
	still_works(fd);
	remove_canary(fd);
	close(fd);
}

/* Relative paths up to 2048 bytes are allowed, longer ones are not. */
static void relative_path_longer_than_2048_bytes_is_einval(void)
{
	static char p[4096], abs[4096];
	int fd = xst_open(0);

	setup_canary(fd);
	memset(p, 'r', 2049);
	memcpy(p, "kxs-test-rel/", 13);
	p[2049] = 0;
	einval_for_all_ops(fd, p, 2050);

	/* exactly 2048 bytes works, and names /local/domain/0/<p> */
	p[2048] = 0;
	snprintf(abs, sizeof(abs), "/local/domain/0/%s", p);
	xst_write_str(fd, p, "rel", 3);
	xst_read_expect(fd, abs, "rel", 3);
	xst_rm(fd, "kxs-test-rel");
	xst_read_err(fd, abs, "ENOENT");
	remove_canary(fd);
	close(fd);
}

/* @-paths name special watches; node operations refuse them. */
static void special_watch_paths_are_einval_for_node_operations(void)
{
	int fd = xst_open(0);

	setup_canary(fd);
	einval_for_all_ops(fd, S("@introduceDomain"));
	einval_for_all_ops(fd, S("@releaseDomain"));
	einval_for_all_ops(fd, S("@releaseDomain/1"));
	einval_for_all_ops(fd, S("@"));
	remove_canary(fd);
	close(fd);
}

static void rm_of_root_is_einval(void)
{
	int fd = xst_open(0);

	setup_canary(fd);
	xst_rpc_err(fd, XS_RM, S("/"), "EINVAL");
	still_works(fd);
	xst_read_expect(fd, "/", "", 0);
	remove_canary(fd);
	close(fd);
}

/* The four punctuation characters -/_@ are valid in paths. */
static void path_with_allowed_punctuation_is_valid(void)
{
	static const char p[] = BASE "/a-b_c@d/Z-09_@";
	int fd = xst_open(0);

	xst_read_err(fd, p, "ENOENT");
	xst_write_str(fd, p, "punct", 5);
	xst_read_expect(fd, p, "punct", 5);
	xst_dir_expect(fd, BASE "/a-b_c@d", S("Z-09_@"));
	xst_rm(fd, BASE "/a-b_c@d");
	xst_read_err(fd, p, "ENOENT");
	close(fd);
}

/*
 * Every kind of refusal on one connection, while a second connection has a
 * half-written request buffered: the first keeps answering after each
 * refusal, the second gets no stray reply and completes its request.
 */
static void errors_do_not_break_this_or_another_connection(void)
{
	static unsigned char half[XST_MSG_MAX];
	struct xsd_sockmsg big = { .type = XS_READ, .req_id = 9, .len = 5000 };
	int fd1 = xst_open(0), fd2 = xst_open(0);
	size_t n;
	ssize_t r;

	setup_canary(fd1);
	xst_write_str(fd2, BASE "/other", "before", 6);
	n = xst_build(half, XS_WRITE, 0xb0b, 0, S(BASE "/other\0after") - 1);
	xst_write_all(fd2, half, 20);

	xst_rpc_err(fd1, XS_INVALID, S("/"), "ENOSYS");
	still_works(fd1);
	xst_rpc_err(fd1, XS_READ, S("no/trailing/"), "EINVAL");
	still_works(fd1);
	xst_rpc_err(fd1, XS_WRITE, "/x", 2, "EINVAL");
	still_works(fd1);
	xst_rpc_err(fd1, XS_READ, S(BASE "/missing"), "ENOENT");
	still_works(fd1);
	xst_rpc_err(fd1, XS_RM, S(BASE "/missing/child"), "ENOENT");
	still_works(fd1);
	xst_rpc_err(fd1, XS_RM, S("/"), "EINVAL");
	still_works(fd1);
	r = write(fd1, &big, sizeof(big));
	CHECK(r == -1 && errno == E2BIG, "oversize write returned %zd (%s)",
	      r, r < 0 ? strerror(errno) : "no error");
	still_works(fd1);

	xst_expect_silence(fd2, 0);
	xst_write_all(fd2, half + 20, n - 20);
	xst_expect(fd2, "second connection's split WRITE", XS_WRITE, 0xb0b, 0,
		   OK_REPLY);
	xst_read_expect(fd2, BASE "/other", "after", 5);
	xst_read_expect(fd1, BASE "/other", "after", 5);
	xst_rm(fd2, BASE "/other");
	still_works(fd1);
	close(fd2);
	still_works(fd1);
	remove_canary(fd1);
	close(fd1);
}

static const struct xst_case cases[] = {
	{ "invalid-types-get-enosys", invalid_types_get_enosys },
	{ "payload-without-nul-is-einval", payload_without_nul_is_einval },
	{ "empty-payload-is-einval", empty_payload_is_einval },
	{ "extra-bytes-after-path-are-einval",
	  extra_bytes_after_path_are_einval },
	{ "path-with-bad-characters-is-einval",
	  path_with_bad_characters_is_einval },
	{ "path-with-double-slash-is-einval", path_with_double_slash_is_einval },
	{ "path-with-trailing-slash-is-einval",
	  path_with_trailing_slash_is_einval },
	{ "empty-path-is-einval", empty_path_is_einval },
	{ "path-longer-than-3072-bytes-is-einval",
	  path_longer_than_3072_bytes_is_einval },
	{ "relative-path-longer-than-2048-bytes-is-einval",
	  relative_path_longer_than_2048_bytes_is_einval },
	{ "special-watch-paths-are-einval-for-node-operations",
	  special_watch_paths_are_einval_for_node_operations },
	{ "rm-of-root-is-einval", rm_of_root_is_einval },
	{ "path-with-allowed-punctuation-is-valid",
	  path_with_allowed_punctuation_is_valid },
	{ "errors-do-not-break-this-or-another-connection",
	  errors_do_not_break_this_or_another_connection },
};

int main(int argc, char **argv)
{
	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
