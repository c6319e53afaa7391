// SPDX-License-Identifier: GPL-2.0
/*
 * oxenstored's live-update property through the real sysfs file: random
 * requests from several connections (the control domain and two guest
 * domains, with transactions and watches) run twice from the same start,
 * the second time with a checkpoint read from
 * /sys/module/kxenstore/checkpoint and written back between random
 * requests.  Every reply and every event must be the same.
 *
 * Transaction ids come from one counter for the whole store, so they are
 * compared by order of appearance.  Seeds: $KXS_PROP_SEEDS (default
 * "1 2 3"); a failure names the seed and the first request that differs.
 *
 * And a live update by hand: a checkpoint taken while a guest has open
 * transactions and watches, restored into a freshly loaded module
 * ($KXS_MODULE), gives them back to the guest's next connection; and
 * transactions holding the deepest paths there are survive a round trip.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xstest.h"

#define CKPT	"/sys/module/kxenstore/checkpoint"
#define NCONN	4
#define NOPS	200
#define G1	101
#define G2	102

static const char *const paths[] = {
	"data", "data/a", "data/a/b", "data/c", "/local/domain/101/data/a",
	"/local/domain/102/data", "/kxs-prop", "/kxs-prop/x", "/kxs-prop/x/y",
	"@releaseDomain",
};

struct transcript {
	char *buf;
	size_t len, size;
	size_t op_end[NOPS];
	uint32_t ids[64];	/* transaction ids, in order of appearance */
	unsigned int nids;
};

static void put(struct transcript *t, const void *p, size_t n)
{
	if (t->len + n > t->size) {
		t->size = 2 * (t->len + n);
		t->buf = realloc(t->buf, t->size);
		CHECK(t->buf, "out of memory");
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

/* A transaction id as its order of appearance in this run. */
static uint32_t tx_ord(struct transcript *t, uint32_t id)
{
	unsigned int i;

	if (!id)
		return 0;
	for (i = 0; i < t->nids; i++)
		if (t->ids[i] == id)
			return i + 1;
	CHECK(t->nids < 64, "too many transactions");
	t->ids[t->nids++] = id;
	return t->nids;
}

/* Everything queued on @fd, transaction ids made ordinal. */
static void drain(struct transcript *t, int fd, int idx, uint32_t *new_tx)
{
	char mark = 'A' + idx;

	put(t, &mark, 1);
	for (;;) {
		struct xsd_sockmsg h;
		char payload[XENSTORE_PAYLOAD_MAX + 1];
		ssize_t n = read(fd, &h, sizeof(h));

		if (n < 0 && errno == EAGAIN)
			return;
		CHECK(n == sizeof(h), "read header: %zd", n);
		xst_read_exact(fd, payload, h.len, 5000);
		payload[h.len] = '\0';
		h.req_id = 0;
		h.tx_id = tx_ord(t, h.tx_id);
		if (h.type == XS_TRANSACTION_START) {
			uint32_t id = strtoul(payload, NULL, 10);

			*new_tx = id;
			h.len = snprintf(payload, sizeof(payload), "T%u",
					 tx_ord(t, id)) + 1;
		}
		put(t, &h, sizeof(h));
		put(t, payload, h.len);
	}
}

/* The whole checkpoint file; its length in *@len. */
static char *read_checkpoint(size_t *len)
{
	size_t size = 1 << 20;
	char *buf = malloc(size);
	ssize_t n;
	int fd;

	CHECK(buf, "out of memory");
	*len = 0;
	fd = open(CKPT, O_RDONLY);
	CHECK(fd >= 0, "open %s: %m", CKPT);
	while ((n = read(fd, buf + *len, size - *len)) > 0) {
		*len += n;
		if (*len == size) {
			size *= 2;
			buf = realloc(buf, size);
			CHECK(buf, "out of memory");
		}
	}
	CHECK(n == 0, "read %s: %m", CKPT);
	close(fd);
	return buf;
}

static void write_checkpoint(const char *buf, size_t len)
{
	size_t off;
	ssize_t n;
	int fd;

	fd = open(CKPT, O_WRONLY);
	CHECK(fd >= 0, "open %s for writing: %m", CKPT);
	for (off = 0; off < len; off += n) {
		n = write(fd, buf + off, len - off);
		CHECK(n > 0, "restore at byte %zu of %zu: %m", off, len);
	}
	close(fd);
}

/* Checkpoint, restore it, and check that the store is the same bytes. */
static void restore_via_sysfs(void)
{
	size_t len, len2, i;
	char *buf = read_checkpoint(&len), *again;

	write_checkpoint(buf, len);
	again = read_checkpoint(&len2);
	for (i = 0; i < len && i < len2 && buf[i] == again[i]; i++)
		;
	CHECK(len == len2 && i == len,
	      "the restore changed the store: %zu and %zu bytes, first difference at %zu",
	      len, len2, i);
	free(again);
	free(buf);
}

static void setup(int d0)
{
	/* The control domain's relative paths are below /local/domain/0. */
	static const char *const tops[] = {
		"/kxs-prop", "/local/domain/0", "/local/domain/101",
		"/local/domain/102",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tops); i++) {
		struct xst_msg m;

		xst_call(d0, XS_RM, 0, tops[i], strlen(tops[i]) + 1, &m);
	}
	/* Its permissions outlive a run: back to the default. */
	xst_rpc(d0, XS_SET_PERMS, "@releaseDomain\0n0", 18, XS_SET_PERMS, "OK",
		3);
	xst_mkdir(d0, "/kxs-prop");
	xst_mkdir(d0, "/local/domain/101/data");
	xst_rpc(d0, XS_SET_PERMS, "/local/domain/101\0b101", 23, XS_SET_PERMS,
		"OK", 3);
	xst_rpc(d0, XS_SET_PERMS, "/local/domain/101/data\0b101", 28,
		XS_SET_PERMS, "OK", 3);
	xst_mkdir(d0, "/local/domain/102");
	xst_rpc(d0, XS_SET_PERMS, "/local/domain/102\0b102", 23, XS_SET_PERMS,
		"OK", 3);
}

static void run(unsigned int seed, bool restore, struct transcript *t)
{
	uint32_t txs[NCONN][4] = { };
	unsigned int rs = seed ^ 0x5a5a;
	int fd[NCONN], i, op;

	fd[0] = xst_open(0);
	setup(fd[0]);
	fd[1] = xst_open_domain(G1);
	fd[2] = xst_open_domain(G2);
	fd[3] = xst_open_domain(G1);
	for (i = 0; i < NCONN; i++)
		fcntl(fd[i], F_SETFL, O_NONBLOCK);
	srandom(seed);
	for (op = 0; op < NOPS; op++) {
		int ci = random() % NCONN;
		const char *path = paths[random() % 10];
		uint32_t tx = 0, kind = random() % 12, new_tx = 0;
		char req[256];
		size_t len;
		uint32_t type;

		if (random() % 3 == 0)
			tx = txs[ci][random() % 4];
		if (restore && rand_r(&rs) % 6 == 0) {
			if (getenv("KXS_PROP_TRACE"))
				printf("# B restore\n");
			restore_via_sysfs();
		}
		switch (kind) {
		case 0: case 1: case 2:
			type = XS_WRITE;
			len = snprintf(req, sizeof(req), "%s%cv%d", path, 0,
				       op);
			break;
		case 3:
			type = XS_READ;
			len = strlen(path) + 1;
			memcpy(req, path, len);
			break;
		case 4:
			type = XS_DIRECTORY;
			len = strlen(path) + 1;
			memcpy(req, path, len);
			break;
		case 5:
			type = XS_RM;
			len = strlen(path) + 1;
			memcpy(req, path, len);
			break;
		case 6:
			type = XS_SET_PERMS;
			len = snprintf(req, sizeof(req), "%s%cb%d%cr%ld", path,
				       0, ci ? (ci == 2 ? G2 : G1) : 0, 0,
				       random() % 3) + 1;
			break;
		case 7:
			type = XS_TRANSACTION_START;
			tx = 0;
			len = 1;
			req[0] = '\0';
			break;
		case 8:
			type = XS_TRANSACTION_END;
			len = 2;
			strcpy(req, random() % 4 ? "T" : "F");
			break;
		case 9:
		case 10:
			type = kind == 9 ? XS_WATCH : XS_UNWATCH;
			tx = 0;
			len = snprintf(req, sizeof(req), "%s%ctok%ld", path, 0,
				       random() % 2) + 1;
			break;
		default:
			type = XS_GET_PERMS;
			len = strlen(path) + 1;
			memcpy(req, path, len);
			break;
		}
		if (getenv("KXS_PROP_TRACE"))
			printf("# %c op %d conn %d tx %u type %u %s\n",
			       restore ? 'B' : 'A', op + 1, ci, tx_ord(t, tx),
			       type, xst_esc(req, len));
		xst_send(fd[ci], type, op + 1, tx, req, len);
		for (i = 0; i < NCONN; i++)
			drain(t, fd[i], i, i == ci ? &new_tx : &(uint32_t){ 0 });
		if (new_tx)
			txs[ci][tx_ord(t, new_tx) % 4] = new_tx;
		t->op_end[op] = t->len;
	}
	for (i = 0; i < NCONN; i++)
		close(fd[i]);
}

static void t_replies_are_the_same_with_restores_between_requests(void)
{
	const char *env = getenv("KXS_PROP_SEEDS");
	char *seeds = strdup(env ? env : "1 2 3"), *s, *save = NULL;

	CHECK(seeds, "out of memory");
	for (s = strtok_r(seeds, " ", &save); s;
	     s = strtok_r(NULL, " ", &save)) {
		unsigned int seed = strtoul(s, NULL, 0);
		struct transcript a = { }, b = { };
		int op;

		run(seed, false, &a);
		run(seed, true, &b);
		for (op = 0; op < NOPS; op++)
			if (a.op_end[op] != b.op_end[op] ||
			    memcmp(a.buf, b.buf, a.op_end[op]))
				break;
		if (op < NOPS) {
			size_t from = op ? a.op_end[op - 1] : 0;

			printf("without restores: %s\n",
			       xst_esc(a.buf + from, a.op_end[op] - from));
			printf("with restores:    %s\n",
			       xst_esc(b.buf + from, b.op_end[op] - from));
		}
		CHECK(op == NOPS, "seed %u: replies differ from request %d on",
		      seed, op + 1);
		printf("# seed %u: %d requests, %zu bytes of replies and events the same\n",
		       seed, NOPS, a.len);
		free(a.buf);
		free(b.buf);
	}
	free(seeds);
}

static void reload_module(void)
{
	const char *ko = getenv("KXS_MODULE");
	char cmd[512];
	int i;

	CHECK(ko, "KXS_MODULE (the module file) is not set");
	snprintf(cmd, sizeof(cmd), "rmmod kxenstore && insmod '%s'", ko);
	CHECK(system(cmd) == 0, "%s failed", cmd);
	for (i = 0; i < 50 && access(xst_dev_path(), F_OK); i++)
		usleep(100000);
	CHECK(!access(xst_dev_path(), F_OK), "%s did not come back",
	      xst_dev_path());
}

static void t_new_module_gives_back_transactions_and_watches(void)
{
	uint32_t t, u, v;
	size_t len;
	char *buf;
	int d0, g;

	d0 = xst_open(0);
	xst_rm_any(d0, "/kxs-adopt");
	xst_rm_any(d0, "/local/domain/1");
	xst_mkdir(d0, "/local/domain/1/data");
	xst_rpc(d0, XS_SET_PERMS, "/local/domain/1\0b1", 19, XS_SET_PERMS,
		"OK", 3);
	xst_rpc(d0, XS_SET_PERMS, "/local/domain/1/data\0b1", 24,
		XS_SET_PERMS, "OK", 3);
	xst_mkdir(d0, "/kxs-adopt");
	xst_rpc(d0, XS_SET_PERMS, "/kxs-adopt\0r0", 14, XS_SET_PERMS, "OK",
		3);

	/* Guest 1 (checkpoint_guest) with watches and a transaction. */
	g = xst_open_domain(1);
	xst_watch(g, "data", "tokA");
	xst_watch(g, "/kxs-adopt", "tokB");
	t = xst_tx_start(g);
	xst_ev_rpc_tx(g, XS_WRITE, t, "data/x\0one", 10, XS_WRITE, "OK", 3);
	u = xst_tx_start(d0);
	xst_rpc_tx(d0, XS_WRITE, u, "/kxs-adopt/y\0two", 16, XS_WRITE, "OK",
		   3);
	buf = read_checkpoint(&len);
	xst_ev_close(g);
	close(d0);

	reload_module();
	write_checkpoint(buf, len);
	free(buf);

	/* The guest's next connection: its watches fire once each. */
	g = xst_open_domain(1);
	xst_events_expect_unordered(g, "data|tokA|/kxs-adopt|tokB|");
	xst_ev_rpc_err(g, XS_WATCH, "data\0tokA", 10, "EEXIST");
	xst_ev_rpc_tx(g, XS_READ, t, "data/x", 7, XS_READ, "one", 3);
	xst_ev_rpc_tx(g, XS_TRANSACTION_END, t, "T", 2, XS_TRANSACTION_END,
		      "OK", 3);
	xst_events_expect(g, "data/x|tokA|");
	/* The control domain's transaction, for any of its connections. */
	d0 = xst_open(0);
	xst_rpc_tx(d0, XS_READ, u, "/kxs-adopt/y", 13, XS_READ, "two", 3);
	xst_rpc_tx(d0, XS_TRANSACTION_END, u, "T", 2, XS_TRANSACTION_END,
		   "OK", 3);
	xst_events_expect(g, "/kxs-adopt/y|tokB|");
	xst_read_expect(d0, "/local/domain/1/data/x", "one", 3);
	/* Ids go on from the checkpoint's. */
	v = xst_tx_start(d0);
	CHECK(v > t && v > u, "new transaction %u after %u and %u", v, t, u);
	xst_rpc_tx(d0, XS_TRANSACTION_END, v, "F", 2, XS_TRANSACTION_END,
		   "OK", 3);
	xst_rm_any(d0, "/kxs-adopt");
	xst_rm_any(d0, "/local/domain/1");
	xst_ev_close(g);
	close(d0);
}

/* WRITE @path (@len bytes) = @val in transaction @tx. */
static void write_at(int fd, uint32_t tx, const char *path, size_t len,
		     const char *val)
{
	static char buf[4200];
	size_t vlen = strlen(val);

	memcpy(buf, path, len + 1);
	memcpy(buf + len + 1, val, vlen);
	xst_rpc_tx(fd, XS_WRITE, tx, buf, len + 1 + vlen, XS_WRITE, "OK", 3);
}

/*
 * Transactions holding chains about 1500 deep (the most a path has): one
 * made a chain, one wrote the end of a live chain and removed nodes at
 * its end.  Their checkpoint, written back once they are over, gives
 * them back (parked) and reads back the same bytes.  A checkpoint and a
 * restore walk such a chain level by level: each level used to search
 * the transaction's records by its whole path, ancestor by ancestor (14 s
 * for one checkpoint and about a minute for the last one here under TCG,
 * every request held off), so the case's time limit is what fails then.
 */
static void t_deep_transactions_survive_a_round_trip(void)
{
	static char m[4096], t[4096], p[4200];
	size_t mlen, tlen, len1, len2;
	uint32_t tx1, tx2;
	char *ck1, *ck2;
	int d0, a, i;

	d0 = xst_open(0);
	xst_rm_any(d0, "/kxs-deep");
	/* 3031 bytes: "/kxs-deep/m" and 1510 "/c" (3072 at most) */
	mlen = xst_deep_path(m, "/kxs-deep/m", 1510);
	write_at(d0, 0, m, mlen, "main");
	for (i = 0; i < 20; i++) {
		snprintf(p, sizeof(p), "%s/x%d", m, i);
		write_at(d0, 0, p, strlen(p), "leaf");
	}
	tlen = xst_deep_path(t, "/kxs-deep/t", 1510);

	a = xst_open(0);
	tx1 = xst_tx_start(a);
	write_at(a, tx1, t, tlen, "made");
	tx2 = xst_tx_start(a);
	write_at(a, tx2, m, mlen, "written");
	for (i = 0; i < 20; i += 2) {
		snprintf(p, sizeof(p), "%s/x%d", m, i);
		xst_rpc_tx(a, XS_RM, tx2, p, strlen(p) + 1, XS_RM, "OK", 3);
	}
	ck1 = read_checkpoint(&len1);
	close(a);	/* both transactions end */

	write_checkpoint(ck1, len1);
	ck2 = read_checkpoint(&len2);
	CHECK(len1 == len2 && !memcmp(ck1, ck2, len1),
	      "checkpoint of %zu bytes read back as %zu bytes, different",
	      len1, len2);
	free(ck1);
	free(ck2);

	/* Given back: the view, then the commit. */
	xst_rpc_tx(d0, XS_READ, tx2, m, mlen + 1, XS_READ, "written", 7);
	snprintf(p, sizeof(p), "%s/x0", m);
	xst_rpc_tx(d0, XS_READ, tx2, p, strlen(p) + 1, XS_ERROR, "ENOENT",
		   7);
	xst_rpc_tx(d0, XS_TRANSACTION_END, tx2, "T", 2, XS_TRANSACTION_END,
		   "OK", 3);
	xst_rpc_tx(d0, XS_TRANSACTION_END, tx1, "T", 2, XS_TRANSACTION_END,
		   "OK", 3);
	xst_read_expect(d0, m, "written", 7);
	xst_read_expect(d0, t, "made", 4);
	xst_read_err(d0, p, "ENOENT");
	snprintf(p, sizeof(p), "%s/x1", m);
	xst_read_expect(d0, p, "leaf", 4);
	xst_rm(d0, "/kxs-deep");
	close(d0);
}

/* The text of a sysfs file of the module (one page at most). */
static const char *sys_text(const char *name)
{
	static char text[4097];
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/kxenstore/%s", name);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0, "open %s: %m", path);
	n = read(fd, text, sizeof(text) - 1);
	CHECK(n >= 0, "read %s: %m", path);
	close(fd);
	text[n] = '\0';
	return text;
}

static int sys_write(const char *name, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/module/kxenstore/%s", name);
	fd = open(path, O_WRONLY);
	CHECK(fd >= 0, "open %s: %m", path);
	if (write(fd, val, strlen(val)) < 0)
		ret = errno;
	close(fd);
	return ret;
}

#define EXPECT_OMITS(want)						\
	do {								\
		const char *got = sys_text("checkpoint_omits");		\
		CHECK(!strcmp(got, want), "checkpoint_omits is \"%s\"", \
		      got);						\
	} while (0)

static void t_omits_lists_what_a_checkpoint_cannot_carry(void)
{
	int d0 = xst_open(0), g;

	EXPECT_OMITS("connections 1\n");
	xst_rpc(d0, XS_INTRODUCE, "7\0" "99\0" "1", 7, XS_INTRODUCE, "OK", 3);
	EXPECT_OMITS("connections 1\ndomain 7\n");
	xst_rpc(d0, XS_SET_PERMS, "@introduceDomain\0r0", 20, XS_SET_PERMS,
		"OK", 3);
	EXPECT_OMITS("connections 1\ndomain 7\nspecial @introduceDomain\n");
	xst_rpc(d0, XS_SET_PERMS, "@introduceDomain\0n0", 20, XS_SET_PERMS,
		"OK", 3);
	xst_rpc(d0, XS_RELEASE, "7", 2, XS_RELEASE, "OK", 3);
	EXPECT_OMITS("connections 1\n");
	/* Watches of another guest than checkpoint_guest (1). */
	g = xst_open_domain(3);
	xst_watch(g, "/kxs-omits", "t");
	EXPECT_OMITS("connections 2\nwatches 1 (domain 3, ...)\n");
	xst_ev_close(g);
	close(d0);
	EXPECT_OMITS("");
	/* Only a guest's domain id can own a stream's watches. */
	CHECK(sys_write("parameters/checkpoint_guest", "0") == EINVAL,
	      "checkpoint_guest=0 was taken");
	CHECK(sys_write("parameters/checkpoint_guest", "32752") == EINVAL,
	      "checkpoint_guest=32752 was taken");
	CHECK(!sys_write("parameters/checkpoint_guest", "1"),
	      "checkpoint_guest=1 was refused");
}

int main(int argc, char **argv)
{
	static const struct xst_case cases[] = {
		{ "replies-are-the-same-with-restores-between-requests",
		  t_replies_are_the_same_with_restores_between_requests },
		{ "new-module-gives-back-transactions-and-watches",
		  t_new_module_gives_back_transactions_and_watches },
		{ "omits-lists-what-a-checkpoint-cannot-carry",
		  t_omits_lists_what_a_checkpoint_cannot_carry },
		{ "deep-transactions-survive-a-round-trip",
		  t_deep_transactions_survive_a_round_trip },
	};

	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
