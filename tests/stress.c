// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: N processes do random requests, transactions and watches for T
 * seconds, some as the control domain and some as guests, while the parent
 * introduces and releases a domain with a connection, a transaction and a
 * watch open; then the invariants any such run must leave are checked.
 * The other tests look at one behaviour at a time; bugs of locking, of
 * accounting and of the order of replies and events show when everything
 * happens at once.
 *
 * Each worker owns a subtree only it changes (k0..k7, s0..s3 and s0/v..
 * s3/v below its root), and keeps a model of it: every reply about it,
 * inside and outside transactions, must be exactly what the model says,
 * and at the end every node must hold its last committed value (no
 * committed write lost, no aborted one visible).  Its own watch on that
 * subtree (on a second connection) must report each change it made, in
 * order, each once, and nothing for transactions that failed or were
 * aborted or dropped with their connection.  That second connection also
 * writes nodes that an open transaction of the first one read: the commit
 * must then fail with EAGAIN, and must succeed when the transaction
 * touched only nodes nobody else changed.
 *
 * All workers increment one shared counter in transactions (read, +1,
 * write, commit; EAGAIN: again): at the end it equals the number of
 * commits and each value was committed exactly once (isolation under
 * contention).  They also write, read and remove shared nodes with
 * self-checking values (never torn), and watch and unwatch shared paths:
 * an event comes only between the WATCH reply and the UNWATCH reply, for
 * a path the watch covers, and the initial one comes first (events a
 * full queue may have dropped excused, see BURST).
 *
 * At the end: every worker exited 0, CONTROL "check" answers OK (also
 * every second during the run), the guests hold no connections, watches
 * or transactions, and once every connection is closed and the test's
 * nodes and domains are gone, /sys/module/kxenstore/stats is back to its
 * counts from before the run, exactly.
 *
 * Environment: KXS_STRESS_PROCS (default 4, at most 32),
 * KXS_STRESS_SECONDS (default 15), KXS_STRESS_SEED (default from the
 * clock; printed as "# seed N": the same seed makes the same random
 * choices, the interleaving is the kernel's).  KXS_CASE_TIMEOUT is raised
 * to T + 120 s if lower; for runs longer than about 3 minutes under
 * tests/run-all, raise KXS_TEST_TIMEOUT (300 s per program) as well.
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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/xstest.h"

#define BASE		"/kxs-stress"
#define SHARED		BASE "/shared"
#define COUNTER		SHARED "/counter"
#define AREA		SHARED "/area"

#define MAX_PROCS	32
#define GUEST_A		61
#define GUEST_B		62
#define CHURN_DOM	63

/* A worker's own nodes: k0..k7, s0..s3, s0/v..s3/v, then "end". */
#define NK		8
#define NS		4
#define NE		(NK + 2 * NS)
#define E_END		NE		/* the sentinel, written last */
#define E_ROOT		(NE + 1)	/* the root: the watch's initial event */
#define BIT(e)		(1u << (e))

#define NSHARED		12		/* shared nodes x0..x11 (and xN/y) */
#define DOM0_VMAX	1200		/* longest own value of a dom0 worker */
#define GUEST_VMAX	200		/* of a guest (node-size quota 2048) */
#define SHARED_FILL	600		/* longest filler of a shared value */

#define REPLY_MS	xst_scaled_ms(30000)	/* later than this: a hang */
#define MAX_MWATCH	256		/* main-connection watches remembered */
#define MAX_ACTIVE	6		/* of them registered at once */
#define MAX_COMMITS	(1 << 16)	/* counter values kept per worker */
#define QMAX		64		/* event groups between two settles */
#define TRACE		24		/* last operations shown on failure */
#define TX_TRIES	50		/* counter attempts before giving up */
/*
 * A connection drops events once it holds 64 KiB of them (allocation
 * sizes, at most twice the bytes read): a run of more than BURST bytes of
 * events read without a break may hide a drop.
 */
#define BURST		(16 * 1024)


enum op {
	OP_WRITE, OP_READ, OP_RM, OP_MKDIR, OP_DIRECTORY,
	OP_SH_WRITE, OP_SH_READ, OP_SH_RM, OP_SH_MKDIR, OP_SH_DIRECTORY,
	OP_TX_COUNTER, OP_TX_OWN, OP_WATCH, OP_UNWATCH, OP_SIDE_WRITE,
	OP_EPHEMERAL, NOPS
};

/* Operation names, and how often each is picked. */
static const struct {
	const char *name;
	unsigned int weight;
} ops[NOPS] = {
	[OP_WRITE]		= { "write", 14 },
	[OP_READ]		= { "read", 10 },
	[OP_RM]			= { "rm", 4 },
	[OP_MKDIR]		= { "mkdir", 3 },
	[OP_DIRECTORY]		= { "directory", 3 },
	[OP_SH_WRITE]		= { "shared-write", 8 },
	[OP_SH_READ]		= { "shared-read", 6 },
	[OP_SH_RM]		= { "shared-rm", 2 },
	[OP_SH_MKDIR]		= { "shared-mkdir", 1 },
	[OP_SH_DIRECTORY]	= { "shared-directory", 2 },
	[OP_TX_COUNTER]		= { "tx-counter", 10 },
	[OP_TX_OWN]		= { "tx-own", 6 },
	[OP_WATCH]		= { "watch", 3 },
	[OP_UNWATCH]		= { "unwatch", 2 },
	[OP_SIDE_WRITE]		= { "side-write", 2 },
	[OP_EPHEMERAL]		= { "ephemeral-connection", 1 },
};

struct entry {
	bool present;
	uint16_t len;
	unsigned char val[DOM0_VMAX];
};

/* A worker's own subtree as it should be (or as a transaction sees it). */
struct own {
	struct entry e[NE];
};

/* What a worker reports to the parent, in memory shared with it. */
struct result {
	int done;
	unsigned int domid;
	char root[128];
	struct own model;
	unsigned long ops[NOPS];
	unsigned long commits, eagain, aborts, gave_up, tx_quota;
	unsigned long conflicts, conflicts_caught, must_commit, disjoint;
	unsigned long own_events, main_events, ioctls;
	unsigned long bursts;		/* see BURST */
	unsigned long order_bad;	/* events out of order with WATCH */
	char order_msg[256];		/* the first of them */
	unsigned long nvals;
	uint32_t vals[MAX_COMMITS];
};

enum conn_kind { C_MAIN, C_SIDE, C_EPH };

struct conn {
	int fd;
	enum conn_kind kind;
	const char *name;
};

/* The events one change of the own subtree must (and may) cause. */
struct group {
	uint32_t must, may, seen;
	unsigned long op;
	char what[64];
};

enum mw_state { MW_PENDING, MW_ACTIVE, MW_GONE };

/* A watch of the main connection: token "m<seq>", kept at seq % MAX_MWATCH. */
struct mwatch {
	unsigned long seq;
	char path[128];
	int depth;		/* -1: none */
	enum mw_state state;
	bool initial;		/* an event for the path itself came */
	bool lossy;		/* registered during a burst: may miss events */
	unsigned long events;
};

/* Shared node x<j> as a transaction saw or made it. */
enum { SH_UNKNOWN, SH_ABSENT, SH_PRESENT };

struct txstate {
	uint32_t id;
	bool counter, shared, conflict_r, loose, side_elsewhere;
	uint32_t r;	/* read from the store: value or absence seen */
	uint32_t x;	/* accessed explicitly */
	uint32_t m;	/* last changed by name, not as parent or child */
	uint32_t a;	/* touched, explicitly or as parent or child */
	uint32_t w;	/* changed: applied on commit */
	uint32_t ex;	/* written by the side connection, not read since */
	unsigned long v;	/* the counter as read */
	int sh[NSHARED];
	size_t shlen[NSHARED];
	unsigned char shval[NSHARED][SHARED_FILL + 64];
};

struct worker {
	int id;
	unsigned int domid;
	bool guest;
	uint64_t rng;
	long long deadline;
	struct conn main, side;
	char root[128];		/* absolute */
	char rroot[64];		/* relative to the home (guests) */
	bool own_rel;		/* the own watch has the relative path */
	unsigned int vmax;
	struct own model;
	struct own txview, txstart;
	struct txstate tx;
	struct group q[QMAX];
	unsigned int nq;
	struct mwatch mw[MAX_MWATCH];
	unsigned long nmw;	/* watches registered so far */
	unsigned int nactive;
	size_t burst;		/* bytes of events read on main in a row */
	unsigned long nop;
	unsigned int seq;
	char trace[TRACE][160];
	unsigned int ntrace;
	struct result *res;
};

static const char *ename[NE + 1];
static struct worker *cur;

static const char *ename_of(int e)
{
	return e == E_ROOT ? "(root)" : ename[e];
}

/* ---- small helpers ------------------------------------------------------- */

static uint64_t rnd(struct worker *w)
{
	uint64_t x = w->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static unsigned int below(struct worker *w, unsigned int n)
{
	return (unsigned int)(rnd(w) >> 11) % n;
}

static int parent_of(int e)
{
	return e >= NK + NS && e < NE ? e - NS : -1;
}

static int child_of(int e)
{
	return e >= NK && e < NK + NS ? e + NS : -1;
}

/* Record what the worker does, for the failure report. */
static __attribute__((format(printf, 2, 3)))
void trace(struct worker *w, const char *fmt, ...)
{
	va_list ap;
	char *t = w->trace[w->ntrace++ % TRACE];
	int n = snprintf(t, sizeof(w->trace[0]), "op %lu: ", w->nop);

	va_start(ap, fmt);
	vsnprintf(t + n, sizeof(w->trace[0]) - n, fmt, ap);
	va_end(ap);
}

/* At exit of a worker that did not finish: what it did last. */
static void dump_trace(void)
{
	struct worker *w = cur;
	unsigned int i, n;

	if (!w || w->res->done)
		return;
	n = w->ntrace < TRACE ? w->ntrace : TRACE;
	fprintf(stderr, "worker %d (domain %u, root %s) failed; its last %u operations:\n",
		w->id, w->domid, w->root, n);
	for (i = w->ntrace - n; i < w->ntrace; i++)
		fprintf(stderr, "  %s\n", w->trace[i % TRACE]);
}

#define WFAIL(w, fmt, ...) \
	FAIL("worker %d (domain %u) op %lu: " fmt, (w)->id, (w)->domid, \
	     (w)->nop, ##__VA_ARGS__)

/* ---- the wire ------------------------------------------------------------ */

/*
 * Read @n bytes; waits up to @timeout_ms for the first, then up to
 * REPLY_MS for the rest of a message.  False if nothing came in time.
 */
static bool read_full(struct worker *w, struct conn *c, void *buf, size_t n,
		      int timeout_ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	size_t got = 0;
	ssize_t r;
	int k;

	while (got < n) {
		k = poll(&p, 1, got ? REPLY_MS : timeout_ms);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			WFAIL(w, "poll on the %s connection: %s", c->name,
			      strerror(errno));
		if (!k) {
			if (!got)
				return false;
			WFAIL(w, "%s connection: message cut short, %zu of %zu bytes",
			      c->name, got, n);
		}
		r = read(c->fd, (char *)buf + got, n - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			WFAIL(w, "read on the %s connection: %s", c->name,
			      r ? strerror(errno) : "end of file");
		got += r;
	}
	return true;
}

static bool recv_msg(struct worker *w, struct conn *c, struct xst_msg *m,
		     int timeout_ms)
{
	if (!read_full(w, c, &m->hdr, XST_HDR_LEN, timeout_ms))
		return false;
	if (m->hdr.len > XST_PAYLOAD_MAX)
		WFAIL(w, "%s connection: %s req_id %#x announces %u bytes",
		      c->name, xst_type_name(m->hdr.type), m->hdr.req_id,
		      m->hdr.len);
	read_full(w, c, m->body, m->hdr.len, REPLY_MS);
	m->body[m->hdr.len] = 0;
	return true;
}

static void on_event(struct worker *w, struct conn *c, struct xst_msg *m);

/* Send a request; its reply into @m, events before it handled. */
static void call(struct worker *w, struct conn *c, uint32_t type,
		 uint32_t tx, const void *payload, size_t len,
		 struct xst_msg *m)
{
	uint32_t id = xst_next_req_id();

	xst_send(c->fd, type, id, tx, payload, len);
	for (;;) {
		if (!recv_msg(w, c, m, REPLY_MS))
			WFAIL(w, "%s %s on the %s connection: no reply within %d s",
			      xst_type_name(type), xst_esc(payload, len),
			      c->name, REPLY_MS / 1000);
		if (m->hdr.type != XS_WATCH_EVENT)
			break;
		on_event(w, c, m);
	}
	if (c->kind == C_MAIN)
		w->burst = 0;
	if (m->hdr.req_id != id || m->hdr.tx_id != tx)
		WFAIL(w, "%s %s: reply %s %s has req_id %#x tx_id %u, expected %#x %u",
		      xst_type_name(type), xst_esc(payload, len),
		      xst_type_name(m->hdr.type), xst_esc(m->body, m->hdr.len),
		      m->hdr.req_id, m->hdr.tx_id, id, tx);
}

/* The same through the request ioctl, sometimes, on the main connection. */
static void call_any(struct worker *w, struct conn *c, uint32_t type,
		     uint32_t tx, const void *payload, size_t len,
		     struct xst_msg *m)
{
	if (c->kind == C_MAIN && !below(w, 4)) {
		w->res->ioctls++;
		xst_ioc_call(c->fd, type, xst_next_req_id(), tx, payload, len,
			     m);
		return;
	}
	call(w, c, type, tx, payload, len, m);
}

static bool reply_is(const struct xst_msg *m, uint32_t type, const void *p,
		     size_t len)
{
	return m->hdr.type == type && m->hdr.len == len &&
	       !memcmp(m->body, p, len);
}

static bool reply_err(const struct xst_msg *m, const char *err)
{
	return reply_is(m, XS_ERROR, err, strlen(err) + 1);
}

/* @m must be @want's "OK"; the failure names the request by @fmt. */
#define EXPECT_OK(w, m, want, fmt, ...)					\
	do {								\
		if (!reply_is(m, want, OK_REPLY))			\
			WFAIL(w, fmt ": %s %s", ##__VA_ARGS__,		\
			      xst_type_name((m)->hdr.type),		\
			      xst_esc((m)->body, (m)->hdr.len));	\
	} while (0)

/* "<path>\0<value>" into @buf; returns the length. */
static size_t path_value(char *buf, const char *path, const void *v,
			 size_t len)
{
	size_t pl = strlen(path) + 1;

	memcpy(buf, path, pl);
	memcpy(buf + pl, v, len);
	return pl + len;
}

/* ---- the own subtree: paths, model, expected events --------------------- */

/* Path of own node @e (or the root for -1) in a request, maybe relative. */
static const char *own_path(struct worker *w, int e, bool rel)
{
	const char *root = rel && w->guest ? w->rroot : w->root;

	return e < 0 ? root : xst_fmt("%s/%s", root, ename[e]);
}

/* Which own node an event of the own watch names: E_ROOT, E_END, or -1. */
static int own_index(struct worker *w, const char *path)
{
	const char *base = w->own_rel ? w->rroot : w->root;
	size_t n = strlen(base);
	int e;

	if (strncmp(path, base, n))
		return -1;
	if (!path[n])
		return E_ROOT;
	if (path[n] != '/')
		return -1;
	for (e = 0; e <= E_END; e++)
		if (!strcmp(path + n + 1, ename[e]))
			return e;
	return -1;
}

static bool entry_eq(const struct entry *a, const struct entry *b)
{
	return a->present == b->present &&
	       (!a->present ||
		(a->len == b->len && !memcmp(a->val, b->val, a->len)));
}

/* The expected reply to READ of @e in @s. */
static void expect_read(struct worker *w, const struct own *s, int e,
			const struct xst_msg *m, const char *how)
{
	const struct entry *x = &s->e[e];

	if (x->present ? reply_is(m, XS_READ, x->val, x->len) :
			 reply_err(m, "ENOENT"))
		return;
	WFAIL(w, "READ %s %s: got %s %s, expected %s", ename[e], how,
	      xst_type_name(m->hdr.type), xst_esc(m->body, m->hdr.len),
	      x->present ? xst_esc(x->val, x->len) : "ENOENT");
}

/* The children of own node @e (-1: the root) in @s, as DIRECTORY lists them. */
static size_t own_children(const struct own *s, int e, bool with_end,
			   char *out)
{
	size_t n = 0;
	int i, c;

	if (e >= 0) {
		c = child_of(e);
		if (c >= 0 && s->e[c].present) {
			memcpy(out, "v", 2);
			n = 2;
		}
		return n;
	}
	if (with_end) {
		memcpy(out, "end", 4);
		n = 4;
	}
	/* "k0".."k7" sort before "s0".."s3" */
	for (i = 0; i < NK + NS; i++)
		if (s->e[i].present) {
			memcpy(out + n, ename[i], strlen(ename[i]) + 1);
			n += strlen(ename[i]) + 1;
		}
	return n;
}

static void expect_directory(struct worker *w, const struct own *s, int e,
			     bool with_end, const struct xst_msg *m,
			     const char *how)
{
	char want[256];
	size_t n;

	if (e >= 0 && !s->e[e].present) {
		if (!reply_err(m, "ENOENT"))
			WFAIL(w, "DIRECTORY %s %s: got %s %s, expected ENOENT",
			      ename[e], how, xst_type_name(m->hdr.type),
			      xst_esc(m->body, m->hdr.len));
		return;
	}
	n = own_children(s, e, with_end, want);
	if (!reply_is(m, XS_DIRECTORY, want, n))
		WFAIL(w, "DIRECTORY %s %s: got %s %s, expected %s",
		      e < 0 ? "root" : ename[e], how,
		      xst_type_name(m->hdr.type), xst_esc(m->body, m->hdr.len),
		      xst_esc(want, n));
}

/* Changes of the model, and the events they cause (must) or may cause. */
static void model_create_parent(struct own *s, int e, uint32_t *may)
{
	int p = parent_of(e);

	if (p >= 0 && !s->e[p].present) {
		s->e[p].present = true;
		s->e[p].len = 0;
		*may |= BIT(p);
	}
}

static void model_write(struct own *s, int e, const void *v, size_t len,
			uint32_t *must, uint32_t *may)
{
	model_create_parent(s, e, may);
	s->e[e].present = true;
	s->e[e].len = len;
	memcpy(s->e[e].val, v, len);
	*must |= BIT(e);
}

static void model_mkdir(struct own *s, int e, uint32_t *must, uint32_t *may)
{
	if (s->e[e].present) {
		*may |= BIT(e);
		return;
	}
	model_create_parent(s, e, may);
	s->e[e].present = true;
	s->e[e].len = 0;
	*must |= BIT(e);
}

/* Returns false for ENOENT (the parent is missing). */
static bool model_rm(struct own *s, int e, uint32_t *must, uint32_t *may)
{
	int p = parent_of(e), c = child_of(e);

	if (!s->e[e].present) {
		*may |= BIT(e);
		return p < 0 || s->e[p].present;
	}
	s->e[e].present = false;
	*must |= BIT(e);
	if (c >= 0 && s->e[c].present) {
		s->e[c].present = false;
		*may |= BIT(c);
	}
	return true;
}

static void push_group(struct worker *w, uint32_t must, uint32_t may,
		       const char *what)
{
	struct group *g;

	CHECK(w->nq < QMAX, "worker %d: too many changes between settles",
	      w->id);
	g = &w->q[w->nq++];
	g->must = must;
	g->may = may & ~must;
	g->seen = 0;
	g->op = w->nop;
	snprintf(g->what, sizeof(g->what), "%s", what);
}

static const char *bits_names(uint32_t bits)
{
	static char buf[256];
	size_t n = 0;
	int e;

	buf[0] = 0;
	for (e = 0; e <= E_ROOT; e++)
		if (bits & BIT(e))
			n += snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      n ? " " : "", ename_of(e));
	return buf;
}

/*
 * An event of the own watch.  The changes it reports were made one after
 * the other by this worker, so their events come in the same order: each
 * group's must-events, and at most once each of its may-events, before
 * any event of the next group.
 */
static void own_event(struct worker *w, const char *path, const char *token)
{
	int e = own_index(w, path);
	uint32_t bit;
	struct group *g;
	unsigned int i;

	if (strcmp(token, "own"))
		WFAIL(w, "own watch: event %s|%s| with another token", path,
		      token);
	if (e < 0)
		WFAIL(w, "own watch on %s: event for %s, outside it",
		      w->own_rel ? w->rroot : w->root, path);
	bit = BIT(e);
	w->res->own_events++;
	for (i = 0; i < w->nq; i++) {
		g = &w->q[i];
		if ((g->must | g->may) & ~g->seen & bit) {
			g->seen |= bit;
			/* the groups before are complete: forget them */
			memmove(w->q, g, (w->nq - i) * sizeof(*g));
			w->nq -= i;
			return;
		}
		if (g->must & ~g->seen)
			WFAIL(w, "own watch: event for %s came, but the event(s) %s of op %lu (%s) never did",
			      ename_of(e), bits_names(g->must & ~g->seen),
			      g->op, g->what);
	}
	WFAIL(w, "own watch: event %s|%s| that no change of this worker explains",
	      path, token);
}

/* Read every queued event of the side connection; all changes reported. */
static void settle(struct worker *w)
{
	static struct xst_msg m;
	unsigned int i;

	while (recv_msg(w, &w->side, &m, 0)) {
		if (m.hdr.type != XS_WATCH_EVENT)
			WFAIL(w, "side connection: unexpected %s %s",
			      xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len));
		on_event(w, &w->side, &m);
	}
	for (i = 0; i < w->nq; i++)
		if (w->q[i].must & ~w->q[i].seen)
			WFAIL(w, "own watch: event(s) %s of op %lu (%s) lost",
			      bits_names(w->q[i].must & ~w->q[i].seen),
			      w->q[i].op, w->q[i].what);
	w->nq = 0;
}

/* ---- main-connection watches --------------------------------------------- */

static bool mw_covers(const struct mwatch *mw, const char *path)
{
	size_t n = strlen(mw->path);
	int depth = 0;

	if (mw->path[0] == '@')
		return !strcmp(path, mw->path);
	if (strncmp(path, mw->path, n))
		return false;
	if (!path[n])
		return true;
	if (path[n] != '/')
		return false;
	for (path += n; *path; path++)
		depth += *path == '/';
	return mw->depth < 0 || depth <= mw->depth;
}

/* Events read on the main connection: a burst excuses missing ones. */
static void main_burst(struct worker *w, size_t bytes)
{
	unsigned int i;

	w->burst += bytes;
	if (w->burst < BURST)
		return;
	if (w->burst - bytes < BURST)
		w->res->bursts++;
	for (i = 0; i < MAX_MWATCH && i < w->nmw; i++)
		if (w->mw[i].state != MW_GONE)
			w->mw[i].lossy = true;
}

/*
 * An event out of order with its WATCH: counted, the first kept, and the
 * case failed at the end, so that a run still checks everything else.
 */
static __attribute__((format(printf, 2, 3)))
void order_violation(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->res->order_bad++)
		return;
	va_start(ap, fmt);
	vsnprintf(w->res->order_msg, sizeof(w->res->order_msg), fmt, ap);
	va_end(ap);
}

static void main_event(struct worker *w, const char *path, const char *token)
{
	struct mwatch *mw;
	char *end = "";
	unsigned long seq;

	w->res->main_events++;
	seq = token[0] == 'm' ? strtoul(token + 1, &end, 10) : ULONG_MAX;
	if (seq >= w->nmw || *end)
		WFAIL(w, "main connection: event %s|%s| with an unknown token",
		      path, token);
	mw = &w->mw[seq % MAX_MWATCH];
	/* a slot is reused only once its watch is gone */
	if (mw->seq != seq)
		WFAIL(w, "event %s|%s| came long after the reply to its UNWATCH",
		      path, token);
	/* The reply comes first, then the initial event, then the others. */
	if (mw->state == MW_PENDING)
		order_violation(w, "worker %d op %lu: event %s|%s| came before the reply to its WATCH %s",
				w->id, w->nop, path, token, mw->path);
	else if (mw->state == MW_ACTIVE && !mw->events && !mw->lossy &&
		 strcmp(path, mw->path))
		order_violation(w, "worker %d op %lu: the first event of the watch %s|%s| after its WATCH reply was %s|%s|, not the initial one",
				w->id, w->nop, mw->path, token, path, token);
	if (mw->state == MW_GONE)
		WFAIL(w, "event %s|%s| came after the reply to its UNWATCH %s",
		      path, token, mw->path);
	if (!mw_covers(mw, path))
		WFAIL(w, "event %s|%s| for a path the watch %s (depth %d) does not cover",
		      path, token, mw->path, mw->depth);
	if (!strcmp(path, mw->path))
		mw->initial = true;
	mw->events++;
}

static void on_event(struct worker *w, struct conn *c, struct xst_msg *m)
{
	const char *path = (const char *)m->body, *token;
	size_t i, nuls = 0;

	for (i = 0; i < m->hdr.len; i++)
		nuls += !m->body[i];
	if (m->hdr.req_id || m->hdr.tx_id || m->hdr.len < 4 || !path[0] ||
	    nuls != 2 || m->body[m->hdr.len - 1] ||
	    !m->body[strlen(path) + 1])
		WFAIL(w, "%s connection: malformed WATCH_EVENT %s req_id %#x tx_id %u",
		      c->name, xst_esc(m->body, m->hdr.len), m->hdr.req_id,
		      m->hdr.tx_id);
	token = path + strlen(path) + 1;
	switch (c->kind) {
	case C_SIDE:
		own_event(w, path, token);
		break;
	case C_MAIN:
		main_burst(w, XST_HDR_LEN + m->hdr.len);
		main_event(w, path, token);
		break;
	case C_EPH:
		if (strcmp(token, "eph") || own_index(w, path) < 0)
			WFAIL(w, "short-lived connection: event %s|%s|", path,
			      token);
		break;
	}
}

/* Handle the events queued on the main connection now. */
static void drain_main(struct worker *w)
{
	static struct xst_msg m;

	while (recv_msg(w, &w->main, &m, 0)) {
		if (m.hdr.type != XS_WATCH_EVENT)
			WFAIL(w, "main connection: unexpected %s %s",
			      xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len));
		on_event(w, &w->main, &m);
	}
	w->burst = 0;
}

static void op_watch(struct worker *w)
{
	static struct xst_msg m;
	struct mwatch *mw = &w->mw[w->nmw % MAX_MWATCH];
	const struct xst_buf *p;
	const char *path, *tok;
	unsigned int k = below(w, w->guest ? 5 : 7);

	if (w->nactive >= MAX_ACTIVE || (w->nmw >= MAX_MWATCH &&
					 mw->state != MW_GONE))
		return;
	switch (k) {
	case 0:
		path = SHARED;
		break;
	case 1:
		path = AREA;
		break;
	case 2:
		path = xst_fmt(AREA "/x%u", below(w, NSHARED));
		break;
	case 3:
		path = COUNTER;
		break;
	case 4:
		path = own_path(w, -1, below(w, 2));
		break;
	case 5:
		path = "@introduceDomain";
		break;
	default:
		path = "@releaseDomain";
		break;
	}
	mw->seq = w->nmw;
	snprintf(mw->path, sizeof(mw->path), "%s", path);
	mw->depth = path[0] != '@' && below(w, 3) == 0 ? (int)below(w, 3) : -1;
	mw->state = MW_PENDING;
	mw->initial = false;
	mw->lossy = false;
	mw->events = 0;
	tok = xst_fmt("m%lu", w->nmw++);
	if (mw->depth >= 0)
		p = XST_STRS(mw->path, tok, xst_u(mw->depth));
	else
		p = XST_STRS(mw->path, tok);
	trace(w, "WATCH %s", xst_bars(p->b, p->len));
	call(w, &w->main, XS_WATCH, 0, p->b, p->len, &m);
	EXPECT_OK(w, &m, XS_WATCH, "WATCH %s", xst_bars(p->b, p->len));
	mw->state = MW_ACTIVE;
	w->nactive++;
}

static void unwatch(struct worker *w, unsigned int i)
{
	static struct xst_msg m;
	struct mwatch *mw = &w->mw[i];
	const struct xst_buf *p = XST_STRS(mw->path, xst_fmt("m%lu", mw->seq));

	trace(w, "UNWATCH %s", xst_bars(p->b, p->len));
	call(w, &w->main, XS_UNWATCH, 0, p->b, p->len, &m);
	EXPECT_OK(w, &m, XS_UNWATCH, "UNWATCH %s", xst_bars(p->b, p->len));
	mw->state = MW_GONE;
	w->nactive--;
	if (!mw->initial && !mw->lossy)
		WFAIL(w, "watch %s m%lu: no initial event before the UNWATCH reply",
		      mw->path, mw->seq);
}

static void op_unwatch(struct worker *w)
{
	unsigned int i, k;

	if (!w->nactive)
		return;
	k = below(w, w->nactive);
	for (i = 0; i < MAX_MWATCH && i < w->nmw; i++)
		if (w->mw[i].state == MW_ACTIVE && !k--) {
			unwatch(w, i);
			return;
		}
}

/* ---- values --------------------------------------------------------------- */

static size_t own_value(struct worker *w, unsigned char *v)
{
	unsigned int k = below(w, 8), i;
	size_t len;

	if (!k)
		return 0;
	len = k < 6 ? 1 + below(w, 32) : 1 + below(w, w->vmax);
	for (i = 0; i < len; i++)
		v[i] = (unsigned char)rnd(w);
	return len;
}

/* "w<id>.<seq>:" then <fill> times one letter, then "#<fill>" */
static size_t shared_value(struct worker *w, char *v)
{
	unsigned int fill = below(w, w->guest ? 200 : SHARED_FILL);
	int n;

	w->seq++;
	n = sprintf(v, "w%d.%u:", w->id, w->seq);
	memset(v + n, 'a' + w->seq % 26, fill);
	n += fill;
	n += sprintf(v + n, "#%u", fill);
	return n;
}

static bool shared_value_ok(const unsigned char *v, size_t n)
{
	const unsigned char *p = v, *end = v + n, *hash;
	unsigned int id, seq, fill, i;
	char tail[16];
	int k;

	if (!n)
		return true;	/* made by MKDIR, or as a parent */
	if (sscanf((const char *)v, "w%u.%u:%n", &id, &seq, &k) != 2 ||
	    (size_t)k > n)
		return false;
	p += k;
	hash = memchr(p, '#', end - p);
	if (!hash)
		return false;
	for (i = 0; p + i < hash; i++)
		if (p[i] != p[0] || p[i] < 'a' || p[i] > 'z')
			return false;
	fill = hash - p;
	if (fill && p[0] != 'a' + seq % 26)
		return false;
	k = snprintf(tail, sizeof(tail), "#%u", fill);
	return end - hash == k && !memcmp(hash, tail, k);
}

static bool counter_parse(const struct xst_msg *m, unsigned long *v)
{
	char *end;

	if (m->hdr.type != XS_READ || !m->hdr.len || m->hdr.len > 12 ||
	    strspn((const char *)m->body, "0123456789") != m->hdr.len)
		return false;
	*v = strtoul((const char *)m->body, &end, 10);
	return true;
}

/* ---- plain operations ---------------------------------------------------- */

static int pick_entry(struct worker *w)
{
	return below(w, NE);
}

static void op_own_write(struct worker *w, struct conn *c, int e)
{
	static struct xst_msg m;
	static char buf[XST_PAYLOAD_MAX];
	unsigned char v[DOM0_VMAX];
	size_t len = own_value(w, v), n;
	const char *path = own_path(w, e, below(w, 2));
	uint32_t must = 0, may = 0;

	trace(w, "WRITE %s (%zu bytes) on the %s connection", path, len,
	      c->name);
	model_write(&w->model, e, v, len, &must, &may);
	push_group(w, must, may, xst_fmt("WRITE %s", ename[e]));
	n = path_value(buf, path, v, len);
	call_any(w, c, XS_WRITE, 0, buf, n, &m);
	EXPECT_OK(w, &m, XS_WRITE, "WRITE %s", path);
}

static void op_own(struct worker *w, enum op op)
{
	static struct xst_msg m;
	int e = pick_entry(w);
	bool rel = below(w, 2);
	const char *path = own_path(w, e, rel);
	uint32_t must = 0, may = 0;
	bool ok;

	switch (op) {
	case OP_WRITE:
		op_own_write(w, &w->main, e);
		break;
	case OP_READ:
		trace(w, "READ %s", path);
		call_any(w, &w->main, XS_READ, 0, path, strlen(path) + 1, &m);
		expect_read(w, &w->model, e, &m, "");
		break;
	case OP_RM:
		trace(w, "RM %s", path);
		ok = model_rm(&w->model, e, &must, &may);
		push_group(w, must, may, xst_fmt("RM %s", ename[e]));
		call(w, &w->main, XS_RM, 0, path, strlen(path) + 1, &m);
		if (ok ? !reply_is(&m, XS_RM, OK_REPLY) :
			 !reply_err(&m, "ENOENT"))
			WFAIL(w, "RM %s: got %s %s, expected %s", path,
			      xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len), ok ? "OK" : "ENOENT");
		break;
	case OP_MKDIR:
		trace(w, "MKDIR %s", path);
		model_mkdir(&w->model, e, &must, &may);
		push_group(w, must, may, xst_fmt("MKDIR %s", ename[e]));
		call(w, &w->main, XS_MKDIR, 0, path, strlen(path) + 1, &m);
		EXPECT_OK(w, &m, XS_MKDIR, "MKDIR %s", path);
		break;
	default:
		e = below(w, NS + 1) ? (int)(NK + below(w, NS)) : -1;
		path = own_path(w, e, rel);
		trace(w, "DIRECTORY %s", path);
		call(w, &w->main, XS_DIRECTORY, 0, path, strlen(path) + 1, &m);
		expect_directory(w, &w->model, e, false, &m, "");
		break;
	}
}

/* A write of the side connection to an existing own node; -1 if none. */
static int side_write(struct worker *w)
{
	int present[NE], n = 0, e;

	for (e = 0; e < NE; e++)
		if (w->model.e[e].present)
			present[n++] = e;
	if (!n)
		return -1;
	e = present[below(w, n)];
	op_own_write(w, &w->side, e);
	return e;
}

static const char *shared_path(struct worker *w, unsigned int *j)
{
	*j = below(w, NSHARED);
	return below(w, 4) ? xst_fmt(AREA "/x%u", *j) :
			     xst_fmt(AREA "/x%u/y", *j);
}

static void check_shared_read(struct worker *w, const char *path,
			      const struct xst_msg *m)
{
	if (m->hdr.type == XS_READ ? !shared_value_ok(m->body, m->hdr.len) :
				     !reply_err(m, "ENOENT"))
		WFAIL(w, "READ %s: %s %s is neither a whole value nor ENOENT",
		      path, xst_type_name(m->hdr.type),
		      xst_esc(m->body, m->hdr.len));
}

/* Children of the shared area: sorted, distinct, x0..x11. */
static void check_area_list(struct worker *w, const struct xst_msg *m)
{
	const char *prev = NULL, *name;
	size_t off = 0;
	char *end;

	if (m->hdr.type != XS_DIRECTORY ||
	    (m->hdr.len && m->body[m->hdr.len - 1]))
		WFAIL(w, "DIRECTORY " AREA ": %s %s", xst_type_name(m->hdr.type),
		      xst_esc(m->body, m->hdr.len));
	while (off < m->hdr.len) {
		name = (const char *)m->body + off;
		if (name[0] != 'x' || strtoul(name + 1, &end, 10) >= NSHARED ||
		    *end || !name[1])
			WFAIL(w, "DIRECTORY " AREA ": unexpected child \"%s\" in %s",
			      name, xst_esc(m->body, m->hdr.len));
		if (prev && strcmp(prev, name) >= 0)
			WFAIL(w, "DIRECTORY " AREA ": \"%s\" after \"%s\" in %s",
			      name, prev, xst_esc(m->body, m->hdr.len));
		prev = name;
		off += strlen(name) + 1;
	}
}

static void op_shared(struct worker *w, enum op op)
{
	static struct xst_msg m;
	static char buf[XST_PAYLOAD_MAX], v[SHARED_FILL + 64];
	unsigned int j;
	const char *path = shared_path(w, &j);
	size_t len;

	switch (op) {
	case OP_SH_WRITE:
		len = shared_value(w, v);
		trace(w, "WRITE %s (%zu bytes)", path, len);
		call_any(w, &w->main, XS_WRITE, 0, buf,
			 path_value(buf, path, v, len), &m);
		EXPECT_OK(w, &m, XS_WRITE, "WRITE %s", path);
		break;
	case OP_SH_READ:
		trace(w, "READ %s", path);
		call_any(w, &w->main, XS_READ, 0, path, strlen(path) + 1, &m);
		check_shared_read(w, path, &m);
		break;
	case OP_SH_RM:
		trace(w, "RM %s", path);
		call(w, &w->main, XS_RM, 0, path, strlen(path) + 1, &m);
		/* x<j>/y: ENOENT if x<j> went meanwhile */
		if (!reply_is(&m, XS_RM, OK_REPLY) &&
		    !(strchr(path + sizeof(AREA), '/') &&
		      reply_err(&m, "ENOENT")))
			WFAIL(w, "RM %s: %s %s", path,
			      xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len));
		break;
	case OP_SH_MKDIR:
		trace(w, "MKDIR %s", path);
		call(w, &w->main, XS_MKDIR, 0, path, strlen(path) + 1, &m);
		EXPECT_OK(w, &m, XS_MKDIR, "MKDIR %s", path);
		break;
	default:
		trace(w, "DIRECTORY " AREA);
		call(w, &w->main, XS_DIRECTORY, 0, S(AREA), &m);
		check_area_list(w, &m);
		break;
	}
}

/* ---- transactions -------------------------------------------------------- */

enum tx_end { TX_COMMITTED, TX_EAGAIN, TX_ABORTED, TX_QUOTA };

/* An own node the transaction may name (not one changed behind its back). */
static int tx_pick(struct worker *w)
{
	int e, tries;

	for (tries = 0; tries < 32; tries++) {
		e = pick_entry(w);
		if (!(w->tx.ex & BIT(e)))
			return e;
	}
	return -1;
}

/* @bits touched by the transaction; some written by the side connection. */
static void tx_touch(struct worker *w, uint32_t bits)
{
	struct txstate *t = &w->tx;

	if (bits & t->ex)
		t->loose = true;
	t->a |= bits;
}

static uint32_t family(int e)
{
	uint32_t b = BIT(e);

	if (parent_of(e) >= 0)
		b |= BIT(parent_of(e));
	if (child_of(e) >= 0)
		b |= BIT(child_of(e));
	return b;
}

/* One request on the own subtree inside the transaction. */
static void tx_own_op(struct worker *w)
{
	static struct xst_msg m;
	static char buf[XST_PAYLOAD_MAX];
	struct txstate *t = &w->tx;
	struct own *s = &w->txview;
	unsigned char v[DOM0_VMAX];
	uint32_t must = 0, may = 0;
	int e = tx_pick(w), k = below(w, 100);
	const char *path;
	size_t len;
	bool ok;

	if (e < 0)
		return;
	path = own_path(w, e, below(w, 2));
	if (k < 35) {
		trace(w, "  tx %u: READ %s", t->id, path);
		call_any(w, &w->main, XS_READ, t->id, path, strlen(path) + 1,
			 &m);
		expect_read(w, s, e, &m, "in a transaction");
		/* what it changed itself, it does not read from the store */
		if (!(t->w & BIT(e)))
			t->r |= BIT(e);
		t->x |= BIT(e);
		tx_touch(w, family(e));
	} else if (k < 65) {
		len = own_value(w, v);
		trace(w, "  tx %u: WRITE %s (%zu bytes)", t->id, path, len);
		model_write(s, e, v, len, &must, &may);
		call_any(w, &w->main, XS_WRITE, t->id, buf,
			 path_value(buf, path, v, len), &m);
		EXPECT_OK(w, &m, XS_WRITE, "WRITE %s in a transaction", path);
		t->x |= BIT(e);
		t->m = (t->m | must) & ~(may & ~BIT(e));
		t->w |= must | may;
		tx_touch(w, family(e));
	} else if (k < 78) {
		trace(w, "  tx %u: RM %s", t->id, path);
		ok = model_rm(s, e, &must, &may);
		call(w, &w->main, XS_RM, t->id, path, strlen(path) + 1, &m);
		if (ok ? !reply_is(&m, XS_RM, OK_REPLY) :
			 !reply_err(&m, "ENOENT"))
			WFAIL(w, "RM %s in a transaction: got %s %s, expected %s",
			      path, xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len), ok ? "OK" : "ENOENT");
		t->x |= BIT(e);
		t->m = (t->m | must) & ~(may & ~BIT(e));
		t->w |= must | (may & ~BIT(e));
		tx_touch(w, family(e));
	} else if (k < 88) {
		trace(w, "  tx %u: MKDIR %s", t->id, path);
		model_mkdir(s, e, &must, &may);
		call(w, &w->main, XS_MKDIR, t->id, path, strlen(path) + 1, &m);
		EXPECT_OK(w, &m, XS_MKDIR, "MKDIR %s in a transaction", path);
		t->x |= BIT(e);
		t->m = (t->m | must) & ~(may & ~BIT(e));
		t->w |= must | (may & ~BIT(e));
		tx_touch(w, family(e));
	} else {
		e = below(w, NS + 1) ? (int)(NK + below(w, NS)) : -1;
		if (e >= 0 && (t->ex & BIT(e)))
			return;
		path = own_path(w, e, below(w, 2));
		trace(w, "  tx %u: DIRECTORY %s", t->id, path);
		call(w, &w->main, XS_DIRECTORY, t->id, path, strlen(path) + 1,
		     &m);
		expect_directory(w, s, e, false, &m, "in a transaction");
		if (e >= 0)
			tx_touch(w, family(e));
	}
}

/* One request on the shared nodes inside the transaction. */
static void tx_shared_op(struct worker *w)
{
	static struct xst_msg m;
	static char buf[XST_PAYLOAD_MAX];
	struct txstate *t = &w->tx;
	unsigned int j = below(w, NSHARED), k = below(w, 10);
	const char *path = xst_fmt(AREA "/x%u", j);
	size_t len;

	t->shared = true;
	if (k < 6) {
		trace(w, "  tx %u: READ %s", t->id, path);
		call_any(w, &w->main, XS_READ, t->id, path, strlen(path) + 1,
			 &m);
		check_shared_read(w, path, &m);
		/* what it read or wrote stays as it saw or made it */
		if (t->sh[j] == SH_PRESENT &&
		    !reply_is(&m, XS_READ, t->shval[j], t->shlen[j]))
			WFAIL(w, "READ %s again in transaction %u: %s, first %s",
			      path, t->id, xst_esc(m.body, m.hdr.len),
			      xst_esc(t->shval[j], t->shlen[j]));
		if (t->sh[j] == SH_ABSENT && !reply_err(&m, "ENOENT"))
			WFAIL(w, "READ %s again in transaction %u: %s %s, first ENOENT",
			      path, t->id, xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len));
		if (m.hdr.type == XS_READ) {
			t->sh[j] = SH_PRESENT;
			t->shlen[j] = m.hdr.len;
			memcpy(t->shval[j], m.body, m.hdr.len);
		} else {
			t->sh[j] = SH_ABSENT;
		}
	} else if (k < 9) {
		len = shared_value(w, (char *)t->shval[j]);
		trace(w, "  tx %u: WRITE %s (%zu bytes)", t->id, path, len);
		call_any(w, &w->main, XS_WRITE, t->id, buf,
			 path_value(buf, path, t->shval[j], len), &m);
		EXPECT_OK(w, &m, XS_WRITE, "WRITE %s in a transaction", path);
		t->sh[j] = SH_PRESENT;
		t->shlen[j] = len;
	} else {
		trace(w, "  tx %u: RM %s", t->id, path);
		call(w, &w->main, XS_RM, t->id, path, strlen(path) + 1, &m);
		EXPECT_OK(w, &m, XS_RM, "RM %s in a transaction", path);
		t->sh[j] = SH_ABSENT;
	}
}

static void tx_counter_read(struct worker *w, unsigned long want, bool check)
{
	static struct xst_msg m;
	struct txstate *t = &w->tx;
	unsigned long v;

	trace(w, "  tx %u: READ " COUNTER, t->id);
	call_any(w, &w->main, XS_READ, t->id, S(COUNTER), &m);
	if (!counter_parse(&m, &v))
		WFAIL(w, "READ " COUNTER " in a transaction: %s %s",
		      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	if (check && v != want)
		WFAIL(w, "READ " COUNTER " again in transaction %u: %lu, expected %lu",
		      t->id, v, want);
	t->v = v;
}

/* The side connection changes a node while the transaction is open. */
static void tx_side_write(struct worker *w)
{
	struct txstate *t = &w->tx;
	int e = side_write(w);
	uint32_t b;

	if (e < 0)
		return;
	b = BIT(e);
	trace(w, "  tx %u: side connection wrote %s", t->id, ename[e]);
	w->res->conflicts++;
	if (t->r & b)
		t->conflict_r = true;
	else if (t->a & b)
		t->loose = true;
	else
		t->side_elsewhere = true;
	if (!(t->x & b))
		t->ex |= b;
}

/*
 * One transaction: the counter incremented (@counter), requests on the
 * own subtree and (with the counter) on the shared nodes, maybe a write
 * of the side connection in between; committed, or aborted if @abort_it.
 */
static enum tx_end tx_attempt(struct worker *w, bool counter, bool abort_it)
{
	static struct xst_msg m;
	static char buf[64];
	struct txstate *t = &w->tx;
	unsigned int n, i, k;
	uint32_t must = 0, may;
	bool committed, own_only;
	char *end;
	int e;

	trace(w, "TRANSACTION_START%s%s", counter ? " (counter)" : "",
	      abort_it ? " (to abort)" : "");
	call(w, &w->main, XS_TRANSACTION_START, 0, "", 1, &m);
	if (w->guest && reply_err(&m, "ENOSPC")) {
		w->res->tx_quota++;
		return TX_QUOTA;
	}
	memset(t, 0, sizeof(*t));
	t->id = m.hdr.type == XS_TRANSACTION_START ?
		strtoul((const char *)m.body, &end, 10) : 0;
	if (!t->id || m.hdr.len < 2 || *end)
		WFAIL(w, "TRANSACTION_START: %s %s", xst_type_name(m.hdr.type),
		      xst_esc(m.body, m.hdr.len));
	t->counter = counter;
	w->txview = w->model;
	w->txstart = w->model;
	if (counter)
		tx_counter_read(w, 0, false);
	n = 1 + below(w, 6);
	for (i = 0; i < n; i++) {
		k = below(w, 100);
		if (k < 8)
			tx_side_write(w);
		else if (counter && k < 22)
			tx_shared_op(w);
		else if (counter && k < 27)
			tx_counter_read(w, t->v, true);
		else
			tx_own_op(w);
	}
	if (counter) {
		n = snprintf(buf, sizeof(buf), "%s%c%lu", COUNTER, 0, t->v + 1);
		trace(w, "  tx %u: WRITE " COUNTER " %lu", t->id, t->v + 1);
		call_any(w, &w->main, XS_WRITE, t->id, buf, n, &m);
		if (!reply_is(&m, XS_WRITE, OK_REPLY))
			WFAIL(w, "WRITE " COUNTER " in a transaction: %s %s",
			      xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len));
		if (below(w, 4) == 0) {
			tx_counter_read(w, t->v + 1, true);
			t->v--;		/* the value read at first */
		}
	}
	trace(w, "  tx %u: TRANSACTION_END %s", t->id, abort_it ? "F" : "T");
	call(w, &w->main, XS_TRANSACTION_END, t->id, abort_it ? "F" : "T", 2,
	     &m);
	if (abort_it) {
		if (!reply_is(&m, XS_TRANSACTION_END, OK_REPLY))
			WFAIL(w, "TRANSACTION_END F: %s %s",
			      xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len));
		w->res->aborts++;
		return TX_ABORTED;
	}
	committed = reply_is(&m, XS_TRANSACTION_END, OK_REPLY);
	if (!committed && !reply_err(&m, "EAGAIN"))
		WFAIL(w, "TRANSACTION_END T: %s %s", xst_type_name(m.hdr.type),
		      xst_esc(m.body, m.hdr.len));
	own_only = !t->counter && !t->shared;
	if (t->conflict_r) {
		if (committed)
			WFAIL(w, "transaction %u committed though a node it had read was changed by another connection before the commit",
			      t->id);
		w->res->conflicts_caught++;
	} else if (own_only && !t->loose) {
		if (!committed)
			WFAIL(w, "transaction %u on nodes nobody else changed failed with EAGAIN",
			      t->id);
		w->res->must_commit++;
		w->res->disjoint += t->side_elsewhere;
	}
	if (!committed) {
		w->res->eagain++;
		return TX_EAGAIN;
	}
	/*
	 * The changes, and their events: once per node whose last change
	 * named it; parents created and children removed with a node may
	 * have theirs.
	 */
	may = t->a | t->w;
	for (e = 0; e < NE; e++) {
		if (!(t->w & BIT(e)))
			continue;
		if ((t->m & BIT(e)) &&
		    !entry_eq(&w->txview.e[e], &w->txstart.e[e]))
			must |= BIT(e);
		w->model.e[e] = w->txview.e[e];
	}
	if (must | may)
		push_group(w, must, may, xst_fmt("commit of transaction %u",
						 t->id));
	w->res->commits++;
	if (counter) {
		if (w->res->nvals < MAX_COMMITS)
			w->res->vals[w->res->nvals] = t->v;
		w->res->nvals++;
	}
	return TX_COMMITTED;
}

static void op_tx_counter(struct worker *w)
{
	int tries;
	enum tx_end r;

	for (tries = 0; tries < TX_TRIES; tries++) {
		r = tx_attempt(w, true, false);
		settle(w);
		if (r != TX_EAGAIN)
			return;
	}
	w->res->gave_up++;
}

static void op_tx_own(struct worker *w)
{
	tx_attempt(w, false, below(w, 6) == 0);
}

/* ---- short-lived connections --------------------------------------------- */

/*
 * A connection closed with a transaction open, a watch registered, half a
 * request, or replies unread: none of it may change the store or be left
 * behind.
 */
static void op_ephemeral(struct worker *w)
{
	static struct xst_msg m;
	static char buf[XST_MSG_MAX], pl[XST_PAYLOAD_MAX];
	struct conn c = {
		.fd = w->guest ? xst_open_domain(w->domid) : xst_open(0),
		.kind = C_EPH, .name = "short-lived",
	};
	unsigned char v[DOM0_VMAX];
	unsigned int k = below(w, 4), i, n;
	const struct xst_buf *p;
	const char *path;
	uint32_t tx;
	char *end;
	size_t len;

	switch (k) {
	case 0:
		trace(w, "short-lived connection: transaction left open");
		call(w, &c, XS_TRANSACTION_START, 0, "", 1, &m);
		if (w->guest && reply_err(&m, "ENOSPC"))
			break;
		tx = strtoul((const char *)m.body, &end, 10);
		if (m.hdr.type != XS_TRANSACTION_START || !tx || *end)
			WFAIL(w, "TRANSACTION_START: %s %s",
			      xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len));
		n = 1 + below(w, 4);
		for (i = 0; i < n; i++) {
			path = own_path(w, pick_entry(w), false);
			if (below(w, 4)) {
				len = own_value(w, v);
				call(w, &c, XS_WRITE, tx, pl,
				     path_value(pl, path, v, len), &m);
			} else {
				call(w, &c, XS_RM, tx, path, strlen(path) + 1,
				     &m);
			}
		}
		call(w, &c, XS_WRITE, tx, pl,
		     path_value(pl, COUNTER, "999999999", 9), &m);
		break;
	case 1:
		trace(w, "short-lived connection: watch left registered");
		p = XST_STRS(own_path(w, -1, false), "eph");
		call(w, &c, XS_WATCH, 0, p->b, p->len, &m);
		if (!reply_is(&m, XS_WATCH, OK_REPLY))
			WFAIL(w, "WATCH on a short-lived connection: %s %s",
			      xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len));
		break;
	case 2:
		trace(w, "short-lived connection: half a request");
		n = path_value(pl, own_path(w, 0, false), "x", 1);
		len = xst_build(buf, XS_WRITE, 1, 0, pl, n);
		xst_write_all(c.fd, buf, len / 2);
		break;
	default:
		trace(w, "short-lived connection: replies not read");
		xst_send(c.fd, XS_READ, 1, 0, S(COUNTER));
		xst_send(c.fd, XS_TRANSACTION_START, 2, 0, "", 1);
		xst_send(c.fd, XS_DIRECTORY, 3, 0, S(AREA));
		break;
	}
	close(c.fd);
}

/* ---- a worker ------------------------------------------------------------- */

static enum op pick_op(struct worker *w)
{
	unsigned int total = 0, k, i;

	for (i = 0; i < NOPS; i++)
		total += ops[i].weight;
	k = below(w, total);
	for (i = 0; k >= ops[i].weight; i++)
		k -= ops[i].weight;
	return i;
}

static void worker_start(struct worker *w)
{
	static struct xst_msg m;
	const char *wp;

	if (w->guest) {
		call(w, &w->main, XS_MKDIR, 0, S("stress"), &m);
		if (!reply_is(&m, XS_MKDIR, OK_REPLY))
			WFAIL(w, "MKDIR stress: %s %s",
			      xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len));
		call(w, &w->main, XS_MKDIR, 0, w->rroot, strlen(w->rroot) + 1,
		     &m);
		EXPECT_OK(w, &m, XS_MKDIR, "MKDIR %s", w->rroot);
	}
	wp = w->own_rel ? w->rroot : w->root;
	push_group(w, BIT(E_ROOT), 0, "the own watch's initial event");
	call(w, &w->side, XS_WATCH, 0, XST_STRS(wp, "own")->b,
	     strlen(wp) + 5, &m);
	EXPECT_OK(w, &m, XS_WATCH, "WATCH %s own", wp);
	settle(w);
}

/* Sentinel, final reads, what the parent needs; the connections closed. */
static void worker_finish(struct worker *w)
{
	static struct xst_msg m;
	static char buf[256];
	long long until;
	unsigned int i;
	int e;

	drain_main(w);
	for (i = 0; i < MAX_MWATCH && i < w->nmw; i++)
		if (w->mw[i].state == MW_ACTIVE && below(w, 2))
			unwatch(w, i);
	settle(w);

	/* The last change: its event must come, after every other. */
	trace(w, "WRITE %s/end", w->root);
	push_group(w, BIT(E_END), 0, "WRITE end");
	call(w, &w->main, XS_WRITE, 0, buf,
	     path_value(buf, xst_fmt("%s/end", w->root), "end", 3), &m);
	EXPECT_OK(w, &m, XS_WRITE, "WRITE %s/end", w->root);
	until = xst_now_ms() + 5000;
	while (w->nq && (w->q[w->nq - 1].seen & BIT(E_END)) == 0 &&
	       xst_now_ms() < until) {
		if (recv_msg(w, &w->side, &m, 100))
			on_event(w, &w->side, &m);
	}
	settle(w);

	for (e = 0; e < NE; e++) {
		const char *path = own_path(w, e, false);

		call(w, &w->main, XS_READ, 0, path, strlen(path) + 1, &m);
		expect_read(w, &w->model, e, &m, "at the end");
	}
	call(w, &w->main, XS_DIRECTORY, 0, w->root, strlen(w->root) + 1, &m);
	expect_directory(w, &w->model, -1, true, &m, "at the end");
	drain_main(w);
	for (i = 0; i < MAX_MWATCH && i < w->nmw; i++)
		if (w->mw[i].state == MW_ACTIVE && !w->mw[i].initial &&
		    !w->mw[i].lossy)
			WFAIL(w, "watch %s m%lu: no initial event",
			      w->mw[i].path, w->mw[i].seq);
	w->res->model = w->model;
	close(w->main.fd);
	close(w->side.fd);
}

static noreturn void worker_run(int id, unsigned int domid, unsigned int seed,
				long long deadline, struct result *res,
				int parent_fd)
{
	static struct worker wk;
	struct worker *w = &wk;
	enum op op;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(parent_fd);
	w->id = id;
	w->domid = domid;
	w->guest = domid != 0;
	w->rng = ((uint64_t)seed << 32 | (uint64_t)(id + 1) * 0x9e3779b9u) |
		 1;
	w->deadline = deadline;
	w->res = res;
	w->vmax = w->guest ? GUEST_VMAX : DOM0_VMAX;
	cur = w;
	atexit(dump_trace);
	if (w->guest) {
		snprintf(w->rroot, sizeof(w->rroot), "stress/w%d", id);
		snprintf(w->root, sizeof(w->root), "/local/domain/%u/stress/w%d",
			 domid, id);
		w->own_rel = below(w, 2);
		w->main.fd = xst_open_domain(domid);
		w->side.fd = xst_open_domain(domid);
	} else {
		snprintf(w->root, sizeof(w->root), BASE "/w%d", id);
		w->main.fd = xst_open(0);
		w->side.fd = xst_open(0);
	}
	w->main.kind = C_MAIN;
	w->main.name = "main";
	w->side.kind = C_SIDE;
	w->side.name = "side";
	res->domid = domid;
	memcpy(res->root, w->root, sizeof(res->root));
	worker_start(w);

	while (xst_now_ms() < w->deadline) {
		w->nop++;
		op = pick_op(w);
		res->ops[op]++;
		switch (op) {
		case OP_WRITE:
		case OP_READ:
		case OP_RM:
		case OP_MKDIR:
		case OP_DIRECTORY:
			op_own(w, op);
			break;
		case OP_SH_WRITE:
		case OP_SH_READ:
		case OP_SH_RM:
		case OP_SH_MKDIR:
		case OP_SH_DIRECTORY:
			op_shared(w, op);
			break;
		case OP_TX_COUNTER:
			op_tx_counter(w);
			break;
		case OP_TX_OWN:
			op_tx_own(w);
			break;
		case OP_WATCH:
			op_watch(w);
			break;
		case OP_UNWATCH:
			op_unwatch(w);
			break;
		case OP_SIDE_WRITE:
			side_write(w);
			break;
		default:
			op_ephemeral(w);
			break;
		}
		settle(w);
		drain_main(w);
	}
	worker_finish(w);
	res->done = 1;
	fflush(stdout);
	_exit(0);
}

/* ---- the parent ------------------------------------------------------------ */

static void rpc_ok(int fd, uint32_t type, const struct xst_buf *p)
{
	xst_rpc(fd, type, p->b, p->len, type, OK_REPLY);
}

static void control_check(int d0, const char *when)
{
	static struct xst_msg m;

	xst_call(d0, XS_CONTROL, 0, S("check"), &m);
	CHECK(reply_is(&m, XS_CONTROL, OK_REPLY),
	      "CONTROL check %s answered %s %s", when,
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
}

/* A count from "xenstore-control quota <domid>": "<name>  <n>[/<max>]". */
static unsigned long quota_usage(const struct xst_msg *m, const char *name)
{
	const char *p = strstr((const char *)m->body, name);

	CHECK(p, "CONTROL quota has no %s: %s", name,
	      xst_esc(m->body, m->hdr.len));
	return strtoul(p + strlen(name) + strspn(p + strlen(name), " "), NULL,
		       10);
}

static void guest_usage(int d0, unsigned int domid, unsigned long *dropped)
{
	static struct xst_msg m;
	const struct xst_buf *p = XST_STRS("quota", xst_u(domid));
	unsigned long conns, watches, txs;

	xst_call(d0, XS_CONTROL, 0, p->b, p->len, &m);
	CHECK(m.hdr.type == XS_CONTROL, "CONTROL quota %u: %s %s", domid,
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	conns = quota_usage(&m, "\nconnections");
	watches = quota_usage(&m, "\nwatches");
	txs = quota_usage(&m, "\ntransactions");
	*dropped = quota_usage(&m, "\nevents-dropped");
	CHECK(!conns && !watches && !txs,
	      "domain %u still has %lu connections, %lu watches, %lu transactions after its workers closed theirs",
	      domid, conns, watches, txs);
}

/* What an earlier run may have left of a domain: its home, its entry. */
static void forget_domain(int d0, unsigned int domid)
{
	static struct xst_msg m;
	const struct xst_buf *p = XST_STRS(xst_u(domid));

	xst_rm_any(d0, xst_home(domid));
	xst_call(d0, XS_RELEASE, 0, p->b, p->len, &m);
}

static void home(int d0, unsigned int domid)
{
	xst_rm_any(d0, xst_home(domid));
	xst_mkdir(d0, xst_home(domid));
	rpc_ok(d0, XS_SET_PERMS, XST_STRS(xst_home(domid),
					  xst_fmt("n%u", domid)));
}

/*
 * A domain comes and goes while the workers run: introduced, its
 * connection writes, opens a transaction and a watch, and it is
 * released with them open; its nodes go with it.
 */
static void churn(int d0)
{
	static struct xst_msg m;
	const struct xst_buf *p;
	uint32_t tx;
	char hdr[XST_HDR_LEN];
	int g;

	rpc_ok(d0, XS_INTRODUCE, XST_STRS(xst_u(CHURN_DOM), "63", "1"));
	home(d0, CHURN_DOM);
	g = xst_open_domain(CHURN_DOM);
	p = XST_STRS("data", "v");
	xst_ev_rpc(g, XS_WRITE, p->b, p->len, XS_WRITE, OK_REPLY);
	tx = xst_tx_start(g);
	p = XST_STRS("intx", "w");
	xst_ev_rpc_tx(g, XS_WRITE, tx, p->b, p->len, XS_WRITE, OK_REPLY);
	xst_watch(g, "data", "churn");
	rpc_ok(d0, XS_RELEASE, XST_STRS(xst_u(CHURN_DOM)));
	xst_build(hdr, XS_READ, 1, 0, NULL, 0);
	CHECK(write(g, hdr, sizeof(hdr)) < 0 && errno == EPIPE,
	      "a released domain's connection took a request (%s)",
	      strerror(errno));
	xst_ev_close(g);
	xst_call(d0, XS_READ, 0, xst_home(CHURN_DOM),
		 strlen(xst_home(CHURN_DOM)) + 1, &m);
	CHECK(reply_err(&m, "ENOENT"),
	      "%s after RELEASE of its owner: %s %s", xst_home(CHURN_DOM),
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
}

/* Read back a worker's subtree from the control domain, after it closed. */
static void verify_worker(int d0, int i, const struct result *r)
{
	static struct xst_msg m;
	const char *path;
	int e;

	for (e = 0; e < NE; e++) {
		const struct entry *x = &r->model.e[e];

		path = xst_fmt("%s/%s", r->root, ename[e]);
		xst_call(d0, XS_READ, 0, path, strlen(path) + 1, &m);
		CHECK(x->present ? reply_is(&m, XS_READ, x->val, x->len) :
				   reply_err(&m, "ENOENT"),
		      "worker %d: %s is %s %s, its last committed state %s",
		      i, path, xst_type_name(m.hdr.type),
		      xst_esc(m.body, m.hdr.len),
		      x->present ? xst_esc(x->val, x->len) : "absent");
	}
	path = xst_fmt("%s/end", r->root);
	xst_read_expect(d0, path, "end", 3);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Counter values: 0 .. commits - 1, each committed exactly once. */
static void verify_counter(int d0, struct result *res, int n)
{
	static struct xst_msg m;
	unsigned long total = 0, v, k = 0;
	uint32_t *all;
	int i;

	for (i = 0; i < n; i++)
		total += res[i].nvals;
	xst_call(d0, XS_READ, 0, S(COUNTER), &m);
	CHECK(counter_parse(&m, &v), "READ " COUNTER ": %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	printf("# counter %lu, %lu increments committed\n", v, total);
	CHECK(v == total,
	      "the counter is %lu after %lu committed increments: %s", v,
	      total, v < total ? "committed increments lost" :
				 "increments not reported as committed applied");
	all = calloc(total + 1, sizeof(*all));
	CHECK(all, "out of memory");
	for (i = 0; i < n; i++) {
		if (res[i].nvals > MAX_COMMITS)
			return;	/* not all kept: the total must do */
		memcpy(all + k, res[i].vals, res[i].nvals * sizeof(*all));
		k += res[i].nvals;
	}
	qsort(all, total, sizeof(*all), cmp_u32);
	for (k = 0; k < total; k++)
		CHECK(all[k] == k,
		      "increment from %u committed %s (sorted position %lu)",
		      all[k], k && all[k] == all[k - 1] ? "twice" : "out of sequence",
		      k);
	free(all);
}

static void t_random_operations_keep_the_invariants(void)
{
	unsigned int nprocs = xst_env_ul("KXS_STRESS_PROCS", 4, 1, MAX_PROCS);
	unsigned int secs = xst_env_ul("KXS_STRESS_SECONDS", 15, 1, 86400);
	unsigned int seed = xst_env_ul("KXS_STRESS_SEED",
				     (unsigned int)(xst_now_ms() ^ getpid()),
				     0, UINT32_MAX);
	static const unsigned int guests[] = { GUEST_A, GUEST_B };
	long before[XST_NSTATS], after[XST_NSTATS];
	unsigned long tot[NOPS] = { 0 }, sum_ops = 0, dropped;
	unsigned long commits = 0, eagain = 0, aborts = 0, gave_up = 0;
	unsigned long conflicts = 0, caught = 0, must = 0, disjoint = 0;
	unsigned long quota = 0;
	unsigned long own_ev = 0, main_ev = 0, ioctls = 0, order_bad = 0;
	unsigned long bursts = 0;
	unsigned long churns = 0, checks = 0;
	long long t0, deadline, last_check, wait_until;
	struct result *res;
	pid_t pid[MAX_PROCS];
	int status[MAX_PROCS], alive, failed = 0, d0, i, k;
	unsigned int g;
	size_t res_size = MAX_PROCS * sizeof(*res);

	printf("# seed %u\n", seed);
	printf("# %u processes for %u s\n", nprocs, secs);

	/* Leftovers of an earlier run, and /local/domain, before counting. */
	d0 = xst_open(0);
	xst_mkdir(d0, "/local/domain");
	xst_rm_any(d0, BASE);
	for (g = 0; g < ARRAY_SIZE(guests); g++)
		forget_domain(d0, guests[g]);
	forget_domain(d0, CHURN_DOM);
	close(d0);
	xst_stats(before);
	xst_print_stats("before", before);

	d0 = xst_open(0);
	for (g = 0; g < ARRAY_SIZE(guests); g++) {
		rpc_ok(d0, XS_INTRODUCE, XST_STRS(xst_u(guests[g]),
						  xst_u(guests[g]), "1"));
		home(d0, guests[g]);
	}
	xst_mkdir(d0, SHARED);
	rpc_ok(d0, XS_SET_PERMS, XST_STRS(SHARED, "b0"));
	xst_write_str(d0, COUNTER, "0", 1);
	xst_mkdir(d0, AREA);
	for (i = 0; i < (int)nprocs; i++)
		if (i % 3 == 0)
			xst_mkdir(d0, xst_fmt(BASE "/w%d", i));

	res = mmap(NULL, res_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(res != MAP_FAILED, "mmap: %m");
	t0 = xst_now_ms();
	deadline = t0 + secs * 1000LL;
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < (int)nprocs; i++) {
		pid[i] = fork();
		CHECK(pid[i] >= 0, "fork: %m");
		if (!pid[i])
			worker_run(i, i % 3 ? guests[(i % 3) - 1] : 0, seed,
				   deadline, &res[i], d0);
		status[i] = -1;
	}

	/* Meanwhile: a domain comes and goes; the store's check holds. */
	last_check = 0;
	alive = nprocs;
	wait_until = deadline + xst_scaled_ms(60000);
	while (alive && xst_now_ms() < wait_until) {
		if (xst_now_ms() < deadline) {
			churn(d0);
			churns++;
			if (xst_now_ms() - last_check >= 1000) {
				control_check(d0, "during the run");
				checks++;
				last_check = xst_now_ms();
			}
			usleep(20000);
		} else {
			usleep(10000);
		}
		for (i = 0; i < (int)nprocs; i++)
			if (status[i] == -1 &&
			    waitpid(pid[i], &status[i], WNOHANG) > 0)
				alive--;
	}
	for (i = 0; i < (int)nprocs; i++) {
		if (status[i] != -1)
			continue;
		printf("# worker %d did not finish within %d s after the end: hung; killing it\n",
		       i, xst_scaled_ms(60000) / 1000);
		kill(pid[i], SIGKILL);
		waitpid(pid[i], &status[i], 0);
		failed++;
	}
	for (i = 0; i < (int)nprocs; i++)
		if (!WIFEXITED(status[i]) || WEXITSTATUS(status[i]) ||
		    !res[i].done) {
			printf("# worker %d (domain %u): %s %d\n", i,
			       res[i].domid,
			       WIFSIGNALED(status[i]) ? "killed by signal" :
							"exit status",
			       WIFSIGNALED(status[i]) ? WTERMSIG(status[i]) :
							WEXITSTATUS(status[i]));
			failed++;
		}

	/* Figures. */
	for (i = 0; i < (int)nprocs; i++) {
		for (k = 0; k < NOPS; k++) {
			tot[k] += res[i].ops[k];
			sum_ops += res[i].ops[k];
		}
		commits += res[i].commits;
		eagain += res[i].eagain;
		aborts += res[i].aborts;
		gave_up += res[i].gave_up;
		quota += res[i].tx_quota;
		conflicts += res[i].conflicts;
		caught += res[i].conflicts_caught;
		must += res[i].must_commit;
		disjoint += res[i].disjoint;
		own_ev += res[i].own_events;
		main_ev += res[i].main_events;
		ioctls += res[i].ioctls;
		order_bad += res[i].order_bad;
		bursts += res[i].bursts;
		if (res[i].order_bad)
			printf("# worker %d: %lu events out of order with their WATCH reply; the first: %s\n",
			       i, res[i].order_bad, res[i].order_msg);
	}
	printf("# %.1f s, %lu operations (%.0f/s), %lu through the request ioctl:\n#",
	       (xst_now_ms() - t0) / 1000.0, sum_ops,
	       sum_ops * 1000.0 / (deadline - t0), ioctls);
	for (k = 0; k < NOPS; k++)
		printf(" %s %lu", ops[k].name, tot[k]);
	printf("\n# transactions: %lu committed, %lu EAGAIN, %lu aborted, %lu gave up after %d tries, %lu refused by the quota\n",
	       commits, eagain, aborts, gave_up, TX_TRIES, quota);
	printf("# side writes %lu in transactions: %lu commits refused since a node read changed; %lu transactions on nodes nobody else changed committed, %lu of them while other nodes changed\n",
	       conflicts, caught, must, disjoint);
	printf("# events: %lu of the own watches (all expected), %lu of the other watches (%lu bursts of over %d bytes, which may hide drops)\n",
	       own_ev, main_ev, bursts, BURST);
	printf("# domain %u introduced and released %lu times; CONTROL check %lu times during the run\n",
	       CHURN_DOM, churns, checks);
	CHECK(!failed, "%d of the %u workers failed (their output is above)",
	      failed, nprocs);

	/* Invariants. */
	for (i = 0; i < (int)nprocs; i++)
		verify_worker(d0, i, &res[i]);
	verify_counter(d0, res, nprocs);
	control_check(d0, "after the run");
	for (g = 0; g < ARRAY_SIZE(guests); g++) {
		guest_usage(d0, guests[g], &dropped);
		printf("# domain %u: %lu watch events dropped on full queues\n",
		       guests[g], dropped);
	}
	xst_rm(d0, BASE);
	for (g = 0; g < ARRAY_SIZE(guests); g++) {
		xst_rm(d0, xst_home(guests[g]));
		rpc_ok(d0, XS_RELEASE, XST_STRS(xst_u(guests[g])));
	}
	control_check(d0, "after the cleanup");
	close(d0);
	munmap(res, res_size);

	/* Everything the run allocated is freed. */
	for (k = 0; k < 50; k++) {
		xst_stats(after);
		if (!memcmp(before, after, sizeof(before)))
			break;
		usleep(100000);
	}
	xst_print_stats("after", after);
	for (i = 0; i < XST_NSTATS; i++)
		CHECK(after[i] == before[i], "%s: %ld before the run, %ld after",
		      xst_stat_names[i], before[i], after[i]);
	CHECK(!order_bad,
	      "%lu watch events came before their WATCH reply or before the initial event (see above)",
	      order_bad);
}

int main(int argc, char **argv)
{
	static const struct xst_case cases[] = {
		{ "random-operations-keep-the-invariants",
		  t_random_operations_keep_the_invariants },
	};
	unsigned int secs = xst_env_ul("KXS_STRESS_SECONDS", 15, 1, 86400);
	const char *e = getenv("KXS_CASE_TIMEOUT");
	int e_names;

	/* The names of the own nodes. */
	for (e_names = 0; e_names < NE; e_names++)
		ename[e_names] = e_names < NK ?
				 strdup(xst_fmt("k%d", e_names)) :
				 e_names < NK + NS ?
				 strdup(xst_fmt("s%d", e_names - NK)) :
				 strdup(xst_fmt("s%d/v", e_names - NK - NS));
	ename[E_END] = "end";
	/* Room for the run, the setup and the checks. */
	if (!e || atoi(e) < (int)secs + 120)
		setenv("KXS_CASE_TIMEOUT", xst_u(secs + 120), 1);
	signal(SIGPIPE, SIG_IGN);
	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
