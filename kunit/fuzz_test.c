// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: fuzzing the request handler.  Random and mutated frames from
 * several connections at once (the control domain's and guests'), with
 * transactions and watches in flight, checkpoints taken and restored
 * (some of them corrupted) between them.  A run must not crash, splat
 * (KASAN, lockdep, the kernel's debug checks) or leak, and must leave
 * the store consistent and every count back to zero once the
 * connections are closed.
 *
 * One case per seed.  Parameters (kernel command line in UML, e.g.
 * scripts/kunit-run kxenstore_fuzz kxenstore.fuzz_seeds=10; `make fuzz`
 * runs long ones): kxenstore.fuzz_seed (the first seed, default 1),
 * kxenstore.fuzz_seeds (how many, default 3) and
 * kxenstore.fuzz_iterations (frames per seed, default 1500).  Every case
 * prints its seed and what it sent; a failing one is replayed with
 * fuzz_seed=<seed> fuzz_seeds=1.
 */
#include <kunit/test.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "checkpoint.h"
#include "conn.h"
#include "domain.h"
#include "store.h"
#include "kxs_test.h"

static uint fuzz_seed = 1;
module_param(fuzz_seed, uint, 0444);
MODULE_PARM_DESC(fuzz_seed, "KUnit fuzz: first seed");
static uint fuzz_seeds = 3;
module_param(fuzz_seeds, uint, 0444);
MODULE_PARM_DESC(fuzz_seeds, "KUnit fuzz: number of seeds (cases)");
static uint fuzz_iterations = 1500;
module_param(fuzz_iterations, uint, 0444);
MODULE_PARM_DESC(fuzz_iterations, "KUnit fuzz: frames per seed");

#define KXS_FZ_CONNS	4	/* dom0, guest 1, guest 2, dom0 again */
#define KXS_FZ_TXS	4

static const char *const kxs_fz_words[] = {
	"/", "/f", "/f/a", "/f/a/b", "/f/a/b/c", "data", "data/x", "data/x/y",
	"/local/domain/1/f", "/local/domain/2", "@releaseDomain",
	"@introduceDomain", "@releaseDomain/1", "", "//", "/f/", "a b",
	"t", "tok", "0", "1", "2", "7", "65535", "-1", "x", "n0", "r1", "b2",
	"w7", "T", "F", "quota", "check", "set", "nodes", "help", "print",
	"/f/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z",
};

struct kxs_fz {
	struct rnd_state rnd;
	struct kxs_conn *c[KXS_FZ_CONNS];
	u32 txs[KXS_FZ_CONNS][KXS_FZ_TXS];
	u8 *frame;
	u8 *out;
	unsigned long sent, bytes, replies, dead, ckpts, bad_ckpts;
};

static u32 kxs_fz_rnd(struct kxs_fz *z, u32 n)
{
	return n ? prandom_u32_state(&z->rnd) % n : 0;
}

/* (Re)open connection @i: 0 and 3 the control domain's, 1 and 2 guests'. */
static void kxs_fz_open(struct kunit *test, struct kxs_fz *z, int i)
{
	struct kxs_fx *fx = kxs_fx(test);

	if (z->c[i] && z->c[i] != fx->conn)
		kxs_fx_close(test, z->c[i]);
	memset(z->txs[i], 0, sizeof(z->txs[i]));
	if (i == 0)
		z->c[i] = fx->conn;
	else if (i == 3)
		z->c[i] = kxs_fx_conn(test);
	else
		z->c[i] = kxs_fx_guest(test, i);
}

/* Read all that is queued; keep the ids of transactions started. */
static void kxs_fz_drain(struct kxs_fz *z, int i)
{
	struct xsd_sockmsg hdr;
	ssize_t n;

	for (;;) {
		n = kxs_w_read(z->c[i], &hdr, sizeof(hdr));
		if (n <= 0)
			break;
		/* Replies come whole: a header, then its payload. */
		if (n != sizeof(hdr) || hdr.len > KXS_PAYLOAD_MAX)
			break;
		n = hdr.len ? kxs_w_read(z->c[i], z->out, hdr.len) : 0;
		if (n < 0)
			break;
		z->replies++;
		z->out[n] = '\0';
		if (hdr.type == XS_TRANSACTION_START) {
			u32 id;

			if (!kstrtou32(z->out, 10, &id))
				z->txs[i][id % KXS_FZ_TXS] = id;
		}
	}
}

/* Arguments each request type takes (the last, for some, optional). */
static const u8 kxs_fz_argc[27] = {
	[XS_CONTROL] = 2, [XS_DIRECTORY] = 1, [XS_READ] = 1,
	[XS_GET_PERMS] = 1, [XS_WATCH] = 2, [XS_UNWATCH] = 2,
	[XS_TRANSACTION_START] = 1, [XS_TRANSACTION_END] = 1,
	[XS_INTRODUCE] = 3, [XS_RELEASE] = 1, [XS_GET_DOMAIN_PATH] = 1,
	[XS_WRITE] = 2, [XS_MKDIR] = 1, [XS_RM] = 1, [XS_SET_PERMS] = 3,
	[XS_IS_DOMAIN_INTRODUCED] = 1, [XS_RESUME] = 1, [XS_SET_TARGET] = 2,
	[XS_RESET_WATCHES] = 1, [XS_DIRECTORY_PART] = 2,
	[KXS_TYPE_GET_FEATURE] = 1, [KXS_TYPE_SET_FEATURE] = 2,
	[KXS_TYPE_GET_QUOTA] = 2, [KXS_TYPE_SET_QUOTA] = 3,
};

/*
 * A request of words of the vocabulary and random bytes, NULs between:
 * mostly as many as its type takes, so that most get past the parsing.
 */
static size_t kxs_fz_build(struct kxs_fz *z, int i)
{
	struct xsd_sockmsg *hdr = (struct xsd_sockmsg *)z->frame;
	u8 *p = z->frame + sizeof(*hdr);
	size_t len = 0;
	int args, a;

	hdr->type = kxs_fz_rnd(z, 8) ? kxs_fz_rnd(z, 27) : prandom_u32_state(&z->rnd);
	args = hdr->type < ARRAY_SIZE(kxs_fz_argc) && kxs_fz_rnd(z, 4) ?
	       kxs_fz_argc[hdr->type] + kxs_fz_rnd(z, 2) : kxs_fz_rnd(z, 5);
	hdr->req_id = prandom_u32_state(&z->rnd);
	hdr->tx_id = 0;
	if (kxs_fz_rnd(z, 3) == 0)
		hdr->tx_id = z->txs[i][kxs_fz_rnd(z, KXS_FZ_TXS)];
	else if (kxs_fz_rnd(z, 20) == 0)
		hdr->tx_id = prandom_u32_state(&z->rnd);
	for (a = 0; a < args && len < KXS_PAYLOAD_MAX - 128; a++) {
		static const char *const domids[] = { "1", "2", "3", "0", "7" };
		const char *w;
		size_t n;

		/* Domain requests: mostly numbers, about the guests here. */
		if (kxs_fz_rnd(z, 5) &&
		    (hdr->type == XS_INTRODUCE || hdr->type == XS_RELEASE ||
		     hdr->type == XS_RESUME || hdr->type == XS_SET_TARGET ||
		     hdr->type == XS_IS_DOMAIN_INTRODUCED)) {
			w = domids[kxs_fz_rnd(z, ARRAY_SIZE(domids))];
			n = strlen(w) + 1;
			memcpy(p + len, w, n);
			len += n;
			continue;
		}
		if (kxs_fz_rnd(z, 10) == 0) {
			n = kxs_fz_rnd(z, 64);
			prandom_bytes_state(&z->rnd, p + len, n);
			len += n;
		} else {
			w = kxs_fz_words[kxs_fz_rnd(z, ARRAY_SIZE(kxs_fz_words))];
			n = strlen(w);
			memcpy(p + len, w, n);
			len += n;
		}
		if (kxs_fz_rnd(z, 8))
			p[len++] = '\0';
	}
	/* Now and then, a value as long as a payload can be. */
	if (kxs_fz_rnd(z, 50) == 0) {
		size_t n = KXS_PAYLOAD_MAX - len;

		memset(p + len, 'v', n);
		len += n;
	}
	hdr->len = len;
	len += sizeof(*hdr);
	/* Mutations: bytes flipped, a length that lies, a frame cut short. */
	switch (kxs_fz_rnd(z, 24)) {
	case 0:
		z->frame[kxs_fz_rnd(z, len)] ^= 1 + kxs_fz_rnd(z, 255);
		break;
	case 1:
		hdr->len = kxs_fz_rnd(z, 2) ? prandom_u32_state(&z->rnd) :
			   kxs_fz_rnd(z, KXS_PAYLOAD_MAX + 2);
		break;
	case 2:
		len = kxs_fz_rnd(z, len) + 1;
		break;
	}
	return len;
}

/* INTRODUCE and RELEASE a guest: its connections end. */
static void kxs_fz_release(struct kxs_fz *z, u16 domid)
{
	char req[16];
	size_t n;

	n = snprintf(req, sizeof(req), "%u%c7%c1", domid, 0, 0) + 1;
	n = kxs_w_msg(z->frame, XS_INTRODUCE, 1, 0, req, n);
	kxs_w_write(z->c[0], z->frame, n);
	kxs_fz_drain(z, 0);
	n = snprintf(req, sizeof(req), "%u", domid) + 1;
	n = kxs_w_msg(z->frame, XS_RELEASE, 2, 0, req, n);
	kxs_w_write(z->c[0], z->frame, n);
	kxs_fz_drain(z, 0);
}

/* A checkpoint restored as it is (a no-op), or corrupted (refused or whole). */
static void kxs_fz_checkpoint(struct kunit *test, struct kxs_fz *z,
			      u32 seed)
{
	struct kxs_fx *fx = kxs_fx(test);
	size_t len, len2;
	u8 *a, *b;
	int ret;

	KUNIT_ASSERT_EQ(test, kxs_checkpoint_save(fx->store, &fx->doms, 1, &a,
						  &len), 0);
	if (kxs_fz_rnd(z, 3)) {
		ret = kxs_checkpoint_restore(fx->store, &fx->doms, 1, a, len);
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "seed %u: restore", seed);
		KUNIT_ASSERT_EQ(test, kxs_checkpoint_save(fx->store, &fx->doms,
							  1, &b, &len2), 0);
		KUNIT_EXPECT_TRUE_MSG(test, len == len2 && !memcmp(a, b, len),
				      "seed %u: a restore of the store changed it",
				      seed);
		kvfree(b);
		z->ckpts++;
	} else {
		a[kxs_fz_rnd(z, len)] ^= 1 + kxs_fz_rnd(z, 255);
		kxs_checkpoint_restore(fx->store, &fx->doms, 1, a, len);
		z->bad_ckpts++;
	}
	kvfree(a);
	kxs_fx_expect_check(test, fx->store);
}

static void kxs_fz_run(struct kunit *test)
{
	const u32 *param = test->param_value;
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_fz *z = kunit_kzalloc(test, sizeof(*z), GFP_KERNEL);
	unsigned int nr_txs, nr_watches, nr_conns;
	unsigned long dropped, it;
	u32 seed = *param;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, z);
	z->frame = kunit_kzalloc(test, KXS_MSG_MAX, GFP_KERNEL);
	z->out = kunit_kzalloc(test, KXS_PAYLOAD_MAX + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, z->frame);
	KUNIT_ASSERT_NOT_NULL(test, z->out);
	prandom_seed_state(&z->rnd, seed);
	for (i = 0; i < KXS_FZ_CONNS; i++)
		kxs_fz_open(test, z, i);
	/* Something for the guests to work on. */
	KXS_W_RT(test, fx->conn, XS_MKDIR, "/local/domain/1/data\0", XS_MKDIR,
		 "OK\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/local/domain/1/data\0b1\0r2\0",
		 XS_SET_PERMS, "OK\0");
	KXS_W_RT(test, fx->conn, XS_MKDIR, "/local/domain/2/data\0", XS_MKDIR,
		 "OK\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/local/domain/2/data\0b2\0",
		 XS_SET_PERMS, "OK\0");

	for (it = 0; it < fuzz_iterations; it++) {
		size_t len;

		i = kxs_fz_rnd(z, KXS_FZ_CONNS);
		len = kxs_fz_build(z, i);
		kxs_w_write(z->c[i], z->frame, len);
		z->sent++;
		z->bytes += len;
		kxs_fz_drain(z, i);
		for (i = 1; i < KXS_FZ_CONNS; i++) {
			if (!READ_ONCE(z->c[i]->ctx.dead))
				continue;
			/* Released: a new connection for the domain. */
			kxs_fz_drain(z, i);
			kxs_fz_open(test, z, i);
			z->dead++;
		}
		i = 0;
		if (kxs_fz_rnd(z, 150) == 0)
			kxs_fz_checkpoint(test, z, seed);
		/* Now and then, a guest's domain goes away. */
		if (kxs_fz_rnd(z, 300) == 0)
			kxs_fz_release(z, 1 + kxs_fz_rnd(z, 2));
		/* A connection may start over now and then. */
		if (i && kxs_fz_rnd(z, 200) == 0)
			kxs_fz_open(test, z, i);
		for (i = 0; i < KXS_FZ_CONNS; i++)
			kxs_fz_drain(z, i);
	}

	kunit_info(test, "seed %u: %lu frames (%lu bytes), %lu replies and events, %lu connections ended, %lu checkpoints restored, %lu corrupted\n",
		   seed, z->sent, z->bytes, z->replies, z->dead, z->ckpts,
		   z->bad_ckpts);
	kxs_fx_expect_check(test, fx->store);
	/* Every guest connection closed: its domain holds nothing. */
	for (i = 1; i < KXS_FZ_CONNS; i++)
		kxs_fx_close(test, z->c[i]);
	for (i = 1; i <= 2; i++) {
		if (kxs_domain_usage(&fx->doms, i, &nr_txs, &nr_watches,
				     &nr_conns, &dropped))
			continue;
		KUNIT_EXPECT_EQ_MSG(test, nr_txs + nr_watches + nr_conns, 0U,
				    "seed %u: domain %d still counts %u transactions, %u watches, %u connections",
				    seed, i, nr_txs, nr_watches, nr_conns);
	}
}

static u32 kxs_fz_seed_values[64];

static const void *kxs_fz_params(const void *prev, char *desc)
{
	const u32 *p = prev;
	unsigned int n = min_t(uint, fuzz_seeds, ARRAY_SIZE(kxs_fz_seed_values));

	p = p ? p + 1 : kxs_fz_seed_values;
	if (p == kxs_fz_seed_values) {
		unsigned int i;

		for (i = 0; i < n; i++)
			kxs_fz_seed_values[i] = fuzz_seed + i;
	}
	if (p >= kxs_fz_seed_values + n)
		return NULL;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "seed %u", *p);
	return p;
}

static int kxs_fz_init(struct kunit *test)
{
	return kxs_fx_init(test);
}

static void kxs_fz_exit(struct kunit *test)
{
	kxs_fx_exit(test);
}

static struct kunit_case kxs_fz_cases[] = {
	KUNIT_CASE_PARAM_ATTR(kxs_fz_run, kxs_fz_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite kxs_fz_suite = {
	.name = "kxenstore_fuzz",
	.init = kxs_fz_init,
	.exit = kxs_fz_exit,
	.test_cases = kxs_fz_cases,
};

kunit_test_suite(kxs_fz_suite);
