// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile guests, with the module's own object counts
 * (/sys/module/kxenstore/stats) read before and after: what a guest makes
 * the kernel hold stays bounded, and goes when the guest does.
 *
 * A guest that RELEASE ends with transactions and watches open leaves
 * nothing; a guest that never reads its events holds a bounded queue
 * while another guest is served; a guest pushing each quota (nodes,
 * watches, transactions, transaction nodes, node size, permissions) past
 * its limit gets the error, holds no more than the quota, and others are
 * served; oversize, lying and truncated frames leave nothing behind; a
 * guest probing nodes it may not read learns nothing through any request,
 * the ioctl, a transaction or a watch event.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xstest.h"

/* A guest's home, writable by it. */
static void home(int d0, unsigned int domid)
{
	const char *h = xst_home(domid);
	const struct xst_buf *p = XST_STRS(h, xst_fmt("b%u", domid));

	xst_rm_any(d0, h);
	xst_mkdir(d0, h);
	xst_rpc(d0, XS_SET_PERMS, p->b, p->len, XS_SET_PERMS, "OK", 3);
}

static void t_release_with_transactions_and_watches_leaves_nothing(void)
{
	long before[XST_NSTATS], during[XST_NSTATS], after[XST_NSTATS];
	int d0 = xst_open(0), g[3], i, k;
	const struct xst_buf *p;

	home(d0, 41);
	xst_stats(before);
	p = XST_STRS("41", "17", "1");
	xst_rpc(d0, XS_INTRODUCE, p->b, p->len, XS_INTRODUCE, "OK", 3);
	for (i = 0; i < 3; i++) {
		g[i] = xst_open_domain(41);
		for (k = 0; k < 3; k++) {
			uint32_t tx = xst_tx_start(g[i]);
			const char *path = xst_fmt("c%d/t%d/n", i, k);

			xst_ev_rpc_tx(g[i], XS_WRITE, tx, XST_STRS(path)->b,
				      strlen(path) + 1, XS_WRITE, "OK", 3);
			xst_watch(g[i], xst_fmt("w%d%d", i, k), "tok");
		}
	}
	xst_stats(during);
	xst_print_stats("with 3 connections of domain 41", during);
	CHECK(during[XST_TXS] >= before[XST_TXS] + 9 &&
	      during[XST_WATCHES] >= before[XST_WATCHES] + 9,
	      "the counts do not show the transactions and watches");
	p = XST_STRS("41");
	xst_rpc(d0, XS_RELEASE, p->b, p->len, XS_RELEASE, "OK", 3);
	for (i = 0; i < 3; i++)
		xst_ev_close(g[i]);
	xst_rm_any(d0, xst_home(41));
	xst_stats(after);
	xst_print_stats("after RELEASE and close", after);
	for (i = 0; i < XST_NSTATS; i++)
		CHECK(after[i] <= before[i], "%s: %ld before, %ld after",
		      xst_stat_names[i], before[i], after[i]);
	close(d0);
}

static void t_guest_that_never_reads_holds_a_bounded_queue(void)
{
	long before[XST_NSTATS], after[XST_NSTATS];
	int d0 = xst_open(0), lazy, other, i;
	const char *path = "/kxs-hostile/fire";

	xst_rm_any(d0, "/kxs-hostile");
	xst_mkdir(d0, "/kxs-hostile");
	xst_rpc(d0, XS_SET_PERMS, "/kxs-hostile\0r0", 16, XS_SET_PERMS, "OK",
		3);
	lazy = xst_open_domain(42);
	other = xst_open_domain(43);
	xst_watch(lazy, "/kxs-hostile", "t");
	xst_stats(before);
	/* 20000 events for the guest that never reads. */
	for (i = 0; i < 20000; i++)
		xst_write_str(d0, path, "x", 1);
	xst_stats(after);
	xst_print_stats("before the events", before);
	xst_print_stats("after 20000 events not read", after);
	/* 64 KiB of events at most: a few thousand messages. */
	CHECK(after[XST_MSGS] - before[XST_MSGS] < 4000,
	      "%ld messages queued for a reader that never reads",
	      after[XST_MSGS] - before[XST_MSGS]);
	/* Another guest is served meanwhile. */
	xst_rpc(other, XS_READ, path, strlen(path) + 1, XS_READ, "x", 1);
	xst_ev_close(lazy);
	close(other);
	xst_rm_any(d0, "/kxs-hostile");
	close(d0);
}

static void t_nodes_quota_bounds_what_a_guest_holds(void)
{
	long before[XST_NSTATS], after[XST_NSTATS];
	int d0 = xst_open(0), g, other, i, made = 0;
	struct xst_msg m;

	home(d0, 44);
	home(d0, 45);
	g = xst_open_domain(44);
	other = xst_open_domain(45);
	xst_stats(before);
	/* 100 per directory: the node-size quota of a directory stays clear. */
	for (i = 0; i < 5000; i++) {
		const char *path = xst_fmt("%s/d%d/n%d", xst_home(44), i / 100,
					   i % 100);

		xst_call(g, XS_WRITE, 0, XST_STRS(path, "v")->b,
			 strlen(path) + 2, &m);
		if (m.hdr.type != XS_WRITE) {
			CHECK(!strcmp((const char *)m.body, "ENOSPC"),
			      "write %d: %s", i, xst_esc(m.body, m.hdr.len));
			break;
		}
		made++;
	}
	xst_stats(after);
	printf("# domain 44 wrote %d values before ENOSPC\n", made);
	xst_print_stats("before", before);
	xst_print_stats("after", after);
	CHECK(made < 5000, "no quota stopped domain 44");
	/* Its home counts too: 999 more nodes at most, under the 1000. */
	CHECK(after[XST_NODES] - before[XST_NODES] <= 999 &&
	      after[XST_NODES] - before[XST_NODES] >= 990,
	      "%ld nodes more for domain 44, quota 1000",
	      after[XST_NODES] - before[XST_NODES]);
	/* The others are unaffected. */
	xst_write_str(other, xst_fmt("%s/ok", xst_home(45)), "y", 1);
	xst_write_str(d0, "/kxs-hostile-d0", "z", 1);
	xst_rm_any(d0, "/kxs-hostile-d0");
	close(g);
	close(other);
	xst_rm_any(d0, xst_home(44));
	xst_rm_any(d0, xst_home(45));
	close(d0);
}

/* SET_QUOTA for one domain (dom0's connection). */
static void set_quota(int d0, unsigned int domid, const char *name,
		      unsigned int v)
{
	const struct xst_buf *p = XST_STRS(xst_u(domid), name, xst_u(v));

	xst_rpc(d0, XST_SET_QUOTA, p->b, p->len, XST_SET_QUOTA, "OK", 3);
}

/* Every count of @after equals @before's. */
static void counts_back(const long before[XST_NSTATS], const long after[XST_NSTATS])
{
	int i;

	for (i = 0; i < XST_NSTATS; i++)
		CHECK(after[i] == before[i],
		      "%s: %ld before, %ld after", xst_stat_names[i], before[i],
		      after[i]);
}

static void t_watches_quota_bounds_what_a_guest_holds(void)
{
	long before[XST_NSTATS], full[XST_NSTATS], after[XST_NSTATS];
	int d0 = xst_open(0), g, g2, other, i, made = 0;
	struct xst_msg m;

	home(d0, 50);
	xst_stats(before);
	g = xst_open_domain(50);
	g2 = xst_open_domain(50);
	other = xst_open_domain(51);
	/* Long paths: what each watch costs is its path and token. */
	for (i = 0; i < 1000; i++) {
		const char *path = xst_fmt("%s/%0*d", xst_home(50), 2000, i);
		const struct xst_buf *p = XST_STRS(path, xst_fmt("t%d", i));

		/* Two connections of the domain share its quota. */
		xst_ev_call(i & 1 ? g2 : g, XS_WATCH, 0, p->b, p->len, &m);
		if (m.hdr.type != XS_WATCH) {
			CHECK(!strcmp((const char *)m.body, "ENOSPC"),
			      "watch %d: %s", i, xst_esc(m.body, m.hdr.len));
			break;
		}
		made++;
	}
	xst_stats(full);
	printf("# domain 50 set %d watches before E2BIG\n", made);
	xst_print_stats("before", before);
	xst_print_stats("at the quota", full);
	CHECK(made == 128, "%d watches under a quota of 128", made);
	CHECK(full[XST_WATCHES] - before[XST_WATCHES] == 128,
	      "%ld watches held for domain 50", full[XST_WATCHES] - before[XST_WATCHES]);
	/* The other guest and dom0 still watch. */
	xst_watch(other, "/kxs-hostile-w", "o");
	xst_watch(d0, "/kxs-hostile-w", "d");
	xst_unwatch(d0, "/kxs-hostile-w", "d");
	xst_ev_close(other);
	/* Closing gives everything back. */
	xst_ev_close(g);
	xst_ev_close(g2);
	xst_stats(after);
	xst_print_stats("after close", after);
	counts_back(before, after);
	xst_rm_any(d0, xst_home(50));
	xst_ev_close(d0);
}

static void t_transactions_quota_bounds_what_a_guest_holds(void)
{
	long before[XST_NSTATS], full[XST_NSTATS], after[XST_NSTATS];
	int d0 = xst_open(0), g[3], other, i, made = 0;
	uint32_t tx;
	struct xst_msg m;

	home(d0, 52);
	xst_stats(before);
	for (i = 0; i < 3; i++)
		g[i] = xst_open_domain(52);
	other = xst_open_domain(53);
	for (i = 0; i < 100; i++) {
		xst_call(g[i % 3], XS_TRANSACTION_START, 0, "", 1, &m);
		if (m.hdr.type != XS_TRANSACTION_START) {
			CHECK(!strcmp((const char *)m.body, "ENOSPC"),
			      "start %d: %s", i, xst_esc(m.body, m.hdr.len));
			break;
		}
		made++;
	}
	xst_stats(full);
	printf("# domain 52 opened %d transactions before ENOSPC\n", made);
	xst_print_stats("at the quota", full);
	CHECK(made == 10, "%d transactions under a quota of 10", made);
	CHECK(full[XST_TXS] - before[XST_TXS] == 10, "%ld transactions held",
	      full[XST_TXS] - before[XST_TXS]);
	/* Others are unaffected. */
	tx = xst_tx_start(other);
	xst_rpc_tx(other, XS_TRANSACTION_END, tx, "F", 2,
		   XS_TRANSACTION_END, "OK", 3);
	tx = xst_tx_start(d0);
	xst_rpc_tx(d0, XS_TRANSACTION_END, tx, "F", 2,
		   XS_TRANSACTION_END, "OK", 3);
	for (i = 0; i < 3; i++)
		close(g[i]);
	close(other);
	xst_stats(after);
	xst_print_stats("after close", after);
	counts_back(before, after);
	xst_rm_any(d0, xst_home(52));
	close(d0);
}

static void t_transaction_nodes_quota_bounds_a_transaction(void)
{
	long before[XST_NSTATS], full[XST_NSTATS], after[XST_NSTATS];
	int d0 = xst_open(0), g, i, made = 0;
	uint32_t tx, tx2;
	struct xst_msg m;

	home(d0, 54);
	set_quota(d0, 54, "transaction-nodes", 300);
	xst_stats(before);
	g = xst_open_domain(54);
	tx = xst_tx_start(g);
	tx2 = xst_tx_start(g);
	/* Reads of paths that do not exist are records too. */
	for (i = 0; i < 1000; i++) {
		const char *path = xst_at(54, xst_fmt("missing-%d", i));

		xst_call(g, XS_READ, tx, path, strlen(path) + 1, &m);
		if (strcmp((const char *)m.body, "ENOENT")) {
			CHECK(!strcmp((const char *)m.body, "ENOSPC"),
			      "read %d: %s", i, xst_esc(m.body, m.hdr.len));
			break;
		}
		made++;
	}
	xst_stats(full);
	printf("# one transaction of domain 54 read %d paths before ENOSPC\n",
	       made);
	xst_print_stats("at the quota", full);
	/* The home and its parents were looked at on the way: 300 in all. */
	CHECK(made < 300 && made >= 290, "%d reads under a quota of 300",
	      made);
	CHECK(full[XST_RECORDS] - before[XST_RECORDS] == 300,
	      "%ld records held, quota 300", full[XST_RECORDS] - before[XST_RECORDS]);
	/* A write beyond the quota changes nothing. */
	xst_rpc_tx(g, XS_WRITE, tx, XST_STRS(xst_at(54, "w"))->b,
		   strlen(xst_at(54, "w")) + 1, XS_ERROR, "ENOSPC", 7);
	/* The domain's other transaction has its own quota. */
	xst_rpc_tx(g, XS_WRITE, tx2, XST_STRS(xst_at(54, "w"))->b,
		   strlen(xst_at(54, "w")) + 1, XS_WRITE, "OK", 3);
	xst_rpc_tx(g, XS_TRANSACTION_END, tx2, "T", 2, XS_TRANSACTION_END,
		   "OK", 3);
	xst_rpc_tx(g, XS_TRANSACTION_END, tx, "T", 2, XS_TRANSACTION_END,
		   "OK", 3);
	xst_read_expect(d0, xst_at(54, "w"), "", 0);
	close(g);
	xst_rm(d0, xst_at(54, "w"));
	xst_stats(after);
	xst_print_stats("after", after);
	counts_back(before, after);
	xst_rm_any(d0, xst_home(54));
	set_quota(d0, 54, "transaction-nodes", 1024);
	close(d0);
}

/*
 * A missing path 900 levels deep read in a transaction: what decides the
 * answer is its nearest ancestor and the first missing level, so that is
 * all the transaction keeps (it used to keep a record per level, each a
 * copy of its path: 900 records and ~800 KB for one READ).
 */
static void t_deep_missing_path_costs_a_transaction_little(void)
{
	static char path[2048];
	long before[XST_NSTATS], after[XST_NSTATS];
	int d0 = xst_open(0), g, i;
	size_t o = 0;
	uint32_t tx;

	home(d0, 59);
	g = xst_open_domain(59);
	for (i = 0; i < 900; i++)
		o += sprintf(path + o, "%sd", i ? "/" : "");
	tx = xst_tx_start(g);
	xst_stats(before);
	xst_rpc_tx(g, XS_READ, tx, path, o + 1, XS_ERROR, "ENOENT", 7);
	xst_stats(after);
	xst_print_stats("before", before);
	xst_print_stats("after a READ 900 deep", after);
	CHECK(after[XST_RECORDS] - before[XST_RECORDS] <= 3,
	      "%ld records for one READ", after[XST_RECORDS] - before[XST_RECORDS]);
	xst_rpc_tx(g, XS_TRANSACTION_END, tx, "F", 2, XS_TRANSACTION_END,
		   "OK", 3);
	close(g);
	xst_rm_any(d0, xst_home(59));
	close(d0);
}

static void t_node_size_and_permissions_quotas_change_nothing(void)
{
	static char big[3000];
	long before[XST_NSTATS], after[XST_NSTATS];
	int d0 = xst_open(0), g;
	const char *v = xst_at(55, "v");
	size_t vl = strlen(v) + 1;
	const struct xst_buf *p;

	home(d0, 55);
	g = xst_open_domain(55);
	xst_write_str(g, v, "small", 5);
	xst_stats(before);
	/* 24 + 8 + value over 2048: the value stays, nothing is taken. */
	memcpy(big, v, vl);
	memset(big + vl, 'b', sizeof(big) - vl);
	xst_rpc_err(g, XS_WRITE, big, sizeof(big), "ENOSPC");
	xst_rpc_err(g, XS_WRITE, big, vl + 2048 - 32 + 1, "ENOSPC");
	p = XST_STRS(xst_at(55, "new"));
	memcpy(big, p->b, p->len);
	xst_rpc_err(g, XS_WRITE, big, sizeof(big), "ENOSPC");
	/* More than 5 permission entries. */
	p = XST_STRS(v, "n55", "r1", "r2", "r3", "r4", "r5");
	xst_rpc_err(g, XS_SET_PERMS, p->b, p->len, "ENOSPC");
	xst_stats(after);
	xst_print_stats("before", before);
	xst_print_stats("after refused writes", after);
	counts_back(before, after);
	xst_read_expect(g, v, "small", 5);
	xst_read_err(g, xst_at(55, "new"), "ENOENT");
	p = XST_STRS(v);
	xst_rpc(g, XS_GET_PERMS, p->b, p->len, XS_GET_PERMS, "b55", 4);
	/* Just under the quota, it works. */
	xst_write_str(g, v, big + 100, 2048 - 32 - 1);
	close(g);
	xst_rm_any(d0, xst_home(55));
	close(d0);
}

/* write() of @n bytes; returns 0 or errno */
static int write_errno(int fd, const void *buf, size_t n)
{
	ssize_t r = write(fd, buf, n);

	if (r < 0)
		return errno;
	CHECK((size_t)r == n, "short write: %zd of %zu", r, n);
	return 0;
}

static void t_oversize_and_truncated_frames_leave_nothing(void)
{
	static unsigned char frame[XST_MSG_MAX + 64];
	long before[XST_NSTATS], after[XST_NSTATS];
	struct xsd_sockmsg *h = (struct xsd_sockmsg *)frame;
	int d0 = xst_open(0), other, g, i, err;
	uint32_t rlen;
	size_t n;

	home(d0, 57);
	other = xst_open_domain(57);
	xst_write_str(other, xst_at(57, "ok"), "1", 1);
	xst_stats(before);
	for (i = 0; i < 200; i++) {
		g = xst_open_domain(56);
		n = xst_build(frame, XS_WRITE, 1, 0, "/kxs-hostile-f\0x", 16);
		switch (i % 5) {
		case 0:	/* a length over the limit */
			h->len = XST_PAYLOAD_MAX + 1 + i;
			err = write_errno(g, frame, XST_HDR_LEN);
			CHECK(err == E2BIG, "oversize header: %s",
			      strerror(err));
			break;
		case 1:	/* the header only, then close */
			h->len = 4000;
			CHECK(!write_errno(g, frame, XST_HDR_LEN), "header");
			break;
		case 2:	/* a payload cut short, then close */
			h->len = XST_PAYLOAD_MAX;
			CHECK(!write_errno(g, frame, n), "part");
			break;
		case 3:	/* half a header */
			CHECK(!write_errno(g, frame, XST_HDR_LEN / 2), "half");
			break;
		default:	/* through the ioctl: lengths that lie */
			err = xst_ioc_request(g, frame, n + 1, frame, n, 0,
					      &rlen);
			CHECK(err == EINVAL, "ioctl with a wrong length: %s",
			      strerror(err));
			h->len = XST_PAYLOAD_MAX + 1;
			err = xst_ioc_request(g, frame, XST_MSG_MAX + 1, frame,
					      sizeof(frame), 0, &rlen);
			CHECK(err == E2BIG, "ioctl oversize: %s",
			      strerror(err));
			break;
		}
		/* Others are served meanwhile. */
		if (!(i % 50))
			xst_read_expect(other, xst_at(57, "ok"), "1", 1);
		close(g);
	}
	xst_read_err(d0, "/kxs-hostile-f", "ENOENT");
	xst_stats(after);
	xst_print_stats("before 200 bad frames", before);
	xst_print_stats("after", after);
	counts_back(before, after);
	close(other);
	xst_rm_any(d0, xst_home(57));
	close(d0);
}

#define SECRET		"/kxs-hostile-secret"
#define SECRET_VALUE	"s3cr3t-VALUE"
#define SECRET_CHILD	"hidden-CHILD"

/* Nothing the guest got holds the secret's value or its child's name. */
static void no_leak(const struct xst_msg *m, const char *what)
{
	CHECK(!memmem(m->body, m->hdr.len, SECRET_VALUE, 6) &&
	      !memmem(m->body, m->hdr.len, SECRET_CHILD, 6),
	      "%s leaks: %s", what, xst_esc(m->body, m->hdr.len));
}

/* @type on @p by the guest @g (in @tx) must be EACCES, and leak nothing. */
static void probe(int g, uint32_t type, uint32_t tx, const struct xst_buf *p)
{
	struct xst_msg m;
	uint32_t rlen;
	static unsigned char req[XST_MSG_MAX], rep[XST_MSG_MAX];
	size_t n;
	int err;

	xst_ev_call(g, type, tx, p->b, p->len, &m);
	no_leak(&m, xst_type_name(type));
	CHECK(m.hdr.type == XS_ERROR && !strcmp((const char *)m.body, "EACCES"),
	      "%s %s: %s", xst_type_name(type), xst_bars(p->b, p->len),
	      xst_esc(m.body, m.hdr.len));
	if (tx)
		return;
	/* The same through the ioctl. */
	n = xst_build(req, type, 7, 0, p->b, p->len);
	err = xst_ioc_request(g, req, n, rep, sizeof(rep), 0, &rlen);
	CHECK(!err, "ioctl: %s", strerror(err));
	memcpy(&m, rep, rlen);
	m.body[m.hdr.len] = 0;
	no_leak(&m, "ioctl");
	CHECK(m.hdr.type == XS_ERROR && !strcmp((const char *)m.body, "EACCES"),
	      "ioctl %s: %s", xst_type_name(type), xst_esc(m.body, m.hdr.len));
}

static void t_unreadable_nodes_leak_through_no_path(void)
{
	const char *child = SECRET "/" SECRET_CHILD;
	const char *const paths[] = { SECRET, child, SECRET "/missing" };
	int d0 = xst_open(0), g = xst_open_domain(58), i;
	struct xst_msg m;
	uint32_t tx;

	xst_rm_any(d0, SECRET);
	xst_write_str(d0, SECRET, S(SECRET_VALUE) - 1);
	xst_write_str(d0, child, S(SECRET_VALUE) - 1);
	/* A readable node next to it: what the guest may see. */
	xst_write_str(d0, SECRET "-open", "o", 1);
	xst_rpc(d0, XS_SET_PERMS, S(SECRET "-open\0r0"), XS_SET_PERMS, "OK",
		3);
	/* Watches, on the secret, inside it and above it, are allowed. */
	xst_watch(g, SECRET, "a");
	xst_watch(g, child, "b");
	xst_watch_depth(g, SECRET, "c", 1);
	xst_watch(g, "/", "r");
	for (i = 0; i < (int)ARRAY_SIZE(paths); i++) {
		probe(g, XS_READ, 0, XST_STRS(paths[i]));
		probe(g, XS_GET_PERMS, 0, XST_STRS(paths[i]));
		probe(g, XS_DIRECTORY, 0, XST_STRS(paths[i]));
		probe(g, XS_DIRECTORY_PART, 0, XST_STRS(paths[i], "0"));
		probe(g, XS_DIRECTORY_PART, 0, XST_STRS(paths[i], "3"));
		probe(g, XS_WRITE, 0, XST_STRS(paths[i], "x"));
		probe(g, XS_SET_PERMS, 0, XST_STRS(paths[i], "n58"));
		probe(g, XS_RM, 0, XST_STRS(paths[i]));
	}
	probe(g, XS_MKDIR, 0, XST_STRS(SECRET "/new"));
	/* In a transaction: the same answers. */
	tx = xst_tx_start(g);
	for (i = 0; i < (int)ARRAY_SIZE(paths); i++) {
		probe(g, XS_READ, tx, XST_STRS(paths[i]));
		probe(g, XS_GET_PERMS, tx, XST_STRS(paths[i]));
		probe(g, XS_DIRECTORY, tx, XST_STRS(paths[i]));
		probe(g, XS_DIRECTORY_PART, tx, XST_STRS(paths[i], "0"));
	}
	xst_rpc_tx(g, XS_TRANSACTION_END, tx, "T", 2, XS_TRANSACTION_END,
		   "OK", 3);
	/* Changes to it, plain and in a transaction, send the guest nothing. */
	xst_write_str(d0, SECRET, "changed", 7);
	xst_write_str(d0, SECRET "/" SECRET_CHILD "2", "new", 3);
	xst_rm(d0, SECRET "/" SECRET_CHILD "2");
	tx = xst_tx_start(d0);
	xst_rpc_tx(d0, XS_WRITE, tx, S(SECRET "/" SECRET_CHILD "\0v"),
		   XS_WRITE, "OK", 3);
	xst_rpc_tx(d0, XS_TRANSACTION_END, tx, "T", 2, XS_TRANSACTION_END,
		   "OK", 3);
	xst_rpc(d0, XS_SET_PERMS, S(SECRET "\0n0\0w58"), XS_SET_PERMS, "OK",
		3);
	/* The readable node's change is the only event, and it comes. */
	xst_write_str(d0, SECRET "-open", "p", 1);
	CHECK(xst_event_next(g, &m, 5000), "no event for the readable node");
	no_leak(&m, "event");
	CHECK(!memcmp(m.body, S(SECRET "-open\0r")),
	      "event for a node the guest cannot read: %s",
	      xst_bars(m.body, m.hdr.len));
	xst_events_none(g);
	xst_ev_close(g);
	xst_rm(d0, SECRET);
	xst_rm(d0, SECRET "-open");
	close(d0);
}

int main(int argc, char **argv)
{
	static const struct xst_case cases[] = {
		{ "release-with-transactions-and-watches-leaves-nothing",
		  t_release_with_transactions_and_watches_leaves_nothing },
		{ "guest-that-never-reads-holds-a-bounded-queue",
		  t_guest_that_never_reads_holds_a_bounded_queue },
		{ "nodes-quota-bounds-what-a-guest-holds",
		  t_nodes_quota_bounds_what_a_guest_holds },
		{ "watches-quota-bounds-what-a-guest-holds",
		  t_watches_quota_bounds_what_a_guest_holds },
		{ "transactions-quota-bounds-what-a-guest-holds",
		  t_transactions_quota_bounds_what_a_guest_holds },
		{ "transaction-nodes-quota-bounds-a-transaction",
		  t_transaction_nodes_quota_bounds_a_transaction },
		{ "deep-missing-path-costs-a-transaction-little",
		  t_deep_missing_path_costs_a_transaction_little },
		{ "node-size-and-permissions-quotas-change-nothing",
		  t_node_size_and_permissions_quotas_change_nothing },
		{ "oversize-and-truncated-frames-leave-nothing",
		  t_oversize_and_truncated_frames_leave_nothing },
		{ "unreadable-nodes-leak-through-no-path",
		  t_unreadable_nodes_leak_through_no_path },
	};

	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
