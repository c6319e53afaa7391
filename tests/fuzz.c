// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer of what a user reaches, run in the test VM: several processes
 * at once send random and mutated frames to /dev/xen/xenbus through
 * write() (split across calls, cut short, oversize, with wrong lengths,
 * types and transaction ids, on blocking and non-blocking files) and
 * through the request ioctl (random lengths, sizes, flags and bad
 * pointers), read replies back in pieces of random sizes, close files
 * mid-frame, bind connections to guests whose domains get introduced
 * and released under them, and read checkpoints from
 * /sys/module/kxenstore/checkpoint and write them back mutated (bit
 * flips, cuts, splices, changed lengths, ids and flags).  The KUnit
 * fuzz suite drives the request handler inside UML; this one goes
 * through the real file operations, sysfs and the real kernel's
 * scheduling on two vCPUs.
 *
 * Besides no crash, splat or hang (vm-run fails the run on any kernel
 * splat; a process stuck past the deadline is reported with its kernel
 * stack), what must hold while it runs:
 *
 *  - write() returns what the framing says (the kernel's framer is
 *    modelled byte for byte: every byte taken in, a message refused
 *    with E2BIG, or a stop at a message's start when the reply queue is
 *    full or the connection was killed);
 *  - every request taken in gets one reply, in order, echoing req_id
 *    and tx_id, of the request's type or XS_ERROR with an errno name;
 *    no reply announces more than 4096 bytes; events are well-formed;
 *  - the ioctls fail exactly as their arguments say;
 *  - a connection of the control domain never ends; CONTROL "check"
 *    answers "OK" whenever it is asked; every checkpoint read whole is
 *    a valid stream.
 *
 * And afterwards, once every process has exited, the domains the run
 * touched are released, the quotas and the special paths' permissions
 * are set back, and the checkpoint read before the run is written back:
 * the same checkpoint bytes (but for last_tx), the same
 * checkpoint_omits, the same object counts (/sys/module/kxenstore/stats)
 * as before the run, CONTROL "check" OK, and the device still answering.
 *
 * Environment: KXS_FUZZ_SECONDS (default 15), KXS_FUZZ_SEED (default
 * from the clock; printed as "# seed N"), KXS_FUZZ_PROCS (default 4, at
 * most 32), KXS_FUZZ_KINDS (default "write,ioctl,checkpoint": what the
 * processes send), KXS_FUZZ_DEEP (default 1: paths of as many as the
 * ~1500 components a path can have among the others; 0: of 40 at most,
 * many more frames a second).  Process i draws from
 * seed + i; the processes run concurrently, so a seed replays each
 * one's choices, not their interleaving.  The case's timeout
 * (KXS_CASE_TIMEOUT) is raised to the run's length plus a margin; for
 * runs of minutes raise run-all's KXS_TEST_TIMEOUT too.  The grace for
 * the processes to stop after the deadline (20 s) and the reply limits
 * are multiplied by KXS_TIME_SCALE (see xst_scaled_ms()).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kxenstore.h>

#include "lib/xstest.h"

#define SYSDIR		"/sys/module/kxenstore/"
#define STATS		SYSDIR "stats"
#define CKPT		SYSDIR "checkpoint"
#define OMITS		SYSDIR "checkpoint_omits"
#define CK_GUEST	SYSDIR "parameters/checkpoint_guest"
#define ROOT		"/kxs-fuzz"

#define MAX_PROCS	32
#define MAX_CONNS	4		/* connections per process */
#define MAX_DOMS	4		/* guest domains of the run */
#define MAX_TXS		16		/* open transactions kept per conn */
#define MAX_KNOWN	64		/* ids seen anywhere, per process */
#define OWED_MAX	8192		/* > replies the queue can hold */
#define TRACE_LEN	16
#define FRAME_ROOM	(XST_MSG_MAX + 1024)	/* a frame, mutated */
#define WRITE_FRAMES	4		/* frames per write() at most */
#define MAX_QUOTAS	16
#define GRACE_MS	xst_scaled_ms(20000)	/* for the processes to stop */

#define PICK(a)		((a)[rnd(ARRAY_SIZE(a))])

enum { K_WRITE = 1, K_IOCTL = 2, K_CKPT = 4 };

/* What the run is: set by main() and the case before the processes fork. */
static struct {
	unsigned int seconds, procs, kinds;
	bool deep;			/* paths of ~1500 components */
	unsigned long long seed;
	long long deadline;		/* xst_now_ms() */
	unsigned int guest;		/* checkpoint_guest */
	unsigned int doms[MAX_DOMS], ndoms;
	char quota[MAX_QUOTAS][32];	/* the quota names */
	unsigned int nquota;
} cfg;

/*
 * What each process did, in shared memory: counts for the summary, and
 * its last operations, printed if it fails or gets stuck.
 */
struct wstat {
	unsigned long frames, taken, ioctls, ckpt_writes, ckpt_applied;
	unsigned long ckpt_reads, replies, events, reopens, killed;
	unsigned long e2big, eagain, ioc_errors, errors;
	unsigned long by_errno[16];	/* XS_ERROR replies, errno_names[] */
	unsigned int trace_n;
	char trace[TRACE_LEN][200];
};

static struct wstat *shm, *me;

static __attribute__((format(printf, 1, 2))) void trace(const char *fmt, ...)
{
	va_list ap;

	if (!me)
		return;
	va_start(ap, fmt);
	vsnprintf(me->trace[me->trace_n % TRACE_LEN], sizeof(me->trace[0]),
		  fmt, ap);
	va_end(ap);
	me->trace_n++;
}

/* ---- random numbers: splitmix64, one stream per process ------------------ */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint64_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static bool one_in(unsigned int n)
{
	return !rnd(n);
}

/* Not a macro: its arguments are often random draws, to take once. */
static size_t min_z(size_t a, size_t b)
{
	return a < b ? a : b;
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* ---- payloads ------------------------------------------------------------ */

struct pl {
	size_t len;
	unsigned char b[FRAME_ROOM];
};

static size_t pl_room(const struct pl *p)
{
	return p->len < XST_PAYLOAD_MAX ? XST_PAYLOAD_MAX - p->len : 0;
}

/* Bytes, cut at the payload limit. */
static void pl_bytes(struct pl *p, const void *s, size_t n)
{
	n = min_z(n, pl_room(p));
	memcpy(p->b + p->len, s, n);
	p->len += n;
}

/* A string and its NUL. */
static void pl_str(struct pl *p, const char *s)
{
	pl_bytes(p, s, strlen(s) + 1);
}

static __attribute__((format(printf, 2, 3))) void pl_fmt(struct pl *p,
							   const char *fmt,
							   ...)
{
	char s[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	pl_str(p, s);
}

/* ---- what requests are made of ------------------------------------------- */

static const char *const suffixes[] = {
	"", "/a", "/a/b", "/a/b/c", "/a/d", "/e", "/e/f", "/g-h_i",
	"/a/b/c/d/e/f/g",
};

static const char *const home_suffixes[] = {
	"", "/data", "/data/x", "/device/vif/0", "/kxs-fuzz",
};

static const char *const relatives[] = {
	"data", "data/x", "device/vif/0/state", "kxs-fuzz", "kxs-fuzz/a",
};

static const char *const bad_paths[] = {
	"", "//", ROOT "/", ROOT "//a", "/kxs fuzz", ROOT "/a\x01", "a//b",
	"/local/domain/0/../x", "\xff", "@", "@bogus", "/@x", "data/", ".",
};

static const char *const tops[] = {
	"/", "/local", "/local/domain", "/local/domain/0", "/tool",
};

static const char *const tokens[] = {
	"t0", "t1", "t2", "t3", "tok", "", "a/b", "@x",
};

static const char *const numbers[] = {
	"0", "1", "2", "100", "4294967295", "4294967296", "-1", "x", "",
	"007",
};

/* A domain id: mostly the run's guests. */
static unsigned int pick_domid(void)
{
	static const unsigned int others[] = {
		0, 7777, 0x7fef, 0x7ff0, 0xffff, 70000,
	};

	if (cfg.ndoms && !one_in(8))
		return cfg.doms[rnd(cfg.ndoms)];
	return PICK(others);
}

/* A path for a request of a connection of domain @me. */
static void pick_path(char *out, size_t size, unsigned int me)
{
	unsigned int r = rnd(100), len, i;
	size_t o;

	/* a guest mostly where it may write: its home */
	if (me && r < 40) {
		if (one_in(3))
			snprintf(out, size, "/local/domain/%u%s", me,
				 PICK(home_suffixes));
		else
			snprintf(out, size, "%s", PICK(relatives));
		return;
	}
	r = rnd(100);
	if (r < 40) {
		snprintf(out, size, ROOT "%s", PICK(suffixes));
	} else if (r < 60) {
		snprintf(out, size, "/local/domain/%u%s", pick_domid(),
			 PICK(home_suffixes));
	} else if (r < 75) {
		snprintf(out, size, "%s", PICK(relatives));
	} else if (r < 82) {
		static const char *const specials[] = {
			"@introduceDomain", "@releaseDomain",
			"@releaseDomain/%u", "@introduceDomain/%u",
		};

		snprintf(out, size, PICK(specials), pick_domid());
	} else if (r < 92) {
		snprintf(out, size, "%s", PICK(bad_paths));
	} else if (r < 98) {
		/* Around the limits: 2048 relative, 3072 absolute. */
		static const unsigned int lens[] = {
			2047, 2048, 2049, 3071, 3072, 3073,
		};

		len = min_z(PICK(lens), size - 1);
		o = 0;
		if (one_in(2))
			o = snprintf(out, size, ROOT "/");
		if (one_in(3)) {
			/* many components: the most a path can have, or 40 */
			if (!cfg.deep)
				len = min_z(len, o + 80);
			for (i = 0; o + 2 <= len; i++) {
				out[o++] = 'd';
				out[o++] = '/';
			}
			if (o)
				o--;
		} else {
			memset(out + o, 'y', len - o);
			o = len;
		}
		out[o] = 0;
	} else {
		snprintf(out, size, "%s", PICK(tops));
	}
}

/* A value: mostly short, sometimes up to what the payload has room for. */
static void pl_value(struct pl *p)
{
	unsigned int r = rnd(100), n, i;
	unsigned char v[XST_PAYLOAD_MAX];

	if (r < 60)
		n = rnd(17);
	else if (r < 90)
		n = 17 + rnd(240);
	else if (r < 98)
		n = 257 + rnd(1800);
	else
		n = pl_room(p);
	n = min_z(n, pl_room(p));
	for (i = 0; i < n; i++)
		v[i] = one_in(2) ? 'a' + rnd(26) : rnd(256);
	pl_bytes(p, v, n);
}

static void pl_perms(struct pl *p)
{
	static const char letters[] = "nrwbnrwbx";
	unsigned int n = 1 + rnd(4), i = 0;

	/* mostly open to all, so that guests keep their way in */
	if (one_in(2)) {
		pl_fmt(p, "b%u", one_in(2) ? 0 : pick_domid());
		i++;
	}
	for (; i < n; i++) {
		if (one_in(30))
			pl_str(p, "");
		else if (one_in(30))
			pl_fmt(p, "%c0%u", letters[rnd(8)], pick_domid());
		else
			pl_fmt(p, "%c%u", letters[rnd(sizeof(letters) - 1)],
			       one_in(3) ? 0 : pick_domid());
	}
}

static void pl_quota_name(struct pl *p)
{
	if (cfg.nquota && !one_in(10))
		pl_str(p, cfg.quota[rnd(cfg.nquota)]);
	else
		pl_str(p, one_in(2) ? "bogus" : "");
}

/* A quota value, not so small that the control domain's work stalls. */
static void pl_quota_value(struct pl *p)
{
	static const char *const vals[] = {
		"0", "1", "5", "100", "1000", "8192", "x", "4294967296",
	};

	pl_str(p, PICK(vals));
}

/* The weights of the request types, per thousand. */
static const struct {
	uint32_t type;
	unsigned int weight;
} type_weights[] = {
	{ XS_READ, 120 }, { XS_WRITE, 150 }, { XS_MKDIR, 50 },
	{ XS_RM, 60 }, { XS_DIRECTORY, 60 }, { XS_DIRECTORY_PART, 40 },
	{ XS_GET_PERMS, 40 }, { XS_SET_PERMS, 50 }, { XS_WATCH, 50 },
	{ XS_UNWATCH, 30 }, { XS_TRANSACTION_START, 50 },
	{ XS_TRANSACTION_END, 50 }, { XS_RESET_WATCHES, 10 },
	{ XS_GET_DOMAIN_PATH, 20 }, { XS_IS_DOMAIN_INTRODUCED, 20 },
	{ XS_INTRODUCE, 20 }, { XS_RELEASE, 1 }, { XS_RESUME, 10 },
	{ XS_SET_TARGET, 10 }, { XST_GET_FEATURE, 10 },
	{ XST_SET_FEATURE, 10 }, { XST_GET_QUOTA, 15 },
	{ XST_SET_QUOTA, 15 }, { XS_CONTROL, 25 }, { ~0u, 21 },
};

static uint32_t pick_type(void)
{
	static const uint32_t garbage[] = {
		XS_WATCH_EVENT, XS_ERROR, 20 /* RESTRICT */, 27, 28, 99,
		0xffff, 0xffffffff,
	};
	unsigned int total = 0, i, r;

	for (i = 0; i < ARRAY_SIZE(type_weights); i++)
		total += type_weights[i].weight;
	r = rnd(total);
	for (i = 0; r >= type_weights[i].weight; i++)
		r -= type_weights[i].weight;
	if (type_weights[i].type != ~0u)
		return type_weights[i].type;
	return one_in(4) ? (uint32_t)rnd64() : PICK(garbage);
}

/* ---- connections and the kernel's framing, as seen from here ------------- */

enum { W_PLAIN, W_CHECK, W_TX_START, W_TX_END, W_RESET };

/* A reply a request taken in is owed. */
struct owed {
	uint32_t type, req_id, tx_id;
	uint8_t what;
};

struct conn {
	int fd;
	unsigned int domid;		/* 0: the control domain */
	bool blocking, used, dead;
	/* the partial message the kernel holds (kxs_conn_write()) */
	size_t in_len;
	unsigned char in[XST_MSG_MAX];
	/* bytes read back that are not a whole message yet */
	size_t rd_len;
	unsigned char rd[XST_MSG_MAX];
	unsigned int owed_head, owed_n;
	struct owed owed[OWED_MAX];
	uint32_t txs[MAX_TXS];
	unsigned int ntxs;
};

/* Transaction ids seen by this process: replies, checkpoints. */
static uint32_t known[MAX_KNOWN];
static unsigned int nknown;

static void know_tx(struct conn *c, uint32_t id)
{
	known[nknown++ % MAX_KNOWN] = id;
	if (c && c->ntxs < MAX_TXS)
		c->txs[c->ntxs++] = id;
	else if (c)
		c->txs[rnd(MAX_TXS)] = id;
}

static void forget_tx(struct conn *c, uint32_t id)
{
	unsigned int i, n = c->ntxs;

	for (i = 0; i < n; i++)
		if (c->txs[i] == id) {
			c->txs[i] = c->txs[--n];
			c->ntxs = n;
			return;
		}
}

static uint32_t pick_tx(struct conn *c)
{
	unsigned int r = rnd(100), n = c->ntxs;

	if (r < 80)
		return 0;
	if (r < 95)
		return n ? c->txs[rnd(n)] : 0;
	if (r < 98 && nknown)
		return known[rnd(min_z(nknown, MAX_KNOWN))];
	switch (rnd(5)) {
	case 0:
		return 1;
	case 1:
		return 2 + rnd(64);
	case 2:
		return 0xffffffff;
	default:
		return (uint32_t)rnd64();
	}
}

/* The payload of a request of @type. */
static void gen_payload(struct conn *c, uint32_t type, struct pl *p)
{
	char path[3200];
	unsigned int d = pick_domid(), i;

	pick_path(path, sizeof(path), c->domid);
	switch (type) {
	case XS_READ:
	case XS_MKDIR:
	case XS_RM:
	case XS_DIRECTORY:
	case XS_GET_PERMS:
		pl_str(p, path);
		break;
	case XS_WRITE:
		pl_str(p, path);
		pl_value(p);
		break;
	case XS_DIRECTORY_PART:
		pl_str(p, path);
		pl_str(p, PICK(numbers));
		break;
	case XS_SET_PERMS:
		pl_str(p, path);
		pl_perms(p);
		break;
	case XS_WATCH:
	case XS_UNWATCH:
		pl_str(p, path);
		pl_str(p, PICK(tokens));
		if (type == XS_WATCH && one_in(5))
			pl_str(p, PICK(numbers));
		break;
	case XS_TRANSACTION_START:
		pl_str(p, one_in(10) ? "x" : "");
		break;
	case XS_TRANSACTION_END:
		pl_str(p, one_in(20) ? "X" : one_in(3) ? "F" : "T");
		break;
	case XS_RESET_WATCHES:
		if (!one_in(3))
			pl_str(p, one_in(5) ? "x" : "");
		break;
	case XS_INTRODUCE:
		pl_fmt(p, "%u", d);
		pl_fmt(p, "%u", one_in(10) ? rnd(5000) : 1000 + d);
		pl_fmt(p, "%u", rnd(64));
		break;
	case XS_GET_DOMAIN_PATH:
	case XS_IS_DOMAIN_INTRODUCED:
	case XS_RELEASE:
	case XS_RESUME:
		if (one_in(10))
			pl_str(p, PICK(numbers));
		else
			pl_fmt(p, "%u", d);
		break;
	case XS_SET_TARGET:
		pl_fmt(p, "%u", d);
		pl_fmt(p, "%u", pick_domid());
		break;
	case XST_GET_FEATURE:
		if (!one_in(3))
			pl_fmt(p, "%u", d);
		break;
	case XST_SET_FEATURE:
		pl_fmt(p, "%u", d);
		pl_str(p, PICK(numbers));
		break;
	case XST_GET_QUOTA:
		if (one_in(4))
			break;
		if (one_in(2))
			pl_fmt(p, "%u", d);
		pl_quota_name(p);
		break;
	case XST_SET_QUOTA:
		/* Global quotas rarely: they are set back at the end. */
		if (!one_in(10))
			pl_fmt(p, "%u", d);
		pl_quota_name(p);
		pl_quota_value(p);
		break;
	case XS_CONTROL:
		switch (rnd(12)) {
		case 0:
			pl_str(p, "help");
			break;
		case 1:
			pl_str(p, "quota");
			break;
		case 2:
			pl_str(p, "quota");
			pl_fmt(p, "%u", d);
			break;
		case 3:
			pl_str(p, "quota");
			pl_str(p, "set");
			pl_quota_name(p);
			pl_quota_value(p);
			break;
		case 4:
			pl_str(p, "check");
			pl_str(p, "x");
			break;
		case 5:
			pl_str(p, one_in(2) ? "bogus" : "");
			break;
		case 6:
			/* fixed: the kernel log is scanned for splats */
			if (one_in(4)) {
				pl_str(p, "print");
				pl_str(p, "kxs-fuzz");
				break;
			}
			/* fall through */
		default:
			pl_str(p, "check");
			break;
		}
		break;
	default:
		/* garbage types: a path, or random bytes */
		if (one_in(2)) {
			pl_str(p, path);
		} else {
			unsigned char v[64];

			for (i = 0; i < sizeof(v); i++)
				v[i] = rnd(256);
			pl_bytes(p, v, rnd(sizeof(v)));
		}
		break;
	}
}

/* Change a frame of @n bytes (room for FRAME_ROOM); returns its length. */
static size_t mutate_frame(unsigned char *f, size_t n)
{
	static const uint32_t lens[] = {
		0, 1, 15, 16, 4095, 4096, 4097, 0xffff, 0x80000000, 0xffffffff,
	};
	static const unsigned char chars[] = { 0, '/', '@', ' ', 0xff, '.' };
	unsigned int rounds = 1 + rnd(3), i, k, flips;
	size_t add;

	for (k = 0; k < rounds; k++) {
		switch (rnd(9)) {
		case 0:
			flips = n ? 1 + rnd(4) : 0;
			for (i = 0; i < flips; i++)
				f[rnd(n)] ^= 1 << rnd(8);
			break;
		case 1:
			if (n >= 16) {
				if (one_in(2))
					put32(f + 12, PICK(lens));
				else
					put32(f + 12, n - 16 + rnd(7) - 3);
			}
			break;
		case 2:
			if (n >= 16)
				put32(f, one_in(2) ? pick_type() :
					 (uint32_t)rnd64());
			break;
		case 3:
			n = rnd(n + 1);
			break;
		case 4:
			add = min_z(1 + rnd(64), FRAME_ROOM - n);
			for (i = 0; i < add; i++)
				f[n + i] = rnd(256);
			n += add;
			break;
		case 5:
			if (n > 16)
				f[16 + rnd(n - 16)] = PICK(chars);
			break;
		case 6:
			if (n >= 16)
				put32(f + 8, one_in(2) ? 0xffffffff :
					     (uint32_t)rnd64());
			break;
		case 7:
			/* a whole frame over the payload limit */
			add = XST_PAYLOAD_MAX + 1 + rnd(900);
			if (n >= 16 && 16 + add <= FRAME_ROOM) {
				memset(f + n, 'z', 16 + add - min_z(n, 16 + add));
				n = 16 + add;
				put32(f + 12, add);
			}
			break;
		default:
			if (n >= 16)
				put32(f + 4, 0);	/* req_id 0 */
			break;
		}
	}
	return n;
}

/* A request into @out (FRAME_ROOM bytes), mutated one time in six. */
static size_t gen_frame(struct conn *c, unsigned char *out)
{
	static struct pl p;
	uint32_t type = pick_type();
	size_t n;

	p.len = 0;
	gen_payload(c, type, &p);
	put32(out, type);
	put32(out + 4, (uint32_t)rnd64());
	put32(out + 8, type == XS_TRANSACTION_END && c->ntxs && !one_in(5) ?
		       c->txs[rnd(c->ntxs)] : pick_tx(c));
	put32(out + 12, p.len);
	memcpy(out + 16, p.b, p.len);
	n = 16 + p.len;
	if (one_in(6))
		n = mutate_frame(out, n);
	return n;
}

static const char *const errno_names[] = {
	"EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC",
	"EIO", "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN",
	"E2BIG", "EPERM",
};

static const char *conn_name(const struct conn *c)
{
	return xst_fmt("fd %d (domain %u%s)", c->fd, c->domid,
		       c->blocking ? ", blocking" : "");
}

/* A reply (by read() or the ioctl) to the request @o describes. */
static void check_reply(struct conn *c, const struct xsd_sockmsg *h,
			const unsigned char *body, const struct owed *o,
			const char *via)
{
	unsigned long v;
	char *end;
	size_t i;

	if (h->req_id != o->req_id || h->tx_id != o->tx_id)
		FAIL("%s: %s reply %s %s has req_id %#x tx_id %#x; the request it answers (%s) had %#x %#x",
		     conn_name(c), via, xst_type_name(h->type),
		     xst_esc(body, h->len), h->req_id, h->tx_id,
		     xst_type_name(o->type), o->req_id, o->tx_id);
	if (h->type != o->type && h->type != XS_ERROR)
		FAIL("%s: %s reply of type %s %s to a %s request",
		     conn_name(c), via, xst_type_name(h->type),
		     xst_esc(body, h->len), xst_type_name(o->type));
	if (h->type == XS_ERROR) {
		for (i = 0; i < ARRAY_SIZE(errno_names); i++)
			if (h->len == strlen(errno_names[i]) + 1 &&
			    !memcmp(body, errno_names[i], h->len))
				break;
		if (i == ARRAY_SIZE(errno_names))
			FAIL("%s: %s XS_ERROR to %s is not an errno name: %s",
			     conn_name(c), via, xst_type_name(o->type),
			     xst_esc(body, h->len));
		me->errors++;
		me->by_errno[i]++;
		/* ended, or not there: all but a bad argument */
		if (o->what == W_TX_END && strcmp((const char *)body,
						  "EINVAL"))
			forget_tx(c, h->tx_id);
		return;
	}
	switch (o->what) {
	case W_CHECK:
		if (h->len != 3 || memcmp(body, "OK", 3))
			FAIL("%s: CONTROL check answered %s", conn_name(c),
			     xst_esc(body, h->len));
		break;
	case W_TX_START:
		v = h->len ? strtoul((const char *)body, &end, 10) : 0;
		if (!h->len || body[h->len - 1] || !v || v > UINT32_MAX ||
		    end != (const char *)body + h->len - 1)
			FAIL("%s: TRANSACTION_START answered %s", conn_name(c),
			     xst_esc(body, h->len));
		know_tx(c, v);
		break;
	case W_TX_END:
		forget_tx(c, h->tx_id);
		break;
	case W_RESET:
		c->ntxs = 0;	/* it ended them all */
		break;
	}
}

/* What the reply to a whole request (header, then payload) is checked on. */
static struct owed owed_of(const unsigned char *msg)
{
	struct owed o = {
		.type = get32(msg), .req_id = get32(msg + 4),
		.tx_id = get32(msg + 8), .what = W_PLAIN,
	};
	uint32_t len = get32(msg + 12);

	if (o.type == XS_CONTROL && len == 6 && !memcmp(msg + 16, "check", 6))
		o.what = W_CHECK;
	else if (o.type == XS_TRANSACTION_START)
		o.what = W_TX_START;
	else if (o.type == XS_TRANSACTION_END)
		o.what = W_TX_END;
	else if (o.type == XS_RESET_WATCHES)
		o.what = W_RESET;
	return o;
}

static void owe(struct conn *c, const unsigned char *msg)
{
	if (c->owed_n == OWED_MAX)
		FAIL("%s: %u replies owed: the reply queue has no bound",
		     conn_name(c), OWED_MAX);
	c->owed[(c->owed_head + c->owed_n++) % OWED_MAX] = owed_of(msg);
	me->taken++;
}

/* A whole message read back. */
static void got_msg(struct conn *c, const unsigned char *msg)
{
	struct xsd_sockmsg h;
	const unsigned char *body = msg + 16;
	size_t i, nuls = 0;

	memcpy(&h, msg, sizeof(h));
	if (h.type == XS_WATCH_EVENT) {
		for (i = 0; i < h.len; i++)
			nuls += !body[i];
		if (h.req_id || h.tx_id || h.len < 3 || !body[0] ||
		    body[h.len - 1] || nuls != 2)
			FAIL("%s: malformed WATCH_EVENT req_id %#x tx_id %#x %s",
			     conn_name(c), h.req_id, h.tx_id,
			     xst_esc(body, h.len));
		me->events++;
		return;
	}
	if (!c->owed_n)
		FAIL("%s: reply %s req_id %#x %s, but no request is owed one",
		     conn_name(c), xst_type_name(h.type), h.req_id,
		     xst_esc(body, h.len));
	check_reply(c, &h, body, &c->owed[c->owed_head], "read()");
	c->owed_head = (c->owed_head + 1) % OWED_MAX;
	c->owed_n--;
	me->replies++;
}

/* Bytes to the end of the header, or of the message, of @len so far. */
static size_t frame_want(const unsigned char *hdr, size_t len)
{
	return len < 16 ? 16 - len : 16 + get32(hdr + 12) - len;
}

/* Are the @len bytes at @buf one whole message? */
static bool frame_whole(const unsigned char *buf, size_t len)
{
	return len >= 16 && len == 16 + get32(buf + 12);
}

static void conn_feed(struct conn *c, const unsigned char *p, size_t n)
{
	size_t want, k;

	while (n) {
		want = frame_want(c->rd, c->rd_len);
		k = min_z(want, n);
		memcpy(c->rd + c->rd_len, p, k);
		c->rd_len += k;
		p += k;
		n -= k;
		if (c->rd_len == 16 && get32(c->rd + 12) > XST_PAYLOAD_MAX)
			FAIL("%s: a message read announces %u payload bytes",
			     conn_name(c), get32(c->rd + 12));
		if (frame_whole(c->rd, c->rd_len)) {
			got_msg(c, c->rd);
			c->rd_len = 0;
		}
	}
}

static short conn_poll(struct conn *c, short events)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };

	if (poll(&pfd, 1, 0) < 0)
		FAIL("poll: %s", strerror(errno));
	return pfd.revents;
}

/* A guest's connection ended (its domain was released). */
static void conn_killed(struct conn *c, const char *how)
{
	if (!c->domid)
		FAIL("%s: a control domain connection ended: %s",
		     conn_name(c), how);
	c->dead = true;
}

/*
 * Memory for bad pointers: GUARD_ROOM bytes to read and write, then a
 * page of neither (@guard), then a page only to read (@rdonly).
 */
#define GUARD_ROOM	8192
static unsigned char *guard;
static unsigned char *rdonly;

static void setup_pages(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *m = mmap(NULL, GUARD_ROOM + 2 * pg,
				PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(m != MAP_FAILED, "mmap: %m");
	guard = m + GUARD_ROOM;
	rdonly = guard + pg;
	CHECK(!mprotect(guard, pg, PROT_NONE), "mprotect: %m");
	CHECK(!mprotect(rdonly, pg, PROT_READ), "mprotect: %m");
}

/* Read replies back in pieces of random sizes, @rounds read()s at most. */
static void conn_drain(struct conn *c, int rounds)
{
	static const unsigned int sizes[] = { 16, 4112, 1, 17, 8192, 16384 };
	static unsigned char buf[16384];
	unsigned char *at;
	size_t want, room = 0;
	ssize_t r;
	bool bad;

	while (rounds-- > 0 && !c->dead) {
		want = one_in(2) ? PICK(sizes) : 1 + rnd(sizeof(buf));
		want = min_z(want, sizeof(buf));
		at = buf;
		bad = one_in(50);
		if (bad) {
			/* read into the page before the inaccessible one */
			room = rnd(64);
			at = guard - room;
		}
		if (c->blocking &&
		    !(conn_poll(c, POLLIN) & (POLLIN | POLLHUP)))
			return;
		r = read(c->fd, at, want);
		if (r < 0 && errno == EAGAIN) {
			if (c->blocking)
				FAIL("%s: read() said EAGAIN on a blocking file",
				     conn_name(c));
			return;
		}
		if (r < 0 && errno == EFAULT && bad)
			continue;
		if (r < 0)
			FAIL("%s: read(%zu): %s", conn_name(c), want,
			     strerror(errno));
		if (bad && (size_t)r > room)
			FAIL("%s: read() put %zd bytes where %zu fit",
			     conn_name(c), r, room);
		if (!r) {
			if (c->rd_len)
				FAIL("%s: end of file in the middle of a message (%zu bytes)",
				     conn_name(c), c->rd_len);
			conn_killed(c, "read() returned 0");
			return;
		}
		if (bad)
			memcpy(buf, at, r);
		conn_feed(c, buf, r);
	}
}

/*
 * What write() of @n bytes at @p returns by the kernel's framer
 * (kxs_conn_write()), from the partial message it holds, when nothing
 * stops it early: @n, or for a header announcing more than
 * XST_PAYLOAD_MAX bytes the bytes of the whole messages before it, or
 * -E2BIG if there are none.
 */
static ssize_t framer_predict(const struct conn *c, const unsigned char *p,
			      size_t n)
{
	unsigned char hdr[16];
	size_t in_len = c->in_len, i = 0, msg_start = 0, want, k;

	memcpy(hdr, c->in, min_z(in_len, 16));
	while (i < n) {
		if (!in_len)
			msg_start = i;
		want = frame_want(hdr, in_len);
		k = min_z(want, n - i);
		if (in_len < 16)
			memcpy(hdr + in_len, p + i, k);
		in_len += k;
		i += k;
		if (in_len == 16 && get32(hdr + 12) > XST_PAYLOAD_MAX)
			return msg_start ? (ssize_t)msg_start : -E2BIG;
		if (frame_whole(hdr, in_len))
			in_len = 0;
	}
	return n;
}

/*
 * The kernel took in the first @n bytes at @p: each message they
 * complete is owed a reply.  False if they hold a header the kernel
 * must have refused.
 */
static bool framer_take(struct conn *c, const unsigned char *p, size_t n)
{
	size_t want, k;

	while (n) {
		want = frame_want(c->in, c->in_len);
		k = min_z(want, n);
		memcpy(c->in + c->in_len, p, k);
		c->in_len += k;
		p += k;
		n -= k;
		if (c->in_len == 16 && get32(c->in + 12) > XST_PAYLOAD_MAX)
			return false;
		if (frame_whole(c->in, c->in_len)) {
			owe(c, c->in);
			c->in_len = 0;
		}
	}
	return true;
}

static bool conn_hung_up(struct conn *c)
{
	return c->domid && (conn_poll(c, 0) & POLLHUP);
}

/*
 * One write() (or writev()) of @n bytes at @p, checked against the
 * framing.  Returns true if all of them were taken in.
 */
static bool write_chunk(struct conn *c, const unsigned char *p, size_t n)
{
	size_t lim = n, cut1, cut2;
	unsigned int mode = rnd(100);
	const unsigned char *src = p;
	struct iovec iov[3];
	ssize_t pred, r;
	int err;

	if (mode < 3 && n) {
		/* the bytes after @lim are on the inaccessible page */
		lim = rnd(min_z(n, GUARD_ROOM));
		src = guard - lim;
		memcpy((unsigned char *)src, p, lim);
	}
	pred = framer_predict(c, p, lim);
	if (mode >= 3 && mode < 18 && n >= 2) {
		cut1 = rnd(n + 1);
		cut2 = cut1 + rnd(n - cut1 + 1);
		iov[0] = (struct iovec){ (void *)p, cut1 };
		iov[1] = (struct iovec){ (void *)(p + cut1), cut2 - cut1 };
		iov[2] = (struct iovec){ (void *)(p + cut2), n - cut2 };
		r = writev(c->fd, iov, 3);
	} else {
		r = write(c->fd, src, n);
	}
	err = errno;
	if (r >= 0) {
		/* Never more than the framing says, never nothing. */
		if (!r || r > (pred < 0 ? 0 : pred))
			FAIL("%s: write() of %zu bytes returned %zd, the framing says %zd",
			     conn_name(c), n, r, pred);
		c->used = true;
		if (!framer_take(c, p, r)) {
			if (!conn_hung_up(c))
				FAIL("%s: write() of %zu bytes returned %zd: it took in a header announcing %u bytes",
				     conn_name(c), n, r, get32(c->in + 12));
			c->dead = true;
			return false;
		}
		/*
		 * Fewer bytes: a stop where a message starts (the reply
		 * queue is full), at the fault, or a killed connection.
		 */
		if (r < pred && c->in_len && lim == n && !conn_hung_up(c))
			FAIL("%s: write() of %zu bytes returned %zd in the middle of a message (%zu bytes of it taken), the framing says %zd",
			     conn_name(c), n, r, c->in_len, pred);
		if (r < pred && conn_hung_up(c))
			c->dead = true;
		return (size_t)r == n;
	}
	switch (err) {
	case EAGAIN:
		if (c->blocking || c->in_len)
			FAIL("%s: write() said EAGAIN %s", conn_name(c),
			     c->blocking ? "on a blocking file" :
			     "in the middle of a message");
		me->eagain++;
		break;
	case E2BIG:
		if (pred != -E2BIG && !conn_hung_up(c))
			FAIL("%s: write() of %zu bytes said E2BIG, the framing says %zd",
			     conn_name(c), n, pred);
		c->in_len = 0;
		c->used = true;
		me->e2big++;
		break;
	case EPIPE:
		conn_killed(c, "write() said EPIPE");
		break;
	case EFAULT:
		if (lim == n)
			FAIL("%s: write() said EFAULT", conn_name(c));
		break;
	case ENOMEM:
		break;
	default:
		FAIL("%s: write(%zu): %s", conn_name(c), n, strerror(err));
	}
	return false;
}

/* One to four requests, some mutated, in one to four write()s. */
static void op_write(struct conn *c)
{
	static unsigned char buf[WRITE_FRAMES * FRAME_ROOM];
	unsigned int nf = one_in(2) ? 1 : 1 + rnd(WRITE_FRAMES), i;
	size_t n = 0, off = 0, k;
	ssize_t r;

	for (i = 0; i < nf; i++)
		n += gen_frame(c, buf + n);
	me->frames += nf;
	trace("%s: write %u frames, %zu bytes, first %s req_id %#x tx_id %#x len %u",
	      conn_name(c), nf, n, xst_type_name(get32(buf)), get32(buf + 4),
	      get32(buf + 8), get32(buf + 12));
	if (c->blocking) {
		/* a blocking write waits for room in the reply queue */
		conn_drain(c, 1000);
		if (c->dead)
			return;
	}
	if (one_in(200)) {
		r = write(c->fd, buf, 0);
		if (r != 0)
			FAIL("%s: write() of 0 bytes returned %zd (%s)",
			     conn_name(c), r, strerror(errno));
	}
	while (off < n && !c->dead) {
		k = n - off;
		if (one_in(4))
			k = 1 + rnd(k);
		if (!write_chunk(c, buf + off, k))
			break;
		off += k;
	}
}

/*
 * A guest was released: introduce it again and give it back its home,
 * by well-formed requests on @ctl, a control domain connection.
 */
static void rehome(struct conn *ctl, unsigned int d)
{
	static unsigned char buf[3 * FRAME_ROOM];
	static struct pl p;
	const char *home = xst_home(d);
	size_t n = 0;
	int i;

	if (ctl->dead || ctl->domid || ctl->in_len)
		return;
	for (i = 0; i < 3; i++) {
		p.len = 0;
		if (i == 0) {
			pl_fmt(&p, "%u", d);
			pl_fmt(&p, "%u", 1000 + d);
			pl_str(&p, "1");
		} else {
			pl_str(&p, home);
			if (i == 2)
				pl_fmt(&p, "n%u", d);
		}
		put32(buf + n, i == 0 ? XS_INTRODUCE :
			       i == 1 ? XS_MKDIR : XS_SET_PERMS);
		put32(buf + n + 4, (uint32_t)rnd64());
		put32(buf + n + 8, 0);
		put32(buf + n + 12, p.len);
		memcpy(buf + n + 16, p.b, p.len);
		n += 16 + p.len;
	}
	trace("%s: introduce %u again, its home too", conn_name(ctl), d);
	if (ctl->blocking)
		conn_drain(ctl, 1000);
	if (!ctl->dead)
		write_chunk(ctl, buf, n);
}

/* KXS_IOC_REQUEST, with random arguments now and then. */
static void op_ioctl(struct conn *c)
{
	static unsigned char req[2 * FRAME_ROOM], rep[XST_MSG_MAX + 64];
	struct kxs_ioc_request a = { 0 };
	size_t n = gen_frame(c, req), readable;
	uint32_t hlen = get32(req + 12);
	const unsigned char *rq = req;
	unsigned char *rp = rep;
	struct xsd_sockmsg h;
	struct owed o;
	void *argp = &a;
	int pred, err, r;
	bool reply_bad = false, handled = false;

	me->ioctls++;
	a.request_len = n;
	if (one_in(12)) {
		static const uint32_t lens[] = { 0, 1, 15, 16, 0xffffffff };

		a.request_len = one_in(2) ? PICK(lens) : n + rnd(5) - 2;
	}
	a.reply_size = XST_MSG_MAX;
	if (one_in(20)) {
		static const uint32_t sizes[] = {
			0, 16, XST_MSG_MAX - 1, XST_MSG_MAX + 1, 0xffffffff,
		};

		a.reply_size = PICK(sizes);
	}
	if (one_in(40))
		a.flags = 1u << rnd(32);
	readable = sizeof(req);
	switch (rnd(60)) {
	case 0:
		/* the request runs into the inaccessible page */
		readable = rnd(min_z(n, GUARD_ROOM) + 1);
		memcpy(guard - readable, req, readable);
		rq = guard - readable;
		break;
	case 1:
		rq = NULL;
		readable = 0;
		break;
	case 2:
		rp = rdonly;
		reply_bad = true;
		break;
	case 3:
		rp = NULL;
		reply_bad = true;
		break;
	case 4:
		argp = one_in(2) ? NULL : guard;
		break;
	}
	a.request = (uintptr_t)rq;
	a.reply = (uintptr_t)rp;
	a.reply_len = 0xdeadbeef;

	if (argp != &a)
		pred = EFAULT;
	else if (a.flags || a.reply_size < KXS_IOC_MSG_MAX)
		pred = EINVAL;
	else if (a.request_len < 16)
		pred = EINVAL;
	else if (readable < 16)
		pred = EFAULT;
	else if (hlen > XST_PAYLOAD_MAX)
		pred = E2BIG;
	else if (a.request_len != 16 + hlen)
		pred = EINVAL;
	else if (c->dead)
		pred = EPIPE;
	else if (readable < a.request_len)
		pred = EFAULT;
	else
		pred = reply_bad ? EFAULT : 0;
	handled = pred == 0 || (pred == EFAULT && reply_bad &&
				readable >= a.request_len && argp == &a);
	trace("%s: ioctl %s req_id %#x tx_id %#x len %u request_len %u reply_size %u flags %#x, expecting %s",
	      conn_name(c), xst_type_name(get32(req)), get32(req + 4),
	      get32(req + 8), hlen, a.request_len, a.reply_size, a.flags,
	      pred ? strerror(pred) : "a reply");
	memset(rep, 0x5a, sizeof(rep));
	r = ioctl(c->fd, KXS_IOC_REQUEST, argp);
	err = r ? errno : 0;
	if (r && r != -1)
		FAIL("%s: ioctl returned %d", conn_name(c), r);
	if (err && err != pred) {
		if (err == EPIPE && (!pred || pred == EFAULT))
			conn_killed(c, "the request ioctl said EPIPE");
		else if (err != ENOMEM)
			FAIL("%s: KXS_IOC_REQUEST %s len %u request_len %u reply_size %u flags %#x: %s, expected %s",
			     conn_name(c), xst_type_name(get32(req)), hlen,
			     a.request_len, a.reply_size, a.flags,
			     strerror(err), pred ? strerror(pred) : "success");
	}
	if (err)
		me->ioc_errors++;
	if (!err && pred)
		FAIL("%s: KXS_IOC_REQUEST %s len %u request_len %u reply_size %u flags %#x succeeded, expected %s",
		     conn_name(c), xst_type_name(get32(req)), hlen,
		     a.request_len, a.reply_size, a.flags, strerror(pred));
	if (handled && err == pred)
		c->used = true;
	if (err)
		return;
	memcpy(&h, rep, sizeof(h));
	if (h.len > XST_PAYLOAD_MAX || a.reply_len != 16 + h.len)
		FAIL("%s: KXS_IOC_REQUEST %s: reply_len %u, reply header len %u",
		     conn_name(c), xst_type_name(get32(req)), a.reply_len,
		     h.len);
	o = owed_of(req);
	check_reply(c, &h, rep + 16, &o, "ioctl");
}

/* The bind ioctl and other ioctls, with errors as their arguments say. */
static void op_bind(struct conn *c)
{
	static const uint32_t ids[] = { 0, 0x7ff0, 0xffff, 70000, 1 };
	uint32_t domid = one_in(2) ? cfg.doms[rnd(cfg.ndoms)] : PICK(ids);
	uint32_t flags = one_in(8) ? 1u << rnd(32) : 0;
	int pred, err;

	if (one_in(6)) {
		err = ioctl(c->fd, _IO(KXS_IOC_MAGIC, 3 + rnd(20)), 0) ?
		      errno : 0;
		if (err != ENOTTY)
			FAIL("%s: an unknown ioctl said %s, expected ENOTTY",
			     conn_name(c), strerror(err));
		return;
	}
	if (one_in(6)) {
		err = ioctl(c->fd, KXS_IOC_BIND_DOMAIN, NULL) ? errno : 0;
		if (err != EFAULT)
			FAIL("%s: KXS_IOC_BIND_DOMAIN of NULL said %s, expected EFAULT",
			     conn_name(c), strerror(err));
		return;
	}
	if (flags || domid > 0xffff)
		pred = EINVAL;
	else if (c->used)
		pred = EBUSY;
	else if (!domid || domid >= 0x7ff0)
		pred = EINVAL;
	else if (c->domid)
		pred = EBUSY;
	else
		pred = 0;
	trace("%s: bind to %u flags %#x, expecting %s", conn_name(c), domid,
	      flags, pred ? strerror(pred) : "success");
	err = xst_bind_errno(c->fd, domid, flags);
	if (err != pred && err != ENOMEM)
		FAIL("%s (%s): KXS_IOC_BIND_DOMAIN to %u flags %#x: %s, expected %s",
		     conn_name(c), c->used ? "used" : "unused", domid, flags,
		     err ? strerror(err) : "success",
		     pred ? strerror(pred) : "success");
	if (!err)
		c->domid = domid;
}

static void conn_open(struct conn *c, unsigned int domid)
{
	int err;

	if (c->fd >= 0)
		close(c->fd);
	c->blocking = one_in(4);
	c->fd = open(xst_dev_path(), O_RDWR | O_CLOEXEC |
		     (c->blocking ? 0 : O_NONBLOCK));
	if (c->fd < 0)
		FAIL("open %s: %s", xst_dev_path(), strerror(errno));
	c->domid = 0;
	c->used = false;
	c->dead = false;
	c->in_len = 0;
	c->rd_len = 0;
	c->owed_head = 0;
	c->owed_n = 0;
	c->ntxs = 0;
	if (domid) {
		err = xst_bind_errno(c->fd, domid, 0);
		if (err)
			FAIL("KXS_IOC_BIND_DOMAIN to %u: %s", domid,
			     strerror(err));
		c->domid = domid;
	}
}

/* A domain for a connection: the control domain or one of the guests. */
static unsigned int pick_role(void)
{
	return one_in(3) || !cfg.ndoms ? 0 : cfg.doms[rnd(cfg.ndoms)];
}

/* ---- checkpoints --------------------------------------------------------- */

#define CP_FIELDS	256

/*
 * A stream walked by its grammar (Documentation/checkpoint.rst), with a
 * sample of where its fields are, for mutations.
 */
struct cp {
	const unsigned char *p;
	size_t len, off;
	bool cut;			/* it ended before its end */
	unsigned int depth;
	uint32_t last_tx;
	unsigned int nr_tx, ntx;	/* transactions, those recorded */
	uint32_t tx_id[64], tx_dom[64];
	unsigned int n_u32, n_flag, n_str, seen_u32, seen_flag, seen_str;
	uint32_t u32_at[CP_FIELDS], flag_at[CP_FIELDS], str_at[CP_FIELDS];
	/* children (name to the node's end), values, permission strings */
	unsigned int n_child, n_val, n_perm, seen_child, seen_val, seen_perm;
	uint32_t child_at[CP_FIELDS], child_end[CP_FIELDS];
	uint32_t val_at[CP_FIELDS], val_len[CP_FIELDS], perm_at[CP_FIELDS];
};

/* Keep a sample of CP_FIELDS of the offsets seen; the slot used or -1. */
static int cp_note(uint32_t *at, unsigned int *n, unsigned int *seen,
		   size_t off)
{
	unsigned int j = rnd(++*seen);

	if (*n < CP_FIELDS)
		j = (*n)++;
	else if (j >= CP_FIELDS)
		return -1;
	at[j] = off;
	return j;
}

static bool cp_u32(struct cp *s, uint32_t *v)
{
	if (s->len - s->off < 4) {
		s->cut = true;
		return false;
	}
	cp_note(s->u32_at, &s->n_u32, &s->seen_u32, s->off);
	*v = get_be32(s->p + s->off);
	s->off += 4;
	return true;
}

/* An asciiz; *@empty if it is "". */
static bool cp_str(struct cp *s, bool *empty)
{
	const unsigned char *nul = memchr(s->p + s->off, 0, s->len - s->off);

	if (!nul) {
		s->cut = true;
		return false;
	}
	*empty = nul == s->p + s->off;
	if (!*empty)
		cp_note(s->str_at, &s->n_str, &s->seen_str, s->off);
	s->off = nul - s->p + 1;
	return true;
}

static bool cp_node(struct cp *s)
{
	bool empty, ok = false;
	uint32_t v;
	uint8_t f;
	int slot;

	s->depth++;
	if (s->off >= s->len) {
		s->cut = true;
		goto out;
	}
	cp_note(s->flag_at, &s->n_flag, &s->seen_flag, s->off);
	f = s->p[s->off++];
	if (f == 4) {
		ok = cp_u32(s, &v);
		goto out;
	}
	if (f & ~3 || !cp_u32(s, &v) || v > XST_PAYLOAD_MAX)
		goto out;
	if (s->len - s->off < v) {
		s->cut = true;
		goto out;
	}
	slot = v ? cp_note(s->val_at, &s->n_val, &s->seen_val, s->off) : -1;
	if (slot >= 0)
		s->val_len[slot] = v;
	s->off += v;
	do {
		if (s->off < s->len && s->p[s->off])
			cp_note(s->perm_at, &s->n_perm, &s->seen_perm, s->off);
		if (!cp_str(s, &empty))
			goto out;
	} while (!empty);
	/* no deeper than a path can be: 3072 / 2 + 1 */
	if (s->depth > 1537)
		goto out;
	for (;;) {
		size_t at = s->off;

		if (!cp_str(s, &empty))
			goto out;
		if (empty)
			break;
		if (!cp_node(s))
			goto out;
		slot = cp_note(s->child_at, &s->n_child, &s->seen_child, at);
		if (slot >= 0)
			s->child_end[slot] = s->off;
	}
	ok = true;
out:
	s->depth--;
	return ok;
}

/*
 * Walk a stream by its grammar, as the kernel's scanner does (sysfs.c):
 * false (s->off where it went wrong; s->cut if it ended early) if it is
 * not one.
 */
static bool cp_parse(struct cp *s, const unsigned char *p, size_t len)
{
	uint32_t v, base, dom;
	bool empty;

	memset(s, 0, sizeof(*s));
	s->p = p;
	s->len = len;
	if (!cp_u32(s, &s->last_tx) || !cp_u32(s, &v) || !cp_node(s))
		return false;
	for (;;) {
		if (!cp_u32(s, &base))
			return false;
		if (!base)
			break;
		if (!cp_u32(s, &dom) || !cp_u32(s, &v))
			return false;
		if (s->ntx < ARRAY_SIZE(s->tx_id)) {
			s->tx_id[s->ntx] = v;
			s->tx_dom[s->ntx++] = dom;
		}
		s->nr_tx++;
		if (!cp_node(s))
			return false;
	}
	for (;;) {
		if (!cp_str(s, &empty))
			return false;
		if (empty)
			break;
		if (!cp_str(s, &empty))
			return false;
	}
	return s->off == s->len;
}

/*
 * Read a whole checkpoint with pread()s of @chunk bytes (0: random
 * sizes) into *@buf (realloc()ed, *@cap its size); 0 and its length in
 * *@len, or the errno of a read.
 */
static int ckpt_read(unsigned char **buf, size_t *cap, size_t *len,
		     size_t chunk)
{
	int fd = open(CKPT, O_RDONLY | O_CLOEXEC), err = 0;
	size_t want;
	ssize_t r;

	if (fd < 0)
		return errno;
	*len = 0;
	for (;;) {
		if (*cap - *len < 8192) {
			*cap = *cap * 2 + 65536;
			*buf = realloc(*buf, *cap);
			CHECK(*buf, "out of memory");
		}
		want = chunk ? chunk : 1 + rnd(one_in(4) ? 64 : 8192);
		r = pread(fd, *buf + *len, want, *len);
		if (r < 0) {
			err = errno;
			break;
		}
		if (!r)
			break;
		*len += r;
	}
	close(fd);
	return err;
}

/*
 * Write @len bytes at @p to the checkpoint file from offset 0, in
 * pieces; 0 if every write succeeded, or the first write's errno.
 */
static int ckpt_write(const unsigned char *p, size_t len, bool odd_pieces,
		      bool probe)
{
	int fd = open(CKPT, O_WRONLY | O_CLOEXEC), err = 0;
	size_t off = 0, k;
	ssize_t r;

	if (fd < 0)
		return errno;
	while (off < len) {
		k = 4096;
		if (odd_pieces)
			k = one_in(2) ? 1 + rnd(64) : 1 + rnd(4096);
		k = min_z(k, len - off);
		if (probe && off && one_in(8)) {
			/* not where the stream goes on: always refused */
			r = pwrite(fd, p + off, 1, off + 1 + rnd(9));
			if (r >= 0 || errno != EINVAL)
				FAIL("a write to %s at offset %zu (not %zu) returned %zd (%s), expected EINVAL",
				     CKPT, off + 1, off, r,
				     r < 0 ? strerror(errno) : "no error");
		}
		r = pwrite(fd, p + off, k, off);
		if (r < 0) {
			err = errno;
			break;
		}
		if (!r || (size_t)r > k)
			FAIL("a write of %zu bytes to %s at %zu returned %zd",
			     k, CKPT, off, r);
		off += r;
	}
	close(fd);
	return err;
}

static void fail_stream(const char *what, const unsigned char *p, size_t len,
			size_t at)
{
	size_t from = at > 32 ? at - 32 : 0;

	FAIL("%s: %zu bytes, not a valid stream at byte %zu: ...%s...", what,
	     len, at, xst_esc(p + from, min_z(len - from, 64)));
}

/* Open @l bytes at @at in the @n bytes at @b, which have room. */
static void gap(unsigned char *b, size_t n, size_t at, size_t l)
{
	if (at < n)
		memmove(b + at + l, b + at, n - at);
}

/*
 * One change that mostly keeps a stream loadable: a child removed or
 * copied elsewhere, a value scribbled on, a permission or a flag changed.
 * Returns the new length.
 */
static size_t cp_mutate_fair(unsigned char *b, size_t n, size_t cap,
			     const struct cp *s)
{
	static const char letters[] = "nrwb";
	size_t at, end, l, to, i;
	unsigned int k;

	switch (rnd(5)) {
	case 0:
		if (!s->n_child)
			break;
		k = rnd(s->n_child);
		at = s->child_at[k];
		end = s->child_end[k];
		memmove(b + at, b + end, n - end);
		return n - (end - at);
	case 1:
		/* after another child: the same name twice, or elsewhere */
		if (!s->n_child)
			break;
		k = rnd(s->n_child);
		at = s->child_at[k];
		l = s->child_end[k] - at;
		to = s->child_end[rnd(s->n_child)];
		if (n + l > cap)
			break;
		gap(b, n, to, l);
		memmove(b + to, b + at + (at >= to ? l : 0), l);
		return n + l;
	case 2:
		if (!s->n_val)
			break;
		k = rnd(s->n_val);
		l = 1 + rnd(4);
		for (i = 0; i < l; i++)
			b[s->val_at[k] + rnd(s->val_len[k])] = rnd(256);
		break;
	case 3:
		if (!s->n_perm)
			break;
		at = s->perm_at[rnd(s->n_perm)];
		b[at] = letters[rnd(4)];
		if (one_in(3) && b[at + 1] && b[at + 1] != '0')
			b[at + 1] = '0' + rnd(10);
		break;
	default:
		if (s->n_flag)
			b[s->flag_at[rnd(s->n_flag)]] ^= 1 << rnd(2);
		break;
	}
	return n;
}

/*
 * Up to three changes of any kind: bits, fields, cuts, splices, bytes
 * after the end.  Returns the new length.
 */
static size_t cp_mutate_wild(unsigned char *b, size_t n, size_t cap,
			     const struct cp *s)
{
	static const unsigned char flags[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 0x80, 0xff,
	};
	static const unsigned char chars[] = {
		'/', '@', ' ', 0, 0xff, '.', 'x',
	};
	unsigned int rounds = 1 + rnd(3), k, i;
	size_t a, l, at;
	uint32_t v;

	for (k = 0; k < rounds && n; k++) {
		switch (rnd(10)) {
		case 0:
			b[rnd(n)] ^= 1 << rnd(8);
			break;
		case 1:
			if (!s->n_u32)
				break;
			at = s->u32_at[rnd(s->n_u32)];
			if (at + 4 > n)
				break;
			switch (rnd(8)) {
			case 0:
				v = rnd(4);
				break;
			case 1:
				v = s->last_tx + rnd(3);
				break;
			case 2:
				v = s->ntx ? s->tx_id[rnd(s->ntx)] : 2;
				break;
			case 3:
				v = one_in(2) ? 0x7fef : 0x7ff0;
				break;
			case 4:
				v = XST_PAYLOAD_MAX + rnd(2);
				break;
			case 5:
				v = 0xffffffff - rnd(2);
				break;
			case 6:
				v = cfg.ndoms ? cfg.doms[rnd(cfg.ndoms)] : 1;
				break;
			default:
				v = (uint32_t)rnd64();
				break;
			}
			put_be32(b + at, v);
			break;
		case 2:
			if (s->n_flag) {
				at = s->flag_at[rnd(s->n_flag)];
				if (at < n)
					b[at] = PICK(flags);
			}
			break;
		case 3:
			if (s->n_str) {
				at = s->str_at[rnd(s->n_str)];
				at += rnd(8);
				if (at < n)
					b[at] = PICK(chars);
			}
			break;
		case 4:
			n = rnd(n);
			break;
		case 5:
			/* a copy of a piece of it, inserted elsewhere */
			a = rnd(n);
			l = min_z(1 + rnd(512), n - a);
			at = rnd(n + 1);
			if (n + l > cap)
				break;
			gap(b, n, at, l);
			memmove(b + at, b + a + (a >= at ? l : 0), l);
			n += l;
			break;
		case 6:
			a = rnd(n);
			l = min_z(1 + rnd(256), n - a);
			memmove(b + a, b + a + l, n - a - l);
			n -= l;
			break;
		case 7:
			/* trailing bytes, or a second stream */
			l = min_z(one_in(2) ? n : 1 + rnd(16), cap - n);
			if (l == n)
				memcpy(b + n, b, l);
			else
				for (i = 0; i < l; i++)
					b[n + i] = rnd(256);
			n += l;
			break;
		case 8:
			l = min_z(1 + rnd(8), cap - n);
			at = rnd(n + 1);
			if (n + l > cap)
				break;
			gap(b, n, at, l);
			for (i = 0; i < l; i++)
				b[at + i] = rnd(256);
			n += l;
			break;
		default:
			/* a u32 with a neighbour's value: lengths, ids */
			if (s->n_u32 >= 2) {
				at = s->u32_at[rnd(s->n_u32)];
				a = s->u32_at[rnd(s->n_u32)];
				if (at + 4 <= n && a + 4 <= n)
					memmove(b + at, b + a, 4);
			}
			break;
		}
	}
	return n;
}

/* Mutate a stream of @n bytes in place (room for @cap); its new length. */
static size_t cp_mutate(unsigned char *b, size_t n, size_t cap,
			const struct cp *s)
{
	if (one_in(2))
		return cp_mutate_fair(b, n, cap, s);
	return cp_mutate_wild(b, n, cap, s);
}

/*
 * Read a checkpoint (it must be a valid stream) and, mostly, write it
 * back mutated.
 */
static void op_checkpoint(void)
{
	static unsigned char *buf;
	static size_t cap;
	size_t len, wlen, i;
	struct cp *s = calloc(1, sizeof(*s));
	int err, fd;
	char c;
	bool whole, valid;

	CHECK(s, "out of memory");
	if (one_in(8)) {
		/* a read past 0 on a file that took no snapshot */
		fd = open(CKPT, O_RDONLY | O_CLOEXEC);
		CHECK(fd >= 0, "open %s: %m", CKPT);
		if (pread(fd, &c, 1, 1 + rnd(100)) >= 0 || errno != ESTALE)
			FAIL("a read of %s at a non-zero offset on a new file did not fail with ESTALE (%s)",
			     CKPT, strerror(errno));
		close(fd);
	}
	me->ckpt_reads++;
	err = ckpt_read(&buf, &cap, &len, one_in(2) ? 4096 : 0);
	trace("checkpoint read: %zu bytes, %s", len,
	      err ? strerror(err) : "whole");
	if (err == ESTALE || err == ENOMEM) {
		/* evicted by a fifth reader, or no memory: try again later */
		free(s);
		return;
	}
	if (err)
		FAIL("read %s: %s", CKPT, strerror(err));
	if (!cp_parse(s, buf, len))
		fail_stream("a checkpoint read", buf, len, s->off);
	for (i = 0; i < s->ntx; i++)
		know_tx(NULL, s->tx_id[i]);
	if (one_in(5)) {
		free(s);
		return;
	}
	if (cap < 2 * len + 4096) {
		cap = 2 * len + 4096;
		buf = realloc(buf, cap);
		CHECK(buf, "out of memory");
		s->p = buf;
	}
	wlen = len;
	whole = one_in(20);
	if (!whole)
		wlen = cp_mutate(buf, len, cap, s);
	valid = cp_parse(s, buf, wlen);
	trace("checkpoint write: %zu of %zu bytes%s, %s", wlen, len,
	      whole ? ", as read" : ", mutated",
	      valid ? "a stream" : s->cut ? "cut short" : "not a stream");
	err = ckpt_write(buf, wlen, one_in(3), one_in(10));
	me->ckpt_writes++;
	/*
	 * Every write taken: nobody else started a stream in between, so
	 * the scanner saw it all, and must have refused one that is not a
	 * stream.
	 */
	if (!err && !valid && !s->cut)
		fail_stream("the checkpoint file took a write", buf, wlen,
			    s->off);
	if (!err && valid)
		me->ckpt_applied++;
	free(s);
}

/* ---- the processes ------------------------------------------------------- */

static noreturn void worker(unsigned int idx)
{
	struct conn *conns = calloc(MAX_CONNS, sizeof(*conns)), *c;
	unsigned int nconns, i, op;
	long long next_ckpt, mean = idx ? 1500 : 250;

	/* checkpoints alone: one after another */
	if (!(cfg.kinds & (K_WRITE | K_IOCTL)))
		mean = 10;

	CHECK(conns, "out of memory");
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	rng_state = cfg.seed + idx;
	me = &shm[idx];
	setup_pages();
	nconns = 2 + rnd(MAX_CONNS - 1);
	for (i = 0; i < nconns; i++) {
		conns[i].fd = -1;
		conn_open(&conns[i], i == 0 ? 0 :
			  i == 1 && cfg.ndoms ? cfg.doms[idx % cfg.ndoms] :
			  pick_role());
	}
	next_ckpt = xst_now_ms() + rnd(2 * mean);
	while (xst_now_ms() < cfg.deadline) {
		c = &conns[rnd(nconns)];
		if (c->dead) {
			me->killed++;
			rehome(&conns[0], c->domid);
			conn_open(c, one_in(4) ? pick_role() : c->domid);
			continue;
		}
		if ((cfg.kinds & K_CKPT) && xst_now_ms() >= next_ckpt) {
			op_checkpoint();
			next_ckpt = xst_now_ms() + rnd(2 * mean);
			continue;
		}
		op = rnd(1000);
		if (op < 500 && (cfg.kinds & K_WRITE)) {
			op_write(c);
		} else if (op < 750 && (cfg.kinds & K_IOCTL)) {
			op_ioctl(c);
		} else if (op < 970) {
			conn_drain(c, 1 + rnd(8));
		} else if (op < 985) {
			/* close it, whatever it holds: half a frame too */
			trace("%s: closed with %zu bytes of a frame, %u replies owed",
			      conn_name(c), c->in_len, c->owed_n);
			me->reopens++;
			conn_open(c, one_in(3) ? pick_role() : c->domid);
		} else if (!c->dead) {
			op_bind(c);
		}
		if (c->owed_n > OWED_MAX / 2)
			conn_drain(c, 100000);
	}
	for (i = 0; i < nconns; i++) {
		conn_drain(&conns[i], 100);
		close(conns[i].fd);
	}
	fflush(NULL);
	_exit(0);
}

/* ---- before and after ---------------------------------------------------- */

static const char *stats_str(const long v[XST_NSTATS])
{
	static char buf[512];
	size_t o = 0;
	int i;

	for (i = 0; i < XST_NSTATS; i++)
		o += snprintf(buf + o, sizeof(buf) - o, "%s%s %ld",
			      i ? ", " : "", xst_stat_names[i], v[i]);
	return buf;
}

/* A text file's contents (to free()), or NULL with errno. */
static char *read_text_errno(const char *path)
{
	char buf[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	err = errno;
	close(fd);
	if (n < 0) {
		errno = err;
		return NULL;
	}
	buf[n] = 0;
	return strdup(buf);
}

static char *read_text(const char *path)
{
	char *s = read_text_errno(path);

	CHECK(s, "read %s: %m", path);
	return s;
}

/* Is "domain @d" a line of checkpoint_omits @omits? */
static bool omits_domain(const char *omits, unsigned int d)
{
	const char *line = xst_fmt("domain %u\n", d);
	const char *p = omits;

	while ((p = strstr(p, line))) {
		if (p == omits || p[-1] == '\n')
			return true;
		p++;
	}
	return false;
}

/* The domains of "domain D" lines of @now that @before does not have. */
static unsigned int omits_new_domains(const char *before, const char *now,
				      unsigned int *out, unsigned int max)
{
	const char *p = now;
	unsigned int d, n = 0;

	while (p && *p && n < max) {
		if (sscanf(p, "domain %u", &d) == 1 && !omits_domain(before, d))
			out[n++] = d;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

/* A request on the control connection; the reply's payload as a string. */
static const char *call(int d0, uint32_t type, uint32_t tx_id,
			const struct xst_buf *p, uint32_t *reply_type)
{
	static struct xst_msg m;

	xst_call(d0, type, tx_id, p->b, p->len, &m);
	if (reply_type)
		*reply_type = m.hdr.type;
	return (const char *)m.body;
}

/* What the run changes outside the tree, to be set back. */
static struct {
	char *omits;
	long stats[XST_NSTATS];
	unsigned char *stream;
	size_t stream_len;
	uint32_t quota[MAX_QUOTAS];
	struct xst_buf special_perms[2];
} before;

static const char *const specials[2] = {
	"@introduceDomain", "@releaseDomain",
};

static void save_state(int d0)
{
	char names[XST_PAYLOAD_MAX + 1], *tok, *save;
	uint32_t type;
	size_t cap = 0;
	struct cp *s = calloc(1, sizeof(*s));
	unsigned int i;
	int err;

	CHECK(s, "out of memory");
	snprintf(names, sizeof(names), "%s",
		 call(d0, XST_GET_QUOTA, 0, XST_STRS(""), &type));
	CHECK(type == XST_GET_QUOTA, "GET_QUOTA: %s", names);
	cfg.nquota = 0;
	for (tok = strtok_r(names, " ", &save); tok && cfg.nquota < MAX_QUOTAS;
	     tok = strtok_r(NULL, " ", &save)) {
		snprintf(cfg.quota[cfg.nquota], sizeof(cfg.quota[0]), "%s",
			 tok);
		before.quota[cfg.nquota] =
			strtoul(call(d0, XST_GET_QUOTA, 0, XST_STRS(tok),
				     &type), NULL, 10);
		CHECK(type == XST_GET_QUOTA, "GET_QUOTA %s failed", tok);
		cfg.nquota++;
	}
	for (i = 0; i < 2; i++) {
		/* SET_PERMS' payload: the path, then what GET_PERMS says */
		struct xst_buf *sp = &before.special_perms[i];
		size_t plen = strlen(specials[i]) + 1;
		struct xst_msg m;

		xst_call(d0, XS_GET_PERMS, 0, specials[i], plen, &m);
		CHECK(m.hdr.type == XS_GET_PERMS && plen + m.hdr.len <=
		      XST_PAYLOAD_MAX, "GET_PERMS %s: %s", specials[i],
		      xst_esc(m.body, m.hdr.len));
		memcpy(sp->b, specials[i], plen);
		memcpy(sp->b + plen, m.body, m.hdr.len);
		sp->len = plen + m.hdr.len;
	}
	before.omits = read_text(OMITS);
	err = ckpt_read(&before.stream, &cap, &before.stream_len, 4096);
	CHECK(!err, "read %s: %s", CKPT, strerror(err));
	if (!cp_parse(s, before.stream, before.stream_len))
		fail_stream("the checkpoint before the run", before.stream,
			    before.stream_len, s->off);
	xst_stats(before.stats);
	free(s);
}

static void setup_domains(int d0)
{
	static const unsigned int mine[] = { 7001, 7002, 7003 };
	const char *h;
	unsigned int i, d;

	cfg.guest = atoi(read_text(CK_GUEST));
	cfg.ndoms = 0;
	/* checkpoint_guest: the guest whose watches a checkpoint carries */
	if (!omits_domain(before.omits, cfg.guest))
		cfg.doms[cfg.ndoms++] = cfg.guest;
	for (i = 0; i < ARRAY_SIZE(mine) && cfg.ndoms < MAX_DOMS; i++)
		if (!omits_domain(before.omits, mine[i]) &&
		    mine[i] != cfg.guest)
			cfg.doms[cfg.ndoms++] = mine[i];
	xst_mkdir(d0, ROOT);
	xst_rpc(d0, XS_SET_PERMS, XST_STRS(ROOT, "b0")->b,
		strlen(ROOT) + 4, XS_SET_PERMS, OK_REPLY);
	for (i = 0; i < cfg.ndoms; i++) {
		const struct xst_buf *p;

		d = cfg.doms[i];
		p = XST_STRS(xst_u(d), xst_fmt("%u", 1000 + d), "1");
		xst_rpc(d0, XS_INTRODUCE, p->b, p->len, XS_INTRODUCE,
			OK_REPLY);
		h = xst_home(d);
		xst_mkdir(d0, h);
		p = XST_STRS(h, xst_fmt("n%u", d));
		xst_rpc(d0, XS_SET_PERMS, p->b, p->len, XS_SET_PERMS,
			OK_REPLY);
	}
}

/* INTRODUCE (if need be) and RELEASE: the domain is forgotten. */
static void forget_domain(int d0, unsigned int d)
{
	call(d0, XS_INTRODUCE, 0, XST_STRS(xst_u(d), "1", "1"), NULL);
	call(d0, XS_RELEASE, 0, XST_STRS(xst_u(d)), NULL);
}

/*
 * Undo what the run did outside the tree: transactions and watches a
 * restore parked, domains introduced or given state, global quotas,
 * special permissions; then write the checkpoint of before the run.
 */
static void restore_state(int d0)
{
	unsigned int doms[64], n, i, round;
	unsigned char *buf = NULL;
	size_t cap = 0, len;
	struct cp *s = calloc(1, sizeof(*s));
	const struct xst_buf *p;
	char *omits;
	int err;

	CHECK(s, "out of memory");
	/*
	 * Transactions parked by restores: the control domain's are
	 * adopted and ended, a guest's go with a RELEASE of the guest.
	 */
	for (round = 0; round < 20; round++) {
		err = ckpt_read(&buf, &cap, &len, 4096);
		CHECK(!err, "read %s: %s", CKPT, strerror(err));
		if (!cp_parse(s, buf, len))
			fail_stream("the checkpoint after the run", buf, len,
				    s->off);
		if (!round)
			printf("# after the run: a checkpoint of %zu bytes, %u transactions parked\n",
			       len, s->nr_tx);
		if (!s->nr_tx)
			break;
		for (i = 0; i < s->ntx; i++) {
			if (!s->tx_dom[i])
				call(d0, XS_TRANSACTION_END, s->tx_id[i],
				     XST_STRS("F"), NULL);
			else
				forget_domain(d0, s->tx_dom[i]);
		}
	}
	CHECK(!s->nr_tx, "%u transactions still parked", s->nr_tx);
	/* The guests of the run, and any domain that has state now. */
	for (i = 0; i < cfg.ndoms; i++)
		forget_domain(d0, cfg.doms[i]);
	for (round = 0; round < 20; round++) {
		omits = read_text(OMITS);
		n = omits_new_domains(before.omits, omits, doms,
				      ARRAY_SIZE(doms));
		free(omits);
		if (!n)
			break;
		for (i = 0; i < n; i++)
			forget_domain(d0, doms[i]);
	}
	CHECK(!n, "domain %u keeps state after INTRODUCE and RELEASE",
	      doms[0]);
	for (i = 0; i < cfg.nquota; i++) {
		p = XST_STRS(cfg.quota[i], xst_u(before.quota[i]));
		xst_rpc(d0, XST_SET_QUOTA, p->b, p->len, XST_SET_QUOTA,
			OK_REPLY);
	}
	for (i = 0; i < 2; i++)
		xst_rpc(d0, XS_SET_PERMS, before.special_perms[i].b,
			before.special_perms[i].len, XS_SET_PERMS, OK_REPLY);
	err = ckpt_write(before.stream, before.stream_len, false, false);
	CHECK(!err, "restoring the checkpoint of before the run: %s",
	      strerror(err));
	free(buf);
	free(s);
}

/* Compare what can be compared exactly with before the run. */
static void check_state(int d0)
{
	unsigned char *buf = NULL;
	size_t cap = 0, len, i;
	long now[XST_NSTATS];
	char *omits;
	long long until;
	uint32_t type;
	const char *r;
	int err, k;

	err = ckpt_read(&buf, &cap, &len, 4096);
	CHECK(!err, "read %s: %s", CKPT, strerror(err));
	for (i = 4; i < len && i < before.stream_len &&
	     buf[i] == before.stream[i]; i++)
		;
	if (len != before.stream_len || i != len)
		FAIL("the checkpoint after the restore differs from the one before the run: %zu and %zu bytes, first difference at byte %zu: %s instead of %s",
		     len, before.stream_len, i,
		     xst_esc(buf + i, min_z(len - min_z(i, len), 48)),
		     xst_esc(before.stream + i,
			     min_z(before.stream_len - min_z(i, before.stream_len),
				 48)));
	free(buf);
	omits = read_text(OMITS);
	CHECK(!strcmp(omits, before.omits),
	      "checkpoint_omits is \"%s\", was \"%s\" before the run",
	      xst_bars(omits, strlen(omits)),
	      xst_bars(before.omits, strlen(before.omits)));
	free(omits);
	r = call(d0, XS_CONTROL, 0, XST_STRS("check"), &type);
	CHECK(type == XS_CONTROL && !strcmp(r, "OK"),
	      "CONTROL check after the run: %s", r);
	/* Frees after an RCU grace period may lag a little. */
	until = xst_now_ms() + 5000;
	do {
		xst_stats(now);
		for (k = 0; k < XST_NSTATS && now[k] == before.stats[k]; k++)
			;
		if (k == XST_NSTATS)
			break;
		usleep(50000);
	} while (xst_now_ms() < until);
	printf("# stats after: %s\n", stats_str(now));
	for (k = 0; k < XST_NSTATS; k++)
		CHECK(now[k] == before.stats[k],
		      "%s: %ld before the run, %ld after it and the restore",
		      xst_stat_names[k], before.stats[k], now[k]);
}

/* The device still answers: the control domain, a guest, the ioctl. */
static void check_alive(int d0)
{
	const char *path = ROOT "-alive";
	unsigned int d = cfg.ndoms ? cfg.doms[0] : 7001;
	const char *home = xst_home(d);
	struct xst_msg m;
	int g;

	xst_write_str(d0, path, "yes", 3);
	xst_read_expect(d0, path, "yes", 3);
	xst_rm(d0, path);
	xst_read_err(d0, path, "ENOENT");
	g = xst_open_domain(d);
	xst_rpc(g, XS_GET_DOMAIN_PATH, xst_u(d), strlen(xst_u(d)) + 1,
		XS_GET_DOMAIN_PATH, home, strlen(home) + 1);
	xst_ioc_call(g, XS_GET_DOMAIN_PATH, 77, 0, xst_u(d),
		     strlen(xst_u(d)) + 1, &m);
	CHECK(m.hdr.type == XS_GET_DOMAIN_PATH && !strcmp((char *)m.body, home),
	      "GET_DOMAIN_PATH by the ioctl: %s %s", xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));
	close(g);
}

/* Print what a process did last, and where the kernel has it now. */
static void dump_worker(unsigned int i, pid_t pid, bool stuck)
{
	struct wstat *w = &shm[i];
	unsigned int k, from = w->trace_n > TRACE_LEN ?
			       w->trace_n - TRACE_LEN : 0;
	char *s;

	printf("# process %u (pid %d, seed %llu), its last operations:\n", i,
	       pid, cfg.seed + i);
	for (k = from; k < w->trace_n; k++)
		printf("#   %s\n", w->trace[k % TRACE_LEN]);
	if (!stuck)
		return;
	s = read_text_errno(xst_fmt("/proc/%d/wchan", pid));
	printf("# wchan: %s\n", s ? s : strerror(errno));
	free(s);
	s = read_text_errno(xst_fmt("/proc/%d/stack", pid));
	printf("# kernel stack:\n%s", s ? s : strerror(errno));
	free(s);
}

static void t_random_frames_ioctls_and_checkpoints(void)
{
	pid_t pids[MAX_PROCS];
	unsigned int i, k, alive, failed = 0;
	struct wstat sum = { 0 };
	long long t0, hard;
	long now[XST_NSTATS];
	int d0, st;
	pid_t pid;

	CHECK(!access(STATS, R_OK) && !access(CKPT, R_OK | W_OK),
	      "needs the kxenstore module's sysfs files, as root (%s)", CKPT);
	printf("# seed %llu\n", cfg.seed);
	rng_state = cfg.seed;
	d0 = xst_open(0);
	save_state(d0);
	printf("# stats before: %s\n", stats_str(before.stats));
	setup_domains(d0);
	printf("# %u processes for %u s; guests", cfg.procs, cfg.seconds);
	for (i = 0; i < cfg.ndoms; i++)
		printf(" %u", cfg.doms[i]);
	printf("; kinds%s%s%s%s\n", cfg.kinds & K_WRITE ? " write" : "",
	       cfg.kinds & K_IOCTL ? " ioctl" : "",
	       cfg.kinds & K_CKPT ? " checkpoint" : "",
	       cfg.deep ? "; deep paths" : "");

	shm = mmap(NULL, cfg.procs * sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shm != MAP_FAILED, "mmap: %m");
	t0 = xst_now_ms();
	cfg.deadline = t0 + cfg.seconds * 1000LL;
	fflush(NULL);
	for (i = 0; i < cfg.procs; i++) {
		pids[i] = fork();
		CHECK(pids[i] >= 0, "fork: %m");
		if (!pids[i])
			worker(i);
	}
	hard = cfg.deadline + GRACE_MS;
	for (alive = cfg.procs; alive; ) {
		pid = waitpid(-1, &st, WNOHANG);
		if (pid < 0)
			FAIL("waitpid: %m");
		if (!pid) {
			if (xst_now_ms() > hard)
				break;
			usleep(20000);
			continue;
		}
		for (i = 0; i < cfg.procs && pids[i] != pid; i++)
			;
		if (i == cfg.procs)
			continue;
		pids[i] = 0;
		alive--;
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			failed++;
			if (WIFSIGNALED(st))
				printf("# process %u killed by signal %d\n", i,
				       WTERMSIG(st));
			dump_worker(i, pid, false);
		}
	}
	if (alive) {
		for (i = 0; i < cfg.procs; i++)
			if (pids[i])
				dump_worker(i, pids[i], true);
		for (i = 0; i < cfg.procs; i++)
			if (pids[i])
				kill(pids[i], SIGKILL);
		FAIL("%u processes still running %d s after the deadline",
		     alive, GRACE_MS / 1000);
	}
	for (i = 0; i < cfg.procs; i++) {
		sum.frames += shm[i].frames;
		sum.taken += shm[i].taken;
		sum.ioctls += shm[i].ioctls;
		sum.ckpt_writes += shm[i].ckpt_writes;
		sum.ckpt_applied += shm[i].ckpt_applied;
		sum.ckpt_reads += shm[i].ckpt_reads;
		sum.replies += shm[i].replies;
		sum.events += shm[i].events;
		sum.reopens += shm[i].reopens;
		sum.killed += shm[i].killed;
		sum.e2big += shm[i].e2big;
		sum.eagain += shm[i].eagain;
		sum.ioc_errors += shm[i].ioc_errors;
		sum.errors += shm[i].errors;
		for (k = 0; k < ARRAY_SIZE(sum.by_errno); k++)
			sum.by_errno[k] += shm[i].by_errno[k];
	}
	printf("# fuzz: %lu frames (write %lu, ioctl %lu, checkpoint %lu) in %.1f s by %u processes, seed %llu\n",
	       sum.frames + sum.ioctls + sum.ckpt_writes, sum.frames,
	       sum.ioctls, sum.ckpt_writes, (xst_now_ms() - t0) / 1000.0,
	       cfg.procs, cfg.seed);
	printf("# write: %lu requests taken in, %lu replies and %lu events read, %lu E2BIG, %lu EAGAIN; ioctl: %lu refused; %lu replies were XS_ERROR; checkpoints: %lu read, %lu restored; connections: %lu closed, %lu killed by RELEASE\n",
	       sum.taken, sum.replies, sum.events, sum.e2big, sum.eagain,
	       sum.ioc_errors, sum.errors, sum.ckpt_reads, sum.ckpt_applied,
	       sum.reopens, sum.killed);
	printf("# XS_ERROR replies:");
	for (k = 0; k < ARRAY_SIZE(errno_names); k++)
		if (sum.by_errno[k])
			printf(" %s %lu", errno_names[k], sum.by_errno[k]);
	printf("\n");
	xst_stats(now);
	printf("# stats at the end of the run: %s\n", stats_str(now));
	restore_state(d0);
	check_state(d0);
	check_alive(d0);
	close(d0);
	CHECK(!failed, "%u of %u processes failed (their messages above)",
	      failed, cfg.procs);
}

int main(int argc, char **argv)
{
	static const struct xst_case cases[] = {
		{ "random-frames-ioctls-and-checkpoints-leave-the-store-as-it-was",
		  t_random_frames_ioctls_and_checkpoints },
	};
	const char *kinds = getenv("KXS_FUZZ_KINDS");
	unsigned long timeout, need;
	struct timespec ts;

	timeout = xst_env_ul("KXS_CASE_TIMEOUT", 30, 0, ULONG_MAX);
	clock_gettime(CLOCK_REALTIME, &ts);
	cfg.seconds = xst_env_ul("KXS_FUZZ_SECONDS", 15, 0, ULONG_MAX);
	cfg.procs = xst_env_ul("KXS_FUZZ_PROCS", 4, 1, MAX_PROCS);
	cfg.seed = xst_env_ul("KXS_FUZZ_SEED",
			      (ts.tv_sec * 1000003ULL + ts.tv_nsec / 1000) %
			      1000000000ULL, 0, ULONG_MAX);
	cfg.deep = xst_env_ul("KXS_FUZZ_DEEP", 1, 0, ULONG_MAX);
	cfg.kinds = K_WRITE | K_IOCTL | K_CKPT;
	if (kinds && *kinds)
		cfg.kinds = (strstr(kinds, "write") ? K_WRITE : 0) |
			    (strstr(kinds, "ioctl") ? K_IOCTL : 0) |
			    (strstr(kinds, "checkpoint") ? K_CKPT : 0);
	if (!cfg.kinds) {
		fprintf(stderr, "KXS_FUZZ_KINDS: write, ioctl, checkpoint\n");
		return 2;
	}
	/* The case's own time limit: the run, the grace, setup and checks. */
	need = cfg.seconds + GRACE_MS / 1000 + 30;
	if (timeout < need)
		setenv("KXS_CASE_TIMEOUT", xst_fmt("%lu", need), 1);
	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
