// SPDX-License-Identifier: GPL-2.0
/*
 * Guest domains on the device: connections bound to a domain with
 * KXS_IOC_BIND_DOMAIN, permissions between domains, quotas, the domain
 * management requests (INTRODUCE, RELEASE, RESUME, SET_TARGET, ...),
 * features, CONTROL, DIRECTORY_PART on large directories, invalid types,
 * and KXS_IOC_REQUEST answering exactly as write() + read() do.
 *
 * Every case uses domain ids of its own and removes what it created, so
 * that the cases run in any order and alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/kxenstore.h>

#include "lib/xstest.h"

#define AREA "/kxs-test/domains"

/* The defaults of the quotas, in the order GET_QUOTA lists them. */
static const struct {
	const char *name;
	const char *param;
	unsigned int def;
} quotas[] = {
	{ "nodes", "quota_nodes", 1000 },
	{ "watches", "quota_watches", 128 },
	{ "transactions", "quota_transactions", 10 },
	{ "node-size", "quota_node_size", 2048 },
	{ "permissions", "quota_permissions", 5 },
};

/* ---- helpers ------------------------------------------------------------ */

/* A request whose reply must be its own type with payload "OK\0". */
static void rq_ok(int fd, uint32_t type, const struct xst_buf *p)
{
	xst_rpc(fd, type, p->b, p->len, type, OK_REPLY);
}

static void rq_err(int fd, uint32_t type, const struct xst_buf *p,
		   const char *err)
{
	xst_rpc_err(fd, type, p->b, p->len, err);
}

static void rq_reply(int fd, uint32_t type, const struct xst_buf *p,
		     const struct xst_buf *exp)
{
	xst_rpc(fd, type, p->b, p->len, type, exp->b, exp->len);
}

/* WRITE of a string value (without NUL) */
static void wr(int fd, const char *path, const char *val)
{
	xst_write_str(fd, path, val, strlen(val));
}

static void wr_err(int fd, const char *path, const char *val, const char *err)
{
	static char buf[XST_PAYLOAD_MAX];
	size_t pl = strlen(path) + 1, vl = strlen(val);

	CHECK(pl + vl <= sizeof(buf), "payload too long");
	memcpy(buf, path, pl);
	memcpy(buf + pl, val, vl);
	xst_rpc_err(fd, XS_WRITE, buf, pl + vl, err);
}

static void rd(int fd, const char *path, const char *val)
{
	xst_read_expect(fd, path, val, strlen(val));
}

static void perms_are(int fd, const char *path, const struct xst_buf *exp)
{
	rq_reply(fd, XS_GET_PERMS, XST_STRS(path), exp);
}

/* SET_PERMS @path to the perm strings in @perms (a XST_STRS list) */
static void set_perms_buf(int fd, const char *path, const struct xst_buf *perms,
			  const char *err)
{
	static struct xst_buf p;
	size_t pl = strlen(path) + 1;

	CHECK(pl + perms->len <= XST_PAYLOAD_MAX, "payload too long");
	memcpy(p.b, path, pl);
	memcpy(p.b + pl, perms->b, perms->len);
	p.len = pl + perms->len;
	if (err)
		rq_err(fd, XS_SET_PERMS, &p, err);
	else
		rq_ok(fd, XS_SET_PERMS, &p);
}

#define SET_PERMS(fd, path, ...) \
	set_perms_buf(fd, path, XST_STRS(__VA_ARGS__), NULL)
#define SET_PERMS_ERR(fd, err, path, ...) \
	set_perms_buf(fd, path, XST_STRS(__VA_ARGS__), err)

static void introduce(int d0, unsigned int domid, unsigned int gfn)
{
	rq_ok(d0, XS_INTRODUCE, XST_STRS(xst_u(domid), xst_u(gfn), "1"));
}

static void release(int d0, unsigned int domid)
{
	rq_ok(d0, XS_RELEASE, XST_STRS(xst_u(domid)));
}

static void is_introduced(int d0, unsigned int domid, const char *tf)
{
	rq_reply(d0, XS_IS_DOMAIN_INTRODUCED, XST_STRS(xst_u(domid)),
		 XST_STRS(tf));
}

/* Remove a node and its subtree if it exists (dom0). */
static void rm_quiet(int d0, const char *path)
{
	static struct xst_msg m;

	xst_call(d0, XS_RM, 0, path, strlen(path) + 1, &m);
}

/*
 * A fresh /local/domain/<domid>, owned by the domain with no access for
 * others (what a failed earlier run left there is removed first).
 */
static void make_home(int d0, unsigned int domid)
{
	rm_quiet(d0, xst_home(domid));
	xst_mkdir(d0, xst_home(domid));
	SET_PERMS(d0, xst_home(domid), xst_fmt("n%u", domid));
}

static void set_quota(int d0, unsigned int domid, const char *name,
		      unsigned int v)
{
	rq_ok(d0, XST_SET_QUOTA, XST_STRS(xst_u(domid), name, xst_u(v)));
	rq_reply(d0, XST_GET_QUOTA, XST_STRS(xst_u(domid), name), XST_STRS(xst_u(v)));
}

/* CONTROL check: the store's accounting and invariants hold. */
static void store_check(int d0)
{
	static struct xst_msg m;

	xst_call(d0, XS_CONTROL, 0, S("check"), &m);
	CHECK(m.hdr.type == XS_CONTROL && m.hdr.len >= 2 &&
	      !memcmp(m.body, "OK", 2),
	      "CONTROL check answered %s %s", xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));
}

/* Parse a reply payload "<decimal>\0"; fails unless it is one. */
static unsigned long long decimal_reply(const struct xst_msg *m,
					const char *what)
{
	unsigned long long v;
	char *end;

	CHECK(m->hdr.len >= 2 && m->body[m->hdr.len - 1] == 0 &&
	      strspn((const char *)m->body, "0123456789") == m->hdr.len - 1,
	      "%s: reply %s %s is not \"<decimal>\\0\"", what,
	      xst_type_name(m->hdr.type), xst_esc(m->body, m->hdr.len));
	errno = 0;
	v = strtoull((const char *)m->body, &end, 10);
	CHECK(!errno, "%s: %s out of range", what, m->body);
	return v;
}

static uint32_t tx_start(int fd)
{
	static struct xst_msg m;
	unsigned long long v;

	xst_call(fd, XS_TRANSACTION_START, 0, S(""), &m);
	CHECK(m.hdr.type == XS_TRANSACTION_START,
	      "TRANSACTION_START answered %s %s", xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));
	v = decimal_reply(&m, "TRANSACTION_START");
	CHECK(v && v <= UINT32_MAX, "transaction id %llu", v);
	return (uint32_t)v;
}

static void tx_start_err(int fd, const char *err)
{
	xst_rpc_err(fd, XS_TRANSACTION_START, S(""), err);
}

static void tx_end(int fd, uint32_t tx, const char *how)
{
	xst_rpc_tx(fd, XS_TRANSACTION_END, tx, how, strlen(how) + 1,
		   XS_TRANSACTION_END, OK_REPLY);
}

/* WRITE of a string value in transaction @tx; @err NULL for success */
static void tx_wr(int fd, uint32_t tx, const char *path, const char *val,
		  const char *err)
{
	static char buf[XST_PAYLOAD_MAX];
	size_t pl = strlen(path) + 1, vl = strlen(val);

	CHECK(pl + vl <= sizeof(buf), "payload too long");
	memcpy(buf, path, pl);
	memcpy(buf + pl, val, vl);
	if (err)
		xst_rpc_tx(fd, XS_WRITE, tx, buf, pl + vl, XS_ERROR, err,
			   strlen(err) + 1);
	else
		xst_rpc_tx(fd, XS_WRITE, tx, buf, pl + vl, XS_WRITE, OK_REPLY);
}

/* A request in transaction @tx that must get ERROR @err */
static void tx_err(int fd, uint32_t tx, uint32_t type,
		   const struct xst_buf *p, const char *err)
{
	xst_rpc_tx(fd, type, tx, p->b, p->len, XS_ERROR, err, strlen(err) + 1);
}

static void expect_bind(int fd, uint32_t domid, uint32_t flags, int err)
{
	int got = xst_bind_errno(fd, domid, flags);

	CHECK(got == err,
	      "KXS_IOC_BIND_DOMAIN domid %#x flags %#x: got %s, expected %s",
	      domid, flags, got ? strerror(got) : "success",
	      err ? strerror(err) : "success");
}

static const char *repeat(char c, size_t n)
{
	static char buf[4][XST_PAYLOAD_MAX + 1];
	static int which;
	char *b = buf[which++ & 3];

	CHECK(n <= XST_PAYLOAD_MAX, "repeat: too long");
	memset(b, c, n);
	b[n] = 0;
	return b;
}

/* Two guests, 1 and 2, with their homes; dom0 on *d0. */
static void two_guests(int *d0, int *g1, int *g2)
{
	*d0 = xst_open(0);
	make_home(*d0, 1);
	make_home(*d0, 2);
	*g1 = xst_open_domain(1);
	*g2 = xst_open_domain(2);
}

static void two_guests_done(int d0, int g1, int g2)
{
	close(g1);
	close(g2);
	xst_rm(d0, xst_home(1));
	xst_rm(d0, xst_home(2));
	close(d0);
}

/* ---- binding ------------------------------------------------------------ */

static void bind_rejects_bad_domids_and_flags(void)
{
	static const uint32_t bad[] = {
		0, 0x7ff0 /* DOMID_SELF */, 0x7ff1, 0x7ff2, 0x7ff4, 0x7ffe,
		0x7fff, 0xfffe, 0xffff, 0x10000, 0x10001, 0x80000001,
		0xffffffff,
	};
	int d0 = xst_open(0), fd = xst_open(0), fd2 = xst_open(0);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_bind(fd, bad[i], 0, EINVAL);
	expect_bind(fd, 5, 1, EINVAL);
	expect_bind(fd, 5, 0x80000000, EINVAL);
	expect_bind(fd, 0, 1, EINVAL);
	/* the refused binds left it unbound: it still acts for dom0 */
	xst_read_expect(fd, "/", "", 0);
	rq_reply(fd, XS_GET_DOMAIN_PATH, XST_STRS("0"),
		 XST_STRS("/local/domain/0"));

	/* ... and they did not count as bytes sent: the highest id binds */
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_bind(fd2, bad[i], 0, EINVAL);
	expect_bind(fd2, 0x7fef, 1, EINVAL);
	expect_bind(fd2, 0x7fef, 0, 0);
	/* now a guest: the root ("n0") is closed to it */
	xst_read_err(fd2, "/", "EACCES");
	close(fd2);

	fd2 = xst_open(0);
	expect_bind(fd2, 1, 0, 0);
	xst_read_err(fd2, "/", "EACCES");
	close(fd2);
	close(fd);
	close(d0);
}

static void bind_refused_after_a_byte_or_a_bind(void)
{
	static unsigned char msg[XST_MSG_MAX];
	int d0 = xst_open(0), a = xst_open(0), b = xst_open(0),
	    c = xst_open(0), f, g;
	size_t n;

	make_home(d0, 5);

	/* bound already: EBUSY, for the same or another domain */
	expect_bind(a, 5, 0, 0);
	expect_bind(a, 5, 0, EBUSY);
	expect_bind(a, 6, 0, EBUSY);
	rq_reply(a, XS_GET_DOMAIN_PATH, XST_STRS("5"),
		 XST_STRS("/local/domain/5"));
	xst_read_err(a, "/", "EACCES");

	/* one byte of a request header sent: EBUSY, and still dom0's */
	n = xst_build(msg, XS_READ, 0x77, 0, S("/"));
	xst_write_all(b, msg, 1);
	expect_bind(b, 5, 0, EBUSY);
	xst_write_all(b, msg + 1, n - 1);
	xst_expect(b, "READ / after the refused bind", XS_READ, 0x77, 0,
		   "", 0);
	expect_bind(b, 5, 0, EBUSY);

	/* a whole request answered: EBUSY */
	xst_read_expect(c, "/", "", 0);
	expect_bind(c, 5, 0, EBUSY);
	xst_read_expect(c, "/", "", 0);

	/* several connections may act for one domain */
	f = xst_open_domain(5);
	g = xst_open_domain(5);
	wr(f, "shared", "from f");
	rd(g, "shared", "from f");
	rd(a, "shared", "from f");
	rd(d0, xst_at(5, "shared"), "from f");
	perms_are(d0, xst_at(5, "shared"), XST_STRS("n5"));

	close(f);
	close(g);
	close(a);
	close(b);
	close(c);
	xst_rm(d0, xst_home(5));
	close(d0);
}

static void set_sys_admin(int on)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	uint32_t bit = 1u << (CAP_SYS_ADMIN % 32);

	CHECK(!syscall(SYS_capget, &h, d), "capget: %s", strerror(errno));
	if (on)
		d[CAP_SYS_ADMIN / 32].effective |= bit;
	else
		d[CAP_SYS_ADMIN / 32].effective &= ~bit;
	CHECK(!syscall(SYS_capset, &h, d), "capset: %s", strerror(errno));
}

static void bind_needs_cap_sys_admin(void)
{
	int fd;

	CHECK(geteuid() == 0, "the tests run as root");
	set_sys_admin(0);
	fd = xst_open(0);
	expect_bind(fd, 8, 0, EPERM);
	close(fd);
	set_sys_admin(1);
	/* the same request with the capability back works */
	fd = xst_open(0);
	expect_bind(fd, 8, 0, 0);
	close(fd);
}

/* ---- permissions between domains --------------------------------------- */

static void bound_relative_paths_and_ownership(void)
{
	int d0, g1, g2;

	two_guests(&d0, &g1, &g2);
	/* relative paths of domain 2 are under /local/domain/2 */
	wr(g2, "foo", "bar");
	rd(d0, xst_at(2, "foo"), "bar");
	rd(g2, "foo", "bar");
	rd(g2, xst_at(2, "foo"), "bar");
	/* created by domain 2 under its "n2" home: "n2" */
	perms_are(d0, xst_at(2, "foo"), XST_STRS("n2"));
	perms_are(g2, "foo", XST_STRS("n2"));
	xst_mkdir(g2, "d/e");
	perms_are(d0, xst_at(2, "d"), XST_STRS("n2"));
	perms_are(d0, xst_at(2, "d/e"), XST_STRS("n2"));
	/* created by dom0: the parent's owner is kept */
	wr(d0, xst_at(2, "fromdom0"), "x");
	perms_are(d0, xst_at(2, "fromdom0"), XST_STRS("n2"));
	rd(g2, "fromdom0", "x");
	xst_dir_expect(g2, xst_home(2), S("d\0foo\0fromdom0"));
	xst_dir_expect(g2, "d", S("e"));
	/* domain 1's "foo" is its own */
	xst_read_err(g1, "foo", "ENOENT");
	wr(g1, "foo", "one");
	rd(g2, "foo", "bar");
	rd(d0, xst_at(1, "foo"), "one");
	xst_rm(g2, "d");
	xst_read_err(d0, xst_at(2, "d/e"), "ENOENT");
	rq_reply(g2, XS_GET_DOMAIN_PATH, XST_STRS("2"),
		 XST_STRS("/local/domain/2"));
	two_guests_done(d0, g1, g2);
}

static void guests_cannot_see_each_others_nodes(void)
{
	const char *secret = "/local/domain/1/private/secret";
	int d0, g1, g2;

	two_guests(&d0, &g1, &g2);
	wr(g1, "private/secret", "s3cret");
	rd(d0, secret, "s3cret");
	perms_are(d0, secret, XST_STRS("n1"));
	perms_are(d0, xst_at(1, "private"), XST_STRS("n1"));

	xst_read_err(g2, secret, "EACCES");
	xst_read_err(g2, xst_at(1, "private"), "EACCES");
	xst_read_err(g2, xst_home(1), "EACCES");
	rq_err(g2, XS_DIRECTORY, XST_STRS(xst_home(1)), "EACCES");
	rq_err(g2, XS_DIRECTORY, XST_STRS(xst_at(1, "private")), "EACCES");
	rq_err(g2, XS_DIRECTORY_PART, XST_STRS(xst_home(1), "0"), "EACCES");
	rq_err(g2, XS_GET_PERMS, XST_STRS(secret), "EACCES");
	rq_err(g2, XS_GET_PERMS, XST_STRS(xst_home(1)), "EACCES");
	wr_err(g2, xst_at(1, "x"), "pwn", "EACCES");
	wr_err(g2, secret, "pwn", "EACCES");
	rq_err(g2, XS_MKDIR, XST_STRS(xst_at(1, "y")), "EACCES");
	rq_err(g2, XS_RM, XST_STRS(secret), "EACCES");
	rq_err(g2, XS_RM, XST_STRS(xst_at(1, "private")), "EACCES");
	SET_PERMS_ERR(g2, "EACCES", secret, "n2");
	SET_PERMS_ERR(g2, "EACCES", secret, "n1", "r2");
	/* nothing changed */
	rd(d0, secret, "s3cret");
	perms_are(d0, secret, XST_STRS("n1"));
	xst_read_err(d0, xst_at(1, "x"), "ENOENT");
	xst_read_err(d0, xst_at(1, "y"), "ENOENT");
	xst_dir_expect(d0, xst_home(1), S("private"));
	rd(g1, "private/secret", "s3cret");

	/* the root and /local are dom0's ("n0") */
	xst_read_err(g2, "/", "EACCES");
	rq_err(g2, XS_DIRECTORY, XST_STRS("/"), "EACCES");
	rq_err(g2, XS_DIRECTORY, XST_STRS("/local"), "EACCES");
	rq_err(g2, XS_DIRECTORY, XST_STRS("/local/domain"), "EACCES");
	wr_err(g2, "/kxs-guest-top", "x", "EACCES");
	xst_read_err(d0, "/kxs-guest-top", "ENOENT");
	two_guests_done(d0, g1, g2);
}

static void missing_nodes_do_not_leak_existence(void)
{
	int d0, g1, g2;

	two_guests(&d0, &g1, &g2);
	wr(g1, "private/secret", "s3cret");
	/* the nearest existing ancestor is closed to domain 2: EACCES */
	xst_read_err(g2, xst_at(1, "private/missing"), "EACCES");
	xst_read_err(g2, xst_at(1, "private/missing/deeper"), "EACCES");
	xst_read_err(g2, xst_at(1, "missing"), "EACCES");
	xst_read_err(g2, xst_at(1, "private/secret/missing"), "EACCES");
	xst_read_err(g2, "/kxs-no-such-top/node", "EACCES");
	rq_err(g2, XS_GET_PERMS, XST_STRS(xst_at(1, "nothing")), "EACCES");
	rq_err(g2, XS_DIRECTORY, XST_STRS(xst_at(1, "nothing")), "EACCES");
	rq_err(g2, XS_RM, XST_STRS(xst_at(1, "private/missing")), "EACCES");
	/* under its own nodes: ENOENT */
	xst_read_err(g2, "missing", "ENOENT");
	xst_read_err(g2, "missing/deeper", "ENOENT");
	rq_err(g2, XS_GET_PERMS, XST_STRS("missing"), "ENOENT");
	/* dom0 sees everything */
	xst_read_err(d0, xst_at(1, "private/missing"), "ENOENT");

	/* readable but not writable for domain 2 */
	xst_mkdir(g1, "pub");
	SET_PERMS(g1, "pub", "n1", "r2");
	xst_read_err(g2, xst_at(1, "pub/missing"), "ENOENT");
	xst_read_err(g2, xst_at(1, "pub/missing/deeper"), "ENOENT");
	rq_err(g2, XS_GET_PERMS, XST_STRS(xst_at(1, "pub/missing")), "ENOENT");
	/* creating needs write access to the nearest existing ancestor */
	wr_err(g2, xst_at(1, "pub/new"), "x", "EACCES");
	wr_err(g2, xst_at(1, "pub/new/deeper"), "x", "EACCES");
	rq_err(g2, XS_MKDIR, XST_STRS(xst_at(1, "pub/new")), "EACCES");
	rq_err(g2, XS_RM, XST_STRS(xst_at(1, "pub/missing")), "EACCES");
	xst_read_err(d0, xst_at(1, "pub/new"), "ENOENT");
	xst_dir_expect(g2, xst_at(1, "pub"), "", 0);
	two_guests_done(d0, g1, g2);
}

static void acl_grants_and_inheritance(void)
{
	const char *secret = "/local/domain/1/private/secret";
	int d0, g1, g2;

	two_guests(&d0, &g1, &g2);
	wr(g1, "private/secret", "s3cret");
	/* dom0 grants domain 2 read access to the one node */
	SET_PERMS(d0, secret, "n1", "r2");
	rd(g2, secret, "s3cret");
	perms_are(g2, secret, XST_STRS("n1", "r2"));
	wr_err(g2, secret, "pwn", "EACCES");
	rq_err(g2, XS_RM, XST_STRS(secret), "EACCES");
	rq_err(g2, XS_DIRECTORY, XST_STRS(xst_at(1, "private")), "EACCES");
	xst_dir_expect(g2, secret, "", 0);
	rd(d0, secret, "s3cret");

	/* write only */
	wr(g1, "wo", "1");
	SET_PERMS(g1, "wo", "n1", "w2");
	wr(g2, xst_at(1, "wo"), "2");
	xst_read_err(g2, xst_at(1, "wo"), "EACCES");
	rd(g1, "wo", "2");

	/*
	 * A node created by domain 2 under domain 1's "n1 b2" inbox gets the
	 * parent's perms with domain 2 as owner: "n2 b2", which leaves
	 * domain 1, not listed, without access.
	 */
	xst_mkdir(g1, "inbox");
	SET_PERMS(g1, "inbox", "n1", "b2");
	wr(g2, xst_at(1, "inbox/msg"), "hi");
	perms_are(d0, xst_at(1, "inbox/msg"), XST_STRS("n2", "b2"));
	rd(g2, xst_at(1, "inbox/msg"), "hi");
	xst_read_err(g1, "inbox/msg", "EACCES");
	xst_dir_expect(g1, "inbox", S("msg"));
	xst_dir_expect(g2, xst_at(1, "inbox"), S("msg"));
	/* its creator can hand it back (not as owner: that is EPERM) */
	SET_PERMS(g2, xst_at(1, "inbox/msg"), "n2", "b1");
	rd(g1, "inbox/msg", "hi");

	/* the default access of the first entry applies to everyone else */
	xst_mkdir(g1, "pub");
	SET_PERMS(g1, "pub", "r1");
	wr(g1, "pub/x", "1");
	perms_are(d0, xst_at(1, "pub/x"), XST_STRS("r1"));
	rd(g2, xst_at(1, "pub/x"), "1");
	xst_dir_expect(g2, xst_at(1, "pub"), S("x"));
	wr_err(g2, xst_at(1, "pub/x"), "2", "EACCES");
	wr_err(g2, xst_at(1, "pub/y"), "2", "EACCES");
	SET_PERMS(g1, "pub", "b1");
	wr(g2, xst_at(1, "pub/y"), "2");
	perms_are(d0, xst_at(1, "pub/y"), XST_STRS("b2"));
	/* perms are per node: pub/x is still "r1" */
	wr_err(g2, xst_at(1, "pub/x"), "2", "EACCES");
	two_guests_done(d0, g1, g2);
}

static void permissions_apply_in_transactions(void)
{
	const char *secret = "/local/domain/1/private/secret";
	uint32_t tx, t1;
	int d0, g1, g2;

	two_guests(&d0, &g1, &g2);
	wr(g1, "private/secret", "s3cret");
	/* a transaction's copy of the store is no way around the perms */
	tx = tx_start(g2);
	tx_err(g2, tx, XS_READ, XST_STRS(secret), "EACCES");
	tx_err(g2, tx, XS_READ, XST_STRS(xst_at(1, "private/missing")), "EACCES");
	tx_err(g2, tx, XS_DIRECTORY, XST_STRS(xst_home(1)), "EACCES");
	tx_err(g2, tx, XS_DIRECTORY_PART, XST_STRS(xst_home(1), "0"), "EACCES");
	tx_err(g2, tx, XS_GET_PERMS, XST_STRS(secret), "EACCES");
	tx_err(g2, tx, XS_SET_PERMS, XST_STRS(secret, "n2"), "EACCES");
	tx_err(g2, tx, XS_RM, XST_STRS(secret), "EACCES");
	tx_err(g2, tx, XS_MKDIR, XST_STRS(xst_at(1, "y")), "EACCES");
	tx_wr(g2, tx, xst_at(1, "x"), "pwn", "EACCES");
	tx_wr(g2, tx, secret, "pwn", "EACCES");
	tx_wr(g2, tx, "mine", "2", NULL);
	tx_end(g2, tx, "T");
	rd(d0, secret, "s3cret");
	xst_read_err(d0, xst_at(1, "x"), "ENOENT");
	xst_dir_expect(d0, xst_home(1), S("private"));
	rd(d0, xst_at(2, "mine"), "2");
	perms_are(d0, xst_at(2, "mine"), XST_STRS("n2"));

	/* perms set in a transaction apply when it commits */
	t1 = tx_start(g1);
	set_perms_buf(g1, "x", XST_STRS("n1"), "ENOENT");
	xst_rpc_tx(g1, XS_SET_PERMS, t1, S("private/secret\0n1\0r2"),
		   XS_SET_PERMS, OK_REPLY);
	xst_rpc_tx(g1, XS_GET_PERMS, t1, S("private/secret"), XS_GET_PERMS,
		   S("n1\0r2"));
	perms_are(d0, secret, XST_STRS("n1"));
	xst_read_err(g2, secret, "EACCES");
	tx_end(g1, t1, "T");
	perms_are(d0, secret, XST_STRS("n1", "r2"));
	rd(g2, secret, "s3cret");

	/* dom0's too; and one aborted changes nothing */
	tx = tx_start(d0);
	xst_rpc_tx(d0, XS_SET_PERMS, tx, S("/local/domain/1/private/secret\0n1"),
		   XS_SET_PERMS, OK_REPLY);
	rd(g2, secret, "s3cret");
	tx_end(d0, tx, "F");
	rd(g2, secret, "s3cret");
	perms_are(d0, secret, XST_STRS("n1", "r2"));
	tx = tx_start(d0);
	xst_rpc_tx(d0, XS_SET_PERMS, tx, S("/local/domain/1/private/secret\0n1"),
		   XS_SET_PERMS, OK_REPLY);
	tx_end(d0, tx, "T");
	xst_read_err(g2, secret, "EACCES");
	/* a node a guest creates in a transaction is its own */
	tx = tx_start(g1);
	tx_wr(g1, tx, "private/new/deeper", "1", NULL);
	tx_end(g1, tx, "T");
	perms_are(d0, xst_at(1, "private/new"), XST_STRS("n1"));
	perms_are(d0, xst_at(1, "private/new/deeper"), XST_STRS("n1"));
	xst_read_err(g2, xst_at(1, "private/new/deeper"), "EACCES");
	two_guests_done(d0, g1, g2);
}

static void set_perms_owner_rules(void)
{
	const char *secret = "/local/domain/1/private/secret";
	int d0, g1, g2;

	two_guests(&d0, &g1, &g2);
	wr(g1, "private/secret", "s3cret");
	/* an unprivileged owner may not give the node away */
	SET_PERMS_ERR(g1, "EPERM", "private/secret", "n2");
	SET_PERMS_ERR(g1, "EPERM", "private/secret", "b2", "b1");
	SET_PERMS_ERR(g1, "EPERM", "private/secret", "r0");
	perms_are(d0, secret, XST_STRS("n1"));
	/* but may change the rest */
	SET_PERMS(g1, "private/secret", "n1", "b2");
	perms_are(d0, secret, XST_STRS("n1", "b2"));
	SET_PERMS(g1, "private/secret", "r1", "b2", "w3");
	perms_are(d0, secret, XST_STRS("r1", "b2", "w3"));
	/* write access is not enough to change perms */
	wr(g2, secret, "written by 2");
	SET_PERMS_ERR(g2, "EACCES", secret, "r1", "b2");
	SET_PERMS_ERR(g2, "EACCES", secret, "n2");
	perms_are(d0, secret, XST_STRS("r1", "b2", "w3"));
	/* dom0 may change the owner; the new owner then decides */
	SET_PERMS(d0, secret, "n2");
	perms_are(d0, secret, XST_STRS("n2"));
	SET_PERMS(g2, secret, "n2", "r1");
	SET_PERMS_ERR(g1, "EACCES", "private/secret", "n1");
	rd(g1, "private/secret", "written by 2");
	perms_are(d0, secret, XST_STRS("n2", "r1"));
	/* missing node */
	SET_PERMS_ERR(d0, "ENOENT", xst_at(1, "private/missing"), "n1");
	SET_PERMS_ERR(g1, "ENOENT", "private/missing", "n1");
	two_guests_done(d0, g1, g2);
}

static void perm_strings_and_special_paths(void)
{
	static const char *const bad[] = {
		"x1", "r", "", "rabc", "r1x", "R1", " r1", "r 1", "n-1",
		"b1 ", "rw1",
	};
	const char *p = AREA "/perms";
	int d0 = xst_open(0);
	size_t i;

	wr(d0, p, "v");
	SET_PERMS(d0, p, "n0", "r3");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		SET_PERMS_ERR(d0, "EINVAL", p, bad[i]);
		SET_PERMS_ERR(d0, "EINVAL", p, "n0", bad[i]);
		SET_PERMS_ERR(d0, "EINVAL", p, bad[i], "r1");
	}
	/* no perms at all */
	rq_err(d0, XS_SET_PERMS, XST_STRS(p), "EINVAL");
	perms_are(d0, p, XST_STRS("n0", "r3"));
	/* every letter, in order */
	SET_PERMS(d0, p, "r0", "w5", "b6", "n7", "r32751");
	perms_are(d0, p, XST_STRS("r0", "w5", "b6", "n7", "r32751"));
	SET_PERMS(d0, p, "b12");
	perms_are(d0, p, XST_STRS("b12"));
	rd(d0, p, "v");

	/* the special watch paths have perms too, "n0" by default */
	perms_are(d0, "@introduceDomain", XST_STRS("n0"));
	perms_are(d0, "@releaseDomain", XST_STRS("n0"));
	SET_PERMS(d0, "@releaseDomain", "n0", "r1");
	perms_are(d0, "@releaseDomain", XST_STRS("n0", "r1"));
	perms_are(d0, "@introduceDomain", XST_STRS("n0"));
	SET_PERMS_ERR(d0, "EINVAL", "@releaseDomain", "q1");
	perms_are(d0, "@releaseDomain", XST_STRS("n0", "r1"));
	SET_PERMS(d0, "@releaseDomain", "n0");
	perms_are(d0, "@releaseDomain", XST_STRS("n0"));
	SET_PERMS(d0, "@introduceDomain", "n0", "r4");
	perms_are(d0, "@introduceDomain", XST_STRS("n0", "r4"));
	SET_PERMS(d0, "@introduceDomain", "n0");
	perms_are(d0, "@introduceDomain", XST_STRS("n0"));
	/* other @ paths are not */
	rq_err(d0, XS_GET_PERMS, XST_STRS("@other"), "EINVAL");
	rq_err(d0, XS_GET_PERMS, XST_STRS("@"), "EINVAL");
	rq_err(d0, XS_GET_PERMS, XST_STRS("@introduceDomainX"), "EINVAL");
	rq_err(d0, XS_GET_PERMS, XST_STRS("@releaseDomain/1"), "EINVAL");
	SET_PERMS_ERR(d0, "EINVAL", "@other", "n0");
	SET_PERMS_ERR(d0, "EINVAL", "@releaseDomain/1", "n0");
	/* the root */
	perms_are(d0, "/", XST_STRS("n0"));
	xst_rm(d0, p);
	close(d0);
}

static void privileged_requests_from_guests_get_eacces(void)
{
	static const struct {
		uint32_t type;
		const char *p[4];
	} reqs[] = {
		{ XS_INTRODUCE, { "8", "99", "1" } },
		{ XS_RELEASE, { "7" } },
		{ XS_RELEASE, { "8" } },
		{ XS_RESUME, { "7" } },
		{ XS_SET_TARGET, { "7", "8" } },
		{ XS_SET_TARGET, { "8", "7" } },
		{ XS_IS_DOMAIN_INTRODUCED, { "7" } },
		{ XS_IS_DOMAIN_INTRODUCED, { "8" } },
		{ XST_GET_QUOTA, { "nodes" } },
		{ XST_GET_QUOTA, { "7", "nodes" } },
		{ XST_SET_QUOTA, { "nodes", "5" } },
		{ XST_SET_QUOTA, { "7", "nodes", "5000" } },
		{ XST_SET_FEATURE, { "7", "0" } },
		{ XST_GET_FEATURE, { "7" } },
		{ XST_GET_FEATURE, { "8" } },
		{ XS_CONTROL, { "check" } },
		{ XS_CONTROL, { "help" } },
		{ XS_CONTROL, { "quota" } },
		{ XS_CONTROL, { "quota", "set", "nodes", "1" } },
		{ XS_CONTROL, { "print", "from-a-guest" } },
	};
	static struct xst_msg m, before;
	int d0 = xst_open(0), g;
	const struct xst_buf *p;
	uint32_t id;
	size_t r;

	make_home(d0, 7);
	g = xst_open_domain(7);
	xst_call(d0, XST_GET_QUOTA, 0, S("nodes"), &before);
	for (r = 0; r < ARRAY_SIZE(reqs); r++) {
		const char *const *a = reqs[r].p;

		p = XST_STRS(a[0], a[1], a[2], a[3]);
		rq_err(g, reqs[r].type, p, "EACCES");
		/* and through the ioctl */
		id = xst_next_req_id();
		xst_ioc_call(g, reqs[r].type, id, 0, p->b, p->len, &m);
		CHECK(m.hdr.type == XS_ERROR && m.hdr.len == 7 &&
		      !memcmp(m.body, "EACCES", 7),
		      "%s %s through KXS_IOC_REQUEST from a guest: %s %s",
		      xst_type_name(reqs[r].type), xst_esc(p->b, p->len),
		      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	}
	/* GET_QUOTA with no argument too */
	xst_rpc_err(g, XST_GET_QUOTA, NULL, 0, "EACCES");
	/* nothing happened */
	is_introduced(d0, 8, "F");
	is_introduced(d0, 7, "F");
	xst_rpc(d0, XST_GET_QUOTA, S("nodes"), XST_GET_QUOTA, before.body,
		before.hdr.len);
	/* what a guest may ask */
	rq_reply(g, XS_GET_DOMAIN_PATH, XST_STRS("7"),
		 XST_STRS("/local/domain/7"));
	xst_call(g, XST_GET_FEATURE, 0, NULL, 0, &m);
	CHECK(m.hdr.type == XST_GET_FEATURE, "GET_FEATURE from a guest: %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	decimal_reply(&m, "GET_FEATURE from a guest");
	wr(g, "still", "works");
	rd(d0, xst_at(7, "still"), "works");
	close(g);
	xst_rm(d0, xst_home(7));
	close(d0);
}

/* ---- quotas ------------------------------------------------------------- */

static void quota_nodes(void)
{
	int d0 = xst_open(0), g, i;
	uint32_t tx;

	introduce(d0, 3, 3003);
	make_home(d0, 3);
	g = xst_open_domain(3);
	/* 5 nodes owned by domain 3, its home included */
	set_quota(d0, 3, "nodes", 5);
	wr(g, "q1", "");
	wr(g, "q2", "");
	wr(g, "q3", "");
	/* one left: a write that needs two creates nothing */
	wr_err(g, "a/b", "x", "ENOSPC");
	xst_read_err(d0, xst_at(3, "a"), "ENOENT");
	wr(g, "q4", "");
	wr_err(g, "q5", "", "ENOSPC");
	rq_err(g, XS_MKDIR, XST_STRS("q5"), "ENOSPC");
	wr_err(g, "q1/child", "", "ENOSPC");
	xst_read_err(d0, xst_at(3, "q5"), "ENOENT");
	xst_read_err(d0, xst_at(3, "q1/child"), "ENOENT");
	/* changing values and MKDIR of existing nodes create nothing */
	wr(g, "q1", "new value");
	xst_mkdir(g, "q2");
	rd(g, "q1", "new value");
	/* removing one makes room for one */
	xst_rm(g, "q4");
	wr(g, "q5", "");
	wr_err(g, "q6", "", "ENOSPC");
	/* another connection of the domain shares the count */
	i = xst_open_domain(3);
	wr_err(i, "q6", "", "ENOSPC");
	close(i);
	/* dom0 is not limited, even creating nodes domain 3 then owns */
	wr(d0, xst_at(3, "by-dom0/x"), "1");
	perms_are(d0, xst_at(3, "by-dom0/x"), XST_STRS("n3"));
	xst_rm(d0, xst_at(3, "by-dom0"));
	wr_err(g, "q6", "", "ENOSPC");
	/* 0: unlimited */
	set_quota(d0, 3, "nodes", 0);
	for (i = 0; i < 20; i++)
		wr(g, xst_fmt("many/m%d", i), "");
	xst_rm(g, "many");
	set_quota(d0, 3, "nodes", 5);
	wr_err(g, "q6", "", "ENOSPC");
	/* a node given to dom0 no longer counts; given back, it does */
	SET_PERMS(d0, xst_at(3, "q1"), "n0");
	wr(g, "q6", "");
	wr_err(g, "q7", "", "ENOSPC");
	SET_PERMS(d0, xst_at(3, "q1"), "n3");
	xst_rm(g, "q6");
	wr_err(g, "q6", "", "ENOSPC");
	xst_rm(g, "q5");
	/* four: a transaction may create one; aborted, it counts for nothing */
	tx = tx_start(g);
	tx_wr(g, tx, "t1", "", NULL);
	tx_wr(g, tx, "t2", "", "ENOSPC");
	tx_wr(g, tx, "t1/child", "", "ENOSPC");
	tx_end(g, tx, "F");
	xst_read_err(d0, xst_at(3, "t1"), "ENOENT");
	wr(g, "q5", "");
	wr_err(g, "q6", "", "ENOSPC");
	xst_rm(g, "q5");
	/* failed with EAGAIN, it counts for nothing either */
	tx = tx_start(g);
	tx_wr(g, tx, "t1", "", NULL);
	/* a node the transaction wrote changes under it: a conflict */
	tx_wr(g, tx, "q2", "", NULL);
	wr(d0, xst_at(3, "q2"), "conflict");
	xst_rpc_tx(g, XS_TRANSACTION_END, tx, S("T"), XS_ERROR, S("EAGAIN"));
	xst_read_err(d0, xst_at(3, "t1"), "ENOENT");
	wr(g, "q5", "");
	xst_rm(g, "q5");
	/* committed, it counts */
	tx = tx_start(g);
	tx_wr(g, tx, "t1", "", NULL);
	tx_end(g, tx, "T");
	rd(d0, xst_at(3, "t1"), "");
	wr_err(g, "q5", "", "ENOSPC");
	store_check(d0);
	close(g);
	release(d0, 3);
	xst_read_err(d0, xst_home(3), "ENOENT");
	store_check(d0);
	close(d0);
}

static void quota_node_size(void)
{
	int d0 = xst_open(0), g;
	uint32_t tx;

	introduce(d0, 30, 3030);
	make_home(d0, 30);
	g = xst_open_domain(30);
	/*
	 * A node's size is 24 + 8 per perm + its value + (name length + 1)
	 * per child; a write making it 100 or more fails.  One perm: 32.
	 */
	set_quota(d0, 30, "node-size", 100);
	wr(g, "v", repeat('a', 67));
	rd(g, "v", repeat('a', 67));
	wr_err(g, "v", repeat('b', 68), "ENOSPC");
	rd(g, "v", repeat('a', 67));
	wr_err(g, "w", repeat('b', 68), "ENOSPC");
	xst_read_err(d0, xst_at(30, "w"), "ENOENT");
	/* children count in their parent's size */
	wr(g, "p", repeat('p', 60));
	wr_err(g, "p/abcdefg", "", "ENOSPC");
	rq_err(g, XS_MKDIR, XST_STRS("p/abcdefg"), "ENOSPC");
	xst_read_err(d0, xst_at(30, "p/abcdefg"), "ENOENT");
	wr(g, "p/abcdef", "");
	wr_err(g, "p/x", "", "ENOSPC");
	xst_dir_expect(d0, xst_at(30, "p"), S("abcdef"));
	/* so do perms: a second entry adds 8 */
	wr(g, "q", repeat('q', 60));
	SET_PERMS_ERR(g, "ENOSPC", "q", "n30", "r1");
	perms_are(d0, xst_at(30, "q"), XST_STRS("n30"));
	/* in a transaction too */
	tx = tx_start(g);
	tx_wr(g, tx, "v", repeat('b', 68), "ENOSPC");
	tx_wr(g, tx, "p/x", "", "ENOSPC");
	tx_end(g, tx, "T");
	rd(g, "v", repeat('a', 67));
	/* dom0 is not limited */
	wr(d0, xst_at(30, "big"), repeat('d', 3000));
	wr(d0, xst_at(30, "p/xyz"), "");
	/* 0: unlimited */
	set_quota(d0, 30, "node-size", 0);
	wr(g, "v", repeat('c', 3000));
	rd(g, "v", repeat('c', 3000));
	store_check(d0);
	close(g);
	release(d0, 30);
	xst_read_err(d0, xst_home(30), "ENOENT");
	close(d0);
}

static void quota_permissions(void)
{
	int d0 = xst_open(0), g;

	introduce(d0, 31, 3031);
	make_home(d0, 31);
	g = xst_open_domain(31);
	set_quota(d0, 31, "permissions", 3);
	wr(g, "x", "");
	SET_PERMS(g, "x", "n31", "r1", "r2");
	perms_are(g, "x", XST_STRS("n31", "r1", "r2"));
	SET_PERMS_ERR(g, "ENOSPC", "x", "n31", "r1", "r2", "r4");
	perms_are(g, "x", XST_STRS("n31", "r1", "r2"));
	/* dom0 is not limited */
	SET_PERMS(d0, xst_at(31, "x"), "n31", "r1", "r2", "r4", "r5", "r6");
	perms_are(d0, xst_at(31, "x"), XST_STRS("n31", "r1", "r2", "r4", "r5",
					     "r6"));
	/* 0: unlimited */
	set_quota(d0, 31, "permissions", 0);
	SET_PERMS(g, "x", "n31", "r1", "r2", "r4", "r5", "r6", "r7", "r8");
	perms_are(g, "x", XST_STRS("n31", "r1", "r2", "r4", "r5", "r6", "r7",
				   "r8"));
	/* the default is 5 */
	set_quota(d0, 31, "permissions", 5);
	SET_PERMS(g, "x", "n31", "r1", "r2", "r4", "r5");
	SET_PERMS_ERR(g, "ENOSPC", "x", "n31", "r1", "r2", "r4", "r5", "r6");
	perms_are(g, "x", XST_STRS("n31", "r1", "r2", "r4", "r5"));
	close(g);
	release(d0, 31);
	close(d0);
}

static void quota_transactions_summed_over_connections(void)
{
	int d0 = xst_open(0), a, b, i;
	uint32_t ta2, t0[5];

	introduce(d0, 32, 3032);
	make_home(d0, 32);
	a = xst_open_domain(32);
	b = xst_open_domain(32);
	set_quota(d0, 32, "transactions", 3);
	tx_start(a);
	ta2 = tx_start(a);
	tx_start(b);
	tx_start_err(b, "ENOSPC");
	tx_start_err(a, "ENOSPC");
	/* ending one makes room, for any connection of the domain */
	tx_end(a, ta2, "F");
	tx_start(b);
	tx_start_err(a, "ENOSPC");
	tx_start_err(b, "ENOSPC");
	/* dom0 is not limited by it */
	for (i = 0; i < 5; i++)
		t0[i] = tx_start(d0);
	for (i = 0; i < 5; i++)
		tx_end(d0, t0[i], "F");
	/* closing a connection ends its transactions */
	close(a);
	tx_start(b);
	tx_start_err(b, "ENOSPC");
	/* 0: unlimited */
	set_quota(d0, 32, "transactions", 0);
	tx_start(b);
	tx_start(b);
	store_check(d0);
	close(b);
	release(d0, 32);
	close(d0);
}

static unsigned int sysfs_param(const char *name)
{
	char path[256], buf[64];
	unsigned int v;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/kxenstore/parameters/%s",
		 name);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	CHECK(n > 0, "read %s: %s", path, n < 0 ? strerror(errno) : "empty");
	close(fd);
	buf[n] = 0;
	CHECK(sscanf(buf, "%u", &v) == 1, "%s: %s", path, xst_esc(buf, n));
	return v;
}

static void quota_get_set_and_module_parameters(void)
{
	static struct xst_msg m;
	int d0 = xst_open(0);
	char *tok, *save, list[XST_PAYLOAD_MAX + 1];
	unsigned int v, seen = 0;
	size_t i;

	/* module parameters: the global defaults */
	for (i = 0; i < ARRAY_SIZE(quotas); i++) {
		v = sysfs_param(quotas[i].param);
		CHECK(v == quotas[i].def, "%s is %u, expected the default %u",
		      quotas[i].param, v, quotas[i].def);
		rq_reply(d0, XST_GET_QUOTA, XST_STRS(quotas[i].name),
			 XST_STRS(xst_u(v)));
	}
	/* no argument: the names, blank-separated */
	xst_call(d0, XST_GET_QUOTA, 0, NULL, 0, &m);
	CHECK(m.hdr.type == XST_GET_QUOTA && m.hdr.len >= 2 &&
	      m.body[m.hdr.len - 1] == 0 && strlen((char *)m.body) ==
	      m.hdr.len - 1, "GET_QUOTA with no argument: %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	memcpy(list, m.body, m.hdr.len);
	CHECK(list[0] != ' ' && list[m.hdr.len - 2] != ' ' &&
	      !strstr(list, "  "), "GET_QUOTA list %s", xst_esc(list, m.hdr.len));
	for (tok = strtok_r(list, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		for (i = 0; i < ARRAY_SIZE(quotas); i++)
			if (!strcmp(tok, quotas[i].name))
				seen |= 1u << i;
	CHECK(seen == (1u << ARRAY_SIZE(quotas)) - 1,
	      "GET_QUOTA list %s lacks some of nodes watches transactions node-size permissions",
	      xst_esc(m.body, m.hdr.len));

	/* the global values can be set */
	v = sysfs_param("quota_nodes");
	rq_ok(d0, XST_SET_QUOTA, XST_STRS("nodes", "777"));
	rq_reply(d0, XST_GET_QUOTA, XST_STRS("nodes"), XST_STRS("777"));
	rq_ok(d0, XST_SET_QUOTA, XST_STRS("nodes", xst_u(v)));
	rq_reply(d0, XST_GET_QUOTA, XST_STRS("nodes"), XST_STRS(xst_u(v)));

	/* unknown names */
	rq_err(d0, XST_GET_QUOTA, XST_STRS("no-such-quota"), "EINVAL");
	rq_err(d0, XST_SET_QUOTA, XST_STRS("no-such-quota", "5"), "EINVAL");

	/* a new domain starts with the global values */
	introduce(d0, 33, 3033);
	for (i = 0; i < ARRAY_SIZE(quotas); i++)
		rq_reply(d0, XST_GET_QUOTA, XST_STRS("33", quotas[i].name),
			 XST_STRS(xst_u(sysfs_param(quotas[i].param))));
	rq_err(d0, XST_GET_QUOTA, XST_STRS("33", "no-such-quota"), "EINVAL");
	rq_err(d0, XST_SET_QUOTA, XST_STRS("33", "no-such-quota", "1"),
	       "EINVAL");
	/* per domain: the global value stays */
	set_quota(d0, 33, "watches", 7);
	rq_reply(d0, XST_GET_QUOTA, XST_STRS("watches"),
		 XST_STRS(xst_u(sysfs_param("quota_watches"))));
	rq_reply(d0, XST_GET_QUOTA, XST_STRS("33", "watches"), XST_STRS("7"));
	release(d0, 33);
	close(d0);
}

/* ---- domains ------------------------------------------------------------ */

static void introduce_and_is_domain_introduced(void)
{
	int d0 = xst_open(0);

	is_introduced(d0, 20, "F");
	rq_ok(d0, XS_INTRODUCE, XST_STRS("20", "4242", "7"));
	is_introduced(d0, 20, "T");
	/* again, with any gfn (ignored, as the reference does): fine */
	rq_ok(d0, XS_INTRODUCE, XST_STRS("20", "4242", "7"));
	rq_ok(d0, XS_INTRODUCE, XST_STRS("20", "4243", "8"));
	is_introduced(d0, 20, "T");
	/* event channel 0: EINVAL */
	rq_err(d0, XS_INTRODUCE, XST_STRS("20", "4242", "0"), "EINVAL");
	rq_err(d0, XS_INTRODUCE, XST_STRS("21", "4242", "0"), "EINVAL");
	is_introduced(d0, 21, "F");
	/* no real guest domain */
	rq_err(d0, XS_INTRODUCE, XST_STRS("0", "1", "1"), "EINVAL");
	rq_err(d0, XS_INTRODUCE, XST_STRS("32752", "1", "1"), "EINVAL");
	rq_err(d0, XS_INTRODUCE, XST_STRS("32753", "1", "1"), "EINVAL");
	rq_err(d0, XS_INTRODUCE, XST_STRS("65535", "1", "1"), "EINVAL");
	rq_err(d0, XS_INTRODUCE, XST_STRS("abc", "1", "1"), "EINVAL");
	/* missing fields */
	rq_err(d0, XS_INTRODUCE, XST_STRS("21", "1"), "EINVAL");
	rq_err(d0, XS_INTRODUCE, XST_STRS("21"), "EINVAL");
	is_introduced(d0, 21, "F");
	/* the highest guest id */
	rq_ok(d0, XS_INTRODUCE, XST_STRS("32751", "1", "1"));
	is_introduced(d0, 32751, "T");
	release(d0, 32751);
	is_introduced(d0, 32751, "F");

	release(d0, 20);
	is_introduced(d0, 20, "F");
	rq_err(d0, XS_RELEASE, XST_STRS("20"), "ENOENT");
	rq_err(d0, XS_RELEASE, XST_STRS("21"), "ENOENT");
	/* introduced again after release, with another gfn */
	rq_ok(d0, XS_INTRODUCE, XST_STRS("20", "5555", "7"));
	is_introduced(d0, 20, "T");
	release(d0, 20);
	close(d0);
}

static void resume_and_get_domain_path(void)
{
	int d0 = xst_open(0), g;

	rq_err(d0, XS_RESUME, XST_STRS("22"), "ENOENT");
	introduce(d0, 22, 22);
	rq_ok(d0, XS_RESUME, XST_STRS("22"));
	rq_ok(d0, XS_RESUME, XST_STRS("22"));
	is_introduced(d0, 22, "T");
	release(d0, 22);
	rq_err(d0, XS_RESUME, XST_STRS("22"), "ENOENT");

	rq_reply(d0, XS_GET_DOMAIN_PATH, XST_STRS("22"),
		 XST_STRS("/local/domain/22"));
	rq_reply(d0, XS_GET_DOMAIN_PATH, XST_STRS("0"),
		 XST_STRS("/local/domain/0"));
	rq_reply(d0, XS_GET_DOMAIN_PATH, XST_STRS("32751"),
		 XST_STRS("/local/domain/32751"));
	rq_err(d0, XS_GET_DOMAIN_PATH, XST_STRS("abc"), "EINVAL");
	rq_err(d0, XS_GET_DOMAIN_PATH, XST_STRS(""), "EINVAL");
	/* anyone may ask, about any domain */
	g = xst_open_domain(23);
	rq_reply(g, XS_GET_DOMAIN_PATH, XST_STRS("5"),
		 XST_STRS("/local/domain/5"));
	rq_reply(g, XS_GET_DOMAIN_PATH, XST_STRS("23"),
		 XST_STRS("/local/domain/23"));
	rq_err(g, XS_GET_DOMAIN_PATH, XST_STRS("abc"), "EINVAL");
	close(g);
	close(d0);
}

static void release_removes_owned_nodes(void)
{
	int d0 = xst_open(0), g24, g25;

	rm_quiet(d0, AREA "/rel");
	introduce(d0, 24, 24);
	introduce(d0, 25, 25);
	make_home(d0, 24);
	make_home(d0, 25);
	g24 = xst_open_domain(24);
	g25 = xst_open_domain(25);
	wr(g24, "a/b/c", "1");
	xst_mkdir(g24, "d");
	/* owned by dom0, but under a node domain 24 owns: goes too */
	wr(d0, xst_at(24, "dom0-owned"), "x");
	SET_PERMS(d0, xst_at(24, "dom0-owned"), "n0");
	/* elsewhere: owned by 24 with a child owned by dom0 */
	wr(d0, AREA "/rel/owned24/child", "1");
	SET_PERMS(d0, AREA "/rel/owned24", "n24");
	/* dom0's node that grants 24 access stays, 24's child goes */
	wr(d0, AREA "/rel/keep", "k");
	SET_PERMS(d0, AREA "/rel/keep", "n0", "r24");
	xst_mkdir(d0, AREA "/rel/keep/sub24");
	SET_PERMS(d0, AREA "/rel/keep/sub24", "n24");
	xst_mkdir(d0, AREA "/rel/keep/sub0");
	wr(g25, "mine", "25");
	/* domain 25, at its quota, owns a node in domain 24's inbox */
	wr(d0, xst_at(24, "inbox"), "");
	SET_PERMS(d0, xst_at(24, "inbox"), "n24", "b25");
	wr(g25, xst_at(24, "inbox/from25"), "x");
	perms_are(d0, xst_at(24, "inbox/from25"), XST_STRS("n25", "b25"));
	set_quota(d0, 25, "nodes", 3);
	wr_err(g25, "more", "", "ENOSPC");

	release(d0, 24);
	/* its node went with domain 24's subtree: room for one more */
	xst_read_err(d0, xst_at(24, "inbox/from25"), "ENOENT");
	wr(g25, "more", "");
	wr_err(g25, "more2", "", "ENOSPC");
	xst_read_err(d0, xst_home(24), "ENOENT");
	xst_read_err(d0, xst_at(24, "a/b/c"), "ENOENT");
	xst_read_err(d0, xst_at(24, "dom0-owned"), "ENOENT");
	xst_read_err(d0, AREA "/rel/owned24", "ENOENT");
	xst_read_err(d0, AREA "/rel/owned24/child", "ENOENT");
	xst_read_err(d0, AREA "/rel/keep/sub24", "ENOENT");
	xst_dir_expect(d0, AREA "/rel", S("keep"));
	xst_dir_expect(d0, AREA "/rel/keep", S("sub0"));
	rd(d0, AREA "/rel/keep", "k");
	/* the released domain's own entry in another's list is gone */
	perms_are(d0, AREA "/rel/keep", XST_STRS("n0"));
	rd(d0, xst_at(25, "mine"), "25");
	rd(g25, "mine", "25");
	is_introduced(d0, 24, "F");
	is_introduced(d0, 25, "T");
	store_check(d0);

	close(g24);
	close(g25);
	release(d0, 25);
	xst_read_err(d0, xst_home(25), "ENOENT");
	xst_rm(d0, AREA "/rel");
	store_check(d0);
	close(d0);
}

static void expect_eof(int fd, const char *what)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[64];
	ssize_t r;

	r = poll(&p, 1, 3000);
	CHECK(r == 1, "%s: poll() found nothing to read within 3 s (%zd)",
	      what, r);
	r = read(fd, buf, sizeof(buf));
	CHECK(r == 0, "%s: read() returned %zd (%s), expected 0 (end of file)",
	      what, r, r < 0 ? strerror(errno) : xst_esc(buf, r));
	r = read(fd, buf, sizeof(buf));
	CHECK(r == 0, "%s: second read() returned %zd (%s), expected 0",
	      what, r, r < 0 ? strerror(errno) : xst_esc(buf, r));
}

static void expect_dead(int fd, const char *what)
{
	static unsigned char msg[XST_MSG_MAX];
	static struct xst_msg reply;
	size_t n = xst_build(msg, XS_READ, 1, 0, S("x"));
	ssize_t r;
	int err;

	r = write(fd, msg, n);
	CHECK(r < 0 && errno == EPIPE,
	      "%s: write() returned %zd (%s), expected EPIPE", what, r,
	      r < 0 ? strerror(errno) : "no error");
	err = xst_ioc_request(fd, msg, n, &reply, XST_MSG_MAX, 0, NULL);
	CHECK(err == EPIPE, "%s: KXS_IOC_REQUEST: %s, expected EPIPE", what,
	      err ? strerror(err) : "success");
}

static void release_kills_bound_connections(void)
{
	int d0 = xst_open(0), a, b, c, d, i;
	uint32_t id = xst_next_req_id();

	introduce(d0, 26, 26);
	make_home(d0, 26);
	make_home(d0, 27);
	a = xst_open_domain(26);
	b = xst_open_domain(26);
	c = xst_open_domain(27);
	wr(a, "v", "val");
	for (i = 0; i < 10; i++)
		tx_start(b);
	tx_start_err(b, "ENOSPC");
	/* a request whose reply waits unread */
	xst_send(a, XS_READ, id, 0, S("v"));
	usleep(100000);

	release(d0, 26);
	/* the queued reply, then end of file */
	xst_expect(a, "reply queued before RELEASE", XS_READ, id, 0, "val",
		   3);
	expect_eof(a, "released connection a");
	expect_dead(a, "released connection a");
	expect_eof(b, "released connection b");
	expect_dead(b, "released connection b");
	expect_eof(a, "released connection a after write");
	/* domain 27 carries on */
	wr(c, "x", "1");
	rd(d0, xst_at(27, "x"), "1");

	/* introduced again: its transactions were ended with the old one */
	introduce(d0, 26, 2626);
	make_home(d0, 26);
	d = xst_open_domain(26);
	for (i = 0; i < 10; i++)
		tx_start(d);
	wr(d, "again", "1");
	close(a);
	close(b);
	close(c);
	close(d);
	release(d0, 26);
	xst_rm(d0, xst_home(27));
	store_check(d0);
	close(d0);
}

/*
 * Threads keep sending requests on connections of a domain, through
 * write()+read() and through the ioctl, while dom0 writes into the
 * domain's home and then releases the domain.  Each thread must end with
 * EPIPE or end of file, having seen only whole, well-formed replies.
 */
/* When the round's RELEASE returned (ms), 0 before. */
static atomic_llong released_at;

struct hammer {
	int fd, use_ioctl, t;
	int replies;
	int end;		/* EPIPE, or -1 for end of file */
	char bad[256];		/* what went wrong, if anything */
};

static int read_all(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : (got ? -EIO : 0);
		got += r;
	}
	return 1;
}

static void *hammer_thread(void *arg)
{
	static const uint32_t types[] = {
		XS_WRITE, XS_READ, XS_DIRECTORY, XS_GET_PERMS, XS_RM,
		XS_TRANSACTION_START,
	};
	struct hammer *h = arg;
	unsigned char msg[XST_MSG_MAX];
	struct xst_msg m;
	char p[64];
	uint32_t type, id, got;
	size_t n, pl;
	int i, r;
	long long rel;

	xst_block_sigalrm();

	/*
	 * Until RELEASE cuts the connection off: a request sent once it has
	 * returned must fail, so the loop ends with the first one (not on a
	 * clock: under TCG a thread may not run for many seconds).
	 */
	for (i = 0;; i++) {
		rel = atomic_load(&released_at);
		type = types[i % ARRAY_SIZE(types)];
		pl = snprintf(p, sizeof(p), "h%d/k%d", h->t, i % 7) + 1;
		if (type == XS_WRITE)
			pl += snprintf(p + pl, sizeof(p) - pl, "v%d", i);
		if (type == XS_TRANSACTION_START) {
			p[0] = 0;
			pl = 1;
		}
		id = ((uint32_t)h->t << 24) | i;
		n = xst_build(msg, type, id, 0, p, pl);
		if (h->use_ioctl) {
			r = xst_ioc_request(h->fd, msg, n, &m, XST_MSG_MAX, 0,
					    &got);
			if (r) {
				h->end = r;
				break;
			}
			if (got != XST_HDR_LEN + m.hdr.len) {
				snprintf(h->bad, sizeof(h->bad),
					 "ioctl reply_len %u, header len %u",
					 got, m.hdr.len);
				break;
			}
		} else {
			if (write(h->fd, msg, n) != (ssize_t)n) {
				h->end = errno;
				break;
			}
			r = read_all(h->fd, &m.hdr, XST_HDR_LEN);
			if (r == 1 && m.hdr.len <= XST_PAYLOAD_MAX)
				r = read_all(h->fd, m.body, m.hdr.len) ?: -EIO;
			if (r == 0) {
				h->end = -1;
				break;
			}
			if (r < 0) {
				snprintf(h->bad, sizeof(h->bad),
					 "read: %s", strerror(-r));
				break;
			}
		}
		if (m.hdr.req_id != id || m.hdr.tx_id != 0 ||
		    m.hdr.len > XST_PAYLOAD_MAX ||
		    (m.hdr.type != type && m.hdr.type != XS_ERROR)) {
			snprintf(h->bad, sizeof(h->bad),
				 "request %s %#x got %s req_id %#x tx_id %#x len %u",
				 xst_type_name(type), id,
				 xst_type_name(m.hdr.type), m.hdr.req_id,
				 m.hdr.tx_id, m.hdr.len);
			break;
		}
		if (rel) {
			snprintf(h->bad, sizeof(h->bad),
				 "request %s %#x, sent after RELEASE returned, got a reply",
				 xst_type_name(type), id);
			break;
		}
		h->replies++;
	}
	return NULL;
}

static void release_while_requests_are_in_flight(void)
{
	enum { THREADS = 4, ROUNDS = 8, D = 60 };
	static struct hammer h[THREADS];
	pthread_t th[THREADS];
	int d0 = xst_open(0), round, t, i, replies = 0, cut_in_flight = 0;

	for (round = 0; round < ROUNDS; round++) {
		long long t0;

		atomic_store(&released_at, 0);
		introduce(d0, D, 100 + round);
		make_home(d0, D);
		for (t = 0; t < THREADS; t++) {
			h[t] = (struct hammer){
				.fd = xst_open_domain(D), .use_ioctl = t & 1,
				.t = t,
			};
			CHECK(!pthread_create(&th[t], NULL, hammer_thread,
					      &h[t]), "pthread_create");
		}
		/* dom0 busy in the domain's home meanwhile */
		for (i = 0; i < 20 + round * 10; i++)
			wr(d0, xst_at(D, xst_fmt("dom0/k%d", i % 5)), "x");
		t0 = xst_now_ms();
		release(d0, D);
		atomic_store(&released_at, xst_now_ms() ?: 1);
		if (xst_now_ms() - t0 > 2000)
			printf("# round %d: RELEASE took %lld ms\n", round,
			       xst_now_ms() - t0);
		/* Should a thread never be cut off, the case times out. */
		for (t = 0; t < THREADS; t++) {
			pthread_join(th[t], NULL);
			CHECK(!h[t].bad[0], "round %d, thread %d (%s): %s",
			      round, t, h[t].use_ioctl ? "ioctl" : "write/read",
			      h[t].bad);
			CHECK(h[t].end == EPIPE || (h[t].end == -1 &&
						    !h[t].use_ioctl),
			      "round %d, thread %d (%s) ended with %s", round,
			      t, h[t].use_ioctl ? "ioctl" : "write/read",
			      h[t].end < 0 ? "end of file" : strerror(h[t].end));
			close(h[t].fd);
			replies += h[t].replies;
			cut_in_flight += h[t].replies > 0;
		}
		is_introduced(d0, D, "F");
		xst_read_err(d0, xst_home(D), "ENOENT");
		store_check(d0);
	}
	printf("%d replies; %d of %d threads were cut off after replies\n",
	       replies, cut_in_flight, THREADS * ROUNDS);
	close(d0);
}

static void set_target_grants_target_access(void)
{
	int d0 = xst_open(0), g28, g29, g34;

	rm_quiet(d0, AREA "/tgt");
	make_home(d0, 28);
	make_home(d0, 29);
	make_home(d0, 34);
	introduce(d0, 28, 28);
	/* both must be introduced */
	rq_err(d0, XS_SET_TARGET, XST_STRS("28", "29"), "ENOENT");
	rq_err(d0, XS_SET_TARGET, XST_STRS("35", "28"), "ENOENT");
	introduce(d0, 29, 29);
	g28 = xst_open_domain(28);
	g29 = xst_open_domain(29);
	g34 = xst_open_domain(34);
	wr(g29, "secret", "t");
	wr(d0, AREA "/tgt/acl", "a");
	SET_PERMS(d0, AREA "/tgt/acl", "n0", "r29");
	rd(g29, AREA "/tgt/acl", "a");

	xst_read_err(g28, xst_at(29, "secret"), "EACCES");
	xst_read_err(g28, AREA "/tgt/acl", "EACCES");
	wr_err(g28, xst_at(29, "secret"), "x", "EACCES");
	/* a guest may not */
	rq_err(g28, XS_SET_TARGET, XST_STRS("28", "29"), "EACCES");
	rq_err(g29, XS_SET_TARGET, XST_STRS("28", "29"), "EACCES");
	xst_read_err(g28, xst_at(29, "secret"), "EACCES");

	rq_ok(d0, XS_SET_TARGET, XST_STRS("28", "29"));
	/* 28 acts for 29 on what 29 owns or is granted */
	rd(g28, xst_at(29, "secret"), "t");
	perms_are(g28, xst_at(29, "secret"), XST_STRS("n29"));
	wr(g28, xst_at(29, "secret"), "by 28");
	rd(d0, xst_at(29, "secret"), "by 28");
	wr(g28, xst_at(29, "new"), "n");
	xst_dir_expect(g28, xst_home(29), S("new\0secret"));
	rd(g28, AREA "/tgt/acl", "a");
	/* not the other way round, and not for others */
	wr(g28, "mine", "28");
	xst_read_err(g29, xst_at(28, "mine"), "EACCES");
	xst_read_err(g34, xst_at(29, "secret"), "EACCES");
	xst_read_err(g34, AREA "/tgt/acl", "EACCES");
	/* and not dom0's rights */
	xst_read_err(g28, "/", "EACCES");
	xst_read_err(g28, AREA "/tgt", "EACCES");

	close(g28);
	close(g29);
	close(g34);
	release(d0, 28);
	release(d0, 29);
	xst_rm(d0, xst_home(34));
	xst_rm(d0, AREA "/tgt");
	close(d0);
}

static void features(void)
{
	static struct xst_msg m;
	int d0 = xst_open(0), g;
	unsigned long long s, v;
	unsigned int bad;

	xst_call(d0, XST_GET_FEATURE, 0, NULL, 0, &m);
	CHECK(m.hdr.type == XST_GET_FEATURE, "GET_FEATURE: %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	s = decimal_reply(&m, "GET_FEATURE");
	CHECK(s <= UINT32_MAX, "GET_FEATURE: %llu", s);
	make_home(d0, 37);
	g = xst_open_domain(37);
	xst_call(g, XST_GET_FEATURE, 0, NULL, 0, &m);
	CHECK(m.hdr.type == XST_GET_FEATURE, "GET_FEATURE from a guest: %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	v = decimal_reply(&m, "GET_FEATURE from a guest");
	CHECK((v & ~s) == 0, "a guest is offered %#llx, more than %#llx", v, s);

	/* set before INTRODUCE */
	rq_ok(d0, XST_SET_FEATURE, XST_STRS("36", xst_u(s)));
	rq_reply(d0, XST_GET_FEATURE, XST_STRS("36"), XST_STRS(xst_u(s)));
	rq_ok(d0, XST_SET_FEATURE, XST_STRS("36", "0"));
	rq_reply(d0, XST_GET_FEATURE, XST_STRS("36"), XST_STRS("0"));
	/* a bit it does not support */
	for (bad = 1; bad && (s & bad); bad <<= 1)
		;
	CHECK(bad, "every feature bit is supported?");
	rq_err(d0, XST_SET_FEATURE, XST_STRS("36", xst_u(bad)), "EINVAL");
	rq_err(d0, XST_SET_FEATURE, XST_STRS("36", xst_u(s | bad)), "EINVAL");
	rq_reply(d0, XST_GET_FEATURE, XST_STRS("36"), XST_STRS("0"));
	/* and not after */
	introduce(d0, 36, 36);
	rq_err(d0, XST_SET_FEATURE, XST_STRS("36", "0"), "EBUSY");
	rq_err(d0, XST_SET_FEATURE, XST_STRS("36", xst_u(s)), "EBUSY");
	rq_reply(d0, XST_GET_FEATURE, XST_STRS("36"), XST_STRS("0"));
	/* guests may not */
	rq_err(g, XST_SET_FEATURE, XST_STRS("36", "0"), "EACCES");
	rq_err(g, XST_GET_FEATURE, XST_STRS("36"), "EACCES");
	release(d0, 36);
	close(g);
	xst_rm(d0, xst_home(37));
	close(d0);
}

static void control_requests(void)
{
	static const char *const cmds[] = { "check", "help", "print", "quota" };
	static struct xst_msg m;
	const struct xst_buf *p;
	int d0 = xst_open(0);
	size_t i;

	xst_call(d0, XS_CONTROL, 0, S("help"), &m);
	CHECK(m.hdr.type == XS_CONTROL && m.hdr.len > 1,
	      "CONTROL help: %s %s", xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		CHECK(memmem(m.body, m.hdr.len, cmds[i], strlen(cmds[i])),
		      "CONTROL help %s does not list %s",
		      xst_esc(m.body, m.hdr.len), cmds[i]);
	store_check(d0);
	rq_reply(d0, XS_CONTROL, XST_STRS("print", "kxs-domains-print-test"),
		 XST_STRS("OK"));

	xst_call(d0, XS_CONTROL, 0, S("quota"), &m);
	CHECK(m.hdr.type == XS_CONTROL, "CONTROL quota: %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	for (i = 0; i < ARRAY_SIZE(quotas); i++)
		CHECK(memmem(m.body, m.hdr.len, quotas[i].name,
			     strlen(quotas[i].name)),
		      "CONTROL quota %s does not list %s",
		      xst_esc(m.body, m.hdr.len), quotas[i].name);
	introduce(d0, 38, 38);
	p = XST_STRS("quota", "38");
	xst_call(d0, XS_CONTROL, 0, p->b, p->len, &m);
	CHECK(m.hdr.type == XS_CONTROL && m.hdr.len > 1 &&
	      memmem(m.body, m.hdr.len, "nodes", 5),
	      "CONTROL quota 38: %s %s", xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));
	release(d0, 38);

	rq_err(d0, XS_CONTROL, XST_STRS("no-such-command"), "EINVAL");
	rq_err(d0, XS_CONTROL, XST_STRS("quota", "set", "no-such-quota", "1"),
	       "EINVAL");
	store_check(d0);
	close(d0);
}

/* ---- KXS_IOC_REQUEST ------------------------------------------------------ */

/*
 * One step of the scripted sequence: the payload is the strings of @p,
 * each NUL-terminated ("~" at the start of one stands for the area, "$O"
 * for "n<domid>"), then @val without a NUL; with @raw, @p[0] alone
 * without its NUL.  @tx: 0 none, 1..3 the transaction started by the
 * step with @start = that slot, 9 a transaction id nobody has.
 */
struct step {
	uint32_t type;
	int tx, start, raw;
	const char *p[4];
	const char *val;
};

#define BIG_VALUE	((const char *)1)	/* 3000 bytes */

static const struct step seq[] = {
	{ XS_WRITE, .p = { "~/a" }, .val = "1" },
	{ XS_WRITE, .p = { "~/a/b/c" }, .val = "deep" },
	{ XS_READ, .p = { "~/a" } },
	{ XS_READ, .p = { "~/a/b" } },
	{ XS_DIRECTORY, .p = { "~/a" } },
	{ XS_MKDIR, .p = { "~/m" } },
	{ XS_DIRECTORY, .p = { "~" } },
	{ XS_DIRECTORY_PART, .p = { "~", "0" } },
	{ XS_READ, .p = { "~/missing" } },
	{ XS_RM, .p = { "~/missing/child" } },
	{ XS_RM, .p = { "~/missing" } },
	{ XS_READ, .p = { "~/bad path" } },
	{ XS_READ, .p = { "~/a/" } },
	{ XS_WRITE, .raw = 1, .p = { "~/x" } },
	{ XS_READ, .p = { "~/a", "extra" } },
	{ XS_GET_PERMS, .p = { "~/a" } },
	{ XS_SET_PERMS, .p = { "~/m", "$O", "r1" } },
	{ XS_GET_PERMS, .p = { "~/m" } },
	{ XS_SET_PERMS, .p = { "~/m", "q1" } },
	{ XS_TRANSACTION_START, .start = 1, .p = { "" } },
	{ XS_WRITE, .tx = 1, .p = { "~/t" }, .val = "in-tx" },
	{ XS_READ, .tx = 1, .p = { "~/t" } },
	{ XS_READ, .p = { "~/t" } },
	{ XS_DIRECTORY, .tx = 1, .p = { "~" } },
	{ XS_TRANSACTION_END, .tx = 1, .p = { "T" } },
	{ XS_READ, .p = { "~/t" } },
	{ XS_TRANSACTION_START, .start = 2, .p = { "" } },
	{ XS_WRITE, .tx = 2, .p = { "~/t" }, .val = "tx2" },
	{ XS_WRITE, .p = { "~/t" }, .val = "outside" },
	{ XS_TRANSACTION_END, .tx = 2, .p = { "T" } },
	{ XS_READ, .p = { "~/t" } },
	{ XS_READ, .tx = 9, .p = { "~/a" } },
	{ XS_TRANSACTION_START, .tx = 9, .p = { "" } },
	{ XS_TRANSACTION_START, .start = 3, .p = { "" } },
	{ XS_TRANSACTION_END, .tx = 3, .p = { "X" } },
	{ XS_TRANSACTION_END, .tx = 3, .p = { "F" } },
	{ 27, .p = { "~/a" } },
	{ XS_WATCH_EVENT, .p = { "~/a", "tok" } },
	{ XS_ERROR, .p = { "EINVAL" } },
	{ XS_GET_DOMAIN_PATH, .p = { "4" } },
	{ XS_IS_DOMAIN_INTRODUCED, .p = { "1" } },
	{ XST_GET_QUOTA, .p = { "transactions" } },
	{ XS_CONTROL, .p = { "help" } },
	{ XS_CONTROL, .p = { "no-such-command" } },
	{ XS_WRITE, .p = { "~/big" }, .val = BIG_VALUE },
	{ XS_READ, .p = { "~/big" } },
	{ XS_RM, .p = { "~/a" } },
	{ XS_READ, .p = { "~/a/b/c" } },
	{ XS_DIRECTORY, .p = { "~" } },
	{ XS_RM, .p = { "~" } },
	{ XS_READ, .p = { "~" } },
};

struct rec {
	struct xsd_sockmsg hdr;
	char body[XST_PAYLOAD_MAX + 1];
};

static const char *step_name(size_t i)
{
	const struct step *s = &seq[i];

	return xst_fmt("step %zu (%s%s %s%s%s%s)", i, xst_type_name(s->type),
		       s->tx ? " in a transaction" : "",
		       s->p[0], s->p[1] ? " " : "", s->p[1] ? s->p[1] : "",
		       s->val ? " =value" : "");
}

static size_t step_payload(const struct step *s, const char *area,
			   unsigned int domid, char *out)
{
	size_t n = 0, l;
	const char *a;
	int i;

	for (i = 0; i < 4 && s->p[i]; i++) {
		a = s->p[i];
		if (a[0] == '~')
			a = xst_fmt("%s%s", area, a + 1);
		else if (!strcmp(a, "$O"))
			a = xst_fmt("n%u", domid);
		l = strlen(a) + !s->raw;
		memcpy(out + n, a, l);
		n += l;
	}
	if (s->val == BIG_VALUE) {
		memset(out + n, 'v', 3000);
		n += 3000;
	} else if (s->val) {
		memcpy(out + n, s->val, strlen(s->val));
		n += strlen(s->val);
	}
	return n;
}

/*
 * Run the sequence on @fd in @area, through write()+read() or the ioctl,
 * recording the replies with transaction ids and DIRECTORY_PART's gencnt
 * made comparable.
 */
static void run_seq(int fd, int use_ioctl, const char *area,
		    unsigned int domid, struct rec *out)
{
	static char payload[XST_PAYLOAD_MAX];
	static struct xst_msg m;
	uint32_t txs[10] = { 0 }, tx;
	const char *mode = use_ioctl ? "KXS_IOC_REQUEST" : "write()+read()";
	size_t i, n;
	int k;

	txs[9] = 0x7badbad7;
	for (i = 0; i < ARRAY_SIZE(seq); i++) {
		const struct step *s = &seq[i];
		uint32_t req_id = 0x5e000 + i;

		n = step_payload(s, area, domid, payload);
		tx = txs[s->tx];
		if (use_ioctl) {
			xst_ioc_call(fd, s->type, req_id, tx, payload, n, &m);
		} else {
			xst_send(fd, s->type, req_id, tx, payload, n);
			xst_recv(fd, &m);
		}
		CHECK(m.hdr.req_id == req_id && m.hdr.tx_id == tx,
		      "%s, %s: reply req_id %#x tx_id %#x, expected %#x %#x",
		      mode, step_name(i), m.hdr.req_id, m.hdr.tx_id, req_id, tx);
		out[i].hdr = m.hdr;
		memcpy(out[i].body, m.body, m.hdr.len);
		out[i].hdr.tx_id = s->tx;	/* the slot, not the id */
		if (s->start && m.hdr.type == XS_TRANSACTION_START) {
			txs[s->start] = decimal_reply(&m, step_name(i));
			out[i].hdr.len = snprintf(out[i].body, 16, "tx%d",
						  s->start);
		}
		if (s->type == XS_DIRECTORY_PART &&
		    m.hdr.type == XS_DIRECTORY_PART) {
			k = strlen((char *)m.body) + 1;
			CHECK(k > 1 && strspn((char *)m.body, "0123456789") ==
			      (size_t)k - 1, "%s, %s: gencnt %s", mode,
			      step_name(i), xst_esc(m.body, m.hdr.len));
			/* "<gencnt>\0..." becomes "G\0..." */
			memmove(out[i].body + 2, out[i].body + k,
				m.hdr.len - k);
			out[i].body[0] = 'G';
			out[i].body[1] = 0;
			out[i].hdr.len = m.hdr.len - k + 2;
		}
	}
	xst_expect_silence(fd, 0);
}

static void compare_seq(const struct rec *w, const struct rec *i)
{
	size_t s;
	int bad = 0;

	for (s = 0; s < ARRAY_SIZE(seq); s++) {
		if (w[s].hdr.type == i[s].hdr.type &&
		    w[s].hdr.len == i[s].hdr.len &&
		    !memcmp(w[s].body, i[s].body, w[s].hdr.len))
			continue;
		printf("%s: write()+read() got %s %s, KXS_IOC_REQUEST got %s %s\n",
		       step_name(s), xst_type_name(w[s].hdr.type),
		       xst_esc(w[s].body, w[s].hdr.len),
		       xst_type_name(i[s].hdr.type),
		       xst_esc(i[s].body, i[s].hdr.len));
		bad++;
	}
	CHECK(!bad, "%d of %zu replies differ", bad, ARRAY_SIZE(seq));
}

/* Some replies of the sequence that do not depend on privilege. */
static void check_seq_sanity(const struct rec *r)
{
	static const struct {
		size_t step;
		uint32_t type;
		const char *body;
		size_t len;
	} exp[] = {
		{ 2, XS_READ, "1", 1 },
		{ 3, XS_READ, "", 0 },
		{ 4, XS_DIRECTORY, S("b") },
		{ 6, XS_DIRECTORY, S("a\0m") },
		{ 7, XS_DIRECTORY_PART, S("G\0a\0m\0") },
		{ 8, XS_ERROR, S("ENOENT") },
		{ 9, XS_ERROR, S("ENOENT") },
		{ 10, XS_RM, S("OK") },
		{ 11, XS_ERROR, S("EINVAL") },
		{ 12, XS_ERROR, S("EINVAL") },
		{ 13, XS_ERROR, S("EINVAL") },
		{ 14, XS_ERROR, S("EINVAL") },
		{ 21, XS_READ, "in-tx", 5 },
		{ 22, XS_ERROR, S("ENOENT") },
		{ 23, XS_DIRECTORY, S("a\0m\0t") },
		{ 24, XS_TRANSACTION_END, S("OK") },
		{ 25, XS_READ, "in-tx", 5 },
		{ 29, XS_ERROR, S("EAGAIN") },
		{ 30, XS_READ, "outside", 7 },
		{ 39, XS_GET_DOMAIN_PATH, S("/local/domain/4") },
		{ 47, XS_ERROR, S("ENOENT") },
		{ 49, XS_RM, S("OK") },
		{ 50, XS_ERROR, S("ENOENT") },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(exp); i++) {
		const struct rec *x = &r[exp[i].step];

		CHECK(x->hdr.type == exp[i].type && x->hdr.len == exp[i].len &&
		      !memcmp(x->body, exp[i].body, exp[i].len),
		      "%s: got %s %s, expected %s %s", step_name(exp[i].step),
		      xst_type_name(x->hdr.type), xst_esc(x->body, x->hdr.len),
		      xst_type_name(exp[i].type),
		      xst_esc(exp[i].body, exp[i].len));
	}
}

static void ioctl_equivalence(unsigned int domid)
{
	static struct rec w[ARRAY_SIZE(seq)], i[ARRAY_SIZE(seq)];
	int d0 = xst_open(0), a, b;

	if (domid) {
		make_home(d0, domid);
		a = xst_open_domain(domid);
		b = xst_open_domain(domid);
	} else {
		a = xst_open(0);
		b = xst_open(0);
	}
	rm_quiet(d0, xst_at(domid, "eqw"));
	rm_quiet(d0, xst_at(domid, "eqi"));
	run_seq(a, 0, "eqw", domid, w);
	run_seq(b, 1, "eqi", domid, i);
	compare_seq(w, i);
	check_seq_sanity(w);
	close(a);
	close(b);
	if (domid)
		xst_rm(d0, xst_home(domid));
	close(d0);
}

static void ioctl_request_matches_write_read(void)
{
	ioctl_equivalence(0);
}

static void ioctl_request_matches_write_read_for_a_guest(void)
{
	ioctl_equivalence(40);
}

static void expect_ioc_err(int fd, const void *req, uint32_t req_len,
			   void *reply, uint32_t reply_size, uint32_t flags,
			   int err, const char *what)
{
	int got = xst_ioc_request(fd, req, req_len, reply, reply_size, flags,
				  NULL);

	CHECK(got == err, "KXS_IOC_REQUEST with %s: %s, expected %s", what,
	      got ? strerror(got) : "success", strerror(err));
}

static void ioctl_request_argument_errors(void)
{
	static unsigned char req[XST_MSG_MAX + 64];
	static struct xst_msg reply;
	struct xsd_sockmsg big = { .type = XS_WRITE, .req_id = 3, .len = 4097 };
	int fd = xst_open(0);
	uint32_t got;
	size_t n;
	int r;

	wr(fd, AREA "/ioc", "before");
	n = xst_build(req, XS_WRITE, 0x10c, 0, S(AREA "/ioc\0after") - 1);
	expect_ioc_err(fd, req, n - 1, &reply, XST_MSG_MAX, 0, EINVAL,
		       "request_len one short");
	expect_ioc_err(fd, req, n + 1, &reply, XST_MSG_MAX, 0, EINVAL,
		       "request_len one over");
	expect_ioc_err(fd, req, 0, &reply, XST_MSG_MAX, 0, EINVAL,
		       "request_len 0");
	expect_ioc_err(fd, req, 15, &reply, XST_MSG_MAX, 0, EINVAL,
		       "request_len 15");
	expect_ioc_err(fd, req, n, &reply, KXS_IOC_MSG_MAX - 1, 0, EINVAL,
		       "reply_size KXS_IOC_MSG_MAX - 1");
	expect_ioc_err(fd, req, n, &reply, 0, 0, EINVAL, "reply_size 0");
	expect_ioc_err(fd, req, n, &reply, XST_MSG_MAX, 1, EINVAL, "flags 1");
	expect_ioc_err(fd, req, n, &reply, XST_MSG_MAX, 0x80000000, EINVAL,
		       "flags 0x80000000");
	expect_ioc_err(fd, NULL, n, &reply, XST_MSG_MAX, 0, EFAULT,
		       "a NULL request");
	/* a payload over 4096 bytes */
	memcpy(req, &big, sizeof(big));
	memset(req + sizeof(big), 'x', 4097);
	expect_ioc_err(fd, req, 16 + 4097, &reply, XST_MSG_MAX, 0, E2BIG,
		       "a 4097-byte payload");
	big.len = 0xffffffff;
	memcpy(req, &big, sizeof(big));
	r = xst_ioc_request(fd, req, 16, &reply, XST_MSG_MAX, 0, NULL);
	CHECK(r == EINVAL || r == E2BIG,
	      "KXS_IOC_REQUEST with len 0xffffffff and request_len 16: %s",
	      r ? strerror(r) : "success");
	r = ioctl(fd, KXS_IOC_REQUEST, NULL);
	CHECK(r < 0 && errno == EFAULT,
	      "KXS_IOC_REQUEST with a NULL argument: %d (%s)", r,
	      r < 0 ? strerror(errno) : "no error");

	/* none of them did anything: no reply queued, nothing written */
	xst_expect_silence(fd, 0);
	rd(fd, AREA "/ioc", "before");

	/* the same request, well-formed, works */
	n = xst_build(req, XS_WRITE, 0x10c, 0, S(AREA "/ioc\0after") - 1);
	memset(&reply, 0, sizeof(reply));
	r = xst_ioc_request(fd, req, n, &reply, KXS_IOC_MSG_MAX, 0, &got);
	CHECK(!r, "KXS_IOC_REQUEST: %s", strerror(r));
	CHECK(got == XST_HDR_LEN + 3 && reply.hdr.type == XS_WRITE &&
	      reply.hdr.req_id == 0x10c && reply.hdr.tx_id == 0 &&
	      reply.hdr.len == 3 && !memcmp(reply.body, "OK", 3),
	      "KXS_IOC_REQUEST WRITE: reply_len %u, %s %s req_id %#x", got,
	      xst_type_name(reply.hdr.type), xst_esc(reply.body, reply.hdr.len),
	      reply.hdr.req_id);
	xst_expect_silence(fd, 0);
	rd(fd, AREA "/ioc", "after");
	/* a reply pointer the kernel cannot write to */
	r = xst_ioc_request(fd, req, n, NULL, XST_MSG_MAX, 0, NULL);
	CHECK(r == EFAULT, "KXS_IOC_REQUEST with a NULL reply: %s",
	      r ? strerror(r) : "success");
	xst_expect_silence(fd, 0);
	xst_rm(fd, AREA "/ioc");
	close(fd);
}

static void ioctl_request_leaves_queued_replies_alone(void)
{
	static struct xst_msg m;
	int fd = xst_open(0), other = xst_open(0), k;

	wr(fd, AREA "/q", "queued");
	/* two requests through write(), their replies left unread */
	xst_send(fd, XS_READ, 0x51, 0, S(AREA "/q"));
	xst_send(fd, XS_WRITE, 0x52, 0, S(AREA "/q2\0two") - 1);
	/* requests through the ioctl in between get their own replies */
	for (k = 0; k < 5; k++) {
		xst_ioc_call(fd, XS_READ, 0x60 + k, 0, S(AREA "/q"), &m);
		CHECK(m.hdr.type == XS_READ && m.hdr.len == 6 &&
		      !memcmp(m.body, "queued", 6), "ioctl READ: %s %s",
		      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	}
	xst_ioc_call(fd, XS_READ, 0x70, 0, S(AREA "/missing"), &m);
	CHECK(m.hdr.type == XS_ERROR && m.hdr.len == 7 &&
	      !memcmp(m.body, "ENOENT", 7), "ioctl READ of a missing node: %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	xst_ioc_call(fd, XS_READ, 0x71, 0, S(AREA "/q2"), &m);
	CHECK(m.hdr.type == XS_READ && m.hdr.len == 3 &&
	      !memcmp(m.body, "two", 3), "ioctl READ q2: %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	/* read() returns the two earlier replies, in order, and no more */
	xst_expect(fd, "READ sent with write()", XS_READ, 0x51, 0, "queued", 6);
	xst_expect(fd, "WRITE sent with write()", XS_WRITE, 0x52, 0, OK_REPLY);
	xst_expect_silence(fd, 0);
	xst_expect_silence(other, 0);
	/* half a request written: the ioctl still answers, then the rest */
	{
		static unsigned char msg[XST_MSG_MAX];
		size_t n = xst_build(msg, XS_READ, 0x53, 0, S(AREA "/q"));

		xst_write_all(fd, msg, 10);
		xst_ioc_call(fd, XS_READ, 0x72, 0, S(AREA "/q2"), &m);
		CHECK(m.hdr.type == XS_READ && m.hdr.len == 3,
		      "ioctl READ with half a request written: %s %s",
		      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
		xst_write_all(fd, msg + 10, n - 10);
		xst_expect(fd, "READ split around an ioctl", XS_READ, 0x53, 0,
			   "queued", 6);
	}
	xst_expect_silence(fd, 0);
	xst_rm(fd, AREA "/q");
	xst_rm(fd, AREA "/q2");
	close(other);
	close(fd);
}

/* One connection's transactions, whichever way their requests come. */
static void ioctl_request_shares_transactions_with_write(void)
{
	static struct xst_msg m;
	int fd = xst_open(0), other = xst_open(0);
	uint32_t tx;

	rm_quiet(fd, AREA "/mixed");
	/* started with write(), used and ended through the ioctl */
	tx = tx_start(fd);
	xst_ioc_call(fd, XS_WRITE, 0x81, tx, S(AREA "/mixed/a\0in-tx") - 1,
		     &m);
	CHECK(m.hdr.type == XS_WRITE && m.hdr.len == 3,
	      "ioctl WRITE in a transaction: %s %s", xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));
	xst_rpc_tx(fd, XS_READ, tx, S(AREA "/mixed/a"), XS_READ, "in-tx", 5);
	xst_read_err(fd, AREA "/mixed/a", "ENOENT");
	xst_read_err(other, AREA "/mixed/a", "ENOENT");
	xst_ioc_call(fd, XS_TRANSACTION_END, 0x82, tx, S("T"), &m);
	CHECK(m.hdr.type == XS_TRANSACTION_END && m.hdr.len == 3 &&
	      !memcmp(m.body, "OK", 3), "ioctl TRANSACTION_END: %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	rd(other, AREA "/mixed/a", "in-tx");
	/* started through the ioctl, ended with write() */
	xst_ioc_call(fd, XS_TRANSACTION_START, 0x83, 0, S(""), &m);
	CHECK(m.hdr.type == XS_TRANSACTION_START,
	      "ioctl TRANSACTION_START: %s %s", xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));
	tx = decimal_reply(&m, "ioctl TRANSACTION_START");
	tx_wr(fd, tx, AREA "/mixed/b", "b", NULL);
	xst_ioc_call(fd, XS_READ, 0x84, tx, S(AREA "/mixed/b"), &m);
	CHECK(m.hdr.type == XS_READ && m.hdr.len == 1 && m.body[0] == 'b',
	      "ioctl READ in a transaction: %s %s", xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));
	tx_end(fd, tx, "F");
	xst_read_err(other, AREA "/mixed/b", "ENOENT");
	/* another connection's transaction id is unknown here */
	tx = tx_start(other);
	xst_ioc_call(fd, XS_READ, 0x85, tx, S(AREA "/mixed/a"), &m);
	CHECK(m.hdr.type == XS_ERROR,
	      "ioctl READ in another connection's transaction: %s %s",
	      xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));
	tx_end(other, tx, "F");
	xst_expect_silence(fd, 0);
	xst_rm(fd, AREA "/mixed");
	close(other);
	close(fd);
}

/* ---- large directories ---------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Create @n children "child-<i>" of @dir, pipelining the WRITEs; fills
 * @list (room for 32 * n bytes) with the sorted list as DIRECTORY would
 * give it and returns its length.
 */
static size_t make_children(int fd, const char *dir, int n, char *list)
{
	static char p[256];
	char **names = calloc(n, sizeof(*names));
	size_t len = 0, pl;
	int i, j, batch = 100;

	CHECK(names, "calloc");
	for (i = 0; i < n; i++)
		CHECK(asprintf(&names[i], "child-%d", i) > 0, "asprintf");
	for (i = 0; i < n; i += batch) {
		for (j = i; j < n && j < i + batch; j++) {
			pl = snprintf(p, sizeof(p), "%s/%s", dir, names[j]) + 1;
			xst_send(fd, XS_WRITE, 0xd00000 + j, 0, p, pl);
		}
		for (j = i; j < n && j < i + batch; j++)
			xst_expect(fd, "WRITE of a child", XS_WRITE,
				   0xd00000 + j, 0, OK_REPLY);
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		memcpy(list + len, names[i], strlen(names[i]) + 1);
		len += strlen(names[i]) + 1;
		free(names[i]);
	}
	free(names);
	return len;
}

/*
 * DIRECTORY_PART of @dir at @off; checks its form and returns the gencnt
 * (into @gen), the children's bytes (at *@names, *@nlen) and whether it
 * was the last part (the extra empty string).
 */
static int dir_part(int fd, uint32_t tx, const char *dir, size_t off,
		    char *gen, const char **names, size_t *nlen)
{
	static struct xst_msg m;
	const struct xst_buf *p = XST_STRS(dir, xst_fmt("%zu", off));
	size_t gl, len;

	xst_call(fd, XS_DIRECTORY_PART, tx, p->b, p->len, &m);
	CHECK(m.hdr.type == XS_DIRECTORY_PART,
	      "DIRECTORY_PART %s at %zu: %s %s", dir, off,
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	len = m.hdr.len;
	gl = strnlen((char *)m.body, len);
	CHECK(gl > 0 && gl < len && gl < 24 &&
	      strspn((char *)m.body, "0123456789") == gl,
	      "DIRECTORY_PART %s at %zu: no gencnt in %s", dir, off,
	      xst_esc(m.body, len));
	memcpy(gen, m.body, gl + 1);
	CHECK(m.body[len - 1] == 0, "DIRECTORY_PART %s at %zu: %s", dir, off,
	      xst_esc(m.body, len));
	*names = (char *)m.body + gl + 1;
	*nlen = len - gl - 1;
	/* the last part ends with an empty string: two NULs, or only one */
	if (*nlen == 1 || (*nlen >= 2 && !(*names)[*nlen - 2])) {
		(*nlen)--;
		return 1;
	}
	return 0;
}

/*
 * Page through the children of @dir with DIRECTORY_PART from offset 0,
 * checking each part against @list (@len bytes, the sorted list) and that
 * it holds as many names as fit; returns the number of parts and the
 * gencnt (in @gen0, unchanged throughout).
 */
static int page_all(int fd, const char *dir, const char *list, size_t len,
		    char *gen0)
{
	static char got[2000 * 32];
	const char *names;
	char gen[32];
	size_t off = 0, nlen, glen = 0, next;
	int last = 0, parts = 0;

	CHECK(len <= sizeof(got), "list too long for page_all");
	while (!last) {
		CHECK(++parts < 100, "too many parts");
		last = dir_part(fd, 0, dir, off, gen, &names, &nlen);
		if (parts == 1)
			strcpy(gen0, gen);
		CHECK(!strcmp(gen, gen0),
		      "gencnt changed from %s to %s at %zu with nothing changed",
		      gen0, gen, off);
		CHECK(nlen > 0 || last, "an empty part at %zu", off);
		CHECK(nlen == 0 || names[nlen - 1] == 0,
		      "part at %zu cut a name: %s", off, xst_esc(names, nlen));
		CHECK(off + nlen <= len && !memcmp(names, list + off, nlen),
		      "part at %zu: %s, expected %s", off, xst_esc(names, nlen),
		      xst_esc(list + off, len - off));
		memcpy(got + glen, names, nlen);
		glen += nlen;
		off += nlen;
		/* as many as fit: the next name would not have */
		if (!last) {
			CHECK(off < len,
			      "part ending at %zu, the end of the list, without the final empty string",
			      off);
			next = strlen(list + off) + 1;
			CHECK(strlen(gen) + 1 + nlen + next >= XST_PAYLOAD_MAX,
			      "part ending at %zu has room for %s",
			      off, list + off);
		}
	}
	CHECK(glen == len && !memcmp(got, list, len),
	      "the parts reassemble into %zu bytes, expected %zu", glen, len);
	return parts;
}

static void directory_of_2000_children_e2big_and_paged(void)
{
	static char list[2000 * 32];
	static struct xst_msg m;
	const char *dir = AREA "/big";
	const char *names;
	char gen[32], gen0[32];
	size_t len, nlen;
	int fd = xst_open(0), last, parts;
	uint32_t tx;

	rm_quiet(fd, dir);
	len = make_children(fd, dir, 2000, list);
	CHECK(len > 3 * XST_PAYLOAD_MAX, "list of %zu bytes", len);
	xst_rpc_err(fd, XS_DIRECTORY, S(AREA "/big"), "E2BIG");
	xst_ioc_call(fd, XS_DIRECTORY, 1, 0, S(AREA "/big"), &m);
	CHECK(m.hdr.type == XS_ERROR && !strcmp((char *)m.body, "E2BIG"),
	      "DIRECTORY through the ioctl: %s %s", xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));

	parts = page_all(fd, dir, list, len, gen0);
	CHECK(parts >= 5, "only %d parts", parts);
	/* at the end and beyond: the empty last part */
	last = dir_part(fd, 0, dir, len, gen, &names, &nlen);
	CHECK(last && nlen == 0 && !strcmp(gen, gen0),
	      "DIRECTORY_PART at the end: last %d, %s, gen %s", last,
	      xst_esc(names, nlen), gen);
	last = dir_part(fd, 0, dir, len + 1000, gen, &names, &nlen);
	CHECK(last && nlen == 0, "DIRECTORY_PART beyond the end: %s",
	      xst_esc(names, nlen));
	/* in a transaction, the same */
	tx = tx_start(fd);
	last = dir_part(fd, tx, dir, 0, gen, &names, &nlen);
	CHECK(!last && nlen > 0 && !memcmp(names, list, nlen),
	      "DIRECTORY_PART in a transaction: %s", xst_esc(names, nlen));
	xst_rpc_tx(fd, XS_DIRECTORY, tx, S(AREA "/big"), XS_ERROR, S("E2BIG"));
	tx_end(fd, tx, "F");
	xst_rm(fd, dir);
	xst_read_err(fd, dir, "ENOENT");
	close(fd);
}

/*
 * Lists around 4096 bytes, where the gencnt, the names and the final
 * empty string just fit or just do not: 31 children of 127 bytes and one
 * of 111 to 131, a list of 4080 to 4100 bytes.
 */
static void directory_part_at_the_payload_limit(void)
{
	static char list[8192], name[256];
	const char *dir = AREA "/edge";
	char gen0[32];
	size_t len, n;
	int fd = xst_open(0), i, parts;

	rm_quiet(fd, dir);
	for (i = 0; i < 31; i++) {
		memset(name, 'x', 127);
		snprintf(name, 4, "c%02d", i);	/* distinct, sorted by i */
		name[3] = 'x';
		name[127] = 0;
		wr(fd, xst_fmt("%s/%s", dir, name), "");
		memcpy(list + i * 128, name, 128);
	}
	for (n = 111; n <= 131; n++) {
		if (n > 111)	/* the last child of the previous round */
			xst_rm(fd, xst_fmt("%s/%s", dir, name));
		memset(name, 'z', n);
		name[n] = 0;
		wr(fd, xst_fmt("%s/%s", dir, name), "");
		memcpy(list + 31 * 128, name, n + 1);
		len = 31 * 128 + n + 1;
		if (len <= XST_PAYLOAD_MAX)
			xst_dir_expect(fd, dir, list, len);
		else
			xst_rpc_err(fd, XS_DIRECTORY, dir, strlen(dir) + 1,
				    "E2BIG");
		/* one part if the gencnt, list and empty string fit */
		parts = page_all(fd, dir, list, len, gen0);
		CHECK(parts == (strlen(gen0) + 1 + len + 1 <= XST_PAYLOAD_MAX ?
				1 : 2), "gencnt %s and a list of %zu bytes in %d parts",
		      gen0, len, parts);
	}
	xst_rm(fd, dir);
	close(fd);
}

static void directory_part_small_and_errors(void)
{
	const char *names;
	char gen[32];
	size_t nlen;
	int fd = xst_open(0), g, last;

	rm_quiet(fd, AREA "/dp");
	wr(fd, AREA "/dp/b", "");
	wr(fd, AREA "/dp/a", "");
	wr(fd, AREA "/dp/c/d", "");
	last = dir_part(fd, 0, AREA "/dp", 0, gen, &names, &nlen);
	CHECK(last && nlen == 6 && !memcmp(names, "a\0b\0c", 6),
	      "DIRECTORY_PART of 3 children: %s (last %d)",
	      xst_esc(names, nlen), last);
	last = dir_part(fd, 0, AREA "/dp", 2, gen, &names, &nlen);
	CHECK(last && nlen == 4 && !memcmp(names, "b\0c", 4),
	      "DIRECTORY_PART at 2: %s (last %d)", xst_esc(names, nlen), last);
	last = dir_part(fd, 0, AREA "/dp/a", 0, gen, &names, &nlen);
	CHECK(last && nlen == 0, "DIRECTORY_PART of a leaf: %s",
	      xst_esc(names, nlen));
	rq_err(fd, XS_DIRECTORY_PART, XST_STRS(AREA "/dp/missing", "0"),
	       "ENOENT");
	rq_err(fd, XS_DIRECTORY_PART, XST_STRS(AREA "/dp"), "EINVAL");
	rq_err(fd, XS_DIRECTORY_PART, XST_STRS(AREA "/dp/", "0"), "EINVAL");
	/* a guest, on its own nodes and relative */
	make_home(fd, 39);
	g = xst_open_domain(39);
	wr(g, "x/y", "");
	last = dir_part(g, 0, "x", 0, gen, &names, &nlen);
	CHECK(last && nlen == 2 && !memcmp(names, "y", 2),
	      "DIRECTORY_PART x from a guest: %s", xst_esc(names, nlen));
	rq_err(g, XS_DIRECTORY_PART, XST_STRS(AREA "/dp", "0"), "EACCES");
	close(g);
	xst_rm(fd, xst_home(39));
	xst_rm(fd, AREA "/dp");
	close(fd);
}

static void directory_part_gencnt_changes_between_pages(void)
{
	static char list[600 * 32];
	const char *dir = AREA "/gen", *names;
	char gen1[32], gen2[32], gen3[32];
	size_t len, nlen, off;
	int fd = xst_open(0), last;

	rm_quiet(fd, dir);
	len = make_children(fd, dir, 600, list);
	CHECK(len > XST_PAYLOAD_MAX, "list of %zu bytes", len);
	last = dir_part(fd, 0, dir, 0, gen1, &names, &nlen);
	CHECK(!last, "one part for %zu bytes", len);
	off = nlen;
	last = dir_part(fd, 0, dir, off, gen2, &names, &nlen);
	CHECK(!strcmp(gen1, gen2), "gencnt %s then %s, nothing changed",
	      gen1, gen2);
	/* a child added between two parts */
	wr(fd, AREA "/gen/aaa-new", "");
	last = dir_part(fd, 0, dir, off, gen3, &names, &nlen);
	CHECK(strcmp(gen1, gen3), "gencnt %s unchanged after adding a child",
	      gen1);
	/* and one removed */
	last = dir_part(fd, 0, dir, 0, gen1, &names, &nlen);
	CHECK(nlen >= 8 && !memcmp(names, "aaa-new", 8),
	      "the new child is not first: %s", xst_esc(names, nlen));
	xst_rm(fd, AREA "/gen/aaa-new");
	last = dir_part(fd, 0, dir, 0, gen2, &names, &nlen);
	CHECK(strcmp(gen1, gen2), "gencnt %s unchanged after removing a child",
	      gen1);
	CHECK(!memcmp(names, list, nlen), "first part after the removal: %s",
	      xst_esc(names, nlen));
	(void)last;
	xst_rm(fd, dir);
	close(fd);
}

/* ---- invalid types -------------------------------------------------------- */

static void expect_type_error(int fd, int use_ioctl, uint32_t type,
			      const char *who)
{
	static struct xst_msg m;
	uint32_t id = xst_next_req_id();

	if (use_ioctl) {
		xst_ioc_call(fd, type, id, 0, S("/"), &m);
	} else {
		xst_send(fd, type, id, 0, S("/"));
		xst_recv(fd, &m);
	}
	CHECK(m.hdr.type == XS_ERROR && m.hdr.req_id == id &&
	      ((m.hdr.len == 7 && !memcmp(m.body, "ENOSYS", 7)) ||
	       (m.hdr.len == 7 && !memcmp(m.body, "EINVAL", 7))),
	      "type %u (%s) from %s%s: %s %s req_id %#x", type,
	      xst_type_name(type), who, use_ioctl ? " through the ioctl" : "",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len),
	      m.hdr.req_id);
}

static void invalid_types_get_an_error(void)
{
	static const uint32_t types[] = {
		XS_WATCH_EVENT, XS_ERROR, 20, 27, 28, 100, 0xfffe, XS_INVALID,
		0x10000, 0xffffffff,
	};
	int d0 = xst_open(0), g;
	size_t i;

	make_home(d0, 41);
	g = xst_open_domain(41);
	wr(d0, AREA "/canary", "alive");
	wr(g, "canary", "guest");
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		expect_type_error(d0, 0, types[i], "dom0");
		rd(d0, AREA "/canary", "alive");
		expect_type_error(g, 0, types[i], "a guest");
		rd(g, "canary", "guest");
		expect_type_error(d0, 1, types[i], "dom0");
		expect_type_error(g, 1, types[i], "a guest");
		rd(d0, AREA "/canary", "alive");
		rd(g, "canary", "guest");
	}
	xst_expect_silence(d0, 0);
	xst_expect_silence(g, 0);
	close(g);
	xst_rm(d0, xst_home(41));
	xst_rm(d0, AREA "/canary");
	close(d0);
}

static const struct xst_case cases[] = {
	{ "bind-rejects-bad-domids-and-flags",
	  bind_rejects_bad_domids_and_flags },
	{ "bind-refused-after-a-byte-or-a-bind",
	  bind_refused_after_a_byte_or_a_bind },
	{ "bind-needs-cap-sys-admin", bind_needs_cap_sys_admin },
	{ "bound-relative-paths-and-ownership",
	  bound_relative_paths_and_ownership },
	{ "guests-cannot-see-each-others-nodes",
	  guests_cannot_see_each_others_nodes },
	{ "missing-nodes-do-not-leak-existence",
	  missing_nodes_do_not_leak_existence },
	{ "acl-grants-and-inheritance", acl_grants_and_inheritance },
	{ "permissions-apply-in-transactions",
	  permissions_apply_in_transactions },
	{ "set-perms-owner-rules", set_perms_owner_rules },
	{ "perm-strings-and-special-paths", perm_strings_and_special_paths },
	{ "privileged-requests-from-guests-get-eacces",
	  privileged_requests_from_guests_get_eacces },
	{ "quota-nodes", quota_nodes },
	{ "quota-node-size", quota_node_size },
	{ "quota-permissions", quota_permissions },
	{ "quota-transactions-summed-over-connections",
	  quota_transactions_summed_over_connections },
	{ "quota-get-set-and-module-parameters",
	  quota_get_set_and_module_parameters },
	{ "introduce-and-is-domain-introduced",
	  introduce_and_is_domain_introduced },
	{ "resume-and-get-domain-path", resume_and_get_domain_path },
	{ "release-removes-owned-nodes", release_removes_owned_nodes },
	{ "release-kills-bound-connections", release_kills_bound_connections },
	{ "release-while-requests-are-in-flight",
	  release_while_requests_are_in_flight },
	{ "set-target-grants-target-access", set_target_grants_target_access },
	{ "features", features },
	{ "control-requests", control_requests },
	{ "ioctl-request-matches-write-read",
	  ioctl_request_matches_write_read },
	{ "ioctl-request-matches-write-read-for-a-guest",
	  ioctl_request_matches_write_read_for_a_guest },
	{ "ioctl-request-argument-errors", ioctl_request_argument_errors },
	{ "ioctl-request-leaves-queued-replies-alone",
	  ioctl_request_leaves_queued_replies_alone },
	{ "ioctl-request-shares-transactions-with-write",
	  ioctl_request_shares_transactions_with_write },
	{ "directory-of-2000-children-e2big-and-paged",
	  directory_of_2000_children_e2big_and_paged },
	{ "directory-part-at-the-payload-limit",
	  directory_part_at_the_payload_limit },
	{ "directory-part-small-and-errors", directory_part_small_and_errors },
	{ "directory-part-gencnt-changes-between-pages",
	  directory_part_gencnt_changes_between_pages },
	{ "invalid-types-get-an-error", invalid_types_get_an_error },
};

int main(int argc, char **argv)
{
	/* a released connection answers EPIPE; never die of SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
