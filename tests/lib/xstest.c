// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the kxenstore user-space tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kxenstore.h>

#include "xstest.h"

#define XST_REPLY_TIMEOUT_MS	xst_scaled_ms(5000)

const char *xst_dev_path(void)
{
	const char *p = getenv("XENSTORED_PATH");

	return p && *p ? p : "/dev/xen/xenbus";
}

int xst_open_path(const char *path, int flags)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
			    (flags & O_NONBLOCK ? SOCK_NONBLOCK : 0), 0);
		if (fd < 0)
			FAIL("socket: %s", strerror(errno));
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			FAIL("connect %s: %s", path, strerror(errno));
		return fd;
	}
	fd = open(path, O_RDWR | O_CLOEXEC | flags);
	if (fd < 0)
		FAIL("open %s: %s", path, strerror(errno));
	return fd;
}

int xst_open(int flags)
{
	return xst_open_path(xst_dev_path(), flags);
}

void xst_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

const char *xst_esc(const void *p, size_t n)
{
	static __thread char bufs[4][1024];
	static __thread int which;
	const unsigned char *s = p;
	char *out = bufs[which++ & 3];
	size_t o = 0, i;

	out[o++] = '"';
	for (i = 0; i < n; i++) {
		if (o > 200) {
			o += snprintf(out + o, 64, "\"... (%zu bytes)", n);
			return out;
		}
		if (s[i] == 0)
			o += snprintf(out + o, 8, "\\0");
		else if (s[i] == '"' || s[i] == '\\')
			o += snprintf(out + o, 8, "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] >= 0x7f)
			o += snprintf(out + o, 8, "\\x%02x", s[i]);
		else
			out[o++] = s[i];
	}
	snprintf(out + o, 64, "\" (%zu bytes)", n);
	return out;
}

const char *xst_type_name(uint32_t type)
{
	static const char *const names[] = {
		"CONTROL", "DIRECTORY", "READ", "GET_PERMS", "WATCH",
		"UNWATCH", "TRANSACTION_START", "TRANSACTION_END",
		"INTRODUCE", "RELEASE", "GET_DOMAIN_PATH", "WRITE", "MKDIR",
		"RM", "SET_PERMS", "WATCH_EVENT", "ERROR",
		"IS_DOMAIN_INTRODUCED", "RESUME", "SET_TARGET", "RESTRICT",
		"RESET_WATCHES", "DIRECTORY_PART", "GET_FEATURE",
		"SET_FEATURE", "GET_QUOTA", "SET_QUOTA",
	};
	static __thread char buf[4][24];
	static __thread int which;
	char *b;

	if (type < ARRAY_SIZE(names))
		return names[type];
	b = buf[which++ & 3];
	snprintf(b, sizeof(buf[0]), "type %u", type);
	return b;
}

long long xst_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Reply reads are bounded by an interval timer rather than by poll(), so
 * that a broken poll() only fails the cases about poll().  The timer keeps
 * firing every 50 ms after it expires, so a signal that lands just before
 * read() is entered does not leave us blocked forever.
 */
static volatile sig_atomic_t xst_timed_out;

static void xst_on_alarm(int sig)
{
	(void)sig;
	xst_timed_out = 1;
}

static void xst_arm(int ms)
{
	struct sigaction sa = { .sa_handler = xst_on_alarm };
	struct itimerval it = {
		.it_interval = { 0, 50000 },
		.it_value = { ms / 1000, (ms % 1000) * 1000 },
	};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: read() gets EINTR */
	xst_timed_out = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void xst_disarm(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}

void xst_write_all(int fd, const void *buf, size_t n)
{
	ssize_t r = write(fd, buf, n);

	if (r < 0)
		FAIL("write(%zu bytes): %s", n, strerror(errno));
	if ((size_t)r != n)
		FAIL("write(%zu bytes) returned %zd", n, r);
}

size_t xst_build(void *out, uint32_t type, uint32_t req_id, uint32_t tx_id,
		 const void *payload, size_t len)
{
	struct xsd_sockmsg h = {
		.type = type, .req_id = req_id, .tx_id = tx_id,
		.len = (uint32_t)len,
	};

	if (len > XST_PAYLOAD_MAX)
		FAIL("xst_build: payload of %zu bytes is too long", len);
	memcpy(out, &h, sizeof(h));
	if (len)
		memcpy((char *)out + sizeof(h), payload, len);
	return sizeof(h) + len;
}

void xst_send(int fd, uint32_t type, uint32_t req_id, uint32_t tx_id,
	      const void *payload, size_t len)
{
	static __thread unsigned char buf[XST_MSG_MAX];

	xst_write_all(fd, buf, xst_build(buf, type, req_id, tx_id,
					 payload, len));
}

void xst_read_exact(int fd, void *buf, size_t n, int timeout_ms)
{
	size_t got = 0;
	ssize_t r;

	if (gettid() != getpid()) {
		/* the timer is per process: other threads read without it */
		while (got < n) {
			r = read(fd, (char *)buf + got, n - got);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0)
				FAIL("read: %s", r ? strerror(errno) : "end of file");
			got += r;
		}
		return;
	}
	xst_arm(timeout_ms);
	while (got < n) {
		if (xst_timed_out) {
			xst_disarm();
			FAIL("no reply: got %zu of %zu expected bytes within %d ms",
			     got, n, timeout_ms);
		}
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			usleep(1000);
			continue;
		}
		if (r < 0) {
			xst_disarm();
			FAIL("read: %s", strerror(errno));
		}
		if (r == 0) {
			xst_disarm();
			FAIL("read returned 0 (end of file) after %zu of %zu bytes",
			     got, n);
		}
		got += r;
	}
	xst_disarm();
}

void xst_recv(int fd, struct xst_msg *m)
{
	xst_read_exact(fd, &m->hdr, XST_HDR_LEN, XST_REPLY_TIMEOUT_MS);
	if (m->hdr.len > XST_PAYLOAD_MAX)
		FAIL("reply header %s req_id %#x announces %u payload bytes (> %d)",
		     xst_type_name(m->hdr.type), m->hdr.req_id, m->hdr.len,
		     XST_PAYLOAD_MAX);
	xst_read_exact(fd, m->body, m->hdr.len, XST_REPLY_TIMEOUT_MS);
	m->body[m->hdr.len] = 0;
}

void xst_expect_silence(int fd, int ms)
{
	int fl = fcntl(fd, F_GETFL);
	char c;
	ssize_t r;

	usleep(ms * 1000);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	xst_arm(2000);
	r = read(fd, &c, 1);
	xst_disarm();
	fcntl(fd, F_SETFL, fl);
	if (r >= 0)
		FAIL("expected nothing to read, but read() returned %zd (byte %s)",
		     r, xst_esc(&c, r > 0 ? 1 : 0));
	if (errno == EINTR)
		FAIL("O_NONBLOCK read() on a connection with nothing queued blocked");
	if (errno != EAGAIN)
		FAIL("expected EAGAIN with nothing queued, got %s",
		     strerror(errno));
}

void xst_expect(int fd, const char *what, uint32_t type, uint32_t req_id,
		uint32_t tx_id, const void *payload, size_t len)
{
	static __thread struct xst_msg m;

	xst_recv(fd, &m);
	if (m.hdr.type != type || m.hdr.len != len ||
	    memcmp(m.body, payload, len))
		FAIL("%s: expected reply %s %s, got %s %s", what,
		     xst_type_name(type), xst_esc(payload, len),
		     xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	if (m.hdr.req_id != req_id)
		FAIL("%s: reply req_id %#x, expected %#x", what, m.hdr.req_id,
		     req_id);
	if (m.hdr.tx_id != tx_id)
		FAIL("%s: reply tx_id %#x, expected %#x", what, m.hdr.tx_id,
		     tx_id);
}

uint32_t xst_next_req_id(void)
{
	static uint32_t id = 0x4b585300;	/* "KXS" */

	return __atomic_add_fetch(&id, 1, __ATOMIC_RELAXED);
}

void xst_rpc_tx(int fd, uint32_t type, uint32_t tx_id, const void *payload,
		size_t len, uint32_t exp_type, const void *exp, size_t exp_len)
{
	uint32_t id = xst_next_req_id();
	char what[256];

	snprintf(what, sizeof(what), "%s %s%s", xst_type_name(type),
		 xst_esc(payload, len), tx_id ? " in a transaction" : "");
	xst_send(fd, type, id, tx_id, payload, len);
	xst_expect(fd, what, exp_type, id, tx_id, exp, exp_len);
}

void xst_rpc(int fd, uint32_t type, const void *payload, size_t len,
	     uint32_t exp_type, const void *exp, size_t exp_len)
{
	xst_rpc_tx(fd, type, 0, payload, len, exp_type, exp, exp_len);
}

void xst_rpc_err(int fd, uint32_t type, const void *payload, size_t len,
		 const char *err)
{
	xst_rpc(fd, type, payload, len, XS_ERROR, err, strlen(err) + 1);
}

void xst_write_str(int fd, const char *path, const void *val, size_t len)
{
	static __thread char buf[XST_PAYLOAD_MAX];
	size_t pl = strlen(path) + 1;

	if (pl + len > sizeof(buf))
		FAIL("xst_write_str: payload too long");
	memcpy(buf, path, pl);
	memcpy(buf + pl, val, len);
	xst_rpc(fd, XS_WRITE, buf, pl + len, XS_WRITE, OK_REPLY);
}

void xst_read_expect(int fd, const char *path, const void *val, size_t len)
{
	xst_rpc(fd, XS_READ, path, strlen(path) + 1, XS_READ, val, len);
}

void xst_read_err(int fd, const char *path, const char *err)
{
	xst_rpc_err(fd, XS_READ, path, strlen(path) + 1, err);
}

void xst_mkdir(int fd, const char *path)
{
	xst_rpc(fd, XS_MKDIR, path, strlen(path) + 1, XS_MKDIR, OK_REPLY);
}

void xst_rm(int fd, const char *path)
{
	xst_rpc(fd, XS_RM, path, strlen(path) + 1, XS_RM, OK_REPLY);
}

void xst_rm_any(int fd, const char *path)
{
	struct xst_msg m;

	xst_call(fd, XS_RM, 0, path, strlen(path) + 1, &m);
}

void xst_dir_expect(int fd, const char *path, const void *list, size_t len)
{
	xst_rpc(fd, XS_DIRECTORY, path, strlen(path) + 1, XS_DIRECTORY,
		list, len);
}

const struct xst_buf *xst_strs_(const char *first, ...)
{
	static __thread struct xst_buf bufs[8];
	static __thread int which;
	struct xst_buf *b = &bufs[which++ & 7];
	const char *s;
	va_list ap;
	size_t n;

	b->len = 0;
	va_start(ap, first);
	for (s = first; s; s = va_arg(ap, const char *)) {
		n = strlen(s) + 1;
		if (b->len + n > XST_PAYLOAD_MAX)
			FAIL("XST_STRS: payload over %d bytes", XST_PAYLOAD_MAX);
		memcpy(b->b + b->len, s, n);
		b->len += n;
	}
	va_end(ap);
	b->b[b->len] = 0;
	return b;
}

size_t xst_deep_path(char *buf, const char *prefix, int n)
{
	size_t len = strlen(prefix);
	int i;

	memcpy(buf, prefix, len);
	for (i = 0; i < n; i++, len += 2)
		memcpy(buf + len, "/c", 2);
	buf[len] = 0;
	return len;
}

const char *xst_fmt(const char *fmt, ...)
{
	static __thread char bufs[8][XST_PAYLOAD_MAX];
	static __thread int which;
	char *b = bufs[which++ & 7];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, XST_PAYLOAD_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= XST_PAYLOAD_MAX)
		FAIL("xst_fmt: result too long");
	return b;
}

void xst_call(int fd, uint32_t type, uint32_t tx_id, const void *payload,
	      size_t len, struct xst_msg *m)
{
	uint32_t id = xst_next_req_id();

	xst_send(fd, type, id, tx_id, payload, len);
	xst_recv(fd, m);
	if (m->hdr.req_id != id || m->hdr.tx_id != tx_id)
		FAIL("%s %s: reply %s %s has req_id %#x tx_id %#x, expected %#x %#x",
		     xst_type_name(type), xst_esc(payload, len),
		     xst_type_name(m->hdr.type), xst_esc(m->body, m->hdr.len),
		     m->hdr.req_id, m->hdr.tx_id, id, tx_id);
}

int xst_bind_errno(int fd, uint32_t domid, uint32_t flags)
{
	struct kxs_ioc_bind b = { .domid = domid, .flags = flags };

	return ioctl(fd, KXS_IOC_BIND_DOMAIN, &b) ? errno : 0;
}

void xst_bind(int fd, uint32_t domid)
{
	int err = xst_bind_errno(fd, domid, 0);

	if (err)
		FAIL("KXS_IOC_BIND_DOMAIN to domain %u: %s", domid,
		     strerror(err));
}

int xst_open_domain(uint32_t domid)
{
	int fd = xst_open(0);

	xst_bind(fd, domid);
	return fd;
}

int xst_ioc_request(int fd, const void *req, uint32_t req_len, void *reply,
		    uint32_t reply_size, uint32_t flags, uint32_t *reply_len)
{
	struct kxs_ioc_request r = {
		.request = (uintptr_t)req,
		.reply = (uintptr_t)reply,
		.request_len = req_len,
		.reply_size = reply_size,
		.reply_len = 0xdeadbeef,
		.flags = flags,
	};

	if (ioctl(fd, KXS_IOC_REQUEST, &r))
		return errno;
	if (reply_len)
		*reply_len = r.reply_len;
	return 0;
}

void xst_ioc_call(int fd, uint32_t type, uint32_t req_id, uint32_t tx_id,
		  const void *payload, size_t len, struct xst_msg *m)
{
	static __thread unsigned char req[XST_MSG_MAX];
	size_t n = xst_build(req, type, req_id, tx_id, payload, len);
	uint32_t got = 0;
	int err;

	memset(m, 0x5a, sizeof(*m));
	err = xst_ioc_request(fd, req, n, m, XST_MSG_MAX, 0, &got);
	if (err)
		FAIL("KXS_IOC_REQUEST %s %s: %s", xst_type_name(type),
		     xst_esc(payload, len), strerror(err));
	if (got < XST_HDR_LEN || got > XST_MSG_MAX ||
	    got != XST_HDR_LEN + m->hdr.len)
		FAIL("KXS_IOC_REQUEST %s %s: reply_len %u with header len %u",
		     xst_type_name(type), xst_esc(payload, len), got,
		     got >= XST_HDR_LEN ? m->hdr.len : 0);
	m->body[m->hdr.len] = 0;
	if (m->hdr.req_id != req_id || m->hdr.tx_id != tx_id)
		FAIL("KXS_IOC_REQUEST %s %s: reply %s %s has req_id %#x tx_id %#x, expected %#x %#x",
		     xst_type_name(type), xst_esc(payload, len),
		     xst_type_name(m->hdr.type), xst_esc(m->body, m->hdr.len),
		     m->hdr.req_id, m->hdr.tx_id, req_id, tx_id);
}

/* ---- watch events -------------------------------------------------------- */

/* Events kept per file descriptor: their payloads, one after another. */
struct xst_evq {
	char *buf;
	size_t len, cap;
};

static struct xst_evq xst_evqs[1024];

static struct xst_evq *xst_evq_of(int fd)
{
	if (fd < 0 || (size_t)fd >= ARRAY_SIZE(xst_evqs))
		FAIL("file descriptor %d is beyond the event helpers' table", fd);
	return &xst_evqs[fd];
}

const char *xst_bars(const void *p, size_t n)
{
	static __thread char bufs[4][2048];
	static __thread int which;
	const unsigned char *s = p;
	char *out = bufs[which++ & 3];
	size_t o = 0, i;

	out[o++] = '"';
	for (i = 0; i < n; i++) {
		if (o > 1900) {
			snprintf(out + o, 64, "\"... (%zu bytes)", n);
			return out;
		}
		if (s[i] == 0)
			out[o++] = '|';
		else if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"')
			o += snprintf(out + o, 8, "\\x%02x", s[i]);
		else
			out[o++] = s[i];
	}
	snprintf(out + o, 64, "\"");
	return out;
}

/* Fail unless @m is a well-formed watch event. */
static void xst_event_check(int fd, const struct xst_msg *m)
{
	size_t i, nuls = 0;

	if (m->hdr.req_id || m->hdr.tx_id)
		FAIL("fd %d: WATCH_EVENT %s has req_id %#x tx_id %#x; both must be 0",
		     fd, xst_bars(m->body, m->hdr.len), m->hdr.req_id,
		     m->hdr.tx_id);
	for (i = 0; i < m->hdr.len; i++)
		nuls += !m->body[i];
	if (m->hdr.len < 3 || m->body[0] == 0 || nuls != 2 ||
	    m->body[m->hdr.len - 1])
		FAIL("fd %d: WATCH_EVENT payload %s is not \"<path>\\0<token>\\0\"",
		     fd, xst_esc(m->body, m->hdr.len));
}

static void xst_evq_push(int fd, const void *p, size_t n)
{
	struct xst_evq *q = xst_evq_of(fd);

	if (q->len + n > q->cap) {
		q->cap = (q->len + n) * 2 + 4096;
		q->buf = realloc(q->buf, q->cap);
		if (!q->buf)
			FAIL("out of memory keeping events");
	}
	memcpy(q->buf + q->len, p, n);
	q->len += n;
}

/* Take the oldest kept event of @fd into @m; false if none. */
static bool xst_evq_pop(int fd, struct xst_msg *m)
{
	struct xst_evq *q = xst_evq_of(fd);
	size_t n;

	if (!q->len)
		return false;
	n = strlen(q->buf) + 1;
	n += strlen(q->buf + n) + 1;
	memset(&m->hdr, 0, sizeof(m->hdr));
	m->hdr.type = XS_WATCH_EVENT;
	m->hdr.len = n;
	memcpy(m->body, q->buf, n);
	m->body[n] = 0;
	memmove(q->buf, q->buf + n, q->len - n);
	q->len -= n;
	return true;
}

/*
 * Read @n bytes with non-blocking reads until @deadline (ms).  Returns
 * the bytes read: fewer than @n only when none had arrived by then; a
 * message cut short is a failure.
 */
static size_t xst_read_until(int fd, void *buf, size_t n, long long deadline)
{
	int fl = fcntl(fd, F_GETFL);
	size_t got = 0;
	ssize_t r;

	if (fl < 0)
		FAIL("fcntl(%d): %s", fd, strerror(errno));
	if (!(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r > 0) {
			got += r;
			continue;
		}
		if (r == 0) {
			fcntl(fd, F_SETFL, fl);
			FAIL("fd %d: read returned 0 (end of file) after %zu of %zu bytes",
			     fd, got, n);
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			fcntl(fd, F_SETFL, fl);
			FAIL("fd %d: read: %s", fd, strerror(errno));
		}
		if (xst_now_ms() >= deadline) {
			if (!got)
				break;
			/* the rest of a message is due at once */
			if (xst_now_ms() >= deadline + XST_REPLY_TIMEOUT_MS) {
				fcntl(fd, F_SETFL, fl);
				FAIL("fd %d: message cut short: %zu of %zu bytes",
				     fd, got, n);
			}
		}
		usleep(1000);
	}
	if (!(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl);
	return got;
}

/* The next message on the wire (nothing kept); false if none in time. */
static bool xst_msg_until(int fd, struct xst_msg *m, long long deadline)
{
	if (xst_read_until(fd, &m->hdr, XST_HDR_LEN, deadline) < XST_HDR_LEN)
		return false;
	if (m->hdr.len > XST_PAYLOAD_MAX)
		FAIL("fd %d: message %s req_id %#x announces %u payload bytes (> %d)",
		     fd, xst_type_name(m->hdr.type), m->hdr.req_id, m->hdr.len,
		     XST_PAYLOAD_MAX);
	if (xst_read_until(fd, m->body, m->hdr.len,
			   xst_now_ms() + XST_REPLY_TIMEOUT_MS) < m->hdr.len)
		FAIL("fd %d: %s header without its %u payload bytes", fd,
		     xst_type_name(m->hdr.type), m->hdr.len);
	m->body[m->hdr.len] = 0;
	return true;
}

/* The reply the connection owes: events in front of it are kept. */
static void xst_ev_recv_reply(int fd, struct xst_msg *m, const char *what)
{
	for (;;) {
		if (!xst_msg_until(fd, m, xst_now_ms() + XST_REPLY_TIMEOUT_MS))
			FAIL("%s: no reply within %d ms", what,
			     XST_REPLY_TIMEOUT_MS);
		if (m->hdr.type != XS_WATCH_EVENT)
			return;
		xst_event_check(fd, m);
		xst_evq_push(fd, m->body, m->hdr.len);
	}
}

void xst_ev_call(int fd, uint32_t type, uint32_t tx_id, const void *payload,
		 size_t len, struct xst_msg *m)
{
	uint32_t id = xst_next_req_id();
	char what[320];

	snprintf(what, sizeof(what), "%s %s", xst_type_name(type),
		 xst_esc(payload, len));
	xst_send(fd, type, id, tx_id, payload, len);
	xst_ev_recv_reply(fd, m, what);
	if (m->hdr.req_id != id || m->hdr.tx_id != tx_id)
		FAIL("%s: reply %s %s has req_id %#x tx_id %#x, expected %#x %#x",
		     what, xst_type_name(m->hdr.type),
		     xst_esc(m->body, m->hdr.len), m->hdr.req_id, m->hdr.tx_id,
		     id, tx_id);
}

uint32_t xst_tx_start(int fd)
{
	static struct xst_msg m;
	unsigned long v;
	char *end;

	xst_ev_call(fd, XS_TRANSACTION_START, 0, "", 1, &m);
	CHECK(m.hdr.type == XS_TRANSACTION_START,
	      "TRANSACTION_START answered %s %s", xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));
	v = strtoul((const char *)m.body, &end, 10);
	CHECK(v && v <= UINT32_MAX && *end == 0, "transaction id %s",
	      xst_esc(m.body, m.hdr.len));
	return (uint32_t)v;
}

void xst_ev_rpc_tx(int fd, uint32_t type, uint32_t tx_id, const void *payload,
		   size_t len, uint32_t exp_type, const void *exp,
		   size_t exp_len)
{
	static __thread struct xst_msg m;

	xst_ev_call(fd, type, tx_id, payload, len, &m);
	if (m.hdr.type != exp_type || m.hdr.len != exp_len ||
	    memcmp(m.body, exp, exp_len))
		FAIL("%s %s%s: expected reply %s %s, got %s %s",
		     xst_type_name(type), xst_esc(payload, len),
		     tx_id ? " in a transaction" : "",
		     xst_type_name(exp_type), xst_esc(exp, exp_len),
		     xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
}

void xst_ev_rpc(int fd, uint32_t type, const void *payload, size_t len,
		uint32_t exp_type, const void *exp, size_t exp_len)
{
	xst_ev_rpc_tx(fd, type, 0, payload, len, exp_type, exp, exp_len);
}

void xst_ev_rpc_err(int fd, uint32_t type, const void *payload, size_t len,
		    const char *err)
{
	xst_ev_rpc(fd, type, payload, len, XS_ERROR, err, strlen(err) + 1);
}

static void xst_watch_payload(int fd, const struct xst_buf *p,
			      const char *path, const char *token)
{
	static __thread struct xst_msg m;
	size_t plen = strlen(path) + 1, tlen = strlen(token) + 1;

	xst_ev_rpc(fd, XS_WATCH, p->b, p->len, XS_WATCH, OK_REPLY);
	if (!xst_msg_until(fd, &m, xst_now_ms() + XST_REPLY_TIMEOUT_MS))
		FAIL("WATCH %s: no initial event within %d ms after the reply",
		     xst_bars(p->b, p->len), XST_REPLY_TIMEOUT_MS);
	if (m.hdr.type != XS_WATCH_EVENT)
		FAIL("WATCH %s: after the reply came %s %s, not the initial event",
		     xst_bars(p->b, p->len), xst_type_name(m.hdr.type),
		     xst_esc(m.body, m.hdr.len));
	xst_event_check(fd, &m);
	if (m.hdr.len != plen + tlen || memcmp(m.body, path, plen) ||
	    memcmp(m.body + plen, token, tlen))
		FAIL("WATCH %s: initial event %s, expected \"%s|%s|\"",
		     xst_bars(p->b, p->len), xst_bars(m.body, m.hdr.len), path,
		     token);
}

void xst_watch(int fd, const char *path, const char *token)
{
	xst_watch_payload(fd, XST_STRS(path, token), path, token);
}

void xst_watch_depth(int fd, const char *path, const char *token,
		     unsigned int depth)
{
	xst_watch_payload(fd, XST_STRS(path, token, xst_fmt("%u", depth)),
			  path, token);
}

void xst_unwatch(int fd, const char *path, const char *token)
{
	const struct xst_buf *p = XST_STRS(path, token);

	xst_ev_rpc(fd, XS_UNWATCH, p->b, p->len, XS_UNWATCH, OK_REPLY);
}

bool xst_event_next(int fd, struct xst_msg *m, int timeout_ms)
{
	if (xst_evq_pop(fd, m))
		return true;
	if (!xst_msg_until(fd, m, xst_now_ms() + timeout_ms))
		return false;
	if (m->hdr.type != XS_WATCH_EVENT)
		FAIL("fd %d: expected a WATCH_EVENT, got %s req_id %#x %s", fd,
		     xst_type_name(m->hdr.type), m->hdr.req_id,
		     xst_esc(m->body, m->hdr.len));
	xst_event_check(fd, m);
	return true;
}

/* "a|b|" as bytes with NULs into @out; returns the length. */
static size_t xst_unbar(const char *want, char *out, size_t room)
{
	size_t i, n = strlen(want);

	if (n >= room)
		FAIL("expected events too long");
	for (i = 0; i < n; i++)
		out[i] = want[i] == '|' ? 0 : want[i];
	out[n] = 0;
	return n;
}

/* Events until @n bytes of them arrived (or 5 s passed) into @got. */
static size_t xst_events_collect(int fd, char *got, size_t room, size_t n)
{
	static __thread struct xst_msg m;
	long long deadline = xst_now_ms() + XST_REPLY_TIMEOUT_MS;
	size_t len = 0;
	long long left;

	while (len < n) {
		left = deadline - xst_now_ms();
		if (!xst_event_next(fd, &m, left > 0 ? (int)left : 0))
			break;
		if (len + m.hdr.len > room)
			FAIL("fd %d: more than %zu bytes of events", fd, room);
		memcpy(got + len, m.body, m.hdr.len);
		len += m.hdr.len;
	}
	return len;
}

static void xst_events_expect_more_none(const char *file, int line, int fd,
					const char *want)
{
	static __thread struct xst_msg m;

	if (xst_event_next(fd, &m, 0))
		xst_fail(file, line,
			 "fd %d: after the expected events %s came another: %s",
			 fd, xst_bars(want, strlen(want)),
			 xst_bars(m.body, m.hdr.len));
}

void xst_events_expect_at(const char *file, int line, int fd,
			  const char *want)
{
	static __thread char exp[16384], got[16384];
	size_t n = xst_unbar(want, exp, sizeof(exp)), len;

	len = xst_events_collect(fd, got, sizeof(got), n);
	if (len != n || memcmp(got, exp, n))
		xst_fail(file, line, "fd %d: expected events %s, got %s%s", fd,
			 xst_bars(exp, n), xst_bars(got, len),
			 len < n ? " (and then nothing for 5 s)" : "");
	xst_events_expect_more_none(file, line, fd, want);
}

static int xst_strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * @len bytes of events ("path\0token\0"...) as "path|token|" strings,
 * sorted and joined into @out.
 */
static void xst_events_sorted(const char *buf, size_t len, char *out,
			      size_t room)
{
	static __thread char copy[20000];
	static __thread char *ev[1024];
	size_t i, n = 0, off = 0, c = 0, o = 0, pl, tl;

	while (off < len) {
		pl = strnlen(buf + off, len - off);
		tl = off + pl + 1 < len ?
		     strnlen(buf + off + pl + 1, len - off - pl - 1) : 0;
		if (n == ARRAY_SIZE(ev) || c + pl + tl + 3 > sizeof(copy))
			FAIL("too many events to sort");
		ev[n++] = copy + c;
		memcpy(copy + c, buf + off, pl);
		c += pl;
		copy[c++] = '|';
		if (off + pl + 1 < len)
			memcpy(copy + c, buf + off + pl + 1, tl);
		c += tl;
		copy[c++] = '|';
		copy[c++] = 0;
		off += pl + tl + 2;
	}
	qsort(ev, n, sizeof(ev[0]), xst_strcmp_p);
	out[0] = 0;
	for (i = 0; i < n && o < room; i++)
		o += snprintf(out + o, room - o, "%s", ev[i]);
}

void xst_events_expect_unordered_at(const char *file, int line, int fd,
				    const char *want)
{
	static __thread char exp[16384], got[16384], es[16384], gs[16384];
	size_t n = xst_unbar(want, exp, sizeof(exp)), len;

	len = xst_events_collect(fd, got, sizeof(got), n);
	xst_events_sorted(exp, n, es, sizeof(es));
	xst_events_sorted(got, len, gs, sizeof(gs));
	if (len != n || strcmp(es, gs))
		xst_fail(file, line,
			 "fd %d: expected events %s in any order, got %s%s", fd,
			 xst_bars(exp, n), xst_bars(got, len),
			 len < n ? " (and then nothing for 5 s)" : "");
	xst_events_expect_more_none(file, line, fd, want);
}

void xst_ev_close(int fd)
{
	struct xst_evq *q = xst_evq_of(fd);

	free(q->buf);
	memset(q, 0, sizeof(*q));
	close(fd);
}

/* Seconds a case may take ($KXS_CASE_TIMEOUT, default 30). */
static int xst_case_timeout(void)
{
	const char *e = getenv("KXS_CASE_TIMEOUT");
	int t = e ? atoi(e) : 0;

	return t > 0 ? t : 30;
}

/* Run one case in a child process; 0 iff it passed. */
static int xst_run_child(const struct xst_case *c)
{
	long long end = xst_now_ms() + xst_case_timeout() * 1000LL;
	int status;
	pid_t pid, r;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		c->fn();
		fflush(stdout);
		_exit(0);
	}
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (xst_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			printf("timed out after %d s\n", xst_case_timeout());
			return 1;
		}
		usleep(10000);
	}
	if (r < 0) {
		perror("waitpid");
		return 1;
	}
	if (WIFSIGNALED(status)) {
		printf("killed by signal %d (%s)\n", WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
		return 1;
	}
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int xst_run_case(const struct xst_case *c)
{
	int bad = xst_run_child(c);

	printf("%s - %s\n", bad ? "not ok" : "ok", c->name);
	return bad;
}

int xst_main(int argc, char **argv, const struct xst_case *cases, size_t n)
{
	int failed = 0, a;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < n; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	if (argc == 1) {
		for (i = 0; i < n; i++)
			failed |= xst_run_case(&cases[i]);
		return failed;
	}
	for (a = 1; a < argc; a++) {
		for (i = 0; i < n; i++)
			if (!strcmp(argv[a], cases[i].name))
				break;
		if (i == n) {
			fprintf(stderr, "%s: no case named %s (see --list)\n",
				argv[0], argv[a]);
			return 2;
		}
	}
	for (a = 1; a < argc; a++)
		for (i = 0; i < n; i++)
			if (!strcmp(argv[a], cases[i].name))
				failed |= xst_run_case(&cases[i]);
	return failed;
}

void xst_block_sigalrm(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
}

void *xst_reader_thread(void *arg)
{
	struct xst_reader *r = arg;
	size_t want = XST_HDR_LEN;
	ssize_t n;

	xst_block_sigalrm();
	atomic_store(&r->started, 1);
	r->got = 0;
	while ((size_t)r->got < want) {
		n = read(r->fd, r->buf + r->got, sizeof(r->buf) - r->got);
		if (n <= 0) {
			r->err = n < 0 ? errno : 0;
			break;
		}
		r->got += n;
		if ((size_t)r->got >= XST_HDR_LEN)
			want = XST_HDR_LEN +
			       ((struct xsd_sockmsg *)r->buf)->len;
	}
	atomic_store(&r->done, 1);
	return NULL;
}

const char *xst_u(unsigned int v)
{
	return xst_fmt("%u", v);
}

const char *xst_home(unsigned int domid)
{
	return xst_fmt("/local/domain/%u", domid);
}

const char *xst_at(unsigned int domid, const char *path)
{
	return xst_fmt("/local/domain/%u/%s", domid, path);
}

const char *const xst_stat_names[XST_NSTATS] = {
	"nodes", "node-data", "connections", "messages", "transactions",
	"transaction-records", "watches",
};

void xst_stats(long v[XST_NSTATS])
{
	FILE *f = fopen(XST_STATS_FILE, "r");
	char name[64];
	int i, got = 0;
	long n;

	CHECK(f, "open %s: %m", XST_STATS_FILE);
	while (fscanf(f, "%63s %ld", name, &n) == 2)
		for (i = 0; i < XST_NSTATS; i++)
			if (!strcmp(name, xst_stat_names[i])) {
				v[i] = n;
				got++;
			}
	fclose(f);
	CHECK(got == XST_NSTATS, "%s has %d of the %d counts", XST_STATS_FILE,
	      got, XST_NSTATS);
}

void xst_print_stats(const char *when, const long v[XST_NSTATS])
{
	int i;

	printf("# %s:", when);
	for (i = 0; i < XST_NSTATS; i++)
		printf(" %s %ld", xst_stat_names[i], v[i]);
	printf("\n");
}

int xst_scaled_ms(int ms)
{
	static int scale;

	if (!scale)
		scale = (int)xst_env_ul("KXS_TIME_SCALE", 100, 100, 10000);
	return (int)((long long)ms * scale / 100);
}

unsigned long xst_env_ul(const char *name, unsigned long def,
			 unsigned long min, unsigned long max)
{
	const char *e = getenv(name);
	unsigned long v;
	char *end;

	if (!e || !*e)
		return def;
	errno = 0;
	v = strtoul(e, &end, 0);
	if (errno || *end || v < min || v > max) {
		fprintf(stderr, "%s=%s: expected %lu to %lu\n", name, e, min,
			max);
		exit(2);
	}
	return v;
}
