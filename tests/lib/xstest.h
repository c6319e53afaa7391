/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kxenstore user-space tests: talking the xenstore
 * wire protocol on a file descriptor, byte-exact reply checks, and a tiny
 * case runner (each program is a list of named cases).
 */
#ifndef KXS_TESTS_XSTEST_H
#define KXS_TESTS_XSTEST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdnoreturn.h>
#include <xen/io/xs_wire.h>

#define XST_HDR_LEN		((size_t)sizeof(struct xsd_sockmsg))
#define XST_PAYLOAD_MAX		4096
#define XST_MSG_MAX		(XST_HDR_LEN + XST_PAYLOAD_MAX)

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* Message types newer than Xen 4.17's <xen/io/xs_wire.h>. */
enum {
	XST_GET_FEATURE = 23,
	XST_SET_FEATURE = 24,
	XST_GET_QUOTA = 25,
	XST_SET_QUOTA = 26,
};

/* A C string literal as a payload, including its terminating NUL. */
#define S(lit)			lit, sizeof(lit)
/* "OK\0", the payload of every successful WRITE/MKDIR/RM reply. */
#define OK_REPLY		S("OK")

struct xst_msg {
	struct xsd_sockmsg hdr;
	unsigned char body[XST_PAYLOAD_MAX + 1];	/* NUL after body */
};

struct xst_case {
	const char *name;
	void (*fn)(void);
};

/* Path of the device under test: $XENSTORED_PATH or /dev/xen/xenbus. */
const char *xst_dev_path(void);
/*
 * Open the device O_RDWR | @flags; fails the case on error.  A Unix socket
 * path (a user-space daemon) is connected to instead, so that the protocol
 * cases can be tried against one.
 */
int xst_open(int flags);
int xst_open_path(const char *path, int flags);

/* Stop the case with a message naming the source line. */
noreturn void xst_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define FAIL(...)	xst_fail(__FILE__, __LINE__, __VA_ARGS__)
#define CHECK(cond, fmt, ...)						\
	do {								\
		if (!(cond))						\
			FAIL("(%s) " fmt, #cond, ##__VA_ARGS__);	\
	} while (0)

/* printable rendering of bytes into a static buffer (for messages) */
const char *xst_esc(const void *p, size_t n);
const char *xst_type_name(uint32_t type);
/* monotonic time in milliseconds */
long long xst_now_ms(void);

/* write() @n bytes in one call; fails the case unless it wrote all. */
void xst_write_all(int fd, const void *buf, size_t n);
/* Build a message into @out (XST_MSG_MAX bytes); returns its length. */
size_t xst_build(void *out, uint32_t type, uint32_t req_id, uint32_t tx_id,
		 const void *payload, size_t len);
/* Send one message with a single write(). */
void xst_send(int fd, uint32_t type, uint32_t req_id, uint32_t tx_id,
	      const void *payload, size_t len);
/*
 * Read exactly @n bytes, waiting at most @timeout_ms in total (in the main
 * thread; other threads wait as long as it takes).  The helpers may be
 * used from several threads; the main thread gets SIGALRM, which other
 * threads should block.
 */
void xst_read_exact(int fd, void *buf, size_t n, int timeout_ms);
/* Receive one whole message (waits up to 5 s). */
void xst_recv(int fd, struct xst_msg *m);
/* Fail unless no reply byte is readable within @ms milliseconds. */
void xst_expect_silence(int fd, int ms);

/*
 * Receive one message and compare every field with the expectation;
 * @what names the request in failure messages.
 */
void xst_expect(int fd, const char *what, uint32_t type, uint32_t req_id,
		uint32_t tx_id, const void *payload, size_t len);

/*
 * Send a request (fresh req_id, tx_id 0) and check the whole reply:
 * on success the reply has the request's type.
 */
void xst_rpc(int fd, uint32_t type, const void *payload, size_t len,
	     uint32_t exp_type, const void *exp, size_t exp_len);
/* The same with a tx_id, which the reply must echo. */
void xst_rpc_tx(int fd, uint32_t type, uint32_t tx_id, const void *payload,
		size_t len, uint32_t exp_type, const void *exp, size_t exp_len);
/* Send a request and check that it gets XS_ERROR "<err>\0". */
void xst_rpc_err(int fd, uint32_t type, const void *payload, size_t len,
		 const char *err);

/* Conveniences on NUL-terminated paths. */
void xst_write_str(int fd, const char *path, const void *val, size_t len);
void xst_read_expect(int fd, const char *path, const void *val, size_t len);
void xst_read_err(int fd, const char *path, const char *err);
void xst_mkdir(int fd, const char *path);
void xst_rm(int fd, const char *path);
/* RM @path whatever the reply (cleaning up what may not be there). */
void xst_rm_any(int fd, const char *path);
void xst_dir_expect(int fd, const char *path, const void *list, size_t len);

/*
 * Payloads of NUL-terminated strings: XST_STRS("10", "1234", "5") is
 * "10\0" "1234\0" "5\0" (safer than octal-prone literals).  The result
 * lives in one of eight rotating static buffers.
 */
struct xst_buf {
	size_t len;
	char b[XST_PAYLOAD_MAX + 1];
};
const struct xst_buf *xst_strs_(const char *first, ...);
#define XST_STRS(...)	xst_strs_(__VA_ARGS__, (const char *)NULL)
/* Keep SIGALRM (the case timeout) for the main thread: call in threads. */
void xst_block_sigalrm(void);

/*
 * A thread that reads one whole message from @fd with blocking read()s
 * (xst_reader_thread(), argument a struct xst_reader): @started when it
 * runs, @done when read() returned; @got bytes in @buf, @err its errno.
 */
struct xst_reader {
	int fd;
	atomic_int started, done;
	ssize_t got;
	int err;
	unsigned char buf[XST_MSG_MAX];
};
void *xst_reader_thread(void *arg);

/* Decimal @v, the home directory of @domid, and @path below it (xst_fmt). */
const char *xst_u(unsigned int v);
const char *xst_home(unsigned int domid);
const char *xst_at(unsigned int domid, const char *path);

/* @prefix then "/c" @n times into @buf (big enough); returns its length */
size_t xst_deep_path(char *buf, const char *prefix, int n);

/* printf into one of eight rotating static buffers */
const char *xst_fmt(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * Send a request with a fresh req_id and receive its reply into @m,
 * failing unless the reply echoes req_id and @tx_id.
 */
void xst_call(int fd, uint32_t type, uint32_t tx_id, const void *payload,
	      size_t len, struct xst_msg *m);

/*
 * KXS_IOC_BIND_DOMAIN: xst_bind_errno() returns 0 or the errno of the
 * ioctl; xst_bind() fails the case on error; xst_open_domain() opens a
 * fresh connection and binds it to @domid.
 */
int xst_bind_errno(int fd, uint32_t domid, uint32_t flags);
void xst_bind(int fd, uint32_t domid);
int xst_open_domain(uint32_t domid);

/*
 * KXS_IOC_REQUEST with the request at @req (@req_len bytes, passed as
 * request_len unchanged), @reply_size bytes of room at @reply and @flags.
 * Returns 0 (reply_len in *@reply_len) or the ioctl's errno.
 */
int xst_ioc_request(int fd, const void *req, uint32_t req_len, void *reply,
		    uint32_t reply_size, uint32_t flags, uint32_t *reply_len);
/*
 * One well-formed request through KXS_IOC_REQUEST; fails the case unless
 * the ioctl returns 0 with a whole reply (reply_len = 16 + its len) that
 * echoes @req_id and @tx_id.  The reply is left in @m.
 */
void xst_ioc_call(int fd, uint32_t type, uint32_t req_id, uint32_t tx_id,
		  const void *payload, size_t len, struct xst_msg *m);

/*
 * Watch events.  An event a request causes on the requester's own
 * connection may be queued before that request's reply (the reference
 * daemon's order), so the "ev" helpers, while they wait for a reply, keep
 * the events they find in front of it, per file descriptor, in arrival
 * order; xst_event_next() and xst_events_expect() return those first.
 * Every event is checked as it arrives: type WATCH_EVENT, req_id and
 * tx_id 0, payload exactly "<path>\0<token>\0".  The helpers use
 * non-blocking reads with deadlines (no signals), so threads may use
 * them, each on a file descriptor of its own.
 *
 * Events are written as "path|token|" strings, '|' for each NUL (no
 * valid path or token used by the tests contains '|').
 */
/* Send a request with a fresh req_id; its reply into @m, events kept. */
void xst_ev_call(int fd, uint32_t type, uint32_t tx_id, const void *payload,
		 size_t len, struct xst_msg *m);
/*
 * TRANSACTION_START, keeping events: fails the case unless the reply is
 * a transaction id (decimal, not 0); returns it.
 */
uint32_t xst_tx_start(int fd);
/* xst_rpc_tx(), xst_rpc() and xst_rpc_err() keeping events. */
void xst_ev_rpc_tx(int fd, uint32_t type, uint32_t tx_id, const void *payload,
		   size_t len, uint32_t exp_type, const void *exp,
		   size_t exp_len);
void xst_ev_rpc(int fd, uint32_t type, const void *payload, size_t len,
		uint32_t exp_type, const void *exp, size_t exp_len);
void xst_ev_rpc_err(int fd, uint32_t type, const void *payload, size_t len,
		    const char *err);
/*
 * WATCH @path with @token (and a depth, for xst_watch_depth()): the reply
 * must be WATCH "OK" and the message right after it the initial event
 * "<path>\0<token>\0".
 */
void xst_watch(int fd, const char *path, const char *token);
void xst_watch_depth(int fd, const char *path, const char *token,
		     unsigned int depth);
/* UNWATCH @path @token, which must succeed. */
void xst_unwatch(int fd, const char *path, const char *token);
/*
 * The next event of @fd (kept ones first) into @m, waiting at most
 * @timeout_ms (0: only what is queued now).  Returns false when there is
 * none; fails the case on anything but an event.
 */
bool xst_event_next(int fd, struct xst_msg *m, int timeout_ms);
/*
 * Expect exactly the events @want ("path|token|path|token|"), in order,
 * and then nothing more queued; waits up to 5 s for them to arrive.
 */
#define xst_events_expect(fd, want) \
	xst_events_expect_at(__FILE__, __LINE__, fd, want)
/* The same, in any order (several watches of one connection firing). */
#define xst_events_expect_unordered(fd, want) \
	xst_events_expect_unordered_at(__FILE__, __LINE__, fd, want)
/* No event (and nothing else) is queued on @fd. */
#define xst_events_none(fd) xst_events_expect(fd, "")
/* The functions behind them: failures name @file and @line. */
void xst_events_expect_at(const char *file, int line, int fd,
			  const char *want);
void xst_events_expect_unordered_at(const char *file, int line, int fd,
				    const char *want);
/* Forget the events kept for @fd, and close it. */
void xst_ev_close(int fd);
/* printable rendering with '|' for NUL, into a static buffer */
const char *xst_bars(const void *p, size_t n);

/* Next request id (distinct per call, never 0). */
uint32_t xst_next_req_id(void);

/*
 * The number in the environment variable @name, @def if it is unset or
 * empty; anything else than a number from @min to @max stops the program
 * with a message and status 2 (a mistyped setting, not a failed case).
 */
unsigned long xst_env_ul(const char *name, unsigned long def,
			 unsigned long min, unsigned long max);

/*
 * @ms, a limit that is there to catch a hang, times $KXS_TIME_SCALE
 * percent (100 to 10000, default 100; tests/run-all sets it from
 * scripts/vm/calibrate): on a busy host or under a debug kernel every
 * such limit is longer, so that slowness does not fail a case.
 */
int xst_scaled_ms(int ms);

/*
 * The module's object counts (/sys/module/kxenstore/stats), in this
 * order: xst_stats() reads them all, failing the case if one is missing;
 * xst_print_stats() prints them on a line "# <when>: nodes N ...".
 */
#define XST_STATS_FILE	"/sys/module/kxenstore/stats"
enum xst_stat {
	XST_NODES, XST_DATA, XST_CONNS, XST_MSGS, XST_TXS, XST_RECORDS,
	XST_WATCHES, XST_NSTATS
};
extern const char *const xst_stat_names[XST_NSTATS];
void xst_stats(long v[XST_NSTATS]);
void xst_print_stats(const char *when, const long v[XST_NSTATS]);

/*
 * Entry point: "--list" prints the case names; no argument runs every case,
 * case names as arguments run those.  Each case runs in a child process
 * (killed after $KXS_CASE_TIMEOUT seconds, default 30), its output followed
 * by a line "ok - NAME" or "not ok - NAME".  Exit status 0 iff all passed.
 */
int xst_main(int argc, char **argv, const struct xst_case *cases, size_t n);

#endif /* KXS_TESTS_XSTEST_H */
