// SPDX-License-Identifier: GPL-2.0
/*
 * Watches on the device: WATCH's reply and initial event, matching by
 * ancestor and depth, removals, relative paths, permissions, special
 * watches (@introduceDomain, @releaseDomain), transactions, RESET_WATCHES,
 * the watches quota, delivery (blocked read(), poll, epoll, the request
 * ioctl) and the bounded event queue of a connection that never reads.
 *
 * Events are written "path|token|" ('|' for NUL).  A request's own events
 * may come before its reply; the xst_ev_* helpers keep them for the
 * checks.  Every case uses nodes under AREA and domain ids of its own
 * (71xx), and removes what it created, so that the cases run in any order
 * and alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lib/xstest.h"

#define AREA "/kxs-test/watches"

/* ---- helpers ------------------------------------------------------------- */

static void rq_ok(int fd, uint32_t type, const struct xst_buf *p)
{
	xst_ev_rpc(fd, type, p->b, p->len, type, OK_REPLY);
}

static void rq_err(int fd, uint32_t type, const struct xst_buf *p,
		   const char *err)
{
	xst_ev_rpc_err(fd, type, p->b, p->len, err);
}

static void rq_tx_ok(int fd, uint32_t tx, uint32_t type,
		     const struct xst_buf *p)
{
	xst_ev_rpc_tx(fd, type, tx, p->b, p->len, type, OK_REPLY);
}

/* WRITE of a string value (without its NUL) */
static void wr_tx(int fd, uint32_t tx, const char *path, const char *val)
{
	static char buf[XST_PAYLOAD_MAX];
	size_t pl = strlen(path) + 1, vl = strlen(val);

	CHECK(pl + vl <= sizeof(buf), "payload too long");
	memcpy(buf, path, pl);
	memcpy(buf + pl, val, vl);
	xst_ev_rpc_tx(fd, XS_WRITE, tx, buf, pl + vl, XS_WRITE, OK_REPLY);
}

static void wr(int fd, const char *path, const char *val)
{
	wr_tx(fd, 0, path, val);
}

static void rd(int fd, const char *path, const char *val)
{
	xst_ev_rpc(fd, XS_READ, path, strlen(path) + 1, XS_READ, val,
		   strlen(val));
}

static void rm(int fd, const char *path)
{
	rq_ok(fd, XS_RM, XST_STRS(path));
}

static void mkdir_(int fd, const char *path)
{
	rq_ok(fd, XS_MKDIR, XST_STRS(path));
}

/* SET_PERMS @path to the perm strings in @perms (a XST_STRS list) */
static void set_perms_buf(int fd, uint32_t tx, const char *path,
			  const struct xst_buf *perms, const char *err)
{
	static struct xst_buf p;
	size_t pl = strlen(path) + 1;

	CHECK(pl + perms->len <= XST_PAYLOAD_MAX, "payload too long");
	memcpy(p.b, path, pl);
	memcpy(p.b + pl, perms->b, perms->len);
	p.len = pl + perms->len;
	if (err)
		xst_ev_rpc_tx(fd, XS_SET_PERMS, tx, p.b, p.len, XS_ERROR, err,
			      strlen(err) + 1);
	else
		rq_tx_ok(fd, tx, XS_SET_PERMS, &p);
}

#define SET_PERMS(fd, path, ...) \
	set_perms_buf(fd, 0, path, XST_STRS(__VA_ARGS__), NULL)
#define SET_PERMS_TX(fd, tx, path, ...) \
	set_perms_buf(fd, tx, path, XST_STRS(__VA_ARGS__), NULL)
#define SET_PERMS_ERR(fd, err, path, ...) \
	set_perms_buf(fd, 0, path, XST_STRS(__VA_ARGS__), err)

/* Remove a node and its subtree if it exists (dom0), whatever the answer. */
static void rm_quiet(int d0, const char *path)
{
	static struct xst_msg m;

	xst_ev_call(d0, XS_RM, 0, path, strlen(path) + 1, &m);
}

/* A fresh /local/domain/<domid>, owned by the domain, closed to others. */
static void make_home(int d0, unsigned int domid)
{
	rm_quiet(d0, xst_home(domid));
	mkdir_(d0, xst_home(domid));
	SET_PERMS(d0, xst_home(domid), xst_fmt("n%u", domid));
}

static void set_quota(int d0, unsigned int domid, const char *name,
		      unsigned int v)
{
	rq_ok(d0, XST_SET_QUOTA, XST_STRS(xst_u(domid), name, xst_u(v)));
}

static void introduce(int d0, unsigned int domid)
{
	rq_ok(d0, XS_INTRODUCE, XST_STRS(xst_u(domid), xst_u(domid), "1"));
}

static void release(int d0, unsigned int domid)
{
	rq_ok(d0, XS_RELEASE, XST_STRS(xst_u(domid)));
}

/* RELEASE a domain a failed earlier run may have left introduced. */
static void release_quiet(int d0, unsigned int domid)
{
	static struct xst_msg m;
	const struct xst_buf *p = XST_STRS(xst_u(domid));

	xst_ev_call(d0, XS_RELEASE, 0, p->b, p->len, &m);
}

static void tx_end(int fd, uint32_t tx, const char *how, const char *err)
{
	if (err)
		xst_ev_rpc_tx(fd, XS_TRANSACTION_END, tx, how, strlen(how) + 1,
			      XS_ERROR, err, strlen(err) + 1);
	else
		xst_ev_rpc_tx(fd, XS_TRANSACTION_END, tx, how, strlen(how) + 1,
			      XS_TRANSACTION_END, OK_REPLY);
}

/* CONTROL check: the store's accounting and invariants hold. */
static void store_check(int d0)
{
	static struct xst_msg m;

	xst_ev_call(d0, XS_CONTROL, 0, S("check"), &m);
	CHECK(m.hdr.type == XS_CONTROL && m.hdr.len >= 2 &&
	      !memcmp(m.body, "OK", 2),
	      "CONTROL check answered %s %s", xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));
}

/* A WATCH payload that must be refused with @err. */
static void watch_err(int fd, const void *p, size_t len, const char *err)
{
	xst_ev_rpc_err(fd, XS_WATCH, p, len, err);
}

/* "<path>|<token>|" of one event */
static const char *ev(const char *path, const char *token)
{
	return xst_fmt("%s|%s|", path, token);
}

/* two events (or strings) in one, for a few at a time */
static const char *cat(const char *a, const char *b)
{
	return xst_fmt("%s%s", a, b);
}

/* Expected events, "path|token|" for (path, token) pairs. */
struct evl {
	size_t len;
	char s[8192];
};

static const char *evs_(struct evl *l, const char *path, ...)
{
	const char *p, *t;
	va_list ap;
	int n;

	l->len = 0;
	l->s[0] = 0;
	va_start(ap, path);
	for (p = path; p; p = va_arg(ap, const char *)) {
		t = va_arg(ap, const char *);
		n = snprintf(l->s + l->len, sizeof(l->s) - l->len, "%s|%s|",
			     p, t);
		CHECK(n > 0 && (size_t)n < sizeof(l->s) - l->len,
		      "too many events");
		l->len += n;
	}
	va_end(ap);
	return l->s;
}

/* EVS(&l, path, token, path, token, ...) */
#define EVS(l, ...)	evs_(l, __VA_ARGS__, (const char *)NULL)

/* A request that must fail, with whichever error. */
static void rq_fails(int fd, uint32_t type, const struct xst_buf *p)
{
	static struct xst_msg m;

	xst_ev_call(fd, type, 0, p->b, p->len, &m);
	CHECK(m.hdr.type == XS_ERROR, "%s %s succeeded: %s %s",
	      xst_type_name(type), xst_bars(p->b, p->len),
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
}

/*
 * Figures worth seeing even when a case passes (run-all shows only a
 * failed case's output): printed, and kept in a file that main() prints
 * after the last case.
 */
static char notes_path[128];

static void note(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void note(const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	f = notes_path[0] ? fopen(notes_path, "a") : NULL;
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static void print_notes(void)
{
	char line[512];
	FILE *f = fopen(notes_path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fclose(f);
	unlink(notes_path);
}

/* ---- WATCH, UNWATCH and their errors ------------------------------------- */

static void watch_reply_then_initial_event(void)
{
	int d0 = xst_open(0), w = xst_open(0);
	uint32_t id;

	rm_quiet(d0, AREA "/init");
	/* on the wire: the reply, then the event, nothing before them */
	id = xst_next_req_id();
	xst_send(w, XS_WATCH, id, 0, S(AREA "/init/missing\0tok"));
	xst_expect(w, "WATCH of a missing path", XS_WATCH, id, 0, OK_REPLY);
	xst_expect(w, "the initial event", XS_WATCH_EVENT, 0, 0,
		   S(AREA "/init/missing\0tok"));
	xst_events_none(w);

	/* the same path with another token is another watch */
	xst_watch(w, AREA "/init/missing", "tok2");
	/* an existing node */
	wr(d0, AREA "/init/node", "v");
	xst_watch(w, AREA "/init/node", "n");
	/* with a depth: the initial event has the path and token only */
	xst_watch_depth(w, AREA "/init/node", "d0", 0);
	xst_watch_depth(w, AREA "/init/node", "d1", 1);
	/* relative: the path as given */
	xst_watch(w, "kxs-test-w-init", "rel");
	/* special paths */
	xst_watch(w, "@introduceDomain", "i");
	xst_watch(w, "@releaseDomain/7101", "r");
	xst_watch_depth(w, "@releaseDomain", "r1", 1);

	/* tx_id is ignored by WATCH: none open, and the reply echoes it */
	id = xst_next_req_id();
	xst_send(w, XS_WATCH, id, 0x4321, S(AREA "/init/tx\0t"));
	xst_expect(w, "WATCH with the tx_id of no transaction", XS_WATCH, id,
		   0x4321, OK_REPLY);
	xst_expect(w, "its initial event", XS_WATCH_EVENT, 0, 0,
		   S(AREA "/init/tx\0t"));
	xst_events_none(w);

	/* each watch is live: one event per token */
	wr(d0, AREA "/init/missing", "now");
	xst_events_expect_unordered(w, cat(ev(AREA "/init/missing", "tok"),
					   ev(AREA "/init/missing", "tok2")));
	wr(d0, AREA "/init/tx", "now");
	xst_events_expect(w, ev(AREA "/init/tx", "t"));
	xst_ev_close(w);
	rm(d0, AREA "/init");
	xst_ev_close(d0);
}

static void watch_and_unwatch_errors(void)
{
	static const char no_nul[] = AREA "/err\0t";
	int d0 = xst_open(0), w = xst_open(0);

	rm_quiet(d0, AREA "/err");
	xst_watch(w, AREA "/err", "t");

	watch_err(w, "", 0, "EINVAL");				/* nothing */
	watch_err(w, S(AREA "/err"), "EINVAL");			/* no token */
	watch_err(w, no_nul, sizeof(no_nul) - 1, "EINVAL");	/* no NUL */
	watch_err(w, S(AREA "/err/\0t"), "EINVAL");
	watch_err(w, S(AREA "//err\0t"), "EINVAL");
	watch_err(w, S(AREA "/e rr\0t"), "EINVAL");
	watch_err(w, S("@/\0t"), "EINVAL");
	/* "@" alone is a special path that never fires, as upstream's */
	xst_watch(w, "@", "t");
	xst_unwatch(w, "@", "t");
	watch_err(w, S(AREA "/err\0t\0x"), "EINVAL");		/* depth */
	watch_err(w, S(AREA "/err\0t\0-1"), "EINVAL");
	watch_err(w, S(AREA "/err\0t\0" "1\0extra"), "EINVAL");
	/* the same path and token again */
	watch_err(w, S(AREA "/err\0t"), "EEXIST");
	watch_err(w, S(AREA "/err\0t\0" "0"), "EEXIST");
	/* relative and absolute name the same watch */
	xst_watch(w, "kxs-test-w-dup", "t");
	watch_err(w, S("/local/domain/0/kxs-test-w-dup\0t"), "EEXIST");

	rq_err(w, XS_UNWATCH, XST_STRS(AREA "/err", "other"), "ENOENT");
	rq_err(w, XS_UNWATCH, XST_STRS(AREA "/nope", "t"), "ENOENT");
	rq_err(w, XS_UNWATCH, XST_STRS(AREA "/err"), "EINVAL");
	rq_err(w, XS_UNWATCH, XST_STRS(AREA "/err/", "t"), "EINVAL");
	xst_events_none(w);

	/* none of that added or removed a watch: one event */
	wr(d0, AREA "/err", "1");
	xst_events_expect(w, ev(AREA "/err", "t"));
	xst_unwatch(w, AREA "/err", "t");
	rq_err(w, XS_UNWATCH, XST_STRS(AREA "/err", "t"), "ENOENT");
	wr(d0, AREA "/err", "2");
	xst_events_none(w);
	/* and an UNWATCH of another connection's watch is ENOENT */
	rq_err(d0, XS_UNWATCH, XST_STRS("kxs-test-w-dup", "t"), "ENOENT");
	xst_unwatch(w, "/local/domain/0/kxs-test-w-dup", "t");
	xst_events_none(w);
	xst_ev_close(w);
	rm(d0, AREA "/err");
	xst_ev_close(d0);
}

/* ---- which watches an event reaches -------------------------------------- */

#define A AREA "/depth"
static void events_reach_node_and_ancestor_watches_by_depth(void)
{
	static struct evl l;
	int d0 = xst_open(0), any = xst_open(0), dz = xst_open(0),
	    d1 = xst_open(0), d2 = xst_open(0), root = xst_open(0),
	    multi = xst_open(0);

	rm_quiet(d0, A);
	rm_quiet(d0, AREA "/depthx");
	xst_watch(any, A, "any");
	xst_watch_depth(dz, A, "d0", 0);
	xst_watch_depth(d1, A, "d1", 1);
	xst_watch_depth(d2, A, "d2", 2);
	xst_watch(root, "/", "root");
	/* several matching watches on one connection: each fires once */
	xst_watch(multi, A, "m");
	xst_watch_depth(multi, A, "m1", 1);
	xst_watch(multi, A "/b", "mb");

	wr(d0, A, "v");
	xst_events_expect(any, ev(A, "any"));
	xst_events_expect(dz, ev(A, "d0"));
	xst_events_expect(d1, ev(A, "d1"));
	xst_events_expect(d2, ev(A, "d2"));
	xst_events_expect(root, ev(A, "root"));
	xst_events_expect_unordered(multi, EVS(&l, A, "m", A, "m1"));

	wr(d0, A "/b", "v");
	xst_events_expect(any, ev(A "/b", "any"));
	xst_events_none(dz);
	xst_events_expect(d1, ev(A "/b", "d1"));
	xst_events_expect(d2, ev(A "/b", "d2"));
	xst_events_expect(root, ev(A "/b", "root"));
	xst_events_expect_unordered(multi,
		EVS(&l, A "/b", "m", A "/b", "m1", A "/b", "mb"));

	wr(d0, A "/b/c", "v");
	xst_events_expect(any, ev(A "/b/c", "any"));
	xst_events_none(dz);
	xst_events_none(d1);
	xst_events_expect(d2, ev(A "/b/c", "d2"));
	xst_events_expect(root, ev(A "/b/c", "root"));
	xst_events_expect_unordered(multi, EVS(&l, A "/b/c", "m", A "/b/c", "mb"));

	/* a write that creates parents reports the written path only */
	wr(d0, A "/b/c/d/e", "v");
	xst_events_expect(any, ev(A "/b/c/d/e", "any"));
	xst_events_none(dz);
	xst_events_none(d1);
	xst_events_none(d2);
	xst_events_expect(root, ev(A "/b/c/d/e", "root"));
	xst_events_expect_unordered(multi, EVS(&l, A "/b/c/d/e", "m",
					       A "/b/c/d/e", "mb"));

	/* ".../depthx" is no child of ".../depth" */
	wr(d0, AREA "/depthx", "v");
	xst_events_expect(root, ev(AREA "/depthx", "root"));
	xst_events_none(any);
	xst_events_none(dz);
	xst_events_none(d1);
	xst_events_none(d2);
	xst_events_none(multi);

	xst_ev_close(any);
	xst_ev_close(dz);
	xst_ev_close(d1);
	xst_ev_close(d2);
	xst_ev_close(root);
	xst_ev_close(multi);
	rm(d0, A);
	rm(d0, AREA "/depthx");
	xst_ev_close(d0);
}
#undef A

#define A AREA "/kinds"
static void mkdir_set_perms_and_failed_requests(void)
{
	static struct xst_msg m;
	int d0 = xst_open(0), w = xst_open(0), g;
	uint32_t tx;

	rm_quiet(d0, A);
	wr(d0, A "/x", "1");
	g = xst_open_domain(7104);
	xst_watch(w, A, "w");

	/* MKDIR of an existing node changes nothing */
	mkdir_(d0, A "/x");
	mkdir_(d0, A);
	xst_events_none(w);
	mkdir_(d0, A "/new");
	xst_events_expect(w, ev(A "/new", "w"));
	/* SET_PERMS is a change, also to the same permissions */
	SET_PERMS(d0, A "/x", "n0", "r7104");
	xst_events_expect(w, ev(A "/x", "w"));
	SET_PERMS(d0, A "/x", "n0", "r7104");
	xst_events_expect(w, ev(A "/x", "w"));

	/* failed requests and reads report nothing */
	rq_err(d0, XS_RM, XST_STRS(A "/missing/deeper"), "ENOENT");
	rm(d0, A "/missing");		/* missing, its parent exists */
	rq_err(d0, XS_WRITE, XST_STRS(A "/bad path"), "EINVAL");
	rq_err(d0, XS_MKDIR, XST_STRS(A "/bad/"), "EINVAL");
	SET_PERMS_ERR(d0, "EINVAL", A "/x", "q0");
	SET_PERMS_ERR(d0, "ENOENT", A "/missing", "n0");
	rq_err(g, XS_WRITE, XST_STRS(A "/x", "guest"), "EACCES");
	rq_err(g, XS_MKDIR, XST_STRS(A "/y"), "EACCES");
	rq_err(g, XS_RM, XST_STRS(A "/x"), "EACCES");
	rq_fails(g, XS_SET_PERMS, XST_STRS(A "/x", "n7104"));
	rd(d0, A "/x", "1");
	xst_ev_call(d0, XS_DIRECTORY, 0, S(A), &m);
	xst_ev_call(d0, XS_GET_PERMS, 0, S(A "/x"), &m);
	tx = xst_tx_start(d0);
	rd(d0, A "/x", "1");
	tx_end(d0, tx, "T", NULL);
	xst_events_none(w);
	/* still watching */
	wr(d0, A "/x", "2");
	xst_events_expect(w, ev(A "/x", "w"));

	xst_ev_close(g);
	xst_ev_close(w);
	rm(d0, A);
	xst_ev_close(d0);
}
#undef A

#define R AREA "/rm"
static void rm_reports_removed_node_and_watch_paths(void)
{
	static struct evl l;
	int d0 = xst_open(0), cr = xst_open(0), cr0 = xst_open(0),
	    cr1 = xst_open(0), cs = xst_open(0), ct = xst_open(0),
	    ct0 = xst_open(0), cdeep = xst_open(0), csx = xst_open(0),
	    multi = xst_open(0);

	rm_quiet(d0, R);
	wr(d0, R "/s/t", "v");
	wr(d0, R "/sx", "v");
	xst_watch(cr, R, "r");
	xst_watch_depth(cr0, R, "r0", 0);
	xst_watch_depth(cr1, R, "r1", 1);
	xst_watch(cs, R "/s", "s");
	xst_watch(ct, R "/s/t", "t");
	xst_watch_depth(ct0, R "/s/t", "t0", 0);
	xst_watch(cdeep, R "/s/t/u/v", "deep");	/* never existed */
	xst_watch(csx, R "/sx", "sx");
	xst_watch(multi, R "/s/t", "a");
	xst_watch(multi, R "/s/t/u/v", "b");
	xst_watch(multi, R, "c");

	rm(d0, R "/s");
	/* watches on the node and above it: the removed node */
	xst_events_expect(cr, ev(R "/s", "r"));
	xst_events_none(cr0);
	xst_events_expect(cr1, ev(R "/s", "r1"));
	xst_events_expect(cs, ev(R "/s", "s"));
	/*
	 * watches below it on a removed node: their own path; on a path
	 * that named no node: nothing (the reference's rule)
	 */
	xst_events_expect(ct, ev(R "/s/t", "t"));
	xst_events_expect(ct0, ev(R "/s/t", "t0"));
	xst_events_none(cdeep);
	xst_events_none(csx);
	xst_events_expect_unordered(multi,
		EVS(&l, R "/s/t", "a", R "/s", "c"));

	/* removing what is missing reports nothing */
	rm(d0, R "/s");
	rq_err(d0, XS_RM, XST_STRS(R "/s/t"), "ENOENT");
	xst_events_none(cr);
	xst_events_none(cr1);
	xst_events_none(cs);
	xst_events_none(ct);
	xst_events_none(cdeep);
	xst_events_none(multi);

	/* the sibling's watch sees its own removal */
	rm(d0, R "/sx");
	xst_events_expect(csx, ev(R "/sx", "sx"));
	xst_events_expect(cr, ev(R "/sx", "r"));
	xst_events_expect(cr1, ev(R "/sx", "r1"));
	xst_events_none(cr0);
	xst_events_expect(multi, ev(R "/sx", "c"));

	xst_ev_close(cr);
	xst_ev_close(cr0);
	xst_ev_close(cr1);
	xst_ev_close(cs);
	xst_ev_close(ct);
	xst_ev_close(ct0);
	xst_ev_close(cdeep);
	xst_ev_close(csx);
	xst_ev_close(multi);
	rm(d0, R);
	xst_ev_close(d0);
}
#undef R

#define REL0 "/local/domain/0/kxs-test-wrel"

static void relative_watches_get_relative_paths(void)
{
	const unsigned int G = 7106;
	int d0 = xst_open(0), g, d0w = xst_open(0);

	make_home(d0, G);
	g = xst_open_domain(G);
	xst_watch(g, "rel", "r");
	xst_watch(g, xst_at(G, "rel"), "a");

	wr(d0, xst_at(G, "rel/x"), "1");
	xst_events_expect_unordered(g, cat(ev("rel/x", "r"),
					   ev(xst_at(G, "rel/x"), "a")));
	/* the guest's own write: its events may precede its reply */
	wr(g, "rel/y", "2");
	xst_events_expect_unordered(g, cat(ev("rel/y", "r"),
					   ev(xst_at(G, "rel/y"), "a")));
	rm(g, "rel/y");
	xst_events_expect_unordered(g, cat(ev("rel/y", "r"),
					   ev(xst_at(G, "rel/y"), "a")));
	rm(d0, xst_at(G, "rel"));
	xst_events_expect_unordered(g, cat(ev("rel", "r"),
					   ev(xst_at(G, "rel"), "a")));
	/* removal of an ancestor: the watch's own path, still relative */
	wr(d0, xst_at(G, "rel/z"), "3");
	xst_events_expect_unordered(g, cat(ev("rel/z", "r"),
					   ev(xst_at(G, "rel/z"), "a")));
	rm(d0, xst_home(G));
	xst_events_expect_unordered(g, cat(ev("rel", "r"),
					   ev(xst_at(G, "rel"), "a")));
	/* a relative UNWATCH names the relative watch */
	xst_unwatch(g, "rel", "r");
	rq_err(g, XS_UNWATCH, XST_STRS("rel", "r"), "ENOENT");
	xst_ev_close(g);

	/* the control domain's relative paths are under /local/domain/0 */
	rm_quiet(d0, REL0);
	xst_watch(d0w, "kxs-test-wrel", "d");
	wr(d0, REL0 "/q", "1");
	xst_events_expect(d0w, ev("kxs-test-wrel/q", "d"));
	wr(d0w, "kxs-test-wrel/p", "1");
	xst_events_expect(d0w, ev("kxs-test-wrel/p", "d"));
	rm(d0, REL0);
	xst_events_expect(d0w, ev("kxs-test-wrel", "d"));
	xst_ev_close(d0w);
	xst_ev_close(d0);
}
#undef REL0

/* ---- permissions --------------------------------------------------------- */

static void events_only_for_readable_nodes(void)
{
	const unsigned int G = 7107;
	const char *P = AREA "/perm", *S_ = AREA "/perm/secret",
		   *N = AREA "/perm/new", *PUB = AREA "/perm/pub";
	static struct evl l;
	int d0 = xst_open(0), wd = xst_open(0), g;

	rm_quiet(d0, P);
	mkdir_(d0, P);
	SET_PERMS(d0, P, "n0");
	wr(d0, S_, "s");
	g = xst_open_domain(G);
	/* a watch on a path the guest cannot read is allowed */
	xst_watch(g, P, "g");
	xst_watch(wd, P, "d");

	wr(d0, S_, "t");
	wr(d0, N, "t");
	xst_events_none(g);
	xst_events_expect(wd, cat(ev(S_, "d"), ev(N, "d")));

	/* made readable: the change of permissions itself is reported */
	SET_PERMS(d0, S_, "n0", xst_fmt("r%u", G));
	xst_events_expect(g, ev(S_, "g"));
	wr(d0, S_, "u");
	xst_events_expect(g, ev(S_, "g"));
	/* write-only is not readable (permissions after the change) */
	SET_PERMS(d0, S_, "n0", xst_fmt("w%u", G));
	xst_events_none(g);
	wr(d0, S_, "w");
	xst_events_none(g);
	/* the owner may read */
	SET_PERMS(d0, S_, xst_fmt("n%u", G));
	xst_events_expect(g, ev(S_, "g"));
	wr(d0, S_, "o");
	xst_events_expect(g, ev(S_, "g"));
	/* read for everyone through the first entry */
	SET_PERMS(d0, S_, "r0");
	xst_events_expect(g, ev(S_, "g"));
	/* both */
	SET_PERMS(d0, S_, "n0", xst_fmt("b%u", G));
	xst_events_expect(g, ev(S_, "g"));
	/* made unreadable: the guest is not told */
	SET_PERMS(d0, S_, "n0");
	xst_events_none(g);
	wr(d0, S_, "x");
	xst_events_none(g);
	/* other domains' entries give it nothing */
	SET_PERMS(d0, S_, "n0", "r7999");
	xst_events_none(g);

	/* a removal is judged by the removed node's old permissions */
	SET_PERMS(d0, S_, "n0", xst_fmt("r%u", G));
	xst_events_expect(g, ev(S_, "g"));
	rm(d0, S_);
	xst_events_expect(g, ev(S_, "g"));
	rm(d0, N);
	xst_events_none(g);

	/* a new node inherits its parent's permissions */
	SET_PERMS(d0, P, "n0", xst_fmt("r%u", G));
	xst_events_expect(g, ev(P, "g"));
	wr(d0, PUB, "p");
	xst_events_expect(g, ev(PUB, "g"));
	rm(d0, PUB);
	xst_events_expect(g, ev(PUB, "g"));

	/* the dom0 watcher saw every change */
	xst_events_expect(wd, EVS(&l, S_, "d", S_, "d", S_, "d", S_, "d",
				  S_, "d", S_, "d", S_, "d", S_, "d", S_, "d",
				  S_, "d", S_, "d", S_, "d", S_, "d", N, "d",
				  P, "d", PUB, "d", PUB, "d"));
	xst_ev_close(g);
	xst_ev_close(wd);
	rm(d0, P);
	xst_ev_close(d0);
}

/*
 * The specification: "an application may rely on being sent a watch when
 * a path which it _is_ able to read is deleted even if that leaves only a
 * nonexistent unreadable parent".  A readable node removed together with
 * its unreadable parent was still a node the guest could read.
 */
static void rm_of_unreadable_parent_reports_readable_child(void)
{
	const unsigned int G = 7108;
	const char *P = AREA "/hidden", *C = AREA "/hidden/child";
	int d0 = xst_open(0), g;

	rm_quiet(d0, P);
	mkdir_(d0, P);
	SET_PERMS(d0, P, "n0");
	wr(d0, C, "c");
	SET_PERMS(d0, C, "n0", xst_fmt("r%u", G));
	g = xst_open_domain(G);
	rd(g, C, "c");
	xst_watch(g, C, "g");
	rm(d0, P);
	xst_events_expect(g, ev(C, "g"));
	xst_ev_close(g);
	xst_ev_close(d0);
}

/* The same removal inside a transaction (as xenstore-rm makes it). */
static void rm_in_transaction_of_unreadable_parent_reports_readable_child(void)
{
	const unsigned int G = 7109;
	const char *P = AREA "/hidden-tx", *C = AREA "/hidden-tx/child";
	int d0 = xst_open(0), g;
	uint32_t tx;

	rm_quiet(d0, P);
	mkdir_(d0, P);
	SET_PERMS(d0, P, "n0");
	wr(d0, C, "c");
	SET_PERMS(d0, C, "n0", xst_fmt("r%u", G));
	g = xst_open_domain(G);
	rd(g, C, "c");
	xst_watch(g, C, "g");
	tx = xst_tx_start(d0);
	rq_tx_ok(d0, tx, XS_RM, XST_STRS(P));
	xst_events_none(g);
	tx_end(d0, tx, "T", NULL);
	xst_events_expect(g, ev(C, "g"));
	xst_ev_close(g);
	xst_ev_close(d0);
}

/* ---- special watches ----------------------------------------------------- */

static int special_d0 = -1;
static unsigned int special_doms[2];

/* However a case ends (FAIL exits): defaults back, domains released. */
static void special_cleanup(void)
{
	static struct xst_msg m;
	int d0 = special_d0;
	size_t i;

	/* once: a failure in here exits, and must not come back */
	if (d0 < 0)
		return;
	special_d0 = -1;
	for (i = 0; i < ARRAY_SIZE(special_doms); i++)
		if (special_doms[i])
			release_quiet(d0, special_doms[i]);
	xst_ev_call(d0, XS_SET_PERMS, 0, S("@releaseDomain\0n0"), &m);
	xst_ev_call(d0, XS_SET_PERMS, 0, S("@introduceDomain\0n0"), &m);
}

static void special_setup(int d0, unsigned int a, unsigned int b)
{
	special_d0 = d0;
	special_doms[0] = a;
	special_doms[1] = b;
	special_cleanup();
	special_d0 = d0;
	atexit(special_cleanup);
}

static void special_watches_fire_on_introduce_and_release(void)
{
	const unsigned int D1 = 7111, D2 = 7112;
	int d0 = xst_open(0), wi = xst_open(0), wi1 = xst_open(0),
	    wr_ = xst_open(0), wr1 = xst_open(0), wrd1 = xst_open(0),
	    wrd2 = xst_open(0), g;
	char rd1[32], rd2[32];

	snprintf(rd1, sizeof(rd1), "@releaseDomain/%u", D1);
	snprintf(rd2, sizeof(rd2), "@releaseDomain/%u", D2);
	special_setup(d0, D1, D2);
	g = xst_open_domain(7113);
	xst_watch(wi, "@introduceDomain", "i");
	xst_watch_depth(wi1, "@introduceDomain", "i1", 1);
	xst_watch(wr_, "@releaseDomain", "r");
	xst_watch_depth(wr1, "@releaseDomain", "r1", 1);
	xst_watch(wrd1, rd1, "rd1");
	xst_watch(wrd2, rd2, "rd2");

	introduce(d0, D1);
	xst_events_expect(wi, ev("@introduceDomain", "i"));
	xst_events_expect(wi1, ev(xst_fmt("@introduceDomain/%u", D1), "i1"));
	introduce(d0, D2);
	xst_events_expect(wi, ev("@introduceDomain", "i"));
	xst_events_expect(wi1, ev(xst_fmt("@introduceDomain/%u", D2), "i1"));
	xst_events_none(wr_);
	xst_events_none(wr1);
	xst_events_none(wrd1);
	xst_events_none(wrd2);

	/* refused requests fire nothing */
	rq_err(d0, XS_INTRODUCE, XST_STRS("x", "1", "1"), "EINVAL");
	rq_err(d0, XS_INTRODUCE, XST_STRS("0", "1", "1"), "EINVAL");
	rq_err(g, XS_INTRODUCE, XST_STRS("7119", "1", "1"), "EACCES");
	rq_err(g, XS_RELEASE, XST_STRS(xst_u(D1)), "EACCES");
	rq_err(d0, XS_RELEASE, XST_STRS("7119"), "ENOENT");
	/* nor do node changes */
	wr(d0, AREA "/special", "1");
	rm(d0, AREA "/special");

	release(d0, D1);
	xst_events_expect(wr_, ev("@releaseDomain", "r"));
	xst_events_expect(wr1, ev(rd1, "r1"));
	xst_events_expect(wrd1, ev(rd1, "rd1"));
	xst_events_none(wrd2);
	rq_err(d0, XS_RELEASE, XST_STRS(xst_u(D1)), "ENOENT");
	release(d0, D2);
	xst_events_expect(wr_, ev("@releaseDomain", "r"));
	xst_events_expect(wr1, ev(rd2, "r1"));
	xst_events_none(wrd1);
	xst_events_expect(wrd2, ev(rd2, "rd2"));
	xst_events_none(wi);
	xst_events_none(wi1);

	xst_ev_close(g);
	xst_ev_close(wi);
	xst_ev_close(wi1);
	xst_ev_close(wr_);
	xst_ev_close(wr1);
	xst_ev_close(wrd1);
	xst_ev_close(wrd2);
	special_cleanup();
	xst_ev_close(d0);
}

static void special_watches_reach_guests_by_permission(void)
{
	const unsigned int G = 7113, D = 7114;
	char rd[32];
	static struct evl l;
	int d0 = xst_open(0), wd = xst_open(0), g;

	snprintf(rd, sizeof(rd), "@releaseDomain/%u", D);
	special_setup(d0, D, 0);
	g = xst_open_domain(G);
	xst_watch(g, "@introduceDomain", "gi");
	xst_watch(g, "@releaseDomain", "gr");
	xst_watch(g, rd, "grd");
	xst_watch(wd, "@introduceDomain", "di");
	xst_watch(wd, "@releaseDomain", "dr");

	/* "n0": the guest hears nothing */
	introduce(d0, D);
	release(d0, D);
	xst_events_none(g);
	xst_events_expect(wd, cat(ev("@introduceDomain", "di"),
				  ev("@releaseDomain", "dr")));

	/* @releaseDomain readable for it; @introduceDomain still not */
	SET_PERMS(d0, "@releaseDomain", "n0", xst_fmt("r%u", G));
	introduce(d0, D);
	xst_events_none(g);
	release(d0, D);
	xst_events_expect_unordered(g, cat(ev("@releaseDomain", "gr"),
					   ev(rd, "grd")));
	SET_PERMS(d0, "@introduceDomain", "n0", xst_fmt("r%u", G));
	introduce(d0, D);
	xst_events_expect(g, ev("@introduceDomain", "gi"));

	/* taken away again */
	SET_PERMS(d0, "@releaseDomain", "n0");
	release(d0, D);
	xst_events_none(g);
	/* other domains' entries do not count */
	SET_PERMS(d0, "@introduceDomain", "n0", "r7999");
	introduce(d0, D);
	xst_events_none(g);
	release(d0, D);
	xst_events_expect(wd, EVS(&l, "@introduceDomain", "di",
				  "@releaseDomain", "dr", "@introduceDomain",
				  "di", "@releaseDomain", "dr",
				  "@introduceDomain", "di", "@releaseDomain",
				  "dr"));
	xst_ev_close(g);
	xst_ev_close(wd);
	special_cleanup();
	xst_ev_close(d0);
}

/* ---- transactions -------------------------------------------------------- */

#define T AREA "/tx"
static void transaction_events_fire_at_commit(void)
{
	int d0 = xst_open(0), w = xst_open(0), d = xst_open(0);
	static struct evl l;
	uint32_t tx;

	rm_quiet(d0, T);
	wr(d0, T "/old", "o");
	wr(d0, T "/c", "c");
	xst_watch(w, T, "w");
	xst_watch(d, T, "d");

	tx = xst_tx_start(d);
	wr_tx(d, tx, T "/b", "1");
	wr_tx(d, tx, T "/a", "1");
	wr_tx(d, tx, T "/a", "2");
	wr_tx(d, tx, T "/a", "3");
	rq_tx_ok(d, tx, XS_RM, XST_STRS(T "/old"));
	rq_tx_ok(d, tx, XS_MKDIR, XST_STRS(T "/b"));	/* exists */
	SET_PERMS_TX(d, tx, T "/c", "n0");
	rq_tx_ok(d, tx, XS_MKDIR, XST_STRS(T "/newdir"));
	xst_events_none(w);
	xst_events_none(d);
	tx_end(d, tx, "T", NULL);
	/* once per node, in path order */
	xst_events_expect(w, EVS(&l, T "/a", "w", T "/b", "w", T "/c", "w",
				 T "/newdir", "w", T "/old", "w"));
	/* the committer's own watch, events before or after its reply */
	xst_events_expect(d, EVS(&l, T "/a", "d", T "/b", "d", T "/c", "d",
				 T "/newdir", "d", T "/old", "d"));
	rd(d0, T "/a", "3");

	/* aborted: nothing */
	tx = xst_tx_start(d);
	wr_tx(d, tx, T "/e", "1");
	rq_tx_ok(d, tx, XS_RM, XST_STRS(T "/a"));
	tx_end(d, tx, "F", NULL);
	xst_events_none(w);
	xst_events_none(d);
	rq_err(d0, XS_READ, XST_STRS(T "/e"), "ENOENT");

	/* failed with EAGAIN (a conflicting write): only that write's event */
	tx = xst_tx_start(d);
	wr_tx(d, tx, T "/b", "tx");
	wr_tx(d, tx, T "/f", "1");
	wr(d0, T "/b", "outside");
	xst_events_expect(w, ev(T "/b", "w"));
	xst_events_expect(d, ev(T "/b", "d"));
	tx_end(d, tx, "T", "EAGAIN");
	xst_events_none(w);
	xst_events_none(d);
	rq_err(d0, XS_READ, XST_STRS(T "/f"), "ENOENT");
	rd(d0, T "/b", "outside");

	/* a transaction that only read commits silently */
	tx = xst_tx_start(d);
	xst_ev_rpc_tx(d, XS_READ, tx, S(T "/a"), XS_READ, "3", 1);
	tx_end(d, tx, "T", NULL);
	xst_events_none(w);
	xst_events_none(d);

	xst_ev_close(w);
	xst_ev_close(d);
	rm(d0, T);
	xst_ev_close(d0);
}
#undef T

/* ---- RESET_WATCHES and the quota ----------------------------------------- */

#define R AREA "/reset"
static void reset_watches_ends_watches_and_transactions(void)
{
	const unsigned int G = 7115;
	int d0 = xst_open(0), g, g2, w0 = xst_open(0);
	uint32_t tx;

	rm_quiet(d0, R);
	mkdir_(d0, R);
	SET_PERMS(d0, R, "n0", xst_fmt("b%u", G));
	set_quota(d0, G, "watches", 2);
	g = xst_open_domain(G);
	g2 = xst_open_domain(G);
	xst_watch(g, R, "a");
	xst_watch(g, R "/x", "b");
	watch_err(g2, S(AREA "/reset\0c"), "ENOSPC");
	tx = xst_tx_start(g);
	wr_tx(g, tx, R "/intx", "1");

	xst_ev_rpc(g, XS_RESET_WATCHES, "", 0, XS_RESET_WATCHES, OK_REPLY);
	wr(d0, R "/x", "1");
	xst_events_none(g);
	/* its transaction is gone, unapplied */
	tx_end(g, tx, "T", "ENOENT");
	rq_err(d0, XS_READ, XST_STRS(R "/intx"), "ENOENT");
	/* the quota counts them no more; the same watch is new again */
	xst_watch(g2, R, "c");
	xst_watch(g, R, "a");
	watch_err(g, S(AREA "/reset\0d"), "ENOSPC");
	wr(d0, R, "2");
	xst_events_expect(g, ev(R, "a"));
	xst_events_expect(g2, ev(R, "c"));

	/* "\0" as the payload, and other connections keep theirs */
	xst_ev_rpc(g, XS_RESET_WATCHES, "", 1, XS_RESET_WATCHES, OK_REPLY);
	wr(d0, R, "3");
	xst_events_none(g);
	xst_events_expect(g2, ev(R, "c"));
	/* a payload that is not empty is refused and changes nothing */
	xst_ev_rpc_err(g2, XS_RESET_WATCHES, S("junk"), "EINVAL");
	wr(d0, R, "4");
	xst_events_expect(g2, ev(R, "c"));

	/* the control domain's connections too */
	xst_watch(w0, R, "w0");
	xst_watch(w0, "@releaseDomain", "w0r");
	tx = xst_tx_start(w0);
	xst_ev_rpc(w0, XS_RESET_WATCHES, "", 0, XS_RESET_WATCHES, OK_REPLY);
	wr(d0, R, "5");
	xst_events_none(w0);
	xst_events_expect(g2, ev(R, "c"));
	tx_end(w0, tx, "F", "ENOENT");

	xst_ev_close(g);
	xst_ev_close(g2);
	xst_ev_close(w0);
	rm(d0, R);
	xst_ev_close(d0);
}
#undef R

/* The "watches" line of CONTROL quota <domid>: usage and limit. */
static void quota_watches_line(int d0, unsigned int domid, unsigned int *used,
			       unsigned int *limit)
{
	static struct xst_msg m;
	const struct xst_buf *p = XST_STRS("quota", xst_u(domid));
	const char *l;

	xst_ev_call(d0, XS_CONTROL, 0, p->b, p->len, &m);
	CHECK(m.hdr.type == XS_CONTROL, "CONTROL quota %u answered %s %s",
	      domid, xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	l = strstr((const char *)m.body, "\nwatches");
	CHECK(l && sscanf(l, "\nwatches %u/%u", used, limit) == 2,
	      "no \"watches <used>/<limit>\" line in %s",
	      xst_esc(m.body, m.hdr.len));
}

static void expect_quota_watches(int d0, unsigned int domid,
				 unsigned int used, unsigned int limit)
{
	unsigned int gu, gl;

	quota_watches_line(d0, domid, &gu, &gl);
	CHECK(gu == used && gl == limit,
	      "quota %u: watches %u/%u, expected %u/%u", domid, gu, gl, used,
	      limit);
}

#define Q AREA "/quota"
static void watches_quota_per_guest_domain(void)
{
	const unsigned int G = 7116;
	static struct xst_msg m;
	int d0 = xst_open(0), g1, g2, w0 = xst_open(0);
	unsigned int i, n;

	rm_quiet(d0, Q);
	mkdir_(d0, Q);
	SET_PERMS(d0, Q, "n0", xst_fmt("r%u", G));
	set_quota(d0, G, "watches", 3);
	g1 = xst_open_domain(G);
	g2 = xst_open_domain(G);
	expect_quota_watches(d0, G, 0, 3);
	xst_watch(g1, Q "/a", "1");
	xst_watch(g2, Q "/a", "2");
	xst_watch(g1, Q "/b", "3");
	expect_quota_watches(d0, G, 3, 3);
	/* over both connections of the domain */
	watch_err(g1, S(AREA "/quota/c\0" "4"), "ENOSPC");
	watch_err(g2, S(AREA "/quota/c\0" "4"), "ENOSPC");
	watch_err(g2, S("@releaseDomain\0" "4"), "ENOSPC");
	/* a duplicate is EEXIST, an unknown UNWATCH ENOENT, even so */
	watch_err(g1, S(AREA "/quota/a\0" "1"), "EEXIST");
	rq_err(g2, XS_UNWATCH, XST_STRS(Q "/a", "nope"), "ENOENT");
	expect_quota_watches(d0, G, 3, 3);
	/* the refused watch does not exist */
	wr(d0, Q "/c", "1");
	xst_events_none(g1);
	xst_events_none(g2);

	xst_unwatch(g1, Q "/b", "3");
	xst_watch(g2, Q "/c", "4");
	watch_err(g1, S(AREA "/quota/d\0" "5"), "ENOSPC");
	/* closing a connection frees its watches */
	xst_ev_close(g1);
	expect_quota_watches(d0, G, 2, 3);
	xst_watch(g2, Q "/e", "5");
	watch_err(g2, S(AREA "/quota/f\0" "6"), "ENOSPC");
	wr(d0, Q "/a", "2");
	xst_events_expect(g2, ev(Q "/a", "2"));

	/* lowered below the usage: the watches stay, no new one */
	set_quota(d0, G, "watches", 1);
	expect_quota_watches(d0, G, 3, 1);
	watch_err(g2, S(AREA "/quota/f\0" "6"), "ENOSPC");
	wr(d0, Q "/e", "1");
	xst_events_expect(g2, ev(Q "/e", "5"));
	/* 0: no limit */
	set_quota(d0, G, "watches", 0);
	for (i = 0; i < 5; i++)
		xst_watch(g2, Q "/g", xst_fmt("g%u", i));
	expect_quota_watches(d0, G, 8, 0);
	xst_ev_close(g2);
	expect_quota_watches(d0, G, 0, 0);

	/* the control domain has no limit: more than the global quota */
	xst_ev_call(d0, XST_GET_QUOTA, 0, S("watches"), &m);
	CHECK(m.hdr.type == XST_GET_QUOTA, "GET_QUOTA watches answered %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	n = (unsigned int)strtoul((const char *)m.body, NULL, 10);
	if (!n || n > 1000)
		n = 128;
	for (i = 0; i < n + 2; i++)
		xst_watch(w0, Q "/h", xst_fmt("h%u", i));
	note("the control domain held %u watches (global quota %s)\n", n + 2,
	     m.body);
	xst_ev_close(w0);
	rm(d0, Q);
	xst_ev_close(d0);
}
#undef Q

/* ---- delivery ------------------------------------------------------------ */


static void blocked_read_wakes_on_event(void)
{
	static struct xst_reader r;
	static const char want[] = AREA "/wake/x\0t";
	struct xsd_sockmsg *h = (struct xsd_sockmsg *)r.buf;
	int d0 = xst_open(0), w = xst_open(0);
	long long end;
	pthread_t t;

	rm_quiet(d0, AREA "/wake");
	xst_watch(w, AREA "/wake", "t");
	r.fd = w;
	CHECK(!pthread_create(&t, NULL, xst_reader_thread, &r), "pthread_create");
	usleep(200 * 1000);
	CHECK(atomic_load(&r.started), "reader thread did not start");
	CHECK(!atomic_load(&r.done),
	      "read() with no event queued returned %zd (%s) instead of blocking",
	      r.got, strerror(r.err));
	/* a change nobody watches does not wake it */
	wr(d0, AREA "/wake-not", "1");
	usleep(200 * 1000);
	CHECK(!atomic_load(&r.done),
	      "read() returned after a change to an unwatched node: %s",
	      xst_esc(r.buf, r.got));
	wr(d0, AREA "/wake/x", "1");
	end = xst_now_ms() + 5000;
	while (!atomic_load(&r.done) && xst_now_ms() < end)
		usleep(2000);
	CHECK(atomic_load(&r.done),
	      "the blocked read() did not return within 5 s of the event");
	pthread_join(t, NULL);
	CHECK(r.err == 0, "blocked read() failed: %s", strerror(r.err));
	CHECK(r.got == (ssize_t)(XST_HDR_LEN + sizeof(want)) &&
	      h->type == XS_WATCH_EVENT && h->req_id == 0 && h->tx_id == 0 &&
	      h->len == sizeof(want) &&
	      !memcmp(r.buf + XST_HDR_LEN, want, sizeof(want)),
	      "the woken read() got %s", xst_esc(r.buf, r.got));
	xst_events_none(w);
	xst_ev_close(w);
	rm(d0, AREA "/wake");
	rm(d0, AREA "/wake-not");
	xst_ev_close(d0);
}

static short poll_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	int r = poll(&p, 1, 0);

	CHECK(r >= 0, "poll: %s", strerror(errno));
	return p.revents;
}

struct delayed {
	const char *path;
	int delay_ms;
};

/* After a delay, a write of @path through a connection of its own. */
static void *delayed_write_thread(void *arg)
{
	struct delayed *dw = arg;
	unsigned char msg[XST_MSG_MAX], reply[XST_MSG_MAX];
	size_t pl = strlen(dw->path) + 1, n;
	int fd = open(xst_dev_path(), O_RDWR | O_CLOEXEC);

	xst_block_sigalrm();
	if (fd < 0)
		abort();
	usleep(dw->delay_ms * 1000);
	n = xst_build(msg, XS_WRITE, 0x77, 0, dw->path, pl);
	if (write(fd, msg, n) != (ssize_t)n)
		abort();
	if (read(fd, reply, sizeof(reply)) < (ssize_t)XST_HDR_LEN)
		abort();
	close(fd);
	return NULL;
}

static void poll_and_epoll_report_queued_events(void)
{
	struct epoll_event e = { .events = EPOLLIN }, out[2];
	struct delayed dw = { .delay_ms = 300 };
	int d0 = xst_open(0), w = xst_open(0), ep, n, r;
	struct pollfd p;
	long long t0, dt;
	pthread_t t;
	char c;

	rm_quiet(d0, AREA "/poll");
	/* the initial event alone makes it readable */
	xst_send(w, XS_WATCH, 1, 0, S(AREA "/poll\0t"));
	xst_expect(w, "WATCH", XS_WATCH, 1, 0, OK_REPLY);
	t0 = xst_now_ms();
	while (!(poll_now(w) & POLLIN) && xst_now_ms() - t0 < 5000)
		usleep(1000);
	CHECK(poll_now(w) & POLLIN, "no POLLIN with the initial event queued");
	xst_events_expect(w, ev(AREA "/poll", "t"));
	CHECK(poll_now(w) == POLLOUT, "poll() revents %#x with nothing queued",
	      poll_now(w));

	wr(d0, AREA "/poll/a", "1");
	CHECK(poll_now(w) == (POLLIN | POLLOUT),
	      "poll() revents %#x with an event queued", poll_now(w));
	xst_events_expect(w, ev(AREA "/poll/a", "t"));
	CHECK(poll_now(w) == POLLOUT, "poll() revents %#x after the event was read",
	      poll_now(w));
	/* O_NONBLOCK: EAGAIN with nothing queued */
	fcntl(w, F_SETFL, fcntl(w, F_GETFL) | O_NONBLOCK);
	errno = 0;
	r = read(w, &c, 1);
	CHECK(r < 0 && errno == EAGAIN, "O_NONBLOCK read() returned %d (%s)",
	      r, strerror(errno));
	fcntl(w, F_SETFL, fcntl(w, F_GETFL) & ~O_NONBLOCK);

	/* poll() with a timeout sleeps until another connection's write */
	dw.path = AREA "/poll/b";
	CHECK(!pthread_create(&t, NULL, delayed_write_thread, &dw),
	      "pthread_create");
	t0 = xst_now_ms();
	p = (struct pollfd){ .fd = w, .events = POLLIN };
	n = poll(&p, 1, 5000);
	dt = xst_now_ms() - t0;
	pthread_join(t, NULL);
	CHECK(n == 1 && (p.revents & POLLIN),
	      "poll() returned %d revents %#x after %lld ms", n, p.revents, dt);
	CHECK(dt >= 250 && dt < 4000,
	      "poll() returned after %lld ms; the write came after 300 ms", dt);
	xst_events_expect(w, ev(AREA "/poll/b", "t"));

	/* epoll */
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0, "epoll_create1: %s", strerror(errno));
	e.data.fd = w;
	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, w, &e), "epoll_ctl: %s",
	      strerror(errno));
	n = epoll_wait(ep, out, 2, 0);
	CHECK(n == 0, "epoll_wait with nothing queued returned %d", n);
	wr(d0, AREA "/poll/c", "1");
	n = epoll_wait(ep, out, 2, 0);
	CHECK(n == 1 && out[0].data.fd == w && (out[0].events & EPOLLIN),
	      "epoll_wait with an event queued returned %d (events %#x)", n,
	      n > 0 ? out[0].events : 0);
	xst_events_expect(w, ev(AREA "/poll/c", "t"));
	n = epoll_wait(ep, out, 2, 0);
	CHECK(n == 0, "epoll_wait after the event was read returned %d", n);
	dw.path = AREA "/poll/d";
	CHECK(!pthread_create(&t, NULL, delayed_write_thread, &dw),
	      "pthread_create");
	t0 = xst_now_ms();
	n = epoll_wait(ep, out, 2, 5000);
	dt = xst_now_ms() - t0;
	pthread_join(t, NULL);
	CHECK(n == 1 && (out[0].events & EPOLLIN) && dt >= 250 && dt < 4000,
	      "epoll_wait returned %d (events %#x) after %lld ms", n,
	      n > 0 ? out[0].events : 0, dt);
	xst_events_expect(w, ev(AREA "/poll/d", "t"));
	close(ep);
	xst_ev_close(w);
	rm(d0, AREA "/poll");
	xst_ev_close(d0);
}

/* WATCH and writes through KXS_IOC_REQUEST: their events go to read(). */
static void request_ioctl_events_go_to_read(void)
{
	static struct xst_msg m;
	int d0 = xst_open(0), w = xst_open(0);

	rm_quiet(d0, AREA "/ioc");
	xst_ioc_call(w, XS_WATCH, 5, 0, S(AREA "/ioc\0t"), &m);
	CHECK(m.hdr.type == XS_WATCH && m.hdr.len == 3 &&
	      !memcmp(m.body, "OK", 3), "ioctl WATCH answered %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	xst_events_expect(w, ev(AREA "/ioc", "t"));
	xst_ioc_call(w, XS_WRITE, 6, 0, S(AREA "/ioc/x\0v"), &m);
	CHECK(m.hdr.type == XS_WRITE, "ioctl WRITE answered %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	xst_events_expect(w, ev(AREA "/ioc/x", "t"));
	wr(d0, AREA "/ioc/y", "1");
	xst_events_expect(w, ev(AREA "/ioc/y", "t"));
	xst_ioc_call(w, XS_UNWATCH, 7, 0, S(AREA "/ioc\0t"), &m);
	CHECK(m.hdr.type == XS_UNWATCH, "ioctl UNWATCH answered %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	wr(d0, AREA "/ioc/y", "2");
	xst_events_none(w);
	xst_ev_close(w);
	rm(d0, AREA "/ioc");
	xst_ev_close(d0);
}

/* ---- the bounded event queue --------------------------------------------- */

#define FLOOD		AREA "/flood"
#define FLOOD_N		3000
#define EVENTS_MAX	(64 * 1024)

/* A /proc/meminfo value in kB, -1 if missing. */
static long meminfo_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");
	size_t kl = strlen(key);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = strtol(line + kl + 1, NULL, 10);
	fclose(f);
	return v;
}

/* "events-dropped" of `xenstore-control quota <domid>`. */
static unsigned long events_dropped(unsigned int domid)
{
	const char *ctl = getenv("KXS_XENSTORE_CONTROL");
	char line[512], all[4096] = "";
	unsigned long v = 0;
	int found = 0, st;
	FILE *f;

	if (!ctl || !*ctl)
		ctl = "/usr/local/libexec/kxenstore/xenstore-control";
	CHECK(access(ctl, X_OK) == 0,
	      "xenstore-control is not at %s: run scripts/deps (or set KXS_XENSTORE_CONTROL)",
	      ctl);
	fflush(stdout);
	f = popen(xst_fmt("'%s' quota %u 2>&1", ctl, domid), "r");
	CHECK(f, "popen: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (strlen(all) + strlen(line) < sizeof(all))
			strcat(all, line);
		if (sscanf(line, " events-dropped %lu", &v) == 1)
			found = 1;
	}
	st = pclose(f);
	CHECK(st == 0, "xenstore-control quota %u: status %#x, output '%s'",
	      domid, st, all);
	CHECK(found, "xenstore-control quota %u has no events-dropped line: '%s'",
	      domid, all);
	return v;
}

static void flood_stops_at_the_event_bound(void)
{
	const unsigned int G = 7120;
	static struct xst_msg m;
	int d0 = xst_open(0), side = xst_open(0), g;
	long long t0, dt, max_dt = 0, sum_first = 0, sum_last = 0,
		  max_probe = 0;
	long slab0, slab1, slab2, slab3, sunr0, sunr1, sunr2, sunr3;
	unsigned long base, dropped, dropped2;
	uint32_t rid1 = 0, rid2;
	size_t bytes = 0;
	unsigned int i, got = 0;
	char path[64], want[96], last[64];

	snprintf(last, sizeof(last), FLOOD "/k%u", FLOOD_N - 1);
	rm_quiet(d0, FLOOD);
	rm_quiet(d0, AREA "/probe");
	mkdir_(d0, FLOOD);
	/* readable to the guest; the children inherit it */
	SET_PERMS(d0, FLOOD, "n0", xst_fmt("r%u", G));
	g = xst_open_domain(G);
	xst_watch(g, FLOOD, "f");
	xst_watch(side, AREA "/probe", "p");
	xst_watch_depth(side, last, "last", 0);
	base = events_dropped(G);
	slab0 = meminfo_kb("Slab");
	sunr0 = meminfo_kb("SUnreclaim");

	for (i = 0; i < FLOOD_N; i++) {
		snprintf(path, sizeof(path), FLOOD "/k%u", i);
		t0 = xst_now_ms();
		wr(d0, path, "1");
		dt = xst_now_ms() - t0;
		if (dt > max_dt)
			max_dt = dt;
		if (i < 200)
			sum_first += dt;
		if (i >= FLOOD_N - 200)
			sum_last += dt;
		if (i == FLOOD_N / 2) {
			/* a request of the flooded guest, its reply unread */
			rid1 = xst_next_req_id();
			xst_send(g, XS_READ, rid1, 0, S(FLOOD "/k0"));
		}
		if (i % 500 == 250) {
			/* another watcher is told at once */
			snprintf(path, sizeof(path), AREA "/probe/p%u", i);
			t0 = xst_now_ms();
			wr(d0, path, "1");
			xst_events_expect(side, ev(path, "p"));
			dt = xst_now_ms() - t0;
			if (dt > max_probe)
				max_probe = dt;
		}
	}
	rid2 = xst_next_req_id();
	xst_send(g, XS_READ, rid2, 0, last, strlen(last) + 1);
	xst_events_expect(side, ev(last, "last"));
	slab1 = meminfo_kb("Slab");
	sunr1 = meminfo_kb("SUnreclaim");
	dropped = events_dropped(G) - base;

	/* the guest reads: events (the first ones, in order), its replies */
	for (;;) {
		xst_recv(g, &m);
		if (m.hdr.type != XS_WATCH_EVENT)
			break;
		snprintf(want, sizeof(want), FLOOD "/k%u%cf", got, 0);
		CHECK(m.hdr.req_id == 0 && m.hdr.tx_id == 0 &&
		      m.hdr.len == strlen(want) + 3 &&
		      !memcmp(m.body, want, m.hdr.len),
		      "queued event %u is %s (req_id %#x tx_id %#x), expected \"%s|f|\"",
		      got, xst_bars(m.body, m.hdr.len), m.hdr.req_id,
		      m.hdr.tx_id, want);
		bytes += XST_HDR_LEN + m.hdr.len;
		got++;
	}
	CHECK(m.hdr.type == XS_READ && m.hdr.req_id == rid1 &&
	      m.hdr.len == 1 && m.body[0] == '1',
	      "after %u events: %s req_id %#x %s, expected the READ reply %#x",
	      got, xst_type_name(m.hdr.type), m.hdr.req_id,
	      xst_esc(m.body, m.hdr.len), rid1);
	xst_expect(g, "the second pending READ", XS_READ, rid2, 0, "1", 1);
	xst_events_none(g);
	slab2 = meminfo_kb("Slab");
	sunr2 = meminfo_kb("SUnreclaim");
	note("flood: %u writes, %u events queued for the guest (%zu bytes on the wire), %lu dropped\n",
	     FLOOD_N, got, bytes, dropped);
	note("flood: dom0 WRITE round trip %.2f ms average over the first 200, %.2f ms over the last 200, %lld ms at most; another watcher's event after %lld ms at most\n",
	     sum_first / 200.0, sum_last / 200.0, max_dt, max_probe);
	CHECK(bytes <= EVENTS_MAX,
	      "%zu bytes of events were queued, more than %d", bytes,
	      EVENTS_MAX);
	CHECK(got > 0 && got < FLOOD_N, "%u of %u events were queued", got,
	      FLOOD_N);
	CHECK(dropped > 0, "xenstore-control quota %u: events-dropped did not grow",
	      G);
	CHECK(got + dropped == FLOOD_N,
	      "%u events queued + %lu dropped != %u fired", got, dropped,
	      FLOOD_N);
	dropped2 = events_dropped(G) - base;
	CHECK(dropped2 == dropped, "events-dropped went from %lu to %lu by reading",
	      dropped, dropped2);

	/* room again: the next event is queued */
	wr(d0, FLOOD "/after", "1");
	xst_events_expect(g, ev(FLOOD "/after", "f"));
	rd(g, last, "1");
	xst_ev_close(g);
	xst_ev_close(side);
	rm(d0, FLOOD);
	rm(d0, AREA "/probe");
	store_check(d0);
	slab3 = meminfo_kb("Slab");
	sunr3 = meminfo_kb("SUnreclaim");
	note("flood: /proc/meminfo Slab (SUnreclaim) in kB: %ld (%ld) before, %ld (%ld) with %u nodes written and the guest's queue full, %ld (%ld) with its queue read, %ld (%ld) after the nodes were removed\n",
	     slab0, sunr0, slab1, sunr1, FLOOD_N, slab2, sunr2, slab3, sunr3);
	xst_ev_close(d0);
}

/*
 * WATCH @tok on RACE while another process writes below it: through
 * write() (or the ioctl when @ioc), nothing of that watch may come before
 * its reply, and its initial event comes first.  Returns the violations.
 */
#define RACE AREA "/race"
static int watch_under_writes(int fd, const char *tok, bool ioc)
{
	const struct xst_buf *p = XST_STRS(RACE, tok);
	uint32_t id = xst_next_req_id();
	bool replied = ioc;
	struct xst_msg m;
	int bad = 0;

	if (ioc)
		xst_ioc_call(fd, XS_WATCH, id, 0, p->b, p->len, &m);
	else
		xst_send(fd, XS_WATCH, id, 0, p->b, p->len);
	for (;;) {
		xst_recv(fd, &m);
		if (m.hdr.type != XS_WATCH_EVENT) {
			CHECK(m.hdr.type == XS_WATCH && m.hdr.req_id == id,
			      "WATCH: %s %s", xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len));
			replied = true;
			continue;
		}
		/* Events of earlier (unwatched) tokens may still come. */
		if (strcmp((char *)m.body + strlen((char *)m.body) + 1, tok))
			continue;
		if (!replied || strcmp((char *)m.body, RACE)) {
			if (!bad++)
				printf("# %s: %s %s\n", tok,
				       replied ? "before the initial event"
					       : "before the reply",
				       xst_bars(m.body, m.hdr.len));
			continue;
		}
		return bad;	/* the initial event */
	}
}

static void watch_reply_and_initial_event_come_before_any_other(void)
{
	int d0 = xst_open(0), fd = xst_open(0), i, bad = 0;
	struct xst_msg m;
	pid_t pid;

	rm_quiet(d0, RACE);
	wr(d0, RACE "/n", "0");
	pid = fork();
	CHECK(pid >= 0, "fork: %m");
	if (!pid) {
		int w = xst_open(0);

		for (;;)
			xst_write_str(w, RACE "/n", "1", 1);
	}
	for (i = 0; i < 6000; i++) {
		const char *tok = xst_fmt("t%d", i);
		const struct xst_buf *p;

		bad += watch_under_writes(fd, tok, i % 3 == 2);
		p = XST_STRS(RACE, tok);
		xst_send(fd, XS_UNWATCH, xst_next_req_id(), 0, p->b, p->len);
		do
			xst_recv(fd, &m);
		while (m.hdr.type == XS_WATCH_EVENT);
		CHECK(m.hdr.type == XS_UNWATCH, "UNWATCH: %s",
		      xst_esc(m.body, m.hdr.len));
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK(!bad, "%d events came before their WATCH's reply or initial "
	      "event, in %d WATCHes", bad, i);
	close(fd);
	rm(d0, RACE);
	xst_ev_close(d0);
}

static const struct xst_case cases[] = {
	{ "watch-reply-then-initial-event", watch_reply_then_initial_event },
	{ "watch-reply-and-initial-event-come-before-any-other",
	  watch_reply_and_initial_event_come_before_any_other },
	{ "watch-and-unwatch-errors", watch_and_unwatch_errors },
	{ "events-reach-node-and-ancestor-watches-by-depth",
	  events_reach_node_and_ancestor_watches_by_depth },
	{ "mkdir-set-perms-and-failed-requests",
	  mkdir_set_perms_and_failed_requests },
	{ "rm-reports-removed-node-and-watch-paths",
	  rm_reports_removed_node_and_watch_paths },
	{ "relative-watches-get-relative-paths",
	  relative_watches_get_relative_paths },
	{ "events-only-for-readable-nodes", events_only_for_readable_nodes },
	{ "rm-of-unreadable-parent-reports-readable-child",
	  rm_of_unreadable_parent_reports_readable_child },
	{ "rm-in-transaction-of-unreadable-parent-reports-readable-child",
	  rm_in_transaction_of_unreadable_parent_reports_readable_child },
	{ "special-watches-fire-on-introduce-and-release",
	  special_watches_fire_on_introduce_and_release },
	{ "special-watches-reach-guests-by-permission",
	  special_watches_reach_guests_by_permission },
	{ "transaction-events-fire-at-commit",
	  transaction_events_fire_at_commit },
	{ "reset-watches-ends-watches-and-transactions",
	  reset_watches_ends_watches_and_transactions },
	{ "watches-quota-per-guest-domain", watches_quota_per_guest_domain },
	{ "blocked-read-wakes-on-event", blocked_read_wakes_on_event },
	{ "poll-and-epoll-report-queued-events",
	  poll_and_epoll_report_queued_events },
	{ "request-ioctl-events-go-to-read", request_ioctl_events_go_to_read },
	{ "flood-stops-at-the-event-bound", flood_stops_at_the_event_bound },
};

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	int ret;

	signal(SIGPIPE, SIG_IGN);
	snprintf(notes_path, sizeof(notes_path), "%s/kxs-watches-notes.%d",
		 tmp && *tmp ? tmp : "/tmp", (int)getpid());
	ret = xst_main(argc, argv, cases, ARRAY_SIZE(cases));
	print_notes();
	return ret;
}
