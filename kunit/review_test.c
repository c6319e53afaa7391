// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: review findings on transactions and their commit.  Each case
 * fails on the code it was written against and shows one bug.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "conn.h"
#include "domain.h"
#include "store.h"
#include "transaction.h"
#include "kxs_test.h"

static int kxs_rv_init(struct kunit *test)
{
	return kxs_fx_init(test);
}

static void kxs_rv_exit(struct kunit *test)
{
	kxs_fx_exit(test);
}

#define D0(test) (kxs_fx(test)->conn)

/*
 * kxs_tx_rm() keeps in kxs_txn.removed_live how many of the caller's live
 * nodes a removal took out of the view, so that removing an ancestor
 * later does not count them twice.  Removing the same path again after
 * it was made anew (FRESH) overwrites that count with 0: the ancestor's
 * removal then subtracts the live subtree a second time, owned_delta
 * drifts below the truth and the nodes quota lets the guest create more
 * nodes than it may.
 */
static void kxs_rv_tx_rm_recreate_rm_nodes_quota(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g;
	u32 tx;

	KXS_W_RT(test, D0(test), XS_WRITE, "/g\0", XS_WRITE, "OK\0");
	KXS_W_RT(test, D0(test), XS_SET_PERMS, "/g\0b5\0", XS_SET_PERMS,
		 "OK\0");
	fx->quota[KXS_QUOTA_NODES] = 6;
	g = kxs_fx_guest(test, 5);
	/* 5 owns /g, /g/a, /g/a/b, /g/a/b/c1, /g/a/b/c2. */
	KXS_W_RT(test, g, XS_WRITE, "/g/a/b/c1\0", XS_WRITE, "OK\0");
	KXS_W_RT(test, g, XS_WRITE, "/g/a/b/c2\0", XS_WRITE, "OK\0");
	KUNIT_ASSERT_EQ(test, kxs_fx_owned(test, 5), 5);

	/* Reference: without /g, 6 new nodes make 7 > 6. */
	tx = kxs_w_tx_start(test, g);
	KXS_W_TX(test, g, tx, XS_RM, "/g/a\0", XS_RM, "OK\0");
	KXS_W_TX(test, g, tx, XS_WRITE, "/g/1/2/3/4/5/6\0", XS_ERROR,
		 "ENOSPC\0");
	KXS_W_TX(test, g, tx, XS_TRANSACTION_END, "F\0", XS_TRANSACTION_END,
		 "OK\0");

	/* The same view, reached through a removal of a resurrected node. */
	tx = kxs_w_tx_start(test, g);
	KXS_W_TX(test, g, tx, XS_RM, "/g/a/b\0", XS_RM, "OK\0");
	KXS_W_TX(test, g, tx, XS_WRITE, "/g/a/b\0", XS_WRITE, "OK\0");
	KXS_W_TX(test, g, tx, XS_RM, "/g/a/b\0", XS_RM, "OK\0");
	KXS_W_TX(test, g, tx, XS_RM, "/g/a\0", XS_RM, "OK\0");
	KXS_W_TX(test, g, tx, XS_DIRECTORY, "/g\0", XS_DIRECTORY, "");
	KXS_W_TX(test, g, tx, XS_WRITE, "/g/1/2/3/4/5/6\0", XS_ERROR,
		 "ENOSPC\0");
	KXS_W_TX(test, g, tx, XS_TRANSACTION_END, "T\0", XS_TRANSACTION_END,
		 "OK\0");
	KUNIT_EXPECT_LE(test, kxs_fx_owned(test, 5), 6);
	kxs_fx_expect_check(test, fx->store);
}

/*
 * kxs_store_observe() takes a reference to a node's data with
 * refcount_inc_not_zero() and, when that fails, re-reads node->data and
 * tries again.  That only helps when the data was replaced: when the
 * node was removed (RM, or a commit), node->data keeps pointing at the
 * data whose last reference is gone, and the loop spins forever inside
 * an RCU read section (a guest's transaction read racing any removal
 * hangs its CPU and stalls RCU).  A real-time writer removing and
 * re-creating the node preempts the reader at random points.
 */
static struct kxs_rv_race {
	struct kxs_store *s;
	atomic_t stop;
	atomic_long_t observed;
	atomic_long_t cycles;
	struct completion done;
} kxs_rv_race;

static int kxs_rv_observer(void *arg)
{
	struct kxs_rv_race *r = arg;

	while (!atomic_read(&r->stop)) {
		struct kxs_data *d;
		u64 dgen, gen;
		u32 clen;

		kxs_store_observe(r->s, "/r/x", &d, &dgen, &gen, &clen);
		kxs_data_put(d);
		atomic_long_inc(&r->observed);
	}
	complete(&r->done);
	return 0;
}

static int kxs_rv_writer(void *arg)
{
	struct kxs_rv_race *r = arg;
	struct kxs_caller c = { .domid = 0, .target = KXS_NO_TARGET,
				.priv = true };

	sched_set_fifo(current);
	while (!kthread_should_stop()) {
		kxs_store_rm(r->s, &c, "/r/x");
		kxs_store_write(r->s, &c, "/r/x", "v", 1);
		atomic_long_inc(&r->cycles);
		usleep_range(30, 120);
	}
	return 0;
}

static void kxs_rv_observe_races_removal(struct kunit *test)
{
	struct kxs_rv_race *r = &kxs_rv_race;
	struct task_struct *obs, *wr;
	long last = -1, now;
	int i, still = 0;

	r->s = kxs_fx(test)->store;
	atomic_set(&r->stop, 0);
	atomic_long_set(&r->observed, 0);
	atomic_long_set(&r->cycles, 0);
	init_completion(&r->done);
	KUNIT_ASSERT_EQ(test, kxs_store_write(r->s, KXS_AS(0), "/r/x", "v", 1),
			0);
	obs = kthread_run(kxs_rv_observer, r, "kxs-rv-observer");
	KUNIT_ASSERT_FALSE(test, IS_ERR(obs));
	wr = kthread_run(kxs_rv_writer, r, "kxs-rv-writer");
	if (IS_ERR(wr)) {
		atomic_set(&r->stop, 1);
		wait_for_completion(&r->done);
		KUNIT_FAIL(test, "no writer thread");
		return;
	}
	/* 4 s of racing; a reader that makes no progress for 1 s is stuck. */
	for (i = 0; i < 40 && still < 10; i++) {
		msleep(100);
		now = atomic_long_read(&r->observed);
		still = now == last ? still + 1 : 0;
		last = now;
	}
	kthread_stop(wr);
	atomic_set(&r->stop, 1);
	if (!wait_for_completion_timeout(&r->done, 2 * HZ)) {
		/* It spins in an RCU read section for good; leave it. */
		KUNIT_FAIL(test, "observe spins on removed data: %ld reads, %ld writes",
			   atomic_long_read(&r->observed),
			   atomic_long_read(&r->cycles));
		return;
	}
	KUNIT_EXPECT_GT(test, atomic_long_read(&r->cycles), 0);
	KUNIT_EXPECT_GT(test, atomic_long_read(&r->observed), 0);
	kxs_fx_expect_check(test, r->s);
}

static struct kunit_case kxs_rv_cases[] = {
	KUNIT_CASE(kxs_rv_tx_rm_recreate_rm_nodes_quota),
	KUNIT_CASE(kxs_rv_observe_races_removal),
	{}
};

static struct kunit_suite kxs_rv_suite = {
	.name = "kxenstore_review",
	.init = kxs_rv_init,
	.exit = kxs_rv_exit,
	.test_cases = kxs_rv_cases,
};

kunit_test_suite(kxs_rv_suite);
