// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: running out of memory.  Each case makes a request (or a
 * checkpoint, a restore, an open) meet a failed allocation at its first
 * allocation, then at its second, and so on, until a run meets none.
 * A run whose allocation failed must answer with an error and leave
 * everything as it was: the checkpoint of the store, its transactions
 * and guest 1's watches the same bytes (but for last_tx: ids handed out
 * are not taken back), the store's own check clean, no object left
 * behind.  A run that got past its failure (a fallback) must have done
 * the whole request, as a run without one does.
 *
 * The failures come from failslab, armed through current->fail_nth,
 * which counts this thread's allocations only.  failslab spares sleeping
 * allocations (GFP_KERNEL) while its switch ignore-gfp-wait is on, as it
 * is by default: each case turns it off, and failslab's reports of the
 * failures it makes (verbose), until its end.
 */
#include <kunit/test.h>
#include <linux/debugfs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "checkpoint.h"
#include "conn.h"
#include "domain.h"
#include "store.h"
#include "kxs_test.h"

/* Far more allocations than any request here makes. */
#define KXS_NM_RUNS	2000

#ifdef CONFIG_FAILSLAB

/* Make this thread's @nth allocation from now on fail. */
static void kxs_nm_arm(unsigned int nth)
{
	current->fail_nth = nth;
}

/* Stop counting; return whether the armed allocation failed. */
static bool kxs_nm_disarm(void)
{
	bool hit = !current->fail_nth;

	current->fail_nth = 0;
	return hit;
}

/*
 * The variable behind /sys/kernel/debug/failslab/@name: a file made by
 * debugfs_create_bool() or _ulong() keeps it in i_private.  Writing the
 * file would set it too, but user space comes after the built-in suites.
 */
static void *kxs_nm_failslab_var(const char *name)
{
	struct dentry *dir = debugfs_lookup("failslab", NULL), *f;
	void *var = NULL;

	if (!dir)
		return NULL;
	f = debugfs_lookup(name, dir);
	if (f) {
		var = d_inode(f)->i_private;
		dput(f);
	}
	dput(dir);
	return var;
}

/* failslab's switches as a case found them; one case runs at a time. */
static bool *kxs_nm_ignore_gfp_wait, kxs_nm_ignored;
static unsigned long *kxs_nm_verbose, kxs_nm_was_verbose;

static void kxs_nm_failslab_restore(void)
{
	if (kxs_nm_ignore_gfp_wait)
		*kxs_nm_ignore_gfp_wait = kxs_nm_ignored;
	if (kxs_nm_verbose)
		*kxs_nm_verbose = kxs_nm_was_verbose;
	kxs_nm_ignore_gfp_wait = NULL;
	kxs_nm_verbose = NULL;
}

/*
 * Let failslab fail sleeping allocations, quietly (each failure it makes
 * would print a stack), and skip unless a GFP_KERNEL allocation now can
 * be made to fail.
 */
static int kxs_nm_init(struct kunit *test)
{
	void *p;

	kxs_nm_ignore_gfp_wait = kxs_nm_failslab_var("ignore-gfp-wait");
	kxs_nm_verbose = kxs_nm_failslab_var("verbose");
	if (!kxs_nm_ignore_gfp_wait || !kxs_nm_verbose)
		kunit_skip(test, "no failslab switches in debugfs");
	kxs_nm_ignored = *kxs_nm_ignore_gfp_wait;
	kxs_nm_was_verbose = *kxs_nm_verbose;
	*kxs_nm_ignore_gfp_wait = false;
	*kxs_nm_verbose = 0;
	kxs_nm_arm(1);
	p = kmalloc(8, GFP_KERNEL);
	kxs_nm_disarm();
	kfree(p);
	if (p) {
		kxs_nm_failslab_restore();
		kunit_skip(test, "fail_nth does not fail GFP_KERNEL allocations");
	}
	return kxs_fx_init(test);
}

#else

static int kxs_nm_init(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAILSLAB");
	return 0;
}

static void kxs_nm_failslab_restore(void)
{
}

static void kxs_nm_arm(unsigned int nth)
{
}

static bool kxs_nm_disarm(void)
{
	return false;
}

#endif

/* The fixture is made only when the case does not skip. */
static void kxs_nm_exit(struct kunit *test)
{
	if (test->priv)
		kxs_fx_exit(test);
	kxs_nm_failslab_restore();
}

/* The counts that must come back: all but messages (spares are kept). */
static void kxs_nm_counts(long *counts)
{
	int i;

	for (i = 0; i < KXS_STAT_NR; i++)
		counts[i] = i == KXS_STAT_MSGS ? 0 : kxs_stat(i);
}

static void kxs_nm_expect_counts(struct kunit *test, const long *was,
				 const char *what, unsigned int nth)
{
	long now[KXS_STAT_NR];
	int i;

	kxs_nm_counts(now);
	for (i = 0; i < KXS_STAT_NR; i++)
		KUNIT_EXPECT_EQ_MSG(test, now[i], was[i],
				    "%s, allocation %u failing: %s", what, nth,
				    kxs_stat_names[i]);
}

/* Domains whose node counts (quota usage) are compared. */
#define KXS_NM_DOMS	2

/*
 * A checkpoint of the fixture (store, transactions, guest 1's watches)
 * and the number of nodes domains 0 and 1 own, which it does not hold.
 */
struct kxs_nm_state {
	u8 *buf;
	size_t len;
	unsigned long owned[KXS_NM_DOMS];
};

static void kxs_nm_save(struct kunit *test, struct kxs_nm_state *st)
{
	struct kxs_fx *fx = kxs_fx(test);
	int i;

	KUNIT_ASSERT_EQ(test, kxs_checkpoint_save(fx->store, &fx->doms, 1,
						  &st->buf, &st->len), 0);
	for (i = 0; i < KXS_NM_DOMS; i++)
		st->owned[i] = kxs_fx_owned(test, i);
}

static void kxs_nm_drop(struct kxs_nm_state *st)
{
	kvfree(st->buf);
	st->buf = NULL;
}

/* The checkpoint's first field, last_tx, goes up and never back. */
#define KXS_NM_LAST_TX	4

/* Where the checkpoint of the fixture first differs from @st, if it does. */
static size_t kxs_nm_diff(struct kunit *test, const struct kxs_nm_state *st,
			  size_t *len)
{
	struct kxs_nm_state now;
	size_t i = KXS_NM_LAST_TX;

	kxs_nm_save(test, &now);
	while (i < min(now.len, st->len) && now.buf[i] == st->buf[i])
		i++;
	*len = now.len;
	if (now.len == st->len && i == now.len &&
	    !memcmp(now.owned, st->owned, sizeof(now.owned)))
		i = SIZE_MAX;
	kxs_nm_drop(&now);
	return i;
}

/* Is the fixture now @st (but for last_tx)? */
static bool kxs_nm_is(struct kunit *test, const struct kxs_nm_state *st)
{
	size_t len;

	return kxs_nm_diff(test, st, &len) == SIZE_MAX;
}

/*
 * The fixture now is @st (but for last_tx): the checkpoint, and the
 * store's own check.
 */
static void kxs_nm_expect_state(struct kunit *test,
				const struct kxs_nm_state *st,
				const char *what, unsigned int nth)
{
	size_t len, i = kxs_nm_diff(test, st, &len);
	int d;

	KUNIT_EXPECT_TRUE_MSG(test, i == SIZE_MAX,
			      "%s, allocation %u failing: changed the store (%zu and %zu bytes, first difference at %zu)",
			      what, nth, st->len, len, i);
	for (d = 0; d < KXS_NM_DOMS; d++)
		KUNIT_EXPECT_EQ_MSG(test, kxs_fx_owned(test, d), st->owned[d],
				    "%s, allocation %u failing: nodes domain %d owns",
				    what, nth, d);
	kxs_fx_expect_check(test, kxs_fx(test)->store);
}

/* Bring the fixture back to @st. */
static void kxs_nm_restore(struct kunit *test, const struct kxs_nm_state *st)
{
	struct kxs_fx *fx = kxs_fx(test);

	KUNIT_ASSERT_EQ(test, kxs_checkpoint_restore(fx->store, &fx->doms, 1,
						     st->buf, st->len), 0);
}

/* Read and drop all that is queued for @c. */
static void kxs_nm_drain(struct kxs_conn *c)
{
	u8 buf[256];

	while (kxs_w_read(c, buf, sizeof(buf)) > 0)
		;
}

/* The same for every connection of the fixture (watchers' events). */
static void kxs_nm_drain_all(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	int i;

	kxs_nm_drain(fx->conn);
	for (i = 0; i < KXS_FX_CONNS; i++)
		if (fx->conns[i])
			kxs_nm_drain(fx->conns[i]);
}

/* End transaction @tx of @c, as a client that gives up on it. */
static void kxs_nm_tx_abort(struct kunit *test, struct kxs_conn *c, u32 tx)
{
	u32 len;

	kxs_w_call(test, c, tx, XS_TRANSACTION_END, "F", 2, &len);
}

/*
 * The reply to the request just sent on @c, past the events that may
 * come first: its type; its payload in fx->reply, its length in *@len.
 * Whatever follows (events) is drained.
 */
static u32 kxs_nm_reply(struct kunit *test, struct kxs_conn *c, u32 *len)
{
	struct xsd_sockmsg hdr;

	do
		kxs_w_next(test, c, &hdr);
	while (hdr.type == XS_WATCH_EVENT);
	*len = hdr.len;
	kxs_nm_drain(c);
	return hdr.type;
}

/**
 * struct kxs_nm_req - a request made to fail, and its surroundings
 * @what: its name in messages
 * @type: its type
 * @req: its payload
 * @len: the payload's length
 * @setup: run before each try, with nothing failing (may set @tx); the
 *	fixture is as the case left it before the first
 * @teardown: run after each try, before the fixture is brought back
 * @ends_tx: the request ends transaction @tx, even when it fails: a
 *	failed one leaves the fixture as it was before @setup
 * @varies: the reply's payload differs between runs (a new id)
 * @partial: the request succeeds whatever memory it lacks, doing less
 *	(RELEASE: see kxs_domain_release()): a try that met a failure
 *	needs only to leave the store consistent and take nothing
 * @c: the connection that sends it
 * @tx: the transaction it is in (0: none)
 */
struct kxs_nm_req {
	const char *what;
	u32 type;
	const char *req;
	u32 len;
	void (*setup)(struct kunit *test, struct kxs_nm_req *r);
	void (*teardown)(struct kunit *test, struct kxs_nm_req *r);
	bool ends_tx;
	bool varies;
	bool partial;
	struct kxs_conn *c;
	u32 tx;
};

/* Send @r with allocation @nth failing; return whether it did. */
static bool kxs_nm_try(struct kunit *test, struct kxs_nm_req *r,
		       unsigned int nth, const struct kxs_nm_state *base,
		       const struct kxs_nm_state *after, const char *good,
		       u32 good_len)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_nm_state before = { };
	size_t n;
	ssize_t w;
	bool hit;
	u32 type, len;

	if (r->setup)
		r->setup(test, r);
	if (!r->ends_tx)
		kxs_nm_save(test, &before);
	n = kxs_w_msg(fx->buf, r->type, ++fx->req_id, r->tx, r->req, r->len);
	kxs_nm_arm(nth);
	w = kxs_w_write(r->c, fx->buf, n);
	hit = kxs_nm_disarm();
	if (w == -ENOMEM) {
		/* No room for the reply: the request was not taken in. */
		KUNIT_EXPECT_TRUE(test, hit);
		kxs_nm_expect_state(test, r->ends_tx ? base : &before, r->what,
				    nth);
		/* Nor was the transaction ended. */
		if (r->ends_tx)
			kxs_nm_tx_abort(test, r->c, r->tx);
		goto out;
	}
	KUNIT_ASSERT_EQ_MSG(test, w, (ssize_t)n, "%s, allocation %u failing",
			    r->what, nth);
	type = kxs_nm_reply(test, r->c, &len);
	if (type == XS_ERROR) {
		KUNIT_EXPECT_TRUE_MSG(test, hit, "%s: error %s", r->what,
				      fx->reply);
		KUNIT_EXPECT_STREQ_MSG(test, fx->reply, "ENOMEM",
				       "%s, allocation %u failing", r->what,
				       nth);
		kxs_nm_expect_state(test, r->ends_tx ? base : &before, r->what,
				    nth);
		goto out;
	}
	/* Done, the failure got round or not met: as without failures. */
	KUNIT_EXPECT_EQ_MSG(test, type, r->type, "%s, allocation %u failing",
			    r->what, nth);
	if (!r->varies)
		KUNIT_EXPECT_TRUE_MSG(test, len == good_len &&
				      !memcmp(fx->reply, good, len),
				      "%s, allocation %u failing: reply %s",
				      r->what, nth, fx->reply);
	if (!r->varies && !(r->partial && hit))
		kxs_nm_expect_state(test, after, r->what, nth);
	kxs_fx_expect_check(test, fx->store);
out:
	kxs_nm_drop(&before);
	kxs_nm_drain_all(test);
	if (r->teardown)
		r->teardown(test, r);
	kxs_nm_restore(test, base);
	return hit;
}

/*
 * Run @r once without failures (the reply every run that gets through
 * must give), then with its first, second, ... allocation failing until
 * a run meets no failure.
 */
static void kxs_nm_request(struct kunit *test, struct kxs_nm_req *r)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_nm_state base, after = { };
	long counts[KXS_STAT_NR];
	unsigned int nth;
	u32 type, good_len;
	size_t n;
	char *good;

	kxs_nm_drain_all(test);
	kxs_nm_save(test, &base);
	kxs_nm_counts(counts);
	if (r->setup)
		r->setup(test, r);
	n = kxs_w_msg(fx->buf, r->type, ++fx->req_id, r->tx, r->req, r->len);
	KUNIT_ASSERT_EQ(test, kxs_w_write(r->c, fx->buf, n), (ssize_t)n);
	type = kxs_nm_reply(test, r->c, &good_len);
	KUNIT_ASSERT_EQ_MSG(test, type, r->type, "%s: reply %s", r->what,
			    fx->reply);
	good = kunit_kzalloc(test, good_len + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, good);
	memcpy(good, fx->reply, good_len);
	if (!r->varies)
		kxs_nm_save(test, &after);
	if (r->teardown)
		r->teardown(test, r);
	kxs_nm_restore(test, &base);
	kxs_nm_drain_all(test);
	kxs_nm_expect_state(test, &base, r->what, 0);
	kxs_nm_expect_counts(test, counts, r->what, 0);

	for (nth = 1; nth <= KXS_NM_RUNS; nth++) {
		bool hit = kxs_nm_try(test, r, nth, &base, &after, good,
				      good_len);

		kxs_nm_expect_counts(test, counts, r->what, nth);
		if (!hit)
			break;
	}
	KUNIT_EXPECT_LE_MSG(test, nth, KXS_NM_RUNS,
			    "%s: still failing after %u allocations", r->what,
			    KXS_NM_RUNS);
	kunit_info(test, "%s: %u allocations made to fail", r->what, nth - 1);
	kxs_nm_drop(&after);
	kxs_nm_drop(&base);
}

/* @r as @what, a request of @type with @len bytes of @req, on the way. */
static void kxs_nm_send(struct kunit *test, struct kxs_nm_req *r,
			const char *what, u32 type, const char *req, u32 len)
{
	r->what = what;
	r->type = type;
	r->req = req;
	r->len = len;
	if (!r->c)
		r->c = kxs_fx(test)->conn;
	kxs_nm_request(test, r);
}

/* A string literal's bytes, embedded NULs included, without its own. */
#define KXS_NM_SEND(test, r, what, type, req) \
	kxs_nm_send(test, r, what, type, req, sizeof(req) - 1)

/* A store with some of everything: nodes, values, permissions, a watch. */
static struct kxs_conn *kxs_nm_populate(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *c = fx->conn, *w = kxs_fx_guest(test, 1);
	char req[32];
	size_t n;
	u32 len;
	int i;

	KXS_W_RT(test, c, XS_WRITE, "/a/b/c\0abc", XS_WRITE, "OK\0");
	KXS_W_RT(test, c, XS_WRITE, "/a/b/d\0abcd", XS_WRITE, "OK\0");
	KXS_W_RT(test, c, XS_SET_PERMS, "/a/b\0n0\0r1\0", XS_SET_PERMS,
		 "OK\0");
	for (i = 0; i < 40; i++) {
		n = snprintf(req, sizeof(req), "/dir/%02d", i) + 1;
		kxs_w_rt(test, c, 0, XS_MKDIR, req, n, XS_MKDIR, "OK", 3);
	}
	n = kxs_w_msg(fx->buf, XS_WATCH, ++fx->req_id, 0, "/a\0wa\0", 6);
	KUNIT_ASSERT_EQ(test, kxs_w_write(w, fx->buf, n), (ssize_t)n);
	/* Its reply, then its initial event. */
	KUNIT_ASSERT_EQ(test, kxs_nm_reply(test, w, &len), (u32)XS_WATCH);
	return w;
}

static void kxs_nm_write_new_path(struct kunit *test)
{
	struct kxs_nm_req r = { };

	kxs_nm_populate(test);
	KXS_NM_SEND(test, &r, "write of a new path", XS_WRITE,
		    "/a/b/e/f/g\0value");
}

static void kxs_nm_write_bigger_value(struct kunit *test)
{
	struct kxs_nm_req r = { };

	kxs_nm_populate(test);
	KXS_NM_SEND(test, &r, "write of a longer value", XS_WRITE,
		    "/a/b/c\0a value too long for the allocation of the first one");
}

/* A guest's write under its home: its node count is its quota's. */
static void kxs_nm_guest_write(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_nm_req r = { };

	kxs_nm_populate(test);
	KXS_W_RT(test, fx->conn, XS_MKDIR, "/local/domain/1\0", XS_MKDIR,
		 "OK\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/local/domain/1\0n1\0",
		 XS_SET_PERMS, "OK\0");
	fx->quota[KXS_QUOTA_NODES] = 100;
	r.c = kxs_fx_guest(test, 1);
	KXS_NM_SEND(test, &r, "write of a guest", XS_WRITE,
		    "data/x/y\0value");
}

static void kxs_nm_mkdir(struct kunit *test)
{
	struct kxs_nm_req r = { };

	kxs_nm_populate(test);
	KXS_NM_SEND(test, &r, "mkdir", XS_MKDIR, "/a/x/y/z\0");
}

static void kxs_nm_rm(struct kunit *test)
{
	struct kxs_nm_req r = { };

	kxs_nm_populate(test);
	KXS_NM_SEND(test, &r, "rm of a subtree", XS_RM, "/a\0");
}

static void kxs_nm_set_perms(struct kunit *test)
{
	struct kxs_nm_req r = { };

	kxs_nm_populate(test);
	KXS_NM_SEND(test, &r, "set_perms", XS_SET_PERMS,
		    "/a/b/c\0b3\0r1\0w2\0n4\0");
}

static void kxs_nm_directory(struct kunit *test)
{
	struct kxs_nm_req r = { };

	kxs_nm_populate(test);
	KXS_NM_SEND(test, &r, "directory", XS_DIRECTORY, "/dir\0");
}

static void kxs_nm_unwatch(struct kunit *test, struct kxs_nm_req *r)
{
	u32 len;

	/* The watch of a try that got through, or ENOENT. */
	kxs_w_call(test, r->c, 0, XS_UNWATCH, "/a/b\0wb\0", 8, &len);
}

static void kxs_nm_watch(struct kunit *test)
{
	struct kxs_nm_req r = {
		.teardown = kxs_nm_unwatch,
	};

	/* Guest 1's watches are in the checkpoint. */
	r.c = kxs_fx_guest(test, 1);
	kxs_nm_populate(test);
	KXS_NM_SEND(test, &r, "watch", XS_WATCH, "/a/b\0wb\0");
}

static void kxs_nm_abort(struct kunit *test, struct kxs_nm_req *r)
{
	kxs_nm_tx_abort(test, r->c, r->tx);
	r->tx = 0;
}

/* TRANSACTION_START's reply is the new id: end it whatever it is. */
static void kxs_nm_abort_started(struct kunit *test, struct kxs_nm_req *r)
{
	struct kxs_fx *fx = kxs_fx(test);
	u32 id;

	if (!kstrtou32(fx->reply, 10, &id))
		kxs_nm_tx_abort(test, r->c, id);
	fx->reply[0] = '\0';
}

static void kxs_nm_tx_start(struct kunit *test)
{
	struct kxs_nm_req r = {
		.teardown = kxs_nm_abort_started,
		.varies = true,
	};

	kxs_nm_populate(test);
	KXS_NM_SEND(test, &r, "transaction start", XS_TRANSACTION_START,
		    "\0");
}

static void kxs_nm_begin(struct kunit *test, struct kxs_nm_req *r)
{
	r->tx = kxs_w_tx_start(test, r->c);
}

static void kxs_nm_tx_write(struct kunit *test)
{
	struct kxs_nm_req r = {
		.setup = kxs_nm_begin,
		.teardown = kxs_nm_abort,
		.varies = true,		/* the transaction's id */
	};

	kxs_nm_populate(test);
	KXS_NM_SEND(test, &r, "write in a transaction", XS_WRITE,
		    "/a/b/e/f\0value");
}

/* A transaction that read, wrote, made and removed nodes. */
static void kxs_nm_begin_busy(struct kunit *test, struct kxs_nm_req *r)
{
	struct kxs_conn *c = r->c;
	u32 tx = kxs_w_tx_start(test, c);

	KXS_W_TX(test, c, tx, XS_READ, "/a/b/c\0", XS_READ, "abc");
	KXS_W_TX(test, c, tx, XS_WRITE, "/a/b/c\0new", XS_WRITE, "OK\0");
	KXS_W_TX(test, c, tx, XS_WRITE, "/a/n/m\0made", XS_WRITE, "OK\0");
	KXS_W_TX(test, c, tx, XS_RM, "/a/b/d\0", XS_RM, "OK\0");
	KXS_W_TX(test, c, tx, XS_SET_PERMS, "/a/n\0b1\0", XS_SET_PERMS,
		 "OK\0");
	r->tx = tx;
}

static void kxs_nm_tx_commit(struct kunit *test)
{
	struct kxs_nm_req r = {
		.setup = kxs_nm_begin_busy,
		.ends_tx = true,
	};

	kxs_nm_populate(test);
	KXS_NM_SEND(test, &r, "transaction commit", XS_TRANSACTION_END,
		    "T\0");
}

static void kxs_nm_release_5(struct kunit *test, struct kxs_nm_req *r)
{
	u32 len;

	/* The domain of a try that got through, or ENOENT. */
	kxs_w_call(test, r->c, 0, XS_RELEASE, "5", 2, &len);
}

static void kxs_nm_introduce(struct kunit *test)
{
	struct kxs_nm_req r = {
		.teardown = kxs_nm_release_5,
	};

	kxs_nm_populate(test);
	KXS_NM_SEND(test, &r, "introduce", XS_INTRODUCE, "5\0007\0001\0");
}

static void kxs_nm_introduce_5(struct kunit *test, struct kxs_nm_req *r)
{
	struct kxs_conn *c = r->c;

	KXS_W_RT(test, c, XS_INTRODUCE, "5\0007\0001\0", XS_INTRODUCE,
		 "OK\0");
	KXS_W_RT(test, c, XS_WRITE, "/local/domain/5/data\0x", XS_WRITE,
		 "OK\0");
	KXS_W_RT(test, c, XS_SET_PERMS, "/local/domain/5\0b5\0", XS_SET_PERMS,
		 "OK\0");
	KXS_W_RT(test, c, XS_SET_PERMS, "/a/b/c\0n0\0r5\0", XS_SET_PERMS,
		 "OK\0");
}

static void kxs_nm_release(struct kunit *test)
{
	struct kxs_nm_req r = {
		.setup = kxs_nm_introduce_5,
		.teardown = kxs_nm_release_5,
		.partial = true,
	};

	kxs_nm_populate(test);
	KXS_NM_SEND(test, &r, "release", XS_RELEASE, "5\0");
}

/*
 * Send one request of @type on @c in transaction @tx with its @nth
 * allocation failing; *@hit says whether one did.  Return: the reply's
 * type (its events, before or after it, drained from @c).
 */
static u32 kxs_nm_call_failing(struct kunit *test, struct kxs_conn *c,
			       u32 type, u32 tx, const void *req, u32 len,
			       unsigned int nth, bool *hit)
{
	struct kxs_fx *fx = kxs_fx(test);
	size_t n = kxs_w_msg(fx->buf, type, ++fx->req_id, tx, req, len);
	u32 rlen;

	kxs_nm_arm(nth);
	KUNIT_ASSERT_EQ(test, kxs_w_write(c, fx->buf, n), (ssize_t)n);
	*hit = kxs_nm_disarm();
	return kxs_nm_reply(test, c, &rlen);
}

/*
 * A watch event with no memory for it is lost, but counted where an
 * event a full queue drops is: the write it follows still succeeds.
 */
static void kxs_nm_event_lost_is_counted(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *w = kxs_nm_populate(test);
	unsigned long dropped = 0, lost = 0, heard = 0;
	struct xsd_sockmsg hdr;
	unsigned int nth;
	bool hit = true;
	ssize_t got;

	for (nth = 1; hit && nth <= KXS_NM_RUNS; nth++) {
		if (kxs_nm_call_failing(test, fx->conn, XS_WRITE, 0,
					"/a/b/e\0v", 8, nth, &hit) != XS_WRITE)
			continue;	/* the write itself failed */
		got = kxs_w_read(w, &hdr, sizeof(hdr));
		if (got == sizeof(hdr)) {
			KUNIT_EXPECT_EQ(test, hdr.type, (u32)XS_WATCH_EVENT);
			KUNIT_EXPECT_EQ_MSG(test, w->events_dropped, dropped,
					    "allocation %u failing", nth);
			heard++;
		} else {
			KUNIT_EXPECT_EQ(test, got, (ssize_t)-EAGAIN);
			KUNIT_EXPECT_EQ_MSG(test, w->events_dropped, dropped + 1,
					    "allocation %u failing", nth);
			lost++;
		}
		dropped = w->events_dropped;
		kxs_nm_drain(w);
	}
	KUNIT_EXPECT_FALSE(test, hit);
	/* Some runs lost the event, at least the last heard it. */
	KUNIT_EXPECT_GT(test, lost, 0);
	KUNIT_EXPECT_GT(test, heard, 0);
}

/* WATCH @path with @token on @c; its initial event is thrown away. */
static void kxs_nm_add_watch(struct kunit *test, struct kxs_conn *c,
			     const char *path, const char *token)
{
	struct kxs_fx *fx = kxs_fx(test);
	size_t plen = strlen(path) + 1, tlen = strlen(token) + 1, n;
	char req[64];
	u32 len;

	KUNIT_ASSERT_LE(test, plen + tlen, sizeof(req));
	memcpy(req, path, plen);
	memcpy(req + plen, token, tlen);
	n = kxs_w_msg(fx->buf, XS_WATCH, ++fx->req_id, 0, req, plen + tlen);
	KUNIT_ASSERT_EQ(test, kxs_w_write(c, fx->buf, n), (ssize_t)n);
	KUNIT_ASSERT_EQ(test, kxs_nm_reply(test, c, &len), (u32)XS_WATCH);
}

/* How many watch events are queued on @c (read and thrown away). */
static unsigned int kxs_nm_events(struct kunit *test, struct kxs_conn *c)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct xsd_sockmsg hdr;
	unsigned int n = 0;

	while (kxs_w_read(c, &hdr, sizeof(hdr)) == sizeof(hdr)) {
		KUNIT_EXPECT_EQ(test, hdr.type, (u32)XS_WATCH_EVENT);
		KUNIT_ASSERT_LE(test, hdr.len, (u32)KXS_PAYLOAD_MAX);
		if (hdr.len)
			KUNIT_ASSERT_EQ(test, kxs_w_read(c, fx->reply, hdr.len),
					(ssize_t)hdr.len);
		n++;
	}
	return n;
}

/*
 * An RM of a subtree reports two events here (the watch on an ancestor,
 * and the one on a removed node below): with an allocation failing, each
 * is either heard or counted as dropped on the watcher's connection (the
 * permissions that decide who hears could not be copied, or the event
 * not queued), never lost unseen.
 */
static void kxs_nm_rm_events_heard_or_counted(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *w = kxs_fx_conn(test);
	unsigned long dropped, lost = 0, heard = 0;
	unsigned int nth, got;
	bool hit = true;

	kxs_nm_populate(test);
	kxs_nm_add_watch(test, w, "/a", "up");
	kxs_nm_add_watch(test, w, "/a/b/c", "below");
	for (nth = 1; hit && nth <= KXS_NM_RUNS; nth++) {
		KXS_W_RT(test, fx->conn, XS_WRITE, "/a/b/c\0v", XS_WRITE,
			 "OK\0");
		kxs_nm_drain_all(test);
		dropped = w->events_dropped;
		if (kxs_nm_call_failing(test, fx->conn, XS_RM, 0, "/a/b\0", 5,
					nth, &hit) != XS_RM) {
			KUNIT_EXPECT_EQ(test, kxs_nm_events(test, w), 0);
			continue;	/* the RM itself failed */
		}
		got = kxs_nm_events(test, w);
		KUNIT_EXPECT_EQ_MSG(test, got + w->events_dropped - dropped, 2,
				    "allocation %u failing: %u heard", nth,
				    got);
		heard += got;
		lost += w->events_dropped - dropped;
	}
	KUNIT_EXPECT_FALSE(test, hit);
	KUNIT_EXPECT_GT(test, lost, 0);
	KUNIT_EXPECT_GT(test, heard, 0);
}

/*
 * A transaction's WRITE that succeeds but cannot note its change for the
 * commit (no memory) still has its event counted when it commits: in the
 * domain table's total, since no watcher was chosen.
 */
static void kxs_nm_tx_note_lost_is_counted(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *w = kxs_fx_conn(test);
	unsigned long dropped, lost = 0, heard = 0;
	unsigned int nth, got;
	bool hit = true;
	u32 tx;

	kxs_nm_populate(test);
	kxs_nm_add_watch(test, w, "/a", "up");
	for (nth = 1; hit && nth <= KXS_NM_RUNS; nth++) {
		kxs_nm_drain_all(test);
		tx = kxs_w_tx_start(test, fx->conn);
		if (kxs_nm_call_failing(test, fx->conn, XS_WRITE, tx,
					"/a/b/e\0v", 8, nth, &hit) != XS_WRITE) {
			kxs_nm_tx_abort(test, fx->conn, tx);
			continue;	/* the write itself failed */
		}
		dropped = fx->doms.events_dropped;
		KXS_W_TX(test, fx->conn, tx, XS_TRANSACTION_END, "T\0",
			 XS_TRANSACTION_END, "OK\0");
		got = kxs_nm_events(test, w);
		KUNIT_EXPECT_EQ_MSG(test,
				    got + fx->doms.events_dropped - dropped, 1,
				    "allocation %u failing: %u heard", nth,
				    got);
		heard += got;
		lost += fx->doms.events_dropped - dropped;
		KXS_W_RT(test, fx->conn, XS_RM, "/a/b/e\0", XS_RM, "OK\0");
	}
	KUNIT_EXPECT_FALSE(test, hit);
	KUNIT_EXPECT_GT(test, lost, 0);
	KUNIT_EXPECT_GT(test, heard, 0);
}

/* A checkpoint that fails gives nothing and changes nothing. */
static void kxs_nm_checkpoint_save(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_nm_state base, st;
	unsigned int nth;
	bool hit = true;
	int ret;

	kxs_nm_populate(test);
	kxs_w_tx_start(test, fx->conn);
	kxs_nm_save(test, &base);
	for (nth = 1; hit && nth <= KXS_NM_RUNS; nth++) {
		kxs_nm_arm(nth);
		ret = kxs_checkpoint_save(fx->store, &fx->doms, 1, &st.buf,
					  &st.len);
		hit = kxs_nm_disarm();
		if (ret) {
			KUNIT_EXPECT_TRUE(test, hit);
			KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
		} else {
			KUNIT_EXPECT_TRUE_MSG(test, st.len == base.len &&
					      !memcmp(st.buf, base.buf,
						      st.len),
					      "checkpoint, allocation %u failing: not the same bytes",
					      nth);
			kxs_nm_drop(&st);
		}
		kxs_nm_expect_state(test, &base, "checkpoint", nth);
	}
	KUNIT_EXPECT_FALSE(test, hit);
	kxs_nm_drop(&base);
}

/*
 * A restore that fails leaves the store as it was, whether it was to
 * replace a store (in place) or fill a new one (a live update); but one
 * that runs out of memory after the tree is the stream's loses the
 * stream's transactions, and says so (kxs_checkpoint_restore()).
 */
static void kxs_nm_checkpoint_restore(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_nm_req busy = { .c = fx->conn };
	struct kxs_nm_state old, stream, bare;
	long counts[KXS_STAT_NR], nodes;
	struct kxs_domains *doms;
	unsigned int nth;
	bool hit = true;
	u32 *quota;
	char *text;
	int ret;

	/*
	 * The stream: the populated store with more nodes and a transaction
	 * in flight, which the restore parks and this connection adopts.
	 */
	kxs_nm_populate(test);
	kxs_nm_save(test, &old);
	kxs_nm_begin_busy(test, &busy);
	KXS_W_RT(test, fx->conn, XS_WRITE, "/s/t\0u", XS_WRITE, "OK\0");
	kxs_nm_save(test, &stream);
	kxs_nm_tx_abort(test, fx->conn, busy.tx);
	/* The stream's tree without its transaction. */
	kxs_nm_restore(test, &stream);
	kxs_nm_tx_abort(test, fx->conn, busy.tx);
	kxs_nm_save(test, &bare);
	kxs_nm_restore(test, &old);
	kxs_nm_drain_all(test);
	kxs_nm_expect_state(test, &old, "restore", 0);
	kxs_nm_counts(counts);
	for (nth = 1; hit && nth <= KXS_NM_RUNS; nth++) {
		kxs_nm_arm(nth);
		ret = kxs_checkpoint_restore(fx->store, &fx->doms, 1,
					     stream.buf, stream.len);
		hit = kxs_nm_disarm();
		if (!ret) {
			kxs_nm_expect_state(test, &stream, "restore", nth);
			kxs_nm_tx_abort(test, fx->conn, busy.tx);
		} else if (kxs_nm_is(test, &bare)) {
			KUNIT_EXPECT_TRUE(test, hit);
			KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
		} else {
			KUNIT_EXPECT_TRUE(test, hit);
			KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
			kxs_nm_expect_state(test, &old, "restore", nth);
		}
		kxs_fx_expect_check(test, fx->store);
		kxs_nm_restore(test, &old);
		kxs_nm_drain_all(test);
		kxs_nm_expect_counts(test, counts, "restore", nth);
	}
	KUNIT_EXPECT_FALSE(test, hit);

	/* Into a new store and domain table, as a freshly loaded module. */
	doms = kunit_kzalloc(test, sizeof(*doms), GFP_KERNEL);
	quota = kunit_kcalloc(test, KXS_QUOTA_NR, sizeof(*quota), GFP_KERNEL);
	text = kunit_kzalloc(test, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, doms);
	KUNIT_ASSERT_NOT_NULL(test, quota);
	KUNIT_ASSERT_NOT_NULL(test, text);
	nodes = 0;
	hit = true;
	for (nth = 0; hit && nth <= KXS_NM_RUNS; nth++) {
		struct kxs_store *s = kxs_store_create();

		KUNIT_ASSERT_NOT_NULL(test, s);
		KUNIT_ASSERT_EQ(test, kxs_domains_init(doms, quota), 0);
		kxs_nm_arm(nth);
		ret = kxs_checkpoint_restore(s, doms, 1, stream.buf,
					     stream.len);
		hit = kxs_nm_disarm() || !nth;
		/* Run 0 fails nothing: the nodes of the stream's tree. */
		if (!nth) {
			KUNIT_ASSERT_EQ(test, ret, 0);
			nodes = kxs_stat(KXS_STAT_NODES) - counts[KXS_STAT_NODES];
		} else if (ret) {
			long now = kxs_stat(KXS_STAT_NODES) -
				   counts[KXS_STAT_NODES];

			KUNIT_EXPECT_TRUE(test, hit);
			KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
			/* The root only, or the tree without transactions. */
			KUNIT_EXPECT_TRUE_MSG(test, now == 1 ||
					      (now == nodes &&
					       kxs_stat(KXS_STAT_TXS) ==
					       counts[KXS_STAT_TXS]),
					      "restore-new, allocation %u failing: %ld nodes",
					      nth, now);
		}
		KUNIT_EXPECT_EQ_MSG(test, kxs_store_check(s, text, 4096), 0,
				    "%s", text);
		kxs_domains_destroy(doms);
		kxs_store_destroy(s);
		kxs_nm_expect_counts(test, counts, "restore-new", nth);
	}
	KUNIT_EXPECT_FALSE(test, hit);
	kxs_nm_drop(&bare);
	kxs_nm_drop(&stream);
	kxs_nm_drop(&old);
}

/* An open that fails leaves nothing. */
static void kxs_nm_open(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	long counts[KXS_STAT_NR];
	struct kxs_conn *c;
	unsigned int nth;
	bool hit = true;

	kxs_nm_counts(counts);
	for (nth = 1; hit && nth <= KXS_NM_RUNS; nth++) {
		kxs_nm_arm(nth);
		c = kxs_conn_create(fx->store, &fx->doms);
		hit = kxs_nm_disarm();
		if (c) {
			KXS_W_RT(test, c, XS_WRITE, "/o\0v", XS_WRITE, "OK\0");
			KXS_W_RT(test, c, XS_RM, "/o\0", XS_RM, "OK\0");
			kxs_conn_close(c);
		} else {
			KUNIT_EXPECT_TRUE(test, hit);
		}
		kxs_nm_expect_counts(test, counts, "open", nth);
	}
	KUNIT_EXPECT_FALSE(test, hit);
}

static struct kunit_case kxs_nm_cases[] = {
	KUNIT_CASE(kxs_nm_write_new_path),
	KUNIT_CASE(kxs_nm_write_bigger_value),
	KUNIT_CASE(kxs_nm_guest_write),
	KUNIT_CASE(kxs_nm_mkdir),
	KUNIT_CASE(kxs_nm_rm),
	KUNIT_CASE(kxs_nm_set_perms),
	KUNIT_CASE(kxs_nm_directory),
	KUNIT_CASE(kxs_nm_watch),
	KUNIT_CASE(kxs_nm_event_lost_is_counted),
	KUNIT_CASE(kxs_nm_rm_events_heard_or_counted),
	KUNIT_CASE(kxs_nm_tx_note_lost_is_counted),
	KUNIT_CASE(kxs_nm_tx_start),
	KUNIT_CASE(kxs_nm_tx_write),
	KUNIT_CASE(kxs_nm_tx_commit),
	KUNIT_CASE(kxs_nm_introduce),
	KUNIT_CASE(kxs_nm_release),
	KUNIT_CASE(kxs_nm_checkpoint_save),
	KUNIT_CASE(kxs_nm_checkpoint_restore),
	KUNIT_CASE(kxs_nm_open),
	{}
};

static struct kunit_suite kxs_nm_suite = {
	.name = "kxenstore_nomem",
	.init = kxs_nm_init,
	.exit = kxs_nm_exit,
	.test_cases = kxs_nm_cases,
};

kunit_test_suite(kxs_nm_suite);
