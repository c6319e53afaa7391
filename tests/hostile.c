// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile guests, with the module's own object counts
 * (/sys/module/kxenstore/stats) read before and after: what a guest makes
 * the kernel hold stays bounded, and goes when the guest does.
 *
 * A guest that RELEASE ends with transactions and watches open leaves
 * nothing; a guest that never reads its events holds a bounded queue
 * while another guest is served; a guest that creates nodes until its
 * quota stops it holds no more than the quota, and others still write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xstest.h"

#define STATS	"/sys/module/kxenstore/stats"

enum { NODES, DATA, CONNS, MSGS, TXS, RECORDS, WATCHES, NSTATS };

static const char *const names[NSTATS] = {
	"nodes", "node-data", "connections", "messages", "transactions",
	"transaction-records", "watches",
};

static void stats(long v[NSTATS])
{
	char name[64];
	long n;
	FILE *f = fopen(STATS, "r");
	int i, got = 0;

	CHECK(f, "open %s: %m", STATS);
	while (fscanf(f, "%63s %ld", name, &n) == 2)
		for (i = 0; i < NSTATS; i++)
			if (!strcmp(name, names[i])) {
				v[i] = n;
				got++;
			}
	fclose(f);
	CHECK(got == NSTATS, "%s has %d of the %d counts", STATS, got, NSTATS);
}

static void print_stats(const char *when, const long v[NSTATS])
{
	int i;

	printf("# %s:", when);
	for (i = 0; i < NSTATS; i++)
		printf(" %s %ld", names[i], v[i]);
	printf("\n");
}

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
	long before[NSTATS], during[NSTATS], after[NSTATS];
	int d0 = xst_open(0), g[3], i, k;
	const struct xst_buf *p;

	home(d0, 41);
	stats(before);
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
	stats(during);
	print_stats("with 3 connections of domain 41", during);
	CHECK(during[TXS] >= before[TXS] + 9 &&
	      during[WATCHES] >= before[WATCHES] + 9,
	      "the counts do not show the transactions and watches");
	p = XST_STRS("41");
	xst_rpc(d0, XS_RELEASE, p->b, p->len, XS_RELEASE, "OK", 3);
	for (i = 0; i < 3; i++)
		xst_ev_close(g[i]);
	xst_rm_any(d0, xst_home(41));
	stats(after);
	print_stats("after RELEASE and close", after);
	for (i = 0; i < NSTATS; i++)
		CHECK(after[i] <= before[i], "%s: %ld before, %ld after",
		      names[i], before[i], after[i]);
	close(d0);
}

static void t_guest_that_never_reads_holds_a_bounded_queue(void)
{
	long before[NSTATS], after[NSTATS];
	int d0 = xst_open(0), lazy, other, i;
	const char *path = "/kxs-hostile/fire";

	xst_rm_any(d0, "/kxs-hostile");
	xst_mkdir(d0, "/kxs-hostile");
	xst_rpc(d0, XS_SET_PERMS, "/kxs-hostile\0r0", 16, XS_SET_PERMS, "OK",
		3);
	lazy = xst_open_domain(42);
	other = xst_open_domain(43);
	xst_watch(lazy, "/kxs-hostile", "t");
	stats(before);
	/* 20000 events for the guest that never reads. */
	for (i = 0; i < 20000; i++)
		xst_write_str(d0, path, "x", 1);
	stats(after);
	print_stats("before the events", before);
	print_stats("after 20000 events not read", after);
	/* 64 KiB of events at most: a few thousand messages. */
	CHECK(after[MSGS] - before[MSGS] < 4000,
	      "%ld messages queued for a reader that never reads",
	      after[MSGS] - before[MSGS]);
	/* Another guest is served meanwhile. */
	xst_rpc(other, XS_READ, path, strlen(path) + 1, XS_READ, "x", 1);
	xst_ev_close(lazy);
	close(other);
	xst_rm_any(d0, "/kxs-hostile");
	close(d0);
}

static void t_nodes_quota_bounds_what_a_guest_holds(void)
{
	long before[NSTATS], after[NSTATS];
	int d0 = xst_open(0), g, other, i, made = 0;
	struct xst_msg m;

	home(d0, 44);
	home(d0, 45);
	g = xst_open_domain(44);
	other = xst_open_domain(45);
	stats(before);
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
	stats(after);
	printf("# domain 44 wrote %d values before ENOSPC\n", made);
	print_stats("before", before);
	print_stats("after", after);
	CHECK(made < 5000, "no quota stopped domain 44");
	/* Its home counts too: 999 more nodes at most, under the 1000. */
	CHECK(after[NODES] - before[NODES] <= 999 &&
	      after[NODES] - before[NODES] >= 990,
	      "%ld nodes more for domain 44, quota 1000",
	      after[NODES] - before[NODES]);
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

int main(int argc, char **argv)
{
	static const struct xst_case cases[] = {
		{ "release-with-transactions-and-watches-leaves-nothing",
		  t_release_with_transactions_and_watches_leaves_nothing },
		{ "guest-that-never-reads-holds-a-bounded-queue",
		  t_guest_that_never_reads_holds_a_bounded_queue },
		{ "nodes-quota-bounds-what-a-guest-holds",
		  t_nodes_quota_bounds_what_a_guest_holds },
	};

	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
