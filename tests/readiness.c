// SPDX-License-Identifier: GPL-2.0
/*
 * Blocking and readiness: read() sleeps until a reply is queued, O_NONBLOCK
 * gives EAGAIN instead, poll()/select()/epoll report POLLIN exactly when
 * reply bytes are queued and POLLOUT always.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

#include "lib/xstest.h"

#define BASE "/kxs-test/readiness"

#define READY_MASK (POLLIN | POLLPRI | POLLOUT | POLLERR | POLLHUP | POLLNVAL)

/* revents of a poll() with a zero timeout */
static short poll_now(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r = poll(&p, 1, 0);

	if (r < 0)
		FAIL("poll: %s", strerror(errno));
	CHECK(r == (p.revents ? 1 : 0), "poll returned %d with revents %#x",
	      r, p.revents);
	return p.revents;
}

static void expect_revents(int fd, short want, const char *when)
{
	short got = poll_now(fd, POLLIN | POLLOUT) & READY_MASK;

	if (got != want)
		FAIL("%s: poll() revents %#x (%s%s%s), expected %#x (%s%s)",
		     when, got, got & POLLIN ? "POLLIN " : "",
		     got & POLLOUT ? "POLLOUT " : "",
		     got & (POLLERR | POLLHUP | POLLNVAL) ? "ERR/HUP/NVAL" : "",
		     want, want & POLLIN ? "POLLIN " : "",
		     want & POLLOUT ? "POLLOUT" : "");
}

/* Queue the reply of a READ of BASE/<node> = "ready". */
static uint32_t queue_reply(int fd)
{
	uint32_t id = xst_next_req_id();

	xst_send(fd, XS_READ, id, 0, S(BASE "/node"));
	return id;
}

static void expect_queued_reply(int fd, uint32_t id)
{
	xst_expect(fd, "READ", XS_READ, id, 0, "ready", 5);
}

static void setup(int fd)
{
	xst_write_str(fd, BASE "/node", "ready", 5);
}

/* Remove the node through a fresh connection (@fd may be non-blocking). */
static void teardown(void)
{
	int fd = xst_open(0);

	xst_rm(fd, BASE "/node");
	close(fd);
}


static void wait_done(struct xst_reader *r, int ms, const char *what)
{
	long long end = xst_now_ms() + ms;

	while (!atomic_load(&r->done)) {
		if (xst_now_ms() > end)
			FAIL("%s: the blocked read() did not return within %d ms",
			     what, ms);
		usleep(2000);
	}
}

static void blocked_read_wakes_when_reply_arrives(void)
{
	static struct xst_reader r;
	int fd = xst_open(0), other = xst_open(0);
	struct xsd_sockmsg *h = (struct xsd_sockmsg *)r.buf;
	pthread_t t;
	uint32_t id;

	setup(fd);
	r.fd = fd;
	CHECK(!pthread_create(&t, NULL, xst_reader_thread, &r), "pthread_create");
	usleep(200 * 1000);
	CHECK(atomic_load(&r.started), "reader thread did not start");
	if (atomic_load(&r.done))
		FAIL("read() on a connection with nothing queued returned %zd (errno %s) instead of blocking",
		     r.got, strerror(r.err));

	/* a reply on another connection does not wake it */
	xst_read_expect(other, BASE "/node", "ready", 5);
	usleep(200 * 1000);
	CHECK(!atomic_load(&r.done),
	      "read() returned when a reply was queued on another connection");

	id = queue_reply(fd);
	wait_done(&r, 5000, "request written on the same file");
	pthread_join(t, NULL);
	CHECK(r.err == 0, "blocked read() failed: %s", strerror(r.err));
	CHECK(r.got == (ssize_t)XST_HDR_LEN + 5, "got %zd bytes: %s", r.got,
	      xst_esc(r.buf, r.got));
	CHECK(h->type == XS_READ && h->req_id == id && h->tx_id == 0 &&
	      h->len == 5 && !memcmp(r.buf + XST_HDR_LEN, "ready", 5),
	      "woken read() got %s", xst_esc(r.buf, r.got));
	close(other);
	teardown();
	close(fd);
}

static void poll_reports_pollin_only_when_reply_queued(void)
{
	unsigned char buf[8];
	int fd = xst_open(0);
	uint32_t id;

	setup(fd);
	expect_revents(fd, POLLOUT, "nothing queued");
	CHECK(poll_now(fd, POLLIN) == 0,
	      "poll(POLLIN) with nothing queued is ready");

	id = queue_reply(fd);
	expect_revents(fd, POLLIN | POLLOUT, "reply queued");
	/* still readable while part of the reply is left */
	CHECK(read(fd, buf, 8) == 8, "read 8 bytes");
	expect_revents(fd, POLLIN | POLLOUT, "half a header read");
	CHECK(read(fd, buf, 8) == 8, "read 8 bytes");
	expect_revents(fd, POLLIN | POLLOUT, "header read, payload left");
	CHECK(read(fd, buf, 4) == 4, "read 4 bytes");
	expect_revents(fd, POLLIN | POLLOUT, "one payload byte left");
	CHECK(read(fd, buf, 1) == 1 && buf[0] == 'y', "last byte");
	expect_revents(fd, POLLOUT, "whole reply read");

	/* two replies queued: readable until both are read */
	queue_reply(fd);
	id = queue_reply(fd);
	expect_revents(fd, POLLIN | POLLOUT, "two replies queued");
	xst_read_exact(fd, buf, 8, 1000);
	xst_read_exact(fd, buf, 8, 1000);
	xst_read_exact(fd, buf, 5, 1000);
	expect_revents(fd, POLLIN | POLLOUT, "one of two replies read");
	expect_queued_reply(fd, id);
	expect_revents(fd, POLLOUT, "both replies read");
	teardown();
	close(fd);
}

static void partial_request_does_not_make_connection_readable(void)
{
	unsigned char msg[XST_MSG_MAX];
	int fd = xst_open(0);
	size_t n;

	setup(fd);
	n = xst_build(msg, XS_READ, 0x99, 0, S(BASE "/node"));
	xst_write_all(fd, msg, 10);
	expect_revents(fd, POLLOUT, "10 bytes of a header written");
	xst_write_all(fd, msg + 10, XST_HDR_LEN - 10 + 2);
	expect_revents(fd, POLLOUT, "header and 2 payload bytes written");
	xst_write_all(fd, msg + XST_HDR_LEN + 2, n - XST_HDR_LEN - 2);
	expect_revents(fd, POLLIN | POLLOUT, "whole request written");
	xst_expect(fd, "READ", XS_READ, 0x99, 0, "ready", 5);
	teardown();
	close(fd);
}

struct delayed_writer {
	int fd;
	int delay_ms;
};

static void *delayed_writer_thread(void *arg)
{
	struct delayed_writer *w = arg;
	unsigned char msg[XST_MSG_MAX];
	size_t n;

	xst_block_sigalrm();
	usleep(w->delay_ms * 1000);
	n = xst_build(msg, XS_READ, 0x42, 0, S(BASE "/node"));
	if (write(w->fd, msg, n) != (ssize_t)n)
		abort();
	return NULL;
}

/* A poll() with a timeout sleeps until a request's reply arrives. */
static void poll_waits_until_reply_arrives(void)
{
	struct delayed_writer w = { .delay_ms = 300 };
	struct pollfd p;
	long long t0, dt;
	pthread_t t;
	int fd = xst_open(0), r;

	setup(fd);
	w.fd = fd;
	CHECK(!pthread_create(&t, NULL, delayed_writer_thread, &w),
	      "pthread_create");
	t0 = xst_now_ms();
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	r = poll(&p, 1, 5000);
	dt = xst_now_ms() - t0;
	pthread_join(t, NULL);
	CHECK(r == 1 && (p.revents & POLLIN),
	      "poll returned %d revents %#x after %lld ms", r, p.revents, dt);
	CHECK(dt >= 250, "poll returned after %lld ms, before the request was written (300 ms)",
	      dt);
	CHECK(dt < 4000, "poll woke only after %lld ms", dt);
	xst_expect(fd, "READ", XS_READ, 0x42, 0, "ready", 5);
	teardown();
	close(fd);
}

static void select_now(int fd, int *rd, int *wr)
{
	struct timeval tv = { 0, 0 };
	fd_set r, w;
	int n;

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	n = select(fd + 1, &r, &w, NULL, &tv);
	CHECK(n >= 0, "select: %s", strerror(errno));
	*rd = FD_ISSET(fd, &r);
	*wr = FD_ISSET(fd, &w);
	CHECK(n == *rd + *wr, "select returned %d", n);
}

static void select_reports_readable_only_when_reply_queued(void)
{
	struct delayed_writer w = { .delay_ms = 300 };
	struct timeval tv = { 5, 0 };
	int fd = xst_open(0), rd, wr, n;
	long long t0, dt;
	pthread_t t;
	fd_set r;
	uint32_t id;

	setup(fd);
	select_now(fd, &rd, &wr);
	CHECK(!rd && wr, "nothing queued: readable %d writable %d", rd, wr);
	id = queue_reply(fd);
	select_now(fd, &rd, &wr);
	CHECK(rd && wr, "reply queued: readable %d writable %d", rd, wr);
	expect_queued_reply(fd, id);
	select_now(fd, &rd, &wr);
	CHECK(!rd && wr, "reply read: readable %d writable %d", rd, wr);

	/* a select() with a timeout sleeps until the reply arrives */
	w.fd = fd;
	CHECK(!pthread_create(&t, NULL, delayed_writer_thread, &w),
	      "pthread_create");
	t0 = xst_now_ms();
	FD_ZERO(&r);
	FD_SET(fd, &r);
	n = select(fd + 1, &r, NULL, NULL, &tv);
	dt = xst_now_ms() - t0;
	pthread_join(t, NULL);
	CHECK(n == 1 && FD_ISSET(fd, &r), "select returned %d after %lld ms",
	      n, dt);
	CHECK(dt >= 250 && dt < 4000, "select returned after %lld ms", dt);
	xst_expect(fd, "READ", XS_READ, 0x42, 0, "ready", 5);
	teardown();
	close(fd);
}

static void epoll_reports_readiness(void)
{
	struct epoll_event ev = { .events = EPOLLIN }, out[2];
	int fd = xst_open(0), ep = epoll_create1(EPOLL_CLOEXEC), n;
	uint32_t id;

	CHECK(ep >= 0, "epoll_create1: %s", strerror(errno));
	setup(fd);
	ev.data.fd = fd;
	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), "epoll_ctl: %s",
	      strerror(errno));
	n = epoll_wait(ep, out, 2, 0);
	CHECK(n == 0, "epoll_wait with nothing queued returned %d (events %#x)",
	      n, n > 0 ? out[0].events : 0);
	id = queue_reply(fd);
	n = epoll_wait(ep, out, 2, 0);
	CHECK(n == 1 && out[0].data.fd == fd && (out[0].events & EPOLLIN),
	      "epoll_wait with a reply queued returned %d (events %#x)", n,
	      n > 0 ? out[0].events : 0);
	expect_queued_reply(fd, id);
	n = epoll_wait(ep, out, 2, 0);
	CHECK(n == 0, "epoll_wait after the reply was read returned %d", n);

	/* and it sleeps until the reply arrives */
	{
		struct delayed_writer w = { .fd = fd, .delay_ms = 300 };
		long long t0 = xst_now_ms(), dt;
		pthread_t t;

		CHECK(!pthread_create(&t, NULL, delayed_writer_thread, &w),
		      "pthread_create");
		n = epoll_wait(ep, out, 2, 5000);
		dt = xst_now_ms() - t0;
		pthread_join(t, NULL);
		CHECK(n == 1 && (out[0].events & EPOLLIN) && dt >= 250 &&
		      dt < 4000, "epoll_wait returned %d after %lld ms", n, dt);
		xst_expect(fd, "READ", XS_READ, 0x42, 0, "ready", 5);
	}
	close(ep);
	teardown();
	close(fd);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void expect_eagain(int fd, const char *when)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	char buf[64];
	ssize_t r;

	/* if it blocks after all, fail rather than hang */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(5);
	r = read(fd, buf, sizeof(buf));
	alarm(0);
	if (r >= 0)
		FAIL("%s: O_NONBLOCK read() returned %zd: %s", when, r,
		     xst_esc(buf, r));
	if (errno == EINTR)
		FAIL("%s: O_NONBLOCK read() blocked", when);
	CHECK(errno == EAGAIN, "%s: O_NONBLOCK read() failed with %s, expected EAGAIN",
	      when, strerror(errno));
}

static void nonblocking_read_on_empty_connection_is_eagain(void)
{
	unsigned char buf[XST_MSG_MAX], exp[64];
	int fd = xst_open(O_NONBLOCK);
	size_t n;
	ssize_t r;
	uint32_t id;

	setup(fd);
	expect_eagain(fd, "nothing queued");
	id = queue_reply(fd);
	n = xst_build(exp, XS_READ, id, 0, "ready", 5);
	r = read(fd, buf, sizeof(buf));
	CHECK(r == (ssize_t)n && !memcmp(buf, exp, n),
	      "O_NONBLOCK read() after a request returned %zd: %s (expected %s)",
	      r, xst_esc(buf, r > 0 ? r : 0), xst_esc(exp, n));
	expect_eagain(fd, "reply read");

	/* part of a reply, then EAGAIN only after the rest is read */
	id = queue_reply(fd);
	n = xst_build(exp, XS_READ, id, 0, "ready", 5);
	r = read(fd, buf, 10);
	CHECK(r == 10 && !memcmp(buf, exp, 10), "read(10) returned %zd", r);
	r = read(fd, buf, sizeof(buf));
	CHECK(r == (ssize_t)n - 10 && !memcmp(buf, exp + 10, n - 10),
	      "read of the rest returned %zd", r);
	expect_eagain(fd, "reply read in two parts");

	/* O_NONBLOCK set later with fcntl() works as well */
	close(fd);
	fd = xst_open(0);
	CHECK(!fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), "fcntl");
	expect_eagain(fd, "O_NONBLOCK set by fcntl");
	id = queue_reply(fd);
	expect_queued_reply(fd, id);
	expect_eagain(fd, "O_NONBLOCK set by fcntl, reply read");
	teardown();
	close(fd);
}

/*
 * Back-pressure: a connection queues at most 128 KiB of replies
 * (Documentation/design.rst).  Requests for 4000-byte values, never read.
 */
#define BIG_VAL_LEN 4000
#define QUEUE_MAX (128 * 1024)

static unsigned char big_val[BIG_VAL_LEN];

static void setup_big(int fd)
{
	memset(big_val, 'q', sizeof(big_val));
	xst_write_str(fd, BASE "/big", big_val, sizeof(big_val));
}

static void teardown_big(void)
{
	int fd = xst_open(0);

	xst_rm(fd, BASE "/big");
	close(fd);
}

static void expect_big_replies(int fd, uint32_t first, int n)
{
	int i;

	for (i = 0; i < n; i++)
		xst_expect(fd, "READ of the big value", XS_READ, first + i, 0,
			   big_val, sizeof(big_val));
}

static void full_reply_queue_makes_nonblocking_write_eagain(void)
{
	unsigned char msg[XST_MSG_MAX];
	int fd = xst_open(O_NONBLOCK), n = 0;
	size_t len;
	ssize_t r;

	setup_big(fd);
	for (;;) {
		len = xst_build(msg, XS_READ, 0x10000 + n, 0, S(BASE "/big"));
		r = write(fd, msg, len);
		if (r < 0)
			break;
		CHECK(r == (ssize_t)len, "write returned %zd", r);
		n++;
		CHECK((size_t)n * BIG_VAL_LEN <= 4 * QUEUE_MAX,
		      "%d replies of %d bytes queued and writes still accepted",
		      n, BIG_VAL_LEN);
	}
	CHECK(errno == EAGAIN, "write with the queue full: %s, expected EAGAIN",
	      strerror(errno));
	CHECK((size_t)n * (BIG_VAL_LEN + XST_HDR_LEN) >= QUEUE_MAX / 2,
	      "EAGAIN after only %d replies", n);
	expect_revents(fd, POLLIN, "reply queue full");

	/* read one reply: room again */
	expect_big_replies(fd, 0x10000, 1);
	expect_revents(fd, POLLIN | POLLOUT, "one reply read");
	len = xst_build(msg, XS_READ, 0x10000 + n, 0, S(BASE "/big"));
	r = write(fd, msg, len);
	CHECK(r == (ssize_t)len, "write after a reply was read returned %zd (%s)",
	      r, r < 0 ? strerror(errno) : "");
	/* every request taken in got its reply, in order */
	expect_big_replies(fd, 0x10001, n);
	expect_revents(fd, POLLOUT, "every reply read");
	teardown_big();
	close(fd);
}

struct flooder {
	int fd, n;
	atomic_int sent;
};

static void *flooder_thread(void *arg)
{
	struct flooder *f = arg;
	unsigned char msg[XST_MSG_MAX];
	size_t len;
	int i;

	xst_block_sigalrm();
	for (i = 0; i < f->n; i++) {
		len = xst_build(msg, XS_READ, 0x20000 + i, 0, S(BASE "/big"));
		if (write(f->fd, msg, len) != (ssize_t)len)
			abort();
		atomic_store(&f->sent, i + 1);
	}
	return NULL;
}

static void full_reply_queue_blocks_writer_until_replies_are_read(void)
{
	static struct flooder f;
	int fd = xst_open(0), before;
	pthread_t t;

	setup_big(fd);
	f.fd = fd;
	f.n = 2 * QUEUE_MAX / BIG_VAL_LEN;
	CHECK(!pthread_create(&t, NULL, flooder_thread, &f), "pthread_create");
	/* wait until the writer stops making progress */
	do {
		before = atomic_load(&f.sent);
		usleep(300 * 1000);
	} while (atomic_load(&f.sent) != before);
	CHECK(before < f.n,
	      "all %d requests (%d bytes of replies) were taken in without reading",
	      f.n, f.n * BIG_VAL_LEN);
	CHECK(before >= (QUEUE_MAX / 2) / BIG_VAL_LEN,
	      "writer blocked after only %d requests", before);
	/* reading the replies lets it finish */
	expect_big_replies(fd, 0x20000, f.n);
	pthread_join(t, NULL);
	CHECK(atomic_load(&f.sent) == f.n, "writer sent %d of %d",
	      atomic_load(&f.sent), f.n);
	xst_expect_silence(fd, 0);
	teardown_big();
	close(fd);
}

static const struct xst_case cases[] = {
	{ "blocked-read-wakes-when-reply-arrives",
	  blocked_read_wakes_when_reply_arrives },
	{ "poll-reports-pollin-only-when-reply-queued",
	  poll_reports_pollin_only_when_reply_queued },
	{ "partial-request-does-not-make-connection-readable",
	  partial_request_does_not_make_connection_readable },
	{ "poll-waits-until-reply-arrives", poll_waits_until_reply_arrives },
	{ "select-reports-readable-only-when-reply-queued",
	  select_reports_readable_only_when_reply_queued },
	{ "epoll-reports-readiness", epoll_reports_readiness },
	{ "nonblocking-read-on-empty-connection-is-eagain",
	  nonblocking_read_on_empty_connection_is_eagain },
	{ "full-reply-queue-makes-nonblocking-write-eagain",
	  full_reply_queue_makes_nonblocking_write_eagain },
	{ "full-reply-queue-blocks-writer-until-replies-are-read",
	  full_reply_queue_blocks_writer_until_replies_are_read },
};

int main(int argc, char **argv)
{
	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
