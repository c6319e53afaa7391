// SPDX-License-Identifier: GPL-2.0
/*
 * Xen's own client library, libxenstore, against the store: xs_open(0)
 * finds the device, and xs_write/xs_read/xs_directory/xs_mkdir/xs_rm work
 * and report failures through errno.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

#include "lib/xstest.h"

#define BASE "/kxs-test/libxenstore"

static struct xs_handle *open_handle(void)
{
	struct xs_handle *h = xs_open(0);

	CHECK(h, "xs_open(0) with XENSTORED_PATH=%s: %s",
	      getenv("XENSTORED_PATH") ?: "(unset)", strerror(errno));
	return h;
}

/* xs_read() must return @len bytes equal to @val, NUL-terminated. */
static void expect_read(struct xs_handle *h, const char *path,
			const void *val, unsigned int len)
{
	unsigned int got = 0xdeadbeef;
	char *v = xs_read(h, XBT_NULL, path, &got);

	CHECK(v, "xs_read(%s): %s", path, strerror(errno));
	CHECK(got == len && !memcmp(v, val, len),
	      "xs_read(%s) returned %s, expected %s", path, xst_esc(v, got),
	      xst_esc(val, len));
	CHECK(v[len] == 0, "xs_read(%s) result is not NUL-terminated", path);
	free(v);
}

static void expect_read_errno(struct xs_handle *h, const char *path, int err)
{
	unsigned int len;
	char *v;

	errno = 0;
	v = xs_read(h, XBT_NULL, path, &len);
	CHECK(!v, "xs_read(%s) returned %s, expected failure with %s", path,
	      xst_esc(v, len), strerror(err));
	CHECK(errno == err, "xs_read(%s) failed with %s, expected %s", path,
	      strerror(errno), strerror(err));
}

static void expect_write(struct xs_handle *h, const char *path,
			 const void *val, unsigned int len)
{
	CHECK(xs_write(h, XBT_NULL, path, val, len), "xs_write(%s): %s", path,
	      strerror(errno));
}

/* xs_directory() must list exactly @names (in this order). */
static void expect_dir(struct xs_handle *h, const char *path,
		       const char *const *names, unsigned int n)
{
	unsigned int num = 0xdeadbeef, i;
	char **d = xs_directory(h, XBT_NULL, path, &num);

	CHECK(d, "xs_directory(%s): %s", path, strerror(errno));
	CHECK(num == n, "xs_directory(%s) returned %u entries, expected %u",
	      path, num, n);
	for (i = 0; i < n; i++)
		CHECK(!strcmp(d[i], names[i]),
		      "xs_directory(%s)[%u] is \"%s\", expected \"%s\"", path,
		      i, d[i], names[i]);
	free(d);
}

static void xs_open_finds_device_through_xenstored_path(void)
{
	struct xs_handle *h = open_handle();

	expect_write(h, BASE "/open", "via env", 7);
	expect_read(h, BASE "/open", "via env", 7);
	CHECK(xs_rm(h, XBT_NULL, BASE "/open"), "xs_rm: %s", strerror(errno));
	xs_close(h);
}

/*
 * Without XENSTORED_PATH and without a xenstored socket, xs_open(0) falls
 * back to /dev/xen/xenbus.
 */
static void xs_open_falls_back_to_dev_xen_xenbus(void)
{
	struct xs_handle *h;

	CHECK(access("/run/xenstored/socket", F_OK) &&
	      access("/var/run/xenstored/socket", F_OK),
	      "a xenstored socket exists: the fallback cannot be tested");
	unsetenv("XENSTORED_PATH");
	h = open_handle();
	expect_write(h, BASE "/fallback", "via /dev/xen/xenbus", 19);
	expect_read(h, BASE "/fallback", "via /dev/xen/xenbus", 19);
	CHECK(xs_rm(h, XBT_NULL, BASE "/fallback"), "xs_rm: %s",
	      strerror(errno));
	xs_close(h);
}

static void write_and_read_round_trip(void)
{
	struct xs_handle *h = open_handle();

	expect_write(h, BASE "/rt/a", "hello", 5);
	expect_read(h, BASE "/rt/a", "hello", 5);
	expect_write(h, BASE "/rt/a", "bye", 3);
	expect_read(h, BASE "/rt/a", "bye", 3);
	expect_write(h, BASE "/rt/empty", "", 0);
	expect_read(h, BASE "/rt/empty", "", 0);
	/* the parent created by the write has an empty value */
	expect_read(h, BASE "/rt", "", 0);
	expect_read(h, "/", "", 0);
	CHECK(xs_rm(h, XBT_NULL, BASE "/rt"), "xs_rm: %s", strerror(errno));
	xs_close(h);
}

static void read_returns_exact_bytes_of_binary_value(void)
{
	static const unsigned char bin[] = {
		'a', 0, 'b', 0, 0, 0xff, 0x01, 0x80, '\n', 0,
	};
	unsigned char big[3000];
	struct xs_handle *h = open_handle();
	unsigned int i;

	expect_write(h, BASE "/bin", bin, sizeof(bin));
	expect_read(h, BASE "/bin", bin, sizeof(bin));
	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7);
	expect_write(h, BASE "/bin", big, sizeof(big));
	expect_read(h, BASE "/bin", big, sizeof(big));
	CHECK(xs_rm(h, XBT_NULL, BASE "/bin"), "xs_rm: %s", strerror(errno));
	xs_close(h);
}

static void directory_lists_children_sorted(void)
{
	static const char *const names[] = { "alpha", "beta", "gamma", "z" };
	struct xs_handle *h = open_handle();

	expect_write(h, BASE "/dir/z", "", 0);
	expect_write(h, BASE "/dir/gamma", "3", 1);
	expect_write(h, BASE "/dir/alpha/child", "1", 1);
	expect_write(h, BASE "/dir/beta", "2", 1);
	expect_dir(h, BASE "/dir", names, 4);
	expect_dir(h, BASE "/dir/alpha", (const char *const[]){ "child" }, 1);
	expect_dir(h, BASE "/dir/beta", NULL, 0);
	CHECK(xs_rm(h, XBT_NULL, BASE "/dir"), "xs_rm: %s", strerror(errno));
	xs_close(h);
}

static void mkdir_creates_node_and_is_idempotent(void)
{
	struct xs_handle *h = open_handle();

	CHECK(xs_mkdir(h, XBT_NULL, BASE "/mk/a/b"), "xs_mkdir: %s",
	      strerror(errno));
	expect_read(h, BASE "/mk/a/b", "", 0);
	expect_read(h, BASE "/mk/a", "", 0);
	expect_write(h, BASE "/mk/a/b", "value", 5);
	CHECK(xs_mkdir(h, XBT_NULL, BASE "/mk/a/b"), "second xs_mkdir: %s",
	      strerror(errno));
	expect_read(h, BASE "/mk/a/b", "value", 5);
	CHECK(xs_rm(h, XBT_NULL, BASE "/mk"), "xs_rm: %s", strerror(errno));
	xs_close(h);
}

static void rm_removes_subtree_then_read_fails_with_enoent(void)
{
	struct xs_handle *h = open_handle();

	expect_write(h, BASE "/rm/a/b", "1", 1);
	expect_write(h, BASE "/rm/c", "2", 1);
	CHECK(xs_rm(h, XBT_NULL, BASE "/rm/a"), "xs_rm: %s", strerror(errno));
	expect_read_errno(h, BASE "/rm/a/b", ENOENT);
	expect_read_errno(h, BASE "/rm/a", ENOENT);
	expect_read(h, BASE "/rm/c", "2", 1);
	expect_dir(h, BASE "/rm", (const char *const[]){ "c" }, 1);
	/* removing a missing node whose parent exists is fine */
	CHECK(xs_rm(h, XBT_NULL, BASE "/rm/a"), "xs_rm of a missing node: %s",
	      strerror(errno));
	CHECK(xs_rm(h, XBT_NULL, BASE "/rm"), "xs_rm: %s", strerror(errno));
	xs_close(h);
}

static void failures_set_errno(void)
{
	struct xs_handle *h = open_handle();
	unsigned int num;
	char **d;

	expect_read_errno(h, BASE "/nothing", ENOENT);

	errno = 0;
	d = xs_directory(h, XBT_NULL, BASE "/nothing", &num);
	CHECK(!d && errno == ENOENT, "xs_directory of a missing node: %p, %s",
	      (void *)d, strerror(errno));

	errno = 0;
	CHECK(!xs_rm(h, XBT_NULL, BASE "/nothing/below") && errno == ENOENT,
	      "xs_rm with a missing parent: errno %s", strerror(errno));

	errno = 0;
	CHECK(!xs_write(h, XBT_NULL, BASE "/bad//path", "x", 1) &&
	      errno == EINVAL, "xs_write to a path with //: errno %s",
	      strerror(errno));
	errno = 0;
	CHECK(!xs_mkdir(h, XBT_NULL, BASE "/bad path") && errno == EINVAL,
	      "xs_mkdir of a path with a space: errno %s", strerror(errno));
	expect_read_errno(h, BASE "/trailing/", EINVAL);
	errno = 0;
	CHECK(!xs_rm(h, XBT_NULL, "/") && errno == EINVAL,
	      "xs_rm of /: errno %s", strerror(errno));

	/* the handle still works after all that */
	expect_write(h, BASE "/after", "ok", 2);
	expect_read(h, BASE "/after", "ok", 2);
	CHECK(xs_rm(h, XBT_NULL, BASE "/after"), "xs_rm: %s", strerror(errno));
	xs_close(h);
}

static void two_handles_share_the_store(void)
{
	struct xs_handle *a = open_handle(), *b = open_handle();

	expect_write(a, BASE "/shared", "from a", 6);
	expect_read(b, BASE "/shared", "from a", 6);
	CHECK(xs_rm(b, XBT_NULL, BASE "/shared"), "xs_rm: %s",
	      strerror(errno));
	expect_read_errno(a, BASE "/shared", ENOENT);
	xs_close(a);
	xs_close(b);
}

static const struct xst_case cases[] = {
	{ "xs-open-finds-device-through-xenstored-path",
	  xs_open_finds_device_through_xenstored_path },
	{ "xs-open-falls-back-to-dev-xen-xenbus",
	  xs_open_falls_back_to_dev_xen_xenbus },
	{ "write-and-read-round-trip", write_and_read_round_trip },
	{ "read-returns-exact-bytes-of-binary-value",
	  read_returns_exact_bytes_of_binary_value },
	{ "directory-lists-children-sorted", directory_lists_children_sorted },
	{ "mkdir-creates-node-and-is-idempotent",
	  mkdir_creates_node_and_is_idempotent },
	{ "rm-removes-subtree-then-read-fails-with-enoent",
	  rm_removes_subtree_then_read_fails_with_enoent },
	{ "failures-set-errno", failures_set_errno },
	{ "two-handles-share-the-store", two_handles_share_the_store },
};

int main(int argc, char **argv)
{
	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
