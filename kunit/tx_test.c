// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: transactions without copies: isolation (repeatable reads, own
 * writes), per-node conflicts, disjoint transactions, removal and
 * resurrection of subtrees, ids, and the view's lists of children.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "conn.h"
#include "domain.h"
#include "store.h"
#include "transaction.h"
#include "kxs_test.h"

static int kxs_txt_init(struct kunit *test)
{
	return kxs_fx_init(test);
}

static void kxs_txt_exit(struct kunit *test)
{
	kxs_fx_exit(test);
}

#define D0(test) (kxs_fx(test)->conn)

/* One transaction of @c: start it. */
static u32 kxs_txt_begin(struct kunit *test, struct kxs_conn *c)
{
	return kxs_w_tx_start(test, c);
}

static void kxs_txt_commit(struct kunit *test, struct kxs_conn *c, u32 tx,
			   bool ok)
{
	if (ok)
		KXS_W_TX(test, c, tx, XS_TRANSACTION_END, "T\0",
			 XS_TRANSACTION_END, "OK\0");
	else
		KXS_W_TX(test, c, tx, XS_TRANSACTION_END, "T\0", XS_ERROR,
			 "EAGAIN\0");
}

static void kxs_tx_reads_are_repeatable(struct kunit *test)
{
	struct kxs_conn *c = kxs_fx_conn(test);
	u32 tx;

	KXS_W_RT(test, D0(test), XS_WRITE, "/a\0one", XS_WRITE, "OK\0");
	KXS_W_RT(test, D0(test), XS_WRITE, "/d/x\0", XS_WRITE, "OK\0");
	tx = kxs_txt_begin(test, c);
	KXS_W_TX(test, c, tx, XS_READ, "/a\0", XS_READ, "one");
	KXS_W_TX(test, c, tx, XS_DIRECTORY, "/d\0", XS_DIRECTORY, "x\0");
	KXS_W_TX(test, c, tx, XS_READ, "/gone\0", XS_ERROR, "ENOENT\0");
	/* Others change all three. */
	KXS_W_RT(test, D0(test), XS_WRITE, "/a\0two", XS_WRITE, "OK\0");
	KXS_W_RT(test, D0(test), XS_WRITE, "/d/y\0", XS_WRITE, "OK\0");
	KXS_W_RT(test, D0(test), XS_WRITE, "/gone\0back", XS_WRITE, "OK\0");
	/* The transaction still sees what it saw ... */
	KXS_W_TX(test, c, tx, XS_READ, "/a\0", XS_READ, "one");
	KXS_W_TX(test, c, tx, XS_DIRECTORY, "/d\0", XS_DIRECTORY, "x\0");
	KXS_W_TX(test, c, tx, XS_READ, "/gone\0", XS_ERROR, "ENOENT\0");
	/* ... and a node it had not touched, as it is now. */
	KXS_W_TX(test, c, tx, XS_READ, "/d/y\0", XS_READ, "");
	kxs_txt_commit(test, c, tx, false);
}

static void kxs_tx_sees_its_writes_others_do_not(struct kunit *test)
{
	struct kxs_conn *c = kxs_fx_conn(test);
	u32 tx;

	KXS_W_RT(test, D0(test), XS_WRITE, "/p/old\0o", XS_WRITE, "OK\0");
	tx = kxs_txt_begin(test, c);
	KXS_W_TX(test, c, tx, XS_WRITE, "/p/new/deep\0n", XS_WRITE, "OK\0");
	KXS_W_TX(test, c, tx, XS_RM, "/p/old\0", XS_RM, "OK\0");
	KXS_W_TX(test, c, tx, XS_SET_PERMS, "/p\0r0\0", XS_SET_PERMS, "OK\0");
	KXS_W_TX(test, c, tx, XS_DIRECTORY, "/p\0", XS_DIRECTORY, "new\0");
	KXS_W_TX(test, c, tx, XS_READ, "/p/new/deep\0", XS_READ, "n");
	KXS_W_TX(test, c, tx, XS_READ, "/p/new\0", XS_READ, "");
	KXS_W_TX(test, c, tx, XS_READ, "/p/old\0", XS_ERROR, "ENOENT\0");
	KXS_W_TX(test, c, tx, XS_GET_PERMS, "/p\0", XS_GET_PERMS, "r0\0");
	KXS_W_RT(test, D0(test), XS_DIRECTORY, "/p\0", XS_DIRECTORY, "old\0");
	KXS_W_RT(test, D0(test), XS_GET_PERMS, "/p\0", XS_GET_PERMS, "n0\0");
	KXS_W_RT(test, D0(test), XS_READ, "/p/new\0", XS_ERROR, "ENOENT\0");
	kxs_txt_commit(test, c, tx, true);
	KXS_W_RT(test, D0(test), XS_DIRECTORY, "/p\0", XS_DIRECTORY, "new\0");
	KXS_W_RT(test, D0(test), XS_READ, "/p/new/deep\0", XS_READ, "n");
	KXS_W_RT(test, D0(test), XS_GET_PERMS, "/p\0", XS_GET_PERMS, "r0\0");
	kxs_fx_expect_check(test, kxs_fx(test)->store);
}

/*
 * The conflict matrix: what the transaction did to /m/n (read it, wrote
 * it, listed /m, found /m/z absent) against another connection changing
 * that node or a node beside it.
 */
static void kxs_txt_conflict(struct kunit *test, const char *access,
			     u32 type, const char *req, u32 len,
			     const char *change, u32 clen, bool conflict)
{
	struct kxs_conn *c = kxs_fx_conn(test);
	u32 tx, got_len;

	KXS_W_RT(test, D0(test), XS_WRITE, "/m/n\0v", XS_WRITE, "OK\0");
	KXS_W_RT(test, D0(test), XS_WRITE, "/m/other\0v", XS_WRITE, "OK\0");
	tx = kxs_txt_begin(test, c);
	kxs_w_call(test, c, tx, type, req, len, &got_len);
	kxs_w_rt(test, D0(test), 0, XS_WRITE, change, clen, XS_WRITE, "OK",
		 3);
	KUNIT_EXPECT_EQ_MSG(test, kxs_w_call(test, c, tx, XS_TRANSACTION_END,
					     "T", 2, &got_len),
			    conflict ? (u32)XS_ERROR : (u32)XS_TRANSACTION_END,
			    "%s, then another writes %s: %s", access, change,
			    kxs_fx(test)->reply);
	kxs_fx_close(test, c);
	KXS_W_RT(test, D0(test), XS_RM, "/m\0", XS_RM, "OK\0");
}

#define KXS_CONFLICT(test, what, type, req, change, conflict)		\
	kxs_txt_conflict(test, what, type, req, sizeof(req) - 1, change,	\
			 sizeof(change) - 1, conflict)

static void kxs_tx_conflict_matrix(struct kunit *test)
{
	/* Read: the node's value changes, or a sibling's. */
	KXS_CONFLICT(test, "read", XS_READ, "/m/n\0", "/m/n\0w", true);
	KXS_CONFLICT(test, "read", XS_READ, "/m/n\0", "/m/other\0w", false);
	/* Wrote: the same node changes, or a sibling. */
	KXS_CONFLICT(test, "write", XS_WRITE, "/m/n\0t", "/m/n\0w", true);
	KXS_CONFLICT(test, "write", XS_WRITE, "/m/n\0t", "/m/other\0w",
		     false);
	/* Listed /m: a child appears, or a grandchild (not its list). */
	KXS_CONFLICT(test, "list", XS_DIRECTORY, "/m\0", "/m/new\0w", true);
	KXS_CONFLICT(test, "list", XS_DIRECTORY, "/m\0", "/m/n/below\0w",
		     false);
	/* Found /m/z absent: it appears, or another does. */
	KXS_CONFLICT(test, "absent", XS_READ, "/m/z\0", "/m/z\0w", true);
	KXS_CONFLICT(test, "absent", XS_READ, "/m/z\0", "/m/y\0w", false);
	/* Created a child: the parent's value changes (it was checked). */
	KXS_CONFLICT(test, "create", XS_WRITE, "/m/c\0t", "/m\0w", true);
	KXS_CONFLICT(test, "create", XS_WRITE, "/m/c\0t", "/m/d\0w", false);
	/* Removed /m/n: something is written below it. */
	KXS_CONFLICT(test, "rm", XS_RM, "/m/n\0", "/m/n/x\0w", true);
	KXS_CONFLICT(test, "rm", XS_RM, "/m/n\0", "/m/other\0w", false);
}

/* Two transactions on disjoint subtrees, interleaved, both commit. */
static void kxs_tx_disjoint_transactions_both_commit(struct kunit *test)
{
	struct kxs_conn *a = kxs_fx_conn(test), *b = kxs_fx_conn(test);
	u32 ta, tb;

	KXS_W_RT(test, D0(test), XS_MKDIR, "/vm\0", XS_MKDIR, "OK\0");
	ta = kxs_txt_begin(test, a);
	tb = kxs_txt_begin(test, b);
	KXS_W_TX(test, a, ta, XS_WRITE, "/vm/1/state\0up", XS_WRITE, "OK\0");
	KXS_W_TX(test, b, tb, XS_WRITE, "/vm/2/state\0up", XS_WRITE, "OK\0");
	KXS_W_TX(test, a, ta, XS_READ, "/vm/1/state\0", XS_READ, "up");
	KXS_W_TX(test, b, tb, XS_MKDIR, "/vm/2/dev\0", XS_MKDIR, "OK\0");
	kxs_txt_commit(test, a, ta, true);
	kxs_txt_commit(test, b, tb, true);
	KXS_W_RT(test, D0(test), XS_DIRECTORY, "/vm\0", XS_DIRECTORY,
		 "1\0002\0");
	KXS_W_RT(test, D0(test), XS_DIRECTORY, "/vm/2\0", XS_DIRECTORY,
		 "dev\0state\0");
	kxs_fx_expect_check(test, kxs_fx(test)->store);
}

/* QEMU's resurrect2: a removed subtree partly written again, relative. */
static void kxs_tx_resurrects_removed_subtree(struct kunit *test)
{
	struct kxs_conn *c = kxs_fx_conn(test);
	u32 tx;

	KXS_W_RT(test, D0(test), XS_WRITE, "/local/domain/0/some/deep/dark\0foo",
		 XS_WRITE, "OK\0");
	KXS_W_RT(test, D0(test), XS_WRITE,
		 "/local/domain/0/some/deep/dark/relative/path\0old",
		 XS_WRITE, "OK\0");
	KXS_W_RT(test, D0(test), XS_WRITE, "/local/domain/0/some/safe\0k",
		 XS_WRITE, "OK\0");
	tx = kxs_txt_begin(test, c);
	KXS_W_TX(test, c, tx, XS_RM, "some/deep\0", XS_RM, "OK\0");
	KXS_W_TX(test, c, tx, XS_READ, "some/deep/dark\0", XS_ERROR,
		 "ENOENT\0");
	KXS_W_TX(test, c, tx, XS_DIRECTORY, "some\0", XS_DIRECTORY, "safe\0");
	KXS_W_TX(test, c, tx, XS_WRITE, "some/deep/dark/relative/path\0new",
		 XS_WRITE, "OK\0");
	/* Resurrected empty: the old values and children stay gone. */
	KXS_W_TX(test, c, tx, XS_READ, "some/deep/dark\0", XS_READ, "");
	KXS_W_TX(test, c, tx, XS_DIRECTORY, "some/deep/dark\0", XS_DIRECTORY,
		 "relative\0");
	KXS_W_TX(test, c, tx, XS_DIRECTORY, "some\0", XS_DIRECTORY,
		 "deep\0safe\0");
	KXS_W_RT(test, D0(test), XS_READ, "/local/domain/0/some/deep/dark\0",
		 XS_READ, "foo");
	kxs_txt_commit(test, c, tx, true);
	KXS_W_RT(test, D0(test), XS_READ, "/local/domain/0/some/deep/dark\0",
		 XS_READ, "");
	KXS_W_RT(test, D0(test), XS_READ,
		 "/local/domain/0/some/deep/dark/relative/path\0", XS_READ,
		 "new");
	KXS_W_RT(test, D0(test), XS_READ, "/local/domain/0/some/safe\0",
		 XS_READ, "k");
	kxs_fx_expect_check(test, kxs_fx(test)->store);
}

/* A removed node's live children stay hidden, even ones added later. */
static void kxs_tx_removed_subtree_hides_live_nodes(struct kunit *test)
{
	struct kxs_conn *c = kxs_fx_conn(test);
	u32 tx;

	KXS_W_RT(test, D0(test), XS_WRITE, "/h/a/b\0v", XS_WRITE, "OK\0");
	tx = kxs_txt_begin(test, c);
	KXS_W_TX(test, c, tx, XS_RM, "/h/a\0", XS_RM, "OK\0");
	KXS_W_TX(test, c, tx, XS_READ, "/h/a/b\0", XS_ERROR, "ENOENT\0");
	KXS_W_TX(test, c, tx, XS_RM, "/h/a/b\0", XS_ERROR, "ENOENT\0");
	KXS_W_TX(test, c, tx, XS_MKDIR, "/h/a\0", XS_MKDIR, "OK\0");
	KXS_W_TX(test, c, tx, XS_DIRECTORY, "/h/a\0", XS_DIRECTORY, "");
	KXS_W_TX(test, c, tx, XS_READ, "/h/a/b\0", XS_ERROR, "ENOENT\0");
	kxs_txt_commit(test, c, tx, true);
	KXS_W_RT(test, D0(test), XS_DIRECTORY, "/h/a\0", XS_DIRECTORY, "");
	kxs_fx_expect_check(test, kxs_fx(test)->store);
}

/* Ids are unique across connections; another's id is unknown. */
static void kxs_tx_ids_belong_to_their_connection(struct kunit *test)
{
	struct kxs_conn *a = kxs_fx_conn(test), *b = kxs_fx_conn(test);
	u32 ta = kxs_txt_begin(test, a), tb = kxs_txt_begin(test, b);

	KUNIT_EXPECT_NE(test, ta, tb);
	KXS_W_TX(test, b, ta, XS_READ, "/\0", XS_ERROR, "ENOENT\0");
	KXS_W_TX(test, b, ta, XS_TRANSACTION_END, "F\0", XS_ERROR,
		 "ENOENT\0");
	KXS_W_TX(test, a, ta, XS_READ, "/\0", XS_READ, "");
	kxs_txt_commit(test, a, ta, true);
	kxs_txt_commit(test, b, tb, true);
}

/* A transaction's DIRECTORY_PART: its own list, generation moving with it. */
static void kxs_tx_directory_part_of_the_view(struct kunit *test)
{
	struct kxs_conn *c = kxs_fx_conn(test);
	struct kxs_fx *fx = kxs_fx(test);
	u32 tx, len, gen1, gen2;

	KXS_W_RT(test, D0(test), XS_WRITE, "/dp/b\0", XS_WRITE, "OK\0");
	tx = kxs_txt_begin(test, c);
	KXS_W_TX(test, c, tx, XS_WRITE, "/dp/a\0", XS_WRITE, "OK\0");
	KUNIT_ASSERT_EQ(test, kxs_w_call(test, c, tx, XS_DIRECTORY_PART,
					 "/dp\0000\0", 6, &len),
			(u32)XS_DIRECTORY_PART);
	KUNIT_ASSERT_EQ(test, kstrtou32(fx->reply, 10, &gen1), 0);
	KUNIT_EXPECT_MEMEQ(test, fx->reply + strlen(fx->reply) + 1,
			   "a\0b\0\0", 5);
	KXS_W_TX(test, c, tx, XS_RM, "/dp/b\0", XS_RM, "OK\0");
	KUNIT_ASSERT_EQ(test, kxs_w_call(test, c, tx, XS_DIRECTORY_PART,
					 "/dp\0002\0", 6, &len),
			(u32)XS_DIRECTORY_PART);
	KUNIT_ASSERT_EQ(test, kstrtou32(fx->reply, 10, &gen2), 0);
	KUNIT_EXPECT_NE(test, gen1, gen2);
	/* Past the end of "a\0": the empty list. */
	KUNIT_EXPECT_EQ(test, len, (u32)strlen(fx->reply) + 2);
	kxs_txt_commit(test, c, tx, true);
}

/* Nothing starts by copying: a transaction holds only what it touched. */
static void kxs_tx_start_copies_nothing(struct kunit *test)
{
	struct kxs_conn *c = kxs_fx_conn(test);
	struct kxs_tx *t;
	char path[32];
	u32 tx;
	int i;

	for (i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "/big/%d", i);
		KUNIT_ASSERT_EQ(test, kxs_store_write(kxs_fx(test)->store,
						      KXS_AS(0), path, "v", 1),
				0);
	}
	tx = kxs_txt_begin(test, c);
	t = kxs_tx_find(&c->ctx, tx);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_EQ(test, t->nr_nodes, 0);
	KXS_W_TX(test, c, tx, XS_READ, "/big/7\0", XS_READ, "v");
	KUNIT_EXPECT_EQ(test, t->nr_nodes, 1);
	kxs_txt_commit(test, c, tx, true);
}

/* A guest's transaction may touch only so many paths: kernel memory. */
static void kxs_tx_transaction_nodes_quota(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g, *d = kxs_fx_conn(test);
	struct kxs_tx *t;
	char req[32];
	u32 tx;
	int i;

	fx->quota[KXS_QUOTA_TX_NODES] = 4;
	KXS_W_RT(test, D0(test), XS_WRITE, "/q\0", XS_WRITE, "OK\0");
	KXS_W_RT(test, D0(test), XS_SET_PERMS, "/q\0b0\0", XS_SET_PERMS,
		 "OK\0");
	g = kxs_fx_guest(test, 5);
	tx = kxs_txt_begin(test, g);
	t = kxs_tx_find(&g->ctx, tx);
	KUNIT_ASSERT_NOT_NULL(test, t);
	/* A missing child records itself, the first one also /q. */
	for (i = 0; i < 3; i++) {
		snprintf(req, sizeof(req), "/q/%d", i);
		kxs_w_rt(test, g, tx, XS_READ, req, strlen(req) + 1, XS_ERROR,
			 "ENOENT", 7);
	}
	KUNIT_EXPECT_EQ(test, t->nr_nodes, 4);
	KXS_W_TX(test, g, tx, XS_READ, "/q/9\0", XS_ERROR, "ENOSPC\0");
	KXS_W_TX(test, g, tx, XS_WRITE, "/q/9\0v", XS_ERROR, "ENOSPC\0");
	/* What it already touched it may use again; nothing more was kept. */
	KXS_W_TX(test, g, tx, XS_WRITE, "/q/1\0v", XS_WRITE, "OK\0");
	KUNIT_EXPECT_EQ(test, t->nr_nodes, 4);
	kxs_txt_commit(test, g, tx, true);
	KXS_W_RT(test, D0(test), XS_READ, "/q/1\0", XS_READ, "v");
	/* The control domain has no such limit. */
	tx = kxs_txt_begin(test, d);
	for (i = 0; i < 8; i++) {
		snprintf(req, sizeof(req), "/q/%d", i + 10);
		kxs_w_rt(test, d, tx, XS_READ, req, strlen(req) + 1, XS_ERROR,
			 "ENOENT", 7);
	}
	kxs_txt_commit(test, d, tx, true);
}

static struct kunit_case kxs_txt_cases[] = {
	KUNIT_CASE(kxs_tx_reads_are_repeatable),
	KUNIT_CASE(kxs_tx_sees_its_writes_others_do_not),
	KUNIT_CASE(kxs_tx_conflict_matrix),
	KUNIT_CASE(kxs_tx_disjoint_transactions_both_commit),
	KUNIT_CASE(kxs_tx_resurrects_removed_subtree),
	KUNIT_CASE(kxs_tx_removed_subtree_hides_live_nodes),
	KUNIT_CASE(kxs_tx_ids_belong_to_their_connection),
	KUNIT_CASE(kxs_tx_directory_part_of_the_view),
	KUNIT_CASE(kxs_tx_start_copies_nothing),
	KUNIT_CASE(kxs_tx_transaction_nodes_quota),
	{}
};

static struct kunit_suite kxs_txt_suite = {
	.name = "kxenstore_tx",
	.init = kxs_txt_init,
	.exit = kxs_txt_exit,
	.test_cases = kxs_txt_cases,
};

kunit_test_suite(kxs_txt_suite);
