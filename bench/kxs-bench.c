// SPDX-License-Identifier: GPL-2.0
/*
 * kxs-bench: throughput and latency of a xenstore endpoint.
 *
 * Talks the xenstore wire protocol to a device (kxenstore's
 * /dev/xen/xenbus: write() and read(), or the KXS_IOC_REQUEST ioctl with
 * --ioctl) or to a Unix socket (a user-space xenstored), so that several
 * implementations can be measured by the same program.  Every workload
 * runs with N client processes, each on its own connection(s), started
 * together; each measures the latency of its own operations, and the
 * parent merges them into ops/s, p50 and p99.
 *
 * Next to each figure stands a floor measured in the same run: the same
 * sequence of write() and read() system calls with the same byte counts,
 * on /dev/null (writes) and /dev/zero (reads), by the same processes,
 * which run the workload and the floor in turns (phases of 20 ms) so
 * that both see the same machine.  A result divided by its floor says
 * what the store costs beyond the system calls a request cannot avoid.
 *
 * See --help, and Documentation/performance.rst for the figures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kxenstore.h>

/* ---- the wire protocol (xen/io/xs_wire.h) ------------------------------- */

enum {
	XS_DIRECTORY = 1,
	XS_READ = 2,
	XS_WATCH = 4,
	XS_UNWATCH = 5,
	XS_TRANSACTION_START = 6,
	XS_TRANSACTION_END = 7,
	XS_WRITE = 11,
	XS_RM = 13,
	XS_WATCH_EVENT = 15,
	XS_ERROR = 16,
};

struct xs_hdr {
	uint32_t type;
	uint32_t req_id;
	uint32_t tx_id;
	uint32_t len;
};

#define HDR_LEN		((uint32_t)sizeof(struct xs_hdr))
#define PAYLOAD_MAX	4096u
#define MSG_MAX		(HDR_LEN + PAYLOAD_MAX)

#define PREFIX		"/bench"
#define DIR_FANOUT	1000	/* children per population directory */
#define SMALL_DIR	10	/* children of PREFIX/d10 */
#define MAX_CLIENTS	64
#define MAX_TRACE	16

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- options ---------------------------------------------------------------- */

static const char *opt_path;
static const char *opt_access = "rw";
static int opt_rounds = 1;
/* the access of the cell being measured: KXS_IOC_REQUEST or write()+read() */
static bool cur_ioctl;
static const char *opt_workloads = "read";
static const char *opt_clients = "1";
static double opt_duration = 1.0;
static long opt_ops;
static long opt_nodes;
static bool opt_keep, opt_reuse, opt_csv, opt_no_header;
static int opt_populate_procs = 2;
static int opt_value_size = 16;
static int opt_segment_ms = 20;
static long opt_max_samples = 1 << 20;
static const char *opt_label;
static const char *opt_clock = "auto";

static const char *me = "kxs-bench";

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", me);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- time ------------------------------------------------------------------- */

/*
 * Latencies are taken with the TSC where it can be read directly (x86):
 * under QEMU's TCG the guest has no TSC clocksource and clock_gettime()
 * becomes a system call reading the emulated HPET, which would cost as
 * much as what it measures.  The TSC is calibrated against
 * CLOCK_MONOTONIC once, before the clients start.
 */
static bool use_tsc;
static double tsc_ns_per_tick;
static uint64_t tsc_base;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__) || defined(__i386__)
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#define HAVE_TSC 1
#else
static inline uint64_t rdtsc(void)
{
	return 0;
}

#define HAVE_TSC 0
#endif

static inline uint64_t now_ns(void)
{
	if (use_tsc)
		return (uint64_t)((double)(rdtsc() - tsc_base) * tsc_ns_per_tick);
	return mono_ns();
}

static void clock_init(void)
{
	uint64_t m0, m1, t0, t1;
	struct timespec pause = { 0, 100 * 1000 * 1000 };

	if (!strcmp(opt_clock, "mono"))
		return;
	if (strcmp(opt_clock, "tsc") && strcmp(opt_clock, "auto"))
		die("--clock %s: want auto, tsc or mono", opt_clock);
	if (!HAVE_TSC) {
		if (!strcmp(opt_clock, "tsc"))
			die("--clock tsc: no TSC on this machine");
		return;
	}
	m0 = mono_ns();
	t0 = rdtsc();
	nanosleep(&pause, NULL);
	m1 = mono_ns();
	t1 = rdtsc();
	if (t1 <= t0 || m1 <= m0) {
		if (!strcmp(opt_clock, "tsc"))
			die("--clock tsc: the TSC does not advance");
		return;
	}
	tsc_ns_per_tick = (double)(m1 - m0) / (double)(t1 - t0);
	tsc_base = t1;
	use_tsc = true;
}

/* ---- system calls, and their trace for the floor --------------------------- */

/*
 * One operation's system calls, as the floor replays them: a write of n
 * bytes (a request) or a read that returned n bytes (a reply or event).
 */
struct trace {
	int n;
	struct {
		char dir;	/* 'w' or 'r' */
		uint32_t bytes;
	} call[MAX_TRACE];
};

static struct trace *tracing;

static void trace_add(char dir, size_t bytes)
{
	if (tracing && tracing->n < MAX_TRACE) {
		tracing->call[tracing->n].dir = dir;
		tracing->call[tracing->n].bytes = (uint32_t)bytes;
		tracing->n++;
	}
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write: %s", n < 0 ? strerror(errno) : "wrote 0");
		trace_add('w', (size_t)n);
		p += n;
		len -= (size_t)n;
	}
}

/* ---- connections ------------------------------------------------------------- */

struct conn {
	int fd;
	bool ioctl;
	uint32_t req_id;
	size_t rpos, rlen;	/* unread bytes: rbuf[rpos, rlen) */
	unsigned char wbuf[MSG_MAX];
	unsigned char rbuf[4 * MSG_MAX];
};

struct msg {
	struct xs_hdr hdr;
	const char *body;	/* hdr.len bytes, valid until the next receive */
};

static void conn_open(struct conn *c, const char *path, bool use_ioctl)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;

	memset(c, 0, sizeof(*c));
	c->req_id = 1;
	if (stat(path, &st))
		die("%s: %s", path, strerror(errno));
	if (S_ISSOCK(st.st_mode)) {
		if (use_ioctl)
			die("--ioctl: %s is a socket, not a device", path);
		if (strlen(path) >= sizeof(sun.sun_path))
			die("%s: socket path too long", path);
		memcpy(sun.sun_path, path, strlen(path) + 1);
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			die("socket: %s", strerror(errno));
		if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)))
			die("connect %s: %s", path, strerror(errno));
	} else {
		c->fd = open(path, O_RDWR | O_CLOEXEC);
		if (c->fd < 0)
			die("open %s: %s", path, strerror(errno));
	}
	c->ioctl = use_ioctl;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
}

/* Build a request in c->wbuf; returns its length. */
static size_t conn_build(struct conn *c, unsigned char *out, uint32_t type,
			 uint32_t tx, const void *payload, size_t len)
{
	struct xs_hdr h = { type, c->req_id++, tx, (uint32_t)len };

	if (len > PAYLOAD_MAX)
		die("request payload of %zu bytes", len);
	if (!c->req_id)
		c->req_id = 1;
	memcpy(out, &h, HDR_LEN);
	memcpy(out + HDR_LEN, payload, len);
	return HDR_LEN + len;
}

/* The next whole message of the stream into @m (blocking). */
static void conn_recv(struct conn *c, struct msg *m)
{
	for (;;) {
		size_t have = c->rlen - c->rpos;
		ssize_t n;

		if (have >= HDR_LEN) {
			memcpy(&m->hdr, c->rbuf + c->rpos, HDR_LEN);
			if (m->hdr.len > PAYLOAD_MAX)
				die("reply announces %u bytes", m->hdr.len);
			if (have >= HDR_LEN + m->hdr.len) {
				m->body = (const char *)c->rbuf + c->rpos +
					  HDR_LEN;
				c->rpos += HDR_LEN + m->hdr.len;
				return;
			}
		}
		if (c->rpos) {
			memmove(c->rbuf, c->rbuf + c->rpos, have);
			c->rpos = 0;
			c->rlen = have;
		}
		n = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read: %s", n < 0 ? strerror(errno) :
			    "end of stream (server gone?)");
		trace_add('r', (size_t)n);
		c->rlen += (size_t)n;
	}
}

/* Send one request; the reply into @m (events before it are skipped). */
static void xs_call(struct conn *c, uint32_t type, uint32_t tx,
		    const void *payload, size_t len, struct msg *m)
{
	size_t n = conn_build(c, c->wbuf, type, tx, payload, len);
	uint32_t id = c->req_id - 1;

	if (c->ioctl) {
		struct kxs_ioc_request r = {
			.request = (uintptr_t)c->wbuf,
			.reply = (uintptr_t)c->rbuf,
			.request_len = (uint32_t)n,
			.reply_size = sizeof(c->rbuf),
		};

		/* The reply bypasses the stream: nothing may be buffered. */
		if (c->rpos != c->rlen)
			die("ioctl with unread bytes buffered");
		if (ioctl(c->fd, KXS_IOC_REQUEST, &r))
			die("KXS_IOC_REQUEST: %s", strerror(errno));
		trace_add('w', n);
		trace_add('r', r.reply_len);
		memcpy(&m->hdr, c->rbuf, HDR_LEN);
		if (r.reply_len != HDR_LEN + m->hdr.len)
			die("ioctl reply of %u bytes, header says %u",
			    r.reply_len, m->hdr.len);
		m->body = (const char *)c->rbuf + HDR_LEN;
		c->rpos = 0;
		c->rlen = 0;
	} else {
		write_all(c->fd, c->wbuf, n);
		do
			conn_recv(c, m);
		while (m->hdr.type == XS_WATCH_EVENT);
	}
	if (m->hdr.req_id != id)
		die("reply with req_id %u to request %u", m->hdr.req_id, id);
}

/* The same, failing on an error reply; @what names the request. */
static void xs_ok(struct conn *c, uint32_t type, uint32_t tx,
		  const void *payload, size_t len, struct msg *m,
		  const char *what)
{
	xs_call(c, type, tx, payload, len, m);
	if (m->hdr.type == XS_ERROR)
		die("%s: %.*s", what, (int)m->hdr.len, m->body);
	if (m->hdr.type != type)
		die("%s: reply of type %u", what, m->hdr.type);
}

/* "<path>\0<value>" into @buf; returns the length. */
static size_t path_value(char *buf, const char *path, const char *val,
			 size_t vlen)
{
	size_t plen = strlen(path) + 1;

	memcpy(buf, path, plen);
	memcpy(buf + plen, val, vlen);
	return plen + vlen;
}

static void xs_write(struct conn *c, uint32_t tx, const char *path,
		     const char *val, size_t vlen)
{
	char buf[PAYLOAD_MAX];
	struct msg m;

	xs_ok(c, XS_WRITE, tx, buf, path_value(buf, path, val, vlen), &m,
	      path);
}

static void xs_rm(struct conn *c, const char *path)
{
	struct msg m;

	xs_call(c, XS_RM, 0, path, strlen(path) + 1, &m);
	if (m.hdr.type == XS_ERROR && strncmp(m.body, "ENOENT", m.hdr.len))
		die("RM %s: %.*s", path, (int)m.hdr.len, m.body);
}

/* ---- the store's population ----------------------------------------------------- */

/* Population node k: PREFIX/n/<k / 1000>/<k % 1000>. */
static void node_path(char *buf, size_t size, long k)
{
	snprintf(buf, size, PREFIX "/n/%ld/%ld", k / DIR_FANOUT,
		 k % DIR_FANOUT);
}

static void value_of(char *buf, long k, unsigned int gen)
{
	char tmp[64];
	int n = snprintf(tmp, sizeof(tmp), "%ld.%u.", k, gen);

	for (int i = 0; i < opt_value_size; i++)
		buf[i] = i < n ? tmp[i] : 'v';
}

/*
 * Write nodes [from, to) pipelined: up to @batch requests in one write(),
 * then their replies.
 */
static void populate_range(long from, long to)
{
	static struct conn c;
	static unsigned char out[64 * 160];
	const int batch = 64;
	char path[128], pv[256], val[PAYLOAD_MAX];
	struct msg m;

	conn_open(&c, opt_path, false);
	for (long k = from; k < to;) {
		size_t len = 0;
		int n = 0;

		for (; n < batch && k < to; n++, k++) {
			node_path(path, sizeof(path), k);
			value_of(val, k, 0);
			len += conn_build(&c, out + len, XS_WRITE, 0, pv,
					  path_value(pv, path, val,
						     (size_t)opt_value_size));
		}
		write_all(c.fd, out, len);
		while (n--) {
			conn_recv(&c, &m);
			if (m.hdr.type == XS_ERROR)
				die("populate: WRITE: %.*s", (int)m.hdr.len,
				    m.body);
		}
	}
	conn_close(&c);
}

static void populate(void)
{
	struct conn c;
	char path[64], val[PAYLOAD_MAX];
	int procs = opt_populate_procs, failed = 0;
	long per;

	conn_open(&c, opt_path, false);
	xs_rm(&c, PREFIX);
	value_of(val, 0, 0);
	for (int i = 0; i < SMALL_DIR; i++) {
		snprintf(path, sizeof(path), PREFIX "/d10/%d", i);
		xs_write(&c, 0, path, val, (size_t)opt_value_size);
	}
	xs_write(&c, 0, PREFIX "/w", "", 0);
	conn_close(&c);

	if (procs < 1)
		procs = 1;
	per = (opt_nodes + procs - 1) / procs;
	fflush(NULL);
	for (int p = 0; p < procs; p++) {
		long from = p * per, to = from + per;

		if (to > opt_nodes)
			to = opt_nodes;
		if (from >= to)
			break;
		switch (fork()) {
		case -1:
			die("fork: %s", strerror(errno));
		case 0:
			populate_range(from, to);
			_exit(0);
		}
	}
	for (int st; wait(&st) > 0;)
		failed |= !WIFEXITED(st) || WEXITSTATUS(st);
	if (failed)
		die("populating the store failed");
}

/* With --reuse: the population must be there already. */
static void check_population(void)
{
	struct conn c;
	char path[128];
	struct msg m;

	conn_open(&c, opt_path, false);
	xs_ok(&c, XS_READ, 0, PREFIX "/d10/9", sizeof(PREFIX "/d10/9"), &m,
	      "--reuse: " PREFIX "/d10/9");
	if (opt_nodes) {
		node_path(path, sizeof(path), opt_nodes - 1);
		xs_ok(&c, XS_READ, 0, path, strlen(path) + 1, &m, path);
		node_path(path, sizeof(path), opt_nodes);
		xs_call(&c, XS_READ, 0, path, strlen(path) + 1, &m);
		if (m.hdr.type != XS_ERROR)
			die("--reuse: %s exists: more than --nodes %ld",
			    path, opt_nodes);
	}
	conn_close(&c);
}

/* ---- workloads ------------------------------------------------------------------ */

struct client {
	int id, n;
	uint64_t rng;
	unsigned int gen;
	struct conn *a, *b;
	int null_fd, zero_fd;
	const struct trace *floor;
	char wpath[64], wtoken[32];
};

static uint64_t next_rand(struct client *cl)
{
	/* xorshift64 */
	cl->rng ^= cl->rng << 13;
	cl->rng ^= cl->rng >> 7;
	cl->rng ^= cl->rng << 17;
	return cl->rng;
}

/* A population node, any of them (reads). */
static long any_node(struct client *cl)
{
	return (long)(next_rand(cl) % (uint64_t)opt_nodes);
}

/* A population node of this client's own share (writes never collide). */
static long own_node(struct client *cl)
{
	long share = opt_nodes / cl->n;

	return (long)(next_rand(cl) % (uint64_t)share) * cl->n + cl->id;
}

/*
 * An operation that times only its first part: the latency, and the end
 * of the trace the floor replays (what follows is not in the latency).
 */
static void lat_done(uint64_t *lat, uint64_t t0)
{
	*lat = now_ns() - t0;
	tracing = NULL;
}

struct workload {
	const char *name;
	const char *what;
	void (*setup)(struct client *cl);
	/* one operation; may set *lat to its own latency (ns) */
	void (*op)(struct client *cl, uint64_t *lat);
	bool needs_server;
};

static void op_floor(struct client *cl, uint64_t *lat)
{
	static char buf[4 * MSG_MAX];

	(void)lat;
	for (int i = 0; i < cl->floor->n; i++) {
		uint32_t n = cl->floor->call[i].bytes;
		ssize_t r;

		if (cl->floor->call[i].dir == 'w')
			r = write(cl->null_fd, buf, n);
		else
			r = read(cl->zero_fd, buf, n);
		if (r != (ssize_t)n)
			die("floor: %s of %u bytes: %zd",
			    cl->floor->call[i].dir == 'w' ? "write" : "read",
			    n, r);
	}
}

static void setup_floor(struct client *cl)
{
	cl->null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	cl->zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (cl->null_fd < 0 || cl->zero_fd < 0)
		die("/dev/null, /dev/zero: %s", strerror(errno));
}

/*
 * The operations time their requests only: the client formats paths and
 * values first, which is the client's cost, not the server's.
 */
static void op_read(struct client *cl, uint64_t *lat)
{
	char path[128];
	struct msg m;
	uint64_t t0;

	node_path(path, sizeof(path), any_node(cl));
	t0 = now_ns();
	xs_ok(cl->a, XS_READ, 0, path, strlen(path) + 1, &m, path);
	lat_done(lat, t0);
}

static void op_write(struct client *cl, uint64_t *lat)
{
	char path[128], val[PAYLOAD_MAX], buf[PAYLOAD_MAX];
	long k = own_node(cl);
	struct msg m;
	uint64_t t0;
	size_t n;

	node_path(path, sizeof(path), k);
	value_of(val, k, ++cl->gen);
	n = path_value(buf, path, val, (size_t)opt_value_size);
	t0 = now_ns();
	xs_ok(cl->a, XS_WRITE, 0, buf, n, &m, path);
	lat_done(lat, t0);
}

static void op_dir(struct client *cl, const char *path, uint32_t min_len)
{
	struct msg m;

	xs_ok(cl->a, XS_DIRECTORY, 0, path, strlen(path) + 1, &m, path);
	if (m.hdr.len < min_len)
		die("DIRECTORY %s: only %u bytes", path, m.hdr.len);
}

static void op_dir10(struct client *cl, uint64_t *lat)
{
	(void)lat;
	op_dir(cl, PREFIX "/d10", 2 * SMALL_DIR);
}

static void op_dir1000(struct client *cl, uint64_t *lat)
{
	/* the full directories: names "0" to "999", 3890 bytes */
	long dirs = opt_nodes / DIR_FANOUT;
	char path[64];
	uint64_t t0;

	snprintf(path, sizeof(path), PREFIX "/n/%ld",
		 (long)(next_rand(cl) % (uint64_t)dirs));
	t0 = now_ns();
	op_dir(cl, path, 3890);
	lat_done(lat, t0);
}

/* TRANSACTION_START, READ, WRITE, TRANSACTION_END "T" */
static void op_tx(struct client *cl, uint64_t *lat)
{
	char path[128], val[PAYLOAD_MAX], buf[PAYLOAD_MAX];
	long k = own_node(cl);
	struct msg m;
	uint64_t t0;
	uint32_t tx;
	size_t n;

	node_path(path, sizeof(path), k);
	value_of(val, k, ++cl->gen);
	n = path_value(buf, path, val, (size_t)opt_value_size);
	t0 = now_ns();
	xs_ok(cl->a, XS_TRANSACTION_START, 0, "", 1, &m, "TRANSACTION_START");
	tx = (uint32_t)strtoul(m.body, NULL, 10);
	if (!tx)
		die("TRANSACTION_START: id %.*s", (int)m.hdr.len, m.body);
	xs_ok(cl->a, XS_READ, tx, path, strlen(path) + 1, &m, path);
	xs_ok(cl->a, XS_WRITE, tx, buf, n, &m, path);
	xs_call(cl->a, XS_TRANSACTION_END, tx, "T", 2, &m);
	lat_done(lat, t0);
	if (m.hdr.type == XS_ERROR)
		die("TRANSACTION_END: %.*s", (int)m.hdr.len, m.body);
}

/*
 * TRANSACTION_START alone: its latency; the transaction is then ended
 * (TRANSACTION_END "F", counted in ops/s only).
 */
static void op_txstart(struct client *cl, uint64_t *lat)
{
	uint64_t t0 = now_ns();
	struct msg m;
	uint32_t tx;

	xs_ok(cl->a, XS_TRANSACTION_START, 0, "", 1, &m, "TRANSACTION_START");
	lat_done(lat, t0);
	tx = (uint32_t)strtoul(m.body, NULL, 10);
	if (!tx)
		die("TRANSACTION_START: id %.*s", (int)m.hdr.len, m.body);
	xs_ok(cl->a, XS_TRANSACTION_END, tx, "F", 2, &m, "TRANSACTION_END F");
}

static void setup_watch(struct client *cl)
{
	struct msg m;
	char buf[128];
	size_t len;

	snprintf(cl->wpath, sizeof(cl->wpath), PREFIX "/w/%d", cl->id);
	snprintf(cl->wtoken, sizeof(cl->wtoken), "t%d", cl->id);
	xs_write(cl->a, 0, cl->wpath, "", 0);
	len = path_value(buf, cl->wpath, cl->wtoken, strlen(cl->wtoken) + 1);
	xs_ok(cl->b, XS_WATCH, 0, buf, len, &m, "WATCH");
	conn_recv(cl->b, &m);	/* the initial event */
	if (m.hdr.type != XS_WATCH_EVENT)
		die("WATCH: no initial event (type %u)", m.hdr.type);
}

/*
 * WRITE below the watched path on one connection, the event read on the
 * other: the latency is from sending the request to having the event.
 * The write's reply is read afterwards (its cost counts in ops/s only).
 */
static void op_watch(struct client *cl, uint64_t *lat)
{
	char path[96], val[PAYLOAD_MAX], buf[PAYLOAD_MAX];
	struct conn *a = cl->a;
	struct msg m;
	uint64_t t0;
	size_t n;

	snprintf(path, sizeof(path), "%s/x", cl->wpath);
	value_of(val, cl->id, ++cl->gen);
	n = path_value(buf, path, val, (size_t)opt_value_size);
	t0 = now_ns();
	if (a->ioctl) {
		xs_ok(a, XS_WRITE, 0, buf, n, &m, path);
	} else {
		n = conn_build(a, a->wbuf, XS_WRITE, 0, buf, n);
		write_all(a->fd, a->wbuf, n);
	}
	conn_recv(cl->b, &m);
	lat_done(lat, t0);
	if (m.hdr.type != XS_WATCH_EVENT || strcmp(m.body, path))
		die("watch: expected the event for %s (type %u)", path,
		    m.hdr.type);
	if (!a->ioctl) {
		conn_recv(a, &m);
		if (m.hdr.type != XS_WRITE)
			die("WRITE %s: reply of type %u", path, m.hdr.type);
	}
}

static const struct workload workloads[] = {
	{ "floor", "write()+read() of a read's sizes on /dev/null, /dev/zero",
	  setup_floor, op_floor, false },
	{ "read", "READ of a random node", NULL, op_read, true },
	{ "write", "WRITE of a random existing node (own share per client)",
	  NULL, op_write, true },
	{ "dir10", "DIRECTORY of a node with 10 children", NULL, op_dir10,
	  true },
	{ "dir1000", "DIRECTORY of a node with 1000 children", NULL,
	  op_dir1000, true },
	{ "tx", "TRANSACTION_START, READ, WRITE, TRANSACTION_END (commit)",
	  NULL, op_tx, true },
	{ "txstart", "TRANSACTION_START (latency), then TRANSACTION_END abort",
	  NULL, op_txstart, true },
	{ "watch", "WRITE on one connection until its event is read on another",
	  setup_watch, op_watch, true },
};

static const struct workload *find_workload(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(workloads); i++)
		if (!strcmp(workloads[i].name, name))
			return &workloads[i];
	return NULL;
}

/* ---- running N clients ------------------------------------------------------------ */

struct slot {
	uint64_t ops;		/* the workload's operations */
	uint64_t fops;		/* the floor's */
	uint64_t op_wall_ns;	/* wall time of the workload's phases */
	uint64_t elapsed_ns;	/* and of all phases */
};

struct shared {
	struct trace trace;	/* one operation of client 0, for the floor */
	uint64_t start;		/* now_ns() when the clients begin */
	struct slot slot[MAX_CLIENTS];
	/* per client: opt_max_samples latencies, then as many floor ones */
	uint32_t lat[];
};

struct result {
	uint64_t ops;
	double ops_s;
	double p50_us, p99_us;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least q of them at or below. */
static double percentile_us(const uint32_t *v, uint64_t n, double q)
{
	uint64_t rank;

	if (!n)
		return 0;
	rank = (uint64_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1] / 1000.0;
}

/*
 * The workload and its floor take turns in phases of opt_segment_ms, on
 * the same schedule in every client: two phases of the workload, then
 * one of the floor.  So both see the same machine: a host that is busy
 * for a while slows both, not one of them.
 */
static uint64_t segment_ns(void)
{
	return (uint64_t)opt_segment_ms * 1000000ull;
}

static bool floor_phase(uint64_t since_start)
{
	return since_start / segment_ns() % 3 == 2;
}

/* Wall time of the workload's phases in the first @elapsed ns. */
static uint64_t op_wall(uint64_t elapsed)
{
	uint64_t seg = segment_ns(), rem = elapsed % (3 * seg);

	return elapsed / (3 * seg) * 2 * seg + (rem < 2 * seg ? rem : 2 * seg);
}

static uint32_t clamp_u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void client_main(struct shared *sh, int id, int n,
			const struct workload *w, const struct trace *floor,
			bool paired, double duration, int ready_fd, int go_fd)
{
	uint32_t *lat = sh->lat + (size_t)id * 2 * (size_t)opt_max_samples;
	uint32_t *flat = lat + opt_max_samples;
	uint64_t max = (uint64_t)opt_max_samples, nops = 0, nf = 0;
	struct slot *s = &sh->slot[id];
	struct client cl = {
		.id = id, .n = n, .floor = floor,
		.rng = 0x9e3779b97f4a7c15ull * (uint64_t)(id + 1) ^
		       (uint64_t)getpid(),
	};
	static struct conn a, b;
	struct trace trace;
	uint64_t start, t0, t1, deadline;
	char c = 'R';

	setup_floor(&cl);
	if (w->needs_server) {
		conn_open(&a, opt_path, cur_ioctl);
		conn_open(&b, opt_path, cur_ioctl);
		cl.a = &a;
		cl.b = &b;
	}
	if (w->setup && w->setup != setup_floor)
		w->setup(&cl);
	/* A few operations first, untimed; client 0 traces one. */
	for (int i = 0; i < 20; i++) {
		uint64_t l = 0;

		if (id == 0 && i == 19) {
			memset(&sh->trace, 0, sizeof(sh->trace));
			tracing = &sh->trace;
		}
		w->op(&cl, &l);
		tracing = NULL;
	}
	if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
		_exit(3);
	/* After the barrier: client 0's trace is there. */
	if (paired) {
		trace = sh->trace;
		cl.floor = &trace;
		if (!trace.n)
			die("%s: no system calls to replay", w->name);
	}
	start = sh->start;
	while (now_ns() < start)
		;
	deadline = start + (uint64_t)(duration * 1e9);

	if (opt_ops) {
		/* --ops: the workload's operations, then as many of the floor */
		for (t1 = start; nops < (uint64_t)opt_ops; nops++) {
			uint64_t l = 0;

			t0 = now_ns();
			w->op(&cl, &l);
			t1 = now_ns();
			lat[nops] = clamp_u32(l ? l : t1 - t0);
		}
		s->op_wall_ns = t1 - start;
		for (; paired && nf < (uint64_t)opt_ops; nf++) {
			t0 = now_ns();
			op_floor(&cl, NULL);
			t1 = now_ns();
			flat[nf] = clamp_u32(t1 - t0);
		}
		s->elapsed_ns = t1 - start;
	} else {
		for (;;) {
			uint64_t l = 0;

			t0 = now_ns();
			if (t0 >= deadline || nops == max || nf == max)
				break;
			if (paired && floor_phase(t0 - start)) {
				op_floor(&cl, NULL);
				flat[nf++] = clamp_u32(now_ns() - t0);
				continue;
			}
			w->op(&cl, &l);
			t1 = now_ns();
			lat[nops++] = clamp_u32(l ? l : t1 - t0);
		}
		s->op_wall_ns = paired ? op_wall(t0 - start) : t0 - start;
		s->elapsed_ns = t0 - start;
	}
	s->ops = nops;
	s->fops = nf;
	_exit(0);
}

/* Merge @n clients' samples of one kind (@floor: the floor's). */
static void merge(struct shared *sh, int n, bool floor, struct result *r)
{
	uint64_t k = 0, max_wall = 0;
	uint32_t *all;

	all = malloc(sizeof(*all) * (size_t)n * (size_t)opt_max_samples);
	if (!all)
		die("out of memory");
	r->ops = 0;
	for (int i = 0; i < n; i++) {
		struct slot *s = &sh->slot[i];
		uint64_t cnt = floor ? s->fops : s->ops;
		uint32_t *lat = sh->lat + (size_t)i * 2 * (size_t)opt_max_samples;

		memcpy(all + k, lat + (floor ? opt_max_samples : 0),
		       cnt * sizeof(uint32_t));
		uint64_t wall = floor ? s->elapsed_ns - s->op_wall_ns :
				 s->op_wall_ns;

		k += cnt;
		r->ops += cnt;
		if (wall > max_wall)
			max_wall = wall;
	}
	qsort(all, k, sizeof(*all), cmp_u32);
	r->ops_s = max_wall ? (double)r->ops * 1e9 / (double)max_wall : 0;
	r->p50_us = percentile_us(all, k, 0.50);
	r->p99_us = percentile_us(all, k, 0.99);
	free(all);
}

/*
 * Run @w with @n clients for @duration seconds (or opt_ops operations
 * each) into @r; @floor is the trace op_floor() replays for the floor
 * workload itself.  @paired: the floor of the workload's own system
 * calls runs in turns with it, into @fr.
 */
static void run(const struct workload *w, int n, const struct trace *floor,
		bool paired, double duration, struct result *r,
		struct result *fr)
{
	size_t size = sizeof(struct shared) +
		      (size_t)n * 2 * (size_t)opt_max_samples * sizeof(uint32_t);
	int ready[2], go[2], started = 0, failed = 0;
	pid_t pids[MAX_CLIENTS];
	struct shared *sh;
	char c;

	sh = mmap(NULL, size, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap of %zu bytes: %s", size, strerror(errno));
	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %s", strerror(errno));
		if (!pids[i]) {
			close(ready[0]);
			close(go[1]);
			client_main(sh, i, n, w, floor, paired, duration,
				    ready[1], go[0]);
		}
	}
	close(ready[1]);
	close(go[0]);
	/* The barrier: every client ready (or gone), then all go at once. */
	while (started < n) {
		ssize_t got = read(ready[0], &c, 1);

		if (got == 1) {
			started++;
			continue;
		}
		if (got < 0 && errno == EINTR)
			continue;
		break;	/* every client exited */
	}
	if (started == n) {
		char go_bytes[MAX_CLIENTS];

		/* A common start a little ahead, for the phases' schedule. */
		sh->start = now_ns() + 2000000;
		memset(go_bytes, 'G', sizeof(go_bytes));
		if (write(go[1], go_bytes, (size_t)n) != n)
			die("barrier: %s", strerror(errno));
	}
	close(go[1]);
	close(ready[0]);
	for (int i = 0; i < n; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			failed = 1;
	}
	if (failed || started < n)
		die("workload %s with %d clients: a client failed", w->name,
		    n);
	merge(sh, n, false, r);
	if (paired)
		merge(sh, n, true, fr);
	munmap(sh, size);
}

/* ---- output ------------------------------------------------------------------------ */

static void print_header(void)
{
	if (opt_no_header)
		return;
	if (opt_csv)
		printf("server,access,workload,clients,nodes,ops,ops_per_s,"
		       "p50_us,p99_us,floor_p50_us,x_floor,floor_ops_per_s\n");
	else
		printf("%-10s %-6s %-8s %7s %7s %8s %10s %9s %9s %9s %7s %10s\n",
		       "server", "access", "workload", "clients", "nodes",
		       "ops", "ops/s", "p50_us", "p99_us", "floor_us",
		       "x_floor", "floor_op/s");
}

static void print_row(const char *wl, const char *access, int clients,
		      const struct result *r, const struct result *fr)
{
	const char *server = opt_label ? opt_label : "-";
	double x = fr->p50_us > 0 ? r->p50_us / fr->p50_us : 0;

	if (opt_csv)
		printf("%s,%s,%s,%d,%ld,%" PRIu64
		       ",%.0f,%.2f,%.2f,%.2f,%.2f,%.0f\n",
		       server, access, wl, clients, opt_nodes, r->ops,
		       r->ops_s, r->p50_us, r->p99_us, fr->p50_us, x,
		       fr->ops_s);
	else
		printf("%-10s %-6s %-8s %7d %7ld %8" PRIu64
		       " %10.0f %9.1f %9.1f %9.1f %7.1f %10.0f\n",
		       server, access, wl, clients, opt_nodes, r->ops,
		       r->ops_s, r->p50_us, r->p99_us, fr->p50_us, x,
		       fr->ops_s);
	fflush(stdout);
}

/* One cell of the matrix: its figures in every round. */
#define MAX_ROUNDS 15
struct cell {
	uint64_t ops;
	double ops_s[MAX_ROUNDS], p50[MAX_ROUNDS], p99[MAX_ROUNDS];
	double floor_p50[MAX_ROUNDS], floor_ops_s[MAX_ROUNDS];
	int rounds;
};

/* A round of @w with @n clients, and of its floor, into @c. */
static void measure(const struct workload *w, int n, struct cell *c,
		    int round)
{
	struct result r, fr;
	struct trace ft = { 0 };

	if (!w->needs_server) {
		/* the floor alone: the calls of a READ of a population node */
		ft.n = 2;
		ft.call[0].dir = 'w';
		ft.call[0].bytes = HDR_LEN + sizeof(PREFIX "/n/0/123");
		ft.call[1].dir = 'r';
		ft.call[1].bytes = HDR_LEN + (uint32_t)opt_value_size;
		run(w, n, &ft, false, opt_duration, &r, NULL);
		fr = r;
	} else {
		run(w, n, NULL, true, opt_duration, &r, &fr);
	}
	c->ops += r.ops;
	c->ops_s[round] = r.ops_s;
	c->p50[round] = r.p50_us;
	c->p99[round] = r.p99_us;
	c->floor_p50[round] = fr.p50_us;
	c->floor_ops_s[round] = fr.ops_s;
	c->rounds = round + 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n values (the lower one of the middle two). */
static double median(const double *v, int n)
{
	double tmp[MAX_ROUNDS];

	memcpy(tmp, v, sizeof(*v) * (size_t)n);
	qsort(tmp, (size_t)n, sizeof(*tmp), cmp_double);
	return tmp[(n - 1) / 2];
}

/* A cell's figures over its rounds into @r and its floor's into @fr. */
static void cell_result(const struct cell *c, struct result *r,
			struct result *fr)
{
	r->ops = c->ops;
	r->ops_s = median(c->ops_s, c->rounds);
	r->p50_us = median(c->p50, c->rounds);
	r->p99_us = median(c->p99, c->rounds);
	fr->ops_s = median(c->floor_ops_s, c->rounds);
	fr->p50_us = median(c->floor_p50, c->rounds);
}

/* ---- main ---------------------------------------------------------------------------- */

static void usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f,
"usage: kxs-bench [OPTIONS]\n"
"\n"
"Measure a xenstore endpoint: ops/s, p50 and p99 latency per workload and\n"
"number of clients, each next to its floor (the same write()/read() calls\n"
"and byte counts on /dev/null and /dev/zero, measured in the same run).\n"
"\n"
"  --path P          device or Unix socket (default $XENSTORED_PATH, else\n"
"                    /dev/xen/xenbus); a socket is connected to\n"
"  --access LIST     rw (write() and read(); default), ioctl (each request\n"
"                    with KXS_IOC_REQUEST, a device only) or rw,ioctl\n"
"  --ioctl           the same as --access ioctl\n"
"  --workload LIST   comma-separated workloads (default read), or all:\n");
	for (size_t i = 0; i < ARRAY_SIZE(workloads); i++)
		fprintf(f, "                      %-8s %s\n", workloads[i].name,
			workloads[i].what);
	fprintf(f,
"  --clients LIST    comma-separated client process counts (default 1)\n"
"  --duration SECS   measuring time of each cell (default 1)\n"
"  --rounds N        measure the whole matrix N times (default 1, at most\n"
"                    15); each figure is the median of its rounds\n"
"  --ops N           N operations per client instead of a duration\n"
"  --nodes N         populate N nodes, " PREFIX "/n/<i/1000>/<i%%1000>, first\n"
"                    (default 0; read, write, tx, dir1000 need N >= 1000)\n"
"  --keep            leave " PREFIX " in the store at the end\n"
"  --reuse           use the population a --keep run left (same --nodes)\n"
"  --populate-procs N  processes that populate (default 2)\n"
"  --value-size N    bytes of every value written (default 16)\n"
"  --segment-ms N    the workload and its floor take turns: two phases of\n"
"                    N ms (default 20) of the workload, one of the floor\n"
"  --label NAME      the server column (default -)\n"
"  --clock C         auto (TSC where it can be read, else monotonic),\n"
"                    tsc or mono\n"
"  --max-samples N   latencies kept per client (default 1048576)\n"
"  --csv             CSV instead of a table\n"
"\n"
"  kxs-bench --checkpoint-save FILE     read /sys/module/kxenstore/checkpoint\n"
"                                      (timed) into FILE\n"
"  kxs-bench --checkpoint-restore FILE write FILE to it (timed); both print\n"
"                                      \"<microseconds> <bytes>\"\n"
"  kxs-bench --deep-commit DEPTH [PATH] one transaction rewriting a chain of\n"
"                                      DEPTH nodes: prints \"<commit us>\n"
"                                      <commit section us>\"\n"
"  --no-header       no header line\n"
"  -h, --help        this text\n"
"\n"
"Columns: ops (all clients, all rounds), ops/s (all clients, over the\n"
"workload's phases), p50_us and p99_us (the merged latencies of every\n"
"client), floor_us (p50 of the floor run in turns with the workload by\n"
"the same clients), x_floor (p50_us / floor_us), floor_op/s (the\n"
"floor's ops/s over its phases: what the machine allowed meanwhile); with\n"
"--rounds, each the median of its rounds.  A benchmark: it never fails on\n"
"a figure, only when the server misbehaves.\n");
	exit(status);
}

static long parse_long(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die("%s %s: want a number from %ld to %ld", opt, s, min, max);
	return v;
}

static double parse_secs(const char *opt, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v > 0) || v > 3600)
		die("%s %s: want seconds (0 < s <= 3600)", opt, s);
	return v;
}

/* ---- checkpoint and restore through the sysfs file ----------------------------- */

#define CHECKPOINT_FILE	"/sys/module/kxenstore/checkpoint"

/*
 * kxs-bench --checkpoint-save OUT: read the whole checkpoint (timed) and
 * save it to OUT; kxs-bench --checkpoint-restore IN: write IN to the
 * checkpoint file (timed).  Prints "<microseconds> <bytes>".
 */
static int checkpoint_mode(const char *mode, const char *file)
{
	size_t len = 0, size = 1 << 20;
	char *buf = malloc(size);
	uint64_t t0, t1;
	ssize_t n;
	int fd;

	if (!buf)
		die("out of memory");
	if (!strcmp(mode, "--checkpoint-save")) {
		fd = open(CHECKPOINT_FILE, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("%s: %s", CHECKPOINT_FILE, strerror(errno));
		t0 = mono_ns();
		while ((n = read(fd, buf + len, size - len)) > 0) {
			len += (size_t)n;
			if (len == size) {
				size *= 2;
				buf = realloc(buf, size);
				if (!buf)
					die("out of memory");
			}
		}
		t1 = mono_ns();
		if (n < 0)
			die("read %s: %s", CHECKPOINT_FILE, strerror(errno));
		close(fd);
		fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
			die("%s: %s", file, strerror(errno));
		close(fd);
	} else {
		struct stat st;

		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st))
			die("%s: %s", file, strerror(errno));
		len = (size_t)st.st_size;
		buf = realloc(buf, len + 1);
		if (!buf || read(fd, buf, len) != (ssize_t)len)
			die("%s: %s", file, strerror(errno));
		close(fd);
		fd = open(CHECKPOINT_FILE, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			die("%s: %s", CHECKPOINT_FILE, strerror(errno));
		t0 = mono_ns();
		for (size_t off = 0; off < len; off += (size_t)n) {
			n = write(fd, buf + off, len - off);
			if (n <= 0)
				die("restore at byte %zu of %zu: %s", off, len,
				    strerror(errno));
		}
		t1 = mono_ns();
		close(fd);
	}
	printf("%llu %zu\n", (unsigned long long)((t1 - t0) / 1000), len);
	free(buf);
	return 0;
}

/* ---- a transaction that rewrites a deep chain ---------------------------------- */

#define COMMIT_MAX_FILE	"/sys/module/kxenstore/parameters/commit_max_ns"

static void commit_max_reset(void)
{
	int fd = open(COMMIT_MAX_FILE, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "0", 1) != 1)
		die("%s: %s", COMMIT_MAX_FILE, strerror(errno));
	close(fd);
}

static unsigned long long commit_max_read(void)
{
	char buf[32] = "";
	int fd = open(COMMIT_MAX_FILE, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		die("%s: %s", COMMIT_MAX_FILE, strerror(errno));
	close(fd);
	return strtoull(buf, NULL, 10);
}

/*
 * kxs-bench --deep-commit DEPTH [PATH]: a chain PREFIX/deep/a/a/... of
 * DEPTH nodes, then one transaction that writes every one of them and
 * commits.  Prints "<commit microseconds> <commit section microseconds>":
 * the TRANSACTION_END round trip, and the longest the module kept
 * preemption off for it (commit_max_ns, reset before).
 */
static int deep_commit_mode(const char *depth_arg, const char *path)
{
	long depth = parse_long("--deep-commit", depth_arg, 1, 1500);
	static char p[PAYLOAD_MAX];
	size_t len = strlen(PREFIX "/deep");
	unsigned long long section;
	struct conn c;
	struct msg m;
	uint64_t t0, t1;
	uint32_t tx;
	long i;

	conn_open(&c, path, false);
	memcpy(p, PREFIX "/deep", len + 1);
	for (i = 0; i < depth; i++) {
		if (len + 3 > 3072)
			die("--deep-commit %ld: the path is too long", depth);
		memcpy(p + len, "/a", 3);
		len += 2;
	}
	xs_write(&c, 0, p, "", 0);
	xs_ok(&c, XS_TRANSACTION_START, 0, "", 1, &m, "TRANSACTION_START");
	tx = (uint32_t)strtoul(m.body, NULL, 10);
	for (i = depth; i > 0; i--) {
		p[strlen(PREFIX "/deep") + 2 * i] = '\0';
		xs_write(&c, tx, p, "v", 1);
		p[strlen(PREFIX "/deep") + 2 * i] = i < depth ? '/' : '\0';
	}
	commit_max_reset();
	t0 = mono_ns();
	xs_ok(&c, XS_TRANSACTION_END, tx, "T", 2, &m, "TRANSACTION_END");
	t1 = mono_ns();
	section = commit_max_read();
	xs_rm(&c, PREFIX "/deep");
	conn_close(&c);
	printf("%llu %llu\n", (unsigned long long)((t1 - t0) / 1000),
	       section / 1000);
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_IOCTL = 256, OPT_WL, OPT_CLIENTS, OPT_DURATION, OPT_OPS, OPT_NODES,
	       OPT_KEEP, OPT_REUSE, OPT_PPROCS, OPT_VSIZE, OPT_SEG, OPT_LABEL, OPT_CLOCK,
	       OPT_MAXS, OPT_CSV, OPT_NOHDR, OPT_PATH, OPT_ACCESS,
	       OPT_ROUNDS };
	static const struct option longopts[] = {
		{ "path", required_argument, NULL, OPT_PATH },
		{ "ioctl", no_argument, NULL, OPT_IOCTL },
		{ "access", required_argument, NULL, OPT_ACCESS },
		{ "rounds", required_argument, NULL, OPT_ROUNDS },
		{ "workload", required_argument, NULL, OPT_WL },
		{ "clients", required_argument, NULL, OPT_CLIENTS },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "ops", required_argument, NULL, OPT_OPS },
		{ "nodes", required_argument, NULL, OPT_NODES },
		{ "keep", no_argument, NULL, OPT_KEEP },
		{ "reuse", no_argument, NULL, OPT_REUSE },
		{ "populate-procs", required_argument, NULL, OPT_PPROCS },
		{ "value-size", required_argument, NULL, OPT_VSIZE },
		{ "segment-ms", required_argument, NULL, OPT_SEG },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "clock", required_argument, NULL, OPT_CLOCK },
		{ "max-samples", required_argument, NULL, OPT_MAXS },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "no-header", no_argument, NULL, OPT_NOHDR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	if (argc == 3 && (!strcmp(argv[1], "--checkpoint-save") ||
			  !strcmp(argv[1], "--checkpoint-restore")))
		return checkpoint_mode(argv[1], argv[2]);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "--deep-commit"))
		return deep_commit_mode(argv[2], argc == 4 ? argv[3] :
					getenv("XENSTORED_PATH") ?:
					"/dev/xen/xenbus");
	const struct workload *wl[32];
	int clients[16], nwl = 0, ncl = 0, nac = 0, opt;
	bool ioctl_access[2];
	struct cell *cells;
	bool server = false;
	char *list, *tok, *save;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_PATH:
			opt_path = optarg;
			break;
		case OPT_IOCTL:
			opt_access = "ioctl";
			break;
		case OPT_ACCESS:
			opt_access = optarg;
			break;
		case OPT_ROUNDS:
			opt_rounds = (int)parse_long("--rounds", optarg, 1,
						     MAX_ROUNDS);
			break;
		case OPT_WL:
			opt_workloads = optarg;
			break;
		case OPT_CLIENTS:
			opt_clients = optarg;
			break;
		case OPT_DURATION:
			opt_duration = parse_secs("--duration", optarg);
			break;
		case OPT_OPS:
			opt_ops = parse_long("--ops", optarg, 1, 1L << 30);
			break;
		case OPT_NODES:
			opt_nodes = parse_long("--nodes", optarg, 0, 10000000);
			break;
		case OPT_KEEP:
			opt_keep = true;
			break;
		case OPT_REUSE:
			opt_reuse = true;
			break;
		case OPT_PPROCS:
			opt_populate_procs = (int)parse_long("--populate-procs",
							     optarg, 1, 64);
			break;
		case OPT_VSIZE:
			opt_value_size = (int)parse_long("--value-size", optarg,
							 0, 2048);
			break;
		case OPT_SEG:
			opt_segment_ms = (int)parse_long("--segment-ms", optarg,
							 1, 10000);
			break;
		case OPT_LABEL:
			opt_label = optarg;
			break;
		case OPT_CLOCK:
			opt_clock = optarg;
			break;
		case OPT_MAXS:
			opt_max_samples = parse_long("--max-samples", optarg,
						     1000, 1L << 26);
			break;
		case OPT_CSV:
			opt_csv = true;
			break;
		case OPT_NOHDR:
			opt_no_header = true;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind < argc)
		die("unexpected argument %s (--help for usage)", argv[optind]);
	if (!opt_path) {
		opt_path = getenv("XENSTORED_PATH");
		if (!opt_path || !*opt_path)
			opt_path = "/dev/xen/xenbus";
	}
	if (opt_ops && opt_ops > opt_max_samples)
		opt_max_samples = opt_ops;

	list = strdup(!strcmp(opt_workloads, "all") ?
		      "floor,read,write,dir10,dir1000,tx,txstart,watch" :
		      opt_workloads);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (nwl == (int)ARRAY_SIZE(wl))
			die("--workload: too many");
		wl[nwl] = find_workload(tok);
		if (!wl[nwl])
			die("--workload %s: unknown (--help lists them)", tok);
		server |= wl[nwl]->needs_server;
		if (wl[nwl]->needs_server && strcmp(tok, "dir10") &&
		    strcmp(tok, "watch") && strcmp(tok, "txstart") &&
		    opt_nodes < DIR_FANOUT)
			die("--workload %s needs --nodes %d or more", tok,
			    DIR_FANOUT);
		nwl++;
	}
	list = strdup(opt_clients);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (ncl == (int)ARRAY_SIZE(clients))
			die("--clients: too many");
		clients[ncl++] = (int)parse_long("--clients", tok, 1,
						 MAX_CLIENTS);
	}
	list = strdup(opt_access);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (nac == 2)
			die("--access: rw, ioctl or both");
		if (!strcmp(tok, "rw"))
			ioctl_access[nac++] = false;
		else if (!strcmp(tok, "ioctl"))
			ioctl_access[nac++] = true;
		else
			die("--access %s: want rw, ioctl or rw,ioctl", tok);
	}
	if (!nwl || !ncl || !nac)
		die("nothing to run");
	if (server && (ioctl_access[0] || (nac > 1 && ioctl_access[1]))) {
		struct stat st;

		if (!stat(opt_path, &st) && S_ISSOCK(st.st_mode))
			die("--access ioctl: %s is a socket, not a device",
			    opt_path);
	}

	signal(SIGPIPE, SIG_IGN);
	clock_init();
	if (server) {
		uint64_t t = mono_ns();

		if (opt_reuse) {
			check_population();
		} else {
			populate();
			fprintf(stderr, "%s: populated %ld nodes in %.1f s\n",
				me, opt_nodes, (double)(mono_ns() - t) / 1e9);
		}
	}

	cells = calloc((size_t)(nac * nwl * ncl), sizeof(*cells));
	if (!cells)
		die("out of memory");
	for (int round = 0; round < opt_rounds; round++) {
		int k = 0;

		if (opt_rounds > 1)
			fprintf(stderr, "%s: round %d of %d\n", me, round + 1,
				opt_rounds);
		for (int a = 0; a < nac; a++) {
			cur_ioctl = ioctl_access[a];
			for (int i = 0; i < nwl; i++) {
				for (int j = 0; j < ncl; j++, k++) {
					/* the floor once, not per access */
					if (!wl[i]->needs_server && a)
						continue;
					measure(wl[i], clients[j],
						&cells[k], round);
				}
			}
		}
	}
	print_header();
	for (int a = 0, k = 0; a < nac; a++) {
		for (int i = 0; i < nwl; i++) {
			for (int j = 0; j < ncl; j++, k++) {
				struct result r, fr;

				if (!wl[i]->needs_server && a)
					continue;
				cell_result(&cells[k], &r, &fr);
				print_row(wl[i]->name, !wl[i]->needs_server ?
					  "-" : ioctl_access[a] ? "ioctl" :
					  "rw", clients[j], &r, &fr);
			}
		}
	}

	if (server && !opt_keep) {
		struct conn c;

		conn_open(&c, opt_path, false);
		xs_rm(&c, PREFIX);
		conn_close(&c);
	}
	return 0;
}
